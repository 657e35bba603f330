"""Attribution: which organisations an LLM answer may speak of, and which one a sentence is about.

The question analysis (``bot.question.Question``) says which organisations a question names; the
index says which organisation each retrieved document is about (its ``cluster``, unless
``multiple``). ``Attribution`` holds both for the citation check
(``citations.CitationStream``), which

* drops a sentence that cites only sources about other organisations and names none of those
  the question names (an answer about Alpha does not quote Beta's figures), unless the question
  asks which clusters do something;
* keeps, without a citation, a sentence that says the sources hold nothing on an organisation
  the question names ("The indexed documents say nothing about Delta.").

``question_analysis`` writes the same findings into the prompt, so the model is told the rule
the check applies. ``attributed`` writes an extractive answer the same way: each line names the
organisation and the document its sentences come from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..organisations import MULTIPLE
from ..question import Question
from ..retrieval import Hit
from ..text import fold
from .passages import about

#: How the model is told to say that the sources hold nothing on an organisation.
NOTHING_ON = "The indexed documents say nothing about {name}."
#: Text that says the sources do not answer (a whole reply, or one sentence of it).
NO_ANSWER = re.compile(
    r"\b(do(es)?\s*n[o']t|did\s*n[o']t|cannot|can't|unable to|no information|not (mentioned|"
    r"stated|covered|included|found|provided))\b.{0,60}\b(answer|say|mention|contain|"
    r"information|provide|find|sources?|documents?)\b|\bno (answer|information)\b"
    r"|\b(says?|holds?|contains?|mentions?)\s+nothing\b", re.I | re.S)
#: The longest sentence read as saying that the sources hold nothing on an organisation.
MAX_NOTHING_WORDS = 30
_NUMBER = re.compile(r"\d")


def organisation_of(hit: Hit) -> str | None:
    """The one organisation the document of ``hit`` is about, or None (``multiple``, unknown)."""
    cluster = hit.metadata.get("cluster")
    return str(cluster) if cluster and cluster != MULTIPLE else None


@dataclass(frozen=True)
class Attribution:
    """What a reply may speak of: the organisations the question names and the one each
    source's document is about."""

    #: clusters of the index the question names, as the index names them
    asked: tuple[str, ...] = ()
    #: the same clusters as the question writes them, where it uses another name
    written: tuple[str, ...] = ()
    #: names the question gives that are no cluster of the index
    others: tuple[str, ...] = ()
    #: source number → the organisation its document is about (none for ``multiple``)
    organisations: Mapping[int, str] = field(default_factory=dict)
    #: whether sentences must be about the asked clusters (not when the question asks which
    #: clusters do something: other clusters are then the answer)
    strict: bool = True

    @classmethod
    def of(cls, question: Question | None, hits: Sequence[Hit]) -> Attribution:
        """The attribution of an answer to ``question`` (None: not analysed) from ``hits``
        (numbered from 1)."""
        organisations = {n: o for n, hit in enumerate(hits, start=1)
                         if (o := organisation_of(hit))}
        if question is None:
            return cls(organisations=organisations)
        written = tuple(dict.fromkeys(question.name_of(e) for e in question.entities
                                      if question.name_of(e) != e))
        return cls(tuple(question.entities), written,
                   tuple(dict.fromkeys(question.others + question.unknown)), organisations,
                   strict=not question.for_clusters)

    def misattributed(self, sentence: str, cited: Sequence[int]) -> str:
        """Why ``sentence`` citing ``cited`` speaks of another organisation than the question
        asks about ("" when it does not): each cited source is about an organisation the
        question does not name, and the sentence names none of those it does."""
        if not self.strict or not self.asked or not cited:
            return ""
        about_each = [self.organisations.get(n) for n in cited]
        asked = {fold(name) for name in (*self.asked, *self.written)}
        if any(o is None or fold(o) in asked for o in about_each):
            return ""
        if any(about(sentence, name) for name in (*self.asked, *self.written)):
            return ""
        return (f"cites only sources about {', '.join(dict.fromkeys(map(str, about_each)))}, "
                f"not about {', '.join(self.asked)}")

    def says_nothing_on(self, sentence: str) -> bool:
        """Whether ``sentence`` only says that the sources hold nothing on an organisation the
        question names: it says so, names one, and states no figure."""
        return (bool(NO_ANSWER.search(sentence)) and not _NUMBER.search(sentence)
                and len(sentence.split()) <= MAX_NOTHING_WORDS
                and any(about(sentence, name)
                        for name in (*self.asked, *self.written, *self.others)))


def question_analysis(question: Question | None, attribution: Attribution,
                      hits: Sequence[Hit]) -> str:
    """What the question analysis found, as lines for the prompt: the organisations the
    question names (as it writes them), the other names it gives and whether any source
    mentions them, whether it compares them, whether it asks which clusters."""
    if question is None:
        return "- nothing found"
    lines = []
    if question.entities:
        named = [question.name_of(e) + (f' (organisation="{e}" in the sources)'
                                        if question.name_of(e) != e else "")
                 for e in question.entities]
        lines.append("organisations it names: " + ", ".join(named))
    else:
        lines.append("it names no organisation of the index")
    if attribution.others:
        texts = [f"{h.text} {h.metadata.get('title', '')} {h.metadata.get('cluster', '')}"
                 for h in hits]
        lines.append("names it gives that are no organisation of the index: " + ", ".join(
            name + ("" if any(about(t, name) for t in texts) else " (no source mentions it)")
            for name in attribution.others))
    if question.compares:
        lines.append("it compares them")
    if question.entities and not attribution.strict:
        lines.append("it asks which clusters: sources about other organisations may answer it")
    return "\n".join(f"- {line}" for line in lines)


def document_label(hit: Hit) -> str:
    """How an answer line names where it comes from: the organisation and the document, as in
    "Sava Valley MedTech Cluster, Membership fees 2025" (the title without the organisation's
    name), or the document alone when it is about no one organisation."""
    organisation = organisation_of(hit)
    title = " ".join(str(hit.metadata.get("title") or "").split()).replace(":", " –")
    if not organisation:
        return title or hit.source
    opening = re.match(rf"{re.escape(organisation)}(?:\s*\([^()]{{1,20}}\))?\s*[–—|,-]\s*",
                       title, re.I)
    if opening:  # "Aurora Photonics Cluster – General Assembly 2025"
        return f"{organisation}, {title[opening.end():]}"
    if about(title, organisation):  # "BioM receives the Gold Label"
        return title
    return f"{organisation}, {title}" if title else organisation


def attributed(statements: Sequence[tuple[str, int]], hits: Sequence[Hit]) -> str:
    """An answer from ``statements`` (text, number of its source): the statements of one
    document on one line behind its ``document_label``, a line per document in the order
    first cited; several lines are listed."""
    lines: dict[str, list[str]] = {}
    for text, n in statements:
        label = document_label(hits[n - 1])
        lines.setdefault(label, []).append(f"{text} [{n}]")
    if len(lines) == 1:
        label, cited = next(iter(lines.items()))
        return f"{label}: {' '.join(cited)}"
    return "\n".join(f"- {label}: {' '.join(cited)}" for label, cited in lines.items())
