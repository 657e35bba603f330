"""An answer as a chat message: ``[n]`` links, "Searched for", and its own Sources block.

    content = answer_message(answer.text, passages, aid, query=..., question=...)
    plain_text(content)        # the answer text again, with its [n] markers, for history

Each answer carries its sources in a collapsed ``<details>`` block, so an old ``[1]`` keeps
pointing at the passage it was given with; ``[n]`` links to ``#p-<aid>-<n>`` and the page's
script (``static/app.js``) opens the block and shows that passage. The HTML is one line: a
blank line would end Markdown's HTML block in the middle of a passage.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterable

from .passages import Passage

_CITE = re.compile(r"\[(\d+)\]")
_CITE_LINK = re.compile(r"<a class=\"cite\" href=\"#p-[\w-]+\">(\[\d+\])</a>")
_BLOCKS = re.compile(r"\s*<(details|div) class=\"(?:sources|searched-for)\".*?</\1>", re.S)
MULTIPLE = "multiple"
NO_ANSWER_HINT = (
    "\n\n_Try fewer filters or other words. The question is listed under **Insights**, so "
    "cluster managers can add a document that answers it._"
)


def new_answer_id() -> str:
    """An id that tells this answer's passages apart from every other answer's."""
    return uuid.uuid4().hex[:8]


def relevance(rank: int, total: int) -> str:
    """How well a source matched, in words: its rank among the sources."""
    return "best match" if rank == 1 else f"match {rank} of {total}"


def cite_links(text: str, aid: str, numbers: Iterable[int]) -> str:
    """``text`` with each ``[n]`` of a known source turned into a link to its passage."""
    known = set(numbers)

    def link(match: re.Match) -> str:
        n = int(match[1])
        return f'<a class="cite" href="#p-{aid}-{n}">[{n}]</a>' if n in known else match[0]

    return _CITE.sub(link, text)


def highlighted(text: str, quotes: list[str]) -> str:
    """``text`` escaped, with the quoted sentences in ``<mark>`` and line breaks as
    ``<br>``."""
    spans: list[tuple[int, int]] = []
    for quote in quotes:
        start = text.find(quote)
        if start >= 0:
            spans.append((start, start + len(quote)))
    out, pos = [], 0
    for start, end in sorted(spans):
        if start < pos:
            continue
        out += [html.escape(text[pos:start]), "<mark>", html.escape(text[start:end]), "</mark>"]
        pos = end
    out.append(html.escape(text[pos:]))
    return re.sub(r"\s*\n\s*", "<br>", "".join(out).strip())


def passage_html(p: Passage, aid: str, total: int) -> str:
    """One source of an answer: number, title, where it is, the chunk, the file link."""
    cluster = "several clusters" if p.cluster == MULTIPLE else p.cluster
    where = [cluster, p.section, f"page {p.page}" if p.page else None,
             relevance(p.rank, total), "cited" if p.cited else "not cited",
             "⚠ holds text addressed to AI assistants (ignored)" if p.instruction_like else None]
    meta = " · ".join(html.escape(str(w)) for w in where if w)
    page = f", page {p.page}" if p.page and p.source.lower().endswith(".pdf") else ""
    return (f'<div class="passage{" cited" if p.cited else ""}" id="p-{aid}-{p.n}">'
            f'<div class="passage-head"><span class="passage-n">[{p.n}]</span> '
            f"{html.escape(p.title or p.source)}</div>"
            f'<div class="passage-meta">{meta}</div>'
            f'<div class="passage-text">{highlighted(p.text, p.quotes)}</div>'
            f'<a class="passage-file" href="{html.escape(p.url)}" target="_blank">'
            f"Open the document ({html.escape(p.source)}{page})</a></div>")


def sources_block(passages: list[Passage], aid: str) -> str:
    """The collapsed Sources block of one answer."""
    if not passages:
        return ""
    body = "".join(passage_html(p, aid, len(passages)) for p in passages)
    return (f'<details class="sources" id="s-{aid}"><summary>Sources ({len(passages)})'
            f"</summary>{body}</details>")


def searched_for(query: str | None, question: str) -> str:
    """The "Searched for" line of an answer whose question was rewritten, else ""."""
    if not query or " ".join(query.split()).lower() == " ".join(question.split()).lower():
        return ""
    return f'<div class="searched-for">Searched for: “{html.escape(query)}”</div>'


def answer_message(text: str, passages: list[Passage], aid: str, query: str | None = None,
                   question: str = "") -> str:
    """The chat message of an answer: its text with linked ``[n]``, the "Searched for" line
    when the question was rewritten, and its Sources block."""
    parts = [cite_links(text, aid, (p.n for p in passages)), searched_for(query, question),
             sources_block(passages, aid)]
    return "\n\n".join(p for p in parts if p)


def plain_text(content: str) -> str:
    """A message's text without the Sources block and "Searched for" line, ``[n]`` unlinked."""
    return _CITE_LINK.sub(r"\1", _BLOCKS.sub("", content)).strip()
