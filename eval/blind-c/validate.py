#!/usr/bin/env python3
"""Validate the blind-c evaluation set (standard library only).

Checks:
  * questions.jsonl parses, required fields present, kinds valid, ids unique
  * every expected source exists in docs/
  * every key fact (at least one "|" alternative) occurs in at least one
    expected source (case-insensitive, whitespace-normalised)
  * follow-ups point to existing, earlier ids
  * unanswerable questions have no sources and no key facts
  * minimum counts per kind
  * plain-text documents are hard-wrapped (no line longer than 78 chars)
Warnings (not failures): answerable questions whose key facts also all occur
in a document that is not listed as expected source (possible missing source).
"""
import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(HERE, "docs")
QFILE = os.path.join(HERE, "questions.jsonl")

KINDS = {"fact", "table", "practice", "comparison", "aggregation",
         "followup", "unanswerable"}
MINIMUMS = {
    "total": 70,
    "fact": 30,
    "table": 10,
    "practice": 10,
    "comparison+aggregation": 10,
    "unanswerable": 10,
}
REQUIRED = ["id", "kind", "question", "expected_sources", "key_facts",
            "organisations"]


def norm(s):
    return re.sub(r"\s+", " ", s).strip().casefold()


def main():
    errors, warnings = [], []
    docs = {}
    for name in sorted(os.listdir(DOCS)):
        path = os.path.join(DOCS, name)
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        docs[name] = norm(text)
        if name.endswith(".txt"):
            for n, line in enumerate(text.splitlines(), 1):
                if len(line) > 78:
                    errors.append(f"{name}:{n}: line longer than 78 chars")

    questions = []
    with open(QFILE, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                questions.append(json.loads(line))
            except json.JSONDecodeError as exc:
                errors.append(f"questions.jsonl:{n}: bad JSON: {exc}")

    seen = set()
    kinds = Counter()
    for q in questions:
        qid = q.get("id", "?")
        for field in REQUIRED:
            if field not in q:
                errors.append(f"{qid}: missing field {field}")
        if qid in seen:
            errors.append(f"{qid}: duplicate id")
        kind = q.get("kind")
        if kind not in KINDS:
            errors.append(f"{qid}: unknown kind {kind!r}")
        kinds[kind] += 1
        srcs = q.get("expected_sources", [])
        keys = q.get("key_facts", [])
        if kind == "unanswerable":
            if srcs or keys:
                errors.append(f"{qid}: unanswerable must have empty sources and key facts")
        else:
            if not srcs:
                errors.append(f"{qid}: no expected sources")
            if not keys:
                errors.append(f"{qid}: no key facts")
        for s in srcs:
            if s not in docs:
                errors.append(f"{qid}: expected source {s} does not exist")
        present = [docs[s] for s in srcs if s in docs]
        for k in keys:
            alts = [norm(a) for a in k.split("|") if a.strip()]
            if not any(a in d for a in alts for d in present):
                errors.append(f"{qid}: key fact {k!r} not found in expected sources")
        if kind == "followup" or "follows" in q:
            target = q.get("follows")
            if not target:
                errors.append(f"{qid}: followup without 'follows'")
            elif target not in seen:
                errors.append(f"{qid}: follows {target!r}, which is not an earlier id")
        # possible missing sources (warning only)
        if keys and kind != "unanswerable":
            for name, d in docs.items():
                if name in srcs:
                    continue
                if all(any(norm(a) in d for a in k.split("|") if a.strip()) for k in keys) \
                        and any(norm(o.split()[0]) in d for o in q.get("organisations", [])):
                    if all(len(norm(a)) >= 4 for k in keys for a in k.split("|")[:1]):
                        warnings.append(f"{qid}: all key facts also in unlisted {name}")
        seen.add(qid)

    counts = {
        "total": len(questions),
        "fact": kinds["fact"],
        "table": kinds["table"],
        "practice": kinds["practice"],
        "comparison+aggregation": kinds["comparison"] + kinds["aggregation"],
        "unanswerable": kinds["unanswerable"],
    }
    for key, minimum in MINIMUMS.items():
        if counts[key] < minimum:
            errors.append(f"count {key} = {counts[key]} < {minimum}")

    print("documents:", len(docs))
    print("questions per kind:", dict(sorted(kinds.items())))
    print("checked counts:", counts)
    for w in warnings:
        print("WARNING:", w)
    if errors:
        for e in errors:
            print("ERROR:", e)
        print(f"FAILED with {len(errors)} error(s)")
        return 1
    print("OK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
