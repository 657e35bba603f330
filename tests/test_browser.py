"""End to end in a browser: Debian's Chromium, headless, driven by Playwright.

The app runs over an index of the sample corpus's Markdown documents and one PDF. The tests ask
two questions and open the first answer's [1] (its passage highlighted), open a PDF source at
its page, reload and find the conversation, export it, rate an answer, upload a document and
watch a live progress bar while the index is updated, are refused the insights without the
password, and see the interface in German. Screenshots go to ``tests/screenshots/``; the chat
at desktop and at phone width (390 px) are copied to ``docs/`` for the README.
"""

from __future__ import annotations

import json
import re
import shutil
import time
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
PDF = "fjordheim-health-cluster-income-report-2021-2024.pdf"
FIRST = "Which services do cluster members value most?"
SECOND = "How did the number of Fjordheim Health Cluster members change from 2021 to 2024?"
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
#: Small documents added at once so that an index update lasts long enough to be watched.
BULK = 150

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not on PATH: install it with "
                       "`apt-get install chromium` (CI does)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, embeddings) -> Iterator[Server]:
    """The app over the sample corpus's Markdown documents and one PDF report."""
    root = tmp_path_factory.mktemp("browser")
    corpus = root / "corpus"
    corpus.mkdir()
    for path in [*(ROOT / "corpus").glob("*.md"), ROOT / "corpus" / PDF,
                 ROOT / "corpus" / f"{PDF}.meta.yaml", ROOT / "corpus" / ".clusterbotignore"]:
        if path.is_file():
            shutil.copy(path, corpus / path.name)
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=root / "index",
                                 data_dir=root / "data")
    Bot(settings, embeddings).index()
    started = launch(settings, embeddings)
    yield started
    started.demo.close()
    started.bot.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def context(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US",
                                  accept_downloads=True)
    context.set_default_timeout(60_000)
    yield context
    context.close()


def ask(page, question: str, answers: int) -> None:
    from playwright.sync_api import expect

    page.locator("#question textarea").fill(question)
    page.locator("#ask-button").click()
    expect(page.locator("#chat .bot details.sources")).to_have_count(answers)


