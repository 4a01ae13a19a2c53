"""The README's main command on the bundled example: a full report, offline, said so.

Each test copies what a fresh clone has (queries/kratom.toml, queries/sources/,
cache/example/) into its own folder and runs there, so a developer's own screening
decisions or cache never change the result, and nothing is written into the repo.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import shutil
import socket
import sqlite3
import sys
from collections import Counter
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from eutils_server import Corpus, EutilsServer, Hit

from review.cli import main
from review.decisions import DecisionStore
from review.entrez import EutilsSettings
from review.errors import RetriesExhausted
from review.formats import write_records
from review.identity import CONFLICT, main_of
from review.pipeline import RunSettings, prepare_review, run, update
from review.protocol import load_protocol
from review.records import AbstractSection, Source
from review.screen import Decision
from review.search_plan import holds_every_search, plan_search

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "cache" / "example"
REPORT_FILES = (
    "report.html",
    "report.md",
    "report.json",
    "prisma.svg",
    "prisma.png",
    "prisma.pdf",
    "records-per-year.svg",
    "reading-list.md",
    "reading-list.html",
    "reading-list.ris",
    "reading-list.bib",
    *(
        f"{group}.{suffix}"
        for group in ("included", "screened")
        for suffix in ("ris", "bib", "csv")
    ),
)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every attempt to open a connection is recorded and refused."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_the_main_command_gives_the_full_report_offline(
    clone: Path, no_network: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    before = digest(clone / "cache" / "example")
    assert main(["run", "queries/kratom.toml", "--quiet"]) == 0

    assert no_network == []
    out = clone / "reports" / "kratom"
    for name in REPORT_FILES:
        assert (out / name).is_file(), name
    # Pairs too close to call wait for a person beside the report.
    assert (out / "undecided-pairs.csv").read_text(encoding="utf-8").startswith("first_id,")
    # The report counts what the pipeline found, box by box.
    prisma = json.loads((out / "report.json").read_text(encoding="utf-8"))["prisma"]
    review = prepare_review(load_protocol("queries/kratom.toml"), RunSettings())
    assert prisma["identified"] == dict(Counter(r.source.database for r in review.records))
    assert prisma["duplicates_removed"] == len(review.dedup.links) > 0
    assert (
        prisma["records_screened"] + prisma["marked_ineligible_by_automation"]
        == len(review.dedup.canonical)
        == len(review.decisions)
    )
    # The snapshot is replayed from a copy: not a byte of it changes, nothing is added.
    assert digest(clone / "cache" / "example") == before
    err = capsys.readouterr().err
    assert "bundled example snapshot dated 2026-11-26" in err
    assert re.search(r"Note: \d+ pairs of records may be duplicates; decide them in ", err)


def test_people_decide_what_rules_cannot_and_the_reading_list_follows(
    clone: Path, no_network: list[object]
) -> None:
    protocol = load_protocol("queries/kratom.toml")
    first = prepare_review(protocol, RunSettings())
    # The rules include nothing without a person (rules_include is false by default).
    assert not [d for d in first.decisions if d.outcome == "include"]
    left = [d.record_id for d in first.decisions if d.outcome == "needs-human"]
    waiting, sought = left[0], left[1:3]
    link = next(k for k in first.dedup.links if k.canonical_id not in left[:3])
    duplicate, main = link.record_id, link.canonical_id
    with DecisionStore.for_protocol(protocol) as store:
        for record_id in sought:
            store.add(Decision(record_id, "title-abstract", "include", by="ana"))
            store.add(Decision(record_id, "full-text", "include", by="ana"))
        store.add(Decision(waiting, "title-abstract", "exclude", "not-kratom", by="ana"))
        store.add(Decision(duplicate, "title-abstract", "include", by="ana"))

    result = run(protocol, RunSettings())
    report = json.loads((result.out_dir / "report.json").read_text(encoding="utf-8"))
    assert report["prisma"]["studies_included"] == len(sought) > 0
    assert report["prisma"]["records_excluded_by_reason"]["not-kratom"] >= 1
    listed = [e["record_id"] for group in report["reading_list"] for e in group["entries"]]
    assert sorted(listed) == sorted({*sought, main})
    decided = {(d.record_id, d.stage): d.by for d in result.review.decisions}
    assert decided[(waiting, "title-abstract")] == "ana"
    # A decision on a copy that is not the main one counts for its duplicate group.
    assert (duplicate, "title-abstract") not in decided
    assert decided[(main, "title-abstract")] == "ana"
    assert report["uncounted_decisions"] == []


def test_files_on_the_command_line_join_as_further_sources(
    clone: Path, no_network: list[object], fixtures_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = fixtures_dir / "pipeline" / "sample_rows.csv"
    assert main(["run", "--out", "out", "queries/kratom.toml", str(extra)]) == 0
    printed = capsys.readouterr().out
    assert "Report: out/report.html" in printed
    assert "Next: `review screen queries/kratom.toml --reviewer NAME` shows the " in printed
    assert "most likely relevant first" in printed
    report = json.loads((clone / "out" / "report.json").read_text(encoding="utf-8"))
    assert "sample_rows.csv" in json.dumps(report)
    assert not (clone / "reports").exists()


@pytest.mark.parametrize(
    "arguments",
    [
        ["PROTOCOL", "--out", "out", "FILE"],
        ["PROTOCOL", "--quiet", "FILE", "--out", "out"],
        ["--out", "out", "PROTOCOL", "FILE", "--quiet"],
    ],
)
def test_files_may_follow_the_options(
    clone: Path, no_network: list[object], fixtures_dir: Path, arguments: list[str]
) -> None:
    names = {
        "PROTOCOL": "queries/kratom.toml",
        "FILE": str(fixtures_dir / "pipeline" / "sample_rows.csv"),
    }
    assert main(["run", *(names.get(a, a) for a in arguments)]) == 0
    report = json.loads((clone / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["other_sources"][-1]["file"] == "sample_rows.csv"


def test_a_run_without_a_protocol_names_only_the_protocol(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_code:
        main(["run", "--out", "out"])
    assert exit_code.value.code == 1
    assert capsys.readouterr().err == (
        "Error: review run: the following arguments are required: protocol; "
        "see `review run --help`.\n"
    )


def test_the_report_says_at_the_top_it_comes_from_the_snapshot(
    clone: Path, no_network: list[object]
) -> None:
    assert main(["run", "queries/kratom.toml", "--quiet"]) == 0
    out = clone / "reports" / "kratom"
    markdown = (out / "report.md").read_text(encoding="utf-8")
    top = markdown[: markdown.find("\n## ")] if "\n## " in markdown else markdown[:2000]
    assert "bundled example snapshot dated 2026-11-26" in top
    assert "not a live PubMed search" in top
    html = (out / "report.html").read_text(encoding="utf-8")
    body = html[html.index("<body") :]
    assert "bundled example snapshot dated 2026-11-26" in body[: body.index("<h2")]
    # No person's decisions ship with the example, so the summary says why none is included.
    summary = body[body.index('id="summary"') : body.index('id="flow"')]
    assert "Studies included: <strong>0</strong>;" in summary
    assert "Inclusions are always a person’s" in summary
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert "bundled example snapshot dated 2026-11-26" in json.dumps(report)


def test_the_searches_replay_the_snapshot_and_every_source_joins(
    clone: Path, no_network: list[object]
) -> None:
    protocol = load_protocol("queries/kratom.toml")
    manifest = json.loads((clone / "cache" / "example" / "snapshot.json").read_text("utf-8"))
    review = prepare_review(protocol, RunSettings())

    assert review.plan.snapshot is not None and review.plan.mode == "offline"
    assert {e.name: list(e.pmids) for e in review.search_log} == manifest["results"]
    assert all(e.replayed for e in review.search_log)
    databases = {r.source.database for r in review.records}
    assert databases == {"PubMed", *(s.database for s in protocol.sources)}
    pubmed = [r for r in review.records if r.source.database == "PubMed"]
    assert len(pubmed) == len({p for pmids in manifest["results"].values() for p in pmids})
    # The sample holds real cross-source duplicates; some link to the PubMed records.
    by_id = {r.id: r for r in review.records}
    assert any(by_id[link.canonical_id].source.database == "PubMed" for link in review.dedup.links)
    assert review.problems == ()
    assert no_network == []
    # Stand-ins say what they were built from; the real NLM records carry no such note.
    notes = {r.pmid: dict(r.extra).get("note", "") for r in pubmed}
    assert set(manifest["stand_ins"]) == {p for p, note in notes.items() if note}
    assert notes["35220331"].startswith("example stand-in: kratom-sample row ks0002: ")
    assert notes["33342583"] == ""  # cut byte for byte from NLM's file


def test_search_and_run_agree_on_a_fresh_clone(
    clone: Path, no_network: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    """Plain `review search` replays the bundled snapshot as `review run` does, and says so."""
    before = digest(clone / "cache" / "example")
    assert main(["search", "queries/kratom.toml", "--quiet", "--json"]) == 0
    captured = capsys.readouterr()
    manifest = json.loads((clone / "cache" / "example" / "snapshot.json").read_text("utf-8"))
    logged = json.loads(captured.out)
    assert {e["name"]: e["retrieved"] for e in logged} == {
        name: len(pmids) for name, pmids in manifest["results"].items()
    }
    assert all(e["replayed"] for e in logged)
    searched_note = captured.err
    assert main(["run", "queries/kratom.toml", "--quiet"]) == 0
    run_note = capsys.readouterr().err.splitlines()[0]
    assert run_note.startswith("Note: bundled example snapshot dated 2026-11-26")
    assert searched_note.splitlines() == [run_note]
    assert no_network == []
    assert digest(clone / "cache" / "example") == before
    assert not (clone / "cache" / "cache.sqlite").exists()


def test_a_live_run_without_network_fails_and_never_falls_back(
    clone: Path, no_network: list[object]
) -> None:
    protocol = load_protocol("queries/kratom.toml")
    settings = RunSettings(
        live=True,
        cache_dir=clone / "live-cache",
        eutils=EutilsSettings(base_url="http://127.0.0.1:9/", max_retries=0),
    )
    with pytest.raises(RetriesExhausted, match="search 'mitragynine'"):
        run(protocol, settings)
    assert no_network  # it did try PubMed
    assert not (clone / "reports").exists()


def test_rebuilding_the_snapshot_gives_the_committed_bytes(shared_dir: Path) -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import build_example
    finally:
        sys.path.remove(str(REPO / "scripts"))
    assert build_example.main(["--check", "--shared", str(shared_dir)]) == 0


def test_once_the_working_cache_holds_every_search_it_is_used(
    clone: Path, no_network: list[object]
) -> None:
    # A working cache with a run of every search: here, the snapshot's database copied.
    (clone / "cache" / "search.sqlite3").write_bytes((EXAMPLE / "search.sqlite3").read_bytes())
    protocol = load_protocol("queries/kratom.toml")
    plan = plan_search(protocol, RunSettings())
    # Replayed without network: a plain run never asks PubMed (only --live does).
    assert (plan.cache_dir, plan.mode, plan.snapshot) == (Path("cache"), "offline", None)
    review = prepare_review(protocol, RunSettings())
    assert all(e.replayed for e in review.search_log) and no_network == []


def test_a_working_cache_missing_a_search_leaves_the_snapshot_in_charge(
    clone: Path, no_network: list[object]
) -> None:
    protocol = load_protocol("queries/kratom.toml")
    edited = dataclasses.replace(
        protocol, searches=(dataclasses.replace(protocol.searches[0], query="kratom"),)
    )
    (clone / "cache" / "search.sqlite3").write_bytes((EXAMPLE / "search.sqlite3").read_bytes())
    assert not holds_every_search(edited, Path("cache"))
    assert plan_search(protocol, RunSettings()).snapshot is None
    (clone / "cache" / "search.sqlite3").unlink()
    assert plan_search(protocol, RunSettings()).snapshot is not None


def test_the_cli_names_the_snapshot_when_pubmed_cannot_be_reached(
    clone: Path,
    no_network: list[object],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import review.entrez

    # No retries, so the refused connection fails at once.
    monkeypatch.setattr(review.entrez, "EutilsSettings", partial(EutilsSettings, max_retries=0))
    argv = [
        "run",
        "queries/kratom.toml",
        "--live",
        "--quiet",
        "--eutils-url",
        "http://127.0.0.1:9/",
    ]
    assert main(argv) == 1
    error = capsys.readouterr().err
    assert error.startswith("Error: search 'mitragynine': ")
    assert "bundled example snapshot (cache/example, dated 2026-11-26) can be replayed" in error
    assert not (clone / "reports").exists()


# --- how the snapshot's search results were decided ---------------------------------------


@pytest.fixture(scope="module")
def example_corpus() -> object:
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import example_corpus
    finally:
        sys.path.remove(str(REPO / "scripts"))
    return example_corpus


def indexed(corpus: Any, title: str, keywords: str = "", mesh: str = "") -> Any:
    words = [*corpus.words(title), "", *corpus.words(keywords)]
    return corpus.Indexed(tuple(words), tuple(m.lower() for m in mesh.split(";") if m), ())


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kratom[Title/Abstract]", True),
        ("mitragyn*[Title/Abstract]", True),  # truncation
        ('"kratom withdrawal"[Title/Abstract]', True),  # a phrase in the title
        ('"withdrawal kratom"[Title/Abstract]', False),
        ('"withdrawal gabapentin"[Title/Abstract]', False),  # never across two fields
        ("kratom[Title/Abstract] AND cbt[Title/Abstract]", False),
        # Left to right, as PubMed does: (kratom OR cbt) AND x, not kratom OR (cbt AND x).
        ("kratom[Title/Abstract] OR cbt[Title/Abstract] AND x[Title/Abstract]", False),
        ("kratom[Title/Abstract] NOT gabapentin[Title/Abstract]", False),
        ("(cbt[Title/Abstract] AND x[tiab]) OR gabapentin[tiab]", True),
        ('"Mitragyna"[MeSH Terms]', True),
        ('"Substance-Related Disorders"[MeSH Terms]', False),  # not indexed with it
    ],
)
def test_queries_are_read_as_pubmed_reads_them(
    example_corpus: Any, query: str, expected: bool
) -> None:
    article = indexed(
        example_corpus, "Kratom withdrawal and mitragynine", "gabapentin", "Mitragyna"
    )
    assert example_corpus.evaluate_query(query, article) is expected


@pytest.mark.parametrize(
    ("query", "mesh", "expected"),
    [
        # PubMed explodes a descriptor: narrower headings in its tree match too ...
        ('"Substance-Related Disorders"[MeSH Terms]', "Neonatal Abstinence Syndrome", True),
        ('"Substance Withdrawal Syndrome"[MeSH Terms]', "Neonatal Abstinence Syndrome", True),
        ('"Substance-Related Disorders"[MeSH Terms]', "Marijuana Abuse", True),
        # ... broader ones and siblings do not.
        ('"Substance Withdrawal Syndrome"[MeSH Terms]', "Substance-Related Disorders", False),
        ('"Opioid-Related Disorders"[MeSH Terms]', "Substance-Related Disorders", False),
        ('"Substance Withdrawal Syndrome"[MeSH Terms]', "Marijuana Abuse", False),
    ],
)
def test_mesh_terms_are_exploded_as_pubmed_does(
    example_corpus: Any, query: str, mesh: str, expected: bool
) -> None:
    article = indexed(example_corpus, "A case", mesh=mesh)
    assert example_corpus.evaluate_query(query, article) is expected


def test_mesh_the_explosion_table_does_not_know_is_refused(example_corpus: Any) -> None:
    with pytest.raises(ValueError, match="NARROWER_MESH"):
        example_corpus.evaluate_query('"Anxiety"[MeSH Terms]', indexed(example_corpus, "x"))
    heading = b"<MeshHeading><DescriptorName>Heroin Dependence</DescriptorName></MeshHeading>"
    article = b"<PubmedArticle>" + heading + b"</PubmedArticle>"
    with pytest.raises(ValueError, match="'heroin dependence' is in neither"):
        example_corpus.check_mesh_tables({"1": article})


def test_the_report_says_why_a_search_of_the_example_found_nothing(
    clone: Path, no_network: list[object]
) -> None:
    assert main(["run", "queries/kratom.toml", "--quiet"]) == 0
    report = json.loads((clone / "reports" / "kratom" / "report.json").read_text("utf-8"))
    notes = {s["name"]: s["note"] for s in report["searches"]}
    assert notes["mitragynine"] == notes["kratom-dependence"] == ""
    # Every stand-in the snapshot names is marked as one in the report, nothing else.
    manifest = json.loads((EXAMPLE / "snapshot.json").read_text("utf-8"))
    marked = {i for i, r in report["records"].items() if r["stand_in"]}
    assert marked == set(manifest["stand_ins"]) and len(marked) == 21
    assert notes["cbt"].startswith("No record of the example corpus (65 records) matches")
    assert "None of its 20 real PubMed records carries MeSH headings" in notes["cbt"]
    html = (clone / "reports" / "kratom" / "report.html").read_text("utf-8")
    cbt = html[html.index('id="search-cbt"') :]
    assert "No record of the example corpus" in cbt[: cbt.index("</article>")]


def test_a_field_the_example_cannot_evaluate_is_refused(example_corpus: Any) -> None:
    with pytest.raises(ValueError, match=r"\[author\]"):
        example_corpus.evaluate_query("smith[Author]", indexed(example_corpus, "x"))


@pytest.mark.parametrize(
    ("name", "family", "given", "initials"),
    [
        ("Samuel Obeng", "Obeng", "Samuel", "S"),
        ("Garcia-Romeu, Albert", "Garcia-Romeu", "Albert", "A"),
        ("Müller CP", "Müller", "", "CP"),
        ("Oliver Grundmann et al.", "Grundmann", "Oliver", "O"),
        ("Robert B. Raffa (Editor)", "Raffa", "Robert B.", "RB"),
    ],
)
def test_sample_author_names_are_read_in_every_style(
    example_corpus: Any, name: str, family: str, given: str, initials: str
) -> None:
    author = example_corpus.parse_author(name)
    assert (author.family, author.given, author.initials) == (family, given, initials)


def test_the_snapshot_is_found_from_another_folder(
    clone: Path, no_network: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = clone / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    protocol = load_protocol(clone / "queries" / "kratom.toml")
    plan = plan_search(protocol, RunSettings())
    assert plan.snapshot is not None and plan.cache_dir == clone / "cache" / "example"


def test_entries_that_cannot_be_read_are_named_and_left_out(
    clone: Path, no_network: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    extra = clone / "hand-search.csv"
    extra.write_text("id,title,year\nh1,A kratom case report,2020\nh2,Cut short\n", "utf-8")
    assert main(["run", "--quiet", "queries/kratom.toml", str(extra)]) == 0
    error = capsys.readouterr().err
    assert "Warning: hand-search.csv:3: row has 2 cells but the header has 3 (left out)" in error
    report = json.loads((clone / "reports" / "kratom" / "report.json").read_text("utf-8"))
    hand = [s for s in report["other_sources"] if s["file"] == "hand-search.csv"]
    assert hand == [
        {
            "database": "hand-search",
            "file": "hand-search.csv",
            "records": 1,
            "exported_on": "",
            "problems": 1,
            "note": "",
        }
    ]


def test_a_file_named_with_its_database_and_a_kept_entry_is_not_called_left_out(
    clone: Path, no_network: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    extra = clone / "export.ris"
    extra.write_text("TY  - JOUR\nTI  - Kratom case\nstray words\nPY  - 2021\nER  -\n", "utf-8")
    assert main(["run", "--quiet", "queries/kratom.toml", f"{extra}=embase"]) == 0
    error = capsys.readouterr().err
    assert "Warning: export.ris:3: line has no tag: 'stray words'; read as part of" in error
    assert "(left out)" not in error
    report = json.loads((clone / "reports" / "kratom" / "report.json").read_text("utf-8"))
    (source,) = [s for s in report["other_sources"] if s["file"] == "export.ris"]
    assert (source["database"], source["records"]) == ("Embase", 1)


# --- with network: the same protocol searched live -----------------------------------------


def example_server() -> EutilsServer:
    """The fake E-utilities server answering the protocol's searches as the snapshot did."""
    manifest = json.loads((EXAMPLE / "snapshot.json").read_text("utf-8"))
    with sqlite3.connect(f"file:{EXAMPLE / 'search.sqlite3'}?mode=ro&immutable=1", uri=True) as db:
        articles = {str(p): bytes(x) for p, x in db.execute("SELECT pmid, xml FROM articles")}
    corpus = Corpus(articles=articles)
    for name, query in manifest["queries"].items():
        corpus.add_search(query, [Hit(int(p), date(2020, 1, 1)) for p in manifest["results"][name]])
    return EutilsServer(corpus)


