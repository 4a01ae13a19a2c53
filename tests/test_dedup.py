"""Deduplication rules, clustering, human decisions and the `review dedup` command."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest

from review.cli import main
from review.dedup import (
    COMPARISONS,
    DedupResult,
    DedupRun,
    _greek_lost,
    _pages,
    _pages_agree,
    _prepare_all,
    _same_author_order,
    _translated,
    _translation_verdict,
    _write_csv,
    candidate_pairs,
    compare,
    deduplicate,
    default_model,
    pattern,
    prepare,
    read_pair_decisions,
    write_undecided,
)
from review.errors import InputError
from review.formats import read_records
from review.records import AbstractSection, Author, Record, Source


@pytest.fixture(scope="module")
def slices(fixtures_dir: Path) -> tuple[Record, ...]:
    return read_records(fixtures_dir / "dedup" / "records.csv").records


@pytest.fixture(scope="module")
def truth(fixtures_dir: Path) -> list[set[str]]:
    with (fixtures_dir / "dedup" / "truth.csv").open(encoding="utf-8", newline="") as handle:
        return [set(row["merged_ids"].split(";")) for row in csv.DictReader(handle)]


@pytest.fixture(scope="module")
def result(slices: tuple[Record, ...]) -> DedupResult:
    return deduplicate(slices)


def clusters_of(result: DedupResult) -> list[set[str]]:
    members: dict[str, set[str]] = {r.id: {r.id} for r in result.canonical}
    for link in result.links:
        members[link.canonical_id].add(link.record_id)
    return list(members.values())


def by_id(records: tuple[Record, ...], *ids: str) -> list[Record]:
    found = {r.id: r for r in records}
    return [found[i] for i in ids]


def verdict(records: tuple[Record, ...], first: str, second: str) -> str:
    """ "duplicate", or "apart" for both distinct and undecided (a person decides)."""
    a, b = by_id(records, first, second)
    outcome = compare(prepare(a), prepare(b)).outcome
    return "duplicate" if outcome == "duplicate" else "apart"


# --------------------------------------------------------------------------- real examples

# What the weights get wrong in this fixture, kept visible rather than hidden:
# a conference paper and its version a year later without a journal (goes to a
# person: between the thresholds in this 96-record file), two papers whose
# titles differ entirely (a person decides), and a recurring column in two
# issues of one volume (labelled distinct, scored above it; in the whole set,
# where it runs over four issues, `_recurring_columns` keeps it apart).
KNOWN_MISSES = (
    {"cardiac:id_0003314", "cardiac:id_0008020"},
    {"digital_work:id_1006646", "digital_work:id_2006647"},
)
KNOWN_FALSE_LINKS = ({"digital_work:id_1006028", "digital_work:id_1006029"},)
_MISSED = "the weights miss it (KNOWN_MISSES / KNOWN_FALSE_LINKS)"


def test_real_duplicate_groups_are_found_and_nothing_else_merged(
    result: DedupResult, truth: list[set[str]]
) -> None:
    erratum = {"digital_work:id_1005082", "digital_work:id_1005083"}
    # A thesis and its Dissertation Abstracts entry: labelled a duplicate here
    # and distinct for stroke id_0000892/id_0000893, so a person decides.
    thesis = {"stroke:id_0000009", "stroke:id_0000010"}
    found = [c for c in clusters_of(result) if len(c) > 1]
    expected = [g for g in truth if g not in (erratum, thesis, *KNOWN_MISSES)]
    assert sorted(map(sorted, [c for c in found if c not in KNOWN_FALSE_LINKS])) == sorted(
        map(sorted, expected)
    )


def test_every_record_is_kept_and_every_duplicate_linked(
    result: DedupResult, slices: tuple[Record, ...]
) -> None:
    assert result.records == slices
    assert len(result.canonical) + len(result.links) == len(slices)
    canonical_ids = {r.id for r in result.canonical}
    assert all(link.canonical_id in canonical_ids for link in result.links)
    assert all(link.rule and link.detail for link in result.links)


def test_erratum_is_linked_as_related_not_merged(result: DedupResult) -> None:
    assert any(
        {r.record_id, r.related_id} == {"digital_work:id_1005083", "digital_work:id_1005082"}
        and r.kind == "erratum"
        for r in result.related
    )


@pytest.mark.parametrize(
    ("first", "second", "outcome"),
    [
        # Ovid's ".[Erratum appears in ...]" note on the article itself
        ("stroke:id_0000271", "stroke:id_0000272", "duplicate"),
        # mojibake in one export
        ("neuroimaging:id_0000057", "neuroimaging:id_0001553", "duplicate"),
        # same DOI, one title lost its subtitle
        ("neuroimaging:id_0000332", "neuroimaging:id_0001661", "duplicate"),
        # the same authors' companion papers on consecutive pages
        ("depression:id_0018502", "depression:id_0018503", "apart"),
        ("depression:id_0018502", "depression:id_0073408", "apart"),
        # the "; author response" on the same page as the article
        ("depression:id_0004543", "depression:id_0004544", "apart"),
        # a conference abstract and the article, different journals
        ("cardiac:id_0005043", "cardiac:id_0002613", "apart"),
        # a recurring column in two issues
        pytest.param(
            "digital_work:id_1006028",
            "digital_work:id_1006029",
            "apart",
            marks=pytest.mark.xfail(strict=True, reason=_MISSED),
        ),
        # group author versus a person, same title and place (labelled one paper):
        # with the place's u measured away from the first-page blocking keys
        ("cytology_screening:id_0001436", "cytology_screening:id_0001684", "duplicate"),
        # journal abbreviation and the Embase citation in the journal field
        ("depression:id_0004955", "depression:id_0071352", "duplicate"),
        # one database swapped given and family names ("Andrea, C." for "Carignani, Andrea")
        ("digital_work:id_1006604", "digital_work:id_2006605", "duplicate"),
        # the year in the volume field ("2016" for volume 94) and a "How did it ..." prefix
        ("digital_work:id_2002950", "digital_work:id_4002951", "duplicate"),
        # Embase's supplement number as the volume ("1" for volume 59, supplement 1)
        ("diabetes:id_0001610", "diabetes:id_0001347", "duplicate"),
        # an article number ("ec201") against the page number (29)
        ("depression:id_0070660", "depression:id_0070663", "duplicate"),
        # the month of publication ("May") in the pages field
        ("depression:id_0071553", "depression:id_0071556", "duplicate"),
        # issue "1947" split from "Medizinische Klinik (1947).67 (43) ()(pp 1389-1392)"
        ("depression:id_0057507", "depression:id_0078295", "duplicate"),
        # a translated title (similarity 0.83) with the same authors and place
        ("depression:id_0033582", "depression:id_0065532", "duplicate"),
        # same DOI, a series name before one title
        ("neuroimaging:id_0000997", "neuroimaging:id_0003261", "duplicate"),
        # "Bol.Estud.Med.Biol." and "Boletin de estudios medicos y biologicos": same first page
        ("depression:id_0062524", "depression:id_0078891", "duplicate"),
        # page "488" inside the other's "487-488"; "p16INK4a" and "p16(INK4a)"
        ("cytology_screening:id_0001064", "cytology_screening:id_0001065", "duplicate"),
        # one abstract printed twice in a supplement (pages S613 and S300), same abstract
        ("neuroimaging:id_0002899", "neuroimaging:id_0002902", "duplicate"),
        # the same, and one co-author added to the list
        ("depression:id_0015351", "depression:id_0072939", "duplicate"),
        # a short title, same words, same volume and issue; page "1" for 1071
        ("depression:id_0035413", "depression:id_0075420", "duplicate"),
        # same DOI cited in a second journal, with the same title, authors and abstract
        ("neuroimaging:id_0001704", "neuroimaging:id_0002442", "duplicate"),
        # same DOI and title, different journals and abstracts: the place decides
        ("neuroimaging:id_0002314", "neuroimaging:id_0002357", "apart"),
        # same title, abstract, year, volume, issue and page; pinyin vs English journal
        # name and given names first ("Jun-Mei X." for "Xu J. M.")
        ("cardiac:id_0004424", "cardiac:id_0007870", "duplicate"),
        # "O2-" garbled to "Op6" in one title; same DOI (one URL-escaped), volume and page
        ("cardiac:id_0003089", "cardiac:id_0008551", "duplicate"),
        # "S4-76-S4-101" is supplement 4's pages S76-S101
        ("cardiac:id_0006712", "cardiac:id_0002523", "duplicate"),
        # a Russian title translated twice; same authors, abstract and place, and
        # "Eksp.Klin.Farmakol." is "Experimental and Clinical Pharmacology" transliterated
        ("depression:id_0008816", "depression:id_0008817", "duplicate"),
        # the online-first version (provisional volume 29, issue 4, no pages) and the print
        ("depression:id_0019181", "depression:id_0073506", "duplicate"),
        # "362-265": an inverted page range says nothing
        ("depression:id_0045904", "depression:id_0076656", "duplicate"),
        # issue 2 vs 1, authors written differently (0.84) but the same abstract
        ("depression:id_0043990", "depression:id_0076337", "duplicate"),
        # "I am not [just] a rabbit ...": an editor's insertion, not a title note
        ("depression:id_0036809", "depression:id_0036810", "duplicate"),
        # "Frontiers in Behavioral Neuroscience.(MARCH 2012)" vs "(FEBRUARY 2012)"
        ("depression:id_0030061", "depression:id_0074591", "duplicate"),
        # a thesis ("215 p", "62 p") and its Dissertation Abstracts entry: a person decides
        ("stroke:id_0000009", "stroke:id_0000010", "apart"),
        ("stroke:id_0000892", "stroke:id_0000893", "apart"),
    ],
)
def test_rules_on_real_pairs(
    slices: tuple[Record, ...], first: str, second: str, outcome: str
) -> None:
    assert verdict(slices, first, second) == outcome


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("diabetes:id_0000001", "diabetes:id_0000699"),
        ("stroke:id_0000271", "stroke:id_0000272"),
        ("cardiac:id_0004424", "cardiac:id_0007870"),
    ],
)
def test_a_link_lists_the_weight_of_every_field(
    slices: tuple[Record, ...], first: str, second: str
) -> None:
    a, b = by_id(slices, first, second)
    found = compare(prepare(a), prepare(b))
    assert found.detail.startswith("weight +")
    for comparison in COMPARISONS:
        assert f" {comparison.name}=" in found.detail
    # the order of the records changes nothing
    assert compare(prepare(b), prepare(a)).score == pytest.approx(found.score)


def test_a_thesis_and_its_abstract_go_to_a_person(slices: tuple[Record, ...]) -> None:
    a, b = by_id(slices, "stroke:id_0000892", "stroke:id_0000893")
    found = compare(prepare(a), prepare(b))
    assert found.outcome == "undecided"


def test_blocking_compares_only_records_that_share_a_key(slices: tuple[Record, ...]) -> None:
    prepared = [prepare(r, i) for i, r in enumerate(slices)]
    pairs = candidate_pairs(prepared)
    everything = len(slices) * (len(slices) - 1) // 2
    assert 0 < len(pairs) < everything / 4


# --------------------------------------------------------------------------- hand-built records


def record(record_id: str, **fields: object) -> Record:
    base: dict[str, object] = {
        "title": "Kratom withdrawal treated with cognitive behavioural therapy: a case series",
        "authors": (
            Author(family="Singh", initials="D"),
            Author(family="Vicknasingam", initials="B"),
        ),
        "journal": "Drug Alcohol Depend",
        "year": 2020,
        "volume": "210",
        "pages": "107-15",
    }
    base.update(fields)
    return Record(id=record_id, source=Source("test"), **base)  # type: ignore[arg-type]


def test_exact_doi_with_prefixes_is_a_duplicate() -> None:
    a = record("a", doi="https://doi.org/10.1016/J.DRUGALCDEP.2020.107", pages="")
    b = record("b", doi="doi:10.1016/j.drugalcdep.2020.107.", journal="", volume="")
    assert compare(prepare(a), prepare(b)).outcome == "duplicate"
    assert "doi=same(+" in compare(prepare(a), prepare(b)).detail


def test_same_pmcid_in_any_case_is_a_duplicate() -> None:
    a = record("a", pmcid="PMC7123456", journal="", volume="", pages="")
    b = record("b", pmcid="pmc7123456 ")
    assert compare(prepare(a), prepare(b)).outcome == "duplicate"
    assert "pmid/pmcid=same(+" in compare(prepare(a), prepare(b)).detail


def test_a_reworded_title_needs_authors_volume_and_page() -> None:
    a = record("a")
    b = record(
        "b", title="Kratom withdrawal managed with cognitive behavioural therapy: case reports"
    )
    same_place = compare(prepare(a), prepare(b))
    elsewhere = compare(prepare(a), prepare(replace(b, pages="301-9")))
    # same authors, journal, volume and page range: linked, or a person decides
    assert same_place.outcome in {"duplicate", "undecided"}
    assert elsewhere.score < same_place.score
    assert elsewhere.outcome != "duplicate"


def test_canonical_is_most_complete_and_gaps_are_filled() -> None:
    sparse = record("sparse", doi="10.1000/kratom")
    full = record(
        "full",
        abstract=(AbstractSection("Kratom is used ..."),),
        issue="3",
        pmid="",
        url="https://example.org/kratom",
        pages="107-115",
    )
    result = deduplicate([sparse, full])
    (canonical,) = result.canonical
    assert canonical.id == "full"
    assert canonical.doi == "10.1000/kratom"  # filled from the duplicate
    assert canonical.abstract_text == "Kratom is used ..."
    assert result.links[0].record_id == "sparse"
    assert result.records == (sparse, full)


def test_versions_of_a_paper_reach_at_least_a_person() -> None:
    preprint = record("preprint", journal="", volume="", pages="", year=2019)
    published = record("published", year=2020)
    assert compare(prepare(preprint), prepare(published)).outcome != "distinct"
    with_doi = replace(preprint, doi="10.1000/k"), replace(published, doi="10.1000/k")
    assert compare(prepare(with_doi[0]), prepare(with_doi[1])).outcome == "duplicate"


def test_parts_of_a_series_are_not_duplicates() -> None:
    one = record("one", title="Kratom dependence in Malaysia, part I: prevalence", pages="")
    two = record("two", title="Kratom dependence in Malaysia, part II: prevalence", pages="")
    assert compare(prepare(one), prepare(two)).outcome != "duplicate"
    assert "title numbers=differ(-" in compare(prepare(one), prepare(two)).detail


def test_a_rejected_pair_is_never_merged_even_through_a_third_record() -> None:
    a, b, c = record("a"), record("b"), record("c")
    assert len(deduplicate([a, b, c]).canonical) == 1
    result = deduplicate([a, b, c], pair_decisions={frozenset({"a", "c"}): False})
    clusters = clusters_of(result)
    assert not any({"a", "c"} <= cluster for cluster in clusters)


def test_an_accepted_pair_is_merged_and_credited_to_the_person() -> None:
    a = record("a")
    b = record("b", title="Something else entirely about opioids", journal="Addiction")
    pair = frozenset({"a", "b"})
    assert len(deduplicate([a, b]).canonical) == 2
    result = deduplicate([a, b], pair_decisions={pair: True}, reviewers={pair: "Ana"})
    assert len(result.canonical) == 1
    assert result.links[0].by == "Ana"
    assert result.links[0].rule == "accepted by a person"


def test_swapped_names_count_only_when_they_are_the_other_records_given_names() -> None:
    right = record(
        "right",
        authors=(Author(family="Carignani", given="Andrea"), Author(family="Negri", given="L.")),
        journal="",
        volume="",
        pages="",
    )
    swapped = replace(
        right,
        id="swapped",
        authors=(Author(family="Andrea", given="C."), Author(family="L", given="N.")),
    )
    strangers = replace(
        right,
        id="strangers",
        authors=(Author(family="Rossi", given="Maria"), Author(family="Bianchi", given="Luca")),
    )
    assert compare(prepare(right), prepare(swapped)).outcome == "duplicate"
    assert compare(prepare(right), prepare(strangers)).outcome != "duplicate"


@pytest.mark.parametrize(
    ("other", "outcome"),
    [
        ({"volume": "2020", "year": 2020}, "duplicate"),  # the year put in the volume field
        ({"volume": "3", "issue": ""}, "duplicate"),  # the supplement's number as the volume
        ({"volume": "3", "issue": "1"}, "apart"),  # volume 3, issue 1: another volume
        ({"volume": "209"}, "apart"),
    ],
)
def test_misplaced_volume_does_not_count_against(other: dict[str, object], outcome: str) -> None:
    article = record("a", issue="Suppl. 3", doi="10.1000/a")
    version = record("b", doi="10.1000/b", **other)
    verdict = compare(prepare(article), prepare(version)).outcome
    assert ("duplicate" if verdict == "duplicate" else "apart") == outcome


@pytest.mark.parametrize(
    ("first", "second", "agree"),
    [("ec201", "29", None), ("e24", "24", True), ("rrn1281", "1", None), ("ec201", "ec202", False)],
)
def test_article_numbers_and_pages(first: str, second: str, agree: bool | None) -> None:
    a = prepare(record("a", pages=first))
    b = prepare(record("b", pages=second))
    assert _pages_agree(a.first_page, b.first_page) is agree


@pytest.mark.parametrize(
    ("first", "second", "agree"),
    [
        ("488", "487-488", None),  # the last page of a two-page item
        ("487", "487-488", True),
        ("489", "487-488", False),
        ("12-14", "13-15", False),  # two ranges: the first pages must agree
    ],
)
def test_one_page_inside_the_others_range_says_nothing(
    first: str, second: str, agree: bool | None
) -> None:
    a = prepare(record("a", pages=first))
    b = prepare(record("b", pages=second))
    assert _pages(a, b) is agree
    assert _pages(b, a) is agree


@pytest.mark.parametrize(
    ("first", "second", "same_order"),
    [
        (("Kim", "Nam", "Chae", "Ryu"), ("Kim", "Nam", "Chae", "Joo", "Ryu"), True),  # one added
        (("Kim", "Nam", "Chae", "Ryu"), ("Kim", "Chae", "Ryu"), True),  # one left out
        (("Kim", "Nam", "Chae", "Ryu"), ("Nam", "Kim", "Chae", "Ryu"), False),  # another first
        (("Kim", "Nam", "Chae", "Ryu"), ("Kim", "Ryu", "Chae", "Nam"), False),  # reshuffled
        (("Kim", "Nam", "Lee"), ("Kim", "Nam", "Chae", "Ryu", "Lee"), False),  # two added
    ],
)
def test_same_author_order_allows_one_name_added_or_left_out(
    first: tuple[str, ...], second: tuple[str, ...], same_order: bool
) -> None:
    a = prepare(record("a", authors=tuple(Author(family=name) for name in first)))
    b = prepare(record("b", authors=tuple(Author(family=name) for name in second)))
    assert _same_author_order(a, b) is same_order


def test_volumes_numbered_by_year_still_differ() -> None:
    a = record("a", volume="2015", year=2015, pages="")
    b = record("b", volume="2016", year=2016, pages="", doi="10.1000/b")
    assert compare(prepare(a), prepare(b)).outcome != "duplicate"


def test_titles_in_another_script_are_compared_not_emptied() -> None:
    title = "Платформенная занятость: масштабы и признаки неустойчивости."
    a = record("a", title=title, doi="")
    b = record("b", title=title.upper(), doi="")
    other = record("c", title="Гендер как дискриминирующий признак успешности", doi="")
    assert compare(prepare(a), prepare(b)).outcome == "duplicate"
    assert compare(prepare(a), prepare(other)).outcome != "duplicate"


def test_close_pairs_are_left_undecided() -> None:
    a = record("a", volume="", pages="", journal="")
    b = record(
        "b",
        title="Kratom withdrawal treated with behavioural therapy: a case series",
        volume="",
        pages="",
        journal="",
    )
    result = deduplicate([a, b])
    assert len(result.canonical) == 2
    assert [(p.first_id, p.second_id) for p in result.undecided] == [("a", "b")]


def test_retraction_notice_is_related_not_merged() -> None:
    article = record("article")
    notice = record(
        "notice",
        title="Retraction notice: Kratom withdrawal treated with cognitive behavioural "
        "therapy: a case series",
    )
    result = deduplicate([article, notice])
    assert len(result.canonical) == 2
    assert [(r.record_id, r.related_id, r.kind) for r in result.related] == [
        ("notice", "article", "retraction")
    ]


# --------------------------------------------------------------------------- pair decisions file


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_read_pair_decisions(tmp_path: Path) -> None:
    path = write(
        tmp_path / "pairs.csv",
        "first_id,second_id,decision,reviewer,note\n"
        "a,b,accept,Ana,same trial\n"
        "c,d,reject,Ben,\n"
        "e,f,,,not decided yet\n",
    )
    decided = read_pair_decisions(path)
    assert decided.decisions == {frozenset({"a", "b"}): True, frozenset({"c", "d"}): False}
    assert decided.reviewers[frozenset({"a", "b"})] == "Ana"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("first_id,decision\na,accept\n", ":1: missing column(s) second_id"),
        (
            "first_id,second_id,decision\na,b,maybe\n",
            ":2: decision 'maybe' must be accept or reject",
        ),
        (
            "first_id,second_id,decision\na,a,accept\n",
            ":2: needs two different record IDs in first_id and second_id",
        ),
        (
            "first_id,second_id,decision\na,b,accept\nb,a,reject\n",
            ":3: b and a were both accepted and rejected",
        ),
        ("first_id,second_id,decision\na,zz,accept\n", ":2: record 'zz' is not in the inputs"),
    ],
)
def test_bad_pair_decisions_name_file_and_line(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path / "pairs.csv", body)
    with pytest.raises(InputError) as error:
        read_pair_decisions(path, known_ids={"a", "b"})
    assert str(error.value) == f"{path}{message}"


# --------------------------------------------------------------------------- command


def test_command_writes_one_row_per_surviving_record(
    fixtures_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = fixtures_dir / "dedup" / "records.csv"
    out, undecided, log = tmp_path / "out.csv", tmp_path / "undecided.csv", tmp_path / "log.csv"
    code = main(
        ["dedup", str(source), "-o", str(out), "--undecided", str(undecided), "--log", str(log)]
    )
    assert code == 0
    assert "96 records ->" in capsys.readouterr().out
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:4] == ["ID", "merged_ids", "entry_type", "title"]
    merged = {row["ID"]: row["merged_ids"] for row in rows}
    assert merged["diabetes:id_0000001"].split(";") == [
        "diabetes:id_0000699",
        "diabetes:id_0000728",
        "diabetes:id_0001447",
    ]
    surviving_and_merged = [
        i for row in rows for i in [row["ID"], *filter(None, row["merged_ids"].split(";"))]
    ]
    assert len(surviving_and_merged) == 96 == len(set(surviving_and_merged))
    with log.open(encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle)) == [
            "record_id",
            "linked_id",
            "link",
            "rule",
            "score",
            "by",
            "detail",
        ]
    with undecided.open(encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle))[:3] == ["first_id", "second_id", "decision"]


def test_command_respects_pair_decisions_and_reports_bad_lines(
    fixtures_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = fixtures_dir / "dedup" / "records.csv"
    out = tmp_path / "out.csv"
    pairs = write(
        tmp_path / "pairs.csv",
        "first_id,second_id,decision,reviewer,note\n"
        "stroke:id_0000271,stroke:id_0000272,reject,Ana,kept apart on purpose\n",
    )
    assert main(["dedup", str(source), "-o", str(out), "--pair-decisions", str(pairs)]) == 0
    with out.open(encoding="utf-8", newline="") as handle:
        ids = {row["ID"] for row in csv.DictReader(handle)}
    assert {"stroke:id_0000271", "stroke:id_0000272"} <= ids

    write(pairs, "first_id,second_id,decision\nstroke:id_0000271,stroke:id_0000272,yes\n")
    assert main(["dedup", str(source), "-o", str(out), "--pair-decisions", str(pairs)]) == 1
    assert capsys.readouterr().err.strip() == (
        f"Error: {pairs}:2: decision 'yes' must be accept or reject"
    )


def test_records_with_different_pmids_never_share_a_cluster() -> None:
    a, b, c = record("a", pmid="111"), record("b"), record("c", pmid="222")
    clusters = clusters_of(deduplicate([a, b, c]))
    assert not any({"a", "c"} <= cluster for cluster in clusters)


def test_the_command_summary_counts_in_words() -> None:
    """It said "1 duplicates; 0 related notices linked; 1 pairs"."""
    a = record("a")
    merged = deduplicate([a, record("b", title=a.title)])
    assert DedupRun(merged, ()).summary == (
        "2 records -> 1 after removing 1 duplicate; 0 related notices linked; "
        "0 pairs left for a person to decide"
    )


def test_undecided_file_filled_in_becomes_pair_decisions(tmp_path: Path) -> None:
    a = record("a", volume="", pages="", journal="")
    b = record(
        "b",
        title="Kratom withdrawal treated with behavioural therapy: a case series",
        volume="",
        pages="",
        journal="",
    )
    result = deduplicate([a, b])
    path = tmp_path / "undecided.csv"
    assert write_undecided(result, path) == 1
    filled = path.read_text(encoding="utf-8").replace("a,b,,,", "a,b,accept,Ana,")
    path.write_text(filled, encoding="utf-8")
    decided = read_pair_decisions(path, known_ids={"a", "b"})
    merged = deduplicate([a, b], pair_decisions=decided.decisions, reviewers=decided.reviewers)
    assert [(link.record_id, link.by) for link in merged.links] == [("b", "Ana")]
    assert merged.undecided == ()


# --------------------------------------------------------------------------- retractions


def test_a_retraction_notice_and_a_retracted_copy_flag_the_article_and_stay_apart() -> None:
    """Elsevier's 'Retraction notice to "<title>" [citation]' and 'RETRACTED: <title>'."""
    from review.protocol import Criteria
    from review.screen import screen_record

    title = "Kratom withdrawal treated with cognitive behavioural therapy: a case series"
    article = record("article", doi="10.1016/j.drugalcdep.2020.107815")
    copy = record("copy", title=f"RETRACTED: {title}", doi="10.1016/j.drugalcdep.2020.107815")
    notice = record(
        "notice",
        title=f'Retraction notice to "{title}" [Drug Alcohol Depend 210 (2020) 107-115]',
        pages="108001",
        doi="10.1016/j.drugalcdep.2021.108001",
        year=2021,
    )
    result = deduplicate([article, copy, notice])
    assert sorted(r.id for r in result.canonical) == ["article", "copy", "notice"]
    assert sorted((r.record_id, r.related_id, r.kind) for r in result.related) == [
        ("copy", "article", "retraction"),
        ("notice", "article", "retraction"),
    ]
    screened = {r.id: r for r in result.canonical}["article"]
    assert "Retracted Publication" in screened.publication_types
    decision = screen_record(screened, Criteria(exclude_retracted=True))
    assert (decision.outcome, decision.reason) == ("exclude", "retracted")
    assert screen_record(screened, Criteria(exclude_retracted=False)).outcome != "exclude"


