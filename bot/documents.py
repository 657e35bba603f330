"""Loading: one file → one ``Document`` of text blocks with metadata.

Supported: Markdown (YAML front-matter becomes metadata), plain text, HTML (main text only),
PDF (text per page, page numbers kept) and DOCX (headings and lists kept). Any file may have a
sidecar ``NAME.EXT.meta.yaml`` whose keys override the metadata found in the file itself.
Hard-wrapped lines (plain text, Markdown, PDF pages, Word's manual line breaks) are re-flowed
into whole paragraphs and list items by ``bot.reflow``.
A file that cannot be read raises ``LoadError`` with a one-line reason; a file over one of the
limits of ``bot.limits`` (DOCX XML, PDF pages, characters) raises ``DocumentTooLarge``.
Symbolic links that lead out of the corpus folder are not part of the corpus.
"""

from __future__ import annotations

import hashlib
import logging
import re
import zipfile
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import reflow
from .errors import DocumentTooLarge, LoadError
from .language import detect, normalise_code
from .limits import Limits
from .organisations import MULTIPLE, document_organisation

METADATA_KEYS = ("cluster", "country", "year", "type", "topics", "illustrative", "language")
SIDECAR_SUFFIX = ".meta.yaml"
#: Characters of a document read to detect its language.
LANGUAGE_SAMPLE_CHARS = 20_000
#: How much of a document's opening, and of its end, is read for the organisation it is about.
ORGANISATION_SAMPLE_CHARS = 20_000
IGNORE_FILE = ".clusterbotignore"

log = logging.getLogger(__name__)


@dataclass
class Block:
    """A paragraph, list item, table row or heading-less run of text, with its place."""

    text: str
    section: tuple[str, ...] = ()
    page: int | None = None


@dataclass
class Document:
    """A loaded file: its text blocks and its metadata (``source`` is relative to the corpus)."""

    source: str
    title: str
    blocks: list[Block]
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """All text of the document, blocks separated by blank lines."""
        return "\n\n".join(block.text for block in self.blocks)


@dataclass
class _Parsed:
    blocks: list[Block]
    title: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- text decoding and helpers


