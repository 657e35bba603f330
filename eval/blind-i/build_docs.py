#!/usr/bin/env python3
"""Rebuild docs/ from the plain-text sources in sources/.

Each source file is named <output file name>.txt, e.g.
sources/sundheia_annual_report_2024.pdf.txt -> docs/sundheia_annual_report_2024.pdf
The output format is taken from the output file's extension.

Light markup used in sources:
  # / ## / ###   headings
  | a | b |      table rows (first row = header; |---| separator rows ignored)
  - item         bullet list
  1. item        numbered list
  > text         quote
  ---page---     page break (PDF), ignored elsewhere
  ---            horizontal rule
  **bold** *italic*
.txt outputs are written as plain text, hard-wrapped at 75 columns.

Requires: fpdf2, python-docx (pip install fpdf2 python-docx).
"""
import html
import re
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "sources"
OUT = HERE / "docs"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

NUM_RE = re.compile(r"^(\d+)\.\s+(.*)$")


def strip_inline(s):
    s = re.sub(r"\*\*(.+?)\*\*", r"\1", s)
    s = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", s)
    return s


def parse(text):
    """Return a list of blocks: (kind, payload)."""
    blocks = []
    lines = text.splitlines()
    i = 0
    para = []

    def flush():
        if para:
            blocks.append(("para", list(para)))
            para.clear()

    while i < len(lines):
        line = lines[i].rstrip()
        s = line.strip()
        if not s:
            flush()
            i += 1
            continue
        if s == "---page---":
            flush()
            blocks.append(("page", None))
        elif s == "---":
            flush()
            blocks.append(("hr", None))
        elif s.startswith("#"):
            flush()
            level = len(s) - len(s.lstrip("#"))
            blocks.append(("h%d" % level, s[level:].strip()))
        elif s.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-{2,}:?", c) for c in cells):
                    rows.append(cells)
                i += 1
            blocks.append(("table", rows))
            continue
        elif s.startswith("- "):
            flush()
            items = []
            while i < len(lines) and lines[i].strip().startswith("- "):
                items.append(lines[i].strip()[2:])
                i += 1
            blocks.append(("ul", items))
            continue
        elif NUM_RE.match(s):
            flush()
            items = []
            while i < len(lines) and NUM_RE.match(lines[i].strip()):
                items.append(NUM_RE.match(lines[i].strip()).group(2))
                i += 1
            blocks.append(("ol", items))
            continue
        elif s.startswith(">"):
            flush()
            blocks.append(("quote", s.lstrip("> ").strip()))
        else:
            para.append(s)
        i += 1
    flush()
    return blocks


# ---------------------------------------------------------------- txt
def build_txt(text, path):
    out = []
    for line in text.splitlines():
        line = line.rstrip()
        if len(line) <= 75:
            out.append(line)
            continue
        indent = re.match(r"^\s*", line).group(0)
        m = re.match(r"^(\s*(?:[-*]|\d+[.)]|[a-z]\)|Q:|A:)\s+)", line)
        sub = " " * len(m.group(1)) if m else indent
        out.extend(textwrap.wrap(line, width=75, initial_indent="", subsequent_indent=sub,
                                 break_long_words=False, break_on_hyphens=False))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- md
def build_md(text, path):
    out = []
    for block in parse(text):
        kind, p = block
        if re.fullmatch(r"h\d", kind):
            out.append("#" * int(kind[1]) + " " + p)
        elif kind == "para":
            out.append("  \n".join(p))
        elif kind == "table":
            out.append("| " + " | ".join(p[0]) + " |")
            out.append("|" + "|".join("---" for _ in p[0]) + "|")
            for r in p[1:]:
                out.append("| " + " | ".join(r) + " |")
        elif kind == "ul":
            out.append("\n".join("- " + x for x in p))
        elif kind == "ol":
            out.append("\n".join("%d. %s" % (n + 1, x) for n, x in enumerate(p)))
        elif kind == "quote":
            out.append("> " + p)
        elif kind == "hr":
            out.append("---")
        elif kind == "page":
            continue
        out.append("")
    path.write_text("\n".join(out).rstrip() + "\n", encoding="utf-8")


