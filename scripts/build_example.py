"""Rebuild the bundled example: cache/example/ and queries/sources/kratom-sample-*.csv.

    python scripts/build_example.py [--shared ../shared] [--check]

The snapshot is a real `review` cache: this script starts the local fake
E-utilities server (tests/eutils_server.py) loaded with the example corpus (see
scripts/example_corpus.py), runs the protocol's searches against it with the real
search code into a fresh cache folder, and adds `snapshot.json` (what the pipeline
reads to say "bundled example snapshot" at the top of the report) and a README.
The server's clock is fixed to SNAPSHOT_DATE and no email or API key is sent, so
the output is the same on every run. `--check` rebuilds into a temporary folder
and fails when the result differs from what is committed.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "scripts"), str(REPO)]

import example_corpus as corpus  # noqa: E402

from review.formats import write_records  # noqa: E402
from review.protocol import Protocol, load_protocol  # noqa: E402

PROTOCOL = REPO / "queries" / "kratom.toml"
EXAMPLE_DIR = REPO / "cache" / "example"
SOURCES_DIR = REPO / "queries" / "sources"
# The day the sample's citation metadata was collected (its SOURCES.md); the fake
# server answers with this date, so the search log says when the corpus was fixed.
SNAPSHOT_DATE = "2026-11-26"
SNAPSHOT_TIME = f"{SNAPSHOT_DATE}T12:00:00+00:00"
DESCRIPTION = (
    "The snapshot holds 20 real PubMed records cut from NLM update file pubmed21n1298 and "
    "stand-in PubMed records built from the citation metadata of the kratom-sample rows "
    "that have a PMID; each search's results are its query evaluated on that small corpus."
)


def source_file_name(database: str) -> str:
    slug = database.lower().replace(" ", "-")
    return f"kratom-sample-{slug}.csv"


def build_corpus(shared: Path) -> tuple[dict[str, bytes], list[dict[str, Any]], dict[str, Any]]:
    """(PMID -> PubmedArticle bytes, sample rows, PMID -> stand-in row)."""
    rows = corpus.load_sample(shared / "data" / "kratom-sample" / "records.jsonl")
    articles = corpus.real_articles(
        sorted((shared / "data" / "pubmed").glob("*_records_from_pubmed21n1298.xml"))
    )
    stand_ins = dict(corpus.choose_stand_ins(rows))
    clash = sorted(set(stand_ins) & set(articles))
    if clash:
        # A real NLM record always beats a stand-in built from a web page.
        for pmid in clash:
            del stand_ins[pmid]
    for pmid, row in stand_ins.items():
        articles[pmid] = corpus.stand_in_article(row)
    return articles, rows, stand_ins


def search_results(protocol: Protocol, articles: Mapping[str, bytes]) -> dict[str, tuple[str, ...]]:
    return {s.name: corpus.search_results(s.query, articles) for s in protocol.searches}


def write_imports(
    rows: Sequence[Mapping[str, Any]],
    in_pubmed: set[str],
    stand_ins: Mapping[str, Any],
    out_dir: Path,
) -> list[tuple[str, str, int]]:
    """One CSV per other-source group: every row not standing in a PubMed result.

    Returns (file relative to queries/, database, rows) for the protocol's [[sources]].
    """
    standing = {row["record_id"] for pmid, row in stand_ins.items() if pmid in in_pubmed}
    groups: dict[str, list[Mapping[str, Any]]] = {db: [] for db in corpus.OTHER_DATABASES}
    for row in rows:
        if row["record_id"] not in standing:
            groups[corpus.other_database(row)].append(row)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for database, members in groups.items():
        if not members:
            continue
        name = source_file_name(database)
        records = [corpus.row_record(row, name, n) for n, row in enumerate(members, 1)]
        write_records(records, out_dir / name)
        written.append((f"sources/{name}", database, len(records)))
    return written


def manifest(
    protocol: Protocol,
    results: Mapping[str, tuple[str, ...]],
    articles: Mapping[str, bytes],
    stand_ins: Mapping[str, Any],
) -> dict[str, Any]:
    found = {pmid for pmids in results.values() for pmid in pmids}
    return {
        "protocol": protocol.name,
        "date": SNAPSHOT_DATE,
        "description": DESCRIPTION,
        "queries": {s.name: s.query for s in protocol.searches},
        "results": {name: list(pmids) for name, pmids in results.items()},
        "corpus": {
            "real_pmids": sorted((p for p in articles if p not in stand_ins), key=int),
            "stand_in_rows": {p: stand_ins[p]["record_id"] for p in sorted(stand_ins, key=int)},
            "not_found_by_any_search": sorted((p for p in articles if p not in found), key=int),
        },
        "built_by": "scripts/build_example.py",
    }


def write_readme(
    directory: Path, data: Mapping[str, Any], sources: Sequence[tuple[str, str, int]]
) -> None:
    lines = [
        "# Bundled example snapshot (not a live PubMed search)",
        "",
        f"Built by `scripts/build_example.py` for `queries/{PROTOCOL.name}`; "
        f"dated {SNAPSHOT_DATE}.",
        "`review run queries/kratom.toml` replays it without network and every report says so",
        "at the top; `review run queries/kratom.toml --live` searches PubMed instead.",
        "",
        DESCRIPTION,
        "",
        "Corpus: real records (byte for byte from `../shared/data/pubmed/`):",
        f"{', '.join(data['corpus']['real_pmids'])}.",
        "Stand-ins (PMID: kratom-sample row; each carries a GeneralNote naming the row and URL):",
        ", ".join(f"{p}: {r}" for p, r in data["corpus"]["stand_in_rows"].items()) + ".",
        "",
        "How a search's results were decided: its query from the protocol, read as PubMed reads",
        "it (Boolean operators left to right, brackets first; [Title/Abstract] = title, abstract",
        "and keywords; `*` truncates; [MeSH Terms] and [Supplementary Concept] match the",
        "article's own indexing, without MeSH tree explosion), is evaluated on every record of",
        "the corpus (`scripts/example_corpus.py: evaluate_query`). Results, newest PMID first:",
        "",
    ]
    for name, pmids in data["results"].items():
        lines.append(f"- `{name}`: {len(pmids)} — {', '.join(pmids) or 'none'}")
    lines += [
        "",
        "The `cbt` search finds nothing here: its opioid arm is a MeSH term, and only four",
        "stand-ins carry MeSH (the rows whose source showed MeSH terms); a live search differs.",
        "Corpus records no search found are not in the snapshot (a real cache holds only",
        f"what was fetched): {', '.join(data['corpus']['not_found_by_any_search'])}.",
        "",
        "Rows of the sample that do not stand in a PubMed result are imported from other",
        "sources (`queries/sources/`, listed as [[sources]] in the protocol):",
        "",
    ]
    lines += [f"- `{file}` ({database}): {count} rows" for file, database, count in sources]
    lines.append("")
    (directory / "README.md").write_text("\n".join(lines), encoding="utf-8")


def build(shared: Path, example_dir: Path, sources_dir: Path) -> None:
    from snapshot_search import record_snapshot  # the fake server lives under tests/

    protocol = load_protocol(PROTOCOL)
    articles, rows, stand_ins = build_corpus(shared)
    results = search_results(protocol, articles)
    in_pubmed = {pmid for pmids in results.values() for pmid in pmids}
    sources = write_imports(rows, in_pubmed, stand_ins, sources_dir)
    if example_dir.exists():
        shutil.rmtree(example_dir)
    example_dir.mkdir(parents=True)
    record_snapshot(protocol, articles, results, example_dir, SNAPSHOT_TIME)
    data = manifest(protocol, results, articles, stand_ins)
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    (example_dir / "snapshot.json").write_text(text, encoding="utf-8")
    write_readme(example_dir, data, sources)
    print(
        f"{example_dir}: {sum(len(p) for p in results.values())} search hits, "
        f"{len(in_pubmed)} PubMed records; {sum(n for *_, n in sources)} rows in {sources_dir}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--check", action="store_true", help="rebuild elsewhere and compare")
    options = parser.parse_args(argv)
    if not options.check:
        build(options.shared, EXAMPLE_DIR, SOURCES_DIR)
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        example, sources = Path(scratch) / "example", Path(scratch) / "sources"
        build(options.shared, example, sources)
        differ = _differences(example, EXAMPLE_DIR) + _differences(sources, SOURCES_DIR)
    for name in differ:
        print(f"differs from the committed snapshot: {name}", file=sys.stderr)
    return 1 if differ else 0


def _differences(built: Path, committed: Path) -> list[str]:
    names = sorted({p.name for p in built.iterdir()} | {p.name for p in committed.glob("*")})
    return [
        name
        for name in names
        if not (built / name).is_file()
        or not (committed / name).is_file()
        or not filecmp.cmp(built / name, committed / name, shallow=False)
    ]


if __name__ == "__main__":
    raise SystemExit(main())
