"""PRISMA 2020 flow-diagram boxes, derived from records, duplicate links and decisions.

Nothing here keeps a tally. Every box is the tuple of record IDs it counts,
worked out from the identified records, the duplicate links and the effective
screening decisions, so each number in a report can be audited record by
record. `PrismaCounts` holds one number per box and `PrismaCounts.check` tests
the flow's arithmetic; every writer calls it before drawing, so an
inconsistent diagram is a `ReportError`, never a picture.

How the boxes are defined (the report's method section says the same):

- Records identified: every record read, per `Source.database`. PubMed searches
  overlap; a PMID is one record however many searches returned it, so PubMed's
  box counts distinct PMIDs and the per-search numbers go in the search section.
- Duplicate records removed: records linked to a canonical record.
- Records removed for other reasons: canonical records the run took out before
  screening with a stated reason (`Removal`), e.g. a PMID that NLM has deleted.
- Records screened: every remaining canonical record. Rule-based exclusions
  are screening decisions made by an automation tool; the excluded box says how
  many came from the rules and how many from reviewers.
- Records awaiting screening: screened records whose title/abstract decision is
  `needs-human`, or that have none yet; they are neither excluded nor sought.
- Reports sought for retrieval: records included at title/abstract.
- Reports not retrieved: full-text decisions `not-retrieved`.
- Reports assessed for eligibility: sought minus not retrieved.
- Reports awaiting assessment: assessed reports with no full-text decision yet
  or a `needs-human` one.
- Reports excluded, one line per reason; studies included: full-text decisions.

The arithmetic, with the two awaiting boxes accounted for:

    identified − duplicates − removed for other reasons = screened
    screened − excluded − awaiting screening            = sought
    sought − not retrieved                              = assessed
    assessed − excluded − awaiting assessment           = included
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from review.dedup import DuplicateLink
from review.errors import ReportError
from review.records import Record
from review.screen import Decision

__all__ = [
    "NO_REASON",
    "Box",
    "PrismaCounts",
    "PrismaFlow",
    "Removal",
    "derive_prisma",
]

NO_REASON = "no-reason-recorded"  # the reason line for an exclusion that names none


@dataclass(frozen=True, slots=True)
class Removal:
    """A canonical record taken out before screening for a reason other than duplication."""

    record_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Box:
    """One box (or one line of a box) of the flow diagram and the records it counts.

    `key` is stable and safe in URLs and HTML ids ("duplicates",
    "reports-excluded.not-kratom"); `name` is what the line is about: a
    database, a reason code, or "" for a box that has a single number.
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
    removed_other: tuple[tuple[str, int], ...]  # (reason, records)
    records_screened: int
    records_excluded: tuple[tuple[str, int], ...]  # (reason code, records)
    records_excluded_by_rules: int
    awaiting_screening: int
    reports_sought: int
    reports_not_retrieved: int
    reports_assessed: int
    reports_excluded: tuple[tuple[str, int], ...]  # (reason code, reports)
    awaiting_assessment: int
    studies_included: int

    @property
    def identified_total(self) -> int:
        return sum(n for _, n in self.identified)

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
                "identified − duplicates − removed for other reasons = screened",
                self.identified_total - self.duplicates_removed - self.removed_other_total,
                self.records_screened,
            ),
            (
                "screened − excluded − awaiting screening = sought",
                self.records_screened - self.records_excluded_total - self.awaiting_screening,
                self.reports_sought,
            ),
            (
                "sought − not retrieved = assessed",
                self.reports_sought - self.reports_not_retrieved,
                self.reports_assessed,
            ),
            (
                "assessed − excluded − awaiting assessment = included",
                self.reports_assessed - self.reports_excluded_total - self.awaiting_assessment,
                self.studies_included,
            ),
        )
        for text, left, right in equations:
            if left != right:
                raise ReportError(
                    f"PRISMA flow does not add up: {text} gives {left}, but the diagram "
                    f"has {right}; the report was not written."
                )
        if self.records_excluded_by_rules > self.records_excluded_total:
            raise ReportError(
                f"PRISMA flow: {self.records_excluded_by_rules} records excluded by rules, "
                f"more than the {self.records_excluded_total} excluded in all."
            )

    def _numbers(self) -> Iterable[tuple[str, int]]:
        for database, n in self.identified:
            yield f"records identified from {database}", n
        for reason, n in self.removed_other:
            yield f"records removed ({reason})", n
        for reason, n in self.records_excluded:
            yield f"records excluded ({reason})", n
        for reason, n in self.reports_excluded:
            yield f"reports excluded ({reason})", n
        yield "duplicates removed", self.duplicates_removed
        yield "records screened", self.records_screened
        yield "records excluded by rules", self.records_excluded_by_rules
        yield "records awaiting screening", self.awaiting_screening
        yield "reports sought", self.reports_sought
        yield "reports not retrieved", self.reports_not_retrieved
        yield "reports assessed", self.reports_assessed
        yield "reports awaiting assessment", self.awaiting_assessment
        yield "studies included", self.studies_included


