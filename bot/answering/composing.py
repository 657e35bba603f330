"""Composing extractive answers: quoted candidates as attributed lines, and rankings.

Each line names the organisation and the document it quotes ("Sava Valley MedTech Cluster,
Membership fees 2025: ... [1]"). A ranking orders the figures of one table column or one list
when the question names its organisation, else each organisation's best passage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..question import Question, fold
from ..retrieval import Hit
from ..text import content_words
from .units import Unit, numeric_value

_TITLE_CHARS = 70


@dataclass
class Candidate:
    """A quotable piece of a hit with its features and probability."""

    unit: Unit
    hit_rank: int
    features: dict[str, float] = field(default_factory=dict)
    probability: float = 0.0
    about: bool = True  #: about the organisation asked (or none asked)
    dated: bool = True  #: holds every year the question names

    @property
    def text(self) -> str:
        """The quoted text."""
        return self.unit.text


def organisation_of(hit: Hit) -> str:
    cluster = str(hit.metadata.get("cluster") or "")
    return "" if cluster.lower() in ("", "multiple") else cluster


def short_title(hit: Hit, name: str = "") -> str:
    """The document's title without a leading organisation name, cut at a word."""
    title = str(hit.metadata.get("title") or hit.source)
    head, _, rest = title.partition(": ")
    if rest and fold(head) in {fold(name), fold(organisation_of(hit))}:
        title = rest[0].upper() + rest[1:]
    if len(title) > _TITLE_CHARS:
        title = title[:_TITLE_CHARS].rsplit(" ", 1)[0] + "…"
    return title


def label(hit: Hit) -> str:
    """Who and where a quote comes from: "Sava Valley MedTech Cluster, Membership fees"."""
    organisation = organisation_of(hit)
    title = short_title(hit, organisation)
    if not organisation or fold(organisation) in fold(title):
        return title
    return f"{organisation}, {title}"


def join_names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def overlap(a: str, b: str) -> float:
    wa, wb = set(content_words(a)), set(content_words(b))
    return len(wa & wb) / max(1, min(len(wa), len(wb)))



def same_list(candidate: Candidate, best: Candidate, hits: list[Hit]) -> bool:
    """Whether two candidates are cells of one table column or items of one list."""
    if hits[candidate.hit_rank].source != hits[best.hit_rank].source:
        return False
    if best.unit.column is not None:
        return candidate.unit.column == best.unit.column
    return candidate.hit_rank == best.hit_rank and candidate.unit.group == best.unit.group


def likelihood(group: list[Candidate]) -> float:
    """The probability that at least one candidate of ``group`` states what is asked."""
    return 1 - math.prod(1 - c.probability for c in group) if group else 0.0


def attributed(chosen: list[Candidate], hits: list[Hit]) -> str:
    """One line per document quoted, naming its organisation and title."""
    lines: dict[int, list[str]] = {}
    for candidate in chosen:
        source = next((r for r in lines if hits[r].source == hits[candidate.hit_rank].source),
                      candidate.hit_rank)
        lines.setdefault(source, []).append(f"{candidate.text} [{candidate.hit_rank + 1}]")
    rendered = [f"{label(hits[r])}: {' '.join(quotes)}" for r, quotes in lines.items()]
    return rendered[0] if len(rendered) == 1 else "\n".join(f"- {r}" for r in rendered)


def ranked_list(question: Question, candidates: list[Candidate], hits: list[Hit],
                threshold: float) -> tuple[str, Candidate] | None:
    """The items of the table column or list most likely to hold the answer, ordered by their
    figure, when the question names its organisation and the list likely answers it."""
    if question.ranks_organisations:
        return None
    lowest, kind, years = question.superlative == "min", question.ask.kind, question.ask.years
    lists = [[c for c in candidates if same_list(c, best, hits)
              and numeric_value(c.unit.value or c.text, kind, years) is not None]
             for best in candidates if best.unit.column or best.unit.group]
    group = max(lists, key=likelihood, default=[])
    if len(group) < 2 or likelihood(group) < threshold:
        return None
    group.sort(key=lambda c: numeric_value(c.unit.value or c.text, kind, years),
               reverse=not lowest)
    top, which = group[0], "lowest" if lowest else "highest"
    if top.unit.column is not None:
        head = (f"{label(hits[top.hit_rank])}: {top.unit.row} has the {which} "
                f"{top.unit.column}, {top.unit.value} [{top.hit_rank + 1}].")
        rest = [f"- {c.unit.row}: {c.unit.value} [{c.hit_rank + 1}]" for c in group[:5]]
    else:
        head = f"{label(hits[top.hit_rank])}, the {which}: {top.text} [{top.hit_rank + 1}]"
        rest = [f"- {c.text} [{c.hit_rank + 1}]" for c in group[1:5]]
    return "\n".join([head, *rest]), top


def ranked_organisations(question: Question, passing: list[Candidate],
                         hits: list[Hit]) -> tuple[str, Candidate] | None:
    """Each organisation's best passage, ordered by its figure (guides about many
    organisations rank none of them)."""
    lowest, kind, years = question.superlative == "min", question.ask.kind, question.ask.years
    best: dict[str, Candidate] = {}
    for candidate in passing:
        organisation = organisation_of(hits[candidate.hit_rank])
        if organisation:
            best.setdefault(organisation, candidate)
    if not best:
        return None
    ranked = sorted(best.items(), key=lambda item: (
        numeric_value(item[1].text, kind, years) is None,
        (1 if lowest else -1) * (numeric_value(item[1].text, kind, years) or 0)))[:4]
    text = "\n".join(f"- {name}: {c.text} [{c.hit_rank + 1}]" for name, c in ranked)
    return text, ranked[0][1]
