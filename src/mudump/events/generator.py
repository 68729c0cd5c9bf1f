"""Monte Carlo signal events: mu N -> mu N S in a thick target, S -> a b downstream.

Sampling (all vectorised; a seed makes a run reproducible):

1. Production point. The muon's kinetic energy T at the vertex, the S energy fraction x and
   the S angle are drawn from a piecewise-constant proposal on cells in (ln T, u, tau): ln T
   along the CSDA track (depth z(T) from the integral of 1/|dE/dz|, :mod:`mudump.transport`),
   u the position of x between the lowest x that makes a signal at that energy,
   max(m_S, E_cut)/E, and the end point, in the two-region variable of
   :func:`mudump.production.etl_table.x_of_v` (:func:`x_of_u`: the lower edge follows the
   muon's energy, so the slice just above the E_S cut is sampled all along the track),
   tau = s/s_max with s = ln(U/U0) the angular variable of the ETL integral
   (:mod:`mudump.events.vertex`), over the whole angle (0 <= theta <= pi) for the exact tree
   level. The cell weights are the cross section at the cell centres (the exact ETL
   d2sigma/(dx dcos theta), :func:`mudump.production.etl.d2sigma_dx_dcos`); the cell
   probabilities favour cells where the signal survives (a defensive mixture keeps every cell
   reachable). Each event then draws the momentum transfer t and the recoil azimuth
   (:func:`mudump.events.vertex.draw_transfer`) and carries the exact weight f/q, f = n_A times
   the fully differential ETL cross section dsigma/(dx dcos theta dt dphi)
   (:func:`mudump.production.etl.d4sigma`) times the Jacobians, q the proposal density: the
   events are distributed as the exact tree-level matrix element in x, the S angle, t and
   phi, and the estimator is unbiased. With ``method = "ww"`` f is the phase-space WW
   d2sigma/(dx dcos theta) (over its angular range) and t is drawn from 1/t^2 between t_-
   and the nuclear scale.
2. The muon at the vertex: multiple scattering from PUMAS's transport mean free path
   (<theta_plane^2> = int dz/lambda_1), with the correlated angle and lateral offset of the PDG
   Review ("Passage of particles through matter", eqs. 34.16-34.19). Its energy: with
   ``straggling`` (the default) the CSDA energy at the vertex depth plus a sampled ionisation
   energy-loss fluctuation of mean zero (delta rays collision by collision above a cut, a
   Gaussian below; Landau/Vavilov/Bohr as the depth grows; radiative losses at their mean:
   :mod:`mudump.events.straggling`); without it the CSDA energy itself.
   Weights stay exact: the proposal stays in the CSDA variable (the depth, through ln T_csda),
   the energy at that depth is drawn from its straggling distribution itself, and the cross
   section and the (x, cos theta) Jacobians are evaluated at the drawn energy, so
   f/q = n d2sigma(E) J(E) dz/dlnT_csda / q(lnT_csda, v, tau) is an unbiased estimator of
   int dz <n sigma(E)>_straggling (no reweighting factor; a drawn energy below the production
   threshold or the muon floor weighs 0). The ETL/WW ratio is taken at the centre of the cell
   of the drawn energy. The S yield of :mod:`mudump.signal` (reach, spectra) stays CSDA
   (sigma at the mean energy); with straggling the sum of the weights differs from it by a
   second-order physical effect (the curvature of the yield over the energy spread, the
   production floor): -0.69 +- 0.10% for FNAL-mu, model B, 50 MeV; +0.39 +- 0.08% for model A,
   100 MeV; +0.08 +- 0.06% for NA64mu, model B, 100 MeV (1e6 events each, --no-acceptance, seed
   21; errors from :func:`total_error`); with the fluctuation
   switched off the machinery gives the CSDA yield (tests/test_straggling.py). The proposal's track goes on beyond the CSDA depth of the
   production threshold (or of the muon floor), where a muon that lost less than the mean
   still produces (:func:`event_table`).
3. Outgoing muon and nuclear recoil: from (x, theta, t, phi) by exact kinematics
   (:func:`mudump.events.vertex.final_state`; the polar angle of the recoil follows from energy
   conservation), rotated about the muon's direction by a uniform S azimuth, so every event
   conserves four-momentum exactly (the nucleus recoils with its own mass A u; the inelastic
   term of the cross section is written as a coherent recoil too).
4. Decay: channel by branching ratio; isotropic in the S rest frame (spin 0), boosted; decay
   distance from the exponential law truncated to the decay region (displaced decays) or to
   beyond the detector (missing energy), with the survival/decay probability in the weight;
   the decay vertex always lies on S's flight line.
5. Acceptance (optional): displaced decays need the vertex and both products inside the
   region's transverse shape up to its end face; missing energy needs the outgoing muon inside
   the detector's transverse shape at its end.

Units: GeV, metres; weights are expected events (their sum is the expected signal).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .. import __version__
from ..constants import ALPHA, GEV2_TO_M2, LEPTONS, pdg_id
from ..experiments import Experiment, load_experiment
from ..materials import energy_loss, get_material
from ..models import MASS_RANGE_GEV, get_model
from ..models.scalar import lab_decay_length
from ..constants import ATOMIC_MASS_UNIT_GEV
from ..production import DEFAULT_METHOD, check_method, etl, etl_table, ww
from ..production.flux import photon_flux
from ..production.formfactors import DEFAULT_FORM_FACTOR, check_form_factor
from ..production.kinematics import default_t_max, u_at_zero_angle
from .._checks import check_range
from ..errors import ConfigError, DomainError
from ..signal import check_signal_possible, probability
from ..transport import production_threshold
from . import vertex
from .batch import EventBatch, total_error  # noqa: F401 (total_error: part of this module's API)
from .straggling import StragglingTrack, delta_ray_constant, sample_loss_fluctuation, straggling_track, w_max

#: Proposal cells in (ln T, v, tau).
CELLS = (24, 32, 16)
#: Fraction of the proposal spread in proportion to production alone (defensive mixture).
DEFENSIVE = 0.1
#: Fraction of the proposal spread uniformly over the cells.
UNIFORM = 0.02
#: Default PDG ID given to S: 54, the spin-0 mediator of the PDG Monte Carlo numbering scheme's
#: dark-sector range 51-60 (Review of Particle Physics, "Monte Carlo particle numbering scheme").
DEFAULT_S_PDGID = 54
#: Events per chunk (memory is flat in the number of events: :func:`generate_chunks`).
CHUNK = 100_000
#: Largest number of events of one run.
MAX_EVENTS = 1_000_000_000
#: Worker threads for the chunks (numpy releases the GIL inside its kernels).
THREADS = 2

#: Default PDG ID of a spin-1 mediator: 55 (the same scheme's spin-1 mediator).
DEFAULT_V_PDGID = 55
#: Default PDG ID of the dark-matter fermion chi: 52 (the same scheme's spin-1/2 dark matter).
DEFAULT_CHI_PDGID = 52

_PRODUCTS = {"gamma gamma": ("gamma", "gamma"), "e+ e-": ("e-", "e+"), "mu+ mu-": ("mu-", "mu+"),
             "tau+ tau-": ("tau-", "tau+")}
_NEUTRINO_PDG = {"nu_e": 12, "nu_mu": 14, "nu_tau": 16}


def _final_states(mdl, m_S, brs, chi_pdgid):
    """(pdg1, pdg2, product mass in GeV, branching ratio, visible) of every open decay: the
    visible channels, then the neutrino flavours (split by their couplings squared) and
    chi chi-bar (written with ``chi_pdgid``)."""
    from ..models import DARK_CHANNEL, NEUTRINO_CHANNEL, NEUTRINOS, VISIBLE

    out = []
    for c in VISIBLE:
        if brs.get(c, 0.0) > 0:
            a, b = _PRODUCTS[c]
            mass = 0.0 if a == "gamma" else LEPTONS[a[:-1]]
            out.append((pdg_id(a), pdg_id(b), mass, brs[c], True))
    if brs.get(NEUTRINO_CHANNEL, 0.0) > 0:
        r2 = {nu: mdl.ratios.get(nu, 0.0) ** 2 for nu in NEUTRINOS}
        tot = sum(r2.values())
        for nu, w in r2.items():
            if w > 0:
                out.append((_NEUTRINO_PDG[nu], -_NEUTRINO_PDG[nu], 0.0, brs[NEUTRINO_CHANNEL] * w / tot, False))
    if brs.get(DARK_CHANNEL, 0.0) > 0:
        m_chi = float(mdl.dark_sector.chi_mass(m_S))
        out.append((int(chi_pdgid), -int(chi_pdgid), m_chi, brs[DARK_CHANNEL], False))
    return out


def _d2sigma_u(E, x, U, m_S, flux, m_l, particle="scalar"):
    """Phase-space WW dsigma/(dx dcos theta) in GeV^-2 (g = 1) at U = -u (see :mod:`..ww`) for a
    mediator of kind ``particle`` (its 2 -> 2 amplitude, :data:`..ww.AMPLITUDES`)."""
    k = np.sqrt(np.clip((x * E) ** 2 - m_S**2, 0.0, None))
    chi = flux.chi(ww.t_min_of(U, E, x), default_t_max(m_S, m_l))
    amp = ww.AMPLITUDES[particle](x, U, m_S, m_l)
    return 2.0 / (4.0 * np.pi) * ALPHA**2 * k * E * (1.0 - x) * chi * amp / U**2


def _dx_dv(v, E, m_S, m_l):
    """dx/dv of etl_table.x_of_v (analytic)."""
    lo, hi, x_m = etl_table.x_regions(E, m_S, m_l)
    W1 = np.arccosh(x_m / lo)
    y_lo, y_hi = -np.log1p(-x_m), -np.log1p(-hi)
    w = 2.0 * v * W1
    y = y_lo + (2.0 * v - 1.0) * (y_hi - y_lo)
    return np.where(v < 0.5, lo * np.sinh(w) * 2.0 * W1, np.exp(-y) * 2.0 * (y_hi - y_lo))


def _s_max(E, x, m_S, m_l):
    U0 = u_at_zero_angle(x, m_S, m_l)
    U_end = np.minimum(2.0 * E * (1.0 - x) * np.sqrt(default_t_max(m_S, m_l)), U0 + np.pi**2 * E**2 * x)
    return U0, np.log(np.maximum(U_end, U0) / U0)


@dataclass(frozen=True)
class EventTable:
    """Everything the sampler needs for one experiment, mass, method and form factor: the
    proposal cells in (ln T, u, tau) and the tables along the CSDA track."""

    lnT_edges: np.ndarray
    u_edges: np.ndarray
    tau_edges: np.ndarray
    weight: np.ndarray  # (nT, nu, ntau): S per muon (g = 1) in each cell (centre rule)
    track_lnT: np.ndarray  # fine grid along the track
    track_z: np.ndarray
    track_dzdlnT: np.ndarray
    track_theta2: np.ndarray  # plane MS variance accumulated from the entry, rad^2
    straggle: StragglingTrack  # delta-ray integrals along the track (energy straggling)


def _e_floor_cell(e_min, T0, m_l):
    """The centre energy of the lowest cell of a track from T0 down to the threshold e_min (the
    energy at which the proposal of the cells below e_min is evaluated: see event_table)."""
    nT = CELLS[0]
    a, b = np.log(e_min - m_l), np.log(T0)
    return float(np.exp(a + 0.5 * (b - a) / nT) + m_l)


def x_of_u(u, E, m_S, m_l, e_cut):
    """(x, dx/du): the S energy fraction at position u in (0, 1) above the lowest x that makes
    a signal at lepton energy E, x_start = max(m_S, e_cut)/E: v = v_start + u (1 - v_start) in
    the two-region variable v of :func:`mudump.production.etl_table.x_of_v`. The lower edge
    follows E, so the slice just above the E_S cut is sampled wherever the muon is along the
    track. Where no x is left (e_cut above the end point) x is the end point (weight 0 there)."""
    x_start = np.maximum(m_S, e_cut) / E
    v0 = np.clip(etl_table.v_of_x(x_start, E, m_S, m_l), 0.0, 1.0 - 1e-9)
    v = v0 + u * (1.0 - v0)
    return etl_table.x_of_v(v, E, m_S, m_l), _dx_dv(v, E, m_S, m_l) * (1.0 - v0)


def _angle_range(E, x, m_S, m_l, method):
    """(U0, s_max): the range of s = ln(U/U0) sampled: the whole angle (theta <= pi) for the
    exact tree level; for WW the range where its flux is not zero (:func:`_s_max`)."""
    if method == "etl":
        return vertex.s_end(E, x, m_S, m_l)
    return _s_max(E, x, m_S, m_l)


@lru_cache(maxsize=32)
def event_table(experiment: Experiment, m_S: float, method: str, form_factor: str, particle: str = "scalar",
                straggling: bool = False) -> EventTable:
    """Build (and keep in memory) the proposal cells of an experiment at mass m_S for a mediator
    of kind ``particle``: the cell weights are the production cross section at the cell centres
    (the exact ETL d2sigma/(dx dcos theta) for ``method = "etl"``, the phase-space WW one for
    ``"ww"``) times the Jacobians.

    The track ends where the muon leaves the target or its CSDA energy reaches the production
    threshold e_min. With ``straggling`` a muon whose CSDA energy is below e_min can still be
    above it (it lost less than the mean): the track then goes on to where the CSDA energy is
    5 sqrt(xi W_max) below e_min (xi the Landau parameter at the threshold depth, W_max at the
    beam energy: five of the Bohr widths, a bound on the upward fluctuations), at least to a
    tenth of e_min's kinetic energy, and the proposal of the cells below e_min is evaluated at
    the lowest cell above e_min and scaled by a Gaussian estimate of the chance to be above it (both only shape the
    proposal: the weights stay exact)."""
    e = experiment
    mat = get_material(e.target.material)
    nuc = mat.nuclei[0]
    n_A = float(mat.number_densities[0])
    el = energy_loss(mat)
    m_l = LEPTONS[e.beam.lepton]
    E0 = e.beam.energy_GeV
    e_cut = e.signature.e_cut_GeV
    e_min = production_threshold(m_S, m_l, e_cut, e.target.min_muon_energy_GeV)
    T0 = E0 - m_l
    T_exit = float(el.energy_after(E0, e.target.length_m)) - m_l
    check_signal_possible(e, m_S)
    T_end = max(T_exit, e_min - m_l)
    n_e = float(nuc.Z * n_A)
    W0 = float(w_max(E0, m_l))
    if straggling and T_exit < e_min - m_l:
        xi_floor = float(delta_ray_constant(n_e, 1.0)) * float(el.path_length(E0, e_min))
        T_end = max(T_exit, e_min - m_l - 5.0 * np.sqrt(xi_floor * W0), 0.1 * (e_min - m_l))
    # fine track table
    lnT = np.linspace(np.log(T_end), np.log(T0), 400)
    T = np.exp(lnT)
    E = T + m_l
    z = el.path_length(E0, E)
    dzdlnT = T / el.dEdz(E)
    inv_l1 = 1.0 / el.transport_path(E)
    # theta^2(z) = int_0^z dz'/lambda_1: integrate along lnT from the entry (high T) down
    seg = 0.5 * (inv_l1[1:] * dzdlnT[1:] + inv_l1[:-1] * dzdlnT[:-1]) * np.diff(lnT)
    theta2 = np.concatenate([np.cumsum(seg[::-1])[::-1], [0.0]])
    # cells
    nT, nu, nt = CELLS
    lnT_edges = np.linspace(np.log(T_end), np.log(T0), nT + 1)
    Tc = np.exp(0.5 * (lnT_edges[1:] + lnT_edges[:-1]))
    Ec_csda = Tc + m_l
    Ec = np.maximum(Ec_csda, _e_floor_cell(e_min, T0, m_l))  # cells below the threshold (straggling only)
    u_edges = np.linspace(0.0, 1.0, nu + 1)
    tau_edges = np.linspace(0.0, 1.0, nt + 1)
    uc = 0.5 * (u_edges[1:] + u_edges[:-1])
    tc = 0.5 * (tau_edges[1:] + tau_edges[:-1])
    Eg = Ec[:, None, None]
    xg, dxdu = x_of_u(uc[None, :, None], Eg, m_S, m_l, e_cut)
    U0, smax = _angle_range(Eg, xg, m_S, m_l, method)
    s = smax * tc[None, None, :]
    theta, dcos_ds = vertex.angle_of_s(s, Eg, xg, U0)
    jac = np.interp(np.log(Tc), lnT, dzdlnT)[:, None, None] * dxdu * dcos_ds * smax
    vol = np.diff(lnT_edges)[:, None, None] * np.diff(u_edges)[None, :, None] * np.diff(tau_edges)[None, None, :]
    ok = (xg * Eg > m_S) & (xg * Eg > e_cut) & (xg < 1 - m_l / Eg)
    shape = np.broadcast_shapes(Eg.shape, xg.shape, theta.shape)
    if method == "etl":
        d2 = etl.d2sigma_dx_dcos(*np.broadcast_arrays(Eg, xg, theta), m_S, nuc, m_l, 1.0, form_factor, kind=particle)
    else:  # ww (iww has no angular distribution and is refused by generate())
        d2 = _d2sigma_u(Eg, xg, U0 * np.exp(s), m_S, photon_flux(nuc, form_factor), m_l, particle)
    weights = np.where(ok, n_A * np.broadcast_to(d2, shape) * GEV2_TO_M2 * jac * vol, 0.0)
    straggle = straggling_track(lnT, dzdlnT, m_l, n_e)
    if straggling:  # proposal only: a Gaussian guess of P(E > e_min) at each depth, floored
        from scipy.special import ndtr

        sigma = np.sqrt(np.interp(np.log(Tc), lnT, straggle.I_c) * W0) + 1e-300
        p_above = np.maximum(ndtr((Ec_csda - e_min) / sigma), 1e-3)
    else:
        p_above = np.ones(nT)
    weights = weights * p_above[:, None, None]
    return EventTable(lnT_edges, u_edges, tau_edges, weights, lnT, z, dzdlnT, theta2, straggle)


def _rotate_from_z(v, n):
    """Rotate vectors v (N, 3) given in a frame whose z axis is the unit vector n (N, 3) into the
    lab (Rodrigues: the rotation taking z to n about the axis z x n)."""
    ax, ay = -n[:, 1], n[:, 0]  # z x n = (-n_y, n_x, 0)
    inv = 1.0 / (1.0 + n[:, 2])
    vx, vy, vz = v[:, 0], v[:, 1], v[:, 2]
    cx, cy, cz = ay * vz, -ax * vz, ax * vy - ay * vx  # a x v
    ddx, ddy, ddz = ay * cz, -ax * cz, ax * cy - ay * cx  # a x (a x v)
    out = np.empty_like(v)
    out[:, 0] = vx + cx + ddx * inv
    out[:, 1] = vy + cy + ddy * inv
    out[:, 2] = vz + cz + ddz * inv
    return out


def _boost(p4_rest, parent4):
    """Boost four-vectors given in the parent's rest frame to the lab (parent4 in the lab)."""
    m = np.sqrt(np.maximum(parent4[:, 0] ** 2 - (parent4[:, 1:] ** 2).sum(1), 1e-300))
    b = parent4[:, 1:] / parent4[:, :1]
    g = parent4[:, 0] / m
    bp = (b * p4_rest[:, 1:]).sum(1)
    b2 = (b * b).sum(1)
    coef = (g - 1.0) * bp / np.maximum(b2, 1e-300) + g * p4_rest[:, 0]
    out = np.empty_like(p4_rest)
    out[:, 0] = g * (p4_rest[:, 0] + bp)
    out[:, 1:] = p4_rest[:, 1:] + coef[:, None] * b
    return out


