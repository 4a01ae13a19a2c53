"""A person's choice of a duplicate group's main copy (`review decisions main-copy`).

Deduplication picks each group's main copy, and `review.identity` keeps it
whatever records join the group later. A person may prefer another copy (the
journal's record rather than a preprint's, say): the choice is kept in the run
history (`review.history.choose_main`) and ranks before every earlier main copy,
so this and every later run (`review run`, `review update`, `review screen`)
show that copy. Decisions on any copy keep counting for the group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from review.errors import InputError
from review.history import choose_main
from review.identity import main_of
from review.pipeline import prepare_review
from review.protocol import Protocol
from review.run_settings import RunSettings

__all__ = ["MainCopyChoice", "choose_main_copy"]


@dataclass(frozen=True, slots=True)
class MainCopyChoice:
    record_id: str  # the copy chosen
    previous: str  # the group's main copy before the choice
    members: tuple[str, ...]  # every copy in the group, the chosen one first


def choose_main_copy(
    protocol: Protocol, record_id: str, *, by: str, settings: RunSettings, at: str = ""
) -> MainCopyChoice:
    """Make `record_id` its group's main copy from now on; refuses an unknown ID."""
    review = prepare_review(protocol, settings)
    mains = main_of(review.dedup)
    if record_id not in mains:
        raise InputError(
            f"{record_id}: no record of {protocol.path} has this ID; `review explain "
            f"{protocol.path} ID` shows a record and its copies."
        )
    previous = mains[record_id]
    members = tuple(
        dict.fromkeys([record_id, *(rid for rid, main in mains.items() if main == previous)])
    )
    if record_id != previous:
        record = next(r for r in review.records if r.id == record_id)
        choose_main(
            protocol, record, by=by, at=at or datetime.now(UTC).isoformat(timespec="seconds")
        )
    return MainCopyChoice(record_id, previous, members)
