"""RIS import and export, as Embase, Ovid, Scopus, Web of Science and Zotero write it.

Each entry's tags are read by rispy. rispy cannot say on which line an entry
starts and silently merges an entry that lacks its "ER" line into the next, so
this module cuts the file into entries itself (tracking line numbers, accepting
"TY - " with one space as some exporters write it) and hands each entry to rispy.

The exporters disagree on tags; this is how they are read:

    title        TI, T1 (BT for whole books)
    abstract     AB, N2 (Embase and Ovid put the abstract in N2)
    authors      AU, A1 ("Family, Given", Ovid's "Family K.E."); A2-A4 are editors
    year         PY, Y1, DA (first four-digit year); pub_date keeps DA or Y1 as written
    journal      JF, JO, T2 (Scopus, Web of Science, Zotero), then BT
    abbreviation JA, J2, J1
    pages        SP and EP joined by "-"
    DOI          DO (Ovid's "https://dx.doi.org/..." prefix dropped)
    ISBN         SN when it is an ISBN; an ISSN stays in extra as "SN"
    database     DB, DP (Zotero); used for the source unless one is given
    id           ID; else "<file stem>:<position>"
    PMID         AN, when DB or DP names PubMed or MEDLINE (Ovid, Zotero); elsewhere
                 AN is the database's own accession number and stays in extra
    pub types    M3 (Scopus and Embase "Article", "Review")
    keywords     KW; in Ovid MEDLINE (DB names Ovid and MEDLINE) KW holds the MeSH
                 headings ("*Mitragyna", "Humans", "X/ep [Epidemiology]"), so
                 there they also fill `mesh`, where screening rules look

Any other tag (AN, N1, AD, U2, C2, ...) is kept in `Record.extra` under its tag and
written back out unchanged.

Web of Science's "Plain text" export (PT ... ER, indented continuation lines) is
read here too, by rispy's WokParser (`read_wos`), and its "Tab-delimited" export,
with the same tags as column names (`read_wos_tabbed`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar, cast

import rispy

from review.formats.fields import format_person, parse_person, parse_year
from review.formats.textfile import display_name, file_stem, gather, lines_of, read_lines
from review.records import (
    AbstractSection,
    Author,
    ImportProblem,
    ImportResult,
    MeshHeading,
    MeshQualifier,
    Record,
    Source,
)

__all__ = [
    "iter_ris",
    "iter_wos",
    "parse_ovid_heading",
    "read_ris",
    "read_wos",
    "read_wos_tabbed",
    "write_ris",
]

TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?: (.*)|\s*)$")
ALL_TAGS = {
    a + b: a + b
    for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
}
# Every tag is read as a list of lines: rispy would otherwise fail on a repeated
# one-value tag that wraps onto a second line, and drop the whole entry.
EVERY_TAG = frozenset(ALL_TAGS)
TYPE_TO_ENTRY = {
    "JOUR": "article",
    "EJOUR": "article",
    "ABST": "article",
    "BOOK": "book",
    "EBOOK": "book",
    "CHAP": "inbook",
    "ECHAP": "inbook",
    "CONF": "inproceedings",
    "CPAPER": "inproceedings",
    "THES": "phdthesis",
    "RPRT": "techreport",
    "GEN": "misc",
}
ENTRY_TO_TYPE = {
    "article": "JOUR",
    "book": "BOOK",
    "inbook": "CHAP",
    "incollection": "CHAP",
    "inproceedings": "CPAPER",
    "phdthesis": "THES",
    "mastersthesis": "THES",
    "techreport": "RPRT",
    "misc": "GEN",
}
# The one key where an unusual TY (e.g. "ELEC") waits to be written back out.
TYPE_KEY = "TY"
HANDLED = {
    "TY", "ID", "TI", "T1", "BT", "AB", "N2", "AU", "A1", "PY", "Y1", "DA", "JF", "JO", "T2",
    "JA", "J2", "J1", "VL", "IS", "SP", "EP", "DO", "SN", "DB", "DP", "UR", "KW", "LA", "M3",
}  # fmt: skip
LINE_BREAK = re.compile(r"\r\n|\r|\n")
DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
ISBN = re.compile(r"^(?:97[89][- ]?)?(?:\d[- ]?){9}[\dXx]$")


@dataclass(frozen=True, slots=True)
class RawEntry:
    line: int  # where its TY line is
    text: str  # the entry's lines, tag lines normalised to "XX  - value"


def read_ris(path: Path, *, database: str | None = None) -> ImportResult:
    """Every entry of a RIS file; entries rispy cannot read become problems."""
    return gather(stream_ris(path, database=database))


def stream_ris(path: Path, *, database: str | None = None) -> Iterator[Record | ImportProblem]:
    """`read_ris` one entry at a time, the file read line by line; decoding problems last."""
    problems: list[ImportProblem] = []
    yield from iter_ris(read_lines(path, problems), database=database, file=display_name(path))
    yield from problems


def iter_ris(
    text: str | Iterable[str], *, database: str | None, file: str
) -> Iterator[Record | ImportProblem]:
    def parse(entry: str) -> dict[str, Any]:
        (tags,) = rispy.loads(
            entry, mapping=ALL_TAGS, list_tags=EVERY_TAG, delimiter_tags_mapping={}
        )
        return cast(dict[str, Any], tags)

    def build(tags: dict[str, Any], position: int) -> tuple[Record, list[str]]:
        return record_from_tags(tags, file=file, position=position, database=database)

    return parse_entries(split_entries(text, file), file, parse, build, noun="entry")


def parse_entries(
    entries: Iterable[RawEntry | ImportProblem],
    file: str,
    parse: Callable[[str], dict[str, Any]],
    build: Callable[[dict[str, Any], int], tuple[Record, list[str]]],
    *,
    noun: str,
) -> Iterator[Record | ImportProblem]:
    """Records from split entries; an entry rispy cannot read becomes a problem at its line,
    and so does a value that cannot be used (a year that is no year)."""
    position = 0
    for item in entries:
        if isinstance(item, ImportProblem):
            yield item
            continue
        position += 1
        try:
            tags = parse(item.text)
        except (ValueError, TypeError, KeyError) as exc:
            yield ImportProblem(file, item.line, f"{noun} cannot be read ({exc}); skipped")
            continue
        record, messages = build(tags, position)
        yield from (ImportProblem(file, item.line, m, record.id, kept=True) for m in messages)
        yield record


def split_entries(text: str | Iterable[str], file: str) -> Iterator[RawEntry | ImportProblem]:
    """Entries from TY to ER with their first line; stray text, lines without a tag and
    missing ERs reported."""
    lines: list[str] = []
    start = 0
    stray_reported = False
    for number, raw_line in enumerate(lines_of(text), start=1):
        match = TAG_LINE.match(raw_line)
        tag = match.group(1) if match else ""
        line = f"{tag}  - {match.group(2) or ''}".rstrip() if match else raw_line
        if lines and not match and raw_line.strip() and not raw_line[0].isspace():
            # Ovid indents a wrapped line; one that is not indented is text that lost
            # its tag (an edited file), read with the line before as rispy does.
            yield ImportProblem(
                file,
                number,
                f"line has no tag: {raw_line.strip()[:40]!r}; read as part of the line before",
                kept=True,
            )
        if tag == "TY":
            if lines:
                yield ImportProblem(
                    file,
                    start,
                    f"entry has no ER line; it was ended at line {number - 1}",
                    kept=True,
                )
                yield RawEntry(start, "\n".join([*lines, "ER  - "]))
            lines, start, stray_reported = [line], number, False
        elif tag == "ER" and lines:
            yield RawEntry(start, "\n".join([*lines, "ER  - "]))
            lines = []
        elif lines:
            lines.append(line)
        elif raw_line.strip() and not is_entry_number(raw_line) and not stray_reported:
            stray_reported = True
            yield ImportProblem(
                file, number, "text outside any entry (no 'TY  - ' line before it); ignored"
            )
    if lines:
        yield ImportProblem(
            file, start, "entry has no ER line; it was ended at the end of file", kept=True
        )
        yield RawEntry(start, "\n".join([*lines, "ER  - "]))


def is_entry_number(line: str) -> bool:
    # rispy and Reference Manager write "1." before each entry.
    return re.fullmatch(r"\s*\d+\.\s*", line) is not None


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value).strip()] if str(value).strip() else []


def first(tags: dict[str, Any], *names: str) -> str:
    """The first of `names` present, its lines joined: every tag is read as a list, so a
    wrapped title comes as several lines, and a repeated one is kept, not dropped."""
    for name in names:
        values = as_list(tags.get(name))
        if values:
            return " ".join(values)
    return ""


def record_from_tags(
    tags: dict[str, Any], *, file: str, position: int, database: str | None
) -> tuple[Record, list[str]]:
    """The record an entry's tags describe, and what could not be read from them."""
    problems: list[str] = []
    ris_type = first(tags, "TY").upper()
    entry_type = TYPE_TO_ENTRY.get(ris_type, "misc")
    serials = as_list(tags.get("SN"))
    isbns = [s for s in serials if ISBN.match(s) and not is_issn(s)]
    extra: list[tuple[str, str]] = []
    if ris_type and ENTRY_TO_TYPE.get(entry_type) != ris_type:
        extra.append((TYPE_KEY, ris_type))
    for tag, value in tags.items():
        if tag not in HANDLED:
            extra.extend((tag, v) for v in as_list(value))
    extra.extend(("SN", s) for s in serials if s not in isbns)
    extra.extend(("UR", u) for u in as_list(tags.get("UR"))[1:])
    named_databases = [(tag, v) for tag in ("DB", "DP") for v in as_list(tags.get(tag))]
    extra.extend(named_databases[1:])
    title = first(tags, "TI", "T1") or (first(tags, "BT") if entry_type == "book" else "")
    journal = first(tags, "JF", "JO", "T2") or (first(tags, "BT") if entry_type != "book" else "")
    start_page, end_page = first(tags, "SP"), first(tags, "EP")
    abstract = first(tags, "AB", "N2")
    named = named_databases[0][1] if named_databases else ""
    if database and named and named != database:
        extra.append(named_databases[0])
    source_database = database or named or file_stem(Path(file))
    pmid = pubmed_accession(tags)
    if pmid:
        extra.remove(("AN", pmid))
    dates = [(tag, first(tags, tag)) for tag in ("PY", "Y1", "DA") if first(tags, tag)]
    year = next((y for _, value in dates if (y := parse_year(value)) is not None), None)
    published = first(tags, "PY")
    if published and parse_year(published) is None:
        extra.append(("PY", published))  # kept as written, so nothing is lost
        taken = next((tag for tag, value in dates if parse_year(value) is not None), "")
        problems.append(
            f"PY {published[:40]!r} holds no year; "
            + (f"the year is taken from {taken}" if taken else "the record has no year")
        )
    record = Record(
        id=first(tags, "ID") or f"{file_stem(Path(file))}:{position}",
        source=Source(database=source_database, file=file, position=position),
        title=title,
        abstract=(AbstractSection(abstract),) if abstract else (),
        authors=tuple(
            parse_person(a) for a in [*as_list(tags.get("AU")), *as_list(tags.get("A1"))]
        ),
        journal=journal,
        journal_abbrev=first(tags, "JA", "J2", "J1"),
        volume=first(tags, "VL"),
        issue=first(tags, "IS"),
        pages=f"{start_page}-{end_page}" if start_page and end_page else start_page or end_page,
        year=year,
        pub_date=first(tags, "DA", "Y1"),
        pmid=pmid,
        doi=DOI_PREFIX.sub("", first(tags, "DO")),
        isbn=isbns[0] if isbns else "",
        url=next(iter(as_list(tags.get("UR"))), ""),
        entry_type=entry_type,
        publication_types=tuple(as_list(tags.get("M3"))),
        mesh=ovid_mesh(tags),
        keywords=tuple(as_list(tags.get("KW"))),
        languages=tuple(as_list(tags.get("LA"))),
        extra=tuple(extra),
    )
    return record, problems


