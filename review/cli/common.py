"""Options and terminal output that several commands share."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from review.entrez import DEFAULT_BASE_URL, EutilsSettings
from review.search import ProgressCallback, SearchLogEntry

__all__ = ["add_eutils_options", "eutils_settings", "progress_bar", "warn_about_searches"]


def add_eutils_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--eutils-url",
        help=f"E-utilities base URL (env REVIEW_EUTILS_URL; default {DEFAULT_BASE_URL})",
    )
    parser.add_argument("--email", help="your email, sent to NCBI as it asks (env NCBI_EMAIL)")
    parser.add_argument(
        "--api-key",
        help="NCBI API key: 10 requests/s instead of 3 (env NCBI_API_KEY); never stored",
    )


def eutils_settings(options: argparse.Namespace, **more: Any) -> EutilsSettings:
    """Settings from the command line, falling back to the environment NCBI documents."""
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
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("articles"),
        console=Console(stderr=True),
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
