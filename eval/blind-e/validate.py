#!/usr/bin/env python3
"""Validate the blind-e evaluation set (standard library only).

Checks
- questions.jsonl: every line is JSON with the required fields and types
- ids unique and of the form e-NNN; kind in the allowed set
- followups have a 'follows' id that occurs earlier in the file; others do not
- unanswerable questions have empty expected_sources and key_facts;
  all others have >= 1 expected source and 1-3 key facts
- every expected source exists in docs/
- every key fact (one of its '|' alternatives) occurs case-insensitively in at
  least one expected source. .md/.txt are read directly; .pdf/.docx/.html are
  checked against their plain-text copies in sources/<file>.txt. For .docx and
  .html the built file itself is also checked (text extracted with zipfile /
  html.parser) so that binary and plain-text copy cannot drift apart.
- .txt documents are wrapped at <= 78 columns
- minimum counts per kind and in total
"""
import html
import html.parser
import json
import os
import re
import sys
import zipfile
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(HERE, "docs")
SOURCES = os.path.join(HERE, "sources")
QFILE = os.path.join(HERE, "questions.jsonl")

KINDS = {"fact", "table", "practice", "comparison", "aggregation", "followup", "unanswerable"}
REQUIRED = {"id": str, "kind": str, "question": str, "expected_sources": list,
            "key_facts": list, "organisations": list}
MINIMUMS = {"fact": 20, "table": 10, "practice": 12, "comparison+aggregation": 12,
            "followup": 8, "unanswerable": 12}
BINARY = (".pdf", ".docx", ".html")

errors = []


def err(msg):
    errors.append(msg)


class _Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "title"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title"):
            self._skip -= 1
        else:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_text(path):
    p = _Text()
    with open(path, encoding="utf-8") as f:
        p.feed(f.read())
    return "".join(p.parts)


def docx_text(path):
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    paras = re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.S)
    out = []
    for p in paras:
        out.append("".join(re.findall(r"<w:t(?: [^>]*)?>(.*?)</w:t>", p, flags=re.S)))
    return html.unescape("\n".join(out))


_cache = {}


def texts_for(name):
    """Return list of texts a key fact may be found in for document `name`
    (primary text) plus the built-file text for docx/html (consistency)."""
    if name in _cache:
        return _cache[name]
    path = os.path.join(DOCS, name)
    primary, built = None, None
    if name.endswith(BINARY):
        src = os.path.join(SOURCES, name + ".txt")
        if not os.path.exists(src):
            err(f"missing plain-text copy sources/{name}.txt")
        else:
            with open(src, encoding="utf-8") as f:
                primary = f.read()
        if name.endswith(".docx"):
            built = docx_text(path)
        elif name.endswith(".html"):
            built = html_text(path)
    else:
        with open(path, encoding="utf-8") as f:
            primary = f.read()
    _cache[name] = (primary, built)
    return _cache[name]


def main():
    # document checks
    if not os.path.isdir(DOCS):
        print("docs/ missing"); sys.exit(1)
    docs = sorted(os.listdir(DOCS))
    for d in docs:
        if d.endswith(".txt"):
            with open(os.path.join(DOCS, d), encoding="utf-8") as f:
                for i, line in enumerate(f, 1):
                    if len(line.rstrip("\n")) > 78:
                        err(f"{d}:{i} longer than 78 columns")
        if d.endswith(BINARY) and not os.path.exists(os.path.join(SOURCES, d + ".txt")):
            err(f"{d}: no plain-text copy in sources/")

    # question checks
    seen, kinds = [], Counter()
    with open(QFILE, encoding="utf-8") as f:
        lines = [l for l in f.read().splitlines() if l.strip()]
    for n, line in enumerate(lines, 1):
        try:
            q = json.loads(line)
        except json.JSONDecodeError as e:
            err(f"line {n}: invalid JSON ({e})"); continue
        qid = q.get("id", f"line {n}")
        for field, typ in REQUIRED.items():
            if not isinstance(q.get(field), typ):
                err(f"{qid}: field '{field}' missing or not {typ.__name__}")
        if not re.fullmatch(r"e-\d{3}", str(q.get("id", ""))):
            err(f"{qid}: id not of the form e-NNN")
        if qid in seen:
            err(f"{qid}: duplicate id")
        kind = q.get("kind")
        if kind not in KINDS:
            err(f"{qid}: unknown kind {kind!r}")
        kinds[kind] += 1
        if not str(q.get("question", "")).strip():
            err(f"{qid}: empty question")
        if not q.get("organisations"):
            err(f"{qid}: no organisations")
        fol = q.get("follows")
        if kind == "followup":
            if not fol:
                err(f"{qid}: followup without 'follows'")
            elif fol not in seen:
                err(f"{qid}: follows {fol!r}, which does not occur earlier")
        elif fol:
            err(f"{qid}: 'follows' set on a non-followup question")
        seen.append(qid)

        srcs, kfs = q.get("expected_sources") or [], q.get("key_facts") or []
        if kind == "unanswerable":
            if srcs or kfs:
                err(f"{qid}: unanswerable question must have empty expected_sources and key_facts")
            continue
        if not srcs:
            err(f"{qid}: no expected_sources")
        if not 1 <= len(kfs) <= 3:
            err(f"{qid}: {len(kfs)} key facts (want 1-3)")
        ok_srcs = []
        for s in srcs:
            if s not in docs:
                err(f"{qid}: expected source {s!r} not in docs/")
            else:
                ok_srcs.append(s)
        for kf in kfs:
            alts = [a.strip().casefold() for a in kf.split("|") if a.strip()]
            if not alts:
                err(f"{qid}: empty key fact"); continue
            found = False
            for s in ok_srcs:
                primary, built = texts_for(s)
                if primary is None:
                    continue
                hit = [a for a in alts if a in primary.casefold()]
                if hit:
                    found = True
                    if built is not None and not any(a in built.casefold() for a in hit):
                        err(f"{qid}: key fact {kf!r} is in sources/{s}.txt but not in the built {s}")
            if not found:
                err(f"{qid}: key fact {kf!r} not found in any expected source")

    total = sum(kinds.values())
    print(f"documents: {len(docs)}  ({', '.join(f'{e}: {sum(1 for d in docs if d.endswith(e))}' for e in ('.md', '.txt', '.pdf', '.docx', '.html'))})")
    print(f"questions: {total}")
    for k in ["fact", "table", "practice", "comparison", "aggregation", "followup", "unanswerable"]:
        print(f"  {k:<13} {kinds.get(k, 0)}")
    have = dict(kinds)
    have["comparison+aggregation"] = kinds["comparison"] + kinds["aggregation"]
    for k, m in MINIMUMS.items():
        if have.get(k, 0) < m:
            err(f"only {have.get(k, 0)} questions of kind {k} (minimum {m})")
    if total < 80:
        err(f"only {total} questions (minimum 80)")
    if len(docs) < 14:
        err(f"only {len(docs)} documents (minimum 14)")

    if errors:
        print(f"\n{len(errors)} problem(s):")
        for e in errors:
            print("  -", e)
        sys.exit(1)
    print("OK: all checks passed")


if __name__ == "__main__":
    main()
