"""The command line: JSON shapes, exit codes and one-line errors (CliRunner, real index)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bot.cli import EXIT_SOME_FAILED, main
from bot.config import Settings

from .conftest import write_corpus

SOURCE_KEYS = {"n", "source", "title", "cluster", "page", "section", "score", "excerpt",
               "chunk_id"}


def test_index_and_ask_json_shapes(tmp_path: Path, monkeypatch, embeddings) -> None:
    write_corpus(tmp_path / "corpus")
    runner = CliRunner()
    result = runner.invoke(main, ["index", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) >= {"added", "updated", "unchanged", "removed", "failed", "chunks"}
    assert sorted(report["added"]) == ["alpha-profile.md", "beta-profile.md", "gamma-report.txt"]
    assert report["failed"] == [] and report["chunks"] > 0

    again = json.loads(runner.invoke(main, ["index", "--json"]).output)
    assert again["embedded"] == 0 and len(again["unchanged"]) == 3

    result = runner.invoke(main, ["ask", "When was the Beta Health Network founded?", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert set(answer) == {"answer", "abstained", "query", "sources"}
    assert answer["abstained"] is False and "2011" in answer["answer"]
    assert answer["query"] == "When was the Beta Health Network founded?"
    assert answer["sources"] and all(set(s) == SOURCE_KEYS for s in answer["sources"])
    assert answer["sources"][0]["source"] == "beta-profile.md"

    filtered = json.loads(runner.invoke(
        main, ["ask", "How much does a small company pay to join?", "--cluster",
               "Alpha Bio Cluster", "--k", "2", "--json"]).output)
    assert "450" in filtered["answer"]
    assert {s["cluster"] for s in filtered["sources"]} == {"Alpha Bio Cluster"}
    assert len(filtered["sources"]) <= 2

    text = runner.invoke(main, ["ask", "When was the Beta Health Network founded?"]).output
    assert "2011" in text and "Sources:" in text and "[1] Beta Health Network profile" in text

    by_type = json.loads(runner.invoke(main, ["ask", "What does the cluster offer?", "--type",
                                              "report", "--json"]).output)
    assert {s["source"] for s in by_type["sources"]} == {"gamma-report.txt"}
    by_source = json.loads(runner.invoke(main, ["ask", "How much does a small company pay?",
                                                "--source", "beta-profile.md",
                                                "--json"]).output)
    assert {s["source"] for s in by_source["sources"]} == {"beta-profile.md"}


def test_flags_override_environment(tmp_path: Path, monkeypatch, embeddings) -> None:
    write_corpus(tmp_path / "elsewhere")
    monkeypatch.setenv("BOT_INDEX_DIR", str(tmp_path / "env-index"))
    runner = CliRunner()
    result = runner.invoke(main, ["index", "--corpus", str(tmp_path / "elsewhere"), "--index",
                                  str(tmp_path / "flag-index"), "--json"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "flag-index" / "CURRENT").is_file()
    assert not (tmp_path / "env-index").exists()
    assert Settings.from_env().index_dir == tmp_path / "env-index"


def test_some_files_failed_exit_code(tmp_path: Path, embeddings) -> None:
    write_corpus(tmp_path / "corpus")
    (tmp_path / "corpus" / "broken.pdf").write_bytes(b"%PDF-1.4 nonsense")
    result = CliRunner().invoke(main, ["index"])
    assert result.exit_code == EXIT_SOME_FAILED
    assert "3 added" in result.output and "failed: broken.pdf:" in result.output


def test_errors_are_one_line_with_exit_code(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["ask", "What do members pay?", "--index",
                                  str(tmp_path / "none")])
    assert result.exit_code == 4
    assert result.output.strip().count("\n") == 0
    assert result.output.startswith("Error: no index at") and "clusterbot index" in result.output
    result = runner.invoke(main, ["index", "--corpus", str(tmp_path / "missing")])
    assert result.exit_code == 3 and "does not exist" in result.output
    assert "Traceback" not in result.output


def test_index_of_a_folder_without_documents_says_so(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".hidden").write_text("not a document")
    result = CliRunner().invoke(main, ["index", "--corpus", str(tmp_path / "empty")])
    assert result.exit_code == 3
    assert result.output.startswith("Error: no supported document in") and ".pdf" in result.output


def test_settings_name_each_default_once() -> None:
    output = CliRunner().invoke(main, ["settings"]).output
    assert all(line.count("(default:") == 1 for line in output.splitlines()
               if line.startswith("    "))


def test_bad_setting_is_reported(monkeypatch) -> None:
    monkeypatch.setenv("BOT_TOP_K", "many")
    result = CliRunner().invoke(main, ["ask", "anything"])
    assert result.exit_code == 2
    assert "BOT_TOP_K='many' is not a valid int" in result.output


def test_index_folder_that_is_a_file_is_a_one_line_error(tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus")
    not_a_folder = tmp_path / "index.txt"
    not_a_folder.write_text("x", encoding="utf-8")
    for command in (["index", "--index", str(not_a_folder)],
                    ["ask", "fee?", "--index", str(not_a_folder)],
                    ["check", "--index", str(not_a_folder)]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 2, result.output
        assert "is " + str(not_a_folder) + ", a file: point it at a folder" in result.output
        assert "Traceback" not in result.output


def test_k_is_bounded_by_a_setting(tmp_path: Path, monkeypatch, embeddings) -> None:
    write_corpus(tmp_path / "corpus")
    runner = CliRunner()
    assert runner.invoke(main, ["index"]).exit_code == 0
    monkeypatch.setenv("BOT_MAX_K", "6")
    refused = runner.invoke(main, ["ask", "fee?", "--k", "7"])
    assert refused.exit_code == 2 and "from 1 to 6 (BOT_MAX_K)" in refused.output
    assert runner.invoke(main, ["ask", "fee?", "--k", "6"]).exit_code == 0
    monkeypatch.setenv("BOT_TOP_K", "7")
    wrong_default = runner.invoke(main, ["ask", "fee?"])
    assert wrong_default.exit_code == 2 and "BOT_TOP_K must be between 1 and BOT_MAX_K" in \
        wrong_default.output
