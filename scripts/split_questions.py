"""Split an evaluation set into a development and a test half.

Adds ``"split": "dev"`` or ``"split": "test"`` to every question of a JSON-lines set, in place.
The split is seeded (the same file and seed give the same split), stratified by kind (each kind
is halved on its own), and a follow-up question always goes with the question it follows: a
whole chain is assigned at once. Questions that already have a split keep it, so questions added
later are assigned without moving any test question into the development half (``--reassign``
starts over).

Run from the repository root: ``.venv/bin/python scripts/split_questions.py``; it prints the
number of questions of each kind in each half.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

from bot.evaluation.questions import SPLITS

ROOT = Path(__file__).resolve().parent.parent
SEED = 20241130


def chains(rows: list[dict]) -> dict[str, list[dict]]:
    """The questions grouped by the first question of their follow-up chain (its id)."""
    by_id = {row["id"]: row for row in rows}

    def first(row: dict) -> str:
        seen = set()
        while row.get("follows") and row["id"] not in seen:
            seen.add(row["id"])
            if row["follows"] not in by_id:
                raise SystemExit(f"question {row['id']} follows {row['follows']}, "
                                 "which is not in the set")
            row = by_id[row["follows"]]
        return row["id"]

    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups[first(row)].append(row)
    return dict(groups)


def assign(rows: list[dict], seed: int = SEED, reassign: bool = False) -> None:
    """Set ``row["split"]`` on every row: chains together, each kind halved, seeded."""
    groups = chains(rows)

    def kept(root: str) -> str | None:
        """The split a chain already has (None: to be assigned)."""
        splits = {m.get("split") for m in groups[root]} - {None}
        if reassign or not splits:
            return None
        if len(splits) > 1:
            raise SystemExit(f"the chain of {root} is in both splits: fix it or --reassign")
        return splits.pop()

    strata: dict[str, list[str]] = defaultdict(list)
    for root, members in groups.items():
        strata["+".join(sorted({m["kind"] for m in members}))].append(root)
    total = Counter({split: 0 for split in SPLITS})
    for root, members in groups.items():
        if kept(root):
            total[kept(root)] += len(members)
    for stratum in sorted(strata):
        roots = sorted(strata[stratum])
        rng = random.Random(f"{seed}/{stratum}")
        rng.shuffle(roots)
        count = Counter({split: 0 for split in SPLITS})
        for root in roots:
            if kept(root):
                count[kept(root)] += len(groups[root])
        for root in roots:
            split = kept(root)
            if split is None:
                # the half with fewer questions of this kind, then fewer in all, then by lot
                split = min(SPLITS, key=lambda s: (count[s], total[s], rng.random()))
                count[split] += len(groups[root])
                total[split] += len(groups[root])
            for member in groups[root]:
                member["split"] = split


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", type=Path, default=ROOT / "eval" / "questions.jsonl",
                        help="the JSON-lines question set to split in place")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--reassign", action="store_true",
                        help="ignore the splits already in the file and split anew")
    args = parser.parse_args(argv)
    lines = args.set.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    assign(rows, args.seed, args.reassign)
    args.set.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows),
                        encoding="utf-8")
    table = Counter((row["kind"], row["split"]) for row in rows)
    for kind in sorted({row["kind"] for row in rows}):
        print(f"{kind:>14}: " + "  ".join(f"{s} {table[kind, s]:>3}" for s in SPLITS))
    print(f"{'all':>14}: " + "  ".join(
        f"{s} {sum(row['split'] == s for row in rows):>3}" for s in SPLITS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
