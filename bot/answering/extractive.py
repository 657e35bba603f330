"""The extractive answerer: the default, offline, and always grounded.

It picks the sentences of the retrieved chunks that best answer the question and cites each one.
A sentence scores by its meaning (embedding similarity to the question), by the question's words
it contains, by holding the kind of fact asked for (a figure, a year, a name), and by the rank of
its chunk. When even the best sentence is weak evidence, the answerer abstains.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..retrieval import Hit, Query
from ..text import content_words, split_sentences
from . import ABSTAIN_TEXT, Answer, Answerer, Source

EmbedTexts = Callable[[list[str]], Sequence[Sequence[float]]]

_NUMBER_Q = re.compile(
    r"\b(how (many|much|large|big|long|often)|number of|percentage|per ?cent|share of|proportion|"
    r"cost|costs|fee|fees|price|prices|budget|amount|rate|turnover|revenue|income of)\b", re.I)
_YEAR_Q = re.compile(r"\b(when|what year|which year|since when|founded|established|created|"
                     r"launched|set up|started)\b", re.I)
_PERSON_Q = re.compile(r"^\s*(who|whom)\b|\bwho (is|was|leads|led|heads|chairs|manages)\b", re.I)
_COMPARE_Q = re.compile(r"\b(compare|comparison|differ|difference|differences|versus|vs\.?|"
                        r"other clusters|each of|both|between)\b", re.I)
_NUMBER = re.compile(r"\d")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_NAME = re.compile(r"\b[A-Z][a-zà-ÿ]+(?:\s+(?:[A-Z]\.|[A-Z][a-zà-ÿ]+)){1,3}\b")


@dataclass
class _Candidate:
    text: str
    hit_rank: int
    position: int
    score: float = 0.0
    coverage: float = 0.0
    similarity: float = 0.0
    typed: bool = True


def expected_kind(question: str) -> str | None:
    """The kind of fact a question asks for: "number", "year", "person" or None."""
    if _PERSON_Q.search(question):
        return "person"
    if _YEAR_Q.search(question) and not re.search(r"\bhow many\b", question, re.I):
        return "year"
    if _NUMBER_Q.search(question):
        return "number"
    return None


def is_comparison(question: str, entities: Sequence[str]) -> bool:
    """Whether the question compares clusters."""
    return len(entities) >= 2 or bool(_COMPARE_Q.search(question))


def _stem(word: str) -> str:
    return word[:5] if len(word) > 5 else word


def _has_kind(text: str, kind: str | None) -> bool:
    if kind == "number":
        return bool(_NUMBER.search(text))
    if kind == "year":
        return bool(_YEAR.search(text))
    if kind == "person":
        return bool(_NAME.search(text))
    return True


class ExtractiveAnswerer(Answerer):
    """Compose an answer from the retrieved text itself, with a citation after each sentence."""

    name = "extractive"

    def __init__(self, embed_texts: EmbedTexts, min_relevance: float = 0.25,
                 min_evidence: float = 0.42, max_sentences: int = 3):
        self.embed_texts = embed_texts
        self.min_relevance = min_relevance
        self.min_evidence = min_evidence
        self.max_sentences = max_sentences

    def answer(self, question: str, query: Query, hits: list[Hit],
               history: list[dict[str, str]] | None = None) -> Answer:
        """Answer ``question`` from ``hits`` (ranked); abstain when the evidence is weak."""
        if not hits or max(h.similarity for h in hits) < self.min_relevance:
            return self._abstain("no passage is close to the question")
        kind = expected_kind(question)
        candidates = self._score(question, query, hits, kind)
        if not candidates:
            return self._abstain("the passages hold no sentence")
        best = max(candidates, key=lambda c: c.score)
        if best.score < self.min_evidence or (kind and not best.typed and best.coverage < 0.5):
            return self._abstain(f"best evidence {best.score:.2f} is under {self.min_evidence}")
        sources = [Source.from_hit(n, hit) for n, hit in enumerate(hits, start=1)]
        if is_comparison(question, query.entities):
            chosen = self._per_cluster(candidates, hits, query.entities)
            lines = [f"- {hits[c.hit_rank].metadata.get('cluster') or hits[c.hit_rank].metadata.get('title')}: "
                     f"{c.text} [{c.hit_rank + 1}]" for c in chosen]
            text = "\n".join(lines)
        else:
            chosen = self._select(candidates, best)
            text = " ".join(f"{c.text} [{c.hit_rank + 1}]" for c in chosen)
        return Answer(text, False, sources,
                      {"backend": self.name, "evidence": round(best.score, 3)})

    def _abstain(self, reason: str) -> Answer:
        return Answer(ABSTAIN_TEXT, True, [], {"backend": self.name, "abstain_reason": reason})

    def _score(self, question: str, query: Query, hits: list[Hit],
               kind: str | None) -> list[_Candidate]:
        entity_words = {w for e in query.entities for w in content_words(e)}
        terms = [_stem(w) for w in dict.fromkeys(content_words(question)) if w not in entity_words]
        candidates: list[_Candidate] = []
        for rank, hit in enumerate(hits):
            position = 0
            for line in hit.text.splitlines():
                for sentence in split_sentences(line):
                    if len(sentence) >= 12 and len(sentence.split()) >= 3:
                        candidates.append(_Candidate(sentence, rank, position))
                        position += 1
        if not candidates:
            return []
        vectors = np.asarray(self.embed_texts([c.text for c in candidates]), dtype=np.float32)
        query_vector = np.asarray(query.vector, dtype=np.float32)
        similarities = vectors @ query_vector / (
            np.linalg.norm(vectors, axis=1) * np.linalg.norm(query_vector) + 1e-9)
        for candidate, similarity in zip(candidates, similarities, strict=True):
            stems = {_stem(w) for w in content_words(candidate.text)}
            candidate.coverage = (sum(t in stems for t in terms) / len(terms)) if terms else 0.5
            candidate.similarity = float(similarity)
            candidate.typed = _has_kind(candidate.text, kind)
            hit = hits[candidate.hit_rank]
            candidate.score = (
                0.55 * candidate.similarity
                + 0.35 * candidate.coverage
                + 0.10 / math.sqrt(1 + candidate.hit_rank)
                + (0.05 if hit.matched_entity else 0.0)
                + (0.0 if kind is None else 0.1 if candidate.typed else -0.1)
            )
        return candidates

    def _select(self, candidates: list[_Candidate], best: _Candidate) -> list[_Candidate]:
        chosen = [best]
        for candidate in sorted(candidates, key=lambda c: c.score, reverse=True):
            if len(chosen) >= self.max_sentences or candidate.score < best.score - 0.08:
                break
            if candidate is best or any(_overlap(candidate.text, c.text) > 0.6 for c in chosen):
                continue
            chosen.append(candidate)
        return chosen

    def _per_cluster(self, candidates: list[_Candidate], hits: list[Hit],
                     entities: Sequence[str]) -> list[_Candidate]:
        best_by_cluster: dict[str, _Candidate] = {}
        for candidate in sorted(candidates, key=lambda c: c.score, reverse=True):
            meta = hits[candidate.hit_rank].metadata
            cluster = str(meta.get("cluster") or meta.get("title"))
            if entities and cluster not in entities and len(entities) >= 2:
                continue
            best_by_cluster.setdefault(cluster, candidate)
        chosen = sorted(best_by_cluster.values(), key=lambda c: c.score, reverse=True)
        return chosen[: max(len(entities), 4)] or [max(candidates, key=lambda c: c.score)]


def _overlap(a: str, b: str) -> float:
    wa, wb = set(content_words(a)), set(content_words(b))
    return len(wa & wb) / max(1, min(len(wa), len(wb)))
