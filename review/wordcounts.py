"""Counting the words and word pairs of many texts, as scikit-learn does, without a
Python string per word pair.

The ranker's features are TF-IDF of the words and adjacent word pairs of each
record's title and abstract. scikit-learn's `CountVectorizer` keeps every distinct
term as a string in a dict and then sorts them all: on 50,000 records that is
millions of word pairs, most of them seen once, and most of the time and memory of
ranking. Here a word is a number (its first appearance among words) and a pair two
of them packed in one integer, counted with numpy; strings exist only for single
words. The matrix is scikit-learn's to the bit: the same columns in the same
(alphabetical) order, the same entries in the same stored order, so the TF-IDF
weights that `TfidfTransformer` computes from it, and the model, are unchanged
(tests/test_wordcounts.py compares the two).

Word pairs seen in fewer than `pair_min_df` records can be left out (single words are
all kept): a pair in one record only says nothing about any other.
"""

from __future__ import annotations

import itertools
import re
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

__all__ = ["Terms", "WordCounts", "count_words"]

IntArray = npt.NDArray[np.int64]

# A pair (a, b) of word numbers is (a + 1) * PAIR + b; a single word a is a itself.
PAIR = 1 << 31
# Texts are counted in slices of about this many words, so the arrays stay small.
SLICE_WORDS = 1 << 18


@dataclass(frozen=True, slots=True)
class Terms:
    """The terms of a matrix's columns, without a string per word pair."""

    words: tuple[str, ...]  # the single words, by number
    terms: IntArray  # per column: a word number, or a packed pair (see PAIR)

    def names(self) -> list[str]:
        """Each column's term: a word, or two words and a space between."""
        words = self.words
        return [
            words[code] if code < PAIR else f"{words[code // PAIR - 1]} {words[code % PAIR]}"
            for code in self.terms.tolist()
        ]


@dataclass(frozen=True, slots=True)
class WordCounts:
    """Counts per text (rows) and term (columns, in alphabetical order of the terms)."""

    matrix: sparse.csr_matrix  # float64 counts, scikit-learn's entries and stored order
    terms: Terms
    # The arrays the matrix's data and indices are the first entries of, and `room`
    # entries longer (for other columns beside these; see review.rank._beside).
    data: npt.NDArray[np.float64]
    indices: npt.NDArray[Any]


def count_words(
    texts: Iterable[str],
    token_pattern: str,
    *,
    pairs: bool = True,
    max_df: float | int = 1.0,
    min_df: int = 1,
    pair_min_df: int = 1,
    room: int = 0,
) -> WordCounts:
    """The counts `CountVectorizer(token_pattern=…, ngram_range=(1, 2 if pairs else 1),
    max_df=…, min_df=…)` would give (lower-cased, no stop list), pairs in fewer than
    `pair_min_df` texts left out; ValueError when no term remains, as scikit-learn's.
    The matrix's arrays are made `room` entries longer (`WordCounts.data`, `.indices`)."""
    tokens = re.compile(token_pattern)
    # Each word's number: increasing with its first appearance, not consecutive (a
    # counter runs on for every word read, so that the lookup runs in C; see `dense`).
    numbers: dict[str, int] = {}
    number, counter = numbers.setdefault, itertools.count()
    known = _Known()
    store = _Entries()
    words: array[int] = array("q")
    lengths: list[int] = []
    for text in texts:
        found = tokens.findall(text.lower())
        words.extend(map(number, found, counter))
        lengths.append(len(found))
        if len(words) >= SLICE_WORDS:
            store.add(*_count_slice(words, lengths, pairs, known))
            words, lengths = array("q"), []
    if lengths:
        store.add(*_count_slice(words, lengths, pairs, known))
    del words
    if next(counter) >= PAIR:  # a pair's code holds two word numbers below PAIR
        raise OverflowError(f"more than {PAIR:,} words to count: rank fewer records at once")
    if not numbers:
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    # Terms are numbered by first appearance, as scikit-learn's are before it sorts them
    # (its rows' entries stay stored in that order, and so do these).
    df = store.document_frequency(known.size)
    keep = df >= min_df
    keep &= df <= (max_df if isinstance(max_df, int) else max_df * store.rows)
    codes = known.codes_by_appearance()
    del known
    if pair_min_df > 1:
        keep &= (codes < PAIR) | (df >= pair_min_df)
    kept = np.flatnonzero(keep)
    if not len(kept):
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    words_in_order = tuple(numbers)
    dense = np.fromiter(numbers.values(), dtype=np.int64, count=len(numbers))
    del numbers
    terms = _renumbered(codes[kept], dense)
    alphabetical = np.argsort(_sort_keys(terms, words_in_order), kind="stable")
    entries = int(df[kept].sum())  # a term is one entry in each text that has it
    index_type = np.int32 if max(len(kept), entries) + room < 2**31 else np.int64
    position = np.full(len(codes), -1, dtype=index_type)
    position[kept[alphabetical]] = np.arange(len(kept), dtype=index_type)
    data = np.empty(entries + room, dtype=np.float64)
    indices = np.empty(entries + room, dtype=index_type)
    matrix = store.matrix(keep, position, data[:entries], indices[:entries], len(kept))
    return WordCounts(matrix, Terms(words_in_order, terms[alphabetical]), data, indices)