def _inside(shape_cfg, xy):
    d = shape_cfg
    if d.shape is None:
        return np.ones(xy.shape[0], dtype=bool)
    if d.shape == "cylinder":
        return np.sum(xy**2, 1) <= d.radius_m**2
    return (np.abs(xy[:, 0]) <= 0.5 * d.width_m) & (np.abs(xy[:, 1]) <= 0.5 * d.height_m)


@dataclass(frozen=True)
class Decays:
    """The open decays of S, visible channels first: PDG IDs and mass of the products, the
    cumulative branching fractions within the visible and the invisible groups."""

    br_vis: float
    n_vis: int
    cum_vis: np.ndarray
    cum_inv: np.ndarray
    pdg1: np.ndarray
    pdg2: np.ndarray
    mass: np.ndarray


@dataclass(frozen=True)
class Setup:
    """The fixed inputs of one run, built once by :func:`generate`; every sampling stage reads it."""

    exp: Experiment
    tab: EventTable
    cum: np.ndarray  # cumulative probabilities of the proposal cells
    prob: np.ndarray  # their probabilities
    vol: np.ndarray  # their volumes in (ln T, u, tau)
    nuc: object  # the target nucleus (mudump.nuclei.Nucleus)
    n_A: float  # its number density, 1/m^3
    mass_nucleus: float  # GeV
    m_l: float
    m_S: float
    width: float  # total width of S, GeV
    coupling: float
    n: int  # events of the whole run (the weights' normalisation)
    method: str
    form_factor: str
    particle: str  # the kind of S
    acceptance: bool
    straggling: bool
    e_min: float  # production threshold (GeV)
    e_safe: float  # a valid energy for points below it (weight 0)
    decays: Decays


