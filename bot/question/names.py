"""Organisation names in questions: finding them, resolving them against the index's own
entities (cluster metadata, the other names document titles give, close spellings) and asking
a comparison of each of them in turn."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable

from ..text import STOPWORDS, content_words, words
from .lexicon import Lexicon, load_lexicon

#: A word unique to one name resolves a misspelling when it is this close (difflib ratio).
CLOSE_SPELLING = 0.8


def fold(text: str) -> str:
    """Lower case without accents: "Kraków" → "krakow"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower())
                   if not unicodedata.combining(c))


def generic_words(lexicon: Lexicon) -> frozenset[str]:
    """Words too common in organisation names to identify one (stopwords included)."""
    return STOPWORDS | lexicon.generic_name_words


_NAME_AND_SHORT_FORM = re.compile(r"([A-Z][\w’'.-]*(?:\s+(?:[A-Z][\w’'.-]*|of|for|and|de|the))*)"
                                  r"\s+\(([^()]{2,40})\)")


def title_aliases(cluster: str, title: str) -> list[str]:
    """Other names of ``cluster`` that a document title gives, as in "Hellenic BioCluster
    (HBio): ..." for HBio, or "Klaster LifeScience Kraków (KLK)" for Klaster LifeScience Kraków."""
    aliases = []
    for long, short in _NAME_AND_SHORT_FORM.findall(title):
        long = re.sub(r"^(The|A|An)\s+", "", long.strip())
        if fold(short) == fold(cluster):
            aliases.append(long)
        elif fold(long).endswith(fold(cluster)) and re.fullmatch(r"[A-Za-z][\w.&-]*[A-Z][\w.&-]*",
                                                                 short):
            aliases.append(short)
    return aliases


class EntityIndex:
    """The organisations the index knows, and whether its text mentions a word at all.

    A question names a known organisation by its full name, by another name a document title
    gives it, by a word unique to one name, or by a close misspelling of such a word.
    ``mentions`` tells whether the indexed text holds a word, ``mentions_nearly`` whether it
    holds it or a close spelling (an organisation the documents never mention, not even
    misspelt, cannot be answered about)."""

    def __init__(self, names: list[str], aliases: dict[str, str] | None = None,
                 mentions: Callable[[str], bool] | None = None,
                 mentions_nearly: Callable[[str], bool] | None = None,
                 lexicon: Lexicon | None = None):
        self.lexicon = lexicon or load_lexicon()
        self.generic = generic_words(self.lexicon)
        self.names = sorted({n for n in names if n and n.lower() != "multiple"})
        self.aliases = {a: c for a, c in (aliases or {}).items() if c in self.names}
        self.mentions = mentions
        self.mentions_nearly = mentions_nearly or mentions
        owners: dict[str, set[str]] = defaultdict(set)
        for name in [*self.names, *self.aliases]:
            owner = self.aliases.get(name, name)
            for word in words(fold(name)):
                if word not in self.generic and len(word) > 2:
                    owners[word].add(owner)
        self.keys = {word: next(iter(o)) for word, o in owners.items() if len(o) == 1}

    def written(self, question: str, name: str) -> str:
        """How ``question`` writes the cluster ``name``: the name or another name of it."""
        folded = fold(question)
        for alias, owner in self.aliases.items():
            if owner == name and fold(name) not in folded and fold(alias) in folded:
                return alias
        return name

    def find(self, question: str) -> list[str]:
        """Known organisations named in ``question``, in order of first mention."""
        folded = fold(question)
        found: dict[str, int] = {}
        for alias, name in [*((n, n) for n in self.names), *self.aliases.items()]:
            match = re.search(rf"\b{re.escape(fold(alias))}\b", folded)
            if match and match.start() < found.get(name, 10**9):
                found[name] = match.start()
        for position, word in enumerate(words(folded)):
            name = self.keys.get(word) or self._close(word)
            if name and name not in found:
                found[name] = 10_000 + position
        return sorted(found, key=found.get)

    def _close(self, word: str) -> str | None:
        """The organisation a misspelt word names: a word unique to one name spelt nearly the
        same, when the indexed text does not know the word as it is written."""
        if len(word) < 5 or word in STOPWORDS or (self.mentions and self.mentions(word)):
            return None
        close = difflib.get_close_matches(word, self.keys, n=1, cutoff=CLOSE_SPELLING)
        return self.keys[close[0]] if close else None

    def is_mentioned(self, name: str) -> bool:
        """Whether the indexed text mentions the distinctive words of ``name``, allowing for
        misspellings (True when the index cannot tell)."""
        distinctive = [w for w in words(name) if fold(w) not in self.generic and len(w) > 2]
        if self.mentions_nearly is None or not distinctive:
            return True
        return all(self.mentions_nearly(w) or self.mentions_nearly(fold(w))
                   for w in distinctive)


