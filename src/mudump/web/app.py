"""The reach explorer's web server: a JSON API over the library, and one page that uses it.

Everything here is an edge: requests are validated (the experiment by its own pydantic schema,
exactly as ``mudump reach`` validates a TOML file; a model file by
:func:`mudump.models.parse_model`; grids by the CLI's range checks), the library computes, and
the answer is JSON, CSV (:mod:`mudump.reachio`, the CLI's writer) or PNG (:mod:`mudump.plotting`,
the CLI's figures). No physics and no limit is computed in this package.

Layout: :mod:`.schemas` (request bodies and :data:`LIMITS`), :mod:`.inputs` (names and documents
resolved once into library objects; refusals), :mod:`.compute` (the scans behind one plot, their
cache, the JSON answer), and one router per group of routes: :mod:`.routes_lists`,
:mod:`.routes_experiment`, :mod:`.routes_reach`, :mod:`.routes_point`. Shared state (the reach
cache, the stream slots) lives on ``app.state``.

Endpoints (all under ``/api``; see docs/web.md). Limits: every request is bounded (body size,
masses, couplings, bins, energies, experiments, models, uploads); a bad request gets a 4xx JSON
answer ``{"error": one line, "fields": [{"field", "message"}]}`` and the server carries on.

Units: GeV and metres at the API, in every field name that carries one.
"""

from __future__ import annotations

import json
import logging
import threading
from importlib import resources
from typing import Optional

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from .._checks import echo
from ..errors import MudumpError, UnknownNameError
from . import routes_experiment, routes_lists, routes_point, routes_reach
from .compute import ReachCache, ReachPlan, reach_payload
from .inputs import RequestError, field_of_message, resolve_experiment
from .schemas import LIMITS, DecayLengthRequest, ReachRequest, SpectrumRequest

log = logging.getLogger("mudump.web")

STATIC = resources.files(__package__).joinpath("static")


def _error(status: int, message: str, fields: list[dict] | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "fields": fields or []}, status_code=status)


#: Parts of a pydantic error location that name a branch of a union, not a field.
_BRANCHES = ("str", "dict[str,any]", "UploadedFile")


def _on_invalid(request: Request, exc: RequestValidationError):
    fields = []
    for e in exc.errors():
        loc = [str(p) for p in e.get("loc", ()) if p != "body"]
        # a union (a name or a document / an uploaded file) reports every branch: keep the field
        loc = [p for p in loc if p not in _BRANCHES]
        if e.get("type") == "json_invalid":
            loc = []
        msg = e.get("msg", "invalid")
        if e.get("type") == "finite_number":  # the words of mudump.config.format_validation
            msg = f"must be a finite number, not {echo(e.get('input'))}"
        fields.append({"field": ".".join(loc) or "(body)", "message": msg})
    first = fields[0] if fields else {"field": "(body)", "message": "invalid request"}
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return _error(400, "the request body is not valid JSON", fields)
    more = f" (and {len(fields) - 1} more)" if len(fields) > 1 else ""
    return _error(422, f"{first['field']}: {first['message']}{more}", fields)


def _on_request_error(request: Request, exc: RequestError):
    return _error(exc.status, str(exc), exc.fields)


def _on_mudump_error(request: Request, exc: MudumpError):
    status = 404 if isinstance(exc, UnknownNameError) and request.method == "GET" else 422
    return _error(status, str(exc), field_of_message(str(exc)))


def _on_bug(request: Request, exc: Exception):
    log.exception("internal error on %s", request.url.path)
    return _error(500, f"internal error ({type(exc).__name__}); the server carries on, please report this request")


class _BodyTooLarge(BaseException):
    """Raised from ``receive`` when a body grows past the limit: a BaseException, so that the
    framework's body parsing (which turns any Exception into a generic 400) lets it through."""


class BodyLimit:
    """ASGI middleware: refuse request bodies above ``limit`` bytes with 413, whether the size
    is announced (Content-Length) or not (chunked)."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        cl = headers.get(b"content-length")
        if cl is not None and (not cl.isdigit() or int(cl) > self.limit):
            return await self._refuse(send)
        seen = 0
        started = False

        async def limited_receive():
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    raise _BodyTooLarge
            return msg

        async def tracking_send(msg):
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send):
        body = json.dumps({"error": f"request body too large: at most {self.limit} bytes", "fields": []}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def create_app(allowed_hosts: Optional[list[str]] = None) -> FastAPI:
    """The FastAPI application. ``allowed_hosts``: Host header values accepted (``mudump
    serve`` passes the loopback names when bound to loopback, against DNS rebinding); None
    accepts any."""
    from .. import __version__

    app = FastAPI(
        title="mudump reach explorer",
        version=__version__,
        description="Projected reach of muon beam-dump experiments for light mediators (docs/web.md).",
        docs_url=None,  # Swagger UI and ReDoc load their scripts from a CDN: off (no internet needed)
        redoc_url=None,
    )
    app.state.reach_cache = ReachCache()
    app.state.stream_slots = threading.BoundedSemaphore(LIMITS["stream_jobs"])  # threads of /api/reach/stream

    app.add_exception_handler(RequestValidationError, _on_invalid)
    app.add_exception_handler(RequestError, _on_request_error)
    app.add_exception_handler(MudumpError, _on_mudump_error)
    app.add_exception_handler(Exception, _on_bug)

    @app.get("/", include_in_schema=False)
    def index():
        return FileResponse(str(STATIC.joinpath("index.html")), media_type="text/html")

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for module in (routes_lists, routes_experiment, routes_reach, routes_point):
        app.include_router(module.router)

    app.add_middleware(BodyLimit, limit=LIMITS["body_bytes"])
    if allowed_hosts is not None:
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    return app


__all__ = ["create_app", "LIMITS", "ReachRequest", "SpectrumRequest", "DecayLengthRequest", "resolve_experiment",
           "ReachPlan", "reach_payload"]
