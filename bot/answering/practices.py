"""Practices answered as practices: for "how did X ...?", "what worked / did not work?", the
passage's own account of what was done, then what it cost and what came of it.

The anchor is the sentence that tells an action (or, for what failed, a failure) in the
passage's language, nearly as good an answer as the best; the account runs on through the
sentences next to it that tell an action or give a figure, and stops at a heading.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..keywords import TEXT_LANGUAGE
from ..language import DEFAULT_LANGUAGE
from ..question import Question
from ..question.vocabulary import NUMBER_WORDS, tells_action, tells_failure
from ..retrieval import Hit
from .passages import MAX_LIST_ITEMS, Candidate, answer_units, overlap

#: How many sentences before the one that best tells a practice may belong to its account
#: (what was done, then its cost, then its result).
_LOOKBACK = 2
#: A line of a passage that heads what follows ("Slide 9 – Targets 2025"): a few words, no
#: list item, no label ("Result: ..."), no sentence.
_HEADING = re.compile(r"^(?![-*•]\s)(?:[^\s:]+\s+){0,7}[^\s:]*[^\s.!?:;,)\]]$")
#: A figure: digits or a number word ("two days").
_FIGURE = re.compile(rf"\d|\b(?:{NUMBER_WORDS})\b", re.I)

def language_of(hit: Hit) -> str:
    """The language of a hit's text."""
    return str(hit.metadata.get(TEXT_LANGUAGE) or hit.metadata.get("language") or DEFAULT_LANGUAGE)


def practice(question: Question, candidates: list[Candidate], best: Candidate,
             hits: list[Hit], window: float) -> list[Candidate]:
    """A practice as its passage tells it: the sentence that says what was done (the best
    one nearly as good as the best answer that tells an action, else the best answer) and
    the sentences next to it in the same passage that tell what was done or give a
    figure: what it cost, what came of it. An action sentence scores at most ``window`` under
    the best answer."""
    # what did not work is told by failure words, in the sentence or the question it
    # answers ("Q: What did not work?")
    failing = question.failure
    tells = tells_failure if failing else tells_action
    # failure words are rare enough to pick the sentence on their own; action words
    # need the sentence to be nearly as good an answer as the best
    actions = [c for c in candidates
               if tells(f"{c.text} {c.context}", language_of(hits[c.hit_rank])) and c.dated
               and (c.about_entity or not question.entities)
               and (failing or c.score >= best.score - window)]
    anchor = max(actions, key=lambda c: c.score) if actions else best
    units = [text for text, _ in answer_units(hits[anchor.hit_rank].text)]
    language = language_of(hits[anchor.hit_rank])

    def telling(text: str) -> bool:
        return tells(text, language) or bool(_FIGURE.search(text))

    start = anchor.position
    while start > 0 and anchor.position - start < _LOOKBACK and telling(
            units[start - 1]):
        start -= 1
    block: list[Candidate] = []
    for position, text in enumerate(units[start:], start=start):
        if len(block) >= MAX_LIST_ITEMS or (position > anchor.position and (
                not telling(text) or _HEADING.match(text))):
            break
        if not any(overlap(text, c.text) > 0.6 for c in block):
            block.append(anchor if position == anchor.position
                         else replace(anchor, text=text, position=position, context=""))
    return block
