"""What a report is built from (`ReportInput`) and what every writer shows (`Report`).

`build_report` derives everything once: the PRISMA flow, the search section,
the lists of included, excluded and awaiting records, the year chart's bars
and the reading list. The writers (Markdown, HTML, JSON, SVG) only lay out a
`Report`, so they cannot disagree about a number.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from review.dedup import DedupResult, DuplicateLink
from review.errors import ReportError
from review.prisma import (
    Box,
    Column,
    PrismaCounts,
    PrismaFlow,
    Removal,
    derive_prisma,
    new_records_flow,
)
from review.protocol import OTHER_METHODS, Protocol, SourceMethod
from review.records import Record
from review.screen import Decision
from review.search import SearchLogEntry

__all__ = [
    "STATUSES",
    "Awaiting",
    "BoxView",
    "DedupMethod",
    "Excluded",
    "OtherSource",
    "PreviousVersion",
    "ReadingEntry",
    "ReadingGroup",
    "RecordView",
    "Report",
    "ReportInput",
    "RunView",
    "SearchView",
    "SourceView",
    "Status",
    "Uncounted",
    "UpdateView",
    "YearBar",
    "box_heading",
    "box_label",
    "build_report",
    "statuses",
]

Status = Literal[
    "included", "excluded-screening", "excluded-full-text", "not-retrieved", "awaiting"
]
STATUSES: tuple[tuple[Status, str], ...] = (
    ("included", "Included"),
    ("excluded-screening", "Excluded at title/abstract"),
    ("excluded-full-text", "Excluded at full text"),
    ("not-retrieved", "Full text not retrieved"),
    ("awaiting", "Awaiting a decision"),
)
OTHER_SOURCES_GROUP = "other-sources"
# Beyond this many years (a typo such as 1066 among 2020s) the chart shows only years with records.
MAX_YEAR_SPAN = 150


@dataclass(frozen=True, slots=True)
class OtherSource:
    """An export file from another database; its records carry `Source.file == file`."""

    database: str
    file: str
    exported_on: str = ""  # the date the export was made, when the file or protocol says
    problems: int = 0  # entries that could not be read (ImportResult.problems)
    note: str = ""
    method: SourceMethod = "database"  # the protocol's [[sources]] method


@dataclass(frozen=True, slots=True)
class ReportInput:
    """Everything a report is made of; the pipeline builds one and calls `write_report`.

    `decisions` are the effective ones (at most one per record and stage).
    `uncounted_decisions` are people's decisions kept in the decision store for
    records this run does not screen (now a duplicate, removed, or no longer
    found); the report lists them so no decision disappears silently.
    `held_full_text` are people's full-text decisions on records that do not
    stand as included at title/abstract (a conflict there, or an exclusion), each
    with why (`review.screen.held_full_text`); listed with them, not counted.
    `snapshot` says, when set, that the searches were answered from a stored
    snapshot rather than a live PubMed search (e.g. "bundled example snapshot
    taken 2026-11-26"); every report prints it at the top. `search_notes`
    (search name, note) explain a search's result where the snapshot knows more,
    e.g. why a search of the example found nothing; each is printed with its search.
    """

    protocol: Protocol
    searches: tuple[SearchLogEntry, ...]
    dedup: DedupResult
    decisions: tuple[Decision, ...]
    generated_at: str  # ISO 8601 UTC
    tool_version: str
    dedup_software: str  # e.g. "review 0.1.0 (review.dedup)"
    other_sources: tuple[OtherSource, ...] = ()
    removals: tuple[Removal, ...] = ()
    snapshot: str | None = None
    uncounted_decisions: tuple[Decision, ...] = ()
    held_full_text: tuple[tuple[Decision, str], ...] = ()
    search_notes: tuple[tuple[str, str], ...] = ()
    # Record ids of the example snapshot's stand-ins: real PMIDs whose PubMed record
    # was built from a web page's citation metadata; every list marks them.
    stand_ins: frozenset[str] = frozenset()
    # Set when the stopping rule was met and records were left unscreened: the rule, its
    # recall target and when it fired (review.stopping.unscreened_statement).
    stopping: str = ""
    # Every run of the review so far, this one last (the search history, PRISMA-S).
    runs: tuple[RunView, ...] = ()
    # Set by `review update`: the version this run updates.
    previous: PreviousVersion | None = None
    # Predicted relevance (0-1) of the records awaiting a person, in the order the
    # screeners show them (`review.screener.people_ranker`: most likely relevant first,
    # ties in the records' order); the report lists them in this order. Empty: listed
    # in the flow's order (record IDs).
    relevance: Mapping[str, float] = field(default_factory=dict)
    # How that ranking was made, in words (`RecordRanker.describe`).
    ranked_by: str = ""


@dataclass(frozen=True, slots=True)
class RunView:
    """One run of the review in the search history: when, what it found, what was new."""

    number: int
    kind: str  # "run" or "update"
    searched_on: str  # YYYY-MM-DD
    records: int  # records identified, all sources
    new_records: int  # of those, records no earlier run had seen
    searches: tuple[tuple[str, int, int], ...]  # (search, PMIDs found, new), PubMed


@dataclass(frozen=True, slots=True)
class PreviousVersion:
    """The version of the review that `review update` updates."""

    searched_on: str  # the day of its searches: this report tells what is new since
    included: tuple[str, ...]  # the main copies it included
    seen: frozenset[str]  # every record ID it (or any earlier run) had seen


@dataclass(frozen=True, slots=True)
class UpdateView:
    """PRISMA 2020's flow for updated reviews, and the "new since" digest."""

    since: str
    previous_studies: int  # studies included in the previous version
    still_included: int  # of those, still included now
    # Studies from records seen before, first included after the previous version
    # (screening went on between versions): total = still + these + new.
    included_since: int
    new: Column  # the flow of records first seen in this version
    total_studies: int  # studies included now
    new_records: tuple[RecordView, ...]  # main copies of groups new in this version
    newly_included: tuple[RecordView, ...]  # included now, not in the previous version


@dataclass(frozen=True, slots=True)
class RecordView:
    """The fields of one record that a report shows, with its links."""

    id: str
    title: str
    authors: tuple[str, ...]
    year: int | None
    journal: str
    pmid: str
    doi: str
    pmcid: str
    database: str
    file: str
    search: str
    stand_in: bool = False  # an example stand-in, not an NLM record (ReportInput.stand_ins)

    @property
    def pubmed_url(self) -> str:
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid else ""

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def pmc_url(self) -> str:
        return f"https://pmc.ncbi.nlm.nih.gov/articles/{self.pmcid}/" if self.pmcid else ""

    @property
    def short_authors(self) -> str:
        """Up to three authors, then "et al."; what a reading list prints."""
        if len(self.authors) > 3:
            return ", ".join(self.authors[:3]) + " et al."
        return ", ".join(self.authors)

    @property
    def year_text(self) -> str:
        return str(self.year) if self.year is not None else "n.d."


@dataclass(frozen=True, slots=True)
class SearchView:
    """One search as run, with what PRISMA-S items 8, 9, 13 and 15 ask for."""

    name: str
    database: str
    query: str
    translation: str
    limits: str
    searched_at: str
    count: int
    retrieved: int
    replayed: bool
    warnings: tuple[str, ...]
    note: str = ""  # from the snapshot, e.g. why the example corpus gave no record


@dataclass(frozen=True, slots=True)
class SourceView:
    database: str
    file: str
    records: int
    exported_on: str
    problems: int
    note: str
    method: str = "database"


@dataclass(frozen=True, slots=True)
class DedupMethod:
    """How duplicates were found: the software, and how many links each rule made."""

    software: str
    by_rule: tuple[tuple[str, int], ...]
    by_people: int
    undecided_pairs: int
    related: int


@dataclass(frozen=True, slots=True)
class BoxView:
    """A diagram box with its label and the records behind its number."""

    key: str
    label: str  # the words in the diagram
    heading: str  # the words above its list of records, which stand alone
    records: tuple[RecordView, ...]

    @property
    def count(self) -> int:
        return len(self.records)


@dataclass(frozen=True, slots=True)
class Excluded:
    record: RecordView
    stage: str
    reason: str
    reason_text: str
    by: str
    matched: tuple[str, ...]
    unmatched: tuple[str, ...]
    note: str


@dataclass(frozen=True, slots=True)
class Awaiting:
    record: RecordView
    stage: str  # the stage whose decision is awaited
    matched: tuple[str, ...]
    unmatched: tuple[str, ...]
    note: str
    relevance: float | None = None  # predicted, 0-1 (ReportInput.relevance)


@dataclass(frozen=True, slots=True)
class Uncounted:
    """A person's decision this run does not count, and why: its record is not screened
    now, or it is a full text whose record does not stand as included at title/abstract."""

    decision: Decision
    why: str


@dataclass(frozen=True, slots=True)
class YearBar:
    year: int | None
    counts: tuple[tuple[Status, int], ...]

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)


