"""MEDLINE (nbib) import on Biopython's recorded PubMed files, and export."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from review.formats import read_records, write_records
from review.formats.jsonl import record_to_json
from review.formats.medline import format_mesh_heading, parse_mesh_heading
from review.records import (
    AbstractSection,
    Author,
    ImportProblem,
    MeshHeading,
    MeshQualifier,
    Record,
    Relation,
    Source,
)


@pytest.mark.parametrize("number", [1, 2, 3])
def test_golden_files(formats_dir: Path, number: int) -> None:
    result = read_records(formats_dir / f"medline_pubmed_result{number}.txt")
    assert result.problems == ()
    golden = formats_dir / f"medline_pubmed_result{number}.expected.jsonl"
    expected = [json.loads(line) for line in golden.read_text(encoding="utf-8").splitlines()]
    assert [record_to_json(r) for r in result.records] == expected


def test_fields_of_a_structured_abstract(formats_dir: Path) -> None:
    first = read_records(formats_dir / "medline_pubmed_result2.txt").records[0]
    assert first.id == first.pmid == "16403221"
    assert first.source == Source("PubMed", file="medline_pubmed_result2.txt", position=1)
    assert first.title == "A high level interface to SCOP and ASTRAL implemented in python."
    assert [s.label for s in first.abstract] == ["BACKGROUND", "RESULTS", "CONCLUSION"]
    assert first.abstract[0].text.startswith("Benchmarking algorithms in structural")
    assert first.abstract[2].text == (
        "The modules make the analysis and generation of datasets for use in structural "
        "genomics easier and more principled."
    )
    assert first.authors == (
        Author(family="Casbon", given="James A", initials="JA"),
        Author(family="Crooks", given="Gavin E", initials="GE"),
        Author(family="Saqi", given="Mansoor A S", initials="MA"),
    )
    assert (first.journal, first.journal_abbrev) == ("BMC bioinformatics", "BMC Bioinformatics")
    assert (first.volume, first.issue, first.pages) == ("7", "", "10")
    assert (first.year, first.pub_date) == (2006, "2006")
    assert first.doi == "10.1186/1471-2105-7-10"
    assert first.pmcid == "PMC1373603"
    assert first.publication_types == ("Evaluation Studies", "Journal Article")
    assert first.languages == ("eng",)
    assert first.mesh[2] == MeshHeading(
        "Information Storage and Retrieval", qualifiers=(MeshQualifier("methods", major=True),)
    )
    assert first.mesh[0] == MeshHeading("Database Management Systems", major=True)
    assert ("AID", "1471-2105-7-10 [pii]") in first.extra
    # FAU gives the given names as written, AU the initials PubMed uses.
    third = read_records(formats_dir / "medline_pubmed_result2.txt").records[2]
    assert third.authors[0] == Author(family="de Hoon", given="M J L", initials="MJ")


def test_doi_from_lid_and_wrapped_title(formats_dir: Path) -> None:
    (record,) = read_records(formats_dir / "medline_pubmed_result3.txt").records
    assert record.doi == "10.1118/1.4748329"
    assert (record.year, record.pub_date) == (2012, "2012 Oct")
    assert [s.label for s in record.abstract] == ["PURPOSE", "METHODS", "RESULTS", "CONCLUSIONS"]


def test_relations_collectives_and_orcid(tmp_path: Path) -> None:
    path = tmp_path / "pubmed-kratom.nbib"
    path.write_text(
        "PMID- 31234567\n"
        "TI  - A retracted kratom study.\n"
        "FAU - Smith, Kirsten E\n"
        "AU  - Smith KE\n"
        "AUID- ORCID: 0000-0002-1825-0097\n"
        "CN  - Kratom Study Group\n"
        "FAU - Dunn, Kelly E\n"
        "AU  - Dunn KE\n"
        "DP  - 1998 Dec-1999 Jan\n"
        "RIN - Addiction. 2020 Jan;115(1):1. PMID: 31999999\n"
        "CIN - Addiction. 2020 Feb;115(2):5.\n"
        "EIN - J Addict Med. 2021;15(2):3. PMID: 32000001\n",
        encoding="utf-8",
    )
    (record,) = read_records(path).records
    assert record.authors == (
        Author(family="Smith", given="Kirsten E", initials="KE", orcid="0000-0002-1825-0097"),
        Author(collective="Kratom Study Group"),
        Author(family="Dunn", given="Kelly E", initials="KE"),
    )
    assert (record.year, record.pub_date) == (1998, "1998 Dec-1999 Jan")
    assert record.relations == (
        Relation("CommentIn", citation="Addiction. 2020 Feb;115(2):5."),
        Relation("ErratumIn", pmid="32000001", citation="J Addict Med. 2021;15(2):3."),
        Relation("RetractionIn", pmid="31999999", citation="Addiction. 2020 Jan;115(1):1."),
    )


def test_a_lone_name_under_fau_or_au_is_a_person_not_a_group(tmp_path: Path) -> None:
    # PubMed writes an author with a LastName only so; groups always come as CN.
    path = tmp_path / "mononym.nbib"
    path.write_text(
        "PMID- 33294629\nFAU - Sudirman\nAU  - Sudirman\nAU  - Aradhana\nCN  - G-Scad\n",
        encoding="utf-8",
    )
    (record,) = read_records(path).records
    assert record.authors == (
        Author(family="Sudirman"),
        Author(family="Aradhana"),
        Author(collective="G-Scad"),
    )
    out = tmp_path / "back.nbib"
    write_records([record], out)
    assert read_records(out).records[0].authors == record.authors


def test_book_chapter(tmp_path: Path) -> None:
    path = tmp_path / "statpearls.nbib"
    path.write_text(
        "PMID- 32491355\nBTI - StatPearls\nTI  - Kratom\nPT  - Review\nPT  - Book Chapter\n"
        "DP  - 2024 Jan\nISBN- 978-0-00-000000-2\n",
        encoding="utf-8",
    )
    (record,) = read_records(path).records
    assert record.is_book
    assert (record.entry_type, record.journal, record.isbn) == (
        "book",
        "StatPearls",
        "978-0-00-000000-2",
    )


def test_malformed_entry_in_the_middle_is_reported_and_others_kept(tmp_path: Path) -> None:
    path = tmp_path / "mixed.nbib"
    path.write_text(
        "PMID- 1\nTI  - First\n\n"
        "PMID- 2\nTI  - Second, wrapped onto a line\nthat lost its indent\n\n"
        "Notes pasted between two entries\n\n"
        "PMID- 3\nTI  - Third\n      continued\n",
        encoding="utf-8",
    )
    result = read_records(path)
    assert [(r.id, r.title, r.source.position) for r in result.records] == [
        ("1", "First", 1),
        ("2", "Second, wrapped onto a line that lost its indent", 2),
        ("3", "Third continued", 3),
    ]
    assert result.problems == (
        ImportProblem(
            "mixed.nbib",
            6,
            "line has no tag: 'that lost its indent'; read as part of the line before",
            record_id="2",
            kept=True,
        ),
        ImportProblem(
            "mixed.nbib",
            8,
            "text outside any entry (no 'PMID- ' or other tag): 'Notes pasted between two "
            "entries'; ignored",
        ),
    )


@pytest.mark.parametrize(
    "text",
    ["*Humans", "Analgesics, Opioid/*therapeutic use/adverse effects", "Kratom/*poisoning"],
)
def test_mesh_heading_form_round_trips(text: str) -> None:
    assert format_mesh_heading(parse_mesh_heading(text)) == text


def test_export_and_import_keep_every_field_medline_holds(tmp_path: Path) -> None:
    record = Record(
        id="12345",
        source=Source("PubMed", file="out.nbib", position=1),
        title="Kratom withdrawal",
        abstract=(
            AbstractSection("Why it matters.", label="BACKGROUND"),
            AbstractSection("What we did.", label="METHODS"),
        ),
        authors=(
            Author(family="Smith", given="Kirsten E", initials="KE", orcid="0000-0002-1825-0097"),
            Author(collective="Kratom Study Group"),
            Author(family="Dunn", initials="KE"),
        ),
        journal="Addiction",
        journal_abbrev="Addict",
        volume="115",
        issue="1",
        pages="1-9",
        year=2020,
        pub_date="2020 Jan",
        pmid="12345",
        doi="10.1111/add.1",
        pmcid="PMC1",
        publication_types=("Journal Article",),
        mesh=(MeshHeading("Humans"), MeshHeading("Mitragyna", major=True)),
        keywords=("kratom",),
        languages=("eng",),
        relations=(Relation("RetractionIn", pmid="999", citation="X. 2021;1:1."),),
        extra=(("PL", "England"), ("AID", "add1 [pii]")),
    )
    path = tmp_path / "out.nbib"
    assert write_records([record], path) == 1
    (back,) = read_records(path).records
    assert back == record
    book = replace(record, is_book=True, entry_type="book", isbn="978-0-00-000000-2")
    write_records([book], path)
    assert read_records(path).records == (book,)
