"""The embedding backends: int8 ONNX agrees with torch; the index records its backend."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot import Bot, Settings
from bot.embeddings import (
    ONNX_MAX_BATCH,
    OnnxEmbeddings,
    embedding_backend,
    embedding_dimension,
    load_embeddings,
)
from bot.errors import ConfigError, IndexMismatch
from bot.manifest import Manifest

TEXTS = [
    "The Alpha Bio Cluster was founded in 2005 in Graz.",
    "Membership fees bring 40% of the office budget; regional funding covers 35%.",
    "Members meet in six working groups.",
    "A yearly survey measured a satisfaction score of 8.1 out of 10 " * 8,
    "",
]


@pytest.fixture(scope="module")
def onnx() -> OnnxEmbeddings:
    return load_embeddings(Settings.from_env(env={}, embedding_backend="onnx-int8", threads=1))


@pytest.fixture(scope="module")
def torch_model():
    """The sentence-transformers model (the same object as conftest's when torch is default)."""
    return load_embeddings(Settings.from_env(env={}, embedding_backend="torch"))


def test_onnx_int8_vectors_match_torch(onnx: OnnxEmbeddings, torch_model) -> None:
    ours = np.asarray(onnx.embed_documents(TEXTS))
    reference = np.asarray(torch_model.embed_documents(TEXTS))
    assert ours.shape == reference.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    assert (ours * reference).sum(axis=1).min() > 0.98  # int8 stays close to fp32
    query = "How much do members pay?"
    assert float(np.dot(onnx.embed_query(query), torch_model.embed_query(query))) > 0.98


def test_onnx_batches_and_sorting_do_not_change_vectors(onnx: OnnxEmbeddings) -> None:
    many = [f"{t} ({i})" for i in range(ONNX_MAX_BATCH + 3) for t in TEXTS[:3]]
    together = np.asarray(onnx.embed_documents(many))
    alone = np.asarray([onnx.embed_query(t) for t in many[:5]])
    assert np.allclose(together[:5], alone, atol=1e-4)
    assert onnx.embed_documents([]) == []


def test_onnx_backend_is_described(onnx: OnnxEmbeddings, torch_model) -> None:
    assert (embedding_backend(onnx), embedding_backend(torch_model)) == ("onnx-int8", "torch")
    assert embedding_dimension(onnx) == 384
    assert onnx._session.get_session_options().intra_op_num_threads == 1  # BOT_THREADS


def test_index_records_backend_and_refuses_the_other(tmp_path: Path, onnx,
                                                     torch_model) -> None:
    from .conftest import write_corpus

    write_corpus(tmp_path / "corpus")
    settings = Settings.from_env(embedding_backend="onnx-int8")
    report = Bot(settings, onnx).index()
    assert report.chunks > 0
    index = tmp_path / "index"
    manifest = json.loads((index / (index / "CURRENT").read_text().strip() / "manifest.json")
                          .read_text())
    assert manifest["embedding_backend"] == "onnx-int8"
    assert "2005" in Bot(settings, onnx).ask("When was the Alpha Bio Cluster founded?").text
    other = Bot(settings.replace(embedding_backend="torch"), torch_model)
    with pytest.raises(IndexMismatch, match=r"onnx-int8 backend.*clusterbot index --rebuild"):
        other.ask("When was the Alpha Bio Cluster founded?")


def test_manifest_without_backend_is_a_torch_index() -> None:
    old = Manifest("sentence-transformers/all-MiniLM-L6-v2", 384, 200, 40)
    raw = json.loads(old.to_json())
    del raw["embedding_backend"]
    manifest = Manifest.from_json(json.dumps(raw))
    assert manifest.embedding_backend == "torch"
    assert manifest.mismatch(Settings.from_env(env={}, embedding_backend="torch")) is None
    assert "torch backend" in manifest.mismatch(
        Settings.from_env(env={}, embedding_backend="onnx-int8"))


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ConfigError, match="BOT_EMBEDDING_BACKEND"):
        Settings.from_env(env={"BOT_EMBEDDING_BACKEND": "tensorrt"})
