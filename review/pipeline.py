"""The whole review in one call: protocol → search → records → dedup → screen → report.

Only this module knows the order of the stages. Each stage is a function held
in `Stages`, so a test (or another front end) can swap one for a fake and run
the rest on small inputs without network.

`prepare_review` runs everything up to the screening decisions and returns them
as a `PreparedReview`; `run` adds the report. `review screen` and `review
explain` call `prepare_review` so that they see exactly the records and
decisions the report counts.

Where the PubMed answers come from (`SearchPlan`) is decided once, before any
request, and travels into the report:

* `--cache DIR`: that folder; a bundled snapshot is only replayed;
* otherwise the working cache `cache/` once it holds a run of every search of
  the protocol, or when PubMed is asked for (`--live`, `--refresh`);
* otherwise the bundled example snapshot (`cache/example/`) when it was built
  for this protocol, replayed without network; the report says so at the top;
* otherwise `cache/`.

Nothing is sent unless PubMed is asked for (`live`, or mode "refresh"): without
it the cache is replayed (mode "offline") and a search it lacks is an error that
says to add --live, as `review search` does. With --live, PubMed is searched for
what the cache lacks. A live run never falls back to the snapshot when PubMed cannot be reached: it
fails and says how to use the snapshot instead, so a report can never claim a
live search it did not make.
"""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from review.dedup import DedupResult, PairDecisions, keep_latest_versions
from review.entrez import EutilsSettings
from review.errors import CacheError, InputError, OfflineMiss
from review.history import History, RunEntry, RunKind, SearchCount, read_history, record_run
from review.identity import (
    earlier_mains,
    follow_records,
    group_decisions,
    keep_main_copies,
    main_of,
)
from review.prisma import Removal
from review.protocol import Criteria, ImportSource, Protocol, Search, SourceMethod
from review.records import DatabaseNames, ImportProblem, ImportResult, Record, SharedValues
from review.screen import Decision
from review.search import Mode, ProgressCallback, SearchLogEntry
from review.update import UPDATE_MARK, base_name

if TYPE_CHECKING:
    from review.report.model import ReportInput

__all__ = [
    "DEFAULT_CACHE_DIR",
    "DELETED_BY_NLM",
    "EXAMPLE_DIR",
    "SNAPSHOT_MANIFEST",
    "UNDECIDED_PAIRS",
    "ChunkStream",
    "Imported",
    "PreparedReview",
    "RunResult",
    "RunSettings",
    "SearchOutput",
    "SearchPlan",
    "Snapshot",
    "Stages",
    "default_stages",
    "example_dir_for",
    "holds_every_search",
    "label_stand_ins",
    "pair_decisions_path",
    "plan_search",
    "prepare_review",
    "pubmed_article_set",
    "pubmed_records",
    "read_pubmed_document",
    "read_snapshot",
    "remember_run",
    "review_report_input",
    "run",
    "search_limits",
    "search_pubmed",
    "searched_on",
    "stored_human_decisions",
    "stored_pair_decisions",
    "stored_resolutions",
    "this_run",
    "unique_ids",
    "update",
    "with_human_decisions",
    "write_review_report",
]

DEFAULT_CACHE_DIR = Path("cache")
EXAMPLE_DIR = DEFAULT_CACHE_DIR / "example"
# The file that makes a cache folder a bundled snapshot rather than a working cache.
SNAPSHOT_MANIFEST = "snapshot.json"
DELETED_BY_NLM = "Deleted from PubMed by NLM"
UNDECIDED_PAIRS = "undecided-pairs.csv"  # written beside the report when there are any