def test_two_retracted_copies_are_one_record() -> None:
    title = "RETRACTED: Kratom withdrawal treated with cognitive behavioural therapy: a case series"
    a = record("a", title=title, doi="10.1000/x")
    b = record("b", title=title, doi="10.1000/x")
    assert len(deduplicate([a, b]).canonical) == 1


# --------------------------------------------------------------------------- field reliability


def _export(n: int, **columns: object) -> list[Record]:
    """n records of one source file; a column given as a function of the row number."""
    return [
        Record(
            id=f"r{i}",
            source=Source("scopus", "export.csv"),
            title=f"Study number {i} of kratom",
            **{name: value(i) for name, value in columns.items()},  # type: ignore[operator]
        )
        for i in range(n)
    ]


def test_an_issue_column_holding_a_running_number_is_ignored() -> None:
    from review.dedup import unreliable_fields

    running = _export(40, issue=lambda i: str(1000 + i))
    assert [(f.file, f.field) for f in unreliable_fields(running)] == [("export.csv", "issue")]
    journal_issues = _export(40, issue=lambda i: str(i % 12 + 1))
    assert unreliable_fields(journal_issues) == ()
    # another file in the same run keeps its issues
    other = [
        replace(r, source=Source("medline", "medline.nbib"), id="m" + r.id) for r in journal_issues
    ]
    assert [f.file for f in unreliable_fields([*running, *other])] == ["export.csv"]


