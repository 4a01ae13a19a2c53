"""A local E-utilities server for tests and benchmarks: real recordings, a simulated
PubMed that follows esearch's rules, and every fault NCBI is known to send.

    with EutilsServer(corpus) as server:
        server.inject("429", "backend_failed", utility="esearch")
        ... EutilsSettings(base_url=server.url) ...

The simulated PubMed answers esearch for the terms in `Corpus.searches` and honours
`retmax` (at most 9,999, like PubMed), `mindate`/`maxdate`, `AND a:b[uid]` ranges and
Count. A term it does not know gives PubMed's real "no items found" answer. efetch (GET
or POST) returns real PubmedArticle XML for the recorded articles and, for synthetic
PMIDs, a real article with its PMID replaced.
"""

from __future__ import annotations

import calendar
import contextlib
import random
import re
import select
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from lxml import etree

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "eutils"
WINDOW = 9999
XML_HEAD = b'<?xml version="1.0" encoding="UTF-8" ?>\n'
ESEARCH_DOCTYPE = (
    b'<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
    b'"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
)
PUBMED_DOCTYPE = (
    b'<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    b'"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
)
# Recorded esearch answers, served verbatim for these terms.
RECORDED_ESEARCH = {
    "biopython": "esearch1.xml",
    "abcXYZ": "esearch8.xml",
    "obstetrics[MeSH Terms] OR fleegle[MeSH Terms]": "esearch.error.xml",
}
ARTICLE_FILES = (
    "pubmed1.xml",
    "pubmed2.xml",
    "pubmed4.xml",
    "efetch.pubmed.xml",
    "efetch.pubmedbook.xml",
)
FAULTS = (
    "429",
    "500",
    "502",
    "503",
    "reset",
    "close",
    "cut_body",
    "timeout",
    "backend_failed",
    "unable_to_obtain_query",
    "empty",
    "truncated",
    "html",
    "400",
    "invalid",
    "field_not_found",
    "bad_key",
)
# Not a fault: answers normally, so a fault can be aimed at a later request.
PASS = "pass"


@dataclass(frozen=True, slots=True)
class Hit:
    pmid: int
    day: date


@dataclass
class Corpus:
    """What the simulated PubMed knows: hits per search term and articles per PMID."""

    searches: dict[str, list[Hit]] = field(default_factory=dict)
    articles: dict[str, bytes] = field(default_factory=dict)  # real articles by PMID
    synthetic: set[str] = field(default_factory=set)  # PMIDs made from the template
    withheld: set[str] = field(default_factory=set)  # efetch never returns these

    def add_search(self, term: str, hits: Iterable[Hit]) -> list[Hit]:
        hits = list(hits)
        self.searches[term] = hits
        self.synthetic.update(str(h.pmid) for h in hits if str(h.pmid) not in self.articles)
        return hits

    def article(self, pmid: str) -> bytes | None:
        if pmid in self.withheld:
            return None
        if pmid in self.articles:
            return self.articles[pmid]
        if pmid in self.synthetic:
            return synthetic_article(pmid)
        return None


