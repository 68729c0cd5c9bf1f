"""Improved Weizsaecker-Williams (IWW) cross section for l N -> l N S, a CP-even scalar.

KEPT ONLY TO COMPARE WITH PAPERS THAT USED IT. Its x-independent t_min = (m_S^2 / 2E)^2 drops the
lepton mass from the minimum momentum transfer; for muon beams the true t_min lies above the
atomic screening scale and IWW overstates production by tens of percent at 160 GeV and by
factors of several at a few GeV (physics.md section 4). mudump's default is the phase-space WW
(:mod:`.ww`).

Units: energies and masses in GeV; cross sections returned in GeV^-2 (natural units); the
public wrappers in :mod:`mudump.production` convert to m^2.
"""

from __future__ import annotations

import numpy as np

from ..constants import ALPHA
from .flux import PhotonFlux
from .kinematics import default_t_max, x_range


def dsigma_dx(energy, x, m_S, flux: PhotonFlux, m_l, g=1.0, t_max=None):
    """IWW dsigma/dx in GeV^-2, in closed form:

    dsigma/dx = g^2 alpha^2 chi beta / (12 pi) * x^3 [m_l^2 (3x^2 - 4x + 4) + 2 m_S^2 (1-x)]
                / [m_S^2 (1-x) + m_l^2 x^2]^2

    (Liu, McKeen, Miller, arXiv:1609.06781; Chen, Pospelov, Zhong, arXiv:1701.07437; physics.md
    section 4), beta = sqrt(1 - m_S^2/(x E)^2), chi = chi(t_min, t_max) with the x-independent
    t_min = (m_S^2/2E)^2 and t_max = m_S^2 + m_l^2 unless given. It is the phase-space WW formula
    (:func:`mudump.production.ww.d2sigma_dx_dcos`) with chi frozen at that t_min and the 2->2
    amplitude integrated over u in closed form. Zero outside m_S/E < x < 1 - m_l/E.
    Broadcasts over energy, x, m_S (GeV); g is the S coupling to the beam lepton.
    """
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
    m_S2, m_l2 = m_S**2, m_l**2
    D = m_S2 * (1.0 - xs) + m_l2 * xs**2
    shape = xs**3 * (m_l2 * (3 * xs**2 - 4 * xs + 4) + 2 * m_S2 * (1 - xs)) / D**2
    val = np.asarray(g, dtype=float) ** 2 * ALPHA**2 * chi * beta / (12.0 * np.pi) * shape
    return np.where(inside, val, 0.0)
