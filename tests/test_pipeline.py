"""The pipeline with injected stages on small real inputs: order, joins, ids, who wins."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from review.dedup import CandidatePair, DedupResult, DuplicateLink, PairDecisions, deduplicate
from review.errors import CacheError, InputError, OfflineMiss, ProtocolError
from review.formats import read_records
from review.pipeline import (
    DELETED_BY_NLM,
    PreparedReview,
    RunSettings,
    Stages,
    prepare_review,
    renamed_ids,
    run,
    unique_ids,
)
from review.protocol import Criteria, ImportSource, Protocol, load_protocol
from review.pubmed_stage import SearchOutput, pubmed_article_set, read_pubmed_document
from review.records import ImportResult, Record, Source
from review.report_stage import UNDECIDED_PAIRS, write_review_report
from review.screen import Decision, effective_decisions
from review.search import SearchLogEntry
from review.search_plan import SearchPlan, plan_search
from review.snapshot import SNAPSHOT_MANIFEST
from review.stored_decisions import pair_decisions_path, stored_pair_decisions

KRATOM_PMIDS = ("33342583", "33847849", "33847897", "34091497")

PROTOCOL_TOML = """
schema_version = 1
name = "tiny"
title = "Tiny"
question = "Does the pipeline join its stages?"

[[searches]]
name = "first"
query = "kratom[tiab]"

[[searches]]
name = "second"
query = "mitragynine[tiab]"

