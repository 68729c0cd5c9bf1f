"""Improved Weizsaecker-Williams (IWW) cross section for l N -> l N X, X of any kind (:mod:`.kinds`).

KEPT ONLY TO COMPARE WITH PAPERS THAT USED IT. Its x-independent t_min = (m_S^2 / 2E)^2 drops the
lepton mass from the minimum momentum transfer; for muon beams the true t_min lies above the
atomic screening scale and IWW overstates production by tens of percent at 160 GeV and by
factors of several at a few GeV (docs/physics.md#production). mudump's default is the phase-space WW
(:mod:`.ww`).

Units: energies and masses in GeV; cross sections returned in GeV^-2 (natural units); the
public wrappers in :mod:`mudump.production` convert to m^2.
"""

from __future__ import annotations

import numpy as np

from ..constants import ALPHA
from .flux import PhotonFlux
from ..kinds import DEFAULT_KIND, check_kind
from .kinematics import default_t_max, x_range

#: (c0, c) of each kind's 2->2 amplitude A = c0 + 2 c/u^2 [u x + m_X^2 (1-x) + m_l^2 x^2]
#: (:mod:`.ww`, derived by scripts/derive_etl_amplitude.py).
_COEFFICIENTS = {
    "scalar": lambda x, m_S, m_l: (x**2 / (1 - x), m_S**2 - 4 * m_l**2),
    "pseudoscalar": lambda x, m_S, m_l: (x**2 / (1 - x), m_S**2),
    "vector": lambda x, m_S, m_l: (2 * (2 - 2 * x + x**2) / (1 - x), 2 * (m_S**2 + 2 * m_l**2)),
    "axial-vector": lambda x, m_S, m_l: (
        2 * (2 - 2 * x + x**2) / (1 - x) + 4 * m_l**2 * x**2 / (m_S**2 * (1 - x)), 2 * (m_S**2 - 4 * m_l**2)
    ),
}


def u_integral(kind: str, x, m_S, m_l):
    """I = int_{U0}^oo dU A(x, U)/U^2 in GeV^-2, U = -u, U0 = m_X^2 (1-x)/x + m_l^2 x (the small-angle
    angular integral of the phase-space WW formula with the flux frozen): with
    A = c0 + 2 c/u^2 [u x + D], D = m_X^2 (1-x) + m_l^2 x^2 = x U0 (:mod:`.ww`),

        I = c0/U0 - c x/U0^2 + 2 c D/(3 U0^3) = c0 x/D - c x^3/(3 D^2).

    (scripts/derive_etl_amplitude.py checks it against sympy's integral of the derived A.)"""
    c0, c = _COEFFICIENTS[check_kind(kind)](x, m_S, m_l)
    D = m_S**2 * (1 - x) + m_l**2 * x**2
    return c0 * x / D - c * x**3 / (3 * D**2)


def dsigma_dx(energy, x, m_S, flux: PhotonFlux, m_l, g=1.0, t_max=None, kind: str = DEFAULT_KIND):
    """IWW dsigma/dx in GeV^-2, in closed form; for a scalar:

    dsigma/dx = g^2 alpha^2 chi beta / (12 pi) * x^3 [m_l^2 (3x^2 - 4x + 4) + 2 m_S^2 (1-x)]
                / [m_S^2 (1-x) + m_l^2 x^2]^2

    (Liu, McKeen, Miller, arXiv:1609.06781; Chen, Pospelov, Zhong, arXiv:1701.07437; physics.md
    section 4), beta = sqrt(1 - m_S^2/(x E)^2), chi = chi(t_min, t_max) with the x-independent
    t_min = (m_S^2/2E)^2 and t_max = m_S^2 + m_l^2 unless given. It is the phase-space WW formula
    (:func:`mudump.production.ww.d2sigma_dx_dcos`) with chi frozen at that t_min and the 2->2
    amplitude integrated over u in closed form. Zero outside m_S/E < x < 1 - m_l/E.
    Broadcasts over energy, x, m_S (GeV); g is the S coupling to the beam lepton.

    For every kind (the scalar's formula is the special case):
        dsigma/dx = (g^2/4pi) alpha^2 beta (1-x) chi I(x),  I = :func:`u_integral`,
    from dsigma/(dx dcos theta) of :mod:`.ww` with dcos theta = dU/(2 E^2 x), k = x E beta.
    """
    kind = check_kind(kind)
    energy = np.asarray(energy, dtype=float)
    x = np.asarray(x, dtype=float)
    m_S = np.asarray(m_S, dtype=float)
    lo, hi = x_range(energy, m_S, m_l)
    inside = (x > lo) & (x < hi)
    xs = np.where(inside, x, 0.5)
    es = np.where(inside, energy, 2.0 * np.maximum(m_S, m_l) + 1.0)
    beta = np.sqrt(np.clip(1.0 - (m_S / (xs * es)) ** 2, 0.0, None))
    t_min = (m_S**2 / (2.0 * es)) ** 2
    tmax = default_t_max(m_S, m_l) if t_max is None else t_max
    chi = flux.chi(t_min, tmax)
    if kind != "scalar":
        val = np.asarray(g, dtype=float) ** 2 / (4 * np.pi) * ALPHA**2 * beta * (1 - xs) * chi * u_integral(kind, xs, m_S, m_l)
        return np.where(inside, val, 0.0)
    m_S2, m_l2 = m_S**2, m_l**2
    D = m_S2 * (1.0 - xs) + m_l2 * xs**2
    shape = xs**3 * (m_l2 * (3 * xs**2 - 4 * xs + 4) + 2 * m_S2 * (1 - xs)) / D**2
    val = np.asarray(g, dtype=float) ** 2 * ALPHA**2 * chi * beta / (12.0 * np.pi) * shape
    return np.where(inside, val, 0.0)
