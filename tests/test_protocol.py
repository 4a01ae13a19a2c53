from pathlib import Path

import pytest

from review.errors import ProtocolError
from review.protocol import load_protocol, parse_protocol

REPO = Path(__file__).resolve().parent.parent

MINIMAL = """
schema_version = 1
name = "t"
title = "T"
question = "Q?"
[[searches]]
name = "a"
query = "kratom[tiab]"
"""


def test_kratom_protocol_loads() -> None:
    protocol = load_protocol(REPO / "queries" / "kratom.toml")
    assert [s.name for s in protocol.searches] == ["mitragynine", "kratom-dependence", "cbt"]
    assert all(s.database == "PubMed" for s in protocol.searches)
    assert '"Substance-Related Disorders"[MeSH Terms]' in protocol.search("kratom-dependence").query
    assert protocol.criteria.languages == ("eng",)


def test_query_whitespace_is_folded() -> None:
    text = MINIMAL.replace('"kratom[tiab]"', '"""\nkratom[tiab]\n  OR ketum[tiab]\n"""')
    protocol = parse_protocol(text, Path("p.toml"))
    assert protocol.searches[0].query == "kratom[tiab] OR ketum[tiab]"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("schema_version = 1", "schema_version = 9"),
            "p.toml:2: schema_version: 9 is not supported",
        ),
        (('query = "kratom[tiab]"', 'query = "  "'), "p.toml:8: searches[0].query: is empty"),
        (
            ('query = "kratom[tiab]"', "query = 3"),
            "searches[0].query: expected a string, got a whole number",
        ),
        (('name = "t"', 'name = "t"\ncolour = "red"'), "p.toml:4: colour: unknown key"),
        (('title = "T"', ""), "title: missing; expected a string"),
        (
            ('query = "kratom[tiab]"', 'query = "x"\nmindate = "2020"'),
            "give both mindate and maxdate",
        ),
        (
            ('query = "kratom[tiab]"', 'query = "x"\nmindate = "20"\nmaxdate="2021"'),
            "'20' is not YYYY",
        ),
    ],
)
def test_mistakes_are_one_line_naming_file_and_key(change: tuple[str, str], expected: str) -> None:
    text = MINIMAL.replace(*change)
    with pytest.raises(ProtocolError) as info:
        parse_protocol(text, Path("p.toml"))
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_duplicate_search_name() -> None:
    text = MINIMAL + '[[searches]]\nname = "a"\nquery = "x"\n'
    with pytest.raises(ProtocolError, match="duplicate search name 'a'"):
        parse_protocol(text, Path("p.toml"))


def test_toml_syntax_error_names_line() -> None:
    with pytest.raises(ProtocolError, match=r"p.toml: TOML syntax error: .*line 3"):
        parse_protocol('schema_version = 1\nname = "t"\ntitle = \n', Path("p.toml"))


def test_missing_file() -> None:
    with pytest.raises(ProtocolError, match="no such protocol file"):
        load_protocol("nowhere/none.toml")


def test_reviewers_required_is_read_and_checked() -> None:
    assert parse_protocol(MINIMAL, Path("p.toml")).screening.reviewers_required == 1
    two = parse_protocol(MINIMAL + "[screening]\nreviewers_required = 2\n", Path("p.toml"))
    assert two.screening.reviewers_required == 2
    with pytest.raises(ProtocolError, match=r"p.toml:10: screening.reviewers_required: 0 is not"):
        parse_protocol(MINIMAL + "[screening]\nreviewers_required = 0\n", Path("p.toml"))


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        (("2020/13/45", "2021"), "p.toml:9: searches[0].mindate: '2020/13/45' is not a real date"),
        (("2020/02/30", "2021"), "searches[0].mindate: '2020/02/30' is not a real date"),
        (("2020", "2021/00"), "p.toml:10: searches[0].maxdate: '2021/00' is not a real date"),
        (("0000", "2021"), "searches[0].mindate: '0000' is not a real date"),
        (("2024", "2020"), "p.toml:10: searches[0].maxdate: '2020' is before mindate '2024'"),
        (("2020/06", "2020/05/31"), "'2020/05/31' is before mindate '2020/06'"),
    ],
)
def test_impossible_or_reversed_search_dates_are_one_line(
    dates: tuple[str, str], expected: str
) -> None:
    mindate, maxdate = dates
    text = MINIMAL.replace(
        'query = "kratom[tiab]"',
        f'query = "kratom[tiab]"\nmindate = "{mindate}"\nmaxdate = "{maxdate}"',
    )
    with pytest.raises(ProtocolError) as info:
        parse_protocol(text, Path("p.toml"))
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("mindate", "maxdate"), [("2020", "2020"), ("2020/06", "2020/06/01")])
def test_a_range_of_one_year_or_from_a_month_to_its_first_day_is_fine(
    mindate: str, maxdate: str
) -> None:
    text = MINIMAL.replace(
        'query = "kratom[tiab]"',
        f'query = "kratom[tiab]"\nmindate = "{mindate}"\nmaxdate = "{maxdate}"',
    )
    search = parse_protocol(text, Path("p.toml")).searches[0]
    assert (search.mindate, search.maxdate) == (mindate, maxdate)


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.lstrip().encode())
    assert load_protocol(path).name == "t"


def test_rules_include_nothing_unless_the_protocol_says_so() -> None:
    assert parse_protocol(MINIMAL, Path("p.toml")).criteria.rules_include is False
    said = parse_protocol(MINIMAL + "[criteria]\nrules_include = true\n", Path("p.toml"))
    assert said.criteria.rules_include is True


def test_sources_carry_their_prisma_method() -> None:
    source = '[[sources]]\nfile = "w.csv"\ndatabase = "Websites"\nmethod = "website"\n'
    protocol = parse_protocol(MINIMAL + source, Path("p.toml"))
    assert protocol.sources[0].method == "website"
    plain = parse_protocol(MINIMAL + source.replace('method = "website"\n', ""), Path("p.toml"))
    assert plain.sources[0].method == "database"
    with pytest.raises(ProtocolError, match=r"p.toml:\d+: sources\[0\].method: 'web' is not one"):
        parse_protocol(MINIMAL + source.replace('"website"', '"web"'), Path("p.toml"))
    kratom = load_protocol(Path(__file__).parent.parent / "queries" / "kratom.toml")
    assert {s.database: s.method for s in kratom.sources}["Citation searching"] == (
        "citation-searching"
    )
