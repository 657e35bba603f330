"""Compare clusters: ask one question per cluster and line the answers up, one row each.

    rows = compare_clusters(bot, "Which services do members pay for?", ["BioM", "CEBR"])
    print(rows_to_markdown(rows))

Each row holds the cluster, the first sentence of its answer and the title of the document that
sentence cites. Clusters whose documents do not answer get no row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from .answering import Answer

#: Cluster value of documents about several clusters; never compared as a cluster.
MULTIPLE = "multiple"
_MARKER = re.compile(r"\s*\[(\d+)\]")


@dataclass
class CompareRow:
    """One cluster's answer: what it does, and where that is written."""

    cluster: str
    summary: str
    source_title: str
    source: str

    def to_dict(self) -> dict[str, str]:
        """The row as JSON-ready data."""
        return asdict(self)


def first_sentence(text: str) -> tuple[str, list[int]]:
    """The first sentence of an answer without its ``[n]`` markers, and the numbers it cites.

    A sentence ends at ``.``, ``!`` or ``?`` followed by a space, a marker or the end; list
    answers are cut at the first line break.
    """
    text = text.strip().lstrip("-•* ").strip()
    match = re.search(r"(?<=[.!?])(?:\s*\[\d+\])*(?=\s|$)|\n", text)
    sentence = text[: match.end()] if match else text
    cited = [int(n) for n in _MARKER.findall(sentence)]
    return " ".join(_MARKER.sub("", sentence).split()), cited


def row_from_answer(cluster: str, answer: Answer) -> CompareRow | None:
    """The row of ``cluster`` from its answer, or None when the bot abstained."""
    if answer.abstained or not answer.sources:
        return None
    summary, cited = first_sentence(answer.text)
    by_n = {s.n: s for s in answer.sources}
    source = next((by_n[n] for n in cited if n in by_n), answer.sources[0])
    return CompareRow(cluster=cluster, summary=summary, source_title=source.title,
                      source=source.source)


def clusters_to_compare(all_clusters: Iterable[str], chosen: Iterable[str] | None = None
                        ) -> list[str]:
    """``chosen`` clusters, or every known cluster except the ``multiple`` placeholder."""
    picked = [c for c in (chosen or []) if c]
    return picked or [c for c in all_clusters if c and c != MULTIPLE]


def compare_clusters(bot: Any, question: str, clusters: Iterable[str] | None = None,
                     filters: dict[str, Any] | None = None) -> list[CompareRow]:
    """Ask ``question`` once per cluster (``bot.ask`` with a cluster filter added to
    ``filters``); rows of the clusters whose documents answer, in cluster order."""
    names = clusters_to_compare(bot.facets()["cluster"], clusters)
    rows = []
    for cluster in names:
        answer = bot.ask(question, filters={**(filters or {}), "cluster": cluster})
        row = row_from_answer(cluster, answer)
        if row is not None:
            rows.append(row)
    return rows


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def rows_to_markdown(rows: list[CompareRow]) -> str:
    """The rows as a Markdown table: cluster | what it does | source."""
    lines = ["| Cluster | What it does | Source |", "|---|---|---|"]
    lines += [f"| {_cell(r.cluster)} | {_cell(r.summary)} | {_cell(r.source_title)} |"
              for r in rows]
    return "\n".join(lines)
