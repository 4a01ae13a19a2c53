"""The whole review in one call: protocol → search → records → dedup → screen → report.

Only this module knows the order of the stages. Each stage is a function held
in `Stages`, so a test (or another front end) can swap one for a fake and run
the rest on small inputs without network. The stages themselves live elsewhere:
where PubMed answers come from in `review.search_plan` (the bundled snapshot in
`review.snapshot`), searching and reading PubMed in `review.pubmed_stage`,
people's stored decisions in `review.stored_decisions`, the report in
`review.report_stage`, run history in `review.history`.

`prepare_review` runs everything up to the screening decisions and returns them
as a `PreparedReview`; `run` adds the report. `review screen` and `review
explain` call `prepare_review` so that they see exactly the records and
decisions the report counts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from review.dedup import DedupResult, PairDecisions, keep_latest_versions
from review.errors import InputError
from review.history import History, RunEntry, RunKind, read_history, record_run
from review.identity import earlier_mains, keep_main_copies
from review.prepared import Imported, PreparedReview, groups_of, this_run
from review.prisma import Removal
from review.protocol import Criteria, ImportSource, Protocol
from review.pubmed_stage import (
    ReadPubmed,
    SearchOutput,
    pubmed_records,
    read_pubmed_document,
    search_pubmed,
)
from review.records import DatabaseNames, ImportProblem, ImportResult, Record
from review.report_stage import write_review_report
from review.run_settings import RunSettings
from review.screen import Decision
from review.search_plan import SearchPlan, plan_search
from review.snapshot import label_stand_ins
from review.stored_decisions import (
    stored_human_decisions,
    stored_pair_decisions,
    stored_resolutions,
)

__all__ = [
    "DELETED_BY_NLM",
    "PreparedReview",
    "RunResult",
    "RunSettings",
    "Stages",
    "default_stages",
    "prepare_review",
    "remember_run",
    "renamed_ids",
    "run",
    "unique_ids",
    "update",
    "with_human_decisions",
]

DELETED_BY_NLM = "Deleted from PubMed by NLM"


SearchStage = Callable[[Protocol, SearchPlan, RunSettings], SearchOutput]
ReadFile = Callable[[Path, "str | None"], ImportResult]
Deduplicate = Callable[[Sequence[Record], PairDecisions], DedupResult]
PairDecisionsReader = Callable[[Protocol, RunSettings, Collection[str]], PairDecisions]
ScreenRules = Callable[[Sequence[Record], Criteria], tuple[Decision, ...]]
HumanDecisions = Callable[[Protocol], tuple[Decision, ...]]
Combine = Callable[[Iterable[Decision], Iterable[Decision]], tuple[Decision, ...]]
WriteReport = Callable[["PreparedReview", RunSettings, Path], tuple[Path, ...]]
ReadHistory = Callable[[Protocol], History]


@dataclass(frozen=True, slots=True)
class Stages:
    """The function behind each stage; `default_stages()` gives the real ones."""

    search: SearchStage
    read_pubmed: ReadPubmed
    read_file: ReadFile
    pair_decisions: PairDecisionsReader
    deduplicate: Deduplicate
    screen: ScreenRules
    human_decisions: HumanDecisions
    combine: Combine
    write_report: WriteReport
    # People's resolutions of conflicts, so a clash between copies of one record that a
    # person settled on its main copy stays settled (`review.identity.group_decisions`).
    resolutions: HumanDecisions = lambda protocol: ()
    history: ReadHistory = lambda protocol: History()


@dataclass(frozen=True, slots=True)
class RunResult:
    review: PreparedReview
    out_dir: Path
    files: tuple[Path, ...]
    kind: RunKind = "run"  # "update" for `review update`


# --- the stages in order ----------------------------------------------------------------


def prepare_review(
    protocol: Protocol, settings: RunSettings, stages: Stages | None = None
) -> PreparedReview:
    """Search, read every source, deduplicate and screen; writes nothing but the cache."""
    stages = stages or default_stages(keep_going=settings.keep_going)
    plan = plan_search(protocol, settings)
    found = stages.search(protocol, plan, settings)
    pubmed = label_stand_ins(pubmed_records(found, stages.read_pubmed), plan.snapshot)
    names = DatabaseNames()  # "Scopus" and "scopus" are one database
    names("PubMed")
    sources = [
        *protocol.sources,
        *(f if isinstance(f, ImportSource) else ImportSource(f, "") for f in settings.extra_files),
    ]
    imports = []
    for source in sources:
        database = names(source.database) if source.database else ""
        result = one_spelling(stages.read_file(source.path, database or None), names)
        imports.append(
            Imported(source.path, database, result, source.exported_on, source.note, source.method)
        )
    # An NLM update file may hold a PMID twice: the later version replaces the earlier.
    latest = [keep_latest_versions(i.result.records) for i in imports]
    read = [*pubmed.records, *(r for kept, _ in latest for r in kept)]
    records = unique_ids(read)
    problems = (
        *pubmed.problems,
        *(p for i in imports for p in i.result.problems),
        *(p for _, replaced in latest for p in replaced),
        *renamed_ids(read, records),
    )

    history = stages.history(protocol)
    found_pairs = stages.pair_decisions(protocol, settings, {r.id for r in records})
    # The main copy of a group stays the one people saw in earlier runs (review.identity).
    kept = earlier_mains(history.mains, history.fingerprints, records)
    dedup = keep_main_copies(stages.deduplicate(records, found_pairs), kept)
    deleted = {pmid for i in imports for pmid in i.result.deleted_pmids}
    removals = tuple(Removal(r.id, DELETED_BY_NLM) for r in dedup.canonical if r.pmid in deleted)
    removed = {r.record_id for r in removals}
    to_screen = [r for r in dedup.canonical if r.id not in removed]
    rules = stages.screen(to_screen, protocol.criteria)
    # A person's decision counts for its record's duplicate group, whichever copy it
    # names; one on a record whose ID changed follows the record's fingerprint.
    human, orphans = groups_of(dedup, removals, history, records).settle(
        stages.human_decisions(protocol), stages.resolutions(protocol)
    )
    return PreparedReview(
        protocol=protocol,
        plan=plan,
        search_log=found.log,
        imports=tuple(imports),
        records=tuple(records),
        problems=problems,
        dedup=dedup,
        removals=removals,
        rule_decisions=rules,
        human_decisions=human,
        orphan_decisions=orphans,
        decisions=stages.combine(rules, human),
        history=history,
        updates=found.updates,
    )


def one_spelling(result: ImportResult, names: DatabaseNames) -> ImportResult:
    """The result with each record's database spelled as `names` spells it."""
    renamed = [
        r
        if names(r.source.database) == r.source.database
        else dataclasses.replace(
            r, source=dataclasses.replace(r.source, database=names(r.source.database))
        )
        for r in result.records
    ]
    return dataclasses.replace(result, records=tuple(renamed))


