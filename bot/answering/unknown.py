"""Organisations a question names that are no cluster of the index ("Lyonbiopole", "BioWin"):
when no retrieved passage mentions one, the answer says so and what the passages are about;
when passages only mention it, only they may answer for it.
"""

from __future__ import annotations

from dataclasses import replace

from ..question import Question
from ..question.vocabulary import in_dictionary
from ..retrieval import Hit
from . import Answer
from .passages import about


def unknown_names(question: Question) -> list[str]:
    """The names a question that names no cluster of the index gives ("Lyonbiopole"): not a
    single word of the question's language ("¿Cuántos socios ...?")."""
    if question.entities:
        return []
    return [name for name in question.unknown
            if not (len(name.split()) == 1 and in_dictionary(name, question.language))]


def described(hit: Hit) -> str:
    """A hit's text with the title, headings and cluster of its passage."""
    return " ".join([hit.text, *(str(hit.metadata.get(key) or "")
                                 for key in ("title", "heading_path", "cluster"))])


def absent(question: Question, hits: list[Hit], backend: str) -> Answer | None:
    """An abstention that says what the documents hold, when a name the question gives is in
    no retrieved passage; another name it gives that the passages use ("SME") is a term of
    the documents."""
    names = unknown_names(question)
    missing = [name for name in names if not any(about(described(h), name) for h in hits)]
    if not missing:
        return None
    clusters = list(dict.fromkeys(
        str(h.metadata["cluster"]) for h in hits
        if h.metadata.get("cluster") and h.metadata["cluster"] != "multiple"))
    held = f" The passages found are about {', '.join(clusters[:4])}." if clusters else ""
    listed = ", ".join(missing)
    return Answer(f"The indexed documents say nothing about {listed}.{held}", True, [],
                  {"backend": backend, "abstain_reason": f"no passage names {listed}"})


def naming(question: Question, hits: list[Hit]) -> list[Hit]:
    """``hits``, the text of those that do not name the organisation a question asks about
    emptied (kept in place: the rank of a hit is its citation number), when the index knows
    it only from passages that mention it: another organisation's passages do not answer for
    it."""
    names = unknown_names(question)
    if not names:
        return hits
    return [hit if any(about(described(hit), name) for name in names)
            else replace(hit, text="") for hit in hits]
