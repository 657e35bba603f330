"""The Documents tab: the list of documents and of the trash, the confirmations asked before a
change and the ``/documents`` endpoint; and the tab's layout, which wires them and the changes
of ``changes`` (uploads, index runs, trash) to its buttons."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..errors import IndexNotFound
from ..loading.corpus import iter_corpus
from ..uploads import AccessDenied, trashed_documents
from .changes import DocumentChanges
from .common import friendly

HEADERS = ["Title", "Cluster", "Type", "Chunks", "Last indexed", "File", "Status"]
#: Column widths in pixels, not shares: on a phone the table scrolls instead of wrapping words
#: letter by letter.
WIDTHS = ["260px", "170px", "100px", "80px", "150px", "220px", "150px"]


class DocumentsTab(DocumentChanges):
    """Handlers and layout of the Documents tab over a shared ``Context``; the handlers that
    change documents come from ``DocumentChanges``."""

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
