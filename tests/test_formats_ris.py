"""RIS import (Embase, Ovid, Scopus, Web of Science, Zotero) and export."""

from __future__ import annotations

from pathlib import Path

import pytest

from review.formats import read_records, write_records
from review.formats.ris import parse_ovid_heading
from review.records import (
    AbstractSection,
    Author,
    ImportProblem,
    MeshHeading,
    MeshQualifier,
    Record,
    Source,
)


def test_ovid_medline_export(formats_dir: Path) -> None:
    result = read_records(formats_dir / "ovid_medline.ris")
    assert result.problems == ()
    first, second = result.records
    assert first.id == "35220331"
    assert first.pmid == "35220331"  # AN is the PMID in a MEDLINE database
    assert first.source == Source("Ovid MEDLINE(R) ALL", file="ovid_medline.ris", position=1)
    assert first.title.startswith("Assessment of Kratom Use Disorder")
    assert first.authors[0] == Author(family="Smith", given="Kirsten E", initials="KE")
    assert len(first.authors) == 4
    # Ovid wraps N2 onto an indented line; it continues the abstract.
    assert first.abstract_text == (
        "OBJECTIVES: Kratom use disorder was assessed with DSM-5 criteria in an online sample. "
        "METHODS: Adults who used kratom completed a survey."
    )
    assert (first.year, first.pub_date) == (2022, "2022//")
    assert (first.journal, first.journal_abbrev) == (
        "Journal of Addiction Medicine",
        "J Addict Med",
    )
    assert (first.volume, first.issue, first.pages) == ("16", "6", "666-670")
    assert first.doi == "10.1097/ADM.0000000000000986"
    assert first.languages == ("English",)
    assert first.publication_types == ("Journal Article",)
    assert first.keywords[2] == "*Mitragyna"
    # Ovid MEDLINE's KW lines are MeSH headings: they fill `mesh` too.
    assert first.mesh == (
        MeshHeading("Adult"),
        MeshHeading("Humans"),
        MeshHeading("Mitragyna", major=True),
        MeshHeading(
            "Substance Withdrawal Syndrome",
            major=True,
            qualifiers=(MeshQualifier("epidemiology"),),
        ),
    )
    assert ("SN", "1932-0620") in first.extra
    assert second.pages == "e41146"
    assert second.abstract == ()


def test_keywords_of_other_databases_are_not_mesh(tmp_path: Path) -> None:
    path = tmp_path / "ovid_embase.ris"
    path.write_text(
        "TY  - JOUR\nDB  - Embase\nTI  - T\nKW  - *kratom\nER  - \n"
        "TY  - JOUR\nDB  - PubMed\nTI  - T\nKW  - Humans\nER  - \n",
        encoding="utf-8",
    )
    embase, pubmed = read_records(path).records
    assert (embase.keywords, embase.mesh) == (("*kratom",), ())
    assert (pubmed.keywords, pubmed.mesh) == (("Humans",), ())


@pytest.mark.parametrize(
    ("written", "heading"),
    [
        ("Humans", MeshHeading("Humans")),
        (
            "Analgesics, Opioid/*ae [Adverse Effects]/tu [Therapeutic Use]",
            MeshHeading(
                "Analgesics, Opioid",
                qualifiers=(
                    MeshQualifier("adverse effects", major=True),
                    MeshQualifier("therapeutic use"),
                ),
            ),
        ),
        ("*Mitragyna/ch", MeshHeading("Mitragyna", True, (MeshQualifier("ch"),))),
        ("X/ep [Epid", MeshHeading("X", qualifiers=(MeshQualifier("ep [Epid"),))),
    ],
)
def test_ovid_heading_forms(written: str, heading: MeshHeading) -> None:
    assert parse_ovid_heading(written) == heading


def test_embase_export(formats_dir: Path) -> None:
    (record,) = read_records(formats_dir / "embase.ris").records
    assert record.id == "2017412345"
    assert record.source.database == "Embase"
    assert record.authors == (
        Author(family="Grundmann", initials="O"),
        Author(family="Garcia-Romeu", initials="A"),
        Author(family="McCurdy", initials="CR"),
    )
    assert record.abstract_text.startswith("Kratom use patterns")
    assert record.journal_abbrev == "Exp. Clin. Psychopharmacol."
    assert record.isbn == ""
    assert record.pmid == ""  # AN-less, and Embase IDs are not PMIDs
    extra = dict(record.extra)
    assert extra["U2"] == "L2023123456"
    assert extra["DB"] == "Medline is the source for the citation and abstract of this record."


