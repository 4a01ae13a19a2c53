"""PubMed XML: golden files for every real fixture, hostile and broken input, normalisers.

Goldens are JSON dumps of what the parser returns for each file in
tests/fixtures/pubmed/. They were checked by eye against the XML; a change in
parser output fails here field by field. To accept a deliberate change, run
`REVIEW_UPDATE_GOLDEN=1 python -m pytest tests/test_pubmed_xml.py`, then read
the diff of tests/fixtures/pubmed/golden/ before committing it.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import os
import socket
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review.errors import InputError
from review.formats import pubmed_xml
from review.formats.pubmed_xml import (
    Deletion,
    iter_pubmed_xml,
    normalise_doi,
    normalise_orcid,
    normalise_pmcid,
    pub_date_year,
    read_pubmed_xml,
    squeeze,
)
from review.records import (
    Author,
    ImportProblem,
    ImportResult,
    MeshHeading,
    MeshQualifier,
    Record,
    Source,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pubmed"
GOLDEN = FIXTURES / "golden"
REAL_FIXTURES = sorted(
    path.relative_to(FIXTURES).as_posix()
    for path in FIXTURES.glob("*/*.xml*")
    if path.parent.name != "golden"
)
UPDATE_GOLDEN = os.environ.get("REVIEW_UPDATE_GOLDEN") == "1"
# Examples run on a shared, busy machine: a slow example is not a failure here.
NO_DEADLINE = settings(deadline=None)


def parse(xml: str | bytes, **source: str) -> list[Record | ImportProblem | Deletion]:
    data = xml.encode() if isinstance(xml, str) else xml
    return list(iter_pubmed_xml(io.BytesIO(data), **source))


def only_record(xml: str) -> Record:
    items = parse(xml)
    assert len(items) == 1, items
    assert isinstance(items[0], Record), items[0]
    return items[0]


def article(body: str = "", *, pmid: str = "1", data: str = "", citation: str = "") -> str:
    """A minimal PubmedArticle; `body` goes inside Article, `data` inside PubmedData."""
    return (
        f"<PubmedArticle><MedlineCitation><PMID Version='1'>{pmid}</PMID>"
        f"<Article><Journal><Title>J</Title></Journal>{body}</Article>{citation}"
        f"</MedlineCitation><PubmedData>{data}</PubmedData></PubmedArticle>"
    )


def document(*entries: str) -> str:
    return '<?xml version="1.0"?>\n<PubmedArticleSet>' + "".join(entries) + "</PubmedArticleSet>"


# --- golden files -----------------------------------------------------------------


def dump(result: ImportResult) -> Any:
    """The result as the golden file holds it (tuples become lists)."""
    dumped = {
        "records": [dataclasses.asdict(record) for record in result.records],
        "problems": [dataclasses.asdict(problem) for problem in result.problems],
        "deleted_pmids": list(result.deleted_pmids),
    }
    return json.loads(json.dumps(dumped))


@pytest.mark.parametrize("name", REAL_FIXTURES)
def test_real_fixture_matches_golden_field_by_field(name: str) -> None:
    actual = dump(read_pubmed_xml(FIXTURES / name))
    golden_path = GOLDEN / (name.replace("/", "__") + ".json")
    if UPDATE_GOLDEN:
        golden_path.write_text(json.dumps(actual, indent=1, ensure_ascii=False) + "\n")
    assert golden_path.is_file(), f"no golden for {name}; run with REVIEW_UPDATE_GOLDEN=1"
    expected = json.loads(golden_path.read_text())
    assert actual["problems"] == expected["problems"]
    assert actual["deleted_pmids"] == expected["deleted_pmids"]
    assert [r["id"] for r in actual["records"]] == [r["id"] for r in expected["records"]]
    for got, want in zip(actual["records"], expected["records"], strict=True):
        for field in want:
            assert got[field] == want[field], f"{name} PMID {want['id']}: field {field}"
        assert set(got) == set(want), f"{name}: fields added or removed"


def test_every_real_fixture_has_a_golden() -> None:
    goldens = {path.name for path in GOLDEN.glob("*.json")}
    assert goldens == {name.replace("/", "__") + ".json" for name in REAL_FIXTURES}
    assert len(REAL_FIXTURES) == 11


# --- the parts the goldens cover, spelt out ------------------------------------------


def records_of(name: str) -> dict[str, Record]:
    return {record.id: record for record in read_pubmed_xml(FIXTURES / name).records}


def test_structured_abstract_keeps_labels_and_nlm_categories() -> None:
    record = records_of("biopython/pubmed5.xml")["28775130"]
    assert [(s.label, s.category) for s in record.abstract] == [
        ("OBJECTIVES", "OBJECTIVE"),
        ("METHODS", "METHODS"),
        ("RESULTS", "RESULTS"),
        ("CONCLUSIONS", "CONCLUSIONS"),
    ]
    assert record.abstract_text.startswith("OBJECTIVES: Animal studies suggest")
    # Labels without NlmCategory (pubmed4) keep an empty category.
    labelled = records_of("biopython/pubmed4.xml")["27797938"].abstract
    assert [(s.label, s.category) for s in labelled][:2] == [("OBJECTIVE", ""), ("DESIGN", "")]
    # <i>TERT</i> inside the text is kept as plain text.
    assert "reverse transcriptase (TERT) gene" in labelled[0].text


def test_collective_author_and_orcids_from_urls() -> None:
    record = records_of("biopython/pubmed7.xml")["29963580"]
    assert record.authors[-1] == Author(collective="Canadian Respiratory Research Network")
    assert [a.orcid for a in record.authors if a.orcid] == [
        "0000-0002-4590-7461",  # written https://orcid.org/0000-0002-4590-7461
        "0000-0003-3525-2788",
    ]
    assert record.authors[1].display == "Capaldi D"


def test_medline_date_gives_year_and_keeps_the_date_as_written() -> None:
    records = records_of("pubmed21n1298/kratom_records_from_pubmed21n1298.xml")
    dated = [r for r in records.values() if r.pub_date == "2021 May-Jun"]
    assert len(dated) == 1
    assert dated[0].year == 2021


def test_whole_book_from_bookshelf() -> None:
    record = records_of("klortho/efetch.pubmedbook.xml")["20301295"]
    assert record.is_book
    assert record.entry_type == "book"
    assert record.title == "GeneReviews™"
    assert record.journal == ""
    assert record.year == 1993
    assert record.authors == ()
    assert ("editor", "Pagon RA") in record.extra
    assert ("bookaccession", "NBK1116") in record.extra
    assert record.abstract[0].text.startswith("GeneReviews are expert-authored")


def test_book_chapter_is_inbook_with_the_book_as_container() -> None:
    record = only_record(
        document(
            "<PubmedBookArticle><BookDocument><PMID Version='1'>29083722</PMID>"
            "<ArticleIdList><ArticleId IdType='bookaccession'>NBK459229</ArticleId></ArticleIdList>"
            "<Book><Publisher><PublisherName>StatPearls Publishing</PublisherName>"
            "<PublisherLocation>Treasure Island (FL)</PublisherLocation></Publisher>"
            "<BookTitle book='statpearls'>StatPearls</BookTitle>"
            "<PubDate><Year>2024</Year><Month>01</Month></PubDate>"
            "<Isbn>9780000000000</Isbn></Book>"
            "<ArticleTitle book='statpearls' part='article-24398'>Kratom</ArticleTitle>"
            "<Language>eng</Language>"
            "<AuthorList Type='authors'><Author ValidYN='Y'><LastName>Doe</LastName>"
            "<ForeName>Jane</ForeName><Initials>J</Initials></Author></AuthorList>"
            "<PublicationType UI='D000072'>Study Guide</PublicationType>"
            "<Abstract><AbstractText>Kratom is a plant.</AbstractText></Abstract>"
            "</BookDocument><PubmedBookData><ArticleIdList>"
            "<ArticleId IdType='pubmed'>29083722</ArticleId></ArticleIdList></PubmedBookData>"
            "</PubmedBookArticle>"
        )
    )
    assert (record.entry_type, record.is_book) == ("inbook", True)
    assert (record.title, record.journal) == ("Kratom", "StatPearls")
    assert (record.year, record.pub_date, record.isbn) == (2024, "2024 01", "9780000000000")
    assert [a.display for a in record.authors] == ["Doe J"]
    assert record.publication_types == ("Study Guide",)
    assert ("publisher", "StatPearls Publishing") in record.extra


def test_doi_and_pmcid_come_from_the_articles_own_id_list() -> None:
    record = records_of("klortho/efetch.pubmedexample.xml")["17284678"]
    assert (record.doi, record.pmcid) == ("10.1101/gr.5823007", "PMC1800922")


def test_doi_never_comes_from_the_reference_list() -> None:
    cited = (
        "<ReferenceList><Reference><Citation>Other work.</Citation><ArticleIdList>"
        "<ArticleId IdType='doi'>10.1000/cited</ArticleId>"
        "<ArticleId IdType='pmc'>PMC99</ArticleId></ArticleIdList></Reference></ReferenceList>"
    )
    record = only_record(document(article(data=cited)))
    assert (record.doi, record.pmcid) == ("", "")


def test_doi_falls_back_to_elocation_id() -> None:
    body = (
        "<ELocationID EIdType='pii' ValidYN='Y'>S0001</ELocationID>"
        "<ELocationID EIdType='doi' ValidYN='Y'>10.1000/from-eloc</ELocationID>"
    )
    assert only_record(document(article(body))).doi == "10.1000/from-eloc"
    own = "<ArticleIdList><ArticleId IdType='doi'>10.1000/own</ArticleId></ArticleIdList>"
    assert only_record(document(article(body, data=own))).doi == "10.1000/own"


def test_title_keeps_the_text_of_inline_markup() -> None:
    body = (
        "<ArticleTitle>Effects of <i>Mitragyna speciosa</i> on Ca<sup>2+</sup>"
        " and <mml:math xmlns:mml='http://www.w3.org/1998/Math/MathML'><mml:mi>x</mml:mi>"
        "</mml:math> levels.</ArticleTitle>"
    )
    title = only_record(document(article(body))).title
    assert title == "Effects of Mitragyna speciosa on Ca2+ and x levels."


def test_mesh_with_qualifiers_and_major_flags() -> None:
    mesh = (
        "<MeshHeadingList><MeshHeading>"
        "<DescriptorName UI='D019966' MajorTopicYN='N'>Substance-Related Disorders</DescriptorName>"
        "<QualifierName UI='Q000628' MajorTopicYN='Y'>therapy</QualifierName>"
        "<QualifierName UI='Q000453' MajorTopicYN='N'>epidemiology</QualifierName>"
        "</MeshHeading><MeshHeading>"
        "<DescriptorName UI='D006801' MajorTopicYN='N'>Humans</DescriptorName>"
        "</MeshHeading></MeshHeadingList>"
    )
    record = only_record(document(article(citation=mesh)))
    first, second = record.mesh
    assert (first.descriptor, first.ui, first.major, first.is_major) == (
        "Substance-Related Disorders",
        "D019966",
        False,
        True,
    )
    assert [(q.name, q.major) for q in first.qualifiers] == [
        ("therapy", True),
        ("epidemiology", False),
    ]
    assert (second.descriptor, second.qualifiers, second.is_major) == ("Humans", (), False)


def test_relations_from_comments_corrections_but_not_cites() -> None:
    links = (
        "<CommentsCorrectionsList>"
        "<CommentsCorrections RefType='RetractionIn'><RefSource>Addiction. 2021;1:2</RefSource>"
        "<PMID Version='1'>333</PMID></CommentsCorrections>"
        "<CommentsCorrections RefType='Cites'><RefSource>Old ref</RefSource>"
        "<PMID Version='1'>444</PMID></CommentsCorrections>"
        "<CommentsCorrections RefType='CommentOn'><RefSource>No PMID here</RefSource>"
        "</CommentsCorrections></CommentsCorrectionsList>"
    )
    record = only_record(document(article(citation=links)))
    assert [(r.kind, r.pmid, r.citation) for r in record.relations] == [
        ("RetractionIn", "333", "Addiction. 2021;1:2"),
        ("CommentOn", "", "No PMID here"),
    ]


def test_invalid_author_spellings_are_left_out() -> None:
    authors = (
        "<AuthorList><Author ValidYN='Y'><LastName>Smith</LastName><ForeName>A</ForeName>"
        "<Initials>A</Initials></Author><Author ValidYN='N'><LastName>Smyth</LastName>"
        "</Author><Author><CollectiveName>Kratom Study Group</CollectiveName></Author>"
        "</AuthorList>"
    )
    record = only_record(document(article(authors)))
    assert [a.display for a in record.authors] == ["Smith A", "Kratom Study Group"]


# --- streaming, positions, deletions, problems -------------------------------------


def test_records_come_in_order_with_their_source() -> None:
    items = parse(
        document(article(pmid="11"), article(pmid="22")),
        database="PubMed",
        file="a.xml",
        search="kratom",
    )
    assert [(r.id, r.source) for r in items if isinstance(r, Record)] == [
        ("11", Source("PubMed", "a.xml", "kratom", 1)),
        ("22", Source("PubMed", "a.xml", "kratom", 2)),
    ]


def test_delete_citation_gives_one_deletion_per_pmid() -> None:
    deletions = (
        "<DeleteCitation><PMID Version='1'>5</PMID><PMID Version='1'>6</PMID></DeleteCitation>"
    )
    items = parse(document(article(pmid="4"), deletions))
    assert items[1:] == [Deletion("5"), Deletion("6")]


def test_record_without_pmid_is_reported_and_the_rest_kept() -> None:
    broken = "<PubmedArticle><MedlineCitation><Article/></MedlineCitation></PubmedArticle>"
    no_article = "<PubmedArticle><MedlineCitation><PMID>9</PMID></MedlineCitation></PubmedArticle>"
    items = parse(document(article(pmid="1"), broken, no_article, article(pmid="3")), file="f.xml")
    assert [getattr(item, "id", None) for item in items] == ["1", None, None, "3"]
    first, second = items[1], items[2]
    assert isinstance(first, ImportProblem) and isinstance(second, ImportProblem)
    assert (first.file, first.position, first.record_id) == ("f.xml", 2, "")
    assert "no PMID" in first.message
    assert (second.position, second.record_id) == (3, "9")
    assert items[3].source.position == 4  # type: ignore[union-attr]


def test_truncated_document_keeps_the_records_before_the_break() -> None:
    xml = document(article(pmid="1"), article(pmid="2"), article(pmid="3"))
    items = parse(xml[: xml.index("<PMID Version='1'>3")], file="cut.xml")
    assert [item.id for item in items[:2]] == ["1", "2"]  # type: ignore[union-attr]
    problem = items[2]
    assert isinstance(problem, ImportProblem)
    assert (problem.file, problem.position) == ("cut.xml", 3)
    assert "the 2 records before it were kept" in problem.message
    assert len(items) == 3


def test_a_break_after_one_record_says_record() -> None:
    """It said "the 1 records before it were kept", and "the 0 records" for none."""
    xml = document(article(pmid="1"), article(pmid="2"))
    items = parse(xml[: xml.index("<PMID Version='1'>2")], file="cut.xml")
    assert isinstance(items[1], ImportProblem)
    assert "; the record before it was kept; fetch or download" in items[1].message


def test_bad_encoding_names_the_line_and_keeps_the_records_before() -> None:
    xml = document(
        article(pmid="1"), "\n" + article(pmid="2", body="<ArticleTitle>BAD</ArticleTitle>")
    )
    items = parse(xml.encode().replace(b"BAD", b"caf\xe9"), file="latin1.xml")
    assert [type(item).__name__ for item in items] == ["Record", "ImportProblem"]
    problem = items[1]
    assert isinstance(problem, ImportProblem)
    assert (problem.file, problem.position) == ("latin1.xml", 2)
    assert "at line 3" in problem.message


class Trickle(io.RawIOBase):
    """A stream that hands out at most `size` bytes a read, as a slow network does."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data, self._size, self._at = data, size, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1, /) -> bytes:
        piece = self._data[self._at : self._at + self._size]
        self._at += len(piece)
        return piece