def real_articles() -> dict[str, bytes]:
    """Every PubmedArticle/PubmedBookArticle of the recorded efetch answers, by PMID."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    found: dict[str, bytes] = {}
    for name in ARTICLE_FILES:
        root = etree.parse(str(FIXTURES / name), parser).getroot()
        for element in root:
            pmid = element.findtext("MedlineCitation/PMID") or element.findtext("BookDocument/PMID")
            if pmid:
                found[pmid.strip()] = etree.tostring(
                    element, encoding="UTF-8", xml_declaration=False, with_tail=False
                )
    return found


_TEMPLATE_PMID = b"12091962"
_template_cache: list[bytes] = []


def synthetic_article(pmid: str) -> bytes:
    """A real article (Biopython's pubmed1.xml) with its PMID replaced."""
    if not _template_cache:
        _template_cache.append(real_articles()[_TEMPLATE_PMID.decode()])
    return _template_cache[0].replace(b">" + _TEMPLATE_PMID + b"<", f">{pmid}<".encode())


def spread_hits(
    count: int, first_pmid: int, first_day: date, last_day: date, seed: int = 1
) -> list[Hit]:
    """`count` hits with consecutive PMIDs on days drawn between the two dates."""
    rng = random.Random(seed)
    span = (last_day - first_day).days
    return [Hit(first_pmid + i, first_day + timedelta(rng.randint(0, span))) for i in range(count)]


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    method: str
    utility: str
    params: dict[str, str]
    raw: bytes  # the query string or form body exactly as received


class EutilsServer:
    """Threaded HTTP server on 127.0.0.1, port chosen by the OS."""

    def __init__(
        self, corpus: Corpus | None = None, *, slow_seconds: float = 1.0, port: int = 0
    ) -> None:
        self.corpus = corpus or Corpus()
        self.slow_seconds = slow_seconds  # the longest a "timeout" fault stalls
        self.efetch_delay = 0.0  # seconds added to each efetch (to kill a run half-way)
        self.requests: list[LoggedRequest] = []
        self._faults: deque[tuple[str, str | None]] = deque()
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"eutils": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> EutilsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> EutilsServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def inject(self, *faults: str, utility: str | None = None) -> None:
        """Answer the next matching requests with these faults, in order."""
        for fault in faults:
            if fault not in (*FAULTS, PASS):
                raise ValueError(f"unknown fault {fault!r}")
            with self._lock:
                self._faults.append((fault, utility))

    def pending_faults(self) -> int:
        with self._lock:
            return len(self._faults)

    def next_fault(self, utility: str) -> str | None:
        with self._lock:
            for index, (fault, wanted) in enumerate(self._faults):
                if wanted in (None, utility):
                    del self._faults[index]
                    return fault
        return None

    def count(self, utility: str) -> int:
        return sum(1 for r in self.requests if r.utility == utility)

    def fetched_ids(self) -> list[str]:
        return [
            i for r in self.requests if r.utility == "efetch" for i in r.params["id"].split(",")
        ]

    # --- the simulated PubMed ---------------------------------------------------------

    def esearch(self, params: dict[str, str]) -> bytes:
        term = params.get("term", "")
        match = re.fullmatch(r"\((.*)\) AND (\d+):(\d+)\[uid\]", term)
        base, low, high = (match[1], int(match[2]), int(match[3])) if match else (term, 0, 0)
        if base in RECORDED_ESEARCH:
            return (FIXTURES / RECORDED_ESEARCH[base]).read_bytes()
        hits = self.corpus.searches.get(base)
        if hits is None:
            return (FIXTURES / "esearch8.xml").read_bytes().replace(b"abcXYZ", base.encode())
        if params.get("mindate") or params.get("maxdate"):
            first = _day(params.get("mindate", "1000"), end=False)
            last = _day(params.get("maxdate", "3000"), end=True)
            hits = [h for h in hits if first <= h.day <= last]
        if match:
            hits = [h for h in hits if low <= h.pmid <= high]
        ordered = sorted((h.pmid for h in hits), reverse=True)
        retstart = int(params.get("retstart", "0"))
        retmax = min(int(params.get("retmax", "20")), WINDOW)
        if retstart > WINDOW - 1:
            return _error_doc(
                "esearch",
                "Search Backend failed: Exception:\n'retstart' cannot be larger than 9998. "
                "For PubMed, ESearch can only retrieve the first 9,999 records matching the "
                "query.",
            )
        shown = ordered[retstart : min(retstart + retmax, WINDOW)]
        translation = base
        if params.get("mindate"):
            translation += f" AND {params['mindate']}:{params['maxdate']}[{params.get('datetype')}]"
        ids = "".join(f"<Id>{p}</Id>\n" for p in shown)
        return (
            XML_HEAD
            + ESEARCH_DOCTYPE
            + (
                f"<eSearchResult><Count>{len(ordered)}</Count><RetMax>{len(shown)}</RetMax>"
                f"<RetStart>{retstart}</RetStart><IdList>\n{ids}</IdList><TranslationSet/>"
                f"<QueryTranslation>{_escape(translation)}</QueryTranslation></eSearchResult>\n"
            ).encode()
        )

    def efetch(self, params: dict[str, str]) -> bytes:
        if self.efetch_delay:
            time.sleep(self.efetch_delay)
        ids = [i.strip() for i in params.get("id", "").split(",") if i.strip()]
        articles = [a for a in (self.corpus.article(i) for i in ids) if a is not None]
        return (
            XML_HEAD
            + PUBMED_DOCTYPE
            + b"<PubmedArticleSet>\n"
            + b"".join(a + b"\n" for a in articles)
            + b"</PubmedArticleSet>\n"
        )


def _day(text: str, *, end: bool) -> date:
    parts = [int(p) for p in text.split("/")]
    year = parts[0]
    month = parts[1] if len(parts) > 1 else (12 if end else 1)
    if len(parts) > 2:
        return date(year, month, parts[2])
    return date(year, month, calendar.monthrange(year, month)[1] if end else 1)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _error_doc(utility: str, message: str) -> bytes:
    root = "eSearchResult" if utility == "esearch" else "eFetchResult"
    return XML_HEAD + f"<{root}><ERROR>{_escape(message)}</ERROR></{root}>\n".encode()


_HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>NCBI - Maintenance</title></head><body>"
    b"<h1>This service is temporarily unavailable for maintenance.</h1></body></html>"
)


