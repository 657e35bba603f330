"""Question sets: reading them, checking them, and choosing their dev or test split.

Question sets are JSON lines: ``{"id", "kind", "question", "expected_sources", "key_facts",
"follows"?, "split"?, "organisations"?}``. A key fact may list alternatives as ``"a|b"``. The kind
is free text (the project's set uses fact, comparison, followup and unanswerable; others such as
table, practice or aggregation are reported like any kind): a question with ``follows`` is asked
after the one it names, with that turn as history, and a question without expected sources is
unanswerable (the bot should abstain). ``split`` ("dev" or "test", written by
``scripts/split_questions.py``) lets weights be tuned on one half and reported on the other;
``organisations`` names the organisations a question asks about when the index does not know them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError

SPLITS = ("dev", "test")


@dataclass
class EvalQuestion:
    """One question of an evaluation set."""

    id: str
    kind: str
    question: str
    expected_sources: list[str] = field(default_factory=list)
    key_facts: list[str] = field(default_factory=list)
    follows: str | None = None
    #: "dev" or "test"; None in sets that are not split (such as a blind set)
    split: str | None = None
    #: the organisations the question asks about, where the index does not know them
    organisations: list[str] = field(default_factory=list)
    #: ISO 639-1 code of the question's language and of its expected documents' (optional)
    language: str | None = None
    doc_language: str | None = None

    @property
    def answerable(self) -> bool:
        """Whether the corpus holds the answer."""
        return bool(self.expected_sources)


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read a JSON-lines question set; a folder means every ``*.jsonl`` file in it."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    questions: list[EvalQuestion] = []
    for file in files:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"cannot read the question set {file}: {exc.strerror}") from None
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                question = EvalQuestion(**json.loads(line))
            except (ValueError, TypeError) as exc:
                raise ConfigError(f"{file}:{number}: not a valid question ({exc})") from None
            if question.split not in (None, *SPLITS):
                raise ConfigError(f"{file}:{number}: split {question.split!r} is not one of "
                                  f"{', '.join(SPLITS)}")
            questions.append(question)
    ids = {q.id for q in questions}
    missing = [q.id for q in questions if q.follows and q.follows not in ids]
    if missing:
        raise ConfigError(f"questions {', '.join(missing)} follow a question not in the set")
    return questions


def select_split(questions: list[EvalQuestion], split: str) -> list[EvalQuestion]:
    """The questions of one split ("dev" or "test"); a follow-up's first question is in the
    same split (``scripts/split_questions.py`` keeps chains together)."""
    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    if not any(q.split for q in questions):
        raise ConfigError("the question set has no split field: evaluate it without --split, "
                          "or split it with scripts/split_questions.py")
    chosen = [q for q in questions if q.split == split]
    ids = {q.id for q in chosen}
    apart = [q.id for q in chosen if q.follows and q.follows not in ids]
    if apart:
        raise ConfigError(f"questions {', '.join(apart)} of the {split} split follow a question "
                          "of another split: run scripts/split_questions.py again")
    return chosen


def language_group(question: EvalQuestion) -> str | None:
    """The question's language, with its documents' when they differ ("en on de")."""
    if question.language is None:
        return None
    if question.doc_language and question.doc_language != question.language:
        return f"{question.language} on {question.doc_language}"
    return question.language
