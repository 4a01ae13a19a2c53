"""Ranking records by predicted relevance: the protocol before any decision, then a model.

Before anyone has decided, `ProtocolQuery` ranks records by the protocol itself
(BM25 over title, abstract and subject terms, one query per concept of the
criteria plus the review question). Once people have included and excluded at
least one record each, `Ranker` learns from their decisions: a scikit-learn
linear SVM over TF-IDF features of the text (word 1-2 grams), the subject terms
(MeSH headings and keywords, one feature each) and the publication types,
retrained as decisions arrive. It orders the undecided records by predicted
relevance and names the terms that weighed most for each. The words and word
pairs are counted by `review.wordcounts` (scikit-learn's matrix, without a
string per word pair) and weighed by scikit-learn's `TfidfTransformer`.

The model is data (`ModelSettings`, one screen); `benchmarks/screening_simulate.py`
measures it against ASReview and `review simulate` replays any labelled set
through the same loop a reviewer drives.

    settings           what it is                                      default
    word n-grams       TF-IDF of title + abstract, sublinear tf,       1-2
                       no stop list, words in > 95 % of records dropped
    subject weight     scale of the MeSH/keyword block (text: 1)       0.5
    classifier, C      linear SVM (squared hinge), regularisation      svm, 0.11
    relevant weight    relevant records' total weight over the rest's  9.8
    pseudo-negatives   random undecided records taught as irrelevant   100
    cadence            refit after every decision up to 100 labelled,  100, 2 %
                       then every 2 % of those labelled

The SVM, C and the class weighting are ASReview 3.0.8's default (elas_u4), tuned
on the SYNERGY sets; the pseudo-negatives are Cormack & Grossman's baseline model
(BMI). Chosen with `benchmarks/screening_sweep.py` on the ten Cohen 2006 sets with
seeds 6 and 7 (the benchmark uses 1-5), every candidate also run with the keywords
blanked: of logistic regression (classes balanced or relevant x9.8), the SVM at
relevant x3 or x9.8, subject weights 0, 0.25, 0.5 and 1, a rank average with a
words-only model and 0/100 pseudo-negatives, the setting best on the other nine
sets (mean of with and without keywords) was this one for all ten held-out sets
(held out: WSS@95 0.426 with keywords, 0.422 without; the SVM alone without
keywords, i.e. ASReview's model, 0.407).

Measured and left off (settings kept so the sweep can repeat them; seeds 6-10, ten
sets, with/without keywords): choosing among subject weights 0/0.5/1 (and the
logistic model) at each refit by a cross-validation on the labelled records
(`choose`): 0.427/0.420 against the default's 0.424/0.420, 0.419 when chosen
leaving one set out; FASTREAD's aggressive undersampling (`undersample_from` 10
or 30): 0.408/0.409; a rank average with ComplementNB (`nb_share` 0.3): 0.404/0.400.
Two differences from ASReview's elas_u4, measured the same way (seeds 6-10, the
default 0.424/0.420), left off: scikit-learn's tokens (`tokens="split"`, hyphens
split, so "beta-blocker" and "beta blocker" are one feature; it helps
ProtonPumpInhibitors and BetaBlockers without keywords, loses on ACEInhibitors and
SkeletalMuscleRelaxants): 0.420/0.415; pseudo-negatives only until 100 records are
excluded (`pseudo_mode="top-up"`; late in a small, rich set such as
OralHypoglycemics the 100 are most of the unread records, the last relevant ones
among them): 0.413/0.410; the three chosen leaving one set out: 0.416/0.414. Both
together, seeds 6-7: 0.418/0.409 against the default's 0.426/0.422. Word pairs
seen in one record only left out (`pair_min_df=2`, a third of the features on
10,000 records; benchmark seeds 1-5, with keywords): mean 0.422 against 0.417,
but ACEInhibitors 0.797 -> 0.782 and Antihistamines 0.069 -> 0.050.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
from scipy import sparse

from review.protocol import Criteria
from review.records import Record
from review.screen import Decision
from review.wordcounts import Terms, count_words

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

__all__ = [
    "STOP_WORDS",
    "Document",
    "ModelSettings",
    "ProtocolQuery",
    "Ranker",
    "Ranking",
    "RecordRanker",
    "document",
    "meaningful",
    "protocol_query",
    "retrain_every",
]

FloatArray = npt.NDArray[np.float64]
Basis = Literal["protocol", "model", "none"]

# A token: letters/digits, inner hyphens kept ("7-hydroxymitragynine").
TOKEN = r"(?u)\b\w[\w\-]*\w\b|\b\w\b"
_TOKEN = re.compile(TOKEN)
# Two or more letters/digits; hyphens separate (scikit-learn's default pattern).
SPLIT_TOKEN = r"(?u)\b\w\w+\b"
SUBJECT_PREFIX = "mesh:"
TYPE_PREFIX = "type:"
TERMS_SHOWN = 5
# Pseudo-negatives are a small random share of a large collection; below this many
# records they would be most of it (the Cohen sets, where they were measured, have 310+).
PSEUDO_NEGATIVES_FROM = 300


@dataclass(frozen=True, slots=True)
class Document:
    """What ranking reads from a record."""

    text: str  # title and abstract
    subjects: tuple[str, ...] = ()  # MeSH headings and keywords
    publication_types: tuple[str, ...] = ()
    title: str = ""  # the title alone (also in `text`), which the cold start weighs more


def document(record: Record) -> Document:
    subjects = dict.fromkeys(s.strip() for s in (*record.mesh_descriptors, *record.keywords))
    return Document(
        f"{record.title}\n{record.abstract_text}",
        tuple(s for s in subjects if s),
        record.publication_types,
        record.title,
    )


Classifier = Literal["logistic", "svm"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One model the ranker may choose, by cross-validation on the labels, at each refit."""

    subject_weight: float
    classifier: Classifier = "svm"
    c: float = 0.11
    relevant_weight: float = 9.8


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """The model; defaults chosen on the Cohen 2006 sets (see the module's docstring)."""

    ngrams: tuple[int, int] = (1, 2)
    min_df: int = 1
    # Word pairs in fewer records than this are left out (single words are all kept).
    pair_min_df: int = 1
    max_df: float = 0.95
    stop_words: bool = False
    # Tokens of the words block: "hyphen" keeps hyphenated words whole and single
    # characters ("beta-blocker", "b"); "split" splits at hyphens and drops single
    # characters, so "beta-blocker" and "beta blocker" give the same features.
    tokens: Literal["hyphen", "split"] = "hyphen"
    subject_weight: float = 0.5
    type_weight: float = 0.2
    classifier: Classifier = "svm"
    c: float = 0.11
    # Total weight of the relevant records over that of the irrelevant ones in a fit
    # (1.0: both classes weigh the same, as scikit-learn's class_weight="balanced").
    relevant_weight: float = 9.8
    nb_alpha: float = 0.1
    nb_share: float = 0.0
    # Weight of a second model, on the words alone, in a rank average with the first
    # (0: off); a hedge against subject terms that mislead on some reviews.
    text_share: float = 0.0
    # Random undecided records taught as irrelevant in each fit (Cormack & Grossman's
    # BMI): most records are irrelevant, and they stop rare words of the few decided
    # records from dominating early.
    pseudo_negatives: int = 100
    # "fixed": that many in every fit; "top-up": only as many as the irrelevant decisions
    # fall short of it, so none once people have excluded that many.
    pseudo_mode: Literal["fixed", "top-up"] = "fixed"
    # Retrain after every decision until this many are labelled, then every `share`.
    retrain_all_until: int = 100
    retrain_share: float = 0.02
    # Models to choose among at each refit (empty: this one only), by how well each
    # ranks the labelled records in a `choose_folds`-fold cross-validation on them.
    choose: tuple[Candidate, ...] = ()
    choose_folds: int = 5
    # Another candidate replaces the first only when its score is higher by this much.
    choose_margin: float = 0.0
    # From this many relevant records on (0: never), refit on the irrelevant ones
    # farthest from the first fit's boundary, as many as the relevant ones (Yu et al.'s
    # FASTREAD "aggressive undersampling").
    undersample_from: int = 0


