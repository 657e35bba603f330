"""Practices answered as practices: for "how did X ...?", "what worked / did not work?", the
passage's own account of what was done, then what it cost and what came of it.

The anchor is the sentence that tells an action (or, for what failed, a failure) in the
passage's language, nearly as good an answer as the best. The account is the anchor's
paragraph (from its first sentence, which often names the practice) and the sentences next
to it that label a part of the account ("Cost: ...", "Result: ...") or tell an action or
give a figure; it stops at a heading.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from ..injection import is_instruction
from ..keywords import TEXT_LANGUAGE
from ..language import DEFAULT_LANGUAGE
from ..question import Question
from ..question.vocabulary import NUMBER_WORDS, tells_action, tells_failure
from ..retrieval import Hit
from ..text import split_sentences
from .passages import MAX_LIST_ITEMS, Candidate

#: How many sentences before the one that best tells a practice may belong to its account
#: (what was done, then its cost, then its result).
_LOOKBACK = 2
#: A line of a passage that heads what follows ("Slide 9 – Targets 2025"): a few words, no
#: list item, no label ("Result: ..."), no sentence.
_HEADING = re.compile(r"^(?![-*•]\s)(?:[^\s:]+\s+){0,7}[^\s:]*[^\s.!?:;,)\]]$")
#: A line that labels a part of a practice's account ("Cost: EUR 900", "- result: 12 bids",
#: "**What we did:** ..."): a few words, then a colon; not an interview's "Q:" or "A:", not
#: a table row.
_LABELLED = re.compile(r"^(?!.* \| )(?:[-*•]\s+)?\**(?:[^\s:|]+\s+){0,3}[^\s:|]{2,}:\**\s")
#: How far into its paragraph a practice's best sentence may be for the account to start
#: at the paragraph's first sentence (which often names the practice).
_PARAGRAPH_OPENING = 3
#: The most words of a sentence that only names a practice ("Meet the Buyer.").
_NAME_WORDS = 5
#: The most sentences of a section quoted whole as the account of the practice it tells.
_SECTION_SENTENCES = 8
#: A list item: one practice of a list.
_LIST_ITEM = re.compile(r"^[-*•]\s|^\d+[.)]\s")
#: A figure: digits or a number word ("two days").
_FIGURE = re.compile(rf"\d|\b(?:{NUMBER_WORDS})\b", re.I)


def language_of(hit: Hit) -> str:
    """The language of a hit's text."""
    return str(hit.metadata.get(TEXT_LANGUAGE) or hit.metadata.get("language") or DEFAULT_LANGUAGE)


def practice(question: Question, candidates: list[Candidate], best: Candidate,
             hits: list[Hit], window: float) -> list[Candidate]:
    """A practice as its passage tells it: the sentence that says what was done (the best
    one nearly as good as the best answer that tells an action, else the best answer) and
    the account around it (``_account``): what was done, what it cost, what came of it. An
    action sentence scores at most ``window`` under the best answer."""
    # what did not work is told by failure words, in the sentence or the question it
    # answers ("Q: What did not work?")
    failing = question.failure
    tells = tells_failure if failing else _tells_practice
    # failure words are rare enough to pick the sentence on their own; action words
    # need the sentence to be nearly as good an answer as the best, and about as much about
    # what the question names (the practice, not a neighbour in the same passage)
    actions = [c for c in candidates
               if tells(f"{c.text} {c.context}", language_of(hits[c.hit_rank])) and c.dated
               and (c.about_entity or not question.entities)
               and (failing or c.score >= best.score - window and c.coverage >= best.coverage)]
    anchor = max(actions, key=lambda c: c.score) if actions else best
    sentences = _account(hits[anchor.hit_rank].text, anchor.text,
                         _telling(tells, language_of(hits[anchor.hit_rank])))
    if not sentences:  # the anchor is a piece made of several lines (a list with its lead)
        sentences = [anchor.text]
    return [anchor if text == anchor.text else replace(anchor, text=text, context="")
            for text in sentences]


def account_of(candidate: Candidate, hits: list[Hit]) -> str:
    """The account of the practice whose best sentence is ``candidate`` (a side of a
    comparison of practices), as one piece of text."""
    told = _account(hits[candidate.hit_rank].text, candidate.text,
                    _telling(_tells_practice, language_of(hits[candidate.hit_rank])))
    return " ".join(told) if told else candidate.text


