"""`review reading-list`: ranked before anyone screens; inclusions first, exclusions gone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from review.cli import main
from review.decisions import DecisionStore
from review.dedup import deduplicate
from review.protocol import load_protocol
from review.reading import (
    ranked_reading_list,
    reading_list_html,
    reading_list_markdown,
    study_type,
)
from review.records import Record, Source
from review.screen import Decision

REPO = Path(__file__).resolve().parent.parent

# Four made-up records: two on the review's topic, one off it, one editorial.
RECORDS_CSV = """\
record_id,title,abstract,authors,year,journal,pmid,doi,publication_types,languages
k1,Kratom withdrawal in regular users,Withdrawal and dependence after daily kratom use.,\
Ann Smith; Bo Lee,2020,J Addict,11111111,10.1/k1,Journal Article; Case Reports,eng
k2,Mitragynine pharmacology,How mitragynine acts; dependence in users of kratom.,\
Cy Doe,2019,Pharm. J.,22222222,,Journal Article; Review,eng
k3,Hip replacement outcomes,Surgery outcomes in a regional hospital.,Di Roe,2018,Ortho,,,\
Journal Article,eng
k4,Kratom and mood,Depression and anxiety in kratom users.,Ed Poe,2021,Mood J,,,Editorial,eng
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copy(REPO / "queries" / "kratom.toml", tmp_path / "kratom.toml")
    (tmp_path / "records.csv").write_text(RECORDS_CSV.replace("\\\n", ""), encoding="utf-8")
    return tmp_path


def reading_list(folder: Path, *extra: str) -> tuple[str, str]:
    argv = ["reading-list", str(folder / "kratom.toml"), "--records", str(folder / "records.csv")]
    assert main([*argv, "--output-dir", str(folder / "out"), *extra]) == 0
    html = (folder / "out" / "ranked-reading-list.html").read_text(encoding="utf-8")
    md = (folder / "out" / "ranked-reading-list.md").read_text(encoding="utf-8")
    return html, md