def retrain_every(labelled: int, settings: ModelSettings | None = None) -> int:
    """Decisions between retrainings: every one while few are labelled, then 2 % of them.

    A fit costs time in proportion to the records labelled, so a cadence growing
    with them keeps the pause after a decision short on large reviews; early on,
    when each decision teaches the most, the model learns from every one.
    """
    settings = settings or ModelSettings()
    if labelled <= settings.retrain_all_until:
        return 1
    return max(1, int(labelled * settings.retrain_share))


# --- features ----------------------------------------------------------------------


def _subject_tokens(values: Iterable[str], prefix: str) -> list[str]:
    return [prefix + v.strip().lower() for v in values if v.strip()]


@dataclass(frozen=True, slots=True)
class Features:
    matrix: sparse.csr_matrix  # rows: documents, L2-normalised blocks stacked
    # Per block, its first column and its vectoriser's vocabulary (term -> column in
    # the block). The names are built from these only when an explanation needs them:
    # on a large review, listing a million 1-2-grams costs more than fitting the model.
    vocabularies: tuple[tuple[int, Mapping[str, int]], ...]
    text_columns: int  # the first columns: the words of title and abstract
    subject_columns: int = 0  # the next ones: subject terms (MeSH headings, keywords)
    words: Terms | None = None  # the words' names, when counted without a vocabulary

    @property
    def names(self) -> tuple[str, ...]:
        """Each column's feature name (built anew on each call: keep the result)."""
        names = [""] * self.matrix.shape[1]
        if self.words is not None:
            names[: self.text_columns] = self.words.names()
        for start, vocabulary in self.vocabularies:
            for term, column in vocabulary.items():
                names[start + column] = term
        return tuple(names)


def build_features(documents: Sequence[Document], settings: ModelSettings) -> Features:
    from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

    # The subject terms and publication types first (a few thousand columns): the
    # words' arrays are then made with room for their entries beside each row's words.
    others: list[sparse.csr_matrix] = []
    other_vocabularies: list[tuple[int, Mapping[str, int]]] = []
    subject_columns = others_columns = 0
    for weight, prefix, values in (
        (settings.subject_weight, SUBJECT_PREFIX, [d.subjects for d in documents]),
        (settings.type_weight, TYPE_PREFIX, [d.publication_types for d in documents]),
    ):
        if not any(values):
            continue
        vectoriser = TfidfVectorizer(
            analyzer=_identity, sublinear_tf=True, dtype=np.float64, lowercase=False
        )
        block = vectoriser.fit_transform([_subject_tokens(v, prefix) for v in values])
        others.append(block * weight)
        other_vocabularies.append((others_columns, vectoriser.vocabulary_))
        others_columns += block.shape[1]
        if prefix == SUBJECT_PREFIX:
            subject_columns = block.shape[1]
    extra = sparse.hstack(others, format="csr") if others else None
    pattern = TOKEN if settings.tokens == "hyphen" else SPLIT_TOKEN
    vocabularies: list[tuple[int, Mapping[str, int]]] = []
    words: Terms | None = None
    room: tuple[FloatArray, npt.NDArray[np.signedinteger]] | None = None
    try:
        if settings.ngrams in ((1, 1), (1, 2)) and not settings.stop_words:
            # Counted without a string per word pair (review.wordcounts), weighed as
            # scikit-learn weighs them: the same matrix as TfidfVectorizer's.
            counted = count_words(
                (d.text for d in documents),
                pattern,
                pairs=settings.ngrams == (1, 2),
                max_df=settings.max_df,
                min_df=settings.min_df,
                pair_min_df=settings.pair_min_df,
                room=extra.nnz if extra is not None else 0,
            )
            words = counted.terms
            tfidf = TfidfTransformer(sublinear_tf=True).fit(counted.matrix)
            text = tfidf.transform(counted.matrix, copy=False)
            if np.shares_memory(text.data, counted.data) and np.shares_memory(
                text.indices, counted.indices
            ):  # weighed in place, as scikit-learn does it today
                room = (counted.data, counted.indices)
            del counted
        else:
            vectoriser = TfidfVectorizer(
                ngram_range=settings.ngrams,
                min_df=settings.min_df,
                max_df=settings.max_df,
                sublinear_tf=True,
                token_pattern=pattern,
                stop_words="english" if settings.stop_words else None,
                dtype=np.float64,
            )
            text = vectoriser.fit_transform([d.text for d in documents])
            vocabularies.append((0, vectoriser.vocabulary_))
    except ValueError:  # no words at all (no records, or none with a title or abstract)
        text = sparse.csr_matrix((len(documents), 0), dtype=np.float64)
    text_columns = text.shape[1]
    vocabularies += [(text_columns + start, v) for start, v in other_vocabularies]
    if extra is None:
        matrix = sparse.csr_matrix(text)
    elif room is not None:
        matrix = _beside(text, extra, *room)
    else:
        matrix = sparse.hstack([text, extra], format="csr")
    return Features(matrix, tuple(vocabularies), text_columns, subject_columns, words)


