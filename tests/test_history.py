"""The run history: a full disk while a run is recorded is one line, and loses nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

import review.history
from review.errors import CacheError
from review.history import SearchCount, read_history, record_run
from review.protocol import load_protocol
from review.records import Record, Source

REPO = Path(__file__).resolve().parent.parent


def test_a_full_disk_while_recording_a_run_is_one_line_and_keeps_the_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    protocol_file = tmp_path / "kratom.toml"
    protocol_file.write_text((REPO / "queries" / "kratom.toml").read_text("utf-8"), "utf-8")
    protocol = load_protocol(protocol_file)
    records = [Record(f"PubMed:{n}", Source("PubMed"), title=f"Kratom {n}") for n in range(5)]
    run: dict[str, Any] = {
        "at": "2026-12-05T10:00:00+00:00",
        "searched_on": "2026-12-05",
        "mains": [r.id for r in records],
        "searches": [SearchCount("kratom", 5, 5)],
        "included": [],
    }
    first = record_run(protocol, "run", records=records, **run)
    connect = review.history.connect_in_wal_mode

    def full_disk(path: Path, **options: Any) -> sqlite3.Connection:
        db = connect(path, **options)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")  # the file can grow no more
        return db

    monkeypatch.setattr(review.history, "connect_in_wal_mode", full_disk)
    many = [Record(f"Embase:{n}", Source("Embase"), title="x" * 200) for n in range(2000)]
    with pytest.raises(CacheError) as full:
        record_run(protocol, "update", records=many, **run)
    assert "cannot write the run history (database or disk is full); is the disk full?" in str(
        full.value
    )
    monkeypatch.undo()
    assert read_history(protocol).runs == (first,)
