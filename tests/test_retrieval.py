"""Filtered dense search: the side index's vectors answer as Chroma's metadata filter does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot import Bot, Settings
from bot.retrieval import build_where, metadata_filter

from .conftest import write_corpus

FILTERS = [{"cluster": "Beta Health Network"}, {"topic": "services"}, {"year": 2023},
           {"country": ["Italy", "Austria"]}, {"topic": "services", "country": "Italy"},
           {"cluster": "No Such Cluster"}]
QUESTIONS = ["What does a small company pay to join?", "How many member companies are there?",
             "Which events does the office organise?"]


def _same_as_chroma(bot: Bot, embeddings) -> None:
    store = bot.store
    assert store.keywords.vectors is not None
    assert store.keywords.vectors.shape == (store.count(), 384)
    for question in QUESTIONS:
        vector = embeddings.embed_query(question)
        for filters in FILTERS:
            by_chroma = store.query(vector, 4, build_where(filters))
            by_side_index = store.query(vector, 4, build_where(filters), metadata_filter(filters))
            assert [c.id for c in by_side_index] == [c.id for c in by_chroma], filters
            assert [c.metadata for c in by_side_index] == [c.metadata for c in by_chroma]
            assert np.allclose([c.score for c in by_side_index], [c.score for c in by_chroma],
                               atol=1e-4)


def test_filtered_search_matches_chroma(bot: Bot, embeddings) -> None:
    _same_as_chroma(bot, embeddings)


@pytest.fixture()
def fresh(tmp_path: Path, embeddings) -> Bot:
    write_corpus(tmp_path / "corpus")
    return Bot(Settings.from_env(), embeddings)


def test_side_index_vectors_follow_updates(fresh: Bot, tmp_path: Path, embeddings) -> None:
    fresh.index()
    beta = tmp_path / "corpus" / "beta-profile.md"
    beta.write_text(beta.read_text() + "\n## Services\nA new regulatory clinic opened in 2024.\n")
    (tmp_path / "corpus" / "gamma-report.txt").unlink()
    fresh.index()
    _same_as_chroma(fresh, embeddings)
    hits = fresh.retrieve("regulatory clinic", filters={"cluster": "Beta Health Network"})
    assert "regulatory clinic" in hits[0].text


def test_an_index_without_side_vectors_still_filters(fresh: Bot, tmp_path: Path) -> None:
    fresh.index()
    for path in (tmp_path / "index").glob("gen-*/bm25/vectors.npy"):
        path.unlink()  # as an index built by an earlier version
    reopened = Bot(Settings.from_env(), fresh.embeddings)
    assert reopened.store.keywords.vectors is None
    hits = reopened.retrieve("What does a small company pay?", filters={"country": "Austria"})
    assert hits and {h.metadata["cluster"] for h in hits} == {"Alpha Bio Cluster"}


def test_questions_in_other_languages_lean_on_keywords_with_the_english_model(
        built_index: Settings, embeddings) -> None:
    """The bundled model is English: a German question weighs its dense ranking at
    BOT_OTHER_LANGUAGE_DENSE_WEIGHT; an English question, or another model, at BOT_DENSE_WEIGHT."""
    from dataclasses import replace

    retriever = Bot(built_index, embeddings).search
    german = retriever.analyser.read("Wie viele Mitglieder hat der Cluster im Jahr 2023?")
    english = retriever.analyser.read("How many members does the cluster have?")
    assert (german.language, english.language) == ("de", "en")
    assert retriever._dense_weight(german) == built_index.other_language_dense_weight == 0.1
    assert retriever._dense_weight(english) == built_index.dense_weight
    retriever.settings = replace(built_index, embedding_backend="ollama", embedding_model="bge-m3")
    assert retriever._dense_weight(german) == built_index.dense_weight
    hits = Bot(built_index, embeddings).retrieve("Wie viele Mitglieder hat Alpha?")
    assert hits, "a question in another language still finds passages"
