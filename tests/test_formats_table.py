"""CSV import (dedup benchmark and Cohen 2006 columns) and export."""

from __future__ import annotations

import csv
import gzip
from dataclasses import replace
from pathlib import Path

import pytest

from review.errors import InputError
from review.formats import read_records, write_records
from review.formats.table import neutralise, unneutralise
from review.records import (
    AbstractSection,
    Author,
    ImportProblem,
    MeshHeading,
    MeshQualifier,
    Record,
    Source,
)


def test_dedup_benchmark_columns(formats_dir: Path) -> None:
    result = read_records(formats_dir / "dedup_cardiac_sample.csv.gz", database="cardiac")
    assert result.problems == ()
    assert [r.id for r in result.records] == [
        "id_0003268",
        "id_0001658",
        "id_0007880",
        "id_0002255",
    ]
    first = result.records[0]
    assert first.source == Source(
        database="cardiac", file="dedup_cardiac_sample.csv.gz", position=1
    )
    assert first.entry_type == "article"
    assert first.title == (
        '"Cardioprotection" by ACE-inhibitors in acute myocardial ischemia and infarction?'
    )
    assert first.year == 1993
    assert first.journal == "Basic Res Cardiol"
    assert first.volume == "88 Suppl 1"
    assert first.issue == ""
    assert first.pages == "139-54"
    assert first.doi == "10.1007/978-3-642-72497-8_10"
    assert first.isbn == "0300-8428 (Print)\n0300-8428 (Linking)"
    assert first.url == "https://www.ncbi.nlm.nih.gov/pubmed/8357329"
    assert first.abstract_text.startswith("Coronary artery occlusion results")
    # Names run together are the dedup stage's to split; the cell is kept whole.
    assert first.authors == (Author(collective="Przyklenk K.Kloner R. A."),)
    assert first.extra == ()
    assert result.records[3].source.position == 4


def test_dedup_bibtex_style_authors_are_split(formats_dir: Path) -> None:
    result = read_records(formats_dir / "dedup_stroke_sample.csv")
    first = result.records[0]
    assert first.source.database == "dedup_stroke_sample"
    assert first.authors[:2] == (
        Author(family="Zhai", given="Q. J.", initials="QJ"),
        Author(family="Yue", given="X. Y.", initials="XY"),
    )
    assert len(first.authors) == 5
    assert (first.volume, first.issue, first.pages, first.year) == ("7", "2", "73-76", 2010)


def test_dedup_digital_work_booktitle_is_the_venue(formats_dir: Path) -> None:
    # digital_work (CoLRev) gives a conference paper's proceedings in `booktitle`,
    # as BibTeX does, and the journal column is empty in that row.
    result = read_records(formats_dir / "dedup_digital_work_sample.csv")
    assert result.problems == ()
    paper, volume, report, both = result.records
    assert (paper.entry_type, paper.journal) == (
        "inproceedings",
        "International Conference on Information Systems",
    )
    assert dict(paper.extra) == {"ID_old": "AanestadVassilakopoulouOvrelid2019"}
    assert (volume.entry_type, volume.journal) == (
        "proceedings",
        "AAAI Workshop - Technical Report",
    )
    assert ("editor", "UNKNOWN") in volume.extra
    # A report's institution is no journal; it is kept under its own name.
    assert (report.entry_type, report.journal) == ("techreport", "")
    assert ("institution", "ZEW - Centre for European Economic Research Discussion Paper") in (
        report.extra
    )
    # Both filled: the first column (journal) wins and booktitle stays in extra.
    assert both.journal == "Studies in health technology and informatics"
    assert ("booktitle", "Annual Conference on Health Informatics meets Digital Health") in (
        both.extra
    )


def test_first_filled_column_of_a_field_wins(tmp_path: Path) -> None:
    path = tmp_path / "two.csv"
    path.write_text(
        "title,journal,source title,booktitle\nA,,Source,Book\nB,Journal,,Book\nC,,,\n",
        encoding="utf-8",
    )
    first, second, third = read_records(path).records
    assert (first.journal, first.extra) == ("Source", (("booktitle", "Book"),))
    assert (second.journal, second.extra) == ("Journal", (("booktitle", "Book"),))
    assert (third.journal, third.extra) == ("", ())


