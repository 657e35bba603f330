"""Evaluation: metric definitions, question sets, BEIR mode, and the project's own targets."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot import Bot, Settings
from bot.cli import main
from bot.errors import ConfigError
from bot.evaluation.answers import QuestionResult, facts_present, run_questions
from bot.evaluation.beir import load_beir, run_beir
from bot.evaluation.checks import asked_organisations, cut_short_pieces, known_organisations
from bot.evaluation.metrics import failures, faults, metrics, metrics_by_kind, ndcg
from bot.evaluation.questions import load_questions, select_split
from bot.evaluation.report import write_report
from bot.manifest import FileRecord

ROOT = Path(__file__).resolve().parents[1]


def result(rid: str, kind: str, ranked: list[str], expected: list[str], facts: bool | None,
           abstained: bool = False, cited: list[str] | None = None) -> QuestionResult:
    return QuestionResult(rid, kind, "q", "a", abstained, bool(expected), ranked,
                             cited or [], expected, facts, 0.1)


def test_ndcg_and_ranks() -> None:
    assert ndcg(["a", "b"], {"a"}) == 1.0
    assert ndcg(["b", "a"], {"a"}) == pytest.approx(1 / math.log2(3))
    assert ndcg(["b", "a"], {"a", "b"}) == 1.0
    assert ndcg(["x"], {"a"}) == 0.0


def test_facts_present_handles_alternatives_and_spacing() -> None:
    assert facts_present("It was founded in\n2010 [1].", ["2010"])
    assert facts_present("twenty years", ["20 years|twenty years"])
    assert not facts_present("It has 120 members.", ["120", "2005"])


def test_metrics_definitions() -> None:
    results = [
        result("1", "fact", ["a", "b"], ["a"], True, cited=["a"]),
        result("2", "fact", ["b", "c", "a"], ["a"], False, cited=["b"]),
        result("3", "unanswerable", ["x"], [], None, abstained=True),
        result("4", "unanswerable", ["x"], [], None, abstained=False),
        result("5", "fact", ["a"], ["a"], None, abstained=True),
    ]
    m = metrics(results)
    assert m["hit@1"] == pytest.approx(2 / 3, abs=1e-4) and m["hit@3"] == 1.0
    assert m["mrr"] == pytest.approx((1 + 1 / 3 + 1) / 3, abs=1e-4)
    assert m["fact_accuracy"] == 0.5
    assert m["citation_precision"] == 0.5
    assert m["abstention_precision"] == 0.5 and m["abstention_recall"] == 0.5
    assert set(metrics_by_kind(results)) == {"fact", "unanswerable"}
    assert failures({"hit@5": 0.9, "fact_accuracy": 0.9, "abstention_precision": 1,
                        "abstention_recall": 1}) == ["hit@5 0.900 < 0.95"]


def test_question_set_is_well_formed() -> None:
    questions = load_questions(ROOT / "eval" / "questions.jsonl")
    kinds = {q.kind for q in questions}
    assert len(questions) >= 80 and kinds == {"fact", "comparison", "followup", "unanswerable",
                                              "table", "practice", "aggregation"}
    assert {q.split for q in questions} == {"dev", "test"}
    assert sum(q.kind == "unanswerable" for q in questions) >= 15
    assert len({q.id for q in questions}) == len(questions)
    corpus = {p.name for p in (ROOT / "corpus").iterdir()}
    for q in questions:
        assert set(q.expected_sources) <= corpus, q.id
        assert q.answerable == (q.kind != "unanswerable"), q.id


def test_bad_question_set_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "1", "kind": "fact", "question": "q", "follows": "0"}\n')
    with pytest.raises(ConfigError, match="follow a question not in the set"):
        load_questions(path)
    path.write_text("not json\n")
    with pytest.raises(ConfigError, match="set.jsonl:1"):
        load_questions(path)


def write_beir(folder: Path) -> Path:
    """A tiny BEIR folder: four documents, two queries."""
    docs = [("d1", "Membership fees", "Small companies pay 450 euros a year to join."),
            ("d2", "Founding", "The cluster was founded in 2005 in Graz."),
            ("d3", "Events", "The office organised 14 matchmaking events."),
            ("d4", "Sponsors", "Three hospitals sponsor the annual conference.")]
    folder.mkdir()
    (folder / "qrels").mkdir()
    (folder / "corpus.jsonl").write_text("\n".join(
        json.dumps({"_id": i, "title": t, "text": x}) for i, t, x in docs))
    (folder / "queries_test.jsonl").write_text(
        '{"_id": "q1", "text": "what does membership cost"}\n'
        '{"_id": "q2", "text": "who sponsors the conference"}\n')
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td4\t1\n")
    return folder


def test_beir_mode(tmp_path: Path, embeddings) -> None:
    folder = write_beir(tmp_path / "beir")
    figures = run_beir(folder, Settings.from_env(), embeddings)
    assert (figures["documents"], figures["queries"]) == (4, 2)
    assert figures["ndcg@10"] == 1.0 and figures["recall@100"] == 1.0
    runner = CliRunner()
    out = runner.invoke(main, ["eval", "--beir", str(folder), "--json", "--retrieval", "dense"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["retrieval"] == "dense"
    with pytest.raises(ConfigError, match="not a BEIR folder"):
        load_beir(tmp_path)


@pytest.fixture(scope="module")
def project_index(tmp_path_factory: pytest.TempPathFactory, embeddings) -> Path:
    """An index of the project's own corpus, built once for this module's tests."""
    folder = tmp_path_factory.mktemp("project") / "index"
    settings = Settings.from_env(env={}, corpus_dir=ROOT / "corpus", index_dir=folder)
    assert not Bot(settings, embeddings).index().failed
    return folder


#: Answers of the project's set that state another organisation's figure at the last change
#: (182 questions, 2026-12-01: eleven on 2026-11-30, eight at the end of the fifth session;
#: b49, x30 and x31 mended since, by answers that keep to one organisation's documents). The
#: maximum stays 0 (``--check``): this list may only shrink.
KNOWN_WRONG_ORGANISATION = {"b50", "x11", "x16", "x32", "x45"}
#: The level measured at the last change (hit@5 1.0, fact accuracy 0.724, abstention precision
#: and recall 0.808), a little below so that noise does not fail it: a regression does. The
#: issue's targets (``evaluation.metrics.TARGETS``) are not met by the set's table, practice and
#: aggregation questions yet.
LEVEL = {"hit@5": 0.95, "fact_accuracy": 0.70, "abstention_precision": 0.78,
         "abstention_recall": 0.78}


def test_project_evaluation_holds_its_level(tmp_path: Path, project_index: Path,
                                            embeddings) -> None:
    """The whole evaluation set against the sample corpus: fails below the measured level,
    when fewer than 85% of follow-ups cite the right source, when an answer cuts a quote short,
    and when an answer other than the known ones states another organisation's figure."""
    settings = Settings.from_env(corpus_dir=ROOT / "corpus", index_dir=project_index)
    bot = Bot(settings, embeddings)
    results = run_questions(bot, load_questions(ROOT / "eval" / "questions.jsonl"))
    overall = metrics(results)
    report = write_report(tmp_path / "report", overall, metrics_by_kind(results), results)
    assert (tmp_path / "report" / "metrics.png").stat().st_size > 1000
    assert failures(overall, LEVEL, maximums={}) == [], report.read_text()
    followups = [r for r in results if r.kind == "followup"]
    right_source = [r for r in followups if set(r.cited_sources) & set(r.expected_sources)]
    assert len(right_source) / len(followups) >= 0.85
    assert overall["cut_short"] == 0, faults(results)["cut_short"]
    wrong = {r.id for r in results if r.wrong_organisation}
    assert wrong <= KNOWN_WRONG_ORGANISATION, faults(results)["wrong_organisation"]


