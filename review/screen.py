"""Screening: explainable rules from the protocol's criteria; people decide the rest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Decision", "Outcome", "Stage"]

Stage = Literal["title-abstract", "full-text"]
# not-retrieved: full-text stage only, PRISMA's "reports not retrieved".
Outcome = Literal["include", "exclude", "needs-human", "not-retrieved"]


@dataclass(frozen=True, slots=True)
class Decision:
    """One record's screening outcome at one stage, with the evidence for it."""

    record_id: str
    stage: Stage
    outcome: Outcome
    reason: str = ""  # a reason code from the protocol when outcome is exclude
    by: str = "rules"  # "rules" or the reviewer's name
    matched: tuple[str, ...] = ()  # e.g. "kratom: 'mitragynine' in title"
    unmatched: tuple[str, ...] = ()
    at: str = ""  # ISO 8601 time for human decisions
    note: str = ""
