"""The extractive answerer's vocabulary, read from the per-language lexicons.

``bot/lexicon/<code>.yaml`` says, for each language, how a question asks for each kind of fact
(a count, a sum of money, a year...), how such facts are written (number words, months, the
words for per cent and for money), which question words name no fact of their own, and which
words ask for the same fact. Questions are read with their own language's patterns, then
English's; passages are read with every language's words, so a passage in any language can
answer a question in any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from ..language import DEFAULT_LANGUAGE, lexicon, lexicons, stopwords, vocabulary
from ..text import YEAR

#: Currency signs and codes, written alike in every language.
_CURRENCIES = r"€|\$|£|\b(?:EUR|PLN|NOK|CHF|USD|GBP|SEK|DKK|CZK|zł)\b"


def _alternatives(key: str) -> str:
    return "|".join(vocabulary(key))


def stem(word: str) -> str:
    """A crude stem: hyphenated words whole, others without a plural s and cut to five letters."""
    word = word.lower()
    if "-" in word:
        return word[:-1] if word.endswith("s") else word
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word[:5]


NUMBER_WORDS = _alternatives("number_words")
#: How a fact of each kind is written, in any language.
FACT_OF_KIND = {
    "person": re.compile(r"\b[A-Z][a-zà-ÿ]+(?:\s+(?:[A-Z]\.|[A-Z][a-zà-ÿ]+|[A-Z]+|de|van|von"
                         r")){1,3}\b"),
    "percent": re.compile(rf"\d\s*%|\b(?:{_alternatives('percent_words')})\b", re.I),
    "count": re.compile(rf"\b(?!(?:1[89]|20)\d\d\b)\d|\b(?:{NUMBER_WORDS})\b", re.I),
    "money": re.compile(
        rf"(?:{_CURRENCIES}|\b(?:{_alternatives('money_words')})\b)[^.;]*\d"
        rf"|\d[^.;]*(?:{_CURRENCIES}|\b(?:{_alternatives('money_words')})\b)"
        rf"|\b(?:{_alternatives('free_words')})\b", re.I),
    "year": re.compile(YEAR),
    "date": re.compile(rf"{YEAR}|\b(?:{_alternatives('months')})\b", re.I),
    "duration": re.compile(
        rf"\d\s*(?:to|-|–)\s*\d|\b(?:\d+(?:[.,]\d+)?|a|an|{NUMBER_WORDS}|several)\s+"
        rf"(?:{_alternatives('duration_units')})\b|\bfrom\b[^.;]*\b(?:to|until)\b"
        rf"|{YEAR}\s*[-–]\s*{YEAR}", re.I),
    "place": re.compile(r"\b(?:in|at)\s+(?:the\s+)?[A-Z]"),
}
#: Stems of question words that name no fact of their own, in any language.
QUESTION_WORDS = frozenset(stem(w) for w in vocabulary("question_words"))
#: Stems of words that name the kind of fact itself ("the dates", "the deadline").
KIND_WORDS = frozenset(stem(w) for w in vocabulary("kind_words"))


def _grouped(across_languages: bool) -> dict[str, frozenset[str]]:
    """Stem → the stems of the words of its concepts: a concept's words in one language, or
    in every language."""
    concepts: dict[tuple[str, str], set[str]] = {}
    for code, entry in lexicons().items():
        for concept, group in entry.get("synonyms", {}).items():
            key = ("", concept) if across_languages else (code, concept)
            concepts.setdefault(key, set()).update(stem(w) for w in group)
    groups: dict[str, frozenset[str]] = {}
    for stems in concepts.values():
        for member in stems:
            groups[member] = groups.get(member, frozenset()) | frozenset(stems)
    return groups


@cache
def _synonyms() -> dict[str, frozenset[str]]:
    return _grouped(across_languages=False)


@cache
def _concepts() -> dict[str, frozenset[str]]:
    return _grouped(across_languages=True)


def concept_group(word: str, language: str | None = None) -> frozenset[str]:
    """The stems of ``word``'s concept in every language ("members": Mitglieder, soci...);
    given its ``language``, only when the word is one of the synonyms of that language or of
    English (the French "salariés" makes no concept of the English "salary")."""
    word_stem = stem(word)
    if language is not None and word_stem not in _own_stems(language):
        return frozenset((word_stem,))
    return _concepts().get(word_stem, frozenset((word_stem,)))


@cache
def _own_stems(language: str) -> frozenset[str]:
    return frozenset(stem(w) for code in (language, DEFAULT_LANGUAGE)
                     for group in lexicon(code).get("synonyms", {}).values() for w in group)


def synonym_group(word: str) -> frozenset[str]:
    """The stems that ask for the same fact as ``word`` (its own stem at least)."""
    word_stem = stem(word)
    return _synonyms().get(word_stem, frozenset((word_stem,)))


@cache
def kind_rules(language: str) -> tuple[tuple[str, re.Pattern], ...]:
    """The question patterns of ``language``, then English's, as (kind, pattern)."""
    codes = dict.fromkeys([language, DEFAULT_LANGUAGE])
    return tuple((kind, re.compile(pattern, re.I)) for code in codes
                 for kind, pattern in lexicon(code).get("question_kinds", []))


