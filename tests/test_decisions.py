"""Durable human decisions: storage, undo, two reviewers, kappa, CSV round trip."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review.decisions import DecisionStore, cohens_kappa, decisions_path
from review.errors import DecisionError, ReviewError
from review.protocol import load_protocol
from review.screen import Decision, Stage, effective_decisions, held_full_text

REPO = Path(__file__).resolve().parent.parent
CODES = ("not-kratom", "animal-only")
IDS = {"1", "2", "3", "4", "5"}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DecisionStore]:
    with DecisionStore(tmp_path / "review.decisions.sqlite", CODES) as opened:
        yield opened


def decide(
    store: DecisionStore,
    record_id: str,
    outcome: str,
    by: str = "ann",
    reason: str = "",
    stage: Stage = "title-abstract",
) -> Decision:
    return store.add(Decision(record_id, stage, outcome, reason, by))  # type: ignore[arg-type]


def test_decisions_live_beside_the_protocol_not_in_cache() -> None:
    protocol = load_protocol(REPO / "queries" / "kratom.toml")
    path = decisions_path(protocol)
    assert path == REPO / "queries" / "kratom.decisions.sqlite"
    assert "cache" not in path.parts


def test_a_decision_is_stored_at_once_and_read_by_another_connection(
    store: DecisionStore,
) -> None:
    stored = decide(store, "1", "exclude", reason="not-kratom")
    assert stored.at  # the time is set when stored
    other = sqlite3.connect(store.path)
    rows = other.execute("SELECT record_id, outcome, reason, reviewer FROM decisions").fetchall()
    assert rows == [("1", "exclude", "not-kratom", "ann")]
    assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    other.close()


@pytest.mark.parametrize(
    ("decision", "problem"),
    [
        (Decision("1", "title-abstract", "exclude", by="ann"), "an exclusion needs a reason code"),
        (
            Decision("1", "title-abstract", "exclude", "typo", "ann"),
            "reason 'typo' is not one of the protocol's codes",
        ),
        (Decision("1", "title-abstract", "include", by="rules"), "give the reviewer's name"),
        (
            Decision("1", "title-abstract", "not-retrieved", by="ann"),
            "not-retrieved is a full-text outcome",
        ),
        (
            Decision("1", "title-abstract", "include", "not-kratom", "ann"),
            "belongs only to an exclusion",
        ),
    ],
)
def test_invalid_decisions_are_refused_and_nothing_is_stored(
    store: DecisionStore, decision: Decision, problem: str
) -> None:
    with pytest.raises(DecisionError, match=problem):
        store.add(decision)
    assert store.current() == ()


def test_latest_decision_counts_and_undo_brings_back_the_one_before(
    store: DecisionStore,
) -> None:
    decide(store, "1", "include")
    decide(store, "1", "exclude", reason="not-kratom")
    decide(store, "2", "include")
    assert [(d.record_id, d.outcome) for d in store.current(reviewer="ann")] == [
        ("1", "exclude"),
        ("2", "include"),
    ]
    undone = store.undo_last("ann", "title-abstract")
    assert undone is not None and undone.record_id == "2"
    store.undo_last("ann", "title-abstract")
    assert [(d.record_id, d.outcome) for d in store.current()] == [("1", "include")]
    store.undo_last("ann", "title-abstract")
    assert store.undo_last("ann", "title-abstract") is None
    # Undo keeps history: every row is still in the file, marked undone.
    count = store._db.execute("SELECT count(*) FROM decisions").fetchone()[0]
    assert count == 3


def rows(store: DecisionStore) -> list[tuple[object, ...]]:
    return store._db.execute("SELECT * FROM decisions ORDER BY id").fetchall()


def counted_and_held(store: DecisionStore) -> tuple[list[tuple[str, str]], list[str]]:
    """(record, stage) of each decision that counts, and why each held one does not."""
    rules = [Decision(i, "title-abstract", "include") for i in sorted(IDS)]
    people = store.final_decisions()
    counted = [
        (d.record_id, d.stage) for d in effective_decisions(rules, people) if d.by != "rules"
    ]
    return counted, [why for _, why in held_full_text(rules, people)]


def test_a_second_reviewers_disagreement_after_a_full_text_decision_is_stored(
    store: DecisionStore,
) -> None:
    decide(store, "1", "include", "ann")
    decide(store, "1", "include", "bob")
    decide(store, "1", "exclude", "ann", "animal-only", stage="full-text")
    # dora screens blind; her honest answer is stored, not refused.
    stored = decide(store, "1", "exclude", "dora", "not-kratom")
    assert stored in store.current("title-abstract", "dora")
    assert [c.record_id for c in store.conflicts("title-abstract")] == ["1"]
    (final,) = store.final_decisions("title-abstract")
    assert (final.outcome, final.by) == ("needs-human", "conflict")
    # The full text stays in the store but does not count while the conflict stands.
    assert [d.outcome for d in store.current("full-text")] == ["exclude"]
    counted, held = counted_and_held(store)
    assert counted == [("1", "title-abstract")]
    assert held == [
        "waiting for the title/abstract conflict to be resolved; counts once the record "
        "is included there"
    ]
    # Resolved as include: the full-text decision counts again.
    store.resolve(Decision("1", "title-abstract", "include", by="cara"))
    assert counted_and_held(store) == ([("1", "title-abstract"), ("1", "full-text")], [])
    # Resolved again as exclude: the full text is set aside, and says so.
    store.resolve(Decision("1", "title-abstract", "exclude", "not-kratom", "cara"))
    counted, held = counted_and_held(store)
    assert counted == [("1", "title-abstract")]
    assert held[0].startswith("set aside: the record is excluded at title/abstract")


def test_a_changed_mind_or_an_import_at_title_abstract_is_stored_and_sets_aside_the_full_text(
    store: DecisionStore, tmp_path: Path
) -> None:
    decide(store, "1", "include")
    decide(store, "1", "exclude", reason="not-kratom", stage="full-text")
    decide(store, "1", "exclude", reason="not-kratom")  # ann changed her mind: her word wins
    assert counted_and_held(store)[1][0].startswith("set aside")
    sheet = tmp_path / "mind-changed.csv"
    sheet.write_text(
        "record_id,stage,outcome,reason,reviewer,note\n2,title-abstract,include,,ann,\n"
        "1,title-abstract,include,,ann,re-read\n",
        encoding="utf-8",
    )
    assert store.import_csv(sheet, IDS) == 2
    assert counted_and_held(store) == (
        [("1", "title-abstract"), ("2", "title-abstract"), ("1", "full-text")],
        [],
    )


def test_an_undo_is_refused_only_when_no_persons_word_would_remain_under_a_full_text(
    store: DecisionStore,
) -> None:
    decide(store, "1", "include", "ann")
    decide(store, "1", "exclude", "ann", "not-kratom", stage="full-text")
    before = rows(store)
    # With no person's word at title/abstract the full text would keep the record
    # included anyway, so the undo would change nothing that counts: refused.
    with pytest.raises(DecisionError, match=r"^1: after this undo no reviewer's") as e:
        store.undo_last("ann", "title-abstract")
    assert "review decisions undo PROTOCOL 1 --stage full-text --reviewer ann" in str(e.value)
    assert rows(store) == before
    # With another reviewer's word left, the undo is taken; the full text waits.
    decide(store, "1", "exclude", "dora", "not-kratom")
    assert store.undo_last("ann", "title-abstract") is not None
    assert counted_and_held(store)[1][0].startswith("set aside")
    # Once the full text is undone, every title/abstract decision can be undone.
    assert store.undo_record("1", "ann", "full-text") is not None
    assert store.undo_last("dora", "title-abstract") is not None
    assert store.current() == ()


def test_full_text_only_for_records_included_at_title_abstract(
    store: DecisionStore, tmp_path: Path
) -> None:
    decide(store, "1", "exclude", reason="not-kratom")
    with pytest.raises(DecisionError, match=r"^1: it stands at title/abstract as excluded"):
        decide(store, "1", "include", stage="full-text")
    # No person's word at title/abstract: the rules may have included it, so it is taken.
    decide(store, "2", "include", stage="full-text")
    assert [(d.record_id, d.stage) for d in store.current()] == [
        ("1", "title-abstract"),
        ("2", "full-text"),
    ]
    # In conflict: refused without naming anyone's answer (screening stays blind).
    decide(store, "3", "include", "ann")
    decide(store, "3", "exclude", "bob", "animal-only")
    sheet = tmp_path / "full-text.csv"
    sheet.write_text(
        "record_id,stage,outcome,reason,reviewer\n3,full-text,include,,cara\n",
        encoding="utf-8",
    )
    for attempt in (
        lambda: decide(store, "3", "include", "cara", stage="full-text"),
        lambda: store.import_csv(sheet, IDS),
    ):
        with pytest.raises(DecisionError, match="a conflict between reviewers") as e:
            attempt()
        assert not re.search(r"\b(ann|bob|animal-only)\b", str(e.value)), e.value
    assert not store.current("full-text", "cara")


def test_two_reviewers_conflicts_and_resolution(store: DecisionStore) -> None:
    decide(store, "1", "include", "ann")
    decide(store, "1", "include", "bob")
    decide(store, "2", "include", "ann")
    decide(store, "2", "exclude", "bob", "not-kratom")
    decide(store, "3", "exclude", "ann", "not-kratom")
    decide(store, "3", "exclude", "bob", "animal-only")  # same outcome, other reason
    conflicts = store.conflicts("title-abstract")
    assert [c.record_id for c in conflicts] == ["2", "3"]
    assert {d.by for d in conflicts[0].decisions} == {"ann", "bob"}
    final = {d.record_id: d for d in store.final_decisions("title-abstract")}
    assert final["1"].outcome == "include"
    assert final["2"].outcome == "needs-human"
    assert final["2"].note == "ann: include; bob: exclude (not-kratom)"
    store.resolve(Decision("2", "title-abstract", "exclude", "not-kratom", "cara", note="agreed"))
    assert [c.record_id for c in store.conflicts()] == ["3"]
    resolved = {d.record_id: d for d in store.final_decisions()}["2"]
    assert (resolved.outcome, resolved.by, resolved.note) == ("exclude", "cara", "agreed")
    assert store.reviewers() == ("ann", "bob")
    with pytest.raises(DecisionError, match=r"^9: no reviewer has decided it at title-abstract"):
        store.resolve(Decision("9", "title-abstract", "include", by="cara"))
    with pytest.raises(DecisionError, match=r"^2: no reviewer has decided it at full-text"):
        store.resolve(Decision("2", "full-text", "include", by="cara"))
    assert len(store.current(kind="resolution")) == 1


def test_a_decision_reviewers_share_is_credited_to_each_of_them(store: DecisionStore) -> None:
    store.add(Decision("1", "title-abstract", "exclude", "not-kratom", "ann", note="a rat study"))
    decide(store, "1", "exclude", "bob", "not-kratom")
    decide(store, "1", "exclude", "cara", "not-kratom")
    decide(store, "2", "include", "bob")
    store.add(Decision("2", "title-abstract", "include", by="ann", note="cites kratom"))
    store.add(Decision("3", "title-abstract", "include", by="ann", note="first"))
    store.add(Decision("3", "title-abstract", "include", by="bob", note="second"))
    final = {d.record_id: d for d in store.final_decisions()}
    assert (final["1"].outcome, final["1"].reason) == ("exclude", "not-kratom")
    assert (final["1"].by, final["1"].note) == ("ann, bob and cara", "a rat study")
    assert (final["2"].by, final["2"].note) == ("bob and ann", "cites kratom")
    assert (final["3"].by, final["3"].note) == ("ann and bob", "ann: first; bob: second")
    assert final["3"].at == store.current(reviewer="bob")[-1].at


def test_only_a_conflict_can_be_resolved(store: DecisionStore) -> None:
    decide(store, "1", "include", "ann")
    decide(store, "1", "include", "bob")
    decide(store, "2", "exclude", "ann", "not-kratom")
    with pytest.raises(DecisionError) as agreed:
        store.resolve(Decision("1", "title-abstract", "exclude", "not-kratom", "cara"))
    assert str(agreed.value) == (
        "1: ann and bob agree at title-abstract (include), so there is no conflict to "
        "resolve; to change a decision, screen it again or undo it (`review decisions "
        "undo`); nothing was stored."
    )
    with pytest.raises(DecisionError, match=r"^2: ann alone decided it at title-abstract"):
        store.resolve(Decision("2", "title-abstract", "include", by="cara"))
    assert store.current(kind="resolution") == ()
    # A conflict can be resolved, and resolved again when the first settlement was wrong.
    decide(store, "2", "include", "bob")
    store.resolve(Decision("2", "title-abstract", "include", by="cara"))
    store.resolve(Decision("2", "title-abstract", "exclude", "not-kratom", "cara"))
    assert [(d.record_id, d.outcome) for d in store.final_decisions()] == [
        ("1", "include"),
        ("2", "exclude"),
    ]


def test_cohens_kappa_on_a_hand_checked_table() -> None:
    # 10 records: both include 3, both exclude 4, ann include/bob exclude 2, the reverse 1.
    pairs = (
        [("include", "include")] * 3
        + [("exclude", "exclude")] * 4
        + [("include", "exclude")] * 2
        + [("exclude", "include")]
    )
    # observed = 7/10 = 0.7; ann includes 5/10, bob 4/10;
    # expected = 0.5*0.4 + 0.5*0.6 = 0.5; kappa = (0.7-0.5)/(1-0.5) = 0.4.
    observed, expected, kappa = cohens_kappa(pairs)
    assert observed == pytest.approx(0.7)
    assert expected == pytest.approx(0.5)
    assert kappa == pytest.approx(0.4)
    assert cohens_kappa([("include", "include")] * 4) == (1.0, 1.0, None)


def test_agreement_between_reviewers_in_the_store(store: DecisionStore) -> None:
    for rid, (a, b) in enumerate(
        [("include", "include")] * 3
        + [("exclude", "exclude")] * 4
        + [("include", "exclude")] * 2
        + [("exclude", "include")]
    ):
        decide(store, f"r{rid}", a, "ann", "not-kratom" if a == "exclude" else "")
        decide(store, f"r{rid}", b, "bob", "not-kratom" if b == "exclude" else "")
    decide(store, "only-ann", "include", "ann")
    agreement = store.agreement("ann", "bob", "title-abstract")
    assert agreement.records == 10
    assert agreement.kappa == pytest.approx(0.4)
    with pytest.raises(DecisionError, match="no full-text decisions on the same records"):
        store.agreement("ann", "bob", "full-text")


def test_kappa_and_conflicts_count_agreement_by_one_rule(store: DecisionStore) -> None:
    # Same outcome, other reason: a conflict, and a disagreement for kappa.
    decide(store, "1", "exclude", "ann", "not-kratom")
    decide(store, "1", "exclude", "bob", "animal-only")
    # Unsure against include: a conflict, and a disagreement for kappa.
    decide(store, "2", "needs-human", "ann")
    decide(store, "2", "include", "bob")
    decide(store, "3", "include", "ann")
    decide(store, "3", "include", "bob")
    decide(store, "4", "exclude", "ann", "not-kratom")
    decide(store, "4", "exclude", "bob", "not-kratom")
    conflicts = {c.record_id for c in store.conflicts()}
    agreement = store.agreement("ann", "bob", "title-abstract")
    assert conflicts == {"1", "2"}
    assert agreement.observed == pytest.approx((4 - len(conflicts)) / 4)


def test_records_are_undecided_until_enough_reviewers_agree(tmp_path: Path) -> None:
    with DecisionStore(tmp_path / "two.decisions.sqlite", CODES, reviewers_required=2) as two:
        decide(two, "1", "include", "ann")
        decide(two, "2", "exclude", "ann", "not-kratom")
        decide(two, "2", "exclude", "bob", "not-kratom")
        final = {d.record_id: d for d in two.final_decisions()}
        assert (final["1"].outcome, final["1"].by) == ("needs-human", "awaiting")
        assert final["1"].note == "ann: include; 1 of 2 reviewers"
        assert final["2"].outcome == "exclude"
        assert two.conflicts() == ()
        with pytest.raises(DecisionError, match="are reserved"):
            two.add(Decision("1", "title-abstract", "include", by="awaiting"))


def test_csv_round_trip(store: DecisionStore, tmp_path: Path) -> None:
    decide(store, "1", "include", "ann")
    decide(store, "1", "exclude", "bob", "not-kratom")
    decide(store, "2", "exclude", "ann", "not-kratom")
    store.resolve(Decision("1", "title-abstract", "include", by="cara", note='says "yes", ok'))
    decide(store, "1", "not-retrieved", "ann", stage="full-text")
    exported = tmp_path / "decisions.csv"
    assert store.export_csv(exported) == 5
    with DecisionStore(tmp_path / "copy.sqlite", CODES) as copy:
        assert copy.import_csv(exported, IDS) == 5
        assert copy.current() == store.current()
        assert copy.current(kind="resolution") == store.current(kind="resolution")
        assert copy.import_csv(exported, IDS) == 0  # nothing is stored twice
        assert len(copy.current()) == 4


def test_an_older_sheet_does_not_take_back_newer_decisions(
    store: DecisionStore, tmp_path: Path
) -> None:
    store.add(
        Decision(
            "1", "title-abstract", "exclude", "not-kratom", "ann", at="2026-03-02T10:00:00+00:00"
        )
    )
    decide(store, "2", "include", "ann")  # now
    older = write_rows(
        tmp_path / "older.csv",
        [
            ["1", "title-abstract", "include", "", "ann", "2026-03-01T09:00:00+00:00", ""],
            ["1", "title-abstract", "include", "", "ann", "2026-03-01T09:00:00+00:00", ""],
            [
                "2",
                "title-abstract",
                "exclude",
                "not-kratom",
                "ann",
                "2026-03-01T11:00:00+01:00",
                "",
            ],
            ["3", "title-abstract", "include", "", "ann", "2026-03-01T09:00:00", ""],  # UTC
            # 08:30 UTC: older than the line before, though written after it.
            [
                "3",
                "title-abstract",
                "exclude",
                "not-kratom",
                "ann",
                "2026-03-01T10:30:00+02:00",
                "",
            ],
        ],
    )
    assert store.import_csv(older, IDS) == 4  # the line given twice is stored once
    assert [(d.record_id, d.outcome) for d in store.current()] == [
        ("1", "exclude"),
        ("2", "include"),
        ("3", "include"),
    ]
    assert store.import_csv(older, IDS) == 0  # nothing is stored twice
    assert len(rows(store)) == 2 + 4
    # The history is all there: undoing the newer decision brings back the older one.
    undone = store.undo_record("1", "ann", "title-abstract")
    assert undone is not None and undone.at == "2026-03-02T10:00:00+00:00"
    assert {d.record_id: d.outcome for d in store.current()}["1"] == "include"
    # Rows without a time are decided now, in the order the file gives them.
    now_rows = write_rows(
        tmp_path / "now.csv",
        [
            ["1", "title-abstract", "exclude", "not-kratom", "ann", "", ""],
            ["1", "title-abstract", "include", "", "ann", "", ""],
        ],
    )
    store.import_csv(now_rows, IDS)
    assert {d.record_id: d.outcome for d in store.current()}["1"] == "include"


def test_export_neutralises_formulas_and_the_import_gives_them_back(
    store: DecisionStore, tmp_path: Path
) -> None:
    # A spreadsheet runs a cell starting with = + - @ as a formula (CSV injection).
    store.add(Decision("1", "title-abstract", "include", by='=HYPERLINK("x")', note="+1"))
    store.add(Decision("2", "title-abstract", "include", by="@ann", note="-- unsure --"))
    store.add(Decision("3", "title-abstract", "include", by="bob", note="'=already quoted"))
    exported = tmp_path / "decisions.csv"
    store.export_csv(exported)
    with exported.open(encoding="utf-8", newline="") as handle:
        cells = [(row["reviewer"], row["note"]) for row in csv.DictReader(handle)]
    assert cells == [
        ('\'=HYPERLINK("x")', "'+1"),
        ("'@ann", "'-- unsure --"),
        ("bob", "''=already quoted"),
    ]
    with DecisionStore(tmp_path / "copy.sqlite", CODES) as copy:
        assert copy.import_csv(exported, IDS) == 3
        assert copy.current() == store.current()


def test_a_failed_export_leaves_the_previous_export_intact(
    store: DecisionStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decide(store, "1", "include")
    folder = tmp_path / "exports"
    folder.mkdir()
    exported = folder / "decisions.csv"
    store.export_csv(exported)
    before = exported.read_bytes()
    decide(store, "2", "include")
    opened = Path.open

    def full_disk(path: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        """Opening for writing in `folder` truncates the file, then writing fails."""
        if path.parent != folder or not mode.startswith("w"):
            return opened(path, mode, *args, **kwargs)
        opened(path, mode, *args, **kwargs).close()
        return opened(Path("/dev/full"), mode, *args, **kwargs)  # ENOSPC on every write

    monkeypatch.setattr(Path, "open", full_disk)
    with pytest.raises(ReviewError, match=r"decisions\.csv: .*No space left on device"):
        store.export_csv(exported)
    monkeypatch.undo()
    assert exported.read_bytes() == before
    assert [p.name for p in folder.iterdir()] == ["decisions.csv"]  # nothing half-written


NOTES = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(IDS)), NOTES), min_size=1, max_size=5))
def test_any_note_survives_the_csv_round_trip(rows: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        with DecisionStore(tmp / "a.sqlite", CODES) as first:
            for record_id, note in rows:
                first.add(Decision(record_id, "title-abstract", "include", by="ann", note=note))
            first.export_csv(tmp / "a.csv")
            with DecisionStore(tmp / "b.sqlite", CODES) as second:
                second.import_csv(tmp / "a.csv", IDS)
                assert second.current() == first.current()


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["record_id", "stage", "outcome", "reason", "reviewer", "at", "note"])
        writer.writerows(rows)
    return path


def test_import_refuses_unknown_ids_and_invalid_values_with_line_numbers(
    store: DecisionStore, tmp_path: Path
) -> None:
    decide(store, "1", "include", "ann")
    bad = write_rows(
        tmp_path / "bad.csv",
        [
            ["2", "title-abstract", "exclude", "not-kratom", "bob", "", ""],  # line 2: fine
            ["99", "title-abstract", "include", "", "bob", "", ""],  # line 3: unknown ID
            ["3", "title-abstract", "maybe", "", "bob", "", ""],  # line 4: bad outcome
            ["4", "title-abstract", "exclude", "", "bob", "", ""],  # line 5: no reason
            ["5", "abstract", "include", "", "bob", "", ""],  # line 6: bad stage
            ["5", "title-abstract", "include", "", "bob", "yesterday", ""],  # line 7: bad time
            ["5", "title-abstract", "include", "", "bob", "", "two\nlines"],  # lines 8-9: fine
            ["98", "title-abstract", "include", "", "bob", "", ""],  # line 10: unknown ID
        ],
    )
    with pytest.raises(DecisionError) as info:
        store.import_csv(bad, IDS)
    message = str(info.value)
    assert "line 3: unknown record ID '99'" in message
    assert "line 4: outcome 'maybe' is not one of" in message
    assert "line 5: an exclusion needs a reason code" in message
    assert "line 6: stage 'abstract' is not one of" in message
    assert "line 7: at 'yesterday' is not an ISO 8601 time" in message
    assert "line 10: unknown record ID '98'" in message
    assert "line 2" not in message
    assert "nothing was imported" in message
    assert "\n" not in message
    assert [(d.record_id, d.by) for d in store.current()] == [("1", "ann")]


def test_import_skips_undecided_rows_and_names_missing_columns(
    store: DecisionStore, tmp_path: Path
) -> None:
    sheet = write_rows(
        tmp_path / "sheet.csv",
        [
            ["1", "", "", "", "bob", "", ""],
            ["2", "", "include", "", "bob", "", "looks relevant"],
        ],
    )
    assert store.import_csv(sheet, IDS) == 1
    assert [(d.record_id, d.stage, d.note) for d in store.current()] == [
        ("2", "title-abstract", "looks relevant")
    ]
    headless = tmp_path / "headless.csv"
    headless.write_text("id,decision\n1,include\n", encoding="utf-8")
    with pytest.raises(DecisionError, match="line 1: missing column"):
        store.import_csv(headless, IDS)


def test_a_file_that_is_not_a_database_is_a_decision_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.sqlite"
    path.write_text("not a database, but a reviewer's notes\n" * 100, encoding="utf-8")
    with pytest.raises(DecisionError, match="cannot open the decisions database"):
        DecisionStore(path)


def test_a_decisions_file_another_process_keeps_locked_is_refused_in_time(
    tmp_path: Path,
) -> None:
    path = tmp_path / "review.decisions.sqlite"
    with DecisionStore(path, CODES, timeout_s=0.05) as store:
        decide(store, "1", "include")
        other = sqlite3.connect(path, isolation_level=None)  # another screener, mid-write
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(DecisionError) as locked:
            decide(store, "2", "include")
        assert str(locked.value) == (
            f"{path}: another program is writing to this decisions file and did not finish "
            "within 0.05 s (database is locked); try again when it has (another screener "
            "or `review decisions import`?); nothing of this change was stored."
        )
        other.execute("ROLLBACK")
        other.close()
        decide(store, "2", "include")  # the store is still usable
        assert [d.record_id for d in store.current()] == ["1", "2"]


def full_disk_after_connecting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every decisions file opened from now on can no longer grow, as on a full disk."""
    import review.decisions

    connect = review.decisions.connect_in_wal_mode

    def connect_to_a_full_disk(path: Path, **options: Any) -> sqlite3.Connection:
        db = connect(path, **options)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {max(pages, 1)}")
        return db

    monkeypatch.setattr(review.decisions, "connect_in_wal_mode", connect_to_a_full_disk)