def _draw_production(S: Setup, rng, k: int) -> dict:
    """Stage 1: the proposal cell, the depth (through the CSDA kinetic energy T), the muon's
    energy there (straggled or not), x and the S angle (module docstring, item 1). Returns the
    sampled point and its weight so far: per muon, n_A d2sigma/(dx dcos theta) is still to be
    multiplied in (stage 2); ``jac_q`` = dz/dlnT dx/du dcos/ds s_max / q_cell."""
    tab, m_l, m_S = S.tab, S.m_l, S.m_S
    nT, nu, nt = CELLS
    cell = np.minimum(np.searchsorted(S.cum, rng.random(k)), S.cum.size - 1)
    iT, rest = np.divmod(cell, nu * nt)
    iu, it = np.divmod(rest, nt)
    u3 = rng.random((k, 3))
    lnT = tab.lnT_edges[iT] + u3[:, 0] * (tab.lnT_edges[iT + 1] - tab.lnT_edges[iT])
    u = tab.u_edges[iu] + u3[:, 1] * (tab.u_edges[iu + 1] - tab.u_edges[iu])
    tau = tab.tau_edges[it] + u3[:, 2] * (tab.tau_edges[it + 1] - tab.tau_edges[it])
    E = np.exp(lnT) + m_l  # CSDA energy at the vertex depth (the proposal's variable)
    if S.straggling:  # the actual energy at that depth (module docstring, item 2)
        E_drawn = np.clip(E - sample_loss_fluctuation(rng, tab.straggle, lnT), m_l * (1.0 + 1e-12),
                          S.exp.beam.energy_GeV)
        below = E_drawn < S.e_min  # no production: weight 0 (a valid energy keeps the kinematics finite)
        E = np.where(below, S.e_safe, E_drawn)
    else:
        below = np.zeros(k, dtype=bool)
    # linear interpolation on the uniform track grid: one index for the track tables
    u_tr = (lnT - tab.track_lnT[0]) / (tab.track_lnT[1] - tab.track_lnT[0])
    i_tr = np.clip(u_tr.astype(np.int64), 0, tab.track_lnT.size - 2)
    f_tr = np.clip(u_tr - i_tr, 0.0, 1.0)

    def track(values):
        lo = values[i_tr]
        return lo + f_tr * (values[i_tr + 1] - lo)

    x, dxdu = x_of_u(u, E, m_S, m_l, S.exp.signature.e_cut_GeV)
    U0, smax = _angle_range(E, x, m_S, m_l, S.method)
    theta, dcos_ds = vertex.angle_of_s(smax * tau, E, x, U0)
    q_cell = S.prob[cell] / S.vol[cell]
    physical = ~below & (x * E > S.exp.signature.e_cut_GeV) & (x * E > m_S)
    jac_q = np.where(physical, track(tab.track_dzdlnT) * dxdu * dcos_ds * smax / q_cell, 0.0)
    return {"E": E, "x": x, "theta": theta, "U": U0 * np.exp(smax * tau), "z": track(tab.track_z),
            "theta0": np.sqrt(track(tab.track_theta2)), "jac_q": jac_q}


