"""`review decisions ACTION PROTOCOL`: export, import, conflicts, kappa, resolve, undo,
main-copy."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from review.cli.screen import add_record_options, people_now, reviewer_name, screening_input
from review.decisions import AGREEMENT_RULE, OUTCOMES, DecisionStore, decisions_path
from review.errors import DecisionError
from review.protocol import Protocol, load_protocol
from review.screen import Decision

if TYPE_CHECKING:
    from collections.abc import Sequence

    from review.identity import Groups

__all__ = ["register"]

STAGE_CHOICES = ("title-abstract", "full-text")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "decisions",
        help="export/import screening decisions as CSV; two reviewers' conflicts and kappa",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    export = actions.add_parser("export", help="write every current decision to a CSV file")
    _protocol_argument(export)
    export.add_argument("file", type=Path, metavar="CSV")
    export.set_defaults(handler=handle_export)

    imported = actions.add_parser(
        "import",
        help="add decisions from a CSV file; any bad line refuses the whole file",
    )
    _protocol_argument(imported)
    imported.add_argument("file", type=Path, metavar="CSV")
    add_record_options(imported)
    imported.set_defaults(handler=handle_import)

    conflicts = actions.add_parser(
        "conflicts",
        help="list records the reviewers disagree on (outcome, or exclusion reason)",
        description=AGREEMENT_RULE,
    )
    _protocol_argument(conflicts)
    conflicts.add_argument("--stage", choices=STAGE_CHOICES)
    add_record_options(conflicts)
    conflicts.set_defaults(handler=handle_conflicts)

    kappa = actions.add_parser(
        "kappa", help="Cohen's kappa between two reviewers", description=AGREEMENT_RULE
    )
    _protocol_argument(kappa)
    kappa.add_argument("first", metavar="REVIEWER")
    kappa.add_argument("second", metavar="REVIEWER")
    kappa.add_argument("--stage", choices=STAGE_CHOICES, default="title-abstract")
    kappa.set_defaults(handler=handle_kappa)

    undo = actions.add_parser(
        "undo", help="take back a reviewer's current decision on one record (kept as undone)"
    )
    _protocol_argument(undo)
    undo.add_argument("record_id", metavar="ID")
    undo.add_argument("--stage", choices=STAGE_CHOICES, default="title-abstract")
    undo.add_argument("--reviewer", help="whose decision (env REVIEW_REVIEWER)")
    undo.set_defaults(handler=handle_undo)

    status = actions.add_parser(
        "status",
        help="where title/abstract screening stands, and whether the stopping rule says stop",
    )
    _protocol_argument(status)
    status.add_argument(
        "--recall",
        type=float,
        metavar="TARGET",
        help="recall the stopping rule must assure (default: the protocol's "
        "[screening] stop_recall, else 0.95)",
    )
    status.add_argument(
        "--confidence",
        type=float,
        help="its confidence (default: [screening] stop_confidence, else 0.95)",
    )
    add_record_options(status)
    status.set_defaults(handler=handle_status)

    resolve = actions.add_parser("resolve", help="record how a conflict was settled")
    _protocol_argument(resolve)
    resolve.add_argument("record_id", metavar="ID")
    resolve.add_argument("outcome", choices=OUTCOMES)
    resolve.add_argument("--reason", default="", help="reason code, for an exclusion")
    resolve.add_argument("--note", default="", help="how it was settled")
    resolve.add_argument("--stage", choices=STAGE_CHOICES, default="title-abstract")
    resolve.add_argument("--reviewer", help="who settled it (env REVIEW_REVIEWER)")
    add_record_options(resolve)
    resolve.set_defaults(handler=handle_resolve)

    main_copy = actions.add_parser(
        "main-copy",
        help="make this copy its duplicate group's main copy from now on",
        description="Deduplication picks each group's main copy and later runs keep it; "
        "this makes another copy of the group the main one, for this and every later run "
        "(kept in <protocol dir>/<name>.history.sqlite). Decisions on any copy keep "
        "counting for the group.",
    )
    _protocol_argument(main_copy)
    main_copy.add_argument("record_id", metavar="ID")
    main_copy.add_argument("--reviewer", help="who chose it (env REVIEW_REVIEWER)")
    main_copy.add_argument("--cache", type=Path, metavar="DIR", help="pipeline: cache folder")
    main_copy.set_defaults(handler=handle_main_copy)


def _protocol_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("protocol", type=Path, help="the protocol file, e.g. queries/kratom.toml")


def _existing_store(protocol: Protocol) -> DecisionStore:
    path = decisions_path(protocol)
    if not path.is_file():
        raise DecisionError(f"{path}: no decisions yet; screen with `review screen` first.")
    return DecisionStore.for_protocol(protocol)


def handle_export(options: argparse.Namespace) -> int:
    with _existing_store(load_protocol(options.protocol)) as store:
        count = store.export_csv(options.file)
    print(f"Wrote {count} decision{'' if count == 1 else 's'} to {options.file}")
    return 0


def handle_import(options: argparse.Namespace) -> int:
    protocol = load_protocol(options.protocol)
    known = {r.id for r in screening_input(protocol, options).records}
    with DecisionStore.for_protocol(protocol) as store:
        count = store.import_csv(options.file, known)
    print(
        f"Imported {count} new decision{'' if count == 1 else 's'} from {options.file} "
        f"into {decisions_path(protocol)}"
    )
    return 0


def handle_status(options: argparse.Namespace) -> int:
    from review.cli.screen import stage_summary
    from review.errors import InputError
    from review.screen import effective_decisions, held_full_text, held_lines
    from review.stopping import StopRule, screening_stop

    for name, value in (("--recall", options.recall), ("--confidence", options.confidence)):
        if value is not None and not 0 < value < 1:
            raise InputError(f"{name} {value}: give a fraction between 0 and 1, e.g. 0.95.")
    protocol = load_protocol(options.protocol)
    rule = StopRule(
        protocol.screening.stop_recall if options.recall is None else options.recall,
        protocol.screening.stop_confidence if options.confidence is None else options.confidence,
    )
    found = screening_input(protocol, options)
    people: tuple[Decision, ...] = ()
    if decisions_path(protocol).is_file():
        with DecisionStore.for_protocol(protocol) as store:
            people = people_now(found, store)
    else:  # nobody has screened yet: say so, and leave no empty store behind
        print(
            f"No decisions yet ({decisions_path(protocol)} does not exist): "
            f"`review screen {options.protocol} --reviewer NAME` starts screening."
        )
    print(stage_summary(effective_decisions(found.rule_decisions, people)))
    for line in _unsettled(people, options.protocol):
        print(line)
    for line in held_lines(held_full_text(found.rule_decisions, people)):
        print(line)
    stop = screening_stop(found.rule_decisions, people, rule)
    print(stop.describe() if stop else "The rules left no record to people.")
    return 0


def _unsettled(people: Sequence[Decision], protocol: Path) -> list[str]:
    """What keeps records undecided that a person must act on: conflicts between
    reviewers, and records waiting for more reviewers ([screening] reviewers_required)."""
    from review.identity import CONFLICT

    lines = []
    for stage, label in (("title-abstract", "title/abstract"), ("full-text", "full text")):
        conflicts = sum(1 for d in people if d.stage == stage and d.by == CONFLICT)
        waiting = sum(1 for d in people if d.stage == stage and d.by == "awaiting")
        if conflicts:
            one = conflicts == 1
            lines.append(
                f"{conflicts} conflict{'' if one else 's'} between reviewers at {label}, "
                "counted above as for people to decide: "
                f"`review decisions conflicts {protocol}` lists {'it' if one else 'them'}, "
                f"`review decisions resolve` settles {'it' if one else 'each'} (or the "
                "Conflicts page of `review serve`)."
            )
        if waiting:
            lines.append(
                f"{waiting} record{' waits' if waiting == 1 else 's wait'} at {label} for "
                "more reviewers to agree ([screening] reviewers_required in the protocol)."
            )
    return lines


def _groups(protocol: Protocol, options: argparse.Namespace) -> Groups | None:
    """The review's duplicate groups once it has been run (`review run`); None before,
    or for --records, when each record stands alone."""
    from review.history import read_history

    if options.records or not read_history(protocol).runs:
        return None
    return screening_input(protocol, options).groups


def handle_conflicts(options: argparse.Namespace) -> int:
    from review.identity import CONFLICT

    protocol = load_protocol(options.protocol)
    groups = _groups(protocol, options)
    with _existing_store(protocol) as store:
        if groups is None:
            conflicts = [
                (c.record_id, c.stage, "; ".join(f"{d.by}: {_answer(d)}" for d in c.decisions))
                for c in store.conflicts(options.stage)
            ]
        else:
            # Per duplicate group, as the report counts: reviewers who disagree on one
            # copy, or copies of one record decided differently; named by the main copy.
            people, _ = groups.settle(
                store.final_decisions(options.stage),
                store.current(options.stage, kind="resolution"),
            )
            conflicts = [(d.record_id, d.stage, d.note) for d in people if d.by == CONFLICT]
    for record_id, stage, answers in conflicts:
        print(f"{record_id}\t{stage}\t{answers}")
    print(f"{len(conflicts)} unresolved conflict{'' if len(conflicts) == 1 else 's'}")
    return 0


def _answer(d: Decision) -> str:
    return f"{d.outcome} ({d.reason})" if d.reason else d.outcome


def handle_kappa(options: argparse.Namespace) -> int:
    if options.first == options.second:
        raise DecisionError(
            f"kappa compares two reviewers; {options.first} was given twice: name two "
            "different reviewers."
        )
    with _existing_store(load_protocol(options.protocol)) as store:
        agreement = store.agreement(options.first, options.second, options.stage)
    kappa = (
        "undefined (both gave one answer only)"
        if agreement.kappa is None
        else (f"{agreement.kappa:.3f}")
    )
    print(
        f"{agreement.first} and {agreement.second}, {agreement.stage}: "
        f"{agreement.records} record{'' if agreement.records == 1 else 's'} both decided; "
        "observed agreement "
        f"{agreement.observed:.3f}, expected by chance {agreement.expected:.3f}; "
        f"Cohen's kappa {kappa}\n{AGREEMENT_RULE}"
    )
    return 0


def handle_resolve(options: argparse.Namespace) -> int:
    reviewer = reviewer_name(options.reviewer)
    protocol = load_protocol(options.protocol)
    groups = _groups(protocol, options)
    copies = groups.copies(options.record_id) if groups else ()
    with _existing_store(protocol) as store:
        stored = store.resolve(
            Decision(
                copies[0] if copies else options.record_id,  # settled on the main copy
                options.stage,
                options.outcome,
                options.reason,
                reviewer,
                note=options.note,
            ),
            copies,
        )
    print(f"Resolved {stored.record_id} ({stored.stage}): {stored.outcome} by {stored.by}")
    return 0


def handle_undo(options: argparse.Namespace) -> int:
    reviewer = reviewer_name(options.reviewer)
    with _existing_store(load_protocol(options.protocol)) as store:
        undone = store.undo_record(options.record_id, reviewer, options.stage)
    if undone is None:
        raise DecisionError(
            f"{options.record_id}: {reviewer} has no {options.stage} decision on it to undo; "
            "check the ID, the reviewer and --stage."
        )
    print(
        f"Undone {undone.record_id} ({undone.stage}): {reviewer}'s {undone.outcome}"
        f"{f' ({undone.reason})' if undone.reason else ''}; the decision before it, if any, "
        "stands again."
    )
    return 0


def handle_main_copy(options: argparse.Namespace) -> int:
    from review.cli.screen import pipeline_settings
    from review.main_copy import choose_main_copy

    reviewer = reviewer_name(options.reviewer)
    protocol = load_protocol(options.protocol)
    choice = choose_main_copy(
        protocol, options.record_id, by=reviewer, settings=pipeline_settings(options)
    )
    others = ", ".join(m for m in choice.members if m != choice.record_id)
    if choice.previous == choice.record_id:
        print(
            f"{choice.record_id} is already its group's main copy"
            f"{f' (other copies: {others})' if others else ''}; nothing changed."
        )
    else:
        print(
            f"{choice.record_id} is now the main copy of its group (was {choice.previous}; "
            f"other copies: {others}), chosen by {reviewer}. Decisions on any copy count for "
            "the group; the next `review run` reports it."
        )
    return 0
