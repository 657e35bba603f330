"""The Chat tab: answers streamed into the conversation, each with its own sources; thumbs
and comments; saved conversations; the ``/ask`` endpoint."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..answering import Answer
from ..errors import AnswerError, BotError, ConfigError, IndexNotFound
from ..feedback import FeedbackEntry
from . import conversations
from .common import Context, filters_from, friendly, message_text, title_of
from .compare import CompareMode
from .passages import find_passages
from .render import NO_ANSWER_HINT, answer_message, new_answer_id, plain_text

MODES = ("Answer", "Compare clusters")
EXAMPLES = [
    "Which services do cluster members value most?",
    "How do clusters combine membership fees, sponsorship and public funding?",
    "How can a cluster keep its members engaged?",
    "What does a small company pay to join a cluster?",
    "How do clusters help their members go international?",
]


def plain_history(messages: list[dict] | None) -> list[dict[str, str]]:
    """Chat messages as the ``{"role", "content"}`` history ``Bot.ask`` takes: the answers'
    text with ``[n]`` markers, without their Sources blocks."""
    history = []
    for m in messages or []:
        if m.get("role") in ("user", "assistant"):
            text = plain_text(message_text(m.get("content")))
            if text:
                history.append({"role": m["role"], "content": text})
    return history


class ChatTab:
    """Handlers of the Chat tab over a shared ``Context``."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.compare = CompareMode(ctx)

    @friendly
    def respond(self, question: str, messages: list[dict], mode: str, *filters_and_answers):
        """Stream the answer to ``question`` into the chat; yield (chat, answers, box).

        ``filters_and_answers`` are the filter values (cluster, country, topic, year,
        language), then the answers state. A problem (empty question, nothing indexed, a bad
        filter) shows as a warning; the chat stays as it was and the question in the box.
        """
        *filter_values, answers = filters_and_answers
        question = " ".join((question or "").split())
        history = plain_history(messages)
        answers = dict(answers or {})
        chat = [*(messages or []), {"role": "user", "content": question},
                {"role": "assistant", "content": "…"}]
        try:
            if not question:
                raise ConfigError("type a question first")
            self.ctx.feedback.limits.check(question=question)
            if mode == MODES[1]:
                filters = filters_from(None, *filter_values[1:])
                yield from self.compare.into_chat(question, chat, filter_values[0], filters,
                                                  answers)
            else:
                yield from self._answer(question, history, chat,
                                        filters_from(*filter_values), answers)
        except IndexNotFound as exc:
            error = self.ctx.not_ready(exc)
            gr.Warning(error.message, title=error.title)
            yield list(messages or []), answers, question
        except BotError as exc:
            gr.Warning(str(exc), title=title_of(exc))
            yield list(messages or []), answers, question

    def _answer(self, question: str, history: list[dict], chat: list[dict],
                filters: dict[str, Any], answers: dict):
        yield chat, answers, ""
        text, answer = "", None
        for item in self.ctx.bot.stream(question, history=history, filters=filters):
            if isinstance(item, Answer):
                answer = item
                break
            text += item
            chat[-1] = {"role": "assistant", "content": text}
            yield chat, answers, ""
        if answer is None:
            raise AnswerError("the answer was cut short: ask again")
        passages = [] if answer.abstained else find_passages(self.ctx.bot, answer)
        content = answer_message(answer.text, passages, new_answer_id(),
                                 answer.metadata.get("query"), question)
        if answer.abstained and not answer.metadata.get("filters_match_nothing"):
            self.ctx.feedback.add_unanswered(question, filters)
            content = f"**{answer.text}**{NO_ANSWER_HINT}"
        elif answer.abstained:
            content = f"**{answer.text}**"
        chat[-1] = {"role": "assistant", "content": content}
        answers[str(len(chat) - 1)] = {
            "question": question, "filters": filters, "answer": answer.text,
            "abstained": answer.abstained, "query": answer.metadata.get("query"),
            "sources": [p.to_dict() for p in passages]}
        yield chat, answers, ""

    # -------------------------------------------------------------- thumbs and comments

    @friendly
    def on_like(self, messages: list[dict], answers: dict | None, comment: str,
                data: gr.LikeData, request: gr.Request | None = None):
        """Store a thumbs up/down on an answer; return (status, feedback id, comment box)."""
        self.ctx.gate.check_public(request)
        index = data.index if isinstance(data.index, int) else data.index[0]
        if data.liked is None:  # the thumb was taken back
            return "Rating removed from the screen (stored ratings are kept).", None, comment
        entry = self._feedback_entry(messages, answers or {}, index, bool(data.liked), comment)
        self.ctx.feedback.add_feedback(entry)
        thanks = ("Thanks for the thumbs up!" if entry.liked else
                  "Thanks: this answer is now listed under Insights.")
        if not entry.comment:
            thanks += " Add a comment below if you like."
        return thanks, entry.id, ""

    @staticmethod
    def _feedback_entry(messages: list[dict], answers: dict, index: int, liked: bool,
                        comment: str) -> FeedbackEntry:
        stored = answers.get(str(index))
        if stored is None:  # an answer without its record: take the texts from the chat
            question = next((message_text(m.get("content")) for m in reversed(messages[:index])
                             if m.get("role") == "user"), "")
            stored = {"question": question,
                      "answer": plain_text(message_text(messages[index]["content"])),
                      "abstained": False, "filters": {}, "sources": []}
        return FeedbackEntry(
            question=stored["question"], answer=stored["answer"], liked=liked,
            comment=(comment or "").strip(), abstained=bool(stored.get("abstained")),
            filters=stored.get("filters") or {},
            sources=[s.get("title") or s.get("source", "") for s in stored["sources"]],
        )

    @friendly
    def add_comment(self, comment: str, feedback_id: str | None,
                    request: gr.Request | None = None):
        """Attach the comment to the last rated answer; return (status, comment box)."""
        self.ctx.gate.check_public(request)
        if not (comment or "").strip():
            raise gr.Error("type a comment first", title="Empty comment", print_exception=False)
        if not feedback_id:
            raise gr.Error("rate an answer with the thumbs under it first, then send the comment",
                           title="Nothing rated yet", print_exception=False)
        self.ctx.feedback.add_comment(feedback_id, comment)
        return "Comment saved, thank you.", ""

    # -------------------------------------------------------------- saved conversations

    @staticmethod
    def save(saved: dict | None, conv_id: str | None, messages: list[dict], answers: dict):
        """Keep the conversation in the browser; return (saved, past list, export file)."""
        conv_id = conv_id or conversations.new_id()
        saved = conversations.save(saved, conv_id, messages, answers)
        return (saved, gr.Dropdown(choices=conversations.choices(saved), value=conv_id),
                conversations.export_file(conv_id, messages, answers))

    @staticmethod
    def reopen(saved: dict | None, conv_id: str | None = None):
        """Show conversation ``conv_id`` (default: the one open before the page was
        reloaded); return (chat, answers, id, past list, export file)."""
        found = conversations.load(saved, conv_id)
        return (found.messages, found.answers, found.id,
                gr.Dropdown(choices=conversations.choices(saved),
                            value=found.id if found.messages else None),
                conversations.export_file(found.id, found.messages, found.answers))

    @staticmethod
    def new_conversation(saved: dict | None):
        """Start an empty conversation; the others stay in the past list. Returns (chat,
        answers, id, feedback id, feedback status, saved, past list, export file)."""
        conv_id = conversations.new_id()
        saved = {**(saved or {}), "current": conv_id}
        return ([], {}, conv_id, None, "", saved,
                gr.Dropdown(choices=conversations.choices(saved), value=None), None)

    # -------------------------------------------------------------- API

    @friendly
    def api_ask(self, question: str, cluster: str = "", country: str = "", topic: str = "",
                year: str = "", language: str = "") -> dict:
        """Answer a question from the indexed documents.

        Empty filter values mean no filter. Returns {"answer": text with [n] markers,
        "abstained": true when the documents do not answer, "query": what was searched for,
        "sources": [{"n", "source", "title", "cluster", "page", "section", "score",
        "excerpt", "chunk_id"}]}.
        """
        filters = filters_from(cluster, country, topic, year, language)
        self.ctx.feedback.limits.check(question=question)
        try:
            answer = self.ctx.bot.ask(question, filters=filters)
        except IndexNotFound as exc:
            raise self.ctx.not_ready(exc) from None
        if answer.abstained and not answer.metadata.get("filters_match_nothing"):
            self.ctx.feedback.add_unanswered(question, filters)
        return answer.to_dict()

    @friendly
    def api_feedback(self, question: str, answer: str, liked: bool, comment: str = "",
                     request: gr.Request | None = None) -> dict:
        """Store a thumbs up (liked=true) or down on an answer, with an optional comment
        (at most BOT_MAX_QUESTION_CHARS, BOT_MAX_ANSWER_CHARS, BOT_MAX_COMMENT_CHARS long)."""
        self.ctx.gate.check_public(request)
        if not question.strip():
            raise gr.Error("give the question the answer was for", title="Empty question",
                           print_exception=False)
        entry = self.ctx.feedback.add_feedback(FeedbackEntry(
            question=question, answer=answer, liked=liked, comment=comment.strip()))
        return {"id": entry.id, "time": entry.time, "liked": entry.liked}

    # -------------------------------------------------------------- layout

    def build(self, demo: gr.Blocks, t: gr.I18n, secret: str) -> list[gr.Dropdown]:
        """Lay out the Chat tab's contents and wire them; return the filter dropdowns."""
        s = self.ctx.settings
        chat_limit = {"concurrency_limit": s.concurrency, "concurrency_id": "chat"}
        private = {"api_visibility": "private"}
        saved = gr.BrowserState({}, storage_key="clusterbot-conversations", secret=secret)
        answers, conv_id, feedback_id = gr.State({}), gr.State(None), gr.State(None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=300):
                chatbot = gr.Chatbot(label=t("conversation"), height=560, elem_id="chat",
                                     buttons=["copy"], placeholder=t("chat_placeholder"))
                with gr.Row():
                    question = gr.Textbox(placeholder=t("question_placeholder"),
                                          show_label=False, scale=5, elem_id="question",
                                          autofocus=True)
                    send = gr.Button(t("ask"), variant="primary", scale=1, min_width=80,
                                     elem_id="ask-button")
                gr.Examples(EXAMPLES, inputs=[question], label=t("examples"))
                with gr.Row():
                    comment = gr.Textbox(label=t("comment"), placeholder=t("comment_hint"),
                                         scale=4, elem_id="comment")
                    send_comment = gr.Button(t("send_comment"), scale=1, min_width=80)
                feedback_status = gr.Markdown(elem_id="feedback-status")
                with gr.Row():
                    new_chat = gr.Button(t("new_conversation"), size="sm",
                                         elem_id="new-conversation")
                    export = gr.DownloadButton(t("export"), size="sm", elem_id="export")
            with gr.Column(scale=2, min_width=260):
                mode = gr.Radio(list(MODES), value=MODES[0], label=t("mode"),
                                info=t("mode_info"), elem_id="mode")
                with gr.Accordion(t("filters"), open=True):
                    filters = [gr.Dropdown([], multiselect=True, label=t(f"filter_{key}"),
                                           elem_id=f"filter-{key}")
                               for key in ("cluster", "country", "topic", "year", "language")]
                past = gr.Dropdown([], label=t("past_conversations"), elem_id="past",
                                   info=t("past_info"))

        inputs = [question, chatbot, mode, *filters, answers]
        keep = (self.save, [saved, conv_id, chatbot, answers], [saved, past, export])
        for trigger in (question.submit, send.click):
            trigger(self.respond, inputs, [chatbot, answers, question], **chat_limit,
                    **private).then(*keep, **private)
        chatbot.like(self.on_like, [chatbot, answers, comment],
                     [feedback_status, feedback_id, comment], **private)
        send_comment.click(self.add_comment, [comment, feedback_id],
                           [feedback_status, comment], **private)
        for trigger in (new_chat.click, chatbot.clear):
            trigger(self.new_conversation, [saved],
                    [chatbot, answers, conv_id, feedback_id, feedback_status, saved, past,
                     export], **private)
        past.input(self.reopen, [saved, past], [chatbot, answers, conv_id, past, export],
                   **private)
        demo.load(self.reopen, [saved], [chatbot, answers, conv_id, past, export], **private)
        return filters
