"""Decay widths of a light mediator X of any kind: pure array kernels.

Kinds and their coupling to a fermion f (Dirac), with coupling g (dimensionless):

* ``scalar``:        L = -g X fbar f
* ``pseudoscalar``:  L = -i g X fbar gamma5 f
* ``vector``:        L = -g X_mu fbar gamma^mu f
* ``axial-vector``:  L = -g X_mu fbar gamma^mu gamma5 f

Neutrinos couple left-handed only (L = -g X_mu nubar gamma^mu P_L nu, vector kinds).

Units: masses and widths in GeV, couplings dimensionless, lengths in metres. Every function
broadcasts over its array arguments.
"""

from __future__ import annotations

import numpy as np

from ..constants import ALPHA, HBARC_GEV_M
from ..kinds import KINDS  # noqa: F401 (the one list of kinds, re-exported)

SPIN: dict[str, int] = {"scalar": 0, "pseudoscalar": 0, "vector": 1, "axial-vector": 1}


def width_to_fermions(kind: str, m_X, g, m_f):
    """Gamma(X -> f fbar) in GeV at tree level for a Dirac fermion f of mass m_f, beta^2 =
    1 - 4 m_f^2/m_X^2 (zero below threshold):

    * scalar:        g^2 m_X / (8 pi) beta^3   (P wave)
    * pseudoscalar:  g^2 m_X / (8 pi) beta     (S wave)
    * vector:        g^2 m_X / (12 pi) (1 + 2 m_f^2/m_X^2) beta
    * axial-vector:  g^2 m_X / (12 pi) beta^3

    The spin-0 widths are the Higgs and CP-odd Higgs widths to fermions of Djouadi, Phys. Rept.
    457 (2008) 1 (section 2.1) and Phys. Rept. 459 (2008) 1 (section 2.1), with the Yukawa
    m_f/v -> g, N_c = 1 (docs/physics.md#models for the scalar). The vector width is the dark-photon width
    Gamma = alpha eps^2 m/3 (1 + 2 m_f^2/m^2) beta of Batell, Pospelov, Ritz, PRD 80 (2009)
    095024, with e eps -> g. Derivation check (both spin-1 kinds): with the
    polarisation sum -g + k k/m_X^2, sum |M|^2 = 4 g^2 m_X^2 (1 + 2 r) for the vector (the
    k k term vanishes: the current is conserved) and 4 g^2 m_X^2 (1 - 4 r) for the axial vector
    (the k k term gives + 8 g^2 m_f^2), r = m_f^2/m_X^2; with Gamma = beta sum|M|^2 / (3 * 16 pi
    m_X) these are the formulas above (axial-vector beta^3 as in Kahn, Krnjaic, Mishra-Sharma,
    Tait, JHEP 05 (2017) 002, arXiv:1609.09072).
    """
    m_X = np.asarray(m_X, dtype=float)
    r = np.asarray(m_f, dtype=float) ** 2 / m_X**2
    b2 = np.clip(1.0 - 4.0 * r, 0.0, None)
    beta = np.sqrt(b2)
    g2m = np.asarray(g, dtype=float) ** 2 * m_X
    if kind == "scalar":
        return g2m / (8.0 * np.pi) * b2 * beta
    if kind == "pseudoscalar":
        return g2m / (8.0 * np.pi) * beta
    if kind == "vector":
        return np.where(b2 > 0, g2m / (12.0 * np.pi) * (1.0 + 2.0 * r) * beta, 0.0)
    if kind == "axial-vector":
        return g2m / (12.0 * np.pi) * b2 * beta
    raise ValueError(f"kind {kind!r}")


def width_to_neutrinos(m_X, g_nu):
    """Gamma(X -> nu nubar) in GeV for one left-handed neutrino flavour, vector or axial-vector
    coupling g_nu X_mu nubar gamma^mu P_L nu: g_nu^2 m_X / (24 pi), half the width to a massless
    Dirac fermion because only one helicity couples (the L_mu - L_tau Z' width per neutrino
    flavour of Altmannshofer, Gori, Pospelov, Yavin, PRD 89 (2014) 095033, arXiv:1403.1269)."""
    return np.asarray(g_nu, dtype=float) ** 2 * np.asarray(m_X, dtype=float) / (24.0 * np.pi)