def test_a_pages_column_holding_page_counts_is_ignored() -> None:
    from review.dedup import unreliable_fields

    counts = _export(40, pages=lambda i: str(5 + i % 20))
    assert [f.field for f in unreliable_fields(counts)] == ["pages"]
    assert unreliable_fields(_export(40, pages=lambda i: f"{100 + i}-{110 + i}")) == ()


def test_duplicates_are_found_when_the_issue_is_a_running_number() -> None:
    first = record("first", issue="12001", doi="")
    second = record("second", issue="12002", doi="")
    topics = ("opioid", "alcohol", "nicotine", "cannabis", "caffeine", "sleep", "pain", "anxiety")
    others = [
        record(
            f"x{i}",
            title=f"{topics[i % 8].title()} in cohort {chr(65 + i)} of a {topics[i // 8]} trial",
            authors=(Author(family=f"Author{chr(65 + i)}"),),
            pages=f"{200 + 10 * i}-{205 + 10 * i}",
            issue=str(12003 + i),
        )
        for i in range(30)
    ]
    records = [replace(r, source=Source("db", "export.ris")) for r in [first, second, *others]]
    result = deduplicate(records)
    assert [(f.field, f.file) for f in result.ignored] == [("issue", "export.ris")]
    assert [(link.record_id, link.canonical_id) for link in result.links] == [("second", "first")]
    place = (
        compare(prepare(first, ignore=("issue",)), prepare(second, ignore=("issue",)))
        .detail.split("place=")[1]
        .split(" doi")[0]
    )
    # an issue nobody can read is unknown: the pair weighs what volume and pages weigh
    assert place.startswith("same volume, issue unknown, same range(+")


