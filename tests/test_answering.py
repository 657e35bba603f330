"""Extractive answers: the specific fact, the right entity, citations, abstention."""

from __future__ import annotations

import re

import pytest

from bot import Bot, Settings
from bot.answering.attribution import attributed, document_label
from bot.retrieval import Hit

from .conftest import dedent, write_corpus


@pytest.mark.parametrize(
    ("question", "fact", "source"),
    [
        ("When was the Beta Health Network founded?", "2011", "beta-profile.md"),
        ("When was Alpha Bio Cluster founded?", "2005", "alpha-profile.md"),
        ("How much does a small company pay to join Beta Health Network?", "300",
         "beta-profile.md"),
        ("How much does a small company pay to join the Alpha cluster?", "450",
         "alpha-profile.md"),
        ("How many matchmaking events did Gamma organise in 2023?", "14", "gamma-report.txt"),
        ("What share of the Alpha budget comes from membership fees?", "40%",
         "alpha-profile.md"),
    ],
)
def test_states_the_fact_from_the_named_entity(bot: Bot, question: str, fact: str,
                                               source: str) -> None:
    answer = bot.ask(question)
    assert not answer.abstained
    assert fact in answer.text
    assert answer.sources[0].source == source
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert cited and cited <= {s.n for s in answer.sources}
    assert all(answer.sources[n - 1].source == source for n in cited)


def test_sources_carry_metadata(bot: Bot) -> None:
    answer = bot.ask("How satisfied are Beta members?")
    top = answer.sources[0]
    assert (top.n, top.source, top.title, top.cluster) == (
        1, "beta-profile.md", "Beta Health Network profile", "Beta Health Network")
    assert top.section == "Members" and top.page is None and 0 < top.score <= 1.5
    assert "8.1" in top.excerpt


@pytest.mark.parametrize("question", ["What is the best recipe for lasagne?",
                                      "Who won the football world cup in 1998?"])
def test_abstains_on_unrelated_questions(bot: Bot, question: str) -> None:
    answer = bot.ask(question)
    assert answer.abstained
    assert answer.text == "The indexed documents do not answer this question."
    assert answer.sources == []


def test_filters_restrict_sources(bot: Bot) -> None:
    answer = bot.ask("How much does a small company pay to join?",
                     filters={"cluster": "Beta Health Network"})
    assert "300" in answer.text
    assert {s.cluster for s in answer.sources} == {"Beta Health Network"}
    answer = bot.ask("Which services are offered?",
                     filters={"topic": "services", "country": "Italy"})
    assert {s.source for s in answer.sources} == {"gamma-report.txt"}


def test_history_is_accepted(bot: Bot) -> None:
    answer = bot.ask("When was Alpha Bio Cluster founded?",
                     history=[{"role": "user", "content": "Tell me about Alpha."},
                              {"role": "assistant", "content": "Alpha is in Graz."}])
    assert "2005" in answer.text


def test_langchain_retriever(bot: Bot) -> None:
    from langchain_core.retrievers import BaseRetriever

    retriever = bot.retriever(k=2)
    assert isinstance(retriever, BaseRetriever)
    documents = retriever.invoke("satisfaction survey of members")
    assert len(documents) == 2
    assert documents[0].metadata["source"] == "beta-profile.md"
    assert "score" in documents[0].metadata


# ---------------------------------------------------------------- general rules, unit tests

from bot.answering.passages import answer_units  # noqa: E402
from bot.question.names import (  # noqa: E402
    is_comparison,
    named_phrases,
    other_names,
    subject_question,
)
from bot.question.parts import (  # noqa: E402
    asked_attribute,
    compared_kind,
    qualifier_words,
    question_parts,
)
from bot.question.vocabulary import expected_kind  # noqa: E402
from bot.text import words  # noqa: E402


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("On what date did the board decide on the fee increase?", "date"),
        ("What share of self-generated income does the cluster want by 2030?", "percent"),
        ("What did members think of the membership fee?", None),
        ("Where did the partners hold their workshop?", "place"),
        ("How long did the project run?", "duration"),
        ("What was the deadline for applications?", "date"),
        ("When was the cluster founded?", "year"),
        ("How much does a desk cost per month?", "money"),
        # terse questions name the count or the year by a noun ("member count", "founding yr")
        ("alpha member count", "count"),
        ("alpha team size", "count"),
        ("alpha founding yr", "year"),
    ],
)
def test_expected_kind_is_the_kind_asked_first(question: str, kind: str | None) -> None:
    assert expected_kind(question) == kind


