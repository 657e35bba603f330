"""The persistent index: a Chroma collection of chunk vectors plus a manifest, in generations.

Layout of the index folder::

    index/
      CURRENT              name of the generation in use (replaced atomically)
      gen-<time>/          one generation: manifest.json, chroma/ (vectors), bm25/ (keywords,
                           rebuilt from the stored chunks after every run that changed them)
      .lock                held by the one process that writes

With ``BOT_CHROMA_HOST`` set, the vectors live on a Chroma server instead of ``chroma/``: each
generation is the server collection ``{BOT_COLLECTION}-{generation}``, and deleting a generation
deletes its collection too. The manifest and the BM25 index stay in the index folder.

A rebuild writes a new generation beside the one in use and switches ``CURRENT`` when it is
complete, so a killed rebuild leaves the previous index usable. Incremental updates write into
the current generation, vectors first and manifest last; a run that was interrupted is noticed
(the manifest stays marked ``dirty``) and the next one removes orphaned chunks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .chunking import CHUNKER_VERSION, Chunk
from .config import Settings
from .errors import ConfigError, IndexDamaged, IndexLocked, IndexMismatch, IndexNotFound
from .injection import instruction_sentences
from .keywords import ROWS_FILE, TEXT_LANGUAGE, KeywordIndex

MANIFEST_VERSION = 1
CURRENT_FILE = "CURRENT"
LOCK_FILE = ".lock"
BUILDING_MARKER = "BUILDING"
KEYWORDS_DIR = "bm25"

#: chromadb's process-wide client cache is not safe to fill from several threads at once (the
#: first questions of concurrent chat users failed with "Could not connect to tenant
#: default_tenant"), so clients and collections are created under this lock.
_CHROMA_LOCK = threading.Lock()


def utc_now() -> str:
    """Current time as an ISO 8601 string in UTC, seconds precision."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


@dataclass
class FileRecord:
    """What the index knows of one corpus file."""

    hash: str
    title: str
    chunk_ids: list[str]
    metadata: dict[str, Any]
    indexed_at: str


