"""Conversions from the coupling a paper quotes to mudump's coupling (g_mu, or g' for the
L_mu - L_tau boson): pure functions of arrays, one per rule, named in the constraint catalogue
(``conversion = "..."``).

Units: couplings dimensionless, masses in GeV.
"""

from __future__ import annotations

from functools import cache

import numpy as np


@cache
def higgs_vev() -> float:
    """The electroweak vacuum expectation value v = (sqrt(2) G_F)^(-1/2) in GeV (246.22 GeV),
    from the Fermi constant G_F of CODATA (``scipy.constants`` through :mod:`mudump.constants`;
    G_F = 1.1663787e-5 GeV^-2 in CODATA 2018). Tree-level relation, e.g. PDG Review
    "Electroweak model and constraints on new physics", eq. (10.4)."""
    from ..constants import G_FERMI_GEV2

    return float((np.sqrt(2.0) * G_FERMI_GEV2) ** -0.5)


def identity(coupling, m_GeV=None):
    """The paper already quotes mudump's coupling (g_mu, or g' = g_mu of L_mu - L_tau)."""
    return np.asarray(coupling, dtype=float)


def leptophilic_xi(xi, m_GeV=None):
    """A leptophilic scalar with Yukawa couplings g_l = xi m_l / v (Batell, Lange, McKeen,
    Pospelov, Ritz, arXiv:1606.04943, eq. (2); BaBar arXiv:2005.01885 quotes its limits on xi):
    the same model as mudump's model A, so g_mu = xi m_mu / v, with m_mu from the PDG
    (:mod:`mudump.constants`) and v from :func:`higgs_vev` (g_mu = 4.29e-4 xi)."""
    from ..constants import M_MU

    return np.asarray(xi, dtype=float) * M_MU / higgs_vev()


def dark_photon_eps(eps, m_GeV=None):
    """A dark photon's kinetic mixing eps: it couples to each charged lepton with e eps
    (Bjorken, Essig, Schuster, Toro, arXiv:0906.0580, eq. (1)), and mudump's dark-photon model
    scans that coupling: g = eps sqrt(4 pi alpha) = 0.3028 eps, alpha = alpha(0) from CODATA
    (:mod:`mudump.constants`)."""
    from ..constants import ALPHA

    return np.asarray(eps, dtype=float) * np.sqrt(4.0 * np.pi * ALPHA)


#: The rules by the name the catalogue uses.
CONVERSIONS = {"identity": identity, "leptophilic-xi": leptophilic_xi, "dark-photon-eps": dark_photon_eps}

__all__ = ["CONVERSIONS", "higgs_vev", "identity", "leptophilic_xi", "dark_photon_eps"]