@pytest.mark.parametrize(
    ("question", "language", "kind"),
    [
        ("Was kostete der Praxistag für Nichtmitglieder?", "de", "money"),
        ("Mit wie vielen Vollzeitäquivalenten ist die Geschäftsstelle besetzt?", "de", "count"),
        ("Wie hoch war die Teilnahmegebühr?", "de", "money"),
    ],
)
def test_expected_kind_reads_the_question_in_its_language(question: str, language: str,
                                                          kind: str) -> None:
    assert expected_kind(question, language) == kind


def test_each_language_words_a_fact_in_several_ways() -> None:
    from bot.question.vocabulary import stem, synonym_group

    assert stem("fundado") in synonym_group("fundó")  # "se fundó en 2010"
    assert stem("recettes") in synonym_group("ressources")
    assert stem("dipendenti") in synonym_group("ULA")


def test_elided_articles_are_no_part_of_a_word() -> None:
    assert words("Combien d'adhérents compte l'association ?") == [
        "combien", "adhérents", "compte", "association"]
    assert words("dell'anno, un'impresa, don't, O'Brien") == [
        "anno", "impresa", "don't", "o'brien"]


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Which cluster depends more on EU projects: Alpha or Beta?", "percent"),
        ("Which has more members, Alpha or Beta?", "count"),
        ("Which is older, Alpha or Beta?", "year"),
    ],
)
def test_compared_kind_follows_the_comparative(question: str, kind: str) -> None:
    assert compared_kind(question) == kind


def test_question_parts_split_at_a_second_question() -> None:
    parts = question_parts("When did the delegation visit Lisbon, and how many people travelled?")
    assert parts == ["When did the delegation visit Lisbon", "how many people travelled?"]
    assert len(question_parts("When was the strategy approved, and by whom?")) == 1


def test_asked_attribute_is_the_counted_noun() -> None:
    assert asked_attribute("How many working groups does Alpha have?") == "groups"
    assert asked_attribute("How many people attended the forum in 2024?") == "people"
    # terse questions: a word the vocabulary knows, else the first word, not a verb after it
    assert asked_attribute("Valmora how many soci end of 2024") == "soci"
    assert asked_attribute("how many ppl came to the summit in 2024") == "ppl"
    assert asked_attribute("What is the annual fee of Alpha?") == "fee"


def test_comparison_needs_names_joined_or_comparative_words() -> None:
    names = ["Alpha Bio Cluster", "Beta Health Network"]
    assert not is_comparison("When did the Alpha Bio Cluster delegation visit the Beta Health "
                             "Network in Porto?", names)
    assert is_comparison("When did Alpha Bio Cluster and Beta Health Network start?", names)
    assert is_comparison("Which is older, the Alpha Bio Cluster or the Beta Health Network?", [])
    assert not is_comparison("What did BioM contribute to CEBR?", ["BioM", "CEBR"])
    # two years compared: one organisation over time, whatever else the question names
    assert not is_comparison("alpha cotisation TPE 2024 vs 2025", ["Alpha Bio Cluster", "TPE"])
    assert is_comparison("members alpha vs beta 2023-24", ["alpha", "beta"])


def test_only_a_comparison_is_searched_per_cluster(bot: Bot, monkeypatch) -> None:
    asked: list[str] = []
    search = bot.search.search
    monkeypatch.setattr(bot.search, "search", lambda query, *args: (
        asked.append(getattr(query, "text", query)), search(query, *args))[1])
    bot.retrieve("When did the Alpha Bio Cluster delegation visit the Beta Health Network?")
    assert len(asked) == 1
    bot.retrieve("Which is older, the Alpha Bio Cluster or the Beta Health Network?")
    assert asked[2:] == ["Which is older, the Alpha Bio Cluster? founded",
                         "Which is older, the Beta Health Network? founded"]


