"""The index folder and its generations: which one is in use, building, publishing and deleting
them, and the write lock.

Layout of the index folder::

    index/
      CURRENT              name of the generation in use (replaced atomically)
      gen-<time>/          one generation: manifest.json, chroma/ (vectors), bm25/ (keywords,
                           rebuilt from the stored chunks after every run that changed them)
      .lock                held by the one process that writes

With ``BOT_CHROMA_HOST`` set, the vectors live on a Chroma server instead of ``chroma/``: each
generation is the server collection ``{BOT_COLLECTION}-{generation}``, and deleting a generation
deletes its collection too. The manifest and the BM25 index stay in the index folder.

A rebuild writes a new generation beside the one in use (marked ``BUILDING`` until then) and
switches ``CURRENT`` when it is complete, so a killed rebuild leaves the previous index usable.
Incremental updates write into the current generation, vectors first and manifest last; a run
that was interrupted is noticed (the manifest stays marked ``dirty``) and the next one removes
orphaned chunks.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from .config import Settings
from .errors import ConfigError, IndexLocked

CURRENT_FILE = "CURRENT"
LOCK_FILE = ".lock"
BUILDING_MARKER = "BUILDING"


def utc_now() -> str:
    """Current time as an ISO 8601 string in UTC, seconds precision."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def current_generation(root: Path) -> str | None:
    """Name of the generation in use, or None when the folder holds no index (or ``CURRENT``
    names a generation that is gone: the next ``index`` builds afresh)."""
    try:
        name = (root / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return name if name and (root / name).is_dir() else None


def new_generation(root: Path) -> str:
    """Create the folder of a new generation, marked as building; return its name."""
    generation = time.strftime("gen-%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.time_ns() % 10**6}"
    (root / generation).mkdir()
    (root / generation / BUILDING_MARKER).touch()
    return generation


def publish(root: Path, generation: str, settings: Settings) -> None:
    """Make ``generation`` the current one and delete generations older than the last (with
    their collections on a Chroma server)."""
    previous = current_generation(root)
    (root / generation / BUILDING_MARKER).unlink(missing_ok=True)
    write_atomic(root / CURRENT_FILE, generation + "\n")
    keep = {generation, previous}
    for child in root.glob("gen-*"):
        if child.name not in keep:
            delete_generation(child, settings)


def remove_abandoned_generations(root: Path, settings: Settings | None = None) -> None:
    """Delete generations left by interrupted rebuilds (call with the write lock held); with
    ``settings`` naming a Chroma server, their collections on it too."""
    for marker in root.glob(f"gen-*/{BUILDING_MARKER}"):
        delete_generation(marker.parent, settings)


def chroma_client(settings: Settings, path: Path):
    """A chromadb client: ``HttpClient`` of the server ``BOT_CHROMA_HOST`` names, else an
    on-disk ``PersistentClient`` in ``path``."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port,
                                       settings=chroma_settings)
        except Exception as exc:  # connection refused, wrong server, ...
            raise ConfigError(
                f"the Chroma server at {settings.chroma_host}:{settings.chroma_port} does not "
                f"answer ({exc.__class__.__name__}): start it with `chroma run --path DIR "
                f"--host {settings.chroma_host} --port {settings.chroma_port}`, or unset "
                "BOT_CHROMA_HOST for an on-disk index") from exc
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def delete_generation(folder: Path, settings: Settings | None = None) -> None:
    """Delete a generation's folder and, in server mode, its collection on the server."""
    if settings is not None and settings.chroma_host:
        try:
            chroma_client(settings, folder / "chroma").delete_collection(
                f"{settings.collection}-{folder.name}")
        except Exception:  # noqa: BLE001 - already gone, or the server is down: nothing to do
            pass
    shutil.rmtree(folder, ignore_errors=True)


def write_atomic(path: Path, text: str) -> None:
    """Write a file so that readers see the old or the new content, never a mix."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


@contextlib.contextmanager
def write_lock(root: Path) -> Iterator[None]:
    """Hold the index's write lock; raise ``IndexLocked`` if another process holds it."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK_FILE
    handle = open(path, "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise IndexLocked(
                f"the index at {root} is being updated by {holder}; try again when it finishes"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()} since {utc_now()}")
        handle.flush()
        yield
    finally:
        handle.close()
