"""`review serve`: a local web app for screening, conflicts, agreement and the report.

Built on Starlette (routes as a plain list, a test client, small enough to read
whole) served by uvicorn, with the Jinja2 templates the report already uses;
every asset (one stylesheet, one script) ships in this package, so reviewers
work offline. It calls the same library functions as the terminal screener:
`review.screener.screening_queue` for the order, `DecisionStore` for every
decision, `review.screen.match_spans` for the highlighted terms.

`serve` binds 127.0.0.1 by default; beyond loopback it refuses to start
without reviewers, each of whom gets an access token printed at start.
"""

from __future__ import annotations

from review.web.app import LOOPBACK_HOSTS, ServeConfig, create_app
from review.web.server import bind, serve

__all__ = ["LOOPBACK_HOSTS", "ServeConfig", "bind", "create_app", "serve"]