def test_cohen_screening_columns_keep_labels_in_extra(formats_dir: Path) -> None:
    result = read_records(formats_dir / "cohen_adhd_sample.csv", database="ADHD")
    assert result.problems == ()
    assert [r.id for r in result.records] == ["1", "2", "3", "17"]
    first = result.records[0]
    assert first.pmid == "10051933"
    assert first.title == (
        "The effectiveness of clonidine as an analgesic in paediatric adenotonsillectomy."
    )
    assert first.keywords[:3] == ("Acetaminophen", "Adenoidectomy", "Administration, Oral")
    assert len(first.keywords) == 26
    assert first.authors[0] == Author(family="Reimer", given="E J", initials="EJ")
    assert len(first.authors) == 6
    assert dict(first.extra) == {"label_abstract_screening": "0", "label_included": "0"}
    assert dict(result.records[3].extra) == {
        "label_abstract_screening": "1",
        "label_included": "1",
    }


def test_cohen_keywords_are_mesh_descriptors_too(formats_dir: Path) -> None:
    # The Cohen sets' keywords column holds MeSH descriptors (no '*' or '/' in
    # any of the ten sets): they fill `mesh`, where the Humans/Animals rule looks.
    first = read_records(formats_dir / "cohen_adhd_sample.csv").records[0]
    assert first.mesh_descriptors == first.keywords
    assert first.mesh[first.keywords.index("Humans")] == MeshHeading("Humans")
    assert "Child" in first.mesh_descriptors


def test_keywords_of_other_csv_files_stay_keywords_only(tmp_path: Path) -> None:
    path = tmp_path / "scopus.csv"
    path.write_text(
        "Title,Author Keywords,PubMed ID\nKratom use,kratom; withdrawal,123\n", encoding="utf-8"
    )
    (record,) = read_records(path).records
    assert record.keywords == ("kratom", "withdrawal")
    assert record.mesh == ()


def test_a_mesh_column_beside_cohen_columns_wins(tmp_path: Path) -> None:
    path = tmp_path / "cohen_exported.csv"
    path.write_text(
        "record_id,pubmedID,title,keywords,mesh\n1,2,T,Cats,*Humans/therapy\n", encoding="utf-8"
    )
    (record,) = read_records(path).records
    assert record.keywords == ("Cats",)
    assert record.mesh == (
        MeshHeading("Humans", major=True, qualifiers=(MeshQualifier("therapy"),)),
    )


def test_cohen_without_keywords_and_with_year(tmp_path: Path) -> None:
    path = tmp_path / "ACEInhibitors_online.csv"
    path.write_text(
        "record_id,pubmedID,title,authors,abstract,year,label_included,label_abstract_screening\n"
        "1,10024335,Distinct effects.,P Nazzaro; M Manzari,Text.,1999,0,1\n",
        encoding="utf-8",
    )
    (record,) = read_records(path).records
    assert record.year == 1999
    assert record.authors == (
        Author(family="Nazzaro", initials="P"),
        Author(family="Manzari", initials="M"),
    )
    assert record.extra == (("label_included", "0"), ("label_abstract_screening", "1"))


@pytest.mark.shared
@pytest.mark.parametrize(
    ("relative", "count"),
    [
        ("data/dedup/cardiac/records.csv.gz", 8948),
        ("data/dedup/digital_work/records.csv.gz", 7159),
        ("data/screening/cohen2006/ADHD.csv.gz", 851),
    ],
)
def test_whole_shared_files_read_without_problems(
    shared_dir: Path, relative: str, count: int
) -> None:
    result = read_records(shared_dir / relative)
    assert result.problems == ()
    assert len(result.records) == count
    assert len({r.id for r in result.records}) == count