def _telling(tells: Callable[[str, str], bool], language: str) -> Callable[[str], bool]:
    """Whether a sentence in ``language`` belongs next to an account: it ``tells`` what was
    done (or what failed), or gives a figure."""
    return lambda text: tells(text, language) or bool(_FIGURE.search(text))


def _tells_practice(text: str, language: str) -> bool:
    """Whether ``text`` tells what was done, or that it did not work: either is the account of
    a practice."""
    return tells_action(text, language) or tells_failure(text, language)


def _account(chunk_text: str, anchor: str, telling: Callable[[str], bool]) -> list[str]:
    """The sentences of ``chunk_text`` that tell the practice whose best sentence is
    ``anchor``: its paragraph, whole when it is short (it tells one practice) or from its
    first sentence (which often names the practice) when the anchor is among the first few;
    with up to two sentences before that and the sentences after it that label a part of
    the account ("Cost: ...") or tell an action or give a figure; never past a heading."""
    lines = [line.strip() for line in chunk_text.splitlines() if line.strip()]
    # a question is no account, nor is a label standing alone ("Result."), nor text that
    # addresses an assistant
    sentences = [(n, sentence) for n, line in enumerate(lines)
                 for sentence in split_sentences(line)
                 if not sentence.rstrip(" \"'’”").endswith("?") and len(sentence.split()) > 1
                 and not is_instruction(sentence)]
    # the anchor is a sentence, or a list item quoted with the line that leads to it
    at = next((i for i, (_, s) in enumerate(sentences) if anchor in s), None)
    if at is None:
        at = next((i for i, (_, s) in enumerate(sentences)
                   if s.rstrip(";.") in anchor and 2 * len(s) > len(anchor)), None)
    if at is None:
        return []
    line = sentences[at][0]
    paragraph = [i for i, (n, _) in enumerate(sentences) if n == line]

    def continues(i: int) -> bool:
        """Whether sentence ``i`` (next to the account) belongs to it."""
        n, text = sentences[i]
        return n == line or not _HEADING.match(lines[n]) and (
            bool(_LABELLED.match(lines[n])) or telling(text))

    def opens_another(i: int) -> bool:
        """Whether sentence ``i`` opens a line with a name alone ("Member survey."): the
        account of the next practice."""
        n, text = sentences[i]
        return (n != line and lines[n].startswith(text) and len(text.split()) <= _NAME_WORDS
                and not _LABELLED.match(lines[n]))

    section = _section(at, sentences, lines, opens_another)
    if section:
        return section
    start = paragraph[0] if (len(paragraph) <= MAX_LIST_ITEMS
                             or at - paragraph[0] < _PARAGRAPH_OPENING) else at
    first = start
    while first > 0 and start - first < _LOOKBACK and continues(first - 1):
        first -= 1
    last = max(at, paragraph[-1] if len(paragraph) <= MAX_LIST_ITEMS else at)
    while last + 1 < len(sentences) and continues(last + 1) and not opens_another(last + 1):
        last += 1
    return list(dict.fromkeys(s for _, s in sentences[first:last + 1]))[:MAX_LIST_ITEMS]


def _section(at: int, sentences: list[tuple[int, str]], lines: list[str],
             opens_another: Callable[[int], bool]) -> list[str]:
    """The sentences of the short section of a chunk that holds sentence ``at``, when it
    tells one practice: from the line that names it (a name alone: "Medtech Investor Day.";
    below a heading) or the chunk's start, to the next such line; none for a list item (one
    practice of a list) or a section longer than ``_SECTION_SENTENCES``."""
    line = sentences[at][0]
    if _LIST_ITEM.match(lines[line]) and not _HEADING.match(lines[line]):
        return []

    def names_one(i: int) -> bool:
        return bool(_HEADING.match(lines[sentences[i][0]])) or opens_another(i)

    first = next((i for i in range(at, -1, -1) if names_one(i)), 0)
    if first < len(sentences) - 1 and _HEADING.match(lines[sentences[first][0]]):
        first += 1  # a heading is no sentence of the account
    last = next((i - 1 for i in range(first + 1, len(sentences)) if names_one(i)),
                len(sentences) - 1)
    if not first <= last < first + _SECTION_SENTENCES:
        return []
    return list(dict.fromkeys(s for _, s in sentences[first:last + 1]))
