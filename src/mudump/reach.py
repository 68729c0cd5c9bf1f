"""Projected sensitivity: events on a (mass x coupling) grid, Poisson limits, excluded intervals.

Per mass, the production table is computed once (cached on disk) and every coupling follows by
rescaling (production ~ g^2, decay length ~ 1/g^2; :mod:`mudump.signal`). A coupling is
excluded where the expected signal reaches the Poisson upper limit N_up (2.30 events at 90% CL
without background). Along a mass the excluded couplings form intervals, usually one: its lower
edge where S is too rarely made, its upper edge where it decays too soon. Each edge is located
by root finding on the exact event function, not read off the grid.

Units: masses in GeV; couplings g_mu dimensionless.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from ._checks import check_range
from .experiments import Experiment, load_experiment
from .models import COUPLING_MAX, MASS_RANGE_GEV, Model, get_model
from .outlines import closed_outlines
from .production import beam_method, check_method
from .production.formfactors import DEFAULT_FORM_FACTOR, check_form_factor
from .roots import brent_root
from .signal import experiment_yield
from .statistics import Limit, poisson_upper_limit  # noqa: F401 (poisson_upper_limit: the 0.1 name)

#: Default grids of `mudump reach`: masses 1 MeV - 1 GeV, couplings 1e-8 - 1.
DEFAULT_MASSES = (1e-3, 1.0, 100)
DEFAULT_COUPLINGS = (1e-8, 1.0, 200)


@dataclass
class ReachResult:
    """The outcome of a reach scan for one experiment and model."""

    experiment: Experiment
    model: Model  # the Model object itself: never a name to resolve again
    method: str
    cl: float
    n_up: float
    masses: np.ndarray  # (n_m,) GeV
    couplings: np.ndarray  # (n_g,)
    events: np.ndarray  # (n_m, n_g)
    intervals: list = field(default_factory=list)  # per mass: [(g_lo, g_hi), ...]
    form_factor: str = DEFAULT_FORM_FACTOR
    acceptance: str = "none"
    limit: Optional[Limit] = None
    intervals_band: Optional[dict] = None  # projections with background: intervals at the -1, +1 sigma limits

    @property
    def open_ends(self) -> list:
        """Per mass and interval, (low_open, high_open): True where the interval reaches the edge
        of the coupling grid, so the exclusion goes on beyond what was scanned."""
        g_lo, g_hi = float(np.min(self.couplings)), float(np.max(self.couplings))
        return [[(bool(lo <= g_lo), bool(hi >= g_hi)) for lo, hi in iv] for iv in self.intervals]

    @property
    def contours(self) -> list[dict]:
        """The excluded region as polylines: for each run of consecutive masses that have a k-th
        interval, {"interval": k, "mass_GeV": [...], "g_low": [...], "g_high": [...]}; the
        region lies between the two lines (so others can overlay mudump's result)."""
        out = []
        depth = max((len(iv) for iv in self.intervals), default=0)
        for k in range(depth):
            run = []
            for m, iv in list(zip(self.masses, self.intervals)) + [(None, [])]:
                if len(iv) > k:
                    run.append((float(m), float(iv[k][0]), float(iv[k][1])))
                elif run:
                    ms, lo, hi = zip(*run)
                    out.append({"interval": k, "mass_GeV": list(ms), "g_low": list(lo), "g_high": list(hi)})
                    run = []
        return out

    @property
    def outlines(self) -> list[dict]:
        """The closed outlines of the excluded region, as every plot draws them
        (:func:`mudump.outlines.closed_outlines`): [{"m_S_GeV": array, "g_mu": array}, ...]."""
        return closed_outlines(self.masses, self.intervals, self.couplings)

    def to_dict(self) -> dict:
        """The JSON form of a reach result (``mudump reach --json``, the explorer's API and the
        JSON file of ``--output``): the experiment and the model both by name and in full
        (``experiment_spec``: every field of the experiment file; ``model_spec``: the model
        file's document), the production and limit methods, the grids, the intervals with
        their open ends, the contours as polylines and the closed outlines."""
        mdl = self.model
        return {
            "experiment": self.experiment.name,
            "model": mdl.name,
            "model_name": mdl.alias,
            "model_label": mdl.label,
            "model_description": mdl.description,
            "method": self.method,
            "form_factor": self.form_factor,
            "acceptance": self.acceptance,
            "cl": self.cl,
            self.experiment.beam.count_field: self.experiment.beam.leptons_on_target,
            "signal_events_limit": self.n_up,
            **({k: v for k, v in self.limit.to_dict().items() if k != "signal_events_limit"} if self.limit else {}),
            "masses_GeV": self.masses.tolist(),
            "couplings_scanned": [float(np.min(self.couplings)), float(np.max(self.couplings))],
            "intervals": [[[float(a), float(b)] for a, b in iv] for iv in self.intervals],
            "intervals_open": [[[a, b] for a, b in iv] for iv in self.open_ends],
            "contours": self.contours,
            "outlines": [{k: v.tolist() for k, v in o.items()} for o in self.outlines],
            **({"intervals_expected_band": {k: [[[float(a), float(b)] for a, b in iv] for iv in ivs]
                                            for k, ivs in self.intervals_band.items()}} if self.intervals_band else {}),
            "model_spec": mdl.document(),
            "experiment_spec": self.experiment.model_dump(mode="json", exclude_none=True),
        }


def outlines(result: ReachResult) -> list[dict]:
    """The closed outlines of a result's excluded region (:attr:`ReachResult.outlines`)."""
    return result.outlines


def _intervals(g, ev, n_up, events_of) -> list[tuple[float, float]]:
    """Excluded coupling intervals from a grid scan, with each edge refined by root finding on
    log(events(g)) - log(n_up) in log g between the two grid points that bracket it."""
    above = ev >= n_up
    if not above.any():
        return []
    lg = np.log(g)
    f_grid = np.log(np.maximum(ev, 1e-300)) - np.log(n_up)  # f at the grid points, known already

    def edge(i):  # crossing between g[i] and g[i+1]
        f = lambda x: np.log(max(float(events_of(np.exp(x))), 1e-300)) - np.log(n_up)  # noqa: E731
        return float(np.exp(brent_root(f, lg[i], lg[i + 1], xtol=1e-10, rtol=1e-10, fa=f_grid[i], fb=f_grid[i + 1])))

    out = []
    idx = np.flatnonzero(np.diff(above.astype(int)))
    starts = ([0] if above[0] else []) + [i + 1 for i in idx if not above[i]]
    ends = [i for i in idx if above[i]] + ([len(g) - 1] if above[-1] else [])
    for s, e in zip(starts, ends):
        lo = float(g[0]) if s == 0 else edge(s - 1)
        hi = float(g[-1]) if e == len(g) - 1 else edge(e)
        out.append((lo, hi))
    return out


def excluded_intervals(couplings, events, n_up, events_of) -> list[tuple[float, float]]:
    """The excluded coupling intervals at one mass: ``events`` on the sorted ``couplings`` grid,
    each edge refined by root finding on ``events_of(g)`` (a float); the rule of :func:`reach`."""
    return _intervals(couplings, events, n_up, events_of)


#: Couplings per mass at which the Monte Carlo acceptance is estimated (then interpolated).
MC_COUPLINGS = 8


def _mc_acceptance_factor(exp, mdl, m, method, form_factor, n_of_g, n_up, couplings, n_mc, seed):
    """A function g -> A(g): accepted (true S path, transverse geometry) over semi-analytic
    signal, from the event generator at MC_COUPLINGS couplings spanning the range where the
    semi-analytic signal exceeds N_up/10, interpolated linearly in log g (constant outside)."""
    from .events.generator import generate

    ev = n_of_g(couplings)
    live = couplings[ev > 0.1 * n_up]
    if live.size == 0:
        return lambda g: np.ones(np.shape(g))
    gs = np.geomspace(live[0], live[-1], MC_COUPLINGS) if live[-1] > live[0] else live[:1]
    acc = []
    for g in gs:
        with_acc = generate(exp, mdl, m, g, n_mc, seed=seed, method=method, form_factor=form_factor, acceptance=True)
        without = generate(exp, mdl, m, g, n_mc, seed=seed, method=method, form_factor=form_factor, acceptance=False)
        tot = without.weight.sum()
        acc.append(with_acc.weight.sum() / tot if tot > 0 else 0.0)
    lg, acc = np.log(gs), np.array(acc)
    return lambda g: np.interp(np.log(np.asarray(g, dtype=float)), lg, acc)


def scan_grid(mass_min, mass_max, n_masses, coupling_min, coupling_max, n_couplings):
    """The log-spaced mass (GeV) and coupling grids of a reach scan, after the checks every
    edge (CLI, scan, web) applies: masses inside the models' range, couplings in (0, 1], each
    maximum above its minimum. A mistake raises DomainError naming the field."""
    from .errors import DomainError

    check_range("mass_min_GeV", mass_min, *MASS_RANGE_GEV, unit="GeV")
    check_range("mass_max_GeV", mass_max, *MASS_RANGE_GEV, unit="GeV")
    check_range("coupling_min", coupling_min, 0.0, 1.0, lo_open=True)
    check_range("coupling_max", coupling_max, 0.0, 1.0, lo_open=True)
    if mass_max <= mass_min:
        raise DomainError(f"mass_max_GeV = {mass_max:g} must be above mass_min_GeV = {mass_min:g}")
    if coupling_max <= coupling_min:
        raise DomainError(f"coupling_max = {coupling_max:g} must be above coupling_min = {coupling_min:g}")
    return np.geomspace(mass_min, mass_max, int(n_masses)), np.geomspace(coupling_min, coupling_max, int(n_couplings))


#: Relative distance below a decay threshold of the mass added by :func:`with_thresholds`.
THRESHOLD_OFFSET = 1e-6


def with_thresholds(masses, model) -> np.ndarray:
    """The sorted masses (GeV) with m = 2 m_l (1 - THRESHOLD_OFFSET) added for every charged
    lepton l the model couples to, where that lies strictly inside the range of ``masses``."""
    from .constants import LEPTONS

    masses = np.sort(np.asarray(masses, dtype=float))
    mdl = get_model(model)
    extra = [2.0 * LEPTONS[l] * (1.0 - THRESHOLD_OFFSET) for l in mdl.couplings(1.0)]
    extra = [m for m in extra if masses[0] < m < masses[-1] and not np.any(np.isclose(masses, m, rtol=1e-9))]
    return np.sort(np.r_[masses, extra])


def reach(
    experiment,
    model,
    masses=None,
    couplings=None,
    method: Optional[str] = None,
    progress: Optional[Callable[[int, int], None]] = None,
    form_factor: str = DEFAULT_FORM_FACTOR,
    acceptance: str = "none",
    mc_events: int = 20_000,
    seed: int = 1,
    refine_thresholds: bool = True,
) -> ReachResult:
    """Scan masses (GeV) x couplings (g_mu) for an experiment (preset name, path or Experiment)
    and a model ("A" or "leptophilic", "B" or "muonphilic"); returns the events grid and the excluded intervals per mass.
    ``progress(done, total)`` is called after each mass (the CLI draws a bar with it).
    ``acceptance="mc"`` multiplies the semi-analytic signal by the geometric acceptance of the
    event generator (:mod:`mudump.events.generator`; ``mc_events`` per coupling, ``seed``).
    ``refine_thresholds`` adds to the masses a point just below each two-lepton decay threshold
    of the model inside the scanned range (:func:`with_thresholds`), so that contours reach
    the threshold (2 m_mu, where S -> mu mu opens and the reach collapses) instead of stopping
    at the last grid mass before it. ``method`` None: the default of the experiment's beam
    (:func:`mudump.choices.default_method`: exact tree level for muons, phase-space WW for
    electrons)."""
    exp = load_experiment(experiment)
    mdl = get_model(model)
    method = beam_method(exp.beam.lepton, method)
    if exp.beam.lepton == "e":
        if float(np.asarray(mdl.couplings(1.0, 0.01).get("e", 0.0))) == 0.0:
            from .errors import ConfigError

            raise ConfigError(f"model {mdl.name} has no coupling to electrons: the electron beam of experiment "
                              f"{exp.name} produces nothing for it")
    check_form_factor(form_factor)
    if acceptance not in ("none", "mc"):
        from .errors import UnknownNameError

        raise UnknownNameError(f"acceptance = {acceptance!r} is unknown: allowed none, mc")
    if acceptance == "mc" and method == "iww":
        from .errors import ConfigError

        raise ConfigError("acceptance = 'mc' needs a method with an angular distribution (etl or ww)")
    masses = np.geomspace(*DEFAULT_MASSES) if masses is None else np.atleast_1d(np.asarray(masses, dtype=float))
    if refine_thresholds:
        masses = with_thresholds(masses, mdl)
    couplings = np.geomspace(*DEFAULT_COUPLINGS) if couplings is None else np.atleast_1d(np.asarray(couplings, dtype=float))
    check_range("mass_GeV", masses, *MASS_RANGE_GEV, unit="GeV")
    check_range("coupling", couplings, 0.0, COUPLING_MAX, lo_open=True)
    couplings = np.sort(couplings)
    limit = exp.statistics.limit()
    n_up = limit.n_up
    band = {"minus_1sigma": [], "plus_1sigma": []} if limit.expected and limit.n_up_hi > limit.n_up_lo else None
    ev = np.zeros((masses.size, couplings.size))
    intervals = []
    for i, m in enumerate(masses):
        n_of_g = experiment_yield(exp, mdl, m, method, form_factor)
        if acceptance == "mc":
            factor = _mc_acceptance_factor(exp, mdl, m, method, form_factor, n_of_g, n_up, couplings, mc_events, seed)
            n_of_g = (lambda f, a: (lambda g: f(g) * a(g)))(n_of_g, factor)
        ev[i] = n_of_g(couplings)
        intervals.append(_intervals(couplings, ev[i], n_up, lambda g: n_of_g(g)[0]))
        if band is not None:  # the expected limit's +-1 sigma: fewer events to exclude is the stronger
            band["minus_1sigma"].append(_intervals(couplings, ev[i], limit.n_up_lo, lambda g: n_of_g(g)[0]))
            band["plus_1sigma"].append(_intervals(couplings, ev[i], limit.n_up_hi, lambda g: n_of_g(g)[0]))
        if progress is not None:
            progress(i + 1, masses.size)
    return ReachResult(
        exp, mdl, method, exp.statistics.confidence_level, n_up, masses, couplings, ev, intervals, form_factor,
        acceptance, limit, band,
    )


# ---------------------------------------------------------------------------------------------
# one question, every door: a set of reach results as one figure shows them


def theory_variants(method: str, form_factor: str, lepton: str = "mu") -> list[tuple[str, str]]:
    """The other theory choices whose spread ``--band`` shades: exact tree level and WW, each
    with both form factors, except the (method, form factor) of the main result. An electron
    beam has one method (:mod:`mudump.production.electron_beam`): its band is the form factor."""
    from .production.formfactors import FORM_FACTORS

    methods = ("etl", "ww") if lepton == "mu" else (method,)
    return [(m, f) for m in methods for f in FORM_FACTORS if (m, f) != (method, form_factor)]


@dataclass
class ReachSet:
    """What one reach question gives: a result per experiment for one model, and optionally
    for each the results under the other theory choices (``bands``, :func:`theory_variants`)
    and under a comparison method (``compared``), with the overlays drawn beside them and the
    Delta a presets of the plot. The CLI, the explorer and the files all present this object;
    none of them computes anything of their own."""

    results: list
    bands: Optional[list] = None  # per result: [ReachResult, ...] or None
    compared: Optional[list] = None  # per result: ReachResult or None
    overlays: list = field(default_factory=list)
    constraints: list = field(default_factory=list)  # published or computed constraints drawn (mudump.constraints)
    preset: Optional[str] = None  # Delta a_mu preset (None: the default)
    preset_e: Optional[str] = None  # Delta a_e preset (None: the default)

    @property
    def model(self) -> Model:
        return self.results[0].model

    def to_dicts(self) -> list[dict]:
        """One JSON object per result (:meth:`ReachResult.to_dict`), with its theory band
        (intervals per variant), its comparison (intervals and contours) and the overlays."""
        out = []
        for k, r in enumerate(self.results):
            d = r.to_dict()
            d["overlays"] = [ov.to_dict() for ov in self.overlays]
            d["constraints"] = [c.to_dict() for c in self.constraints]
            if self.bands is not None:
                d["band"] = [{"method": v.method, "form_factor": v.form_factor,
                              "intervals": [[[float(a), float(b)] for a, b in iv] for iv in v.intervals]}
                             for v in self.bands[k]]
            c = self.compared[k] if self.compared is not None else None
            if c is not None:
                d["compare"] = {"method": c.method,
                                "intervals": [[[float(a), float(b)] for a, b in iv] for iv in c.intervals],
                                "contours": c.contours,
                                "outlines": [{kk: vv.tolist() for kk, vv in o.items()} for o in c.outlines]}
            out.append(d)
        return out

    def to_json_document(self):
        """The JSON document of ``mudump reach --json`` and ``--output FILE.json``: the object of
        :meth:`to_dicts` for one experiment, the list of them for several."""
        from .jsonio import plain

        d = self.to_dicts()
        return plain(d if len(d) > 1 else d[0])


def reach_set(
    experiments,
    model,
    methods=None,
    *,
    masses=None,
    couplings=None,
    form_factor: str = DEFAULT_FORM_FACTOR,
    band: bool = False,
    compare: Optional[str] = None,
    acceptance: str = "none",
    mc_events: int = 20_000,
    overlays=(),
    constraints=(),
    preset: Optional[str] = None,
    preset_e: Optional[str] = None,
    progress_factory: Optional[Callable[[str], Optional[Callable[[int, int], None]]]] = None,
    compute: Optional[Callable[..., ReachResult]] = None,
) -> ReachSet:
    """The reach of one model at several experiments, as ``mudump reach`` and the explorer ask
    it: ``experiments`` a list of Experiment objects (or names/paths, resolved once here);
    ``methods`` one production method for all, or one per experiment; ``band`` adds the
    results under :func:`theory_variants`; ``compare`` a method whose contour is overlaid.
    ``acceptance="mc"`` with ``iww`` is refused (IWW has no angular distribution).
    ``progress_factory(description)`` returns the progress callback of one scan (or None);
    ``compute(experiment, model, method, form_factor, acceptance)`` replaces :func:`reach` for
    a caller that reuses work (the explorer's cache), and must return the same result."""
    from .errors import ConfigError

    exps = [load_experiment(e) for e in experiments]
    mdl = get_model(model)
    methods = [check_method(m) for m in methods] if methods else [None] * len(exps)
    if isinstance(methods, list) and len(methods) == 1:
        methods = methods * len(exps)
    elif len(methods) != len(exps):
        raise ConfigError(f"method (--method) is given {len(methods)} times for {len(exps)} experiments: give it once, "
                          "or once per experiment")
    methods = [beam_method(e.beam.lepton, m) for e, m in zip(exps, methods)]  # None: the beam's default
    check_form_factor(form_factor)
    if compare is not None:
        compare = check_method(compare)
    if acceptance == "mc" and "iww" in methods + ([compare] if compare else []):
        raise ConfigError("acceptance = 'mc' needs a method with an angular distribution (etl or ww), not iww")
    if masses is None:
        masses = np.geomspace(*DEFAULT_MASSES)
    if couplings is None:
        couplings = np.geomspace(*DEFAULT_COUPLINGS)

    def run(e, meth, ff, acc):
        if compute is not None:
            return compute(e, mdl, meth, ff, acc)
        cb = progress_factory(f"{e.name}, model {mdl.label}, {meth}/{ff}") if progress_factory else None
        return reach(e, mdl, masses, couplings, meth, progress=cb, form_factor=ff, acceptance=acc,
                     mc_events=mc_events)

    results, bands, compared = [], [], []
    for e, meth in zip(exps, methods):
        results.append(run(e, meth, form_factor, acceptance))
        if band:
            variants = theory_variants(meth, form_factor, e.beam.lepton)
            bands.append([run(e, m, f, acceptance) for m, f in variants])
        if compare:
            compared.append(run(e, compare, form_factor, acceptance))
    return ReachSet(results, bands if band else None, compared if compare else None, list(overlays),
                    list(constraints), preset, preset_e)


#: Experiment fields that a reach can be rescaled across (:func:`rescaled`): the muons on target
#: and every statistics field; names and descriptions do not enter the numbers at all.
RESCALABLE_FIELDS = ("beam.muons_on_target", "beam.electrons_on_target", "statistics", "name", "label", "description", "source")


def rescale_key(experiment) -> dict:
    """The experiment document without the fields :func:`rescaled` can change: two experiments
    with equal keys (and the same model, method, form factor, grids) share their production and
    yield, so the reach of one follows from the other's by :func:`rescaled`."""
    doc = load_experiment(experiment).model_dump(mode="json")
    for f in ("statistics", "name", "label", "description", "source"):
        doc.pop(f, None)
    doc["beam"] = {k: v for k, v in doc["beam"].items() if k not in ("muons_on_target", "electrons_on_target")}
    return doc


def rescaled(base: ReachResult, experiment) -> ReachResult:
    """The reach of ``experiment`` from ``base``, the result of :func:`reach` for a setup that
    differs at most in the muons on target and the statistics (confidence level, observed
    events, background and its uncertainty, efficiency and its uncertainty): the same numbers as
    a fresh :func:`reach` of ``experiment`` on ``base``'s grid, model, method and form factor,
    without recomputing the events on the grid.

    The expected events are linear in the muons on target (N = N_mu g^2 sum_i w_i P_i,
    :class:`mudump.signal.Yield`), so the grid is ``base.events`` times the ratio of muons; the
    statistics enter only the event limit, taken from ``experiment.statistics.limit()`` as in
    :func:`reach` (Poisson or CLs, with the expected band of a projection). The interval edges
    are root-found on the exact event function of ``experiment``, as in :func:`reach`.

    Raises ValueError when ``experiment`` differs from ``base.experiment`` in anything else
    (:func:`rescale_key`) or when ``base`` used the Monte Carlo acceptance (estimated at
    couplings that depend on the limit, so it does not rescale exactly)."""
    exp = load_experiment(experiment)
    if base.acceptance != "none":
        raise ValueError(f"a reach with acceptance = {base.acceptance!r} cannot be rescaled: compute it afresh")
    if rescale_key(exp) != rescale_key(base.experiment):
        raise ValueError("rescaled: the experiments differ in more than the muons on target and the statistics")
    mdl = get_model(base.model)
    scale = exp.beam.leptons_on_target / base.experiment.beam.leptons_on_target
    limit = exp.statistics.limit()
    n_up = limit.n_up
    band = {"minus_1sigma": [], "plus_1sigma": []} if limit.expected and limit.n_up_hi > limit.n_up_lo else None
    ev = np.asarray(base.events, dtype=float) * scale
    intervals = []
    for i, m in enumerate(base.masses):
        n_of_g = experiment_yield(exp, mdl, m, base.method, base.form_factor)
        one = lambda g, f=n_of_g: f(g)[0]  # noqa: E731
        intervals.append(_intervals(base.couplings, ev[i], n_up, one))
        if band is not None:
            band["minus_1sigma"].append(_intervals(base.couplings, ev[i], limit.n_up_lo, one))
            band["plus_1sigma"].append(_intervals(base.couplings, ev[i], limit.n_up_hi, one))
    return ReachResult(
        exp, base.model, base.method, exp.statistics.confidence_level, n_up, base.masses, base.couplings, ev,
        intervals, base.form_factor, base.acceptance, limit, band,
    )