Int32Array = npt.NDArray[np.int32]


class _Entries:
    """Each text's distinct terms and their counts, kept in blocks of CHUNK entries.

    A block is allocated whole (large enough for the system to map it apart from the
    heap) and given back as soon as the matrix has copied it, so the entries and the
    matrix built from them are not both held whole, and the many small arrays of
    counting do not fragment the memory they are kept in.
    """

    CHUNK = 1 << 23

    def __init__(self) -> None:
        self.lengths: list[IntArray] = []  # per slice: the number of entries of each text
        self.blocks: list[tuple[Int32Array, Int32Array]] = []  # terms, counts
        self.size = 0  # entries stored

    @property
    def rows(self) -> int:
        return sum(len(lengths) for lengths in self.lengths)

    def add(self, lengths: IntArray, terms: IntArray, counts: IntArray) -> None:
        self.lengths.append(lengths)
        done = 0
        while done < len(terms):
            at = self.size % self.CHUNK
            if at == 0:
                self.blocks.append(
                    (np.empty(self.CHUNK, dtype=np.int32), np.empty(self.CHUNK, dtype=np.int32))
                )
            take = min(self.CHUNK - at, len(terms) - done)
            block_terms, block_counts = self.blocks[-1]
            block_terms[at : at + take] = terms[done : done + take]
            block_counts[at : at + take] = counts[done : done + take]
            done += take
            self.size += take

    def _ends(self) -> list[int]:
        """How many entries each block holds."""
        return [min(self.CHUNK, self.size - n * self.CHUNK) for n in range(len(self.blocks))]

    def document_frequency(self, size: int) -> IntArray:
        df = np.zeros(size, dtype=np.int64)
        for (terms, _), end in zip(self.blocks, self._ends(), strict=True):
            df += np.bincount(terms[:end], minlength=size)
        return df

    def matrix(
        self,
        keep: npt.NDArray[np.bool_],
        position: npt.NDArray[Any],
        data: npt.NDArray[np.float64],
        indices: npt.NDArray[Any],
        columns: int,
    ) -> sparse.csr_matrix:
        """The kept entries, written into `data` and `indices`, as a CSR matrix of
        counts; each block is freed once copied."""
        lengths = np.concatenate(self.lengths) if self.lengths else np.zeros(0, np.int64)
        ends = np.cumsum(lengths)  # each text's entries end here
        per_row = lengths.copy()  # less the entries left out (a few: max_df, pair_min_df)
        at = start = 0
        for end in self._ends():
            terms, counts = self.blocks.pop(0)
            terms, counts = terms[:end], counts[:end]
            stays = keep[terms]
            size = int(stays.sum())
            data[at : at + size] = counts[stays]
            indices[at : at + size] = position[terms[stays]]
            left_out = np.searchsorted(ends, np.flatnonzero(~stays) + start, side="right")
            per_row -= np.bincount(left_out, minlength=len(lengths))
            at, start = at + size, start + end
            del terms, counts, stays
        indptr = np.zeros(len(lengths) + 1, dtype=indices.dtype)
        np.cumsum(per_row, out=indptr[1:])
        return sparse.csr_matrix((data, indices, indptr), shape=(len(lengths), columns))


