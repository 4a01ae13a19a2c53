"""`review screen PROTOCOL`: screen records one key at a time; every decision is saved at once.

Records come from the pipeline (search cache, the protocol's sources,
deduplicated), or, with `--records FILE...`, from those files alone. The
helpers here (`add_record_options`, `screening_input`, `reviewer_name`) are
shared by `review explain` and `review decisions`.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import textwrap
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from review.decisions import RESERVED_NAMES, DecisionStore
from review.errors import InputError
from review.protocol import Protocol, load_protocol
from review.records import Record
from review.screen import (
    SKIP_HELP,
    Decision,
    Stage,
    effective_decisions,
    full_text_counts,
    held_full_text,
    held_lines,
    screen_records,
    title_abstract_counts,
)

if TYPE_CHECKING:
    from review.pipeline import PreparedReview, RunSettings
    from review.rank import RecordRanker

if TYPE_CHECKING:
    from review.dedup import DedupResult
    from review.identity import Groups

__all__ = [
    "REVIEWER_ENV",
    "ScreeningInput",
    "add_record_options",
    "people_now",
    "pipeline_settings",
    "prepared_input",
    "register",
    "reviewer_name",
    "screening_input",
]

REVIEWER_ENV = "REVIEW_REVIEWER"


@dataclass(frozen=True, slots=True)
class ScreeningInput:
    records: tuple[Record, ...]
    rule_decisions: tuple[Decision, ...]
    dedup: DedupResult | None = None  # the pipeline's deduplication, when it ran
    # its duplicate groups: people's decisions count per group (review.identity)
    groups: Groups | None = None
    prepared: PreparedReview | None = None  # the whole prepared review, when the pipeline ran


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "screen",
        help="screen records in the terminal (include, exclude with a reason, unsure)",
        description="Show each record the rules left to people, with its matched terms "
        "highlighted, and store each key press as a decision at once, in "
        "<protocol dir>/<name>.decisions.sqlite. Keys: i include, e exclude (then a "
        "reason), u unsure, s skip, z undo, q quit; at the full-text stage n not "
        "retrieved. Quitting or a crash loses nothing; the next session resumes. "
        f"{SKIP_HELP[0].upper()}{SKIP_HELP[1:]}.",
    )
    parser.add_argument("protocol", type=Path, help="the protocol file, e.g. queries/kratom.toml")
    parser.add_argument(
        "--reviewer", help=f"your name, stored with every decision (env {REVIEWER_ENV})"
    )
    parser.add_argument(
        "--stage",
        choices=("title-abstract", "full-text"),
        default="title-abstract",
        help="title-abstract (default) or full-text: the records included at title/abstract",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="title/abstract: also records the rules settled (to check them)",
    )
    parser.add_argument(
        "--unsure", action="store_true", help="show again the records you marked unsure"
    )
    parser.add_argument(
        "--order",
        choices=("ranked", "input"),
        default="ranked",
        help="ranked (default): most likely relevant first, learning from every decision; "
        "input: the records' own order",
    )
    add_record_options(parser)
    parser.set_defaults(handler=handle)


def add_record_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--records",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="screen the records of these files (any format review reads) instead of "
        "the pipeline's deduplicated records",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="pipeline: replay the cache, send nothing (always so; kept for scripts)",
    )
    parser.add_argument("--cache", type=Path, metavar="DIR", help="pipeline: cache folder")


def handle(options: argparse.Namespace) -> int:
    reviewer = reviewer_name(options.reviewer)
    protocol = load_protocol(options.protocol)
    found = screening_input(protocol, options)
    stage: Stage = options.stage
    # With rich and scikit-learn: not needed to build the parser.
    from review.screener import queue_ranker, screening_queue, stop_status
    from review.stopping import protocol_rule

    with DecisionStore.for_protocol(protocol) as store, ExitStack() as stack:
        ranker = None
        if options.order == "ranked":
            ranker = queue_ranker(
                found.records, store, protocol, background=True, groups=found.groups
            )
            stack.callback(ranker.close)
        queue = screening_queue(
            found.records,
            found.rule_decisions,
            store,
            reviewer,
            stage,
            everything=options.all,
            unsure_again=options.unsure,
            order=options.order,
            ranker=ranker,
            groups=found.groups,
        )
        effective = effective_decisions(found.rule_decisions, people_now(found, store))
        if not queue and stage == "full-text" and not full_text_counts(effective).sought:
            print(
                "No record is included at title/abstract yet, so there is no full text to "
                f"screen: `review screen {shlex.quote(str(options.protocol))} --reviewer "
                f"{shlex.quote(reviewer)}` screens "
                "titles and abstracts first."
            )
        elif not queue:
            print(f"Nothing left for {reviewer} to screen at {stage}; decisions: {store.path}")
        else:
            _screen(protocol, found, store, reviewer, stage, queue, ranker)
        people = people_now(found, store)
        summary = "\n".join(
            [
                stage_summary(effective_decisions(found.rule_decisions, people)),
                *held_lines(held_full_text(found.rule_decisions, people)),
            ]
        )
        stop = stop_status(
            found.records, found.rule_decisions, store, protocol_rule(protocol), groups=found.groups
        )
        if stop.total:
            summary += "\n" + stop.describe()
        print(_fitted(summary))
    return 0


def _screen(
    protocol: Protocol,
    found: ScreeningInput,
    store: DecisionStore,
    reviewer: str,
    stage: Stage,
    queue: list[Record],
    ranker: RecordRanker | None,
) -> None:
    from review.screener import (
        TerminalKeys,
        console_for_terminal,
        run_screener,
    )
    from review.stopping import protocol_rule

    with TerminalKeys() as keys:
        run_screener(
            queue,
            found.rule_decisions,
            protocol.criteria,
            store,
            reviewer,
            stage,
            keys,
            console_for_terminal(),
            found.records,
            ranker=ranker,
            stopping=True,
            rule=protocol_rule(protocol),
            groups=found.groups,
        )


def _fitted(text: str) -> str:
    """Lines wrapped between words to the terminal's width (a pipe gets them whole)."""
    if not sys.stdout.isatty():
        return text
    width = shutil.get_terminal_size().columns
    return "\n".join(textwrap.fill(line, width) for line in text.splitlines())


