"""Fit the extractive answerer's sentence scorer on the development split.

For every answerable dev question, each candidate sentence the answerer would consider is
labelled by whether it holds the question's key facts; a logistic regression over the
sentence features is fitted to those labels. The abstention threshold is then chosen on all
dev questions (unanswerable ones included) to balance answering the answerable and abstaining
on the rest. The result is written to ``bot/answering/scorer.json``.

    python scripts/fit_scorer.py --index /tmp/dev-index   # an index of corpus/

The test split and the blind set are never read here.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from bot import Bot
from bot.answering.extractive import ExtractiveAnswerer, eligible
from bot.answering.scorer import FEATURES, SCORER_FILE, Scorer, fit_logistic, load_scorer
from bot.evaluation import facts_present, load_questions

ROOT = Path(__file__).resolve().parent.parent


def examples(bot: Bot, answerer: ExtractiveAnswerer, questions) -> tuple[list, list, list]:
    """Feature rows and labels of candidate sentences, grouped per question part, and per
    question the best probability with whether the question is answerable."""
    by_id = {q.id: q for q in questions}
    groups, best = [], []
    for q in questions:
        history = []
        if q.follows:
            first = by_id[q.follows]
            history = [{"role": "user", "content": first.question},
                       {"role": "assistant", "content": bot.ask(first.question).text}]
        question = bot.analyse(q.question, history)
        hits = bot.search.search(bot.search.prepare(question), bot.settings.top_k)
        asks = list(question.sides.values()) if question.sides else (
            question.parts if len(question.parts) > 1 else [question.ask])
        top = 0.0
        for ask in asks:
            candidates = [c for c in answerer.candidates(ask, question, hits) if eligible(c)]
            top = max([top, *(c.probability for c in candidates)])
            if not q.key_facts:
                continue
            needs_all = len(asks) == 1
            rows, labels = [], []
            for candidate in candidates:
                found = [facts_present(candidate.text, [f]) for f in q.key_facts]
                rows.append([candidate.features[name] for name in FEATURES])
                labels.append(int(all(found) if needs_all else any(found)))
            if rows:
                groups.append((rows, labels))
        best.append((top, q.answerable))
    return groups, best


def threshold(best: list[tuple[float, bool]]) -> float:
    """The threshold that maximises balanced accuracy of answering vs abstaining (the
    middle of the best interval)."""
    answerable = [p for p, a in best if a]
    unanswerable = [p for p, a in best if not a]
    points = sorted({p for p, _ in best})
    cuts = [(a + b) / 2 for a, b in zip(points, points[1:])] or [0.5]

    def balanced(t: float) -> float:
        answered = sum(p >= t for p in answerable) / max(1, len(answerable))
        abstained = sum(p < t for p in unanswerable) / max(1, len(unanswerable))
        return answered + abstained

    top = max(balanced(t) for t in cuts)
    good = [t for t in cuts if balanced(t) >= top - 1e-9]
    return (good[0] + good[-1]) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="an index of corpus/")
    parser.add_argument("--set", type=Path, default=ROOT / "eval" / "questions.jsonl")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--rounds", type=int, default=2,
                        help="fit again with the first model's answers as conversation history")
    parser.add_argument("--out", type=Path, default=SCORER_FILE)
    args = parser.parse_args()
    questions = [q for q in load_questions(args.set) if q.split == args.split]
    if not questions:
        raise SystemExit(f"no questions of split {args.split!r} in {args.set}")
    scorer = Scorer(tuple(0.0 for _ in FEATURES), 0.0, 0.5)
    for _ in range(args.rounds):
        bot = Bot.open(args.index)
        answerer = ExtractiveAnswerer(bot.embeddings.embed_documents, scorer=scorer)
        bot._answerer = answerer
        groups, _ = examples(bot, answerer, questions)
        rows = [row for group_rows, _ in groups for row in group_rows]
        labels = [label for _, group_labels in groups for label in group_labels]
        weights, bias = fit_logistic(rows, labels)
        scorer = Scorer(tuple(weights), bias, 0.5)
        answerer.scorer = scorer
        _, best = examples(bot, answerer, questions)
        scorer = Scorer(tuple(weights), bias, threshold(best))
        bot.close()
    about = {"fitted_on": f"{args.set.relative_to(ROOT)} split={args.split}",
             "questions": len(questions), "sentences": len(labels), "positives": sum(labels),
             "date": date.today().isoformat()}
    args.out.write_text(json.dumps(scorer.to_dict(**about), indent=2) + "\n", encoding="utf-8")
    load_scorer.cache_clear()
    print(json.dumps(scorer.to_dict(**about), indent=2))


if __name__ == "__main__":
    main()
