"""Monte Carlo signal events: mu N -> mu N S in a thick target, S -> a b downstream.

Sampling (all vectorised; a seed makes a run reproducible):

1. Production point. The muon's kinetic energy T at the vertex, the S energy fraction x and
   the S angle are drawn from a piecewise-constant proposal on cells in (ln T, v, tau): ln T
   along the CSDA track (depth z(T) from the integral of 1/|dE/dz|, :mod:`mudump.transport`),
   v the two-region variable of x (:func:`mudump.production.etl_table.x_of_v`), tau = s/s_max
   with s = ln(U/U0) the angular variable of the WW integral. Each event then carries the
   exact weight f/q: f is n_A times the phase-space WW d2sigma/(dx dcos theta) at the sampled
   point (times the ETL/WW ratio of the default method, at the cell centre) times the
   Jacobians, q the proposal density. The cell probabilities favour cells where the signal
   survives (a defensive mixture keeps every cell reachable), so the estimator is unbiased.
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
   production floor): -0.7 +- 0.15% for FNAL-mu, model B, 50 MeV; +0.3 +- 0.15% for model A,
   100 MeV; 0.0 +- 0.14% for NA64mu (1e6 events each, --no-acceptance); with the fluctuation
   switched off the machinery gives the CSDA yield (tests/test_straggling.py). The proposal's track goes on beyond the CSDA depth of the
   production threshold (or of the muon floor), where a muon that lost less than the mean
   still produces (:func:`event_table`).
3. Outgoing muon and nuclear recoil: momentum transfer t between the kinematic minimum and the
   nuclear scale, drawn from 1/t^2 (the shape of the photon flux there), recoil azimuth uniform;
   the polar angle of the recoil follows from energy conservation, so every event conserves
   four-momentum exactly (the nucleus recoils with its own mass).
4. Decay: channel by branching ratio; isotropic in the S rest frame (spin 0), boosted; decay
   distance from the exponential law truncated to the decay region (displaced decays) or to
   beyond the detector (missing energy), with the survival/decay probability in the weight.
5. Acceptance (optional): displaced decays need the vertex and both products inside the
   region's transverse shape up to its end face; missing energy needs the outgoing muon inside
   the detector's transverse shape at its end.

Units: GeV, metres; weights are expected events (their sum is the expected signal).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from types import SimpleNamespace

import numpy as np

from .. import __version__
from ..constants import ALPHA, GEV2_TO_M2, LEPTONS, pdg_id
from ..experiments import Experiment, load_experiment
from ..materials import energy_loss, get_material
from ..models import MASS_RANGE_GEV, get_model
from ..models.scalar import lab_decay_length
from ..production import DEFAULT_METHOD, check_method, etl_table, ww
from ..production.etl import ATOMIC_MASS_UNIT_GEV, stable_dot_pk
from ..production.flux import photon_flux
from ..production.formfactors import DEFAULT_FORM_FACTOR, check_form_factor
from ..production.kinematics import default_t_max, u_at_zero_angle
from .._checks import check_range
from ..errors import ConfigError, DomainError
from ..signal import check_signal_possible, probability
from ..transport import production_threshold
from .batch import EventBatch
from .straggling import StragglingTrack, delta_ray_constant, sample_loss_fluctuation, straggling_track, w_max

#: Proposal cells in (ln T, v, tau).
CELLS = (24, 32, 16)
#: Fraction of the proposal spread in proportion to production alone (defensive mixture).
DEFENSIVE = 0.1
#: Default PDG ID given to S: 54, the spin-0 mediator of the PDG Monte Carlo numbering scheme's
#: dark-sector range 51-60 (Review of Particle Physics, "Monte Carlo particle numbering scheme").
DEFAULT_S_PDGID = 54
CHUNK = 100_000
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
    lo, hi, x_m = etl_table._regions(E, m_S, m_l)
    W1 = np.arccosh(x_m / lo)
    y_lo, y_hi = -np.log1p(-x_m), -np.log1p(-hi)
    w = 2.0 * v * W1
    y = y_lo + (2.0 * v - 1.0) * (y_hi - y_lo)
    return np.where(v < 0.5, lo * np.sinh(w) * 2.0 * W1, np.exp(-y) * 2.0 * (y_hi - y_lo))


def _s_max(E, x, m_S, m_l):
    U0 = u_at_zero_angle(x, m_S, m_l)
    U_end = np.minimum(2.0 * E * (1.0 - x) * np.sqrt(default_t_max(m_S, m_l)), U0 + np.pi**2 * E**2 * x)
    return U0, np.log(np.maximum(U_end, U0) / U0)


@dataclass
class EventTable:
    """Everything the sampler needs for one experiment, mass, method and form factor."""

    lnT_edges: np.ndarray
    v_edges: np.ndarray
    tau_edges: np.ndarray
    weight: np.ndarray  # (n_comp, nT, nv, ntau): S per muon (g = 1) in each cell (centre rule)
    ratio: np.ndarray  # (n_comp, nT, nv): ETL/WW at the cell centres (1 for ww)
    track_lnT: np.ndarray  # fine grid along the track
    track_z: np.ndarray
    track_dzdlnT: np.ndarray
    track_theta2: np.ndarray  # plane MS variance accumulated from the entry, rad^2
    v_lo: float
    straggle: StragglingTrack  # delta-ray integrals along the track (energy straggling)


def _e_floor_cell(e_min, T0, m_l):
    """The centre energy of the lowest cell of a track from T0 down to the threshold e_min (the
    energy at which the proposal of the cells below e_min is evaluated: see event_table)."""
    nT = CELLS[0]
    a, b = np.log(e_min - m_l), np.log(T0)
    return float(np.exp(a + 0.5 * (b - a) / nT) + m_l)


@lru_cache(maxsize=32)
def event_table(experiment: Experiment, m_S: float, method: str, form_factor: str, particle: str = "scalar",
                straggling: bool = False) -> EventTable:
    """Build (and keep in memory) the proposal cells of an experiment at mass m_S for a mediator
    of kind ``particle``.

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
    el = energy_loss(mat)
    m_l = LEPTONS[e.beam.lepton]
    E0 = e.beam.energy_GeV
    e_min = production_threshold(m_S, m_l, e.signature.e_cut_GeV, e.target.min_muon_energy_GeV)
    T0 = E0 - m_l
    T_exit = float(el.energy_after(E0, e.target.length_m)) - m_l
    check_signal_possible(e, m_S)
    T_end = max(T_exit, e_min - m_l)
    n_e = float(sum(n * nuc.Z for n, nuc in zip(mat.number_densities, mat.nuclei)))
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
    nT, nv, nt = CELLS
    lnT_edges = np.linspace(np.log(T_end), np.log(T0), nT + 1)
    Tc = np.exp(0.5 * (lnT_edges[1:] + lnT_edges[:-1]))
    Ec_csda = Tc + m_l
    Ec = np.maximum(Ec_csda, _e_floor_cell(e_min, T0, m_l))  # cells below the threshold (straggling only)
    x_start = np.maximum(m_S / Ec, e.signature.e_cut_GeV / Ec)
    v_lo = float(np.max(etl_table.v_of_x(x_start, Ec, m_S, m_l)))  # common lower v over the track
    v_lo = min(max(v_lo, 0.0), 1.0 - 1e-9)
    v_edges = np.linspace(v_lo, 1.0, nv + 1)
    tau_edges = np.linspace(0.0, 1.0, nt + 1)
    vc = 0.5 * (v_edges[1:] + v_edges[:-1])
    tc = 0.5 * (tau_edges[1:] + tau_edges[:-1])
    Eg = Ec[:, None, None]
    xg = etl_table.x_of_v(vc[None, :, None], Eg, m_S, m_l)
    U0, smax = _s_max(Eg, xg, m_S, m_l)
    U = U0 * np.exp(smax * tc[None, None, :])
    theta = np.sqrt((U - U0) / (Eg**2 * xg))
    jac = (np.interp(np.log(Tc), lnT, dzdlnT)[:, None, None] * _dx_dv(vc[None, :, None], Eg, m_S, m_l)
           * np.sinc(theta / np.pi) * U / (2.0 * Eg**2 * xg) * smax)
    vol = np.diff(lnT_edges)[:, None, None] * np.diff(v_edges)[None, :, None] * np.diff(tau_edges)[None, None, :]
    ok = (xg * Eg > m_S) & (xg > e.signature.e_cut_GeV / Eg) & (xg < 1 - m_l / Eg)
    weights, ratios = [], []
    for nuc, n in zip(mat.nuclei, mat.number_densities):
        flux = photon_flux(nuc, form_factor)
        d2 = _d2sigma_u(Eg, xg, U, m_S, flux, m_l, particle) * GEV2_TO_M2
        if method == "etl":
            r = etl_table.ratio_table(nuc, float(m_l), form_factor, kind=particle)(Eg[..., 0], xg[..., 0], m_S)
        else:  # ww (iww has no angular distribution and is refused by generate())
            r = np.ones(xg.shape[:2])
        ratios.append(np.where(ok[..., 0], r, 0.0))
        weights.append(np.where(ok, n * d2 * jac * vol, 0.0) * ratios[-1][..., None])
    straggle = straggling_track(lnT, dzdlnT, m_l, n_e)
    if straggling:  # proposal only: a Gaussian guess of P(E > e_min) at each depth, floored
        from scipy.special import ndtr

        sigma = np.sqrt(np.interp(np.log(Tc), lnT, straggle.I_c) * W0) + 1e-300
        p_above = np.maximum(ndtr((Ec_csda - e_min) / sigma), 1e-3)
    else:
        p_above = np.ones(nT)
    weights = [w * p_above[:, None, None] for w in weights]
    return EventTable(lnT_edges, v_edges, tau_edges, np.array(weights), np.array(ratios), lnT, z, dzdlnT, theta2, v_lo,
                      straggle)


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