def _draw_transfer_ww(rng, E, x, theta, m_S, m_l, nuc, M):
    """WW's momentum transfer: t from 1/t^2 (the shape of the photon flux between t_- and the
    nuclear scale d), the recoil azimuth uniform; the weight is WW's (x, theta) cross section."""
    t_lo, t_hi = etl.t_range(E, x, theta, m_S, m_l, M)
    ok = t_hi > t_lo
    t_x = np.minimum(np.maximum(2.0 * t_lo, nuc.d), t_hi)
    t = t_lo * t_x / (t_x - rng.random(np.size(E)) * (t_x - t_lo))
    return np.where(ok, t, t_lo), 2.0 * np.pi * rng.random(np.size(E)), ok


def _cross_section(S: Setup, rng, p: dict) -> tuple:
    """Stage 2: the momentum transfer t and the recoil azimuth phi, and the production weight
    per muon (g = 1, probability per muon on target of this point, over the proposal density).
    ETL: the exact fully differential cross section over the (t, phi) proposal of
    :func:`mudump.events.vertex.draw_transfer`; WW: its d2sigma/(dx dcos theta), t from its flux."""
    E, x, theta = p["E"], p["x"], p["theta"]
    if S.method == "etl":
        t, phi, ratio, ok = vertex.draw_transfer(rng, E, x, theta, S.m_S, S.nuc, S.m_l, S.form_factor, S.particle)
    else:
        t, phi, ok = _draw_transfer_ww(rng, E, x, theta, S.m_S, S.m_l, S.nuc, S.mass_nucleus)
        ratio = _d2sigma_u(E, x, p["U"], S.m_S, photon_flux(S.nuc, S.form_factor), S.m_l, S.particle)
    return t, phi, ok, S.n_A * ratio * GEV2_TO_M2 * p["jac_q"]


