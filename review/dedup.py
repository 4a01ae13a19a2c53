"""Deduplication: exact identifiers, then fuzzy matching with blocking.

Duplicates are linked to a canonical record, never deleted, so every PRISMA
count can be re-derived from the links.
"""

from __future__ import annotations

from dataclasses import dataclass

from review.records import Record

__all__ = ["CandidatePair", "DedupResult", "DuplicateLink", "RelatedLink"]


@dataclass(frozen=True, slots=True)
class DuplicateLink:
    """`record_id` is a duplicate of `canonical_id`; `rule` and `score` say why."""

    record_id: str
    canonical_id: str
    rule: str
    score: float = 1.0
    detail: str = ""
    by: str = "rules"  # or the name of the person who accepted the pair


@dataclass(frozen=True, slots=True)
class RelatedLink:
    """Two separate records that belong together (erratum, retraction, comment)."""

    record_id: str
    related_id: str
    kind: str


@dataclass(frozen=True, slots=True)
class CandidatePair:
    """A pair too close to call; a person accepts or rejects it."""

    first_id: str
    second_id: str
    score: float
    detail: str = ""


@dataclass(frozen=True, slots=True)
class DedupResult:
    records: tuple[Record, ...]  # every input record, unchanged
    canonical: tuple[Record, ...]  # one per cluster, gaps filled from its duplicates
    links: tuple[DuplicateLink, ...]
    related: tuple[RelatedLink, ...] = ()
    undecided: tuple[CandidatePair, ...] = ()
