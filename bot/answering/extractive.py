"""The extractive answerer: the default, offline, and always grounded.

How an answer is composed:

1. Every sentence, list item and table cell of the retrieved chunks is a candidate. A fitted
   logistic model (``scorer.py``) gives each the probability that it states what the
   ``Question`` asks, from its features: meaning (embedding similarity), the question's terms
   it holds, the kind of fact asked, the attribute, whether it states a target where an actual
   is asked, whether it is a heading or a question, the rank of its chunk.
2. When the question names organisations, only passages about them can answer. An
   organisation the documents never mention gets an abstention that says so and names the
   organisations the documents do cover.
3. The best candidate answers when its probability reaches the fitted threshold; others that
   reach it join (up to ``max_sentences``). Each line names the organisation and document it
   quotes, with ``[n]`` after each sentence.
4. A comparison gets a line per organisation; a ranking ("which ... most") orders the figures
   of a table column, of a list's items or of each organisation's best sentence. A practice
   question ("how did ...", "what works ...") gets the best passages about it, since it has
   no single fact to check.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from ..question import Ask, Question, fold, stem
from ..question.lexicon import Lexicon, load_lexicon
from ..question.names import generic_words
from ..retrieval import Hit
from ..text import content_words, words
from . import ABSTAIN_TEXT, Answer, Answerer, Source
from .composing import (
    Candidate,
    attributed,
    join_names,
    organisation_of,
    overlap,
    ranked_list,
    ranked_organisations,
    short_title,
)
from .scorer import Scorer, load_scorer
from .units import answer_units

EmbedTexts = Callable[[list[str]], Sequence[Sequence[float]]]
MAX_EMBEDDED = 60
#: A comparison's line for an organisation no retrieved passage speaks of.
NOT_FOUND = "the sources found say nothing about this."


class ExtractiveAnswerer(Answerer):
    """Compose an answer from the retrieved text itself, with a citation after each sentence."""

    name = "extractive"

    def __init__(self, embed_texts: EmbedTexts, min_relevance: float = 0.25,
                 max_sentences: int = 3, scorer: Scorer | None = None,
                 lexicon: Lexicon | None = None, cache_size: int = 20000):
        self.embed_texts = embed_texts
        self.min_relevance = min_relevance
        self.max_sentences = max_sentences
        self.scorer = scorer or load_scorer()
        self.lexicon = lexicon or load_lexicon()
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    # ------------------------------------------------------------------ answering

    def answer(self, question: Question, hits: list[Hit],
               history: list[dict[str, str]] | None = None) -> Answer:
        """Answer ``question`` from ``hits`` (ranked); abstain when the evidence is weak."""
        if not hits or max(h.similarity for h in hits) < self.min_relevance:
            return self._abstain("no passage is close to the question")
        if question.absent and not question.compares:
            return self._absent(question, hits)
        if question.compares and len(question.compared) >= 2:
            return self._compare(question, hits)
        if question.aggregates:
            return self._rank(question, hits)
        if question.practice and len(question.parts) == 1:
            return self._practice(question, hits)
        chosen: list[Candidate] = []
        reason = ""
        for number, ask in enumerate(question.parts if len(question.parts) > 1
                                     else [question.ask]):
            passing = self._passing(self.candidates(ask, question, hits))
            if not passing:
                if number == 0:
                    reason = "no passage about what is asked reaches the threshold"
                    break
                continue
            room = self.max_sentences if len(question.parts) == 1 else 1
            for candidate in passing:
                if len([c for c in chosen if c in passing]) >= room:
                    break
                if all(overlap(candidate.text, c.text) <= 0.6 for c in chosen):
                    chosen.append(candidate)
        if not chosen:
            return self._abstain(reason or "no passage answers the question")
        return self._answer(attributed(chosen, hits), hits, chosen[0])

    def candidates(self, ask: Ask, question: Question, hits: list[Hit]) -> list[Candidate]:
        """Every quotable piece of the hits with its features and probability for ``ask``
        (the most promising ``MAX_EMBEDDED`` by term coverage), best first."""
        candidates = [Candidate(unit, rank) for rank, hit in enumerate(hits)
                      for unit in answer_units(hit.text)]
        if not candidates:
            return []
        contexts = [_stems(" ".join([c.text, c.unit.context,
                                     str(hits[c.hit_rank].metadata.get("section", ""))]))
                    for c in candidates]
        # a question word found in few candidates says more than one found in all
        weights = {t: math.log(1 + len(contexts) / (1 + sum(bool(g & s) for s in contexts)))
                   for t, g in ask.terms.items()}
        total = sum(weights.values())
        coverage = [sum(w for t, w in weights.items() if ask.terms[t] & context) / total
                    if total else 0.5 for context in contexts]
        order = sorted(range(len(candidates)), key=lambda i: (-coverage[i],
                                                              candidates[i].hit_rank))
        kept = [candidates[i] for i in order[:MAX_EMBEDDED]]
        vectors = self._vectors([*(c.text for c in kept), ask.focus])
        similarities = vectors[:-1] @ vectors[-1] / (
            np.linalg.norm(vectors[:-1], axis=1) * np.linalg.norm(vectors[-1]) + 1e-9)
        for i, candidate, similarity in zip(order, kept, similarities, strict=False):
            self._features(candidate, float(similarity), coverage[i], ask, question,
                           hits[candidate.hit_rank], contexts[i])
        return sorted(kept, key=lambda c: c.probability, reverse=True)

    def _passing(self, candidates: list[Candidate]) -> list[Candidate]:
        return [c for c in candidates if eligible(c) and c.probability >= self.scorer.threshold]

    def _features(self, candidate: Candidate, similarity: float, coverage: float, ask: Ask,
                  question: Question, hit: Hit, context: set[str]) -> None:
        """Set the features, checks and probability of one candidate."""
        lex, text, kind = self.lexicon, candidate.text, ask.kind
        where = f"{text} {candidate.unit.context} {hit.metadata.get('heading_path', '')}"
        typed = kind is None or bool(lex.fact_of_kind[kind].search(text))
        named = [s for s in ask.subjects if _about(text, s, lex)]
        document = f"{hit.metadata.get('title', '')} {hit.metadata.get('cluster', '')}"
        in_document = any(_about(document, s, lex) for s in ask.subjects)
        others = [o.name for o in question.organisations if o.name not in ask.subjects]
        candidate.about = not ask.subjects or not question.organisations or (
            bool(named) or (in_document and not any(_about(text, o, lex) for o in others)))
        candidate.dated = all(y in where for y in ask.years)
        figure = bool(re.search(r"\d", text))
        candidate.features = {
            "similarity": similarity,
            "coverage": coverage,
            "rank_prior": 1 / math.sqrt(1 + candidate.hit_rank),
            "in_document": float(in_document),
            "names_subject": float(bool(named)),
            "typed": float(kind is not None and typed),
            "untyped": float(not typed),
            "counts": float(kind == "count" and _counts(f"{text} {candidate.unit.context}",
                                                        ask.wanted, lex)),
            "lacks_attribute": float(bool(ask.wanted) and not ask.wanted & context),
            "lacks_qualifier": float(bool(ask.qualifier) and ask.qualifier not in context),
            "target_mismatch": float(not question.wants_target
                                     and bool(lex.target_sentence.search(text))),
            "is_question": float(text.rstrip().endswith("?")),
            "terse": float(len(text.split()) < 6 and not figure),
            "table_cell": float(candidate.unit.column is not None),
            "practice_fit": float(question.practice and len(text.split()) >= 10
                                  and not text.rstrip().endswith("?")),
            "practice_action": float(question.practice
                                     and bool(lex.action_sentence.search(text))),
        }
        candidate.probability = self.scorer.probability(candidate.features)

    # ------------------------------------------------------------------ special questions

    def _practice(self, question: Question, hits: list[Hit]) -> Answer:
        """A practice has no single fact to check: the passages the scorer ranks best among
        those about the organisation asked, one line per document."""
        chosen: list[Candidate] = []
        for candidate in self.candidates(question.ask, question, hits):
            if len(chosen) >= self.max_sentences:
                break
            if eligible(candidate) and all(overlap(candidate.text, c.text) <= 0.6
                                           for c in chosen):
                chosen.append(candidate)
        if not chosen:
            return self._abstain("no passage about the organisation asked")
        return self._answer(attributed(chosen, hits), hits, chosen[0])

    def _absent(self, question: Question, hits: list[Hit]) -> Answer:
        """An organisation the documents never mention: say so, and whom they do cover."""
        names = ", ".join(o.written for o in question.absent)
        covered = []
        anyone = replace(question.ask, subjects=[])  # the same question of anyone
        for candidate in self._passing(self.candidates(anyone, question, hits)):
            cluster = organisation_of(hits[candidate.hit_rank])
            if cluster and cluster not in covered:
                covered.append(cluster)
        text = f"The indexed documents say nothing about {names}."
        if covered:
            text += f" They cover this for {join_names(covered[:4])}."
        return Answer(text, True, [], {"backend": self.name,
                                       "abstain_reason": f"{names} is not in the documents"})

    def _compare(self, question: Question, hits: list[Hit]) -> Answer:
        """A line per organisation compared, each with its best passage about it alone."""
        lines: list[tuple[str, Candidate | None]] = []
        for organisation in question.organisations[:4]:
            ask = question.sides[organisation.name]
            passing = (self._passing(self.candidates(ask, question, hits))
                       if organisation.mentioned else [])
            lines.append((organisation.written, passing[0] if passing else None))
        answered = [c for _, c in lines if c is not None]
        if not answered:
            return self._abstain("no passage states what is asked for any of "
                                 + ", ".join(name for name, _ in lines))
        text = "\n".join(
            f"- {name}: {c.text} [{c.hit_rank + 1}] ({short_title(hits[c.hit_rank], name)})"
            if c else f"- {name}: {NOT_FOUND}" for name, c in lines)
        return self._answer(text, hits, max(answered, key=lambda c: c.probability))

    def _rank(self, question: Question, hits: list[Hit]) -> Answer:
        """A ranking: the figures of a table column or of a list's items, ordered by value, or
        else each organisation's best passage (highest first unless the least is asked)."""
        candidates = [c for c in self.candidates(question.ask, question, hits) if eligible(c)]
        ranked = ranked_list(question, candidates, hits, self.scorer.threshold)
        if ranked is None:
            passing = [c for c in candidates if c.probability >= self.scorer.threshold]
            ranked = ranked_organisations(question, passing, hits)
        if ranked is None:
            return self._abstain("no passage states what is asked of one organisation")
        return self._answer(ranked[0], hits, ranked[1])

    # ------------------------------------------------------------------ composing

    def _answer(self, text: str, hits: list[Hit], best: Candidate) -> Answer:
        sources = [Source.from_hit(n, hit) for n, hit in enumerate(hits, start=1)]
        return Answer(text, False, sources, {
            "backend": self.name, "evidence": round(best.probability, 3),
            "similarity": round(best.features.get("similarity", 0.0), 3)})

    def _abstain(self, reason: str) -> Answer:
        return Answer(ABSTAIN_TEXT, True, [], {"backend": self.name, "abstain_reason": reason})

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


