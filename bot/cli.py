"""The command line: ``clusterbot`` (or ``python -m bot``).

Errors of the library become one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .config import LLM_BACKENDS, Settings, describe_settings
from .errors import BotError, CorpusNotFound

#: Exit code of ``index`` when the run finished but some files could not be indexed.
EXIT_SOME_FAILED = 10


def _offline_defaults() -> None:
    for name, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                        ("GRADIO_ANALYTICS_ENABLED", "False"), ("ANONYMIZED_TELEMETRY", "False"),
                        ("TOKENIZERS_PARALLELISM", "false")):
        os.environ.setdefault(name, value)


def _settings(**overrides: Any) -> Settings:
    return Settings.from_env(**overrides)


def _translate_errors(command: Callable) -> Callable:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except BotError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


def _index_option(command: Callable) -> Callable:
    return click.option("--index", "index_dir", type=click.Path(path_type=Path),
                        help="Index folder [BOT_INDEX_DIR, default index/].")(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="clusterbot")
def main() -> None:
    """clusterbot: cited answers about cluster services, income streams and member engagement.

    \b
    Examples:
      clusterbot index --corpus corpus/
      clusterbot ask "How do clusters fund their offices?" --cluster BioM
    """
    _offline_defaults()


class _TqdmProgress:
    """A tqdm bar per stage, shown only on a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None
        self.stage = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=total, desc=stage.capitalize(), unit="chunk" if
                            stage == "embedding" else "file", file=sys.stderr, leave=False)
        self.bar.total = total
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@main.command()
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path),
              help="Folder of documents [BOT_CORPUS_DIR, default corpus/].")
@_index_option
@click.option("--rebuild", is_flag=True, help="Start over: build a new index, then switch to it.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_translate_errors
def index(corpus_dir: Path | None, index_dir: Path | None, rebuild: bool, as_json: bool) -> None:
    """Index a folder of documents (incremental: only changed files are embedded).

    Exit code 0 when every file was indexed, 10 when some could not be (see "failed").

    \b
    Examples:
      clusterbot index
      clusterbot index --corpus ~/cluster-reports --index ~/cluster-index --json
    """
    from .api import Bot

    bot = Bot(_settings(corpus_dir=corpus_dir, index_dir=index_dir))
    progress = _TqdmProgress(enabled=sys.stderr.isatty() and not as_json)
    try:
        report = bot.index(rebuild=rebuild, progress=progress)
    finally:
        progress.close()
    if not (report.added or report.updated or report.unchanged or report.removed
            or report.failed):
        from .loading.corpus import PARSERS

        raise CorpusNotFound(f"no supported document in {bot.settings.corpus_dir} "
                             f"({', '.join(sorted(PARSERS))}): add documents there or point "
                             "--corpus at the folder that holds them")
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(report.summary())
        for source, reason in report.failed:
            click.echo(f"  failed: {source}: {reason}")
    if report.failed:
        sys.exit(EXIT_SOME_FAILED)


@main.command()
@_index_option
@click.option("--repair", is_flag=True,
              help="Rebuild what is damaged from what is intact (re-embeds only lost vectors).")
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path),
              help="Folder of documents a repair re-reads [BOT_CORPUS_DIR, default corpus/].")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_translate_errors
def check(index_dir: Path | None, repair: bool, corpus_dir: Path | None, as_json: bool) -> None:
    """Check that the index's manifest, vectors and keyword index agree; --repair fixes them.

    Exit code 0 when the index is healthy, 8 when it is damaged.

    \b
    Examples:
      clusterbot check
      clusterbot check --repair --index ~/cluster-index
    """
    from .api import Bot
    from .errors import IndexDamaged

    bot = Bot(_settings(corpus_dir=corpus_dir, index_dir=index_dir))
    progress = _TqdmProgress(enabled=sys.stderr.isatty() and not as_json)
    try:
        report = bot.check(repair=repair, progress=progress)
    finally:
        progress.close()
    click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if as_json
               else report.summary())
    if not report.ok:
        sys.exit(IndexDamaged.exit_code)


@main.command()
@click.argument("question")
@_index_option
@click.option("--k", type=click.IntRange(min=1),
              help="Number of sources, up to BOT_MAX_K [BOT_TOP_K, default 5].")
@click.option("--cluster", help="Only documents about this cluster.")
@click.option("--country", help="Only documents about this country.")
@click.option("--topic", help="Only documents on this topic (e.g. 'income streams').")
@click.option("--year", type=int, help="Only documents of this year.")
@click.option("--type", "doc_type", help="Only documents of this type (e.g. 'profile').")
@click.option("--source", help="Only this document (its path in the corpus).")
@click.option("--language", help="Only documents in this language (ISO 639-1 code, e.g. 'de').")
@click.option("--llm", type=click.Choice(LLM_BACKENDS),
              help="Answer backend [BOT_LLM, default extractive].")
@click.option("--json", "as_json", is_flag=True,
              help="Print answer, abstained, query and sources as JSON.")
