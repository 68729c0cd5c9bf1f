"""The explorer's reach computations: a validated plan of the scans behind one plot, a bounded
cache of their results, and the JSON answer. Every number comes from the library:
:func:`mudump.reach.reach`, :func:`mudump.reach.rescaled` (the reuse of a scan across muons on
target and statistics, tested against a fresh reach), :func:`mudump.reach.outlines`,
:func:`mudump.g2.band` and :func:`mudump.g2.electron_limit` for the model drawn.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
import threading
from collections import OrderedDict
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from .. import g2 as g2mod
from .. import plotting
from .. import reach as reachmod
from ..errors import ConfigError, MudumpError
from ..jsonio import plain
from ..models import Model
from ..production import check_method
from ..production.formfactors import check_form_factor
from .inputs import (
    MATPLOTLIB_LOCK, RequestError, echo, experiment_document, field_of_message, resolve_experiment, resolve_model, resolve_overlay,
)
from .schemas import G2_POINTS, LIMITS, ReachRequest


class Cancelled(Exception):
    """A computation given up because the client that asked for it has left (the page asked
    something else); raised from the progress callback between two masses."""


class ReachCache:
    """Bounded LRU of reach results keyed by a hash of everything that defines them. Concurrent
    requests for the same key share one computation (a Future); a failed computation is not
    kept. The library calls themselves run one at a time (``compute_lock``): they are CPU-bound
    on a few cores, and the energy-loss and production-table caches below them are then never
    filled concurrently. A computation whose client has left stops (:class:`Cancelled`) and
    is not kept; a request waiting on it computes it afresh. ``bases`` keeps, per setup up to muons on target and statistics, the
    last result (:func:`mudump.reach.rescaled` derives the others from it)."""

    def __init__(self, size: int = LIMITS["cache_entries"]):
        self.size = size
        self._entries: OrderedDict[str, Future] = OrderedDict()
        self._lock = threading.Lock()
        self.compute_lock = threading.Lock()
        self._bases: OrderedDict[str, Any] = OrderedDict()
        self.hits = self.misses = self.rescaled = self.cancelled = 0

    def get(self, key: str):
        """The result if it is already computed, else None."""
        with self._lock:
            fut = self._entries.get(key)
        return fut.result() if fut is not None and fut.done() and fut.exception() is None else None

    def get_or_compute(self, key: str, compute: Callable[[], Any]):
        while True:
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
                    if isinstance(exc, Cancelled):
                        self.cancelled += 1
            try:
                return fut.result()
            except Cancelled:
                if owner:
                    raise
                # the client that started it has left: compute it for this one

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def base(self, base_key: str):
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


def _digest(doc) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class Scan:
    """One reach scan behind a plot: experiment (index into the plan's), model key, production
    method, form factor, acceptance."""

    experiment: int
    model: str
    method: str
    form_factor: str
    acceptance: str


class ReachPlan:
    """A validated reach request: the experiments, the models, the overlays, the scans to run."""

    def __init__(self, req: ReachRequest):
        self.req = req
        specs = [("experiment", req.experiment)] + [(f"experiments.{i}", s) for i, s in enumerate(req.experiments)]
        self.experiments = []
        for field, spec in specs:
            exp = resolve_experiment(spec, field)
            if any(e.name == exp.name for e in self.experiments):
                if any(e == exp for e in self.experiments):
                    continue  # the same experiment twice: drawn once
                raise RequestError(f"{field}: name = {echo(exp.name)} is already on the plot for another setup: rename one",
                                   [{"field": f"{field}.name", "message": "already on the plot: rename it"}])
            self.experiments.append(exp)
        self.models: dict[str, Model] = {}
        self.warnings: list[str] = []
        for i, spec in enumerate(req.models):
            key, mdl, warns = resolve_model(spec, f"models.{i}")
            self.models.setdefault(key, mdl)
            self.warnings += warns
        from ..production import beam_method

        # the method of each experiment: the request's, or (none given) the default of its beam;
        # an electron beam has phase-space WW only (mudump.production.electron_beam)
        self.method = check_method(req.method) if req.method is not None else None
        self.methods = []
        for e in self.experiments:
            try:
                self.methods.append(beam_method(e.beam.lepton, self.method))
            except ConfigError:
                msg = (f"method = {self.method!r} is not available for the electron beam of experiment {e.name}: use "
                       "ww (mudump's exact tree level is tabulated for muon beams only)")
                raise RequestError(msg, [{"field": "method", "message": "use ww for an electron beam"}]) from None
        self.form_factor = check_form_factor(req.form_factor)
        self.compare = check_method(req.compare) if req.compare else None
        self.acceptance = req.acceptance
        if self.acceptance == "mc" and "iww" in (*self.methods, self.compare):  # as mudump.reach.reach_set
            raise RequestError("acceptance = 'mc' needs a method with an angular distribution (etl or ww), not iww",
                               [{"field": "acceptance", "message": "needs method etl or ww"}])
        self.preset = g2mod.get_preset(req.preset).name if req.preset else g2mod.default_preset_name()
        self.preset_e = g2mod.get_electron_preset(req.preset_e).name if req.preset_e else None
        self.overlays = [resolve_overlay(up, f"overlays.{i}") for i, up in enumerate(req.overlays)]
        from .. import constraints as cons

        try:  # the CLI's choice of published constraints (mudump reach --constraints)
            self.constraints, notes = cons.select(req.constraints, list(self.models.values()), self.experiments)
        except MudumpError as exc:
            raise RequestError(str(exc), [{"field": "constraints", "message": str(exc)}]) from None
        self.warnings += notes
        try:
            self.masses, self.couplings = reachmod.scan_grid(req.mass_min_GeV, req.mass_max_GeV, req.n_masses,
                                                             req.coupling_min, req.coupling_max, req.n_couplings)
        except MudumpError as exc:
            raise RequestError(str(exc), field_of_message(str(exc))) from None
        self.variants = [reachmod.theory_variants(m, self.form_factor, e.beam.lepton) if req.theory_band else []
                         for e, m in zip(self.experiments, self.methods)]
        scans = []
        for k in range(len(self.experiments)):
            for key in self.models:
                scans.append(self._scan(k, key, self.methods[k], self.form_factor))
                scans += [self._scan(k, key, m, f) for m, f in self.variants[k]]
                if self.compare:
                    scans.append(self._scan(k, key, self.compare, self.form_factor))
        self.scans = list(dict.fromkeys(scans))
        if len(self.scans) > LIMITS["scans"]:
            raise RequestError(f"this plot needs {len(self.scans)} reach scans (experiments x models x theory choices): "
                               f"at most {LIMITS['scans']}; draw fewer experiments or models, or no theory spread",
                               [{"field": "models", "message": "too many scans for one plot"}])

    def _scan(self, e: int, key: str, method: str, ff: str) -> Scan:
        return Scan(e, key, method, ff, self.acceptance)

    def key(self, scan: Scan, base: bool = False) -> str:
        """Hash of everything that defines a scan's result; with ``base``, of everything but
        the muons on target and the statistics (:func:`mudump.reach.rescale_key`)."""
        exp = self.experiments[scan.experiment]
        doc = {
            "experiment": reachmod.rescale_key(exp) if base else experiment_document(exp),
            "scan": [scan.model, scan.method, scan.form_factor, scan.acceptance],
            "mc": [self.req.mc_events, self.req.seed] if scan.acceptance == "mc" else None,
            "masses": [self.req.mass_min_GeV, self.req.mass_max_GeV, self.req.n_masses],
            "couplings": [self.req.coupling_min, self.req.coupling_max, self.req.n_couplings],
            "base": base,
        }
        return _digest(doc)

    def run(self, cache: ReachCache, progress: Optional[Callable[[int, int], None]] = None) -> list:
        """The reach of every model at every experiment, one :class:`mudump.reach.ReachSet` per
        model (:func:`mudump.reach.reach_set`, the CLI's pipeline), each scan fetched from the
        cache, derived by :func:`mudump.reach.rescaled` from a scan of the same setup, or
        computed. ``progress(done, total)`` counts masses over all scans."""
        n = self.masses.size
        total = n * len(self.scans)
        calls = [0]

        def compute(exp, mdl, method, ff, acceptance):
            e = next(i for i, x in enumerate(self.experiments) if x is exp)
            key = next(k for k, m in self.models.items() if m is mdl)
            scan = self._scan(e, key, method, ff)
            k = calls[0]
            calls[0] += 1

            def fresh():
                base_key = self.key(scan, base=True) if scan.acceptance == "none" else None
                base = cache.base(base_key) if base_key else None
                if base is not None:
                    cache.rescaled += 1
                    r = reachmod.rescaled(base, exp)
                else:
                    cb = None if progress is None else (lambda i, _n: progress(min(k * n + i, total), total))
                    r = reachmod.reach(exp, mdl, self.masses, self.couplings, method, progress=cb, form_factor=ff,
                                       acceptance=acceptance, mc_events=self.req.mc_events, seed=self.req.seed)
                if base_key:
                    cache.remember_base(base_key, r)
                return r

            r = cache.get_or_compute(self.key(scan), fresh)
            if progress is not None:
                progress(min((k + 1) * n, total), total)
            return r

        return [reachmod.reach_set(self.experiments, mdl, self.methods, masses=self.masses, couplings=self.couplings,
                                   form_factor=self.form_factor, band=bool(self.req.theory_band), compare=self.compare,
                                   acceptance=self.acceptance, mc_events=self.req.mc_events,
                                   overlays=[ov for ov in self.overlays if ov.applies_to(mdl)],
                                   constraints=self.constraints, preset=self.preset,
                                   preset_e=self.preset_e, compute=compute)
                for mdl in self.models.values()]

    def cached(self, cache: ReachCache) -> bool:
        """True when every scan is already in the cache (the answer needs no new tables)."""
        return all(cache.get(self.key(s)) is not None for s in self.scans)

    @staticmethod
    def grouped(sets: list):
        """Main results (per model, one per experiment), theory-band variants and compare
        results, in the layout of :func:`mudump.plotting.reach_figure`."""
        main, bands, compared = [], [], []
        for rs in sets:
            main += rs.results
            bands += rs.bands if rs.bands is not None else [[] for _ in rs.results]
            compared += rs.compared if rs.compared is not None else [None for _ in rs.results]
        return main, bands, compared

    @property
    def first_model(self) -> Model:
        """The model whose (g-2) band and overlays are drawn (the first, as in the CLI's plot)."""
        return next(iter(self.models.values()))

    def overlays_drawn(self):
        """The overlays that apply to the model drawn (as ``mudump reach --overlay``)."""
        return [ov for ov in self.overlays if ov.applies_to(self.first_model)]


def _extras(r) -> dict:
    """What the page needs of a result beyond its JSON (:meth:`mudump.reach.ReachResult.to_dict`):
    the model's kind and coupling name, the legend."""
    mdl = r.model
    return {"model_kind": mdl.kind, "coupling_label": mdl.coupling_label, "legend": r.experiment.legend}


_G2_MEMO: OrderedDict = OrderedDict()
_G2_LOCK = threading.Lock()


def g2_band_payload(preset: Optional[str], m_lo: float, m_hi: float, n: int, model=None, model_key: str = "") -> dict:
    """The (g-2)_mu band (or limit) of a preset for a model (:func:`mudump.g2.band`, the band
    the CLI's plot draws: it follows the model's kind and muon coupling; None: a scalar) over
    log-spaced masses (GeV). Memoised (the loop integral per mass takes ~0.1 s for 200 masses,
    on every redraw otherwise); treat the answer as read-only."""
    key = (preset, m_lo, m_hi, n, model_key if model is not None else "")
    with _G2_LOCK:
        if key in _G2_MEMO:
            _G2_MEMO.move_to_end(key)
            return _G2_MEMO[key]
    masses = np.geomspace(m_lo, m_hi, n)
    b = g2mod.band(masses, preset, model=model)
    p = g2mod.get_preset(b["preset"])
    out = plain({
        "preset": p.name, "label": p.label, "anomalous": p.anomalous, "favoured": b["favoured"], "sign": b["sign"],
        "delta_a_mu": p.delta_a_mu, "sigma": p.sigma, "source": p.source, "m_S_GeV": masses,
        **{k: b[k] for k in ("central", "lo1", "hi1", "lo2", "hi2", "upper_limit")},
    })
    with _G2_LOCK:
        _G2_MEMO[key] = out
        while len(_G2_MEMO) > 64:
            _G2_MEMO.popitem(last=False)
    return out


def g2e_payload(preset_e: Optional[str], m_lo: float, m_hi: float, n: int, model, model_key: str) -> Optional[dict]:
    """The g_mu above which (g-2)_e excludes the model at 2 sigma (:func:`mudump.g2.electron_limit`),
    or None for a model that does not couple to electrons; masses where nothing is excluded are
    null. Memoised as :func:`g2_band_payload`."""
    key = ("e", preset_e, m_lo, m_hi, n, model_key)
    with _G2_LOCK:
        if key in _G2_MEMO:
            _G2_MEMO.move_to_end(key)
            return _G2_MEMO[key]
    masses = np.geomspace(m_lo, m_hi, n)
    lim = g2mod.electron_limit(masses, model, preset_e)
    out = None
    if lim is not None:
        p = g2mod.get_electron_preset(preset_e)
        out = {"preset": p.name, "label": p.label, "m_S_GeV": plain(masses),
               "limit": [float(v) if np.isfinite(v) else None for v in lim]}
    with _G2_LOCK:
        _G2_MEMO[key] = out
        while len(_G2_MEMO) > 64:
            _G2_MEMO.popitem(last=False)
    return out


def overlay_payload(ov) -> dict:
    return plain({"label": ov.label, "citation": ov.citation, "confidence_level": ov.confidence_level,
                  "shape": ov.shape, "models": list(ov.models), "file": ov.source_file,
                  "mass_GeV": ov.mass_GeV, "coupling": ov.coupling})


def constraint_payload(c) -> dict:
    """A published or computed constraint as the page draws it (its citation and its points; a
    gap in a published curve, NaN in the library, is null: Plotly breaks the line there)."""
    gaps = lambda a: [float(v) if np.isfinite(v) else None for v in np.asarray(a, dtype=float)]  # noqa: E731
    return plain({**c.to_dict(), "shape": c.shape, "mass_GeV": gaps(c.mass_GeV), "coupling": gaps(c.coupling)})


def reach_payload(plan: ReachPlan, sets: list, seconds: float, cpu_seconds: float = 0.0) -> dict:
    """The JSON answer of a reach request: per model, the results of
    :meth:`mudump.reach.ReachSet.to_dicts` (what ``mudump reach --json`` prints, field for
    field), with what the page draws besides: the (g-2) band and (g-2)_e limit of the first
    model and the overlays that apply to it, with their points."""
    out = []
    for key, rs in zip(plan.models, sets):
        for e, (r, d) in enumerate(zip(rs.results, rs.to_dicts())):
            d.update(_extras(r), experiment_index=e, model_key=key)
            out.append(d)
    exp = plan.experiments[0]
    m_lo, m_hi = float(plan.masses.min()), float(plan.masses.max())
    mdl = plan.first_model
    key = next(iter(plan.models))
    applied = plan.overlays_drawn()
    return plain({
        "experiment": experiment_document(exp),
        "experiments": [experiment_document(e) for e in plan.experiments],
        "legend": exp.label or exp.name,
        "signal_events_limit": sets[0].results[0].n_up,
        "results": out,
        "g2": g2_band_payload(plan.preset, m_lo, m_hi, G2_POINTS, mdl, key),
        "g2_e": g2e_payload(plan.preset_e, m_lo, m_hi, G2_POINTS, mdl, key),
        "overlays": [overlay_payload(ov) for ov in applied],
        "constraints": [constraint_payload(c) for c in plan.constraints],
        "warnings": plan.warnings + [f"overlay {ov.source_file}: it is for {', '.join(ov.models)}, not model "
                                     f"{mdl.name}: not drawn" for ov in plan.overlays if all(ov is not a for a in applied)],
        "seconds": seconds,  # wall time of the scans in the server
        "cpu_seconds": cpu_seconds,  # CPU time of the thread that ran them (independent of load)
    })


# ----------------------------------------------------------------------------------------------
# figures (matplotlib's mathtext and font caches are not meant for concurrent use: one at a time)

figure_lock = MATPLOTLIB_LOCK


def png_bytes(fig) -> bytes:
    """The PNG that ``mudump ... --plot x.png`` would write (mudump.plotting.save)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = plotting.save(fig, Path(tmp) / "plot.png")
        return path.read_bytes()


def reach_png(plan: ReachPlan, sets: list) -> bytes:
    """The reach plot of ``mudump reach ... --plot x.png`` for the plan's results."""
    main, bands, compared = plan.grouped(sets)
    with figure_lock:
        fig = plotting.reach_figure(main, preset=plan.preset, bands=bands if plan.req.theory_band else None,
                                    compare=compared if plan.compare else None, overlays=plan.overlays_drawn(),
                                    preset_e=plan.preset_e, constraints=plan.constraints)
        return png_bytes(fig)


__all__ = ["Cancelled", "ReachCache", "ReachPlan", "reach_payload", "g2_band_payload", "png_bytes", "reach_png"]
