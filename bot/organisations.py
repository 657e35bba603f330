"""Which organisation a document is about, when its metadata does not say.

Most documents people add carry no front matter: a board deck titled "Dollard Digital Cluster –
Board deck outline", minutes headed "BUCOVINA WOOD CLUSTER". Without the cluster the index does
not know the organisation, so a question about it cannot be matched to its documents, and its
figures cannot be kept apart from other organisations'. Here an organisation's name is a run of
capitalised words closed by a word such as "Cluster" or "Netzwerk" (or opened by one, in the
languages that put it first: "Pôle Ligéria Agro"); these words are per language in the lexicons
(``organisation_heads``). A document is about the organisation its title names; or the name
its title opens with before a dash or colon, with a word no common English word ("Garonne
AgriNova - Rapport 2024"), when its text names it twice; else about the one a line of its
opening starts with ("Korvik Digital Cluster – internal review", a subtitle or letterhead), when
no other is named more often; else about the one its text names more often than all others
together (twice at least, or once in a signature when it names no other); about ``multiple``
when it names several evenly. A name counts wherever the text calls the organisation by its
short name too ("Korvik" for "Korvik Digital Cluster"): its first word that is no head word
and no common English word. A name opened by the head word of another language than the
document's ("Cluster Énergies Limousin" in an English text) is a name when it holds such a
word: "Cluster Management Quarterly" is none.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import cache

from .language import lexicon, lexicons
from .text import fold

#: A run of capitalised words, joined by the particles of names in Romance languages.
_RUN = re.compile(r"[A-ZÀ-Ý][\w’'.&-]*(?:[ \t]+(?:[A-ZÀ-Ý][\w’'.&-]*|(?:de|del|della|di|du|des|"
                  r"d[’'])(?=[ \t]*[A-ZÀ-Ý])))*")
#: What parts a title's opening name from the rest ("Garonne AgriNova - Rapport 2024").
_TITLE_SEPARATOR = re.compile(r"\s+[-–—]\s+|:\s+")
#: The Zipf frequency above which a word is common English: a name has a word rarer than that.
_COMMON_WORD = 3.0
#: Words that open a run without being part of a name.
_LEADING = {"the", "a", "an", "our", "at", "in", "for", "and", "of", "with", "by", "from", "to",
            "on", "about", "new", "dear", "this", "that", "der", "die", "das", "le", "la", "il",
            "el", "les", "los", "las", "i", "gli", "study", "visit"}
MULTIPLE = "multiple"


@cache
def _legal_form() -> re.Pattern:
    forms = [f for entry in lexicons().values() for f in entry.get("legal_forms", [])]
    return re.compile(rf",?\s+(?:{'|'.join(forms)})$")


def without_legal_form(name: str) -> str:
    """``name`` without the legal form it may end with ("Severn Agritech Network CIC",
    "Saaletal BioRegion e.V."): the organisation's name as its documents write it."""
    return _legal_form().sub("", name.strip()).strip()


def closes_name(word: str) -> bool:
    """Whether ``word`` closes an organisation's name in some language ("alliance",
    "Netzwerk")."""
    return fold(word) in _heads("en")[0]


