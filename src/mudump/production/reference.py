"""Slow reference implementations by adaptive quadrature, for validation and benchmarks only.

They integrate the definitions of physics.md section 4 directly with QUADPACK (scipy.quad),
sharing nothing with the fast kernels but the form factor G2(t): no tables, no fixed rules.
Energies and masses in GeV; cross sections in GeV^-2 for g = 1.
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


def ww_dsigma_dx(E: float, x: float, m_S: float, nuc: Nucleus, m_l: float = M_MU) -> float:
    """Phase-space WW dsigma/dx by nested adaptive quadrature: the angle theta over [0, pi]
    outside (dcos theta = sin theta dtheta), the photon flux in t inside."""
    t_max = m_S**2 + m_l**2
    k = np.sqrt((x * E) ** 2 - m_S**2)
    U0 = m_S**2 * (1 - x) / x + m_l**2 * x

    def f(th):
        U = U0 + th**2 * E**2 * x
        t_min = (U / (2 * E * (1 - x))) ** 2
        A = x**2 / (1 - x) + 2 * (m_S**2 - 4 * m_l**2) / U**2 * (-U * x + m_S**2 * (1 - x) + m_l**2 * x**2)
        return np.sin(th) * 2 / (4 * np.pi) * ALPHA**2 * k * E * (1 - x) * chi_quad(t_min, t_max, nuc) * A / U**2

    th_c = np.sqrt(U0 / (E**2 * x))
    pts = [p for p in (th_c, 3 * th_c, 10 * th_c, 30 * th_c) if p < np.pi]
    return quad(f, 0.0, np.pi, points=pts, epsabs=0, epsrel=1e-9, limit=1000)[0]


def iww_dsigma_dx(E: float, x: float, m_S: float, nuc: Nucleus, m_l: float = M_MU) -> float:
    """IWW dsigma/dx with chi by quadrature and the closed-form x dependence of physics.md."""
    chi = chi_quad((m_S**2 / (2 * E)) ** 2, m_S**2 + m_l**2, nuc)
    beta = np.sqrt(1 - (m_S / (x * E)) ** 2)
    D = m_S**2 * (1 - x) + m_l**2 * x**2
    return ALPHA**2 * chi * beta / (12 * np.pi) * x**3 * (m_l**2 * (3 * x**2 - 4 * x + 4) + 2 * m_S**2 * (1 - x)) / D**2
