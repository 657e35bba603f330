"""Retrieval: a question and filters → ranked ``Hit``s from the index.

Two rankings are fused by weighted reciprocal rank fusion (k=20, measured best in
bench/RESULTS.md): dense search over Chroma and BM25 over the keyword side index, both under the
same filters. With ``BOT_ENTITY_WEIGHT`` > 0, a question that names a cluster known to the index
adds a third ranking, of that cluster's own chunks (off by default: it raises fact accuracy a
little but lowers document hit rates). A cap on chunks per document keeps one long document
from crowding out the rest; questions across clusters are capped per cluster. A comparison of
named organisations is asked of each of them in turn ("Compare the fees of A and B": "... of
A", "... of B") and the hits of each taken in turn.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .config import EMBEDDING_SERVERS, Settings, is_default_model
from .errors import ConfigError
from .language import DEFAULT_LANGUAGE, detect, languages, vocabulary
from .store import IndexStore, StoredChunk
from .text import STOPWORDS, content_words, fold, words

if TYPE_CHECKING:  # langchain_core is slow to import: only for annotations here
    from langchain_core.embeddings import Embeddings

#: Questions across clusters: retrieval caps the chunks per cluster.
_ACROSS_CLUSTERS = re.compile(r"\b(compare|comparison|differ|difference|differences|versus|"
                              r"vs\.?|other clusters|each of|both|between|which (cluster|one) "
                              r"(is|has))\b", re.I)
#: Questions that compare the organisations they name.
_COMPARE_Q = re.compile(r"\b(?:compare|compared|comparison|differ|differs|difference|"
                        r"differences|versus|vs\.?|each|both|between)\b|\bwhich\b[^?]*\b(?:"
                        r"older|younger|more|less|larger|bigger|smaller|higher|lower|fewer)\b",
                        re.I)
#: Words that join two names compared: "BioM and bioPmed", "X or Y", "X with Y".
_COORDINATION = re.compile(r"^\W*(?:and|or|with|versus|vs\.?|compared (?:with|to)|,)\W*"
                           r"(?:the\s+)?$", re.I)
FILTER_KEYS = ("cluster", "country", "year", "type", "topic", "source", "language")
#: Words too common in cluster names to identify one cluster.
GENERIC_NAME_WORDS = STOPWORDS | {
    "cluster", "clusters", "network", "association", "innovation", "regional", "european",
    "life", "science", "sciences", "health", "biotech", "biotechnology", "technology", "multiple",
    "project", "programme", "program", "initiative", "platform", "council", "centre", "center",
}


@dataclass
class Hit:
    """A retrieved chunk: its text, metadata, final score and dense similarity."""

    id: str
    text: str
    metadata: dict[str, Any]
    score: float
    similarity: float
    matched_entity: bool = False

    @property
    def source(self) -> str:
        """Path of the document relative to the corpus."""
        return self.metadata.get("source", "")


@dataclass
class Query:
    """A question prepared for retrieval: its vector, the clusters it names (and how it writes
    them), whether it asks across clusters, and the other organisations it compares."""

    text: str
    vector: list[float]
    entities: list[str] = field(default_factory=list)
    comparison: bool = False
    #: how the question writes each entity, where it uses another name ("Hellenic BioCluster")
    written: dict[str, str] = field(default_factory=dict)
    #: other organisations a comparison names, unknown to the index
    others: list[str] = field(default_factory=list)
    #: whether the question compares the organisations it names (``is_comparison``)
    compares: bool = False
    #: the question's language (ISO 639-1), detected; English for a question without letters
    language: str = DEFAULT_LANGUAGE
    #: names the question gives that may be organisations the index does not know
    unknown: list[str] = field(default_factory=list)
    #: whether the question ranks the clusters ("which cluster has the most members?")
    ranks: bool = False

    def name_of(self, entity: str) -> str:
        """``entity`` as the question writes it."""
        return self.written.get(entity, entity)


def build_where(filters: dict[str, Any] | None) -> dict[str, Any] | None:
    """Translate user filters (cluster, country, year, type, topic, source) to a Chroma filter.

    A value may be a list, meaning any of its items.
    """
    if not filters:
        return None
    clauses: list[dict[str, Any]] = []
    for key, value in filters.items():
        if value in (None, "", []):
            continue
        if key not in FILTER_KEYS:
            raise ConfigError(f"unknown filter {key!r}: use one of {', '.join(FILTER_KEYS)}")
        values = value if isinstance(value, (list, tuple, set)) else [value]
        if key == "year":
            try:
                values = [int(v) for v in values]
            except ValueError:
                raise ConfigError(f"year filter {value!r} is not a year") from None
        if key == "topic":
            options = [{"topics": {"$contains": str(v).lower()}} for v in values]
            clauses.append(options[0] if len(options) == 1 else {"$or": options})
        else:
            clauses.append({key: values[0]} if len(values) == 1 else {key: {"$in": list(values)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


_NAME_AND_SHORT_FORM = re.compile(r"([A-Z][\w’'.-]*(?:\s+(?:[A-Z][\w’'.-]*|of|for|and|de|the))*)"
                                  r"\s+\(([^()]{2,40})\)")


def title_aliases(cluster: str, title: str) -> list[str]:
    """Other names of ``cluster`` that a document title gives, as in "Hellenic BioCluster
    (HBio): ..." for HBio, or "Klaster LifeScience Kraków (KLK)" for Klaster LifeScience Kraków."""
    aliases = []
    for long, short in _NAME_AND_SHORT_FORM.findall(title):
        long = re.sub(r"^(The|A|An)\s+", "", long.strip())
        if fold(short) == fold(cluster):
            aliases.append(long)
        elif fold(long).endswith(fold(cluster)) and re.fullmatch(r"[A-Za-z][\w.&-]*[A-Z][\w.&-]*",
                                                                   short):
            aliases.append(short)
    return aliases


