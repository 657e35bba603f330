"""The extractive answerer: the default, offline, and always grounded.

It picks the sentences of the retrieved chunks that best answer the question and cites each one.
A sentence scores by its meaning (embedding similarity to the question), by the question's words
it contains, by holding the kind of fact asked for (a figure, a year, a name), and by the rank of
its chunk. When even the best sentence is weak evidence, the answerer abstains.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..retrieval import GENERIC_NAME_WORDS, Hit, Query
from ..text import content_words, split_sentences
from . import ABSTAIN_TEXT, Answer, Answerer, Source
from .guard import looks_like_instruction

EmbedTexts = Callable[[list[str]], Sequence[Sequence[float]]]

#: Question patterns → the kind of fact asked for, checked in this order.
_KIND_PATTERNS = [
    ("person", r"^\s*(who|whom)\b|\bwho (is|was|leads|led|heads|chairs|manages|took)\b"),
    ("percent", r"\b(what|which) (share|percentage|proportion|part)\b|\bper ?cent\b|"
                r"\bpercentage\b|\bhow much of\b"),
    ("count", r"\bhow many\b|\bnumber of\b"),
    ("money", r"\bhow much\b|\b(cost|costs|fee|fees|price|prices|budget|worth|grant|turnover|"
              r"revenue|pay|pays|paid|charge|charges)\b"),
    ("year", r"\b(what|which) year\b|\bsince when\b|\bwhen (was|were|did|has|had)\b.*\b("
             r"found|establish|set up|start|creat|launch|initiat|born|begin|began|join)"),
    ("date", r"^\s*when\b|\bwhat date\b|\bon what (day|date)\b|\bwhen\b"),
]
_YEARS = re.compile(r"\b(?:1[89]\d\d|20\d\d)\b")
#: Words of questions that name no fact of their own.
QUESTION_WORDS = frozenset(
    "year many much clust accor speci typic exact far curre today main name calle take place "
    "get got make made happe does did kind sort quest".split()
)
_KIND_RULES = [(kind, re.compile(pattern, re.I)) for kind, pattern in _KIND_PATTERNS]
_COMPARE_Q = re.compile(r"\b(compare|comparison|differ|difference|differences|versus|vs\.?|"
                        r"other clusters|each of|both|between)\b", re.I)
_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|"
                 r"hundreds?|thousands?|twenty|thirty|forty|fifty")
_FACT_OF_KIND = {
    "person": re.compile(r"\b[A-Z][a-zà-ÿ]+(?:\s+(?:[A-Z]\.|[A-Z][a-zà-ÿ]+|de|van|von)){1,3}\b"),
    "percent": re.compile(r"\d\s*%|\bper ?cent\b|\b(half|third|quarter)\b", re.I),
    "count": re.compile(rf"\b(?!(?:1[89]|20)\d\d\b)\d|\b({_NUMBER_WORDS})\b", re.I),
    "money": re.compile(r"(€|\$|£|\b(EUR|euros?|PLN|NOK|CHF|USD|GBP|SEK|DKK|CZK|zł)\b)[^.;]*\d|"
                        r"\d[^.;]*(€|\b(EUR|euros?|PLN|NOK|CHF|USD|GBP|SEK|DKK|CZK|million|"
                        r"billion)\b)|\bfree\b", re.I),
    "year": re.compile(r"\b(1[89]\d\d|20\d\d)\b"),
    "date": re.compile(r"\b(1[89]\d\d|20\d\d)\b|\b(January|February|March|April|May|June|"
                       r"July|August|September|October|November|December)\b"),
}


@dataclass
class _Candidate:
    text: str
    hit_rank: int
    position: int
    score: float = 0.0
    coverage: float = 0.0
    similarity: float = 0.0
    typed: bool = True
    about_entity: bool = False
    dated: bool = True
    has_attribute: bool = True


_ATTRIBUTE_OF = re.compile(
    r"^\s*(?:and\s+)?(?:what|who)\s+(?:is|was|are|were)\s+(?:the\s+|its\s+|their\s+)?"
    r"(?P<phrase>(?:[\w'’-]+\s+){0,3}?[\w'’-]+?)\s+(?=of|for|at|in|to|from|on|does|did|do|that|"
    r"\w+ed\b)", re.I)
_COUNTED = re.compile(r"\bhow many\s+(?P<phrase>[\w'’-]+(?:\s+[\w'’-]+)?)", re.I)


def asked_attribute(question: str) -> str | None:
    """The thing a question asks about, when its form names it: "fee" in "What is the annual
    fee of X?", "staff" in "How many staff ...?"; None when the form does not tell."""
    match = _ATTRIBUTE_OF.search(question)
    if match:
        words = content_words(match.group("phrase"))
        return words[-1] if words else None
    match = _COUNTED.search(question)
    if match:
        words = [w for w in content_words(match.group("phrase")) if _stem(w) not in QUESTION_WORDS]
        return words[0] if words else None
    return None


def expected_kind(question: str) -> str | None:
    """The kind of fact a question asks for: person, percent, count, money, year, date or None."""
    for kind, rule in _KIND_RULES:
        if rule.search(question):
            return kind
    return None


def holds_kind(text: str, kind: str | None) -> bool:
    """Whether ``text`` holds a fact of the ``kind`` asked for (always true for no kind)."""
    return kind is None or bool(_FACT_OF_KIND[kind].search(text))


def is_comparison(question: str, entities: Sequence[str]) -> bool:
    """Whether the question compares clusters."""
    return len(entities) >= 2 or bool(_COMPARE_Q.search(question))


