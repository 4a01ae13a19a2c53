"""Property tests: export → import keeps every field each format can hold.

Each format gets records built only from what it can hold (RIS has no MeSH,
MEDLINE no database name, BibTeX and RIS no abstract sections, ...); reading
the written file back must give the same records, apart from the source's file
name and position, which name the new file.
"""

from __future__ import annotations

import string
import tempfile
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from review.formats import read_records, write_records
from review.formats.fields import initials_of, parse_year
from review.formats.medline import RELATION_TAGS
from review.records import (
    AbstractSection,
    Author,
    MeshHeading,
    MeshQualifier,
    Record,
    Relation,
    SharedValues,
    Source,
)

ACCENTED = "éèüöñøçåßł"
PUNCTUATION = ".,:()'/&%?!\\{}$#_~^`\"-"
FORMATS = {"csv": ".csv", "ris": ".ris", "bibtex": ".bib", "medline": ".nbib", "jsonl": ".jsonl"}
RELATION_ORDER = list(RELATION_TAGS.values())
PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

lower_word = st.text(string.ascii_lowercase + ACCENTED, min_size=2, max_size=8)
capital_word = st.builds(
    lambda first, rest: first + rest, st.sampled_from("ABCDEFGHKLMNPRSTW"), lower_word
)
plain_word = st.text(string.ascii_letters + string.digits + ACCENTED, min_size=1, max_size=8)
word = st.one_of(
    plain_word,
    st.builds(lambda w, p: w + p, plain_word, st.sampled_from(PUNCTUATION)),
    st.builds(lambda a, b: f"{a}-{b}", plain_word, plain_word),
)
phrase = st.lists(word, min_size=1, max_size=6).map(" ".join)
maybe_phrase = st.one_of(st.just(""), phrase)
list_item = st.lists(st.one_of(plain_word, lower_word), min_size=1, max_size=3).map(" ".join)
items = st.lists(list_item, max_size=3, unique=True).map(tuple)
digits = st.text(string.digits, min_size=1, max_size=6).map(lambda d: str(int(d)))

person = st.one_of(
    st.builds(
        lambda family, given: Author(family=family, given=given, initials=initials_of(given)),
        st.lists(capital_word, min_size=1, max_size=2).map(" ".join),
        st.lists(capital_word, min_size=1, max_size=2).map(" ".join),
    ),
    st.builds(
        lambda family, initials: Author(family=family, initials=initials),
        capital_word,
        st.text("ABCDEFGHJKLMNPRSTW", min_size=1, max_size=3),
    ),
)
collective = st.builds(
    lambda words: Author(collective=" ".join(words)),
    st.lists(capital_word, min_size=2, max_size=4),
)
authors = st.lists(st.one_of(person, person, collective), max_size=4).map(tuple)
pages = st.one_of(
    st.just(""),
    st.builds(lambda a, b: f"{a}-{b}", digits, digits),
    digits.map(lambda d: f"e{d}"),
)
years = st.one_of(st.none(), st.integers(1900, 2030))
doi = st.one_of(st.just(""), st.builds(lambda a, b: f"10.{a}/{b}", digits, plain_word))
isbn = st.one_of(st.just(""), st.just("978-3-16-148410-0"), st.just("0-306-40615-2"))
url = st.one_of(st.just(""), plain_word.map(lambda w: f"https://example.org/{w}?a=1&b=%2f"))
sentence = st.lists(lower_word, min_size=1, max_size=6).map(lambda w: " ".join(w) + ".")
labels = st.sampled_from(["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"])
one_paragraph = st.one_of(st.just(()), st.builds(lambda text: (AbstractSection(text),), sentence))
labelled = st.lists(
    st.builds(lambda label, text: AbstractSection(text, label=label), labels, sentence),
    min_size=2,
    max_size=4,
).map(tuple)
mesh = st.lists(
    st.builds(
        MeshHeading,
        descriptor=st.lists(capital_word, min_size=1, max_size=3).map(" ".join),
        major=st.booleans(),
        qualifiers=st.lists(
            st.builds(MeshQualifier, name=lower_word, major=st.booleans()), max_size=2
        ).map(tuple),
    ),
    max_size=3,
).map(tuple)
relations = st.lists(
    st.builds(
        Relation,
        kind=st.sampled_from(sorted(RELATION_TAGS.values())),
        pmid=st.one_of(st.just(""), digits),
        citation=st.builds(lambda j, y: f"{j}. {y};1(2):3.", capital_word, st.integers(1950, 2030)),
    ),
    max_size=2,
).map(tuple)


