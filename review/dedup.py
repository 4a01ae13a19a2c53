"""Deduplication: Fellegi–Sunter weights fitted to each file, with blocking.

Duplicates are linked to a canonical record, never deleted, so every PRISMA
count can be re-derived from the links. Versions of a paper (preprint,
conference paper, article, corrected version) are duplicates; errata,
retraction notices, comments and replies are separate records, linked to
their article as related, and an article with a retraction notice (or a
"RETRACTED:" copy) is flagged as a Retracted Publication.

How a pair is decided:

1. Only what cannot be weighed forbids a link: two different PMIDs, a notice
   and an article, a person's rejection.
2. Every other pair is compared field by field (`COMPARISONS`: title, title
   numbers, authors, year, journal, volume, issue, pages, DOI, abstract,
   PMID/PMCID), each comparison giving a level: agree, agree partly, disagree,
   or missing. Each level has a weight in bits, log2(m/u) (`review.linkage`);
   the weights are learned on the labelled shared sets and then fitted by
   expectation–maximisation to this input's own candidate pairs, so a field
   that disagrees among this file's obvious duplicates counts for little.
   The sum gives a match probability: above `duplicate_at` the pair is a
   duplicate, above `person_at` it goes to a person. A meeting abstract and
   an article, a thesis and its citation, or two versions of one DOI go to a
   person however high they score.
3. Per source file, a column that cannot mean what its name says (an issue
   that is a running number, pages that are page counts) is ignored
   (`unreliable_fields`).

Only pairs that share a blocking key are compared (DOI, PMID, the first and
last characters of the title, first author with first page, volume with first
page, the start of the abstract; keys shared by more than MAX_BLOCK records
are too generic to use), so the work grows about linearly with the number of
records. Clusters are built with union-find, people's acceptances first, then
links from the most to the least probable; a link that would put two records
into one cluster that a person rejected, that carry different PMIDs or that
are a notice and an article is refused. Every link keeps the weight of each
field (`DuplicateLink.detail`), for the log and `review explain`.
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from itertools import pairwise
from pathlib import Path
from typing import Literal

from rapidfuzz.distance import Indel, Levenshtein

from review import normalise
from review.errors import InputError
from review.formats import read_records
from review.formats.table import neutralise, row_of
from review.linkage import Comparison, Model, Pattern, Scored, count_patterns, fit, load_model
from review.records import ImportProblem, Record, Source

__all__ = [
    "COMPARISONS",
    "CandidatePair",
    "DedupResult",
    "DedupRun",
    "DuplicateLink",
    "IgnoredField",
    "PairDecisions",
    "RelatedLink",
    "Verdict",
    "candidate_patterns",
    "compare",
    "dedup_files",
    "deduplicate",
    "default_model",
    "explain_merged",
    "keep_latest_versions",
    "pattern",
    "prepare",
    "read_pair_decisions",
    "unreliable_fields",
    "write_deduplicated",
    "write_log",
    "write_undecided",
]


@dataclass(frozen=True, slots=True)
class DuplicateLink:
    """`record_id` is a duplicate of `canonical_id`; `rule` and `score` say why."""

    record_id: str
    canonical_id: str
    rule: str
    score: float = 1.0
    detail: str = ""
    by: str = "rules"  # or the name of the person who accepted the pair


@dataclass(frozen=True, slots=True)
class RelatedLink:
    """Two separate records that belong together (erratum, retraction, comment)."""

    record_id: str
    related_id: str
    kind: str


@dataclass(frozen=True, slots=True)
class CandidatePair:
    """A pair too close to call; a person accepts or rejects it."""

    first_id: str
    second_id: str
    score: float
    detail: str = ""


@dataclass(frozen=True, slots=True)
class DedupResult:
    records: tuple[Record, ...]  # every input record, unchanged
    canonical: tuple[Record, ...]  # one per cluster, gaps filled from its duplicates
    links: tuple[DuplicateLink, ...]
    related: tuple[RelatedLink, ...] = ()
    undecided: tuple[CandidatePair, ...] = ()
    ignored: tuple[IgnoredField, ...] = ()  # columns of a source file left out
    model: Model | None = None  # the weights fitted to these records


# --------------------------------------------------------------------------- preparing


@dataclass(frozen=True, slots=True)
class Prepared:
    """The normalised fields of one record that the comparisons look at."""

    position: int
    id: str
    title: str
    title_key: str  # the title without spaces, for blocking
    translated: str  # "Original title [Translated title]": the part in brackets
    translation: bool  # the title is a database's translation ("[Title]", "Title. German")
    original: str  # the title in its own language, where a database gives it too
    language: str  # "en" or "other" when the title's function words say so
    cut: bool  # the title stops at a hyphen: cut at a character the database lost
    numbers: str
    notice: str  # "erratum", "retraction", ... ; "retracted copy" for "RETRACTED: <title>"
    about: str  # for a notice, the title of what it is about
    authors: tuple[str, ...]
    given_names: tuple[str, ...]  # first given name per author, () when not all are known
    journal: str
    issns: frozenset[str]  # the journal's ISSNs, print and electronic
    year: int | None
    volume: str
    supplement: str  # the supplement's number ("Suppl. 3" -> "3")
    issue: str
    first_page: str
    last_page: str  # "" for a single page or an article number
    kind: str  # "article", "meeting abstract" or "whole work" (a thesis's or book's extent)
    doi: str
    pmid: str
    pmcid: str
    abstract: str  # the first 300 normalised characters
    abstract_text: str  # the normalised abstract (its first 4000 characters)
    # Fields of this record's file that cannot be read ("issue", "pages"; see
    # `unreliable_fields`): unknown, which is not the same as missing.
    unknown: frozenset[str] = frozenset()


_TRANSLATED = re.compile(r"^.{20,}?\s*\[([^\[\]]{20,})\]\s*\.?\s*$", re.DOTALL)
_RETRACTED_COPY = re.compile(r"^\W*retracted(?:\s+article)?\s*[:\]]", re.IGNORECASE)
# Where a meeting's abstracts are printed: a proceedings entry, or a journal
# (supplement) named for the meeting.
_MEETING = re.compile(
    r"\b(?:congress|conference|meeting|symposium|proceedings|abstracts|annual\s+scientific)\b",
    re.IGNORECASE,
)
_MEETING_TYPES = {"inproceedings", "proceedings", "conference"}


def _kind(record: Record) -> str:
    if normalise.is_page_count(record.pages):
        return "whole work"
    if record.entry_type.lower() in _MEETING_TYPES or _MEETING.search(record.journal):
        return "meeting abstract"
    return "article"


def prepare(record: Record, position: int = 0, ignore: Collection[str] = ()) -> Prepared:
    """A record's comparable fields; `ignore`: fields its file gets wrong (`unreliable_fields`)."""
    record = _without_spreadsheet_errors(record)
    normal_title = _title_words(record.title)
    notice = normalise.notice_kind(record.title)
    if not notice and _RETRACTED_COPY.match(record.title):
        notice = "retracted copy"
    # Embase's own citation in the journal field ("Medizinische Klinik (1947).67
    # (43) ()(pp 1389-1392)") is better than fields an importer split out of it
    # (issue "1947"); the fields fill what the citation leaves out.
    cited = normalise.citation_in_journal(record.journal)
    volume = cited[0] or record.volume
    issue = "" if "issue" in ignore else cited[1] or record.issue
    pages = "" if "pages" in ignore else cited[2] or record.pages
    translated = _TRANSLATED.search(record.title)
    first_page, last_page = normalise.page_range(pages)
    abstract = normalise.text(record.abstract_text[:4000])
    if record.year is not None and first_page == str(record.year):
        first_page = last_page = ""  # the year, put where the pages belong
    return Prepared(
        position=position,
        id=record.id,
        title=normal_title,
        title_key=normal_title.replace(" ", ""),
        translated=_title_words(translated.group(1)) if translated else "",
        translation=normalise.is_translation(record.title),
        original=normalise.us_spelling(normalise.original_title(record.title)),
        language=normalise.title_language(normal_title),
        cut=record.title.rstrip().endswith(("-", "\u2013")),
        numbers=normalise.title_numbers(normal_title),
        notice=notice,
        about=_about(record.title) if notice and notice != "retracted copy" else "",
        authors=normalise.author_families(record.authors),
        given_names=normalise.author_given_names(record.authors),
        journal=normalise.journal(record.journal or record.journal_abbrev),
        issns=_issns(record),
        year=record.year,
        volume=normalise.volume(volume),
        supplement=normalise.supplement(issue) or normalise.supplement(volume),
        issue=normalise.issue(issue),
        first_page=first_page,
        last_page=last_page,
        kind=_kind(record),
        doi=normalise.doi(record.doi),
        pmid=record.pmid.strip() or normalise.pmid_from_url(record.url),
        pmcid=record.pmcid.strip().upper(),
        abstract=abstract[:300],
        abstract_text=abstract,
        unknown=frozenset(ignore) & {"issue", "pages"},
    )


