"""The web app: a Gradio chat over a ``Bot``, with Documents, Insights and an API.

    from bot.web import build_app, serve
    serve(Settings.from_env())           # what `python app.py` and `clusterbot serve` do

Handlers stay thin: the work is done by ``Bot`` and by the UI-free modules ``compare``,
``feedback``, ``jobs`` and ``uploads``. Library errors become ``gr.Error`` or ``gr.Warning``
carrying their message, which says how to fix the problem. Who may call which handler, and
from where, is decided by ``bot.access`` (its docstring is the security model).

Documented API endpoints (see "Use via API" at the bottom of the page)::

    /ask(question, cluster, country, topic, year) -> {"answer", "abstained", "query", "sources"}
    /compare(question, clusters)                  -> [{"cluster", "summary", "source_title", ...}]
    /documents(password)                          -> [{"source", "title", "cluster", ...}]
    /upload(files, password)                      -> message
    /update_index(password), /rebuild_index(password) -> summary of the run
    /remove_document(source, password)            -> summary of the run
    /feedback(question, answer, liked, comment)   -> the stored entry
    /insights(password)                           -> gaps by topic
"""

from __future__ import annotations

import functools
import html
import inspect
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder
from starlette.middleware import Middleware

from .access import Gate, HostGuard, TooManyAttempts
from .answering import Answer
from .api import Bot
from .compare import MULTIPLE, clusters_to_compare, compare_clusters, rows_to_markdown
from .config import Settings
from .documents import iter_corpus
from .errors import AnswerError, BotError, ConfigError, EntryTooLong, IndexLocked, IndexNotFound
from .feedback import FeedbackEntry, FeedbackLimits, FeedbackStore, insights, insights_markdown
from .jobs import IndexRunner, JobStatus
from .store import current_generation
from .uploads import (
    ALLOWED_EXTENSIONS,
    AccessDenied,
    UploadRejected,
    is_loopback,
    remove_document,
    save_upload,
)

log = logging.getLogger(__name__)

EXAMPLES = [
    "Which services do cluster members value most?",
    "How do clusters combine membership fees, sponsorship and public funding?",
    "How can a cluster keep its members engaged?",
    "What does a small company pay to join a cluster?",
    "How do clusters help their members go international?",
]
MODES = ("Answer", "Compare clusters")
NO_ANSWER_HINT = (
    "\n\n_Try fewer filters or other words. The question is listed under **Insights**, so "
    "cluster managers can add a document that answers it._"
)
DOC_HEADERS = ["Title", "Cluster", "Type", "Chunks", "Last indexed", "File", "Status"]
DOC_WIDTHS = ["28%", "14%", "9%", "7%", "13%", "17%", "12%"]

CSS = """
.source-cards {display: flex; flex-direction: column; gap: 8px;}
.source-card {border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 8px 10px; background: var(--background-fill-secondary);}
.source-card.uncited {opacity: 0.7;}
.source-head {font-weight: 600;}
.source-n {color: var(--color-accent); margin-right: 4px;}
.source-meta {font-size: 0.85em; color: var(--body-text-color-subdued); margin: 2px 0 4px;}
.source-excerpt {font-size: 0.9em;}
"""


# ---------------------------------------------------------------- error translation


def _to_gradio_error(exc: Exception) -> gr.Error:
    if isinstance(exc, BotError):
        return gr.Error(str(exc), title=_title(exc), print_exception=False)
    log.exception("unexpected error in the web app")
    return gr.Error(f"something went wrong ({exc.__class__.__name__}: {exc}); the server log "
                    "has the details", print_exception=False)


def _title(exc: BotError) -> str:
    names = {TooManyAttempts: "Too many attempts", AccessDenied: "Not allowed",
             UploadRejected: "Upload refused", EntryTooLong: "Too long",
             IndexNotFound: "No index yet", IndexLocked: "Index busy"}
    return next((t for cls, t in names.items() if isinstance(exc, cls)), "Error")


