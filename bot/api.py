"""The front door: ``Bot`` opens an index, indexes a corpus and answers questions.

    from bot import Bot
    bot = Bot.open("index/")
    report = bot.index("corpus/")
    answer = bot.ask("How do clusters fund their offices?", filters={"cluster": "BioM"})
"""

from __future__ import annotations

import threading
from pathlib import Path
from time import perf_counter
from typing import Any

from .answering import Answer
from .answering.extractive import ExtractiveAnswerer
from .config import Settings
from .embeddings import load_embeddings
from .indexing import IndexReport, Progress, sync_index
from .retrieval import Hit, Retriever
from .store import FileRecord, IndexStore, current_generation

Message = dict[str, str]


class Bot:
    """A clusterbot over one index folder. Thread-safe for concurrent ``ask`` calls."""

    def __init__(self, settings: Settings, embeddings=None):
        self.settings = settings
        self._embeddings = embeddings
        self._lock = threading.RLock()
        self._store: IndexStore | None = None
        self._retriever: Retriever | None = None
        self._opened_state: tuple | None = None

    @classmethod
    def open(cls, index_dir: str | Path | None = None, settings: Settings | None = None,
             **overrides: Any) -> Bot:
        """A bot over ``index_dir`` (default: ``BOT_INDEX_DIR``); other settings as keywords.

        The index need not exist yet: ``index()`` builds it, ``ask()`` fails until then.
        """
        settings = (settings or Settings.from_env()).replace(index_dir=index_dir, **overrides)
        return cls(settings)

    # ------------------------------------------------------------------ components

    @property
    def embeddings(self):
        """The LangChain ``Embeddings`` of the settings' model (loaded on first use)."""
        if self._embeddings is None:
            self._embeddings = load_embeddings(self.settings)
        return self._embeddings

    @property
    def store(self) -> IndexStore:
        """The index in use; reopened when another run has changed it."""
        with self._lock:
            state = self._index_state()
            if self._store is None or state != self._opened_state:
                if self._store is not None:
                    self._store.close()
                self._store = IndexStore.open(self.settings)
                self._retriever = None
                self._opened_state = state
            return self._store

    def _index_state(self) -> tuple:
        root = self.settings.index_dir
        generation = current_generation(root)
        try:
            mtime = (root / str(generation) / "manifest.json").stat().st_mtime_ns
        except OSError:
            mtime = None
        return generation, mtime

    @property
    def search(self) -> Retriever:
        """The retriever over the index in use."""
        store = self.store
        with self._lock:
            if self._retriever is None or self._retriever.store is not store:
                self._retriever = Retriever(store, self.embeddings)
            return self._retriever

    # ------------------------------------------------------------------ operations

    def index(self, corpus_dir: str | Path | None = None, rebuild: bool = False,
              progress: Progress | None = None) -> IndexReport:
        """Bring the index in line with ``corpus_dir`` (default ``BOT_CORPUS_DIR``)."""
        return sync_index(self.settings, self.embeddings,
                          Path(corpus_dir) if corpus_dir else None, rebuild, progress)

    def retrieve(self, question: str, k: int | None = None,
                 filters: dict[str, Any] | None = None) -> list[Hit]:
        """The chunks that best match ``question`` under ``filters``."""
        return self.search.search(question, k or self.settings.top_k, filters)

    def ask(self, question: str, filters: dict[str, Any] | None = None,
            history: list[Message] | None = None, k: int | None = None) -> Answer:
        """Answer ``question`` from the index, with numbered sources, or abstain."""
        started = perf_counter()
        question = " ".join(question.split())
        if not question:
            from .errors import ConfigError

            raise ConfigError("the question is empty: type a question")
        retriever = self.search
        query = retriever.prepare(question)
        hits = retriever.search(query, k or self.settings.top_k, filters)
        answerer = ExtractiveAnswerer(self.embeddings.embed_documents,
                                      min_relevance=self.settings.min_relevance)
        answer = answerer.answer(question, query, hits)
        answer.metadata["query"] = query.text
        answer.metadata["seconds"] = round(perf_counter() - started, 3)
        return answer

    def documents(self) -> dict[str, FileRecord]:
        """The indexed files, by source path."""
        return dict(self.store.manifest.files)

    def retriever(self, k: int = 5, filters: dict[str, Any] | None = None):
        """A LangChain ``BaseRetriever`` over the same index."""
        from .langchain import BotRetriever

        return BotRetriever(bot=self, k=k, filters=filters or {})

    def vectorstore(self):
        """The index's Chroma collection as a LangChain ``Chroma`` vector store."""
        return self.store.vectorstore(self.embeddings)

    def close(self) -> None:
        """Release the index."""
        with self._lock:
            if self._store is not None:
                self._store.close()
            self._store = None
            self._retriever = None
