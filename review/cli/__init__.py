"""The `review` command: parses options, calls one library function, reports errors.

Each subcommand lives in its own module here and exposes `register(subparsers)`,
which adds its parser and sets `handler` to a function taking the parsed options
and returning an exit code. A command module imports at its top only what its
parser needs and the library inside its handler, so `review --help` does not load
lxml, requests, rich or rapidfuzz (tests/test_cli.py checks; benchmarks/startup.py
times it). Library errors (`ReviewError`) and mistakes in the
arguments become one line, "Error: ...", and exit code 1; nothing else is caught,
so bugs keep their traceback. Everything a command prints passes through
`review.terminal.printable` (see there).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Collection, Sequence
from typing import Any

from review.cli.parsing import ReviewArgumentParser
from review.errors import ReviewError
from review.terminal import printable_output

__all__ = ["main"]

# Order is the order `review --help` lists them in: the pipeline's order.
COMMAND_MODULES: tuple[str, ...] = (
    "search",
    "convert",
    "dedup",
    "screen",
    "serve",
    "explain",
    "decisions",
    "run",
    "simulate",
    "reading-list",
    "update",
)
# Each command's line in `review --help`, so that listing them imports none of their
# modules (tests/test_cli.py checks these match what each module registers). A
# command missing here is imported to build even the top-level help.
COMMAND_HELP: dict[str, str] = {
    "search": "run the protocol's PubMed searches (cached, replayable offline)",
    "convert": "convert bibliographic files between formats (input format from the file, "
    "output format from OUTPUT's extension)",
    "dedup": "find duplicate records across files; write one row per surviving record",
    "screen": "screen records in the terminal (include, exclude with a reason, unsure)",
    "explain": "show what the rules matched for one record and what people decided",
    "decisions": "export/import screening decisions as CSV; two reviewers' conflicts and kappa",
    "run": "search, deduplicate, screen and write the PRISMA 2020 report",
    "simulate": "replay a labelled review through the ranking; print the work it would have saved",
    "reading-list": "write a reading list ranked by relevance, even before anyone has screened",
    "update": "re-run every search for what is new since the last run, then screen and report",
    "serve": "screen in a web browser: several reviewers, blind, conflicts, dashboard",
}


def build_parser(commands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser; with `commands`, only those commands' modules are imported.

    The other commands get a one-line entry from COMMAND_HELP: enough for `review
    --help` and for argparse to know the name, at none of the cost of importing them.
    """
    parser = ReviewArgumentParser(
        prog="review",
        description="Run, document and re-run the searches of a systematic review, "
        "then deduplicate, screen and report (PRISMA 2020).",
    )
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        if commands is None or name in commands or name not in COMMAND_HELP:
            importlib.import_module(f"review.cli.{name.replace('-', '_')}").register(subparsers)
        else:
            subparsers.add_parser(name, help=COMMAND_HELP[name])
    return parser


def _command_in(argv: Sequence[str]) -> set[str]:
    """The command named on the command line: the first argument that is not an option."""
    first = next((a for a in argv if not a.startswith("-")), "")
    return {first} if first in COMMAND_MODULES else set()


class _Version(argparse.Action):
    """`--version`, the version looked up only when asked for (see review/__init__.py)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        from review import __version__

        print(f"review {__version__}")
        parser.exit()


def main(argv: Sequence[str] | None = None) -> int:
    # Record text, file contents and server answers reach the terminal only through
    # review.terminal.printable: no escape sequence from them can steer it.
    with printable_output():
        return _run(argv)


def _run(argv: Sequence[str] | None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    options = build_parser(_command_in(arguments)).parse_args(arguments)
    try:
        code: int = options.handler(options)
    except ReviewError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted; everything already stored is kept.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away; that is not an error of ours. Point
        # stdout at devnull so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code