def expected_kind(question: str, language: str = DEFAULT_LANGUAGE) -> str | None:
    """The kind of fact a question asks for: person, percent, count, money, year, date,
    duration, place or None. The kind asked first wins ("On what date ... the fee?": date)."""
    found = [(match.start(), order, kind) for order, (kind, rule)
             in enumerate(kind_rules(language)) if (match := rule.search(question))]
    return min(found)[2] if found else None


def fact_noun(question: str, language: str = DEFAULT_LANGUAGE) -> str | None:
    """The noun that names the fact a question without a question form asks for ("fee" in
    "saimaa fee for individual members"), in its language or English; the first one found."""
    found = [match for rule in question_rules("fact_nouns", language)
             if (match := rule.search(question))]
    return min(found, key=lambda match: match.start()).group(0) if found else None


def in_dictionary(word: str, language: str) -> bool:
    """Whether ``word`` is a word of ``language`` (wordfreq knows it): "Cuántos" is, a name
    such as "Lyonbiopole" is not; False for a language wordfreq has no list for."""
    from wordfreq import zipf_frequency  # its import takes a fifth of a second

    try:
        return zipf_frequency(word, language) > 0
    except LookupError:
        return False


def is_stopword(word: str, language: str) -> bool:
    """Whether ``word`` is a stopword of ``language``."""
    return word.lower() in stopwords(language)


@cache
def counted_rule(language: str) -> re.Pattern | None:
    """The pattern of a question in ``language`` that counts something ("how many X")."""
    pattern = lexicon(language).get("counted") or lexicon(DEFAULT_LANGUAGE).get("counted")
    return re.compile(pattern, re.I) if pattern else None


@dataclass(frozen=True)
class Superlative:
    """What a ranking question asks for: the highest or the lowest (of the years, for the
    oldest or the youngest), which place, and whether it ranks changes or asks a total."""

    highest: bool
    place: int = 1
    #: whether the answer is a cluster ("which cluster has the most members?")
    of_clusters: bool = False
    #: whether it asks for both ends ("the oldest and the youngest")
    both: bool = False
    #: whether it ranks years ("the oldest cluster": the lowest founding year)
    years: bool = False
    #: "absolute" or "relative" when it ranks changes ("grew fastest"), else None
    change: str | None = None
    #: whether it asks for the sum of a series ("total staff across the group")
    total: bool = False
    #: stems of the words that ask for the ranking: they name no series
    words: frozenset[str] = field(default=frozenset(), compare=False)


def _pattern(words_: list[str]) -> re.Pattern:
    return re.compile(rf"(?<!\w)(?:{'|'.join(words_)})(?!\w)", re.I)


@cache
def _superlative_rules(language: str) -> tuple[tuple[tuple[str, re.Pattern], ...],
                                               tuple[tuple[re.Pattern, int], ...]]:
    """(direction, pattern) for each direction word list (highest, lowest, earliest, latest,
    change, relative, total) of ``language`` and English, and the ordinals."""
    codes = dict.fromkeys([language, DEFAULT_LANGUAGE])
    entries = [lexicon(code) for code in codes]
    directions = tuple((direction, _pattern(words_)) for entry in entries
                       for direction, words_ in entry.get("superlatives", {}).items() if words_)
    ordinals = tuple((re.compile(rf"\b{word}\b", re.I), place) for entry in entries
                     for word, place in entry.get("ordinals", {}).items())
    return directions, ordinals


#: Direction words that rank: upwards, and the year ones (the earliest year is the lowest).
_UP = {"highest": True, "lowest": False, "latest": True, "earliest": False}


