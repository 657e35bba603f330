"""Changing the corpus from the web app: who may, which files, under which names.

Rules, enforced on the server whatever the browser did:

* only document types clusterbot can index (``ALLOWED_EXTENSIONS``) are accepted;
* a file larger than ``BOT_MAX_UPLOAD_MB`` is refused;
* the name is reduced to one safe file name (``../../x.md`` becomes ``x.md``) inside the corpus;
* nothing is overwritten: a file whose content is already in the corpus is refused, a new file
  whose name is taken gets a numbered suffix (``report.md`` → ``report-2.md``); concurrent
  uploads are safe (each is written to its own hidden temporary file, then linked under a free
  name in one atomic step, the duplicate check and the naming under a lock of the folder);
* only documents can be removed: hidden files (``.clusterbotignore``), metadata sidecars and
  ignored files are refused;
* nothing is deleted: a removed document moves to the trash folder (``BOT_DATA_DIR/trash``),
  from where it can be restored;
* with ``BOT_ADMIN_PASSWORD`` set every change needs it; without it, changes are allowed only
  when the app listens on a loopback address.
"""

from __future__ import annotations

import fcntl
import hmac
import ipaddress
import os
import re
import secrets
import shutil
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .config import Settings
from .errors import BotError
from .generations import utc_now
from .loading.corpus import IGNORE_FILE, SIDECAR_SUFFIX, hash_file, iter_corpus

#: Extensions of uploads the corpus accepts (the types the loaders can read).
ALLOWED_EXTENSIONS = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx")
MAX_NAME_CHARS = 120


class UploadRejected(BotError):
    """An uploaded file is not accepted; the message says why and what to do."""


class AccessDenied(BotError):
    """Changing the documents is not allowed for this request."""


@dataclass
class SavedUpload:
    """Where an upload was stored and under which name it arrived."""

    original: str
    source: str
    path: Path
    renamed: bool


def is_loopback(host: str) -> bool:
    """Whether ``host`` (as in ``BOT_HOST``) only accepts connections from this machine."""
    if host.strip().lower() in {"localhost", "ip6-localhost"}:
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def can_change_documents(settings: Settings, password: str | None) -> bool:
    """Whether a request with ``password`` may change the corpus (see ``check_access``)."""
    try:
        check_access(settings, password)
    except AccessDenied:
        return False
    return True


def check_access(settings: Settings, password: str | None) -> None:
    """Raise ``AccessDenied`` unless the request may change the corpus and the index."""
    if settings.admin_password:
        if not hmac.compare_digest((password or "").encode(), settings.admin_password.encode()):
            raise AccessDenied("wrong or missing admin password: enter the password set in "
                               "BOT_ADMIN_PASSWORD")
    elif not is_loopback(settings.host):
        raise AccessDenied(
            f"changing documents is disabled because the app listens on {settings.host} without "
            "a password: set BOT_ADMIN_PASSWORD, or listen on 127.0.0.1 (BOT_HOST)"
        )


