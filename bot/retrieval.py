"""Retrieval: a question and filters → ranked ``Hit``s from the index.

Two rankings are fused by weighted reciprocal rank fusion (k=20, measured best in
bench/RESULTS.md): dense search over Chroma and BM25 over the keyword side index, both under the
same filters. With ``BOT_ENTITY_WEIGHT`` > 0, a question that names a cluster known to the index
adds a third ranking, of that cluster's own chunks (off by default: it raises fact accuracy a
little but lowers document hit rates). A cap on chunks per document keeps one long document
from crowding out the rest; questions across clusters are capped per cluster. A comparison of
named organisations is asked of each of them in turn ("Compare the fees of A and B": "... of
A", "... of B") and the hits of each taken in turn.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .config import EMBEDDING_SERVERS, Settings, is_default_model
from .errors import ConfigError
from .language import DEFAULT_LANGUAGE
from .question import Question, QuestionAnalyser
from .question.names import comparative_terms, subject_question
from .store import IndexStore, StoredChunk
from .text import fold

if TYPE_CHECKING:  # langchain_core is slow to import: only for annotations here
    from langchain_core.embeddings import Embeddings

FILTER_KEYS = ("cluster", "country", "year", "type", "topic", "source", "language")


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


def metadata_filter(filters: dict[str, Any] | None) -> Callable[[dict[str, Any]], bool] | None:
    """The same filters as ``build_where``, as a test of one chunk's metadata (for BM25)."""
    wanted: list[tuple[str, set]] = []
    for key, value in (filters or {}).items():
        if value in (None, "", []):
            continue
        values = value if isinstance(value, (list, tuple, set)) else [value]
        if key == "year":
            values = [int(v) for v in values]
        if key == "topic":
            values = [str(v).lower() for v in values]
        wanted.append(("topics" if key == "topic" else key, set(values)))
    if not wanted:
        return None

    def allowed(metadata: dict[str, Any]) -> bool:
        for key, values in wanted:
            have = metadata.get(key)
            found = set(have) if isinstance(have, list) else {have}
            if not found & values:
                return False
        return True

    # equal filters give equal masks: the keyword index caches them under this key
    allowed.cache_key = tuple(sorted((k, tuple(sorted(map(str, v)))) for k, v in wanted))
    return allowed


def _with_cluster(where: dict[str, Any] | None,
                  allowed: Callable[[dict[str, Any]], bool] | None,
                  cluster: str) -> tuple[dict[str, Any], Callable[[dict[str, Any]], bool]]:
    """A filter (Chroma's and as a test) that also requires ``cluster``."""
    def both(metadata: dict[str, Any]) -> bool:
        return metadata.get("cluster") == cluster and (allowed is None or allowed(metadata))

    both.cache_key = (getattr(allowed, "cache_key", ()), ("cluster", cluster))
    return ({"$and": [where, {"cluster": cluster}]} if where else {"cluster": cluster}), both


def fuse(rankings: list[tuple[float, list[str]]], k: int) -> dict[str, float]:
    """Weighted reciprocal rank fusion of ranked id lists, scaled so that an id ranked first
    by every list scores 1."""
    total = sum(weight for weight, _ in rankings) or 1.0
    fused: dict[str, float] = defaultdict(float)
    for weight, ids in rankings:
        for rank, item in enumerate(ids):
            fused[item] += weight * (k + 1) / (k + rank + 1)
    return {item: score / total for item, score in fused.items()}


#: How many times ``k`` passages a question that ranks clusters gets (one cluster's own
#: passages count against the cap per cluster).
RANKING_BREADTH = 3


