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
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "scripts"), str(REPO / "tests"), str(REPO)]

import example_corpus as corpus  # noqa: E402

from review.entrez import EutilsSettings  # noqa: E402
from review.formats import write_records  # noqa: E402
from review.protocol import Protocol, load_protocol  # noqa: E402
from review.search import SearchLogEntry, search_protocol  # noqa: E402
from review.search_plan import search_limits  # noqa: E402

PROTOCOL = REPO / "queries" / "kratom.toml"
EXAMPLE_DIR = REPO / "cache" / "example"
SOURCES_DIR = REPO / "queries" / "sources"
# The day the sample's citation metadata was collected (its SOURCES.md); the fake
# server answers with this date, so the search log says when the corpus was fixed.
SNAPSHOT_DATE = "2026-11-26"
SNAPSHOT_HTTP_DATE = "Thu, 26 Nov 2026 12:00:00 GMT"  # HTTP Date header of every answer
FALLBACK_YEAR = 2000  # for an article without a publication year (none in the corpus)


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
    corpus.check_mesh_tables(articles)
    return {s.name: corpus.search_results(s.query, articles) for s in protocol.searches}


def _short(part: str) -> str:
    """'(a OR b OR c)' -> '(a OR …)': enough of a query part to recognise it."""
    if part.startswith("(") and " OR " in part:
        return part[: part.index(" OR ")] + " OR …)"
    return part


def _how_many(unindexed: int, real: int) -> str:
    return f"None of its {real}" if unindexed == real else f"{real - unindexed} of its {real}"


def search_notes(
    protocol: Protocol,
    articles: Mapping[str, bytes],
    stand_ins: Mapping[str, Any],
    results: Mapping[str, tuple[str, ...]],
) -> dict[str, str]:
    """Why a search of the example found nothing, in numbers the report prints with it."""
    indexed = {pmid: corpus.index_article(article) for pmid, article in articles.items()}
    real = [pmid for pmid in articles if pmid not in stand_ins]
    unindexed = sum(1 for pmid in real if not indexed[pmid].mesh)
    notes = {}
    for search in protocol.searches:
        if results[search.name]:
            continue
        parts = corpus.and_parts(search.query)
        matching = [
            sum(1 for i in indexed.values() if corpus.evaluate_query(part, i)) for part in parts
        ]
        counted = "; ".join(
            f"{n} match {_short(part)}" for n, part in zip(matching, parts, strict=True)
        )
        notes[search.name] = (
            f"No record of the example corpus ({len(articles)} records) matches the whole "
            f"query: {counted}; none matches {'all parts' if len(parts) > 2 else 'both'}. "
            f"{_how_many(unindexed, len(real))} real PubMed records carries MeSH headings "
            "(NLM had not indexed them yet), so only their title, abstract and keywords can "
            "match; stand-ins carry MeSH only where their source page showed it. A live "
            "PubMed search answers from all of PubMed and its indexing."
        )
    return notes


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


