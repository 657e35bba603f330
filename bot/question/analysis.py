"""Question analysis: a question and the conversation → a ``Question``, computed once.

Retrieval and every answerer read the ``Question``; none parses the text again. It holds the
standalone text (a follow-up resolved with the conversation), the organisations named and
whether the index knows them, the kind of fact asked, the attribute and its synonyms, the
period, whether the question compares, ranks or asks for a practice, and its parts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..conversation import is_follow_up, recent_user_turns, resolve_follow_up
from ..text import STOPWORDS, content_words, words
from .lexicon import Lexicon, load_lexicon, stem
from .names import (
    EntityIndex,
    generic_words,
    is_comparison,
    named_phrases,
    other_names,
    subject_question,
)

Message = dict[str, str]


@dataclass(frozen=True)
class Organisation:
    """An organisation a question names."""

    name: str  #: the index's name for it, or the name as written when the index has none
    written: str  #: how the question writes it
    known: bool  #: a cluster of the index's documents (their metadata or titles)
    mentioned: bool  #: the indexed text mentions it at all


@dataclass
class Ask:
    """What one part of a question asks, as the answerer scores sentences against it."""

    text: str
    kind: str | None
    focus: str
    terms: dict[str, frozenset[str]]
    wanted: frozenset[str]
    years: list[str]
    subjects: list[str]
    qualifier: str | None = None


@dataclass
class Question:
    """A question analysed once: what retrieval and answering need to know of it."""

    asked: str  #: as the user typed it
    text: str  #: standalone: a follow-up resolved with the conversation
    context: str | None  #: the previous question, when the follow-up needs it to be understood
    depends_on_history: bool
    organisations: list[Organisation]
    across: bool  #: asks across organisations (retrieval caps chunks per cluster)
    compares: bool  #: compares the organisations it names
    aggregates: bool  #: ranks organisations or table rows by a figure
    ranks_organisations: bool  #: a ranking of organisations ("which clusters ... most")
    superlative: str | None  #: "max" or "min" for a ranking
    practice: bool  #: asks how something was done or what works
    wants_target: bool  #: asks for a plan or target, not what is
    comparative_terms: list[str]
    ask: Ask  #: the whole question
    parts: list[Ask]  #: each part of a question that asks several things
    sides: dict[str, Ask] = field(default_factory=dict)  #: per organisation compared
    side_texts: dict[str, str] = field(default_factory=dict)
    language: str = "en"

    @property
    def search_text(self) -> str:
        """The text retrieval embeds: the standalone question with its context."""
        return f"{self.text} ({self.context})" if self.context else self.text

    @property
    def entities(self) -> list[str]:
        """Names of the organisations the index knows."""
        return [o.name for o in self.organisations if o.known]

    @property
    def others(self) -> list[str]:
        """Organisations a comparison names that the index does not know."""
        return [o.name for o in self.organisations if not o.known] if self.compares else []

    @property
    def absent(self) -> list[Organisation]:
        """Organisations the indexed text never mentions: nothing can be said about them."""
        return [o for o in self.organisations if not o.mentioned]

    def name_of(self, entity: str) -> str:
        """``entity`` as the question writes it."""
        return next((o.written for o in self.organisations if o.name == entity), entity)

    @property
    def compared(self) -> list[str]:
        """The organisations a comparison is asked of, as the index names them (four at most)."""
        return [o.name for o in self.organisations][:4]


class QuestionAnalyser:
    """Analyses questions against one index's organisations and one lexicon."""

    def __init__(self, entities: EntityIndex, lexicon: Lexicon | None = None):
        self.entities = entities
        self.lexicon = lexicon or load_lexicon()

    def analyse(self, asked: str, history: list[Message] | None = None, max_turns: int = 4,
                rewrite: Callable[[str, list[Message] | None], str] | None = None) -> Question:
        """The ``Question`` for ``asked`` in a conversation with ``history``. ``rewrite``
        (an LLM's standalone rewrite) replaces the rule-based one when given."""
        asked = " ".join(asked.split())
        depends = bool(recent_user_turns(history, max_turns)) and is_follow_up(asked)
        if rewrite is not None and depends:
            text, context = rewrite(asked, history), None
        else:
            text, context = resolve_follow_up(asked, history, self.entities.find, max_turns)
        return self.of_text(text, context, asked=asked, depends=depends)

    def of_text(self, text: str, context: str | None = None, asked: str | None = None,
                depends: bool = False) -> Question:
        """The ``Question`` for a standalone ``text`` (``context``: the previous question)."""
        lex = self.lexicon
        organisations = self._organisations(text)
        if not organisations and context:  # "and in 2023?" asks of what the turn before named
            organisations = [o for o in self._organisations(context) if o.known]
        names = [o.written for o in organisations]
        compares = is_comparison(text, names, lex)
        if not compares:  # names a comparison does not ask about stay out
            organisations = [o for o in organisations if o.known or not o.mentioned]
        aggregates = bool(lex.aggregates.search(text)) and len(organisations) < 2
        superlative = ("min" if lex.superlative_min.search(text) else
                       "max" if lex.superlative_max.search(text) else None)
        subjects = [o.name for o in organisations if o.known] or named_phrases(text, lex)
        comparatives = [term for rule, term in lex.comparatives if rule.search(text)]
        parts = self._parts(text)
        question = Question(
            asked=asked or text, text=text, context=context, depends_on_history=depends,
            organisations=organisations,
            across=len([o for o in organisations if o.known]) >= 2
            or bool(lex.across_organisations.search(text)) or aggregates,
            compares=compares, aggregates=aggregates,
            ranks_organisations=aggregates and not organisations
            and bool(lex.ranks_organisations.search(text)),
            superlative=superlative if aggregates or compares else None,
            practice=bool(lex.practice.search(text)),
            wants_target=bool(lex.target_question.search(text)),
            comparative_terms=comparatives,
            ask=self._ask(text, context, subjects, compared=compares),
            parts=[self._ask(p, context, subjects, compared=False) for p in parts])
        if question.compares:
            written = [o.written for o in organisations[:4]]
            for organisation in organisations[:4]:
                single = subject_question(text, organisation.written, written, lex)
                question.side_texts[organisation.name] = " ".join([single, *comparatives])
                question.sides[organisation.name] = self._ask(
                    single, context, [organisation.name], compared=True)
        return question

    def _organisations(self, text: str) -> list[Organisation]:
        """Known organisations named, then other names (with whether the text mentions them)."""
        found = self.entities.find(text)
        written = {e: self.entities.written(text, e) for e in found}
        known = [Organisation(e, written[e], True, True) for e in found]
        unknown = [Organisation(n, n, False, self.entities.is_mentioned(n))
                   for n in other_names(text, found, written, self.lexicon)
                   if not self.entities.find(n)]  # a misspelt known name is no other
        return known + [o for o in unknown if not o.mentioned or _proper_name(o.name)]

    def _parts(self, text: str) -> list[str]:
        """The parts of a question that asks several things; a part without words of its own
        ("and by whom?") stays with the part before it."""
        parts: list[str] = []
        for part in self.lexicon.question_part.split(text):
            meaningful = [w for w in content_words(part)
                          if stem(w) not in self.lexicon.question_words]
            if parts and not meaningful:
                parts[-1] = f"{parts[-1]} and {part}"
            else:
                parts.append(part.strip(" ,"))
        return parts

    def _ask(self, text: str, context: str | None, subjects: list[str],
             compared: bool) -> Ask:
        """What ``text`` asks: kind, focus, weighted terms, attribute, years and qualifier
        (``context`` adds words, not years or kinds)."""
        lex = self.lexicon
        own = [s for s in subjects if _names(text, s, lex)] or subjects
        focus = focus_text(f"{text} ({context})" if context else text, own, lex)
        if compared:
            focus = " ".join([focus, *(t for r, t in lex.comparatives if r.search(text))])
        named = {stem(w) for s in own for w in content_words(s)}
        terms = {stem(w): lex.group(w) for w in content_words(focus)
                 if stem(w) not in lex.question_words and not lex.comparing_words.match(w)}
        kind = compared_kind(text, lex) if compared else expected_kind(text, lex)
        attribute = asked_attribute(text, lex)
        if kind is None and attribute is None and (terse := terse_attribute(text, lex)):
            attribute, kind = terse, lex.noun_kinds[terse]
        wanted = lex.group(attribute) if attribute and stem(attribute) not in (
            lex.question_words | lex.kind_words | named) else frozenset()
        qualifier = _QUALIFIER.search(text)
        narrowed = stem(qualifier.group(1)) if qualifier else None
        # a comparison may narrow each side differently: its qualifier is no check
        return Ask(text, kind,
                   focus, terms, wanted, lex.years.findall(text), own,
                   narrowed if narrowed not in lex.question_words and not compared else None)


