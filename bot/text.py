"""Small text utilities shared by chunking, retrieval and answering."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
#: French and Italian words elided before a vowel: l', d', qu', un', dell', nell', quest'...
_ELIDED = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|un|dell|dall|nell|sull|all|coll|"
                     r"quell|quest|tutt)['’](?=[^\W\d_])")
#: An English possessive at the end of a word ("Aurora's")
_POSSESSIVE = re.compile(r"['’]s$")
# A sentence ends at . ! ? (optionally followed by quotes/brackets) before whitespace and an
# upper-case letter, digit or opening quote; abbreviations and initials are protected below.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’»)\]]*\s+(?=[\"'“‘«(\[¿¡]?[A-Z0-9À-Ý])")
_ABBREVIATIONS = {
    "dr", "prof", "mr", "mrs", "ms", "st", "no", "nr", "vs", "etc", "e.g", "i.e", "approx",
    "inc", "ltd", "co", "corp", "fig", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "ca", "cf", "dipl", "ing", "univ", "incl", "p", "pp", "vol",
}
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves tell give show list describe explain please much many does did kind kinds
    type types way ways""".split()
)


def fold(text: str) -> str:
    """Lower case without accents: "Kraków" and "krakow" compare equal."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower())
                   if not unicodedata.combining(c))


def count_tokens(text: str) -> int:
    """Approximate number of model tokens: words and punctuation marks."""
    return len(_TOKEN.findall(text))


def words(text: str) -> list[str]:
    """Lower-cased words of ``text`` (hyphenated words kept whole), without an elided French or
    Italian article or preposition ("d'adhérents" → "adhérents", "dell'anno" → "anno") or an
    English possessive ("aurora's" → "aurora")."""
    return [_POSSESSIVE.sub("", _ELIDED.sub("", w.lower())) for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    """Lower-cased words of ``text`` that are not stopwords."""
    return [w for w in words(text) if w not in STOPWORDS]


@cache
def _after_ordinal() -> re.Pattern:
    """A month name after a day written as an ordinal ("31. Dezember"), in any language."""
    from .language import vocabulary

    return re.compile(rf"(?:{'|'.join(vocabulary('months'))})\b", re.I)


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences; abbreviations such as "Prof. Dr." and ordinal dates such as
    "am 31. Dezember" do not end a sentence."""
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start : match.start()]
        last_word = candidate.rstrip(".!?\"'”’)]").rsplit(" ", 1)[-1].lower()
        if candidate.endswith(".") and (
            last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha())
            or (re.fullmatch(r"\d{1,2}", last_word)
                and _after_ordinal().match(text, match.end()))
        ):
            continue
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    sentences.append(text[start:].strip())
    return [s for s in sentences if s]


#: A year between 1800 and 2099.
YEAR = r"\b(?:1[89]\d\d|20\d\d)\b"
#: A number as written: "1,800", "1.750", "3,2", "27", with thin or plain spaces between groups.
NUMBER = re.compile(r"[-−]?\d[\d.,\u202f\u00a0 ]*")
_GROUPED = re.compile(r"\d{1,3}(?:[.,\u202f\u00a0 ]\d{3})+")


def parse_number(value: str, years: bool = False) -> float | None:
    """The first number written in ``value``: "EUR 1,800" → 1800, "1.750" → 1750,
    "3,2 FTE" → 3.2, "27%" → 27; None when it states none (a year alone is no figure, unless
    ``years``: then a value that is a year alone is that year, and any other none)."""
    if years:
        return float(value) if re.fullmatch(YEAR, value.strip()) else None
    match = NUMBER.search(value)
    if not match or re.fullmatch(YEAR, match.group(0).strip()):
        return None
    text = match.group(0).strip(" .,\u202f\u00a0")
    if _GROUPED.fullmatch(text):
        text = re.sub(r"[.,\u202f\u00a0 ]", "", text)
    else:
        text = text.replace(" ", "").replace(",", ".")
    try:
        return float(text.replace("−", "-"))
    except ValueError:
        return None
