"""Screening rules: real records, hand-built records copied from real ones, and combining."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from review.protocol import Concept, Criteria, YearRange, load_protocol
from review.records import AbstractSection, MeshHeading, Record, Relation, Source
from review.screen import (
    Decision,
    effective_decisions,
    explain,
    full_text_counts,
    match_spans,
    screen_record,
    term_pattern,
    title_abstract_counts,
)

REPO = Path(__file__).resolve().parent.parent
KRATOM = load_protocol(REPO / "queries" / "kratom.toml").criteria
SOURCE = Source("PubMed")


def record(**fields: object) -> Record:
    values: dict[str, object] = {"id": "1", "source": SOURCE}
    values.update(fields)
    return Record(**values)  # type: ignore[arg-type]


def mesh(*names: str) -> tuple[MeshHeading, ...]:
    return tuple(MeshHeading(n) for n in names)


def abstract(text: str) -> tuple[AbstractSection, ...]:
    return (AbstractSection(text),)


# --- terms ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "text", "found"),
    [
        ("mitragyn*", "Mitragynine and 7-hydroxymitragynine", "Mitragynine"),
        ("mitragyn*", "hydroxymitragynine", ""),  # a word boundary is needed before it
        ("mood", "moody adolescents", ""),
        ("CBT", "CBT-based groups", "CBT"),
        ("cognitive behavio*", "cognitive-behavioural therapy", "cognitive-behavioural"),
        ("use disorder*", "opioid use  disorders", "use  disorders"),
        ("7-OH-mitragynine", "7-OH mitragynine levels", "7-OH mitragynine"),
        ("LC-MS*", "by LC-MS/MS", "LC-MS"),
        ("in vitro", "IN VITRO assays", "IN VITRO"),
    ],
)
def test_terms_are_case_insensitive_words_with_truncation(term: str, text: str, found: str) -> None:
    match = term_pattern(term).search(text)
    assert (match.group(0) if match else "") == found


@given(st.text(min_size=1, max_size=30), st.text(max_size=20))
def test_any_term_compiles_and_finds_itself_between_spaces(term: str, around: str) -> None:
    words = term.replace("*", " ").split()
    if not words:
        return
    plain = " ".join(words)
    match = term_pattern(plain).search(f"{around} {plain} {around}")
    if plain[0].isalnum() or plain[0] == "_":
        assert match is not None


# --- hand-built records copied from real PubMed records ------------------------------

# PMID 33342583 (Letter, 2021, no MeSH yet): kratom withdrawal case.
KRATOM_LETTER = record(
    id="33342583",
    title='"A Kratom Konundrum": Management of Kratom Withdrawal With Gabapentin in a '
    "Patient With a Left Ventricular Assist Device.",
    year=2021,
    languages=("eng",),
    publication_types=("Letter",),
)
# PMID 10704411 (2000): MeSH Animals, no Humans.
DROSOPHILA = record(
    id="10704411",
    title="Dopamine modulates acute responses to cocaine, nicotine and ethanol in Drosophila.",
    abstract=abstract("Flies ... a model of drug addiction."),
    year=2000,
    languages=("eng",),
    publication_types=("Journal Article",),
    mesh=mesh("Animals", "Behavior, Animal", "Cocaine", "Dopamine", "Drosophila"),
)


def test_a_kratom_withdrawal_letter_is_not_excluded_and_without_mesh_needs_a_human() -> None:
    decision = screen_record(KRATOM_LETTER, KRATOM)
    assert decision.outcome == "needs-human"
    assert "kratom: 'Kratom' in title" in decision.matched
    assert "outcome: 'Withdrawal' in title" in decision.matched
    assert "species: no MeSH headings, so unknown" in decision.unmatched


def test_animal_only_mesh_excludes_but_no_mesh_does_not() -> None:
    decision = screen_record(DROSOPHILA, KRATOM)
    assert (decision.outcome, decision.reason) == ("exclude", "animal-only")
    assert "species: MeSH Animals without Humans (animal-only)" in decision.unmatched
    no_mesh = dataclasses.replace(DROSOPHILA, mesh=(), title="Kratom withdrawal in people")
    assert screen_record(no_mesh, KRATOM).outcome == "needs-human"


def test_humans_species_needs_the_humans_heading_to_include() -> None:
    criteria = Criteria(rules_include=True, species="humans")
    assert screen_record(record(mesh=mesh("Humans", "Male")), criteria).outcome == "include"
    assert screen_record(record(mesh=mesh("Mitragyna")), criteria).outcome == "needs-human"
    both = record(mesh=mesh("Animals", "Humans", "Rats"))
    assert screen_record(both, criteria).outcome == "include"
    by_ui = record(mesh=(MeshHeading("Animals", ui="D000818"),))
    assert screen_record(by_ui, criteria).reason == "animal-only"


def test_humans_in_the_keywords_counts_when_there_is_no_mesh() -> None:
    # A file with no MeSH field (RIS, Scopus CSV) often tags the species in its keywords.
    criteria = Criteria(rules_include=True, species="humans")
    tagged = record(keywords=("Kratom", "humans", "Withdrawal"))
    decision = screen_record(tagged, criteria)
    assert decision.outcome == "include"
    assert "species: keyword Humans (no MeSH headings)" in decision.matched
    # Author keywords are not MeSH: "Animals" there is not enough to exclude.
    animals = screen_record(record(keywords=("Animals", "Rats")), criteria)
    assert animals.outcome == "needs-human"
    assert "species: no MeSH headings, so unknown" in animals.unmatched
    # MeSH, when present, still decides.
    both = record(mesh=mesh("Animals", "Rats"), keywords=("Humans",))
    assert screen_record(both, criteria).reason == "animal-only"


@pytest.mark.parametrize(
    ("fields", "evidence"),
    [
        (
            {"publication_types": ("Journal Article", "Retracted Publication")},
            "retracted: publication type Retracted Publication",
        ),
        ({"relations": (Relation("RetractionIn", "34093767"),)}, "retracted: retraction notice"),
        (
            {"publication_types": ("Published Erratum", "Retraction of Publication")},
            "retracted: a retraction notice",
        ),
        ({"title": "RETRACTED: Kratom and mood"}, "retracted: the title says RETRACTED"),
        ({"title": "Retracted article: Kratom and mood"}, "retracted: the title says RETRACTED"),
        ({"title": "Retraction notice to: Kratom and mood"}, "retracted: the title says it is"),
        ({"title": "Retraction: Kratom and mood"}, "retracted: the title says it is"),
    ],
)
def test_retracted_publications_and_retraction_notices_are_excluded(
    fields: dict[str, object], evidence: str
) -> None:
    decision = screen_record(record(**fields), Criteria(rules_include=True))
    assert (decision.outcome, decision.reason) == ("exclude", "retracted")
    assert any(e.startswith(evidence) for e in decision.unmatched)
    kept = screen_record(record(**fields), Criteria(rules_include=True, exclude_retracted=False))
    assert kept.outcome == "include"


@pytest.mark.parametrize(
    "title",
    ["Retraction of the tongue in sleep apnoea", "Gingival retraction cords", "Retracted nipple"],
)
def test_retraction_as_a_medical_word_is_not_a_retraction(title: str) -> None:
    assert screen_record(record(title=title), Criteria(rules_include=True)).outcome == "include"


def test_publication_types_exclude_and_include_lists() -> None:
    criteria = Criteria(rules_include=True, exclude_publication_types=("Comment", "Editorial"))
    comment = screen_record(record(publication_types=("Letter", "Comment")), criteria)
    assert (comment.outcome, comment.reason) == ("exclude", "publication-type")
    wanted = Criteria(
        rules_include=True, include_publication_types=("Randomized Controlled Trial",)
    )
    rct = record(publication_types=("Journal Article", "Randomized Controlled Trial"))
    assert screen_record(rct, wanted).outcome == "include"
    other = screen_record(record(publication_types=("Review",)), wanted)
    assert (other.outcome, other.reason) == ("exclude", "publication-type")
    assert screen_record(record(), wanted).outcome == "needs-human"  # no types given


def test_years_and_languages_exclude_only_when_known() -> None:
    criteria = Criteria(rules_include=True, years=YearRange(1990, 2020), languages=("eng",))
    assert screen_record(record(year=1985, languages=("eng",)), criteria).reason == "out-of-years"
    assert screen_record(record(year=2021, languages=("eng",)), criteria).reason == "out-of-years"
    german = screen_record(record(year=2000, languages=("ger",)), criteria)
    assert (german.outcome, german.reason) == ("exclude", "language")
    assert screen_record(record(year=2000, languages=("English",)), criteria).outcome == "include"
    assert screen_record(record(year=2000, languages=("ger", "eng")), criteria).outcome == "include"
    undetermined = screen_record(record(year=2000, languages=("und",)), criteria)
    assert undetermined.outcome == "needs-human"
    unknown = screen_record(record(), criteria)
    assert unknown.outcome == "needs-human"
    assert "year: unknown (review covers 1990–2020)" in unknown.unmatched
    assert "language: the record gives none" in unknown.unmatched


def test_protocol_reason_codes_replace_the_built_in_ones() -> None:
    german = record(year=2000, languages=("ger",), title="Kratom", abstract=abstract("kratom"))
    assert screen_record(german, KRATOM).reason == "not-english"


TOPIC = Concept("kratom", "not-kratom", ("kratom", "mitragyn*"), ("title", "abstract", "mesh"))


def test_a_missing_required_concept_excludes_only_when_there_is_an_abstract() -> None:
    criteria = Criteria(rules_include=True, concepts=(TOPIC,))
    with_abstract = record(title="Rivaroxaban disposition", abstract=abstract("CYP 3A"))
    decision = screen_record(with_abstract, criteria)
    assert (decision.outcome, decision.reason) == ("exclude", "not-kratom")
    assert "kratom: no term in title, abstract, MeSH" in decision.unmatched
    title_only = screen_record(record(title="Rivaroxaban disposition"), criteria)
    assert title_only.outcome == "needs-human"
    soft = dataclasses.replace(TOPIC, when_absent="needs-human")
    assert (
        screen_record(with_abstract, Criteria(rules_include=True, concepts=(soft,))).outcome
        == "needs-human"
    )


def test_mesh_matches_and_exclusion_concepts() -> None:
    bench = Concept("bench", "in-vitro", ("in vitro", "HPLC"), ("title",), role="exclude")
    criteria = Criteria(rules_include=True, concepts=(TOPIC, bench))
    by_mesh = screen_record(record(mesh=mesh("Mitragyna"), abstract=abstract("leaf")), criteria)
    assert by_mesh.outcome == "include"
    assert "kratom: 'Mitragyna' in MeSH" in by_mesh.matched
    hplc = screen_record(record(title="HPLC of mitragynine"), criteria)
    assert (hplc.outcome, hplc.reason) == ("exclude", "in-vitro")
    assert "bench: 'HPLC' in title (excludes)" in hplc.unmatched


def test_match_spans_mark_terms_of_concepts_searching_that_field() -> None:
    text = "Kratom withdrawal and mood"
    spans = match_spans(text, KRATOM, "title")
    assert [(text[a:b], c) for a, b, c in spans] == [
        ("Kratom", "kratom"),
        ("withdrawal", "outcome"),
        ("mood", "outcome"),
    ]


# --- real records --------------------------------------------------------------------


def test_real_pubmed_records(fixtures_dir: Path) -> None:
    from review.formats import pubmed_xml

    folder = fixtures_dir / "screening"
    found = {}
    for name in ("kratom_records_from_pubmed21n1298.xml", "pubmed_screening_cases.xml"):
        for rec in pubmed_xml.read_pubmed_xml(folder / name).records:
            decision = screen_record(rec, KRATOM)
            found[rec.id] = (decision.outcome, decision.reason)
    assert found == {
        "33342583": ("needs-human", ""),  # kratom withdrawal letter, not yet MeSH-indexed
        "33847849": ("exclude", "not-kratom"),  # rivaroxaban
        "33847897": ("exclude", "no-relevant-outcome"),  # 7-OH-mitragynine in beagle dogs
        "34091497": ("exclude", "no-relevant-outcome"),  # post-mortem mitragynine levels
        "10704411": ("exclude", "animal-only"),  # Drosophila, MeSH Animals only
        "8454279": ("exclude", "not-kratom"),
        "25205585": ("exclude", "no-original-content"),  # Letter + Comment
        "27602157": ("exclude", "retracted"),  # Retracted Publication, RetractionIn
        "34082697": ("exclude", "retracted"),  # retraction notice
    }


def cohen_records(path: Path) -> list[tuple[Record, str, str]]:
    """Cohen 2006 rows as records; its `keywords` column holds the MeSH headings."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    result = []
    for row in rows:
        rec = record(
            id=row["record_id"],
            title=row["title"],
            abstract=abstract(row["abstract"]) if row["abstract"] else (),
            mesh=mesh(*[k.strip() for k in row["keywords"].split(";") if k.strip()]),
        )
        result.append((rec, row["label_abstract_screening"], row["label_included"]))
    return result


