"""The Insights tab: the questions the documents could not answer and the answers rated down,
by topic; admin-only (see ``bot.access``)."""

from __future__ import annotations

from dataclasses import asdict

import gradio as gr

from ..feedback import insights, insights_markdown
from ..uploads import AccessDenied
from .common import Context, friendly, title_of


class InsightsTab:
    """Handlers of the Insights tab over a shared ``Context``."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    @friendly
    def view(self, password: str, request: gr.Request | None = None) -> str:
        """The gaps as Markdown, or why they are not shown."""
        try:
            self.ctx.gate.check_admin(password, request)
        except AccessDenied as exc:
            return f"**{title_of(exc)}:** {exc}"
        return insights_markdown(insights(self.ctx.feedback))

    @friendly
    def api_insights(self, password: str = "", request: gr.Request | None = None) -> list:
        """Unanswered and thumbs-down questions grouped by topic, most gaps first. Needs the
        admin password when one is set."""
        self.ctx.gate.check_admin(password, request)
        return [{**asdict(i), "total": i.total} for i in insights(self.ctx.feedback)]

    def build(self, t: gr.I18n, password: gr.Textbox) -> gr.Markdown:
        """Lay out the Insights tab (inside the caller's ``gr.Tab``); return where the gaps show."""
        private = {"api_visibility": "private"}
        gr.Markdown(t("insights_intro_password" if self.ctx.password_required
                      else "insights_intro"))
        refresh = gr.Button(t("refresh"), size="sm")
        gaps = gr.Markdown(elem_id="insights")
        refresh.click(self.view, [password], [gaps], **private)
        return gaps
