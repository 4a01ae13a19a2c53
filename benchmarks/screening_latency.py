"""Time from one screening decision to the next record, on 10,000 records.

What the terminal screener does after each key press: teach the ranker the
decision (`RecordRanker.teach`), re-rank the records still to come
(`RecordRanker.order`) and update the stopping rule (`StopTracker.add`, `.status()`).
Records: the first 10,000 of the Cohen 2006 sets in ../shared (their own labels
play the reviewer). Measured over a session of DECISIONS decisions starting
from nothing learned, and over one starting with START already decided (the
cadence of refits grows with them), each in two modes:

- synchronous (`review simulate`, tests): the model is refit, when
  `retrain_every` says so, before the next record is chosen;
- background (`review screen`, `review serve`): the refit runs in a thread
  while the next record is chosen from the latest finished ranking. Its cost
  is staleness, reported beside the latency: how long refits took, and how
  many records were chosen by a ranking that had not yet learned every
  decision (and by how many decisions it was behind at most).

THINK seconds pass between a record being shown and its decision (a person
reading; 0 = decisions as fast as the machine can make them, the worst case
for staleness).

START 60 is the heavy case: the model is refit after every decision until 100
are labelled. Record IDs are made unique per set (each set numbers from 1; before,
7,456 of the 10,000 records shared an ID with another, so decisions were taught to
the wrong rows).

Run: nice python benchmarks/screening_latency.py [DECISIONS] [START] [THINK]
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from pathlib import Path

from review.formats import read_records
from review.rank import RecordRanker
from review.records import Record
from review.stopping import StopTracker

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "screening" / "cohen2006"
N = 10_000


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))] if ordered else 0.0


def session(
    records: list[Record],
    labels: list[bool],
    first: int,
    decisions: int,
    think: float,
    background: bool,
) -> str:
    ranker = RecordRanker(records, seed=1, background=background)
    # The features are built when the model first needs them (so at the first refit of a
    # session that starts from nothing learned); once per session, timed apart in main().
    assert ranker.ranker.features.matrix.shape[0] == len(records)
    # A session that already has `first` decisions: taught in one go.
    decided = list(range(first))
    if first and not any(labels[:first]):
        # Give the model both classes: the first relevant record counts as decided too
        # (and leaves the queue, so the session cannot overwrite it).
        decided.append(labels.index(True, first))
    for index in decided:
        ranker.teach(records[index].id, "include" if labels[index] else "exclude")
    tracker = StopTracker(len(records), labels=[labels[i] for i in decided])
    taken = set(decided)
    queue = ranker.order([r for i, r in enumerate(records) if i not in taken])
    ranker.refit_seconds.clear()
    truth = dict(zip((r.id for r in records), labels, strict=True))
    times, lags = [], []
    for _ in range(decisions):
        record = queue.pop(0)
        relevant = truth[record.id]
        if think:
            time.sleep(think)
        t0 = time.perf_counter()
        ranker.teach(record.id, "include" if relevant else "exclude")
        queue = ranker.order(queue)
        tracker.add(relevant)
        tracker.status()  # the line the screener shows under the next record
        times.append(time.perf_counter() - t0)
        lags.append(ranker.lag)
    ranker.close()
    line = (
        f"median {ms(statistics.median(times))}, p95 {ms(p95(times))}, max {ms(max(times))}; "
        f"{len(ranker.refit_seconds)} refits"
    )
    if ranker.refit_seconds:
        refits = ranker.refit_seconds
        line += f" (p95 {ms(p95(refits))}, max {ms(max(refits))})"
    if background:
        stale = sum(1 for lag in lags if lag)
        line += (
            f"; next record chosen by a ranking not yet taught every decision: "
            f"{stale} of {decisions} (at most {max(lags)} decisions behind)"
        )
    return line


def main() -> int:
    decisions = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    start = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    think = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    records, labels = [], []
    for path in sorted(DATA.glob("*.csv.gz")):
        # Each set numbers its records from 1: the set's name makes the IDs unique.
        name = path.name.removesuffix(".csv.gz")
        for record in read_records(path).records:
            records.append(dataclasses.replace(record, id=f"{name}:{record.id}"))
            labels.append(dict(record.extra).get("label_included") == "1")
    records, labels = records[:N], labels[:N]
    print(f"{len(records)} records, {sum(labels)} relevant; think time {think} s")
    started = time.perf_counter()
    built = RecordRanker(records, question="drug class efficacy", seed=1)
    built.ranking()  # the cold start's BM25 scores
    assert built.ranker.features.matrix.shape[0] == len(records)  # the model's features
    print(f"building features: {time.perf_counter() - started:.2f} s (once per session)")
    for label, first in (("from nothing learned", 0), (f"from {start} decided", start)):
        for background in (False, True):
            mode = "background" if background else "synchronous"
            result = session(records, labels, first, decisions, think, background)
            print(f"{label}, {mode}: {decisions} decisions, {result}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
