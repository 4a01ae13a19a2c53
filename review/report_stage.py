"""The report stage: a prepared review handed to the report writers.

`review_report_input` turns a `PreparedReview` into the report's `ReportInput`;
`write_review_report` writes the report, and beside it the pairs of records too
close to call for a person to decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from review.history import RunKind
from review.prepared import PreparedReview, this_run
from review.protocol import Protocol
from review.records import ImportProblem, ImportResult, Record
from review.run_settings import RunSettings
from review.screen import Decision
from review.snapshot import stand_in_ids

if TYPE_CHECKING:
    from review.report.model import ReportInput

__all__ = ["UNDECIDED_PAIRS", "awaiting_relevance", "review_report_input", "write_review_report"]

UNDECIDED_PAIRS = "undecided-pairs.csv"  # written beside the report when there are any
FINAL_FULL_TEXT = ("include", "exclude", "not-retrieved")


def write_review_report(
    review: PreparedReview, settings: RunSettings, out_dir: Path
) -> tuple[Path, ...]:
    """Hand everything the report counts to the report writers."""
    from review.dedup import write_undecided
    from review.report import write_report

    files = write_report(review_report_input(review, settings), out_dir)
    if not review.dedup.undecided:
        return tuple(files)
    # Pairs too close to call, as a CSV a person fills in and saves as the protocol's
    # pair-decisions file; the next run applies it.
    undecided = out_dir / UNDECIDED_PAIRS
    write_undecided(review.dedup, undecided)
    return (*files, undecided)


def review_report_input(
    review: PreparedReview, settings: RunSettings, *, ranked: bool = True
) -> ReportInput:
    """Everything the report counts, from a prepared review; `ranked=False` leaves the
    records awaiting a person unranked (the web dashboard wants the counts alone)."""
    from review import __version__
    from review.report.model import OtherSource, PreviousVersion, ReportInput, RunView
    from review.screen import held_full_text
    from review.stopping import protocol_rule, screening_stop, unscreened_statement

    stop = screening_stop(
        review.rule_decisions, review.human_decisions, protocol_rule(review.protocol)
    )

    kind: RunKind = "update" if settings.update else "run"
    last = review.history.last
    screened = {d.record_id for d in review.rule_decisions}
    relevance, ranked_by = (
        awaiting_relevance(
            [r for r in review.dedup.canonical if r.id in screened],
            review.human_decisions,
            review.decisions,
            review.protocol,
        )
        if ranked
        else ({}, "")
    )
    return ReportInput(
        stopping=unscreened_statement(stop),
        relevance=relevance,
        ranked_by=ranked_by,
        protocol=review.protocol,
        searches=review.search_log,
        dedup=review.dedup,
        decisions=review.decisions,
        generated_at=settings.generated_at or datetime.now(UTC).isoformat(timespec="seconds"),
        tool_version=__version__,
        dedup_software=f"review {__version__} (review.dedup)",
        other_sources=tuple(
            OtherSource(
                database=i.database or _database_of(i.result),
                file=i.path.name,
                exported_on=i.exported_on,
                problems=sum(1 for p in i.result.problems if not _about_the_file(p)),
                note="; ".join(filter(None, (i.note, *_file_notes(review, i.path.name)))),
                method=i.method,
            )
            for i in review.imports
        ),
        removals=review.removals,
        snapshot=review.plan.provenance if review.plan.snapshot is not None else None,
        uncounted_decisions=review.orphan_decisions,
        held_full_text=held_full_text(review.rule_decisions, review.human_decisions),
        search_notes=review.plan.snapshot.search_notes if review.plan.snapshot else (),
        stand_ins=stand_in_ids(review.records, review.plan.snapshot),
        runs=tuple(
            RunView(
                r.number,
                r.kind,
                r.searched_on,
                r.records,
                r.new_records,
                tuple((s.name, s.count, s.new) for s in r.searches),
            )
            for r in (*review.history.runs, this_run(review, kind))
        ),
        previous=PreviousVersion(
            last.searched_on, last.included, frozenset(review.history.first_run)
        )
        if kind == "update" and last is not None
        else None,
    )


def awaiting_relevance(
    records: Sequence[Record],
    people: Sequence[Decision],
    decisions: Sequence[Decision],
    protocol: Protocol,
) -> tuple[dict[str, float], str]:
    """The screened `records` in the order `review screen` shows them (most likely
    relevant first) with their predicted relevance, and how they were ranked; nothing
    when no record awaits a person (a finished review is not ranked for nothing).

    The ranking is the screeners' own (`review.screener.people_ranker`) over the same
    records (the main copies the rules screened), taught the same decisions: `people`,
    people's final decisions per duplicate group; `decisions`, the effective ones.
    """
    from review.screener import people_ranker

    if not _awaits_a_person(records, decisions):
        return {}, ""
    with people_ranker(records, people, protocol) as ranker:
        scores = ranker.ranking().scores
        return (
            {r.id: float(scores[ranker.index[r.id]]) for r in ranker.order(records)},
            ranker.describe(),
        )


def _awaits_a_person(records: Sequence[Record], decisions: Sequence[Decision]) -> bool:
    """Whether any record lacks a final word: a title/abstract exclusion, or a
    full-text decision after a title/abstract inclusion."""
    outcome = {(d.record_id, d.stage): d.outcome for d in decisions}
    for record in records:
        abstract = outcome.get((record.id, "title-abstract"))
        if abstract == "exclude":
            continue
        if abstract == "include" and outcome.get((record.id, "full-text")) in FINAL_FULL_TEXT:
            continue
        return True
    return False


def _database_of(result: ImportResult) -> str:
    databases = sorted({r.source.database for r in result.records})
    return "; ".join(databases)


def _file_notes(review: PreparedReview, file: str) -> list[str]:
    """What the run says about a file as a whole (its records renamed, sheets not read),
    for its row."""
    return [p.message for p in review.problems if _about_the_file(p) and p.file == file]


def _about_the_file(problem: ImportProblem) -> bool:
    """A note on the whole file, no entry left out: not one of its unreadable entries."""
    return problem.kept and problem.position == 0
