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

from ..retrieval import GENERIC_NAME_WORDS, Hit, Query
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


def focus_text(question: str, entities: Sequence[str]) -> str:
    """The question without the names of the clusters it is about: what it asks of them."""
    focus = question
    for entity in entities:
        focus = re.sub(re.escape(entity), " ", focus, flags=re.I)
        for word in content_words(entity):
            if word not in GENERIC_NAME_WORDS:
                focus = re.sub(rf"\b{re.escape(word)}\b", " ", focus, flags=re.I)
    focus = " ".join(focus.split())
    return focus if len(content_words(focus)) >= 2 else question


#: Words that ask for the same fact in other words; each group is matched as one term.
SYNONYMS = [
    {"found", "estab", "set", "start", "creat", "launc", "born", "initi", "since", "began",
     "begin"},
    {"cost", "costs", "price", "fee", "fees", "pay", "pays", "paid", "eur", "euro", "euros",
     "charg"},
    {"emplo", "staff", "team", "people", "ftes"},
    {"incom", "reven", "budge", "turno", "fundi", "earns"},
    {"membe", "compa", "organ"},
    {"leads", "led", "head", "heads", "direc", "manag", "chair", "presi", "chief"},
    {"atten", "parti", "guest", "visit"},
]
_SYNONYM_OF = {stem: frozenset(group) for group in SYNONYMS for stem in group}


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\b", text, re.I) is not None


def answer_units(chunk_text: str) -> list[str]:
    """The pieces of a chunk an answer can quote: sentences, list items, and table cells.

    A line ending in a colon keeps the list items that follow it; a table row whose cells
    belong to different columns (``Founded | Bioib: 2010 | bioPmed: 2009``) gives one unit per
    cell, labelled with the row's name.
    """
    lines = [line.strip() for line in chunk_text.splitlines() if line.strip()]
    units: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        cells = [c.strip() for c in line.split(" | ")]
        if len(cells) >= 3 and ":" not in cells[0] and all(":" in c for c in cells[1:]):
            units += [f"{cells[0]} — {cell}" for cell in cells[1:]]
            continue
        if line.endswith(":") and i < len(lines) and lines[i].startswith("- "):
            items: list[str] = []
            while i < len(lines) and lines[i].startswith("- ") and len(items) < 4:
                items.append(lines[i][2:].rstrip(";."))
                i += 1
            units.append(f"{line} {'; '.join(items)}.")
            continue
        units += split_sentences(line)
    return [u for u in units if len(u) >= 12 and len(u.split()) >= 3]


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
        focus = focus_text(question, query.entities)
        terms = [_stem(w) for w in dict.fromkeys(content_words(focus))]
        candidates = [_Candidate(text, rank, position)
                      for rank, hit in enumerate(hits)
                      for position, text in enumerate(answer_units(hit.text))]
        if not candidates:
            return []
        texts = [c.text for c in candidates]
        vectors = np.asarray(self.embed_texts([*texts, focus]), dtype=np.float32)
        focus_vector = vectors[-1]
        similarities = vectors[:-1] @ focus_vector / (
            np.linalg.norm(vectors[:-1], axis=1) * np.linalg.norm(focus_vector) + 1e-9)
        stems = [{_stem(w) for w in content_words(text)} for text in texts]
        groups = {t: _SYNONYM_OF.get(t, frozenset((t,))) for t in terms}
        named = [n for e in query.entities for n in (e, *content_words(e))
                 if n.lower() not in GENERIC_NAME_WORDS]
        # a question word found in few candidate sentences says more than one found in all
        weights = {t: math.log(1 + len(stems) / (1 + sum(bool(g & s) for s in stems)))
                   for t, g in groups.items()}
        total = sum(weights.values())
        for candidate, similarity, found in zip(candidates, similarities, stems, strict=True):
            candidate.coverage = (sum(w for t, w in weights.items() if groups[t] & found) / total
                                  if total else 0.5)
            candidate.similarity = float(similarity)
            candidate.typed = _has_kind(candidate.text, kind)
            hit = hits[candidate.hit_rank]
            candidate.score = (
                0.5 * candidate.similarity
                + 0.4 * candidate.coverage
                + 0.10 / math.sqrt(1 + candidate.hit_rank)
                + (0.05 if hit.matched_entity else 0.0)
                + (0.08 if any(_mentions(candidate.text, n) for n in named) else 0.0)
                + (0.0 if kind is None else 0.1 if candidate.typed else -0.25)
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
