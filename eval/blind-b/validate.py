#!/usr/bin/env python3
"""Validate the blind-b evaluation set (questions.jsonl against docs/).

Checks:
  * every line of questions.jsonl is a JSON object with the required fields;
  * ids are unique; kinds are allowed;
  * every expected source exists in docs/;
  * every key fact (alternatives separated by "|") occurs, case-insensitively and
    modulo whitespace, line breaks and hyphenation at line ends, in the extracted text
    of at least one expected source;
  * "follows" points to an existing, earlier id (and follow-ups have one);
  * unanswerable questions have no sources and no key facts, all others have both.

Usage: python3 validate.py [--verbose]
Needs: Python standard library, pypdf, python-docx.
Exit status 0 when no problems are found, 1 otherwise.
"""
import html.parser
import json
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCS = HERE / "docs"
QUESTIONS = HERE / "questions.jsonl"

KINDS = {"fact", "table", "practice", "comparison", "aggregation", "followup",
         "unanswerable"}
REQUIRED = ("id", "kind", "question", "expected_sources", "key_facts", "organisations")
SPACES = "\u00a0\u2007\u202f\u2009\u200a\u2002\u2003"
BARE_SHORT_NUMBER = re.compile(r"^\d{1,2}$")


class _TextExtractor(html.parser.HTMLParser):
    """Collect the visible text of an HTML page (script/style skipped)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def extract_html(path):
    parser = _TextExtractor()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return " ".join(parser.parts)


def extract_pdf(path):
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    return "\n".join((page.extract_text() or "") for page in reader.pages)


def extract_docx(path):
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    for section in document.sections:
        parts.extend(p.text for p in section.header.paragraphs)
        parts.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(parts)


def extract(path):
    suffix = path.suffix.lower()
    if suffix in (".md", ".txt"):
        return path.read_text(encoding="utf-8")
    if suffix in (".html", ".htm"):
        return extract_html(path)
    if suffix == ".pdf":
        return extract_pdf(path)
    if suffix == ".docx":
        return extract_docx(path)
    raise ValueError(f"unsupported format: {path.name}")


def normalise(text):
    text = unicodedata.normalize("NFC", text)
    for ch in SPACES:
        text = text.replace(ch, " ")
    text = text.replace("\u00ad", "")
    return re.sub(r"\s+", " ", text).strip().lower()


def variants(raw):
    """Normalised text, with hyphens at line ends either joined or kept."""
    joined = re.sub(r"-[ \t]*\r?\n\s*", "", raw)
    kept = re.sub(r"-[ \t]*\r?\n\s*", "-", raw)
    return [normalise(raw), normalise(joined), normalise(kept)]


def fact_found(fact, texts):
    alternatives = [normalise(a) for a in fact.split("|") if a.strip()]
    for text in texts:
        for alt in alternatives:
            if alt and alt in text:
                return True
    return False


def load_questions(problems):
    rows = []
    if not QUESTIONS.exists():
        problems.append(f"missing {QUESTIONS.name}")
        return rows
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: invalid JSON ({exc})")
            continue
        if not isinstance(obj, dict):
            problems.append(f"line {number}: not a JSON object")
            continue
        rows.append((number, obj))
    return rows


def check_fields(number, obj, problems):
    ok = True
    for field in REQUIRED:
        if field not in obj:
            problems.append(f"line {number}: missing field '{field}'")
            ok = False
    if not ok:
        return False
    for field in ("expected_sources", "key_facts", "organisations"):
        value = obj[field]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(f"{obj['id']}: '{field}' must be a list of strings")
            ok = False
    if not isinstance(obj["question"], str) or not obj["question"].strip():
        problems.append(f"{obj['id']}: empty question")
        ok = False
    return ok


def check_question(obj, seen_ids, text_cache, problems, warnings):
    qid = obj["id"]
    kind = obj["kind"]
    if kind not in KINDS:
        problems.append(f"{qid}: unknown kind '{kind}'")
    sources = obj["expected_sources"]
    facts = obj["key_facts"]
    if kind == "unanswerable":
        if sources or facts:
            problems.append(f"{qid}: unanswerable question must have no sources and no facts")
        return
    if not sources:
        problems.append(f"{qid}: no expected_sources")
    if not facts:
        problems.append(f"{qid}: no key_facts")
    follows = obj.get("follows")
    if kind == "followup" and not follows:
        problems.append(f"{qid}: followup without 'follows'")
    if follows is not None and follows not in seen_ids:
        problems.append(f"{qid}: follows '{follows}', which is not an earlier id")
    texts = []
    for source in sources:
        path = DOCS / source
        if not path.is_file():
            problems.append(f"{qid}: expected source '{source}' does not exist")
            continue
        if source not in text_cache:
            text_cache[source] = variants(extract(path))
        texts.extend(text_cache[source])
    for fact in facts:
        if BARE_SHORT_NUMBER.match(fact.strip()):
            warnings.append(f"{qid}: key fact '{fact}' is a bare one- or two-digit number")
        if texts and not fact_found(fact, texts):
            problems.append(f"{qid}: key fact '{fact}' not found in {sources}")


def main():
    verbose = "--verbose" in sys.argv[1:]
    problems = []
    warnings = []
    rows = load_questions(problems)
    seen_ids = set()
    text_cache = {}
    counts = {}
    for number, obj in rows:
        if not check_fields(number, obj, problems):
            continue
        qid = obj["id"]
        if qid in seen_ids:
            problems.append(f"line {number}: duplicate id '{qid}'")
        if "follows" in obj and obj.get("kind") != "followup":
            warnings.append(f"{qid}: has 'follows' but kind is '{obj.get('kind')}'")
        check_question(obj, seen_ids, text_cache, problems, warnings)
        seen_ids.add(qid)
        counts[obj["kind"]] = counts.get(obj["kind"], 0) + 1
    documents = sorted(p.name for p in DOCS.iterdir() if p.is_file()) if DOCS.is_dir() else []
    cited = {s for _, obj in rows for s in obj.get("expected_sources", [])}
    for name in documents:
        if name not in cited:
            warnings.append(f"document '{name}' is not cited by any question")
    print(f"documents: {len(documents)}")
    print(f"questions: {len(rows)}")
    for kind in sorted(counts):
        print(f"  {kind}: {counts[kind]}")
    if verbose or warnings:
        for warning in warnings:
            print(f"WARNING {warning}")
    for problem in problems:
        print(f"PROBLEM {problem}")
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