def named_phrases(question: str, lexicon: Lexicon | None = None) -> list[str]:
    """Names in a question that may be organisations: capitalised word groups and acronyms,
    not the question's first word, not names made only of generic words."""
    lexicon = lexicon or load_lexicon()
    noise = generic_words(lexicon) | lexicon.name_noise
    names: list[str] = []
    for match in lexicon.name.finditer(question):
        name = match.group(0)
        if match.start() == len(question) - len(question.lstrip()):
            name = name.split(" ", 1)[1] if " " in name else ""
        name = re.sub(r"^(?:the|of|for)\s+", "", name, flags=re.I)
        if name and any(w not in noise for w in content_words(name)):
            names.append(name)
    return names


def other_names(question: str, entities: list[str], written: dict[str, str],
                lexicon: Lexicon | None = None) -> list[str]:
    """Names in ``question`` other than those of the clusters the index knows it names ("the
    European Secretariat for Cluster Analysis" beside a known cluster)."""
    lexicon = lexicon or load_lexicon()
    generic = generic_words(lexicon)
    known = {w for e in entities for n in (e, written.get(e, e)) for w in words(fold(n))
             if w not in generic}
    return [name for name in named_phrases(question, lexicon)
            if not {w for w in words(fold(name)) if w not in generic} & known]


def name_span(text: str, name: str, lexicon: Lexicon | None = None) -> tuple[int, int] | None:
    """Where ``name`` (or the distinctive words of it, with the rest of the name as written)
    occurs in ``text``."""
    match = re.search(re.escape(name), text, re.I)
    if match:
        return match.span()
    generic = generic_words(lexicon or load_lexicon())
    spots = [m.span() for w in content_words(name) if w not in generic
             for m in [re.search(rf"\b{re.escape(w)}\b", text, re.I)] if m]
    if not spots:
        return None
    end = min(spots)[1]
    tail = re.match(r"(?:\s+[A-Z][\w'’-]*)*", text[end:])
    return min(spots)[0], end + (tail.end() if tail else 0)


_JOINER_BEFORE = re.compile(r"(?:\s*,)?\s*\b(?:and|or|with|versus|vs\.?|compared (?:with|to))\b"
                            r"\s*(?:\bthe\s+)?$", re.I)
_POSSESSIVE = re.compile(r"^['’]s\b")
_JOINER_AFTER = re.compile(r"^\s*(?:,\s*)?\b(?:and|or|with|versus|vs\.?)\b\s*(?:\bthe\s+)?", re.I)


def subject_question(question: str, subject: str, subjects: list[str],
                     lexicon: Lexicon | None = None) -> str:
    """``question`` asked of ``subject`` alone: the other organisations it compares, with the
    words that join them, left out ("Compare the fees of A and B." → "Compare the fees of A.")."""
    lexicon = lexicon or load_lexicon()
    parts = lexicon.question_part.split(question)
    own = [p for p in parts if name_span(p, subject)
           and not any(name_span(p, o) for o in subjects if o != subject)]
    if len(parts) > 1 and len(own) == 1:  # "Who founded A, and who founded B?"
        text = own[0].strip(" ,?") + "?"
        return text[0].upper() + text[1:]
    text = question
    for other in subjects:
        if other == subject:
            continue
        span = name_span(text, other)
        if span is None:
            continue
        start, end = span
        possessive = _POSSESSIVE.match(text[end:])
        end += possessive.end() if possessive else 0
        before = _JOINER_BEFORE.search(text[:start])
        after = _JOINER_AFTER.match(text[end:])
        if before:
            start = before.start()
        elif after:
            end += after.end()
        text = text[:start] + text[end:]
    text = re.sub(r"\s+(?:each|both)\b", "", text, flags=re.I)
    return " ".join(text.split())


def is_comparison(question: str, names: list[str], lexicon: Lexicon | None = None) -> bool:
    """Whether ``question`` compares the organisations it names (as written in ``names``): it
    says so, it names two joined by "and", "or" or "with", or it asks of each in a part of its
    own ("Who founded A, and who founded B?")."""
    lexicon = lexicon or load_lexicon()
    if lexicon.compares.search(question):
        return True
    spans = sorted(span for n in names if (span := name_span(question, n)))
    if any(lexicon.coordination.match(question[a[1]:b[0]]) for a, b in zip(spans, spans[1:])):
        return True
    parts = lexicon.question_part.split(question)
    named = [{n for n in names if name_span(part, n)} for part in parts]
    return len(parts) > 1 and all(len(n) == 1 for n in named) and len(set.union(*named)) > 1
