"""`review dedup FILE... -o OUT.csv`: link duplicates, list doubtful pairs for a person."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "dedup",
        help="find duplicate records across files; write one row per surviving record",
        description="Read records from one or more files (any format `review convert` "
        "reads, including the dedup benchmark's CSV files) and link duplicates: same "
        "PMID/PMCID/DOI, or titles and bibliographic details that agree. OUT.csv has one "
        "row per surviving record: ID (its original ID), merged_ids (the IDs merged into "
        "it, ';'-separated) and the usual fields, gaps filled from its duplicates. Errata, "
        "retractions and comments are linked, never merged.",
    )
    parser.add_argument("inputs", nargs="+", type=Path, metavar="FILE", help="files to read")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUT.csv")
    parser.add_argument(
        "--pair-decisions",
        type=Path,
        metavar="CSV",
        help="a person's decisions on pairs (first_id, second_id, decision accept|reject, "
        "reviewer, note); always respected. A filled-in --undecided file is one.",
    )
    parser.add_argument(
        "--undecided",
        type=Path,
        metavar="OUT.csv",
        help="write the pairs too close to call here, for a person to fill in `decision`",
    )
    parser.add_argument(
        "--log",
        type=Path,
        metavar="LOG.csv",
        help="write every link with the rule and scores that made it",
    )
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="go on when an input yields no record at all; by default that is an error",
    )
    parser.set_defaults(handler=handle)


def handle(options: argparse.Namespace) -> int:
    from review.dedup import dedup_files

    run = dedup_files(
        options.inputs,
        options.output,
        pair_decisions=options.pair_decisions,
        undecided=options.undecided,
        log=options.log,
        keep_going=options.keep_going,
    )
    for problem in run.problems:
        print(f"{problem.where}: {problem.message}", file=sys.stderr)
    print(run.summary)
    return 0
