#!/usr/bin/env python3
"""Build docs/ from sources/ for the blind-j evaluation set.

Each source file sources/<document file name>.txt uses a light markup:
  @title: / @header: / @footer: / @lang:   metadata lines (anywhere)
  # / ## / ###                              headings
  | a | b | c                               table rows (first row = header)
  - item                                    bullet
  > text                                    quoted line (e-mails)
  ---page---                                page break (PDF, DOCX)
  any other non-empty line                  one paragraph

The output format is taken from the document file name's extension
(.txt, .md, .html, .docx, .pdf).

Run with: /work/main/.venv/bin/python build_docs.py
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
WRAP = 72


# --------------------------------------------------------------- parsing
def parse(text):
    meta = {}
    blocks = []  # (kind, payload)
    for raw in text.splitlines():
        line = raw.rstrip()
        m = re.match(r"^@(title|header|footer|lang):\s*(.*)$", line)
        if m:
            meta[m.group(1)] = m.group(2).strip()
            continue
        if line.strip() == "---page---":
            blocks.append(("page", None))
            continue
        if not line.strip():
            blocks.append(("blank", None))
            continue
        if line.startswith("|"):
            body = line[1:]
            cells = [c.strip() for c in body.split("|")]
            if all(re.fullmatch(r":?-{3,}:?", c) for c in cells if c):
                continue  # markdown separator row in source
            if blocks and blocks[-1][0] == "table":
                blocks[-1][1].append(cells)
            else:
                blocks.append(("table", [cells]))
            continue
        m = re.match(r"^(#{1,3})\s+(.*)$", line)
        if m:
            blocks.append(("h%d" % len(m.group(1)), m.group(2).strip()))
            continue
        if line.startswith("- "):
            if blocks and blocks[-1][0] == "ul":
                blocks[-1][1].append(line[2:].strip())
            else:
                blocks.append(("ul", [line[2:].strip()]))
            continue
        if line.startswith(">"):
            blocks.append(("quote", line[1:].strip()))
            continue
        blocks.append(("p", line.strip()))
    # normalise tables: pad rows
    for kind, payload in blocks:
        if kind == "table":
            n = max(len(r) for r in payload)
            for r in payload:
                r.extend([""] * (n - len(r)))
    return meta, blocks


def first_heading(blocks):
    for kind, payload in blocks:
        if kind in ("h1", "h2"):
            return payload
    return ""


# --------------------------------------------------------------- txt
def wrap(text, first="", rest=""):
    return textwrap.fill(text, width=WRAP, initial_indent=first,
                         subsequent_indent=rest, break_long_words=False,
                         break_on_hyphens=False)


def txt_table(rows):
    n = len(rows[0])
    widths = [max(len(r[i]) for r in rows) for i in range(n)]
    out = []
    for ri, r in enumerate(rows):
        cells = []
        for i, c in enumerate(r):
            cells.append(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]))
        out.append("  ".join(cells).rstrip())
        if ri == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def build_txt(meta, blocks):
    parts = []
    if "header" in meta:
        parts.append(meta["header"])
        parts.append("")
    prev_blank = True
    for kind, payload in blocks:
        if kind == "blank":
            if not prev_blank:
                parts.append("")
            prev_blank = True
            continue
        prev_blank = False
        if kind == "page":
            parts.append("")
            parts.append("- " * 20)
            parts.append("")
            prev_blank = True
        elif kind == "h1":
            parts.append(payload)
            parts.append("=" * len(payload))
        elif kind == "h2":
            parts.append(payload)
            parts.append("-" * len(payload))
        elif kind == "h3":
            parts.append(payload)
        elif kind == "p":
            parts.append(wrap(payload))
        elif kind == "quote":
            parts.append(wrap(payload, "> ", "> "))
        elif kind == "ul":
            for item in payload:
                parts.append(wrap(item, "- ", "  "))
        elif kind == "table":
            parts.append(txt_table(payload))
    if "footer" in meta:
        while parts and parts[-1] == "":
            parts.pop()
        parts.append("")
        parts.append("-" * WRAP)
        parts.append(wrap(meta["footer"]))
    return "\n".join(parts).rstrip() + "\n"


# --------------------------------------------------------------- md
def build_md(meta, blocks):
    parts = []
    if "header" in meta:
        parts.append("*" + meta["header"] + "*")
        parts.append("")
    for kind, payload in blocks:
        if kind == "blank":
            continue
        if kind == "page":
            parts.append("---")
        elif kind in ("h1", "h2", "h3"):
            parts.append("#" * int(kind[1]) + " " + payload)
        elif kind == "p":
            parts.append(payload)
        elif kind == "quote":
            parts.append("> " + payload)
        elif kind == "ul":
            parts.append("\n".join("- " + i for i in payload))
        elif kind == "table":
            rows = payload
            lines = ["| " + " | ".join(rows[0]) + " |",
                     "|" + "|".join("---" for _ in rows[0]) + "|"]
            for r in rows[1:]:
                lines.append("| " + " | ".join(r) + " |")
            parts.append("\n".join(lines))
        parts.append("")
    if "footer" in meta:
        parts.append("---")
        parts.append("")
        parts.append("*" + meta["footer"] + "*")
    return "\n".join(parts).rstrip() + "\n"


# --------------------------------------------------------------- html
CSS = """body{font-family:Arial,Helvetica,sans-serif;max-width:60em;margin:1em auto;color:#222}
header,footer{font-size:0.85em;color:#555;border-bottom:1px solid #ccc;padding:0.4em 0}
footer{border-top:1px solid #ccc;border-bottom:none;margin-top:2em}
table{border-collapse:collapse;margin:0.8em 0}
th,td{border:1px solid #999;padding:0.3em 0.6em;text-align:left;vertical-align:top}
th{background:#eee}"""


def build_html(meta, blocks):
    e = html.escape
    title = meta.get("title") or first_heading(blocks)
    out = ["<!DOCTYPE html>",
           '<html lang="%s">' % meta.get("lang", "en"),
           "<head>", '<meta charset="utf-8">',
           "<title>%s</title>" % e(title),
           "<style>\n%s\n</style>" % CSS, "</head>", "<body>"]
    if "header" in meta:
        out.append("<header><p>%s</p></header>" % e(meta["header"]))
    out.append("<main>")
    for kind, payload in blocks:
        if kind in ("blank",):
            continue
        if kind == "page":
            out.append("<hr>")
        elif kind in ("h1", "h2", "h3"):
            out.append("<%s>%s</%s>" % (kind, e(payload), kind))
        elif kind == "p":
            out.append("<p>%s</p>" % e(payload))
        elif kind == "quote":
            out.append("<blockquote>%s</blockquote>" % e(payload))
        elif kind == "ul":
            out.append("<ul>")
            out.extend("  <li>%s</li>" % e(i) for i in payload)
            out.append("</ul>")
        elif kind == "table":
            out.append("<table>")
            out.append("  <thead><tr>%s</tr></thead>" % "".join(
                "<th>%s</th>" % e(c) for c in payload[0]))
            out.append("  <tbody>")
            for r in payload[1:]:
                out.append("    <tr>%s</tr>" % "".join(
                    "<td>%s</td>" % e(c) for c in r))
            out.append("  </tbody>")
            out.append("</table>")
    out.append("</main>")
    if "footer" in meta:
        out.append("<footer><p>%s</p></footer>" % e(meta["footer"]))
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------- docx
def build_docx(meta, blocks, path):
    from docx import Document
    from docx.shared import Pt
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(10.5)
    sec = doc.sections[0]
    if "header" in meta:
        hp = sec.header.paragraphs[0]
        hp.text = meta["header"]
        for r in hp.runs:
            r.font.size = Pt(8)
    if "footer" in meta:
        fp = sec.footer.paragraphs[0]
        fp.text = meta["footer"]
        for r in fp.runs:
            r.font.size = Pt(8)
    title = meta.get("title") or first_heading(blocks)
    doc.core_properties.title = title
    for kind, payload in blocks:
        if kind == "blank":
            continue
        if kind == "page":
            doc.add_page_break()
        elif kind == "h1":
            doc.add_heading(payload, level=1)
        elif kind == "h2":
            doc.add_heading(payload, level=2)
        elif kind == "h3":
            doc.add_heading(payload, level=3)
        elif kind in ("p", "quote"):
            doc.add_paragraph(payload)
        elif kind == "ul":
            for i in payload:
                doc.add_paragraph(i, style="List Bullet")
        elif kind == "table":
            rows = payload
            t = doc.add_table(rows=len(rows), cols=len(rows[0]))
            t.style = "Table Grid"
            for ri, r in enumerate(rows):
                for ci, c in enumerate(r):
                    cell = t.cell(ri, ci)
                    cell.text = c
                    if ri == 0:
                        for run in cell.paragraphs[0].runs:
                            run.bold = True
            doc.add_paragraph("")
    doc.save(str(path))


# --------------------------------------------------------------- pdf
def build_pdf(meta, blocks, path):
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    class PDF(FPDF):
        def header(self):
            if meta.get("header"):
                self.set_font("DejaVu", "", 7.5)
                self.set_text_color(90, 90, 90)
                self.cell(0, 5, meta["header"], align="L",
                          new_x="LMARGIN", new_y="NEXT")
                self.ln(3)
                self.set_text_color(0, 0, 0)

        def footer(self):
            self.set_y(-14)
            self.set_font("DejaVu", "", 7)
            self.set_text_color(90, 90, 90)
            text = meta.get("footer", "")
            self.multi_cell(0, 3.5, (text + "   " if text else "")
                            + "Page %d/{nb}" % self.page_no(), align="C")
            self.set_text_color(0, 0, 0)

    pdf = PDF(format="A4")
    pdf.set_margins(18, 15, 18)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVu", "I", str(FONT_DIR / "DejaVuSans-Oblique.ttf"))
    pdf.set_title(meta.get("title") or first_heading(blocks))
    pdf.add_page()
    for kind, payload in blocks:
        if kind == "blank":
            continue
        if kind == "page":
            pdf.add_page()
        elif kind in ("h1", "h2", "h3"):
            size = {"h1": 16, "h2": 12.5, "h3": 11}[kind]
            pdf.ln(2)
            pdf.set_font("DejaVu", "B", size)
            pdf.multi_cell(0, size * 0.5, payload, new_x="LMARGIN",
                           new_y="NEXT")
            pdf.ln(1.5)
        elif kind in ("p", "quote"):
            pdf.set_font("DejaVu", "I" if kind == "quote" else "", 10)
            pdf.multi_cell(0, 5.2, payload, new_x="LMARGIN", new_y="NEXT",
                           align="L")
            pdf.ln(2)
        elif kind == "ul":
            pdf.set_font("DejaVu", "", 10)
            for i in payload:
                pdf.set_x(pdf.l_margin + 3)
                pdf.multi_cell(pdf.epw - 3, 5.2, "\u2022 " + i, align="L",
                               new_x="LMARGIN", new_y="NEXT")
                pdf.ln(0.8)
            pdf.ln(1.5)
        elif kind == "table":
            rows = payload
            n = len(rows[0])
            size = 9 if n <= 3 else (8 if n == 4 else 7.5)
            pdf.set_font("DejaVu", "", size)
            lens = [max(min(len(r[i]), 45) for r in rows) + 4
                    for i in range(n)]
            total = sum(lens)
            widths = [pdf.epw * l / total for l in lens]
            with pdf.table(col_widths=widths, first_row_as_headings=True,
                           headings_style=FontFace(emphasis="BOLD",
                                                   fill_color=(225, 225, 225)),
                           line_height=size * 0.5 + 0.8,
                           text_align="LEFT", width=pdf.epw) as table:
                for r in rows:
                    row = table.row()
                    for c in r:
                        row.cell(c)
            pdf.ln(3)
    pdf.output(str(path))


# --------------------------------------------------------------- main
def main():
    OUT.mkdir(exist_ok=True)
    sources = sorted(SRC.glob("*.txt"))
    if not sources:
        sys.exit("no sources found in %s" % SRC)
    for src in sources:
        name = src.name[:-4]  # strip the trailing .txt
        ext = name.rsplit(".", 1)[-1].lower()
        meta, blocks = parse(src.read_text(encoding="utf-8"))
        target = OUT / name
        if ext == "txt":
            target.write_text(build_txt(meta, blocks), encoding="utf-8")
        elif ext == "md":
            target.write_text(build_md(meta, blocks), encoding="utf-8")
        elif ext == "html":
            target.write_text(build_html(meta, blocks), encoding="utf-8")
        elif ext == "docx":
            build_docx(meta, blocks, target)
        elif ext == "pdf":
            build_pdf(meta, blocks, target)
        else:
            sys.exit("unknown format for %s" % src.name)
        print("built", target.relative_to(HERE))


if __name__ == "__main__":
    main()
