"""PRISMA 2020 flow-diagram boxes, derived from records, duplicate links and decisions.

Nothing here keeps a tally. Every box is the tuple of record IDs it counts,
worked out from the identified records, the duplicate links and the effective
screening decisions, so each number in a report can be audited record by
record. `PrismaCounts` holds one number per box and `PrismaCounts.check` tests
the flow's arithmetic; every writer calls it before drawing, so an
inconsistent diagram is a `ReportError`, never a picture.

The template has two columns: "Identification of studies via databases and
registers" and "... via other methods" (websites, organisations, citation
searching). `PrismaFlow` holds the whole review's boxes; `PrismaFlow.columns`
the same boxes split by column. A duplicate group belongs to the databases
column when any of its records came from a database or register, else to the
other-methods column; records from other methods that duplicate a database's
are removed as duplicates in their own column.

How the boxes are defined (the report's method section says the same):

- Records identified: every record read, per `Source.database`. PubMed searches
  overlap; a PMID is one record however many searches returned it, so PubMed's
  box counts distinct PMIDs and the per-search numbers go in the search section.
- Records removed before screening: duplicates (records linked to a main copy);
  records marked as ineligible by automation tools (the protocol's rules, by
  reason); records removed for other reasons (`Removal`, e.g. deleted by NLM).
- Records screened: every remaining main copy; records excluded are a
  reviewer's exclusions; records awaiting screening have no decision yet or a
  `needs-human` one.
- Reports sought for retrieval: records included at title/abstract (by a
  person, or by the rules when the protocol says `rules_include = true`,
  counted in `rules_included`).
- Reports not retrieved: full-text decisions `not-retrieved`.
- Reports awaiting assessment: sought, not "not retrieved", with no full-text
  decision yet or a `needs-human` one.
- Reports assessed for eligibility: reports with a full-text include or exclude.
- Reports excluded, one line per reason; studies included and reports of
  included studies: full-text inclusions (each report counts as one study).

The arithmetic, checked for each column and for the whole:

    identified − duplicates − automation − removed for other reasons = screened
    screened − excluded − awaiting screening                         = sought
    sought − not retrieved − awaiting assessment                     = assessed
    assessed − excluded                                              = included
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from review.dedup import DuplicateLink
from review.errors import ReportError
from review.records import Record
from review.screen import Decision

__all__ = [
    "COLUMNS",
    "NO_REASON",
    "Box",
    "Column",
    "PrismaCounts",
    "PrismaFlow",
    "Removal",
    "derive_prisma",
    "new_records_flow",
]

NO_REASON = "no-reason-recorded"  # the reason line for an exclusion that names none
# The template's two columns: (key, heading).
COLUMNS = (
    ("databases", "Identification of studies via databases and registers"),
    ("other", "Identification of studies via other methods"),
)


@dataclass(frozen=True, slots=True)
class Removal:
    """A canonical record taken out before screening for a reason other than duplication."""

    record_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Box:
    """One box (or one line of a box) of the flow diagram and the records it counts.

    `key` is stable and safe in URLs and HTML ids ("duplicates",
    "reports-excluded.not-kratom", "other.sought" for the other-methods column's
    own box); `name` is what the line is about: a database, a reason code, or ""
    for a box that has a single number.
    """

    key: str
    name: str
    record_ids: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.record_ids)


@dataclass(frozen=True, slots=True)
class PrismaCounts:
    """One number per box; `check` raises ReportError when they do not add up."""

    identified: tuple[tuple[str, int], ...]  # (database, records)
    duplicates_removed: int
    automation: tuple[tuple[str, int], ...]  # (reason code, records the rules marked)
    removed_other: tuple[tuple[str, int], ...]  # (reason, records)
    records_screened: int
    records_excluded: tuple[tuple[str, int], ...]  # (reason code, records)
    awaiting_screening: int
    reports_sought: int
    reports_not_retrieved: int
    awaiting_assessment: int
    reports_assessed: int
    reports_excluded: tuple[tuple[str, int], ...]  # (reason code, reports)
    studies_included: int
    reports_of_included_studies: int = 0
    rules_included: int = 0  # of reports sought, records the rules included without a person
    columns: tuple[PrismaCounts, ...] = ()  # the same numbers per column of the diagram

    @property
    def identified_total(self) -> int:
        return sum(n for _, n in self.identified)

    @property
    def automation_total(self) -> int:
        return sum(n for _, n in self.automation)

    @property
    def removed_other_total(self) -> int:
        return sum(n for _, n in self.removed_other)

    @property
    def records_excluded_total(self) -> int:
        return sum(n for _, n in self.records_excluded)

    @property
    def reports_excluded_total(self) -> int:
        return sum(n for _, n in self.reports_excluded)

    def check(self) -> None:
        """Raise ReportError naming the first equation of the flow that does not hold."""
        negative = [name for name, value in self._numbers() if value < 0]
        if negative:
            raise ReportError(
                f"PRISMA flow: negative count in {negative[0]}; the counts were not derived "
                "from the records, so rebuild them with derive_prisma."
            )
        equations = (
            (
                "identified − duplicates − automation − removed for other reasons = screened",
                self.identified_total
                - self.duplicates_removed
                - self.automation_total
                - self.removed_other_total,
                self.records_screened,
            ),
            (
                "screened − excluded − awaiting screening = sought",
                self.records_screened - self.records_excluded_total - self.awaiting_screening,
                self.reports_sought,
            ),
            (
                "sought − not retrieved − awaiting assessment = assessed",
                self.reports_sought - self.reports_not_retrieved - self.awaiting_assessment,
                self.reports_assessed,
            ),
            (
                "assessed − excluded = included",
                self.reports_assessed - self.reports_excluded_total,
                self.studies_included,
            ),
        )
        for text, left, right in equations:
            if left != right:
                raise ReportError(
                    f"PRISMA flow does not add up: {text} gives {left}, but the diagram "
                    f"has {right}; the report was not written."
                )
        if self.rules_included > self.reports_sought:
            raise ReportError(
                f"PRISMA flow: {self.rules_included} records included by rules, "
                f"more than the {self.reports_sought} reports sought."
            )
        if self.reports_of_included_studies < self.studies_included:
            raise ReportError(
                f"PRISMA flow: {self.reports_of_included_studies} reports of included studies, "
                f"fewer than the {self.studies_included} studies included."
            )
        for column in self.columns:
            column.check()
        if self.columns:
            for name, total in self._numbers():
                parts = sum(
                    dict(column._numbers()).get(name, 0)
                    for column in self.columns
                    if not name.startswith("records identified from")
                    or name in dict(column._numbers())
                )
                if parts != total:
                    raise ReportError(
                        f"PRISMA flow: the columns' {name} add up to {parts}, "
                        f"but the whole review has {total}; the report was not written."
                    )

    def _numbers(self) -> Iterable[tuple[str, int]]:
        for database, n in self.identified:
            yield f"records identified from {database}", n
        for reason, n in self.automation:
            yield f"records marked ineligible by automation ({reason})", n
        for reason, n in self.removed_other:
            yield f"records removed ({reason})", n
        for reason, n in self.records_excluded:
            yield f"records excluded ({reason})", n
        for reason, n in self.reports_excluded:
            yield f"reports excluded ({reason})", n
        yield "duplicates removed", self.duplicates_removed
        yield "records screened", self.records_screened
        yield "records awaiting screening", self.awaiting_screening
        yield "reports sought", self.reports_sought
        yield "reports not retrieved", self.reports_not_retrieved
        yield "reports awaiting assessment", self.awaiting_assessment
        yield "reports assessed", self.reports_assessed
        yield "studies included", self.studies_included
        yield "reports of included studies", self.reports_of_included_studies
        yield "records included by rules", self.rules_included


@dataclass(frozen=True, slots=True)
class Column:
    """The boxes of one column of the diagram ("databases" or "other")."""

    key: str
    heading: str
    identified: tuple[Box, ...]  # one per database
    duplicates: Box
    automation: tuple[Box, ...]  # one per reason code
    removed_other: tuple[Box, ...]  # one per reason
    screened: Box
    records_excluded: tuple[Box, ...]  # one per reason code
    awaiting_screening: Box
    sought: Box
    not_retrieved: Box
    awaiting_assessment: Box
    assessed: Box
    reports_excluded: tuple[Box, ...]  # one per reason code
    included: Box
    rules_included: Box

    def boxes(self) -> tuple[Box, ...]:
        """Every box and line, in the diagram's reading order."""
        return _reading_order(self)

    def counts(self) -> PrismaCounts:
        # A column has no box of its own for reports of included studies: one report each.
        return _counts(self, reports_of_included_studies=self.included.count)


