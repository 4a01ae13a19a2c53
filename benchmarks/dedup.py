"""Deduplication benchmark: `review.dedup` against bib-dedupe on the labelled sets.

For every set in ../shared/data/dedup/ both tools run on the same records in the
same run, each in its own subprocess per set, so that one tool's memory cannot
count against the other. Both are scored from the IDs that survive, exactly as
../shared/data/README.md describes (bib-dedupe's published evaluation).

Setup (bib-dedupe is NOT a dependency of `review`; it gets its own venv):

    python3.11 -m venv benchmarks/.venv-bibdedupe
    benchmarks/.venv-bibdedupe/bin/pip install bib-dedupe

Run (takes ~15-25 min on 2 cores because of bib-dedupe on `depression`):

    nohup python benchmarks/dedup.py > /tmp/dedup_bench.txt 2>&1 &
    python benchmarks/dedup.py --sets diabetes stroke --tools ours   # quick

Seconds: wall time of the deduplication call alone (records already in memory;
reading the CSV is not timed for either tool). bib-dedupe runs with its default
`cpu=-1`, i.e. it uses both cores; ours uses one.
Peak memory: the largest total RSS of the worker process and all its children,
sampled every 20 ms from /proc, and never less than the worker's own ru_maxrss.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = REPO.parent / "shared" / "data" / "dedup"
BIB_DEDUPE_PYTHON = HERE / ".venv-bibdedupe" / "bin" / "python"
SETS = (
    "diabetes",
    "stroke",
    "cytology_screening",
    "neuroimaging",
    "digital_work",
    "cardiac",
    "depression",
)
TOOLS = ("ours", "bib-dedupe")


# --------------------------------------------------------------------------- workers
# Each worker runs in a fresh interpreter, prints one JSON line
# {"seconds": ..., "surviving": [...], "maxrss_kb": ...} to the file it is given.


def run_ours(records_path: Path) -> tuple[float, list[str]]:
    sys.path.insert(0, str(REPO))
    from review.dedup import deduplicate
    from review.formats import read_records

    records = read_records(records_path).records
    start = time.perf_counter()
    result = deduplicate(records)
    seconds = time.perf_counter() - start
    return seconds, [record.id for record in result.canonical]


def run_bib_dedupe(records_path: Path) -> tuple[float, list[str]]:
    import pandas as pd
    from bib_dedupe.bib_dedupe import block, cluster, match, merge, prep

    records_df = pd.read_csv(records_path, dtype=str, keep_default_na=False)
    start = time.perf_counter()
    prepared = prep(records_df, verbosity_level=0)
    blocked = block(prepared, verbosity_level=0)
    matched = match(blocked, verbosity_level=0)
    duplicate_id_sets = cluster(matched, verbosity_level=0)
    merged = merge(records_df, duplicate_id_sets=duplicate_id_sets, verbosity_level=0)
    seconds = time.perf_counter() - start
    return seconds, [str(value) for value in merged["ID"].tolist()]


def worker(tool: str, records_path: Path, out_path: Path) -> None:
    runner = run_ours if tool == "ours" else run_bib_dedupe
    seconds, surviving = runner(records_path)
    maxrss_kb = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    out_path.write_text(
        json.dumps({"seconds": seconds, "surviving": surviving, "maxrss_kb": maxrss_kb})
    )


# --------------------------------------------------------------------------- memory


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kb(root: int) -> int:
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += _rss_kb(pid)
        stack += _children(pid)
    return total


@dataclass
class Run:
    seconds: float
    peak_mb: float
    surviving: list[str]


def run_worker(tool: str, set_name: str) -> Run:
    python = sys.executable if tool == "ours" else str(BIB_DEDUPE_PYTHON)
    records_path = DATA / set_name / "records.csv.gz"
    with tempfile.TemporaryDirectory() as tmp:
        out_path = Path(tmp) / "out.json"
        command = [python, str(Path(__file__)), "--worker", tool, str(records_path), str(out_path)]
        process = subprocess.Popen(command, cwd=REPO)
        peak = [0]

        def sample() -> None:
            while process.poll() is None:
                peak[0] = max(peak[0], tree_rss_kb(process.pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = process.wait()
        sampler.join()
        if code != 0:
            raise SystemExit(f"{tool} failed on {set_name} (exit {code})")
        result = json.loads(out_path.read_text())
    peak_kb = max(peak[0], result["maxrss_kb"])
    return Run(result["seconds"], peak_kb / 1024, result["surviving"])


# --------------------------------------------------------------------------- scoring


def read_ids(set_name: str) -> list[str]:
    with gzip.open(DATA / set_name / "records.csv.gz", "rt", encoding="utf-8", newline="") as f:
        return [row["ID"] for row in csv.DictReader(f)]


def read_truth(set_name: str) -> list[list[str]]:
    with (DATA / set_name / "truth.csv").open(encoding="utf-8", newline="") as f:
        return [row["merged_ids"].split(";") for row in csv.DictReader(f)]


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, other: Score) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.tn += other.tn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def sensitivity(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, s = self.precision, self.sensitivity
        return 2 * p * s / (p + s) if p + s else 0.0


def score(all_ids: list[str], groups: list[list[str]], surviving: list[str]) -> Score:
    """bib-dedupe's evaluation (shared/data/README.md), from the surviving IDs."""
    alive = set(surviving)
    in_group = {record_id for group in groups for record_id in group}
    result = Score()
    for record_id in all_ids:
        if record_id in in_group:
            continue
        if record_id in alive:
            result.tn += 1
        else:
            result.fp += 1
    for group in groups:
        k, s = len(group), sum(1 for record_id in group if record_id in alive)
        if s == 0:
            result.fp += 1
            result.tp += k - 1
        else:
            result.tn += 1
            result.fn += s - 1
            result.tp += k - s
    return result