def _beside(
    matrix: sparse.csr_matrix,
    extra: sparse.csr_matrix,
    data: FloatArray,
    indices: npt.NDArray[np.signedinteger],
) -> sparse.csr_matrix:
    """`sparse.hstack([matrix, extra], format="csr")`, the same entries in the same
    order, made in `data` and `indices`: arrays whose first entries are `matrix`'s
    (its own arrays are views of them) and which have room for `extra`'s after. The
    words' matrix is most of the memory, and a copy beside it was the peak of ranking
    a large review."""
    own = matrix.indptr.astype(np.int64)
    added = extra.indptr.astype(np.int64)
    rows, columns = matrix.shape[0], matrix.shape[1] + extra.shape[1]
    if len(data) != own[-1] + added[-1] or len(indices) != len(data):
        raise ValueError("no room beside the matrix for the other blocks")
    # Row r's own entries move right by the entries added before it (added[r]); the
    # rows move from the last, so none overwrites an entry not yet moved.
    for high in range(rows, 0, -1024):
        low = max(0, high - 1024)
        start, end = own[low], own[high]
        if end > start:
            row = np.repeat(np.arange(low, high), np.diff(own[low : high + 1]))
            to = np.arange(start, end) + added[row]
            data[to] = data[start:end].copy()
            indices[to] = indices[start:end].copy()
        first, last = added[low], added[high]
        if last > first:
            row = np.repeat(np.arange(low, high), np.diff(added[low : high + 1]))
            to = np.arange(first, last) + own[row + 1]
            data[to] = extra.data[first:last]
            indices[to] = extra.indices[first:last] + matrix.shape[1]
    indptr = (own + added).astype(indices.dtype)
    return sparse.csr_matrix((data, indices, indptr), shape=(rows, columns))


def _identity(tokens: list[str]) -> list[str]:
    return tokens


# --- cold start: the protocol as a query ----------------------------------------------


@dataclass(frozen=True, slots=True)
class QueryPart:
    name: str
    terms: tuple[str, ...]  # words; a trailing * truncates
    weight: float  # negative for exclusion concepts


@dataclass(frozen=True, slots=True)
class ProtocolQuery:
    """The review question and the criteria's concepts, as BM25 queries."""

    parts: tuple[QueryPart, ...]

    @property
    def empty(self) -> bool:
        return not any(p.terms for p in self.parts)


# Function words, which say nothing about a record on their own ("the", "of the"): left
# out of the terms shown as weighing most (`meaningful`), though the model keeps them.
# Not scikit-learn's stop list: it has "side", "serious", "system" and "fire".
STOP_WORDS = frozenset(
    re.findall(
        r"\w+",
        "a about above across after against all along also although am among an and another "
        "any are around as at be because been before being below between both but by can "
        "could did do does doing down during each either else et etc for from further had "
        "has have having he her here hers herself him himself his how however i ie if in "
        "into is it its itself just may me might more most much must my no nor not of off "
        "on once only onto or other others our ours out over own per rather same she should "
        "since so some such than that the their theirs them themselves then there thereby "
        "therefore these they this those through thus to too toward towards under until up "
        "upon us very via was we were what whatever when where whereas whether which while "
        "who whom whose why will with within without would yet you your",
    )
)

_STOP = frozenset(
    re.findall(
        r"\w+",
        "a about after among an and are as at be between by do does for from had has have how "
        "in into is it its of on or people persons such than that the their them these they "
        "this those to use used using was were what when which who with within without "
        "known effects effect",
    )
)


def protocol_query(question: str, criteria: Criteria | None) -> ProtocolQuery:
    """Concepts weigh one each (exclusion concepts minus a half), the question a half."""
    parts: list[QueryPart] = []
    for concept in criteria.concepts if criteria else ():
        words = tuple(w for t in concept.terms for w in _words(t) if w not in _STOP)
        parts.append(QueryPart(concept.name, words, -0.5 if concept.role == "exclude" else 1.0))
    # Not the question's numbering either: "(1) … (2) …" would make "2" a query word.
    question_words = tuple(
        dict.fromkeys(w for w in _words(question) if w not in _STOP and not w.isdigit())
    )
    parts.append(QueryPart("question", question_words, 0.5))
    return ProtocolQuery(tuple(p for p in parts if p.terms))


