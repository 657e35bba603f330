"""The web app through its API: a real Gradio server over a real index, driven by gradio_client.

One server over a small index is started per module; tests that change documents add their own
files and assert only on them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from bot import Bot, Settings
from bot.generations import current_generation, write_lock
from bot.web import MODES, WebApp
from bot.webapp.chat import plain_history

from .conftest import write_corpus
from .webserver import Server, free_port, launch

ROOT = Path(__file__).resolve().parent.parent
ZETA = """\
---
title: Zeta Robotics Cluster profile
cluster: Zeta Robotics Cluster
country: Finland
year: 2024
type: profile
topics: [services]
---
# Zeta Robotics Cluster profile

## Testing lab
The Zeta Robotics Cluster runs a robot testing lab in Tampere. Members rent the lab by the hour;
an hour of lab time costs 80 euros for members.
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, embeddings) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("web")
    settings = Settings.from_env(env={}, corpus_dir=write_corpus(root / "corpus"),
                                 index_dir=root / "index", data_dir=root / "data",
                                 max_upload_mb=1)
    Bot(settings, embeddings).index()
    started = launch(settings, embeddings)
    yield started
    started.demo.close()
    started.bot.close()


def ask(server: Server, question: str, cluster: str = "", country: str = "", topic: str = "",
        year: str = "") -> dict:
    return server.client.predict(question, cluster, country, topic, year, api_name="/ask")


# ---------------------------------------------------------------- asking


def test_ask_returns_answer_abstained_and_sources(server: Server) -> None:
    result = ask(server, "How much does a small company pay to join the Alpha Bio Cluster?")
    assert set(result) == {"answer", "abstained", "query", "sources"}
    assert result["abstained"] is False
    assert "450 euros" in result["answer"]
    sources = result["sources"]
    assert sources and set(sources[0]) == {"n", "source", "title", "cluster", "page", "section",
                                           "score", "excerpt", "chunk_id"}
    assert [s["n"] for s in sources] == list(range(1, len(sources) + 1))
    alpha = next(s for s in sources if s["source"] == "alpha-profile.md")
    assert f"[{alpha['n']}]" in result["answer"]
    assert alpha["title"] == "Alpha Bio Cluster profile"
    assert result == server.bot.ask(
        "How much does a small company pay to join the Alpha Bio Cluster?").to_dict()


def test_filters_restrict_the_sources(server: Server) -> None:
    unfiltered = ask(server, "What does membership cost?")
    assert len({s["cluster"] for s in unfiltered["sources"]}) > 1
    beta = ask(server, "What does membership cost?", cluster="Beta Health Network")
    assert not beta["abstained"] and "300 euros" in beta["answer"]
    assert {s["cluster"] for s in beta["sources"]} == {"Beta Health Network"}
    italy = ask(server, "Which services does the cluster offer?", country="Italy")
    assert {s["source"] for s in italy["sources"]} == {"gamma-report.txt"}
    topic = ask(server, "In how many working groups do members meet?",
                topic="member engagement")
    assert {s["source"] for s in topic["sources"]} == {"beta-profile.md"}


def test_a_question_the_documents_do_not_answer_is_logged(server: Server) -> None:
    result = ask(server, "Which robots does the cluster build?", year="2023")
    assert result == {"answer": "The indexed documents do not answer this question.",
                      "abstained": True, "query": "Which robots does the cluster build?",
                      "sources": []}
    logged = (server.settings.data_dir / "unanswered.jsonl").read_text(encoding="utf-8")
    records = [json.loads(line) for line in logged.splitlines()]
    assert {"question": "Which robots does the cluster build?", "filters": {"year": "2023"}} \
        in [{k: r[k] for k in ("question", "filters")} for r in records]
    no_match = ask(server, "What does membership cost?", cluster="Beta Health Network",
                   country="Italy")
    assert no_match["abstained"] and no_match["answer"].startswith(
        "No indexed document matches these filters (cluster Beta Health Network, country Italy)")
    logged = (server.settings.data_dir / "unanswered.jsonl").read_text(encoding="utf-8")
    assert "What does membership cost?" not in logged  # no content gap: the filters are
    gaps = server.client.predict(api_name="/insights")
    questions = [g["question"] for topic in gaps for g in topic["unanswered"]]
    assert "Which robots does the cluster build?" in questions


def test_errors_reach_the_client_as_messages(server: Server) -> None:
    with pytest.raises(AppError, match="the question is empty: type a question"):
        ask(server, "   ")
    with pytest.raises(AppError, match="year filter 'soon' is not a year"):
        ask(server, "What does it cost?", year="soon")