@st.composite
def dated(draw: st.DrawFn) -> tuple[int | None, str]:
    year = draw(years)
    if year is None:
        return None, ""
    return year, draw(st.sampled_from(["", f"{year}", f"{year} Jan", f"{year} Dec-{year + 1} Jan"]))


@st.composite
def base_record(draw: st.DrawFn) -> Record:
    year, pub_date = draw(dated())
    return Record(
        id=draw(plain_word),
        source=Source(database=draw(capital_word)),
        title=draw(maybe_phrase),
        authors=draw(authors),
        journal=draw(maybe_phrase),
        journal_abbrev=draw(maybe_phrase),
        volume=draw(st.one_of(st.just(""), digits)),
        issue=draw(st.one_of(st.just(""), digits)),
        pages=draw(pages),
        year=year,
        pub_date=pub_date,
        doi=draw(doi),
        isbn=draw(isbn),
        url=draw(url),
        keywords=draw(items),
        languages=draw(items),
    )


def extra_of(draw: st.DrawFn, keys: list[str]) -> tuple[tuple[str, str], ...]:
    chosen = draw(st.lists(st.sampled_from(keys), max_size=3, unique=True))
    return tuple((key, draw(phrase)) for key in chosen)


@st.composite
def csv_record(draw: st.DrawFn) -> Record:
    record = draw(base_record())
    return replace(
        record,
        abstract=draw(st.one_of(one_paragraph, labelled)),
        pmid=draw(st.one_of(st.just(""), digits)),
        pmcid=draw(st.one_of(st.just(""), digits.map(lambda d: f"PMC{d}"))),
        entry_type=draw(lower_word),
        publication_types=draw(items),
        mesh=draw(mesh),
        relations=draw(relations),
        is_book=draw(st.booleans()),
        extra=extra_of(draw, ["label_included", "notes", "Score", "ID_old"]),
    )


@st.composite
def ris_record(draw: st.DrawFn) -> Record:
    record = draw(base_record())
    pmid = draw(st.one_of(st.just(""), digits))
    database = "PubMed" if pmid else record.source.database
    return replace(
        record,
        source=Source(database),
        abstract=draw(one_paragraph),
        pmid=pmid,
        entry_type=draw(
            st.sampled_from(["article", "book", "inbook", "inproceedings", "phdthesis", "misc"])
        ),
        publication_types=draw(items),
        extra=extra_of(draw, ["N1", "AD", "PB", "CY", "U2", "C1"]),
    )


@st.composite
def bibtex_record(draw: st.DrawFn) -> Record:
    record = draw(base_record())
    return replace(
        record,
        id=draw(st.text(string.ascii_letters + string.digits + "_:-", min_size=1, max_size=12)),
        abstract=draw(one_paragraph),
        pmid=draw(st.one_of(st.just(""), digits)),
        pmcid=draw(st.one_of(st.just(""), digits.map(lambda d: f"PMC{d}"))),
        entry_type=draw(st.sampled_from(["article", "book", "inproceedings", "misc"])),
        publication_types=draw(items),
        extra=extra_of(draw, ["note", "publisher", "issn", "address", "Month"]),
    )


