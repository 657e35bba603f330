"""Metrics over a question set's results (retrieval, facts, citations, abstention, latency,
faults), by kind or language, and the targets and maximums they must meet.
"""

from __future__ import annotations

import math
from collections import defaultdict
from statistics import mean
from typing import Any

from .answers import QuestionResult

#: Thresholds that the project's own evaluation must reach (issue "corpus and evaluation").
TARGETS = {"hit@5": 0.95, "fact_accuracy": 0.85, "abstention_precision": 0.9,
           "abstention_recall": 0.9}
#: Counts that must not exceed these (for the held-out test and blind sets above all).
MAXIMUMS = {"wrong_organisation": 0, "cut_short": 0}


def ndcg(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    """Normalised discounted cumulative gain at ``k`` with binary relevance."""
    dcg = sum(1 / math.log2(i + 2) for i, doc in enumerate(ranked[:k]) if doc in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def metrics(results: list[QuestionResult]) -> dict[str, float]:
    """Retrieval hit@1/3/5, MRR, nDCG@10, fact accuracy, citation precision, abstention
    precision/recall, latency, and the counts of answers with a figure of the wrong
    organisation (``wrong_organisation``) or a piece cut short (``cut_short``) over
    ``results``."""
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
    out["wrong_organisation"] = sum(1 for r in results if r.wrong_organisation)
    out["cut_short"] = sum(1 for r in results if r.cut_short)
    return {k: round(v, 4) for k, v in out.items()}


def metrics_by_kind(results: list[QuestionResult]) -> dict[str, dict[str, float]]:
    """``metrics`` for each question kind."""
    return metrics_by(results, "kind")


def metrics_by(results: list[QuestionResult], attribute: str) -> dict[str, dict[str, float]]:
    """``metrics`` for each value of a result's ``attribute`` ("kind", "language"); results
    without a value are left out."""
    groups: dict[str, list[QuestionResult]] = defaultdict(list)
    for r in results:
        if getattr(r, attribute) is not None:
            groups[getattr(r, attribute)].append(r)
    return {value: metrics(items) for value, items in sorted(groups.items())}


def failures(result: dict[str, float], targets: dict[str, float] = TARGETS,
             maximums: dict[str, float] = MAXIMUMS) -> list[str]:
    """The targets (minimums) and maximums a metrics dict misses, as readable lines."""
    low = [f"{name} {result.get(name, 0.0):.3f} < {target}" for name, target in targets.items()
           if result.get(name, 0.0) < target]
    high = [f"{name} {result.get(name, 0)} > {limit}" for name, limit in maximums.items()
            if result.get(name, 0) > limit]
    return low + high


def faults(results: list[QuestionResult]) -> dict[str, list[dict[str, Any]]]:
    """The questions whose answers state another organisation's figure or cut a piece short:
    id, kind, question, answer and the statements or pieces at fault."""
    return {name: [{"id": r.id, "kind": r.kind, "question": r.question, "answer": r.answer,
                    name: getattr(r, name)}
                   for r in results if getattr(r, name)]
            for name in ("wrong_organisation", "cut_short")}
