"""Running a protocol's searches end to end against the local E-utilities server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import pytest
from eutils_fixtures import API_KEY, EMAIL, STALLED_READ_TIMEOUT, FakeClock, make_client
from eutils_server import EutilsServer, Hit, make_corpus, real_articles, spread_hits
from lxml import etree

from review import __version__
from review import search as search_module
from review.cache import CACHE_FILE, Cache
from review.cli import main
from review.entrez import EutilsClient, EutilsSettings, RateLimiter, RetryPolicy
from review.errors import OfflineMiss, QueryError, RetriesExhausted
from review.protocol import Protocol, Search, load_protocol
from review.search import (
    SearchLogEntry,
    article_set_xml,
    iter_article_set,
    run_searches,
    search_log,
    search_protocol,
)

REPO = Path(__file__).resolve().parent.parent
KRATOM = REPO / "queries" / "kratom.toml"


def test_public_names_are_listed() -> None:
    assert all(hasattr(search_module, name) for name in search_module.__all__)


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    return load_protocol(KRATOM)


def _kratom_corpus(protocol: Protocol, big: bool = False) -> tuple[dict[str, list[Hit]], list[str]]:
    """Hits for each search of the first review, as the local PubMed will count them.

    `big` gives the first search more hits than esearch's window; the other tests use
    fewer so that the suite stays fast.
    """
    real = sorted(real_articles(), key=int)
    mitragynine, dependence, cbt = (s.query for s in protocol.searches)
    many = 10_400 if big else 1_200
    hits = {
        mitragynine: spread_hits(many, 30_000_000, date(1990, 1, 1), date(2024, 12, 31)),
        dependence: [
            *spread_hits(600, 30_005_000, date(2005, 1, 1), date(2024, 12, 31), seed=3),
            *(Hit(int(p), date(2001, 6, 1)) for p in real),
        ],
        cbt: spread_hits(40, 36_000_000, date(2015, 1, 1), date(2024, 12, 31), seed=4),
    }
    return hits, real


@pytest.fixture
def server(protocol: Protocol) -> Iterator[EutilsServer]:
    hits, _real = _kratom_corpus(protocol)
    with EutilsServer(make_corpus(list(hits.items())), slow_seconds=1.0) as running:
        yield running


@pytest.fixture
def big_server(protocol: Protocol) -> Iterator[EutilsServer]:
    hits, _real = _kratom_corpus(protocol, big=True)
    with EutilsServer(make_corpus(list(hits.items())), slow_seconds=30.0) as running:
        yield running


def _run(
    protocol: Protocol | tuple[Search, ...],
    cache_dir: Path,
    client: EutilsClient | None,
    mode: search_module.Mode = "cached",
) -> tuple[SearchLogEntry, ...]:
    searches = protocol.searches if isinstance(protocol, Protocol) else protocol
    with Cache.open(cache_dir) as cache:
        return run_searches(searches, cache, mode=mode, client=client)


def _cache_bytes(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


def test_kratom_searches_retrieve_every_pmid_despite_faults(
    protocol: Protocol, big_server: EutilsServer, tmp_path: Path
) -> None:
    server = big_server
    server.inject("503", "pass", "backend_failed", "truncated", utility="esearch")
    server.inject("pass", "429", "reset", "html", "empty", "timeout", utility="efetch")
    # The "timeout" stall lasts until the client gives up, after this read timeout.
    client = make_client(server, batch_size=1000, read_timeout=STALLED_READ_TIMEOUT)
    entries = _run(protocol, tmp_path, client)
    assert server.pending_faults() == 0
    hits, _real = _kratom_corpus(protocol, big=True)
    for entry, search in zip(entries, protocol.searches, strict=True):
        assert entry.name == search.name
        assert entry.query == search.query
        assert entry.count == len(hits[search.query])
        assert set(entry.pmids) == {str(h.pmid) for h in hits[search.query]}
        assert entry.retrieved == entry.count
        assert entry.unavailable == ()
        assert not entry.replayed
        assert entry.searched_at.endswith("+00:00")
    assert {e.tool_version for e in entries} == {__version__}
    assert entries[0].count > 9999  # the first search needed the date split
    assert server.count("esearch") > 4
    assert entries[2].mindate == "1990"
    assert entries[2].query_translation.endswith("AND 1990:3000[pdat]")
    with Cache.open(tmp_path) as cache:
        everything = [p for e in entries for p in e.pmids]
        assert cache.stored_pmids(everything) == set(everything)
        assert search_log(cache) == tuple(replace(e, replayed=False) for e in entries)
        # Each esearch answer is kept under its request (no secrets), with its time.
        rows = cache._db.execute("SELECT key, params, body, received_at FROM responses")
        kept = {key: (json.loads(params), body, at) for key, params, body, at in rows}
    assert len(kept) == server.count("esearch") - 3  # three esearch faults were not kept
    asked = {"db": "pubmed", "term": entries[0].query, "retmax": "9999"}
    params, body, at = kept[f"esearch?{urlencode(sorted(asked.items()))}"]
    assert dict(params) == {**asked, "tool": "review"}
    assert b"<Count>10400</Count>" in body
    assert at == entries[0].searched_at
    stored = _cache_bytes(tmp_path)
    for failure in (b"Search Backend failed", b"Unable to obtain", b"rate limit", b"<html"):
        assert failure not in stored  # no error answer was kept


def test_offline_replay_is_identical_and_sends_nothing(
    protocol: Protocol, server: EutilsServer, tmp_path: Path
) -> None:
    live = _run(protocol, tmp_path, make_client(server, batch_size=2000))
    server.requests.clear()
    # Offline builds no client at all; a URL that cannot answer proves nothing was sent.
    nowhere = EutilsSettings(base_url="http://127.0.0.1:9/")
    replayed = search_protocol(protocol, cache_dir=tmp_path, settings=nowhere, mode="offline")
    assert server.requests == []
    assert all(entry.replayed for entry in replayed)
    assert tuple(replace(e, replayed=False) for e in replayed) == live
    with Cache.open(tmp_path) as cache:
        document = article_set_xml(cache, replayed[1].pmids)
    root = etree.fromstring(document)
    assert root.tag == "PubmedArticleSet"
    pmids = [a.findtext("MedlineCitation/PMID") or a.findtext("BookDocument/PMID") for a in root]
    assert pmids == list(replayed[1].pmids)


def test_a_copied_cache_folder_replays_elsewhere(
    protocol: Protocol, server: EutilsServer, tmp_path: Path
) -> None:
    live = _run(protocol, tmp_path / "a", make_client(server, batch_size=2000))
    (tmp_path / "a").rename(tmp_path / "b")
    replayed = _run(protocol, tmp_path / "b", None, mode="offline")
    assert [e.pmids for e in replayed] == [e.pmids for e in live]


def test_the_api_key_and_email_are_in_no_byte_of_the_cache(
    protocol: Protocol, server: EutilsServer, tmp_path: Path
) -> None:
    server.inject("429", utility="efetch")
    _run(protocol, tmp_path, make_client(server, batch_size=2000))
    assert any(r.params.get("api_key") == API_KEY for r in server.requests)  # it was sent
    stored = _cache_bytes(tmp_path)
    assert len(stored) > 500_000
    for secret in (API_KEY, EMAIL):
        for form in (secret.encode(), secret.encode("utf-16-le"), secret.replace("@", "%40")):
            assert (form if isinstance(form, bytes) else form.encode()) not in stored


def test_a_rerun_reuses_the_cache_without_any_request(
    protocol: Protocol, server: EutilsServer, tmp_path: Path
) -> None:
    first = _run(protocol, tmp_path, make_client(server, batch_size=2000))
    server.requests.clear()
    again = _run(protocol, tmp_path, make_client(server, batch_size=2000))
    assert server.requests == []
    assert [e.pmids for e in again] == [e.pmids for e in first]
    assert all(e.replayed for e in again)


def test_refresh_searches_again_and_fetches_only_new_pmids(
    protocol: Protocol, server: EutilsServer, tmp_path: Path
) -> None:
    cbt = protocol.searches[2]
    first = _run((cbt,), tmp_path, make_client(server))
    new = [Hit(37_000_000 + n, date(2025, 3, 1)) for n in range(5)]
    server.corpus.add_search(cbt.query, [*server.corpus.searches[cbt.query], *new])
    server.requests.clear()
    cached = _run((cbt,), tmp_path, make_client(server))
    assert cached[0].pmids == first[0].pmids  # without --refresh the stored search answers
    assert server.requests == []
    refreshed = _run((cbt,), tmp_path, make_client(server), mode="refresh")
    assert refreshed[0].count == first[0].count + 5
    assert not refreshed[0].replayed
    assert sorted(server.fetched_ids()) == sorted(str(h.pmid) for h in new)
    with Cache.open(tmp_path) as cache:
        assert len(search_log(cache)) == 2  # both live runs are in the log


def test_offline_without_a_stored_search_names_the_search(
    protocol: Protocol, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(OfflineMiss) as info:
        _run(protocol, cache, None, mode="offline")
    assert str(info.value) == (
        f"search 'mitragynine': {cache} holds no run of this search (with this query and "
        "these dates); search PubMed with --live first."
    )


def test_offline_with_articles_missing_names_the_search(
    protocol: Protocol, server: EutilsServer, tmp_path: Path
) -> None:
    cbt = protocol.searches[2]
    entries = _run((cbt,), tmp_path, make_client(server))
    with Cache.open(tmp_path) as cache, cache._transaction():  # lose one article
        cache._db.execute("DELETE FROM articles WHERE pmid = ?", (entries[0].pmids[3],))
    with pytest.raises(OfflineMiss, match=r"^search 'cbt': 1 of its 40 articles are not"):
        _run((cbt,), tmp_path, None, mode="offline")


def test_pmids_efetch_does_not_return_are_asked_twice_then_reported(
    protocol: Protocol, server: EutilsServer, tmp_path: Path
) -> None:
    cbt = protocol.searches[2]
    gone = [str(h.pmid) for h in server.corpus.searches[cbt.query][:2]]
    server.corpus.withheld.update(gone)
    entries = _run((cbt,), tmp_path, make_client(server, batch_size=15))
    assert set(entries[0].unavailable) == set(gone)
    assert server.fetched_ids().count(gone[0]) == 2
    assert entries[0].retrieved == 40  # esearch found them; the log says which lack a record
    replay = _run((cbt,), tmp_path, None, mode="offline")  # and offline accepts that
    assert replay[0].unavailable == entries[0].unavailable
    server.requests.clear()
    cached = _run((cbt,), tmp_path, make_client(server, batch_size=15))
    assert server.requests == []  # a cached re-run does not ask a third time
    assert cached[0].unavailable == entries[0].unavailable
    refreshed = _run((cbt,), tmp_path, make_client(server, batch_size=15), mode="refresh")
    assert sorted(server.fetched_ids()) == sorted(gone * 2)  # --refresh does, twice
    assert refreshed[0].unavailable == entries[0].unavailable
    with Cache.open(tmp_path) as cache:
        text = b"".join(iter_article_set(cache, entries[0].pmids))
    assert len(etree.fromstring(text)) == 38


def test_a_query_error_names_the_search_and_is_not_retried(
    protocol: Protocol, server: EutilsServer, tmp_path: Path
) -> None:
    server.inject("invalid", utility="esearch")
    with pytest.raises(QueryError) as caught:
        _run(protocol, tmp_path, make_client(server))
    message = str(caught.value)
    assert message.startswith("search 'mitragynine': NCBI rejected the request: Invalid db")
    assert message.endswith("Check the query in the protocol and --eutils-url.")
    assert server.count("esearch") == 1


def test_exhausted_retries_keep_what_was_fetched(
    protocol: Protocol, server: EutilsServer, tmp_path: Path
) -> None:
    cbt = protocol.searches[2]
    server.inject("pass", "500", "500", "500", utility="efetch")
    with pytest.raises(RetriesExhausted, match=r"^search 'cbt': efetch failed 3 times"):
        _run((cbt,), tmp_path, make_client(server, batch_size=10, max_retries=2))
    with Cache.open(tmp_path) as cache:
        assert cache.article_count() == 10
    server.requests.clear()
    entries = _run((cbt,), tmp_path, make_client(server, batch_size=10))
    assert server.count("esearch") == 0  # the search itself was already logged
    assert len(server.fetched_ids()) == 30
    assert entries[0].retrieved == 40


def test_no_hits_is_logged_with_its_warnings(server: EutilsServer, tmp_path: Path) -> None:
    entries = _run((Search("nothing", "abcXYZ"),), tmp_path, make_client(server))
    assert entries[0].count == 0
    assert entries[0].pmids == ()
    assert entries[0].warnings == ("Phrase not found: abcXYZ", "No items found.")


# --- kill -9 and resume ----------------------------------------------------------------

KILL_PROTOCOL = """
schema_version = 1
name = "killed"
title = "A run killed half-way"
question = "Does a killed run resume?"

