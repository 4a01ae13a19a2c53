"""Peak memory per record of `review convert` and `review run` on large real inputs.

The inputs are real records: every set of ../shared/data/dedup (104,418 records
with abstracts from Embase, MEDLINE, Web of Science and others) and the 20,788
PubMed records of ../shared/data/pubmed/pubmed21n1298.xml.gz, with their MeSH
headings. For `convert` they are cycled up to --records (default 200,000; each
copy gets its own ID) and written once in each input format; for `run` the
distinct real records are used as they are (--run-records, default 100,000), so
deduplication sees a realistic share of duplicates rather than copies.

Each command runs in its own process; its peak is the kernel's high-water mark
(ru_maxrss from wait4). Per record = (peak on N records - peak on a 1-record file
of the same format) / N, so Python, the libraries and the report's fixed cost are
not counted. For `run` a second, in-process pass labels each stage and samples RSS
every 20 ms, to say which stage the peak belongs to (`--stages`).

    nice python benchmarks/memory.py > /tmp/memory.txt 2>&1 &     # ~15-30 min on 2 cores
    python benchmarks/memory.py --records 20000 --run-records 10000  # quick

The shared folder is ../shared beside the repository, or REVIEW_SHARED.

Targets (issue 10): under 3 KB per record for convert, under 6 KB for run.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("REVIEW_SHARED", REPO.parent / "shared"))  # ../shared
DEDUP_SETS = SHARED / "data" / "dedup"
PUBMED = SHARED / "data" / "pubmed" / "pubmed21n1298.xml.gz"
# (input format, output format) pairs measured for convert.
CONVERSIONS = [(".ris", ".csv"), (".nbib", ".jsonl"), (".csv", ".ris"), (".jsonl", ".bib")]


def real_records() -> Iterator[object]:
    """Every record of the shared sets, PubMed's first (the richest records)."""
    from review.formats import iter_records
    from review.records import Record

    for path in [PUBMED, *sorted(DEDUP_SETS.glob("*/records.csv.gz"))]:
        database = "PubMed" if path == PUBMED else path.parent.name
        for item in iter_records(path, database=database):
            if isinstance(item, Record):
                yield item


def cycled(limit: int) -> Iterator[object]:
    """`limit` records: the real ones, then copies of them with their own IDs."""
    from review.records import Record

    for round_number in itertools.count():
        for record in real_records():
            if limit <= 0:
                return
            assert isinstance(record, Record)
            if round_number:
                record = dataclasses.replace(record, id=f"{record.id}-copy{round_number}")
            yield record
            limit -= 1


def write_input(path: Path, count: int, *, distinct: bool = False) -> Path:
    from review.formats import write_records

    if path.exists():
        return path
    records = itertools.islice(real_records(), count) if distinct else cycled(count)
    write_records(records, path)  # type: ignore[arg-type]
    return path