@st.composite
def medline_record(draw: st.DrawFn) -> Record:
    record = draw(base_record())
    pmid = draw(digits)
    is_book = draw(st.booleans()) and bool(record.journal)
    year, pub_date = record.year, record.pub_date
    if parse_year(pub_date) != year:
        pub_date = "" if year is None else str(year)
    orcids = st.one_of(st.just(""), st.just("0000-0002-1825-0097"))
    people = tuple(a if a.collective else replace(a, orcid=draw(orcids)) for a in record.authors)
    return replace(
        record,
        id=pmid,
        source=Source("PubMed"),
        pmid=pmid,
        pub_date=pub_date,
        authors=people,
        abstract=draw(st.one_of(one_paragraph, labelled)),
        pmcid=draw(st.one_of(st.just(""), digits.map(lambda d: f"PMC{d}"))),
        url="",
        entry_type="book" if is_book else "article",
        is_book=is_book,
        publication_types=draw(items),
        mesh=draw(mesh),
        # Biopython groups lines by tag, so relations come back in the tags' order.
        relations=tuple(sorted(draw(relations), key=lambda r: RELATION_ORDER.index(r.kind))),
        extra=extra_of(draw, ["PL", "JID", "SB", "OWN", "STAT", "GR"]),
    )


@st.composite
def jsonl_record(draw: st.DrawFn) -> Record:
    record = draw(csv_record())
    return replace(
        record,
        id=draw(st.text(min_size=1)),
        title=draw(st.text()),
        source=Source(
            database=draw(st.text()),
            file=draw(st.text()),
            search=draw(st.text()),
            position=draw(st.integers(0, 10**6)),
        ),
        abstract=tuple(
            AbstractSection(text=draw(st.text()), label=draw(st.text()), category=draw(st.text()))
            for _ in range(draw(st.integers(0, 2)))
        ),
        extra=tuple(draw(st.lists(st.tuples(st.text(), st.text()), max_size=3))),
    )


def round_trip(records: list[Record], suffix: str) -> tuple[Record, ...]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"out{suffix}"
        assert write_records(records, path) == len(records)
        result = read_records(path)
    assert result.problems == ()
    return result.records


def renamed(records: list[Record], suffix: str) -> list[Record]:
    return [
        replace(r, source=Source(r.source.database, file=f"out{suffix}", position=i))
        for i, r in enumerate(records, start=1)
    ]


def unique_ids(records: list[Record]) -> list[Record]:
    return [replace(r, id=f"{r.id}{i}") for i, r in enumerate(records)]


@PROPERTY_SETTINGS
@given(st.lists(csv_record(), min_size=1, max_size=3))
def test_csv_round_trip(records: list[Record]) -> None:
    # Extra fields become columns, so each record's come back in column order.
    columns = list(dict.fromkeys(key for r in records for key, _ in r.extra))
    expected = [
        replace(r, extra=tuple(sorted(r.extra, key=lambda pair: columns.index(pair[0]))))
        for r in records
    ]
    assert round_trip(records, ".csv") == tuple(renamed(expected, ".csv"))


@PROPERTY_SETTINGS
@given(st.lists(ris_record(), min_size=1, max_size=3))
def test_ris_round_trip(records: list[Record]) -> None:
    assert round_trip(records, ".ris") == tuple(renamed(records, ".ris"))


@PROPERTY_SETTINGS
@given(st.lists(bibtex_record(), min_size=1, max_size=3).map(unique_ids))
def test_bibtex_round_trip(records: list[Record]) -> None:
    assert round_trip(records, ".bib") == tuple(renamed(records, ".bib"))


@PROPERTY_SETTINGS
@given(st.lists(medline_record(), min_size=1, max_size=3))
def test_medline_round_trip(records: list[Record]) -> None:
    assert round_trip(records, ".nbib") == tuple(renamed(records, ".nbib"))


@PROPERTY_SETTINGS
@given(st.lists(jsonl_record(), min_size=1, max_size=3))
def test_jsonl_round_trip_keeps_everything(records: list[Record]) -> None:
    assert round_trip(records, ".jsonl") == tuple(records)


@PROPERTY_SETTINGS
@given(st.lists(jsonl_record(), min_size=1, max_size=3))
def test_shared_values_change_no_record(records: list[Record]) -> None:
    shared = SharedValues()
    assert [shared.record(r) for r in records] == records