def decode_text(data: bytes) -> str:
    """Decode bytes as UTF-8, else Windows-1252/Latin-1; refuse binary content."""
    if b"\x00" in data[:65536]:
        raise LoadError("binary content, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        if text.count("\ufffd") > len(text) // 100:
            text = data.decode("latin-1")
    sample = text[:65536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    if sample and (controls / len(sample) > 0.02 or sample.count("\ufffd") / len(sample) > 0.05):
        raise LoadError("binary content, not text")
    return text


def table_row_text(cells: list[str], header: list[str] | None) -> str:
    """A table row as text; with a header, each cell is labelled ("Fee 2025: EUR 500")."""
    if header and len(header) == len(cells) and cells != header:
        return " | ".join(f"{h}: {c}" if h and c else c for h, c in zip(header, cells))
    return " | ".join(cells)


def _clean(text: str) -> str:
    return re.sub(r"[ \t\u00a0]+", " ", text).strip()


def _one_line(text: str, keep_hyphen: Collection[str] = ()) -> str:
    """Text whose line breaks do not matter (a heading, a table cell) on one line."""
    return reflow.join_lines([line for line in map(_clean, text.splitlines()) if line],
                             keep_hyphen)


def _split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    match = re.match(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", text, re.S)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise LoadError(f"invalid YAML front-matter: {str(exc).splitlines()[0]}") from None
    if not isinstance(meta, dict):
        raise LoadError("front-matter is not a mapping of keys to values")
    return meta, text[match.end() :]


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_TABLE_RULE = re.compile(r"\|?[\s:|-]+\|?")


def _is_table_rule(line: str) -> bool:
    return bool(_TABLE_RULE.fullmatch(line)) and "-" in line


def _parse_lines(text: str, heading_of: Callable[[list[str], int], int | None]) -> _Parsed:
    """Shared line parser: ``heading_of(lines, i)`` gives a heading level for line i or None.

    Headings, table rows and fenced code are found line by line; the runs of lines between them
    (and between blank lines) are re-flowed into paragraphs and list items (``bot.reflow``)."""
    lines = text.splitlines()
    title: str | None = None
    stack: list[tuple[int, str]] = []
    items: list[tuple[str | list[str], tuple[str, ...]]] = []  # a block's text, or a run of lines
    run: list[str] = []
    code: list[str] = []

    def section() -> tuple[str, ...]:
        return tuple(h for _, h in stack)

    def flush() -> None:
        if run:
            items.append((list(run), section()))
            run.clear()

    in_fence = False
    header: list[str] | None = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped.startswith("|"):
            header = None
        if stripped.startswith("```"):
            flush()
            if in_fence and code:
                items.append((" ".join(code), section()))
                code.clear()
            in_fence = not in_fence
            continue
        if in_fence:
            code.append(stripped)
            continue
        level = heading_of(lines, i)
        if level is not None:
            flush()
            heading = _clean(_MD_HEADING.sub(r"\2", stripped))
            if title is None and not items and level == 1:
                title = heading
                continue
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, heading))
        elif not stripped or _is_table_rule(stripped):
            flush()
        elif stripped.startswith("|"):
            flush()
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            following = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if header is None and _is_table_rule(following):
                header = cells  # the header row labels the cells of the rows below it
                continue
            items.append((table_row_text(cells, header), section()))
        else:
            run.append(line.rstrip())
    flush()
    if code:
        items.append((" ".join(code), section()))
    width = reflow.document_width(content for content, _ in items if isinstance(content, list))
    keep = reflow.hyphenated_words(text)
    blocks: list[Block] = []
    for content, heading_path in items:
        if isinstance(content, str):  # a table row or code
            texts = [_clean(content)]
        else:
            texts = [_as_item(_clean(t))
                     for t in reflow.reflow(content, width_hint=width, keep_hyphen=keep)]
        blocks.extend(Block(body, heading_path) for body in texts if body)
    return _Parsed(blocks, title)


def _as_item(text: str) -> str:
    """A list item's marker becomes "- " (other text is returned as it is)."""
    return reflow.LIST_ITEM.sub("- ", text, count=1)


# ---------------------------------------------------------------- one parser per format


def _decode_within(data: bytes, limits: Limits) -> str:
    text = decode_text(data)
    limits.check_chars(len(text))
    return text


def parse_markdown(data: bytes, limits: Limits) -> _Parsed:
    """Markdown: front-matter → metadata, ``#`` headings → sections, paragraphs and list items."""
    meta, body = _split_front_matter(_decode_within(data, limits))

    def heading_of(lines: list[str], i: int) -> int | None:
        match = _MD_HEADING.match(lines[i].strip())
        return len(match.group(1)) if match else None

    parsed = _parse_lines(body, heading_of)
    parsed.blocks = [Block(_strip_inline_markdown(b.text), tuple(map(_strip_inline_markdown,
                                                                     b.section)), b.page)
                     for b in parsed.blocks]
    parsed.metadata = meta
    parsed.title = meta.get("title") or parsed.title
    return parsed


def _strip_inline_markdown(text: str) -> str:
    """Links become their text; emphasis and code markers go."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])[*_](?!\s)(.+?)(?<!\s)[*_](?![\w*])", r"\1", text)
    return text.replace("`", "")


def _looks_like_heading(line: str) -> bool:
    line = line.strip()
    return (
        0 < len(line) <= 80
        and not line.endswith((".", ",", ";", ":", "!", "?"))
        and not reflow.is_list_item(line)
        and line[0].isupper() | line[0].isdigit()
        and len(line.split()) <= 12
    )


_SECTION_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2})*\.?\s+(?=\S)")


def _numbered_heading(lines: list[str], i: int) -> bool:
    """Whether line i, standing between blank lines, is a numbered section heading ("3. Cuentas
    anuales 2023"): a short numbered line without a sentence's end, followed by a paragraph
    rather than by the next item of a numbered list."""
    line = lines[i].strip()
    number = _SECTION_NUMBER.match(line)
    if not number or not _looks_like_heading(line[number.end():]):
        return False
    following = next((text.strip() for text in lines[i + 1:] if text.strip()), "")
    return bool(following) and not reflow.is_list_item(following)


def _subtitled(lines: list[str]) -> bool:
    """Whether a text opens with a title line and a subtitle line under it, both heading-like
    ("MedTech Netzwerk Ostalb-Rems e.V." / "Protokoll der 41. Sitzung des Vorstands")."""
    return (len(lines) > 2 and all(_looks_like_heading(line) and not reflow.is_key_value(line)
                                   for line in lines[:2])
            and len(lines[1].split()) <= 12)


def _stands_alone(lines: list[str], i: int) -> bool:
    """Whether line i is a line of its own in the re-flowed run of lines it begins."""
    end = next((j for j in range(i, len(lines)) if not lines[j].strip()), len(lines))
    return len(reflow.split_paragraphs(lines[i:end])[0]) == 1


def parse_text(data: bytes, limits: Limits) -> _Parsed:
    """Plain text: optional front-matter; a short line standing alone is a heading. Hard-wrapped
    paragraphs are re-flowed; in a text with one paragraph per line every line is one."""
    meta, body = _split_front_matter(_decode_within(data, limits))
    if reflow.is_unwrapped(body.splitlines()):
        body = re.sub(r"\n(?=\S)", "\n\n", body)  # unwrapped text: one line per paragraph

    def heading_of(lines: list[str], i: int) -> int | None:
        line = lines[i].strip()
        before = i == 0 or not lines[i - 1].strip()
        after = i + 1 >= len(lines) or not lines[i + 1].strip()
        following = "" if after else lines[i + 1].strip()
        if i <= 1 and _subtitled(lines):
            return 1  # "BIOEUGANEA CLUSTER" / "Quote associative 2024": title and subtitle
        if before and after and _numbered_heading(lines, i):
            return 2
        if not before or not _looks_like_heading(line):
            return None
        runs_in = (not after and len(line.split()) <= 8 and len(following) > len(line)
                   and not (reflow.is_key_value(line) and reflow.is_key_value(following))
                   and _stands_alone(lines, i))
        if after or runs_in:
            return 1 if not any(line.strip() for line in lines[:i]) else 2
        return None

    parsed = _parse_lines(body, heading_of)
    if parsed.title is None:  # a first line that runs into its paragraph can still be a title
        first = body.strip().splitlines()[0] if body.strip() else ""
        if _looks_like_heading(first) and parsed.blocks and parsed.blocks[0].text.startswith(first):
            parsed.title = first.strip()
            rest = parsed.blocks[0].text[len(first.strip()) :].strip()
            parsed.blocks = ([Block(rest)] if rest else []) + parsed.blocks[1:]
    parsed.metadata = meta
    parsed.title = meta.get("title") or parsed.title
    return parsed


_HTML_DROP = ["script", "style", "noscript", "nav", "footer", "header", "aside", "form",
              "iframe", "svg", "template", "button", "select"]
_HTML_BLOCKS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "blockquote", "tr",
                "dt", "dd", "figcaption", "caption"]


def parse_html(data: bytes, limits: Limits) -> _Parsed:
    """HTML: the main content only; navigation, header, footer, scripts and styles dropped."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_text(data), "lxml")
    title_tag = soup.find("title")
    title = _clean(title_tag.get_text()) if title_tag else None
    meta: dict[str, Any] = {}
    for tag in soup.find_all("meta"):
        name = (tag.get("name") or tag.get("property") or "").lower().removeprefix("dc.")
        if name in METADATA_KEYS and tag.get("content"):
            meta[name] = tag["content"]
        elif name == "keywords" and tag.get("content") and "topics" not in meta:
            meta["topics"] = tag["content"]
    if soup.html is not None and soup.html.get("lang") and "language" not in meta:
        meta["language"] = soup.html["lang"]
    for tag in soup.find_all(_HTML_DROP):
        tag.decompose()
    for tag in soup.select('[role="navigation"], [role="contentinfo"], [role="banner"]'):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.find(attrs={"role": "main"})
    root = root or soup.body or soup
    limits.check_chars(len(root.get_text()))
    blocks: list[Block] = []
    stack: list[tuple[int, str]] = []
    h1_seen = False
    headers: dict[int, list[str]] = {}
    for element in root.find_all(_HTML_BLOCKS):
        if element.find_parent(_HTML_BLOCKS):
            continue
        if element.name == "tr":
            cells = [_clean(c.get_text(" ")) for c in element.find_all(["td", "th"])]
            if element.find("th") and not element.find("td"):
                headers[id(element.find_parent("table"))] = cells
                continue
            text = table_row_text(cells, headers.get(id(element.find_parent("table"))))
        else:
            text = _clean(element.get_text(" "))
        if not text:
            continue
        if element.name[0] == "h" and element.name[1:].isdigit():
            level = int(element.name[1])
            if level == 1 and not h1_seen and not blocks:
                h1_seen = True
                title = title or text
                continue
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, text))
            continue
        prefix = "- " if element.name == "li" else ""
        blocks.append(Block(prefix + text, tuple(h for _, h in stack)))
    if not blocks:
        text = _clean(root.get_text(" "))
        blocks = [Block(text)] if text else []
    return _Parsed(blocks, title, meta)


