"""The web app's access rules through real HTTP requests to a real launched app.

What a browser sends after DNS rebinding (``Host: evil.example``) or from another site's page
(``Origin: http://evil.example``) is refused and changes nothing; the same request naming the
app's loopback host works. Wrong admin passwords are throttled; feedback has size limits;
uploads leave no copy in Gradio's cache; the insights are for the admin only.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from bot import Bot, Settings
from bot.generations import current_generation
from bot.jobs import IndexRunner
from bot.web import WebApp, launch_options

from .conftest import write_corpus
from .webserver import Server, free_port, launch

EVIL_HOST = {"Host": "evil.example"}
EVIL_ORIGIN = {"Origin": "http://evil.example"}
NEW_DOC = "---\ntitle: Omega note\ncluster: Omega Cluster\n---\n# Omega\nOmega rents drones.\n"


@pytest.fixture(scope="module")
def index_settings(tmp_path_factory: pytest.TempPathFactory, embeddings) -> Settings:
    root = tmp_path_factory.mktemp("security")
    settings = Settings.from_env(env={}, corpus_dir=write_corpus(root / "corpus"),
                                 index_dir=root / "index", data_dir=root / "data")
    Bot(settings, embeddings).index()
    return settings


@pytest.fixture(scope="module")
def server(index_settings: Settings, embeddings) -> Iterator[Server]:
    """The app as `clusterbot serve` runs it: loopback, no password, with its middleware."""
    started = launch(index_settings, embeddings)
    yield started
    started.demo.close()
    started.bot.close()


@pytest.fixture(scope="module")
def bare(index_settings: Settings, embeddings) -> Iterator[Server]:
    """The same app launched without the middleware, as if mounted in another app: the
    handlers' own checks must hold."""
    settings = index_settings.replace(port=free_port())
    bot = Bot(settings, embeddings)
    app = WebApp(bot, IndexRunner(bot))
    demo = app.build().queue()
    options = {k: v for k, v in launch_options(settings).items() if k != "app_kwargs"}
    _, url, _ = demo.launch(prevent_thread_lock=True, **options)
    yield Server(settings, bot, app, demo, url, Client(url, verbose=False))
    demo.close()
    bot.close()


def call(server: Server, api_name: str, data: list, headers: dict | None = None
         ) -> tuple[int, str, Any]:
    """POST /gradio_api/call/<api_name> as curl or a page's script would, then read its result:
    (HTTP status, "complete" or "error" or the refusal text, data)."""
    headers = headers or {}
    posted = httpx.post(f"{server.url}gradio_api/call/{api_name}", json={"data": data},
                        headers=headers, timeout=60)
    if posted.status_code != 200:
        return posted.status_code, posted.text, None
    event_id = posted.json()["event_id"]
    result = httpx.get(f"{server.url}gradio_api/call/{api_name}/{event_id}", headers=headers,
                       timeout=120)
    event, payload = "", None
    for line in result.text.splitlines():
        if line.startswith("event: "):
            event = line[len("event: "):]
        elif line.startswith("data: ") and event in ("complete", "error"):
            payload = json.loads(line[len("data: "):])
    return result.status_code, event, payload


def loopback(server: Server) -> dict[str, str]:
    """Headers of the app's own page reached as localhost (another loopback name)."""
    port = server.url.rstrip("/").rsplit(":", 1)[1]
    return {"Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"}


def cache_upload(server: Server, name: str, text: str, headers: dict | None = None
                 ) -> httpx.Response:
    return httpx.post(f"{server.url}gradio_api/upload", files={"files": (name, text.encode())},
                      headers=headers or {}, timeout=30)


def file_data(path: str, name: str) -> dict:
    return {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}


def feedback_lines(settings: Settings) -> list[dict]:
    path = settings.data_dir / "feedback.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# ---------------------------------------------------------------- Host and Origin


