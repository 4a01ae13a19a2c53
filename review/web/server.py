"""Bind the socket, then let uvicorn serve the app on it until Ctrl-C.

Binding first (port 0 picks a free port) lets the command print the real
address before serving, and turns "address in use" into a one-line error.
"""

from __future__ import annotations

import socket

from starlette.applications import Starlette

from review.errors import InputError

__all__ = ["bind", "serve"]


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port; InputError naming what to do when taken."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InputError(f"--host {host!r}: not an address of this machine ({exc}).") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise InputError(
            f"cannot listen on {host}:{port} ({exc.strerror}); another program may use that "
            "port: give --port N, or --port 0 for any free port."
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(app: Starlette, sock: socket.socket) -> None:
    """Serve until Ctrl-C (uvicorn stops cleanly on SIGINT and SIGTERM)."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])
