"""report.json: everything the HTML report shows, as data (schema: docs/report-json-schema.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from json.encoder import encode_basestring
from typing import Any

from review.prisma import PrismaCounts
from review.report.model import STATUSES, RecordView, Report

__all__ = ["SCHEMA_VERSION", "iter_report_json", "report_data", "report_json"]

SCHEMA_VERSION = 1


def report_json(report: Report, files: Sequence[str] = ()) -> str:
    """The report as indented JSON text; `files` names the other files written beside it."""
    return "".join(iter_report_json(report, files))


def iter_report_json(report: Report, files: Sequence[str] = ()) -> Iterator[str]:
    """`report_json` in pieces, so that a large one is written without being held whole.

    The text is what `json.dumps(report_data(...), indent=2, ensure_ascii=False)`
    gives, made by `_encode` (the standard library's indenting encoder is pure
    Python and was the slowest part of a large report). The long lists (records,
    exclusions, records awaiting, …) are made into data one item at a time.
    """
    yield from _stream(report_data(report, files, lazy=True), "")
    yield "\n"


class _Pairs:
    """A mapping made one (key, value) at a time: report.json's records when lazy."""

    def __init__(self, pairs: Iterator[tuple[str, object]]) -> None:
        self.pairs = pairs


def _stream(value: object, indent: str) -> Iterator[str]:
    """`_encode`'s text in pieces: an item of a lazy list or mapping at a time."""
    inner = indent + "  "
    if isinstance(value, Iterator | _Pairs):
        pairs = isinstance(value, _Pairs)
        items = value.pairs if isinstance(value, _Pairs) else value
        opening, closing = ("{", "}") if pairs else ("[", "]")
        separator = opening + "\n" + inner
        for item in items:
            out = [separator]
            if pairs:
                key, item = item
                out.append(encode_basestring(key) + ": ")
            _encode(item, inner, out)
            separator = ",\n" + inner
            yield "".join(out)
        yield opening + closing if separator.startswith(opening) else f"\n{indent}{closing}"
    elif isinstance(value, dict) and value:
        separator = "{\n" + inner
        for key, item in value.items():
            yield separator + encode_basestring(_key(key)) + ": "
            yield from _stream(item, inner)
            separator = ",\n" + inner
        yield "\n" + indent + "}"
    else:
        text: list[str] = []
        _encode(value, indent, text)
        yield "".join(text)


