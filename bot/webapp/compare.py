"""Compare mode of the Chat tab: one row per cluster, built while the clusters are asked in
turn, each row citing its passage; and the ``/compare`` endpoint."""

from __future__ import annotations

import html
from typing import Any

from ..compare import (
    CompareRow,
    cluster_names,
    clusters_to_compare,
    compare_clusters,
    iter_compare,
    rows_to_markdown,
)
from ..errors import IndexNotFound
from .common import Context, friendly
from .passages import Passage, make_passage
from .render import NO_ANSWER_HINT, answer_message, new_answer_id

NO_ROWS = "None of the clusters' documents answer this question."


def progress_line(done: int, total: int, cluster: str | None) -> str:
    """What compare mode is doing, e.g. "Comparing clusters: 3 of 10 asked (now BioM)…"."""
    now = f" (now {html.escape(cluster)})" if cluster else ""
    return (f'<div class="compare-progress" role="progressbar" aria-valuemin="0" '
            f'aria-valuemax="{total}" aria-valuenow="{done}">Comparing clusters: {done} of '
            f"{total} asked{now}…</div>")


class CompareMode:
    """Compare mode over a shared ``Context``."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def clusters(self) -> list[str]:
        """The organisations compare mode offers and compares by default: the clusters."""
        try:
            return cluster_names(self.ctx.bot.documents())
        except IndexNotFound:
            return []

    def into_chat(self, question: str, chat: list[dict], chosen: list[str] | None,
                  filters: dict[str, Any], answers: dict):
        """Ask each cluster in turn; yield (chat, answers, box) after each, the table so far
        under the progress line; at the end the table with its Sources block."""
        names = clusters_to_compare(self.clusters(), chosen)
        rows: list[CompareRow] = []
        passages: list[Passage] = []
        chat[-1] = {"role": "assistant", "content": progress_line(0, len(names), None)}
        yield chat, answers, ""
        for done, (_, row) in enumerate(iter_compare(self.ctx.bot, question, names,
                                                             filters), start=1):
            if row is not None:
                rows.append(row)
                passages.append(make_passage(self.ctx.bot, row.cited, len(rows), 1,
                                             [row.summary]))
            following = names[done] if done < len(names) else None
            table = f"\n\n{rows_to_markdown(rows, question)}" if rows else ""
            chat[-1] = {"role": "assistant",
                        "content": progress_line(done, len(names), following) + table}
            if done < len(names):
                yield list(chat), answers, ""
        if rows:
            text = (f"{len(rows)} of {len(names)} clusters have documents that answer:\n\n"
                    + rows_to_markdown(rows, question))
            content = answer_message(text, passages, new_answer_id())
        else:
            self.ctx.feedback.add_unanswered(question, {**filters, "mode": "compare"})
            text = NO_ROWS
            content = f"**{NO_ROWS}**{NO_ANSWER_HINT}"
        chat[-1] = {"role": "assistant", "content": content}
        answers[str(len(chat) - 1)] = {"question": question, "filters": filters,
                                       "answer": text, "abstained": not rows, "query": question,
                                       "sources": [p.to_dict() for p in passages]}
        yield chat, answers, ""

    @friendly
    def api_compare(self, question: str, clusters: str = "") -> list:
        """Ask the question once per cluster (comma-separated names; empty: every cluster).

        Returns one {"cluster", "summary", "source_title", "source", "page", "section",
        "excerpt"} row per cluster whose documents answer.
        """
        self.ctx.feedback.limits.check(question=question)
        names = [c.strip() for c in clusters.split(",") if c.strip()]
        return [r.to_dict() for r in compare_clusters(self.ctx.bot, question, names)]

