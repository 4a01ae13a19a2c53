"""What the web app's pages show, built from records, criteria and decisions: pure.

Nothing here touches the network, files or SQLite: `review.web.app` reads the
decisions store and hands the results in, and the Jinja2 templates (autoescaped)
turn these frozen values into HTML. Record text stays text: highlighting splits
it into `Segment`s, never into markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from review.protocol import Criteria, SearchField
from review.records import Record
from review.screen import Decision, Stage, match_spans

__all__ = [
    "AUTHORS_SHOWN",
    "REASON_KEYS",
    "Link",
    "RecordPage",
    "Segment",
    "answer_text",
    "highlight",
    "previous_decided",
    "record_links",
    "record_page",
    "stage_label",
]

# Number keys exclude at once with the protocol's first nine reasons; in the reason
# picker (key e) every reason has a key, as in the terminal screener.
REASON_KEYS = "123456789abcdfghjklmnoprstuvwxyz"  # no e or q: they close the picker
AUTHORS_SHOWN = 12


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of record text; `mark` names the concept class it is highlighted with."""

    text: str
    mark: str = ""  # "" (plain), "c0".."c2" (a required concept), "x" (an excluding one)
    concept: str = ""


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True, slots=True)
class RecordPage:
    """One record as the screening and conflicts pages show it."""

    record_id: str
    title: tuple[Segment, ...]
    authors: str
    citation: str
    abstract: tuple[Segment, ...]
    listings: tuple[tuple[str, tuple[Segment, ...]], ...]  # (label, highlighted values)
    links: tuple[Link, ...]
    rule: Decision | None


def highlight(text: str, criteria: Criteria, field: SearchField) -> tuple[Segment, ...]:
    """`text` cut into plain and highlighted runs by the protocol's concept terms.

    Uses `review.screen.match_spans`, the matcher the rules use, so what is
    highlighted is what the rules saw; where two concepts' terms overlap, the
    earlier (then longer) match wins.
    """
    names = [c.name for c in criteria.concepts]
    excluding = {c.name for c in criteria.concepts if c.role == "exclude"}
    segments: list[Segment] = []
    at = 0
    for start, end, concept in sorted(
        match_spans(text, criteria, field), key=lambda s: (s[0], -s[1])
    ):
        if start < at:
            continue
        if start > at:
            segments.append(Segment(text[at:start]))
        mark = "x" if concept in excluding else f"c{names.index(concept) % 3}"
        segments.append(Segment(text[start:end], mark, concept))
        at = end
    if at < len(text):
        segments.append(Segment(text[at:]))
    return tuple(segments)


def record_links(record: Record) -> tuple[Link, ...]:
    """Links out: PubMed, PMC, DOI, and the record's own URL when it is http(s)."""
    links = []
    if record.pmid:
        links.append(Link("PubMed", f"https://pubmed.ncbi.nlm.nih.gov/{quote(record.pmid)}/"))
    if record.pmcid:
        links.append(Link("PMC", f"https://pmc.ncbi.nlm.nih.gov/articles/{quote(record.pmcid)}/"))
    if record.doi:
        links.append(Link("DOI", f"https://doi.org/{quote(record.doi, safe='/:;()<>')}"))
    # Only web addresses: a javascript: or data: URL in an imported file must not
    # become a link a reviewer clicks.
    if record.url and urlsplit(record.url).scheme in ("http", "https"):
        links.append(Link("URL", record.url))
    return tuple(links)


def record_page(record: Record, criteria: Criteria, rule: Decision | None) -> RecordPage:
    names = [a.display for a in record.authors[:AUTHORS_SHOWN]]
    if len(record.authors) > AUTHORS_SHOWN:
        names.append(f"et al. ({len(record.authors)} authors)")
    citation = " · ".join(
        p
        for p in (
            record.journal or record.journal_abbrev,
            str(record.year) if record.year else "",
            f"PMID {record.pmid}" if record.pmid else "",
            f"doi:{record.doi}" if record.doi else "",
            ", ".join(record.publication_types),
        )
        if p
    )
    fields: tuple[tuple[str, tuple[str, ...], SearchField], ...] = (
        ("MeSH", record.mesh_descriptors, "mesh"),
        ("Keywords", record.keywords, "keywords"),
    )
    listings = tuple(
        (label, highlight("; ".join(values), criteria, field))
        for label, values, field in fields
        if values
    )
    return RecordPage(
        record_id=record.id,
        title=highlight(record.title or "(no title)", criteria, "title"),
        authors=", ".join(names) or "(no authors)",
        citation=citation,
        abstract=highlight(record.abstract_text, criteria, "abstract"),
        listings=listings,
        links=record_links(record),
        rule=rule,
    )


def answer_text(decision: Decision, criteria: Criteria) -> str:
    """A decision as the pages say it: 'include', 'unsure', 'exclude — reason text'."""
    if decision.outcome == "exclude":
        return f"exclude — {decision.reason}: {criteria.reason_text(decision.reason)}"
    if decision.outcome == "needs-human":
        return "unsure"
    return decision.outcome


def stage_label(stage: Stage) -> str:
    return "Title and abstract" if stage == "title-abstract" else "Full text"


def previous_decided(order: Sequence[str], current: str) -> str:
    """The record decided before `current` in the reviewer's decision order ("" if none);
    for a record not decided yet, the latest decided."""
    if current in order:
        position = order.index(current)
        return order[position - 1] if position > 0 else ""
    return order[-1] if order else ""