def test_malformed_row_in_the_middle_is_reported_and_others_kept(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(
        'ID,title,year\nA,"First",2001\nB,"Second",2002,surplus\nC,"Third\nline two",2003\n'
        "D,Fourth,2004\n",
        encoding="utf-8",
    )
    result = read_records(path)
    assert [r.id for r in result.records] == ["A", "C", "D"]
    assert result.records[1].title == "Third\nline two"
    assert result.problems == (
        ImportProblem("mixed.csv", 3, "row has 4 cells but the header has 3"),
    )
    # Positions count entries in the file, the bad one included.
    assert [r.source.position for r in result.records] == [1, 3, 4]


def test_non_utf8_line_is_reported_and_read_as_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    path.write_bytes("ID,title\nA,Café\n".encode() + "B,Müller\n".encode("cp1252"))
    result = read_records(path)
    assert [r.title for r in result.records] == ["Café", "Müller"]
    assert result.problems == (
        ImportProblem(
            "legacy.csv",
            3,
            "not UTF-8 (byte 0xfc at column 4); read as Windows-1252, check this entry's accents",
            kept=True,
        ),
    )


def test_utf8_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfID,title\nA,T\n")
    (record,) = read_records(path).records
    assert record.id == "A"


def test_unreadable_files_raise_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.csv: no such file; check the path"):
        read_records(tmp_path / "missing.csv")
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(b"\x1f\x8b" + b"not really gzip")
    with pytest.raises(InputError, match=r"broken\.csv\.gz: is not a readable gzip file"):
        read_records(broken)
    unrelated = tmp_path / "numbers.csv"
    unrelated.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"^\S*numbers\.csv:1: no title column among a, b; "):
        read_records(unrelated)
    # Records without titles cannot be screened or deduplicated: an ID is not enough.
    ids_only = tmp_path / "ids.csv"
    ids_only.write_text("ID,year\nA,2020\n", encoding="utf-8")
    with pytest.raises(
        InputError, match=r"ids\.csv:1: no title column among ID, year; .*named one of title"
    ):
        read_records(ids_only)


def test_gzip_content_is_read_whatever_the_name(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(gzip.compress(b"ID,title\nA,T\n"))
    assert read_records(path).records[0].title == "T"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),
        ("'plain", "'plain"),
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_formula_cells_are_neutralised(value: str, written: str) -> None:
    assert neutralise(value) == written
    assert unneutralise(neutralise(value)) == value


def test_exported_csv_has_no_formula_cells(tmp_path: Path) -> None:
    record = Record(
        id="x1",
        source=Source("Embase"),
        title="=cmd|' /C calc'!A0",
        pages="-5",
        extra=(("note", "@evil"), ("=HYPERLINK()", "x")),
    )
    path = tmp_path / "out.csv"
    assert write_records([record], path) == 1
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in {"=", "+", "-", "@", "\t", "\r"}]
    assert "'=cmd|' /C calc'!A0" in cells
    (back,) = read_records(path).records
    assert (back.title, back.pages, back.extra) == (record.title, "-5", record.extra)


def test_export_and_import_keep_every_csv_field(tmp_path: Path) -> None:
    from review.records import MeshHeading, MeshQualifier, Relation

    record = Record(
        id="12345",
        source=Source("PubMed", file="search.xml", search="main", position=3),
        title="Kratom withdrawal; a study",
        abstract=(
            AbstractSection("Why.", label="BACKGROUND"),
            AbstractSection("How.", label="METHODS"),
        ),
        authors=(
            Author(family="Smith", given="Kirsten E", initials="KE"),
            Author(collective="Kratom Study Group"),
        ),
        journal="Addiction",
        journal_abbrev="Addiction",
        volume="115",
        issue="1",
        pages="1-9",
        year=2020,
        pub_date="2020 Jan",
        pmid="12345",
        doi="10.1111/add.1",
        pmcid="PMC1",
        isbn="978-3-16-148410-0",
        url="https://example.org/a",
        entry_type="article",
        publication_types=("Journal Article", "Review"),
        mesh=(
            MeshHeading(
                "Analgesics, Opioid",
                qualifiers=(MeshQualifier("adverse effects", major=True),),
            ),
            MeshHeading("Humans"),
        ),
        keywords=("kratom", "mitragynine"),
        languages=("eng",),
        relations=(Relation("ErratumIn", pmid="999"), Relation("CommentOn", citation="X. 2020")),
        is_book=True,
        extra=(("label_included", "1"),),
    )
    path = tmp_path / "out.csv"
    write_records([record], path)
    (back,) = read_records(path).records
    assert back == replace(record, source=Source("PubMed", file="out.csv", position=1))