def sanitize_filename(name: str) -> str:
    """A safe file name from an uploaded name: no folders, no hidden or odd characters.

    Keeps letters, digits, ``.``, ``-`` and ``_``; accents are folded to ASCII and spaces become
    ``-``. Raises ``UploadRejected`` when nothing usable is left or the type is not allowed.
    """
    base = re.split(r"[\\/]", name.strip())[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    base = re.sub(r"\s+", "-", base)
    base = re.sub(r"[^A-Za-z0-9._-]", "", base)
    base = re.sub(r"-{2,}", "-", base).lstrip(".-_")
    suffix = Path(base).suffix.lower()
    if suffix not in ALLOWED_EXTENSIONS or base.lower().endswith(SIDECAR_SUFFIX):
        raise UploadRejected(
            f"{name!r} is not a supported document: upload one of "
            f"{', '.join(ALLOWED_EXTENSIONS)}"
        )
    stem = base[: -len(suffix)].rstrip(".-_")[: MAX_NAME_CHARS - len(suffix)]
    if not stem:
        raise UploadRejected(f"{name!r} has no usable file name: rename it, e.g. report{suffix}")
    return stem + suffix


def free_name(folder: Path, name: str) -> str:
    """``name``, or ``stem-2.ext``, ``stem-3.ext``... whichever does not exist in ``folder``."""
    path = Path(name)
    candidate, n = name, 1
    while (folder / candidate).exists() or (folder / (candidate + SIDECAR_SUFFIX)).exists():
        n += 1
        candidate = f"{path.stem}-{n}{path.suffix}"
    return candidate


def find_same_content(corpus_dir: Path, path: Path) -> str | None:
    """The corpus file (relative path) with exactly the bytes of the file at ``path``, if any."""
    size = path.stat().st_size
    digest = None
    for other in iter_corpus(corpus_dir):
        try:
            if other.stat().st_size != size:
                continue
            digest = digest or hash_file(path)
            if hash_file(other) == digest:
                return other.relative_to(corpus_dir).as_posix()
        except OSError:
            continue
    return None


def save_upload(corpus_dir: Path, name: str, src: Path, max_mb: float,
                discard_source: bool = False) -> SavedUpload:
    """Copy the uploaded file ``src`` (arrived as ``name``) into ``corpus_dir``.

    Raises ``UploadRejected`` for a disallowed type, a file over ``max_mb`` megabytes, an empty
    file or content already in the corpus. Safe to call for many uploads at once: each lands
    under its own name, whole. With ``discard_source`` (the web app passes it for Gradio's
    cached copy of an upload, which Gradio would otherwise keep serving) ``src`` is deleted
    afterwards, whether the upload was saved or refused.
    """
    try:
        return _save(corpus_dir, name, src, max_mb)
    finally:
        if discard_source:
            src.unlink(missing_ok=True)


def _save(corpus_dir: Path, name: str, src: Path, max_mb: float) -> SavedUpload:
    safe = sanitize_filename(name)
    try:
        size = src.stat().st_size
    except FileNotFoundError:
        raise UploadRejected(f"the uploaded copy of {name} is gone (already saved or "
                             "refused?): upload it again") from None
    limit = int(max_mb * 1024 * 1024)
    if size > limit:
        raise UploadRejected(
            f"{name} is {size / 1024 / 1024:.1f} MB, more than the limit of {max_mb:g} MB: "
            "split it, or raise BOT_MAX_UPLOAD_MB"
        )
    if size == 0:
        raise UploadRejected(f"{name} is empty: upload a file with text in it")
    corpus_dir.mkdir(parents=True, exist_ok=True)
    tmp = corpus_dir / f".upload-{secrets.token_hex(8)}.part"  # hidden: never indexed
    try:
        with open(src, "rb") as source, open(tmp, "xb") as target:
            shutil.copyfileobj(source, target)
        with _folder_lock(corpus_dir):
            duplicate = find_same_content(corpus_dir, tmp)
            if duplicate:
                raise UploadRejected(f"{name} is already in the corpus as {duplicate}: nothing "
                                     "to add")
            final = _link_under_free_name(tmp, corpus_dir, safe)
    finally:
        tmp.unlink(missing_ok=True)
    return SavedUpload(original=name, source=final, path=(corpus_dir / final).resolve(),
                       renamed=final != safe)


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (threads and processes alike)."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def _link_under_free_name(tmp: Path, corpus_dir: Path, name: str) -> str:
    """Give the file ``tmp`` the first free name from ``name`` in ``corpus_dir`` and return it:
    ``os.link`` fails rather than overwrite, so a name taken meanwhile is never lost."""
    while True:
        final = free_name(corpus_dir, name)
        target = corpus_dir / final
        if target.resolve().parent != corpus_dir.resolve():  # sanitize_filename prevents it
            raise UploadRejected(f"{name!r} would be stored outside the corpus folder")
        try:
            os.link(tmp, target)
            return final
        except FileExistsError:
            continue  # written by another program since free_name looked


def corpus_path(corpus_dir: Path, source: str) -> Path:
    """The file of ``source`` (a path relative to the corpus); refuses paths leaving it."""
    root = corpus_dir.resolve()
    path = (root / source).resolve()
    if root not in path.parents:
        raise UploadRejected(f"{source!r} is not a document of the corpus")
    return path


@dataclass
class Trashed:
    """A document moved to the trash: its entry (a folder of the trash) and where it was."""

    entry: str
    source: str
    files: list[str]


def trash_document(corpus_dir: Path, trash_dir: Path, source: str) -> Trashed:
    """Move the corpus file ``source`` and its metadata sidecar into a new entry of
    ``trash_dir`` (nothing is deleted); ``restore_document`` puts them back.

    The index still holds the document until the next index update.
    """
    path = corpus_path(corpus_dir, source)
    if not path.is_file():
        raise UploadRejected(f"{source} is not in the corpus folder {corpus_dir} (already "
                             "removed?): update the index to drop it from the index")
    root = corpus_dir.resolve()
    if path not in {p.resolve() for p in iter_corpus(root)}:
        raise UploadRejected(
            f"{source} is not a document but a file clusterbot keeps out of the index (hidden "
            f"files such as {IGNORE_FILE}, metadata sidecars, files {IGNORE_FILE} lists): it "
            "can only be changed on the server")
    relative = path.relative_to(root)
    entry = f"{utc_now()[:19].replace(':', '')}-{uuid.uuid4().hex[:6]}"
    moved = []
    for candidate in (path, path.with_name(path.name + SIDECAR_SUFFIX)):
        if candidate.is_file():
            target = trash_dir / entry / relative.parent / candidate.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(candidate), target)
            moved.append((relative.parent / candidate.name).as_posix())
    return Trashed(entry=entry, source=relative.as_posix(), files=moved)


def trashed_documents(trash_dir: Path) -> list[Trashed]:
    """The documents in the trash, the latest removed first."""
    found = []
    if not trash_dir.is_dir():
        return found
    for folder in sorted((p for p in trash_dir.iterdir() if p.is_dir()), reverse=True):
        files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                       if p.is_file())
        documents = [f for f in files if not f.endswith(SIDECAR_SUFFIX)]
        if documents:
            found.append(Trashed(entry=folder.name, source=documents[0], files=files))
    return found


def restore_document(corpus_dir: Path, trash_dir: Path, entry: str) -> str:
    """Move the document of trash entry ``entry`` (and its sidecar) back into the corpus;
    return its source there (numbered when the name was taken since)."""
    folder = (trash_dir / entry).resolve()
    if folder.parent != trash_dir.resolve() or not folder.is_dir():
        raise UploadRejected(f"{entry!r} is not in the trash {trash_dir}")
    item = next((t for t in trashed_documents(trash_dir) if t.entry == entry), None)
    if item is None:
        raise UploadRejected(f"the trash entry {entry} holds no document")
    original = corpus_path(corpus_dir, item.source)
    original.parent.mkdir(parents=True, exist_ok=True)
    name = free_name(original.parent, original.name)
    shutil.move(str(folder / item.source), original.parent / name)
    sidecar = folder / (item.source + SIDECAR_SUFFIX)
    if sidecar.is_file():
        shutil.move(str(sidecar), original.parent / (name + SIDECAR_SUFFIX))
    shutil.rmtree(folder)
    return (original.parent / name).relative_to(corpus_dir.resolve()).as_posix()