@pytest.mark.parametrize(
    ("question", "subjects", "asked"),
    [
        ("Compare the founding years of Bioib and bioPmed.", ["Bioib", "bioPmed"],
         ["Compare the founding years of Bioib.", "Compare the founding years of bioPmed."]),
        ("When did BioM and bioPmed each receive a Gold Label?", ["BioM", "bioPmed"],
         ["When did BioM receive a Gold Label?", "When did bioPmed receive a Gold Label?"]),
        ("Which has more members, the Alpha Cluster or the Beta Network?",
         ["Alpha Cluster", "Beta Network"],
         ["Which has more members, the Alpha Cluster?", "Which has more members, the Beta "
                                                        "Network?"]),
        ("How do Bioib's and bioPmed's fees differ?", ["Bioib", "bioPmed"],
         ["How do Bioib's fees differ?", "How do bioPmed's fees differ?"]),
        ("Who initiated Klaster LifeScience Kraków and who initiated the Hellenic BioCluster?",
         ["Klaster LifeScience Kraków", "Hellenic BioCluster"],
         ["Who initiated Klaster LifeScience Kraków?", "Who initiated the Hellenic BioCluster?"]),
        # a list of three, a name typed without its accent
        ("add up 2024 fee income for murztal, adige and vilaine",
         ["Mürztal BioHub", "Adige Energia Cluster", "Vilaine Santé Cluster"],
         ["add up 2024 fee income for murztal", "add up 2024 fee income for adige",
          "add up 2024 fee income for vilaine"]),
        ("fees at Alpha, compared with Beta", ["Alpha", "Beta"], ["fees at Alpha", "fees at Beta"]),
    ],
)
def test_a_comparison_is_asked_of_each_organisation(question: str, subjects: list[str],
                                                     asked: list[str]) -> None:
    assert [subject_question(question, s, subjects) for s in subjects] == asked
    assert is_comparison(question, subjects)


def test_names_unknown_to_the_index_are_compared_too() -> None:
    question = ("Which is older, the Council of European BioRegions or the European "
                "Secretariat for Cluster Analysis?")
    assert other_names(question, ["CEBR"], {"CEBR": "Council of European BioRegions"}) == [
        "European Secretariat for Cluster Analysis"]
    assert other_names("How many members does Beta Health Network have?",
                       ["Beta Health Network"], {}) == []


def test_named_phrases_skip_the_question_word_and_generic_names() -> None:
    assert named_phrases("Since when has the Hellenic BioCluster been active?") == [
        "Hellenic BioCluster"]
    assert named_phrases("Which Gold Label did it get?") == []


def test_list_items_are_quoted_with_their_lead_in() -> None:
    units = [text for text, _ in answer_units(
        "At that point the platform:\n- gathered 690 clusters;\n- had 10,000 visitors.")]
    assert "At that point the platform: gathered 690 clusters." in units
    assert "At that point the platform: gathered 690 clusters; had 10,000 visitors." in units


# ---------------------------------------------------------------- general rules, end to end


def test_answers_each_part_of_a_two_part_question(bot: Bot) -> None:
    answer = bot.ask("When was the Beta Health Network founded, and how many member companies "
                     "does it count?")
    assert "2011" in answer.text and "85" in answer.text


def test_comparison_gives_the_fact_of_each_cluster(bot: Bot) -> None:
    answer = bot.ask("Which is older, the Alpha Bio Cluster or the Beta Health Network?")
    assert "2005" in answer.text and "2011" in answer.text
    assert answer.text.count("\n") == 1


def test_comparison_cites_each_clusters_own_document(bot: Bot) -> None:
    answer = bot.ask("Compare what a small company pays to join the Alpha Bio Cluster and the "
                     "Beta Health Network.")
    lines = answer.text.splitlines()
    assert len(lines) == 2 and "Alpha Bio Cluster" in lines[0] and "450" in lines[0]
    assert "Beta Health Network" in lines[1] and "300" in lines[1]
    cited = {s.cluster for s in answer.cited}
    assert cited == {"Alpha Bio Cluster", "Beta Health Network"}
    retrieved = {h.metadata["cluster"] for h in bot.retrieve(
        "Compare the membership fees of Alpha Bio Cluster and Gamma Medtech Cluster", k=2)}
    assert retrieved == {"Alpha Bio Cluster", "Gamma Medtech Cluster"}  # each asked in turn


