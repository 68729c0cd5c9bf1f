"""Decay widths of a CP-even scalar S with Yukawa couplings to the charged leptons: the scalar
case of :mod:`mudump.models.widths`, kept under its 0.1 names.

Lagrangian (docs/physics.md#models; Chen, Pospelov, Zhong, arXiv:1701.07437, eq. 1):

    L = - sum_l g_l S lbar l,     l = e, mu, tau.

Units: masses and widths in GeV, couplings dimensionless, lengths in metres.
"""

from __future__ import annotations

from .widths import lab_decay_length, loop_function, proper_decay_length
from .widths import width_to_fermions as _to_fermions
from .widths import width_to_photons as _to_photons


def width_to_leptons(m_S, g_l, m_l):
    """Gamma(S -> l+ l-) = g_l^2 m_S / (8 pi) (1 - 4 m_l^2/m_S^2)^(3/2) in GeV (physics.md
    section 2; :func:`mudump.models.widths.width_to_fermions` with kind "scalar")."""
    return _to_fermions("scalar", m_S, g_l, m_l)


def width_to_photons(m_S, couplings, lepton_masses):
    """Gamma(S -> gamma gamma) = alpha^2 m_S^3 / (256 pi^3) |sum_l (g_l/m_l) F(tau_l)|^2 in GeV
    (docs/physics.md#models; :func:`mudump.models.widths.width_to_photons` with kind "scalar")."""
    return _to_photons("scalar", m_S, couplings, lepton_masses)


__all__ = ["width_to_leptons", "width_to_photons", "loop_function", "proper_decay_length", "lab_decay_length"]