# Ovid's form of a heading: "*Substance Withdrawal Syndrome/ep [Epidemiology]".
OVID_QUALIFIER = re.compile(r"(\*?)\s*([^\[]*?)\s*(?:\[([^\]]*)\])?\s*")


def ovid_mesh(tags: dict[str, Any]) -> tuple[MeshHeading, ...]:
    """MeSH headings from an Ovid MEDLINE entry's KW lines; () for any other database."""
    databases = " ".join(as_list(tags.get("DB"))).lower()
    if "ovid" not in databases or "medline" not in databases:
        return ()
    return tuple(parse_ovid_heading(line) for line in as_list(tags.get("KW")) if line.strip())


def parse_ovid_heading(text: str) -> MeshHeading:
    """A heading as Ovid writes it: "*" marks a major topic; a qualifier is written
    "/ep [Epidemiology]" and becomes PubMed's lower-case name ("epidemiology")."""
    descriptor, *qualifiers = text.strip().split("/")
    parsed = []
    for qualifier in qualifiers:
        match = OVID_QUALIFIER.fullmatch(qualifier)
        if match is None:  # a "]" without its "[": keep the text as written
            parsed.append(MeshQualifier(qualifier.strip()))
            continue
        star, abbreviation, name = match.groups()
        parsed.append(MeshQualifier((name or abbreviation).strip().lower(), major=bool(star)))
    return MeshHeading(
        descriptor=descriptor.strip().removeprefix("*").strip(),
        major=descriptor.strip().startswith("*"),
        qualifiers=tuple(q for q in parsed if q.name),
    )


