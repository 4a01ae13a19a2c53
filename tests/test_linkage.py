"""Fellegi–Sunter weights: learning them from labels and fitting them to one file."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from review.linkage import Comparison, fit, learn, load_model, save_model

COMPARISONS = (
    Comparison("title", ("same", "differ")),
    Comparison("doi", ("same", "differ")),
    Comparison("issue", ("same", "differ")),
)
# pattern (title, doi, issue) -> (labelled duplicates, labelled non-duplicates)
LABELS = {
    (0, 0, 0): (90, 1),
    (0, 0, 1): (2, 0),
    (0, 1, 1): (1, 30),
    (1, 1, 1): (0, 400),
    (1, 1, 0): (0, 60),
    (0, None, 0): (30, 2),
}


def prior():  # type: ignore[no-untyped-def]
    return learn(COMPARISONS, LABELS, duplicate_at=0.99, person_at=0.5)


def test_an_identifiers_u_is_given_not_learned() -> None:
    """No labelled non-duplicate shares a PMID, so add-one smoothing would make u of
    "same" one half and a shared PMID worth about a bit."""
    pmid = Comparison("pmid", ("same", "differ"), u_known=(1e-4, 1 - 1e-4))
    labels = {(0, 0): (50, 0), (0, None): (40, 3), (1, None): (0, 500)}
    model = learn((COMPARISONS[0], pmid), labels, duplicate_at=0.99, person_at=0.5)
    assert model.u[1] == pytest.approx((1e-4, 1 - 1e-4))
    assert model.weight(1, 0) > 13
    learned = learn(
        (COMPARISONS[0], Comparison("pmid", ("same", "differ"))),
        labels,
        duplicate_at=0.99,
        person_at=0.5,
    )
    assert learned.weight(1, 0) < 1


def test_weights_are_log_likelihood_ratios_of_the_labels() -> None:
    model = prior()
    # title "same": (90 + 2 + 1 + 30 + 1) of 123 + 2 duplicates, add-one smoothed
    m = (90 + 2 + 1 + 30 + 1) / (123 + 2)
    u = (1 + 0 + 30 + 0 + 2 + 1) / (493 + 2)
    assert model.weight(0, 0) == pytest.approx(math.log2(m / u), rel=1e-4)
    assert model.weight(2, 1) < -3  # the issue disagrees among few duplicates
    scored = model.score((0, None, 0))
    assert scored.weights[1] is None  # a missing DOI adds nothing
    assert scored.total == pytest.approx(
        model.prior_weight() + model.weight(0, 0) + model.weight(2, 0)
    )


def test_a_field_that_disagrees_among_this_files_obvious_duplicates_loses_its_weight() -> None:
    """An export whose issue column is a running number: title and DOI agree, the issue never."""
    model = prior()
    this_file = {(0, 0, 1): 300, (1, 1, 1): 3000, (0, 1, 1): 20}
    fitted = fit(model, this_file, obvious=4.0)
    assert model.weight(2, 1) < -3
    assert abs(fitted.weight(2, 1)) < 1  # "issue differs" now says next to nothing
    assert fitted.score((0, 0, 1)).probability > 0.99  # so those pairs are duplicates
    assert model.score((0, 0, 1)).probability < fitted.score((0, 0, 1)).probability
    # the fields that agreed keep their evidence; u is the prior's
    assert fitted.weight(0, 0) > 2 and fitted.u == model.u


def test_a_file_without_obvious_duplicates_keeps_the_prior() -> None:
    model = prior()
    fitted = fit(model, {(1, 1, 1): 500}, obvious=5.0)
    assert fitted.u == model.u
    for fitted_row, prior_row in zip(fitted.m, model.m, strict=True):
        assert fitted_row == pytest.approx(prior_row)
    assert fitted.match_rate < model.match_rate


def test_a_model_is_data_that_round_trips(tmp_path: Path) -> None:
    model = prior()
    path = tmp_path / "model.json"
    save_model(model, path)
    loaded = load_model(path, COMPARISONS)
    assert loaded.duplicate_at == 0.99
    for c in range(len(COMPARISONS)):
        for level in range(2):
            assert loaded.weight(c, level) == pytest.approx(model.weight(c, level), abs=1e-3)
    with pytest.raises(ValueError, match="issue"):
        load_model(path, (*COMPARISONS[:2], Comparison("issue", ("same", "near", "differ"))))


def test_the_description_lists_every_field() -> None:
    model = prior()
    text = model.describe(model.score((0, None, 1)))
    assert text.startswith("weight ")
    assert "title=same(+" in text and "doi=missing(0)" in text and "issue=differ(-" in text


def test_a_few_records_barely_move_the_match_rate() -> None:
    """Four records that all look alike are no evidence that half of a file's pairs match."""
    model = prior()
    tiny = fit(model, {(0, 0, 0): 6}, obvious=5.0)
    large = fit(model, {(0, 0, 0): 60_000}, obvious=5.0)
    assert tiny.match_rate == pytest.approx(model.match_rate, rel=0.05)
    assert large.match_rate > 2 * model.match_rate