#: The shortest word a typo is forgiven in: shorter words are too alike ("bio", "med").
MIN_TYPO_LENGTH = 5


class EntityMatcher:
    """Finds the clusters a question names: by full name, by another name that a document title
    gives it, or by a word unique to one name, also with one typo in it ("fjordhiem": one
    insertion, deletion, substitution or swap of neighbours)."""

    def __init__(self, names: list[str], aliases: dict[str, str] | None = None,
                 titles: list[tuple[str, str]] | None = None):
        """``names`` of the clusters, their other ``aliases``, and the (cluster, title) of each
        document, whose titles show which words other organisations use too."""
        self.names = sorted({n for n in names if n and n.lower() != "multiple"})
        self.aliases = {a: c for a, c in (aliases or {}).items() if c in self.names}
        owners: dict[str, set[str]] = defaultdict(set)
        for name in self.names:
            for word in words(fold(name)):
                if word not in GENERIC_NAME_WORDS and len(word) > 2:
                    owners[word].add(name)
        keys = {word: next(iter(o)) for word, o in owners.items() if len(o) == 1}
        # a word of one cluster's name that another organisation's document title uses too
        # ("MedTech" in "MedTech Netzwerk Ostalb-Rems" beside "Sava Valley MedTech Cluster")
        # names a sector, not that cluster
        own_words = {name: {w for w in words(fold(name)) if w in keys} for name in self.names}
        for cluster, title in titles or ():
            found = set(words(fold(title)))
            for word in found & keys.keys():
                owner = keys[word]
                about_owner = cluster == owner or (not cluster and own_words[owner] <= found)
                if not about_owner and cluster != "multiple":
                    del keys[word]
        self.keys = keys
        self._typo_keys = [key for key in keys if len(key) >= MIN_TYPO_LENGTH]

    def written(self, question: str, name: str) -> str:
        """How ``question`` writes the cluster ``name``: the name or another name of it."""
        folded = fold(question)
        for alias, owner in self.aliases.items():
            if owner == name and fold(name) not in folded and fold(alias) in folded:
                return alias
        return name

    def find(self, question: str) -> list[str]:
        """Cluster names mentioned in ``question``, in order of first mention."""
        folded = fold(question)
        found: dict[str, int] = {}
        for alias, name in [*((n, n) for n in self.names), *self.aliases.items()]:
            match = re.search(rf"\b{re.escape(fold(alias))}\b", folded)
            if match and match.start() < found.get(name, 10**9):
                found[name] = match.start()
        for position, word in enumerate(words(folded)):
            name = self.keys.get(word) or self._misspelt(word)
            if name and name not in found:
                found[name] = 10_000 + position
        return sorted(found, key=found.get)

    def _misspelt(self, word: str) -> str | None:
        """The cluster whose unique word ``word`` is one typo away from, if just one is."""
        if len(word) < MIN_TYPO_LENGTH or word in GENERIC_NAME_WORDS:
            return None
        near = process.extract(word, self._typo_keys, scorer=OSA.distance, score_cutoff=1,
                               limit=None)
        owners = {self.keys[key] for key, _, _ in near}
        return owners.pop() if len(owners) == 1 else None


