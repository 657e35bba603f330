"""Questions answered by computing over the records of tables and lists: the highest or the
lowest value of a series (all of them when several tie), the oldest or the youngest by a series
of years, the largest change of a thing between two years, and the total of a series. Each
value the answer gives is cited by the hit its cell is in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ..question.vocabulary import Superlative, stem, superlative
from ..retrieval import Hit
from ..text import YEAR
from .passages import about
from .tables import (
    Entry,
    Series,
    best_series,
    defined_names,
    for_audience,
    has_records,
    name_match,
    spelled_out,
    table_series,
)

#: A table that long is listed in part: its first rows by rank.
MAX_RANKED = 6
#: The documents of the first hits whose other chunks a ranking question reads.
RECORD_DOCUMENTS = 3


@dataclass(frozen=True)
class Computed:
    """An answer computed from records: its text and the hit of its first value."""

    text: str
    hit_rank: int


def compute(hits: Sequence[Hit], ranking: Superlative, terms: dict[str, frozenset[str]],
            years: Sequence[str], holds: Callable[[str], bool], entity: str | None = None,
            language: str = "en",
            documents: Callable[[str], list[Hit]] | None = None) -> Computed | None:
    """The answer ``ranking`` asks for, computed from the series of ``hits`` named like what
    ``terms`` ask for (the words that ask for the ranking name none); a question that names
    one organisation (``entity``) is answered from its own documents' records, not from a
    table across organisations; a row that totals the others ("Total") is no entry. The
    abbreviations the document of the series answered from
    defines (``documents`` gives its chunks) are written out. None when no series fits."""
    terms = naming_terms(terms, ranking)

    def spelled(series: Series) -> Series:
        chunks = documents(series.source) if documents else []
        return spelled_out(series, defined_names(chunks).get(series.source, {}))

    if ranking.years:
        series = [s for s in _of(table_series(hits, years=True), hits, ranking, entity)
                  if len(s.entries) >= 2]
        chosen = max(series, key=lambda s: (_matched(s.name, terms) + _matched(s.context, terms),
                                            len(s.entries), -_first(s)), default=None)
        return _ranked(spelled(chosen), ranking) if chosen else None
    series = [replace(s, entries=tuple(e for e in s.entries if not _is_total(e.label, language)))
              for s in _of(table_series(hits), hits, ranking, entity)]
    if ranking.change:
        return _change(series, ranking, terms, years, spelled)
    if ranking.total and (entity or ranking.of_clusters):
        return None
    asked = set(terms)
    series = [for_audience(s, asked) for s in series]
    if ranking.total:  # shares add up to nothing
        series = [s for s in series if s.across and not any("%" in e.cell.value
                                                              for e in s.entries)]
    chosen = best_series([s for s in series if len(s.entries) >= 2], terms, years, holds)
    if chosen is None or (ranking.total and _is_total(chosen.name, language)):
        return None  # "total income": the question names a total the table gives
    return _total(spelled(chosen)) if ranking.total else _ranked(spelled(chosen), ranking)


def with_records(hits: list[Hit],
                 documents: Callable[[str], list[Hit]] | None) -> list[Hit]:
    """``hits``, then the chunks with records (table rows, list items, definitions) of the
    documents of the first hits that they do not hold: the search may miss the chunk of a
    table it found the prose of."""
    if documents is None:
        return hits
    held = {h.id for h in hits}
    sources = list(dict.fromkeys(h.source for h in hits if h.text))[:RECORD_DOCUMENTS]
    return [*hits, *(chunk for source in sources for chunk in documents(source)
                     if chunk.id not in held and has_records(chunk.text))]


def naming_terms(terms: dict[str, frozenset[str]],
                 ranking: Superlative) -> dict[str, frozenset[str]]:
    """``terms`` without the words that ask for the ranking, a hyphenated word as its parts
    ("large-company": large, company)."""
    named: dict[str, frozenset[str]] = {}
    for term, group in terms.items():
        if term in ranking.words:
            continue
        parts = [p for p in term.split("-") if p] if "-" in term else []
        for part in parts if len(parts) > 1 else []:
            named.setdefault(stem(part), frozenset((stem(part),)))
        if len(parts) <= 1:
            named[term] = group
    return named


def _of(series: list[Series], hits: Sequence[Hit], ranking: Superlative,
        entity: str | None) -> list[Series]:
    """The series a question may be answered from: a question that names an organisation,
    its own documents' series when it has any and never a row across organisations; a
    question that asks which cluster, series whose entries are organisations."""
    if entity:
        own = [s for s in series if _single(s.cluster) and about(s.cluster, entity)]
        return own or [s for s in series if not (s.across and not _single(s.cluster))]
    if not ranking.of_clusters:
        return series
    clusters = {c.strip() for h in hits for c in str(h.metadata.get("cluster") or "").split(";")}
    clusters -= {"", "multiple"}
    return [s for s in series if (s.across and not _single(s.cluster)) or 2 * sum(
        any(about(e.label, c) or about(c, e.label) for c in clusters)
        for e in s.entries) > len(s.entries)]


def _single(cluster: str) -> bool:
    """Whether a document's cluster field names one organisation."""
    return bool(cluster) and cluster != "multiple" and ";" not in cluster


