"""The bound a question puts on a figure ("more than half", "founded after 2012"): the
relation words and the fractions ("half", "a quarter") are per language in the lexicons
(``thresholds``, ``fractions``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ..language import DEFAULT_LANGUAGE, lexicon
from ..text import YEAR, parse_number
from .vocabulary import stem

_PASSES = {"above": lambda v, b: v > b, "at_least": lambda v, b: v >= b,
           "below": lambda v, b: v < b, "at_most": lambda v, b: v <= b}


@dataclass(frozen=True)
class Threshold:
    """A bound a question puts on a figure: the relation, the bound, whether the bound is a
    share (written as a fraction or a percentage) or a year, and the words that state it
    (as written, and their stems)."""

    relation: str
    bound: float
    share: bool
    year: bool
    phrase: str
    words: frozenset[str]

    def passes(self, value: float) -> bool:
        """Whether ``value`` is within the bound."""
        return _PASSES[self.relation](value, self.bound)


@cache
def _rules(language: str) -> tuple[tuple[str, re.Pattern], ...]:
    codes = dict.fromkeys([language, DEFAULT_LANGUAGE])
    fractions = {w: v for c in codes for w, v in lexicon(c).get("fractions", {}).items()}
    bound = "|".join([*(re.escape(w) for w in sorted(fractions, key=len, reverse=True)),
                      r"\d[\d.,]*\s*%?"])
    return tuple((relation, re.compile(
        rf"(?<!\w)(?:{'|'.join(words)})(?!\w)\s+(?:[^\W\d]{{1,5}}\s+)?(?P<bound>{bound})",
        re.I)) for c in codes
        for relation, words in lexicon(c).get("thresholds", {}).items() if words)


@cache
def _fractions(language: str) -> dict[str, float]:
    codes = dict.fromkeys([language, DEFAULT_LANGUAGE])
    return {w.lower(): float(v) for c in codes
            for w, v in lexicon(c).get("fractions", {}).items()}


def threshold(question: str, language: str = DEFAULT_LANGUAGE) -> Threshold | None:
    """The bound ``question`` states ("more than half": above 50, a share; "after 2012":
    above 2012, a year), or None."""
    for relation, rule in _rules(language):
        match = rule.search(question)
        if not match:
            continue
        written = match.group("bound")
        fraction = _fractions(language).get(written.lower())
        year = re.fullmatch(YEAR, written.strip()) is not None
        number = fraction if fraction is not None else (
            float(written) if year else parse_number(written))
        if number is None:
            continue
        words = frozenset(stem(w) for w in re.findall(r"\w+", match.group(0)))
        return Threshold(relation, number, fraction is not None or "%" in written, year,
                         match.group(0).strip(), words)
    return None
