"""A reading list for students, ranked by relevance even before anyone has screened.

`ranked_reading_list` puts the records people included first, drops the ones
people or the rules excluded, and orders the rest by `review.rank` (the
protocol's question and concepts, or a model once people have decided some).
Entries are grouped by the protocol's concepts each record mentions, not by the
search that found it. `reading_list_html` folds each abstract; the Markdown
version suits a wiki or an e-mail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from review.dedup import DedupResult
from review.identity import main_of
from review.protocol import Protocol
from review.rank import RecordRanker
from review.records import Record
from review.screen import Decision, terms_pattern

__all__ = [
    "PossibleDuplicate",
    "RankedReadingList",
    "ReadingItem",
    "ReadingSection",
    "ranked_reading_list",
    "reading_list_html",
    "reading_list_markdown",
    "study_type",
]

# Publication types that say what kind of study a record reports, most telling first.
STUDY_TYPES: tuple[tuple[str, str], ...] = (
    ("meta-analysis", "Meta-analysis"),
    ("systematic review", "Systematic review"),
    ("randomized controlled trial", "Randomised controlled trial"),
    ("controlled clinical trial", "Controlled clinical trial"),
    ("clinical trial", "Clinical trial"),
    ("observational study", "Observational study"),
    ("comparative study", "Comparative study"),
    ("multicenter study", "Multicentre study"),
    ("case reports", "Case report"),
    ("review", "Review"),
    ("letter", "Letter"),
    ("editorial", "Editorial"),
    ("comment", "Comment"),
)


def study_type(publication_types: Sequence[str]) -> str:
    lowered = {t.strip().lower() for t in publication_types}
    for key, name in STUDY_TYPES:
        if key in lowered:
            return name
    others = [t for t in publication_types if t.strip().lower() not in ("journal article", "")]
    return others[0] if others else "Article"


def _authors(record: Record) -> str:
    names = [a.display for a in record.authors if a.display]
    return ", ".join(names[:3]) + (" et al." if len(names) > 3 else "")


def _links(r: Record) -> tuple[tuple[str, str], ...]:
    found = [
        ("PubMed", f"https://pubmed.ncbi.nlm.nih.gov/{r.pmid}/" if r.pmid else ""),
        ("PMC", f"https://pmc.ncbi.nlm.nih.gov/articles/{r.pmcid}/" if r.pmcid else ""),
        ("DOI", f"https://doi.org/{r.doi}" if r.doi else ""),
    ]
    links = tuple((name, url) for name, url in found if url)
    if not links and r.url:
        return (("Link", r.url),)
    return links


class _Citation:
    """The citation parts the templates show for an entry's record."""

    __slots__ = ()
    record: Record

    @property
    def authors(self) -> str:
        return _authors(self.record)

    @property
    def links(self) -> tuple[tuple[str, str], ...]:
        return _links(self.record)


@dataclass(frozen=True, slots=True)
class PossibleDuplicate(_Citation):
    """A record folded into a higher entry: deduplication could not tell whether the two
    are one work and left the pair to a person, who has not decided it yet."""

    record: Record


