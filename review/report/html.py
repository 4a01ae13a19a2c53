"""report.html: one self-contained page (inline CSS and SVG, no scripts, no network).

Its long record lists show their first records; the rest are on pages of their
own in records/ (review.report.pages), so the page opens quickly at any size.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from jinja2 import Environment
from markupsafe import Markup

from review.report.model import Report
from review.report.pages import HtmlLists, Paging, html_lists
from review.report.svg import prisma_svg, update_svg, year_chart_svg
from review.report.templating import environment

__all__ = ["iter_report_html", "report_html"]


def report_html(
    report: Report,
    files: Sequence[str] = (),
    env: Environment | None = None,
    lists: HtmlLists | None = None,
) -> str:
    """The HTML report; its flow diagram links each number to the records behind it."""
    return "".join(iter_report_html(report, files, env, lists))


def iter_report_html(
    report: Report,
    files: Sequence[str] = (),
    env: Environment | None = None,
    lists: HtmlLists | None = None,
) -> Iterator[str]:
    """The HTML report in pieces, so that a large one is written without being held whole."""
    env = env or environment(html=True)
    lists = lists or html_lists(report, Paging())
    # The SVGs come from ElementTree, which escapes every text and attribute, so
    # they are safe to place in the page as markup.
    return env.get_template("report.html.j2").generate(
        report=report,
        files=files,
        lists=lists,
        pages=sum(listing.pages for listing in lists.all()),
        prisma_svg=Markup(prisma_svg(report, link_prefix="#box-")),
        year_svg=Markup(year_chart_svg(report)),
        update_svg=Markup(update_svg(report)) if report.update else "",
    )
