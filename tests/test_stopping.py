"""The hypergeometric stopping rule on examples small enough to check by hand."""

from __future__ import annotations

import dataclasses
import re
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_example import example_input

from review.report.html import report_html
from review.report.markdown import report_markdown
from review.report.model import build_report
from review.report.svg import prisma_svg
from review.screen import Decision
from review.stopping import (
    StopRule,
    StopTracker,
    first_stop,
    p_value,
    people_tracker,
    remaining_bound,
    screening_stop,
    stop_status,
    unscreened_statement,
)

# Ten relevant records found first, then only irrelevant ones, in a pool of 100.
# After n records the last n - 10 (all irrelevant) are the telling sample: were
# recall below 95 %, at least floor(10 / 0.95 - 10 + 1) = 1 relevant record would
# be among those n - 10 and the 100 - n unscreened, and a sample of n - 10 drawn from
# those 90 records misses that one with probability (100 - n) / 90.


def test_p_value_by_hand() -> None:
    labels = [1] * 10 + [0] * 85
    assert p_value(labels, 100) == pytest.approx(5 / 90)
    assert p_value([*labels, 0], 100) == pytest.approx(4 / 90)


def test_the_rule_fires_at_the_first_p_below_five_percent() -> None:
    labels = [1] * 10 + [0] * 90
    assert first_stop(labels, 100) == 96  # 4/90 = 0.044 < 0.05; 5/90 = 0.056 is not


def test_an_early_sample_proves_nothing() -> None:
    # 10 relevant, then 40 irrelevant of 100: 1 relevant hidden among those 40 and the
    # 50 unscreened is missed by a sample of 40 with probability 50/90.
    labels = [1] * 10 + [0] * 40
    assert p_value(labels, 100) == pytest.approx(50 / 90)
    status = stop_status(labels, 100)
    assert not status.safe_to_stop
    assert "keep screening" in status.describe()


def test_the_bound_on_what_remains_by_hand() -> None:
    # 10 relevant, then 50 irrelevant, of 100. Were m relevant among the 40 unscreened,
    # the last 50 (none relevant) drawn from those 90 would miss all m with probability
    # C(90 - m, 50) / C(90, 50): 40·39·38 / (90·89·88) = 0.084 for m = 3, and 0.084 · 37/87
    # = 0.036 for m = 4, below 0.05. So at most 3 remain, with 95 % confidence.
    labels = [1] * 10 + [0] * 50
    assert remaining_bound(labels, 100) == 3
    status = stop_status(labels, 100)
    assert status.remaining_at_most == 3
    assert "at most 3 more among the 40 unscreened (95% upper bound)" in (status.describe())


@pytest.mark.parametrize(
    ("labels", "total"),
    [([1] * 4 + [0] * 6, 220), ([1] * 40 + [0] * 600, 10_000), ([1] * 400 + [0] * 6000, 50_000)],
)
def test_the_stopping_line_takes_two_lines_at_80_columns(labels: list[int], total: int) -> None:
    """It took three in the terminal screener, pushing the first record's abstract onto
    the second page at 80x24."""
    assert len(textwrap.wrap(stop_status(labels, total).describe(), 80)) == 2


def test_with_nothing_left_no_bound_is_stated() -> None:
    status = stop_status([1, 0, 0], 3)
    assert status.describe().endswith("0 records may stay unscreened. Found 1 relevant.")


def test_before_any_evidence_every_unscreened_record_may_be_relevant() -> None:
    assert remaining_bound([1], 100) == 99
    assert remaining_bound([], 100) == 100
    assert remaining_bound([1] * 10 + [0] * 90, 100) == 0


def test_the_rule_stops_exactly_when_the_bound_fits_the_recall_target() -> None:
    # The same test: stop when fewer than the count that would break 95 % recall
    # (floor(10 / 0.95 - 10) + 1 = 1 record) can remain.
    labels = [1] * 10 + [0] * 90
    for n in range(11, 101):
        status = stop_status(labels[:n], 100, fired_at=None)
        assert (status.remaining_at_most < 1) == (status.p < 0.05), n


def test_when_the_unscreened_cannot_hold_enough_the_rule_fires() -> None:
    # 40 relevant found, 1 record left: even if it were relevant, recall is 40/41 > 95 %.
    assert p_value([1] * 40 + [0] * 59, 100) == 0.0


def test_a_lower_target_stops_sooner() -> None:
    labels = [1] * 10 + [0] * 90
    sooner = first_stop(labels, 100, StopRule(target=0.8))
    assert sooner is not None and sooner < 96


def test_the_tracker_agrees_with_replaying_the_history() -> None:
    labels = [1] * 10 + [0] * 90
    tracker = StopTracker(100)
    for n, label in enumerate(labels):
        tracker.add(bool(label), f"2026-01-01T00:00:{n:02d}")
    assert tracker.fired_at == 96
    status = tracker.status()
    assert status.safe_to_stop and status.fired_when == "2026-01-01T00:00:95"
    assert "Stopping rule met after 96 of 100 records" in status.describe()


