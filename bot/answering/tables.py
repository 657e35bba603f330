"""Tables as records, and the superlatives computed over them.

Loaders write a table row as one line of labelled cells ("Member category: Start-up | 2025 fee:
EUR 250"). Here those lines become rows again, the rows of one table (one document, one set of
headers) are read as series of numbers — a column of figures labelled by the first cell of each
row, or a row of figures labelled by the column headers when the columns are organisations — and
a question such as "which category pays the highest fee in 2025?" is answered by ranking the
series whose name matches what it asks for. Each value is cited.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..retrieval import Hit
from .passages import stems
from .vocabulary import YEAR, stem

#: A table that long is listed in part: its first rows by rank.
MAX_RANKED = 6
_NUMBER = re.compile(r"[-−]?\d[\d.,\u202f\u00a0 ]*")
_GROUPED = re.compile(r"\d{1,3}(?:[.,\u202f\u00a0 ]\d{3})+")


@dataclass(frozen=True)
class Cell:
    """A table cell: its column header, its text and the number it states, if any."""

    header: str
    value: str
    number: float | None


@dataclass(frozen=True)
class Entry:
    """One value of a series: what it is the value of, the cell, and the hit it comes from."""

    label: str
    cell: Cell
    hit_rank: int


@dataclass(frozen=True)
class Series:
    """Numbers of one table that can be ranked: a column (``name`` is its header) or a row
    (``name`` is its label); ``context`` is the rest of what the table says about them."""

    name: str
    context: str
    entries: tuple[Entry, ...]
    source: str
    cluster: str


def parse_number(value: str) -> float | None:
    """The first number written in ``value``: "EUR 1,800" → 1800, "1.750" → 1750,
    "3,2 FTE" → 3.2, "27%" → 27; None when it states none (a year alone is no figure)."""
    match = _NUMBER.search(value)
    if not match or re.fullmatch(YEAR, match.group(0).strip()):
        return None
    text = match.group(0).strip(" .,\u202f\u00a0")
    if _GROUPED.fullmatch(text):
        text = re.sub(r"[.,\u202f\u00a0 ]", "", text)
    else:
        text = text.replace(" ", "").replace(",", ".")
    try:
        return float(text.replace("−", "-"))
    except ValueError:
        return None


def table_cells(line: str) -> list[Cell] | None:
    """The cells of a table row line, or None when the line is no table row."""
    parts = [p.strip() for p in line.split(" | ")]
    if len(parts) < 2:
        return None
    cells = []
    for part in parts:
        header, _, value = part.partition(": ") if ": " in part else ("", "", part)
        cells.append(Cell(header.strip(), value.strip(), parse_number(value)))
    return cells


def table_series(hits: Sequence[Hit]) -> list[Series]:
    """Every rankable series of the tables in ``hits``: the rows of a table may come from
    several hits; a row is cited by the hit it is in."""
    tables: dict[tuple[str, tuple[str, ...]], list[tuple[list[Cell], int, str]]] = {}
    for rank, hit in enumerate(hits):
        for line in hit.text.splitlines():
            cells = table_cells(line.strip())
            if cells and all(c.header for c in cells[1:]):
                key = (hit.source, tuple(c.header for c in cells))
                tables.setdefault(key, []).append(
                    (cells, rank, str(hit.metadata.get("section") or "")))
    found = [*_list_series(hits)]
    for (source, headers), rows in tables.items():
        hit = hits[rows[0][1]]
        cluster = str(hit.metadata.get("cluster") or "")
        section = rows[0][2]
        unique = list({tuple(c.value for c in cells): (cells, rank)
                       for cells, rank, _ in rows}.values())
        for column, header in enumerate(headers[1:], start=1):
            entries = tuple(Entry(cells[0].value, cells[column], rank) for cells, rank in unique
                            if cells[column].number is not None)
            if len(entries) >= 2:
                found.append(Series(header, f"{headers[0]} {section}", entries, source, cluster))
        for cells, rank in unique:
            entries = tuple(Entry(c.header, c, rank) for c in cells[1:] if c.number is not None)
            if len(entries) >= 3:
                found.append(Series(cells[0].value, f"{cells[0].header} {section}", entries,
                                    source, cluster))
    return found


def _list_series(hits: Sequence[Hit]) -> list[Series]:
    """Lists whose items each give a thing and its figure ("- Start-up table: EUR 650"),
    named by the line that introduces the list, else by the section they are in."""
    found: list[Series] = []
    for rank, hit in enumerate(hits):
        section = str(hit.metadata.get("section") or "")
        lead, entries = section, []
        for line in [*hit.text.splitlines(), ""]:
            line = line.strip()
            label, colon, value = line[2:].partition(": ")
            if line.startswith("- ") and colon and " | " not in line:
                number = parse_number(value)
                if number is not None:
                    entries.append(Entry(label, Cell(label, value, number), rank))
                continue
            if len(entries) >= 2:
                found.append(Series(lead, str(hit.metadata.get("title") or ""),
                                    tuple(entries), hit.source,
                                    str(hit.metadata.get("cluster") or "")))
            lead = line.rstrip(":") if line.endswith(":") else section
            entries = []
    return found


def best_series(series: list[Series], terms: dict[str, frozenset[str]],
                years: Sequence[str], holds: Callable[[str], bool]) -> Series | None:
    """The series whose name asks for what ``terms`` ask for: only series whose every value
    ``holds`` the kind of fact asked, none whose name gives another year than the question's;
    then the most terms matched by the name, then by the
    table's context, then the latest year, then the best-ranked hit. None when no name matches
    a term."""
    named = {t: group for t, group in terms.items() if not t.isdigit()}  # years are checked apart

    def matched(text: str) -> int:
        found = stems(text)
        return sum(1 for group in named.values() if group & found)

    def order(s: Series) -> tuple:
        named_years = re.findall(YEAR, s.name)
        return (matched(s.name), matched(s.context), max(named_years, default=""),
                -min(e.hit_rank for e in s.entries))

    def other_year(s: Series) -> bool:
        named_years = set(re.findall(YEAR, s.name))
        return bool(years and named_years and not named_years & set(years))

    fitting = [s for s in series if matched(s.name) and not other_year(s)
               and all(holds(e.cell.value) for e in s.entries)]
    return max(fitting, key=order, default=None)


def ranked(series: Series, highest: bool) -> list[Entry]:
    """The entries of ``series`` from the highest number (or the lowest)."""
    return sorted(series.entries, key=lambda e: e.cell.number, reverse=highest)


def ranking_text(series: Series, entries: list[Entry], place: int) -> str:
    """The answer: the entry at ``place`` (1 = first), then the ranking, each value cited."""
    chosen = entries[min(place, len(entries)) - 1]
    owner = f"{series.cluster}, " if series.cluster and series.cluster != "multiple" else ""
    lines = [f"{chosen.label} — {owner}{series.name}: {chosen.cell.value} [{chosen.hit_rank + 1}]",
             ""]
    lines += [f"{n}. {e.label}: {e.cell.value} [{e.hit_rank + 1}]"
              for n, e in enumerate(entries[:MAX_RANKED], start=1)]
    return "\n".join(lines)


def figure_near(text: str, terms: dict[str, frozenset[str]], percent: bool) -> float | None:
    """The figure of ``text`` written nearest to one of the words ``terms`` ask for (a share
    when ``percent``): "the cluster had 214 members and 6 staff" gives 214 for members."""
    spots = [m.start() for m in re.finditer(r"[\w'’-]+", text)
             if any(stem(m.group(0)) in group for group in terms.values())]
    figures = []
    for match in _NUMBER.finditer(text):
        number = parse_number(match.group(0))
        shared = bool(re.match(r"\s*%", text[match.end():])) or "%" in match.group(0)
        if number is None or (percent and not shared):
            continue
        distance = min((abs(match.start() - spot) for spot in spots), default=len(text))
        figures.append((distance, number))
    return min(figures)[1] if figures else None
