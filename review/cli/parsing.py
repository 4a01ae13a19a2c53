"""The argument parser every `review` command uses."""

from __future__ import annotations

import argparse
from typing import NoReturn

__all__ = ["ReviewArgumentParser"]


class ReviewArgumentParser(argparse.ArgumentParser):
    """argparse's parser, its mistakes reported as every other error is.

    argparse prints its usage, then "PROG: error: …", and exits 2; `review` promises
    one line, "Error: …", and exit code 1 for any bad input. Subcommand parsers are
    made from the class of their parent, so one subclass covers every command.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(1, f"Error: {self.prog}: {message}; see `{self.prog} --help`.\n")
