"""Conversation: turn a follow-up question into one that stands on its own.

The deterministic method (used with the extractive backend, and whenever an LLM rewrite fails)
resolves what the follow-up points back to:

- a pronoun for the organisation becomes the cluster named before: "What was its budget?"
  after a question about BioM becomes "What was BioM's budget?";
- "him" or "her" becomes the person the previous answer named;
- "that meeting" becomes the meeting the previous question described ("CEBR's 2019 annual
  meeting");
- "What about bioPmed?" reuses the previous question with bioPmed in place of the cluster it
  named.

Whatever is left unresolved, or an "it" that may mean the thing the previous question asked
about ("What does X offer?" - "How much does it cost?"), is asked together with the previous
question. A question with no pronoun, no "and ..."/"what about ..." opening, more than four
words and either a name of its own or no definite "the ..." stands on its own and is not
rewritten ("Which services do members value most?").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .question.lexicon import load_lexicon

Message = dict[str, str]
FindEntities = Callable[[str], list[str]]

_CITATION = re.compile(r"\[\d+\]")


def _p(name: str) -> re.Pattern[str]:
    """A conversation pattern of the lexicon (``conversation:`` in ``lexicon/en.yaml``)."""
    return load_lexicon().conversation[name]


def recent_user_turns(history: list[Message] | None, max_turns: int) -> list[str]:
    """The user's questions of the last ``max_turns`` turns, oldest first."""
    turns = [m.get("content", "") for m in (history or []) if m.get("role") == "user"]
    return [t for t in turns[-max_turns:] if t.strip()] if max_turns > 0 else []


def last_answer(history: list[Message] | None) -> str:
    """The assistant's last answer, without citation markers."""
    answers = [m.get("content", "") for m in (history or []) if m.get("role") == "assistant"]
    return _CITATION.sub("", answers[-1]) if answers else ""


def is_follow_up(question: str) -> bool:
    """Whether a question leans on an earlier turn (pronouns, "and ...", "what about ...")."""
    return bool(_p("follow_up_start").search(question) or _p("pronoun").search(question)
                or _p("plural_pronoun").search(question) or _p("person_pronoun").search(question)
                or len(question.split()) <= 4
                or (not _p("name_inside").search(question) and _p("definite").search(question)))


def person_named(answer: str, entities: list[str]) -> str | None:
    """The first person's name in an answer: capitalised words that are no organisation."""
    for match in _p("person_name").finditer(answer):
        name = match.group(0)
        lowered = {w.lower() for w in re.split(r"[ -]", name)}
        organisation = lowered & load_lexicon().organisation_words
        if organisation or any(name in e or e in name for e in entities):
            continue
        if name.split()[0].lower() in {"the", "in", "at", "on", "from", "since", "and"}:
            continue
        return name
    return None


def described_phrase(noun: str, previous: str) -> str | None:
    """The phrase of ``previous`` that names ``noun``: "its 2019 annual meeting" for "meeting"
    in "Who was re-elected to lead CEBR at its 2019 annual meeting?"."""
    match = re.search(rf"\b{re.escape(noun)}s?\b", previous, re.I)
    if not match:
        return None
    before = previous[: match.start()].split()
    phrase: list[str] = []
    while before and not _p("phrase_boundary").match(before[-1]) and len(phrase) < 4:
        phrase.insert(0, before.pop())
    tail = _p("of_phrase").match(previous[match.end():])
    determiner = "" if phrase and phrase[0].lower() in ("its", "their") else "the "
    return determiner + " ".join([*phrase, match.group(0)]) + (tail.group(0) if tail else "")


def rewrite_follow_up(question: str, history: list[Message] | None, find_entities: FindEntities,
                      max_turns: int = 4) -> str:
    """A standalone version of ``question`` given the conversation ``history``, as one text
    (an unresolved follow-up ends with "(following: <previous question>)")."""
    text, previous = resolve_follow_up(question, history, find_entities, max_turns)
    return f"{text} (following: {previous})" if previous else text


def resolve_follow_up(question: str, history: list[Message] | None, find_entities: FindEntities,
                      max_turns: int = 4) -> tuple[str, str | None]:
    """``question`` made standalone with the conversation ``history``, and the previous
    question when the follow-up can only be understood together with it (else None)."""
    turns = recent_user_turns(history, max_turns)
    if not turns or not is_follow_up(question):
        return question, None
    named_now = find_entities(question)
    previous = turns[-1]
    if named_now:
        named_before = find_entities(previous)
        if _p("what_about").search(question) and named_before:  # same question, other cluster
            rewritten = previous
            for old, new in zip(named_before, named_now + named_now[-1:] * len(named_before)):
                rewritten = re.sub(re.escape(old), new, rewritten, flags=re.I)
            if rewritten != previous:
                return rewritten, None
        return question, None
    entities: list[str] = []
    for turn in reversed(turns):
        entities = find_entities(turn)
        if entities:
            break
    rewritten = _resolve_demonstratives(question, previous)
    person = person_named(last_answer(history), entities)
    if person:
        rewritten = _p("person_pronoun").sub(lambda m: _person(m.group(0), person), rewritten)
    if entities:
        name = " and ".join(entities)
        rewritten = _p("possessive").sub(lambda m: _possessive(m.group(0), name), rewritten)
        thing_asked = _p("asks_for_thing").search(previous) and _p("subject_it").search(rewritten)
        rewritten = _p("subject_it").sub(name, rewritten)
        if _mentions_all(rewritten, entities) and not _unresolved(rewritten) and not thing_asked:
            return rewritten, None
    return rewritten, previous


def _resolve_demonstratives(question: str, previous: str) -> str:
    """``question`` with "that X" replaced by the phrase of ``previous`` that describes X."""
    def replace(match: re.Match[str]) -> str:
        phrase = described_phrase(match.group(1), previous)
        return phrase if phrase else match.group(0)

    return _p("demonstrative").sub(replace, question)


def _unresolved(question: str) -> bool:
    """Whether pronouns are left that only the previous question can explain."""
    return bool(re.search(r"\b(it|they|them|these|those|this|that|he|she|him|her)\b", question,
                          re.I))


def _mentions_all(text: str, names: list[str]) -> bool:
    return all(re.search(re.escape(n), text, re.I) for n in names)


def _person(pronoun: str, name: str) -> str:
    return f"{name}'s" if pronoun.lower() == "his" else name


def _possessive(pronoun: str, name: str) -> str:
    if pronoun.lower() in ("its", "their"):
        return f"{name}'s"
    if pronoun.lower() == "there":
        return f"at {name}"
    return name
