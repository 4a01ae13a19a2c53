"""Living reviews: the searches behind `review update`, and what is new since the last run.

`review update PROTOCOL` re-runs every search of the protocol for the records
PubMed added since the day of the last run's searches (their entry date,
`datetype=edat` with `mindate`), keeps every earlier run's answers, reads the
source files as they are now, deduplicates everything together and screens;
people see only what is new, because everything seen before keeps its decisions
(`review.identity`). Each run goes into the run history (`review.history`) with
its dates and counts, as PRISMA-S asks of updated searches.

An update search is the protocol's search limited by entry date; the search's
own publication-date limits go into its query (`AND 1990:3000[dp]`), because
E-utilities takes one date range per request. Its log entry is named
"<search>@<day>", and its PMIDs join the protocol search's in the log the
rest of the review reads (`merge_updates`).

Pure functions only: the pipeline runs the searches and reads the history.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from review.errors import ProtocolError
from review.history import History
from review.protocol import Protocol, Search
from review.search import SearchLogEntry

__all__ = [
    "UPDATE_MARK",
    "base_name",
    "merge_updates",
    "update_search",
    "update_searches",
]

UPDATE_MARK = "@"  # "cbt@2026-11-26": search "cbt", records entered since 2026-11-26
# E-utilities' datetype -> the search tag that limits the same date in a query.
_DATE_TAGS = {"pdat": "dp", "edat": "edat"}


def update_search(search: Search, since: str) -> Search:
    """The protocol's search for records PubMed entered on or after `since` (YYYY-MM-DD)."""
    query = search.query
    if search.mindate:
        tag = _DATE_TAGS.get(search.datetype)
        if tag is None:
            raise ProtocolError(
                f"search {search.name!r}: an update limits searches by entry date, which "
                f"cannot be combined with datetype {search.datetype!r}; use pdat or edat."
            )
        query = f"({query}) AND ({search.mindate}:{search.maxdate}[{tag}])"
    return dataclasses.replace(
        search,
        name=f"{search.name}{UPDATE_MARK}{since}",
        query=query,
        mindate=since.replace("-", "/"),
        maxdate="3000",
        datetype="edat",
    )


def update_searches(protocol: Protocol, history: History, since: str = "") -> tuple[Search, ...]:
    """Earlier runs' update searches (replayed from the cache), then one since `since`.

    `since` "" asks for no new update, as `review run` does: it still reads what
    earlier updates found, so no record of theirs drops out of the review.
    """
    days = [
        (count.name, count.mindate.replace("/", "-"))
        for run in history.runs
        if run.kind == "update"
        for count in run.searches
    ]
    if since:
        days += [(search.name, since) for search in protocol.searches]
    names = {search.name for search in protocol.searches}
    wanted = dict.fromkeys((name, day) for name, day in days if name in names and day)
    return tuple(update_search(protocol.search(name), day) for name, day in wanted)


def base_name(entry_name: str) -> str:
    """The protocol search a log entry belongs to ("cbt@2026-11-26" -> "cbt")."""
    return entry_name.split(UPDATE_MARK, 1)[0]


def merge_updates(
    log: Iterable[SearchLogEntry],
) -> tuple[tuple[SearchLogEntry, ...], tuple[SearchLogEntry, ...]]:
    """(one entry per protocol search with its updates' PMIDs added, the update entries).

    A merged entry keeps the protocol search's query and limits; its count and
    PMIDs grow by what its updates found that it had not, and its date is the
    latest search's.
    """
    entries = list(log)
    updates = tuple(e for e in entries if UPDATE_MARK in e.name)
    merged = []
    for entry in entries:
        if UPDATE_MARK in entry.name:
            continue
        mine = [u for u in updates if base_name(u.name) == entry.name]
        if not mine:
            merged.append(entry)
            continue
        seen = set(entry.pmids)
        added: list[str] = []
        for update in mine:
            for pmid in update.pmids:
                if pmid not in seen:
                    seen.add(pmid)
                    added.append(pmid)
        merged.append(
            dataclasses.replace(
                entry,
                count=entry.count + len(added),
                pmids=(*entry.pmids, *added),
                warnings=(*entry.warnings, *(w for u in mine for w in u.warnings)),
                searched_at=max([entry.searched_at, *(u.searched_at for u in mine)]),
                unavailable=(*entry.unavailable, *(p for u in mine for p in u.unavailable)),
                replayed=entry.replayed and all(u.replayed for u in mine),
            )
        )
    return tuple(merged), updates


def new_pmids(updates: Sequence[SearchLogEntry], seen: Iterable[str]) -> dict[str, int]:
    """Per update entry, how many of its PMIDs no earlier run had seen."""
    known = set(seen)
    return {u.name: sum(1 for p in u.pmids if p not in known) for u in updates}
