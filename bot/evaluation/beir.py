"""The BEIR retrieval benchmark (SciFact and the like): loading a BEIR folder, indexing its
corpus, and nDCG@10 and recall@100 of the retriever on its test queries.
"""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from statistics import mean
from time import perf_counter
from typing import Any

from ..errors import ConfigError
from ..manifest import FileRecord
from .metrics import ndcg


def _read_jsonl(path: Path) -> Iterable[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def load_beir(folder: Path) -> tuple[list[dict], dict[str, str], dict[str, set[str]]]:
    """Corpus rows, test queries and qrels (query id → relevant document ids) of a BEIR folder."""
    corpus_file = folder / "corpus.jsonl"
    queries_file = next(iter(sorted(folder.glob("queries*.jsonl"))), None)
    qrels_file = folder / "qrels" / "test.tsv"
    if not corpus_file.is_file() or queries_file is None or not qrels_file.is_file():
        raise ConfigError(f"{folder} is not a BEIR folder: it needs corpus.jsonl, "
                          "queries*.jsonl and qrels/test.tsv")
    qrels: dict[str, set[str]] = defaultdict(set)
    for line in qrels_file.read_text(encoding="utf-8").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) >= 3 and int(parts[2]) > 0:
            qrels[parts[0]].add(parts[1])
    queries = {q["_id"]: q["text"] for q in _read_jsonl(queries_file) if q["_id"] in qrels}
    return list(_read_jsonl(corpus_file)), queries, dict(qrels)


def beir_documents(rows: list[dict]) -> list:
    """BEIR corpus rows as clusterbot ``Document``s (the id is the source)."""
    from ..loading.document import Block, Document

    return [Document(source=row["_id"], title=row.get("title") or "",
                     blocks=[Block(row.get("text") or row.get("title") or "")])
            for row in rows]


def build_beir_index(folder: Path, settings: Any, embeddings: Any,
                     progress: Callable[[str, int, int], None] | None = None) -> float:
    """Index a BEIR corpus into ``settings.index_dir``; return the seconds it took."""
    from ..chunking import chunk_document
    from ..indexing import embed_into
    from ..store import IndexStore

    rows, _, _ = load_beir(folder)
    started = perf_counter()
    store = IndexStore.create(settings, len(embeddings.embed_query("probe")))
    chunks = [c for d in beir_documents(rows)
              for c in chunk_document(d, settings.chunk_tokens, settings.chunk_overlap)]
    embed_into(store, embeddings, chunks, progress)
    store.rebuild_keywords()
    for chunk in chunks:
        store.manifest.files.setdefault(chunk.source, FileRecord("", chunk.title, [], {}, ""))
        store.manifest.files[chunk.source].chunk_ids.append(chunk.id)
    store.save_manifest()
    store.publish()
    store.close()
    return perf_counter() - started


def score_beir(retriever: Any, queries: dict[str, str], qrels: dict[str, set[str]],
               progress: Callable[[str, int, int], None] | None = None) -> dict[str, float]:
    """nDCG@10 and recall@100 of ``retriever.search_documents`` on BEIR queries."""
    started = perf_counter()
    ndcgs, recalls = [], []
    for done, (qid, text) in enumerate(queries.items(), start=1):
        ranked = [source for source, _ in retriever.search_documents(text, 100)]
        ndcgs.append(ndcg(ranked, qrels[qid], 10))
        recalls.append(len(set(ranked[:100]) & qrels[qid]) / len(qrels[qid]))
        if progress:
            progress("searching", done, len(queries))
    seconds = perf_counter() - started
    return {"ndcg@10": round(mean(ndcgs), 4), "recall@100": round(mean(recalls), 4),
            "search_ms_per_query": round(1000 * seconds / len(queries), 1)}


def run_beir(folder: Path, settings: Any, embeddings: Any,
             progress: Callable[[str, int, int], None] | None = None) -> dict[str, float]:
    """Index a BEIR folder into a temporary index; return nDCG@10, recall@100 and timings."""
    from ..retrieval import Retriever
    from ..store import IndexStore

    rows, queries, qrels = load_beir(folder)
    with tempfile.TemporaryDirectory(prefix="clusterbot-beir-") as tmp:
        settings = settings.replace(index_dir=Path(tmp))
        index_seconds = build_beir_index(folder, settings, embeddings, progress)
        store = IndexStore.open(settings)
        result = score_beir(Retriever(store, embeddings, settings), queries, qrels, progress)
        chunks = store.count()
        store.close()
    return {"documents": len(rows), "chunks": chunks, "queries": len(queries),
            "retrieval": settings.retrieval, **result, "index_seconds": round(index_seconds, 1)}
