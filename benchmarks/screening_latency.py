"""Time from one screening decision to the next record, on 10,000 records.

What the terminal screener does after each key press: teach the ranker the
decision (`RecordRanker.teach`), re-rank the records still to come
(`RecordRanker.order`, refitting the model when `retrain_every` says so) and
update the stopping rule (`StopTracker.add`). Records: the first 10,000 of the
Cohen 2006 sets in ../shared (their own labels play the reviewer). Measured over
a session of DECISIONS decisions starting from nothing learned, and over one
starting with START already decided (the cadence of refits grows with them).

Run: nice python benchmarks/screening_latency.py [DECISIONS] [START]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from review.formats import read_records
from review.rank import RecordRanker
from review.stopping import StopTracker

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "screening" / "cohen2006"
N = 10_000


def main() -> int:
    decisions = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    start = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    records, labels = [], []
    for path in sorted(DATA.glob("*.csv.gz")):
        for record in read_records(path).records:
            records.append(record)
            labels.append(dict(record.extra).get("label_included") == "1")
    records, labels = records[:N], labels[:N]
    print(f"{len(records)} records, {sum(labels)} relevant")
    started = time.perf_counter()
    ranker = RecordRanker(records, question="drug class efficacy", seed=1)
    print(f"building features: {time.perf_counter() - started:.2f} s (once per session)")
    for label, first in (("from nothing learned", 0), (f"from {start} decided", start)):
        ranker = RecordRanker(records, seed=1)
        queue = list(records)
        # A session that already has `first` decisions: taught in one go.
        for record, relevant in zip(queue[:first], labels[:first], strict=True):
            ranker.teach(record.id, "include" if relevant else "exclude")
        if first and not any(labels[:first]):
            ranker.teach(queue[first].id, "include")
        tracker = StopTracker(len(records), labels=labels[:first])
        queue = ranker.order(queue[first:])
        truth = dict(zip((r.id for r in records), labels, strict=True))
        times = []
        for _ in range(decisions):
            record = queue.pop(0)
            relevant = truth[record.id]
            t0 = time.perf_counter()
            ranker.teach(record.id, "include" if relevant else "exclude")
            queue = ranker.order(queue)
            tracker.add(relevant)
            times.append(time.perf_counter() - t0)
        times.sort()
        p95 = times[int(0.95 * (len(times) - 1))]
        print(
            f"{label}: {decisions} decisions, median {statistics.median(times) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
