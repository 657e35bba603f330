"""Feedback and gaps: thumbs up/down, unanswered questions, and the insights drawn from them.

Both logs are JSON lines in the data folder (``BOT_DATA_DIR``)::

    feedback.jsonl     {"id", "time", "question", "answer", "abstained", "liked", "comment",
                        "filters", "sources"}; a later line with the same id (a comment added
                        after the thumb) replaces the earlier one
    unanswered.jsonl   {"time", "question", "filters"}

``insights()`` groups the unanswered questions and the thumbs-down answers by topic, so cluster
managers see which documents are missing. Entries longer than ``FeedbackLimits`` (settings
``BOT_MAX_QUESTION_CHARS``, ``BOT_MAX_ANSWER_CHARS``, ``BOT_MAX_COMMENT_CHARS``) are refused with
``EntryTooLong``, never cut short, so a log line is always what was sent.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .config import Settings
from .errors import ConfigError, EntryTooLong
from .generations import utc_now

FEEDBACK_FILE = "feedback.jsonl"
UNANSWERED_FILE = "unanswered.jsonl"

#: Topics of the insights, in order of precedence on ties, with the words that signal them.
TOPIC_KEYWORDS: dict[str, tuple[str, ...]] = {
    "income streams": (
        "income", "incomes", "revenue", "revenues", "fee", "fees", "funding", "fund", "funds",
        "funded", "fund-raising", "budget", "budgets", "sponsor", "sponsors", "sponsorship",
        "sponsoring", "finance", "financing", "financial", "pay", "pays", "paid", "price",
        "prices", "pricing", "cost", "costs", "money", "grant", "grants", "earn", "earns",
        "subsidy", "subsidies", "euros", "eur",
    ),
    "services": (
        "service", "services", "matchmaking", "training", "trainings", "coaching", "consulting",
        "advice", "helpdesk", "desk", "offer", "offers", "workshop", "workshops",
        "event", "events", "incubation", "accelerator", "support", "catalogue", "portfolio",
    ),
    "member engagement": (
        "member", "members", "engagement", "engage", "engaged", "engaging", "satisfaction",
        "survey", "surveys", "participation", "participate", "retention", "retain", "churn",
        "community", "onboarding", "involve", "involvement", "active", "loyalty",
        "working-group", "groups",
    ),
    "internationalisation": (
        "international", "internationalisation", "internationalization", "internationalise",
        "export", "exports", "exporting", "abroad", "foreign", "cross-border", "global",
        "mission", "missions", "fair", "fairs", "partnership", "partnerships", "eccp",
    ),
    "strategy": (
        "strategy", "strategies", "strategic", "plan", "plans", "planning", "governance",
        "board", "vision", "mission-statement", "label", "labels", "excellence", "benchmark",
        "benchmarking", "kpi", "kpis", "evaluation", "assessment", "roadmap", "priorities",
    ),
}
OTHER_TOPIC = "other"
TOPICS = (*TOPIC_KEYWORDS, OTHER_TOPIC)


def topic_of(question: str, filters: dict[str, Any] | None = None) -> str:
    """The insight topic of a question: the topic filter it was asked with when that is one of
    ``TOPICS``, else the topic whose keywords it contains most (ties: order of
    ``TOPIC_KEYWORDS``), else ``"other"``."""
    chosen = str((filters or {}).get("topic") or "").strip().lower()
    if chosen in TOPIC_KEYWORDS:
        return chosen
    tokens = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", question.lower())
    best, best_hits = OTHER_TOPIC, 0
    for topic, keywords in TOPIC_KEYWORDS.items():
        hits = sum(1 for t in tokens if t in keywords)
        if hits > best_hits:
            best, best_hits = topic, hits
    return best


@dataclass
class FeedbackEntry:
    """One thumbs up or down on an answer, with an optional comment."""

    question: str
    answer: str
    liked: bool
    comment: str = ""
    abstained: bool = False
    filters: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    time: str = field(default_factory=utc_now)


@dataclass
class UnansweredEntry:
    """A question the documents did not answer."""

    question: str
    filters: dict[str, Any] = field(default_factory=dict)
    time: str = field(default_factory=utc_now)


@dataclass(frozen=True)
class FeedbackLimits:
    """The longest question, answer and comment accepted, in characters."""

    question: int
    answer: int
    comment: int

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedbackLimits:
        """The limits of ``settings`` (``BOT_MAX_*_CHARS``)."""
        limits = cls(settings.max_question_chars, settings.max_answer_chars,
                     settings.max_comment_chars)
        for name in ("question", "answer", "comment"):
            if getattr(limits, name) < 1:
                raise ConfigError(f"BOT_MAX_{name.upper()}_CHARS must be at least 1")
        return limits

    def check(self, question: str = "", answer: str = "", comment: str = "") -> None:
        """Raise ``EntryTooLong`` naming the first text over its limit."""
        for name, text in (("question", question), ("answer", answer), ("comment", comment)):
            limit = getattr(self, name)
            if len(text or "") > limit:
                raise EntryTooLong(
                    f"the {name} is {len(text):,} characters long, more than the limit of "
                    f"{limit:,}: shorten it (the limit is BOT_MAX_{name.upper()}_CHARS)")


class FeedbackStore:
    """The feedback and unanswered-question logs in ``data_dir`` (created on first write);
    every entry is checked against ``limits`` (default: those of the default settings)."""

    def __init__(self, data_dir: Path, limits: FeedbackLimits | None = None):
        self.data_dir = Path(data_dir)
        self.limits = limits or FeedbackLimits.from_settings(Settings())
        self._lock = threading.Lock()

    def _append(self, name: str, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            with open(self.data_dir / name, "a", encoding="utf-8") as handle:
                handle.write(line)

    def _read(self, name: str) -> list[dict[str, Any]]:
        path = self.data_dir / name
        if not path.is_file():
            return []
        records = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:  # a line cut short by a crash: skip it
                continue
            if isinstance(record, dict) and record.get("question"):
                records.append(record)
        return records

    def add_feedback(self, entry: FeedbackEntry) -> FeedbackEntry:
        """Store a thumbs up/down; return it (its ``id`` allows adding a comment later)."""
        self.limits.check(entry.question, entry.answer, entry.comment)
        self._append(FEEDBACK_FILE, asdict(entry))
        return entry

    def add_comment(self, entry_id: str, comment: str) -> FeedbackEntry:
        """Attach ``comment`` to the stored feedback ``entry_id``; raise ``KeyError`` if unknown."""
        self.limits.check(comment=comment.strip())
        for entry in self.feedback():
            if entry.id == entry_id:
                entry.comment = comment.strip()
                self._append(FEEDBACK_FILE, asdict(entry))
                return entry
        raise KeyError(entry_id)

    def feedback(self) -> list[FeedbackEntry]:
        """Every feedback entry, oldest first, with later lines replacing earlier ones."""
        by_id: OrderedDict[str, FeedbackEntry] = OrderedDict()
        known = set(FeedbackEntry.__dataclass_fields__)
        for record in self._read(FEEDBACK_FILE):
            entry = FeedbackEntry(**{k: v for k, v in record.items() if k in known})
            by_id[entry.id] = entry
        return list(by_id.values())

    def add_unanswered(self, question: str, filters: dict[str, Any] | None = None
                       ) -> UnansweredEntry:
        """Log a question the documents did not answer."""
        self.limits.check(question=question)
        entry = UnansweredEntry(" ".join(question.split()),
                                {k: v for k, v in (filters or {}).items() if v not in (None, "")})
        self._append(UNANSWERED_FILE, asdict(entry))
        return entry

    def unanswered(self) -> list[UnansweredEntry]:
        """Every logged unanswered question, oldest first."""
        known = set(UnansweredEntry.__dataclass_fields__)
        return [UnansweredEntry(**{k: v for k, v in r.items() if k in known})
                for r in self._read(UNANSWERED_FILE)]


@dataclass
class Gap:
    """A question (asked ``count`` times) that the documents did not answer well."""

    question: str
    count: int
    last_asked: str
    comments: list[str] = field(default_factory=list)
    filters: dict[str, Any] = field(default_factory=dict)


@dataclass
class TopicInsight:
    """The gaps of one topic: unanswered questions and thumbs-down answers."""

    topic: str
    unanswered: list[Gap] = field(default_factory=list)
    disliked: list[Gap] = field(default_factory=list)

    @property
    def total(self) -> int:
        """How many times questions of this topic went unanswered or were disliked."""
        return sum(g.count for g in self.unanswered) + sum(g.count for g in self.disliked)


def _key(question: str) -> str:
    return " ".join(re.findall(r"\w+", question.lower()))


def _group(items: list[tuple[str, str, dict[str, Any], str]]) -> list[Gap]:
    """(question, time, filters, comment) items → gaps, same question merged, most asked first."""
    gaps: dict[str, Gap] = {}
    for question, time, filters, comment in items:
        gap = gaps.get(_key(question))
        if gap is None:
            gap = gaps[_key(question)] = Gap(question, 0, time, filters=filters)
        gap.count += 1
        if time >= gap.last_asked:
            gap.question, gap.last_asked, gap.filters = question, time, filters
        if comment and comment not in gap.comments:
            gap.comments.append(comment)
    return sorted(gaps.values(), key=lambda g: (-g.count, g.question.lower()))


def insights(store: FeedbackStore) -> list[TopicInsight]:
    """Unanswered and thumbs-down questions grouped by topic; topics with most gaps first,
    topics without gaps left out."""
    unanswered: dict[str, list] = {t: [] for t in TOPICS}
    disliked: dict[str, list] = {t: [] for t in TOPICS}
    for u in store.unanswered():
        unanswered[topic_of(u.question, u.filters)].append((u.question, u.time, u.filters, ""))
    for f in store.feedback():
        if not f.liked:
            disliked[topic_of(f.question, f.filters)].append(
                (f.question, f.time, f.filters, f.comment))
    result = [TopicInsight(t, _group(unanswered[t]), _group(disliked[t])) for t in TOPICS]
    order = {t: i for i, t in enumerate(TOPICS)}
    return sorted((r for r in result if r.total), key=lambda r: (-r.total, order[r.topic]))


def _md(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", " ".join(text.split()))


def insights_markdown(found: list[TopicInsight]) -> str:
    """The insights as Markdown for people: one section per topic."""
    if not found:
        return ("No gaps yet: every question asked so far was answered and no answer got a "
                "thumbs down.")
    lines = []
    for insight in found:
        lines.append(f"### {insight.topic.capitalize()} — {insight.total} gap"
                     f"{'s' if insight.total != 1 else ''}")
        if insight.unanswered:
            lines.append("**Not answered by the documents:**")
            for gap in insight.unanswered:
                times = f" (asked {gap.count}×)" if gap.count > 1 else ""
                where = ", ".join(f"{k}: {v}" for k, v in gap.filters.items())
                lines.append(f"- {_md(gap.question)}{times}" + (f" — {_md(where)}" if where
                                                               else ""))
        if insight.disliked:
            lines.append("**Answers rated thumbs down:**")
            for gap in insight.disliked:
                times = f" ({gap.count}×)" if gap.count > 1 else ""
                said = "; ".join(f"“{_md(c)}”" for c in gap.comments)
                lines.append(f"- {_md(gap.question)}{times}" + (f" — {said}" if said else ""))
        lines.append("")
    return "\n".join(lines).strip()
