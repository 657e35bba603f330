"""Questions that ask which organisations pass a bound ("which clusters got more than half
their income from public funding?", "clusters founded after 2012"): the series of a table whose
entries are organisations, named like what the question asks for, filtered by the bound the
question states. The relation words and the fractions ("half", "a quarter") are per language
in the lexicons (``thresholds``, ``fractions``); each value listed is cited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ..language import DEFAULT_LANGUAGE, lexicon
from ..retrieval import Hit, Query
from . import Answer
from .comparisons import Evidence, Scoring, dated_elsewhere, with_tables
from .tables import Series, best_series, parse_number, table_series
from .vocabulary import YEAR, stem

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


def passing(scoring: Scoring, question: str, query: Query, hits: list[Hit]) -> Answer | None:
    """The organisations whose figure in the series named like what ``question`` asks for
    is within the bound it states, each value cited; None when it states no bound or no
    series of organisations fits."""
    bound = threshold(question, query.language)
    if bound is None:
        return None
    analysed = scoring.analyse(question, query, True)
    records = with_tables(hits, scoring.documents)
    terms = {t: g for t, g in analysed.terms.items() if t not in bound.words}
    years = [y for y in analysed.years if y not in bound.words]  # "after 2012" dates nothing
    series = [s for s in table_series(records, years=bound.year)
              if _of_organisations(s) and not dated_elsewhere(s, records, years)]
    chosen = best_series(series, terms, years,
                         lambda v: not bound.share or "%" in v)
    if chosen is None:
        return None
    passed = [e for e in chosen.entries if bound.passes(e.cell.number)]
    head = f"{chosen.name}, {bound.phrase}: {_written(len(passed))} of {len(chosen.entries)}"
    lines = [head, *(f"- {e.label}: {e.cell.value} [{e.hit_rank + 1}]" for e in passed)]
    return scoring.answer("\n".join(lines), records, Evidence())


def _written(count: int) -> str:
    """``count`` in words ("five"), as the English lexicon's number words write one to
    twelve (the answer's own words are English)."""
    spelled = lexicon(DEFAULT_LANGUAGE).get("number_words", [])[:12]
    word = spelled[count - 1] if 0 < count <= len(spelled) else ""
    return word if word.isalpha() else str(count)


def _of_organisations(series: Series) -> bool:
    """Whether the entries of ``series`` are organisations: a row of a table whose columns
    are the organisations of a document about several."""
    return series.across and (not series.cluster or series.cluster == "multiple"
                              or ";" in series.cluster)

