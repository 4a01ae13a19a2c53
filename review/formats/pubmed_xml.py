"""PubMed XML: efetch responses and NLM baseline/update files, read as a stream.

One pass with lxml's pull parser, stopping only at the record elements
(`PubmedArticle`, `PubmedBookArticle`, `DeleteCitation`); each record's subtree
is read by walking its direct children once, then cleared together with the
siblings before it, so memory stays flat however large the file is.

Safety: the parser never loads or fetches a DTD or any external entity
(`load_dtd=False`, `no_network=True`) and does not expand entities
(`resolve_entities=False`): a reference stays as its literal "&name;" text.
A document whose entity declarations amplify ("billion laughs") is refused by
libxml2 and ends as an ImportProblem, like any other malformed XML.

Where values come from:
- DOI: `PubmedData/ArticleIdList/ArticleId[@IdType="doi"]`, else
  `Article/ELocationID[@EIdType="doi"]`. Never from `ReferenceList`, whose
  ArticleIdLists name the works the article cites.
- PMCID: `PubmedData/ArticleIdList/ArticleId[@IdType="pmc"]`.
- Journal: `Journal/Title`; abbreviation `Journal/ISOAbbreviation`, else
  `MedlineJournalInfo/MedlineTA`; ISSNs go to `extra` as ("issn", ...).
- Year: `PubDate/Year`, else the first year in `PubDate/MedlineDate`
  ("1998 Dec-1999 Jan" gives 1998); `pub_date` keeps the date as written.
- Relations: `CommentsCorrections` of every kind except "Cites" (old DTDs listed
  an article's references there; newer ones use `ReferenceList`, which is not a
  relation between records either).
- Authors with `ValidYN="N"` (spelling variants NLM keeps for searching) are left
  out; investigators are not authors and are left out too.
- Books (`PubmedBookArticle`): a chapter has an `ArticleTitle` and becomes
  `entry_type="inbook"` with the book's title in `journal` (the container, as
  for an article); a whole book becomes `entry_type="book"`. Editors, the
  publisher and the NCBI Bookshelf accession go to `extra`.
"""

from __future__ import annotations

import gzip
import re
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

from lxml import etree

from review.formats.textfile import GZIP_MAGIC, unreadable_file
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
    "ByteStream",
    "Deletion",
    "iter_pubmed_xml",
    "normalise_doi",
    "normalise_orcid",
    "normalise_pmcid",
    "pub_date_year",
    "read_pubmed_xml",
    "record_events",
    "squeeze",
]

RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")
# Author's own children that make up a name; Identifier also holds the ORCID.
AUTHOR_TAGS = ("Author", "LastName", "ForeName", "Initials", "CollectiveName", "Identifier")
ROOT_TAGS = frozenset({"PubmedArticleSet", "PubmedBookArticleSet"})

# The first four digits standing alone: "2021 Apr-Jun 01" -> 2021, "Winter 1998" -> 1998.
YEAR = re.compile(r"(?<![0-9])([12][0-9]{3})(?![0-9])")
XML_SPACE = " \t\n\r"
XML_SPACES = re.compile("[ \t\n\r]+")
ORCID = re.compile(r"([0-9]{4})-?([0-9]{4})-?([0-9]{4})-?([0-9]{3}[0-9X])")
DOI = re.compile(r"10\.[0-9]{3,}(?:\.[0-9]+)*/\S+")
PMCID = re.compile(r"(?:PMC)?([0-9]+)", re.IGNORECASE)


class ByteStream(Protocol):
    """What the parser reads from: an open binary file, a GzipFile, a response body."""

    def read(self, size: int = -1, /) -> bytes: ...


class Utf8Guard:
    """Hands on only the bytes before the first one that is not UTF-8.

    libxml2 reports an undecodable byte at different moments from one release to
    the next (lxml 6.2 fails the whole first read buffer, so a small file kept no
    record at all), so the check is ours: the parser sees a document that simply
    breaks off before the bad byte, every record before it is kept at any lxml
    version, and `bad_line` says where the byte is. A document that declares
    another encoding in its XML declaration is passed through untouched.
    """

    def __init__(self, stream: ByteStream) -> None:
        self._stream = stream
        self._pending = b""  # the start of a character split across two reads
        self._checking: bool | None = None  # undecided until the declaration is seen
        self._lines = 1
        self.bad_line = 0
        self.bad_byte = 0

    def read(self, size: int = -1, /) -> bytes:
        while not self.bad_line:
            chunk = self._stream.read(size)
            if self._checking is None:
                self._checking = _declares_utf8(chunk)
            if not self._checking:
                return chunk
            good = self._checked(chunk)
            if good or not chunk:  # b"" only at the end: never while a character is split
                return good
        return b""

    def _checked(self, chunk: bytes) -> bytes:
        data = self._pending + chunk
        try:
            data.decode("utf-8")
            good, self._pending = data, b""
        except UnicodeDecodeError as error:
            split_at_end = chunk and error.reason == "unexpected end of data"
            if split_at_end and len(data) - error.start < 4:
                good, self._pending = data[: error.start], data[error.start :]
            else:
                good = data[: error.start]
                self.bad_line = self._lines + good.count(b"\n")
                self.bad_byte = data[error.start]
        self._lines += good.count(b"\n")
        return good


