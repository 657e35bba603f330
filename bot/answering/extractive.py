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
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..chunking import HEADING_SEPARATOR
from ..keywords import TEXT_LANGUAGE
from ..language import DEFAULT_LANGUAGE
from ..organisations import MULTIPLE
from ..retrieval import (
    Hit,
    Query,
    comparative_terms,
    is_comparison,
    named_phrases,
)
from ..text import content_words, fold
from . import ABSTAIN_TEXT, Answer, Answerer, Source, comparisons, thresholds
from .attribution import attributed
from .passages import (
    MAX_LIST_ITEMS,
    about,
    answer_units,
    belongs,
    counts,
    flagged_sources,
    holds_kind,
    overlap,
    stems,
)
from .questions import (
    QUALIFIER,
    asked_attribute,
    compared_kind,
    focus_text,
    question_parts,
    question_subjects,
)
from .rankings import compute, with_records
from .scoring import sentence_scorer
from .vocabulary import (
    KIND_WORDS,
    NUMBER_WORDS,
    QUESTION_WORDS,
    YEAR,
    Superlative,
    asks_failure,
    asks_for_clusters,
    asks_practice,
    concept_group,
    expected_kind,
    is_stopword,
    stem,
    superlative,
    synonym_group,
    tells_action,
    tells_failure,
)

EmbedTexts = Callable[[list[str]], Sequence[Sequence[float]]]

_YEARS = re.compile(YEAR)
#: Words that ask to compare: no fact of their own ("compare" is no "company").
_COMPARING = re.compile(r"^(?:compar\w*|differ\w*|versus|vs|each|both|between)$", re.I)
MAX_EMBEDDED = 60
#: How many sentences before the one that best tells a practice may belong to its account
#: (what was done, then its cost, then its result).
_PRACTICE_LOOKBACK = 2
#: A line of a passage that heads what follows ("Slide 9 – Targets 2025"): a few words, no
#: list item, no label ("Result: ..."), no sentence.
_HEADING = re.compile(r"^(?![-*•]\s)(?:[^\s:]+\s+){0,7}[^\s:]*[^\s.!?:;,)\]]$")
#: A figure: digits or a number word ("two days").
_FIGURE = re.compile(rf"\d|\b(?:{NUMBER_WORDS})\b", re.I)


def _language_of(hit: Hit) -> str:
    """The language of a hit's text."""
    return str(hit.metadata.get(TEXT_LANGUAGE) or hit.metadata.get("language") or DEFAULT_LANGUAGE)


def _quotable(hit: Hit) -> list[tuple[int, tuple[str, str]]]:
    """The numbered pieces of a hit's chunk an answer may quote: not the document's title or
    a section heading the chunk repeats, unless the chunk holds nothing else."""
    units = list(enumerate(answer_units(hit.text)))
    path = str(hit.metadata.get("heading_path") or "").split(HEADING_SEPARATOR)
    headings = {fold(h.strip(" .:")) for h in (hit.metadata.get("title") or "", *path) if h}
    kept = [(n, unit) for n, unit in units if fold(unit[0].strip(" .:")) not in headings]
    return kept or units


@dataclass
class _Candidate:
    text: str
    hit_rank: int
    position: int
    context: str = ""
    score: float = 0.0
    coverage: float = 0.0
    similarity: float = 0.0
    typed: bool = True
    about_entity: bool = False
    dated: bool = True
    has_attribute: bool = True
    subjects: set[str] = field(default_factory=set)
    features: dict[str, float] = field(default_factory=dict)


