"""Cold start: how relevant are the first records a reviewer sees, before any decision?

For each Cohen 2006 set in ../shared, records are ranked by the protocol alone
(`RecordRanker` with no decision: BM25F over title, abstract and subject terms).
The sets come without a protocol, so each gets a question made of its
drug-class (or condition) name only, written out below: the weakest protocol
a reviewer could give. No concepts, no criteria. Prints, per set, the share of
relevant records (`label_included`) among the first 20 and the first 100,
beside the share among all records (what input order gives on average).

Run: nice python benchmarks/cold_start.py
"""

from __future__ import annotations

import time
from pathlib import Path

from review.formats import read_records
from review.rank import RecordRanker

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "screening" / "cohen2006"

# The set's name, as words: the only query each set gets.
QUESTIONS = {
    "ACEInhibitors_online": "ACE inhibitors",
    "ADHD": "ADHD",
    "Antihistamines": "antihistamines",
    "AtypicalAntipsychotics": "atypical antipsychotics",
    "BetaBlockers": "beta blockers",
    "Estrogens": "estrogens",
    "OralHypoglycemics": "oral hypoglycemics",
    "ProtonPumpInhibitors": "proton pump inhibitors",
    "SkeletalMuscleRelaxants": "skeletal muscle relaxants",
    "UrinaryIncontinence": "urinary incontinence",
}


def main() -> int:
    print(f"{'set':26} {'N':>5} {'all':>6} {'top 20':>7} {'top 100':>8}  query")
    sums = [0.0, 0.0, 0.0]
    started = time.perf_counter()
    for path in sorted(DATA.glob("*.csv.gz")):
        name = path.name.removesuffix(".csv.gz")
        records = read_records(path).records
        relevant = {r.id for r in records if dict(r.extra).get("label_included") == "1"}
        ranker = RecordRanker(records, question=QUESTIONS[name])
        ranked = [r.id for r in ranker.order(records)]
        shares = [
            len(relevant) / len(records),
            sum(i in relevant for i in ranked[:20]) / 20,
            sum(i in relevant for i in ranked[:100]) / 100,
        ]
        sums = [a + b for a, b in zip(sums, shares, strict=True)]
        print(
            f"{name:26} {len(records):5} {shares[0]:6.2f} {shares[1]:7.2f} {shares[2]:8.2f}"
            f"  {QUESTIONS[name]!r}"
        )
    means = [s / len(QUESTIONS) for s in sums]
    print(f"{'mean':26} {'':5} {means[0]:6.2f} {means[1]:7.2f} {means[2]:8.2f}")
    print(f"{time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
