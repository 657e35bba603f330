"""Asking a question set of a ``Bot``: each answer with its retrieved and cited sources, whether
it holds the key facts, and the faults in its text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

from .checks import (
    asked_organisations,
    cut_short_pieces,
    known_organisations,
    wrong_organisation_statements,
)
from .questions import EvalQuestion, language_group


@dataclass
class QuestionResult:
    """How the bot did on one question."""

    id: str
    kind: str
    question: str
    answer: str
    abstained: bool
    answerable: bool
    ranked_sources: list[str]
    cited_sources: list[str]
    expected_sources: list[str]
    facts_found: bool | None
    seconds: float
    #: names of the organisations the question asks about (with their other names)
    organisations: list[str] = field(default_factory=list)
    #: the cluster of each numbered source of the answer
    source_clusters: dict[int, str | None] = field(default_factory=dict)
    #: "de", or "en on de" for a question asked in another language than its documents'
    language: str | None = None
    #: the answer's cited figures that come from another organisation's document
    wrong_organisation: list[str] = field(init=False)
    #: the answer's quoted pieces that stop in the middle of a sentence before their marker
    cut_short: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.wrong_organisation = ([] if self.abstained else wrong_organisation_statements(
            self.answer, self.organisations, self.source_clusters))
        self.cut_short = cut_short_pieces(self.answer)

    def rank(self) -> int | None:
        """1-based rank of the first expected document among the retrieved, or None."""
        for position, source in enumerate(self.ranked_sources, start=1):
            if source in self.expected_sources:
                return position
        return None


def facts_present(answer: str, facts: list[str]) -> bool:
    """Whether every key fact (alternatives split by ``|``) occurs in the answer."""
    text = _normalise(answer)
    return all(any(_normalise(option) in text for option in fact.split("|")) for fact in facts)


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip().lower()


def run_questions(bot: Any, questions: list[EvalQuestion], retrieve_k: int = 10,
                  progress: Callable[[int, int], None] | None = None) -> list[QuestionResult]:
    """Ask every question (follow-ups after the question they follow) and record the results."""
    by_id = {q.id: q for q in questions}
    known = known_organisations(bot.documents())
    answers: dict[str, str] = {}
    asked: dict[str, list[str]] = {}

    def organisations(q: EvalQuestion) -> list[str]:
        """What ``q`` asks about; a follow-up that names nothing, what its first question did."""
        if q.id not in asked:
            names = asked_organisations(q.question, known, q.organisations)
            asked[q.id] = names or (organisations(by_id[q.follows]) if q.follows else [])
        return asked[q.id]

    results: list[QuestionResult] = []
    for done, q in enumerate(questions, start=1):
        history: list[dict[str, str]] = []
        if q.follows:
            first = by_id[q.follows]
            if first.id not in answers:
                answers[first.id] = bot.ask(first.question).text
            history = [{"role": "user", "content": first.question},
                       {"role": "assistant", "content": answers[first.id]}]
        started = perf_counter()
        answer = bot.ask(q.question, history=history)
        seconds = perf_counter() - started
        answers[q.id] = answer.text
        standalone = answer.metadata.get("query", q.question)
        ranked = [source for source, _ in bot.search.search_documents(standalone, retrieve_k)]
        results.append(QuestionResult(
            id=q.id, kind=q.kind, question=q.question, answer=answer.text,
            abstained=answer.abstained, answerable=q.answerable, ranked_sources=ranked,
            cited_sources=[s.source for s in answer.cited], expected_sources=q.expected_sources,
            facts_found=facts_present(answer.text, q.key_facts) if q.key_facts else None,
            seconds=seconds, organisations=organisations(q),
            source_clusters={s.n: s.cluster for s in answer.sources},
            language=language_group(q)))
        if progress:
            progress(done, len(questions))
    return results