def test_cohen_adhd_slice_rules_never_exclude_what_reviewers_included(fixtures_dir: Path) -> None:
    criteria = load_protocol(REPO / "queries" / "cohen2006" / "ADHD.toml").criteria
    decisions = {
        rec.id: (screen_record(rec, criteria), abstract_label, included)
        for rec, abstract_label, included in cohen_records(
            fixtures_dir / "screening" / "cohen2006_adhd_slice.csv"
        )
    }
    for decision, abstract_label, _ in decisions.values():
        if abstract_label == "1":
            assert decision.outcome != "exclude", decision
    assert decisions["455"][0].reason == "animal-only"  # rats
    assert decisions["652"][0].reason == "animal-only"
    pemoline_trial = decisions["28"][0]  # a pemoline RCT in adults with ADHD, finally included
    assert pemoline_trial.outcome == "needs-human"  # rules_include = false: people include
    assert any(e.startswith("drug: 'pemoline' in title") for e in pemoline_trial.matched)


# --- combining with people -----------------------------------------------------------


def test_people_override_rules_and_criteria_changes_only_rescreen_rule_decisions() -> None:
    records = [
        record(id="a", title="Kratom use", abstract=abstract("kratom")),
        record(id="b", title="Aspirin", abstract=abstract("aspirin")),
    ]
    human = [Decision("b", "title-abstract", "include", by="ann", at="2026-01-01T00:00:00")]
    before = effective_decisions(
        [screen_record(r, Criteria(rules_include=True, concepts=(TOPIC,))) for r in records], human
    )
    assert [(d.record_id, d.outcome, d.by) for d in before] == [
        ("a", "include", "rules"),
        ("b", "include", "ann"),
    ]
    stricter = Criteria(rules_include=True, concepts=(TOPIC,), years=YearRange(first=2000))
    after = effective_decisions([screen_record(r, stricter) for r in records], human)
    assert [(d.record_id, d.outcome, d.by) for d in after] == [
        ("a", "needs-human", "rules"),  # year now unknown: re-screened
        ("b", "include", "ann"),  # kept as the person decided
    ]


