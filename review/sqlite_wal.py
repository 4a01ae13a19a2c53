"""Open an SQLite file in WAL mode when other processes may be opening it at the same moment.

SQLite waits (`busy_timeout`) for most locks, but not for the one case that can deadlock:
a connection holding a read lock that wants the exclusive lock another connection is
already waiting for. Switching a brand-new file to WAL is exactly that case, so when two
runs open a fresh cache (or two screeners a fresh decisions file) together, one of them
gets "database is locked" at once instead of waiting. The loser's statement has released
its lock by then, so trying again a moment later always makes progress; this module does
that, up to the same time limit SQLite would have waited.

Used by the two SQLite edges, review/cache.py and review/decisions.py.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final, Literal

__all__ = ["connect_in_wal_mode"]

# SQLITE_BUSY and SQLITE_LOCKED, with any extended code in the upper bits.
_BUSY_CODES: Final = frozenset({5, 6})
_FIRST_PAUSE_S: Final = 0.005
_LONGEST_PAUSE_S: Final = 0.25

Synchronous = Literal["NORMAL", "FULL"]


def connect_in_wal_mode(
    path: Path,
    *,
    timeout_s: float,
    synchronous: Synchronous,
) -> sqlite3.Connection:
    """A connection in autocommit mode (we open every transaction), WAL, `synchronous` set.

    `timeout_s` is also the connection's busy timeout. Raises sqlite3.DatabaseError as
    sqlite3 does, after `timeout_s` if the file stays locked.
    """
    db = sqlite3.connect(path, timeout=timeout_s, isolation_level=None)
    try:
        _switch_to_wal(db, time.monotonic() + timeout_s, time.monotonic, time.sleep)
        db.execute(f"PRAGMA synchronous = {synchronous}")
    except BaseException:
        db.close()
        raise
    return db


def _switch_to_wal(
    db: sqlite3.Connection,
    deadline: float,
    clock: Callable[[], float],
    pause: Callable[[float], None],
) -> None:
    longest = _FIRST_PAUSE_S
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or clock() >= deadline:
                raise
        # Jitter, so two processes that collided do not collide again in step.
        pause(random.uniform(0, longest))
        longest = min(longest * 2, _LONGEST_PAUSE_S)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _BUSY_CODES
    return "locked" in str(exc) or "busy" in str(exc)
