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
    JSON Lines       .jsonl, or text starting with "{"          .jsonl

Every reader also takes a gzip file (".csv.gz" or any gzip content).
"""

from __future__ import annotations

import codecs
import gzip
import importlib
import re
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

from review.errors import InputError
from review.formats.textfile import GZIP_MAGIC, damaged_gzip, unreadable_file
from review.records import ImportResult, Record

__all__ = [
    "WRITE_FORMATS",
    "detect_format",
    "read_records",
    "write_records",
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
}
SNIFF_BYTES = 4096


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
    try:
        with path.open("rb") as handle:
            magic = handle.read(2)
            handle.seek(0)
            if magic == GZIP_MAGIC:
                with gzip.open(handle) as unzipped:
                    raw = unzipped.read(SNIFF_BYTES)
            else:
                raw = handle.read(SNIFF_BYTES)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:  # BadGzipFile is an OSError
        raise damaged_gzip(path, exc) from None
    except OSError as exc:
        raise unreadable_file(path, exc) from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16", errors="replace").lstrip("\ufeff")
    return raw.decode("utf-8", errors="replace").lstrip("\ufeff")


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
# used, so reading CSV does not load lxml, Biopython, rispy or bibtexparser.
READERS: dict[str, tuple[str, str]] = {
    "csv": ("review.formats.table", "read_csv"),
    "pubmed-xml": ("review.formats.pubmed_xml", "read_pubmed_xml"),
    "ris": ("review.formats.ris", "read_ris"),
    "medline": ("review.formats.medline", "read_medline"),
    "jsonl": ("review.formats.jsonl", "read_jsonl"),
    "bibtex": ("review.formats.bibtex", "read_bibtex"),
    "wos": ("review.formats.ris", "read_wos"),
    "wos-tabbed": ("review.formats.ris", "read_wos_tabbed"),
}
WRITERS: dict[str, tuple[str, str]] = {
    "csv": ("review.formats.table", "write_csv"),
    "ris": ("review.formats.ris", "write_ris"),
    "medline": ("review.formats.medline", "write_medline"),
    "jsonl": ("review.formats.jsonl", "write_jsonl"),
    "bibtex": ("review.formats.bibtex", "write_bibtex"),
}


def reader_for(format_name: str) -> Callable[..., ImportResult]:
    module, name = READERS[format_name]
    reader: Callable[..., ImportResult] = getattr(importlib.import_module(module), name)
    return reader


def writer_for(format_name: str) -> Callable[[Iterable[Record], Path], int]:
    module, name = WRITERS[format_name]
    writer: Callable[[Iterable[Record], Path], int] = getattr(importlib.import_module(module), name)
    return writer


def read_records(path: Path, *, database: str | None = None) -> ImportResult:
    """Records, problems and deletions from one file of any supported format.

    `database` names the source for PRISMA ("Embase"); without it the file's own
    database field is used where the format has one, else the file's stem.
    Raises InputError when the file cannot be read at all.
    """
    format_name = detect_format(path)
    if format_name == "pubmed-xml":
        return reader_for(format_name)(path, database=database or "PubMed")
    return reader_for(format_name)(path, database=database)


def write_records(records: Iterable[Record], path: Path) -> int:
    """Write records in the format OUTPUT's extension names; returns how many were written."""
    format_name = WRITE_FORMATS.get(path.suffix.lower())
    if format_name is None:
        raise InputError(
            f"{path}: cannot tell which format to write; end the name with one of "
            f"{', '.join(WRITE_FORMATS)}"
        )
    # Written beside the output and renamed over it only when complete, so a
    # failure half-way never leaves a partial file in place of an earlier one.
    partial = path.with_name(f".{path.name}.partial")
    try:
        written = writer_for(format_name)(records, partial)
        partial.replace(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    finally:
        partial.unlink(missing_ok=True)
    return written