def _scatter_muon(rng, p: dict, k: int):
    """Stage 3: the muon's direction and lateral offset at the vertex from its multiple
    scattering (plane-correlated angle and offset, PDG Review eqs. 34.16-34.19)."""
    th0, z = p["theta0"], p["z"]
    g4 = rng.standard_normal((k, 4))
    thx, thy = th0 * g4[:, 0], th0 * g4[:, 1]
    offx = z * th0 * (g4[:, 2] / np.sqrt(12.0) + g4[:, 0] / 2.0)
    offy = z * th0 * (g4[:, 3] / np.sqrt(12.0) + g4[:, 1] / 2.0)
    nmu = np.empty((k, 3))
    nmu[:, 0], nmu[:, 1], nmu[:, 2] = np.tan(thx), np.tan(thy), 1.0
    nmu /= np.sqrt((nmu * nmu).sum(1))[:, None]
    return nmu, np.column_stack([offx, offy, z])


def _production_record(S: Setup, rng, p: dict, t, phi, nmu, out: dict) -> None:
    """Stage 4: the four-momenta at the production vertex in the lab (the muon along nmu)."""
    E = p["E"]
    phiS = 2.0 * np.pi * rng.random(E.size)
    k4, mu4, nuc4 = vertex.final_state(E, p["x"], p["theta"], t, phi, phiS, S.m_S, S.m_l, S.mass_nucleus)
    pmu = np.sqrt(E**2 - S.m_l**2)
    out["mu_in"][:, 0], out["mu_in"][:, 1:] = E, pmu[:, None] * nmu
    for key, v4 in (("s", k4), ("mu_out", mu4), ("nucleus_out", nuc4)):
        out[key][:, 0] = v4[:, 0]
        out[key][:, 1:] = _rotate_from_z(v4[:, 1:], nmu)
    out["nucleus_in"][:, 0], out["nucleus_in"][:, 1:] = S.mass_nucleus, 0.0


