"""Deduplication benchmark: `review.dedup` against bib-dedupe on the labelled sets.

For every set in ../shared/data/dedup/ both tools run on the same records in the
same run, each in its own subprocess per set, so that one tool's memory cannot
count against the other. Both are scored from the IDs that survive, exactly as
../shared/data/README.md describes (bib-dedupe's published evaluation).

Setup (bib-dedupe is NOT a dependency of `review`; it gets its own venv):

    python3.11 -m venv benchmarks/.venv-bibdedupe
    benchmarks/.venv-bibdedupe/bin/pip install bib-dedupe

Run (takes ~30-40 min on 2 cores because of bib-dedupe on `depression`):

    nohup python benchmarks/dedup.py > /tmp/dedup_bench.txt 2>&1 &
    python benchmarks/dedup.py --sets diabetes stroke --tools ours   # quick
    python benchmarks/dedup.py --learn   # re-learn review/data/dedup_model.json

Three tables:
1. Per set: both tools on each shared set. Ours is scored twice: errata,
   retraction notices and comments stay separate records linked to their
   article, and the labels call most errata duplicates, so "sens+errata"
   counts a linked notice as found.
2. Leave-one-set-out: the prior weights and thresholds are learned from the
   labels of six sets (`--learn` does the same on all seven) and scored on the
   seventh, so no label of the scored set was seen. bib-dedupe learns nothing
   from these labels; its row is table 1's.
3. Robustness: each set re-scored after one controlled corruption (see
   `CORRUPTIONS`), with the shipped model; the drop is against table 1.
   `--bib-dedupe-corrupted-skip depression` leaves bib-dedupe out where its
   ~10 min per run does not fit, and `--bib-dedupe-stored-only` (with
   `--reuse-bib-dedupe`) wherever no stored run exists; the table says so.

What each miss is: `python benchmarks/dedup_misses.py SET [--corruption C]` prints
every false negative and false positive with both records and each field's level
and weight.

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
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = REPO.parent / "shared" / "data" / "dedup"
BIB_DEDUPE_PYTHON = HERE / ".venv-bibdedupe" / "bin" / "python"
CORRUPTED = HERE / ".corrupted"  # corrupted copies of the sets, rebuilt when missing
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
sys.path.insert(0, str(REPO))


# --------------------------------------------------------------------------- corruptions
# Each takes the rows of one set (dicts, CSV columns) and a seeded random
# generator and returns new rows; IDs never change.

Row = dict[str, str]


def issue_running_number(rows: list[Row], rng: random.Random) -> list[Row]:
    """The issue column holds the database's running record number."""
    return [{**row, "number": str(i + 1)} for i, row in enumerate(rows)]


def doi_typos(rows: list[Row], rng: random.Random) -> list[Row]:
    """5 % of DOIs with one character changed (after the "10.xxxx/" prefix)."""
    out = []
    for row in rows:
        doi = row.get("doi", "")
        if doi and "/" in doi and rng.random() < 0.05:
            start = doi.index("/") + 1
            if start < len(doi):
                i = rng.randrange(start, len(doi))
                pool = "0123456789" if doi[i].isdigit() else "abcdefghijklmnopqrstuvwxyz"
                doi = doi[:i] + rng.choice([c for c in pool if c != doi[i].lower()]) + doi[i + 1 :]
        out.append({**row, "doi": doi} if "doi" in row else row)
    return out


_RANGE = re.compile(r"^\s*(\d+)\s*-+\s*(\d+)\s*$")


def abbreviated_pages(rows: list[Row], rng: random.Random) -> list[Row]:
    """Half the page ranges written short: "351-358" -> "351-8"."""
    out = []
    for row in rows:
        match = _RANGE.match(row.get("pages", ""))
        if match and rng.random() < 0.5:
            first, last = match.groups()
            if len(first) == len(last):
                k = 0
                while k < len(first) - 1 and first[k] == last[k]:
                    k += 1
                row = {**row, "pages": f"{first}-{last[k:]}"}
        out.append(row)
    return out


_STOP = {"of", "the", "and", "&", "for", "in", "on", "de", "la", "der", "und"}


def _abbreviate(journal: str) -> str:
    words = [w for w in re.split(r"\s+", journal.strip()) if w.lower() not in _STOP]
    return " ".join(w if len(w) <= 4 else w[:4] + "." for w in words)


