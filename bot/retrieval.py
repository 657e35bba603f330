"""Retrieval: a question and filters → ranked ``Hit``s from the index.

Dense search over Chroma gives the candidates. Questions that name a cluster known to the index
also search that cluster's documents, and those documents rank first, so a question about one
organisation is answered from the document about it. A cap on chunks per document keeps one long
document from crowding out the rest.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from langchain_core.embeddings import Embeddings

from .errors import ConfigError
from .store import IndexStore, StoredChunk
from .text import STOPWORDS, words

#: Added to the score of chunks about a cluster the question names.
ENTITY_BOOST = 0.15
FILTER_KEYS = ("cluster", "country", "year", "type", "topic", "source")
#: Words too common in cluster names to identify one cluster.
GENERIC_NAME_WORDS = STOPWORDS | {
    "cluster", "clusters", "network", "association", "innovation", "regional", "european",
    "life", "science", "sciences", "health", "biotech", "biotechnology", "technology", "multiple",
    "project", "programme", "program", "initiative", "platform", "council", "centre", "center",
}


@dataclass
class Hit:
    """A retrieved chunk: its text, metadata, final score and dense similarity."""

    id: str
    text: str
    metadata: dict[str, Any]
    score: float
    similarity: float
    matched_entity: bool = False

    @property
    def source(self) -> str:
        """Path of the document relative to the corpus."""
        return self.metadata.get("source", "")


@dataclass
class Query:
    """A question prepared for retrieval: its vector and the clusters it names."""

    text: str
    vector: list[float]
    entities: list[str] = field(default_factory=list)


def build_where(filters: dict[str, Any] | None) -> dict[str, Any] | None:
    """Translate user filters (cluster, country, year, type, topic, source) to a Chroma filter.

    A value may be a list, meaning any of its items.
    """
    if not filters:
        return None
    clauses: list[dict[str, Any]] = []
    for key, value in filters.items():
        if value in (None, "", []):
            continue
        if key not in FILTER_KEYS:
            raise ConfigError(f"unknown filter {key!r}: use one of {', '.join(FILTER_KEYS)}")
        values = value if isinstance(value, (list, tuple, set)) else [value]
        if key == "year":
            try:
                values = [int(v) for v in values]
            except ValueError:
                raise ConfigError(f"year filter {value!r} is not a year") from None
        if key == "topic":
            options = [{"topics": {"$contains": str(v).lower()}} for v in values]
            clauses.append(options[0] if len(options) == 1 else {"$or": options})
        else:
            clauses.append({key: values[0]} if len(values) == 1 else {key: {"$in": list(values)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _fold(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c)
    )


class EntityMatcher:
    """Finds the clusters a question names, by full name or by a word unique to one name."""

    def __init__(self, names: list[str]):
        self.names = sorted({n for n in names if n and n.lower() != "multiple"})
        owners: dict[str, set[str]] = defaultdict(set)
        for name in self.names:
            for word in words(_fold(name)):
                if word not in GENERIC_NAME_WORDS and len(word) > 2:
                    owners[word].add(name)
        self.keys = {word: next(iter(o)) for word, o in owners.items() if len(o) == 1}

    def find(self, question: str) -> list[str]:
        """Cluster names mentioned in ``question``, in order of first mention."""
        folded = _fold(question)
        found: dict[str, int] = {}
        for name in self.names:
            position = folded.find(_fold(name))
            if position >= 0 and re.search(rf"\b{re.escape(_fold(name))}\b", folded):
                found[name] = position
        for position, word in enumerate(words(folded)):
            name = self.keys.get(word)
            if name and name not in found:
                found[name] = 10_000 + position
        return sorted(found, key=found.get)


class Retriever:
    """Dense retrieval with entity preference and per-document caps."""

    def __init__(self, store: IndexStore, embeddings: Embeddings, candidates: int = 30,
                 per_document: int = 2):
        self.store = store
        self.embeddings = embeddings
        self.candidates = candidates
        self.per_document = per_document
        clusters = [r.metadata.get("cluster", "") for r in store.manifest.files.values()]
        self.entities = EntityMatcher(clusters)

    def prepare(self, question: str) -> Query:
        """Embed the question and find the clusters it names."""
        return Query(question, self.embeddings.embed_query(question),
                     self.entities.find(question))

    def search(self, query: Query | str, k: int = 5,
               filters: dict[str, Any] | None = None) -> list[Hit]:
        """The ``k`` best chunks for ``query`` under ``filters``."""
        if isinstance(query, str):
            query = self.prepare(query)
        where = build_where(filters)
        found = self.store.query(query.vector, self.candidates, where)
        for entity in query.entities:  # each named cluster's own documents are candidates
            where_named = {"$and": [where, {"cluster": entity}]} if where else {"cluster": entity}
            found += self.store.query(query.vector, self.candidates // 2, where_named)
        hits = self._rank(found, query)
        return self._diversify(hits, k)

    def search_documents(self, query: Query | str, n: int = 100,
                         filters: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """The ``n`` best documents as (source, score): each scored by its best chunk."""
        if isinstance(query, str):
            query = self.prepare(query)
        found = self.store.query(query.vector, max(n * 3, self.candidates), build_where(filters))
        best: dict[str, float] = {}
        for chunk in found:
            source = chunk.metadata.get("source", "")
            best[source] = max(best.get(source, -1.0), chunk.score)
        return sorted(best.items(), key=lambda item: item[1], reverse=True)[:n]

    def _rank(self, found: list[StoredChunk], query: Query) -> list[Hit]:
        named = {_fold(e) for e in query.entities}
        best: dict[str, Hit] = {}
        for chunk in found:
            if chunk.id in best:
                continue
            cluster = _fold(str(chunk.metadata.get("cluster", "")))
            title = _fold(str(chunk.metadata.get("title", "")))
            matched = bool(named) and (cluster in named or any(n in title for n in named))
            best[chunk.id] = Hit(chunk.id, chunk.text, chunk.metadata, chunk.score,
                                 chunk.score, matched)
            if matched:
                best[chunk.id].score += ENTITY_BOOST
        return sorted(best.values(), key=lambda h: h.score, reverse=True)

    def _diversify(self, hits: list[Hit], k: int) -> list[Hit]:
        taken: list[Hit] = []
        per_source: Counter[str] = Counter()
        overflow: list[Hit] = []
        for hit in hits:
            if per_source[hit.source] >= self.per_document:
                overflow.append(hit)
                continue
            per_source[hit.source] += 1
            taken.append(hit)
        if len(taken) < k:  # only a few documents are relevant: let them fill the list
            taken += overflow[: k - len(taken)]
        return taken[:k]