@cache
def _heads(language: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The words that close a name in any language, those that open one in ``language``, and
    those that open one in any language."""
    closing = {fold(w) for entry in lexicons().values()
               for w in entry.get("organisation_heads", {}).get("after", [])}
    opening = {fold(w) for w in lexicon(language).get("organisation_heads", {}).get("before", [])}
    foreign = {fold(w) for entry in lexicons().values()
               for w in entry.get("organisation_heads", {}).get("before", [])}
    return frozenset(closing), frozenset(opening), frozenset(foreign)


def _coined(word: str) -> bool:
    """Whether ``word`` is no common English word: a name's own word ("Korvik", "Énergies")."""
    from wordfreq import zipf_frequency  # its import takes a fifth of a second

    return zipf_frequency(word, "en") < _COMMON_WORD


def organisation_names(text: str, language: str) -> list[str]:
    """The organisation names in ``text``, in order, as written."""
    closing, opening, foreign = _heads(language)
    found = []
    for match in _RUN.finditer(text):
        tokens = match.group(0).split()
        while tokens and fold(tokens[0]) in _LEADING:
            tokens = tokens[1:]
        tokens = [t.rstrip(".’'") for t in tokens]
        if not tokens:
            continue
        first, last = fold(tokens[0]), fold(tokens[-1])
        # "Textilnetzwerk Oberlausitz", "Lagunaria BioHub": a head word inside a compound
        compound = any(first.endswith(h) and first != h for h in closing)
        opened = first in opening or (first in foreign and any(
            _coined(w) for t in tokens[1:] for w in re.findall(r"[^\W\d_]+", t)))
        named = (len(tokens) > 1 and (last in closing or opened)) or compound or (
            any(last.endswith(h) and last != h for h in closing))
        if named:
            found.append(" ".join(tokens))
    return found


def _as_written(name: str, text: str) -> str:
    """``name`` as the text writes it (a title in capitals is no spelling of the name): the
    whole name, else word by word ("ALENTEJO AGROINOVA" → "Alentejo AgroInova")."""
    match = re.search(re.escape(name), text, re.I)
    if match and not match.group(0).isupper():
        return match.group(0)
    if not name.isupper():
        return name
    written = []
    for word in name.split():
        found = [m.group(0) for m in re.finditer(rf"\b{re.escape(word)}\b", text, re.I)
                 if m.group(0)[0].isupper() and not m.group(0).isupper()]
        written.append(found[0] if found else word.title())
    return " ".join(written)


def document_organisation(title: str, text: str, language: str) -> str | None:
    """The organisation a document is about, ``multiple`` when it is about several, or None
    when it names none."""
    in_title = list(dict.fromkeys(fold(n) for n in organisation_names(title, language)))
    if len(in_title) == 1:
        name = organisation_names(title, language)[0]
        return _as_written(name, text)
    if in_title:
        return MULTIPLE
    lead = _title_lead(title, text)
    if lead:
        return lead
    names = organisation_names(text, language)
    mentions = _mentions(names, text, language)
    if not mentions:
        return None
    top, count = mentions.most_common(1)[0]
    opening = _opening_name(title, text, language)
    if opening in mentions and mentions[opening] == count:
        top = opening
    # named twice and more than all others together; or the only one named, in a signature
    # or a letterhead (a letter names its organisation once); or the one its opening starts
    # with, named no less often than any other
    most = count > sum(mentions.values()) - count
    signed = len(mentions) == 1 and _signed(text, top, language)
    if top == opening or (most and (count >= 2 or signed)):
        return _as_written(next(n for n in names if fold(n) == top), text)
    return MULTIPLE if len(mentions) > 1 else None


def _short_name(name: str, language: str) -> str | None:
    """The word a text may call an organisation by after naming it in full ("Korvik" for
    "Korvik Digital Cluster"): its first word that is no head word, if no common word."""
    closing, _, foreign = _heads(language)
    for word in name.split():
        if fold(word) not in closing | foreign:
            return word if _coined(word) else None
    return None


def _mentions(names: list[str], text: str, language: str) -> Counter:
    """How often ``text`` names each organisation of ``names`` (folded), by its full name or
    its short name; names sharing a short name are one organisation."""
    full = Counter(fold(n) for n in names)
    mentions: Counter = Counter()
    seen: set[str] = set()
    folded = fold(text)
    for name, count in full.most_common():
        short = _short_name(name, language)
        if short is None:
            mentions[name] = count
        elif fold(short) not in seen:
            seen.add(fold(short))
            found = len(re.findall(rf"(?<!\w){re.escape(fold(short))}(?!\w)", folded))
            mentions[name] = max(count, found)
    return mentions


def _opening_name(title: str, text: str, language: str) -> str | None:
    """The organisation (folded) a line of the document's opening starts with, after its
    title: a subtitle or letterhead ("Mürztal BioHub · internal note")."""
    lines = [line.strip(" \t*#>_") for line in text.splitlines()[:4]]
    for line in lines:
        if not line or fold(line) == fold(title):
            continue
        names = organisation_names(line, language)
        if names and fold(line).startswith(fold(names[0])) and re.match(
                r"\s*(?:$|[-–—·:(,|])", line[len(names[0]):]):
            return fold(names[0])
    return None


def _title_lead(title: str, text: str) -> str | None:
    """The name a title opens with before a dash or a colon ("Garonne AgriNova - Rapport
    d'activité 2024"), when it is no run of common words ("Annual Report - 2024") and the
    text names it twice at least: an organisation without a head word."""
    parts = _TITLE_SEPARATOR.split(title, maxsplit=1)
    run = _RUN.fullmatch(without_legal_form(parts[0])) if len(parts) == 2 else None
    if run is None:
        return None
    name = run.group(0)
    coined = any(_coined(w) for w in re.findall(r"[^\W\d_]+", name))
    if coined and len(re.findall(re.escape(name), text, re.I)) >= 2:
        return _as_written(name, text)
    return None


def _signed(text: str, name: str, language: str) -> bool:
    """Whether ``text`` names ``name`` (folded) on a short line that is no sentence: a
    signature ("Managing Director, Moncayo Hydrogen Cluster") or a letterhead."""
    return any(len(line.split()) <= 8 and not line.rstrip().endswith((".", "!", "?", ":"))
               and name in {fold(n) for n in organisation_names(line, language)}
               for line in text.splitlines())


#: A short form in brackets, after the name it stands for: "Cluster Énergies Limousin (CEL)".
_SHORT_FORM = re.compile(r"\(([A-Z][\w&.-]{1,9})\)")


def short_forms(text: str, language: str) -> dict[str, str]:
    """The short forms ``text`` defines for the organisations it names, each with the name:
    "Cluster Énergies Limousin (CEL)" gives ``{"CEL": "Cluster Énergies Limousin"}``. A
    short form has a capital after its first letter ("CEL", "HBio"), not a word ("(Latvia)"),
    and its capitals are initials of the name's words, the first one first: "Mecsek BioCluster
    (HU)" gives a country, not a short form."""
    found: dict[str, str] = {}
    for match in _SHORT_FORM.finditer(text):
        short = match.group(1)
        if not any(c.isupper() for c in short[1:]):
            continue
        before = text[max(0, match.start() - 120):match.start()].rstrip()
        names = organisation_names(before, language)
        if names and fold(before).endswith(fold(names[-1])) and _initials(short, names[-1]):
            found.setdefault(short, without_legal_form(names[-1]))
    return found


def _initials(short: str, name: str) -> bool:
    """Whether the capitals of ``short`` are initials of the words of ``name`` (or of the
    parts of a word written in capitals inside, "BioCluster"), the first one first."""
    words = fold(name).split()
    starts = {fold(c) for c in re.findall(r"(?:^|(?<=\s))\w|(?<=[a-zà-ÿ])[A-ZÀ-Ý]", name)}
    capitals = [fold(c) for c in short if c.isupper()]
    return bool(words) and capitals[0] == words[0][0] and set(capitals) <= starts


def spellings(names: Iterable[str | None]) -> dict[str, str]:
    """For names written in several ways ("Alentejo Agroinova Cluster", from a title in
    capitals, and "Alentejo AgroInova Cluster"), the way to write each: the one with the most
    capitals inside words, which a title in capitals cannot tell."""
    variants: dict[str, set[str]] = {}
    for name in names:
        if name and name != MULTIPLE:
            variants.setdefault(fold(name), set()).add(name)
    chosen = {}
    for forms in variants.values():
        best = max(sorted(forms), key=lambda n: sum(c.isupper() for c in n) - 100 * n.isupper())
        chosen.update({form: best for form in forms if form != best})
    return chosen
