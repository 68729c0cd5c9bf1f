"""The reach explorer's web server: a JSON API over the library, and one page that uses it.

Everything here is an edge: requests are validated (the experiment by its own pydantic schema,
exactly as ``mudump reach`` validates a TOML file; grids by the CLI's range checks), the library
computes (:func:`mudump.reach.reach`, :func:`mudump.signal.experiment_spectrum`,
:meth:`mudump.models.ScalarModel.decay_length`, :func:`mudump.g2.band`), and the answer is JSON,
CSV (:mod:`mudump.reachio`, the CLI's writer) or PNG (:mod:`mudump.plotting`, the CLI's
figures). No physics is computed in this module.

Endpoints (all under ``/api``; see docs/web.md): lists of experiments, models, methods, form
factors, (g-2) presets and materials; the experiment schema (the page builds its form from it);
``POST /api/reach`` (JSON), ``/api/reach/stream`` (NDJSON progress, then the result),
``/api/reach.csv``, ``/api/reach.png``; ``/api/spectrum`` (+ ``.png``), ``/api/decay-length``
(+ ``.png``); ``/api/g2/band``; ``/api/experiment/validate`` and ``/api/experiment.toml``.

Limits: every request is bounded (:data:`LIMITS`: body size, masses, couplings, bins, energies,
models); a bad request gets a 4xx JSON answer ``{"error": one line, "fields": [{"field",
"message"}]}`` and the server carries on. Reach results are kept in a bounded in-memory LRU keyed
by everything that defines them; concurrent identical requests share one computation.

Units: GeV and metres at the API, in every field name that carries one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import re
import tempfile
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Optional, Union

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import g2 as g2mod
from .. import plotting
from .. import reach as reachmod
from .. import signal
from .._checks import check_range
from ..constants import E_MAX_GEV
from ..errors import MudumpError, UnknownNameError
from ..jsonio import plain
from ..reach import scan_grid
from ..experiments import Experiment, _format_validation, load_experiment, preset_names
from ..models import COUPLING_MAX, MASS_RANGE_GEV, MODELS, get_model
from ..production import DEFAULT_METHOD, METHODS, check_method
from ..production.formfactors import DEFAULT_FORM_FACTOR, FORM_FACTORS, check_form_factor
from ..reachio import reach_csv

log = logging.getLogger("mudump.web")

#: Bounds on every request (the CLI's own bounds where it has them, tighter where a browser
#: request should stay interactive).
LIMITS: dict[str, int] = {
    "body_bytes": 64 * 1024,  # a whole experiment document is < 2 kB
    "n_masses": 400,  # CLI: 2000; 400 log-spaced masses resolve any contour on screen
    "n_couplings": 1000,  # CLI: 5000; edges are root-found, so the grid only has to bracket them
    "models": 4,  # models drawn at once in one plot
    "bins": 1000,
    "n_energies": 2000,
    "string_chars": 200,
    "cache_entries": 128,  # reach results kept in memory (~ n_masses x n_couplings floats each)
    "stream_jobs": 32,  # streamed reach computations running or waiting at once (503 beyond)
}

#: (g-2) band resolution on the reach plot: masses, as in mudump.plotting.reach_figure.
G2_POINTS = 200

STATIC = resources.files(__package__).joinpath("static")


# ----------------------------------------------------------------------------------------------
# requests


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


ExperimentSpec = Union[str, dict[str, Any]]


class GridRequest(_Request):
    """The (m_S, g_mu) grid of a reach scan: log-spaced, as ``mudump reach`` builds it."""

    mass_min_GeV: float = Field(reachmod.DEFAULT_MASSES[0], allow_inf_nan=False)
    mass_max_GeV: float = Field(reachmod.DEFAULT_MASSES[1], allow_inf_nan=False)
    n_masses: int = Field(reachmod.DEFAULT_MASSES[2], ge=2, le=LIMITS["n_masses"])
    coupling_min: float = Field(reachmod.DEFAULT_COUPLINGS[0], allow_inf_nan=False)
    coupling_max: float = Field(reachmod.DEFAULT_COUPLINGS[1], allow_inf_nan=False)
    n_couplings: int = Field(reachmod.DEFAULT_COUPLINGS[2], ge=2, le=LIMITS["n_couplings"])


class ReachRequest(GridRequest):
    """A reach scan: an experiment (preset name or a whole experiment document, every field of
    the TOML file), one or more models, the production method, and the plot's options."""

    experiment: ExperimentSpec = "fnal-mu"
    models: list[str] = Field(default_factory=lambda: ["A"], min_length=1, max_length=LIMITS["models"])
    method: str = Field(DEFAULT_METHOD, max_length=LIMITS["string_chars"])
    form_factor: str = Field(DEFAULT_FORM_FACTOR, max_length=LIMITS["string_chars"])
    compare: Optional[str] = Field(None, max_length=LIMITS["string_chars"])
    theory_band: bool = False
    preset: Optional[str] = Field(None, max_length=LIMITS["string_chars"])