def pubmed_accession(tags: dict[str, Any]) -> str:
    """AN is the PMID in records from PubMed or (Ovid) MEDLINE, another ID elsewhere."""
    accession = first(tags, "AN")
    databases = " ".join(as_list(tags.get("DB")) + as_list(tags.get("DP"))).lower()
    if accession.isdigit() and ("pubmed" in databases or "medline" in databases):
        return accession
    return ""


def is_issn(serial: str) -> bool:
    return re.fullmatch(r"\d{4}-?\d{3}[\dXx]", serial) is not None


class _Writer(rispy.RisWriter):  # type: ignore[misc]
    """rispy's writer without the "1." line it puts before each entry."""

    DEFAULT_IGNORE: ClassVar[list[str]] = []

    def set_header(self, count: int) -> str:
        return ""


def tags_of(record: Record) -> dict[str, Any]:
    extra: dict[str, list[str]] = {}
    for key, value in record.extra:
        if TAG_LINE.match(f"{key}  - x") and key not in {"TY", "ER"}:
            extra.setdefault(key, []).append(value)
    ris_type = dict(record.extra).get(TYPE_KEY) or ENTRY_TO_TYPE.get(record.entry_type, "GEN")
    start, _, end = (
        record.pages.partition("-")
        if record.pages.count("-") == 1
        else (
            record.pages,
            "",
            "",
        )
    )
    tags: dict[str, Any] = {
        "TY": ris_type,
        "ID": record.id,
        "TI": record.title,
        "AU": [format_person(a) for a in record.authors],
        "PY": "" if record.year is None else str(record.year),
        "DA": record.pub_date,
        "T2": record.journal,
        "J2": record.journal_abbrev,
        "VL": record.volume,
        "IS": record.issue,
        "SP": start,
        "EP": end,
        "AB": " ".join(record.abstract_text.split("\n")),
        "DO": record.doi,
        "SN": [*([record.isbn] if record.isbn else []), *extra.pop("SN", [])],
        "UR": [*([record.url] if record.url else []), *extra.pop("UR", [])],
        "KW": list(record.keywords),
        "LA": list(record.languages),
        "M3": list(record.publication_types),
        "DB": [record.source.database, *extra.pop("DB", [])],
    }
    if record.pmid and "AN" not in extra:
        extra["AN"] = [record.pmid]
    tags.update(extra)
    # rispy's writer looks tags up by lower-case name, and the type by its own key.
    return {WRITE_NAMES[tag]: one_line(value) for tag, value in tags.items() if value}