@dataclass(frozen=True, slots=True)
class RunSettings:
    """Everything about one run that is not in the protocol.

    `cache_dir` None lets `plan_search` choose between `default_cache_dir` and
    the bundled snapshot in `example_dir`. `generated_at` "" means now; tests fix it.
    """

    mode: Mode = "cached"  # how to search PubMed when `live`; "refresh" implies it
    live: bool = False  # PubMed asked for explicitly (--live); else the cache is replayed
    cache_dir: Path | None = None
    default_cache_dir: Path = DEFAULT_CACHE_DIR
    example_dir: Path = EXAMPLE_DIR
    eutils: EutilsSettings = field(default_factory=EutilsSettings)
    out_dir: Path | None = None  # default reports/<protocol name>/
    pair_decisions: Path | None = None  # default <protocol dir>/<name>.pair-decisions.csv
    # files named on the command line: a path (the file names its own database) or an
    # ImportSource naming it (`review run P embase.ris=Embase`)
    extra_files: tuple[Path | ImportSource, ...] = ()
    keep_going: bool = False  # an input that yields no record is skipped, not an error
    progress: ProgressCallback | None = None
    on_retry: Callable[[str], None] | None = None  # told of each retry, in one line
    generated_at: str = ""
    remember: bool = True  # add the run to the review's history (`review.history`)
    # `review update`: also search for what PubMed entered since the last run's searches
    update: bool = False

    def report_dir(self, protocol: Protocol) -> Path:
        return self.out_dir if self.out_dir is not None else Path("reports") / protocol.name


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What `cache/example/snapshot.json` says about a bundled snapshot."""

    protocol: str  # the protocol name it was built for
    date: str  # YYYY-MM-DD the snapshot's searches were run
    description: str
    queries: tuple[tuple[str, str], ...]  # (search name, query) as built
    limits: tuple[tuple[str, str], ...] = ()  # (search name, "mindate maxdate datetype")
    stand_ins: tuple[tuple[str, str], ...] = ()  # (PMID, what the record was built from)
    search_notes: tuple[tuple[str, str], ...] = ()  # (search name, why it found what it did)


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """Where the PubMed answers come from, decided before any request is made."""

    cache_dir: Path
    mode: Mode
    snapshot: Snapshot | None = None  # set when replaying the bundled example

    @property
    def provenance(self) -> str:
        """What the top of the report and the terminal say about the searches."""
        if self.snapshot is not None:
            return (
                f"bundled example snapshot dated {self.snapshot.date} ({self.cache_dir}), "
                "not a live PubMed search. "
                f"{self.snapshot.description} Run with --live to search PubMed."
            )
        if self.mode == "offline":
            return f"PubMed answers replayed from {self.cache_dir} without network."
        return f"PubMed searched live; answers stored in {self.cache_dir}."


@dataclass(frozen=True, slots=True)
class SearchOutput:
    """The search stage's log, and a way to read the stored PubMed XML of any PMIDs."""

    log: tuple[SearchLogEntry, ...]
    # PMIDs -> one <PubmedArticleSet> document in chunks, read as it is parsed
    article_set: Callable[[Sequence[str]], Iterator[bytes]]
    # The entry-date searches of `review update`, earlier runs' and this run's
    # ("<search>@<day>"); their PMIDs are in `log` already (review.update).
    updates: tuple[SearchLogEntry, ...] = ()


SearchStage = Callable[[Protocol, SearchPlan, RunSettings], SearchOutput]
ReadPubmed = Callable[[BinaryIO, str], ImportResult]  # (PubmedArticleSet stream, search name)
ReadFile = Callable[[Path, "str | None"], ImportResult]
Deduplicate = Callable[[Sequence[Record], PairDecisions], DedupResult]
PairDecisionsReader = Callable[[Protocol, RunSettings, Collection[str]], PairDecisions]
ScreenRules = Callable[[Sequence[Record], Criteria], tuple[Decision, ...]]
HumanDecisions = Callable[[Protocol], tuple[Decision, ...]]
Combine = Callable[[Iterable[Decision], Iterable[Decision]], tuple[Decision, ...]]
WriteReport = Callable[["PreparedReview", RunSettings, Path], tuple[Path, ...]]
ReadHistory = Callable[[Protocol], History]


@dataclass(frozen=True, slots=True)
class Stages:
    """The function behind each stage; `default_stages()` gives the real ones."""

    search: SearchStage
    read_pubmed: ReadPubmed
    read_file: ReadFile
    pair_decisions: PairDecisionsReader
    deduplicate: Deduplicate
    screen: ScreenRules
    human_decisions: HumanDecisions
    combine: Combine
    write_report: WriteReport
    # People's resolutions of conflicts, so a clash between copies of one record that a
    # person settled on its main copy stays settled (`review.identity.group_decisions`).
    resolutions: HumanDecisions = lambda protocol: ()
    history: ReadHistory = lambda protocol: History()