@dataclass(frozen=True, slots=True)
class ReadingEntry:
    """A reading-list entry; `provisional` when its full text is still to be assessed."""

    record: RecordView
    provisional: bool


@dataclass(frozen=True, slots=True)
class ReadingGroup:
    key: str
    title: str
    entries: tuple[ReadingEntry, ...]


@dataclass(frozen=True, slots=True)
class Report:
    protocol: Protocol
    snapshot: str | None
    generated_at: str
    tool_version: str
    searches: tuple[SearchView, ...]
    sources: tuple[SourceView, ...]
    dedup: DedupMethod
    flow: PrismaFlow
    counts: PrismaCounts
    boxes: tuple[BoxView, ...]  # in the diagram's reading order
    duplicate_links: tuple[tuple[RecordView, DuplicateLink], ...]
    removals: tuple[tuple[RecordView, str], ...]
    included: tuple[RecordView, ...]
    excluded: tuple[Excluded, ...]
    awaiting: tuple[Awaiting, ...]
    uncounted: tuple[Uncounted, ...]
    years: tuple[YearBar, ...]
    reading_list: tuple[ReadingGroup, ...]
    records: Mapping[str, RecordView]  # every identified record, canonical ones gap-filled
    runs: tuple[RunView, ...] = ()
    update: UpdateView | None = None
    # the stopping rule, its recall target and when it fired, when records were left
    # unscreened because it was met ("" otherwise; ReportInput.stopping)
    stopping: str = ""
    # How the records awaiting a person are ordered ("" : by record ID, unranked)
    ranked_by: str = ""

    @property
    def included_records(self) -> tuple[str, ...]:
        return self.flow.included.record_ids

    @property
    def screened_records(self) -> tuple[str, ...]:
        return self.flow.screened.record_ids

    def reason_text(self, code: str) -> str:
        return self.protocol.criteria.reason_text(code)

    @property
    def flow_parts(self) -> tuple[tuple[str, PrismaFlow | Column], ...]:
        """("", the whole flow), then ("databases.", column), ... when there are two columns."""
        columns = self.flow.columns if len(self.flow.columns) > 1 else ()
        return (("", self.flow), *((f"{c.key}.", c) for c in columns))


