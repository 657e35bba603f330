"""The ollama and openai embedding backends against a real local HTTP server (no mocks)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from bot import Bot, Settings
from bot.cli import main
from bot.embedding_servers import OllamaEmbeddings, OpenAIEmbeddings
from bot.embeddings import embedding_backend, embedding_dimension, load_embeddings
from bot.errors import ConfigError, EmbeddingModelError, IndexMismatch

from .conftest import write_corpus
from .fake_embedding_server import MODELS, FakeEmbeddingServer, closed_port_url

BACKENDS = ("ollama", "openai")
PATHS = {"ollama": "/api/embed", "openai": "/v1/embeddings"}


@pytest.fixture()
def server():
    with FakeEmbeddingServer() as running:
        yield running


def url_of(server: FakeEmbeddingServer, backend: str) -> str:
    return server.ollama_url if backend == "ollama" else server.openai_url


def server_settings(server: FakeEmbeddingServer, backend: str, **overrides) -> Settings:
    return Settings.from_env(embedding_backend=backend, embedding_model="fake-m3",
                             embedding_url=url_of(server, backend), **overrides)


def client(backend: str, url: str, model: str = "fake-m3", **options):
    kind = OllamaEmbeddings if backend == "ollama" else OpenAIEmbeddings
    return kind(url, model, **{"backoff": 0.0, **options})


def manifest_of(index: Path) -> dict:
    generation = (index / "CURRENT").read_text().strip()
    return json.loads((index / generation / "manifest.json").read_text())


@pytest.mark.parametrize("backend", BACKENDS)
def test_index_and_ask_through_the_server(tmp_path: Path, server, backend: str) -> None:
    write_corpus(tmp_path / "corpus")
    settings = server_settings(server, backend, retrieval="dense")
    bot = Bot(settings)
    report = bot.index()
    assert report.chunks > 0 and report.failed == []
    manifest = manifest_of(tmp_path / "index")
    assert (manifest["embedding_backend"], manifest["embedding_model"],
            manifest["dimension"]) == (backend, "fake-m3", MODELS["fake-m3"])
    assert {r.path for r in server.requests} == {PATHS[backend]}
    assert {r.model for r in server.requests} == {"fake-m3"}

    hits = bot.retrieve("When was the Alpha Bio Cluster founded?")
    assert hits[0].source == "alpha-profile.md"
    hits = bot.retrieve("How many matchmaking events did the Gamma Medtech Cluster organise?")
    assert hits[0].source == "gamma-report.txt"
    answer = Bot(settings).ask("When was the Alpha Bio Cluster founded?")  # a new process' view
    assert not answer.abstained and "2005" in answer.text
    assert answer.sources[0].source == "alpha-profile.md"


@pytest.mark.parametrize("backend", BACKENDS)
def test_vectors_are_unit_length_in_input_order(server, backend: str) -> None:
    embeddings = load_embeddings(server_settings(server, backend))
    texts = ["Membership fees bring 40% of the budget.", "", "Members meet in working groups."]
    vectors = np.asarray(embeddings.embed_documents(texts))
    assert vectors.shape == (3, MODELS["fake-m3"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)  # the server's are not
    assert server.requests[-1].inputs[1] == " "  # an empty text is sent as a space
    alone = np.asarray([embeddings.embed_query(t) for t in texts])
    assert np.allclose(vectors, alone, atol=1e-6)  # openai's answer came in reverse order
    near = embeddings.embed_query("How much are the membership fees?")
    assert int(np.argmax(vectors @ near)) == 0
    assert embedding_backend(embeddings) == backend
    assert embedding_dimension(embeddings) == MODELS["fake-m3"]
    assert embedding_dimension(load_embeddings(server_settings(
        server, backend).replace(embedding_model="fake-e5"))) == MODELS["fake-e5"]


def test_index_refuses_another_backend_or_model(tmp_path: Path, server) -> None:
    write_corpus(tmp_path / "corpus")
    settings = server_settings(server, "ollama")
    Bot(settings).index()
    question = "When was the Alpha Bio Cluster founded?"
    other_backend = settings.replace(embedding_backend="openai", embedding_url=server.openai_url)
    with pytest.raises(IndexMismatch, match=r"'fake-m3' on the ollama backend.*on the openai "
                                            r"backend.*clusterbot index --rebuild"):
        Bot(other_backend).ask(question)
    with pytest.raises(IndexMismatch, match=r"built with model 'fake-m3'.*ask for model 'fake-e5'"):
        Bot(settings.replace(embedding_model="fake-e5")).ask(question)
    with pytest.raises(IndexMismatch, match="onnx-int8 backend"):
        Bot(Settings.from_env()).ask(question)
    rebuilt = Bot(settings.replace(embedding_model="fake-e5")).index(rebuild=True)
    assert rebuilt.chunks > 0
    assert manifest_of(tmp_path / "index")["dimension"] == MODELS["fake-e5"]
    assert "2005" in Bot(settings.replace(embedding_model="fake-e5")).ask(question).text


def test_batches_are_no_larger_than_the_setting(tmp_path: Path, server) -> None:
    write_corpus(tmp_path / "corpus")
    report = Bot(server_settings(server, "openai", embedding_batch_size=2)).index()
    sizes = server.batch_sizes("/v1/embeddings")
    assert max(sizes) == 2 and report.chunks > 2
    assert sum(sizes) == report.chunks + 1  # the chunks and one dimension probe


def test_errors_and_busy_answers_are_tried_again(tmp_path: Path, server) -> None:
    write_corpus(tmp_path / "corpus")
    server.fail_with(500, 503)
    report = Bot(server_settings(server, "ollama")).index()
    assert report.chunks > 0
    assert len(server.requests) >= 3  # two failures, then the same request again

    embeddings = client("openai", server.openai_url)
    server.fail_with(429)  # with Retry-After: 1
    started = time.monotonic()
    assert len(embeddings.embed_query("income streams")) == MODELS["fake-m3"]
    assert time.monotonic() - started >= 1.0

    server.fail_with(500, 500, 500, 500)
    with pytest.raises(EmbeddingModelError, match=r"answered 500 \(injected failure 500\) after "
                                                  r"4 attempts: see the server's log"):
        embeddings.embed_query("income streams")


def test_server_down_is_one_line_naming_the_fix(tmp_path: Path, monkeypatch) -> None:
    write_corpus(tmp_path / "corpus")
    monkeypatch.setenv("BOT_EMBEDDING_BACKEND", "ollama")
    monkeypatch.setenv("BOT_EMBEDDING_MODEL", "bge-m3")
    monkeypatch.setenv("BOT_EMBEDDING_URL", closed_port_url())
    result = CliRunner().invoke(main, ["index"])
    assert result.exit_code == EmbeddingModelError.exit_code
    assert "cannot reach the embedding server" in result.output
    assert "4 attempts" in result.output
    assert "`ollama serve`" in result.output and "`ollama pull bge-m3`" in result.output

    with pytest.raises(EmbeddingModelError, match=r"start the server .*BOT_EMBEDDING_URL"):
        client("openai", closed_port_url() + "/v1").embed_query("income")


@pytest.mark.parametrize("backend", BACKENDS)
def test_unknown_model_says_how_to_get_it(server, backend: str) -> None:
    embeddings = client(backend, url_of(server, backend), model="no-such-model")
    fix = ("`ollama pull no-such-model`" if backend == "ollama"
           else f"lists at {server.openai_url}/models")
    with pytest.raises(EmbeddingModelError) as raised:
        embeddings.embed_documents(["income"])
    assert "answered 404" in str(raised.value) and "no-such-model" in str(raised.value)
    assert fix in str(raised.value)
    assert len(server.requests) == 1  # a refusal is not tried again


def test_wrong_path_wrong_count_and_bad_key(server) -> None:
    with pytest.raises(EmbeddingModelError, match=r"404 page not found.*ends in /v1"):
        client("openai", server.url).embed_query("income")  # /v1 forgotten

    server.drop_vector = True
    with pytest.raises(EmbeddingModelError, match=r"2x96 numbers for 3 texts.*Ollama"):
        client("ollama", server.ollama_url).embed_documents(["a", "b", "c"])
    server.drop_vector = False

    with FakeEmbeddingServer(api_key="sesame") as guarded:
        with pytest.raises(EmbeddingModelError, match=r"answered 401.*BOT_EMBEDDING_API_KEY"):
            client("openai", guarded.openai_url).embed_query("income")
        keyed = load_embeddings(Settings.from_env(
            embedding_backend="openai", embedding_model="fake-m3",
            embedding_url=guarded.openai_url, embedding_api_key="sesame"))
        assert len(keyed.embed_query("income")) == MODELS["fake-m3"]
        assert guarded.requests[-1].authorization == "Bearer sesame"


def test_slow_server_times_out_without_retrying(server) -> None:
    server.delay = 1.5
    embeddings = client("ollama", server.ollama_url, timeout=0.3, batch_size=8)
    started = time.monotonic()
    with pytest.raises(EmbeddingModelError, match=r"within 0.3 s \(BOT_EMBEDDING_TIMEOUT\).*"
                                                  r"BOT_EMBEDDING_BATCH_SIZE \(now 8\)"):
        embeddings.embed_query("income")
    assert time.monotonic() - started < 1.0
    assert len(server.requests) == 1


def test_server_backends_need_a_model_and_an_http_url() -> None:
    for backend in BACKENDS:
        with pytest.raises(ConfigError, match=rf"BOT_EMBEDDING_BACKEND={backend} needs "
                                              r"BOT_EMBEDDING_MODEL.*bge-m3"):
            Settings.from_env(env={"BOT_EMBEDDING_BACKEND": backend})
    with pytest.raises(ConfigError, match="BOT_EMBEDDING_URL='localhost:11434'"):
        load_embeddings(Settings.from_env(env={
            "BOT_EMBEDDING_BACKEND": "ollama", "BOT_EMBEDDING_MODEL": "bge-m3",
            "BOT_EMBEDDING_URL": "localhost:11434"}))
    with pytest.raises(ConfigError, match="BOT_EMBEDDING_TIMEOUT"):
        Settings.from_env(env={"BOT_EMBEDDING_TIMEOUT": "0"})
    defaults = Settings.from_env(env={"BOT_EMBEDDING_BACKEND": "ollama",
                                      "BOT_EMBEDDING_MODEL": "bge-m3"})
    assert load_embeddings(defaults).url == "http://127.0.0.1:11434"
    assert load_embeddings(defaults.replace(embedding_backend="openai")).url == \
        "http://127.0.0.1:8000/v1"