@dataclass
class _Question:
    """What the answerer needs to know about (a part of) a question."""

    text: str
    kind: str | None
    focus: str
    terms: dict[str, frozenset[str]]
    wanted: frozenset[str]
    years: list[str]
    subjects: list[str]
    qualifier: str | None = None
    #: whether it asks how something is or was done
    practice: bool = False
    #: whether its answer is one or more clusters ("Which clusters ...?")
    across: bool = False


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

    def answer(self, question: str, query: Query, hits: list[Hit],
               history: list[dict[str, str]] | None = None) -> Answer:
        """Answer ``question`` from ``hits`` (ranked); abstain when the evidence is weak."""
        if not hits or max(h.similarity for h in hits) < self.min_relevance:
            return self._abstain("no passage is close to the question")
        main = question.split(" (following:")[0]
        absent = self.absent(query, hits)
        if absent:
            return absent
        subjects = (query.entities + query.others) or named_phrases(main)
        bounded = None if len(subjects) == 1 else thresholds.passing(
            self._scoring(), main, query, hits)
        if bounded:
            return bounded
        ranking = superlative(main, query.language)
        if ranking and len(subjects) < 2:
            ranked = self._rank(main, query, hits, ranking) or (
                None if subjects or ranking.total
                else comparisons.rank_clusters(self._scoring(), main, query, hits, ranking))
            if ranked:
                return ranked
        # a comparison has two sides at least: one organisation's figures over the years or
        # against a target are answered like any other question about it
        if len(subjects) != 1 and is_comparison(main, [query.name_of(s) for s in subjects]):
            return comparisons.compare(self._scoring(), question, query, hits, subjects)
        parts = question_parts(main)
        first = self._analyse(question if len(parts) == 1 else parts[0], query, compared=False)
        candidates = self._score(first, query, hits)
        chosen, reason = self._best(candidates, first, query)
        if not chosen:
            return self._abstain(reason)
        best = chosen[0]
        if asks_practice(main, query.language):
            chosen = self._practice(main, candidates, best, hits, query)
            return self._answer(self._attributed(chosen, hits), hits, best)
        for part in parts[1:]:
            analysed = self._analyse(part, query, compared=False)
            extra, _ = self._best(self._score(analysed, query, hits), analysed, query)
            chosen += [c for c in extra[:1] if c.text not in {o.text for o in chosen}]
        if len(parts) == 1:
            chosen = self._select(candidates, best, chosen, hits, first.across)
        return self._answer(self._attributed(chosen, hits), hits, best)

    def absent(self, query: Query, hits: list[Hit]) -> Answer | None:
        """An abstention that says what the documents hold, when the question names only
        organisations (or other names) that no retrieved passage mentions."""
        if query.entities or not query.unknown:
            return None
        texts = [f"{h.text} {h.metadata.get('title', '')} {h.metadata.get('cluster', '')}"
                 for h in hits]
        if any(about(text, name) for text in texts for name in query.unknown):
            return None
        clusters = list(dict.fromkeys(
            str(h.metadata["cluster"]) for h in hits
            if h.metadata.get("cluster") and h.metadata["cluster"] != "multiple"))
        held = f" The passages found are about {', '.join(clusters[:4])}." if clusters else ""
        names = ", ".join(query.unknown)
        return Answer(f"The indexed documents say nothing about {names}.{held}", True, [],
                      {"backend": self.name, "abstain_reason": f"no passage names {names}"})

    def _rank(self, question: str, query: Query, hits: list[Hit],
              ranking: Superlative) -> Answer | None:
        """A superlative, a change or a total answered from the records of a table ("the
        highest fee", "grew fastest", "total staff"), when a table of the hits or of their
        documents has a series of figures named like what the question asks for."""
        analysed = self._analyse(question, query, compared=False)
        # only the tables of the organisations the question names (kept in place: the rank
        # of a hit is its citation number)
        usable = [h if not query.entities or h.matched_entity
                  or belongs("", h, set(query.entities), ()) else replace(h, text="")
                  for h in hits]
        # "What was the largest income source, and what share did it bring?": either kind
        kinds = {expected_kind(part, query.language) for part in question_parts(question)}
        # the other chunks of the documents found: their tables, and the abbreviations they
        # define, may lie in chunks the search did not bring (cited after the hits)
        records = with_records(usable, self.documents)
        computed = compute(records, ranking, analysed.terms, analysed.years,
                           lambda value: any(holds_kind(value, kind) for kind in kinds),
                           query.entities[0] if len(query.entities) == 1 else None,
                           query.language, self.documents)
        if computed is None:
            return None
        best = _Candidate(computed.text, computed.hit_rank, 0)
        best.score = 1.0
        return self._answer(best.text, records, best)

    def _best(self, candidates: list[_Candidate], question: _Question,
              query: Query) -> tuple[list[_Candidate], str]:
        """The best candidate that passes every check, or none and the reason."""
        if question.subjects and query.entities:
            candidates = [c for c in candidates if c.about_entity]
            if not candidates:
                return [], f"no passage about {', '.join(question.subjects)}"
        if question.kind:
            candidates = [c for c in candidates if c.typed]
            if not candidates:
                return [], f"no passage states a {question.kind}"
        candidates = [c for c in candidates if c.dated and c.has_attribute]
        if not candidates:
            return [], "no passage states what is asked for that year or subject"
        best = max(candidates, key=lambda c: c.score)
        # a practice of a named organisation ("How did X win members back?") is answered by
        # its own passages however they word it: being about it is the evidence
        practice = question.kind is None and query.entities and question.practice
        if best.score < self.min_evidence and not practice:
            return [], f"best evidence {best.score:.2f} is under {self.min_evidence}"
        return [best], ""

    def _scoring(self) -> comparisons.Scoring:
        """This answerer's reading of questions and hits, for the comparisons."""
        return comparisons.Scoring(self._analyse, self._score, self._best, self._answer,
                                   self._abstain, self.min_evidence, self.documents)

    @staticmethod
    def _attributed(chosen: list[_Candidate], hits: list[Hit]) -> str:
        """The chosen sentences, each line naming the organisation and document they are
        from."""
        return attributed([(c.text, c.hit_rank + 1) for c in chosen], hits)

    def _answer(self, text: str, hits: list[Hit], best: _Candidate) -> Answer:
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

    def _analyse(self, question: str, query: Query, compared: bool) -> _Question:
        """The kind, focus, weighted terms, asked attribute, years and subjects of a question
        (the text after "(following:" is context: it adds words, not years or kinds)."""
        main = question.split(" (following:")[0]
        subjects = question_subjects(main, query.entities) or question_subjects(
            question, query.entities)
        focus = focus_text(question.replace(" (following:", " ("), subjects)
        if compared:
            focus = " ".join([focus, *comparative_terms(main)])
        named = {stem(w) for s in subjects for w in content_words(s)}
        terms = {stem(w): synonym_group(w) for w in content_words(focus)
                 if stem(w) not in QUESTION_WORDS and not _COMPARING.match(w)
                 and not is_stopword(w, query.language)}
        attribute = asked_attribute(main, query.language)
        # the thing asked about, in any language: a German passage answers an English question
        wanted = concept_group(attribute) if attribute and stem(attribute) not in (
            QUESTION_WORDS | KIND_WORDS | named) else frozenset()
        qualifier = QUALIFIER.search(main)
        narrowed = stem(qualifier.group(1)) if qualifier else None
        # a comparison may narrow each side differently ("the fee for a small company at A
        # with the SME fee at B"): its qualifier ranks sentences by coverage, not as a check
        kind = (compared_kind(main, query.language) if compared
                else expected_kind(main, query.language))
        return _Question(main, kind, focus,
                         terms, wanted, _YEARS.findall(main), subjects,
                         narrowed if narrowed not in QUESTION_WORDS and not compared else None,
                         asks_practice(main, query.language),
                         asks_for_clusters(main, query.language))

    def _score(self, question: _Question, query: Query, hits: list[Hit]) -> list[_Candidate]:
        """Every quotable piece of the hits, with its features and score for ``question``."""
        candidates = [_Candidate(text, rank, position, context)
                      for rank, hit in enumerate(hits)
                      for position, (text, context) in _quotable(hit)]
        if not candidates:
            return []
        contexts = [stems(f"{c.text} {c.context} {hits[c.hit_rank].metadata.get('section', '')}")
                    for c in candidates]
        # a question word found in few candidate sentences says more than one found in all
        weights = {t: math.log(1 + len(contexts) / (1 + sum(bool(g & s) for s in contexts)))
                   for t, g in question.terms.items()}
        total = sum(weights.values())
        for candidate, context in zip(candidates, contexts, strict=True):
            candidate.coverage = (sum(w for t, w in weights.items()
                                      if question.terms[t] & context) / total if total else 0.5)
        candidates = sorted(candidates, key=lambda c: (-c.coverage, c.hit_rank))[:MAX_EMBEDDED]
        vectors = self._vectors([*(c.text for c in candidates), question.focus])
        similarities = vectors[:-1] @ vectors[-1] / (
            np.linalg.norm(vectors[:-1], axis=1) * np.linalg.norm(vectors[-1]) + 1e-9)
        for candidate, similarity in zip(candidates, similarities, strict=True):
            self._features(candidate, float(similarity), question, hits[candidate.hit_rank])
        return candidates

    @staticmethod
    def _features(candidate: _Candidate, similarity: float, question: _Question,
                  hit: Hit) -> None:
        """Set the checks and the score of one candidate."""
        text, kind = candidate.text, question.kind
        language = _language_of(hit)
        context = stems(f"{text} {candidate.context} {hit.metadata.get('section', '')}")
        candidate.similarity = similarity
        candidate.has_attribute = not question.wanted or bool(question.wanted & context)
        if kind == "count" and question.wanted:  # the number must count what was asked about
            candidate.has_attribute = counts(f"{text} {candidate.context}", question.wanted)
        if question.qualifier and question.qualifier not in context:
            candidate.has_attribute = False  # "the fee for a large company" needs "large"
        where = f"{text} {candidate.context} {hit.metadata.get('heading_path', '')}"
        candidate.dated = all(y in where for y in question.years)
        candidate.typed = holds_kind(text, kind)
        document = f"{hit.metadata.get('title', '')} {hit.metadata.get('cluster', '')}"
        candidate.subjects = {s for s in question.subjects if about(text, s)}
        in_document = hit.matched_entity or any(about(document, s) for s in question.subjects)
        candidate.about_entity = in_document or bool(candidate.subjects)
        candidate.features = {
            "similarity": similarity,
            "coverage": candidate.coverage,
            "rank": 1 / math.sqrt(1 + candidate.hit_rank),
            "in_document": float(bool(in_document)),
            "names_subject": float(bool(candidate.subjects)),
            "kind_held": float(kind is not None and candidate.typed),
            "kind_missing": float(kind is not None and not candidate.typed),
            "counts": float(kind == "count" and counts(text, question.wanted)),
            "practice_action": float(question.practice and tells_action(text, language)),
        }
        candidate.score = sentence_scorer().score(candidate.features)

    def _select(self, candidates: list[_Candidate], best: _Candidate,
                chosen: list[_Candidate], hits: list[Hit], across: bool) -> list[_Candidate]:
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

    def _practice(self, question: str, candidates: list[_Candidate], best: _Candidate,
                  hits: list[Hit], query: Query) -> list[_Candidate]:
        """A practice as its passage tells it: the sentence that says what was done (the best
        one nearly as good as the best answer that tells an action, else the best answer) and
        the sentences next to it in the same passage that tell what was done or give a
        figure: what it cost, what came of it."""
        # what did not work is told by failure words, in the sentence or the question it
        # answers ("Q: What did not work?")
        failing = asks_failure(question, query.language)
        tells = tells_failure if failing else tells_action
        # failure words are rare enough to pick the sentence on their own; action words
        # need the sentence to be nearly as good an answer as the best
        actions = [c for c in candidates
                   if tells(f"{c.text} {c.context}", _language_of(hits[c.hit_rank])) and c.dated
                   and (c.about_entity or not query.entities)
                   and (failing or c.score >= best.score - self.window)]
        anchor = max(actions, key=lambda c: c.score) if actions else best
        units = [text for text, _ in answer_units(hits[anchor.hit_rank].text)]
        language = _language_of(hits[anchor.hit_rank])

        def telling(text: str) -> bool:
            return tells(text, language) or bool(_FIGURE.search(text))

        start = anchor.position
        while start > 0 and anchor.position - start < _PRACTICE_LOOKBACK and telling(
                units[start - 1]):
            start -= 1
        block: list[_Candidate] = []
        for position, text in enumerate(units[start:], start=start):
            if len(block) >= MAX_LIST_ITEMS or (position > anchor.position and (
                    not telling(text) or _HEADING.match(text))):
                break
            if not any(overlap(text, c.text) > 0.6 for c in block):
                block.append(anchor if position == anchor.position
                             else _Candidate(text, anchor.hit_rank, position))
        return block