@dataclass(frozen=True, slots=True)
class Imported:
    """One other-source file as read: what the report's sources section lists."""

    path: Path
    database: str  # as the protocol names it, or "" when the file names its own
    result: ImportResult
    exported_on: str = ""  # from the protocol's [[sources]]
    note: str = ""
    method: SourceMethod = "database"


@dataclass(frozen=True, slots=True)
class PreparedReview:
    """Everything the report counts, before it is written."""

    protocol: Protocol
    plan: SearchPlan
    search_log: tuple[SearchLogEntry, ...]
    imports: tuple[Imported, ...]  # protocol [[sources]], then files from the command line
    records: tuple[Record, ...]  # every record identified, PubMed first, then each file
    problems: tuple[ImportProblem, ...]  # entries that could not be read (kept out)
    dedup: DedupResult
    removals: tuple[Removal, ...]  # canonical records not screened, e.g. deleted by NLM
    rule_decisions: tuple[Decision, ...]
    human_decisions: tuple[Decision, ...]  # the people's final word, on records in this run
    orphan_decisions: tuple[Decision, ...]  # people's decisions on records not screened now
    decisions: tuple[Decision, ...]  # effective: a person's where there is one, else the rules'
    history: History = field(default_factory=History)  # what earlier runs saw (`review.history`)
    updates: tuple[SearchLogEntry, ...] = ()  # the update searches (SearchOutput.updates)


@dataclass(frozen=True, slots=True)
class RunResult:
    review: PreparedReview
    out_dir: Path
    files: tuple[Path, ...]
    kind: RunKind = "run"  # "update" for `review update`


# --- choosing where PubMed answers come from ------------------------------------------


