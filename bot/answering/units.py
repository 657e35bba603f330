"""The pieces of a retrieved chunk an answer can quote: sentences, list items and table cells.

Table rows arrive from the loaders labelled with their headers ("Member category: Small
company | 2025 fee: EUR 1,000"). A row is read as a record: each cell is quoted with the row's
label ("Member category: Small company — 2025 fee: EUR 1,000"), never as a flattened row, and
numeric columns can be ranked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import split_sentences
from .guard import looks_like_instruction

MAX_LIST_ITEMS = 6
_PRONOUN = re.compile(r"\b(?:it|its|they|their|them|this|these|he|she|his|her)\b", re.I)
_NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:[ ,.\u00a0]\d{3})+(?:[.,]\d+)?(?![\d])|\d+(?:[.,]\d+)?")
_THOUSANDS = re.compile(r"^\d{1,3}(?:[ ,.\u00a0]\d{3})+$")


@dataclass
class Unit:
    """A quotable piece: its text, the text it depends on, and the table cell it quotes."""

    text: str
    context: str = ""
    row: str | None = None  #: the row's label, for a table cell
    column: str | None = None  #: the cell's header, for a table cell
    value: str | None = None  #: the cell's text, for a table cell
    group: str | None = None  #: the list it is an item of (its lead line, or where it starts)


def labelled_cells(line: str) -> list[tuple[str, str]] | None:
    """The (header, value) cells of a table row labelled by its header, or None."""
    cells = [c.strip() for c in line.split(" | ")]
    if len(cells) < 2:
        return None
    pairs = [tuple(part.strip() for part in c.split(":", 1)) for c in cells]
    if any(len(p) != 2 or not p[0] or not p[1] or len(p[0]) > 60 for p in pairs):
        return None
    return [(h, v) for h, v in pairs]


def answer_units(chunk_text: str) -> list[Unit]:
    """The pieces of a chunk an answer can quote, each with the text it depends on.

    A list item is quoted with the line that introduces it, and a short list whole; a row of a
    table whose columns are organisations (``Founded | Bioib: 2010 | bioPmed: 2009``) gives a
    piece per organisation; a header-labelled row gives a piece per cell, labelled with the
    row. A sentence with a pronoun depends on the sentence before it.
    """
    lines = [line.strip() for line in chunk_text.splitlines() if line.strip()]
    units: list[Unit] = []
    list_start = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        cells = [c.strip() for c in line.split(" | ")]
        if len(cells) >= 3 and ":" not in cells[0] and all(":" in c for c in cells[1:]):
            for cell in cells[1:]:
                column, value = (p.strip() for p in cell.split(":", 1))
                units.append(Unit(f"{cells[0]} — {cell}", row=cells[0], column=column,
                                  value=value))
            continue
        record = labelled_cells(line)
        if record and len(record) >= 2:
            label = f"{record[0][0]}: {record[0][1]}"
            units += [Unit(f"{label} — {h}: {v}", row=record[0][1], column=h, value=v)
                      for h, v in record[1:]]
            continue
        if line.endswith(":") and i < len(lines) and lines[i].startswith("- "):
            lead_sentences = split_sentences(line.removeprefix("- "))
            lead = lead_sentences[-1] if lead_sentences else line
            units += [Unit(s) for s in lead_sentences[:-1]]
            items: list[str] = []
            while i < len(lines) and lines[i].startswith("- "):
                items.append(lines[i][2:].rstrip(";."))
                i += 1
            units += [Unit(f"{lead} {item}.", line, group=line) for item in items]
            if 1 < len(items) <= MAX_LIST_ITEMS:
                units.append(Unit(f"{lead} {'; '.join(items)}.", line))
            continue
        previous = ""
        item = line.startswith("- ")
        if item and not (i >= 2 and lines[i - 2].startswith("- ")):
            list_start = f"list at line {i}"  # the first item of a list without a lead line
        for sentence in split_sentences(line.removeprefix("- ")):
            units.append(Unit(sentence, previous if _PRONOUN.search(sentence) else "",
                              group=list_start if item else None))
            previous = sentence
    return [u for u in units if len(u.text) >= 12 and len(u.text.split()) >= 3
            and not looks_like_instruction(u.text)]  # text that speaks to the assistant


_AMOUNT = re.compile(rf"(?:€|\$|£|\b(?:EUR|euros?|PLN|NOK|CHF|USD|GBP|SEK|DKK|CZK)\b)\s*"
                     rf"(?P<a>{_NUMBER.pattern})|(?P<b>{_NUMBER.pattern})\s*(?:%|€|\b(?:EUR|"
                     rf"euros?|PLN|NOK|CHF|USD|GBP|SEK|DKK|CZK|per ?cent)\b)", re.I)


_SHARE = re.compile(rf"(?P<b>{_NUMBER.pattern})\s*(?:%|per ?cent\b)", re.I)


_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def numeric_value(text: str, kind: str | None = None,
                  years: list[str] | None = None) -> float | None:
    """The figure of ``text`` as a float: a share for ``kind`` "percent" ("23%" → 23), else an
    amount ("EUR 1,000" → 1000, "12k" → 12000), else a number; of those, the one nearest to a
    year asked ("from 84 in 2021 to 97 in 2024" → 97 for 2024); or None."""
    figures = [m for m in (_SHARE if kind == "percent" else _AMOUNT).finditer(text)]
    starts = [m.start("b") if m.groupdict().get("a") is None else m.start("a") for m in figures]
    numbers = [_NUMBER.search(text, start) for start in starts] or [
        m for m in _NUMBER.finditer(text) if not _YEAR.fullmatch(m.group(0))]
    numbers = [m for m in numbers if m]
    if not numbers:
        return None
    match = numbers[0]
    spots = [m.start() for y in years or [] for m in re.finditer(rf"\b{y}\b", text)]
    if spots:
        match = min(numbers, key=lambda m: min(abs(m.start() - s) for s in spots))
    raw = match.group(0)
    if _THOUSANDS.match(raw):
        raw = re.sub(r"[ ,.\u00a0]", "", raw)
    else:
        raw = raw.replace(",", ".")
    try:
        value = float(raw)
    except ValueError:
        return None
    tail = text[match.end():match.end() + 9].lower()
    if re.match(r"\s*(?:k\b|thousand)", tail):
        value *= 1_000
    elif re.match(r"\s*(?:m\b|million|mio)", tail):
        value *= 1_000_000
    return value