def _decay(S: Setup, rng, s4, vprod) -> dict:
    """Stage 5: where S decays and into what (module docstring, item 4). With the acceptance
    S flies its true path to the planes bounding the region; without it the decay law runs along
    the beam axis as in the semi-analytic yield, and the vertex is put on S's flight line at the
    sampled depth (at the sampled distance along the line for an S that does not move forward)."""
    exp = S.exp
    k = s4.shape[0]
    L_T, L_sh, L_R = exp.target.length_m, exp.downstream.shield_length_m, exp.downstream.length_m
    kk = np.sqrt((s4[:, 1:] ** 2).sum(1))
    khat = s4[:, 1:] / np.maximum(kk, 1e-300)[:, None]
    kz = khat[:, 2]
    zp = vprod[:, 2]
    l = lab_decay_length(s4[:, 0], S.m_S, S.width)
    if S.acceptance:  # the true path of S to the planes bounding the region
        fwd = kz > 0
        kz_s = np.where(fwd, kz, 1.0)
    else:  # along the beam axis, the convention of the semi-analytic yield (see generate())
        fwd = np.ones(k, dtype=bool)
        kz_s = np.ones(k)
    u_d = rng.random(k)
    br_vis = S.decays.br_vis
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        if exp.signature.kind == "displaced-decay":  # a visible decay inside the region
            da = (L_T + L_sh - zp) / kz_s
            span = (L_T + L_sh + L_R - zp) / kz_s - da
            P = br_vis * np.exp(-da / l) * -np.expm1(-span / l)
            dist = da - l * np.log1p(u_d * np.expm1(-span / l))
            invisible = np.zeros(k, dtype=bool)
        else:  # an invisible decay anywhere, or a visible one beyond the detector
            da = (L_T + L_sh + L_R - zp) / kz_s
            p_vis = br_vis * np.exp(-da / l)
            P = (1.0 - br_vis) + p_vis
            invisible = rng.random(k) * P < (1.0 - br_vis)
            dist = np.where(invisible, -l * np.log1p(-u_d), da - l * np.log1p(-u_d))
    P = np.where(fwd, np.nan_to_num(P), 0.0)
    dist = np.where(fwd & np.isfinite(dist), dist, 0.0)
    if not S.acceptance:  # dist is the distance along z: the point of the flight line at that depth
        along = kz > 0
        dist = np.where(along, dist / np.where(along, kz, 1.0), dist)
    vdec = vprod + dist[:, None] * khat
    ct_dec = zp + dist / np.maximum(kk / s4[:, 0], 1e-300)
    d = S.decays
    u_c = rng.random(k)
    ich = np.where(invisible, d.n_vis + np.searchsorted(d.cum_inv, u_c), np.searchsorted(d.cum_vis, u_c))
    ich = np.minimum(ich, len(d.pdg1) - 1)
    m1 = d.mass[ich]
    pstar = np.sqrt(np.clip(0.25 * S.m_S**2 - m1**2, 0.0, None))
    cth = 2.0 * rng.random(k) - 1.0
    sth = np.sqrt(1.0 - cth**2)
    ph = 2.0 * np.pi * rng.random(k)
    rest = np.empty((k, 4))
    rest[:, 0] = np.sqrt(pstar**2 + m1**2)
    rest[:, 1:] = pstar[:, None] * np.column_stack([sth * np.cos(ph), sth * np.sin(ph), cth])
    d1 = _boost(rest, s4)
    return {"P": P, "fwd": fwd, "vdec": vdec, "ct_dec": ct_dec, "d1": d1,
            "d2": s4 - d1,  # the back-to-back partner: exact four-momentum conservation at any boost
            "pdg1": d.pdg1[ich], "pdg2": d.pdg2[ich]}


def _accepted(S: Setup, dec: dict, vprod, mu_out):
    """Stage 6: the transverse geometry (module docstring, item 5)."""
    exp = S.exp
    z_end = exp.target.length_m + exp.downstream.shield_length_m + exp.downstream.length_m
    vdec = dec["vdec"]
    if exp.signature.kind == "displaced-decay":
        ok = _inside(exp.downstream, vdec[:, :2])
        for dd in (dec["d1"], dec["d2"]):
            pz = dd[:, 3]
            fwd_d = pz > 0
            s_ = np.where(fwd_d, (z_end - vdec[:, 2]) / np.where(fwd_d, pz, 1.0), 0.0)
            ok &= fwd_d & _inside(exp.downstream, vdec[:, :2] + s_[:, None] * dd[:, 1:3])
        return ok
    pz = mu_out[:, 3]
    fwd_m = pz > 0
    s_ = np.where(fwd_m, (z_end - vprod[:, 2]) / np.where(fwd_m, pz, 1.0), 0.0)
    return fwd_m & _inside(exp.downstream, vprod[:, :2] + s_[:, None] * mu_out[:, 1:3])


def _sample_chunk(S: Setup, rng, k: int, out: dict) -> None:
    """Sample k events (see :func:`generate`) into the views ``out`` (event arrays and the keep
    mask), stage by stage."""
    p = _draw_production(S, rng, k)
    t, phi, ok_t, f = _cross_section(S, rng, p)
    nmu, vprod = _scatter_muon(rng, p, k)
    _production_record(S, rng, p, t, phi, nmu, out)
    dec = _decay(S, rng, out["s"], vprod)
    weight = S.exp.beam.leptons_on_target * S.coupling**2 * f / S.n * dec["P"]
    keep = dec["fwd"] & (weight > 0) & ok_t
    if S.acceptance:
        keep &= _accepted(S, dec, vprod, out["mu_out"])
    out["keep"][:] = keep
    out["weight"][:] = weight
    out["d1"][:], out["d2"][:] = dec["d1"], dec["d2"]
    out["pdg_d1"][:], out["pdg_d2"][:] = dec["pdg1"], dec["pdg2"]
    out["v_prod"][:, :3], out["v_prod"][:, 3] = vprod, vprod[:, 2]
    out["v_decay"][:, :3], out["v_decay"][:, 3] = dec["vdec"], dec["ct_dec"]


def model_spec(mdl) -> dict:
    """A complete, serialisable description of a model (for the metadata of event files and
    libraries): name, alias, kind, the coupling ratios g_l/g_mu, the kinetic mixing, the dark
    sector, the reference and where it was read from."""
    import dataclasses

    ds = mdl.dark_sector
    return {
        "name": mdl.name, "alias": mdl.alias, "kind": mdl.kind, "description": mdl.description,
        "coupling_ratios": {k: float(v) for k, v in mdl.ratios.items()},
        "kinetic_mixing": mdl.kinetic_mixing,
        "dark_sector": None if ds is None else {k: v for k, v in dataclasses.asdict(ds).items() if v is not None},
        "coupling_label": mdl.coupling_label, "reference": mdl.reference,
        "source": mdl.source_file or "preset",
    }


#: Signed 32-bit integers: the range of a PDG ID in HepMC3 and LHE (IDUP).
PDGID_RANGE = (-(2**31), 2**31 - 1)


