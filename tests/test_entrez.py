"""The E-utilities client: requests, response checks, rate limit, retries, full retrieval."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from eutils_fixtures import API_KEY, EMAIL, STALLED_READ_TIMEOUT, FakeClock, make_client
from eutils_server import FAULTS, EutilsServer, Hit, make_corpus, spread_hits
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from review import entrez
from review.entrez import (
    ESEARCH_WINDOW,
    EutilsSettings,
    RateLimiter,
    RetryPolicy,
    TransientFailure,
    build_request,
    classify_response,
    collect_pmids,
    parse_esearch,
    split_pubmed_articles,
)
from review.errors import IncompleteRetrieval, QueryError, RetriesExhausted

FIXTURES = Path(__file__).parent / "fixtures" / "eutils"
SETTINGS = EutilsSettings(base_url="http://eutils.test/", api_key=API_KEY, email=EMAIL)


def test_public_names_are_listed() -> None:
    assert all(hasattr(entrez, name) for name in entrez.__all__)


# --- build_request (pure) --------------------------------------------------------------


def test_build_request_adds_tool_email_and_api_key() -> None:
    request = build_request(SETTINGS, "esearch", {"db": "pubmed", "term": "kratom"})
    assert request.method == "GET"
    assert request.url == "http://eutils.test/esearch.fcgi"
    assert dict(request.params) == {
        "db": "pubmed",
        "term": "kratom",
        "tool": "review",
        "email": EMAIL,
        "api_key": API_KEY,
    }


def test_build_request_leaves_out_empty_email_and_key() -> None:
    request = build_request(EutilsSettings(), "esearch", {"term": "x", "mindate": ""})
    assert dict(request.params) == {"term": "x", "tool": "review"}
    assert request.url == "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/esearch.fcgi"


def test_build_request_posts_past_200_ids_and_gets_below() -> None:
    ids = [str(n) for n in range(1, 202)]
    assert build_request(SETTINGS, "efetch", {"db": "pubmed"}, ids=ids[:20]).method == "GET"
    posted = build_request(SETTINGS, "efetch", {"db": "pubmed"}, ids=ids)
    assert posted.method == "POST"
    assert posted.param("id") == ",".join(ids)


def test_build_request_posts_a_long_query() -> None:
    request = build_request(SETTINGS, "esearch", {"term": "kratom OR " * 200})
    assert request.method == "POST"


def test_secrets_never_reach_cache_key_public_params_or_repr() -> None:
    request = build_request(SETTINGS, "esearch", {"db": "pubmed", "term": "kratom"})
    shown = request.cache_key + repr(request) + repr(request.public_params) + repr(SETTINGS)
    assert API_KEY not in shown
    assert EMAIL not in shown
    anonymous = build_request(
        EutilsSettings(base_url="http://other/"),
        "esearch",
        {
            "db": "pubmed",
            "term": "kratom",
        },
    )
    assert anonymous.cache_key == request.cache_key  # who asks does not change the key


def test_settings_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        EutilsSettings(batch_size=0)
    assert EutilsSettings().requests_per_second == 3
    assert EutilsSettings(api_key="k").requests_per_second == 10


# --- classify_response (pure) ----------------------------------------------------------


def _classify(body: bytes, status: int = 200, utility: entrez.Utility = "esearch") -> str:
    try:
        classify_response(utility, status, {"Content-Type": "text/xml"}, body)
    except TransientFailure:
        return "retry"
    except QueryError:
        return "query error"
    return "good"


def test_real_answers_are_good() -> None:
    for name in ("esearch1.xml", "esearch2.xml", "esearch8.xml", "esearch.error.xml"):
        assert _classify((FIXTURES / name).read_bytes()) == "good", name
    for name in ("pubmed1.xml", "pubmed4.xml", "efetch.pubmedbook.xml"):
        assert _classify((FIXTURES / name).read_bytes(), utility="efetch") == "good", name


@pytest.mark.parametrize(
    ("status", "body", "verdict"),
    [
        (429, b'{"error":"API rate limit exceeded","count":"11"}', "retry"),
        (500, b"", "retry"),
        (502, b"<html>Bad gateway</html>", "retry"),
        (503, b"", "retry"),
        (200, b"", "retry"),
        (200, b"   \n", "retry"),
        (200, b"<eSearchResult><ERROR>Search Backend failed: x</ERROR></eSearchResult>", "retry"),
        (200, b"<eSearchResult><ERROR>Unable to obtain query #1</ERROR></eSearchResult>", "retry"),
        (200, b"<?xml version='1.0'?><eSearchResult><Count>3</Count><IdList><Id>1", "retry"),
        (200, b"<!DOCTYPE html><html><body>Maintenance</body></html>", "retry"),
        (200, b"<html><body><p>down</p></body></html>", "retry"),
        (200, b"<PubmedArticleSet></PubmedArticleSet>", "retry"),  # wrong root for esearch
        (400, b"Bad Request", "query error"),
        (404, b"", "query error"),
        (200, b"<eSearchResult><ERROR>Invalid query</ERROR></eSearchResult>", "query error"),
        (
            200,
            b"<eSearchResult><ERROR>Search Backend failed: 'retstart' cannot be larger "
            b"than 9998.</ERROR></eSearchResult>",
            "query error",
        ),
    ],
)
def test_classify_response(status: int, body: bytes, verdict: str) -> None:
    assert _classify(body, status) == verdict


def test_recorded_invalid_db_error_is_a_query_error() -> None:
    assert _classify((FIXTURES / "esearch.baderror.xml").read_bytes()) == "query error"


def test_truncated_real_answer_is_retried() -> None:
    body = (FIXTURES / "pubmed4.xml").read_bytes()
    assert _classify(body[: len(body) // 2], utility="efetch") == "retry"


def test_html_content_type_is_retried_even_if_it_parses() -> None:
    with pytest.raises(TransientFailure):
        classify_response("esearch", 200, {"Content-Type": "text/html"}, b"<p>busy</p>")


def test_429_retry_after_header_is_read() -> None:
    with pytest.raises(TransientFailure) as caught:
        classify_response("esearch", 429, {"Retry-After": "7"}, b"")
    assert caught.value.retry_after == 7.0


# --- parse_esearch on real answers -------------------------------------------------------


def _parse(name: str) -> entrez.EsearchResult:
    body = (FIXTURES / name).read_bytes()
    root = classify_response("esearch", 200, {}, body)
    request = build_request(SETTINGS, "esearch", {"term": name})
    return parse_esearch(root, request, body, "2025-01-01T00:00:00+00:00")


def test_parse_esearch_reads_count_ids_and_translation() -> None:
    result = _parse("esearch1.xml")
    assert result.count == 63
    assert len(result.pmids) == 20
    assert result.pmids[0] == "41282813"
    assert result.query_translation == '"biopython"[All Fields]'
    assert result.warnings == ()


def test_phrase_not_found_with_results_is_a_warning() -> None:
    result = _parse("esearch.error.xml")
    assert result.count == 5163
    assert result.warnings == ("Phrase not found: fleegle[MeSH Terms]",)


def test_no_hits_is_a_valid_search_with_warnings() -> None:
    result = _parse("esearch8.xml")
    assert result.count == 0
    assert result.pmids == ()
    assert result.warnings == ("Phrase not found: abcXYZ", "No items found.")


def test_field_not_found_is_a_query_error() -> None:
    body = (FIXTURES / "esearch8.xml").read_bytes().replace(b"PhraseNotFound", b"FieldNotFound")
    root = classify_response("esearch", 200, {}, body)
    with pytest.raises(QueryError, match="field in 'abcXYZ'"):
        parse_esearch(root, build_request(SETTINGS, "esearch", {}), body, "")


def test_split_pubmed_articles_keys_articles_and_books_by_pmid() -> None:
    parser = etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False)
    book = etree.fromstring((FIXTURES / "efetch.pubmedbook.xml").read_bytes(), parser)
    assert list(split_pubmed_articles(book)) == ["20301295"]
    two = etree.fromstring((FIXTURES / "efetch.pubmed.xml").read_bytes(), parser)
    articles = split_pubmed_articles(two)
    assert len(articles) == 2
    assert "17284678" in articles
    assert all(xml.startswith(b"<PubmedArticle>") for xml in articles.values())
    reparsed = etree.fromstring(articles["17284678"])
    assert reparsed.findtext("MedlineCitation/PMID") == "17284678"


# --- rate limiter and retry policy (fake clock) ------------------------------------------


def test_rate_limiter_spaces_requests_three_per_second() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(10):
        limiter.wait()
        starts.append(clock.now)
    for first, fourth in zip(starts, starts[3:], strict=False):
        assert fourth - first > 1.0  # never 4 requests within one second
    assert clock.sleeps[0] == pytest.approx(0.35)


def test_rate_limiter_allows_ten_per_second_with_a_key() -> None:
    clock = FakeClock()
    limiter = RateLimiter(
        EutilsSettings(api_key="k").requests_per_second, clock=clock, sleep=clock.sleep
    )
    for _ in range(11):
        limiter.wait()
    assert clock.now - 1000.0 == pytest.approx(1.05)


def test_rate_limiter_does_not_wait_after_a_pause() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, clock=clock, sleep=clock.sleep)
    limiter.wait()
    clock.now += 5
    assert limiter.wait() == 0
    assert clock.sleeps == []


def test_retry_delays_grow_exponentially_with_jitter_and_a_cap() -> None:
    low = RetryPolicy(base=1, cap=30, rand=lambda: 0.0)
    high = RetryPolicy(base=1, cap=30, rand=lambda: 0.999999)
    assert [low.delay(n) for n in range(6)] == [0.5, 1, 2, 4, 8, 15]
    assert [round(high.delay(n)) for n in range(6)] == [1, 2, 4, 8, 16, 30]
    assert low.delay(0, retry_after=7) == 7
    assert low.delay(0, retry_after=1000) == 30


# --- the client against the local server -------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[EutilsServer]:
    corpus = make_corpus(
        [
            ("small", spread_hits(30, 1000, date(2019, 1, 1), date(2020, 12, 31))),
            ("big", spread_hits(25_000, 30_000_000, date(1995, 1, 1), date(2024, 12, 31))),
            (
                "busy day",
                spread_hits(12_000, 20_000_000, date(2010, 5, 5), date(2010, 5, 5))
                + spread_hits(500, 21_000_000, date(2010, 1, 1), date(2010, 12, 31), seed=2),
            ),
        ]
    )
    with EutilsServer(corpus, slow_seconds=30.0) as running:
        yield running


@pytest.fixture(autouse=True)
def clean(server: EutilsServer) -> Iterator[None]:
    server.requests.clear()
    yield
    assert server.pending_faults() == 0
    server.next_fault("esearch")  # never leak faults into the next test


def test_sends_key_email_and_tool_to_ncbi(server: EutilsServer) -> None:
    client = make_client(server)
    client.esearch("small")
    params = server.requests[0].params
    assert (params["api_key"], params["email"], params["tool"]) == (API_KEY, EMAIL, "review")


RETRIED = [f for f in FAULTS if f not in ("400", "bad_key", "invalid", "field_not_found")]


def _stalled(fault: str) -> dict[str, object]:
    """A short read timeout where the server stalls, so the test does not wait long."""
    return {"read_timeout": STALLED_READ_TIMEOUT} if fault == "timeout" else {}


@pytest.mark.parametrize("fault", RETRIED)
def test_each_transient_fault_is_retried(server: EutilsServer, fault: str) -> None:
    sleeps: list[float] = []
    client = make_client(server, retry_sleeps=sleeps, **_stalled(fault))
    server.inject(fault, fault, utility="esearch")
    result = client.esearch("small")
    assert result.count == 30
    assert len(result.pmids) == 30
    assert server.count("esearch") == 3
    assert sleeps == [0.375, 0.75]  # 0.5·2ⁿ, three quarters of it with rand = 0.5


@pytest.mark.parametrize("fault", RETRIED)
def test_each_transient_fault_is_retried_for_efetch(server: EutilsServer, fault: str) -> None:
    client = make_client(server, **_stalled(fault))
    server.inject(fault, utility="efetch")
    fetched = client.efetch_pubmed(["1000", "1001"])
    assert sorted(fetched.articles) == ["1000", "1001"]
    assert server.count("efetch") == 2


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("400", "HTTP 400"),
        ("bad_key", r'NCBI refused the API key \(HTTP 400: \{"error":"API key invalid","api-key'),
        ("invalid", "Invalid db name specified: fleegle"),
        ("field_not_found", "does not know the field in 'xyz'"),
    ],
)
def test_query_errors_are_not_retried(server: EutilsServer, fault: str, message: str) -> None:
    client = make_client(server)
    server.inject(fault, utility="esearch")
    with pytest.raises(QueryError, match=message):
        client.esearch("small")
    assert server.count("esearch") == 1


def test_each_retry_is_announced_in_one_line(server: EutilsServer) -> None:
    notices: list[str] = []
    client = make_client(server, notices=notices)
    server.inject("503", "unable_to_obtain_query", utility="esearch")
    client.esearch("small")
    assert notices == [
        "esearch got HTTP 503; retry 1 of 5 in 0.4 s",
        "esearch got <ERROR>Unable to obtain query #1</ERROR>; retry 2 of 5 in 0.8 s",
    ]


def test_retries_are_bounded(server: EutilsServer) -> None:
    sleeps: list[float] = []
    client = make_client(server, max_retries=3, retry_sleeps=sleeps)
    server.inject("503", "429", "backend_failed", "empty", utility="esearch")
    with pytest.raises(RetriesExhausted, match=r"failed 4 times, last with an empty response"):
        client.esearch("small")
    assert server.count("esearch") == 4
    assert len(sleeps) == 3


def test_requests_wait_for_the_rate_limiter(server: EutilsServer) -> None:
    clock = FakeClock()
    client = make_client(server, clock=clock, api_key="")
    for _ in range(4):
        client.esearch("small")
    assert clock.now - 1000.0 == pytest.approx(3 * 0.35)


def test_efetch_posts_long_id_lists(server: EutilsServer) -> None:
    client = make_client(server)
    ids = [str(n) for n in range(1000, 1030)] + [str(n) for n in range(30_000_000, 30_000_300)]
    fetched = client.efetch_pubmed(ids)
    assert len(fetched.articles) == 330
    logged = server.requests[-1]
    assert logged.method == "POST"
    assert parse_qs(logged.raw.decode())["id"] == [",".join(ids)]


# --- complete retrieval past the window --------------------------------------------------


def test_small_search_takes_one_request(server: EutilsServer) -> None:
    collection = collect_pmids(make_client(server), "small")
    assert collection.esearch_requests == 1
    assert len(collection.pmids) == collection.first.count == 30


def test_more_than_the_window_is_split_by_date(server: EutilsServer) -> None:
    answers: list[entrez.EsearchResult] = []
    collection = collect_pmids(make_client(server), "big", on_answer=answers.append)
    assert collection.first.count == 25_000
    assert len(collection.pmids) == len(set(collection.pmids)) == 25_000
    assert set(collection.pmids) == {str(n) for n in range(30_000_000, 30_025_000)}
    assert all(len(a.pmids) <= ESEARCH_WINDOW for a in answers)
    assert len(answers) == collection.esearch_requests == server.count("esearch")
    retmax = {r.params["retmax"] for r in server.requests}
    assert retmax == {str(ESEARCH_WINDOW)}


def test_split_stays_inside_the_search_dates(server: EutilsServer) -> None:
    collection = collect_pmids(
        make_client(server), "big", mindate="2000", maxdate="2019/06", datetype="pdat"
    )
    assert 9999 < collection.first.count < 25_000
    assert len(collection.pmids) == collection.first.count
    for logged in server.requests:
        assert logged.params["mindate"] >= "2000"
        assert logged.params["maxdate"] <= "2019/06/30"
        assert logged.params["datetype"] == "pdat"


def test_a_day_over_the_window_is_split_by_pmid(server: EutilsServer) -> None:
    collection = collect_pmids(make_client(server), "busy day")
    assert collection.first.count == 12_500
    assert len(collection.pmids) == 12_500
    uid_terms = [r.params["term"] for r in server.requests if "[uid]" in r.params["term"]]
    assert uid_terms
    assert all(t.startswith("(busy day) AND ") for t in uid_terms)


def test_a_server_that_ignores_retmax_fails_loudly(server: EutilsServer) -> None:
    # The recorded "biopython" answer counts 63 but lists 20 IDs.
    with pytest.raises(IncompleteRetrieval, match="returned 20 PMIDs but counts 63"):
        collect_pmids(make_client(server), "biopython")


def test_hits_outside_the_split_range_fail_loudly(server: EutilsServer) -> None:
    server.corpus.add_search(
        "ancient",
        [
            *spread_hits(10_000, 5_000_000, date(1990, 1, 1), date(2000, 1, 1)),
            Hit(1, date(1650, 1, 1)),
        ],
    )
    with pytest.raises(
        IncompleteRetrieval, match="collected 10000 distinct PMIDs but PubMed counts 10001"
    ):
        collect_pmids(make_client(server), "ancient")


# --- the splitting arithmetic (properties) -----------------------------------------------


def _covers_exactly(parts: list[tuple[int, int]], low: int, high: int) -> bool:
    expected = low
    for first, last in parts:
        if first != expected or last < first:
            return False
        expected = last + 1
    return expected == high + 1


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(10_000, 10**7))
def test_number_split_covers_the_range_without_overlap(low: int, width: int, count: int) -> None:
    parts = entrez._split_numbers(low, low + width, count)
    assert _covers_exactly(parts, low, low + width)
    assert len(parts) >= min(2, width + 1)


@given(
    st.integers(1, 10**6),
    st.integers(1, 10**6),
    st.integers(10_000, 10**6),
    st.lists(st.integers(0, 3 * 10**6), max_size=300),
)
def test_sample_split_covers_the_range_without_overlap(
    low: int, width: int, count: int, sample: list[int]
) -> None:
    parts = entrez._split_by_sample(low, low + width, count, [str(n) for n in sample])
    assert _covers_exactly(parts, low, low + width)
    assert len(parts) >= min(2, width + 1)


@given(
    st.dates(date(1700, 1, 1), date(2100, 1, 1)), st.integers(0, 60_000), st.integers(10_000, 10**6)
)
def test_date_split_covers_the_range_newest_first(start: date, days: int, count: int) -> None:
    end = date.fromordinal(start.toordinal() + days)
    parts = entrez._split_range(start, end, count)[::-1]
    as_numbers = [(a.toordinal(), b.toordinal()) for a, b in parts]
    assert _covers_exactly(as_numbers, start.toordinal(), end.toordinal())


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [
        ("2019", False, date(2019, 1, 1)),
        ("2019", True, date(2019, 12, 31)),
        ("2020/02", True, date(2020, 2, 29)),
        ("2020/02/03", True, date(2020, 2, 3)),
    ],
)
def test_protocol_dates_cover_whole_periods(text: str, end: bool, expected: date) -> None:
    assert entrez._parse_date(text, end=end) == expected


@given(st.binary(max_size=400), st.sampled_from([200, 200, 200, 302, 404, 429, 500]))
def test_any_answer_is_good_retried_or_a_query_error(body: bytes, status: int) -> None:
    for utility in ("esearch", "efetch"):
        with contextlib.suppress(TransientFailure, QueryError):  # anything else fails
            classify_response(utility, status, {}, body)


@given(st.text(max_size=60), st.sampled_from(["eSearchResult", "eFetchResult", "ERROR"]))
def test_any_error_document_is_retried_or_a_query_error(message: str, root: str) -> None:
    from xml.sax.saxutils import escape

    body = f"<{root}><ERROR>{escape(message)}</ERROR></{root}>".encode()
    if root == "ERROR":
        body = f"<ERROR>{escape(message)}</ERROR>".encode()
    with pytest.raises((TransientFailure, QueryError)):
        classify_response("esearch", 200, {}, body)


def test_a_stored_esearch_answer_reads_back_or_is_ignored() -> None:
    request = build_request(SETTINGS, "esearch", {"term": "biopython"})
    body = (FIXTURES / "esearch1.xml").read_bytes()
    stored = entrez.stored_esearch(request, body, "2025-01-01T00:00:00+00:00")
    assert stored is not None
    assert (stored.count, stored.received_at) == (63, "2025-01-01T00:00:00+00:00")
    assert entrez.stored_esearch(request, body[:100], "t") is None  # damaged: ask again
