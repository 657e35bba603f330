"""Questions that ask which organisations pass a bound ("which clusters got more than half
their income from public funding?", "clusters founded after 2012"): the series of a table whose
entries are organisations, named like what the question asks for, filtered by the bound the
question states (``Question.bound``); each value listed is cited.
"""

from __future__ import annotations

from ..language import DEFAULT_LANGUAGE, lexicon
from ..question import Question
from ..retrieval import Hit
from . import Answer
from .comparisons import Evidence, Scoring, dated_elsewhere, with_tables
from .tables import Series, best_series, table_series


def passing(scoring: Scoring, question: Question, hits: list[Hit]) -> Answer | None:
    """The organisations whose figure in the series named like what ``question`` asks for
    is within the bound it states, each value cited; None when it states no bound or no
    series of organisations fits."""
    bound = question.bound
    if bound is None:
        return None
    analysed = question.as_comparison
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

