"""The extractive answerer: the default, offline, and always grounded.

It picks the sentences of the retrieved chunks that best answer the question and cites each one.
A sentence scores by its meaning (embedding similarity to the question), by the question's words
it contains, by holding the kind of fact asked for (a figure, a year, a name), by being about the
organisation the question names, and by the rank of its chunk. A question in several parts gets
a sentence per part; a comparison gets a sentence per organisation compared. When even the best
sentence is weak evidence, or no sentence holds the kind of fact, the year or the thing asked
for, the answerer abstains.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from ..chunking import HEADING_SEPARATOR
from ..organisations import MULTIPLE
from ..question import Part, Question
from ..question.vocabulary import tells_action
from ..retrieval import Hit
from ..text import fold
from . import ABSTAIN_TEXT, Answer, Answerer, Source, comparisons, thresholds
from .attribution import attributed
from .passages import (
    Candidate,
    about,
    answer_units,
    belongs,
    counts,
    flagged_sources,
    holds_kind,
    overlap,
    stems,
)
from .practices import language_of, practice
from .rankings import compute, with_records
from .scoring import sentence_scorer
from .unknown import absent, naming

EmbedTexts = Callable[[list[str]], Sequence[Sequence[float]]]

MAX_EMBEDDED = 60


def _quotable(hit: Hit) -> list[tuple[int, tuple[str, str]]]:
    """The numbered pieces of a hit's chunk an answer may quote: not the document's title or
    a section heading the chunk repeats or enters, unless the chunk holds nothing else."""
    units = list(enumerate(answer_units(hit.text)))
    path = str(hit.metadata.get("heading_path") or "").split(HEADING_SEPARATOR)
    inner = hit.metadata.get("headings") or []
    headings = {fold(h.strip(" .:"))
                for h in (hit.metadata.get("title") or "", *path, *inner) if h}
    kept = [(n, unit) for n, unit in units if fold(unit[0].strip(" .:")) not in headings]
    return kept or units


class ExtractiveAnswerer(Answerer):
    """Compose an answer from the retrieved text itself, with a citation after each sentence."""

    name = "extractive"

    def __init__(self, embed_texts: EmbedTexts, min_relevance: float = 0.25,
                 min_evidence: float | None = None, max_sentences: int = 4,
                 window: float | None = None, cache_size: int = 20000,
                 documents: Callable[[str], list[Hit]] | None = None):
        """``min_evidence`` (the lowest score an answer may rest on) and ``window`` (how far
        below the best a further sentence may score) default to the fitted ones;
        ``documents`` gives the chunks of a document (its source), for tables split over
        several chunks."""
        scorer = sentence_scorer()
        self.embed_texts = embed_texts
        self.min_relevance = min_relevance
        self.min_evidence = scorer.min_evidence if min_evidence is None else min_evidence
        self.max_sentences = max_sentences
        self.window = scorer.window if window is None else window
        self.cache_size = cache_size
        self.documents = documents
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    def answer(self, question: Question, hits: list[Hit],
               history: list[dict[str, str]] | None = None) -> Answer:
        """Answer ``question`` from ``hits`` (ranked); abstain when the evidence is weak."""
        if not hits or max(h.similarity for h in hits) < self.min_relevance:
            return self._abstain("no passage is close to the question")
        absent = self.absent(question, hits)
        if absent:
            return absent
        hits = naming(question, hits)
        subjects = question.subjects
        bounded = None if len(subjects) == 1 else thresholds.passing(
            self._scoring(), question, hits)
        if bounded:
            return bounded
        ranking = question.ranking
        if ranking and len(subjects) < 2:
            ranked = self._rank(question, hits) or (
                None if subjects or ranking.total
                else comparisons.rank_clusters(self._scoring(), question, hits))
            if ranked:
                return ranked
        # a comparison has two sides at least: one organisation's figures over the years or
        # against a target are answered like any other question about it
        if len(subjects) != 1 and question.compares:
            return comparisons.compare(self._scoring(), question, hits)
        first, *others = question.parts
        candidates = self._score(first, hits)
        chosen, reason = self._best(candidates, first, question)
        if not chosen:
            return self._abstain(reason)
        best = chosen[0]
        if question.practice:
            chosen = practice(question, candidates, best, hits, self.window)
            return self._answer(self._attributed(chosen, hits), hits, best)
        for part in others:
            extra, _ = self._best(self._score(part, hits), part, question)
            chosen += [c for c in extra[:1] if c.text not in {o.text for o in chosen}]
        if not others:
            chosen = self._select(candidates, best, chosen, hits, first.across)
        return self._answer(self._attributed(chosen, hits), hits, best)

    def absent(self, question: Question, hits: list[Hit]) -> Answer | None:
        """An abstention that says what the documents hold, when the question names no
        cluster of the index and a name it gives is in no retrieved passage (``unknown``)."""
        return absent(question, hits, self.name)

    def _rank(self, question: Question, hits: list[Hit]) -> Answer | None:
        """A superlative, a change or a total answered from the records of a table ("the
        highest fee", "grew fastest", "total staff"), when a table of the hits or of their
        documents has a series of figures named like what the question asks for."""
        analysed = question.whole
        entities = question.entities
        # only the tables of the organisations the question names (kept in place: the rank
        # of a hit is its citation number)
        usable = [h if not entities or h.matched_entity
                  or belongs("", h, set(entities), ()) else replace(h, text="")
                  for h in hits]
        # "What was the largest income source, and what share did it bring?": either kind
        kinds = {part.kind for part in question.parts}
        # the other chunks of the documents found: their tables, and the abbreviations they
        # define, may lie in chunks the search did not bring (cited after the hits)
        records = with_records(usable, self.documents)
        computed = compute(records, question.ranking, analysed.terms, analysed.years,
                           lambda value: any(holds_kind(value, kind) for kind in kinds),
                           entities[0] if len(entities) == 1 else None,
                           question.language, self.documents)
        if computed is None:
            return None
        best = Candidate(computed.text, computed.hit_rank, 0)
        best.score = 1.0
        return self._answer(best.text, records, best)

    def _best(self, candidates: list[Candidate], part: Part,
              question: Question) -> tuple[list[Candidate], str]:
        """The best candidate that passes every check, or none and the reason."""
        if part.subjects and question.entities:
            candidates = [c for c in candidates if c.about_entity]
            if not candidates:
                return [], f"no passage about {', '.join(part.subjects)}"
        if part.kind:
            candidates = [c for c in candidates if c.typed]
            if not candidates:
                return [], f"no passage states a {part.kind}"
        candidates = [c for c in candidates if c.dated and c.has_attribute]
        if not candidates:
            return [], "no passage states what is asked for that year or subject"
        best = max(candidates, key=lambda c: c.score)
        # a practice of a named organisation ("How did X win members back?") is answered by
        # its own passages however they word it: being about it is the evidence
        practice = part.kind is None and question.entities and part.practice
        if best.score < self.min_evidence and not practice:
            return [], f"best evidence {best.score:.2f} is under {self.min_evidence}"
        return [best], ""

    def _scoring(self) -> comparisons.Scoring:
        """This answerer's reading of questions and hits, for the comparisons."""
        return comparisons.Scoring(self._score, self._best, self._answer,
                                   self._abstain, self.min_evidence, self.documents)

    @staticmethod
    def _attributed(chosen: list[Candidate], hits: list[Hit]) -> str:
        """The chosen sentences, each line naming the organisation and document they are
        from."""
        return attributed([(c.text, c.hit_rank + 1) for c in chosen], hits)

    def _answer(self, text: str, hits: list[Hit], best: Candidate) -> Answer:
        sources = [Source.from_hit(n, hit) for n, hit in enumerate(hits, start=1)]
        return Answer(text, False, sources, {
            "backend": self.name, "evidence": round(best.score, 3),
            "coverage": round(best.coverage, 3), "similarity": round(best.similarity, 3),
            **flagged_sources(hits)})

    def _vectors(self, texts: list[str]) -> np.ndarray:
        """Embeddings of ``texts``; those of recently seen texts come from a cache."""
        with self._cache_lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            computed = self.embed_texts(missing)
            known.update((t, np.asarray(v, dtype=np.float32))
                         for t, v in zip(missing, computed, strict=True))
        with self._cache_lock:
            for text in dict.fromkeys(texts):
                self._cache[text] = known[text]
                self._cache.move_to_end(text)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return np.stack([known[t] for t in texts])

    def _abstain(self, reason: str) -> Answer:
        return Answer(ABSTAIN_TEXT, True, [], {"backend": self.name, "abstain_reason": reason})

    def _score(self, part: Part, hits: list[Hit]) -> list[Candidate]:
        """Every quotable piece of the hits, with its features and score for ``part``."""
        candidates = [Candidate(text, rank, position, context)
                      for rank, hit in enumerate(hits)
                      for position, (text, context) in _quotable(hit)]
        if not candidates:
            return []
        contexts = [stems(f"{c.text} {c.context} {hits[c.hit_rank].metadata.get('section', '')}")
                    for c in candidates]
        # a question word found in few candidate sentences says more than one found in all
        weights = {t: math.log(1 + len(contexts) / (1 + sum(bool(g & s) for s in contexts)))
                   for t, g in part.terms.items()}
        total = sum(weights.values())
        for candidate, context in zip(candidates, contexts, strict=True):
            candidate.coverage = (sum(w for t, w in weights.items()
                                      if part.terms[t] & context) / total if total else 0.5)
        candidates = sorted(candidates, key=lambda c: (-c.coverage, c.hit_rank))[:MAX_EMBEDDED]
        vectors = self._vectors([*(c.text for c in candidates), part.focus])
        similarities = vectors[:-1] @ vectors[-1] / (
            np.linalg.norm(vectors[:-1], axis=1) * np.linalg.norm(vectors[-1]) + 1e-9)
        # a terse question's topic is spoken of anywhere in the passage (a table's header):
        # read once per passage, not per sentence
        spoken = {rank: not part.topic or bool(part.topic & stems(
            f"{hits[rank].text} {hits[rank].metadata.get('title', '')} "
            f"{hits[rank].metadata.get('heading_path', '')}"))
            for rank in {c.hit_rank for c in candidates}}
        for candidate, similarity in zip(candidates, similarities, strict=True):
            self._features(candidate, float(similarity), part, hits[candidate.hit_rank])
            candidate.has_attribute = candidate.has_attribute and spoken[candidate.hit_rank]
        return candidates

    @staticmethod
    def _features(candidate: Candidate, similarity: float, part: Part,
                  hit: Hit) -> None:
        """Set the checks and the score of one candidate."""
        text, kind = candidate.text, part.kind
        language = language_of(hit)
        context = stems(f"{text} {candidate.context} {hit.metadata.get('section', '')}")
        candidate.similarity = similarity
        candidate.has_attribute = not part.wanted or bool(part.wanted & context)
        if kind == "count" and part.wanted:  # the number must count what was asked about
            candidate.has_attribute = counts(f"{text} {candidate.context}", part.wanted)
        if part.qualifier and language == part.language and not part.qualifier & context:
            candidate.has_attribute = False  # "the fee for a large company" needs "large"
        where = f"{text} {candidate.context} {hit.metadata.get('heading_path', '')}"
        candidate.dated = all(y in where for y in part.years)
        candidate.typed = holds_kind(text, kind)
        document = f"{hit.metadata.get('title', '')} {hit.metadata.get('cluster', '')}"
        candidate.subjects = {s for s in part.subjects if about(text, s)}
        in_document = hit.matched_entity or any(about(document, s) for s in part.subjects)
        candidate.about_entity = in_document or bool(candidate.subjects)
        candidate.features = {
            "similarity": similarity,
            "coverage": candidate.coverage,
            "rank": 1 / math.sqrt(1 + candidate.hit_rank),
            "in_document": float(bool(in_document)),
            "names_subject": float(bool(candidate.subjects)),
            "kind_held": float(kind is not None and candidate.typed),
            "kind_missing": float(kind is not None and not candidate.typed),
            "counts": float(kind == "count" and counts(text, part.wanted)),
            "practice_action": float(part.practice and tells_action(text, language)),
        }
        candidate.score = sentence_scorer().score(candidate.features)

    def _select(self, candidates: list[Candidate], best: Candidate,
                chosen: list[Candidate], hits: list[Hit], across: bool) -> list[Candidate]:
        """The best candidate and up to two more nearly as good that say something else;
        unless the question asks ``across`` clusters, from documents about the same
        organisation (or naming it): one answer does not mix one organisation's figures with
        another's."""
        own = hits[best.hit_rank].metadata.get("cluster")
        for candidate in sorted(candidates, key=lambda c: c.score, reverse=True):
            if len(chosen) >= self.max_sentences or candidate.score < best.score - self.window:
                break
            same = across or hits[candidate.hit_rank].metadata.get("cluster") == own or (
                own not in (None, MULTIPLE) and about(candidate.text, own))
            passes = (candidate.typed and candidate.dated and candidate.has_attribute and same
                      and (candidate.about_entity or not best.about_entity))
            if not passes or any(overlap(candidate.text, c.text) > 0.6 for c in chosen):
                continue
            chosen.append(candidate)
        return chosen
