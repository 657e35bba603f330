"""The sentence scorer: fitted weights read from bot/answering/weights.json and used as is."""

from __future__ import annotations

import json

from bot.answering.extractive import ExtractiveAnswerer
from bot.answering.scoring import WEIGHTS_FILE, sentence_scorer
from bot.retrieval import Hit

from .conftest import dedent


def test_the_weights_file_covers_every_feature_the_answerer_computes(bot) -> None:
    fitted = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    assert "dev" in " ".join(fitted["fitted_on"]) and fitted["dev_positive"] > 0
    answerer: ExtractiveAnswerer = bot.answerer
    question = "How many members does the Alpha Bio Cluster have?"
    analysed, hits = bot._prepare(question, None, None, None)
    candidates = answerer._score(analysed.parts[0], hits)
    assert candidates and set(candidates[0].features) == set(fitted["weights"])
    assert all(0 < c.score < 1 for c in candidates)


def test_scores_follow_the_fitted_weights() -> None:
    scorer = sentence_scorer()
    plain = {name: 0.0 for name in scorer.weights}
    for name, weight in scorer.weights.items():
        raised = scorer.score({**plain, name: 1.0})
        assert (raised > scorer.score(plain)) == (weight > 0), name
    assert ExtractiveAnswerer(lambda texts: []).min_evidence == scorer.min_evidence
    assert ExtractiveAnswerer(lambda texts: [], min_evidence=0.3).min_evidence == 0.3


def test_a_sentence_holding_the_kind_asked_outranks_one_without(bot) -> None:
    text = dedent("""\
        The Alpha Bio Cluster has a friendly and dedicated team.
        The Alpha Bio Cluster has 12 people in its team.""")
    hit = Hit("alpha", text, {"source": "alpha-profile.md", "cluster": "Alpha Bio Cluster"},
              1.0, 0.6, matched_entity=True)
    answer = bot.answerer.answer(
        bot.analyse("How many people are in the team of the Alpha Bio Cluster?"), [hit])
    assert answer.text.startswith("Alpha Bio Cluster: The Alpha Bio Cluster has 12 people")
