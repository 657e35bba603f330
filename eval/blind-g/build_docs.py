#!/usr/bin/env python3
"""Build the blind-g evaluation documents (docs/) from their plain-text sources.

Sources
  sources/<stem>.txt            light-markup text of every .pdf/.docx/.html document
                                (# / ## headings, "- " bullets, "| a | b |" table rows,
                                 first row of a table = header, other lines = paragraphs)
  sources/text_docs/<name>.md   Markdown documents, copied verbatim to docs/
  sources/text_docs/<name>.txt  plain-text documents; every line longer than 78
                                columns is re-wrapped at 78 columns

Run with an interpreter that has fpdf2 and python-docx, e.g.
  /work/main/.venv/bin/python build_docs.py
"""
import html
import os
import shutil
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "sources")
TEXT_SRC = os.path.join(SRC, "text_docs")
DOCS = os.path.join(HERE, "docs")
FONT_DIR = "/usr/share/fonts/truetype/dejavu"
WRAP = 78

# stem -> output format for the rich documents
RICH = {
    "murztal_biohub_annual_report_2024": "pdf",
    "adige_energia_relazione_annuale_2024": "pdf",
    "peer_group_benchmark_2024": "pdf",
    "vilaine_sante_rapport_activite_2024": "docx",
    "severn_agritech_services_price_list_2025": "docx",
    "dalalven_medtech_engagement_review_2024": "docx",
    "cluster_exchange_newsletter_2025-02": "html",
    "limfjord_food_membership_fees_2025": "html",
    "hron_energy_kpi_scorecard_2024": "html",
}


# ---------------------------------------------------------------- parsing
def parse(path):
    """Return a list of blocks: (kind, payload)."""
    blocks = []
    table = None
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    for raw in lines:
        line = raw.rstrip()
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if table is None:
                table = []
                blocks.append(("table", table))
            table.append(cells)
            continue
        table = None
        if not line.strip():
            continue
        if line.startswith("## "):
            blocks.append(("h2", line[3:].strip()))
        elif line.startswith("# "):
            blocks.append(("h1", line[2:].strip()))
        elif line.startswith("- "):
            if blocks and blocks[-1][0] == "ul":
                blocks[-1][1].append(line[2:].strip())
            else:
                blocks.append(("ul", [line[2:].strip()]))
        else:
            blocks.append(("p", line.strip()))
    return blocks