# ---------------------------------------------------------------- faults in the answer text

FJORDHEIM = "Fjordheim Health Cluster"
CLUSTERS = {1: FJORDHEIM, 2: "Baltic Amber Biotech Cluster", 3: "multiple", 4: None}


def answered(rid: str, answer: str, organisations: list[str], kind: str = "fact",
             abstained: bool = False,
             clusters: dict[int, str | None] | None = None) -> QuestionResult:
    return QuestionResult(rid, kind, "q", answer, abstained, True, ["x.md"], [], ["x.md"],
                             None, 0.1, organisations=organisations,
                             source_clusters=CLUSTERS if clusters is None else clusters)


def test_wrong_organisation_finds_figures_cited_from_another_organisation() -> None:
    answer = ("The fee is EUR 900 a year. [2] Fjordheim Health Cluster members number 120. [1]\n"
              "The Fjordheim fee rose by 10% in 2024. [2] Fees bring 40% of income. [3]\n"
              "Members meet in groups. [2] Income rose in 2023. [4]\n"
              "- Fjordheim: founded in 2008 [1], 58 members in 2024 [2]\n"
              "- Sava: 46 members [2][1]")
    r = answered("w1", answer, [FJORDHEIM])
    # a line's label names the document it quotes: it is no statement, and a document title
    # that mentions the organisation asked does not make another's figure its own
    labelled = answered("w2", "Visit to the Fjordheim Health Cluster, notes 2025: The trip "
                        "cost EUR 6,300. [2]", [FJORDHEIM])
    assert labelled.wrong_organisation == [
        "The trip cost EUR 6,300. [2] (from Baltic Amber Biotech Cluster)"]
    assert r.wrong_organisation == [
        "The fee is EUR 900 a year. [2] (from Baltic Amber Biotech Cluster)",
        "46 members [2][1] (from Baltic Amber Biotech Cluster)"]
    right = answered("w2", "Fjordheim Health Cluster members number 120. [1]", [FJORDHEIM])
    abstained = answered("w3", "The fee is EUR 900 a year. [2]", [FJORDHEIM], abstained=True)
    nobody = answered("w4", "The fee is EUR 900 a year. [2]", [])
    other_kind = answered("w5", "- Tejo: founded in 2016 [2]", [FJORDHEIM, "Tejo"],
                          kind="comparison")
    wrong_kind = answered("w6", "It was founded in 2013. [2]", [FJORDHEIM], kind="comparison")
    assert right.wrong_organisation == abstained.wrong_organisation == [] == \
        nobody.wrong_organisation == other_kind.wrong_organisation
    results = [r, right, abstained, nobody, other_kind, wrong_kind]
    assert metrics(results)["wrong_organisation"] == 2
    by_kind = metrics_by_kind(results)
    assert by_kind["fact"]["wrong_organisation"] == 1
    assert by_kind["comparison"]["wrong_organisation"] == 1
    assert [item["id"] for item in faults(results)["wrong_organisation"]] == ["w1", "w6"]