def _f(tau):
    """f(tau) of the fermion loop (docs/physics.md#models), complex; tau = 4 m_l^2 / m_X^2."""
    tau = np.asarray(tau, dtype=float)
    above = tau >= 1.0
    t_hi = np.where(above, tau, 1.0)
    t_lo = np.where(above, 0.5, tau)
    s = np.sqrt(1.0 - t_lo)
    log_ratio = np.log((1.0 + s) ** 2 / t_lo)  # (1+s)/(1-s) = (1+s)^2/tau, no cancellation
    return np.where(above, np.arcsin(1.0 / np.sqrt(t_hi)) ** 2 + 0j, -0.25 * (log_ratio - 1j * np.pi) ** 2)


def loop_function(tau):
    """Fermion loop amplitude F(tau) of a scalar decaying to two photons (complex).

    F(tau) = 2 tau [1 + (1 - tau) f(tau)],  tau = 4 m_l^2 / m_S^2, with
    f(tau) = arcsin^2(1/sqrt(tau)) for tau >= 1 and
    f(tau) = -1/4 [ln((1 + sqrt(1 - tau)) / (1 - sqrt(1 - tau))) - i pi]^2 for tau < 1.
    This is the Higgs fermion-loop amplitude A_1/2 of Spira, Djouadi, Graudenz, Zerwas,
    Nucl. Phys. B453 (1995) 17, written with tau -> 1/tau (docs/physics.md#models):
    F -> 4/3 for a heavy loop lepton (tau -> infinity) and F -> 0 for a light one (tau -> 0).
    """
    tau = np.asarray(tau, dtype=float)
    # For a heavy loop lepton 1 + (1 - tau) f cancels down to 2/(3 tau): use the expansion
    # F = 4/3 + 14/(45 tau) + 8/(63 tau^2) + O(tau^-3) (from arcsin^2 sqrt(y) = y + y^2/3 +
    # 8 y^3/45 + 4 y^4/35 + ..., y = 1/tau) where the next term is below 1e-10 relatively.
    heavy = tau > 1e3
    y = 1.0 / np.where(heavy, tau, 1e3)
    series = 4.0 / 3.0 + 14.0 / 45.0 * y + 8.0 / 63.0 * y**2 + 0j
    return np.where(heavy, series, 2.0 * tau * (1.0 + (1.0 - tau) * _f(tau)))


def loop_function_pseudoscalar(tau):
    """Fermion loop amplitude F_P(tau) = 2 tau f(tau) of a pseudoscalar decaying to two photons
    (complex), tau = 4 m_l^2 / m_X^2: the CP-odd Higgs amplitude A^A_1/2 = 2 f(tau')/tau' of
    Spira, Djouadi, Graudenz, Zerwas, Nucl. Phys. B453 (1995) 17 (and Djouadi, Phys. Rept. 459
    (2008) 1, section 2.3) with tau' = 1/tau. F_P -> 2 for a heavy loop lepton (tau -> infinity;
    series 2 + 2/(3 tau) + 16/(45 tau^2) from arcsin^2 sqrt(y)) and -> 0 for a light one."""
    tau = np.asarray(tau, dtype=float)
    heavy = tau > 1e3
    y = 1.0 / np.where(heavy, tau, 1e3)
    series = 2.0 + 2.0 / 3.0 * y + 16.0 / 45.0 * y**2 + 0j
    return np.where(heavy, series, 2.0 * tau * _f(tau))


