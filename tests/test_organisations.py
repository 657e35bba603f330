"""The organisation a document is about when its metadata does not say: unit tests, and a real
index where such documents answer questions about their cluster."""

from __future__ import annotations

from pathlib import Path

from bot import Bot, Settings
from bot.loading.corpus import load_document, normalise_metadata
from bot.organisations import (
    MULTIPLE,
    document_organisation,
    organisation_names,
    short_forms,
    spellings,
)

from .conftest import dedent


def test_the_title_names_the_organisation() -> None:
    assert document_organisation("Dollard Digital Cluster – Board deck outline, 2024",
                                 "Slide 1. We grew.", "en") == "Dollard Digital Cluster"
    # a German compound, and a name a Romance language opens with its head word
    assert document_organisation("Textilnetzwerk Oberlausitz – Beitragsordnung", "", "de") == (
        "Textilnetzwerk Oberlausitz")
    assert document_organisation("Barème des cotisations du Pôle Ligéria Agro", "", "fr") == (
        "Pôle Ligéria Agro")


def test_a_title_may_open_with_a_name_that_has_no_head_word() -> None:
    text = ("Garonne AgriNova brings together farms and processors. In 2024 Garonne AgriNova "
            "had 151 members.")
    assert document_organisation("GARONNE AGRINOVA - Rapport d'activité 2024", text,
                                 "fr") == "Garonne AgriNova"
    # common words before the dash are no name, nor is a name the text does not repeat
    assert document_organisation("Annual Report - 2024", "The Annual Report of the Annual "
                                 "Report series.", "en") is None
    assert document_organisation("Zelvora Partners: notes", "Zelvora Partners met once.",
                                 "en") is None


def test_a_title_in_capitals_takes_the_spelling_of_the_text() -> None:
    text = "Minutes. The Bucovina Wood Cluster board met in Suceava. Present: seven members."
    assert document_organisation("BUCOVINA WOOD CLUSTER", text, "en") == "Bucovina Wood Cluster"
    assert document_organisation("ALENTEJO AGROINOVA CLUSTER", "AgroInova members met.",
                                 "en") == "Alentejo AgroInova Cluster"


def test_without_a_name_in_the_title_the_text_must_name_one_organisation_most() -> None:
    one = ("Dear board, the Moncayo Hydrogen Cluster closed 2024 with 49 members. The Moncayo "
           "Hydrogen Cluster also joined the Ebro Valley Energy Network.")
    assert document_organisation("Year-end update", one, "en") == "Moncayo Hydrogen Cluster"
    several = ("News from Helgeland Ocean Cluster, Aurora Photonics Cluster and Neris Health Tech "
               "Cluster.")
    assert document_organisation("ClusterLink newsletter", several, "en") == MULTIPLE
    # one mention is not enough: a guide that cites one example is not about it
    assert document_organisation("Guide to member engagement",
                                 "For example, the Hanák AgriFood Cluster pairs members.",
                                 "en") is None


def test_a_text_calls_its_organisation_by_its_short_name_after_naming_it_once() -> None:
    review = ("Tromvik Digital Cluster – internal review of member engagement, January 2025.\n"
              "This review looks at what Tromvik ran in 2024, with the Oslo Data Network as "
              "a guest.")
    assert document_organisation("Engagement review 2024", review, "en") == (
        "Tromvik Digital Cluster")
    # a subtitle or letterhead that opens the document names its organisation
    note = "Kelmouth Maritime Cluster – note from the Director to the Board\nWe held 40 talks."
    assert document_organisation("Lessons learned 2022–2024", note, "en") == (
        "Kelmouth Maritime Cluster")
    # short names are counted on both sides: a visit report about its host
    visit = ("Host: Lindvale MedTech Cluster\nVisiting team: Orsk Cleantech Cluster\nLindvale "
             "has 60 members; Lindvale works with the hospital. Orsk wants to copy it.")
    assert document_organisation("Study visit report", visit, "en") == "Lindvale MedTech Cluster"


def test_a_name_opened_by_another_languages_head_word_needs_a_word_of_its_own() -> None:
    assert document_organisation("Cluster Énergies Quercy – Key figures 2024",
                                 "Members: 79.", "en") == "Cluster Énergies Quercy"
    assert document_organisation("Sundvik Agrarnetz e.V. – Jahresbericht 2024",
                                 "Sundvik Agrarnetz e.V. wurde 2009 gegründet. Sundvik "
                                 "Agrarnetz e.V. hat 80 Mitglieder.", "de") == (
        "Sundvik Agrarnetz")
    assert organisation_names("Cluster Managers Exchange, Cluster Manager Anna Smith", "en") == []


