"""The Documents tab: the list of documents, uploads, index updates with a live progress bar,
removal to the trash and restoring from it; and their API endpoints."""

from __future__ import annotations

import html
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder

from ..errors import IndexLocked, IndexNotFound
from ..jobs import JobStatus
from ..loading.corpus import iter_corpus
from ..uploads import (
    AccessDenied,
    UploadRejected,
    restore_document,
    save_upload,
    trash_document,
    trashed_documents,
)
from .common import Context, friendly

HEADERS = ["Title", "Cluster", "Type", "Chunks", "Last indexed", "File", "Status"]
#: Column widths in pixels, not shares: on a phone the table scrolls instead of wrapping words
#: letter by letter.
WIDTHS = ["260px", "170px", "100px", "80px", "150px", "220px", "150px"]
TRASH_FOLDER = "trash"
#: Each stage of an index run as (label, share of the bar where it starts, where it ends).
STAGES = {"scanning": ("Scanning files", 0, 5), "reading": ("Reading documents", 5, 35),
          "embedding": ("Embedding chunks", 35, 95),
          "keywords": ("Building the keyword index", 95, 100)}


def percent(status: JobStatus) -> int:
    """How far an index run is, 0-100, over all its stages."""
    label, start, end = STAGES.get(status.stage, ("", 0, 0))
    if not label:
        return 0
    return int(start + (end - start) * (status.fraction or 0.0))


def progress_html(status: JobStatus | None) -> str:
    """The progress bar of an index run: stage, count and percentage ("" when idle)."""
    if status is None or not status.running:
        return ""
    what = "Rebuilding the index" if status.rebuild else "Updating the index"
    label = STAGES.get(status.stage, ("Starting", 0, 0))[0]
    count = f" {status.done}/{status.total}" if status.total else ""
    value = percent(status)
    return (f'<div class="index-progress"><label>{what}: {html.escape(label)}{count} · '
            f'<b>{value}%</b><progress value="{value}" max="100" aria-label="{what}">'
            f"{value}%</progress></label></div>")


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


