"""The `review` command: parses options, calls one library function, reports errors.

Each subcommand lives in its own module here and exposes `register(subparsers)`,
which adds its parser and sets `handler` to a function taking the parsed options
and returning an exit code. Library errors (`ReviewError`) and mistakes in the
arguments become one line, "Error: ...", and exit code 1; nothing else is caught,
so bugs keep their traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from review import __version__
from review.cli.parsing import ReviewArgumentParser
from review.errors import ReviewError

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
)


def build_parser() -> argparse.ArgumentParser:
    parser = ReviewArgumentParser(
        prog="review",
        description="Run, document and re-run the searches of a systematic review, "
        "then deduplicate, screen and report (PRISMA 2020).",
    )
    parser.add_argument("--version", action="version", version=f"review {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"review.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    options = build_parser().parse_args(argv)
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
