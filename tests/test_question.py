"""Question analysis and the answers it drives: organisations resolved against the index,
absent organisations, standalone follow-ups, attributed lines, table cells and rankings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import Bot, Settings
from bot.answering.scorer import FEATURES, fit_logistic, load_scorer
from bot.errors import ConfigError
from bot.question import EntityIndex, QuestionAnalyser, load_lexicon

from .conftest import dedent

CLUSTERS = ["Alpha Bio Cluster", "Beta Health Network"]
VOCABULARY = {"alpha", "beta", "university", "fee", "graz"}


def analyser() -> QuestionAnalyser:
    return QuestionAnalyser(EntityIndex(CLUSTERS, mentions=VOCABULARY.__contains__))


def test_a_misspelt_cluster_name_still_resolves() -> None:
    question = analyser().of_text("what does alpah bio charge a small company?")
    assert question.entities == ["Alpha Bio Cluster"] and not question.absent


def test_a_common_noun_is_no_organisation() -> None:
    question = analyser().of_text("Compare the fees of the Alpha Bio Cluster and the University")
    assert [o.name for o in question.organisations] == ["Alpha Bio Cluster"]


def test_an_organisation_the_documents_never_mention_is_absent() -> None:
    question = analyser().of_text("What is the annual membership fee of Minalogic?")
    assert [o.name for o in question.absent] == ["Minalogic"]
    assert question.ask.kind == "money"


def test_question_holds_kind_parts_period_and_comparison() -> None:
    question = analyser().of_text("When was Alpha Bio Cluster founded, and how many members "
                                  "did it have in 2023?")
    assert [p.kind for p in question.parts] == ["year", "count"]
    assert question.parts[1].years == ["2023"]
    compared = analyser().of_text("Which is older, Alpha Bio Cluster or Beta Health Network?")
    assert compared.compares and compared.compared == CLUSTERS
    assert set(compared.sides) == set(CLUSTERS)
    ranking = analyser().of_text("Which clusters earn most from paid services, and how much?")
    assert ranking.aggregates and ranking.superlative == "max"
    assert analyser().of_text("How did Alpha get passive members active again?").practice


def test_unknown_language_names_the_missing_lexicon() -> None:
    with pytest.raises(ConfigError, match="xx.yaml"):
        load_lexicon("xx")


def test_scorer_is_fitted_on_the_stored_features() -> None:
    scorer = load_scorer()
    assert len(scorer.weights) == len(FEATURES) and 0 < scorer.threshold < 1
    weights, bias = fit_logistic([[0.0], [0.1], [0.9], [1.0]], [0, 0, 1, 1], l2=0.01)
    assert weights[0] > 0 and bias < 0


# ---------------------------------------------------------------- end to end


def test_absent_organisation_abstains_and_says_what_is_covered(bot: Bot) -> None:
    answer = bot.ask("How much does a small company pay to join Minalogic?")
    assert answer.abstained
    assert answer.text.startswith("The indexed documents say nothing about Minalogic.")
    assert "Alpha Bio Cluster" in answer.text or "Beta Health Network" in answer.text


def test_each_answer_line_names_its_document(bot: Bot) -> None:
    answer = bot.ask("When was the Beta Health Network founded?")
    assert answer.text.startswith("Beta Health Network profile: ") and "2011" in answer.text
    assert answer.metadata["query"] == "When was the Beta Health Network founded?"


def test_standalone_question_is_not_rewritten_from_the_conversation(bot: Bot) -> None:
    history = [{"role": "user", "content": "When was Alpha Bio Cluster founded?"},
               {"role": "assistant", "content": "In 2005 [1]."}]
    question = bot.analyse("Which services does the cluster office offer its members?", history)
    assert question.depends_on_history  # "the cluster office": a definite reference
    standalone = bot.analyse("Which services do members value most?", history)
    assert not standalone.depends_on_history and standalone.text == standalone.asked


FEES = """\
    ---
    title: Delta Medtech fees 2025
    cluster: Delta Medtech
    country: Slovenia
    year: 2025
    type: budget
    ---
    # Delta Medtech fees 2025

    | Member category | 2024 fee | 2025 fee |
    | --- | --- | --- |
    | Micro company | EUR 450 | EUR 500 |
    | Small company | EUR 900 | EUR 1,000 |
    | Large company | EUR 4,200 | EUR 4,800 |
    | Start-up | EUR 250 | EUR 250 |
    """


@pytest.fixture()
def fees_bot(tmp_path: Path, embeddings) -> Bot:
    corpus = tmp_path / "fees"
    corpus.mkdir()
    (corpus / "delta-fees.md").write_text(dedent(FEES), encoding="utf-8")
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=tmp_path / "fees-index")
    bot = Bot(settings, embeddings)
    bot.index()
    return bot


def test_a_table_answer_quotes_the_cell_with_its_row(fees_bot: Bot) -> None:
    answer = fees_bot.ask("What does a small company pay at Delta Medtech in 2025?")
    assert not answer.abstained
    assert "Member category: Small company — 2025 fee: EUR 1,000 [1]" in answer.text
    assert " | " not in answer.text


def test_a_superlative_is_computed_over_the_column(fees_bot: Bot) -> None:
    answer = fees_bot.ask("Which member category pays the highest 2025 fee?")
    first, *ranked = answer.text.splitlines()
    assert "Large company has the highest 2025 fee, EUR 4,800 [1]" in first
    assert ranked[0] == "- Large company: EUR 4,800 [1]" and "Start-up: EUR 250" in ranked[-1]
    lowest = fees_bot.ask("Which member category pays the lowest 2025 fee?")
    assert "Start-up has the lowest 2025 fee, EUR 250" in lowest.text


def test_a_terse_question_asks_for_the_kind_its_noun_names() -> None:
    question = analyser().of_text("alpha staff 2024?")
    assert question.ask.kind == "count" and "staff" in question.ask.wanted
    assert question.ask.years == ["2024"]
    assert analyser().of_text("alpha dues?").ask.kind == "money"


def test_a_follow_up_asks_of_the_organisation_the_turn_before_named(bot: Bot) -> None:
    history = [{"role": "user", "content": "How many member companies does Beta Health "
                                           "Network count?"},
               {"role": "assistant", "content": "85 [1]."}]
    question = bot.analyse("And in 2023?", history)
    assert question.context and question.entities == ["Beta Health Network"]
