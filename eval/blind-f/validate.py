#!/usr/bin/env python3
"""Validate the blind evaluation set (standard library only).

Run from anywhere:  python3 validate.py
Exits with status 1 and a list of problems, or prints "OK: all checks passed".
"""
import html
import json
import os
import re
import sys
import zipfile
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(HERE, "docs")
SRC = os.path.join(HERE, "sources")
QFILE = os.path.join(HERE, "questions.jsonl")

FIELDS = ["id", "kind", "question", "expected_sources", "key_facts", "organisations", "follows"]
KINDS = ["fact", "table", "practice", "comparison", "aggregation", "followup", "unanswerable"]
MIN_KIND = {"fact": 22, "table": 12, "practice": 14, "comparison": 12,
            "aggregation": 5, "followup": 8, "unanswerable": 14}
MIN_TOTAL = 90
MIN_DOCS = 14
FORMATS = ["md", "txt", "pdf", "docx", "html"]
MIN_PER_FORMAT = 2
TXT_WIDTH = 78
BUILT = ("pdf", "docx", "html")

errors = []


def err(msg):
    errors.append(msg)


def norm(s):
    """Lower-case and collapse all whitespace (incl. no-break spaces) to one space."""
    s = s.replace("\u00a0", " ").replace("\u202f", " ")
    return re.sub(r"\s+", " ", s).lower()


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def docx_text(path):
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    paras = []
    for p in re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.S):
        runs = re.findall(r"<w:t(?: [^>]*)?>(.*?)</w:t>", p, flags=re.S)
        paras.append(html.unescape("".join(runs)))
    return "\n".join(paras)


def html_text(path):
    raw = read(path)
    raw = re.sub(r"(?is)<(script|style)[^>]*>.*?</\1>", " ", raw)
    raw = re.sub(r"(?s)<[^>]+>", " ", raw)
    return html.unescape(raw)


def ext_of(name):
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def stem_of(name):
    return name.rsplit(".", 1)[0]


# ------------------------------------------------------------------ documents
if not os.path.isdir(DOCS):
    print("docs/ missing")
    sys.exit(1)
doc_names = sorted(n for n in os.listdir(DOCS) if not n.startswith("."))
fmt_count = Counter(ext_of(n) for n in doc_names)
if len(doc_names) < MIN_DOCS:
    err(f"only {len(doc_names)} documents in docs/ (need >= {MIN_DOCS})")
for fmt in FORMATS:
    if fmt_count.get(fmt, 0) < MIN_PER_FORMAT:
        err(f"format .{fmt}: {fmt_count.get(fmt, 0)} files (need >= {MIN_PER_FORMAT})")
for n in doc_names:
    if ext_of(n) not in FORMATS:
        err(f"docs/{n}: unexpected format")

# text used for key-fact checks: for pdf/docx/html the sources/ copy, plus the built text
src_text = {}    # doc name -> normalised source text
built_text = {}  # doc name -> normalised text of the built file (docx/html) or None
for n in doc_names:
    e = ext_of(n)
    p = os.path.join(DOCS, n)
    if e in ("md", "txt"):
        src_text[n] = norm(read(p))
        built_text[n] = None
    elif e in BUILT:
        sp = os.path.join(SRC, stem_of(n) + ".txt")
        if not os.path.exists(sp):
            err(f"docs/{n}: no plain-text copy sources/{stem_of(n)}.txt")
            continue
        src_text[n] = norm(read(sp))
        if e == "docx":
            try:
                built_text[n] = norm(docx_text(p))
            except Exception as ex:  # noqa: BLE001
                err(f"docs/{n}: cannot read docx ({ex})")
                built_text[n] = ""
        elif e == "html":
            built_text[n] = norm(html_text(p))
        else:
            with open(p, "rb") as f:
                if not f.read(5).startswith(b"%PDF"):
                    err(f"docs/{n}: not a PDF file")
            built_text[n] = None

# every source has a built document
if os.path.isdir(SRC):
    built_stems = {stem_of(n) for n in doc_names if ext_of(n) in BUILT}
    for s in sorted(os.listdir(SRC)):
        if s.endswith(".txt") and stem_of(s) not in built_stems:
            err(f"sources/{s}: no built .pdf/.docx/.html in docs/")
else:
    err("sources/ missing")

# .txt documents wrapped at 78 columns
for n in doc_names:
    if ext_of(n) == "txt":
        for i, line in enumerate(read(os.path.join(DOCS, n)).splitlines(), 1):
            if len(line) > TXT_WIDTH:
                err(f"docs/{n}:{i}: line has {len(line)} columns (> {TXT_WIDTH})")


def contains(doc, alt):
    a = norm(alt).strip()
    if doc not in src_text or a not in src_text[doc]:
        return False
    bt = built_text.get(doc)
    if bt is not None and a not in bt:
        return False
    return True