def test_a_text_defines_the_short_forms_of_the_organisations_it_names() -> None:
    text = ("We visited Cluster Énergies Quercy (CEQ) in Cahors, then the Tarn BioCluster (TBio) "
            "and the Lindvale MedTech Cluster (NL) with the Kurzeme Food Cluster (Latvia).")
    # a country code or a word in brackets is no short form of the name before it
    assert short_forms(text, "en") == {"CEQ": "Cluster Énergies Quercy",
                                       "TBio": "Tarn BioCluster"}


def test_english_names_close_with_their_head_word() -> None:
    # "Cluster Management Quarterly" is a magazine, not a cluster, in English
    assert organisation_names("CLUSTER MANAGEMENT QUARTERLY - Issue 2/2024", "en") == []
    assert organisation_names("The Vesterhav Biotech Cluster and Lagunaria BioHub met.",
                              "en") == ["Vesterhav Biotech Cluster", "Lagunaria BioHub"]


def test_front_matter_listing_several_clusters_means_multiple() -> None:
    assert normalise_metadata({"cluster": "A Cluster; B Cluster"})["cluster"] == MULTIPLE
    assert normalise_metadata({"cluster": ["A Cluster", "B Cluster"]})["cluster"] == MULTIPLE
    assert normalise_metadata({"cluster": ["A Cluster"]})["cluster"] == "A Cluster"


def test_front_matter_may_name_the_organisation_with_its_legal_form() -> None:
    assert normalise_metadata({"organisation": "Severn Agritech Network CIC"})["cluster"] == (
        "Severn Agritech Network")
    assert normalise_metadata({"organization": "Saaletal BioRegion e.V."})["cluster"] == (
        "Saaletal BioRegion")
    assert normalise_metadata({"cluster": "Ebro AgroLab", "organisation": "Other"})[
        "cluster"] == "Ebro AgroLab"


def test_one_spelling_per_cluster() -> None:
    assert spellings(["Alentejo Agroinova Cluster", "Alentejo AgroInova Cluster", None]) == {
        "Alentejo Agroinova Cluster": "Alentejo AgroInova Cluster"}


def test_declared_metadata_wins(tmp_path: Path) -> None:
    path = tmp_path / "report.md"
    path.write_text("---\ncluster: Beta Health Network\n---\n# Alpha Bio Cluster report\n\nText.",
                    encoding="utf-8")
    assert load_document(path, tmp_path).metadata["cluster"] == "Beta Health Network"


MINUTES = """\
DELTA FOOD CLUSTER

Minutes of the board meeting, 12 March 2024

1. Membership
At the end of 2023 the cluster had 96 members. The board welcomed four new
members in the first quarter of 2024.
"""

DELTA_FEES = """\
# Delta Food Cluster – membership fees 2024

A small company pays EUR 700 a year; a large company pays EUR 3,000.
"""

EPSILON = """\
# Epsilon Food Cluster – annual report 2023

At the end of 2023 the cluster had 41 members. A small company pays EUR 500 a year.
"""


def test_documents_without_metadata_answer_for_their_cluster(tmp_path: Path,
                                                              embeddings) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "delta-minutes.txt").write_text(dedent(MINUTES), encoding="utf-8")
    (corpus / "delta-fees.md").write_text(DELTA_FEES, encoding="utf-8")
    (corpus / "epsilon-report.md").write_text(EPSILON, encoding="utf-8")
    bot = Bot(Settings.from_env(corpus_dir=corpus, index_dir=tmp_path / "index"), embeddings)
    bot.index()
    hits = bot.retrieve("How many members did the Delta Food Cluster have at the end of 2023?")
    assert {h.metadata["cluster"] for h in hits if h.source.startswith("delta")} == {
        "Delta Food Cluster"}
    answer = bot.ask("How many members did the Delta Food Cluster have at the end of 2023?")
    assert "96" in answer.text and "41" not in answer.text
    # a question that names the cluster in lower case, as people type, still finds it
    answer = bot.ask("delta food small company fee")
    assert "700" in answer.text and "500" not in answer.text