def test_citations_pdf_reload_export_and_phone(server: Server, context, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto(server.url)
    expect(page.get_by_text("clusterbot", exact=True)).to_be_visible()
    page.locator("#filter-country input").click()  # the filters are filled from the index
    expect(page.get_by_role("option", name="Germany")).to_be_visible()
    page.keyboard.press("Escape")

    ask(page, FIRST, 1)
    ask(page, SECOND, 2)
    first, second = page.locator("#chat .bot").filter(has=page.locator("details.sources")).all()
    expect(second).to_contain_text("132")

    # [1] of the first answer, clicked after the second: the first answer's own passage
    first.locator("a.cite").first.click()
    target = first.locator("a.cite").first.get_attribute("href")
    passage = page.locator(target)
    expect(passage).to_be_visible()
    expect(passage).to_have_class(re.compile(r"\bactive\b"))
    assert first.locator(target).count() == 1  # it sits under the first answer
    expect(passage.locator("mark").first).to_be_visible()
    assert passage.locator("mark").first.inner_text() in page.evaluate(
        "(sel) => document.querySelector(sel).innerText", target)
    page.screenshot(path=str(SCREENSHOTS / "passage.png"))

    # the PDF source opens at its page, served from the corpus
    second.locator("details.sources > summary").click()
    link = second.locator(f"a.passage-file[href*='{PDF}#page=']").first
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    page_number = int(re.search(r"#page=(\d+)$", href)[1])
    assert page_number == 2
    with page.expect_popup() as popup_info:
        link.click()
    popup = popup_info.value
    assert popup.url.endswith(f"/corpus/{PDF}#page=2")
    popup.close()
    served = page.request.get(server.url.rstrip("/") + href.split("#")[0])
    assert served.status == 200 and served.headers["content-type"] == "application/pdf"
    assert served.body() == (server.settings.corpus_dir / PDF).read_bytes()
    assert page.request.get(server.url + "corpus/../../etc/passwd").status == 404
    assert page.request.get(server.url + f"corpus/{PDF}.meta.yaml").status == 404

    page.locator("#chat .user").nth(1).evaluate(
        "element => { element.scrollIntoView({block: 'start'}); window.scrollTo(0, 0); }")
    page.screenshot(path=str(SCREENSHOTS / "chat.png"))

    # a reload keeps the conversation; it is listed among the past ones
    page.reload()
    expect(page.locator("#chat .bot details.sources")).to_have_count(2)
    expect(page.locator("#chat")).to_contain_text(FIRST)
    expect(page.locator("#past input")).to_have_value(re.compile(re.escape(FIRST[:30])))

    # export as Markdown, with the sources
    with page.expect_download() as download_info:
        page.locator("#export").click()
    exported = tmp_path / "conversation.md"
    download_info.value.save_as(exported)
    text = exported.read_text(encoding="utf-8")
    assert f"## {FIRST}" in text and f"## {SECOND}" in text
    assert "**Sources**" in text and f"`{PDF}`, " in text and "page 2" in text

    # at phone width an answer is followed by its own sources
    phone = context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(server.url)
    expect(phone.locator("#chat .bot details.sources")).to_have_count(2)
    answer = phone.locator("#chat .bot").filter(has=phone.locator("details.sources")).first
    text_box = answer.locator("p").first.bounding_box()
    sources_box = answer.locator("details.sources").bounding_box()
    assert 0 <= sources_box["y"] - (text_box["y"] + text_box["height"]) < 400
    phone.screenshot(path=str(SCREENSHOTS / "chat-phone.png"))
    phone.close()

    # a new conversation; the old one can be reopened from the list
    page.locator("#new-conversation").click()
    expect(page.locator("#chat .bot")).to_have_count(0)
    page.locator("#past input").click()
    page.get_by_role("option", name=re.compile(re.escape(FIRST[:30]))).click()
    expect(page.locator("#chat .bot details.sources")).to_have_count(2)

    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    shutil.copy(SCREENSHOTS / "chat.png", docs / "screenshot.png")
    shutil.copy(SCREENSHOTS / "chat-phone.png", docs / "screenshot-phone.png")
    page.close()


def test_rate_upload_and_watch_the_index_update(server: Server, context,
                                                tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto(server.url)
    page.locator("#new-conversation").click()
    ask(page, FIRST, 1)

    # thumbs down with a comment: stored in the data folder
    page.get_by_label("Comment on an answer (optional)").fill("I hoped for prices")
    page.locator("#chat").get_by_label("Dislike").last.click()
    expect(page.locator("#feedback-status")).to_contain_text("Thanks")
    feedback = server.settings.data_dir / "feedback.jsonl"
    record = json.loads(feedback.read_text(encoding="utf-8").splitlines()[-1])
    assert (record["question"], record["liked"], record["comment"]) == (
        FIRST, False, "I hoped for prices")

    # upload a document: listed as new
    page.get_by_role("tab", name="Documents").click()
    table = page.locator("#documents-table")
    expect(table).to_contain_text("cluster-service-portfolio-guide.md")
    upload = tmp_path / "zeta robotics profile.md"
    upload.write_text(UPLOAD, encoding="utf-8")
    page.locator("#upload input[type=file]").set_input_files(str(upload))
    # the file component shows the extension apart ("zeta robotics profile .md")
    expect(page.locator("#upload")).to_contain_text(re.compile(r"zeta robotics profile\s*\.md"))
    page.locator("#add-button").click()
    expect(page.locator("#documents-result")).to_contain_text("Added to the corpus")
    expect(table).to_contain_text("new: click Update index")

    # many small documents: the update lasts long enough to watch its progress bar
    for n in range(BULK):
        (server.settings.corpus_dir / f"bulk-{n:03}.md").write_text(
            f"# Bulk note {n}\n\nThe bulk cluster number {n} meets on day {n % 28 + 1} of "
            f"each month to discuss topic {n * 7 % 13}.\n", encoding="utf-8")
    page.locator("#update-button").click()
    expect(page.locator("#documents-result")).to_have_text("")  # the last status is cleared
    seen: list[int] = []
    deadline = time.monotonic() + 120
    result = page.locator("#documents-result")
    while time.monotonic() < deadline and "Update finished" not in result.inner_text():
        value = page.evaluate("() => document.querySelector('#documents-progress progress')"
                              "?.getAttribute('value')")
        if value is not None:
            seen.append(int(value))
            if 0 < seen[-1] < 100 and not any(0 < v < 100 for v in seen[:-1]):
                page.screenshot(path=str(SCREENSHOTS / "documents-progress.png"))
        time.sleep(0.1)
    expect(result).to_contain_text(f"{BULK + 1} added")
    assert any(0 < v < 100 for v in seen), seen
    assert seen == sorted(seen)  # the bar only moves forward

    # remove asks first, then moves the file to the trash, from where it comes back
    page.locator("#remove-choice input").click()
    page.keyboard.type("zeta-robotics")
    page.keyboard.press("Enter")
    expect(page.locator("#remove-choice input")).to_have_value("zeta-robotics-profile.md")
    page.locator("#remove-button").click()
    expect(page.locator("#confirm-text")).to_contain_text("Remove zeta-robotics-profile.md?")
    assert (server.settings.corpus_dir / "zeta-robotics-profile.md").is_file()
    page.locator("#confirm-remove").click()
    expect(result).to_contain_text("Moved zeta-robotics-profile.md to the trash")
    expect(result).to_contain_text("1 removed")
    assert not (server.settings.corpus_dir / "zeta-robotics-profile.md").exists()
    page.locator("#trash-choice input").click()
    page.keyboard.type("zeta-robotics")
    page.keyboard.press("Enter")
    page.locator("#restore-button").click()
    expect(result).to_contain_text("Restored zeta-robotics-profile.md")
    expect(result).to_contain_text("1 added")
    page.screenshot(path=str(SCREENSHOTS / "documents.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SCREENSHOTS / "documents-phone.png"), full_page=True)

    # rebuild asks first; cancelling changes nothing
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.locator("#rebuild-button").click()
    expect(page.locator("#confirm-text")).to_contain_text("Rebuild the whole index?")
    page.locator("#confirm-cancel").click()
    expect(page.locator("#confirm")).to_be_hidden()

    # the insights list the thumbs-down question (this machine, no password)
    page.get_by_role("tab", name="Insights").click()
    expect(page.locator("#insights")).to_contain_text(FIRST)
    expect(page.locator("#insights")).to_contain_text("I hoped for prices")
    page.close()


def test_insights_need_the_password_and_german_text(server: Server, browser,
                                                    embeddings) -> None:
    from playwright.sync_api import expect

    protected = launch(server.settings.replace(admin_password="open sesame"), embeddings)
    try:
        protected.client.predict("Which drones does Omega rent?", "No idea.", False, "",
                                 api_name="/feedback")
        context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                      locale="de-DE")
        page = context.new_page()
        page.goto(protected.url)
        expect(page.get_by_role("tab", name="Dokumente")).to_be_visible()  # German interface
        page.get_by_role("tab", name="Einblicke").click()
        expect(page.locator("#insights")).to_contain_text("wrong or missing admin password")
        page.get_by_role("tab", name="Dokumente").click()
        page.locator("#admin-password input").fill("open sesame")
        page.get_by_role("tab", name="Einblicke").click()
        expect(page.locator("#insights")).to_contain_text("Which drones does Omega rent?")
        context.close()
    finally:
        protected.demo.close()
        protected.bot.close()
