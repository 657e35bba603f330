"""Extractive answers: the specific fact, the right entity, citations, abstention."""

from __future__ import annotations

import re

import pytest

from bot import Bot


@pytest.mark.parametrize(
    ("question", "fact", "source"),
    [
        ("When was the Beta Health Network founded?", "2011", "beta-profile.md"),
        ("When was Alpha Bio Cluster founded?", "2005", "alpha-profile.md"),
        ("How much does a small company pay to join Beta Health Network?", "300",
         "beta-profile.md"),
        ("How much does a small company pay to join the Alpha cluster?", "450",
         "alpha-profile.md"),
        ("How many matchmaking events did Gamma organise in 2023?", "14", "gamma-report.txt"),
        ("What share of the Alpha budget comes from membership fees?", "40%",
         "alpha-profile.md"),
    ],
)
def test_states_the_fact_from_the_named_entity(bot: Bot, question: str, fact: str,
                                               source: str) -> None:
    answer = bot.ask(question)
    assert not answer.abstained
    assert fact in answer.text
    assert answer.sources[0].source == source
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert cited and cited <= {s.n for s in answer.sources}
    assert all(answer.sources[n - 1].source == source for n in cited)


def test_sources_carry_metadata(bot: Bot) -> None:
    answer = bot.ask("How satisfied are Beta members?")
    top = answer.sources[0]
    assert (top.n, top.source, top.title, top.cluster) == (
        1, "beta-profile.md", "Beta Health Network profile", "Beta Health Network")
    assert top.section == "Members" and top.page is None and 0 < top.score <= 1.5
    assert "8.1" in top.excerpt


@pytest.mark.parametrize("question", ["What is the best recipe for lasagne?",
                                      "Who won the football world cup in 1998?"])
def test_abstains_on_unrelated_questions(bot: Bot, question: str) -> None:
    answer = bot.ask(question)
    assert answer.abstained
    assert answer.text == "The indexed documents do not answer this question."
    assert answer.sources == []


def test_filters_restrict_sources(bot: Bot) -> None:
    answer = bot.ask("How much does a small company pay to join?",
                     filters={"cluster": "Beta Health Network"})
    assert "300" in answer.text
    assert {s.cluster for s in answer.sources} == {"Beta Health Network"}
    answer = bot.ask("Which services are offered?",
                     filters={"topic": "services", "country": "Italy"})
    assert {s.source for s in answer.sources} == {"gamma-report.txt"}


def test_history_is_accepted(bot: Bot) -> None:
    answer = bot.ask("When was Alpha Bio Cluster founded?",
                     history=[{"role": "user", "content": "Tell me about Alpha."},
                              {"role": "assistant", "content": "Alpha is in Graz."}])
    assert "2005" in answer.text


def test_langchain_retriever(bot: Bot) -> None:
    from langchain_core.retrievers import BaseRetriever

    retriever = bot.retriever(k=2)
    assert isinstance(retriever, BaseRetriever)
    documents = retriever.invoke("satisfaction survey of members")
    assert len(documents) == 2
    assert documents[0].metadata["source"] == "beta-profile.md"
    assert "score" in documents[0].metadata
