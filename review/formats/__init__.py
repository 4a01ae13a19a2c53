"""Reading and writing bibliographic files in every format `review` supports.

`read_records` picks the reader from the file's extension, or from its first
bytes when the extension says nothing (".txt", no extension, ".gz");
`write_records` picks the writer from the output's extension. Each format has
its own module; the readers are imported only when used.

    format           read from                                  written to
    PubMed XML       .xml (efetch, NLM baseline/update)         -
    MEDLINE          .nbib .medline, or text with "PMID- "      .nbib
    RIS              .ris, or text with "TY  - "                .ris
    Web of Science   plain text ("FN Clarivate ...", "PT J")    -
                     tab-delimited (first line "PT<tab>AU...")  -
    BibTeX           .bib .bibtex, or text with "@article{"     .bib
    CSV              .csv, or text whose first line has commas  .csv
    Excel            .xlsx .xls: the first sheet, as its CSV        -
    JSON Lines       .jsonl, or text starting with "{"          .jsonl

Every text reader also takes a gzip file (".csv.gz" or any gzip content).
"""

from __future__ import annotations

import gzip
import importlib
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from review.errors import InputError
from review.formats.textfile import (
    GZIP_MAGIC,
    damaged_gzip,
    decode_head,
    display_name,
    gather,
    nested_gzip,
    open_binary,
    unreadable_file,
)
from review.records import (
    Deleted,
    ImportProblem,
    ImportResult,
    Record,
    SharedValues,
    canonical_database,
)

__all__ = [
    "WRITE_FORMATS",
    "detect_format",
    "iter_records",
    "read_records",
    "write_records",
    "write_replacing",
]

WRITE_FORMATS = {
    ".ris": "ris",
    ".bib": "bibtex",
    ".csv": "csv",
    ".nbib": "medline",
    ".jsonl": "jsonl",
}

EXTENSION_FORMATS = {
    ".xml": "pubmed-xml",
    ".nbib": "medline",
    ".medline": "medline",
    ".ris": "ris",
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".xlsx": "spreadsheet",
    ".xls": "spreadsheet",
}
SNIFF_BYTES = 4096
FORMAT_NAMES = {
    "csv": "CSV",
    "pubmed-xml": "PubMed XML",
    "ris": "RIS",
    "medline": "MEDLINE/nbib",
    "jsonl": "JSON Lines",
    "bibtex": "BibTeX",
    "wos": "Web of Science plain text",
    "wos-tabbed": "Web of Science tab-delimited",
    "spreadsheet": "Excel workbook",
}


def detect_format(path: Path) -> str:
    """The input format, from the extension or else from the first few kilobytes."""
    name = path.name.lower().removesuffix(".gz")
    suffix = Path(name).suffix
    if suffix in EXTENSION_FORMATS:
        return EXTENSION_FORMATS[suffix]
    head = read_head(path)
    sniffed = sniff(head)
    if sniffed is None:
        raise InputError(
            f"{path}: cannot tell its format; give it one of the extensions "
            f"{', '.join(sorted(EXTENSION_FORMATS))}"
        )
    return sniffed


def read_head(path: Path) -> str:
    with open_binary(path) as stream:
        try:
            raw = stream.read(SNIFF_BYTES)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:  # BadGzipFile is an OSError
            raise damaged_gzip(path, exc) from None
        except OSError as exc:
            raise unreadable_file(path, exc) from None
        if raw.startswith(GZIP_MAGIC) and isinstance(stream, gzip.GzipFile):
            raise nested_gzip(path)
    return decode_head(raw)


def sniff(head: str) -> str | None:
    stripped = head.lstrip()
    if stripped.startswith("<"):
        return "pubmed-xml"
    if re.search(r"^PMID- ", head, re.MULTILINE):
        return "medline"
    if re.search(r"^TY  - ", head, re.MULTILINE):
        return "ris"
    if re.match(r"(?:FN |PT [A-Z]\s*$)", stripped, re.MULTILINE):
        return "wos"
    if stripped.startswith("PT\t"):
        return "wos-tabbed"
    if re.search(r"^\s*@\w+\s*[{(]", head, re.MULTILINE):
        return "bibtex"
    if stripped.startswith("{"):
        return "jsonl"
    if "," in head.split("\n", 1)[0]:
        return "csv"
    return None


