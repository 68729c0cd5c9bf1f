"""The ``mudump serve`` command: the reach explorer (:mod:`mudump.web`) on a local web server.

Its own module so that the web dependencies (FastAPI, uvicorn) are imported only
when the command runs; :func:`register` adds the command to the typer app.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

#: Host names that mean "this machine only".
LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """True when ``host`` binds to the loopback interface only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to bind: 127.0.0.1 (default, this machine only); 0.0.0.0 opens it to the network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port (0: any free port).")] = 8765,
) -> None:
    """Start the reach explorer in the browser: change the setup, see the contour move."""
    import socket

    from .._extras import require
    require("web")  # a missing extra is one line naming it, before the web stack is imported
    import uvicorn

    from ..errors import MudumpError
    from ..web.app import create_app

    loopback = is_loopback(host)
    # bind the socket here, so that a busy port is one clear line and --port 0 can print the
    # port actually chosen
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise MudumpError(f"--host = {host!r}: cannot resolve it ({exc.strerror})") from None
    family, _, _, _, addr = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError as exc:
        sock.close()
        raise MudumpError(f"--port = {port}: cannot listen on {host}:{port} ({exc.strerror})") from None
    sock.listen(128)
    bound_port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{bound_port}/"
    allowed = None if not loopback else ["127.0.0.1", "localhost", "[::1]", "::1"]
    app = create_app(allowed_hosts=allowed)
    typer.echo(f"mudump reach explorer: {url}  (Ctrl-C to stop)", err=False)
    if not loopback:
        typer.echo(f"warning: --host {host} makes the explorer reachable from other machines", err=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the typer app (:mod:`mudump.cli._common`)."""
    app.command("serve")(serve)


from ._common import app as _app  # noqa: E402

register(_app)
