"""`review explain PROTOCOL ID`: why a record stands where it does, rules and people."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from review.cli.screen import add_record_options, screening_input
from review.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from review.dedup import DedupResult
    from review.identity import Groups
    from review.protocol import Protocol
    from review.screen import Decision

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "explain",
        help="show what the rules matched for one record and what people decided",
    )
    parser.add_argument("protocol", type=Path, help="the protocol file, e.g. queries/kratom.toml")
    parser.add_argument("record_id", metavar="ID", help="the record's ID (the PMID for PubMed)")
    add_record_options(parser)
    parser.set_defaults(handler=handle)


def handle(options: argparse.Namespace) -> int:
    from review.decisions import DecisionStore, decisions_path
    from review.protocol import load_protocol
    from review.screen import explain

    protocol = load_protocol(options.protocol)
    found = screening_input(protocol, options)
    record_id = options.record_id
    matches = [r for r in found.records if r.id == record_id]
    if not matches and found.dedup is not None:
        # A record merged into another as its duplicate: say into which and
        # why, then explain the record that is screened for both.
        from review.dedup import explain_merged

        merged = explain_merged(found.dedup, record_id)
        if merged:
            print(merged)
            canonical = next(x.canonical_id for x in found.dedup.links if x.record_id == record_id)
            matches = [r for r in found.records if r.id == canonical]
            if not matches:
                return 0
            print()
    if not matches:
        removed = [
            r
            for r in (found.prepared.removals if found.prepared else ())
            if r.record_id == record_id
        ]
        if removed:
            print(
                f"{record_id}: removed before screening ({removed[0].reason}); no one screens it."
            )
            return 0
        # The rules' exclusions are not "screened" in PRISMA's terms, but they can be explained.
        among = "given with --records" if options.records else "left after deduplication"
        raise InputError(
            f"no record {options.record_id!r} among the {len(found.records)} records {among}; "
            "check the ID (PubMed records use the PMID)."
        )
    people: tuple[Decision, ...] = ()
    final: tuple[Decision, ...] = ()
    # Reading must not create a decisions file where nobody has screened yet.
    if decisions_path(protocol).is_file():
        with DecisionStore.for_protocol(protocol) as store:
            resolutions = tuple(
                dataclasses.replace(d, note=f"resolution{': ' + d.note if d.note else ''}")
                for d in store.current(kind="resolution")
            )
            people = store.current() + resolutions
            final = store.final_decisions()
            if found.groups is not None:
                # As the report counts them: every copy's decisions count for the group,
                # and copies decided differently are a conflict (`review.identity`).
                people = _named_by_group(people, found.groups)
                final = found.groups.settle(final, store.current(kind="resolution"))[0]
    print(explain(matches[0], protocol.criteria, people, final))
    if found.dedup is not None:
        for line in _possible_duplicates(found.dedup, {record_id, matches[0].id}, protocol):
            print(line)
    return 0


def _named_by_group(decisions: Sequence[Decision], groups: Groups) -> tuple[Decision, ...]:
    """Each decision named by its group's main copy, saying which other copy it was made on."""
    noted = []
    for d in decisions:
        main = groups.mains.get(d.record_id, d.record_id)
        if main != d.record_id:
            d = dataclasses.replace(d, note=f"{d.note + '; ' if d.note else ''}on {d.record_id}")
        noted.append(d)
    return groups.named_by_group(noted)


def _possible_duplicates(dedup: DedupResult, ids: set[str], protocol: Protocol) -> list[str]:
    """The pairs deduplication left to a person that hold one of `ids`, and where to
    decide them (as `review run` says)."""
    from review.identity import main_of
    from review.report_stage import UNDECIDED_PAIRS
    from review.run_settings import RunSettings
    from review.stored_decisions import pair_decisions_path

    mains = main_of(dedup)
    where = RunSettings().report_dir(protocol) / UNDECIDED_PAIRS
    lines = []
    for pair in dedup.undecided:
        if not {pair.first_id, pair.second_id} & ids:
            continue
        other = pair.second_id if pair.first_id in ids else pair.first_id
        main = mains.get(other, other)
        shown = other if main == other else f"{other} (screened as {main})"
        lines.append(
            f"May be the same record as {shown} (deduplication was unsure: {pair.detail}); "
            f"a person decides: mark the pair accept or reject in {where} and save that as "
            f"{pair_decisions_path(protocol)} for the next run."
        )
    return lines