def _words(term: str) -> list[str]:
    return [
        m.group(0).lower() + ("*" if term[m.end() : m.end() + 1] == "*" else "")
        for m in _TOKEN.finditer(term)
    ]


@dataclass(frozen=True, slots=True)
class FieldWeights:
    """BM25F: how much a word in each field counts, and the shortest length that still helps.

    A word in the title counts for the title and again for the text (title and
    abstract), so twice as much as one in the abstract; a subject term (MeSH
    heading, keyword) half as much. Length normalisation compares each field
    with its average, but a field shorter than `shortest` of the average is
    taken as that long: a record of three keywords and no title is not made a
    strong match by its shortness (plain BM25 put such a record first).
    """

    text: float = 1.0
    title: float = 1.0
    subjects: float = 0.5
    shortest: float = 0.5


def bm25_scores(
    documents: Sequence[Document],
    query: ProtocolQuery,
    k1: float = 1.2,
    b: float = 0.75,
    fields: FieldWeights | None = None,
) -> tuple[FloatArray, list[dict[str, float]]]:
    """A score per document (0 = matches nothing) and each document's matched words.

    Per query part (a concept of the criteria, or the question), BM25F over the
    fields, scaled so the best document scores 1. Each part adds its weight
    times (1 + that score) / 2 when the document matches it at all: the
    criteria's concepts must all hold, so a record matching every concept
    comes before one that matches fewer, however strongly.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    weights = fields or FieldWeights()
    texts = {
        "text": [d.text for d in documents],
        "title": [d.title for d in documents],
        "subjects": [" ".join(d.subjects) for d in documents],
    }
    counts = CountVectorizer(token_pattern=TOKEN, lowercase=True, dtype=np.float64)
    n = len(documents)
    try:  # every field of every document read once: the fields' counts are row blocks
        stacked = sparse.csr_matrix(counts.fit_transform([t for v in texts.values() for t in v]))
    except ValueError:  # not one word anywhere ("empty vocabulary")
        return np.zeros(n), [{} for _ in range(n)]
    vocabulary: dict[str, int] = counts.vocabulary_
    if not vocabulary or not n:
        return np.zeros(n), [{} for _ in range(n)]
    by_field = {name: stacked[k * n : (k + 1) * n] for k, name in enumerate(texts)}
    # tf~ = sum over fields of weight * tf / ((1 - b) + b * max(length / average, shortest))
    tf: sparse.csc_matrix | None = None
    for name, field_tf in by_field.items():
        lengths = np.asarray(field_tf.sum(axis=1)).ravel()
        average = lengths[lengths > 0].mean() if (lengths > 0).any() else 1.0
        ratio = np.maximum(lengths / average, weights.shortest)
        scale = getattr(weights, name) / ((1 - b) + b * ratio)
        weighted = sparse.diags(scale) @ field_tf
        tf = weighted if tf is None else tf + weighted
    tf = sparse.csc_matrix(tf)
    # Document frequency: documents with the word in any field (the title is in the text).
    anywhere = by_field["text"] + by_field["subjects"]
    df = np.diff(sparse.csc_matrix(anywhere).indptr)
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
    total = np.zeros(n)
    matched: list[dict[str, float]] = [{} for _ in range(n)]
    sorted_vocabulary = sorted(vocabulary)
    word_of = {index: word for word, index in vocabulary.items()}
    for part in query.parts:
        columns = _columns(part.terms, vocabulary, sorted_vocabulary)
        score = np.zeros(n)
        for column in columns:
            start, end = tf.indptr[column], tf.indptr[column + 1]
            rows = tf.indices[start:end]
            f = tf.data[start:end]
            gain = idf[column] * f * (k1 + 1) / (f + k1)
            score[rows] += gain
            if part.weight > 0:
                word = word_of[column]
                for row, value in zip(rows.tolist(), gain.tolist(), strict=True):
                    matched[row][word] = matched[row].get(word, 0.0) + value * part.weight
        top = score.max() if n else 0.0
        if top > 0:
            total += part.weight * np.where(score > 0, (1 + score / top) / 2, 0.0)
    return total, matched


def _columns(
    terms: Sequence[str], vocabulary: Mapping[str, int], words: Sequence[str]
) -> list[int]:
    import bisect

    columns: set[int] = set()
    for term in terms:
        if term.endswith("*"):
            prefix = term[:-1]
            start = bisect.bisect_left(words, prefix)
            for word in words[start:]:
                if not word.startswith(prefix):
                    break
                columns.add(vocabulary[word])
        elif term in vocabulary:
            columns.add(vocabulary[term])
    return sorted(columns)


# --- the learning ranker -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ranking:
    """Predicted relevance of every document, and what it rests on."""

    scores: FloatArray  # 0..1 per document (higher = more likely relevant)
    basis: Basis  # "protocol" before the model can learn, then "model"
    labelled: int  # decisions the ranking learned from
    explain: dict[int, tuple[str, ...]] = field(default_factory=dict)
    coef: FloatArray | None = None  # the model's weight per feature ("model" basis)


class Ranker:
    """Scores documents from the decisions so far; deterministic for a seed.

    `label` records a decision (1 relevant, 0 not); `ranking()` refits the model
    when `retrain_every` says so (or when forced) and scores every document.
    """

    def __init__(
        self,
        documents: Sequence[Document],
        *,
        seed: int = 0,
        query: ProtocolQuery | None = None,
        settings: ModelSettings | None = None,
    ) -> None:
        self.settings = settings or ModelSettings()
        self.seed = seed
        self._documents = documents  # until the features and the prior are built
        self._query = query
        self._features: Features | None = None
        self._names: tuple[str, ...] | None = None  # the features' names, once explained
        # each feature's mean over the documents, and the matrix it is of (explanations)
        self._means: tuple[sparse.csr_matrix, FloatArray] | None = None
        # The cold start's BM25 scores and matched words, built when first needed: a
        # ranker taught both outcomes from the start never ranks by the protocol.
        self._bm25: tuple[FloatArray, list[dict[str, float]]] | None = None
        self._size = len(documents)
        self._scaled: dict[float, sparse.csr_matrix] = {}
        self.choice = 0  # the candidate in use (index into settings.choose)
        self.choices: list[tuple[int, int]] = []  # (labelled, candidate) at each choice
        self._chosen_at: tuple[int, int] = (-1, -1)  # (relevant, labelled) at the last choice
        self.labels: dict[int, int] = {}
        self._since_fit = 0
        self._model: _Fitted | None = None
        self._text_matrix: sparse.csr_matrix | None = None

    def __len__(self) -> int:
        return self._size

    @property
    def _prior(self) -> FloatArray:
        return self._protocol_scores()[0]

    @property
    def _prior_terms(self) -> list[dict[str, float]]:
        return self._protocol_scores()[1]

    def _protocol_scores(self) -> tuple[FloatArray, list[dict[str, float]]]:
        if self._bm25 is None:
            query, documents = self._query, self._documents
            if query is not None and not query.empty and documents:
                self._bm25 = bm25_scores(documents, query)
            else:
                self._bm25 = (np.zeros(self._size), [{} for _ in range(self._size)])
            self._release()
        return self._bm25

    def _release(self) -> None:
        """Drop the documents once everything built from them is."""
        if self._features is not None and self._bm25 is not None:
            self._documents = ()

    @property
    def features(self) -> Features:
        """The model's features, built when first needed: a ranking by the protocol
        alone (nobody has both included and excluded yet) never needs them, and they
        are most of the time a ranker takes to build on a large review."""
        if self._features is None:
            settings = self.settings
            if settings.choose:  # subject block unscaled: each candidate scales it
                settings = dataclasses.replace(settings, subject_weight=1.0)
            self._features = build_features(self._documents, settings)
            self._release()
        return self._features

    def label(self, index: int, relevant: bool) -> None:
        self.labels[index] = int(relevant)
        self._since_fit += 1

    def unlabel(self, index: int) -> None:
        if self.labels.pop(index, None) is not None:
            self._since_fit += 1

    @property
    def can_learn(self) -> bool:
        # Both outcomes, and at least one word or subject to learn them from.
        values = set(self.labels.values())
        return values == {0, 1} and self.features.matrix.shape[1] > 0

    def ranking(self, *, force: bool = False) -> Ranking:
        if not self.can_learn:
            self._model = None
            return Ranking(
                self._squash(self._prior), "protocol" if self._prior.any() else "none", 0
            )
        due = self._since_fit >= self.retrain_every()
        if self._model is None or due or force:
            if self.settings.choose:
                self._model = self._fit_chosen()
            else:
                self._model = _fit(self.features.matrix, self.labels, self.settings, self.seed)
            if self.settings.text_share > 0:
                self._model = self._with_text_model(self._model)
            self._since_fit = 0
        return Ranking(self._model.scores, "model", self._model.labelled, coef=self._model.coef)

    def _matrix(self, subject_weight: float) -> sparse.csr_matrix:
        """The features with the subject block at this weight (cached)."""
        if subject_weight not in self._scaled:
            f = self.features
            if f.subject_columns == 0 or subject_weight == 1.0:
                matrix = f.matrix
            else:
                scale = np.ones(f.matrix.shape[1])
                scale[f.text_columns : f.text_columns + f.subject_columns] = subject_weight
                matrix = sparse.csr_matrix(f.matrix @ sparse.diags(scale))
                matrix.sum_duplicates()
            self._scaled[subject_weight] = matrix
        return self._scaled[subject_weight]

    def _candidate_settings(self, candidate: Candidate) -> ModelSettings:
        return dataclasses.replace(
            self.settings,
            subject_weight=candidate.subject_weight,
            classifier=candidate.classifier,
            c=candidate.c,
            relevant_weight=candidate.relevant_weight,
            choose=(),
        )

    def _fit_chosen(self) -> _Fitted:
        relevant = sum(self.labels.values())
        at = (relevant, len(self.labels))
        last_relevant, last_labelled = self._chosen_at
        # Choose again when a relevant record was found or the labels grew by a tenth.
        if relevant != last_relevant or len(self.labels) >= 1.1 * last_labelled:
            self.choice = self._choose()
            self._chosen_at = at
            self.choices.append((len(self.labels), self.choice))
        candidate = self.settings.choose[self.choice]
        matrix = self._matrix(candidate.subject_weight)
        return _fit(matrix, self.labels, self._candidate_settings(candidate), self.seed)

    def _choose(self) -> int:
        """The candidate that best ranks held-out labelled records (first on ties)."""
        rows = np.fromiter(self.labels.keys(), dtype=np.int64)
        y = np.fromiter(self.labels.values(), dtype=np.int64)
        folds = min(self.settings.choose_folds, int(y.sum()), int(len(y) - y.sum()))
        if folds < 2:
            return 0
        rng = np.random.default_rng([self.seed, len(rows), 1])
        fold = np.empty(len(y), dtype=np.int64)
        for value in (0, 1):
            members = np.flatnonzero(y == value)
            fold[rng.permutation(members)] = np.arange(len(members)) % folds
        extra = _pseudo_negatives(len(self), rows, self.settings, self.seed, int((y == 0).sum()))
        best, best_score = 0, -1.0
        for number, candidate in enumerate(self.settings.choose):
            matrix = self._matrix(candidate.subject_weight)
            settings = self._candidate_settings(candidate)
            x, xp = matrix[rows], matrix[extra]
            right = pairs = 0.0
            for k in range(folds):
                train, test = fold != k, fold == k
                model = _estimator(settings, self.seed)
                xt = sparse.vstack([x[train], xp], format="csr")
                yt = np.concatenate([y[train], np.zeros(len(extra), dtype=np.int64)])
                model.fit(xt, yt, sample_weight=_balanced_weights(yt, settings.relevant_weight))
                scores = model.decision_function(x[test])
                relevant, irrelevant = scores[y[test] == 1], scores[y[test] == 0]
                diff = relevant[:, None] - irrelevant[None, :]
                right += float((diff > 0).sum() + 0.5 * (diff == 0).sum())
                pairs += diff.size
            score = right / pairs - (self.settings.choose_margin if number else 0.0)
            if score > best_score + 1e-9:
                best, best_score = number, score
        return best

    def _with_text_model(self, fitted: _Fitted) -> _Fitted:
        """Rank-average the model with one fitted on the words alone."""
        if self._text_matrix is None:
            self._text_matrix = self.features.matrix[:, : self.features.text_columns]
        words = _fit(self._text_matrix, self.labels, self.settings, self.seed)
        share = self.settings.text_share
        mixed = (1 - share) * _ranks(fitted.scores) + share * _ranks(words.scores)
        return _Fitted(_on_scale(mixed, fitted.scores), fitted.coef, fitted.labelled)

    def retrain_every(self) -> int:
        """Decisions between refits at the current number of labels."""
        return retrain_every(len(self.labels), self.settings)

    def order(self, candidates: Sequence[int], ranking: Ranking) -> list[int]:
        """Candidates, most relevant first; ties keep the candidates' own order."""
        scores = ranking.scores
        return sorted(candidates, key=lambda i: -scores[i])

    def top_terms(self, index: int, ranking: Ranking, n: int = TERMS_SHOWN) -> tuple[str, ...]:
        """The terms that weighed most for this document's score: by the model, those
        that raise it most above the average document's (`_distinct`: a word pair and its
        words are one term)."""
        if ranking.basis == "protocol":
            weights = self._prior_terms[index]
            return tuple(sorted(filter(meaningful, weights), key=lambda w: -weights[w])[:n])
        if ranking.basis != "model" or ranking.coef is None:
            return ()
        matrix = self.features.matrix
        if self.settings.choose:  # the candidate in use scales the subject block
            matrix = self._matrix(self.settings.choose[self.choice].subject_weight)
        row = matrix.getrow(index)
        # Each term's weight times how far its value here is from its mean over every
        # document: a linear model's SHAP value (Lundberg & Lee 2017), what the term adds
        # to this score over the average document's. A term in many records ("use" is in
        # 29 % of the kratom set's, "study" in 62 % of ADHD's) raises them all alike and
        # says little about why this one comes first. Display only: the ranking is as is.
        over_mean = row.data - self._column_means(matrix)[row.indices]
        contributions = over_mean * ranking.coef[row.indices]
        if self._names is None:
            self._names = self.features.names
        raising = (
            self._names[row.indices[i]]
            for i in np.argsort(-contributions, kind="stable").tolist()
            if contributions[i] > 0
        )
        return tuple(_shown(term) for term in _distinct(filter(meaningful, raising), n))

    def _column_means(self, matrix: sparse.csr_matrix) -> FloatArray:
        """Each feature's mean over every document (kept for the matrix it was made of)."""
        if self._means is None or self._means[0] is not matrix:
            self._means = (matrix, np.asarray(matrix.mean(axis=0), dtype=np.float64).ravel())
        return self._means[1]

    @staticmethod
    def _squash(values: FloatArray) -> FloatArray:
        top = float(values.max()) if values.size else 0.0
        low = float(values.min()) if values.size else 0.0
        if top <= low:
            return np.zeros_like(values)
        return (values - low) / (top - low)


