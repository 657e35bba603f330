"""One generation of the index as a store of chunks: the Chroma collection of their vectors,
text and metadata (add, delete, get, query, read back in batches), the keyword side index
(``bot.keywords``) rebuilt from it, and the cheap check that both agree with the manifest
(``bot.manifest``). Where generations live and which one is in use is ``bot.generations``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .chunking import Chunk
from .config import Settings
from .errors import IndexDamaged, IndexMismatch, IndexNotFound
from .generations import chroma_client, current_generation, new_generation, publish
from .injection import instruction_sentences
from .keywords import ROWS_FILE, TEXT_LANGUAGE, KeywordIndex
from .manifest import Manifest

KEYWORDS_DIR = "bm25"

#: chromadb's process-wide client cache is not safe to fill from several threads at once (the
#: first questions of concurrent chat users failed with "Could not connect to tenant
#: default_tenant"), so clients and collections are created under this lock.
_CHROMA_LOCK = threading.Lock()


def chunk_metadata(chunk: Chunk) -> dict[str, Any]:
    """Chroma metadata of a chunk: scalars and string lists only (Chroma stores no None).

    ``instruction_like`` says whether the chunk holds a sentence that addresses an AI assistant
    or asks the reader to act (``bot.injection``); ``instructions`` lists those sentences."""
    meta: dict[str, Any] = {
        "source": chunk.source,
        "title": chunk.title,
        "section": chunk.section,
        "heading_path": chunk.heading_path,
    }
    if chunk.page is not None:
        meta["page"] = chunk.page
    if chunk.headings:
        meta["headings"] = list(chunk.headings)
    meta[TEXT_LANGUAGE] = chunk.language
    for key, value in chunk.metadata.items():
        if isinstance(value, list):
            if value:
                meta[key] = [str(v) for v in value]
        elif isinstance(value, (str, int, float, bool)):
            meta[key] = value
    # set after the document's own metadata, which must not unset the mark
    flagged = instruction_sentences(chunk.text)
    meta["instruction_like"] = bool(flagged)
    meta.pop("instructions", None)
    if flagged:
        meta["instructions"] = flagged
    return meta


@dataclass
class StoredChunk:
    """A chunk as read back from the index, with its similarity to the query."""

    id: str
    text: str
    metadata: dict[str, Any]
    score: float


class IndexStore:
    """One generation of the index: vectors in Chroma, the manifest beside them."""

    def __init__(self, root: Path, generation: str, manifest: Manifest, settings: Settings):
        self.root = root
        self.generation = generation
        self.path = root / generation
        self.manifest = manifest
        self.settings = settings
        self._client = None
        self._collection = None
        self._keywords: KeywordIndex | None = None
        self._count: int | None = None  # cached; add() and delete() forget it

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, settings: Settings) -> IndexStore:
        """Open the current generation for reading; fail if absent or built differently."""
        root = settings.index_dir
        generation = current_generation(root)
        if generation is None:
            raise IndexNotFound(str(root))
        manifest = Manifest.read(root, generation)
        reason = manifest.mismatch(settings)
        if reason:
            raise IndexMismatch(
                f"{reason}: rebuild it with `clusterbot index --rebuild --index {root}`"
            )
        return cls(root, generation, manifest, settings)

    @classmethod
    def create(cls, settings: Settings, dimension: int) -> IndexStore:
        """A new, empty generation (not yet current: ``publish()`` makes it so)."""
        root = settings.index_dir
        root.mkdir(parents=True, exist_ok=True)
        generation = new_generation(root)
        store = cls(root, generation, Manifest.for_settings(settings, dimension), settings)
        store.save_manifest()
        return store

    # ------------------------------------------------------------------ Chroma

    @property
    def collection_name(self) -> str:
        """Chroma collection of this generation."""
        return f"{self.settings.collection}-{self.generation}"

    @property
    def client(self):
        """The chromadb client: on disk in the generation's folder, or a Chroma server's."""
        if self._client is None:
            with _CHROMA_LOCK:
                if self._client is None:
                    self._client = chroma_client(self.settings, self.path / "chroma")
        return self._client

    @property
    def collection(self):
        """The Chroma collection of the chunks (cosine distance)."""
        if self._collection is None:
            client = self.client
            with _CHROMA_LOCK:
                if self._collection is None:
                    self._collection = client.get_or_create_collection(
                        self.collection_name, metadata={"hnsw:space": "cosine"},
                        embedding_function=None,
                    )
        return self._collection

    def vectorstore(self, embeddings):
        """The same collection as a LangChain ``Chroma`` vector store."""
        from langchain_chroma import Chroma

        return Chroma(client=self.client, collection_name=self.collection_name,
                      embedding_function=embeddings,
                      collection_metadata={"hnsw:space": "cosine"})

    def add(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        """Store chunks with their vectors (existing ids are overwritten)."""
        step = self.client.get_max_batch_size()
        for start in range(0, len(chunks), step):
            part = chunks[start : start + step]
            self.collection.upsert(
                ids=[c.id for c in part],
                embeddings=[list(map(float, v)) for v in vectors[start : start + step]],
                documents=[c.text for c in part],
                metadatas=[chunk_metadata(c) for c in part],
            )
        self._count = None

    def delete(self, ids: Sequence[str]) -> None:
        """Remove chunks by id (unknown ids are ignored)."""
        if not ids:
            return
        step = self.client.get_max_batch_size()
        for start in range(0, len(ids), step):
            self.collection.delete(ids=list(ids[start : start + step]))
        self._count = None

    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        """Those of ``ids`` that are stored."""
        found: set[str] = set()
        step = self.client.get_max_batch_size()
        for start in range(0, len(ids), step):
            found.update(self.collection.get(ids=list(ids[start : start + step]),
                                             include=[])["ids"])
        return found

    def all_ids(self) -> set[str]:
        """Every stored chunk id."""
        return set(self.collection.get(include=[])["ids"])

    def iter_stored(self, batch: int = 5000) -> Iterator[tuple[list[str], list[str], list[dict],
                                                                 Any]]:
        """Every stored chunk as batches of (ids, texts, metadata, vectors)."""
        for offset in range(0, self.count(), batch):
            got = self.collection.get(include=["documents", "metadatas", "embeddings"],
                                      limit=batch, offset=offset)
            yield (got["ids"], got["documents"], [m or {} for m in got["metadatas"]],
                   got["embeddings"])

    @property
    def keywords(self) -> KeywordIndex | None:
        """The BM25 side index of this generation (None until built)."""
        if self._keywords is None:
            try:
                self._keywords = KeywordIndex.load(self.path / KEYWORDS_DIR)
            except ValueError as exc:
                raise IndexDamaged(str(self.root), f"keyword index: {exc}") from exc
        return self._keywords

    def has_keywords(self) -> bool:
        """Whether the BM25 side index of this generation has been built."""
        return (self.path / KEYWORDS_DIR / ROWS_FILE).is_file()

    def rebuild_keywords(self) -> None:
        """Rebuild the side index from the stored chunks: BM25 over heading path and text, and
        a copy of the vectors for filtered dense search."""
        import numpy as np

        ids: list[str] = []
        texts: list[str] = []
        metadata: list[dict] = []
        vectors = []
        for batch_ids, batch_texts, batch_meta, batch_vectors in self.iter_stored():
            ids += batch_ids
            texts += [f"{m.get('heading_path', '')}\n{t}" for t, m in zip(batch_texts, batch_meta)]
            metadata += batch_meta
            vectors.append(np.asarray(batch_vectors, dtype=np.float32).reshape(
                len(batch_ids), self.manifest.dimension))
        matrix = np.concatenate(vectors) if vectors else None
        self._keywords = KeywordIndex.build(ids, texts, metadata, matrix)
        self._keywords.save(self.path / KEYWORDS_DIR)

    def ensure_consistent(self) -> None:
        """The cheap health check: raise ``IndexDamaged`` unless Chroma and the keyword index
        hold as many chunks as the manifest lists (skipped while a run is writing: a dirty
        manifest is reconciled by the next ``index``). ``clusterbot check`` looks deeper."""
        if self.manifest.dirty:
            return
        expected = sum(len(record.chunk_ids) for record in self.manifest.files.values())
        try:
            stored = self.count()
        except Exception as exc:  # noqa: BLE001 - sqlite, HNSW and Rust errors alike
            raise IndexDamaged(str(self.root), f"the vector store cannot be read: "
                                               f"{exc.__class__.__name__}: {exc}") from exc
        if stored != expected:
            raise IndexDamaged(str(self.root), f"the vector store holds {stored} chunks, the "
                                               f"manifest lists {expected}")
        keywords = self.keywords
        if keywords is not None and len(keywords.ids) != expected:
            raise IndexDamaged(str(self.root), f"the keyword index holds {len(keywords.ids)} "
                                               f"chunks, the manifest lists {expected}")

    def count(self) -> int:
        """Number of stored chunks (asked once; ``add`` and ``delete`` make it ask again)."""
        if self._count is None:
            self._count = self.collection.count()
        return self._count

    def get(self, ids: Sequence[str],
            vector: Sequence[float] | None = None) -> list[StoredChunk]:
        """Chunks by id, in the order asked (missing ids left out); with ``vector``, each
        scored by its cosine similarity to it."""
        if not ids:
            return []
        include = ["documents", "metadatas"] + (["embeddings"] if vector is not None else [])
        got = self.collection.get(ids=list(ids), include=include)
        scores = [0.0] * len(got["ids"])
        if vector is not None and len(got["ids"]):
            import numpy as np

            scores = (np.asarray(got["embeddings"], dtype=np.float32)
                      @ np.asarray(vector, dtype=np.float32)).tolist()
        by_id = {i: StoredChunk(i, d, m or {}, s) for i, d, m, s in
                 zip(got["ids"], got["documents"], got["metadatas"], scores, strict=True)}
        return [by_id[i] for i in ids if i in by_id]

    def chunks_of(self, source: str) -> list[StoredChunk]:
        """Every chunk of the document ``source``."""
        got = self.collection.get(where={"source": source}, include=["documents", "metadatas"])
        return [StoredChunk(i, d, m or {}, 0.0)
                for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)]

    def query(self, vector: Sequence[float], k: int, where: dict[str, Any] | None = None,
              allowed: Callable[[dict[str, Any]], bool] | None = None) -> list[StoredChunk]:
        """The ``k`` chunks nearest to ``vector`` (cosine similarity as score) that pass
        ``where`` (a Chroma filter). ``allowed``, the same filter as a test of a chunk's
        metadata, lets the side index's vectors answer instead of Chroma's filter."""
        n = min(k, self.count())
        if n == 0:
            return []
        keywords = self.keywords if where and allowed is not None else None
        if keywords is not None and keywords.vectors is not None:
            nearest = keywords.nearest(vector, n, allowed)
            score = dict(nearest)
            return [StoredChunk(c.id, c.text, c.metadata, score[c.id])
                    for c in self.get([i for i, _ in nearest])]
        result = self.collection.query(
            query_embeddings=[list(map(float, vector))], n_results=n, where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            StoredChunk(i, d, m or {}, 1.0 - float(dist))
            for i, d, m, dist in zip(result["ids"][0], result["documents"][0],
                                     result["metadatas"][0], result["distances"][0], strict=True)
        ]

    # ------------------------------------------------------------------ manifest

    def save_manifest(self) -> None:
        """Write the manifest atomically."""
        self.manifest.save(self.path)

    def publish(self) -> None:
        """Make this generation the current one and delete generations older than the last
        (with their collections on a Chroma server)."""
        publish(self.root, self.generation, self.settings)

    def close(self) -> None:
        """Release the Chroma client; the next use reads the index from disk afresh."""
        client, self._client = self._client, None
        self._collection = None
        if client is not None and hasattr(client, "close"):
            client.close()  # the last client of a path stops chromadb's cached in-memory state
        self._keywords = None
        self._count = None
