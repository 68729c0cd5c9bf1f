"""Exact tree level (ETL) production, l N -> l N X, with the nucleus a heavy spin-0 source, for
every kind of X (:mod:`.kinds`: the muon-side current is the only thing that changes).

No equivalent-photon step: the full 2 -> 3 matrix element (both diagrams, one photon exchanged,
nuclear recoil kept) is integrated over the phase space numerically.

Matrix element (scripts/derive_etl_amplitude.py, which derives it with sympy for each kind and
checks gauge invariance; generated code in :mod:`._etl_amplitude`, one trace per kind):

    <|M|^2> = g^2 e^4 G2(t) / t^2 * T / 2,   T = Tr[(p'+m) Gamma.Pt (p+m) Gammabar.Pt],

Pt = P + P'. Phase space in the lab (nucleus of mass M at rest, beam along z; derived in
docs/physics.md, "Exact tree level"): with x = E_S/E, theta the S angle, t = -(P - P')^2 and
phi the azimuth of the recoil momentum around V = p - k,

    dsigma/(dx dcos theta) = |k| E / (64 (2 pi)^4 M^2 |p| |V|) int dt int_0^{2 pi} dphi <|M|^2>,

the polar angle of the recoil fixed by energy conservation:
    cos alpha = (D1 - c t) / (2 |V| |q|),  D1 = m_S^2 - 2 p.k,  c = 1 + V^0/M,  |q|^2 = t (1 + t/4M^2),
and t between the roots t_- < t_+ of A (t - t_-)(t_+ - t) = 4|V|^2 |q|^2 - (D1 - c t)^2,
A = c^2 - |V|^2/M^2 (t_- -> (u / 2E(1-x))^2, the WW t_min, for a heavy nucleus), and below
2M (V^0 - m), where the outgoing lepton's energy V^0 - t/2M would drop below its mass.

Numerics (shared by every kind): T is evaluated in a light-cone gauge,
Pt -> Pt - (n.Pt / n.q) q with n = (1, 0, 0, 1), which leaves T unchanged (gauge invariance on
the photon side, which the derivation checks for each kind whatever the X vertex; T is
quadratic in Pt for every kind) but removes the huge cancellation between the two diagrams
that the lab-frame Pt = (2M, 0) would bring (every invariant then is a product of small,
accurately computed components); the small invariants are computed without
subtracting nearly equal numbers. The phase space is integrated with Gauss-Legendre rules in
variables that follow the peaks: s = ln(U/U0) for the angle (U = U0 + theta^2 E^2 x, as in
the WW code), w = ln(t/t_-) for the momentum transfer (composite), phi in [0, pi] (the
integrand is even in phi). Elastic scattering uses the nuclear mass and G2_el, inelastic the
proton mass and G2_inel.

Units: GeV; cross sections in GeV^-2 (natural units).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..constants import ALPHA, ATOMIC_MASS_UNIT_GEV, M_PROTON
from . import ww
from ._etl_amplitude import TRACES
from .formfactors import DEFAULT_FORM_FACTOR, FORM_FACTORS, Nucleus
from ..kinds import DEFAULT_KIND, check_kind
from .kinematics import u_at_zero_angle, x_range

# The nuclear mass is A u, u = ATOMIC_MASS_UNIT_GEV from :mod:`mudump.constants` (CODATA).
#: Momentum transfers above T_CUT_GEV2 are dropped: both form factors have died off there.
T_CUT_GEV2 = 4.0

#: Quadrature nodes. Measured against (12, 6) t panels x nodes and 16 phi nodes at random
#: points (m_S 5e-4..5 GeV, E up to 1e3 GeV; Ti, W-helm, Al): (6, 6) and 8 change dsigma/dx
#: by at most 5e-5 (heavy S at a few GeV; typically 1e-6), against 1e-6 for the former
#: (10, 6) and 10, at half the cost (cold ratio tables). The theta rule is the
#: sensitive one (16 nodes: 3e-3), so it stays at 24.
NODES_THETA = 24
NODES_T = (6, 6)  # panels x nodes in w = ln(t/t_-)
NODES_PHI = 8
#: Points per chunk of the vectorised integrand (memory: ~CHUNK_POINTS * 600 * 8 bytes per array).
CHUNK_POINTS = 512
#: Threads over the chunks (0: one per CPU).
THREADS = 0


def _gl(n):
    return np.polynomial.legendre.leggauss(n)


def stable_dot_pk(E, Ek, p, k, theta):
    """p.k = E Ek - |p||k| cos theta without cancellation at small angles:
    E Ek - |p||k| = (E^2 m_S^2 + Ek^2 m^2 - m^2 m_S^2)/(E Ek + |p||k|) is computed from masses."""
    m2 = E**2 - p**2
    ms2 = Ek**2 - k**2
    a = (E**2 * ms2 + Ek**2 * m2 - m2 * ms2) / (E * Ek + p * k)
    return a + p * k * 2.0 * np.sin(0.5 * theta) ** 2


def kinematics(E, x, theta, t, phi, m, m_S, M):
    """Invariants for T in the light-cone gauge, and the phase-space factors, at one point
    (arrays broadcast). Returns (args for trace_T, F^2, inside-mask, |V|) where the physical
    T = F^2 * trace_T(args)."""
    p = np.sqrt(E**2 - m**2)
    Ek = x * E
    k = np.sqrt(np.clip(Ek**2 - m_S**2, 0.0, None))
    st, ct = np.sin(theta), np.cos(theta)
    pk = stable_dot_pk(E, Ek, p, k, theta)
    D1 = m_S**2 - 2.0 * pk
    V0 = E - Ek
    Vx, Vz = -k * st, p - k * ct
    Vn = np.hypot(Vx, Vz)
    c = 1.0 + V0 / M
    A = c**2 - (Vn / M) ** 2
    B = 4.0 * Vn**2 + 2.0 * c * D1
    disc = np.sqrt(np.clip(B**2 - 4.0 * A * D1**2, 0.0, None))
    t_plus = (B + disc) / (2.0 * A)
    t_minus = D1**2 / (A * t_plus)
    q0 = -t / (2.0 * M)
    qn = np.sqrt(t * (1.0 + t / (4.0 * M**2)))
    cos_a = (D1 - c * t) / (2.0 * Vn * qn)
    sin2 = A * (t - t_minus) * (t_plus - t) / (4.0 * Vn**2 * qn**2)
    inside = (t > t_minus) & (t < t_plus)
    sin_a = np.sqrt(np.clip(sin2, 0.0, None))
    vx, vz = Vx / Vn, Vz / Vn
    cphi, sphi = np.cos(phi), np.sin(phi)
    # q = qn (cos_a v + sin_a (cos phi e1 + sin phi e_y)); the phi-independent factors are
    # formed first so that few operations run on the full (point, t, phi) arrays
    qa, qb = qn * cos_a, qn * sin_a
    qz = qa * vz - (qb * vx) * cphi
    qx = qa * vx + (qb * vz) * cphi
    qy = qb * sphi
    nq = q0 - qz  # n.q with n = (1, 0, 0, 1)
    # light-cone components: n.a = a0 - az (small for the collinear particles), transverse parts
    n_p = m**2 / (E + p)
    n_k = m_S**2 / (Ek + k) + 2.0 * k * np.sin(0.5 * theta) ** 2
    n_pp = n_p + nq - n_k
    kx = k * st
    ppx, ppy = qx - kx, qy  # p' = p + q - k, p_T = 0
    # Phat: a.Phat = a_T.q_T - (n.a) q_z  (T = F^2 T(Phat), F = 2M / n.q)
    pP = -n_p * qz
    kP = kx * qx - n_k * qz
    ppP = ppx * qx + ppy * qy - n_pp * qz
    PP = -(qx**2 + qy**2)
    kq = q0 * Ek - (qx * kx + qz * (k * ct))
    ppk = (pk - m_S**2) + kq
    ppp = (m**2 - 0.5 * m_S**2) + (kq + 0.5 * t)  # = m^2 - (m_S^2 - 2 k.q - t)/2
    F2 = (2.0 * M / nq) ** 2
    return (pk, ppk, ppp, pP, ppP, kP, PP, m, m_S), F2, inside, Vn, t_minus, t_plus


def _t_nodes(t_lo, t_hi):
    """Composite Gauss-Legendre nodes in w = ln(t/t_lo) on [t_lo, t_hi] (trailing axis)."""
    panels, n = NODES_T
    gx, gw = _gl(n)
    u = ((np.arange(panels)[:, None] + 0.5 * (1.0 + gx)) / panels).ravel()
    wu = np.tile(0.5 * gw / panels, panels)
    W = np.log(t_hi / t_lo)[..., None]
    w = W * u
    t = t_lo[..., None] * np.exp(w)
    return t, W * wu * t  # dt = t dw


def d2sigma_dx_dcos(
    E, x, theta, m_S, nuc: Nucleus, m_l, g=1.0, form_factor: str = DEFAULT_FORM_FACTOR, approx: str = "exact",
    kind: str = DEFAULT_KIND,
):
    """ETL dsigma/(dx dcos theta) in GeV^-2 at X angle theta (arrays broadcast); elastic with
    the nuclear mass and inelastic with the proton mass, form factors by name (FORM_FACTORS);
    X of ``kind`` (:data:`.kinds.KINDS`, its trace from :data:`._etl_amplitude.TRACES`).

    ``approx="iww-flux"`` runs the same integration code (prefactor, t and phi rules) with the
    trace replaced by its equivalent-photon form, T = 32 M^2 |p| |V| (1-x) A (t - t0)/u^2 with
    the 2->2 amplitude A and u of docs/physics.md#production, over t0 = (m_S^2/2E)^2 < t < m_S^2 + m_l^2:
    the t and phi integrals then give chi(t0) and the result must be the IWW double differential
    (the check of this code's normalisation in tests/test_etl.py)."""
    kind = check_kind(kind)
    E, x, theta = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (E, x, theta)))
    out = np.zeros(E.shape)
    lo, hi = x_range(E, m_S, m_l)
    ok = (x > lo) & (x < hi)
    if not ok.any():
        return out
    Ei, xi, th = E[ok], x[ok], theta[ok]
    # Evaluate in chunks of points: the integrand lives on (points, t nodes, phi nodes) arrays,
    # and chunks of CHUNK_POINTS keep each temporary at a few MB (peak memory independent of
    # the number of points, and the arrays stay in cache; same numbers as one big call).
    # numpy releases the GIL inside these array operations, so the chunks also run on threads.
    n = Ei.size
    step = max(1, CHUNK_POINTS)
    starts = range(0, n, step)

    def chunk(a):
        b = min(n, a + step)
        return _d2_points(Ei[a:b], xi[a:b], th[a:b], m_S, nuc, m_l, g, form_factor, approx, kind)

    workers = min(THREADS or os.cpu_count() or 1, len(starts))
    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(chunk, starts))
    else:
        parts = [chunk(a) for a in starts]
    out[ok] = np.concatenate(parts)
    return out