def journal_abbreviated(rows: list[Row], rng: random.Random) -> list[Row]:
    """Half the journal names abbreviated ("Journal of Affective ..." -> "Jour. Affe. ...")."""
    return [
        {**row, "journal": _abbreviate(row["journal"])}
        if row.get("journal") and rng.random() < 0.5
        else row
        for row in rows
    ]


def bracketed_titles(rows: list[Row], rng: random.Random) -> list[Row]:
    """A third of the titles in square brackets, as MEDLINE writes translated titles."""
    return [
        {**row, "title": f"[{row['title'].rstrip('.')}]"}
        if row.get("title") and rng.random() < 0.33
        else row
        for row in rows
    ]


def given_names_dropped(rows: list[Row], rng: random.Random) -> list[Row]:
    """Half the author lists written "Family, Given and ..." lose the given names."""
    out = []
    for row in rows:
        authors = row.get("author", "")
        if "," in authors and rng.random() < 0.5:
            names = [a.split(",")[0].strip() for a in authors.split(" and ")]
            row = {**row, "author": " and ".join(names)}
        out.append(row)
    return out


# "Adeli K.Lewis G. F." and "GardenD.L.KempN." (the ASySD exports of the shared sets):
# a family name, then initials each ending in a full stop.
_INITIALS_AUTHOR = re.compile(r"(.+?)\s*((?:[A-Z][a-z]?\.\s*-?\s*)+)")


def initials_dropped(rows: list[Row], rng: random.Random) -> list[Row]:
    """Half the author lists written "Family I.Family I. J." (no commas) lose the initials,
    the family names joined by " and ", as a database that keeps family names only."""
    out = []
    for row in rows:
        authors = row.get("author", "")
        if authors and "," not in authors and rng.random() < 0.5:
            names = [m.group(1).strip() for m in _INITIALS_AUTHOR.finditer(authors)]
            if names:
                row = {**row, "author": " and ".join(names)}
        out.append(row)
    return out


def no_abstract_no_doi(rows: list[Row], rng: random.Random) -> list[Row]:
    """Every abstract and DOI removed, as in exports that carry neither."""
    return [
        {**row, **{column: "" for column in ("abstract", "doi") if column in row}} for row in rows
    ]


CORRUPTIONS: dict[str, Callable[[list[Row], random.Random], list[Row]]] = {
    "issue=running number": issue_running_number,
    "5% DOI typos": doi_typos,
    "pages 351-8": abbreviated_pages,
    "journal abbreviated": journal_abbreviated,
    "[bracketed titles]": bracketed_titles,
    "given names dropped": given_names_dropped,
    "initials dropped": initials_dropped,
    "no abstract, no DOI": no_abstract_no_doi,
    "small files, no abs/DOI": no_abstract_no_doi,
}
# Corruptions that also cut the set into this many small files, by paper (a labelled
# group stays whole), each deduplicated alone and the scores summed: an export of a
# few hundred records, where the per-file fit has few obvious duplicates to learn from.
SMALL_FILES = {"small files, no abs/DOI": 8}


def corrupted_path(set_name: str, corruption: str) -> Path:
    """The one file of a corruption that does not cut the set (see `corrupted_paths`)."""
    return corrupted_paths(set_name, corruption)[0]


