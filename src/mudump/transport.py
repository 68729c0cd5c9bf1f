"""The muon along a thick target: depth <-> energy in the continuous-slowing-down picture.

The muon loses energy continuously, dE/dz = -|dE/dz|(E) from PUMAS (:mod:`mudump.materials`),
so the depth at which it has energy E is z(E) = R(E_0) - R(E) with R the CSDA range
(docs/physics.md#energy-loss). A yield integral over depth becomes an integral over the muon energy,
dz = dE / |dE/dz| (docs/physics.md#energy-loss: "with dz = dE_mu/|dE/dz| this becomes an integral over
the muon energy from E_0 down to threshold"), which is smooth even where the muon stops.

Units: energies (total) in GeV, depths in metres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .constants import M_MU
from .materials import Material, energy_loss

#: Gauss-Legendre nodes along the track (in ln of the kinetic energy).
DEPTH_NODES = 24
_GL_X, _GL_W = np.polynomial.legendre.leggauss(DEPTH_NODES)


@dataclass(frozen=True)
class Track:
    """Quadrature nodes along the muon track: depth z (m), muon total energy (GeV), and the
    weights dz (m) such that sum(dz * f(E)) = int_0^{z_end} f(E(z)) dz."""

    z: np.ndarray
    energy: np.ndarray
    dz: np.ndarray

    @property
    def length(self) -> float:
        """The depth the integral covers (m): the target, or less if the muon falls below
        threshold first."""
        return float(self.dz.sum())


def production_threshold(m_S: float, m_l: float, e_cut: float = 0.0, e_floor: float = 0.0) -> float:
    """Lowest muon total energy (GeV) at which the muon can still make a signal S.

    Three conditions, all needed: the reaction mu N -> mu N S is open, E > m_S + m_l (the
    outgoing muon at rest, nuclear recoil neglected: docs/physics.md#production, x < 1 - m_l/E with
    x > m_S/E); the S can pass the signature's energy cut, E - m_l > e_cut (S takes at most
    E - m_l); and the experiment's own floor on the beam muon's energy along the target,
    E >= e_floor (Chen, Pospelov, Zhong, arXiv:1701.07437, section III.A.2: only muons above
    0.5 GeV count at the Fermilab setup, against the soft-muon background). The kinematic bounds
    are raised by 1e-9 relatively so that the integrals never start on a zero-width range.
    """
    return max((m_S + m_l) * (1 + 1e-9), (e_cut + m_l) * (1 + 1e-9), float(e_floor))


def track(material: "str | Material", energy0: float, length: float, e_min: float = M_MU) -> Track:
    """Nodes over the muon's path through ``length`` metres of ``material``, from the entry
    energy ``energy0`` down to the exit energy or to ``e_min`` (a production threshold),
    whichever comes first. With the target thinner than any change of energy, the same nodes
    give the constant-energy (thin-target) integral exactly: E = E_0 and sum(dz) = length."""
    el = energy_loss(material)
    t0 = energy0 - M_MU
    t_exit = float(el.energy_after(energy0, length)) - M_MU
    t_end = max(t_exit, e_min - M_MU)
    if t_end >= t0 or t_end <= 0:
        return Track(np.zeros(0), np.zeros(0), np.zeros(0))
    a, b = np.log(t_end), np.log(t0)
    T = np.exp(0.5 * (a + b) + 0.5 * (b - a) * _GL_X)
    E = T + M_MU
    z = el.path_length(energy0, E)
    dz = 0.5 * (b - a) * _GL_W * T / el.dEdz(E)
    return Track(z, E, dz)