def _matched(text: str, terms: dict[str, frozenset[str]]) -> float:
    return name_match(text, {t: g for t, g in terms.items() if not t.isdigit()})


def _first(series: Series) -> int:
    return min(e.hit_rank for e in series.entries)


def _cited(entry: Entry) -> str:
    return f"{entry.label}: {entry.cell.value} [{entry.hit_rank + 1}]"


def _owner(series: Series) -> str:
    return f"{series.cluster}, " if _single(series.cluster) else ""


def _ranked(series: Series, ranking: Superlative) -> Computed:
    """The entry at the place asked (every entry tied with it; both ends when both are
    asked), then the ranking."""
    entries = sorted(series.entries, key=lambda e: e.cell.number, reverse=ranking.highest)
    ends = [entries, entries[::-1]] if ranking.both else [entries]
    lines = []
    for order in ends:
        chosen = order[min(ranking.place, len(order)) - 1]
        lines += [f"{e.label} — {_owner(series)}{series.name}: {e.cell.value} [{e.hit_rank + 1}]"
                  for e in order if e.cell.number == chosen.cell.number]
    lines += ["", *(f"{n}. {_cited(e)}" for n, e in enumerate(entries[:MAX_RANKED], start=1))]
    return Computed("\n".join(lines), entries[0].hit_rank)


def _total(series: Series) -> Computed:
    """The sum of a series, then its values."""
    numbers = [e.cell.number for e in series.entries]
    decimals = max((len(m.group(1)) for e in series.entries
                    for m in re.finditer(r"\d[.,](\d{1,2})(?!\d)", e.cell.value)), default=0)
    total = f"{sum(numbers):,.{decimals}f}"
    lines = [f"{_owner(series)}{series.name}, total of {len(numbers)}: {total}", ""]
    lines += [f"- {_cited(e)}" for e in series.entries]
    return Computed("\n".join(lines), _first(series))


def _change(series: list[Series], ranking: Superlative, terms: dict[str, frozenset[str]],
            years: Sequence[str], spelled: Callable[[Series], Series]) -> Computed | None:
    """The entries ranked by how much their value changed between two series that name the
    same thing in two years ("Fee 2024" and "Fee 2025", "Members end 2023" and "Members end
    2024"), absolute or relative as asked."""
    pairs: dict[tuple[str, str, bool], dict[str, Series]] = {}
    for s in series:
        named = re.findall(YEAR, s.name)
        if len(set(named)) == 1:
            key = (s.source, " ".join(re.sub(YEAR, " ", s.name).split()), s.across)
            pairs.setdefault(key, {})[named[0]] = s
    options = []
    for by_year in pairs.values():
        known = sorted(by_year)
        wanted = sorted(y for y in years if y in by_year)
        if len(known) < 2 or (years and not wanted):
            continue
        later = wanted[-1] if wanted else known[-1]
        earlier = wanted[0] if len(wanted) > 1 else max((y for y in known if y < later),
                                                         default=None)
        if earlier is None:
            continue
        old, new = by_year[earlier], by_year[later]
        score = _matched(f"{new.name} {new.context}", terms)
        if score:
            options.append((score, -_first(new), old, new))
    if not options:
        return None
    _, _, old, new = max(options, key=lambda o: o[:2])
    old, new = spelled(old), spelled(new)
    before = {e.label: e for e in old.entries}
    relative = ranking.change == "relative"
    moves = []
    for entry in new.entries:
        start = before.get(entry.label)
        if start is None or (relative and not start.cell.number):
            continue
        change = entry.cell.number - start.cell.number
        moves.append((100 * change / start.cell.number if relative else change, start, entry))
    if len(moves) < 2:
        return None
    moves.sort(key=lambda m: m[0], reverse=ranking.highest)

    def values(move: tuple[float, Entry, Entry]) -> str:
        change, start, end = move
        written = f"{change:+.1f}%" if relative else f"{change:+,.{_decimals(end)}f}"
        return (f"{start.cell.value} [{start.hit_rank + 1}] → {end.cell.value} "
                f"[{end.hit_rank + 1}], {written}")

    place = min(ranking.place, len(moves)) - 1
    lines = [f"{moves[place][2].label} — {_owner(new)}{old.name} → {new.name}: "
             f"{values(moves[place])}", ""]
    lines += [f"{n}. {m[2].label}: {values(m)}" for n, m in enumerate(moves[:MAX_RANKED], 1)]
    return Computed("\n".join(lines), moves[place][2].hit_rank)


def _decimals(entry: Entry) -> int:
    number = entry.cell.number
    return 0 if number is not None and number == int(number) else 1


def _is_total(label: str, language: str) -> bool:
    """Whether a row label names the total of the others ("Total", "Gesamt")."""
    found = superlative(label, language)
    return found is not None and found.total