def _encode(value: object, indent: str, out: list[str]) -> None:
    """`value` as JSON indented by two spaces a level, as json.dumps(indent=2) writes it."""
    if isinstance(value, str):
        out.append(encode_basestring(value))
    elif value is None or value is True or value is False:
        out.append("null" if value is None else "true" if value else "false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(json.dumps(value))
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = indent + "  "
        separator = "{\n" + inner
        for key, item in value.items():
            name = separator + encode_basestring(_key(key)) + ": "
            kind = type(item)
            # The common leaves inline: a call per value was most of the time.
            if kind is str:
                out.append(name + encode_basestring(item))
            elif kind is bool or item is None:
                out.append(name + ("null" if item is None else "true" if item else "false"))
            elif kind is int:
                out.append(name + int.__repr__(item))
            else:
                out.append(name)
                _encode(item, inner, out)
            separator = ",\n" + inner
        out.append("\n" + indent + "}")
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        inner = indent + "  "
        if all(type(item) is str for item in value):  # record IDs, the bulk of the lists
            strings = (",\n" + inner).join(map(encode_basestring, value))
            out.append(f"[\n{inner}{strings}\n{indent}]")
            return
        separator = "[\n" + inner
        for item in value:
            out.append(separator)
            _encode(item, inner, out)
            separator = ",\n" + inner
        out.append("\n" + indent + "]")
    else:
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _key(key: object) -> str:
    """A dict key as json.dumps writes it (strings as they are, None as "null", …)."""
    if isinstance(key, str):
        return key
    encoded: str = json.dumps(key)
    return encoded


def report_data(report: Report, files: Sequence[str] = (), *, lazy: bool = False) -> dict[str, Any]:
    """Everything report.json holds. `lazy` leaves its long lists as iterators, and
    the records as `_Pairs`, made as `iter_report_json` writes them."""
    report.counts.check()

    def many(items: Iterator[Any]) -> Any:
        return items if lazy else list(items)

    protocol = report.protocol
    counts = report.counts
    return {
        "schema_version": SCHEMA_VERSION,
        "review": {
            "name": protocol.name,
            "title": protocol.title,
            "question": protocol.question,
            "protocol_file": protocol.path.name,
        },
        "snapshot": report.snapshot,
        "generated_at": report.generated_at,
        "tool_version": report.tool_version,
        "searches": [
            {
                "name": s.name,
                "database": s.database,
                "query": s.query,
                "translation": s.translation,
                "limits": s.limits,
                "date": s.searched_at,
                "count": s.count,
                "retrieved": s.retrieved,
                "replayed": s.replayed,
                "warnings": list(s.warnings),
                "note": s.note,
            }
            for s in report.searches
        ],
        "runs": [
            {
                "number": r.number,
                "kind": r.kind,
                "searched_on": r.searched_on,
                "records": r.records,
                "new_records": r.new_records,
                "searches": [
                    {"name": name, "found": found, "new": new} for name, found, new in r.searches
                ],
            }
            for r in report.runs
        ],
        "update": _update(report),
        "other_sources": [
            {
                "database": s.database,
                "file": s.file,
                "records": s.records,
                "exported_on": s.exported_on,
                "problems": s.problems,
                "note": s.note,
            }
            for s in report.sources
        ],
        "deduplication": {
            "software": report.dedup.software,
            "links_by_rule": dict(report.dedup.by_rule),
            "links_by_people": report.dedup.by_people,
            "undecided_pairs": report.dedup.undecided_pairs,
            "related_links": report.dedup.related,
            "links": many(
                {
                    "record_id": link.record_id,
                    "canonical_id": link.canonical_id,
                    "rule": link.rule,
                    "score": link.score,
                    "by": link.by,
                    "detail": link.detail,
                }
                for _, link in report.duplicate_links
            ),
        },
        "prisma": {
            "identified": dict(counts.identified),
            "identified_total": counts.identified_total,
            "duplicates_removed": counts.duplicates_removed,
            "removed_other": dict(counts.removed_other),
            "removed_other_total": counts.removed_other_total,
            "records_screened": counts.records_screened,
            "records_excluded": counts.records_excluded_total,
            "records_excluded_by_reason": dict(counts.records_excluded),
            "marked_ineligible_by_automation": counts.automation_total,
            "marked_ineligible_by_automation_by_reason": dict(counts.automation),
            "rules_included": counts.rules_included,
            "awaiting_screening": counts.awaiting_screening,
            "reports_sought": counts.reports_sought,
            "reports_not_retrieved": counts.reports_not_retrieved,
            "reports_assessed": counts.reports_assessed,
            "reports_excluded": counts.reports_excluded_total,
            "reports_excluded_by_reason": dict(counts.reports_excluded),
            "awaiting_assessment": counts.awaiting_assessment,
            "studies_included": counts.studies_included,
            "reports_of_included_studies": counts.reports_of_included_studies,
            "columns": {
                column.key: _column_counts(c)
                for column, c in zip(report.flow.columns, counts.columns or (counts,), strict=True)
            },
        },
        "boxes": [
            {
                "key": box.key,
                "label": box.label,
                "heading": box.heading,
                "count": box.count,
                "record_ids": [r.id for r in box.records],
            }
            for box in report.boxes
        ],
        "reasons": dict(protocol.criteria.reason_codes()),
        "included": [r.id for r in report.included],
        "excluded": many(
            {
                "record_id": e.record.id,
                "stage": e.stage,
                "reason": e.reason,
                "reason_text": e.reason_text,
                "by": e.by,
                "matched": list(e.matched),
                "unmatched": list(e.unmatched),
                "note": e.note,
            }
            for e in report.excluded
        ),
        "awaiting_ranked_by": report.ranked_by,
        "awaiting": many(
            {
                "record_id": a.record.id,
                "stage": a.stage,
                "relevance": None if a.relevance is None else round(a.relevance, 4),
                "matched": list(a.matched),
                "unmatched": list(a.unmatched),
                "note": a.note,
            }
            for a in report.awaiting
        ),
        "uncounted_decisions": many(
            {
                "record_id": u.decision.record_id,
                "stage": u.decision.stage,
                "outcome": u.decision.outcome,
                "reason": u.decision.reason,
                "by": u.decision.by,
                "at": u.decision.at,
                "why": u.why,
            }
            for u in report.uncounted
        ),
        "removed_before_screening": many(
            {"record_id": view.id, "reason": reason} for view, reason in report.removals
        ),
        "years": [{"year": bar.year, **dict(bar.counts)} for bar in report.years],
        "year_statuses": dict(STATUSES),
        "reading_list": [
            {
                "key": group.key,
                "title": group.title,
                "entries": [
                    {"record_id": e.record.id, "provisional": e.provisional} for e in group.entries
                ],
            }
            for group in report.reading_list
        ],
        "records": (
            _Pairs((record_id, _record(view)) for record_id, view in report.records.items())
            if lazy
            else {record_id: _record(view) for record_id, view in report.records.items()}
        ),
        "files": list(files),
    }


def _record(view: RecordView) -> dict[str, Any]:
    return {
        "title": view.title,
        "authors": list(view.authors),
        "year": view.year,
        "journal": view.journal,
        "pmid": view.pmid,
        "doi": view.doi,
        "pmcid": view.pmcid,
        "database": view.database,
        "file": view.file,
        "search": view.search,
        "stand_in": view.stand_in,
        "pubmed_url": view.pubmed_url,
        "doi_url": view.doi_url,
        "pmc_url": view.pmc_url,
    }


def _column_counts(counts: PrismaCounts) -> dict[str, object]:
    """One column of the diagram (databases and registers, or other methods)."""
    return {
        "identified": dict(counts.identified),
        "duplicates_removed": counts.duplicates_removed,
        "marked_ineligible_by_automation": counts.automation_total,
        "removed_other": counts.removed_other_total,
        "records_screened": counts.records_screened,
        "records_excluded": counts.records_excluded_total,
        "awaiting_screening": counts.awaiting_screening,
        "reports_sought": counts.reports_sought,
        "reports_not_retrieved": counts.reports_not_retrieved,
        "awaiting_assessment": counts.awaiting_assessment,
        "reports_assessed": counts.reports_assessed,
        "reports_excluded": counts.reports_excluded_total,
        "studies_included": counts.studies_included,
    }


def _update(report: Report) -> dict[str, object] | None:
    """The updated review's flow and what is new since the previous version."""
    update = report.update
    if update is None:
        return None
    return {
        "since": update.since,
        "previous_studies": update.previous_studies,
        "still_included": update.still_included,
        "included_since": update.included_since,
        "new_records": _column_counts(update.new.counts()),
        "total_studies": update.total_studies,
        "new_record_ids": [r.id for r in update.new_records],
        "newly_included": [r.id for r in update.newly_included],
    }