def meaningful(term: str) -> bool:
    """Whether a feature says something to a reader: a subject term or publication type,
    or words that neither begin nor end with a stop word ("the", "of the", "of kratom")
    and are not a lone number or letter. The model keeps every word (it ranks better
    so, see the module's docstring); the terms shown for a record leave these out."""
    if term.startswith((SUBJECT_PREFIX, TYPE_PREFIX)):
        return True
    words = term.split()
    if not words or words[0] in STOP_WORDS or words[-1] in STOP_WORDS:
        return False
    return not (len(words) == 1 and (len(term) == 1 or term.isdigit()))


def _distinct(terms: Iterable[str], n: int) -> list[str]:
    """The first `n` terms, a word pair and the words in it counted once: "case report"
    stands for "case" and "report" (in the place of whichever came first), so three of
    five places do not go to one phrase. Subject terms and publication types are apart."""
    shown: list[str] = []
    for term in terms:
        if len(shown) == n:
            break
        words = _words_of(term)
        within = [k for k, s in enumerate(shown) if _words_of(s) and _words_of(s) < words]
        if within:  # the pair takes the place of the first of its words shown
            shown[within[0]] = term
            shown = [s for k, s in enumerate(shown) if k not in within[1:]]
        elif not words or not words <= {w for s in shown for w in _words_of(s)}:
            shown.append(term)  # (not when its words are shown already)
    return shown


