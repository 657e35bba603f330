"""Load benchmark: many chat clients at once against the web app's ``/ask`` endpoint.

Builds (or updates) an index of the sample corpus, starts the app (``app.py``) in its own process
on a free loopback port with ``BOT_CONCURRENCY`` and ``BOT_MAX_QUEUE`` set, then runs one
``gradio_client.Client`` per thread, each asking the questions of ``eval/questions.jsonl`` in
turn for the given time. Reports requests, errors, throughput and p50/p95/max latency, and
writes them to the "load" section of ``bench/RESULTS.md``.

    .venv/bin/python bench/load.py                          # 20 clients, 60 s
    .venv/bin/python bench/load.py --clients 5 --seconds 10 --no-write

``run_load(url, clients, seconds, questions)`` is the measuring part alone (the tests use it
against a server they started).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- load:start -->", "<!-- load:end -->"


@dataclass
class LoadResult:
    """What a load run measured (latencies in seconds)."""

    clients: int
    seconds: float
    requests: int = 0
    errors: int = 0
    abstained: int = 0
    latencies: list[float] = field(default_factory=list, repr=False)
    error_samples: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        """Answered requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """The ``p``-th percentile of the latencies (nearest rank), 0 without requests."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1]

    def summary(self) -> dict:
        """The figures as JSON-ready data."""
        data = {k: v for k, v in asdict(self).items() if k != "latencies"}
        data.update(
            throughput=round(self.throughput, 2),
            p50=round(self.percentile(50), 3), p95=round(self.percentile(95), 3),
            max=round(max(self.latencies, default=0.0), 3),
            mean=round(statistics.fmean(self.latencies), 3) if self.latencies else 0.0,
        )
        return data


def load_questions(path: Path = ROOT / "eval" / "questions.jsonl") -> list[str]:
    """The questions of an evaluation set (one JSON object per line)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def run_load(url: str, clients: int, seconds: float, questions: list[str],
             connect_timeout: float = 60.0) -> LoadResult:
    """``clients`` threads, each with its own gradio client, ask ``questions`` in turn against
    ``url``'s ``/ask`` until ``seconds`` have passed; a request started before the end is
    waited for. Every exception and every malformed answer counts as an error."""
    from gradio_client import Client

    result = LoadResult(clients, seconds)
    lock = threading.Lock()
    deadline = [0.0]  # set by the barrier's action, before any thread is released

    def begin() -> None:
        deadline[0] = time.monotonic() + seconds

    ready = threading.Barrier(clients + 1, action=begin, timeout=connect_timeout)

    def client(number: int) -> None:
        try:
            api = Client(url, verbose=False)
        except Exception as exc:  # counted, and the barrier is released for the others
            with lock:
                result.errors += 1
                result.error_samples.append(f"connect: {exc.__class__.__name__}: {exc}"[:200])
            ready.abort()
            return
        try:
            ready.wait()
        except threading.BrokenBarrierError:
            return
        i = number * 7
        while time.monotonic() < deadline[0]:
            question = questions[i % len(questions)]
            i += 1
            started = time.perf_counter()
            try:
                answer = api.predict(question, "", "", "", "", api_name="/ask")
                if not isinstance(answer, dict) or not answer.get("answer"):
                    raise ValueError(f"malformed answer {str(answer)[:80]!r}")
            except Exception as exc:  # any failure of a request is what we count
                with lock:
                    result.errors += 1
                    if len(result.error_samples) < 10:
                        result.error_samples.append(f"{exc.__class__.__name__}: {exc}"[:200])
                continue
            elapsed = time.perf_counter() - started
            with lock:
                result.requests += 1
                result.abstained += bool(answer.get("abstained"))
                result.latencies.append(elapsed)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    try:
        ready.wait()
        started = time.monotonic()
    except threading.BrokenBarrierError:  # a client could not connect: no load is run
        pass
    for thread in threads:
        thread.join(seconds + connect_timeout + 120)
    result.seconds = round(max(time.monotonic() - started, 1e-9), 2)
    if any(t.is_alive() for t in threads):
        result.errors += sum(t.is_alive() for t in threads)
        result.error_samples.append("some clients were still waiting for an answer")
    return result


# ---------------------------------------------------------------- the app under test


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(index_dir: Path, data_dir: Path, port: int, concurrency: int,
            max_queue: int) -> dict[str, str]:
    """Environment of the app: offline, the sample corpus, the given index and limits."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False",
               ANONYMIZED_TELEMETRY="False", TOKENIZERS_PARALLELISM="false",
               BOT_CORPUS_DIR=str(ROOT / "corpus"), BOT_INDEX_DIR=str(index_dir),
               BOT_DATA_DIR=str(data_dir), BOT_HOST="127.0.0.1", BOT_PORT=str(port),
               BOT_CONCURRENCY=str(concurrency), BOT_MAX_QUEUE=str(max_queue))
    return env


def wait_until_up(url: str, process: subprocess.Popen, timeout: float) -> None:
    """Poll ``url`` until it answers 200; fail if the app exits or ``timeout`` passes."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with code {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up in {timeout:.0f} s")


