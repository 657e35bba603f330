"""Index health: do the manifest, the vectors (Chroma) and the keyword side index agree?

``inspect_index`` looks at every part of the current generation and lists what is wrong: a
manifest that cannot be read, a vector store that cannot be read or holds other chunks than the
manifest lists (an emptied or deleted ``chroma.sqlite3``), vectors of the wrong dimension, a
keyword index with unreadable files or other rows. It changes nothing.

``repair_index`` rebuilds only what is damaged, from what is intact:

* keyword index damaged → rebuilt from the chunks stored in Chroma (no embedding);
* manifest damaged → rebuilt by re-reading the corpus; the chunks already stored keep their
  vectors, so nothing is embedded unless a document changed;
* vectors damaged → a new generation built from the corpus, taking each chunk's vector from the
  keyword index's copy; only chunks without a saved vector are embedded again.

The cheap part of the check (counts, readable files) runs whenever an index is opened
(``IndexStore.ensure_consistent``), so ``ask`` and ``index`` refuse a damaged index with an
``IndexDamaged`` error that names ``clusterbot check --repair``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING

from .config import Settings
from .errors import IndexDamaged, IndexNotFound
from .generations import current_generation, delete_generation, write_lock
from .indexing import Progress, sync_index
from .keywords import KeywordIndex
from .manifest import Manifest
from .store import KEYWORDS_DIR, IndexStore

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

#: The parts of an index a problem can be in.
PARTS = ("manifest", "vectors", "keywords")


@dataclass
class Problem:
    """One thing wrong with the index: the part it is in and what is wrong."""

    part: str
    detail: str


@dataclass
class HealthReport:
    """What ``inspect_index`` found and what ``repair_index`` did."""

    index_dir: str
    generation: str | None
    chunks: int = 0
    problems: list[Problem] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether no problem was found."""
        return not self.problems

    def damaged(self, part: str) -> bool:
        """Whether ``part`` (one of ``PARTS``) has a problem."""
        return any(p.part == part for p in self.problems)

    def to_dict(self) -> dict:
        """The report as JSON-ready data."""
        return {**asdict(self), "ok": self.ok}

    def summary(self) -> str:
        """Lines for people: what was repaired, then each remaining problem, or that all is well."""
        lines = [f"repaired: {line}" for line in self.repaired]
        if self.ok:
            lines.append(f"index {self.index_dir} ({self.generation}) is healthy: manifest, "
                         f"vectors and keyword index agree on {self.chunks} chunks "
                         f"({self.seconds:.1f} s)")
        else:
            lines += [f"{p.part}: {p.detail}" for p in self.problems]
            lines.append(f"repair it with `clusterbot check --repair --index {self.index_dir}`")
        return "\n".join(lines)


def inspect_index(settings: Settings) -> HealthReport:
    """Check every part of the current generation of ``settings.index_dir``; change nothing.

    Raises ``IndexNotFound`` when there is no index, ``IndexMismatch`` when it was built with
    other settings (that needs a rebuild, not a repair)."""
    started = perf_counter()
    root = settings.index_dir
    generation = current_generation(root)
    if generation is None:
        raise IndexNotFound(str(root))
    report = HealthReport(str(root), generation)
    try:
        store = IndexStore.open(settings)
    except IndexDamaged as exc:
        report.problems.append(Problem("manifest", exc.what))
        store = IndexStore(root, generation, Manifest.for_settings(settings, 0), settings)
    try:
        _inspect(store, report)
    finally:
        store.close()
    report.seconds = perf_counter() - started
    return report


def _inspect(store: IndexStore, report: HealthReport) -> None:
    manifest_ids = {i for record in store.manifest.files.values() for i in record.chunk_ids}
    manifest_ok = not report.damaged("manifest")
    report.chunks = len(manifest_ids)
    if manifest_ok and store.manifest.dirty:
        report.problems.append(Problem("manifest", "an indexing run was interrupted (run "
                                                   "`clusterbot index` to finish it)"))
    stored_ids = _inspect_vectors(store, report, manifest_ids if manifest_ok else None)
    keywords = _inspect_keywords(store, report)
    reference, name = (manifest_ids, "the manifest") if manifest_ok else (stored_ids,
                                                                          "the vector store")
    if keywords is not None and reference is not None and set(keywords.ids) != reference:
        report.problems.append(Problem("keywords", _differ("the keyword index", keywords.ids,
                                                           name, reference)))