class SpectrumRequest(_Request):
    """The S energy spectrum of ``mudump spectrum``."""

    experiment: ExperimentSpec = "fnal-mu"
    model: str = Field("A", max_length=LIMITS["string_chars"])
    mass_GeV: float = Field(allow_inf_nan=False)
    coupling: float = Field(allow_inf_nan=False)
    method: str = Field(DEFAULT_METHOD, max_length=LIMITS["string_chars"])
    bins: int = Field(30, ge=1, le=LIMITS["bins"])


class DecayLengthRequest(_Request):
    """The lab decay length against E_S of ``mudump decay --plot``."""

    model: str = Field("A", max_length=LIMITS["string_chars"])
    mass_GeV: float = Field(allow_inf_nan=False)
    coupling: float = Field(allow_inf_nan=False)
    energy_min_GeV: Optional[float] = Field(None, allow_inf_nan=False)
    energy_max_GeV: float = Field(200.0, allow_inf_nan=False)
    n_energies: int = Field(200, ge=2, le=LIMITS["n_energies"])


class ExperimentRequest(_Request):
    experiment: ExperimentSpec


class G2BandRequest(_Request):
    preset: Optional[str] = Field(None, max_length=LIMITS["string_chars"])
    mass_min_GeV: float = Field(MASS_RANGE_GEV[0], allow_inf_nan=False)
    mass_max_GeV: float = Field(MASS_RANGE_GEV[1], allow_inf_nan=False)
    n_masses: int = Field(G2_POINTS, ge=2, le=LIMITS["n_energies"])


# ----------------------------------------------------------------------------------------------
# errors: one line, plus the fields it concerns (the page shows each message beside its field)


class RequestError(MudumpError):
    """A refused request: ``message`` (one line, as the CLI would print it) and ``fields``
    (list of {"field": dotted path in the request, "message": ...})."""

    def __init__(self, message: str, fields: list[dict] | None = None, status: int = 422):
        super().__init__(message)
        self.fields = fields or []
        self.status = status


_LEADING_NAME = re.compile(r"^([A-Za-z_][\w.]*) = ")


def _field_of_message(message: str, prefix: str = "") -> list[dict]:
    """The field a library message names ("mass_min_GeV = 2 is not allowed ..."), if any."""
    m = _LEADING_NAME.match(message)
    if not m:
        return []
    name = m.group(1)
    return [{"field": f"{prefix}{name}" if prefix and not name.startswith(prefix) else name, "message": message}]


def _experiment_errors(exc: ValidationError) -> list[dict]:
    """Per-field messages of an experiment validation error, as dotted paths under
    ``experiment.``. A model-level check (loc empty or a section) whose message starts with
    "field = ..." is attached to that field."""
    out = []
    for e in exc.errors():
        loc = [str(p) for p in e["loc"]]
        msg = e["msg"].removeprefix("Value error, ")
        # the wording of mudump.experiments._format_validation (the CLI's line)
        if e["type"] == "missing":
            msg = "is required"
        elif e["type"] == "extra_forbidden":
            msg = "is not a known field"
        elif e["type"] in ("float_type", "int_type"):
            msg = f"must be a number, not {e.get('input')!r}"
        elif e["type"] == "string_type":
            msg = f"must be a string, not {e.get('input')!r}"
        m = _LEADING_NAME.match(msg)
        if m and len(loc) <= 1:
            named = m.group(1)
            loc = named.split(".") if "." in named else loc + [named]
        out.append({"field": ".".join(["experiment", *loc]), "message": msg})
    return out