def _running_export(records: list[Record]) -> list[Record]:
    """The records, with unrelated papers around them, in one export whose issue column
    holds the database's running record number."""
    topics = ("opioid", "alcohol", "nicotine", "cannabis", "caffeine", "sleep", "pain", "anxiety")
    others = [
        record(
            f"x{i}",
            title=f"{topics[i % 8].title()} in cohort {chr(65 + i)} of a {topics[i // 8]} trial",
            authors=(Author(family=f"Author{chr(65 + i)}"),),
            pages=f"{200 + 10 * i}-{205 + 10 * i}",
        )
        for i in range(24)
    ]
    return [
        replace(r, source=Source("db", "export.ris"), issue=str(5000 + i))
        for i, r in enumerate([*records, *others])
    ]


def test_a_recurring_column_stays_apart_when_the_issue_is_a_running_number() -> None:
    """Editor's Comments in four issues of 2000 and two of 2001: with no issue to tell
    them apart, the title recurring over volumes of other years marks the column,
    and the volume its instances share counts for nothing."""

    def column(n: int, volume: str, year: int) -> Record:
        return record(
            f"c{volume}-{n}",
            title="Remarks from the Editor - Editor's Comments",
            journal="MIS Quarterly",
            volume=volume,
            year=year,
            pages="",
            authors=(Author(family="Lee", initials="AS"),),
        )

    paper = record("p1", title="Platform work and its governance in three countries")
    columns = [column(n, "24", 2000) for n in range(4)] + [column(n, "25", 2001) for n in range(2)]
    records = _running_export(
        [*columns, paper, replace(paper, id="p2"), replace(paper, id="p3", pages="")]
    )
    result = deduplicate(records)
    assert [f.field for f in result.ignored] == ["issue"]
    assert sorted(link.record_id for link in result.links) == ["p2", "p3"]
    _, _, _, found = _prepare_all(records)
    assert found == {"remarksfromtheeditoreditorscomments"}


