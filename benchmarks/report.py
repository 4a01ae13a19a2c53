"""Report benchmark: size, opening time and writing time of the report of a large review.

One run, one set of records (default 50,000):

1. The records: the first N real records of ../shared (PubMed's 20,788 with MeSH,
   then the dedup sets' Embase, MEDLINE, Web of Science … records, with their
   real duplicates), or with `--records synthetic` (or without ../shared) N
   invented PubMed records, every tenth a copy of the one before under another ID.
2. Deduplication: `review.dedup.deduplicate` on them, timed, peak memory sampled.
3. Decisions as a big review has them part-way: of the main copies 10% included
   at title/abstract (half of those included at full text, half awaiting their
   full-text decision), 60% excluded by a person (two reasons), 30% awaiting.
4. The records awaiting a person ranked as `review run` ranks them (the screeners'
   ranking, here learned from the decisions above), timed apart.
5. `write_report`, timed and its peak memory sampled, with the protocol's
   default exports (included.* and screened.* in RIS, BibTeX, CSV) and again
   with `[exports] screened = false`; the ratio to deduplication's time.
6. The sizes: report.html, and every page of records/ together.
7. Headless Chromium (Playwright driving Debian's /usr/bin/chromium, as
   tests/test_web_browser.py does) opens report.html from disk: time from
   navigation to the load event, median of --opens fresh pages; then the
   largest page of records/ the same way.

Peak memory of a stage: the highest RSS sampled every 10 ms while it runs, minus
the RSS when it began, divided by N (KB per record, as benchmarks/memory.py).

    nice python benchmarks/report.py > /tmp/report_bench.txt 2>&1 &
    python benchmarks/report.py --records synthetic --size 10000 --parts
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TypeVar

from review.dedup import DedupResult, deduplicate
from review.formats import write_records
from review.protocol import Exports, parse_protocol
from review.records import Author, Record, Source
from review.report import ReportInput, build_report, write_report
from review.report.html import report_html
from review.report.json_report import report_json
from review.report.markdown import report_markdown
from review.report.pages import Paging, html_lists, iter_pages
from review.report_stage import awaiting_relevance
from review.screen import Decision, Outcome
from review.search import SearchLogEntry

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("REVIEW_SHARED", REPO.parent / "shared"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
T = TypeVar("T")

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
wrong-design = "Not a study of people"
"""

WORDS = [
    *("kratom", "mitragynine", "withdrawal", "opioid", "dependence", "adults", "cohort"),
    *("trial", "randomised", "pain", "anxiety", "sleep", "alkaloid", "receptor", "binding"),
    *("liver", "injury", "case", "report", "survey", "users", "treatment", "buprenorphine"),
    *("symptoms", "tolerance", "review", "patients", "hospital"),
]


def synthetic_records(n: int) -> list[Record]:
    """N PubMed-like records, every tenth a copy of the one before (another ID)."""
    records = []
    for i in range(n):
        if i % 10 == 9:
            records.append(replace(records[-1], id=f"copy-{i}", pmid=""))
            continue
        words = [WORDS[(i * k + k * k) % len(WORDS)] for k in range(3, 11)]
        records.append(
            Record(
                id=str(100000 + i),
                source=Source("PubMed", search="all"),
                title=f"{' '.join(words).capitalize()} <{i}> & more",
                authors=(Author("Smith", "J", "J"), Author(f"Lee{i % 97}", "K", "K")),
                journal="Journal of Examples",
                year=1990 + i % 35,
                pmid=str(100000 + i),
                doi=f"10.1000/{i}",
            )
        )
    return records


def real_records(n: int) -> list[Record]:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from memory import real_records as every_real_record

    records: list[Record] = []
    seen: set[str] = set()
    for record in itertools.islice(every_real_record(), n):
        assert isinstance(record, Record)
        # The sets reuse each other's IDs (PMIDs, accession numbers); a run's IDs are unique.
        if record.id in seen:
            record = replace(record, id=f"{record.source.database}:{record.id}:{len(records)}")
        seen.add(record.id)
        records.append(record)
    return records


def review_input(records: list[Record], dedup: DedupResult) -> ReportInput:
    decisions: list[Decision] = []
    for k, record in enumerate(dedup.canonical):
        share = k % 20
        outcome: Outcome = "include" if share < 2 else "exclude" if share < 14 else "needs-human"
        reason = ("not-kratom", "wrong-design")[k % 2] if outcome == "exclude" else ""
        decisions.append(Decision(record.id, "title-abstract", outcome, reason=reason, by="Ana"))
        if share == 1:
            decisions.append(Decision(record.id, "full-text", "include", by="Ana"))
    pmids = tuple(r.pmid for r in records if r.source.database == "PubMed" and r.pmid)
    log = SearchLogEntry(
        name="all",
        database="PubMed",
        query="kratom",
        query_translation='"kratom"[All Fields]',
        mindate="",
        maxdate="",
        datetype="pdat",
        count=len(pmids),
        pmids=pmids,
        warnings=(),
        searched_at="2026-11-26T00:00:00Z",
        tool_version="bench",
    )
    return ReportInput(
        protocol=parse_protocol(PROTOCOL, Path("bench.toml")),
        searches=(log,),
        dedup=dedup,
        decisions=tuple(decisions),
        generated_at="2026-11-26T00:00:00Z",
        tool_version="bench",
        dedup_software="bench",
    )


