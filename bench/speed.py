"""Speed benchmark: clusterbot beside the plain LangChain tutorial pipeline, in one run.

    .venv/bin/python bench/speed.py                   # everything; writes bench/RESULTS.md,
                                                      # bench/speed.png and bench/speed.json
    .venv/bin/python bench/speed.py --docs 200 --scifact-docs 200 --sizes 1000 --quick

Measured (each indexing run in its own process, so its peak memory is its own):

* full indexing throughput (chunks/s, text MB/s, and per CPU-second) of a generated corpus of
  ``--docs`` Markdown reports and of ``--scifact-docs`` SciFact abstracts (written as .txt
  files): LangChain tutorial (fp32 torch) and clusterbot with the torch and onnx-int8 backends,
  in alternating order;
* re-indexing the generated corpus with nothing changed and with 1% of the files changed;
* query latency p50/p95 of ``Bot.retrieve`` and ``Bot.ask`` (extractive), and of LangChain's
  ``similarity_search(k=4)`` on the same collection, at ``--sizes`` chunks. Those indexes hold
  synthetic chunks (corpus sentences recombined) whose vectors are the normalised sums of the
  real embeddings of their sentences; the queries are embedded for real;
* peak memory of indexing and of the running app (``python app.py``), and its start-up time
  until ``/ask`` answers.

The machine's two cores are shared, so the load average is recorded beside every stage and the
comparisons are ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
       "ANONYMIZED_TELEMETRY": "False", "TOKENIZERS_PARALLELISM": "false"}
os.environ.update(ENV)

SECTIONS = ["Services", "Income streams", "Members", "Events", "Internationalisation",
            "Lessons learned", "Governance", "Funding", "Training", "Partnerships"]
FIELDS = ["Biotech", "Medtech", "Agrifood", "Water", "Energy", "Digital Health", "Photonics",
          "Maritime", "Textile", "Automotive", "Wood", "Aerospace"]
PLACES = ["Nordvik", "Castellon", "Arden", "Lusatia", "Tavira", "Brno", "Kaunas", "Varna",
          "Ostrava", "Liguria", "Umbria", "Flanders", "Galway"]
COUNTRIES = ["Austria", "Portugal", "Spain", "Czechia", "Lithuania", "Bulgaria", "Italy",
             "Belgium", "Ireland", "Norway", "Germany", "Poland"]
TYPES = ["report", "profile", "study visit", "strategy", "minutes"]
TOPICS = ["services", "income streams", "member engagement", "internationalisation"]
FILTERS = [None, "cluster", "year", "topic"]
#: clusterbot with its chunk size set so that its chunks are as long as LangChain's
MATCHED = "clusterbot-matched"
PIPELINES = ["langchain", "clusterbot-torch", "clusterbot-onnx-int8", MATCHED]


# ---------------------------------------------------------------------------- helpers


def load_average() -> float:
    """One-minute load average of the machine."""
    return round(os.getloadavg()[0], 2)


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` by linear interpolation."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def peak_mb() -> float:
    """Peak resident memory of this process, in MB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_child(task: str, **kwargs) -> dict:
    """Run ``task`` of this script in a fresh Python process; return the JSON it prints."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", task,
               json.dumps(kwargs, default=str)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **ENV},
                          cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{task} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"  {task} {kwargs.get('pipeline', '')} {kwargs.get('backend', '')}: "
          f"{json.dumps(result)[:300]}", flush=True)
    return result


def sentence_pool(corpus_dir: Path) -> list[str]:
    """Distinct prose sentences (6 to 60 words) of the sample corpus."""
    from bot.loading.corpus import iter_corpus, load_document
    from bot.text import split_sentences

    seen: dict[str, None] = {}
    for path in iter_corpus(corpus_dir):
        try:
            document = load_document(path, corpus_dir)
        except Exception:  # noqa: BLE001 - a sample file the loader refuses adds no sentences
            continue
        for block in document.blocks:
            for sentence in split_sentences(block.text):
                if 6 <= len(sentence.split()) <= 60 and sentence[-1:] in ".!?":
                    seen.setdefault(sentence, None)
    return list(seen)


def cluster_names() -> list[str]:
    """Fictional cluster names of the generated corpus."""
    return [f"{place} {field} Cluster" for place in PLACES for field in FIELDS[:5]]


def generate_corpus(folder: Path, n_docs: int, pool: list[str], seed: int = 7) -> None:
    """``n_docs`` Markdown reports made of recombined corpus sentences, with front-matter."""
    rng = random.Random(seed)
    clusters = cluster_names()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for i in range(n_docs):
        cluster = rng.choice(clusters)
        kind = rng.choice(TYPES)
        title = f"{cluster} {kind} {i}"
        lines = ["---", f"title: {title}", f"cluster: {cluster}",
                 f"country: {rng.choice(COUNTRIES)}", f"year: {rng.randint(2015, 2025)}",
                 f"type: {kind}", f"topics: [{', '.join(rng.sample(TOPICS, 2))}]", "---",
                 f"# {title}", ""]
        for section in rng.sample(SECTIONS, rng.randint(2, 4)):
            lines += [f"## {section}", ""]
            for _ in range(rng.randint(1, 3)):
                lines += [" ".join(rng.sample(pool, rng.randint(2, 4))), ""]
        (folder / f"report-{i:05d}.md").write_text("\n".join(lines), encoding="utf-8")


def write_scifact(folder: Path, beir: Path, n_docs: int) -> None:
    """The first ``n_docs`` SciFact abstracts as .txt files (title line, then the abstract)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with open(beir / "corpus.jsonl", encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            if i >= n_docs:
                break
            row = json.loads(line)
            (folder / f"{row['_id']}.txt").write_text(
                f"{row.get('title', '')}\n\n{row.get('text', '')}\n", encoding="utf-8")


def corpus_mb(folder: Path) -> float:
    """Text of the corpus in MB (the documents, not sidecars)."""
    return sum(p.stat().st_size for p in folder.rglob("*")
               if p.is_file() and not p.name.endswith(".meta.yaml")) / 1e6


def questions() -> list[str]:
    """The questions of the evaluation set."""
    rows = [json.loads(line) for line in (ROOT / "eval" / "questions.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    return [row["question"] for row in rows]


def matched_chunking(langchain: dict, clusterbot: dict) -> dict:
    """clusterbot's chunk size and overlap (tokens) scaled so that its mean chunk length
    equals LangChain's in a run over the same corpus."""
    from bot import Settings

    defaults = Settings.from_env(env={})
    ratio = langchain["mean_chunk_chars"] / clusterbot["mean_chunk_chars"]
    return {"chunk_tokens": round(defaults.chunk_tokens * ratio),
            "chunk_overlap": round(defaults.chunk_overlap * ratio)}


# ---------------------------------------------------------------------------- child tasks


def child_index(pipeline: str, corpus: str, index: str, backend: str = "torch",
                chunk_tokens: int | None = None, chunk_overlap: int | None = None) -> dict:
    """Build a fresh index of ``corpus`` with one pipeline; time it apart from model loading.
    ``chunk_tokens`` and ``chunk_overlap`` override clusterbot's chunking."""
    corpus_dir, index_dir = Path(corpus), Path(index)
    shutil.rmtree(index_dir, ignore_errors=True)
    index_dir.mkdir(parents=True)
    started = time.perf_counter()
    if pipeline == "langchain":
        import langchain_baseline

        embeddings = langchain_baseline.tutorial_embeddings()
    else:
        from bot import Settings
        from bot.embeddings import load_embeddings

        sizes = {k: v for k, v in (("chunk_tokens", chunk_tokens),
                                   ("chunk_overlap", chunk_overlap)) if v is not None}
        settings = Settings.from_env(corpus_dir=corpus_dir, index_dir=index_dir,
                                     embedding_backend=backend, **sizes)
        embeddings = load_embeddings(settings)
    embeddings.embed_query("warm up")
    load_seconds = time.perf_counter() - started
    load_before = load_average()
    wall, cpu = time.perf_counter(), time.process_time()
    if pipeline == "langchain":
        store, chunks = langchain_baseline.build(corpus_dir, index_dir, embeddings)
        got = store._collection.get(include=["documents"])
    else:
        from bot.indexing import sync_index
        from bot.store import IndexStore

        report = sync_index(settings, embeddings, corpus_dir)
        chunks = report.chunks
        wall_done = time.perf_counter()
        store = IndexStore.open(settings)
        got = store.collection.get(include=["documents"])
    seconds = (wall_done if pipeline != "langchain" else time.perf_counter()) - wall
    cpu_seconds = time.process_time() - cpu
    return {"pipeline": pipeline, "backend": backend, "chunks": chunks,
            "chunk_tokens": chunk_tokens, "chunk_overlap": chunk_overlap,
            "seconds": round(seconds, 2), "cpu_seconds": round(cpu_seconds, 2),
            "mean_chunk_chars": round(statistics.mean(len(d) for d in got["documents"])),
            "load_seconds": round(load_seconds, 2), "peak_mb": peak_mb(),
            "load_average": [load_before, load_average()]}


def _timed_sync(settings, embeddings, corpus_dir: Path) -> dict:
    from bot.indexing import sync_index

    stages: dict[str, float] = {}
    last = {"stage": "start", "at": time.perf_counter()}

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if stage != last["stage"]:
            stages[last["stage"]] = stages.get(last["stage"], 0.0) + now - last["at"]
            last.update(stage=stage, at=now)

    started = time.perf_counter()
    report = sync_index(settings, embeddings, corpus_dir, progress=progress)
    end = time.perf_counter()
    stages[last["stage"]] = stages.get(last["stage"], 0.0) + end - last["at"]
    return {"seconds": round(end - started, 3), "embedded": report.embedded,
            "updated": len(report.updated), "unchanged": len(report.unchanged),
            "stages": {k: round(v, 3) for k, v in stages.items() if k != "start" or v > 0.001}}


def child_reindex(corpus: str, index: str, backend: str) -> dict:
    """Re-index with nothing changed, then with 1% of the files changed."""
    from bot import Settings
    from bot.embeddings import load_embeddings

    corpus_dir = Path(corpus)
    settings = Settings.from_env(corpus_dir=corpus_dir, index_dir=Path(index),
                                 embedding_backend=backend)
    embeddings = load_embeddings(settings)
    embeddings.embed_query("warm up")
    import bm25s  # noqa: F401 - imported once per process (seconds): not indexing work
    import chromadb  # noqa: F401

    unchanged = _timed_sync(settings, embeddings, corpus_dir)
    files = sorted(corpus_dir.glob("*.md"))
    for path in files[:: 100]:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write("\n## Update\n\nThe office added a new matchmaking service in 2025.\n")
    changed = _timed_sync(settings, embeddings, corpus_dir)
    changed["files_changed"] = len(files[::100])
    return {"unchanged": unchanged, "changed_1pct": changed, "peak_mb": peak_mb()}


def build_synthetic(index_dir: Path, size: int, pool: list[str], vectors, backend: str,
                    seed: int = 11) -> float:
    """An index of ``size`` synthetic chunks; return the seconds it took."""
    import numpy as np

    from bot import Settings
    from bot.chunking import Chunk, chunk_id
    from bot.generations import current_generation
    from bot.manifest import FileRecord
    from bot.store import IndexStore

    settings = Settings.from_env(index_dir=index_dir, embedding_backend=backend)
    if current_generation(index_dir) is not None:
        store = IndexStore.open(settings)
        count = store.count()
        store.close()
        if count == size:
            return 0.0
    shutil.rmtree(index_dir, ignore_errors=True)
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    pyrng = random.Random(seed)
    clusters = cluster_names()
    store = IndexStore.create(settings, vectors.shape[1])
    batch_chunks: list = []
    batch_vectors: list = []
    for d in range(0, size, 5):
        cluster = pyrng.choice(clusters)
        meta = {"cluster": cluster, "country": pyrng.choice(COUNTRIES),
                "year": pyrng.randint(2015, 2025), "type": pyrng.choice(TYPES),
                "topics": pyrng.sample(TOPICS, 2)}
        source = f"synthetic/report-{d // 5:06d}.md"
        title = f"{cluster} {meta['type']} {d // 5}"
        ids = []
        for j in range(min(5, size - d)):
            picks = rng.choice(len(pool), size=int(rng.integers(6, 11)), replace=False)
            text = " ".join(pool[p] for p in picks)
            vector = vectors[picks].sum(axis=0) + rng.normal(0, 0.02, vectors.shape[1])
            chunk = Chunk(chunk_id(source, text), text, source, title,
                          section=SECTIONS[j % len(SECTIONS)], metadata=meta)
            ids.append(chunk.id)
            batch_chunks.append(chunk)
            batch_vectors.append(vector / np.linalg.norm(vector))
        store.manifest.files[source] = FileRecord("synthetic", title, ids, meta, "")
        if len(batch_chunks) >= 5000:
            store.add(batch_chunks, batch_vectors)
            batch_chunks, batch_vectors = [], []
    if batch_chunks:
        store.add(batch_chunks, batch_vectors)
    store.rebuild_keywords()
    store.save_manifest()
    store.publish()
    store.close()
    return time.perf_counter() - started


def _latencies(call, items: list) -> dict:
    times, cpu = [], []
    for item in items:
        started, cpu_started = time.perf_counter(), time.process_time()
        call(item)
        times.append(1000 * (time.perf_counter() - started))
        cpu.append(1000 * (time.process_time() - cpu_started))
    return {"p50_ms": round(percentile(times, 0.5), 1), "p95_ms": round(percentile(times, 0.95), 1),
            "cpu_p50_ms": round(percentile(cpu, 0.5), 1)}


def _measure(bot, embeddings, cases: list) -> dict:
    from bot.retrieval import metadata_filter

    for question, filters in cases[:3]:  # warm up: open the index, load BM25, caches
        bot.ask(question, filters=filters)
    load = load_average()
    retrieve = _latencies(lambda c: bot.retrieve(c[0], filters=c[1]), cases)
    ask = _latencies(lambda c: bot.ask(c[0], filters=c[1]), cases)
    ask_plain = _latencies(lambda c: bot.ask(c[0]), [c for c in cases if c[1] is None])
    vectorstore = bot.vectorstore()
    vectorstore.similarity_search(cases[0][0], k=4)
    langchain = _latencies(lambda c: vectorstore.similarity_search(c[0], k=4), cases)
    embed = _latencies(lambda c: embeddings.embed_query(c[0]), cases)
    keywords = bot.store.keywords
    bm25 = _latencies(lambda c: keywords.search(c[0], 40, metadata_filter(c[1])), cases)
    return {"chunks": bot.store.count(), "retrieve": retrieve, "ask": ask,
            "ask_unfiltered": ask_plain, "langchain_similarity_search": langchain,
            "embed_query": embed, "bm25": bm25, "load_average": [load, load_average()]}


def child_query(work: str, sizes: list[int], backend: str, n_questions: int) -> dict:
    """Query latency of Bot.retrieve, Bot.ask and LangChain similarity_search at each size."""
    import numpy as np

    from bot import Bot, Settings
    from bot.embeddings import load_embeddings

    embeddings = load_embeddings(Settings.from_env(embedding_backend=backend))
    pool = sentence_pool(ROOT / "corpus")
    vectors = np.asarray(embeddings.embed_documents(pool), dtype=np.float32)
    asked = questions()[:n_questions]
    clusters = cluster_names()
    cases = []
    for i, question in enumerate(asked):
        kind = FILTERS[i % len(FILTERS)]
        filters = {None: None, "cluster": {"cluster": clusters[i % len(clusters)]},
                   "year": {"year": 2015 + i % 11}, "topic": {"topic": TOPICS[i % 4]}}[kind]
        cases.append((question, filters))
    results = []
    for size in sizes:
        index_dir = Path(work) / f"synthetic-{size}"
        build_seconds = build_synthetic(index_dir, size, pool, vectors, backend)
        settings = Settings.from_env(index_dir=index_dir, embedding_backend=backend)
        bot = Bot(settings, embeddings)
        results.append({"build_seconds": round(build_seconds, 1),
                        **_measure(bot, embeddings, cases)})
        bot.close()
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    return {"sizes": results, "questions": len(cases), "peak_mb": peak_mb()}


def child_app(index: str, corpus: str, backend: str) -> dict:
    """Start ``python app.py`` over an existing index; time until /ask answers; its memory."""
    import psutil
    from gradio_client import Client

    port = free_port()
    env = {**os.environ, **ENV, "BOT_INDEX_DIR": index, "BOT_CORPUS_DIR": corpus,
           "BOT_PORT": str(port), "BOT_HOST": "127.0.0.1", "BOT_EMBEDDING_BACKEND": backend,
           "BOT_DATA_DIR": str(Path(index).parent / "app-data")}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/"
    answer = None
    try:
        while time.perf_counter() - started < 180:
            if process.poll() is not None:
                raise RuntimeError(f"app.py exited: {process.stderr.read()[-2000:]}")
            try:
                client = Client(url, verbose=False)
                answer = client.predict("What does a small company pay to join a cluster?",
                                        "", "", "", "", api_name="/ask")
                break
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.25)
        ready = time.perf_counter() - started
        for question in questions()[:10]:
            client.predict(question, "", "", "", "", api_name="/ask")
        info = psutil.Process(process.pid)
        rss = info.memory_info().rss / 1e6
        status = Path(f"/proc/{process.pid}/status").read_text()
        hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
    return {"ready_seconds": round(ready, 2), "rss_mb": round(rss, 1), "peak_mb": round(hwm, 1),
            "answered": bool(answer and answer.get("answer"))}


# ---------------------------------------------------------------------------- report


def write_section(results_md: Path, body: str, name: str = "speed") -> None:
    """Replace this benchmark's section of RESULTS.md (creating the file with both sections)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if not results_md.exists():
        results_md.write_text(
            "# Benchmark results\n\n<!-- retrieval:start -->\n<!-- retrieval:end -->\n\n"
            "<!-- speed:start -->\n<!-- speed:end -->\n", encoding="utf-8")
    text = results_md.read_text(encoding="utf-8")
    if start not in text or end not in text:
        text = text.rstrip("\n") + f"\n\n{start}\n{end}\n"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    results_md.write_text(f"{head}{start}\n{body.strip()}\n{end}{tail}", encoding="utf-8")


def plot(results: dict, path: Path) -> None:
    """Three panels: indexing throughput, query latency by size, re-indexing time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    ax = axes[0]
    corpora = list(results["indexing"])
    names = [n for n in PIPELINES if all(n in results["indexing"][c] for c in corpora)]
    width = 0.8 / len(names)
    for j, name in enumerate(names):
        values = [results["indexing"][c][name]["chunks_per_s"] for c in corpora]
        ax.bar([i + j * width for i in range(len(corpora))], values, width, label=name)
    ax.set_xticks([i + width for i in range(len(corpora))], corpora)
    ax.set_ylabel("chunks per second")
    ax.set_title("Full indexing throughput")
    ax.legend(fontsize=8)
    ax = axes[1]
    sizes = [r["chunks"] for r in results["query"]["sizes"]]
    for key, label in (("retrieve", "Bot.retrieve"), ("ask", "Bot.ask (extractive)"),
                       ("langchain_similarity_search", "LangChain similarity_search k=4")):
        ax.plot(sizes, [r[key]["p50_ms"] for r in results["query"]["sizes"]], "o-",
                label=f"{label} p50")
        ax.plot(sizes, [r[key]["p95_ms"] for r in results["query"]["sizes"]], "x--",
                alpha=0.6, label=f"{label} p95")
    ax.axhline(50, color="grey", lw=0.8, ls=":")
    ax.axhline(300, color="grey", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("chunks in the index")
    ax.set_ylabel("ms")
    ax.set_title("Query latency")
    ax.legend(fontsize=7)
    ax = axes[2]
    reindex = results["reindex"]
    labels = ["full build", "nothing changed", "1% changed", "LangChain\n(rebuilds)"]
    values = [reindex["full_seconds"], reindex["unchanged"]["seconds"],
              reindex["changed_1pct"]["seconds"], reindex["langchain_full_seconds"]]
    ax.bar(labels, values, color=["C1", "C2", "C2", "C0"])
    ax.set_ylabel("seconds")
    ax.set_title(f"Re-indexing {results['docs']} reports")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def render(results: dict) -> str:
    """The speed section of RESULTS.md."""
    ix = results["indexing"]
    lines = [
        "## Speed (`bench/speed.py`)", "",
        f"Measured {results['date']} on {results['machine']}; load average "
        f"{results['load_average'][0]} at the start and {results['load_average'][1]} at the end "
        "(the two cores are shared with other sessions, so absolute numbers move; the "
        "comparisons below are ratios from the same run, with the pipelines in alternating "
        "order). Reproduce with `" + results["command"] + "`.", "",
        "![speed benchmark](speed.png)", "",
        "### Full indexing (model loading excluded; each run in its own process)", "",
        *([f"Re-measured {results['redone']['indexing']} (load average of each run in the last "
            "column).", ""]
          if "indexing" in results.get("redone", {}) else []),
        "| corpus | pipeline | chunks | mean chunk chars | s | chunks/s | MB/s | chunks per "
        "CPU-s | × LangChain (chunks/s) | peak MB | load |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for corpus, runs in ix.items():
        base = runs["langchain"]["chunks_per_s"]
        for name in [n for n in PIPELINES if n in runs]:
            r = runs[name]
            label = name if name != MATCHED else (
                f"clusterbot-{results['backend']}, chunks as long as LangChain's "
                f"({r['chunk_tokens']} tokens, overlap {r['chunk_overlap']})")
            lines.append(
                f"| {corpus} ({r['docs']} docs, {r['mb']:.2f} MB) | {label} | {r['chunks']} | "
                f"{r['mean_chunk_chars']} | {r['seconds']:.1f} | {r['chunks_per_s']:.1f} | "
                f"{r['mb_per_s']:.3f} | {r['chunks_per_cpu_s']:.2f} | "
                f"{r['chunks_per_s'] / base:.2f}× | {r['peak_mb']:.0f} | "
                f"{r['load_average'][0]}–{r['load_average'][1]} |")
    rx = results["reindex"]
    lines += [
        "", f"### Re-indexing the {results['docs']} generated reports "
        f"(clusterbot, {results['backend']})", "",
        "Imports of chromadb and bm25s (seconds, once per process) are excluded, as model "
        "loading is." + (f" Re-measured {results['redone']['reindex']}." if "reindex" in
                         results.get("redone", {}) else ""), "",
        "| run | s | % of full build | embedded | stages (s) |",
        "| --- | ---: | ---: | ---: | --- |",
        f"| full build | {rx['full_seconds']:.1f} | 100% | {rx['full_chunks']} | |",
    ]
    for key, label in (("unchanged", "nothing changed"),
                       ("changed_1pct", f"1% changed ({rx['changed_1pct']['files_changed']} "
                                        "files)")):
        r = rx[key]
        stages = ", ".join(f"{k} {v:.2f}" for k, v in r["stages"].items())
        share = 100 * r["seconds"] / rx["full_seconds"]
        lines.append(f"| {label} | {r['seconds']:.2f} | {share:.1f}% | {r['embedded']} | "
                     f"{stages} |")
    lines.append(f"| LangChain tutorial (no incremental mode: rebuilds) | "
                 f"{rx['langchain_full_seconds']:.1f} | — | all | |")
    q = results["query"]
    lines += [
        "", f"### Query latency ({q['questions']} questions of `eval/questions.jsonl`, a "
        "quarter each without filter, with a cluster, a year and a topic filter; "
        f"backend {results['backend']})", "",
        "Synthetic chunks: corpus sentences recombined (6–10 per chunk), each vector the "
        "normalised sum of its sentences' real embeddings plus a little noise — embedding 100k "
        "chunks on the shared 2 cores would take over an hour. Queries go through the real "
        "`Bot.retrieve` / `Bot.ask` with the real query embedding.", "",
        "CPU ms is the process CPU time of a query (all its threads): what it costs when the "
        "cores are not shared.", "",
        "| chunks | retrieve p50 / p95 ms | retrieve CPU ms p50 | ask (extractive) p50 / p95 ms "
        "| ask CPU ms p50 | ask again, no filter p50 (sentence vectors cached) | "
        "LangChain similarity_search k=4 p50 / p95 | "
        "query embedding p50 | BM25 p50 | load |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in q["sizes"]:
        lines.append(
            f"| {r['chunks']:,} | {r['retrieve']['p50_ms']} / {r['retrieve']['p95_ms']} | "
            f"{r['retrieve']['cpu_p50_ms']} | {r['ask']['p50_ms']} / {r['ask']['p95_ms']} | "
            f"{r['ask']['cpu_p50_ms']} | {r['ask_unfiltered']['p50_ms']} | "
            f"{r['langchain_similarity_search']['p50_ms']} / "
            f"{r['langchain_similarity_search']['p95_ms']} | {r['embed_query']['p50_ms']} | "
            f"{r['bm25']['p50_ms']} | {r['load_average'][0]}–{r['load_average'][1]} |")
    lines += ["", "### Memory and start-up", "",
              "| what | peak MB | other |", "| --- | ---: | --- |"]
    for corpus, runs in ix.items():
        lines.append(f"| indexing {corpus}, clusterbot {results['backend']} | "
                     f"{runs['clusterbot-' + results['backend']]['peak_mb']:.0f} | |")
        lines.append(f"| indexing {corpus}, LangChain | {runs['langchain']['peak_mb']:.0f} | |")
    lines.append(f"| query benchmark process (up to {q['sizes'][-1]['chunks']:,} chunks) | "
                 f"{q['peak_mb']:.0f} | |")
    for app in results["app"]:
        lines.append(f"| app (`python app.py`) over {app['index']} | {app['peak_mb']:.0f} | "
                     f"ready (answers `/ask`) after **{app['ready_seconds']:.1f} s**; RSS "
                     f"after 10 questions {app['rss_mb']:.0f} MB |")
    lines += ["", "### Targets", "", "| target | result | holds |", "| --- | --- | --- |"]
    lines += [f"| {t} | {r} | {'yes' if ok else '**no**'} |" for t, r, ok in targets(results)]
    if results.get("notes"):
        lines += ["", "### Notes", ""] + [f"- {note}" for note in results["notes"]]
    return "\n".join(lines) + "\n"


def targets(results: dict) -> list[tuple[str, str, bool]]:
    """(target, measured, holds) for the issue's targets."""
    rows = []
    backend = results["backend"]
    for corpus, runs in results["indexing"].items():
        ours, base = runs.get(MATCHED, runs[f"clusterbot-{backend}"]), runs["langchain"]
        default = runs[f"clusterbot-{backend}"]
        ratio = ours["chunks_per_s"] / base["chunks_per_s"]
        rows.append((
            f"full indexing ≥ 1.5× LangChain chunks/s, same model and chunk size ({corpus})",
            f"{ratio:.2f}× chunks/s with chunks as long as LangChain's ({ours['mean_chunk_chars']}"
            f" vs {base['mean_chunk_chars']} chars), {ours['mb_per_s'] / base['mb_per_s']:.2f}× "
            f"MB/s ({backend}); default chunking: "
            f"{default['chunks_per_s'] / base['chunks_per_s']:.2f}× chunks/s "
            f"({default['mean_chunk_chars']} chars), "
            f"{default['mb_per_s'] / base['mb_per_s']:.2f}× MB/s", ratio >= 1.5))
    rx = results["reindex"]
    share = rx["unchanged"]["seconds"] / rx["full_seconds"]
    rows.append(("re-index, nothing changed ≤ 2% of a full build", f"{100 * share:.2f}%",
                 share <= 0.02))
    largest = results["query"]["sizes"][-1]
    rows.append((f"retrieval p50 ≤ 50 ms at {largest['chunks']:,} chunks",
                 f"{largest['retrieve']['p50_ms']} ms (CPU {largest['retrieve']['cpu_p50_ms']} "
                 "ms)", largest["retrieve"]["p50_ms"] <= 50))
    rows.append((f"extractive answer p50 ≤ 300 ms at {largest['chunks']:,} chunks",
                 f"{largest['ask']['p50_ms']} ms (CPU {largest['ask']['cpu_p50_ms']} ms)",
                 largest["ask"]["p50_ms"] <= 300))
    ready = max(a["ready_seconds"] for a in results["app"])
    rows.append(("app ready ≤ 20 s", f"{ready:.1f} s", ready <= 20))
    return rows


# ---------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000, help="generated reports")
    parser.add_argument("--scifact", type=Path, default=ROOT.parent / "shared/datasets/scifact")
    parser.add_argument("--scifact-docs", type=int, default=1000,
                        help="SciFact abstracts indexed for throughput (0: all 5,183)")
    parser.add_argument("--sizes", default="1000,10000,100000", help="chunks per query index")
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--backend", default="onnx-int8", choices=["torch", "onnx-int8"],
                        help="clusterbot backend for re-indexing, queries and the app")
    parser.add_argument("--work", type=Path, default=Path("/tmp/clusterbot-speed"))
    parser.add_argument("--out", type=Path, default=ROOT / "bench")
    parser.add_argument("--redo", choices=["indexing", "reindex", "render"],
                        help="measure only this stage again (render: nothing) and update the "
                             "saved results, plot and RESULTS.md section")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("child_args", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        task = {"index": child_index, "reindex": child_reindex, "query": child_query,
                "app": child_app}[args.child]
        print(json.dumps(task(**json.loads(args.child_args))))
        return

    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    if args.redo:
        results = json.loads((args.out / "speed.json").read_text(encoding="utf-8"))
        index_generated = work / f"index-generated-clusterbot-{results['backend']}"
        if args.redo == "indexing":
            results["indexing"] = measure_indexing(
                {"generated": work / "generated", "scifact": work / "scifact"}, work,
                results["backend"])
            results.setdefault("redone", {})["indexing"] = time.strftime("%Y-%m-%d %H:%M")
            full = results["indexing"]["generated"][f"clusterbot-{results['backend']}"]
            results["reindex"].update(
                full_seconds=full["seconds"], full_chunks=full["chunks"],
                langchain_full_seconds=results["indexing"]["generated"]["langchain"]["seconds"])
        if args.redo == "reindex":
            results["reindex"].update(run_child("reindex", corpus=str(work / "generated"),
                                                index=str(index_generated),
                                                backend=results["backend"]))
            results.setdefault("redone", {})["reindex"] = time.strftime("%Y-%m-%d %H:%M")
        finish(results, args.out)
        return
    command = "HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 .venv/bin/python bench/speed.py" + "".join(
        f" {a}" for a in sys.argv[1:])
    results: dict = {"date": time.strftime("%Y-%m-%d %H:%M"), "docs": args.docs,
                     "backend": args.backend, "command": command,
                     "machine": f"{os.cpu_count()} CPU cores, Python {sys.version.split()[0]}",
                     "load_average": [load_average()]}
    print("generating the corpora", flush=True)
    pool = sentence_pool(ROOT / "corpus")
    generated = work / "generated"
    generate_corpus(generated, args.docs, pool)
    scifact = work / "scifact"
    n_scifact = args.scifact_docs or 10**9
    write_scifact(scifact, args.scifact, n_scifact)
    corpora = {"generated": generated, "scifact": scifact}
    results["indexing"] = measure_indexing(corpora, work, args.backend)
    print("re-indexing", flush=True)
    index_generated = work / f"index-generated-clusterbot-{args.backend}"
    full = results["indexing"]["generated"][f"clusterbot-{args.backend}"]
    results["reindex"] = {
        **run_child("reindex", corpus=str(generated), index=str(index_generated),
                    backend=args.backend),
        "full_seconds": full["seconds"], "full_chunks": full["chunks"],
        "langchain_full_seconds": results["indexing"]["generated"]["langchain"]["seconds"]}
    print("query latency", flush=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    results["query"] = run_child("query", work=str(work), sizes=sizes, backend=args.backend,
                                 n_questions=args.questions)
    print("app start-up", flush=True)
    results["app"] = []
    for label, index in ((f"the {args.docs} generated reports", index_generated),
                         (f"{sizes[-1]:,} synthetic chunks", work / f"synthetic-{sizes[-1]}")):
        app = run_child("app", index=str(index), corpus=str(generated), backend=args.backend)
        results["app"].append({"index": label, **app})
    results["load_average"].append(load_average())
    finish(results, args.out)


def measure_indexing(corpora: dict[str, Path], work: Path, backend: str) -> dict:
    """Full indexing of each corpus by every pipeline (each run in its own process, in
    alternating order), then by clusterbot with chunks as long as LangChain's."""
    order = {"generated": ["langchain", f"clusterbot-{backend}", "clusterbot-torch"],
             "scifact": ["clusterbot-torch", f"clusterbot-{backend}", "langchain"]}
    indexing: dict = {}
    print("full indexing", flush=True)
    for corpus, folder in corpora.items():
        runs: dict = {}
        mb = corpus_mb(folder)
        docs = sum(1 for p in folder.iterdir() if p.is_file())
        for name in [*order[corpus], MATCHED]:
            pipeline, _, run_backend = name.partition("-")
            sizes = {}
            if name == MATCHED:
                run_backend = backend
                sizes = matched_chunking(runs["langchain"], runs[f"clusterbot-{backend}"])
            r = run_child("index", pipeline=pipeline, corpus=str(folder),
                          index=str(work / f"index-{corpus}-{name}"),
                          backend=run_backend or "torch", **sizes)
            r.update(docs=docs, mb=mb, chunks_per_s=r["chunks"] / r["seconds"],
                     mb_per_s=mb / r["seconds"], chunks_per_cpu_s=r["chunks"] / r["cpu_seconds"])
            runs[name] = r
        indexing[corpus] = runs
    return indexing


def finish(results: dict, out: Path) -> None:
    """Save the results, the plot and the RESULTS.md section; print the targets."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "speed.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    plot(results, out / "speed.png")
    write_section(out / "RESULTS.md", render(results))
    for target, measured, holds in targets(results):
        print(f"{'ok ' if holds else 'NO '} {target}: {measured}")


if __name__ == "__main__":
    main()