def _d2_points(Ei, xi, th, m_S, nuc, m_l, g, form_factor, approx, kind):
    """d2sigma_dx_dcos at 1-d arrays of points inside the kinematic range."""
    trace = TRACES[kind]
    gp, wp = _gl(NODES_PHI)
    phi = 0.5 * np.pi * (1.0 + gp)  # [0, pi], doubled below
    total = 0.0
    for M, g2 in components(nuc, form_factor):
        t_minus, t_hi, Vn = _t_range(Ei, xi, th, m_S, m_l, M)
        if approx == "iww-flux":
            t_minus = (m_S**2 / (2.0 * Ei)) ** 2
            t_hi = np.full_like(Ei, m_S**2 + m_l**2)
        live = t_hi > t_minus
        tn, wt = _t_nodes(t_minus, np.where(live, t_hi, 2 * t_minus))
        if approx == "iww-flux":
            U = u_at_zero_angle(xi, m_S, m_l) + th**2 * Ei**2 * xi
            A = ww.AMPLITUDES[kind](xi, U, m_S, m_l)
            pn = np.sqrt(Ei**2 - m_l**2)
            T = (32.0 * M**2 * pn * Vn * (1.0 - xi) * A / U**2)[:, None, None] * (tn - t_minus[:, None])[..., None]
            inside = np.ones(T.shape, dtype=bool)
            T = np.broadcast_to(T, T.shape[:2] + (phi.size,))
        else:
            args, F2, inside, _, _, _ = kinematics(
                Ei[:, None, None], xi[:, None, None], th[:, None, None], tn[..., None], phi, m_l, m_S, M
            )
            T = F2 * trace(*args)
        amp2 = np.where(inside, _amplitude2(T, tn[..., None], g2, nuc, g), 0.0)
        integral = 2.0 * (0.5 * np.pi) * ((amp2 @ wp) * wt).sum(-1)  # phi over [0, 2 pi]
        total = total + np.where(live, _prefactor(Ei, xi, m_S, m_l, M, Vn) * integral, 0.0)
    return total