# ------------------------------------------------------------------ questions
if not os.path.exists(QFILE):
    print("questions.jsonl missing")
    sys.exit(1)
questions = []
with open(QFILE, encoding="utf-8") as f:
    for ln, line in enumerate(f, 1):
        if not line.strip():
            continue
        try:
            o = json.loads(line)
        except json.JSONDecodeError as ex:
            err(f"questions.jsonl:{ln}: invalid JSON ({ex})")
            continue
        questions.append((ln, o))

seen = {}
kinds = Counter()
for ln, o in questions:
    where = f"questions.jsonl:{ln}"
    if not isinstance(o, dict):
        err(f"{where}: not an object")
        continue
    missing = [k for k in FIELDS if k not in o]
    extra = [k for k in o if k not in FIELDS]
    if missing:
        err(f"{where}: missing fields {missing}")
        continue
    if extra:
        err(f"{where}: unexpected fields {extra}")
    qid = o["id"]
    where = f"{where} ({qid})"
    if not isinstance(qid, str) or not re.fullmatch(r"f-\d{3}", qid):
        err(f"{where}: id must look like f-001")
    if qid in seen:
        err(f"{where}: duplicate id")
    kind = o["kind"]
    if kind not in KINDS:
        err(f"{where}: unknown kind {kind!r}")
    kinds[kind] += 1
    if not isinstance(o["question"], str) or not o["question"].strip():
        err(f"{where}: empty question")
    src = o["expected_sources"]
    facts = o["key_facts"]
    orgs = o["organisations"]
    if not isinstance(src, list) or not all(isinstance(s, str) for s in src):
        err(f"{where}: expected_sources must be a list of strings")
        src = []
    if not isinstance(facts, list) or not all(isinstance(s, str) and s.strip() for s in facts):
        err(f"{where}: key_facts must be a list of non-empty strings")
        facts = []
    if not isinstance(orgs, list) or not orgs or not all(isinstance(s, str) and s for s in orgs):
        err(f"{where}: organisations must be a non-empty list of strings")
    if len(set(src)) != len(src):
        err(f"{where}: duplicate expected_sources")
    # follows
    fol = o["follows"]
    if kind == "followup":
        if not isinstance(fol, str) or fol not in seen:
            err(f"{where}: follows must name an earlier question id (got {fol!r})")
    elif fol is not None:
        err(f"{where}: follows must be null for kind {kind}")
    # sources / facts
    if kind == "unanswerable":
        if src or facts:
            err(f"{where}: unanswerable questions need empty expected_sources and key_facts")
    else:
        if len(src) < 1:
            err(f"{where}: needs at least one expected source")
        if not 1 <= len(facts) <= 3:
            err(f"{where}: needs 1-3 key facts (has {len(facts)})")
        for s in src:
            if s not in doc_names:
                err(f"{where}: expected source docs/{s} does not exist")
        for fact in facts:
            alts = [a for a in fact.split("|") if a.strip()]
            if not alts:
                err(f"{where}: empty key fact")
                continue
            if not any(contains(s, a) for s in src for a in alts):
                err(f"{where}: key fact {fact!r} not found in any expected source")
    seen[qid] = kind

# unanswerable questions about organisations that are not in the documents:
# their names must not occur in any document
all_text = " ".join(list(src_text.values()) + [t for t in built_text.values() if t])
invented = set()
for ln, o in questions:
    if isinstance(o, dict) and o.get("kind") != "unanswerable":
        invented.update(o.get("organisations") or [])
absent_real = set()
for ln, o in questions:
    if isinstance(o, dict) and o.get("kind") == "unanswerable":
        for org in o.get("organisations") or []:
            if org not in invented:
                absent_real.add(org)
                if norm(org) in all_text:
                    err(f"questions.jsonl:{ln}: organisation {org!r} is supposed to be absent "
                        f"but occurs in the documents")
if len(absent_real) < 6:
    err(f"only {len(absent_real)} absent real clusters among unanswerable questions (need >= 6)")
un_invented = sum(1 for _, o in questions if isinstance(o, dict) and o.get("kind") == "unanswerable"
                  and set(o.get("organisations") or []) & invented)
if un_invented < 8:
    err(f"only {un_invented} unanswerable questions about clusters in the documents (need >= 8)")

# counts
if len(questions) < MIN_TOTAL:
    err(f"only {len(questions)} questions (need >= {MIN_TOTAL})")
for k, m in MIN_KIND.items():
    if kinds[k] < m:
        err(f"kind {k}: {kinds[k]} questions (need >= {m})")

print(f"documents: {len(doc_names)} " + ", ".join(f"{f}={fmt_count.get(f, 0)}" for f in FORMATS))
print(f"questions: {len(questions)} " + ", ".join(f"{k}={kinds[k]}" for k in KINDS))
if errors:
    print(f"FAILED: {len(errors)} problem(s)")
    for e in errors:
        print("  - " + e)
    sys.exit(1)
print("OK: all checks passed")
