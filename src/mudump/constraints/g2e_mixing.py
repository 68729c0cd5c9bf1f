"""The (g-2)_e of the gauged L_mu - L_tau boson, with its loop-induced mixing where the
electron's vertex loop probes it: at space-like momenta, inside the loop integral.

The Z' reaches the electron only through its kinetic mixing with the photon, eps(q^2) g', made
by the muon and tau loops (:func:`mudump.models.widths.lmu_ltau_mixing` gives it at the
time-like q^2 = m_X^2, where X is produced or decays). In the one-loop vertex correction the
exchanged Z' carries a space-like momentum. In the Euclidean (Lautrup-Peterman-de Rafael)
form of that loop (Lautrup, Peterman, de Rafael, Phys. Rept. 3 (1972) 193; as used for the
hadronic vacuum polarisation, Jegerlehner and Nyffeler, Phys. Rept. 477 (2009) 1, eq. (4.16)),
a vector of mass M and momentum-dependent coupling e eps(q^2) g' to the electron gives

    Delta a_e = (e^2 g'^2 / (4 pi^2)) int_0^1 dx (1 - x) eps(-Q^2)^2 x^2 m_e^2 / (x^2 m_e^2 + (1 - x) M^2),
    Q^2 = x^2 m_e^2 / (1 - x),

which for a constant eps is the standard one-loop vector result (e.g. Jegerlehner and
Nyffeler, eq. (7.8)); with eps(-Q^2) the mixing is taken at the momentum the loop exchanges,
from Peskin and Schroeder eq. (7.90) continued to q^2 = -Q^2:

    eps(-Q^2) / g' = (e / (2 pi^2)) int_0^1 dy y (1 - y) ln[(m_tau^2 + y(1-y) Q^2) / (m_mu^2 + y(1-y) Q^2)],

real and smooth (no threshold), equal to e ln(m_tau^2/m_mu^2) / (12 pi^2) = 1/69.5 at Q^2 = 0
and falling slowly with Q^2.

This module computes both and their ratio to the value at q^2 = m_X^2; docs/constraints.md
says which mudump should use and by how much the exclusion moves.

Units: masses in GeV, couplings dimensionless.
"""

from __future__ import annotations

import numpy as np

_X, _W = np.polynomial.legendre.leggauss(96)
_X, _W = 0.5 * (_X + 1.0), 0.5 * _W


def spacelike_mixing(Q2):
    """|eps(-Q^2)| / g' for the L_mu - L_tau boson at space-like q^2 = -Q^2 (Q^2 >= 0 in GeV^2),
    by 96-point Gauss-Legendre in y (module docstring)."""
    from ..constants import ALPHA, M_MU, M_TAU

    Q2 = np.asarray(Q2, dtype=float)[..., None]
    yy = _X * (1.0 - _X)
    integral = (yy * np.log((M_TAU**2 + yy * Q2) / (M_MU**2 + yy * Q2))) @ _W
    return np.sqrt(4.0 * np.pi * ALPHA) / (2.0 * np.pi**2) * integral


def delta_a_e(m_X, g=1.0, mixing: str = "loop"):
    """Delta a_e of the L_mu - L_tau boson of mass m_X (GeV) and coupling g'. ``mixing``:
    "loop" (eps at the momentum the loop exchanges, the module's formula), "zero" (eps at
    q^2 = 0) or "timelike" (eps at q^2 = m_X^2, as the widths use). The x integral in panels
    graded towards x = 1, where Q^2 grows."""
    from ..constants import ALPHA, M_E, M_MU, M_TAU
    from ..models.widths import lmu_ltau_mixing

    m_X = np.asarray(m_X, dtype=float)
    # x in [0, 1): substitution x = 1 - e^-t, t in [0, 40], Gauss-Legendre panels
    edges = np.r_[0.0, np.geomspace(1e-3, 40.0, 24)]
    t = (edges[:-1, None] + np.diff(edges)[:, None] * _X).ravel()
    wt = (np.diff(edges)[:, None] * _W).ravel()
    one_minus_x = np.exp(-t)
    x = 1.0 - one_minus_x
    dx = one_minus_x * wt
    Q2 = x**2 * M_E**2 / one_minus_x
    if mixing == "loop":
        eps = spacelike_mixing(Q2)
    elif mixing == "zero":
        eps = np.full_like(x, float(spacelike_mixing(0.0)))
    elif mixing == "timelike":
        eps = None
    else:
        raise ValueError(f"mixing = {mixing!r}: allowed loop, zero, timelike")
    M = m_X[..., None]
    kernel = one_minus_x * x**2 * M_E**2 / (x**2 * M_E**2 + one_minus_x * M**2)
    e2 = 4.0 * np.pi * ALPHA
    if eps is None:
        eps_t = lmu_ltau_mixing(m_X, M_MU, M_TAU)[..., None]
        return e2 * g**2 / (4.0 * np.pi**2) * np.sum(dx * kernel * eps_t**2, axis=-1)
    return e2 * g**2 / (4.0 * np.pi**2) * np.sum(dx * kernel * eps**2, axis=-1)


__all__ = ["spacelike_mixing", "delta_a_e"]