def run(protocol: Protocol, settings: RunSettings, stages: Stages | None = None) -> RunResult:
    """Every stage, then the report in `settings.report_dir(protocol)`."""
    stages = stages or default_stages(keep_going=settings.keep_going)
    review = prepare_review(protocol, settings, stages)
    out_dir = settings.report_dir(protocol)
    files = stages.write_report(review, settings, out_dir)
    kind: RunKind = "update" if settings.update else "run"
    if settings.remember:
        remember_run(review, kind, settings.generated_at)
    return RunResult(review, out_dir, files, kind)


def update(protocol: Protocol, settings: RunSettings, stages: Stages | None = None) -> RunResult:
    """`review update`: `run`, with every search re-run for what PubMed entered since the
    last run's searches (review.update); refuses a review that has never been run."""
    history = (stages.history if stages else read_history)(protocol)
    if not history.runs:
        raise InputError(
            f"{protocol.path}: this review has no earlier run to update; run "
            f"`review run {protocol.path}` first."
        )
    return run(protocol, dataclasses.replace(settings, update=True), stages)


def remember_run(review: PreparedReview, kind: RunKind, at: str = "") -> RunEntry:
    """Add this run to the review's history: its searches, records and main copies."""
    entry = this_run(review, kind)
    return record_run(
        review.protocol,
        kind,
        at=at or datetime.now(UTC).isoformat(timespec="seconds"),
        searched_on=entry.searched_on,
        records=review.records,
        mains=(r.id for r in review.dedup.canonical),
        searches=entry.searches,
        included=entry.included,
    )


