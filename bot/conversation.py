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

Message = dict[str, str]
FindEntities = Callable[[str], list[str]]

_PRONOUN = re.compile(r"\b(it|its|this cluster|that cluster|the cluster|there)\b", re.I)
_PLURAL_PRONOUN = re.compile(r"\b(they|their|them|these|those|this|that)\b", re.I)
_POSSESSIVE = re.compile(r"\b(its|their|this cluster|that cluster|the cluster|there)\b", re.I)
_SUBJECT_IT = re.compile(r"\bit\b", re.I)
#: A question whose answer is a thing ("What does X offer?"): a later "it" may mean that thing.
_ASKS_FOR_THING = re.compile(r"^\s*(?:and\s+)?(?:what|which)\b", re.I)
_PERSON_PRONOUN = re.compile(r"\b(he|she|him|her|his)\b", re.I)
_DEMONSTRATIVE = re.compile(r"\b(?:that|this|the same)\s+([a-z][\w-]*)\b", re.I)
_FOLLOW_UP_START = re.compile(r"^\s*(and|also|but|so|then|what about|how about|and what about)\b",
                              re.I)
_WHAT_ABOUT = re.compile(r"^\s*(and\s+)?(what|how)\s+about\b|^\s*and\s+(for\s+)?[A-Z]", re.I)
#: A person's name: two to four capitalised words ("Horst Domdey", "Ralf Huss").
_PERSON_NAME = re.compile(r"\b[A-Z][a-zà-ÿ]+(?:[ -][A-Z][a-zà-ÿ]+){1,3}\b")
#: Words that end a noun phrase read backwards from its noun ("at | its 2019 annual meeting").
_PHRASE_BOUNDARY = re.compile(r"^(?:a|an|the|at|in|on|of|for|to|by|with|from|about|and|or|"
                              r"did|does|do|is|was|were|are|has|have|had|what|which|who|when|"
                              r"where|how)$", re.I)
_OF_PHRASE = re.compile(r"^\s+(?:of|for)\s+(?:the\s+)?[\w'’-]+(?:\s+[A-Z][\w'’-]*)*(?:\s+"
                        r"project|\s+programme)?")
_ORGANISATION_WORDS = {"cluster", "network", "association", "council", "platform", "programme",
                       "project", "foundation", "university", "park", "agency", "group"}
_CITATION = re.compile(r"\[\d+\]")
#: A capitalised word after the first one: the question names something of its own.
_NAME_INSIDE = re.compile(r"(?<=\S)\s+[\w'’-]*[A-Z]")
#: "the organisers": a definite thing the conversation must have introduced.
_DEFINITE = re.compile(r"\bthe\s+[a-z]")


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
    return bool(_FOLLOW_UP_START.search(question) or _PRONOUN.search(question)
                or _PLURAL_PRONOUN.search(question) or _PERSON_PRONOUN.search(question)
                or len(question.split()) <= 4
                or (not _NAME_INSIDE.search(question) and _DEFINITE.search(question)))


def person_named(answer: str, entities: list[str]) -> str | None:
    """The first person's name in an answer: capitalised words that are no organisation."""
    for match in _PERSON_NAME.finditer(answer):
        name = match.group(0)
        lowered = {w.lower() for w in re.split(r"[ -]", name)}
        if lowered & _ORGANISATION_WORDS or any(name in e or e in name for e in entities):
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
    while before and not _PHRASE_BOUNDARY.match(before[-1]) and len(phrase) < 4:
        phrase.insert(0, before.pop())
    tail = _OF_PHRASE.match(previous[match.end():])
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
        if _WHAT_ABOUT.search(question) and named_before:  # same question, other cluster
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
        rewritten = _PERSON_PRONOUN.sub(lambda m: _person(m.group(0), person), rewritten)
    if entities:
        name = " and ".join(entities)
        rewritten = _POSSESSIVE.sub(lambda m: _possessive(m.group(0), name), rewritten)
        thing_asked = _ASKS_FOR_THING.search(previous) and _SUBJECT_IT.search(rewritten)
        rewritten = _SUBJECT_IT.sub(name, rewritten)
        if _mentions_all(rewritten, entities) and not _unresolved(rewritten) and not thing_asked:
            return rewritten, None
    return rewritten, previous


def _resolve_demonstratives(question: str, previous: str) -> str:
    """``question`` with "that X" replaced by the phrase of ``previous`` that describes X."""
    def replace(match: re.Match[str]) -> str:
        phrase = described_phrase(match.group(1), previous)
        return phrase if phrase else match.group(0)

    return _DEMONSTRATIVE.sub(replace, question)


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