def metadata_filter(filters: dict[str, Any] | None) -> Callable[[dict[str, Any]], bool] | None:
    """The same filters as ``build_where``, as a test of one chunk's metadata (for BM25)."""
    wanted: list[tuple[str, set]] = []
    for key, value in (filters or {}).items():
        if value in (None, "", []):
            continue
        values = value if isinstance(value, (list, tuple, set)) else [value]
        if key == "year":
            values = [int(v) for v in values]
        if key == "topic":
            values = [str(v).lower() for v in values]
        wanted.append(("topics" if key == "topic" else key, set(values)))
    if not wanted:
        return None

    def allowed(metadata: dict[str, Any]) -> bool:
        for key, values in wanted:
            have = metadata.get(key)
            found = set(have) if isinstance(have, list) else {have}
            if not found & values:
                return False
        return True

    # equal filters give equal masks: the keyword index caches them under this key
    allowed.cache_key = tuple(sorted((k, tuple(sorted(map(str, v)))) for k, v in wanted))
    return allowed


def _with_cluster(where: dict[str, Any] | None,
                  allowed: Callable[[dict[str, Any]], bool] | None,
                  cluster: str) -> tuple[dict[str, Any], Callable[[dict[str, Any]], bool]]:
    """A filter (Chroma's and as a test) that also requires ``cluster``."""
    def both(metadata: dict[str, Any]) -> bool:
        return metadata.get("cluster") == cluster and (allowed is None or allowed(metadata))

    both.cache_key = (getattr(allowed, "cache_key", ()), ("cluster", cluster))
    return ({"$and": [where, {"cluster": cluster}]} if where else {"cluster": cluster}), both


def fuse(rankings: list[tuple[float, list[str]]], k: int) -> dict[str, float]:
    """Weighted reciprocal rank fusion of ranked id lists, scaled so that an id ranked first
    by every list scores 1."""
    total = sum(weight for weight, _ in rankings) or 1.0
    fused: dict[str, float] = defaultdict(float)
    for weight, ids in rankings:
        for rank, item in enumerate(ids):
            fused[item] += weight * (k + 1) / (k + rank + 1)
    return {item: score / total for item, score in fused.items()}


#: Names in a question: capitalised words, possibly joined by "of", "for", "de".
_NAME = re.compile(r"\b[A-Z][\w'’-]*[A-Z0-9][\w'’-]*\b|\b[A-Z][\w'’-]+(?:\s+(?:(?:of|for|de|"
                   r"the)\s+)*[A-Z][\w'’-]+)+")