def width_to_photons(kind: str, m_X, couplings, lepton_masses):
    """Gamma(X -> gamma gamma) in GeV through charged-lepton loops.

    Spin 0: Gamma = alpha^2 m_X^3 / (256 pi^3) | sum_l (g_l / m_l) F(tau_l) |^2, with F the
    scalar loop function (docs/physics.md#models; Spira et al., Nucl. Phys. B453 (1995) 17) or,
    for a pseudoscalar, F_P (:func:`loop_function_pseudoscalar`; the same reference: the CP-odd
    width has the same prefactor). Spin 1: zero, by the Landau-Yang theorem (Landau, Dokl. Akad.
    Nauk SSSR 60 (1948) 207; Yang, Phys. Rev. 77 (1950) 242).

    ``couplings`` and ``lepton_masses`` are sequences of equal length (every lepton in the loop;
    each coupling may be an array).
    """
    m_X = np.asarray(m_X, dtype=float)
    if kind in ("vector", "axial-vector"):
        return np.zeros(np.broadcast(m_X, *couplings).shape) if couplings else np.zeros(m_X.shape)
    loop = {"scalar": loop_function, "pseudoscalar": loop_function_pseudoscalar}[kind]
    amp = 0j
    for g_l, m_l in zip(couplings, lepton_masses, strict=True):
        amp = amp + np.asarray(g_l, dtype=float) / m_l * loop(4.0 * m_l**2 / m_X**2)
    return ALPHA**2 * m_X**3 / (256.0 * np.pi**3) * np.abs(amp) ** 2


def lmu_ltau_mixing(m_X, m_mu, m_tau):
    """|eps(q^2 = m_X^2)| / g: the kinetic mixing with the photon that the muon and tau loops
    induce for the gauged L_mu - L_tau boson (muon charge +1, tau -1), in units of its coupling.

    eps(q^2) = (e g / (2 pi^2)) int_0^1 dx x (1 - x) ln[(m_tau^2 - x(1-x) q^2) / (m_mu^2 - x(1-x) q^2)],

    the difference of the two one-loop vacuum polarisations (Peskin and Schroeder, An
    Introduction to QFT, eq. (7.90), with one photon vertex replaced by the Z' vertex; the
    regulator-dependent constant cancels between the two opposite charges). At q^2 = 0:
    e g ln(m_tau^2/m_mu^2) / (12 pi^2) = e g ln(m_tau/m_mu) / (6 pi^2) = g / 69.29 (the "g/70" of the literature, e.g. Escudero,
    Hooper, Krnjaic, Pierre, JHEP 03 (2019) 071, arXiv:1901.02010). Above 2 m_mu the logarithm
    takes its principal branch (q^2 -> q^2 + i0); the modulus is returned. Evaluated by
    64-point Gauss-Legendre in x (the integrand is smooth: its logarithmic singularities at
    the thresholds are integrable and reached only at q^2 = 4 m^2 exactly).
    """
    e = np.sqrt(4.0 * np.pi * ALPHA)
    x, w = np.polynomial.legendre.leggauss(64)
    x = 0.5 * (x + 1.0)
    w = 0.5 * w
    q2 = np.asarray(m_X, dtype=float)[..., None] ** 2
    xx = x * (1.0 - x)
    num = m_tau**2 - xx * q2 - 1e-30j
    den = m_mu**2 - xx * q2 - 1e-30j
    integral = (xx * np.log(num / den)) @ w
    return np.abs(e / (2.0 * np.pi**2) * integral)


def proper_decay_length(total_width):
    """c tau = hbar c / Gamma in metres (Gamma in GeV); infinite for a zero width."""
    w = np.asarray(total_width, dtype=float)
    with np.errstate(divide="ignore"):
        return np.where(w > 0, HBARC_GEV_M / np.where(w > 0, w, 1.0), np.inf)


def lab_decay_length(energy, m_X, total_width):
    """Mean decay length in the lab, l = (p / m_X) * hbar c / Gamma, in metres.

    energy: total energy of X in GeV (>= m_X); p = sqrt(E^2 - m_X^2) (docs/physics.md#models).
    """
    energy = np.asarray(energy, dtype=float)
    m_X = np.asarray(m_X, dtype=float)
    p = np.sqrt(np.clip(energy**2 - m_X**2, 0.0, None))
    return p / m_X * proper_decay_length(total_width)
