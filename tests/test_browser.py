"""End to end in a browser: Debian's Chromium, headless, driven by Playwright.

The app runs over an index of the sample corpus's Markdown documents. The test asks a question,
sees the answer and its source cards, rates the answer, uploads a document, sees it listed,
indexes it and opens the insights. Screenshots go to ``tests/screenshots/``; the chat one is
copied to ``docs/screenshot.png`` for the README.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import Bot, Settings

from .webserver import Server, launch

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
QUESTION = "Which services do cluster members value most?"
UPLOAD = """\
---
title: Zeta Robotics Cluster profile
cluster: Zeta Robotics Cluster
country: Finland
year: 2024
type: profile
topics: [services]
---
# Zeta Robotics Cluster profile

The Zeta Robotics Cluster runs a robot testing lab that members rent for 80 euros an hour.
"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not on PATH: install it with "
                       "`apt-get install chromium` (CI does)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, embeddings) -> Iterator[Server]:
    """The app over the sample corpus's Markdown documents (a quick index with real content)."""
    root = tmp_path_factory.mktemp("browser")
    corpus = root / "corpus"
    corpus.mkdir()
    for path in (ROOT / "corpus").glob("*.md"):
        shutil.copy(path, corpus / path.name)
    ignore = ROOT / "corpus" / ".clusterbotignore"
    if ignore.is_file():
        shutil.copy(ignore, corpus / ignore.name)
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=root / "index",
                                 data_dir=root / "data")
    Bot(settings, embeddings).index()
    started = launch(settings, embeddings)
    yield started
    started.demo.close()
    started.bot.close()


@pytest.fixture(scope="module")
def page(server: Server):
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        try:
            yield page
        finally:
            browser.close()


def test_ask_rate_upload_and_index_in_the_browser(server: Server, page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page.goto(server.url)
    expect(page.get_by_text("clusterbot", exact=True)).to_be_visible()

    # the filters are filled from the index
    page.locator("#filter-country input").click()
    expect(page.get_by_role("option", name="Germany")).to_be_visible()
    page.keyboard.press("Escape")

    # ask: the answer streams into the chat, the source cards appear beside it
    page.locator("#question textarea").fill(QUESTION)
    page.locator("#ask-button").click()
    cards = page.locator(".source-card")
    expect(cards.first).to_be_visible()
    answer = page.locator("#chat .bot.message").last
    expect(answer).to_contain_text(re.compile(r"\[\d+\]"))
    assert cards.count() >= 1
    numbers = set(re.findall(r"\[(\d+)\]", answer.inner_text()))
    card_text = " ".join(cards.all_inner_texts())
    assert all(f"[{n}]" in card_text for n in numbers)  # every marker has its card
    page.screenshot(path=str(SCREENSHOTS / "chat.png"), full_page=True)

    # thumbs down with a comment: stored in the data folder
    page.get_by_label("Comment on an answer (optional)").fill("I hoped for prices")
    page.locator("#chat").get_by_label("Dislike").last.click()
    expect(page.locator("#feedback-status")).to_contain_text("Thanks")
    feedback = server.settings.data_dir / "feedback.jsonl"
    record = json.loads(feedback.read_text(encoding="utf-8").splitlines()[-1])
    assert (record["question"], record["liked"], record["comment"]) == (
        QUESTION, False, "I hoped for prices")

    # upload a document: it is listed as new, then indexed
    page.get_by_role("tab", name="Documents").click()
    expect(page.locator("#documents-table")).to_contain_text("cluster-service-portfolio-guide.md")
    upload = tmp_path / "zeta robotics profile.md"
    upload.write_text(UPLOAD, encoding="utf-8")
    page.locator("#upload input[type=file]").set_input_files(str(upload))
    expect(page.locator("#upload")).to_contain_text("zeta robotics profile.md")
    page.locator("#add-button").click()
    expect(page.locator("#documents-result")).to_contain_text("Added to the corpus")
    table = page.locator("#documents-table")
    expect(table).to_contain_text("zeta-robotics-profile.md")
    expect(table).to_contain_text("new: click Update index")
    page.screenshot(path=str(SCREENSHOTS / "documents-uploaded.png"))
    page.locator("#update-button").click()
    expect(page.locator("#documents-result")).to_contain_text("1 added", timeout=120_000)
    expect(table).to_contain_text("Zeta Robotics Cluster profile")
    page.screenshot(path=str(SCREENSHOTS / "documents-indexed.png"), full_page=True)

    # the new document answers, with its card
    page.get_by_role("tab", name="Chat").click()
    page.locator("#question textarea").fill("What does an hour in the robot testing lab cost?")
    page.locator("#ask-button").click()
    expect(page.locator("#chat .bot.message").last).to_contain_text("80 euros")
    expect(page.locator("#sources")).to_contain_text("Zeta Robotics Cluster profile")

    # insights list the thumbs-down question under its topic
    page.get_by_role("tab", name="Insights").click()
    expect(page.locator("#insights")).to_contain_text(QUESTION)
    expect(page.locator("#insights")).to_contain_text("I hoped for prices")
    page.screenshot(path=str(SCREENSHOTS / "insights.png"))

    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    shutil.copy(SCREENSHOTS / "chat.png", docs / "screenshot.png")
