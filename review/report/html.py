"""report.html: one self-contained page (inline CSS and SVG, no scripts, no network)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from jinja2 import Environment
from markupsafe import Markup

from review.report.model import Report
from review.report.svg import prisma_svg, update_svg, year_chart_svg
from review.report.templating import environment

__all__ = ["iter_report_html", "report_html"]


def report_html(report: Report, files: Sequence[str] = (), env: Environment | None = None) -> str:
    """The HTML report; its flow diagram links each number to the records behind it."""
    return "".join(iter_report_html(report, files, env))


def iter_report_html(
    report: Report, files: Sequence[str] = (), env: Environment | None = None
) -> Iterator[str]:
    """The HTML report in pieces, so that a large one is written without being held whole."""
    env = env or environment(html=True)
    # A record appears in several lists; render its citation once (the macro
    # escapes it) rather than once per list, which triples the time on big reviews.
    cite = env.get_template("macros.html.j2").module.cite  # type: ignore[attr-defined]
    citations = {record_id: cite(view) for record_id, view in report.records.items()}
    # The SVGs come from ElementTree, which escapes every text and attribute, so
    # they are safe to place in the page as markup.
    return env.get_template("report.html.j2").generate(
        report=report,
        files=files,
        citations=citations,
        prisma_svg=Markup(prisma_svg(report, link_prefix="#box-")),
        year_svg=Markup(year_chart_svg(report)),
        update_svg=Markup(update_svg(report)) if report.update else "",
    )