def test_wrong_organisation_knows_other_names_of_the_cluster_asked_about() -> None:
    clusters = {1: "HBio", 2: "Klaster LifeScience Kraków"}
    r = answered("h1", "The Hellenic BioCluster was set up in 2004. [2]\n"
                       "Founded in 2006 in Krakow. [2]\nIt had 41 members. [1]",
                 ["HBio", "Hellenic BioCluster"], clusters=clusters)
    assert r.wrong_organisation == ["Founded in 2006 in Krakow. [2] (from Klaster LifeScience "
                                    "Kraków)"]


def test_the_organisations_a_question_asks_about() -> None:
    records = {
        "hbio.pdf": FileRecord("", "Hellenic BioCluster (HBio): Greece's first health cluster",
                               [], {"cluster": "HBio"}, ""),
        "klk.docx": FileRecord("", "Klaster LifeScience Kraków (KLK): the life science cluster",
                               [], {"cluster": "Klaster LifeScience Kraków"}, ""),
        "hanak.md": FileRecord("", "Profile of the Hanák AgriFood Cluster", [],
                               {"cluster": "Hanák AgriFood Cluster"}, ""),
        "guide.md": FileRecord("", "A guide", [], {"cluster": "multiple"}, ""),
    }
    known = known_organisations(records)
    assert known == {"HBio": ["HBio", "Hellenic BioCluster"],
                     "Klaster LifeScience Kraków": ["Klaster LifeScience Kraków", "KLK"],
                     "Hanák AgriFood Cluster": ["Hanák AgriFood Cluster"]}
    asked = asked_organisations
    assert asked("Who founded the hellenic biocluster?", known) == ["HBio", "Hellenic BioCluster"]
    assert asked("How many members has the HANAK AGRIFOOD CLUSTER?", known) == [
        "Hanák AgriFood Cluster"]
    assert asked("When was Klaster LifeScience Krakow set up?", known)[0] == (
        "Klaster LifeScience Kraków")
    assert asked("What do Hanák members pay?", known) == ["Hanák AgriFood Cluster"]
    assert asked("Which is older, HBio or the European Secretariat for Cluster Analysis?",
                 known) == ["HBio", "Hellenic BioCluster",
                            "European Secretariat for Cluster Analysis"]
    assert asked("How many members does the Tartu Biotech Park have?", known) == [
        "Tartu Biotech Park"]
    assert asked("What does a cluster charge for events?", known) == []
    assert asked("What does the Munich Biotech Cluster count?", known, ["KLK"]) == [
        "Klaster LifeScience Kraków", "KLK"]


