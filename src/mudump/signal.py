"""Signal yields: how many mediators X an experiment sees, for every coupling at once.

For a production table (quadrature points z_i, E_X,ij with weights w_ij in X per muon per g^2,
:mod:`mudump.production.tables`), the expected number of signal events at coupling g is

    N(g) = N_mu g^2 sum_ij w_ij P(z_i, E_X,ij; g),

production going as g^2. For an electron beam the table is that of the beam electron's track
length (:mod:`mudump.production.electron_beam`, weights per electron at unit electron
coupling) and N_mu g^2 becomes N_e g_e^2, g_e = (g_e/g_mu) g the model's electron coupling
(:meth:`mudump.models.Model.couplings`). The total width is Gamma(g) = g^2 Gamma_1 + Gamma_dark, where
Gamma_1 (visible: charged leptons, photons; invisible: neutrinos) scales with g^2 and
Gamma_dark (X -> chi chi-bar) goes with alpha_D instead (:meth:`mudump.models.Model.width_parts`);
the lab decay length is l(g) = (p/m) hbar c / Gamma(g), and BR_vis(g) = g^2 Gamma_vis / Gamma(g).
With L_T the target length, L_sh the shield and L_R the region after it (docs/physics.md#signals):

* displaced decay: X decays visibly inside the region,
  P = BR_vis exp(-(L_T - z + L_sh)/l) (1 - exp(-L_R/l));
* missing energy: X decays invisibly anywhere, or visibly beyond the detector,
  P = (1 - BR_vis) + BR_vis exp(-(L_T - z + L_sh + L_R)/l).

The E_X cut of the signature is built into the production table (its x range), not applied as
a mask, so the quadrature stays exact.

Units: GeV and metres; couplings dimensionless; events are expected counts.
"""

from __future__ import annotations

import numpy as np

from . import transport
from .models import get_model
from .models.widths import lab_decay_length
from .production import DEFAULT_METHOD
from .production.formfactors import DEFAULT_FORM_FACTOR
from .production.tables import ProductionTable, production_table

DISPLACED = "displaced-decay"
MISSING = "missing-energy"


def check_signal_possible(experiment, m_S: float) -> None:
    """Raise :class:`mudump.errors.DomainError` ("no signal: ...") when the beam muon can make no
    signal S of mass ``m_S`` (GeV) anywhere in the target: its energy at entry is already at or
    below :func:`mudump.transport.production_threshold` (kinematics, the E_S cut, the floor).
    The commands that need a signal (spectrum, events) say it in these words. They follow the
    muon along the target, so an electron beam raises ConfigError in one line (its reach, from
    the electron's track length, works)."""
    from .constants import LEPTONS
    from .errors import ConfigError, DomainError

    e = experiment
    if e.beam.lepton != "mu":
        raise ConfigError(f"spectra and events are computed for muon beams only: experiment {e.name} has an "
                          f"electron beam (beam.lepton = 'e'); use reach for it")
    e_min = transport.production_threshold(m_S, LEPTONS[e.beam.lepton], e.signature.e_cut_GeV,
                                           e.target.min_muon_energy_GeV)
    if e_min >= e.beam.energy_GeV:
        raise DomainError(
            f"no signal: at mass_GeV = {m_S:g} the {e.beam.energy_GeV:g} GeV muon is below threshold all along the "
            f"target (needs E_mu > {e_min:.4g} GeV: m_S + m_mu, the E_S cut and the muon energy floor)"
        )


def probability(kind: str, distance_before, region_length, decay_length, br_visible=1.0):
    """Probability that a mediator with lab decay length ``decay_length`` (m) and visible
    branching fraction ``br_visible`` gives the signal:

    * ``displaced-decay``: it survives ``distance_before`` metres (rest of the target and the
      shield) and decays visibly within the next ``region_length`` metres;
    * ``missing-energy``: it decays invisibly (anywhere), or it survives both and decays
      visibly beyond the detector.

    Pure function of arrays (docs/physics.md#signals)."""
    with np.errstate(divide="ignore", over="ignore"):
        inv = 1.0 / np.asarray(decay_length, dtype=float)
        survive = np.exp(-np.asarray(distance_before) * inv)
        br = np.asarray(br_visible, dtype=float)
        if kind == DISPLACED:
            return br * survive * -np.expm1(-np.asarray(region_length) * inv)
        if kind == MISSING:
            return (1.0 - br) + br * survive * np.exp(-np.asarray(region_length) * inv)
    raise ValueError(f"signature kind {kind!r}")