def one_line(value: str | list[str]) -> str | list[str]:
    """A value on one line: a line break in a title would otherwise start a new tag,
    or a whole new entry ("...\nER  - \nTY  - JOUR")."""
    if isinstance(value, list):
        return [LINE_BREAK.sub(" ", item) for item in value]
    return LINE_BREAK.sub(" ", value)


WRITE_NAMES = {tag: tag.lower() for tag in ALL_TAGS} | {"TY": "type_of_reference"}


def write_ris(records: Iterable[Record], path: Path) -> int:
    """Write records as RIS (UTF-8), one at a time; returns how many were written."""
    names = {name: tag for tag, name in WRITE_NAMES.items()}
    # One writer per set of list tags: making one inverts the whole tag mapping,
    # which took most of the time of writing a large file when done per record.
    writers: dict[tuple[str, ...], _Writer] = {}
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for record in records:
            entry = tags_of(record)
            list_tags = tuple(
                sorted(names[name] for name, v in entry.items() if isinstance(v, list))
            )
            writer = writers.get(list_tags)
            if writer is None:
                writer = writers[list_tags] = _Writer(
                    mapping=WRITE_NAMES, list_tags=list(list_tags), delimiter_tags_mapping={}
                )
            out.write(("\n" if count else "") + writer.formats([entry]))
            count += 1
    return count


