"""What the citation check compares: the sentences and ``[n]`` markers of a reply, the numbers
and content words a sentence states, and the same of each source.

* ``normalise_markers`` reads ``[1, 3]``, ``[1-3]`` and ``[Source 2]`` as single markers;
  ``cited_numbers`` lists the sources a text cites;
* ``number_readings`` and ``numbers_in`` read each number in its possible forms (``60,000`` is
  60000 or 60.000, ``8,1`` is 8.1, ``six`` is 6 in a source); ``word_stems`` are a text's content
  words cut to five letters; ``states_facts`` says whether a sentence claims something;
* ``split_line`` cuts a reply line into its bullet prefix and ``Sentence``s, each with the
  markers that follow it;
* ``SourceIndex`` holds the numbers, stems, title words and organisations of each source, and
  embeds its sentences when a cited sentence is compared by meaning.

``citations.py`` decides from these whether a sentence is supported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ..text import content_words, split_sentences
from .attribution import Attribution

EmbedTexts = Callable[[list[str]], Sequence[Sequence[float]]]

MARKER = re.compile(r"\[(\d{1,3})\]")
_GROUP = re.compile(
    r"\[\s*(?:(?:sources?|src|doc(?:ument)?)\s*)?(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]", re.I)
_RANGE = re.compile(r"\[\s*(\d{1,3})\s*[-–]\s*(\d{1,3})\s*\]")
_MARKERS_AFTER_END = re.compile(r"([.!?;:])((?:\s*\[\d{1,3}\])+)")
_MARKERS = re.compile(r"(?:\s*\[\d{1,3}\])+")
_BULLET = re.compile(r"^(\s*(?:[-*•]|\d{1,2}[.)])\s+)")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fifteen": "15",
    "twenty": "20", "thirty": "30", "fifty": "50", "hundred": "100",
}


def normalise_markers(text: str) -> str:
    """Rewrite ``[1, 2]``, ``[1-3]`` and ``[Source 2]`` as ``[1][2]``, ``[1][2][3]``, ``[2]``."""
    def expand_range(match: re.Match) -> str:
        start, end = int(match.group(1)), int(match.group(2))
        if not 0 < end - start < 10:
            return match.group(0)
        return "".join(f"[{n}]" for n in range(start, end + 1))

    text = _RANGE.sub(expand_range, text)
    return _GROUP.sub(lambda m: "".join(f"[{n}]" for n in re.findall(r"\d+", m.group(1))), text)


def cited_numbers(text: str) -> list[int]:
    """The source numbers ``text`` cites, in order, without repeats."""
    return list(dict.fromkeys(int(n) for n in MARKER.findall(normalise_markers(text))))


def number_readings(text: str) -> list[frozenset[str]]:
    """Each number in ``text`` with its possible readings: ``60,000`` → {60000, 60.000},
    ``8,1`` → {8.1}, ``40%`` → {40}."""
    found = []
    for raw in _NUMBER.findall(text):
        readings = {raw.replace(",", ".")}
        if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", raw):  # 60,000 or 60.000: either reading
            readings.add(raw.replace(",", "").replace(".", ""))
        elif re.fullmatch(r"\d+[.,]0+", raw):  # 2.0
            readings.add(re.split(r"[.,]", raw)[0])
        found.append(frozenset(readings))
    return found


def numbers_in(text: str, words: bool = False) -> set[str]:
    """Every reading of every number in ``text``; with ``words``, also the numbers written
    as words (``six`` → ``6``)."""
    found = set().union(*number_readings(text))
    if words:
        found.update(_NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", text.lower())
                     if w in _NUMBER_WORDS)
    return found


def _stem(word: str) -> str:
    return word[:5] if len(word) > 5 else word


def word_stems(text: str) -> set[str]:
    """The content words of ``text`` cut to five letters, numbers left out."""
    return {_stem(w) for w in content_words(text) if not w.isdigit()}


def states_facts(sentence: str) -> bool:
    """Whether a sentence claims something: it holds a number or two content words."""
    return bool(numbers_in(sentence)) or len(word_stems(sentence)) >= 2


class Sentence:
    """One sentence of a reply line, without its markers, and the sources it cites."""

    def __init__(self, body: str, markers: list[int]):
        self.body, self.markers = body, markers
        self.borrowed = False
        self.nothing = False  # it says the sources hold nothing on an organisation asked about
        self.dangling: list[int] = []  # markers removed because their source does not exist


def split_line(line: str) -> tuple[str, list[Sentence]]:
    """A line's bullet prefix and its sentences, each with the markers that follow it."""
    bullet = _BULLET.match(line)
    prefix = bullet.group(1) if bullet else ""
    line = _MARKERS_AFTER_END.sub(lambda m: m.group(2) + m.group(1), line[len(prefix):])
    sentences = []
    for sentence in split_sentences(line):
        markers = [int(n) for n in MARKER.findall(sentence)]
        body = " ".join(_MARKERS.sub(" ", sentence).split())
        body = re.sub(r"\s+([.!?;:,])", r"\1", body)
        if not body and sentences:  # markers alone: they belong to the sentence before
            sentences[-1].markers.extend(markers)
        elif body:
            sentences.append(Sentence(body, markers))
    return prefix, sentences


class SourceIndex:
    """Numbers, word stems, organisations and (lazily) sentence vectors of each source."""

    def __init__(self, sources: Mapping[int, str], names: Mapping[int, str],
                 embed_texts: EmbedTexts | None, attribution: Attribution):
        self.texts = dict(sources)
        self.attribution = attribution
        self.names = {n: word_stems(names.get(n, "")) for n in self.texts}
        self.numbers = {n: numbers_in(t, words=True) for n, t in self.texts.items()}
        self.stems = {n: word_stems(t) for n, t in self.texts.items()}
        self.embed_texts = embed_texts
        self._vectors: dict[int, np.ndarray] = {}

    def similarity(self, sentence: str, cited: list[int]) -> float:
        """Highest cosine similarity between ``sentence`` and a sentence of the cited sources."""
        if self.embed_texts is None:
            return 0.0
        missing = [n for n in cited if n not in self._vectors]
        for n in missing:
            parts = [s for line in self.texts[n].splitlines() for s in split_sentences(line)]
            self._vectors[n] = _unit(self.embed_texts(parts or [self.texts[n]]))
        query = _unit(self.embed_texts([sentence]))[0]
        return max(float(np.max(self._vectors[n] @ query)) for n in cited)


def _unit(vectors: Sequence[Sequence[float]]) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float32)
    return array / (np.linalg.norm(array, axis=1, keepdims=True) + 1e-9)
