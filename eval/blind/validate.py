#!/usr/bin/env python3
"""Validate the blind evaluation set.

Checks: questions.jsonl parses; ids are unique; kinds are known; every
expected source exists in docs/; every key-fact alternative set occurs
(case-insensitive, whitespace-normalised) in at least one expected source;
"follows" ids exist and come earlier; unanswerable questions have no
sources and no key facts.

Needs pypdf and python-docx (e.g. /tmp/blindenv/bin/python validate.py).
"""
import html
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCS = HERE / 'docs'
KINDS = {'fact', 'table', 'practice', 'comparison', 'aggregation', 'followup', 'unanswerable'}


def extract(path: Path) -> str:
    suf = path.suffix.lower()
    if suf in ('.md', '.txt'):
        return path.read_text(encoding='utf-8')
    if suf == '.html':
        raw = path.read_text(encoding='utf-8')
        raw = re.sub(r'(?is)<(script|style)\b.*?</\1>', ' ', raw)
        return html.unescape(re.sub(r'<[^>]+>', ' ', raw))
    if suf == '.pdf':
        from pypdf import PdfReader
        return '\n'.join(p.extract_text() or '' for p in PdfReader(str(path)).pages)
    if suf == '.docx':
        import docx
        d = docx.Document(str(path))
        parts = [p.text for p in d.paragraphs]
        for t in d.tables:
            for row in t.rows:
                parts.append(' | '.join(c.text for c in row.cells))
        return '\n'.join(parts)
    raise ValueError(f'unsupported format: {path}')


def norm(s: str) -> str:
    return re.sub(r'\s+', ' ', s.replace('\u00ad', '')).strip().lower()


def main() -> int:
    problems = []
    texts = {p.name: norm(extract(p)) for p in sorted(DOCS.iterdir()) if p.is_file()}
    seen = []
    lines = (HERE / 'questions.jsonl').read_text(encoding='utf-8').splitlines()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f'line {n}: bad JSON: {e}')
            continue
        qid = q.get('id')
        if qid in seen:
            problems.append(f'{qid}: duplicate id')
        if q.get('kind') not in KINDS:
            problems.append(f'{qid}: unknown kind {q.get("kind")!r}')
        srcs, facts = q.get('expected_sources', []), q.get('key_facts', [])
        if q.get('kind') == 'unanswerable':
            if srcs or facts:
                problems.append(f'{qid}: unanswerable must have empty sources and key facts')
        else:
            if not srcs or not facts:
                problems.append(f'{qid}: missing sources or key facts')
        for s in srcs:
            if s not in texts:
                problems.append(f'{qid}: missing source file {s}')
        for fact in facts:
            alts = [norm(a) for a in fact.split('|') if a.strip()]
            hits = [s for s in srcs if s in texts and any(a in texts[s] for a in alts)]
            if not hits:
                problems.append(f'{qid}: key fact {fact!r} not found in {srcs}')
        if q.get('kind') == 'followup' or 'follows' in q:
            f = q.get('follows')
            if f not in seen:
                problems.append(f'{qid}: follows {f!r} which does not exist earlier in the file')
        seen.append(qid)
    for p in problems:
        print('PROBLEM', p)
    print(f'{len(seen)} questions, {len(texts)} documents, {len(problems)} problems')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