# Web of Science "Plain text" export: the same idea as RIS with other tags, read by
# rispy's WokParser. Entries run from "PT" to "ER"; continuation lines are indented.
WOS_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9])(?: (.*))?$")
WOS_LIST_TAGS = ["AU", "AF", "BA", "BF", "CA", "GP", "BE", "CR", "C1", "RI", "OI", "EM"]
WOS_HEADER_TAGS = {"FN", "VR", "EF"}
WOS_HANDLED = {
    "PT", "AU", "AF", "CA", "TI", "SO", "JI", "J9", "PY", "PD", "VL", "IS", "BP", "EP", "AR",
    "DI", "PM", "AB", "DE", "LA", "DT", "UT", "BN",
}  # fmt: skip
WOS_TYPES = {"J": "article", "B": "book", "S": "incollection", "P": "patent"}


def read_wos(path: Path, *, database: str | None = None) -> ImportResult:
    """Every record of a Web of Science plain-text export ("FN Clarivate ...")."""
    return gather(stream_wos(path, database=database))


def stream_wos(path: Path, *, database: str | None = None) -> Iterator[Record | ImportProblem]:
    problems: list[ImportProblem] = []
    yield from iter_wos(read_lines(path, problems), database=database, file=display_name(path))
    yield from problems


def iter_wos(
    text: str | Iterable[str], *, database: str | None, file: str
) -> Iterator[Record | ImportProblem]:
    def parse(entry: str) -> dict[str, Any]:
        (tags,) = rispy.loads(
            entry, implementation=rispy.WokParser, mapping=ALL_TAGS, list_tags=EVERY_TAG
        )
        return cast(dict[str, Any], tags)

    def build(tags: dict[str, Any], position: int) -> tuple[Record, list[str]]:
        return record_from_wos(tags, file=file, position=position, database=database), []

    return parse_entries(split_wos_entries(text, file), file, parse, build, noun="record")


def split_wos_entries(text: str | Iterable[str], file: str) -> Iterator[RawEntry | ImportProblem]:
    lines: list[str] = []
    start = 0
    for number, line in enumerate(lines_of(text), start=1):
        match = WOS_TAG_LINE.match(line)
        tag = match.group(1) if match else ""
        if tag == "PT":
            if lines:
                yield ImportProblem(
                    file,
                    start,
                    f"record has no ER line; it was ended at line {number - 1}",
                    kept=True,
                )
                yield RawEntry(start, "\n".join([*lines, "ER"]))
            lines, start = [line], number
        elif tag == "ER" and lines:
            yield RawEntry(start, "\n".join([*lines, "ER"]))
            lines = []
        elif lines:
            lines.append(line)
        elif line.strip() and tag not in WOS_HEADER_TAGS:
            yield ImportProblem(
                file, number, "text outside any record (no 'PT' line before it); ignored"
            )
    if lines:
        yield ImportProblem(
            file, start, "record has no ER line; it was ended at the end of file", kept=True
        )
        yield RawEntry(start, "\n".join([*lines, "ER"]))


