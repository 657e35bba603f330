"""Build the binary/HTML documents in docs/ from the plain-text copies in sources/.

sources/<docname>.txt uses a tiny markup:
  '# '  title, '## ' section heading, '- ' bullet, '| a | b |' table rows
  (first row = header, '|---|' rows ignored), blank line = paragraph break.
Also re-wraps the plain .txt documents in docs/ to at most 78 columns.

Run with: /work/main/.venv/bin/python build_docs.py   (needs fpdf2 and python-docx)
"""
import html
import os
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "sources")
DOCS = os.path.join(HERE, "docs")
FONT_DIR = "/usr/share/fonts/truetype/dejavu"


def parse(text):
    """Return list of blocks: (kind, payload)."""
    blocks, para, table = [], [], []

    def flush():
        nonlocal para, table
        if para:
            blocks.append(("p", " ".join(para)))
            para = []
        if table:
            blocks.append(("table", table))
            table = []

    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip():
            flush()
            continue
        if line.startswith("|"):
            if para:
                blocks.append(("p", " ".join(para)))
                para = []
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if all(set(c) <= set("-: ") for c in cells):
                continue
            table.append(cells)
            continue
        if table:
            blocks.append(("table", table))
            table = []
        if line.startswith("# "):
            flush(); blocks.append(("h1", line[2:].strip()))
        elif line.startswith("## "):
            flush(); blocks.append(("h2", line[3:].strip()))
        elif line.startswith("- "):
            flush(); blocks.append(("li", line[2:].strip()))
        else:
            para.append(line.strip())
    flush()
    return blocks