def test_the_report_names_the_records_left_when_the_rule_was_met() -> None:
    # 100 records left to people; ten included, then 86 excluded: met after 96.
    rules = [Decision(f"r{n}", "title-abstract", "needs-human") for n in range(100)]
    people = [
        Decision(
            f"r{n}",
            "title-abstract",
            "include" if n < 10 else "exclude",
            "" if n < 10 else "off-topic",
            by="ann",
            at=f"2026-01-{1 + n // 50:02d}T00:00:{n % 50:02d}",
        )
        for n in range(97)
    ]
    status = screening_stop(rules, people)
    assert status is not None and status.fired_at == 96
    statement = unscreened_statement(status)
    assert statement == (
        "hypergeometric stopping rule (Callaghan & Müller-Hansen 2020), recall target 95%, "
        "confidence 95%: met after 96 of 100 records left to people had been screened on "
        "2026-01-02; the rest were not screened"
    )
    assert unscreened_statement(screening_stop(rules, people[:90])) == ""

    report = build_report(dataclasses.replace(example_input(), stopping=statement))
    box = next(b for b in report.boxes if b.key == "awaiting-screening")
    assert box.label == "Records not screened: stopping rule met"
    assert box.heading == f"Records not screened: {statement}"
    svg = prisma_svg(report)
    assert "Records not screened: stopping rule met" in svg
    # Under the diagram: the rule, its recall target and when it fired (PRISMA 2020 item 8).
    note = " ".join(re.findall(r'class="stopping-note"[^>]*>([^<]*)<', svg))
    assert note == f"Records not screened: {statement}.".replace("&", "&amp;")
    assert "stopping-note" not in prisma_svg(build_report(example_input()))
    # The summary and the method say so too, in both report formats.
    markdown = report_markdown(report)
    assert "| Records not screened, the stopping rule met |" in markdown
    assert f"Records not screened: {statement}." in markdown
    html = report_html(report)
    assert "not screened, the stopping rule met: <strong>" in html
    assert "Callaghan &amp; Müller-Hansen (2020), recall target 95%, confidence 95%. " in html


@settings(max_examples=60, deadline=None)
@given(
    labels=st.lists(st.integers(0, 1), min_size=1, max_size=60),
    unscreened=st.integers(0, 80),
    near=st.integers(-5, 200),
)
def test_the_bound_is_the_same_from_wherever_its_search_starts(
    labels: list[int], unscreened: int, near: int
) -> None:
    total = len(labels) + unscreened
    assert remaining_bound(labels, total, near=near) == remaining_bound(labels, total)


@settings(max_examples=300, deadline=None)
@given(
    labels=st.lists(st.integers(0, 1), min_size=1, max_size=80),
    unscreened=st.integers(0, 60),
    target=st.sampled_from([0.8, 0.9, 0.95]),
)
def test_the_first_stop_is_the_first_decision_after_which_the_test_says_stop(
    labels: list[int], unscreened: int, target: float
) -> None:
    """`first_stop` asks the test at a few decisions only; it must find what asking after
    every decision finds."""
    total = len(labels) + unscreened
    rule = StopRule(target=target)
    asked_every_time = next(
        (
            n
            for n in range(1, len(labels) + 1)
            if sum(labels[:n]) and p_value(labels[:n], total, target) < 1 - rule.confidence
        ),
        None,
    )
    assert first_stop(labels, total, rule) == asked_every_time


def test_the_tracker_gives_what_a_replay_gives_decision_by_decision() -> None:
    labels = [1, 0, 1, 1, 0, 0, 1] + [0] * 30 + [1] + [0] * 60
    tracker = StopTracker(120)
    for n, label in enumerate(labels, start=1):
        tracker.add(bool(label))
        assert tracker.status() == stop_status(labels[:n], 120), n


def test_before_any_decision_the_rule_says_it_does_not_apply_yet() -> None:
    status = StopTracker(214).status()
    assert not status.safe_to_stop
    assert status.describe() == (
        "Nothing screened yet: 214 records await a person. The stopping rule (recall "
        "target 95%, confidence 95%) does not apply yet: it judges from the records people "
        "have screened in ranked order."
    )
    assert StopTracker(1).status().describe().startswith("Nothing screened yet: 1 record awaits")


def test_two_reviewers_screen_each_record_once_for_the_rule() -> None:
    """Dual screening counted each reviewer's decision: 20 screened of 10, "-10 records
    may stay unscreened", every include twice."""
    pool = [f"r{i}" for i in range(10)]
    people = [
        Decision(record_id, "title-abstract", outcome, by=reviewer, at=f"2026-01-0{day}")
        for day, reviewer in ((1, "ann"), (2, "bob"))
        for record_id, outcome in zip(
            pool, ["include", "exclude", "exclude", "include"] + ["exclude"] * 6, strict=True
        )
    ]
    people.append(Decision("r1", "title-abstract", "include", by="bob", at="2026-01-03"))
    status = people_tracker(pool, people).status()
    assert (status.screened, status.total, status.relevant) == (10, 10, 3)
    assert "0 records may stay unscreened" in status.describe()


def test_a_tracker_knows_the_records_it_counted() -> None:
    tracker = StopTracker(5, record_ids=["a"], labels=[True], times=["t0"])
    assert not tracker.counts("a")
    assert tracker.counts("b")
    tracker.add(False, "t1", "b")
    assert not tracker.counts("b")