def test_comparison_line_says_when_a_cluster_is_not_covered(bot: Bot) -> None:
    answer = bot.ask("Compare the number of working groups of the Beta Health Network and the "
                     "Gamma Medtech Cluster.")
    lines = answer.text.splitlines()
    assert "six working groups" in lines[0]
    assert lines[1] == "- Gamma Medtech Cluster: the sources found say nothing about this."


def test_abstains_when_the_asked_attribute_is_missing(bot: Bot) -> None:
    answer = bot.ask("What is the annual fee of a large company at the Gamma Medtech Cluster?")
    assert answer.abstained


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"question": 5}, "must be text"),
        ({"question": "fee?", "k": "5"}, "k must be a whole number"),
        ({"question": "fee?", "k": 2.5}, "k must be a whole number"),
        ({"question": "fee?", "k": -1}, "k must be a whole number"),
        ({"question": "fee?", "k": 10**9}, "k must be a whole number"),
        ({"question": "fee?", "filters": {"cluster": {"a": 1}}}, "filter 'cluster'"),
        ({"question": "fee?", "filters": "BioM"}, "filters must be a dict"),
        ({"question": "fee?", "history": [{"role": "robot"}]}, "history must be a list"),
    ],
)
def test_wrong_arguments_are_typed_errors(bot: Bot, arguments: dict, message: str) -> None:
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        bot.ask(**arguments)


def test_filters_that_match_no_document_say_so(bot: Bot) -> None:
    answer = bot.ask("What does a small company pay?",
                     filters={"cluster": "Alpha Bio Cluster", "country": "Italy"})
    assert answer.abstained and answer.sources == []
    assert answer.text.startswith("No indexed document matches these filters (cluster Alpha Bio "
                                  "Cluster, country Italy)")
    streamed = list(bot.stream("What does a small company pay?",
                               filters={"year": 1999}))
    assert streamed[-1].abstained and streamed[0].startswith("No indexed document matches")


def test_an_index_without_documents_says_so(tmp_path, embeddings) -> None:
    from bot import Settings
    from bot.errors import EmptyIndex, IndexNotFound


    corpus = write_corpus(tmp_path / "corpus")
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=tmp_path / "index")
    bot = Bot(settings, embeddings)
    bot.index()
    for path in corpus.iterdir():
        path.unlink()
    bot.index()
    with pytest.raises(EmptyIndex, match="holds no document") as raised:
        bot.ask("What does a small company pay?")
    assert isinstance(raised.value, IndexNotFound) and raised.value.exit_code == 4


@pytest.mark.parametrize("question", [
    "how many members does minalogic have",
    "What annual fee does Minalogic charge a small company?",
    # another name it gives is a term of the documents: Minalogic is still absent
    "What annual fee in Euros does Minalogic charge a small company?"])
def test_an_organisation_the_index_does_not_know_is_said_to_be_absent(bot: Bot,
                                                                       question: str) -> None:
    """A name in no dictionary and not in the indexed text, in capitals or not, is an
    organisation the documents say nothing about: no other cluster's figures are given."""
    answer = bot.ask(question)
    assert answer.abstained
    assert answer.text.startswith("The indexed documents say nothing about")
    assert "inalogic" in answer.text and "450" not in answer.text


def test_a_typo_of_an_indexed_word_is_mended_before_the_question_is_read(bot: Bot) -> None:
    typed = bot.analyse("how many memebrs does the alpha bio cluster have")
    spelled = bot.analyse("how many members does the alpha bio cluster have")
    assert "memebrs" not in typed.text and typed.asked.endswith("memebrs does the alpha bio "
                                                                "cluster have")
    assert typed.parts[0].wanted == spelled.parts[0].wanted != frozenset()
    assert typed.parts[0].kind == "count" and not typed.follows
    # a letter left out: the nearest indexed word, not a shorter stem as near ("memb")
    dropped = bot.analyse("how many membrs does the alpha bio cluster have")
    assert dropped.parts[0].wanted == spelled.parts[0].wanted
    # a word of the language that the documents do not use stays as it is
    assert "salary" in bot.analyse("what salary does a small company pay").text


