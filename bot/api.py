"""The front door: ``Bot`` opens an index, indexes a corpus and answers questions.

    from bot import Bot
    bot = Bot.open("index/")
    report = bot.index("corpus/")
    answer = bot.ask("How do clusters fund their offices?", filters={"cluster": "BioM"})
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from time import perf_counter
from typing import Any

from .answering import Answer, Answerer
from .config import Settings
from .errors import ConfigError, EmptyIndex, IndexDamaged
from .generations import current_generation
from .health import HealthReport, inspect_index, repair_index
from .indexing import IndexReport, Progress, sync_index
from .manifest import FileRecord
from .question import Question
from .retrieval import Hit, Retriever, metadata_filter
from .store import IndexStore

Message = dict[str, str]


class Bot:
    """A clusterbot over one index folder. Thread-safe for concurrent ``ask`` calls."""

    def __init__(self, settings: Settings, embeddings=None, chat_model=None):
        """``embeddings`` and ``chat_model`` (a LangChain chat model) replace the ones the
        settings name; both are optional."""
        self.settings = settings
        self._embeddings = embeddings
        self._chat_model = chat_model
        self._lock = threading.RLock()
        self._store: IndexStore | None = None
        self._retriever: Retriever | None = None
        self._answerer: Answerer | None = None
        self._opened_state: tuple | None = None

    @classmethod
    def open(cls, index_dir: str | Path | None = None, settings: Settings | None = None,
             chat_model=None, **overrides: Any) -> Bot:
        """A bot over ``index_dir`` (default: ``BOT_INDEX_DIR``); other settings as keywords.

        The index need not exist yet: ``index()`` builds it, ``ask()`` fails until then.
        ``chat_model`` (any LangChain chat model) answers instead of the ``BOT_LLM`` backend.
        """
        settings = (settings or Settings.from_env()).replace(index_dir=index_dir, **overrides)
        return cls(settings, chat_model=chat_model)

    # ------------------------------------------------------------------ components

    @property
    def embeddings(self):
        """The LangChain ``Embeddings`` of the settings' model (loaded on first use)."""
        if self._embeddings is None:
            from .embeddings import load_embeddings

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
                    self._store = None
                self._retriever = None
                store = IndexStore.open(self.settings)
                try:
                    store.ensure_consistent()
                except IndexDamaged:
                    store.close()
                    raise
                self._store, self._opened_state = store, state
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
                self._retriever = Retriever(store, self.embeddings, self.settings)
            return self._retriever

    # ------------------------------------------------------------------ operations

    def index(self, corpus_dir: str | Path | None = None, rebuild: bool = False,
              progress: Progress | None = None) -> IndexReport:
        """Bring the index in line with ``corpus_dir`` (default ``BOT_CORPUS_DIR``)."""
        return sync_index(self.settings, lambda: self.embeddings,
                          Path(corpus_dir) if corpus_dir else None, rebuild, progress)

    def check(self, repair: bool = False, corpus_dir: str | Path | None = None,
              progress: Progress | None = None) -> HealthReport:
        """Whether manifest, vectors and keyword index agree; with ``repair``, rebuild what is
        damaged from what is intact (see ``bot.health``)."""
        with self._lock:
            self.close()
        if not repair:
            return inspect_index(self.settings)
        return repair_index(self.settings, lambda: self.embeddings,
                            Path(corpus_dir) if corpus_dir else None, progress)

    def retrieve(self, question: str, k: int | None = None,
                 filters: dict[str, Any] | None = None) -> list[Hit]:
        """The chunks that best match ``question`` under ``filters``."""
        return self.search.search(question, k or self.settings.top_k, filters)

    @property
    def answerer(self) -> Answerer:
        """The answering backend of the settings (``BOT_LLM``)."""
        with self._lock:
            if self._answerer is None:
                from .answering.factory import make_answerer

                self._answerer = make_answerer(
                    self.settings, self.embeddings, chat_model=self._chat_model,
                    find_entities=lambda text: self.search.analyser.entities.find(text),
                    documents=self._document)
            return self._answerer

    def _document(self, source: str) -> list[Hit]:
        """The chunks of the document ``source`` in the index in use."""
        return [Hit(c.id, c.text, c.metadata, 0.0, 0.0) for c in self.store.chunks_of(source)]

    def analyse(self, question: str, history: list[Message] | None = None) -> Question:
        """``question`` read once (``bot.question``): made standalone using the conversation
        ``history`` (by the LLM backend's rewriter, if it has one), then analysed."""
        rewrite = getattr(self.answerer, "rewrite", None)
        return self.search.analyser.analyse(
            question, history, rewrite and (lambda q, h: rewrite(q, h, self.settings.max_turns)),
            self.settings.max_turns)

    def _prepare(self, question: str, filters: dict[str, Any] | None,
                 history: list[Message] | None, k: int | None) -> tuple[Question, list[Hit]]:
        check_request(question, filters, history, k, self.settings.max_k)
        question = " ".join(question.split())
        if not question:
            raise ConfigError("the question is empty: type a question")
        if self.store.count() == 0:
            raise EmptyIndex(str(self.settings.index_dir), str(self.settings.corpus_dir))
        from chromadb.errors import ChromaError

        try:
            return self._search(question, history, filters, k)
        except ChromaError:  # the index was reopened under this search: once more on the new one
            with self._lock:
                self._opened_state = None
        try:
            return self._search(question, history, filters, k)
        except ChromaError as exc:
            raise IndexDamaged(str(self.settings.index_dir), "the vector store cannot be "
                               f"searched: {exc.__class__.__name__}: {exc}") from exc

    def _search(self, question: str, history: list[Message] | None,
                filters: dict[str, Any] | None, k: int | None) -> tuple[Question, list[Hit]]:
        analysed = self.analyse(question, history)
        return analysed, self.search.search(analysed, k or self.settings.top_k, filters)

    def ask(self, question: str, filters: dict[str, Any] | None = None,
            history: list[Message] | None = None, k: int | None = None) -> Answer:
        """Answer ``question`` from the index, with numbered sources, or abstain.

        ``history`` is the conversation so far as ``{"role", "content"}`` messages; follow-up
        questions are rewritten into standalone ones before retrieval.
        """
        started = perf_counter()
        analysed, hits = self._prepare(question, filters, history, k)
        answer = (self._no_match(filters) if not hits and self._matches_nothing(filters)
                  else self.answerer.answer(analysed, hits, history))
        answer.metadata.update(query=analysed.text, seconds=round(perf_counter() - started, 3))
        return answer

    def stream(self, question: str, history: list[Message] | None = None,
               filters: dict[str, Any] | None = None,
               k: int | None = None) -> Iterator[str | Answer]:
        """Yield the answer's text in pieces as it is produced, then the final ``Answer``."""
        started = perf_counter()
        analysed, hits = self._prepare(question, filters, history, k)
        if not hits and self._matches_nothing(filters):
            answer = self._no_match(filters)
            answer.metadata.update(query=analysed.text,
                                   seconds=round(perf_counter() - started, 3))
            yield answer.text
            yield answer
            return
        for item in self.answerer.stream(analysed, hits, history):
            if isinstance(item, Answer):
                item.metadata.update(query=analysed.text,
                                     seconds=round(perf_counter() - started, 3))
            yield item

    def _matches_nothing(self, filters: dict[str, Any] | None) -> bool:
        """Whether ``filters`` leave no indexed chunk to search."""
        allowed = metadata_filter(filters)
        keywords = self.store.keywords
        return allowed is not None and keywords is not None and not keywords.mask(allowed).any()

    @staticmethod
    def _no_match(filters: dict[str, Any] | None) -> Answer:
        shown = ", ".join(f"{key} {value}" for key, value in (filters or {}).items() if value)
        return Answer(f"No indexed document matches these filters ({shown}): remove a filter "
                      "or choose other values.", True, [],
                      {"abstain_reason": "the filters match no document",
                       "filters_match_nothing": True})

    def documents(self) -> dict[str, FileRecord]:
        """The indexed files, by source path."""
        return dict(self.store.manifest.files)

    def facets(self) -> dict[str, list]:
        """Values present in the index for each filter: cluster, country, topic, year, type,
        language."""
        values: dict[str, set] = {"cluster": set(), "country": set(), "topic": set(),
                                  "year": set(), "type": set(), "language": set()}
        for record in self.documents().values():
            for key in ("cluster", "country", "year", "type", "language"):
                if record.metadata.get(key) not in (None, ""):
                    values[key].add(record.metadata[key])
            values["topic"].update(record.metadata.get("topics", []))
        return {key: sorted(found) for key, found in values.items()}

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


