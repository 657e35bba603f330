"""Evaluation: answer quality on the project's question set, retrieval quality on BEIR data.

Question sets are JSON lines: ``{"id", "kind", "question", "expected_sources", "key_facts",
"follows"?}``. A key fact may list alternatives as ``"a|b"``. Kinds: fact, comparison, followup
(a question with ``follows`` is asked after the one it names, with that turn as history) and
unanswerable (no expected sources: the bot should abstain).
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from time import perf_counter
from typing import Any

from .errors import ConfigError
from .store import FileRecord

#: Thresholds that the project's own evaluation must reach (issue "corpus and evaluation").
TARGETS = {"hit@5": 0.95, "fact_accuracy": 0.85, "abstention_precision": 0.9,
           "abstention_recall": 0.9}


@dataclass
class EvalQuestion:
    """One question of an evaluation set."""

    id: str
    kind: str
    question: str
    expected_sources: list[str] = field(default_factory=list)
    key_facts: list[str] = field(default_factory=list)
    follows: str | None = None

    @property
    def answerable(self) -> bool:
        """Whether the corpus holds the answer."""
        return bool(self.expected_sources)


@dataclass
class QuestionResult:
    """How the bot did on one question."""

    id: str
    kind: str
    question: str
    answer: str
    abstained: bool
    answerable: bool
    ranked_sources: list[str]
    cited_sources: list[str]
    expected_sources: list[str]
    facts_found: bool | None
    seconds: float

    def rank(self) -> int | None:
        """1-based rank of the first expected document among the retrieved, or None."""
        for position, source in enumerate(self.ranked_sources, start=1):
            if source in self.expected_sources:
                return position
        return None


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read a JSON-lines question set; a folder means every ``*.jsonl`` file in it."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    questions: list[EvalQuestion] = []
    for file in files:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"cannot read the question set {file}: {exc.strerror}") from None
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                questions.append(EvalQuestion(**json.loads(line)))
            except (ValueError, TypeError) as exc:
                raise ConfigError(f"{file}:{number}: not a valid question ({exc})") from None
    ids = {q.id for q in questions}
    missing = [q.id for q in questions if q.follows and q.follows not in ids]
    if missing:
        raise ConfigError(f"questions {', '.join(missing)} follow a question not in the set")
    return questions


def facts_present(answer: str, facts: list[str]) -> bool:
    """Whether every key fact (alternatives split by ``|``) occurs in the answer."""
    text = _normalise(answer)
    return all(any(_normalise(option) in text for option in fact.split("|")) for fact in facts)


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip().lower()


def ndcg(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    """Normalised discounted cumulative gain at ``k`` with binary relevance."""
    dcg = sum(1 / math.log2(i + 2) for i, doc in enumerate(ranked[:k]) if doc in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def run_questions(bot: Any, questions: list[EvalQuestion], retrieve_k: int = 10,
                  progress: Callable[[int, int], None] | None = None) -> list[QuestionResult]:
    """Ask every question (follow-ups after the question they follow) and record the results."""
    by_id = {q.id: q for q in questions}
    answers: dict[str, str] = {}
    results: list[QuestionResult] = []
    for done, q in enumerate(questions, start=1):
        history: list[dict[str, str]] = []
        if q.follows:
            first = by_id[q.follows]
            if first.id not in answers:
                answers[first.id] = bot.ask(first.question).text
            history = [{"role": "user", "content": first.question},
                       {"role": "assistant", "content": answers[first.id]}]
        started = perf_counter()
        answer = bot.ask(q.question, history=history)
        seconds = perf_counter() - started
        answers[q.id] = answer.text
        standalone = answer.metadata.get("query", q.question)
        ranked = [source for source, _ in bot.search.search_documents(standalone, retrieve_k)]
        results.append(QuestionResult(
            id=q.id, kind=q.kind, question=q.question, answer=answer.text,
            abstained=answer.abstained, answerable=q.answerable, ranked_sources=ranked,
            cited_sources=[s.source for s in answer.cited], expected_sources=q.expected_sources,
            facts_found=facts_present(answer.text, q.key_facts) if q.key_facts else None,
            seconds=seconds))
        if progress:
            progress(done, len(questions))
    return results


def metrics(results: list[QuestionResult]) -> dict[str, float]:
    """Retrieval hit@1/3/5, MRR, nDCG@10, fact accuracy, citation precision, abstention
    precision/recall and latency over ``results``."""
    answerable = [r for r in results if r.answerable]
    with_facts = [r for r in answerable if r.facts_found is not None]
    cited = [(s, r) for r in answerable for s in r.cited_sources]
    abstained = [r for r in results if r.abstained]
    unanswerable = [r for r in results if not r.answerable]
    latencies = sorted(r.seconds for r in results)
    ranks = [r.rank() for r in answerable]
    out: dict[str, float] = {"questions": float(len(results))}
    if answerable:
        for k in (1, 3, 5):
            out[f"hit@{k}"] = mean(1.0 if rank and rank <= k else 0.0 for rank in ranks)
        out["mrr"] = mean(1 / rank if rank else 0.0 for rank in ranks)
        out["ndcg@10"] = mean(ndcg(r.ranked_sources, set(r.expected_sources)) for r in answerable)
    if with_facts:
        out["fact_accuracy"] = mean(1.0 if r.facts_found else 0.0 for r in with_facts)
    if cited:
        out["citation_precision"] = mean(1.0 if s in r.expected_sources else 0.0
                                         for s, r in cited)
    out["abstention_precision"] = (mean(0.0 if r.answerable else 1.0 for r in abstained)
                                   if abstained else 1.0)
    if unanswerable:
        out["abstention_recall"] = mean(1.0 if r.abstained else 0.0 for r in unanswerable)
    if latencies:
        out["latency_mean_s"] = mean(latencies)
        out["latency_p50_s"] = latencies[len(latencies) // 2]
        out["latency_p95_s"] = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
    return {k: round(v, 4) for k, v in out.items()}


def metrics_by_kind(results: list[QuestionResult]) -> dict[str, dict[str, float]]:
    """``metrics`` for each question kind."""
    kinds: dict[str, list[QuestionResult]] = defaultdict(list)
    for r in results:
        kinds[r.kind].append(r)
    return {kind: metrics(items) for kind, items in sorted(kinds.items())}


def failures(result: dict[str, float], targets: dict[str, float] = TARGETS) -> list[str]:
    """The targets a metrics dict misses, as readable lines."""
    return [f"{name} {result.get(name, 0.0):.3f} < {target}" for name, target in targets.items()
            if result.get(name, 0.0) < target]


def write_report(folder: Path, overall: dict[str, float], by_kind: dict[str, dict[str, float]],
                 results: list[QuestionResult]) -> Path:
    """Write ``report.md`` with a chart of the metrics by question kind; return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    names = ["hit@1", "hit@5", "mrr", "fact_accuracy", "citation_precision", "abstention_recall"]
    kinds = list(by_kind)
    figure, axis = plt.subplots(figsize=(9, 4))
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        values = [by_kind[k].get(name, float("nan")) for k in kinds]
        axis.bar([x + i * width for x in range(len(kinds))], values, width, label=name)
    axis.set_xticks([x + 0.4 - width / 2 for x in range(len(kinds))], kinds)
    axis.set_ylim(0, 1.05)
    axis.set_title("clusterbot evaluation by question kind")
    axis.legend(fontsize=7, ncol=3, loc="lower right")
    figure.tight_layout()
    figure.savefig(folder / "metrics.png", dpi=120)
    plt.close(figure)

    columns = sorted({key for m in [overall, *by_kind.values()] for key in m})
    lines = ["# clusterbot evaluation", "", "![metrics by kind](metrics.png)", "",
             "| set | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for label, values in [("all", overall), *by_kind.items()]:
        lines.append(f"| {label} | " + " | ".join(
            f"{values[c]:.3f}" if c in values else "" for c in columns) + " |")
    missed = [r for r in results if (r.answerable and (r.rank() is None or r.rank() > 5
                                                       or r.facts_found is False or r.abstained))
              or (not r.answerable and not r.abstained)]
    lines += ["", f"## Questions to look at ({len(missed)})", ""]
    for r in missed:
        lines.append(f"- **{r.id}** ({r.kind}) {r.question}  \n  expected {r.expected_sources}; "
                     f"retrieved {r.ranked_sources[:3]}; facts {r.facts_found}; "
                     f"answer: {r.answer[:200]!r}")
    path = folder / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------- BEIR


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
    from .documents import Block, Document

    return [Document(source=row["_id"], title=row.get("title") or "",
                     blocks=[Block(row.get("text") or row.get("title") or "")])
            for row in rows]


def build_beir_index(folder: Path, settings: Any, embeddings: Any,
                     progress: Callable[[str, int, int], None] | None = None) -> float:
    """Index a BEIR corpus into ``settings.index_dir``; return the seconds it took."""
    from .chunking import chunk_document
    from .indexing import embed_into
    from .store import IndexStore

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
    from .retrieval import Retriever
    from .store import IndexStore

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
