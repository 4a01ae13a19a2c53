"""Options and terminal output that several commands share."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:  # the library is imported when a command runs, not to build parsers
    from rich.progress import TaskID

    from review.entrez import EutilsSettings
    from review.search import ProgressCallback, SearchLogEntry

__all__ = ["add_eutils_options", "eutils_settings", "progress_bar", "warn_about_searches"]

# review.entrez.DEFAULT_BASE_URL, written out so `--help` need not import requests and
# lxml with the client (tests/test_cli.py checks that the two agree).
NCBI_EUTILS_URL: Final = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"


def add_eutils_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--eutils-url",
        help=f"E-utilities base URL (env REVIEW_EUTILS_URL; default {NCBI_EUTILS_URL})",
    )
    parser.add_argument("--email", help="your email, sent to NCBI as it asks (env NCBI_EMAIL)")
    parser.add_argument(
        "--api-key",
        help="NCBI API key: 10 requests/s instead of 3 (env NCBI_API_KEY); never stored",
    )


def eutils_settings(options: argparse.Namespace, **more: Any) -> EutilsSettings:
    """Settings from the command line, falling back to the environment NCBI documents."""
    from review.entrez import DEFAULT_BASE_URL, EutilsSettings

    return EutilsSettings(
        base_url=options.eutils_url or os.environ.get("REVIEW_EUTILS_URL") or DEFAULT_BASE_URL,
        email=options.email or os.environ.get("NCBI_EMAIL", ""),
        api_key=options.api_key or os.environ.get("NCBI_API_KEY", ""),
        **more,
    )


def warn_about_searches(entries: Iterable[SearchLogEntry]) -> None:
    for entry in entries:
        for warning in entry.warnings:
            print(f"Warning: search {entry.name!r}: {warning}", file=sys.stderr)
        if entry.unavailable:
            print(
                f"Warning: search {entry.name!r}: PubMed did not return "
                f"{len(entry.unavailable)} PMID(s): {', '.join(entry.unavailable)}",
                file=sys.stderr,
            )


@contextmanager
def progress_bar(*, quiet: bool) -> Iterator[ProgressCallback | None]:
    """A rich bar per search while articles are fetched; none when quiet or nothing to do."""
    if quiet:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from review.terminal import console

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("articles"),
        console=console(stderr=True),
    )
    tasks: dict[str, TaskID] = {}

    def update(name: str, done: int, total: int) -> None:
        if name not in tasks:
            if done >= total:
                return  # nothing to fetch: no bar
            tasks[name] = bar.add_task(name, total=total)
        bar.update(tasks[name], completed=done, total=total)

    with bar:
        yield update