def build_report(report_input: ReportInput) -> Report:
    """Derive everything every writer shows; raises ReportError on inconsistent input."""
    dedup = report_input.dedup
    other_methods = {s.database for s in report_input.other_sources if s.method in OTHER_METHODS}
    flow = derive_prisma(
        dedup.records, dedup.links, report_input.decisions, report_input.removals, other_methods
    )
    views = _record_views(dedup, report_input.stand_ins)
    decisions: dict[tuple[str, str], Decision] = {
        (d.record_id, d.stage): d for d in report_input.decisions
    }
    protocol = report_input.protocol
    position = {record_id: n for n, record_id in enumerate(report_input.relevance)}
    return Report(
        protocol=protocol,
        snapshot=report_input.snapshot,
        generated_at=report_input.generated_at,
        tool_version=report_input.tool_version,
        searches=_searches(protocol, report_input.searches, dict(report_input.search_notes)),
        sources=_sources(report_input.other_sources, dedup.records),
        dedup=_dedup_method(report_input.dedup_software, dedup),
        flow=flow,
        counts=flow.counts(),
        boxes=tuple(
            BoxView(
                box.key,
                *_stopping_label(box, protocol, report_input.stopping),
                tuple(views[i] for i in _box_order(box, position)),
            )
            for box in flow.boxes()
        ),
        duplicate_links=tuple((views[link.record_id], link) for link in dedup.links),
        removals=tuple((views[i], box.name) for box in flow.removed_other for i in box.record_ids),
        included=_by_year(views[i] for i in flow.included.record_ids),
        excluded=_excluded(flow, decisions, views, protocol),
        awaiting=_awaiting(flow, decisions, views, report_input.relevance, position),
        uncounted=_uncounted(report_input),
        years=_year_bars(flow, views),
        reading_list=_reading_list(flow, dedup, report_input.searches, protocol, views),
        records=MappingProxyType(views),
        runs=report_input.runs,
        update=_update(report_input, flow, views),
        stopping=report_input.stopping,
        ranked_by=report_input.ranked_by if report_input.relevance else "",
    )


