"""The report's record lists in pages: report.html stays small however large the review.

report.html shows the first records of every list (`Paging.preview`); the rest
are in plain HTML pages beside it, `records/<list>-002.html`, … of
`Paging.page_size` records each, linked previous/next and from the list on
report.html. The pages partition each list: a record is on report.html or on
exactly one of its list's pages. They need no script and no server: a report
opened from disk (file://) cannot fetch() its data, and a page of links works
with JavaScript off, in a screen reader and in the web app alike.

Record lists are laid out here in Python, not in Jinja: a review of 50,000
records has some 200,000 list entries, and a macro call per entry was half of
the time to write the report. Every text goes through markupsafe's `escape`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, cast

from markupsafe import Markup, escape

from review.dedup import DuplicateLink
from review.report.model import Awaiting, Excluded, RecordView, Report, Uncounted

__all__ = [
    "RECORDS_DIR",
    "HtmlLists",
    "Listing",
    "Paging",
    "cite",
    "html_lists",
    "iter_pages",
]

RECORDS_DIR = "records"
Where = Literal["main", "page"]  # report.html, or a page in records/


@dataclass(frozen=True, slots=True)
class Paging:
    """How many records of each list report.html shows, and how many go on a page."""

    preview: int = 50
    page_size: int = 1000

    def __post_init__(self) -> None:
        if self.preview < 1 or self.page_size < 1:
            raise ValueError("preview and page_size are at least 1")


@dataclass(frozen=True, slots=True)
class Listing:
    """One list of the report: its rows, how a row is drawn, and where its pages are."""

    key: str  # unique within the report; names its pages, records/<key>-002.html
    heading: str  # what the list is, standing alone (its pages' title)
    anchor: str  # the id of its section on report.html
    rows: Sequence[object]
    render: Callable[[object, Where], str]
    paging: Paging
    table_head: str = ""  # a table's header row; lists are <ul> otherwise

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def pages(self) -> int:
        """Page files besides report.html (0 when report.html shows every row)."""
        rest = max(0, self.count - self.paging.preview)
        return -(-rest // self.paging.page_size)

    def span(self, number: int) -> tuple[int, int]:
        """Rows [start, stop) of page `number`: 1 is report.html, 2… the page files."""
        if number == 1:
            return 0, min(self.count, self.paging.preview)
        start = self.paging.preview + (number - 2) * self.paging.page_size
        return start, min(self.count, start + self.paging.page_size)

    def page_name(self, number: int) -> str:
        """The file of page `number` (>= 2), relative to records/."""
        return f"{self.key}-{number:03d}.html"

    def href(self, number: int, where: Where) -> str:
        if number == 1:
            return f"#{self.anchor}" if where == "main" else f"../report.html#{self.anchor}"
        name = self.page_name(number)
        return f"{RECORDS_DIR}/{name}" if where == "main" else name

    def page_of(self, index: int) -> int:
        if index < self.paging.preview:
            return 1
        return 2 + (index - self.paging.preview) // self.paging.page_size

    def body(self, number: int, where: Where) -> Iterator[str]:
        """The list (or table) of page `number`'s rows."""
        start, stop = self.span(number)
        if self.table_head:
            yield f'<table class="records">\n<thead>{self.table_head}</thead>\n<tbody>\n'
        else:
            yield '<ul class="compact">\n'
        render = self.render
        for row in self.rows[start:stop]:
            yield render(row, where)
            yield "\n"
        yield "</tbody>\n</table>\n" if self.table_head else "</ul>\n"

    def navigation(self, number: int, where: Where) -> str:
        """ "Records 51–1,050 of 15,000", previous/next, and every page of the list."""
        if not self.pages:
            return ""
        start, stop = self.span(number)
        links = []
        for n in range(1, self.pages + 2):
            first, last = self.span(n)
            label = f"{first + 1:,}–{last:,}" if last > first + 1 else f"{last:,}"
            if n == number:
                links.append(f'<strong aria-current="page">{label}</strong>')
            else:
                links.append(f'<a href="{escape(self.href(n, where))}">{label}</a>')
        parts = [
            f'<nav class="pages" aria-label="Pages of this list">'
            f"<span>Records {start + 1:,}–{stop:,} of {self.count:,}.</span> "
        ]
        if number > 1:
            previous = escape(self.href(number - 1, where))
            parts.append(f'<a rel="prev" href="{previous}">← previous</a> · ')
        if number <= self.pages:
            following = escape(self.href(number + 1, where))
            parts.append(f'<a rel="next" href="{following}">next page →</a> · ')
        parts.append("pages: " + " · ".join(links) + "</nav>\n")
        return "".join(parts)

    def preview_html(self) -> Markup:
        """What report.html shows: the first rows, and the way to the rest."""
        return Markup("".join((*self.body(1, "main"), self.navigation(1, "main"))))


