"""How much of title/abstract screening the rules settle, and how safely (Cohen 2006 sets).

For each drug-class set in ../shared/data/screening/cohen2006/ it screens every
record with the protocol queries/cohen2006/<set>.toml (written from the topic
alone, never tuned on the labels) and compares with the reviewers' labels:

    records      records in the set
    kept         records the reviewers kept at title/abstract (label_abstract_screening=1)
    final        records the reviewers finally included (label_included=1)
    excl         records the rules exclude (the protocols set rules_include = false,
                 so every other record is left to people)
    human        records left to people (needs-human)
    excl∩abs     rule exclusions that reviewers kept at title/abstract (label_abstract_screening=1)
    excl∩final   rule exclusions that reviewers finally included (label_included=1)
    would-incl   records that pass every rule, which the rules would include were
                 rules_include true
    w-incl∩abs   of those, how many the reviewers kept at title/abstract

The sets' `keywords` column holds MeSH headings, so they are read as MeSH.

Run: python benchmarks/screening_cohen.py [SET ...]
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

from review.formats import read_records
from review.protocol import Criteria, load_protocol
from review.records import MeshHeading, Record
from review.screen import screen_record

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data" / "screening" / "cohen2006"
PROTOCOLS = REPO / "queries" / "cohen2006"


def with_mesh(record: Record) -> Record:
    """The Cohen sets' keywords are MeSH descriptors; move them where MeSH rules look."""
    return dataclasses.replace(
        record, mesh=tuple(MeshHeading(k) for k in record.keywords), keywords=()
    )


def label(record: Record, name: str) -> str:
    return dict(record.extra).get(name, "")


def run(set_name: str) -> dict[str, int | float | str]:
    criteria = load_protocol(PROTOCOLS / f"{set_name}.toml").criteria
    including = dataclasses.replace(criteria, rules_include=True)
    result = read_records(DATA / f"{set_name}.csv.gz")
    records = [with_mesh(r) for r in result.records]
    started = time.perf_counter()
    decisions = [screen_record(r, criteria) for r in records]
    seconds = time.perf_counter() - started
    row: dict[str, int | float | str] = {
        "set": set_name,
        "records": len(records),
        "problems": len(result.problems),
        "kept": 0,
        "final": 0,
        "excl": 0,
        "human": 0,
        "excl∩abs": 0,
        "excl∩final": 0,
        "would-incl": 0,
        "w-incl∩abs": 0,
        "seconds": seconds,
    }
    for record, decision in zip(records, decisions, strict=True):
        kept = label(record, "label_abstract_screening") == "1"
        final = label(record, "label_included") == "1"
        row["kept"] = int(row["kept"]) + kept
        row["final"] = int(row["final"]) + final
        if decision.outcome == "exclude":
            row["excl"] = int(row["excl"]) + 1
            row["excl∩abs"] = int(row["excl∩abs"]) + kept
            row["excl∩final"] = int(row["excl∩final"]) + final
            if kept:
                print(
                    f"  {set_name} {record.id}: excluded ({decision.reason}) but kept: "
                    f"{record.title[:80]}",
                    file=sys.stderr,
                )
        elif decision.outcome == "include":
            raise SystemExit(f"{set_name}: the protocol should not let rules include")
        else:
            row["human"] = int(row["human"]) + 1
            if would_include(record, including):
                row["would-incl"] = int(row["would-incl"]) + 1
                row["w-incl∩abs"] = int(row["w-incl∩abs"]) + kept
    return row


def would_include(record: Record, criteria: Criteria) -> bool:
    return screen_record(record, criteria).outcome == "include"


def main(argv: list[str]) -> int:
    names = argv or sorted(p.name.removesuffix(".csv.gz") for p in DATA.glob("*.csv.gz"))
    columns = [
        "set",
        "records",
        "kept",
        "final",
        "excl",
        "human",
        "excl∩abs",
        "excl∩final",
        "would-incl",
        "w-incl∩abs",
    ]
    print("| " + " | ".join(columns) + " | settled | records/s |")
    print("|" + "---|" * (len(columns) + 2))
    totals = dict.fromkeys(columns[1:], 0)
    for name in names:
        row = run(name)
        settled = int(row["excl"]) / int(row["records"])
        rate = int(row["records"]) / float(row["seconds"])
        print("| " + " | ".join(str(row[c]) for c in columns) + f" | {settled:.1%} | {rate:,.0f} |")
        for c in columns[1:]:
            totals[c] += int(row[c])
    settled = totals["excl"] / totals["records"]
    print("| all | " + " | ".join(str(totals[c]) for c in columns[1:]) + f" | {settled:.1%} | |")
    kept, final = totals["excl∩abs"], totals["excl∩final"]
    print(
        f"\nRule exclusions the reviewers kept at title/abstract: {kept} of {totals['kept']} "
        f"({kept / totals['kept']:.1%}); finally included: {final} of {totals['final']} "
        f"({final / totals['final']:.1%})."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