@dataclass(frozen=True, slots=True)
class PrismaFlow:
    """Every box of the PRISMA 2020 flow as the records it counts, for the whole review.

    `columns` holds the diagram's columns: one ("databases") when every record
    came from databases and registers, else two, whose boxes have keys of their
    own ("databases.sought", "other.sought").
    """

    identified: tuple[Box, ...]  # one per database
    duplicates: Box
    automation: tuple[Box, ...]  # records marked as ineligible by automation, per reason
    removed_other: tuple[Box, ...]  # one per reason
    screened: Box
    records_excluded: tuple[Box, ...]  # one per reason code, by people
    awaiting_screening: Box
    sought: Box
    rules_included: Box  # of sought, included by the rules without a person
    not_retrieved: Box
    awaiting_assessment: Box
    assessed: Box
    reports_excluded: tuple[Box, ...]  # one per reason code
    included: Box
    included_reports: Box  # reports of included studies
    columns: tuple[Column, ...] = ()

    def boxes(self) -> tuple[Box, ...]:
        """Every box and line, in the diagram's reading order; then the columns' own."""
        whole = (*_reading_order(self), self.included_reports)
        if len(self.columns) < 2:
            return whole
        return (*whole, *(box for column in self.columns for box in column.boxes()))

    def box(self, key: str) -> Box:
        for box in self.boxes():
            if box.key == key:
                return box
        raise KeyError(key)

    def counts(self) -> PrismaCounts:
        return _counts(
            self,
            reports_of_included_studies=self.included_reports.count,
            columns=tuple(c.counts() for c in self.columns) if len(self.columns) > 1 else (),
        )