def test_a_record_assessed_in_full_stays_included_when_the_rules_change() -> None:
    kratom = record(id="a", title="Kratom use", abstract=abstract("kratom"), year=1995)
    people = [Decision("a", "full-text", "include", by="ann", at="2026-01-04T00:00:00")]
    before = effective_decisions(
        [screen_record(kratom, Criteria(rules_include=True, concepts=(TOPIC,)))], people
    )
    assert [(d.stage, d.outcome, d.by) for d in before] == [
        ("title-abstract", "include", "rules"),
        ("full-text", "include", "ann"),
    ]
    stricter = Criteria(rules_include=True, concepts=(TOPIC,), years=YearRange(first=2000))
    after = effective_decisions([screen_record(kratom, stricter)], people)
    assert [(d.stage, d.outcome, d.by) for d in after] == [
        ("title-abstract", "include", "ann"),
        ("full-text", "include", "ann"),
    ]
    assert after[0].note == "taken to full text by ann; the rules now say exclude (out-of-years)"
    assert full_text_counts(after).included == 1  # PRISMA still adds up
    text = explain(kratom, stricter, people)
    assert "Rules (title-abstract): exclude — out-of-years" in text
    assert "Stands (title-abstract): include (by ann) — taken to full text by ann" in text
    assert "Stands (full-text): include (by ann)" in text


