"""MEDLINE text (PubMed's "nbib", efetch rettype=medline) import and export.

Biopython's `Bio.Medline` reads each entry's tags. It does not report where an
entry starts, reads any line as a tag, and keeps repeated tags per tag (so the
order of persons (FAU/AU) and group authors (CN) is lost). This module cuts the
file into entries itself (blank lines between them), reports a line that is
neither "TAG - value" nor an indented continuation and reads it as a
continuation, so its text is kept, and takes the author order from the entry's
own lines.

    PMID → pmid and id     TI → title            AB → abstract (labelled sections
    FAU/AU/CN/AUID → authors (ORCID)             "BACKGROUND: ..." split out)
    JT, TA → journal, abbreviation               VI, IP, PG → volume, issue, pages
    DP → pub_date and year  PT → publication types    MH → MeSH (* major, /qualifiers)
    OT → keywords           LA → languages       AID/LID "[doi]" → DOI, PMC → PMCID
    CIN, CON, EIN, EFR, RIN, ROF, UIN, UOF, ... → relations with their PMID
    BTI (book title) → a PubmedBookArticle; ISBN → isbn
    DB (not PubMed's: written for records from another database) → the source
Any other tag stays in `Record.extra` under its tag. Only a PubMed ID is written
as PMID; another database's accession number stays in its own tag (AN).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from Bio import Medline

from review.formats.fields import parse_person, parse_year
from review.formats.textfile import display_name, file_stem, gather, read_lines
from review.formats.textfile import lines_of as text_lines_of
from review.records import (
    AbstractSection,
    Author,
    ImportProblem,
    ImportResult,
    MeshHeading,
    MeshQualifier,
    Record,
    Relation,
    Source,
)

__all__ = [
    "format_mesh_heading",
    "iter_medline",
    "parse_mesh_heading",
    "read_medline",
    "write_medline",
]

TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]{1,3}) *- ?")
CONTINUATION = "      "
LINE_BREAK = re.compile(r"\r\n|\r|\n")
# MEDLINE's comment/correction tags and NLM's RefType names for them (as in the XML).
RELATION_TAGS = {
    "CON": "CommentOn",
    "CIN": "CommentIn",
    "EIN": "ErratumIn",
    "EFR": "ErratumFor",
    "ECI": "ExpressionOfConcernIn",
    "ECF": "ExpressionOfConcernFor",
    "CRI": "CorrectedandRepublishedIn",
    "CRF": "CorrectedandRepublishedFrom",
    "RPI": "RepublishedIn",
    "RPF": "RepublishedFrom",
    "RIN": "RetractionIn",
    "ROF": "RetractionOf",
    "PRIN": "PartialRetractionIn",
    "PROF": "PartialRetractionOf",
    "UIN": "UpdateIn",
    "UOF": "UpdateOf",
    "SPIN": "SummaryForPatientsIn",
    "ORI": "OriginalReportIn",
}
RELATION_KINDS = {kind: tag for tag, kind in RELATION_TAGS.items()}
AUTHOR_TAGS = {"FAU", "AU", "CN", "AUID"}
PERSON_TAGS = {"FAU", "AU", "CN"}
HANDLED = {
    "PMID", "TI", "AB", "JT", "TA", "VI", "IP", "PG", "DP", "PT", "MH", "OT", "LA",
    "PMC", "BTI", "ISBN", "DB", *AUTHOR_TAGS, *RELATION_TAGS,
}  # fmt: skip
# "BACKGROUND: ..." at the start of the abstract or after a sentence's end.
SECTION_LABEL = re.compile(r"(?:^|(?<=[.?!)\]] ))([A-Z][A-Z0-9 ,/&()'-]{1,60}[A-Z)]): ")
ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])")
PMID_SUFFIX = re.compile(r"\s*PMID:\s*(\d+)\s*$")


@dataclass(frozen=True, slots=True)
class RawEntry:
    line: int
    lines: list[str]


def parse_mesh_heading(text: str) -> MeshHeading:
    """MEDLINE's MH form: "Analgesics, Opioid/*therapeutic use/adverse effects", "*Humans"."""
    descriptor, *qualifiers = text.strip().split("/")
    return MeshHeading(
        descriptor=descriptor.removeprefix("*").strip(),
        major=descriptor.startswith("*"),
        qualifiers=tuple(
            MeshQualifier(name=q.removeprefix("*").strip(), major=q.startswith("*"))
            for q in qualifiers
            if q.strip()
        ),
    )


def format_mesh_heading(heading: MeshHeading) -> str:
    parts = [("*" if heading.major else "") + heading.descriptor]
    parts.extend(("*" if q.major else "") + q.name for q in heading.qualifiers)
    return "/".join(parts)


def read_medline(path: Path, *, database: str | None = None) -> ImportResult:
    """Every entry of a MEDLINE/nbib file; malformed entries become problems."""
    return gather(stream_medline(path, database=database))


