"""Fit the extractive answerer's sentence scorer (bot/answering/scoring.py).

For every development question of the given sets, the question is retrieved and analysed as the
bot does it, and each quotable piece of the hits becomes a row: its features, and whether it
states a key fact of the question from one of its expected documents (unanswerable questions
give negative rows only). A logistic regression is fitted on those rows, its regularisation
strength chosen by 5-fold cross-validation. Then the lowest score an answer may rest on
(``min_evidence``) and the window for further sentences are chosen by asking the development
questions again: the pair that answers most of them right (the fact in the answer, or an
abstention where there is no answer); of pairs equally right, the more cautious (the higher
``min_evidence``).
Writes ``bot/answering/weights.json``.

Run from the repository root, with indexes built as the README's evaluation section says (a
set without splits, such as a blind set once measured, is used whole):

    .venv/bin/python scripts/fit_answer_weights.py \\
        eval/questions.jsonl=/tmp/own-index eval/multilingual/questions.jsonl=/tmp/mixed-index \\
        eval/blind-c/questions.jsonl=/tmp/bc-index eval/blind-d/questions.jsonl=/tmp/bd-index
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score

from bot.answering import scoring
from bot.answering.extractive import ExtractiveAnswerer
from bot.api import Bot
from bot.config import Settings
from bot.evaluation.answers import facts_present, run_questions
from bot.evaluation.questions import load_questions, select_split

STRENGTHS = (0.01, 0.1, 1.0, 10.0)
EVIDENCE = (0.01, 0.02, 0.03, 0.04, 0.05, 0.07, 0.1)
WINDOWS = (0.05, 0.1, 0.2)


def rows(bot: Bot, questions: list) -> tuple[list[dict[str, float]], list[int]]:
    """Features and labels of every quotable piece the bot sees for ``questions``."""
    answerer: ExtractiveAnswerer = bot.answerer
    features, labels = [], []
    for q in questions:
        if q.follows:  # follow-ups are made standalone by the conversation stage first
            continue
        analysed, hits = bot._prepare(q.question, None, None, None)
        for candidate in answerer._score(analysed.parts[0], hits):
            source = hits[candidate.hit_rank].source
            states = (source in q.expected_sources and bool(q.key_facts)
                      and facts_present(candidate.text, q.key_facts))
            features.append(candidate.features)
            labels.append(int(states))
    return features, labels


def right(results: list) -> float:
    """The share of questions answered right: the fact stated, or no answer where none is."""
    good = [(r.facts_found if r.answerable else r.abstained) for r in results
            if not r.answerable or r.facts_found is not None]
    return sum(map(bool, good)) / max(1, len(good))


def _development(questions: list) -> list:
    """The dev split of a set that has one; a set without splits (a blind set measured and
    turned into development material) is development material whole."""
    return select_split(questions, "dev") if any(q.split for q in questions) else questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", help="SET=INDEX pairs (question set, its index)")
    args = parser.parse_args()
    pairs = [(Path(s), Path(i)) for s, i in (pair.split("=", 1) for pair in args.sets)]
    bots = {index: Bot(Settings.from_env(index_dir=index)) for _, index in pairs}
    sets = [(_development(load_questions(s)), bots[i]) for s, i in pairs]
    x, y = [], []
    for questions, bot in sets:
        features, labels = rows(bot, questions)
        x += features
        y += labels
    names = list(x[0])  # the features the answerer computes, in its order
    x_array, y_array = np.array([[row[n] for n in names] for row in x]), np.array(y)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    cv = {c: cross_val_score(LogisticRegression(C=c, max_iter=2000), x_array, y_array,
                             cv=folds, scoring="average_precision").mean() for c in STRENGTHS}
    strength = max(cv, key=cv.get)
    model = LogisticRegression(C=strength, max_iter=2000).fit(x_array, y_array)
    fitted = {"weights": {n: round(float(w), 4) for n, w in zip(names, model.coef_[0])},
              "bias": round(float(model.intercept_[0]), 4)}
    print(f"{len(y)} pieces, {sum(y)} state a key fact; C={strength} "
          f"(cv average precision {cv[strength]:.3f})\n{fitted}")
    scoring.WEIGHTS_FILE.write_text(json.dumps({**fitted, "min_evidence": 0.5, "window": 0.1}))
    scoring.sentence_scorer.cache_clear()
    best, best_right = (0.5, 0.1), -1.0
    for evidence in EVIDENCE:
        for window in WINDOWS:
            scores = []
            for questions, bot in sets:
                bot.answerer.min_evidence, bot.answerer.window = evidence, window
                scores.append(right(run_questions(bot, questions)))
            mean = sum(scores) / len(scores)
            print(f"min_evidence {evidence} window {window}: right {scores} mean {mean:.3f}")
            if mean >= best_right:  # equally right: the more cautious
                best, best_right = (evidence, window), mean
    result = {"version": 1, "fitted_on": [f"{s} (dev)" for s, _ in pairs],
              "model": f"logistic regression, C={strength}", **fitted,
              "min_evidence": best[0], "window": best[1],
              "dev_right": round(best_right, 4), "dev_pieces": len(y),
              "dev_positive": sum(y)}
    scoring.WEIGHTS_FILE.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {scoring.WEIGHTS_FILE}: min_evidence {best[0]}, window {best[1]}, "
          f"dev right {best_right:.3f}")


if __name__ == "__main__":
    main()
