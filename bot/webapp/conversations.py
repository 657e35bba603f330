"""Saved conversations: kept in the browser (``gr.BrowserState``), reopened, exported.

The browser keeps ``{"current": id, "conversations": {id: Conversation.to_dict()}}``; the
server keeps nothing. A conversation holds the chat's messages as shown and, by the index of
each answer's message, what the answer was made of (question, filters, query, passages).
"""

from __future__ import annotations

import re
import tempfile
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .common import message_text
from .passages import passage_from_dict
from .render import plain_text

#: Conversations kept in one browser; the oldest are dropped beyond it.
MAX_CONVERSATIONS = 20
TITLE_CHARS = 60
EXPORT_DIR = "clusterbot-exports"


@dataclass
class Conversation:
    """One conversation as the browser stores it."""

    id: str
    title: str = ""
    updated: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data for the browser's storage."""
        return asdict(self)


def new_id() -> str:
    """A fresh conversation id."""
    return uuid.uuid4().hex[:12]


def title_of(messages: list[dict[str, Any]]) -> str:
    """The first question of a conversation, shortened."""
    first = next((message_text(m.get("content")) for m in messages if m.get("role") == "user"),
                 "")
    first = " ".join(first.split())
    return first if len(first) <= TITLE_CHARS else first[:TITLE_CHARS].rsplit(" ", 1)[0] + "…"


def _conversations(saved: dict | None) -> dict[str, dict[str, Any]]:
    found = (saved or {}).get("conversations")
    return dict(found) if isinstance(found, dict) else {}


def save(saved: dict | None, conv_id: str, messages: list[dict], answers: dict) -> dict:
    """``saved`` with conversation ``conv_id`` stored (as current); an empty one is not
    kept. The newest ``MAX_CONVERSATIONS`` are kept."""
    conversations = _conversations(saved)
    if messages:
        conversations[conv_id] = Conversation(
            id=conv_id, title=title_of(messages),
            updated=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            messages=list(messages), answers=dict(answers or {})).to_dict()
    newest = sorted(conversations.values(), key=lambda c: c.get("updated", ""), reverse=True)
    return {"current": conv_id,
            "conversations": {c["id"]: c for c in newest[:MAX_CONVERSATIONS]}}


def choices(saved: dict | None) -> list[tuple[str, str]]:
    """(label, id) of the saved conversations, newest first."""
    newest = sorted(_conversations(saved).values(), key=lambda c: c.get("updated", ""),
                    reverse=True)
    return [(f"{c.get('updated', '')[:16].replace('T', ' ')} · {c.get('title') or '…'}",
             c["id"]) for c in newest]


def load(saved: dict | None, conv_id: str | None = None) -> Conversation:
    """Conversation ``conv_id`` (default: the current one) from ``saved``; a new, empty
    conversation when there is none."""
    conv_id = conv_id or (saved or {}).get("current")
    found = _conversations(saved).get(conv_id or "")
    if not found:
        return Conversation(id=new_id())
    return Conversation(id=found["id"], title=found.get("title", ""),
                        updated=found.get("updated", ""),
                        messages=list(found.get("messages") or []),
                        answers=dict(found.get("answers") or {}))


# ---------------------------------------------------------------- export


def _source_line(data: dict[str, Any]) -> str:
    p = passage_from_dict(data)
    where = ", ".join(x for x in (p.section, f"page {p.page}" if p.page else "") if x)
    line = f"- [{p.n}] {p.title or p.source} (`{p.source}`{', ' + where if where else ''})"
    quote = " ".join(" ".join(p.quotes).split()) or " ".join(p.text.split())[:300]
    return f"{line}\n  > {quote}" if quote else line


def export_markdown(messages: list[dict], answers: dict) -> str:
    """The conversation as Markdown: each question, its answer with ``[n]`` markers, what was
    searched for, and the answer's sources with the cited sentences."""
    lines = [f"# {title_of(messages) or 'Conversation'}", "",
             f"_clusterbot conversation, exported {datetime.now(timezone.utc):%Y-%m-%d %H:%M}"
             " UTC_", ""]
    for index, message in enumerate(messages):
        text = plain_text(message_text(message.get("content")))
        if message.get("role") == "user":
            lines += [f"## {text}", ""]
            continue
        record = answers.get(str(index)) or {}
        lines += [text, ""]
        query = record.get("query")
        if query and query != record.get("question"):
            lines += [f"_Searched for: {query}_", ""]
        sources = record.get("sources") or []
        if sources:
            lines += ["**Sources**", "", *(_source_line(s) for s in sources), ""]
    return "\n".join(lines).rstrip() + "\n"


def export_file(conv_id: str, messages: list[dict], answers: dict) -> Path | None:
    """The Markdown export of a conversation written to a temporary file (None when empty)."""
    if not messages:
        return None
    folder = Path(tempfile.gettempdir()) / EXPORT_DIR
    folder.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9]+", "-", title_of(messages)).strip("-")[:40] or "conversation"
    path = folder / f"{name}-{re.sub(r'[^a-f0-9]', '', conv_id)[:12]}.md"
    path.write_text(export_markdown(messages, answers), encoding="utf-8")
    return path
