"""The search cache: one SQLite file in `cache/` holding every good E-utilities answer.

What it holds:

* `responses`  each esearch answer, under its request without api_key and email;
* `articles`   each PubMed article (PubmedArticle or PubmedBookArticle XML) by PMID;
* `search_runs` the search log: one row per search run against PubMed.

Why it survives `kill -9` and a second process: the file is in WAL mode, every write is
one short transaction (a whole efetch batch commits or none of it does), and waits for a
lock up to `busy_timeout`. When the last connection closes SQLite folds the WAL into the
main file, so copying the folder to another machine replays the same searches.

Only good responses reach this module (review/entrez.py refuses the rest), and nothing
here knows api_key or email: the callers pass keys and parameters without them.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from review.errors import CacheError, os_error_advice
from review.sqlite_wal import connect_in_wal_mode

__all__ = ["CACHE_FILE", "SCHEMA_VERSION", "Cache", "StoredRun"]

CACHE_FILE: Final = "search.sqlite3"
SCHEMA_VERSION: Final = 1
BUSY_TIMEOUT_MS: Final = 60_000
# SQLite limits bound parameters per statement; look PMIDs up in slices this big.
_LOOKUP_SLICE: Final = 900

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,          -- utility?sorted params, without api_key/email/tool
    utility TEXT NOT NULL,
    params TEXT NOT NULL,          -- JSON list of [name, value], without api_key/email
    body BLOB NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS articles (
    pmid TEXT PRIMARY KEY,
    xml BLOB NOT NULL,             -- one PubmedArticle or PubmedBookArticle element
    fetched_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS search_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    search_key TEXT NOT NULL,      -- query + date limits: what makes two runs comparable
    name TEXT NOT NULL,
    searched_at TEXT NOT NULL,
    entry TEXT NOT NULL            -- the SearchLogEntry as JSON
);
CREATE INDEX IF NOT EXISTS search_runs_by_key ON search_runs (search_key, id);
"""


@dataclass(frozen=True, slots=True)
class StoredRun:
    """One row of the search log, its entry still JSON (review/search.py reads it)."""

    run_id: int
    search_key: str
    name: str
    entry: str


