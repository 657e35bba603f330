"""Conversation: turn a follow-up question into one that stands on its own.

The deterministic method (used with the extractive backend, and whenever an LLM rewrite fails)
resolves what the follow-up points back to:

- a pronoun for the organisation becomes the cluster named before: "What was its budget?"
  after a question about BioM becomes "What was BioM's budget?";
- "him" or "her" becomes the person the previous answer named;
- "that meeting" becomes the meeting the previous question described ("CEBR's 2019 annual
  meeting");
- "What about bioPmed?" reuses the previous question with bioPmed in place of the cluster it
  named;
- a follow-up that only changes the year ("and in 2023?", "vs 2023?", "and the year before?")
  or flips the superlative ("and the most expensive one?" after "which cluster has the lowest
  fee?") reuses the previous question with that one change, naming each cluster as the index
  does ("the moncayo hydrogen cluster" becomes "Moncayo Hydrogen Cluster");
- "they", "them" or "those two" become the organisations of the previous turn: those its
  question named or, when it asked which cluster, the one cluster the answer's first line
  names; a follow-up so resolved that names no year is asked of the one year the previous
  question named ("what about their total income?" after "aurora team size 2024?");
- a follow-up that only names another audience ("and for non-members?", "what about for
  SMEs") reuses the previous question for it.

Whatever is left unresolved, or an "it" that may mean the thing the previous question asked
about ("What does X offer?" - "How much does it cost?"), is asked together with the previous
question, as "... (following: <previous question>)"; a question that names nothing at all is
treated the same way, since in a conversation it usually continues the topic.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from ..language import lexicons
from ..text import fold, words

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
#: A capitalised word after the first one: the question names something of its own.
_NAME_INSIDE = re.compile(r"(?<=\S)\s+[\w'’-]*[A-Z]")
#: Words that end a noun phrase read backwards from its noun ("at | its 2019 annual meeting").
_PHRASE_BOUNDARY = re.compile(r"^(?:a|an|the|at|in|on|of|for|to|by|with|from|about|and|or|"
                              r"did|does|do|is|was|were|are|has|have|had|what|which|who|when|"
                              r"where|how)$", re.I)
_OF_PHRASE = re.compile(r"^\s+(?:of|for)\s+(?:the\s+)?[\w'’-]+(?:\s+[A-Z][\w'’-]*)*(?:\s+"
                        r"project|\s+programme)?")
_ORGANISATION_WORDS = {"cluster", "network", "association", "council", "platform", "programme",
                       "project", "foundation", "university", "park", "agency", "group"}
_CITATION = re.compile(r"\[\d+\]")
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_WORD = re.compile(r"[\w'’-]+")


@cache
def _patterns(key: str) -> re.Pattern:
    """The ``follow_up`` phrases under ``key`` of every lexicon as one pattern, longest first."""
    phrases = {p for lex in lexicons().values() for p in lex.get("follow_up", {}).get(key, [])}
    return re.compile(r"\b(?:" + "|".join(sorted(phrases, key=len, reverse=True)) + r")\b", re.I)


#: Superlatives that are each other's opposite ("the most expensive" / "the lowest").
_OPPOSITES = (("highest", "lowest"), ("earliest", "latest"))


@cache
def _superlatives(direction: str) -> re.Pattern:
    """Every lexicon's words for ``direction`` (highest, lowest, earliest, latest)."""
    found = {p for lex in lexicons().values()
             for p in lex.get("superlatives", {}).get(direction, [])}
    return re.compile(r"\b(?:" + "|".join(sorted(found, key=len, reverse=True)) + r")\b", re.I)


@cache
def _asks_for_cluster() -> list[re.Pattern]:
    """Every lexicon's pattern of a question whose answer is a cluster."""
    return [re.compile(lex["asks_for_cluster"], re.I) for lex in lexicons().values()
            if "asks_for_cluster" in lex]


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
                or len(question.split()) <= 4 or not _NAME_INSIDE.search(question))


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
    """A standalone version of ``question`` given the conversation ``history``."""
    turns = recent_user_turns(history, max_turns)
    if not turns or not is_follow_up(question):
        return question
    named_now = find_entities(question)
    previous = turns[-1]
    changed = None if named_now else (_changed_year(question, previous, last_answer(history))
                                       or _flipped_superlative(question, previous)
                                       or _changed_audience(question, previous))
    if changed:
        return _with_index_names(changed, find_entities)
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
    if not find_entities(previous) and any(p.search(previous) for p in _asks_for_cluster()):
        answered = find_entities(last_answer(history).strip().split("\n")[0])
        entities = answered if len(answered) == 1 else entities  # the one cluster answered
    rewritten = _resolve_demonstratives(question, previous)
    person = person_named(last_answer(history), entities)
    if person:
        rewritten = _PERSON_PRONOUN.sub(lambda m: _person(m.group(0), person), rewritten)
    if entities:
        name = " and ".join(entities)
        rewritten = _patterns("others").sub(name, rewritten)
        rewritten = _POSSESSIVE.sub(lambda m: _possessive(m.group(0), name), rewritten)
        thing_asked = _ASKS_FOR_THING.search(previous) and _SUBJECT_IT.search(rewritten)
        rewritten = _SUBJECT_IT.sub(name, rewritten)
        if _mentions_all(rewritten, entities) and not _unresolved(rewritten) and not thing_asked:
            return _in_year_of(rewritten, previous)
    return f"{_as_question(rewritten)} (following: {previous})"