def _sample_chunk(ctx: SimpleNamespace, rng, k: int, out: dict) -> None:
    """Sample k events (see :func:`generate`) into the views ``out`` (event arrays and the keep
    mask), without building intermediate (k, 4) arrays where it can be avoided."""
    c = ctx
    tab, cum, prob, vol, fluxes, ndens, nucs = c.tab, c.cum, c.prob, c.vol, c.fluxes, c.ndens, c.nucs
    nT, nv, nt = CELLS
    masses_nuc, m_l, m_S, width, kind, exp = c.masses_nuc, c.m_l, c.m_S, c.width, c.kind, c.exp
    L_T, L_sh, L_R = exp.target.length_m, exp.downstream.shield_length_m, exp.downstream.length_m
    coupling, n, acceptance = c.coupling, c.n, c.acceptance
    cell = np.minimum(np.searchsorted(cum, rng.random(k)), cum.size - 1)
    ic, rest = np.divmod(cell, nT * nv * nt)
    iT, rest = np.divmod(rest, nv * nt)
    iv, it = np.divmod(rest, nt)
    u3 = rng.random((k, 3))
    lnT = tab.lnT_edges[iT] + u3[:, 0] * (tab.lnT_edges[iT + 1] - tab.lnT_edges[iT])
    v = tab.v_edges[iv] + u3[:, 1] * (tab.v_edges[iv + 1] - tab.v_edges[iv])
    tau = tab.tau_edges[it] + u3[:, 2] * (tab.tau_edges[it + 1] - tab.tau_edges[it])
    T = np.exp(lnT)  # CSDA kinetic energy at the vertex depth (the proposal's variable)
    E = T + m_l
    if c.straggling:  # the actual energy at that depth (module docstring, item 2)
        E_drawn = np.clip(E - sample_loss_fluctuation(rng, tab.straggle, lnT), m_l * (1.0 + 1e-12), c.E0)
        below = E_drawn < c.e_min  # no production: weight 0 (a valid energy keeps the kinematics finite)
        E = np.where(below, c.e_safe, E_drawn)
        iT_E = np.clip(np.searchsorted(tab.lnT_edges, np.log(E - m_l)) - 1, 0, nT - 1)
    else:
        below = np.zeros(k, dtype=bool)
        iT_E = iT
    pmu = np.sqrt(E**2 - m_l**2)
    # linear interpolation on the uniform track grid: one index for the three track tables
    # (the same numbers as np.interp, without its three binary searches)
    u_tr = (lnT - tab.track_lnT[0]) / (tab.track_lnT[1] - tab.track_lnT[0])
    i_tr = np.clip(u_tr.astype(np.int64), 0, tab.track_lnT.size - 2)
    f_tr = np.clip(u_tr - i_tr, 0.0, 1.0)

    def track(values):
        lo = values[i_tr]
        return lo + f_tr * (values[i_tr + 1] - lo)

    z = track(tab.track_z)
    dzdlnT = track(tab.track_dzdlnT)
    x = etl_table.x_of_v(v, E, m_S, m_l)
    U0, smax = _s_max(E, x, m_S, m_l)
    U = U0 * np.exp(smax * tau)
    theta = np.sqrt((U - U0) / (E**2 * x))
    Ek = x * E
    kk = np.sqrt(np.clip(Ek**2 - m_S**2, 0.0, None))
    # exact weight f/q for the chosen component
    d2 = np.zeros(k)
    for j, flux in enumerate(fluxes):
        sel = ic == j
        if sel.any():
            d2[sel] = ndens[j] * _d2sigma_u(E[sel], x[sel], U[sel], m_S, flux, m_l, c.particle) * tab.ratio[j, iT_E[sel], iv[sel]]
    jac = dzdlnT * _dx_dv(v, E, m_S, m_l) * np.sinc(theta / np.pi) * U / (2.0 * E**2 * x) * smax
    # physical region at the actual energy (always true for the CSDA energy): above the
    # production threshold and the muon floor, S above the energy cut
    physical = ~below & (Ek > c.e_cut) & (Ek > m_S)
    f = np.where(physical, d2 * GEV2_TO_M2 * jac, 0.0)
    q = prob[cell] / vol[cell % (nT * nv * nt)]
    # multiple scattering of the muon up to the vertex (plane-correlated angle and offset)
    th0 = np.sqrt(track(tab.track_theta2))
    g4 = rng.standard_normal((k, 4))
    thx, thy = th0 * g4[:, 0], th0 * g4[:, 1]
    offx = z * th0 * (g4[:, 2] / np.sqrt(12.0) + g4[:, 0] / 2.0)
    offy = z * th0 * (g4[:, 3] / np.sqrt(12.0) + g4[:, 1] / 2.0)
    nmu = np.empty((k, 3))
    nmu[:, 0], nmu[:, 1], nmu[:, 2] = np.tan(thx), np.tan(thy), 1.0
    nmu /= np.sqrt((nmu * nmu).sum(1))[:, None]
    # S, outgoing muon and recoil in the muon frame (muon along z), S azimuth phi_S
    phiS = 2.0 * np.pi * rng.random(k)
    st, ct = np.sin(theta), np.cos(theta)
    Mn = masses_nuc[ic]
    V0 = E - Ek
    Vx, Vz = -kk * st, pmu - kk * ct
    Vn = np.hypot(Vx, Vz)
    D1 = m_S**2 - 2.0 * stable_dot_pk(E, Ek, pmu, kk, theta)
    c_ = 1.0 + V0 / Mn
    A_ = c_**2 - (Vn / Mn) ** 2
    B_ = 4.0 * Vn**2 + 2.0 * c_ * D1
    t_plus = (B_ + np.sqrt(np.clip(B_**2 - 4.0 * A_ * D1**2, 0.0, None))) / (2.0 * A_)
    t_minus = D1**2 / (A_ * t_plus)
    t_hi = np.minimum(t_plus, 2.0 * Mn * (V0 - m_l))
    d_nuc = np.array([nu.d for nu in nucs])[ic]
    t_x = np.minimum(np.maximum(2.0 * t_minus, d_nuc), t_hi)
    ut = rng.random(k)
    t = t_minus * t_x / (t_x - ut * (t_x - t_minus))
    q0 = -t / (2.0 * Mn)
    qn = np.sqrt(t * (1.0 + t / (4.0 * Mn**2)))
    cos_a = np.clip((D1 - c_ * t) / (2.0 * Vn * qn), -1.0, 1.0)
    sin_a = np.sqrt(1.0 - cos_a**2)
    phq = 2.0 * np.pi * rng.random(k)
    vx, vz = Vx / Vn, Vz / Vn
    cphi, sphi = np.cos(phiS), np.sin(phiS)
    # S and recoil in the muon frame, rotated about z by phi_S (the S plane is x-z at phi_S = 0)
    a_x = kk * st
    kv = np.empty((k, 3))
    kv[:, 0], kv[:, 1], kv[:, 2] = a_x * cphi, a_x * sphi, kk * ct
    scp = sin_a * np.cos(phq)
    qx0, qy0 = qn * (cos_a * vx + scp * vz), qn * sin_a * np.sin(phq)
    qv = np.empty((k, 3))
    qv[:, 0], qv[:, 1], qv[:, 2] = qx0 * cphi - qy0 * sphi, qx0 * sphi + qy0 * cphi, qn * (cos_a * vz - scp * vx)
    p_in, s4, mu_out = out["mu_in"], out["s"], out["mu_out"]
    nuc_in, nuc_out = out["nucleus_in"], out["nucleus_out"]
    p_lab = pmu[:, None] * nmu  # the muon itself points along n
    k_lab = _rotate_from_z(kv, nmu)
    q3 = _rotate_from_z(qv, nmu)
    p_in[:, 0], p_in[:, 1:] = E, p_lab
    s4[:, 0], s4[:, 1:] = Ek, k_lab
    mu_out[:, 0], mu_out[:, 1:] = V0 + q0, p_lab - k_lab + q3
    nuc_in[:, 0], nuc_in[:, 1:] = Mn, 0.0
    nuc_out[:, 0], nuc_out[:, 1:] = Mn - q0, -q3
    # decay
    khat = s4[:, 1:] / np.maximum(kk, 1e-300)[:, None]
    kz = khat[:, 2]
    zp = z
    vprod = np.column_stack([offx, offy, zp])
    l = lab_decay_length(Ek, m_S, width)
    if acceptance:  # the true path of S to the planes bounding the region
        fwd = kz > 0
        kz_s = np.where(fwd, kz, 1.0)
    else:  # along the beam axis, the convention of the semi-analytic yield (see generate())
        fwd = np.ones(k, dtype=bool)
        kz_s = np.ones(k)
    u_d = rng.random(k)
    br_vis = ctx.br_vis
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        if kind == "displaced-decay":  # a visible decay inside the region
            da = (L_T + L_sh - zp) / kz_s
            db = (L_T + L_sh + L_R - zp) / kz_s
            span = db - da
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
    weight = exp.beam.muons_on_target * coupling**2 * f / (n * q) * P
    if acceptance:
        vdec = vprod + dist[:, None] * khat
    else:  # dist is the distance along z: follow S if it goes forward, else the axis
        along = kz > 0.05
        step = np.where(along, dist / np.where(along, kz, 1.0), 0.0)
        vdec = vprod + np.where(along[:, None], step[:, None] * khat, dist[:, None] * np.array([0.0, 0.0, 1.0]))
        dist = np.where(along, step, dist)
    beta_s = kk / Ek
    ct_prod = zp
    ct_dec = ct_prod + dist / np.maximum(beta_s, 1e-300)
    u_c = rng.random(k)
    ich = np.where(invisible, ctx.n_vis + np.searchsorted(ctx.cum_inv, u_c), np.searchsorted(ctx.cum_vis, u_c))
    ich = np.minimum(ich, len(ctx.final_pdg1) - 1)
    m1 = ctx.final_mass[ich]
    pstar = np.sqrt(np.clip(0.25 * m_S**2 - m1**2, 0.0, None))
    cth = 2.0 * rng.random(k) - 1.0
    sth = np.sqrt(1.0 - cth**2)
    ph = 2.0 * np.pi * rng.random(k)
    dirn = np.column_stack([sth * np.cos(ph), sth * np.sin(ph), cth])
    e_star = np.sqrt(pstar**2 + m1**2)
    rest = np.empty((k, 4))
    rest[:, 0], rest[:, 1:] = e_star, pstar[:, None] * dirn
    d1 = out["d1"]
    d1[:] = _boost(rest, s4)
    d2v = out["d2"]
    d2v[:] = s4 - d1  # the back-to-back partner: exact four-momentum conservation at any boost
    # a few in a million sampled points lie where exact kinematics with recoil leaves no room
    # (t_min above the largest t that keeps the outgoing muon's energy above its mass, at the
    # very end of the x range): they are dropped
    keep = fwd & (weight > 0) & (t_hi > t_minus)
    if acceptance:
        z_end = L_T + L_sh + L_R
        if kind == "displaced-decay":
            ok = _inside(exp.downstream, vdec[:, :2])
            for dd in (d1, d2v):
                pz = dd[:, 3]
                fwd_d = pz > 0
                s_ = np.where(fwd_d, (z_end - vdec[:, 2]) / np.where(fwd_d, pz, 1.0), 0.0)
                ok &= fwd_d & _inside(exp.downstream, vdec[:, :2] + s_[:, None] * dd[:, 1:3])
        else:
            pz = mu_out[:, 3]
            fwd_m = pz > 0
            s_ = np.where(fwd_m, (z_end - zp) / np.where(fwd_m, pz, 1.0), 0.0)
            ok = fwd_m & _inside(exp.downstream, vprod[:, :2] + s_[:, None] * mu_out[:, 1:3])
        keep &= ok
    pdg1 = ctx.final_pdg1[ich]
    pdg2 = ctx.final_pdg2[ich]
    out["keep"][:] = keep
    out["weight"][:] = weight
    out["pdg_d1"][:] = pdg1
    out["pdg_d2"][:] = pdg2
    out["v_prod"][:, :3] = vprod
    out["v_prod"][:, 3] = ct_prod
    out["v_decay"][:, :3] = vdec
    out["v_decay"][:, 3] = ct_dec