# ---------------------------------------------------------------- html
def inline_html(s):
    s = html.escape(s, quote=False)
    s = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)
    s = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", s)
    return s


def build_html(text, path, lang):
    blocks = parse(text)
    title = next((p for k, p in blocks if k == "h1"), path.stem)
    body = []
    for kind, p in blocks:
        if re.fullmatch(r"h\d", kind):
            body.append("<%s>%s</%s>" % (kind, inline_html(p), kind))
        elif kind == "para":
            body.append("<p>" + "<br>\n".join(inline_html(x) for x in p) + "</p>")
        elif kind == "table":
            rows = ["<tr>" + "".join("<th>%s</th>" % inline_html(c) for c in p[0]) + "</tr>"]
            for r in p[1:]:
                rows.append("<tr>" + "".join("<td>%s</td>" % inline_html(c) for c in r) + "</tr>")
            body.append('<table border="1" cellpadding="4">\n' + "\n".join(rows) + "\n</table>")
        elif kind == "ul":
            body.append("<ul>\n" + "\n".join("<li>%s</li>" % inline_html(x) for x in p) + "\n</ul>")
        elif kind == "ol":
            body.append("<ol>\n" + "\n".join("<li>%s</li>" % inline_html(x) for x in p) + "\n</ol>")
        elif kind == "quote":
            body.append("<blockquote>%s</blockquote>" % inline_html(p))
        elif kind == "hr":
            body.append("<hr>")
    doc = (
        '<!DOCTYPE html>\n<html lang="%s">\n<head>\n<meta charset="utf-8">\n<title>%s</title>\n'
        "<style>body{font-family:Arial,sans-serif;max-width:860px;margin:auto}"
        "table{border-collapse:collapse}th{background:#e8eef4}</style>\n</head>\n<body>\n"
        '<nav><a href="#">Home</a> | <a href="#">Members</a> | <a href="#">News</a> | '
        '<a href="#">Contact</a></nav>\n<main>\n%s\n</main>\n'
        "<footer><p>&copy; 2025 - cookies are used on this site for statistics only.</p></footer>\n"
        "</body>\n</html>\n"
    ) % (lang, html.escape(strip_inline(title)), "\n".join(body))
    path.write_text(doc, encoding="utf-8")


# ---------------------------------------------------------------- docx
def add_runs(par, s):
    parts = re.split(r"(\*\*.+?\*\*)", s)
    for part in parts:
        if part.startswith("**") and part.endswith("**") and len(part) > 4:
            par.add_run(part[2:-2]).bold = True
        elif part:
            par.add_run(strip_inline(part))


def build_docx(text, path):
    from docx import Document
    from docx.shared import Pt

    d = Document()
    d.styles["Normal"].font.name = "Calibri"
    d.styles["Normal"].font.size = Pt(10.5)
    blocks = parse(text)
    title = next((p for k, p in blocks if k == "h1"), "")
    d.sections[0].footer.paragraphs[0].text = strip_inline(title) + " - internal"
    for kind, p in blocks:
        if re.fullmatch(r"h\d", kind):
            d.add_heading(strip_inline(p), level=min(int(kind[1]) - 1, 3) if kind != "h1" else 0)
        elif kind == "para":
            par = d.add_paragraph()
            for n, x in enumerate(p):
                if n:
                    par.add_run().add_break()
                add_runs(par, x)
        elif kind == "table":
            ncol = max(len(r) for r in p)
            t = d.add_table(rows=0, cols=ncol)
            t.style = "Table Grid"
            for ri, r in enumerate(p):
                cells = t.add_row().cells
                for ci in range(ncol):
                    val = strip_inline(r[ci]) if ci < len(r) else ""
                    cells[ci].text = val
                    if ri == 0:
                        for run in cells[ci].paragraphs[0].runs:
                            run.bold = True
            d.add_paragraph()
        elif kind == "ul":
            for x in p:
                add_runs(d.add_paragraph(style="List Bullet"), x)
        elif kind == "ol":
            for x in p:
                add_runs(d.add_paragraph(style="List Number"), x)
        elif kind == "quote":
            add_runs(d.add_paragraph(style="Quote"), p)
        elif kind == "page":
            d.add_page_break()
    d.save(str(path))


