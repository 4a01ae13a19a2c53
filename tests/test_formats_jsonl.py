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


@pytest.mark.parametrize(
    "bad",
    [
        '{"id": "a", "source": {"database": 5}}',
        '{"id": 5, "source": {}}',
        '{"id": "a", "authors": {"family": "Smith"}}',
        '{"colour": "red"}',
    ],
)
def test_wrong_shapes_are_problems_not_crashes(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(bad + "\n", encoding="utf-8")
    result = read_records(path, keep_going=True)
    assert result.records == ()
    assert len(result.problems) == 1


def test_flat_objects_read_like_csv_rows(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text(
        '{"record_id": "ks0002", "pmid": "35220331", "pmcid": null, "title": "Assessment", '
        '"authors": ["Kirsten E Smith", "Kelly E Dunn"], "year": 2022, "volume": "16", '
        '"keywords": ["kratom", "withdrawal"], "language": null, "topics": ["use disorder"]}\n'
        '{"record_id": "ks0003", "title": "Other", "authors": ["Smith, K. E."], "year": null}\n',
        encoding="utf-8",
    )
    result = read_records(path, database="Other sources")
    assert result.problems == ()
    first, second = result.records
    assert first.id == "ks0002"
    assert first.source == Source("Other sources", file="records.jsonl", position=1)
    assert (first.pmid, first.year, first.volume) == ("35220331", 2022, "16")
    assert [a.family for a in first.authors] == ["Smith", "Dunn"]
    assert first.keywords == ("kratom", "withdrawal")
    assert first.extra == (("topics", "use disorder"),)
    assert second.year is None
    assert second.authors[0].initials == "KE"


@pytest.mark.shared
def test_the_kratom_sample_reads_without_problems(shared_dir: Path) -> None:
    result = read_records(shared_dir / "data" / "kratom-sample" / "records.jsonl")
    assert result.problems == ()
    assert len(result.records) == 284
    assert len({r.id for r in result.records}) == 284
