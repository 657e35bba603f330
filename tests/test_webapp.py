"""The web app's handlers and helpers without a browser: passages, rendering, saved
conversations, progress, filters, and the corpus files route over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot import Bot, Settings
from bot.answering import Answer, Source
from bot.jobs import JobStatus
from bot.web import WebApp
from bot.webapp import conversations
from bot.webapp.changes import percent, progress_html
from bot.webapp.chat import plain_history
from bot.webapp.common import filters_from
from bot.webapp.i18n import translations
from bot.webapp.passages import (
    Passage,
    cited_sentences,
    claims_citing,
    corpus_file,
    file_url,
    find_passages,
)
from bot.webapp.render import answer_message, highlighted, plain_text, searched_for

from .conftest import write_corpus
from .webserver import Server, launch


def _passage(n: int = 1, **kw) -> Passage:
    data = {"n": n, "title": "Alpha profile", "source": "alpha.pdf", "cluster": "Alpha",
            "section": "Income", "page": 3, "rank": 1, "cited": True,
            "text": "Fees bring 40%.\nA small company pays 450 euros.", "quotes": []}
    return Passage(**{**data, **kw})


# ---------------------------------------------------------------- passages and rendering


def test_claims_and_the_sentences_they_cite() -> None:
    text = "Members pay 450 euros a year. [1] Funding covers 35% [2]. Both help [1] [2]."
    assert claims_citing(text, 1) == ["Members pay 450 euros a year.", "Both help."]
    assert claims_citing(text, 2) == ["Funding covers 35%.", "Both help."]
    chunk = ("Membership fees bring 40% of the budget. A small company pays 450 euros a year "
             "to join.\nRegional funding covers 35%.")
    assert cited_sentences(chunk, ["A small company pays 450 euros a year."]) == [
        "A small company pays 450 euros a year to join."]
    assert cited_sentences(chunk, ["Something else entirely."]) == []


LONG = """\
---
title: Omega Drone Cluster profile
cluster: Omega Drone Cluster
country: Estonia
year: 2024
type: profile
---
# Omega Drone Cluster profile