# --- the `review decisions` and `review explain` commands ----------------------------

FIXTURE_RECORDS = REPO / "tests" / "fixtures" / "screening" / "cohen2006_adhd_slice.csv"


@pytest.fixture
def adhd_protocol(tmp_path: Path) -> Path:
    source = REPO / "queries" / "cohen2006" / "ADHD.toml"
    path = tmp_path / "ADHD.toml"
    path.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def run_cli(*args: str) -> int:
    from review import cli

    return cli.main(list(args))


def test_decisions_commands_round_trip_conflicts_kappa_resolve(
    adhd_protocol: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = write_rows(
        tmp_path / "sheet.csv",
        [
            ["17", "", "include", "", "ann", "", ""],
            ["17", "", "include", "", "bob", "", ""],
            ["28", "", "include", "", "ann", "", ""],
            ["28", "", "exclude", "not-included-design", "bob", "", ""],
        ],
    )
    records = ["--records", str(FIXTURE_RECORDS)]
    assert run_cli("decisions", "import", str(adhd_protocol), str(sheet), *records) == 0
    assert "Imported 4 new decisions" in capsys.readouterr().out
    assert run_cli("decisions", "conflicts", str(adhd_protocol)) == 0
    out = capsys.readouterr().out
    assert "28\ttitle-abstract\tann: include; bob: exclude (not-included-design)" in out
    assert "1 unresolved conflict\n" in out
    assert run_cli("decisions", "kappa", str(adhd_protocol), "ann", "bob") == 0
    assert "2 records both decided; observed agreement 0.500" in capsys.readouterr().out
    # Agreement of a reviewer with herself was printed as a kappa of 1.000.
    assert run_cli("decisions", "kappa", str(adhd_protocol), "ann", "ann") == 1
    assert capsys.readouterr().err == (
        "Error: kappa compares two reviewers; ann was given twice: name two different reviewers.\n"
    )
    assert (
        run_cli("decisions", "resolve", str(adhd_protocol), "28", "include", "--reviewer", "cara")
        == 0
    )
    assert "Resolved 28 (title-abstract): include by cara" in capsys.readouterr().out
    assert run_cli("explain", str(adhd_protocol), "28", *records) == 0
    out = capsys.readouterr().out
    assert "People (title-abstract): bob at" in out
    assert re.search(r"People \(title-abstract\): cara at \S+: include — resolution\n", out)
    assert "Stands (title-abstract): include (by cara)" in out
    exported = tmp_path / "out.csv"
    assert run_cli("decisions", "export", str(adhd_protocol), str(exported)) == 0
    assert len(exported.read_text(encoding="utf-8").splitlines()) == 6  # header, 4, resolution


def test_undo_command_takes_back_one_decision_full_text_first(
    adhd_protocol: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = write_rows(
        tmp_path / "sheet.csv",
        [
            ["17", "title-abstract", "include", "", "ann", "", ""],
            ["28", "title-abstract", "include", "", "ann", "", ""],
            ["17", "full-text", "include", "", "ann", "", ""],
            ["28", "full-text", "not-retrieved", "", "ann", "", ""],
        ],
    )
    records = ["--records", str(FIXTURE_RECORDS)]
    assert run_cli("decisions", "import", str(adhd_protocol), str(sheet), *records) == 0
    capsys.readouterr()
    undo = ["decisions", "undo", str(adhd_protocol), "17", "--reviewer", "ann"]
    assert run_cli(*undo) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("Error: 17: after this undo")
    assert "review decisions undo PROTOCOL 17 --stage full-text --reviewer ann" in err
    # 17's full text is not ann's latest full-text decision (28's is): undo takes it by ID.
    assert run_cli(*undo, "--stage", "full-text") == 0
    assert "Undone 17 (full-text): ann's include" in capsys.readouterr().out
    assert run_cli(*undo) == 0
    assert run_cli(*undo) == 1
    assert "17: ann has no title-abstract decision on it to undo" in capsys.readouterr().err
    with DecisionStore.for_protocol(load_protocol(adhd_protocol)) as store:
        assert [(d.record_id, d.stage) for d in store.current()] == [
            ("28", "title-abstract"),
            ("28", "full-text"),
        ]


def test_kappa_over_one_record_says_record(
    adhd_protocol: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = write_rows(
        tmp_path / "sheet.csv",
        [["17", "", "include", "", "ann", "", ""], ["17", "", "include", "", "bob", "", ""]],
    )
    records = ["--records", str(FIXTURE_RECORDS)]
    assert run_cli("decisions", "import", str(adhd_protocol), str(sheet), *records) == 0
    assert run_cli("decisions", "kappa", str(adhd_protocol), "ann", "bob") == 0
    assert "title-abstract: 1 record both decided; observed agreement 1.000" in (
        capsys.readouterr().out
    )


def test_import_and_export_of_one_decision_say_decision(
    adhd_protocol: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = write_rows(tmp_path / "sheet.csv", [["17", "", "include", "", "ann", "", ""]])
    records = ["--records", str(FIXTURE_RECORDS)]
    assert run_cli("decisions", "import", str(adhd_protocol), str(sheet), *records) == 0
    assert capsys.readouterr().out.startswith(f"Imported 1 new decision from {sheet} into ")
    assert run_cli("decisions", "export", str(adhd_protocol), str(tmp_path / "out.csv")) == 0
    assert capsys.readouterr().out == f"Wrote 1 decision to {tmp_path / 'out.csv'}\n"


def test_decisions_command_errors_are_one_line(
    adhd_protocol: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli("decisions", "conflicts", str(adhd_protocol)) == 1
    assert "no decisions yet; screen with `review screen` first." in capsys.readouterr().err
    assert not (adhd_protocol.parent / "cohen2006-ADHD.decisions.sqlite").exists()
    sheet = write_rows(tmp_path / "s.csv", [["nope", "", "include", "", "ann", "", ""]])
    records = ["--records", str(FIXTURE_RECORDS)]
    assert run_cli("decisions", "import", str(adhd_protocol), str(sheet), *records) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and "line 2: unknown record ID 'nope'" in err
    assert run_cli("explain", str(adhd_protocol), "99999", *records) == 1
    assert "no record '99999' among the 13 records given with --records" in (
        capsys.readouterr().err
    )


def test_import_of_a_folder_or_an_unreadable_file_is_one_line_error(
    adhd_protocol: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = ["--records", str(FIXTURE_RECORDS)]
    folder = tmp_path / "sheets"
    folder.mkdir()
    assert run_cli("decisions", "import", str(adhd_protocol), str(folder), *records) == 1
    assert capsys.readouterr().err == (
        f"Error: {folder}: is a folder, not a file; name the file to import\n"
    )
    # Tests run as root, whom chmod 000 does not stop: refuse the read at the edge.
    locked = write_rows(tmp_path / "locked.csv", [["17", "", "include", "", "ann", "", ""]])
    opened = Path.open

    def refuse(path: Path, *args: Any, **kwargs: Any) -> Any:
        if path == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return opened(path, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    assert run_cli("decisions", "import", str(adhd_protocol), str(locked), *records) == 1
    assert capsys.readouterr().err == f"Error: {locked}: cannot be read (Permission denied)\n"
    with DecisionStore.for_protocol(load_protocol(adhd_protocol)) as store:
        assert store.current() == ()


def test_a_new_decisions_file_on_a_full_disk_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full_disk_after_connecting(monkeypatch)
    path = tmp_path / "new.decisions.sqlite"
    with pytest.raises(DecisionError) as full:
        DecisionStore(path)
    assert str(full.value) == (
        f"{path}: cannot open the decisions database (database or disk is full); is the "
        "disk full? Free some space, check the folder is writable; nothing stored in it "
        "was changed."
    )


def test_import_on_a_full_disk_is_one_line_and_keeps_every_stored_decision(
    adhd_protocol: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = ["--records", str(FIXTURE_RECORDS)]
    first = write_rows(tmp_path / "first.csv", [["17", "", "include", "", "ann", "", ""]])
    assert run_cli("decisions", "import", str(adhd_protocol), str(first), *records) == 0
    capsys.readouterr()
    long_note = "quoted from the full text: " + "x" * 5000
    second = write_rows(
        tmp_path / "second.csv",
        [[record_id, "", "include", "", "bob", "", long_note] for record_id in ("17", "28")],
    )
    full_disk_after_connecting(monkeypatch)
    assert run_cli("decisions", "import", str(adhd_protocol), str(second), *records) == 1
    err = capsys.readouterr().err
    path = decisions_path(load_protocol(adhd_protocol))
    assert err == (
        f"Error: {path}: cannot save decisions (database or disk is full); is the disk full? "
        "Free some space and try again; nothing of this change was stored.\n"
    )
    monkeypatch.undo()
    with DecisionStore.for_protocol(load_protocol(adhd_protocol)) as store:
        assert [(d.record_id, d.by) for d in store.current()] == [("17", "ann")]


# --- end to end: `review run` over the bundled example --------------------------------


def prisma_of_run() -> dict[str, Any]:
    assert run_cli("run", "queries/kratom.toml", "--quiet") == 0
    report = Path("reports/kratom/report.json").read_text(encoding="utf-8")
    prisma: dict[str, Any] = json.loads(report)["prisma"]
    return prisma


def test_people_and_the_full_text_stage_survive_reruns_and_changed_criteria(
    clone: Path,
) -> None:
    from review.pipeline import RunSettings, prepare_review

    # The rules include only when the protocol says so; this one does.
    toml = Path("queries/kratom.toml")
    text = toml.read_text(encoding="utf-8")
    toml.write_text(
        text.replace("exclude_retracted = true", "exclude_retracted = true\nrules_include = true"),
        encoding="utf-8",
    )
    protocol = load_protocol("queries/kratom.toml")
    first = prepare_review(protocol, RunSettings())
    by_rules = [d.record_id for d in first.rule_decisions if d.outcome == "include"]
    waiting = [d.record_id for d in first.rule_decisions if d.outcome == "needs-human"][:4]
    assert len(by_rules) == 2 and len(waiting) == 4
    with DecisionStore.for_protocol(protocol) as store:
        decide(store, waiting[0], "exclude", "ana", "not-human-study")
        for record_id in waiting[1:]:
            decide(store, record_id, "include", "ana")
        # Full text, as PRISMA 2020 has it: one not retrieved, one excluded with a
        # reason, three included (two of them the rules' own inclusions).
        decide(store, waiting[1], "not-retrieved", "ana", stage="full-text")
        decide(store, waiting[2], "exclude", "ana", "full-text-unusable", "full-text")
        decide(store, waiting[3], "include", "ana", stage="full-text")
        decide(store, by_rules[0], "include", "ana", stage="full-text")
        decide(store, by_rules[1], "include", "ana", stage="full-text")
        stored = store.current()
    expected = {
        "reports_sought": 5,
        "reports_not_retrieved": 1,
        "reports_assessed": 4,
        "reports_excluded": 1,
        "reports_excluded_by_reason": {"full-text-unusable": 1},
        "studies_included": 3,
    }
    prisma = prisma_of_run()
    assert {k: prisma[k] for k in expected} == expected
    assert prisma["records_excluded_by_reason"]["not-human-study"] == 1
    assert prisma_of_run() == prisma  # a re-run changes nothing

    # Stricter criteria: the rules now exclude everything before 2030, the rules'
    # own inclusion among them; what people decided stands as it was.
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("first = 1990", "first = 2030"), encoding="utf-8")
    stricter = prisma_of_run()
    assert {k: stricter[k] for k in expected} == expected
    assert stricter["records_excluded_by_reason"]["not-human-study"] == 1
    automation = "marked_ineligible_by_automation_by_reason"
    assert stricter[automation]["out-of-years"] > prisma[automation].get("out-of-years", 0)
    with DecisionStore.for_protocol(load_protocol(toml)) as store:
        assert store.current() == stored


def test_a_full_text_waiting_on_a_conflict_is_reported_and_counts_once_resolved(
    clone: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """bob disagrees at title/abstract after ann decided the full text: the report
    counts the record as awaiting a person, lists the full text as not counted and
    why, and counts it again once the conflict is resolved as include."""
    from review.pipeline import RunSettings, prepare_review

    protocol = load_protocol("queries/kratom.toml")
    first = prepare_review(protocol, RunSettings())
    record_id = next(d.record_id for d in first.rule_decisions if d.outcome == "needs-human")
    with DecisionStore.for_protocol(protocol) as store:
        decide(store, record_id, "include", "ann")
        decide(store, record_id, "include", "ann", stage="full-text")
    included = prisma_of_run()
    assert included["studies_included"] == 1
    with DecisionStore.for_protocol(protocol) as store:
        decide(store, record_id, "exclude", "bob", "not-human-study")
    capsys.readouterr()
    waiting = prisma_of_run()
    assert "Note: 1 full-text decision kept but not counted: its record is not included" in (
        " ".join(capsys.readouterr().err.split())
    )
    assert waiting["studies_included"] == 0 and waiting["reports_sought"] == 0
    assert waiting["awaiting_screening"] == included["awaiting_screening"] + 1
    report = json.loads(Path("reports/kratom/report.json").read_text(encoding="utf-8"))
    (held,) = report["uncounted_decisions"]
    assert (held["record_id"], held["stage"], held["by"]) == (record_id, "full-text", "ann")
    assert held["why"].startswith("waiting for the title/abstract conflict to be resolved")
    markdown = Path("reports/kratom/report.md").read_text(encoding="utf-8")
    assert f"`{record_id}` full-text: include by ann" in markdown
    with DecisionStore.for_protocol(protocol) as store:
        store.resolve(Decision(record_id, "title-abstract", "include", by="cara"))
    assert prisma_of_run() == included
    report = json.loads(Path("reports/kratom/report.json").read_text(encoding="utf-8"))
    assert not report["uncounted_decisions"]