[[searches]]
name = "many"
query = "many records"
"""


def test_a_run_killed_half_way_resumes_without_refetching(tmp_path: Path) -> None:
    corpus = make_corpus(
        [("many records", spread_hits(3000, 32_000_000, date(2020, 1, 1), date(2021, 1, 1)))]
    )
    protocol_file = tmp_path / "killed.toml"
    protocol_file.write_text(KILL_PROTOCOL, encoding="utf-8")
    cache_dir = tmp_path / "cache"
    with EutilsServer(corpus) as server:
        server.efetch_delay = 0.1
        command = _search_command(protocol_file, server, cache_dir)
        with (tmp_path / "stderr.txt").open("wb") as stderr:
            child = subprocess.Popen(command, env=_env_with_key(), stderr=stderr)
        stored = _wait_for_articles(cache_dir / CACHE_FILE, at_least=300, child=child)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        assert child.returncode == -signal.SIGKILL

        db = sqlite3.connect(cache_dir / CACHE_FILE)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        before = {row[0] for row in db.execute("SELECT pmid FROM articles")}
        db.close()
        assert stored <= len(before) < 3000

        server.requests.clear()
        server.efetch_delay = 0
        entries = _run(load_protocol(protocol_file), cache_dir, make_client(server))
        assert entries[0].retrieved == 3000
        fetched = server.fetched_ids()
        assert server.count("esearch") == 0
        assert not set(fetched) & before  # nothing stored before the kill is fetched again
        assert set(fetched) | before == set(entries[0].pmids)
    assert API_KEY.encode() not in _cache_bytes(cache_dir)


def test_two_runs_on_one_cache_at_once_both_finish_intact(tmp_path: Path) -> None:
    corpus = make_corpus(
        [("many records", spread_hits(800, 33_000_000, date(2020, 1, 1), date(2021, 1, 1)))]
    )
    protocol_file = tmp_path / "twice.toml"
    protocol_file.write_text(KILL_PROTOCOL, encoding="utf-8")
    cache_dir = tmp_path / "cache"
    with EutilsServer(corpus) as server:
        server.efetch_delay = 0.02
        command = _search_command(protocol_file, server, cache_dir)
        runs = [
            subprocess.Popen(command, env=_env_with_key(), stdout=subprocess.DEVNULL)
            for _ in range(2)
        ]
        assert [run.wait(timeout=120) for run in runs] == [0, 0]
    db = sqlite3.connect(cache_dir / CACHE_FILE)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 800
    assert db.execute("SELECT count(*) FROM search_runs").fetchone()[0] in (1, 2)
    db.close()


def _search_command(protocol_file: Path, server: EutilsServer, cache_dir: Path) -> list[str]:
    """`review search` as a separate process, against the local server, 100 PMIDs a batch."""
    return [
        sys.executable, "-m", "review", "search", str(protocol_file), "--live", "--quiet",
        "--eutils-url", server.url, "--cache", str(cache_dir), "--batch-size", "100",
    ]  # fmt: skip


def _env_with_key() -> dict[str, str]:
    return {**os.environ, "NCBI_API_KEY": API_KEY}


def _wait_for_articles(path: Path, *, at_least: int, child: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise AssertionError(f"the run ended early with code {child.returncode}")
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
            count = int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
            db.close()
        except sqlite3.OperationalError:
            count = 0  # not created yet
        if count >= at_least:
            return count
        time.sleep(0.05)
    raise AssertionError("the run stored nothing in 60 s")


# --- the command ------------------------------------------------------------------------


def test_review_search_then_offline_gives_the_same_pmids(
    protocol: Protocol,
    big_server: EutilsServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The issue's "Done when", through the command: every transient fault injected."""
    server = big_server
    monkeypatch.setattr(RetryPolicy, "delay", lambda *args: 0.0)  # retry without waiting
    server.inject("503", "backend_failed", "truncated", "pass", "cut_body", utility="esearch")
    server.inject("html", "empty", "pass", "unable_to_obtain_query", "reset", utility="esearch")
    server.inject("429", "500", "502", "pass", "close", "reset", "empty", utility="efetch")
    server.inject(
        "pass", "truncated", "html", "cut_body", "unable_to_obtain_query", utility="efetch"
    )
    cache = str(tmp_path / "cache")
    common = ["search", str(KRATOM), "--cache", cache, "--json", "--quiet"]
    live = ["--live", "--eutils-url", server.url, "--api-key", API_KEY, "--batch-size", "3000"]
    assert main([*common, *live]) == 0
    printed = json.loads(capsys.readouterr().out)
    hits, _real = _kratom_corpus(protocol, big=True)
    assert [(p["name"], p["count"], p["retrieved"]) for p in printed] == [
        (s.name, len(hits[s.query]), len(hits[s.query])) for s in protocol.searches
    ]
    assert printed[0]["query"] == protocol.searches[0].query
    assert printed[0]["query_translation"] == protocol.searches[0].query
    assert server.pending_faults() == 0  # every fault was met, and retried
    with Cache.open(cache) as opened:
        live_log = search_log(opened)
    for entry, search in zip(live_log, protocol.searches, strict=True):
        assert set(entry.pmids) == {str(h.pmid) for h in hits[search.query]}
        assert len(entry.pmids) == len(set(entry.pmids))
    sent = len(server.requests)
    assert main([*common, "--offline", "--eutils-url", server.url]) == 0  # a request would show
    assert len(server.requests) == sent
    replayed = json.loads(capsys.readouterr().out)
    assert [(p["count"], p["retrieved"]) for p in replayed] == [
        (p["count"], p["retrieved"]) for p in printed
    ]
    with Cache.open(cache) as opened:
        assert search_log(opened) == live_log  # a replay adds no run to the log
        entries = _run(protocol, Path(cache), None, mode="offline")
    assert [e.pmids for e in entries] == [e.pmids for e in live_log]


