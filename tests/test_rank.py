"""Ranking: the protocol orders records before any decision; one include lifts its like."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from review.decisions import DecisionStore
from review.protocol import Concept, Criteria
from review.rank import (
    PSEUDO_NEGATIVES_FROM,
    Candidate,
    Document,
    ModelSettings,
    Ranker,
    Ranking,
    RecordRanker,
    _balanced_weights,
    _pseudo_negatives,
    meaningful,
    protocol_query,
)
from review.records import AbstractSection, Record, Source
from review.screen import Decision
from review.screener import screening_queue

SOURCE = Source("test.csv", "CSV")

OTHER_TOPICS = [
    "Statin therapy and cardiovascular events in older adults",
    "Surgical outcomes of hip replacement in a regional hospital",
    "Vaccination coverage among school children in rural districts",
    "Dietary sodium and blood pressure: a cohort study",
    "Antibiotic prescribing for sore throat in primary care",
    "Sleep duration and academic performance of students",
    "Air pollution and asthma admissions in cities",
    "Physical activity programmes for people with diabetes",
]


def record(n: int, title: str, abstract: str = "") -> Record:
    return Record(
        id=f"r{n}",
        source=SOURCE,
        title=title,
        abstract=(AbstractSection(abstract),) if abstract else (),
    )


def corpus() -> list[Record]:
    """Twenty-four unrelated records, then three about kratom withdrawal, planted last."""
    records = [
        record(n, OTHER_TOPICS[n % len(OTHER_TOPICS)], f"Study number {n} of the usual kind.")
        for n in range(24)
    ]
    records += [
        record(24, "Kratom withdrawal symptoms in regular users", "Mitragynine dependence."),
        record(25, "Treating kratom dependence with buprenorphine", "Withdrawal from kratom."),
        record(26, "Kratom use disorder: a case series of withdrawal", "Kratom dependence."),
    ]
    return records


KRATOM = Criteria(
    concepts=(
        Concept("kratom", "not-kratom", ("kratom", "mitragyn*"), ("title", "abstract")),
        Concept("outcome", "no-outcome", ("withdraw*", "dependen*"), ("title", "abstract")),
    )
)


def test_cold_start_puts_the_records_the_protocol_describes_first() -> None:
    records = corpus()
    ranker = RecordRanker(
        records, question="What is known about kratom withdrawal?", criteria=KRATOM
    )
    first = [r.id for r in ranker.order(records)[:3]]
    assert set(first) == {"r24", "r25", "r26"}
    assert ranker.ranking().basis == "protocol"
    assert "kratom" in ranker.terms("r24")
    assert ranker.relevance("r24") == 1.0 or ranker.relevance("r26") == 1.0


def test_protocol_query_expands_truncated_terms() -> None:
    query = protocol_query("", KRATOM)
    assert [p.name for p in query.parts] == ["kratom", "outcome"]
    assert "mitragyn*" in query.parts[0].terms


def test_a_planted_relevant_record_rises_after_one_include() -> None:
    records = corpus()
    ranker = RecordRanker(records)  # no protocol: nothing to go on but decisions
    before = [r.id for r in ranker.order(records)]
    assert before.index("r26") == 26  # input order until something is learned
    ranker.teach("r24", "include")
    ranker.teach("r3", "exclude")
    after = [r.id for r in ranker.order([r for r in records if r.id not in ("r24", "r3")])]
    assert after.index("r26") <= 1 and after.index("r25") <= 1
    assert ranker.ranking().basis == "model"
    assert "kratom" in ranker.terms("r26")


def test_the_same_seed_gives_the_same_ranking() -> None:
    documents = [Document(r.title + " " + r.abstract_text) for r in corpus()]
    scores = []
    for _ in range(2):
        ranker = Ranker(documents, seed=7)
        ranker.label(24, True)
        ranker.label(0, False)
        scores.append(ranker.ranking().scores.tolist())
    assert scores[0] == scores[1]


def test_relevant_records_weigh_their_share_in_a_fit() -> None:
    y = np.array([1, 0, 0, 0, 1, 0, 0])
    weights = _balanced_weights(y, 9.8)
    assert weights[y == 1].sum() == pytest.approx(9.8 * weights[y == 0].sum())
    assert weights.sum() == pytest.approx(len(y))  # same scale as unweighted
    balanced = _balanced_weights(y)
    assert balanced[y == 1].sum() == pytest.approx(balanced[y == 0].sum())


def test_pseudo_negatives_act_on_large_collections_only() -> None:
    small = [Document(r.title + " " + r.abstract_text) for r in corpus()]
    large = small + [
        Document(f"{OTHER_TOPICS[n % len(OTHER_TOPICS)]} {n}") for n in range(PSEUDO_NEGATIVES_FROM)
    ]
    for documents, changed in ((small, False), (large, True)):
        scores = []
        for pseudo in (0, 5):
            ranker = Ranker(documents, seed=3, settings=ModelSettings(pseudo_negatives=pseudo))
            ranker.label(24, True)
            ranker.label(0, False)
            scores.append(ranker.ranking().scores)
        assert (scores[0].tolist() != scores[1].tolist()) == changed
        # Still the planted records first.
        assert set(np.argsort(-scores[1])[:3].tolist()) == {24, 25, 26}


def test_the_model_chosen_by_cross_validation_is_the_one_that_ranks_the_labels_best() -> None:
    # Only the subject terms tell the relevant records apart: the words mislead.
    documents = [Document(f"{OTHER_TOPICS[n % 8]} report {n}", ("Other",)) for n in range(24)]
    documents += [Document(f"{OTHER_TOPICS[n % 8]} report {n}", ("Kratom",)) for n in range(24, 30)]
    settings = ModelSettings(choose=(Candidate(0.0), Candidate(1.0)), choose_folds=3)
    ranker = Ranker(documents, seed=1, settings=settings)
    for index in (24, 25, 26):
        ranker.label(index, True)
    for index in range(6):
        ranker.label(index, False)
    ranking = ranker.ranking()
    assert ranker.choice == 1 and ranker.choices == [(9, 1)]
    assert set(np.argsort(-ranking.scores)[:6].tolist()) == set(range(24, 30))
    assert ranker.top_terms(27, ranking)[0] == "MeSH/keyword kratom"


def test_the_screening_queue_is_ranked_by_default_and_input_order_on_request(
    tmp_path: Path,
) -> None:
    records = corpus()
    with DecisionStore(tmp_path / "d.sqlite") as store:
        store.add(Decision("r24", "title-abstract", "include", by="ann"))
        store.add(Decision("r3", "title-abstract", "exclude", "off-topic", by="ann"))
        ranked = screening_queue(records, (), store, "ann", "title-abstract")
        plain = screening_queue(records, (), store, "ann", "title-abstract", order="input")
    assert {r.id for r in ranked[:2]} == {"r25", "r26"}
    assert [r.id for r in plain[:2]] == ["r0", "r1"]
    assert len(ranked) == len(plain) == 25


def test_the_terms_shown_as_weighing_most_are_not_function_words() -> None:
    """The model learns from every word, "the" and "of" too; the terms it names for a
    record are the meaningful ones (stop words in a phrase's first or last place, lone
    numbers and letters left out)."""
    records = [
        record(n, OTHER_TOPICS[n % len(OTHER_TOPICS)], "A cohort in 2019.") for n in range(24)
    ]
    # The relevant records share function words far more than their topic words.
    records += [
        record(24, "The use of the kratom of the region", "The effect of the dose of the leaf."),
        record(25, "On the withdrawal of the users of the leaf", "The kratom of the sellers."),
        record(26, "The kratom of the farms and of the markets", "The leaf of the tree, 2019."),
    ]
    ranker = RecordRanker(records)
    ranker.teach("r24", "include")
    ranker.teach("r25", "include")
    ranker.teach("r3", "exclude")
    index = ranker.index["r26"]
    ranking = ranker.ranking()
    # Unfiltered, "the" and "of the" weigh most for this record.
    row = ranker.ranker.features.matrix.getrow(index)
    weights = row.data * ranking.coef[row.indices]
    every = ranker.ranker.features.names
    names = [every[row.indices[i]] for i in np.argsort(-weights)[:3]]
    assert {"the", "of the", "of"} & set(names)
    shown = ranker.terms("r26")
    assert shown and "kratom" in shown and "leaf" in shown
    assert not [t for t in shown if t.split()[0] in ("the", "of") or t.split()[-1] in ("the", "of")]
    assert "2019" not in shown


def _explained(documents: list[Document], weights: dict[str, float]) -> tuple[str, ...]:
    """What the model names for the last document, with these weights for its features."""
    ranker = Ranker(documents)
    names = ranker.features.names
    coef = np.array([weights.get(name, 0.0) for name in names])
    scores = np.zeros(len(documents))
    return ranker.top_terms(len(documents) - 1, Ranking(scores, "model", 2, coef=coef))


def test_a_term_in_most_records_weighs_by_how_far_this_record_is_from_the_rest() -> None:
    """The word "use", in 29 % of the kratom set's records, raised every record's score
    alike, yet headed the terms shown for a third of them. A term counts by how far its
    value here is from its mean over the records."""
    documents = [Document(f"alpha other{n}") for n in range(19)]
    documents += [Document("delta one"), Document("delta two"), Document("alpha beta")]
    weights = {"alpha": 1.0, "beta": 0.2}
    # The weight times the value alone put "alpha" (in 20 of 22 records) first.
    assert _explained(documents, weights) == ("beta", "alpha")


def test_a_word_pair_and_its_words_are_named_once() -> None:
    """The terms "case report", "report" and "case" took three of the five places."""
    documents = [Document(f"{OTHER_TOPICS[n % 8]} {n}") for n in range(20)]
    documents += [Document("kratom case report")]
    weights = {"case": 0.9, "report": 0.8, "case report": 0.7, "kratom": 0.3}
    assert _explained(documents, weights) == ("case report", "kratom")


@pytest.mark.parametrize(
    ("term", "shown"),
    [
        ("kratom", True),
        ("kratom withdrawal", True),
        ("side effects", True),
        ("serious", True),
        ("the", False),
        ("of the", False),
        ("of kratom", False),
        ("kratom and", False),
        ("2019", False),
        ("a", False),
        ("x", False),
        ("mesh:the", True),  # a subject term is shown as people gave it
        ("type:review", True),
    ],
)
def test_meaningful_terms(term: str, shown: bool) -> None:
    assert meaningful(term) is shown


def test_the_ranking_is_described_without_nested_brackets() -> None:
    """The screeners show "Relevance 0.87 (<describe>)": no brackets inside brackets."""
    records = corpus()
    by_protocol = RecordRanker(records, question="kratom withdrawal", criteria=KRATOM)
    assert by_protocol.describe() == (
        "ranked by the protocol's question and concepts; nothing learned yet"
    )
    assert RecordRanker(records).describe() == (
        "in input order: no protocol terms and nothing learned yet"
    )


def test_a_ranker_builds_only_what_its_ranking_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The model's features are most of a ranker's cost on a large review, and the
    protocol's BM25 scores the rest: a ranking by the protocol builds no features (the
    report of a review nobody has screened), and a ranker taught both outcomes from the
    start no BM25 (the report of a review under way)."""
    import review.rank as rank

    records = corpus()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("built although the ranking does not need it")

    with monkeypatch.context() as patched:
        patched.setattr(rank, "build_features", refuse)
        cold = RecordRanker(records, question="kratom withdrawal", criteria=KRATOM)
        assert cold.order(records)[0].id in ("r24", "r25", "r26")
        assert "kratom" in cold.terms("r24")
    with monkeypatch.context() as patched:
        patched.setattr(rank, "bm25_scores", refuse)
        taught = RecordRanker(records, question="kratom withdrawal", criteria=KRATOM)
        taught.teach("r24", "include")
        taught.teach("r3", "exclude")
        assert taught.ranking().basis == "model"
        assert "kratom" in taught.terms("r26")
    # Undone to one outcome, it ranks by the protocol again: the scores are built then.
    taught.teach("r3", None)
    assert taught.ranking().basis == "protocol"
    assert "kratom" in taught.terms("r24")


