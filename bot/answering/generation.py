"""A model's reply generated in a worker thread and read before a deadline.

``Generation`` streams the reply of a LangChain chat model piece by piece and raises
``GenerationTimeout`` when it runs past its timeout; ``describe_error`` gives the one line
that says why a generation failed.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from time import monotonic

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage


class GenerationTimeout(Exception):
    """The model did not finish within the timeout."""


class Generation:
    """A model reply produced in a worker thread and read piece by piece before a deadline.

    On timeout the worker is told to stop at its next piece; its thread is a daemon, so a
    model stuck in a call never keeps the process alive."""

    def __init__(self, model: BaseChatModel, messages: list[BaseMessage], timeout: float):
        self.model, self.messages, self.timeout = model, messages, timeout
        self.deadline = monotonic() + timeout
        self.cancelled = threading.Event()
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._run, daemon=True, name="clusterbot-llm").start()

    def _run(self) -> None:
        stream = None
        try:
            stream = self.model.stream(self.messages)
            for chunk in stream:
                if self.cancelled.is_set():
                    break
                if chunk.text:
                    self._queue.put(("piece", chunk.text))
            self._queue.put(("done", None))
        except Exception as error:  # noqa: BLE001 - every backend error means "fall back"
            self._queue.put(("error", error))
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    close()

    def cancel(self) -> None:
        """Tell the worker to stop at its next piece."""
        self.cancelled.set()

    def pieces(self) -> Iterator[str]:
        """The reply's text pieces; raises ``GenerationTimeout`` or the model's error."""
        while True:
            try:
                kind, value = self._queue.get(timeout=max(0.0, self.deadline - monotonic()))
            except queue.Empty:
                self.cancel()
                raise GenerationTimeout(f"timeout: no complete reply within {self.timeout:g} s")\
                    from None
            if kind == "piece":
                yield value
            elif kind == "done":
                return
            else:
                raise value

    def text(self) -> str:
        """The whole reply; raises as ``pieces`` does."""
        return "".join(self.pieces())


def describe_error(error: BaseException) -> str:
    """One line for an error: its type and the first line of its message."""
    if isinstance(error, GenerationTimeout):
        return str(error)
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    text = f"backend error: {type(error).__name__}" + (f": {message}" if message else "")
    return text if len(text) <= 200 else text[:199] + "…"
