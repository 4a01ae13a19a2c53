"""`review update`: a second run asks PubMed only for what it entered since the first."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from eutils_server import Corpus, EutilsServer, Hit

from review.cli import main
from review.decisions import DecisionStore
from review.entrez import EutilsSettings
from review.errors import ProtocolError
from review.history import History, RunEntry, SearchCount, read_history
from review.pipeline import RunSettings, run, update
from review.protocol import Search, load_protocol
from review.screen import Decision
from review.search import SearchLogEntry
from review.update import base_name, merge_updates, update_search, update_searches

PROTOCOL = """
schema_version = 1
name = "living"
title = "A living review"
question = "What is new about kratom?"

[[searches]]
name = "kratom"
query = "kratom[tiab]"

[[searches]]
name = "withdrawal"
query = "kratom[tiab] AND withdrawal[tiab]"
"""


def settings(server: EutilsServer, tmp_path: Path) -> RunSettings:
    return RunSettings(
        mode="cached",
        live=True,
        cache_dir=tmp_path / "cache",
        eutils=EutilsSettings(base_url=server.url, backoff_base=0.0),
        out_dir=tmp_path / "report",
    )


def test_an_update_fetches_and_queues_only_what_pubmed_added(tmp_path: Path) -> None:
    protocol_path = tmp_path / "living.toml"
    protocol_path.write_text(PROTOCOL, encoding="utf-8")
    protocol = load_protocol(protocol_path)
    corpus = Corpus()
    old = date(2020, 1, 1)
    kratom = corpus.add_search("kratom[tiab]", [Hit(p, old) for p in (101, 102, 103, 104)])
    withdrawal = corpus.add_search("kratom[tiab] AND withdrawal[tiab]", [Hit(103, old)])
    with EutilsServer(corpus) as server:
        first = run(protocol, settings(server, tmp_path))
        assert sorted(server.fetched_ids()) == ["101", "102", "103", "104"]
        # A person screens every record of the first run.
        with DecisionStore.for_protocol(protocol) as store:
            for n, record in enumerate(first.review.dedup.canonical):
                outcome = "include" if n % 2 else "exclude"
                reason = "" if outcome == "include" else "retracted"
                store.add(Decision(record.id, "title-abstract", outcome, reason, by="ana"))
        # PubMed enters two new records today; one also matches the second search.
        today = datetime.now(UTC).date()
        kratom.extend([Hit(105, today), Hit(106, today)])
        withdrawal.append(Hit(106, today))
        corpus.synthetic.update({"105", "106"})
        before = len(server.requests)
        second = update(protocol, settings(server, tmp_path))
        fetched = [
            i
            for r in server.requests[before:]
            if r.utility == "efetch"
            for i in r.params["id"].split(",")
        ]
        esearches = [r.params for r in server.requests[before:] if r.utility == "esearch"]

    # Only the new PMIDs were fetched, by entry-date searches since the first run's day.
    assert sorted(fetched) == ["105", "106"]
    assert {p["datetype"] for p in esearches} == {"edat"}
    assert {p["mindate"] for p in esearches} == {today.strftime("%Y/%m/%d")}
    review = second.review
    assert sorted(r.id for r in review.records) == ["101", "102", "103", "104", "105", "106"]
    # Every earlier decision counts; only the new records wait for a person.
    waiting = sorted(
        d.record_id
        for d in review.decisions
        if d.stage == "title-abstract" and d.outcome == "needs-human"
    )
    assert waiting == ["105", "106"]
    assert {d.record_id for d in review.human_decisions} == {"101", "102", "103", "104"}
    # The log the report reads holds each search's PMIDs, old and new.
    log = {e.name: e.pmids for e in review.search_log}
    assert set(log["kratom"]) == {"101", "102", "103", "104", "105", "106"}
    assert set(log["withdrawal"]) == {"103", "106"}
    # The history keeps both runs, with dates and counts per search (PRISMA-S).
    history = read_history(protocol)
    assert [r.kind for r in history.runs] == ["run", "update"]
    last = history.runs[-1]
    assert last.new_records == 2 and last.records == 6
    assert {(s.name, s.count, s.new) for s in last.searches} == {
        ("kratom", 2, 2),
        ("withdrawal", 1, 1),
    }
    # A plain run afterwards keeps what the update found, without asking PubMed.
    again = run(protocol, settings(server, tmp_path))
    assert len(again.review.records) == 6


def test_an_update_needs_an_earlier_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    protocol_path = tmp_path / "living.toml"
    protocol_path.write_text(PROTOCOL, encoding="utf-8")
    assert main(["update", str(protocol_path), "--quiet"]) == 1
    assert "no earlier run to update; run `review run" in capsys.readouterr().err


def test_an_update_search_limits_entry_date_and_keeps_its_own_dates() -> None:
    search = Search("cbt", "cbt[tiab]", mindate="1990", maxdate="3000")
    updated = update_search(search, "2026-11-26")
    assert updated.name == "cbt@2026-11-26" and base_name(updated.name) == "cbt"
    assert updated.query == "(cbt[tiab]) AND (1990:3000[dp])"
    assert (updated.mindate, updated.maxdate, updated.datetype) == ("2026/11/26", "3000", "edat")
    with pytest.raises(ProtocolError, match="datetype 'mdat'"):
        update_search(
            Search("x", "x", mindate="2000", maxdate="2001", datetype="mdat"), "2026-01-01"
        )


def test_earlier_updates_are_replayed_and_a_new_one_added(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(PROTOCOL, encoding="utf-8")
    protocol = load_protocol(path)
    earlier = RunEntry(
        2, "update", "", "2026-11-27", 0, 0, (SearchCount("kratom", 1, 1, "2026/11/20"),), ()
    )
    history = History(runs=(earlier,))
    names = [s.name for s in update_searches(protocol, history, "2026-12-01")]
    assert names == ["kratom@2026-11-20", "kratom@2026-12-01", "withdrawal@2026-12-01"]
    assert [s.name for s in update_searches(protocol, history)] == ["kratom@2026-11-20"]


def entry(
    name: str, pmids: tuple[str, ...], at: str = "2026-11-26T10:00:00+00:00"
) -> SearchLogEntry:
    return SearchLogEntry(name, "PubMed", "q", "q", "", "", "pdat", len(pmids), pmids, (), at, "0")


def test_merging_adds_only_pmids_the_search_did_not_have() -> None:
    merged, updates = merge_updates(
        [
            entry("a", ("1", "2")),
            entry("a@2026-11-26", ("2", "3"), "2026-12-01T10:00:00+00:00"),
            entry("b", ("4",)),
        ]
    )
    assert [(e.name, e.pmids, e.count) for e in merged] == [
        ("a", ("1", "2", "3"), 3),
        ("b", ("4",), 1),
    ]
    assert merged[0].searched_at.startswith("2026-12-01")
    assert [u.name for u in updates] == ["a@2026-11-26"]


def test_the_example_updates_from_its_snapshot_without_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    repo = Path(__file__).resolve().parent.parent
    (tmp_path / "queries").mkdir()
    shutil.copy(repo / "queries" / "kratom.toml", tmp_path / "queries")
    shutil.copytree(repo / "queries" / "sources", tmp_path / "queries" / "sources")
    shutil.copytree(repo / "cache" / "example", tmp_path / "cache" / "example")
    monkeypatch.chdir(tmp_path)
    assert main(["run", "queries/kratom.toml", "--quiet"]) == 0
    assert main(["update", "queries/kratom.toml", "--quiet"]) == 0
    assert "PubMed was not searched for new records" in capsys.readouterr().err
    report = json.loads(Path("reports/kratom/report.json").read_text("utf-8"))
    assert [r["kind"] for r in report["runs"]] == ["run", "update"]
