"""Superlatives over tables and lists, clusters ranked by their figures, names the documents do
not know, and cluster names with a typo: unit tests and answers from a real index."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import Bot, Settings
from bot.answering.rankings import compute
from bot.answering.tables import (
    best_series,
    defined_names,
    for_audience,
    table_cells,
    table_series,
)
from bot.question.names import EntityMatcher, proper_names
from bot.question.vocabulary import asks_practice, stem, superlative, synonym_group
from bot.retrieval import Hit
from bot.text import YEAR, parse_number

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
    | Micro company | EUR 300 | EUR 380 |
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


BENCHMARK = dedent("""\
    ---
    title: Northsea peer benchmark 2024
    cluster: multiple
    type: benchmark
    ---
    # Northsea peer benchmark 2024

    Four cluster organisations of the Northsea peer group compare their key figures every
    spring. The managers reported the figures below in February 2025; they refer to the end
    of 2024. Staff counts full-time equivalents of the cluster office, without project staff
    hired by members. Column abbreviations: **KOC** = Kestrel Ocean Cluster, **LTN** =
    Lindholm Textile Network, **MWC** = Morava Wood Cluster, **ORC** = Ostrava Rail Cluster.

    ## How the group works

    The group meets twice a year, once online and once at one of the clusters. Each meeting
    has one practice on the agenda that a cluster presents and the others discuss. In 2024
    the group discussed onboarding calls for new members, a voucher for testing services and
    a shared training calendar. The figures are self-reported and were not audited; the
    definitions of a member differ slightly between the clusters, so small differences should
    not be read as a ranking of quality. The group publishes the benchmark for its members
    and for the regional agencies that fund the clusters.

    ## Key figures 2024

    | Indicator | KOC | LTN | MWC | ORC |
    |---|---|---|---|---|
    | Year founded | 2009 | 2004 | 2011 | 2017 |
    | Members end 2023 | 74 | 112 | 63 | 29 |
    | Members end 2024 | 81 | 118 | 69 | 34 |
    | Staff 2024 (FTE) | 5.0 | 6.5 | 4.0 | 2.5 |
    | Sponsorship (% of income) | 9% | 12% | 8% | 12% |
    """)


def _hit(text: str, source: str = "a.md", cluster: str = "A Cluster") -> Hit:
    return Hit(source, text, {"source": source, "cluster": cluster, "section": "Fees"}, 1.0, 0.5)


BENCH_ROWS = ("Indicator: Year founded | KOC: 2009 | LTN: 2004 | MWC: 2011\n"
              "Indicator: Members end 2023 | KOC: 74 | LTN: 112 | MWC: 63\n"
              "Indicator: Members end 2024 | KOC: 81 | LTN: 118 | MWC: 69\n"
              "Indicator: Lowest company fee 2024 | KOC: 350 | LTN: 240 | MWC: 150\n"
              "Indicator: Large company fee 2024 | KOC: 6,400 | LTN: 4,800 | MWC: 2,000\n"
              "Indicator: Staff 2024 (FTE) | KOC: 5.0 | LTN: 6.5 | MWC: 4.0\n"
              "Indicator: Sponsorship (% of income) | KOC: 9% | LTN: 12% | MWC: 12%")
BENCH_NAMES = ("Column abbreviations: KOC = Kestrel Ocean Cluster, LTN = Lindholm Textile "
               "Network, MWC = Morava Wood Cluster. Open Deck visits (KOC) are a practice.")


def _computed(question: str, hits: list[Hit], entity: str | None = None) -> str:
    """What ``compute`` answers to ``question`` over ``hits`` (the terms as the answerer's)."""
    ranking = superlative(question)
    assert ranking is not None
    words = [w.strip("?").lower() for w in question.split()]
    terms = {stem(w): synonym_group(w) for w in words if len(w) > 3 or w == "fte"}
    found = compute(hits, ranking, terms, re.findall(YEAR, question), lambda value: True,
                    entity)
    return found.text if found else ""


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
    # of two rows named alike, the one that says least besides what is asked
    bench = [_hit("Indicator: Member satisfaction (1-10) | North: 7.8 | South: 8.2 | East: 7.1\n"
                  "Indicator: Members | North: 120 | South: 85 | East: 97", "b.md", "multiple")]
    members = {"membe": synonym_group("members")}
    found = best_series(table_series(bench), members, [], lambda value: True)
    assert found is not None and found.name == "Members"


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
    # what was learnt, why it was dropped, what it produced, whether it works
    for question in ("What did the cluster learn from its matchmaking platform?",
                     "porto coworking desk why was it dropped",
                     "What is Clinic Match and what has it produced?",
                     "onboarding buddies, does it work", "what made sponsorship work",
                     "Which practice are they copying?"):
        assert asks_practice(question), question


def test_ranking_questions_say_what_they_compute() -> None:
    ages = superlative("oldest and youngest cluster in the benchmark")
    assert ages is not None and ages.years and ages.both and not ages.highest
    fastest = superlative("which cluster grew fastest in membership last year")
    assert fastest is not None and fastest.highest and fastest.change == "relative"
    most = superlative("which income stream grew most in euros from 2023 to 2024")
    assert most is not None and most.change == "absolute"
    total = superlative("total staff fte across the peer group 2024")
    assert total is not None and total.total
    lowest = superlative("lowest large-company fee among the peer clusters")
    assert lowest is not None and "lowes" in lowest.words and not lowest.total
    assert superlative("Quel est le pôle le plus ancien ?", "fr").years


def test_abbreviations_a_document_defines_are_written_out() -> None:
    hits = [_hit(BENCH_ROWS, "bench.md", "multiple"), _hit(BENCH_NAMES, "bench.md", "multiple")]
    assert defined_names(hits)["bench.md"]["KOC"] == "Kestrel Ocean Cluster"  # not "Open Deck"
    series = {s.name: s for s in table_series(hits)}
    assert [e.label for e in series["Members end 2024"].entries] == [
        "Kestrel Ocean Cluster (KOC)", "Lindholm Textile Network (LTN)",
        "Morava Wood Cluster (MWC)"]
    # the definition in a chunk of the document the hits lack: asked of the document
    text = _computed("which cluster has the most members", hits[:1])
    assert text.splitlines()[0].startswith("LTN — ") and "118 [1]" in text
    ranking = superlative("which cluster has the most members")
    found = compute(hits[:1], ranking, {"membe": synonym_group("members")}, [],
                    lambda value: True, documents=lambda source: hits[1:])
    assert found is not None and found.text.startswith("Lindholm Textile Network (LTN) — ")


def test_the_ranking_word_names_no_series_and_ties_are_all_named() -> None:
    hits = [_hit(BENCH_ROWS, "bench.md", "multiple")]
    assert _computed("lowest large-company fee among the peer clusters", hits).startswith(
        "MWC — Large company fee 2024: 2,000 [1]")
    tied = _computed("which clusters have the highest sponsorship share", hits).splitlines()
    assert tied[:2] == ["LTN — Sponsorship (% of income): 12% [1]",
                        "MWC — Sponsorship (% of income): 12% [1]"]


def test_years_changes_and_totals_are_computed_from_the_records() -> None:
    hits = [_hit(BENCH_ROWS, "bench.md", "multiple")]
    both = _computed("oldest and youngest cluster in the benchmark", hits).splitlines()
    assert both[0] == "LTN — Year founded: 2004 [1]" and both[1] == "MWC — Year founded: 2011 [1]"
    fastest = _computed("which cluster grew fastest in membership last year", hits)
    assert fastest.startswith("MWC — Members end 2023 → Members end 2024: 63 [1] → 69 [1], "
                              "+9.5%")
    most = _computed("which cluster grew most in membership", hits)
    assert most.startswith("KOC — ") and "+7" in most.splitlines()[0]
    assert _computed("total staff fte across the peer group 2024", hits).startswith(
        "Staff 2024 (FTE), total of 3: 15.5")
    assert _computed("total sponsorship share across the group", hits) == ""  # shares: no sum
    income = [_hit("Stream: Fees | 2023 (EUR): 95,200 | 2024 (EUR): 100,800\n"
                   "Stream: Services | 2023 (EUR): 120,200 | 2024 (EUR): 136,800\n"
                   "Stream: Total | 2023 (EUR): 215,400 | 2024 (EUR): 237,600", "n.md", "N")]
    grew = _computed("which income stream grew most in euros from 2023 to 2024", income)
    assert grew.startswith("Services — N, 2023 (EUR) → 2024 (EUR): 120,200 [1] → 136,800 [1], "
                           "+16,600")  # the total row is no stream


def test_a_price_per_audience_is_read_for_the_audience_asked() -> None:
    prices = _hit("Services for members and non-members\n"
                  "- Lab analysis: EUR 350 for members, EUR 600 for non-members\n"
                  "- Pilot site access: EUR 1,200 for members, EUR 2,000 for non-members\n"
                  "- Pitch slot: free for members, EUR 400 for non-members\n"
                  "- Metering course: EUR 180 for members, EUR 290 for non-members",
                  "p.html", "Aqua Cluster")
    (series,) = table_series([prices])
    members = for_audience(series, {"membe"})
    assert [e.cell.number for e in members.entries] == [350, 1200, 180]  # free is no price
    others = for_audience(series, {"non-member"})
    assert [e.cell.number for e in others.entries] == [600, 2000, 400, 290]
    bench = _hit(BENCH_ROWS, "bench.md", "Aqua Cluster; Kestrel Ocean Cluster")
    cheapest = _computed("cheapest paid service of aqua for members", [bench, prices],
                         "Aqua Cluster")
    assert cheapest.startswith("Metering course — Aqua Cluster, Services for members")


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
    (corpus / "benchmark.md").write_text(BENCHMARK, encoding="utf-8")
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


def test_a_change_between_two_columns_is_computed(table_bot: Bot) -> None:
    relative = table_bot.ask("Which member category at the Delta Food Cluster gets the "
                             "biggest % fee increase in 2025?")
    assert relative.text.startswith("Micro company — Delta Food Cluster") and "+26.7%" in (
        relative.text.splitlines()[0])
    absolute = table_bot.ask("Which member category of the Delta Food Cluster has the largest "
                             "fee increase in euros in 2025?")
    assert absolute.text.startswith("Large company") and "+600" in absolute.text


def test_a_benchmark_across_clusters_is_ranked_with_the_names_it_defines(
        table_bot: Bot) -> None:
    members = table_bot.ask("Which cluster has the most members?")
    first = members.text.splitlines()[0]
    assert first.startswith("Lindholm Textile Network (LTN)") and "118" in first
    assert "benchmark.md" in {s.source for s in members.cited}
    oldest = table_bot.ask("oldest cluster in the benchmark?")
    assert oldest.text.startswith("Lindholm Textile Network (LTN)") and "2004" in oldest.text
    total = table_bot.ask("total staff fte across the peer group 2024")
    assert total.text.startswith("Staff 2024 (FTE), total of 4: 18.0") and not total.abstained
    fastest = table_bot.ask("which cluster grew fastest in membership last year")
    assert fastest.text.startswith("Ostrava Rail Cluster (ORC)") and "+17.2%" in fastest.text


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



def test_a_common_word_names_its_cluster_only_beside_another_word_of_its_name() -> None:
    matcher = EntityMatcher(["Kurzeme Food Cluster", "Hron Energy Cluster",
                             "Aurora Photonics Cluster"])
    assert matcher.find("food & bio cluster denmark annual revenue") == []
    assert matcher.find("energy cluster denmark staff") == []
    assert matcher.find("kurzeme food cluster members") == ["Kurzeme Food Cluster"]
    assert matcher.find("hron energy audit voucher") == ["Hron Energy Cluster"]
    # written in capitals it is a name; a rarer word of a name names it alone
    assert matcher.find("What does Energy charge?") == ["Hron Energy Cluster"]
    assert matcher.find("aurora staff 2024") == ["Aurora Photonics Cluster"]


def test_a_table_row_counts_what_its_label_names() -> None:
    from bot.answering.passages import counts
    from bot.question.vocabulary import concept_group

    members = concept_group("members")
    assert counts("Indicator: Members (total) | 2023: 118 | 2024: 131", members)
    assert not counts("Indicator: Staff (FTE) | 2023: 7.0 | 2024: 7.5", members)
    assert counts("The cluster had 131 members.", members)