def _update(
    report_input: ReportInput, flow: PrismaFlow, views: Mapping[str, RecordView]
) -> UpdateView | None:
    """The updated review's own flow: new records only, and the previous studies."""
    previous = report_input.previous
    if previous is None:
        return None
    dedup = report_input.dedup
    main_of = {r.id: r.id for r in dedup.canonical}
    main_of.update((link.record_id, link.canonical_id) for link in dedup.links)
    new = new_records_flow(
        flow, dedup.records, dedup.links, [r.id for r in dedup.records if r.id not in previous.seen]
    )
    before = {main_of.get(i, i) for i in previous.included}
    now = set(flow.included.record_ids)
    since = len(now - before - set(new.included.record_ids))
    if len(before & now) + since + new.included.count != len(now):
        raise ReportError("The updated review's included studies do not add up.")
    return UpdateView(
        since=previous.searched_on,
        previous_studies=len(before),
        still_included=len(before & now),
        included_since=since,
        new=new,
        total_studies=len(now),
        new_records=_by_year(
            views[i]
            for i in (
                new.screened.record_ids
                + tuple(i for b in new.automation + new.removed_other for i in b.record_ids)
            )
        ),
        newly_included=_by_year(views[i] for i in flow.included.record_ids if i not in before),
    )


def box_label(box: Box, protocol: Protocol) -> str:
    """The words a box or line shows before its "(n = …)"."""
    key = _unprefixed(box.key)
    if key in _FIXED_LABELS:
        return _FIXED_LABELS[key]
    group = key.split(".", 1)[0]
    if group in ("records-excluded", "reports-excluded", "automation"):
        return protocol.criteria.reason_text(box.name)
    return box.name


_FIXED_LABELS = {
    "duplicates": "Duplicate records removed",
    "screened": "Records screened",
    "rules-included": "of these, included by the rules without a person",
    "awaiting-screening": "Records awaiting a title/abstract decision",
    "sought": "Reports sought for retrieval",
    "not-retrieved": "Reports not retrieved",
    "assessed": "Reports assessed for eligibility",
    "awaiting-assessment": "Reports awaiting a full-text decision",
    "included": "Studies included in review",
    "included-reports": "Reports of included studies",
}
_COLUMN_NAMES = {
    "databases": "databases and registers",
    "other": "other methods",
    "new": "new records",
}


