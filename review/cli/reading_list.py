"""`review reading-list PROTOCOL [--top N]`: a reading list ranked by relevance, for students."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from review.cli.screen import add_record_options, people_now, screening_input

__all__ = ["register"]

HELP = "write a reading list ranked by relevance, even before anyone has screened"


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "reading-list",
        help=HELP,
        description="Rank the review's records by relevance to the protocol's question and "
        "concepts (or, once people have screened some, by a model learned from their "
        "decisions) and write reports/<name>/ranked-reading-list.html and .md: records "
        "people included first, those people or the rules excluded left out, grouped by "
        "the protocol's concepts. The list says at its top that it is ranked, not screened.",
    )
    parser.add_argument("protocol", type=Path, help="the protocol file, e.g. queries/kratom.toml")
    parser.add_argument("--top", type=int, metavar="N", help="only the N most relevant records")
    parser.add_argument(
        "--output-dir",
        type=Path,
        metavar="DIR",
        help="where to write the list (default: reports/<protocol name>/)",
    )
    add_record_options(parser)
    parser.set_defaults(handler=handle)


def handle(options: argparse.Namespace) -> int:
    from review.decisions import DecisionStore, decisions_path
    from review.errors import InputError
    from review.pipeline import RunSettings
    from review.protocol import load_protocol
    from review.reading import ranked_reading_list, reading_list_html, reading_list_markdown
    from review.screen import Decision

    if options.top is not None and options.top < 1:
        raise InputError(f"--top {options.top}: give a number of records, 1 or more.")
    protocol = load_protocol(options.protocol)
    found = screening_input(protocol, options)
    people: tuple[Decision, ...] = ()
    # Reading must not create a decisions file where nobody has screened yet.
    if decisions_path(protocol).is_file():
        with DecisionStore.for_protocol(protocol) as store:
            # Per duplicate group, as `review run` counts: a decision on any copy counts.
            people = people_now(found, store)
    reading = ranked_reading_list(
        protocol, found.records, found.rule_decisions, people, top=options.top, dedup=found.dedup
    )
    folder = options.output_dir or RunSettings().report_dir(protocol)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        html = folder / "ranked-reading-list.html"
        html.write_text(reading_list_html(reading), encoding="utf-8")
        (folder / "ranked-reading-list.md").write_text(
            reading_list_markdown(reading), encoding="utf-8"
        )
    except OSError as exc:
        raise InputError(f"{folder}: cannot write the reading list: {exc.strerror}.") from None
    n = reading.included
    first = (
        f" The {n} record{'' if n == 1 else 's'} people included come{'s' if n == 1 else ''} first."
        if n
        else ""
    )
    folded = f" Plus {reading.folded_text}." if reading.folded else ""
    print(
        f"Ranked, not screened: {reading.shown} of {reading.candidates} records, "
        f"{reading.basis}.{first}{folded}"
    )
    print(f"Wrote {html} and ranked-reading-list.md beside it.")
    return 0