def describe(articles: Mapping[str, bytes], stand_ins: Mapping[str, Any], found: set[str]) -> str:
    real = [p for p in articles if p not in stand_ins]
    return (
        f"Its corpus: {len(real)} real PubMed records cut from NLM update file pubmed21n1298 "
        f"and {len(stand_ins)} stand-ins built from the citation metadata of kratom-sample "
        "rows with a PMID; each search returns what its own query matches in that corpus "
        f"({sum(1 for p in real if p in found)} real records and "
        f"{sum(1 for p in stand_ins if p in found)} stand-ins in all)."
    )


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
        "description": describe(articles, stand_ins, found),
        "queries": {s.name: s.query for s in protocol.searches},
        "limits": {s.name: search_limits(s) for s in protocol.searches},
        "results": {name: list(pmids) for name, pmids in results.items()},
        "corpus": {
            "real_pmids": sorted((p for p in articles if p not in stand_ins), key=int),
            "stand_in_rows": {p: stand_ins[p]["record_id"] for p in sorted(stand_ins, key=int)},
            "not_found_by_any_search": sorted((p for p in articles if p not in found), key=int),
        },
        # What each stand-in was built from; review labels those records with it.
        "stand_ins": {
            p: f"{corpus.row_provenance(stand_ins[p])}; not NLM data"
            for p in sorted(stand_ins, key=int)
            if p in found
        },
        # Printed with its search in the report.
        "search_notes": search_notes(protocol, articles, stand_ins, results),
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
        data["description"],
        "",
        "Real records (byte for byte from `../shared/data/pubmed/`):",
        f"{', '.join(data['corpus']['real_pmids'])}.",
        "Stand-ins (PMID: kratom-sample row). Each has a GeneralNote naming the row and its URL,",
        'and `review run` adds a note ("example stand-in: ...") that every export keeps:',
        ", ".join(f"{p}: {r}" for p, r in data["corpus"]["stand_in_rows"].items()) + ".",
        "",
        "How a search's results were decided: its query from the protocol, read as PubMed reads",
        "it (Boolean operators left to right, brackets first; [Title/Abstract] = title, abstract",
        "and keywords; `*` truncates; [Supplementary Concept] matches the substances an article",
        "names; [MeSH Terms] matches its MeSH headings and, as PubMed explodes a descriptor, the",
        "narrower ones in the MeSH tree that corpus records carry: `NARROWER_MESH` in",
        "`scripts/example_corpus.py`), is evaluated on every record of the corpus",
        "(`evaluate_query`). Results, newest PMID first:",
        "",
    ]
    for name, pmids in data["results"].items():
        lines.append(f"- `{name}`: {len(pmids)} — {', '.join(pmids) or 'none'}")
    lines += [
        "",
        "The fake server echoes each query as its QueryTranslation, so the report shows the",
        "query itself there, not PubMed's translation.",
        *(f"`{name}`: {note}" for name, note in data["search_notes"].items()),
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


def hit_day(article: bytes) -> date:
    """The day esearch's date limits see: the article's publication year (Jan 1)."""
    match = re.search(rb"<PubDate>\s*(?:<Year>|<MedlineDate>)(\d{4})", article)
    return date(int(match.group(1)) if match else FALLBACK_YEAR, 1, 1)


def record_snapshot(
    protocol: Protocol,
    articles: Mapping[str, bytes],
    results: Mapping[str, tuple[str, ...]],
    cache_dir: Path,
) -> tuple[SearchLogEntry, ...]:
    """Run the real search code against the fake E-utilities server into `cache_dir`."""
    from eutils_server import Corpus, EutilsServer, Hit  # tests/eutils_server.py

    corpus = Corpus(articles=dict(articles))
    for search in protocol.searches:
        hits = [Hit(int(pmid), hit_day(articles[pmid])) for pmid in results[search.name]]
        corpus.add_search(search.query, hits)
    with EutilsServer(corpus) as server:
        # Every answer carries the snapshot's date, so the cache and the search log
        # say when the corpus was fixed, whatever day the snapshot is rebuilt.
        handler: Any = server._httpd.RequestHandlerClass
        handler.date_time_string = lambda self, timestamp=None: SNAPSHOT_HTTP_DATE
        # No email and no API key: nothing that identifies anyone goes into the snapshot.
        settings = EutilsSettings(base_url=server.url, email="", api_key="")
        return search_protocol(protocol, cache_dir=cache_dir, settings=settings, mode="refresh")


def check_protocol_sources(protocol: Protocol, sources: Sequence[tuple[str, str, int]]) -> None:
    """The protocol's [[sources]] must list exactly the files written, with their databases."""
    listed = [
        (s.path.relative_to(PROTOCOL.parent).as_posix(), s.database) for s in protocol.sources
    ]
    written = [(file, database) for file, database, _ in sources]
    if listed != written:
        block = "".join(f'[[sources]]\nfile = "{f}"\ndatabase = "{d}"\n\n' for f, d in written)
        raise SystemExit(f"{PROTOCOL}: list these other sources, in this order:\n\n{block}")


def check_no_secrets(cache_dir: Path) -> None:
    for path in cache_dir.iterdir():
        data = path.read_bytes()
        # As a parameter in a key or URL, or as a name in the stored JSON parameter lists
        # (the schema's own comments mention the words, so bare words are not enough).
        for marker in (b"api_key=", b'"api_key"', b"email=", b'"email"'):
            if marker in data:
                raise SystemExit(f"{path}: holds {marker.decode()!r}; the snapshot must not")


def build(shared: Path, example_dir: Path, sources_dir: Path) -> None:
    protocol = load_protocol(PROTOCOL)
    articles, rows, stand_ins = build_corpus(shared)
    results = search_results(protocol, articles)
    in_pubmed = {pmid for pmids in results.values() for pmid in pmids}
    sources = write_imports(rows, in_pubmed, stand_ins, sources_dir)
    check_protocol_sources(protocol, sources)
    if example_dir.exists():
        shutil.rmtree(example_dir)
    example_dir.mkdir(parents=True)
    log = record_snapshot(protocol, articles, results, example_dir)
    for entry in log:
        if entry.pmids != results[entry.name]:
            raise SystemExit(f"search {entry.name!r}: the server answered other PMIDs")
    check_no_secrets(example_dir)
    data = manifest(protocol, results, articles, stand_ins)
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    (example_dir / "snapshot.json").write_text(text, encoding="utf-8")
    write_readme(example_dir, data, sources)
    (example_dir / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
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


SQLITE_SIDECARS = ("-wal", "-shm", "-journal")  # exist only while a connection is open
GITIGNORE = (
    "# SQLite writes these beside the database while a connection is open; never commit them.\n"
    + "".join(f"*.sqlite3{suffix}\n" for suffix in SQLITE_SIDECARS)
)


def _differences(built: Path, committed: Path) -> list[str]:
    names = sorted({p.name for p in built.iterdir()} | {p.name for p in committed.glob("*")})
    names = [name for name in names if not name.endswith(SQLITE_SIDECARS)]
    return [
        name
        for name in names
        if not (built / name).is_file()
        or not (committed / name).is_file()
        or not filecmp.cmp(built / name, committed / name, shallow=False)
    ]


if __name__ == "__main__":
    raise SystemExit(main())
