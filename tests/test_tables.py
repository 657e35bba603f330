"""Superlatives over tables and lists, clusters ranked by their figures, names the documents do
not know, and cluster names with a typo: unit tests and answers from a real index."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import Bot, Settings
from bot.answering.tables import best_series, parse_number, table_cells, table_series
from bot.answering.vocabulary import asks_practice, superlative, synonym_group
from bot.retrieval import EntityMatcher, Hit, proper_names

from .conftest import dedent, write_corpus

FEES = dedent("""\
    ---
    title: Membership fees of the Delta Food Cluster
    cluster: Delta Food Cluster
    ---
    # Membership fees of the Delta Food Cluster

    ## Fees 2024 and 2025

    | Member category | 2024 fee | 2025 fee |
    |---|---|---|
    | Micro company | EUR 300 | EUR 350 |
    | Small company | EUR 900 | EUR 1,000 |
    | Large company | EUR 3,600 | EUR 4,200 |
    | Research organisation | EUR 1,200 | EUR 1,100 |

    ## Income mix 2024

    | Source | Share |
    |---|---|
    | Membership fees | 31% |
    | EU projects | 22% |
    | Regional funding | 38% |
    | Paid services | 9% |

    ## Workshop prices

    Workshops for members:
    - Export readiness day: EUR 450 per company
    - Packaging clinic: EUR 180 per company
    - Food law briefing: EUR 240 per company
    """)


def _hit(text: str, source: str = "a.md", cluster: str = "A Cluster") -> Hit:
    return Hit(source, text, {"source": source, "cluster": cluster, "section": "Fees"}, 1.0, 0.5)


@pytest.mark.parametrize(("written", "number"), [
    ("EUR 1,800", 1800), ("1.750 €", 1750), ("3,2 FTE", 3.2), ("27%", 27), ("9 800 EUR", 9800),
    ("CZK 9.8 million", 9.8), ("2024", None), ("none", None)])
def test_numbers_are_read_in_every_notation(written: str, number: float | None) -> None:
    assert parse_number(written) == number


def test_table_lines_become_rows_and_series() -> None:
    assert [c.header for c in table_cells("Category: Small | 2025 fee: EUR 1,000")] == [
        "Category", "2025 fee"]
    assert table_cells("A sentence: with a colon.") is None
    hits = [_hit("Category: Small | 2024 fee: EUR 900 | 2025 fee: EUR 1,000\n"
                 "Category: Large | 2024 fee: EUR 3,600 | 2025 fee: EUR 4,200"),
            _hit("Indicator: Members | North: 120 | South: 85 | East: 97", "b.md", "multiple")]
    series = {s.name: s for s in table_series(hits)}
    assert [e.label for e in series["2025 fee"].entries] == ["Small", "Large"]
    assert [e.label for e in series["Members"].entries] == ["North", "South", "East"]
    assert series["Members"].entries[0].hit_rank == 1


def test_the_series_named_like_the_question_wins_and_other_years_are_out() -> None:
    hits = [_hit("Category: Small | 2024 fee: EUR 900 | 2025 fee: EUR 1,000\n"
                 "Category: Large | 2024 fee: EUR 3,600 | 2025 fee: EUR 4,200\n"
                 "Category: Micro | Staff: 3 | Members: 40")]
    terms = {"fee": synonym_group("fee")}
    found = best_series(table_series(hits), terms, ["2024"], lambda value: True)
    assert found is not None and found.name == "2024 fee"
    latest = best_series(table_series(hits), terms, [], lambda value: True)
    assert latest is not None and latest.name == "2025 fee"
    assert best_series(table_series(hits), {"partn": frozenset({"partn"})}, [],
                       lambda value: True) is None
    assert best_series(table_series(hits), terms, [], lambda value: "%" in value) is None


def test_superlatives_ordinals_and_practices_are_read_from_the_lexicons() -> None:
    assert superlative("Which category pays the highest fee?") == superlative(
        "Welche Kategorie zahlt den höchsten Beitrag?", "de")
    second = superlative("What was the second-largest income source?")
    assert second is not None and second.highest and second.place == 2
    cheapest = superlative("Quel est le forfait le moins cher ?", "fr")
    assert cheapest is not None and not cheapest.highest
    assert superlative("Which cluster has the most members?").of_clusters
    assert not superlative("Which category pays the most?").of_clusters
    assert superlative("What minimum share must reach SMEs?") is None
    assert superlative("How many members are there?") is None
    assert asks_practice("How did the cluster win back passive members?")
    assert asks_practice("¿Cómo consiguió el clúster nuevos socios?", "es")
    assert not asks_practice("How many members are there?")


def test_a_cluster_name_with_one_typo_is_still_found() -> None:
    matcher = EntityMatcher(["Fjordheim Health Cluster", "Tejo Digital Health Cluster"])
    assert matcher.find("fjordhiem public funding share") == ["Fjordheim Health Cluster"]
    assert matcher.find("tejo staff?") == ["Tejo Digital Health Cluster"]
    assert matcher.find("health clusters in general") == []
    assert matcher.find("fjxrdhxim members") == []  # two typos are another word


def test_single_capitalised_words_inside_a_question_are_names() -> None:
    assert proper_names("What annual fee does Minalogic charge in March?") == ["Minalogic"]
    assert proper_names("What share of BioWallonie's income is public?") == ["BioWallonie"]
    assert proper_names("Members of the cluster?") == []


@pytest.fixture(scope="module")
def table_bot(tmp_path_factory: pytest.TempPathFactory, embeddings) -> Bot:
    """A bot over the shared small corpus plus a fee table of one more cluster."""
    root = tmp_path_factory.mktemp("tables")
    corpus = write_corpus(root / "corpus")
    (corpus / "delta-fees.md").write_text(FEES, encoding="utf-8")
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=Path(root / "index"))
    bot = Bot(settings, embeddings)
    bot.index()
    return bot


def test_the_highest_and_the_lowest_are_computed_from_the_table(table_bot: Bot) -> None:
    answer = table_bot.ask("Which member category pays the highest fee at the Delta Food "
                           "Cluster in 2025?")
    first = answer.text.splitlines()[0]
    assert first.startswith("Large company") and "EUR 4,200" in first and not answer.abstained
    assert "delta-fees.md" in {s.source for s in answer.cited}
    lowest = table_bot.ask("Which member category of the Delta Food Cluster pays the lowest "
                           "2024 fee?")
    assert lowest.text.splitlines()[0].startswith("Micro company")
    assert "EUR 300" in lowest.text.splitlines()[0]


def test_a_second_place_and_a_list_of_prices_are_ranked(table_bot: Bot) -> None:
    second = table_bot.ask("What was the second-largest income source of the Delta Food "
                           "Cluster in 2024, and what share did it bring?")
    assert second.text.splitlines()[0].startswith("Membership fees") and "31%" in second.text
    cheapest = table_bot.ask("What is the cheapest workshop of the Delta Food Cluster?")
    assert cheapest.text.splitlines()[0].startswith("Packaging clinic")


def test_a_name_no_passage_mentions_is_not_answered_with_another_clusters_figure(
        table_bot: Bot) -> None:
    answer = table_bot.ask("What annual membership fee does Minalogic charge a small company?")
    assert answer.abstained and "Minalogic" in answer.text
    assert "EUR" not in answer.text


def test_a_sector_word_other_organisations_use_names_no_cluster() -> None:
    titles = [("", "MedTech Netzwerk Ostalb-Rems: Jahresbericht 2023"),
              ("", "Sava Valley MedTech Cluster: board minutes"),
              ("multiple", "Sava Valley and Tejo compared")]
    matcher = EntityMatcher(["Sava Valley MedTech Cluster", "Tejo Digital Health Cluster"], {},
                            titles)
    assert matcher.find("Wie viele Mitglieder hat das MedTech Netzwerk Ostalb-Rems?") == []
    assert matcher.find("sava valley office headcount?") == ["Sava Valley MedTech Cluster"]
    assert EntityMatcher(["Sava Valley MedTech Cluster"]).find("medtech fees") == [
        "Sava Valley MedTech Cluster"]  # without other titles the word is still its own
