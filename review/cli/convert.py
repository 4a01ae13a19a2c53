"""`review convert INPUT... -o OUTPUT`: convert between RIS, BibTeX, CSV, MEDLINE, JSON Lines."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "convert",
        help="convert bibliographic files between formats (input format from the file, "
        "output format from OUTPUT's extension)",
        description="Read records from one or more files (PubMed XML, MEDLINE/nbib, RIS, "
        "BibTeX, CSV, JSON Lines, Web of Science plain text; plain or .gz; Excel .xlsx and "
        ".xls, read as their CSV) and write them "
        "all to OUTPUT, whose "
        "extension (.ris, .bib, .csv, .nbib, .jsonl) names the format. Each record keeps "
        "its source. Entries that cannot be read are listed as FILE:LINE: MESSAGE.",
    )
    parser.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="files to read")
    parser.add_argument(
        "-o", "--output", required=True, type=Path, metavar="OUTPUT", help="file to write"
    )
    parser.add_argument(
        "--database",
        metavar="NAME",
        help="the database the inputs came from, as PRISMA should count it (e.g. Embase); "
        "default: the file's own database field, else its name",
    )
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="go on when an input yields no record at all (garbage, an HTML page, a "
        "file compressed twice); by default that stops the conversion",
    )
    parser.set_defaults(handler=handle)


def handle(options: argparse.Namespace) -> int:
    from review.convert import convert

    result = convert(
        options.inputs, options.output, database=options.database, keep_going=options.keep_going
    )
    for problem in result.problems:
        print(f"{problem.where}: {problem.message}", file=sys.stderr)
    print(result.summary)
    return 0
