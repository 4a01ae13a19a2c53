"""The run history: what earlier runs of a review saw, so a review can grow without loss.

`<protocol dir>/<protocol name>.history.sqlite`, beside the decisions file,
keeps for every run (`review run`, `review update`) its time, the day its
searches were run, its counts per search (PRISMA-S asks for these on every
update) and the records it included; and for every record ever seen its
fingerprint, the run that first saw it and whether it is its group's main copy;
and the main copies people chose (`review decisions main-copy`), which come first.

From that, `review.identity` keeps main copies where they were and follows a
decision whose record changed its ID; `review update` asks PubMed only for what
was added since the last run, and the report tells what is new. Deleting the
file loses none of the people's screening decisions (they stay in the decisions
file and still count through their duplicate groups), only that memory and the
main copies people chose.

Opening the history to read never creates it; only `record_run` and
`choose_main` write.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from review.errors import CacheError
from review.identity import fingerprint
from review.protocol import Protocol
from review.records import Record
from review.sqlite_wal import connect_in_wal_mode

__all__ = [
    "History",
    "RunEntry",
    "RunKind",
    "SearchCount",
    "choose_main",
    "history_path",
    "read_history",
    "record_run",
]

RunKind = Literal["run", "update"]
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    number INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    searched_on TEXT NOT NULL,
    records INTEGER NOT NULL,
    new_records INTEGER NOT NULL,
    searches TEXT NOT NULL,
    included TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    record_id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    first_run INTEGER NOT NULL,
    main INTEGER NOT NULL DEFAULT 0,
    main_since INTEGER
);
CREATE TABLE IF NOT EXISTS chosen_mains (
    record_id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    chosen_by TEXT NOT NULL,
    chosen_at TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class SearchCount:
    """One search in one run: how many PMIDs it returned and how many were new."""

    name: str
    count: int
    new: int
    mindate: str = ""
    maxdate: str = ""
    datetype: str = ""


@dataclass(frozen=True, slots=True)
class RunEntry:
    number: int
    kind: RunKind
    at: str  # ISO 8601 time the run finished
    searched_on: str  # YYYY-MM-DD of the searches (a replayed snapshot: the snapshot's day)
    records: int  # records identified in this run, all sources
    new_records: int  # of those, records no earlier run had seen
    searches: tuple[SearchCount, ...]
    included: tuple[str, ...]  # main copies included in full text after this run


@dataclass(frozen=True, slots=True)
class History:
    """What the history file holds; empty when the review has never been run."""

    runs: tuple[RunEntry, ...] = ()
    # main copies in order of preference: people's choices (latest first), then earlier
    # runs' main copies (oldest first)
    mains: tuple[str, ...] = ()
    fingerprints: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    first_run: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def last(self) -> RunEntry | None:
        return self.runs[-1] if self.runs else None


def history_path(protocol: Protocol) -> Path:
    return protocol.path.parent / f"{protocol.name}.history.sqlite"


def read_history(protocol: Protocol) -> History:
    """The review's run history; an empty one when no run has been recorded."""
    path = history_path(protocol)
    if not path.is_file():
        return History()
    with _open(path) as db:
        runs = tuple(_run(row) for row in db.execute("SELECT * FROM runs ORDER BY number"))
        rows = db.execute(
            "SELECT record_id, fingerprint, first_run, main FROM records"
            " ORDER BY main_since, first_run, rowid"
        ).fetchall()
        chosen = db.execute(
            "SELECT record_id, fingerprint FROM chosen_mains ORDER BY rowid DESC"
        ).fetchall()
    fingerprints = {r[0]: r[1] for r in chosen if r[1]}
    fingerprints.update((r[0], r[1]) for r in rows if r[1])
    return History(
        runs=runs,
        mains=tuple(dict.fromkeys([*(r[0] for r in chosen), *(r[0] for r in rows if r[3])])),
        fingerprints=MappingProxyType(fingerprints),
        first_run=MappingProxyType({r[0]: r[2] for r in rows}),
    )


def choose_main(protocol: Protocol, record: Record, *, by: str, at: str) -> None:
    """Keep a person's choice of `record` as its duplicate group's main copy.

    It ranks before every earlier main copy (`History.mains`), so the next run keeps
    it whatever joins the group; a later choice in the same group wins.
    """
    path = history_path(protocol)
    with _open(path) as db:
        try:
            with db:
                # A choice made again moves to the end: the latest choice comes first.
                db.execute("DELETE FROM chosen_mains WHERE record_id = ?", (record.id,))
                db.execute(
                    "INSERT INTO chosen_mains (record_id, fingerprint, chosen_by, chosen_at)"
                    " VALUES (?, ?, ?, ?)",
                    (record.id, fingerprint(record), by, at),
                )
        except sqlite3.DatabaseError as exc:
            raise CacheError(
                f"{path}: cannot save the choice of main copy ({exc}); is the disk full, or "
                "is another review command writing it? Run it again when it has finished."
            ) from None