def test_review_search_offline_miss_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "never-made"
    code = main(["search", str(KRATOM), "--cache", str(folder), "--offline", "--quiet"])
    assert code == 1
    err = capsys.readouterr().err
    assert err == (
        f"Error: search 'mitragynine': {folder} holds no search cache yet; search PubMed "
        "with --live first (or point --cache at a copied cache folder).\n"
    )
    assert err.count("\n") == 1
    assert not folder.exists()  # offline creates nothing


def test_review_search_prints_warnings_and_a_summary(
    server: EutilsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    protocol_file = tmp_path / "p.toml"
    protocol_file.write_text(KILL_PROTOCOL.replace('"many records"', '"abcXYZ"'), encoding="utf-8")
    code = main(
        ["search", str(protocol_file), "--live", "--cache", str(tmp_path / "c"), "--eutils-url",
         server.url, "--api-key", API_KEY]
    )  # fmt: skip
    assert code == 0
    out, err = capsys.readouterr()
    assert "Warning: search 'many': Phrase not found: abcXYZ" in err
    assert out.startswith("many: Count 0, retrieved 0 (searched ")


@pytest.mark.shared
def test_real_kratom_records_survive_the_cache_and_parse(shared_dir: Path, tmp_path: Path) -> None:
    import io

    from review.formats.pubmed_xml import iter_pubmed_xml
    from review.records import Record

    source = shared_dir / "data" / "pubmed" / "kratom_records_from_pubmed21n1298.xml"
    parser = etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False)
    originals = {
        a.findtext("MedlineCitation/PMID") or "": a
        for a in etree.parse(str(source), parser).getroot()
    }
    corpus = make_corpus()
    corpus.articles.update({p: etree.tostring(a) for p, a in originals.items()})
    corpus.add_search("kratom", [Hit(int(p), date(2021, 5, 1)) for p in originals])
    with EutilsServer(corpus) as server:
        entries = _run((Search("kratom", "kratom"),), tmp_path, make_client(server))
    assert sorted(entries[0].pmids) == sorted(originals)
    with Cache.open(tmp_path) as cache:
        document = article_set_xml(cache, entries[0].pmids)
    stored = etree.fromstring(document)
    for article in stored:
        pmid = article.findtext("MedlineCitation/PMID") or ""
        assert etree.tostring(article, method="c14n") == etree.tostring(
            originals[pmid], method="c14n"
        )
    records = [r for r in iter_pubmed_xml(io.BytesIO(document)) if isinstance(r, Record)]
    assert len(records) == len(originals) == 4