def components(nuc: Nucleus, form_factor: str = DEFAULT_FORM_FACTOR):
    """The two terms of the ETL cross section as (recoil mass in GeV, G2 function): elastic
    (the nucleus, mass A u) and inelastic (a proton, G2_inel); see the module docstring."""
    g2_el, g2_inel = FORM_FACTORS[form_factor]
    return ((ATOMIC_MASS_UNIT_GEV * nuc.A, g2_el), (M_PROTON, g2_inel))


def _t_range(E, x, theta, m_S, m_l, M):
    """(t_-, t_hi, |V|): the momentum-transfer range at (E, x, theta) for recoil mass M."""
    _, _, _, Vn, t_minus, t_plus = kinematics(E, x, theta, 1.0, 0.0, m_l, m_S, M)
    # the root t_+ also admits the negative-energy branch of p': require E' = V0 + q0 >= m,
    # i.e. t <= 2 M (V0 - m) (it matters for a light target such as a proton)
    t_hi = np.minimum(np.minimum(t_plus, T_CUT_GEV2), 2.0 * M * (E * (1.0 - x) - m_l))
    return t_minus, t_hi, Vn


def t_range(E, x, theta, m_S, m_l, M):
    """(t_-, t_hi) in GeV^2: the momentum transfers integrated over by :func:`d2sigma_dx_dcos` at
    (E, x, theta) for a recoil of mass M (between the roots t_- < t_+ of the module docstring,
    below T_CUT_GEV2 and below 2 M (V^0 - m)); empty where t_hi <= t_-."""
    t_minus, t_hi, _ = _t_range(E, x, theta, m_S, m_l, M)
    return t_minus, t_hi