def test_split_tokens_give_hyphenated_and_spaced_spellings_the_same_features() -> None:
    # The relevant record says "beta-blocker"; 21 says "beta blocker"; 22 shares a word.
    documents = [Document(f"{OTHER_TOPICS[n % 8]} report {n}") for n in range(20)]
    documents += [
        Document("Beta-blocker after infarction"),
        Document("Beta blocker lowers mortality"),
        Document("Infarction registry in Sweden"),
    ]
    for tokens in ("hyphen", "split"):
        ranker = Ranker(documents, seed=1, settings=ModelSettings(tokens=tokens))
        ranker.label(20, True)
        ranker.label(0, False)
        scores = ranker.ranking().scores
        assert (scores[21] > scores[22]) == (tokens == "split")
        row = ranker.features.matrix.getrow(20)
        every = ranker.features.names
        words = {every[i] for i in row.indices}
        assert ("beta-blocker" in words) == (tokens == "hyphen")
        assert ("beta blocker" in words) == (tokens == "split")


def test_topped_up_pseudo_negatives_shrink_as_irrelevant_decisions_grow() -> None:
    n = PSEUDO_NEGATIVES_FROM + 200
    settings = ModelSettings(pseudo_negatives=100, pseudo_mode="top-up")
    for labelled, irrelevant, expected in ((31, 30, 70), (101, 100, 0), (151, 150, 0)):
        rows = np.arange(labelled, dtype=np.int64)
        chosen = _pseudo_negatives(n, rows, settings, 1, irrelevant)
        assert len(chosen) == expected
        assert not set(chosen.tolist()) & set(rows.tolist())  # undecided records only
    fixed = _pseudo_negatives(n, np.arange(151, dtype=np.int64), ModelSettings(), 1, 150)
    assert len(fixed) == 100