def focus_text(question: str, entities: Sequence[str]) -> str:
    """The question without the names of the clusters it is about: what it asks of them."""
    focus = question
    for entity in entities:
        focus = re.sub(re.escape(entity) + r"(?:['’]s\b)?", " ", focus, flags=re.I)
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
    {"atten", "parti", "guest", "visit", "people", "deleg"},
]
_SYNONYM_OF: dict[str, frozenset[str]] = {}
for _group in SYNONYMS:
    for _member in _group:
        _SYNONYM_OF[_member] = _SYNONYM_OF.get(_member, frozenset()) | frozenset(_group)


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
    return [u for u in units if len(u) >= 12 and len(u.split()) >= 3
            and not looks_like_instruction(u)]  # text that speaks to the assistant is no fact


def _stem(word: str) -> str:
    return word[:5] if len(word) > 5 else word


class ExtractiveAnswerer(Answerer):
    """Compose an answer from the retrieved text itself, with a citation after each sentence."""

    name = "extractive"

    def __init__(self, embed_texts: EmbedTexts, min_relevance: float = 0.25,
                 min_evidence: float = 0.42, max_sentences: int = 3, cache_size: int = 20000):
        self.embed_texts = embed_texts
        self.min_relevance = min_relevance
        self.min_evidence = min_evidence
        self.max_sentences = max_sentences
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    def answer(self, question: str, query: Query, hits: list[Hit],
               history: list[dict[str, str]] | None = None) -> Answer:
        """Answer ``question`` from ``hits`` (ranked); abstain when the evidence is weak."""
        if not hits or max(h.similarity for h in hits) < self.min_relevance:
            return self._abstain("no passage is close to the question")
        kind = expected_kind(question)
        candidates = self._score(question, query, hits, kind)
        comparison = is_comparison(question, query.entities)
        if query.entities and not comparison:
            candidates = [c for c in candidates if c.about_entity]
            if not candidates:
                return self._abstain(f"no passage about {', '.join(query.entities)}")
        if kind:
            candidates = [c for c in candidates if c.typed]
            if not candidates:
                return self._abstain(f"no passage states a {kind}")
        candidates = [c for c in candidates if c.dated and c.has_attribute]
        if not candidates:
            return self._abstain("no passage states what is asked for that year or subject")
        if not candidates:
            return self._abstain("the passages hold no sentence")
        best = max(candidates, key=lambda c: c.score)
        if best.score < self.min_evidence:
            return self._abstain(f"best evidence {best.score:.2f} is under {self.min_evidence}")
        sources = [Source.from_hit(n, hit) for n, hit in enumerate(hits, start=1)]
        if comparison:
            chosen = self._per_cluster(candidates, hits, query.entities)
            text = "\n".join(f"- {_cluster_of(hits[c.hit_rank])}: {c.text} [{c.hit_rank + 1}]"
                             for c in chosen)
        else:
            chosen = self._select(candidates, best)
            text = " ".join(f"{c.text} [{c.hit_rank + 1}]" for c in chosen)
        return Answer(text, False, sources, {
            "backend": self.name, "evidence": round(best.score, 3),
            "coverage": round(best.coverage, 3), "similarity": round(best.similarity, 3)})

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
        vectors = self._vectors([*texts, focus])
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
        attribute = asked_attribute(question)
        entity_stems = {_stem(w) for n in named for w in content_words(n)}
        if attribute and (_stem(attribute) in QUESTION_WORDS | entity_stems):
            attribute = None
        wanted = _SYNONYM_OF.get(_stem(attribute), frozenset((_stem(attribute),))) \
            if attribute else frozenset()
        years = _YEARS.findall(question.split("(following:")[0])
        for candidate, similarity, found in zip(candidates, similarities, stems, strict=True):
            hit = hits[candidate.hit_rank]
            context = found | {_stem(w) for w in content_words(hit.metadata.get("section", ""))}
            candidate.coverage = (sum(w for t, w in weights.items() if groups[t] & context)
                                  / total if total else 0.5)
            candidate.has_attribute = not wanted or bool(wanted & context)
            candidate.dated = all(y in candidate.text or y in hit.metadata.get("heading_path", "")
                                  for y in years)
            candidate.similarity = float(similarity)
            candidate.typed = holds_kind(candidate.text, kind)
            candidate.about_entity = hit.matched_entity or any(
                _mentions(candidate.text, n) for n in named)
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
        """The best sentence for each cluster named (or, if none is named, each cluster found)."""
        best_by_cluster: dict[str, _Candidate] = {}
        for candidate in sorted(candidates, key=lambda c: c.score, reverse=True):
            cluster = _cluster_of(hits[candidate.hit_rank])
            if len(entities) >= 2:  # a table cell may be about another cluster than its doc
                cluster = next((e for e in entities if _mentions(candidate.text, e)), cluster)
                if cluster not in entities:
                    continue
            best_by_cluster.setdefault(cluster, candidate)
        chosen = sorted(best_by_cluster.values(), key=lambda c: c.score, reverse=True)
        return chosen[: max(len(entities), 4)] or [max(candidates, key=lambda c: c.score)]


def _cluster_of(hit: Hit) -> str:
    return str(hit.metadata.get("cluster") or hit.metadata.get("title") or hit.source)


def _overlap(a: str, b: str) -> float:
    wa, wb = set(content_words(a)), set(content_words(b))
    return len(wa & wb) / max(1, min(len(wa), len(wb)))
