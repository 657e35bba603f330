"""A local embedding server speaking Ollama's ``/api/embed`` and OpenAI's ``/v1/embeddings``.

Vectors are deterministic bags of hashed words (not normalised: the client must do it), so
texts that share words are near each other. The server records every request and can be told
to fail: answer some statuses first, drop a vector, or answer slowly::

    with FakeEmbeddingServer() as server:
        server.fail_with(500, 500)          # two errors, then answers
        url = server.ollama_url             # or server.openai_url
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: The models the server knows and the length of their vectors.
MODELS = {"fake-m3": 96, "fake-e5": 64}


def hashed_vector(text: str, dimension: int) -> list[float]:
    """Word counts hashed into ``dimension`` buckets, plus a constant so no vector is zero."""
    vector = [0.0] * dimension
    vector[0] = 0.5
    for word in re.findall(r"\w+", text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        vector[int.from_bytes(digest[:4], "little") % dimension] += 1.0 + digest[4] / 255
    return [3.0 * v for v in vector]


@dataclass
class Request:
    """One request the server received."""

    path: str
    model: str
    inputs: list[str]
    authorization: str


class FakeEmbeddingServer:
    """An embedding server on a free loopback port, in a background thread."""

    def __init__(self, api_key: str = ""):
        self.api_key = api_key
        self.requests: list[Request] = []
        self.delay = 0.0
        self.drop_vector = False
        self.retry_after = 1  # seconds a 429 answer asks the client to wait
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def ollama_url(self) -> str:
        return self.url

    @property
    def openai_url(self) -> str:
        return self.url + "/v1"

    def fail_with(self, *statuses: int) -> FakeEmbeddingServer:
        """Answer the next requests with these HTTP statuses, one each."""
        with self._lock:
            self._failures.extend(statuses)
        return self

    def batch_sizes(self, path: str | None = None) -> list[int]:
        """Texts per request received (on ``path`` only, if given)."""
        return [len(r.inputs) for r in self.requests if path is None or r.path == path]

    def __enter__(self) -> FakeEmbeddingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # ------------------------------------------------------------------ answering

    def answer(self, path: str, body: dict[str, Any], authorization: str) -> tuple[int, Any]:
        """(status, JSON) for a request."""
        inputs = body.get("input", [])
        inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        model = str(body.get("model", ""))
        with self._lock:
            self.requests.append(Request(path, model, inputs, authorization))
            failure = self._failures.pop(0) if self._failures else None
        time.sleep(self.delay)
        if failure is not None:
            return failure, {"error": f"injected failure {failure}"}
        if path == "/v1/embeddings" and self.api_key and authorization != f"Bearer {self.api_key}":
            return 401, {"error": {"message": "Incorrect API key provided",
                                   "type": "invalid_request_error", "code": "invalid_api_key"}}
        if model not in MODELS:
            if path == "/api/embed":
                return 404, {"error": f'model "{model}" not found, try pulling it first'}
            return 404, {"error": {"message": f"The model `{model}` does not exist.",
                                   "type": "invalid_request_error", "code": "model_not_found"}}
        if any(not text for text in inputs):
            return 400, {"error": "input must not be empty"}
        vectors = [hashed_vector(text, MODELS[model]) for text in inputs]
        if self.drop_vector:
            vectors = vectors[:-1]
        if path == "/api/embed":
            return 200, {"model": model, "embeddings": vectors}
        data = [{"object": "embedding", "embedding": v, "index": i} for i, v in enumerate(vectors)]
        return 200, {"object": "list", "data": data[::-1], "model": model}  # any order


def _handler(server: FakeEmbeddingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path not in ("/api/embed", "/v1/embeddings"):
                status, payload = 404, "404 page not found"
            else:
                status, payload = server.answer(self.path, body,
                                                self.headers.get("Authorization", ""))
            text = isinstance(payload, str)
            data = (payload if text else json.dumps(payload)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if text else "application/json")
            self.send_header("Content-Length", str(len(data)))
            if status == 429:
                self.send_header("Retry-After", str(server.retry_after))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                pass

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


def closed_port_url() -> str:
    """An http:// address on loopback where nothing listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
