"""Cold start: how relevant are the first records a reviewer sees, before any decision?

For each Cohen 2006 set in ../shared, records are ranked by the protocol alone
(`RecordRanker` with no decision: BM25F over title, abstract and subject terms),
twice:

- name: a question made of the set's drug-class (or condition) name only, written
  out below, and no criteria: the weakest protocol a reviewer could give;
- protocol: the set's protocol queries/cohen2006/<set>.toml (its question and the
  concepts of its criteria, written from the topic alone, never tuned on labels).

Prints, per set, the share of relevant records (`label_included`) among the first
20 and the first 100, beside the share among all records (what input order gives
on average).

Run: nice python benchmarks/cold_start.py
"""

from __future__ import annotations

import time
from pathlib import Path

from review.formats import read_records
from review.protocol import load_protocol
from review.rank import RecordRanker
from review.records import Record

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data" / "screening" / "cohen2006"
PROTOCOLS = REPO / "queries" / "cohen2006"

# The set's name, as words: the only query each set gets in the "name" columns.
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


def shares(ranker: RecordRanker, records: tuple[Record, ...], relevant: set[str]) -> list[float]:
    ranked = [r.id for r in ranker.order(records)]
    return [sum(i in relevant for i in ranked[:k]) / k for k in (20, 100)]


def main() -> int:
    print(f"{'':26} {'':5} {'':>6} {'name only':>15} {'protocol':>15}")
    print(f"{'set':26} {'N':>5} {'all':>6} {'top20':>7} {'top100':>7} {'top20':>7} {'top100':>7}")
    sums = [0.0] * 5
    started = time.perf_counter()
    for path in sorted(DATA.glob("*.csv.gz")):
        name = path.name.removesuffix(".csv.gz")
        records = read_records(path).records
        relevant = {r.id for r in records if dict(r.extra).get("label_included") == "1"}
        protocol = load_protocol(PROTOCOLS / f"{name}.toml")
        row = [
            len(relevant) / len(records),
            *shares(RecordRanker(records, question=QUESTIONS[name]), records, relevant),
            *shares(
                RecordRanker(records, question=protocol.question, criteria=protocol.criteria),
                records,
                relevant,
            ),
        ]
        sums = [a + b for a, b in zip(sums, row, strict=True)]
        print(f"{name:26} {len(records):5} " + " ".join(f"{v:7.2f}" for v in row))
    means = [s / len(QUESTIONS) for s in sums]
    print(f"{'mean':26} {'':5} " + " ".join(f"{v:7.2f}" for v in means))
    print(f"{time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