def _reading_order(flow: Column | PrismaFlow) -> tuple[Box, ...]:
    """The boxes a column and the whole diagram share, in the diagram's reading order."""
    return (
        *flow.identified,
        flow.duplicates,
        *flow.automation,
        *flow.removed_other,
        flow.screened,
        *flow.records_excluded,
        flow.awaiting_screening,
        flow.sought,
        flow.rules_included,
        flow.not_retrieved,
        flow.awaiting_assessment,
        flow.assessed,
        *flow.reports_excluded,
        flow.included,
    )


def _counts(
    flow: Column | PrismaFlow,
    *,
    reports_of_included_studies: int,
    columns: tuple[PrismaCounts, ...] = (),
) -> PrismaCounts:
    """The numbers of a column or of the whole diagram, from its boxes."""
    return PrismaCounts(
        identified=_pairs(flow.identified),
        duplicates_removed=flow.duplicates.count,
        automation=_pairs(flow.automation),
        removed_other=_pairs(flow.removed_other),
        records_screened=flow.screened.count,
        records_excluded=_pairs(flow.records_excluded),
        awaiting_screening=flow.awaiting_screening.count,
        reports_sought=flow.sought.count,
        reports_not_retrieved=flow.not_retrieved.count,
        awaiting_assessment=flow.awaiting_assessment.count,
        reports_assessed=flow.assessed.count,
        reports_excluded=_pairs(flow.reports_excluded),
        studies_included=flow.included.count,
        reports_of_included_studies=reports_of_included_studies,
        rules_included=flow.rules_included.count,
        columns=columns,
    )