def parse_pdf(data: bytes, limits: Limits) -> _Parsed:
    """PDF: text page by page (page numbers kept); short stand-alone lines become headings."""
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError("the PDF is encrypted with a password")
        info = reader.metadata or {}
        limits.check_pdf_pages(len(reader.pages))
        pages: list[str] = []
        chars = 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            chars += len(pages[-1])
            limits.check_chars(chars)
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AssertionError) as exc:
        raise LoadError(f"damaged PDF ({exc.__class__.__name__}: {str(exc)[:80]})") from None
    meta = {
        key: str(info[f"/{key.capitalize()}"])
        for key in METADATA_KEYS
        if info.get(f"/{key.capitalize()}")
    }
    page_lines = [[line for line in map(_clean, text.splitlines())
                   if line and not re.fullmatch(r"(page )?\d+( of \d+)?", line, re.I)]
                  for text in pages]
    width = reflow.document_width(page_lines)
    keep = reflow.hyphenated_words("\n".join(pages))
    blocks: list[Block] = []
    section: tuple[str, ...] = ()
    last = ""  # the last line of the page before, when it ended a block
    for number, lines in enumerate(page_lines, start=1):
        lines, headings = reflow.page_headings(lines, _looks_like_heading)
        start = 0
        for group in reflow.split_paragraphs(lines, width_hint=width, alone=headings):
            text = reflow.join_lines(group, keep)
            if start in headings:
                section = (text,)
            elif start == 0 and blocks and blocks[-1].page == number - 1 and reflow.runs_on(
                    last, group[0], width):
                # a sentence running on from the page before: its block keeps that page
                blocks[-1].text = reflow.join_lines([blocks[-1].text, text], keep)
            else:
                blocks.append(Block(_as_item(text), section, number))
            start += len(group)
        last = lines[-1] if lines and len(lines) - 1 not in headings else ""
    if not blocks:
        raise LoadError("the PDF has no extractable text (scanned images need OCR first)")
    title = str(info.title) if getattr(info, "title", None) else None
    if not title and blocks and blocks[0].section:
        title = blocks[0].section[0]
    return _Parsed(blocks, title, meta)