class Retriever:
    """Hybrid retrieval: dense and BM25 rankings fused, clusters named in the question
    preferred, and a cap on chunks per document (per cluster for comparisons)."""

    def __init__(self, store: IndexStore, embeddings: Embeddings, settings: Settings):
        self.store = store
        self.embeddings = embeddings
        self.settings = settings
        self.analyser = QuestionAnalyser(store, embeddings)

    def _dense_weight(self, query: Question) -> float:
        """The dense ranking's weight: lower for a question in another language than the
        bundled English model's, whose vectors of such text say little."""
        settings = self.settings
        english_model = (settings.embedding_backend not in EMBEDDING_SERVERS
                         and is_default_model(settings.embedding_model))
        if english_model and query.language != DEFAULT_LANGUAGE:
            return settings.other_language_dense_weight
        return settings.dense_weight

    def _rankings(self, query: Question, filters: dict[str, Any] | None,
                  n: int) -> tuple[list[tuple[float, list[str]]], dict[str, StoredChunk]]:
        """Ranked id lists (with weights) of each signal, and the chunks they found."""
        settings = self.settings
        where = build_where(filters)
        allowed = metadata_filter(filters)
        found: dict[str, StoredChunk] = {}
        rankings: list[tuple[float, list[str]]] = []
        if settings.retrieval in ("dense", "hybrid"):
            dense = self.store.query(query.vector, n, where, allowed)
            found.update((c.id, c) for c in dense)
            rankings.append((self._dense_weight(query), [c.id for c in dense]))
            for entity in query.entities if settings.entity_weight > 0 else []:
                # each named cluster's own documents, ranked
                named = self.store.query(query.vector, n // 2,
                                         *_with_cluster(where, allowed, entity))
                found.update((c.id, c) for c in named if c.id not in found)
                rankings.append((settings.entity_weight / len(query.entities),
                                 [c.id for c in named]))
        keywords = self.store.keywords if settings.retrieval in ("keyword", "hybrid") else None
        if keywords is not None:
            sparse = keywords.search(query.text, n, allowed, query.language)
            rankings.append((settings.keyword_weight, [h.id for h in sparse]))
        return rankings, found

    def search(self, query: Question | str, k: int = 5,
               filters: dict[str, Any] | None = None) -> list[Hit]:
        """The ``k`` best chunks for ``query`` under ``filters``."""
        if isinstance(query, str):
            query = self.analyser.read(query)
        if query.compares and len(query.entities + query.others) >= 2:
            return self._search_each(query, k, filters)
        rankings, found = self._rankings(query, filters, self.settings.candidates)
        fused = fuse(rankings, self.settings.rrf_k)
        order = sorted(fused, key=fused.get, reverse=True)[: max(4 * k, 20)]
        missing = [i for i in order if i not in found]
        if missing:  # found by keywords only: fetch their text and dense similarity
            found.update((c.id, c) for c in self.store.get(missing, query.vector))
        named = {fold(e) for e in query.entities}
        hits: list[Hit] = []
        for chunk_id in order:
            chunk = found.get(chunk_id)
            if chunk is None:
                continue
            cluster = fold(str(chunk.metadata.get("cluster", "")))
            title = fold(str(chunk.metadata.get("title", "")))
            matched = bool(named) and (cluster in named or any(n in title for n in named))
            hits.append(Hit(chunk.id, chunk.text, chunk.metadata, fused[chunk_id], chunk.score,
                            matched))
        # a question that ranks clusters needs the figures of more of them than k passages hold
        return self._diversify(hits, RANKING_BREADTH * k if query.ranks else k, query)

    def _search_each(self, query: Question, k: int,
                     filters: dict[str, Any] | None) -> list[Hit]:
        """A comparison: the question asked of each cluster it names, and the ``k`` chunks
        found for each taken in turn (so there may be up to ``k`` per cluster)."""
        subjects = (query.entities + query.others)[:4]
        written = [query.name_of(s) for s in subjects]
        found: list[list[Hit]] = []
        for subject, name in zip(subjects, written):
            text = " ".join([subject_question(query.text, name, written),
                             *comparative_terms(query.text)])
            known = [subject] if subject in query.entities else []
            single = Question(text, self.embeddings.embed_query(text), known, False,
                           {subject: name} if name != subject else {})
            found.append(self.search(single, k, filters))
        hits: dict[str, Hit] = {}
        for rank in range(k):
            for subject_hits in found:
                if rank < len(subject_hits):
                    hits.setdefault(subject_hits[rank].id, subject_hits[rank])
        return list(hits.values())

    def search_documents(self, query: Question | str, n: int = 100,
                         filters: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """The ``n`` best documents as (source, score): each signal ranks documents by their
        best chunk, and the document rankings are fused."""
        if isinstance(query, str):
            query = self.analyser.read(query)
        rankings, found = self._rankings(query, filters, max(3 * n, self.settings.candidates))
        source_of = {i: c.metadata.get("source", "") for i, c in found.items()}
        keywords = self.store.keywords
        if keywords is not None:
            source_of.update((i, m.get("source", "")) for i, m in zip(keywords.ids,
                                                                      keywords.metadata))
        document_rankings = [(weight, list(dict.fromkeys(source_of[i] for i in ids)))
                             for weight, ids in rankings]
        fused = fuse(document_rankings, self.settings.rrf_k)
        return sorted(fused.items(), key=lambda item: item[1], reverse=True)[:n]

    def _diversify(self, hits: list[Hit], k: int, query: Question) -> list[Hit]:
        """Cap chunks per document (not for a question about one named cluster: its few
        documents hold the answer); for comparisons, also per cluster, and make sure every
        named cluster is represented."""
        single = len(query.entities) == 1 and not query.comparison
        cap = k if single else self.settings.per_document
        taken: list[Hit] = []
        overflow: list[Hit] = []
        per_source: Counter[str] = Counter()
        per_cluster: Counter[str] = Counter()
        first_of_entity = [next((h for h in hits if fold(str(h.metadata.get("cluster", "")))
                                 == fold(e)), None) for e in query.entities]
        ordered = [h for h in first_of_entity if h is not None] if query.comparison else []
        ordered += [h for h in hits if h not in ordered]
        for hit in ordered:
            cluster = str(hit.metadata.get("cluster", ""))
            if per_source[hit.source] >= cap or (query.comparison and per_cluster[cluster] >= cap):
                overflow.append(hit)
                continue
            per_source[hit.source] += 1
            per_cluster[cluster] += 1
            taken.append(hit)
        if len(taken) < k:  # only a few documents are relevant: let them fill the list
            taken += overflow[: k - len(taken)]
        return sorted(taken[:k], key=lambda h: h.score, reverse=True)
