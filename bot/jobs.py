"""Index updates in a worker thread, so a server keeps answering while the index changes.

    runner = IndexRunner(bot)
    runner.start(rebuild=False)          # returns at once; IndexLocked if a run is going on
    while runner.status().running:
        show(runner.status().fraction)
    report = runner.result()             # the IndexReport, or the error the run raised

One run at a time per process; another process holding the index's write lock makes the run
fail with ``IndexLocked``. Readers are not blocked: ``Bot`` reopens the index when it changes.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from time import monotonic, sleep

from .errors import IndexLocked
from .generations import utc_now
from .indexing import IndexReport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobStatus:
    """A snapshot of the current or last index run."""

    running: bool = False
    rebuild: bool = False
    stage: str = ""
    done: int = 0
    total: int = 0
    started_at: str = ""
    report: IndexReport | None = None
    error: Exception | None = None

    @property
    def fraction(self) -> float | None:
        """Progress of the current stage between 0 and 1, or None when unknown."""
        return self.done / self.total if self.total else None

    def describe(self) -> str:
        """One line for people, e.g. ``embedding 64/197``."""
        if not self.running:
            return "idle"
        what = "rebuilding the index" if self.rebuild else "updating the index"
        if not self.stage:
            return f"{what}: starting"
        return f"{what}: {self.stage} {self.done}/{self.total}"


class IndexRunner:
    """Runs ``bot.index`` in a background thread and records its progress."""

    def __init__(self, bot, log_every: float = 5.0):
        self.bot = bot
        self.log_every = log_every
        self._lock = threading.Lock()
        self._status = JobStatus()
        self._thread: threading.Thread | None = None
        self._last_log = 0.0

    def status(self) -> JobStatus:
        """The current snapshot (cheap; safe from any thread)."""
        with self._lock:
            return self._status

    def start(self, rebuild: bool = False) -> None:
        """Start an update (or rebuild) of the index from the settings' corpus folder."""
        with self._lock:
            if self._status.running:
                raise IndexLocked(
                    f"the index is being updated (started {self._status.started_at}, "
                    f"{self._status.describe()}); try again when it finishes"
                )
            self._status = JobStatus(running=True, rebuild=rebuild, started_at=utc_now())
            self._thread = threading.Thread(target=self._run, args=(rebuild,),
                                            name="clusterbot-index", daemon=True)
            self._thread.start()

    def _progress(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            self._status = replace(self._status, stage=stage, done=done, total=total)
        now = monotonic()
        if now - self._last_log >= self.log_every or done == total:
            self._last_log = now
            log.info("index: %s %d/%d", stage, done, total)

    def _run(self, rebuild: bool) -> None:
        report, error = None, None
        try:
            report = self.bot.index(rebuild=rebuild, progress=self._progress)
            log.info("index: %s", report.summary())
        except Exception as exc:  # handed to whoever waits for the result
            error = exc
            log.warning("index update failed: %s", exc)
        with self._lock:
            self._status = replace(self._status, running=False, report=report, error=error)

    def wait(self, timeout: float | None = None) -> JobStatus:
        """Block until the current run ends (or ``timeout`` seconds pass); return the status."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.status()

    def result(self) -> IndexReport:
        """The report of the last finished run; raise the error it failed with."""
        status = self.wait()
        if status.error is not None:
            raise status.error
        if status.report is None:
            raise RuntimeError("no index run has finished")
        return status.report

    def follow(self, interval: float = 0.25):
        """Yield the status every ``interval`` seconds while the run lasts, then the last one."""
        while True:
            status = self.status()
            yield status
            if not status.running:
                return
            sleep(interval)
