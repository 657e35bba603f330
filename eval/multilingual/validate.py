#!/usr/bin/env python3
"""Validate the multilingual evaluation set (standard library only).

Checks
  documents : every file in docs/ is .md or .txt, 250-700 words; .txt files
              have no front matter and are hard-wrapped (<= 78 columns);
              front matter, where present, has title, cluster, country, year,
              type and a topics list (language, if present, is a 2-letter code)
  questions : valid JSON per line, required fields, unique ids, known kinds;
              every expected source exists in docs/; every key fact (at least
              one '|'-alternative) occurs in at least one expected source
              (case-insensitive, whitespace-normalised); doc_language matches
              the language prefix of the expected sources; organisations of
              answerable questions are named in an expected source;
              unanswerable questions have no sources and no key facts
  counts    : >= 4 documents and >= 3 clusters per language; >= 15 questions
              per language asked in the document's language; >= 4 English
              questions per document language (>= 16 in all); >= 8
              unanswerable questions in >= 3 languages; >= 80 questions
Warnings (not failures): a document not listed as a source that names the
question's organisation and contains all of its key facts (a possibly
missing expected source).

Usage: python3 validate.py
"""
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCS = HERE / "docs"
QFILE = HERE / "questions.jsonl"
LANGS = ["de", "fr", "it", "es"]
KINDS = {"fact", "table", "unanswerable"}

errors, warnings = [], []


def norm(s):
    return re.sub(r"\s+", " ", s).strip().casefold()


def front_matter(text):
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---\n", 4)
    if end < 0:
        return None
    fm, key = {}, None
    for line in text[4:end].splitlines():
        m = re.match(r"^([A-Za-z_]+):\s*(.*)$", line)
        if m:
            key = m.group(1)
            fm[key] = m.group(2).strip().strip('"') or []
        elif re.match(r"^\s+-\s+", line) and key and isinstance(fm.get(key), list):
            fm[key].append(re.sub(r"^\s+-\s+", "", line).strip())
    return fm


# ---------------------------------------------------------------- documents
docs = {}
for p in sorted(DOCS.iterdir()):
    if p.suffix not in (".md", ".txt"):
        errors.append(f"docs/{p.name}: unexpected file type")
        continue
    text = p.read_text(encoding="utf-8")
    docs[p.name] = {"raw": text, "norm": norm(text), "lang": p.name[:2]}
    if p.name[:2] not in LANGS or p.name[2] != "-":
        errors.append(f"docs/{p.name}: name must start with a language prefix (de-, fr-, it-, es-)")
    words = len(text.split())
    if not 250 <= words <= 700:
        errors.append(f"docs/{p.name}: {words} words (expected 250-700)")
    fm = front_matter(text)
    if p.suffix == ".txt":
        if fm is not None:
            errors.append(f"docs/{p.name}: .txt must not have front matter")
        longest = max(len(line) for line in text.splitlines())
        if longest > 78:
            errors.append(f"docs/{p.name}: line of {longest} chars (hard-wrap at <= 78)")
    elif fm is not None:
        for field in ("title", "cluster", "country", "year", "type", "topics"):
            if field not in fm:
                errors.append(f"docs/{p.name}: front matter lacks '{field}'")
        if not isinstance(fm.get("topics"), list) or not fm.get("topics"):
            errors.append(f"docs/{p.name}: 'topics' must be a non-empty list")
        if "language" in fm and fm["language"] != p.name[:2]:
            errors.append(f"docs/{p.name}: language '{fm['language']}' does not match file prefix")
    docs[p.name]["fm"] = fm

