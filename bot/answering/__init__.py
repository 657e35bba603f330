"""Answering: retrieved hits → an ``Answer`` with numbered, cited sources."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from ..question import Question
from ..retrieval import Hit

ABSTAIN_TEXT = "The indexed documents do not answer this question."
EXCERPT_CHARS = 300


@dataclass
class Source:
    """A numbered source of an answer; ``[n]`` in the answer text points to it."""

    n: int
    source: str
    title: str
    cluster: str | None
    page: int | None
    section: str | None
    score: float
    excerpt: str
    #: the id of the chunk in the index (``Bot.store.get([chunk_id])`` gives it whole)
    chunk_id: str = ""

    @classmethod
    def from_hit(cls, n: int, hit: Hit) -> Source:
        """Source number ``n`` made from a retrieved chunk."""
        text = " ".join(hit.text.split())
        if len(text) > EXCERPT_CHARS:
            text = text[: EXCERPT_CHARS - 1].rsplit(" ", 1)[0] + "…"
        meta = hit.metadata
        return cls(n=n, source=meta.get("source", ""), title=meta.get("title", ""),
                   cluster=meta.get("cluster"), page=meta.get("page"),
                   section=meta.get("section") or None, score=round(float(hit.score), 4),
                   excerpt=text, chunk_id=hit.id)


@dataclass
class Answer:
    """An answer: text with ``[n]`` markers, whether the bot abstained, and the sources."""

    text: str
    abstained: bool
    sources: list[Source]
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The answer as the JSON the CLI prints: answer, abstained, the query searched for
        (a follow-up made standalone) and the sources."""
        return {"answer": self.text, "abstained": self.abstained,
                "query": self.metadata.get("query"),
                "sources": [asdict(s) for s in self.sources]}

    @property
    def cited(self) -> list[Source]:
        """The sources the text cites."""
        import re

        numbers = {int(n) for n in re.findall(r"\[(\d+)\]", self.text)}
        return [s for s in self.sources if s.n in numbers]


class Answerer:
    """What every answering backend provides. ``history`` holds ``{"role", "content"}`` turns."""

    name = "answerer"

    def answer(self, question: Question, hits: list[Hit],
               history: list[dict[str, str]] | None = None) -> Answer:
        """A complete answer to ``question`` (analysed once, by ``bot.question``) from
        ``hits``."""
        raise NotImplementedError

    def stream(self, question: Question, hits: list[Hit],
               history: list[dict[str, str]] | None = None) -> Iterator[str | Answer]:
        """Text pieces as they are produced, then the final ``Answer`` (the default streams
        the complete answer sentence by sentence)."""
        answer = self.answer(question, hits, history)
        yield from split_for_streaming(answer.text)
        yield answer


def split_for_streaming(text: str) -> list[str]:
    """Pieces of an answer that joined give the text back: one per cited sentence or line."""
    import re

    pieces = re.findall(r".*?(?:\[\d+\]|$)\s*|\n", text, flags=re.S)
    return [p for p in pieces if p]
