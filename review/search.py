"""Running a protocol's PubMed searches: complete retrieval, cache, search log."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SearchLogEntry"]


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

    @property
    def retrieved(self) -> int:
        return len(self.pmids)