def _amplitude2(T, t, g2, nuc, g):
    """<|M|^2> = g^2 e^4 G2(t)/t^2 T/2 (module docstring)."""
    return 0.5 * g**2 * (4 * np.pi * ALPHA) ** 2 * g2(t, nuc) / t**2 * T


def _prefactor(E, x, m_S, m_l, M, Vn):
    """|k| E / (64 (2 pi)^4 M^2 |p| |V|), the phase-space factor of the module docstring."""
    p = np.sqrt(E**2 - m_l**2)
    k = np.sqrt(np.clip((x * E) ** 2 - m_S**2, 0.0, None))
    return k * E / (64.0 * (2 * np.pi) ** 4 * M**2 * p * Vn)


def d4sigma(E, x, theta, t, phi, m_S, nuc: Nucleus, m_l, g=1.0, form_factor: str = DEFAULT_FORM_FACTOR,
            kind: str = DEFAULT_KIND):
    """The fully differential ETL cross section dsigma/(dx dcos theta dt dphi) in GeV^-4 (arrays
    broadcast): the integrand of :func:`d2sigma_dx_dcos`, i.e. the phase-space factor times
    <|M|^2> of the module docstring, summed over the elastic and inelastic terms
    (:func:`components`), each inside its own range of t (:func:`t_range`, 0 outside). ``phi``
    is the azimuth of the recoil momentum q about V = p - k, measured from the (V, beam) plane
    (q = |q| (cos alpha v + sin alpha (cos phi e_1 + sin phi e_y)), e_1 = (v_z, 0, -v_x)).
    Integrated over t and phi in [0, 2 pi] it gives :func:`d2sigma_dx_dcos` (tests/test_etl.py)."""
    trace = TRACES[check_kind(kind)]
    E, x, theta, t, phi = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (E, x, theta, t, phi)))
    lo, hi = x_range(E, m_S, m_l)
    ok = (x > lo) & (x < hi) & (t > 0)
    xs, Es, ts = np.where(ok, x, 0.5), np.where(ok, E, 2 * (m_S + m_l) + 1.0), np.where(ok, t, 1.0)
    total = np.zeros(E.shape)
    for M, g2 in components(nuc, form_factor):
        args, F2, inside, Vn, t_minus, t_plus = kinematics(Es, xs, theta, ts, phi, m_l, m_S, M)
        t_hi = np.minimum(np.minimum(t_plus, T_CUT_GEV2), 2.0 * M * (Es * (1.0 - xs) - m_l))  # as in _t_range
        live = ok & inside & (ts < t_hi) & (ts > t_minus)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            val = _prefactor(Es, xs, m_S, m_l, M, Vn) * _amplitude2(F2 * trace(*args), ts, g2, nuc, g)
        total = total + np.where(live, val, 0.0)
    return total


