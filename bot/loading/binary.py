"""PDF and DOCX: text read through pypdf (page by page, page numbers kept) and python-docx
(paragraphs and tables in order, Heading and list styles kept), metadata from the document
properties, within the limits of ``bot.limits`` (PDF pages, DOCX XML, characters).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Collection
from typing import Any

from .. import reflow
from ..errors import LoadError
from ..limits import Limits
from .document import (
    METADATA_KEYS,
    Block,
    Parsed,
    as_item,
    clean,
    looks_like_heading,
    table_row_text,
)
from .pdf_tables import figure_tables


def _one_line(text: str, keep_hyphen: Collection[str] = ()) -> str:
    """Text whose line breaks do not matter (a heading, a table cell) on one line."""
    return reflow.join_lines([line for line in map(clean, text.splitlines()) if line],
                             keep_hyphen)


def parse_pdf(data: bytes, limits: Limits) -> Parsed:
    """PDF: text page by page (page numbers kept); tables of figures become rows; short
    stand-alone lines become headings."""
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
    page_lines = [figure_tables(lines) for lines in _without_furniture(
        [[line for line in map(clean, text.splitlines())
          if line and not re.fullmatch(r"(page )?\d+( of \d+)?", line, re.I)]
         for text in pages])]
    width = reflow.document_width(page_lines)
    keep = reflow.hyphenated_words("\n".join(pages))
    blocks: list[Block] = []
    section: tuple[str, ...] = ()
    last = ""  # the last line of the page before, when it ended a block
    for number, lines in enumerate(page_lines, start=1):
        lines, headings = reflow.page_headings(lines, looks_like_heading)
        start = 0
        for group in reflow.split_paragraphs(lines, width_hint=width, alone=headings):
            text = reflow.join_lines(group, keep)
            if start in headings:
                section = (text,)
            elif start == 0 and blocks and blocks[-1].page == number - 1 and " | " not in last \
                    and reflow.runs_on(last, group[0], width):
                # a sentence running on from the page before (a table row runs on to no line):
                # its block keeps that page
                blocks[-1].text = reflow.join_lines([blocks[-1].text, text], keep)
            else:
                blocks.append(Block(as_item(text), section, number))
            start += len(group)
        last = lines[-1] if lines and len(lines) - 1 not in headings else ""
    if not blocks:
        raise LoadError("the PDF has no extractable text (scanned images need OCR first)")
    title = str(info.title) if getattr(info, "title", None) else None
    if not title and blocks and blocks[0].section:
        title = blocks[0].section[0]
    return Parsed(blocks, title, meta)


def _without_furniture(pages: list[list[str]]) -> list[list[str]]:
    """The lines of each page without the running header and footer every page repeats
    ("Sundheia Health Tech Cluster - Annual Report 2024 - page 2", figures aside): a line that
    opens every page, or is among the last two of every page. The first page keeps its first
    line, the document's title; a sentence, or a table's header at the foot of one page and
    the head of the next, is no furniture."""
    if len(pages) < 2:
        return pages

    def shape(line: str) -> str:
        return re.sub(r"\d+", "#", " ".join(line.split()).lower())

    def furniture(lines: list[str]) -> set[str]:
        return {shape(line) for line in lines if not line.rstrip().endswith((".", "!", "?"))}

    heads = set.intersection(*(furniture(lines[:1]) for lines in pages))
    feet = set.intersection(*(furniture(lines[-2:]) for lines in pages))
    kept = []
    for number, lines in enumerate(pages):
        last = max(1, len(lines) - 2)
        kept.append([line for n, line in enumerate(lines)
                     if not (n == 0 and number > 0 and shape(line) in heads)
                     and not (n >= last and shape(line) in feet)])
    return kept


def parse_docx(data: bytes, limits: Limits) -> Parsed:
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
        lines = [line for line in map(clean, paragraph.text.split("\n")) if line]
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
            blocks.extend(Block(as_item(text), section)
                          for text in reflow.reflow(lines, width_hint=width, keep_hyphen=keep))
    if title is None and stack:
        title = stack[0][1]
    return Parsed(blocks, title, meta)


def _paragraph_styles(document: Any) -> Callable[[Any], str]:
    """The style name of a paragraph element, from a table made once: python-docx's
    ``Paragraph.style`` scans every style of the document for each paragraph."""
    from docx.enum.style import WD_STYLE_TYPE

    styles = document.styles
    names = {s.style_id: s.name or "" for s in styles if s.type == WD_STYLE_TYPE.PARAGRAPH}
    default = styles.default(WD_STYLE_TYPE.PARAGRAPH)
    fallback = (default.name if default is not None else "") or ""
    return lambda element: names.get(element.style, fallback)