def _words_of(term: str) -> set[str]:
    """The words of a term from the text; none for a subject term or publication type."""
    return set() if term.startswith((SUBJECT_PREFIX, TYPE_PREFIX)) else set(term.split())


def _shown(name: str) -> str:
    if name.startswith(SUBJECT_PREFIX):
        return f"MeSH/keyword {name[len(SUBJECT_PREFIX) :]}"
    if name.startswith(TYPE_PREFIX):
        return f"type {name[len(TYPE_PREFIX) :]}"
    return name


@dataclass(frozen=True, slots=True)
class _Fitted:
    scores: FloatArray
    coef: FloatArray
    labelled: int


def _fit(
    matrix: sparse.csr_matrix, labels: Mapping[int, int], settings: ModelSettings, seed: int
) -> _Fitted:
    from sklearn.naive_bayes import ComplementNB

    rows = np.fromiter(labels.keys(), dtype=np.int64)
    y = np.fromiter(labels.values(), dtype=np.int64)
    if not matrix.has_canonical_format:
        matrix.sum_duplicates()  # once, in place: sorted indices, same values
    chosen = _pseudo_negatives(matrix.shape[0], rows, settings, seed, int((y == 0).sum()))
    if len(chosen):
        rows = np.concatenate([rows, chosen])
        y = np.concatenate([y, np.zeros(len(chosen), dtype=np.int64)])
    x = matrix[rows]
    # Rows of a canonical matrix stay canonical; saying so spares each fit a re-sort of them.
    x.has_canonical_format = True
    weights = _balanced_weights(y, settings.relevant_weight)
    logistic = _estimator(settings, seed)
    logistic.fit(x, y, sample_weight=weights)
    relevant = int(y.sum())
    if settings.undersample_from and relevant >= settings.undersample_from:
        margin = logistic.decision_function(x)
        negatives = np.flatnonzero(y == 0)
        far = negatives[np.argsort(margin[negatives], kind="stable")[:relevant]]
        keep = np.sort(np.concatenate([np.flatnonzero(y == 1), far]))
        x, y = x[keep], y[keep]
        logistic = _estimator(settings, seed)
        logistic.fit(x, y, sample_weight=_balanced_weights(y, settings.relevant_weight))
    margin = np.asarray(logistic.decision_function(matrix), dtype=np.float64)
    scores = 1.0 / (1.0 + np.exp(-margin))
    coef = np.asarray(logistic.coef_).ravel()
    if settings.nb_share > 0:
        bayes = ComplementNB(alpha=settings.nb_alpha)
        weights = _balanced_weights(y)
        bayes.fit(x, y, sample_weight=weights)
        nb = bayes.predict_log_proba(matrix)
        nb_scores = nb[:, 1] - nb[:, 0]
        scores = (1 - settings.nb_share) * _ranks(scores) + settings.nb_share * _ranks(nb_scores)
        scores = _on_scale(scores, 1.0 / (1.0 + np.exp(-margin)))
    return _Fitted(np.asarray(scores, dtype=np.float64), coef, len(labels))


