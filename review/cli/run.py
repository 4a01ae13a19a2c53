"""`review run PROTOCOL [FILE...]`: search, deduplicate, screen and write the report."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
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
from review.cli.parsing import ReviewArgumentParser
from review.errors import RetriesExhausted
from review.protocol import ImportSource, Protocol, load_protocol

if TYPE_CHECKING:  # the pipeline is imported when the command runs: `--help` stays quick
    from review.pipeline import RunResult, RunSettings

__all__ = ["register"]


class _FilesAnywhereParser(ReviewArgumentParser):
    """Reads FILEs wherever they stand, e.g. `review run P --out D F`.

    argparse gives positionals one chance per stretch of arguments between two
    options, so FILEs after an option would be refused; reading the arguments
    intermixed (options first, then what is left as positionals) takes them.
    """

    _intermixing = False

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if self._intermixing:  # parse_known_intermixed_args calls back here twice
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "run",
        help="search, deduplicate, screen and write the PRISMA 2020 report",
        description="Run every stage of a review and write reports/<protocol name>/. "
        "PubMed's answers come from --cache DIR if given; else from cache/ once it holds a "
        "run of every search, or with --live or --refresh; else from the bundled example "
        "snapshot (cache/example/, built for queries/kratom.toml), named at the top of the "
        "report. Without --live or --refresh nothing is sent: the cache is replayed, and a "
        "search it lacks is an error. A live run that cannot reach PubMed fails; it never "
        "falls back to the snapshot.",
    )
    add_arguments(parser)
    parser.set_defaults(handler=handle)
    # The subcommand parser argparse made, read intermixed (see _FilesAnywhereParser).
    parser.__class__ = _FilesAnywhereParser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options `review run` and `review update` share."""
    parser.add_argument("protocol", type=Path, help="the protocol file, e.g. queries/kratom.toml")
    parser.add_argument(
        "files",
        type=file_argument,
        nargs="*",
        default=[],  # not required (argparse would name FILE as missing with PROTOCOL)
        metavar="FILE[=DATABASE]",
        help="more records to join (RIS, BibTeX, CSV, MEDLINE, PubMed XML exports), "
        "before or after the options; FILE=DATABASE names the database PRISMA counts "
        "them under (embase.ris=Embase), as `database` does in the protocol's [[sources]]; "
        "without it the file's own database field, else its name",
    )
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="go on when a file yields no record at all (garbage, an HTML page, a file "
        "compressed twice); by default that stops the run",
    )
    add_mode_options(
        parser,
        live_help="search PubMed for what the cache lacks (into --cache, default cache/), "
        "not the bundled example snapshot",
    )
    parser.add_argument(
        "--cache", type=Path, metavar="DIR", help="cache folder (default cache/, see above)"
    )
    add_eutils_options(parser)
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="report folder (default reports/<name>/)"
    )
    parser.add_argument(
        "--pair-decisions",
        type=Path,
        metavar="CSV",
        help="a person's accept/reject decisions on duplicate pairs "
        "(default <protocol dir>/<name>.pair-decisions.csv when it exists)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no summary")


def file_argument(text: str) -> Path | ImportSource:
    """ "embase.ris=Embase": a file and the database it came from; a file whose own
    name holds "=" is taken whole when it exists."""
    path, equals, database = text.rpartition("=")
    if not equals or Path(text).exists():
        return Path(text)
    if not path or not database.strip():
        raise argparse.ArgumentTypeError(
            f"{text!r}: write FILE=DATABASE with both parts, e.g. embase.ris=Embase"
        )
    return ImportSource(Path(path), database.strip())


def handle(options: argparse.Namespace) -> int:
    from review.pipeline import RunSettings, run, update

    protocol = load_protocol(options.protocol)
    mode = search_mode(options)
    eutils = eutils_settings(options)
    if mode != "offline" and not options.quiet:
        note_missing_email(eutils)
    with progress_bar(quiet=options.quiet) as progress:
        settings = RunSettings(
            mode=mode,
            live=mode != "offline",
            on_retry=None if options.quiet else retry_notice,
            cache_dir=options.cache,
            eutils=eutils,
            out_dir=options.out,
            extra_files=tuple(options.files),
            keep_going=options.keep_going,
            pair_decisions=options.pair_decisions,
            progress=progress,
        )
        try:
            updating = getattr(options, "update_review", False)
            result = (update if updating else run)(protocol, settings)
        except RetriesExhausted as exc:
            if not settings.live:
                raise
            raise RetriesExhausted(f"{exc}{_snapshot_hint(protocol, settings)}") from None
    _warn(result)
    if not options.quiet:
        _summary(result)
    return 0