@pytest.mark.parametrize("size", [1, 3, 7, 200, 1 << 20])
def test_what_a_bad_byte_keeps_does_not_depend_on_how_the_file_is_read(size: int) -> None:
    entries = [
        f"\n{article(pmid=str(n), body=f'<ArticleTitle>日本 café {n}</ArticleTitle>')}"
        for n in range(1, 6)
    ]
    data = document(*entries).encode().replace("café 4".encode(), b"caf\xe9 4")
    items = list(iter_pubmed_xml(Trickle(data, size), lines=True))
    records = [item for item in items if isinstance(item, Record)]
    assert [r.title for r in records] == [f"日本 café {n}" for n in (1, 2, 3)]
    (problem,) = [item for item in items if isinstance(item, ImportProblem)]
    assert problem.position == 6  # the declaration, then <PubmedArticleSet> and a record a line
    assert "not UTF-8 at line 6 (byte 0xE9)" in problem.message
    assert "the 3 records before it were kept" in problem.message


def test_a_document_that_declares_latin1_is_read_as_latin1() -> None:
    xml = document(article(body="<ArticleTitle>BAD</ArticleTitle>"))
    xml = xml.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="ISO-8859-1"?>')
    (record,) = parse(xml.encode().replace(b"BAD", b"caf\xe9"))
    assert isinstance(record, Record)
    assert record.title == "café"