_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)")


def _declares_utf8(start: bytes) -> bool:
    """Whether a document starting with `start` is UTF-8: declared so, or nothing declared."""
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # a UTF-16 byte-order mark
    declared = _DECLARED_ENCODING.match(start)
    return declared is None or declared.group(1).lower().replace(b"-", b"") == b"utf8"


@dataclass(frozen=True, slots=True)
class Deletion:
    """A DeleteCitation entry: NLM withdrew this PMID; drop any record you hold for it."""

    pmid: str


class MalformedRecord(Exception):
    """A record element that cannot become a Record; reported, never raised to callers."""

    def __init__(self, message: str, pmid: str = "") -> None:
        super().__init__(message)
        self.pmid = pmid


# --- normalisers -------------------------------------------------------------


def squeeze(text: str) -> str:
    """Runs of XML whitespace (space, tab, newline) as one space, none at either end.

    Pretty-printed files wrap titles and MeSH terms over lines. Other spaces, such
    as a no-break space, are text and are kept.
    """
    # Most text has nothing to collapse; checking first is several times faster.
    if "  " in text or "\n" in text or "\t" in text or "\r" in text:
        text = XML_SPACES.sub(" ", text)
    return text.strip(XML_SPACE)


def pub_date_year(text: str) -> int | None:
    """The first year in a PubMed date as written: "1998 Dec-1999 Jan" -> 1998."""
    match = YEAR.search(text)
    return int(match.group(1)) if match else None


def normalise_orcid(text: str) -> str:
    """The bare "0000-0002-1825-0097" form of an ORCID iD, or "" if there is none.

    PubMed writes ORCIDs bare, as http(s)://orcid.org/ URLs and without hyphens.
    Some are a digit short; those cannot be repaired and give "".
    """
    match = ORCID.search(text.upper().replace(" ", ""))
    return "-".join(match.groups()) if match else ""


def normalise_doi(text: str) -> str:
    """The DOI itself ("10.1101/gr.5823007") from a bare DOI, "doi:" or a doi.org URL."""
    match = DOI.search(text.strip())
    return match.group(0) if match else ""


def normalise_pmcid(text: str) -> str:
    """The "PMC1800922" form from "PMC1800922", "pmc1800922" or "1800922"; "" otherwise."""
    match = PMCID.fullmatch(text.strip())
    return f"PMC{match.group(1)}" if match else ""


# --- reading -----------------------------------------------------------------


def read_pubmed_xml(path: Path, *, database: str = "PubMed") -> ImportResult:
    """Every record, problem and deleted PMID of one PubMed XML file, plain or gzip.

    A problem's position is a line of the (unpacked) file, so that a person can
    open it there; its message names the record's 1-based position too.
    """
    records: list[Record] = []
    problems: list[ImportProblem] = []
    deleted: list[str] = []
    try:
        with path.open("rb") as raw:
            compressed = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
            stream: ByteStream = gzip.GzipFile(fileobj=raw) if compressed else raw
            items = iter_pubmed_xml(stream, database=database, file=path.name, lines=True)
            for item in items:
                if isinstance(item, Record):
                    records.append(item)
                elif isinstance(item, Deletion):
                    deleted.append(item.pmid)
                else:
                    problems.append(item)
    except OSError as exc:
        raise unreadable_file(path, exc) from None
    return ImportResult(tuple(records), tuple(problems), tuple(deleted))


