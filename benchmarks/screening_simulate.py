"""Screening simulation: `review simulate` against `asreview simulate` on the Cohen 2006 sets.

For every set in ../shared/data/screening/cohen2006/ and every seed, both tools
start from the same two prior records (one relevant, one irrelevant, drawn by
`review.simulate.choose_priors(labels, seed)`; ASReview gets them as
`--prior-idx`) and the same seed, and read until the end (ours) or until the
last relevant record (ASReview's default `--n-stop`; the records it leaves
unread hold no relevant one, so WSS@95 and recall@10% are exact). Both orders
are scored by the same code (`review.simulate.metrics`).

Prints a table of WSS@95, recall@10% and seconds per set (means over seeds),
the stopping rule's recall and work saved, and writes one recall-curve SVG per
set to benchmarks/results/screening/.

ASReview, in its own virtual environment (it pins its own scikit-learn):

    python3 -m venv benchmarks/.venv-asreview
    benchmarks/.venv-asreview/bin/pip install asreview==3.0.8

Run (from the repository, with review's own .venv active):

    nice python benchmarks/screening_simulate.py [--seeds 1,2,3,4,5] [--sets A,B] [--blank-keywords]

ASReview's results are cached in benchmarks/.cache-asreview/ per (set, seed,
version) so a re-run only simulates ours; delete the folder to re-run it.
`--blank-keywords` empties the keywords (MeSH) column for our model, to see how
it does on records without subject headings.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from review.simulate import Dataset, choose_priors, metrics, read_dataset, simulate
from review.stopping import StopRule

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data" / "screening" / "cohen2006"
ASREVIEW = REPO / "benchmarks" / ".venv-asreview" / "bin" / "asreview"
CACHE = REPO / "benchmarks" / ".cache-asreview"
RESULTS = REPO / "benchmarks" / "results" / "screening"
ASREVIEW_VERSION = "3.0.8"


@dataclasses.dataclass
class Run:
    tool: str
    set_name: str
    seed: int
    order: list[int]
    seconds: float
    cached: bool = False  # ASReview's order read from CACHE (made by an earlier run)


def asreview_version() -> str:
    out = subprocess.run([str(ASREVIEW), "--version"], capture_output=True, text=True, check=True)
    return out.stdout.strip().split()[-1]


def run_asreview(set_name: str, csv_path: Path, dataset: Dataset, seed: int, version: str) -> Run:
    key = CACHE / f"{set_name}-seed{seed}-asreview{version}.json"
    if key.is_file():
        cached = json.loads(key.read_text())
        return Run("asreview", set_name, seed, cached["order"], cached["seconds"], cached=True)
    priors = choose_priors(dataset.labels, seed)
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "sim.asreview"
        command = [
            str(ASREVIEW),
            "simulate",
            str(csv_path),
            "--prior-idx",
            *(str(p) for p in priors),
            "--seed",
            str(seed),
            "-o",
            str(project),
        ]
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=tmp)
        seconds = time.perf_counter() - started
        with zipfile.ZipFile(project) as archive:
            archive.extract("results.db", tmp)
        connection = sqlite3.connect(Path(tmp) / "results.db")
        rows = connection.execute("SELECT record_id FROM results ORDER BY rowid").fetchall()
        connection.close()
    order = [int(r[0]) for r in rows]  # ASReview's record_id is the dataset row
    if order[:2] != list(priors):
        raise SystemExit(f"{set_name} seed {seed}: ASReview read {order[:2]}, not priors {priors}")
    CACHE.mkdir(parents=True, exist_ok=True)
    key.write_text(json.dumps({"order": order, "seconds": seconds, "priors": list(priors)}))
    return Run("asreview", set_name, seed, order, seconds)


def completed(order: list[int], n: int) -> list[int]:
    """ASReview stops at the last relevant record; the unread rest follow in row order."""
    seen = set(order)
    return order + [i for i in range(n) if i not in seen]


def run_ours(set_name: str, dataset: Dataset, seed: int) -> Run:
    started = time.perf_counter()
    result = simulate(dataset, seed)
    return Run("review", set_name, seed, list(result.order), time.perf_counter() - started)


def recall_curve_svg(set_name: str, labels: tuple[int, ...], runs: list[Run]) -> str:
    width, height, margin = 480, 320, 40
    n = len(labels)
    relevant = sum(labels)
    colours = {"review": "#1b6ca8", "asreview": "#d1495b"}
    lines = []
    for run in runs:
        order = completed(run.order, n)
        found = 0
        points = [f"{margin},{height - margin}"]
        for position, index in enumerate(order, start=1):
            if labels[index]:
                found += 1
                x = margin + (width - 2 * margin) * position / n
                y = height - margin - (height - 2 * margin) * found / relevant
                points.append(f"{x:.1f},{y:.1f}")
        points.append(f"{width - margin},{margin}")
        lines.append(
            f'<polyline fill="none" stroke="{colours[run.tool]}" stroke-opacity="0.6" '
            f'stroke-width="1.2" points="{" ".join(points)}"/>'
        )
    diagonal = f"{margin},{height - margin} {width - margin},{margin}"
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
            f'<rect width="{width}" height="{height}" fill="white"/>',
            f'<text x="{margin}" y="20" font-size="13">{set_name}: recall by records read '
            f"({n} records, {relevant} relevant)</text>",
            f'<polyline fill="none" stroke="#999" stroke-dasharray="4 3" points="{diagonal}"/>',
            f'<line x1="{margin}" y1="{height - margin}" x2="{width - margin}" '
            f'y2="{height - margin}" stroke="black"/>',
            f'<line x1="{margin}" y1="{height - margin}" x2="{margin}" y2="{margin}" '
            'stroke="black"/>',
            f'<text x="{width / 2}" y="{height - 8}" text-anchor="middle">records read</text>',
            f'<text x="12" y="{height / 2}" transform="rotate(-90 12 {height / 2})" '
            'text-anchor="middle">recall</text>',
            *lines,
            f'<text x="{width - margin - 150}" y="{height - margin - 40}" '
            f'fill="{colours["review"]}">review (each seed)</text>',
            f'<text x="{width - margin - 150}" y="{height - margin - 25}" '
            f'fill="{colours["asreview"]}">ASReview {ASREVIEW_VERSION} elas_u4</text>',
            "</svg>",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument("--sets", default="")
    parser.add_argument("--blank-keywords", action="store_true")
    parser.add_argument("--no-asreview", action="store_true", help="ours only")
    parser.add_argument(
        "--asreview-only", action="store_true", help="fill ASReview's cache only (start it early)"
    )
    options = parser.parse_args()
    seeds = [int(s) for s in options.seeds.split(",")]
    paths = sorted(DATA.glob("*.csv.gz"))
    if options.sets:
        wanted = set(options.sets.split(","))
        paths = [p for p in paths if p.name.removesuffix(".csv.gz") in wanted]
    if not paths:
        print(f"No Cohen sets in {DATA}", file=sys.stderr)
        return 1
    use_asreview = not options.no_asreview
    if use_asreview and not ASREVIEW.exists():
        print(f"{ASREVIEW} missing; install it as the docstring says.", file=sys.stderr)
        return 1
    version = asreview_version() if use_asreview else ""
    if use_asreview and version != ASREVIEW_VERSION:
        print(f"warning: ASReview {version}, the table was made with {ASREVIEW_VERSION}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    rule = StopRule()
    rows = []
    stops = []
    reused = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            name = path.name.removesuffix(".csv.gz")
            dataset = read_dataset(path)
            csv_path = Path(tmp) / f"{name}.csv"
            with gzip.open(path, "rb") as source, csv_path.open("wb") as target:
                shutil.copyfileobj(source, target)
            ours_input = dataset
            if options.blank_keywords:
                ours_input = dataclasses.replace(
                    dataset,
                    documents=tuple(dataclasses.replace(d, subjects=()) for d in dataset.documents),
                )
            runs: list[Run] = []
            for seed in seeds:
                if not options.asreview_only:
                    runs.append(run_ours(name, ours_input, seed))
                if use_asreview:
                    runs.append(run_asreview(name, csv_path, dataset, seed, version))
                    reused += runs[-1].cached
            if options.asreview_only:
                continue
            n = len(dataset.labels)
            row: dict[str, object] = {"set": name, "records": n, "relevant": sum(dataset.labels)}
            for tool in ("review", "asreview"):
                mine = [r for r in runs if r.tool == tool]
                if not mine:
                    continue
                scored = [metrics(dataset.labels, completed(r.order, n), rule) for r in mine]
                row[f"{tool}_wss95"] = sum(m.wss95 for m in scored) / len(scored)
                row[f"{tool}_recall10"] = sum(m.recall_at_10 for m in scored) / len(scored)
                row[f"{tool}_seconds"] = sum(r.seconds for r in mine) / len(mine)
                if tool == "review":
                    stops.extend((name, m) for m in scored)
            rows.append(row)
            if not options.blank_keywords:  # the plots show the model as shipped
                (RESULTS / f"{name}.svg").write_text(
                    recall_curve_svg(name, dataset.labels, runs), encoding="utf-8"
                )
            print(json.dumps(row), file=sys.stderr, flush=True)
    if options.asreview_only:
        return 0
    if options.blank_keywords:
        print("Our model with the keywords (MeSH) column blanked; ASReview reads no keywords.")
    if reused:
        print(
            f"ASReview: {reused} runs' orders reused from {CACHE.relative_to(REPO)}/ "
            "(made by this script earlier; their seconds are from that run)"
        )
    print_table(rows, seeds, use_asreview)
    print_stopping(stops, rule)
    print(f"Recall curves: {RESULTS.relative_to(REPO)}/<set>.svg")
    return 0


def print_table(rows: list[dict[str, object]], seeds: list[int], use_asreview: bool) -> None:
    print(f"\nMeans over seeds {','.join(map(str, seeds))}; WSS@95, recall@10%, seconds per run")
    head = f"{'set':26} {'N':>5} {'rel':>4} | {'review':>21}"
    if use_asreview:
        head += f" | {'ASReview ' + ASREVIEW_VERSION:>21} | {'ΔWSS':>6}"
    print(head)
    total: dict[str, float] = {}
    for row in rows:
        line = (
            f"{row['set']:26} {row['records']:>5} {row['relevant']:>4} | "
            f"{row['review_wss95']:.3f} {row['review_recall10']:.3f} {row['review_seconds']:7.1f}s"
        )
        for key in ("review_wss95", "review_recall10", "review_seconds"):
            total[key] = total.get(key, 0.0) + float(row[key])  # type: ignore[arg-type]
        if use_asreview:
            line += (
                f" | {row['asreview_wss95']:.3f} {row['asreview_recall10']:.3f} "
                f"{row['asreview_seconds']:7.1f}s | "
                f"{float(row['review_wss95']) - float(row['asreview_wss95']):+.3f}"  # type: ignore[arg-type]
            )
            for key in ("asreview_wss95", "asreview_recall10", "asreview_seconds"):
                total[key] = total.get(key, 0.0) + float(row[key])  # type: ignore[arg-type]
        print(line)
    k = len(rows)
    line = (
        f"{'mean':26} {'':>5} {'':>4} | {total['review_wss95'] / k:.3f} "
        f"{total['review_recall10'] / k:.3f} {total['review_seconds'] / k:7.1f}s"
    )
    if use_asreview:
        line += (
            f" | {total['asreview_wss95'] / k:.3f} {total['asreview_recall10'] / k:.3f} "
            f"{total['asreview_seconds'] / k:7.1f}s | "
            f"{(total['review_wss95'] - total['asreview_wss95']) / k:+.3f}"
        )
    print(line)


def print_stopping(stops: list[tuple[str, object]], rule: StopRule) -> None:
    fired = [(name, m) for name, m in stops if getattr(m, "stop_at", None) is not None]
    reached = [
        (name, m) for name, m in fired if (getattr(m, "recall_at_stop", 0.0) or 0.0) >= rule.target
    ]
    saved = [1 - m.stop_at / m.records for _, m in fired]
    print(
        f"\nStopping rule ({rule.describe()}), our runs: fired in {len(fired)} of {len(stops)}; "
        f"recall ≥ {rule.target:.0%} at the stop in {len(reached)} of {len(fired)} "
        f"({len(reached) / max(len(fired), 1):.0%}); work saved at the stop: mean "
        f"{sum(saved) / max(len(saved), 1):.3f}, min {min(saved, default=0):.3f}, "
        f"max {max(saved, default=0):.3f}"
    )
    for name, m in stops:
        print(f"  {name:26} stop {m.stop_at}/{m.records} recall {m.recall_at_stop}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
