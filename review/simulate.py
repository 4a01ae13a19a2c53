"""Replaying a labelled review through the ranker, as `asreview simulate` does.

The loop is the one a reviewer drives in `review screen`: one relevant and one
irrelevant record (chosen by the seed) are decided first, then the record the
`Ranker` scores highest is read and labelled from the data, and so on until
every record has been read. The order, and what it would have saved, are the
result:

    WSS@95         (N - records read to find 95 % of the relevant) / N - 0.05
    recall@10%     relevant found after reading the first 10 % of records
    last relevant  position (1-based) of the last relevant record
    stop           where the stopping rule (`review.stopping`) first said stop,
                   and the recall reached there
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from review.errors import InputError
from review.rank import Document, ModelSettings, Ranker, document
from review.records import Record
from review.stopping import DEFAULT_RULE, StopRule, first_stop

__all__ = [
    "Dataset",
    "Metrics",
    "Simulation",
    "choose_priors",
    "metrics",
    "read_dataset",
    "simulate",
    "write_order",
]

DEFAULT_LABEL = "label_included"


@dataclass(frozen=True, slots=True)
class Dataset:
    ids: tuple[str, ...]
    documents: tuple[Document, ...]
    labels: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Metrics:
    records: int
    relevant: int
    wss95: float
    recall_at_10: float
    last_relevant: int  # 1-based position; 0 when nothing is relevant
    stop_at: int | None  # records read when the stopping rule fired
    recall_at_stop: float | None

    def lines(self) -> list[str]:
        if self.stop_at is None:
            stop = "stopping rule: never fired (every record read)"
        else:
            stop = (
                f"stopping rule (recall target 95%, confidence 95%): stops after "
                f"{self.stop_at} of {self.records} records, recall there "
                f"{self.recall_at_stop:.3f}"
            )
        return [
            f"records: {self.records}, relevant: {self.relevant}",
            f"WSS@95: {self.wss95:.3f}",
            f"recall@10%: {self.recall_at_10:.3f}",
            f"last relevant record at position {self.last_relevant} of {self.records}",
            stop,
        ]


@dataclass(frozen=True, slots=True)
class Simulation:
    order: tuple[int, ...]  # indices into the dataset, in reading order, priors first
    priors: tuple[int, int]
    metrics: Metrics


def read_dataset(path: Path, label: str = DEFAULT_LABEL) -> Dataset:
    """A labelled CSV (gzip accepted): record_id, title, abstract, keywords, label column."""
    from review.formats import read_records

    result = read_records(path)
    if result.problems:
        problem = result.problems[0]
        raise InputError(f"{path}: {problem}")
    if not result.records:
        raise InputError(
            f"{path}: no records; give a CSV with a header row (record_id, title, abstract, "
            f"keywords, authors, {label}) and one row per record."
        )
    ids, documents, labels = [], [], []
    first_line: dict[str, int] = {}
    for n, record in enumerate(result.records, start=2):
        if record.id in first_line:
            raise InputError(
                f"{path}, line {n}: record_id {record.id!r} is also on line "
                f"{first_line[record.id]}; give every record its own ID (ORDER.csv lists "
                "each record once, by ID)."
            )
        first_line[record.id] = n
        value = dict(record.extra).get(label)
        if value is None:
            raise InputError(
                f"{path}: no column {label!r}; name the 0/1 label column with --label COLUMN"
                f"{_label_columns(result.records)}."
            )
        if value.strip() not in ("0", "1"):
            raise InputError(
                f"{path}, line {n}: label {label!r} is {value!r}, not 0 or 1; "
                "fix the file or name another column with --label."
            )
        ids.append(record.id)
        documents.append(document(record))
        labels.append(int(value.strip()))
    if 1 not in labels or 0 not in labels:
        raise InputError(
            f"{path}: column {label!r} needs at least one 1 and one 0 to simulate screening."
        )
    return Dataset(tuple(ids), tuple(documents), tuple(labels))


def _label_columns(records: Sequence[Record]) -> str:
    """ " (this file's 0/1 columns: a, b)": the columns --label could name; "" if none."""
    columns = [
        name
        for name, _ in records[0].extra
        if all(dict(r.extra).get(name, "").strip() in ("0", "1") for r in records)
    ]
    return f" (this file's 0/1 columns: {', '.join(columns)})" if columns else ""


def choose_priors(labels: Sequence[int], seed: int) -> tuple[int, int]:
    """One relevant and one irrelevant record (indices), drawn with the seed."""
    rng = np.random.default_rng(seed)
    relevant = [i for i, v in enumerate(labels) if v == 1]
    irrelevant = [i for i, v in enumerate(labels) if v == 0]
    return int(rng.choice(relevant)), int(rng.choice(irrelevant))


def simulate(
    dataset: Dataset,
    seed: int,
    *,
    settings: ModelSettings | None = None,
    priors: tuple[int, int] | None = None,
    rule: StopRule = DEFAULT_RULE,
) -> Simulation:
    chosen = priors or choose_priors(dataset.labels, seed)
    ranker = Ranker(dataset.documents, seed=seed, settings=settings)
    order: list[int] = []
    unread = np.ones(len(ranker), dtype=bool)
    for index in chosen:
        order.append(index)
        unread[index] = False
        ranker.label(index, dataset.labels[index] == 1)
    while unread.any():
        ranking = ranker.ranking()
        candidates = np.flatnonzero(unread)
        # The model is refit only every few decisions on large sets; until then the
        # next records are the following ones of the same ranking.
        batch = _batch_size(ranker)
        best = candidates[np.argsort(-ranking.scores[candidates], kind="stable")[:batch]]
        for index in best.tolist():
            order.append(index)
            unread[index] = False
            ranker.label(index, dataset.labels[index] == 1)
    return Simulation(tuple(order), chosen, metrics(dataset.labels, order, rule))


def _batch_size(ranker: Ranker) -> int:
    return ranker.retrain_every()


def metrics(labels: Sequence[int], order: Sequence[int], rule: StopRule = DEFAULT_RULE) -> Metrics:
    n = len(order)
    read = [labels[i] for i in order]
    relevant = sum(read)
    found = np.cumsum(read)
    needed = math.ceil(0.95 * relevant)
    read_for_95 = int(np.searchsorted(found, needed) + 1) if relevant else 0
    tenth = math.ceil(0.1 * n)
    last = int(np.flatnonzero(read)[-1] + 1) if relevant else 0
    stop = first_stop(read, n, rule)
    return Metrics(
        records=n,
        relevant=relevant,
        wss95=(n - read_for_95) / n - 0.05 if n else 0.0,
        recall_at_10=float(found[tenth - 1]) / relevant if relevant and tenth else 0.0,
        last_relevant=last,
        stop_at=stop,
        recall_at_stop=float(found[stop - 1]) / relevant if stop and relevant else None,
    )


def write_order(path: Path, ids: Sequence[str], order: Sequence[int]) -> None:
    try:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["record_id"])
            writer.writerows([ids[i]] for i in order)
    except OSError as exc:
        raise InputError(
            f"{path}: cannot write the order: {exc.strerror}; give --output a file in a "
            "folder you can write to."
        ) from None
