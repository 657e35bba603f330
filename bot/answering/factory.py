"""Choose the answering backend named by ``BOT_LLM``."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from ..config import Settings
from ..errors import ConfigError
from . import Answerer
from .extractive import ExtractiveAnswerer

BACKENDS = ("extractive",)


def make_answerer(settings: Settings, embeddings: Embeddings) -> Answerer:
    """The answerer for ``settings.llm``."""
    extractive = ExtractiveAnswerer(embeddings.embed_documents,
                                    min_relevance=settings.min_relevance)
    if settings.llm == "extractive":
        return extractive
    raise ConfigError(f"unknown BOT_LLM {settings.llm!r}: use one of {', '.join(BACKENDS)}")
