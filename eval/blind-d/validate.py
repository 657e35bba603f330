#!/usr/bin/env python3
"""Validate the blind-d evaluation set (standard library only).

Checks:
  * questions.jsonl parses, required fields present, kinds valid, ids unique
  * every expected source exists in docs/
  * every key fact (one of its |-alternatives) occurs, case-insensitively, in
    at least one expected source; .md/.txt are read directly, .pdf/.docx/.html
    through their plain-text copy in sources/<file name>.txt; for .html and
    .docx the fact must also be found in the text extracted from the file
  * followups have a 'follows' pointing to an existing, earlier id
  * unanswerable questions have no sources and no key facts, and the real
    clusters they name do not occur in any document
  * minimum counts per kind, at least 12 documents, all five formats,
    300-800 words per document, .txt lines <= 78 columns
Exit code 0 if everything passes, 1 otherwise.
"""
import html
import json
import os
import re
import sys
import zipfile
from collections import Counter
from html.parser import HTMLParser

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(HERE, 'docs')
SOURCES = os.path.join(HERE, 'sources')
QUESTIONS = os.path.join(HERE, 'questions.jsonl')

KINDS = {'fact', 'table', 'practice', 'comparison', 'aggregation',
         'followup', 'unanswerable'}
MINIMUMS = {'fact': 25, 'table': 10, 'practice': 10,
            'comparison+aggregation': 10, 'followup': 6, 'unanswerable': 10}
MIN_TOTAL = 70
MIN_DOCS = 12
FORMATS = {'.md', '.txt', '.html', '.pdf', '.docx'}
MAX_COLS = 78
WORDS = (300, 800)

errors = []
warnings = []


def err(msg):
    errors.append(msg)


def norm(text):
    return re.sub(r'\s+', ' ', text).strip().lower()


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ('script', 'style'):
            self._skip += 1
        self.parts.append(' ')

    def handle_endtag(self, tag):
        if tag in ('script', 'style'):
            self._skip -= 1
        self.parts.append(' ')

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_text(path):
    p = _TextExtractor()
    p.feed(open(path, encoding='utf-8').read())
    return html.unescape(''.join(p.parts))


def docx_text(path):
    with zipfile.ZipFile(path) as z:
        xml = z.read('word/document.xml').decode('utf-8')
    xml = re.sub(r'</w:p>|</w:tc>', ' \n', xml)
    return html.unescape(re.sub(r'<[^>]+>', '', xml))


def read(path):
    return open(path, encoding='utf-8').read()


def load_docs():
    """Return {name: [texts that must all contain a fact]}."""
    texts = {}
    for name in sorted(os.listdir(DOCS)):
        path = os.path.join(DOCS, name)
        ext = os.path.splitext(name)[1].lower()
        if ext not in FORMATS:
            err(f'docs/{name}: unexpected format {ext}')
            continue
        if ext in ('.md', '.txt'):
            texts[name] = [read(path)]
            continue
        copy = os.path.join(SOURCES, name + '.txt')
        if not os.path.exists(copy):
            err(f'docs/{name}: plain-text copy sources/{name}.txt missing')
            continue
        group = [read(copy)]
        if ext == '.html':
            group.append(html_text(path))
        elif ext == '.docx':
            group.append(docx_text(path))
        elif ext == '.pdf':
            if not open(path, 'rb').read(5) == b'%PDF-':
                err(f'docs/{name}: not a PDF file')
        texts[name] = group
    return texts


def check_docs(texts):
    if len(texts) < MIN_DOCS:
        err(f'only {len(texts)} documents, need at least {MIN_DOCS}')
    exts = {os.path.splitext(n)[1].lower() for n in texts}
    for missing in sorted(FORMATS - exts):
        err(f'no document in format {missing}')
    for name, group in texts.items():
        words = len(re.findall(r'\S+', group[0]))
        if not WORDS[0] <= words <= WORDS[1]:
            err(f'docs/{name}: {words} words, expected {WORDS[0]}-{WORDS[1]}')
        if name.endswith('.txt'):
            for i, line in enumerate(group[0].splitlines(), 1):
                if len(line) > MAX_COLS:
                    err(f'docs/{name}:{i}: {len(line)} columns > {MAX_COLS}')


