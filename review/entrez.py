"""NCBI E-utilities: the only module of `review` that speaks HTTP.

Layers, each testable on its own:

* `build_request` fills in the parameters NCBI asks for (`tool`, `email`, `api_key`) and
  chooses GET or POST. It does no I/O.
* `classify_response` decides, from status, headers and body alone, whether a response is
  good, a transient failure worth retrying, or a query error that retrying cannot fix.
  NCBI reports many failures with HTTP 200, so the body is always checked.
* `RateLimiter` and `RetryPolicy` are objects with an injectable clock, sleep and random
  source; the caller creates one `RateLimiter` for the whole process.
* `EutilsClient` sends requests through a `requests.Session` the caller owns.
* `collect_pmids` retrieves every PMID of a search past esearch's 9,999-record window,
  splitting by date and, for a single day over the window, by PMID range.

The history server (usehistory/WebEnv) is not used: efetch asks for explicit PMID batches
(POST when long), so every request stands alone and can be retried, skipped because the
cache holds it, or resumed after a kill; a WebEnv expires ("Unable to obtain query #1").

api_key and email are sent to NCBI but never appear in `EutilsRequest.cache_key`,
in `public_params`, in a repr or in an error message, so nothing downstream can store them.
"""

from __future__ import annotations

import calendar
import math
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Final, Literal, TypeVar
from urllib.parse import urlencode

import requests
from lxml import etree

from review import __version__
from review.errors import ApiKeyError, IncompleteRetrieval, QueryError, RetriesExhausted

__all__ = [
    "DEFAULT_BASE_URL",
    "ESEARCH_WINDOW",
    "EsearchResult",
    "EutilsClient",
    "EutilsRequest",
    "EutilsSettings",
    "FetchedArticles",
    "PmidCollection",
    "RateLimiter",
    "RetryPolicy",
    "TransientFailure",
    "batches",
    "build_request",
    "classify_response",
    "collect_pmids",
    "new_session",
    "parse_esearch",
    "split_pubmed_articles",
    "stored_esearch",
]

DEFAULT_BASE_URL: Final = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
# PubMed's esearch returns at most the first 9,999 PMIDs of a result (retstart + retmax).
ESEARCH_WINDOW: Final = 9999
# Parameters that identify the user: sent to NCBI, never cached, logged or shown.
SECRET_PARAMS: Final = frozenset({"api_key", "email"})
# NCBI asks for POST when more than about 200 UIDs are sent; long URLs also fail on
# proxies, so a long query string switches to POST too (as Biopython does).
POST_ID_THRESHOLD: Final = 200
POST_LENGTH_THRESHOLD: Final = 1000
# Without a date limit, a search is split inside these years. A record outside them
# makes the PMID total differ from Count, which fails loudly rather than silently.
EARLIEST_YEAR: Final = 1700
YEARS_AHEAD: Final = 5
MAX_PMID: Final = 99_999_999

Utility = Literal["esearch", "efetch"]
T = TypeVar("T")
DateType = Literal["pdat", "edat", "mdat"]


@dataclass(frozen=True, slots=True)
class EutilsSettings:
    """How to reach E-utilities. email and api_key are optional but NCBI asks for them."""

    base_url: str = DEFAULT_BASE_URL
    tool: str = "review"
    email: str = field(default="", repr=False)
    api_key: str = field(default="", repr=False)
    batch_size: int = 500  # PMIDs per efetch request
    max_retries: int = 5  # retries after the first attempt
    backoff_base: float = 1.0  # seconds before the first retry (before jitter)
    backoff_max: float = 30.0
    connect_timeout: float = 10.0
    read_timeout: float = 120.0

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if self.max_retries < 0:
            raise ValueError("max_retries cannot be negative")

    @property
    def requests_per_second(self) -> float:
        """NCBI's limit: 3 requests/s per IP, 10 with an API key."""
        return 10.0 if self.api_key else 3.0

    def utility_url(self, utility: Utility) -> str:
        return f"{self.base_url.rstrip('/')}/{utility}.fcgi"