def resolve_experiment(spec: ExperimentSpec) -> Experiment:
    """An experiment from a preset name (only a preset: never a path on the server) or from a
    whole experiment document, validated by the experiment schema itself (the same validation
    as a TOML file given to the CLI)."""
    if isinstance(spec, str):
        if spec not in preset_names():
            raise RequestError(
                f"experiment = {spec!r} is unknown: use a preset ({', '.join(preset_names())}) or send the whole experiment",
                [{"field": "experiment", "message": "unknown preset"}],
            )
        return load_experiment(spec)
    try:
        return Experiment.model_validate(spec)
    except ValidationError as exc:
        raise RequestError(_format_validation("experiment", exc), _experiment_errors(exc)) from None


def experiment_document(exp: Experiment) -> dict:
    """The experiment as a TOML-ready document: every field, None (unset optional) left out."""
    return exp.model_dump(mode="json", exclude_none=True)


def _check_grid(req: GridRequest) -> tuple[np.ndarray, np.ndarray]:
    """The mass and coupling grids, with the checks and messages of ``mudump reach``."""
    return scan_grid(req.mass_min_GeV, req.mass_max_GeV, req.n_masses, req.coupling_min, req.coupling_max, req.n_couplings)


_plain = plain  # numpy to plain Python for JSON; a non-finite number is an error (mudump.jsonio)


# ----------------------------------------------------------------------------------------------
# reach scans: a plan (validated request), a bounded cache, and the computation


class ReachCache:
    """Bounded LRU of reach results keyed by a hash of everything that defines them. Concurrent
    requests for the same key share one computation (a Future); a failed computation is not
    kept. The library calls themselves run one at a time (``compute_lock``): they are CPU-bound
    on a few cores, and the energy-loss and production-table caches below them are then never
    filled concurrently."""

    def __init__(self, size: int = LIMITS["cache_entries"]):
        self.size = size
        self._entries: OrderedDict[str, Future] = OrderedDict()
        self._lock = threading.Lock()
        self.compute_lock = threading.Lock()
        self._bases: OrderedDict[str, Any] = OrderedDict()
        self.hits = self.misses = self.rescaled = 0

    def get(self, key: str):
        """The result if it is already computed, else None."""
        with self._lock:
            fut = self._entries.get(key)
        return fut.result() if fut is not None and fut.done() and fut.exception() is None else None

    def get_or_compute(self, key: str, compute: Callable[[], Any]):
        with self._lock:
            fut = self._entries.get(key)
            owner = fut is None
            if owner:
                fut = Future()
                self._entries[key] = fut
                self.misses += 1
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
            else:
                self._entries.move_to_end(key)
                self.hits += 1
        if owner:
            try:
                with self.compute_lock:
                    fut.set_result(compute())
            except BaseException as exc:
                fut.set_exception(exc)
                with self._lock:
                    if self._entries.get(key) is fut:
                        del self._entries[key]
        return fut.result()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def base(self, base_key: str):
        """The last result computed for a setup that differs at most in muons on target and
        statistics (see :func:`rescaled`), or None."""
        with self._lock:
            r = self._bases.get(base_key)
            if r is not None:
                self._bases.move_to_end(base_key)
            return r

    def remember_base(self, base_key: str, result) -> None:
        with self._lock:
            self._bases[base_key] = result
            self._bases.move_to_end(base_key)
            while len(self._bases) > self.size:
                self._bases.popitem(last=False)


def _preset_model(name: str):
    """A shipped model by name or descriptive name. Never a path: the server reads no file a
    request names (a user's own model file is for the CLI)."""
    from ..models import _normalise, presets

    key = _normalise(name)
    if not any(key in (_normalise(m.name), _normalise(m.alias)) for m in presets().values()):
        accepted = ", ".join(presets())
        raise UnknownNameError(f"model = {name!r} is unknown: allowed {accepted}")
    return get_model(name)


