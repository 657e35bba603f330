"""The plain LangChain tutorial pipeline that ``bench/speed.py`` compares clusterbot with.

Load each file as text, split with ``RecursiveCharacterTextSplitter(chunk_size=1000,
chunk_overlap=200)``, embed with the same all-MiniLM-L6-v2 through ``HuggingFaceEmbeddings``
(its defaults: fp32 torch, batches of 32) and store with ``Chroma.from_documents``; answer with
``similarity_search(k=4)``. Only plain-text formats are read (the benchmark corpora are
Markdown and text files).
"""

from __future__ import annotations

from pathlib import Path

TEXT_SUFFIXES = {".md", ".txt"}


def load_folder(folder: Path):
    """Every ``.md``/``.txt`` file of ``folder`` as a LangChain ``Document``."""
    from langchain_core.documents import Document

    return [Document(page_content=path.read_text(encoding="utf-8"),
                     metadata={"source": path.relative_to(folder).as_posix()})
            for path in sorted(folder.rglob("*")) if path.suffix in TEXT_SUFFIXES]


def tutorial_embeddings():
    """``HuggingFaceEmbeddings`` of the same model as clusterbot, with LangChain's defaults."""
    from langchain_huggingface import HuggingFaceEmbeddings

    from bot.embeddings import resolve_model_path

    return HuggingFaceEmbeddings(model_name=resolve_model_path("all-MiniLM-L6-v2"),
                                 model_kwargs={"device": "cpu"})


def split(documents):
    """The tutorial's splitter."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    return splitter.split_documents(documents)


def build(folder: Path, persist_directory: Path, embeddings):
    """Index ``folder`` the tutorial way; return (vector store, number of chunks)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma

    chunks = split(load_folder(folder))
    client = chromadb.PersistentClient(path=str(persist_directory),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    store = Chroma.from_documents(chunks, embeddings, client=client,
                                  collection_name="langchain")
    return store, len(chunks)
