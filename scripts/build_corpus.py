"""Build the non-Markdown part of the sample corpus and the corpus source list.

Every ``scripts/corpus_sources/NAME.md`` holds YAML front matter (with a ``format:`` key:
pdf, docx, html or txt) and a Markdown body. This script renders each one to
``corpus/NAME.<format>``, writes a metadata sidecar ``corpus/NAME.<format>.meta.yaml``
for it, and lists every corpus document with its public sources in ``corpus/SOURCES.md``.

Run from the repository root: ``.venv/bin/python scripts/build_corpus.py``.
The output is deterministic: fixed creation dates and zip timestamps.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCES_DIR = ROOT / "scripts" / "corpus_sources"
CORPUS_DIR = ROOT / "corpus"
FIXED_DATE = datetime(2024, 1, 1, tzinfo=timezone.utc)
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
META_KEYS = ("title", "cluster", "country", "year", "type", "topics", "illustrative")


def split_front_matter(text: str) -> tuple[dict, str]:
    """Return the YAML front matter (as a dict) and the Markdown body of a document."""
    if not text.startswith("---"):
        return {}, text
    _, header, body = text.split("---", 2)
    return yaml.safe_load(header) or {}, body.strip() + "\n"


def inline(text: str) -> str:
    """Strip Markdown inline markup: bold/italic markers and links (keeping the link text)."""
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    return re.sub(r"(\*\*|__|`)", "", text)


def parse_blocks(body: str) -> list[tuple[str, str]]:
    """Split a Markdown body into (kind, text) blocks: h1, h2, h3, bullet or para."""
    blocks: list[tuple[str, str]] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(("para", inline(" ".join(paragraph))))
            paragraph.clear()

    for raw in body.splitlines():
        line = raw.strip()
        heading = re.match(r"^(#{1,3})\s+(.*)$", line)
        bullet = re.match(r"^[-*]\s+(.*)$", line)
        if not line:
            flush()
        elif heading:
            flush()
            blocks.append((f"h{len(heading.group(1))}", inline(heading.group(2))))
        elif bullet:
            flush()
            blocks.append(("bullet", inline(bullet.group(1))))
        else:
            paragraph.append(line)
    flush()
    return blocks


def write_pdf(meta: dict, blocks: list[tuple[str, str]], path: Path) -> None:
    """Render the blocks to a PDF with fpdf2 (DejaVu if present, else latin-1 core fonts)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(meta["title"])
    pdf.set_subject(
        f"cluster: {meta.get('cluster')}; country: {meta.get('country')}; "
        f"year: {meta.get('year')}; type: {meta.get('type')}"
    )
    pdf.set_keywords(", ".join(meta.get("topics") or []))
    pdf.set_creator("clusterbot scripts/build_corpus.py")
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        family, bullet_mark = "DejaVu", "\u2022"

        def encode(text: str) -> str:
            return text
    else:
        family, bullet_mark = "Helvetica", "-"

        def encode(text: str) -> str:
            return text.encode("latin-1", "replace").decode("latin-1")

    def write(height: float, text: str) -> None:
        pdf.multi_cell(0, height, encode(text), align="L", new_x="LMARGIN", new_y="NEXT")

    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    sizes = {"h1": 18, "h2": 14, "h3": 12}
    for kind, text in blocks:
        if kind in sizes:
            pdf.ln(3)
            pdf.set_font(family, "B", sizes[kind])
            write(sizes[kind] * 0.5, text)
            pdf.ln(2)
        elif kind == "bullet":
            pdf.set_font(family, "", 11)
            pdf.set_x(pdf.l_margin + 5)
            write(6, f"{bullet_mark} {text}")
        else:
            pdf.set_font(family, "", 11)
            write(6, text)
            pdf.ln(2)
    pdf.output(str(path))


def normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip archive with fixed timestamps so that repeated builds are identical."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=FIXED_DATE.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, src.read(item.filename))
    return out.getvalue()


def write_docx(meta: dict, blocks: list[tuple[str, str]], path: Path) -> None:
    """Render the blocks to a DOCX with python-docx, using real heading and list styles."""
    from docx import Document

    doc = Document()
    props = doc.core_properties
    props.title = meta["title"]
    props.subject = str(meta.get("cluster", ""))
    props.keywords = ", ".join(meta.get("topics") or [])
    props.author = "clusterbot sample corpus"
    props.last_modified_by = "clusterbot sample corpus"
    props.created = props.modified = FIXED_DATE.replace(tzinfo=None)
    props.revision = 1
    for kind, text in blocks:
        if kind.startswith("h"):
            doc.add_heading(text, level=int(kind[1]))
        elif kind == "bullet":
            doc.add_paragraph(text, style="List Bullet")
        else:
            doc.add_paragraph(text)
    buffer = io.BytesIO()
    doc.save(buffer)
    path.write_bytes(normalise_zip(buffer.getvalue()))


HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
{meta_tags}
<style>
body {{ font-family: Georgia, serif; margin: 0 auto; max-width: 52rem; color: #222; }}
nav ul {{ list-style: none; display: flex; gap: 1.5rem; padding: 0; }}
footer {{ font-size: 0.8rem; color: #666; border-top: 1px solid #ccc; margin-top: 3rem; }}
</style>
<script>
  window.dataLayer = window.dataLayer || [];
  function acceptCookies() {{ document.cookie = "consent=yes; path=/"; }}
</script>
</head>
<body>
<header>
<p class="site-name">Cluster News Europe</p>
<nav>
<ul>
<li><a href="/">Home</a></li>
<li><a href="/news">News</a></li>
<li><a href="/clusters">Clusters</a></li>
<li><a href="/events">Events</a></li>
<li><a href="/contact">Contact</a></li>
</ul>
</nav>
</header>
<main>
<article>
{article}
</article>
</main>
<footer>
<p>&copy; {year} Cluster News Europe. All rights reserved.</p>
<p>Contact: editorial office, info@example.org | <a href="/privacy">Privacy policy</a>
| <a href="/imprint">Imprint</a> | <a href="#" onclick="acceptCookies()">Cookie settings</a></p>
</footer>
</body>
</html>
"""


def as_text(value: object) -> str:
    """Format a metadata value for an HTML meta tag (lists comma-separated, booleans lowercase)."""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value).lower() if isinstance(value, bool) else str(value)


def write_html(meta: dict, blocks: list[tuple[str, str]], path: Path) -> None:
    """Render the blocks into a realistic web page with nav, header, footer, script and style."""
    parts: list[str] = []
    in_list = False
    for kind, text in blocks:
        if kind == "bullet" and not in_list:
            parts.append("<ul>")
            in_list = True
        elif kind != "bullet" and in_list:
            parts.append("</ul>")
            in_list = False
        tag = {"bullet": "li", "para": "p"}.get(kind, kind)
        parts.append(f"<{tag}>{html.escape(text)}</{tag}>")
    if in_list:
        parts.append("</ul>")
    meta_tags = "\n".join(
        f'<meta name="{key}" content="{html.escape(as_text(value))}">'
        for key, value in sidecar(meta).items()
        if key != "title"
    )
    path.write_text(
        HTML_PAGE.format(
            title=html.escape(meta["title"]),
            meta_tags=meta_tags,
            article="\n".join(parts),
            year=meta.get("year", ""),
        ),
        encoding="utf-8",
    )


def write_txt(meta: dict, blocks: list[tuple[str, str]], path: Path) -> None:
    """Render the blocks as plain text: title first, headings on lines of their own."""
    out = meta["title"]
    previous = "h1"
    for kind, text in blocks:
        if kind == "h1" and text == meta["title"]:
            continue
        separator = "\n" if kind == previous == "bullet" else "\n\n"
        out += separator + (f"- {text}" if kind == "bullet" else text)
        previous = kind
    path.write_text(out + "\n", encoding="utf-8")


WRITERS = {"pdf": write_pdf, "docx": write_docx, "html": write_html, "txt": write_txt}


def sidecar(meta: dict) -> dict:
    """Return the metadata that goes into a sidecar file (no sources, no format)."""
    return {key: meta[key] for key in META_KEYS if key in meta}


def build_generated() -> list[tuple[str, dict]]:
    """Render every source document; return (output file name, metadata) pairs."""
    built = []
    for source in sorted(SOURCES_DIR.glob("*.md")):
        meta, body = split_front_matter(source.read_text(encoding="utf-8"))
        fmt = meta["format"]
        name = f"{source.stem}.{fmt}"
        WRITERS[fmt](meta, parse_blocks(body), CORPUS_DIR / name)
        sidecar_text = yaml.safe_dump(sidecar(meta), sort_keys=False, allow_unicode=True)
        (CORPUS_DIR / f"{name}.meta.yaml").write_text(sidecar_text, encoding="utf-8")
        built.append((name, meta))
    return built


def write_sources(built: list[tuple[str, dict]]) -> None:
    """Write corpus/SOURCES.md: every document with its title and public sources."""
    documents = list(built)
    for path in sorted(CORPUS_DIR.glob("*.md")):
        if path.name != "SOURCES.md":
            documents.append((path.name, split_front_matter(path.read_text(encoding="utf-8"))[0]))
    lines = [
        "# Sources of the sample corpus",
        "",
        "Each document of the corpus with the public material it draws on. Documents marked",
        "*illustrative* describe fictional clusters: they are invented examples, not facts",
        "about real organisations.",
        "",
    ]
    for name, meta in sorted(documents):
        marker = " (illustrative)" if meta.get("illustrative") else ""
        lines.append(f"## {name}{marker}")
        lines.append("")
        lines.append(f"*{meta.get('title', name)}*")
        lines.append("")
        sources = meta.get("sources") or []
        lines.extend(f"- {source}" for source in sources)
        if not sources:
            lines.append("- (no external sources)")
        lines.append("")
    (CORPUS_DIR / "SOURCES.md").write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    """Build all generated documents, their sidecars and the source list."""
    CORPUS_DIR.mkdir(exist_ok=True)
    built = build_generated()
    write_sources(built)
    print(f"built {len(built)} generated documents; wrote {CORPUS_DIR / 'SOURCES.md'}")


if __name__ == "__main__":
    main()