def corrupted_paths(set_name: str, corruption: str) -> list[Path]:
    """The corrupted set's file, or its small files (`SMALL_FILES`), built when missing."""
    slug = re.sub(r"\W+", "-", corruption).strip("-")
    parts = SMALL_FILES.get(corruption, 1)
    names = (
        [f"{set_name}--{slug}.csv.gz"]
        if parts == 1
        else [f"{set_name}--{slug}-{k}.csv.gz" for k in range(parts)]
    )
    paths = [CORRUPTED / name for name in names]
    if all(path.exists() for path in paths):
        return paths
    with gzip.open(DATA / set_name / "records.csv.gz", "rt", encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    rng = random.Random(f"{set_name}/{corruption}")
    rows = CORRUPTIONS[corruption](rows, rng)
    group_of = {rid: k for k, members in enumerate(read_truth(set_name)) for rid in members}
    papers = sorted({group_of.get(row["ID"], row["ID"]) for row in rows}, key=str)
    part_of = {paper: rng.randrange(parts) for paper in papers}
    CORRUPTED.mkdir(exist_ok=True)
    for k, path in enumerate(paths):
        tmp = path.with_suffix(".tmp")
        with gzip.open(tmp, "wt", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(r for r in rows if part_of[group_of.get(r["ID"], r["ID"])] == k)
        tmp.replace(path)
    return paths


# --------------------------------------------------------------------------- learning


Labelled = Counter[tuple[tuple[int | None, ...], bool, bool, bool]]


def labelled_patterns(set_name: str) -> Labelled:
    """(levels, is a labelled duplicate, may be merged without a person, a candidate only
    by its first page) -> how many candidate pairs, for one set."""
    from review.dedup import candidate_patterns
    from review.formats import read_records

    records = read_records(DATA / set_name / "records.csv.gz").records
    group = {
        record_id: k for k, members in enumerate(read_truth(set_name)) for record_id in members
    }
    counts: Labelled = Counter()
    for a, b, levels, cap, by_pages in candidate_patterns(records):
        counts[(levels, a in group and group.get(a) == group.get(b), not cap, by_pages)] += 1
    return counts


THRESHOLDS = (0.5, 0.9, 0.99, 0.995, 0.999, 0.9995, 0.9999)
PERSON_AT = 0.5
TARGET_FALSE_LINKS = 0.001  # wrong pairs per right pair allowed on the training sets
MEASURABLE = 1000  # right pairs a training set needs for its own rate to count


def learn_model(training: dict[str, Labelled]) -> object:
    """Prior weights from the labelled pairs of the training sets; the duplicate threshold
    is the lowest in THRESHOLDS at which, fitted to each training set as a user's file
    would be, the sets together, and each set with MEASURABLE right pairs, have at most
    TARGET_FALSE_LINKS wrong pairs per right one (pairs that go to a person however high
    they score, such as a meeting abstract and its article, are not links)."""
    from review.dedup import COMPARISONS
    from review.linkage import fit, learn

    pooled: dict[tuple[int | None, ...], list[int]] = defaultdict(lambda: [0, 0])
    by_pages: Counter[tuple[int | None, ...]] = Counter()
    for counts in training.values():
        for (levels, duplicate, _, pages_only), n in counts.items():
            pooled[levels][0 if duplicate else 1] += n
            if pages_only and not duplicate:
                by_pages[levels] += n
    labelled = {levels: (d, n) for levels, (d, n) in pooled.items()}
    # The place's u leaves out the different papers that only the first-page
    # keys made candidates: they agree on the first page because of the key.
    place = [c.name for c in COMPARISONS].index("place")
    unlike = {place: by_pages}
    chosen = THRESHOLDS[-1]
    prior = learn(COMPARISONS, labelled, duplicate_at=chosen, person_at=PERSON_AT, unlike=unlike)
    fitted = {}
    for name, counts in training.items():
        unlabelled: Counter[tuple[int | None, ...]] = Counter()
        for (levels, _, _, _), n in counts.items():
            unlabelled[levels] += n
        fitted[name] = fit(prior, unlabelled)
    for threshold in THRESHOLDS:
        per_set = []
        for name, counts in training.items():
            right = wrong = 0
            for (levels, duplicate, automatic, _), n in counts.items():
                if automatic and fitted[name].score(levels).probability >= threshold:
                    right += n if duplicate else 0
                    wrong += 0 if duplicate else n
            per_set.append((right, wrong))
        right, wrong = sum(r for r, _ in per_set), sum(w for _, w in per_set)
        # The target holds per set, not only pooled: every set large enough to
        # measure one wrong link in a thousand keeps to it.
        measurable = [(r, w) for r, w in per_set if r >= MEASURABLE]
        if wrong <= TARGET_FALSE_LINKS * max(right, 1) and all(
            w <= TARGET_FALSE_LINKS * r for r, w in measurable
        ):
            chosen = threshold
            break
    return learn(
        COMPARISONS,
        labelled,
        duplicate_at=chosen,
        person_at=min(PERSON_AT, chosen),
        unlike=unlike,
    )


# --------------------------------------------------------------------------- workers
# Each worker runs in a fresh interpreter, prints one JSON line
# {"seconds": ..., "surviving": [...], "notices": [...], "maxrss_kb": ...} to the file it is given.


def run_ours(records_path: Path, model_path: str) -> tuple[float, list[str], list[str]]:
    from review.dedup import COMPARISONS, deduplicate
    from review.formats import read_records
    from review.linkage import load_model

    model = load_model(Path(model_path), COMPARISONS) if model_path else None
    records = read_records(records_path).records
    start = time.perf_counter()
    result = deduplicate(records, model=model)
    seconds = time.perf_counter() - start
    notices = [link.record_id for link in result.related]
    return seconds, [record.id for record in result.canonical], notices


def run_bib_dedupe(records_path: Path, model_path: str) -> tuple[float, list[str], list[str]]:
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
    return seconds, [str(value) for value in merged["ID"].tolist()], []


def worker(tool: str, records_path: Path, out_path: Path, model_path: str) -> None:
    runner = run_ours if tool == "ours" else run_bib_dedupe
    seconds, surviving, notices = runner(records_path, model_path)
    maxrss_kb = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    out_path.write_text(
        json.dumps(
            {"seconds": seconds, "surviving": surviving, "notices": notices, "maxrss_kb": maxrss_kb}
        )
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
    notices: list[str]


def run_worker(tool: str, records_path: Path, model_path: str = "") -> Run:
    python = sys.executable if tool == "ours" else str(BIB_DEDUPE_PYTHON)
    with tempfile.TemporaryDirectory() as tmp:
        out_path = Path(tmp) / "out.json"
        command = [
            python,
            str(Path(__file__)),
            "--worker",
            tool,
            str(records_path),
            str(out_path),
            model_path,
        ]
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
            raise SystemExit(f"{tool} failed on {records_path} (exit {code})")
        result = json.loads(out_path.read_text())
    peak_kb = max(peak[0], result["maxrss_kb"])
    return Run(result["seconds"], peak_kb / 1024, result["surviving"], result["notices"])


# --------------------------------------------------------------------------- scoring


def read_ids(set_name: str, path: Path | None = None) -> list[str]:
    """The IDs of a set, or of one (corrupted, maybe cut) file of it."""
    path = path or DATA / set_name / "records.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
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


# --------------------------------------------------------------------------- tables

HEADER = (
    f"{'set':<19}{'tool':<11}{'TP':>7}{'FP':>5}{'FN':>6}{'TN':>7}"
    f"{'precision':>11}{'sensitivity':>12}{'F1':>8}{'sens+notices':>13}{'seconds':>9}{'peak MB':>9}"
)


def row(
    set_name: str, tool: str, s: Score, seconds: float, peak_mb: float, with_notices: Score | None
) -> str:
    notices = f"{with_notices.sensitivity:>13.4f}" if with_notices else f"{'-':>13}"
    return (
        f"{set_name:<19}{tool:<11}{s.tp:>7}{s.fp:>5}{s.fn:>6}{s.tn:>7}"
        f"{s.precision:>11.4f}{s.sensitivity:>12.4f}{s.f1:>8.4f}{notices}"
        f"{seconds:>9.1f}{peak_mb:>9.0f}"
    )


def scores(set_name: str, run: Run, path: Path | None = None) -> tuple[Score, Score]:
    """Scored as is, and with every notice linked to an article counted as merged into it;
    `path`: a file that holds only some of the set's papers, scored on those."""
    all_ids, groups = read_ids(set_name, path), read_truth(set_name)
    if path is not None:
        present = set(all_ids)
        groups = [g for g in ([i for i in g if i in present] for g in groups) if len(g) > 1]
    plain = score(all_ids, groups, run.surviving)
    linked = set(run.notices)
    return plain, score(all_ids, groups, [i for i in run.surviving if i not in linked])


def bib_dedupe_stored(set_name: str, corruption: str) -> Path:
    """Where bib-dedupe's run on one set (after one corruption, or "" for none) is kept."""
    slug = re.sub(r"\W+", "-", f"{set_name}--{corruption or 'clean'}").strip("-")
    return HERE / ".bibdedupe-runs" / f"{slug}.json"


def bib_dedupe_run(set_name: str, corruption: str, path: Path, reuse: bool) -> Run:
    """bib-dedupe's run, kept in benchmarks/.bibdedupe-runs/ for `--reuse-bib-dedupe`."""
    stored = bib_dedupe_stored(set_name, corruption)
    if reuse and stored.exists():
        data = json.loads(stored.read_text())
        return Run(data["seconds"], data["peak_mb"], data["surviving"], [])
    run = run_worker("bib-dedupe", path)
    stored.parent.mkdir(exist_ok=True)
    stored.write_text(
        json.dumps({"seconds": run.seconds, "peak_mb": run.peak_mb, "surviving": run.surviving})
    )
    return run


def per_set_table(options: argparse.Namespace) -> dict[tuple[str, str], Score]:
    print("\n## 1. Per set (shipped model)\n")
    print(HEADER, flush=True)
    totals = {tool: [Score(), Score(), 0.0, 0.0] for tool in options.tools}
    per_set: dict[tuple[str, str], Score] = {}
    for set_name in options.sets:
        for tool in options.tools:
            path = DATA / set_name / "records.csv.gz"
            run = (
                run_worker("ours", path)
                if tool == "ours"
                else bib_dedupe_run(set_name, "", path, options.reuse_bib_dedupe)
            )
            plain, linked = scores(set_name, run)
            per_set[(set_name, tool)] = plain
            total = totals[tool]
            total[0].add(plain)  # type: ignore[union-attr]
            total[1].add(linked)  # type: ignore[union-attr]
            total[2] += run.seconds  # type: ignore[operator]
            total[3] = max(total[3], run.peak_mb)  # type: ignore[call-overload]
            print(
                row(
                    set_name,
                    tool,
                    plain,
                    run.seconds,
                    run.peak_mb,
                    linked if tool == "ours" else None,
                ),
                flush=True,
            )
    for tool, (plain, linked, seconds, peak) in totals.items():
        print(row("TOTAL", tool, plain, seconds, peak, linked if tool == "ours" else None))  # type: ignore[arg-type]
    if len(totals) == 2:
        ratio = totals["ours"][2] / totals["bib-dedupe"][2]  # type: ignore[operator]
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
    return per_set


def loso_table(options: argparse.Namespace, per_set: dict[tuple[str, str], Score]) -> None:
    from review.linkage import save_model

    print("\n## 2. Leave one set out (prior weights and threshold learned on the other six)\n")
    print(
        f"{'held-out set':<19}{'dup at':>8}{'TP':>7}{'FP':>5}{'FN':>6}"
        f"{'precision':>11}{'sensitivity':>12}{'sens+notices':>13}{'bib-dedupe sens':>16}"
    )
    learned = {name: labelled_patterns(name) for name in SETS}
    for set_name in options.sets:
        model = learn_model({n: c for n, c in learned.items() if n != set_name})
        with tempfile.TemporaryDirectory() as tmp:
            model_path = Path(tmp) / "model.json"
            save_model(model, model_path)  # type: ignore[arg-type]
            run = run_worker("ours", DATA / set_name / "records.csv.gz", str(model_path))
        plain, linked = scores(set_name, run)
        theirs = per_set.get((set_name, "bib-dedupe"))
        bib = f"{theirs.sensitivity:>16.4f}" if theirs else f"{'-':>16}"
        print(
            f"{set_name:<19}{model.duplicate_at:>8}{plain.tp:>7}{plain.fp:>5}{plain.fn:>6}"  # type: ignore[attr-defined]
            f"{plain.precision:>11.4f}{plain.sensitivity:>12.4f}{linked.sensitivity:>13.4f}{bib}",
            flush=True,
        )


def robustness_table(options: argparse.Namespace, per_set: dict[tuple[str, str], Score]) -> None:
    print("\n## 3. Robustness (each set after one corruption; drop = clean sensitivity - this)\n")
    print(
        f"{'set':<19}{'corruption':<23}{'precision':>10}{'sensitivity':>12}{'drop':>8}"
        f"{'  bib-dedupe prec':>17}{'sens':>8}{'drop':>8}"
    )
    ours_fp_fn = [0, 0]
    for corruption in options.corruptions:
        for set_name in options.sets:
            paths = corrupted_paths(set_name, corruption)
            path = paths[0]
            line = f"{set_name:<19}{corruption:<23}"
            if "ours" in options.tools:
                ours = Score()
                for part in paths:
                    ours.add(scores(set_name, run_worker("ours", part), part)[0])
                ours_fp_fn[0] += ours.fp
                ours_fp_fn[1] += ours.fn
                clean = per_set.get((set_name, "ours"))
                drop = f"{clean.sensitivity - ours.sensitivity:>8.4f}" if clean else f"{'-':>8}"
                line += f"{ours.precision:>10.4f}{ours.sensitivity:>12.4f}{drop}"
            else:
                line += f"{'-':>10}{'-':>12}{'-':>8}"
            if "bib-dedupe" not in options.tools:
                pass
            elif set_name in options.bib_dedupe_corrupted_skip:
                line += f"{'not run (time)':>17}"
            elif len(paths) > 1:
                line += f"{'not run (files)':>17}"
            elif options.bib_dedupe_stored_only and not bib_dedupe_stored(set_name, corruption):
                line += f"{'not stored':>17}"
            else:
                run = bib_dedupe_run(set_name, corruption, path, options.reuse_bib_dedupe)
                theirs = scores(set_name, run)[0]
                base = per_set.get((set_name, "bib-dedupe"))
                their_drop = f"{base.sensitivity - theirs.sensitivity:>8.4f}" if base else ""
                line += f"{theirs.precision:>17.4f}{theirs.sensitivity:>8.4f}{their_drop}"
            if "ours" in options.tools:
                line += f"   ours FP {ours.fp} FN {ours.fn}"
            print(line, flush=True)
    if "ours" in options.tools:
        print(f"ours, all rows: FP {ours_fp_fn[0]}, FN {ours_fp_fn[1]}")


def learn_shipped() -> None:
    from review.dedup import MODEL_PATH
    from review.linkage import save_model

    model = learn_model({name: labelled_patterns(name) for name in SETS})
    save_model(model, MODEL_PATH)  # type: ignore[arg-type]
    print(f"wrote {MODEL_PATH} (duplicate at {model.duplicate_at})")  # type: ignore[attr-defined]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    parser.add_argument("--tools", nargs="+", default=list(TOOLS), choices=TOOLS)
    parser.add_argument(
        "--tables",
        nargs="+",
        default=["per-set", "loso", "robustness"],
        choices=["per-set", "loso", "robustness"],
    )
    parser.add_argument(
        "--corruptions", nargs="+", default=list(CORRUPTIONS), choices=list(CORRUPTIONS)
    )
    parser.add_argument("--learn", action="store_true", help="re-learn the shipped model")
    parser.add_argument(
        "--reuse-bib-dedupe",
        action="store_true",
        help="use bib-dedupe's stored runs instead of running it again",
    )
    parser.add_argument(
        "--bib-dedupe-stored-only",
        action="store_true",
        help="after a corruption, show bib-dedupe only where a stored run exists (time)",
    )
    parser.add_argument(
        "--bib-dedupe-corrupted-skip",
        nargs="*",
        default=[],
        metavar="SET",
        help="sets on which bib-dedupe is not run after corruption (time)",
    )
    parser.add_argument(
        "--worker", nargs=4, metavar=("TOOL", "RECORDS", "OUT", "MODEL"), help="internal"
    )
    options = parser.parse_args()
    if options.worker:
        tool, records, out, model = options.worker
        worker(tool, Path(records), Path(out), model)
        return 0
    if options.learn:
        learn_shipped()
        return 0
    if "bib-dedupe" in options.tools and not BIB_DEDUPE_PYTHON.exists():
        print(f"bib-dedupe is not installed at {BIB_DEDUPE_PYTHON}; see this file's docstring.")
        return 1
    print(f"machine: {os.cpu_count()} CPUs; started {time.strftime('%Y-%m-%d %H:%M:%S')}")
    if options.reuse_bib_dedupe:
        print("bib-dedupe: stored runs reused where present (--reuse-bib-dedupe)")
    if options.bib_dedupe_stored_only:
        print("bib-dedupe after a corruption: stored runs only (--bib-dedupe-stored-only)")
    per_set: dict[tuple[str, str], Score] = {}
    if "per-set" in options.tables:
        per_set = per_set_table(options)
    if "loso" in options.tables:
        loso_table(options, per_set)
    if "robustness" in options.tables:
        robustness_table(options, per_set)
    print(f"finished {time.strftime('%Y-%m-%d %H:%M:%S')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