@dataclass(frozen=True, slots=True)
class ReadingItem(_Citation):
    record: Record
    rank: int  # 1-based position in the whole list
    relevance: float
    included: bool  # included by people at title/abstract (or full text)
    study_type: str
    terms: tuple[str, ...]  # what weighed most for its rank
    # lower-ranked records that may be the same work (an undecided pair), not listed apart
    maybe_same: tuple[PossibleDuplicate, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class ReadingSection:
    key: str
    title: str
    items: tuple[ReadingItem, ...]


@dataclass(frozen=True, slots=True)
class RankedReadingList:
    title: str
    question: str
    basis: str  # how it was ranked, in words
    candidates: int  # records that could be on the list
    included: int
    excluded_by_people: int
    excluded_by_rules: int
    sections: tuple[ReadingSection, ...]
    folded: int = 0  # records folded into a higher entry as possible duplicates

    @property
    def shown(self) -> int:
        """Entries listed; records folded into them are not counted."""
        return sum(len(s.items) for s in self.sections)

    @property
    def folded_text(self) -> str:
        """ "1 folded into a higher entry as a possible duplicate …", for the count lines."""
        what = "a possible duplicate" if self.folded == 1 else "possible duplicates"
        return f"{self.folded} folded into a higher entry as {what} a person has not yet confirmed"


def ranked_reading_list(
    protocol: Protocol,
    records: Sequence[Record],
    rule_decisions: Sequence[Decision],
    people: Sequence[Decision],
    *,
    top: int | None = None,
    seed: int = 0,
    dedup: DedupResult | None = None,
) -> RankedReadingList:
    """The list: people's inclusions first, then the rest by predicted relevance.

    With `dedup` (the run's deduplication), a record that forms one of its undecided
    pairs with a record listed higher is folded into that entry rather than listed
    again. Nothing is decided: the pair stays for a person, and a pair a person has
    rejected is no longer undecided, so both records are listed. `top` counts entries.
    """
    final = _final_people(people)
    rules = {d.record_id: d for d in rule_decisions}
    excluded_people = {i for i, d in final.items() if d.outcome == "exclude"}
    included = {i for i, d in final.items() if d.outcome == "include"}
    excluded_rules = {
        i for i, d in rules.items() if d.outcome == "exclude" and i not in final
    } - included
    keep = [r for r in records if r.id not in excluded_people and r.id not in excluded_rules]
    ranker = RecordRanker(
        records, question=protocol.question, criteria=protocol.criteria, seed=seed
    )
    ranker.learn(sorted(final.values(), key=lambda d: d.at))
    ranked = ranker.order(keep)
    ordered = [r for r in ranked if r.id in included] + [r for r in ranked if r.id not in included]
    partners = _undecided_partners(dedup) if dedup is not None else {}
    entries: list[Record] = []
    folded: dict[str, list[Record]] = {}
    entry_of: dict[str, str] = {}  # record ID -> the ID of the entry that shows it
    position: dict[str, int] = {}  # entry ID -> its place in the list
    for record in ordered:
        higher = [entry_of[p] for p in partners.get(record.id, ()) if p in entry_of]
        if higher:
            entry = min(higher, key=lambda e: position[e])
            folded[entry].append(record)
            entry_of[record.id] = entry
            continue
        if top is not None and len(entries) >= top:
            break
        position[record.id] = len(entries)
        entries.append(record)
        folded[record.id] = []
        entry_of[record.id] = record.id
    items = [
        ReadingItem(
            record,
            rank,
            ranker.relevance(record.id) or 0.0,
            record.id in included,
            study_type(record.publication_types),
            ranker.terms(record.id),
            tuple(PossibleDuplicate(r) for r in folded[record.id]),
        )
        for rank, record in enumerate(entries, start=1)
    ]
    return RankedReadingList(
        title=protocol.title,
        question=protocol.question.strip(),
        basis=ranker.describe(),
        candidates=len(keep),
        included=len(included & {r.id for r in keep}),
        excluded_by_people=len(excluded_people & {r.id for r in records}),
        excluded_by_rules=len(excluded_rules & {r.id for r in records}),
        sections=_sections(items, protocol),
        folded=sum(len(item.maybe_same) for item in items),
    )


def _undecided_partners(dedup: DedupResult) -> dict[str, set[str]]:
    """Each record's partners in deduplication's undecided pairs, by their groups' main copies."""
    mains = main_of(dedup)
    partners: dict[str, set[str]] = {}
    for pair in dedup.undecided:
        a, b = mains.get(pair.first_id, pair.first_id), mains.get(pair.second_id, pair.second_id)
        if a != b:
            partners.setdefault(a, set()).add(b)
            partners.setdefault(b, set()).add(a)
    return partners


def _final_people(people: Sequence[Decision]) -> dict[str, Decision]:
    """Each record's standing with people: full-text decisions outrank title/abstract."""
    final: dict[str, Decision] = {}
    for stage in ("title-abstract", "full-text"):
        for d in sorted((d for d in people if d.stage == stage), key=lambda d: d.at):
            if d.outcome in ("include", "exclude"):
                final[d.record_id] = d
    return final


def _sections(items: Sequence[ReadingItem], protocol: Protocol) -> tuple[ReadingSection, ...]:
    """Group by which of the protocol's concepts a record mentions; most concepts first."""
    concepts = [c for c in protocol.criteria.concepts if c.role != "exclude"]
    groups: dict[tuple[int, ...], list[ReadingItem]] = {}
    for item in items:
        r = item.record
        text = "\n".join((r.title, r.abstract_text, *r.mesh_descriptors, *r.keywords))
        key = tuple(n for n, c in enumerate(concepts) if terms_pattern(c.terms).search(text))
        groups.setdefault(key, []).append(item)
    sections = []
    for key in sorted(groups, key=lambda k: (-len(k), k)):
        if key:
            title = " + ".join(concepts[n].description or concepts[n].name for n in key)
            slug = "-".join(concepts[n].name for n in key)
        elif concepts:
            title, slug = "Mentions none of the protocol's concepts", "none"
        else:
            title, slug = "All records", "all"
        sections.append(ReadingSection(slug, title, tuple(groups[key])))
    return tuple(sections)


# --- writing ---------------------------------------------------------------------------


def _environment(html: bool) -> Environment:
    return Environment(
        loader=PackageLoader("review", "templates"),
        autoescape=select_autoescape(default=True) if html else False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def reading_list_html(reading: RankedReadingList) -> str:
    template = _environment(html=True).get_template("ranked-reading-list.html.j2")
    return template.render(reading=reading)


def reading_list_markdown(reading: RankedReadingList) -> str:
    env = _environment(html=False)
    env.filters["md"] = _md
    return env.get_template("ranked-reading-list.md.j2").render(reading=reading)


def _md(text: object) -> str:
    """Record text as literal Markdown (no markup of its own)."""
    import re

    return re.sub(r"([\\`*_\[\]<>|~#])", r"\\\1", " ".join(str(text).split()))
