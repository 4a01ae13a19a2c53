"""Excel workbooks (.xlsx, .xls) read through the CSV reader's column mapping."""

from __future__ import annotations

import csv
import datetime
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from review.cli import main
from review.errors import InputError
from review.formats import read_records
from review.formats.spreadsheet import cell_text
from review.records import ImportProblem, Record

CSV_EXPORTS = (
    "scopus.csv",
    "zotero.csv",
    "rayyan.csv",
    "covidence.csv",
    "embase.csv",
    "cochrane.csv",
    "web_of_science_excel.csv",
    "web_of_science_tags.csv",
    "cohen_adhd_sample.csv",
)


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def workbook(path: Path, *sheets: tuple[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def same_but_the_file(records: tuple[Record, ...], file: str) -> list[Record]:
    return [replace(r, source=replace(r.source, file=file)) for r in records]


@pytest.mark.parametrize("name", CSV_EXPORTS)
def test_a_workbook_gives_the_records_its_csv_gives(
    formats_dir: Path, tmp_path: Path, name: str
) -> None:
    """Each export's columns, as a spreadsheet holds them, map as in the CSV reader."""
    from_csv = read_records(formats_dir / name)
    stem = name.removesuffix(".csv")
    xlsx = workbook(tmp_path / f"{stem}.xlsx", ("Sheet1", csv_rows(formats_dir / name)))
    from_xlsx = read_records(xlsx)
    assert from_csv.records and from_xlsx.problems == ()
    assert list(from_xlsx.records) == same_but_the_file(from_csv.records, f"{stem}.xlsx")


def test_web_of_science_savedrecs_xls_is_read_as_its_csv(formats_dir: Path) -> None:
    """A genuine Excel 97-2003 file (written by xlwt; see tests/fixtures/formats/README.md)
    whose year, volume, pages and PMID are number cells."""
    from_xls = read_records(formats_dir / "web_of_science_excel.xls", database="Web of Science")
    from_csv = read_records(formats_dir / "web_of_science_excel.csv", database="Web of Science")
    assert from_xls.problems == ()
    assert list(from_xls.records) == same_but_the_file(from_csv.records, "web_of_science_excel.xls")
    first = from_xls.records[0]
    assert (first.year, first.volume, first.pages, first.pmid) == (
        2021,
        "376",
        "410-427",
        "33384303",
    )


def test_number_and_date_cells_read_as_a_spreadsheet_shows_them(tmp_path: Path) -> None:
    xlsx = workbook(
        tmp_path / "mine.xlsx",
        (
            "Records",
            [
                ["Title", "Year", "PMID", "Volume", "Date", "Pages"],
                ["Kratom and sleep", 2022, 35220331, 16.0, datetime.date(2022, 11, 3), "666-670"],
            ],
        ),
    )
    (record,) = read_records(xlsx).records
    assert (record.year, record.pmid, record.volume, record.pub_date, record.pages) == (
        2022,
        "35220331",
        "16",
        "2022-11-03",
        "666-670",
    )
    assert record.id == "mine:1" and record.source.database == "mine"
    assert [cell_text(c) for c in (1.5, True, datetime.datetime(2022, 1, 2, 3, 4))] == [
        "1.5",
        "TRUE",
        "2022-01-02 03:04:00",
    ]


def test_a_header_below_notes_and_rows_past_it(tmp_path: Path) -> None:
    """Rows are numbered as the spreadsheet numbers them; a value past the header's
    columns is named, not read into the wrong field; a short row is padded."""
    xlsx = workbook(
        tmp_path / "search.xlsx",
        (
            "Search",
            [
                ["Search run 2026-11-20"],
                [],
                ["Title", "Year"],
                ["Kratom and sleep", 2022],
                ["Kratom and pain"],
                ["Kratom and mood", 2021, "stray"],
            ],
        ),
    )
    result = read_records(xlsx)
    assert [(r.title, r.year) for r in result.records] == [
        ("Kratom and sleep", 2022),
        ("Kratom and pain", None),
    ]
    assert result.problems == (
        ImportProblem(
            "search.xlsx",
            6,
            "row has a value in column 3, after the header's 2 columns; name that column "
            "in the header row or clear it",
        ),
    )


def test_only_the_first_sheet_with_cells_is_read_and_the_others_are_named(
    tmp_path: Path,
) -> None:
    xlsx = workbook(
        tmp_path / "two.xlsx",
        ("Empty", []),
        ("Records", [["Title"], ["Kratom and sleep"]]),
        ("Excluded", [["Title"], ["Kratom and pain"]]),
    )
    result = read_records(xlsx)
    assert [r.title for r in result.records] == ["Kratom and sleep"]
    assert result.problems == (
        ImportProblem(
            "two.xlsx",
            0,
            "only sheet 'Records' was read; 'Excluded' also holds cells: save it as a file "
            "of its own to import it",
            kept=True,
        ),
    )


def test_a_sheet_without_a_title_column_names_the_file_and_sheet(tmp_path: Path) -> None:
    xlsx = workbook(tmp_path / "ids.xlsx", ("Records", [["PMID", "Year"], [35220331, 2022]]))
    with pytest.raises(InputError) as error:
        read_records(xlsx)
    assert str(error.value) == (
        f"{xlsx}, sheet 'Records', row 1: no title column among PMID, Year; a sheet of "
        "records needs one (named one of title, article title, document title)"
    )


def test_a_workbook_without_cells_is_an_error(tmp_path: Path) -> None:
    xlsx = workbook(tmp_path / "empty.xlsx", ("Sheet1", []))
    with pytest.raises(InputError, match=r"empty\.xlsx: no sheet of this workbook holds a cell;"):
        read_records(xlsx)


def test_a_password_protected_workbook_says_to_save_a_copy_without_one(formats_dir: Path) -> None:
    with pytest.raises(InputError) as error:
        read_records(formats_dir / "password.xlsx")
    assert str(error.value).endswith(
        "password.xlsx: the workbook is password-protected; open it with its password and "
        "save a copy without one (or as CSV)"
    )


@pytest.mark.parametrize("name", ["cut.xlsx", "cut.xls"])
def test_a_damaged_workbook_is_one_line_naming_the_file(
    formats_dir: Path, tmp_path: Path, name: str
) -> None:
    whole = (formats_dir / "web_of_science_excel.xls").read_bytes()
    if name.endswith(".xlsx"):
        whole = workbook(tmp_path / "whole.xlsx", ("Sheet1", [["Title"], ["x"]])).read_bytes()
    damaged = tmp_path / name
    damaged.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError) as error:
        read_records(damaged)
    message = str(error.value)
    assert message.startswith(f"{damaged}: cannot be read as a workbook (")
    assert message.endswith(
        "export it again, or open it in a spreadsheet program and save it as .xlsx or CSV"
    )
    assert "\n" not in message


def test_text_saved_under_an_excel_name_is_not_taken_for_a_workbook(tmp_path: Path) -> None:
    html = tmp_path / "export.xls"
    html.write_text("<html><table><tr><td>Title</td></tr></table></html>", encoding="utf-8")
    with pytest.raises(InputError, match=r"export\.xls: not an Excel workbook \("):
        read_records(html)


def test_convert_reads_a_workbook(
    formats_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "savedrecs.ris"
    assert main(["convert", str(formats_dir / "web_of_science_excel.xls"), "-o", str(out)]) == 0
    assert "TI  - Pharmacological Comparison of Mitragynine" in out.read_text(encoding="utf-8")


def test_a_note_about_the_whole_file_is_printed_without_a_line_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    xlsx = workbook(
        tmp_path / "two.xlsx",
        ("Records", [["Title"], ["Kratom and sleep"]]),
        ("Excluded", [["Title"], ["Kratom and pain"]]),
    )
    assert main(["convert", str(xlsx), "-o", str(tmp_path / "out.ris")]) == 0
    assert capsys.readouterr().err.startswith("two.xlsx: only sheet 'Records' was read; ")
