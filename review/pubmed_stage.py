"""The PubMed stage: run the protocol's searches as planned, and read their records.

`search_pubmed` replays (or, when asked, fills) the cache chosen by
`review.search_plan`; `pubmed_records` reads the stored XML of every PMID found,
one record per PMID, parsed as it streams out of the cache.
"""

from __future__ import annotations

import dataclasses
import io
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from review.errors import CacheError
from review.history import read_history
from review.protocol import Protocol
from review.records import ImportProblem, ImportResult, Record, SharedValues
from review.run_settings import RunSettings
from review.search import SearchLogEntry
from review.search_plan import SearchPlan

__all__ = [
    "ChunkStream",
    "ReadPubmed",
    "SearchOutput",
    "pubmed_article_set",
    "pubmed_records",
    "read_pubmed_document",
    "search_pubmed",
]

ReadPubmed = Callable[[BinaryIO, str], ImportResult]  # (PubmedArticleSet stream, search name)


@dataclass(frozen=True, slots=True)
class SearchOutput:
    """The search stage's log, and a way to read the stored PubMed XML of any PMIDs."""

    log: tuple[SearchLogEntry, ...]
    # PMIDs -> one <PubmedArticleSet> document in chunks, read as it is parsed
    article_set: Callable[[Sequence[str]], Iterator[bytes]]
    # The entry-date searches of `review update`, earlier runs' and this run's
    # ("<search>@<day>"); their PMIDs are in `log` already (review.update).
    updates: tuple[SearchLogEntry, ...] = ()


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
