"""Decay widths of a CP-even scalar S with Yukawa couplings to the charged leptons.

Lagrangian (physics.md section 2; Chen, Pospelov, Zhong, arXiv:1701.07437, eq. 1):

    L = - sum_l g_l S lbar l,     l = e, mu, tau.

Units: masses and widths in GeV, couplings dimensionless, lengths in metres.
All functions are pure array kernels (numpy broadcasting over every argument).
"""

from __future__ import annotations

import numpy as np

from ..constants import ALPHA, HBARC_GEV_M


def width_to_leptons(m_S, g_l, m_l):
    """Partial width Gamma(S -> l+ l-) in GeV.

    Gamma = g_l^2 m_S / (8 pi) * (1 - 4 m_l^2 / m_S^2)^(3/2) for m_S > 2 m_l, else 0
    (tree level, the P-wave threshold factor beta^3 of a CP-even scalar; physics.md section 2;
    the Higgs width to fermions of Djouadi, Phys. Rept. 457 (2008) 1, with m_f/v -> g_l, N_c = 1).

    m_S, m_l in GeV; g_l dimensionless. Broadcasts over all arguments.
    """
    m_S = np.asarray(m_S, dtype=float)
    m_l = np.asarray(m_l, dtype=float)
    r = 4.0 * m_l**2 / m_S**2
    beta2 = np.clip(1.0 - r, 0.0, None)
    return np.asarray(g_l, dtype=float) ** 2 * m_S / (8.0 * np.pi) * beta2**1.5


def loop_function(tau):
    """Fermion loop amplitude F(tau) of a scalar decaying to two photons (complex).

    F(tau) = 2 tau [1 + (1 - tau) f(tau)],  tau = 4 m_l^2 / m_S^2, with
    f(tau) = arcsin^2(1/sqrt(tau)) for tau >= 1 and
    f(tau) = -1/4 [ln((1 + sqrt(1 - tau)) / (1 - sqrt(1 - tau))) - i pi]^2 for tau < 1.
    This is the Higgs fermion-loop amplitude A_1/2 of Spira, Djouadi, Graudenz, Zerwas,
    Nucl. Phys. B453 (1995) 17, written with tau -> 1/tau (physics.md section 2):
    F -> 4/3 for a heavy loop lepton (tau -> infinity) and F -> 0 for a light one (tau -> 0).
    """
    tau = np.asarray(tau, dtype=float)
    # For a heavy loop lepton 1 + (1 - tau) f cancels down to 2/(3 tau): use the expansion
    # F = 4/3 + 14/(45 tau) + 8/(63 tau^2) + O(tau^-3) (from arcsin^2 sqrt(y) = y + y^2/3 +
    # 8 y^3/45 + 4 y^4/35 + ..., y = 1/tau) where the next term is below 1e-10 relatively.
    heavy = tau > 1e3
    y = 1.0 / np.where(heavy, tau, 1e3)
    series = 4.0 / 3.0 + 14.0 / 45.0 * y + 8.0 / 63.0 * y**2 + 0j
    above = tau >= 1.0
    t_hi = np.where(above, tau, 1.0)
    t_lo = np.where(above, 0.5, tau)
    s = np.sqrt(1.0 - t_lo)
    log_ratio = np.log((1.0 + s) ** 2 / t_lo)  # (1+s)/(1-s) = (1+s)^2/tau, no cancellation
    f = np.where(above, np.arcsin(1.0 / np.sqrt(t_hi)) ** 2 + 0j, -0.25 * (log_ratio - 1j * np.pi) ** 2)
    return np.where(heavy, series, 2.0 * tau * (1.0 + (1.0 - tau) * f))


def width_to_photons(m_S, couplings, lepton_masses):
    """Partial width Gamma(S -> gamma gamma) in GeV through charged-lepton loops.

    Gamma = alpha^2 m_S^3 / (256 pi^3) * | sum_l (g_l / m_l) F(tau_l) |^2,  tau_l = 4 m_l^2/m_S^2
    (physics.md section 2: the Higgs -> gamma gamma width of Spira et al., Nucl. Phys. B453 (1995)
    17, with G_F/sqrt2 = 1/(2 v^2), the Yukawa m_f/v replaced by g_l, and N_c Q^2 = 1).

    ``couplings`` and ``lepton_masses`` are sequences of equal length (one entry per lepton in the
    loop; each coupling may be an array). Every lepton that couples runs in the loop.
    """
    m_S = np.asarray(m_S, dtype=float)
    amp = 0j
    for g_l, m_l in zip(couplings, lepton_masses, strict=True):
        amp = amp + np.asarray(g_l, dtype=float) / m_l * loop_function(4.0 * m_l**2 / m_S**2)
    return ALPHA**2 * m_S**3 / (256.0 * np.pi**3) * np.abs(amp) ** 2


def proper_decay_length(total_width):
    """c tau = hbar c / Gamma in metres (Gamma in GeV); infinite for a zero width."""
    w = np.asarray(total_width, dtype=float)
    with np.errstate(divide="ignore"):
        return np.where(w > 0, HBARC_GEV_M / np.where(w > 0, w, 1.0), np.inf)


def lab_decay_length(energy, m_S, total_width):
    """Mean decay length in the lab, l = (p_S / m_S) * hbar c / Gamma, in metres.

    energy: total energy of S in GeV (>= m_S); p_S = sqrt(E^2 - m_S^2) (physics.md section 2).
    """
    energy = np.asarray(energy, dtype=float)
    m_S = np.asarray(m_S, dtype=float)
    p = np.sqrt(np.clip(energy**2 - m_S**2, 0.0, None))
    return p / m_S * proper_decay_length(total_width)
