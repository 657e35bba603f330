"""Plain text and Markdown: bytes decoded (UTF-8, else Windows-1252/Latin-1; binary content
refused), YAML front matter read as metadata, headings, table rows and fenced code found line by
line, and the hard-wrapped lines between them re-flowed into paragraphs by ``bot.reflow``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml

from .. import reflow
from ..errors import LoadError
from ..limits import Limits
from .document import Block, Parsed, as_item, clean, looks_like_heading, table_row_text


def decode_text(data: bytes) -> str:
    """Decode bytes as UTF-8, else Windows-1252/Latin-1; refuse binary content."""
    if b"\x00" in data[:65536]:
        raise LoadError("binary content, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        if text.count("\ufffd") > len(text) // 100:
            text = data.decode("latin-1")
    sample = text[:65536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    if sample and (controls / len(sample) > 0.02 or sample.count("\ufffd") / len(sample) > 0.05):
        raise LoadError("binary content, not text")
    return text


def _split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    match = re.match(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", text, re.S)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise LoadError(f"invalid YAML front-matter: {str(exc).splitlines()[0]}") from None
    if not isinstance(meta, dict):
        raise LoadError("front-matter is not a mapping of keys to values")
    return meta, text[match.end() :]


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_TABLE_RULE = re.compile(r"\|?[\s:|-]+\|?")


def _is_table_rule(line: str) -> bool:
    return bool(_TABLE_RULE.fullmatch(line)) and "-" in line


def _parse_lines(text: str, heading_of: Callable[[list[str], int], int | None]) -> Parsed:
    """Shared line parser: ``heading_of(lines, i)`` gives a heading level for line i or None.

    Headings, table rows and fenced code are found line by line; the runs of lines between them
    (and between blank lines) are re-flowed into paragraphs and list items (``bot.reflow``)."""
    lines = text.splitlines()
    title: str | None = None
    stack: list[tuple[int, str]] = []
    items: list[tuple[str | list[str], tuple[str, ...]]] = []  # a block's text, or a run of lines
    run: list[str] = []
    code: list[str] = []

    def section() -> tuple[str, ...]:
        return tuple(h for _, h in stack)

    def flush() -> None:
        if run:
            items.append((list(run), section()))
            run.clear()

    in_fence = False
    header: list[str] | None = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped.startswith("|"):
            header = None
        if stripped.startswith("```"):
            flush()
            if in_fence and code:
                items.append((" ".join(code), section()))
                code.clear()
            in_fence = not in_fence
            continue
        if in_fence:
            code.append(stripped)
            continue
        level = heading_of(lines, i)
        if level is not None:
            flush()
            heading = clean(_MD_HEADING.sub(r"\2", stripped))
            if title is None and not items and level == 1:
                title = heading
                continue
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, heading))
        elif not stripped or _is_table_rule(stripped):
            flush()
        elif stripped.startswith("|"):
            flush()
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            following = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if header is None and _is_table_rule(following):
                header = cells  # the header row labels the cells of the rows below it
                continue
            items.append((table_row_text(cells, header), section()))
        else:
            run.append(line.rstrip())
    flush()
    if code:
        items.append((" ".join(code), section()))
    width = reflow.document_width(content for content, _ in items if isinstance(content, list))
    keep = reflow.hyphenated_words(text)
    blocks: list[Block] = []
    for content, heading_path in items:
        if isinstance(content, str):  # a table row or code
            texts = [clean(content)]
        else:
            texts = [as_item(clean(t))
                     for t in reflow.reflow(content, width_hint=width, keep_hyphen=keep)]
        blocks.extend(Block(body, heading_path) for body in texts if body)
    return Parsed(blocks, title)


def _decode_within(data: bytes, limits: Limits) -> str:
    text = decode_text(data)
    limits.check_chars(len(text))
    return text


def parse_markdown(data: bytes, limits: Limits) -> Parsed:
    """Markdown: front-matter → metadata, ``#`` headings → sections, paragraphs and list items."""
    meta, body = _split_front_matter(_decode_within(data, limits))

    def heading_of(lines: list[str], i: int) -> int | None:
        match = _MD_HEADING.match(lines[i].strip())
        return len(match.group(1)) if match else None

    parsed = _parse_lines(body, heading_of)
    parsed.blocks = [Block(_strip_inline_markdown(b.text), tuple(map(_strip_inline_markdown,
                                                                     b.section)), b.page)
                     for b in parsed.blocks]
    parsed.metadata = meta
    parsed.title = meta.get("title") or parsed.title
    return parsed


