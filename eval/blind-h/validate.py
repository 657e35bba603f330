#!/usr/bin/env python3
"""Validate the blind-h evaluation set (standard library only)."""
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

KINDS = {"fact": 25, "table": 12, "practice": 15, "comparison": 10,
         "aggregation": 6, "followup": 10, "unanswerable": 16}
FIELDS = ["id", "kind", "question", "expected_sources", "key_facts",
          "organisations", "follows"]
MIN_FORMAT = {"md": 2, "txt": 2, "pdf": 2, "docx": 2, "html": 2}
REAL_CLUSTERS = ["Biocat", "BioWin", "Minalogic", "Silicon Saxony",
                 "Life Science Nord", "Medicon Valley Alliance"]
FORBIDDEN = ["Saaletal", "Vättern", "Garonne", "LaganTide", "Drava",
             "BlueKvarner", "Valcervo", "Roztocze", "Saimaa", "Sava Valley",
             "Valmora", "Hanák", "Mürztal", "Adige", "Vilaine", "Severn",
             "Dalälven", "Limfjord", "Hron", "Ebro", "Warta", "Alpha", "Beta",
             "Gamma"]
MIN_REAL_UNANSWERABLE = 6
MIN_OWN_UNANSWERABLE = 10

errors = []


def err(msg):
    errors.append(msg)


def norm(s):
    return re.sub(r"\s+", " ", s).strip().lower()


def docx_text(path):
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    xml = re.sub(r"</w:p>", "\n", xml)
    xml = re.sub(r"<w:tab/>", " ", xml)
    return re.sub(r"<[^>]+>", " ", xml)


def html_text(path):
    import html as h
    with open(path, encoding="utf-8") as f:
        raw = f.read()
    return h.unescape(re.sub(r"<[^>]+>", " ", raw))


# ---------- documents ----------
docs = sorted(os.listdir(DOCS))
texts = {}          # file name -> text used for key-fact checks
all_text = {}       # file name -> every text we can read for presence checks
fmt_count = Counter()
for name in docs:
    stem, ext = os.path.splitext(name)
    ext = ext.lstrip(".")
    fmt_count[ext] += 1
    path = os.path.join(DOCS, name)
    if ext in ("md", "txt"):
        with open(path, encoding="utf-8") as f:
            t = f.read()
        texts[name] = t
        all_text[name] = t
        if ext == "txt":
            for i, line in enumerate(t.splitlines(), 1):
                if len(line) > 78:
                    err("%s line %d longer than 78 columns (%d)" % (name, i, len(line)))
    elif ext in ("pdf", "docx", "html"):
        sp = os.path.join(SRC, stem + ".txt")
        if not os.path.exists(sp):
            err("missing plain-text source %s" % sp)
            continue
        with open(sp, encoding="utf-8") as f:
            t = f.read()
        texts[name] = t
        extra = ""
        if ext == "docx":
            extra = docx_text(path)
            if "<w:tbl>" not in zipfile.ZipFile(path).read("word/document.xml").decode():
                err("%s has no table" % name)
        elif ext == "html":
            extra = html_text(path)
            with open(path, encoding="utf-8") as f:
                if "<table>" not in f.read():
                    err("%s has no <table>" % name)
        elif ext == "pdf":
            with open(path, "rb") as f:
                if not f.read(5).startswith(b"%PDF"):
                    err("%s is not a PDF" % name)
            if sum(1 for l in t.splitlines() if l.strip().startswith("|")) < 4:
                err("%s source has too few table rows" % name)
        all_text[name] = t + "\n" + extra
    else:
        err("unexpected file in docs/: %s" % name)

for ext, n in MIN_FORMAT.items():
    if fmt_count[ext] < n:
        err("format %s: %d documents, need %d" % (ext, fmt_count[ext], n))
if len(docs) < 14:
    err("only %d documents, need 14" % len(docs))

for name, t in texts.items():
    words = len(re.findall(r"\S+", t))
    if not 300 <= words <= 1200:
        err("%s has %d words (want 300-1200)" % (name, words))

