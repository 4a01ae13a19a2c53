"""The one record type that every stage passes on, and its small value types.

A `Record` is frozen: stages never change a record, they return new values
(links, decisions) that refer to it by `Record.id`. Every sequence is a tuple
so records are hashable and safe to share. Empty text is "" rather than None so
that callers never need a None check to read a field; a missing year is None
because 0 would be a wrong year.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TypeVar, cast

__all__ = [
    "AbstractSection",
    "Author",
    "DatabaseNames",
    "Deleted",
    "ImportProblem",
    "ImportResult",
    "MeshHeading",
    "MeshQualifier",
    "Record",
    "Relation",
    "SharedValues",
    "Source",
    "canonical_database",
]


@dataclass(frozen=True, slots=True)
class Author:
    """One author as PubMed models them: a person or a collective (group) name."""

    family: str = ""
    given: str = ""
    initials: str = ""
    collective: str = ""
    orcid: str = ""

    @property
    def display(self) -> str:
        """'Family Initials' for people, the group's name for collectives."""
        if self.collective:
            return self.collective
        return f"{self.family} {self.initials}".strip() or self.given


@dataclass(frozen=True, slots=True)
class AbstractSection:
    """One part of an abstract; `label` is "" for an unstructured abstract."""

    text: str
    label: str = ""
    category: str = ""  # NLM's NlmCategory (BACKGROUND, METHODS, ...), when given


@dataclass(frozen=True, slots=True)
class MeshQualifier:
    name: str
    major: bool = False


@dataclass(frozen=True, slots=True)
class MeshHeading:
    descriptor: str
    major: bool = False
    qualifiers: tuple[MeshQualifier, ...] = ()
    ui: str = ""  # descriptor unique ID, e.g. D006801 for Humans

    @property
    def is_major(self) -> bool:
        """PubMed's [majr]: the descriptor or any of its qualifiers is a major topic."""
        return self.major or any(q.major for q in self.qualifiers)


@dataclass(frozen=True, slots=True)
class Relation:
    """A CommentsCorrections link: `kind` is NLM's RefType, e.g. ErratumIn, RetractionIn."""

    kind: str
    pmid: str = ""
    citation: str = ""  # NLM's RefSource, e.g. "Addiction. 2020 Jan;115(1):1"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a record came from, so PRISMA can count records per database or file.

    `database` is what PRISMA's identification box names ("PubMed", "Embase", or
    the file name when the database is unknown); `search` is the protocol's
    search name for PubMed records; `position` is 1-based within the file or
    the search's PMID list.
    """

    database: str
    file: str = ""
    search: str = ""
    position: int = 0


# Databases as PRISMA and their owners spell them; a name is matched ignoring case
# and spacing ("scopus", "Web of  science"), so one database is counted once.
KNOWN_DATABASES = {
    " ".join(name.casefold().split()): name
    for name in (
        "PubMed", "MEDLINE", "PMC", "Embase", "Scopus", "Web of Science", "PsycINFO",
        "CINAHL", "CENTRAL", "Cochrane Library", "Google Scholar", "ClinicalTrials.gov",
        "ERIC", "LILACS", "ProQuest", "OpenAlex", "Europe PMC", "Semantic Scholar",
    )
}  # fmt: skip


def canonical_database(name: str) -> str:
    """A database name spelled as its owner does when it is known ("scopus", "SCOPUS "
    and "Scopus" are "Scopus"); another name is kept as written."""
    return KNOWN_DATABASES.get(" ".join(name.casefold().split()), name)


class DatabaseNames:
    """One spelling per database within a run or a conversion: the known spelling
    (`canonical_database`), else the first one met, whatever its letter case."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        canonical = canonical_database(name)
        return self._seen.setdefault(" ".join(canonical.casefold().split()), canonical)


