#!/usr/bin/env python3
"""Rebuild docs/*.pdf, *.docx, *.html from their plain-text copies in sources/.
Needs fpdf2 and python-docx (e.g. run with /work/main/.venv/bin/python)."""
import os, html, re, sys
from fpdf import FPDF
from fpdf.fonts import FontFace
import docx
from docx.shared import Pt

BASE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(BASE, 'sources'); DOCS = os.path.join(BASE, 'docs')
FONT = '/usr/share/fonts/truetype/dejavu/'

def parse(text):
    blocks = []  # (kind, payload)
    table = None; bullets = None
    for line in text.splitlines():
        if line.startswith('|'):
            cells = [c.strip() for c in line.strip().strip('|').split('|')]
            if all(re.fullmatch(r':?-+:?', c) for c in cells):
                continue
            if table is None:
                table = []; blocks.append(('table', table))
            table.append(cells); continue
        table = None
        if line.startswith('- '):
            if bullets is None:
                bullets = []; blocks.append(('ul', bullets))
            bullets.append(line[2:]); continue
        bullets = None
        if not line.strip():
            continue
        if line.startswith('# '): blocks.append(('h1', line[2:]))
        elif line.startswith('## '): blocks.append(('h2', line[3:]))
        else: blocks.append(('p', line))
    return blocks

def make_pdf(blocks, out, title):
    pdf = FPDF(format='A4'); pdf.set_margins(20, 18, 20)
    pdf.add_font('DejaVu', '', FONT + 'DejaVuSans.ttf')
    pdf.add_font('DejaVu', 'B', FONT + 'DejaVuSans-Bold.ttf')
    pdf.set_title(title); pdf.set_author('ClusterMirror'); pdf.add_page()
    for kind, pl in blocks:
        if kind == 'h1':
            pdf.set_font('DejaVu', 'B', 15); pdf.multi_cell(0, 8, pl, align='L', new_x='LMARGIN', new_y='NEXT'); pdf.ln(3)
        elif kind == 'h2':
            pdf.ln(2); pdf.set_font('DejaVu', 'B', 12); pdf.multi_cell(0, 7, pl, align='L', new_x='LMARGIN', new_y='NEXT'); pdf.ln(1)
        elif kind == 'p':
            pdf.set_font('DejaVu', '', 10); pdf.multi_cell(0, 5.2, pl, align='L', new_x='LMARGIN', new_y='NEXT'); pdf.ln(2)
        elif kind == 'ul':
            pdf.set_font('DejaVu', '', 10)
            for b in pl:
                pdf.set_x(24); pdf.multi_cell(0, 5.2, '\u2022 ' + b, align='L', new_x='LMARGIN', new_y='NEXT'); pdf.ln(1)
            pdf.ln(1)
        elif kind == 'table':
            pdf.set_font('DejaVu', '', 9)
            with pdf.table(headings_style=FontFace(emphasis='BOLD'), line_height=5.5, text_align='LEFT') as t:
                for r in pl:
                    row = t.row()
                    for c in r: row.cell(c)
            pdf.ln(3)
    pdf.output(out)

def make_docx(blocks, out, title):
    d = docx.Document(); d.core_properties.title = title
    st = d.styles['Normal']; st.font.name = 'Calibri'; st.font.size = Pt(11)
    for kind, pl in blocks:
        if kind == 'h1': d.add_heading(pl, level=1)
        elif kind == 'h2': d.add_heading(pl, level=2)
        elif kind == 'p': d.add_paragraph(pl)
        elif kind == 'ul':
            for b in pl: d.add_paragraph(b, style='List Bullet')
        elif kind == 'table':
            t = d.add_table(rows=0, cols=len(pl[0])); t.style = 'Table Grid'
            for i, r in enumerate(pl):
                cells = t.add_row().cells
                for j, c in enumerate(r):
                    cells[j].text = c
                    if i == 0:
                        for run in cells[j].paragraphs[0].runs: run.bold = True
    d.save(out)

def make_html(blocks, out, title):
    e = html.escape
    parts = ['<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">',
             f'<title>{e(title)}</title>',
             '<style>body{font-family:Arial,sans-serif;max-width:860px;margin:2em auto;line-height:1.5}table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px 8px;text-align:left}</style>',
             '</head>', '<body>', '<main>']
    for kind, pl in blocks:
        if kind in ('h1', 'h2'): parts.append(f'<{kind}>{e(pl)}</{kind}>')
        elif kind == 'p': parts.append(f'<p>{e(pl)}</p>')
        elif kind == 'ul': parts.append('<ul>\n' + '\n'.join(f'  <li>{e(b)}</li>' for b in pl) + '\n</ul>')
        elif kind == 'table':
            rows = ['<table>', '  <thead><tr>' + ''.join(f'<th>{e(c)}</th>' for c in pl[0]) + '</tr></thead>', '  <tbody>']
            rows += ['    <tr>' + ''.join(f'<td>{e(c)}</td>' for c in r) + '</tr>' for r in pl[1:]]
            rows += ['  </tbody>', '</table>']
            parts.append('\n'.join(rows))
    parts += ['</main>', '</body>', '</html>']
    open(out, 'w', encoding='utf-8').write('\n'.join(parts) + '\n')

for fn in sorted(os.listdir(SRC)):
    if not fn.endswith('.txt'): continue
    target = fn[:-4]; ext = target.rsplit('.', 1)[1]
    text = open(os.path.join(SRC, fn), encoding='utf-8').read()
    blocks = parse(text); title = blocks[0][1]
    out = os.path.join(DOCS, target)
    {'pdf': make_pdf, 'docx': make_docx, 'html': make_html}[ext](blocks, out, title)
    print('built', target)
