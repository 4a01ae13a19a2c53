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
    from review.search import Mode, ProgressCallback, SearchLogEntry

__all__ = [
    "add_eutils_options",
    "add_mode_options",
    "eutils_settings",
    "note_missing_email",
    "progress_bar",
    "retry_notice",
    "search_mode",
    "warn_about_searches",
]

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


def add_mode_options(parser: argparse.ArgumentParser, *, live_help: str = "") -> None:
    """--live, --refresh and --offline: the same for `review search` and `review run`.

    Without them the cache is replayed and nothing is sent: a search it lacks is an
    error that says to add --live. Only the user's asking sends requests to PubMed.
    """
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--live",
        action="store_true",
        help=live_help or "search PubMed for what the cache lacks (default: replay the cache)",
    )
    mode.add_argument(
        "--refresh", action="store_true", help="search PubMed again; fetch only new PMIDs"
    )
    mode.add_argument(
        "--offline",
        action="store_true",
        help="replay the cache; send nothing (the default; kept for scripts)",
    )


def search_mode(options: argparse.Namespace) -> Mode:
    """The search mode the options ask for: "offline" unless --live or --refresh."""
    return "refresh" if options.refresh else "cached" if options.live else "offline"


def note_missing_email(settings: EutilsSettings) -> None:
    if not settings.email:
        note = "Note: NCBI asks for an email address: give --email or set NCBI_EMAIL."
        print(note, file=sys.stderr)


def retry_notice(message: str) -> None:
    """Say, in one line, that a request is retried and when: a stalled server is not silent."""
    print(f"Note: {message}", file=sys.stderr)


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
                f"{len(entry.unavailable)} PMID{'' if len(entry.unavailable) == 1 else 's'}: "
                f"{', '.join(entry.unavailable)}",
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
