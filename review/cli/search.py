"""`review search PROTOCOL`: run the protocol's PubMed searches into the cache."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from review.entrez import DEFAULT_BASE_URL, EutilsSettings
from review.protocol import load_protocol
from review.search import Mode, ProgressCallback, SearchLogEntry, search_protocol

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "search",
        help="run the protocol's PubMed searches (cached, replayable offline)",
        description="Run every PubMed search of a protocol, retrieve every PMID PubMed "
        "counts, store each article in the cache and log the run. A re-run reuses the "
        "cache; --refresh asks PubMed again; --offline replays the cache without network.",
    )
    parser.add_argument("protocol", type=Path, help="the protocol file, e.g. queries/kratom.toml")
    parser.add_argument(
        "--eutils-url",
        help=f"E-utilities base URL (env REVIEW_EUTILS_URL; default {DEFAULT_BASE_URL})",
    )
    parser.add_argument("--email", help="your email, sent to NCBI as it asks (env NCBI_EMAIL)")
    parser.add_argument(
        "--api-key",
        help="NCBI API key: 10 requests/s instead of 3 (env NCBI_API_KEY); never stored",
    )
    parser.add_argument(
        "--cache", type=Path, default=Path("cache"), metavar="DIR", help="cache folder (cache/)"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--offline", action="store_true", help="answer only from the cache; send nothing"
    )
    mode.add_argument(
        "--refresh", action="store_true", help="search PubMed again; fetch only new PMIDs"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--batch-size", type=_positive, default=500, metavar="N", help="PMIDs per efetch (500)"
    )
    parser.set_defaults(handler=run)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def run(options: argparse.Namespace) -> int:
    protocol = load_protocol(options.protocol)
    settings = EutilsSettings(
        base_url=options.eutils_url or os.environ.get("REVIEW_EUTILS_URL") or DEFAULT_BASE_URL,
        email=options.email or os.environ.get("NCBI_EMAIL", ""),
        api_key=options.api_key or os.environ.get("NCBI_API_KEY", ""),
        batch_size=options.batch_size,
    )
    mode: Mode = "offline" if options.offline else "refresh" if options.refresh else "cached"
    if mode != "offline" and not settings.email and not options.quiet:
        print(
            "Note: NCBI asks for an email address: give --email or set NCBI_EMAIL.", file=sys.stderr
        )
    with _progress(quiet=options.quiet) as progress:
        entries = search_protocol(
            protocol,
            cache_dir=options.cache,
            settings=settings,
            mode=mode,
            progress=progress,
            on_retry=None if options.quiet else _notice,
        )
    for entry in entries:
        for warning in entry.warnings:
            print(f"Warning: search {entry.name!r}: {warning}", file=sys.stderr)
        if entry.unavailable:
            print(
                f"Warning: search {entry.name!r}: PubMed did not return "
                f"{len(entry.unavailable)} PMID(s): {', '.join(entry.unavailable)}",
                file=sys.stderr,
            )
    if options.json:
        print(json.dumps([_as_json(entry) for entry in entries], indent=2, ensure_ascii=False))
    else:
        for entry in entries:
            origin = "from the cache" if entry.replayed else f"searched {entry.searched_at}"
            print(f"{entry.name}: Count {entry.count}, retrieved {entry.retrieved} ({origin})")
    return 0


def _notice(message: str) -> None:
    print(f"Note: {message}", file=sys.stderr)


def _as_json(entry: SearchLogEntry) -> dict[str, Any]:
    return {
        "name": entry.name,
        "query": entry.query,
        "query_translation": entry.query_translation,
        "count": entry.count,
        "retrieved": entry.retrieved,
        "warnings": list(entry.warnings),
        "unavailable": list(entry.unavailable),
        "searched_at": entry.searched_at,
        "replayed": entry.replayed,
    }


@contextmanager
def _progress(*, quiet: bool) -> Iterator[ProgressCallback | None]:
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