def stream_medline(path: Path, *, database: str | None = None) -> Iterator[Record | ImportProblem]:
    """`read_medline` one entry at a time, the file read line by line; decoding problems last."""
    problems: list[ImportProblem] = []
    lines = read_lines(path, problems)
    yield from iter_medline(lines, database=database, file=display_name(path))
    yield from problems


def iter_medline(
    text: str | Iterable[str], *, database: str | None, file: str
) -> Iterator[Record | ImportProblem]:
    """Records and problems in file order. The source is `database`, else the entry's
    DB line (which `write_medline` writes for records from elsewhere), else PubMed."""
    position = 0
    for entry in split_entries(text):
        if not is_tag_line(entry.lines[0]):
            text = entry.lines[0].rstrip()[:40]
            yield ImportProblem(
                file,
                entry.line,
                f"text outside any entry (no 'PMID- ' or other tag): {text!r}; ignored",
            )
            continue
        position += 1
        lines = list(entry.lines)
        for offset, line in enumerate(lines):
            if offset and not line.startswith(CONTINUATION) and not is_tag_line(line):
                # A wrapped line that lost its indent (an edited file): keep its text.
                lines[offset] = CONTINUATION + line
                yield ImportProblem(
                    file,
                    entry.line + offset,
                    f"line has no tag: {line.rstrip()[:40]!r}; read as part of the line before",
                    record_id=pmid_of(entry),
                    kept=True,
                )
            elif line[:4].rstrip() in PERSON_TAGS and not line[6:].strip():
                yield ImportProblem(
                    file,
                    entry.line + offset,
                    f"{line[:4].rstrip()} line names no one; no author added",
                    record_id=pmid_of(entry),
                    kept=True,
                )
        tags = Medline.read(lines)  # type: ignore[no-untyped-call]
        yield record_from_tags(tags, authors_in_order(lines), file, position, database)


def split_entries(text: str | Iterable[str]) -> Iterator[RawEntry]:
    lines: list[str] = []
    start = 0
    for number, line in enumerate(text_lines_of(text), start=1):
        if line.strip():
            if not lines:
                start = number
            lines.append(line + "\n")
        elif lines:
            yield RawEntry(start, lines)
            lines = []
    if lines:
        yield RawEntry(start, lines)


def is_tag_line(line: str) -> bool:
    """ "PMID- 1", "AB  - text", "OWN - NLM": a tag of 2-4 letters padded to 4, then "- "."""
    return TAG_LINE.match(line) is not None and line[4:6].rstrip() == "-"


def pmid_of(entry: RawEntry) -> str:
    for line in entry.lines:
        if line.startswith("PMID-"):
            return line[6:].strip()
    return ""


def authors_in_order(lines: list[str]) -> tuple[Author, ...]:
    """Persons (FAU, then its AU for initials) and groups (CN) in the file's order."""
    authors: list[Author] = []
    pending_full = False  # the last author came from FAU and waits for its AU
    for line in lines:
        tag = line[:4].rstrip()
        value = line[6:].strip()
        if tag in PERSON_TAGS and not value:
            continue  # reported by iter_medline
        if tag == "FAU":
            authors.append(medline_person(value))
            pending_full = True
        elif tag == "AU" and pending_full:
            # AU is "Family Initials" with PubMed's own initials ("Granelli Ad").
            last = authors[-1]
            initials = (
                value.removeprefix(last.family).strip()
                if value.startswith(last.family + " ")
                else parse_person(value).initials
            )
            authors[-1] = Author(last.family, last.given, initials or last.initials)
            pending_full = False
        elif tag == "AU":
            authors.append(medline_person(value))
        elif tag == "CN":
            authors.append(Author(collective=value))
            pending_full = False
        elif tag == "AUID" and authors and (match := ORCID.search(value)):
            last = authors[-1]
            authors[-1] = Author(last.family, last.given, last.initials, last.collective, match[1])
    return tuple(authors)


def medline_person(value: str) -> Author:
    """FAU and AU name people (groups have CN): a lone name is a family name.

    PubMed writes an author with a LastName only ("Sudirman") that way.
    """
    author = parse_person(value)
    return Author(family=author.collective) if author.collective else author


def values(tags: dict[str, str | list[str]], tag: str) -> list[str]:
    value = tags.get(tag, [])
    items = [value] if isinstance(value, str) else value
    return [v.strip() for v in items if v.strip()]


def first(tags: dict[str, str | list[str]], tag: str) -> str:
    found = values(tags, tag)
    return found[0] if found else ""


def identifier(tags: dict[str, str | list[str]], kind: str) -> str:
    """ "10.1186/x [doi]" from AID or LID."""
    for tag in ("AID", "LID"):
        for value in values(tags, tag):
            if value.endswith(f"[{kind}]"):
                return value.removesuffix(f"[{kind}]").strip()
    return ""