@pytest.mark.parametrize("bad", [EVIL_HOST, EVIL_ORIGIN], ids=["host", "origin"])
def test_foreign_host_or_origin_changes_nothing(server: Server, bad: dict) -> None:
    corpus = server.settings.corpus_dir
    (corpus / "omega-note.md").write_text(NEW_DOC, encoding="utf-8")
    generation = current_generation(server.settings.index_dir)
    before = feedback_lines(server.settings)
    try:
        refused = {
            "remove_document": call(server, "remove_document", ["alpha-profile.md", ""], bad),
            "update_index": call(server, "update_index", [""], bad),
            "rebuild_index": call(server, "rebuild_index", [""], bad),
            "feedback": call(server, "feedback", ["Q?", "A.", False, "evil"], bad),
            "documents": call(server, "documents", [""], bad),
            "insights": call(server, "insights", [""], bad),
        }
        for name, (status, text, _) in refused.items():
            assert status == 403, name
            assert ("does not answer to the host name 'evil.example'" in text
                    or "requests sent by pages of 'http://evil.example' are refused" in text)
        upload = cache_upload(server, "evil.md", NEW_DOC.replace("Omega", "Evil"), bad)
        assert upload.status_code == 403
        joined = httpx.post(f"{server.url}gradio_api/queue/join", headers=bad, timeout=30,
                            json={"data": [""], "fn_index": 0, "session_hash": "evil"})
        assert joined.status_code == 403  # the browser's route for every button
        if bad is EVIL_HOST:  # a rebound page cannot even load the app
            assert httpx.get(server.url, headers=bad, timeout=30).status_code == 403
        assert (corpus / "alpha-profile.md").is_file()
        assert current_generation(server.settings.index_dir) == generation
        assert "omega-note.md" not in server.bot.documents()
        assert not (corpus / "evil.md").exists()
        assert feedback_lines(server.settings) == before
    finally:
        (corpus / "omega-note.md").unlink()


def test_the_same_requests_naming_a_loopback_host_work(server: Server) -> None:
    ok = loopback(server)
    status, event, data = call(server, "feedback", ["Who rents drones?", "Omega.", True, ""], ok)
    assert (status, event, data[0]["liked"]) == (200, "complete", True)
    uploaded = cache_upload(server, "omega-note.md", NEW_DOC, ok)
    assert uploaded.status_code == 200
    status, event, data = call(server, "upload", [[file_data(uploaded.json()[0],
                                                             "omega-note.md")], ""], ok)
    assert event == "complete" and "`omega-note.md`" in data[0]
    status, event, data = call(server, "update_index", [""], ok)
    assert event == "complete" and "1 added" in data[0]
    assert "omega-note.md" in server.bot.documents()
    status, event, data = call(server, "remove_document", ["omega-note.md", ""], ok)
    assert event == "complete" and "Moved `omega-note.md` to the trash" in data[0]
    assert "omega-note.md" not in server.bot.documents()
    status, event, data = call(server, "insights", [""], ok)
    assert event == "complete" and isinstance(data[0], list)


def test_handlers_refuse_on_their_own_without_the_middleware(bare: Server) -> None:
    corpus = bare.settings.corpus_dir
    (corpus / "omega-note.md").write_text(NEW_DOC, encoding="utf-8")
    generation = current_generation(bare.settings.index_dir)
    before = feedback_lines(bare.settings)
    try:
        for bad in (EVIL_HOST, EVIL_ORIGIN):
            uploaded = cache_upload(bare, "evil.md", "# Evil\nEvil text.\n", bad)
            assert uploaded.status_code == 200  # Gradio's own route: only the cache
            attempts = [("remove_document", ["alpha-profile.md", ""]), ("update_index", [""]),
                        ("rebuild_index", [""]), ("feedback", ["Q?", "A.", False, "evil"]),
                        ("documents", [""]), ("insights", [""]),
                        ("upload", [[file_data(uploaded.json()[0], "evil.md")], ""])]
            for name, data in attempts:
                status, event, payload = call(bare, name, data, bad)
                assert (status, event) == (200, "error"), name
                assert re.search(r"does not answer to the host name|pages of .* are refused",
                                 payload["error"]), name
        assert (corpus / "alpha-profile.md").is_file() and not (corpus / "evil.md").exists()
        assert current_generation(bare.settings.index_dir) == generation
        assert "omega-note.md" not in bare.bot.documents()
        assert feedback_lines(bare.settings) == before
        # the UI's own handlers (thumbs, comments, table on page load) check too
        evil = SimpleNamespace(headers={"host": "evil.example"},
                               client=SimpleNamespace(host="127.0.0.1"))
        like = gr.LikeData(None, {"index": 1, "value": "A.", "liked": False})
        with pytest.raises(gr.Error, match="does not answer to the host name"):
            bare.app.chat.on_like([{"role": "user", "content": "Q?"},
                              {"role": "assistant", "content": "A."}], {}, "", like, evil)
        with pytest.raises(gr.Error, match="does not answer to the host name"):
            bare.app.chat.add_comment("evil", "some-id", evil)
        assert bare.app.documents.initial_documents(evil)[0] == []
        assert "does not answer to the host name" in bare.app.insights.view("", evil)
    finally:
        (corpus / "omega-note.md").unlink()


