"""Languages: which language a text is in, and how the keyword index analyses each language.

The languages clusterbot knows, with their stemmer and stopwords, are data
(``bot/lexicon/languages.yaml``). Detection uses py3langid's model (shipped in the package, no
download), restricted to those languages. A text without letters (a row of figures) gets the
``fallback`` language the caller passes: a document's language for its chunks, English for a
question.

``scripts/measure_language_detection.py`` chose py3langid over lingua on 430 labelled texts in
the ten languages (``eval/language/samples.jsonl``; test half: 0.977 against 0.963 accuracy,
0.93 against 0.92 on 2-6 word texts, 0.1 against 0.5 ms a text, 115 against 299 MB), and found
that neither a confidence threshold nor a minimum length improves it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

LEXICON_DIR = Path(__file__).with_name("lexicon")
DEFAULT_LANGUAGE = "en"

_LOCK = threading.Lock()


@dataclass(frozen=True)
class Language:
    """A language the keyword index analyses: ISO 639-1 code, name, stemmer and stopwords."""

    code: str
    name: str
    stemmer: str
    stopwords: tuple[str, ...] | str
    #: whether the language writes every noun with a capital (so capitals do not mark names)
    capitalises_nouns: bool = False


@cache
def languages() -> dict[str, Language]:
    """Every known language by code, from ``lexicon/languages.yaml``."""
    raw = yaml.safe_load((LEXICON_DIR / "languages.yaml").read_text(encoding="utf-8"))
    return {code: Language(code, entry["name"], entry["stemmer"],
                           entry["stopwords"] if isinstance(entry["stopwords"], str)
                           else tuple(entry["stopwords"]),
                           bool(entry.get("capitalises_nouns")))
            for code, entry in raw.items()}


@cache
def lexicon(code: str) -> dict:
    """The answering vocabulary of ``code`` (``lexicon/<code>.yaml``), or {} for a language
    without one."""
    path = LEXICON_DIR / f"{code}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}


def lexicons() -> dict[str, dict]:
    """Every language's answering vocabulary, English first."""
    codes = [DEFAULT_LANGUAGE, *sorted(c for c in languages() if c != DEFAULT_LANGUAGE)]
    return {code: lexicon(code) for code in codes if lexicon(code)}


def vocabulary(key: str) -> list[str]:
    """The entries under ``key`` in every language's lexicon, without repeats."""
    return list(dict.fromkeys(w for entry in lexicons().values() for w in entry.get(key, [])))


@cache
def stopwords(code: str) -> frozenset[str]:
    """The stopwords of ``code`` (empty for an unknown language)."""
    language = languages().get(code)
    if language is None:
        return frozenset()
    if isinstance(language.stopwords, str):
        from bm25s.tokenization import _infer_stopwords

        return frozenset(_infer_stopwords(language.stopwords))
    return frozenset(language.stopwords)


def normalise_code(value: str) -> str | None:
    """A known ISO 639-1 code from a front-matter value ("DE", "de-AT", "German"), or None."""
    text = str(value).strip().lower().replace("_", "-")
    if text.split("-")[0] in languages():
        return text.split("-")[0]
    for code, language in languages().items():
        if language.name.lower() == text:
            return code
    return None


@cache
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(sorted(languages()))
    return identifier


def detect(text: str, fallback: str = DEFAULT_LANGUAGE) -> str:
    """The language code of ``text``, or ``fallback`` when it has no letters."""
    if not any(c.isalpha() for c in text):
        return fallback
    with _LOCK:  # py3langid's identifier keeps state between calls
        return _identifier().classify(text)[0]

