"""Citation checking: is every ``[n]`` of a generated answer real, and does source n say it?

``check_citations(text, sources)`` goes through the answer sentence by sentence:

* markers that point to no source are removed (``[1, 3]`` and ``[Source 2]`` are read as
  ``[1][3]`` and ``[2]`` first);
* a sentence without a citation borrows those of the next cited sentence of its paragraph
  (models often cite once at the end of a paragraph); a sentence that states something and
  still has no citation is unsupported;
* a cited sentence is supported when every number in it appears in the cited sources and
  enough of its content words do (or, with ``embed_texts``, when fewer words match but its
  meaning is close to a sentence of the cited sources).

A sentence that addresses an assistant or asks the reader to act (``bot.injection``) is dropped
whatever it cites. With an ``Attribution`` (``attribution.py``), a sentence that cites only
sources about other organisations than the question names, and names none of those, is dropped;
a sentence that says the sources hold nothing on an organisation the question names is kept
without a citation. Unsupported sentences are dropped. The answer passes when at least one
supported sentence remains; the report says what was removed and why.

``CitationStream`` checks a reply while it is generated: a sentence is released once it is
complete (the next sentence has begun, or its line has ended) and checked, together with the
uncited sentences before it that borrow its citation. ``check_citations`` checks a whole reply
the same way, so a streamed answer shows exactly the text of the checked one.

What a sentence states and what each source holds is read in ``evidence.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from ..injection import is_instruction
from .attribution import Attribution
from .evidence import (
    MARKER,
    EmbedTexts,
    Sentence,
    SourceIndex,
    normalise_markers,
    number_readings,
    split_line,
    states_facts,
    word_stems,
)


@dataclass
class SentenceCheck:
    """The verdict on one sentence of an answer."""

    text: str
    cited: list[int]
    supported: bool
    reason: str = ""
    overlap: float = 0.0


@dataclass
class CitationReport:
    """The checked text and what the check removed."""

    text: str
    removed_markers: list[int] = field(default_factory=list)
    sentences: list[SentenceCheck] = field(default_factory=list)

    @property
    def supported(self) -> list[SentenceCheck]:
        """The sentences kept."""
        return [s for s in self.sentences if s.supported]

    @property
    def unsupported(self) -> list[SentenceCheck]:
        """The sentences dropped, each with its reason."""
        return [s for s in self.sentences if not s.supported]

    @property
    def passed(self) -> bool:
        """Whether at least one cited, supported sentence remains."""
        return bool(self.supported) and bool(MARKER.search(self.text))

    @property
    def says_nothing(self) -> bool:
        """Whether the sentences kept only say that the sources hold nothing on the
        organisations asked about."""
        return bool(self.supported) and not any(s.cited for s in self.supported)

    def summary(self) -> str:
        """One line on what failed, for ``Answer.metadata["fallback"]``."""
        parts = []
        if self.removed_markers:
            parts.append("markers to no source removed: "
                         + ", ".join(f"[{n}]" for n in self.removed_markers))
        if self.unsupported:
            parts.append(f"{len(self.unsupported)} unsupported sentence(s) dropped "
                         f"({self.unsupported[0].reason})")
        if not self.supported:
            parts.append("no supported sentence remains")
        return "; ".join(parts) or "ok"

    def to_dict(self) -> dict:
        """The report as JSON-friendly data (for answer metadata)."""
        return {"passed": self.passed, "removed_markers": self.removed_markers,
                "unsupported": [asdict(s) for s in self.unsupported],
                "supported": len(self.supported)}



def check_citations(text: str, sources: Mapping[int, str], *,
                    names: Mapping[int, str] | None = None,
                    attribution: Attribution | None = None,
                    embed_texts: EmbedTexts | None = None, min_overlap: float = 0.5,
                    min_similarity: float = 0.6,
                    min_overlap_with_meaning: float = 0.25) -> CitationReport:
    """Check the ``[n]`` citations of ``text`` against ``sources`` (number → source text).

    A cited sentence is supported when all its numbers occur in the cited sources and at least
    ``min_overlap`` of its content words do, or at least ``min_overlap_with_meaning`` of them
    do and ``embed_texts`` finds a sentence of the cited sources with cosine similarity
    ``min_similarity`` or more. ``names`` (number → the title and cluster of the source) holds
    words that are no evidence: "Delta is the best cluster [1]" is not supported by a source
    about Delta unless the source says "best". ``attribution`` says which organisations the
    question names and which one each source is about. Returns the text with bad markers and
    unsupported sentences removed.
    """
    stream = CitationStream(sources, names=names, attribution=attribution,
                            embed_texts=embed_texts,
                            min_overlap=min_overlap, min_similarity=min_similarity,
                            min_overlap_with_meaning=min_overlap_with_meaning)
    stream.update(text, final=True)
    return stream.report


class CitationStream:
    """The citation check of a reply that is still being generated.

    ``update(text)`` takes the whole reply so far and returns the checked text that may be
    shown now (possibly empty); ``update(text, final=True)`` checks the rest. The pieces
    returned, joined, are ``report.text``."""

    def __init__(self, sources: Mapping[int, str], *, names: Mapping[int, str] | None = None,
                 attribution: Attribution | None = None, embed_texts: EmbedTexts | None = None,
                 min_overlap: float = 0.5, min_similarity: float = 0.6,
                 min_overlap_with_meaning: float = 0.25):
        self.index = SourceIndex(sources, names or {}, embed_texts,
                                  attribution or Attribution())
        self.limits = (min_overlap, min_similarity, min_overlap_with_meaning)
        self.report = CitationReport(text="")
        self._line = 0  # lines of the reply finished
        self._released = 0  # sentences of the current line already checked
        self._line_shown = self._blank = False

    def update(self, text: str, final: bool = False) -> str:
        """The newly checked text of the reply ``text`` (all of it when ``final``)."""
        lines = normalise_markers(text.replace("\r\n", "\n")).split("\n")
        shown_before = len(self.report.text)
        while self._line < len(lines) - (0 if final else 1):
            self._take(lines[self._line], complete=True)
            if not lines[self._line].strip() and self.report.text:
                self._blank = True  # a paragraph break, kept once before the next shown line
            self._line, self._released, self._line_shown = self._line + 1, 0, False
        if not final:
            self._take(lines[-1], complete=False)
        return self.report.text[shown_before:]

    def _take(self, line: str, complete: bool) -> None:
        """Check the sentences of ``line`` that are complete and end with a citation (all of
        its sentences when the line is ``complete``) and add those kept to the report's text."""
        if not line.strip():
            return
        prefix, sentences = split_line(line)
        if not complete:  # the last sentence may go on, and so may the markers after it
            if not sentences or not re.match(r"[\"'“‘(]?\w", sentences[-1].body):
                return
            sentences = sentences[:-1]
        todo = sentences[self._released:]
        for sentence in todo:  # drop markers to no source; "nothing on X" cites nothing
            sentence.nothing = self.index.attribution.says_nothing_on(sentence.body)
            sentence.dangling = [n for n in sentence.markers if n not in self.index.texts]
            sentence.markers = [n for n in dict.fromkeys(sentence.markers)
                                if n in self.index.texts and not sentence.nothing]
        if not complete:  # uncited sentences wait for the citation they borrow
            cited = [i for i, sentence in enumerate(todo) if sentence.markers]
            todo = todo[:cited[-1] + 1] if cited else []
        if not todo:
            return
        self._released += len(todo)
        removed = set(self.report.removed_markers)
        removed.update(n for sentence in todo for n in sentence.dangling)
        self.report.removed_markers = sorted(removed)
        following: list[int] = []
        for sentence in reversed(todo):  # uncited sentences borrow the next citation
            if sentence.markers:
                following = sentence.markers
            elif following and not sentence.nothing:
                sentence.markers, sentence.borrowed = following, True
        kept = []
        for sentence in todo:
            check = _check(sentence, self.index, *self.limits)
            self.report.sentences.append(check)
            if check.supported:
                kept.append(sentence)
        if not kept:
            return
        body = " ".join(_render(kept))
        if self._line_shown:
            self.report.text += " " + body
            return
        separator = ("\n\n" if self._blank else "\n") if self.report.text else ""
        self.report.text += separator + prefix + body
        self._line_shown, self._blank = True, False


