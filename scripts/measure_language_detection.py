"""Measure language detectors on eval/language/samples.jsonl (labelled short texts, sentences and
paragraphs in the ten languages of bot/lexicon/languages.yaml).

Half of the samples (even lines: dev) choose py3langid's confidence threshold; the other half
(odd lines: test) report. Prints accuracy by length, time per text and the resident memory the
detector adds, for py3langid (restricted to the known languages) and, if installed, lingua.

    python scripts/measure_language_detection.py
"""

from __future__ import annotations

import json
import resource
import time
from collections import defaultdict
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "eval" / "language" / "samples.jsonl"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(name: str, predict, samples: list[dict]) -> None:
    started = time.perf_counter()
    right: dict[str, list[bool]] = defaultdict(list)
    for sample in samples:
        right[sample["length"]].append(predict(sample["text"]) == sample["language"])
    seconds = (time.perf_counter() - started) / len(samples)
    total = [ok for oks in right.values() for ok in oks]
    by_length = ", ".join(f"{length} {sum(oks) / len(oks):.3f}" for length, oks in
                          sorted(right.items()))
    print(f"{name}: accuracy {sum(total) / len(total):.3f} ({by_length}); "
          f"{seconds * 1000:.2f} ms per text")


def main() -> None:
    samples = [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines()]
    dev, test = samples[::2], samples[1::2]
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from bot.language import DEFAULT_LANGUAGE, detect, languages

    before = rss_mb()
    started = time.perf_counter()
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(sorted(languages()))
    identifier.classify("warm up")
    print(f"py3langid: loaded in {time.perf_counter() - started:.2f} s, "
          f"+{rss_mb() - before:.0f} MB")
    def guess(text: str, threshold: float, min_letters: int) -> str:
        if sum(c.isalpha() for c in text) < min_letters:
            return DEFAULT_LANGUAGE
        code, probability = identifier.classify(text)
        return code if probability >= threshold else DEFAULT_LANGUAGE

    grid = [(t, n) for t in (0.0, 0.5, 0.7, 0.8, 0.9, 0.95) for n in (0, 4, 8, 12)]
    scores = {(t, n): sum(guess(s["text"], t, n) == s["language"] for s in dev) for t, n in grid}
    threshold, min_letters = max(grid, key=lambda g: (scores[g], -g[0], -g[1]))
    print(f"py3langid: best on dev: confidence >= {threshold}, at least {min_letters} letters "
          f"(accuracy {scores[threshold, min_letters] / len(dev):.3f})")
    for split, part in (("dev", dev), ("test", test)):
        report(f"py3langid {split}", lambda t: guess(t, threshold, min_letters), part)
    report("bot.language.detect test", detect, test)
    try:
        from lingua import IsoCode639_1, LanguageDetectorBuilder
    except ImportError:
        return
    before = rss_mb()
    started = time.perf_counter()
    codes = [getattr(IsoCode639_1, code.upper()) for code in languages()]
    detector = LanguageDetectorBuilder.from_iso_codes_639_1(*codes) \
        .with_preloaded_language_models().build()
    print(f"lingua: loaded in {time.perf_counter() - started:.2f} s, "
          f"+{rss_mb() - before:.0f} MB")

    def lingua(text: str) -> str:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else DEFAULT_LANGUAGE

    for split, part in (("dev", dev), ("test", test)):
        report(f"lingua {split}", lingua, part)


if __name__ == "__main__":
    main()