def test_review_search_reads_url_email_and_key_from_the_environment(
    server: EutilsServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("REVIEW_EUTILS_URL", server.url)
    monkeypatch.setenv("NCBI_EMAIL", EMAIL)
    monkeypatch.setenv("NCBI_API_KEY", API_KEY)
    protocol_file = tmp_path / "p.toml"
    protocol_file.write_text(KILL_PROTOCOL.replace('"many records"', '"abcXYZ"'), "utf-8")
    command = ["search", str(protocol_file), "--live", "--cache", str(tmp_path / "c"), "--quiet"]
    assert main(command) == 0
    sent = server.requests[0].params
    assert (sent["email"], sent["api_key"], sent["tool"]) == (EMAIL, API_KEY, "review")
    assert API_KEY not in capsys.readouterr().out


def test_progress_shows_the_total_first_then_each_batch(
    server: EutilsServer, tmp_path: Path
) -> None:
    calls: list[tuple[str, int, int]] = []
    searches = (Search("small", "many"),)
    server.corpus.add_search("many", spread_hits(250, 1000, date(2020, 1, 1), date(2020, 2, 1)))
    with Cache.open(tmp_path) as cache:
        run_searches(searches, cache, client=make_client(server, batch_size=100),
                     progress=lambda *call: calls.append(call))  # fmt: skip
    assert calls == [
        ("small", 0, 250),  # as soon as esearch counts
        ("small", 0, 250),  # nothing stored yet
        ("small", 100, 250),
        ("small", 200, 250),
        ("small", 250, 250),
    ]


def test_review_search_query_error_is_one_line_and_not_retried(
    server: EutilsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.inject("invalid", utility="esearch")
    cache = tmp_path / "c"
    code = main(["search", str(KRATOM), "--live", "--cache", str(cache), "--eutils-url", server.url,
                 "--api-key", API_KEY, "--quiet"])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: search 'mitragynine': NCBI rejected the request: Invalid db")
    assert err.count("\n") == 1
    assert server.count("esearch") == 1
    with Cache.open(cache) as opened:
        assert search_log(opened) == ()  # a refused search is not logged as run


def test_review_search_with_a_malformed_url_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["search", str(KRATOM), "--live", "--cache", str(tmp_path / "c"), "--eutils-url",
                 "eutils.example/", "--quiet"])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: search 'mitragynine': cannot send a request to eutils.example/")
    assert err.count("\n") == 1


def test_review_search_never_writes_to_a_snapshot_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot = tmp_path / "example"
    shutil.copytree(REPO / "cache" / "example", snapshot)
    before = {p.name: p.read_bytes() for p in snapshot.iterdir()}
    for mode in (["--live"], ["--refresh"]):
        code = main(["search", str(KRATOM), "--cache", str(snapshot), "--quiet",
                     "--eutils-url", "http://127.0.0.1:9/", *mode])  # fmt: skip
        assert code == 1
        err = capsys.readouterr().err
        assert err == (
            f"Error: {snapshot} is a bundled example snapshot, which is never changed: "
            "replay it without --live and --refresh, or search PubMed into another folder with "
            "--cache DIR.\n"
        )
    assert main(["search", str(KRATOM), "--cache", str(snapshot), "--json"]) == 0
    replayed = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in replayed] == ["mitragynine", "kratom-dependence", "cbt"]
    assert all(p["replayed"] for p in replayed)
    assert {p.name: p.read_bytes() for p in snapshot.iterdir()} == before


