"""The passages behind an answer's ``[n]``: the whole chunk each source came from, the sentences
of it the answer cites, and the original file served from the corpus folder only.

    passages = find_passages(bot, answer)      # one Passage per source, in source order
    routes = [corpus_route(settings)]          # GET /corpus/<source>: the file itself

The chunk is read from the index by the source's chunk id; when the index changed since, the
excerpt stands in for it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..answering import Answer, Source
from ..config import Settings
from ..errors import BotError
from ..loading.corpus import iter_corpus

CORPUS_ROUTE = "/corpus/"
_MARKERS = re.compile(r"\s*\[(\d+)\]")
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+(?=\s|$)|\n|$)")
_WORD = re.compile(r"\w+", re.UNICODE)
_CLAIM_END = re.compile(r"(?<=[.!?])\s+(?!\[)|(?<=\])\s+(?=[A-Z])|\n")
#: Share of a claim's words a chunk sentence must contain to count as the one it cites.
MIN_OVERLAP = 0.5
#: How each kind of file is served: inline as itself, as plain text (never run as a page of
#: this site) or as a download.
MEDIA_TYPES = {".pdf": "application/pdf", ".md": "text/plain; charset=utf-8",
               ".markdown": "text/plain; charset=utf-8", ".txt": "text/plain; charset=utf-8",
               ".html": "text/plain; charset=utf-8", ".htm": "text/plain; charset=utf-8"}


@dataclass
class Passage:
    """What ``[n]`` of an answer opens: the chunk, the cited sentences in it, where it is."""

    n: int
    title: str
    source: str
    cluster: str | None
    section: str | None
    page: int | None
    rank: int
    cited: bool
    text: str
    quotes: list[str] = field(default_factory=list)
    #: the chunk holds text addressed to an AI assistant (never quoted as an answer)
    instruction_like: bool = False

    @property
    def url(self) -> str:
        """The original file in the corpus; a PDF opens at the passage's page."""
        return file_url(self.source, self.page)

    def to_dict(self) -> dict[str, Any]:
        """The passage as JSON-ready data (what a saved conversation keeps)."""
        return asdict(self)


def file_url(source: str, page: int | None = None) -> str:
    """The app's URL of the corpus file ``source`` (``#page=N`` for a page of a PDF)."""
    url = CORPUS_ROUTE + quote(source)
    return f"{url}#page={page}" if page and source.lower().endswith(".pdf") else url


def words(text: str) -> set[str]:
    """The lower-cased words of ``text``."""
    return {w.lower() for w in _WORD.findall(text)}


def sentences(text: str) -> list[str]:
    """``text`` cut into sentences (and lines), each stripped."""
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def claims_citing(text: str, n: int) -> list[str]:
    """The sentences (or lines) of an answer that cite ``[n]``, without their markers."""
    found = []
    for piece in _CLAIM_END.split(text):
        if n in {int(m) for m in _MARKERS.findall(piece)}:
            claim = " ".join(_MARKERS.sub("", piece).split()).strip("-*• ")
            if claim:
                found.append(claim)
    return found


def cited_sentences(chunk: str, claims: list[str]) -> list[str]:
    """The sentences of ``chunk`` the claims come from: for each claim, the chunk sentence
    holding most of its words (at least ``MIN_OVERLAP`` of them)."""
    candidates = sentences(chunk)
    picked: list[str] = []
    for claim in claims:
        wanted = words(claim)
        if not wanted:
            continue
        best = max(candidates, key=lambda s: len(wanted & words(s)), default=None)
        if best and len(wanted & words(best)) / len(wanted) >= MIN_OVERLAP and best not in picked:
            picked.append(best)
    return picked


def chunk_text(bot: Any, source: Source) -> str:
    """The whole chunk ``source`` was cut from, or its excerpt when the index no longer has
    it."""
    try:
        chunks = bot.store.get([source.chunk_id]) if source.chunk_id else []
    except BotError:
        chunks = []
    return chunks[0].text.strip() if chunks else source.excerpt


def make_passage(bot: Any, source: Source, n: int, rank: int, claims: list[str],
                 cited: bool = True, instruction_like: bool = False) -> Passage:
    """Passage ``n`` from ``source``: its whole chunk, with the sentences ``claims`` come
    from."""
    text = chunk_text(bot, source)
    return Passage(n=n, title=source.title, source=source.source, cluster=source.cluster,
                   section=source.section, page=source.page, rank=rank, cited=cited, text=text,
                   quotes=cited_sentences(text, claims), instruction_like=instruction_like)


def find_passages(bot: Any, answer: Answer) -> list[Passage]:
    """One passage per source of ``answer``: its chunk and the sentences the answer cites."""
    cited = {s.n for s in answer.cited}
    flagged = set(answer.metadata.get("instruction_like_sources", ()))
    by_score = sorted(answer.sources, key=lambda s: -s.score)
    passages = [make_passage(bot, s, s.n, rank, claims_citing(answer.text, s.n), s.n in cited,
                             s.n in flagged)
                for rank, s in enumerate(by_score, start=1)]
    return sorted(passages, key=lambda p: p.n)


def passage_from_dict(data: dict[str, Any]) -> Passage:
    """A passage back from ``Passage.to_dict``."""
    return Passage(**data)


# ---------------------------------------------------------------- the original files


def corpus_file(settings: Settings, source: str) -> Path | None:
    """The corpus document ``source`` names, or None: only files the indexer reads (no
    sidecars, hidden or ignored files), never a path that leaves the corpus folder."""
    root = settings.corpus_dir.resolve()
    try:
        path = (root / source).resolve()
    except (OSError, ValueError):
        return None
    if root not in path.parents or not path.is_file() or not root.is_dir():
        return None
    listed = {p.resolve() for p in iter_corpus(root)}
    return path if path in listed else None


def corpus_route(settings: Settings) -> Route:
    """``GET /corpus/<source>``: the original document, shown by the browser when it can
    (PDF, text; HTML as its source text), otherwise downloaded. Nothing outside the corpus."""

    def serve(request: Request) -> Response:
        source = unquote(request.path_params["source"])
        path = corpus_file(settings, source)
        if path is None:
            return PlainTextResponse(f"{source} is not a document of the corpus",
                                     status_code=404)
        media = MEDIA_TYPES.get(path.suffix.lower())
        headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
        if media is None:
            return FileResponse(path, filename=path.name, headers=headers)
        if not media.startswith("application/pdf"):
            headers["Content-Security-Policy"] = "sandbox"
        return FileResponse(path, media_type=media, headers=headers,
                            content_disposition_type="inline", filename=path.name)

    return Route(CORPUS_ROUTE + "{source:path}", serve, methods=["GET", "HEAD"])
