"""The web app: a Gradio chat over a ``Bot``, with Documents, Insights and an API.

    from bot.web import build_app, serve
    serve(Settings.from_env())           # what `python app.py` and `clusterbot serve` do

Each tab is a module of ``bot.webapp`` whose handlers are plain functions over the library
(``chat``, ``compare``, ``documents`` with ``changes``, ``insights``); this module lays the tabs
out and starts the server. Who may call which handler, and from where, is decided by
``bot.access`` (its docstring is the security model). ``GET /corpus/<source>`` serves the
original documents (``bot.webapp.passages``), behind the same Host/Origin check as the rest of
the app.

Documented API endpoints (see "Use via API" at the bottom of the page)::

    /ask(question, cluster, country, topic, year, language) -> {"answer", "abstained", "query",
                                                                "sources"}
    /compare(question, clusters)                  -> [{"cluster", "summary", "source_title", ...}]
    /documents(password)                          -> [{"source", "title", "cluster", ...}]
    /upload(files, password)                      -> message
    /update_index(password), /rebuild_index(password) -> summary of the run
    /remove_document(source, password)            -> what was moved to the trash, and the run
    /feedback(question, answer, liked, comment)   -> the stored entry
    /insights(password)                           -> gaps by topic
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from .access import HostGuard
from .api import Bot
from .config import Settings
from .generations import current_generation
from .jobs import IndexRunner
from .uploads import is_loopback
from .webapp.chat import MODES, ChatTab
from .webapp.common import Context
from .webapp.documents import DocumentsTab
from .webapp.i18n import translations
from .webapp.insights import InsightsTab
from .webapp.passages import corpus_route

__all__ = ["MODES", "WebApp", "build_app", "launch_options", "prepare", "serve"]

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "webapp" / "static"
SECRET_FILE = "browser-state.key"


def browser_secret(settings: Settings) -> str:
    """The key the browser's saved conversations are sealed with, kept in the data folder so
    they survive a restart."""
    path = settings.data_dir / SECRET_FILE
    if not path.is_file():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


class WebApp:
    """The tabs of the web app over one ``Bot``; ``build()`` lays them out."""

    def __init__(self, bot: Bot, runner: IndexRunner | None = None):
        self.ctx = Context(bot, runner)
        self.bot, self.settings, self.runner = bot, bot.settings, self.ctx.runner
        self.chat = ChatTab(self.ctx)
        self.documents = DocumentsTab(self.ctx)
        self.insights = InsightsTab(self.ctx)

    def filter_updates(self) -> tuple:
        """Dropdown updates with the index's filter values (clusters only; no blanks)."""
        facets = self.ctx.facets()
        return (gr.Dropdown(choices=self.chat.compare.clusters()),
                *(gr.Dropdown(choices=[str(v) for v in facets[key] if str(v).strip()])
                  for key in ("country", "topic", "year", "language")))

    def on_load(self):
        """Fill the filters and the status line when a page opens."""
        status = self.ctx.index_status()
        return (gr.Markdown(status, visible=bool(status)),
                gr.Timer(active=self.runner.status().running), *self.filter_updates())

    def on_tick(self):
        """While an index run lasts: refresh the status line; at its end, the filters too."""
        running = self.runner.status().running
        status = self.ctx.index_status()
        filters = (gr.skip(),) * 5 if running else self.filter_updates()
        return gr.Markdown(status, visible=bool(status)), gr.Timer(active=running), *filters

    def build(self) -> gr.Blocks:
        """The Gradio Blocks of the app (call ``.queue()`` and ``.launch()`` on it)."""
        t = gr.I18n(**translations())
        private = {"api_visibility": "private"}
        chat_limit = {"concurrency_limit": self.settings.concurrency, "concurrency_id": "chat"}
        with gr.Blocks(title="clusterbot") as demo:
            # the endpoints first, so that they keep their names (events take unique ones)
            gr.api(self.chat.api_ask, api_name="ask", **chat_limit)
            gr.api(self.chat.compare.api_compare, api_name="compare", **chat_limit)
            gr.api(self.chat.api_feedback, api_name="feedback")
            gr.api(self.documents.api_documents, api_name="documents")
            index = {"concurrency_limit": None, "concurrency_id": "index"}
            gr.api(self.documents.api_update_index, api_name="update_index", **index)
            gr.api(self.documents.api_rebuild_index, api_name="rebuild_index", **index)
            gr.api(self.documents.api_remove_document, api_name="remove_document", **index)
            gr.api(self.insights.api_insights, api_name="insights")
            gr.Markdown(t("intro"), elem_id="intro")
            status_line = gr.Markdown(visible=False, elem_id="index-status")
            timer = gr.Timer(1.0, active=False)
            with gr.Tab(t("tab_chat"), id="chat"):
                filters = self.chat.build(demo, t, browser_secret(self.settings))
            with gr.Tab(t("tab_documents"), id="documents"):
                password, lists = self.documents.build(t, (self.filter_updates, None, filters))
            with gr.Tab(t("tab_insights"), id="insights") as insights_tab:
                gaps = self.insights.build(t, password)
            insights_tab.select(self.insights.view, [password], [gaps], **private)
            demo.load(self.on_load, None, [status_line, timer, *filters], **private)
            if not self.ctx.password_required:
                demo.load(self.documents.initial_documents, None, lists, **private)
            timer.tick(self.on_tick, None, [status_line, timer, *filters], **private)
        return demo