# --------------------------------------------------------------------------- table

HEADER = (
    f"{'set':<19}{'tool':<11}{'TP':>7}{'FP':>5}{'FN':>6}{'TN':>7}"
    f"{'precision':>11}{'sensitivity':>12}{'F1':>8}{'seconds':>9}{'peak MB':>9}"
)


def row(set_name: str, tool: str, s: Score, seconds: float, peak_mb: float) -> str:
    return (
        f"{set_name:<19}{tool:<11}{s.tp:>7}{s.fp:>5}{s.fn:>6}{s.tn:>7}"
        f"{s.precision:>11.4f}{s.sensitivity:>12.4f}{s.f1:>8.4f}{seconds:>9.1f}{peak_mb:>9.0f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    parser.add_argument("--tools", nargs="+", default=list(TOOLS), choices=TOOLS)
    parser.add_argument("--worker", nargs=3, metavar=("TOOL", "RECORDS", "OUT"), help="internal")
    options = parser.parse_args()
    if options.worker:
        tool, records, out = options.worker
        worker(tool, Path(records), Path(out))
        return 0
    if "bib-dedupe" in options.tools and not BIB_DEDUPE_PYTHON.exists():
        print(f"bib-dedupe is not installed at {BIB_DEDUPE_PYTHON}; see this file's docstring.")
        return 1
    print(f"machine: {os.cpu_count()} CPUs; started {time.strftime('%Y-%m-%d %H:%M:%S')}")
    print(HEADER, flush=True)
    totals = {tool: (Score(), [0.0], [0.0]) for tool in options.tools}
    per_set: dict[tuple[str, str], Score] = {}
    for set_name in options.sets:
        all_ids, groups = read_ids(set_name), read_truth(set_name)
        for tool in options.tools:
            run = run_worker(tool, set_name)
            s = score(all_ids, groups, run.surviving)
            per_set[(set_name, tool)] = s
            total, seconds, peak = totals[tool]
            total.add(s)
            seconds[0] += run.seconds
            peak[0] = max(peak[0], run.peak_mb)
            print(row(set_name, tool, s, run.seconds, run.peak_mb), flush=True)
    for tool, (total, seconds, peak) in totals.items():
        print(row("TOTAL", tool, total, seconds[0], peak[0]))
    if len(totals) == 2:
        ratio = totals["ours"][1][0] / totals["bib-dedupe"][1][0]
        print(f"time ratio ours / bib-dedupe: {ratio:.3f} (1/{1 / ratio:.1f})")
        print("sensitivity, ours vs bib-dedupe:")
        for set_name in options.sets:
            ours, theirs = per_set[(set_name, "ours")], per_set[(set_name, "bib-dedupe")]
            sign = (
                ">"
                if ours.sensitivity > theirs.sensitivity
                else ("=" if ours.sensitivity == theirs.sensitivity else "<")
            )
            print(f"  {set_name:<19}{ours.sensitivity:.4f} {sign} {theirs.sensitivity:.4f}")
    print(f"finished {time.strftime('%Y-%m-%d %H:%M:%S')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