def test_papers_with_other_titles_go_to_a_person_however_alike_the_rest() -> None:
    """One author's two papers in one volume, on the same pages of two issues, with one
    stock abstract: with the issue unreadable, everything but the title agrees."""
    abstract = (AbstractSection("This article reviews recent work on digital labour. " * 4),)
    a = record("a", title="Big data analytics in human resource management", abstract=abstract)
    b = record(
        "b", title="The commodification of digital labor in the gig economy", abstract=abstract
    )
    verdict = compare(prepare(a, ignore=("issue",)), prepare(b, ignore=("issue",)))
    assert verdict.outcome == "undecided"
    # however low the threshold
    eager = replace(default_model(), duplicate_at=0.5)
    verdict = compare(prepare(a, ignore=("issue",)), prepare(b, ignore=("issue",)), eager)
    assert (verdict.outcome, verdict.rule) == ("undecided", "the titles differ")


# --------------------------------------------------------------------------- explaining


def test_a_merged_record_is_explained_by_the_record_it_became_part_of() -> None:
    from review.dedup import explain_merged

    a = record("a", doi="10.1000/k")
    b = record("b", doi="10.1000/k", pages="")
    result = deduplicate([a, b])
    text = explain_merged(result, "b")
    assert text is not None
    lines = text.splitlines()
    assert lines[0].startswith("b: Kratom withdrawal")
    assert lines[1].startswith("Merged into a (Kratom withdrawal")
    assert lines[1].endswith("screened as one record with 1 duplicate: b")
    assert "Why: match probability" in lines[2] and "doi=same(+" in lines[2]
    assert explain_merged(result, "a") is None  # screened itself
    assert explain_merged(result, "nobody") is None