def eligible(candidate: Candidate) -> bool:
    """Whether a candidate may answer at all: it is about the organisation asked, holds the
    years asked and names the category the question narrows to ("the fee for a large
    company"); the rest the scorer weighs."""
    return candidate.about and candidate.dated and not candidate.features["lacks_qualifier"]














def _stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(text)}


def _about(text: str, name: str, lexicon: Lexicon) -> bool:
    """Whether ``text`` names ``name``, in full or by the distinctive words of it."""
    if re.search(rf"\b{re.escape(name)}\b", text, re.I):
        return True
    generic = generic_words(lexicon)
    distinctive = [w for w in content_words(name) if w not in generic and len(w) > 2]
    folded = fold(text)
    return bool(distinctive) and all(re.search(rf"\b{re.escape(fold(w))}\b", folded)
                                     for w in distinctive)


def _counts(text: str, wanted: frozenset[str], lexicon: Lexicon) -> bool:
    """Whether ``text`` puts a number right before the thing counted ("five working groups")
    or right after it, as in a table cell ("Members: 97")."""
    found = words(text)

    def number(w: str) -> bool:
        return bool(re.fullmatch(rf"\d[\d,.]*|{lexicon.number_words}", w)
                    ) and not lexicon.years.fullmatch(w)

    return any(stem(word) in wanted and (any(map(number, found[max(0, i - 3):i]))
                                         or any(map(number, found[i + 1:i + 2])))
               for i, word in enumerate(found))