def test_scopus_web_of_science_and_zotero_exports(formats_dir: Path) -> None:
    scopus = read_records(formats_dir / "scopus.ris").records
    assert [r.id for r in scopus] == ["scopus:1", "scopus:2"]
    assert scopus[0].journal == "ACS Pharmacology and Translational Science"
    assert scopus[0].journal_abbrev == "ACS Pharmacol. Transl. Sci."
    assert scopus[0].authors[1] == Author(family="León", given="F.", initials="F")
    assert scopus[0].source.database == "Scopus"

    (wos,) = read_records(formats_dir / "web_of_science.ris").records
    assert wos.source.database == "web_of_science"
    assert (wos.year, wos.pub_date) == (2021, "MAR")
    assert wos.pmid == ""
    assert ("AN", "WOS:000621145600010") in wos.extra

    article, chapter = read_records(formats_dir / "zotero.ris").records
    assert article.source.database == "PubMed"  # Zotero's DP
    assert article.pmid == "23260506"
    assert article.pages == "74.e11-7"
    assert article.url == "https://doi.org/10.1016/j.amjmed.2012.07.005"
    assert chapter.entry_type == "inbook"
    assert chapter.authors == (Author(collective="World Health Organization"),)
    assert chapter.isbn == "978-92-4-000000-7"


def test_given_database_wins_and_the_file_one_is_kept(formats_dir: Path) -> None:
    (record,) = read_records(formats_dir / "web_of_science.ris", database="Web of Science").records
    assert record.source.database == "Web of Science"


def test_malformed_entry_in_the_middle_is_reported_and_others_kept(tmp_path: Path) -> None:
    path = tmp_path / "mixed.ris"
    path.write_text(
        "TY  - JOUR\nTI  - First\nER  - \n"
        "\n"
        "TY  - JOUR\nTI  - Second, whose ER is missing\n"
        "TY - JOUR\nTI  - Third, one space after TY\nER  -\n"
        "TY  - JOUR\nTI  - Fourth\nTI  - Fourth again\n  wrapped\nER  - \n",
        encoding="utf-8",
    )
    result = read_records(path)
    assert [r.title for r in result.records] == [
        "First",
        "Second, whose ER is missing",
        "Third, one space after TY",
        # rispy alone fails on a repeated tag that wraps, and the entry would be lost.
        "Fourth Fourth again wrapped",
    ]
    assert [r.source.position for r in result.records] == [1, 2, 3, 4]
    assert result.problems == (
        ImportProblem("mixed.ris", 5, "entry has no ER line; it was ended at line 6", kept=True),
    )


def test_text_outside_entries_is_reported_once(tmp_path: Path) -> None:
    path = tmp_path / "header.ris"
    path.write_text(
        "Exported from a database\nsecond header line\n1.\nTY  - JOUR\nTI  - A\nER  - \n",
        encoding="utf-8",
    )
    result = read_records(path)
    assert [r.title for r in result.records] == ["A"]
    assert result.problems == (
        ImportProblem(
            "header.ris", 1, "text outside any entry (no 'TY  - ' line before it); ignored"
        ),
    )


def test_missing_er_at_end_of_file_keeps_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "cut.ris"
    path.write_text("TY  - JOUR\nTI  - A\n", encoding="utf-8")
    result = read_records(path)
    assert [r.title for r in result.records] == ["A"]
    assert result.problems == (
        ImportProblem(
            "cut.ris", 1, "entry has no ER line; it was ended at the end of file", kept=True
        ),
    )


def test_windows_1252_line_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "legacy.ris"
    path.write_bytes(b"TY  - JOUR\nAU  - M\xfcller, Hans\nER  - \n")
    result = read_records(path)
    assert result.records[0].authors[0].family == "Müller"
    assert [(p.position, p.message[:10]) for p in result.problems] == [(2, "not UTF-8 ")]


def test_export_and_import_keep_every_field_ris_holds(tmp_path: Path) -> None:
    record = Record(
        id="12345",
        source=Source("PubMed", file="out.ris", position=1),
        title="Kratom withdrawal",
        abstract=(AbstractSection("One paragraph only."),),
        authors=(
            Author(family="Smith", given="Kirsten E", initials="KE"),
            Author(family="Dunn", initials="KE"),
            Author(collective="Kratom Study Group"),
        ),
        journal="Addiction",
        journal_abbrev="Addict",
        volume="115",
        issue="1",
        pages="1-9",
        year=2020,
        pub_date="2020/01/05",
        pmid="12345",
        doi="10.1111/add.1",
        isbn="978-3-16-148410-0",
        url="https://example.org/a",
        entry_type="article",
        publication_types=("Journal Article",),
        keywords=("kratom", "mitragynine"),
        languages=("eng",),
        extra=(("N1", "a note"), ("AD", "Baltimore"), ("SN", "1360-0443")),
    )
    path = tmp_path / "out.ris"
    assert write_records([record], path) == 1
    result = read_records(path)
    assert result.problems == ()
    (back,) = result.records
    assert back == record


def test_what_ris_cannot_hold_is_dropped_on_export(tmp_path: Path) -> None:
    record = Record(
        id="x",
        source=Source("Embase"),
        abstract=(AbstractSection("Why.", "BACKGROUND"), AbstractSection("How.", "METHODS")),
        extra=(("label_included", "1"),),
    )
    path = tmp_path / "out.ris"
    write_records([record], path)
    (back,) = read_records(path).records
    assert back.abstract_text == "BACKGROUND: Why. METHODS: How."
    assert back.extra == ()


