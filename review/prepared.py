"""`PreparedReview`: everything the report counts, before it is written.

`review.pipeline.prepare_review` makes one; the report, `review screen`, `review
serve` and the run history read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from review.dedup import DedupResult
from review.history import History, RunEntry, RunKind, SearchCount
from review.identity import Groups, main_of
from review.prisma import Removal
from review.protocol import Protocol, SourceMethod
from review.records import ImportProblem, ImportResult, Record
from review.screen import Decision
from review.search import SearchLogEntry
from review.search_plan import SearchPlan
from review.update import UPDATE_MARK, base_name

__all__ = ["Imported", "PreparedReview", "groups_of", "searched_on", "this_run"]


@dataclass(frozen=True, slots=True)
class Imported:
    """One other-source file as read: what the report's sources section lists."""

    path: Path
    database: str  # as the protocol names it, or "" when the file names its own
    result: ImportResult
    exported_on: str = ""  # from the protocol's [[sources]]
    note: str = ""
    method: SourceMethod = "database"


@dataclass(frozen=True, slots=True)
class PreparedReview:
    """Everything the report counts, before it is written."""

    protocol: Protocol
    plan: SearchPlan
    search_log: tuple[SearchLogEntry, ...]
    imports: tuple[Imported, ...]  # protocol [[sources]], then files from the command line
    records: tuple[Record, ...]  # every record identified, PubMed first, then each file
    problems: tuple[ImportProblem, ...]  # entries that could not be read (kept out)
    dedup: DedupResult
    removals: tuple[Removal, ...]  # canonical records not screened, e.g. deleted by NLM
    rule_decisions: tuple[Decision, ...]
    human_decisions: tuple[Decision, ...]  # the people's final word, on records in this run
    orphan_decisions: tuple[Decision, ...]  # people's decisions on records not screened now
    decisions: tuple[Decision, ...]  # effective: a person's where there is one, else the rules'
    history: History = field(default_factory=History)  # what earlier runs saw (`review.history`)
    updates: tuple[SearchLogEntry, ...] = ()  # the update searches (SearchOutput.updates)

    def groups(self) -> Groups:
        """The duplicate groups people's decisions count through (`review.identity`)."""
        return groups_of(self.dedup, self.removals, self.history, self.records)


def groups_of(
    dedup: DedupResult, removals: Sequence[Removal], history: History, records: Sequence[Record]
) -> Groups:
    """A run's duplicate groups; a group removed before screening is not screened."""
    mains = main_of(dedup)
    removed = {r.record_id for r in removals}
    return Groups(
        mains=mains,
        records=records,
        fingerprints=history.fingerprints,
        screened={rid: main for rid, main in mains.items() if main not in removed},
    )


def this_run(review: PreparedReview, kind: RunKind) -> RunEntry:
    """This run as the history will hold it: for an update, its entry-date searches."""
    seen = review.history.first_run
    last = review.history.last
    entries = review.search_log
    if kind == "update":
        # This run's own entry-date searches; none when the searches are a snapshot's.
        mark = f"{UPDATE_MARK}{last.searched_on}" if last else UPDATE_MARK
        entries = tuple(u for u in review.updates if u.name.endswith(mark))
    searches = tuple(
        SearchCount(
            base_name(e.name),
            e.retrieved,
            sum(1 for p in e.pmids if p not in seen),
            e.mindate,
            e.maxdate,
            e.datetype,
        )
        for e in entries
    )
    included = tuple(
        d.record_id for d in review.decisions if d.stage == "full-text" and d.outcome == "include"
    )
    return RunEntry(
        number=len(review.history.runs) + 1,
        kind=kind,
        at="",
        searched_on=searched_on(review),
        records=len(review.records),
        new_records=sum(1 for r in review.records if r.id not in seen),
        searches=searches,
        included=included,
    )


def searched_on(review: PreparedReview) -> str:
    """The day of a run's searches: the snapshot's day, or the latest search's."""
    if review.plan.snapshot is not None:
        return review.plan.snapshot.date
    days = [e.searched_at[:10] for e in review.search_log if e.searched_at]
    return max(days) if days else datetime.now(UTC).date().isoformat()
