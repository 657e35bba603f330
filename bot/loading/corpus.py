"""Loading a corpus: ``load_document`` picks the parser by file type and makes one
``Document`` (a ``NAME.EXT.meta.yaml`` sidecar's keys override the metadata found in the file;
the language and the organisation a document is about are read from its text when no metadata
says); ``iter_corpus`` lists the files of a corpus folder, ``file_hash``/``hash_file`` hash them.
A file that cannot be read raises ``LoadError`` with a one-line reason; a file over one of the
limits of ``bot.limits`` raises ``DocumentTooLarge``, and nothing is ever truncated.
Symbolic links that lead out of the corpus folder are not part of the corpus.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from ..errors import DocumentTooLarge, LoadError
from ..language import detect, normalise_code
from ..limits import Limits
from ..organisations import MULTIPLE, document_organisation, short_forms, without_legal_form
from .binary import parse_docx, parse_pdf
from .document import METADATA_KEYS, Block, Document, Parsed
from .html import parse_html
from .text import parse_markdown, parse_text

SIDECAR_SUFFIX = ".meta.yaml"
#: Characters of a document read to detect its language.
LANGUAGE_SAMPLE_CHARS = 20_000
#: How much of a document's opening, and of its end, is read for the organisation it is about.
ORGANISATION_SAMPLE_CHARS = 20_000
IGNORE_FILE = ".clusterbotignore"

log = logging.getLogger(__name__)


PARSERS: dict[str, Callable[[bytes, Limits], Parsed]] = {
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".txt": parse_text,
    ".html": parse_html,
    ".htm": parse_html,
    ".pdf": parse_pdf,
    ".docx": parse_docx,
}


# ---------------------------------------------------------------- corpus-level API


#: The front-matter keys that name the organisation a document is about, in order.
_CLUSTER_KEYS = ("cluster", "organisation", "organization")


def normalise_metadata(raw: dict[str, Any]) -> dict[str, Any]:
    """Keep the known metadata keys with clean types: ``year`` int, ``topics`` a list; the
    cluster may be given as ``organisation`` (or ``organization``), without its legal form."""
    meta: dict[str, Any] = {}
    named = next((raw[k] for k in _CLUSTER_KEYS if raw.get(k)), None)
    raw = {**raw, "cluster": named}
    for key in METADATA_KEYS:
        value = raw.get(key)
        if value is None or value == "" or value == []:
            continue
        if key == "topics":
            items = value if isinstance(value, list) else re.split(r"[,;]", str(value))
            meta[key] = [str(t).strip().lower() for t in items if str(t).strip()]
        elif key == "year":
            match = re.search(r"\d{4}", str(value))
            if match:
                meta[key] = int(match.group())
        elif key == "language":
            code = normalise_code(value) or str(value).strip().lower()
            if re.fullmatch(r"[a-z]{2,3}", code):
                meta[key] = code
        elif key == "illustrative":
            meta[key] = value if isinstance(value, bool) else str(value).lower() in {"true", "yes"}
        elif key == "cluster":  # front matter may list the clusters a document is about
            names = value if isinstance(value, list) else str(value).split(";")
            names = [without_legal_form(str(n)) for n in names if str(n).strip()]
            meta[key] = names[0] if len(names) == 1 else MULTIPLE
        else:
            meta[key] = str(value).strip()
    return meta


def load_document(path: Path, corpus_dir: Path, data: bytes | None = None,
                  max_bytes: int | None = None, limits: Limits | None = None) -> Document:
    """Load one file. Raises ``LoadError`` for an unknown type or unreadable content, and
    ``DocumentTooLarge`` for a file larger than ``max_bytes`` (checked before it is read) or over
    ``limits`` (default: ``Limits()``, the default settings). Nothing is ever truncated."""
    parser = PARSERS.get(path.suffix.lower())
    if parser is None:
        raise LoadError(f"unsupported file type {path.suffix or '(none)'}")
    if max_bytes:
        try:
            size = len(data) if data is not None else path.stat().st_size
        except OSError as exc:
            raise LoadError(f"cannot read the file ({exc.strerror})") from None
        if size > max_bytes:
            raise DocumentTooLarge(f"the file is {size / 2**20:.1f} MB, more than the limit of "
                                   f"{max_bytes / 2**20:g} MB", "BOT_MAX_FILE_MB")
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise LoadError(f"cannot read the file ({exc.strerror})") from None
    if not data.strip():
        raise LoadError("empty file")
    source = path.relative_to(corpus_dir).as_posix()
    limits = limits or Limits()
    try:
        parsed = parser(data, limits)
        limits.check_chars(sum(len(block.text) for block in parsed.blocks))
    except DocumentTooLarge as exc:
        raise exc.named(source) from None
    raw_meta = dict(parsed.metadata)
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if sidecar.is_file() and _inside(sidecar, corpus_dir.resolve()):
        try:
            extra = yaml.safe_load(sidecar.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise LoadError(f"invalid metadata file {sidecar.name}: {exc}") from None
        if isinstance(extra, dict):
            raw_meta.update(extra)
    title = str(raw_meta.get("title") or parsed.title or "").strip()
    title = title or path.stem.replace("-", " ").replace("_", " ").strip().capitalize()
    blocks = [b for b in parsed.blocks if b.text.strip()]
    if not blocks:
        raise LoadError("no text found")
    metadata = normalise_metadata(raw_meta)
    if "language" not in metadata:  # front matter or a sidecar may say; else the text tells
        metadata["language"] = detect(" ".join(b.text for b in blocks)[:LANGUAGE_SAMPLE_CHARS])
    sample = _opening_and_end(blocks)
    if "cluster" not in metadata:  # most documents do not say: their title or text tells
        cluster = document_organisation(title, sample, metadata["language"])
        if cluster:
            metadata["cluster"] = cluster
    # the short forms it defines ("Cluster Énergies Limousin (CEL)"): other names of clusters,
    # kept in the manifest for the question analysis (no chunk carries them)
    defined = short_forms(sample, metadata["language"])
    if defined:
        metadata["short_forms"] = defined
    return Document(
        source=source,
        title=title,
        blocks=blocks,
        metadata=metadata,
    )


def _opening_and_end(blocks: list[Block]) -> str:
    """The text a document says whom it is about in: its opening (title page, first
    paragraphs) and its end (a letter's signature), ``ORGANISATION_SAMPLE_CHARS`` of each; a
    long report is not copied whole."""
    opening = _first_texts(blocks)
    ending = _first_texts(reversed(blocks[len(opening):]))
    return "\n".join([*opening, *reversed(ending)])


def _first_texts(blocks: Iterable[Block]) -> list[str]:
    """The texts of ``blocks``, in order, until they hold ``ORGANISATION_SAMPLE_CHARS``."""
    texts: list[str] = []
    size = 0
    for block in blocks:
        if size >= ORGANISATION_SAMPLE_CHARS:
            break
        texts.append(block.text)
        size += len(block.text)
    return texts


def file_hash(data: bytes) -> str:
    """Content hash of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


def hash_file(path: Path, block: int = 1 << 20) -> str:
    """``file_hash`` of the file at ``path``, read block by block (memory stays small however
    large the file is). Raises ``OSError`` when the file cannot be read."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def _ignore_patterns(corpus_dir: Path) -> list[str]:
    ignore = corpus_dir / IGNORE_FILE
    if not ignore.is_file():
        return []
    lines = ignore.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _inside(path: Path, root: Path) -> bool:
    """Whether ``path``, symbolic links followed, is inside the (resolved) folder ``root``."""
    return path.resolve().is_relative_to(root)


def iter_corpus(corpus_dir: Path) -> Iterator[Path]:
    """Files of the corpus in a stable order: hidden files, metadata sidecars and files matched
    by ``.clusterbotignore`` (glob patterns, one per line) are left out, and so are symbolic
    links (to files or folders) that lead out of the corpus folder, with a warning."""
    patterns = _ignore_patterns(corpus_dir)
    root = corpus_dir.resolve()
    for path in sorted(corpus_dir.rglob("*")):
        relative = path.relative_to(corpus_dir)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if any(relative.match(p) or path.name == p for p in patterns):
            continue
        if path.is_symlink() and not _inside(path, root):
            log.warning("%s is not indexed: it is a symbolic link to %s, outside the corpus "
                        "folder %s; copy the file into the folder instead", relative,
                        path.resolve(), root)
            continue
        if not path.is_file() or path.name.endswith(SIDECAR_SUFFIX):
            continue
        yield path
