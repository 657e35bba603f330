"""Indexing: bring the index in line with a corpus folder, embedding only what changed.

Unchanged files (same content hash) are skipped without being read again; a changed file's
chunks are re-derived and only chunks not already stored are embedded; files gone from the
corpus are removed. ``rebuild=True`` builds a fresh generation and switches to it at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING

from .chunking import Chunk, chunk_document
from .config import Settings
from .errors import CorpusNotFound, LoadError
from .generations import current_generation, remove_abandoned_generations, utc_now, write_lock
from .limits import Limits
from .loading.corpus import hash_file, iter_corpus, load_document
from .manifest import FileRecord, Manifest
from .organisations import spellings
from .store import IndexStore

if TYPE_CHECKING:  # langchain_core is slow to import: only for annotations here
    from langchain_core.embeddings import Embeddings

#: progress(stage, done, total): stage is "scanning", "reading", "embedding" or "keywords".
Progress = Callable[[str, int, int], None]
EMBED_WINDOW = 512


@dataclass
class IndexReport:
    """What one indexing run did. ``failed`` holds (source, one-line reason) pairs."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """The report as JSON-ready data."""
        data = asdict(self)
        data["failed"] = [{"source": s, "reason": r} for s, r in self.failed]
        return data

    def summary(self) -> str:
        """One line for people."""
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} "
            f"unchanged, {len(self.removed)} removed, {len(self.failed)} failed; "
            f"{self.embedded} chunks embedded, "
            + (f"{self.reused} vectors reused, " if self.reused else "")
            + f"{self.chunks} in the index ({self.seconds:.1f} s)"
        )


def embed_into(store: IndexStore, embeddings: Embeddings, chunks: list[Chunk],
               progress: Progress | None = None) -> int:
    """Embed ``chunks`` window by window and store them; return how many were embedded."""
    progress = progress or _no_progress
    for start in range(0, len(chunks), EMBED_WINDOW):
        progress("embedding", start, len(chunks))
        window = chunks[start : start + EMBED_WINDOW]
        store.add(window, embeddings.embed_documents([c.embedding_text for c in window]))
    progress("embedding", len(chunks), len(chunks))
    return len(chunks)


def _loaded(embeddings: Embeddings | Callable[[], Embeddings]) -> Embeddings:
    """The model itself, loading it now if it was passed as a loader."""
    return embeddings if hasattr(embeddings, "embed_documents") else embeddings()


def _harmonise_clusters(new_chunks: dict[str, list[Chunk]], manifest: Manifest) -> None:
    """One spelling per cluster across the index: a cluster read from a title in capitals
    takes the spelling other documents give it."""
    names = [r.metadata.get("cluster") for r in manifest.files.values()]
    names += [c.metadata.get("cluster") for chunks in new_chunks.values() for c in chunks[:1]]
    spelling = spellings(names)
    for chunk in (c for chunks in new_chunks.values() for c in chunks):
        cluster = chunk.metadata.get("cluster")
        if cluster in spelling:
            chunk.metadata["cluster"] = spelling[cluster]


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def sync_index(settings: Settings, embeddings: Embeddings | Callable[[], Embeddings],
               corpus_dir: Path | None = None,
               rebuild: bool = False, progress: Progress | None = None,
               known_vectors: Mapping[str, Sequence[float]] | None = None) -> IndexReport:
    """Index ``corpus_dir`` (default: the settings') incrementally; return what was done.

    ``embeddings`` may be a loader function: the model is then loaded only if something must
    be embedded, so a run over an unchanged corpus starts fast. ``known_vectors`` (chunk id to
    vector, as a repair salvages them) are stored instead of embedding those chunks again.
    An existing index that fails the cheap health check raises ``IndexDamaged``."""
    started = perf_counter()
    progress = progress or _no_progress
    corpus_dir = Path(corpus_dir or settings.corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusNotFound(
            f"corpus folder {corpus_dir} does not exist: create it and put documents in it, "
            "or pass --corpus DIR (BOT_CORPUS_DIR)"
        )
    report = IndexReport()
    root = settings.index_dir
    with write_lock(root):
        remove_abandoned_generations(root, settings)
        fresh = rebuild or current_generation(root) is None
        if fresh:
            embeddings = _loaded(embeddings)
            from .embeddings import embedding_dimension

            store = IndexStore.create(settings, embedding_dimension(embeddings))
        else:
            store = IndexStore.open(settings)
            store.ensure_consistent()
        manifest = store.manifest
        recovering = manifest.dirty

        paths = list(iter_corpus(corpus_dir))
        seen: set[str] = set()
        changed: list[tuple[Path, str, str]] = []  # path, source, hash
        for done, path in enumerate(paths, start=1):
            source = path.relative_to(corpus_dir).as_posix()
            seen.add(source)
            progress("scanning", done, len(paths))
            try:
                digest = hash_file(path)  # block by block: memory stays small
            except OSError as exc:
                report.failed.append((source, f"cannot read the file ({exc.strerror})"))
                continue
            record = manifest.files.get(source)
            if record is not None and record.hash == digest:
                report.unchanged.append(source)
            else:
                changed.append((path, source, digest))

        hash_of = {source: digest for _, source, digest in changed}
        max_bytes = int(settings.max_file_mb * 2**20) or None
        limits = Limits.from_settings(settings)
        new_chunks: dict[str, list[Chunk]] = {}
        for done, (path, source, _digest) in enumerate(changed, start=1):
            progress("reading", done, len(changed))
            try:
                document = load_document(path, corpus_dir, max_bytes=max_bytes, limits=limits)
            except LoadError as exc:
                report.failed.append((source, str(exc)))
                continue
            except Exception as exc:  # a parser bug on one file must not stop the run
                report.failed.append((source, f"cannot parse ({exc.__class__.__name__}: {exc})"))
                continue
            new_chunks[source] = chunk_document(document, settings.chunk_tokens,
                                                settings.chunk_overlap)
            (report.updated if source in manifest.files else report.added).append(source)

        _harmonise_clusters(new_chunks, manifest)
        pending = [c for chunks in new_chunks.values() for c in chunks]
        stored = store.existing_ids([c.id for c in pending]) if pending and not fresh else set()
        to_embed = [c for c in pending if c.id not in stored]
        manifest.dirty = True
        store.save_manifest()
        if known_vectors:
            salvaged = [c for c in to_embed if c.id in known_vectors]
            for start in range(0, len(salvaged), EMBED_WINDOW):
                window = salvaged[start : start + EMBED_WINDOW]
                store.add(window, [known_vectors[c.id] for c in window])
            report.reused = len(salvaged)
            to_embed = [c for c in to_embed if c.id not in known_vectors]
        if to_embed:
            report.embedded = embed_into(store, _loaded(embeddings), to_embed, progress)

        failed_sources = {s for s, _ in report.failed}
        stale: list[str] = []
        for source, chunks in new_chunks.items():
            keep = {c.id for c in chunks}
            old = manifest.files.get(source)
            if old is not None:
                stale.extend(i for i in old.chunk_ids if i not in keep)
            manifest.files[source] = FileRecord(
                hash=hash_of[source],
                title=chunks[0].title if chunks else source,
                chunk_ids=[c.id for c in chunks],
                metadata=chunks[0].metadata if chunks else {},
                indexed_at=utc_now(),
            )
        for source in list(manifest.files):
            if source not in seen or (source in failed_sources and source not in new_chunks):
                stale.extend(manifest.files.pop(source).chunk_ids)
                if source not in seen:
                    report.removed.append(source)
        store.delete(stale)
        if recovering:
            known = {i for record in manifest.files.values() for i in record.chunk_ids}
            store.delete(sorted(store.all_ids() - known))
        if (fresh or recovering or report.embedded or report.reused or stale
                or not store.has_keywords()):
            progress("keywords", 0, 1)
            store.rebuild_keywords()
            progress("keywords", 1, 1)
        manifest.dirty = False
        store.save_manifest()
        report.chunks = sum(len(record.chunk_ids) for record in manifest.files.values())
        if fresh:
            store.publish()
        store.close()
    report.seconds = perf_counter() - started
    return report
