"""A damaged index is noticed and repaired from what is intact; every reader sees the current
generation, in this process and in a running server, after another process indexed.

Each damage case is one an operator met: files deleted, emptied or cut short. The index is real
(Chroma on disk, the real embedding model); the server is a real ``clusterbot serve`` process.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot import Bot, Settings
from bot.cli import main
from bot.errors import IndexDamaged
from bot.generations import current_generation

from .conftest import dedent, write_corpus
from .webserver import free_port

QUESTION = "When was the Beta Health Network founded?"

ZETA = dedent("""\
    ---
    title: Zeta Marine Cluster profile
    cluster: Zeta Marine Cluster
    country: Croatia
    ---
    # Zeta Marine Cluster
    The Zeta Marine Cluster was founded in 1999 in Split and has 77 member companies.
    """)


def _generation(settings: Settings) -> Path:
    return settings.index_dir / str(current_generation(settings.index_dir))


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _halve(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def _each(pattern: str, damage: Callable[[Path], None]) -> Callable[[Path], None]:
    return lambda generation: [damage(p) for p in generation.glob(pattern)]


#: damage case → (what to do to the generation folder, the part ``check`` must blame)
DAMAGE = {
    "sqlite deleted": (_each("chroma/chroma.sqlite3", Path.unlink), "vectors"),
    "sqlite emptied": (_each("chroma/chroma.sqlite3", _empty), "vectors"),
    "sqlite cut in half": (_each("chroma/chroma.sqlite3", _halve), "vectors"),
    "chroma folder deleted": (lambda g: __import__("shutil").rmtree(g / "chroma"), "vectors"),
    "bm25 vocabulary emptied": (_each("bm25/vocab.index.json", _empty), "keywords"),
    "vector copy cut short": (_each("bm25/vectors.npy", _halve), "keywords"),
    "npy files emptied": (_each("bm25/*.npy", _empty), "keywords"),
    "rows emptied": (_each("bm25/rows.json", _empty), "keywords"),
    "manifest emptied": (_each("manifest.json", _empty), "manifest"),
}


@pytest.fixture()
def settings(tmp_path: Path, embeddings) -> Settings:
    settings = Settings.from_env(env={}, corpus_dir=write_corpus(tmp_path / "corpus"),
                                 index_dir=tmp_path / "index")
    Bot(settings, embeddings).index()
    return settings


@pytest.mark.parametrize("case", list(DAMAGE))
def test_damage_is_reported_then_repaired_without_embedding(settings: Settings, embeddings,
                                                            case: str) -> None:
    first = Bot(settings, embeddings)
    before = first.ask(QUESTION)
    first.close()  # a process that keeps the files open reads them as they were
    damage, part = DAMAGE[case]
    damage(_generation(settings))

    bot = Bot(settings, embeddings)
    with pytest.raises(IndexDamaged, match="clusterbot check --repair"):
        bot.ask(QUESTION)
    with pytest.raises(IndexDamaged, match="clusterbot check --repair"):
        bot.index()
    found = bot.check()
    assert not found.ok and found.damaged(part), found.summary()

    repaired = bot.check(repair=True)
    assert repaired.ok, repaired.summary()
    assert repaired.repaired and repaired.repaired[0].startswith(
        {"vectors": "vectors", "keywords": "keyword index", "manifest": "manifest"}[part])
    assert not re.search(r"[1-9]\d* (chunks )?embedded", repaired.repaired[0])
    after = Bot(settings, embeddings).ask(QUESTION)
    assert after.text == before.text and "1999" not in after.text and "2011" in after.text
    assert [s.source for s in after.sources] == [s.source for s in before.sources]
    report = Bot(settings, embeddings).index()
    assert report.embedded == 0 and len(report.unchanged) == 3


def test_lost_vectors_everywhere_are_embedded_again(settings: Settings, embeddings) -> None:
    generation = _generation(settings)
    (generation / "chroma" / "chroma.sqlite3").unlink()
    (generation / "bm25" / "vectors.npy").unlink()
    bot = Bot(settings, embeddings)
    assert {p.part for p in bot.check().problems} == {"vectors", "keywords"}
    repaired = bot.check(repair=True)
    assert repaired.ok and "0 vectors reused" in repaired.repaired[0]
    assert not generation.exists()  # the damaged generation is gone, the new one current
    assert "2011" in Bot(settings, embeddings).ask(QUESTION).text


def test_check_command_exit_codes_and_json(settings: Settings, monkeypatch) -> None:
    monkeypatch.setenv("BOT_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("BOT_CORPUS_DIR", str(settings.corpus_dir))
    runner = CliRunner()
    healthy = runner.invoke(main, ["check"])
    assert healthy.exit_code == 0 and "is healthy" in healthy.output
    _empty(_generation(settings) / "bm25" / "rows.json")
    damaged = runner.invoke(main, ["check", "--json"])
    assert damaged.exit_code == IndexDamaged.exit_code
    assert '"part": "keywords"' in damaged.output and '"ok": false' in damaged.output
    asked = runner.invoke(main, ["ask", QUESTION])
    assert asked.exit_code == IndexDamaged.exit_code
    assert "clusterbot check --repair" in asked.output and "Traceback" not in asked.output
    repaired = runner.invoke(main, ["check", "--repair"])
    assert repaired.exit_code == 0 and "repaired: keyword index" in repaired.output


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, text=True,
                          capture_output=True, timeout=300, check=True)


def test_a_reader_sees_what_another_process_indexed(settings: Settings, embeddings) -> None:
    bot = Bot(settings, embeddings)
    assert bot.ask(QUESTION).sources
    (settings.corpus_dir / "zeta-profile.md").write_text(ZETA, encoding="utf-8")
    _cli("index", "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir),
         env=os.environ.copy())
    answer = bot.ask("When was the Zeta Marine Cluster founded?")
    assert "1999" in answer.text and answer.sources[0].source == "zeta-profile.md"


def test_a_running_server_answers_from_what_a_cli_run_indexed(settings: Settings) -> None:
    port = free_port()
    env = {**os.environ, "BOT_INDEX_DIR": str(settings.index_dir),
           "BOT_CORPUS_DIR": str(settings.corpus_dir), "BOT_PORT": str(port),
           "BOT_HOST": "127.0.0.1", "BOT_DATA_DIR": str(settings.index_dir.parent / "data")}
    server = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        client = _connect(f"http://127.0.0.1:{port}/", server)
        first = client.predict(QUESTION, "", "", "", "", api_name="/ask")
        assert "2011" in first["answer"]
        (settings.corpus_dir / "zeta-profile.md").write_text(ZETA, encoding="utf-8")
        _cli("index", env=env)
        answer = client.predict("When was the Zeta Marine Cluster founded?", "", "", "", "",
                                api_name="/ask")
        assert "1999" in answer["answer"], answer
        assert answer["sources"][0]["source"] == "zeta-profile.md"
    finally:
        server.terminate()
        server.wait(timeout=30)


def _connect(url: str, server: subprocess.Popen, timeout: float = 120.0):
    from gradio_client import Client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"serve exited: {server.stderr.read()[-2000:]}")
        try:
            return Client(url, verbose=False)
        except Exception:  # noqa: BLE001 - not listening yet
            time.sleep(0.5)
    raise AssertionError(f"serve did not start within {timeout} s")