def test_a_typo_or_a_dictionary_word_is_no_unknown_name(bot: Bot) -> None:
    query = bot.analyse("how many memebrs does the alpha bio clustr have")
    assert query.entities == ["Alpha Bio Cluster"] and query.unknown == []
    assert bot.analyse("what salary does a small company pay").unknown == []


def test_every_answer_line_names_its_organisation_and_document(bot: Bot) -> None:
    answer = bot.ask("When was the Beta Health Network founded?")
    assert answer.text.startswith("Beta Health Network profile: ")
    assert "2011" in answer.text


@pytest.mark.parametrize(("cluster", "title", "label"), [
    ("Aurora Photonics Cluster", "Aurora Photonics Cluster – General Assembly 2025",
     "Aurora Photonics Cluster, General Assembly 2025"),
    ("BioM", "BioM receives the Gold Label", "BioM receives the Gold Label"),
    ("Helgeland Ocean Cluster", "Interview with the cluster manager",
     "Helgeland Ocean Cluster, Interview with the cluster manager"),
    ("multiple", "ClusterMirror peer benchmark 2024", "ClusterMirror peer benchmark 2024"),
])
def test_document_labels(cluster: str, title: str, label: str) -> None:
    hit = Hit("id", "text", {"cluster": cluster, "title": title, "source": "x.md"}, 1.0, 1.0)
    assert document_label(hit) == label


def test_statements_of_several_documents_are_listed_a_line_each() -> None:
    hits = [Hit(str(n), "t", {"cluster": c, "title": f"{c} – Annual report", "source": "x"},
                1.0, 1.0) for n, c in enumerate(["Alpha Bio Cluster", "Beta Health Network"])]
    assert attributed([("A has 120 members.", 1), ("It was founded in 2005.", 1),
                       ("B has 85 members.", 2)], hits) == (
        "- Alpha Bio Cluster, Annual report: A has 120 members. [1] It was founded in 2005. [1]\n"
        "- Beta Health Network, Annual report: B has 85 members. [2]")


def test_an_organisation_only_mentioned_is_answered_by_its_passages_alone(
        tmp_path, embeddings) -> None:
    """Deltagen is no cluster of the index but a passage mentions it: the passage that names it
    answers for it, and no other cluster's member count is given as Deltagen's."""
    corpus = write_corpus(tmp_path / "mentions")
    (corpus / "delta-note.md").write_text(dedent("""
        ---
        title: Partner note
        cluster: Beta Health Network
        ---
        # Partners
        Deltagen, a diagnostics firm from Lyon, joined our export mission to Boston in 2024.
        """), encoding="utf-8")
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=tmp_path / "index")
    bot = Bot(settings, embeddings)
    bot.index()
    for question in ("How many member companies does Deltagen count?",
                     "What share of the Deltagen budget comes from membership fees?"):
        answer = bot.ask(question)
        assert answer.abstained and not re.search(r"\b(120|85|40%)", answer.text), question
    mission = bot.ask("In which year did Deltagen join the export mission?")
    assert not mission.abstained and "2024" in mission.text


def test_a_price_asked_for_a_category_the_documents_do_not_price_is_not_answered(
        bot: Bot) -> None:
    """Whom a price is for ("student", "for hospitals") must be named where the answer's price
    is: another category's fee is no answer."""
    for question in ("alpha bio cluster student membership fee?",
                     "What is the Alpha Bio Cluster membership fee for hospitals?"):
        answer = bot.ask(question)
        assert answer.abstained and "450" not in answer.text, question
    assert "450" in bot.ask("alpha bio cluster membership fee for small companies").text
    # a compound names the category by its first word too
    assert "450" in bot.ask("alpha bio cluster membership fee for small-sized companies").text


@pytest.mark.parametrize(("question", "found"), [
    ("limfjord student membership fee", ["student"]),
    ("ticket price for non-members", ["ticket", "non-members"]),
    ("annual membership fee for small companies at Warta", ["small"]),
    ("What is the fee of Warta MedTech in 2025?", []),
    ("emajogi fee income from large companies 2024", []),  # income from fees is no price
])
def test_qualifier_words_say_whom_a_price_is_for(question: str, found: list[str]) -> None:
    assert qualifier_words(question, "en", {"warta", "medte"}) == found