@dataclass(frozen=True, slots=True)
class EutilsRequest:
    """One request as it will be sent; `params` includes secrets and is hidden from repr."""

    utility: Utility
    method: Literal["GET", "POST"]
    url: str
    params: tuple[tuple[str, str], ...] = field(repr=False)

    @property
    def public_params(self) -> tuple[tuple[str, str], ...]:
        """The parameters without api_key and email: safe to store and show."""
        return tuple((k, v) for k, v in self.params if k not in SECRET_PARAMS)

    @property
    def cache_key(self) -> str:
        """Identifies the question asked, independent of who asked it and how."""
        kept = sorted((k, v) for k, v in self.public_params if k != "tool")
        return f"{self.utility}?{urlencode(kept)}"

    def param(self, name: str) -> str:
        return next((v for k, v in self.params if k == name), "")


def build_request(
    settings: EutilsSettings,
    utility: Utility,
    params: Mapping[str, str | int],
    ids: Sequence[str] = (),
) -> EutilsRequest:
    """Fill in NCBI's identification parameters and choose the method. No I/O."""
    pairs = [(k, str(v)) for k, v in params.items() if str(v) != ""]
    if ids:
        pairs.append(("id", ",".join(ids)))
    pairs.append(("tool", settings.tool))
    if settings.email:
        pairs.append(("email", settings.email))
    if settings.api_key:
        pairs.append(("api_key", settings.api_key))
    long_query = len(urlencode(pairs)) > POST_LENGTH_THRESHOLD
    method: Literal["GET", "POST"] = "POST" if len(ids) > POST_ID_THRESHOLD or long_query else "GET"
    return EutilsRequest(utility, method, settings.utility_url(utility), tuple(pairs))


