"""Kinematics shared by the Weizsaecker-Williams production formulas for l N -> l N S.

Notation (Liu, McKeen, Miller, arXiv:1609.06781; docs/physics.md#production): the beam lepton has
total energy E and mass m_l, S has mass m_S and energy E_S = x E, emitted at angle theta.
All energies and masses in GeV.
"""

from __future__ import annotations

import numpy as np


def x_range(energy, m_S, m_l):
    """Kinematic range of x = E_S/E: m_S/E < x < 1 - m_l/E (docs/physics.md#production)."""
    energy = np.asarray(energy, dtype=float)
    return np.asarray(m_S, dtype=float) / energy, 1.0 - np.asarray(m_l, dtype=float) / energy


def u_at_zero_angle(x, m_S, m_l):
    """U0 = -u(theta = 0) = m_S^2 (1-x)/x + m_l^2 x  (GeV^2).

    u = -m_S^2 (1-x)/x - (m_l^2 + theta^2 E^2) x (docs/physics.md#production, from Liu, McKeen, Miller,
    arXiv:1609.06781), so -u = U0 + theta^2 E^2 x.
    """
    x = np.asarray(x, dtype=float)
    return np.asarray(m_S, dtype=float) ** 2 * (1.0 - x) / x + np.asarray(m_l, dtype=float) ** 2 * x


def default_t_max(m_S, m_l):
    """Upper limit of the photon-flux integral, t_max = m_S^2 + m_l^2 (GeV^2).

    The choice of Liu, McKeen, Miller (arXiv:1609.06781) and Chen, Pospelov, Zhong
    (arXiv:1701.07437) for IWW (docs/physics.md#production); mudump uses it for the phase-space WW too,
    so that WW and IWW differ only by t_min. The form factors cut t off near the nuclear scale d
    anyway, so the result depends on it only for light nuclei.
    """
    return np.asarray(m_S, dtype=float) ** 2 + np.asarray(m_l, dtype=float) ** 2