#: Names made of these words only are no organisation ("Gold Label", "EU").
NAME_NOISE = {"eu", "gold", "silver", "bronze", "label", "labels", "european", "union"}


def named_phrases(question: str) -> list[str]:
    """Names in a question that may be organisations: capitalised word groups and acronyms,
    not the question's first word, not names made only of generic words."""
    names: list[str] = []
    for match in _NAME.finditer(question):
        name = match.group(0)
        if match.start() == len(question) - len(question.lstrip()):
            name = name.split(" ", 1)[1] if " " in name else ""
        name = re.sub(r"^(?:the|of|for)\s+", "", name, flags=re.I)
        name = re.sub(r"['’]s$", "", name)
        if name and any(w not in GENERIC_NAME_WORDS | NAME_NOISE for w in content_words(name)):
            names.append(name)
    return names


#: A capitalised word of its own inside a sentence ("Minalogic"): a proper name.
_PROPER = re.compile(r"(?<![.!?:]\s)(?<!^)\b[A-Z][a-zà-ÿ'’-]{2,}\b")


def proper_names(question: str) -> list[str]:
    """The names of ``question`` and its single capitalised words inside a sentence ("What
    does Minalogic charge?"), leaving out months and names made of generic words."""
    months = {m.lower() for m in vocabulary("months")}
    single = [re.sub(r"['’]s$", "", m.group(0)) for m in _PROPER.finditer(question.strip())]
    names = named_phrases(question)
    single = [w for w in single if w.lower() not in GENERIC_NAME_WORDS | NAME_NOISE | months
              and not any(w in n for n in names)]
    return names + list(dict.fromkeys(single))


def other_names(question: str, entities: list[str], written: dict[str, str],
                language: str = DEFAULT_LANGUAGE, single_words: bool = False) -> list[str]:
    """Names in ``question`` other than those of the clusters the index knows it names ("the
    European Secretariat for Cluster Analysis" beside a known cluster), with its capitalised
    single words if ``single_words``; none in a language whose capitals mark every noun."""
    if languages()[language].capitalises_nouns:
        return []
    known = {w for e in entities for n in (e, written.get(e, e)) for w in words(fold(n))
             if w not in GENERIC_NAME_WORDS}
    names = proper_names(question) if single_words else named_phrases(question)
    return [name for name in names
            if not {w for w in words(fold(name)) if w not in GENERIC_NAME_WORDS} & known]


def name_span(text: str, name: str) -> tuple[int, int] | None:
    """Where ``name`` (or the distinctive words of it, with the rest of the name as written)
    occurs in ``text``."""
    match = re.search(re.escape(name), text, re.I)
    if match:
        return match.span()
    distinctive = [w for w in content_words(name) if w not in GENERIC_NAME_WORDS]
    spots = sorted((m.span(), i) for i, w in enumerate(distinctive)
                   for m in re.finditer(rf"\b{re.escape(w)}\b", text, re.I))
    if not spots:
        return None
    # runs of the name's words written together ("boyne valley"); the longest, then the one
    # with the name's first word ("tirreno", not the "agrifood" of "agrifood clusters")
    runs: list[list[tuple[tuple[int, int], int]]] = []
    for spot in spots:
        if runs and not text[runs[-1][-1][0][1]:spot[0][0]].strip():
            runs[-1].append(spot)
        else:
            runs.append([spot])
    run = max(runs, key=lambda r: (len(r), any(i == 0 for _, i in r), -r[0][0][0]))
    end = run[-1][0][1]
    tail = re.match(r"(?:\s+[A-Z][\w'’-]*)*", text[end:])
    return run[0][0][0], end + (tail.end() if tail else 0)


_JOINER_BEFORE = re.compile(r"(?:\s*,)?\s*\b(?:and|or|with|versus|vs\.?|compared (?:with|to))\b"
                            r"\s*(?:\bthe\s+)?$", re.I)
