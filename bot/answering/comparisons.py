"""Comparisons answered a line per side: the organisations a question names, each asked the
question in turn, or the clusters found when it names none; and "which cluster has the most
...?" answered by ranking each cluster's best sentence by its figure.

The answerer's own scoring does the reading: a ``Scoring`` hands its callables over, so this
module decides only which sentences make the lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..organisations import MULTIPLE
from ..question import Question
from ..question.names import GENERIC_NAME_WORDS
from ..question.vocabulary import stem
from ..retrieval import Hit
from ..text import YEAR, content_words
from . import Answer
from .passages import MAX_LIST_ITEMS, Candidate, about, belongs, cluster_of, holds_kind, stems
from .practices import account_of
from .rankings import with_records
from .tables import Entry, Series, best_series, figure_near, has_records, table_series

#: A comparison's line for an organisation no retrieved passage speaks of.
NOT_FOUND = "the sources found say nothing about this."
#: The most organisations (or clusters found) a comparison gives a line to.
MAX_SIDES = 4


@dataclass(frozen=True)
class Scoring:
    """The answerer's reading of the hits: ``score(part, hits)`` every candidate
    for a part of the question, ``best(candidates, part, question)`` the one that passes
    every check (or none and the
    reason); ``answer(text, hits, best)`` and ``abstain(reason)`` write the answer;
    ``documents(source)`` gives the chunks of a document (for its tables)."""

    score: Callable[[Any, list[Hit]], list[Any]]
    best: Callable[[list[Any], Any, Question], tuple[list[Any], str]]
    answer: Callable[[str, list[Hit], Any], Answer]
    abstain: Callable[[str], Answer]
    min_evidence: float
    documents: Callable[[str], list[Hit]] | None = None


@dataclass(frozen=True)
class Side:
    """What answers one side of a comparison: a sentence, or a table record naming it."""

    name: str
    text: str
    hit_rank: int
    figure: float | None
    value: str


def compare(scoring: Scoring, question: Question, hits: list[Hit]) -> Answer:
    """A line per organisation compared: the records of a table that names every one of them
    (a benchmark), else each one's best sentence of the kind asked (the question asked of
    each in turn), else a record of a table that names it; then, for "who has more ...?",
    which one has."""
    if len(question.subjects) < 2:
        return compare_found(scoring, question, hits)
    subjects = question.subjects[:MAX_SIDES]
    names = [question.name_of(s) for s in subjects]
    analysed = question.as_comparison
    records = with_tables(hits, scoring.documents)
    tables = [s for s in table_series(records)
              if not dated_elsewhere(s, records, analysed.years)]
    unnamed = {stem(w) for n in names for w in content_words(n)} | question.comparing_words
    terms = {t: g for t, g in analysed.terms.items() if t not in unnamed}
    percent = analysed.kind == "percent"

    def recorded(sides: list[str]) -> Series | None:
        """The series that names all that is asked, with a figure of each side."""
        named = [s for s in tables if all(_entry(s, n) for n in sides)
                 and all(g & stems(s.name) for t, g in terms.items() if not t.isdigit())]
        return best_series(named, terms, analysed.years, lambda v: holds_kind(v, analysed.kind))

    table = recorded(subjects)
    lines: list[Side | None] = []
    best: Any = None
    for subject, name in zip(subjects, names, strict=True):
        own = table or recorded([subject])
        if table is None:
            single = question.about(subject, names)
            asked = single.as_comparison
            others = [n for n in names if n != name]
            candidates = [c for c in scoring.score(asked, hits)
                          if belongs(c.text, hits[c.hit_rank], {subject, name}, others)]
            # its own documents speak for it before another's that quotes it
            firsthand = [c for c in candidates if cluster_of(hits[c.hit_rank]) == subject]
            chosen, _ = scoring.best(firsthand, asked, single) if firsthand else ([], "")
            if not chosen:
                chosen, _ = scoring.best(candidates, asked, single)
            if chosen:
                c = chosen[0]
                best = c if best is None or c.score > best.score else best
                # a figure of the thing asked: the sentence names it
                named = any(g & stems(c.text) for t, g in terms.items() if not t.isdigit())
                number = figure_near(c.text, terms, percent) if named else None
                # practices compared: each side's account (what was done, cost, result)
                told = account_of(c, hits) if question.practice else c.text
                lines.append(Side(name, told, c.hit_rank, number,
                                  f"{number:,g}" if number is not None else ""))
                continue
        entry = _entry(own, subject) if own else None
        lines.append(Side(name, f"{own.name} — {entry.label}: {entry.cell.value}",
                          entry.hit_rank, entry.cell.number, entry.cell.value)
                     if own and entry else None)
    answered = [side for side in lines if side is not None]
    if not answered:
        return scoring.abstain("no passage states what is asked for any of "
                               f"{', '.join(names)}")
    text = "\n".join(f"- {side.name}: {side.text} [{side.hit_rank + 1}]" if side else
                     f"- {name}: {NOT_FOUND}" for name, side in zip(names, lines, strict=True))
    text += _winner(answered, question.higher)
    best = best or Evidence()  # a record is the evidence
    return scoring.answer(text, records, best)


@dataclass
class Evidence:
    """The evidence of an answer computed from records: as strong as it gets."""

    score: float = 1.0
    coverage: float = 1.0
    similarity: float = 1.0


def with_tables(hits: list[Hit], documents: Callable[[str], list[Hit]] | None) -> list[Hit]:
    """``hits`` and the records of their first documents (``with_records``), then those of
    the documents found about several organisations (a benchmark answers every side)."""
    records = with_records(hits, documents)
    if documents is None:
        return records
    held = {h.id for h in records}
    shared = dict.fromkeys(h.source for h in hits if str(h.metadata.get("cluster") or "")
                           in ("", MULTIPLE) or ";" in str(h.metadata.get("cluster")))
    return [*records, *(chunk for source in shared for chunk in documents(source)
                        if chunk.id not in held and has_records(chunk.text))]


def _entry(series: Series, name: str) -> Entry | None:
    """The entry of ``series`` labelled with the organisation ``name``."""
    return next((e for e in series.entries
                 if any(w not in GENERIC_NAME_WORDS for w in content_words(e.label))
                 and (about(e.label, name) or about(name, e.label))), None)


def dated_elsewhere(series: Series, hits: list[Hit], years: list[str]) -> bool:
    """Whether the document of ``series`` is dated (by its title) to other years than the
    question's ("data year 2023" answers no question about 2024)."""
    title = next((str(h.metadata.get("title") or "") for h in hits
                  if h.source == series.source), "")
    dated = set(re.findall(YEAR, title))
    return bool(years and dated and not dated & set(years)
                and not re.search(YEAR, series.name))


