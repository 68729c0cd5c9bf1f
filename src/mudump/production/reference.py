"""Slow reference implementations by adaptive quadrature, for validation and benchmarks only.

They integrate the definitions of docs/physics.md#production directly with QUADPACK (scipy.quad),
sharing nothing with the fast kernels but the form factor G2(t) and, for kinds other than the
scalar, the derived amplitudes (2->2: :data:`.ww.AMPLITUDES`; 2->3: :data:`._etl_amplitude.TRACES`,
both checked by scripts/derive_etl_amplitude.py): no tables, no fixed rules, no closed-form
integrals. Energies and masses in GeV; cross sections in GeV^-2 for g = 1.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import quad

from ..constants import ALPHA, M_MU
from .formfactors import Nucleus, g2_total


def chi_quad(t_min: float, t_max: float, nuc: Nucleus) -> float:
    """chi = int_{t_min}^{t_max} dt (t - t_min)/t^2 G2(t), adaptive quadrature in ln t."""
    if t_min >= t_max:
        return 0.0
    f = lambda lt: (1.0 - t_min / np.exp(lt)) * g2_total(np.exp(lt), nuc)  # noqa: E731
    pts = [np.log(p) for p in (1 / nuc.a_el**2, 1 / nuc.a_inel**2, nuc.d, 0.71) if t_min < p < t_max]
    return quad(f, np.log(t_min), np.log(t_max), points=pts or None, epsabs=0, epsrel=1e-11, limit=500)[0]


def ww_dsigma_dx(E: float, x: float, m_S: float, nuc: Nucleus, m_l: float = M_MU, kind: str = "scalar") -> float:
    """Phase-space WW dsigma/dx by nested adaptive quadrature: the angle theta over [0, pi]
    outside (dcos theta = sin theta dtheta), the photon flux in t inside (X of ``kind``)."""
    from .ww import AMPLITUDES

    t_max = m_S**2 + m_l**2
    k = np.sqrt((x * E) ** 2 - m_S**2)
    U0 = m_S**2 * (1 - x) / x + m_l**2 * x

    def f(th):
        U = U0 + th**2 * E**2 * x
        t_min = (U / (2 * E * (1 - x))) ** 2
        if kind == "scalar":
            A = x**2 / (1 - x) + 2 * (m_S**2 - 4 * m_l**2) / U**2 * (-U * x + m_S**2 * (1 - x) + m_l**2 * x**2)
        else:
            A = AMPLITUDES[kind](x, U, m_S, m_l)
        return np.sin(th) * 2 / (4 * np.pi) * ALPHA**2 * k * E * (1 - x) * chi_quad(t_min, t_max, nuc) * A / U**2

    th_c = np.sqrt(U0 / (E**2 * x))
    pts = [p for p in (th_c, 3 * th_c, 10 * th_c, 30 * th_c) if p < np.pi]
    return quad(f, 0.0, np.pi, points=pts, epsabs=0, epsrel=1e-9, limit=1000)[0]


def iww_dsigma_dx(E: float, x: float, m_S: float, nuc: Nucleus, m_l: float = M_MU, kind: str = "scalar") -> float:
    """IWW dsigma/dx with chi by quadrature and the closed-form x dependence of physics.md; for
    other kinds the u integral int_{U0}^oo dU A/U^2 by quadrature too (dsigma/dx =
    (g^2/4pi) alpha^2 beta (1-x) chi int dU A/U^2, :func:`mudump.production.iww.dsigma_dx`)."""
    chi = chi_quad((m_S**2 / (2 * E)) ** 2, m_S**2 + m_l**2, nuc)
    beta = np.sqrt(1 - (m_S / (x * E)) ** 2)
    if kind != "scalar":
        from .ww import AMPLITUDES

        U0 = m_S**2 * (1 - x) / x + m_l**2 * x
        # U = U0/w, w in (0, 1]: dU A/U^2 = dw A(U0/w)/U0 (quad never evaluates the end w = 0)
        f = lambda w: AMPLITUDES[kind](x, U0 / w, m_S, m_l) / U0  # noqa: E731
        integral = quad(f, 0.0, 1.0, epsabs=0, epsrel=1e-11, limit=200)[0]
        return ALPHA**2 / (4 * np.pi) * beta * (1 - x) * chi * integral
    D = m_S**2 * (1 - x) + m_l**2 * x**2
    return ALPHA**2 * chi * beta / (12 * np.pi) * x**3 * (m_l**2 * (3 * x**2 - 4 * x + 4) + 2 * m_S**2 * (1 - x)) / D**2


def etl_dsigma_dx(
    E: float, x: float, m_S: float, nuc: Nucleus, m_l: float = M_MU, t_cut: float = 4.0, kind: str = "scalar"
) -> float:
    """Exact-tree-level dsigma/dx by nested adaptive quadrature over the S angle theta, the
    momentum transfer t (in ln t) and the recoil azimuth phi, with the trace evaluated from
    plain lab-frame four-vectors and Pt = P + P' (no light-cone gauge, no stabilised
    invariants: trustworthy to ~1e-9 below ~20 GeV, where the diagrams cancel mildly).
    Elastic (nuclear mass A u, G2_el) plus inelastic (proton mass, G2_inel) scattering; X of
    ``kind`` (its trace from :data:`._etl_amplitude.TRACES`)."""
    from ..constants import M_PROTON
    from ._etl_amplitude import TRACES

    trace_T = TRACES[kind]
    from .formfactors import g2_elastic, g2_inelastic

    def dot(a, b):
        return a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3]

    p = np.array([E, 0.0, 0.0, np.sqrt(E**2 - m_l**2)])
    Ek = x * E
    kn = np.sqrt(Ek**2 - m_S**2)
    total = 0.0
    for M, g2 in ((0.93149410242 * nuc.A, g2_elastic), (M_PROTON, g2_inelastic)):

        def t_range(th):
            k = np.array([Ek, kn * np.sin(th), 0.0, kn * np.cos(th)])
            V = p - k
            Vn = np.linalg.norm(V[1:])
            D1 = dot(V, V) - m_l**2
            c = 1 + V[0] / M
            A = c**2 - Vn**2 / M**2
            B = 4 * Vn**2 + 2 * c * D1
            disc = np.sqrt(max(B**2 - 4 * A * D1**2, 0.0))
            return k, V, Vn, D1, c, (B - disc) / (2 * A), (B + disc) / (2 * A)

        def f_phi(phi, lt, th):
            k, V, Vn, D1, c, _, _ = t_range(th)
            t = np.exp(lt)
            q0 = -t / (2 * M)
            qn = np.sqrt(t + t**2 / (4 * M**2))
            ca = (D1 - c * t) / (2 * Vn * qn)
            sa = np.sqrt(max(1 - ca**2, 0.0))
            vh = V[1:] / Vn
            e1 = np.array([vh[2], 0.0, -vh[0]])
            e2 = np.array([0.0, 1.0, 0.0])
            qv = qn * (ca * vh + sa * (np.cos(phi) * e1 + np.sin(phi) * e2))
            q = np.array([q0, *qv])
            pp = V + q
            Pt = np.array([2 * M - q0, *(-qv)])
            T = trace_T(dot(p, k), dot(pp, k), dot(p, pp), dot(p, Pt), dot(pp, Pt), dot(k, Pt), dot(Pt, Pt), m_l, m_S)
            amp2 = 0.5 * (4 * np.pi * ALPHA) ** 2 * g2(t, nuc) / t**2 * T
            return amp2 * t  # dt = t dln t

        def f_t(lt, th):
            return 2 * quad(f_phi, 0.0, np.pi, args=(lt, th), epsabs=0, epsrel=1e-7, limit=100)[0]

        def f_th(th):
            k, V, Vn, D1, c, tm, tp = t_range(th)
            hi = min(tp, t_cut, 2 * M * (V[0] - m_l))  # E' = V0 - t/2M >= m_l
            if hi <= tm:
                return 0.0
            pts = [np.log(s) for s in (1 / nuc.a_el**2, 1 / nuc.a_inel**2, nuc.d, 0.71) if tm < s < hi]
            inner = quad(f_t, np.log(tm), np.log(hi), args=(th,), points=pts or None, epsabs=0, epsrel=1e-8, limit=200)[0]
            return np.sin(th) * kn * E / (64 * (2 * np.pi) ** 4 * M**2 * p[3] * Vn) * inner

        U0 = m_S**2 * (1 - x) / x + m_l**2 * x
        th_c = np.sqrt(U0 / (E**2 * x))
        pts = [s for s in (th_c, 3 * th_c, 10 * th_c, 30 * th_c, 100 * th_c) if s < np.pi]
        total += quad(f_th, 0.0, np.pi, points=pts, epsabs=0, epsrel=1e-7, limit=400)[0]
    return total