def _inspect_vectors(store: IndexStore, report: HealthReport,
                     manifest_ids: set[str] | None) -> set[str] | None:
    """Problems of the Chroma part; its chunk ids when it could be read."""
    try:
        stored_ids = store.all_ids()
        sample = store.collection.get(limit=1, include=["embeddings"])["embeddings"]
        if len(sample):
            dimension = len(sample[0])
            if manifest_ids is not None and dimension != store.manifest.dimension:
                report.problems.append(Problem("vectors", f"vectors have {dimension} dimensions,"
                                               f" the manifest says {store.manifest.dimension}"))
            store.collection.query(query_embeddings=[list(map(float, sample[0]))],
                                   n_results=1, include=[])
    except Exception as exc:  # noqa: BLE001 - sqlite, HNSW and Rust errors alike
        report.problems.append(Problem("vectors", f"the vector store cannot be read "
                                                  f"({exc.__class__.__name__}: {exc})"))
        return None
    if manifest_ids is not None and stored_ids != manifest_ids:
        report.problems.append(Problem("vectors", _differ("the vector store", stored_ids,
                                                          "the manifest", manifest_ids)))
    return stored_ids


def _inspect_keywords(store: IndexStore, report: HealthReport) -> KeywordIndex | None:
    """Problems of the keyword side index; the index when it could be read."""
    folder = store.path / KEYWORDS_DIR
    try:
        keywords = KeywordIndex.load(folder)
    except ValueError as exc:
        report.problems.append(Problem("keywords", str(exc)))
        return None
    if keywords is None:
        report.problems.append(Problem("keywords", f"{folder} holds no keyword index"))
        return None
    if keywords.ids and keywords.vectors is None:
        report.problems.append(Problem("keywords", "the copy of the vectors is missing"))
    elif keywords.vectors is not None and len(keywords.ids) and not report.damaged("manifest") \
            and keywords.vectors.shape[1] != store.manifest.dimension:
        report.problems.append(Problem("keywords", f"the copy of the vectors has "
                                                   f"{keywords.vectors.shape[1]} dimensions"))
    if keywords.ids:
        try:
            keywords.search("cluster", 1)
        except Exception as exc:  # noqa: BLE001 - bm25s raises what numpy raises
            report.problems.append(Problem("keywords", f"a keyword search fails "
                                                       f"({exc.__class__.__name__}: {exc})"))
            return None
    return keywords


def _differ(name: str, have, other: str, expected) -> str:
    have, expected = set(have), set(expected)
    return (f"{name} holds {len(have)} chunks, {other} {len(expected)} "
            f"({len(have - expected)} not in {other}, {len(expected - have)} missing)")


def repair_index(settings: Settings, embeddings: Embeddings | Callable[[], Embeddings],
                 corpus_dir: Path | None = None,
                 progress: Progress | None = None) -> HealthReport:
    """Repair what ``inspect_index`` finds damaged from what is intact (see the module's
    docstring); return the check made after the repair, listing what was done."""
    started = perf_counter()
    found = inspect_index(settings)
    if found.ok:
        return found
    root = settings.index_dir
    repaired: list[str] = []
    if found.damaged("vectors"):
        known = _salvaged_vectors(settings, found.generation)
        report = sync_index(settings, embeddings, corpus_dir, rebuild=True, progress=progress,
                            known_vectors=known)
        with write_lock(root):
            delete_generation(root / str(found.generation), settings)
        repaired.append(f"vectors: a new generation built from the corpus; {report.reused} "
                        f"vectors reused from the keyword index, {report.embedded} embedded")
    elif found.damaged("manifest"):
        with write_lock(root):
            try:
                IndexStore.open(settings).close()  # readable: only an interrupted run to finish
            except IndexDamaged:
                store = _store_without_manifest(settings, str(found.generation))
                store.save_manifest()
                store.close()
        report = sync_index(settings, embeddings, corpus_dir, progress=progress)
        repaired.append(f"manifest: rebuilt from the corpus ({len(report.added)} documents; "
                        f"{report.embedded} chunks embedded, the others kept their vectors)")
    else:
        with write_lock(root):
            store = IndexStore.open(settings)
            store.rebuild_keywords()
            store.close()
        repaired.append(f"keyword index: rebuilt from the {found.chunks} stored chunks")
    after = inspect_index(settings)
    after.repaired = repaired
    after.seconds = perf_counter() - started
    return after


def _salvaged_vectors(settings: Settings, generation: str | None) -> dict[str, list[float]]:
    """Chunk id → vector from the damaged generation's keyword index (empty when unreadable)."""
    try:
        keywords = KeywordIndex.load(settings.index_dir / str(generation) / KEYWORDS_DIR)
    except ValueError:
        return {}
    if keywords is None or keywords.vectors is None:
        return {}
    return {i: keywords.vectors[row].tolist() for row, i in enumerate(keywords.ids)}


def _store_without_manifest(settings: Settings, generation: str) -> IndexStore:
    """The generation with a new, empty manifest marked dirty: the next ``index`` run re-reads
    the corpus and reconciles the stored chunks with it (as after an interrupted run)."""
    root = settings.index_dir
    probe = IndexStore(root, generation, Manifest.for_settings(settings, 0), settings)
    sample = probe.collection.get(limit=1, include=["embeddings"])["embeddings"]
    dimension = len(sample[0]) if len(sample) else 0
    probe.close()
    store = IndexStore(root, generation, Manifest.for_settings(settings, dimension), settings)
    store.manifest.dirty = True
    return store
