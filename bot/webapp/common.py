"""What every tab of the web app shares: the context over one ``Bot``, error translation and
the reading of filter values and chat messages."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

import gradio as gr

from ..access import Gate, TooManyAttempts
from ..api import Bot
from ..config import Settings
from ..errors import BotError, EmptyIndex, EntryTooLong, IndexLocked, IndexNotFound
from ..feedback import FeedbackLimits, FeedbackStore
from ..generations import current_generation
from ..jobs import IndexRunner
from ..uploads import AccessDenied, UploadRejected

log = logging.getLogger(__name__)

#: The chat's filters, in the order of their dropdowns and of ``/ask``'s arguments.
FILTER_KEYS = ("cluster", "country", "topic", "year", "language")
TITLES = {TooManyAttempts: "Too many attempts", AccessDenied: "Not allowed",
          UploadRejected: "Upload refused", EntryTooLong: "Too long",
          EmptyIndex: "Nothing indexed", IndexNotFound: "No index yet",
          IndexLocked: "Index busy"}


def title_of(exc: BotError) -> str:
    """A short title for an error's message box."""
    return next((t for cls, t in TITLES.items() if isinstance(exc, cls)), "Error")


def to_gradio_error(exc: Exception) -> gr.Error:
    """``exc`` as the ``gr.Error`` shown to the user (unexpected ones are logged)."""
    if isinstance(exc, BotError):
        return gr.Error(str(exc), title=title_of(exc), print_exception=False)
    log.exception("unexpected error in the web app")
    return gr.Error(f"something went wrong ({exc.__class__.__name__}: {exc}); the server log "
                    "has the details", print_exception=False)


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
                raise to_gradio_error(exc) from None

        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:
            raise to_gradio_error(exc) from None

    return wrapper


def filters_from(*values: Any) -> dict[str, Any]:
    """Bot filters from the UI/API values in ``FILTER_KEYS`` order; empty values mean no
    filter, a list of one value is that value."""
    clean: dict[str, Any] = {}
    for key, value in zip(FILTER_KEYS, values, strict=False):
        if isinstance(value, (list, tuple)):
            value = [str(v).strip() for v in value if str(v).strip()]
            if len(value) == 1:
                value = value[0]
        elif value is not None:
            value = str(value).strip()
        if value:
            clean[key] = value
    return clean


def message_text(content: Any) -> str:
    """The text of a chat message's content (a string or Gradio's list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    if isinstance(content, (list, tuple)):
        return "\n".join(message_text(part) for part in content if part is not None).strip()
    return ""


class Context:
    """The state the tabs share: the bot, its index runner, the feedback logs, the gate."""

    def __init__(self, bot: Bot, runner: IndexRunner | None = None):
        self.bot = bot
        self.settings: Settings = bot.settings
        self.runner = runner or IndexRunner(bot)
        self.feedback = FeedbackStore(self.settings.data_dir,
                                      FeedbackLimits.from_settings(self.settings))
        self.gate = Gate(self.settings)

    @property
    def password_required(self) -> bool:
        """Whether the admin actions ask for BOT_ADMIN_PASSWORD."""
        return bool(self.settings.admin_password)

    def facets(self) -> dict[str, list]:
        """The index's filter values, or empty lists while there is no index."""
        try:
            return self.bot.facets()
        except IndexNotFound:
            return {key: [] for key in (*FILTER_KEYS, "type")}

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

    def not_ready(self, exc: IndexNotFound) -> gr.Error:
        """The message for a question asked while there is no usable index."""
        status = self.runner.status()
        if status.running:
            return gr.Error(f"the index is being built ({status.stage or 'starting'} "
                            f"{status.done}/{status.total}): ask again when it finishes",
                            title="Index not ready", print_exception=False)
        if isinstance(exc, EmptyIndex):
            return gr.Error("nothing is indexed yet: add documents on the Documents tab and "
                            f"click Update index ({exc})", title="Nothing indexed",
                            print_exception=False)
        return gr.Error("there is no index yet: add documents on the Documents tab and click "
                        "Update index (or run `clusterbot index`)", title="No index yet",
                        print_exception=False)
