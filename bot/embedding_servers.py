"""Embeddings computed by a server: Ollama's ``/api/embed`` or an OpenAI-compatible ``/embeddings``.

``BOT_EMBEDDING_BACKEND=ollama`` or ``openai`` sends the texts, ``BOT_EMBEDDING_BATCH_SIZE`` at a
time, to ``BOT_EMBEDDING_URL`` and asks for the model ``BOT_EMBEDDING_MODEL`` (``bge-m3``,
``nomic-embed-text``...). Connection errors and answers 429 and 5xx are tried again with a
growing pause; every other failure is an ``EmbeddingModelError`` that says what to do. Vectors
are L2-normalised, as the other backends' are, because the index compares them by cosine.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import httpx
from langchain_core.embeddings import Embeddings

from .errors import ConfigError, EmbeddingModelError

#: The server each backend asks when ``BOT_EMBEDDING_URL`` is empty.
DEFAULT_URLS = {"ollama": "http://127.0.0.1:11434", "openai": "http://127.0.0.1:8000/v1"}
#: Answers worth another try: the server is busy or briefly broken.
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
#: Tries per batch, the pause before the second (doubled before each next) and the longest
#: ``Retry-After`` honoured, in seconds.
ATTEMPTS = 4
BACKOFF = 0.5
MAX_PAUSE = 30.0


class ServerEmbeddings(Embeddings):
    """LangChain ``Embeddings`` over an HTTP embedding API; subclasses name the API.

    Thread-safe: concurrent questions share one connection pool.
    """

    backend = ""
    #: Path of the embedding endpoint under the base URL.
    path = ""
    #: What to do when the server cannot be reached, and when it does not know the model
    #: (formatted with ``url`` and ``model``).
    start_hint = ""
    model_hint = ""

    def __init__(self, url: str, model: str, batch_size: int = 64, timeout: float = 120.0,
                 api_key: str = "", attempts: int = ATTEMPTS, backoff: float = BACKOFF):
        try:
            scheme = httpx.URL(url).scheme
        except httpx.InvalidURL:
            scheme = ""
        if scheme not in ("http", "https"):
            raise ConfigError(f"BOT_EMBEDDING_URL={url!r} is not an http:// or https:// address")
        self.url = url.rstrip("/")
        self.model = model
        self.batch_size = max(1, batch_size)
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff = backoff
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(timeout=timeout, headers=headers)
        self._dimension: int | None = None

    # ------------------------------------------------------------------ the API of a server

    def _body(self, texts: list[str]) -> dict[str, Any]:
        return {"model": self.model, "input": texts}

    def _vectors(self, payload: Any) -> list:
        raise NotImplementedError

    # ------------------------------------------------------------------ Embeddings

    @property
    def dimension(self) -> int:
        """Length of the server's vectors (one probe request the first time)."""
        if self._dimension is None:
            self.embed_query("dimension probe")
        return self._dimension

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Vectors of ``texts`` (unit length), ``batch_size`` texts per request."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            vectors += self._embed_batch(texts[start : start + self.batch_size])
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """Vector of one query (unit length)."""
        return self._embed_batch([text])[0]

    def _embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        import numpy as np

        payload = self._post(self._body([t or " " for t in texts]))  # servers refuse ""
        try:
            vectors = np.asarray(self._vectors(payload), dtype=np.float32)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            raise self._malformed(f"an answer without vectors ({exc.__class__.__name__}: "
                                  f"{str(exc)[:80]})") from exc
        if vectors.ndim != 2 or vectors.shape[0] != len(texts) or vectors.shape[1] == 0:
            shape = "x".join(map(str, vectors.shape)) or "a scalar"
            raise self._malformed(f"{shape} numbers for {len(texts)} texts")
        if not np.isfinite(vectors).all():
            raise self._malformed("vectors with NaN or infinite numbers")
        if self._dimension is None:
            self._dimension = int(vectors.shape[1])
        elif vectors.shape[1] != self._dimension:
            raise EmbeddingModelError(
                f"the embedding server at {self.url} sent vectors of {vectors.shape[1]} numbers "
                f"after vectors of {self._dimension}: its model {self.model!r} changed; "
                "rebuild the index with `clusterbot index --rebuild`")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.clip(norms, 1e-12, None)).tolist()

    # ------------------------------------------------------------------ HTTP

    def _post(self, body: dict[str, Any]) -> Any:
        """The JSON answer to ``body``, trying again after connection errors, 429 and 5xx."""
        endpoint = self.url + self.path
        attempt = 0
        while True:
            attempt += 1
            pause = self.backoff * 2 ** (attempt - 1)
            last = attempt == self.attempts
            try:
                response = self._http.post(endpoint, json=body)
            except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout) as exc:
                raise EmbeddingModelError(
                    f"the embedding server at {self.url} did not answer within "
                    f"{self.timeout:g} s (BOT_EMBEDDING_TIMEOUT): raise it, or send fewer texts "
                    f"per request with BOT_EMBEDDING_BATCH_SIZE (now {self.batch_size})") from exc
            except httpx.TransportError as exc:  # refused, reset, DNS, connect timeout
                if not last:
                    time.sleep(pause)
                    continue
                raise EmbeddingModelError(
                    f"cannot reach the embedding server at {self.url} ({exc.__class__.__name__}"
                    f"{': ' + str(exc)[:120] if str(exc) else ''}; {_attempts(attempt)}): "
                    + self.start_hint.format(url=self.url, model=self.model)) from exc
            if response.status_code in RETRY_STATUS and not last:
                time.sleep(max(pause, _retry_after(response)))
                continue
            if response.is_success:
                try:
                    return response.json()
                except ValueError as exc:
                    raise self._malformed("an answer that is not JSON") from exc
            raise self._refused(response, attempt)

    def _refused(self, response: httpx.Response, attempts: int) -> EmbeddingModelError:
        status, message = response.status_code, _server_message(response)
        said = f"the embedding server at {self.url} answered {status} ({message})"
        if status in (401, 403):
            return EmbeddingModelError(f"{said}: set BOT_EMBEDDING_API_KEY to a key it accepts")
        if status in (400, 404):
            return EmbeddingModelError(
                f"{said}: " + self.model_hint.format(url=self.url, model=self.model))
        tried = f" after {_attempts(attempts)}" if attempts > 1 else ""
        return EmbeddingModelError(f"{said}{tried}: see the server's log")

    def _malformed(self, what: str) -> EmbeddingModelError:
        return EmbeddingModelError(
            f"the embedding server at {self.url} sent {what}: check that BOT_EMBEDDING_URL is "
            f"{'an Ollama' if self.backend == 'ollama' else 'an OpenAI-compatible'} server "
            f"(BOT_EMBEDDING_BACKEND={self.backend}) and that {self.model!r} is an embedding "
            "model")


