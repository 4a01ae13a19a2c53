"""`review serve PROTOCOL`: the web app for screening, conflicts, agreement and the report."""

from __future__ import annotations

import argparse
import secrets
import socket
from pathlib import Path
from typing import Any

from review.cli.screen import (
    add_record_options,
    pipeline_settings,
    screening_input,
)
from review.decisions import RESERVED_NAMES, decisions_path
from review.errors import InputError
from review.protocol import load_protocol
from review.screen import title_abstract_counts

__all__ = ["register"]

DEFAULT_PORT = 8765
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="screen in a web browser: several reviewers, blind, conflicts, dashboard",
        description="Start a local web app for screening (title/abstract and full text), "
        "conflicts, agreement and the PRISMA dashboard, and print its address; Ctrl-C "
        "stops it. It listens on 127.0.0.1 only, unless --host says otherwise, and then "
        "only reviewers named with --reviewers get in, each with the link printed for them. "
        "Decisions go to <protocol dir>/<name>.decisions.sqlite, as with `review screen`.",
    )
    parser.add_argument("protocol", type=Path, help="the protocol file, e.g. queries/kratom.toml")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "--reviewers",
        nargs="+",
        metavar="NAME",
        help="give each of these reviewers an access token (required with a --host other "
        "than this machine's loopback)",
    )
    add_record_options(parser)
    parser.set_defaults(handler=handle)


def handle(options: argparse.Namespace) -> int:
    from review.web import LOOPBACK_HOSTS, ServeConfig, bind, create_app, serve

    loopback = options.host in LOOPBACK
    names = [" ".join(n.split()) for n in options.reviewers or []]
    if not loopback and not names:
        raise InputError(
            f"--host {options.host} lets other machines in: name who may screen with "
            "--reviewers NAME [NAME ...]; each gets an access link."
        )
    for name in names:
        if not name or name in RESERVED_NAMES:
            raise InputError(f"--reviewers: {name!r} is not a reviewer name.")
    if not 0 <= options.port <= 65535:
        raise InputError(f"--port {options.port}: give a port from 0 to 65535.")
    protocol = load_protocol(options.protocol)
    found = screening_input(protocol, options)
    prepared = found.prepared
    settings = pipeline_settings(options) if prepared is not None else None
    tokens = tuple((secrets.token_urlsafe(24), name) for name in dict.fromkeys(names))
    config = ServeConfig(
        protocol=protocol,
        records=found.records,
        rule_decisions=found.rule_decisions,
        report_dir=(settings.report_dir(protocol) if settings else Path("reports") / protocol.name),
        prepared=prepared,
        run_settings=settings,
        tokens=tokens,
        allowed_hosts=LOOPBACK_HOSTS if loopback else ("*",),
        groups=found.groups,
    )
    sock = bind(options.host, options.port)
    port = sock.getsockname()[1]
    shown_host = options.host if loopback else socket.gethostname()
    address = f"http://{_url_host(shown_host)}:{port}/"
    ta = title_abstract_counts(found.rule_decisions)
    marked = (
        f" ({ta.automated} more marked ineligible by the protocol rules)" if ta.automated else ""
    )
    print(
        f"Serving {protocol.name}: {ta.screened} record{'' if ta.screened == 1 else 's'} to "
        f"screen{marked} at {address} — Ctrl-C stops.\n"
        f"Decisions are saved in {decisions_path(protocol)}.",
        flush=True,
    )
    for token, name in tokens:
        print(f"  {name}: {address}login?token={token}", flush=True)
    try:
        serve(create_app(config), sock)
    except KeyboardInterrupt:
        pass  # uvicorn has finished every request under way; Ctrl-C is how it stops
    finally:
        sock.close()
    print(f"Stopped. Every decision is in {decisions_path(protocol)}.")
    return 0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