def parse_docx(data: bytes, limits: Limits) -> _Parsed:
    """DOCX: paragraphs and tables in order; Heading styles → sections, list styles → items.
    Only the XML is read, within ``limits.docx_xml_bytes`` (images are never decompressed)."""
    import zlib

    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph
    from lxml import etree

    try:
        document = docx.Document(limits.docx_package(data))
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, KeyError,
            ValueError) as exc:
        raise LoadError(f"damaged DOCX ({exc.__class__.__name__}: {str(exc)[:80]})") from None
    props = document.core_properties
    title = props.title or None
    meta: dict[str, Any] = {}
    if props.category:
        meta["type"] = props.category
    if props.keywords:
        meta["topics"] = props.keywords
    # a paragraph's manual line breaks come as "\n": its lines are re-flowed once all are read
    items: list[tuple[str, list[str], tuple[str, ...]]] = []  # (kind, lines, section)
    stack: list[tuple[int, str]] = []
    limits.check_chars(len(etree.XPath("string()")(document.element.body)))
    style_of = _paragraph_styles(document)
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "tbl":
            rows = [[_one_line(cell.text) for cell in row.cells]
                    for row in Table(child, document).rows]
            rows = [row for row in rows if any(row)]
            header = rows[0] if len(rows) > 1 else None
            for row in rows[1:] if header else rows:
                items.append(("row", [table_row_text(row, header)], tuple(h for _, h in stack)))
            continue
        if tag != "p":
            continue
        paragraph = Paragraph(child, document)
        lines = [line for line in map(_clean, paragraph.text.split("\n")) if line]
        if not lines:
            continue
        style = style_of(child)
        if style == "Title":
            title = title or _one_line(paragraph.text)
            continue
        match = re.match(r"Heading (\d)", style)
        if match:
            level = int(match.group(1))
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, _one_line(paragraph.text)))
            continue
        is_list = "List" in style or child.find(".//{*}numPr") is not None
        items.append(("item" if is_list else "text", lines, tuple(h for _, h in stack)))
    width = reflow.document_width(lines for kind, lines, _ in items if kind == "text")
    keep = reflow.hyphenated_words("\n".join(line for _, lines, _ in items for line in lines))
    blocks: list[Block] = []
    for kind, lines, section in items:
        if kind == "row":
            blocks.append(Block(lines[0], section))
        elif kind == "item":  # a list paragraph is one item, whatever its line breaks
            blocks.append(Block("- " + _one_line("\n".join(lines), keep), section))
        else:
            blocks.extend(Block(_as_item(text), section)
                          for text in reflow.reflow(lines, width_hint=width, keep_hyphen=keep))
    if title is None and stack:
        title = stack[0][1]
    return _Parsed(blocks, title, meta)