def _strip_inline_markdown(text: str) -> str:
    """Links become their text; emphasis and code markers go."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])[*_](?!\s)(.+?)(?<!\s)[*_](?![\w*])", r"\1", text)
    return text.replace("`", "")


_SECTION_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2})*\.?\s+(?=\S)")


def _numbered_heading(lines: list[str], i: int) -> bool:
    """Whether line i, standing between blank lines, is a numbered section heading ("3. Cuentas
    anuales 2023"): a short numbered line without a sentence's end, followed by a paragraph
    rather than by the next item of a numbered list."""
    line = lines[i].strip()
    number = _SECTION_NUMBER.match(line)
    if not number or not looks_like_heading(line[number.end():]):
        return False
    following = next((text.strip() for text in lines[i + 1:] if text.strip()), "")
    return bool(following) and not reflow.is_list_item(following)


def _subtitled(lines: list[str]) -> bool:
    """Whether a text opens with a title line and a subtitle line under it, both heading-like
    ("MedTech Netzwerk Ostalb-Rems e.V." / "Protokoll der 41. Sitzung des Vorstands")."""
    return (len(lines) > 2 and all(looks_like_heading(line) and not reflow.is_key_value(line)
                                   for line in lines[:2])
            and len(lines[1].split()) <= 12)


def _stands_alone(lines: list[str], i: int) -> bool:
    """Whether line i is a line of its own in the re-flowed run of lines it begins."""
    end = next((j for j in range(i, len(lines)) if not lines[j].strip()), len(lines))
    return len(reflow.split_paragraphs(lines[i:end])[0]) == 1


def parse_text(data: bytes, limits: Limits) -> Parsed:
    """Plain text: optional front-matter; a short line standing alone is a heading. Hard-wrapped
    paragraphs are re-flowed; in a text with one paragraph per line every line is one."""
    meta, body = _split_front_matter(_decode_within(data, limits))
    if reflow.is_unwrapped(body.splitlines()):
        body = re.sub(r"\n(?=\S)", "\n\n", body)  # unwrapped text: one line per paragraph

    def heading_of(lines: list[str], i: int) -> int | None:
        line = lines[i].strip()
        before = i == 0 or not lines[i - 1].strip()
        after = i + 1 >= len(lines) or not lines[i + 1].strip()
        following = "" if after else lines[i + 1].strip()
        if i <= 1 and _subtitled(lines):
            return 1  # "BIOEUGANEA CLUSTER" / "Quote associative 2024": title and subtitle
        if before and after and _numbered_heading(lines, i):
            return 2
        if not before or not looks_like_heading(line):
            return None
        runs_in = (not after and len(line.split()) <= 8 and len(following) > len(line)
                   and not (reflow.is_key_value(line) and reflow.is_key_value(following))
                   and _stands_alone(lines, i))
        if after or runs_in:
            return 1 if not any(line.strip() for line in lines[:i]) else 2
        return None

    parsed = _parse_lines(body, heading_of)
    if parsed.title is None:  # a first line that runs into its paragraph can still be a title
        first = body.strip().splitlines()[0] if body.strip() else ""
        if looks_like_heading(first) and parsed.blocks and parsed.blocks[0].text.startswith(first):
            parsed.title = first.strip()
            rest = parsed.blocks[0].text[len(first.strip()) :].strip()
            parsed.blocks = ([Block(rest)] if rest else []) + parsed.blocks[1:]
    parsed.metadata = meta
    parsed.title = meta.get("title") or parsed.title
    return parsed