@dataclass(frozen=True, slots=True)
class PrismaFlow:
    """Every box of the PRISMA 2020 flow as the records it counts."""

    identified: tuple[Box, ...]  # one per database
    duplicates: Box
    removed_other: tuple[Box, ...]  # one per reason
    screened: Box
    records_excluded: tuple[Box, ...]  # one per reason code
    records_excluded_by_rules: Box
    awaiting_screening: Box
    sought: Box
    not_retrieved: Box
    assessed: Box
    reports_excluded: tuple[Box, ...]  # one per reason code
    awaiting_assessment: Box
    included: Box

    def boxes(self) -> tuple[Box, ...]:
        """Every box and line, in the diagram's reading order."""
        return (
            *self.identified,
            self.duplicates,
            *self.removed_other,
            self.screened,
            *self.records_excluded,
            self.records_excluded_by_rules,
            self.awaiting_screening,
            self.sought,
            self.not_retrieved,
            self.assessed,
            *self.reports_excluded,
            self.awaiting_assessment,
            self.included,
        )

    def box(self, key: str) -> Box:
        for box in self.boxes():
            if box.key == key:
                return box
        raise KeyError(key)

    def counts(self) -> PrismaCounts:
        return PrismaCounts(
            identified=_pairs(self.identified),
            duplicates_removed=self.duplicates.count,
            removed_other=_pairs(self.removed_other),
            records_screened=self.screened.count,
            records_excluded=_pairs(self.records_excluded),
            records_excluded_by_rules=self.records_excluded_by_rules.count,
            awaiting_screening=self.awaiting_screening.count,
            reports_sought=self.sought.count,
            reports_not_retrieved=self.not_retrieved.count,
            reports_assessed=self.assessed.count,
            reports_excluded=_pairs(self.reports_excluded),
            awaiting_assessment=self.awaiting_assessment.count,
            studies_included=self.included.count,
        )


def derive_prisma(
    records: Sequence[Record],
    links: Sequence[DuplicateLink],
    decisions: Sequence[Decision],
    removals: Sequence[Removal] = (),
) -> PrismaFlow:
    """Work out every box from the records, their duplicate links and the decisions.

    `decisions` are the effective ones: at most one per record and stage.
    Raises ReportError when the inputs contradict each other (a decision for a
    duplicate, a full-text decision for a record never sought, ...), and when
    the resulting counts do not add up.
    """
    ids = _record_ids(records)
    duplicate_ids = _duplicate_ids(ids, links)
    canonical = [i for i in ids if i not in duplicate_ids]
    removed = _removed(removals, set(ids), duplicate_ids)
    screened = tuple(i for i in canonical if i not in removed)
    screening = _by_stage(decisions, set(screened), duplicate_ids, removed)
    title_abstract = screening["title-abstract"]
    full_text = screening["full-text"]

    excluded = [i for i in screened if _outcome(title_abstract, i) == "exclude"]
    sought = tuple(i for i in screened if _outcome(title_abstract, i) == "include")
    awaiting = tuple(i for i in screened if _outcome(title_abstract, i) in ("needs-human", ""))
    for decision in title_abstract.values():
        if decision.outcome == "not-retrieved":
            raise ReportError(
                f"Record {decision.record_id}: 'not-retrieved' is a full-text outcome, "
                "but it was given at the title-abstract stage; correct the decision."
            )
    sought_set = set(sought)
    for decision in full_text.values():
        if decision.record_id not in sought_set:
            raise ReportError(
                f"Record {decision.record_id} has a full-text decision but was not included "
                "at title/abstract; remove the full-text decision or change the first one."
            )
    not_retrieved = tuple(i for i in sought if _outcome(full_text, i) == "not-retrieved")
    assessed = tuple(i for i in sought if _outcome(full_text, i) != "not-retrieved")
    reports_excluded = [i for i in assessed if _outcome(full_text, i) == "exclude"]
    awaiting_assessment = tuple(
        i for i in assessed if _outcome(full_text, i) in ("needs-human", "")
    )
    included = tuple(i for i in assessed if _outcome(full_text, i) == "include")

    flow = PrismaFlow(
        identified=_group(
            "identified", ids, {r.id: r.source.database or "Unknown source" for r in records}
        ),
        duplicates=Box("duplicates", "", tuple(i for i in ids if i in duplicate_ids)),
        removed_other=_group("removed", [i for i in canonical if i in removed], removed),
        screened=Box("screened", "", screened),
        records_excluded=_group(
            "records-excluded", excluded, {i: _reason(title_abstract[i]) for i in excluded}
        ),
        records_excluded_by_rules=Box(
            "records-excluded-by-rules",
            "rules",
            tuple(i for i in excluded if title_abstract[i].by == "rules"),
        ),
        awaiting_screening=Box("awaiting-screening", "", awaiting),
        sought=Box("sought", "", sought),
        not_retrieved=Box("not-retrieved", "", not_retrieved),
        assessed=Box("assessed", "", assessed),
        reports_excluded=_group(
            "reports-excluded",
            reports_excluded,
            {i: _reason(full_text[i]) for i in reports_excluded},
        ),
        awaiting_assessment=Box("awaiting-assessment", "", awaiting_assessment),
        included=Box("included", "", included),
    )
    flow.counts().check()
    return flow


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
