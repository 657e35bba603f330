"""The index describes itself: its manifest records the embedding model and backend, the vector
dimension, the chunking and, per corpus file, its content hash and chunk ids. It is kept as
``manifest.json`` in each generation's folder (``bot.generations``) and written atomically.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .chunking import CHUNKER_VERSION
from .config import Settings
from .errors import IndexDamaged
from .generations import utc_now, write_atomic

MANIFEST_VERSION = 1
MANIFEST_FILE = "manifest.json"


@dataclass
class FileRecord:
    """What the index knows of one corpus file."""

    hash: str
    title: str
    chunk_ids: list[str]
    metadata: dict[str, Any]
    indexed_at: str


@dataclass
class Manifest:
    """The index describes itself: model, dimension, chunking and every file's content hash."""

    embedding_model: str
    dimension: int
    chunk_tokens: int
    chunk_overlap: int
    chunker_version: int = CHUNKER_VERSION
    embedding_backend: str = "torch"  # indexes written before the setting existed were torch
    files: dict[str, FileRecord] = field(default_factory=dict)
    created_at: str = field(default_factory=utc_now)
    updated_at: str = field(default_factory=utc_now)
    dirty: bool = False
    version: int = MANIFEST_VERSION

    @classmethod
    def for_settings(cls, settings: Settings, dimension: int) -> Manifest:
        """An empty manifest for an index built with ``settings``."""
        return cls(settings.embedding_model, dimension, settings.chunk_tokens,
                   settings.chunk_overlap, embedding_backend=settings.embedding_backend)

    @classmethod
    def read(cls, root: Path, generation: str) -> Manifest:
        """The manifest of a generation of the index in ``root``; ``IndexDamaged`` when it
        cannot be read."""
        try:
            return cls.from_json((root / generation / MANIFEST_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise IndexDamaged(str(root), f"{generation}/{MANIFEST_FILE} is unreadable: "
                                          f"{exc.__class__.__name__}") from exc

    def save(self, folder: Path) -> None:
        """Stamp the time and write the manifest atomically into a generation's ``folder``."""
        self.updated_at = utc_now()
        write_atomic(folder / MANIFEST_FILE, self.to_json())

    def mismatch(self, settings: Settings) -> str | None:
        """Why an index built this way cannot serve ``settings``, or None when it can."""
        wanted = (settings.embedding_model, settings.embedding_backend, settings.chunk_tokens,
                  settings.chunk_overlap, CHUNKER_VERSION)
        have = (self.embedding_model, self.embedding_backend, self.chunk_tokens,
                self.chunk_overlap, self.chunker_version)
        if wanted == have:
            return None
        return (
            f"the index was built with model {self.embedding_model!r} on the "
            f"{self.embedding_backend} backend ({self.dimension} dimensions), chunks of "
            f"{self.chunk_tokens} tokens with {self.chunk_overlap} overlap "
            f"(chunker v{self.chunker_version}); the settings ask for model "
            f"{settings.embedding_model!r} on the {settings.embedding_backend} backend "
            f"(BOT_EMBEDDING_BACKEND), chunks of {settings.chunk_tokens}/"
            f"{settings.chunk_overlap} (chunker v{CHUNKER_VERSION})"
        )

    def to_json(self) -> str:
        """The manifest as JSON text."""
        return json.dumps(dataclasses.asdict(self), indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse a manifest written by ``to_json``."""
        raw = json.loads(text)
        raw["files"] = {k: FileRecord(**v) for k, v in raw.get("files", {}).items()}
        return cls(**raw)
