"""Faults in an answer's text: ``wrong_organisation`` (a figure cited from a document about
another organisation than the one asked about) and ``cut_short`` (a quoted piece that stops in
the middle of a sentence before its citation marker), with the organisations a question asks
about.
"""

from __future__ import annotations

import re
from collections import defaultdict

from ..manifest import FileRecord
from ..question import names as question_names
from ..text import fold

#: Cluster values of documents about no single organisation.
NO_ORGANISATION = {"", "multiple", "several", "various", "mixed", "all", "none", "general",
                   "n/a", "na", "-"}
#: A run of citation markers and the text before it.
_CITED = re.compile(r"(?P<text>.*?)(?P<markers>(?:\s*\[\d{1,3}\])+)")
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