## Membership
""" + " ".join(f"Working group {n} of the Omega Drone Cluster meets every month in Tartu."
               for n in range(1, 8)) + " A small company pays 640 euros a year to join.\n"


def test_find_passages_gives_the_whole_chunk_with_the_cited_sentence(
        tmp_path: Path, embeddings) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "omega.md").write_text(LONG, encoding="utf-8")
    bot = Bot(Settings.from_env(env={}, corpus_dir=corpus, index_dir=tmp_path / "index"),
              embeddings)
    bot.index()
    answer = bot.ask("How much does a small company pay to join the Omega Drone Cluster?")
    assert "640 euros" in answer.text
    passages = find_passages(bot, answer)
    assert [p.n for p in passages] == [s.n for s in answer.sources]
    omega = next(p for p in passages if p.cited)
    source = next(s for s in answer.sources if s.n == omega.n)
    assert source.excerpt.endswith("…") and "640" not in source.excerpt
    assert omega.text.startswith("Working group 1") and omega.text.endswith("to join.")
    assert omega.quotes == ["A small company pays 640 euros a year to join."]
    assert sorted(p.rank for p in passages) == list(range(1, len(passages) + 1))


def test_a_chunk_no_longer_indexed_falls_back_to_the_excerpt(bot: Bot) -> None:
    gone = Source(n=1, source="gone.md", title="Gone", cluster=None, page=None, section=None,
                  score=0.5, excerpt="An excerpt that was kept…", chunk_id="no-such-chunk")
    [passage] = find_passages(bot, Answer("It was said. [1]", False, [gone]))
    assert passage.text == "An excerpt that was kept…" and passage.quotes == []


def test_a_passage_addressed_to_assistants_is_flagged_in_its_card(bot: Bot) -> None:
    sources = [Source(n=n, source="a.md", title="A", cluster=None, page=None, section=None,
                      score=0.5, excerpt=f"Excerpt {n}") for n in (1, 2)]
    answer = Answer("It was said. [1]", False, sources, {"instruction_like_sources": [2]})
    plain, flagged = find_passages(bot, answer)
    assert not plain.instruction_like and flagged.instruction_like
    content = answer_message(answer.text, [plain, flagged], "abc")
    assert content.count("holds text addressed to AI assistants (ignored)") == 1


def test_answer_message_links_each_marker_to_its_passage() -> None:
    p = _passage(quotes=["A small company pays 450 euros."])
    content = answer_message("It costs 450 euros. [1] See [7].", [p], "abc123",
                             query="What does Alpha cost?", question="And Alpha?")
    assert '<a class="cite" href="#p-abc123-1">[1]</a>' in content
    assert "See [7]." in content  # no such source: left as it is
    assert '<div class="passage cited" id="p-abc123-1">' in content
    assert "<mark>A small company pays 450 euros.</mark>" in content
    assert 'href="/corpus/alpha.pdf#page=3"' in content and "page 3 · best match" in content
    assert "Searched for: “What does Alpha cost?”" in content
    assert "\n" not in content.split("\n\n", 2)[-1]  # the block is one line of HTML
    assert plain_text(content) == "It costs 450 euros. [1] See [7]."
    assert searched_for("and alpha?", "And  Alpha?") == ""


def test_passage_text_is_escaped() -> None:
    assert highlighted("<script>x</script>\nB & C.", ["B & C."]) == (
        "&lt;script&gt;x&lt;/script&gt;<br><mark>B &amp; C.</mark>")
    assert file_url("a b.pdf", 2) == "/corpus/a%20b.pdf#page=2"
    assert file_url("notes.md", 2) == "/corpus/notes.md"


def test_history_for_the_bot_has_no_sources_blocks() -> None:
    content = answer_message("It costs 450 euros. [1]", [_passage()], "x1")
    assert plain_history([{"role": "user", "content": "Cost?"},
                          {"role": "assistant", "content": content}]) == [
        {"role": "user", "content": "Cost?"},
        {"role": "assistant", "content": "It costs 450 euros. [1]"}]


# ---------------------------------------------------------------- saved conversations


def test_conversations_are_saved_listed_reopened_and_exported(tmp_path: Path) -> None:
    content = answer_message("It costs 450 euros. [1]", [_passage(quotes=["It costs."])], "x1")
    messages = [{"role": "user", "content": "What does Alpha cost?"},
                {"role": "assistant", "content": content}]
    answers = {"1": {"question": "What does Alpha cost?", "answer": "It costs 450 euros. [1]",
                     "query": "What does the Alpha cluster cost?",
                     "sources": [_passage(quotes=["It costs."]).to_dict()]}}
    saved = conversations.save({}, "c1", messages, answers)
    saved = conversations.save(saved, "c2", [], {})  # an empty conversation is not kept
    assert saved["current"] == "c2" and list(saved["conversations"]) == ["c1"]
    assert [i for _, i in conversations.choices(saved)] == ["c1"]
    assert conversations.load(saved).messages == []  # the current one is new and empty
    reopened = conversations.load(saved, "c1")
    assert (reopened.messages, reopened.answers) == (messages, answers)
    markdown = conversations.export_markdown(messages, answers)
    assert markdown.startswith("# What does Alpha cost?")
    assert "## What does Alpha cost?\n\nIt costs 450 euros. [1]\n" in markdown
    assert "_Searched for: What does the Alpha cluster cost?_" in markdown
    assert "- [1] Alpha profile (`alpha.pdf`, Income, page 3)\n  > It costs." in markdown
    assert "<details" not in markdown
    many = {}
    for n in range(conversations.MAX_CONVERSATIONS + 3):
        many = conversations.save(many, f"c{n}", messages, answers)
    assert len(many["conversations"]) == conversations.MAX_CONVERSATIONS


# ---------------------------------------------------------------- documents and filters


def test_progress_runs_over_all_stages() -> None:
    assert progress_html(JobStatus()) == ""
    reading = JobStatus(running=True, stage="reading", done=5, total=10)
    embedding = JobStatus(running=True, stage="embedding", done=50, total=100)
    assert percent(reading) == 20 and percent(embedding) == 65
    html = progress_html(embedding)
    assert '<progress value="65" max="100"' in html
    assert "Updating the index: Embedding chunks 50/100" in html
    assert "Rebuilding" in progress_html(JobStatus(running=True, rebuild=True))


def test_filters_and_facets_have_no_blank_values(bot: Bot) -> None:
    assert filters_from(["A", " "], "", None, ["2023"], "de") == {
        "cluster": "A", "year": "2023", "language": "de"}
    app = WebApp(bot)
    clusters, country, topic, year, language = app.filter_updates()
    assert clusters.choices[0][0] == "Alpha Bio Cluster"
    for dropdown in (clusters, country, topic, year, language):
        assert all(str(value).strip() for _, value in dropdown.choices)
    assert ("en", "en") in language.choices


def test_every_interface_text_is_in_english_and_german() -> None:
    texts = translations()
    assert set(texts) == {"en", "de"} and set(texts["de"]) == set(texts["en"])
    assert texts["de"]["tab_documents"] == "Dokumente"


# ---------------------------------------------------------------- the corpus files route


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, embeddings) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("files")
    corpus = write_corpus(root / "corpus")
    (corpus / "guide.pdf").write_bytes(b"%PDF-1.4 not really")
    (corpus / "page.html").write_text("<script>alert(1)</script>", encoding="utf-8")
    (corpus / ".hidden.md").write_text("# hidden", encoding="utf-8")
    (root / "secret.md").write_text("# secret", encoding="utf-8")
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=root / "index",
                                 data_dir=root / "data")
    started = launch(settings, embeddings)
    yield started
    started.demo.close()
    started.bot.close()


def test_corpus_files_are_served_and_nothing_else(server: Server) -> None:
    base = server.url.rstrip("/")
    pdf = httpx.get(f"{base}/corpus/guide.pdf", timeout=30)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content == b"%PDF-1.4 not really"
    md = httpx.get(f"{base}/corpus/alpha-profile.md", timeout=30)
    assert md.headers["content-type"].startswith("text/plain") and "450 euros" in md.text
    page = httpx.get(f"{base}/corpus/page.html", timeout=30)  # never run as this site's page
    assert page.headers["content-type"].startswith("text/plain")
    assert page.headers["content-security-policy"] == "sandbox"
    for path in ("gamma-report.txt.meta.yaml", ".hidden.md", "../secret.md", "%2e%2e/secret.md",
                 "..%2fsecret.md", "/etc/passwd", "nothing.md"):
        assert httpx.get(f"{base}/corpus/{path}", timeout=30).status_code == 404, path
    assert corpus_file(server.settings, "../secret.md") is None
    evil = httpx.get(f"{base}/corpus/alpha-profile.md", headers={"Host": "evil.example"},
                     timeout=30)
    assert evil.status_code == 403  # the Host/Origin guard covers the route


def test_routine_mistakes_are_messages_without_a_traceback(server: Server) -> None:
    import gradio as gr

    mistakes = [lambda: server.app.chat.add_comment("", "some-id"),
                lambda: server.app.chat.add_comment("Very useful", None),
                lambda: server.app.documents.upload([], "")]
    for mistake in mistakes:
        with pytest.raises(gr.Error) as raised:
            mistake()
        assert raised.value.print_exception is False, raised.value.message
