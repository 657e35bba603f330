"""Retrieval quality side by side: BM25 alone, dense alone, hybrid fusion and its variants.

Measures SciFact (nDCG@10, recall@100) and the project's own evaluation set (hit@1, hit@5, MRR,
fact accuracy, and hit@5 per question kind) for every configuration in one run, over the same
two indexes, and writes the table into bench/RESULTS.md (between the retrieval markers).

    .venv/bin/python bench/retrieval.py --scifact ../shared/datasets/scifact
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot import Bot, Settings  # noqa: E402
from bot.embeddings import load_embeddings  # noqa: E402
from bot.evaluation.answers import run_questions  # noqa: E402
from bot.evaluation.beir import build_beir_index, load_beir, score_beir  # noqa: E402
from bot.evaluation.metrics import metrics, metrics_by_kind  # noqa: E402
from bot.evaluation.questions import load_questions  # noqa: E402
from bot.generations import current_generation  # noqa: E402
from bot.keywords import tokenize  # noqa: E402
from bot.retrieval import Retriever  # noqa: E402
from bot.store import IndexStore  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- retrieval:start -->", "<!-- retrieval:end -->"

#: (name, settings overrides of the defaults, pseudo-relevance feedback terms)
CONFIGS = [
    ("BM25 alone", {"retrieval": "keyword"}, 0),
    ("dense alone", {"retrieval": "dense", "entity_weight": 0.0}, 0),
    ("dense + entity ranking", {"retrieval": "dense", "entity_weight": 1.0}, 0),
    ("hybrid RRF k=60 (1:1)", {"rrf_k": 60, "entity_weight": 0.0}, 0),
    ("hybrid RRF k=60 (1:1) + entity ranking", {"rrf_k": 60, "entity_weight": 1.0}, 0),
    ("hybrid, k=20 (default)", {}, 0),
    ("hybrid, k=20, 2 chunks per document", {"per_document": 2}, 0),
    ("hybrid, k=20 + entity ranking", {"entity_weight": 1.0}, 0),
    ("hybrid, dense 1.5 : BM25 1", {"dense_weight": 1.5}, 0),
    ("hybrid, dense 1 : BM25 1.5", {"keyword_weight": 1.5}, 0),
    ("hybrid, 80 candidates", {"candidates": 80}, 0),
    ("hybrid + BM25 pseudo-relevance feedback (10 terms)", {}, 10),
]


class FeedbackRetriever(Retriever):
    """Hybrid retrieval whose BM25 query is expanded with the most frequent terms of the top
    three BM25 chunks (RM3-style pseudo-relevance feedback), for the benchmark only."""

    def __init__(self, *args, terms: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.terms = terms

    def _rankings(self, query, filters, n):
        keywords = self.store.keywords
        if keywords is not None:
            first = keywords.search(query.text, 3)
            texts = [c.text for c in self.store.get([h.id for h in first])]
            own = set(tokenize([query.text])[0])
            counts = Counter(t for tokens in tokenize(texts) for t in tokens if t not in own)
            expansion = " ".join(t for t, _ in counts.most_common(self.terms))
            query = replace(query, text=f"{query.text} {expansion}")
        return super()._rankings(query, filters, n)


def scifact_index(folder: Path, settings: Settings, embeddings) -> tuple[IndexStore, float]:
    """The SciFact index in bench/work (built once, reused afterwards)."""
    seconds = 0.0
    if current_generation(settings.index_dir) is None:
        print("indexing SciFact ...", file=sys.stderr)
        seconds = build_beir_index(folder, settings, embeddings)
    return IndexStore.open(settings), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scifact", type=Path, default=ROOT.parent / "shared/datasets/scifact")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "work",
                        help="where the indexes are built (reused by later runs)")
    parser.add_argument("--set", type=Path, default=ROOT / "eval" / "questions.jsonl")
    args = parser.parse_args()

    base = Settings.from_env(env={})
    embeddings = load_embeddings(base)
    backend = base.embedding_backend
    scifact_settings = base.replace(index_dir=args.work / f"scifact-index-{backend}")
    store, scifact_seconds = scifact_index(args.scifact, scifact_settings, embeddings)
    _, queries, qrels = load_beir(args.scifact)

    project_settings = base.replace(index_dir=args.work / f"project-index-{backend}",
                                    corpus_dir=ROOT / "corpus")
    Bot(project_settings, embeddings).index()
    questions = load_questions(args.set)

    rows = []
    for name, overrides, prf in CONFIGS:
        started = time.perf_counter()
        settings = scifact_settings.replace(**overrides)
        kind = FeedbackRetriever if prf else Retriever
        extra = {"terms": prf} if prf else {}
        scifact = score_beir(kind(store, embeddings, settings, **extra), queries, qrels)
        bot = Bot(project_settings.replace(**overrides), embeddings)
        if prf:
            bot._retriever = FeedbackRetriever(bot.store, embeddings, bot.settings, terms=prf)
        results = run_questions(bot, questions)
        own = metrics(results)
        by_kind = {k: v.get("hit@5") for k, v in metrics_by_kind(results).items()
                   if "hit@5" in v}
        rows.append((name, scifact, own, by_kind))
        print(f"{name}: SciFact {scifact}, own {own.get('hit@1')}/{own.get('hit@5')} "
              f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    write_results(rows, scifact_seconds, store.count())


def write_results(rows, scifact_seconds: float, chunks: int) -> None:
    """Replace the retrieval section of bench/RESULTS.md with the table of ``rows``."""
    kinds = sorted({k for *_, by_kind in rows for k in by_kind})
    lines = [
        START, "## Retrieval quality", "",
        f"Measured by `bench/retrieval.py` on {time.strftime('%Y-%m-%d')} with "
        f"all-MiniLM-L6-v2 ({Settings.from_env(env={}).embedding_backend} backend) and the "
        f"default chunking (SciFact: {chunks} chunks of 5,183 "
        "abstracts; documents ranked by their best chunk"
        + (f", indexed in {scifact_seconds:.0f} s" if scifact_seconds else "") + "). "
        "Own set: `eval/questions.jsonl` through `Bot.ask` with the extractive answerer.", "",
        "| configuration | SciFact nDCG@10 | SciFact recall@100 | ms/query | own hit@1 | "
        "own hit@5 | own MRR | fact accuracy | " + " | ".join(f"hit@5 {k}" for k in kinds)
        + " |",
        "|---" * (8 + len(kinds)) + "|",
    ]
    for name, scifact, own, by_kind in rows:
        cells = [scifact["ndcg@10"], scifact["recall@100"], scifact["search_ms_per_query"],
                 own.get("hit@1"), own.get("hit@5"), own.get("mrr"), own.get("fact_accuracy"),
                 *(by_kind.get(k) for k in kinds)]
        lines.append(f"| {name} | " + " | ".join(
            f"{c:.3f}" if isinstance(c, float) else str(c) for c in cells) + " |")
    lines += ["", END]
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmarks\n"
    if START in text and END in text:
        text = text[: text.index(START)] + "\n".join(lines) + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n" + "\n".join(lines) + "\n"
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
