"""Incremental indexing against a real Chroma on disk with the real model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot import Bot, Settings
from bot.errors import CorpusNotFound, IndexLocked, IndexMismatch, IndexNotFound
from bot.generations import write_lock

from .conftest import write_corpus


@pytest.fixture()
def fresh(tmp_path: Path, embeddings) -> Bot:
    write_corpus(tmp_path / "corpus")
    return Bot(Settings.from_env(), embeddings)


def test_incremental_indexing(fresh: Bot, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    first = fresh.index()
    assert sorted(first.added) == ["alpha-profile.md", "beta-profile.md", "gamma-report.txt"]
    assert first.embedded == first.chunks > 0 and not first.failed

    unchanged = fresh.index()
    assert unchanged.embedded == 0 and len(unchanged.unchanged) == 3 and not unchanged.added

    beta = corpus / "beta-profile.md"
    beta.write_text(beta.read_text().replace("85 member companies", "97 member companies"))
    updated = fresh.index()
    assert updated.updated == ["beta-profile.md"] and 0 < updated.embedded < first.chunks
    assert "97 member" in fresh.ask("How many member companies does Beta Health Network have?").text

    (corpus / "gamma-report.txt").unlink()
    removed = fresh.index()
    assert removed.removed == ["gamma-report.txt"] and removed.embedded == 0
    assert "gamma-report.txt" not in fresh.documents()
    assert all(h.source != "gamma-report.txt"
               for h in fresh.retrieve("regulatory help desk matchmaking sponsorship", k=10))
    assert removed.chunks == sum(len(r.chunk_ids) for r in fresh.documents().values())


def test_close_reopen_same_answer(fresh: Bot, embeddings) -> None:
    fresh.index()
    question = "When was the Alpha Bio Cluster founded?"
    before = fresh.ask(question)
    fresh.close()
    reopened = Bot(Settings.from_env(), embeddings).ask(question)
    assert "2005" in before.text
    assert (reopened.text, [s.source for s in reopened.sources]) == (
        before.text, [s.source for s in before.sources])


def test_rebuild_switches_generation_and_keeps_answers(fresh: Bot, tmp_path: Path) -> None:
    fresh.index()
    old = (tmp_path / "index" / "CURRENT").read_text()
    report = fresh.index(rebuild=True)
    assert (tmp_path / "index" / "CURRENT").read_text() != old
    assert len(report.added) == 3 and report.embedded == report.chunks
    assert "120" in fresh.ask("How many members does Alpha Bio Cluster have?").text


def test_manifest_records_model_chunking_and_hashes(fresh: Bot, tmp_path: Path) -> None:
    fresh.index()
    index = tmp_path / "index"
    manifest = json.loads((index / (index / "CURRENT").read_text().strip() / "manifest.json")
                          .read_text())
    assert manifest["embedding_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert manifest["dimension"] == 384
    assert (manifest["chunk_tokens"], manifest["chunk_overlap"]) == (200, 40)
    assert len(manifest["files"]["alpha-profile.md"]["hash"]) == 64


def test_other_chunking_or_model_is_refused_with_the_fix(fresh: Bot, embeddings) -> None:
    fresh.index()
    other = Bot(Settings.from_env(chunk_tokens=120), embeddings)
    with pytest.raises(IndexMismatch, match=r"clusterbot index --rebuild --index"):
        other.ask("anything about fees?")
    with pytest.raises(IndexMismatch):
        other.index()
    assert other.index(rebuild=True).chunks > 0  # --rebuild starts over with the new chunking


def test_missing_index_and_corpus_errors(tmp_path: Path, embeddings) -> None:
    bot = Bot(Settings.from_env(), embeddings)
    with pytest.raises(IndexNotFound, match="clusterbot index --index"):
        bot.ask("What do members pay?")
    with pytest.raises(CorpusNotFound, match="does not exist"):
        bot.index(tmp_path / "nowhere")


def test_second_writer_is_refused(fresh: Bot, tmp_path: Path) -> None:
    with write_lock(tmp_path / "index"), pytest.raises(IndexLocked, match="being updated"):
        fresh.index()


def test_bad_files_are_reported_and_good_ones_indexed(fresh: Bot, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (corpus / "notes.xyz").write_text("unknown")
    report = fresh.index()
    assert len(report.added) == 3
    assert dict(report.failed) == {"broken.pdf": pytest.approx(dict(report.failed)["broken.pdf"]),
                                   "notes.xyz": "unsupported file type .xyz"}
    assert "PDF" in dict(report.failed)["broken.pdf"]