def stop(process: subprocess.Popen) -> None:
    """Terminate the app, killing it if it does not stop within 20 s."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def benchmark(clients: int, seconds: float, concurrency: int, max_queue: int,
              index_dir: Path, work: Path) -> tuple[LoadResult, dict]:
    """Index the sample corpus, start the app, run the load; return (result, conditions)."""
    port = free_port()
    env = app_env(index_dir, work / "data", port, concurrency, max_queue)
    indexing = subprocess.run([sys.executable, "-m", "bot", "index"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=1800)
    if indexing.returncode not in (0, 10):
        raise RuntimeError(f"indexing failed: {indexing.stderr.strip()}")
    log = open(work / "app.log", "w", encoding="utf-8")  # closed in the finally below
    app = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log,
                           stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_until_up(url, app, timeout=180)
        load_before = os.getloadavg()[0]
        result = run_load(url, clients, seconds, load_questions())
        conditions = {
            "concurrency": concurrency, "max_queue": max_queue,
            "cores": os.cpu_count(), "python": platform.python_version(),
            "load_average_before": round(load_before, 2),
            "load_average_after": round(os.getloadavg()[0], 2),
            "index_chunks": _chunks(index_dir),
            "date": time.strftime("%Y-%m-%d %H:%M"),
        }
    finally:
        stop(app)
        log.close()
    return result, conditions


def _chunks(index_dir: Path) -> int:
    current = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    manifest = json.loads((index_dir / current / "manifest.json").read_text(encoding="utf-8"))
    return sum(len(f["chunk_ids"]) for f in manifest["files"].values())


# ---------------------------------------------------------------- RESULTS.md


def results_markdown(result: LoadResult, conditions: dict) -> str:
    """The load section of ``bench/RESULTS.md``."""
    s = result.summary()
    lines = [
        "## Load: concurrent chat clients",
        "",
        f"`bench/load.py`: {s['clients']} threads, each with its own `gradio_client.Client`, ask "
        f"the questions of `eval/questions.jsonl` in turn against `/ask` of `app.py` (sample "
        f"corpus, {conditions['index_chunks']} chunks, extractive answers) on loopback for "
        f"{s['seconds']:.0f} s. Queue: `BOT_CONCURRENCY={conditions['concurrency']}` requests "
        f"answered at once, `BOT_MAX_QUEUE={conditions['max_queue']}` waiting.",
        "",
        "| clients | requests | errors | throughput | p50 | p95 | max |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {s['clients']} | {s['requests']} | {s['errors']} | {s['throughput']:.2f}/s | "
        f"{s['p50']:.2f} s | {s['p95']:.2f} s | {s['max']:.2f} s |",
        "",
        f"Measured {conditions['date']} on {conditions['cores']} cores (Python "
        f"{conditions['python']}); load average {conditions['load_average_before']} before, "
        f"{conditions['load_average_after']} after (other work shared the machine). Latency "
        "is the whole round trip of one `/ask` call, queueing included: with 20 clients and "
        f"{conditions['concurrency']} answered at once, most of it is waiting in the queue. "
        f"{s['abstained']} of the answers abstained.",
    ]
    if result.error_samples:
        lines += ["", "Errors: " + "; ".join(f"`{e}`" for e in result.error_samples[:5])]
    return "\n".join(lines)


def write_results(section: str, path: Path = RESULTS) -> None:
    """Replace the text between the load markers of ``path`` (markers appended if absent)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{START}\n{section}\n{END}"
    if START in text and END in text and text.index(START) < text.index(END):
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--concurrency", type=int, default=4, help="BOT_CONCURRENCY")
    parser.add_argument("--max-queue", type=int, default=64, help="BOT_MAX_QUEUE")
    parser.add_argument("--index", type=Path, help="index folder to build or reuse "
                        "(default: a temporary folder)")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="clusterbot-load-") as tmp:
        work = Path(tmp)
        result, conditions = benchmark(args.clients, args.seconds, args.concurrency,
                                       args.max_queue, args.index or work / "index", work)
    print(json.dumps({**result.summary(), **conditions}, indent=2))
    if not args.no_write:
        write_results(results_markdown(result, conditions))
        print(f"wrote the load section of {RESULTS.relative_to(ROOT)}")
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