def test_cut_short_finds_pieces_that_stop_mid_sentence() -> None:
    faulty = {
        "function word": "Members pay a fee for the [1]",
        "provided": "Services are free provided [2] that they are booked early. [2]",
        "comma": "The cluster offers matchmaking, [1] training and export missions. [1]",
        "semicolon": "- Export desk; [3]",
        "hyphen": "It runs a co- [1]",
        "bracket": "The fee (for [1]",
        "second line": "It has 97 members. [1]\nIt was founded in 2009 and [2]",
    }
    for name, answer in faulty.items():
        assert cut_short_pieces(answer), name
    fine = ["It was founded in 2010. [1]", "- bioPmed: Founded — bioPmed: 2009 [6]",
            "Members meet in six working groups [1][2]. The fee is EUR 450. [3]",
            "No citation at the end of the",
            "Income source: EU projects | Share 2024: 27% [1]"]
    for answer in fine:
        assert cut_short_pieces(answer) == [], answer
    assert cut_short_pieces("It was set up in 2004 by the [1] Greek state. [2]") == [
        "It was set up in 2004 by the [1]"]
    results = [answered(str(i), a, []) for i, a in enumerate([*faulty.values(), *fine])]
    assert metrics(results)["cut_short"] == len(faulty)


def test_maximums_are_checked_with_the_targets() -> None:
    good = {"hit@5": 1, "fact_accuracy": 1, "abstention_precision": 1, "abstention_recall": 1,
            "wrong_organisation": 0, "cut_short": 0}
    assert failures(good) == []
    assert failures({**good, "wrong_organisation": 2, "cut_short": 1}) == [
        "wrong_organisation 2 > 0", "cut_short 1 > 0"]


def test_report_lists_the_answers_at_fault(tmp_path: Path) -> None:
    results = [answered("w1", "The fee is EUR 900 a year. [2]", [FJORDHEIM]),
               answered("c1", "Fjordheim charges members for the [1]", [FJORDHEIM]),
               answered("ok", "Fjordheim has 120 members. [1]", [FJORDHEIM])]
    overall = metrics(results)
    path = write_report(tmp_path, overall, metrics_by_kind(results), results)
    text = path.read_text()
    assert "(wrong_organisation: 1)" in text and "- **w1** (fact)" in text
    assert "(cut_short: 1)" in text and "- **c1** (fact)" in text
    assert "**ok**" not in text


# ---------------------------------------------------------------- dev/test split

def split_set(folder: Path, rows: list[dict]) -> Path:
    path = folder / "set.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


SPLIT_ROWS = [
    {"id": "1", "kind": "fact", "question": "How many members does Alpha Bio Cluster have?",
     "expected_sources": ["alpha-profile.md"], "key_facts": ["120"], "split": "dev"},
    {"id": "2", "kind": "followup", "question": "When was the Beta Health Network founded?",
     "expected_sources": ["beta-profile.md"], "key_facts": ["2011"], "split": "test"},
    {"id": "3", "kind": "followup", "follows": "2",
     "question": "And how many members does it have?",
     "expected_sources": ["beta-profile.md"], "key_facts": ["85"], "split": "test"},
    {"id": "4", "kind": "unanswerable", "question": "Who won the 2018 FIFA World Cup?",
     "split": "dev", "organisations": ["FIFA"]},
]


def test_split_loading_and_selection(tmp_path: Path) -> None:
    questions = load_questions(split_set(tmp_path, SPLIT_ROWS))
    assert [q.split for q in questions] == ["dev", "test", "test", "dev"]
    assert questions[3].organisations == ["FIFA"] and questions[0].organisations == []
    assert [q.id for q in select_split(questions, "dev")] == ["1", "4"]
    assert [q.id for q in select_split(questions, "test")] == ["2", "3"]
    unsplit = load_questions(split_set(tmp_path, [
        {k: v for k, v in row.items() if k != "split"} | {"kind": kind}
        for row, kind in zip(SPLIT_ROWS, ["table", "practice", "followup", "aggregation"])]))
    assert {q.split for q in unsplit} == {None}
    with pytest.raises(ConfigError, match="no split field"):
        select_split(unsplit, "dev")
    apart = [dict(row) for row in SPLIT_ROWS]
    apart[2]["split"] = "dev"
    with pytest.raises(ConfigError, match="follow a question of another split"):
        select_split(load_questions(split_set(tmp_path, apart)), "dev")
    with pytest.raises(ConfigError, match="set.jsonl:1: split 'train'"):
        load_questions(split_set(tmp_path, [SPLIT_ROWS[0] | {"split": "train"}]))