def test_features_name_their_columns_only_when_an_explanation_asks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Listing every 1-2-gram's name cost more than fitting the model on a large review;
    the names now come from the vocabularies when a record's terms are shown, and the
    ranking is the one made before (order pinned from the earlier code)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    documents = [
        Document(f"{OTHER_TOPICS[n % 8]} trial {n % 5}", (f"Mesh {n % 3}",), ("Journal Article",))
        for n in range(40)
    ]
    documents += [
        Document("Kratom withdrawal in users", ("Kratom",)),
        Document("Kratom leaf sellers and users", ("Kratom", "Mesh 1")),
    ]

    def refuse(self: TfidfVectorizer) -> None:
        raise AssertionError("feature names listed while building features")

    with monkeypatch.context() as patch:
        patch.setattr(TfidfVectorizer, "get_feature_names_out", refuse)
        ranker = Ranker(documents, seed=3)
        ranker.label(40, True)
        ranker.label(0, False)
        ranker.label(9, False)
        ranking = ranker.ranking()
    assert ranker.order(range(len(documents)), ranking)[:15] == [
        40, 41, 28, 2, 26, 22, 38, 4, 34, 20, 10, 14, 7, 23, 31,
    ]  # fmt: skip
    assert ranker.top_terms(41, ranking) == ("MeSH/keyword kratom", "kratom", "users")
    names = ranker.features.names
    assert len(names) == ranker.features.matrix.shape[1]
    assert names[0] == "0" and "kratom leaf" in names[: ranker.features.text_columns]
    assert names[ranker.features.text_columns :] == (
        "mesh:kratom", "mesh:mesh 0", "mesh:mesh 1", "mesh:mesh 2", "type:journal article",
    )  # fmt: skip