# ---------------------------------------------------------------- questions
questions, ids = [], Counter()
for n, line in enumerate(QFILE.read_text(encoding="utf-8").splitlines(), 1):
    if not line.strip():
        continue
    try:
        q = json.loads(line)
    except json.JSONDecodeError as e:
        errors.append(f"questions.jsonl line {n}: invalid JSON ({e})")
        continue
    questions.append(q)
    qid = q.get("id", f"<line {n}>")
    ids[qid] += 1
    for field in ("id", "kind", "language", "question", "expected_sources", "key_facts",
                  "organisations"):
        if field not in q:
            errors.append(f"{qid}: missing field '{field}'")
    kind = q.get("kind")
    if kind not in KINDS:
        errors.append(f"{qid}: unknown kind {kind!r}")
    if not re.fullmatch(r"[a-z]{2}", str(q.get("language", ""))):
        errors.append(f"{qid}: language must be an ISO 639-1 code")
    srcs, kfs = q.get("expected_sources", []), q.get("key_facts", [])
    if kind == "unanswerable":
        if srcs or kfs:
            errors.append(f"{qid}: unanswerable questions need empty expected_sources and "
                          "key_facts")
        continue
    if q.get("doc_language") not in LANGS:
        errors.append(f"{qid}: doc_language must be one of {LANGS}")
    if not srcs or not kfs:
        errors.append(f"{qid}: answerable question without sources or key facts")
    missing = [s for s in srcs if s not in docs]
    for s in missing:
        errors.append(f"{qid}: expected source '{s}' not found in docs/")
    present = [s for s in srcs if s in docs]
    for s in present:
        if docs[s]["lang"] != q.get("doc_language"):
            errors.append(f"{qid}: source {s} is not in doc_language {q.get('doc_language')}")
    for kf in kfs:
        alts = [norm(a) for a in kf.split("|") if a.strip()]
        if not any(a in docs[s]["norm"] for a in alts for s in present):
            errors.append(f"{qid}: key fact '{kf}' not found in {present}")
    for org in q.get("organisations", []):
        if not any(norm(org) in docs[s]["norm"] for s in present):
            errors.append(f"{qid}: organisation '{org}' not named in {present}")
    # possible missing sources
    for name, d in docs.items():
        if name in srcs:
            continue
        if not any(norm(o) in d["norm"] for o in q.get("organisations", [])):
            continue
        if all(any(norm(a) in d["norm"] for a in kf.split("|") if a.strip()) for kf in kfs):
            warnings.append(f"{qid}: {name} names the organisation and contains all key facts "
                            f"{kfs} but is not an expected source")

for qid, c in ids.items():
    if c > 1:
        errors.append(f"duplicate id {qid} ({c}x)")

# ---------------------------------------------------------------- counts
def need(cond, msg):
    if not cond:
        errors.append("count: " + msg)

docs_per_lang = Counter(d["lang"] for d in docs.values())
clusters = defaultdict(set)
for q in questions:
    if q.get("kind") != "unanswerable":
        clusters[q.get("doc_language")].update(q.get("organisations", []))
native = Counter(q["language"] for q in questions
                 if q.get("kind") != "unanswerable" and q.get("language") == q.get("doc_language"))
english = Counter(q.get("doc_language") for q in questions
                  if q.get("kind") != "unanswerable" and q.get("language") == "en")
unans = [q for q in questions if q.get("kind") == "unanswerable"]

for L in LANGS:
    need(docs_per_lang[L] >= 4, f"{L}: {docs_per_lang[L]} documents (need >= 4)")
    need(len(clusters[L]) >= 3,
         f"{L}: {len(clusters[L])} clusters covered by questions (need >= 3)")
    need(native[L] >= 15, f"{L}: {native[L]} questions in the document's language (need >= 15)")
    need(english[L] >= 4, f"{L}: {english[L]} English questions (need >= 4)")
need(sum(english.values()) >= 16, f"{sum(english.values())} English questions (need >= 16)")
need(len(unans) >= 8, f"{len(unans)} unanswerable questions (need >= 8)")
need(len({q['language'] for q in unans}) >= 3, "unanswerable questions must use >= 3 languages")
need(len(questions) >= 80, f"{len(questions)} questions (need >= 80)")

# ---------------------------------------------------------------- report
print(f"documents: {len(docs)}  " + "  ".join(f"{L}={docs_per_lang[L]}" for L in LANGS))
print(f"questions: {len(questions)}")
table = Counter((q.get("language"), q.get("doc_language", "-"), q.get("kind")) for q in questions)
print("  language  doc_language  kind           count")
for (lang, dl, kind), c in sorted(table.items()):
    print(f"  {lang:<9} {dl:<13} {kind:<14} {c}")
for w in warnings:
    print("WARNING:", w)
if errors:
    for e in errors:
        print("ERROR:", e)
    print(f"FAILED ({len(errors)} errors)")
    sys.exit(1)
print("OK: all checks passed")