def friendly(fn: Callable) -> Callable:
    """Wrap a handler (function or generator) so errors reach the user as ``gr.Error``."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any):
            try:
                yield from fn(*args, **kwargs)
            except gr.Error:
                raise
            except Exception as exc:
                raise _to_gradio_error(exc) from None

        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:
            raise _to_gradio_error(exc) from None

    return wrapper


# ---------------------------------------------------------------- rendering helpers


def filters_from(cluster: Any = None, country: Any = None, topic: Any = None,
                 year: Any = None) -> dict[str, Any]:
    """Bot filters from the UI/API values; empty values mean no filter."""
    values = {"cluster": cluster, "country": country, "topic": topic, "year": year}
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, (list, tuple)):
            value = [str(v).strip() for v in value if str(v).strip()]
            if len(value) == 1:
                value = value[0]
        elif value is not None:
            value = str(value).strip()
        if value:
            clean[key] = value
    return clean


def source_cards_html(answer: Answer | None) -> str:
    """The answer's sources as numbered cards (title, cluster, section or page, excerpt)."""
    if answer is None:
        return "<div class='source-cards empty'>Sources of the answer appear here.</div>"
    if answer.abstained or not answer.sources:
        return ("<div class='source-cards empty'>No indexed document answers this question."
                "</div>")
    cited = {s.n for s in answer.cited}
    cards = []
    for s in answer.sources:
        where = f"p. {s.page}" if s.page else (s.section or "")
        cluster = "several clusters" if s.cluster == MULTIPLE else s.cluster
        meta = " · ".join(html.escape(str(x)) for x in (cluster, where) if x)
        meta += f"{' · ' if meta else ''}score {s.score:.2f} · {html.escape(s.source)}"
        css = "source-card" if s.n in cited or not cited else "source-card uncited"
        cards.append(
            f"<div class='{css}' id='source-{s.n}'>"
            f"<div class='source-head'><span class='source-n'>[{s.n}]</span>"
            f"{html.escape(s.title)}</div>"
            f"<div class='source-meta'>{meta}</div>"
            f"<div class='source-excerpt'>{html.escape(s.excerpt)}</div></div>"
        )
    return "<div class='source-cards'>" + "".join(cards) + "</div>"