def _paragraph_styles(document: Any) -> Callable[[Any], str]:
    """The style name of a paragraph element, from a table made once: python-docx's
    ``Paragraph.style`` scans every style of the document for each paragraph."""
    from docx.enum.style import WD_STYLE_TYPE

    styles = document.styles
    names = {s.style_id: s.name or "" for s in styles if s.type == WD_STYLE_TYPE.PARAGRAPH}
    default = styles.default(WD_STYLE_TYPE.PARAGRAPH)
    fallback = (default.name if default is not None else "") or ""
    return lambda element: names.get(element.style, fallback)


PARSERS: dict[str, Callable[[bytes, Limits], _Parsed]] = {
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".txt": parse_text,
    ".html": parse_html,
    ".htm": parse_html,
    ".pdf": parse_pdf,
    ".docx": parse_docx,
}


# ---------------------------------------------------------------- corpus-level API


def normalise_metadata(raw: dict[str, Any]) -> dict[str, Any]:
    """Keep the known metadata keys with clean types: ``year`` int, ``topics`` a list."""
    meta: dict[str, Any] = {}
    for key in METADATA_KEYS:
        value = raw.get(key)
        if value is None or value == "" or value == []:
            continue
        if key == "topics":
            items = value if isinstance(value, list) else re.split(r"[,;]", str(value))
            meta[key] = [str(t).strip().lower() for t in items if str(t).strip()]
        elif key == "year":
            match = re.search(r"\d{4}", str(value))
            if match:
                meta[key] = int(match.group())
        elif key == "language":
            code = normalise_code(value) or str(value).strip().lower()
            if re.fullmatch(r"[a-z]{2,3}", code):
                meta[key] = code
        elif key == "illustrative":
            meta[key] = value if isinstance(value, bool) else str(value).lower() in {"true", "yes"}
        elif key == "cluster":  # front matter may list the clusters a document is about
            names = value if isinstance(value, list) else str(value).split(";")
            names = [str(n).strip() for n in names if str(n).strip()]
            meta[key] = names[0] if len(names) == 1 else MULTIPLE
        else:
            meta[key] = str(value).strip()
    return meta