def test_one_rate_limiter_paces_every_search_of_the_run(
    protocol: Protocol, server: EutilsServer, tmp_path: Path
) -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, clock=clock, sleep=clock.sleep)
    settings = EutilsSettings(base_url=server.url, batch_size=500)
    search_protocol(protocol, cache_dir=tmp_path, settings=settings, rate_limiter=limiter)
    sent = len(server.requests)
    assert {r.utility for r in server.requests} == {"esearch", "efetch"}
    assert sent >= 3 + 3  # each search's esearch and efetch went through this limiter
    assert clock.now - 1000.0 == pytest.approx((sent - 1) * limiter.interval)


def test_a_run_stopped_while_splitting_resumes_from_its_esearch_answers(
    protocol: Protocol, big_server: EutilsServer, tmp_path: Path
) -> None:
    server = big_server
    mitragynine = protocol.searches[0]
    server.inject("pass", "pass", "500", utility="esearch")  # the third esearch fails
    with pytest.raises(RetriesExhausted):
        _run((mitragynine,), tmp_path, make_client(server, max_retries=0))
    with Cache.open(tmp_path) as cache:
        assert search_log(cache) == ()  # the search did not finish, so it is not logged
    server.requests.clear()
    entries = _run((mitragynine,), tmp_path, make_client(server))
    resumed = server.count("esearch")
    assert entries[0].retrieved == entries[0].count == 10_400
    server.requests.clear()
    refreshed = _run((mitragynine,), tmp_path, make_client(server), mode="refresh")
    assert server.count("efetch") == 0
    # --refresh asks PubMed everything anew; the resumed run did not re-send the two
    # answers stored before it stopped.
    assert server.count("esearch") == resumed + 2
    assert refreshed[0].pmids == entries[0].pmids