# --------------------------------------------------------------------------- PMID versions


def update_file(tmp_path: Path) -> Path:
    """An NLM update file holding PMID 111 twice: NLM revised the citation."""

    def entry(title: str) -> str:
        return (
            "<PubmedArticle><MedlineCitation><PMID Version='1'>111</PMID><Article>"
            f"<ArticleTitle>{title}</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
        )

    path = tmp_path / "update.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<PubmedArticleSet>\n'
        + entry("Kratom use: first version")
        + "\n"
        + entry("Kratom use: corrected version")
        + "\n</PubmedArticleSet>\n",
        encoding="utf-8",
    )
    return path


def test_the_later_version_of_a_pmid_in_one_file_is_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.csv"
    assert main(["dedup", str(update_file(tmp_path)), "-o", str(out)]) == 0
    with out.open(encoding="utf-8") as handle:
        rows = [(row["ID"], row["title"]) for row in csv.DictReader(handle)]
    assert rows == [("111", "Kratom use: corrected version")]
    err = capsys.readouterr().err
    assert "update.xml:1: PMID 111 appears again as record 2 of this file" in err
    assert "the later one is kept, as PubMed keeps the latest" in err


# --------------------------------------------------------------------------- session 5 mechanisms


def test_an_abstract_whose_opening_is_inside_the_other_is_contained() -> None:
    full = (
        "Background: Novel analgesics that do not suppress the respiratory drive are needed. "
        "Results: The authors found that CX546 reduced mechanical and sensory allodynia in "
        "both models. Conclusions: AMPAkines may be useful analgesics."
    )
    section = "Results: The authors found that CX546 reduced mechanical and sensory allodynia."
    a = prepare(record("a", abstract=(AbstractSection(full),)))
    b = prepare(record("b", abstract=(AbstractSection(section),)))
    other = prepare(record("c", abstract=(AbstractSection("Methods: Mice were given ketamine."),)))
    levels = COMPARISONS[5].levels
    assert levels[pattern(a, b)[5]] == "contained"  # type: ignore[index]
    assert levels[pattern(a, other)[5]] == "lower"  # type: ignore[index]


def test_a_meeting_abstract_filed_under_the_journal_without_volumes_is_one_record() -> None:
    meeting = record(
        "a",
        journal="Diabetes. Conference: 70th Scientific Sessions of the American Diabetes",
        volume="",
        pages="",
        abstract=(AbstractSection("Liraglutide inhibits endothelial dysfunction. " * 8),),
    )
    journal = replace(meeting, id="b", journal="Diabetes")
    assert compare(prepare(meeting), prepare(journal)).outcome == "duplicate"
    # the article, with its volume, still goes to a person
    article = replace(journal, volume="59", pages="100-8")
    assert compare(prepare(meeting), prepare(article)).outcome == "undecided"


def test_a_recurring_column_title_counts_as_missing() -> None:
    column = [
        record(
            f"c{issue}",
            title="Editor's Comments",
            journal="MIS Quarterly",
            volume="24",
            issue=str(issue),
            pages="",
            authors=(Author(family="Lee", initials="AS"),),
            year=2000,
        )
        for issue in (1, 2, 3, 4)
    ]
    result = deduplicate(column)
    assert len(result.canonical) == 4
    prepared, _, common, columns = _prepare_all(column)
    assert columns == {"editorscomments"}
    assert pattern(prepared[0], prepared[1], common, columns)[0] is None
    # the same column from two databases, one issue: not kept apart silently
    twice = deduplicate([*column, replace(column[1], id="again")])
    merged = {link.record_id for link in twice.links}
    asked = {(pair.first_id, pair.second_id) for pair in twice.undecided}
    assert "again" in merged or ("c2", "again") in asked
    assert merged <= {"again"}


