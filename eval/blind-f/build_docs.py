#!/usr/bin/env python3
"""Build the binary/HTML evaluation documents from their plain-text sources.

* sources/<stem>.txt  ->  docs/<stem>.pdf | .docx | .html   (see TARGETS)
* docs/*.txt          ->  re-wrapped in place so that no line exceeds 78 columns

Source mark-up (kept deliberately simple, the sources stay readable as text):
  "# "  title, "## " section heading, "### " sub-heading
  "- "  bullet item
  "|"   table row (first row = header, rows like |---|---| are ignored)
  any other non-empty line = one paragraph (long lines wrap in the output)

fpdf2 and python-docx are needed for .pdf/.docx. If the running interpreter does
not have them, the script re-executes itself with the interpreter given in the
environment variable BUILD_PYTHON (default: /work/main/.venv/bin/python), which
is used purely as a Python interpreter.
"""
import html
import os
import sys
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "sources")
DOCS = os.path.join(HERE, "docs")
WIDTH = 78

# stem of sources/<stem>.txt -> output format
TARGETS = {
    "saaletal_jahresbericht_2024": "pdf",
    "garonne_agrinova_rapport_2024": "pdf",
    "lagantide_kpi_scorecard_2024": "pdf",
    "vaettern_medtech_annual_report_2024": "docx",
    "lagantide_agm_minutes_2025": "docx",
    "small_cluster_peer_benchmark_2024": "docx",
    "valcervo_relazione_annuale_2024": "html",
    "roztocze_membership_fees_2025": "html",
    "vaettern_service_prices_2025": "html",
}

FALLBACK_PY = os.environ.get("BUILD_PYTHON", "/work/main/.venv/bin/python")


def ensure_libs():
    try:
        import fpdf  # noqa: F401
        import docx  # noqa: F401
    except ImportError:
        if os.environ.get("_BUILD_DOCS_REEXEC") != "1" and os.path.exists(FALLBACK_PY):
            os.environ["_BUILD_DOCS_REEXEC"] = "1"
            os.execv(FALLBACK_PY, [FALLBACK_PY] + sys.argv)
        sys.exit("fpdf2 and python-docx are required (set BUILD_PYTHON)")


# ---------------------------------------------------------------- parsing
def parse(text):
    """Return a list of blocks: (kind, payload)."""
    blocks = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if not line.strip():
            i += 1
            continue
        if line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(set(c) <= set("-: ") for c in cells):
                    rows.append(cells)
                i += 1
            blocks.append(("table", rows))
            continue
        if line.startswith("### "):
            blocks.append(("h3", line[4:].strip()))
        elif line.startswith("## "):
            blocks.append(("h2", line[3:].strip()))
        elif line.startswith("# "):
            blocks.append(("h1", line[2:].strip()))
        elif line.startswith("- "):
            blocks.append(("bullet", line[2:].strip()))
        else:
            blocks.append(("p", line.strip()))
        i += 1
    return blocks


# ---------------------------------------------------------------- PDF
FONT_DIR = "/usr/share/fonts/truetype/dejavu"


