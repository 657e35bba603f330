"""The same indexing and answering behaviour against a real Chroma server (``chroma run``).

A server is started on a free loopback port for this module and stopped at its end; the
indexing and ask tests of ``test_indexing.py`` and ``test_answering.py`` run against it with
``BOT_CHROMA_HOST`` / ``BOT_CHROMA_PORT`` set.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import Bot, Settings
from bot.errors import ConfigError

from . import test_answering, test_indexing
from .conftest import write_corpus
from .webserver import free_port

CHROMA = Path(sys.executable).parent / "chroma"


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A Chroma server on 127.0.0.1:<free port>, with its data in a temporary folder."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    folder = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log = open(folder / "server.log", "w", encoding="utf-8")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(folder / "data"), "--host", "127.0.0.1",
         "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError("chroma run exited:\n" + (folder / "server.log").read_text())
            try:
                chromadb.HttpClient(host="127.0.0.1", port=port,
                                    settings=ChromaSettings(anonymized_telemetry=False)
                                    ).heartbeat()
                break
            except Exception:  # noqa: BLE001 - not listening yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture()
def on_server(chroma_server: tuple[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    """Point BOT_CHROMA_HOST / BOT_CHROMA_PORT at the test server."""
    host, port = chroma_server
    monkeypatch.setenv("BOT_CHROMA_HOST", host)
    monkeypatch.setenv("BOT_CHROMA_PORT", str(port))


@pytest.fixture()
def fresh(on_server: None, tmp_path: Path, embeddings) -> Bot:
    write_corpus(tmp_path / "corpus")
    return Bot(Settings.from_env(), embeddings)


def server_collections(chroma_server: tuple[str, int]) -> set[str]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    host, port = chroma_server
    client = chromadb.HttpClient(host=host, port=port,
                                 settings=ChromaSettings(anonymized_telemetry=False))
    return {c.name for c in client.list_collections()}


def test_incremental_indexing_on_server(fresh: Bot, tmp_path: Path, chroma_server) -> None:
    test_indexing.test_incremental_indexing(fresh, tmp_path)
    generation = (tmp_path / "index" / "CURRENT").read_text().strip()
    assert f"clusterbot-{generation}" in server_collections(chroma_server)
    assert not (tmp_path / "index" / generation / "chroma").exists()  # vectors on the server
    assert (tmp_path / "index" / generation / "bm25").is_dir()  # keywords stay local


def test_close_reopen_same_answer_on_server(fresh: Bot, embeddings) -> None:
    test_indexing.test_close_reopen_same_answer(fresh, embeddings)


def test_rebuild_deletes_old_collections_on_server(fresh: Bot, tmp_path: Path,
                                                   chroma_server) -> None:
    test_indexing.test_rebuild_switches_generation_and_keeps_answers(fresh, tmp_path)
    first = server_collections(chroma_server)
    fresh.index(rebuild=True)
    generations = sorted(p.name for p in (tmp_path / "index").glob("gen-*"))
    assert len(generations) == 2  # the current one and the previous one
    mine = {c for c in server_collections(chroma_server)
            if c.startswith("clusterbot-") and any(c.endswith(g) for g in generations)}
    assert mine == {f"clusterbot-{g}" for g in generations}
    # the generation before the previous one was deleted from the server too
    assert len(first - server_collections(chroma_server)) == 1
    assert "2005" in fresh.ask("When was the Alpha Bio Cluster founded?").text


def test_unreachable_server_is_a_config_error(tmp_path: Path, embeddings,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    write_corpus(tmp_path / "corpus")
    monkeypatch.setenv("BOT_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("BOT_CHROMA_PORT", str(free_port()))
    with pytest.raises(ConfigError, match="chroma run"):
        Bot(Settings.from_env(), embeddings).index()


@pytest.fixture(scope="module")
def server_index(tmp_path_factory: pytest.TempPathFactory, chroma_server,
                 embeddings) -> Settings:
    """Settings of the small corpus indexed once on the server."""
    host, port = chroma_server
    root = tmp_path_factory.mktemp("server-index")
    settings = Settings.from_env(env={}, corpus_dir=write_corpus(root / "corpus"),
                                 index_dir=root / "index", chroma_host=host, chroma_port=port)
    Bot(settings, embeddings).index()
    return settings


@pytest.fixture()
def server_bot(server_index: Settings, embeddings) -> Bot:
    return Bot(server_index, embeddings)


def test_facts_from_the_named_entity_on_server(server_bot: Bot) -> None:
    # the cases of test_answering's parametrized test, run here in one test
    cases = next(m for m in test_answering.test_states_the_fact_from_the_named_entity
                 .pytestmark if m.name == "parametrize").args[1]
    for question, fact, source in cases:
        test_answering.test_states_the_fact_from_the_named_entity(server_bot, question, fact,
                                                                  source)


def test_filters_restrict_sources_on_server(server_bot: Bot) -> None:
    test_answering.test_filters_restrict_sources(server_bot)


def test_sources_metadata_and_abstention_on_server(server_bot: Bot) -> None:
    test_answering.test_sources_carry_metadata(server_bot)
    test_answering.test_abstains_on_unrelated_questions(server_bot,
                                                        "What is the best recipe for lasagne?")


def test_langchain_retriever_on_server(server_bot: Bot) -> None:
    test_answering.test_langchain_retriever(server_bot)