def test_a_file_without_abstracts_keeps_the_prior_weight_of_a_near_title() -> None:
    """Which pairs are obvious is judged without the comparison being estimated.

    In a file with no abstracts only pairs whose title agrees exactly reach the
    obvious total; judged by the total, "title near" would look rare among
    this file's duplicates and lose its weight.
    """
    comparisons = (
        Comparison("title", ("exact", "near", "differ")),
        Comparison("byline", ("same", "differ")),
        Comparison("abstract", ("same", "differ")),
    )
    labels = {
        (0, 0, 0): (900, 2),
        (1, 0, 0): (100, 60),
        (2, 0, 1): (1, 300),
        (2, 1, 1): (0, 3000),
        (0, 1, 1): (2, 40),
    }
    model = learn(comparisons, labels, duplicate_at=0.99, person_at=0.5)
    no_abstracts = {(0, 0, None): 900, (1, 0, None): 100, (2, 1, None): 5000}
    # an exact title alone is obvious; a near title with the byline is not
    obvious = model.prior_weight() + model.weight(0, 0) - 0.1
    assert model.score((1, 0, None)).total < obvious
    assert model.prior_weight() + model.weight(1, 0) < obvious
    fitted = fit(model, no_abstracts, obvious=obvious)
    assert fitted.weight(0, 1) == pytest.approx(model.weight(0, 1))
    # the byline is vouched for by the exact titles: its weight is fitted
    assert fitted.m[1] != pytest.approx(model.m[1])


PLACE = Comparison(
    "place",
    ("same issue, same pages", "same issue, other pages", "other issue, same pages", "other"),
    partial=(("issue unknown, same pages", (0, 2)), ("issue unknown, other pages", (1, 3))),
)


def test_a_part_nobody_can_read_weighs_what_the_known_parts_weigh() -> None:
    """An issue column that is a running number: "issue unknown, same pages" is the
    sum of the levels it could be, not the weight of a missing issue."""
    labels = {(0,): (80, 2), (1,): (5, 30), (2,): (3, 20), (3,): (2, 900)}
    model = learn((PLACE,), labels, duplicate_at=0.99, person_at=0.5)
    same_pages = math.log2((model.m[0][0] + model.m[0][2]) / (model.u[0][0] + model.u[0][2]))
    assert model.weight(0, 4) == pytest.approx(same_pages)
    assert model.weight(0, 2) < model.weight(0, 4) < model.weight(0, 0)
    assert model.describe(model.score((4,))).endswith(
        f"place=issue unknown, same pages({same_pages:+.1f})"
    )
    # fitting to a file where every pair has an unknown issue keeps the levels' balance
    fitted = fit(model, {(4,): 300, (5,): 3000}, obvious=model.prior_weight() - 1)
    assert fitted.m[0][0] / fitted.m[0][2] == pytest.approx(model.m[0][0] / model.m[0][2], rel=0.05)
    # and a labelled pair with an unknown part is shared among its parts
    shared = learn((PLACE,), {**labels, (4,): (100, 0)}, duplicate_at=0.99, person_at=0.5)
    assert shared.m[0][0] > model.m[0][0] and shared.m[0][2] > model.m[0][2]


def test_pairs_a_blocking_key_brought_together_are_left_out_of_that_fields_u() -> None:
    """Different papers that are candidates only because they share a first page agree
    on the page by construction: counted in u, they make agreeing pages look common."""
    pages = Comparison("pages", ("same", "differ"))
    labels = {(0,): (100, 60), (1,): (2, 940)}
    plain = learn((pages,), labels, duplicate_at=0.99, person_at=0.5)
    unlike = learn((pages,), labels, duplicate_at=0.99, person_at=0.5, unlike={0: {(0,): 50}})
    assert unlike.u[0][0] == pytest.approx((10 + 1) / (950 + 2))
    assert unlike.weight(0, 0) > plain.weight(0, 0) + 2
    assert unlike.m == plain.m