def read_snapshot(directory: Path) -> Snapshot | None:
    """The snapshot manifest of a cache folder, or None when it is a working cache."""
    path = directory / SNAPSHOT_MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Snapshot(
            protocol=str(data["protocol"]),
            date=str(data["date"]),
            description=str(data.get("description", "")),
            queries=tuple((str(k), str(v)) for k, v in dict(data["queries"]).items()),
            limits=tuple((str(k), str(v)) for k, v in dict(data.get("limits", {})).items()),
            stand_ins=tuple((str(k), str(v)) for k, v in dict(data.get("stand_ins", {})).items()),
            search_notes=tuple(
                (str(k), str(v)) for k, v in dict(data.get("search_notes", {})).items()
            ),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CacheError(
            f"{path}: not a readable snapshot manifest ({exc}); restore it from git."
        ) from None


def plan_search(protocol: Protocol, settings: RunSettings) -> SearchPlan:
    """Decide, without network, which cache answers and how (see the module's docstring)."""
    live = settings.live or settings.mode == "refresh"
    mode: Mode = settings.mode if live else "offline"
    if settings.cache_dir is not None:
        snapshot = read_snapshot(settings.cache_dir)
        if snapshot is None:
            return SearchPlan(settings.cache_dir, mode)
        if live:
            raise CacheError(
                f"{settings.cache_dir} is the bundled example snapshot and is never "
                "changed; search PubMed into another folder with --cache DIR."
            )
        return _snapshot_plan(protocol, settings.cache_dir, snapshot)
    working = settings.default_cache_dir
    if not live and not holds_every_search(protocol, working):
        example = example_dir_for(protocol, settings)
        snapshot = read_snapshot(example)
        if snapshot is not None and snapshot.protocol == protocol.name:
            return _snapshot_plan(protocol, example, snapshot)
    return SearchPlan(working, mode)


def example_dir_for(protocol: Protocol, settings: RunSettings) -> Path:
    """`settings.example_dir`, or the clone's own one when run from another folder.

    The snapshot ships in the repository beside `queries/`, so `review run
    ~/review/queries/kratom.toml` finds it from anywhere.
    """
    if settings.example_dir.is_absolute() or settings.example_dir.exists():
        return settings.example_dir
    beside = protocol.path.parent.parent / settings.example_dir
    return beside if beside.exists() else settings.example_dir


def holds_every_search(protocol: Protocol, cache_dir: Path) -> bool:
    """Whether a working cache has run every search of the protocol, as written now."""
    from review.cache import CACHE_FILE, Cache
    from review.search import search_key

    if not (cache_dir / CACHE_FILE).is_file():
        return False  # Cache.open would create one
    with Cache.open(cache_dir, read_only=True) as cache:
        return all(cache.latest_search_run(search_key(s)) for s in protocol.searches)


def search_limits(search: Search) -> str:
    """A search's date limits as one comparable string, e.g. "1990 3000 pdat"."""
    return f"{search.mindate} {search.maxdate} {search.datetype}"


def _snapshot_plan(protocol: Protocol, directory: Path, snapshot: Snapshot) -> SearchPlan:
    queries, limits = dict(snapshot.queries), dict(snapshot.limits)
    for search in protocol.searches:
        if queries.get(search.name) != search.query or limits.get(
            search.name, search_limits(search)
        ) != search_limits(search):
            raise OfflineMiss(
                f"search {search.name!r}: the bundled example snapshot in {directory} was "
                "built from another version of this search; run with --live to search "
                "PubMed, or rebuild the snapshot with scripts/build_example.py."
            )
    return SearchPlan(directory, "offline", snapshot)


# --- the stages in order ----------------------------------------------------------------


def prepare_review(
    protocol: Protocol, settings: RunSettings, stages: Stages | None = None
) -> PreparedReview:
    """Search, read every source, deduplicate and screen; writes nothing but the cache."""
    stages = stages or default_stages(keep_going=settings.keep_going)
    plan = plan_search(protocol, settings)
    found = stages.search(protocol, plan, settings)
    pubmed = label_stand_ins(pubmed_records(found, stages.read_pubmed), plan.snapshot)
    names = DatabaseNames()  # "Scopus" and "scopus" are one database
    names("PubMed")
    sources = [
        *protocol.sources,
        *(f if isinstance(f, ImportSource) else ImportSource(f, "") for f in settings.extra_files),
    ]
    imports = []
    for source in sources:
        database = names(source.database) if source.database else ""
        result = one_spelling(stages.read_file(source.path, database or None), names)
        imports.append(
            Imported(source.path, database, result, source.exported_on, source.note, source.method)
        )
    # An NLM update file may hold a PMID twice: the later version replaces the earlier.
    latest = [keep_latest_versions(i.result.records) for i in imports]
    records = unique_ids([*pubmed.records, *(r for kept, _ in latest for r in kept)])
    problems = (
        *pubmed.problems,
        *(p for i in imports for p in i.result.problems),
        *(p for _, replaced in latest for p in replaced),
    )

    history = stages.history(protocol)
    found_pairs = stages.pair_decisions(protocol, settings, {r.id for r in records})
    # The main copy of a group stays the one people saw in earlier runs (review.identity).
    kept = earlier_mains(history.mains, history.fingerprints, records)
    dedup = keep_main_copies(stages.deduplicate(records, found_pairs), kept)
    deleted = {pmid for i in imports for pmid in i.result.deleted_pmids}
    removals = tuple(Removal(r.id, DELETED_BY_NLM) for r in dedup.canonical if r.pmid in deleted)
    removed = {r.record_id for r in removals}
    to_screen = [r for r in dedup.canonical if r.id not in removed]
    rules = stages.screen(to_screen, protocol.criteria)
    human, orphans = _settle_people(
        dedup,
        removals,
        history,
        records,
        stages.human_decisions(protocol),
        stages.resolutions(protocol),
    )
    return PreparedReview(
        protocol=protocol,
        plan=plan,
        search_log=found.log,
        imports=tuple(imports),
        records=tuple(records),
        problems=problems,
        dedup=dedup,
        removals=removals,
        rule_decisions=rules,
        human_decisions=human,
        orphan_decisions=orphans,
        decisions=stages.combine(rules, human),
        history=history,
        updates=found.updates,
    )


def _settle_people(
    dedup: DedupResult,
    removals: Sequence[Removal],
    history: History,
    records: Sequence[Record],
    people: Iterable[Decision],
    resolutions: Iterable[Decision],
) -> tuple[tuple[Decision, ...], tuple[Decision, ...]]:
    """(people's decisions per duplicate group, decisions on no record screened now).

    A person's decision counts for its record's duplicate group, whichever copy it
    names; one on a record whose ID changed follows the record's fingerprint.
    """
    mains = main_of(dedup)
    followed, gone = follow_records(people, mains, history.fingerprints, records)
    removed = {r.record_id for r in removals}
    screened_mains = {rid: main for rid, main in mains.items() if main not in removed}
    human, orphans = group_decisions(followed, screened_mains, resolutions)
    return human, (*gone, *orphans)


def one_spelling(result: ImportResult, names: DatabaseNames) -> ImportResult:
    """The result with each record's database spelled as `names` spells it."""
    renamed = [
        r
        if names(r.source.database) == r.source.database
        else dataclasses.replace(
            r, source=dataclasses.replace(r.source, database=names(r.source.database))
        )
        for r in result.records
    ]
    return dataclasses.replace(result, records=tuple(renamed))


def run(protocol: Protocol, settings: RunSettings, stages: Stages | None = None) -> RunResult:
    """Every stage, then the report in `settings.report_dir(protocol)`."""
    stages = stages or default_stages(keep_going=settings.keep_going)
    review = prepare_review(protocol, settings, stages)
    out_dir = settings.report_dir(protocol)
    files = stages.write_report(review, settings, out_dir)
    kind: RunKind = "update" if settings.update else "run"
    if settings.remember:
        remember_run(review, kind, settings.generated_at)
    return RunResult(review, out_dir, files, kind)


def update(protocol: Protocol, settings: RunSettings, stages: Stages | None = None) -> RunResult:
    """`review update`: `run`, with every search re-run for what PubMed entered since the
    last run's searches (review.update); refuses a review that has never been run."""
    history = (stages.history if stages else read_history)(protocol)
    if not history.runs:
        raise InputError(
            f"{protocol.path}: this review has no earlier run to update; run "
            f"`review run {protocol.path}` first."
        )
    return run(protocol, dataclasses.replace(settings, update=True), stages)


def remember_run(review: PreparedReview, kind: RunKind, at: str = "") -> RunEntry:
    """Add this run to the review's history: its searches, records and main copies."""
    entry = this_run(review, kind)
    return record_run(
        review.protocol,
        kind,
        at=at or datetime.now(UTC).isoformat(timespec="seconds"),
        searched_on=entry.searched_on,
        records=review.records,
        mains=(r.id for r in review.dedup.canonical),
        searches=entry.searches,
        included=entry.included,
    )


def this_run(review: PreparedReview, kind: RunKind) -> RunEntry:
    """This run as the history will hold it: for an update, its entry-date searches."""
    seen = review.history.first_run
    last = review.history.last
    entries = review.search_log
    if kind == "update":
        # This run's own entry-date searches; none when the searches are a snapshot's.
        mark = f"{UPDATE_MARK}{last.searched_on}" if last else UPDATE_MARK
        entries = tuple(u for u in review.updates if u.name.endswith(mark))
    searches = tuple(
        SearchCount(
            base_name(e.name),
            e.retrieved,
            sum(1 for p in e.pmids if p not in seen),
            e.mindate,
            e.maxdate,
            e.datetype,
        )
        for e in entries
    )
    included = tuple(
        d.record_id for d in review.decisions if d.stage == "full-text" and d.outcome == "include"
    )
    return RunEntry(
        number=len(review.history.runs) + 1,
        kind=kind,
        at="",
        searched_on=searched_on(review),
        records=len(review.records),
        new_records=sum(1 for r in review.records if r.id not in seen),
        searches=searches,
        included=included,
    )


def searched_on(review: PreparedReview) -> str:
    """The day of a run's searches: the snapshot's day, or the latest search's."""
    if review.plan.snapshot is not None:
        return review.plan.snapshot.date
    days = [e.searched_at[:10] for e in review.search_log if e.searched_at]
    return max(days) if days else datetime.now(UTC).date().isoformat()


def pubmed_records(found: SearchOutput, read_pubmed: ReadPubmed) -> ImportResult:
    """One record per PMID, attributed to the first search (protocol order) that found it.

    A PMID several searches returned is still one PubMed record (PRISMA counts
    records, and Record.id is the PMID); every search that found it is kept in
    `extra` as ("searches", "a; b") so a reading list can group by search.
    `Source.position` is the PMID's place in that search's result.
    """
    found_by: dict[str, list[str]] = {}
    for entry in found.log:
        for pmid in entry.pmids:
            found_by.setdefault(pmid, []).append(entry.name)
    records: list[Record] = []
    problems: list[ImportProblem] = []
    for entry in found.log:
        unavailable = set(entry.unavailable)
        mine = [p for p in entry.pmids if found_by[p][0] == entry.name and p not in unavailable]
        if not mine:
            continue
        result = read_pubmed(ChunkStream.reader(found.article_set(mine)), entry.name)
        problems.extend(result.problems)
        positions = {pmid: n for n, pmid in enumerate(entry.pmids, 1)}
        for record in result.records:
            pmid = record.pmid or record.id
            source = dataclasses.replace(record.source, position=positions.get(pmid, 0))
            searches = ("searches", "; ".join(found_by.get(pmid, [entry.name])))
            records.append(
                dataclasses.replace(record, source=source, extra=(*record.extra, searches))
            )
        read = {r.pmid or r.id for r in result.records} | {p.record_id for p in result.problems}
        missing = [p for p in mine if p not in read]
        if missing:
            raise CacheError(
                f"search {entry.name!r}: the cache holds no PubMed XML for {len(missing)} "
                f"of its PMIDs (first: {missing[0]}); run again with --live to fetch them."
            )
    return ImportResult(tuple(records), tuple(problems))


def label_stand_ins(pubmed: ImportResult, snapshot: Snapshot | None) -> ImportResult:
    """Say, on each record and so in every export, which PubMed records are stand-ins.

    The example snapshot's stand-ins carry real PMIDs but only the citation
    metadata a web page showed; a note keeps them from passing for NLM records.
    """
    rows = dict(snapshot.stand_ins) if snapshot is not None else {}
    if not rows:
        return pubmed
    labelled = tuple(
        dataclasses.replace(r, extra=(*r.extra, ("note", f"example stand-in: {rows[r.pmid]}")))
        if r.pmid in rows
        else r
        for r in pubmed.records
    )
    return dataclasses.replace(pubmed, records=labelled)


def unique_ids(records: Sequence[Record]) -> list[Record]:
    """Records whose id clashes with an earlier one get "<database>:<id>".

    Ids key human decisions, so they must be unique and must not change between
    runs; a clash (an imported MEDLINE file uses PMIDs as ids too) is renamed the
    same way every time rather than dropped.
    """
    seen: set[str] = set()
    result: list[Record] = []
    for record in records:
        new_id = record.id
        if new_id in seen:
            new_id = f"{record.source.database}:{record.id}"
        if new_id in seen:
            new_id = f"{record.source.file or record.source.database}:{record.source.position}"
        if new_id in seen:
            raise InputError(
                f"{record.source.file}: record {record.id!r} appears twice under the "
                "same name; give each file a distinct name or ID column."
            )
        seen.add(new_id)
        result.append(record if new_id == record.id else dataclasses.replace(record, id=new_id))
    return result


# --- the real stages ------------------------------------------------------------------------


def default_stages(*, keep_going: bool = False) -> Stages:
    """The real stages. Imported here so that a test of one stage loads only that one.

    With `keep_going`, an input file that yields no record is read as empty."""
    from review.dedup import deduplicate
    from review.formats import read_records
    from review.screen import effective_decisions, screen_records

    return Stages(
        search=search_pubmed,
        read_pubmed=read_pubmed_document,
        read_file=lambda path, database: read_records(
            path, database=database, keep_going=keep_going
        ),
        pair_decisions=stored_pair_decisions,
        deduplicate=lambda records, people: deduplicate(
            records, pair_decisions=people.decisions, reviewers=people.reviewers
        ),
        screen=lambda records, criteria: screen_records(records, criteria),
        human_decisions=stored_human_decisions,
        combine=effective_decisions,
        write_report=write_review_report,
        resolutions=stored_resolutions,
        history=read_history,
    )


def search_pubmed(protocol: Protocol, plan: SearchPlan, settings: RunSettings) -> SearchOutput:
    """Run the protocol's searches as planned; articles are read from the cache when parsed.

    The bundled snapshot is replayed from a private copy, so the committed file is
    never opened for writing (SQLite in WAL mode writes beside it even to read); its
    few articles are kept in memory. A working cache, however large, is read one
    search at a time as the parser asks for it.
    """
    from review.cache import Cache
    from review.search import iter_article_set
    from review.update import merge_updates, update_searches

    if plan.snapshot is None:
        # Earlier updates' entry-date searches are replayed with the protocol's, so no
        # record they found drops out; `review update` adds one since the last run.
        history = read_history(protocol)
        since = history.last.searched_on if settings.update and history.last else ""
        searches = (*protocol.searches, *update_searches(protocol, history, since))
        log = _search(
            dataclasses.replace(protocol, searches=searches), plan.cache_dir, plan, settings
        )
        merged, updates = merge_updates(log)

        def from_cache(wanted: Sequence[str]) -> Iterator[bytes]:
            with Cache.open(plan.cache_dir, read_only=True) as cache:
                yield from iter_article_set(cache, wanted)

        return SearchOutput(merged, from_cache, updates)

    with tempfile.TemporaryDirectory(prefix="review-snapshot-") as scratch:
        copy = Path(scratch) / "cache"
        shutil.copytree(plan.cache_dir, copy)
        log = _search(protocol, copy, plan, settings)
        with Cache.open(copy, read_only=True) as cache:
            articles = dict(cache.articles([p for entry in log for p in entry.pmids]))

    def from_memory(wanted: Sequence[str]) -> Iterator[bytes]:
        return pubmed_article_set(articles[p] for p in wanted if p in articles)

    return SearchOutput(log, from_memory)


def _search(
    protocol: Protocol, cache_dir: Path, plan: SearchPlan, settings: RunSettings
) -> tuple[SearchLogEntry, ...]:
    from review.search import search_protocol

    return search_protocol(
        protocol,
        cache_dir=cache_dir,
        settings=settings.eutils,
        mode=plan.mode,
        progress=settings.progress,
        on_retry=settings.on_retry,
    )


def pubmed_article_set(articles: Iterable[bytes]) -> Iterator[bytes]:
    """Stored PubmedArticle elements as one document the XML reader takes, in chunks."""
    yield b"<PubmedArticleSet>\n"
    for article in articles:
        yield article
        yield b"\n"
    yield b"</PubmedArticleSet>\n"


class ChunkStream(io.RawIOBase):
    """A read-only stream over byte chunks, so a document is parsed as it is produced."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = b""

    @classmethod
    def reader(cls, chunks: Iterable[bytes]) -> BinaryIO:
        return cast(BinaryIO, io.BufferedReader(cls(chunks)))

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def read_pubmed_document(stream: BinaryIO, search: str) -> ImportResult:
    from review.formats.pubmed_xml import Deletion, iter_pubmed_xml

    records: list[Record] = []
    problems: list[ImportProblem] = []
    shared = SharedValues()  # one copy of each journal, MeSH heading, ... (less memory)
    for item in iter_pubmed_xml(stream, database="PubMed", search=search):
        if isinstance(item, Record):
            records.append(shared.record(item))
        elif not isinstance(item, Deletion):
            problems.append(item)
    return ImportResult(tuple(records), tuple(problems))


def pair_decisions_path(protocol: Protocol) -> Path:
    """Where a person's duplicate-pair decisions live: beside the protocol, like screening's."""
    return protocol.path.parent / f"{protocol.name}.pair-decisions.csv"


def stored_pair_decisions(
    protocol: Protocol, settings: RunSettings, known_ids: Collection[str]
) -> PairDecisions:
    """The pairs a person accepted or rejected; none when nobody has decided any yet."""
    from review.dedup import read_pair_decisions

    path = settings.pair_decisions or pair_decisions_path(protocol)
    if settings.pair_decisions is None and not path.is_file():
        return PairDecisions({}, {})
    return read_pair_decisions(path, known_ids)


def stored_human_decisions(protocol: Protocol) -> tuple[Decision, ...]:
    """People's final decisions, or none when nobody has screened this review yet."""
    from review.decisions import DecisionStore, decisions_path

    # Opening the store creates its file; a run must not leave one behind.
    if not decisions_path(protocol).is_file():
        return ()
    with DecisionStore.for_protocol(protocol) as store:
        return store.final_decisions()


def stored_resolutions(protocol: Protocol) -> tuple[Decision, ...]:
    """How people settled conflicts; none when nobody has screened this review yet."""
    from review.decisions import DecisionStore, decisions_path

    if not decisions_path(protocol).is_file():
        return ()
    with DecisionStore.for_protocol(protocol) as store:
        return store.current(kind="resolution")


def with_human_decisions(
    review: PreparedReview, people: Sequence[Decision], resolutions: Sequence[Decision]
) -> PreparedReview:
    """The same review with people's decisions as they stand now (`review serve` re-reads
    the store for its dashboard), followed and grouped as `prepare_review` does."""
    from review.screen import effective_decisions

    human, orphans = _settle_people(
        review.dedup, review.removals, review.history, review.records, people, resolutions
    )
    return dataclasses.replace(
        review,
        human_decisions=human,
        orphan_decisions=orphans,
        decisions=effective_decisions(review.rule_decisions, human),
    )


def write_review_report(
    review: PreparedReview, settings: RunSettings, out_dir: Path
) -> tuple[Path, ...]:
    """Hand everything the report counts to the report writers."""
    from review.dedup import write_undecided
    from review.report import write_report

    files = write_report(review_report_input(review, settings), out_dir)
    if not review.dedup.undecided:
        return tuple(files)
    # Pairs too close to call, as a CSV a person fills in and saves as the protocol's
    # pair-decisions file; the next run applies it.
    undecided = out_dir / UNDECIDED_PAIRS
    write_undecided(review.dedup, undecided)
    return (*files, undecided)


def review_report_input(review: PreparedReview, settings: RunSettings) -> ReportInput:
    """Everything the report counts, from a prepared review."""
    from review import __version__
    from review.report.model import OtherSource, PreviousVersion, ReportInput, RunView
    from review.stopping import screening_stop, unscreened_statement

    stop = screening_stop(review.rule_decisions, review.human_decisions)

    kind: RunKind = "update" if settings.update else "run"
    last = review.history.last
    return ReportInput(
        stopping=unscreened_statement(stop),
        protocol=review.protocol,
        searches=review.search_log,
        dedup=review.dedup,
        decisions=review.decisions,
        generated_at=settings.generated_at or datetime.now(UTC).isoformat(timespec="seconds"),
        tool_version=__version__,
        dedup_software=f"review {__version__} (review.dedup)",
        other_sources=tuple(
            OtherSource(
                database=i.database or _database_of(i.result),
                file=i.path.name,
                exported_on=i.exported_on,
                problems=len(i.result.problems),
                note=i.note,
                method=i.method,
            )
            for i in review.imports
        ),
        removals=review.removals,
        snapshot=review.plan.provenance if review.plan.snapshot is not None else None,
        uncounted_decisions=review.orphan_decisions,
        search_notes=review.plan.snapshot.search_notes if review.plan.snapshot else (),
        stand_ins=_stand_in_ids(review),
        runs=tuple(
            RunView(
                r.number,
                r.kind,
                r.searched_on,
                r.records,
                r.new_records,
                tuple((s.name, s.count, s.new) for s in r.searches),
            )
            for r in (*review.history.runs, this_run(review, kind))
        ),
        previous=PreviousVersion(
            last.searched_on, last.included, frozenset(review.history.first_run)
        )
        if kind == "update" and last is not None
        else None,
    )


def _stand_in_ids(review: PreparedReview) -> frozenset[str]:
    """The PubMed records of this run that are example stand-ins (see `label_stand_ins`)."""
    pmids = {pmid for pmid, _ in review.plan.snapshot.stand_ins} if review.plan.snapshot else set()
    return frozenset(r.id for r in review.records if r.source.search and r.pmid in pmids)


def _database_of(result: ImportResult) -> str:
    databases = sorted({r.source.database for r in result.records})
    return "; ".join(databases)
