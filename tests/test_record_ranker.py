"""The ranker as the screener and the web app hold it: background refits, threads, order."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest

from review.cli.screen import prepared_input
from review.decisions import DecisionStore
from review.pipeline import RunSettings, prepare_review
from review.protocol import Concept, Criteria, load_protocol
from review.rank import RecordRanker
from review.records import Record, Source
from review.screen import Decision
from review.screener import queue_ranker, screening_queue

SOURCE = Source("test.csv", "CSV")
TOPICS = ["kratom withdrawal in regular users", "statins and heart disease", "hip surgery"]


def records(n: int = 60) -> list[Record]:
    return [Record(id=f"r{i}", source=SOURCE, title=f"{TOPICS[i % 3]} study {i}") for i in range(n)]


def teach_some(ranker: RecordRanker) -> None:
    for i in range(12):
        ranker.teach(f"r{i}", "include" if i % 3 == 0 else "exclude")


def test_background_refits_end_in_the_order_a_synchronous_ranker_gives() -> None:
    every = records()
    synchronous = RecordRanker(every, seed=3)
    teach_some(synchronous)
    with RecordRanker(every, seed=3, background=True) as background:
        background.ranking()  # starts the refit thread
        teach_some(background)
        background.settle()
        assert background.lag == 0
        assert [r.id for r in background.order(every)] == [r.id for r in synchronous.order(every)]
        assert background.describe() == synchronous.describe()
        assert background.terms("r3") == synchronous.terms("r3")
        assert background.refit_seconds  # the refits were timed


def test_the_first_background_ranking_waits_for_what_was_taught_before_it() -> None:
    every = records()
    with RecordRanker(every, seed=3, background=True) as ranker:
        teach_some(ranker)
        assert ranker.ranking().labelled == 12
        assert ranker.lag == 0


def test_unknown_records_come_last_and_ties_keep_their_order() -> None:
    every = records(6)
    ranker = RecordRanker(every)  # nothing to go on: input order
    stranger = Record(id="x", source=SOURCE, title="kratom withdrawal")
    shuffled = [every[4], stranger, every[1], every[0]]
    assert [r.id for r in ranker.order(shuffled)] == ["r4", "r1", "r0", "x"]


def test_decisions_from_many_threads_are_all_learned() -> None:
    every = records()
    ranker = RecordRanker(every, seed=1, background=True)
    ranker.ranking()

    def decide(start: int) -> None:
        for i in range(start, 30, 3):
            ranker.teach(f"r{i}", "include" if i % 3 == 0 else "exclude")
            ranker.order(every)

    threads = [threading.Thread(target=decide, args=(s,)) for s in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ranker.settle()
    assert ranker.ranking().labelled == 30
    ranker.close()
    ranker.close()  # twice is harmless


KRATOM = Criteria(
    concepts=(
        Concept("kratom", "not-kratom", ("kratom", "mitragyn*"), ("title", "abstract")),
        Concept("outcome", "no-outcome", ("withdraw*", "depress*"), ("title", "abstract")),
    )
)


def test_cold_start_does_not_put_a_bare_keyword_record_first() -> None:
    """Plain BM25 favoured the shortest documents: three keywords and no title came first."""
    titled = [
        Record(id=f"t{i}", source=SOURCE, title=title, keywords=("kratom",))
        for i, title in enumerate(
            [
                "Kratom withdrawal symptoms among regular users in Malaysia",
                "Depression and anxiety in people who use kratom daily",
                "Mitragynine dependence and withdrawal: a cohort of kratom users",
            ]
        )
    ]
    bare = Record(id="bare", source=SOURCE, keywords=("kratom", "mitragynine", "withdrawal"))
    others = [
        Record(id=f"o{i}", source=SOURCE, title=f"Statins and heart disease, report {i}")
        for i in range(20)
    ]
    every = [bare, *others, *titled]
    ranker = RecordRanker(every, question="What is known about kratom?", criteria=KRATOM)
    first = [r.id for r in ranker.order(every)]
    assert set(first[:3]) == {"t0", "t1", "t2"}
    assert first.index("bare") == 3


def test_cold_start_puts_records_matching_every_concept_before_stronger_partial_ones() -> None:
    both = Record(id="both", source=SOURCE, title="Kratom and depression")
    one = Record(id="one", source=SOURCE, title="Depression, depression and depressive disorder")
    every = [one, both, *(Record(id=f"o{i}", source=SOURCE, title="hip surgery") for i in range(9))]
    ranker = RecordRanker(every, criteria=KRATOM)
    assert [r.id for r in ranker.order(every)][:2] == ["both", "one"]


def test_the_full_text_queue_is_ordered_by_the_same_model(tmp_path: Path) -> None:
    every = records(12)
    with DecisionStore(tmp_path / "d.sqlite") as store:
        for i, outcome in ((0, "include"), (1, "exclude"), (2, "include"), (3, "include")):
            reason = "off-topic" if outcome == "exclude" else ""
            store.add(Decision(f"r{i}", "title-abstract", outcome, reason, by="ann"))
        ranker = queue_ranker(every, store)
        full_text = screening_queue(every, (), store, "ann", "full-text", ranker=ranker)
        plain = screening_queue(every, (), store, "ann", "full-text", order="input")
    assert [r.id for r in plain] == ["r0", "r2", "r3"]
    # r0 and r3 share their topic with the other inclusion; r2 (hip surgery) does not.
    assert [r.id for r in full_text] == [r.id for r in ranker.order(plain)]
    assert full_text[-1].id == "r2"
    assert ranker.ranking().labelled == 4  # full-text decisions teach nothing


def test_the_kratom_examples_first_screen_is_about_kratom(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cold start on the bundled example: the twenty records `review screen` shows first
    have titles and name kratom or its alkaloids (ks0016, three keywords, came first)."""
    repo = Path(__file__).resolve().parent.parent
    shutil.copytree(repo / "queries" / "sources", tmp_path / "queries" / "sources")
    shutil.copy(repo / "queries" / "kratom.toml", tmp_path / "queries")
    shutil.copytree(repo / "cache" / "example", tmp_path / "cache" / "example")
    monkeypatch.chdir(tmp_path)
    protocol = load_protocol("queries/kratom.toml")
    found = prepared_input(prepare_review(protocol, RunSettings()))
    with DecisionStore.for_protocol(protocol) as store:
        queue = screening_queue(
            found.records, found.rule_decisions, store, "ann", "title-abstract", protocol=protocol
        )
    first = queue[:20]
    assert all(r.title for r in first)
    about_kratom = [r for r in first if re.search(r"kratom|ketum|mitragyn", r.title, re.I)]
    assert len(about_kratom) >= 18, [r.title for r in first]


def test_records_without_any_words_are_ranked_without_an_error() -> None:
    # A review with no records yet, or an import of bare IDs, has no vocabulary:
    # scikit-learn refuses to build one, and the screener must still open.
    assert RecordRanker([]).order([]) == []
    bare = [Record(id=f"b{i}", source=SOURCE) for i in range(4)]
    ranker = RecordRanker(bare)
    ranker.teach("b0", "include")
    ranker.teach("b1", "exclude")
    assert sorted(r.id for r in ranker.order(bare[2:])) == ["b2", "b3"]
