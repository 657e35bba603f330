"""Typed errors of clusterbot. Each message says how to fix the problem.

The library raises these; the CLI prints them as one line and the web app shows them as
``gr.Error``. Nothing in the library prints.
"""

from __future__ import annotations


class BotError(Exception):
    """Base class of every error clusterbot raises on purpose."""

    exit_code = 1


class ConfigError(BotError):
    """A setting has a value clusterbot cannot use."""

    exit_code = 2


class CorpusNotFound(BotError):
    """The corpus folder does not exist or holds no supported document."""

    exit_code = 3


class IndexNotFound(BotError):
    """No index exists at the given folder."""

    exit_code = 4

    def __init__(self, index_dir: str):
        super().__init__(
            f"no index at {index_dir}: build it with `clusterbot index --index {index_dir}`"
        )


class EmptyIndex(IndexNotFound):
    """The index exists but holds no document."""

    def __init__(self, index_dir: str, corpus_dir: str):
        BotError.__init__(
            self, f"the index at {index_dir} holds no document: put documents into {corpus_dir} "
                  f"and run `clusterbot index --index {index_dir}`")


class IndexDamaged(BotError):
    """Part of the index is missing or unreadable, or its parts disagree."""

    exit_code = 8

    def __init__(self, index_dir: str, what: str):
        self.what = what
        super().__init__(
            f"the index at {index_dir} is damaged ({what}): repair it with "
            f"`clusterbot check --repair --index {index_dir}`")


class IndexMismatch(BotError):
    """The index was built with another embedding model or chunking."""

    exit_code = 5


class IndexLocked(BotError):
    """Another process is writing to the index."""

    exit_code = 6


class EmbeddingModelError(BotError):
    """The embedding model cannot be loaded."""

    exit_code = 7


class LoadError(BotError):
    """One file cannot be read; the reason is the message. Indexing skips the file."""


class DocumentTooLarge(LoadError):
    """A file is over one of the loading limits (``bot.limits``); indexing skips it.

    The message names the limit and the ``BOT_*`` setting that raises it, and the file once
    ``load_document`` knows it (``named``)."""

    def __init__(self, reason: str, setting: str, source: str = "it"):
        super().__init__(f"{reason}: split {source}, or raise {setting}")
        self.reason, self.setting = reason, setting

    def named(self, source: str) -> DocumentTooLarge:
        """The same refusal, naming the file ``source``."""
        return DocumentTooLarge(self.reason, self.setting, source)


class AnswerError(BotError):
    """An LLM backend failed; the answerer falls back to the extractive answer."""


class EntryTooLong(BotError):
    """A question, answer or comment is longer than the web app accepts."""
