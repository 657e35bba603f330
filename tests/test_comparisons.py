"""Comparisons of named organisations (each side answered, from a benchmark table when one names
them all, and which side has more) and lists of the organisations that pass a bound: unit tests
and answers from a real index."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import Bot, Settings
from bot.organisations import document_organisation
from bot.question.bounds import threshold
from bot.question.names import is_comparison, name_span
from bot.question.vocabulary import comparative, comparative_words, stem

from .conftest import dedent, write_corpus

BENCHMARK = dedent("""\
    ---
    title: Northsea peer benchmark 2024
    cluster: multiple
    ---
    # Northsea peer benchmark 2024

    Four cluster organisations of the Northsea peer group compare their key figures every
    spring; the figures refer to the end of 2024. Column abbreviations: **KOC** = Kestrel Ocean
    Cluster, **LTN** = Lindholm Textile Network, **MWC** = Morava Wood Cluster, **ORC** =
    Ostrava Rail Cluster.

    ## Key figures 2024

    | Indicator | KOC | LTN | MWC | ORC |
    |---|---|---|---|---|
    | Year founded | 2009 | 2004 | 2011 | 2017 |
    | Members end 2024 | 81 | 118 | 69 | 34 |
    | Staff 2024 (FTE) | 5.0 | 6.5 | 4.0 | 2.5 |
    | Sponsorship (% of income) | 9% | 12% | 8% | 12% |
    """)

PROFILES = {
    "kestrel.md": ("Kestrel Ocean Cluster", "The Kestrel Ocean Cluster brings together ports, "
                   "shipyards and marine research institutes on the North Sea coast."),
    "lindholm.md": ("Lindholm Textile Network", "The Lindholm Textile Network connects "
                    "weavers, dye works and textile research labs in the Lindholm valley."),
}


@pytest.mark.parametrize(("question", "language", "relation", "bound", "year"), [
    ("Which clusters got more than half their income from public funding?", "en", "above",
     50, False),
    ("benchmark clusters founded after 2012", "en", "above", 2012, True),
    ("which clusters make at least a quarter of income from paid services", "en", "at_least",
     25, False),
    ("Which clusters have fewer than 40 members?", "en", "below", 40, False),
    ("Welche Cluster haben mehr als die Hälfte ihrer Einnahmen aus Projekten?", "de", "above",
     50, False)])
def test_a_bound_is_read_from_the_question(question: str, language: str, relation: str,
                                           bound: float, year: bool) -> None:
    found = threshold(question, language)
    assert found is not None
    assert (found.relation, found.bound, found.year) == (relation, bound, year)
    assert found.passes(bound + 1) == (relation in ("above", "at_least"))
    assert found.passes(bound) == (relation in ("at_least", "at_most"))


def test_no_bound_in_a_plain_question() -> None:
    assert threshold("How many members did the cluster have in 2024?") is None


def test_a_comparative_asks_which_side_has_more() -> None:
    assert comparative("who has the bigger team, boyne valley or neris?") is True
    assert comparative("which is cheaper for a start-up, A or B?") is False
    assert comparative("compare the fees of A and B") is None
    assert stem("bigger") in comparative_words("who has the bigger team?")


def test_names_written_in_small_letters_are_compared() -> None:
    question = "agrifood clusters: who has more members, alentejo or tirreno (2024)"
    names = ["Alentejo AgroInova Cluster", "Tirreno AgriFood Cluster"]
    assert question[slice(*name_span(question, names[1]))] == "tirreno"
    assert is_comparison(question, names)
    assert is_comparison("who has the bigger team, boyne valley or neris?",
                         ["Boyne Valley Food Cluster", "Neris Health Tech Cluster"])


def test_a_letter_signed_by_its_organisation_is_about_it() -> None:
    text = ("Dear members,\nwe end the year with 49 members.\n\nLucía Berdejo\n"
            "Managing Director, Moncayo Hydrogen Cluster")
    assert document_organisation("From: Lucía <l@moncayo.example>", text, "en") == (
        "Moncayo Hydrogen Cluster")
    example = "For example, the Moncayo Hydrogen Cluster pairs members."
    assert document_organisation("Guide to member engagement", example, "en") is None


@pytest.fixture(scope="module")
def bench_bot(tmp_path_factory: pytest.TempPathFactory, embeddings) -> Bot:
    """A bot over the shared small corpus, a benchmark of four clusters and the profiles of
    two of them."""
    root = tmp_path_factory.mktemp("comparisons")
    corpus = write_corpus(root / "corpus")
    (corpus / "benchmark.md").write_text(BENCHMARK, encoding="utf-8")
    for name, (cluster, text) in PROFILES.items():
        (corpus / name).write_text(f"---\ntitle: {cluster} profile\ncluster: {cluster}\n---\n"
                                   f"# {cluster}\n\n{text}\n", encoding="utf-8")
    bot = Bot(Settings.from_env(env={}, corpus_dir=corpus, index_dir=Path(root / "index")),
              embeddings)
    bot.index()
    return bot


def test_each_side_is_answered_from_the_benchmark_and_the_bigger_named(bench_bot: Bot) -> None:
    answer = bench_bot.ask("who has the bigger team, kestrel or lindholm?")
    lines = answer.text.splitlines()
    assert not answer.abstained and len(lines) == 3
    assert lines[0].startswith("- Kestrel") and "5.0" in lines[0]
    assert lines[1].startswith("- Lindholm") and "6.5" in lines[1]
    assert lines[2].startswith("Higher: Lindholm Textile Network (6.5 [")
    assert {s.source for s in answer.cited} == {"benchmark.md"}


def test_the_clusters_past_a_bound_are_listed(bench_bot: Bot) -> None:
    founded = bench_bot.ask("Which benchmark clusters were founded after 2008?")
    assert founded.text.splitlines()[0].endswith("after 2008: three of 4")
    assert all(name in founded.text for name in ("Kestrel", "Morava", "Ostrava"))
    assert "Lindholm" not in founded.text
    sponsored = bench_bot.ask("Which clusters get more than 10% of their income from "
                              "sponsorship?")
    assert "12% [" in sponsored.text and "9%" not in sponsored.text
    assert "Lindholm" in sponsored.text and "Ostrava" in sponsored.text