_TEXT_FIELDS = tuple(f.name for f in fields(Record) if f.type in ("str", str) and f.name != "id")


def _without_spreadsheet_errors(record: Record) -> Record:
    """The record with every field that holds a spreadsheet's error ("#NAME?") empty:
    such a field is missing, and agreeing on it says nothing."""
    blank = {
        name: ""
        for name in _TEXT_FIELDS
        if "#" in getattr(record, name) and normalise.spreadsheet_error(getattr(record, name))
    }
    authors = tuple(
        a for a in record.authors if not normalise.spreadsheet_error(a.collective or a.family)
    )
    abstract = () if normalise.spreadsheet_error(record.abstract_text) else record.abstract
    if not blank and len(authors) == len(record.authors) and abstract == record.abstract:
        return record
    return replace(record, authors=authors, abstract=abstract, **blank)  # type: ignore[arg-type]


# A journal section's label before the title, which MEDLINE keeps and other
# databases leave out: "Proceedings: <title>" (a society's proceedings in the
# 1970s), "Rapid publication: <title>".
_SECTION_LABEL = re.compile(
    r"^\s*(?:proceedings|rapid (?:publication|communication)|short communication|"
    r"brief (?:communication|report))\s*:\s*",
    re.IGNORECASE,
)


def _title_words(value: str) -> str:
    """A title as `normalise.title` gives it, without a section's label before it,
    in American spelling."""
    return normalise.us_spelling(normalise.title(_SECTION_LABEL.sub("", value)))


_ISSN_FIELDS = frozenset({"issn", "eissn", "e-issn", "sn", "is"})


def _issns(record: Record) -> frozenset[str]:
    """ISSNs from the ISBN field (where RIS and the ASySD exports put them) and from
    fields a format keeps aside (PubMed XML's and BibTeX's "issn", RIS's "SN")."""
    found = normalise.issns(record.isbn) if record.isbn else frozenset()
    for name, value in record.extra:
        if name.lower() in _ISSN_FIELDS:
            found |= normalise.issns(value)
    return found


# 'Retraction notice to "Title" [J Foo 12 (2016) 1-10]': the citation after the
# quoted title is not part of it.
_QUOTED = re.compile(r"^[^\"“”]*[\"“”](.{20,}?)[\"“”]")
_TRAILING_CITATION = re.compile(r"\s*\[[^\[\]]*\d[^\[\]]*\]?\s*\.?\s*$")


def _about(title: str) -> str:
    quoted = _QUOTED.match(title)
    if quoted:
        return _title_words(quoted.group(1))
    return normalise.strip_notice_prefix(_TRAILING_CITATION.sub("", title))


# --------------------------------------------------------------------------- field reliability

_NUMBER = re.compile(r"^\d+$")


@dataclass(frozen=True, slots=True)
class IgnoredField:
    """A column of one source file that cannot mean what its name says."""

    file: str
    field: str
    reason: str


