"""CSV import and export.

Reads the columns of the deduplication benchmark (ID, ENTRYTYPE, author, year,
title, journal, booktitle, volume, number, pages, abstract, doi, isbn, url), of the
Cohen 2006 screening sets (record_id, pubmedID, title, keywords, authors,
abstract, label_*), the CSV exports of Scopus, Embase, Cochrane CENTRAL, PubMed,
Zotero, Rayyan and Covidence, and the columns this module writes. Column names match ignoring case
and spacing; a column no field holds (a screening label, say) is kept in
`Record.extra` under its own name, so nothing in the file is lost. Where several
columns fill one field (journal and booktitle: a conference paper's proceedings are
its venue, as in BibTeX), the first column that is not empty in the row does; the
others stay in `extra`.

What some exports need beyond their column names:
- Scopus: pages from "Page start" and "Page end", else the "Art. No."; authors from
  "Author full names" (given names; the author IDs dropped) when they are as many
  as in "Authors"; the entry type from "Document Type" ("Conference Paper":
  inproceedings, "Book Chapter": inbook, other types are journal items).
- Zotero: the entry type from "Item Type"; the PMID from a "PMID: 123" line of
  "Extra".
- Rayyan writes the RIS line after a DOI or URL into its cell ("10.1/x     LK  -
  https://..."); the part after the tag is kept in `extra` under that tag.
- Web of Science, saved as CSV from its Excel export (column names such as "Article
  Title" and "UT (Unique WOS ID)") or from its tab-delimited export (its tags as the
  header): each row is read as the tab-delimited export is (`ris.record_from_wos`).
- Embase: the header comes after the search query, a line of dashes and an empty
  line (any lines before the header, up to PREAMBLE_LINES, are passed over);
  "Author Names", "First Page"/"Last Page", "Medline PMID"; a "Conference Abstract"
  is an inproceedings entry.
- Cochrane CENTRAL: "CENTRAL ID", "Author(s)", "Source" as the journal (a "Source"
  column is the journal only where no other column names one: Scopus's "Source" is
  "Scopus", Embase's a citation), the PMID written "PUBMED 35220331".
- A spreadsheet's "CSV" separated by semicolons (or tabs) when the header has no
  comma.
- Excel workbooks: `review.formats.spreadsheet` gives a sheet's rows to `iter_table`,
  the column mapping this module's CSV reader uses.
A file whose header has no title column is refused: its records could be neither
screened nor deduplicated.

A file with the Cohen 2006 columns (record_id, pubmedID, keywords and no MeSH
column) has MeSH descriptors in its `keywords`, so they also fill `Record.mesh`,
where screening rules (Humans, Animals) look; they stay in `keywords` too, as the
file names them. Other files' keywords stay keywords only: nothing there says what
they are.

The export writes one row per record with the same columns, lists joined by
"; " (relations one a line), extra fields as further columns, and neutralises
cells a spreadsheet would run as a formula; reading undoes that.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from review.errors import InputError
from review.formats.fields import (
    abstract_sections,
    join_authors,
    join_list,
    names_for_message,
    parse_person,
    parse_year,
    split_authors,
    split_list,
)
from review.formats.medline import format_mesh_heading, parse_mesh_heading, relation
from review.formats.textfile import display_name, file_stem, gather, read_lines, text_lines
from review.records import Author, ImportProblem, ImportResult, Record, Relation, Source

__all__ = ["iter_csv", "iter_table", "read_csv", "stream_csv", "write_csv"]

# Each field and the column names (as `column_key` gives them) that fill it; the
# first is what we write.
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "record_id", "key", "central id"),
    "entry_type": ("entry_type", "entrytype"),
    "title": ("title", "article title", "document title"),
    "authors": ("authors", "author", "author names", "author(s)"),
    "year": ("year", "publication year", "published year"),
    "pub_date": ("pub_date", "date", "date of publication"),
    "journal": (
        "journal",
        "journal_title",
        "secondary_title",
        "source title",
        "journal/book",
        "publication title",
        "booktitle",
    ),
    "journal_abbrev": ("journal_abbrev", "abbreviated source title", "journal abbreviation"),
    "volume": ("volume",),
    "issue": ("issue", "number"),
    "pages": ("pages",),
    "page_start": ("page start", "first page"),
    "page_end": ("page end", "last page"),
    "article_number": ("art. no.", "article number"),
    "author_full_names": ("author full names",),
    "item_type": ("item type",),
    "abstract": ("abstract", "abstract note"),
    "doi": ("doi",),
    "pmid": ("pmid", "pubmedid", "pubmed_id", "pubmed id", "medline pmid"),
    "pmcid": ("pmcid", "pmc_id", "pmc id"),
    "isbn": ("isbn",),
    "url": ("url", "link"),
    "publication_types": ("publication_types", "document type", "publication type"),
    "mesh": ("mesh", "mesh terms", "mesh headings"),
    "keywords": ("keywords", "author keywords"),
    "languages": ("languages", "language", "language of original document", "article language"),
    "relations": ("relations",),
    "is_book": ("is_book",),
    "database": ("database",),
}
# Columns only read: Scopus gives the first and last page apart, an article number
# where a journal has no pages, and the authors' full names beside "Family I.";
# Zotero gives the item type.
READ_ONLY_FIELDS = {"page_start", "page_end", "article_number", "author_full_names", "item_type"}
# The entry type (BibTeX's names, as the other readers give them) of Zotero's item
# types and Scopus's and Embase's document types, for a file without an entry type
# column. Any other Zotero type is "misc"; any other document type is a journal item.
ZOTERO_TYPES = {
    "journalarticle": "article",
    "magazinearticle": "article",
    "newspaperarticle": "article",
    "conferencepaper": "inproceedings",
    "book": "book",
    "booksection": "inbook",
    "thesis": "phdthesis",
    "report": "techreport",
}
DOCUMENT_TYPES = {
    "conference paper": "inproceedings",
    "conference abstract": "inproceedings",  # Embase: an abstract printed for a meeting
    "conference review": "proceedings",
    "book": "book",
    "book chapter": "inbook",
}
# Scopus's "Author full names": "Wilson, Lauren N. (58975547800); ...".
SCOPUS_AUTHOR_ID = re.compile(r"\s*\(\d+\)\s*$")
# Zotero keeps a PubMed ID in its "Extra" field, one "PMID: 123" line.
ZOTERO_PMID = re.compile(r"^\s*PMID:\s*(\d+)\s*$", re.MULTILINE)
# Rayyan writes the RIS line after a DOI or URL into the same cell
# ("10.1038/x     LK  - https://..."): what follows the tag is another field.
RIS_LEAK = re.compile(r"\s+([A-Z][A-Z0-9])  - ")
COLUMN_FIELD = {name: field for field, names in COLUMNS.items() for name in names}
# Columns that fill a field only when no other column of the header can: Cochrane's
# and Publish or Perish's "Source" is the journal, while Scopus ("Scopus") and Embase
# (a citation) give a "Source" beside their "Source title".
FALLBACK_COLUMNS = {"source": "journal"}
# A PMID written with its database's name ("PUBMED 21314913" in Cochrane's CENTRAL).
NAMED_PMID = re.compile(r"(?:pmid|pubmed)\W*(\d{1,9})", re.IGNORECASE)
WRITTEN_COLUMNS = tuple(
    names[0] for field, names in COLUMNS.items() if field not in READ_ONLY_FIELDS
)
# How many lines before the header are looked through for it.
PREAMBLE_LINES = 10
# The column set of the Cohen 2006 screening sets, whose `keywords` are MeSH descriptors.
COHEN_COLUMNS = frozenset({"record_id", "pubmedid", "keywords"})
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def read_csv(path: Path, *, database: str | None = None) -> ImportResult:
    """Every row of a CSV file (plain or gzip) as a record; bad rows become problems."""
    return gather(stream_csv(path, database=database))


def stream_csv(path: Path, *, database: str | None = None) -> Iterator[Record | ImportProblem]:
    """`read_csv` one row at a time, the file read line by line; decoding problems last."""
    problems: list[ImportProblem] = []
    yield from iter_csv(
        read_lines(path, problems),
        database=database or file_stem(path),
        file=display_name(path),
        use_database_column=database is None,
    )
    yield from problems


def column_key(name: str) -> str:
    """'Source title', 'SOURCE  TITLE' and ' source title ' are one column."""
    return " ".join(name.lower().split())


def iter_csv(
    stream: Iterable[str],
    *,
    database: str,
    file: str,
    use_database_column: bool = True,
) -> Iterator[Record | ImportProblem]:
    yield from iter_table(
        csv_rows(stream, file),
        database=database,
        file=file,
        use_database_column=use_database_column,
    )


# A table's rows as a reader gives them: (the row's line or row number, its cells), or a
# problem with a row that could not be read.
Row = tuple[int, list[str]] | ImportProblem


def csv_rows(stream: Iterable[str], file: str) -> Iterator[Row]:
    """Each row of CSV text with the line it starts on; a row that cannot be read is a
    problem (an unclosed quote ends the file: the rest cannot be read)."""
    lines = iter(stream)
    first = next(lines, None)
    if first is None:
        return
    # strict: a quote left open runs to the end of the file; say so instead of swallowing rows.
    reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter_of(first), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InputError(f"{file}:1: the CSV header cannot be read ({exc})") from None
    yield 1, header
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                yield ImportProblem(
                    file,
                    line,
                    "a quote opened in this row is never closed; the rest of "
                    "the file cannot be read",
                )
                return
            yield ImportProblem(file, line, f"row cannot be read as CSV ({exc})")
            continue
        yield line, row


def iter_table(
    rows: Iterable[Row],
    *,
    database: str,
    file: str,
    use_database_column: bool = True,
    kind: str = "a CSV",
    at: str = "",
    ragged: bool = False,
) -> Iterator[Record | ImportProblem]:
    """Records from a table's rows: a header (after up to PREAMBLE_LINES lines before it)
    naming the columns, then one record a row; the CSV reader's and the spreadsheet
    reader's one column mapping.

    `kind` and `at` name the table in the error for a header without a title column
    ("a CSV", "file:1"; "a sheet", "file, sheet 'Records', row 1"). `ragged` rows (a
    sheet's) may end before the header or run past it with empty cells.
    """
    numbered = iter(rows)
    first = next(numbered, None)
    if first is None or isinstance(first, ImportProblem):
        return
    header = first_line = table_header(first[1], ragged)
    wos_tags = web_of_science_tags(header)
    fields = fields_of(header)
    # Lines before the header: Embase's CSV opens with its search query, a line of
    # dashes and an empty line.
    for _ in range(PREAMBLE_LINES):
        if wos_tags is not None or "title" in fields:
            break
        found = next(numbered, None)
        if found is None or isinstance(found, ImportProblem):
            break
        header = table_header(found[1], ragged)
        wos_tags = web_of_science_tags(header)
        fields = fields_of(header)
    if wos_tags is None and "title" not in fields:
        raise InputError(
            f"{at or f'{file}:1'}: no title column among {names_for_message(first_line)}; "
            f"{kind} of records needs one (named one of {', '.join(COLUMNS['title'])})"
        )
    keywords_are_mesh = {column_key(name) for name in header} >= COHEN_COLUMNS and (
        "mesh" not in fields
    )
    position = 0
    for found in numbered:
        if isinstance(found, ImportProblem):
            yield found
            continue
        line, row = found
        if not any(cell.strip() for cell in row):
            continue
        position += 1
        if ragged:
            after = enumerate(row[len(header) :], len(header) + 1)
            beyond = [n for n, cell in after if cell.strip()]
            if beyond:
                yield ImportProblem(
                    file,
                    line,
                    f"row has a value in column {beyond[0]}, after the header's "
                    f"{len(header)} columns; name that column in the header row or clear it",
                )
                continue
            row = (row + [""] * len(header))[: len(header)]
        if len(row) != len(header):
            yield ImportProblem(
                file, line, f"row has {len(row)} cells but the header has {len(header)}"
            )
            continue
        if wos_tags is not None:
            wos_database = None if use_database_column else database
            yield record_from_wos_row(wos_tags, row, file, position, wos_database)
            continue
        source = Source(database=database, file=file, position=position)
        yield record_from_row(header, fields, row, source, use_database_column, keywords_are_mesh)


def table_header(cells: list[str], ragged: bool) -> list[str]:
    """The column names; a sheet's header without the empty cells after its last name."""
    names = [unneutralise(name) for name in cells]
    while ragged and names and not names[-1].strip():
        names.pop()
    return names


def fields_of(header: list[str]) -> list[str]:
    """The field each column fills ("" for none)."""
    fields = [COLUMN_FIELD.get(column_key(name), "") for name in header]
    return [
        field
        or (
            fallback
            if (fallback := FALLBACK_COLUMNS.get(column_key(name), "")) not in fields
            else ""
        )
        for name, field in zip(header, fields, strict=True)
    ]


def delimiter_of(header_line: str) -> str:
    """The separator: a comma, or a semicolon (a spreadsheet's "CSV" where the comma is
    the decimal mark) or a tab when the header holds one of them and no comma."""
    if "," not in header_line:
        for separator in (";", "\t"):
            if separator in header_line:
                return separator
    return ","


# Web of Science's Excel export names each field; its other exports give the tags.
WOS_COLUMN_TAGS = {
    "publication type": "PT",
    "authors": "AU",
    "book authors": "BA",
    "book editors": "BE",
    "book group authors": "GP",
    "author full names": "AF",
    "book author full names": "BF",
    "group authors": "CA",
    "article title": "TI",
    "source title": "SO",
    "book series title": "SE",
    "language": "LA",
    "document type": "DT",
    "conference title": "CT",
    "author keywords": "DE",
    "keywords plus": "ID",
    "abstract": "AB",
    "publisher": "PU",
    "issn": "SN",
    "eissn": "EI",
    "isbn": "BN",
    "journal abbreviation": "J9",
    "journal iso abbreviation": "JI",
    "publication date": "PD",
    "publication year": "PY",
    "volume": "VL",
    "issue": "IS",
    "supplement": "SU",
    "special issue": "SI",
    "meeting abstract": "MA",
    "start page": "BP",
    "end page": "EP",
    "article number": "AR",
    "doi": "DI",
    "book doi": "D2",
    "number of pages": "PG",
    "pubmed id": "PM",
    "ut (unique wos id)": "UT",
}


def web_of_science_tags(header: list[str]) -> list[str] | None:
    """Each column's Web of Science tag when the header is Web of Science's: its tags
    (the tab-delimited export saved as CSV: "PT", "AU", "TI", ..., "UT") or the names of
    its Excel export ("Article Title", ..., "UT (Unique WOS ID)"); else None."""
    tags = [name.strip() for name in header]
    if "TI" in tags and "UT" in tags:
        return tags
    keys = [column_key(name) for name in header]
    if "ut (unique wos id)" in keys and "article title" in keys:
        return [WOS_COLUMN_TAGS.get(key, tag) for key, tag in zip(keys, tags, strict=True)]
    return None


def record_from_wos_row(
    tags: list[str], row: list[str], file: str, position: int, database: str | None
) -> Record:
    """A row of a Web of Science export in CSV, read as its tab-delimited export is."""
    from review.formats.ris import WOS_LIST_TAGS, record_from_wos

    values: dict[str, Any] = {}
    for tag, written in zip(tags, row, strict=True):
        value = unneutralise(written).strip()
        if value and tag not in values:
            values[tag] = [v.strip() for v in value.split(";")] if tag in WOS_LIST_TAGS else value
    return record_from_wos(values, file=file, position=position, database=database)


def record_from_row(
    header: list[str],
    fields: list[str],
    row: list[str],
    source: Source,
    use_database_column: bool,
    keywords_are_mesh: bool = False,
) -> Record:
    values: dict[str, str] = {}
    column_of: dict[str, str] = {}
    extra: list[tuple[str, str]] = []
    for name, field, written in zip(header, fields, row, strict=True):
        cell = unneutralise(written)
        # Several columns can fill one field (journal, booktitle): the first that
        # is not empty in this row does; the others stay in `extra`.
        if field and not values.get(field):
            values[field] = cell.strip()
            column_of[field] = name
        elif cell != "":
            extra.append((name, cell))
    for name in ("doi", "url"):
        leak = RIS_LEAK.search(values.get(name, ""))
        if leak:
            extra.append((leak.group(1), values[name][leak.end() :].strip()))
            values[name] = values[name][: leak.start()].strip()
    get = values.get
    # A column read only to fill another field stays in `extra` where it does not.
    pages = get("pages") or page_range(get("page_start", ""), get("page_end", ""))
    if pages and get("article_number"):
        extra.append((column_of["article_number"], values["article_number"]))
    authors = authors_of(get("authors", ""), get("author_full_names", ""))
    if authors is None:
        authors = split_authors(get("authors", ""))
        if get("author_full_names"):
            extra.append((column_of["author_full_names"], values["author_full_names"]))
    if get("item_type") and get("item_type", "").lower() not in ZOTERO_TYPES:
        extra.append((column_of["item_type"], values["item_type"]))
    if use_database_column and get("database"):
        source = Source(get("database", ""), source.file, source.search, source.position)
    return Record(
        id=get("id") or f"{file_stem(Path(source.file))}:{source.position}",
        source=source,
        title=get("title", ""),
        abstract=abstract_sections(get("abstract", "")),
        authors=authors,
        journal=get("journal", ""),
        journal_abbrev=get("journal_abbrev", ""),
        volume=get("volume", ""),
        issue=get("issue", ""),
        pages=pages or get("article_number", ""),
        year=parse_year(get("year", "") or get("pub_date", "")),
        pub_date=get("pub_date", ""),
        pmid=pmid_of(get("pmid", "")) or zotero_pmid(extra),
        doi=get("doi", ""),
        pmcid=get("pmcid", ""),
        isbn=get("isbn", ""),
        url=get("url", ""),
        entry_type=entry_type_of(
            get("entry_type", ""), get("item_type", ""), get("publication_types", "")
        ),
        publication_types=split_list(get("publication_types", "")),
        mesh=tuple(
            parse_mesh_heading(h)
            for h in split_list(get("keywords" if keywords_are_mesh else "mesh", ""))
        ),
        keywords=split_list(get("keywords", "")),
        languages=split_list(get("languages", "")),
        relations=parse_relations(get("relations", "")),
        is_book=get("is_book", "").lower() in {"true", "1", "yes"},
        extra=tuple(extra),
    )


def authors_of(cell: str, full_names: str) -> tuple[Author, ...] | None:
    """Scopus's full names ("Wilson, Lauren N. (58975547800)") as the authors when they
    are as many as the short ones in `cell` ("Wilson L.N."), or there are none; else None."""
    full = [SCOPUS_AUTHOR_ID.sub("", name) for name in full_names.split(";")]
    full = [name for name in full if name.strip()]
    if full and (not cell.strip() or len(full) == len(split_authors(cell))):
        return tuple(parse_person(" ".join(name.split())) for name in full)
    return None


def entry_type_of(entry_type: str, item_type: str, document_type: str) -> str:
    """The entry type the file gives, else Zotero's item type or a document type (Scopus,
    Embase) as one ("conferencePaper", "Conference Paper": inproceedings), else an article."""
    if entry_type:
        return entry_type
    if item_type:
        return ZOTERO_TYPES.get(item_type.lower(), "misc")
    return DOCUMENT_TYPES.get(column_key(document_type), "article")


def pmid_of(cell: str) -> str:
    """The PMID, without the database's name some exports write before it."""
    named = NAMED_PMID.fullmatch(cell)
    return named.group(1) if named else cell


def zotero_pmid(extra: list[tuple[str, str]]) -> str:
    """The PMID in Zotero's "Extra" field ("PMID: 22752652" on a line of its own)."""
    for name, value in extra:
        if column_key(name) == "extra":
            found = ZOTERO_PMID.search(value)
            if found:
                return found.group(1)
    return ""


def page_range(start: str, end: str) -> str:
    return f"{start}-{end}" if start and end else start or end


def parse_relations(cell: str) -> tuple[Relation, ...]:
    """One relation a line, "ErratumIn Addiction. 2020 Jan;115(1):1. PMID: 123", back."""
    relations = []
    for line in text_lines(cell):
        kind, _, target = line.strip().partition(" ")
        if kind:
            relations.append(relation(kind, target.strip()))
    return tuple(relations)


def format_relation(item: Relation) -> str:
    # Citations hold ";" ("2020 Jan;115(1):1"), so relations go one a line, not "; ".
    target = f"{item.citation} PMID: {item.pmid}" if item.pmid else item.citation
    return f"{item.kind} {target.strip()}".strip()


def row_of(record: Record) -> dict[str, str]:
    return {
        "id": record.id,
        "entry_type": record.entry_type,
        "title": record.title,
        "authors": join_authors(record.authors),
        "year": "" if record.year is None else str(record.year),
        "pub_date": record.pub_date,
        "journal": record.journal,
        "journal_abbrev": record.journal_abbrev,
        "volume": record.volume,
        "issue": record.issue,
        "pages": record.pages,
        "abstract": record.abstract_text,
        "doi": record.doi,
        "pmid": record.pmid,
        "pmcid": record.pmcid,
        "isbn": record.isbn,
        "url": record.url,
        "publication_types": join_list(record.publication_types),
        "mesh": join_list([format_mesh_heading(h) for h in record.mesh]),
        "keywords": join_list(record.keywords),
        "languages": join_list(record.languages),
        "relations": "\n".join(format_relation(r) for r in record.relations),
        "is_book": "true" if record.is_book else "",
        "database": record.source.database,
    }


def neutralise(cell: str) -> str:
    """Prefix a quote so a spreadsheet shows the cell as text instead of running it.

    A value that itself starts with quotes before a formula character gets one
    more, so `unneutralise` gives every value back exactly.
    """
    return "'" + cell if cell.lstrip("'").startswith(FORMULA_STARTS) else cell


def unneutralise(cell: str) -> str:
    """Undo `neutralise` when reading a CSV this module (or a careful tool) wrote."""
    if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def write_csv(records: Iterable[Record], path: Path) -> int:
    """Write records as CSV (UTF-8); returns how many were written.

    Extra fields become columns after the standard ones, and which there are is
    known only at the end: rows wait in a temporary file beside the output (one
    record at a time in memory), then the header and the rows are written.
    """
    extra_columns: dict[str, None] = {}
    count = 0
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="", dir=path.parent) as rows:
        spool = csv.writer(rows)
        for record in records:
            row = row_of(record)
            extra: dict[str, str] = {}
            # An extra field named as a field's column (a booktitle beside the
            # journal) is written too: reading fills each field from its first
            # filled column, the standard one, and keeps the others in extra again.
            for name, value in record.extra:
                extra_columns.setdefault(name, None)
                if name not in row:
                    extra.setdefault(name, value)
            spool.writerow([*(row[column] for column in WRITTEN_COLUMNS), json.dumps(extra)])
            count += 1
        rows.seek(0)
        columns = [*WRITTEN_COLUMNS, *extra_columns]
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow([neutralise(column) for column in columns])
            for cells in csv.reader(rows):
                extra = json.loads(cells[-1])
                writer.writerow(
                    [neutralise(cell) for cell in cells[:-1]]
                    + [neutralise(extra.get(name, "")) for name in extra_columns]
                )
    return count
