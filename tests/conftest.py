"""Shared test helpers: independent brute-force integrals (adaptive QUADPACK through scipy,
never the fast kernels' tables or fixed rules)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from scipy.integrate import quad

os.environ.setdefault("MPLBACKEND", "Agg")

from mudump.constants import ALPHA, M_MU  # noqa: E402
from mudump.production.formfactors import g2_total  # noqa: E402


def chi_quad(t_min, t_max, nuc):
    """chi = int_{t_min}^{t_max} dt (t - t_min)/t^2 G2(t), adaptive quadrature in ln t."""
    if t_min >= t_max:
        return 0.0
    f = lambda lt: (1.0 - t_min / np.exp(lt)) * g2_total(np.exp(lt), nuc)  # noqa: E731
    pts = [np.log(p) for p in (1 / nuc.a_el**2, 1 / nuc.a_inel**2, nuc.d, 0.71) if t_min < p < t_max]
    return quad(f, np.log(t_min), np.log(t_max), points=pts or None, epsabs=0, epsrel=1e-11, limit=500)[0]


def ww_brute(E, x, m_S, nuc, m_l=M_MU):
    """Phase-space WW dsigma/dx (GeV^-2, g = 1) by nested adaptive quadrature: the angle theta
    over [0, pi] outside, the photon flux in t inside (physics.md section 4)."""
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


@pytest.fixture(scope="session")
def rng():
    return np.random.default_rng(20261125)