def test_compare_endpoint_gives_one_row_per_cluster(server: Server) -> None:
    rows = server.client.predict("How many members does the cluster have?", "",
                                 api_name="/compare")
    clusters = [r["cluster"] for r in rows]
    assert len(clusters) == len(set(clusters))
    assert {"Alpha Bio Cluster", "Beta Health Network"} <= set(clusters)
    beta = next(r for r in rows if r["cluster"] == "Beta Health Network")
    assert beta["source_title"] == "Beta Health Network profile" and beta["summary"]
    picked = server.client.predict("How many members does the cluster have?",
                                   "Alpha Bio Cluster", api_name="/compare")
    assert [r["cluster"] for r in picked] == ["Alpha Bio Cluster"]


def test_feedback_endpoint_stores_and_feeds_insights(server: Server) -> None:
    stored = server.client.predict("Which export missions do members join?", "Fairs. [1]",
                                   False, "only one fair listed", api_name="/feedback")
    assert stored["liked"] is False
    lines = (server.settings.data_dir / "feedback.jsonl").read_text(encoding="utf-8")
    record = next(json.loads(x) for x in lines.splitlines() if json.loads(x)["id"] == stored["id"])
    assert record["comment"] == "only one fair listed"
    gaps = {t["topic"]: t for t in server.client.predict(api_name="/insights")}
    disliked = gaps["internationalisation"]["disliked"]
    assert any(g["question"] == "Which export missions do members join?" and
               g["comments"] == ["only one fair listed"] for g in disliked)


# ---------------------------------------------------------------- chat handlers


def respond(app: WebApp, question: str, chat: list, mode: str = MODES[0],
            clusters: list | None = None, answers: dict | None = None, **filters) -> list:
    """Every step of the chat handler: (chat, answers, question box)."""
    values = [filters.get(k) for k in ("country", "topic", "year", "language")]
    return list(app.chat.respond(question, chat, mode, clusters or [], *values, answers or {}))


def test_chat_streams_answer_with_its_sources_and_history(server: Server) -> None:
    steps = respond(server.app, "When was the Alpha Bio Cluster founded?", [])
    assert len(steps) >= 3  # placeholder, pieces of the answer, final answer with sources
    chat, answers, box = steps[-1]
    assert box == "" and [m["role"] for m in chat] == ["user", "assistant"]
    content = chat[-1]["content"]
    assert "2005" in content and re.search(r'<a class="cite" href="#p-\w+-1">\[1\]</a>', content)
    assert '<details class="sources"' in content and "Alpha Bio Cluster profile" in content
    assert "<mark>The Alpha Bio Cluster was founded in 2005 in Graz.</mark>" in content
    assert "best match" in content and not re.search(r"score [01]\.\d\d", content)
    record = answers["1"]
    assert record["question"] == "When was the Alpha Bio Cluster founded?"
    assert record["sources"][0]["text"].startswith("The Alpha Bio Cluster was founded")
    assert "Searched for" not in content  # the question was not rewritten
    # a follow-up is answered with the conversation as history, rewritten, and says so
    chat2, answers2, _ = respond(server.app, "What about the Beta Health Network?", chat,
                                 answers=answers)[-1]
    assert len(chat2) == 4 and "2011" in chat2[-1]["content"]
    assert "Searched for: “" in chat2[-1]["content"]
    assert "Beta Health Network profile" in chat2[-1]["content"]
    assert set(answers2) == {"1", "3"}
    assert chat2[1] == chat[1]  # the first answer keeps its own sources
    history = plain_history(chat2)
    assert "<details" not in history[1]["content"] and "[1]" in history[1]["content"]


def test_chat_says_clearly_when_documents_do_not_answer(server: Server) -> None:
    chat, answers, _ = respond(server.app,
                               "What is the airspeed velocity of an unladen swallow?", [])[-1]
    assert chat[-1]["content"].startswith("**The indexed documents do not answer this question.")
    assert "Insights" in chat[-1]["content"] and "<details" not in chat[-1]["content"]
    assert answers["1"]["abstained"] is True


def test_filters_that_match_nothing_are_not_a_content_gap(server: Server) -> None:
    question = "Which robots does the Beta Health Network build?"
    chat, answers, _ = respond(server.app, question, [], clusters=["Beta Health Network"],
                               country=["Italy"])[-1]
    assert chat[-1]["content"].startswith("**No indexed document matches these filters")
    assert "Insights" not in chat[-1]["content"]
    unanswered = server.settings.data_dir / "unanswered.jsonl"
    assert question not in (unanswered.read_text(encoding="utf-8")
                            if unanswered.is_file() else "")