class OllamaEmbeddings(ServerEmbeddings):
    """Ollama's ``POST /api/embed``: ``{"model", "input": [...]}`` → ``{"embeddings": [...]}``."""

    backend = "ollama"
    path = "/api/embed"
    start_hint = ("start Ollama with `ollama serve` and fetch the model with `ollama pull "
                  "{model}`, or point BOT_EMBEDDING_URL at the Ollama server")
    model_hint = ("fetch the model with `ollama pull {model}`, or set BOT_EMBEDDING_MODEL to an "
                  "embedding model that `ollama list` shows")

    def _vectors(self, payload: Any) -> list:
        return payload["embeddings"]


class OpenAIEmbeddings(ServerEmbeddings):
    """An OpenAI-compatible ``POST /embeddings`` (vLLM, llama.cpp server, LM Studio, OpenAI):
    ``{"model", "input": [...]}`` → ``{"data": [{"embedding": [...], "index": i}, ...]}``."""

    backend = "openai"
    path = "/embeddings"
    start_hint = ("start the server (vLLM, llama.cpp server, LM Studio...), or point "
                  "BOT_EMBEDDING_URL at it, ending in /v1")
    model_hint = ("check that BOT_EMBEDDING_URL ends in /v1 and that BOT_EMBEDDING_MODEL names "
                  "an embedding model the server lists at {url}/models")

    def _vectors(self, payload: Any) -> list:
        items = payload["data"]
        order = sorted(range(len(items)), key=lambda i: items[i].get("index", i))
        return [items[i]["embedding"] for i in order]


SERVER_APIS: dict[str, type[ServerEmbeddings]] = {
    OllamaEmbeddings.backend: OllamaEmbeddings, OpenAIEmbeddings.backend: OpenAIEmbeddings}


@lru_cache(maxsize=4)
def server_embeddings(backend: str, url: str, model: str, batch_size: int, timeout: float,
                      api_key: str = "") -> ServerEmbeddings:
    """The embeddings of ``model`` on the ``backend`` server at ``url`` (default: the
    backend's usual address), shared by the callers that ask for the same."""
    return SERVER_APIS[backend](url or DEFAULT_URLS[backend], model, batch_size, timeout,
                                api_key)


def _attempts(n: int) -> str:
    return f"{n} attempt{'s' if n > 1 else ''}"


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(MAX_PAUSE, max(0.0, float(response.headers.get("retry-after", 0))))
    except ValueError:  # an HTTP date: not worth parsing for a pause this short
        return 0.0


def _server_message(response: httpx.Response) -> str:
    """The error text of an answer: Ollama's ``{"error": "..."}``, OpenAI's
    ``{"error": {"message": ...}}``, vLLM's ``{"message": ...}``, or the text itself."""
    try:
        payload = response.json()
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        error = error.get("message")
    if not error and isinstance(payload, dict):
        error = payload.get("message") or payload.get("detail")
    return str(error or payload)[:200]
