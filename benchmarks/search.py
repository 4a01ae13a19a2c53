"""Benchmark: a 25,000-hit PubMed search against the local E-utilities server.

    python benchmarks/search.py [--hits 25000] [--batch-size 500] [--api-key]

Runs the search through the real client with the real rate limiter (3 requests/s, or
10/s with --api-key) into a fresh cache, then replays it offline. Prints the number of
requests, the minimum possible (esearch calls + ceil(PMIDs / batch size)) and wall times.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from eutils_server import EutilsServer, make_corpus, spread_hits  # noqa: E402

from review.cache import Cache  # noqa: E402
from review.entrez import EutilsSettings  # noqa: E402
from review.protocol import Protocol, Search  # noqa: E402
from review.search import Mode, SearchLogEntry, article_set_xml, search_protocol  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, default=25_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--api-key", action="store_true", help="10 requests/s instead of 3")
    options = parser.parse_args()

    term = "benchmark search"
    hits = spread_hits(options.hits, 30_000_000, date(1990, 1, 1), date(2024, 12, 31))
    protocol = Protocol(
        path=Path("benchmark.toml"),
        name="benchmark",
        title="benchmark",
        question="",
        searches=(Search("benchmark", term),),
    )
    with EutilsServer(make_corpus([(term, hits)])) as server, tempfile.TemporaryDirectory() as tmp:
        settings = EutilsSettings(
            base_url=server.url,
            batch_size=options.batch_size,
            api_key="benchmark-key" if options.api_key else "",
        )
        live, live_seconds = _timed(protocol, settings, Path(tmp), "refresh")
        esearch = server.count("esearch")
        efetch = server.count("efetch")
        server.requests.clear()
        replay, replay_seconds = _timed(protocol, settings, Path(tmp), "offline")
        assert server.requests == [], "the offline replay sent a request"
        assert replay[0].pmids == live[0].pmids
        with Cache.open(tmp) as cache:
            stored = cache.article_count()
            start = time.perf_counter()
            document = article_set_xml(cache, replay[0].pmids)
            read_seconds = time.perf_counter() - start
        size_mb = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6

    entry = live[0]
    minimum = esearch + math.ceil(entry.retrieved / options.batch_size)
    rate = settings.requests_per_second
    print(
        f"hits counted / PMIDs retrieved / articles stored: {entry.count} / "
        f"{entry.retrieved} / {stored}"
    )
    print(
        f"requests: {esearch + efetch} ({esearch} esearch + {efetch} efetch), "
        f"minimum possible {minimum} ({esearch} esearch + ceil({entry.retrieved}/"
        f"{options.batch_size}) efetch)"
    )
    print(
        f"live run at {rate:g} requests/s: {live_seconds:.1f} s wall "
        f"(rate-limit floor {(esearch + efetch - 1) * 1.05 / rate:.1f} s)"
    )
    print(f"offline replay: {replay_seconds:.2f} s wall, 0 requests; cache {size_mb:.1f} MB")
    print(
        f"stored articles as one PubmedArticleSet: {read_seconds:.2f} s, "
        f"{len(document) / 1e6:.1f} MB"
    )


def _timed(
    protocol: Protocol, settings: EutilsSettings, cache: Path, mode: Mode
) -> tuple[tuple[SearchLogEntry, ...], float]:
    start = time.perf_counter()
    entries = search_protocol(protocol, cache_dir=cache, settings=settings, mode=mode)
    return entries, time.perf_counter() - start


if __name__ == "__main__":
    main()