# Each format's module and its reader and writer; modules are imported only when
# used, so reading CSV does not load lxml, Biopython, rispy or bibtexparser. A reader
# yields records and problems one at a time, reading its file as it goes.
READERS: dict[str, tuple[str, str]] = {
    "csv": ("review.formats.table", "stream_csv"),
    "pubmed-xml": ("review.formats", "stream_pubmed_xml"),
    "ris": ("review.formats.ris", "stream_ris"),
    "medline": ("review.formats.medline", "stream_medline"),
    "jsonl": ("review.formats.jsonl", "stream_jsonl"),
    "bibtex": ("review.formats.bibtex", "stream_bibtex"),
    "wos": ("review.formats.ris", "stream_wos"),
    "wos-tabbed": ("review.formats.ris", "stream_wos_tabbed"),
    "spreadsheet": ("review.formats.spreadsheet", "stream_spreadsheet"),
}
WRITERS: dict[str, tuple[str, str]] = {
    "csv": ("review.formats.table", "write_csv"),
    "ris": ("review.formats.ris", "write_ris"),
    "medline": ("review.formats.medline", "write_medline"),
    "jsonl": ("review.formats.jsonl", "write_jsonl"),
    "bibtex": ("review.formats.bibtex", "write_bibtex"),
}
# A stream's items: a record, a problem, or a PMID that NLM deleted (PubMed XML only).
Item = Record | ImportProblem | Deleted


def reader_for(format_name: str) -> Callable[..., Iterator[Item]]:
    module, name = READERS[format_name]
    reader: Callable[..., Iterator[Item]] = getattr(importlib.import_module(module), name)
    return reader


def writer_for(format_name: str) -> Callable[[Iterable[Record], Path], int]:
    module, name = WRITERS[format_name]
    writer: Callable[[Iterable[Record], Path], int] = getattr(importlib.import_module(module), name)
    return writer


def stream_pubmed_xml(path: Path, *, database: str | None = None) -> Iterator[Item]:
    from review.formats.pubmed_xml import iter_pubmed_xml

    with open_binary(path) as stream:
        try:
            for item in iter_pubmed_xml(
                stream, database=database or "PubMed", file=display_name(path), lines=True
            ):
                yield item if isinstance(item, Record | ImportProblem) else Deleted(item.pmid)
        except OSError as exc:
            raise unreadable_file(path, exc) from None


def iter_records(
    path: Path, *, database: str | None = None, keep_going: bool = False
) -> Iterator[Item]:
    """Records, problems and PubMed deletions from one file of any supported format,
    one at a time: the file is read as they are taken (BibTeX excepted).

    `database` names the source for PRISMA ("Embase"); without it the file's own
    database field is used where the format has one, else the file's stem; the
    name is spelled as `canonical_database` gives it. Raises InputError when the
    file cannot be read at all, or when not one record could be read from it
    although it holds something (a problem was found) and not `keep_going`.
    """
    format_name = detect_format(path)
    wanted = canonical_database(database) if database else None
    records = 0
    first_problem: ImportProblem | None = None
    shared = SharedValues()
    for item in reader_for(format_name)(path, database=wanted):
        if isinstance(item, Record):
            records += 1
            item = shared.record(item)
            # JSON Lines keeps every field as it was written: it is our lossless format.
            name = item.source.database
            if format_name != "jsonl":
                name = canonical_database(name)
            if name != item.source.database:
                item = replace(item, source=replace(item.source, database=name))
        elif isinstance(item, ImportProblem) and first_problem is None:
            first_problem = item
        yield item
    if records == 0 and first_problem is not None and not keep_going:
        where = f"{path}:{first_problem.position}" if first_problem.position else f"{path}"
        raise InputError(
            f"{where}: no record could be read from this {FORMAT_NAMES[format_name]} file "
            f"({first_problem.message.rstrip('.')}); --keep-going goes on without it"
        )


def read_records(
    path: Path, *, database: str | None = None, keep_going: bool = False
) -> ImportResult:
    """Every record, problem and deletion of one file (see `iter_records`)."""
    return gather(iter_records(path, database=database, keep_going=keep_going))


def write_records(records: Iterable[Record], path: Path) -> int:
    """Write records in the format OUTPUT's extension names; returns how many were written."""
    format_name = WRITE_FORMATS.get(path.suffix.lower())
    if format_name is None:
        raise InputError(
            f"{path}: cannot tell which format to write; end the name with one of "
            f"{', '.join(WRITE_FORMATS)}"
        )
    write = writer_for(format_name)
    return write_replacing(path, lambda partial: write(records, partial))


def write_replacing(path: Path, write: Callable[[Path], int]) -> int:
    """Call `write` on a file beside `path`, then rename that over `path`; returns its count.

    Renamed only when complete, so a failure half-way (a full disk) never leaves a
    partial file in place of an earlier one. Raises InputError naming `path`.
    """
    partial = path.with_name(f".{path.name}.partial")
    try:
        written = write(partial)
        partial.replace(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    finally:
        partial.unlink(missing_ok=True)
    return written