def load_split_script():
    spec = importlib.util.spec_from_file_location("split_questions",
                                                  ROOT / "scripts" / "split_questions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_split_script_is_seeded_stratified_and_keeps_chains(tmp_path: Path) -> None:
    script = load_split_script()
    rows = ([{"id": f"f{i}", "kind": "fact"} for i in range(20)]
            + [{"id": f"u{i}", "kind": "unanswerable"} for i in range(7)]
            + [row for i in range(5) for row in (
                {"id": f"p{i}", "kind": "followup"},
                {"id": f"q{i}", "kind": "followup", "follows": f"p{i}"},
                {"id": f"r{i}", "kind": "followup", "follows": f"q{i}"})])
    first = [dict(row) for row in rows]
    script.assign(first, seed=7)
    again = [dict(row) for row in rows]
    script.assign(again, seed=7)
    assert first == again
    other = [dict(row) for row in rows]
    script.assign(other, seed=8)
    assert [r["split"] for r in other] != [r["split"] for r in first]
    by_id = {row["id"]: row for row in first}
    for kind, most in (("fact", 10), ("unanswerable", 4), ("followup", 9)):
        assert sum(r["split"] == "dev" for r in first if r["kind"] == kind) <= most, kind
        assert sum(r["split"] == "test" for r in first if r["kind"] == kind) <= most, kind
    for row in first:
        if "follows" in row:
            assert row["split"] == by_id[row["follows"]]["split"], row["id"]
    # questions added later do not move the ones already split
    grown = [dict(row) for row in first] + [{"id": f"n{i}", "kind": "fact"} for i in range(4)]
    script.assign(grown, seed=99)
    assert [r["split"] for r in grown[:len(first)]] == [r["split"] for r in first]
    assert sorted(r["split"] for r in grown[len(first):]) == ["dev", "dev", "test", "test"]
    path = split_set(tmp_path, [dict(row) for row in rows])
    assert script.main(["--set", str(path), "--seed", "7"]) == 0
    assert [json.loads(line)["split"] for line in path.read_text().splitlines()] == [
        r["split"] for r in first]


def test_project_set_is_split() -> None:
    questions = load_questions(ROOT / "eval" / "questions.jsonl")
    by_id = {q.id: q for q in questions}
    assert all(q.split in ("dev", "test") for q in questions)
    for kind in {q.kind for q in questions}:
        counts = [sum(q.kind == kind and q.split == s for q in questions) for s in ("dev", "test")]
        assert abs(counts[0] - counts[1]) <= 2, (kind, counts)
    for q in questions:
        if q.follows:
            assert q.split == by_id[q.follows].split, q.id


def test_run_questions_records_organisations_and_sources(bot: Bot, tmp_path: Path) -> None:
    questions = load_questions(split_set(tmp_path, SPLIT_ROWS))
    results = {r.id: r for r in run_questions(bot, questions)}
    assert results["1"].organisations == ["Alpha Bio Cluster"]
    assert results["3"].organisations == ["Beta Health Network"]  # from the question it follows
    assert results["4"].organisations == ["FIFA"]
    assert results["1"].source_clusters and set(results["1"].source_clusters.values()) <= {
        "Alpha Bio Cluster", "Beta Health Network", "Gamma Medtech Cluster"}


def test_eval_split_flag(project_index: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    questions = load_questions(ROOT / "eval" / "questions.jsonl")
    for split in ("dev", "test"):
        out = runner.invoke(main, ["eval", "--index", str(project_index), "--split", split,
                                   "--set", str(ROOT / "eval" / "questions.jsonl"), "--json"])
        assert out.exit_code == 0, out.output
        data = json.loads(out.stdout)
        assert data["overall"]["questions"] == sum(q.split == split for q in questions)
        assert {"wrong_organisation", "cut_short"} <= set(data["overall"])
        assert all("wrong_organisation" in m and "cut_short" in m
                   for m in data["by_kind"].values())
        ids = {item["id"] for name in ("wrong_organisation", "cut_short") for item in data[name]}
        assert all(by_split == split for by_split in
                   (q.split for q in questions if q.id in ids))
    unsplit = tmp_path / "unsplit.jsonl"
    unsplit.write_text(json.dumps({k: v for k, v in SPLIT_ROWS[0].items() if k != "split"})
                       + "\n")
    out = runner.invoke(main, ["eval", "--index", str(project_index), "--split", "dev",
                               "--set", str(unsplit)])
    assert out.exit_code == ConfigError.exit_code and "no split field" in out.output
    out = runner.invoke(main, ["eval", "--index", str(project_index), "--set", str(unsplit)])
    assert out.exit_code == 0 and "wrong_organisation" in out.stdout