class Cache:
    """The cache folder. Use as a context manager; `Cache.open(folder)` creates it."""

    def __init__(self, folder: Path, connection: sqlite3.Connection) -> None:
        self.folder = folder
        self._db = connection

    @classmethod
    def open(cls, folder: Path | str, *, read_only: bool = False) -> Cache:
        """Open (and create) the cache; `read_only` opens an existing one and never writes.

        A read-only cache (a copy without write permission, a read-only disk) can be
        replayed: see `_connect_read_only`.
        """
        folder = Path(folder)
        path = folder / CACHE_FILE
        if read_only:
            return cls(folder, _connect_read_only(path))
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # NORMAL is crash-safe in WAL mode for a killed process; only a power cut
            # may lose the last commits, which a re-run fetches again.
            db = connect_in_wal_mode(path, timeout_s=BUSY_TIMEOUT_MS / 1000, synchronous="NORMAL")
            db.executescript(_SCHEMA)  # idempotent; executescript commits by itself
            with _transaction(db, path):
                _check_version(db, path)
        except sqlite3.DatabaseError as exc:
            raise _cannot_open(path, exc) from None
        except OSError as exc:
            advice = os_error_advice(exc, "check the path")
            raise CacheError(
                f"{folder}: cannot create the cache folder ({exc.strerror}); {advice} or "
                "use another folder with --cache DIR."
            ) from None
        return cls(folder, db)

    @property
    def path(self) -> Path:
        return self.folder / CACHE_FILE

    def close(self) -> None:
        # The last connection to close folds the WAL into the main file and deletes it,
        # so a finished run leaves one self-contained file to copy.
        self._db.close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- responses ------------------------------------------------------------------

    def store_response(
        self,
        key: str,
        utility: str,
        params: Sequence[tuple[str, str]],
        body: bytes,
        received_at: str,
    ) -> None:
        self._write(
            "INSERT OR REPLACE INTO responses (key, utility, params, body, received_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [(key, utility, json.dumps(list(params)), body, received_at)],
        )

    def response(self, key: str) -> tuple[bytes, str] | None:
        row = self._read_one("SELECT body, received_at FROM responses WHERE key = ?", (key,))
        return (bytes(row[0]), str(row[1])) if row else None

    # --- articles -------------------------------------------------------------------

    def store_articles(self, articles: Iterable[tuple[str, bytes]], fetched_at: str) -> None:
        """Store one efetch batch in a single transaction: all of it or none."""
        self._write(
            "INSERT OR REPLACE INTO articles (pmid, xml, fetched_at) VALUES (?, ?, ?)",
            [(pmid, xml, fetched_at) for pmid, xml in articles],
        )

    def stored_pmids(self, pmids: Sequence[str]) -> set[str]:
        """Which of these PMIDs have a stored article."""
        found: set[str] = set()
        for start in range(0, len(pmids), _LOOKUP_SLICE):
            chunk = list(pmids[start : start + _LOOKUP_SLICE])
            marks = ",".join("?" * len(chunk))
            rows = self._read(f"SELECT pmid FROM articles WHERE pmid IN ({marks})", chunk)
            found.update(str(row[0]) for row in rows)
        return found

    def articles(self, pmids: Sequence[str]) -> Iterator[tuple[str, bytes]]:
        """Stored articles in the order of `pmids`; PMIDs without one are skipped."""
        for start in range(0, len(pmids), _LOOKUP_SLICE):
            chunk = list(pmids[start : start + _LOOKUP_SLICE])
            marks = ",".join("?" * len(chunk))
            rows = self._read(f"SELECT pmid, xml FROM articles WHERE pmid IN ({marks})", chunk)
            by_pmid = {str(row[0]): bytes(row[1]) for row in rows}
            for pmid in chunk:
                if pmid in by_pmid:
                    yield pmid, by_pmid.pop(pmid)

    def article_count(self) -> int:
        row = self._read_one("SELECT count(*) FROM articles", ())
        return int(row[0]) if row else 0

    # --- search log -----------------------------------------------------------------

    def add_search_run(self, search_key: str, name: str, searched_at: str, entry: str) -> int:
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO search_runs (search_key, name, searched_at, entry) "
                "VALUES (?, ?, ?, ?)",
                (search_key, name, searched_at, entry),
            )
            return int(cursor.lastrowid or 0)

    def update_search_run(self, run_id: int, entry: str) -> None:
        self._write("UPDATE search_runs SET entry = ? WHERE id = ?", [(entry, run_id)])

    def latest_search_run(self, search_key: str) -> StoredRun | None:
        row = self._read_one(
            "SELECT id, search_key, name, entry FROM search_runs WHERE search_key = ? "
            "ORDER BY id DESC LIMIT 1",
            (search_key,),
        )
        return StoredRun(int(row[0]), str(row[1]), str(row[2]), str(row[3])) if row else None

    def search_runs(self) -> tuple[StoredRun, ...]:
        """The whole search log, oldest first."""
        rows = self._read("SELECT id, search_key, name, entry FROM search_runs ORDER BY id", ())
        return tuple(StoredRun(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows)

    # --- plumbing -------------------------------------------------------------------

    def _transaction(self) -> _Transaction:
        return _transaction(self._db, self.path)

    def _write(self, sql: str, rows: Sequence[tuple[object, ...]]) -> None:
        with self._transaction():
            self._db.executemany(sql, rows)

    def _read(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        try:
            return list(self._db.execute(sql, params))
        except sqlite3.DatabaseError as exc:
            raise CacheError(f"{self.path}: cannot read the cache ({exc}).") from None

    def _read_one(self, sql: str, params: Sequence[object]) -> tuple[Any, ...] | None:
        rows = self._read(sql, params)
        return rows[0] if rows else None


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception, errors as CacheError."""

    def __init__(self, db: sqlite3.Connection, path: Path | None) -> None:
        self.db = db
        self.path = path

    def __enter__(self) -> None:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            try:
                self.db.execute("COMMIT")
                return
            except sqlite3.DatabaseError as exc:
                self._rollback()
                raise self._error(exc) from None
        self._rollback()
        if isinstance(value, sqlite3.DatabaseError):
            raise self._error(value) from None

    def _rollback(self) -> None:
        # SQLite has already rolled back after some errors (SQLITE_FULL among them); a
        # second ROLLBACK would raise and hide the error that says what to do.
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    def _error(self, exc: sqlite3.DatabaseError) -> CacheError:
        where = self.path or "cache"
        return CacheError(f"{where}: cannot write the cache ({exc}); is the disk full?")


def _transaction(db: sqlite3.Connection, path: Path | None = None) -> _Transaction:
    return _Transaction(db, path)


def _check_version(db: sqlite3.Connection, path: Path, *, write: bool = True) -> None:
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        if write:
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (SCHEMA_VERSION,)
            )
    elif int(row[0]) != SCHEMA_VERSION:
        # Never advise deleting it: the cache holds the recorded searches a report cites.
        raise CacheError(
            f"{path}: cache schema version {row[0]} is not {SCHEMA_VERSION}, which this "
            "version of review reads; use the version of review that wrote it, or search "
            "into another folder with --cache DIR (this one is kept as it is)."
        )


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection to an existing cache that writes nothing, not even beside the file.

    Where the file and its folder are writable this is the usual connection, only read
    from: the last connection to close folds the WAL back in, leaving one file. Where
    not (a copy without write permission, a read-only disk), SQLite's read-only mode
    reads the WAL too but needs its shared-memory file, which it cannot create in a
    read-only folder; then `immutable` reads the main file alone, without locks, which
    is all a cache holds once its last writer has closed it.
    """
    if not path.is_file():
        raise CacheError(f"{path}: no search cache here; search PubMed with --live first.")
    writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    uri = path.resolve().as_uri()
    attempts = [""] if writable else ["?mode=ro", "?mode=ro&immutable=1"]
    failure: sqlite3.DatabaseError | None = None
    for query in attempts:
        try:
            db = sqlite3.connect(
                f"{uri}{query}", uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
            )
        except sqlite3.DatabaseError as exc:
            failure = exc
            continue
        try:
            _check_version(db, path, write=False)
            return db
        except sqlite3.DatabaseError as exc:
            db.close()
            failure = exc
            if not isinstance(exc, sqlite3.OperationalError):
                break  # "file is not a database": no other way of opening reads it
            # e.g. "unable to open database file": no shared-memory file; try the next
        except BaseException:
            db.close()
            raise
    assert failure is not None
    raise _cannot_open(path, failure)


def _cannot_open(path: Path, exc: sqlite3.DatabaseError) -> CacheError:
    # Never advise deleting the cache: it holds the searches a report replays.
    return CacheError(
        f"{path}: cannot open the search cache ({exc}); if it was damaged, restore it from "
        "a copy (it holds the recorded searches), or search into another folder with "
        "--cache DIR."
    )