for name, t in all_text.items():
    low = t.lower()
    for rc in REAL_CLUSTERS:
        if rc.lower() in low:
            err("real cluster %r appears in %s" % (rc, name))
    for fb in FORBIDDEN:
        if re.search(r"\b%s\b" % re.escape(fb), t):
            err("forbidden name %r appears in %s" % (fb, name))

# ---------- questions ----------
qs = []
with open(QFILE, encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
        if not line.strip():
            continue
        try:
            qs.append(json.loads(line))
        except json.JSONDecodeError as e:
            err("questions.jsonl line %d: %s" % (n, e))

seen = {}
kinds = Counter()
real_unans = own_unans = 0
for i, q in enumerate(qs, 1):
    qid = q.get("id")
    if list(q.keys()) != FIELDS:
        err("%s: fields %s" % (qid, list(q.keys())))
    if qid != "h-%03d" % i:
        err("id %s out of sequence (expected h-%03d)" % (qid, i))
    if qid in seen:
        err("duplicate id %s" % qid)
    seen[qid] = i
    kind = q.get("kind")
    if kind not in KINDS:
        err("%s: bad kind %r" % (qid, kind))
    kinds[kind] += 1
    if not isinstance(q.get("question"), str) or not q["question"].strip():
        err("%s: empty question" % qid)
    src = q.get("expected_sources")
    kf = q.get("key_facts")
    orgs = q.get("organisations")
    if not isinstance(src, list) or not isinstance(kf, list) or not isinstance(orgs, list):
        err("%s: list fields wrong type" % qid)
        continue
    fol = q.get("follows")
    if kind == "followup":
        if fol not in seen or seen[fol] >= i:
            err("%s: follows %r does not point to an earlier question" % (qid, fol))
    elif fol is not None:
        err("%s: follows must be null for kind %s" % (qid, kind))
    if kind == "unanswerable":
        if src or kf:
            err("%s: unanswerable must have empty sources and key facts" % qid)
        if any(rc.lower() in q["question"].lower() for rc in REAL_CLUSTERS):
            real_unans += 1
        elif orgs:
            own_unans += 1
        continue
    if not src:
        err("%s: no expected sources" % qid)
    if not 1 <= len(kf) <= 3:
        err("%s: needs 1-3 key facts" % qid)
    if not orgs:
        err("%s: no organisations" % qid)
    if kind == "comparison" and not 2 <= len(orgs) <= 3:
        err("%s: comparison should name 2-3 clusters" % qid)
    for s in src:
        if s not in texts:
            err("%s: unknown source %s" % (qid, s))
    for fact in kf:
        alts = [norm(a) for a in fact.split("|") if a.strip()]
        found = any(a in norm(texts.get(s, "")) for s in src for a in alts)
        if not found:
            err("%s: key fact %r not found in %s" % (qid, fact, src))
    all_src = " ".join(norm(texts.get(s, "")) for s in src)
    for o in orgs:
        if norm(o) not in norm(" ".join(all_text.values())):
            err("%s: organisation %r not named in any document" % (qid, o))

for k, n in KINDS.items():
    if kinds[k] < n:
        err("kind %s: %d questions, need %d" % (k, kinds[k], n))
if len(qs) < 100:
    err("only %d questions, need 100" % len(qs))
if real_unans < MIN_REAL_UNANSWERABLE:
    err("only %d unanswerables about real clusters" % real_unans)
if own_unans < MIN_OWN_UNANSWERABLE:
    err("only %d unanswerables about fictional clusters" % own_unans)

print("documents:", len(docs), dict(sorted(fmt_count.items())))
print("questions:", len(qs), dict(sorted(kinds.items())))
print("unanswerable: real clusters %d, own clusters %d" % (real_unans, own_unans))
if errors:
    for e in errors:
        print("ERROR:", e)
    print("FAILED: %d problem(s)" % len(errors))
    sys.exit(1)
print("OK: all checks passed")
