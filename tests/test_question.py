"""The question-analysis stage: a question read once, against a real index, into the
``Question`` that retrieval and the answerers take."""

from __future__ import annotations

from bot import Bot


def test_a_question_names_the_clusters_of_the_index_and_what_it_asks(bot: Bot) -> None:
    question = bot.analyse("How many members did the Alpha Bio Cluster have in 2023?")
    assert question.entities == ["Alpha Bio Cluster"] and question.subjects == question.entities
    assert question.language == "en" and not question.unknown and not question.follows
    assert len(question.vector) == 384
    (part,) = question.parts
    assert part.kind == "count" and part.years == ["2023"] and part.wanted
    assert question.whole == part and question.as_comparison is not None
    assert not question.compares and not question.practice and question.ranking is None


def test_a_comparison_a_ranking_a_bound_and_a_practice_are_read_as_such(bot: Bot) -> None:
    compared = bot.analyse("Compare the membership fees of Alpha and Beta.")
    assert compared.compares and compared.subjects == ["Alpha Bio Cluster", "Beta Health Network"]
    alpha = compared.about("Alpha Bio Cluster", [compared.name_of(s) for s in compared.subjects])
    assert alpha.entities == ["Alpha Bio Cluster"] and "Beta" not in alpha.text
    ranked = bot.analyse("Which cluster has the highest membership fee?")
    assert ranked.ranking is not None and ranked.ranking.highest and ranked.ranks
    bounded = bot.analyse("Which clusters get more than half of their income from projects?")
    assert bounded.bound is not None and bounded.bound.share and bounded.bound.bound == 50
    practice = bot.analyse("What did not work when Alpha tried to win members back?")
    assert practice.practice and practice.failure


def test_several_parts_are_each_analysed(bot: Bot) -> None:
    question = bot.analyse("When was the Alpha Bio Cluster founded, and how many members "
                           "does it have?")
    assert [p.kind for p in question.parts] == ["year", "count"]


def test_a_follow_up_is_made_standalone_before_it_is_read(bot: Bot) -> None:
    history = [{"role": "user", "content": "How many members does the Alpha Bio Cluster have?"},
               {"role": "assistant", "content": "Alpha Bio Cluster: 48 members. [1]"}]
    question = bot.analyse("And when was it founded?", history)
    assert question.follows and question.asked == "And when was it founded?"
    assert question.entities == ["Alpha Bio Cluster"] and question.parts[0].kind == "year"
    assert bot.ask("And when was it founded?", history=history).metadata["query"] == \
        question.text


def test_a_terse_question_names_its_fact_by_a_noun_that_the_passage_must_speak_of(
        bot: Bot) -> None:
    (salary,) = bot.analyse("alpha bio cluster manager salary").parts
    assert salary.kind is None and {"salar"} <= salary.topic
    (fee,) = bot.analyse("alpha subscription for a small company").parts
    assert "fee" in fee.topic  # the synonym the documents use
    assert not bot.analyse("How did Alpha raise its fee income?").parts[0].topic  # a practice
    # no passage speaks of a salary: the income figures next to it are no answer
    assert bot.ask("alpha bio cluster manager salary").abstained
    subscription = bot.ask("alpha subscription for a small company")
    assert not subscription.abstained and "450 euros" in subscription.text


def test_a_word_of_a_cluster_s_name_inside_an_unknown_name_does_not_name_that_cluster(
        bot: Bot) -> None:
    assert bot.analyse("alpha staff").entities == ["Alpha Bio Cluster"]
    # "membex" is one typo from "member" but stands in a name: it is not mended, and "alpha"
    # next to it is part of that name, not the Alpha Bio Cluster
    unknown = bot.analyse("membex alpha alliance staff")
    assert unknown.entities == [] and unknown.unknown == ["membex"]
    answer = bot.ask("membex alpha alliance staff")
    assert answer.abstained and "membex" in answer.text


def test_a_rate_is_a_share_only_when_it_names_one(bot: Bot) -> None:
    assert bot.analyse("What was Alpha's churn rate in 2023?").parts[0].kind == "percent"
    assert bot.analyse("alpha member rate for the matchmaking day").parts[0].kind is None
