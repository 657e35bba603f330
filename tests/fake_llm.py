"""A fake LangChain chat model: replays queued replies and records the prompts it got."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field


class FakeChatModel(BaseChatModel):
    """Replies with the queued texts in order; a queued exception is raised instead.

    ``prompts`` holds the messages of every call. ``delay`` seconds pass before each reply
    (spread over the chunks when streaming). Streaming yields the reply word by word.
    """

    replies: list[Any] = Field(default_factory=list)
    prompts: list[list[BaseMessage]] = Field(default_factory=list)
    delay: float = 0.0

    def enqueue(self, *replies: Any) -> FakeChatModel:
        self.replies.extend(replies)
        return self

    @property
    def _llm_type(self) -> str:
        return "fake"

    def _next(self, messages: list[BaseMessage]) -> str:
        self.prompts.append(list(messages))
        if not self.replies:
            raise AssertionError("FakeChatModel: no reply queued")
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        return reply

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None,
                  **kwargs: Any) -> ChatResult:
        reply = self._next(messages)
        time.sleep(self.delay)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        reply = self._next(messages)
        pieces = re.findall(r"\S+\s*|\s+", reply) or [""]
        for piece in pieces:
            time.sleep(self.delay / len(pieces))
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))

    # -------------------------------------------------------------- prompt inspection

    def system(self, call: int = -1) -> str:
        """The system message of call ``call``."""
        return next(m.text for m in self.prompts[call] if m.type == "system")

    def human(self, call: int = -1) -> str:
        """The last user message of call ``call``."""
        return [m.text for m in self.prompts[call] if m.type == "human"][-1]

    def history(self, call: int = -1) -> list[tuple[str, str]]:
        """(type, text) of the messages between the system message and the last one."""
        return [(m.type, m.text) for m in self.prompts[call][1:-1]]
