"""The bundled example snapshot: its manifest, and the stand-in records it names.

A snapshot is a cache folder kept in git (`cache/example/`) with a `snapshot.json`
saying which protocol it was built for, when, from which queries, and which of its
PubMed records are stand-ins built from a web page rather than NLM's XML.
`review.search_plan` decides when to replay it; this module only reads it and
labels its stand-ins so that they never pass for NLM records.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from review.errors import CacheError
from review.records import ImportResult, Record
from review.search import SNAPSHOT_MANIFEST

__all__ = [
    "SNAPSHOT_MANIFEST",
    "Snapshot",
    "label_stand_ins",
    "read_snapshot",
    "stand_in_ids",
]


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


def stand_in_ids(records: Iterable[Record], snapshot: Snapshot | None) -> frozenset[str]:
    """The IDs of the PubMed records among `records` that are the snapshot's stand-ins."""
    pmids = {pmid for pmid, _ in snapshot.stand_ins} if snapshot is not None else set()
    return frozenset(r.id for r in records if r.source.search and r.pmid in pmids)
