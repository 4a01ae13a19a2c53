"""Screening: explainable rules from the protocol's criteria; people decide the rest.

`screen_record` applies the criteria to one record and says what matched and
what did not. A rule excludes only when the record itself shows it fails a
criterion (a known year outside the range, MeSH that says animals only, an
abstract that never names the topic); whenever the record lacks what a rule
needs (no MeSH, no abstract, no language), the answer is needs-human. Rules
never look at the full text, so the full-text stage is people's alone.

`effective_decisions` lays the people's decisions over the rules': a person
always wins, and because rule decisions are recomputed on every run from the
criteria, changing the criteria re-screens only what rules decided.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from review.protocol import Concept, Criteria, SearchField
from review.records import Record

__all__ = [
    "SKIP_HELP",
    "STAGES",
    "Decision",
    "FullTextCounts",
    "Outcome",
    "Stage",
    "TitleAbstractCounts",
    "effective_decisions",
    "explain",
    "full_text_counts",
    "held_full_text",
    "held_lines",
    "match_spans",
    "not_counted_because",
    "screen_record",
    "screen_records",
    "skipped_text",
    "term_pattern",
    "terms_pattern",
    "title_abstract_counts",
]

Stage = Literal["title-abstract", "full-text"]
# not-retrieved: full-text stage only, PRISMA's "reports not retrieved".
Outcome = Literal["include", "exclude", "needs-human", "not-retrieved"]
STAGES: tuple[Stage, ...] = ("title-abstract", "full-text")

# What s does, as `review screen` and `review serve` both say it: a skip is "not now".
SKIP_HELP = (
    "a skipped record comes back after the rest of your queue; skips are not saved, so a "
    "new session (or a restarted server) shows it in its ranked place again"
)


def skipped_text(record_id: str) -> str:
    """What a screener says when a record is skipped."""
    return f"Skipped {record_id}; it comes back after the rest of your queue (not saved)."


@dataclass(frozen=True, slots=True)
class Decision:
    """One record's screening outcome at one stage, with the evidence for it."""

    record_id: str
    stage: Stage
    outcome: Outcome
    reason: str = ""  # a reason code from the protocol when outcome is exclude
    by: str = "rules"  # "rules" or the reviewer's name
    matched: tuple[str, ...] = ()  # e.g. "kratom: 'mitragynine' in title"
    unmatched: tuple[str, ...] = ()
    at: str = ""  # ISO 8601 time for human decisions
    note: str = ""


# --- matching terms ------------------------------------------------------------------

_SEPARATOR = re.compile(r"[\s\-]+")