#: A question's next part: ", and how many ...", " and was ...".
QUESTION_PART = re.compile(r",?\s+and\s+(?=(?:how|what|when|who|where|which|was|were|is|are|did|"
                           r"does|do|has|have)\b)", re.I)
_POSSESSIVE = re.compile(r"^['’]s\b")
_JOINER_AFTER = re.compile(r"^\s*(?:,\s*)?\b(?:and|or|with|versus|vs\.?)\b\s*(?:\bthe\s+)?", re.I)


def subject_question(question: str, subject: str, subjects: list[str]) -> str:
    """``question`` asked of ``subject`` alone: the other organisations it compares, with the
    words that join them, left out ("Compare the fees of A and B." → "Compare the fees of A.")."""
    parts = QUESTION_PART.split(question)
    own = [p for p in parts if name_span(p, subject)
           and not any(name_span(p, o) for o in subjects if o != subject)]
    if len(parts) > 1 and len(own) == 1:  # "Who founded A, and who founded B?"
        text = own[0].strip(" ,?") + "?"
        return text[0].upper() + text[1:]
    text = question
    for other in subjects:
        if other == subject:
            continue
        span = name_span(text, other)
        if span is None:
            continue
        start, end = span
        possessive = _POSSESSIVE.match(text[end:])
        end += possessive.end() if possessive else 0
        before = _JOINER_BEFORE.search(text[:start])
        after = _JOINER_AFTER.match(text[end:])
        if before:
            start = before.start()
        elif after:
            end += after.end()
        text = text[:start] + text[end:]
    text = re.sub(r"\s+(?:each|both)\b", "", text, flags=re.I)
    return " ".join(text.split())


#: What a comparative asks about: "which is older" asks when each was founded.
_COMPARATIVE_TERMS = [(re.compile(r"\b(?:older|younger|newer|oldest|youngest)\b", re.I),
                       "founded")]


def comparative_terms(question: str) -> list[str]:
    """Words for what the comparatives of ``question`` ask about ("older": "founded")."""
    return [term for rule, term in _COMPARATIVE_TERMS if rule.search(question)]


def is_comparison(question: str, names: list[str]) -> bool:
    """Whether ``question`` compares the organisations it names (as written in ``names``): it
    says so, it names two joined by "and", "or" or "with", or it asks of each in a part of its
    own ("Who founded A, and who founded B?")."""
    if _COMPARE_Q.search(question):
        return True
    spans = sorted(span for n in names if (span := name_span(question, n)))
    if any(_COORDINATION.match(question[a[1]:b[0]]) for a, b in zip(spans, spans[1:])):
        return True
    parts = QUESTION_PART.split(question)
    named = [{n for n in names if name_span(part, n)} for part in parts]
    return len(parts) > 1 and all(len(n) == 1 for n in named) and len(set.union(*named)) > 1


#: How many times ``k`` passages a question that ranks clusters gets (one cluster's own
#: passages count against the cap per cluster).
RANKING_BREADTH = 3