def test_a_section_title_in_two_issues_of_a_small_export_stays_apart() -> None:
    """Two issues' "Editor's Comments" by one editor are too few to show the title
    recurring, but the title names a journal section, not a paper: they agree on all
    but the issue, and are two records. Two databases' copies of one editorial, one
    issue and one page range, are still one."""

    def comments(record_id: str, issue: str, pages: str = "") -> Record:
        return record(
            record_id,
            title="Editor's Comments",
            journal="MIS Quarterly",
            volume="26",
            issue=issue,
            pages=pages,
            authors=(Author(family="Weber", initials="R"),),
            year=2002,
        )

    small = [comments("c2", "2"), comments("c3", "3")]
    assert deduplicate(small).links == ()
    notes = [
        replace(comments("n1", "1", "1-5"), title="Editorial Notes"),
        replace(comments("n2", "2", "107-108"), title="Editorial Notes"),
    ]
    assert deduplicate(notes).links == ()
    copies = [comments("a", "2", "iii-iv"), comments("b", "2", "iii-iv")]
    assert [link.record_id for link in deduplicate(copies).links] == ["b"]


def test_csv_written_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "log.csv"
    _write_csv(path, ["a"], [{"a": "old"}])
    before = path.read_bytes()

    def broken(value: str) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("review.dedup.neutralise", broken)
    with pytest.raises(InputError, match=r"log\.csv: cannot be written \(No space left"):
        _write_csv(path, ["a"], [{"a": "new"}])
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["log.csv"]
    monkeypatch.undo()
    assert _write_csv(path, ["a"], [{"a": "new"}, {"a": "two"}]) == 2
    assert path.read_text(encoding="utf-8").splitlines() == ["a", "new", "two"]
    assert [p.name for p in tmp_path.iterdir()] == ["log.csv"]


def test_a_reply_titled_as_the_article_plus_response_is_linked_not_merged() -> None:
    article = record("a", title="Acknowledge Crowdworkers in Crowdwork Research", pages="8-9")
    reply = record(
        "b",
        title="Acknowledge Crowdworkers in Crowdwork Research Response",
        pages="9",
        authors=(Author(family="Barowy", initials="DW"),),
    )
    result = deduplicate([article, reply])
    assert len(result.canonical) == 2
    assert [(r.record_id, r.related_id, r.kind) for r in result.related] == [("b", "a", "comment")]
    # "Immune response" is a title, not a reply to "Immune"
    short = record("c", title="Immune")
    assert len(deduplicate([short, record("d", title="Immune response")]).related) == 0


def test_parts_of_a_series_in_one_issue_go_to_a_person() -> None:
    """Part I and part II by the same authors, one issue, other pages, one abstract."""
    abstract = (AbstractSection("Buspirone, ondansetron and tianeptine were given to mice. " * 3),)
    stem = "Behavioural effects in mice of subchronic buspirone ondansetron and tianeptine"
    one = record("one", title=f"{stem}. I. Social interactions", issue="2", pages="287-293")
    two = record("two", title=f"{stem}. II. The elevated plus-maze", issue="2", pages="295-303")
    eager = replace(default_model(), duplicate_at=0.5)  # however low the threshold
    verdict = compare(
        prepare(replace(one, abstract=abstract)), prepare(replace(two, abstract=abstract)), eager
    )
    assert (verdict.outcome, verdict.rule) == (
        "undecided",
        "titles alike but not the same, printed elsewhere",
    )


# ------------------------------------------------------------- normalised before comparing


def _level(a: Record, b: Record, comparison: str) -> str | None:
    index = [c.name for c in COMPARISONS].index(comparison)
    found = pattern(prepare(a), prepare(b))[index]
    return None if found is None else COMPARISONS[index].levels[found]


def test_a_shared_issn_names_one_journal_unless_the_volumes_differ() -> None:
    pinyin = record("a", journal="Zhongguo Yao Li Xue Bao", isbn="0253-9756")
    english = record("b", journal="Acta Pharmacologica Sinica", isbn="0253-9756 (Print)")
    assert "same journal" in str(_level(pinyin, english, "byline"))
    assert "other journal" in str(_level(pinyin, replace(english, isbn=""), "byline"))
    # a database gave a second journal the first one's ISSN: its volume gives it away
    assert "other journal" in str(_level(pinyin, replace(english, volume="55"), "byline"))
    # RIS and PubMed XML keep the ISSN aside, in `extra`
    from_ris = replace(english, isbn="", extra=(("SN", "0253-9756"),))
    assert "same journal" in str(_level(pinyin, from_ris, "byline"))


def test_a_title_and_its_translation_go_to_a_person() -> None:
    """Whether an original and its translation are one record differs between reviews
    (and between the labelled sets): when all but the title agree, a person decides."""
    english = prepare(record("a", title="Platform economy and crowdworking as challenges for all"))
    german = prepare(record("b", title="Plattformökonomie und Crowdworking als Herausforderungen"))
    medline = prepare(record("c", title="[Calcium channel blockers: a property of the class]"))
    other = prepare(record("d", title="Which antidepressants act on calcium channels alone"))
    for first, second in ((english, german), (medline, other)):
        assert _translated(first, second)
        found = _translation_verdict(first, second, default_model(), pattern(first, second))
        assert found is not None and found.outcome == "undecided"
        assert found.rule == "a title and its translation"
    # elsewhere (other pages, other year), the title's wording is not what kept them apart
    moved = prepare(record("e", title=german.title, pages="301-9", year=2011))
    assert _translation_verdict(english, moved, default_model(), pattern(english, moved)) is None
    # two titles in one language are compared as they are
    assert not _translated(english, prepare(record("f", title="Cognitive therapy for kratom")))


def test_embases_original_title_is_compared_with_the_other_original() -> None:
    a = record(
        "a", title="Ischemic preconditioning. German\nMyokardprotektion durch Prakonditionierung"
    )
    b = record(
        "b", title="Myocardial protection. German\nMyokardprotektion durch Prakonditionierung"
    )
    assert _level(a, b, "title") == "0.97"


def test_labels_and_subscripts_a_database_dropped_are_not_other_numbers() -> None:
    labelled = record(
        "a", title="Learned helplessness decreases [3H]imipramine binding in rat cortex"
    )
    embase = record("b", title="Learned helplessness decreasesimipramine binding in rat cortex")
    assert _level(labelled, embase, "title") == "exact"
    assert _level(labelled, embase, "title numbers") == "same"
    subscript = record("c", title="Altered CB<inf>1</inf> receptor signalling in prefrontal cortex")
    lost = record("d", title="Altered CB receptor signalling in prefrontal cortex")
    assert _level(subscript, lost, "title numbers") == "digits lost"
    part = record("e", title="Altered CB receptor signalling, part 2: prefrontal cortex")
    assert _level(part, lost, "title numbers") == "only one has"