class _Handler(BaseHTTPRequestHandler):
    eutils: EutilsServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet in tests
        pass

    def do_GET(self) -> None:
        self._answer(urlsplit(self.path).query.encode())

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self._answer(self.rfile.read(length))

    def _answer(self, raw: bytes) -> None:
        utility = urlsplit(self.path).path.rsplit("/", 1)[-1].removesuffix(".fcgi")
        params = {k: v[-1] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
        server = self.eutils
        with server._lock:
            server.requests.append(LoggedRequest(self.command, utility, params, raw))
        if utility not in ("esearch", "efetch"):
            self._send(404, b"unknown utility", "text/plain")
            return
        fault = server.next_fault(utility)
        if fault in (None, PASS, "timeout"):
            if fault == "timeout":
                self._stall(server.slow_seconds)
            body = server.esearch(params) if utility == "esearch" else server.efetch(params)
            self._send(200, body)
        else:
            self._fault(fault, utility, params)

    def _stall(self, at_most: float) -> None:
        """Answer nothing until the client gives up (closes) or `at_most` seconds pass.

        Waiting for the client rather than a fixed time keeps a timeout test
        independent of how loaded the machine is: it lasts as long as the
        client's read timeout.
        """
        deadline = time.monotonic() + at_most
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.05))
            if readable and not self.connection.recv(1, socket.MSG_PEEK):
                return  # the client closed the connection

    def _fault(self, fault: str, utility: str, params: dict[str, str]) -> None:
        server = self.eutils
        if fault in ("reset", "close"):
            if fault == "reset":  # RST instead of FIN
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
            self.close_connection = True
            self.connection.close()
            return
        if fault == "cut_body":  # headers promise the whole answer; half of it arrives
            good = server.esearch(params) if utility == "esearch" else server.efetch(params)
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=UTF-8")
            self.send_header("Content-Length", str(len(good)))
            self.end_headers()
            self.wfile.write(good[: len(good) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "429":
            body = b'{"error":"API rate limit exceeded","count":"11"}'
            self._send(429, body, "application/json")
        elif fault in ("500", "502", "503"):
            self._send(int(fault), _HTML_PAGE, "text/html")
        elif fault == "bad_key":  # what NCBI answers to an unknown API key
            key = params.get("api_key", "")
            body = f'{{"error":"API key invalid","api-key":"{key}","type":"invalid"}}'
            self._send(400, body.encode(), "application/json")
        elif fault == "400":
            self._send(400, b"Bad Request: malformed parameters", "text/plain")
        elif fault == "backend_failed":
            self._send(200, _error_doc(utility, "Search Backend failed: Couldn't resolve #0"))
        elif fault == "unable_to_obtain_query":
            self._send(200, _error_doc(utility, "Unable to obtain query #1"))
        elif fault == "empty":
            self._send(200, b"")
        elif fault == "truncated":
            good = server.esearch(params) if utility == "esearch" else server.efetch(params)
            self._send(200, good[: len(good) // 2])
        elif fault == "html":
            self._send(200, _HTML_PAGE, "text/html")
        elif fault == "invalid":
            self._send(200, (FIXTURES / "esearch.baderror.xml").read_bytes())
        elif fault == "field_not_found":
            body = (FIXTURES / "esearch8.xml").read_bytes()
            body = body.replace(b"PhraseNotFound", b"FieldNotFound").replace(b"abcXYZ", b"xyz")
            self._send(200, body)

    def _send(self, status: int, body: bytes, content_type: str = "text/xml") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True  # the client gave up (timeout test)


def make_corpus(searches: Sequence[tuple[str, list[Hit]]] = ()) -> Corpus:
    corpus = Corpus(articles=real_articles())
    for term, hits in searches:
        corpus.add_search(term, hits)
    return corpus


def _serve_protocol(argv: Sequence[str] | None = None) -> None:
    """`python tests/eutils_server.py PROTOCOL [HITS...]`: serve a protocol's searches by hand.

    Each search gets the given number of hits (default 12,000 for the first, 300 for the
    rest), one fault of each transient kind is queued (unless --no-faults), and the URL
    is printed. Ctrl-C or SIGTERM stops it and prints the requests it served, so a
    replay can be seen to send none.
    """
    import argparse
    import signal
    import sys

    from review.protocol import load_protocol

    parser = argparse.ArgumentParser(description=_serve_protocol.__doc__)
    parser.add_argument("protocol")
    parser.add_argument("hits", nargs="*", type=int, help="hits per search, in order")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--no-faults", action="store_true", help="answer every request well")
    options = parser.parse_args(argv)
    protocol = load_protocol(options.protocol)
    counts = options.hits or [12_000] + [300] * (len(protocol.searches) - 1)
    corpus = make_corpus()
    for number, (search, count) in enumerate(zip(protocol.searches, counts, strict=False)):
        first = 30_000_000 + number * 1_000_000
        corpus.add_search(
            search.query, spread_hits(count, first, date(1990, 1, 1), date(2024, 12, 31))
        )
    server = EutilsServer(corpus, slow_seconds=200.0, port=options.port)
    if not options.no_faults:
        server.inject("503", "backend_failed", "truncated", utility="esearch")
        server.inject("pass", "close", "502", "html", utility="esearch")
        server.inject("429", "reset", "html", "pass", "empty", "cut_body", utility="efetch")
        server.inject("unable_to_obtain_query", utility="efetch")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with server:
        print(server.url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    served = {u: server.count(u) for u in ("esearch", "efetch")}
    print(
        f"{len(server.requests)} requests served ({served['esearch']} esearch, "
        f"{served['efetch']} efetch); {server.pending_faults()} faults not met",
        file=sys.stderr,
    )


if __name__ == "__main__":
    _serve_protocol()