def people_now(found: ScreeningInput, store: DecisionStore) -> tuple[Decision, ...]:
    """People's final decisions as `review run` counts them: per duplicate group, followed
    to renamed records; decisions on records not screened now are left out."""
    if found.groups is not None:
        resolutions = store.current(kind="resolution")
        return found.groups.settle(store.final_decisions(), resolutions)[0]
    ids = {r.id for r in found.records}
    return tuple(d for d in store.final_decisions() if d.record_id in ids)


def stage_summary(effective: tuple[Decision, ...]) -> str:
    """Where the review stands, both stages, in PRISMA's terms."""
    ta = title_abstract_counts(effective)
    ft = full_text_counts(effective)
    marked = f"{ta.automated} marked ineligible by the protocol rules; " if ta.automated else ""
    return (
        f"Title/abstract: {marked}{ta.screened} record{'' if ta.screened == 1 else 's'} "
        f"screened: {ta.included} included, "
        f"{ta.excluded} excluded, {ta.needs_human} for people to decide.\n"
        f"Full text: {ft.sought} sought, {ft.not_retrieved} not retrieved, {ft.awaiting} "
        f"awaiting assessment, {ft.assessed} assessed: {ft.included} included, "
        f"{ft.excluded} excluded."
    )


def reviewer_name(given: str | None) -> str:
    name = (given or os.environ.get(REVIEWER_ENV, "")).strip()
    if not name or name in RESERVED_NAMES:
        raise InputError(
            f"no reviewer name; give --reviewer NAME or set {REVIEWER_ENV}, "
            f"so every decision says who made it ({', '.join(RESERVED_NAMES)} are reserved)."
        )
    return name


def screening_input(protocol: Protocol, options: argparse.Namespace) -> ScreeningInput:
    """The records to screen and the rules' decisions on them."""
    if options.records:
        records = _read_files(options.records)
        return ScreeningInput(records, screen_records(records, protocol.criteria))
    from review.pipeline import prepare_review

    return prepared_input(prepare_review(protocol, pipeline_settings(options)))


def pipeline_settings(options: argparse.Namespace) -> RunSettings:
    from review.pipeline import RunSettings

    # Screening never searches PubMed: the cache (or the bundled snapshot) is replayed.
    return RunSettings(mode="offline", cache_dir=options.cache)


def prepared_input(review: PreparedReview) -> ScreeningInput:
    """The records people screen from a prepared review: canonical, not removed."""
    screened = {d.record_id for d in review.rule_decisions}
    records = tuple(r for r in review.dedup.canonical if r.id in screened)
    return ScreeningInput(records, review.rule_decisions, review.dedup, review.groups(), review)


def _read_files(paths: list[Path]) -> tuple[Record, ...]:
    from review.formats import read_records

    records: list[Record] = []
    seen: dict[str, Path] = {}
    for path in paths:
        for record in read_records(path).records:
            if record.id in seen:
                raise InputError(
                    f"{path}: record ID {record.id!r} is also in {seen[record.id]}; "
                    "decisions are kept by ID, so give each record once (run the pipeline "
                    "to deduplicate)."
                )
            seen[record.id] = path
            records.append(record)
    if not records:
        raise InputError(
            f"{', '.join(map(str, paths))}: no records in {'it' if len(paths) == 1 else 'them'}; "
            "--records takes files that hold records (any format review reads)."
        )
    return tuple(records)