def derive_prisma(
    records: Sequence[Record],
    links: Sequence[DuplicateLink],
    decisions: Sequence[Decision],
    removals: Sequence[Removal] = (),
    other_methods: Collection[str] = (),
) -> PrismaFlow:
    """Work out every box from the records, their duplicate links and the decisions.

    `decisions` are the effective ones: at most one per record and stage.
    `other_methods` names the databases (`Source.database`) that are other
    methods (websites, organisations, citation searching): their records form
    the diagram's second column. Raises ReportError when the inputs contradict
    each other (a decision for a duplicate, a full-text decision for a record
    never sought, ...), and when the resulting counts do not add up.
    """
    ids = _record_ids(records)
    duplicate_ids = _duplicate_ids(ids, links)
    canonical = [i for i in ids if i not in duplicate_ids]
    removed = _removed(removals, set(ids), duplicate_ids)
    remaining = [i for i in canonical if i not in removed]
    screening = _by_stage(decisions, set(remaining), duplicate_ids, removed)
    title_abstract = screening["title-abstract"]
    full_text = screening["full-text"]
    for decision in title_abstract.values():
        if decision.outcome == "not-retrieved":
            raise ReportError(
                f"Record {decision.record_id}: 'not-retrieved' is a full-text outcome, "
                "but it was given at the title-abstract stage; correct the decision."
            )

    def by_rules(i: str) -> bool:
        decision = title_abstract.get(i)
        return decision is not None and decision.by == "rules"

    automated = [i for i in remaining if _outcome(title_abstract, i) == "exclude" and by_rules(i)]
    automated_set = set(automated)
    screened = tuple(i for i in remaining if i not in automated_set)
    excluded = [i for i in screened if _outcome(title_abstract, i) == "exclude"]
    sought = tuple(i for i in screened if _outcome(title_abstract, i) == "include")
    awaiting = tuple(i for i in screened if _outcome(title_abstract, i) in ("needs-human", ""))
    sought_set = set(sought)
    for decision in full_text.values():
        if decision.record_id not in sought_set:
            raise ReportError(
                f"Record {decision.record_id} has a full-text decision but was not included "
                "at title/abstract; remove the full-text decision or change the first one."
            )
    not_retrieved = tuple(i for i in sought if _outcome(full_text, i) == "not-retrieved")
    awaiting_assessment = tuple(i for i in sought if _outcome(full_text, i) in ("needs-human", ""))
    assessed = tuple(i for i in sought if _outcome(full_text, i) in ("include", "exclude"))
    reports_excluded = [i for i in assessed if _outcome(full_text, i) == "exclude"]
    included = tuple(i for i in assessed if _outcome(full_text, i) == "include")
    database_of = {r.id: r.source.database or "Unknown source" for r in records}

    whole = Column(
        key="",
        heading="",
        identified=_group("identified", ids, database_of),
        duplicates=Box("duplicates", "", tuple(i for i in ids if i in duplicate_ids)),
        automation=_group(
            "automation", automated, {i: _reason(title_abstract[i]) for i in automated}
        ),
        removed_other=_group("removed", [i for i in canonical if i in removed], removed),
        screened=Box("screened", "", screened),
        records_excluded=_group(
            "records-excluded", excluded, {i: _reason(title_abstract[i]) for i in excluded}
        ),
        awaiting_screening=Box("awaiting-screening", "", awaiting),
        sought=Box("sought", "", sought),
        not_retrieved=Box("not-retrieved", "", not_retrieved),
        awaiting_assessment=Box("awaiting-assessment", "", awaiting_assessment),
        assessed=Box("assessed", "", assessed),
        reports_excluded=_group(
            "reports-excluded",
            reports_excluded,
            {i: _reason(full_text[i]) for i in reports_excluded},
        ),
        included=Box("included", "", included),
        rules_included=Box("rules-included", "rules", tuple(i for i in sought if by_rules(i))),
    )
    columns = _columns(whole, records, links, set(other_methods))
    flow = PrismaFlow(
        identified=whole.identified,
        duplicates=whole.duplicates,
        automation=whole.automation,
        removed_other=whole.removed_other,
        screened=whole.screened,
        records_excluded=whole.records_excluded,
        awaiting_screening=whole.awaiting_screening,
        sought=whole.sought,
        rules_included=whole.rules_included,
        not_retrieved=whole.not_retrieved,
        awaiting_assessment=whole.awaiting_assessment,
        assessed=whole.assessed,
        reports_excluded=whole.reports_excluded,
        included=whole.included,
        included_reports=Box("included-reports", "", included),
        columns=columns,
    )
    flow.counts().check()
    return flow


