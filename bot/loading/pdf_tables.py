"""Tables of figures that a PDF's text extraction flattened into lines.

pypdf gives a table drawn in a PDF as one line per row, its cells run together:

    Indicator 2023 2024
    Members (total) 118 131
    Staff (FTE) 7.0 7.5

Such lines are no headings and no paragraph: they are read back into the rows other formats
give (``Indicator: Members (total) | 2023: 118 | 2024: 131``), so that the answerer finds each
figure under its column. A row is a label and figures at the end of the line (numbers, with
thousands separators, a sign, a currency sign or a per cent sign, or a dash for none); a run
of two rows or more with the same number of figures, two at least, is a table. The line before
it names the columns when its words can be told apart as so many columns (a word each, or a
year in each); a first row whose figures are all years is that line. Without it the row is
written ``label | figure | figure``. A label too long for its cell wraps onto lines of its
own ("Public grants (Scottish Enterprise, Tay Cities" / "Deal) £150,000 £140,000"): inside a
table, such lines are joined to the row they open.
"""

from __future__ import annotations

import re
from typing import NamedTuple

#: A figure of a table cell: "1,026,100", "7.5", "-3%", "€1.500", or a dash for none.
_FIGURE = re.compile(r"[-+]?[€£$]?\d[\d.,']*%?|[-–—]")
#: A sign written apart from its figure ("51 %", "900 €").
_UNIT = {"%", "€", "£", "$"}
_YEAR = re.compile(r"(?:19|20)\d\d")
#: The longest label a row may have: a longer text ending in figures is a sentence.
_MAX_LABEL = 60
#: Words a label does not end with: a line ending "... in 2023 2024" is a sentence's.
_RUNNING_ON = {"in", "of", "to", "and", "or", "by", "for", "from", "at", "on", "the", "a",
               "with", "than", "between", "since", "until", "is", "was", "were", "are"}


def figure_row(line: str, max_label: int = _MAX_LABEL) -> tuple[str, list[str]] | None:
    """The label and the figures of a line that is a row of a table of figures ("Members
    (total) 118 131": "Members (total)", ["118", "131"]); None for any other line."""
    tokens = line.split()
    cells: list[str] = []
    while tokens:
        if tokens[-1] in _UNIT and len(tokens) > 1 and _FIGURE.fullmatch(tokens[-2]):
            cells.insert(0, f"{tokens[-2]} {tokens[-1]}")
            del tokens[-2:]
        elif _FIGURE.fullmatch(tokens[-1]):
            cells.insert(0, tokens.pop())
        else:
            break
    label = " ".join(tokens)
    if (not cells or not re.search(r"[^\W\d_]", label) or len(label) > max_label
            or tokens[-1].lower() in _RUNNING_ON):
        return None
    return label, cells


def figure_tables(lines: list[str]) -> list[str]:
    """``lines`` (a PDF page's) with each table of figures written as rows of
    ``Header: cell | Header: cell``; other lines as they are."""
    unwrapped = _unwrapped(lines)
    lines = [line.text for line in unwrapped]
    rows = [line.row for line in unwrapped]
    out: list[str] = []
    i = 0
    while i < len(lines):
        row = rows[i]
        end = i
        while (row and end + 1 < len(lines) and rows[end + 1]
               and len(rows[end + 1][1]) == len(row[1])):
            end += 1
        if row is None or end == i or len(row[1]) < 2:
            out.append(lines[i])
            i += 1
            continue
        width = len(row[1])
        if _years(row[1]):  # the first row names the columns
            header, first = _columns(lines[i], width), i + 1
        else:
            header, first = (_columns(out[-1], width) if out else None), i
            if header:
                out.pop()
        out += [_record(*rows[n], header) for n in range(first, end + 1)]
        i = end + 1
    return out


class _Line(NamedTuple):
    """A line of a page: its text, its row if it is one, and the lines it was written on."""

    text: str
    row: tuple[str, list[str]] | None
    wrapped: int = 1


def _unwrapped(lines: list[str]) -> list[_Line]:
    """``lines``, each read as a row or not (once): a row's label that wrapped is joined back
    to its row. Inside a table (after a row, or the header, as wide), one or two lines that
    are no row and end no sentence open the next row, whose figures may stand on a line of
    their own ("Public and EU funding (% of" / "income)" / "53% 66% 60%")."""
    out: list[_Line] = []
    for line in lines:
        out.append(_Line(line, figure_row(line)))
        for wrapped in (2, 3):
            if len(out) <= wrapped or not all(map(_opens_row, out[-wrapped:-1])):
                break
            joined = " ".join(part.text for part in out[-wrapped:])
            row = figure_row(joined, _MAX_LABEL * wrapped)
            above = out[-wrapped - 1].row
            if row and above and len(row[1]) == len(above[1]) >= 2 and not _years(row[1]):
                out[-wrapped:] = [_Line(joined, row, wrapped)]
                break
    return out


def _years(cells: list[str]) -> bool:
    """Whether every figure of a row is a year: the row names the columns."""
    return all(_YEAR.fullmatch(cell) for cell in cells)


def _opens_row(line: _Line) -> bool:
    """Whether ``line`` may be the first line of a row's label: one line, short, no row
    itself, ending no sentence."""
    return (line.wrapped == 1 and line.row is None and len(line.text) <= _MAX_LABEL
            and not line.text.rstrip().endswith((".", ":", ";")))


def _columns(line: str, width: int) -> list[str] | None:
    """The label column's name and the ``width`` column names a header line gives, or None
    when it gives none that can be told apart: one word per column ("Indicator 2023 2024"),
    or a year in each, first ("Income stream 2023 (EUR) 2024 (EUR)") or last ("Kennzahl Ist
    2023 Ist 2024 Ziel 2026"), each column as long as the others."""
    tokens = line.split()
    if len(tokens) < width + 1 or any(t.endswith((".", ",", ";", ":")) for t in tokens):
        return None
    years = [n for n, t in enumerate(tokens) if _YEAR.fullmatch(t)]
    if len(years) == width and years[0] > 0:
        if years[-1] == len(tokens) - 1:  # the year ends each column
            size = years[-1] - years[-2] if width > 1 else 1
            starts = [n - size + 1 for n in years]
        else:
            size = len(tokens) - years[-1]
            starts = years
        spans = [tokens[a:a + size] for a in starts]
        if starts[0] > 0 and all(len(span) == size for span in spans) and all(
                b - a == size for a, b in zip(starts, starts[1:], strict=False)):
            return [" ".join(tokens[:starts[0]]), *(" ".join(span) for span in spans)]
        return None
    if len(tokens) == width + 1 and not figure_row(line):
        return tokens
    return None


def _record(label: str, cells: list[str], header: list[str] | None) -> str:
    """A row as the other formats write one."""
    if header is None:
        return " | ".join([label, *cells])
    return " | ".join(f"{name}: {value}" for name, value in zip(header, [label, *cells],
                                                               strict=True))