def test_chat_problems_are_warnings_that_keep_the_question(server: Server, embeddings,
                                                           tmp_path: Path) -> None:
    history = [{"role": "user", "content": [{"type": "text", "text": "Hi?"}]},
               {"role": "assistant", "content": [{"type": "text", "text": "Hello [1]"}]}]
    with pytest.warns(UserWarning, match="type a question first"):
        steps = respond(server.app, "  ", history)
    chat, _, box = steps[-1]
    assert chat == history
    with pytest.warns(UserWarning, match="year filter 'soon' is not a year"):
        steps = respond(server.app, "Fees?", [], year="soon")
    assert steps[-1][0] == [] and steps[-1][2] == "Fees?"  # the chat as it was, question kept
    empty = WebApp(Bot(server.settings.replace(index_dir=tmp_path / "none"), embeddings))
    with pytest.warns(UserWarning, match="there is no index yet: add documents"):
        respond(empty, "Fees?", [])
    assert "There is no index yet" in empty.ctx.index_status()
    corpus = tmp_path / "empty-corpus"
    corpus.mkdir()
    nothing = Bot(server.settings.replace(index_dir=tmp_path / "empty", corpus_dir=corpus),
                  embeddings)
    nothing.index()
    with pytest.warns(UserWarning, match="nothing is indexed yet: add documents"):
        respond(WebApp(nothing), "Fees?", [])


def test_compare_mode_answers_with_a_table_citing_each_row(server: Server) -> None:
    question = "How many members does the cluster have?"
    steps = respond(server.app, question, [], MODES[1],
                    ["Alpha Bio Cluster", "Beta Health Network"])
    progress = [s[0][-1]["content"] for s in steps[:-1]]
    assert any("Comparing clusters: 1 of 2 asked (now Beta Health Network)" in p
               for p in progress)
    chat, answers, _ = steps[-1]
    content = chat[-1]["content"]
    assert "| Cluster | How many members does the cluster have | Source |" in content
    assert re.search(r"\| Alpha Bio Cluster \| .*120 member.* <a class=\"cite\" "
                     r"href=\"#p-\w+-1\">\[1\]</a> \| Alpha Bio Cluster profile \|", content)
    assert "| Beta Health Network |" in content and "Gamma" not in content
    assert '<details class="sources"' in content and "<mark>" in content
    assert [s["cluster"] for s in answers["1"]["sources"]] == ["Alpha Bio Cluster",
                                                              "Beta Health Network"]


def test_compare_mode_compares_clusters_not_programmes(server: Server) -> None:
    assert server.app.chat.compare.clusters() == ["Alpha Bio Cluster", "Beta Health Network",
                                                  "Gamma Medtech Cluster"]


def test_thumbs_and_comment_are_stored(server: Server) -> None:
    app = server.app.chat
    chat, answers, _ = respond(server.app, "How many matchmaking events did Gamma organise?",
                               [])[-1]
    like = gr.LikeData(None, {"index": 1, "value": chat[1]["content"], "liked": False})
    status, feedback_id, box = app.on_like(chat, answers, "", like)
    assert feedback_id and box == "" and "Insights" in status
    app.add_comment("the number of participants is missing", feedback_id)
    entry = next(e for e in server.app.ctx.feedback.feedback() if e.id == feedback_id)
    assert entry.question == "How many matchmaking events did Gamma organise?"
    assert entry.liked is False and entry.comment == "the number of participants is missing"
    assert entry.sources and entry.sources[0] == "Gamma Medtech Cluster annual report"
    with pytest.raises(gr.Error, match="rate an answer"):
        app.add_comment("orphan comment", None)


# ---------------------------------------------------------------- documents