@lru_cache(maxsize=4096)
def term_pattern(term: str) -> re.Pattern[str]:
    """A term as a regex: case-insensitive, on word boundaries, `*` truncates.

    Spaces and hyphens inside a term match any run of spaces or hyphens (or
    none), so "cognitive behavio*" finds "cognitive-behavioural" and
    "7-OH-mitragynine" finds "7-OH mitragynine".
    """
    return re.compile(rf"(?<!\w){_term_body(term)}(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=1024)
def terms_pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    """Any of the terms, as one regex; the longest alternative is tried first."""
    bodies = sorted((_term_body(t) for t in terms), key=len, reverse=True)
    return re.compile(rf"(?<!\w)(?:{'|'.join(bodies)})(?!\w)", re.IGNORECASE)


def _term_body(term: str) -> str:
    words = [w for w in _SEPARATOR.split(term.strip()) if w]
    return r"[\s\-]*".join(re.escape(w).replace(r"\*", r"\w*") for w in words)


def _field_values(record: Record, field: SearchField) -> tuple[str, ...]:
    if field == "title":
        return (record.title,)
    if field == "abstract":
        return (record.abstract_text,)
    if field == "mesh":
        return record.mesh_descriptors
    if field == "keywords":
        return record.keywords
    return record.publication_types


_FIELD_LABEL: dict[SearchField, str] = {
    "title": "title",
    "abstract": "abstract",
    "mesh": "MeSH",
    "keywords": "keywords",
    "publication_types": "publication types",
}


def _concept_hits(record: Record, concept: Concept) -> list[str]:
    """Evidence for every field in which the concept occurs: first hit per field."""
    hits = []
    for field in concept.fields:
        found = _first_hit(_field_values(record, field), concept.terms)
        if found:
            hits.append(f"{concept.name}: '{found}' in {_FIELD_LABEL[field]}")
    return hits


def _first_hit(values: Sequence[str], terms: tuple[str, ...]) -> str:
    pattern = terms_pattern(terms)
    for value in values:
        match = pattern.search(value)
        if match:
            return match.group(0)
    return ""


def match_spans(text: str, criteria: Criteria, field: SearchField) -> list[tuple[int, int, str]]:
    """(start, end, concept name) of every concept term in `text`, for highlighting."""
    spans: list[tuple[int, int, str]] = []
    for concept in criteria.concepts:
        if field not in concept.fields:
            continue
        spans.extend(
            (m.start(), m.end(), concept.name)
            for m in terms_pattern(concept.terms).finditer(text)
            if m.end() > m.start()
        )
    return sorted(spans)


# --- the checks ----------------------------------------------------------------------

CheckStatus = Literal["pass", "fail", "unknown"]


@dataclass(frozen=True, slots=True)
class _Check:
    status: CheckStatus
    evidence: str
    reason: str = ""


_HUMANS = ("humans", "D006801")
_ANIMALS = ("animals", "D000818")
_RETRACTED_TYPE = "retracted publication"
_RETRACTION_NOTICE_TYPE = "retraction of publication"
# How publishers' own records (RIS, BibTeX exports) mark retractions in the title:
# Elsevier's "RETRACTED: ...", "RETRACTED ARTICLE: ...", and notices titled
# "Retraction: ...", "Retraction notice to ...", "Notice of retraction: ...".
_RETRACTED_TITLE = re.compile(r"^\W*retracted(\s+article)?\s*[:\]]", re.IGNORECASE)
_RETRACTION_NOTICE_TITLE = re.compile(
    r"^\W*(retraction\s*:|retraction\s+(notice|note)\b|notice\s+of\s+retraction\b)",
    re.IGNORECASE,
)
# MEDLINE's code for an undetermined language says nothing about the language.
_UNKNOWN_LANGUAGES = {"und", ""}
# Names that other databases' exports use for MEDLINE's language codes.
_LANGUAGE_CODES = {
    "english": "eng",
    "en": "eng",
    "french": "fre",
    "fr": "fre",
    "german": "ger",
    "de": "ger",
    "spanish": "spa",
    "es": "spa",
    "italian": "ita",
    "it": "ita",
    "portuguese": "por",
    "pt": "por",
    "dutch": "dut",
    "nl": "dut",
    "russian": "rus",
    "ru": "rus",
    "chinese": "chi",
    "zh": "chi",
    "japanese": "jpn",
    "ja": "jpn",
}


def _retraction(record: Record, criteria: Criteria) -> _Check | None:
    if not criteria.exclude_retracted:
        return None
    types = {t.lower() for t in record.publication_types}
    if _RETRACTED_TYPE in types:
        return _Check(
            "fail", "retracted: publication type Retracted Publication", _retracted(criteria)
        )
    if _RETRACTION_NOTICE_TYPE in types:
        return _Check(
            "fail",
            "retracted: a retraction notice (Retraction of Publication)",
            _retracted(criteria),
        )
    if _RETRACTED_TITLE.match(record.title):
        return _Check("fail", "retracted: the title says RETRACTED", _retracted(criteria))
    if _RETRACTION_NOTICE_TITLE.match(record.title):
        return _Check(
            "fail", "retracted: the title says it is a retraction notice", _retracted(criteria)
        )
    for relation in record.relations:
        if relation.kind.lower() == "retractionin":
            where = relation.pmid or relation.citation
            return _Check("fail", f"retracted: retraction notice {where}", _retracted(criteria))
    return _Check("pass", "retracted: no retraction recorded")


def _retracted(criteria: Criteria) -> str:
    return criteria.retracted_reason


def _publication_types(record: Record, criteria: Criteria) -> list[_Check]:
    checks = []
    types = {t.lower(): t for t in record.publication_types}
    if criteria.exclude_publication_types:
        excluded = [
            types[t.lower()] for t in criteria.exclude_publication_types if t.lower() in types
        ]
        if excluded:
            checks.append(
                _Check(
                    "fail",
                    f"publication type: {', '.join(excluded)} is excluded",
                    criteria.publication_type_reason,
                )
            )
        elif types:
            checks.append(_Check("pass", f"publication type: {'; '.join(types.values())}"))
    if criteria.include_publication_types:
        wanted = [
            types[t.lower()] for t in criteria.include_publication_types if t.lower() in types
        ]
        if wanted:
            checks.append(_Check("pass", f"publication type: {', '.join(wanted)}"))
        elif types:
            checks.append(
                _Check(
                    "fail",
                    f"publication type: none of {', '.join(criteria.include_publication_types)}"
                    f" (record has {'; '.join(types.values())})",
                    criteria.publication_type_reason,
                )
            )
        else:
            checks.append(_Check("unknown", "publication type: the record gives none"))
    return checks


def _years(record: Record, criteria: Criteria) -> _Check | None:
    first, last = criteria.years.first, criteria.years.last
    if first is None and last is None:
        return None
    wanted = f"{first or ''}–{last or ''}"
    if record.year is None:
        return _Check("unknown", f"year: unknown (review covers {wanted})")
    if (first is not None and record.year < first) or (last is not None and record.year > last):
        return _Check("fail", f"year: {record.year} outside {wanted}", criteria.years_reason)
    return _Check("pass", f"year: {record.year} within {wanted}")


def _languages(record: Record, criteria: Criteria) -> _Check | None:
    if not criteria.languages:
        return None
    codes = [
        _LANGUAGE_CODES.get(lang.strip().lower(), lang.strip().lower()) for lang in record.languages
    ]
    codes = [c for c in codes if c not in _UNKNOWN_LANGUAGES]
    if not codes:
        return _Check("unknown", "language: the record gives none")
    shown = ", ".join(codes)
    if any(code in criteria.languages for code in codes):
        return _Check("pass", f"language: {shown}")
    return _Check(
        "fail",
        f"language: {shown}, not {', '.join(criteria.languages)}",
        criteria.language_reason,
    )


def _species(record: Record, criteria: Criteria) -> _Check | None:
    if criteria.species == "any":
        return None
    if not record.mesh:
        # Files without a MeSH field (RIS, Scopus CSV) often tag the species as a keyword.
        # Humans there is enough to pass; Animals is not enough to exclude, since an
        # author keyword is not an indexer's heading.
        if any(keyword.strip().lower() == _HUMANS[0] for keyword in record.keywords):
            return _Check("pass", "species: keyword Humans (no MeSH headings)")
        return _Check("unknown", "species: no MeSH headings, so unknown")
    humans = any(_is(h.descriptor, h.ui, _HUMANS) for h in record.mesh)
    animals = any(_is(h.descriptor, h.ui, _ANIMALS) for h in record.mesh)
    if humans:
        return _Check("pass", "species: MeSH Humans")
    if animals:
        return _Check(
            "fail", "species: MeSH Animals without Humans (animal-only)", criteria.species_reason
        )
    if criteria.species == "humans":
        return _Check("unknown", "species: MeSH has neither Humans nor Animals")
    return _Check("pass", "species: MeSH has no Animals heading")


def _is(descriptor: str, ui: str, wanted: tuple[str, str]) -> bool:
    return descriptor.lower() == wanted[0] or ui == wanted[1]


def _concept(record: Record, concept: Concept) -> _Check:
    hits = _concept_hits(record, concept)
    if concept.role == "exclude":
        if hits:
            return _Check("fail", "; ".join(hits) + " (excludes)", concept.reason)
        return _Check("pass", f"{concept.name}: none of its terms (nothing to exclude)")
    if hits:
        return _Check("pass", "; ".join(hits))
    fields = ", ".join(_FIELD_LABEL[f] for f in concept.fields)
    missing = f"{concept.name}: no term in {fields}"
    # An abstract is the least a reviewer would read before excluding for absence.
    if concept.when_absent == "exclude" and "abstract" in concept.fields and record.abstract_text:
        return _Check("fail", missing, concept.reason)
    if concept.when_absent == "exclude":
        return _Check("unknown", f"{missing}; no abstract to be sure")
    return _Check("unknown", missing)


def _checks(record: Record, criteria: Criteria) -> list[_Check]:
    checks: list[_Check | None] = [
        _retraction(record, criteria),
        *_publication_types(record, criteria),
        _years(record, criteria),
        _languages(record, criteria),
        _species(record, criteria),
    ]
    excluding = [c for c in criteria.concepts if c.role == "exclude"]
    requiring = [c for c in criteria.concepts if c.role == "require"]
    checks.extend(_concept(record, c) for c in excluding)
    checks.extend(_concept(record, c) for c in requiring)
    return [c for c in checks if c is not None]


def screen_record(record: Record, criteria: Criteria) -> Decision:
    """The rules' title/abstract decision for one record, with its evidence.

    Exclude when any check fails (the first failure's reason code); otherwise
    needs-human when any check could not be made (or the protocol lets rules
    only exclude); otherwise include.
    """
    checks = _checks(record, criteria)
    matched = tuple(c.evidence for c in checks if c.status == "pass")
    unmatched = tuple(c.evidence for c in checks if c.status != "pass")
    failed = [c for c in checks if c.status == "fail"]
    if failed:
        outcome: Outcome = "exclude"
        reason = failed[0].reason
    elif any(c.status == "unknown" for c in checks):
        outcome, reason = "needs-human", ""
    elif not criteria.rules_include:
        outcome, reason = "needs-human", ""
        unmatched += ("rules include nothing in this protocol (rules_include = false)",)
    else:
        outcome, reason = "include", ""
    return Decision(record.id, "title-abstract", outcome, reason, "rules", matched, unmatched)


def screen_records(records: Iterable[Record], criteria: Criteria) -> tuple[Decision, ...]:
    return tuple(screen_record(r, criteria) for r in records)


# --- combining rules and people ------------------------------------------------------


def effective_decisions(
    rule_decisions: Iterable[Decision], human_decisions: Iterable[Decision]
) -> tuple[Decision, ...]:
    """One decision per record and stage: a person's where there is one, else the rules'.

    `human_decisions` should hold each person's final word (what
    `DecisionStore.final_decisions` gives); where one record and stage still
    has several, the latest (`at`) wins. Order: rules' order, then any
    human-only decisions (e.g. the full-text stage) in the order given.

    A record a person has decided at full text stays included at title/abstract
    even when changed criteria make the rules say otherwise (see
    `_taken_to_full_text`): human decisions are kept as they were. A full-text
    decision on a record people do not include at title/abstract (reviewers
    disagree there, or excluded it) is left out: it waits (`held_full_text`).
    """
    return _laid_over(rule_decisions, human_decisions)[0]


def held_full_text(
    rule_decisions: Iterable[Decision], human_decisions: Iterable[Decision]
) -> tuple[tuple[Decision, str], ...]:
    """People's full-text decisions `effective_decisions` does not count, each with why.

    PRISMA counts a full text only of a record included at title/abstract. When
    a second reviewer disagrees there after someone decided the full text, the
    record stands as a conflict (awaiting a person) and its full-text decision
    waits: kept, not counted, counted again once the conflict is resolved as
    include. When people exclude the record at title/abstract, it is set aside.
    """
    return _laid_over(rule_decisions, human_decisions)[1]


def _laid_over(
    rule_decisions: Iterable[Decision], human_decisions: Iterable[Decision]
) -> tuple[tuple[Decision, ...], tuple[tuple[Decision, str], ...]]:
    """(the effective decisions, the full-text decisions held back with why)."""
    human: dict[tuple[str, Stage], Decision] = {}
    for decision in human_decisions:
        key = (decision.record_id, decision.stage)
        if key not in human or decision.at >= human[key].at:
            human[key] = decision
    result = []
    for decision in rule_decisions:
        key = (decision.record_id, decision.stage)
        full_text = human.get((decision.record_id, "full-text"))
        if key in human:
            result.append(human.pop(key))
        elif full_text is not None and decision.outcome != "include":
            result.append(_taken_to_full_text(decision, full_text))
        else:
            result.append(decision)
    result.extend(human.values())
    first = {d.record_id: d for d in result if d.stage == "title-abstract"}
    counted: list[Decision] = []
    held: list[tuple[Decision, str]] = []
    for decision in result:
        stands = first.get(decision.record_id)
        if decision.stage == "full-text" and stands is not None and stands.outcome != "include":
            held.append((decision, not_counted_because(stands)))
        else:
            counted.append(decision)
    return tuple(counted), tuple(held)


def not_counted_because(title_abstract: Decision) -> str:
    """Why a full-text decision does not count while its record stands so at title/abstract.

    Names no reviewer's answer, so a reviewer screening blind learns nothing.
    """
    if title_abstract.outcome == "exclude":
        return (
            "set aside: the record is excluded at title/abstract, so its full text is not counted"
        )
    if title_abstract.by == "conflict":
        waits_for = "the title/abstract conflict to be resolved"
    elif title_abstract.by == "awaiting":
        waits_for = "more reviewers to agree at title/abstract"
    else:
        waits_for = "a title/abstract decision (the record is marked unsure)"
    return f"waiting for {waits_for}; counts once the record is included there"


def _taken_to_full_text(rule: Decision, full_text: Decision) -> Decision:
    """The rules no longer include a record a person has already assessed in full.

    A person's decision outranks the rules', and assessing the full text is a
    person passing the record at title/abstract; so it stays included (PRISMA
    counts full texts only of records included), with a note saying what the
    rules now say, for `review explain` and the report.
    """
    now_say = rule.outcome + (f" ({rule.reason})" if rule.reason else "")
    return Decision(
        rule.record_id,
        "title-abstract",
        "include",
        by=full_text.by,
        matched=rule.matched,
        unmatched=rule.unmatched,
        at=full_text.at,
        note=f"taken to full text by {full_text.by}; the rules now say {now_say}",
    )


@dataclass(frozen=True, slots=True)
class TitleAbstractCounts:
    """PRISMA 2020, as the report counts (`review.prisma`): the rules' exclusions are
    records marked ineligible by automation, before screening; `screened` are the rest,
    `excluded` and `excluded_by_reason` people's exclusions among them."""

    screened: int
    included: int
    excluded: int
    needs_human: int
    excluded_by_reason: tuple[tuple[str, int], ...]
    automated: int = 0  # marked ineligible by automation (the protocol's rules)


@dataclass(frozen=True, slots=True)
class FullTextCounts:
    """PRISMA 2020: reports sought, not retrieved, assessed, and excluded with reasons.

    As the report counts them (`review.prisma`): sought − not retrieved −
    awaiting = assessed, the reports with a full-text include or exclude.
    """

    sought: int
    not_retrieved: int
    assessed: int  # reports assessed for eligibility: included + excluded
    included: int
    excluded: int
    awaiting: int  # awaiting assessment: sought, not "not retrieved", not yet decided
    excluded_by_reason: tuple[tuple[str, int], ...]


def title_abstract_counts(effective: Iterable[Decision]) -> TitleAbstractCounts:
    every = [d for d in effective if d.stage == "title-abstract"]
    stage = [d for d in every if not (d.outcome == "exclude" and d.by == "rules")]
    outcomes = Counter(d.outcome for d in stage)
    reasons = Counter(d.reason for d in stage if d.outcome == "exclude")
    return TitleAbstractCounts(
        screened=len(stage),
        included=outcomes["include"],
        excluded=outcomes["exclude"],
        needs_human=outcomes["needs-human"],
        excluded_by_reason=tuple(sorted(reasons.items())),
        automated=len(every) - len(stage),
    )


def full_text_counts(effective: Iterable[Decision]) -> FullTextCounts:
    """Counts over the records included at title/abstract (the reports sought)."""
    decisions = list(effective)
    sought = {
        d.record_id for d in decisions if d.stage == "title-abstract" and d.outcome == "include"
    }
    full = {d.record_id: d for d in decisions if d.stage == "full-text" and d.record_id in sought}
    outcomes = Counter(d.outcome for d in full.values())
    reasons = Counter(d.reason for d in full.values() if d.outcome == "exclude")
    not_retrieved = outcomes["not-retrieved"]
    return FullTextCounts(
        sought=len(sought),
        not_retrieved=not_retrieved,
        assessed=outcomes["include"] + outcomes["exclude"],
        included=outcomes["include"],
        excluded=outcomes["exclude"],
        awaiting=len(sought) - not_retrieved - outcomes["include"] - outcomes["exclude"],
        excluded_by_reason=tuple(sorted(reasons.items())),
    )


# --- explaining ----------------------------------------------------------------------


def explain(
    record: Record,
    criteria: Criteria,
    human_decisions: Iterable[Decision] = (),
    final: Iterable[Decision] | None = None,
) -> str:
    """What the rules found for one record, what people decided, and what stands.

    `human_decisions` are every person's decisions to list; `final` the people's
    final word per stage (`DecisionStore.final_decisions`, which settles two
    reviewers' conflicts), by default the latest of `human_decisions`.
    """
    rule = screen_record(record, criteria)
    people = [d for d in human_decisions if d.record_id == record.id]
    settled = people if final is None else [d for d in final if d.record_id == record.id]
    lines = [f"{record.id}: {record.title or '(no title)'}"]
    lines.append(f"Rules ({rule.stage}): {_outcome_text(rule, criteria)}")
    lines.extend(f"  matched:     {e}" for e in rule.matched)
    lines.extend(f"  not matched: {e}" for e in rule.unmatched)
    if not people:
        lines.append("People: no decision yet")
    for d in sorted(people, key=lambda d: (STAGES.index(d.stage), d.at)):
        note = f" — {d.note}" if d.note else ""
        lines.append(f"People ({d.stage}): {d.by} at {d.at}: {_outcome_text(d, criteria)}{note}")
    counted, held = _laid_over([rule], settled)
    stands = {d.stage: d for d in counted}
    for stage in STAGES:
        for d, why in held:
            if d.stage == stage:
                lines.append(f"Stands ({stage}): not counted (by {d.by}) — {why}")
        if stage in stands:
            d = stands[stage]
            listed = d in people and d.by != "conflict"  # its note is shown above
            note = f" — {d.note}" if d.note and not listed else ""
            lines.append(f"Stands ({stage}): {_outcome_text(d, criteria)} (by {d.by}){note}")
    return "\n".join(lines)


def _outcome_text(decision: Decision, criteria: Criteria) -> str:
    if decision.outcome == "exclude":
        return f"exclude — {decision.reason}: {criteria.reason_text(decision.reason)}"
    return decision.outcome


def held_lines(held: Sequence[tuple[Decision, str]]) -> list[str]:
    """The full-text decisions not counted above because their record does not stand
    as included at title/abstract, so no count is dropped without a word."""
    waiting = sum(1 for _, why in held if why.startswith("waiting"))
    set_aside = len(held) - waiting
    lines = []
    if waiting:
        one = waiting == 1
        lines.append(
            f"{waiting} full-text decision{' waits' if one else 's wait'}, kept but not "
            f"counted: {'its record is' if one else 'their records are'} not settled at "
            "title/abstract (counted above as for people to decide); "
            f"{'it counts' if one else 'each counts'} once {'the' if one else 'its'} record "
            "is included there."
        )
    if set_aside:
        one = set_aside == 1
        lines.append(
            f"{set_aside} full-text decision{' is' if one else 's are'} set aside: "
            f"{'its record is' if one else 'their records are'} excluded at title/abstract "
            "(kept in the decisions file, not counted)."
        )
    return lines
