#!/usr/bin/env python3
"""Build docs/ from sources/.

sources/<stem>.txt      -> plain-text copy (light markup) of each pdf/docx/html document
sources/native/*.md     -> copied to docs/ unchanged
sources/native/*.txt    -> re-wrapped at 78 columns and written to docs/

Run with the project venv interpreter (needs fpdf2 and python-docx):
    /work/main/.venv/bin/python build_docs.py
"""
import html
import os
import shutil
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "sources")
NATIVE = os.path.join(SRC, "native")
DOCS = os.path.join(HERE, "docs")

FORMATS = {
    "brenngau_annual_report_2024": "pdf",
    "tarvenna_relazione_annuale_2024": "pdf",
    "vesselka_general_assembly_minutes_2025": "pdf",
    "merrowmouth_membership_fees_2024_2025": "docx",
    "peer_benchmark_2024": "docx",
    "korvik_engagement_review_2024": "docx",
    "cluster_compass_newsletter_winter_2025": "html",
    "telaro_lista_precios_servicios_2025": "html",
}

FONT_DIRS = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu",
             "/usr/share/fonts/TTF"]


def parse(path):
    """Return list of blocks: (kind, payload). kinds: h1,h2,h3,bullet,num,p,table."""
    blocks = []
    table = None
    with open(path, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f]
    for line in lines:
        s = line.strip()
        if s.startswith("|"):
            cells = [c.strip() for c in s.strip("|").split("|")]
            if table is None:
                table = []
                blocks.append(("table", table))
            table.append(cells)
            continue
        table = None
        if not s:
            continue
        if s.startswith("### "):
            blocks.append(("h3", s[4:]))
        elif s.startswith("## "):
            blocks.append(("h2", s[3:]))
        elif s.startswith("# "):
            blocks.append(("h1", s[2:]))
        elif s.startswith("- "):
            blocks.append(("bullet", s[2:]))
        elif len(s) > 2 and s[0].isdigit() and s[1:3] == ". ":
            blocks.append(("num", s))
        else:
            blocks.append(("p", s))
    return blocks


def find_font(name):
    for d in FONT_DIRS:
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    raise SystemExit("font %s not found (apt-get install -y fonts-dejavu-core)" % name)


def build_pdf(blocks, out):
    from fpdf import FPDF
    pdf = FPDF(format="A4")
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font("DejaVu", "", find_font("DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", find_font("DejaVuSans-Bold.ttf"))
    pdf.add_page()
    for kind, payload in blocks:
        if kind in ("h1", "h2", "h3"):
            size = {"h1": 16, "h2": 13, "h3": 11}[kind]
            pdf.ln(2)
            pdf.set_font("DejaVu", "B", size)
            pdf.multi_cell(0, size * 0.55, payload, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind in ("bullet", "num"):
            pdf.set_font("DejaVu", "", 10)
            text = ("\u2022 " + payload) if kind == "bullet" else payload
            pdf.set_x(pdf.l_margin + 4)
            pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
        elif kind == "p":
            pdf.set_font("DejaVu", "", 10)
            pdf.multi_cell(0, 5, payload, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif kind == "table":
            pdf.set_font("DejaVu", "", 9)
            ncol = max(len(r) for r in payload)
            widths = [2] + [1] * (ncol - 1)
            with pdf.table(col_widths=widths, text_align="LEFT",
                           line_height=5) as t:
                for r in payload:
                    row = t.row()
                    for c in r + [""] * (ncol - len(r)):
                        row.cell(c)
            pdf.ln(3)
    pdf.output(out)


def build_docx(blocks, out):
    import docx
    d = docx.Document()
    for kind, payload in blocks:
        if kind == "h1":
            d.add_heading(payload, level=1)
        elif kind == "h2":
            d.add_heading(payload, level=2)
        elif kind == "h3":
            d.add_heading(payload, level=3)
        elif kind == "bullet":
            d.add_paragraph(payload, style="List Bullet")
        elif kind == "num":
            d.add_paragraph(payload)
        elif kind == "p":
            d.add_paragraph(payload)
        elif kind == "table":
            ncol = max(len(r) for r in payload)
            t = d.add_table(rows=0, cols=ncol)
            t.style = "Table Grid"
            for i, r in enumerate(payload):
                cells = t.add_row().cells
                for j, c in enumerate(r + [""] * (ncol - len(r))):
                    cells[j].text = c
                    if i == 0:
                        for run in cells[j].paragraphs[0].runs:
                            run.bold = True
            d.add_paragraph("")
    d.save(out)


def build_html(blocks, out, title):
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>",
             '<meta charset="utf-8">', "<title>%s</title>" % e(title),
             "<style>body{font-family:sans-serif;max-width:50em;margin:auto}"
             "table{border-collapse:collapse}td,th{border:1px solid #999;"
             "padding:4px}</style>", "</head>", "<body>"]
    in_list = None
    for kind, payload in blocks:
        if kind in ("bullet", "num"):
            tag = "ul" if kind == "bullet" else "ol"
            if in_list != tag:
                if in_list:
                    parts.append("</%s>" % in_list)
                parts.append("<%s>" % tag)
                in_list = tag
            text = payload if kind == "bullet" else payload.split(". ", 1)[1]
            parts.append("<li>%s</li>" % e(text))
            continue
        if in_list:
            parts.append("</%s>" % in_list)
            in_list = None
        if kind in ("h1", "h2", "h3"):
            parts.append("<%s>%s</%s>" % (kind, e(payload), kind))
        elif kind == "p":
            parts.append("<p>%s</p>" % e(payload))
        elif kind == "table":
            parts.append("<table>")
            for i, r in enumerate(payload):
                tag = "th" if i == 0 else "td"
                parts.append("<tr>" + "".join("<%s>%s</%s>" % (tag, e(c), tag)
                                              for c in r) + "</tr>")
            parts.append("</table>")
    if in_list:
        parts.append("</%s>" % in_list)
    parts += ["</body>", "</html>"]
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(parts) + "\n")


def rewrap_txt(src, out, width=78):
    res = []
    with open(src, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n").rstrip()
            if len(line) <= width:
                res.append(line)
                continue
            stripped = line.lstrip()
            indent = line[: len(line) - len(stripped)]
            sub = indent
            for marker in ("- ", "* ", "> ", "Q: ", "A: "):
                if stripped.startswith(marker):
                    sub = indent + ("> " if marker == "> " else " " * len(marker))
                    break
            res.extend(textwrap.wrap(line, width=width, subsequent_indent=sub,
                                     break_long_words=False,
                                     break_on_hyphens=False))
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(res) + "\n")


def main():
    os.makedirs(DOCS, exist_ok=True)
    for stem, fmt in FORMATS.items():
        src = os.path.join(SRC, stem + ".txt")
        blocks = parse(src)
        out = os.path.join(DOCS, stem + "." + fmt)
        if fmt == "pdf":
            build_pdf(blocks, out)
        elif fmt == "docx":
            build_docx(blocks, out)
        elif fmt == "html":
            title = next((p for k, p in blocks if k == "h1"), stem)
            build_html(blocks, out, title)
        print("built", out)
    for name in sorted(os.listdir(NATIVE)):
        src = os.path.join(NATIVE, name)
        out = os.path.join(DOCS, name)
        if name.endswith(".md"):
            shutil.copyfile(src, out)
        elif name.endswith(".txt"):
            rewrap_txt(src, out)
        else:
            continue
        print("built", out)


if __name__ == "__main__":
    main()
