"""Where the PubMed answers come from, decided once, before any request.

The plan travels into the report, and `review run`, `review search` and `review
screen` all make it the same way:

* `--cache DIR`: that folder; a bundled snapshot is only replayed;
* otherwise the working cache `cache/` once it holds a run of every search of
  the protocol, or when PubMed is asked for (`--live`, `--refresh`);
* otherwise the bundled example snapshot (`cache/example/`) when it was built
  for this protocol, replayed without network; the report says so at the top;
* otherwise `cache/`.

Nothing is sent unless PubMed is asked for (`live`, or mode "refresh"): without
it the cache is replayed (mode "offline") and a search it lacks is an error that
says to add --live. With --live, PubMed is searched for what the cache lacks. A
live run never falls back to the snapshot when PubMed cannot be reached: it fails
and says how to use the snapshot instead, so a report can never claim a live
search it did not make.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from review.errors import CacheError, OfflineMiss
from review.protocol import Protocol, Search
from review.run_settings import RunSettings
from review.search import Mode
from review.snapshot import Snapshot, read_snapshot

__all__ = [
    "SearchPlan",
    "example_dir_for",
    "holds_every_search",
    "plan_search",
    "search_limits",
]


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
                f"{settings.cache_dir} is a bundled example snapshot, which is never changed: "
                "replay it without --live and --refresh, or search PubMed into another "
                "folder with --cache DIR."
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
