"""Chunking: a ``Document`` → ``Chunk``s of a few hundred tokens that follow its structure.

Blocks (paragraphs, list items, table rows) are packed into chunks of about ``chunk_tokens``
tokens. A new section starts a new chunk once the current one holds a quarter of the target, so
small sections travel with their neighbours instead of becoming tiny chunks; a block longer than
the target is split at sentence boundaries. Consecutive chunks of one section share about
``overlap`` tokens of text. Every chunk carries its document's metadata (its ``language``
included) and heading path, and the language of its own text (a German section of an English
report is German).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .language import DEFAULT_LANGUAGE, detect
from .loading.document import Block, Document
from .text import count_tokens, split_sentences

HEADING_SEPARATOR = " › "
#: Bump when loaders or chunking change what is indexed (v4: re-flowed lines; v5: chunks
#: marked ``instruction_like``, see ``store.chunk_metadata``, and the language of each chunk;
#: v6: numbered section headings and subtitles of plain text; v7: the cluster of a document
#: without one in its metadata, from its title or text, see ``organisations``; v8: the
#: headings of the sections a chunk enters after its first, ``Chunk.headings``).
CHUNKER_VERSION = 8


@dataclass
class Chunk:
    """A piece of a document: the unit that is embedded, indexed and cited."""

    id: str
    text: str
    source: str
    title: str
    section: str = ""
    page: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    language: str = DEFAULT_LANGUAGE  # of this chunk's text; the document's is in metadata
    #: the headings of the sections the chunk's text enters after its first (lines of its
    #: text, not statements to quote)
    headings: tuple[str, ...] = ()

    @property
    def heading_path(self) -> str:
        """``Title › Section › Subsection``."""
        return HEADING_SEPARATOR.join(p for p in (self.title, self.section) if p)

    @property
    def embedding_text(self) -> str:
        """The text that is embedded: heading path, then the chunk text."""
        return f"{self.heading_path}\n{self.text}"


@dataclass
class _Piece:
    text: str
    section: tuple[str, ...]
    page: int | None
    tokens: int


def _pieces(blocks: list[Block], limit: int) -> list[_Piece]:
    """Blocks, with any block longer than ``limit`` tokens cut at sentence (or word) bounds."""
    pieces: list[_Piece] = []
    for block in blocks:
        tokens = count_tokens(block.text)
        if tokens <= limit:
            pieces.append(_Piece(block.text, block.section, block.page, tokens))
            continue
        for sentence in split_sentences(block.text):
            sentence_tokens = count_tokens(sentence)
            if sentence_tokens <= limit:
                pieces.append(_Piece(sentence, block.section, block.page, sentence_tokens))
                continue
            words = sentence.split()
            step = max(1, limit * 2 // 3)
            for start in range(0, len(words), step):
                part = " ".join(words[start : start + step])
                pieces.append(_Piece(part, block.section, block.page, count_tokens(part)))
    return pieces


def chunk_document(document: Document, chunk_tokens: int = 200, overlap: int = 40) -> list[Chunk]:
    """Split a document into chunks with stable ids (hash of source and chunk text)."""
    pieces = _pieces(document.blocks, chunk_tokens)
    groups: list[list[_Piece]] = []
    current: list[_Piece] = []
    size = 0
    for piece in pieces:
        new_section = bool(current) and piece.section != current[-1].section
        if current and (size + piece.tokens > chunk_tokens
                        or (new_section and size >= chunk_tokens // 4)):
            groups.append(current)
            carried: list[_Piece] = []
            if not new_section and overlap:
                carried_size = 0
                for previous in reversed(current):
                    if carried_size + previous.tokens > overlap:
                        break
                    carried.insert(0, previous)
                    carried_size += previous.tokens
                if not carried:  # the last piece is too long to repeat whole: repeat its tail
                    tail = _tail_sentences(current[-1], overlap)
                    carried = [tail] if tail else []
            current = carried
            size = sum(p.tokens for p in current)
        current.append(piece)
        size += piece.tokens
    if current:
        groups.append(current)

    chunks: list[Chunk] = []
    seen: Counter[str] = Counter()
    for group in groups:
        lines: list[str] = []
        headings: list[str] = []
        for i, piece in enumerate(group):
            if i and piece.section != group[i - 1].section and piece.section:
                lines.append(piece.section[-1])  # a heading met inside the chunk stays in its text
                headings.append(piece.section[-1])
            lines.append(piece.text)
        text = "\n".join(lines)
        first = group[0]
        seen[text] += 1
        document_language = document.metadata.get("language", DEFAULT_LANGUAGE)
        chunks.append(
            Chunk(
                id=chunk_id(document.source, text, seen[text]),
                text=text,
                source=document.source,
                title=document.title,
                section=HEADING_SEPARATOR.join(first.section),
                page=first.page,
                metadata=dict(document.metadata),
                language=detect(text, fallback=document_language),
                headings=tuple(headings),
            )
        )
    return chunks


def _tail_sentences(piece: _Piece, overlap: int) -> _Piece | None:
    tail: list[str] = []
    for sentence in reversed(split_sentences(piece.text)):
        if count_tokens(" ".join([sentence, *tail])) > overlap:
            break
        tail.insert(0, sentence)
    if not tail:
        return None
    text = " ".join(tail)
    return _Piece(text, piece.section, piece.page, count_tokens(text))


def chunk_id(source: str, text: str, occurrence: int = 1) -> str:
    """Stable id of a chunk: a hash of its source and text (and its rank among equal texts)."""
    digest = hashlib.sha256(f"{source}\x00{text}\x00{occurrence}".encode()).hexdigest()
    return digest[:32]
