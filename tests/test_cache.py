"""The SQLite cache: atomic batches, concurrent writers, damage, copying the folder."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from review.cache import CACHE_FILE, Cache
from review.errors import CacheError

ARTICLE = b"<PubmedArticle><MedlineCitation><PMID>%d</PMID></MedlineCitation></PubmedArticle>"


def _articles(first: int, count: int) -> list[tuple[str, bytes]]:
    return [(str(n), ARTICLE % n) for n in range(first, first + count)]


def test_open_creates_the_folder_in_wal_mode(tmp_path: Path) -> None:
    folder = tmp_path / "deep" / "cache"
    with Cache.open(folder) as cache:
        assert cache.path == folder / CACHE_FILE
    db = sqlite3.connect(folder / CACHE_FILE)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_articles_round_trip_in_the_order_asked(tmp_path: Path) -> None:
    with Cache.open(tmp_path) as cache:
        cache.store_articles(_articles(1, 2000), "2025-01-01T00:00:00+00:00")
        wanted = ["1500", "7", "99999", "3"]
        assert [p for p, _ in cache.articles(wanted)] == ["1500", "7", "3"]
        assert dict(cache.articles(["7"]))["7"] == ARTICLE % 7
        many = [str(n) for n in range(1, 2100)]
        assert len(cache.stored_pmids(many)) == 2000  # more PMIDs than one SQL statement takes
        assert cache.article_count() == 2000


def test_a_batch_is_stored_whole_or_not_at_all(tmp_path: Path) -> None:
    with Cache.open(tmp_path) as cache:
        broken: list[tuple[str, bytes]] = [*_articles(1, 5), ("6", None)]  # type: ignore[list-item]
        with pytest.raises(CacheError, match="cannot write the cache"):
            cache.store_articles(broken, "t")
        assert cache.article_count() == 0
        cache.store_articles(_articles(1, 5), "t")  # the connection is still usable
        assert cache.article_count() == 5


def fill_the_disk(db: sqlite3.Connection) -> None:
    """Make the file unable to grow, as a full disk does (SQLITE_FULL on the next page)."""
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")


def test_a_full_disk_is_a_cache_error_and_keeps_what_was_stored(tmp_path: Path) -> None:
    # SQLite rolls a transaction back itself on SQLITE_FULL; a second ROLLBACK must not
    # hide the message that says what to do.
    with Cache.open(tmp_path) as cache:
        cache.store_articles(_articles(1, 5), "t")
        fill_the_disk(cache._db)
        with pytest.raises(CacheError, match=r"database or disk is full\); is the disk full\?"):
            cache.store_articles(_articles(6, 500), "t")
        with pytest.raises(CacheError, match="is the disk full"):
            cache.add_search_run("key", "a", "2025-01-01", "x" * 100_000)
        assert cache.article_count() == 5


def test_search_runs_are_appended_and_the_latest_wins(tmp_path: Path) -> None:
    with Cache.open(tmp_path) as cache:
        first = cache.add_search_run("key", "a", "2025-01-01", '{"n": 1}')
        second = cache.add_search_run("key", "a", "2025-02-01", '{"n": 2}')
        cache.add_search_run("other", "b", "2025-02-01", '{"n": 3}')
        cache.update_search_run(second, '{"n": 22}')
        latest = cache.latest_search_run("key")
        assert latest is not None
        assert (latest.run_id, latest.entry) == (second, '{"n": 22}')
        assert first < second
        assert [r.entry for r in cache.search_runs()] == ['{"n": 1}', '{"n": 22}', '{"n": 3}']
        assert cache.latest_search_run("missing") is None


def test_responses_are_kept_with_their_time(tmp_path: Path) -> None:
    with Cache.open(tmp_path) as cache:
        cache.store_response("esearch?term=x", "esearch", [("term", "x")], b"<a/>", "T1")
        cache.store_response("esearch?term=x", "esearch", [("term", "x")], b"<b/>", "T2")
        assert cache.response("esearch?term=x") == (b"<b/>", "T2")
        assert cache.response("esearch?term=y") is None


def test_a_damaged_file_is_one_line_naming_it(tmp_path: Path) -> None:
    (tmp_path / CACHE_FILE).write_bytes(b"this is not a database" * 100)
    with pytest.raises(CacheError) as caught:
        Cache.open(tmp_path)
    message = str(caught.value)
    assert str(tmp_path / CACHE_FILE) in message
    assert "\n" not in message
    # Deleting the cache would throw away the recorded searches: never the advice.
    assert "delete" not in message
    assert message.endswith(
        "restore it from a copy (it holds the recorded searches), or search into another "
        "folder with --cache DIR."
    )
    with pytest.raises(CacheError) as caught:
        Cache.open(tmp_path, read_only=True)
    assert "delete" not in str(caught.value)


def test_a_cache_from_another_schema_version_is_refused(tmp_path: Path) -> None:
    with Cache.open(tmp_path):
        pass
    db = sqlite3.connect(tmp_path / CACHE_FILE)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    with pytest.raises(CacheError, match="schema version 99") as caught:
        Cache.open(tmp_path)
    assert "delete" not in str(caught.value)


def test_the_closed_folder_can_be_copied_and_read_elsewhere(tmp_path: Path) -> None:
    with Cache.open(tmp_path / "here") as cache:
        cache.store_articles(_articles(1, 50), "t")
        cache.add_search_run("key", "a", "t", "{}")
    assert sorted(p.name for p in (tmp_path / "here").iterdir()) == [CACHE_FILE]
    shutil.copytree(tmp_path / "here", tmp_path / "there")
    with Cache.open(tmp_path / "there") as copy:
        assert copy.article_count() == 50
        assert copy.latest_search_run("key") is not None


WRITER = """
import sys
from review.cache import Cache
folder, first = sys.argv[1], int(sys.argv[2])
with Cache.open(folder) as cache:
    for batch in range(40):
        start = first + batch * 25
        numbers = range(start, start + 25)
        rows = [(str(n), b"<PubmedArticle>%d</PubmedArticle>" % n) for n in numbers]
        cache.store_articles(rows, "t")
        cache.add_search_run("key", "w", "t", "{}")
