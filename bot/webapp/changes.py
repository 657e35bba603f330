"""Changes to the corpus and its index from the Documents tab: uploads, index runs with a
live progress bar and their report, removal to the trash and restoring from it; and their API
endpoints."""

from __future__ import annotations

import html
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder

from ..errors import IndexLocked
from ..jobs import JobStatus
from ..uploads import UploadRejected, restore_document, save_upload, trash_document
from .common import Context, friendly

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


class DocumentChanges:
    """Handlers that change the corpus and the index, over a shared ``Context``."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    @property
    def trash_dir(self) -> Path:
        """Where removed documents go: ``BOT_DATA_DIR/trash``."""
        return self.ctx.settings.data_dir / TRASH_FOLDER

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