class ReachPlan:
    """A validated reach request: the experiment, the models, the scans to run."""

    def __init__(self, req: ReachRequest):
        self.req = req
        self.experiment = resolve_experiment(req.experiment)
        self.models = [_preset_model(m) for m in dict.fromkeys(req.models)]
        self.method = check_method(req.method)
        self.form_factor = check_form_factor(req.form_factor)
        self.compare = check_method(req.compare) if req.compare else None
        self.preset = g2mod.get_preset(req.preset).name if req.preset else g2mod.default_preset_name()
        try:
            self.masses, self.couplings = _check_grid(req)
        except MudumpError as exc:
            if isinstance(exc, RequestError):
                raise
            raise RequestError(str(exc), _field_of_message(str(exc))) from None
        variants = []
        if req.theory_band:
            variants = [(m, f) for m in ("etl", "ww") for f in FORM_FACTORS if (m, f) != (self.method, self.form_factor)]
        self.variants = variants
        # every scan: (model, method, form factor)
        self.scans = []
        for mdl in self.models:
            self.scans.append((mdl.name, self.method, self.form_factor))
            self.scans += [(mdl.name, m, f) for m, f in variants]
            if self.compare:
                self.scans.append((mdl.name, self.compare, self.form_factor))
        self.scans = list(dict.fromkeys(self.scans))

    def key(self, scan, base: bool = False) -> str:
        """Hash of everything that defines a scan's result; with ``base``, of everything but
        the muons on target and the statistics (results that :func:`rescaled` can share)."""
        exp = experiment_document(self.experiment)
        if base:
            exp = {k: v for k, v in exp.items() if k not in ("statistics", "name", "label", "description", "source")}
            exp["beam"] = {k: v for k, v in exp["beam"].items() if k != "muons_on_target"}
        doc = {
            "experiment": exp,
            "scan": scan,
            "masses": [self.req.mass_min_GeV, self.req.mass_max_GeV, self.req.n_masses],
            "couplings": [self.req.coupling_min, self.req.coupling_max, self.req.n_couplings],
            "base": base,
        }
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()

    def run(self, cache: ReachCache, progress: Optional[Callable[[int, int], None]] = None) -> dict:
        """Run (or fetch) every scan; returns {scan: ReachResult}. ``progress(done, total)``
        counts masses over all scans."""
        n = self.masses.size
        total = n * len(self.scans)
        out = {}
        for k, scan in enumerate(self.scans):

            def compute(k=k, scan=scan):
                model, method, ff = scan
                base_key = self.key(scan, base=True)
                base = cache.base(base_key)
                if base is not None:
                    cache.rescaled += 1
                    r = rescaled(base, self.experiment)
                else:
                    cb = None if progress is None else (lambda i, _n: progress(k * n + i, total))
                    r = reachmod.reach(self.experiment, model, self.masses, self.couplings, method, progress=cb,
                                       form_factor=ff)
                cache.remember_base(base_key, r)
                return r

            out[scan] = cache.get_or_compute(self.key(scan), compute)
            if progress is not None:
                progress((k + 1) * n, total)
        return out

    def cached(self, cache: ReachCache) -> bool:
        """True when every scan is already in the cache (the answer needs no new tables)."""
        return all(cache.get(self.key(s)) is not None for s in self.scans)

    def grouped(self, results: dict):
        """Main results (one per model), theory-band variants and compare results, in the
        layout of :func:`mudump.plotting.reach_figure`."""
        main, bands, compared = [], [], []
        for mdl in self.models:
            main.append(results[(mdl.name, self.method, self.form_factor)])
            bands.append([results[(mdl.name, m, f)] for m, f in self.variants])
            compared.append(results[(mdl.name, self.compare, self.form_factor)] if self.compare else None)
        return main, bands, compared


def rescaled(base, experiment):
    """The reach of ``experiment`` from the result ``base`` of a setup that differs at most in
    muons on target, confidence level and background (same tables, geometry, model, method,
    grid): exactly what :func:`mudump.reach.reach` returns, without re-evaluating the events on
    the grid.

    The expected events are linear in the muons on target (N = N_mu g^2 sum_i w_i P_i,
    :class:`mudump.signal.Yield`; physics.md section 6), so the grid is ``base.events`` times
    the ratio of muons; the confidence level and the background change only the Poisson limit
    N_up (:func:`mudump.reach.poisson_upper_limit`). The interval edges are then located as in
    :func:`mudump.reach.reach`, by root finding on the exact event function of ``experiment``
    (:func:`mudump.signal.experiment_yield`, whose tables are in memory)."""
    scale = experiment.beam.muons_on_target / base.experiment.beam.muons_on_target
    limit = experiment.statistics.limit()  # the library's limit (CLs with a background)
    n_up = limit.n_up
    events = base.events * scale
    intervals = []
    for i, m in enumerate(base.masses):
        n_of_g = signal.experiment_yield(experiment, base.model, m, base.method, base.form_factor)
        intervals.append(reachmod._intervals(base.couplings, events[i], n_up, lambda g, f=n_of_g: f(g)[0]))
    return reachmod.ReachResult(experiment, base.model, base.method, experiment.statistics.confidence_level, n_up,
                                base.masses, base.couplings, events, intervals, base.form_factor, base.acceptance, limit)


