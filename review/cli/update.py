"""`review update PROTOCOL [FILE...]`: the next version of a living review."""

from __future__ import annotations

import argparse
from typing import Any

from review.cli.run import _FilesAnywhereParser, add_arguments, handle

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "update",
        help="re-run every search for what is new since the last run, then screen and report",
        description="The next version of a review that has been run before: every PubMed "
        "search is re-run for the records PubMed entered since the day of the last run's "
        "searches (entry date, [edat]), earlier runs' answers are kept, the source files "
        "are read as they are now, and everything is deduplicated together; only new "
        "records wait for a person, and every earlier decision still counts. The run joins "
        "the search history, and the report shows the PRISMA 2020 flow for updated reviews "
        "and what is new since the last run. Options as for `review run`.",
    )
    add_arguments(parser)
    parser.set_defaults(handler=handle, update_review=True)
    parser.__class__ = _FilesAnywhereParser