def _unprefixed(key: str) -> str:
    """A column box's key without its column ("other.sought" -> "sought")."""
    column, _, rest = key.partition(".")
    return rest if column in _COLUMN_NAMES and rest else key


def _stopping_label(box: Box, protocol: Protocol, stopping: str) -> tuple[str, str]:
    """Label and heading; records left unscreened once the stopping rule was met say so."""
    if stopping and _unprefixed(box.key) == "awaiting-screening":
        return (
            "Records not screened: stopping rule met",
            f"Records not screened: {stopping}",
        )
    return box_label(box, protocol), box_heading(box, protocol)


def box_heading(box: Box, protocol: Protocol) -> str:
    """A box's label made to stand alone, e.g. "Records identified from PubMed"."""
    prefixes = {
        "identified": "Records identified from ",
        "removed": "Records removed before screening: ",
        "automation": "Records marked as ineligible by automation tools: ",
        "records-excluded": "Records excluded at title/abstract: ",
        "reports-excluded": "Reports excluded at full text: ",
    }
    key = _unprefixed(box.key)
    group, _, rest = key.partition(".")
    label = box_label(box, protocol)
    heading = prefixes[group] + label if rest and group in prefixes else label
    column = box.key.partition(".")[0]
    if key != box.key:
        heading += f" (via {_COLUMN_NAMES[column]})"
    return heading


def _record_views(dedup: DedupResult, stand_ins: frozenset[str]) -> dict[str, RecordView]:
    canonical = {r.id: r for r in dedup.canonical}
    expected = {r.id for r in dedup.records} - {link.record_id for link in dedup.links}
    if set(canonical) != expected:
        odd = sorted(set(canonical) ^ expected)
        raise ReportError(
            f"The deduplication result's canonical records do not match its links "
            f"(first mismatch: {odd[0]}); re-run deduplication."
        )
    return {r.id: _view(canonical.get(r.id, r), r.id in stand_ins) for r in dedup.records}


def _view(record: Record, stand_in: bool = False) -> RecordView:
    return RecordView(
        id=record.id,
        title=record.title,
        authors=tuple(a.display for a in record.authors if a.display),
        year=record.year,
        journal=record.journal or record.journal_abbrev,
        pmid=record.pmid,
        doi=record.doi,
        pmcid=record.pmcid,
        database=record.source.database,
        file=record.source.file,
        search=record.source.search,
        stand_in=stand_in,
    )


def _searches(
    protocol: Protocol, log: Sequence[SearchLogEntry], notes: Mapping[str, str]
) -> tuple[SearchView, ...]:
    by_name = {entry.name: entry for entry in log}
    views = []
    for search in protocol.searches:
        entry = by_name.get(search.name)
        if entry is None:
            raise ReportError(
                f"Search {search.name!r} of {protocol.path} has no search-log entry; "
                "run it before writing the report."
            )
        views.append(
            SearchView(
                name=entry.name,
                database=entry.database,
                query=entry.query,
                translation=entry.query_translation,
                limits=_limits(entry),
                searched_at=entry.searched_at,
                count=entry.count,
                retrieved=entry.retrieved,
                replayed=entry.replayed,
                warnings=entry.warnings,
                note=notes.get(entry.name, ""),
            )
        )
    return tuple(views)


def _limits(entry: SearchLogEntry) -> str:
    names = {"pdat": "publication date", "edat": "Entrez date", "mdat": "modification date"}
    if not (entry.mindate or entry.maxdate):
        return "none"
    kind = names.get(entry.datetype, entry.datetype)
    return f"{kind} {entry.mindate or '…'} to {entry.maxdate or '…'}"