def test_latest_human_decision_wins_and_full_text_decisions_are_added() -> None:
    rules = [Decision("a", "title-abstract", "needs-human")]
    human = [
        Decision("a", "title-abstract", "exclude", "x", "ann", at="2026-01-02T00:00:00"),
        Decision("a", "title-abstract", "include", by="ann", at="2026-01-03T00:00:00"),
        Decision("a", "full-text", "not-retrieved", by="ann", at="2026-01-04T00:00:00"),
    ]
    final = effective_decisions(rules, human)
    assert [(d.stage, d.outcome) for d in final] == [
        ("title-abstract", "include"),
        ("full-text", "not-retrieved"),
    ]


def test_prisma_stage_counts() -> None:
    def d(rid: str, stage: str, outcome: str, reason: str = "", by: str = "ann") -> Decision:
        return Decision(rid, stage, outcome, reason, by)  # type: ignore[arg-type]

    effective = [
        d("1", "title-abstract", "include"),
        d("2", "title-abstract", "include"),
        d("3", "title-abstract", "include"),
        d("4", "title-abstract", "include"),
        d("5", "title-abstract", "exclude", "not-kratom"),
        d("6", "title-abstract", "needs-human"),
        # The rules' exclusion: marked ineligible by automation, before screening.
        d("7", "title-abstract", "exclude", "not-english", by="rules"),
        d("1", "full-text", "include"),
        d("2", "full-text", "exclude", "no-relevant-outcome"),
        d("3", "full-text", "not-retrieved"),
        d("5", "full-text", "include"),  # not sought: excluded at title/abstract
    ]
    ta = title_abstract_counts(effective)
    assert (ta.screened, ta.included, ta.excluded, ta.needs_human) == (6, 4, 1, 1)
    assert ta.excluded_by_reason == (("not-kratom", 1),)
    assert ta.automated == 1
    ft = full_text_counts(effective)
    assert (ft.sought, ft.not_retrieved, ft.assessed, ft.included, ft.excluded, ft.awaiting) == (
        4,
        1,
        2,
        1,
        1,
        1,
    )
    assert ft.excluded_by_reason == (("no-relevant-outcome", 1),)


