"""The organisations a question names: known clusters (by name, by another name a document
title gives them, by a word unique to one name, with a typo), other names written in capitals,
and how a question compares them ("A and B", "Who founded A, and who founded B?")."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from functools import cache
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

from ..language import DEFAULT_LANGUAGE, languages, vocabulary
from ..text import STOPWORDS, content_words, fold, words

#: Questions that compare the organisations they name.
_COMPARE_Q = re.compile(r"\b(?:compare|compared|comparison|differ|differs|difference|"
                        r"differences|versus|vs\.?|each|both|between)\b|\bwhich\b[^?]*\b(?:"
                        r"older|younger|more|less|larger|bigger|smaller|higher|lower|fewer)\b",
                        re.I)
#: Two years compared ("2024 vs 2025", "between 2023 and 2024"): one organisation over time.
_YEARS_COMPARED = re.compile(r"\b(?:between\s+)?(?:19|20)\d\d\s*(?:versus|vs\.?|v\.?|and|"
                            r"compared (?:with|to)|-|–)\s*(?:19|20)?\d\d\b", re.I)
#: Words that join two names compared: "BioM and bioPmed", "X or Y", "X with Y".
_COORDINATION = re.compile(r"^\W*(?:and|or|with|versus|vs\.?|compared (?:with|to)|,)\W*"
                           r"(?:the\s+)?$", re.I)


#: Words too common in cluster names to identify one cluster.
GENERIC_NAME_WORDS = STOPWORDS | {
    "cluster", "clusters", "network", "association", "innovation", "regional", "european",
    "life", "science", "sciences", "health", "biotech", "biotechnology", "technology", "multiple",
    "project", "programme", "program", "initiative", "platform", "council", "centre", "center",
}


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


#: The shortest word a typo is forgiven in: shorter words are too alike ("bio", "med").
MIN_TYPO_LENGTH = 5
#: How common (wordfreq's Zipf scale, in English) a word of a cluster's name may be and
#: still name the cluster on its own; fitted by scripts/fit_name_words.py.
_NAME_WORDS = Path(__file__).with_name("name_words.json")


@cache
def common_word_zipf() -> float:
    """The fitted Zipf frequency from which a word of a cluster's name is a common word
    ("food", "valley") that names the cluster only beside another word of its name."""
    return float(json.loads(_NAME_WORDS.read_text(encoding="utf-8"))["common_word_zipf"])


def name_words(name: str) -> set[str]:
    """The words of a cluster's name that tell it from others: not "cluster", "health"."""
    return {w for w in words(fold(name)) if w not in GENERIC_NAME_WORDS and len(w) > 2}


def capitalised_words(question: str) -> set[str]:
    """The words ``question`` writes with a capital, folded: a common word so written is a
    name ("What does Energy charge?")."""
    return {fold(w) for w in re.findall(r"\b[A-Z][\w'’-]*", question)}


def zipf(word: str) -> float:
    """How common ``word`` is in English (wordfreq's Zipf scale; 0 for a word it does not
    know)."""
    from wordfreq import zipf_frequency  # its import takes a fifth of a second

    return zipf_frequency(word, "en")