def _sources(others: Sequence[OtherSource], records: Sequence[Record]) -> tuple[SourceView, ...]:
    per_file = Counter(r.source.file for r in records)
    return tuple(
        SourceView(
            o.database, o.file, per_file[o.file], o.exported_on, o.problems, o.note, o.method
        )
        for o in others
    )


def _dedup_method(software: str, dedup: DedupResult) -> DedupMethod:
    rules = Counter(link.rule for link in dedup.links if link.by == "rules")
    return DedupMethod(
        software=software,
        by_rule=tuple(sorted(rules.items(), key=lambda item: (-item[1], item[0]))),
        by_people=sum(1 for link in dedup.links if link.by != "rules"),
        undecided_pairs=len(dedup.undecided),
        related=len(dedup.related),
    )


def _by_year(views: Iterable[RecordView]) -> tuple[RecordView, ...]:
    """Newest first; records without a year last; then by title, then ID."""
    return tuple(
        sorted(
            views,
            key=lambda v: (v.year is None, -(v.year or 0), v.title.casefold(), v.id),
        )
    )


def _excluded(
    flow: PrismaFlow,
    decisions: dict[tuple[str, str], Decision],
    views: dict[str, RecordView],
    protocol: Protocol,
) -> tuple[Excluded, ...]:
    result = []
    # Records the rules marked ineligible before screening are excluded at
    # title/abstract too, by the automation tool.
    for stage, boxes in (
        ("title-abstract", flow.automation + flow.records_excluded),
        ("full-text", flow.reports_excluded),
    ):
        for box in boxes:
            for record_id in box.record_ids:
                d = decisions[(record_id, stage)]
                result.append(
                    Excluded(
                        views[record_id],
                        stage,
                        box.name,
                        protocol.criteria.reason_text(box.name),
                        d.by,
                        d.matched,
                        d.unmatched,
                        d.note,
                    )
                )
    return tuple(result)


def _awaiting(
    flow: PrismaFlow,
    decisions: dict[tuple[str, str], Decision],
    views: dict[str, RecordView],
    relevance: Mapping[str, float],
    position: Mapping[str, int],
) -> tuple[Awaiting, ...]:
    """Each stage's records awaiting a person in the order of `relevance` (the order
    the screeners show them in, most likely relevant first; `position` in it)."""
    result = []
    for stage, box in (
        ("title-abstract", flow.awaiting_screening),
        ("full-text", flow.awaiting_assessment),
    ):
        for record_id in _ranked(box.record_ids, position):
            d = decisions.get((record_id, stage))
            result.append(
                Awaiting(
                    views[record_id],
                    stage,
                    d.matched if d else (),
                    d.unmatched if d else (),
                    d.note if d else "",
                    relevance.get(record_id),
                )
            )
    return tuple(result)


def _ranked(ids: tuple[str, ...], position: Mapping[str, int]) -> tuple[str, ...]:
    """`ids` in the ranking's order; those it lacks follow in their own (sorted() is stable)."""
    if not position:
        return ids
    return tuple(sorted(ids, key=lambda i: position.get(i, len(position))))


def _box_order(box: Box, position: Mapping[str, int]) -> tuple[str, ...]:
    """A box's records: those awaiting a person ranked, as in their own list."""
    if _unprefixed(box.key) in ("awaiting-screening", "awaiting-assessment"):
        return _ranked(box.record_ids, position)
    return box.record_ids


def _uncounted(report_input: ReportInput) -> tuple[Uncounted, ...]:
    canonical_of = {link.record_id: link.canonical_id for link in report_input.dedup.links}
    removed = {r.record_id: r.reason for r in report_input.removals}
    known = {r.id for r in report_input.dedup.records}
    result = []
    for decision in report_input.uncounted_decisions:
        record_id = decision.record_id
        if record_id in canonical_of:
            why = f"now a duplicate of {canonical_of[record_id]}"
        elif record_id in removed:
            why = f"removed before screening: {removed[record_id]}"
        elif record_id not in known:
            why = "not among this run's records"
        else:
            why = "not screened in this run"
        result.append(Uncounted(decision, why))
    result.extend(Uncounted(decision, why) for decision, why in report_input.held_full_text)
    return tuple(result)


