"""LLM answering: any LangChain chat model behind the ``Answerer`` interface, kept grounded.

The prompt (``prompts.py``) numbers the retrieved passages inside ``<sources>`` delimiters, each
with the organisation its document is about and its title, and tells the model that they are
data, never instructions; sentences of the passages that address an assistant or ask the reader
to act (``bot.injection``) are left out. It also says what the question analysis found (the
organisations named, names the index does not know, a comparison) and the attribution rule
(``attribution.py``). A question that names only organisations the index does not know, which
no passage mentions, is answered without the model, as the extractive answerer does.

The reply is checked sentence by sentence before anyone sees it, also when streamed: markers to
no source are removed, and uncited sentences, sentences their source does not support, sentences
that quote another organisation's documents for a question about a named one, and sentences that
ask the reader to act are dropped (``citations.CitationStream``). When the reply fails the
check, repeats the instructions, or the model errors or runs past ``timeout`` seconds
(``generation.py``), the extractive answer is given instead, with ``metadata["fallback"]``
saying why.

Follow-up questions are rewritten by the model into standalone ones (``rewrite``); when that
fails, the deterministic rewriting of ``bot.question.followups`` is used.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from time import monotonic
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from ..injection import without_instructions
from ..question import Question
from ..question.followups import (
    FindEntities,
    Message,
    is_follow_up,
    recent_user_turns,
    rewrite_follow_up,
)
from ..retrieval import Hit
from ..text import words
from . import ABSTAIN_TEXT, Answer, Answerer, Source, split_for_streaming
from .attribution import NO_ANSWER, Attribution, question_analysis
from .citations import CitationReport, CitationStream
from .evidence import EmbedTexts
from .extractive import ExtractiveAnswerer
from .generation import Generation, describe_error
from .passages import flagged_sources
from .prompts import (
    ANSWER_PROMPT,
    REWRITE_TEMPLATE,
    clean_reply,
    clean_rewrite,
    format_sources,
    history_messages,
    repeats_instructions,
)

log = logging.getLogger(__name__)


class LLMAnswerer(Answerer):
    """Answer with a LangChain chat model; fall back to ``fallback`` whenever the reply
    cannot be trusted."""

    def __init__(self, model: BaseChatModel, fallback: ExtractiveAnswerer, *, name: str = "llm",
                 timeout: float = 60.0, rewrite_timeout: float | None = None,
                 max_turns: int = 4, find_entities: FindEntities | None = None,
                 embed_texts: EmbedTexts | None = None, max_source_chars: int = 1500):
        self.model = model
        self.fallback = fallback
        self.name = name
        self.timeout = timeout
        self.rewrite_timeout = min(timeout, 30.0) if rewrite_timeout is None else rewrite_timeout
        self.max_turns = max_turns
        self.find_entities: Callable[[str], list[str]] = find_entities or (lambda text: [])
        self.embed_texts = embed_texts
        self.max_source_chars = max_source_chars

    @property
    def model_name(self) -> str:
        """The model's name as its backend knows it."""
        for attribute in ("model_name", "model", "model_path"):
            value = getattr(self.model, attribute, None)
            if isinstance(value, str) and value:
                return value
        return self.model._llm_type

    # ------------------------------------------------------------------ prompts

    def messages(self, question: Question, hits: Sequence[Hit],
                 history: Sequence[Message] | None = None) -> list[BaseMessage]:
        """The chat messages sent to the model for ``question``."""
        analysis = question_analysis(question, Attribution.of(question, hits), hits)
        return ANSWER_PROMPT.format_messages(
            sources=format_sources(hits, self.max_source_chars), question=question.text,
            analysis=analysis, history=history_messages(history, self.max_turns))

    # ------------------------------------------------------------------ answering

    def answer(self, question: Question, hits: list[Hit],
               history: list[Message] | None = None) -> Answer:
        """The model's checked answer, or the extractive one with the reason in metadata."""
        early = self._without_model(question, hits)
        if early is not None:
            return early
        started = monotonic()
        try:
            messages = self.messages(question, hits, history)
            text = clean_reply(Generation(self.model, messages, self.timeout).text())
        except Exception as error:  # noqa: BLE001
            return self._fall_back(describe_error(error), question, hits, history)
        unusable = _unusable(text)
        if unusable:
            return self._fall_back(unusable, question, hits, history)
        check = self._checker(question, hits)
        check.update(text, final=True)
        return self._finish(check.report, text, question, hits, history,
                            monotonic() - started)

    def stream(self, question: Question, hits: list[Hit],
               history: list[Message] | None = None) -> Iterator[str | Answer]:
        """The model's reply sentence by sentence, each shown once it has passed the check,
        then the final ``Answer``, whose text is what was shown (or the extractive answer
        instead, with ``metadata["stream_replaced"]``)."""
        early = self._without_model(question, hits)
        if early is not None:
            yield from split_for_streaming(early.text)
            yield early
            return
        started = monotonic()
        reply = ""
        final: Answer | None = None
        check = self._checker(question, hits)
        generation = Generation(self.model, self.messages(question, hits, history),
                                self.timeout)
        try:
            for piece in generation.pieces():
                reply += piece
                if repeats_instructions(reply[-400:]):
                    final = self._fall_back("the reply repeats the instructions", question,
                                            hits, history)
                    break
                shown = check.update(clean_reply(reply))
                if shown:
                    yield shown
        except Exception as error:  # noqa: BLE001
            final = self._fall_back(describe_error(error), question, hits, history)
        finally:  # also when the consumer stops early: the model need not go on
            generation.cancel()
        if final is None:
            text = clean_reply(reply)
            unusable = _unusable(text)
            if unusable:
                final = self._fall_back(unusable, question, hits, history)
            else:
                shown = check.update(text, final=True)
                if shown:
                    yield shown
                final = self._finish(check.report, text, question, hits, history,
                                     monotonic() - started)
        if final.text != check.report.text:
            final.metadata["stream_replaced"] = True
        yield final

    def _without_model(self, question: Question, hits: list[Hit]) -> Answer | None:
        """The answer given without asking the model: an abstention when no passage is close
        to the question, or when it names only names the index does not know and no passage
        mentions them (the extractive answerer's, which says what the passages are about)."""
        if not hits or max(h.similarity for h in hits) < self.fallback.min_relevance:
            return self._abstain("no passage is close to the question")
        absent = self.fallback.absent(question, hits)
        if absent is not None:
            absent.metadata["backend"] = self.name
        return absent

    def _checker(self, question: Question, hits: list[Hit]) -> CitationStream:
        """The citation check of a reply over ``hits`` (numbered from 1) to ``question``."""
        return CitationStream(
            {n: _support_text(hit) for n, hit in enumerate(hits, start=1)},
            names={n: f"{hit.metadata.get('title', '')} {hit.metadata.get('cluster') or ''}"
                   for n, hit in enumerate(hits, start=1)},
            attribution=Attribution.of(question, hits), embed_texts=self.embed_texts)

    def _finish(self, report: CitationReport, text: str, question: Question,
                hits: list[Hit], history: list[Message] | None, seconds: float) -> Answer:
        """The answer of a checked reply: its supported sentences, an abstention (the reply's
        own when it only says that the sources hold nothing on the organisations asked about),
        or the extractive answer when no sentence survived."""
        if not report.passed:
            if report.says_nothing:
                return self._abstain("the model found nothing on the organisations asked about",
                                     report.text)
            if NO_ANSWER.search(text) and len(words(text)) <= 40:
                return self._abstain("the model found no answer in the sources")
            return self._fall_back(f"citation check failed: {report.summary()}", question,
                                   hits, history)
        sources = [Source.from_hit(n, hit) for n, hit in enumerate(hits, start=1)]
        return Answer(report.text, False, sources,
                      {"backend": self.name, "model": self.model_name,
                       "llm_seconds": round(seconds, 3), "citations": report.to_dict(),
                       **flagged_sources(hits)})

    def _abstain(self, reason: str, text: str = ABSTAIN_TEXT) -> Answer:
        return Answer(text, True, [], {"backend": self.name, "abstain_reason": reason})

    def _fall_back(self, reason: str, question: Question, hits: list[Hit],
                   history: list[Message] | None) -> Answer:
        log.warning("%s backend: answering extractively (%s)", self.name, reason)
        answer = self.fallback.answer(question, hits, history)
        answer.metadata.update(backend=self.fallback.name, requested_backend=self.name,
                               fallback=reason)
        return answer

    # ------------------------------------------------------------------ conversation

    def rewrite(self, question: str, history: list[Message] | None,
                max_turns: int | None = None) -> str:
        """``question`` made standalone by the model when it is a follow-up; the
        deterministic rewriting when the model fails, times out or says too much."""
        max_turns = self.max_turns if max_turns is None else max_turns
        if not recent_user_turns(history, max_turns) or not is_follow_up(question):
            return question
        messages = REWRITE_TEMPLATE.format_messages(
            question=question, history=history_messages(history, max_turns))
        try:
            reply = Generation(self.model, messages, self.rewrite_timeout).text()
        except Exception as error:  # noqa: BLE001
            return self._rewrite_fallback(question, history, max_turns, describe_error(error))
        standalone = clean_rewrite(reply)
        if not standalone:
            return self._rewrite_fallback(question, history, max_turns, "empty rewrite")
        if len(standalone) > max(300, 3 * len(question)) or repeats_instructions(standalone):
            return self._rewrite_fallback(question, history, max_turns, "implausible rewrite")
        return standalone

    def _rewrite_fallback(self, question: str, history: list[Message] | None, max_turns: int,
                          reason: str) -> str:
        log.info("%s backend: rewriting the follow-up deterministically (%s)", self.name, reason)
        return rewrite_follow_up(question, history, self.find_entities, max_turns)


def _unusable(text: str) -> str | None:
    """Why a whole reply cannot be used before its sentences are checked, or None."""
    if not text:
        return "the model's reply is empty"
    if repeats_instructions(text):
        return "the reply repeats the instructions"
    return None


def _support_text(hit: Hit) -> str:
    """What a source offers as support: its title, cluster, section and text, less any
    sentence that speaks to the assistant (an answer repeating it is not grounded)."""
    meta: dict[str, Any] = hit.metadata
    head = [str(meta[k]) for k in ("title", "cluster", "section") if meta.get(k)]
    return without_instructions("\n".join([*head, hit.text]))