def unique_ids(records: Sequence[Record]) -> list[Record]:
    """Records whose id clashes with an earlier one get "<database>:<id>".

    Ids key human decisions, so they must be unique and must not change between
    runs; a clash (an imported MEDLINE file uses PMIDs as ids too) is renamed the
    same way every time rather than dropped.
    """
    seen: set[str] = set()
    result: list[Record] = []
    for record in records:
        new_id = record.id
        if new_id in seen:
            new_id = f"{record.source.database}:{record.id}"
        if new_id in seen:
            new_id = f"{record.source.file or record.source.database}:{record.source.position}"
        if new_id in seen:
            raise InputError(
                f"{record.source.file}: record {record.id!r} appears twice under the "
                "same name; give each file a distinct name or ID column."
            )
        seen.add(new_id)
        result.append(record if new_id == record.id else dataclasses.replace(record, id=new_id))
    return result


def renamed_ids(records: Sequence[Record], renamed: Sequence[Record]) -> tuple[ImportProblem, ...]:
    """One note per file whose records `unique_ids` renamed, naming the new form.

    People's decisions are kept by ID, so a reviewer looking for "24698080" must
    learn that the Embase copy is "Embase:24698080". `renamed` is `unique_ids(records)`.
    The note's position is 0: it is about the file, not one entry.
    """
    first_from: dict[str, str] = {}
    clashes: dict[str, list[tuple[Record, str]]] = {}
    for before, after in zip(records, renamed, strict=True):
        where = before.source.file or f"the {before.source.database} searches"
        if before.id == after.id:
            first_from.setdefault(before.id, where)
            continue
        clashes.setdefault(before.source.file or before.source.database, []).append(
            (before, after.id)
        )
    return tuple(
        ImportProblem(file, 0, _renamed_note(found, first_from), kept=True)
        for file, found in clashes.items()
    )


def _renamed_note(found: Sequence[tuple[Record, str]], first_from: dict[str, str]) -> str:
    first, _ = found[0]
    database = first.source.database
    named = f"'{database}:<id>'"
    if any(new != f"{r.source.database}:{r.id}" for r, new in found):
        named += " or, where that is taken too, '<file>:<position>'"
    one = len(found) == 1
    earlier = first_from.get(first.id, "this file")
    where = "earlier in this file" if earlier == first.source.file else f"also in {earlier}"
    return (
        f"{len(found)} record{' shares' if one else 's share'} an ID with an earlier record "
        f"and {'is' if one else 'are'} named {named} (first: {first.id}, {where}); screening "
        f"decisions are kept under {'this name' if one else 'these names'}."
    )


# --- the real stages ------------------------------------------------------------------------


def default_stages(*, keep_going: bool = False) -> Stages:
    """The real stages. Imported here so that a test of one stage loads only that one.

    With `keep_going`, an input file that yields no record is read as empty."""
    from review.dedup import deduplicate
    from review.formats import read_records
    from review.screen import effective_decisions, screen_records

    return Stages(
        search=search_pubmed,
        read_pubmed=read_pubmed_document,
        read_file=lambda path, database: read_records(
            path, database=database, keep_going=keep_going
        ),
        pair_decisions=stored_pair_decisions,
        deduplicate=lambda records, people: deduplicate(
            records, pair_decisions=people.decisions, reviewers=people.reviewers
        ),
        screen=lambda records, criteria: screen_records(records, criteria),
        human_decisions=stored_human_decisions,
        combine=effective_decisions,
        write_report=write_review_report,
        resolutions=stored_resolutions,
        history=read_history,
    )


def with_human_decisions(
    review: PreparedReview, people: Sequence[Decision], resolutions: Sequence[Decision]
) -> PreparedReview:
    """The same review with people's decisions as they stand now (`review serve` re-reads
    the store for its dashboard), followed and grouped as `prepare_review` does."""
    from review.screen import effective_decisions

    human, orphans = review.groups().settle(people, resolutions)
    return dataclasses.replace(
        review,
        human_decisions=human,
        orphan_decisions=orphans,
        decisions=effective_decisions(review.rule_decisions, human),
    )