def peak_of(command: list[str], cwd: Path) -> tuple[int, float]:
    """(peak RSS in bytes, seconds) of one command in its own process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        error = process.stderr.read() if process.stderr else ""
        raise SystemExit(f"{' '.join(command)} failed: {error.strip()[-500:]}")
    return usage.ru_maxrss * 1024, seconds


def review_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "review", *args]


def measure_convert(work: Path, count: int) -> None:
    print(f"\n## review convert, {count:,} records (real records cycled)")
    print("input -> output   input MB   peak MB   1-record peak MB   KB/record   seconds")
    for source, target in CONVERSIONS:
        big = write_input(work / f"big{source}", count)
        small = write_input(work / f"one{source}", 1)
        one_out = str(work / f"o1{target}")
        base, _ = peak_of(review_command("convert", str(small), "-o", one_out), work)
        peak, seconds = peak_of(
            review_command("convert", str(big), "-o", str(work / f"out{target}")), work
        )
        per_record = (peak - base) / count / 1024
        print(
            f"{source:>6} -> {target:<6} {big.stat().st_size / 2**20:9.0f} {peak / 2**20:9.0f} "
            f"{base / 2**20:18.0f} {per_record:11.2f} {seconds:9.0f}"
        )
        (work / f"out{target}").unlink(missing_ok=True)


def run_folder(work: Path) -> Path:
    """A copy of the example review (protocol, its sources, the bundled snapshot) in `work`,
    so a run writes its report, cache and decisions there, never into the repository."""
    folder = work / "review"
    if not folder.exists():
        (folder / "queries").mkdir(parents=True)
        shutil.copy(REPO / "queries" / "kratom.toml", folder / "queries" / "kratom.toml")
        shutil.copytree(REPO / "queries" / "sources", folder / "queries" / "sources")
        (folder / "cache").mkdir()
        shutil.copytree(REPO / "cache" / "example", folder / "cache" / "example")
    return folder


def measure_run(work: Path, count: int) -> None:
    print(f"\n## review run, the example protocol + {count:,} distinct real records (RIS)")
    folder = run_folder(work)
    big = write_input(work / f"distinct-{count}.ris", count, distinct=True)
    small = write_input(work / "one-distinct.ris", 1, distinct=True)
    peaks = []
    for name, path in (("1 record", small), (f"{count:,} records", big)):
        shutil.rmtree(folder / "reports", ignore_errors=True)
        peak, seconds = peak_of(
            review_command("run", "queries/kratom.toml", f"{path}=Embase", "--quiet"), folder
        )
        peaks.append(peak)
        print(f"{name:>16}: peak {peak / 2**20:7.0f} MB in {seconds:6.0f} s")
    print(f"KB/record: {(peaks[1] - peaks[0]) / count / 1024:.2f}")


def rss() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def measure_stages(work: Path, count: int) -> None:
    """`review run` in this process, each stage labelled, RSS sampled every 20 ms."""
    from review.pipeline import RunSettings, Stages, default_stages, run
    from review.protocol import ImportSource, load_protocol

    print(f"\n## review run by stage, {count:,} distinct real records")
    folder = run_folder(work)
    big = write_input(work / f"distinct-{count}.ris", count, distinct=True)
    os.chdir(folder)
    current = ["start"]
    peaks: dict[str, int] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peaks[current[0]] = max(peaks.get(current[0], 0), rss())
            time.sleep(0.02)

    def labelled(name: str, function: object) -> object:
        def call(*args: object, **kwargs: object) -> object:
            current[0] = name
            try:
                return function(*args, **kwargs)  # type: ignore[operator]
            finally:
                peaks[name] = max(peaks.get(name, 0), rss())
                current[0] = f"after {name}"

        return call

    real = default_stages()
    stages = Stages(
        **{
            field.name: labelled(field.name, getattr(real, field.name))
            for field in dataclasses.fields(Stages)
        }
    )
    sampler = threading.Thread(target=sample, daemon=True)
    start = rss()
    sampler.start()
    protocol = load_protocol(Path("queries/kratom.toml"))
    settings = RunSettings(
        extra_files=(ImportSource(big, "Embase"),), out_dir=folder / "reports" / "stages"
    )
    run(protocol, settings, stages)
    done.set()
    sampler.join()
    print(f"RSS at start {start / 2**20:.0f} MB; peak RSS while each stage ran (MB, KB/record):")
    for name, peak in peaks.items():
        print(f"  {name:<24} {peak / 2**20:7.0f} {(peak - start) / count / 1024:8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000, help="records for convert")
    parser.add_argument("--run-records", type=int, default=100_000, help="records for run")
    parser.add_argument("--work", type=Path, default=Path("/tmp/review-memory"))
    parser.add_argument(
        "--only", choices=["convert", "run", "stages"], action="append", help="default: all"
    )
    options = parser.parse_args()
    if not DEDUP_SETS.is_dir() or not PUBMED.is_file():
        raise SystemExit(f"needs the shared data folder {SHARED}")
    options.work.mkdir(parents=True, exist_ok=True)
    only = options.only or ["convert", "run", "stages"]
    print(f"# memory benchmark, {time.strftime('%Y-%m-%d %H:%M')}, Python {sys.version.split()[0]}")
    if "convert" in only:
        measure_convert(options.work, options.records)
    if "run" in only:
        measure_run(options.work, options.run_records)
    if "stages" in only:
        measure_stages(options.work, options.run_records)


if __name__ == "__main__":
    main()
