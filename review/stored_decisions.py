"""How people's stored decisions reach a run: duplicate pairs and screening decisions.

Read at the edge, from the files beside the protocol; a review nobody has screened
yet has none, and reading never creates a file.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from review.dedup import PairDecisions
from review.protocol import Protocol
from review.run_settings import RunSettings
from review.screen import Decision

__all__ = [
    "pair_decisions_path",
    "stored_human_decisions",
    "stored_pair_decisions",
    "stored_resolutions",
]


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
