"""What the extractive answerer can quote from a passage, and the tests it puts a quote to:
the pieces of a chunk (sentences, list items, table cells), whether a piece holds the kind of
fact asked, names an organisation or counts the thing asked about."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..injection import is_instruction
from ..question.names import GENERIC_NAME_WORDS
from ..question.vocabulary import FACT_OF_KIND, NUMBER_WORDS, stem
from ..retrieval import Hit
from ..text import YEAR, content_words, split_sentences, words

_YEARS = re.compile(YEAR)
_PRONOUN = re.compile(r"\b(?:it|its|they|their|them|this|these|he|she|his|her)\b", re.I)
MAX_LIST_ITEMS = 6


def holds_kind(text: str, kind: str | None) -> bool:
    """Whether ``text`` holds a fact of the ``kind`` asked for (always true for no kind)."""
    return kind is None or bool(FACT_OF_KIND[kind].search(text))


def stems(text: str) -> set[str]:
    """The crude stems of the content words of ``text``."""
    return {stem(w) for w in content_words(text)}


def mentions(text: str, name: str) -> bool:
    """Whether ``text`` holds ``name`` as whole words."""
    return re.search(rf"\b{re.escape(name)}\b", text, re.I) is not None


def answer_units(chunk_text: str) -> list[tuple[str, str]]:
    """The pieces of a chunk an answer can quote, each with the text it depends on.

    Pieces are sentences, list items and table cells. A list item is quoted with the line that
    introduces it ("At that point the platform: gathered 690 ..."), and the whole short list is
    a piece too; a table row whose cells belong to different columns (``Founded | Bioib: 2010 |
    bioPmed: 2009``) gives one piece per cell, labelled with the row's name. A sentence with a
    pronoun depends on the sentence before it; the sentences after a question (an interview's
    "Q: What did not work?") depend on it, and the question itself is no piece.
    """
    lines = [line.strip() for line in chunk_text.splitlines() if line.strip()]
    units: list[tuple[str, str]] = []
    asked = ""  # the question the sentences answer, in an interview or a FAQ
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        cells = [c.strip() for c in line.split(" | ")]
        if len(cells) >= 3 and ":" not in cells[0] and all(":" in c for c in cells[1:]):
            units += [(f"{cells[0]} — {cell}", "") for cell in cells[1:]]
            continue
        if line.endswith(":") and i < len(lines) and lines[i].startswith("- "):
            lead_sentences = split_sentences(line.removeprefix("- "))
            lead = lead_sentences[-1] if lead_sentences else line
            units += [(s, "") for s in lead_sentences[:-1]]
            items: list[str] = []
            while i < len(lines) and lines[i].startswith("- "):
                items.append(lines[i][2:].rstrip(";."))
                i += 1
            units += [(f"{lead} {item}.", line) for item in items]
            if 1 < len(items) <= MAX_LIST_ITEMS:
                units.append((f"{lead} {'; '.join(items)}.", line))
            continue
        previous = ""
        for sentence in split_sentences(line):
            if sentence.rstrip(" \"'’”").endswith("?"):  # a question is no answer: its context
                asked = sentence
                continue
            context = previous if _PRONOUN.search(sentence) else ""
            units.append((sentence, f"{asked} {context}".strip()))
            previous = sentence
    return [(text, context) for text, context in units
            if len(text) >= 12 and len(text.split()) >= 3
            and not is_instruction(text)]  # text that addresses an assistant is no fact


def flagged_sources(hits: Sequence[Hit]) -> dict[str, list[int]]:
    """``{"instruction_like_sources": [n, ...]}``: the numbers of the sources whose chunk the
    index marked as holding text addressed to an assistant (nothing when there are none)."""
    flagged = [n for n, hit in enumerate(hits, start=1) if hit.metadata.get("instruction_like")]
    return {"instruction_like_sources": flagged} if flagged else {}


def belongs(text: str, hit: Hit, names: set[str], others: Sequence[str]) -> bool:
    """Whether a sentence of ``hit`` speaks of the organisation called ``names``: it names
    it, or it names none of the ``others`` compared and its document is about it."""
    if any(about(text, n) for n in names):
        return True
    if any(about(text, o) for o in others):
        return False
    document = f"{hit.metadata.get('title', '')} {hit.metadata.get('cluster', '')}"
    return any(about(document, n) for n in names)


def about(text: str, name: str) -> bool:
    """Whether ``text`` names ``name``, in full or by a distinctive word of it."""
    if mentions(text, name):
        return True
    distinctive = [w for w in content_words(name) if w not in GENERIC_NAME_WORDS and len(w) > 2]
    return bool(distinctive) and all(mentions(text, w) for w in distinctive)


def counts(text: str, wanted: frozenset[str]) -> bool:
    """Whether ``text`` puts a number right before the thing counted ("five working groups")
    or right after it, as in a table cell ("Members: 97"), or is a table row whose label names
    it and whose cells hold numbers ("Indicator: Members (total) | 2023: 118 | 2024: 131")."""
    found = words(text)

    def number(w: str) -> bool:
        return bool(re.fullmatch(rf"\d[\d,.]*|{NUMBER_WORDS}", w)) and not _YEARS.fullmatch(w)

    label, *cells = text.split(" | ")
    if cells and any(stem(w) in wanted for w in words(label.split(": ", 1)[-1])) and any(
            number(cell.rsplit(": ", 1)[-1].strip()) for cell in cells):
        return True
    return any(stem(word) in wanted and (any(map(number, found[max(0, i - 3):i]))
                                          or any(map(number, found[i + 1:i + 2])))
               for i, word in enumerate(found))


def cluster_of(hit: Hit) -> str:
    """The cluster a hit's document is about (its title or file when none is named)."""
    return str(hit.metadata.get("cluster") or hit.metadata.get("title") or hit.source)


def overlap(a: str, b: str) -> float:
    """The share of the shorter text's content words that the other one holds too."""
    wa, wb = set(content_words(a)), set(content_words(b))
    return len(wa & wb) / max(1, min(len(wa), len(wb)))


@dataclass
class Candidate:
    """A quotable piece of a hit (the ``position``-th of the ``hit_rank``-th hit, read with its
    ``context``) as the extractive answerer scored it for a part of a question."""

    text: str
    hit_rank: int
    position: int
    context: str = ""
    score: float = 0.0
    coverage: float = 0.0
    similarity: float = 0.0
    typed: bool = True
    about_entity: bool = False
    dated: bool = True
    has_attribute: bool = True
    subjects: set[str] = field(default_factory=set)
    features: dict[str, float] = field(default_factory=dict)