@dataclass
class Manifest:
    """The index describes itself: model, dimension, chunking and every file's content hash."""

    embedding_model: str
    dimension: int
    chunk_tokens: int
    chunk_overlap: int
    chunker_version: int = CHUNKER_VERSION
    embedding_backend: str = "torch"  # indexes written before the setting existed were torch
    files: dict[str, FileRecord] = field(default_factory=dict)
    created_at: str = field(default_factory=utc_now)
    updated_at: str = field(default_factory=utc_now)
    dirty: bool = False
    version: int = MANIFEST_VERSION

    @classmethod
    def for_settings(cls, settings: Settings, dimension: int) -> Manifest:
        """An empty manifest for an index built with ``settings``."""
        return cls(settings.embedding_model, dimension, settings.chunk_tokens,
                   settings.chunk_overlap, embedding_backend=settings.embedding_backend)

    def mismatch(self, settings: Settings) -> str | None:
        """Why an index built this way cannot serve ``settings``, or None when it can."""
        wanted = (settings.embedding_model, settings.embedding_backend, settings.chunk_tokens,
                  settings.chunk_overlap, CHUNKER_VERSION)
        have = (self.embedding_model, self.embedding_backend, self.chunk_tokens,
                self.chunk_overlap, self.chunker_version)
        if wanted == have:
            return None
        return (
            f"the index was built with model {self.embedding_model!r} on the "
            f"{self.embedding_backend} backend ({self.dimension} dimensions), chunks of "
            f"{self.chunk_tokens} tokens with {self.chunk_overlap} overlap "
            f"(chunker v{self.chunker_version}); the settings ask for model "
            f"{settings.embedding_model!r} on the {settings.embedding_backend} backend "
            f"(BOT_EMBEDDING_BACKEND), chunks of {settings.chunk_tokens}/"
            f"{settings.chunk_overlap} (chunker v{CHUNKER_VERSION})"
        )

    def to_json(self) -> str:
        """The manifest as JSON text."""
        return json.dumps(dataclasses.asdict(self), indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse a manifest written by ``to_json``."""
        raw = json.loads(text)
        raw["files"] = {k: FileRecord(**v) for k, v in raw.get("files", {}).items()}
        return cls(**raw)


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
        manifest_path = root / generation / "manifest.json"
        try:
            manifest = Manifest.from_json(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise IndexDamaged(str(root), f"{generation}/manifest.json is unreadable: "
                                          f"{exc.__class__.__name__}") from exc
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
        generation = time.strftime("gen-%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.time_ns() % 10**6}"
        (root / generation).mkdir()
        (root / generation / BUILDING_MARKER).touch()
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
        self.manifest.updated_at = utc_now()
        write_atomic(self.path / "manifest.json", self.manifest.to_json())

    def publish(self) -> None:
        """Make this generation the current one and delete generations older than the last
        (with their collections on a Chroma server)."""
        previous = current_generation(self.root)
        (self.path / BUILDING_MARKER).unlink(missing_ok=True)
        write_atomic(self.root / CURRENT_FILE, self.generation + "\n")
        keep = {self.generation, previous}
        for child in self.root.glob("gen-*"):
            if child.name not in keep:
                delete_generation(child, self.settings)

    def close(self) -> None:
        """Release the Chroma client; the next use reads the index from disk afresh."""
        client, self._client = self._client, None
        self._collection = None
        if client is not None and hasattr(client, "close"):
            client.close()  # the last client of a path stops chromadb's cached in-memory state
        self._keywords = None
        self._count = None


def current_generation(root: Path) -> str | None:
    """Name of the generation in use, or None when the folder holds no index (or ``CURRENT``
    names a generation that is gone: the next ``index`` builds afresh)."""
    try:
        name = (root / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return name if name and (root / name).is_dir() else None


def remove_abandoned_generations(root: Path, settings: Settings | None = None) -> None:
    """Delete generations left by interrupted rebuilds (call with the write lock held); with
    ``settings`` naming a Chroma server, their collections on it too."""
    for marker in root.glob(f"gen-*/{BUILDING_MARKER}"):
        delete_generation(marker.parent, settings)


def chroma_client(settings: Settings, path: Path):
    """A chromadb client: ``HttpClient`` of the server ``BOT_CHROMA_HOST`` names, else an
    on-disk ``PersistentClient`` in ``path``."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port,
                                       settings=chroma_settings)
        except Exception as exc:  # connection refused, wrong server, ...
            raise ConfigError(
                f"the Chroma server at {settings.chroma_host}:{settings.chroma_port} does not "
                f"answer ({exc.__class__.__name__}): start it with `chroma run --path DIR "
                f"--host {settings.chroma_host} --port {settings.chroma_port}`, or unset "
                "BOT_CHROMA_HOST for an on-disk index") from exc
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def delete_generation(folder: Path, settings: Settings | None = None) -> None:
    """Delete a generation's folder and, in server mode, its collection on the server."""
    if settings is not None and settings.chroma_host:
        try:
            chroma_client(settings, folder / "chroma").delete_collection(
                f"{settings.collection}-{folder.name}")
        except Exception:  # noqa: BLE001 - already gone, or the server is down: nothing to do
            pass
    shutil.rmtree(folder, ignore_errors=True)


def write_atomic(path: Path, text: str) -> None:
    """Write a file so that readers see the old or the new content, never a mix."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


@contextlib.contextmanager
def write_lock(root: Path) -> Iterator[None]:
    """Hold the index's write lock; raise ``IndexLocked`` if another process holds it."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK_FILE
    handle = open(path, "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise IndexLocked(
                f"the index at {root} is being updated by {holder}; try again when it finishes"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()} since {utc_now()}")
        handle.flush()
        yield
    finally:
        handle.close()