def _pseudo_negatives(
    n: int, rows: npt.NDArray[np.int64], settings: ModelSettings, seed: int, irrelevant: int = 0
) -> npt.NDArray[np.int64]:
    """Random undecided records to teach as irrelevant (none in small collections)."""
    count = settings.pseudo_negatives
    if settings.pseudo_mode == "top-up":
        count -= irrelevant
    if count <= 0 or n < PSEUDO_NEGATIVES_FROM:
        return np.zeros(0, dtype=np.int64)
    pool = np.setdiff1d(np.arange(n), rows)
    chosen = np.random.default_rng([seed, len(rows)]).choice(
        pool, min(count, len(pool)), replace=False
    )
    return np.sort(chosen).astype(np.int64)


def _estimator(settings: ModelSettings, seed: int) -> LogisticRegression | LinearSVC:
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    if settings.classifier == "svm":
        return LinearSVC(C=settings.c, random_state=seed, max_iter=1000)
    return LogisticRegression(
        C=settings.c, solver="liblinear", dual=True, random_state=seed, max_iter=1000
    )


def _balanced_weights(y: npt.NDArray[np.int64], relevant: float = 1.0) -> FloatArray:
    """Sample weights: the relevant class weighs `relevant` times the other in total."""
    counts = np.bincount(y, minlength=2).astype(np.float64)
    share = np.array([1.0, relevant])
    weights = share[y] / counts[y]
    return np.asarray(weights * len(y) / weights.sum(), dtype=np.float64)


def _on_scale(ranks: FloatArray, scores: FloatArray) -> FloatArray:
    """Ranks 0..1 shown on a probability-like scale: the model's score at that rank.

    (Plus a hair of the rank itself, so that rounding to a position keeps the order.)
    """
    at = np.minimum((ranks * (len(scores) - 1)).round().astype(int), len(scores) - 1)
    return np.asarray(np.sort(scores)[at] + 1e-9 * ranks, dtype=np.float64)