def check_request(question: Any, filters: Any, history: Any, k: Any, max_k: int) -> None:
    """Refuse arguments of the wrong type or range with a ``ConfigError`` that says what is
    expected, before anything is searched."""
    if not isinstance(question, str):
        raise ConfigError(f"the question must be text, not {type(question).__name__}")
    if isinstance(k, bool) or not (k is None or isinstance(k, int)) or (
            k is not None and not 1 <= k <= max_k):
        raise ConfigError(f"k must be a whole number from 1 to {max_k} (BOT_MAX_K), not {k!r}")
    if filters is not None:
        if not isinstance(filters, dict):
            raise ConfigError("filters must be a dict such as {'cluster': 'BioM'}")
        for key, value in filters.items():
            values = value if isinstance(value, (list, tuple, set)) else [value]
            if not all(v is None or isinstance(v, (str, int)) for v in values):
                raise ConfigError(f"filter {key!r} must be text, a number or a list of them, "
                                  f"not {type(value).__name__}")
    if history is not None:
        if not isinstance(history, list) or not all(
                isinstance(m, dict) and m.get("role") in ("user", "assistant")
                and isinstance(m.get("content"), str) for m in history):
            raise ConfigError("history must be a list of {'role': 'user' or 'assistant', "
                              "'content': text} messages")
