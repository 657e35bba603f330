"""Compare clusters: ask one question per cluster and line the answers up, one row each.

    rows = compare_clusters(bot, "Which services do members pay for?", ["BioM", "CEBR"])
    print(rows_to_markdown(rows, "Which services do members pay for?"))

Each row holds the cluster, the first sentence of its answer and the source that sentence
cites. Clusters whose documents do not answer get no row. Without a choice, the clusters
compared are the organisations the documents describe as clusters (``cluster_names``), not
the programmes, projects and platforms the corpus also covers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .answering import Answer, Source

#: Cluster value of documents about several clusters; never compared as a cluster.
MULTIPLE = "multiple"
#: Document types that only a cluster organisation writes about itself.
CLUSTER_TYPES = frozenset({"profile", "catalogue", "case study", "minutes", "strategy",
                           "survey", "member survey"})
#: Country values of documents about no one region: programmes, projects, platforms.
NOT_A_REGION = frozenset({"", "europe", "eu", "european union", "international", "global",
                          "multiple", "worldwide"})
#: The longest column header taken from a question.
HEADER_CHARS = 60
_MARKER = re.compile(r"\s*\[(\d+)\]")


@dataclass
class CompareRow:
    """One cluster's answer: what it says, and the source that says it."""

    cluster: str
    summary: str
    cited: Source

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON-ready data."""
        s = self.cited
        return {"cluster": self.cluster, "summary": self.summary, "source_title": s.title,
                "source": s.source, "page": s.page, "section": s.section,
                "excerpt": s.excerpt}


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
    return CompareRow(cluster=cluster, summary=summary, cited=source)


def cluster_names(documents: Mapping[str, Any]) -> list[str]:
    """The organisations of the indexed documents (``FileRecord`` by source) that are
    clusters: one of its documents has a type only clusters have (``CLUSTER_TYPES``), or all
    its documents are about one country. The ``multiple`` placeholder never is one."""
    types: dict[str, set[str]] = {}
    countries: dict[str, set[str]] = {}
    for record in documents.values():
        meta = record.metadata
        name = str(meta.get("cluster") or "").strip()
        if not name or name == MULTIPLE:
            continue
        types.setdefault(name, set()).add(str(meta.get("type") or "").lower())
        countries.setdefault(name, set()).add(str(meta.get("country") or "").strip().lower())
    return sorted((name for name in types
                   if types[name] & CLUSTER_TYPES
                   or (len(countries[name]) == 1 and not countries[name] & NOT_A_REGION)),
                  key=str.lower)


def clusters_to_compare(all_clusters: Iterable[str], chosen: Iterable[str] | None = None
                        ) -> list[str]:
    """``chosen`` clusters, or ``all_clusters`` except the ``multiple`` placeholder."""
    picked = [c for c in (chosen or []) if c]
    return picked or [c for c in all_clusters if c and c != MULTIPLE]


def iter_compare(bot: Any, question: str, clusters: Iterable[str],
                 filters: dict[str, Any] | None = None
                 ) -> Iterator[tuple[str, CompareRow | None]]:
    """Ask ``question`` of each cluster in turn (``bot.ask`` with a cluster filter added to
    ``filters``); yield (cluster, its row or None) as each is answered."""
    for cluster in clusters:
        answer = bot.ask(question, filters={**(filters or {}), "cluster": cluster})
        yield cluster, row_from_answer(cluster, answer)


def compare_clusters(bot: Any, question: str, clusters: Iterable[str] | None = None,
                     filters: dict[str, Any] | None = None) -> list[CompareRow]:
    """Rows of the clusters (``clusters``, or every cluster of ``cluster_names``) whose
    documents answer ``question``, in cluster order."""
    names = clusters_to_compare(cluster_names(bot.documents()), clusters)
    return [row for _, row in iter_compare(bot, question, names, filters) if row]


def header_for(question: str) -> str:
    """A column header named after what was asked: the question, shortened at a word."""
    text = " ".join(question.split()).rstrip("?!. ")
    if len(text) <= HEADER_CHARS:
        return text
    return text[:HEADER_CHARS].rsplit(" ", 1)[0] + "…"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def rows_to_markdown(rows: list[CompareRow], question: str) -> str:
    """The rows as a Markdown table: cluster | the answer to ``question`` with ``[n]`` |
    source, where row i cites source i."""
    lines = [f"| Cluster | {_cell(header_for(question))} | Source |", "|---|---|---|"]
    lines += [f"| {_cell(r.cluster)} | {_cell(r.summary)} [{i}] | {_cell(r.cited.title)} |"
              for i, r in enumerate(rows, start=1)]
    return "\n".join(lines)
