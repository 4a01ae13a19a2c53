"""Format-level normalisers: names, years, abstract labels, formula cells."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from review.formats.fields import (
    abstract_sections,
    format_person,
    initials_of,
    is_initials,
    join_authors,
    parse_person,
    parse_year,
    split_authors,
)
from review.formats.table import neutralise, unneutralise
from review.formats.textfile import text_lines
from review.records import AbstractSection, Author, Record, Source

capital_word = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from("ABCDEFGHKLMNPRSTWÉÖ"),
    st.text(string.ascii_lowercase + "éüñø-'", min_size=1, max_size=8).filter(
        lambda w: w[0].isalpha() and w[-1].isalpha()
    ),
)


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("2020", 2020),
        ("2020 Jan 5", 2020),
        ("1998 Dec-1999 Jan", 1998),
        ("2008/05/01", 2008),
        ("Spring 2001", 2001),
        ("2013.0", 2013),
        ("NOV-DEC", None),
        ("", None),
        ("12345", None),
    ],
)
def test_parse_year(text: str, year: int | None) -> None:
    assert parse_year(text) == year


@given(st.integers(1500, 2199), st.text(" ABCDEFGHIJKLMNOPQRSTUVWXYZabc-/", max_size=8))
def test_parse_year_finds_the_year_after_month_text(year: int, prefix: str) -> None:
    assert parse_year(f"{prefix} {year} Jan") == year


@pytest.mark.parametrize(
    ("name", "author"),
    [
        ("Smith, Kirsten E", Author(family="Smith", given="Kirsten E", initials="KE")),
        ("Smith KE", Author(family="Smith", initials="KE")),
        ("Smith K.E.", Author(family="Smith", initials="KE")),
        ("Smith K. E.", Author(family="Smith", initials="KE")),
        ("van der Berg KE", Author(family="van der Berg", initials="KE")),
        ("K E Smith", Author(family="Smith", initials="KE")),
        ("Zhai, Q. J.", Author(family="Zhai", given="Q. J.", initials="QJ")),
        ("АЗЬМУК, Н. А.", Author(family="АЗЬМУК", given="Н. А.", initials="НА")),
        ("Li, Li", Author(family="Li", given="Li", initials="L")),
        ("World Health Organization", Author(collective="World Health Organization")),
        # Names run together by an export are not one person; the dedup stage splits them.
        ("Przyklenk K.Kloner R. A.", Author(collective="Przyklenk K.Kloner R. A.")),
        ("FeldmanG.M.", Author(collective="FeldmanG.M.")),
        ("", Author()),
    ],
)
def test_parse_person(name: str, author: Author) -> None:
    assert parse_person(name) == author


@given(
    st.lists(capital_word, min_size=1, max_size=3).map(" ".join),
    st.lists(capital_word, min_size=1, max_size=3).map(" ".join),
)
def test_family_given_round_trips(family: str, given_name: str) -> None:
    author = Author(family=family, given=given_name, initials=initials_of(given_name))
    assert parse_person(format_person(author)) == author


@given(capital_word, st.text("ABCDEFGHJKLMNPRSTW", min_size=1, max_size=4))
def test_family_initials_round_trips(family: str, initials: str) -> None:
    author = Author(family=family, initials=initials)
    assert parse_person(format_person(author)) == author
    assert parse_person(f"{family} {initials}") == author
    assert parse_person(f"{family} {'. '.join(initials)}.") == author


@given(st.lists(capital_word, min_size=2, max_size=5).map(" ".join))
def test_group_names_stay_whole(name: str) -> None:
    assert parse_person(name) == Author(collective=name)


def test_is_initials() -> None:
    assert all(is_initials(t) for t in ["KE", "K.", "R. A.", "K.E.", "J-P", "Н. А."])
    assert not any(is_initials(t) for t in ["Li", "Kirsten E", "ABCDE", "", "K1"])


def test_split_authors_by_semicolon_or_and() -> None:
    assert split_authors("Zuna, R E and Wang, S S") == (
        Author(family="Zuna", given="R E", initials="RE"),
        Author(family="Wang", given="S S", initials="SS"),
    )
    assert split_authors("Reimer, E J; Dunn, G S;") == (
        Author(family="Reimer", given="E J", initials="EJ"),
        Author(family="Dunn", given="G S", initials="GS"),
    )
    assert split_authors("  ") == ()


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS", "AIMS/GOALS"]),
            st.text(string.ascii_letters + " .,;", min_size=1).map(str.strip).filter(bool),
        ),
        min_size=2,
        max_size=5,
    )
)
def test_labelled_abstract_round_trips_through_text(parts: list[tuple[str, str]]) -> None:
    sections = tuple(AbstractSection(text=text, label=label) for label, text in parts)
    record = Record(id="x", source=Source("PubMed"), abstract=sections)
    assert abstract_sections(record.abstract_text) == sections


def test_unlabelled_abstract_stays_one_section() -> None:
    text = "BACKGROUND/AIMS: The large intestine secretes."
    assert abstract_sections(text) == (AbstractSection(text),)


@given(st.text())
def test_neutralise_round_trips_and_never_leaves_a_formula(cell: str) -> None:
    written = neutralise(cell)
    assert unneutralise(written) == cell
    assert not written.startswith(("=", "+", "-", "@", "\t", "\r"))


@given(st.lists(st.text(alphabet=st.characters(exclude_characters="\r\n")), min_size=1))
def test_text_lines_split_only_at_line_ends(lines: list[str]) -> None:
    assert text_lines("\n".join(lines) + "\n") == lines
    assert text_lines("\r\n".join(lines) + "\r\n") == lines


def test_cells_of_given_first_names() -> None:
    assert split_authors("Samuel Obeng; Victoria LC Pallares; Francisco León") == (
        Author(family="Obeng", given="Samuel", initials="S"),
        Author(family="Pallares", given="Victoria LC", initials="VLC"),
        Author(family="León", given="Francisco", initials="F"),
    )
    # One name with a middle initial is a person; without one it may be a group.
    assert split_authors("Kirsten E Smith") == (
        Author(family="Smith", given="Kirsten E", initials="KE"),
    )
    assert split_authors("World Health Organization") == (
        Author(collective="World Health Organization"),
    )
    assert split_authors("{Kratom Study}; {Opioid Group}") == (
        Author(collective="Kratom Study"),
        Author(collective="Opioid Group"),
    )


person_or_group = st.one_of(
    st.builds(
        lambda family, given_name: Author(
            family=family, given=given_name, initials=initials_of(given_name)
        ),
        capital_word,
        st.lists(capital_word, min_size=1, max_size=2).map(" ".join),
    ),
    st.builds(
        lambda words: Author(collective=" ".join(words)),
        st.lists(capital_word, min_size=1, max_size=4),
    ),
)


@given(st.lists(person_or_group, max_size=5).map(tuple))
def test_author_cells_round_trip(authors: tuple[Author, ...]) -> None:
    assert split_authors(join_authors(authors)) == authors