class DocumentsTab:
    """Handlers of the Documents tab over a shared ``Context``."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    @property
    def trash_dir(self) -> Path:
        """Where removed documents go: ``BOT_DATA_DIR/trash``."""
        return self.ctx.settings.data_dir / TRASH_FOLDER

    # -------------------------------------------------------------- the list

    def document_rows(self) -> list[list[Any]]:
        """One row per document in the index or the corpus folder, with its status: files that
        need an index update first, then the latest indexed, then by title."""
        try:
            indexed = self.ctx.bot.documents()
        except IndexNotFound:
            indexed = {}
        corpus = self.ctx.settings.corpus_dir
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

    def trash_choices(self) -> list[tuple[str, str]]:
        """(label, entry) of the documents in the trash, the latest removed first."""
        return [(f"{t.source} (removed {t.entry[:10]} {t.entry[11:13]}:{t.entry[13:15]} UTC)",
                 t.entry) for t in trashed_documents(self.trash_dir)]

    @friendly
    def documents_view(self, password: str, request: gr.Request | None = None):
        """(table, remove choices, trash choices) for the Documents tab."""
        self.ctx.gate.check_admin(password, request)
        rows = self.document_rows()
        sources = [r[5] for r in rows if not r[6].startswith("removed")]
        return (rows, gr.Dropdown(choices=sources, value=None),
                gr.Dropdown(choices=self.trash_choices(), value=None))

    @friendly
    def unlock(self, password: str, request: gr.Request | None = None):
        """Open the Documents tab for the right password."""
        return gr.Column(visible=True), *self.documents_view(password, request)

    def initial_documents(self, request: gr.Request | None = None):
        """The tab's lists on page load without a password: empty unless the request may
        see the documents (it comes from this machine)."""
        try:
            self.ctx.gate.check_admin("", request)
        except AccessDenied:
            return [], gr.Dropdown(choices=[], value=None), gr.Dropdown(choices=[], value=None)
        return self.documents_view("", request)

    # -------------------------------------------------------------- changes

    @friendly
    def upload(self, files: list[str] | None, password: str,
               request: gr.Request | None = None) -> str:
        """Copy uploaded files into the corpus (not yet indexed); return a message. Gradio's
        copy of each file is deleted, saved or refused, so it is no longer served."""
        self.ctx.gate.check_admin(password, request)
        if not files:
            raise gr.Error("choose one or more files first", title="Nothing to upload",
                           print_exception=False)
        settings = self.ctx.settings
        saved, refused = [], []
        for file in files:
            path = Path(file if isinstance(file, str) else file.get("path", ""))
            name = path.name if isinstance(file, str) else file.get("orig_name") or path.name
            try:
                result = save_upload(settings.corpus_dir, name, path, settings.max_upload_mb)
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

    def index_steps(self, rebuild: bool, done_before: str = "") -> Iterator[tuple[str, str]]:
        """Start an index run and yield (progress bar, result) every quarter second until it
        ends; the last result is its report, after ``done_before`` (what came first)."""
        lead = f"{done_before}\n\n" if done_before else ""
        try:
            self.ctx.runner.start(rebuild=rebuild)
        except IndexLocked as exc:
            gr.Warning(str(exc), title="Index busy")
            yield "", f"{lead}**Index busy:** {exc}"
            return
        for status in self.ctx.runner.follow():
            if status.running:
                yield progress_html(status), lead.strip()
        status = self.ctx.runner.status()
        if isinstance(status.error, IndexLocked):
            gr.Warning(str(status.error), title="Index busy")
            yield "", f"{lead}**Index busy:** {status.error}"
            return
        if status.error is not None:
            raise status.error
        yield "", lead + report_markdown(status)

    @friendly
    def update_index(self, password: str, request: gr.Request | None = None):
        """Index new and changed documents of the corpus and drop removed ones; yield (progress
        bar, result)."""
        self.ctx.gate.check_admin(password, request)
        yield from self.index_steps(False)

    @friendly
    def rebuild_index(self, password: str, request: gr.Request | None = None):
        """Build the index anew from the corpus, then switch to it; yield (progress bar,
        result)."""
        self.ctx.gate.check_admin(password, request)
        yield from self.index_steps(True)

    @friendly
    def remove(self, source: str | None, password: str, request: gr.Request | None = None):
        """Move a document (and its sidecar) to the trash, then update the index; yield
        (progress bar, result)."""
        self.ctx.gate.check_admin(password, request)
        if not source:
            raise gr.Error("choose the document to remove", title="Nothing chosen",
                           print_exception=False)
        moved = trash_document(self.ctx.settings.corpus_dir, self.trash_dir, source)
        files = ", ".join(f"`{f}`" for f in moved.files)
        yield from self.index_steps(False, f"Moved {files} to the trash (restore it below).")

    @friendly
    def restore(self, entry: str | None, password: str, request: gr.Request | None = None):
        """Move a document back from the trash into the corpus, then update the index; yield
        (progress bar, result)."""
        self.ctx.gate.check_admin(password, request)
        if not entry:
            raise gr.Error("choose the document to restore", title="Nothing chosen",
                           print_exception=False)
        source = restore_document(self.ctx.settings.corpus_dir, self.trash_dir, entry)
        yield from self.index_steps(False, f"Restored `{source}` to the corpus.")

    def confirm_rebuild(self) -> tuple:
        """Ask before a rebuild: (confirmation row shown with its text, cleared progress and
        result)."""
        documents = len(self.document_rows())
        text = (f"**Rebuild the whole index?** All {documents} documents are read and embedded "
                "again; answers use the current index until the rebuild finishes.")
        return gr.Row(visible=True), text, "", ""

    @staticmethod
    def confirm_remove(source: str | None) -> tuple:
        """Ask before a removal: (confirmation row, its text, cleared progress and result)."""
        if not source:
            raise gr.Error("choose the document to remove", title="Nothing chosen",
                           print_exception=False)
        text = (f"**Remove `{source}`?** It moves to the trash (restorable below) and leaves "
                "the index.")
        return gr.Row(visible=True), text, "", ""

    # -------------------------------------------------------------- API

    @staticmethod
    def _last(steps: Iterator[tuple[str, str]]) -> str:
        last = deque(steps, maxlen=1)
        return last[0][1] if last else ""

    @friendly
    def api_update_index(self, password: str = "", request: gr.Request | None = None) -> str:
        """Index new and changed documents of the corpus, drop removed ones; return the
        summary of the run. Needs the admin password when one is set."""
        return self._last(self.update_index(password, request))

    @friendly
    def api_rebuild_index(self, password: str = "", request: gr.Request | None = None) -> str:
        """Build the index anew from the corpus; return the summary of the run."""
        return self._last(self.rebuild_index(password, request))

    @friendly
    def api_remove_document(self, source: str, password: str = "",
                            request: gr.Request | None = None) -> str:
        """Move a document of the corpus to the trash and update the index; return what was
        done."""
        return self._last(self.remove(source, password, request))

    @friendly
    def api_documents(self, password: str = "", request: gr.Request | None = None) -> list:
        """The documents of the index and the corpus folder: title, cluster, type, chunks,
        last indexed, file and status. Needs the admin password when one is set."""
        self.ctx.gate.check_admin(password, request)
        keys = ["title", "cluster", "type", "chunks", "indexed_at", "source", "status"]
        return [dict(zip(keys, row, strict=True)) for row in self.document_rows()]

    # -------------------------------------------------------------- layout

    def build(self, t: gr.I18n, refresh_filters: tuple) -> tuple[gr.Textbox, list]:
        """Lay out the Documents tab's contents and wire them; ``refresh_filters`` is the
        (fn, outputs) that refills the chat's filters after a run. Returns the password box
        and the lists filled on page load (table, remove and trash choices)."""
        from ..uploads import ALLOWED_EXTENSIONS, is_loopback

        s = self.ctx.settings
        private = {"api_visibility": "private"}
        index_events = {"concurrency_limit": None, "concurrency_id": "index", **private}
        gr.Markdown(t("documents_intro"))
        gr.Markdown(f"`{' '.join(ALLOWED_EXTENSIONS)}` · ≤ {s.max_upload_mb:g} MB")
        with gr.Row(visible=self.ctx.password_required):
            password = gr.Textbox(label=t("admin_password"), type="password", scale=4,
                                  elem_id="admin-password")
            unlock = gr.Button(t("unlock"), scale=1)
        if not self.ctx.password_required and not is_loopback(s.host):
            gr.Markdown(t("documents_disabled"))
        with gr.Column(visible=not self.ctx.password_required) as admin:
            with gr.Row():
                files = gr.File(file_count="multiple", type="filepath",
                                file_types=list(ALLOWED_EXTENSIONS), label=t("add_documents"),
                                elem_id="upload", scale=3)
                with gr.Column(scale=1, min_width=200):
                    add = gr.Button(t("add"), variant="primary", elem_id="add-button")
                    update = gr.Button(t("update"), elem_id="update-button")
                    rebuild = gr.Button(t("rebuild"), variant="stop", elem_id="rebuild-button")
            with gr.Row():
                to_remove = gr.Dropdown([], label=t("remove_label"), scale=4,
                                        elem_id="remove-choice")
                remove = gr.Button(t("remove"), scale=1, elem_id="remove-button")
            with gr.Row():
                to_restore = gr.Dropdown([], label=t("trash_label"), scale=4,
                                         elem_id="trash-choice")
                restore = gr.Button(t("restore"), scale=1, elem_id="restore-button")
            with gr.Row(visible=False, elem_id="confirm") as confirm:
                question = gr.Markdown(elem_id="confirm-text")
                yes_rebuild = gr.Button(t("yes_rebuild"), variant="stop",
                                        elem_id="confirm-rebuild")
                yes_remove = gr.Button(t("yes_remove"), variant="stop",
                                       elem_id="confirm-remove")
                cancel = gr.Button(t("cancel"), elem_id="confirm-cancel")
            progress = gr.HTML(elem_id="documents-progress")
            result = gr.Markdown(elem_id="documents-result")
            table = gr.Dataframe(headers=HEADERS, interactive=False, wrap=True,
                                 label=t("documents"), elem_id="documents-table",
                                 column_widths=WIDTHS, max_height=420, show_search="search")

        lists = [table, to_remove, to_restore]
        refresh = {"fn": self.documents_view, "inputs": [password], "outputs": lists, **private}
        status = [progress, result]
        hide = (lambda: gr.Row(visible=False), None, [confirm])

        def cleared():
            return "", ""

        for trigger in (unlock.click, password.submit):
            trigger(self.unlock, [password], [admin, *lists], **private)
        add.click(cleared, None, status, **private).then(
            self.upload, [files, password], [result], api_name="upload",
            api_description="Add files to the corpus (not indexed yet: call /update_index "
            "next)").success(lambda: None, None, [files], **private).then(**refresh)
        update.click(cleared, None, status, **private).then(
            self.update_index, [password], status, **index_events).then(**refresh).then(
            *refresh_filters, **private)
        rebuild.click(self.confirm_rebuild, None, [confirm, question, *status], **private).then(
            lambda: (gr.Button(visible=True), gr.Button(visible=False)), None,
            [yes_rebuild, yes_remove], **private)
        remove.click(self.confirm_remove, [to_remove], [confirm, question, *status],
                     **private).success(
            lambda: (gr.Button(visible=False), gr.Button(visible=True)), None,
            [yes_rebuild, yes_remove], **private)
        cancel.click(*hide, **private)
        yes_rebuild.click(*hide, **private).then(
            self.rebuild_index, [password], status, **index_events).then(**refresh).then(
            *refresh_filters, **private)
        yes_remove.click(*hide, **private).then(
            self.remove, [to_remove, password], status, **index_events).then(**refresh).then(
            *refresh_filters, **private)
        restore.click(cleared, None, status, **private).then(
            self.restore, [to_restore, password], status, **index_events).then(
            **refresh).then(*refresh_filters, **private)
        return password, lists
