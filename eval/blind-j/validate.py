#!/usr/bin/env python3
"""Validate questions.jsonl of the blind-j evaluation set (standard library only).

Checks:
  - every line is a JSON object with exactly the required keys
  - ids are unique and well formed (j-NNN); kinds are known
  - follows is null for non-follow-ups; for follow-ups it points to an
    earlier id, and the follow-up sits right after its parent (or after
    other follow-ups of the same parent)
  - unanswerable questions have empty expected_sources, key_facts and
    organisations; all other questions have non-empty ones
  - every expected source has a source file in sources/ (and a built file
    in docs/ if docs/ exists)
  - every key-fact alternative (separated by |) occurs in the text of at
    least one expected source (sources/<doc>.txt; case-insensitive,
    whitespace-normalised)
  - for built .txt/.md documents: an alternative found in the source of such
    a document also occurs unbroken in the built file (not split by a line
    wrap)
  - minimum counts per kind
Exit code 0 when all checks pass.
"""
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "sources"
DOCS = HERE / "docs"
QFILE = HERE / "questions.jsonl"

KEYS = {"id", "kind", "question", "expected_sources", "key_facts",
        "organisations", "follows"}
KINDS = {"fact", "table", "practice", "comparison", "aggregation",
         "followup", "unanswerable"}
MINIMA = {"fact": 30, "table": 12, "practice": 12, "followup": 10,
          "unanswerable": 14}
MIN_COMP_AGG = 12
MIN_TOTAL = 100
MIN_DOCS = 14
MIN_PER_FORMAT = 2


def norm(s):
    return re.sub(r"\s+", " ", s).strip().lower()


def main():
    errors = []
    warnings = []

    def err(msg):
        errors.append(msg)

    # ---- documents
    src_files = sorted(SRC.glob("*.txt"))
    doc_names = [p.name[:-4] for p in src_files]
    src_text = {n: (SRC / (n + ".txt")).read_text(encoding="utf-8")
                for n in doc_names}
    src_norm = {n: norm(t) for n, t in src_text.items()}
    built = {}
    if DOCS.exists():
        for n in doc_names:
            if not (DOCS / n).exists():
                err("document %s not built in docs/" % n)
            elif n.endswith((".txt", ".md")):
                built[n] = (DOCS / n).read_text(encoding="utf-8").lower()
        for p in DOCS.iterdir():
            if p.name not in doc_names:
                err("docs/%s has no source in sources/" % p.name)
    else:
        err("docs/ missing: run build_docs.py first")
    fmt = Counter(n.rsplit(".", 1)[-1] for n in doc_names)
    if len(doc_names) < MIN_DOCS:
        err("only %d documents (< %d)" % (len(doc_names), MIN_DOCS))
    for f in ("pdf", "docx", "html", "md", "txt"):
        if fmt[f] < MIN_PER_FORMAT:
            err("only %d %s documents (< %d)" % (fmt[f], f, MIN_PER_FORMAT))

    # ---- questions
    seen = []
    parent_of_block = None
    kinds = Counter()
    used_docs = Counter()
    lines = QFILE.read_text(encoding="utf-8").splitlines()
    for ln, line in enumerate(lines, 1):
        if not line.strip():
            err("line %d: empty line" % ln)
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as e:
            err("line %d: invalid JSON (%s)" % (ln, e))
            continue
        if not isinstance(q, dict):
            err("line %d: not an object" % ln)
            continue
        if set(q) != KEYS:
            err("line %d: keys %s differ from %s" % (ln, sorted(q), sorted(KEYS)))
            continue
        qid = q["id"]
        if not isinstance(qid, str) or not re.fullmatch(r"j-\d{3}", qid):
            err("line %d: bad id %r" % (ln, qid))
        if qid in seen:
            err("%s: duplicate id" % qid)
        kind = q["kind"]
        if kind not in KINDS:
            err("%s: unknown kind %r" % (qid, kind))
        kinds[kind] += 1
        if not isinstance(q["question"], str) or not q["question"].strip():
            err("%s: empty question" % qid)
        for k in ("expected_sources", "key_facts", "organisations"):
            if not isinstance(q[k], list) or not all(isinstance(x, str) for x in q[k]):
                err("%s: %s must be a list of strings" % (qid, k))
        # follows
        fol = q["follows"]
        if kind == "followup":
            if fol is None:
                err("%s: follow-up without follows" % qid)
            elif fol not in seen:
                err("%s: follows %r is not an earlier id" % (qid, fol))
            elif fol != parent_of_block:
                err("%s: follow-up not placed right after its parent %s" % (qid, fol))
        else:
            if fol is not None:
                err("%s: follows must be null for kind %s" % (qid, kind))
            parent_of_block = qid
        seen.append(qid)
        # unanswerable
        if kind == "unanswerable":
            for k in ("expected_sources", "key_facts", "organisations"):
                if q[k]:
                    err("%s: unanswerable must have empty %s" % (qid, k))
            continue
        for k in ("expected_sources", "key_facts", "organisations"):
            if not q[k]:
                err("%s: %s is empty" % (qid, k))
        for s in q["expected_sources"]:
            used_docs[s] += 1
            if s not in src_text:
                err("%s: expected source %s has no sources/%s.txt" % (qid, s, s))
        # key facts
        for fact in q["key_facts"]:
            alts = [a.strip() for a in fact.split("|")]
            if any(not a for a in alts):
                err("%s: empty alternative in key fact %r" % (qid, fact))
                continue
            for a in alts:
                hits = [s for s in q["expected_sources"]
                        if s in src_norm and norm(a) in src_norm[s]]
                if not hits:
                    err("%s: key fact %r not found in any expected source" % (qid, a))
                    continue
                for s in hits:
                    if s in built and a.lower() not in built[s]:
                        err("%s: key fact %r split across a line wrap (or "
                            "altered) in built docs/%s" % (qid, a, s))
                if len(a) > 40:
                    warnings.append("%s: long key fact %r" % (qid, a))
        for o in q["organisations"]:
            if len(o.split()) < 2:
                warnings.append("%s: organisation %r looks abbreviated" % (qid, o))

    # ---- counts
    for k, m in MINIMA.items():
        if kinds[k] < m:
            err("only %d questions of kind %s (< %d)" % (kinds[k], k, m))
    if kinds["comparison"] + kinds["aggregation"] < MIN_COMP_AGG:
        err("only %d comparison+aggregation questions (< %d)"
            % (kinds["comparison"] + kinds["aggregation"], MIN_COMP_AGG))
    total = sum(kinds.values())
    if total < MIN_TOTAL:
        err("only %d questions (< %d)" % (total, MIN_TOTAL))
    for n in doc_names:
        if used_docs[n] == 0:
            warnings.append("document %s is not an expected source of any question" % n)

    # ---- report
    print("documents: %d (%s)" % (len(doc_names), ", ".join(
        "%s %d" % (f, fmt[f]) for f in sorted(fmt))))
    print("questions: %d" % total)
    for k in ("fact", "table", "practice", "comparison", "aggregation",
              "followup", "unanswerable"):
        print("  %-13s %d" % (k, kinds[k]))
    for w in warnings:
        print("WARNING:", w)
    for e in errors:
        print("ERROR:", e)
    if errors:
        print("FAILED: %d error(s)" % len(errors))
        return 1
    print("ALL CHECKS PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