def contours(r) -> list[dict]:
    """The closed outlines of a result's excluded region, as mudump.plotting draws them
    (vertex lists in (m_S [GeV], g_mu))."""
    masses = np.asarray(r.masses, dtype=float)
    order = np.argsort(masses)
    masses = masses[order]
    intervals = [r.intervals[i] for i in order]
    if all(len(iv) <= 1 for iv in intervals):
        polys = plotting._exclusion_single(masses, intervals)
    else:
        polys, _ = plotting._exclusion_general(masses, intervals, np.sort(np.asarray(r.couplings, dtype=float)))
    out = []
    for p in polys:
        closed = np.vstack([p, p[:1]])
        out.append({"m_S_GeV": closed[:, 0], "g_mu": closed[:, 1]})
    return out


def _result_json(r) -> dict:
    """A result's JSON part (to_dict, labels, contours), built once per result object."""
    cached = getattr(r, "_web_json", None)
    if cached is None:
        d = r.to_dict()
        mdl = get_model(r.model)
        d.update(model_label=mdl.label, model_description=mdl.description, contours=contours(r))
        cached = _plain(d)
        r._web_json = cached
    return dict(cached)


def reach_payload(plan: ReachPlan, results: dict, seconds: float, cpu_seconds: float = 0.0) -> dict:
    """The JSON answer of a reach request."""
    main, bands, compared = plan.grouped(results)
    out = []
    for r, vs, c in zip(main, bands, compared):
        d = _result_json(r)
        if vs:
            d["band"] = [{"method": v.method, "form_factor": v.form_factor, "intervals": v.to_dict()["intervals"]} for v in vs]
        if c is not None:
            d["compare"] = {"method": c.method, "intervals": c.to_dict()["intervals"], "contours": contours(c)}
        out.append(d)
    exp = plan.experiment
    return _plain({
        "experiment": experiment_document(exp),
        "legend": exp.label or exp.name,
        "signal_events_limit": main[0].n_up,
        "results": out,
        "g2": _plain(g2_band_payload(plan.preset, float(plan.masses.min()), float(plan.masses.max()), G2_POINTS)),
        "seconds": seconds,  # wall time of the scans in the server
        "cpu_seconds": cpu_seconds,  # CPU time of the thread that ran them (independent of load)
    })


@lru_cache(maxsize=64)
def g2_band_payload(preset: Optional[str], m_lo: float, m_hi: float, n: int) -> dict:
    """The (g-2)_mu band of a preset over log-spaced masses (GeV), from mudump.g2.band
    (memoised: the loop integral per mass takes ~0.1 s for 200 masses, on every redraw
    otherwise). Treat the answer as read-only."""
    masses = np.geomspace(m_lo, m_hi, n)
    b = g2mod.band(masses, preset)
    p = g2mod.get_preset(b["preset"])
    return {
        "preset": p.name, "label": p.label, "anomalous": p.anomalous, "delta_a_mu": p.delta_a_mu,
        "sigma": p.sigma, "source": p.source, "m_S_GeV": masses,
        **{k: b[k] for k in ("central", "lo1", "hi1", "lo2", "hi2", "upper_limit")},
    }


# ----------------------------------------------------------------------------------------------
# figures (matplotlib's mathtext and font caches are not meant for concurrent use: one at a time)

_figure_lock = threading.Lock()