def test_upload_then_update_index_makes_the_document_answerable(server: Server,
                                                                 tmp_path: Path) -> None:
    upload = tmp_path / "Zeta Robotics profile.md"
    upload.write_text(ZETA, encoding="utf-8")
    question = "How much does an hour in the robot testing lab cost?"
    before = ask(server, question)
    assert "80 euros" not in before["answer"]

    message = server.client.predict([handle_file(upload)], "", api_name="/upload")
    assert "`Zeta-Robotics-profile.md`" in message and "Update index" in message
    assert (server.settings.corpus_dir / "Zeta-Robotics-profile.md").read_text(
        encoding="utf-8") == ZETA
    listed = {d["source"]: d for d in server.client.predict("", api_name="/documents")}
    assert listed["Zeta-Robotics-profile.md"]["status"].startswith("new")

    summary = server.client.predict("", api_name="/update_index")
    assert "1 added" in summary and "`Zeta-Robotics-profile.md`" in summary
    after = ask(server, question)
    assert "80 euros" in after["answer"] and not after["abstained"]
    assert "Zeta-Robotics-profile.md" in {s["source"] for s in after["sources"]}
    listed = {d["source"]: d for d in server.client.predict("", api_name="/documents")}
    zeta = listed["Zeta-Robotics-profile.md"]
    assert (zeta["title"], zeta["cluster"], zeta["type"], zeta["status"]) == (
        "Zeta Robotics Cluster profile", "Zeta Robotics Cluster", "profile", "indexed")
    assert zeta["chunks"] >= 1 and zeta["indexed_at"].endswith("UTC")

    # the same file again is refused; a different file with the same name gets a suffix
    with pytest.raises(AppError, match="already in the corpus as Zeta-Robotics-profile.md"):
        server.client.predict([handle_file(upload)], "", api_name="/upload")
    upload.write_text(ZETA.replace("80 euros", "95 euros"), encoding="utf-8")
    message = server.client.predict([handle_file(upload)], "", api_name="/upload")
    assert "saved as `Zeta-Robotics-profile-2.md`" in message

    # removing documents moves them to the trash and out of the index
    for source in ("Zeta-Robotics-profile.md", "Zeta-Robotics-profile-2.md"):
        summary = server.client.predict(source, "", api_name="/remove_document")
        assert f"Moved `{source}` to the trash" in summary and "1 removed" in summary
    assert not (server.settings.corpus_dir / "Zeta-Robotics-profile.md").exists()
    trash = server.settings.data_dir / "trash"
    assert sorted(p.name for p in trash.rglob("Zeta*")) == ["Zeta-Robotics-profile-2.md",
                                                            "Zeta-Robotics-profile.md"]
    assert "Zeta-Robotics-profile.md" not in server.bot.documents()
    assert "80 euros" not in ask(server, question)["answer"]


def test_uploads_of_wrong_type_or_size_are_refused(server: Server, tmp_path: Path) -> None:
    script = tmp_path / "tool.py"
    script.write_text("print('hello')\n", encoding="utf-8")
    with pytest.raises(AppError, match=r"not a supported document|Invalid file type"):
        server.client.predict([handle_file(script)], "", api_name="/upload")
    big = tmp_path / "big.txt"
    big.write_bytes(b"cluster text " * 90_000)  # 1.1 MB, over this server's 1 MB limit
    with pytest.raises(ValueError, match="exceeds the maximum file size of 1048576 bytes"):
        server.client.predict([handle_file(big)], "", api_name="/upload")  # client-side check
    response = httpx.post(f"{server.url}gradio_api/upload", timeout=30,  # the server's own
                          files={"files": ("big.txt", big.read_bytes())})
    assert response.status_code == 413
    assert sorted(p.name for p in server.settings.corpus_dir.iterdir()
                  if p.name in {"tool.py", "big.txt"}) == []


def test_server_side_size_cap_of_the_handler(server: Server, tmp_path: Path) -> None:
    big = tmp_path / "big.md"  # as if the browser had let it through: the handler still refuses
    big.write_bytes(b"# Big\n" + b"x" * (1024 * 1024 + 10))
    with pytest.raises(gr.Error, match="more than the limit of 1 MB"):
        server.app.documents.upload([str(big)], "")
    assert not (server.settings.corpus_dir / "big.md").exists()


