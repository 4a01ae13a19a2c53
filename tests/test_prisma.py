"""PRISMA 2020 boxes derived from records, duplicate links and decisions."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_example import DECISIONS, LINKS, RECORDS, REMOVALS

from review.dedup import DuplicateLink
from review.errors import ReportError
from review.prisma import PrismaFlow, Removal, derive_prisma
from review.records import Record, Source
from review.screen import Decision


def example_flow() -> PrismaFlow:
    return derive_prisma(RECORDS, LINKS, DECISIONS, REMOVALS)


def test_every_box_of_the_example() -> None:
    flow = example_flow()
    counts = flow.counts()
    assert counts.identified == (("PubMed", 10), ("Embase", 4))
    assert flow.duplicates.record_ids == ("embase:1", "embase:2")
    assert counts.removed_other == (("Deleted from PubMed by NLM", 1),)
    # The rules' exclusion is marked ineligible by automation, before screening.
    assert counts.automation == (("not-kratom", 1),)
    assert flow.automation[0].record_ids == ("1005",)
    assert counts.records_screened == 10
    assert counts.records_excluded == (("wrong-outcome", 1),)
    assert flow.awaiting_screening.record_ids == ("1007", "embase:4")
    assert flow.sought.record_ids == ("1001", "1002", "1003", "1004", "1006", "1008", "embase:3")
    assert flow.not_retrieved.record_ids == ("1006",)
    # Assessed: only reports with a full-text include or exclude.
    assert flow.awaiting_assessment.record_ids == ("1008", "embase:3")
    assert flow.assessed.record_ids == ("1001", "1002", "1003", "1004")
    assert counts.reports_excluded == (("wrong-outcome", 1),)
    assert flow.included.record_ids == ("1001", "1002", "1004")
    assert counts.reports_of_included_studies == 3
    assert [c.key for c in flow.columns] == ["databases"]


def test_box_keys_are_unique_and_found() -> None:
    flow = example_flow()
    keys = [box.key for box in flow.boxes()]
    assert len(keys) == len(set(keys))
    assert flow.box("reports-excluded.wrong-outcome").record_ids == ("1003",)
    with pytest.raises(KeyError):
        flow.box("no-such-box")


def test_databases_differing_only_in_case_get_their_own_keys() -> None:
    records = (_rec("a", "Embase"), _rec("b", "embase"))
    flow = derive_prisma(records, (), ())
    assert [box.key for box in flow.identified] == ["identified.embase", "identified.embase-2"]


def test_nothing_decided_yet_means_everything_awaits_screening() -> None:
    flow = derive_prisma(RECORDS, LINKS, (), REMOVALS)
    assert flow.awaiting_screening.record_ids == flow.screened.record_ids
    assert flow.sought.count == flow.included.count == 0


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("duplicates_removed", 1),
        ("records_screened", -1),
        ("awaiting_screening", 1),
        ("reports_sought", 1),
        ("reports_not_retrieved", 1),
        ("reports_assessed", -1),
        ("awaiting_assessment", 1),
        ("studies_included", 1),
    ],
)
def test_counts_that_do_not_add_up_are_a_report_error(field: str, change: int) -> None:
    counts = example_flow().counts()
    broken = dataclasses.replace(counts, **{field: getattr(counts, field) + change})
    with pytest.raises(ReportError, match="does not add up"):
        broken.check()


def test_a_reason_line_that_does_not_add_up_is_a_report_error() -> None:
    counts = example_flow().counts()
    broken = dataclasses.replace(counts, reports_excluded=(("wrong-outcome", 2),))
    with pytest.raises(ReportError, match="assessed − excluded = included"):
        broken.check()


def test_negative_and_impossible_counts_are_report_errors() -> None:
    counts = example_flow().counts()
    with pytest.raises(ReportError, match="negative"):
        dataclasses.replace(counts, identified=(("PubMed", -1),)).check()
    with pytest.raises(ReportError, match="included by rules"):
        dataclasses.replace(counts, rules_included=30).check()
    with pytest.raises(ReportError, match="reports of included studies"):
        dataclasses.replace(counts, reports_of_included_studies=0).check()


@pytest.mark.parametrize(
    ("records", "links", "decisions", "removals", "message"),
    [
        (RECORDS + RECORDS[:1], LINKS, (), (), "occurs twice"),
        (RECORDS, (DuplicateLink("nope", "1001", "doi"),), (), (), "not among"),
        (RECORDS, (DuplicateLink("1001", "1001", "doi"),), (), (), "itself"),
        (
            RECORDS,
            (DuplicateLink("1002", "1001", "doi"), DuplicateLink("1003", "1002", "doi")),
            (),
            (),
            "itself a duplicate",
        ),
        (RECORDS, LINKS, (), (Removal("embase:1", "x"),), "a duplicate"),
        (RECORDS, LINKS, (), (Removal("1010", "x"), Removal("1010", "y")), "twice"),
        (
            RECORDS,
            LINKS,
            (Decision("embase:1", "title-abstract", "include"),),
            (),
            "duplicate; decisions belong",
        ),
        (RECORDS, LINKS, (Decision("x", "title-abstract", "include"),), (), "not an identified"),
        (
            RECORDS,
            LINKS,
            (Decision("1010", "title-abstract", "include"),),
            REMOVALS,
            "removed before screening",
        ),
        (
            RECORDS,
            LINKS,
            (
                Decision("1001", "title-abstract", "include"),
                Decision("1001", "title-abstract", "exclude"),
            ),
            (),
            "two title-abstract decisions",
        ),
        (
            RECORDS,
            LINKS,
            (Decision("1001", "title-abstract", "not-retrieved"),),
            (),
            "full-text outcome",
        ),
        (
            RECORDS,
            LINKS,
            (
                Decision("1001", "title-abstract", "exclude", reason="not-kratom"),
                Decision("1001", "full-text", "include"),
            ),
            (),
            "not included at title/abstract",
        ),
    ],
)
def test_contradictory_inputs_are_report_errors(
    records: tuple[Record, ...],
    links: tuple[DuplicateLink, ...],
    decisions: tuple[Decision, ...],
    removals: tuple[Removal, ...],
    message: str,
) -> None:
    with pytest.raises(ReportError, match=message):
        derive_prisma(records, links, decisions, removals)


def test_an_exclusion_without_a_reason_gets_its_own_line() -> None:
    flow = derive_prisma(
        RECORDS[:1], (), (Decision("1001", "title-abstract", "exclude", by="Ana"),)
    )
    assert flow.counts().records_excluded == (("no-reason-recorded", 1),)


def test_rules_that_include_are_counted_apart() -> None:
    flow = derive_prisma(RECORDS[:2], (), (Decision("1001", "title-abstract", "include"),))
    assert flow.rules_included.record_ids == ("1001",) == flow.sought.record_ids


def test_other_methods_have_a_column_of_their_own() -> None:
    records = (
        _rec("p1"),
        _rec("p2"),
        _rec("w1", "Websites"),  # a copy of p1
        _rec("w2", "Websites"),
        _rec("c1", "Citations"),  # a copy of w2
        _rec("c2", "Citations"),  # a copy of p2, chosen as main copy
    )
    links = (
        DuplicateLink("w1", "p1", "doi"),
        DuplicateLink("c1", "w2", "doi"),
        DuplicateLink("p2", "c2", "doi"),
    )
    decisions = (
        Decision("p1", "title-abstract", "include", by="Ana"),
        Decision("p1", "full-text", "include", by="Ana"),
        Decision("w2", "title-abstract", "include", by="Ana"),
        Decision("w2", "full-text", "include", by="Ana"),
        Decision("c2", "title-abstract", "exclude", "x"),
    )
    flow = derive_prisma(records, links, decisions, (), {"Websites", "Citations"})
    databases, other = flow.columns
    assert (databases.key, other.key) == ("databases", "other")
    assert [(b.name, b.count) for b in databases.identified] == [("PubMed", 2)]
    assert [(b.name, b.count) for b in other.identified] == [("Websites", 2), ("Citations", 2)]
    # p2's group is the databases column's (a PubMed record is in it), though c2 is main.
    assert databases.duplicates.count == 0
    assert databases.automation[0].record_ids == ("c2",)
    assert databases.screened.record_ids == ("p1",)
    # w1 and c2 copy database records; c1 copies w2: all three are duplicates here.
    assert other.duplicates.record_ids == ("w1", "c1", "c2")
    assert other.screened.record_ids == ("w2",)
    assert databases.included.record_ids == ("p1",) and other.included.record_ids == ("w2",)
    assert flow.included.count == 2
    counts = flow.counts()
    assert len(counts.columns) == 2
    counts.check()
    assert flow.box("other.included").record_ids == ("w2",)


def _rec(record_id: str, database: str = "PubMed") -> Record:
    return Record(id=record_id, source=Source(database))


@st.composite
def reviews(
    draw: st.DrawFn,
) -> tuple[
    tuple[Record, ...], tuple[DuplicateLink, ...], tuple[Decision, ...], tuple[Removal, ...]
]:
    """Any consistent review: random databases, clusters, removals and decisions."""
    n = draw(st.integers(0, 25))
    records = tuple(
        _rec(f"r{i}", draw(st.sampled_from(["PubMed", "Embase", "x.ris"]))) for i in range(n)
    )
    links: list[DuplicateLink] = []
    canonical: list[str] = []
    for record in records:
        if canonical and draw(st.booleans()):
            links.append(DuplicateLink(record.id, draw(st.sampled_from(canonical)), "rule"))
        else:
            canonical.append(record.id)
    removals = [
        Removal(i, draw(st.sampled_from(["deleted", "no title"])))
        for i in canonical
        if draw(st.integers(0, 9)) == 0
    ]
    removed = {r.record_id for r in removals}
    decisions: list[Decision] = []
    reasons = st.sampled_from(["a", "b", ""])
    for record_id in (i for i in canonical if i not in removed):
        first = draw(st.sampled_from(["include", "exclude", "needs-human", None]))
        if first is None:
            continue
        by = draw(st.sampled_from(["rules", "Ana"]))
        decisions.append(Decision(record_id, "title-abstract", first, reason=draw(reasons), by=by))
        if first == "include":
            second = draw(
                st.sampled_from(["include", "exclude", "needs-human", "not-retrieved", None])
            )
            if second is not None:
                decisions.append(Decision(record_id, "full-text", second, reason=draw(reasons)))
    return records, tuple(links), tuple(decisions), tuple(removals)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(reviews())
def test_any_consistent_review_adds_up_and_each_record_is_in_one_place(
    review: tuple[
        tuple[Record, ...], tuple[DuplicateLink, ...], tuple[Decision, ...], tuple[Removal, ...]
    ],
) -> None:
    records, links, decisions, removals = review
    flow = derive_prisma(records, links, decisions, removals)
    flow.counts().check()
    # Every identified record ends in exactly one terminal box.
    terminal = [
        *flow.duplicates.record_ids,
        *(i for box in flow.automation for i in box.record_ids),
        *(i for box in flow.removed_other for i in box.record_ids),
        *(i for box in flow.records_excluded for i in box.record_ids),
        *flow.awaiting_screening.record_ids,
        *flow.not_retrieved.record_ids,
        *(i for box in flow.reports_excluded for i in box.record_ids),
        *flow.awaiting_assessment.record_ids,
        *flow.included.record_ids,
    ]
    assert sorted(terminal) == sorted(r.id for r in records)
    assert sum(box.count for box in flow.identified) == len(records)
    assert set(flow.rules_included.record_ids) <= set(flow.sought.record_ids)
    # Split into the template's columns, every column adds up and the columns add up
    # to the whole (check() tests both).
    split = derive_prisma(records, links, decisions, removals, {"x.ris"})
    split.counts().check()
    assert sum(c.included.count for c in split.columns) == flow.included.count
