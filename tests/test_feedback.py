"""Feedback store, insights by topic and compare rows, without Gradio."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