def test_records_before_malformed_markup_in_the_same_read_are_kept() -> None:
    # lxml 6.2's iterparse dropped the records of a read buffer that also held an error.
    xml = document(article(pmid="1"), article(pmid="2"), "<PubmedArticle><oops></PubmedArticle>")
    items = parse(xml)
    assert [item.id for item in items if isinstance(item, Record)] == ["1", "2"]
    assert isinstance(items[-1], ImportProblem)
    assert "the 2 records before it were kept" in items[-1].message


def test_truncated_gzip_keeps_the_records_before_the_break(tmp_path: Path) -> None:
    xml = document(
        *(
            "\n" + article(pmid=str(n), body=f"<ArticleTitle>{n}</ArticleTitle>")
            for n in range(1, 2001)
        )
    )
    packed = gzip.compress(xml.encode())
    path = tmp_path / "cut.xml.gz"
    path.write_bytes(packed[: len(packed) // 2])
    result = read_pubmed_xml(path)
    assert 0 < len(result.records) < 2000
    assert [r.id for r in result.records] == [str(n) for n in range(1, len(result.records) + 1)]
    assert len(result.problems) == 1
    problem = result.problems[0]
    last_line = 2 + len(result.records)  # declaration, <PubmedArticleSet>, one article a line
    assert problem.position == last_line
    assert f"after the record at line {last_line}" in problem.message
    assert f"the {len(result.records)} records before it were kept" in problem.message


def test_a_file_reports_problems_at_lines_naming_the_record(tmp_path: Path) -> None:
    broken = "<PubmedArticle><MedlineCitation><Article/></MedlineCitation></PubmedArticle>"
    xml = document("\n" + article(pmid="1"), "\n\n" + broken, "\n" + article(pmid="3") + "\n")
    path = tmp_path / "mixed.xml"
    path.write_bytes(xml.encode() + b"<PubmedArticle>caf\xe9</PubmedArticle>")
    result = read_pubmed_xml(path)
    assert [r.id for r in result.records] == ["1", "3"]
    skipped, broken_off = result.problems
    assert (skipped.file, skipped.position) == ("mixed.xml", 5)
    assert skipped.message == "record 2: PubmedArticle has no PMID; record skipped"
    assert broken_off.position == 7
    assert "at line 7" in broken_off.message
    # Only records that were read count as kept, not the skipped one.
    assert "the 2 records before it were kept" in broken_off.message


@pytest.mark.parametrize(
    "xml",
    [
        "",
        "<eSearchResult><ERROR>Search Backend failed</ERROR></eSearchResult>",
        "<html><body>Service unavailable</body></html>",
    ],
)
def test_non_pubmed_documents_are_one_problem(xml: str) -> None:
    items = parse(xml, file="x.xml")
    assert len(items) == 1
    assert isinstance(items[0], ImportProblem)
    assert items[0].file == "x.xml"
    assert "line 0" not in items[0].message


def test_each_record_is_freed_once_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # Constant memory: once a record is read, it is emptied and every record before
    # it is gone from the tree. (Records after it may already be parsed: lxml
    # reads ahead by a buffer's worth, which is bounded whatever the file's size.)
    release = pubmed_xml._release
    left_under_root: list[int] = []

    def checked_release(element: Any) -> None:
        release(element)
        assert len(element) == 0
        assert element.getprevious() is None
        left_under_root.append(len(element.getparent()))

    monkeypatch.setattr(pubmed_xml, "_release", checked_release)
    entries = [article(pmid=str(n), body="<ArticleTitle>t</ArticleTitle>") for n in range(1, 3001)]
    items = parse(document(*entries, "<DeleteCitation><PMID>9</PMID></DeleteCitation>"))
    assert len(items) == 3001
    assert len(left_under_root) == 3001
    assert max(left_under_root) < 1000


def test_read_detects_gzip_by_content_not_name(tmp_path: Path) -> None:
    xml = document(article(pmid="7"), "<DeleteCitation><PMID>8</PMID></DeleteCitation>")
    plain, packed = tmp_path / "plain.xml", tmp_path / "packed.xml"
    plain.write_text(xml)
    packed.write_bytes(gzip.compress(xml.encode()))
    for path in (plain, packed):
        result = read_pubmed_xml(path, database="MyPubMed")
        assert [r.id for r in result.records] == ["7"]
        assert result.records[0].source == Source("MyPubMed", path.name, "", 1)
        assert (result.problems, result.deleted_pmids) == ((), ("8",))


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_pubmed_xml(tmp_path / "absent.xml")


# --- hostile input -------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<PubmedArticleSet>ARTICLES</PubmedArticleSet>
"""


def test_entity_expansion_attack_is_refused_and_reported() -> None:
    hostile = article("<ArticleTitle>Laugh &lol9;</ArticleTitle>", pmid="1")
    items = parse(BILLION_LAUGHS.replace("ARTICLES", hostile + article(pmid="2")))
    # 10**9 "lol"s would be 3 GB; libxml2 refuses the document instead.
    assert len(items) == 1
    assert isinstance(items[0], ImportProblem)
    assert "no record came before it" in items[0].message


def test_small_internal_entities_stay_unexpanded() -> None:
    hostile = article("<ArticleTitle>Laugh &lol3;</ArticleTitle>", pmid="1")
    items = parse(BILLION_LAUGHS.replace("ARTICLES", hostile + article(pmid="2")))
    assert [getattr(item, "title", item) for item in items] == ["Laugh &lol3;", ""]


def test_external_entities_and_dtds_are_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    dtd = tmp_path / "local.dtd"
    dtd.write_text('<!ENTITY fromdtd "DTD WAS LOADED">')
    xml = (
        f'<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet SYSTEM "{dtd.as_uri()}" [\n'
        f' <!ENTITY xxe SYSTEM "{secret.as_uri()}">\n]>\n'
        + "<PubmedArticleSet>"
        + article("<ArticleTitle>A &xxe; B</ArticleTitle>")
        + "</PubmedArticleSet>"
    )
    record = only_record(xml)
    assert "SECRET" not in record.title
    assert record.title == "A &xxe; B"


def test_no_network_access_for_a_remote_dtd() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        xml = (
            '<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD X//EN" '
            f'"http://127.0.0.1:{port}/pubmed_250101.dtd">\n'
            + document(article(pmid="5")).split("\n", 1)[1]
        )
        assert [getattr(item, "id", None) for item in parse(xml)] == ["5"]
        # A client that had connected would be waiting in the listen queue.
        server.setblocking(False)
        with pytest.raises(BlockingIOError):
            server.accept()


def test_the_network_probe_sees_a_client_that_connects() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            server.settimeout(2)
            connection, _ = server.accept()
            connection.close()


# --- the whole NLM update file -----------------------------------------------------


@pytest.mark.shared
def test_all_records_of_an_nlm_update_file_parse(shared_dir: Path) -> None:
    path = shared_dir / "data" / "pubmed" / "pubmed21n1298.xml.gz"
    count = 0
    pmids: set[str] = set()
    deleted: list[str] = []
    problems = []
    with gzip.open(path, "rb") as stream:
        for item in iter_pubmed_xml(stream, file=path.name):
            if isinstance(item, Record):
                count += 1
                pmids.add(item.pmid)
                assert item.source.position == count
                assert item.title or item.journal, item.id
            elif isinstance(item, Deletion):
                deleted.append(item.pmid)
            else:
                problems.append(item)
    assert problems == []
    assert count == 20788
    # An update file carries a record again when NLM revised it again: 5 repeats here.
    assert len(pmids) == 20783
    assert len(deleted) == 20
    assert deleted[0] == "31688362"


# --- normalisers (hypothesis) ---------------------------------------------------------

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
SEASONS = ["Spring", "Summer", "Autumn", "Fall", "Winter", "1st Quarter", "3rd Quarter"]
years = st.integers(min_value=1000, max_value=2999)
month_or_season = st.sampled_from(MONTHS + SEASONS)


@st.composite
def medline_dates(draw: st.DrawFn) -> tuple[str, int]:
    first = draw(years)
    shape = draw(st.integers(0, 5))
    a, b = draw(month_or_season), draw(month_or_season)
    later = draw(years)
    text = [
        f"{first} {a}-{b}",
        f"{first} {a}-{later} {b}",
        f"{first}-{later}",
        f"{a} {first}",
        f"{a}-{b} {first}",
        f"{first} {a} {draw(st.integers(1, 31)):02d}",
    ][shape]
    return text, first


@NO_DEADLINE
@given(medline_dates())
def test_medline_date_year_is_the_first_year(case: tuple[str, int]) -> None:
    text, year = case
    assert pub_date_year(text) == year


def test_medline_date_examples() -> None:
    assert pub_date_year("1998 Dec-1999 Jan") == 1998
    assert pub_date_year("2021 3rd Quarter") == 2021
    assert pub_date_year("2021 Apr-Jun 01") == 2021
    assert pub_date_year("Winter 2000") == 2000
    assert pub_date_year("Spring") is None
    assert pub_date_year("12345") is None


@NO_DEADLINE
@given(st.text(alphabet="0123456789", min_size=15, max_size=15), st.sampled_from("0123456789X"))
def test_orcid_in_any_written_form_normalises_to_the_bare_form(digits: str, check: str) -> None:
    raw = digits + check
    bare = f"{raw[0:4]}-{raw[4:8]}-{raw[8:12]}-{raw[12:16]}"
    for written in (bare, raw, f"https://orcid.org/{bare}", f"http://orcid.org/{raw}", f" {bare} "):
        assert normalise_orcid(written) == bare
    assert normalise_orcid(bare.lower()) == bare


def test_orcid_that_is_a_digit_short_is_dropped() -> None:
    assert normalise_orcid("0000-0002-1825-009") == ""
    assert normalise_orcid("") == ""


@NO_DEADLINE
@given(st.from_regex(r"10\.[0-9]{4,5}/[A-Za-z0-9.()/;:_-]{1,30}", fullmatch=True))
def test_doi_survives_prefixes(doi: str) -> None:
    for written in (doi, f"doi:{doi}", f"https://doi.org/{doi}", f" {doi} "):
        assert normalise_doi(written) == doi


@NO_DEADLINE
@given(st.integers(min_value=1, max_value=99_999_999))
def test_pmcid_forms(number: int) -> None:
    for written in (f"PMC{number}", f"pmc{number}", str(number)):
        assert normalise_pmcid(written) == f"PMC{number}"
    assert normalise_pmcid(f"PMC{number}x") == ""


@NO_DEADLINE
@given(st.text())
def test_squeeze_collapses_xml_whitespace_only(text: str) -> None:
    squeezed = squeeze(text)
    assert squeezed == " ".join(part for part in _xml_split(text) if part)
    assert squeeze(squeezed) == squeezed


def _xml_split(text: str) -> list[str]:
    for space in "\t\n\r":
        text = text.replace(space, " ")
    return text.split(" ")


# --- generated articles (hypothesis) ------------------------------------------------

# Text that XML 1.0 can carry: no control characters, no surrogates.
xml_text = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc"),
        blacklist_characters="\ufffe\uffff",
    ),
    max_size=40,
).map(squeeze)
LETTERS: tuple[Literal["L"]] = ("L",)
names = st.text(alphabet=st.characters(whitelist_categories=LETTERS), min_size=1, max_size=12)


orcids = st.from_regex(r"[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]", fullmatch=True)


@st.composite
def generated_authors(draw: st.DrawFn) -> tuple[str, Author]:
    if draw(st.booleans()):
        name = draw(xml_text.filter(bool))
        return f"<Author><CollectiveName>{escape(name)}</CollectiveName></Author>", Author(
            collective=name
        )
    family, given = draw(names), draw(names)
    orcid = draw(st.none() | orcids)
    identifier = (
        f"<Identifier Source='ORCID'>https://orcid.org/{orcid}</Identifier>" if orcid else ""
    )
    xml = (
        f"<Author ValidYN='Y'><LastName>{family}</LastName><ForeName>{given}</ForeName>"
        f"<Initials>{given[0]}</Initials>{identifier}"
        "<AffiliationInfo><Affiliation>Somewhere</Affiliation>"
        "<Identifier Source='GRID'>grid.1.1</Identifier></AffiliationInfo></Author>"
    )
    return xml, Author(family, given, given[0], "", orcid or "")


@st.composite
def generated_mesh(draw: st.DrawFn) -> tuple[str, MeshHeading]:
    descriptor, major = draw(xml_text.filter(bool)), draw(st.booleans())
    qualifiers = draw(st.lists(st.tuples(names, st.booleans()), max_size=2))
    xml = f"<MeshHeading><DescriptorName UI='D1' MajorTopicYN='{'Y' if major else 'N'}'>"
    xml += escape(descriptor) + "</DescriptorName>"
    xml += "".join(
        f"<QualifierName MajorTopicYN='{'Y' if q_major else 'N'}'>{name}</QualifierName>"
        for name, q_major in qualifiers
    )
    heading = MeshHeading(
        descriptor, major, tuple(MeshQualifier(name, q_major) for name, q_major in qualifiers), "D1"
    )
    return xml + "</MeshHeading>", heading


@st.composite
def generated_articles(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    pmid = str(draw(st.integers(1, 99_999_999)))
    before, italic, after = draw(xml_text), draw(xml_text), draw(xml_text)
    authors = draw(st.lists(generated_authors(), max_size=4))
    sections = draw(st.lists(st.tuples(xml_text.filter(bool), names), max_size=3))
    mesh = draw(st.lists(generated_mesh(), max_size=3))
    if draw(st.booleans()):
        written, year = draw(medline_dates())
        pub_date = f"<MedlineDate>{written}</MedlineDate>"
    else:
        year = draw(st.integers(1800, 2100))
        month = draw(st.sampled_from(MONTHS))
        pub_date, written = f"<Year>{year}</Year><Month>{month}</Month>", f"{year} {month}"
    keywords = draw(st.lists(xml_text.filter(bool), max_size=3))
    doi = draw(st.from_regex(r"10\.[0-9]{4}/[a-z0-9.]{1,10}", fullmatch=True))
    abstract = "".join(
        f"<AbstractText Label={quoteattr(label)}>{escape(text)}</AbstractText>"
        for text, label in sections
    )
    title = f"{escape(before)} <i>{escape(italic)}</i> {escape(after)}"
    body = (
        f"<Journal><JournalIssue><PubDate>{pub_date}</PubDate></JournalIssue>"
        f"<Title>J</Title></Journal><ArticleTitle>{title}</ArticleTitle>"
        f"<Abstract>{abstract}</Abstract>"
        f"<AuthorList>{''.join(xml for xml, _ in authors)}</AuthorList>"
    )
    xml = (
        f"<PubmedArticle><MedlineCitation><PMID>{pmid}</PMID><Article>{body}</Article>"
        f"<MeshHeadingList>{''.join(xml for xml, _ in mesh)}</MeshHeadingList>"
        f"<KeywordList>{''.join(f'<Keyword>{escape(k)}</Keyword>' for k in keywords)}"
        "</KeywordList></MedlineCitation><PubmedData><ArticleIdList>"
        f"<ArticleId IdType='doi'>{doi}</ArticleId></ArticleIdList></PubmedData></PubmedArticle>"
    )
    expected = {
        "id": pmid,
        "title": squeeze(f"{before} {italic} {after}"),
        "authors": [author for _, author in authors],
        "sections": sections,
        "mesh": [heading for _, heading in mesh],
        "year": year,
        "pub_date": written,
        "keywords": keywords,
        "doi": doi,
    }
    return xml, expected


@NO_DEADLINE
@given(st.lists(generated_articles(), min_size=1, max_size=4))
def test_generated_articles_parse_back_field_by_field(
    cases: list[tuple[str, dict[str, Any]]],
) -> None:
    items = parse(document(*(xml for xml, _ in cases)))
    assert len(items) == len(cases)
    for position, (item, (_, want)) in enumerate(zip(items, cases, strict=True), start=1):
        assert isinstance(item, Record)
        assert (item.id, item.pmid, item.source.position) == (want["id"], want["id"], position)
        assert item.title == want["title"]
        assert list(item.authors) == want["authors"]
        assert [(s.text, s.label) for s in item.abstract] == want["sections"]
        assert list(item.mesh) == want["mesh"]
        assert (item.year, item.pub_date) == (want["year"], want["pub_date"])
        assert list(item.keywords) == want["keywords"]
        assert item.doi == want["doi"]