def test_explain_shows_evidence_people_and_what_stands() -> None:
    human = [
        Decision(
            "10704411",
            "title-abstract",
            "include",
            by="ann",
            at="2026-01-02T10:00:00",
            note="flies",
        )
    ]
    text = explain(DROSOPHILA, KRATOM, human)
    lines = text.splitlines()
    assert lines[0].startswith("10704411: Dopamine modulates")
    assert "Rules (title-abstract): exclude — animal-only: Animal-only study" in lines
    assert "  not matched: species: MeSH Animals without Humans (animal-only)" in lines
    assert "People (title-abstract): ann at 2026-01-02T10:00:00: include — flies" in lines
    assert "Stands (title-abstract): include (by ann)" in lines
    alone = explain(DROSOPHILA, KRATOM)
    assert "People: no decision yet" in alone
    assert "Stands (title-abstract): exclude — animal-only: Animal-only study (by rules)" in alone


# --- whole shared sets ---------------------------------------------------------------


@pytest.mark.shared
def test_cbt_records_are_not_kratom_and_only_excluded_with_an_abstract(shared_dir: Path) -> None:
    from review.formats import pubmed_xml

    path = shared_dir / "data" / "pubmed" / "cbt_substance_use_records_from_pubmed21n1298.xml"
    records = pubmed_xml.read_pubmed_xml(path).records
    assert len(records) == 16
    for rec in records:
        decision = screen_record(rec, KRATOM)
        assert decision.outcome in ("exclude", "needs-human")
        if decision.outcome == "exclude" and decision.reason == "not-kratom":
            assert rec.abstract_text
        if decision.outcome == "needs-human":
            assert not rec.abstract_text or not rec.mesh or rec.year is None


@pytest.mark.shared
def test_adhd_set_rule_exclusions_against_reviewers(shared_dir: Path) -> None:
    from review.formats import read_records

    criteria = load_protocol(REPO / "queries" / "cohen2006" / "ADHD.toml").criteria
    result = read_records(shared_dir / "data" / "screening" / "cohen2006" / "ADHD.csv.gz")
    excluded_but_kept = []
    excluded = 0
    for rec in result.records:
        as_mesh = dataclasses.replace(rec, mesh=mesh(*rec.keywords), keywords=())
        decision = screen_record(as_mesh, criteria)
        labels = dict(rec.extra)
        excluded += decision.outcome == "exclude"
        if decision.outcome == "exclude" and labels["label_abstract_screening"] == "1":
            excluded_but_kept.append((rec.id, labels["label_included"]))
        assert decision.outcome != "include"  # rules_include = false
    # Measured: 343 of 851 excluded; reviewers kept two of them at title/abstract
    # (an ibuprofen trial, an olanzapine/risperidone diabetes study), included none.
    assert excluded == 343
    assert excluded_but_kept == [("77", "0"), ("410", "0")]


# --- the criteria keys this stage added to the protocol ------------------------------

