"""JSON Lines: lossless export and import."""

from __future__ import annotations

from pathlib import Path

import pytest

from review.formats import read_records, write_records
from review.records import ImportProblem, Record, Source


def test_malformed_lines_in_the_middle_are_reported_and_others_kept(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        '{"id": "a", "source": {"database": "PubMed"}}\n'
        '{"id": "b", "source": \n'
        '{"id": "c", "source": {"database": "PubMed"}, "year": "2020"}\n'
        '{"id": "d", "source": {"database": "PubMed"}, "colour": "red"}\n'
        "[1, 2]\n"
        '{"source": {"database": "PubMed"}}\n'
        '{"id": "e", "source": {"database": "Embase"}, "extra": [["k", "v"]]}\n',
        encoding="utf-8",
    )
    result = read_records(path)
    assert [r.id for r in result.records] == ["a", "e"]
    assert result.records[1].extra == (("k", "v"),)
    assert result.problems == (
        ImportProblem("mixed.jsonl", 2, "not valid JSON (Expecting value at column 23)"),
        ImportProblem("mixed.jsonl", 3, "'year' must be int | None, not str", record_id="c"),
        ImportProblem("mixed.jsonl", 4, "'record' has unknown keys: colour", record_id="d"),
        ImportProblem("mixed.jsonl", 5, "line is not a JSON object"),
        ImportProblem("mixed.jsonl", 6, "record has no 'id' text"),
    )


def test_given_database_replaces_the_stored_one(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    write_records([Record(id="a", source=Source("PubMed", search="main", position=4))], path)
    (record,) = read_records(path, database="Embase").records
    assert record.source == Source("Embase", search="main", position=4)


@pytest.mark.parametrize("bad", ['{"id": "a", "source": "PubMed"}', '{"id": 5, "source": {}}'])
def test_wrong_shapes_are_problems_not_crashes(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(bad + "\n", encoding="utf-8")
    result = read_records(path)
    assert result.records == ()
    assert len(result.problems) == 1