def test_before_any_screening_the_list_is_ranked_and_says_so(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html, md = reading_list(folder)
    assert capsys.readouterr().out.startswith(
        "Ranked, not screened: 2 of 2 records, ranked by the protocol's question and "
        "concepts; nothing learned yet.\nWrote "
    )
    assert "<strong>Ranked, not screened.</strong>" in html
    assert "ranked by the protocol&#39;s question and concepts" in html
    assert "**Ranked, not screened.**" in md
    assert "Nobody has checked these records against the review" in html
    assert "Nobody has checked these records against the review" in md
    assert "<em>Pharm. J</em>." in html and "*Pharm. J*." in md  # no "J.."
    assert "<details><summary>Abstract</summary>" in html
    assert '<a href="https://pubmed.ncbi.nlm.nih.gov/11111111/">PubMed</a>' in html
    assert '<a href="https://doi.org/10.1/k1">DOI</a>' in html
    assert '<span class="type">Case report</span>\nSmith A, Lee B (2020).' in html
    # The rules exclude an editorial and a record that never names kratom.
    assert "Kratom and mood" not in html and "Hip replacement" not in html
    assert "2 excluded by the protocol's rules left out" in html
    # Grouped by the protocol's concepts, not by search.
    assert "<h2>Kratom, Mitragyna speciosa or its alkaloids + Mood" in html
    assert not (folder / "kratom.decisions.sqlite").exists()  # reading creates no store


def test_people_included_come_first_and_excluded_are_dropped(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with DecisionStore(folder / "kratom.decisions.sqlite") as store:
        store.add(Decision("k3", "title-abstract", "include", by="ann"))
        store.add(Decision("k1", "title-abstract", "exclude", "not-kratom", by="ann"))
    html, md = reading_list(folder, "--top", "5")
    said = capsys.readouterr().out
    assert said.split("\n")[0] == (
        "Ranked, not screened: 2 of 2 records, ranked by a model learned from 2 decisions. "
        "The 1 record people included comes first."
    )
    assert "Kratom withdrawal" not in html
    # People outrank the rules: the record they included is listed, and first.
    line = next(line for line in md.splitlines() if line.startswith("1. "))
    assert line.startswith("1. **Included** · *Article* · ")
    assert "**Hip replacement outcomes**" in line
    assert "1 excluded by people left out" in md
    assert "The 1 record people included comes first. Nobody has checked the other" in md


def test_study_type_comes_from_publication_types() -> None:
    assert study_type(("Journal Article", "Randomized Controlled Trial")) == (
        "Randomised controlled trial"
    )
    assert study_type(("Journal Article", "Case Reports")) == "Case report"
    assert study_type(("Journal Article",)) == "Article"


def test_decisions_status_shows_the_stopping_rule(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with DecisionStore(folder / "kratom.decisions.sqlite") as store:
        store.add(Decision("k1", "title-abstract", "include", by="ann"))
    argv = ["decisions", "status", str(folder / "kratom.toml"), "--records"]
    assert main([*argv, str(folder / "records.csv")]) == 0
    out = capsys.readouterr().out
    assert (
        "Title/abstract: 2 marked ineligible by the protocol rules; 2 records screened: 1 included"
        in out
    )
    assert "Stopping rule not met (p = " in out and "keep screening. Found 1 relevant" in out


def test_decisions_status_names_the_conflicts_and_how_to_settle_them(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two reviewers disagree on k1: status counted it among those "for people to decide"
    and said nothing of a conflict to resolve."""
    with DecisionStore(folder / "kratom.decisions.sqlite") as store:
        store.add(Decision("k1", "title-abstract", "include", by="ann"))
        store.add(Decision("k1", "title-abstract", "exclude", "not-kratom", by="bob"))
    argv = ["decisions", "status", str(folder / "kratom.toml"), "--records"]
    assert main([*argv, str(folder / "records.csv")]) == 0
    out = capsys.readouterr().out.splitlines()
    protocol = folder / "kratom.toml"
    assert out[2] == (
        "1 conflict between reviewers at title/abstract, counted above as for people to "
        f"decide: `review decisions conflicts {protocol}` lists it, `review decisions "
        "resolve` settles it (or the Conflicts page of `review serve`)."
    )


def test_decisions_status_names_the_records_waiting_for_a_second_reviewer(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    protocol = folder / "kratom.toml"
    text = protocol.read_text(encoding="utf-8")
    protocol.write_text(text.replace("reviewers_required = 1", "reviewers_required = 2"))
    with DecisionStore(folder / "kratom.decisions.sqlite", reviewers_required=2) as store:
        store.add(Decision("k1", "title-abstract", "include", by="ann"))
    assert (
        main(["decisions", "status", str(protocol), "--records", str(folder / "records.csv")]) == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert out[2] == (
        "1 record waits at title/abstract for more reviewers to agree ([screening] "
        "reviewers_required in the protocol)."
    )


def test_decisions_status_before_any_decision_says_where_screening_stands(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["decisions", "status", str(folder / "kratom.toml"), "--records"]
    assert main([*argv, str(folder / "records.csv")]) == 0
    out = capsys.readouterr().out
    assert "No decisions yet (" in out and "--reviewer NAME` starts screening." in out
    assert (
        "Title/abstract: 2 marked ineligible by the protocol rules; 2 records screened: 0 included"
        in out
    )
    assert "Nothing screened yet: 2 records await a person. The stopping rule" in out
    assert "does not apply yet: it judges from the records people have screened" in out
    assert not (folder / "kratom.decisions.sqlite").exists()  # asking creates no store


# --- possible duplicates: folded into the higher entry, never decided ----------------------

TWICE = "Antidepressant-like effect of mitragynine in a mice model of depression in kratom users"


def possible_duplicates() -> list[Record]:
    """One work twice (deduplication leaves the pair to a person) and one other record."""
    return [
        Record("a", Source("PubMed"), title=TWICE, year="2011", journal="Phytomedicine"),
        Record("b", Source("Google Scholar"), title=TWICE + ".", url="https://example.org/b"),
        Record("c", Source("PubMed"), title="Kratom dependence and withdrawal", year="2020"),
    ]


def test_an_undecided_pair_is_one_entry_that_names_the_other_record() -> None:
    records = possible_duplicates()
    dedup = deduplicate(records)
    assert [(p.first_id, p.second_id) for p in dedup.undecided] == [("a", "b")]
    protocol = load_protocol(REPO / "queries" / "kratom.toml")
    reading = ranked_reading_list(protocol, records, (), (), top=3, dedup=dedup)

    items = [item for section in reading.sections for item in section.items]
    # Ranked c, a, b: b is folded into a's entry, which names it and links to it.
    assert [(item.record.id, [m.record.id for m in item.maybe_same]) for item in items] == [
        ("c", []),
        ("a", ["b"]),
    ]
    assert reading.shown == 2 and reading.folded == 1
    html, md = reading_list_html(reading), reading_list_markdown(reading)
    for text in (html, md):
        assert (
            "2 of 3 records shown, plus 1 folded into a higher entry as a possible duplicate "
            "a person has not yet confirmed"
        ) in " ".join(text.split())
        assert "May be the same work as" in text
        assert "a person has not yet decided" in text
        assert text.count(TWICE) == 2  # the entry's title and the other record's
        assert "https://example.org/b" in text
    assert html.count("<li value=") == 2


def test_a_pair_a_person_kept_apart_is_listed_twice() -> None:
    records = possible_duplicates()
    dedup = deduplicate(records, pair_decisions={frozenset(("a", "b")): False})
    assert dedup.undecided == ()
    protocol = load_protocol(REPO / "queries" / "kratom.toml")
    reading = ranked_reading_list(protocol, records, (), (), top=3, dedup=dedup)

    items = [item for section in reading.sections for item in section.items]
    assert sorted(item.record.id for item in items) == ["a", "b", "c"]
    assert reading.folded == 0 and not any(item.maybe_same for item in items)
    html = reading_list_html(reading)
    assert "May be the same work as" not in html and "folded" not in html


def test_the_example_folds_its_undecided_antidepressant_pair(
    clone: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    title = "Antidepressant-like effect of mitragynine isolated from Mitragyna speciosa Korth"
    assert main(["reading-list", "queries/kratom.toml", "--top", "20"]) == 0
    out = clone / "reports" / "kratom"
    html = (out / "ranked-reading-list.html").read_text(encoding="utf-8")
    md = (out / "ranked-reading-list.md").read_text(encoding="utf-8")
    assert html.count("<li value=") == 20
    entries = html.split("<li value=")[1:]
    (entry,) = [e for e in entries if title in e]
    assert entry.count(title) == 2 and "May be the same work as" in entry
    assert md.count(title) == 2
    folded = capsys.readouterr().out
    assert "Plus 2 folded into a higher entry as possible duplicates a person" in folded

    # The pair is ks0080/ks0081; once a person says they differ, both are listed.
    (clone / "queries" / "kratom.pair-decisions.csv").write_text(
        "first_id,second_id,decision,reviewer\nks0080,ks0081,reject,ann\n", encoding="utf-8"
    )
    assert main(["reading-list", "queries/kratom.toml", "--top", "20"]) == 0
    html = (out / "ranked-reading-list.html").read_text(encoding="utf-8")
    entries = html.split("<li value=")[1:]
    assert len(entries) == 20
    assert len([e for e in entries if title in e]) == 2
    assert all("May be the same work as" not in e for e in entries if title in e)


def test_decisions_status_counts_a_conflict_after_a_full_text_and_names_it_waiting(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """dora disagrees at title/abstract after ann decided k1's full text: the record
    counts as for people to decide, and status says its full-text decision waits."""
    argv = ["decisions", "status", str(folder / "kratom.toml"), "--records"]
    argv.append(str(folder / "records.csv"))
    with DecisionStore(folder / "kratom.decisions.sqlite", ("not-kratom",)) as store:
        store.add(Decision("k1", "title-abstract", "include", by="ann"))
        store.add(Decision("k1", "full-text", "include", by="ann"))
        store.add(Decision("k1", "title-abstract", "exclude", "not-kratom", by="dora"))
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("2 records screened: 0 included, 0 excluded, 2 for people to decide.")
    assert out[1] == (
        "Full text: 0 sought, 0 not retrieved, 0 awaiting assessment, 0 assessed: "
        "0 included, 0 excluded."
    )
    assert out[3] == (
        "1 full-text decision waits, kept but not counted: its record is not settled at "
        "title/abstract (counted above as for people to decide); it counts once the "
        "record is included there."
    )
    with DecisionStore(folder / "kratom.decisions.sqlite", ("not-kratom",)) as store:
        store.resolve(Decision("k1", "title-abstract", "include", by="cara"))
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("2 records screened: 1 included, 0 excluded, 1 for people to decide.")
    assert out[1].startswith("Full text: 1 sought, 0 not retrieved, 0 awaiting assessment, 1")
    assert not any("full-text decision" in line for line in out)
