"""Helpers shared by the search tests: a fake clock and a client that never waits."""

from __future__ import annotations

from dataclasses import dataclass, field

import requests
from eutils_server import EutilsServer

from review.entrez import EutilsClient, EutilsSettings, RateLimiter, RetryPolicy

API_KEY = "TESTKEY-0123456789abcdef-must-never-be-stored"
EMAIL = "reviewer@example.org"


@dataclass
class FakeClock:
    """time.monotonic and time.sleep in one: sleeping moves the clock."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


# The read timeout of a test whose server stalls ("timeout" fault): the server stalls
# until the client gives up, so this is how long such a test waits; an answer that is
# not stalled comes well within it even under load.
STALLED_READ_TIMEOUT = 2.0


def make_client(
    server: EutilsServer,
    *,
    clock: FakeClock | None = None,
    retry_sleeps: list[float] | None = None,
    notices: list[str] | None = None,
    **settings: object,
) -> EutilsClient:
    """A client for the local server: fake clock, no real sleeping, secrets set."""
    values: dict[str, object] = {
        "base_url": server.url,
        "api_key": API_KEY,
        "email": EMAIL,
        # Generous, so that a loaded machine never times out an answer; a test of the
        # "timeout" fault passes a short one (STALLED_READ_TIMEOUT) that the stall outlasts.
        "read_timeout": 10.0,
        "backoff_base": 0.5,
    }
    values.update(settings)
    config = EutilsSettings(**values)  # type: ignore[arg-type]
    clock = clock or FakeClock()
    limiter = RateLimiter(config.requests_per_second, clock=clock, sleep=clock.sleep)
    sleeps = retry_sleeps if retry_sleeps is not None else []
    retry = RetryPolicy.from_settings(config, sleep=sleeps.append, rand=lambda: 0.5)
    on_retry = notices.append if notices is not None else None
    return EutilsClient(config, requests.Session(), limiter, retry, on_retry=on_retry)