def build_app(bot: Bot, runner: IndexRunner | None = None) -> gr.Blocks:
    """The Gradio app over ``bot``, queued with the settings' concurrency and queue size."""
    s = bot.settings
    demo = WebApp(bot, runner).build()
    demo.queue(default_concurrency_limit=s.concurrency, max_size=s.max_queue)
    return demo


def launch_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of ``demo.launch`` for ``settings``."""
    return {
        "server_name": settings.host,
        "server_port": settings.port,
        "max_file_size": int(settings.max_upload_mb * 1024 * 1024),
        "app_kwargs": {"middleware": [Middleware(HostGuard, settings=settings)],
                       "routes": [corpus_route(settings)]},
        "footer_links": ["api"],
        "theme": gr.themes.Soft(),
        "css": (STATIC / "app.css").read_text(encoding="utf-8"),
        "js": (STATIC / "app.js").read_text(encoding="utf-8"),
        "i18n": gr.I18n(**translations()),
        "quiet": True,
    }


def prepare(settings: Settings) -> tuple[Bot, IndexRunner]:
    """A bot ready to answer: the index opened and the model loaded, or, when there is no
    index yet, a build of it started in the background (its progress is logged and shown)."""
    bot = Bot(settings)
    runner = IndexRunner(bot)
    if current_generation(settings.index_dir) is None:
        log.info("no index in %s: building it from %s (progress below and in the browser)",
                 settings.index_dir, settings.corpus_dir)
        runner.start()
    else:
        bot.search  # noqa: B018 - opens the index and loads the embedding model now
        bot.answerer  # noqa: B018
    if not settings.admin_password and not is_loopback(settings.host):
        log.warning("listening on %s without BOT_ADMIN_PASSWORD: changing documents is "
                    "disabled; set BOT_ADMIN_PASSWORD to enable it", settings.host)
    return bot, runner


def serve(settings: Settings | None = None, block: bool = True):
    """Start the web app on ``settings.host:settings.port``; return (app, url) unless blocking."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = settings or Settings.from_env()
    bot, runner = prepare(settings)
    demo = build_app(bot, runner)
    _, url, _ = demo.launch(prevent_thread_lock=True, **launch_options(settings))
    log.info("clusterbot is ready at %s", url)
    if not block:
        return demo, url
    try:
        demo.block_thread()
    finally:
        bot.close()
    return demo, url
