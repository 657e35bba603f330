"""What loading produces: a ``Document`` of ``Block``s (a parser gives a ``Parsed``), and the
small text helpers every parser shares (whitespace, list items, table rows, heading-like lines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .. import reflow

METADATA_KEYS = ("cluster", "country", "year", "type", "topics", "illustrative", "language")


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
class Parsed:
    """What a parser reads from a file: its blocks, its title and the metadata it carries."""

    blocks: list[Block]
    title: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def table_row_text(cells: list[str], header: list[str] | None) -> str:
    """A table row as text; with a header, each cell is labelled ("Fee 2025: EUR 500")."""
    if header and len(header) == len(cells) and cells != header:
        return " | ".join(f"{h}: {c}" if h and c else c for h, c in zip(header, cells))
    return " | ".join(cells)


def clean(text: str) -> str:
    """Runs of spaces, tabs and no-break spaces as one space, the ends stripped."""
    return re.sub(r"[ \t\u00a0]+", " ", text).strip()


def as_item(text: str) -> str:
    """A list item's marker becomes "- " (other text is returned as it is)."""
    return reflow.LIST_ITEM.sub("- ", text, count=1)


def looks_like_heading(line: str) -> bool:
    """Whether a line could be a heading: short, capitalised or numbered, not a sentence's end
    nor a list item."""
    line = line.strip()
    return (
        0 < len(line) <= 80
        and not line.endswith((".", ",", ";", ":", "!", "?"))
        and not reflow.is_list_item(line)
        and not reflow.is_table_row(line)
        and line[0].isupper() | line[0].isdigit()
        and len(line.split()) <= 12
    )
