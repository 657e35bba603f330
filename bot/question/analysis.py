"""Question analysis: a question read once, into a ``Question`` that retrieval and every
answerer take as it is.

``QuestionAnalyser.analyse(question, history)`` makes a follow-up standalone, then finds the
organisations it names (resolved against the index's own clusters, title aliases and close
spellings), the names the index does not know, its language, the kind of fact each of its
parts asks for, the thing asked about and its synonyms, the years, whether it compares,
ranks, asks for clusters or for a practice (or what failed), and its vector.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..language import DEFAULT_LANGUAGE, detect
from ..organisations import closes_name
from ..text import content_words, fold, words
from .bounds import Threshold, threshold
from .followups import Message, rewrite_follow_up
from .names import (
    MIN_TYPO_LENGTH,
    EntityMatcher,
    comparative_terms,
    is_comparison,
    named_phrases,
    other_names,
    subject_question,
    title_aliases,
)
from .parts import asked_attribute, compared_kind, focus_text, qualifier_words, question_parts
from .vocabulary import (
    KIND_WORDS,
    QUESTION_WORDS,
    YEAR,
    Superlative,
    asks_failure,
    asks_for_clusters,
    asks_practice,
    comparative,
    comparative_words,
    concept_group,
    expected_kind,
    fact_noun,
    is_stopword,
    stem,
    superlative,
    synonym_group,
)

if TYPE_CHECKING:  # langchain_core is slow to import: only for annotations here
    from langchain_core.embeddings import Embeddings

    from ..store import IndexStore

#: Questions across clusters: retrieval caps the chunks per cluster.
_ACROSS_CLUSTERS = re.compile(r"\b(compare|comparison|differ|difference|differences|versus|"
                              r"vs\.?|other clusters|each of|both|between|which (cluster|one) "
                              r"(is|has))\b", re.I)
#: Words that ask to compare: no fact of their own ("compare" is no "company").
_COMPARING = re.compile(r"^(?:compar\w*|differ\w*|versus|vs|each|both|between)$", re.I)
_YEARS = re.compile(YEAR)
#: What a rewritten follow-up appends: the question it follows, as context.
FOLLOWING = " (following:"

#: rewrite(question, history) -> the question made standalone
Rewrite = Callable[[str, "list[Message] | None"], str]


@dataclass(frozen=True)
class Part:
    """What one part of a question asks ("When ..., and how many ...?" has two parts)."""

    text: str
    #: the kind of fact asked for ("count", "money", "year", "person", ...), or None
    kind: str | None
    #: the part without the names of the organisations it is about: what it asks of them
    focus: str
    #: each content word's stem and its synonyms
    terms: dict[str, frozenset[str]]
    #: the thing asked about, in every language ("fee": "Beitrag", "quota", ...)
    wanted: frozenset[str]
    years: list[str]
    subjects: list[str]
    #: the stems of a category the part narrows its attribute to ("large" in "the fee for a
    #: large company", "student" in "student membership fee"): an answer in the part's
    #: ``language`` names one of them
    qualifier: frozenset[str] = frozenset()
    practice: bool = False
    #: whether its answer is one or more clusters ("Which clusters ...?")
    across: bool = False
    #: what a terse question names by a noun alone ("salary" in "X manager salary"): the
    #: passage that answers it (its text, title or headings) speaks of it, in any language
    topic: frozenset[str] = frozenset()
    #: the language the part is asked in
    language: str = DEFAULT_LANGUAGE


def analyse_part(text: str, entities: list[str], language: str, compared: bool) -> Part:
    """The kind, focus, weighted terms, asked attribute, years and subjects of ``text``
    (after ``FOLLOWING`` comes context: it adds words, not years or kinds); ``compared``
    reads it as a comparison, whose kind may lie in its verb ("relies more on")."""
    main = text.split(FOLLOWING)[0]
    subjects = list(entities) or named_phrases(main) or named_phrases(text)
    focus = focus_text(text.replace(FOLLOWING, " ("), subjects)
    if compared:
        focus = " ".join([focus, *comparative_terms(main)])
    named = {stem(w) for s in subjects for w in content_words(s)}
    terms = {stem(w): synonym_group(w) for w in content_words(focus)
             if stem(w) not in QUESTION_WORDS and not _COMPARING.match(w)
             and not is_stopword(w, language)}
    attribute = asked_attribute(main, language)
    wanted = concept_group(attribute) if attribute and stem(attribute) not in (
        QUESTION_WORDS | KIND_WORDS | named) else frozenset()
    narrowed = frozenset().union(*(_category_stems(w)
                                   for w in qualifier_words(main, language, named)))
    # a comparison may narrow each side differently ("the fee for a small company at A with
    # the SME fee at B"): its qualifier ranks sentences by coverage, not as a check
    kind = compared_kind(main, language) if compared else expected_kind(main, language)
    practice = _asks_practice(main, language)
    # a terse question names the fact it asks for by a noun alone ("X salary"): a passage
    # that answers it speaks of that (not in a practice: "how did X raise fee income?" asks
    # for the account)
    noun = None if kind or compared or practice else fact_noun(main, language)
    return Part(main, kind, focus, terms, wanted, _YEARS.findall(main), subjects,
                frozenset() if compared else narrowed,
                practice, asks_for_clusters(main, language),
                concept_group(noun, language) if noun else frozenset(), language)


def _category_stems(word: str) -> frozenset[str]:
    """The stems a category word is written with: a compound's first word too, when it is a
    word of its own ("medium-sized": a "Medium company"; not "non-" of "non-members")."""
    head = word.split("-")[0]
    return synonym_group(word) | (synonym_group(head) if "-" in word and len(head) >= 4
                                  else frozenset())


def _asks_practice(text: str, language: str) -> bool:
    """Whether ``text`` asks how something was done, or what went wrong with it: both are
    answered by the account of a practice."""
    return asks_practice(text, language) or asks_failure(text, language)


@dataclass
class Question:
    """A question as analysed once: what retrieval and the answerers read of it."""

    #: the question standing on its own (a follow-up rewritten, with its context)
    text: str
    vector: list[float]
    #: the index's clusters it names, in order of mention
    entities: list[str] = field(default_factory=list)
    #: whether it asks across clusters (retrieval then caps the passages per cluster)
    comparison: bool = False
    #: how the question writes each entity, where it uses another name ("Hellenic BioCluster")
    written: dict[str, str] = field(default_factory=dict)
    #: other organisations a comparison names, unknown to the index
    others: list[str] = field(default_factory=list)
    #: whether it compares the organisations it names
    compares: bool = False
    #: its language (ISO 639-1), detected; English for a question without letters
    language: str = DEFAULT_LANGUAGE
    #: names it gives that may be organisations the index does not know
    unknown: list[str] = field(default_factory=list)
    #: whether it ranks the clusters ("which cluster has the most members?")
    ranks: bool = False
    #: the question as the user typed it, and whether it depends on the conversation (it was
    #: rewritten to stand on its own)
    asked: str = ""
    follows: bool = False
    #: the organisations it is about: those named, else the names it writes in capitals
    subjects: list[str] = field(default_factory=list)
    #: the superlative, change or total it asks for ("the highest fee"), or None
    ranking: Superlative | None = None
    #: whether it asks how something is or was done, and whether what did not work
    practice: bool = False
    failure: bool = False
    #: whether its answer is one or more clusters ("Which clusters ...?")
    for_clusters: bool = False
    #: each part it asks, read as a plain question
    parts: tuple[Part, ...] = ()
    #: the whole of it read as one plain question
    whole: Part | None = None
    #: the whole of it read as a comparison
    as_comparison: Part | None = None
    #: whether it asks which side has the higher (True) or lower (False) figure, or neither
    higher: bool | None = None
    #: the stems of its words that ask which side has more: they name no figure
    comparing_words: frozenset[str] = frozenset()
    #: the bound it puts on a figure ("more than half"), or None
    bound: Threshold | None = None

    @property
    def main(self) -> str:
        """The question without the context a follow-up's rewrite appends."""
        return self.text.split(FOLLOWING)[0]

    def name_of(self, entity: str) -> str:
        """``entity`` as the question writes it."""
        return self.written.get(entity, entity)

    def about(self, subject: str, names: list[str]) -> Question:
        """The question asked of ``subject`` alone (written as ``self.name_of(subject)``): the
        other organisations compared, in ``names``, left out, each part analysed again."""
        name = self.name_of(subject)
        text = subject_question(self.main, name, names) + self.text[len(self.main):]
        entities = [subject] if subject in self.entities else []
        return _analysed(replace(self, text=text, entities=entities, comparison=False,
                                 compares=False, others=[], subjects=[subject]))