[[sources]]
file = "rows.csv"
database = "Other websites"
exported_on = 2026-11-26
note = "four kratom-sample rows"
"""


@pytest.fixture
def protocol(tmp_path: Path, fixtures_dir: Path) -> Protocol:
    (tmp_path / "rows.csv").write_bytes(
        (fixtures_dir / "pipeline" / "sample_rows.csv").read_bytes()
    )
    path = tmp_path / "tiny.toml"
    path.write_text(PROTOCOL_TOML, encoding="utf-8")
    return load_protocol(path)


@pytest.fixture(scope="module")
def articles(fixtures_dir: Path) -> dict[str, bytes]:
    data = (fixtures_dir / "pipeline" / "kratom_records.xml").read_bytes()
    found = re.findall(rb"<PubmedArticle>.*?</PubmedArticle>", data, re.DOTALL)
    return {re.search(rb"<PMID[^>]*>(\d+)<", a).group(1).decode(): a for a in found}  # type: ignore[union-attr]


def entry(name: str, pmids: Sequence[str], **fields: object) -> SearchLogEntry:
    values: dict[str, object] = {
        "name": name,
        "database": "PubMed",
        "query": f"{name}[tiab]",
        "query_translation": f"{name}[Title/Abstract]",
        "mindate": "",
        "maxdate": "",
        "datetype": "pdat",
        "count": len(pmids),
        "pmids": tuple(pmids),
        "warnings": (),
        "searched_at": "2026-11-26T12:00:00+00:00",
        "tool_version": "test",
    }
    values.update(fields)
    return SearchLogEntry(**values)  # type: ignore[arg-type]


def fake_search(log: Sequence[SearchLogEntry], articles: dict[str, bytes]) -> object:
    def search(protocol: Protocol, plan: SearchPlan, settings: RunSettings) -> SearchOutput:
        return SearchOutput(
            tuple(log),
            lambda pmids: pubmed_article_set(articles[p] for p in pmids if p in articles),
        )

    return search


def no_duplicates(records: Sequence[Record], people: PairDecisions) -> DedupResult:
    return DedupResult(tuple(records), tuple(records), ())


def doi_duplicates(records: Sequence[Record], people: PairDecisions) -> DedupResult:
    """Link records sharing a DOI (case-insensitive) to the first one: enough to test joins."""
    first: dict[str, str] = {}
    links = []
    for r in records:
        key = r.doi.lower()
        if key and key in first:
            links.append(DuplicateLink(r.id, first[key], "doi"))
        elif key:
            first[key] = r.id
    linked = {link.record_id for link in links}
    return DedupResult(
        tuple(records), tuple(r for r in records if r.id not in linked), tuple(links)
    )


def include_all(records: Sequence[Record], criteria: Criteria) -> tuple[Decision, ...]:
    return tuple(Decision(r.id, "title-abstract", "include") for r in records)


def stages(
    articles: dict[str, bytes],
    log: Sequence[SearchLogEntry],
    *,
    people: Iterable[Decision] = (),
    dedup: object = no_duplicates,
    read_file: object = None,
    written: list[tuple[PreparedReview, Path]] | None = None,
) -> Stages:
    def write(review: PreparedReview, settings: RunSettings, out_dir: Path) -> tuple[Path, ...]:
        if written is not None:
            written.append((review, out_dir))
        return (out_dir / "report.md",)

    return Stages(
        search=fake_search(log, articles),  # type: ignore[arg-type]
        read_pubmed=read_pubmed_document,
        read_file=read_file or (lambda path, db: read_records(path, database=db)),  # type: ignore[arg-type]
        pair_decisions=stored_pair_decisions,
        deduplicate=dedup,  # type: ignore[arg-type]
        screen=include_all,
        human_decisions=lambda protocol: tuple(people),
        combine=effective_decisions,
        write_report=write,
    )


def settings(tmp_path: Path) -> RunSettings:
    # An example folder that does not exist: these tests never replay a snapshot.
    return RunSettings(example_dir=tmp_path / "no-example", cache_dir=tmp_path / "cache")


# --- the stages joined -----------------------------------------------------------------------


def test_pubmed_records_and_imported_rows_join_in_order(
    protocol: Protocol, articles: dict[str, bytes], tmp_path: Path
) -> None:
    log = [entry("first", ["34091497", "33342583"]), entry("second", ["34091497", "33847897"])]
    review = prepare_review(protocol, settings(tmp_path), stages(articles, log))

    ids = [r.id for r in review.records]
    assert ids == ["34091497", "33342583", "33847897", "ks0002", "ks0003", "ks0013", "ks0019"]
    by_id = {r.id: r for r in review.records}
    # A PMID two searches found is one record, counted under the first search.
    assert by_id["34091497"].source == Source("PubMed", "", "first", 1)
    assert ("searches", "first; second") in by_id["34091497"].extra
    assert by_id["33847897"].source.search == "second"
    assert by_id["33847897"].source.position == 2  # its place in the second search
    assert by_id["ks0003"].source.database == "Other websites"
    assert by_id["33342583"].title.startswith('"A Kratom Konundrum"')
    assert review.search_log == tuple(log)
    assert [i.database for i in review.imports] == ["Other websites"]
    assert [d.record_id for d in review.decisions] == ids


def test_extra_files_join_after_the_protocol_sources(
    protocol: Protocol, articles: dict[str, bytes], tmp_path: Path, fixtures_dir: Path
) -> None:
    extra = tmp_path / "more.csv"
    extra.write_text("id,title,doi\nx1,One more record,10.1/x\n", encoding="utf-8")
    run_settings = dataclasses.replace(settings(tmp_path), extra_files=(extra,))
    review = prepare_review(protocol, run_settings, stages(articles, [entry("first", [])]))
    assert [r.id for r in review.records][-1] == "x1"
    assert review.imports[-1].path == extra and review.imports[-1].database == ""


def test_only_canonical_records_are_screened(
    protocol: Protocol, articles: dict[str, bytes], tmp_path: Path
) -> None:
    log = [entry("first", ["33342583"])]
    review = prepare_review(
        protocol, settings(tmp_path), stages(articles, log, dedup=doi_duplicates)
    )
    # ks0003 carries ks0002's DOI in lower case: a duplicate, so it is not screened.
    assert [link.record_id for link in review.dedup.links] == ["ks0003"]
    assert "ks0003" not in {d.record_id for d in review.decisions}
    assert len(review.decisions) == len(review.records) - 1


def test_a_person_always_wins_and_stray_decisions_are_kept_apart(
    protocol: Protocol, articles: dict[str, bytes], tmp_path: Path
) -> None:
    people = [
        Decision("33342583", "title-abstract", "exclude", "not-kratom", by="ana", at="2026-11-26"),
        Decision("33342583", "full-text", "include", by="ana", at="2026-11-26"),
        Decision("ks0003", "title-abstract", "include", by="ana", at="2026-11-26"),  # a duplicate
        Decision("zz9", "title-abstract", "include", by="ana", at="2026-11-26"),  # no record
    ]
    log = [entry("first", ["33342583"])]
    review = prepare_review(
        protocol, settings(tmp_path), stages(articles, log, people=people, dedup=doi_duplicates)
    )
    effective = {(d.record_id, d.stage): d for d in review.decisions}
    assert effective[("33342583", "title-abstract")].outcome == "exclude"
    assert effective[("33342583", "title-abstract")].by == "ana"
    # Excluded at title/abstract: the full text is kept but set aside, not counted.
    assert ("33342583", "full-text") not in effective
    assert effective[("ks0013", "title-abstract")].by == "rules"
    # A decision on a duplicate counts for its group, named by the main copy.
    assert ("ks0003", "title-abstract") not in effective
    assert effective[("ks0002", "title-abstract")].by == "ana"
    assert [d.record_id for d in review.orphan_decisions] == ["zz9"]


def test_records_nlm_deleted_are_removed_before_screening(
    protocol: Protocol, articles: dict[str, bytes], tmp_path: Path
) -> None:
    def read_file(path: Path, database: str | None) -> ImportResult:
        return ImportResult((), deleted_pmids=("33847897",))

    log = [entry("first", ["33847897", "34091497"])]
    review = prepare_review(
        protocol, settings(tmp_path), stages(articles, log, read_file=read_file)
    )
    assert [(r.record_id, r.reason) for r in review.removals] == [("33847897", DELETED_BY_NLM)]
    assert [d.record_id for d in review.decisions] == ["34091497"]


def test_pmids_efetch_never_returned_are_not_looked_for(
    protocol: Protocol, articles: dict[str, bytes], tmp_path: Path
) -> None:
    log = [entry("first", ["33342583", "99999999"], unavailable=("99999999",))]
    review = prepare_review(protocol, settings(tmp_path), stages(articles, log))
    assert "99999999" not in {r.id for r in review.records}


def test_a_retrieved_pmid_without_stored_xml_is_an_error(
    protocol: Protocol, articles: dict[str, bytes], tmp_path: Path
) -> None:
    log = [entry("first", ["33342583", "12345678"])]
    with pytest.raises(CacheError, match=r"search 'first'.*1 of its PMIDs \(first: 12345678\)"):
        prepare_review(protocol, settings(tmp_path), stages(articles, log))


def test_run_writes_the_report_into_the_chosen_folder(
    protocol: Protocol, articles: dict[str, bytes], tmp_path: Path
) -> None:
    written: list[tuple[PreparedReview, Path]] = []
    out = tmp_path / "out"
    run_settings = dataclasses.replace(settings(tmp_path), out_dir=out)
    result = run(protocol, run_settings, stages(articles, [entry("first", [])], written=written))
    assert result.out_dir == out and result.files == (out / "report.md",)
    assert written == [(result.review, out)]
    assert RunSettings().report_dir(protocol) == Path("reports") / "tiny"


def test_clashing_ids_are_renamed_the_same_way_every_time() -> None:
    pubmed = Record("33342583", Source("PubMed", search="first", position=1))
    medline = Record("33342583", Source("Embase", file="embase.nbib", position=1))
    again = Record("33342583", Source("Embase", file="embase.nbib", position=2))
    renamed = unique_ids([pubmed, medline, again])
    assert [r.id for r in renamed] == ["33342583", "Embase:33342583", "embase.nbib:2"]
    assert unique_ids([pubmed, medline]) == renamed[:2]


def test_renamed_ids_are_said_once_per_file() -> None:
    """Decisions are kept by ID, so a reviewer must know which records were renamed."""
    pubmed = [
        Record(pmid, Source("PubMed", search="first", position=n))
        for n, pmid in enumerate(("24698080", "24698081", "24698082"), 1)
    ]
    embase = [
        Record(rid, Source("Embase", file="embase.ris", position=n))
        for n, rid in enumerate(("24698080", "1", "24698081", "24698082"), 1)
    ]
    again = [Record("1", Source("Scopus", file="scopus.csv", position=1))]
    records = [*pubmed, *embase, *again]
    renamed = unique_ids(records)
    assert [p.file for p in renamed_ids(records, renamed)] == ["embase.ris", "scopus.csv"]
    embase_note, scopus_note = renamed_ids(records, renamed)
    assert embase_note.message == (
        "3 records share an ID with an earlier record and are named 'Embase:<id>' "
        "(first: 24698080, also in the PubMed searches); screening decisions are kept "
        "under these names."
    )
    assert scopus_note.message == (
        "1 record shares an ID with an earlier record and is named 'Scopus:<id>' "
        "(first: 1, also in embase.ris); screening decisions are kept under this name."
    )
    assert (embase_note.position, embase_note.kept) == (0, True)
    assert renamed_ids(pubmed, unique_ids(pubmed)) == ()


def test_a_clash_renamed_by_position_says_so() -> None:
    records = [
        Record("7", Source("Embase", file="a.ris", position=1)),
        Record("7", Source("Embase", file="b.ris", position=1)),
        Record("7", Source("Embase", file="b.ris", position=2)),
    ]
    (note,) = renamed_ids(records, unique_ids(records))
    assert note.message.startswith(
        "2 records share an ID with an earlier record and are named 'Embase:<id>' or, "
        "where that is taken too, '<file>:<position>' (first: 7, also in a.ris); "
    )


def test_a_run_names_the_file_whose_records_were_renamed(
    protocol: Protocol, articles: dict[str, bytes], tmp_path: Path
) -> None:
    extra = tmp_path / "embase.csv"
    extra.write_text("id,title\n33342583,A clash with a PMID\n", encoding="utf-8")
    run_settings = dataclasses.replace(settings(tmp_path), extra_files=(extra,))
    written: list[tuple[PreparedReview, Path]] = []
    log = [entry("first", ["33342583"])]
    run(protocol, run_settings, stages(articles, log, written=written))
    ((review, _),) = written
    assert "Embase:33342583" in {r.id for r in review.records}
    (note,) = [p for p in review.problems if p.file == "embase.csv"]
    assert note.message.startswith("1 record shares an ID with an earlier record")


# --- where the PubMed answers come from --------------------------------------------------------


def write_snapshot(directory: Path, built_for: Protocol, **changes: object) -> None:
    directory.mkdir(parents=True)
    data: dict[str, object] = {
        "protocol": built_for.name,
        "date": "2026-11-26",
        "description": "Built for tests.",
        "queries": {s.name: s.query for s in built_for.searches},
    }
    data.update(changes)
    (directory / SNAPSHOT_MANIFEST).write_text(json.dumps(data), encoding="utf-8")


def test_without_flags_the_bundled_snapshot_is_replayed_offline(
    protocol: Protocol, tmp_path: Path
) -> None:
    example = tmp_path / "example"
    write_snapshot(example, protocol)
    plan = plan_search(protocol, RunSettings(example_dir=example))
    assert plan.cache_dir == example and plan.mode == "offline"
    assert plan.snapshot is not None and plan.snapshot.date == "2026-11-26"
    assert plan.provenance.startswith("bundled example snapshot dated 2026-11-26")
    assert "not a live PubMed search" in plan.provenance


@pytest.mark.parametrize(
    ("run_settings", "mode"),
    [
        (RunSettings(live=True), "cached"),
        (RunSettings(live=True, mode="refresh"), "refresh"),
        (RunSettings(mode="offline", live=False, example_dir=Path("nowhere")), "offline"),
    ],
)
def test_live_runs_and_other_protocols_use_the_working_cache(
    protocol: Protocol, tmp_path: Path, run_settings: RunSettings, mode: str
) -> None:
    example = tmp_path / "example"
    write_snapshot(example, protocol)
    if run_settings.example_dir != Path("nowhere"):
        run_settings = dataclasses.replace(run_settings, example_dir=example)
    plan = plan_search(protocol, run_settings)
    assert (plan.cache_dir, plan.mode, plan.snapshot) == (Path("cache"), mode, None)
    assert "live" in plan.provenance or "replayed" in plan.provenance


def test_a_snapshot_built_for_another_protocol_is_not_used(
    protocol: Protocol, tmp_path: Path
) -> None:
    example = tmp_path / "example"
    write_snapshot(example, protocol, protocol="other")
    plan = plan_search(protocol, RunSettings(example_dir=example))
    assert plan.snapshot is None and plan.cache_dir == Path("cache")


def test_an_edited_search_cannot_be_answered_from_the_snapshot(
    protocol: Protocol, tmp_path: Path
) -> None:
    example = tmp_path / "example"
    write_snapshot(example, protocol, queries={"first": "kratom[tiab]", "second": "old"})
    with pytest.raises(OfflineMiss, match=r"search 'second'.*--live"):
        plan_search(protocol, RunSettings(example_dir=example))


def test_a_search_with_new_date_limits_cannot_be_answered_from_the_snapshot(
    protocol: Protocol, tmp_path: Path
) -> None:
    example = tmp_path / "example"
    write_snapshot(example, protocol, limits={"first": "  pdat", "second": "1990 3000 pdat"})
    with pytest.raises(OfflineMiss, match=r"search 'second'.*another version"):
        plan_search(protocol, RunSettings(example_dir=example))


def test_the_snapshot_is_never_refreshed(protocol: Protocol, tmp_path: Path) -> None:
    example = tmp_path / "example"
    write_snapshot(example, protocol)
    with pytest.raises(CacheError, match="never changed"):
        plan_search(protocol, RunSettings(cache_dir=example, mode="refresh", live=True))
    plan = plan_search(protocol, RunSettings(cache_dir=example))
    assert plan.snapshot is not None and plan.mode == "offline"


def test_a_damaged_manifest_says_how_to_restore_it(protocol: Protocol, tmp_path: Path) -> None:
    example = tmp_path / "example"
    example.mkdir()
    (example / SNAPSHOT_MANIFEST).write_text("{", encoding="utf-8")
    with pytest.raises(CacheError, match="restore it from git"):
        plan_search(protocol, RunSettings(example_dir=example))


def test_a_working_cache_keeps_the_mode_asked_for(protocol: Protocol, tmp_path: Path) -> None:
    plan = plan_search(protocol, RunSettings(cache_dir=tmp_path, mode="offline"))
    assert (plan.cache_dir, plan.mode, plan.snapshot) == (tmp_path, "offline", None)


def test_the_report_names_each_source_with_its_date_and_note(
    protocol: Protocol, articles: dict[str, bytes], tmp_path: Path
) -> None:
    log = [entry("first", ["33342583"]), entry("second", ["33847897"])]
    real = dataclasses.replace(stages(articles, log), write_report=write_review_report)
    run_settings = dataclasses.replace(
        settings(tmp_path), out_dir=tmp_path / "out", generated_at="2026-11-26T13:00:00+00:00"
    )
    result = run(protocol, run_settings, real)
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["other_sources"] == [
        {
            "database": "Other websites",
            "file": "rows.csv",
            "records": 4,
            "exported_on": "2026-11-26",
            "problems": 0,
            "note": "four kratom-sample rows",
        }
    ]
    assert report["generated_at"] == "2026-11-26T13:00:00+00:00"
    assert report["snapshot"] is None  # searched "live" (here: by the fake search stage)
    assert tmp_path / "out" / "report.html" in result.files


@pytest.mark.parametrize("written", ['"2026-11-26"', "2026-11-26"])
def test_a_source_date_may_be_a_toml_date_or_text(tmp_path: Path, written: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(PROTOCOL_TOML.replace("2026-11-26", written), encoding="utf-8")
    assert load_protocol(path).sources[0].exported_on == "2026-11-26"


def test_a_source_date_that_is_not_a_day_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(PROTOCOL_TOML.replace("2026-11-26", '"26/11/2026"'), encoding="utf-8")
    with pytest.raises(ProtocolError, match=r"p.toml:\d+: sources\[0\].exported_on: '26/11/2026'"):
        load_protocol(path)


def real_dedup(records: Sequence[Record], people: PairDecisions) -> DedupResult:
    return deduplicate(records, pair_decisions=people.decisions, reviewers=people.reviewers)


def test_a_person_can_keep_apart_what_the_rules_would_merge(
    protocol: Protocol, articles: dict[str, bytes], tmp_path: Path
) -> None:
    log = [entry("first", [])]
    merged = prepare_review(protocol, settings(tmp_path), stages(articles, log, dedup=real_dedup))
    assert [(x.record_id, x.canonical_id) for x in merged.dedup.links] == [("ks0003", "ks0002")]

    pair_decisions_path(protocol).write_text(
        "first_id,second_id,decision,reviewer,note\nks0002,ks0003,reject,ana,\n", encoding="utf-8"
    )
    apart = prepare_review(protocol, settings(tmp_path), stages(articles, log, dedup=real_dedup))
    assert apart.dedup.links == ()
    assert {"ks0002", "ks0003"} <= {d.record_id for d in apart.decisions}


def test_a_pair_decisions_file_asked_for_must_exist(
    protocol: Protocol, articles: dict[str, bytes], tmp_path: Path
) -> None:
    missing = dataclasses.replace(settings(tmp_path), pair_decisions=tmp_path / "nope.csv")
    with pytest.raises(InputError, match=r"nope\.csv"):
        prepare_review(protocol, missing, stages(articles, [entry("first", [])]))


def test_pairs_too_close_to_call_are_written_for_a_person(
    protocol: Protocol, articles: dict[str, bytes], tmp_path: Path
) -> None:
    def undecided(records: Sequence[Record], people: PairDecisions) -> DedupResult:
        pair = CandidatePair("ks0002", "ks0013", 0.9, "close but not certain")
        return DedupResult(tuple(records), tuple(records), (), undecided=(pair,))

    log = [entry("first", ["33342583"]), entry("second", [])]
    real = dataclasses.replace(
        stages(articles, log, dedup=undecided), write_report=write_review_report
    )
    out = tmp_path / "out"
    result = run(protocol, dataclasses.replace(settings(tmp_path), out_dir=out), real)
    assert result.files[-1] == out / UNDECIDED_PAIRS
    lines = (out / UNDECIDED_PAIRS).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("first_id,second_id,decision,reviewer,note")
    assert lines[1].startswith("ks0002,ks0013,,")


def test_a_file_can_name_its_database_and_one_database_has_one_spelling(
    protocol: Protocol, articles: dict[str, bytes], tmp_path: Path
) -> None:
    named = tmp_path / "export.csv"
    named.write_text("id,title\ne1,An Embase record\n", encoding="utf-8")
    lower = tmp_path / "other.csv"
    lower.write_text("id,title,database\no1,Another,other WEBSITES\n", encoding="utf-8")
    run_settings = dataclasses.replace(
        settings(tmp_path), extra_files=(ImportSource(named, "embase"), lower)
    )
    review = prepare_review(protocol, run_settings, stages(articles, [entry("first", [])]))
    by_id = {r.id: r.source.database for r in review.records}
    assert by_id["e1"] == "Embase"
    assert by_id["o1"] == "Other websites"  # as the protocol's [[sources]] spells it
    assert [i.database for i in review.imports] == ["Other websites", "Embase", ""]