PROTOCOL = """
schema_version = 1
name = "t"
title = "T"
question = "Q?"
[[searches]]
name = "a"
query = "kratom[tiab]"
[criteria]
species = "humans"
rules_include = false
[criteria.reason_codes]
species = "not-human"
[[criteria.concepts]]
name = "design"
reason = "wrong-design"
terms = ["random*"]
when_absent = "needs-human"
"""


def test_protocol_reads_reason_codes_when_absent_and_rules_include() -> None:
    from review.protocol import parse_protocol

    criteria = parse_protocol(PROTOCOL, Path("p.toml")).criteria
    assert criteria.species_reason == "not-human"
    assert criteria.rules_include is False
    assert criteria.concepts[0].when_absent == "needs-human"
    # Only the criteria in use offer their codes (retraction is on by default).
    assert [code for code, _ in criteria.reason_codes()] == [
        "not-human",
        "retracted",
        "wrong-design",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('when_absent = "needs-human"', 'when_absent = "maybe"'), "'maybe' is not one of"),
        (('species = "not-human"', 'colour = "x"'), "criteria.reason_codes.colour: unknown key"),
        (('species = "not-human"', 'species = "not human"'), "expected a code of letters"),
        (("rules_include = false", 'rules_include = "no"'), "expected true or false"),
    ],
)
def test_protocol_mistakes_in_the_new_keys(change: tuple[str, str], message: str) -> None:
    from review.errors import ProtocolError
    from review.protocol import parse_protocol

    with pytest.raises(ProtocolError, match=message):
        parse_protocol(PROTOCOL.replace(*change), Path("p.toml"))


WORDS = st.sampled_from(
    ["kratom", "Mitragynine", "withdrawal", "mood", "in vitro", "HPLC", "rats", "the", "of", "-"]
)
TEXT = st.lists(WORDS | st.text(max_size=8), max_size=12).map(" ".join)


@given(
    title=TEXT,
    text=TEXT,
    headings=st.lists(st.sampled_from(["Humans", "Animals", "Mitragyna", "Rats", "Mood"])),
    languages=st.lists(st.sampled_from(["eng", "ger", "und", "English"]), max_size=2),
    year=st.none() | st.integers(1900, 2100),
    types=st.lists(st.sampled_from(["Letter", "Comment", "Retracted Publication", "Review"])),
)
def test_every_exclusion_names_a_protocol_reason_and_its_evidence(
    title: str,
    text: str,
    headings: list[str],
    languages: list[str],
    year: int | None,
    types: list[str],
) -> None:
    rec = record(
        title=title,
        abstract=abstract(text) if text else (),
        mesh=mesh(*headings),
        languages=tuple(languages),
        year=year,
        publication_types=tuple(types),
    )
    decision = screen_record(rec, KRATOM)
    if decision.outcome == "exclude":
        assert decision.reason in dict(KRATOM.reason_codes())
        assert decision.unmatched
    else:
        assert decision.reason == ""
    if decision.outcome == "include":
        assert not decision.unmatched
    if "Humans" in headings and decision.reason == "animal-only":
        pytest.fail("a record with MeSH Humans was excluded as animal-only")


def test_the_screeners_full_text_counts_are_the_reports() -> None:
    """ "Assessed" means what PRISMA 2020 and the report mean: a full-text include or
    exclude; reports still awaiting a decision are counted apart, in both."""
    from review.prisma import derive_prisma

    def d(rid: str, stage: str, outcome: str, reason: str = "") -> Decision:
        return Decision(rid, stage, outcome, reason, by="ann")  # type: ignore[arg-type]

    effective = [
        *(d(str(n), "title-abstract", "include") for n in range(1, 6)),
        d("6", "title-abstract", "exclude", "not-kratom"),
        d("1", "full-text", "include"),
        d("2", "full-text", "exclude", "no-relevant-outcome"),
        d("3", "full-text", "not-retrieved"),
        d("4", "full-text", "needs-human"),
    ]
    ft = full_text_counts(effective)
    counts = derive_prisma([record(id=str(n)) for n in range(1, 7)], (), effective).counts()
    assert (ft.sought, ft.not_retrieved, ft.awaiting, ft.assessed, ft.included, ft.excluded) == (
        counts.reports_sought,
        counts.reports_not_retrieved,
        counts.awaiting_assessment,
        counts.reports_assessed,
        counts.studies_included,
        counts.reports_excluded_total,
    )
    assert (ft.sought, ft.not_retrieved, ft.awaiting, ft.assessed) == (5, 1, 2, 2)
