"""Stable record identity: every earlier decision still counts after the records change."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review.decisions import DecisionStore
from review.dedup import deduplicate
from review.identity import (
    CONFLICT,
    Groups,
    earlier_mains,
    fingerprint,
    follow_records,
    group_decisions,
    keep_main_copies,
    main_of,
)
from review.prisma import PrismaCounts, derive_prisma
from review.records import AbstractSection, Author, Record, Source
from review.screen import Decision, effective_decisions, held_full_text

TITLES = (
    "Kratom withdrawal in adults treated with buprenorphine: a case series",
    "Mitragynine pharmacokinetics after oral dosing in healthy volunteers",
    "Cognitive behavioural therapy for mood disorders in people who use kratom",
    "Survey of kratom use patterns among veterans in the United States",
    "Liver injury associated with kratom products: a systematic review",
    "Neonatal abstinence syndrome after maternal kratom exposure",
    "Seizures and kratom: reports to poison control centres 2011 to 2017",
    "Self-treatment of opioid dependence with Mitragyna speciosa in Malaysia",
)


def copy(paper: int, source: str, n: int, complete: bool) -> Record:
    """One copy of paper `paper` as a database exported it; `complete` adds an abstract."""
    return Record(
        id=f"{source}:{n}",
        source=Source(source, file=f"{source}.ris", position=n),
        title=TITLES[paper],
        authors=(Author("Smith", "J", "J"), Author(f"Author{paper}", "A", "A")),
        journal="Journal of Kratom Studies",
        year=2015 + paper,
        volume=str(paper + 1),
        pages=f"{10 * paper + 1}-{10 * paper + 9}",
        doi=f"10.1000/kratom.{paper}",
        abstract=(AbstractSection(f"Abstract of paper {paper}."),) if complete else (),
    )


@dataclasses.dataclass(frozen=True)
class Run:
    mains: dict[str, str]
    decisions: dict[str, Decision]  # main id -> the group's title/abstract decision
    orphans: tuple[Decision, ...]
    canonical: tuple[str, ...]


def run_once(
    records: Sequence[Record],
    mains_then: Sequence[str],
    fingerprints: dict[str, str],
    people: Sequence[Decision],
) -> Run:
    """What prepare_review does with identity: dedup, keep mains, follow, group."""
    kept = earlier_mains(mains_then, fingerprints, records)
    dedup = keep_main_copies(deduplicate(records), kept)
    mains = main_of(dedup)
    followed, gone = follow_records(people, mains, fingerprints, records)
    grouped, orphans = group_decisions(followed, mains)
    return Run(
        mains,
        {d.record_id: d for d in grouped},
        (*gone, *orphans),
        tuple(r.id for r in dedup.canonical),
    )


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Record], list[Record], list[int]]:
    """(first run's records, second run's records, papers present in the second)."""
    papers = draw(st.lists(st.integers(0, len(TITLES) - 1), min_size=1, max_size=5, unique=True))
    first = [
        copy(p, source, n, draw(st.booleans()))
        for n, (p, source) in enumerate(
            (
                (p, s)
                for p in papers
                for s in draw(st.sets(st.sampled_from(["PubMed", "PMC"]), min_size=1))
            ),
            1,
        )
    ]
    kept = [r for r in first if draw(st.booleans()) or r is first[0]]
    new_papers = draw(st.lists(st.integers(0, len(TITLES) - 1), max_size=4))
    # A new source file (complete copies that beat the earlier ones on completeness),
    # and the old file re-exported so that its positional IDs shift by one.
    added = [copy(p, "Scopus", n, True) for n, p in enumerate(new_papers, 1)]
    if draw(st.booleans()):
        kept = [
            dataclasses.replace(r, id=f"PMC:{int(r.id.split(':')[1]) + 1}")
            if r.source.database == "PMC"
            else r
            for r in kept
        ]
    second = kept + added
    if draw(st.booleans()):
        second = list(reversed(second))
    present = sorted({int(r.doi.rsplit(".", 1)[1]) for r in second})
    return first, second, present


@settings(max_examples=40, deadline=None)
@given(histories(), st.lists(st.sampled_from(["include", "exclude"]), min_size=5, max_size=5))
def test_every_earlier_decision_still_counts(
    history: tuple[list[Record], list[Record], list[int]], outcomes: list[str]
) -> None:
    first, second, present = history
    one = run_once(first, (), {}, ())
    people = [
        Decision(
            main,
            "title-abstract",
            "include" if outcomes[n % 5] == "include" else "exclude",
            "" if outcomes[n % 5] == "include" else "not-kratom",
            by="ana",
            at=f"2026-12-0{n % 9 + 1}",
        )
        for n, main in enumerate(one.canonical)
    ]
    paper_of = {r.id: int(r.doi.rsplit(".", 1)[1]) for r in first}
    two = run_once(second, one.canonical, {r.id: fingerprint(r) for r in first}, people)

    for decision in people:
        paper = paper_of[decision.record_id]
        if paper not in present:
            assert decision in two.orphans  # every copy of it is gone: nothing to count
            continue
        # It counts, for the group that holds its paper now, with the same answer.
        main = next(m for m, d in two.decisions.items() if paper_of_main(m, second) == paper)
        counted = two.decisions[main]
        assert counted.by == "ana" and counted.outcome == decision.outcome
    # A main copy that is still there stays the main copy, whatever joined its group
    # (found by its content when a re-exported file renumbered it).
    first_by_id = {r.id: r for r in first}
    for main in one.canonical:
        same = [r.id for r in second if r == dataclasses.replace(first_by_id[main], id=r.id)]
        if same:
            assert same[0] in two.canonical


def paper_of_main(main: str, records: Sequence[Record]) -> int:
    return next(int(r.doi.rsplit(".", 1)[1]) for r in records if r.id == main)


def test_a_new_more_complete_copy_does_not_take_over_the_group() -> None:
    first = [copy(0, "PubMed", 1, False)]
    one = run_once(first, (), {}, ())
    people = [Decision("PubMed:1", "title-abstract", "include", by="ana", at="2026-12-01")]
    second = [*first, copy(0, "Scopus", 1, True)]
    assert deduplicate(second).canonical[0].id == "Scopus:1"  # what dedup alone picks
    two = run_once(second, one.canonical, {}, people)
    assert two.canonical == ("PubMed:1",)
    assert two.decisions["PubMed:1"].by == "ana" and not two.orphans


def test_the_kept_main_copy_takes_the_groups_merged_fields() -> None:
    records = [copy(0, "PubMed", 1, False), copy(0, "Scopus", 1, True)]
    dedup = keep_main_copies(deduplicate(records), ["PubMed:1"])
    (main,) = dedup.canonical
    assert main.id == "PubMed:1" and main.source.database == "PubMed"
    assert main.abstract_text == "Abstract of paper 0."
    assert [(link.record_id, link.canonical_id) for link in dedup.links] == [
        ("Scopus:1", "PubMed:1")
    ]


def test_the_former_main_copy_is_explained_by_the_copy_it_matched() -> None:
    """Its link said "via Scopus:1" on Scopus:1 itself (`review explain` printed it)."""
    records = [copy(0, "PubMed", 1, False), copy(0, "Scopus", 1, True)]
    assert deduplicate(records).canonical[0].id == "Scopus:1"
    (link,) = keep_main_copies(deduplicate(records), ["PubMed:1"]).links
    assert link.record_id == "Scopus:1"
    assert link.detail.startswith("via PubMed:1: ")


def test_groups_that_merge_with_different_decisions_are_a_conflict() -> None:
    mains = {"a": "a", "b": "a"}
    people = [
        Decision("a", "title-abstract", "include", by="ana", at="2026-12-01"),
        Decision("b", "title-abstract", "exclude", "not-kratom", by="ben", at="2026-12-02"),
    ]
    (decided,), orphans = group_decisions(people, mains)
    assert decided.record_id == "a" and decided.by == CONFLICT
    assert decided.outcome == "needs-human" and not orphans
    assert "b (ben): exclude (not-kratom)" in decided.note
    # A person settles it on the main copy, and it stays settled.
    settled = Decision("a", "title-abstract", "exclude", "not-kratom", by="cy", at="2026-12-03")
    (decided,), _ = group_decisions([settled, people[1]], mains, [settled])
    assert decided == settled


def test_groups_that_merge_with_the_same_decision_count_once() -> None:
    people = [
        Decision("a", "title-abstract", "include", by="ana", at="2026-12-01"),
        Decision("b", "title-abstract", "include", by="ben", at="2026-12-02"),
    ]
    (decided,), _ = group_decisions(people, {"a": "a", "b": "a"})
    # Each reviewer who decided a copy is credited, not the last of them only.
    assert (decided.record_id, decided.outcome, decided.by) == ("a", "include", "ana and ben")
    assert decided.at == "2026-12-02"
    again = [*people, Decision("c", "title-abstract", "include", by="ana", at="2026-12-03")]
    (decided,), _ = group_decisions(again, {"a": "a", "b": "a", "c": "a"})
    assert decided.by == "ana and ben"


def test_a_split_group_keeps_each_decision_with_its_record() -> None:
    people = [Decision("b", "title-abstract", "exclude", "x", by="ana", at="2026-12-01")]
    decided, _ = group_decisions(people, {"a": "a", "b": "b"})
    assert [d.record_id for d in decided] == ["b"]


def test_a_clash_between_copies_after_a_full_text_decision_is_a_conflict() -> None:
    """Copies decided differently are a clash a person settles, as two reviewers on one
    record are (`review.decisions`); before, the group stayed included because someone
    had assessed its full text, so the PRISMA counts depended on which copy was decided."""
    people = [
        Decision("a", "title-abstract", "include", by="ana", at="2026-12-01"),
        Decision("a", "full-text", "include", by="ana", at="2026-12-02"),
        Decision("b", "title-abstract", "exclude", "x", by="ben", at="2026-12-03"),
    ]
    decided, _ = group_decisions(people, {"a": "a", "b": "a"})
    by_stage = {d.stage: d for d in decided}
    assert (by_stage["title-abstract"].outcome, by_stage["title-abstract"].by) == (
        "needs-human",
        CONFLICT,
    )
    assert "b (ben): exclude (x)" in by_stage["title-abstract"].note
    # The full-text decision is kept for the group; effective_decisions holds it.
    assert by_stage["full-text"].outcome == "include"
    (held,) = held_full_text([], decided)
    assert held[1].startswith("waiting for the title/abstract conflict to be resolved")


def prisma_after(
    tmp_path: Path, late_copy: str, settle: Decision | None
) -> tuple[PrismaCounts, tuple[str, ...]]:
    """The PRISMA counts and held full texts when ana includes the main copy and assesses
    its full text, then ben excludes `late_copy` at title/abstract (`settle` resolves it)."""
    records = [copy(0, "PubMed", 1, False), copy(0, "Scopus", 1, True)]
    dedup = deduplicate(records)
    groups = Groups(main_of(dedup), records)
    main = dedup.canonical[0].id
    path = tmp_path / f"{late_copy}-{settle.outcome if settle else 'open'}.sqlite"
    with DecisionStore(path, ("not-kratom",)) as store:
        store.add(Decision(main, "title-abstract", "include", by="ana"))
        store.add(Decision(main, "full-text", "include", by="ana"))
        store.add(Decision(late_copy, "title-abstract", "exclude", "not-kratom", "ben"))
        if settle is not None:
            store.resolve(dataclasses.replace(settle, record_id=main), groups.copies(main))
        human, _ = groups.settle(store.final_decisions(), store.current(kind="resolution"))
    rules = [Decision(r.id, "title-abstract", "needs-human") for r in dedup.canonical]
    flow = derive_prisma(records, dedup.links, effective_decisions(rules, human))  # checks sums
    return flow.counts(), tuple(why for _, why in held_full_text(rules, human))


@pytest.mark.parametrize(
    "settle",
    [
        None,
        Decision("", "title-abstract", "include", by="cy"),
        Decision("", "title-abstract", "exclude", "not-kratom", "cy"),
    ],
)
def test_prisma_counts_a_late_clash_alike_on_one_record_or_on_two_copies(
    tmp_path: Path, settle: Decision | None
) -> None:
    main = deduplicate([copy(0, "PubMed", 1, False), copy(0, "Scopus", 1, True)]).canonical[0].id
    other = "PubMed:1" if main == "Scopus:1" else "Scopus:1"
    one_record = prisma_after(tmp_path, main, settle)
    two_copies = prisma_after(tmp_path, other, settle)
    assert two_copies == one_record
    counts, held = two_copies
    assert counts.duplicates_removed == 1 and counts.records_screened == 1
    if settle is None:  # a conflict for a person; the full text waits, not counted
        assert (counts.awaiting_screening, counts.reports_sought) == (1, 0)
        assert held[0].startswith("waiting for the title/abstract conflict")
    elif settle.outcome == "include":  # counted again
        assert (counts.reports_sought, counts.reports_assessed, counts.studies_included) == (
            1,
            1,
            1,
        )
        assert held == ()
    else:  # excluded: the full text is set aside
        assert counts.records_excluded == (("not-kratom", 1),) and counts.reports_sought == 0
        assert held[0].startswith("set aside")
