"""Bad and unusual import files: every problem named at its line, nothing invented.

Issue 10's import/export items: PMIDs only from PubMed, BibTeX page ranges and
macros, RIS and MEDLINE values that used to vanish or turn blank, files from
which nothing can be read, UTF-16 without a byte-order mark, symlink loops, one
spelling per database, and readers that take their file a line at a time.
"""

from __future__ import annotations

import argparse
import codecs
import gzip
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from review.cli import main
from review.cli.run import file_argument
from review.convert import convert
from review.errors import InputError
from review.formats import read_records, textfile, write_records
from review.formats.bibtex import resolve_value
from review.formats.textfile import read_lines, text_lines
from review.protocol import ImportSource
from review.records import DatabaseNames, ImportProblem, Record, Source, canonical_database

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

EMBASE_ENTRY = """TY  - JOUR
ID  - L2004123456
TI  - Kratom use in Malaysia
DB  - Embase
DB  - Embase Classic
AN  - 2004123456
SP  - 963
EP  - 977
PY  - 2019
ER  -
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- MEDLINE output never invents a PMID -------------------------------------------------


def test_nbib_output_writes_only_real_pmids_and_keeps_the_database(tmp_path: Path) -> None:
    ris = write(tmp_path / "embase.ris", EMBASE_ENTRY)
    bib = write(tmp_path / "refs.bib", "@article{smith2020, title = {A title}, year = 2020}\n")
    pubmed = write(tmp_path / "pubmed.nbib", "PMID- 31234567\nTI  - From PubMed\n")
    out = tmp_path / "out.nbib"
    convert([ris, bib, pubmed], out)
    text = out.read_text(encoding="utf-8")
    pmid_lines = [line for line in text.splitlines() if line.startswith("PMID")]
    assert pmid_lines == ["PMID- 31234567"]  # not the Embase accession, not the BibTeX key
    assert "AN  - 2004123456" in text
    back = read_records(out).records
    assert [r.pmid for r in back] == ["", "", "31234567"]
    assert [r.source.database for r in back] == ["Embase", "refs", "PubMed"]
    assert ("DB", "Embase Classic") in back[0].extra  # the second DB line does not replace it


# --- BibTeX ----------------------------------------------------------------------------


def test_bibtex_page_ranges_are_written_with_a_double_dash(tmp_path: Path) -> None:
    out = tmp_path / "out.bib"
    write_records([Record("r1", Source("Embase"), title="T", pages="963-977")], out)
    assert "pages = {963--977}" in out.read_text(encoding="utf-8")
    assert read_records(out).records[0].pages == "963-977"


@SETTINGS
@given(
    st.from_regex(r"[A-Za-z0-9]{1,6}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9]{1,6}", fullmatch=True),
)
def test_any_page_range_survives_bibtex(first: str, last: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out.bib"
        write_records([Record("r1", Source("X"), title="T", pages=f"{first}-{last}")], out)
        assert "-{}-" not in out.read_text(encoding="utf-8")
        assert read_records(out).records[0].pages == f"{first}-{last}"


def test_bibtex_concatenation_and_undefined_macros(tmp_path: Path) -> None:
    path = write(
        tmp_path / "refs.bib",
        '@string{jn = "Journal" # " of Kratom"}\n'
        "@article{k1,\n"
        '  title = "Kratom " # {and} # " withdrawal",\n'
        '  author = "Smith, John" # " and " # "Dunn, Kelly",\n'
        '  journal = jn # " Studies",\n'
        "  publisher = nosuchmacro,\n"
        "  month = jan,\n"
        "  year = 2020\n"
        "}\n",
    )
    result = read_records(path)
    (record,) = result.records
    assert record.title == "Kratom and withdrawal"
    assert [a.family for a in record.authors] == ["Smith", "Dunn"]
    assert record.journal == "Journal of Kratom Studies"
    assert ("month", "jan") in record.extra  # a standard month needs no @string
    (problem,) = result.problems
    assert (problem.file, problem.position, problem.record_id) == ("refs.bib", 6, "k1")
    assert "no @string defines 'nosuchmacro'" in problem.message


quoted_part = st.text(
    alphabet=st.characters(blacklist_characters='"{}\\#@', blacklist_categories=("Cs",)),
    max_size=8,
)


@SETTINGS
@given(st.lists(quoted_part, min_size=1, max_size=5), st.booleans())
def test_concatenated_parts_join_to_their_text(parts: list[str], braces: bool) -> None:
    raw = " # ".join("{" + p + "}" if braces else f'"{p}"' for p in parts)
    value, undefined = resolve_value(raw, {})
    assert undefined == []
    if len(parts) > 1:
        assert value == "{" + "".join(parts) + "}"


# --- RIS and MEDLINE values that vanished or went blank ------------------------------------


def test_ris_year_that_is_no_year_and_a_line_without_a_tag_are_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path / "export.ris",
        "TY  - JOUR\nTI  - A title\nstray words\nPY  - notayear\nER  - \n",
    )
    result = read_records(path)
    (record,) = result.records
    assert record.year is None
    assert ("PY", "notayear") in record.extra  # kept, so it can be seen and fixed
    assert [(p.position, p.message[:22]) for p in result.problems] == [
        (1, "PY 'notayear' holds no"),
        (3, "line has no tag: 'stra"),
    ]


def test_ovid_indented_continuations_are_not_problems(formats_dir: Path) -> None:
    assert read_records(formats_dir / "ovid_medline.ris").problems == ()


def test_an_empty_medline_author_line_adds_no_blank_author(tmp_path: Path) -> None:
    path = write(tmp_path / "pubmed.nbib", "PMID- 1\nTI  - x\nAU  - \nAU  - Smith J\n")
    result = read_records(path)
    assert [a.display for a in result.records[0].authors] == ["Smith J"]
    assert [(p.position, p.message) for p in result.problems] == [
        (3, "AU line names no one; no author added")
    ]


# --- files from which nothing can be read ------------------------------------------------


def unreadable_files(folder: Path) -> list[Path]:
    garbage = folder / "garbage.ris"
    garbage.write_bytes(b"\x00\x01binary junk\nmore junk\n")
    html = write(folder / "page.xml", "<!DOCTYPE html>\n<html><body>Sign in</body></html>\n")
    twice = folder / "twice.ris.gz"
    twice.write_bytes(gzip.compress(gzip.compress(EMBASE_ENTRY.encode())))
    return [garbage, html, twice]


def test_a_file_nothing_can_be_read_from_is_an_error(tmp_path: Path) -> None:
    garbage, html, twice = unreadable_files(tmp_path)
    with pytest.raises(InputError, match=r"^\S*garbage\.ris:1: no record could be read"):
        read_records(garbage)
    with pytest.raises(InputError, match=r"page\.xml: no record could be read .*<html>"):
        read_records(html)
    with pytest.raises(InputError, match=r"twice\.ris\.gz: is gzip inside gzip"):
        read_records(twice)
    assert read_records(garbage, keep_going=True).records == ()
    assert read_records(html, keep_going=True).records == ()
    empty = write(tmp_path / "empty.ris", "")  # an export of no hits is no error
    assert read_records(empty).records == ()


def test_convert_stops_on_an_unreadable_input_unless_told_to_go_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, html, _ = unreadable_files(tmp_path)
    good = write(tmp_path / "embase.ris", EMBASE_ENTRY)
    out = tmp_path / "out.csv"
    assert main(["convert", str(good), str(html), "-o", str(out)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("Error: ") and error.count("\n") == 1 and "page.xml" in error
    assert not out.exists()
    assert main(["convert", str(good), str(html), "-o", str(out), "--keep-going"]) == 0
    assert "1 record written" in capsys.readouterr().out


# --- encodings, links -------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_ris_without_a_byte_order_mark_is_read(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "endnote.ris"
    path.write_bytes(EMBASE_ENTRY.replace("Malaysia", "Malásia").encode(encoding))
    result = read_records(path)
    assert [r.title for r in result.records] == ["Kratom use in Malásia"]
    assert result.problems == ()


def test_a_symlink_loop_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.ris").symlink_to(tmp_path / "b.ris")
    (tmp_path / "b.ris").symlink_to(tmp_path / "a.ris")
    with pytest.raises(InputError, match=r"a\.ris: is a loop of symbolic links"):
        read_records(tmp_path / "a.ris")
    assert main(["convert", str(tmp_path / "a.ris"), "-o", str(tmp_path / "o.csv")]) == 1
    assert capsys.readouterr().err.startswith("Error: ")


# --- reading a line at a time gives what reading the whole text gave ------------------------

# Without a byte-order mark, UTF-16 is told by its zero bytes: text of Latin letters,
# as exports are; any text at all with a byte-order mark, or in UTF-8.
latin_lines = st.lists(st.text(st.characters(min_codepoint=1, max_codepoint=0xFF), max_size=30))
any_lines = st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=30))


@SETTINGS
@given(
    st.one_of(
        st.tuples(latin_lines, st.sampled_from(["utf-16-le", "utf-16-be"])),
        st.tuples(any_lines, st.sampled_from(["utf-8", "utf-16"])),
    ),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.integers(1, 7),
)
def test_lines_read_one_at_a_time_are_the_text_lines(
    lines_and_encoding: tuple[list[str], str], end: str, chunk: int
) -> None:
    lines, encoding = lines_and_encoding
    text = end.join(line.replace("\r", "").replace("\n", "") for line in lines)
    text = text.removeprefix("\ufeff")
    if encoding in ("utf-16-le", "utf-16-be") and len(text.strip("\r\n")) < 8:
        return  # too short to tell UTF-16 without its byte-order mark
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.txt"
        path.write_bytes(text.encode(encoding))
        problems: list[ImportProblem] = []
        saved = textfile.CHUNK_BYTES
        textfile.CHUNK_BYTES = chunk  # chunk borders everywhere, a CR LF split among them
        try:
            read = [line.rstrip("\r\n") for line in read_lines(path, problems)]
        finally:
            textfile.CHUNK_BYTES = saved
    assert read == text_lines(text)
    assert problems == []


def test_a_non_utf8_line_is_reported_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "old.ris"
    path.write_bytes(EMBASE_ENTRY.replace("Malaysia", "Mal\xe1sia").encode("cp1252"))
    result = read_records(path)
    assert result.records[0].title == "Kratom use in Malásia"
    assert [(p.position, p.message[:24]) for p in result.problems] == [
        (3, "not UTF-8 (byte 0xe1 at ")
    ]


# --- one spelling per database -------------------------------------------------------------


def test_database_names_have_one_spelling() -> None:
    assert canonical_database("scopus") == canonical_database(" SCOPUS ") == "Scopus"
    assert canonical_database("web of  science") == "Web of Science"
    assert canonical_database("Hand search") == "Hand search"
    names = DatabaseNames()
    assert [names(n) for n in ["Hand search", "hand search", "embase"]] == [
        "Hand search",
        "Hand search",
        "Embase",
    ]


def test_convert_counts_one_database_however_it_is_spelled(tmp_path: Path) -> None:
    upper = write(tmp_path / "a.ris", EMBASE_ENTRY.replace("DB  - Embase\n", "DB  - Scopus\n"))
    lower = write(tmp_path / "b.ris", EMBASE_ENTRY.replace("DB  - Embase\n", "DB  - scopus\n"))
    result = convert([upper, lower], tmp_path / "out.csv")
    assert result.per_database == (("Scopus", 2),)


def test_run_files_can_name_their_database() -> None:
    assert file_argument("embase.ris=Embase") == ImportSource(Path("embase.ris"), "Embase")
    assert file_argument("plain.ris") == Path("plain.ris")
    with pytest.raises(argparse.ArgumentTypeError, match="FILE=DATABASE"):
        file_argument("embase.ris=")


def test_an_existing_file_with_an_equals_sign_is_a_file(tmp_path: Path) -> None:
    odd = write(tmp_path / "a=b.ris", EMBASE_ENTRY)
    assert file_argument(str(odd)) == odd


def test_a_utf16_bom_is_still_told_apart() -> None:
    assert textfile.detect_encoding(codecs.BOM_UTF16_LE + "TY".encode("utf-16-le")) == "utf-16"
    assert textfile.detect_encoding(b"TY  - JOUR\n") == "utf-8"


def test_records_of_one_file_share_their_repeated_values(tmp_path: Path) -> None:
    second = EMBASE_ENTRY.replace("L2004123456", "L2").replace("Malaysia", "Thailand")
    path = write(tmp_path / "embase.ris", EMBASE_ENTRY + second)
    first, other = read_records(path).records
    assert first.source.database is other.source.database
    assert first.year is other.year  # 2019: one int object, not one per record


def test_utf8_with_zero_bytes_is_not_taken_for_utf16() -> None:
    # Found by hypothesis: zero bytes on one side of each pair, but valid UTF-8 with
    # characters of several bytes, which UTF-16 text never is.
    assert textfile.detect_encoding("\x00\x80\n\x00\u0800".encode()) == "utf-8"
    assert textfile.detect_encoding("café au lait, señor".encode("utf-16-le")) == "utf-16-le"
    assert textfile.detect_encoding("Title\tAuthors\n".encode("utf-16-be")) == "utf-16-be"
