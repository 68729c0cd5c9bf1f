"""Nuclear targets and their photon form factors G2(t) for coherent (elastic) and incoherent
(inelastic, quasi-elastic on protons) photon exchange.

Units: t = -q^2 >= 0 in GeV^2; G2 is dimensionless. A is the atomic mass in g/mol (used as the
nucleon number in the nuclear-size parameter).
"""

from __future__ import annotations


import numpy as np

from ..constants import M_PROTON, MU_PROTON
from ..errors import UnknownNameError
from ..nuclei import NUCLEAR_D_GEV2, SCREENING_EL, SCREENING_INEL, Nucleus, nucleus  # noqa: F401 (re-exported)

#: Dipole scale of the proton form factor, 0.71 GeV^2 (Tsai 1974; Bjorken, Essig, Schuster, Toro,
#: arXiv:0906.0580, eq. A19).
PROTON_DIPOLE_GEV2: float = 0.71

def g2_elastic(t, nuc: Nucleus):
    """Coherent (elastic) form factor with atomic screening and nuclear size:

    G2_el(t) = Z^2 [a^2 t / (1 + a^2 t)]^2 [1 / (1 + t/d)]^2
    (Bjorken, Essig, Schuster, Toro, arXiv:0906.0580, eq. A18; Tsai 1974; docs/physics.md#production).
    """
    t = np.asarray(t, dtype=float)
    a2t = nuc.a_el**2 * t
    return nuc.Z**2 * (a2t / (1.0 + a2t)) ** 2 / (1.0 + t / nuc.d) ** 2


def g2_inelastic(t, nuc: Nucleus):
    """Incoherent (inelastic) form factor, scattering off the Z protons with atomic screening:

    G2_inel(t) = Z [a'^2 t / (1 + a'^2 t)]^2
                 [(1 + t (mu_p^2 - 1) / (4 m_p^2)) / (1 + t / 0.71 GeV^2)^4]^2
    (Bjorken, Essig, Schuster, Toro, arXiv:0906.0580, eq. A19; docs/physics.md#production).
    """
    t = np.asarray(t, dtype=float)
    a2t = nuc.a_inel**2 * t
    proton = (1.0 + t * (MU_PROTON**2 - 1.0) / (4.0 * M_PROTON**2)) / (1.0 + t / PROTON_DIPOLE_GEV2) ** 4
    return nuc.Z * (a2t / (1.0 + a2t)) ** 2 * proton**2


#: Helm nuclear form factor parameters (Lewin and Smith, Astropart. Phys. 6 (1996) 87, section
#: 4.2): c = 1.23 A^1/3 - 0.60 fm, a = 0.52 fm, s = 0.9 fm, r_n^2 = c^2 + 7/3 pi^2 a^2 - 5 s^2.
HELM_C_FM = (1.23, -0.60)
HELM_A_FM = 0.52
HELM_S_FM = 0.9


def g2_elastic_helm(t, nuc: Nucleus):
    """Coherent form factor with the same atomic screening as :func:`g2_elastic` and the Helm
    nuclear form factor instead of the dipole 1/(1 + t/d):

    G2 = Z^2 [a^2 t / (1 + a^2 t)]^2 [3 j1(q r_n) / (q r_n)]^2 exp(-q^2 s^2),  q = sqrt(t)
    (Helm, Phys. Rev. 104 (1956) 1466; parameters of Lewin and Smith, Astropart. Phys. 6 (1996)
    87, eqs. 4.7-4.11). The second parametrisation used for the theory band of the reach.
    """
    from ..constants import HBARC_GEV_M

    t = np.asarray(t, dtype=float)
    hbarc_fm = HBARC_GEV_M * 1e15
    c = HELM_C_FM[0] * nuc.A ** (1.0 / 3.0) + HELM_C_FM[1]
    r_n = np.sqrt(c**2 + 7.0 / 3.0 * np.pi**2 * HELM_A_FM**2 - 5.0 * HELM_S_FM**2) / hbarc_fm  # GeV^-1
    s = HELM_S_FM / hbarc_fm
    z = np.sqrt(t) * r_n
    small = z < 1e-3
    zs = np.where(small, 1.0, z)
    j1_over_z = np.where(small, 1.0 / 3.0 - z**2 / 30.0, (np.sin(zs) / zs**2 - np.cos(zs) / zs) / zs)
    helm = 3.0 * j1_over_z * np.exp(-0.5 * t * s**2)
    a2t = nuc.a_el**2 * t
    return nuc.Z**2 * (a2t / (1.0 + a2t)) ** 2 * helm**2


#: Form-factor parametrisations by name: (elastic, inelastic) G2 functions. "tsai" is the
#: default (docs/physics.md#production); "helm" swaps the nuclear part of the elastic one.
FORM_FACTORS = {"tsai": (g2_elastic, g2_inelastic), "helm": (g2_elastic_helm, g2_inelastic)}
from ..choices import DEFAULT_FORM_FACTOR, FORM_FACTOR_NAMES  # noqa: E402

assert tuple(FORM_FACTORS) == FORM_FACTOR_NAMES


def check_form_factor(name: str) -> str:
    """The form-factor name, or UnknownNameError."""
    if name not in FORM_FACTORS:
        raise UnknownNameError(f"form_factor = {name!r} is unknown: allowed {', '.join(FORM_FACTORS)}")
    return name


def g2_total(t, nuc: Nucleus, form_factor: str = DEFAULT_FORM_FACTOR):
    """G2(t) = G2_el(t) + G2_inel(t): the form factor used by every production method."""
    el, inel = FORM_FACTORS[form_factor]
    return el(t, nuc) + inel(t, nuc)
