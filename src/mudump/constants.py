"""Units convention and physical constants: every number mudump uses, with its source.

Units convention (stated once, used everywhere)
------------------------------------------------
* Inside formulas: natural units, hbar = c = 1, powers of GeV.
* At the API: energies, masses and widths in **GeV**; lengths in **metres**; cross sections in
  **m^2** (the CLI and output files convert to cm^2 and say so in the column/key name);
  densities in **kg/m^3**; number densities in **1/m^3**.
* Muon energies are **total** energies (rest mass included), unless a name says ``kinetic``.
* Conversions between natural units and SI live only here (``HBARC_GEV_M``, ``GEV2_TO_M2``...).

Sources: CODATA 2018 through ``scipy.constants`` (alpha, hbar*c, N_A, mu_p); lepton and
proton masses from the PDG through the ``particle`` package (never typed by hand).
"""

from __future__ import annotations

from functools import cache

import scipy.constants as _sc
from particle import Particle

#: Fine-structure constant alpha(0), CODATA 2018 (scipy.constants), ~1/137.035999.
ALPHA: float = _sc.fine_structure

#: hbar*c in GeV*m, CODATA 2018: 197.3269804 MeV fm = 1.973269804e-16 GeV m.
HBARC_GEV_M: float = _sc.physical_constants["reduced Planck constant times c in MeV fm"][0] * 1e-3 * 1e-15

#: (hbar c)^2 in GeV^2 m^2: multiply a cross section in GeV^-2 by this to get m^2.
GEV2_TO_M2: float = HBARC_GEV_M**2

#: m^2 -> cm^2.
M2_TO_CM2: float = 1e4

#: Avogadro's number in 1/mol, CODATA 2018 (exact).
N_AVOGADRO: float = _sc.Avogadro

#: Proton magnetic moment in nuclear magnetons, CODATA 2018: 2.79284734463.
MU_PROTON: float = _sc.physical_constants["proton mag. mom. to nuclear magneton ratio"][0]

#: g/cm^3 -> kg/m^3.
G_CM3_TO_KG_M3: float = 1e3

#: MeV cm^2/g -> GeV m^2/kg  (mass stopping power).
MEV_CM2_G_TO_GEV_M2_KG: float = 1e-3 * 1e-4 / 1e-3

#: Electron mass in GeV (PDG via ``particle``).
M_E: float = Particle.from_pdgid(11).mass * 1e-3
#: Muon mass in GeV (PDG via ``particle``).
M_MU: float = Particle.from_pdgid(13).mass * 1e-3
#: Tau mass in GeV (PDG via ``particle``).
M_TAU: float = Particle.from_pdgid(15).mass * 1e-3
#: Proton mass in GeV (PDG via ``particle``).
M_PROTON: float = Particle.from_pdgid(2212).mass * 1e-3

#: Charged leptons by name: (PDG ID of the negative lepton, mass in GeV).
LEPTONS: dict[str, float] = {"e": M_E, "mu": M_MU, "tau": M_TAU}


@cache
def pdg_id(name: str) -> int:
    """PDG Monte Carlo ID of a particle by its ``particle``-package name (e.g. ``"mu+"``)."""
    return int(Particle.from_name(name).pdgid)