def unreliable_fields(records: Sequence[Record]) -> tuple[IgnoredField, ...]:
    """Per source file, the columns to ignore: a running number as issue, a page count as pages.

    An "issue" that is a different number on (nearly) every record and rises
    with the record's position is a database's record counter; journal issues
    repeat and stay small. "Pages" that are all single small numbers and never
    a range are page counts (how long the paper is), not where it starts.
    """
    by_file: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        by_file[record.source.file].append(record)
    found: list[IgnoredField] = []
    for file, group in by_file.items():
        issues = [int(r.issue) for r in group if _NUMBER.match(r.issue.strip())]
        if len(issues) >= 20:
            rising = sum(1 for x, y in pairwise(issues) if y > x)
            distinct = len(set(issues))
            if distinct >= 0.95 * len(issues) and rising >= 0.9 * (len(issues) - 1):
                found.append(
                    IgnoredField(file, "issue", "a different number on each record, rising")
                )
        pages = [r.pages.strip() for r in group if r.pages.strip()]
        if len(pages) >= 20:
            numbers = [int(p) for p in pages if _NUMBER.match(p)]
            if len(numbers) >= 0.95 * len(pages) and sorted(numbers)[len(numbers) // 2] <= 30:
                found.append(IgnoredField(file, "pages", "single small numbers: page counts"))
    return tuple(found)


# --------------------------------------------------------------------------- comparing

Outcome = Literal["duplicate", "undecided", "distinct"]

MODEL_PATH = Path(__file__).with_name("data") / "dedup_model.json"


def default_model() -> Model:
    """The weights learned on the labelled shared sets (`benchmarks/dedup.py --learn`)."""
    return load_model(MODEL_PATH, COMPARISONS)


def _level(value: float, cuts: Sequence[float]) -> int:
    for i, cut in enumerate(cuts):
        if value >= cut:
            return i
    return len(cuts)


def _doi_level(a: str, b: str) -> int | None:
    if not a or not b:
        return None
    if a == b:
        return 0
    if _versions(a, b):
        return None  # versions of one work: `_cap` sends the pair to a person
    # One character lost, added or changed in a long DOI is a slip; two
    # versions of a Cochrane review or a preprint (".pub2", "v2") differ at the
    # end and are kept as "differ".
    if len(a) >= 12 and Levenshtein.distance(a, b, score_cutoff=1) <= 1:
        last_a, last_b = a[-1:], b[-1:]
        if not (last_a.isdigit() and last_b.isdigit() and a[:-1] == b[:-1]):
            return 1
    return 2


# A title is a common one ("Editorial", a journal's recurring column) when
# more records carry it than one paper has copies, or when it recurs over years.
COMMON_TITLE = 8
RECURRING_YEARS = 3
_AGREE = {True: "same", False: "other", None: "no"}
# A range of pages agreeing identifies a paper; one page agreeing less so (a
# letter and its reply share it).
_PAGES = ("same range", "same page", "same first page", "other pages", "no pages")


def _place_levels() -> tuple[tuple[str, tuple[bool | None, bool | None, int]], ...]:
    levels = []
    for volume in (True, False, None):
        for issue in (True, False, None):
            for pages in range(len(_PAGES)):
                if volume is None and issue is None and pages == len(_PAGES) - 1:
                    continue
                name = f"{_AGREE[volume]} volume, {_AGREE[issue]} issue, {_PAGES[pages]}"
                levels.append((name, (volume, issue, pages)))
    return tuple(levels)


_PLACE_LEVELS = _place_levels()
_UNKNOWN = -1  # an issue or pages that cannot be read (`Prepared.unknown`)


def _partial_place_levels() -> tuple[tuple[str, tuple[bool | None, bool | int | None, int]], ...]:
    """Place levels for a pair whose issue, pages or both cannot be read: each stands
    for the ordinary levels the unknown part could have given (`Comparison.partial`)."""
    found = []
    for volume in (True, False, None):
        for pages in (*range(len(_PAGES)), _UNKNOWN):
            for issue in (True, False, None, _UNKNOWN):
                if _UNKNOWN not in (issue, pages):
                    continue
                known = [x for x in (volume, issue if issue != _UNKNOWN else None) if x is not None]
                if not known and pages in (len(_PAGES) - 1, _UNKNOWN):
                    continue  # nothing known: the place is missing
                if issue == _UNKNOWN and pages == _UNKNOWN:
                    issue_name, pages_name = "issue and pages unknown", ""
                else:
                    issue_name = "issue unknown" if issue == _UNKNOWN else f"{_AGREE[issue]} issue"  # type: ignore[index]
                    pages_name = ", pages unknown" if pages == _UNKNOWN else f", {_PAGES[pages]}"
                found.append(
                    (f"{_AGREE[volume]} volume, {issue_name}{pages_name}", (volume, issue, pages))
                )
    return tuple(found)


_PARTIAL_PLACE_LEVELS = _partial_place_levels()


def _place_factors(key: tuple[bool | None, bool | None, int]) -> tuple[int, int, int]:
    volume, issue, pages = key
    return ((True, False, None).index(volume), (True, False, None).index(issue), pages)


_AUTHORS = ("authors 0.95", "authors 0.8", "authors 0.5", "other authors", "no authors")
_YEARS = ("same year", "1 year apart", "other year", "no year")
_JOURNALS = ("same journal", "other journal", "no journal")


def _byline_levels() -> tuple[tuple[str, tuple[int, int, int]], ...]:
    levels = []
    for authors, authors_name in enumerate(_AUTHORS):
        for year, year_name in enumerate(_YEARS):
            for journal, journal_name in enumerate(_JOURNALS):
                if (authors, year, journal) != (4, 3, 2):
                    levels.append(
                        (f"{authors_name}, {year_name}, {journal_name}", (authors, year, journal))
                    )
    return tuple(levels)


_BYLINE_LEVELS = _byline_levels()
_BYLINE = {key: i for i, (_, key) in enumerate(_BYLINE_LEVELS)}
_PLACE = {key: i for i, (_, key) in enumerate(_PLACE_LEVELS)}


def _place_parts(key: tuple[bool | None, bool | int | None, int]) -> tuple[int, ...]:
    volume, issue, pages = key
    issues = (True, False, None) if issue == _UNKNOWN else (issue,)
    pages_ = range(len(_PAGES)) if pages == _UNKNOWN else (pages,)
    return tuple(
        _PLACE[(volume, i, p)]  # type: ignore[index]
        for i in issues
        for p in pages_
        if (volume, i, p) in _PLACE
    )


_PARTIAL_PLACE = {key: len(_PLACE_LEVELS) + k for k, (_, key) in enumerate(_PARTIAL_PLACE_LEVELS)}


COMPARISONS: tuple[Comparison, ...] = (
    # A title that many records share ("Editorial", a recurring column) says
    # less when it agrees than one that only a paper's copies share.
    Comparison("title", ("exact", "exact, common", "0.97", "0.9", "0.8", "0.7", "lower")),
    Comparison("title numbers", ("same", "digits lost", "only one has", "differ")),
    # Authors, year and journal are one comparison for the same reason: a
    # group's papers in one journal and year agree on all three.
    Comparison(
        "byline",
        tuple(name for name, _ in _BYLINE_LEVELS),
        tuple(key for _, key in _BYLINE_LEVELS),
    ),
    # Volume, issue and pages are one comparison because they are not
    # independent: companion papers share volume and issue and differ in pages.
    Comparison(
        "place",
        tuple(name for name, _ in _PLACE_LEVELS),
        tuple(_place_factors(key) for _, key in _PLACE_LEVELS),
        tuple((name, _place_parts(key)) for name, key in _PARTIAL_PLACE_LEVELS),
    ),
    Comparison("doi", ("same", "one slip", "differ")),
    # "contained": one abstract's opening is found inside the other (a database
    # that keeps only one section, or puts the conclusions first).
    Comparison("abstract", ("0.9", "contained", "0.7", "lower")),
    # A PMID (or PMCID) is given to one paper: one in 100,000 different papers
    # sharing one allows for a database's slip, and a record that gives only
    # the PMID (a link to its PubMed page) is then still that record.
    Comparison("pmid/pmcid", ("same", "differ"), u_known=(1e-5, 1 - 1e-5)),
)


def pattern(
    a: Prepared,
    b: Prepared,
    common_titles: Collection[str] = (),
    columns: Collection[str] = (),
) -> Pattern:
    """The level of each comparison in `COMPARISONS` for one pair (None: a field is missing).

    `columns`: titles of a journal's recurring column (`_recurring_columns`); such a
    title names no paper, so agreeing on it counts as nothing, like a missing
    title; nor, when either record has no issue, does the volume that all the
    column's instances of a year share.
    """
    column = a.title_key == b.title_key and a.title_key in columns
    title = _title_similarity(a, b) if a.title and b.title and not column else None
    if title is None:
        numbers = None
    elif a.numbers == b.numbers:
        numbers = 0
    elif _truncation_explains(a, b) or _digits_lost(a, b) or _greek_lost(a, b):
        numbers = 1
    elif not a.numbers or not b.numbers:
        numbers = 2
    else:
        numbers = 3
    if title is None:
        title_level = None
    elif a.title_key == b.title_key:
        title_level = 1 if a.title_key in common_titles else 0
    else:
        title_level = 2 + _level(title, (0.97, 0.9, 0.8, 0.7))
    authors = _authors_similarity(a, b)
    year = None if a.year is None or b.year is None else min(abs(a.year - b.year), 2)
    journal = _journals(a, b)
    # Every instance of a column in one volume shares that volume: without an
    # issue to tell them apart, agreeing on it says nothing; the pages may.
    volume = None if column and not (a.issue and b.issue) else _volumes_agree(a, b)
    issue = _issues_agree(a.issue, b.issue)
    if issue is None and _supplement_as_issue(a, b):
        issue = True
    pages = _pages(a, b)
    if pages and (a.last_page or a.first_page) == (b.last_page or b.first_page):
        page_level = 0 if a.last_page and b.last_page else 1
    else:
        page_level = len(_PAGES) - 1 if pages is None else (2 if pages else 3)
    unknown = a.unknown | b.unknown
    key = (
        volume,
        _UNKNOWN if "issue" in unknown else issue,
        _UNKNOWN if "pages" in unknown else page_level,
    )
    place = _PARTIAL_PLACE.get(key) if unknown else _PLACE.get(key)  # type: ignore[arg-type]
    if a.pmid and b.pmid:
        ids: int | None = 0 if a.pmid == b.pmid else 1
    elif a.pmcid and b.pmcid:
        ids = 0 if a.pmcid == b.pmcid else 1
    else:
        ids = None
    return (
        title_level,
        numbers,
        _BYLINE.get(
            (
                4 if authors is None else _level(authors, (0.95, 0.8, 0.5)),
                3 if year is None else year,
                2 if journal is None else (0 if journal else 1),
            )
        ),
        place,
        _doi_level(a.doi, b.doi),
        _abstract_level(a, b),
        ids,
    )


_OPENING = 60  # characters of an abstract's opening looked for inside the other


def _abstract_level(a: Prepared, b: Prepared) -> int | None:
    if not a.abstract or not b.abstract:
        return None
    similarity = _similarity(a.abstract, b.abstract)
    if similarity >= 0.9:
        return 0
    for x, y in ((a, b), (b, a)):
        if len(x.abstract) >= _OPENING and x.abstract[:_OPENING] in y.abstract_text:
            return 1
    return 2 if similarity >= 0.7 else 3


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    rule: str
    score: float = 0.0  # the match probability
    detail: str = ""  # each field's level and weight
    # Records that may not end up in one cluster, even through a third record:
    # different PMIDs, or a notice and an article.
    conflict: bool = False


_TITLES_DIFFER = COMPARISONS[0].levels.index("lower")
_TITLES_CLOSE = COMPARISONS[0].levels.index("0.97")
_ELSEWHERE = frozenset(
    level
    for level in range(len(COMPARISONS[3].levels) + len(COMPARISONS[3].partial))
    if any(part in COMPARISONS[3].level_name(level) for part in ("other issue", "other pages"))
)


def _capped(levels: Pattern) -> str:
    """Why a pair with these levels goes to a person however high it scores, or ""."""
    if not levels:
        return ""
    if levels[0] == _TITLES_DIFFER:
        # A title names the paper. Two records with other titles that agree on
        # all else are a translation, a database's slip, or a series of papers
        # by one author with one stock abstract: only a person can tell.
        return "the titles differ"
    title, place = levels[0], levels[3]
    if title is not None and title > _TITLES_CLOSE and place in _ELSEWHERE:
        # "... I. Social interactions" and "... II. The elevated plus-maze": the
        # parts of a series, by the same authors in one issue, on other pages.
        return "titles alike but not the same, printed elsewhere"
    return ""


def _cap(a: Prepared, b: Prepared, levels: Pattern = ()) -> str:
    """Why a pair the weights call a duplicate must still go to a person, or ""."""
    if _capped(levels):
        return _capped(levels)
    if (not a.title or not b.title) and not _same_pubmed_record(a, b):
        # The title names the paper. Without it (a spreadsheet's "#NAME?" in its
        # place) two papers of one group on one page range, a letter and its
        # reply, cannot be told apart: a person looks, unless a PMID names it.
        return "a record without a title"
    if a.kind != b.kind and not _same_issue_of_a_journal(a, b):
        # A meeting abstract and its later article, a thesis and its summary:
        # one study, but whether they count as one record differs between
        # reviews, so a person decides. The same abstract that one database
        # files under the meeting and another under the journal issue that
        # printed it is one record.
        return f"{_A[a.kind]} and {_A[b.kind]}"
    if a.doi and b.doi and a.doi != b.doi and _versions(a.doi, b.doi):
        return "two versions of one work (DOIs differ only in the version)"
    return ""


def _same_pubmed_record(a: Prepared, b: Prepared) -> bool:
    return bool((a.pmid and a.pmid == b.pmid) or (a.pmcid and a.pmcid == b.pmcid))


_A = {
    "article": "an article",
    "meeting abstract": "a meeting abstract",
    "whole work": "a whole work",
}


def _same_issue_of_a_journal(a: Prepared, b: Prepared) -> bool:
    if a.doi and a.doi == b.doi:
        return True
    if _same_pages_of_a_volume(a, b):
        # One printed item, whatever each database calls where it was printed
        # (a proceedings paper filed under the book series and under the meeting).
        return True
    # Neither record giving a volume (an abstract book filed under the journal)
    # is no evidence of another issue.
    return bool(
        a.year is not None
        and a.year == b.year
        and (_volumes_agree(a, b) or (not a.volume and not b.volume))
        and _journals(a, b) is not False
    )


def _same_pages_of_a_volume(a: Prepared, b: Prepared) -> bool:
    """Both records give one year, one volume and one range of pages (not a single page)."""
    return bool(
        a.year is not None
        and a.year == b.year
        and a.volume
        and _volumes_agree(a, b)
        and a.last_page
        and a.last_page != a.first_page
        and (a.first_page, a.last_page) == (b.first_page, b.last_page)
    )


_VERSION = re.compile(r"(?:\.pub\d+|[.-]?v\d+)$")


def _versions(a: str, b: str) -> bool:
    return _VERSION.sub("", a) == _VERSION.sub("", b)


def compare(a: Prepared, b: Prepared, model: Model | None = None) -> Verdict:
    """Whether two records are one paper, with the weight of every field."""
    if a.notice != b.notice:
        return Verdict("distinct", "notice vs article", conflict=True)
    if a.pmid and b.pmid and a.pmid != b.pmid:
        return Verdict("distinct", "different PMIDs", conflict=True)
    model = model or default_model()
    return _verdict(a, b, model, model.score(pattern(a, b)))


def _verdict(a: Prepared, b: Prepared, model: Model, scored: Scored) -> Verdict:
    probability = scored.probability
    if probability >= model.duplicate_at:
        cap = _cap(a, b, scored.pattern)
        if cap:
            return Verdict("undecided", cap, probability, model.describe(scored))
        return Verdict("duplicate", "weights", probability, model.describe(scored))
    if probability >= model.person_at:
        return Verdict(
            "undecided", "weights between the thresholds", probability, model.describe(scored)
        )
    return Verdict("distinct", "weights", probability)


def _similarity(a: str, b: str) -> float:
    return Indel.normalized_similarity(a, b) if a and b else 0.0


def _authors_similarity(a: Prepared, b: Prepared) -> float | None:
    """Similarity of the family names over the shorter list (lists get cut at "et al.").

    In order, or as sets when a database reordered them, or one record's
    family names against the other's given names when a database swapped them.
    """
    if not a.authors or not b.authors:
        return None
    score = _family_similarity(a.authors, b.authors)
    for families, given in ((a.authors, b.given_names), (b.authors, a.given_names)):
        if score < 0.8 and len(given) == len(families):
            score = max(score, _similarity(" ".join(families[:8]), " ".join(given[:8])))
    return score


def _family_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    n = min(len(a), len(b), 8)
    in_order = _similarity(" ".join(a[:n]), " ".join(b[:n]))
    if in_order >= 0.9:
        return in_order
    short, other = (a, b) if len(a) <= len(b) else (b, a)
    shared = len(set(short[:8]) & set(other))
    return max(in_order, shared / len(set(short[:8])))


def _same(a: str, b: str) -> bool | None:
    """True/False when both are known, None when either is missing."""
    return None if not a or not b else a == b


_PAGE_NUMBER = re.compile(r"^[a-z]{0,3}(\d+)[a-z]?$")
_E_LOCATOR = re.compile(r"^[a-z]{2,}\d+$")


def _pages_agree(a: str, b: str) -> bool | None:
    """First pages "S12" and "12", "II387" and "387", "100A" and "100" agree.

    A letter before or after the number marks a supplement, a part or an
    e-locator, which databases keep or drop; the number itself must agree.
    An article number with a longer prefix ("ec201") and a page are unknown.
    """
    if not a or not b:
        return None
    if a == b:
        return True
    number_a, number_b = _PAGE_NUMBER.match(a), _PAGE_NUMBER.match(b)
    if number_a and number_b and number_a.group(1) == number_b.group(1):
        return True
    # An article number ("ec201", "RRN1281") in one record and the printed
    # page in the other say nothing about each other.
    if bool(_E_LOCATOR.match(a)) != bool(_E_LOCATOR.match(b)) and (a.isdigit() or b.isdigit()):
        return None
    return False


def _page_within(single: Prepared, ranged: Prepared) -> bool:
    """A record that gives one page ("488") inside the other's range ("487-488").

    Databases cite a one- or two-page item by its first page, its last page
    or its page range; the page then says nothing against the other record.
    """
    if single.last_page not in ("", single.first_page) or not ranged.last_page:
        return False
    page, first, last = single.first_page, ranged.first_page, ranged.last_page
    if not (page.isdigit() and first.isdigit() and last.isdigit()):
        return False
    return int(first) <= int(page) <= int(last)


def _pages(a: Prepared, b: Prepared) -> bool | None:
    """First pages agree, differ, or say nothing (None)."""
    agree = _pages_agree(a.first_page, b.first_page)
    if agree is False and (_page_within(a, b) or _page_within(b, a)):
        return None
    return agree


def _volumes_agree(a: Prepared, b: Prepared) -> bool | None:
    """Volumes agree, differ, or say nothing (None).

    A volume that is its record's year ("2016" where the other says 94) or
    that is the other record's supplement number while its own issue is empty
    (Embase's "3" for volume 30, supplement 3) is a misplaced field, not
    another volume. Journals that number volumes by year still disagree on
    "2015" and "2016".
    """
    if not a.volume or not b.volume:
        return None
    if a.volume == b.volume:
        return True
    for x, y in ((a, b), (b, a)):
        year_as_volume = x.volume == str(x.year) and y.volume != str(y.year)
        if year_as_volume or (x.volume == y.supplement and not x.issue):
            return None
    return False


def _supplement_as_issue(a: Prepared, b: Prepared) -> bool:
    """One record names a supplement and no issue ("87 Suppl 3"), the other gives that
    number as the issue (volume 87, issue 3): databases file a supplement either way."""
    return any(
        x.supplement and not x.issue and y.issue == x.supplement and not y.supplement
        for x, y in ((a, b), (b, a))
    )


def _issues_agree(a: str, b: str) -> bool | None:
    """Issues "1-2" (a double issue) and "2" agree; "3" and "4" do not."""
    if not a or not b:
        return None
    return a == b or bool(set(a.split("-")) & set(b.split("-")))


def _journals(a: Prepared, b: Prepared) -> bool | None:
    """One journal when the records share an ISSN (its name in pinyin and in English,
    say), else as their names say. A database that gave a second journal the first
    one's ISSN is caught by the volume: one journal's duplicates share it."""
    if a.issns & b.issns and _volumes_agree(a, b) is not False:
        return True
    return _journal_same(a.journal, b.journal)


def _journal_same(a: str, b: str) -> bool | None:
    if not a or not b:
        return None
    return (
        normalise.journals_match(a, b) or _similarity(a, b) >= 0.9 or normalise.meetings_match(a, b)
    )


def _translation_verdict(a: Prepared, b: Prepared, model: Model, levels: Pattern) -> Verdict | None:
    """A title and its translation whose other fields would make them one paper go to a
    person: the wording of two translations says nothing, and whether an original and
    its translation count as one record differs between reviews (and labelled sets)."""
    if levels[0] is None or COMPARISONS[0].levels[levels[0]] not in ("0.8", "0.7", "lower"):
        return None
    scored = model.score((None, None, *levels[2:]))
    if scored.probability < model.person_at:
        return None
    return Verdict(
        "undecided", "a title and its translation", scored.probability, model.describe(scored)
    )


def _translated(a: Prepared, b: Prepared) -> bool:
    """One title is a database's translation and the other is not, or the two are in
    different languages: a title and its translation, or two translations."""
    if a.translation != b.translation:
        return True
    return bool(a.language and b.language and a.language != b.language)


def _title_similarity(a: Prepared, b: Prepared) -> float:
    """Ratio of the normalised titles; a title cut short counts as its full form.

    A title that is the other without its subtitle (one database dropped what
    follows the colon) or without a series name before it scores 0.9: close
    enough with an identifier, not alone.
    """
    score = _similarity(a.title, b.title)
    if a.original and b.original and score < 0.9:
        score = max(score, _similarity(a.original, b.original))
    if (a.translated or b.translated) and score < 0.9:
        # One database gives "Original [Translation]", another one of the two.
        for x, y in ((a.translated, b.title), (a.title, b.translated)):
            for part in (x[: len(y)], x[-len(y) :]) if x and y else ():
                score = max(score, _similarity(part, y))
    short, full = sorted((a.title, b.title), key=len)
    if score < 0.97 and len(short) >= 50 and full.startswith(short):
        return 0.97
    if score < 0.97 and _greek_lost(a, b):
        return 0.97
    if score < 0.9 and _cut_short(a, b):
        return 0.9
    if score < 0.9 and len(short) >= 30 and full.endswith(" " + short):
        return 0.9  # a series name put before it: "Case records of the MGH. Case 17-2012 ..."
    return score


def _cut_short(a: Prepared, b: Prepared) -> bool:
    """One title is the start of the other: a database cut it (after 25 characters or
    more, or at a character it could not keep: "Reduced 5-" for "Reduced 5-HT1A ...")."""
    short, full = sorted((a, b), key=lambda p: len(p.title))
    if not short.title or not full.title.startswith(short.title + " "):
        return False
    return len(short.title) >= 25 or (short.cut and len(short.title) >= 5)


def _truncation_explains(a: Prepared, b: Prepared) -> bool:
    """One title is the other cut short, and the numbers differ only in the cut part."""
    short, full = sorted((a, b), key=lambda p: len(p.title))
    if not (
        (len(short.title) >= 50 and full.title.startswith(short.title[:-3])) or _cut_short(a, b)
    ):
        return False
    return normalise.title_numbers(full.title[: len(short.title)]) == short.numbers


_DIGITS = re.compile(r"\d")


def _digits_lost(a: Prepared, b: Prepared) -> bool:
    """The numbers of one title are the other's with some left out, and nothing else
    differs: a subscript or a superscript a database dropped ("CB1" and "CB", "alpha
    2-adrenergic" and "alpha-adrenergic")."""
    if not _dropped_digits(a.numbers, b.numbers):
        return False
    if a.numbers and b.numbers:
        return True
    return _DIGITS.sub("", a.title_key) == _DIGITS.sub("", b.title_key)


# A Greek letter's name as a word of a normalised title, with what followed it
# ("delta1" for "δ1-", "kappa" for "κ-opioid").
_GREEK_WORD = re.compile(rf"^(?:{'|'.join(sorted(set(normalise.GREEK.values())))})(\d*)[a-z]?$")


def _greek_lost(a: Prepared, b: Prepared) -> bool:
    """One title is the other with Greek letters left out, and with them the digits
    that followed them: a database that could not store "δ1- but not κ-opioid" wrote
    "but not -opioid" (or "1- but not -opioid"). Only words are left out, so "alpha2"
    and "beta2" still differ."""
    short, full = sorted((a.title.split(), b.title.split()), key=len)
    if not short or len(short) == len(full):
        return False
    i = 0
    for word in full:
        if i < len(short) and word == short[i]:
            i += 1
            continue
        greek = _GREEK_WORD.match(word)
        if not greek:
            return False
        if i < len(short) and greek.group(1) and short[i] == greek.group(1):
            i += 1  # the letter lost, its digits kept
    return i == len(short)


def _same_author_order(a: Prepared, b: Prepared) -> bool:
    """The same first author and the others in the same order; one may be added or left out.

    Versions of a conference abstract gain or lose a co-author; a group's two
    abstracts name another presenting author first or shuffle the list.
    """
    n = min(len(a.authors), len(b.authors), 8)
    if n == 0:
        return False
    if _similarity(" ".join(a.authors[:n]), " ".join(b.authors[:n])) >= 0.95:
        return True
    longest = max(len(a.authors), len(b.authors))
    return (
        n >= 3
        and a.authors[0] == b.authors[0]
        and _common_in_order(a.authors, b.authors) >= longest - 1
    )


def _common_in_order(a: Sequence[str], b: Sequence[str]) -> int:
    """How many names the two lists share in the same order (their longest common subsequence)."""
    return (len(a) + len(b) - Indel.distance(a, b)) // 2


def _dropped_digits(a: str, b: str) -> bool:
    """The digits of one title are the other's with some left out (lost subscripts)."""
    short, full = sorted((a, b), key=len)
    return normalise.is_subsequence(short, full)


# --------------------------------------------------------------------------- blocking

MAX_BLOCK = 200  # a bigger block is a generic key ("editorial"); comparing it all is waste


def blocking_keys(p: Prepared) -> Iterable[str]:
    if p.doi:
        yield "doi:" + p.doi
    if p.pmid:
        yield "pmid:" + p.pmid
    if len(p.title_key) >= 12:
        yield "t<" + p.title_key[:24]
        yield "t>" + p.title_key[-24:]
    if p.about:
        yield "t<" + p.about.replace(" ", "")[:24]
    if p.authors and p.first_page:
        yield f"ap:{p.authors[0]}:{p.first_page}"
    if p.volume and p.first_page:
        yield f"vp:{p.volume}:{p.first_page}"
    if len(p.abstract) >= 100:
        yield "ab:" + p.abstract[:80]


def candidate_pairs(prepared: Sequence[Prepared]) -> set[tuple[int, int]]:
    blocks: dict[str, list[int]] = defaultdict(list)
    for p in prepared:
        for key in blocking_keys(p):
            blocks[key].append(p.position)
    pairs: set[tuple[int, int]] = set()
    for members in blocks.values():
        if 1 < len(members) <= MAX_BLOCK:
            for i, first in enumerate(members):
                for second in members[i + 1 :]:
                    if first != second:
                        pairs.add((first, second) if first < second else (second, first))
    return pairs


# --------------------------------------------------------------------------- clustering


class _Clusters:
    """Union-find that refuses unions joining records that must stay apart."""

    def __init__(self, size: int, cannot: Mapping[int, set[int]]) -> None:
        self.parent = list(range(size))
        self.members: dict[int, list[int]] = {i: [i] for i in range(size)}
        self.cannot = {i: set(others) for i, others in cannot.items()}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> bool:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return True
        if len(self.members[root_a]) < len(self.members[root_b]):
            root_a, root_b = root_b, root_a
        blocked_a = self.cannot.get(root_a, set())
        blocked_b = self.cannot.get(root_b, set())
        if any(m in blocked_a for m in self.members[root_b]) or any(
            m in blocked_b for m in self.members[root_a]
        ):
            return False
        self.parent[root_b] = root_a
        self.members[root_a] += self.members.pop(root_b)
        if blocked_b:
            self.cannot[root_a] = blocked_a | self.cannot.pop(root_b)
        return True


def _cannot_links(rejected: Iterable[tuple[int, int]]) -> dict[int, set[int]]:
    cannot: dict[int, set[int]] = defaultdict(set)
    for a, b in rejected:
        cannot[a].add(b)
        cannot[b].add(a)
    return cannot


# --------------------------------------------------------------------------- canonical

_FILLABLE = tuple(
    f.name
    for f in fields(Record)
    if f.name not in {"id", "source", "entry_type", "is_book", "extra", "relations"}
)


def completeness(record: Record) -> int:
    return sum(1 for name in _FILLABLE if getattr(record, name) not in ("", (), None))


_RETRACTED_TYPE = "Retracted Publication"


def _canonical(cluster: Sequence[Record], *, retracted: bool = False) -> Record:
    """The most complete record, its gaps filled from the others (most complete first).

    A cluster with a retraction notice or a RETRACTED copy linked to it, or
    one PubMed marks retracted, is a Retracted Publication whichever record
    represents it, so that screening's retraction rule sees it.
    """
    if len(cluster) == 1 and not retracted:
        return cluster[0]
    ranked = sorted(cluster, key=completeness, reverse=True)
    best = ranked[0]
    filled: dict[str, object] = {}
    for name in _FILLABLE:
        if getattr(best, name) in ("", (), None):
            for other in ranked[1:]:
                value = getattr(other, name)
                if value not in ("", (), None):
                    filled[name] = value
                    break
    types = [t for r in ranked for t in r.publication_types if t.lower() == "retracted publication"]
    if (retracted or types) and not any(
        t.lower() == "retracted publication" for t in best.publication_types
    ):
        filled["publication_types"] = (*best.publication_types, _RETRACTED_TYPE)
    return replace(best, **filled) if filled else best  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the stage


def _pair_key(a: str, b: str) -> frozenset[str]:
    return frozenset((a, b))


def deduplicate(
    records: Sequence[Record],
    *,
    pair_decisions: Mapping[frozenset[str], bool] | None = None,
    reviewers: Mapping[frozenset[str], str] | None = None,
    model: Model | None = None,
) -> DedupResult:
    """Link duplicates to a canonical record; list notices as related and doubtful pairs.

    `pair_decisions` holds a person's decisions on pairs of record IDs: True
    merges them whatever the weights say, False keeps them apart even when the
    weights (directly or through other records) would merge them. `reviewers`
    names who decided, for the links' `by`. `model` gives the prior weights
    (by default those learned on the shared sets); they are fitted to these
    records' own candidate pairs before any pair is scored.
    """
    decisions = pair_decisions or {}
    names = reviewers or {}
    prepared, ignored, common, columns = _prepare_all(records)
    position = {record.id: i for i, record in enumerate(records)}

    edges: list[tuple[float, int, int, Verdict, str]] = []
    undecided: list[CandidatePair] = []
    for pair, accepted in decisions.items():
        ids = sorted(pair)
        if accepted and len(ids) == 2 and all(i in position for i in ids):
            by = names.get(pair, "person")
            verdict = Verdict("duplicate", "accepted by a person", 1.0)
            edges.append((-2.0, position[ids[0]], position[ids[1]], verdict, by))
    rejected = [
        (position[a], position[b])
        for pair, accepted in decisions.items()
        if not accepted and len(pair) == 2
        for a, b in [sorted(pair)]
        if a in position and b in position
    ]

    comparable: list[tuple[int, int, Pattern]] = []
    related: dict[tuple[int, int], str] = {}
    for i, j in sorted(candidate_pairs(prepared)):
        a, b = prepared[i], prepared[j]
        reply = _reply_to(a, b) or _reply_to(b, a)
        if reply:
            rejected.append((i, j))
            related[reply] = "reply"
        elif a.notice != b.notice:
            rejected.append((i, j))
            found = _notice_about(a, b) or _notice_about(b, a)
            if found:
                related[found] = (a if found[0] == i else b).notice
        elif a.pmid and b.pmid and a.pmid != b.pmid:
            rejected.append((i, j))
        else:
            comparable.append((i, j, pattern(a, b, common, columns)))

    fitted = fit(model or default_model(), count_patterns(p for _, _, p in comparable))
    scores: dict[Pattern, Scored] = {}
    for i, j, pair_pattern in comparable:
        a, b = prepared[i], prepared[j]
        if _pair_key(a.id, b.id) in decisions:
            continue
        scored = scores.get(pair_pattern)
        if scored is None:
            scored = scores[pair_pattern] = fitted.score(pair_pattern)
        verdict = _verdict(a, b, fitted, scored)
        if verdict.outcome == "distinct" and _translated(a, b):
            verdict = _translation_verdict(a, b, fitted, pair_pattern) or verdict
        if verdict.outcome == "duplicate":
            edges.append((-verdict.score, i, j, verdict, "rules"))
        elif verdict.outcome == "undecided":
            undecided.append(
                CandidatePair(
                    a.id, b.id, round(verdict.score, 4), verdict.rule + "; " + verdict.detail
                )
            )

    clusters = _Clusters(len(records), _cannot_links(rejected))
    pmid_of = {p.position: p.pmid for p in prepared if p.pmid}
    joined_by: dict[int, tuple[int, Verdict, str]] = {}
    for _, i, j, verdict, by in sorted(edges, key=lambda e: e[:3]):
        root_i, root_j = clusters.find(i), clusters.find(j)
        if root_i == root_j:
            continue
        pmids_i = {pmid_of[m] for m in clusters.members[root_i] if m in pmid_of}
        pmids_j = {pmid_of[m] for m in clusters.members[root_j] if m in pmid_of}
        if pmids_i and pmids_j and pmids_i != pmids_j and by == "rules":
            continue
        if clusters.union(i, j):
            joined_by.setdefault(j, (i, verdict, by))
            joined_by.setdefault(i, (j, verdict, by))

    related_links = _related(prepared, records, related)
    retracted = {link.related_id for link in related_links if link.kind == "retraction"}
    canonical: list[Record] = []
    links: list[DuplicateLink] = []
    for members in sorted(clusters.members.values(), key=min):
        cluster = [records[m] for m in sorted(members)]
        best = _canonical(cluster, retracted=any(r.id in retracted for r in cluster))
        canonical.append(best)
        for m in sorted(members):
            if records[m].id == best.id:
                continue
            other, verdict, by = joined_by[m]
            detail = f"via {records[other].id}: {verdict.detail}".strip()
            links.append(
                DuplicateLink(
                    records[m].id, best.id, verdict.rule, round(verdict.score, 6), detail, by
                )
            )

    return DedupResult(
        records=tuple(records),
        canonical=tuple(canonical),
        links=tuple(links),
        related=tuple(related_links),
        undecided=tuple(undecided),
        ignored=ignored,
        model=fitted,
    )


def _prepare_all(
    records: Sequence[Record],
) -> tuple[list[Prepared], tuple[IgnoredField, ...], set[str], set[str]]:
    """Every record prepared, its file's unreliable columns left out; the common titles
    and the titles of recurring columns and of journal sections."""
    ignored = unreliable_fields(records)
    ignore_in: dict[str, set[str]] = defaultdict(set)
    for item in ignored:
        ignore_in[item.file].add(item.field)
    prepared = [
        prepare(record, i, ignore_in.get(record.source.file, ()))
        for i, record in enumerate(records)
    ]
    counts = Counter(p.title_key for p in prepared if p.title_key)
    years: dict[str, set[int]] = defaultdict(set)
    for p in prepared:
        if p.year is not None and counts[p.title_key] > 2:
            years[p.title_key].add(p.year)
    common = {
        key
        for key, n in counts.items()
        if n >= COMMON_TITLE or len(years.get(key, ())) >= RECURRING_YEARS
    }
    # A section's name as title ("Editorial Notes") is a column whether or not the
    # file is large enough to show it recurring: a small export may hold two
    # issues' "Editor's Comments" by one editor, which agree on all but the issue.
    sections = {p.title_key for p in prepared if normalise.is_section_title(p.title)}
    return prepared, ignored, common, _recurring_columns(prepared, counts) | sections


COLUMN_ISSUES = 3


def _recurring_columns(prepared: Sequence[Prepared], counts: Mapping[str, int]) -> set[str]:
    """Titles of a journal's recurring column ("Editor's Comments" in issues 1 to 4).

    A title printed in COLUMN_ISSUES or more issues of one journal volume is a
    column, not one paper's copies, which carry one issue each. Where the
    issue is not known (no issue given, or an issue column that cannot be
    trusted, see `unreliable_fields`), a title on COLUMN_ISSUES or more records
    of one volume that recurs, on two or more records, in a volume of another
    year is one too: a paper's copies give one year (or two, for the online
    and the printed version, within one volume or two of the same year).
    """
    issues: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    unnumbered: dict[tuple[str, str, str], list[Prepared]] = defaultdict(list)
    for p in prepared:
        if counts[p.title_key] < COLUMN_ISSUES:
            continue
        if p.issue:
            issues[(p.title_key, p.journal, p.volume)].add(p.issue)
        elif p.journal and p.volume:
            unnumbered[(p.title_key, p.journal, p.volume)].append(p)
    found = {key for (key, _, _), seen in issues.items() if len(seen) >= COLUMN_ISSUES}
    volumes: dict[tuple[str, str], list[list[Prepared]]] = defaultdict(list)
    for (key, journal, _), group in unnumbered.items():
        volumes[(key, journal)].append(group)
    for (key, _), groups in volumes.items():
        for group in groups:
            if len(group) < COLUMN_ISSUES:
                continue
            years = {p.year for p in group}
            if any(len(other) >= 2 and not years & {p.year for p in other} for other in groups):
                found.add(key)
    return found


_PAGE_KEYS = ("ap:", "vp:")


def candidate_patterns(records: Sequence[Record]) -> list[tuple[str, str, Pattern, str, bool]]:
    """(first ID, second ID, levels, cap, by pages) for every pair the weights would score,
    for learning them; cap says why the pair goes to a person however high it scores, or
    ""; by pages, that only a blocking key with the first page made it a candidate."""
    prepared, _, common, columns = _prepare_all(records)
    keys = [set(blocking_keys(p)) for p in prepared]
    found = []
    for i, j in sorted(candidate_pairs(prepared)):
        a, b = prepared[i], prepared[j]
        if (
            a.notice == b.notice
            and not (a.pmid and b.pmid and a.pmid != b.pmid)
            and not (_reply_to(a, b) or _reply_to(b, a))
        ):
            levels = pattern(a, b, common, columns)
            by_pages = all(key.startswith(_PAGE_KEYS) for key in keys[i] & keys[j])
            found.append((a.id, b.id, levels, _cap(a, b, levels), by_pages))
    return found


_REPLY_WORDS = (" response", " reply", " replies", " rejoinder", " authors reply")


def _reply_to(reply: Prepared, article: Prepared) -> tuple[int, int] | None:
    """(reply, article) when one title is the other's with "Response" or "Reply" added
    and no separator ("Acknowledge Crowdworkers in Crowdwork Research Response"): the
    authors' reply that a journal prints under the article's title. Kept apart, linked."""
    extra = reply.title[len(article.title) :]
    if len(article.title) >= 20 and reply.title.startswith(article.title) and extra in _REPLY_WORDS:
        return reply.position, article.position
    return None


def _notice_about(notice: Prepared, article: Prepared) -> tuple[int, int] | None:
    """(notice, article) when the notice names the article by title, or is its RETRACTED copy."""
    if not notice.notice or article.notice:
        return None
    if notice.notice == "retracted copy":
        same_doi = bool(notice.doi and notice.doi == article.doi)
        if same_doi or (notice.title and _title_similarity(notice, article) >= 0.97):
            return notice.position, article.position
        return None
    if not notice.about or not article.title:
        return None
    about, title = notice.about, article.title
    close = _similarity(about, title) >= 0.95 or (
        len(title) >= 30 and (about.startswith(title) or title.startswith(about))
    )
    return (notice.position, article.position) if close else None


_RELATION_KINDS = {
    "ErratumIn": "erratum",
    "ErratumFor": "erratum",
    "RetractionIn": "retraction",
    "RetractionOf": "retraction",
    "ExpressionOfConcernIn": "expression of concern",
    "ExpressionOfConcernFor": "expression of concern",
    "CommentIn": "comment",
    "CommentOn": "comment",
    "UpdateIn": "update",
    "UpdateOf": "update",
}
# The kind of link from a notice's own kind; a RETRACTED copy is the retraction's mark.
_NOTICE_LINK = {"retracted copy": "retraction", "reply": "comment"}


def _related(
    prepared: Sequence[Prepared],
    records: Sequence[Record],
    by_title: Mapping[tuple[int, int], str],
) -> list[RelatedLink]:
    """Notices linked to the article they are about: by title or DOI, and by PubMed's relations."""
    by_pmid: dict[str, int] = {}
    for p in prepared:
        if p.pmid:
            by_pmid.setdefault(p.pmid, p.position)
    found: dict[tuple[str, str], str] = {}
    for (notice, article), notice_kind in sorted(by_title.items()):
        found[(records[notice].id, records[article].id)] = _NOTICE_LINK.get(
            notice_kind, notice_kind
        )
    for p in prepared:
        for relation in records[p.position].relations:
            target = by_pmid.get(relation.pmid)
            kind = _RELATION_KINDS.get(relation.kind)
            if target is not None and kind and target != p.position:
                # "RetractionOf" points from the notice to the article; "RetractionIn"
                # from the article to its notice: the notice comes first either way.
                pair = (
                    (records[target].id, p.id)
                    if relation.kind.endswith("In")
                    else (p.id, records[target].id)
                )
                if pair not in found:
                    found[pair] = kind
    return [RelatedLink(a, b, kind) for (a, b), kind in found.items()]


def keep_latest_versions(
    records: Sequence[Record],
) -> tuple[tuple[Record, ...], tuple[ImportProblem, ...]]:
    """One record per PMID and file: the later one, as PubMed keeps the latest version.

    An NLM update file carries a PMID again when NLM revised the citation; the
    later entry replaces the earlier one. Each replaced entry is reported (as a
    problem naming the file and its position) so the user sees it happened.
    Records of other files with the same PMID are duplicates, for `deduplicate`.
    """
    last: dict[tuple[str, str], int] = {}
    for i, record in enumerate(records):
        if record.pmid and record.id == record.pmid:
            last[(record.source.file, record.pmid)] = i
    kept: list[Record] = []
    replaced: list[ImportProblem] = []
    for i, record in enumerate(records):
        key = (record.source.file, record.pmid)
        if record.pmid and record.id == record.pmid and last[key] != i:
            later = records[last[key]].source.position
            replaced.append(
                ImportProblem(
                    record.source.file,
                    record.source.position,
                    f"PMID {record.pmid} appears again as record {later} of this file, an "
                    "updated version: the later one is kept, as PubMed keeps the latest",
                    record.pmid,
                )
            )
        else:
            kept.append(record)
    return tuple(kept), tuple(replaced)


def explain_merged(result: DedupResult, record_id: str) -> str | None:
    """Why a record is not screened itself: which record it became part of, and the weights.

    None when the record was not merged away (it is screened, or unknown).
    """
    link = next((x for x in result.links if x.record_id == record_id), None)
    if link is None:
        return None
    titles = {r.id: r.title for r in result.records}
    members = [x.record_id for x in result.links if x.canonical_id == link.canonical_id]
    lines = [
        f"{record_id}: {titles.get(record_id) or '(no title)'}",
        f"Merged into {link.canonical_id} ({titles.get(link.canonical_id) or 'no title'}), "
        f"screened as one record with {len(members)} "
        f"{'duplicate' if len(members) == 1 else 'duplicates'}: " + ", ".join(sorted(members)),
    ]
    if link.by != "rules":
        lines.append(f"Why: {link.rule} ({link.by})")
    else:
        lines.append(f"Why: match probability {link.score:.6f}; {link.detail}")
    # Decisions follow the group (review.identity), whichever copy a reviewer was shown.
    lines.append(
        f"A decision on {link.canonical_id} or any of its copies counts for all of them; "
        "copies decided differently are a conflict for a person."
    )
    return "\n".join(lines)


# --------------------------------------------------------------------------- files
# The edges: reading a person's pair decisions and writing what deduplication
# found. `deduplicate` above stays pure; these only translate to and from CSV.

DECISION_COLUMNS = ("first_id", "second_id", "decision", "reviewer", "note")
UNDECIDED_COLUMNS = (*DECISION_COLUMNS, "score", "detail", "first_title", "second_title")
LOG_COLUMNS = ("record_id", "linked_id", "link", "rule", "score", "by", "detail")


@dataclass(frozen=True, slots=True)
class PairDecisions:
    """A person's accept/reject decisions on pairs of record IDs, from a CSV file."""

    decisions: Mapping[frozenset[str], bool]
    reviewers: Mapping[frozenset[str], str]


def read_pair_decisions(path: Path, known_ids: Collection[str] = ()) -> PairDecisions:
    """Read first_id, second_id, decision (accept|reject), reviewer, note; any bad line fails.

    A whole file is refused for one bad line because a silently skipped
    "reject" would let the rules merge what a person kept apart.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: is not UTF-8 text; save it as UTF-8 CSV") from None
    if not rows:
        raise InputError(f"{path}:1: empty; expected the header {','.join(DECISION_COLUMNS)}")
    header = [name.strip().lower() for name in rows[0]]
    missing = [name for name in DECISION_COLUMNS[:3] if name not in header]
    if missing:
        raise InputError(f"{path}:1: missing column(s) {', '.join(missing)}")
    column = {name: header.index(name) for name in DECISION_COLUMNS if name in header}
    decisions: dict[frozenset[str], bool] = {}
    reviewers: dict[frozenset[str], str] = {}
    known = set(known_ids)
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {name: row[i].strip() if i < len(row) else "" for name, i in column.items()}
        first, second, decision = cells["first_id"], cells["second_id"], cells["decision"].lower()
        where = f"{path}:{line}"
        if not decision:
            continue  # an undecided pair the person has not got to yet
        if decision not in {"accept", "reject"}:
            raise InputError(f"{where}: decision {decision!r} must be accept or reject")
        if not first or not second or first == second:
            raise InputError(f"{where}: needs two different record IDs in first_id and second_id")
        for record_id in (first, second):
            if known and record_id not in known:
                raise InputError(f"{where}: record {record_id!r} is not in the inputs")
        pair = frozenset((first, second))
        accepted = decision == "accept"
        if decisions.get(pair, accepted) != accepted:
            raise InputError(f"{where}: {first} and {second} were both accepted and rejected")
        decisions[pair] = accepted
        reviewers[pair] = cells.get("reviewer", "") or "person"
    return PairDecisions(decisions, reviewers)


def _merged_ids(result: DedupResult) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = defaultdict(list)
    for link in result.links:
        merged[link.canonical_id].append(link.record_id)
    return merged


def write_deduplicated(result: DedupResult, path: Path) -> int:
    """One row per surviving record: ID, merged_ids (';'-joined), then the usual fields."""
    merged = _merged_ids(result)
    rows = []
    for record in result.canonical:
        fields_ = row_of(record)
        fields_.pop("id")
        rows.append({"ID": record.id, "merged_ids": ";".join(merged.get(record.id, [])), **fields_})
    columns = [
        "ID",
        "merged_ids",
        *(name for name in row_of(Record("", Source(""))) if name != "id"),
    ]
    return _write_csv(path, columns, rows)


def write_undecided(result: DedupResult, path: Path) -> int:
    """The pairs for a person, in the pair-decisions format with `decision` left empty."""
    titles = {record.id: record.title for record in result.records}
    rows = [
        {
            "first_id": pair.first_id,
            "second_id": pair.second_id,
            "decision": "",
            "reviewer": "",
            "note": "",
            "score": f"{pair.score:.3f}",
            "detail": pair.detail,
            "first_title": titles.get(pair.first_id, ""),
            "second_title": titles.get(pair.second_id, ""),
        }
        for pair in result.undecided
    ]
    return _write_csv(path, list(UNDECIDED_COLUMNS), rows)


def write_log(result: DedupResult, path: Path) -> int:
    """Every duplicate link with the rule, score and fields that made it; related links too."""
    rows = [
        {
            "record_id": link.record_id,
            "linked_id": link.canonical_id,
            "link": "duplicate of",
            "rule": link.rule,
            "score": f"{link.score:.3f}",
            "by": link.by,
            "detail": link.detail,
        }
        for link in result.links
    ]
    rows += [
        {
            "record_id": related.record_id,
            "linked_id": related.related_id,
            "link": f"{related.kind} related to",
            "rule": "notice title names the article" if related.kind else "",
            "score": "",
            "by": "rules",
            "detail": "",
        }
        for related in result.related
    ]
    return _write_csv(path, list(LOG_COLUMNS), rows)


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> int:
    """Written to a temporary file beside `path`, then moved over it: an interrupted
    write (disk full, Ctrl-C) leaves the previous file whole, never half a table."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({name: neutralise(value) for name, value in row.items()})
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return len(rows)


@dataclass(frozen=True, slots=True)
class DedupRun:
    """What `dedup_files` read and wrote, for the command to report."""

    result: DedupResult
    problems: tuple[ImportProblem, ...]

    @property
    def summary(self) -> str:
        r = self.result
        ignored = "".join(
            f"; ignored the {f.field} column of {f.file} ({f.reason})" for f in r.ignored
        )
        return (
            f"{_counted(len(r.records), 'record')} -> {len(r.canonical)} after removing "
            f"{_counted(len(r.links), 'duplicate')}; "
            f"{_counted(len(r.related), 'related notice')} linked; "
            f"{_counted(len(r.undecided), 'pair')} left for a person to decide{ignored}"
        )


def _counted(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def dedup_files(
    inputs: Sequence[Path],
    output: Path,
    *,
    pair_decisions: Path | None = None,
    undecided: Path | None = None,
    log: Path | None = None,
    keep_going: bool = False,
) -> DedupRun:
    """Read every input, deduplicate them together and write OUT (and the optional files).

    An input that yields no record is an error, unless `keep_going`."""
    records: list[Record] = []
    problems: list[ImportProblem] = []
    for path in inputs:
        imported = read_records(path, keep_going=keep_going)
        latest, replaced = keep_latest_versions(imported.records)
        records += latest
        problems += imported.problems
        problems += replaced
    seen: dict[str, str] = {}
    for record in records:
        if record.id in seen:
            raise InputError(
                f"{record.source.file or record.id}: record ID {record.id!r} appears twice "
                f"(also in {seen[record.id]}); IDs must be unique across the inputs"
            )
        seen[record.id] = record.source.file
    decided = (
        read_pair_decisions(pair_decisions, seen.keys())
        if pair_decisions
        else PairDecisions({}, {})
    )
    result = deduplicate(records, pair_decisions=decided.decisions, reviewers=decided.reviewers)
    write_deduplicated(result, output)
    if undecided:
        write_undecided(result, undecided)
    if log:
        write_log(result, log)
    return DedupRun(result, tuple(problems))
