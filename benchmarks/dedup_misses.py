"""Every false negative and false positive of `review.dedup` on one labelled set, explained.

    python benchmarks/dedup_misses.py diabetes > misses.txt
    python benchmarks/dedup_misses.py stroke --corruption "[bracketed titles]"
    python benchmarks/dedup_misses.py --all --summary      # one line per miss, every set

For a missed duplicate (a labelled group left in several clusters) it prints,
for the closest pair of records across two of those clusters, both records'
fields, each comparison's level and weight under the weights fitted to the
set, the total, and whether blocking made them a candidate pair at all. For a
false link it prints the link that joined records of different groups. The
levels are what the weights see, so the misses can be sorted into kinds
before a mechanism is chosen.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import dedup as bench  # noqa: E402

from review import dedup  # noqa: E402
from review.formats import read_records  # noqa: E402
from review.linkage import load_model  # noqa: E402

FIELDS = ("title", "authors", "journal", "year", "volume", "issue", "pages", "doi")


def _show(record: object) -> str:
    r = record
    authors = "; ".join(a.display for a in r.authors[:4])  # type: ignore[attr-defined]
    return (
        f"    {r.id} | {r.title[:150]!r}\n"  # type: ignore[attr-defined]
        f"      au={authors[:90]!r} j={r.journal[:60]!r} y={r.year} v={r.volume!r} "  # type: ignore[attr-defined]
        f"i={r.issue!r} p={r.pages!r} doi={r.doi!r} abs={len(r.abstract_text)} pmid={r.pmid!r}"  # type: ignore[attr-defined]
    )


def misses(set_name: str, corruption: str, model_path: str) -> list[tuple[str, str, str]]:
    """(kind, short line, long text) for every FN and FP, over each of the corruption's
    small files when it cuts the set (`bench.SMALL_FILES`)."""
    paths = (
        bench.corrupted_paths(set_name, corruption)
        if corruption
        else [bench.DATA / set_name / "records.csv.gz"]
    )
    return [found for path in paths for found in _misses(set_name, path, model_path)]


def _misses(set_name: str, path: Path, model_path: str) -> list[tuple[str, str, str]]:
    records = read_records(path).records
    model = load_model(Path(model_path), dedup.COMPARISONS) if model_path else None
    result = dedup.deduplicate(records, model=model)
    fitted = result.model
    assert fitted is not None
    prepared, _, common, columns = dedup._prepare_all(records)
    index = {r.id: i for i, r in enumerate(records)}
    candidates = dedup.candidate_pairs(prepared)
    cluster_of: dict[str, str] = {}
    for link in result.links:
        cluster_of[link.record_id] = link.canonical_id
    for r in result.canonical:
        cluster_of[r.id] = r.id
    members: dict[str, list[str]] = {}
    for rid, c in cluster_of.items():
        members.setdefault(c, []).append(rid)
    present = {r.id for r in records}
    truth = [g for g in ([i for i in g if i in present] for g in bench.read_truth(set_name)) if g]
    group_of = {rid: k for k, g in enumerate(truth) for rid in g}
    out: list[tuple[str, str, str]] = []

    def describe(a: int, b: int) -> tuple[str, float]:
        pa, pb = prepared[a], prepared[b]
        verdict = dedup.compare(pa, pb, fitted)
        scored = fitted.score(dedup.pattern(pa, pb, common, columns))
        cand = "candidate" if (min(a, b), max(a, b)) in candidates else "NOT A CANDIDATE"
        text = (
            f"  {cand}; verdict {verdict.outcome} ({verdict.rule}) p={scored.probability:.6f}\n"
            f"  {fitted.describe(scored)}\n{_show(records[a])}\n{_show(records[b])}\n"
        )
        return text, scored.total

    for k, group in enumerate(truth):
        clusters = sorted({cluster_of[rid] for rid in group if rid in cluster_of})
        if len(clusters) < 2:
            continue
        in_cluster = {c: [rid for rid in group if cluster_of.get(rid) == c] for c in clusters}
        first = in_cluster[clusters[0]]
        for c in clusters[1:]:
            best: tuple[float, str] | None = None
            for x in first:
                for y in in_cluster[c]:
                    text, total = describe(index[x], index[y])
                    if best is None or total > best[0]:
                        best = (total, text)
            assert best is not None
            head = best[1].splitlines()[0].strip()
            out.append(("FN", f"FN group {k}: {head}", best[1]))
    for c, ids in members.items():
        groups = Counter(group_of.get(rid, f"single:{rid}") for rid in ids)
        if len(groups) < 2:
            continue
        links = [link for link in result.links if link.canonical_id == c]
        text = f"  cluster {c}: {dict(groups)}\n"
        for link in links:
            if group_of.get(link.record_id, "x") != group_of.get(c, "y"):
                text += f"  link {link.record_id} -> {c}: {link.detail[:400]}\n"
        for rid in ids:
            text += _show(records[index[rid]]) + "\n"
        out.append(("FP", f"FP cluster {c} ({len(ids)} records, {len(groups)} groups)", text))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="*")
    parser.add_argument("--all", action="store_true")
    parser.add_argument("--corruption", default="", choices=["", *bench.CORRUPTIONS])
    parser.add_argument("--model", default="", help="a model JSON (default: the shipped one)")
    parser.add_argument("--summary", action="store_true", help="one line per miss")
    options = parser.parse_args()
    for set_name in bench.SETS if options.all else options.sets:
        found = misses(set_name, options.corruption, options.model)
        kinds = Counter(kind for kind, _, _ in found)
        print(f"## {set_name} {options.corruption}: {dict(kinds)}", flush=True)
        for _, line, text in found:
            print(line if options.summary else line + "\n" + text, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