# ---------------------------------------------------------------- PDF
def build_pdf(stem, blocks, out):
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    class PDF(FPDF):
        def footer(self):
            self.set_y(-12)
            self.set_font("DejaVu", "", 8)
            self.set_text_color(110, 110, 110)
            self.cell(0, 6, f"{title_text} – page {self.page_no()}", align="C")
            self.set_text_color(0, 0, 0)

    title_text = next((p for k, p in blocks if k == "h1"), stem)
    pdf = PDF(format="A4")
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_margins(18, 16, 18)
    pdf.add_font("DejaVu", "", os.path.join(FONT_DIR, "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", os.path.join(FONT_DIR, "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVu", "I", os.path.join(FONT_DIR, "DejaVuSans-Oblique.ttf"))
    pdf.set_title(title_text)
    pdf.set_author("cluster office")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for kind, payload in blocks:
        if kind == "h1":
            pdf.set_font("DejaVu", "B", 15)
            pdf.multi_cell(width, 7.5, payload, align="L")
            pdf.ln(2)
        elif kind == "h2":
            pdf.ln(2)
            pdf.set_font("DejaVu", "B", 11.5)
            pdf.multi_cell(width, 6, payload, align="L")
            pdf.ln(1)
        elif kind == "p":
            pdf.set_font("DejaVu", "", 9.5)
            pdf.multi_cell(width, 5, payload, align="L")
            pdf.ln(1.5)
        elif kind == "ul":
            pdf.set_font("DejaVu", "", 9.5)
            for item in payload:
                pdf.set_x(pdf.l_margin + 3)
                pdf.cell(4, 5, "•")
                pdf.multi_cell(width - 7, 5, item, align="L")
            pdf.ln(1.5)
        elif kind == "table":
            ncols = max(len(r) for r in payload)
            rows = [r + [""] * (ncols - len(r)) for r in payload]
            lens = [max(len(r[i]) for r in rows) for i in range(ncols)]
            lens = [min(max(l, 6), 45) for l in lens]
            tot = sum(lens)
            widths = [width * l / tot for l in lens]
            size = 8.5 if ncols <= 3 else (8 if ncols == 4 else 7.2)
            pdf.set_font("DejaVu", "", size)
            with pdf.table(
                col_widths=widths,
                width=width,
                text_align="LEFT",
                line_height=size * 0.55,
                headings_style=FontFace(emphasis="BOLD", fill_color=(225, 232, 240)),
                first_row_as_headings=True,
            ) as table:
                for r in rows:
                    row = table.row()
                    for c in r:
                        row.cell(c)
            pdf.ln(3)
    pdf.output(out)


# ---------------------------------------------------------------- DOCX
def build_docx(stem, blocks, out):
    import docx
    from docx.shared import Pt

    d = docx.Document()
    st = d.styles["Normal"]
    st.font.name = "Calibri"
    st.font.size = Pt(10.5)
    title_text = next((p for k, p in blocks if k == "h1"), stem)
    d.core_properties.title = title_text
    d.core_properties.author = "cluster office"
    for kind, payload in blocks:
        if kind == "h1":
            d.add_heading(payload, level=1)
        elif kind == "h2":
            d.add_heading(payload, level=2)
        elif kind == "p":
            d.add_paragraph(payload)
        elif kind == "ul":
            for item in payload:
                d.add_paragraph(item, style="List Bullet")
        elif kind == "table":
            ncols = max(len(r) for r in payload)
            t = d.add_table(rows=len(payload), cols=ncols)
            t.style = "Table Grid"
            for i, r in enumerate(payload):
                for j in range(ncols):
                    cell = t.cell(i, j)
                    cell.text = r[j] if j < len(r) else ""
                    if i == 0:
                        for para in cell.paragraphs:
                            for run in para.runs:
                                run.bold = True
            d.add_paragraph("")
    d.save(out)


# ---------------------------------------------------------------- HTML
CSS = """body{font-family:Arial,Helvetica,sans-serif;max-width:880px;margin:2em auto;color:#222;line-height:1.45}
h1{color:#1d4e6b;border-bottom:3px solid #1d4e6b;padding-bottom:.2em}
h2{color:#1d4e6b;margin-top:1.6em}
table{border-collapse:collapse;margin:1em 0;width:100%}
th,td{border:1px solid #9bb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#e4eef3}
.meta{color:#555;font-size:.92em}
footer{margin-top:3em;font-size:.8em;color:#777}"""


def build_html(stem, blocks, out):
    title_text = next((p for k, p in blocks if k == "h1"), stem)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{html.escape(title_text)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
    ]
    first_p = True
    for kind, payload in blocks:
        if kind == "h1":
            parts.append(f"<h1>{html.escape(payload)}</h1>")
        elif kind == "h2":
            parts.append(f"<h2>{html.escape(payload)}</h2>")
        elif kind == "p":
            cls = ' class="meta"' if first_p else ""
            first_p = False
            parts.append(f"<p{cls}>{html.escape(payload)}</p>")
        elif kind == "ul":
            parts.append("<ul>")
            parts.extend(f"  <li>{html.escape(i)}</li>" for i in payload)
            parts.append("</ul>")
        elif kind == "table":
            parts.append("<table>")
            parts.append("  <thead><tr>" + "".join(
                f"<th>{html.escape(c)}</th>" for c in payload[0]) + "</tr></thead>")
            parts.append("  <tbody>")
            for r in payload[1:]:
                parts.append("    <tr>" + "".join(
                    f"<td>{html.escape(c)}</td>" for c in r) + "</tr>")
            parts.append("  </tbody>")
            parts.append("</table>")
    parts.append(f"<footer>{html.escape(title_text)}</footer>")
    parts += ["</body>", "</html>", ""]
    with open(out, "w", encoding="utf-8") as fh:
        fh.write("\n".join(parts))


# ---------------------------------------------------------------- TXT / MD
def wrap_txt(src, out):
    res = []
    with open(src, encoding="utf-8") as fh:
        for raw in fh.read().splitlines():
            line = raw.rstrip()
            if len(line) <= WRAP:
                res.append(line)
                continue
            if line.startswith("- "):
                init, sub, body = "- ", "  ", line[2:]
            elif line.startswith("> "):
                init, sub, body = "> ", "> ", line[2:]
            else:
                init, sub, body = "", "", line
            res.extend(textwrap.wrap(body, width=WRAP, initial_indent=init,
                                     subsequent_indent=sub, break_long_words=False,
                                     break_on_hyphens=False))
    with open(out, "w", encoding="utf-8") as fh:
        fh.write("\n".join(res) + "\n")


def main():
    os.makedirs(DOCS, exist_ok=True)
    for name in os.listdir(DOCS):
        os.remove(os.path.join(DOCS, name))
    for stem, fmt in sorted(RICH.items()):
        blocks = parse(os.path.join(SRC, stem + ".txt"))
        out = os.path.join(DOCS, f"{stem}.{fmt}")
        {"pdf": build_pdf, "docx": build_docx, "html": build_html}[fmt](stem, blocks, out)
        print("built", os.path.basename(out))
    for name in sorted(os.listdir(TEXT_SRC)):
        src = os.path.join(TEXT_SRC, name)
        out = os.path.join(DOCS, name)
        if name.endswith(".md"):
            shutil.copyfile(src, out)
        elif name.endswith(".txt"):
            wrap_txt(src, out)
        else:
            continue
        print("built", name)


if __name__ == "__main__":
    main()