def record_from_tags(
    tags: dict[str, str | list[str]],
    authors: tuple[Author, ...],
    file: str,
    position: int,
    database: str | None,
) -> Record:
    pmid = first(tags, "PMID")
    doi = identifier(tags, "doi")
    extra = [
        (tag, value)
        for tag in tags
        if tag not in HANDLED
        for value in values(tags, tag)
        if not (tag in {"AID", "LID"} and value == f"{doi} [doi]")
    ]
    # DB is no PubMed tag: `write_medline` names the database of records from elsewhere.
    named = values(tags, "DB")
    source = Source(database or (named[0] if named else "PubMed"), file, position=position)
    extra.extend(("DB", name) for name in named if name != source.database)
    is_book = "BTI" in tags
    return Record(
        id=pmid or f"{file_stem(Path(source.file))}:{source.position}",
        source=source,
        title=first(tags, "TI"),
        abstract=abstract_sections(first(tags, "AB")),
        authors=authors,
        journal=first(tags, "JT") or first(tags, "BTI"),
        journal_abbrev=first(tags, "TA"),
        volume=first(tags, "VI"),
        issue=first(tags, "IP"),
        pages=first(tags, "PG"),
        year=parse_year(first(tags, "DP")),
        pub_date=first(tags, "DP"),
        pmid=pmid,
        doi=doi,
        pmcid=first(tags, "PMC"),
        isbn=first(tags, "ISBN"),
        entry_type="book" if is_book else "article",
        publication_types=tuple(values(tags, "PT")),
        mesh=tuple(parse_mesh_heading(h) for h in values(tags, "MH")),
        keywords=tuple(values(tags, "OT")),
        languages=tuple(values(tags, "LA")),
        relations=tuple(
            relation(kind, value)
            for tag, kind in RELATION_TAGS.items()
            for value in values(tags, tag)
        ),
        is_book=is_book,
        extra=tuple(extra),
    )


def relation(kind: str, value: str) -> Relation:
    """ "Addiction. 2020 Jan;115(1):1. PMID: 31234567" → the citation and the PMID."""
    match = PMID_SUFFIX.search(value)
    if match:
        return Relation(kind=kind, pmid=match[1], citation=value[: match.start()].strip())
    return Relation(kind=kind, citation=value)


def abstract_sections(text: str) -> tuple[AbstractSection, ...]:
    """MEDLINE writes a structured abstract on one line: "BACKGROUND: ... METHODS: ..."."""
    if not text:
        return ()
    labels = list(SECTION_LABEL.finditer(text))
    if not labels or labels[0].start() != 0:
        return (AbstractSection(text),)
    sections = []
    for index, match in enumerate(labels):
        end = labels[index + 1].start() if index + 1 < len(labels) else len(text)
        sections.append(AbstractSection(text=text[match.end() : end].strip(), label=match[1]))
    return tuple(sections)


def lines_of(record: Record) -> Iterator[tuple[str, str]]:
    if record.pmid.isdigit():  # never another database's accession or a citation key
        yield "PMID", record.pmid
    if record.source.database not in ("", "PubMed"):
        yield "DB", record.source.database
    for key, value in record.extra:
        if key == "DB" and value != record.source.database:
            yield "DB", value
    if record.pmcid:
        yield "PMC", record.pmcid
    yield "TI", record.title
    yield "AB", " ".join(record.abstract_text.split("\n"))
    for author in record.authors:
        if author.collective:
            yield "CN", author.collective
            continue
        if author.given:
            yield "FAU", f"{author.family}, {author.given}"
        yield "AU", f"{author.family} {author.initials}".strip()
        if author.orcid:
            yield "AUID", f"ORCID: {author.orcid}"
    yield from (("LA", language) for language in record.languages)
    yield from (("PT", kind) for kind in record.publication_types)
    yield "DP", record.pub_date or ("" if record.year is None else str(record.year))
    yield "JT" if not record.is_book else "BTI", record.journal
    yield "TA", record.journal_abbrev
    yield "VI", record.volume
    yield "IP", record.issue
    yield "PG", record.pages
    yield "ISBN", record.isbn
    yield from (("MH", format_mesh_heading(h)) for h in record.mesh)
    yield from (("OT", keyword) for keyword in record.keywords)
    for item in record.relations:
        target = f"{item.citation} PMID: {item.pmid}" if item.pmid else item.citation
        if item.kind in RELATION_KINDS:  # MEDLINE has no tag for the others (e.g. Cites)
            yield RELATION_KINDS[item.kind], target.strip()
    for key, value in record.extra:
        if TAG_LINE.fullmatch(f"{key:<4}- ") and key not in HANDLED:
            yield key, value
    if record.doi:  # after the other AIDs, so they keep their order on reading back
        yield "AID", f"{record.doi} [doi]"


def write_medline(records: Iterable[Record], path: Path) -> int:
    """Write records as MEDLINE text (.nbib, UTF-8); returns how many were written."""
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for record in records:
            if count:
                out.write("\n")
            for tag, value in lines_of(record):
                # One line a value; other spacing (no-break spaces, ...) is kept.
                value = LINE_BREAK.sub(" ", value).strip()
                if value:
                    out.write(f"{tag:<4}- {value}\n")
            count += 1
    return count