def test_scopus_csv_export(tmp_path: Path) -> None:
    # Column names as Scopus writes them (first and last page apart, "Link", "EID").
    path = tmp_path / "scopus.csv"
    path.write_text(
        '\ufeff"Authors","Author full names","Title","Year","Source title","Volume","Issue",'
        '"Art. No.","Page start","Page end","DOI","Link","Abstract","Author Keywords",'
        '"PubMed ID","Language of Original Document","Abbreviated Source Title",'
        '"Document Type","Source","EID"\n'
        '"Kamble S.H.; León F.","Kamble, Shyam H. (57194); León, Francisco (57195)",'
        '"Metabolism of a Kratom Alkaloid Metabolite","2020","ACS Pharmacology and '
        'Translational Science","3","6","","1063","1068","10.1021/acsptsci.0c00075",'
        '"https://www.scopus.com/inward/record.uri?eid=2-s2.0-85096470000","Text.",'
        '"kratom; opioid receptor","33344889","English","ACS Pharmacol. Transl. Sci.",'
        '"Article","Scopus","2-s2.0-85096470000"\n',
        encoding="utf-8",
    )
    (record,) = read_records(path, database="Scopus").records
    assert record.id == "scopus:1"
    # "Author full names" gives the given names; Scopus's author IDs are dropped.
    assert record.authors == (
        Author(family="Kamble", given="Shyam H.", initials="SH"),
        Author(family="León", given="Francisco", initials="F"),
    )
    assert (record.journal, record.journal_abbrev) == (
        "ACS Pharmacology and Translational Science",
        "ACS Pharmacol. Transl. Sci.",
    )
    assert (record.year, record.volume, record.issue, record.pages) == (2020, "3", "6", "1063-1068")
    assert record.pmid == "33344889"
    assert record.keywords == ("kratom", "opioid receptor")
    assert record.publication_types == ("Article",)
    assert record.languages == ("English",)
    assert record.url.startswith("https://www.scopus.com/")
    assert ("EID", "2-s2.0-85096470000") in record.extra


def test_pubmed_csv_export(tmp_path: Path) -> None:
    # PubMed's "Save > CSV": authors as "Family Initials, ..." with a closing full stop.
    path = tmp_path / "csv-kratom-set.csv"
    path.write_text(
        "PMID,Title,Authors,Citation,First Author,Journal/Book,Publication Year,Create Date,"
        "PMCID,NIHMS ID,DOI\n"
        "35220331,Assessment of Kratom Use Disorder and Withdrawal.,"
        '"Smith KE, Dunn KE, Rogers JM.","J Addict Med. 2022 Nov-Dec 01;16(6):666-670.",'
        "Smith KE,J Addict Med,2022,2022/02/27,PMC9402806,,10.1097/ADM.0000000000000986\n",
        encoding="utf-8",
    )
    (record,) = read_records(path, database="PubMed").records
    assert (record.pmid, record.pmcid, record.doi) == (
        "35220331",
        "PMC9402806",
        "10.1097/ADM.0000000000000986",
    )
    assert [a.display for a in record.authors] == ["Smith KE", "Dunn KE", "Rogers JM"]
    assert (record.journal, record.year) == ("J Addict Med", 2022)


def test_zotero_csv_export(tmp_path: Path) -> None:
    path = tmp_path / "zotero.csv"
    path.write_text(
        '"Key","Item Type","Publication Year","Author","Title","Publication Title","ISBN",'
        '"ISSN","DOI","Url","Abstract Note","Date","Pages","Issue","Volume",'
        '"Journal Abbreviation","Language","Manual Tags"\n'
        '"ABCD1234","journalArticle","2013","Fiellin, David A.; Barry, Declan T.",'
        '"A randomized trial of cognitive behavioral therapy","The American Journal of '
        'Medicine","","1555-7162","10.1016/j.amjmed.2012.07.005","https://doi.org/x",'
        '"Abstract.","2013-01","74.e11-7","1","126","Am J Med","eng","Buprenorphine; CBT"\n',
        encoding="utf-8",
    )
    (record,) = read_records(path).records
    assert record.id == "ABCD1234"
    assert record.authors[0] == Author(family="Fiellin", given="David A.", initials="DA")
    assert (record.journal, record.journal_abbrev) == (
        "The American Journal of Medicine",
        "Am J Med",
    )
    assert (record.year, record.pub_date, record.pages) == (2013, "2013-01", "74.e11-7")
    assert ("Manual Tags", "Buprenorphine; CBT") in record.extra


