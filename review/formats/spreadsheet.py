"""Excel workbooks (.xlsx, .xls) read as their CSV export is.

Web of Science's "Excel" export (savedrecs.xls) and the spreadsheets people keep
their records in are read through the CSV reader's column mapping
(`review.formats.table.iter_table`), so a workbook gives the records its CSV
would. python-calamine (bindings to Rust's calamine) reads both the old binary
format and the new one with one API and no Excel.

The workbook's first sheet that holds a cell is read, its header in the first
rows as in a CSV; any other sheet holding cells is named in a note, not read.
Numbers are written as a spreadsheet shows them (2020, not 2020.0) and dates
as ISO dates. A workbook that cannot be opened (damaged, password-protected)
or holds no cell is an InputError naming the file, and a sheet without a
title column one naming the sheet.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

from python_calamine import (
    CalamineError,
    CalamineSheet,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from review.errors import InputError
from review.formats.table import Row, iter_table
from review.formats.textfile import display_name, file_stem, unreadable_file
from review.records import ImportProblem, Record

__all__ = ["SPREADSHEET_SUFFIXES", "stream_spreadsheet"]

SPREADSHEET_SUFFIXES = (".xlsx", ".xls")
# What a workbook file starts with: a zip archive (.xlsx) or an OLE2 compound file
# (.xls, and an encrypted .xlsx).
WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
SAVE_AS = "export it again, or open it in a spreadsheet program and save it as .xlsx or CSV"


def stream_spreadsheet(
    path: Path, *, database: str | None = None
) -> Iterator[Record | ImportProblem]:
    """Every row of the workbook's first sheet with cells, as a record; bad rows are problems."""
    file = display_name(path)
    workbook = open_workbook(path)
    sheets = [sheet for sheet in _worksheets(workbook, path) if sheet.height]
    if not sheets:
        raise InputError(
            f"{path}: no sheet of this workbook holds a cell; put the records on its "
            "first sheet, a header row first, or export them again"
        )
    sheet, *others = sheets
    yield from iter_table(
        _rows(sheet),
        database=database or file_stem(path),
        file=file,
        use_database_column=database is None,
        kind="a sheet",
        at=f"{path}, sheet {sheet.name!r}, row 1",
        ragged=True,
    )
    if others:
        names = ", ".join(repr(other.name) for other in others)
        yield ImportProblem(
            file,
            0,
            f"only sheet {sheet.name!r} was read; {names} also "
            f"{'hold' if len(others) > 1 else 'holds'} cells: save "
            f"{'each' if len(others) > 1 else 'it'} as a file of its own to import it",
            kept=True,
        )


def open_workbook(path: Path) -> CalamineWorkbook:
    """The workbook, or an InputError saying why it cannot be opened and what to do."""
    if path.name.lower().endswith(".gz"):
        raise InputError(f"{path}: a gzipped workbook cannot be read; gunzip it first")
    try:
        with path.open("rb") as stream:
            magic = stream.read(8)
    except OSError as exc:
        raise unreadable_file(path, exc) from None
    if not magic.startswith(WORKBOOK_MAGIC):
        raise InputError(
            f"{path}: not an Excel workbook (it does not start as an .xlsx or .xls file "
            f"does; some tools write HTML or text under these names); {SAVE_AS}"
        )
    try:
        return CalamineWorkbook.from_path(str(path))
    except PasswordError:
        raise InputError(
            f"{path}: the workbook is password-protected; open it with its password and "
            "save a copy without one (or as CSV)"
        ) from None
    except (CalamineError, OSError) as exc:
        said = " ".join(str(exc).split())  # one line, whatever the library says
        raise InputError(f"{path}: cannot be read as a workbook ({said}); {SAVE_AS}") from None


def _worksheets(workbook: CalamineWorkbook, path: Path) -> Iterator[CalamineSheet]:
    """The visible worksheets, in the workbook's order (no chart or hidden sheets)."""
    for meta in workbook.sheets_metadata:
        if meta.typ != SheetTypeEnum.WorkSheet or meta.visible != SheetVisibleEnum.Visible:
            continue
        name = meta.name
        try:
            yield workbook.get_sheet_by_name(name)
        except CalamineError as exc:
            raise InputError(f"{path}, sheet {name!r}: cannot be read ({exc}); {SAVE_AS}") from None


def _rows(sheet: CalamineSheet) -> Iterator[Row]:
    """Each row with its number as the spreadsheet shows it, cells as text."""
    for number, cells in enumerate(sheet.iter_rows(), 1):
        yield number, [cell_text(cell) for cell in cells]


def cell_text(cell: object) -> str:
    """A cell as a spreadsheet shows it, as text: 2020 (not 2020.0), dates as ISO dates."""
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime.datetime):
        return cell.date().isoformat() if cell.time() == datetime.time() else cell.isoformat(" ")
    if isinstance(cell, datetime.date | datetime.time):
        return cell.isoformat()
    return str(cell)