def dsigma_dx(
    E, x, m_S, nuc: Nucleus, m_l, g=1.0, form_factor: str = DEFAULT_FORM_FACTOR, approx: str = "exact",
    kind: str = DEFAULT_KIND,
):
    """ETL dsigma/dx in GeV^-2 for X of ``kind``: d2sigma_dx_dcos integrated over cos theta in
    [-1, 1] with NODES_THETA Gauss-Legendre nodes in s = ln(U/U0), U = U0 + theta^2 E^2 x
    (theta <= pi), dcos theta = sin(theta) U ds / (2 theta E^2 x). Broadcasts over E, x."""
    E, x = np.broadcast_arrays(np.asarray(E, dtype=float), np.asarray(x, dtype=float))
    lo, hi = x_range(E, m_S, m_l)
    ok = (x > lo) & (x < hi)
    xs = np.where(ok, x, 0.5)
    Es = np.where(ok, E, 2 * (m_S + m_l) + 1.0)
    U0 = u_at_zero_angle(xs, m_S, m_l)
    s_end = np.log1p(np.pi**2 * Es**2 * xs / U0)
    gs, ws = _gl(NODES_THETA)
    s = 0.5 * s_end[..., None] * (1.0 + gs)
    U = U0[..., None] * np.exp(s)
    theta = np.sqrt((U - U0[..., None]) / (Es**2 * xs)[..., None])
    jac = 0.5 * s_end[..., None] * ws * np.sinc(theta / np.pi) * U / (2.0 * Es[..., None] ** 2 * xs[..., None])
    d2 = d2sigma_dx_dcos(Es[..., None], xs[..., None], theta, m_S, nuc, m_l, g, form_factor, approx, kind)
    return np.where(ok, (d2 * jac).sum(-1), 0.0)