def _proper_name(name: str) -> bool:
    """A name that cannot be a common noun capitalised: several words, or an acronym."""
    return " " in name or any(c.isupper() for c in name[1:])


def _names(text: str, name: str, lexicon: Lexicon) -> bool:
    return any(w in words(text.lower()) for w in content_words(name)
               if w not in generic_words(lexicon))


#: A category the question narrows its attribute to: "the fee for a large company".
_QUALIFIER = re.compile(r"\b(?:for|of|to) (?:a|an) ([a-z][\w-]*) (?=[a-z])", re.I)
_ATTRIBUTE_OF = re.compile(
    r"^\s*(?:and\s+)?(?:what|who)\s+(?:is|was|are|were)\s+(?:the\s+|its\s+|their\s+)?"
    r"(?P<phrase>(?:[\w'’-]+\s+){0,3}?[\w'’-]+?)\s+(?=of|for|at|in|to|from|on|does|did|do|that|"
    r"\w+ed\b)", re.I)
_COUNTED = re.compile(r"\b(?:how many|more|most|fewer|fewest)\s+"
                      r"(?P<phrase>[\w'’-]+(?:\s+[\w'’-]+){0,2})", re.I)
_VERB_LIKE = re.compile(r"^(?:is|are|was|were|do|does|did|has|have|had|will|would|can|could|"
                        r"\w+ed)$", re.I)