def _snapshot_hint(protocol: Protocol, settings: RunSettings) -> str:
    """Say that a bundled snapshot exists when PubMed (or the cache) could not answer."""
    from review.search_plan import example_dir_for
    from review.snapshot import read_snapshot

    example = example_dir_for(protocol, settings)
    snapshot = read_snapshot(example)
    if snapshot is None or snapshot.protocol != protocol.name:
        return ""
    return (
        f" The bundled example snapshot ({example}, dated {snapshot.date}) "
        "can be replayed instead: run without --live, --refresh and --cache."
    )


def _warn(result: RunResult) -> None:
    from review.report_stage import UNDECIDED_PAIRS
    from review.stored_decisions import pair_decisions_path

    review = result.review
    if review.plan.snapshot is not None:
        print(f"Note: {review.plan.provenance}", file=sys.stderr)
        if result.kind == "update":
            print(
                "Note: PubMed was not searched for new records: the bundled snapshot is "
                "fixed; the source files were read again as they are now.",
                file=sys.stderr,
            )
    warn_about_searches(review.search_log)
    for problem in review.problems:
        if problem.kept and problem.file and problem.position == 0:  # a note on the file
            print(f"Note: {problem.where}: {problem.message}", file=sys.stderr)
            continue
        outcome = "" if problem.kept else " (left out)"
        print(f"Warning: {problem.where}: {problem.message}{outcome}", file=sys.stderr)
    if review.dedup.undecided:
        print(
            f"Note: {len(review.dedup.undecided)} "
            f"{'pair' if len(review.dedup.undecided) == 1 else 'pairs'} of records may be "
            "duplicates; "
            f"decide them in {result.out_dir / UNDECIDED_PAIRS} (accept or reject) and save it "
            f"as {pair_decisions_path(review.protocol)} for the next run.",
            file=sys.stderr,
        )
    if review.orphan_decisions:
        one = len(review.orphan_decisions) == 1
        print(
            f"Warning: {len(review.orphan_decisions)} screening "
            f"{'decision names a record' if one else 'decisions name records'} this run no "
            "longer has (or removed before screening); "
            f"{'it is' if one else 'they are'} kept but not counted.",
            file=sys.stderr,
        )
    from review.screen import held_full_text

    held = held_full_text(review.rule_decisions, review.human_decisions)
    if held:
        one = len(held) == 1
        print(
            f"Note: {len(held)} full-text decision{'' if one else 's'} kept but not counted: "
            f"{'its record is' if one else 'their records are'} not included at "
            "title/abstract (a conflict there waits for a person, or excluded); the report "
            'lists them under "Decisions kept but not counted".',
            file=sys.stderr,
        )


def _summary(result: RunResult) -> None:
    from review.identity import CONFLICT
    from review.screen import title_abstract_counts
    from review.stopping import protocol_rule, screening_stop, unscreened_statement

    review = result.review
    # As the report's PRISMA diagram counts: the rules' exclusions are records marked
    # ineligible by automation, before screening, not records screened and excluded.
    ta = title_abstract_counts(review.decisions)
    pubmed = sum(1 for r in review.records if r.source.database == "PubMed")
    removed = f", {len(review.removals)} removed for other reasons" if review.removals else ""
    stop = screening_stop(
        review.rule_decisions, review.human_decisions, protocol_rule(review.protocol)
    )
    stopped = bool(unscreened_statement(stop))
    left = "not screened (the stopping rule was met)" if stopped else "awaiting a person"
    print(
        f"{len(review.records)} records identified ({pubmed} from PubMed), "
        f"{len(review.dedup.links)} duplicates removed{removed}"
        f"{f', {ta.automated} marked ineligible by the protocol rules' if ta.automated else ''}; "
        f"{ta.screened} screened at title/abstract: {ta.included} included, "
        f"{ta.excluded} excluded, {ta.needs_human} {left}."
    )
    print(f"Report: {result.out_dir / 'report.html'}")
    waiting = ta.needs_human
    if waiting and not stopped:
        shown = review.protocol.path
        print(
            f"Next: `review screen {shown} --reviewer NAME` shows the {waiting} record"
            f"{'' if waiting == 1 else 's'} awaiting a person most likely relevant first "
            f"(`review serve {shown}` in a browser); `review reading-list {shown}` ranks "
            "them for reading before anyone has screened."
        )
    conflicts = sum(
        1 for d in review.human_decisions if d.stage == "title-abstract" and d.by == CONFLICT
    )
    if conflicts:  # screening does not settle these: a person resolves each
        one = conflicts == 1
        which = " is a conflict" if one else "s are conflicts"
        print(
            f"Of the records awaiting a person, {conflicts}{which} between reviewers at "
            f"title/abstract: `review decisions conflicts {review.protocol.path}` lists "
            f"{'it' if one else 'them'}, `review decisions resolve` settles "
            f"{'it' if one else 'each'} (or the Conflicts page of `review serve`)."
        )
