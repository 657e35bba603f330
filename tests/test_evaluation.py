"""Evaluation: metric definitions, question sets, BEIR mode, and the project's own targets."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot import Bot, Settings
from bot import evaluation as ev
from bot.cli import main
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def result(rid: str, kind: str, ranked: list[str], expected: list[str], facts: bool | None,
           abstained: bool = False, cited: list[str] | None = None) -> ev.QuestionResult:
    return ev.QuestionResult(rid, kind, "q", "a", abstained, bool(expected), ranked,
                             cited or [], expected, facts, 0.1)


def test_ndcg_and_ranks() -> None:
    assert ev.ndcg(["a", "b"], {"a"}) == 1.0
    assert ev.ndcg(["b", "a"], {"a"}) == pytest.approx(1 / math.log2(3))
    assert ev.ndcg(["b", "a"], {"a", "b"}) == 1.0
    assert ev.ndcg(["x"], {"a"}) == 0.0


def test_facts_present_handles_alternatives_and_spacing() -> None:
    assert ev.facts_present("It was founded in\n2010 [1].", ["2010"])
    assert ev.facts_present("twenty years", ["20 years|twenty years"])
    assert not ev.facts_present("It has 120 members.", ["120", "2005"])


def test_metrics_definitions() -> None:
    results = [
        result("1", "fact", ["a", "b"], ["a"], True, cited=["a"]),
        result("2", "fact", ["b", "c", "a"], ["a"], False, cited=["b"]),
        result("3", "unanswerable", ["x"], [], None, abstained=True),
        result("4", "unanswerable", ["x"], [], None, abstained=False),
        result("5", "fact", ["a"], ["a"], None, abstained=True),
    ]
    m = ev.metrics(results)
    assert m["hit@1"] == pytest.approx(2 / 3, abs=1e-4) and m["hit@3"] == 1.0
    assert m["mrr"] == pytest.approx((1 + 1 / 3 + 1) / 3, abs=1e-4)
    assert m["fact_accuracy"] == 0.5
    assert m["citation_precision"] == 0.5
    assert m["abstention_precision"] == 0.5 and m["abstention_recall"] == 0.5
    assert set(ev.metrics_by_kind(results)) == {"fact", "unanswerable"}
    assert ev.failures({"hit@5": 0.9, "fact_accuracy": 0.9, "abstention_precision": 1,
                        "abstention_recall": 1}) == ["hit@5 0.900 < 0.95"]


def test_question_set_is_well_formed() -> None:
    questions = ev.load_questions(ROOT / "eval" / "questions.jsonl")
    kinds = {q.kind for q in questions}
    assert len(questions) >= 80 and kinds == {"fact", "comparison", "followup", "unanswerable"}
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
        ev.load_questions(path)
    path.write_text("not json\n")
    with pytest.raises(ConfigError, match="set.jsonl:1"):
        ev.load_questions(path)


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
    figures = ev.run_beir(folder, Settings.from_env(), embeddings)
    assert (figures["documents"], figures["queries"]) == (4, 2)
    assert figures["ndcg@10"] == 1.0 and figures["recall@100"] == 1.0
    runner = CliRunner()
    out = runner.invoke(main, ["eval", "--beir", str(folder), "--json", "--retrieval", "dense"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["retrieval"] == "dense"
    with pytest.raises(ConfigError, match="not a BEIR folder"):
        ev.load_beir(tmp_path)


def test_project_evaluation_holds_its_level(tmp_path: Path, embeddings) -> None:
    """The whole evaluation set against the sample corpus: fails below the issue's targets
    (hit@5 0.95, fact accuracy 0.85, abstention precision and recall 0.9; measured at the last
    change: 1.0, 0.871, 1.0, 0.944) and when fewer than 90% of follow-ups cite the right source."""
    settings = Settings.from_env(corpus_dir=ROOT / "corpus", index_dir=tmp_path / "index")
    bot = Bot(settings, embeddings)
    assert not bot.index().failed
    results = ev.run_questions(bot, ev.load_questions(ROOT / "eval" / "questions.jsonl"))
    overall = ev.metrics(results)
    report = ev.write_report(tmp_path / "report", overall, ev.metrics_by_kind(results), results)
    assert (tmp_path / "report" / "metrics.png").stat().st_size > 1000
    assert ev.failures(overall, ev.TARGETS) == [], report.read_text()
    followups = [r for r in results if r.kind == "followup"]
    right_source = [r for r in followups if set(r.cited_sources) & set(r.expected_sources)]
    assert len(right_source) / len(followups) >= 0.9