def superlative(question: str, language: str = DEFAULT_LANGUAGE) -> Superlative | None:
    """Whether ``question`` asks for the highest or lowest of several figures (or years, or
    changes), which place ("the second-largest": 2), or a total over them; None for any other
    question."""
    directions, ordinals = _superlative_rules(language)
    spans = [(match.start(), match.end(), direction, match.group(0))
             for direction, rule in directions for match in rule.finditer(question)]
    # a word inside a longer one of another list is that one's ("le plus" in "le plus ancien")
    found = sorted((start, direction, word) for start, end, direction, word in spans
                   if not any(s <= start and end <= e and e - s > end - start
                              for s, e, _, _ in spans))
    ranks = [(direction, word) for _, direction, word in found if direction in _UP]
    said = {direction for _, direction, _ in found}
    if not ranks and "total" not in said:
        return None
    words_ = frozenset(stem(w) for _, _, phrase in found for w in phrase.split())
    change = ("relative" if "relative" in said else "absolute") if "change" in said else None
    place = next((place for rule, place in ordinals if rule.search(question)), 1)
    return Superlative(_UP[ranks[0][0]] if ranks else True, place,
                       asks_for_clusters(question, language),
                       both=len({_UP[d] for d, _ in ranks}) > 1,
                       years=any(d in ("earliest", "latest") for d, _ in ranks),
                       change=change, total=not ranks, words=words_)


def asks_for_clusters(question: str, language: str = DEFAULT_LANGUAGE) -> bool:
    """Whether the answer to ``question`` is one or more clusters ("Which clusters ...?")."""
    return _asks("asks_for_cluster", question, language)


def asks_practice(question: str, language: str = DEFAULT_LANGUAGE) -> bool:
    """Whether ``question`` asks how something is or was done ("How did X ...?", "What
    works ...?"), by the ``practice`` pattern of its language or English."""
    return _asks("practice", question, language)


@cache
def question_rules(key: str, language: str) -> tuple[re.Pattern, ...]:
    """The patterns under ``key`` of the lexicons of ``language`` and of English."""
    return tuple(re.compile(lexicon(code)[key], re.I)
                 for code in dict.fromkeys([language, DEFAULT_LANGUAGE]) if key in lexicon(code))


def _asks(key: str, question: str, language: str) -> bool:
    """Whether ``question`` matches the ``key`` pattern of its language or of English."""
    return any(rule.search(question) for rule in question_rules(key, language))


def asks_failure(question: str, language: str = DEFAULT_LANGUAGE) -> bool:
    """Whether ``question`` asks what did not work ("What failed at X?")."""
    return _asks("asks_failure", question, language)


@cache
def _told(key: str, language: str) -> re.Pattern:
    """The ``key`` words of ``language`` (English's where it has none) as one pattern."""
    words_ = lexicon(language).get(key) or lexicon(DEFAULT_LANGUAGE).get(key, [])
    return re.compile(rf"\b(?:{'|'.join(words_)})\b", re.I)


def tells_failure(text: str, language: str = DEFAULT_LANGUAGE) -> bool:
    """Whether ``text``, written in ``language``, tells that something did not work ("stopped
    in June", "attendance collapsed")."""
    return bool(_told("failure_words", language).search(text))


def tells_action(text: str, language: str = DEFAULT_LANGUAGE) -> bool:
    """Whether ``text``, written in ``language``, tells what was done ("The cluster
    introduced ...", "Wir luden ..."). A language's words are not another's: the French
    "organis..." would find the English noun "organisation"."""
    return bool(_told("action_words", language).search(text))


@cache
def _comparative_rules(language: str) -> tuple[tuple[bool, re.Pattern], ...]:
    codes = dict.fromkeys([language, DEFAULT_LANGUAGE])
    return tuple((direction == "higher", _pattern(words_)) for code in codes
                 for direction, words_ in lexicon(code).get("comparatives", {}).items())


def comparative(question: str, language: str = DEFAULT_LANGUAGE) -> bool | None:
    """Whether ``question`` asks which side has the higher (True) or the lower (False)
    figure ("who has more members, A or B?"); None when it asks neither."""
    found = _comparatives(question, language)
    return min(found)[1] if found else None


def comparative_words(question: str, language: str = DEFAULT_LANGUAGE) -> frozenset[str]:
    """The stems of the words of ``question`` that ask which side has more: they name no
    figure."""
    return frozenset(stem(w) for _, _, phrase in _comparatives(question, language)
                     for w in phrase.split())


def _comparatives(question: str, language: str) -> list[tuple[int, bool, str]]:
    return sorted((m.start(), higher, m.group(0)) for higher, rule in
                  _comparative_rules(language) for m in rule.finditer(question))
