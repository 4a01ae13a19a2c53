"""Opening the cache and the decisions file from several processes at the same moment.

The CI run of stop 8 failed because two `review search` runs opened a fresh cache
together and one got "database is locked" at once: SQLite does not wait on the lock it
needs to switch a new file to WAL. These tests open many fresh files from several
processes released by one barrier; before the fix, 6 processes opening 1,500 new caches
that way failed 380 of 9,000 opens, and this smaller run failed every time (3 of 3).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.queues
import multiprocessing.synchronize
import sqlite3
from pathlib import Path

import pytest

from review.cache import Cache
from review.decisions import DecisionStore
from review.sqlite_wal import _switch_to_wal, connect_in_wal_mode

PROCESSES = 4
FRESH_FILES = 150


def _open_each(
    kind: str,
    folders: list[Path],
    start_together: multiprocessing.synchronize.Barrier,
    errors: multiprocessing.queues.Queue[list[str]],
) -> None:
    failures = []
    for folder in folders:
        start_together.wait()
        try:
            if kind == "cache":
                Cache.open(folder).close()
            else:
                DecisionStore(folder / "review.decisions.sqlite").close()
        except Exception as exc:  # every failure, whatever its kind, is the finding
            failures.append(str(exc))
    errors.put(failures)


@pytest.mark.parametrize("kind", ["cache", "decisions"])
def test_many_processes_opening_fresh_files_together_all_succeed(tmp_path: Path, kind: str) -> None:
    context = multiprocessing.get_context("fork")
    folders = [tmp_path / f"f{i}" for i in range(FRESH_FILES)]
    start_together = context.Barrier(PROCESSES)
    errors = context.Queue()
    workers = [
        context.Process(target=_open_each, args=(kind, folders, start_together, errors))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    failures = [message for _ in workers for message in errors.get(timeout=120)]
    for worker in workers:
        worker.join(timeout=30)
    assert failures == []
    assert all(worker.exitcode == 0 for worker in workers)


def test_every_file_is_left_in_wal_mode(tmp_path: Path) -> None:
    db = connect_in_wal_mode(tmp_path / "x.sqlite", timeout_s=1, synchronous="FULL")
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    assert db.execute("PRAGMA busy_timeout").fetchone() == (1000,)
    assert db.isolation_level is None
    db.close()


def test_a_file_locked_past_the_timeout_is_reported_not_waited_on_forever(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            connect_in_wal_mode(path, timeout_s=0.2, synchronous="NORMAL")
    finally:
        holder.execute("ROLLBACK")
        holder.close()


class _LockedThenFree:
    """Stands in for a connection whose WAL switch collides `times` times."""

    def __init__(self, times: int, error: str = "database is locked") -> None:
        self.left = times
        self.error = error
        self.calls = 0

    def execute(self, sql: str) -> None:
        self.calls += 1
        if self.left:
            self.left -= 1
            raise sqlite3.OperationalError(self.error)


def test_a_collision_is_tried_again_with_growing_pauses() -> None:
    db = _LockedThenFree(times=5)
    pauses: list[float] = []
    _switch_to_wal(db, deadline=10.0, clock=lambda: 0.0, pause=pauses.append)  # type: ignore[arg-type]
    assert db.calls == 6
    assert len(pauses) == 5
    assert all(0 <= p <= 0.25 for p in pauses)


def test_other_errors_are_not_retried() -> None:
    db = _LockedThenFree(times=1, error="file is not a database")
    pauses: list[float] = []
    with pytest.raises(sqlite3.OperationalError, match="not a database"):
        _switch_to_wal(db, deadline=10.0, clock=lambda: 0.0, pause=pauses.append)  # type: ignore[arg-type]
    assert pauses == []


def test_collisions_past_the_deadline_give_up() -> None:
    db = _LockedThenFree(times=1000)
    now = iter(range(100))
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _switch_to_wal(db, deadline=3.0, clock=lambda: float(next(now)), pause=lambda _: None)  # type: ignore[arg-type]
    assert db.calls == 4
