"""Compare rows, the clusters compared and the table, without Gradio."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot import Bot
from bot.answering import Answer, Source
from bot.compare import (
    CompareRow,
    cluster_names,
    clusters_to_compare,
    compare_clusters,
    first_sentence,
    header_for,
    row_from_answer,
    rows_to_markdown,
)


def _answer(text: str, titles: list[str], abstained: bool = False) -> Answer:
    return Answer(text=text, abstained=abstained, sources=[_source(i + 1, t)
                                                           for i, t in enumerate(titles)])


def _source(n: int, title: str) -> Source:
    return Source(n=n, source=f"doc{n}.md", title=title, cluster=None, page=None, section=None,
                  score=0.5, excerpt="")


@pytest.mark.parametrize("text, sentence, cited", [
    ("It offers matchmaking. [2] It also trains. [1]", "It offers matchmaking.", [2]),
    ("Fees bring 40% (8.1 points). [1] [3] More.", "Fees bring 40% (8.1 points).", [1, 3]),
    ("- the financing; [2]\n- the services [1]", "the financing;", [2]),
    ("No full stop [1]", "No full stop", [1]),
    ("Why? Because [1]", "Why?", []),
])
def test_first_sentence(text: str, sentence: str, cited: list[int]) -> None:
    assert first_sentence(text) == (sentence, cited)


def test_row_uses_the_source_the_first_sentence_cites() -> None:
    row = row_from_answer("Alpha", _answer("It runs a lab. [2] Also. [1]", ["One", "Two"]))
    assert row == CompareRow("Alpha", "It runs a lab.", _source(2, "Two"))
    assert row.to_dict()["source_title"] == "Two" and row.to_dict()["source"] == "doc2.md"
    uncited = row_from_answer("Beta", _answer("It runs a lab.", ["One"]))
    assert uncited is not None and uncited.cited.title == "One"
    assert row_from_answer("Gamma", _answer("The documents do not…", [], abstained=True)) is None


def test_clusters_to_compare_skips_multiple() -> None:
    assert clusters_to_compare(["A", "multiple", "B", ""]) == ["A", "B"]
    assert clusters_to_compare(["A", "B"], ["B", ""]) == ["B"]


def _record(cluster: str, type_: str, country: str) -> SimpleNamespace:
    return SimpleNamespace(metadata={"cluster": cluster, "type": type_, "country": country})


def test_only_clusters_are_compared_not_programmes_or_projects() -> None:
    documents = {
        "biom.md": _record("BioM", "profile", "Germany"),
        "biom-news.md": _record("BioM", "news", "Germany"),
        "cebr.md": _record("CEBR", "profile", "Europe"),  # a network's own profile
        "fjordheim.pdf": _record("Fjordheim Health Cluster", "report", "Norway"),
        "cosme.md": _record("COSME", "guide", "Europe"),
        "eccp.md": _record("ECCP", "guide", "Europe"),
        "ce4big.md": _record("CE4BIG", "report", "Europe"),
        "ecri-1.md": _record("ECRI", "report", "Europe"),
        "ecri-2.md": _record("ECRI", "study visit", "Germany"),
        "guide.md": _record("multiple", "guide", "Europe"),
    }
    assert cluster_names(documents) == ["BioM", "CEBR", "Fjordheim Health Cluster"]


def test_table_heads_its_column_after_the_question_and_cites_each_row() -> None:
    rows = [CompareRow("A|B", "does x\n and y", _source(1, "T")),
            CompareRow("C", "does z", _source(4, "U"))]
    table = rows_to_markdown(rows, "Which services do members pay for?")
    assert table.splitlines() == ["| Cluster | Which services do members pay for | Source |",
                                  "|---|---|---|", "| A\\|B | does x and y [1] | T |",
                                  "| C | does z [2] | U |"]
    long = header_for("How do clusters combine membership fees, sponsorship and public "
                      "funding in their budgets?")
    assert long == "How do clusters combine membership fees, sponsorship and…"


def test_compare_clusters_with_the_real_bot(bot: Bot) -> None:
    question = "How many members does the cluster have?"
    rows = compare_clusters(bot, question)
    by_cluster = {r.cluster: r for r in rows}
    assert list(by_cluster) == sorted(by_cluster)  # cluster order, one row each
    assert {"Alpha Bio Cluster", "Beta Health Network"} <= set(by_cluster)
    assert by_cluster["Alpha Bio Cluster"].cited.title == "Alpha Bio Cluster profile"
    assert "120 member" in by_cluster["Alpha Bio Cluster"].summary  # the figure asked for
    assert by_cluster["Beta Health Network"].cited.source == "beta-profile.md"
    assert "[" not in by_cluster["Beta Health Network"].summary  # markers removed
    only = compare_clusters(bot, question, ["Beta Health Network"])
    assert [r.cluster for r in only] == ["Beta Health Network"]
    assert compare_clusters(bot, "What is the airspeed velocity of an unladen swallow?") == []
