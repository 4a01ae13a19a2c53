"""Deduplication: exact identifiers, then fuzzy matching with blocking.

Duplicates are linked to a canonical record, never deleted, so every PRISMA
count can be re-derived from the links. Versions of a paper (preprint,
conference paper, article, corrected version) are duplicates; errata,
retraction notices, comments and replies are separate records, linked to
their article as related.

How a pair is decided (`compare`), in order:

1. Hard stops: a notice never merges with an article; two different PMIDs, or
   titles whose numbers differ ("Part I" vs "Part II") without the same DOI,
   volume and first page, are different papers.
2. Same PMID, PMCID or DOI: a duplicate when the titles agree and the place
   in the journal does not contradict it twice (a DOI is also shared by every
   abstract of a conference supplement, or mis-keyed), or when it does but
   title, authors and abstract all agree.
3. Same authors in order, journal, year, volume, issue and first page: a
   duplicate whatever the title (indexed under a translated title).
4. Fuzzy: the title similarity (rapidfuzz Indel ratio on normalised titles)
   must be high; fields that disagree (year more than one apart, DOI, volume,
   issue, first page, very different authors) count against, fields that
   agree (authors, journal, year, volume, first page, issue, abstract) count
   for. Authors also match with given and family names swapped; a volume
   that is the year or the supplement's number is misplaced, not different.
   With nothing against, two supporting fields and a near-identical title
   suffice; one field against is forgiven only when everything else agrees
   (`_fuzzy` names each case). The same title (or the same authors) and
   abstract at the same place are one paper however the rest is written, and
   an online-first version's provisional volume and issue do not count. Pairs
   that nearly pass go to a person, and so does a thesis with its entry in an
   abstracts journal.

Only pairs that share a blocking key are compared (DOI, PMID, the first and
last characters of the title, first author with first page, volume with first
page, the start of the abstract; keys shared by more than MAX_BLOCK records
are too generic to use), so the work grows about linearly with the number of
records. Clusters are built with union-find, people's acceptances first, then
identifiers, then fuzzy links; a link that would put two records into one
cluster that a person rejected, that contradict each other twice, or that
carry different PMIDs is refused.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Literal

from rapidfuzz.distance import Indel

from review import normalise
from review.errors import InputError
from review.formats import read_records
from review.formats.table import neutralise, row_of
from review.records import ImportProblem, Record, Source

__all__ = [
    "CandidatePair",
    "DedupResult",
    "DedupRun",
    "DuplicateLink",
    "PairDecisions",
    "RelatedLink",
    "Verdict",
    "compare",
    "dedup_files",
    "deduplicate",
    "prepare",
    "read_pair_decisions",
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


# --------------------------------------------------------------------------- preparing


@dataclass(frozen=True, slots=True)
class Prepared:
    """The normalised fields of one record that the rules compare."""

    position: int
    id: str
    title: str
    title_key: str  # the title without spaces, for blocking
    translated: str  # "Original title [Translated title]": the part in brackets
    numbers: str
    notice: str
    about: str  # for a notice, the title of what it is about
    authors: tuple[str, ...]
    given_names: tuple[str, ...]  # first given name per author, () when not all are known
    journal: str
    year: int | None
    volume: str
    supplement: str  # the supplement's number ("Suppl. 3" -> "3")
    issue: str
    first_page: str
    last_page: str  # "" for a single page or an article number
    whole_work: bool  # the pages give a thesis's or book's extent ("215 p")
    doi: str
    pmid: str
    pmcid: str
    abstract: str  # the first 300 normalised characters


_TRANSLATED = re.compile(r"^.{20,}?\s*\[([^\[\]]{20,})\]\s*\.?\s*$", re.DOTALL)


def prepare(record: Record, position: int = 0) -> Prepared:
    normal_title = normalise.title(record.title)
    notice = normalise.notice_kind(record.title)
    # Embase's own citation in the journal field ("Medizinische Klinik (1947).67
    # (43) ()(pp 1389-1392)") is better than fields an importer split out of it
    # (issue "1947"); the fields fill what the citation leaves out.
    cited = normalise.citation_in_journal(record.journal)
    volume = cited[0] or record.volume
    issue = cited[1] or record.issue
    pages = cited[2] or record.pages
    translated = _TRANSLATED.search(record.title)
    first_page, last_page = normalise.page_range(pages)
    if record.year is not None and first_page == str(record.year):
        first_page = last_page = ""  # the year, put where the pages belong
    return Prepared(
        position=position,
        id=record.id,
        title=normal_title,
        title_key=normal_title.replace(" ", ""),
        translated=normalise.title(translated.group(1)) if translated else "",
        numbers=normalise.title_numbers(normal_title),
        notice=notice,
        about=normalise.strip_notice_prefix(record.title) if notice else "",
        authors=normalise.author_families(record.authors),
        given_names=normalise.author_given_names(record.authors),
        journal=normalise.journal(record.journal or record.journal_abbrev),
        year=record.year,
        volume=normalise.volume(volume),
        supplement=normalise.supplement(issue) or normalise.supplement(volume),
        issue=normalise.issue(issue),
        first_page=first_page,
        last_page=last_page,
        whole_work=normalise.is_page_count(pages),
        doi=normalise.doi(record.doi),
        pmid=record.pmid.strip() or normalise.pmid_from_url(record.url),
        pmcid=record.pmcid.strip().upper(),
        abstract=normalise.text(record.abstract_text[:400])[:300],
    )


# --------------------------------------------------------------------------- comparing

Outcome = Literal["duplicate", "undecided", "distinct"]


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    rule: str
    score: float = 0.0
    detail: str = ""
    # Records that contradict each other in two places (or are a notice and an
    # article, or have different PMIDs) may not end up in one cluster through
    # a third record either.
    conflict: bool = False


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


def _issues_agree(a: str, b: str) -> bool | None:
    """Issues "1-2" (a double issue) and "2" agree; "3" and "4" do not."""
    if not a or not b:
        return None
    return a == b or bool(set(a.split("-")) & set(b.split("-")))


def _journal_same(a: str, b: str) -> bool | None:
    if not a or not b:
        return None
    return normalise.journals_match(a, b) or _similarity(a, b) >= 0.9


def _title_similarity(a: Prepared, b: Prepared) -> float:
    """Ratio of the normalised titles; a title cut short counts as its full form.

    A title that is the other without its subtitle (one database dropped what
    follows the colon) or without a series name before it scores 0.9: close
    enough with an identifier, not alone.
    """
    score = _similarity(a.title, b.title)
    if (a.translated or b.translated) and score < 0.9:
        # One database gives "Original [Translation]", another one of the two.
        for x, y in ((a.translated, b.title), (a.title, b.translated)):
            for part in (x[: len(y)], x[-len(y) :]) if x and y else ():
                score = max(score, _similarity(part, y))
    short, full = sorted((a.title, b.title), key=len)
    if score < 0.97 and len(short) >= 50 and full.startswith(short):
        return 0.97
    if score < 0.9 and len(short) >= 25 and full.startswith(short + " "):
        return 0.9
    if score < 0.9 and len(short) >= 30 and full.endswith(" " + short):
        return 0.9  # a series name put before it: "Case records of the MGH. Case 17-2012 ..."
    return score


def _truncation_explains(a: Prepared, b: Prepared) -> bool:
    """One title is the other cut short, and the numbers differ only in the cut part."""
    short, full = sorted((a, b), key=lambda p: len(p.title))
    if len(short.title) < 50 or not full.title.startswith(short.title[:-3]):
        return False
    return normalise.title_numbers(full.title[: len(short.title)]) == short.numbers


def _page_slip(a: Prepared, b: Prepared, checks: Mapping[str, bool | None]) -> bool:
    """Whether different first pages can be a slip for titles that otherwise agree.

    Companion papers by the same authors in the same issue ("2-(N'-alkylidene...)"
    and "2-(N'-aralkylidene...)") differ in a letter or two and in their pages,
    so without an abstract the title must be the same words. It must also be
    specific (five words or more: two "Editorial"s in one issue are two items)
    and the volume must agree; for a short title, the issue too. With an
    abstract, the abstract and the order of the authors must agree: one
    conference abstract printed twice is one study, but two abstracts of one
    group with the authors in another order are two.
    """
    if checks["abstract"] and _same_author_order(a, b):
        return True
    if a.title_key != b.title_key or len(a.title.split()) < 5 or not checks["volume"]:
        return False
    return len(a.title) >= 40 or bool(checks["issue"])


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


def _place_conflict(a: Prepared, b: Prepared) -> bool:
    """Two of: different journals, volumes, first pages, years (more than one apart).

    One difference is a slip of the pen; two are a different place.
    """
    pages = _pages(a, b)
    differences = (
        a.year is not None and b.year is not None and abs(a.year - b.year) > 1,
        _volumes_agree(a, b) is False,
        pages is False,
        _journal_same(a.journal, b.journal) is False,
    )
    return sum(differences) >= 2 and not pages


def compare(a: Prepared, b: Prepared) -> Verdict:
    """Whether two records are one paper, and which rule says so."""
    if a.notice != b.notice:
        return Verdict("distinct", "notice vs article", conflict=True)
    if a.pmid and b.pmid and a.pmid != b.pmid:
        return Verdict("distinct", "different PMIDs", conflict=True)
    if (
        a.numbers != b.numbers
        and a.title
        and b.title
        and not _truncation_explains(a, b)
        and not _dropped_digits(a.numbers, b.numbers)
        and not _same_doi_and_place(a, b)
    ):
        return Verdict("distinct", "title numbers differ")
    title = _title_similarity(a, b) if a.title and b.title else None
    for name, x, y in (
        ("PMID", a.pmid, b.pmid),
        ("PMCID", a.pmcid, b.pmcid),
        ("DOI", a.doi, b.doi),
    ):
        if x and x == y:
            # Conference supplements and mis-keyed records share one DOI across
            # papers; the place in the journal must not contradict it.
            if name == "DOI" and _place_conflict(a, b) and not _same_text(a, b, title):
                break
            if title is None or title >= 0.8:
                detail = "no title" if title is None else f"title={title:.3f}"
                return Verdict("duplicate", f"same {name}", title or 1.0, detail)
            if title >= 0.5:
                return Verdict("undecided", f"same {name}, titles differ", title)
    if title is None:
        return Verdict("distinct", "no title")
    if title < 0.75:
        if _same_place(a, b):
            return Verdict("duplicate", "same authors and place, title translated", title)
        return Verdict("distinct", "titles differ", title)
    verdict = _fuzzy(a, b, title)
    if verdict.outcome == "duplicate" and a.whole_work != b.whole_work:
        # A thesis ("215 p") and its entry in an abstracts journal are one work
        # cited twice or a work and its summary; reviewers (and the benchmark's
        # labels) go both ways, so a person decides.
        return Verdict("undecided", "a whole thesis or book and a citation of it", title)
    return verdict


def _same_doi_and_place(a: Prepared, b: Prepared) -> bool:
    """Same DOI, volume and first page: three identifiers outweigh a garbled digit.

    A superscript mangled in one export ("O2-" read as "Op6") changes the
    title's numbers; a "Part II" never shares its DOI and page with "Part I".
    """
    return bool(a.doi and a.doi == b.doi and _volumes_agree(a, b) and _pages(a, b))


def _same_text(a: Prepared, b: Prepared, title: float | None) -> bool:
    """Title, authors and abstract all agree: the same text, wherever it is cited.

    One DOI shared by a supplement's abstracts needs the place to settle which
    paper it is; a DOI whose record repeats the title, authors and abstract
    does not (the same abstract cited in a second journal).
    """
    authors = _authors_similarity(a, b)
    return bool(
        title is not None
        and title >= 0.97
        and authors is not None
        and authors >= 0.9
        and a.abstract
        and b.abstract
        and _similarity(a.abstract, b.abstract) >= 0.9
    )


def _same_place(a: Prepared, b: Prepared) -> bool:
    """Same authors in order, journal, year, volume, issue and first page, no other DOI.

    A paper published in one language and indexed under its translated title
    in another database: the place in the journal identifies it.
    """
    return bool(
        _same_author_order(a, b)
        and _journal_same(a.journal, b.journal)
        and a.year is not None
        and a.year == b.year
        and _volumes_agree(a, b)
        and _issues_agree(a.issue, b.issue)
        and _pages(a, b)
        and _same(a.doi, b.doi) is not False
    )


def _fuzzy(a: Prepared, b: Prepared, title: float) -> Verdict:
    authors = _authors_similarity(a, b)
    year_gap = abs(a.year - b.year) if a.year is not None and b.year is not None else None
    checks: dict[str, bool | None] = {
        "authors": None if authors is None else authors >= 0.8,
        "journal": _journal_same(a.journal, b.journal),
        "year": None if year_gap is None else year_gap == 0,
        "volume": _volumes_agree(a, b),
        "page": _pages(a, b),
        "issue": _issues_agree(a.issue, b.issue),
        "doi": _same(a.doi, b.doi),
        "abstract": None
        if not a.abstract or not b.abstract
        else _similarity(a.abstract, b.abstract) >= 0.9,
    }
    contradictions = [name for name in ("volume", "issue", "page", "doi") if checks[name] is False]
    if year_gap is not None and year_gap > 1:
        contradictions.append("year")
    if checks["authors"] is False and authors is not None and authors < 0.5:
        contradictions.append("authors")
    support = [name for name, ok in checks.items() if ok]
    detail = (
        f"title={title:.3f} authors={'-' if authors is None else f'{authors:.2f}'}"
        f" support={','.join(support) or '-'} against={','.join(contradictions) or '-'}"
    )
    score = title
    # Digits lost from one title (a subscript dropped: "A1 receptors" -> "A
    # receptors") are accepted only when the place in the journal agrees.
    if a.numbers != b.numbers and not (checks["volume"] and checks["page"]):
        return Verdict("distinct", "title numbers differ", score, detail)
    # The same title and abstract at the same place (year, volume, issue and
    # first page) are one paper, however the journal and authors are written
    # (a Chinese journal's pinyin and English names, given names first).
    if (
        title >= 0.97
        and checks["abstract"]
        and checks["year"]
        and checks["volume"]
        and checks["issue"]
        and checks["page"]
        and checks["doi"] is not False
    ):
        return Verdict("duplicate", "same title, abstract and place", score, detail)
    # A title translated twice ("Calcium channel blockers as antidepressants:
    # the property of their class..." / "...a property of the class or of the
    # individual preparation?") keeps its abstract, authors and place.
    if (
        not contradictions
        and checks["abstract"]
        and checks["authors"]
        and checks["year"]
        and checks["page"]
        and (checks["volume"] or checks["issue"])
    ):
        return Verdict("duplicate", "same authors, abstract and place", score, detail)
    # A book series is cited by its series name in one database and by the
    # book's title in another, a journal by names too far apart to match; the
    # abstract and the same pages (or volume and issue) settle it.
    if (
        checks["journal"] is False
        and not contradictions
        and title >= 0.97
        and authors is not None
        and authors >= 0.9
        and checks["year"]
        and checks["abstract"]
        and (checks["page"] or (checks["volume"] and checks["issue"]))
    ):
        return Verdict("duplicate", "same title, authors, place and abstract", score, detail)
    # Otherwise different journals need the same volume and first page.
    if checks["journal"] is False and not (checks["volume"] and checks["page"]):
        # A journal known by two names ("Bol.Estud.Med.Biol." and "Boletin de
        # estudios medicos y biologicos") is recognised by the first page
        # together with the title and the authors.
        if title >= 0.95 and checks["page"] and checks["authors"] and not contradictions:
            return Verdict(
                "duplicate",
                "same title, authors and first page; journal named differently",
                score,
                detail,
            )
        if title >= 0.9 and len(support) >= 2 and not contradictions:
            return Verdict("undecided", "different journals", score, detail)
        return Verdict("distinct", "different journals", score, detail)
    if not contradictions:
        if title >= 0.95 and len(support) >= 2:
            return Verdict("duplicate", "title and bibliographic details", score, detail)
        if title >= 0.9 and len(support) >= 3 and checks["authors"]:
            return Verdict("duplicate", "close title, authors and details", score, detail)
        if (
            title >= 0.85
            and checks["authors"]
            and checks["year"] is not False
            and checks["volume"]
            and checks["page"]
        ):
            return Verdict("duplicate", "title variant, same volume and page", score, detail)
    # Versions of one paper (working paper, conference paper, article) share a
    # long title and the authors, often a year apart, with nothing else known.
    if (
        not contradictions
        and checks["journal"] is not False
        and title >= 0.97
        and len(a.title) >= 50
        and authors is not None
        and authors >= 0.9
    ):
        return Verdict("duplicate", "same long title and authors", score, detail)
    # Same title, authors, journal and year and the volume or first page: one
    # slip in the volume, issue, page or DOI (supplements are numbered in many
    # ways, e-locators replace pages) does not make two papers; nor does a
    # mistyped year when journal, volume and first page agree.
    if (
        len(contradictions) == 1
        and contradictions[0] in {"volume", "issue", "page", "doi", "year"}
        and title >= 0.97
        and authors is not None
        and (authors >= 0.9 or (authors >= 0.8 and checks["abstract"]))
        and checks["journal"] is not False
        and (checks["year"] or (contradictions == ["year"] and checks["volume"] and checks["page"]))
        and (checks["volume"] or checks["page"] or checks["abstract"] or contradictions == ["page"])
        and (checks["journal"] or checks["abstract"])
        and not (contradictions == ["page"] and not _page_slip(a, b, checks))
        and not (
            contradictions == ["issue"]
            and not (checks["volume"] and checks["page"] and len(a.title) >= 40)
        )
    ):
        return Verdict("duplicate", f"all details agree but the {contradictions[0]}", score, detail)
    # An online-first version ("no pagination") carries a provisional volume
    # and issue; the printed version has pages. Title, authors, journal, year
    # and abstract still agree.
    if (
        contradictions
        and set(contradictions) <= {"volume", "issue"}
        and (not a.first_page) != (not b.first_page)
        and title >= 0.97
        and authors is not None
        and authors >= 0.9
        and checks["journal"]
        and checks["year"]
        and checks["abstract"]
    ):
        return Verdict("duplicate", "online-first and printed versions", score, detail)
    # Title and place (journal, year, volume, first page) agree and only the
    # author lists differ: a group name or a given-name-first export. Letters
    # "Re: ..." and their replies share title and page, so they are left out.
    if (
        contradictions == ["authors"]
        and title >= 0.97
        and len(a.title) >= 30
        and not a.title.startswith("re ")
        and checks["journal"]
        and checks["year"]
        and checks["volume"]
        and checks["page"]
    ):
        return Verdict(
            "duplicate", "same title and place, authors written differently", score, detail
        )
    # A title reworded in translation can land anywhere in similarity; the
    # place in the journal that identifies it below 0.75 does so above it too.
    if _same_place(a, b):
        return Verdict("duplicate", "same authors and place, title translated", score, detail)
    if title >= 0.9 and len(support) >= 2 and len(contradictions) <= 1:
        return Verdict("undecided", "close but not certain", score, detail)
    conflict = len(contradictions) >= 2
    return Verdict("distinct", "not enough agreement", score, detail, conflict)


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


def _canonical(cluster: Sequence[Record]) -> Record:
    """The most complete record, its gaps filled from the others (most complete first)."""
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
    return replace(best, **filled) if filled else best  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the stage


def _pair_key(a: str, b: str) -> frozenset[str]:
    return frozenset((a, b))


def deduplicate(
    records: Sequence[Record],
    *,
    pair_decisions: Mapping[frozenset[str], bool] | None = None,
    reviewers: Mapping[frozenset[str], str] | None = None,
) -> DedupResult:
    """Link duplicates to a canonical record; list notices as related and doubtful pairs.

    `pair_decisions` holds a person's decisions on pairs of record IDs: True
    merges them whatever the rules say, False keeps them apart even when the
    rules (directly or through other records) would merge them. `reviewers`
    names who decided, for the links' `by`.
    """
    decisions = pair_decisions or {}
    names = reviewers or {}
    prepared = [prepare(record, i) for i, record in enumerate(records)]
    position = {record.id: i for i, record in enumerate(records)}

    edges: list[tuple[int, float, int, int, Verdict, str]] = []
    undecided: list[CandidatePair] = []
    for pair, accepted in decisions.items():
        ids = sorted(pair)
        if accepted and len(ids) == 2 and all(i in position for i in ids):
            by = names.get(pair, "person")
            verdict = Verdict("duplicate", "accepted by a person", 1.0)
            edges.append((0, -1.0, position[ids[0]], position[ids[1]], verdict, by))
    rejected = [
        (position[a], position[b])
        for pair, accepted in decisions.items()
        if not accepted and len(pair) == 2
        for a, b in [sorted(pair)]
        if a in position and b in position
    ]

    for i, j in sorted(candidate_pairs(prepared)):
        a, b = prepared[i], prepared[j]
        verdict = compare(a, b)
        key = _pair_key(a.id, b.id)
        if key in decisions:
            continue
        if verdict.outcome == "duplicate":
            strength = 1 if verdict.rule.startswith("same") else 2
            edges.append((strength, -verdict.score, i, j, verdict, "rules"))
        elif verdict.conflict:
            rejected.append((i, j))
        elif verdict.outcome == "undecided":
            undecided.append(
                CandidatePair(
                    a.id, b.id, round(verdict.score, 4), verdict.rule + "; " + verdict.detail
                )
            )

    clusters = _Clusters(len(records), _cannot_links(rejected))
    pmid_of = {p.position: p.pmid for p in prepared if p.pmid}
    joined_by: dict[int, tuple[int, Verdict, str]] = {}
    for _, _, i, j, verdict, by in sorted(edges, key=lambda e: e[:4]):
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

    canonical: list[Record] = []
    links: list[DuplicateLink] = []
    for members in sorted(clusters.members.values(), key=min):
        cluster = [records[m] for m in sorted(members)]
        best = _canonical(cluster)
        canonical.append(best)
        for m in sorted(members):
            if records[m].id == best.id:
                continue
            other, verdict, by = joined_by[m]
            detail = f"via {records[other].id}: {verdict.detail}".strip()
            links.append(
                DuplicateLink(
                    records[m].id, best.id, verdict.rule, round(verdict.score, 4), detail, by
                )
            )

    return DedupResult(
        records=tuple(records),
        canonical=tuple(canonical),
        links=tuple(links),
        related=tuple(_related(prepared, records)),
        undecided=tuple(undecided),
    )


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


def _related(prepared: Sequence[Prepared], records: Sequence[Record]) -> list[RelatedLink]:
    """Notices linked to the article they are about: by title, and by PubMed's relations."""
    by_title: dict[str, list[int]] = defaultdict(list)
    by_pmid: dict[str, int] = {}
    for p in prepared:
        if not p.notice and p.title:
            by_title[p.title].append(p.position)
        if p.pmid:
            by_pmid.setdefault(p.pmid, p.position)
    found: dict[tuple[str, str], str] = {}
    for p in prepared:
        if p.notice and p.about:
            for article in by_title.get(p.about, []):
                found[(p.id, records[article].id)] = p.notice
        for relation in records[p.position].relations:
            target = by_pmid.get(relation.pmid)
            kind = _RELATION_KINDS.get(relation.kind)
            if target is not None and kind and target != p.position:
                pair = (p.id, records[target].id)
                if (pair[1], pair[0]) not in found:
                    found[pair] = kind
    return [RelatedLink(a, b, kind) for (a, b), kind in found.items()]


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
    try:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({name: neutralise(value) for name, value in row.items()})
    except OSError as exc:
        raise InputError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    return len(rows)


@dataclass(frozen=True, slots=True)
class DedupRun:
    """What `dedup_files` read and wrote, for the command to report."""

    result: DedupResult
    problems: tuple[ImportProblem, ...]

    @property
    def summary(self) -> str:
        r = self.result
        return (
            f"{len(r.records)} records -> {len(r.canonical)} after removing "
            f"{len(r.links)} duplicates; {len(r.related)} related notices linked; "
            f"{len(r.undecided)} pairs left for a person to decide"
        )


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
        records += imported.records
        problems += imported.problems
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