# ---------------------------------------------------------------- pdf
def build_pdf(text, path):
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    blocks = parse(text)
    title = strip_inline(next((p for k, p in blocks if k == "h1"), path.stem))

    class PDF(FPDF):
        def footer(self):
            self.set_y(-12)
            self.set_font("DejaVu", "", 7)
            self.set_text_color(110)
            self.cell(0, 6, "%s  -  page %d" % (title[:80], self.page_no()), align="C")
            self.set_text_color(0)

    pdf = PDF(format="A4")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVu", "I", str(FONT_DIR / "DejaVuSans-Oblique.ttf"))
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_margins(18, 16, 18)
    pdf.add_page()
    sizes = {"h1": 15, "h2": 12.5, "h3": 11}
    for kind, p in blocks:
        if kind in sizes:
            pdf.ln(2)
            pdf.set_font("DejaVu", "B", sizes[kind])
            pdf.multi_cell(0, 7, strip_inline(p), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind == "para":
            pdf.set_font("DejaVu", "", 9.5)
            pdf.multi_cell(0, 5, "\n".join(strip_inline(x) for x in p), new_x="LMARGIN", new_y="NEXT", align="L")
            pdf.ln(2)
        elif kind == "table":
            pdf.set_font("DejaVu", "", 8.5)
            ncol = max(len(r) for r in p)
            first = 2.2 if ncol > 3 else 2.0
            widths = [first] + [1] * (ncol - 1)
            with pdf.table(col_widths=widths, text_align=["LEFT"] + ["RIGHT"] * (ncol - 1),
                           headings_style=FontFace(emphasis="BOLD", fill_color=(225, 232, 240)),
                           line_height=5) as t:
                for r in p:
                    row = t.row()
                    for ci in range(ncol):
                        row.cell(strip_inline(r[ci]) if ci < len(r) else "")
            pdf.ln(3)
        elif kind in ("ul", "ol"):
            pdf.set_font("DejaVu", "", 9.5)
            for n, x in enumerate(p):
                mark = "\u2022 " if kind == "ul" else "%d. " % (n + 1)
                pdf.multi_cell(0, 5, mark + strip_inline(x), new_x="LMARGIN", new_y="NEXT", align="L")
            pdf.ln(2)
        elif kind == "quote":
            pdf.set_font("DejaVu", "I", 9.5)
            pdf.multi_cell(0, 5, strip_inline(p), new_x="LMARGIN", new_y="NEXT", align="L")
            pdf.ln(2)
        elif kind == "hr":
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
            pdf.ln(2)
        elif kind == "page":
            pdf.add_page()
    pdf.output(str(path))


LANG = {"guadalvera": "es", "kinzigtal": "de"}


def main():
    OUT.mkdir(exist_ok=True)
    n = 0
    for src in sorted(SRC.glob("*.txt")):
        name = src.name[:-4]
        text = src.read_text(encoding="utf-8")
        out = OUT / name
        ext = out.suffix.lower()
        if ext == ".txt":
            build_txt(text, out)
        elif ext == ".md":
            build_md(text, out)
        elif ext == ".html":
            build_html(text, out, LANG.get(name.split("_")[0], "en"))
        elif ext == ".docx":
            build_docx(text, out)
        elif ext == ".pdf":
            build_pdf(text, out)
        else:
            print("skip", src.name, file=sys.stderr)
            continue
        n += 1
        print("built", out.name)
    print("%d documents built" % n)


if __name__ == "__main__":
    main()