def test_unclosed_quote_is_reported_not_swallowed(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_text('ID,title\nA,x\nB,"unterminated\nC,z\n', encoding="utf-8")
    result = read_records(path)
    assert [r.id for r in result.records] == ["A"]
    assert result.problems == (
        ImportProblem(
            "cut.csv",
            3,
            "a quote opened in this row is never closed; the rest of the file cannot be read",
        ),
    )


def test_text_after_a_closing_quote_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text('ID,title\nA,x\nB,"quoted"trailing\nC,z\n', encoding="utf-8")
    result = read_records(path)
    assert [r.id for r in result.records] == ["A", "C"]
    assert result.problems == (
        ImportProblem("odd.csv", 3, "row cannot be read as CSV (',' expected after '\"')"),
    )


def test_mesh_terms_column(tmp_path: Path) -> None:
    path = tmp_path / "pubmed2xl.csv"
    path.write_text(
        "PMID,Title,MeSH Terms\n1,T,Humans; *Mitragyna/adverse effects\n", encoding="utf-8"
    )
    (record,) = read_records(path).records
    assert record.mesh_descriptors == ("Humans", "Mitragyna")
    assert record.mesh[1].major
    assert record.mesh[1].qualifiers[0].name == "adverse effects"


def test_utf16_files_are_read_and_broken_ones_named(tmp_path: Path) -> None:
    path = tmp_path / "endnote.csv"
    path.write_bytes("ID,title\nA,Café\n".encode("utf-16"))
    assert read_records(path).records[0].title == "Café"
    path.write_bytes(b"\xff\xfe" + "ID,title\n".encode("utf-16-le") + b"A")
    with pytest.raises(
        InputError, match=r"^endnote\.csv: starts as UTF-16 but byte 20 is not; re-export"
    ):
        read_records(path)


def test_scopus_csv_with_every_column(formats_dir: Path) -> None:
    # Scopus's full CSV header (written by us with its real column names).
    article, paper = read_records(formats_dir / "scopus.csv", database="Scopus").records
    # An article number where the journal has no pages ("Art. No.", pages empty).
    assert (article.volume, article.issue, article.pages) == ("15", "6", "e41146")
    assert article.authors[0] == Author(family="Arhin", given="Martin", initials="M")
    assert len(article.authors) == 4
    assert (article.entry_type, article.publication_types) == ("article", ("Article",))
    assert ("ISSN", "21688184") in article.extra
    # Scopus's document type gives the entry type; the source title is the proceedings.
    assert (paper.entry_type, paper.publication_types) == ("inproceedings", ("Conference Paper",))
    assert paper.journal == "ICIS - Thirty First International Conference on Information Systems"


def test_scopus_full_names_are_used_only_when_they_match_the_authors(tmp_path: Path) -> None:
    path = tmp_path / "scopus.csv"
    path.write_text(
        '"Title","Authors","Author full names"\n'
        '"A","Smith J.; Doe A.","Smith, John (1)"\n'
        '"B","","Smith, John (1)"\n',
        encoding="utf-8",
    )
    cut, only_full = read_records(path).records
    assert cut.authors == (Author(family="Smith", initials="J"), Author(family="Doe", initials="A"))
    assert cut.extra == (("Author full names", "Smith, John (1)"),)
    assert only_full.authors == (Author(family="Smith", given="John", initials="J"),)
    assert only_full.extra == ()


def test_an_article_number_beside_pages_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "scopus.csv"
    path.write_text(
        '"Title","Art. No.","Page start","Page end"\n"A","e12","3","9"\n"B","e13","",""\n',
        encoding="utf-8",
    )
    both, number_only = read_records(path).records
    assert (both.pages, both.extra) == ("3-9", (("Art. No.", "e12"),))
    assert (number_only.pages, number_only.extra) == ("e13", ())


def test_an_entry_type_column_wins_over_the_document_type(tmp_path: Path) -> None:
    path = tmp_path / "typed.csv"
    path.write_text(
        "title,ENTRYTYPE,Document Type\nA,article,Conference Paper\nB,,Book Chapter\nC,,Letter\n",
        encoding="utf-8",
    )
    assert [r.entry_type for r in read_records(path).records] == ["article", "inbook", "article"]


def test_zotero_csv_with_every_column(formats_dir: Path) -> None:
    # Zotero's full CSV header (written by us with its real column names).
    article, paper = read_records(formats_dir / "zotero.csv").records
    assert article.id == "Q7HM2KXA"
    # Zotero keeps the PMID in "Extra"; the cell stays in extra too.
    assert article.pmid == "37519540"
    assert ("Extra", "PMID: 37519540\nPMCID: PMC10386870") in article.extra
    assert (article.entry_type, article.pages, article.year) == ("article", "e41146", 2023)
    assert (paper.entry_type, paper.journal) == (
        "inproceedings",
        "International Conference on Information Systems",
    )
    assert paper.pmid == ""


@pytest.mark.parametrize(
    ("item_type", "entry_type"), [("bookSection", "inbook"), ("webpage", "misc")]
)
def test_zotero_item_types(tmp_path: Path, item_type: str, entry_type: str) -> None:
    path = tmp_path / "zotero.csv"
    path.write_text(f'"Key","Item Type","Title"\n"K","{item_type}","T"\n', encoding="utf-8")
    record = read_records(path).records[0]
    assert record.entry_type == entry_type
    # A type that has no entry type of its own is kept as Zotero names it.
    assert record.extra == ((("Item Type", item_type),) if entry_type == "misc" else ())


@pytest.mark.parametrize("name", ["web_of_science_excel.csv", "web_of_science_tags.csv"])
def test_web_of_science_csv_is_read_as_its_plain_text_export(formats_dir: Path, name: str) -> None:
    # The same two records, as the Excel export names the columns (saved as CSV) and
    # with the tab-delimited export's tags as the header: each field as the plain text gives it.
    plain = read_records(formats_dir / "web_of_science.txt").records
    result = read_records(formats_dir / name)
    assert result.problems == ()
    assert [
        replace(r, source=replace(r.source, file="web_of_science.txt")) for r in result.records
    ] == list(plain)
    assert result.records[0].source == Source("Web of Science", file=name, position=1)


def test_web_of_science_csv_takes_the_database_given(formats_dir: Path) -> None:
    path = formats_dir / "web_of_science_tags.csv"
    assert read_records(path, database="WoS Core").records[0].source.database == "WoS Core"


def test_rayyan_csv_export(formats_dir: Path) -> None:
    # Rayyan's column names; Rayyan writes the RIS line after a DOI or URL into the
    # same cell ("10.7759/cureus.41146     LK  - https://...").
    first, second = read_records(formats_dir / "rayyan.csv").records
    assert first.id == "rayyan-51234001"
    assert (first.doi, first.pmid, first.pmcid) == (
        "10.7759/cureus.41146",
        "37519540",
        "PMC10386870",
    )
    assert first.url == (
        "https://www.embase.com/search/results?subaction=viewrecord&id=L2025000001&from=export"
    )
    assert ("U2", "L2025000001") in first.extra
    assert dict(first.extra)["LK"].startswith("https://example.on.worldcat.org/")
    assert first.authors[-1] == Author(family="Remick", given="P.", initials="P")
    assert first.keywords == ("buprenorphine plus naloxone", "kratom", "case report")
    assert ("notes", 'RAYYAN-INCLUSION: {"Ana"=>"Excluded"}') in second.extra
    assert (second.doi, second.year) == ("10.1097/ADM.0000000000000986", 2022)


def test_covidence_csv_export(formats_dir: Path) -> None:
    first, second = read_records(formats_dir / "covidence.csv").records
    assert (first.year, first.journal, first.pages) == (2023, "Cureus", "e41146")
    assert first.authors[0] == Author(family="Arhin", given="M.", initials="M")
    assert first.doi == "10.7759/cureus.41146"
    assert ("Covidence #", "#3") in first.extra
    assert (second.year, second.volume, second.issue) == (2022, "16", "6")
    assert ("Published Month", "Nov") in second.extra


def test_semicolon_separated_csv(tmp_path: Path) -> None:
    # A spreadsheet's "CSV" where the comma is the decimal mark separates with ";".
    path = tmp_path / "excel.csv"
    path.write_text('Title;Authors;Year\n"A, b";"Smith, J";2020\n', encoding="utf-8")
    (record,) = read_records(path).records
    assert (record.title, record.year) == ("A, b", 2020)
    assert record.authors == (Author(family="Smith", initials="J"),)


def test_embase_csv_export_after_its_search_query(formats_dir: Path) -> None:
    # Embase's CSV opens with the search query, a line of dashes and an empty line.
    result = read_records(formats_dir / "embase.csv", database="Embase")
    assert result.problems == ()
    article, abstract = result.records
    assert article.source == Source("Embase", file="embase.csv", position=1)
    assert article.authors[0] == Author(family="Smith", initials="KE")
    assert len(article.authors) == 6
    assert (article.journal, article.year, article.volume, article.issue, article.pages) == (
        "Journal of Addiction Medicine",
        2022,
        "16",
        "6",
        "666-670",
    )
    assert (article.pmid, article.doi, article.pub_date) == (
        "35220331",
        "10.1097/ADM.0000000000000986",
        "1 Nov 2022",
    )
    assert (article.publication_types, article.languages) == (("Article",), ("English",))
    assert article.entry_type == "article"
    # A conference abstract is a meeting's: deduplication sends it and its article to a person.
    assert (abstract.entry_type, abstract.publication_types) == (
        "inproceedings",
        ("Conference Abstract",),
    )


def test_a_header_is_looked_for_in_the_first_lines_only(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_text("note\n" * 11 + "title\nA\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"late\.csv:1: no title column among note; "):
        read_records(path)
    path.write_text("note\n" * 10 + "title\nA\n", encoding="utf-8")
    assert [r.title for r in read_records(path).records] == ["A"]


def test_cochrane_central_csv_export(formats_dir: Path) -> None:
    (record,) = read_records(formats_dir / "cochrane.csv").records
    assert record.id == "CN-02400001"
    # "Source" is the journal where no other column names one.
    assert record.journal == "Journal of addiction medicine"
    assert record.authors[0] == Author(family="Smith", initials="KE")
    assert len(record.authors) == 6
    # CENTRAL writes the PMID with the database's name before it.
    assert record.pmid == "35220331"
    assert ("Embase ID", "EMBASE 2017000001") in record.extra
    # Pages as written (U+2010 HYPHEN); deduplication reads them as a range.
    assert (record.year, record.volume, record.issue, record.pages) == (
        2022,
        "16",
        "6",
        "666\u2010670",
    )
    assert record.publication_types == ("Journal article",)


def test_source_is_the_journal_only_without_a_journal_column(tmp_path: Path) -> None:
    path = tmp_path / "scopus.csv"
    path.write_text('"Title","Source title","Source"\n"A","","Scopus"\n', encoding="utf-8")
    (record,) = read_records(path).records
    assert (record.journal, record.extra) == ("", (("Source", "Scopus"),))
    path.write_text('"Title","Source","PubMed ID"\n"A","J Foo","PMID: 12"\n', encoding="utf-8")
    (record,) = read_records(path).records
    assert (record.journal, record.pmid) == ("J Foo", "12")


def test_columns_kept_in_extra_survive_a_csv_export(formats_dir: Path, tmp_path: Path) -> None:
    # A booktitle beside the journal, an article number beside pages, a Zotero type
    # without an entry type: extra fields named like a field's column.
    records = [
        *read_records(formats_dir / "dedup_digital_work_sample.csv").records,
        *read_records(formats_dir / "scopus.csv").records,
    ]
    path = tmp_path / "out.csv"
    write_records(records, path)
    back = read_records(path).records
    for before, after in zip(records, back, strict=True):
        assert sorted(after.extra) == sorted(before.extra)
        assert (after.journal, after.pages, after.authors) == (
            before.journal,
            before.pages,
            before.authors,
        )