def test_web_of_science_plain_text(formats_dir: Path) -> None:
    result = read_records(formats_dir / "web_of_science.txt")
    assert result.problems == ()
    first, second = result.records
    assert first.id == "WOS:000621145600010"
    assert first.source == Source("Web of Science", file="web_of_science.txt", position=1)
    assert first.title == (
        "Pharmacological Comparison of Mitragynine and 7-Hydroxymitragynine: In Vitro "
        "Affinity and Efficacy for mu-Opioid Receptor and Opioid-Like Behavioral Effects in Rats"
    )
    assert first.authors == (
        Author(family="Obeng", given="Samuel", initials="S"),
        Author(family="Wilkerson", given="Jenny L.", initials="JL"),
        Author(family="Leon", given="Francisco", initials="F"),
    )
    assert (first.journal, first.journal_abbrev) == (
        "JOURNAL OF PHARMACOLOGY AND EXPERIMENTAL THERAPEUTICS",
        "J. Pharmacol. Exp. Ther.",
    )
    assert (first.year, first.pub_date, first.volume, first.issue, first.pages) == (
        2021,
        "2021 MAR",
        "376",
        "3",
        "410-427",
    )
    assert (first.doi, first.pmid) == ("10.1124/jpet.120.000189", "33384303")
    assert first.keywords == ("kratom", "mitragynine", "7-hydroxymitragynine", "mu-opioid receptor")
    assert first.abstract_text.endswith("for opioid-like effects in rats.")
    assert ("ID", "OPIOID RECEPTOR; KRATOM") in first.extra
    assert ("J9", "J PHARMACOL EXP THER") in first.extra
    assert second.authors[-1] == Author(collective="Kratom Study Grp")
    assert second.publication_types == ("Article", "Early Access")


def test_web_of_science_record_without_er_is_kept_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "savedrecs.txt"
    path.write_text(
        "FN Clarivate Analytics Web of Science\nVR 1.0\n"
        "PT J\nTI First\nER\n\nPT J\nTI Second, no ER\nPT J\nTI Third\nER\nEF\n",
        encoding="utf-8",
    )
    result = read_records(path)
    assert [r.title for r in result.records] == ["First", "Second, no ER", "Third"]
    assert result.problems == (
        ImportProblem(
            "savedrecs.txt", 7, "record has no ER line; it was ended at line 8", kept=True
        ),
    )


def test_line_breaks_in_values_cannot_start_a_new_entry(tmp_path: Path) -> None:
    record = Record(
        id="a",
        source=Source("Embase"),
        title="Bad\nER  - \nTY  - JOUR\nTI  - injected",
        keywords=("one\ntwo",),
    )
    path = tmp_path / "out.ris"
    write_records([record], path)
    (back,) = read_records(path).records
    assert back.title == "Bad ER  -  TY  - JOUR TI  - injected"
    assert back.keywords == ("one two",)


def test_web_of_science_tab_delimited(tmp_path: Path) -> None:
    header = ["PT", "AU", "AF", "TI", "SO", "LA", "DT", "DE", "ID", "AB", "J9", "JI", "PD",
              "PY", "VL", "IS", "BP", "EP", "DI", "PM", "UT"]  # fmt: skip
    row = ["J", "Obeng, S; Wilkerson, JL", "Obeng, Samuel; Wilkerson, Jenny L.",
           "Pharmacological Comparison of Mitragynine", "J PHARMACOL EXP THER JOURNAL",
           "English", "Article", "kratom; mitragynine", "OPIOID RECEPTOR", "Text.",
           "J PHARMACOL EXP THER", "J. Pharmacol. Exp. Ther.", "MAR", "2021", "376", "3",
           "410", "427", "10.1124/jpet.120.000189", "33384303", "WOS:000621145600010"]  # fmt: skip
    bad = ["J", "Smith, K", "", "Broken\trow", *[""] * (len(header) - 2), "extra"]
    path = tmp_path / "savedrecs.txt"
    text = "\t".join(header) + "\n" + "\t".join(row) + "\t\n" + "\t".join(bad) + "\n"
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))  # the "Win" export is UTF-16
    result = read_records(path)
    (record,) = result.records
    assert record.id == "WOS:000621145600010"
    assert record.source.database == "Web of Science"
    assert record.authors == (
        Author(family="Obeng", given="Samuel", initials="S"),
        Author(family="Wilkerson", given="Jenny L.", initials="JL"),
    )
    assert (record.year, record.pages, record.pmid) == (2021, "410-427", "33384303")
    assert record.keywords == ("kratom", "mitragynine")
    assert result.problems == (
        ImportProblem("savedrecs.txt", 3, "row has 25 cells, the header 21; skipped"),
    )
