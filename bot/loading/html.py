"""HTML: the main content of a page (navigation, header, footer, scripts and styles dropped),
headings as sections, table rows labelled by their header; metadata from ``<meta>`` tags and
the page's ``lang``.
"""

from __future__ import annotations

from typing import Any

from ..limits import Limits
from .document import METADATA_KEYS, Block, Parsed, clean, table_row_text
from .text import decode_text

_HTML_DROP = ["script", "style", "noscript", "nav", "footer", "header", "aside", "form",
              "iframe", "svg", "template", "button", "select"]
_HTML_BLOCKS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "blockquote", "tr",
                "dt", "dd", "figcaption", "caption"]


def parse_html(data: bytes, limits: Limits) -> Parsed:
    """HTML: the main content only; navigation, header, footer, scripts and styles dropped."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_text(data), "lxml")
    title_tag = soup.find("title")
    title = clean(title_tag.get_text()) if title_tag else None
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
            cells = [clean(c.get_text(" ")) for c in element.find_all(["td", "th"])]
            if element.find("th") and not element.find("td"):
                headers[id(element.find_parent("table"))] = cells
                continue
            text = table_row_text(cells, headers.get(id(element.find_parent("table"))))
        else:
            text = clean(element.get_text(" "))
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
        text = clean(root.get_text(" "))
        blocks = [Block(text)] if text else []
    return Parsed(blocks, title, meta)