def rss() -> int:
    statm = Path("/proc/self/statm").read_text()
    return int(statm.split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measured(action: Callable[[], T]) -> tuple[T, float, int]:
    """(result, seconds, peak RSS above the start in bytes) of one call."""
    start_rss = peak = rss()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.01):
            peak = max(peak, rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return result, seconds, max(peak, rss()) - start_rss


def load_times(page: Path, opens: int) -> list[float]:
    """Seconds from navigation to the load event, each in a fresh page."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        for _ in range(opens):
            context = browser.new_context()
            tab = context.new_page()
            started = time.perf_counter()
            tab.goto(page.as_uri(), wait_until="load", timeout=300_000)
            times.append(time.perf_counter() - started)
            context.close()
        browser.close()
    return times


def parts(review: ReportInput) -> Iterator[tuple[str, float]]:
    """Seconds of each part of the report, one at a time."""
    report = build_report(review)
    out = Path(tempfile.mkdtemp())
    lists = html_lists(report, Paging())
    steps: dict[str, Callable[[], object]] = {
        "build_report": partial(build_report, review),
        "report.html": partial(report_html, report, (), None, lists),
        "records/*.html": lambda: ["".join(write()) for _, write in iter_pages(report, lists, "")],
        "report.md": partial(report_markdown, report),
        "report.json": partial(report_json, report),
        **{
            f"screened.{fmt}": partial(
                write_records, list(review.dedup.canonical), out / f"screened.{fmt}"
            )
            for fmt in ("ris", "bib", "csv")
        },
    }
    for name, step in steps.items():
        _, seconds, _ = measured(step)
        yield name, seconds
    shutil.rmtree(out)


def megabytes(size: int) -> str:
    return f"{size / 1e6:.2f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument(
        "--records",
        choices=("real", "synthetic"),
        default="real" if (SHARED / "data" / "dedup").is_dir() else "synthetic",
    )
    parser.add_argument("--opens", type=int, default=5)
    parser.add_argument("--parts", action="store_true", help="also time each file alone")
    args = parser.parse_args()
    n = args.size

    records = real_records(n) if args.records == "real" else synthetic_records(n)
    print(f"{len(records):,} {args.records} records")
    dedup, dedup_seconds, dedup_peak = measured(partial(deduplicate, records))
    print(
        f"deduplicate:                 {dedup_seconds:7.2f} s   peak "
        f"{dedup_peak / len(records) / 1024:5.2f} KB/record   "
        f"({len(dedup.links):,} duplicates, {len(dedup.canonical):,} main copies)"
    )
    review = review_input(records, dedup)
    counts = build_report(review).counts
    print(
        f"decisions: {counts.records_screened:,} screened, {counts.records_excluded_total:,} "
        f"excluded, {counts.awaiting_screening:,} awaiting, {counts.reports_sought:,} passed "
        f"title/abstract, {counts.studies_included:,} included at full text"
    )
    # `review run` ranks the records awaiting a person as the screeners do, before
    # writing (review.report_stage.awaiting_relevance); timed apart, then reported.
    (relevance, ranked_by), rank_seconds, rank_peak = measured(
        partial(
            awaiting_relevance,
            dedup.canonical,
            [d for d in review.decisions if d.by != "rules"],
            review.decisions,
            review.protocol,
        )
    )
    print(
        f"rank the awaiting records:   {rank_seconds:7.2f} s   peak "
        f"{rank_peak / len(records) / 1024:5.2f} KB/record   "
        f"{rank_seconds / dedup_seconds:.2f} × deduplication   ({ranked_by})"
    )
    review = replace(review, relevance=relevance, ranked_by=ranked_by)
    no_full = replace(
        review,
        protocol=replace(review.protocol, exports=Exports(review.protocol.exports.formats, False)),
    )
    work = Path(tempfile.mkdtemp(prefix="report-bench-"))
    try:
        for label, variant, folder in (
            ("write_report, all exports:  ", review, work / "all"),
            ("write_report, screened=false:", no_full, work / "included-only"),
        ):
            files, seconds, peak = measured(partial(write_report, variant, folder))
            print(
                f"{label} {seconds:7.2f} s   peak {peak / len(records) / 1024:5.2f} KB/record"
                f"   {seconds / dedup_seconds:.2f} × deduplication   ({len(files)} files)"
            )
        out = work / "all"
        pages = sorted((out / "records").glob("*.html"))
        total = sum(p.stat().st_size for p in pages)
        every = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        print(f"report.html:                 {megabytes((out / 'report.html').stat().st_size)}")
        print(f"records/ pages:              {len(pages)} pages, {megabytes(total)} together")
        if pages:
            largest = max(pages, key=lambda p: p.stat().st_size)
            print(
                f"largest page:                {largest.name}, {megabytes(largest.stat().st_size)}"
            )
        print(f"whole report folder:         {megabytes(every)}")
        if CHROMIUM is None:
            print("Chromium is not installed: load times not measured")
        else:
            opened = [("report.html", out / "report.html")]
            if pages:
                opened.append(("largest page", max(pages, key=lambda p: p.stat().st_size)))
            for name, page in opened:
                times = load_times(page, args.opens)
                print(
                    f"Chromium load event, {name + ':':<13} median {statistics.median(times):.2f} s"
                    f" of {len(times)} opens ({', '.join(f'{t:.2f}' for t in times)})"
                )
        if args.parts:
            print("seconds per part (each alone):")
            for name, seconds in parts(review):
                print(f"  {name:<20} {seconds:7.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