def check_pdgid(field: str, value: int) -> int:
    """A PDG ID chosen by the user for a new particle: an integer that fits the event formats
    (signed 32 bits), not zero, and not the ID of a particle the ``particle`` package knows
    (the Standard Model and the PDG's listed states: the new particle must not be mistaken
    for one of them), except the PDG scheme's codes for new states (the dark-sector range
    51-60 of the Monte Carlo numbering scheme and its negatives, which ``particle`` does not
    list as particles)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise DomainError(f"{field} = {value!r} is not allowed: need an integer PDG ID")
    value = int(value)
    lo, hi = PDGID_RANGE
    if value == 0 or not lo <= value <= hi:
        raise DomainError(f"{field} = {value} is not allowed: need a nonzero integer from {lo} to {hi} "
                          "(a signed 32-bit PDG ID, as HepMC3 and LHE store it)")
    from particle import Particle
    from particle.particle.particle import ParticleNotFound, InvalidParticle

    try:
        known = Particle.from_pdgid(value)
    except (ParticleNotFound, InvalidParticle):
        known = None
    if known is not None:
        raise DomainError(f"{field} = {value} is not allowed: it is the PDG ID of {known.name} "
                          "(choose an ID no known particle has, e.g. 51-60 or 4900000-4900999)")
    return value


def _setup(exp, mdl, m_S, coupling, n, method, form_factor, acceptance, straggling, chi_pdgid) -> Setup:
    """Every fixed input of a run (the proposal cells and their probabilities, the decays)."""
    tab = event_table(exp, m_S, method, form_factor, mdl.kind, bool(straggling))
    mat = get_material(exp.target.material)
    m_l = LEPTONS[exp.beam.lepton]
    width = float(mdl.total_width(m_S, coupling))
    brs = {c: float(v) for c, v in mdl.branching_ratios(m_S, coupling).items()}
    final = _final_states(mdl, m_S, brs, chi_pdgid)  # visible channels first, then invisible ones
    if not final:
        raise DomainError(f"model {mdl.name} has no open decay channel at mass_GeV = {m_S:g} (stable at tree level): "
                          "the event generator needs a decaying mediator; use reach or spectrum for its yield")
    vis = [f for f in final if f[4]]
    inv = [f for f in final if not f[4]]
    br_vis = float(sum(f[3] for f in vis))
    # cell probabilities: production x decay probability at the cell centres (+ defensive part)
    nT, nu, nt = CELLS
    Tc = np.exp(0.5 * (tab.lnT_edges[1:] + tab.lnT_edges[:-1]))
    zc = np.interp(np.log(Tc), tab.track_lnT, tab.track_z)
    uc = 0.5 * (tab.u_edges[1:] + tab.u_edges[:-1])
    e_min = production_threshold(m_S, m_l, exp.signature.e_cut_GeV, exp.target.min_muon_energy_GeV)
    e_safe = _e_floor_cell(e_min, exp.beam.energy_GeV - m_l, m_l)
    Ec = np.maximum(Tc + m_l, e_safe)[:, None]  # as in event_table
    xc, _ = x_of_u(uc[None, :], Ec, m_S, m_l, exp.signature.e_cut_GeV)
    lc = lab_decay_length(np.maximum(xc * Ec, m_S * (1 + 1e-12)), m_S, width)
    before = exp.target.length_m - zc[:, None] + exp.downstream.shield_length_m
    with np.errstate(invalid="ignore"):
        pc = np.nan_to_num(probability(exp.signature.kind, before, exp.downstream.length_m, lc, br_vis))
    flat_w = tab.weight.ravel()
    flat_wp = (tab.weight * pc[:, :, None]).ravel()
    prob = DEFENSIVE * flat_w / flat_w.sum()
    if flat_wp.sum() > 0:
        prob = prob + (1 - DEFENSIVE) * flat_wp / flat_wp.sum()
    else:
        prob = flat_w / flat_w.sum()
    # a uniform part reaches the cells whose centre has no cross section but some of whose
    # volume has (at the edges of the kinematic range, where t_- reaches the form factors' end)
    prob = (1.0 - UNIFORM) * prob + UNIFORM / prob.size
    cum = np.cumsum(prob)
    cum /= cum[-1]
    vol = (np.diff(tab.lnT_edges)[:, None, None] * np.diff(tab.u_edges)[None, :, None]
           * np.diff(tab.tau_edges)[None, None, :]).ravel()

    def cumulative(group):
        c = np.cumsum([f[3] for f in group]) if group else np.ones(1)
        return c / c[-1] if c[-1] > 0 else np.linspace(1.0 / len(c), 1.0, len(c))

    decays = Decays(br_vis, len(vis), cumulative(vis), cumulative(inv), np.array([f[0] for f in final], dtype=np.int64),
                    np.array([f[1] for f in final], dtype=np.int64), np.array([f[2] for f in final], dtype=float))
    nuc = mat.nuclei[0]
    return Setup(exp=exp, tab=tab, cum=cum, prob=prob, vol=vol, nuc=nuc, n_A=float(mat.number_densities[0]),
                 mass_nucleus=float(ATOMIC_MASS_UNIT_GEV * nuc.A), m_l=m_l, m_S=m_S, width=width, coupling=coupling,
                 n=n, method=method, form_factor=form_factor, particle=mdl.kind, acceptance=bool(acceptance),
                 straggling=bool(straggling), e_min=e_min, e_safe=e_safe, decays=decays)


def nucleus_pdgid(nuc) -> int:
    """The PDG ID 100ZZZAAAI of a target element's most abundant isotope (abundances from
    ``periodictable``; the Monte Carlo numbering scheme's nuclear code, I = 0): the nucleus's
    mass in the events is the element's mean atomic mass (that of the cross sections), its
    name the isotope a detector simulation can build."""
    import periodictable

    el = periodictable.elements[int(nuc.Z)]
    abundant = [(el[a].abundance, a) for a in el.isotopes if el[a].abundance]
    A = max(abundant)[1] if abundant else int(round(nuc.A))
    return int(1000000000 + int(nuc.Z) * 10000 + A * 10)


def generate_chunks(
    experiment,
    model,
    m_S: float,
    coupling: float,
    n: int,
    *,
    seed: int | None = None,
    method: str = DEFAULT_METHOD,
    form_factor: str = DEFAULT_FORM_FACTOR,
    acceptance: bool = True,
    s_pdgid: int | None = None,
    chi_pdgid: int = DEFAULT_CHI_PDGID,
    straggling: bool = True,
    progress=None,
):
    """The events of :func:`generate`, as an iterator over :class:`EventBatch` chunks of at most
    CHUNK generated events each (in order; every batch carries the run's ``meta``): memory
    stays flat in ``n``. The weights are final (normalised to the ``n`` events of the whole
    run), so a writer can store each chunk as it comes; concatenated, the chunks are the
    batch :func:`generate` returns for the same arguments. Arguments are checked before the
    first chunk is made."""
    exp = load_experiment(experiment)
    mdl = get_model(model)
    method = check_method(method)
    if method == "iww":
        raise ConfigError("method = 'iww' has no angular distribution to sample: use etl or ww")
    check_form_factor(form_factor)
    if len(get_material(exp.target.material).composition) > 1:
        raise ConfigError(
            f"target.material = {exp.target.material!r} is a compound: event generation supports single-element targets"
        )
    m_S = float(check_range("mass_GeV", m_S, *MASS_RANGE_GEV, unit="GeV"))
    coupling = float(check_range("coupling", coupling, 0.0, lo_open=True))
    n = int(check_range("n", n, 1, MAX_EVENTS))
    if s_pdgid is None:
        s_pdgid = DEFAULT_S_PDGID if mdl.spin == 0 else DEFAULT_V_PDGID
    s_pdgid = check_pdgid("s_pdgid", s_pdgid)
    chi_pdgid = check_pdgid("chi_pdgid", chi_pdgid)
    if seed is None:  # a fresh seed, recorded in the metadata so that the run can be repeated
        import secrets

        seed = secrets.randbits(63)
    elif isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2**63:
        raise DomainError(f"seed = {seed!r} is not allowed: need an integer 0 <= seed < 2^63")
    S = _setup(exp, mdl, m_S, coupling, n, method, form_factor, acceptance, straggling, chi_pdgid)
    meta = {
        "generator": "mudump", "mudump_version": __version__, "experiment": exp.name, "model": mdl.name,
        "model_name": mdl.alias, "model_spec": model_spec(mdl),
        "mass_GeV": m_S, "coupling": coupling, "seed": int(seed), "method": method,
        "form_factor": form_factor, "signature": exp.signature.kind, "acceptance": bool(acceptance), "n_generated": n,
        "muons_on_target": exp.beam.leptons_on_target, "beam_energy_GeV": exp.beam.energy_GeV,
        "target": f"{exp.target.material} {exp.target.length_m:g} m", "s_pdgid": int(s_pdgid),
        "chi_pdgid": int(chi_pdgid), "kind": mdl.kind, "units": "GeV, m",
        "straggling": ("ionisation energy-loss straggling (delta rays sampled, radiative losses at their mean)"
                       if straggling else "none (CSDA energy at the vertex)"),
    }
    fixed = dict(pdg_mu=pdg_id("mu+" if exp.beam.charge == "+" else "mu-"), pdg_nucleus=nucleus_pdgid(S.nuc),
                 pdg_s=int(s_pdgid), mass_nucleus_GeV=S.mass_nucleus, mass_s_GeV=m_S)
    sizes = [min(CHUNK, n - i) for i in range(0, n, CHUNK)]
    seeds = np.random.SeedSequence(int(seed)).spawn(len(sizes))
    return _chunks(S, sizes, seeds, fixed, meta, progress)


def _chunks(S, sizes, seeds, fixed, meta, progress):
    """Run the chunks on THREADS worker threads, at most THREADS + 1 ahead of the consumer."""
    from concurrent.futures import ThreadPoolExecutor

    shapes = {"weight": (), "mu_in": (4,), "nucleus_in": (4,), "mu_out": (4,), "nucleus_out": (4,), "s": (4,),
              "d1": (4,), "d2": (4,), "v_prod": (4,), "v_decay": (4,), "pdg_d1": (), "pdg_d2": (), "keep": ()}
    dtypes = {"pdg_d1": np.int64, "pdg_d2": np.int64, "keep": bool}

    def run(i):
        out = {key: np.empty((sizes[i], *shp), dtype=dtypes.get(key, float)) for key, shp in shapes.items()}
        _sample_chunk(S, np.random.default_rng(seeds[i]), sizes[i], out)
        keep = out.pop("keep")
        return EventBatch(**{key: arr[keep] for key, arr in out.items()}, **fixed, meta=dict(meta))

    done = 0
    with ThreadPoolExecutor(max_workers=THREADS) as pool:  # numpy releases the GIL in its kernels
        pending = [pool.submit(run, i) for i in range(min(len(sizes), THREADS + 1))]
        nxt = len(pending)
        for i in range(len(sizes)):
            batch = pending.pop(0).result()
            if nxt < len(sizes):
                pending.append(pool.submit(run, nxt))
                nxt += 1
            done += sizes[i]
            if progress is not None:
                progress(done, S.n)
            yield batch


def generate(experiment, model, m_S: float, coupling: float, n: int, **options) -> EventBatch:
    """Generate ``n`` weighted signal events (see the module docstring) in one batch; the
    keyword options are those of :func:`generate_chunks` (``seed``, ``method``,
    ``form_factor``, ``acceptance``, ``s_pdgid``, ``chi_pdgid``, ``straggling``, ``progress``).

    With ``acceptance`` S travels its true path to the planes that bound the decay region (or
    the detector), the events outside the transverse geometry are dropped and the weights of
    those kept are unchanged: their sum is the expected number of accepted events.
    Without it every decay inside the fiducial length counts, with the decay law applied along
    the beam axis exactly as in the semi-analytic yield of :mod:`mudump.signal` (physics.md
    section 6), so the weights add up to that yield within the statistical error. The two
    differ by the S angle: at a few GeV, a light long-lived S emitted at large angles (tens of
    degrees, which no realistic detector sees) decays more often over the same depth.

    With ``straggling`` (the default) the muon's energy at the vertex fluctuates about the CSDA
    energy by its ionisation energy-loss straggling (module docstring, item 2); without it, it
    is the CSDA energy, as in the semi-analytic yield.
    """
    return EventBatch.concatenate(list(generate_chunks(experiment, model, m_S, coupling, n, **options)))