def _winner(sides: list[Side], higher: bool | None) -> str:
    """For a question that asks which side has more (or less), the line that says which,
    from the figures of the sides; nothing when it asks neither or the figures tie."""
    figured = [s for s in sides if s.figure is not None]
    if higher is None or len(figured) < 2:
        return ""
    ordered = sorted(figured, key=lambda s: s.figure, reverse=higher)
    if ordered[0].figure == ordered[1].figure:
        return ""
    against = " against ".join(f"{s.value} [{s.hit_rank + 1}]" for s in ordered)
    return f"\n{'Higher' if higher else 'Lower'}: {ordered[0].name} ({against})."


def compare_found(scoring: Scoring, question: Question, hits: list[Hit]) -> Answer:
    """A comparison that names no two organisations: a line per cluster found."""
    analysed = question.as_comparison
    candidates = [c for c in scoring.score(analysed, hits) if c.dated]
    if analysed.kind and any(c.typed for c in candidates):
        candidates = [c for c in candidates if c.typed]
    if not candidates:
        return scoring.abstain("no passage states what is asked for")
    best = max(candidates, key=lambda c: c.score)
    if best.score < scoring.min_evidence:
        return scoring.abstain(f"best evidence {best.score:.2f} is under {scoring.min_evidence}")
    lines = per_cluster(candidates, hits)
    text = "\n".join(f"- {name}: {c.text} [{c.hit_rank + 1}]" for name, c in lines)
    return scoring.answer(text, hits, best)


def rank_clusters(scoring: Scoring, question: Question, hits: list[Hit]) -> Answer | None:
    """"Which cluster has the most ...?": the best sentence of each cluster found that
    states the fact asked, ranked by its figure, a line per cluster."""
    analysed = question.as_comparison
    if analysed.kind not in ("count", "percent", "money"):
        return None
    candidates = [c for c in scoring.score(analysed, hits)
                  if c.typed and c.dated and c.has_attribute
                  and c.score >= scoring.min_evidence]
    figures: dict[str, tuple[float, Candidate]] = {}
    for candidate in sorted(candidates, key=lambda c: c.score, reverse=True):
        cluster = str(hits[candidate.hit_rank].metadata.get("cluster") or "")
        number = figure_near(candidate.text, analysed.terms, analysed.kind == "percent")
        if cluster and cluster != "multiple" and number is not None:
            figures.setdefault(cluster, (number, candidate))
    if len(figures) < 2:
        return None
    order = sorted(figures.items(), key=lambda item: item[1][0], reverse=question.ranking.highest)
    text = "\n".join(f"- {cluster}: {c.text} [{c.hit_rank + 1}]"
                     for cluster, (_, c) in order[:MAX_LIST_ITEMS])
    return scoring.answer(text, hits, max((c for _, c in figures.values()),
                                          key=lambda c: c.score))


def per_cluster(candidates: list[Candidate], hits: list[Hit]) -> list[tuple[str, Candidate]]:
    """The best sentence of each cluster found (four at most), labelled with the cluster."""
    best: dict[str, Candidate] = {}
    for candidate in sorted(candidates, key=lambda c: c.score, reverse=True):
        best.setdefault(cluster_of(hits[candidate.hit_rank]), candidate)
    return list(best.items())[:MAX_SIDES]
