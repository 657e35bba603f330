"""Comparisons answered a line per side: the organisations a question names, each asked the
question in turn, or the clusters found when it names none; and "which cluster has the most
...?" answered by ranking each cluster's best sentence by its figure.

The answerer's own scoring does the reading: a ``Scoring`` hands its callables over, so this
module decides only which sentences make the lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from ..retrieval import Hit, Query, subject_question
from . import Answer
from .passages import MAX_LIST_ITEMS, belongs, cluster_of
from .tables import figure_near
from .vocabulary import Superlative

#: A comparison's line for an organisation no retrieved passage speaks of.
NOT_FOUND = "the sources found say nothing about this."
#: The most organisations (or clusters found) a comparison gives a line to.
MAX_SIDES = 4


class Candidate(Protocol):
    """A quotable piece of a hit as the answerer scored it."""

    text: str
    hit_rank: int
    score: float
    typed: bool
    dated: bool
    has_attribute: bool


@dataclass(frozen=True)
class Scoring:
    """The answerer's reading of a question and of the hits: ``analyse(question, query,
    compared)`` the question, ``score(analysed, query, hits)`` every candidate,
    ``best(candidates, analysed, query)`` the one that passes every check (or none and the
    reason); ``answer(text, hits, best)`` and ``abstain(reason)`` write the answer."""

    analyse: Callable[[str, Query, bool], Any]
    score: Callable[[Any, Query, list[Hit]], list[Any]]
    best: Callable[[list[Any], Any, Query], tuple[list[Any], str]]
    answer: Callable[[str, list[Hit], Any], Answer]
    abstain: Callable[[str], Answer]
    min_evidence: float


def compare(scoring: Scoring, question: str, query: Query, hits: list[Hit],
            subjects: list[str]) -> Answer:
    """A line per organisation compared, each with its best sentence of the kind asked:
    the question is asked of each organisation it names in turn."""
    if len(subjects) < 2:
        return compare_found(scoring, question, query, hits)
    main = question.split(" (following:")[0]
    context = question[len(main):]
    subjects = subjects[:MAX_SIDES]
    names = [query.name_of(s) for s in subjects]
    lines: list[tuple[str, Candidate | None]] = []
    for subject, name in zip(subjects, names, strict=True):
        single_text = subject_question(main, name, names) + context
        single = replace(query, text=single_text, comparison=False, compares=False, others=[],
                         entities=[subject] if subject in query.entities else [])
        analysed = scoring.analyse(single_text, single, True)
        others = [n for n in names if n != name]
        candidates = [c for c in scoring.score(analysed, single, hits)
                      if belongs(c.text, hits[c.hit_rank], {subject, name}, others)]
        chosen, _ = scoring.best(candidates, analysed, single)
        lines.append((name, chosen[0] if chosen else None))
    answered = [c for _, c in lines if c is not None]
    if not answered:
        return scoring.abstain("no passage states what is asked for any of "
                               f"{', '.join(names)}")
    text = "\n".join(f"- {name}: {c.text} [{c.hit_rank + 1}]" if c else
                     f"- {name}: {NOT_FOUND}" for name, c in lines)
    return scoring.answer(text, hits, max(answered, key=lambda c: c.score))


def compare_found(scoring: Scoring, question: str, query: Query, hits: list[Hit]) -> Answer:
    """A comparison that names no two organisations: a line per cluster found."""
    analysed = scoring.analyse(question, query, True)
    candidates = [c for c in scoring.score(analysed, query, hits) if c.dated]
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


def rank_clusters(scoring: Scoring, question: str, query: Query, hits: list[Hit],
                  ranking: Superlative) -> Answer | None:
    """"Which cluster has the most ...?": the best sentence of each cluster found that
    states the fact asked, ranked by its figure, a line per cluster."""
    analysed = scoring.analyse(question, query, True)
    if analysed.kind not in ("count", "percent", "money"):
        return None
    candidates = [c for c in scoring.score(analysed, query, hits)
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
    order = sorted(figures.items(), key=lambda item: item[1][0], reverse=ranking.highest)
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
