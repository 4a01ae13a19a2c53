"""Running a protocol's PubMed searches: complete retrieval, cache, search log.

`search_protocol` is the entry point for the CLI and the pipeline. For each search it

1. finds the PMIDs: from the cache when this exact search (query and date limits) has
   run before (mode "cached"), else live from esearch (always with mode "refresh"); a
   "cached" run reuses the esearch answers a stopped run stored for the same requests;
2. records the run in the search log (kept in the cache) before fetching articles, so a
   run killed while fetching resumes from the same PMIDs;
3. fetches, in batches, only the articles the cache does not hold yet, and reports the
   PMIDs PubMed did not return.

With mode "offline" nothing is sent: every answer must come from the cache, and a
missing one is an `OfflineMiss` naming the search. The commands replay ("offline")
unless the user asks for PubMed with --live ("cached") or --refresh. A bundled
snapshot folder (with a `snapshot.json`) is only ever replayed offline.
`article_set_xml` gives the stored articles back as one `<PubmedArticleSet>`
document for the PubMed XML parser.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Final, Literal

from review import __version__
from review.cache import CACHE_FILE, Cache
from review.entrez import (
    EsearchResult,
    EutilsClient,
    EutilsRequest,
    EutilsSettings,
    RateLimiter,
    batches,
    collect_pmids,
    new_session,
    stored_esearch,
)
from review.errors import ApiKeyError, CacheError, OfflineMiss, QueryError, SearchError
from review.protocol import Protocol, Search

__all__ = [
    "SNAPSHOT_MANIFEST",
    "Mode",
    "ProgressCallback",
    "SearchLogEntry",
    "article_set_xml",
    "iter_article_set",
    "run_searches",
    "search_key",
    "search_log",
    "search_protocol",
]

Mode = Literal["cached", "offline", "refresh"]
# The manifest that marks a bundled snapshot, a folder kept in git (review/snapshot.py
# reads it). Only an offline replay may open one; anything else could write to it.
SNAPSHOT_MANIFEST: Final = "snapshot.json"
# (search name, articles done, articles in total); called as retrieval advances.
ProgressCallback = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class SearchLogEntry:
    """One search as run: what PRISMA-S items 8, 9, 13 and 15 ask a review to report."""

    name: str
    database: str
    query: str  # exactly as sent to esearch
    query_translation: str  # PubMed's QueryTranslation
    mindate: str
    maxdate: str
    datetype: str
    count: int  # esearch Count
    pmids: tuple[str, ...]  # every PMID retrieved, in PubMed's order
    warnings: tuple[str, ...]  # e.g. "No items found.", "Phrase not found: abcXYZ"
    searched_at: str  # ISO 8601 UTC time the esearch answer was received from PubMed
    tool_version: str
    replayed: bool = False  # True when answered from the cache without network
    unavailable: tuple[str, ...] = ()  # PMIDs efetch did not return, even when asked twice

    @property
    def retrieved(self) -> int:
        return len(self.pmids)


def search_protocol(
    protocol: Protocol,
    *,
    cache_dir: Path | str = "cache",
    settings: EutilsSettings | None = None,
    mode: Mode = "cached",
    progress: ProgressCallback | None = None,
    rate_limiter: RateLimiter | None = None,
    on_retry: Callable[[str], None] | None = None,
) -> tuple[SearchLogEntry, ...]:
    """Run every search of the protocol against PubMed (or the cache) and log it.

    Share one `rate_limiter` between calls made by the same process; `on_retry` hears,
    in one line each, about transient failures being retried.
    """
    settings = settings or EutilsSettings()
    if mode != "offline" and (Path(cache_dir) / SNAPSHOT_MANIFEST).is_file():
        raise CacheError(
            f"{cache_dir} is a bundled example snapshot, which is never changed: replay it "
            "without --live and --refresh, or search PubMed into another folder with --cache DIR."
        )
    if mode == "offline" and not (Path(cache_dir) / CACHE_FILE).is_file():
        first = protocol.searches[0].name
        raise OfflineMiss(
            f"search {first!r}: {cache_dir} holds no search cache yet; search PubMed with "
            "--live first (or point --cache at a copied cache folder)."
        )
    # A replay never writes, so a read-only cache (copy, read-only disk) replays too.
    opened = Cache.open(cache_dir, read_only=True) if mode == "offline" else Cache.open(cache_dir)
    with opened as cache:
        if mode == "offline":  # no session at all: nothing can be sent
            return run_searches(protocol.searches, cache, mode=mode, progress=progress)
        limiter = rate_limiter or RateLimiter(settings.requests_per_second)
        with new_session() as session:
            client = EutilsClient(settings, session, limiter, on_retry=on_retry)
            return run_searches(
                protocol.searches, cache, mode=mode, client=client, progress=progress
            )


def run_searches(
    searches: Sequence[Search],
    cache: Cache,
    *,
    mode: Mode = "cached",
    client: EutilsClient | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[SearchLogEntry, ...]:
    """Run the searches in order; each error names the search it came from."""
    if mode != "offline" and client is None:
        raise ValueError(f"mode {mode!r} needs a client")
    entries = []
    for search in searches:
        try:
            entries.append(_run_one(search, cache, mode, client, progress))
        except SearchError as exc:
            hint = ""
            if isinstance(exc, QueryError) and not isinstance(exc, ApiKeyError):
                hint = " Check the query in the protocol and --eutils-url."
            raise type(exc)(f"search {search.name!r}: {exc}{hint}") from None
    return tuple(entries)


def search_key(search: Search) -> str:
    """What makes two runs the same search: the query and its date limits, not the name."""
    return json.dumps(
        [search.database.lower(), search.query, search.mindate, search.maxdate, search.datetype]
    )


def _run_one(
    search: Search,
    cache: Cache,
    mode: Mode,
    client: EutilsClient | None,
    progress: ProgressCallback | None,
) -> SearchLogEntry:
    key = search_key(search)
    stored = cache.latest_search_run(key)
    if mode == "offline" or (mode == "cached" and stored is not None):
        if stored is None:
            raise OfflineMiss(
                f"{cache.folder} holds no run of this search (with this query and these "
                "dates); search PubMed with --live first."
            )
        entry = replace(_entry_from_json(stored.entry), replayed=True)
        run_id = stored.run_id
    else:
        assert client is not None
        entry = _search_live(search, cache, client, progress, resume=mode == "cached")
        run_id = cache.add_search_run(key, search.name, entry.searched_at, _entry_to_json(entry))
    if mode == "offline":
        _check_offline_articles(cache, entry)
        return entry
    assert client is not None
    # A cached re-run does not ask again for PMIDs PubMed already failed to return twice;
    # --refresh does.
    skip = set(entry.unavailable) if mode == "cached" else set()
    missing = skip | set(fetch_articles(client, cache, entry, skip=skip, progress=progress))
    unavailable = tuple(p for p in entry.pmids if p in missing)
    if unavailable != entry.unavailable:
        entry = replace(entry, unavailable=unavailable)
        cache.update_search_run(run_id, _entry_to_json(replace(entry, replayed=False)))
    return entry


def _search_live(
    search: Search,
    cache: Cache,
    client: EutilsClient,
    progress: ProgressCallback | None,
    *,
    resume: bool,
) -> SearchLogEntry:
    """esearch until every PMID is found; with `resume`, stored answers are not asked again.

    Stored answers of a search that has no log entry come from a run that stopped while
    splitting it; --refresh (`resume` False) asks PubMed everything anew.
    """
    first_answer = True

    def stored(request: EutilsRequest) -> EsearchResult | None:
        found = cache.response(request.cache_key)
        return stored_esearch(request, *found) if found is not None else None

    def keep(answer: EsearchResult) -> None:
        nonlocal first_answer
        if first_answer and progress is not None:
            progress(search.name, 0, answer.count)  # show the total while PMIDs are split
        first_answer = False
        request = answer.request
        cache.store_response(
            request.cache_key,
            request.utility,
            request.public_params,
            answer.body,
            answer.received_at,
        )

    collection = collect_pmids(
        client,
        search.query,
        mindate=search.mindate,
        maxdate=search.maxdate,
        datetype=search.datetype,
        on_answer=keep,
        stored=stored if resume else None,
    )
    first = collection.first
    return SearchLogEntry(
        name=search.name,
        database=search.database,
        query=search.query,
        query_translation=first.query_translation,
        mindate=search.mindate,
        maxdate=search.maxdate,
        datetype=search.datetype,
        count=first.count,
        pmids=collection.pmids,
        warnings=first.warnings,
        searched_at=first.received_at,
        tool_version=__version__,
    )


def fetch_articles(
    client: EutilsClient,
    cache: Cache,
    entry: SearchLogEntry,
    *,
    skip: set[str] | frozenset[str] = frozenset(),
    progress: ProgressCallback | None = None,
) -> tuple[str, ...]:
    """Fetch and store the search's articles the cache lacks; return those never returned.

    Each batch is stored in one transaction as soon as it arrives. A PMID that a batch
    does not return is asked for once more, in a later batch, before it is reported.
    """
    total = len(entry.pmids)
    stored = cache.stored_pmids(entry.pmids)
    needed = [p for p in entry.pmids if p not in stored and p not in skip]
    done = total - len(needed)
    if progress is not None:
        progress(entry.name, done, total)
    size = client.settings.batch_size
    not_returned: list[str] = []
    for batch in batches(needed, size):
        not_returned.extend(_fetch_batch(client, cache, batch))
        done += len(batch)
        if progress is not None:
            progress(entry.name, done, total)
    unavailable: list[str] = []
    for batch in batches(not_returned, size):
        unavailable.extend(_fetch_batch(client, cache, batch))
    return tuple(unavailable)


def _fetch_batch(client: EutilsClient, cache: Cache, batch: Sequence[str]) -> list[str]:
    fetched = client.efetch_pubmed(batch)
    cache.store_articles(fetched.articles.items(), fetched.received_at)
    return [pmid for pmid in batch if pmid not in fetched.articles]


def _check_offline_articles(cache: Cache, entry: SearchLogEntry) -> None:
    unavailable = set(entry.unavailable)
    expected = [p for p in entry.pmids if p not in unavailable]
    stored = cache.stored_pmids(expected)
    absent = [p for p in expected if p not in stored]
    if absent:
        raise OfflineMiss(
            f"{len(absent)} of its {len(entry.pmids)} articles are not in "
            f"{cache.folder} (first: PMID {absent[0]}); run again with --live to fetch them."
        )


def search_log(cache: Cache) -> tuple[SearchLogEntry, ...]:
    """Every search run recorded in the cache, oldest first."""
    return tuple(_entry_from_json(run.entry) for run in cache.search_runs())


def _entry_to_json(entry: SearchLogEntry) -> str:
    return json.dumps(asdict(entry), ensure_ascii=False)


def _entry_from_json(text: str) -> SearchLogEntry:
    try:
        data: dict[str, Any] = json.loads(text)
        known = {f.name for f in fields(SearchLogEntry)}
        values: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known
        }
        return SearchLogEntry(**values)
    except (ValueError, TypeError) as exc:
        raise CacheError(f"a search-log entry in the cache is damaged ({exc}).") from None


# --- stored articles for the record parser ---------------------------------------------

_SET_OPEN = b'<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>\n'
_SET_CLOSE = b"</PubmedArticleSet>\n"


def iter_article_set(cache: Cache, pmids: Sequence[str]) -> Iterator[bytes]:
    """The stored articles for these PMIDs as one `<PubmedArticleSet>` document, in chunks.

    PMIDs without a stored article are skipped; `SearchLogEntry.unavailable` names them.
    """
    yield _SET_OPEN
    for _pmid, xml in cache.articles(pmids):
        yield xml + b"\n"
    yield _SET_CLOSE


def article_set_xml(cache: Cache, pmids: Sequence[str]) -> bytes:
    """`iter_article_set` joined: a document to hand to `iter_pubmed_xml`."""
    return b"".join(iter_article_set(cache, pmids))