def message_text(content: Any) -> str:
    """The text of a chat message's content (a string or Gradio's list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    if isinstance(content, (list, tuple)):
        return "\n".join(message_text(part) for part in content if part is not None).strip()
    return ""


def plain_history(messages: list[dict] | None) -> list[dict[str, str]]:
    """Chatbot messages as the ``{"role", "content"}`` history ``Bot.ask`` takes."""
    history = []
    for m in messages or []:
        if m.get("role") in ("user", "assistant"):
            text = message_text(m.get("content"))
            if text:
                history.append({"role": m["role"], "content": text})
    return history


def report_markdown(status: JobStatus) -> str:
    """What an index run did: counts, then the files added, updated, removed and failed."""
    report = status.report
    if report is None:
        return ""
    lines = [f"**{'Rebuild' if status.rebuild else 'Update'} finished:** {report.summary()}"]
    for label, items in (("Added", report.added), ("Updated", report.updated),
                         ("Removed", report.removed)):
        if items:
            lines.append(f"- {label}: " + ", ".join(f"`{s}`" for s in items))
    for source, reason in report.failed:
        lines.append(f"- Failed: `{source}`: {reason}")
    return "\n".join(lines)


def discard_gradio_upload(path: Path) -> None:
    """Delete ``path`` (and its folder when left empty) if it is Gradio's copy of an upload,
    so ``/gradio_api/file=`` no longer serves it; other paths (in-process calls) are kept."""
    folder = Path(get_upload_folder()).resolve()
    path = path.resolve()
    if folder not in path.parents:
        return
    path.unlink(missing_ok=True)
    if path.parent != folder:
        try:
            path.parent.rmdir()
        except OSError:  # not empty: another upload of the same content is waiting there
            pass


# ---------------------------------------------------------------- the app


class WebApp:
    """The handlers of the web app over one ``Bot``; ``build()`` lays them out."""

    def __init__(self, bot: Bot, runner: IndexRunner | None = None):
        self.bot = bot
        self.settings: Settings = bot.settings
        self.runner = runner or IndexRunner(bot)
        self.feedback = FeedbackStore(self.settings.data_dir,
                                      FeedbackLimits.from_settings(self.settings))
        self.gate = Gate(self.settings)

    # -------------------------------------------------------------- shared state

    @property
    def password_required(self) -> bool:
        return bool(self.settings.admin_password)

    def facets(self) -> dict[str, list]:
        """The index's filter values, or empty lists while there is no index."""
        try:
            return self.bot.facets()
        except IndexNotFound:
            return {"cluster": [], "country": [], "topic": [], "year": [], "type": []}

    def index_status(self) -> str:
        """A line about the index for the top of the page (empty when all is well)."""
        status = self.runner.status()
        if status.running:
            progress = f"{status.stage or 'starting'} {status.done}/{status.total}"
            if current_generation(self.settings.index_dir) is None:
                return (f"**Building the index** from `{self.settings.corpus_dir}`: {progress}. "
                        "You can ask questions when it finishes.")
            return (f"**Updating the index:** {progress}. Answers use the current index until "
                    "the update finishes.")
        if current_generation(self.settings.index_dir) is None:
            reason = f" ({status.error})" if status.error else ""
            return (f"**There is no index yet**{reason}. Put documents into "
                    f"`{self.settings.corpus_dir}` and click **Update index** on the Documents "
                    "tab.")
        return ""

    def _not_ready(self) -> gr.Error:
        status = self.runner.status()
        if status.running:
            return gr.Error(f"the index is being built ({status.stage or 'starting'} "
                            f"{status.done}/{status.total}): ask again when it finishes",
                            title="Index not ready", print_exception=False)
        return gr.Error("there is no index yet: add documents on the Documents tab and click "
                        "Update index (or run `clusterbot index`)", title="No index yet",
                        print_exception=False)

    # -------------------------------------------------------------- chat

    @friendly
    def respond(self, question: str, messages: list[dict], mode: str, clusters: list[str] | None,
                country: str | None, topic: str | None, year: str | None,
                answers: dict | None):
        """Stream the answer to ``question`` into the chat; yield (chat, cards, answers, box).

        A problem (empty question, no index yet, a bad filter) shows as a warning; the chat is
        left as it was and the question stays in the box, ready to be sent again.
        """
        question = " ".join((question or "").split())
        history = plain_history(messages)
        answers = dict(answers or {})
        try:
            if not question:
                raise ConfigError("type a question first")
            self.feedback.limits.check(question=question)
            yield from self._answer_into_chat(question, history, mode, clusters, country, topic,
                                              year, answers)
        except BotError as exc:
            message = self._not_ready().message if isinstance(exc, IndexNotFound) else str(exc)
            gr.Warning(message, title=_title(exc))
            yield history, gr.skip(), answers, question

    def _answer_into_chat(self, question: str, history: list[dict], mode: str,
                          clusters: list[str] | None, country: str | None, topic: str | None,
                          year: str | None, answers: dict):
        chat = [*history, {"role": "user", "content": question},
                {"role": "assistant", "content": "…"}]
        if mode == MODES[1]:
            yield from self._compare_into_chat(question, chat, clusters,
                                               filters_from(None, country, topic, year), answers)
            return
        filters = filters_from(clusters, country, topic, year)
        yield chat, source_cards_html(None), answers, ""
        text, answer = "", None
        for item in self.bot.stream(question, history=history, filters=filters):
            if isinstance(item, Answer):
                answer = item
                break
            text += item
            chat[-1] = {"role": "assistant", "content": text}
            yield chat, gr.skip(), answers, ""
        if answer is None:
            raise AnswerError("the answer was cut short: ask again")
        content = answer.text
        if answer.abstained and not answer.metadata.get("filters_match_nothing"):
            self.feedback.add_unanswered(question, filters)
            content = f"**{answer.text}**{NO_ANSWER_HINT}"
        elif answer.abstained:
            content = f"**{answer.text}**"
        chat[-1] = {"role": "assistant", "content": content}
        answers[str(len(chat) - 1)] = {"question": question, "filters": filters,
                                       **answer.to_dict()}
        yield chat, source_cards_html(answer), answers, ""

    def _compare_into_chat(self, question: str, chat: list[dict], clusters: list[str] | None,
                           filters: dict[str, Any], answers: dict):
        names = clusters_to_compare(self.facets()["cluster"], clusters)
        chat[-1] = {"role": "assistant", "content": f"Comparing {len(names)} clusters…"}
        note = ("<div class='source-cards empty'>Compare mode: each row names its source "
                "document.</div>")
        yield chat, note, answers, ""
        rows = compare_clusters(self.bot, question, names, filters)
        if rows:
            content = (f"{len(rows)} of {len(names)} clusters have documents that answer:\n\n"
                       + rows_to_markdown(rows))
            answer_text = rows_to_markdown(rows)
        else:
            self.feedback.add_unanswered(question, {**filters, "mode": "compare"})
            answer_text = "None of the clusters' documents answer this question."
            content = f"**{answer_text}**{NO_ANSWER_HINT}"
        chat[-1] = {"role": "assistant", "content": content}
        answers[str(len(chat) - 1)] = {"question": question, "filters": filters,
                                       "answer": answer_text, "abstained": not rows,
                                       "sources": [r.to_dict() for r in rows]}
        yield chat, note, answers, ""

    @friendly
    def on_like(self, messages: list[dict], answers: dict | None, comment: str,
                data: gr.LikeData, request: gr.Request | None = None):
        """Store a thumbs up/down on an answer; return (status, feedback id, comment box)."""
        self.gate.check_public(request)
        index = data.index if isinstance(data.index, int) else data.index[0]
        if data.liked is None:  # the thumb was taken back
            return "Rating removed from the screen (stored ratings are kept).", None, comment
        entry = self._feedback_entry(messages, answers or {}, index, bool(data.liked), comment)
        self.feedback.add_feedback(entry)
        thanks = ("Thanks for the thumbs up!" if entry.liked else
                  "Thanks: this answer is now listed under Insights.")
        if not entry.comment:
            thanks += " Add a comment below if you like."
        return thanks, entry.id, ""

    def _feedback_entry(self, messages: list[dict], answers: dict, index: int, liked: bool,
                        comment: str) -> FeedbackEntry:
        stored = answers.get(str(index))
        if stored is None:  # an answer of an earlier session: take the texts from the chat
            question = next((message_text(m.get("content")) for m in reversed(messages[:index])
                             if m.get("role") == "user"), "")
            stored = {"question": question, "answer": message_text(messages[index]["content"]),
                      "abstained": False, "filters": {}, "sources": []}
        return FeedbackEntry(
            question=stored["question"], answer=stored["answer"], liked=liked,
            comment=(comment or "").strip(), abstained=bool(stored.get("abstained")),
            filters=stored.get("filters") or {},
            sources=[s.get("title") or s.get("source_title", "") for s in stored["sources"]],
        )

    @friendly
    def add_comment(self, comment: str, feedback_id: str | None,
                    request: gr.Request | None = None):
        """Attach the comment to the last rated answer; return (status, comment box)."""
        self.gate.check_public(request)
        if not (comment or "").strip():
            raise gr.Error("type a comment first", title="Empty comment")
        if not feedback_id:
            raise gr.Error("rate an answer with the thumbs under it first, then send the comment",
                           title="Nothing rated yet")
        self.feedback.add_comment(feedback_id, comment)
        return "Comment saved, thank you.", ""

    # -------------------------------------------------------------- documents

    @friendly
    def document_rows(self) -> list[list[Any]]:
        """One row per document in the index or the corpus folder, with its status: files that
        need an index update first, then the latest indexed, then by title."""
        try:
            indexed = self.bot.documents()
        except IndexNotFound:
            indexed = {}
        corpus = self.settings.corpus_dir
        on_disk = ({p.relative_to(corpus).as_posix() for p in iter_corpus(corpus)}
                   if corpus.is_dir() else set())
        rows = []
        for source, record in indexed.items():
            status = "indexed" if source in on_disk else "removed from corpus: update the index"
            rows.append([record.title, record.metadata.get("cluster", ""),
                         record.metadata.get("type", ""), len(record.chunk_ids),
                         record.indexed_at.replace("T", " ").replace("+00:00", " UTC"),
                         source, status])
        for source in sorted(on_disk - set(indexed)):
            rows.append(["", "", "", 0, "", source, "new: click Update index"])
        rows.sort(key=lambda r: (r[0] or r[5]).lower())
        rows.sort(key=lambda r: r[4], reverse=True)  # the latest indexed first
        rows.sort(key=lambda r: r[6] == "indexed")  # then what needs an index update first
        return rows

    @friendly
    def documents_view(self, password: str, request: gr.Request | None = None):
        """(table, remove choices) for the Documents tab."""
        self.gate.check_admin(password, request)
        rows = self.document_rows()
        sources = [r[5] for r in rows if not r[6].startswith("removed")]
        return rows, gr.Dropdown(choices=sources, value=None)

    @friendly
    def unlock(self, password: str, request: gr.Request | None = None):
        """Open the Documents tab for the right password."""
        rows, choices = self.documents_view(password, request)
        return gr.Column(visible=True), rows, choices

    def initial_documents(self, request: gr.Request | None = None):
        """(table, remove choices) on page load without a password: empty unless the request
        may see the documents (it comes from this machine)."""
        try:
            self.gate.check_admin("", request)
        except AccessDenied:
            return [], gr.Dropdown(choices=[], value=None)
        return self.documents_view("", request)

    @friendly
    def upload(self, files: list[str] | None, password: str,
               request: gr.Request | None = None) -> str:
        """Copy uploaded files into the corpus (not yet indexed); return a message. Gradio's
        copy of each file is deleted, saved or refused, so it is no longer served."""
        self.gate.check_admin(password, request)
        if not files:
            raise gr.Error("choose one or more files first", title="Nothing to upload")
        saved, refused = [], []
        for file in files:
            path = Path(file if isinstance(file, str) else file.get("path", ""))
            name = path.name if isinstance(file, str) else file.get("orig_name") or path.name
            try:
                result = save_upload(self.settings.corpus_dir, name, path,
                                     self.settings.max_upload_mb)
            except UploadRejected as exc:
                refused.append(str(exc))
                continue
            finally:
                discard_gradio_upload(path)
            note = f" (a file named {name} exists; saved as `{result.source}`)" if \
                result.renamed else ""
            saved.append(f"`{result.source}`{note}")
        if refused and not saved:
            raise gr.Error("; ".join(refused), title="Upload refused", print_exception=False)
        for reason in refused:
            gr.Warning(reason, title="Upload refused")
        lines = [f"Added to the corpus: {', '.join(saved)}. Click **Update index** to make "
                 f"{'it' if len(saved) == 1 else 'them'} answerable."]
        lines += [f"Refused: {reason}" for reason in refused]
        return "\n\n".join(lines)

    def _run_index(self, rebuild: bool, progress: gr.Progress) -> str:
        try:
            self.runner.start(rebuild=rebuild)
        except IndexLocked as exc:
            gr.Warning(str(exc), title="Index busy")
            return f"**Index busy:** {exc}"
        for status in self.runner.follow():
            if status.total:
                unit = "chunks" if status.stage == "embedding" else "files"
                progress((status.done, status.total), desc=status.stage.capitalize(),
                         unit=unit)
            else:
                progress(0.0, desc="Starting")
        status = self.runner.status()
        if isinstance(status.error, IndexLocked):
            gr.Warning(str(status.error), title="Index busy")
            return f"**Index busy:** {status.error}"
        if status.error is not None:
            raise status.error
        return report_markdown(status)

    @friendly
    def update_index(self, password: str, progress: gr.Progress = gr.Progress(),  # noqa: B008
                     request: gr.Request | None = None) -> str:
        """Index new and changed documents of the corpus, drop removed ones."""
        self.gate.check_admin(password, request)
        return self._run_index(False, progress)

    @friendly
    def rebuild_index(self, password: str, progress: gr.Progress = gr.Progress(),  # noqa: B008
                      request: gr.Request | None = None) -> str:
        """Build the index anew from the corpus, then switch to it."""
        self.gate.check_admin(password, request)
        return self._run_index(True, progress)

    @friendly
    def remove(self, source: str | None, password: str,
               progress: gr.Progress = gr.Progress(),  # noqa: B008
               request: gr.Request | None = None) -> str:
        """Delete a document from the corpus folder, then update the index."""
        self.gate.check_admin(password, request)
        if not source:
            raise gr.Error("choose the document to remove", title="Nothing chosen")
        deleted = remove_document(self.settings.corpus_dir, source)
        summary = self._run_index(False, progress)
        return f"Deleted {', '.join(f'`{d}`' for d in deleted)} from the corpus.\n\n{summary}"

    # -------------------------------------------------------------- page state

    def filter_updates(self) -> tuple:
        """Dropdown updates with the index's facets (cluster, country, topic, year)."""
        facets = self.facets()
        clusters = [c for c in facets["cluster"] if c != MULTIPLE]
        return (gr.Dropdown(choices=clusters), gr.Dropdown(choices=[""] + facets["country"]),
                gr.Dropdown(choices=[""] + facets["topic"]),
                gr.Dropdown(choices=[""] + [str(y) for y in facets["year"]]))

    def on_load(self):
        """Fill the filters and the status line when a page opens."""
        status = self.index_status()
        return (gr.Markdown(status, visible=bool(status)),
                gr.Timer(active=self.runner.status().running), *self.filter_updates())

    def on_tick(self):
        """While an index run lasts: refresh the status line; at its end, the filters too."""
        running = self.runner.status().running
        status = self.index_status()
        filters = (gr.skip(),) * 4 if running else self.filter_updates()
        return gr.Markdown(status, visible=bool(status)), gr.Timer(active=running), *filters

    # -------------------------------------------------------------- API-only endpoints

    @friendly
    def api_ask(self, question: str, cluster: str = "", country: str = "", topic: str = "",
                year: str = "") -> dict:
        """Answer a question from the indexed documents.

        Empty filter values mean no filter. Returns {"answer": text with [n] markers,
        "abstained": true when the documents do not answer, "sources": [{"n", "source",
        "title", "cluster", "page", "section", "score", "excerpt"}]}.
        """
        filters = filters_from(cluster, country, topic, year)
        self.feedback.limits.check(question=question)
        try:
            answer = self.bot.ask(question, filters=filters)
        except IndexNotFound:
            raise self._not_ready() from None
        if answer.abstained and not answer.metadata.get("filters_match_nothing"):
            self.feedback.add_unanswered(question, filters)
        return answer.to_dict()

    @friendly
    def api_compare(self, question: str, clusters: str = "") -> list:
        """Ask the question once per cluster (comma-separated names; empty: every cluster).

        Returns one {"cluster", "summary", "source_title", "source"} row per cluster whose
        documents answer.
        """
        self.feedback.limits.check(question=question)
        names = [c.strip() for c in clusters.split(",") if c.strip()]
        return [r.to_dict() for r in compare_clusters(self.bot, question, names)]

    @friendly
    def api_documents(self, password: str = "", request: gr.Request | None = None) -> list:
        """The documents of the index and the corpus folder: title, cluster, type, chunks,
        last indexed, file and status. Needs the admin password when one is set."""
        self.gate.check_admin(password, request)
        keys = ["title", "cluster", "type", "chunks", "indexed_at", "source", "status"]
        return [dict(zip(keys, row, strict=True)) for row in self.document_rows()]

    @friendly
    def api_feedback(self, question: str, answer: str, liked: bool, comment: str = "",
                     request: gr.Request | None = None) -> dict:
        """Store a thumbs up (liked=true) or down on an answer, with an optional comment
        (at most BOT_MAX_QUESTION_CHARS, BOT_MAX_ANSWER_CHARS, BOT_MAX_COMMENT_CHARS long)."""
        self.gate.check_public(request)
        if not question.strip():
            raise gr.Error("give the question the answer was for", title="Empty question")
        entry = self.feedback.add_feedback(FeedbackEntry(question=question, answer=answer,
                                                         liked=liked, comment=comment.strip()))
        return {"id": entry.id, "time": entry.time, "liked": entry.liked}

    @friendly
    def api_insights(self, password: str = "", request: gr.Request | None = None) -> list:
        """Unanswered and thumbs-down questions grouped by topic, most gaps first. Needs the
        admin password when one is set."""
        from dataclasses import asdict

        self.gate.check_admin(password, request)
        return [{**asdict(i), "total": i.total} for i in insights(self.feedback)]

    @friendly
    def insights_view(self, password: str, request: gr.Request | None = None) -> str:
        """The Insights tab: the gaps as Markdown, or why they are not shown."""
        try:
            self.gate.check_admin(password, request)
        except AccessDenied as exc:
            return f"**{_title(exc)}:** {exc}"
        return insights_markdown(insights(self.feedback))

    # -------------------------------------------------------------- layout

    def build(self) -> gr.Blocks:
        """The Gradio Blocks of the app (call ``.queue()`` and ``.launch()`` on it)."""
        s = self.settings
        chat_limit = {"concurrency_limit": s.concurrency, "concurrency_id": "chat"}
        private = {"api_visibility": "private"}
        with gr.Blocks(title="clusterbot") as demo:
            gr.Markdown("## clusterbot\nAsk how innovation clusters organise their services, "
                        "income streams and member engagement. Answers cite the indexed "
                        "documents: `[n]` refers to source card n.")
            status_line = gr.Markdown(visible=False, elem_id="index-status")
            timer = gr.Timer(1.0, active=False)
            with gr.Tab("Chat", id="chat"):
                answers = gr.State({})
                feedback_id = gr.State(None)
                with gr.Row():
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(label="Conversation", height=480,
                                             elem_id="chat", buttons=["copy"],
                                             placeholder="Ask a question, or pick an example "
                                             "below.")
                        with gr.Row():
                            question = gr.Textbox(placeholder="e.g. How do clusters fund "
                                                  "their offices?", show_label=False, scale=5,
                                                  elem_id="question", autofocus=True)
                            send = gr.Button("Ask", variant="primary", scale=1,
                                             elem_id="ask-button")
                        gr.Examples(EXAMPLES, inputs=[question], label="Example questions")
                        with gr.Row():
                            comment = gr.Textbox(label="Comment on an answer (optional)",
                                                 placeholder="Rate an answer with the thumbs under "
                                                 "it; a comment typed here is sent with it",
                                                 scale=4)
                            send_comment = gr.Button("Send comment", scale=1)
                        feedback_status = gr.Markdown(elem_id="feedback-status")
                        new_chat = gr.Button("New conversation", size="sm")
                    with gr.Column(scale=2):
                        mode = gr.Radio(list(MODES), value=MODES[0], label="Mode",
                                        info="Compare clusters: one row per cluster "
                                        "(the selected ones, or all)", elem_id="mode")
                        with gr.Accordion("Filters", open=True):
                            clusters = gr.Dropdown([], multiselect=True, label="Cluster",
                                                   elem_id="filter-cluster")
                            country = gr.Dropdown([], label="Country", elem_id="filter-country")
                            topic = gr.Dropdown([], label="Topic", elem_id="filter-topic")
                            year = gr.Dropdown([], label="Year", elem_id="filter-year")
                        gr.Markdown("**Sources**")
                        cards = gr.HTML(source_cards_html(None), elem_id="sources")
            with gr.Tab("Documents", id="documents"):
                gr.Markdown(
                    f"Documents the bot answers from. Upload {', '.join(ALLOWED_EXTENSIONS)} "
                    f"files up to {s.max_upload_mb:g} MB; a name already taken gets a "
                    "number (`report-2.md`), a file already in the corpus is refused. New "
                    "files are answerable after **Update index**.")
                with gr.Row(visible=self.password_required):
                    password = gr.Textbox(label="Admin password", type="password", scale=4,
                                          elem_id="admin-password")
                    unlock = gr.Button("Unlock", scale=1)
                if not self.password_required and not is_loopback(s.host):
                    gr.Markdown(f"**Changing documents is disabled:** the app listens on "
                                f"{s.host} without a password. Set BOT_ADMIN_PASSWORD to "
                                "enable it.")
                with gr.Column(visible=not self.password_required) as admin:
                    docs = gr.Dataframe(headers=DOC_HEADERS, interactive=False, wrap=True,
                                        label="Documents", elem_id="documents-table",
                                        column_widths=DOC_WIDTHS, max_height=420,
                                        show_search="search")
                    with gr.Row():
                        files = gr.File(file_count="multiple", type="filepath",
                                        file_types=list(ALLOWED_EXTENSIONS),
                                        label="Add documents", elem_id="upload")
                        with gr.Column():
                            add = gr.Button("Add to corpus", variant="primary",
                                            elem_id="add-button")
                            update = gr.Button("Update index", elem_id="update-button")
                            rebuild = gr.Button("Rebuild index", variant="stop",
                                                elem_id="rebuild-button")
                    with gr.Row():
                        to_remove = gr.Dropdown([], label="Remove a document", scale=4,
                                                allow_custom_value=True)
                        remove = gr.Button("Remove from corpus and index", scale=1)
                    result = gr.Markdown(elem_id="documents-result")
            with gr.Tab("Insights", id="insights") as insights_tab:
                gr.Markdown("Questions the documents could not answer and answers rated thumbs "
                            "down, by topic: the gaps cluster managers should fill with "
                            "documents." + (" Enter the admin password on the Documents tab "
                                            "first." if self.password_required else ""))
                refresh_insights = gr.Button("Refresh", size="sm")
                gaps = gr.Markdown(elem_id="insights")

            # ---- events
            chat_outputs = [chatbot, cards, answers, question]
            chat_inputs = [question, chatbot, mode, clusters, country, topic, year, answers]
            for trigger in (question.submit, send.click):
                trigger(self.respond, chat_inputs, chat_outputs, **chat_limit,
                        **private)
            chatbot.like(self.on_like, [chatbot, answers, comment],
                         [feedback_status, feedback_id, comment], **private)
            send_comment.click(self.add_comment, [comment, feedback_id],
                               [feedback_status, comment], **private)
            new_chat.click(lambda: ([], source_cards_html(None), {}, None, ""), None,
                           [chatbot, cards, answers, feedback_id, feedback_status], **private)

            refresh = {"fn": self.documents_view, "inputs": [password],
                       "outputs": [docs, to_remove], **private}
            filters_out = [clusters, country, topic, year]
            unlock.click(self.unlock, [password], [admin, docs, to_remove], **private)
            password.submit(self.unlock, [password], [admin, docs, to_remove],
                            **private)
            add.click(self.upload, [files, password], [result], api_name="upload",
                      api_description="Add files to the corpus (not indexed yet: call "
                      "/update_index next)").success(
                lambda: None, None, [files], **private).then(**refresh)
            index_events = {"concurrency_limit": None, "concurrency_id": "index"}
            for button, handler, name in ((update, self.update_index, "update_index"),
                                          (rebuild, self.rebuild_index, "rebuild_index")):
                button.click(handler, [password], [result], api_name=name,
                             **index_events).success(**refresh).then(
                    self.filter_updates, None, filters_out, **private)
            remove.click(self.remove, [to_remove, password], [result],
                         api_name="remove_document", **index_events).success(**refresh).then(
                self.filter_updates, None, filters_out, **private)
            for trigger in (insights_tab.select, refresh_insights.click):
                trigger(self.insights_view, [password], [gaps], **private)
            demo.load(self.on_load, None, [status_line, timer, *filters_out], **private)
            if not self.password_required:
                demo.load(self.initial_documents, None, [docs, to_remove], **private)
            timer.tick(self.on_tick, None, [status_line, timer, *filters_out], **private)

            gr.api(self.api_ask, api_name="ask", **chat_limit)
            gr.api(self.api_compare, api_name="compare", **chat_limit)
            gr.api(self.api_documents, api_name="documents")
            gr.api(self.api_feedback, api_name="feedback")
            gr.api(self.api_insights, api_name="insights")
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
        "app_kwargs": {"middleware": [Middleware(HostGuard, settings=settings)]},
        "footer_links": ["api"],
        "theme": gr.themes.Soft(),
        "css": CSS,
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
