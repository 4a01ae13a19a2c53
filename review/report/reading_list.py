"""The reading list for students: included (and provisional) records, by search, newest first."""

from __future__ import annotations

from collections.abc import Sequence

from jinja2 import Environment

from review.report.model import Report
from review.report.templating import environment

__all__ = ["reading_list_html", "reading_list_markdown", "reading_list_record_ids"]


def reading_list_record_ids(report: Report) -> tuple[str, ...]:
    return tuple(e.record.id for group in report.reading_list for e in group.entries)


def reading_list_markdown(
    report: Report, exports: Sequence[str] = (), env: Environment | None = None
) -> str:
    return _render("reading-list.md.j2", report, exports, env or environment(html=False))


def reading_list_html(
    report: Report, exports: Sequence[str] = (), env: Environment | None = None
) -> str:
    return _render("reading-list.html.j2", report, exports, env or environment(html=True))


def _render(name: str, report: Report, exports: Sequence[str], env: Environment) -> str:
    provisional = sum(e.provisional for group in report.reading_list for e in group.entries)
    return env.get_template(name).render(report=report, exports=exports, provisional=provisional)
