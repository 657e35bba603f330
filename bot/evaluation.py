"""Evaluation: answer quality on the project's question set, retrieval quality on BEIR data.

Question sets are JSON lines: ``{"id", "kind", "question", "expected_sources", "key_facts",
"follows"?, "split"?, "organisations"?}``. A key fact may list alternatives as ``"a|b"``. The kind
is free text (the project's set uses fact, comparison, followup and unanswerable; others such as
table, practice or aggregation are reported like any kind): a question with ``follows`` is asked
after the one it names, with that turn as history, and a question without expected sources is
unanswerable (the bot should abstain). ``split`` ("dev" or "test", written by
``scripts/split_questions.py``) lets weights be tuned on one half and reported on the other;
``organisations`` names the organisations a question asks about when the index does not know them.

Besides retrieval and answer scores, two counts of faults in the answers' text:
``wrong_organisation`` (a figure cited from a document about another organisation than the one
asked about) and ``cut_short`` (a quoted piece that stops in the middle of a sentence before its
citation marker).
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from time import perf_counter
from typing import Any

from .errors import ConfigError
from .question import names as question_names
from .store import FileRecord
from .text import fold

#: Thresholds that the project's own evaluation must reach (issue "corpus and evaluation").
TARGETS = {"hit@5": 0.95, "fact_accuracy": 0.85, "abstention_precision": 0.9,
           "abstention_recall": 0.9}
#: Counts that must not exceed these (for the held-out test and blind sets above all).
MAXIMUMS = {"wrong_organisation": 0, "cut_short": 0}
SPLITS = ("dev", "test")


@dataclass
class EvalQuestion:
    """One question of an evaluation set."""

    id: str
    kind: str
    question: str
    expected_sources: list[str] = field(default_factory=list)
    key_facts: list[str] = field(default_factory=list)
    follows: str | None = None
    #: "dev" or "test"; None in sets that are not split (such as a blind set)
    split: str | None = None
    #: the organisations the question asks about, where the index does not know them
    organisations: list[str] = field(default_factory=list)
    #: ISO 639-1 code of the question's language and of its expected documents' (optional)
    language: str | None = None
    doc_language: str | None = None

    @property
    def answerable(self) -> bool:
        """Whether the corpus holds the answer."""
        return bool(self.expected_sources)


@dataclass
class QuestionResult:
    """How the bot did on one question."""

    id: str
    kind: str
    question: str
    answer: str
    abstained: bool
    answerable: bool
    ranked_sources: list[str]
    cited_sources: list[str]
    expected_sources: list[str]
    facts_found: bool | None
    seconds: float
    #: names of the organisations the question asks about (with their other names)
    organisations: list[str] = field(default_factory=list)
    #: the cluster of each numbered source of the answer
    source_clusters: dict[int, str | None] = field(default_factory=dict)
    #: "de", or "en on de" for a question asked in another language than its documents'
    language: str | None = None
    #: the answer's cited figures that come from another organisation's document
    wrong_organisation: list[str] = field(init=False)
    #: the answer's quoted pieces that stop in the middle of a sentence before their marker
    cut_short: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.wrong_organisation = ([] if self.abstained else wrong_organisation_statements(
            self.answer, self.organisations, self.source_clusters))
        self.cut_short = cut_short_pieces(self.answer)

    def rank(self) -> int | None:
        """1-based rank of the first expected document among the retrieved, or None."""
        for position, source in enumerate(self.ranked_sources, start=1):
            if source in self.expected_sources:
                return position
        return None


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read a JSON-lines question set; a folder means every ``*.jsonl`` file in it."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    questions: list[EvalQuestion] = []
    for file in files:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"cannot read the question set {file}: {exc.strerror}") from None
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                question = EvalQuestion(**json.loads(line))
            except (ValueError, TypeError) as exc:
                raise ConfigError(f"{file}:{number}: not a valid question ({exc})") from None
            if question.split not in (None, *SPLITS):
                raise ConfigError(f"{file}:{number}: split {question.split!r} is not one of "
                                  f"{', '.join(SPLITS)}")
            questions.append(question)
    ids = {q.id for q in questions}
    missing = [q.id for q in questions if q.follows and q.follows not in ids]
    if missing:
        raise ConfigError(f"questions {', '.join(missing)} follow a question not in the set")
    return questions


def select_split(questions: list[EvalQuestion], split: str) -> list[EvalQuestion]:
    """The questions of one split ("dev" or "test"); a follow-up's first question is in the
    same split (``scripts/split_questions.py`` keeps chains together)."""
    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    if not any(q.split for q in questions):
        raise ConfigError("the question set has no split field: evaluate it without --split, "
                          "or split it with scripts/split_questions.py")
    chosen = [q for q in questions if q.split == split]
    ids = {q.id for q in chosen}
    apart = [q.id for q in chosen if q.follows and q.follows not in ids]
    if apart:
        raise ConfigError(f"questions {', '.join(apart)} of the {split} split follow a question "
                          "of another split: run scripts/split_questions.py again")
    return chosen


def facts_present(answer: str, facts: list[str]) -> bool:
    """Whether every key fact (alternatives split by ``|``) occurs in the answer."""
    text = _normalise(answer)
    return all(any(_normalise(option) in text for option in fact.split("|")) for fact in facts)


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip().lower()


# ---------------------------------------------------------------- faults in the answer text

#: Cluster values of documents about no single organisation.
NO_ORGANISATION = {"", "multiple", "several", "various", "mixed", "all", "none", "general",
                   "n/a", "na", "-"}
#: A run of citation markers and the text before it.
_CITED = re.compile(r"(?P<text>.*?)(?P<markers>(?:\s*\[\d{1,3}\])+)")
#: The label of a list line, as in a comparison: "- BioM: ...".
#: The label an answer line opens with ("- BioM: ...", "Sava Valley MedTech Cluster,
#: Membership fees 2025: ..."): whom, and from which document, the line speaks of.
_LABEL = re.compile(r"^\s*(?:[-*•]\s+)?([^:\[\]]{1,160}):\s")
#: Words that do not end a sentence: a piece ending with one was cut short.
FUNCTION_WORDS = frozenset("""
    a an the of to in into on onto at by for from with without within via per than as
    and or nor but that which whose who whom provided providing including such whereas while
    although because if whether unless between among towards toward upon its their our your
    his her my is are was were be been being""".split())
#: Endings of a piece cut in the middle: comma, semicolon, hyphen or dash, opening bracket.
_CUT_END = re.compile(r"[,;\-‐–—(\[{]$")


#: Words too common in organisation names to tell one from another (the bot's own list and the
#: words that make no organisation name). The evaluation keeps its own name patterns, apart from
#: the bot's, so that it does not share their faults.
GENERIC_NAME_WORDS = question_names.GENERIC_NAME_WORDS | question_names.NAME_NOISE
_UPPER = "A-ZÀ-ÖØ-Þ"
#: A name: a word with a second capital or a digit ("BioM", "CE4BIG") or capitalised words,
#: possibly joined by "of", "for", "de", "the" ("Council of European BioRegions").
_NAME = re.compile(rf"\b[{_UPPER}][\w'’-]*[{_UPPER}0-9][\w'’-]*\b|\b[{_UPPER}][\w'’-]+"
                   rf"(?:\s+(?:(?:of|for|de|the)\s+)*[{_UPPER}][\w'’-]+)+")
#: "Long Name (SHORT)" in a document title.
_NAME_AND_SHORT = re.compile(rf"([{_UPPER}][\w’'.-]*(?:\s+(?:[{_UPPER}][\w’'.-]*|of|for|and|de"
                             rf"|the))*)\s+\(([^()]{{2,40}})\)")


def _distinctive(name: str) -> set[str]:
    return {w for w in re.findall(r"\w+", fold(name))
            if len(w) > 2 and w not in GENERIC_NAME_WORDS}


def name_phrases(question: str) -> list[str]:
    """The capitalised name phrases of a question, not its first word when that is only
    capitalised as the first ("Which", "How"), nor phrases made only of generic words ("Gold
    Label", "EU")."""
    names: list[str] = []
    for match in _NAME.finditer(question):
        name = match.group(0)
        first, _, rest = name.partition(" ")
        if (match.start() == len(question) - len(question.lstrip())
                and not re.fullmatch(rf".[\w'’-]*[{_UPPER}0-9][\w'’-]*", first)):
            name = rest
        name = re.sub(r"^(?:the|of|for)\s+", "", name, flags=re.I)
        if _NAME.fullmatch(name) and _distinctive(name):
            names.append(name)
    return names


def title_aliases(cluster: str, title: str) -> list[str]:
    """Other names of ``cluster`` that a document title gives: "Hellenic BioCluster (HBio)"
    for HBio, "KLK" for "Klaster LifeScience Kraków (KLK)"."""
    aliases = []
    for long, short in _NAME_AND_SHORT.findall(title):
        long = re.sub(r"^(The|A|An)\s+", "", long.strip())
        if fold(short) == fold(cluster):
            aliases.append(long)
        elif fold(long).endswith(fold(cluster)) and re.fullmatch(
                rf"[^\W\d_][\w.&-]*[{_UPPER}][\w.&-]*", short):
            aliases.append(short)
    return aliases


def _mentions(text: str, name: str) -> bool:
    """Whether ``text`` names ``name``: the whole name or a distinctive word of it."""
    folded = fold(text)
    if re.search(rf"(?<!\w){re.escape(fold(name))}(?!\w)", folded):
        return True
    return bool(_distinctive(name) & set(re.findall(r"\w+", folded)))


def _same_organisation(cluster: str, names: list[str]) -> bool:
    """Whether a document's ``cluster`` is one of the organisations ``names``."""
    return any(fold(cluster) == fold(name) or _distinctive(cluster) & _distinctive(name)
               for name in names)


def known_organisations(records: dict[str, FileRecord]) -> dict[str, list[str]]:
    """The clusters of an index's documents, each with its other names from document titles
    ("Hellenic BioCluster" for HBio); documents about several organisations are left out."""
    names: dict[str, list[str]] = {}
    for record in records.values():
        cluster = str(record.metadata.get("cluster") or "").strip()
        if fold(cluster) in NO_ORGANISATION:
            continue
        aliases = names.setdefault(cluster, [cluster])
        for alias in title_aliases(cluster, record.title or ""):
            if alias not in aliases:
                aliases.append(alias)
    return names


def named_clusters(question: str, known: dict[str, list[str]]) -> list[str]:
    """The clusters of ``known`` that ``question`` names, ignoring case and accents: by their
    name or another name, or by a capitalised word that belongs to one cluster's names only
    ("Fjordheim members", "the Tejo co-working hub")."""
    folded = fold(question)
    owners: dict[str, set[str]] = defaultdict(set)
    for cluster, names in known.items():
        for name in names:
            for word in _distinctive(name):
                owners[word].add(cluster)
    capitalised = {fold(word) for word in re.findall(rf"(?<!^)(?<![\w'’-])[{_UPPER}]\w*",
                                                      question.strip())}
    return [cluster for cluster, names in known.items()
            if any(re.search(rf"(?<!\w){re.escape(fold(n))}(?!\w)", folded) for n in names)
            or any(owners.get(word) == {cluster} for word in capitalised)]


def asked_organisations(question: str, known: dict[str, list[str]],
                        given: list[str] | None = None) -> list[str]:
    """The names of the organisations ``question`` asks about: ``given`` if any; else the
    clusters of ``known`` that it names (``named_clusters``) and the other capitalised name
    phrases it holds ("the European Secretariat for Cluster Analysis" beside a known cluster,
    or alone). Known clusters come with their other names."""
    if given:
        found = list(given)
    else:
        clusters = named_clusters(question, known)
        found = clusters + [phrase for phrase in name_phrases(question)
                            if not any(_same_organisation(phrase, known[c]) for c in clusters)]
    names: list[str] = []
    for name in found:
        for aliases in known.values():
            if any(fold(name) == fold(a) for a in aliases):
                names.extend(a for a in aliases if a not in names)
        if name not in names:
            names.append(name)
    return names


def _cited_pieces(line: str) -> list[tuple[str, str]]:
    """Each piece of ``line`` before a run of citation markers, with the markers."""
    return [(m.group("text"), m.group("markers")) for m in _CITED.finditer(line)]


def wrong_organisation_statements(answer: str, organisations: list[str],
                                  source_clusters: dict[int, str | None]) -> list[str]:
    """The statements of ``answer`` with a figure (a digit) cited from a source whose document
    is about another organisation than ``organisations``. A statement that names one of them
    (or whose comparison line is labelled with one of them alone) does not count; nor do
    sources about no single organisation. A line's label (the organisation and document it
    quotes) is no statement. Each statement is returned with the clusters of its wrong
    sources."""
    if not organisations:
        return []
    wrong: list[str] = []
    for line in answer.splitlines():
        label = _LABEL.match(line)
        for text, markers in _cited_pieces(line[label.end():] if label else line):
            if not re.search(r"\d", text):
                continue
            if any(_mentions(text, name) for name in organisations) or (
                    label and any(set() < _distinctive(label.group(1)) <= _distinctive(name)
                                  for name in organisations)):
                continue
            others = sorted({str(cluster) for n in re.findall(r"\d+", markers)
                             if (cluster := source_clusters.get(int(n)))
                             and fold(cluster) not in NO_ORGANISATION
                             and not _same_organisation(cluster, organisations)})
            if others:
                wrong.append(f"{text.strip()}{markers} (from {', '.join(others)})")
    return wrong


def cut_short_pieces(answer: str) -> list[str]:
    """The pieces of ``answer`` (text between line starts and citation markers) that stop in
    the middle of a sentence before their marker: they end with a function word ("the", "of",
    "provided"), a comma, semicolon, hyphen or an opening bracket."""
    cut: list[str] = []
    for line in answer.splitlines():
        for text, markers in _cited_pieces(line):
            piece = text.strip()
            if not piece:
                continue
            last = re.search(r"([^\W\d_]+)$", piece)
            if _CUT_END.search(piece) or (last and last.group(1).lower() in FUNCTION_WORDS):
                cut.append(f"{piece}{markers}")
    return cut


def ndcg(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    """Normalised discounted cumulative gain at ``k`` with binary relevance."""
    dcg = sum(1 / math.log2(i + 2) for i, doc in enumerate(ranked[:k]) if doc in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def run_questions(bot: Any, questions: list[EvalQuestion], retrieve_k: int = 10,
                  progress: Callable[[int, int], None] | None = None) -> list[QuestionResult]:
    """Ask every question (follow-ups after the question they follow) and record the results."""
    by_id = {q.id: q for q in questions}
    known = known_organisations(bot.documents())
    answers: dict[str, str] = {}
    asked: dict[str, list[str]] = {}

    def organisations(q: EvalQuestion) -> list[str]:
        """What ``q`` asks about; a follow-up that names nothing, what its first question did."""
        if q.id not in asked:
            names = asked_organisations(q.question, known, q.organisations)
            asked[q.id] = names or (organisations(by_id[q.follows]) if q.follows else [])
        return asked[q.id]

    results: list[QuestionResult] = []
    for done, q in enumerate(questions, start=1):
        history: list[dict[str, str]] = []
        if q.follows:
            first = by_id[q.follows]
            if first.id not in answers:
                answers[first.id] = bot.ask(first.question).text
            history = [{"role": "user", "content": first.question},
                       {"role": "assistant", "content": answers[first.id]}]
        started = perf_counter()
        answer = bot.ask(q.question, history=history)
        seconds = perf_counter() - started
        answers[q.id] = answer.text
        standalone = answer.metadata.get("query", q.question)
        ranked = [source for source, _ in bot.search.search_documents(standalone, retrieve_k)]
        results.append(QuestionResult(
            id=q.id, kind=q.kind, question=q.question, answer=answer.text,
            abstained=answer.abstained, answerable=q.answerable, ranked_sources=ranked,
            cited_sources=[s.source for s in answer.cited], expected_sources=q.expected_sources,
            facts_found=facts_present(answer.text, q.key_facts) if q.key_facts else None,
            seconds=seconds, organisations=organisations(q),
            source_clusters={s.n: s.cluster for s in answer.sources},
            language=language_group(q)))
        if progress:
            progress(done, len(questions))
    return results


def metrics(results: list[QuestionResult]) -> dict[str, float]:
    """Retrieval hit@1/3/5, MRR, nDCG@10, fact accuracy, citation precision, abstention
    precision/recall, latency, and the counts of answers with a figure of the wrong
    organisation (``wrong_organisation``) or a piece cut short (``cut_short``) over
    ``results``."""
    answerable = [r for r in results if r.answerable]
    with_facts = [r for r in answerable if r.facts_found is not None]
    cited = [(s, r) for r in answerable for s in r.cited_sources]
    abstained = [r for r in results if r.abstained]
    unanswerable = [r for r in results if not r.answerable]
    latencies = sorted(r.seconds for r in results)
    ranks = [r.rank() for r in answerable]
    out: dict[str, float] = {"questions": float(len(results))}
    if answerable:
        for k in (1, 3, 5):
            out[f"hit@{k}"] = mean(1.0 if rank and rank <= k else 0.0 for rank in ranks)
        out["mrr"] = mean(1 / rank if rank else 0.0 for rank in ranks)
        out["ndcg@10"] = mean(ndcg(r.ranked_sources, set(r.expected_sources)) for r in answerable)
    if with_facts:
        out["fact_accuracy"] = mean(1.0 if r.facts_found else 0.0 for r in with_facts)
    if cited:
        out["citation_precision"] = mean(1.0 if s in r.expected_sources else 0.0
                                         for s, r in cited)
    out["abstention_precision"] = (mean(0.0 if r.answerable else 1.0 for r in abstained)
                                   if abstained else 1.0)
    if unanswerable:
        out["abstention_recall"] = mean(1.0 if r.abstained else 0.0 for r in unanswerable)
    if latencies:
        out["latency_mean_s"] = mean(latencies)
        out["latency_p50_s"] = latencies[len(latencies) // 2]
        out["latency_p95_s"] = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
    out["wrong_organisation"] = sum(1 for r in results if r.wrong_organisation)
    out["cut_short"] = sum(1 for r in results if r.cut_short)
    return {k: round(v, 4) for k, v in out.items()}


def metrics_by_kind(results: list[QuestionResult]) -> dict[str, dict[str, float]]:
    """``metrics`` for each question kind."""
    return metrics_by(results, "kind")


def metrics_by(results: list[QuestionResult], attribute: str) -> dict[str, dict[str, float]]:
    """``metrics`` for each value of a result's ``attribute`` ("kind", "language"); results
    without a value are left out."""
    groups: dict[str, list[QuestionResult]] = defaultdict(list)
    for r in results:
        if getattr(r, attribute) is not None:
            groups[getattr(r, attribute)].append(r)
    return {value: metrics(items) for value, items in sorted(groups.items())}


def language_group(question: EvalQuestion) -> str | None:
    """The question's language, with its documents' when they differ ("en on de")."""
    if question.language is None:
        return None
    if question.doc_language and question.doc_language != question.language:
        return f"{question.language} on {question.doc_language}"
    return question.language


def failures(result: dict[str, float], targets: dict[str, float] = TARGETS,
             maximums: dict[str, float] = MAXIMUMS) -> list[str]:
    """The targets (minimums) and maximums a metrics dict misses, as readable lines."""
    low = [f"{name} {result.get(name, 0.0):.3f} < {target}" for name, target in targets.items()
           if result.get(name, 0.0) < target]
    high = [f"{name} {result.get(name, 0)} > {limit}" for name, limit in maximums.items()
            if result.get(name, 0) > limit]
    return low + high


def faults(results: list[QuestionResult]) -> dict[str, list[dict[str, Any]]]:
    """The questions whose answers state another organisation's figure or cut a piece short:
    id, kind, question, answer and the statements or pieces at fault."""
    return {name: [{"id": r.id, "kind": r.kind, "question": r.question, "answer": r.answer,
                    name: getattr(r, name)}
                   for r in results if getattr(r, name)]
            for name in ("wrong_organisation", "cut_short")}


def write_report(folder: Path, overall: dict[str, float], by_kind: dict[str, dict[str, float]],
                 results: list[QuestionResult]) -> Path:
    """Write ``report.md`` with a chart of the metrics by question kind; return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    names = ["hit@1", "hit@5", "mrr", "fact_accuracy", "citation_precision", "abstention_recall"]
    kinds = list(by_kind)
    figure, axis = plt.subplots(figsize=(9, 4))
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        values = [by_kind[k].get(name, float("nan")) for k in kinds]
        axis.bar([x + i * width for x in range(len(kinds))], values, width, label=name)
    axis.set_xticks([x + 0.4 - width / 2 for x in range(len(kinds))], kinds)
    axis.set_ylim(0, 1.05)
    axis.set_title("clusterbot evaluation by question kind")
    axis.legend(fontsize=7, ncol=3, loc="lower right")
    figure.tight_layout()
    figure.savefig(folder / "metrics.png", dpi=120)
    plt.close(figure)

    columns = sorted({key for m in [overall, *by_kind.values()] for key in m})
    lines = ["# clusterbot evaluation", "", "![metrics by kind](metrics.png)", "",
             "| set | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for label, values in [("all", overall), *by_kind.items()]:
        lines.append(f"| {label} | " + " | ".join(
            ("" if c not in values else str(values[c]) if isinstance(values[c], int)
             else f"{values[c]:.3f}") for c in columns) + " |")
    missed = [r for r in results if (r.answerable and (r.rank() is None or r.rank() > 5
                                                       or r.facts_found is False or r.abstained))
              or (not r.answerable and not r.abstained)]
    lines += ["", f"## Questions to look at ({len(missed)})", ""]
    for r in missed:
        lines.append(f"- **{r.id}** ({r.kind}) {r.question}  \n  expected {r.expected_sources}; "
                     f"retrieved {r.ranked_sources[:3]}; facts {r.facts_found}; "
                     f"answer: {r.answer[:200]!r}")
    titles = {"wrong_organisation": "Figures of another organisation than the one asked about",
              "cut_short": "Quoted pieces cut short before their citation"}
    for name, items in faults(results).items():
        lines += ["", f"## {titles[name]} ({name}: {len(items)})", ""]
        for item in items:
            lines.append(f"- **{item['id']}** ({item['kind']}) {item['question']}")
            lines += [f"  - {statement!r}" for statement in item[name]]
    path = folder / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------- BEIR


def _read_jsonl(path: Path) -> Iterable[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def load_beir(folder: Path) -> tuple[list[dict], dict[str, str], dict[str, set[str]]]:
    """Corpus rows, test queries and qrels (query id → relevant document ids) of a BEIR folder."""
    corpus_file = folder / "corpus.jsonl"
    queries_file = next(iter(sorted(folder.glob("queries*.jsonl"))), None)
    qrels_file = folder / "qrels" / "test.tsv"
    if not corpus_file.is_file() or queries_file is None or not qrels_file.is_file():
        raise ConfigError(f"{folder} is not a BEIR folder: it needs corpus.jsonl, "
                          "queries*.jsonl and qrels/test.tsv")
    qrels: dict[str, set[str]] = defaultdict(set)
    for line in qrels_file.read_text(encoding="utf-8").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) >= 3 and int(parts[2]) > 0:
            qrels[parts[0]].add(parts[1])
    queries = {q["_id"]: q["text"] for q in _read_jsonl(queries_file) if q["_id"] in qrels}
    return list(_read_jsonl(corpus_file)), queries, dict(qrels)


def beir_documents(rows: list[dict]) -> list:
    """BEIR corpus rows as clusterbot ``Document``s (the id is the source)."""
    from .loading.document import Block, Document

    return [Document(source=row["_id"], title=row.get("title") or "",
                     blocks=[Block(row.get("text") or row.get("title") or "")])
            for row in rows]


def build_beir_index(folder: Path, settings: Any, embeddings: Any,
                     progress: Callable[[str, int, int], None] | None = None) -> float:
    """Index a BEIR corpus into ``settings.index_dir``; return the seconds it took."""
    from .chunking import chunk_document
    from .indexing import embed_into
    from .store import IndexStore

    rows, _, _ = load_beir(folder)
    started = perf_counter()
    store = IndexStore.create(settings, len(embeddings.embed_query("probe")))
    chunks = [c for d in beir_documents(rows)
              for c in chunk_document(d, settings.chunk_tokens, settings.chunk_overlap)]
    embed_into(store, embeddings, chunks, progress)
    store.rebuild_keywords()
    for chunk in chunks:
        store.manifest.files.setdefault(chunk.source, FileRecord("", chunk.title, [], {}, ""))
        store.manifest.files[chunk.source].chunk_ids.append(chunk.id)
    store.save_manifest()
    store.publish()
    store.close()
    return perf_counter() - started


def score_beir(retriever: Any, queries: dict[str, str], qrels: dict[str, set[str]],
               progress: Callable[[str, int, int], None] | None = None) -> dict[str, float]:
    """nDCG@10 and recall@100 of ``retriever.search_documents`` on BEIR queries."""
    started = perf_counter()
    ndcgs, recalls = [], []
    for done, (qid, text) in enumerate(queries.items(), start=1):
        ranked = [source for source, _ in retriever.search_documents(text, 100)]
        ndcgs.append(ndcg(ranked, qrels[qid], 10))
        recalls.append(len(set(ranked[:100]) & qrels[qid]) / len(qrels[qid]))
        if progress:
            progress("searching", done, len(queries))
    seconds = perf_counter() - started
    return {"ndcg@10": round(mean(ndcgs), 4), "recall@100": round(mean(recalls), 4),
            "search_ms_per_query": round(1000 * seconds / len(queries), 1)}


def run_beir(folder: Path, settings: Any, embeddings: Any,
             progress: Callable[[str, int, int], None] | None = None) -> dict[str, float]:
    """Index a BEIR folder into a temporary index; return nDCG@10, recall@100 and timings."""
    from .retrieval import Retriever
    from .store import IndexStore

    rows, queries, qrels = load_beir(folder)
    with tempfile.TemporaryDirectory(prefix="clusterbot-beir-") as tmp:
        settings = settings.replace(index_dir=Path(tmp))
        index_seconds = build_beir_index(folder, settings, embeddings, progress)
        store = IndexStore.open(settings)
        result = score_beir(Retriever(store, embeddings, settings), queries, qrels, progress)
        chunks = store.count()
        store.close()
    return {"documents": len(rows), "chunks": chunks, "queries": len(queries),
            "retrieval": settings.retrieval, **result, "index_seconds": round(index_seconds, 1)}
