"""What the extractive answerer reads from a question: its parts, the thing it asks about, the
kind of fact a comparison turns on, the organisations it is about and what it asks of them."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..language import DEFAULT_LANGUAGE, vocabulary
from ..text import STOPWORDS, content_words, words
from .names import GENERIC_NAME_WORDS, QUESTION_PART, named_phrases
from .vocabulary import (
    QUESTION_WORDS,
    comparative,
    concept_group,
    counted_rule,
    expected_kind,
    is_stopword,
    question_rules,
    stem,
)

#: Comparisons that name the kind of fact by their verb or adjective: "which relies more on EU
#: projects" compares shares, "which has more members" counts.
_COMPARED_KIND = [
    ("percent", re.compile(r"\b(?:depends?|depended|rel(?:y|ies|ied)|dependent|reliant)\b[^?]*"
                           r"\b(?:more|most|less|least)\b|\b(?:more|most|less|least)\s+"
                           r"(?:dependent|reliant)\b|\bhow important\b", re.I)),
    ("count", re.compile(r"\b(?:more|most|fewer|fewest|larger|largest|bigger|biggest)\s+"
                         r"(?:members|employees|staff|companies|organisations|partners)\b",
                         re.I)),
]


_ATTRIBUTE_OF = re.compile(
    r"^\s*(?:and\s+)?(?:what|who)\s+(?:is|was|are|were)\s+(?:the\s+|its\s+|their\s+)?"
    r"(?P<phrase>(?:[\w'’-]+\s+){0,3}?[\w'’-]+?)\s+(?=of|for|at|in|to|from|on|does|did|do|that|"
    r"\w+ed\b)", re.I)
_VERB_LIKE = re.compile(r"^(?:is|are|was|were|do|does|did|has|have|had|will|would|can|could|"
                        r"\w+ed)$", re.I)


#: A category the question narrows its attribute to: "the fee for a large company".
QUALIFIER = re.compile(r"\b(?:for|of|to) (?:a|an) ([a-z][\w-]*) (?=[a-z])", re.I)


def qualifier_words(question: str, language: str, named: set[str]) -> list[str]:
    """The words that narrow what a question asks to a category: "large" in "the fee for a
    large company", and whom or what a price is for ("student" in "limfjord student
    membership fee", "non-members" in "ticket price for non-members"); not the words of the
    organisations it names (their stems ``named``), years or words that qualify any price."""
    found = [match.group(1)] if (match := QUALIFIER.search(question)) else []
    noise = {w.lower() for w in vocabulary("price_words")}
    for rule in question_rules("priced_for", language):
        if match := rule.search(question):
            after = content_words(match.group("after") or "")
            found += content_words(match.group("before") or "") + after[:1 - len(after) or None]
    return list(dict.fromkeys(
        w for w in found if not w.isdigit() and w.lower() not in noise
        and stem(w) not in QUESTION_WORDS | named and not is_stopword(w, language)))


def asked_attribute(question: str, language: str = DEFAULT_LANGUAGE) -> str | None:
    """The thing a question asks about, when its form names it: "fee" in "What is the annual
    fee of X?", "groups" in "How many working groups ...?", "soci" in "Quanti soci ...?";
    None when the form does not tell."""
    match = _ATTRIBUTE_OF.search(question)
    if match:
        found = content_words(match.group("phrase"))
        return found[-1] if found else None
    counted = counted_rule(language)
    match = counted.search(question) if counted else None
    if match:
        phrase: list[str] = []
        for word in words(match.group("phrase")):
            if _VERB_LIKE.match(word):
                break
            phrase.append(word)
        found = [w for w in phrase if w not in STOPWORDS and stem(w) not in QUESTION_WORDS]
        # the counted noun: a plural ("working groups"), else a word the vocabulary knows
        # ("soci end of 2024"), else the first ("ppl came")
        plural = [w for w in found if w.endswith("s") and not w.endswith("ss")]
        known = [w for w in found if len(concept_group(w)) > 1]
        return (plural or known or found or [None])[0]
    return None


def compared_kind(question: str, language: str = DEFAULT_LANGUAGE) -> str | None:
    """The kind of fact a comparison turns on: its question's kind, or the one its wording
    implies ("which depends more on ..." compares shares); the "who" of "who has more ...?"
    asks which side, not for a person: a comparative with no other kind compares figures."""
    for kind, rule in _COMPARED_KIND:
        if rule.search(question):
            return kind
    kind = expected_kind(question, language)
    asks_more = comparative(question, language) is not None
    return "count" if asks_more and kind in (None, "person") else kind


def question_parts(question: str) -> list[str]:
    """The parts of a question that asks several things ("When ..., and how many ...?"); a
    part without words of its own ("and by whom?") stays with the part before it."""
    parts: list[str] = []
    for part in QUESTION_PART.split(question):
        meaningful = [w for w in content_words(part) if stem(w) not in QUESTION_WORDS]
        if parts and len(meaningful) < 1:
            parts[-1] = f"{parts[-1]} and {part}"
        else:
            parts.append(part.strip(" ,"))
    return parts


def question_subjects(question: str, entities: Sequence[str]) -> list[str]:
    """The organisations a question is about: the clusters the index knows it names, else the
    names it holds (an index need not know every organisation by its full name)."""
    return list(entities) or named_phrases(question)


def focus_text(question: str, entities: Sequence[str]) -> str:
    """The question without the names of the clusters it is about: what it asks of them."""
    focus = question
    for entity in entities:
        focus = re.sub(re.escape(entity) + r"(?:['’]s\b)?", " ", focus, flags=re.I)
        for word in content_words(entity):
            if word not in GENERIC_NAME_WORDS:
                focus = re.sub(rf"\b{re.escape(word)}\b", " ", focus, flags=re.I)
    focus = " ".join(focus.split())
    return focus if len(content_words(focus)) >= 2 else question
