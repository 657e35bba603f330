"""The side index of a generation: BM25 (bm25s) over chunk texts, stored beside Chroma.

It is rebuilt from the stored chunks at the end of every indexing run that changed something, so
it always matches the vectors; queries only load it. Each row keeps the chunk's filterable
metadata, so the same filters apply to keyword and dense search, and a copy of the chunk's
vector (memory-mapped): a filtered dense search scores every vector and masks the rows the
filter refuses, which stays fast where Chroma's metadata filters are slow on large indexes.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .language import DEFAULT_LANGUAGE, languages, stopwords
from .text import words

if TYPE_CHECKING:  # numpy is imported when a search needs it, not at start-up
    import numpy as np


FILTER_FIELDS = ("source", "cluster", "country", "year", "type", "topics", "language")
#: Chunk metadata naming the language of the chunk's own text (its document's may differ).
TEXT_LANGUAGE = "text_language"
ROWS_FILE = "rows.json"
VECTORS_FILE = "vectors.npy"
MASK_CACHE = 64


@cache
def _analyser(code: str) -> tuple[Callable[[list[str]], list[str]], list[str] | str]:
    import Stemmer

    language = languages().get(code) or languages()[DEFAULT_LANGUAGE]
    stopwords = language.stopwords if isinstance(language.stopwords, str) \
        else list(language.stopwords)
    return Stemmer.Stemmer(language.stemmer).stemWords, stopwords


def tokenize(texts: list[str], language: str = DEFAULT_LANGUAGE) -> list[list[str]]:
    """Lower-cased words without the stopwords of ``language``, stemmed by its stemmer."""
    import bm25s

    stemmer, stopwords = _analyser(language)
    return bm25s.tokenize(texts, stopwords=stopwords, stemmer=stemmer, return_ids=False,
                          show_progress=False)


def tokenize_mixed(texts: list[str], text_languages: list[str]) -> list[list[str]]:
    """Each text analysed in its own language (one ``tokenize`` call per language)."""
    tokens: list[list[str]] = [[] for _ in texts]
    for code in sorted(set(text_languages)):
        rows = [i for i, language in enumerate(text_languages) if language == code]
        for row, row_tokens in zip(rows, tokenize([texts[i] for i in rows], code)):
            tokens[row] = row_tokens
    return tokens


def query_tokens(query: str, query_languages: list[str]) -> list[str]:
    """The words of ``query`` analysed in each of ``query_languages``, without repeats. The
    first language is the question's own: its stopwords are dropped before the others analyse
    the rest ("die", "mit", "wie" of a German question are no words of an English text)."""
    own = stopwords(query_languages[0]) if query_languages else frozenset()
    content = " ".join(w for w in words(query) if w not in own)
    found: dict[str, None] = {}
    for n, code in enumerate(query_languages):
        found.update(dict.fromkeys(tokenize([query if n == 0 else content], code)[0]))
    return list(found)


#: A word this long may hold two typos and still be the word.
LONG_WORD = 8


@dataclass
class KeywordHit:
    """A chunk found by keywords, with its BM25 score and metadata."""

    id: str
    score: float
    metadata: dict[str, Any]


class KeywordIndex:
    """BM25 over the chunks of one index generation, with each chunk's filterable metadata
    and, in indexes built since filtered search used it, its vector."""

    def __init__(self, bm25, ids: list[str], metadata: list[dict[str, Any]],
                 vectors: np.ndarray | None = None, languages: list[str] | None = None):
        self.bm25 = bm25
        self.ids = ids
        self.metadata = metadata
        self.vectors = vectors  # one normalised row per id, or None (an index built before)
        #: the languages of the chunks' texts: a question is analysed in each of them
        self.languages = languages or [DEFAULT_LANGUAGE]
        self._groups: tuple[list[dict[str, Any]], np.ndarray] | None = None
        self._masks: OrderedDict[Any, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._vocabulary: list[str] | None = None

    def _metadata_groups(self) -> tuple[list[dict[str, Any]], np.ndarray]:
        """The distinct metadata of the rows and, for each row, the number of its group (the
        chunks of one document share their metadata, so a filter is tested once per document)."""
        import numpy as np

        if self._groups is None:
            index: dict[str, int] = {}
            distinct: list[dict[str, Any]] = []
            of_row = np.empty(len(self.metadata), dtype=np.int64)
            for row, meta in enumerate(self.metadata):
                key = json.dumps(meta, sort_keys=True, ensure_ascii=False)
                group = index.get(key)
                if group is None:
                    group = index[key] = len(distinct)
                    distinct.append(meta)
                of_row[row] = group
            self._groups = (distinct, of_row)
        return self._groups

    def mask(self, allowed: Callable[[dict[str, Any]], bool]) -> np.ndarray:
        """1.0 for the rows whose metadata ``allowed`` accepts, else 0.0. A callable with a
        hashable ``cache_key`` attribute (the filters it tests) has its mask cached."""
        import numpy as np

        key = getattr(allowed, "cache_key", None)
        if key is not None:
            with self._lock:
                cached = self._masks.get(key)
                if cached is not None:
                    self._masks.move_to_end(key)
                    return cached
        distinct, of_row = self._metadata_groups()
        accepted = np.fromiter((allowed(m) for m in distinct), dtype=np.float32,
                               count=len(distinct))
        mask = accepted[of_row]
        if key is not None:
            with self._lock:
                self._masks[key] = mask
                while len(self._masks) > MASK_CACHE:
                    self._masks.popitem(last=False)
        return mask

    @classmethod
    def build(cls, ids: list[str], texts: list[str], metadata: list[dict[str, Any]],
              vectors: np.ndarray | None = None) -> KeywordIndex:
        """Index ``texts`` (one per chunk id), keeping their ``vectors`` if given."""
        import bm25s

        bm25 = bm25s.BM25()
        text_languages = [m.get(TEXT_LANGUAGE) or m.get("language") or DEFAULT_LANGUAGE
                          for m in metadata]
        # each chunk is found by the name of its document's cluster, which its text may not
        # repeat: a question naming the cluster then ranks its chunks by what else it asks
        named = [f"{m.get('cluster', '')}\n{text}" for text, m in zip(texts, metadata)]
        if ids:
            bm25.index(tokenize_mixed(named, text_languages), show_progress=False)
        kept = [{k: m[k] for k in FILTER_FIELDS if k in m} for m in metadata]
        return cls(bm25, list(ids), kept, vectors, sorted(set(text_languages)))

    def save(self, folder: Path) -> None:
        """Write the index to ``folder``, replacing what was there in one step."""
        staging = folder.with_name(folder.name + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        if self.ids:
            self.bm25.save(str(staging), show_progress=False)
        if self.vectors is not None:
            import numpy as np

            np.save(staging / VECTORS_FILE, np.asarray(self.vectors, dtype=np.float32))
        (staging / ROWS_FILE).write_text(
            json.dumps({"ids": self.ids, "metadata": self.metadata,
                        "languages": self.languages}, ensure_ascii=False),
            encoding="utf-8")
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        staging.rename(folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex | None:
        """The index saved in ``folder``, or None when none was saved there.

        Raises ``ValueError`` naming the file when a saved index is unreadable or its parts
        disagree (rows, BM25 matrix and vectors must have one entry per chunk)."""
        import bm25s
        import numpy as np

        rows_path = folder / ROWS_FILE
        if not rows_path.exists():
            return None
        try:
            rows = json.loads(rows_path.read_text(encoding="utf-8"))
            ids, metadata = list(rows["ids"]), list(rows["metadata"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{rows_path.name} is unreadable ({exc.__class__.__name__})") from exc
        if len(metadata) != len(ids):
            raise ValueError(f"{rows_path.name} has {len(ids)} ids but {len(metadata)} rows")
        bm25 = None
        if ids:
            try:
                bm25 = bm25s.BM25.load(str(folder), show_progress=False)
                documents = int(bm25.scores["num_docs"])
            except Exception as exc:  # bm25s raises whatever numpy and json raise
                raise ValueError(f"the BM25 files are unreadable ({exc.__class__.__name__}: "
                                 f"{exc})") from exc
            if documents != len(ids):
                raise ValueError(f"the BM25 matrix has {documents} rows for {len(ids)} chunks")
        vectors = None
        if (folder / VECTORS_FILE).exists():
            try:
                vectors = np.load(folder / VECTORS_FILE, mmap_mode="r")
            except (OSError, ValueError) as exc:
                raise ValueError(f"{VECTORS_FILE} is unreadable ({exc})") from exc
            if vectors.ndim != 2 or vectors.shape[0] != len(ids):
                raise ValueError(f"{VECTORS_FILE} holds {vectors.shape[0] if vectors.ndim else 0}"
                                 f" vectors for {len(ids)} chunks")
        return cls(bm25, ids, metadata, vectors, rows.get("languages"))

    def nearest(self, vector: list[float], k: int,
                allowed: Callable[[dict[str, Any]], bool]) -> list[tuple[str, float]]:
        """The ``k`` rows most similar to ``vector`` (cosine) among those whose metadata
        ``allowed`` accepts, as (id, similarity); needs the stored vectors."""
        import numpy as np

        mask = self.mask(allowed)
        allowed_rows = int(np.count_nonzero(mask))
        k = min(k, allowed_rows)
        if k <= 0:
            return []
        scores = self.vectors @ np.asarray(vector, dtype=np.float32)
        scores[mask == 0] = -np.inf
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in top]

    def knows(self, word: str, language: str = DEFAULT_LANGUAGE) -> bool:
        """Whether the indexed text holds ``word`` (a token of it as stemmed in ``language`` or
        in any language of the chunks)."""
        tokens = set(query_tokens(word, list(dict.fromkeys([language, *self.languages]))))
        return not tokens or bool(tokens & self.bm25.vocab_dict.keys())

    def spelled(self, word: str, language: str = DEFAULT_LANGUAGE) -> str | None:
        """The indexed word that ``word``, which the indexed text does not hold, is a typo of
        (one typo away, two in a long word) as analysed in ``language``; None when the text
        holds ``word`` or no word is that near."""
        tokens = tokenize([word], language)[0]
        if len(tokens) != 1 or tokens[0] in self.bm25.vocab_dict:
            return None
        return self._near(tokens[0], word)

    def _near(self, token: str, word: str) -> str | None:
        """The indexed token nearest ``token`` (of ``word``), one typo away or two in a long
        word; None when none is that near."""
        with self._lock:
            if self._vocabulary is None:
                self._vocabulary = list(self.bm25.vocab_dict)
        limit = 1 if len(word) < LONG_WORD else 2
        found = process.extract(token, self._vocabulary, scorer=OSA.distance,
                                score_cutoff=limit, limit=None)
        if not found:
            return None
        # of the nearest, the longest: a whole word ("member") over a stem ("memb"), whatever
        # order the index holds them in
        nearest = min(distance for _, distance, _ in found)
        return max((t for t, distance, _ in found if distance == nearest),
                   key=lambda t: (len(t), t))

    def search(self, query: str, k: int,
               allowed: Callable[[dict[str, Any]], bool] | None = None,
               language: str = DEFAULT_LANGUAGE) -> list[KeywordHit]:
        """The ``k`` best chunks for ``query`` among those whose metadata ``allowed`` accepts.

        The query is analysed in its ``language`` and in each language of the chunks: a name
        such as "Bardenas" is stemmed as the Spanish chunks that hold it were."""
        if not self.ids or k <= 0:
            return []
        tokens = [query_tokens(query, list(dict.fromkeys([language, *self.languages])))]
        if not tokens[0]:
            return []
        mask = None
        if allowed is not None:
            mask = self.mask(allowed)
            if not mask.any():
                return []
        k = min(k, len(self.ids))
        documents, scores = self.bm25.retrieve(tokens, k=k, show_progress=False,
                                               weight_mask=mask, n_threads=1)
        return [KeywordHit(self.ids[i], float(s), self.metadata[i])
                for i, s in zip(documents[0], scores[0]) if s > 0]