class EntityMatcher:
    """Finds the clusters a question names: by full name, by another name that a document title
    gives it, or by a word unique to one name, also with one typo in it ("fjordhiem": one
    insertion, deletion, substitution or swap of neighbours)."""

    def __init__(self, names: list[str], aliases: dict[str, str] | None = None,
                 titles: list[tuple[str, str]] | None = None):
        """``names`` of the clusters, their other ``aliases``, and the (cluster, title) of each
        document, whose titles show which words other organisations use too."""
        self.names = sorted({n for n in names if n and n.lower() != "multiple"})
        self.aliases = {a: c for a, c in (aliases or {}).items() if c in self.names}
        owners: dict[str, set[str]] = defaultdict(set)
        for name in self.names:
            for word in words(fold(name)):
                if word not in GENERIC_NAME_WORDS and len(word) > 2:
                    owners[word].add(name)
        keys = {word: next(iter(o)) for word, o in owners.items() if len(o) == 1}
        # a word of one cluster's name that another organisation's document title uses too
        # ("MedTech" in "MedTech Netzwerk Ostalb-Rems" beside "Sava Valley MedTech Cluster")
        # names a sector, not that cluster; a title that names the whole cluster ("Study visit
        # to Garonne AgriNova") speaks of it
        own_words = {name: {w for w in words(fold(name)) if w in keys} for name in self.names}
        for cluster, title in titles or ():
            found = set(words(fold(title)))
            for word in found & keys.keys():
                owner = keys[word]
                about_owner = cluster == owner or own_words[owner] <= found
                if not about_owner and cluster != "multiple":
                    del keys[word]
        self.keys = keys
        self._typo_keys = [key for key in keys if len(key) >= MIN_TYPO_LENGTH]
        # a common word ("food" of "Kurzeme Food Cluster") names its cluster only beside
        # another word of its name: "food & bio cluster denmark" is another one
        threshold = common_word_zipf()
        self._common = {key: name_words(name) - {key} for key, name in keys.items()
                        if zipf(key) >= threshold}

    def written(self, question: str, name: str) -> str:
        """How ``question`` writes the cluster ``name``: the name or another name of it."""
        folded = fold(question)
        for alias, owner in self.aliases.items():
            if owner == name and fold(name) not in folded and fold(alias) in folded:
                return alias
        return name

    def find(self, question: str, unheard: frozenset[str] = frozenset()) -> list[str]:
        """Cluster names mentioned in ``question``, in order of first mention. A word of one
        cluster's name does not name it next to a word of ``unheard`` (words the index does
        not know): "valley" in "medicon valley alliance" is part of another name; nor does a
        common word in lower case ("food") without another word of the name beside it."""
        folded = fold(question)
        found: dict[str, int] = {}
        for alias, name in [*((n, n) for n in self.names), *self.aliases.items()]:
            match = re.search(rf"\b{re.escape(fold(alias))}\b", folded)
            if match and match.start() < found.get(name, 10**9):
                found[name] = match.start()
        tokens = words(folded)
        capitalised = capitalised_words(question)
        for position, word in enumerate(tokens):
            name = self.keys.get(word) or self._misspelt(word)
            beside = set(tokens[max(position - 1, 0):position + 2])
            if (word in self._common and word not in capitalised
                    and not self._common[word] & beside):
                continue
            if name and name not in found and not unheard & beside:
                found[name] = 10_000 + position
        return sorted(found, key=found.get)

    def _misspelt(self, word: str) -> str | None:
        """The cluster whose unique word ``word`` is one typo away from, if just one is."""
        if len(word) < MIN_TYPO_LENGTH or word in GENERIC_NAME_WORDS:
            return None
        near = process.extract(word, self._typo_keys, scorer=OSA.distance, score_cutoff=1,
                               limit=None)
        owners = {self.keys[key] for key, _, _ in near}
        return owners.pop() if len(owners) == 1 else None


#: Names in a question: capitalised words, possibly joined by "of", "for", "de".
_NAME = re.compile(r"\b[A-Z][\w'’-]*[A-Z0-9][\w'’-]*\b|\b[A-Z][\w'’-]+(?:\s+(?:(?:of|for|de|"
                   r"the)\s+)*[A-Z][\w'’-]+)+")
#: Names made of these words only are no organisation ("Gold Label", "EU").
NAME_NOISE = {"eu", "gold", "silver", "bronze", "label", "labels", "european", "union"}


def named_phrases(question: str) -> list[str]:
    """Names in a question that may be organisations: capitalised word groups and acronyms,
    not the question's first word, not names made only of generic words."""
    names: list[str] = []
    for match in _NAME.finditer(question):
        name = match.group(0)
        if match.start() == len(question) - len(question.lstrip()):
            name = name.split(" ", 1)[1] if " " in name else ""
        name = re.sub(r"^(?:the|of|for)\s+", "", name, flags=re.I)
        name = re.sub(r"['’]s$", "", name)
        if name and any(w not in GENERIC_NAME_WORDS | NAME_NOISE for w in content_words(name)):
            names.append(name)
    return names


#: A capitalised word of its own inside a sentence ("Minalogic"): a proper name.
_PROPER = re.compile(r"(?<![.!?:]\s)(?<!^)\b[A-Z][a-zà-ÿ'’-]{2,}\b")


def proper_names(question: str) -> list[str]:
    """The names of ``question`` and its single capitalised words inside a sentence ("What
    does Minalogic charge?"), leaving out months and names made of generic words."""
    months = {m.lower() for m in vocabulary("months")}
    single = [re.sub(r"['’]s$", "", m.group(0)) for m in _PROPER.finditer(question.strip())]
    names = named_phrases(question)
    single = [w for w in single if w.lower() not in GENERIC_NAME_WORDS | NAME_NOISE | months
              and not any(w in n for n in names)]
    return names + list(dict.fromkeys(single))


def other_names(question: str, entities: list[str], written: dict[str, str],
                language: str = DEFAULT_LANGUAGE, single_words: bool = False) -> list[str]:
    """Names in ``question`` other than those of the clusters the index knows it names ("the
    European Secretariat for Cluster Analysis" beside a known cluster), with its capitalised
    single words if ``single_words``; none in a language whose capitals mark every noun."""
    if languages()[language].capitalises_nouns:
        return []
    known = {w for e in entities for n in (e, written.get(e, e)) for w in words(fold(n))
             if w not in GENERIC_NAME_WORDS}
    names = proper_names(question) if single_words else named_phrases(question)
    return [name for name in names
            if not {w for w in words(fold(name)) if w not in GENERIC_NAME_WORDS} & known]