def png_bytes(fig) -> bytes:
    """The PNG that ``mudump ... --plot x.png`` would write (mudump.plotting.save)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = plotting.save(fig, Path(tmp) / "plot.png")
        return path.read_bytes()


# ----------------------------------------------------------------------------------------------
# the application


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


def _json(payload: dict) -> Response:
    """A JSON answer (payload already plain and finite: see _plain)."""
    return Response(json.dumps(payload, allow_nan=False, separators=(",", ":")), media_type="application/json")


def _error(status: int, message: str, fields: list[dict] | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "fields": fields or []}, status_code=status)


def create_app(allowed_hosts: Optional[list[str]] = None) -> FastAPI:
    """The FastAPI application. ``allowed_hosts``: Host header values accepted (``mudump
    serve`` passes the loopback names when bound to loopback, against DNS rebinding); None
    accepts any."""
    from .. import __version__, materials

    app = FastAPI(
        title="mudump reach explorer",
        version=__version__,
        description="Projected reach of muon beam-dump experiments for dark scalars (docs/web.md).",
        docs_url=None,  # Swagger UI and ReDoc load their scripts from a CDN: off (no internet needed)
        redoc_url=None,
    )
    cache = ReachCache()
    app.state.reach_cache = cache
    stream_slots = threading.BoundedSemaphore(LIMITS["stream_jobs"])  # worker threads of /api/reach/stream

    # --- errors: one line and the fields, never a traceback -------------------------------

    @app.exception_handler(RequestValidationError)
    async def _on_invalid(request: Request, exc: RequestValidationError):
        fields = []
        for e in exc.errors():
            loc = [str(p) for p in e.get("loc", ()) if p != "body"]
            # a union (preset name or document) reports both branches: keep the document's
            loc = [p for p in loc if p not in ("str", "dict[str,any]")]
            if e.get("type") == "json_invalid":
                loc = []
            fields.append({"field": ".".join(loc) or "(body)", "message": e.get("msg", "invalid")})
        first = fields[0] if fields else {"field": "(body)", "message": "invalid request"}
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return _error(400, "the request body is not valid JSON", fields)
        more = f" (and {len(fields) - 1} more)" if len(fields) > 1 else ""
        return _error(422, f"{first['field']}: {first['message']}{more}", fields)

    @app.exception_handler(RequestError)
    async def _on_request_error(request: Request, exc: RequestError):
        return _error(exc.status, str(exc), exc.fields)

    @app.exception_handler(MudumpError)
    async def _on_mudump_error(request: Request, exc: MudumpError):
        return _error(404 if isinstance(exc, UnknownNameError) and request.method == "GET" else 422, str(exc),
                      _field_of_message(str(exc)))

    @app.exception_handler(Exception)
    async def _on_bug(request: Request, exc: Exception):
        log.exception("internal error on %s", request.url.path)
        return _error(500, f"internal error ({type(exc).__name__}); the server carries on, please report this request")

    # --- page and static files --------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def index():
        return FileResponse(str(STATIC.joinpath("index.html")), media_type="text/html")

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    # --- lists ------------------------------------------------------------------------------

    @app.get("/api/health")
    def health():
        return {"status": "ok", "version": __version__, "reach_cache_entries": len(cache)}

    @app.get("/api/limits")
    def limits():
        """The bounds every request must respect."""
        return {**LIMITS, "mass_range_GeV": list(MASS_RANGE_GEV), "coupling_max": 1.0}

    @app.get("/api/experiments")
    def experiments():
        """The experiment presets: name, label, description, source."""
        out = []
        for name in preset_names():
            e = load_experiment(name)
            out.append({"name": name, "label": e.label, "description": e.description, "source": e.source})
        return {"presets": out}

    @app.get("/api/experiments/{name}")
    def experiment(name: str):
        """A preset as a whole experiment document (every field of its TOML file)."""
        return experiment_document(resolve_experiment(name))

    @app.get("/api/schema/experiment")
    def experiment_schema():
        """The JSON schema of an experiment document (pydantic's, from the library's model)."""
        return Experiment.model_json_schema()

    @app.get("/api/models")
    def models():
        return {"models": [{"name": m.name, "alias": m.alias, "label": m.label, "description": m.description,
                            "ratios": dict(m.ratios), "reference": m.reference} for m in MODELS.values()]}

    @app.get("/api/methods")
    def methods():
        return {"methods": [{"name": k, "description": v} for k, v in METHODS.items()], "default": DEFAULT_METHOD,
                "form_factors": list(FORM_FACTORS), "default_form_factor": DEFAULT_FORM_FACTOR}

    @app.get("/api/g2/presets")
    def g2_presets():
        return {"default": g2mod.default_preset_name(),
                "presets": [{"name": p.name, "label": p.label, "delta_a_mu": p.delta_a_mu, "sigma": p.sigma,
                             "anomalous": p.anomalous, "source": p.source} for p in g2mod.presets().values()]}

    @app.get("/api/materials")
    def material_list():
        """The material presets (any element symbol is accepted too)."""
        return {"presets": list(materials.presets())}

    @app.post("/api/g2/band")
    def g2_band(req: G2BandRequest):
        check_range("mass_min_GeV", req.mass_min_GeV, 0.0, lo_open=True, unit="GeV")
        check_range("mass_max_GeV", req.mass_max_GeV, req.mass_min_GeV, lo_open=True, unit="GeV")
        return _plain(g2_band_payload(req.preset, req.mass_min_GeV, req.mass_max_GeV, req.n_masses))

    # --- experiments ------------------------------------------------------------------------

    @app.post("/api/experiment/validate")
    def validate(req: ExperimentRequest):
        """The experiment as the CLI would read it (200), or the refusal (422, per field)."""
        return {"ok": True, "experiment": experiment_document(resolve_experiment(req.experiment))}

    @app.post("/api/experiment.toml")
    def experiment_toml(req: ExperimentRequest):
        """The experiment as a TOML file that ``mudump reach FILE.toml`` reads unchanged."""
        import tomli_w

        exp = resolve_experiment(req.experiment)
        text = tomli_w.dumps(experiment_document(exp))
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", exp.name) or "experiment"
        return Response(text, media_type="application/toml",
                        headers={"Content-Disposition": f'attachment; filename="{name}.toml"'})

    # --- reach ------------------------------------------------------------------------------

    def _reach(req: ReachRequest, progress=None):
        plan = ReachPlan(req)
        t, c = time.perf_counter(), time.thread_time()
        results = plan.run(cache, progress)
        return plan, results, time.perf_counter() - t, time.thread_time() - c

    @app.post("/api/reach")
    def reach(req: ReachRequest):
        """Excluded g_mu intervals per mass for each model (``mudump reach --json``), with the
        contours and the (g-2) band of the plot."""
        plan, results, dt, cpu = _reach(req)
        return _json(reach_payload(plan, results, dt, cpu))

    @app.post("/api/reach/stream")
    def reach_stream(req: ReachRequest):
        """As /api/reach, streamed as NDJSON: {"progress": [done, total]} lines while production
        tables are computed, then one {"result": ...} (or {"error": ...}) line."""
        plan = ReachPlan(req)  # validation errors answer 4xx before the stream starts
        if not stream_slots.acquire(blocking=False):
            raise RequestError(f"busy: {LIMITS['stream_jobs']} reach computations are already waiting; retry shortly",
                               status=503)
        q: queue.Queue = queue.Queue()
        last = [0.0]

        def progress(done, total):
            now = time.perf_counter()
            if now - last[0] > 0.05 or done == total:
                last[0] = now
                q.put({"progress": [done, total]})

        def work():
            try:
                t, c = time.perf_counter(), time.thread_time()
                results = plan.run(cache, progress)
                q.put({"result": reach_payload(plan, results, time.perf_counter() - t, time.thread_time() - c)})
            except MudumpError as exc:
                q.put({"error": str(exc), "fields": _field_of_message(str(exc))})
            except Exception as exc:  # noqa: BLE001 - reported to the client, logged here
                log.exception("reach stream failed")
                q.put({"error": f"internal error ({type(exc).__name__})", "fields": []})
            finally:
                stream_slots.release()

        threading.Thread(target=work, name="mudump-reach", daemon=True).start()

        def lines():
            while True:
                item = q.get()
                yield json.dumps(item, allow_nan=False) + "\n"
                if "progress" not in item:
                    return

        return StreamingResponse(lines(), media_type="application/x-ndjson",
                                 headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    @app.post("/api/reach.csv")
    def reach_csv_endpoint(req: ReachRequest):
        """The excluded intervals as the CSV that ``mudump reach --output x.csv`` writes (one
        block of rows per model)."""
        plan, results, _, _ = _reach(req)
        main, _, _ = plan.grouped(results)
        return Response(reach_csv(main), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{plan.experiment.name}-reach.csv"'})

    @app.post("/api/reach.png")
    def reach_png(req: ReachRequest):
        """The reach plot that ``mudump reach --plot x.png`` writes."""
        plan, results, _, _ = _reach(req)
        main, bands, compared = plan.grouped(results)
        with _figure_lock:
            fig = plotting.reach_figure(main, preset=plan.preset, bands=bands if plan.variants else None,
                                        compare=compared if plan.compare else None)
            data = png_bytes(fig)
        return Response(data, media_type="image/png",
                        headers={"Content-Disposition": f'attachment; filename="{plan.experiment.name}-reach.png"'})

    # --- spectrum and decay length ----------------------------------------------------------

    def _spectrum(req: SpectrumRequest):
        exp = resolve_experiment(req.experiment)
        mdl = _preset_model(req.model)
        method = check_method(req.method)
        check_range("mass_GeV", req.mass_GeV, *MASS_RANGE_GEV, unit="GeV")
        check_range("coupling", req.coupling, 0.0, COUPLING_MAX, lo_open=True)
        signal.check_signal_possible(exp, req.mass_GeV)
        lo = max(req.mass_GeV, exp.signature.e_cut_GeV)
        edges = np.linspace(lo, exp.beam.energy_GeV, req.bins + 1)
        with cache.compute_lock:
            ev = signal.experiment_spectrum(exp, mdl, req.mass_GeV, req.coupling, edges, method)
        return exp, mdl, method, edges, ev

    @app.post("/api/spectrum")
    def spectrum(req: SpectrumRequest):
        """Expected signal events per E_S bin (``mudump spectrum --json``)."""
        exp, mdl, method, edges, ev = _spectrum(req)
        return _plain({"experiment": exp.name, "model": mdl.name, "model_name": mdl.alias, "method": method,
                       "mass_GeV": req.mass_GeV, "coupling": req.coupling, "E_S_GeV": 0.5 * (edges[1:] + edges[:-1]),
                       "bin_edges_GeV": edges, "events": ev, "total_events": float(ev.sum())})

    @app.post("/api/spectrum.png")
    def spectrum_png(req: SpectrumRequest):
        """The plot of ``mudump spectrum --plot x.png``."""
        exp, mdl, method, edges, ev = _spectrum(req)
        with _figure_lock:
            fig = plotting.experiment_spectrum_figure(exp, mdl, req.mass_GeV, req.coupling, edges, ev, method)
            data = png_bytes(fig)
        return Response(data, media_type="image/png")

    def _energies(req: DecayLengthRequest):
        mdl = _preset_model(req.model)
        check_range("mass_GeV", req.mass_GeV, *MASS_RANGE_GEV, unit="GeV")
        check_range("coupling", req.coupling, 0.0, COUPLING_MAX, lo_open=True)
        e_lo = 1.001 * req.mass_GeV if req.energy_min_GeV is None else req.energy_min_GeV
        check_range("energy_min_GeV", e_lo, req.mass_GeV, unit="GeV")
        check_range("energy_max_GeV", req.energy_max_GeV, e_lo, E_MAX_GEV, lo_open=True, unit="GeV")
        return mdl, np.geomspace(e_lo, req.energy_max_GeV, req.n_energies)

    @app.post("/api/decay-length")
    def decay_length(req: DecayLengthRequest):
        """Mean lab decay length (m) against the S energy (GeV)."""
        mdl, energies = _energies(req)
        return _plain({"model": mdl.name, "model_name": mdl.alias, "mass_GeV": req.mass_GeV, "coupling": req.coupling,
                       "E_S_GeV": energies, "decay_length_m": mdl.decay_length(energies, req.mass_GeV, req.coupling),
                       "ctau_m": float(mdl.ctau(req.mass_GeV, req.coupling))})

    @app.post("/api/decay-length.png")
    def decay_length_png(req: DecayLengthRequest):
        """The plot of ``mudump decay --plot x.png``."""
        mdl, energies = _energies(req)
        with _figure_lock:
            data = png_bytes(plotting.decay_length_figure(mdl, req.mass_GeV, req.coupling, energies))
        return Response(data, media_type="image/png")

    app.add_middleware(BodyLimit, limit=LIMITS["body_bytes"])
    if allowed_hosts is not None:
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    return app


__all__ = ["create_app", "LIMITS", "ReachRequest", "SpectrumRequest", "DecayLengthRequest", "resolve_experiment"]