class Retriever:
    """Hybrid retrieval: dense and BM25 rankings fused, clusters named in the question
    preferred, and a cap on chunks per document (per cluster for comparisons)."""

    def __init__(self, store: IndexStore, embeddings: Embeddings, settings: Settings):
        self.store = store
        self.embeddings = embeddings
        self.settings = settings
        records = store.manifest.files.values()
        clusters = [r.metadata.get("cluster", "") for r in records]
        aliases = {alias: r.metadata["cluster"] for r in records if r.metadata.get("cluster")
                   for alias in title_aliases(r.metadata["cluster"], r.title)}
        self.entities = EntityMatcher(clusters, aliases, [
            (str(r.metadata.get("cluster") or ""), r.title) for r in records])

    def prepare(self, question: str) -> Query:
        """Embed the question and find the clusters it names."""
        entities = self.entities.find(question)
        written = {e: name for e in entities if (name := self.entities.written(question, e)) != e}
        language = detect(question)
        others, unknown = ([name for name in other_names(question, entities, written, language,
                                                         single_words)
                            if not self.entities.find(name)] for single_words in (False, True))
        named = {w for name in unknown for w in words(fold(name))}
        unknown += [w for w in self._unheard_of(question, language) if fold(w) not in named]
        names = [written.get(e, e) for e in entities] + others
        from .answering.vocabulary import superlative  # the answering package imports this one

        ranks = not entities and superlative(question, language) is not None
        across = len(entities) >= 2 or bool(_ACROSS_CLUSTERS.search(question)) or ranks
        compares = is_comparison(question, names)
        return Query(question, self.embeddings.embed_query(question), entities, across, written,
                     others if compares else [], compares, language, unknown, ranks)

    def _unheard_of(self, question: str, language: str) -> list[str]:
        """The words of ``question`` that are in no dictionary of its language and not in the
        indexed text, not even with a typo: names of organisations the index does not know,
        however they are written ("how many members does minalogic have")."""
        keywords = self.store.keywords
        if keywords is None:
            return []
        from wordfreq import zipf_frequency  # its import takes a fifth of a second

        found = []
        for word in content_words(question):
            if len(word) < MIN_TYPO_LENGTH or not word.isalpha() or self.entities.find(word):
                continue
            try:
                in_dictionary = zipf_frequency(word, language) > 0
            except LookupError:  # a language wordfreq has no list for
                continue
            if not in_dictionary and not keywords.knows(word, language):
                found.append(word)
        return found

    def _dense_weight(self, query: Query) -> float:
        """The dense ranking's weight: lower for a question in another language than the
        bundled English model's, whose vectors of such text say little."""
        settings = self.settings
        english_model = (settings.embedding_backend not in EMBEDDING_SERVERS
                         and is_default_model(settings.embedding_model))
        if english_model and query.language != DEFAULT_LANGUAGE:
            return settings.other_language_dense_weight
        return settings.dense_weight

    def _rankings(self, query: Query, filters: dict[str, Any] | None,
                  n: int) -> tuple[list[tuple[float, list[str]]], dict[str, StoredChunk]]:
        """Ranked id lists (with weights) of each signal, and the chunks they found."""
        settings = self.settings
        where = build_where(filters)
        allowed = metadata_filter(filters)
        found: dict[str, StoredChunk] = {}
        rankings: list[tuple[float, list[str]]] = []
        if settings.retrieval in ("dense", "hybrid"):
            dense = self.store.query(query.vector, n, where, allowed)
            found.update((c.id, c) for c in dense)
            rankings.append((self._dense_weight(query), [c.id for c in dense]))
            for entity in query.entities if settings.entity_weight > 0 else []:
                # each named cluster's own documents, ranked
                named = self.store.query(query.vector, n // 2,
                                         *_with_cluster(where, allowed, entity))
                found.update((c.id, c) for c in named if c.id not in found)
                rankings.append((settings.entity_weight / len(query.entities),
                                 [c.id for c in named]))
        keywords = self.store.keywords if settings.retrieval in ("keyword", "hybrid") else None
        if keywords is not None:
            sparse = keywords.search(query.text, n, allowed, query.language)
            rankings.append((settings.keyword_weight, [h.id for h in sparse]))
        return rankings, found

    def search(self, query: Query | str, k: int = 5,
               filters: dict[str, Any] | None = None) -> list[Hit]:
        """The ``k`` best chunks for ``query`` under ``filters``."""
        if isinstance(query, str):
            query = self.prepare(query)
        if query.compares and len(query.entities + query.others) >= 2:
            return self._search_each(query, k, filters)
        rankings, found = self._rankings(query, filters, self.settings.candidates)
        fused = fuse(rankings, self.settings.rrf_k)
        order = sorted(fused, key=fused.get, reverse=True)[: max(4 * k, 20)]
        missing = [i for i in order if i not in found]
        if missing:  # found by keywords only: fetch their text and dense similarity
            found.update((c.id, c) for c in self.store.get(missing, query.vector))
        named = {fold(e) for e in query.entities}
        hits: list[Hit] = []
        for chunk_id in order:
            chunk = found.get(chunk_id)
            if chunk is None:
                continue
            cluster = fold(str(chunk.metadata.get("cluster", "")))
            title = fold(str(chunk.metadata.get("title", "")))
            matched = bool(named) and (cluster in named or any(n in title for n in named))
            hits.append(Hit(chunk.id, chunk.text, chunk.metadata, fused[chunk_id], chunk.score,
                            matched))
        # a question that ranks clusters needs the figures of more of them than k passages hold
        return self._diversify(hits, RANKING_BREADTH * k if query.ranks else k, query)

    def _search_each(self, query: Query, k: int,
                     filters: dict[str, Any] | None) -> list[Hit]:
        """A comparison: the question asked of each cluster it names, and the ``k`` chunks
        found for each taken in turn (so there may be up to ``k`` per cluster)."""
        subjects = (query.entities + query.others)[:4]
        written = [query.name_of(s) for s in subjects]
        found: list[list[Hit]] = []
        for subject, name in zip(subjects, written):
            text = " ".join([subject_question(query.text, name, written),
                             *comparative_terms(query.text)])
            known = [subject] if subject in query.entities else []
            single = Query(text, self.embeddings.embed_query(text), known, False,
                           {subject: name} if name != subject else {})
            found.append(self.search(single, k, filters))
        hits: dict[str, Hit] = {}
        for rank in range(k):
            for subject_hits in found:
                if rank < len(subject_hits):
                    hits.setdefault(subject_hits[rank].id, subject_hits[rank])
        return list(hits.values())

    def search_documents(self, query: Query | str, n: int = 100,
                         filters: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """The ``n`` best documents as (source, score): each signal ranks documents by their
        best chunk, and the document rankings are fused."""
        if isinstance(query, str):
            query = self.prepare(query)
        rankings, found = self._rankings(query, filters, max(3 * n, self.settings.candidates))
        source_of = {i: c.metadata.get("source", "") for i, c in found.items()}
        keywords = self.store.keywords
        if keywords is not None:
            source_of.update((i, m.get("source", "")) for i, m in zip(keywords.ids,
                                                                      keywords.metadata))
        document_rankings = [(weight, list(dict.fromkeys(source_of[i] for i in ids)))
                             for weight, ids in rankings]
        fused = fuse(document_rankings, self.settings.rrf_k)
        return sorted(fused.items(), key=lambda item: item[1], reverse=True)[:n]

    def _diversify(self, hits: list[Hit], k: int, query: Query) -> list[Hit]:
        """Cap chunks per document; for comparisons, also per cluster, and make sure every
        named cluster is represented."""
        cap = self.settings.per_document
        taken: list[Hit] = []
        overflow: list[Hit] = []
        per_source: Counter[str] = Counter()
        per_cluster: Counter[str] = Counter()
        first_of_entity = [next((h for h in hits if fold(str(h.metadata.get("cluster", "")))
                                 == fold(e)), None) for e in query.entities]
        ordered = [h for h in first_of_entity if h is not None] if query.comparison else []
        ordered += [h for h in hits if h not in ordered]
        for hit in ordered:
            cluster = str(hit.metadata.get("cluster", ""))
            if per_source[hit.source] >= cap or (query.comparison and per_cluster[cluster] >= cap):
                overflow.append(hit)
                continue
            per_source[hit.source] += 1
            per_cluster[cluster] += 1
            taken.append(hit)
        if len(taken) < k:  # only a few documents are relevant: let them fill the list
            taken += overflow[: k - len(taken)]
        return sorted(taken[:k], key=lambda h: h.score, reverse=True)