def build_pdf(blocks, out, title):
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(format="A4")
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, 18)
    pdf.set_title(title)
    pdf.set_author("cluster office")
    reg = os.path.join(FONT_DIR, "DejaVuSans.ttf")
    bold = os.path.join(FONT_DIR, "DejaVuSans-Bold.ttf")
    if os.path.exists(reg) and os.path.exists(bold):
        pdf.add_font("Body", "", reg)
        pdf.add_font("Body", "B", bold)
        family = "Body"

        def clean(s):
            return s
    else:  # latin-1 core font fallback
        family = "helvetica"

        def clean(s):
            s = s.replace("€", "EUR").replace("–", "-").replace("—", "-")
            return s.encode("latin-1", "replace").decode("latin-1")

    pdf.add_page()
    for kind, payload in blocks:
        if kind == "h1":
            pdf.set_font(family, "B", 15)
            pdf.multi_cell(0, 8, clean(payload), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif kind in ("h2", "h3"):
            pdf.ln(2)
            pdf.set_font(family, "B", 12 if kind == "h2" else 11)
            pdf.multi_cell(0, 7, clean(payload), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind == "p":
            pdf.set_font(family, "", 10)
            pdf.multi_cell(0, 5.2, clean(payload), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif kind == "bullet":
            pdf.set_font(family, "", 10)
            pdf.set_x(pdf.l_margin + 4)
            pdf.multi_cell(0, 5.2, clean("\u2022 " + payload if family == "Body" else "- " + payload),
                           new_x="LMARGIN", new_y="NEXT")
            pdf.ln(0.5)
        elif kind == "table":
            ncols = max(len(r) for r in payload)
            rows = [r + [""] * (ncols - len(r)) for r in payload]
            pdf.set_font(family, "", 8.5 if ncols > 4 else 9)
            first = 2.2 if ncols <= 4 else 2.0
            widths = [first] + [1] * (ncols - 1)
            with pdf.table(col_widths=widths, line_height=4.8,
                           headings_style=FontFace(emphasis="BOLD", fill_color=(225, 232, 240)),
                           text_align="LEFT") as table:
                for r in rows:
                    row = table.row()
                    for c in r:
                        row.cell(clean(c))
            pdf.ln(3)
    pdf.output(out)


# ---------------------------------------------------------------- DOCX
def build_docx(blocks, out, title):
    import docx
    from docx.shared import Pt

    d = docx.Document()
    d.core_properties.title = title
    d.core_properties.author = "cluster office"
    d.styles["Normal"].font.name = "Calibri"
    d.styles["Normal"].font.size = Pt(10.5)
    for kind, payload in blocks:
        if kind == "h1":
            d.add_heading(payload, level=0)
        elif kind == "h2":
            d.add_heading(payload, level=1)
        elif kind == "h3":
            d.add_heading(payload, level=2)
        elif kind == "p":
            d.add_paragraph(payload)
        elif kind == "bullet":
            d.add_paragraph(payload, style="List Bullet")
        elif kind == "table":
            ncols = max(len(r) for r in payload)
            t = d.add_table(rows=0, cols=ncols)
            t.style = "Table Grid"
            for ri, r in enumerate(payload):
                cells = t.add_row().cells
                for ci in range(ncols):
                    txt = r[ci] if ci < len(r) else ""
                    para = cells[ci].paragraphs[0]
                    run = para.add_run(txt)
                    if ri == 0:
                        run.bold = True
            d.add_paragraph("")
    d.save(out)


# ---------------------------------------------------------------- HTML
def build_html(blocks, out, title, lang):
    e = html.escape
    parts = []
    in_list = False
    for kind, payload in blocks:
        if kind != "bullet" and in_list:
            parts.append("</ul>")
            in_list = False
        if kind == "h1":
            parts.append(f"<h1>{e(payload)}</h1>")
        elif kind == "h2":
            parts.append(f"<h2>{e(payload)}</h2>")
        elif kind == "h3":
            parts.append(f"<h3>{e(payload)}</h3>")
        elif kind == "p":
            parts.append(f"<p>{e(payload)}</p>")
        elif kind == "bullet":
            if not in_list:
                parts.append("<ul>")
                in_list = True
            parts.append(f"  <li>{e(payload)}</li>")
        elif kind == "table":
            rows = payload
            parts.append("<table>")
            parts.append("  <thead><tr>" + "".join(f"<th>{e(c)}</th>" for c in rows[0]) + "</tr></thead>")
            parts.append("  <tbody>")
            for r in rows[1:]:
                parts.append("    <tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>")
            parts.append("  </tbody>")
            parts.append("</table>")
    if in_list:
        parts.append("</ul>")
    body = "\n".join(parts)
    doc = f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{e(title)}</title>
<style>
body {{ font-family: Arial, Helvetica, sans-serif; max-width: 52em; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #999; padding: 4px 8px; text-align: left; }}
th {{ background: #e3eaf2; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""
    with open(out, "w", encoding="utf-8") as f:
        f.write(doc)


HTML_LANG = {
    "valcervo_relazione_annuale_2024": "it",
    "roztocze_membership_fees_2025": "en",
    "vaettern_service_prices_2025": "en",
}


# ---------------------------------------------------------------- TXT wrapping
def wrap_txt(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    out = []
    changed = False
    for line in lines:
        line = line.rstrip()
        if len(line) <= WIDTH:
            out.append(line)
            continue
        changed = True
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        sub = indent
        for marker in ("* ", "- ", "+ "):
            if stripped.startswith(marker):
                sub = indent + " " * len(marker)
                break
        out.extend(textwrap.wrap(line, width=WIDTH, initial_indent="", subsequent_indent=sub,
                                 break_long_words=False, break_on_hyphens=False,
                                 drop_whitespace=True) or [""])
    if changed:
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(out) + "\n")
    return changed


def main():
    ensure_libs()
    os.makedirs(DOCS, exist_ok=True)
    for stem, fmt in sorted(TARGETS.items()):
        src = os.path.join(SRC, stem + ".txt")
        with open(src, encoding="utf-8") as f:
            text = f.read()
        blocks = parse(text)
        title = next((p for k, p in blocks if k == "h1"), stem)
        out = os.path.join(DOCS, f"{stem}.{fmt}")
        if fmt == "pdf":
            build_pdf(blocks, out, title)
        elif fmt == "docx":
            build_docx(blocks, out, title)
        elif fmt == "html":
            build_html(blocks, out, title, HTML_LANG.get(stem, "en"))
        print(f"built docs/{stem}.{fmt}")
    for name in sorted(os.listdir(DOCS)):
        if name.endswith(".txt"):
            if wrap_txt(os.path.join(DOCS, name)):
                print(f"wrapped docs/{name}")
    print("done")


if __name__ == "__main__":
    main()
