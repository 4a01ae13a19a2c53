"""Counting words and word pairs as scikit-learn does, without a string per pair."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

from review import wordcounts
from review.rank import SPLIT_TOKEN, TOKEN
from review.wordcounts import count_words

TEXTS = [
    "Kratom withdrawal in regular users\nMitragynine dependence: a cohort of users.",
    "",
    "Beta-blocker or beta blocker? Beta-blockers after infarction (n = 3).",
    "kratom KRATOM kratom-leaf kratom leaf kratom",
    "a b c a b c a",
    "Straße, Øresund and naïve users; 7-hydroxymitragynine and 7 hydroxy mitragynine",
    "cohort cohort cohort of users",
    "x",
    "users of kratom in a cohort: withdrawal, dependence and a cohort of users",
    "Dependence a a a b b users kratom beta blocker",
]


@pytest.mark.parametrize("pattern", [TOKEN, SPLIT_TOKEN])
@pytest.mark.parametrize("pairs", [True, False])
@pytest.mark.parametrize("max_df", [1.0, 0.3, 4])
@pytest.mark.parametrize(("slice_words", "chunk"), [(1, 3), (7, 16), (1 << 20, 1 << 23)])
def test_the_matrix_is_scikit_learns_to_the_bit(
    monkeypatch: pytest.MonkeyPatch,
    pattern: str,
    pairs: bool,
    max_df: float,
    slice_words: int,
    chunk: int,
) -> None:
    """Same columns in the same order, same entries stored in the same order, so the
    TF-IDF weights are the same floats; also when the texts are counted in slices and
    their entries kept in blocks."""
    monkeypatch.setattr(wordcounts, "SLICE_WORDS", slice_words)
    monkeypatch.setattr(wordcounts._Entries, "CHUNK", chunk)
    vectoriser = TfidfVectorizer(
        ngram_range=(1, 2 if pairs else 1),
        max_df=max_df,
        sublinear_tf=True,
        token_pattern=pattern,
        dtype=np.float64,
    )
    expected = vectoriser.fit_transform(TEXTS)
    counted = count_words(iter(TEXTS), pattern, pairs=pairs, max_df=max_df)
    weights = TfidfTransformer(sublinear_tf=True).fit(counted.matrix)
    got = weights.transform(counted.matrix, copy=False)
    assert counted.terms.names() == sorted(vectoriser.vocabulary_)
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)  # stored order too
    assert np.array_equal(got.data, expected.data)  # bit for bit, not approximately


def test_pairs_seen_in_one_text_can_be_left_out_words_never() -> None:
    texts = ["rare words here", "common pair here", "common pair again"]
    counted = count_words(texts, TOKEN, pair_min_df=2)
    assert counted.terms.names() == [
        "again", "common", "common pair", "here", "pair", "rare", "words",
    ]  # fmt: skip
    assert counted.matrix.toarray().tolist() == [
        [0, 0, 0, 1, 0, 1, 1],
        [0, 1, 1, 1, 1, 0, 0],
        [1, 1, 1, 0, 1, 0, 0],
    ]


def test_no_words_is_a_value_error_as_in_scikit_learn() -> None:
    with pytest.raises(ValueError, match="empty vocabulary"):
        count_words(["", " - "], TOKEN)
    with pytest.raises(ValueError, match="empty vocabulary"):
        count_words([], TOKEN)
    with pytest.raises(ValueError, match="no terms remain"):
        count_words(["same", "same"], TOKEN, max_df=0.5)


def test_the_ranker_counts_words_without_a_string_per_pair(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """scikit-learn's vocabulary of every 1-2-gram was most of ranking's time and memory
    on a large review; the words are now counted here (the subject terms and
    publication types, a few thousand, still by scikit-learn), to the same matrix."""
    from sklearn.feature_extraction.text import CountVectorizer

    from review.rank import Document, ModelSettings, build_features

    counting = CountVectorizer._count_vocab

    def subjects_only(self: CountVectorizer, documents: object, fixed: bool) -> object:
        assert self.analyzer != "word", "the words counted by scikit-learn"
        return counting(self, documents, fixed)

    documents = [Document(text, (f"Mesh {n % 3}",)) for n, text in enumerate(TEXTS)]
    settings = ModelSettings()
    with monkeypatch.context() as patch:
        patch.setattr(CountVectorizer, "_count_vocab", subjects_only)
        features = build_features(documents, settings)
    expected = TfidfVectorizer(
        ngram_range=settings.ngrams,
        max_df=settings.max_df,
        sublinear_tf=True,
        token_pattern=TOKEN,
        dtype=np.float64,
    ).fit_transform(TEXTS)
    words = features.matrix[:, : features.text_columns]
    words.sort_indices()
    expected.sort_indices()
    assert np.array_equal(words.indices, expected.indices)
    assert np.array_equal(words.data, expected.data)
    assert features.names[features.text_columns :] == ("mesh:mesh 0", "mesh:mesh 1", "mesh:mesh 2")


def test_blocks_side_by_side_in_place_are_scipys_hstack() -> None:
    """The words' block is counted into arrays with room for the other blocks' entries
    and moved apart in place, rather than copied beside them (a copy was the peak of
    ranking a large review); the result is scipy's."""
    from scipy import sparse

    from review.rank import _beside

    rng = np.random.default_rng(5)
    for rows in (1, 3, 1500, 2100):
        blocks = [
            sparse.random(rows, width, density=density, format="csr", random_state=rng)
            for width, density in ((300, 0.05), (7, 0.3), (2, 0.5))
        ]
        empty = np.ones(rows)
        empty[rows // 2] = 0  # a row with no words
        blocks[0] = sparse.csr_matrix(sparse.diags(empty) @ blocks[0])
        blocks[0].eliminate_zeros()
        expected = sparse.hstack(blocks, format="csr")
        extra = sparse.hstack(blocks[1:], format="csr")
        words = blocks[0]
        data = np.concatenate([words.data, np.full(extra.nnz, np.nan)])
        indices = np.concatenate([words.indices, np.full(extra.nnz, -1, np.int32)])
        in_room = sparse.csr_matrix(
            (data[: words.nnz], indices[: words.nnz], words.indptr), shape=words.shape
        )
        got = _beside(in_room, extra, data, indices)
        assert np.shares_memory(got.data, data)  # moved in place, not copied
        assert np.array_equal(got.indptr, expected.indptr)
        assert np.array_equal(got.indices, expected.indices)
        assert np.array_equal(got.data, expected.data)
    with pytest.raises(ValueError, match="no room"):
        _beside(words, extra, words.data, words.indices)


def test_the_words_are_counted_with_room_for_the_other_columns() -> None:
    counted = count_words(["a b", "b c"], TOKEN, room=3)
    assert len(counted.data) == len(counted.indices) == counted.matrix.nnz + 3
    assert np.shares_memory(counted.matrix.data, counted.data)