class _Known:
    """The terms seen so far: their codes, sorted, and the order they first appeared in."""

    def __init__(self) -> None:
        self.sorted_codes: IntArray = np.zeros(0, dtype=np.int64)
        self.appearance: IntArray = np.zeros(0, dtype=np.int64)  # aligned with sorted_codes

    @property
    def size(self) -> int:
        return len(self.sorted_codes)

    def numbers(self, codes: IntArray) -> IntArray:
        """Each code's number by first appearance, new codes numbered in the order given."""
        distinct, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
        at = np.searchsorted(self.sorted_codes, distinct)
        seen = at < self.size
        seen[seen] = self.sorted_codes[at[seen]] == distinct[seen]
        numbers = np.empty(len(distinct), dtype=np.int64)
        numbers[seen] = self.appearance[at[seen]]
        new = ~seen
        if new.any():
            appearance = np.empty(int(new.sum()), dtype=np.int64)
            appearance[np.argsort(first[new], kind="stable")] = np.arange(len(appearance))
            appearance += self.size
            numbers[new] = appearance
            self.sorted_codes = np.insert(self.sorted_codes, at[new], distinct[new])
            self.appearance = np.insert(self.appearance, at[new], appearance)
        return numbers[inverse]

    def codes_by_appearance(self) -> IntArray:
        codes = np.empty(self.size, dtype=np.int64)
        codes[self.appearance] = self.sorted_codes
        return codes


def _count_slice(
    words: array[int], lengths: Sequence[int], pairs: bool, known: _Known
) -> tuple[IntArray, IntArray, IntArray]:
    """Each text's distinct terms and their counts, in order of first appearance."""
    single = np.frombuffer(words, dtype=np.int64) if len(words) else np.zeros(0, np.int64)
    length = np.asarray(lengths, dtype=np.int64)
    row = np.repeat(np.arange(len(length), dtype=np.int64), length)
    # Where each term stands in scikit-learn's list of a text's terms: its words in
    # order, then its pairs in order. `start + at` runs on from one text to the next.
    at = np.arange(len(single), dtype=np.int64)
    place = at + np.repeat(np.cumsum(length) - length, length)
    codes, rows = single, row
    if pairs and len(single):
        first = at[:-1][row[:-1] == row[1:]]  # a pair starts at each word but a text's last
        codes = np.concatenate([single, (single[first] + 1) * PAIR + single[first + 1]])
        rows = np.concatenate([row, row[first]])
        place = np.concatenate([place, place[first] + length[row[first]]])
    stream = np.argsort(place, kind="stable")
    del place
    numbers = known.numbers(codes[stream])
    # Distinct (row, term) pairs, in row order and, within a row, by term number.
    width = max(known.size, 1)
    distinct, counts = np.unique(rows[stream] * width + numbers, return_counts=True)
    rows_of = distinct // width
    return (
        np.bincount(rows_of, minlength=len(length)).astype(np.int64),
        distinct % width,
        counts,
    )


def _renumbered(codes: IntArray, numbers: IntArray) -> IntArray:
    """The codes with each word's number (increasing, not consecutive: `numbers`, in
    order of first appearance) replaced by its place among the words (0, 1, 2 …)."""
    single = codes < PAIR
    first = np.searchsorted(numbers, np.where(single, codes, codes // PAIR - 1))
    second = np.searchsorted(numbers, np.where(single, 0, codes % PAIR))
    return np.where(single, first, (first + 1) * PAIR + second)


def _sort_keys(codes: IntArray, words: Sequence[str]) -> IntArray:
    """Keys that sort terms as their strings sort: a pair "a b" comes right after the
    word "a" and before any longer word that starts with "a" (every word character is
    after the space), so (rank of a, 0) for a word and (rank of a, rank of b + 1) for a
    pair order them exactly as sorted() orders the strings."""
    rank = np.empty(len(words), dtype=np.int64)
    rank[np.asarray(sorted(range(len(words)), key=words.__getitem__), dtype=np.int64)] = np.arange(
        len(words)
    )
    width = len(words) + 1
    single = codes < PAIR
    first = np.where(single, codes, codes // PAIR - 1)
    second = np.where(single, -1, codes % PAIR)
    return rank[first] * width + np.where(single, 0, rank[np.maximum(second, 0)] + 1)