def _render(kept: list[Sentence]) -> list[str]:
    """Kept sentences with their markers; a borrowed citation is shown once, after the last
    sentence that shares it."""
    rendered = []
    for i, sentence in enumerate(kept):
        following = kept[i + 1].markers if i + 1 < len(kept) else None
        if (sentence.borrowed and following == sentence.markers) or not sentence.markers:
            rendered.append(sentence.body)
        else:
            rendered.append(sentence.body + " " + "".join(f"[{n}]" for n in sentence.markers))
    return rendered


def _check(sentence: Sentence, index: SourceIndex, min_overlap: float,
           min_similarity: float, min_overlap_with_meaning: float) -> SentenceCheck:
    body, cited = sentence.body, sentence.markers
    if is_instruction(body):
        return SentenceCheck(body, cited, False, "addresses an assistant or asks the reader to act")
    if sentence.nothing:
        return SentenceCheck(body, [], True, "", 1.0)
    if not cited:
        if sentence.dangling:
            reason = f"cites only sources that do not exist: {_cite(sentence.dangling)}"
        else:
            reason = "no citation" if states_facts(body) else "no citation (filler)"
        return SentenceCheck(body, [], False, reason)
    elsewhere = index.attribution.misattributed(body, cited)
    if elsewhere:
        return SentenceCheck(body, cited, False, elsewhere)
    known_numbers = set().union(*(index.numbers[n] for n in cited))
    missing = [r for r in number_readings(body) if not r & known_numbers]
    if missing:
        return SentenceCheck(body, cited, False,
                             f"number {min(missing[0], key=lambda r: ('.' in r, r))} is not in "
                             f"{_cite(cited)}")
    stems = word_stems(body) - set().union(*(index.names[n] for n in cited))
    if not stems:
        return SentenceCheck(body, cited, True, "", 1.0)
    known = set().union(*(index.stems[n] for n in cited))
    overlap = len(stems & known) / len(stems)
    if overlap >= min_overlap:
        return SentenceCheck(body, cited, True, "", round(overlap, 3))
    if overlap >= min_overlap_with_meaning and index.embed_texts is not None:
        similarity = index.similarity(body, cited)
        if similarity >= min_similarity:
            return SentenceCheck(body, cited, True, "", round(overlap, 3))
    return SentenceCheck(body, cited, False,
                         f"only {overlap:.0%} of its words are in {_cite(cited)}",
                         round(overlap, 3))


def _cite(cited: list[int]) -> str:
    return "".join(f"[{n}]" for n in cited)