def _only_fillers(text: str) -> bool:
    """Whether ``text`` has no word left but the fillers of a short follow-up."""
    return not _patterns("filler").sub(" ", text).translate({ord(c): " " for c in "?!.,;:"}
                                                            ).strip()


def _changed_year(question: str, previous: str, answer: str = "") -> str | None:
    """``previous`` asked of another year, when ``question`` only changes the year ("and in
    2023?", "and the year before?": before the year ``previous`` names, else the latest its
    ``answer`` gives); None otherwise."""
    years = set(_YEAR.findall(previous))
    asked = _YEAR.findall(question)
    step = (-1 if _patterns("year_before").search(question)
            else 1 if _patterns("year_after").search(question) else 0)
    rest = _YEAR.sub(" ", _patterns("year_before").sub(" ", _patterns("year_after").sub(
        " ", question)))
    if len(asked) + abs(step) != 1 or not _only_fillers(rest) or len(years) > 1:
        return None
    if step:
        if years:
            return _YEAR.sub(str(int(years.pop()) + step), previous)
        answered = [int(y) for y in _YEAR.findall(answer)]
        if not answered:
            return None
        asked = [str(max(answered) + step)]
    if years:
        return _YEAR.sub(asked[0], previous)
    if _patterns("present").search(previous):
        return _patterns("present").sub(f"in {asked[0]}", previous, count=1)
    return re.sub(r"\s*([?.!]?)\s*$", rf" in {asked[0]}\1", previous, count=1)


def _changed_audience(question: str, previous: str) -> str | None:
    """``previous`` asked for another audience, when ``question`` only names one ("and for
    non-members?" after "the most expensive service for members?"): its own audience replaced,
    or the new one added; None otherwise."""
    audience = _patterns("audience").pattern
    asked = re.search(rf"{audience}\s+(?P<who>[^?.!]{{1,60}}?)\s*[?.!]?\s*$", question, re.I)
    if (not asked or not _only_fillers(question[:asked.start()]) or _YEAR.search(asked["who"])
            or _patterns("filler").match(asked["who"])):  # "and for which members?" asks
        return None
    new = asked.group(0).strip(" ?.!")
    # the audience of the previous question: its words up to a year, a preposition or the end
    old = re.search(rf"{audience}\s+(?:(?!in\b|at\b|of\b|on\b)[^\s?.!,]+\s*){{1,4}}",
                    previous, re.I)
    if old:
        rest = previous[old.end():].lstrip()
        space = "" if rest[:1] in ("", "?", ".", "!") else " "
        return f"{previous[:old.start()]}{new}{space}{rest}"
    return re.sub(r"\s*([?.!]?)\s*$", rf" {new}\1", previous, count=1)


def _in_year_of(question: str, previous: str) -> str:
    """``question`` asked of the one year ``previous`` names, when it names none itself: the
    conversation stays in its period ("aurora team size 2024?" - "what about their total
    income?" asks for 2024's)."""
    years = set(_YEAR.findall(previous))
    if _YEAR.search(question) or len(years) != 1:
        return question
    return re.sub(r"\s*([?.!]?)\s*$", rf" in {years.pop()}\1", question, count=1)


def _flipped_superlative(question: str, previous: str) -> str | None:
    """``previous`` with its superlative replaced by the one of ``question``, when
    ``question`` only flips it ("and the most expensive one?" after "... the lowest fee?")."""
    pairs = [(_superlatives(a), _superlatives(b)) for pair in _OPPOSITES
             for a, b in (pair, pair[::-1])]
    for asked, other in pairs:
        match = asked.search(question)
        if (match and not other.search(question) and other.search(previous)
                and not asked.search(previous) and _only_fillers(asked.sub(" ", question))):
            return other.sub(match.group(0), previous, count=1)
    return None


def _with_index_names(question: str, find_entities: FindEntities) -> str:
    """``question`` with each cluster written as the index names it: a word that names one
    cluster, with the words of its name around it, becomes its name."""
    spans: list[tuple[int, int, str]] = []
    tokens = list(_WORD.finditer(question))
    i = 0
    while i < len(tokens):
        found = find_entities(tokens[i].group(0))
        if len(found) != 1:
            i += 1
            continue
        name_words = set(words(fold(found[0])))
        start = end = i
        while start > 0 and fold(tokens[start - 1].group(0)) in name_words:
            start -= 1
        while end + 1 < len(tokens) and fold(tokens[end + 1].group(0)) in name_words:
            end += 1
        spans.append((tokens[start].start(), tokens[end].end(), found[0]))
        i = end + 1
    for begin, finish, name in reversed(spans):
        question = question[:begin] + name + question[finish:]
    return question


def _as_question(text: str) -> str:
    """``text`` ending with a question mark (or the punctuation it has)."""
    return text if re.search(r"[?.!]\s*$", text) else f"{text}?"


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