@dataclass(frozen=True, slots=True)
class ExcludedGroup:
    reason: str
    reason_text: str
    listing: Listing


@dataclass(frozen=True, slots=True)
class StageLists:
    stage: str
    title: str
    count: int
    groups: tuple[ExcludedGroup, ...] = ()  # excluded records, one list per reason
    listing: Listing | None = None  # awaiting records


@dataclass(frozen=True, slots=True)
class HtmlLists:
    """Every record list of report.html, each with its pages."""

    included: Listing
    excluded: tuple[StageLists, ...]
    awaiting: tuple[StageLists, ...]
    uncounted: Listing
    boxes: dict[str, Listing] = field(default_factory=dict)
    new_records: Listing | None = None
    newly_included: Listing | None = None

    def all(self) -> Iterator[Listing]:
        yield self.included
        for stage in self.excluded:
            yield from (group.listing for group in stage.groups)
        yield from (stage.listing for stage in self.awaiting if stage.listing)
        yield self.uncounted
        yield from self.boxes.values()
        yield from (x for x in (self.new_records, self.newly_included) if x is not None)


def _escape(text: str) -> str:
    """`markupsafe.escape` as plain text, three times faster for the many short strings here."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )


def links(r: RecordView) -> str:
    """PubMed, DOI and free-full-text links (RecordView's URLs, built here for speed)."""
    found = []
    if r.pmid:
        found.append(f'<a href="https://pubmed.ncbi.nlm.nih.gov/{_escape(r.pmid)}/">PubMed</a>')
    if r.doi:
        found.append(f'<a href="https://doi.org/{_escape(r.doi)}">DOI</a>')
    if r.pmcid:
        found.append(
            f'<a href="https://pmc.ncbi.nlm.nih.gov/articles/{_escape(r.pmcid)}/">'
            "Free full text (PMC)</a>"
        )
    return " ".join(found)


def cite(r: RecordView) -> str:
    """A record in one line: ID, year, title, authors, journal, database, links."""
    authors = f" — {_escape(r.short_authors)}" if r.authors else ""
    journal = f", <em>{_escape(r.journal)}</em>" if r.journal else ""
    stand_in = " · example stand-in, not NLM data" if r.stand_in else ""
    return (
        f'<code class="id">{_escape(r.id)}</code> {r.year_text} · '
        f'<span class="title">{_escape(r.title or "(no title)")}</span>{authors}{journal} '
        f'<span class="src">[{_escape(r.database)}{stand_in}]</span> {links(r)}'
    )


def _evidence(matched: Sequence[str], unmatched: Sequence[str], note: str = "") -> str:
    text = ""
    if matched or unmatched:
        found = f"matched: {_escape('; '.join(matched))}" if matched else ""
        gap = " · " if matched and unmatched else ""
        missing = f"not found: {_escape('; '.join(unmatched))}" if unmatched else ""
        text += f'<br><span class="evidence">{found}{gap}{missing}</span>'
    if note:
        text += f'<br><span class="evidence">note: {_escape(note)}</span>'
    return text


def _record_row(row: object, where: Where) -> str:
    assert isinstance(row, RecordView)
    return f"<li>{cite(row)}</li>"


def _identified_row(row: object, where: Where) -> str:
    assert isinstance(row, RecordView)
    return f'<li id="rec-{_escape(row.id)}">{cite(row)}</li>'


def _included_row(row: object, where: Where) -> str:
    assert isinstance(row, RecordView)
    return (
        f'<tr class="included-study"><td>{_escape(row.short_authors)}</td>'
        f"<td>{_escape(row.year_text)}</td><td>{_escape(row.title)}</td>"
        f"<td><em>{_escape(row.journal)}</em></td><td>{links(row)}</td></tr>"
    )


def _excluded_row(row: object, where: Where) -> str:
    assert isinstance(row, Excluded)
    return (
        f'<li>{cite(row.record)} <span class="by">by {_escape(row.by)}</span>'
        f"{_evidence(row.matched, row.unmatched, row.note)}</li>"
    )


def _awaiting_row(row: object, where: Where) -> str:
    assert isinstance(row, Awaiting)
    relevance = (
        f'<span class="relevance" title="predicted relevance">{row.relevance:.2f}</span> '
        if row.relevance is not None
        else ""
    )
    return f"<li>{relevance}{cite(row.record)}{_evidence(row.matched, row.unmatched)}</li>"


def _uncounted_row(report: Report) -> Callable[[object, Where], str]:
    def render(row: object, where: Where) -> str:
        assert isinstance(row, Uncounted)
        d = row.decision
        reason = f" ({_escape(report.reason_text(d.reason))})" if d.reason else ""
        at = f" on {_escape(d.at)}" if d.at else ""
        return (
            f'<li><code class="id">{_escape(d.record_id)}</code> {_escape(d.stage)}: '
            f"{_escape(d.outcome)}{reason} by {_escape(d.by)}{at} — {_escape(row.why)}</li>"
        )

    return render


def _duplicate_row(record_page: Callable[[str, Where], str]) -> Callable[[object, Where], str]:
    def render(row: object, where: Where) -> str:
        view, link = cast("tuple[RecordView, DuplicateLink]", row)
        score = f", score {link.score:.2f}" if link.score < 1 else ""
        target = _escape(record_page(link.canonical_id, where))
        return (
            f'<li>{cite(view)} → duplicate of <a href="{target}">'
            f'<code>{_escape(link.canonical_id)}</code></a> <span class="by">'
            f"({_escape(link.rule)}{score}, by {_escape(link.by)})</span></li>"
        )

    return render


INCLUDED_HEAD = "<tr><th>Authors</th><th>Year</th><th>Title</th><th>Journal</th><th>Links</th></tr>"
_STAGES = (
    ("title-abstract", "At title/abstract screening", "Title/abstract decision needed"),
    ("full-text", "At full-text assessment", "Full-text decision needed"),
)


class _Keys:
    """File-name-safe, unique list keys ("identified.Embase (Ovid)" -> "identified-embase-ovid")."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, text: str) -> str:
        base = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:60] or "list"
        key, n = base, 2
        while key in self.used:
            key, n = f"{base}-{n}", n + 1
        self.used.add(key)
        return key


def html_lists(report: Report, paging: Paging) -> HtmlLists:
    """Every record list of the HTML report, split into report.html's part and pages."""
    keys = _Keys()

    def listing(
        name: str,
        heading: str,
        anchor: str,
        rows: Sequence[object],
        render: Callable[[object, Where], str],
        table_head: str = "",
    ) -> Listing:
        key = keys(name)
        return Listing(key, heading, anchor or f"list-{key}", rows, render, paging, table_head)

    # Where each identified record's anchor (rec-<id>) is: duplicates link to their main copy.
    boxes: dict[str, Listing] = {}
    anchors: dict[str, tuple[Listing, int]] = {}
    for box in report.boxes:
        if box.key.startswith("identified."):
            made = listing(box.key, box.heading, f"box-{box.key}", box.records, _identified_row)
            boxes[box.key] = made
            for index, view in enumerate(box.records):
                anchors.setdefault(view.id, (made, index))

    def record_page(record_id: str, where: Where) -> str:
        if record_id not in anchors:
            return "#box-duplicates" if where == "main" else "../report.html#box-duplicates"
        made, index = anchors[record_id]
        number = made.page_of(index)
        page = made.href(number, where).partition("#")[0] if number > 1 else ""
        if number == 1 and where == "page":
            page = "../report.html"
        return f"{page}#rec-{record_id}"

    for box in report.boxes:
        if box.key in boxes:
            continue
        if box.key == "duplicates":
            boxes[box.key] = listing(
                box.key,
                box.heading,
                "box-duplicates",
                report.duplicate_links,
                _duplicate_row(record_page),
            )
        else:
            boxes[box.key] = listing(
                box.key, box.heading, f"box-{box.key}", box.records, _record_row
            )
    boxes = {box.key: boxes[box.key] for box in report.boxes}

    excluded = []
    awaiting = []
    for stage, excluded_title, awaiting_title in _STAGES:
        rows = [e for e in report.excluded if e.stage == stage]
        by_reason: dict[str, list[Excluded]] = {}
        for e in sorted(rows, key=lambda e: e.reason):
            by_reason.setdefault(e.reason, []).append(e)
        groups = tuple(
            ExcludedGroup(
                reason,
                group[0].reason_text,
                listing(
                    f"excluded-{stage}-{reason}",
                    f"Excluded {excluded_title.lower()}: {group[0].reason_text}",
                    "",
                    group,
                    _excluded_row,
                ),
            )
            for reason, group in by_reason.items()
        )
        excluded.append(StageLists(stage, excluded_title, len(rows), groups=groups))
        waiting = [a for a in report.awaiting if a.stage == stage]
        awaiting.append(
            StageLists(
                stage,
                awaiting_title,
                len(waiting),
                listing=listing(
                    f"awaiting-{stage}",
                    f"Awaiting a decision: {awaiting_title}"
                    + (", most likely relevant first" if report.ranked_by else ""),
                    "",
                    waiting,
                    _awaiting_row,
                ),
            )
        )
    update = report.update
    return HtmlLists(
        included=listing(
            "included-studies",
            "Included studies",
            "included",
            report.included,
            _included_row,
            INCLUDED_HEAD,
        ),
        excluded=tuple(excluded),
        awaiting=tuple(awaiting),
        uncounted=listing(
            "uncounted",
            "Decisions kept but not counted",
            "uncounted",
            report.uncounted,
            _uncounted_row(report),
        ),
        boxes=boxes,
        new_records=(
            listing("new-records", "New records", "new-records", update.new_records, _record_row)
            if update
            else None
        ),
        newly_included=(
            listing(
                "newly-included",
                "Newly included studies",
                "newly-included",
                update.newly_included,
                _record_row,
            )
            if update
            else None
        ),
    )


def iter_pages(
    report: Report, lists: HtmlLists, css: str
) -> Iterator[tuple[str, Callable[[], Iterator[str]]]]:
    """(records/<file>, writer of its text) for every page beyond report.html."""
    for made in lists.all():
        for number in range(2, made.pages + 2):
            yield f"{RECORDS_DIR}/{made.page_name(number)}", _page_writer(report, made, number, css)


def _page_writer(
    report: Report, made: Listing, number: int, css: str
) -> Callable[[], Iterator[str]]:
    def write() -> Iterator[str]:
        start, stop = made.span(number)
        title = _escape(report.protocol.title)
        heading = _escape(made.heading)
        back = _escape(made.href(1, "page"))
        yield (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="review {_escape(report.tool_version)}">\n'
            f"<title>{heading}, records {start + 1:,}–{stop:,} — {title}</title>\n"
            f"<style>\n{css}</style>\n</head>\n<body>\n<header>\n"
            f'<p class="kicker">Systematic review report · PRISMA 2020 · '
            f'<a href="../report.html">{title}</a></p>\n'
            f"<h1>{heading} ({made.count:,})</h1>\n"
            f'<p class="meta">Page {number} of {made.pages + 1} of this list; '
            f'the first {made.span(1)[1]:,} are on <a href="{back}">the report’s page</a>. '
            f"Generated {_escape(report.generated_at)} by review "
            f"{_escape(report.tool_version)}.</p>\n</header>\n<main>\n"
        )
        yield made.navigation(number, "page")
        yield from made.body(number, "page")
        yield made.navigation(number, "page")
        yield "</main>\n</body>\n</html>\n"

    return write