def check_questions(texts):
    items = []
    with open(QUESTIONS, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as e:
                err(f'questions.jsonl:{n}: invalid JSON ({e})')
    seen = {}
    order = {}
    for i, q in enumerate(items):
        qid = q.get('id', f'<line {i + 1}>')
        for field in ('id', 'kind', 'question', 'expected_sources',
                      'key_facts', 'organisations'):
            if field not in q:
                err(f'{qid}: missing field {field}')
        if qid in seen:
            err(f'{qid}: duplicate id')
        seen[qid] = q
        order[qid] = i
    all_text = norm(' '.join(' '.join(g) for g in texts.values()))
    for q in items:
        qid = q.get('id')
        kind = q.get('kind')
        if kind not in KINDS:
            err(f'{qid}: unknown kind {kind!r}')
        srcs = q.get('expected_sources', [])
        facts = q.get('key_facts', [])
        if not isinstance(q.get('organisations'), list) or not q.get('organisations'):
            err(f'{qid}: organisations must be a non-empty list')
        if kind == 'unanswerable':
            if srcs or facts:
                err(f'{qid}: unanswerable must have empty sources and key facts')
            continue
        if not srcs:
            err(f'{qid}: no expected sources')
        if not facts:
            err(f'{qid}: no key facts')
        for s in srcs:
            if not os.path.exists(os.path.join(DOCS, s)):
                err(f'{qid}: expected source docs/{s} does not exist')
        for fact in facts:
            alts = [a.strip().lower() for a in fact.split('|') if a.strip()]
            if not alts:
                err(f'{qid}: empty key fact')
                continue
            found = False
            for s in srcs:
                group = texts.get(s)
                if not group:
                    continue
                if any(all(a in norm(t) for t in group) for a in alts):
                    found = True
                    break
            if not found:
                err(f'{qid}: key fact {fact!r} not found in {srcs}')
        if kind == 'followup':
            target = q.get('follows')
            if not target:
                err(f'{qid}: followup without follows')
            elif target not in seen:
                err(f'{qid}: follows unknown id {target}')
            elif order[target] >= order[qid]:
                err(f'{qid}: follows {target}, which does not come earlier')
        elif 'follows' in q:
            err(f'{qid}: follows set on a {kind} question')
    # real clusters named in unanswerable questions must be absent from docs
    known = {'Helgeland Ocean Cluster', 'Textilnetzwerk Oberlausitz',
             'Aurora Photonics Cluster', 'Bucovina Wood Cluster',
             'Aquavia Water Cluster', 'Ardennes Orbital Cluster',
             'Boyne Valley Food Cluster', 'Neris Health Tech Cluster'}
    for q in items:
        if q.get('kind') == 'unanswerable':
            for org in q.get('organisations', []):
                if org not in known and norm(org) in all_text:
                    err(f"{q['id']}: {org} occurs in the documents")
    counts = Counter(q.get('kind') for q in items)
    for kind, minimum in MINIMUMS.items():
        have = sum(counts[k] for k in kind.split('+'))
        if have < minimum:
            err(f'only {have} {kind} questions, need {minimum}')
    if len(items) < MIN_TOTAL:
        err(f'only {len(items)} questions, need {MIN_TOTAL}')
    return items, counts


def main():
    texts = load_docs()
    check_docs(texts)
    items, counts = check_questions(texts)
    print(f'documents: {len(texts)}  questions: {len(items)}')
    for k in sorted(counts):
        print(f'  {k:13s} {counts[k]}')
    for w in warnings:
        print('WARNING:', w)
    if errors:
        for e in errors:
            print('ERROR:', e)
        print(f'FAILED ({len(errors)} errors)')
        return 1
    print('OK: all checks passed')
    return 0


if __name__ == '__main__':
    sys.exit(main())