def _unaccented(text: str) -> str:
    """``text`` with each letter written without its accent, one character for one
    ("Mürztal": "Murztal"), so that positions in it are positions in ``text``."""
    return "".join(unicodedata.normalize("NFD", c)[0] for c in text)


def name_span(text: str, name: str) -> tuple[int, int] | None:
    """Where ``name`` (or the distinctive words of it, with the rest of the name as written)
    occurs in ``text``, accents aside ("murztal" for Mürztal BioHub)."""
    plain = _unaccented(text)
    match = re.search(re.escape(_unaccented(name)), plain, re.I)
    if match:
        return match.span()
    distinctive = [_unaccented(w) for w in content_words(name) if w not in GENERIC_NAME_WORDS]
    spots = sorted((m.span(), i) for i, w in enumerate(distinctive)
                   for m in re.finditer(rf"\b{re.escape(w)}\b", plain, re.I))
    if not spots:
        return None
    # runs of the name's words written together ("boyne valley"); the longest, then the one
    # with the name's first word ("tirreno", not the "agrifood" of "agrifood clusters")
    runs: list[list[tuple[tuple[int, int], int]]] = []
    for spot in spots:
        if runs and not text[runs[-1][-1][0][1]:spot[0][0]].strip():
            runs[-1].append(spot)
        else:
            runs.append([spot])
    run = max(runs, key=lambda r: (len(r), any(i == 0 for _, i in r), -r[0][0][0]))
    end = run[-1][0][1]
    tail = re.match(r"(?:\s+[A-Z][\w'’-]*)*", text[end:])
    return run[0][0][0], end + (tail.end() if tail else 0)


#: Words that join names compared: "A and B", "A compared with B".
_JOINERS = r"(?:and|or|with|versus|vs\.?|compared (?:with|to))"
_JOINER_BEFORE = re.compile(rf"(?:\s*,\s*(?:\b{_JOINERS}\b)?|\s*\b{_JOINERS}\b)\s*(?:\bthe\s+)?$",
                            re.I)
#: A question's next part: ", and how many ...", " and was ...".
QUESTION_PART = re.compile(r",?\s+and\s+(?=(?:how|what|when|who|where|which|was|were|is|are|did|"
                           r"does|do|has|have)\b)", re.I)
_POSSESSIVE = re.compile(r"^['’]s\b")
_JOINING_WORD = re.compile(rf"\b{_JOINERS}\b", re.I)
_JOINER_AFTER = re.compile(rf"^\s*(?:,\s*(?:\b{_JOINERS}\b)?|\b{_JOINERS}\b)\s*(?:\bthe\s+)?", re.I)


def subject_question(question: str, subject: str, subjects: list[str]) -> str:
    """``question`` asked of ``subject`` alone: the other organisations it compares, with the
    words that join them, left out ("Compare the fees of A and B." → "Compare the fees of A.")."""
    parts = QUESTION_PART.split(question)
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
        # a word that joins it ("A or B") goes with it before a comma alone ("A, B")
        if before and (_JOINING_WORD.search(before.group(0)) or not after):
            start = before.start()
        elif after:
            end += after.end()
        text = text[:start] + text[end:]
    text = re.sub(r"\s+(?:each|both)\b", "", text, flags=re.I)
    return " ".join(text.split())


#: What a comparative asks about: "which is older" asks when each was founded.
_COMPARATIVE_TERMS = [(re.compile(r"\b(?:older|younger|newer|oldest|youngest)\b", re.I),
                       "founded")]


def comparative_terms(question: str) -> list[str]:
    """Words for what the comparatives of ``question`` ask about ("older": "founded")."""
    return [term for rule, term in _COMPARATIVE_TERMS if rule.search(question)]


def is_comparison(question: str, names: list[str]) -> bool:
    """Whether ``question`` compares the organisations it names (as written in ``names``): it
    says so, it names two joined by "and", "or" or "with", or it asks of each in a part of its
    own ("Who founded A, and who founded B?"); comparing two years is no comparison of
    organisations."""
    if _COMPARE_Q.search(_YEARS_COMPARED.sub(" ", question)):
        return True
    spans = sorted(span for n in names if (span := name_span(question, n)))
    if any(_COORDINATION.match(question[a[1]:b[0]]) for a, b in zip(spans, spans[1:])):
        return True
    parts = QUESTION_PART.split(question)
    named = [{n for n in names if name_span(part, n)} for part in parts]
    return len(parts) > 1 and all(len(n) == 1 for n in named) and len(set.union(*named)) > 1
