"""The Jinja2 environments the writers share: HTML autoescaped, Markdown with its own escaping."""

from __future__ import annotations

import re

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from review.report.model import STATUSES, RecordView

__all__ = ["code_block", "environment", "links", "md", "plural"]

# Characters that would start Markdown (or raw HTML) inside a line of record text.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def md(text: object) -> str:
    """Record text as literal Markdown: `<script>` stays text, `*` stays a star."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def code_block(text: str, info: str = "text") -> str:
    """A fenced block longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def links(record: RecordView) -> str:
    """PubMed, DOI and free-full-text links as Markdown, each after a space."""
    pairs = (
        ("PubMed", record.pubmed_url),
        ("DOI", record.doi_url),
        ("Free full text (PMC)", record.pmc_url),
    )
    return "".join(f" [{name}](<{url}>)" for name, url in pairs if url)


def plural(count: int, one: str, many: str = "") -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def environment(html: bool) -> Environment:
    """A fresh environment (no state shared between reports): HTML autoescaped, or Markdown."""
    env = Environment(
        loader=PackageLoader("review.report", "templates"),
        autoescape=select_autoescape(default=True) if html else False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md
    env.filters["code_block"] = code_block
    env.globals["plural"] = plural
    env.globals["links"] = links
    env.globals["statuses"] = STATUSES
    return env
