"""Fit how common a word of a cluster's name may be and still name the cluster on its own.

A question may name a cluster by one word unique to its name ("warta" for Warta MedTech
Cluster). When that word is a common word ("food" of Kurzeme Food Cluster, "valley" of Sava
Valley MedTech Cluster), it often belongs to another organisation's name ("food & bio cluster
denmark", "medicon valley alliance"). For every development question in which a cluster is
named by one such word alone (in lower case, no other word of its name beside it, the name
not written in full), this records how common the word is (wordfreq's Zipf frequency in
English) and whether the question is about that cluster (its ``organisations``). The
threshold is the midpoint that keeps most right readings and drops most wrong ones; of equally
good ones, the highest.
Writes ``bot/question/name_words.json``.

Run from the repository root, with indexes built as the README's evaluation section says:

    .venv/bin/python scripts/fit_name_words.py \\
        eval/questions.jsonl=/tmp/own-index eval/blind-c/questions.jsonl=/tmp/bc-index
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from bot.api import Bot
from bot.config import Settings
from bot.evaluation.questions import load_questions, select_split
from bot.question import names
from bot.text import fold, words

OUTPUT = Path(names.__file__).with_name("name_words.json")


def readings(bot: Bot, questions: list) -> list[tuple[float, bool]]:
    """(Zipf frequency, about that cluster) of each cluster named by one word of its name."""
    matcher = bot.search.analyser.entities
    found = []
    for q in questions:
        folded = fold(q.question)
        if any(re.search(rf"\b{re.escape(fold(n))}\b", folded)
               for n in [*matcher.names, *matcher.aliases]):
            continue
        tokens = words(folded)
        capitalised = names.capitalised_words(q.question)
        asked = {fold(o) for o in q.organisations}
        for position, word in enumerate(tokens):
            cluster = matcher.keys.get(word)
            others = names.name_words(cluster or "") - {word}
            if (cluster and word not in capitalised
                    and not others & set(tokens[max(position - 1, 0):position + 2])):
                found.append((names.zipf(word), fold(cluster) in asked))
    return found


def threshold(found: list[tuple[float, bool]]) -> tuple[float, int]:
    """The Zipf frequency from which a word no longer names a cluster alone, and how many
    readings it gets right."""
    values = sorted({z for z, _ in found})
    cuts = [(a + b) / 2 for a, b in zip(values, values[1:], strict=False)] + [values[-1] + 1]

    def right(cut: float) -> int:
        return sum((z < cut) == about for z, about in found)

    best = max(cuts, key=lambda cut: (right(cut), cut))
    return round(best, 2), right(best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", help="SET=INDEX pairs (question set, its index)")
    args = parser.parse_args()
    found: list[tuple[float, bool]] = []
    fitted_on = []
    for pair in args.sets:
        questions_file, index = pair.split("=", 1)
        questions = load_questions(Path(questions_file))
        split = any(q.split for q in questions)
        found += readings(Bot(Settings.from_env(index_dir=Path(index))),
                          select_split(questions, "dev") if split else questions)
        fitted_on.append(f"{questions_file} (dev)" if split else questions_file)
    cut, right = threshold(found)
    OUTPUT.write_text(json.dumps({
        "version": 1, "fitted_on": fitted_on, "common_word_zipf": cut,
        "readings": len(found), "right": right,
        "about_the_cluster": sum(about for _, about in found)}, indent=1) + "\n",
        encoding="utf-8")
    print(f"common_word_zipf {cut}: {right} of {len(found)} readings right -> {OUTPUT}")


if __name__ == "__main__":
    main()
