"""Follow-up rewriting: pronouns, people, demonstratives and "what about ..." questions."""

from __future__ import annotations

import re

from bot.conversation import described_phrase, person_named, rewrite_follow_up

CLUSTERS = ["Alpha Bio Cluster", "Beta Health Network"]


def find(text: str) -> list[str]:
    """The fictional clusters a text names (by a distinctive word)."""
    return [c for c in CLUSTERS if re.search(rf"\b{c.split()[0]}\b", text)]


def history(question: str, answer: str = "") -> list[dict[str, str]]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


def test_possessive_becomes_the_cluster_named_before() -> None:
    rewritten = rewrite_follow_up("What was its budget?",
                                  history("When was Alpha Bio Cluster founded?"), find)
    assert rewritten == "What was Alpha Bio Cluster's budget?"


def test_what_about_reuses_the_previous_question() -> None:
    rewritten = rewrite_follow_up("What about Beta?",
                                  history("When was Alpha Bio Cluster founded?"), find)
    assert rewritten == "When was Beta Health Network founded?"


def test_person_pronoun_becomes_the_person_of_the_previous_answer() -> None:
    rewritten = rewrite_follow_up(
        "And who took over from him?", history(
            "Who led Alpha Bio Cluster until 2020?",
            "Anna Berger led the Alpha Bio Cluster from 2005 to 2020. [1]"), find)
    assert rewritten.startswith("And who took over from Anna Berger?")
    assert "Alpha Bio Cluster" in rewritten


def test_demonstrative_becomes_the_phrase_described_before() -> None:
    rewritten = rewrite_follow_up("Where was that meeting held?", history(
        "Who was elected to lead Alpha Bio Cluster at its 2019 annual meeting?"), find)
    assert rewritten == "Where was Alpha Bio Cluster's 2019 annual meeting held?"


def test_unresolved_pronoun_keeps_the_previous_question_as_context() -> None:
    previous = "What does Alpha Bio Cluster offer to start-ups?"
    rewritten = rewrite_follow_up("And how much does it cost?", history(previous), find)
    assert rewritten == f"And how much does Alpha Bio Cluster cost? (following: {previous})"


def test_subject_pronoun_becomes_the_cluster_asked_about() -> None:
    rewritten = rewrite_follow_up("When was it founded?",
                                  history("How many members does Beta Health Network have?"),
                                  find)
    assert rewritten == "When was Beta Health Network founded?"


def test_question_without_names_continues_the_topic() -> None:
    previous = "When does the Alpha Bio Cluster forum take place?"
    rewritten = rewrite_follow_up("How many participants do the organisers expect?",
                                  history(previous), find)
    assert rewritten.endswith(f"(following: {previous})")


def test_question_that_stands_alone_is_not_tied_to_the_conversation() -> None:
    question = "Which services do members value most?"
    assert rewrite_follow_up(question, history("When was Alpha founded?"), find) == question


def test_standalone_question_is_kept() -> None:
    question = "When was Beta Health Network founded?"
    assert rewrite_follow_up(question, history("When was Alpha founded?"), find) == question
    assert rewrite_follow_up(question, [], find) == question


def test_helpers() -> None:
    assert person_named("The Alpha Bio Cluster is led by Anna Berger.", CLUSTERS) == "Anna Berger"
    assert described_phrase("week", "Which cluster hosted a training week of the ECRI project?"
                            ) == "the training week of the ECRI project"