def record_from_wos(
    tags: dict[str, Any], *, file: str, position: int, database: str | None
) -> Record:
    short_names = as_list(tags.get("AU"))
    full_names = as_list(tags.get("AF"))
    names = full_names if len(full_names) == len(short_names) else short_names
    authors = [parse_person(name) for name in names]
    # AU holds Web of Science's initials ("Wilkerson, JL"); AF the names as printed.
    for index, short in enumerate(short_names[: len(authors)]):
        initials = parse_person(short).initials
        if initials and not authors[index].collective:
            authors[index] = replace(authors[index], initials=initials)
    authors.extend(Author(collective=group) for group in as_list(tags.get("CA")))
    kind = first(tags, "PT").upper()
    extra = [] if kind in ("J", "B") else [("PT", kind)]
    for tag, raw in tags.items():
        if tag in WOS_HANDLED or tag in WOS_HEADER_TAGS:
            continue
        if tag in WOS_LIST_TAGS:
            extra.extend((tag, value) for value in as_list(raw))
        else:
            extra.append((tag, first(tags, tag)))
    if first(tags, "JI") and first(tags, "J9"):
        extra.append(("J9", first(tags, "J9")))
    year = first(tags, "PY")
    start, end = first(tags, "BP"), first(tags, "EP")
    return Record(
        id=first(tags, "UT") or f"{file_stem(Path(file))}:{position}",
        source=Source(database=database or "Web of Science", file=file, position=position),
        title=first(tags, "TI"),
        abstract=(AbstractSection(first(tags, "AB")),) if first(tags, "AB") else (),
        authors=tuple(authors),
        journal=first(tags, "SO"),
        journal_abbrev=first(tags, "JI", "J9"),
        volume=first(tags, "VL"),
        issue=first(tags, "IS"),
        pages=f"{start}-{end}" if start and end else start or first(tags, "AR"),
        year=parse_year(year),
        pub_date=f"{year} {first(tags, 'PD')}".strip(),
        pmid=first(tags, "PM"),
        doi=first(tags, "DI"),
        isbn=first(tags, "BN"),
        entry_type=WOS_TYPES.get(kind, "misc"),
        publication_types=split_semicolons(tags.get("DT")),
        keywords=split_semicolons(tags.get("DE")),
        languages=split_semicolons(tags.get("LA")),
        extra=tuple(extra),
    )


def split_semicolons(value: Any) -> tuple[str, ...]:
    return tuple(
        part.strip() for item in as_list(value) for part in item.split(";") if part.strip()
    )


def read_wos_tabbed(path: Path, *, database: str | None = None) -> ImportResult:
    """Every record of a Web of Science "Tab-delimited" export (header "PT<tab>AU<tab>...")."""
    return gather(stream_wos_tabbed(path, database=database))


def stream_wos_tabbed(
    path: Path, *, database: str | None = None
) -> Iterator[Record | ImportProblem]:
    file = display_name(path)
    problems: list[ImportProblem] = []
    reader = csv.reader(read_lines(path, problems), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = [tag.strip() for tag in next(reader, [])]
    position = 0
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        position += 1
        # Web of Science ends each row with a tab; text past the header's columns
        # means the row lost its layout (a tab inside a field, say).
        if any(cell.strip() for cell in row[len(header) :]):
            message = f"row has {len(row)} cells, the header {len(header)}; skipped"
            yield ImportProblem(file, reader.line_num, message)
            continue
        tags = {
            tag: [v.strip() for v in value.split(";")] if tag in WOS_LIST_TAGS else value
            for tag, value in zip(header, row[: len(header)], strict=False)
            if value.strip()
        }
        yield record_from_wos(tags, file=file, position=position, database=database)
    yield from problems
