"""The vocabulary of question analysis and answering, read from a data file per language.

``lexicon/<language>.yaml`` holds the patterns and word lists; this module compiles them once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from ..errors import ConfigError

LEXICON_DIR = Path(__file__).with_name("lexicon")


def stem(word: str) -> str:
    """A crude stem: hyphenated words whole, others without a plural s and cut to five letters."""
    word = word.lower()
    if "-" in word:
        return word[:-1] if word.endswith("s") else word
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word[:5]


@dataclass(frozen=True)
class Lexicon:
    """Compiled vocabulary of one language."""

    language: str
    question_kinds: list[tuple[str, re.Pattern[str]]]
    compared_kinds: list[tuple[str, re.Pattern[str]]]
    noun_kinds: dict[str, str]
    question_word: re.Pattern[str]
    fact_of_kind: dict[str, re.Pattern[str]]
    question_words: frozenset[str]
    kind_words: frozenset[str]
    comparing_words: re.Pattern[str]
    synonym_of: dict[str, frozenset[str]]
    across_organisations: re.Pattern[str]
    compares: re.Pattern[str]
    coordination: re.Pattern[str]
    question_part: re.Pattern[str]
    comparatives: list[tuple[re.Pattern[str], str]]
    aggregates: re.Pattern[str]
    ranks_organisations: re.Pattern[str]
    superlative_max: re.Pattern[str]
    superlative_min: re.Pattern[str]
    practice: re.Pattern[str]
    target_sentence: re.Pattern[str]
    action_sentence: re.Pattern[str]
    target_question: re.Pattern[str]
    name: re.Pattern[str]
    generic_name_words: frozenset[str]
    name_noise: frozenset[str]
    organisation_words: frozenset[str]
    number_words: str
    years: re.Pattern[str]
    conversation: dict[str, re.Pattern[str]]

    def group(self, word: str) -> frozenset[str]:
        """The stems that ask for the same thing as ``word`` (its synonyms), itself included."""
        stemmed = stem(word)
        return self.synonym_of.get(stemmed, frozenset((stemmed,)))


def _facts(raw: dict) -> dict[str, re.Pattern[str]]:
    """Patterns of sentences that hold a fact of each kind."""
    year = r"\b(?:1[89]\d\d|20\d\d)\b"
    numbers, months, money = raw["number_words"], raw["months"], raw["currencies"]
    patterns = {
        "person": (r"\b[A-Z][a-zà-ÿ]+(?:\s+(?:[A-Z]\.|[A-Z][a-zà-ÿ]+|[A-Z]+|de|van|von)){1,3}\b",
                   0),
        "percent": (r"\d\s*%|\bper ?cent\b|\b(?:half|third|quarter)\b", re.I),
        "count": (rf"\b(?!(?:1[89]|20)\d\d\b)\d|\b(?:{numbers})\b", re.I),
        "money": (rf"(?:{money})[^.;]*\d|\d[^.;]*(?:€|{money}|\b(?:million|billion|k)\b)|\bfree\b",
                  re.I),
        "year": (year, 0),
        "date": (rf"{year}|\b(?:{months})\b", 0),
        "duration": (rf"\d\s*(?:to|-|–)\s*\d|\b(?:\d+(?:\.\d+)?|a|an|{numbers}|several)\s+"
                     rf"(?:years?|months?|weeks?|days?|hours?|minutes?)\b|\bfrom\b[^.;]*\b"
                     rf"(?:to|until)\b|{year}\s*[-–]\s*{year}", re.I),
        "place": (r"\b(?:in|at)\s+(?:the\s+)?[A-Z]", 0),
    }
    return {kind: re.compile(pattern, flags) for kind, (pattern, flags) in patterns.items()}


@cache
def load_lexicon(language: str = "en") -> Lexicon:
    """The lexicon of ``language`` (``lexicon/<language>.yaml``), compiled."""
    path = LEXICON_DIR / f"{language}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in LEXICON_DIR.glob("*.yaml")))
        raise ConfigError(f"no lexicon for language {language!r}: add {path} (have: {known})")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))

    def rx(key: str, flags: int = re.I) -> re.Pattern[str]:
        return re.compile(raw[key], flags)

    synonym_of: dict[str, frozenset[str]] = {}
    for group in raw["synonyms"]:
        stems = frozenset(stem(w) for w in group)
        for member in stems:
            synonym_of[member] = synonym_of.get(member, frozenset()) | stems
    return Lexicon(
        language=language,
        question_kinds=[(k, re.compile(p, re.I)) for k, p in raw["question_kinds"].items()],
        compared_kinds=[(k, re.compile(p, re.I)) for k, p in raw["compared_kinds"].items()],
        noun_kinds={noun: kind for kind, nouns in raw["noun_kinds"].items() for noun in nouns},
        question_word=rx("question_word"),
        fact_of_kind=_facts(raw),
        question_words=frozenset(raw["question_words"]),
        kind_words=frozenset(raw["kind_words"]),
        comparing_words=rx("comparing_words"),
        synonym_of=synonym_of,
        across_organisations=rx("across_organisations"),
        compares=rx("compares"),
        coordination=rx("coordination"),
        question_part=rx("question_part"),
        comparatives=[(re.compile(c["pattern"], re.I), c["term"]) for c in raw["comparatives"]],
        aggregates=rx("aggregates"),
        ranks_organisations=rx("ranks_organisations"),
        superlative_max=rx("superlative_max"),
        superlative_min=rx("superlative_min"),
        practice=rx("practice"),
        target_sentence=rx("target_sentence"),
        action_sentence=rx("action_sentence"),
        target_question=rx("target_question"),
        name=re.compile(raw["name"]),
        generic_name_words=frozenset(raw["generic_name_words"]),
        name_noise=frozenset(raw["name_noise"]),
        organisation_words=frozenset(raw["organisation_words"]),
        number_words=raw["number_words"],
        years=re.compile(r"\b(?:1[89]\d\d|20\d\d)\b"),
        conversation={name: re.compile(pattern, 0 if name in raw["conversation_case_sensitive"]
                                       else re.I)
                      for name, pattern in raw["conversation"].items()},
    )
