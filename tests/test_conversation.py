"""Follow-up rewriting: pronouns, people, demonstratives and "what about ..." questions."""

from __future__ import annotations

import re

from bot.question.followups import described_phrase, person_named, rewrite_follow_up

CLUSTERS = ["Alpha Bio Cluster", "Beta Health Network"]


def find(text: str) -> list[str]:
    """The fictional clusters a text names (by a distinctive word, in any case, as the index's
    entity matcher finds them)."""
    return [c for c in CLUSTERS if re.search(rf"\b{c.split()[0]}\b", text, re.I)]


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


def test_standalone_question_is_kept() -> None:
    question = "When was Beta Health Network founded?"
    assert rewrite_follow_up(question, history("When was Alpha founded?"), find) == question
    assert rewrite_follow_up(question, [], find) == question


def test_helpers() -> None:
    assert person_named("The Alpha Bio Cluster is led by Anna Berger.", CLUSTERS) == "Anna Berger"
    assert described_phrase("week", "Which cluster hosted a training week of the ECRI project?"
                            ) == "the training week of the ECRI project"


def test_follow_up_that_only_changes_the_year_reuses_the_previous_question() -> None:
    asked = "How many members did Alpha Bio Cluster have in 2024?"
    assert rewrite_follow_up("and in 2023?", history(asked), find) == (
        "How many members did Alpha Bio Cluster have in 2023?")
    assert rewrite_follow_up("vs 2023?", history("alpha bio cluster participants 2024"),
                             find) == "Alpha Bio Cluster participants 2023"
    assert rewrite_follow_up("And the year before?", history(asked), find) == (
        "How many members did Alpha Bio Cluster have in 2023?")
    assert rewrite_follow_up("and the year after?", history(asked), find) == (
        "How many members did Alpha Bio Cluster have in 2025?")


def test_year_replaces_now_or_is_added() -> None:
    assert rewrite_follow_up("and in 2023?", history(
        "how many members does the alpha bio cluster have now"), find) == (
        "how many members does the Alpha Bio Cluster have in 2023")
    assert rewrite_follow_up("And in 2022?", history("What is the budget of Alpha?"), find) == (
        "What is the budget of Alpha Bio Cluster in 2022?")


def test_year_before_without_a_year_keeps_the_previous_question_as_context() -> None:
    previous = "how many members does Alpha Bio Cluster have now"
    assert rewrite_follow_up("and the year before?", history(previous), find) == (
        f"and the year before? (following: {previous})")


def test_year_before_a_question_without_a_year_is_the_year_before_its_answer() -> None:
    answer = "Alpha Bio Cluster, Annual Report 2024: It had 71 members at the end of 2024. [1]"
    assert rewrite_follow_up("and the year before?", history(
        "how many membrs does alpha bio cluster have", answer), find) == (
        "how many membrs does Alpha Bio Cluster have in 2023")


def test_follow_up_that_asks_more_than_a_year_is_not_a_year_change() -> None:
    previous = "Alpha Bio Cluster total income 2024"
    assert rewrite_follow_up("and total budget for 2025?", history(previous), find) == (
        f"and total budget for 2025? (following: {previous})")
    question = "How many members did Beta Health Network have in 2023?"
    assert rewrite_follow_up(question, history(previous), find) == question


def test_flipped_superlative_reuses_the_previous_question() -> None:
    previous = "Which cluster has the lowest fee for a small company?"
    assert rewrite_follow_up("and the most expensive one?", history(previous), find) == (
        "Which cluster has the most expensive fee for a small company?")
    assert rewrite_follow_up("and which one the least?", history(
        "which cluster depends most on public money"), find) == (
        "which cluster depends least on public money")


def test_plural_pronoun_becomes_the_organisations_named_before() -> None:
    previous = "who has more members, alpha or beta (2024)"
    assert rewrite_follow_up("what about staff in those two", history(previous), find) == (
        "what about staff in Alpha Bio Cluster and Beta Health Network in 2024")
    assert rewrite_follow_up("how much did that cost them", history(
        "how did alpha reduce member churn"), find) == (
        "how much did that cost Alpha Bio Cluster? (following: how did alpha reduce member "
        "churn)")


def test_a_follow_up_without_a_year_keeps_the_year_of_the_previous_question() -> None:
    assert rewrite_follow_up("what about their total income?", history(
        "alpha team size 2024?"), find) == "what about Alpha Bio Cluster's total income in 2024?"
    # its own year, or a previous question of several years, leaves it as it is
    assert rewrite_follow_up("what about their income in 2023?", history(
        "alpha team size 2024?"), find) == "what about Alpha Bio Cluster's income in 2023?"
    assert rewrite_follow_up("what about their income?", history(
        "alpha staff 2023 vs 2024?"), find) == "what about Alpha Bio Cluster's income?"


def test_a_follow_up_naming_only_another_audience_asks_the_previous_question_of_it() -> None:
    assert rewrite_follow_up("and for non-members?", history(
        "most expensive alpha service for members?"), find) == (
        "most expensive Alpha Bio Cluster service for non-members?")
    assert rewrite_follow_up("and for start-ups?", history(
        "what does alpha charge for a large company in 2024?"), find) == (
        "what does Alpha Bio Cluster charge for start-ups in 2024?")
    assert rewrite_follow_up("what about for SMEs", history("alpha membership fee 2025"),
                             find) == "Alpha Bio Cluster membership fee 2025 for SMEs"
    # a question about the audience is no other audience
    assert rewrite_follow_up("and for which members?", history("alpha fee for members"),
                             find).endswith("(following: alpha fee for members)")


def test_pronoun_after_which_cluster_becomes_the_cluster_answered() -> None:
    rewritten = rewrite_follow_up("And how many staff do they have?", history(
        "Which cluster has the most members?",
        "Beta Health Network has the most members: 120. [1]\nAlpha Bio Cluster follows. [2]"),
        find)
    assert rewritten == "And how many staff do Beta Health Network have?"
    listed = history("Which cluster has the most members?",
                     "- Alpha Bio Cluster; Beta Health Network: 120 members [1]")
    assert rewrite_follow_up("And how many staff do they have?", listed, find).endswith(
        "(following: Which cluster has the most members?)")


def test_part_of_them_is_not_the_cluster() -> None:
    previous = "How many members did Alpha Bio Cluster have at the end of 2024?"
    rewritten = rewrite_follow_up("How many of them were large companies?", history(previous),
                                  find)
    assert rewritten == f"How many of them were large companies? (following: {previous})"


def test_bot_answers_a_flipped_superlative_and_keeps_the_standalone_query(bot) -> None:
    first = "Which cluster charges a small company the lowest fee to join?"
    answer = bot.ask(first)
    history_ = [{"role": "user", "content": first}, {"role": "assistant", "content": answer.text}]
    follow_up = bot.ask("and the highest one?", history=history_)
    assert follow_up.metadata["query"] == (
        "Which cluster charges a small company the highest fee to join?")
    assert "450" in follow_up.text and "Alpha" in follow_up.text


def test_bot_asks_a_year_change_of_the_cluster_named_before(bot) -> None:
    first = "how many members does the alpha bio cluster have now"
    history_ = [{"role": "user", "content": first},
                {"role": "assistant", "content": bot.ask(first).text}]
    answer = bot.ask("and in 2023?", history=history_)
    assert answer.metadata["query"] == "how many members does the Alpha Bio Cluster have in 2023"
    assert bot.retrieve(answer.metadata["query"], k=1)[0].source == "alpha-profile.md"