def test_live_the_same_command_searches_pubmed_and_says_so(
    clone: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = json.loads((EXAMPLE / "snapshot.json").read_text("utf-8"))
    with example_server() as server:
        argv = ["run", "--live", "--quiet", "--eutils-url", server.url, "queries/kratom.toml"]
        assert main(argv) == 0
        requests_sent = len(server.requests)
    assert requests_sent >= len(manifest["queries"])  # it asked "PubMed", not the snapshot
    assert "bundled example snapshot" not in capsys.readouterr().err
    report = json.loads((clone / "reports" / "kratom" / "report.json").read_text("utf-8"))
    assert report["snapshot"] is None
    assert not any(s["replayed"] for s in report["searches"])
    assert {s["name"]: s["retrieved"] for s in report["searches"]} == {
        name: len(pmids) for name, pmids in manifest["results"].items()
    }
    # The working cache now holds every search: the plain command replays it, not the example.
    review = prepare_review(load_protocol("queries/kratom.toml"), RunSettings(mode="offline"))
    assert review.plan.snapshot is None and review.plan.cache_dir == Path("cache")
    assert all(e.replayed for e in review.search_log)


def test_adding_a_source_after_screening_loses_no_decision(
    clone: Path, no_network: list[object]
) -> None:
    """A reviewer screens, a new export brings more complete copies: every decision counts."""
    protocol = load_protocol("queries/kratom.toml")
    first = run(protocol, RunSettings()).review
    waiting = [d.record_id for d in first.decisions if d.outcome == "needs-human"]
    assert waiting
    with DecisionStore.for_protocol(protocol) as store:
        for n, record_id in enumerate(waiting):
            outcome = "include" if n % 2 else "exclude"
            store.add(
                Decision(
                    record_id,
                    "title-abstract",
                    outcome,
                    "not-kratom" if outcome == "exclude" else "",
                    by="ana",
                )
            )
    decided = run(protocol, RunSettings()).review
    before = {d.record_id: d for d in decided.human_decisions}
    # An Embase export with a fuller copy (abstract, keywords) of every decided record.
    canonical = {r.id: r for r in decided.dedup.canonical}
    copies = [
        dataclasses.replace(
            canonical[record_id],
            id=f"embase-{n}",
            source=Source("Embase", file="embase.ris", position=n),
            abstract=(AbstractSection("Kratom dependence and withdrawal in adults."),),
            keywords=("kratom", "withdrawal", "dependence"),
            extra=(),
        )
        for n, record_id in enumerate(before, 1)
    ]
    write_records(copies, clone / "queries" / "embase.ris")
    with (clone / "queries" / "kratom.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[[sources]]\nfile = "embase.ris"\ndatabase = "Embase"\n')
    protocol = load_protocol("queries/kratom.toml")
    after = run(protocol, RunSettings()).review
    assert len(after.records) == len(decided.records) + len(copies)
    counted = {d.record_id: d for d in after.human_decisions}
    assert not after.orphan_decisions
    mains = main_of(after.dedup)
    for record_id, decision in before.items():
        # Counted for its group, as made; or, where the new copies joined two groups
        # decided differently, a conflict naming it, for a person to resolve.
        now = counted[mains[record_id]]
        if now.by == CONFLICT:
            assert f"{record_id} (ana): {decision.outcome}" in now.note
        else:
            assert (now.outcome, now.by) == (decision.outcome, "ana")
    # Main copies stay where they were (a group that merged keeps one of its two).
    earlier = {r.id for r in decided.dedup.canonical}
    assert all(mains[m] in earlier for m in earlier)


def test_a_person_chooses_a_main_copy_and_it_stays_with_its_decisions(
    clone: Path, no_network: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    """`review decisions main-copy`: the chosen copy stays main when records are added."""
    protocol = load_protocol("queries/kratom.toml")
    first = run(protocol, RunSettings()).review
    mains = main_of(first.dedup)
    group = next(m for m in dict.fromkeys(mains.values()) if list(mains.values()).count(m) > 2)
    chosen = next(rid for rid, main in mains.items() if main == group and rid != group)
    with DecisionStore.for_protocol(protocol) as store:
        store.add(Decision(group, "title-abstract", "exclude", "not-kratom", by="ana"))
    assert main(["decisions", "main-copy", "queries/kratom.toml", chosen, "--reviewer", "bo"]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"{chosen} is now the main copy of its group (was {group}; ")
    assert "chosen by bo" in said

    # The next run shows the chosen copy as main; the decision made on the old one counts.
    second = run(protocol, RunSettings()).review
    assert main_of(second.dedup)[group] == chosen
    (decision,) = [d for d in second.human_decisions if d.record_id == chosen]
    assert (decision.outcome, decision.by) == ("exclude", "ana")
    assert not second.orphan_decisions
    # Records added later join the group without taking its main copy.
    canonical = {r.id: r for r in second.dedup.canonical}
    copy = dataclasses.replace(
        canonical[chosen],
        id="embase-1",
        source=Source("Embase", file="embase.ris", position=1),
        abstract=(AbstractSection("A fuller copy, as deduplication prefers."),),
        extra=(),
    )
    write_records([copy], clone / "queries" / "embase.ris")
    with (clone / "queries" / "kratom.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[[sources]]\nfile = "embase.ris"\ndatabase = "Embase"\n')
    protocol = load_protocol("queries/kratom.toml")
    third = update(protocol, RunSettings()).review
    mains = main_of(third.dedup)
    assert mains["embase-1"] == mains[group] == chosen
    assert [d.outcome for d in third.human_decisions if d.record_id == chosen] == ["exclude"]
    # Choosing again: the latest choice wins; choosing the main copy changes nothing.
    assert main(["decisions", "main-copy", "queries/kratom.toml", group, "--reviewer", "bo"]) == 0
    assert main(["decisions", "main-copy", "queries/kratom.toml", group, "--reviewer", "bo"]) == 0
    assert "is already its group's main copy" in capsys.readouterr().out
    assert main_of(run(protocol, RunSettings()).review.dedup)["embase-1"] == group
    # An ID no record has is refused, in one line that says what to do.
    assert main(["decisions", "main-copy", "queries/kratom.toml", "nope", "--reviewer", "bo"]) == 1
    assert capsys.readouterr().err == (
        "Error: nope: no record of queries/kratom.toml has this ID; "
        "`review explain queries/kratom.toml ID` shows a record and its copies.\n"
    )


def test_the_queue_and_conflicts_count_decisions_per_duplicate_group(
    clone: Path, no_network: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    """A decision on any copy decides the group for that reviewer; copies decided
    differently are a conflict `review decisions conflicts` lists and `resolve` settles."""
    from review.cli.screen import prepared_input
    from review.screener import screening_queue

    protocol = load_protocol("queries/kratom.toml")
    first = run(protocol, RunSettings()).review
    mains = main_of(first.dedup)
    waiting = {d.record_id for d in first.decisions if d.outcome == "needs-human"}
    group = next(m for m in waiting if list(mains.values()).count(m) > 2)
    other = next(rid for rid, main in mains.items() if main == group and rid != group)
    with DecisionStore.for_protocol(protocol) as store:
        store.add(Decision(group, "title-abstract", "include", by="ana"))
    # The person makes another copy main: ana's decision, on the old main, still counts.
    assert main(["decisions", "main-copy", "queries/kratom.toml", other, "--reviewer", "bo"]) == 0
    found = prepared_input(prepare_review(protocol, RunSettings()))
    assert found.groups is not None and other in {r.id for r in found.records}
    with DecisionStore.for_protocol(protocol) as store:
        queue = screening_queue(
            found.records, found.rule_decisions, store, "ana", "title-abstract",
            order="input", groups=found.groups,
        )  # fmt: skip
        assert other not in {r.id for r in queue}
        # Per record, as before, ana would be asked again about the group she decided.
        by_record = screening_queue(
            found.records, found.rule_decisions, store, "ana", "title-abstract", order="input"
        )
        assert other in {r.id for r in by_record}
        assert {r.id for r in by_record} - {r.id for r in queue} == {other}
        # bo decides the new main copy otherwise: a clash between copies of one record.
        store.add(Decision(other, "title-abstract", "exclude", "not-kratom", by="bo"))
        assert store.conflicts() == ()  # no record has two answers
    capsys.readouterr()
    assert main(["decisions", "conflicts", "queries/kratom.toml"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{other}\ttitle-abstract\tcopies of one record were decided ")
    assert f"{group} (ana): include" in out and f"{other} (bo): exclude (not-kratom)" in out
    assert out.endswith("\n1 unresolved conflict\n")
    # Resolved under either copy's ID, it is settled on the main copy for the group.
    resolve = ["decisions", "resolve", "queries/kratom.toml", group, "include", "--reviewer", "cy"]
    assert main(resolve) == 0
    assert f"Resolved {other} (title-abstract): include by cy" in capsys.readouterr().out
    assert main(["decisions", "conflicts", "queries/kratom.toml"]) == 0
    assert capsys.readouterr().out == "0 unresolved conflicts\n"
    after = run(protocol, RunSettings()).review
    (settled,) = [d for d in after.human_decisions if d.record_id == other]
    assert (settled.outcome, settled.by) == ("include", "cy")


EMBASE_COPY = """TY  - JOUR
TI  - Postmortem Mitragynine Distribution in a Single Drug Fatality Case
AU  - Mata, D C
PY  - 2023
JO  - Academic Forensic Pathology
DO  - 10.1177/19253621231160417
AB  - A fatality attributed to kratom; mitragynine concentrations in tissues.
ER  -
"""


def test_an_include_stands_when_a_new_copy_makes_the_rules_exclude_the_record(
    clone: Path, no_network: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    """ann includes 37091196 (no abstract: left to people); an Embase copy brings an
    abstract that names no outcome, so the rules now exclude it. Her include counts
    everywhere: the report, `review decisions status` and its stopping rule, the screener."""
    from review.cli.screen import prepared_input
    from review.screener import stop_status

    protocol = load_protocol("queries/kratom.toml")
    first = run(protocol, RunSettings()).review
    assert {d.record_id: d.outcome for d in first.rule_decisions}["37091196"] == "needs-human"
    with DecisionStore.for_protocol(protocol) as store:
        store.add(Decision("37091196", "title-abstract", "include", by="ann"))
    capsys.readouterr()
    assert main(["decisions", "status", "queries/kratom.toml"]) == 0
    before = capsys.readouterr().out
    assert "Found 1 relevant" in before
    (clone / "queries" / "embase.ris").write_text(EMBASE_COPY, encoding="utf-8")
    with (clone / "queries" / "kratom.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[[sources]]\nfile = "embase.ris"\ndatabase = "Embase"\n')
    protocol = load_protocol("queries/kratom.toml")
    after = update(protocol, RunSettings()).review
    assert main_of(after.dedup)["embase:1"] == "37091196"
    rules = {d.record_id: d for d in after.rule_decisions}
    assert (rules["37091196"].outcome, rules["37091196"].reason) == (
        "exclude",
        "no-relevant-outcome",
    )
    (stands,) = [d for d in after.decisions if d.record_id == "37091196"]
    assert (stands.outcome, stands.by) == ("include", "ann")
    capsys.readouterr()
    assert main(["decisions", "status", "queries/kratom.toml"]) == 0
    now = capsys.readouterr().out
    assert "Found 1 relevant" in now
    # The same records left to people as before: the include keeps its place in the pool.
    assert before.split("Stopping rule")[1] == now.split("Stopping rule")[1]
    found = prepared_input(prepare_review(protocol, RunSettings()))
    with DecisionStore.for_protocol(protocol) as store:
        status = stop_status(found.records, found.rule_decisions, store, groups=found.groups)
    assert (status.screened, status.relevant) == (1, 1)


def test_the_stopping_rule_and_the_ranker_learn_from_a_decision_on_any_copy(
    clone: Path, no_network: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    """A decision made on a copy that is no longer its group's main copy still counts
    for the stopping rule and teaches the ranker, as the queue and the report count it."""
    from review.cli.screen import prepared_input
    from review.screener import queue_ranker, stop_status

    protocol = load_protocol("queries/kratom.toml")
    first = run(protocol, RunSettings()).review
    mains = main_of(first.dedup)
    waiting = [d.record_id for d in first.decisions if d.outcome == "needs-human"]
    group = next(m for m in waiting if list(mains.values()).count(m) > 2)
    other = next(rid for rid, main in mains.items() if main == group and rid != group)
    off = next(m for m in waiting if m != group)
    with DecisionStore.for_protocol(protocol) as store:
        store.add(Decision(group, "title-abstract", "include", by="ana"))
        store.add(Decision(off, "title-abstract", "exclude", "not-kratom", by="ana"))
    assert main(["decisions", "main-copy", "queries/kratom.toml", other, "--reviewer", "bo"]) == 0
    found = prepared_input(prepare_review(protocol, RunSettings()))
    assert group not in {r.id for r in found.records}
    with DecisionStore.for_protocol(protocol) as store:
        status = stop_status(found.records, found.rule_decisions, store, groups=found.groups)
        assert (status.screened, status.relevant) == (2, 1)
        ranker = queue_ranker(found.records, store, protocol, groups=found.groups)
        assert ranker.describe() == "ranked by a model learned from 2 decisions"
        # Per record, the include made on the old main copy would be lost to both.
        assert stop_status(found.records, found.rule_decisions, store).relevant == 0
        assert "nothing learned yet" in queue_ranker(found.records, store, protocol).describe()
    # The reading list counts it for the group too: its main copy, included, comes first.
    assert main(["reading-list", "queries/kratom.toml", "--top", "3"]) == 0
    listed = (clone / "reports" / "kratom" / "ranked-reading-list.md").read_text()
    assert "The 1 record people included comes first." in capsys.readouterr().out
    assert listed.index("**Included**") < listed.index("2. ")


def test_a_cache_folder_lacking_a_search_is_an_error_without_live_and_nothing_is_sent(
    clone: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README: the plain command replays without network; only --live searches."""
    protocol_file = clone / "queries" / "kratom.toml"
    text = protocol_file.read_text(encoding="utf-8")
    protocol_file.write_text(
        text.replace("OR mitragyna[Title/Abstract]", "OR ketum[Title/Abstract]", 1),
        encoding="utf-8",
    )
    (clone / "mine").mkdir()
    shutil.copy(EXAMPLE / "search.sqlite3", clone / "mine")  # every search but the edited one
    with example_server() as server:
        argv = ["run", "queries/kratom.toml", "--cache", "mine", "--eutils-url", server.url]
        assert main([*argv, "--quiet"]) == 1
        assert server.requests == []
    error = capsys.readouterr().err
    assert error.startswith("Error: search 'mitragynine': mine holds no run of this search")
    assert error.endswith("search PubMed with --live first.\n")
    assert not (clone / "reports").exists()


def test_a_live_run_shows_each_retry_as_review_search_does(
    clone: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from review.entrez import RetryPolicy

    monkeypatch.setattr(RetryPolicy, "delay", lambda *args: 0.0)  # retry without waiting
    with example_server() as server:
        server.inject("503", "backend_failed", utility="esearch")
        argv = ["run", "--live", "--eutils-url", server.url, "queries/kratom.toml"]
        assert main(argv) == 0
    err = capsys.readouterr().err
    assert "Note: esearch got HTTP 503; retry 1 of 5 in 0.0 s\n" in err
    assert "Note: esearch got <ERROR>Search Backend failed" in err
    assert "Note: NCBI asks for an email address" in err


def test_a_pmid_twice_in_an_update_file_keeps_the_later_version(
    clone: Path, no_network: list[object], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def entry(title: str) -> str:
        return (
            "<PubmedArticle><MedlineCitation><PMID Version='1'>99000111</PMID><Article>"
            f"<ArticleTitle>{title}</ArticleTitle></Article></MedlineCitation></PubmedArticle>\n"
        )

    update = tmp_path / "update.xml"
    update.write_text(
        '<?xml version="1.0"?>\n<PubmedArticleSet>\n'
        + entry("Kratom and sleep: first version")
        + entry("Kratom and sleep: corrected version")
        + "</PubmedArticleSet>\n",
        encoding="utf-8",
    )
    assert main(["run", "--out", "out", "queries/kratom.toml", str(update)]) == 0
    err = capsys.readouterr().err
    assert "PMID 99000111 appears again as record 2 of this file" in err
    report = (clone / "out" / "report.json").read_text(encoding="utf-8")
    assert "Kratom and sleep: corrected version" in report
    assert "Kratom and sleep: first version" not in report


def test_a_run_says_which_files_records_were_renamed_for_a_clashing_id(
    clone: Path, no_network: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    """Decisions are kept by ID: a record renamed "Scopus:<id>" must not be renamed silently."""
    (clone / "scopus.csv").write_text(
        "id,title,year\n36634016,Kratom clash one,2020\n99,Kratom clash two,2021\n",
        encoding="utf-8",
    )
    assert main(["run", "--out", "out", "queries/kratom.toml", "scopus.csv=Scopus"]) == 0
    said = (
        "scopus.csv: 1 record shares an ID with an earlier record and is named "
        "'Scopus:<id>' (first: 36634016, also in the PubMed searches); screening decisions "
        "are kept under this name."
    )
    assert f"Note: {said}\n" in capsys.readouterr().err
    report = json.loads((clone / "out" / "report.json").read_text(encoding="utf-8"))
    (scopus,) = [s for s in report["other_sources"] if s["file"] == "scopus.csv"]
    assert scopus["note"] == said.removeprefix("scopus.csv: ")
    assert scopus["problems"] == 0  # no entry was unreadable


def test_a_problem_with_a_whole_file_is_a_warning_and_a_note_on_it_a_note(
    clone: Path, no_network: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    (clone / "other.xml").write_text("<html><body>Not PubMed</body></html>\n", encoding="utf-8")
    assert main(["run", "--out", "out", "--keep-going", "queries/kratom.toml", "other.xml"]) == 0
    err = capsys.readouterr().err
    assert "Warning: other.xml: not PubMed XML: the document is <html>" in err
    assert err.split("Warning: other.xml: ", 1)[1].split("\n", 1)[0].endswith("(left out)")


def test_a_workbooks_unread_sheets_are_a_note_on_its_row_not_an_unreadable_entry(
    clone: Path, no_network: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Records"
    book.active.append(["Title", "Year"])
    book.active.append(["Kratom and sleep", 2022])
    book.create_sheet("Excluded").append(["Title"])
    book.save(clone / "mine.xlsx")
    assert main(["run", "--out", "out", "queries/kratom.toml", "mine.xlsx=Scopus"]) == 0
    said = "only sheet 'Records' was read; 'Excluded' also holds cells: save it as a file of "
    assert f"Note: mine.xlsx: {said}" in capsys.readouterr().err
    report = json.loads((clone / "out" / "report.json").read_text(encoding="utf-8"))
    (mine,) = [s for s in report["other_sources"] if s["file"] == "mine.xlsx"]
    assert (mine["records"], mine["problems"]) == (1, 0)
    assert mine["note"].startswith(said)


def test_explain_answers_for_a_record_merged_into_another(
    clone: Path, no_network: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    # ks0226 (an Embase-style export row) is the same paper as PubMed's 36634016
    assert main(["explain", "queries/kratom.toml", "ks0226"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("Merged into 36634016 (")
    assert " duplicates: " in lines[1] and "(s)" not in lines[1]
    assert lines[2].startswith("Why: match probability ")
    assert "doi=same(+" in lines[2] and "title=exact(+" in lines[2]
    assert lines[3] == (
        "A decision on 36634016 or any of its copies counts for all of them; copies decided "
        "differently are a conflict for a person."
    )
    assert lines[5].startswith("36634016: ")  # then the record screened for both
    assert any(line.startswith("Rules (title-abstract): ") for line in lines)


def test_copies_decided_differently_after_a_full_text_decision_wait_for_a_person(
    clone: Path, no_network: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    """ana includes 36634016 and its full text; ben, shown its copy ks0226, excludes it.
    The group is a conflict and its full text waits, as for two reviewers on one record:
    every command says so and the PRISMA numbers add up; resolved as include, it counts."""
    protocol = load_protocol("queries/kratom.toml")
    with DecisionStore.for_protocol(protocol) as store:
        store.add(Decision("36634016", "title-abstract", "include", by="ana"))
        store.add(Decision("36634016", "full-text", "include", by="ana"))
        store.add(Decision("ks0226", "title-abstract", "exclude", "not-kratom", by="ben"))

    def prisma() -> dict[str, Any]:
        capsys.readouterr()
        assert main(["run", "queries/kratom.toml"]) == 0
        report = json.loads((clone / "reports" / "kratom" / "report.json").read_text())
        counts: dict[str, Any] = report["prisma"]
        # screened = excluded + awaiting + sought; sought = not retrieved + awaiting + assessed
        assert counts["records_screened"] == (
            counts["records_excluded"] + counts["awaiting_screening"] + counts["reports_sought"]
        )
        assert counts["reports_sought"] == (
            counts["reports_not_retrieved"]
            + counts["awaiting_assessment"]
            + counts["reports_assessed"]
        )
        return counts

    counts = prisma()
    assert (counts["awaiting_screening"], counts["reports_sought"]) == (213, 0)
    printed = capsys.readouterr()
    assert "Note: 1 full-text decision kept but not counted" in printed.err
    # Screening does not settle a conflict: the run says where a person does.
    assert (
        "Of the records awaiting a person, 1 is a conflict between reviewers at "
        "title/abstract: `review decisions conflicts queries/kratom.toml` lists it, "
        "`review decisions resolve` settles it (or the Conflicts page of `review serve`).\n"
    ) in printed.out
    report = (clone / "reports" / "kratom" / "report.md").read_text(encoding="utf-8")
    assert (
        "- `36634016` full-text: include by ana on " in report
        and "— waiting for the title/abstract conflict to be resolved" in report
    )
    assert main(["decisions", "status", "queries/kratom.toml"]) == 0
    status = capsys.readouterr().out
    assert "1 conflict between reviewers at title/abstract" in status
    assert "1 full-text decision waits, kept but not counted" in status
    assert main(["explain", "queries/kratom.toml", "36634016"]) == 0
    explained = capsys.readouterr().out
    assert "ben at " in explained and "not-kratom: Not about kratom" in explained
    assert "Stands (title-abstract): needs-human (by conflict) — copies of one record" in (
        explained
    )
    assert "Stands (full-text): not counted (by ana) — waiting for the title/abstract" in (
        explained
    )
    argv = ["decisions", "resolve", "queries/kratom.toml", "ks0226", "include"]
    assert main([*argv, "--reviewer", "cy"]) == 0
    counts = prisma()
    assert (counts["awaiting_screening"], counts["reports_sought"]) == (212, 1)
    assert (counts["reports_assessed"], counts["studies_included"]) == (1, 1)


def test_explain_says_where_a_record_it_cannot_show_went(
    clone: Path, no_network: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    """It said "no record among the 223 records screened" where PRISMA counts 213 screened
    (the rules marked 10 ineligible), and the same for a record NLM deleted."""
    assert main(["explain", "queries/kratom.toml", "nonexistent"]) == 1
    assert capsys.readouterr().err == (
        "Error: no record 'nonexistent' among the 223 records left after deduplication; "
        "check the ID (PubMed records use the PMID).\n"
    )
    (clone / "queries" / "deleted.xml").write_text(
        "<PubmedArticleSet><DeleteCitation><PMID Version='1'>36634016</PMID>"
        "</DeleteCitation></PubmedArticleSet>\n",
        encoding="utf-8",
    )
    with (clone / "queries" / "kratom.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[[sources]]\nfile = "deleted.xml"\ndatabase = "PubMed"\n')
    assert main(["explain", "queries/kratom.toml", "36634016"]) == 0
    assert capsys.readouterr().out == (
        "36634016: removed before screening (Deleted from PubMed by NLM); no one screens it.\n"
    )


def test_explain_names_a_possible_duplicate_a_person_has_to_decide(
    clone: Path, no_network: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    """ks0075 (the title of PubMed's 34505767 and nothing else) is one of the pairs
    deduplication left to a person; explain said nothing about it."""
    assert main(["explain", "queries/kratom.toml", "ks0075"]) == 0
    lines = capsys.readouterr().out.splitlines()
    (said,) = [line for line in lines if "same record as" in line]
    assert said.startswith("May be the same record as 34505767 (")
    assert "deduplication was unsure: weights between the thresholds; weight +" in said
    assert said.endswith(
        "; a person decides: mark the pair accept or reject in "
        "reports/kratom/undecided-pairs.csv and save that as "
        "queries/kratom.pair-decisions.csv for the next run."
    )


def _awaiting_in_report(out_dir: Path) -> tuple[list[str], list[float], str]:
    report = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    rows = [a for a in report["awaiting"] if a["stage"] == "title-abstract"]
    return (
        [a["record_id"] for a in rows],
        [a["relevance"] for a in rows],
        report["awaiting_ranked_by"],
    )


def test_the_report_lists_the_records_awaiting_a_person_in_the_screeners_order(
    clone: Path, no_network: list[object]
) -> None:
    """`review run` presents the most relevant records first, as `review screen` does:
    by the protocol before any decision, by the learned model after one include and
    one exclude; the same order as the screener's queue, in every file of the report."""
    from review.cli.screen import prepared_input
    from review.screener import screening_queue

    protocol = load_protocol("queries/kratom.toml")

    def queue(reviewer: str) -> list[str]:
        found = prepared_input(prepare_review(protocol, RunSettings()))
        with DecisionStore.for_protocol(protocol) as store:
            records = screening_queue(
                found.records,
                found.rule_decisions,
                store,
                reviewer,
                "title-abstract",
                protocol=protocol,
                groups=found.groups,
            )
        return [r.id for r in records]

    result = run(protocol, RunSettings())
    ids, relevance, ranked_by = _awaiting_in_report(result.out_dir)
    assert ranked_by == "ranked by the protocol's question and concepts; nothing learned yet"
    assert ids == queue("ana") != sorted(ids)
    assert relevance == sorted(relevance, reverse=True) and relevance[0] == 1.0
    # The most relevant record heads every file's list and is first on its page.
    markdown = (result.out_dir / "report.md").read_text(encoding="utf-8")
    listed = markdown.split("### Title/abstract decision needed")[1]
    assert listed.index(f"`{ids[0]}`") < listed.index(f"`{ids[1]}`") < listed.index(f"`{ids[2]}`")
    assert "Ordered by predicted relevance, most likely relevant first" in markdown
    html = (result.out_dir / "report.html").read_text(encoding="utf-8")
    section = html.split('id="awaiting"')[1]
    assert section.index(f">{ids[0]}<") < section.index(f">{ids[1]}<")
    assert '<span class="relevance" title="predicted relevance">1.00</span>' in section
    page = (result.out_dir / "records" / "awaiting-title-abstract-002.html").read_text()
    assert "most likely relevant first" in page
    assert page.index(f">{ids[50]}<") < page.index(f">{ids[51]}<")

    # One include (the record ranked last) and one exclude: the learned ranking.
    with DecisionStore.for_protocol(protocol) as store:
        store.add(Decision(ids[-1], "title-abstract", "include", by="ana"))
        store.add(Decision(ids[0], "title-abstract", "exclude", "not-kratom", by="ana"))
    again = run(protocol, RunSettings())
    learned, relevance, ranked_by = _awaiting_in_report(again.out_dir)
    assert ranked_by == "ranked by a model learned from 2 decisions"
    assert learned == queue("ana")  # her queue: what she has not decided
    assert relevance == sorted(relevance, reverse=True)
    assert set(learned) == set(ids) - {ids[0], ids[-1]}
    assert learned != [i for i in ids if i in set(learned)]  # the order changed
    # The web dashboard counts alone, and asks for no ranking (it would build features).
    from review.report_stage import review_report_input

    unranked = review_report_input(
        prepare_review(protocol, RunSettings()), RunSettings(), ranked=False
    )
    assert (unranked.relevance, unranked.ranked_by) == ({}, "")


def test_the_run_summary_counts_as_the_report_does(
    clone: Path, no_network: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    """The line `review run` ends with gives the diagram's numbers: the rules'
    exclusions are marked ineligible by automation, not screened and excluded."""
    assert main(["run", "queries/kratom.toml"]) == 0
    out = capsys.readouterr().out
    prisma = json.loads((clone / "reports" / "kratom" / "report.json").read_text())["prisma"]
    automated, screened = prisma["marked_ineligible_by_automation"], prisma["records_screened"]
    assert automated > 0
    assert (
        f"{prisma['duplicates_removed']} duplicates removed, {automated} marked ineligible by "
        f"the protocol rules; {screened} screened at title/abstract: "
        f"{prisma['reports_sought']} included, {prisma['records_excluded']} excluded, "
        f"{prisma['awaiting_screening']} awaiting a person."
    ) in out
