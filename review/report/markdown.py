"""report.md: the report as Markdown, for a review's repository or a thesis appendix."""

from __future__ import annotations

from collections.abc import Sequence

from jinja2 import Environment

from review.report.model import Report
from review.report.templating import environment

__all__ = ["report_markdown"]


def report_markdown(
    report: Report, files: Sequence[str] = (), env: Environment | None = None
) -> str:
    report.counts.check()
    env = env or environment(html=False)
    return env.get_template("report.md.j2").render(report=report, files=files)
