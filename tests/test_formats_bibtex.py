"""BibTeX import (Zotero, Scopus) and export."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review.formats import read_records, write_records
from review.records import AbstractSection, Author, ImportProblem, Record, Source


def test_zotero_export(formats_dir: Path) -> None:
    result = read_records(formats_dir / "zotero.bib")
    assert result.problems == ()
    article, book = result.records
    assert article.id == "smith_assessment_2022"
    assert article.source == Source("zotero", file="zotero.bib", position=1)
    # Braces that protect capitals are LaTeX, not text.
    assert article.title == (
        "Assessment of Kratom Use Disorder and Withdrawal Among an Online Convenience "
        "Sample of US Adults"
    )
    assert article.authors[0] == Author(family="Smith", given="Kirsten E.", initials="KE")
    assert article.authors[-1] == Author(collective="Kratom Study Group")
    assert article.abstract_text.endswith("50% met criteria.")
    assert (article.volume, article.issue, article.pages, article.year) == (
        "16",
        "6",
        "666-670",
        2022,
    )
    assert article.pmid == "35220331"
    assert article.doi == "10.1097/ADM.0000000000000986"
    assert article.keywords == ("Adult", "Humans", "Mitragyna")
    assert article.languages == ("eng",)
    assert article.extra == (("issn", "1935-3227"), ("month", "nov"))
    assert book.entry_type == "book"
    assert book.authors == (Author(collective="World Health Organization"),)
    assert ("address", "Genève") in book.extra


def test_scopus_export(formats_dir: Path) -> None:
    first, second = read_records(formats_dir / "scopus.bib").records
    assert first.source.database == "Scopus"
    assert first.authors[1] == Author(family="León", given="Francisco", initials="F")
    assert first.pages == "1063-1068"
    assert first.journal_abbrev == "ACS Pharmacol. Transl. Sci."
    assert first.publication_types == ("Article",)
    assert first.keywords == ("7-hydroxymitragynine", "kratom", "opioid receptor")
    # URLs are verbatim: "%2f" and "&" are not LaTeX.
    assert first.url.endswith("doi=10.1021%2facsptsci.0c00075&partnerID=40&md5=0")
    assert second.id == "Chakraborty202116553"


@pytest.mark.parametrize(
    ("name", "author"),
    [
        ("Smith, Kirsten E.", Author(family="Smith", given="Kirsten E.", initials="KE")),
        ("Kirsten E. Smith", Author(family="Smith", given="Kirsten E.", initials="KE")),
        ("van der Berg, Hans", Author(family="van der Berg", given="Hans", initials="H")),
        ("Smith KE", Author(family="Smith", initials="KE")),
        ("Zhai, Q. J.", Author(family="Zhai", given="Q. J.", initials="QJ")),
        (r"M{\"u}ller, J{\"o}rg", Author(family="Müller", given="Jörg", initials="J")),
        ("{Kratom and Opioid Group}", Author(collective="Kratom and Opioid Group")),
    ],
)
def test_author_names(tmp_path: Path, name: str, author: Author) -> None:
    path = tmp_path / "one.bib"
    path.write_text("@article{k, author = {" + name + " and Doe J}}\n", encoding="utf-8")
    (record,) = read_records(path).records
    assert record.authors == (author, Author(family="Doe", initials="J"))


def test_malformed_entry_in_the_middle_is_reported_and_others_kept(tmp_path: Path) -> None:
    path = tmp_path / "mixed.bib"
    path.write_text(
        "@article{a, title = {First}}\n"
        "\n"
        "@article{b,\n  title = {Unclosed,\n  year = 2020\n"
        "@article{c, title = {Third}}\n"
        "@article{a, title = {Fourth, same key as the first}}\n",
        encoding="utf-8",
    )
    result = read_records(path)
    assert [(r.id, r.title, r.source.position) for r in result.records] == [
        ("a", "First", 1),
        ("c", "Third", 3),
        ("mixed:4", "Fourth, same key as the first", 4),
    ]
    assert result.problems == (
        ImportProblem(
            "mixed.bib",
            3,
            "entry cannot be read: Unexpected block start: `@article`. "
            "Was still looking for field-value closing `}`; skipped",
        ),
        ImportProblem(
            "mixed.bib", 7, "duplicate key 'a'; entry kept as 'mixed:4'", record_id="a", kept=True
        ),
    )


def test_export_and_import_keep_every_field_bibtex_holds(tmp_path: Path) -> None:
    record = Record(
        id="smith2020",
        source=Source("Embase", file="out.bib", position=1),
        title="Kratom & opioids: 50% {braces} $x$ café",
        abstract=(AbstractSection("One paragraph, with 100% of ~ and # and _."),),
        authors=(
            Author(family="Smith", given="Kirsten E", initials="KE"),
            Author(family="Müller", initials="J"),
            Author(family="van der Berg", given="Hans", initials="H"),
            Author(collective="Kratom Study Group"),
        ),
        journal="Addiction",
        journal_abbrev="Addict",
        volume="115",
        issue="1",
        pages="1-9",
        year=2020,
        pub_date="2020-01-05",
        pmid="12345",
        doi="10.1111/add.1",
        pmcid="PMC1",
        isbn="978-3-16-148410-0",
        url="https://example.org/a?b=1&c=%2f",
        entry_type="article",
        publication_types=("Journal Article",),
        keywords=("kratom", "mitragynine"),
        languages=("eng", "ger"),
        extra=(("note", "a note"), ("issn", "1360-0443")),
    )
    path = tmp_path / "out.bib"
    assert write_records([record], path) == 1
    assert "café" in path.read_text(encoding="utf-8")  # UTF-8, not LaTeX accents
    result = read_records(path)
    assert result.problems == ()
    assert result.records == (record,)


def test_repeated_field_keeps_the_first_value_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "twice.bib"
    path.write_text(
        "@article{k,\n  title = {A},\n  issn = {1},\n  issn = {2}\n}\n", encoding="utf-8"
    )
    result = read_records(path)
    assert [(r.id, r.extra) for r in result.records] == [("k", (("issn", "1"),))]
    assert result.problems == (
        ImportProblem(
            "twice.bib", 1, "field issn given twice; the first value is kept", "k", kept=True
        ),
    )


def test_repeated_extras_share_one_field_on_export(tmp_path: Path) -> None:
    record = Record(id="k", source=Source("Embase"), extra=(("SN", "1"), ("SN", "2")))
    path = tmp_path / "out.bib"
    write_records([record], path)
    assert read_records(path).records[0].extra == (("SN", "1; 2"),)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab -`'!?\\{}%&$#_~^\n\r")), max_size=30))
def test_encode_fast_paths_change_nothing(text: str) -> None:
    from review.formats.bibtex import ESCAPES, LATEX_SPECIAL, LIGATURE_START, LINE_BREAKS, encode

    # encode as written before its fast paths (every substitution on every text).
    slow = LATEX_SPECIAL.sub(lambda m: ESCAPES[m[0]], LINE_BREAKS.sub(" ", text))
    slow = LIGATURE_START.sub(lambda m: m[0] + "{}", slow)
    assert encode(text) == slow