# ---------------------------------------------------------------- PDF
def build_pdf(blocks, out, serif=False):
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(format="A4")
    fam = "DejaVuSerif" if serif else "DejaVuSans"
    pdf.add_font("Body", "", os.path.join(FONT_DIR, fam + ".ttf"))
    pdf.add_font("Body", "B", os.path.join(FONT_DIR, fam + "-Bold.ttf"))
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(True, 18)
    pdf.add_page()
    for kind, payload in blocks:
        if kind == "h1":
            pdf.set_font("Body", "B", 16)
            pdf.multi_cell(0, 8, payload, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
        elif kind == "h2":
            pdf.ln(2)
            pdf.set_font("Body", "B", 12.5)
            pdf.multi_cell(0, 7, payload, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind == "p":
            pdf.set_font("Body", "", 10.5)
            pdf.multi_cell(0, 5.4, payload, align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2.5)
        elif kind == "li":
            pdf.set_font("Body", "", 10.5)
            pdf.set_x(pdf.l_margin + 4)
            pdf.multi_cell(0, 5.4, "\u2022 " + payload, align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind == "table":
            pdf.set_font("Body", "", 9.5)
            ncol = len(payload[0])
            widths = [3] + [1.4] * (ncol - 1) if ncol > 2 else [3, 1.5]
            with pdf.table(col_widths=widths, line_height=5.2,
                           headings_style=FontFace(emphasis="BOLD"),
                           text_align=["LEFT"] + ["RIGHT"] * (ncol - 1)) as t:
                for r in payload:
                    row = t.row()
                    for c in r:
                        row.cell(c)
            pdf.ln(3)
    pdf.output(out)


# ---------------------------------------------------------------- DOCX
def build_docx(blocks, out):
    import docx
    from docx.shared import Pt

    d = docx.Document()
    st = d.styles["Normal"]
    st.font.name = "Calibri"
    st.font.size = Pt(11)
    for kind, payload in blocks:
        if kind == "h1":
            d.add_heading(payload, level=1)
        elif kind == "h2":
            d.add_heading(payload, level=2)
        elif kind == "p":
            d.add_paragraph(payload)
        elif kind == "li":
            d.add_paragraph(payload, style="List Bullet")
        elif kind == "table":
            t = d.add_table(rows=0, cols=len(payload[0]))
            t.style = "Table Grid"
            for i, r in enumerate(payload):
                cells = t.add_row().cells
                for j, c in enumerate(r):
                    cells[j].text = c
                    if i == 0:
                        for run in cells[j].paragraphs[0].runs:
                            run.bold = True
            d.add_paragraph("")
    d.save(out)


# ---------------------------------------------------------------- HTML
CSS = {
    "newsletter": "body{font-family:Georgia,serif;max-width:720px;margin:auto;color:#222}"
                  "h1{background:#0b4f6c;color:#fff;padding:12px}h2{color:#0b4f6c;border-bottom:1px solid #ccc}"
                  "table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px 8px}",
    "pricelist": "body{font-family:Arial,sans-serif;margin:2em}h1{color:#c25400}h2{color:#555}"
                 "li{margin:3px 0}",
    "factsheet": "body{font-family:Helvetica,sans-serif;max-width:800px;margin:auto}"
                 "h1{color:#1d6b3a}h2{text-transform:uppercase;font-size:1em;color:#1d6b3a}",
}


def build_html(blocks, out, style, lang="en"):
    title = next((p for k, p in blocks if k == "h1"), "Document")
    parts = ["<!DOCTYPE html>", f'<html lang="{lang}">', "<head>", '<meta charset="utf-8">',
             f"<title>{html.escape(title)}</title>", f"<style>{CSS[style]}</style>", "</head>", "<body>"]
    if style == "newsletter":
        parts.append('<div class="wrapper"><table role="presentation" width="100%"><tr><td>')
    in_list = False
    for kind, payload in blocks:
        if kind != "li" and in_list:
            parts.append("</ul>")
            in_list = False
        if kind == "h1":
            parts.append(f"<h1>{html.escape(payload)}</h1>")
        elif kind == "h2":
            parts.append(f"<h2>{html.escape(payload)}</h2>")
        elif kind == "p":
            parts.append(f"<p>{html.escape(payload)}</p>")
        elif kind == "li":
            if not in_list:
                parts.append("<ul>")
                in_list = True
            parts.append(f"  <li>{html.escape(payload)}</li>")
        elif kind == "table":
            parts.append("<table>")
            parts.append("<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in payload[0]) + "</tr>")
            for r in payload[1:]:
                parts.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>")
            parts.append("</table>")
    if in_list:
        parts.append("</ul>")
    if style == "newsletter":
        parts.append("</td></tr></table></div>")
    parts += ["</body>", "</html>"]
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(parts) + "\n")


HTML_STYLE = {
    "cluster_pulse_newsletter_spring_2025.html": "newsletter",
    "salento_energia_listino_servizi_2025.html": "pricelist",
    "minho_digital_factsheet_2025.html": "factsheet",
}
SERIF_PDF = {"agrarnetz_vorpommern_jahresbericht_2024.pdf"}


def wrap_txt_docs(width=78):
    for name in sorted(os.listdir(DOCS)):
        if not name.endswith(".txt"):
            continue
        path = os.path.join(DOCS, name)
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        out = []
        for line in lines:
            if len(line) <= width:
                out.append(line)
                continue
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(textwrap.wrap(line.strip(), width=width, initial_indent=indent,
                                     subsequent_indent=indent, break_long_words=False,
                                     break_on_hyphens=False))
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(out) + "\n")


def main():
    for src in sorted(os.listdir(SRC)):
        if not src.endswith(".txt"):
            continue
        docname = src[:-4]
        with open(os.path.join(SRC, src), encoding="utf-8") as f:
            blocks = parse(f.read())
        out = os.path.join(DOCS, docname)
        if docname.endswith(".pdf"):
            build_pdf(blocks, out, serif=docname in SERIF_PDF)
        elif docname.endswith(".docx"):
            build_docx(blocks, out)
        elif docname.endswith(".html"):
            build_html(blocks, out, HTML_STYLE.get(docname, "factsheet"))
        else:
            continue
        print("built", docname)
    wrap_txt_docs()
    print("wrapped .txt documents to <= 78 columns")


if __name__ == "__main__":
    main()