def _columns(
    whole: Column,
    records: Sequence[Record],
    links: Sequence[DuplicateLink],
    other_methods: set[str],
) -> tuple[Column, ...]:
    """The whole flow split into the template's columns (one when nothing is "other")."""
    other = {r.id for r in records if r.source.database in other_methods}
    if not other:
        return (dataclasses.replace(whole, key="databases", heading=COLUMNS[0][1]),)
    main_of = {r.id: r.id for r in records}
    main_of.update((link.record_id, link.canonical_id) for link in links)
    members: dict[str, list[str]] = {}
    for r in records:
        members.setdefault(main_of[r.id], []).append(r.id)
    # A group is the databases column's when any of its records came from one; that
    # column counts one of those records as the group's, and the rest as duplicates.
    stands_for: dict[str, str] = {}
    for main, group in members.items():
        found = [m for m in group if m not in other]
        if found:
            stands_for[main] = main if main in found else found[0]
    column_of = {main: ("databases" if main in stands_for else "other") for main in members}
    representative = {stands_for[m] for m in stands_for}
    result = []
    for key, heading in COLUMNS:
        mine_main = {m for m, c in column_of.items() if c == key}
        in_column = {r.id for r in records if (r.id in other) == (key == "other")}
        # Databases: every record but the one that stands for its group; other
        # methods: every record but the main copy of a group of their own.
        kept = representative if key == "databases" else mine_main
        duplicates = {i for i in in_column if i not in kept}

        result.append(_part(whole, key, heading, in_column, mine_main, duplicates, records))
    return tuple(result)


def new_records_flow(
    flow: PrismaFlow,
    records: Sequence[Record],
    links: Sequence[DuplicateLink],
    new: Collection[str],
) -> Column:
    """The flow of the records first seen in this version of an updated review.

    PRISMA 2020's diagram for updated reviews counts only new records: a new
    record that joins a group seen before is a duplicate; a group whose main
    copy is new goes through screening as usual. Its boxes' keys start "new.".
    """
    fresh = {r.id for r in records if r.id in set(new)}
    main_of = {r.id: r.id for r in records}
    main_of.update((link.record_id, link.canonical_id) for link in links)
    mains = {main_of[i] for i in fresh if main_of[i] in fresh}
    whole = Column(
        key="",
        heading="",
        identified=flow.identified,
        duplicates=flow.duplicates,
        automation=flow.automation,
        removed_other=flow.removed_other,
        screened=flow.screened,
        records_excluded=flow.records_excluded,
        awaiting_screening=flow.awaiting_screening,
        sought=flow.sought,
        not_retrieved=flow.not_retrieved,
        awaiting_assessment=flow.awaiting_assessment,
        assessed=flow.assessed,
        reports_excluded=flow.reports_excluded,
        included=flow.included,
        rules_included=flow.rules_included,
    )
    column = _part(
        whole,
        "new",
        "Identification of new studies",
        fresh,
        mains,
        {i for i in fresh if i not in mains},
        records,
    )
    column.counts().check()
    return column


def _part(
    whole: Column,
    key: str,
    heading: str,
    identified: set[str],
    mains: set[str],
    duplicates: set[str],
    records: Sequence[Record],
) -> Column:
    """The boxes of `whole` that hold these records (identified) and groups (mains)."""

    def only(box: Box, ids: set[str] = mains) -> Box:
        return Box(f"{key}.{box.key}", box.name, tuple(i for i in box.record_ids if i in ids))

    def each(boxes: tuple[Box, ...], ids: set[str] = mains) -> tuple[Box, ...]:
        return tuple(b for b in (only(b, ids) for b in boxes) if b.count)

    return Column(
        key=key,
        heading=heading,
        identified=each(whole.identified, identified),
        duplicates=Box(f"{key}.duplicates", "", _in_order(records, duplicates)),
        automation=each(whole.automation),
        removed_other=each(whole.removed_other),
        screened=only(whole.screened),
        records_excluded=each(whole.records_excluded),
        awaiting_screening=only(whole.awaiting_screening),
        sought=only(whole.sought),
        not_retrieved=only(whole.not_retrieved),
        awaiting_assessment=only(whole.awaiting_assessment),
        assessed=only(whole.assessed),
        reports_excluded=each(whole.reports_excluded),
        included=only(whole.included),
        rules_included=only(whole.rules_included),
    )


def _in_order(records: Sequence[Record], ids: set[str]) -> tuple[str, ...]:
    return tuple(r.id for r in records if r.id in ids)


