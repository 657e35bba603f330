"""Tables and lists as records: the series of numbers a ranking question is answered from.

Loaders write a table row as one line of labelled cells ("Member category: Start-up | 2025 fee:
EUR 250"). Here those lines become rows again, the rows of one table (one document, one set of
headers) are read as series of numbers — a column of figures labelled by the first cell of each
row, or a row of figures labelled by the column headers when the columns are organisations —
and so are lists whose items each give a thing and its price. A label the document defines as
an abbreviation is written out; the series whose name matches what a question asks for is
chosen here, and ranked in ``rankings``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ..question.vocabulary import stem
from ..retrieval import Hit
from ..text import NUMBER, YEAR, parse_number
from .passages import holds_kind, stems

_WORD = r"[A-Z](?:[\w&'’-]|\.(?=\w))*"  # "St.Gallen", not the full stop after a name
_NAME = rf"{_WORD}(?:\s+(?:{_WORD}|of|and|for|&|de|du|der|und|di|del))*"
#: "HOC = Helgeland Ocean Cluster", and "Helgeland Ocean Cluster (HOC)".
_DEFINED = re.compile(rf"\b(?P<abbr>[A-Z][A-Z0-9&]{{1,7}})\s*=\s*(?P<name>{_NAME})")
_NAMED = re.compile(rf"(?P<name>{_NAME})\s+\((?P<abbr>[A-Z][A-Z0-9&]{{1,7}})\)")


def holds_free(text: str) -> bool:
    """Whether ``text`` says something is free of charge."""
    return holds_kind(text, "money") and not NUMBER.search(text)


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
    #: whether the entries are labelled by column headers (a row: the columns are things)
    across: bool = False


def table_cells(line: str, years: bool = False) -> list[Cell] | None:
    """The cells of a table row line (with years as their numbers when ``years``), or None
    when the line is no table row."""
    parts = [p.strip() for p in line.split(" | ")]
    if len(parts) < 2:
        return None
    cells = []
    for part in parts:
        header, _, value = part.partition(": ") if ": " in part else ("", "", part)
        cells.append(Cell(header.strip(), value.strip(), parse_number(value.strip(), years)))
    return cells


def table_series(hits: Sequence[Hit], years: bool = False) -> list[Series]:
    """Every rankable series of the tables and lists in ``hits`` (series of years when
    ``years``): the rows of a table may come from several hits; a row is cited by the hit it
    is in; a column header or row label the document defines as an abbreviation ("HOC =
    Helgeland Ocean Cluster") is written out."""
    tables: dict[tuple[str, tuple[str, ...]], list[tuple[list[Cell], int, str]]] = {}
    for rank, hit in enumerate(hits):
        for line in hit.text.splitlines():
            cells = table_cells(line.strip(), years)
            if cells and all(c.header for c in cells[1:]):
                key = (hit.source, tuple(c.header for c in cells))
                tables.setdefault(key, []).append(
                    (cells, rank, str(hit.metadata.get("section") or "")))
    found = [] if years else _list_series(hits)
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
                                    source, cluster, across=True))
    names = defined_names(hits)
    return [spelled_out(s, names.get(s.source, {})) for s in found]


def spelled_out(series: Series, names: dict[str, str]) -> Series:
    """``series`` with each label that is an abbreviation of ``names`` written out."""
    return replace(series, entries=tuple(replace(e, label=_written_out(e.label, names))
                                         for e in series.entries))


def defined_names(hits: Sequence[Hit]) -> dict[str, dict[str, str]]:
    """Per document, the abbreviations its text defines ("**HOC** = Helgeland Ocean Cluster",
    "Helgeland Ocean Cluster (HOC)") and the names they stand for."""
    names: dict[str, dict[str, str]] = {}
    for pattern in (_DEFINED, _NAMED):  # "X = name" first: "Open Deck visits (HOC)" is none
        for hit in hits:
            defined = names.setdefault(hit.source, {})
            for match in pattern.finditer(hit.text.replace("**", "")):
                name = _name_of(match.group("name"), match.group("abbr"))
                if name:
                    defined.setdefault(match.group("abbr"), name)
    return names


def _name_of(written: str, abbreviation: str) -> str | None:
    """The name an abbreviation stands for: the words of ``written`` from the first one with
    its initial ("the Helgeland Ocean Cluster" for HOC); None when no word has it."""
    found = written.split()
    start = next((i for i, w in enumerate(found) if w[0] == abbreviation[0]), None)
    return None if start is None else " ".join(found[start:])


def has_records(text: str) -> bool:
    """Whether ``text`` holds table rows, list items with a figure or abbreviations defined."""
    return any(table_cells(line.strip()) or re.match(r"\s*- [^:]+: .*\d", line)
               for line in text.splitlines()) or bool(_DEFINED.search(text.replace("**", "")))


def _written_out(label: str, names: dict[str, str]) -> str:
    return f"{names[label]} ({label})" if label in names and "(" not in label else label


