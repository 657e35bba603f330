"""Re-flowing hard-wrapped text: physical lines → whole paragraphs.

Plain-text reports and e-mails, the text pypdf extracts from a PDF page and Word paragraphs with
manual line breaks are hard-wrapped: a sentence runs on over several lines. ``reflow`` joins the
lines of a paragraph again and keeps apart what a line break means: list items, "Key: value"
lines, table rows and short lines that stand on their own (a contact block, slide bullets).

A line break is a wrap when the next line starts in lower case, or when the line runs to the
paragraph's wrap width (the next line's first word would not have fitted). The wrap width is read
from the paragraph's own line lengths: its longest line, trusted when enough of its lines run to
it and its text runs on over the breaks. A paragraph too short to show a width takes the
document's (``document_width``); one whose lines show none keeps them apart. Within a sentence a
line counts as full with some tolerance (proportional PDF fonts), so that no sentence is cut;
after a sentence's end it must leave no room for the next word, or a new paragraph begins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence

MAX_WRAP_WIDTH = 150  # a longer line was not wrapped: nobody hard-wraps text that wide
FULL = 0.85  # a line "runs to the width" when it and the next word fill 85% of it or more
# (proportional PDF fonts put 10-15% more or fewer characters on a full line)

BULLET = re.compile(r"^\s*[-*+•▪◦‣]\s+")
NUMBERED = re.compile(r"^\s*(?:\d{1,3}[.)]|[a-z][.)]|[ivx]{2,4}\)|\([a-z\d]{1,3}\))\s+")
LIST_ITEM = re.compile(f"{BULLET.pattern}|{NUMBERED.pattern}")
_KEY_WORD = r"[^\W_][\w'’&/()+-]*"
KEY_VALUE = re.compile(rf"^[*_]{{0,2}}{_KEY_WORD}(?: {_KEY_WORD}){{0,3}}\.?[*_]{{0,2}}[ \u00a0]?:"
                       rf"[*_]{{0,2}}\s+\S")
_SENTENCE_END = (".", "!", "?", ":")
_BLOCK_END = (".", ":", ";", "!", "?")
_SUSPENDED = {"and", "or", "nor", "to", "und", "oder", "bis", "et", "ou"}  # "pre- and post-"


def is_list_item(line: str) -> bool:
    """Whether the line starts a list item: ``-``, ``*``, ``•``, ``1.``, ``a)``, ``(ii)`` ..."""
    return bool(LIST_ITEM.match(line))


def is_key_value(line: str) -> bool:
    """Whether the line is a "Key: value" line ("Founded: 1997", French "Lieu : Grenoble"): a
    capitalised key of at most four words, a colon and a value."""
    line = line.strip().lstrip("*_")
    return bool(KEY_VALUE.match(line)) and line[0].isupper()


def is_table_row(line: str) -> bool:
    """Whether the line is a table row as text ("Fee: EUR 500 | Members: 46")."""
    return " | " in line


def starts_lower(line: str) -> bool:
    """Whether the line continues a sentence: it starts with a lower-case word (not a name
    such as "bioPmed" or "eHealth") or with a comma, semicolon or closing parenthesis."""
    text = line.lstrip()
    if not text:
        return False
    if text[0] in ",;)]":
        return True
    word = text.split()[0]
    return word[0].islower() and not any(ch.isupper() for ch in word)


def wrap_width(lines: Sequence[str], alone: Collection[int] = ()) -> int:
    """The longest line that can have been wrapped (table rows, lines standing alone and lines
    longer than ``MAX_WRAP_WIDTH`` left out); 0 when there is none."""
    return max((len(line.strip()) for i, line in enumerate(lines)
                if i not in alone and not is_table_row(line)
                and len(line.strip()) <= MAX_WRAP_WIDTH), default=0)


def is_unwrapped(lines: Sequence[str]) -> bool:
    """Whether a text has one paragraph per line: at least a tenth of its lines are longer
    than any hard wrap (a single long line, such as a URL, does not make a text unwrapped)."""
    filled = [line for line in lines if line.strip()]
    long = sum(1 for line in filled if len(line.strip()) > MAX_WRAP_WIDTH)
    return long > 0 and long * 10 >= len(filled)


def document_width(runs: Iterable[Sequence[str]]) -> int | None:
    """The wrap width of a document: the median width of its paragraphs (runs of lines) that
    show one. None when none does."""
    widths = sorted(width for run in runs if (width := _shown_width(run, ())) is not None)
    return widths[len(widths) // 2] if widths else None


def split_paragraphs(lines: Sequence[str], *, width_hint: int | None = None,
                     alone: Collection[int] = ()) -> list[list[str]]:
    """Group the lines of a run of text (no blank lines inside) into paragraphs, list items and
    lines of their own; each group is its lines, stripped. ``alone`` are indexes of lines that
    stand on their own whatever they look like (headings found by the caller); ``width_hint``
    is the document's wrap width, used when the run is too short to show its own. A run whose
    lines do not run to a common width (a contact block, slide bullets) keeps its lines apart,
    except a line that starts in lower case."""
    stripped = [line.strip() for line in lines]
    if len(stripped) < 2:
        return [stripped] if stripped and stripped[0] else []
    alone = set(alone) | {i for i, line in enumerate(stripped) if is_table_row(line)}
    width = _shown_width(lines, alone)
    fallback = max(wrap_width(lines, alone), width_hint or 0) or None
    if width is None and len(_breaks(stripped, alone)) < 2:  # too short to show a width
        width = fallback
    # otherwise its lines do not run to a common width: lines of their own (a contact block);
    # but a line after a list item's line that runs to the width continues the item
    groups: list[list[str]] = []
    first = 0  # index of the current group's first line
    for i, line in enumerate(stripped):
        if not line:
            continue
        in_item = is_list_item(stripped[first])
        if groups and i - 1 not in alone and i not in alone and stripped[i - 1] and _continues(
                stripped[first], stripped[i - 1], line, width or (fallback if in_item else None),
                _indent(lines[first]), _indent(lines[i])):
            groups[-1].append(line)
        else:
            groups.append([line])
            first = i
    return groups


def join_lines(lines: Sequence[str], keep_hyphen: Collection[str] = ()) -> str:
    """Join the lines of one paragraph with spaces. A word hyphenated at a line end ("mem-" +
    "bers") is joined back; the hyphen stays when the hyphenated form is in ``keep_hyphen``
    ("start-ups") or a capital or digit is next to it ("EU-funded", "2016-2018"), and a
    suspended hyphen keeps its space ("pre- and post-event")."""
    text = ""
    for line in lines:
        line = line.strip()
        if not text:
            text = line
            continue
        before = re.search(r"(\w+)-$", text[-80:]) if text.endswith("-") else None
        after = re.match(r"\w+", line)
        if before and after and after.group().lower() not in _SUSPENDED:
            compound = f"{before.group(1)}-{after.group()}".lower()
            hyphenated = (before.group(1)[-1].islower() and starts_lower(line)
                          and compound not in keep_hyphen)
            text = (text[:-1] if hyphenated else text) + line  # "mem-bers", "EU-funded"
        else:
            text = f"{text} {line}"
    return text


def hyphenated_words(text: str) -> set[str]:
    """The hyphenated words written within a line of ``text`` ("start-ups"), lower-cased: a
    word hyphenated at a line end keeps its hyphen when the text writes it so elsewhere."""
    if not re.search(r"\w-[ \t]*$", text, re.M):  # no line ends with a hyphen: nothing to keep
        return set()
    return {m.group().lower() for m in re.finditer(r"\b\w+(?:-\w+)+", text)}


def reflow(lines: Sequence[str], *, width_hint: int | None = None,
           alone: Collection[int] = (), keep_hyphen: Collection[str] = ()) -> list[str]:
    """The paragraphs, list items and lines of their own of a run of lines, each as one line
    (see ``split_paragraphs`` and ``join_lines``)."""
    groups = split_paragraphs(lines, width_hint=width_hint, alone=alone)
    return [join_lines(group, keep_hyphen) for group in groups]


# ---------------------------------------------------------------- pages (PDF)


def runs_on(last: str, first: str, width: int | None) -> bool:
    """Whether ``first``, the first line of a page, continues ``last``, the last line of the
    page before: it starts in lower case, or ``last`` runs to the width without ending a
    sentence and ``first`` starts no list item."""
    if not last or last.endswith((".", "!", "?")):
        return False
    return starts_lower(first) or (not is_list_item(first) and not fits(last, first, width))


def page_headings(lines: list[str], looks_like_heading: Callable[[str], bool]
                  ) -> tuple[list[str], set[int]]:
    """The lines of a PDF page with each heading on one line, and the indexes of the headings.

    A heading is a short line that looks like one (``looks_like_heading``), comes after a line
    that ends a sentence or that its first word would have fitted after (no wrap broke the line
    before it), and is followed by a new block, not by the rest of a sentence. A wrapped
    heading's lower-case second line is joined to it; two "Key: value" lines in a row are not
    headings."""
    width = wrap_width(lines)

    def short(line: str) -> bool:
        return len(line) < 0.6 * width and len(line) < 70

    def tail(line: str) -> bool:  # the lower-case second line of a wrapped heading
        return starts_lower(line) and short(line) and not line.endswith(_BLOCK_END)

    merged: list[str] = []
    headings: set[int] = set()
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if len(merged) - 1 in headings and tail(line) and len(merged[-1]) + len(line) < 80:
            merged[-1] = f"{merged[-1]} {line}"
            continue
        previous = merged[-1] if merged else ""
        after_block = (not previous or len(merged) - 1 in headings
                       or previous.endswith(_BLOCK_END)
                       or fits(previous, line, width, tolerance=1.0))
        key_values = is_key_value(line) and (is_key_value(previous) or is_key_value(following))
        if (looks_like_heading(line) and short(line) and after_block and not key_values
                and (not following or not starts_lower(following) or tail(following))):
            headings.add(len(merged))
        merged.append(line)
    return merged, headings


# ---------------------------------------------------------------- the decision per line break


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def fits(previous: str, line: str, width: int | None, tolerance: float = FULL) -> bool:
    """Whether the first word of ``line`` would have fitted after ``previous`` within ``width``
    (less ``tolerance``): then no wrap broke the line there. Always true for a line shorter
    than 60% of the width (a long next word does not make a short line full) and for a line
    too long to have been wrapped; false when the width is unknown."""
    if width is None:
        return False
    if len(previous) > MAX_WRAP_WIDTH or len(previous) < 0.6 * width:
        return True
    return len(previous) + 1 + len(line.split()[0]) < tolerance * width


def _full(previous: str, line: str, width: int | None) -> bool:
    """Whether ``previous`` runs to the wrap width (within the tolerance of ``FULL``)."""
    return width is not None and not fits(previous, line, width)


def _starts_block(line: str) -> bool:
    return bool(BULLET.match(line) or NUMBERED.match(line) or is_key_value(line))


def _breaks(stripped: Sequence[str], alone: Collection[int]) -> list[int]:
    """The lines after a line break whose meaning rests on the width (not a list item, a "Key:
    value" line or a line standing alone)."""
    return [i for i in range(1, len(stripped))
            if stripped[i] and stripped[i - 1] and i not in alone and i - 1 not in alone
            and not _starts_block(stripped[i])]


def _shown_width(lines: Sequence[str], alone: Collection[int]) -> int | None:
    """The run's own wrap width when the run shows it: at least two line breaks that rest on
    the width, more than a third of them at it (the others end paragraphs), and text that runs
    on over them (a line continues in lower case, or the run ends a sentence where most of its
    line breaks do not). None otherwise: too short to tell, or lines of their own (a contact
    block, slide bullets)."""
    if len(lines) < 3:  # fewer than two line breaks
        return None
    stripped = [line.strip() for line in lines]
    alone = set(alone) | {i for i, line in enumerate(stripped) if is_table_row(line)}
    width = wrap_width(stripped, alone)
    if not width:
        return None
    breaks = _breaks(stripped, alone)
    full = sum(1 for i in breaks if _full(stripped[i - 1], stripped[i], width))
    if len(breaks) < 2 or full * 3 <= len(breaks):
        return None
    # prose runs on: a line continues in lower case, or the run ends a sentence that its line
    # breaks do not (slide bullets all start with a capital and end alike)
    runs_on = any(starts_lower(stripped[i]) for i in breaks)
    ends = sum(1 for i in breaks if stripped[i - 1].endswith(_SENTENCE_END))
    ends_sentence = stripped[-1].endswith(_SENTENCE_END) and ends * 2 < len(breaks)
    return width if runs_on or ends_sentence else None


def _continues(first: str, previous: str, line: str, width: int | None, first_indent: int,
               indent: int) -> bool:
    """Whether ``line`` continues the paragraph (or list item) that began with ``first`` and
    whose last line so far is ``previous``."""
    if BULLET.match(line):
        return False
    if re.search(r"[^\W\d_]-$", previous) and starts_lower(line):
        return True  # a word hyphenated at the line end
    full = _full(previous, line, width)
    if NUMBERED.match(line) and (not full or is_list_item(first)):
        return False  # after a full line, "12. " may be the end of a sentence running on
    if is_key_value(line) and (not full or is_key_value(first)):
        return False
    if starts_lower(line):
        return True
    if is_list_item(first) and indent > first_indent:
        return True  # an item's indented continuation line
    if previous.endswith((".", "!", "?")):  # a capital after a sentence: a new paragraph
        # unless no room was left for its first word at all
        return width is not None and not fits(previous, line, width, tolerance=1.0)
    return full