@dataclass(frozen=True, slots=True)
class Record:
    """A bibliographic record from any source.

    `id` is unique within one run: the PMID for PubMed records, the file's own
    ID column (e.g. the dedup benchmark's `ID`) where there is one, otherwise
    "<file stem>:<position>".
    """

    id: str
    source: Source
    title: str = ""
    abstract: tuple[AbstractSection, ...] = ()
    authors: tuple[Author, ...] = ()
    journal: str = ""
    journal_abbrev: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    year: int | None = None
    pub_date: str = ""  # as the source wrote it: "2020 Jan 5", "1998 Dec-1999 Jan"
    pmid: str = ""
    doi: str = ""
    pmcid: str = ""
    isbn: str = ""
    url: str = ""
    entry_type: str = "article"  # BibTeX-style: article, book, inbook, misc, ...
    publication_types: tuple[str, ...] = ()
    mesh: tuple[MeshHeading, ...] = ()
    keywords: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    relations: tuple[Relation, ...] = ()
    is_book: bool = False  # a PubmedBookArticle (e.g. a StatPearls chapter)
    extra: tuple[tuple[str, str], ...] = field(default=())  # fields no other slot holds

    @property
    def abstract_text(self) -> str:
        """The abstract as one string, labels kept as "LABEL: text" paragraphs."""
        parts = (f"{s.label}: {s.text}" if s.label else s.text for s in self.abstract)
        return "\n".join(p for p in parts if p)

    @property
    def mesh_descriptors(self) -> tuple[str, ...]:
        return tuple(h.descriptor for h in self.mesh)


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """An entry that could not be read, or a value in one that could not (`kept`: the
    entry is imported all the same); the rest of the file is still imported."""

    file: str
    # The line in the file (for XML files, where the record starts); for PubMed XML
    # read from a stream with no lines to point at (efetch), the record's 1-based position;
    # 0 for a note about the file as a whole (`review.pipeline.renamed_ids`).
    position: int
    message: str
    record_id: str = ""  # the PMID or entry key, when it could be read
    kept: bool = False  # the entry was imported all the same (a value was doubtful)

    @property
    def where(self) -> str:
        """ "file:line", "file" for a note about the whole file, "#n" for a stream's record."""
        if not self.file:
            return f"#{self.position}"
        return f"{self.file}:{self.position}" if self.position else self.file


@dataclass(frozen=True, slots=True)
class Deleted:
    """A PMID that NLM withdrew (a DeleteCitation entry of PubMed XML)."""

    pmid: str


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What reading one input gave: good records, problems, and PubMed deletions."""

    records: tuple[Record, ...]
    problems: tuple[ImportProblem, ...] = ()
    deleted_pmids: tuple[str, ...] = ()  # NLM DeleteCitation entries


T = TypeVar("T")


class SharedValues:
    """One copy of each value that many records repeat, for a large import.

    A reader makes new strings for every record: the same journal, database,
    language, publication type, MeSH heading and given name thousands of times
    over. Records
    are frozen, so they can share one copy; `record` gives the record with its
    repeated values replaced by the first equal one seen (about 0.5 KB less a
    record; see benchmarks/memory.py). Only values with few distinct forms are
    kept here, so the table stays small beside the records.
    """

    def __init__(self) -> None:
        self._values: dict[object, object] = {}

    def one(self, value: T) -> T:
        return cast(T, self._values.setdefault(value, value))

    def record(self, record: Record) -> Record:
        one = self.one
        source = record.source
        return replace(
            record,
            authors=tuple(
                author
                if author.collective
                else Author(
                    author.family, one(author.given), one(author.initials), "", author.orcid
                )
                for author in record.authors
            ),
            source=Source(
                one(source.database), one(source.file), one(source.search), source.position
            ),
            journal=one(record.journal),
            journal_abbrev=one(record.journal_abbrev),
            volume=one(record.volume),
            issue=one(record.issue),
            year=one(record.year),
            pub_date=one(record.pub_date),
            entry_type=one(record.entry_type),
            publication_types=one(tuple(one(kind) for kind in record.publication_types)),
            mesh=tuple(one(heading) for heading in record.mesh),
            keywords=tuple(one(keyword) for keyword in record.keywords),
            languages=one(tuple(one(language) for language in record.languages)),
            extra=tuple((one(key), value) for key, value in record.extra),
        )