def test_review_search_shows_progress_unless_quiet_and_warns_of_missing_pmids(
    protocol: Protocol, server: EutilsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cbt = protocol.searches[2]
    gone = str(server.corpus.searches[cbt.query][0].pmid)
    server.corpus.withheld.add(gone)
    protocol_file = tmp_path / "cbt.toml"
    protocol_file.write_text(
        KILL_PROTOCOL.replace('"many records"', json.dumps(cbt.query)), encoding="utf-8"
    )
    command = ["search", str(protocol_file), "--live", "--eutils-url", server.url]
    command += ["--api-key", API_KEY]
    assert main([*command, "--cache", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "many" in err and "40/40" in err and "articles" in err  # the bar, finished
    assert f"Warning: search 'many': PubMed did not return 1 PMID: {gone}\n" in err
    assert main([*command, "--cache", str(tmp_path / "b"), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "40/40" not in err
    assert "Warning: search 'many': PubMed did not return 1 PMID" in err  # quiet, not mute


def test_review_search_chooses_its_cache_as_review_run_does() -> None:
    from review.cli import build_parser

    # No --cache: the search plan picks cache/ or the bundled snapshot (review.search_plan).
    assert build_parser().parse_args(["search", str(KRATOM)]).cache is None
    assert build_parser().parse_args(["run", str(KRATOM)]).cache is None


def test_review_search_out_of_retries_is_one_line_and_keeps_what_was_fetched(
    protocol: Protocol,
    server: EutilsServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(RetryPolicy, "delay", lambda *args: 0.0)  # retry without waiting
    server.inject("pass", *["503"] * 6, utility="efetch")  # the second batch never comes
    command = [
        "search",
        str(KRATOM),
        "--live",
        "--cache",
        str(tmp_path),
        "--eutils-url",
        server.url,
    ]
    command += ["--api-key", API_KEY, "--quiet", "--batch-size", "500"]
    assert main(command) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: search 'mitragynine': efetch failed 6 times, last with HTTP 503;")
    assert "what was already fetched is kept" in err
    assert err.count("\n") == 1
    with Cache.open(tmp_path) as cache:
        assert cache.article_count() == 500
        kept = {pmid for pmid, _xml in cache.articles([str(30_000_000 + n) for n in range(1200)])}
    server.requests.clear()
    assert main(command) == 0
    assert server.count("esearch") == 2  # the first search was logged; the others now run
    fetched = server.fetched_ids()
    assert not kept & set(fetched)  # nothing kept is fetched again
    assert len(fetched) == 1200 - 500 + 600 + 40 + len(real_articles())


def test_review_search_on_a_full_disk_is_one_line_and_the_cache_stays_sound(
    server: EutilsServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened = Cache.open

    def full_after_opening(folder: Path | str) -> Cache:
        cache = opened(folder)
        pages = cache._db.execute("PRAGMA page_count").fetchone()[0]
        cache._db.execute(f"PRAGMA max_page_count = {pages + 2}")  # then the disk is full
        return cache

    monkeypatch.setattr(Cache, "open", full_after_opening)
    command = [
        "search",
        str(KRATOM),
        "--live",
        "--cache",
        str(tmp_path),
        "--eutils-url",
        server.url,
    ]
    assert main([*command, "--api-key", API_KEY, "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"Error: {tmp_path / CACHE_FILE}: cannot write the cache (database")
    assert err.endswith("is the disk full?\n") and err.count("\n") == 1
    with opened(tmp_path) as cache:
        assert cache._db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert cache.search_runs() == ()  # no run is logged as if it had finished


def test_the_by_hand_procedure_with_the_server_script(tmp_path: Path) -> None:
    """The README-style check: serve the protocol, search it, replay it offline."""
    server_script = REPO / "tests" / "eutils_server.py"
    server = subprocess.Popen(
        [sys.executable, str(server_script), str(KRATOM), "300", "30", "10", "--no-faults"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        review = [sys.executable, "-m", "review", "search", str(KRATOM), "--quiet", "--json"]
        review += ["--cache", str(tmp_path), "--eutils-url", url, "--api-key", API_KEY]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        live = subprocess.run(
            [*review, "--live"], capture_output=True, text=True, env=env, check=True
        )
        replay = subprocess.run(review, capture_output=True, text=True, env=env, check=True)
    finally:
        server.send_signal(signal.SIGTERM)
        _out, served = server.communicate(timeout=10)
    counts = [(p["count"], p["retrieved"]) for p in json.loads(live.stdout)]
    assert counts == [(300, 300), (30, 30), (10, 10)]
    assert [(p["count"], p["retrieved"]) for p in json.loads(replay.stdout)] == counts
    # One esearch and one efetch per search, and nothing more for the replay.
    assert served == "6 requests served (3 esearch, 3 efetch); 0 faults not met\n"


def test_a_wrong_api_key_is_named_as_the_problem_not_the_query(
    server: EutilsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.inject("bad_key", utility="esearch")
    code = main(["search", str(KRATOM), "--cache", str(tmp_path / "c"), "--refresh", "--quiet",
                 "--eutils-url", server.url, "--api-key", API_KEY])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: search 'mitragynine': NCBI refused the API key (HTTP 400: ")
    assert "check --api-key or NCBI_API_KEY" in err
    assert "query" not in err.lower()
    assert API_KEY not in err
    assert err.count("\n") == 1
    assert server.count("esearch") == 1  # not retried


def test_plain_review_search_replays_and_says_to_add_live(
    server: EutilsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`review search` agrees with `review run`: plain replays, only --live sends."""
    cache = tmp_path / "cache"
    command = ["search", str(KRATOM), "--cache", str(cache), "--eutils-url", server.url]
    command += ["--api-key", API_KEY, "--quiet"]
    assert main(command) == 1
    assert server.requests == []
    err = capsys.readouterr().err
    assert err == (
        f"Error: search 'mitragynine': {cache} holds no search cache yet; search PubMed "
        "with --live first (or point --cache at a copied cache folder).\n"
    )
    assert main([*command, "--live"]) == 0
    sent = len(server.requests)
    capsys.readouterr()
    assert main(command) == 0  # now a replay
    assert len(server.requests) == sent
    assert "(from the cache)" in capsys.readouterr().out


def test_a_cache_folder_named_cache_is_named_once(
    protocol: Protocol, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not "the cache cache has no run": the folder's name is not a description of it."""
    monkeypatch.chdir(tmp_path)
    Cache.open("cache").close()
    with pytest.raises(OfflineMiss) as info:
        search_protocol(protocol, cache_dir="cache", mode="offline")
    assert "cache cache" not in str(info.value)
    assert str(info.value).startswith("search 'mitragynine': cache holds no run of this search")