def test_chat_keeps_answering_while_the_index_is_rebuilt(server: Server,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    real_index = server.bot.index
    embedding = threading.Event()
    release = threading.Event()

    def held_index(rebuild: bool = False, progress=None, **kwargs):
        def gated(stage: str, done: int, total: int) -> None:
            progress(stage, done, total)
            if stage == "embedding" and not embedding.is_set():
                embedding.set()
                release.wait(60)
        return real_index(rebuild=rebuild, progress=gated, **kwargs)

    monkeypatch.setattr(server.bot, "index", held_index)
    generation = current_generation(server.settings.index_dir)
    job = server.client.submit("", api_name="/rebuild_index")
    try:
        assert embedding.wait(30), "the rebuild did not reach the embedding stage"
        started = time.monotonic()
        during = ask(server, "How many members does the Beta Health Network have?")
        assert "85 member companies" in during["answer"]
        assert time.monotonic() - started < 10
        assert server.app.runner.status().running
        assert server.app.ctx.index_status().startswith("**Updating the index:** embedding 0/")
        busy = server.client.predict("", api_name="/update_index")
        assert busy.startswith("**Index busy:** the index is being updated")
    finally:
        release.set()
    assert "Rebuild finished" in job.result(timeout=60)
    assert current_generation(server.settings.index_dir) != generation
    after = ask(server, "How many members does the Beta Health Network have?")
    assert "85 member companies" in after["answer"]


def test_another_writer_gets_the_index_busy_warning(server: Server) -> None:
    with write_lock(server.settings.index_dir):  # as if `clusterbot index` were running
        summary = server.client.predict("", api_name="/update_index")
        assert summary.startswith("**Index busy:** the index at") and "is being updated" in summary
        with pytest.warns(UserWarning, match="is being updated"):  # gr.Warning outside a request
            server.app.documents.api_update_index("")
    assert "Update finished" in server.client.predict("", api_name="/update_index")


def test_admin_password_protects_the_documents(server: Server, embeddings,
                                               tmp_path: Path) -> None:
    protected = launch(server.settings.replace(admin_password="open sesame"), embeddings)
    try:
        for wrong in ("", "Open Sesame"):
            with pytest.raises(AppError, match="wrong or missing admin password"):
                protected.client.predict(wrong, api_name="/documents")
        upload = tmp_path / "secret-plan.md"
        upload.write_text("# Plan\nA plan.", encoding="utf-8")
        with pytest.raises(AppError, match="wrong or missing admin password"):
            protected.client.predict([handle_file(upload)], "nope", api_name="/upload")
        with pytest.raises(AppError, match="wrong or missing admin password"):
            protected.client.predict("nope", api_name="/update_index")
        assert not (server.settings.corpus_dir / "secret-plan.md").exists()
        with pytest.raises(gr.Error, match="wrong or missing admin password"):
            protected.app.documents.unlock("nope")
        column, rows, _, _ = protected.app.documents.unlock("open sesame")  # the Unlock button
        assert column.visible is True and "alpha-profile.md" in {r[5] for r in rows}
        listed = protected.client.predict("open sesame", api_name="/documents")
        assert "alpha-profile.md" in {d["source"] for d in listed}
        assert ask(protected, "How many members does the Beta Health Network have?")["answer"]
    finally:
        protected.demo.close()
    public = WebApp(Bot(server.settings.replace(host="0.0.0.0"), embeddings))
    with pytest.raises(gr.Error, match="set BOT_ADMIN_PASSWORD"):
        public.documents.upload([str(tmp_path / "secret-plan.md")], "")


# ---------------------------------------------------------------- start-up


def _wait_for(url: str, process: subprocess.Popen, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise AssertionError(f"the app exited: {process.stdout.read()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} not up after {timeout} s")


def _stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        out, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    return out


def test_app_builds_the_index_on_first_start_and_restarts_quickly(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(BOT_CORPUS_DIR=str(write_corpus(tmp_path / "corpus")),
               BOT_INDEX_DIR=str(tmp_path / "index"), BOT_DATA_DIR=str(tmp_path / "data"),
               BOT_PORT=str(port), BOT_HOST="127.0.0.1")
    url = f"http://127.0.0.1:{port}/"
    run = {"cwd": ROOT, "env": env, "stdout": subprocess.PIPE, "stderr": subprocess.STDOUT,
           "text": True}

    first = subprocess.Popen([sys.executable, "app.py"], **run)
    try:
        _wait_for(url, first, 60)
        client = Client(url, verbose=False)
        deadline = time.monotonic() + 60
        while current_generation(tmp_path / "index") is None and time.monotonic() < deadline:
            time.sleep(0.5)
        answer = client.predict("How many members does the Beta Health Network have?", "", "",
                                "", "", api_name="/ask")
        assert "85 member companies" in answer["answer"]
    finally:
        log = _stop(first)
    assert "no index in" in log and "building it from" in log
    assert "index: embedding" in log and "3 added" in log
    assert "Traceback" not in log

    second = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)], **run)
    try:
        seconds = _wait_for(url, second, 30)
        answer = Client(url, verbose=False).predict(
            "How many members does the Beta Health Network have?", "", "", "", "",
            api_name="/ask")
        assert "85 member companies" in answer["answer"]
    finally:
        log = _stop(second)
    assert seconds < 20, f"ready after {seconds:.1f} s"
    assert "no index in" not in log and "clusterbot is ready at" in log