def _ranks(values: FloatArray) -> FloatArray:
    """Ranks scaled to 0..1 (ties share the lowest rank), so models of any scale mix."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    return ranks / max(len(values) - 1, 1)


# --- records and decisions: what the screener and the web app call -------------------


class RecordRanker:
    """A `Ranker` over records, taught by screening decisions; keyed by record ID.

    Learns from people's title/abstract decisions (include 1, exclude 0; unsure
    and conflicts teach nothing) and from the rules' exclusions, which are
    decisions too. Built once per screening session: the features take a
    moment on large reviews, each decision after that is cheap. Safe to share
    between threads (the web app's requests).

    With `background=True` the model is refit in a thread of its own: `teach`
    returns at once and `order`, `relevance` and `terms` answer from the latest
    finished ranking, which may not yet have learned the last few decisions
    (`lag` says how many; `refit_seconds` how long each refit took). The first
    ranking, and any after `settle`, waits for every decision taught so far.
    Without it (the default) every answer reflects every decision, so a
    seed gives the same order every time (`review simulate`).
    """

    def __init__(
        self,
        records: Sequence[Record],
        *,
        question: str = "",
        criteria: Criteria | None = None,
        seed: int = 0,
        settings: ModelSettings | None = None,
        background: bool = False,
    ) -> None:
        self.index = {r.id: n for n, r in enumerate(records)}
        query = protocol_query(question, criteria)
        self.ranker = Ranker(
            [document(r) for r in records], seed=seed, query=query, settings=settings
        )
        self.background = background
        self.refit_seconds: list[float] = []  # one per refit of the model
        self._changed = threading.Condition()
        self._pending: list[tuple[int, bool | None]] = []  # taught, not yet in the ranker
        self._labels: dict[str, bool | None] = {}  # what was taught, per record
        self._taught = 0  # decisions taught so far
        self._applied = 0  # decisions the current ranking has seen
        self._ranking: Ranking | None = None
        self._model_scores: FloatArray | None = None  # the latest model's, to count refits
        self._worker: threading.Thread | None = None
        self._closed = False

    def __enter__(self) -> RecordRanker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the background thread (if any); answers keep the last ranking."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        if self._worker is not None:
            self._worker.join()

    def learn(self, decisions: Iterable[Decision]) -> None:
        """Set the labels from these decisions (the latest per record wins)."""
        for decision in decisions:
            self.teach(decision.record_id, decision.outcome)

    def follow(self, decisions: Iterable[Decision]) -> int:
        """Learn what changed: `decisions` are every record's current ones (in time order).

        Teaches only the records whose label differs from what was taught, and
        forgets records no longer among them (undone), so a long-lived ranker
        keeps up with a store that others write too. Returns how many changed.
        """
        current: dict[str, bool | None] = {}
        for decision in decisions:
            if decision.record_id in self.index:
                current[decision.record_id] = _label(decision.outcome)
        with self._changed:
            taught = dict(self._labels)
        changed = [i for i, label in current.items() if taught.get(i) != label]
        gone = [i for i, label in taught.items() if label is not None and i not in current]
        outcomes = {True: "include", False: "exclude", None: None}
        for record_id in changed:
            self.teach(record_id, outcomes[current[record_id]])
        for record_id in gone:
            self.teach(record_id, None)
        return len(changed) + len(gone)

    def teach(self, record_id: str, outcome: str | None) -> None:
        """One decision (None or a non-decision such as unsure: forget the label)."""
        index = self.index.get(record_id)
        if index is None:
            return
        label = _label(outcome)
        with self._changed:
            self._labels[record_id] = label
            self._pending.append((index, label))
            self._taught += 1
            if not self.background or self._worker is None:
                self._ranking = None  # the next answer refits here, in this thread
            self._changed.notify_all()

    @property
    def lag(self) -> int:
        """Decisions taught that the ranking in use has not learned yet (0 unless background)."""
        with self._changed:
            return self._taught - self._applied if self._ranking is not None else 0

    def settle(self) -> None:
        """Wait until the ranking has learned every decision taught so far."""
        with self._changed:
            if self._worker is None or self._closed:
                return  # the next answer learns what is pending, in the caller's thread
            self._changed.wait_for(lambda: self._applied == self._taught or self._closed)

    def ranking(self) -> Ranking:
        with self._changed:
            if self._ranking is None:
                if self._worker is not None and not self._closed:
                    self._changed.wait_for(lambda: self._ranking is not None or self._closed)
                if self._ranking is None:
                    self._rank_now()
                if self.background and self._worker is None and not self._closed:
                    self._worker = threading.Thread(
                        target=self._refit_forever, name="review-ranker", daemon=True
                    )
                    self._worker.start()
            assert self._ranking is not None
            return self._ranking

    def _rank_now(self) -> None:
        """In the caller's thread, holding the lock: learn what is pending and rank."""
        pending, self._pending = self._pending, []
        self._apply(pending)
        self._publish(self._timed_ranking(), self._taught)

    def _refit_forever(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: bool(self._pending) or self._closed)
                if self._closed:
                    return
                pending, self._pending = self._pending, []
                taught = self._taught
            # The ranker is this thread's alone from here on: teach only queues.
            self._apply(pending)
            ranking = self._timed_ranking()
            with self._changed:
                self._publish(ranking, taught)
                self._changed.notify_all()

    def _apply(self, pending: Sequence[tuple[int, bool | None]]) -> None:
        for index, label in pending:
            if label is None:
                self.ranker.unlabel(index)
            else:
                self.ranker.label(index, label)

    def _timed_ranking(self) -> Ranking:
        started = time.perf_counter()
        ranking = self.ranker.ranking()
        if ranking.basis == "model" and ranking.scores is not self._model_scores:
            self.refit_seconds.append(time.perf_counter() - started)
            self._model_scores = ranking.scores
        return ranking

    def _publish(self, ranking: Ranking, taught: int) -> None:
        self._ranking = ranking
        self._applied = taught

    def order(self, records: Sequence[Record]) -> list[Record]:
        """These records, most relevant first (records unknown to the ranker last)."""
        scores = self.ranking().scores
        index = np.fromiter(
            (self.index.get(r.id, -1) for r in records), dtype=np.int64, count=len(records)
        )
        keys = np.where(index >= 0, -scores[np.maximum(index, 0)], 1.0)
        return [records[i] for i in np.argsort(keys, kind="stable").tolist()]

    def relevance(self, record_id: str) -> float | None:
        index = self.index.get(record_id)
        if index is None:
            return None
        return float(self.ranking().scores[index])

    def terms(self, record_id: str, n: int = TERMS_SHOWN) -> tuple[str, ...]:
        index = self.index.get(record_id)
        if index is None:
            return ()
        return self.ranker.top_terms(index, self.ranking(), n)

    def describe(self) -> str:
        ranking = self.ranking()
        if ranking.basis == "model":
            return f"ranked by a model learned from {ranking.labelled} decisions"
        if ranking.basis == "protocol":
            return "ranked by the protocol's question and concepts; nothing learned yet"
        return "in input order: no protocol terms and nothing learned yet"


def _label(outcome: str | None) -> bool | None:
    """What a decision teaches: include relevant, exclude not, anything else nothing."""
    return True if outcome == "include" else False if outcome == "exclude" else None