def _record_ids(records: Sequence[Record]) -> list[str]:
    ids = [r.id for r in records]
    seen: set[str] = set()
    for record_id in ids:
        if record_id in seen:
            raise ReportError(
                f"Record ID {record_id!r} occurs twice among the identified records; "
                "IDs must be unique within a run."
            )
        seen.add(record_id)
    return ids


def _duplicate_ids(ids: Sequence[str], links: Sequence[DuplicateLink]) -> set[str]:
    known = set(ids)
    duplicates: set[str] = set()
    for link in links:
        for role, record_id in (("record", link.record_id), ("canonical", link.canonical_id)):
            if record_id not in known:
                raise ReportError(
                    f"Duplicate link {link.record_id} → {link.canonical_id}: the {role} "
                    f"{record_id!r} is not among the identified records."
                )
        if link.record_id == link.canonical_id or link.record_id in duplicates:
            raise ReportError(
                f"Duplicate link {link.record_id} → {link.canonical_id}: a record is linked "
                "to itself or more than once; each duplicate has exactly one canonical record."
            )
        duplicates.add(link.record_id)
    for link in links:
        if link.canonical_id in duplicates:
            raise ReportError(
                f"Duplicate link {link.record_id} → {link.canonical_id}: the canonical record "
                "is itself a duplicate; link to the cluster's canonical record instead."
            )
    return duplicates


def _removed(removals: Sequence[Removal], known: set[str], duplicates: set[str]) -> dict[str, str]:
    removed: dict[str, str] = {}
    for removal in removals:
        if removal.record_id not in known or removal.record_id in duplicates:
            what = "a duplicate" if removal.record_id in duplicates else "not an identified record"
            raise ReportError(
                f"Record {removal.record_id} is removed before screening but is {what}; "
                "only canonical records can be removed."
            )
        if removal.record_id in removed:
            raise ReportError(f"Record {removal.record_id} is removed before screening twice.")
        removed[removal.record_id] = removal.reason or NO_REASON
    return removed


def _by_stage(
    decisions: Sequence[Decision],
    screened: set[str],
    duplicates: set[str],
    removed: dict[str, str],
) -> dict[str, dict[str, Decision]]:
    stages: dict[str, dict[str, Decision]] = {"title-abstract": {}, "full-text": {}}
    for decision in decisions:
        record_id = decision.record_id
        if record_id not in screened:
            if record_id in duplicates:
                why = "a duplicate; decisions belong to the canonical record"
            elif record_id in removed:
                why = "removed before screening"
            else:
                why = "not an identified record"
            raise ReportError(f"A {decision.stage} decision names record {record_id}, {why}.")
        stage = stages.get(decision.stage)
        if stage is None:
            raise ReportError(f"Record {record_id}: unknown screening stage {decision.stage!r}.")
        if record_id in stage:
            raise ReportError(
                f"Record {record_id} has two {decision.stage} decisions; pass only the "
                "effective (latest) decision per record and stage."
            )
        stage[record_id] = decision
    return stages


def _outcome(stage: dict[str, Decision], record_id: str) -> str:
    decision = stage.get(record_id)
    return decision.outcome if decision else ""


def _reason(decision: Decision) -> str:
    return decision.reason or NO_REASON


def _group(prefix: str, ids: Sequence[str], name_of: dict[str, str]) -> tuple[Box, ...]:
    """One box per name, in order of the name's first record."""
    groups: dict[str, list[str]] = {}
    for record_id in ids:
        groups.setdefault(name_of[record_id], []).append(record_id)
    boxes: list[Box] = []
    used: set[str] = set()
    for name, members in groups.items():
        # Names that differ only in case or punctuation still get keys of their own.
        base = f"{prefix}.{_slug(name)}"
        key = next(k for n in range(1, len(groups) + 2) if (k := _numbered(base, n)) not in used)
        used.add(key)
        boxes.append(Box(key, name, tuple(members)))
    return tuple(boxes)


def _pairs(boxes: Sequence[Box]) -> tuple[tuple[str, int], ...]:
    return tuple((box.name, box.count) for box in boxes)


def _slug(name: str) -> str:
    slug = "".join(c if c.isalnum() or c in "-_" else "-" for c in name.lower()).strip("-")
    return slug or "unnamed"


def _numbered(base: str, n: int) -> str:
    return base if n == 1 else f"{base}-{n}"