class Yield:
    """Expected signal events N(g) of one production table under one model and geometry.

    Built once per mass; calling it with an array of couplings is cheap. Writing x = g^2,
    a = (distance before the region)/l_1 and b = (region length)/l_1 with l_1 the decay length
    of the g^2-scaling width at g = 1, and f = Gamma_vis/Gamma_1, the probability without a dark
    sector is f exp(-a x) (1 - exp(-b x)) (displaced) or (1 - f) + f exp(-(a + b) x) (missing
    energy). Where (a + b) x < 1e-4 at every point (long-lived X) the sum over points uses the
    exact second-order expansion with precomputed moments (error < 1e-8 relatively); where
    min(a) x > 745 every decaying term underflows to zero; in between it is summed point by
    point. With a dark sector (Gamma_dark > 0, independent of g) the probability of the module
    docstring is summed point by point at every coupling.
    """

    SERIES = 1e-4
    UNDERFLOW = 745.0

    def __init__(self, table: ProductionTable, model, *, muons: float, kind: str, target_length: float,
                 shield_length: float, region_length: float, beam_lepton: str = "mu"):
        if kind not in (DISPLACED, MISSING):
            raise ValueError(f"signature kind {kind!r}")
        self.kind, self.muons = kind, muons
        model = get_model(model)
        if beam_lepton != "mu":
            # the table is at unit coupling to the beam lepton: production goes as (g_l/g_mu)^2
            # at the model's scanned g_mu (mudump.models.Model.couplings, which holds the mixing)
            ratio = float(np.asarray(model.couplings(1.0, table.m_S).get(beam_lepton, 0.0)))
            self.muons = muons * ratio**2
        w = table.weight.ravel()
        keep = w > 0
        self.w = w[keep]
        if self.w.size == 0 or self.muons == 0:
            self.w = np.zeros(0)
            return
        vis, inv, dark = (float(v) for v in model.width_parts(table.m_S))
        self.g_vis, self.g_1, self.g_dark = vis, vis + inv, dark
        self.f_vis = vis / (vis + inv) if vis + inv > 0 else 0.0
        e_s = table.e_s.ravel()[keep]
        # 1/l per unit width: m / (p hbar c)
        per_width = 1.0 / lab_decay_length(e_s, table.m_S, 1.0)
        z = np.broadcast_to(table.z[:, None], table.e_s.shape).ravel()[keep]
        before = target_length - z + shield_length
        a = before * per_width * self.g_1
        b = region_length * per_width * self.g_1
        self.c = before * per_width * dark
        self.d = region_length * per_width * dark
        if kind == MISSING:
            a, b = a + b, np.zeros_like(b)
            self.c, self.d = self.c + self.d, np.zeros_like(self.d)
        self.a, self.b = a, b
        self.x_series = self.SERIES / float(np.max(a + b)) if np.max(a + b) > 0 else np.inf
        self.x_zero = self.UNDERFLOW / float(np.min(a)) if np.min(a) > 0 else np.inf
        wa, wb = self.w * a, self.w * b
        if kind == DISPLACED:  # e^{-ax}(1 - e^{-bx}) = b x - (a b + b^2/2) x^2 + O(x^3)
            self.m1, self.m2 = wb.sum(), (wa * b + 0.5 * wb * b).sum()
        else:  # e^{-ax} = 1 - a x + a^2 x^2 / 2 + O(x^3)
            self.m0, self.m1, self.m2 = self.w.sum(), wa.sum(), 0.5 * (wa * a).sum()

    def probability_sum(self, x) -> np.ndarray:
        """sum_i w_i P_i at x = g^2 (array)."""
        x = np.atleast_1d(np.asarray(x, dtype=float))
        out = np.zeros(x.shape)
        if self.w.size == 0:
            return out
        if self.g_dark > 0:
            return self._with_dark(x)
        series = x < self.x_series
        if self.kind == DISPLACED:
            out[series] = self.m1 * x[series] - self.m2 * x[series] ** 2
        else:
            out[series] = self.m0 - self.m1 * x[series] + self.m2 * x[series] ** 2
        full = np.flatnonzero(~series & (x < self.x_zero))
        if full.size:
            # points sorted by a: at x only those with a x < 745 contribute (the others underflow
            # to exactly 0), so each coupling sums over a prefix of the sorted points
            a, b, w = self._sorted()
            ends = np.searchsorted(a, self.UNDERFLOW / x[full], side="right")
            for k, n in zip(full, ends):
                p = np.exp(-a[:n] * x[k])
                if self.kind == DISPLACED:
                    p *= -np.expm1(-b[:n] * x[k])
                out[k] = p @ w[:n]
        # the visible fraction, and the invisible decays that always count as missing energy
        out *= self.f_vis
        if self.kind == MISSING:
            out += (1.0 - self.f_vis) * self.w.sum()
        return out

    def _sorted(self):
        """(a, b, w) of the points sorted by a, computed once."""
        if not hasattr(self, "_by_a"):
            order = np.argsort(self.a, kind="stable")
            self._by_a = (self.a[order], self.b[order], self.w[order])
        return self._by_a

    def _with_dark(self, x) -> np.ndarray:
        """sum_i w_i P_i at every x with a coupling-independent dark width (see the docstring)."""
        out = np.empty(x.shape)
        wsum = self.w.sum()
        for k, xk in enumerate(x):
            br_vis = xk * self.g_vis / (xk * self.g_1 + self.g_dark)
            p = np.exp(-(self.a * xk + self.c))
            if self.kind == DISPLACED:
                p = p * -np.expm1(-(self.b * xk + self.d))
                out[k] = br_vis * (p @ self.w)
            else:
                out[k] = (1.0 - br_vis) * wsum + br_vis * (p @ self.w)
        return out

    def __call__(self, couplings) -> np.ndarray:
        """Expected events for each coupling g_mu."""
        g = np.atleast_1d(np.asarray(couplings, dtype=float))
        return self.muons * g**2 * self.probability_sum(g**2)