def _analysed(question: Question) -> Question:
    """``question`` with its parts and its reading as a comparison filled in."""
    entities, language = question.entities, question.language
    whole = analyse_part(question.text, entities, language, compared=False)
    texts = question_parts(question.main)
    parts = (whole,) if len(texts) == 1 else tuple(
        analyse_part(text, entities, language, compared=False) for text in texts)
    compared = analyse_part(question.text, entities, language, compared=True)
    return replace(question, parts=parts, whole=whole, as_comparison=compared)


class QuestionAnalyser:
    """Reads questions against one index: its clusters, their other names and its words."""

    def __init__(self, store: IndexStore, embeddings: Embeddings):
        self.store = store
        self.embeddings = embeddings
        records = store.manifest.files.values()
        clusters = [r.metadata.get("cluster", "") for r in records]
        aliases = {alias: r.metadata["cluster"] for r in records if r.metadata.get("cluster")
                   for alias in title_aliases(r.metadata["cluster"], r.title)}
        # the short forms documents define for clusters of the index ("CEL")
        known = {fold(c): c for c in clusters if c}
        aliases.update({short: known[fold(name)] for r in records
                        for short, name in (r.metadata.get("short_forms") or {}).items()
                        if fold(name) in known and short not in aliases})
        self.entities = EntityMatcher(clusters, aliases, [
            (str(r.metadata.get("cluster") or ""), r.title) for r in records])

    def analyse(self, question: str, history: list[Message] | None = None,
                rewrite: Rewrite | None = None, max_turns: int = 3) -> Question:
        """``question`` read once: made standalone with ``history`` (by ``rewrite``, or by
        resolving what it points back to), then analysed."""
        standalone = (rewrite(question, history) if rewrite is not None else
                      rewrite_follow_up(question, history, self.entities.find, max_turns))
        return replace(self.read(standalone), asked=question, follows=standalone != question)

    def read(self, text: str) -> Question:
        """The analysis of a question that stands on its own (its typos mended)."""
        language = detect(text)
        asked, text = text, self._mended(text, language)
        unheard = self._unheard_of(text, language)
        entities = self.entities.find(text, frozenset(fold(w) for w in unheard))
        written = {e: name for e in entities if (name := self.entities.written(text, e)) != e}
        main = text.split(FOLLOWING)[0]
        others, unknown = ([name for name in other_names(text, entities, written, language,
                                                         single_words)
                            if not self.entities.find(name)] for single_words in (False, True))
        named = {w for name in unknown for w in words(fold(name))}
        unknown += [w for w in unheard if fold(w) not in named]
        compares = is_comparison(main, [written.get(e, e) for e in entities] + others)
        others = others if compares else []
        ranking = superlative(main, language)
        ranks = not entities and ranking is not None
        across = len(entities) >= 2 or bool(_ACROSS_CLUSTERS.search(text)) or ranks
        return _analysed(Question(
            text, self.embeddings.embed_query(text), entities, across, written, others,
            compares, language, unknown, ranks, asked, False,
            (entities + others) or named_phrases(main), ranking,
            _asks_practice(main, language), asks_failure(main, language),
            asks_for_clusters(main, language), higher=comparative(main, language),
            comparing_words=comparative_words(main, language), bound=threshold(main, language)))

    def _mended(self, question: str, language: str) -> str:
        """``question`` with each word that is in no dictionary of its language and not in the
        indexed text, but one typo from a word of it ("memebrs"), written as that word: what
        it asks is then read ("members") and found."""
        tokens = words(question)
        # a word two words or less before one that closes a name ("medicon valley alliance")
        # is a name, not a typo
        named = {w for n, w in enumerate(tokens) if any(map(closes_name, tokens[n + 1:n + 3]))}
        mended = question
        for word in dict.fromkeys(self._undictionaried(question, language)):
            spelled = None if word in named else self.store.keywords.spelled(word, language)
            if spelled:
                mended = re.sub(rf"\b{re.escape(word)}\b", spelled, mended, flags=re.I)
        return mended

    def _unheard_of(self, question: str, language: str) -> list[str]:
        """The words of ``question`` (its typos mended) that are in no dictionary of its
        language and not in the indexed text: names of organisations the index does not know,
        however they are written ("how many members does minalogic have")."""
        return [word for word in self._undictionaried(question, language)
                if not self.store.keywords.knows(word, language)]

    def _undictionaried(self, question: str, language: str) -> list[str]:
        """The words of ``question``, long enough to hold a typo and no cluster's name, that
        are in no dictionary of its language (none without a keyword index, or for a language
        wordfreq has no list for)."""
        if self.store.keywords is None:
            return []
        from wordfreq import zipf_frequency  # its import takes a fifth of a second

        found = []
        for word in content_words(question):
            if len(word) < MIN_TYPO_LENGTH or not word.isalpha() or self.entities.find(word):
                continue
            try:
                if zipf_frequency(word, language) == 0:
                    found.append(word)
            except LookupError:  # a language wordfreq has no list for
                return []
        return found