def _list_series(hits: Sequence[Hit]) -> list[Series]:
    """Lists whose items each give a thing and its figure ("- Start-up table: EUR 650"),
    named by the line that introduces the list, else by the section they are in; the items of
    one list may come from several hits."""
    lists: dict[tuple[str, str], list[Entry]] = {}
    first: dict[tuple[str, str], Hit] = {}
    for rank, hit in enumerate(hits):
        section = str(hit.metadata.get("section") or "")
        lead = section
        for line in hit.text.splitlines():
            line = line.strip()
            label, colon, value = line[2:].partition(": ")
            if line.startswith("- ") and colon and " | " not in line:
                number = parse_number(value)
                if number is not None or _parts(value):
                    lists.setdefault((hit.source, lead), []).append(
                        Entry(label, Cell(label, value, number), rank))
                    first.setdefault((hit.source, lead), hit)
                continue
            # a line that introduces what follows ("Workshops for members:", a heading line)
            # names the next list; a sentence leaves it to the section
            heading = line and not line.endswith((".", "!", "?")) and len(line.split()) <= 8
            lead = line.rstrip(":") if line.endswith(":") or heading else section
    found = []
    for (source, lead), entries in lists.items():
        unique = tuple({e.label: e for e in reversed(entries)}.values())[::-1]
        hit = first[(source, lead)]
        if len(unique) >= 2:
            found.append(Series(lead, str(hit.metadata.get("title") or ""), unique, source,
                                str(hit.metadata.get("cluster") or "")))
    return found


def _parts(value: str) -> list[str]:
    """The prices of a value that gives one per audience ("EUR 180 for members, EUR 290 for
    non-members"), or [] for a value that gives one."""
    parts = [p for p in re.split(r"[,;]\s+", value) if p.strip()]
    if len(parts) >= 2 and all(NUMBER.search(p) or holds_free(p) for p in parts):
        return parts
    return []


def for_audience(series: Series, asked: set[str]) -> Series:
    """``series`` with each value that gives a price per audience read for the audience the
    question's stems ``asked`` name (the first one written when it names none); an entry
    whose price for it is no figure ("free for members") is left out."""
    entries = []
    for entry in series.entries:
        parts = _parts(entry.cell.value)
        if not parts:
            if entry.cell.number is not None:
                entries.append(entry)
            continue
        part = max(parts, key=lambda p: len(stems(NUMBER.sub(" ", p)) & asked))
        number = parse_number(part)
        if number is not None:
            entries.append(replace(entry, cell=replace(entry.cell, number=number)))
    return replace(series, entries=tuple(entries))


def best_series(series: list[Series], terms: dict[str, frozenset[str]],
                years: Sequence[str], holds: Callable[[str], bool]) -> Series | None:
    """The series whose name asks for what ``terms`` ask for: only series whose every value
    ``holds`` the kind of fact asked, none whose name gives another year than the question's;
    then the most terms matched by the name, then by the table's context, then the fewest
    other words in the name ("Members" before "Member satisfaction" for the most members),
    then the latest year, then the best-ranked hit. None when no name matches a term."""
    named = {t: group for t, group in terms.items() if not t.isdigit()}  # years are checked apart
    asked = set(named).union(*named.values())

    def matched(text: str) -> float:
        return name_match(text, named)

    def order(s: Series) -> tuple:
        named_years = re.findall(YEAR, s.name)
        extra = {w for w in stems(s.name) - asked if not w.isdigit()}
        return (matched(s.name), matched(s.context), -len(extra),
                max(named_years, default=""), -min(e.hit_rank for e in s.entries))

    def other_year(s: Series) -> bool:
        named_years = set(re.findall(YEAR, s.name))
        return bool(years and named_years and not named_years & set(years))

    fitting = [s for s in series if matched(s.name) and not other_year(s)
               and all(holds(e.cell.value) for e in s.entries)]
    return max(fitting, key=order, default=None)


def name_match(text: str, terms: dict[str, frozenset[str]]) -> float:
    """How well ``text`` names what ``terms`` ask for: per concept asked, 1 when it holds the
    question's own word, ½ when only a synonym ("paid service": a "fee" is half a match)."""
    found = stems(text)
    best: dict[frozenset[str], float] = {}
    for term, group in terms.items():
        score = 1.0 if term in found else 0.5 if group & found else 0.0
        best[group] = max(best.get(group, 0.0), score)
    return sum(best.values())


def figure_near(text: str, terms: dict[str, frozenset[str]], percent: bool) -> float | None:
    """The figure of ``text`` written nearest to one of the words ``terms`` ask for (a share
    when ``percent``): "the cluster had 214 members and 6 staff" gives 214 for members."""
    spots = [m.start() for m in re.finditer(r"[\w'’-]+", text)
             if any(stem(m.group(0)) in group for group in terms.values())]
    figures = []
    for match in NUMBER.finditer(text):
        number = parse_number(match.group(0))
        shared = bool(re.match(r"\s*%", text[match.end():])) or "%" in match.group(0)
        if number is None or (percent and not shared):
            continue
        distance = min((abs(match.start() - spot) for spot in spots), default=len(text))
        figures.append((distance, number))
    return min(figures)[1] if figures else None
