#!/usr/bin/env python3
"""Validate questions.jsonl against the plain-text sources (standard library only)."""
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCS = HERE / "docs"
SRC = HERE / "sources"
KEYS = ["id", "kind", "question", "expected_sources", "key_facts", "organisations", "follows"]
KINDS = {"fact", "followup", "table", "practice", "comparison", "aggregation", "unanswerable"}
MIN_KIND = {"fact": 30, "table": 15, "practice": 15, "comparison": 12, "aggregation": 8,
            "followup": 12, "unanswerable": 15}
MIN_FORMAT = {".pdf": 3, ".docx": 3, ".html": 2, ".md": 3, ".txt": 3}

errors = []


def norm(s):
    s = re.sub(r"\*\*(.+?)\*\*", r"\1", s)
    return re.sub(r"\s+", " ", s)


# ---- documents and sources
doc_files = sorted(p.name for p in DOCS.iterdir() if p.is_file())
texts = {}
for name in doc_files:
    src = SRC / (name + ".txt")
    if not src.exists():
        errors.append("no source text for docs/%s" % name)
        continue
    texts[name] = norm(src.read_text(encoding="utf-8"))
for src in SRC.glob("*.txt"):
    if src.name[:-4] not in doc_files:
        errors.append("source %s has no built document (run build_docs.py)" % src.name)
fmt = Counter(Path(n).suffix for n in doc_files)
if len(doc_files) < 14:
    errors.append("only %d documents" % len(doc_files))
for ext, n in MIN_FORMAT.items():
    if fmt[ext] < n:
        errors.append("need >= %d %s documents, have %d" % (n, ext, fmt[ext]))
all_text = " ".join(texts.values())

# ---- questions
seen = []
kinds = Counter()
lines = (HERE / "questions.jsonl").read_text(encoding="utf-8").splitlines()
for ln, line in enumerate(lines, 1):
    if not line.strip():
        errors.append("line %d: empty line" % ln)
        continue
    try:
        q = json.loads(line)
    except json.JSONDecodeError as e:
        errors.append("line %d: bad JSON (%s)" % (ln, e))
        continue
    if list(q.keys()) != KEYS:
        errors.append("line %d: keys %s" % (ln, list(q.keys())))
        continue
    qid = q["id"]
    if not re.fullmatch(r"i-\d{3}", qid):
        errors.append("%s: bad id format" % qid)
    if qid in seen:
        errors.append("%s: duplicate id" % qid)
    kind = q["kind"]
    if kind not in KINDS:
        errors.append("%s: bad kind %r" % (qid, kind))
    kinds[kind] += 1
    if not isinstance(q["question"], str) or not q["question"].strip():
        errors.append("%s: empty question" % qid)
    for k in ("expected_sources", "key_facts", "organisations"):
        if not isinstance(q[k], list) or not all(isinstance(x, str) and x for x in q[k]):
            errors.append("%s: %s must be a list of non-empty strings" % (qid, k))
    # follows
    if kind == "followup":
        if q["follows"] not in seen:
            errors.append("%s: follows %r is not an earlier id" % (qid, q["follows"]))
    elif q["follows"] is not None:
        errors.append("%s: only followups may have follows" % qid)
    # unanswerable
    if kind == "unanswerable":
        if q["expected_sources"] or q["key_facts"] or q["organisations"]:
            errors.append("%s: unanswerable must have empty lists" % qid)
    else:
        if not q["expected_sources"] or not q["key_facts"]:
            errors.append("%s: needs expected_sources and key_facts" % qid)
        for s in q["expected_sources"]:
            if s not in texts:
                errors.append("%s: unknown source %s" % (qid, s))
        for fact in q["key_facts"]:
            for alt in fact.split("|"):
                alt_n = norm(alt)
                if not alt_n.strip():
                    errors.append("%s: empty alternative in %r" % (qid, fact))
                    continue
                hits = [s for s in q["expected_sources"] if alt_n in texts.get(s, "")]
                if not hits:
                    errors.append("%s: key fact %r not found in %s" % (qid, alt, q["expected_sources"]))
                    continue
                # plain-text outputs must contain the fact unbroken (no line-wrap split)
                for s in hits:
                    if s.endswith((".txt", ".md")):
                        raw = (DOCS / s).read_text(encoding="utf-8")
                        if alt not in raw and alt not in raw.replace("**", ""):
                            errors.append("%s: key fact %r split or missing in built docs/%s" % (qid, alt, s))
        for org in q["organisations"]:
            if org not in all_text:
                errors.append("%s: organisation %r not named in any document" % (qid, org))
    seen.append(qid)

for k, n in MIN_KIND.items():
    if kinds[k] < n:
        errors.append("kind %s: %d questions, need >= %d" % (k, kinds[k], n))
if len(seen) < 110:
    errors.append("only %d questions" % len(seen))

print("documents: %d (%s)" % (len(doc_files), ", ".join("%s %d" % (e, fmt[e]) for e in sorted(fmt))))
print("questions: %d" % len(seen))
for k in sorted(kinds):
    print("  %-13s %d" % (k, kinds[k]))
if errors:
    print("\n%d problem(s):" % len(errors))
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("OK: all checks passed")