def test_a_title_cut_at_a_lost_character_is_the_start_of_the_other() -> None:
    cut = record("a", title="Reduced 5-")
    full = record("b", title="Reduced 5-HT1A and GABAB receptor function in dorsal raphe neurons")
    assert _level(cut, full, "title") == "0.9"
    assert _level(cut, full, "title numbers") == "digits lost"
    assert _level(record("c", title="Reduced 5"), full, "title") == "lower"  # not cut: a title


# --------------------------------------------------------------------------- sparse records


def _sparse(record_id: str, **fields: object) -> Record:
    """A record as exports without abstracts or DOIs give it."""
    return record(record_id, **{"issue": "13", "pages": "1282-9", **fields})


@pytest.mark.parametrize("error", ["#NAME?", "#VALUE!", "#REF!", "#N/A"])
def test_a_spreadsheet_error_is_a_missing_field(error: str) -> None:
    prepared = prepare(record("a", title=error, doi=error, volume=error, pages=error))
    assert (prepared.title, prepared.doi, prepared.volume, prepared.first_page) == ("", "", "", "")
    assert prepare(record("b", authors=(Author(family=error),))).authors == ()


def test_a_record_without_a_title_goes_to_a_person() -> None:
    """Same authors, journal, volume and pages, and "#NAME?" where the title was: the
    labels of the shared sets keep such pairs apart; only a person can tell."""
    a = _sparse("a")
    verdict = compare(prepare(a), prepare(replace(a, id="b", title="#NAME?")))
    assert verdict.outcome == "undecided"
    assert verdict.rule == "a record without a title"


def test_a_record_without_a_title_but_the_same_pmid_is_a_duplicate() -> None:
    """A PMID names one PubMed record: a citation that gives only it (a link to a PubMed
    page) or that lost its title is that record. The shipped model weighed a shared PMID
    at +1.0 bit and sent such pairs to a person."""
    a = _sparse("a", pmid="24698080")
    verdict = compare(prepare(a), prepare(replace(a, id="b", title="#NAME?")))
    assert verdict.outcome == "duplicate"
    only_pmid = Record(id="c", source=Source("test"), title="", pmid="24698080")
    assert compare(prepare(a), prepare(only_pmid)).outcome == "duplicate"
    assert default_model().weight(len(COMPARISONS) - 1, 0) > 10


def test_greek_letters_a_database_dropped_are_no_other_title() -> None:
    greek = _sparse(
        "a", title="Preconditioning is mediated by δ1- but not μ- or κ-opioid receptors"
    )
    lost = _sparse("b", title="Preconditioning is mediated by but not mu- or -opioid receptors")
    assert _greek_lost(prepare(greek), prepare(lost))
    assert compare(prepare(greek), prepare(lost)).outcome == "duplicate"


def test_another_greek_letter_is_another_title() -> None:
    alpha = prepare(_sparse("a", title="Effects of alpha2-adrenergic agonists on the rat heart"))
    beta = prepare(_sparse("b", title="Effects of beta2-adrenergic agonists on the rat heart"))
    words = prepare(_sparse("c", title="Effects of adrenergic agonists on the heart"))
    assert not _greek_lost(alpha, beta)
    assert not _greek_lost(alpha, words)  # "rat" left out too: not only Greek letters


def test_a_supplement_is_the_issue_another_database_gives() -> None:
    supplement = prepare(_sparse("a", volume="87 Suppl 3", issue="", pages="C151-6"))
    issue = prepare(_sparse("b", volume="87", issue="3", pages="C151-C156"))
    place = COMPARISONS[3].level_name(pattern(supplement, issue)[3])  # type: ignore[arg-type]
    assert place == "same volume, same issue, same range"


def test_british_and_american_spellings_are_one_title() -> None:
    british = prepare(_sparse("a", title="Tumour behaviour in paediatric oedema"))
    american = prepare(_sparse("b", title="Tumor behavior in pediatric edema"))
    assert british.title_key == american.title_key
    assert COMPARISONS[0].levels[pattern(british, american)[0] or 0] == "exact"


@pytest.mark.parametrize("label", ["Proceedings: ", "Rapid publication: "])
def test_a_sections_label_before_the_title_is_no_part_of_it(label: str) -> None:
    """MEDLINE keeps "Proceedings: " (depression id_0056466) and "Rapid publication: "
    before the title; other databases leave it out."""
    title = "Methylamphetamine withdrawal as a model for the depressive state"
    assert (
        prepare(_sparse("a", title=label + title)).title == prepare(_sparse("b", title=title)).title
    )


def test_one_conference_paper_with_its_meeting_named_two_ways_is_a_duplicate() -> None:
    """A database that numbers the meeting and one that does not name the same venue."""
    a = record(
        "a",
        title="A large-scale analysis of the marketplace characteristics in Fiverr",
        journal="Hawaii International Conference on System Sciences",
        entry_type="inproceedings",
        volume="",
        pages="",
    )
    b = replace(a, id="b", journal="50Th Annual Hawaii International Conference On System Sciences")
    levels = COMPARISONS[2].levels
    assert levels[pattern(prepare(a), prepare(b))[2]].endswith("same journal")  # type: ignore[index]
    assert compare(prepare(a), prepare(b)).outcome == "duplicate"


def test_one_printed_item_filed_under_a_book_series_and_under_its_meeting_is_a_duplicate() -> None:
    """The same volume and range of pages: one printed paper, whatever its venue is called."""
    series = record(
        "a",
        title="Forensic identification of students outsourcing assignment projects",
        journal="Communications in Computer and Information Science",
        entry_type="incollection",
        volume="490",
        pages="183--190",
    )
    meeting = replace(
        series,
        id="b",
        journal="Applications and Techniques in Information Security, ATIS 2014",
        entry_type="inproceedings",
    )
    assert compare(prepare(series), prepare(meeting)).outcome == "duplicate"
    # one page only (a meeting abstract and an article may start on the same page) is not enough
    one_page = (replace(series, pages="183"), replace(meeting, pages="183"))
    assert compare(prepare(one_page[0]), prepare(one_page[1])).outcome == "undecided"
