"""`review search PROTOCOL`: run the protocol's PubMed searches into the cache."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from review.cli.common import (
    add_eutils_options,
    add_mode_options,
    eutils_settings,
    note_missing_email,
    progress_bar,
    retry_notice,
    search_mode,
    warn_about_searches,
)
from review.protocol import load_protocol

if TYPE_CHECKING:  # the client is imported when the command runs: `--help` stays quick
    from review.search import SearchLogEntry

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "search",
        help="run the protocol's PubMed searches (cached, replayable offline)",
        description="Replay every PubMed search of a protocol from the cache, without "
        "network; a search the cache lacks is an error. Without --cache, a fresh clone "
        "replays the bundled example snapshot, as `review run` does. --live searches "
        "PubMed for what "
        "the cache lacks: it retrieves every PMID PubMed counts, stores each article and "
        "logs the run. --refresh asks PubMed again and fetches only new PMIDs.",
    )
    parser.add_argument("protocol", type=Path, help="the protocol file, e.g. queries/kratom.toml")
    add_eutils_options(parser)
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        metavar="DIR",
        help="cache folder (default: cache/, or the bundled example snapshot until "
        "cache/ holds every search)",
    )
    add_mode_options(parser)
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
    from review.pubmed_stage import search_pubmed
    from review.run_settings import RunSettings
    from review.search_plan import plan_search

    protocol = load_protocol(options.protocol)
    mode = search_mode(options)
    eutils = eutils_settings(options, batch_size=options.batch_size)
    if mode != "offline" and not options.quiet:
        note_missing_email(eutils)
    with progress_bar(quiet=options.quiet) as progress:
        # The same plan and search stage as `review run`: where the answers come from
        # (working cache or bundled snapshot) is decided the same way for both.
        settings = RunSettings(
            mode=mode,
            live=mode != "offline",
            cache_dir=options.cache,
            eutils=eutils,
            progress=progress,
            on_retry=None if options.quiet else retry_notice,
        )
        plan = plan_search(protocol, settings)
        entries = search_pubmed(protocol, plan, settings).log
    if plan.snapshot is not None:
        print(f"Note: {plan.provenance}", file=sys.stderr)
    warn_about_searches(entries)
    if options.json:
        print(json.dumps([_as_json(entry) for entry in entries], indent=2, ensure_ascii=False))
    else:
        for entry in entries:
            origin = "from the cache" if entry.replayed else f"searched {entry.searched_at}"
            print(f"{entry.name}: Count {entry.count}, retrieved {entry.retrieved} ({origin})")
    return 0


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