def test_a_proxied_or_remote_client_gets_no_admin_without_password(server: Server) -> None:
    proxied = SimpleNamespace(headers={"host": "127.0.0.1:7860"},
                              client=SimpleNamespace(host="10.0.0.7"))
    assert server.app.documents.initial_documents(proxied)[0] == []
    assert "open only on this machine" in server.app.insights.view("", proxied)
    with pytest.raises(gr.Error, match="open only on this machine"):
        server.app.insights.api_insights("", proxied)
    local = SimpleNamespace(headers={"host": "127.0.0.1:7860"},
                            client=SimpleNamespace(host="127.0.0.1"))
    rows, _, _ = server.app.documents.initial_documents(local)
    assert "alpha-profile.md" in {r[5] for r in rows}


# ---------------------------------------------------------------- passwords


def test_wrong_passwords_are_throttled_per_client(index_settings: Settings, embeddings) -> None:
    protected = launch(index_settings.replace(admin_password="open sesame", password_attempts=5,
                                              password_lockout=0.5), embeddings)
    try:
        outcomes = []
        started = time.monotonic()
        for n in range(100):
            try:
                protected.client.predict(f"guess {n}", api_name="/documents")
            except AppError as exc:
                outcomes.append(str(exc))
        seconds = time.monotonic() - started
        wrong = sum("wrong or missing admin password" in o for o in outcomes)
        throttled = [o for o in outcomes if "too many wrong admin passwords" in o]
        assert len(outcomes) == 100 and wrong + len(throttled) == 100
        assert len(throttled) >= 85, f"{wrong} checked, {len(throttled)} throttled"
        print(f"100 wrong passwords in {seconds:.1f} s: {wrong} checked, "
              f"{len(throttled)} throttled")
        with pytest.raises(AppError, match="too many wrong admin passwords") as refused:
            protected.client.predict("open sesame", api_name="/documents")  # even the right one
        # the wait as of now: a slow machine may have checked (and doubled) the last guesses
        wait = int(re.search(r"try again in (\d+) s", str(refused.value))[1])
        time.sleep(wait + 0.1)
        listed = protected.client.predict("open sesame", api_name="/documents")
        assert "alpha-profile.md" in {d["source"] for d in listed}
        for _ in range(5):  # the right password forgot the failures: 5 more before a wait
            with pytest.raises(AppError, match="wrong or missing admin password"):
                protected.client.predict("guess", api_name="/documents")
    finally:
        protected.demo.close()
        protected.bot.close()


def test_insights_need_the_password_when_one_is_set(index_settings: Settings,
                                                    embeddings) -> None:
    protected = launch(index_settings.replace(admin_password="open sesame"), embeddings)
    try:
        protected.client.predict("Which drones does Omega rent?", "No idea.", False,
                                 "missing", api_name="/feedback")  # rating stays public
        for wrong in ("", "nope"):
            with pytest.raises(AppError, match="wrong or missing admin password"):
                protected.client.predict(wrong, api_name="/insights")
        gaps = protected.client.predict("open sesame", api_name="/insights")
        assert "Which drones does Omega rent?" in json.dumps(gaps)
        assert "wrong or missing admin password" in protected.app.insights.view("", None)
        assert "Which drones does Omega rent?" in protected.app.insights.view("open sesame",
                                                                             None)
    finally:
        protected.demo.close()
        protected.bot.close()


# ---------------------------------------------------------------- feedback sizes