def record_run(
    protocol: Protocol,
    kind: RunKind,
    *,
    at: str,
    searched_on: str,
    records: Sequence[Record],
    mains: Iterable[str],
    searches: Sequence[SearchCount],
    included: Sequence[str],
) -> RunEntry:
    """Add one run to the history (creating the file), all in one transaction."""
    path = history_path(protocol)
    main_ids = set(mains)
    with _open(path) as db:
        try:
            db.execute("BEGIN IMMEDIATE")
            known = {r for (r,) in db.execute("SELECT record_id FROM records")}
            new_records = sum(1 for r in records if r.id not in known)
            cursor = db.execute(
                "INSERT INTO runs (kind, at, searched_on, records, new_records, searches,"
                " included) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    kind,
                    at,
                    searched_on,
                    len(records),
                    new_records,
                    json.dumps([_search_json(s) for s in searches]),
                    json.dumps(list(included)),
                ),
            )
            number = int(cursor.lastrowid or 0)
            db.executemany(
                "INSERT INTO records (record_id, fingerprint, first_run) VALUES (?, ?, ?)"
                " ON CONFLICT (record_id) DO UPDATE SET fingerprint = excluded.fingerprint",
                ((r.id, fingerprint(r), number) for r in records),
            )
            db.execute("UPDATE records SET main = 0 WHERE main = 1")
            db.executemany(
                "UPDATE records SET main = 1, main_since = coalesce(main_since, ?)"
                " WHERE record_id = ?",
                ((number, record_id) for record_id in main_ids),
            )
            db.execute("UPDATE records SET main_since = NULL WHERE main = 0")
            db.execute("COMMIT")
        except BaseException as exc:
            # SQLite has rolled back already after some errors (SQLITE_FULL among them).
            if db.in_transaction:
                db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.DatabaseError):
                locked = getattr(exc, "sqlite_errorname", "").startswith("SQLITE_BUSY")
                advice = (
                    "another review command is writing it; run again when it has finished"
                    if locked
                    else "is the disk full? Free some space and run again"
                )
                raise CacheError(
                    f"{path}: cannot write the run history ({exc}); {advice}; the history "
                    "before this run is kept."
                ) from None
            raise
    return RunEntry(
        number, kind, at, searched_on, len(records), new_records, tuple(searches), tuple(included)
    )


class _open:
    """A connection to the history file, closed on leaving the block."""

    def __init__(self, path: Path) -> None:
        try:
            self.db = connect_in_wal_mode(path, timeout_s=30.0, synchronous="FULL")
            self.db.executescript(_SCHEMA)
            row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is None:
                self.db.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
            elif row[0] != str(SCHEMA_VERSION):
                raise CacheError(
                    f"{path}: run history schema {row[0]} is not {SCHEMA_VERSION}; "
                    "use the version of review that wrote it."
                )
        except sqlite3.DatabaseError as exc:
            raise CacheError(
                f"{path}: cannot open the run history ({exc}); move the file away to start "
                "a new history (no screening decision is kept in it)."
            ) from None

    def __enter__(self) -> sqlite3.Connection:
        return self.db

    def __exit__(self, *exc: object) -> None:
        self.db.close()


def _search_json(s: SearchCount) -> dict[str, object]:
    return {
        "name": s.name,
        "count": s.count,
        "new": s.new,
        "mindate": s.mindate,
        "maxdate": s.maxdate,
        "datetype": s.datetype,
    }


def _run(row: Sequence[object]) -> RunEntry:
    number, kind, at, searched_on, records, new_records, searches, included = row
    return RunEntry(
        number=int(str(number)),
        kind="update" if kind == "update" else "run",
        at=str(at),
        searched_on=str(searched_on),
        records=int(str(records)),
        new_records=int(str(new_records)),
        searches=tuple(
            SearchCount(
                str(s["name"]),
                int(s["count"]),
                int(s["new"]),
                str(s.get("mindate", "")),
                str(s.get("maxdate", "")),
                str(s.get("datetype", "")),
            )
            for s in json.loads(str(searches))
        ),
        included=tuple(str(i) for i in json.loads(str(included))),
    )