class RateLimiter:
    """Spaces requests so the whole process stays under NCBI's per-second limit.

    Create one per process and share it between clients and threads. The interval has a
    5 % margin: Biopython found that exactly 1/3 s still drew 429s from NCBI.
    """

    def __init__(
        self,
        requests_per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if requests_per_second <= 0:
            raise ValueError("requests_per_second must be positive")
        self.interval = 1.05 / requests_per_second
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = -math.inf

    def wait(self) -> float:
        """Block until this caller may send; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.interval
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
        return delay


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter ("equal jitter": half fixed, half random)."""

    max_retries: int = 5
    base: float = 1.0
    cap: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = random.random

    @classmethod
    def from_settings(
        cls,
        settings: EutilsSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
    ) -> RetryPolicy:
        return cls(settings.max_retries, settings.backoff_base, settings.backoff_max, sleep, rand)

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `retry` (0-based)."""
        ceiling = min(self.cap, self.base * 2.0**retry)
        jittered = ceiling / 2 + self.rand() * ceiling / 2
        if retry_after is not None:
            jittered = max(jittered, min(retry_after, self.cap))
        return jittered


class TransientFailure(Exception):
    """A response or connection failure that a later attempt may not repeat."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


# `<ERROR>` texts that NCBI sends with HTTP 200 for load or session trouble.
_TRANSIENT_ERRORS = (
    "search backend failed",
    "unable to obtain query",
    "temporarily unavailable",
    "service unavailable",
    "timeout",
    "timed out",
    "internal error",
)
# ... except these, which describe the request and would fail again.
_DETERMINISTIC_ERRORS = ("retstart", "retmax", "invalid", "cannot be larger")
_API_KEY_REFUSED: Final = re.compile(rb"api[ _-]?key[^a-z]{0,5}(invalid|wrong|not valid)", re.I)
_EXPECTED_ROOTS: Final[Mapping[Utility, str]] = {
    "esearch": "eSearchResult",
    "efetch": "PubmedArticleSet",
}


def _xml_parser() -> etree.XMLParser:
    # Never fetch the DTD or entities named in NCBI's DOCTYPE: offline runs must parse.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


def classify_response(
    utility: Utility, status: int, headers: Mapping[str, str], body: bytes
) -> etree._Element:
    """Return the parsed root of a good response; raise on anything else.

    Raises TransientFailure for what may pass (429, 5xx, failures sent with HTTP 200: an
    `<ERROR>` about the backend or an expired query, an empty body, a truncated document,
    an HTML page) and QueryError for what will not (other 4xx, `<ERROR>Invalid …`).
    """
    if status == 429 or 500 <= status < 600:
        raise TransientFailure(f"HTTP {status}", _retry_after(headers))
    if status != 200:
        if _API_KEY_REFUSED.search(body[:500]):
            # NCBI answers a wrong key with HTTP 400 and {"error":"API key invalid",...}.
            raise ApiKeyError(
                f"NCBI refused the API key (HTTP {status}: {_excerpt(body, 80)}); check "
                "--api-key or NCBI_API_KEY (the key in your NCBI account settings), or "
                "leave it out to search at 3 requests a second."
            )
        raise QueryError(f"NCBI answered HTTP {status}: {_excerpt(body)}")
    if not body.strip():
        raise TransientFailure("an empty response")
    content_type = headers.get("Content-Type", headers.get("content-type", "")).lower()
    head = body.lstrip()[:200].lower()
    if "text/html" in content_type or head.startswith((b"<!doctype html", b"<html")):
        raise TransientFailure("an HTML page where XML was expected (NCBI maintenance?)")
    try:
        root = etree.fromstring(body, _xml_parser())
    except etree.XMLSyntaxError as exc:
        raise TransientFailure(f"a truncated or malformed XML document ({exc})") from None
    errors = [root] if root.tag == "ERROR" else root.findall("ERROR")
    if errors:
        message = "; ".join(" ".join((e.text or "").split()) for e in errors)
        if _is_transient_error(message):
            raise TransientFailure(f"<ERROR>{message}</ERROR>")
        raise QueryError(f"NCBI rejected the request: {message}")
    if root.tag.lower() == "html":
        raise TransientFailure("an HTML page where XML was expected (NCBI maintenance?)")
    expected = _EXPECTED_ROOTS[utility]
    if root.tag != expected:
        raise TransientFailure(f"a <{root.tag}> document where <{expected}> was expected")
    return root


def _is_transient_error(message: str) -> bool:
    # An <ERROR> text we do not recognise is treated as a query error: retrying a
    # deterministic refusal only delays the message, while a transient one that slips
    # through costs one re-run, which resumes from the cache.
    lowered = message.lower()
    if any(marker in lowered for marker in _DETERMINISTIC_ERRORS):
        return False
    return any(marker in lowered for marker in _TRANSIENT_ERRORS)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After", headers.get("retry-after", ""))
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _excerpt(body: bytes, limit: int = 200) -> str:
    text = " ".join(body.decode("utf-8", "replace").split())
    return text[:limit] + ("…" if len(text) > limit else "") if text else "(empty body)"


@dataclass(frozen=True, slots=True)
class EsearchResult:
    """One esearch answer, checked and parsed."""

    count: int
    pmids: tuple[str, ...]
    query_translation: str
    warnings: tuple[str, ...]
    received_at: str  # ISO 8601 UTC, from the response's Date header when present
    request: EutilsRequest
    body: bytes = field(repr=False)


_WARNING_LABELS: Final[Mapping[str, str]] = {
    "PhraseNotFound": "Phrase not found",
    "QuotedPhraseNotFound": "Quoted phrase not found",
    "PhraseIgnored": "Phrase ignored",
    "FieldNotFound": "Field not found",
}


def parse_esearch(
    root: etree._Element, request: EutilsRequest, body: bytes, received_at: str
) -> EsearchResult:
    """Read Count, IdList, QueryTranslation and NCBI's warnings.

    PhraseNotFound is a warning, not an error: PubMed still ran the rest of the query
    and Count describes that (a real answer pairs Count 5163 with PhraseNotFound, another
    Count 0 with "No items found."). The reviewer must see it, so it goes into the log.
    FieldNotFound means a field tag PubMed does not know, so the query that ran is not
    the one written: that is a QueryError.
    """
    count_text = root.findtext("Count")
    if count_text is None or not count_text.strip().isdigit():
        raise TransientFailure("an esearch answer without a Count")
    warnings: list[str] = []
    for element in (*root.iterfind("ErrorList/*"), *root.iterfind("WarningList/*")):
        text = " ".join((element.text or "").split())
        if element.tag == "FieldNotFound":
            raise QueryError(f"PubMed does not know the field in {text!r} (FieldNotFound).")
        label = _WARNING_LABELS.get(element.tag)
        warnings.append(f"{label}: {text}" if label else text or element.tag)
    return EsearchResult(
        count=int(count_text),
        pmids=tuple((e.text or "").strip() for e in root.iterfind("IdList/Id")),
        query_translation=" ".join((root.findtext("QueryTranslation") or "").split()),
        warnings=tuple(warnings),
        received_at=received_at,
        request=request,
        body=body,
    )


@dataclass(frozen=True, slots=True)
class FetchedArticles:
    """An efetch answer split into one serialised article per PMID."""

    articles: Mapping[str, bytes]
    received_at: str
    request: EutilsRequest


_PMID_PATHS: Final[Mapping[str, str]] = {
    "PubmedArticle": "MedlineCitation/PMID",
    "PubmedBookArticle": "BookDocument/PMID",
}


def split_pubmed_articles(root: etree._Element) -> dict[str, bytes]:
    """Each PubmedArticle/PubmedBookArticle of a PubmedArticleSet, keyed by its PMID."""
    articles: dict[str, bytes] = {}
    for element in root:
        path = _PMID_PATHS.get(str(element.tag))
        if path is None:  # DeleteCitation and comments carry no article
            continue
        pmid = (element.findtext(path) or "").strip()
        if not pmid.isdigit():
            raise TransientFailure(f"a <{element.tag}> without a PMID")
        articles[pmid] = etree.tostring(
            element, encoding="UTF-8", xml_declaration=False, with_tail=False
        )
    return articles


def new_session() -> requests.Session:
    """A session that names the tool to NCBI; the caller owns and closes it."""
    session = requests.Session()
    session.headers["User-Agent"] = f"review/{__version__} (systematic review tool)"
    return session


class EutilsClient:
    """Sends E-utilities requests with rate limiting and retries; stores nothing."""

    def __init__(
        self,
        settings: EutilsSettings,
        session: requests.Session,
        rate_limiter: RateLimiter,
        retry: RetryPolicy | None = None,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.session = session
        self.rate_limiter = rate_limiter
        self.retry = retry or RetryPolicy.from_settings(settings)
        self.on_retry = on_retry  # told, in one line, why and how long a retry waits
        self.requests_sent = 0

    def fetch(self, request: EutilsRequest, read: Callable[[_Answer], T]) -> T:
        """Send with retries until `read` accepts the answer; a failure it raises is retried."""
        last = ""
        for attempt in range(self.retry.max_retries + 1):
            try:
                return read(self._attempt(request))
            except TransientFailure as failure:
                last = failure.reason
                if attempt < self.retry.max_retries:
                    delay = self.retry.delay(attempt, failure.retry_after)
                    if self.on_retry is not None:
                        self.on_retry(
                            f"{request.utility} got {failure.reason}; retry "
                            f"{attempt + 1} of {self.retry.max_retries} in {delay:.1f} s"
                        )
                    self.retry.sleep(delay)
        raise RetriesExhausted(
            f"{request.utility} failed {self.retry.max_retries + 1} times, last with "
            f"{last}; what was already fetched is kept, so run the command again later."
        )

    def _attempt(self, request: EutilsRequest) -> _Answer:
        self.rate_limiter.wait()
        self.requests_sent += 1
        data = dict(request.params)
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        try:
            if request.method == "POST":
                response = self.session.post(request.url, data=data, timeout=timeout)
            else:
                response = self.session.get(request.url, params=data, timeout=timeout)
            body = response.content
        except (TimeoutError, requests.Timeout):
            raise TransientFailure("a timeout") from None
        except (
            requests.ConnectionError,
            requests.exceptions.ChunkedEncodingError,  # the body broke off
            requests.exceptions.ContentDecodingError,
        ) as exc:
            raise TransientFailure(f"a connection error ({type(exc).__name__})") from None
        except requests.RequestException as exc:  # a malformed URL: no retry can fix it
            raise QueryError(
                self._redact(f"cannot send a request to {request.url} ({exc}).")
            ) from None
        headers = dict(response.headers)
        try:
            root = classify_response(request.utility, response.status_code, headers, body)
        except QueryError as exc:
            # NCBI echoes a rejected key in its error body; the message must not show it.
            raise type(exc)(self._redact(str(exc))) from None
        except TransientFailure as failure:
            raise TransientFailure(self._redact(failure.reason), failure.retry_after) from None
        return _Answer(root, body, _answer_time(headers))

    def _redact(self, text: str) -> str:
        for secret in (self.settings.api_key, self.settings.email):
            if secret:
                text = text.replace(secret, "***")
        return text

    def esearch(
        self,
        term: str,
        *,
        mindate: str = "",
        maxdate: str = "",
        datetype: DateType = "pdat",
        retmax: int = ESEARCH_WINDOW,
    ) -> EsearchResult:
        request = self.esearch_request(
            term, mindate=mindate, maxdate=maxdate, datetype=datetype, retmax=retmax
        )
        return self.send_esearch(request)

    def esearch_request(
        self,
        term: str,
        *,
        mindate: str = "",
        maxdate: str = "",
        datetype: DateType = "pdat",
        retmax: int = ESEARCH_WINDOW,
    ) -> EutilsRequest:
        """The esearch request for a term and date limits, built but not sent."""
        params: dict[str, str | int] = {"db": "pubmed", "term": term, "retmax": retmax}
        if mindate or maxdate:
            params |= {"datetype": datetype, "mindate": mindate, "maxdate": maxdate}
        return build_request(self.settings, "esearch", params)

    def send_esearch(self, request: EutilsRequest) -> EsearchResult:
        return self.fetch(
            request, lambda answer: parse_esearch(answer.root, request, answer.body, answer.at)
        )

    def efetch_pubmed(self, pmids: Sequence[str]) -> FetchedArticles:
        params = {"db": "pubmed", "retmode": "xml", "rettype": "xml"}
        request = build_request(self.settings, "efetch", params, ids=pmids)
        return self.fetch(
            request,
            lambda answer: FetchedArticles(split_pubmed_articles(answer.root), answer.at, request),
        )


def stored_esearch(request: EutilsRequest, body: bytes, received_at: str) -> EsearchResult | None:
    """An esearch answer read back from the cache; None if it no longer reads as good."""
    try:
        root = classify_response("esearch", 200, {}, body)
        return parse_esearch(root, request, body, received_at)
    except (TransientFailure, QueryError):
        return None


@dataclass(frozen=True, slots=True)
class _Answer:
    root: etree._Element
    body: bytes
    at: str  # ISO 8601 UTC


def _answer_time(headers: Mapping[str, str]) -> str:
    """When PubMed answered: its Date header, else this machine's clock (both UTC)."""
    value = headers.get("Date", headers.get("date", ""))
    try:
        moment = parsedate_to_datetime(value) if value else datetime.now(UTC)
    except (TypeError, ValueError):
        moment = datetime.now(UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


# --- complete retrieval past the esearch window -------------------------------------


@dataclass(frozen=True, slots=True)
class PmidCollection:
    """Every PMID of a search, with the first (as written) esearch answer."""

    first: EsearchResult
    pmids: tuple[str, ...]
    esearch_requests: int


def collect_pmids(
    client: EutilsClient,
    term: str,
    *,
    mindate: str = "",
    maxdate: str = "",
    datetype: DateType = "pdat",
    on_answer: Callable[[EsearchResult], None] | None = None,
    stored: Callable[[EutilsRequest], EsearchResult | None] | None = None,
    today: date | None = None,
) -> PmidCollection:
    """Retrieve every PMID PubMed counts for a search, however many there are.

    The search is first sent as written. Past the window it is re-run over date ranges
    inside its own limits, each split again until it fits; a single day still over the
    window is split by PMID range (`AND a:b[uid]`). Fails unless the distinct PMIDs
    collected number exactly Count.

    `stored` may answer a request from the cache instead of sending it, so a run that
    was killed while splitting resumes where it stopped.
    """
    collector = _Collector(client, term, datetype, on_answer, stored)
    first = collector.search(term, mindate, maxdate)
    if first.count <= ESEARCH_WINDOW:
        collector.take(first, "the search")
    else:
        low = _parse_date(mindate, end=False) if mindate else date(EARLIEST_YEAR, 1, 1)
        high_default = date((today or date.today()).year + YEARS_AHEAD, 12, 31)
        high = _parse_date(maxdate, end=True) if maxdate else high_default
        collector.by_dates(low, high, first.count)
    pmids = tuple(collector.pmids)
    if len(pmids) != first.count:
        raise IncompleteRetrieval(
            f"collected {len(pmids)} distinct PMIDs but PubMed counts {first.count}; "
            "PubMed may have changed during retrieval: run the search again with --refresh."
        )
    return PmidCollection(first, pmids, collector.requests)


class _Collector:
    def __init__(
        self,
        client: EutilsClient,
        term: str,
        datetype: DateType,
        on_answer: Callable[[EsearchResult], None] | None,
        stored: Callable[[EutilsRequest], EsearchResult | None] | None,
    ) -> None:
        self.client = client
        self.term = term
        self.datetype = datetype
        self.on_answer = on_answer
        self.stored = stored
        self.pmids: dict[str, None] = {}  # insertion-ordered set
        self.requests = 0  # esearch requests sent (answers from `stored` are not)

    def search(self, term: str, mindate: str, maxdate: str) -> EsearchResult:
        request = self.client.esearch_request(
            term, mindate=mindate, maxdate=maxdate, datetype=self.datetype
        )
        result = self.stored(request) if self.stored is not None else None
        if result is None:
            result = self.client.send_esearch(request)
            self.requests += 1
        if self.on_answer is not None:
            self.on_answer(result)
        return result

    def take(self, result: EsearchResult, part: str) -> None:
        if len(result.pmids) != result.count:
            raise IncompleteRetrieval(
                f"esearch for {part} returned {len(result.pmids)} PMIDs but counts "
                f"{result.count}; the server did not honour retmax={ESEARCH_WINDOW}."
            )
        self.pmids.update(dict.fromkeys(result.pmids))

    def by_dates(self, low: date, high: date, count: int) -> None:
        for start, end in _split_range(low, high, count):
            result = self.search(self.term, _format_date(start), _format_date(end))
            if result.count <= ESEARCH_WINDOW:
                self.take(result, f"{start}–{end}")
            elif start == end:
                self.by_pmids(start, 1, MAX_PMID, result)
            else:
                self.by_dates(start, end, result.count)

    def by_pmids(self, day: date, low: int, high: int, over: EsearchResult) -> None:
        when = _format_date(day)
        for first, last in _split_by_sample(low, high, over.count, over.pmids):
            term = f"({self.term}) AND {first}:{last}[uid]"
            result = self.search(term, when, when)
            if result.count <= ESEARCH_WINDOW:
                self.take(result, f"{when}, PMIDs {first}–{last}")
            elif first == last:  # pragma: no cover - one PMID cannot exceed the window
                raise IncompleteRetrieval(f"PMID {first} alone counts {result.count} hits.")
            else:
                self.by_pmids(day, first, last, result)


def _split_by_sample(
    low: int, high: int, count: int, sample: Sequence[str]
) -> list[tuple[int, int]]:
    """Cut a PMID range where the over-window answer's own PMIDs say the hits lie.

    The 9,999 PMIDs of that answer are a sample of the hits: cutting at its quantiles
    balances the parts far better than halving 1–99,999,999. The parts always cover the
    whole range, so a biased sample costs requests, never PMIDs.
    """
    inside = sorted({int(p) for p in sample if p.isdigit() and low < int(p) <= high})
    parts = _parts(count)
    cuts = sorted({inside[len(inside) * i // parts] for i in range(1, parts)} if inside else set())
    if not cuts:
        return _split_numbers(low, high, count)
    edges = [low, *cuts, high + 1]
    return [(edges[i], edges[i + 1] - 1) for i in range(len(edges) - 1)]


def _parts(count: int) -> int:
    # Aim each part at three quarters of the window so most parts fit at the first try.
    return max(2, math.ceil(count / (ESEARCH_WINDOW * 0.75)))


def _split_range(low: date, high: date, count: int) -> list[tuple[date, date]]:
    """Newest first, as PubMed orders results, so the combined list reads the same way."""
    days = (high - low).days + 1
    bounds = _split_numbers(0, days - 1, count)
    ranges = [(low + timedelta(a), low + timedelta(b)) for a, b in bounds]
    return ranges[::-1]


def _split_numbers(low: int, high: int, count: int) -> list[tuple[int, int]]:
    parts = min(high - low + 1, _parts(count))
    size = (high - low + 1) / parts
    edges = [low + round(size * i) for i in range(parts)] + [high + 1]
    return [(edges[i], edges[i + 1] - 1) for i in range(parts) if edges[i] <= edges[i + 1] - 1]


_DATE_FORMAT = re.compile(r"^(\d{4})(?:/(\d{1,2})(?:/(\d{1,2}))?)?$")


def _parse_date(text: str, *, end: bool) -> date:
    """YYYY, YYYY/MM or YYYY/MM/DD as the first (or, with end, last) day it covers."""
    match = _DATE_FORMAT.match(text.strip())
    if not match:
        raise QueryError(f"date {text!r} is not YYYY, YYYY/MM or YYYY/MM/DD.")
    year = int(match[1])
    month = int(match[2]) if match[2] else (12 if end else 1)
    if match[3]:
        return date(year, month, int(match[3]))
    return date(year, month, calendar.monthrange(year, month)[1] if end else 1)


def _format_date(day: date) -> str:
    return f"{day.year:04d}/{day.month:02d}/{day.day:02d}"


def batches(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