def generate(
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
) -> EventBatch:
    """Generate ``n`` weighted signal events (see the module docstring).

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
    exp = load_experiment(experiment)
    mdl = get_model(model)
    if s_pdgid is None:
        s_pdgid = DEFAULT_S_PDGID if mdl.spin == 0 else DEFAULT_V_PDGID
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
    n = int(check_range("n", n, 1, 1e9))
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
    L_T, L_sh, L_R = exp.target.length_m, exp.downstream.shield_length_m, exp.downstream.length_m
    kind = exp.signature.kind
    # cell probabilities: production x decay probability at the cell centres (+ defensive part)
    nT, nv, nt = CELLS
    w_cells = tab.weight  # (nc, nT, nv, nt)
    Tc = np.exp(0.5 * (tab.lnT_edges[1:] + tab.lnT_edges[:-1]))
    zc = np.interp(np.log(Tc), tab.track_lnT, tab.track_z)
    vc = 0.5 * (tab.v_edges[1:] + tab.v_edges[:-1])
    e_min = production_threshold(m_S, m_l, exp.signature.e_cut_GeV, exp.target.min_muon_energy_GeV)
    Ec = np.maximum(Tc + m_l, _e_floor_cell(e_min, exp.beam.energy_GeV - m_l, m_l))[:, None]  # as in event_table
    xc = etl_table.x_of_v(vc[None, :], Ec, m_S, m_l)
    lc = lab_decay_length(np.maximum(xc * Ec, m_S * (1 + 1e-12)), m_S, width)
    before = L_T - zc[:, None] + L_sh
    with np.errstate(invalid="ignore"):
        pc = np.nan_to_num(probability(kind, before, L_R, lc, br_vis))
    wp = w_cells * pc[None, :, :, None]
    flat_w = w_cells.ravel()
    flat_wp = wp.ravel()
    prob = DEFENSIVE * flat_w / flat_w.sum()
    if flat_wp.sum() > 0:
        prob = prob + (1 - DEFENSIVE) * flat_wp / flat_wp.sum()
    else:
        prob = flat_w / flat_w.sum()
    cum = np.cumsum(prob)
    cum /= cum[-1]
    vol = (np.diff(tab.lnT_edges)[:, None, None] * np.diff(tab.v_edges)[None, :, None]
           * np.diff(tab.tau_edges)[None, None, :]).ravel()
    nucs = mat.nuclei
    ndens = mat.number_densities
    fluxes = [photon_flux(nu, form_factor) for nu in nucs]
    masses_nuc = np.array([ATOMIC_MASS_UNIT_GEV * nu.A for nu in nucs])
    pdg_nuc = [int(1000000000 + nu.Z * 10000 + round(nu.A) * 10) for nu in nucs]
    mu_pdg = pdg_id("mu+" if exp.beam.charge == "+" else "mu-")
    def cumulative(group):
        c = np.cumsum([f[3] for f in group]) if group else np.ones(1)
        return c / c[-1] if c[-1] > 0 else np.linspace(1.0 / len(c), 1.0, len(c))

    ctx = SimpleNamespace(tab=tab, cum=cum, prob=prob, vol=vol, fluxes=fluxes, ndens=ndens, masses_nuc=masses_nuc,
                          nucs=nucs, m_l=m_l, m_S=m_S, width=width, kind=kind, exp=exp, coupling=coupling, n=n,
                          acceptance=acceptance, br_vis=br_vis, n_vis=len(vis), particle=mdl.kind,
                          straggling=bool(straggling), E0=exp.beam.energy_GeV, e_cut=exp.signature.e_cut_GeV,
                          e_min=e_min, e_safe=_e_floor_cell(e_min, exp.beam.energy_GeV - m_l, m_l),
                          cum_vis=cumulative(vis), cum_inv=cumulative(inv),
                          final_pdg1=np.array([f[0] for f in final], dtype=np.int64),
                          final_pdg2=np.array([f[1] for f in final], dtype=np.int64),
                          final_mass=np.array([f[2] for f in final], dtype=float))
    sizes = [min(CHUNK, n - i) for i in range(0, n, CHUNK)]
    if seed is None:  # a fresh seed, recorded in the metadata so that the run can be repeated
        import secrets

        seed = secrets.randbits(63)
    elif isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2**63:
        raise DomainError(f"seed = {seed!r} is not allowed: need an integer 0 <= seed < 2^63")
    seeds = np.random.SeedSequence(int(seed)).spawn(len(sizes))
    shapes = {"weight": (), "mu_in": (4,), "nucleus_in": (4,), "mu_out": (4,), "nucleus_out": (4,), "s": (4,),
              "d1": (4,), "d2": (4,), "v_prod": (4,), "v_decay": (4,), "pdg_d1": (), "pdg_d2": (), "keep": ()}
    dtypes = {"pdg_d1": np.int64, "pdg_d2": np.int64, "keep": bool}
    full = {key: np.empty((n, *shp), dtype=dtypes.get(key, float)) for key, shp in shapes.items()}
    starts = np.concatenate([[0], np.cumsum(sizes)])
    done = [0]

    kept = np.zeros(len(sizes), dtype=np.int64)

    def run(i):
        views = {key: arr[starts[i]:starts[i + 1]] for key, arr in full.items()}
        _sample_chunk(ctx, np.random.default_rng(seeds[i]), sizes[i], views)
        keep = views.pop("keep")
        kept[i] = int(keep.sum())
        if kept[i] < sizes[i]:  # compact the chunk's accepted events to the front of its slice
            for arr in views.values():
                arr[: kept[i]] = arr[keep]
        done[0] += sizes[i]
        if progress is not None:
            progress(done[0], n)

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=THREADS) as pool:  # numpy releases the GIL in its kernels
        list(pool.map(run, range(len(sizes))))
    full.pop("keep")
    offsets = np.concatenate([[0], np.cumsum(kept)])
    if offsets[-1] < n:  # close the gaps between chunks (in place, front to back)
        for i in range(1, len(sizes)):
            if offsets[i] < starts[i]:
                for arr in full.values():
                    arr[offsets[i]:offsets[i + 1]] = arr[starts[i]:starts[i] + kept[i]]
    arrays = {key: arr[: offsets[-1]] for key, arr in full.items()}
    out = EventBatch(**arrays, pdg_mu=mu_pdg, pdg_nucleus=pdg_nuc[0],
                     pdg_s=int(s_pdgid), mass_nucleus_GeV=float(masses_nuc[0]), mass_s_GeV=m_S)
    out.meta = {
        "generator": "mudump", "mudump_version": __version__, "experiment": exp.name, "model": mdl.name, "model_name": mdl.alias,
        "mass_GeV": m_S, "coupling": coupling, "seed": int(seed), "method": method,
        "form_factor": form_factor, "signature": kind, "acceptance": bool(acceptance), "n_generated": n,
        "muons_on_target": exp.beam.muons_on_target, "beam_energy_GeV": exp.beam.energy_GeV,
        "target": f"{exp.target.material} {exp.target.length_m:g} m", "s_pdgid": int(s_pdgid),
        "chi_pdgid": int(chi_pdgid), "kind": mdl.kind, "units": "GeV, m",
        "straggling": ("ionisation energy-loss straggling (delta rays sampled, radiative losses at their mean)"
                       if straggling else "none (CSDA energy at the vertex)"),
    }
    return out