"""


def test_two_processes_writing_at_once_do_not_corrupt_it(tmp_path: Path) -> None:
    with Cache.open(tmp_path):
        pass
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(first)])
        for first in (1, 500)  # overlapping PMIDs: both write 500-1000
    ]
    assert [w.wait(timeout=60) for w in writers] == [0, 0]
    with Cache.open(tmp_path) as cache:
        assert cache.article_count() == 1499
        assert len(cache.search_runs()) == 80
    db = sqlite3.connect(tmp_path / CACHE_FILE)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def test_reading_only_leaves_the_one_file_as_it_was(tmp_path: Path) -> None:
    with Cache.open(tmp_path) as cache:
        cache.store_articles(_articles(1, 3), "2025-01-01T00:00:00+00:00")
    before = (tmp_path / CACHE_FILE).read_bytes()
    with Cache.open(tmp_path, read_only=True) as cache:
        assert cache.article_count() == 3
    assert [p.name for p in tmp_path.iterdir()] == [CACHE_FILE]
    assert (tmp_path / CACHE_FILE).read_bytes() == before
    with pytest.raises(CacheError, match="no search cache here; search PubMed with --live"):
        Cache.open(tmp_path / "none", read_only=True)
    assert not (tmp_path / "none").exists()


REPO = Path(__file__).resolve().parent.parent


def _on_a_read_only_disk(folder: Path, command: list[str]) -> list[str]:
    """`command`, run where `folder` cannot be written: permissions, or a read-only mount.

    Root ignores permissions, so as root the folder is bind-mounted read-only in a
    mount namespace of the command's own (`unshare -m`), as a read-only disk would be.
    """
    import os

    if os.geteuid() != 0:
        (folder / CACHE_FILE).chmod(0o444)
        folder.chmod(0o555)
        return command
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False)
    if shutil.which("unshare") is None or probe.returncode != 0:
        pytest.skip("as root, a read-only disk needs `unshare -m`, which is not allowed here")
    script = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && shift && exec "$@"'
    return ["unshare", "-m", "sh", "-c", script, "sh", str(folder), *command]


def test_a_read_only_cache_replays_offline(tmp_path: Path) -> None:
    """A copy without write permission (or on a read-only disk) replays; nothing is written."""
    import json

    folder = tmp_path / "cache"
    folder.mkdir()
    shutil.copy(REPO / "cache" / "example" / CACHE_FILE, folder)  # all three searches
    review = [sys.executable, "-m", "review", "search", str(REPO / "queries" / "kratom.toml")]
    review += ["--cache", str(folder), "--json", "--quiet"]
    try:
        done = subprocess.run(
            _on_a_read_only_disk(folder, review), capture_output=True, text=True, timeout=120
        )
    finally:
        folder.chmod(0o755)
    assert done.stderr == ""
    assert done.returncode == 0
    assert [p.name for p in folder.iterdir()] == [CACHE_FILE]
    replayed = json.loads(done.stdout)
    assert [(e["name"], e["replayed"]) for e in replayed] == [
        ("mitragynine", True),
        ("kratom-dependence", True),
        ("cbt", True),
    ]