def statuses(flow: PrismaFlow) -> dict[str, Status]:
    """Each screened record's furthest outcome, as the year chart splits them."""
    status: dict[str, Status] = {}
    groups: tuple[tuple[Status, tuple[str, ...]], ...] = (
        (
            "excluded-screening",
            tuple(i for b in flow.automation + flow.records_excluded for i in b.record_ids),
        ),
        ("excluded-full-text", tuple(i for b in flow.reports_excluded for i in b.record_ids)),
        ("not-retrieved", flow.not_retrieved.record_ids),
        ("awaiting", flow.awaiting_screening.record_ids + flow.awaiting_assessment.record_ids),
        ("included", flow.included.record_ids),
    )
    for name, ids in groups:
        for record_id in ids:
            status[record_id] = name
    return status


def _year_bars(flow: PrismaFlow, views: dict[str, RecordView]) -> tuple[YearBar, ...]:
    per_year: dict[int | None, Counter[Status]] = {}
    for record_id, status in statuses(flow).items():
        per_year.setdefault(views[record_id].year, Counter())[status] += 1
    known = [y for y in per_year if y is not None]
    first, last = (min(known), max(known)) if known else (0, -1)
    # Every year in the range, so that empty years show as gaps rather than vanish.
    dated = range(first, last + 1) if last - first <= MAX_YEAR_SPAN else sorted(known)
    years: list[int | None] = [*dated, *([None] if None in per_year else [])]
    return tuple(
        YearBar(year, tuple((s, per_year.get(year, Counter())[s]) for s, _ in STATUSES))
        for year in years
    )


def _reading_list(
    flow: PrismaFlow,
    dedup: DedupResult,
    log: Sequence[SearchLogEntry],
    protocol: Protocol,
    views: dict[str, RecordView],
) -> tuple[ReadingGroup, ...]:
    """Included records under the first protocol search that found them, newest first.

    Records that passed title/abstract screening and still wait for a
    full-text decision are listed too, marked provisional: rules never decide
    at full text, so without them a fresh run's reading list would be empty.

    A record's cluster (it and its duplicates) may hold several PMIDs; any of
    them in a search's PMIDs puts it in that search's group. Records no PubMed
    search returned go under "Found in other sources".
    """
    pmids_of: dict[str, set[str]] = {}
    for record in dedup.records:
        pmids_of.setdefault(record.id, set()).add(views[record.id].pmid)
    for link in dedup.links:
        pmids_of.setdefault(link.canonical_id, set()).update(pmids_of.get(link.record_id, ()))
    search_pmids = [(e.name, set(e.pmids)) for e in log]
    order = [s.name for s in protocol.searches]
    search_pmids.sort(key=lambda item: order.index(item[0]) if item[0] in order else len(order))
    groups: dict[str, list[RecordView]] = {name: [] for name, _ in search_pmids}
    groups[OTHER_SOURCES_GROUP] = []
    provisional = set(flow.awaiting_assessment.record_ids)
    for record_id in flow.included.record_ids + flow.awaiting_assessment.record_ids:
        pmids = pmids_of.get(record_id, set()) - {""}
        group = next((name for name, found in search_pmids if pmids & found), OTHER_SOURCES_GROUP)
        groups[group].append(views[record_id])
    return tuple(
        ReadingGroup(
            key,
            f"Search “{key}”" if key != OTHER_SOURCES_GROUP else "Found in other sources",
            tuple(
                ReadingEntry(v, v.id in provisional)
                # Final inclusions first, then the provisional ones; each newest first.
                for v in sorted(_by_year(members), key=lambda v: v.id in provisional)
            ),
        )
        for key, members in groups.items()
        if members
    )