def load_document(path: Path, corpus_dir: Path, data: bytes | None = None,
                  max_bytes: int | None = None, limits: Limits | None = None) -> Document:
    """Load one file. Raises ``LoadError`` for an unknown type or unreadable content, and
    ``DocumentTooLarge`` for a file larger than ``max_bytes`` (checked before it is read) or over
    ``limits`` (default: ``Limits()``, the default settings). Nothing is ever truncated."""
    parser = PARSERS.get(path.suffix.lower())
    if parser is None:
        raise LoadError(f"unsupported file type {path.suffix or '(none)'}")
    if max_bytes:
        try:
            size = len(data) if data is not None else path.stat().st_size
        except OSError as exc:
            raise LoadError(f"cannot read the file ({exc.strerror})") from None
        if size > max_bytes:
            raise DocumentTooLarge(f"the file is {size / 2**20:.1f} MB, more than the limit of "
                                   f"{max_bytes / 2**20:g} MB", "BOT_MAX_FILE_MB")
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise LoadError(f"cannot read the file ({exc.strerror})") from None
    if not data.strip():
        raise LoadError("empty file")
    source = path.relative_to(corpus_dir).as_posix()
    limits = limits or Limits()
    try:
        parsed = parser(data, limits)
        limits.check_chars(sum(len(block.text) for block in parsed.blocks))
    except DocumentTooLarge as exc:
        raise exc.named(source) from None
    raw_meta = dict(parsed.metadata)
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if sidecar.is_file() and _inside(sidecar, corpus_dir.resolve()):
        try:
            extra = yaml.safe_load(sidecar.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise LoadError(f"invalid metadata file {sidecar.name}: {exc}") from None
        if isinstance(extra, dict):
            raw_meta.update(extra)
    title = str(raw_meta.get("title") or parsed.title or "").strip()
    title = title or path.stem.replace("-", " ").replace("_", " ").strip().capitalize()
    blocks = [b for b in parsed.blocks if b.text.strip()]
    if not blocks:
        raise LoadError("no text found")
    metadata = normalise_metadata(raw_meta)
    if "language" not in metadata:  # front matter or a sidecar may say; else the text tells
        metadata["language"] = detect(" ".join(b.text for b in blocks)[:LANGUAGE_SAMPLE_CHARS])
    if "cluster" not in metadata:  # most documents do not say: their title or text tells
        cluster = document_organisation(title, _opening_and_end(blocks), metadata["language"])
        if cluster:
            metadata["cluster"] = cluster
    return Document(
        source=source,
        title=title,
        blocks=blocks,
        metadata=metadata,
    )


def _opening_and_end(blocks: list[Block]) -> str:
    """The text a document says whom it is about in: its opening (title page, first
    paragraphs) and its end (a letter's signature), ``ORGANISATION_SAMPLE_CHARS`` of each; a
    long report is not copied whole."""
    opening = _first_texts(blocks)
    ending = _first_texts(reversed(blocks[len(opening):]))
    return "\n".join([*opening, *reversed(ending)])


def _first_texts(blocks: Iterable[Block]) -> list[str]:
    """The texts of ``blocks``, in order, until they hold ``ORGANISATION_SAMPLE_CHARS``."""
    texts: list[str] = []
    size = 0
    for block in blocks:
        if size >= ORGANISATION_SAMPLE_CHARS:
            break
        texts.append(block.text)
        size += len(block.text)
    return texts


def file_hash(data: bytes) -> str:
    """Content hash of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


def hash_file(path: Path, block: int = 1 << 20) -> str:
    """``file_hash`` of the file at ``path``, read block by block (memory stays small however
    large the file is). Raises ``OSError`` when the file cannot be read."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def _ignore_patterns(corpus_dir: Path) -> list[str]:
    ignore = corpus_dir / IGNORE_FILE
    if not ignore.is_file():
        return []
    lines = ignore.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _inside(path: Path, root: Path) -> bool:
    """Whether ``path``, symbolic links followed, is inside the (resolved) folder ``root``."""
    return path.resolve().is_relative_to(root)


def iter_corpus(corpus_dir: Path) -> Iterator[Path]:
    """Files of the corpus in a stable order: hidden files, metadata sidecars and files matched
    by ``.clusterbotignore`` (glob patterns, one per line) are left out, and so are symbolic
    links (to files or folders) that lead out of the corpus folder, with a warning."""
    patterns = _ignore_patterns(corpus_dir)
    root = corpus_dir.resolve()
    for path in sorted(corpus_dir.rglob("*")):
        relative = path.relative_to(corpus_dir)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if any(relative.match(p) or path.name == p for p in patterns):
            continue
        if path.is_symlink() and not _inside(path, root):
            log.warning("%s is not indexed: it is a symbolic link to %s, outside the corpus "
                        "folder %s; copy the file into the folder instead", relative,
                        path.resolve(), root)
            continue
        if not path.is_file() or path.name.endswith(SIDECAR_SUFFIX):
            continue
        yield path