def asked_attribute(question: str, lexicon: Lexicon | None = None) -> str | None:
    """The thing a question asks about, when its form names it: "fee" in "What is the annual
    fee of X?", "groups" in "How many working groups ...?"; None when the form does not tell."""
    lexicon = lexicon or load_lexicon()
    match = _ATTRIBUTE_OF.search(question)
    if match:
        found = content_words(match.group("phrase"))
        return found[-1] if found else None
    match = _COUNTED.search(question)
    if match:
        phrase: list[str] = []
        for word in words(match.group("phrase")):
            if _VERB_LIKE.match(word):
                break
            phrase.append(word)
        found = [w for w in phrase if w not in STOPWORDS and stem(w) not in lexicon.question_words]
        plural = [w for w in found if w.endswith("s") and not w.endswith("ss")]
        return plural[0] if plural else (found[:2] or [None])[-1]
    return None


def terse_attribute(question: str, lexicon: Lexicon) -> str | None:
    """The noun a terse question without a question word asks about ("staff" in "nordvik
    staff 2024?"), when the lexicon knows the kind of fact it names."""
    if lexicon.question_word.search(question):
        return None
    return next((w for w in words(question) if w in lexicon.noun_kinds), None)


def expected_kind(question: str, lexicon: Lexicon | None = None) -> str | None:
    """The kind of fact a question asks for: person, percent, count, money, year, date,
    duration, place or None. The kind asked first wins ("On what date ... the fee?": date)."""
    lexicon = lexicon or load_lexicon()
    found = [(match.start(), order, kind)
             for order, (kind, rule) in enumerate(lexicon.question_kinds)
             if (match := rule.search(question))]
    return min(found)[2] if found else None


def compared_kind(question: str, lexicon: Lexicon | None = None) -> str | None:
    """The kind of fact a comparison turns on: its question's kind, or the one its wording
    implies ("which depends more on ..." compares shares)."""
    lexicon = lexicon or load_lexicon()
    for kind, rule in lexicon.compared_kinds:
        if rule.search(question):
            return kind
    return expected_kind(question, lexicon)


def focus_text(question: str, subjects: list[str], lexicon: Lexicon | None = None) -> str:
    """The question without the names of the organisations it is about: what it asks of them."""
    generic = generic_words(lexicon or load_lexicon())
    focus = question
    for subject in subjects:
        focus = re.sub(re.escape(subject) + r"(?:['’]s\b)?", " ", focus, flags=re.I)
        for word in content_words(subject):
            if word not in generic:
                focus = re.sub(rf"\b{re.escape(word)}\b", " ", focus, flags=re.I)
    focus = " ".join(focus.split())
    return focus if len(content_words(focus)) >= 2 else question
