"""Readers never crash on bad input, and writers never let a value break the file.

Bad input must give problems (or one InputError), never a traceback; and text
that looks like a format's own markup (a tag line, a closing brace) inside a
value must not split or merge records when written and read back.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from review.errors import InputError
from review.formats import READERS, read_records, reader_for, write_records
from review.records import Record, Source

MARKUP = [
    "TY  - JOUR", "ER  - ", "TI  - x", "AU  - a, b", "  wrapped", "PMID- 1", "FAU - a, b",
    "      wrapped", "@article{k,", "title = {x", "}", "author = {a and {b}}", "PT J",
    "AU a, b", "ER", "EF", "ID,title", 'a,"b', '"', "{", "\\", "%", "CIN - x PMID: 1",
    '{"id": "a", "source": {}}', "[1]", '{"id": 1}', "MH  - *a/b", "AID - x [doi]",
    '@string{a = "b"}', "pages = {1--2},", "UT WOS:1", "\u2028", "\x85", "=1+1", "",
]  # fmt: skip
markup_text = st.lists(st.one_of(st.sampled_from(MARKUP), st.text(max_size=10)), max_size=20).map(
    "\n".join
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SUFFIXES = [".ris", ".nbib", ".bib", ".csv", ".jsonl", ".txt"]


@SETTINGS
@given(st.sampled_from(SUFFIXES), markup_text)
def test_readers_report_bad_text_instead_of_crashing(suffix: str, content: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_text(content, encoding="utf-8")
        try:
            result = read_records(path)
        except InputError as exc:
            assert "\n" not in str(exc)
        else:
            assert all(p.file == path.name and p.position >= 1 for p in result.problems)


@SETTINGS
@given(st.sampled_from(SUFFIXES), st.binary(max_size=200))
def test_readers_survive_any_bytes(suffix: str, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(content)
        try:
            read_records(path)
        except InputError as exc:
            assert "\n" not in str(exc)


@SETTINGS
@given(
    st.sampled_from([".ris", ".nbib", ".bib", ".csv", ".jsonl"]),
    st.lists(st.tuples(markup_text, markup_text, markup_text), min_size=1, max_size=3),
)
def test_markup_inside_values_keeps_records_apart(
    suffix: str, values: list[tuple[str, str, str]]
) -> None:
    records = [
        Record(
            id=f"r{index}",
            source=Source("Test"),
            title=title,
            journal=journal,
            extra=(("note", note),),
        )
        for index, (title, journal, note) in enumerate(values)
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"out{suffix}"
        write_records(records, path)
        result = read_records(path)
    assert len(result.records) == len(records)
    assert result.problems == ()


@pytest.mark.parametrize("format_name", sorted(READERS))
def test_every_reader_names_a_missing_file_or_a_folder_in_one_line(
    tmp_path: Path, format_name: str
) -> None:
    def read(path: Path) -> None:
        list(reader_for(format_name)(path))  # a reader opens its file as it is iterated

    with pytest.raises(InputError, match=r"^\S*gone\.x: no such file; check the path$"):
        read(tmp_path / "gone.x")
    (tmp_path / "a-folder").mkdir()
    with pytest.raises(InputError, match=r"a-folder: is a folder, not a file; name the file"):
        read(tmp_path / "a-folder")


def test_a_damaged_gzip_whose_format_must_be_sniffed_is_named(tmp_path: Path) -> None:
    damaged = tmp_path / "export.gz"  # no format suffix: the head has to be read
    damaged.write_bytes(b"\x1f\x8b" + b"not really gzip")
    with pytest.raises(InputError, match=r"export\.gz: is not a readable gzip file .*unpack it$"):
        read_records(damaged)
    (tmp_path / "nothing-here").mkdir()
    with pytest.raises(InputError, match=r"nothing-here: is a folder, not a file"):
        read_records(tmp_path / "nothing-here")
