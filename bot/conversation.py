"""Conversation: turn a follow-up question into one that stands on its own.

The deterministic method (used with the extractive backend, and whenever an LLM rewrite fails)
carries the clusters named in earlier turns into the question: "And how many members does it
have?" after a question about BioM becomes "And how many members does BioM have?"; "What about
bioPmed?" reuses the previous question with bioPmed in place of the cluster it named; "And how
much do they cost?" is asked together with the previous question it follows.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Message = dict[str, str]
FindEntities = Callable[[str], list[str]]

_PRONOUN = re.compile(r"\b(it|its|this cluster|that cluster|the cluster|there)\b", re.I)
_PLURAL_PRONOUN = re.compile(r"\b(they|their|them|these|those|this|that)\b", re.I)
_FOLLOW_UP_START = re.compile(r"^\s*(and|also|but|so|then|what about|how about|and what about)\b",
                              re.I)
_WHAT_ABOUT = re.compile(r"^\s*(and\s+)?(what|how)\s+about\b|^\s*and\s+(for\s+)?[A-Z]", re.I)


def recent_user_turns(history: list[Message] | None, max_turns: int) -> list[str]:
    """The user's questions of the last ``max_turns`` turns, oldest first."""
    turns = [m.get("content", "") for m in (history or []) if m.get("role") == "user"]
    return [t for t in turns[-max_turns:] if t.strip()] if max_turns > 0 else []


def is_follow_up(question: str) -> bool:
    """Whether a question leans on an earlier turn (pronouns, "and ...", "what about ...")."""
    return bool(_FOLLOW_UP_START.search(question) or _PRONOUN.search(question)
                or _PLURAL_PRONOUN.search(question) or len(question.split()) <= 4)


def rewrite_follow_up(question: str, history: list[Message] | None, find_entities: FindEntities,
                      max_turns: int = 4) -> str:
    """A standalone version of ``question`` given the conversation ``history``."""
    turns = recent_user_turns(history, max_turns)
    if not turns or not is_follow_up(question):
        return question
    named_now = find_entities(question)
    previous = turns[-1]
    if named_now:
        named_before = find_entities(previous)
        if _WHAT_ABOUT.search(question) and named_before:  # same question, other cluster
            rewritten = previous
            for old, new in zip(named_before, named_now + named_now[-1:] * len(named_before)):
                rewritten = re.sub(re.escape(old), new, rewritten, flags=re.I)
            if rewritten != previous:
                return rewritten
        return question
    entities: list[str] = []
    for turn in reversed(turns):
        entities = find_entities(turn)
        if entities:
            break
    if not entities or _PLURAL_PRONOUN.search(question) and not _PRONOUN.search(question):
        return f"{question} (following: {previous})"
    name = " and ".join(entities)
    rewritten, count = _PRONOUN.subn(lambda m: _possessive(m.group(0), name), question, count=1)
    return rewritten if count else f"{question} ({name})"


def _possessive(pronoun: str, name: str) -> str:
    if pronoun.lower() in ("its", "their"):
        return f"{name}'s"
    if pronoun.lower() == "there":
        return f"at {name}"
    return name