def events(table: ProductionTable, model, couplings, **geometry) -> np.ndarray:
    """Expected signal events for each coupling in ``couplings`` (see :class:`Yield`)."""
    return Yield(table, model, **geometry)(couplings)


def table_for(experiment, m_S: float, method: "str | None", form_factor: str = DEFAULT_FORM_FACTOR,
              kind: str = "scalar") -> ProductionTable:
    """The (cached) production table of an experiment's target and beam at mass m_S, for a
    mediator of ``kind`` (its production depends on the lepton-side current): the muon's slowing
    down (:mod:`mudump.production.tables`) or the electron's track length
    (:mod:`mudump.production.electron_beam`, method ``ww`` only). ``method`` None: the beam's
    default (:func:`mudump.choices.default_method`)."""
    from .production import beam_method

    e = experiment
    method = beam_method(e.beam.lepton, method)
    if e.beam.lepton == "e":
        from .production.electron_beam import electron_table

        return electron_table(float(m_S), e.target.material, e.beam.energy_GeV, e.target.length_m,
                              e.signature.e_cut_GeV, e.target.min_muon_energy_GeV, kind, form_factor,
                              e.signature.theta_max_rad)
    return production_table(
        float(m_S), e.target.material, e.beam.energy_GeV, e.target.length_m, method, e.beam.lepton,
        e.signature.e_cut_GeV, form_factor, e.target.min_muon_energy_GeV, kind,
    )


def geometry(experiment) -> dict:
    """The keyword arguments of :class:`Yield` that an experiment fixes (muons on target, the
    signature, target, shield and region lengths)."""
    e = experiment
    return dict(
        muons=e.beam.leptons_on_target,
        kind=e.signature.kind,
        target_length=e.target.length_m,
        shield_length=e.downstream.shield_length_m,
        region_length=e.downstream.length_m,
        beam_lepton=e.beam.lepton,
    )


def experiment_yield(
    experiment, model, m_S: float, method: "str | None" = None, form_factor: str = DEFAULT_FORM_FACTOR
) -> Yield:
    """The event function N(g_mu) of an experiment at mass m_S (GeV) for a model."""
    model = get_model(model)
    return Yield(table_for(experiment, m_S, method, form_factor, model.kind), model, **geometry(experiment))


def experiment_events(
    experiment, model, m_S: float, couplings, method: "str | None" = None, form_factor: str = DEFAULT_FORM_FACTOR
) -> np.ndarray:
    """Expected signal events of an experiment for each coupling g_mu (model, mass in GeV)."""
    return experiment_yield(experiment, model, m_S, method, form_factor)(couplings)


#: Gauss-Legendre nodes per E_S bin in :func:`experiment_spectrum`.
BIN_NODES = 8