def test_oversize_feedback_is_refused(server: Server) -> None:
    before = feedback_lines(server.settings)
    huge = "x" * 5_000_000
    started = time.monotonic()
    for args, field in (((huge, "A.", False, ""), "question"), (("Q?", huge, False, ""), "answer"),
                        (("Q?", "A.", False, huge), "comment")):
        with pytest.raises(AppError, match=f"the {field} is 5,000,000 characters long, more "
                           rf"than the limit of [\d,]+: shorten it \(the limit is "
                           f"BOT_MAX_{field.upper()}_CHARS"):
            server.client.predict(*args, api_name="/feedback")
    print(f"3 x 5 MB feedback refused in {time.monotonic() - started:.2f} s")
    limit = server.settings.max_question_chars
    with pytest.raises(AppError, match="the question is 4,001 characters long"):
        server.client.predict("q" * (limit + 1), "A.", False, "", api_name="/feedback")
    assert feedback_lines(server.settings) == before
    stored = server.client.predict("q" * limit, "a" * server.settings.max_answer_chars, True,
                                   "c" * server.settings.max_comment_chars, api_name="/feedback")
    assert feedback_lines(server.settings)[-1]["id"] == stored["id"]
    # a question too long to ask is refused before it is answered or logged as a gap
    unanswered = server.settings.data_dir / "unanswered.jsonl"
    logged = unanswered.read_text(encoding="utf-8") if unanswered.is_file() else ""
    with pytest.raises(AppError, match="the question is 5,000,000 characters long"):
        server.client.predict(huge, "", "", "", "", api_name="/ask")
    assert (unanswered.read_text(encoding="utf-8") if unanswered.is_file() else "") == logged


def test_oversize_thumbs_and_comments_are_refused_by_the_handlers(server: Server) -> None:
    app = server.app.chat
    before = feedback_lines(server.settings)
    chat = [{"role": "user", "content": "Q" * 4001}, {"role": "assistant", "content": "A."}]
    like = gr.LikeData(None, {"index": 1, "value": "A.", "liked": False})
    with pytest.raises(gr.Error, match="the question is 4,001 characters long"):
        app.on_like(chat, {}, "", like)
    chat[0]["content"] = "Who rents drones?"
    with pytest.raises(gr.Error, match="the comment is 4,001 characters long"):
        app.on_like(chat, {}, "c" * 4001, like)
    _, feedback_id, _ = app.on_like(chat, {}, "", like)
    with pytest.raises(gr.Error, match="the comment is 4,001 characters long"):
        app.add_comment("c" * 4001, feedback_id)
    assert [r["comment"] for r in feedback_lines(server.settings)[len(before):]] == [""]
    with pytest.warns(UserWarning, match="the question is 4,001 characters long"):
        list(app.respond("Q" * 4001, [], "Answer", [], None, None, None, None, {}))


# ---------------------------------------------------------------- uploads in Gradio's cache


def test_uploaded_files_are_no_longer_served_from_gradios_cache(server: Server) -> None:
    uploaded = cache_upload(server, "psi-note.md", NEW_DOC.replace("Omega", "Psi"))
    cached = uploaded.json()[0]
    served = f"{server.url}gradio_api/file={cached}"
    assert httpx.get(served, timeout=30).status_code == 200  # before the Add button
    message = server.client.predict([file_data(cached, "psi-note.md")], "", api_name="/upload")
    assert "`psi-note.md`" in message
    assert httpx.get(served, timeout=30).status_code in (403, 404)
    assert not Path(cached).exists()
    corpus_copy = server.settings.corpus_dir / "psi-note.md"
    assert corpus_copy.is_file()  # the corpus is not served either, before or after removal
    assert httpx.get(f"{server.url}gradio_api/file={corpus_copy}",
                     timeout=30).status_code in (403, 404)
    # a refused upload (the same content again) is discarded from the cache too
    again = cache_upload(server, "psi-again.md", NEW_DOC.replace("Omega", "Psi")).json()[0]
    with pytest.raises(AppError, match="already in the corpus as psi-note.md"):
        server.client.predict([file_data(again, "psi-again.md")], "", api_name="/upload")
    assert httpx.get(f"{server.url}gradio_api/file={again}", timeout=30).status_code in (403,
                                                                                         404)
    summary = server.client.predict("psi-note.md", "", api_name="/remove_document")
    assert "Moved `psi-note.md` to the trash" in summary and not corpus_copy.exists()
    assert httpx.get(f"{server.url}gradio_api/file={corpus_copy}",
                     timeout=30).status_code in (403, 404)


def test_in_process_uploads_keep_the_callers_file(server: Server, tmp_path: Path) -> None:
    own = tmp_path / "chi-note.md"
    own.write_text(NEW_DOC.replace("Omega", "Chi"), encoding="utf-8")
    assert "`chi-note.md`" in server.app.documents.upload([str(own)], "")
    assert own.is_file()
    server.app.documents.api_remove_document("chi-note.md", "")
