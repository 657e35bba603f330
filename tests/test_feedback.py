"""Feedback store, insights by topic and compare rows, without Gradio."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot import Bot
from bot.answering import Answer, Source
from bot.compare import (
    CompareRow,
    clusters_to_compare,
    compare_clusters,
    first_sentence,
    row_from_answer,
    rows_to_markdown,
)
from bot.feedback import (
    FEEDBACK_FILE,
    UNANSWERED_FILE,
    FeedbackEntry,
    FeedbackStore,
    insights,
    insights_markdown,
    topic_of,
)

# ---------------------------------------------------------------- feedback store


def test_feedback_is_stored_as_json_lines(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "data")
    entry = store.add_feedback(FeedbackEntry("How do clusters earn money?", "Fees [1].", False,
                                             comment="misses sponsorship",
                                             filters={"country": "Italy"}, sources=["Guide"]))
    lines = (tmp_path / "data" / FEEDBACK_FILE).read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    assert record["id"] == entry.id and record["liked"] is False
    assert record["question"] == "How do clusters earn money?"
    assert record["comment"] == "misses sponsorship" and record["filters"] == {"country": "Italy"}
    assert record["time"].endswith("+00:00")


def test_a_later_comment_replaces_the_entry(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path)
    first = store.add_feedback(FeedbackEntry("q1", "a1", True))
    second = store.add_feedback(FeedbackEntry("q2", "a2", False))
    store.add_comment(first.id, "  very useful  ")
    entries = store.feedback()
    assert [e.id for e in entries] == [first.id, second.id]
    assert entries[0].comment == "very useful" and entries[0].liked is True
    assert len((tmp_path / FEEDBACK_FILE).read_text(encoding="utf-8").splitlines()) == 3
    with pytest.raises(KeyError):
        store.add_comment("no-such-id", "x")


def test_unanswered_questions_are_logged_with_filters(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path)
    store.add_unanswered("  What   is the\nbudget of X? ", {"cluster": "X", "year": None})
    record = json.loads((tmp_path / UNANSWERED_FILE).read_text(encoding="utf-8"))
    assert record["question"] == "What is the budget of X?"
    assert record["filters"] == {"cluster": "X"} and record["time"]
    assert [u.question for u in store.unanswered()] == ["What is the budget of X?"]


def test_a_truncated_line_is_skipped(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path)
    store.add_unanswered("first question")
    with open(tmp_path / UNANSWERED_FILE, "a", encoding="utf-8") as handle:
        handle.write('{"question": "cut sh')
    assert [u.question for u in store.unanswered()] == ["first question"]
    assert FeedbackStore(tmp_path / "never-written").feedback() == []


# ---------------------------------------------------------------- topics and insights


@pytest.mark.parametrize("question, topic", [
    ("How much is the membership fee for a small company?", "income streams"),
    ("Which sponsorship packages bring the most revenue?", "income streams"),
    ("Which services do members use: matchmaking or training?", "services"),
    ("How do we keep members engaged in working groups?", "member engagement"),
    ("What did the satisfaction survey show?", "member engagement"),
    ("How do clusters support export to foreign markets?", "internationalisation"),
    ("What should the strategy of the board contain?", "strategy"),
    ("Who won the football match?", "other"),
])
def test_topic_of_is_deterministic(question: str, topic: str) -> None:
    assert topic_of(question) == topic


def test_topic_filter_wins_over_keywords() -> None:
    assert topic_of("Who won the match?", {"topic": "Services"}) == "services"
    assert topic_of("What are the fees?", {"topic": "unknown topic"}) == "income streams"


def test_insights_group_gaps_by_topic(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path)
    store.add_unanswered("What does membership cost in Norway?")
    store.add_unanswered("what does membership COST in Norway")
    store.add_unanswered("How do clusters run export missions?")
    store.add_unanswered("Who won the match?")
    store.add_feedback(FeedbackEntry("Which fees do members pay?", "…", False, comment="outdated"))
    store.add_feedback(FeedbackEntry("Which fees do members pay?", "…", True))
    store.add_feedback(FeedbackEntry("How is the matchmaking service rated?", "…", False))
    found = insights(store)
    assert [i.topic for i in found] == ["income streams", "services", "internationalisation",
                                        "other"]
    income = found[0]
    assert income.total == 3
    assert [(g.question, g.count) for g in income.unanswered] == [
        ("what does membership COST in Norway", 2)]
    assert [(g.question, g.comments) for g in income.disliked] == [
        ("Which fees do members pay?", ["outdated"])]
    text = insights_markdown(found)
    assert "### Income streams — 3 gaps" in text and "(asked 2×)" in text
    assert "“outdated”" in text and "### Other — 1 gap" in text
    assert text.index("Income streams") < text.index("Services") < text.index("Other")


def test_insights_without_gaps_say_so(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path)
    store.add_feedback(FeedbackEntry("q", "a", True))
    assert insights(store) == []
    assert insights_markdown([]).startswith("No gaps yet")


def test_insights_markdown_escapes_user_text(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path)
    store.add_unanswered("<script>alert(1)</script> | *bold* fees?")
    text = insights_markdown(insights(store))
    assert "<script>" not in text and "\\<script\\>" in text and "\\|" in text


# ---------------------------------------------------------------- compare rows


def _answer(text: str, titles: list[str], abstained: bool = False) -> Answer:
    sources = [Source(n=i + 1, source=f"doc{i + 1}.md", title=t, cluster=None, page=None,
                      section=None, score=0.5, excerpt="") for i, t in enumerate(titles)]
    return Answer(text=text, abstained=abstained, sources=sources)


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
    assert row == CompareRow("Alpha", "It runs a lab.", "Two", "doc2.md")
    uncited = row_from_answer("Beta", _answer("It runs a lab.", ["One"]))
    assert uncited is not None and uncited.source_title == "One"
    assert row_from_answer("Gamma", _answer("The documents do not…", [], abstained=True)) is None


def test_clusters_to_compare_skips_multiple() -> None:
    assert clusters_to_compare(["A", "multiple", "B", ""]) == ["A", "B"]
    assert clusters_to_compare(["A", "B"], ["B", ""]) == ["B"]


def test_rows_to_markdown_escapes_pipes() -> None:
    table = rows_to_markdown([CompareRow("A|B", "does x\n and y", "T", "t.md")])
    assert table.splitlines() == ["| Cluster | What it does | Source |", "|---|---|---|",
                                  "| A\\|B | does x and y | T |"]


def test_compare_clusters_with_the_real_bot(bot: Bot) -> None:
    question = "How many members does the cluster have?"
    rows = compare_clusters(bot, question)
    by_cluster = {r.cluster: r for r in rows}
    assert list(by_cluster) == sorted(by_cluster)  # cluster order, one row each
    assert {"Alpha Bio Cluster", "Beta Health Network"} <= set(by_cluster)
    assert by_cluster["Alpha Bio Cluster"].source_title == "Alpha Bio Cluster profile"
    assert "120 member" in by_cluster["Alpha Bio Cluster"].summary  # the figure asked for
    assert by_cluster["Beta Health Network"].source == "beta-profile.md"
    assert "[" not in by_cluster["Beta Health Network"].summary  # markers removed
    only = compare_clusters(bot, question, ["Beta Health Network"])
    assert [r.cluster for r in only] == ["Beta Health Network"]
    assert compare_clusters(bot, "What is the airspeed velocity of an unladen swallow?") == []