class RecordEvents:
    """The ("end", element) events of a PubMed document's record elements, read as a stream.

    lxml's pull parser, fed by us, rather than `iterparse`: when a read buffer
    holds records and then an error, `iterparse` in lxml 6.2 raises before handing
    out the records it already parsed from that buffer, so what a file kept
    depended on the lxml version and on where the buffers fell. The pull parser
    keeps every event parsed before an error readable, so this yields them all and
    then raises. No DTD, network or entity expansion, as everywhere in this module.
    `root` is the document element once the document has been read to its end.
    """

    CHUNK = 64 * 1024

    def __init__(self, stream: ByteStream) -> None:
        self._stream = stream
        self._parser = etree.XMLPullParser(
            events=("end",),
            tag=RECORD_TAGS,
            load_dtd=False,
            no_network=True,
            resolve_entities=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        self.root: etree._Element | None = None

    def __iter__(self) -> Iterator[etree._Element]:
        parser = self._parser
        while chunk := self._stream.read(self.CHUNK):
            try:
                parser.feed(chunk)
            except etree.XMLSyntaxError:
                yield from self._parsed()
                raise
            yield from self._parsed()
        # At the end of a document that breaks off, close() ends the elements left
        # open, whose "end" events are records cut short: they are not handed out.
        self.root = parser.close()
        yield from self._parsed()

    def _parsed(self) -> Iterator[etree._Element]:
        for _event, element in self._parser.read_events():
            yield cast(etree._Element, element)  # only "end" events were asked for


def record_events(stream: ByteStream) -> RecordEvents:
    """The record events of a PubMed document, with no DTD, network or entities.

    The benchmark's bare loop uses this too, so the floor it measures is parsed
    with exactly the settings our parser uses.
    """
    return RecordEvents(stream)


def iter_pubmed_xml(
    stream: ByteStream,
    *,
    database: str = "PubMed",
    file: str = "",
    search: str = "",
    lines: bool = False,
) -> Iterator[Record | ImportProblem | Deletion]:
    """Records, problems and deletions in document order, in constant memory.

    A record that cannot be read becomes an ImportProblem naming its PMID (when
    it has one) and its 1-based position; reading goes on with the next one. A
    document that breaks off gives a last ImportProblem; what came before is kept.
    With `lines`, a problem's position is the line where it was found (where the
    record starts) rather than the record's position, which its message then names.
    Every record is yielded, even a PMID seen before: an NLM update file can
    carry one PMID several times, and the later one is NLM's newer version.
    """
    guarded = Utf8Guard(stream)
    events = record_events(guarded)
    position = kept = 0
    line = 1  # where the last record started
    try:
        for element in events:
            if element.tag == "DeleteCitation":
                for pmid in element.iterchildren("PMID"):
                    yield Deletion(_text(pmid))
            else:
                position += 1
                item = _record_or_problem(element, Source(database, file, search, position))
                if lines:
                    line = cast(int | None, element.sourceline) or line  # stubs: untyped
                    if isinstance(item, ImportProblem):
                        item = _at_line(item, line)
                kept += isinstance(item, Record)
                yield item
            _release(element)
    except etree.XMLSyntaxError as error:
        if guarded.bad_line:
            yield _not_utf8(guarded, file, position + 1, lines, kept)
            return
        where = f" at line {error.lineno}" if error.lineno else ""  # 0: nothing was read
        yield ImportProblem(
            file,
            error.lineno if lines and error.lineno else position + 1,
            f"the XML breaks off or is malformed{where} ({error.msg}); "
            f"{_kept_before(kept)}; fetch or download the file again",
        )
        return
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        after = f" after the record at line {line}" if lines and position else ""
        yield ImportProblem(
            file,
            line if lines else position + 1,
            f"the compressed data ends early or is damaged{after} ({error}); "
            f"{_kept_before(kept)}; download the file again",
        )
        return
    root = events.root
    if root is not None and root.tag not in ROOT_TAGS:
        yield ImportProblem(
            file,
            0,
            f"not PubMed XML: the document is <{root.tag}>, not <PubmedArticleSet>; "
            "fetch it again with db=pubmed and retmode=xml",
        )


def _not_utf8(
    guarded: Utf8Guard, file: str, position: int, lines: bool, kept: int
) -> ImportProblem:
    return ImportProblem(
        file,
        guarded.bad_line if lines else position,
        f"the XML is not UTF-8 at line {guarded.bad_line} (byte 0x{guarded.bad_byte:02X}); "
        f"{_kept_before(kept)}; save the file as UTF-8 or download it again",
    )


def _kept_before(kept: int) -> str:
    if kept == 0:
        return "no record came before it"
    return (
        "the record before it was kept" if kept == 1 else f"the {kept} records before it were kept"
    )


def _at_line(problem: ImportProblem, line: int) -> ImportProblem:
    message = f"record {problem.position}: {problem.message}"
    return ImportProblem(problem.file, line, message, problem.record_id)


def _release(element: etree._Element) -> None:
    """Free a record's subtree and the already-read siblings that still hang before it."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _record_or_problem(element: etree._Element, source: Source) -> Record | ImportProblem:
    try:
        if element.tag == "PubmedArticle":
            return _article(element, source)
        return _book(element, source)
    except MalformedRecord as problem:
        return ImportProblem(source.file, source.position, str(problem), problem.pmid)


# --- text helpers --------------------------------------------------------------


def _text(element: etree._Element | None) -> str:
    """An element's text with inline markup (<i>, <sup>, MathML) dropped, spaces collapsed."""
    if element is None:
        return ""
    # lxml returns str for str-built trees; its stubs also allow bytes.
    text = "".join(cast(Iterator[str], element.itertext())) if len(element) else element.text
    return squeeze(text) if text else ""


def _leaf(element: etree._Element | None) -> str:
    """The text of an element that holds no markup and is never wrapped: a name, a number."""
    if element is None:
        return ""
    return (element.text or "").strip(XML_SPACE)


def _children(element: etree._Element | None) -> dict[str, etree._Element]:
    """A container's children by tag; for tags that occur once (Journal, PubDate, ...)."""
    if element is None:
        return {}
    return {child.tag: child for child in element}


# Journals, languages, MeSH terms and types repeat across records: share one copy.
_intern = sys.intern


# --- PubmedArticle ---------------------------------------------------------------


def _article(element: etree._Element, source: Source) -> Record:
    citation = data = None
    for part in element:
        if part.tag == "MedlineCitation":
            citation = part
        elif part.tag == "PubmedData":
            data = part
    if citation is None:
        raise MalformedRecord("PubmedArticle has no MedlineCitation; record skipped")
    pmid = ""
    article = None
    mesh: tuple[MeshHeading, ...] = ()
    keywords: list[str] = []
    relations: tuple[Relation, ...] = ()
    journal_ta = ""
    for child in citation:
        tag = child.tag
        if tag == "PMID":
            pmid = pmid or _leaf(child)
        elif tag == "Article":
            article = child
        elif tag == "MeshHeadingList":
            mesh = _mesh(child)
        elif tag == "KeywordList":
            keywords.extend(_text(keyword) for keyword in child)
        elif tag == "CommentsCorrectionsList":
            relations = _relations(child)
        elif tag == "MedlineJournalInfo":
            journal_ta = _leaf(child.find("MedlineTA"))
    if not pmid:
        raise MalformedRecord("PubmedArticle has no PMID; record skipped")
    if article is None:
        raise MalformedRecord(f"PMID {pmid}: PubmedArticle has no Article; record skipped", pmid)

    fields = _ArticleFields()
    fields.read(article)
    doi, pmcid = _article_ids(data)
    return Record(
        id=pmid,
        source=source,
        title=fields.title,
        abstract=fields.abstract,
        authors=fields.authors,
        journal=fields.journal,
        journal_abbrev=fields.journal_abbrev or _intern(journal_ta),
        volume=fields.volume,
        issue=fields.issue,
        pages=fields.pages,
        year=fields.year,
        pub_date=fields.pub_date,
        pmid=pmid,
        doi=doi or normalise_doi(fields.elocation_doi),
        pmcid=pmcid,
        publication_types=fields.publication_types,
        mesh=mesh,
        keywords=tuple(keyword for keyword in keywords if keyword),
        languages=fields.languages,
        relations=relations,
        extra=fields.extra,
    )


class _ArticleFields:
    """What one MedlineCitation/Article holds, read in one pass over its children."""

    def __init__(self) -> None:
        self.title = ""
        self.vernacular_title = ""
        self.abstract: tuple[AbstractSection, ...] = ()
        self.authors: tuple[Author, ...] = ()
        self.journal = ""
        self.journal_abbrev = ""
        self.volume = ""
        self.issue = ""
        self.pages = ""
        self.year: int | None = None
        self.pub_date = ""
        self.elocation_doi = ""  # as written; normalised only when ArticleIdList has none
        self.publication_types: tuple[str, ...] = ()
        self.languages: tuple[str, ...] = ()
        self.extra: tuple[tuple[str, str], ...] = ()

    def read(self, article: etree._Element) -> None:
        languages: list[str] = []
        start_page = end_page = ""
        for child in article:
            tag = child.tag
            if tag == "Journal":
                self._journal(child)
            elif tag == "ArticleTitle":
                self.title = _text(child)
            elif tag == "VernacularTitle":
                self.vernacular_title = _text(child)
            elif tag == "Pagination":
                parts = _children(child)
                self.pages = _leaf(parts.get("MedlinePgn"))
                start_page = _leaf(parts.get("StartPage"))
                end_page = _leaf(parts.get("EndPage"))
            elif tag == "ELocationID":
                if not self.elocation_doi and child.get("EIdType") == "doi":
                    self.elocation_doi = _leaf(child)
            elif tag == "Abstract":
                self.abstract = _abstract(child)
            elif tag == "AuthorList":
                if child.get("Type", "authors") == "authors":
                    self.authors = _authors(child)
            elif tag == "Language":
                languages.append(_intern(_leaf(child)))
            elif tag == "PublicationTypeList":
                self.publication_types = tuple(_intern(_text(kind)) for kind in child)
        if not self.pages and start_page:
            self.pages = f"{start_page}-{end_page}" if end_page else start_page
        if not self.title:
            self.title = self.vernacular_title
        self.languages = tuple(languages)

    def _journal(self, journal: etree._Element) -> None:
        issns: list[tuple[str, str]] = []
        for child in journal:
            tag = child.tag
            if tag == "Title":
                self.journal = _intern(_text(child))
            elif tag == "ISOAbbreviation":
                self.journal_abbrev = _intern(_text(child))
            elif tag == "ISSN":
                issns.append(("issn", _leaf(child)))
            elif tag == "JournalIssue":
                for part in child:
                    tag = part.tag
                    if tag == "Volume":
                        self.volume = _leaf(part)
                    elif tag == "Issue":
                        self.issue = _leaf(part)
                    elif tag == "PubDate":
                        self.pub_date, self.year = _pub_date(part)
        self.extra = tuple(issns)


def _pub_date(element: etree._Element | None) -> tuple[str, int | None]:
    """The date as written ("2007 Mar", "1998 Dec-1999 Jan") and its year."""
    if element is None:
        return "", None
    year = season = month = day = ""
    for part in element:
        tag = part.tag
        if tag == "Year":
            year = _leaf(part)
        elif tag == "Month":
            month = _leaf(part)
        elif tag == "Day":
            day = _leaf(part)
        elif tag == "Season":
            season = _leaf(part)
        elif tag == "MedlineDate":
            written = _text(part)
            return written, pub_date_year(written)
    written = " ".join(piece for piece in (year, season, month, day) if piece)
    plain = len(year) == 4 and year.isascii() and year.isdigit()
    return written, int(year) if plain else pub_date_year(year)


def _abstract(element: etree._Element) -> tuple[AbstractSection, ...]:
    sections = []
    for part in element.iterchildren("AbstractText"):
        text = _text(part)
        label = part.get("Label", "")
        if text or label:
            category = part.get("NlmCategory", "")
            sections.append(AbstractSection(text, _intern(label), _intern(category)))
    return tuple(sections)


def _authors(element: etree._Element) -> tuple[Author, ...]:
    # One C-level walk over the name elements only: affiliations, which outnumber
    # names, are never turned into Python objects.
    authors: list[Author] = []
    family = given = initials = collective = orcid = ""
    valid = False
    for part in element.iter(AUTHOR_TAGS):
        tag = part.tag
        if tag == "Author":
            if valid and (family or given or collective):
                authors.append(Author(family, given, initials, collective, orcid))
            family = given = initials = collective = orcid = ""
            valid = part.get("ValidYN") != "N"
        elif tag == "LastName":
            family = (part.text or "").strip(XML_SPACE)
        elif tag == "ForeName":
            given = (part.text or "").strip(XML_SPACE)
        elif tag == "Initials":
            initials = (part.text or "").strip(XML_SPACE)
        elif tag == "CollectiveName":
            collective = _text(part)
        elif tag == "Identifier" and not orcid and part.get("Source") == "ORCID":
            orcid = normalise_orcid(_leaf(part))
    if valid and (family or given or collective):
        authors.append(Author(family, given, initials, collective, orcid))
    return tuple(authors)


def _mesh(element: etree._Element) -> tuple[MeshHeading, ...]:
    headings = []
    for heading in element.iterchildren("MeshHeading"):
        descriptor = heading.find("DescriptorName")
        if descriptor is None:
            continue
        qualifiers = tuple(
            MeshQualifier(_intern(_text(qualifier)), qualifier.get("MajorTopicYN") == "Y")
            for qualifier in heading.iterchildren("QualifierName")
        )
        headings.append(
            MeshHeading(
                _intern(_text(descriptor)),
                descriptor.get("MajorTopicYN") == "Y",
                qualifiers,
                descriptor.get("UI", ""),
            )
        )
    return tuple(headings)


def _relations(element: etree._Element) -> tuple[Relation, ...]:
    relations = []
    for link in element.iterchildren("CommentsCorrections"):
        kind = link.get("RefType", "")
        if kind == "Cites":
            continue
        parts = _children(link)
        relations.append(
            Relation(_intern(kind), _leaf(parts.get("PMID")), _text(parts.get("RefSource")))
        )
    return tuple(relations)


def _article_ids(element: etree._Element | None) -> tuple[str, str]:
    """DOI and PMCID from the record's own ArticleIdList (not from its ReferenceList)."""
    doi = pmcid = ""
    if element is None:
        return doi, pmcid
    for id_list in element.iterchildren("ArticleIdList"):
        for article_id in id_list:
            kind = article_id.get("IdType")
            if kind == "doi" and not doi:
                doi = normalise_doi(_leaf(article_id))
            elif kind == "pmc" and not pmcid:
                pmcid = normalise_pmcid(_leaf(article_id))
    return doi, pmcid


# --- PubmedBookArticle -------------------------------------------------------------


def _book(element: etree._Element, source: Source) -> Record:
    document = element.find("BookDocument")
    if document is None:
        raise MalformedRecord("PubmedBookArticle has no BookDocument; record skipped")
    parts = _children(document)
    pmid = _text(parts.get("PMID"))
    if not pmid:
        raise MalformedRecord("PubmedBookArticle has no PMID; record skipped")
    book_element = parts.get("Book")
    book = _children(book_element)
    book_title = _text(book.get("BookTitle"))
    chapter_title = _text(parts.get("ArticleTitle"))
    pub_date, year = _pub_date(book.get("PubDate"))
    authors: tuple[Author, ...] = ()
    editors: tuple[Author, ...] = ()
    for author_list in _both(document, book_element, "AuthorList"):
        people = _authors(author_list)
        if author_list.get("Type", "authors") == "editors":
            editors = editors or people
        else:
            authors = authors or people
    doi, pmcid = _article_ids(element.find("PubmedBookData"))
    if not doi:
        doi = _elocation_doi(_both(document, book_element, "ELocationID"))
    publisher = _children(book.get("Publisher"))
    extra = [("editor", editor.display) for editor in editors]
    extra += [
        (key, value)
        for key, value in (
            ("publisher", _text(publisher.get("PublisherName"))),
            ("publisher_location", _text(publisher.get("PublisherLocation"))),
            ("bookaccession", _book_accession(parts.get("ArticleIdList"))),
        )
        if value
    ]
    return Record(
        id=pmid,
        source=source,
        title=chapter_title or book_title,
        abstract=_abstract(parts["Abstract"]) if "Abstract" in parts else (),
        authors=authors,
        journal=_intern(book_title) if chapter_title else "",
        volume=_text(book.get("Volume")),
        pages=_text(_children(parts.get("Pagination")).get("MedlinePgn")),
        year=year,
        pub_date=pub_date,
        pmid=pmid,
        doi=doi,
        pmcid=pmcid,
        isbn=_text(book.get("Isbn")),
        entry_type="inbook" if chapter_title else "book",
        publication_types=tuple(
            _intern(_text(kind)) for kind in document.iterchildren("PublicationType")
        ),
        keywords=tuple(
            keyword
            for keyword_list in document.iterchildren("KeywordList")
            for keyword in (_text(item) for item in keyword_list)
            if keyword
        ),
        languages=tuple(_intern(_text(lang)) for lang in document.iterchildren("Language")),
        is_book=True,
        extra=tuple(extra),
    )


def _both(document: etree._Element, book: etree._Element | None, tag: str) -> list[etree._Element]:
    """The chapter's own `tag` children first, then the book's."""
    found = list(document.iterchildren(tag))
    if book is not None:
        found.extend(book.iterchildren(tag))
    return found


def _elocation_doi(locations: list[etree._Element]) -> str:
    for location in locations:
        if location.get("EIdType") == "doi":
            return normalise_doi(_text(location))
    return ""


def _book_accession(id_list: etree._Element | None) -> str:
    if id_list is None:
        return ""
    for article_id in id_list:
        if article_id.get("IdType") == "bookaccession":
            return _text(article_id)
    return ""