@_translate_errors
def ask(question: str, index_dir: Path | None, k: int | None, cluster: str | None,
        country: str | None, topic: str | None, year: int | None, doc_type: str | None,
        source: str | None, language: str | None, llm: str | None, as_json: bool) -> None:
    """Answer QUESTION from the index, citing the sources.

    \b
    Examples:
      clusterbot ask "How many start-ups has BioM supported?"
      clusterbot ask "Which services do members value most?" --topic services --json
    """
    from .api import Bot

    bot = Bot(_settings(index_dir=index_dir, llm=llm))
    filters = {"cluster": cluster, "country": country, "topic": topic, "year": year,
               "type": doc_type, "source": source, "language": language}
    answer = bot.ask(question, filters={k_: v for k_, v in filters.items() if v}, k=k)
    if as_json:
        click.echo(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(answer.text)
    if answer.sources:
        click.echo("\nSources:")
    for s in answer.sources:
        where = f", p. {s.page}" if s.page else (f", {s.section}" if s.section else "")
        cluster_note = f" ({s.cluster})" if s.cluster else ""
        click.echo(f"  [{s.n}] {s.title}{cluster_note}{where} — {s.source} (score {s.score:.2f})")


@main.command("eval")
@click.option("--set", "question_set", type=click.Path(path_type=Path, exists=True),
              default=Path("eval/questions.jsonl"), show_default=True,
              help="Question set (JSON lines, or a folder of them).")
@_index_option
@click.option("--beir", type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="Evaluate retrieval on a BEIR folder instead (temporary index).")
@click.option("--retrieval", type=click.Choice(["hybrid", "dense", "keyword"]),
              help="Retrieval mode [BOT_RETRIEVAL, default hybrid].")
@click.option("--split", type=click.Choice(["dev", "test"]),
              help="Only the questions of this split of the set [default: every question].")
@click.option("--json", "as_json", is_flag=True,
              help="Print the metrics and the faulty answers as JSON.")
@click.option("--report", "report_dir", type=click.Path(path_type=Path),
              help="Write report.md and a chart of the metrics by kind into this folder.")
@click.option("--check", is_flag=True,
              help="Exit with code 1 when a target (hit@5, facts, abstention) is missed or an "
                   "answer cites another organisation's figure or cuts a quote short.")
@_translate_errors
def evaluate(question_set: Path, index_dir: Path | None, beir: Path | None,
             retrieval: str | None, split: str | None, as_json: bool, report_dir: Path | None,
             check: bool) -> None:
    """Measure answer and retrieval quality.

    \b
    Examples:
      clusterbot eval --report eval/reports
      clusterbot eval --split test --check
      clusterbot eval --beir ../shared/datasets/scifact --json
    """
    from .api import Bot
    from .evaluation.answers import run_questions
    from .evaluation.beir import run_beir
    from .evaluation.metrics import failures, faults, metrics, metrics_by, metrics_by_kind
    from .evaluation.questions import load_questions, select_split
    from .evaluation.report import write_report

    bot = Bot(_settings(index_dir=index_dir, retrieval=retrieval))
    progress = _TqdmProgress(enabled=sys.stderr.isatty() and not as_json)
    try:
        if beir:
            result = run_beir(beir, bot.settings, bot.embeddings, progress=progress)
            click.echo(json.dumps(result, indent=2) if as_json else
                       "\n".join(f"{k}: {v}" for k, v in result.items()))
            return
        questions = load_questions(question_set)
        if split:
            questions = select_split(questions, split)
        results = run_questions(
            bot, questions, progress=lambda done, total: progress("asking", done, total))
    finally:
        progress.close()
    overall = metrics(results)
    by_kind = metrics_by_kind(results)
    by_language = metrics_by(results, "language")
    if report_dir:
        path = write_report(report_dir, overall, by_kind, results)
        click.echo(f"report written to {path}", err=True)
    at_fault = faults(results)
    if as_json:
        languages = {"by_language": by_language} if by_language else {}
        click.echo(json.dumps({"overall": overall, "by_kind": by_kind, **languages, **at_fault},
                              indent=2, ensure_ascii=False))
    else:
        for name, value in overall.items():
            click.echo(f"{name:>22}: {value}")
        for name, items in at_fault.items():
            for item in items:
                click.echo(f"{name} {item['id']} ({item['kind']}): " + " | ".join(item[name]))
    missed = failures(overall)
    if check and missed:
        click.echo("Error: targets missed: " + "; ".join(missed), err=True)
        sys.exit(1)


@main.command()
def settings() -> None:
    """Show every setting, its environment variable and its current value."""
    try:
        current = _settings()
    except BotError as exc:
        raise click.ClickException(str(exc)) from None
    import dataclasses

    values = {f.metadata["env"]: getattr(current, f.name) for f in dataclasses.fields(current)}
    for env, default, help_text in describe_settings():
        shown = help_text if "(default:" in help_text else f"{help_text} (default: {default})"
        click.echo(f"{env}={values[env]}\n    {shown}")


@main.command()
@click.option("--host", help="Address to listen on [BOT_HOST, default 127.0.0.1].")
@click.option("--port", type=click.IntRange(1, 65535), help="Port [BOT_PORT, default 7860].")
@_index_option
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path),
              help="Folder of documents [BOT_CORPUS_DIR, default corpus/].")
@_translate_errors
def serve(host: str | None, port: int | None, index_dir: Path | None,
          corpus_dir: Path | None) -> None:
    """Start the web chat (builds the index first when there is none).

    Set BOT_ADMIN_PASSWORD to protect the Documents tab; without it, documents can be changed
    only while the app listens on a loopback address.

    \b
    Examples:
      clusterbot serve
      BOT_ADMIN_PASSWORD=... clusterbot serve --host 0.0.0.0 --port 8080
    """
    from .web import serve as serve_web

    serve_web(_settings(host=host, port=port, index_dir=index_dir, corpus_dir=corpus_dir))


if __name__ == "__main__":
    main()