def experiment_spectrum(
    experiment, model, m_S: float, coupling: float, bins, method: str = DEFAULT_METHOD,
    form_factor: str = DEFAULT_FORM_FACTOR,
) -> np.ndarray:
    """Expected signal events per S-energy bin (``bins``: edges in GeV) at coupling g_mu.

    The depth nodes are those of the production table (:func:`table_for`: the same muon track,
    its energies and depth weights as the yield); within each bin the S energy is integrated by
    Gauss-Legendre (BIN_NODES points) over the part of the bin inside the kinematic range of
    every muon energy along the track, so the bins add up to the total yield (to the precision of
    the table's x rule). Only (depth node, bin) pairs with a kinematically open range are
    evaluated; long spectra report progress (:mod:`mudump.progress`)."""
    from . import progress
    from .constants import LEPTONS
    from .materials import get_material
    from .production import check_method, dsigma_dx_components

    model = get_model(model)
    e = experiment
    method = check_method(method)
    m_l = LEPTONS[e.beam.lepton]
    mat = get_material(e.target.material)
    table = table_for(e, m_S, method, form_factor, model.kind)
    bins = np.asarray(bins, dtype=float)
    out = np.zeros(bins.size - 1)
    if table.z.size == 0:
        return out
    dz = table.dz
    gx, gw = np.polynomial.legendre.leggauss(BIN_NODES)
    lo_all = np.maximum(bins[:-1], max(m_S, e.signature.e_cut_GeV))
    comps = list(zip(mat.nuclei, mat.number_densities))
    width = model.total_width(m_S, coupling)
    br = model.visible_fraction(m_S, coupling)
    i_node, i_bin = np.nonzero(np.minimum(bins[1:][None, :], (table.e_mu - m_l)[:, None]) > lo_all[None, :])
    chunk = max(1, 200_000 // BIN_NODES)
    with progress.task(f"spectrum at m_S = {m_S:g} GeV", total=i_node.size) as bar:
        for a in range(0, i_node.size, chunk):
            ii, bb = i_node[a:a + chunk], i_bin[a:a + chunk]
            E = table.e_mu[ii]
            lo = lo_all[bb]
            span = np.minimum(bins[1:][bb], E - m_l) - lo
            es = lo[:, None] + 0.5 * span[:, None] * (1.0 + gx)
            x = np.clip(es / E[:, None], 0.0, 1.0)
            dsig = dsigma_dx_components(E[:, None], x, m_S, comps, method=method, m_l=m_l, form_factor=form_factor,
                                        kind=model.kind)  # m^-1 per unit x
            w = dsig / E[:, None] * 0.5 * span[:, None] * gw * dz[ii][:, None]  # dx = dE_S / E
            before = e.target.length_m - table.z[ii][:, None] + e.downstream.shield_length_m
            p = probability(e.signature.kind, before, e.downstream.length_m, lab_decay_length(es, m_S, width), br)
            out += np.bincount(bb, weights=(w * p).sum(axis=1), minlength=out.size)
            bar.update(min(a + chunk, i_node.size), i_node.size)
    return e.beam.leptons_on_target * coupling**2 * out


class Spectrum:
    """The S energy spectrum of one experiment, model, mass and coupling (what ``mudump
    spectrum`` and the explorer show): bin edges in GeV, expected events per bin; it carries
    the Experiment and the Model it was computed from."""

    def __init__(self, experiment, model, m_S: float, coupling: float, method: str, edges, events):
        self.experiment, self.model, self.m_S, self.coupling, self.method = experiment, model, m_S, coupling, method
        self.edges, self.events = np.asarray(edges, dtype=float), np.asarray(events, dtype=float)

    @property
    def centres(self) -> np.ndarray:
        return 0.5 * (self.edges[1:] + self.edges[:-1])

    @property
    def total(self) -> float:
        return float(self.events.sum())

    def to_dict(self) -> dict:
        """The JSON form (``mudump spectrum --json``, the explorer's ``/api/spectrum``)."""
        return {
            "experiment": self.experiment.name, "model": self.model.name, "model_name": self.model.alias,
            "method": self.method, "mass_GeV": self.m_S, "coupling": self.coupling, "E_S_GeV": self.centres,
            "bin_edges_GeV": self.edges, "events": self.events, "total_events": self.total,
            "model_spec": self.model.document(),
            "experiment_spec": self.experiment.model_dump(mode="json", exclude_none=True),
        }


def spectrum(experiment, model, m_S: float, coupling: float, bins: int, method: str = DEFAULT_METHOD,
             form_factor: str = DEFAULT_FORM_FACTOR) -> Spectrum:
    """The signal's S energy spectrum in ``bins`` equal bins from max(m_S, E_S cut) to the beam
    energy (:func:`experiment_spectrum`), after the checks every door applies (mass, coupling,
    method, a signal being possible at all)."""
    from ._checks import check_range
    from .experiments import load_experiment
    from .models import COUPLING_MAX, MASS_RANGE_GEV
    from .production import check_method

    exp = load_experiment(experiment)
    mdl = get_model(model)
    method = check_method(method)
    check_range("mass_GeV", m_S, *MASS_RANGE_GEV, unit="GeV")
    check_range("coupling", coupling, 0.0, COUPLING_MAX, lo_open=True)
    check_signal_possible(exp, m_S)
    edges = np.linspace(max(m_S, exp.signature.e_cut_GeV), exp.beam.energy_GeV, int(bins) + 1)
    ev = experiment_spectrum(exp, mdl, m_S, coupling, edges, method, form_factor)
    return Spectrum(exp, mdl, float(m_S), float(coupling), method, edges, ev)
