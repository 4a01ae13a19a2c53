"""Report benchmark: how long each part of `write_report` takes as a review grows.

Builds a synthetic review of N PubMed records (every tenth a duplicate of its
neighbour; a third of the rest excluded, a third awaiting a person, a third
included at title/abstract and half of those at full text), then times
`build_report`, each writer, and each export format on the screened records.
Nothing is read from disk; the outputs go to a temporary folder.

    python benchmarks/report.py                 # 1,000 and 10,000 records
    python benchmarks/report.py --sizes 50000
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from review.dedup import DedupResult, DuplicateLink
from review.formats import write_records
from review.protocol import parse_protocol
from review.records import Author, Record, Source
from review.report import ReportInput, build_report, write_report
from review.report.html import report_html
from review.report.json_report import report_json
from review.report.markdown import report_markdown
from review.report.svg import prisma_svg, year_chart_svg
from review.screen import Decision, Outcome
from review.search import SearchLogEntry

PROTOCOL = """
schema_version = 1
name = "bench"
title = "Report benchmark"
question = "How long does a report take?"
[[searches]]
name = "all"
query = "kratom"
[criteria.reasons]
not-kratom = "Not about kratom"
"""


def synthetic_review(n: int) -> ReportInput:
    records = tuple(
        Record(
            id=str(100000 + i),
            source=Source("PubMed", search="all"),
            title=f"Study {i} of kratom use & <withdrawal> in adults",
            authors=(Author("Smith", "J", "J"), Author("Lee", "K", "K")),
            journal="Journal of Examples",
            year=1990 + i % 35,
            pmid=str(100000 + i),
            doi=f"10.1000/{i}",
        )
        for i in range(n)
    )
    links = tuple(DuplicateLink(records[i].id, records[i - 1].id, "doi") for i in range(1, n, 10))
    duplicates = {link.record_id for link in links}
    canonical = tuple(r for r in records if r.id not in duplicates)
    outcomes: tuple[Outcome, ...] = ("include", "exclude", "needs-human")
    decisions: list[Decision] = []
    for k, record in enumerate(canonical):
        outcome = outcomes[k % 3]
        reason = "not-kratom" if outcome == "exclude" else ""
        decisions.append(Decision(record.id, "title-abstract", outcome, reason=reason))
        if outcome == "include" and k % 2:
            decisions.append(Decision(record.id, "full-text", "include", by="Ana"))
    log = SearchLogEntry(
        name="all",
        database="PubMed",
        query="kratom",
        query_translation='"kratom"[All Fields]',
        mindate="",
        maxdate="",
        datetype="pdat",
        count=n,
        pmids=tuple(r.pmid for r in records),
        warnings=(),
        searched_at="2026-11-26T00:00:00Z",
        tool_version="bench",
    )
    return ReportInput(
        protocol=parse_protocol(PROTOCOL, Path("bench.toml")),
        searches=(log,),
        dedup=DedupResult(records, canonical, links),
        decisions=tuple(decisions),
        generated_at="2026-11-26T00:00:00Z",
        tool_version="bench",
        dedup_software="bench",
    )


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure(n: int) -> dict[str, float]:
    """Seconds for each part of the report on a synthetic review of `n` records."""
    review = synthetic_review(n)
    report = build_report(review)
    screened = list(review.dedup.canonical)
    out = Path(tempfile.mkdtemp())
    parts: dict[str, Callable[[], object]] = {
        "build_report": partial(build_report, review),
        "report.html": partial(report_html, report),
        "report.md": partial(report_markdown, report),
        "report.json": partial(report_json, report),
        "prisma.svg": partial(prisma_svg, report),
        "records-per-year.svg": partial(year_chart_svg, report),
        **{
            f"screened.{fmt}": partial(write_records, screened, out / f"screened.{fmt}")
            for fmt in ("ris", "bib", "csv")
        },
        # Everything together, as `review run` writes it (one file in memory at a time).
        "write_report (all)": partial(write_report, review, out / "report"),
    }
    return {name: timed(action) for name, action in parts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    sizes = parser.parse_args().sizes
    columns = [measure(n) for n in sizes]
    header = f"{'seconds':<22}" + "".join(f"{n:>12,}" for n in sizes)
    print(header)
    print("-" * len(header))
    for name in columns[0]:
        print(f"{name:<22}" + "".join(f"{column[name]:>12.2f}" for column in columns))
    parts = [sum(v for k, v in column.items() if k != "write_report (all)") for column in columns]
    print(f"{'sum of the parts':<22}" + "".join(f"{total:>12.2f}" for total in parts))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
    print(f"peak memory of this process: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
