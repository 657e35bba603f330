#!/usr/bin/env python3
"""Validate the blind-g evaluation set (standard library only).

Checks: question fields, ids, kinds, follow-ups, unanswerables, real clusters
absent from all documents, key facts present in an expected source
(whitespace runs collapsed, case-insensitive), .txt line width, document
formats, word counts, tables, and minimum counts per kind.
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
MIN_KIND = {"fact": 25, "table": 12, "practice": 15, "comparison": 10,
            "aggregation": 6, "followup": 10, "unanswerable": 16}
MIN_TOTAL = 100
MIN_FORMAT = {"md": 2, "txt": 2, "pdf": 2, "docx": 2, "html": 2}
MIN_DOCS = 14
MAX_COLS = 78

CLUSTERS = ["Mürztal BioHub", "Vilaine Santé Cluster", "Ebro AgroLab", "Warta Digital Cluster",
            "Limfjord Food Cluster", "Dalälven MedTech Cluster", "Adige Energia Cluster",
            "Severn Agritech Network", "Hron Energy Cluster"]
# real European clusters used only in unanswerable questions; must not occur in any document
REAL_CLUSTERS = ["Minalogic", "Cap Digital", "BioWin", "Life Science Nord",
                 "Medicon Valley Alliance", "Silicon Saxony"]
# names the brief forbids for the fictional clusters
FORBIDDEN = ["Saaletal", "Vättern", "Garonne AgriNova", "LaganTide", "Drava", "BlueKvarner",
             "Valcervo", "Roztocze", "Saimaa", "Sava Valley", "Valmora", "Hanák"]

errors = []


def err(msg):
    errors.append(msg)


def norm(text):
    return re.sub(r"\s+", " ", text).strip().lower()


def read(path):
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def docx_text(path):
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    xml = re.sub(r"</w:p>", "\n", xml)
    xml = re.sub(r"</w:tc>", " | ", xml)
    return html.unescape(re.sub(r"<[^>]+>", "", xml))


def html_text(path):
    raw = read(path)
    raw = re.sub(r"(?s)<style.*?</style>", " ", raw)
    raw = re.sub(r"</t[dh]>", " | ", raw)
    return html.unescape(re.sub(r"<[^>]+>", " ", raw))


# ------------------------------------------------------------ documents
doc_names = sorted(n for n in os.listdir(DOCS) if not n.startswith("."))
formats = Counter(n.rsplit(".", 1)[-1] for n in doc_names)
plain = {}      # doc name -> plain text used for key-fact checks
built = {}      # doc name -> text extracted from the built file (where possible)
for name in doc_names:
    path = os.path.join(DOCS, name)
    stem, ext = name.rsplit(".", 1)
    if ext in ("md", "txt"):
        plain[name] = read(path)
        built[name] = plain[name]
    elif ext in ("pdf", "docx", "html"):
        sp = os.path.join(SRC, stem + ".txt")
        if not os.path.exists(sp):
            err(f"{name}: missing plain-text source sources/{stem}.txt")
            continue
        plain[name] = read(sp)
        if ext == "pdf":
            with open(path, "rb") as fh:
                if not fh.read(5).startswith(b"%PDF"):
                    err(f"{name}: not a PDF file")
            built[name] = None
        elif ext == "docx":
            built[name] = docx_text(path)
            with zipfile.ZipFile(path) as z:
                if "<w:tbl>" not in z.read("word/document.xml").decode("utf-8"):
                    err(f"{name}: docx has no table")
        else:
            built[name] = html_text(path)
            if "<table" not in read(path):
                err(f"{name}: html has no <table>")
        ntables = 0
        in_table = False
        for line in plain[name].splitlines():
            if line.startswith("|"):
                if not in_table:
                    ntables += 1
                in_table = True
            else:
                in_table = False
        if ext == "pdf" and ntables < 2:
            err(f"{name}: pdf source has fewer than 2 tables ({ntables})")
    else:
        err(f"{name}: unexpected format .{ext}")

for ext, n in MIN_FORMAT.items():
    if formats.get(ext, 0) < n:
        err(f"format .{ext}: {formats.get(ext, 0)} documents, need >= {n}")
if len(doc_names) < MIN_DOCS:
    err(f"only {len(doc_names)} documents, need >= {MIN_DOCS}")
if not any(plain.get(n, "").startswith("---\n") for n in doc_names if n.endswith(".md")):
    err("no .md document with YAML front matter")

# txt line width
for name in doc_names:
    if name.endswith(".txt"):
        for i, line in enumerate(read(os.path.join(DOCS, name)).splitlines(), 1):
            if len(line) > MAX_COLS:
                err(f"{name}:{i}: line has {len(line)} columns (> {MAX_COLS})")

# word counts
for name, text in plain.items():
    words = len(text.split())
    if not 300 <= words <= 1200:
        err(f"{name}: {words} words (need 300-1200)")

# clusters mentioned (documents, built files and every file under sources/)
extra = []
for root, _dirs, files in os.walk(SRC):
    for f in files:
        if f.endswith((".txt", ".md")):
            extra.append(read(os.path.join(root, f)))
all_text = norm(" ".join(list(plain.values()) + [t for t in built.values() if t] + extra))
mentioned = [c for c in CLUSTERS if norm(c) in all_text]
if len(mentioned) < 8:
    err(f"only {len(mentioned)} fictional clusters mentioned in documents, need >= 8")
for c in REAL_CLUSTERS:
    if norm(c) in all_text:
        err(f"real cluster '{c}' occurs in the documents")
for c in FORBIDDEN:
    if norm(c) in all_text:
        err(f"forbidden cluster name '{c}' occurs in the documents")

# ------------------------------------------------------------ questions
questions = []
with open(QFILE, encoding="utf-8") as fh:
    for ln, line in enumerate(fh, 1):
        if not line.strip():
            continue
        try:
            questions.append(json.loads(line))
        except json.JSONDecodeError as e:
            err(f"questions.jsonl:{ln}: invalid JSON ({e})")

seen = {}
kinds = Counter()
real_unanswerable = 0
for pos, q in enumerate(questions):
    qid = q.get("id", f"<line {pos + 1}>")
    if sorted(q.keys()) != sorted(FIELDS):
        err(f"{qid}: fields {sorted(q.keys())} != {sorted(FIELDS)}")
        continue
    expect_id = f"g-{pos + 1:03d}"
    if qid != expect_id:
        err(f"{qid}: expected id {expect_id}")
    if qid in seen:
        err(f"{qid}: duplicate id")
    seen[qid] = pos
    kind = q["kind"]
    if kind not in MIN_KIND:
        err(f"{qid}: unknown kind {kind}")
    kinds[kind] += 1
    if not isinstance(q["question"], str) or not q["question"].strip():
        err(f"{qid}: empty question")
    if not isinstance(q["organisations"], list) or not q["organisations"]:
        err(f"{qid}: organisations must be a non-empty list")
    else:
        for o in q["organisations"]:
            if o not in CLUSTERS and o not in REAL_CLUSTERS:
                err(f"{qid}: unknown organisation '{o}'")
    # follows
    if kind == "followup":
        f = q["follows"]
        if f not in seen or seen[f] >= pos:
            err(f"{qid}: follows '{f}' does not point to an earlier question")
    elif q["follows"] is not None:
        err(f"{qid}: follows must be null for kind {kind}")
    # unanswerable
    if kind == "unanswerable":
        if q["expected_sources"] or q["key_facts"]:
            err(f"{qid}: unanswerable must have empty expected_sources and key_facts")
        if any(o in REAL_CLUSTERS for o in q["organisations"]):
            real_unanswerable += 1
            if not any(norm(o) in norm(q["question"]) for o in q["organisations"]
                       if o in REAL_CLUSTERS) and not any(
                    norm(o.split()[0]) in norm(q["question"]) for o in q["organisations"]):
                err(f"{qid}: question does not name its real cluster")
        continue
    if any(o in REAL_CLUSTERS for o in q["organisations"]):
        err(f"{qid}: real clusters may only appear in unanswerable questions")
    if kind == "comparison" and not 2 <= len(q["organisations"]) <= 3:
        err(f"{qid}: comparison should name 2-3 clusters")
    srcs = q["expected_sources"]
    facts = q["key_facts"]
    if not isinstance(srcs, list) or not srcs:
        err(f"{qid}: expected_sources empty")
        continue
    if not isinstance(facts, list) or not 1 <= len(facts) <= 3:
        err(f"{qid}: key_facts must hold 1-3 strings")
        continue
    missing = [s for s in srcs if s not in plain]
    if missing:
        err(f"{qid}: unknown expected_sources {missing}")
        continue
    texts = [norm(plain[s]) for s in srcs]
    for fact in facts:
        alts = [norm(a) for a in fact.split("|") if a.strip()]
        if not alts:
            err(f"{qid}: empty key fact")
            continue
        if not any(a in t for a in alts for t in texts):
            err(f"{qid}: key fact '{fact}' not found in {srcs}")
        # the fact must also survive into the built docx/html (pdf cannot be read with stdlib)
        for s in srcs:
            b = built.get(s)
            if b and any(a in norm(plain[s]) for a in alts) and not any(a in norm(b) for a in alts):
                err(f"{qid}: key fact '{fact}' in source of {s} but not in the built file")

for kind, n in MIN_KIND.items():
    if kinds[kind] < n:
        err(f"kind {kind}: {kinds[kind]} questions, need >= {n}")
if len(questions) < MIN_TOTAL:
    err(f"only {len(questions)} questions, need >= {MIN_TOTAL}")
if real_unanswerable < 6:
    err(f"only {real_unanswerable} unanswerable questions about real clusters, need >= 6")
if kinds["unanswerable"] - real_unanswerable < 10:
    err("need >= 10 unanswerable questions about the fictional clusters")

# ------------------------------------------------------------ report
print(f"documents: {len(doc_names)} " + ", ".join(f"{k}={formats[k]}" for k in sorted(formats)))
print(f"fictional clusters mentioned: {len(mentioned)}")
print(f"questions: {len(questions)} " + ", ".join(f"{k}={kinds[k]}" for k in MIN_KIND))
if errors:
    for e in errors:
        print("ERROR:", e)
    print(f"FAILED: {len(errors)} problem(s)")
    sys.exit(1)
print("OK: all checks passed")
