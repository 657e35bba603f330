"""Chunking: size, structure, overlap, metadata and stable ids."""

from __future__ import annotations

from bot.chunking import chunk_document
from bot.loading.document import Block, Document
from bot.text import count_tokens, split_sentences


def make_document(blocks: list[Block]) -> Document:
    return Document("guide.md", "Income guide", blocks, {"cluster": "Alpha", "year": 2020})


def sentence(i: int) -> str:
    return f"Sentence number {i} explains how cluster offices earn income from paid services."


def test_chunks_respect_size_and_overlap() -> None:
    long_paragraph = " ".join(sentence(i) for i in range(60))
    chunks = chunk_document(make_document([Block(long_paragraph, ("Income",))]), 100, 20)
    assert len(chunks) > 5
    assert all(count_tokens(c.text) <= 100 for c in chunks)
    for first, second in zip(chunks, chunks[1:]):
        assert split_sentences(first.text)[-1] in second.text  # the overlap repeats a sentence
    assert all(c.heading_path == "Income guide › Income" for c in chunks)
    assert all(c.metadata == {"cluster": "Alpha", "year": 2020} for c in chunks)


def test_sections_start_new_chunks_and_keep_their_path() -> None:
    blocks = [Block(sentence(i), ("Fees",)) for i in range(8)]
    blocks += [Block(sentence(i), ("Fees", "Small companies")) for i in range(8, 16)]
    chunks = chunk_document(make_document(blocks), 150, 30)
    paths = [c.heading_path for c in chunks]
    assert paths[0] == "Income guide › Fees"
    assert "Income guide › Fees › Small companies" in paths
    small = [c for c in chunks if c.section.endswith("Small companies")]
    assert all("number 8 " in c.text or "number 1" in c.text for c in small[:1])


def test_small_sections_travel_together_with_their_heading() -> None:
    blocks = [Block("Founded in 2005.", ("History",)), Block("It has 120 members.", ("Members",))]
    chunks = chunk_document(make_document(blocks), 200, 40)
    assert len(chunks) == 1
    assert chunks[0].text == "Founded in 2005.\nMembers\nIt has 120 members."
    assert chunks[0].section == "History"
    assert chunks[0].headings == ("Members",)  # a line of the text, but no statement


def test_a_heading_a_chunk_enters_is_never_quoted_as_an_answer() -> None:
    from bot.answering.extractive import _quotable
    from bot.retrieval import Hit
    from bot.store import chunk_metadata

    blocks = [Block("- 3.5 FTE in 2024", ("Slide 4 – Team",)),
              Block("Stream: Membership fees | EUR: 142,400", ("Slide 5 – Income 2024",))]
    chunk = chunk_document(make_document(blocks), 200, 40)[0]
    hit = Hit(chunk.id, chunk.text, chunk_metadata(chunk), 0.5, 0.5)
    quoted = [text for _, (text, _) in _quotable(hit)]
    assert "Slide 5 – Income 2024" in chunk.text.splitlines()
    assert "- 3.5 FTE in 2024" in quoted and "Slide 5 – Income 2024" not in quoted


def test_ids_are_stable_and_depend_on_source_and_text() -> None:
    doc = make_document([Block(sentence(1)), Block(sentence(1))])
    first = chunk_document(doc, 12, 0)
    again = chunk_document(doc, 12, 0)
    assert [c.id for c in first] == [c.id for c in again]
    assert len({c.id for c in first}) == len(first)  # equal texts still get distinct ids
    moved = Document("other.md", doc.title, doc.blocks, doc.metadata)
    assert not {c.id for c in chunk_document(moved, 12, 0)} & {c.id for c in first}


def test_page_numbers_follow_chunks() -> None:
    blocks = [Block(" ".join(sentence(i) for i in range(10)), (), page) for page in (1, 2)]
    chunks = chunk_document(make_document(blocks), 120, 0)
    assert chunks[0].page == 1 and chunks[-1].page == 2
