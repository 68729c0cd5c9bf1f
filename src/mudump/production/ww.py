"""Phase-space Weizsaecker-Williams (WW) cross section for l N -> l N X, X of any kind
(:mod:`.kinds`: scalar, pseudoscalar, vector, axial vector); the fast base that exact tree
level (:mod:`.etl_table`) multiplies by a tabulated ratio.

The photon flux is evaluated at the exact, angle-dependent minimum momentum transfer
t_min(x, theta) instead of IWW's x-independent (m_S^2/2E)^2 (docs/physics.md#production; Liu, McKeen,
Miller, arXiv:1609.06781): it follows exact tree level to a few percent for muon beams.

Units: energies and masses in GeV; cross sections in GeV^-2 (natural units); the public
wrappers in :mod:`mudump.production` convert to m^2.
"""

from __future__ import annotations

import numpy as np

from ..constants import ALPHA
from .flux import PhotonFlux
from ..kinds import DEFAULT_KIND, check_kind
from .kinematics import default_t_max, u_at_zero_angle, x_range

#: Gauss-Legendre nodes of the angular integral, in s = ln(-u / U0).
ANGLE_NODES = 24
_GL_X, _GL_W = np.polynomial.legendre.leggauss(ANGLE_NODES)


def amplitude(x, U, m_S, m_l):
    """2->2 amplitude at t_min for a scalar (docs/physics.md#production; Liu, McKeen, Miller,
    arXiv:1609.06781):

    A = x^2/(1-x) + 2 (m_S^2 - 4 m_l^2)/u^2 [u x + m_S^2 (1-x) + m_l^2 x^2],  with U = -u > 0.
    """
    m_S2, m_l2 = m_S**2, m_l**2
    return x**2 / (1.0 - x) + 2.0 * (m_S2 - 4.0 * m_l2) / U**2 * (-U * x + m_S2 * (1.0 - x) + m_l2 * x**2)


def _generic(c0, c, x, U, m_S, m_l):
    """A = c0 + 2 c/u^2 [u x + m_X^2 (1-x) + m_l^2 x^2], u = -U: the form every kind's 2->2
    amplitude takes at t_min (scripts/derive_etl_amplitude.py)."""
    return c0 + 2.0 * c / U**2 * (-U * x + m_S**2 * (1.0 - x) + m_l**2 * x**2)


def amplitude_pseudoscalar(x, U, m_S, m_l):
    """2->2 amplitude at t_min for a pseudoscalar (vertex i gamma5), normalised like the scalar's
    (A = (1/4) sum |M(gamma l -> l X)|^2 / (e g)^2 at s~ = -u/(1-x)):

    A = x^2/(1-x) + 2 m_X^2/u^2 [u x + m_X^2 (1-x) + m_l^2 x^2]

    (derived and checked by scripts/derive_etl_amplitude.py; cf. Liu and Miller,
    arXiv:1705.01633, who treat the pseudoscalar, vector and axial vector -- their text was not
    at hand to compare term by term). Compared with the scalar, m_X^2 - 4 m_l^2
    becomes m_X^2: for m_X << m_l the pseudoscalar's A is the larger."""
    return _generic(x**2 / (1.0 - x), m_S**2, x, U, m_S, m_l)


def amplitude_vector(x, U, m_S, m_l):
    """2->2 amplitude at t_min for a massive vector (vertex gamma^alpha; polarisation sum
    -g + k k/m_X^2, the k k term dropping out), normalised like the scalar's:

    A = 2 (2 - 2x + x^2)/(1-x) + 4 (m_X^2 + 2 m_l^2)/u^2 [u x + m_X^2 (1-x) + m_l^2 x^2]

    (derived and checked by scripts/derive_etl_amplitude.py; cf. the dark photon of Liu and
    Miller, arXiv:1705.01633). At m_X = 0 the 2->2
    |M|^2 is Compton scattering with e^2 -> e g (Klein-Nishina; Peskin and Schroeder eq. (5.87)),
    also checked by the script."""
    return _generic(2.0 * (2.0 - 2.0 * x + x**2) / (1.0 - x), 2.0 * (m_S**2 + 2.0 * m_l**2), x, U, m_S, m_l)


def amplitude_axial_vector(x, U, m_S, m_l):
    """2->2 amplitude at t_min for a massive axial vector (vertex gamma^alpha gamma5; the
    polarisation sum -g + k k/m_X^2 keeps its k k term: the axial current is not conserved),
    normalised like the scalar's:

    A = 2 (2 - 2x + x^2)/(1-x) + 4 (m_X^2 - 4 m_l^2)/u^2 [u x + m_X^2 (1-x) + m_l^2 x^2]
        + 4 m_l^2 x^2 / (m_X^2 (1-x))

    (derived and checked by scripts/derive_etl_amplitude.py; cf. Liu and Miller,
    arXiv:1705.01633). The last term is the longitudinal polarisation: (2 m_l/m_X)^2 times the
    leading term of the pseudoscalar's A; it dominates for m_X << m_l."""
    c0 = 2.0 * (2.0 - 2.0 * x + x**2) / (1.0 - x) + 4.0 * m_l**2 * x**2 / (m_S**2 * (1.0 - x))
    return _generic(c0, 2.0 * (m_S**2 - 4.0 * m_l**2), x, U, m_S, m_l)


#: The 2->2 amplitude of each kind (:data:`.kinds.KINDS`), all normalised like the scalar's.
AMPLITUDES = {
    "scalar": amplitude,
    "pseudoscalar": amplitude_pseudoscalar,
    "vector": amplitude_vector,
    "axial-vector": amplitude_axial_vector,
}


def t_min_of(U, energy, x):
    """t_min(x, theta) = (u / (2 E (1-x)))^2 in GeV^2 (docs/physics.md#production)."""
    return (U / (2.0 * energy * (1.0 - x))) ** 2


def d2sigma_dx_dcos(energy, x, cos_theta, m_S, flux: PhotonFlux, m_l, g=1.0, t_max=None, kind: str = DEFAULT_KIND):
    """Phase-space WW double-differential cross section dsigma/(dx dcos theta) in GeV^-2:

    dsigma/(dx dcos theta) = 2 (g^2/4pi) alpha^2 |k| E (1-x) chi(t_min(theta)) A / u^2,
    u = -m_S^2 (1-x)/x - (m_l^2 + theta^2 E^2) x,  |k| = sqrt(x^2 E^2 - m_S^2),
    t_min(theta) = (u / (2E(1-x)))^2, t_max = m_S^2 + m_l^2 unless given
    (Liu, McKeen, Miller, arXiv:1609.06781; docs/physics.md#production), with A the 2->2 amplitude of
    ``kind`` (:data:`AMPLITUDES`; Liu and Miller, arXiv:1705.01633, for the other kinds).
    theta is the S angle to the beam in the lab. Zero outside m_S/E < x < 1 - m_l/E.
    Broadcasts over every array argument.
    """
    amp = AMPLITUDES[check_kind(kind)]
    energy, x, cos_theta, m_S = (np.asarray(a, dtype=float) for a in (energy, x, cos_theta, m_S))
    lo, hi = x_range(energy, m_S, m_l)
    inside = (x > lo) & (x < hi)
    xs = np.where(inside, x, 0.5)
    k = np.sqrt(np.clip((xs * energy) ** 2 - m_S**2, 0.0, None))
    theta = np.arccos(np.clip(cos_theta, -1.0, 1.0))
    U = u_at_zero_angle(xs, m_S, m_l) + theta**2 * energy**2 * xs
    tmax = default_t_max(m_S, m_l) if t_max is None else t_max
    chi = flux.chi(t_min_of(U, energy, xs), tmax)
    val = (
        2.0 * np.asarray(g, dtype=float) ** 2 / (4.0 * np.pi) * ALPHA**2 * k * energy * (1.0 - xs)
        * chi * amp(xs, U, m_S, m_l) / U**2
    )
    return np.where(inside, val, 0.0)


def dsigma_dx(energy, x, m_S, flux: PhotonFlux, m_l, g=1.0, t_max=None, kind: str = DEFAULT_KIND):
    """Phase-space WW dsigma/dx in GeV^-2: d2sigma_dx_dcos integrated over cos theta in [-1, 1]
    (``kind`` as there).

    With U = -u = U0 + theta^2 E^2 x, dcos theta = (sin theta / theta) dU / (2 E^2 x), and the
    integral runs over s = ln(U/U0) from 0 to the smaller of theta = pi and t_min(theta) = t_max
    (above which chi = 0), with ANGLE_NODES-point Gauss-Legendre: in s the integrand is
    e^-s times a slowly varying function. Broadcasts over energy, x, m_S (GeV).
    """
    amp = AMPLITUDES[check_kind(kind)]
    energy, x, m_S = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (energy, x, m_S)))
    lo, hi = x_range(energy, m_S, m_l)
    inside = (x > lo) & (x < hi)
    xs = np.where(inside, x, 0.5)
    es = np.where(inside, energy, 2.0 * np.maximum(m_S, m_l) + 1.0)
    tmax = np.broadcast_to(default_t_max(m_S, m_l) if t_max is None else t_max, xs.shape)
    U0 = u_at_zero_angle(xs, m_S, m_l)
    U_end = np.minimum(2.0 * es * (1.0 - xs) * np.sqrt(tmax), U0 + np.pi**2 * es**2 * xs)
    s_max = np.log(np.maximum(U_end, U0) / U0)
    # nodes: trailing axis
    s = 0.5 * s_max[..., None] * (1.0 + _GL_X)
    U = U0[..., None] * np.exp(s)
    theta = np.sqrt((U - U0[..., None]) / (es**2 * xs)[..., None])
    sinc = np.sinc(theta / np.pi)
    chi = flux.chi(t_min_of(U, es[..., None], xs[..., None]), tmax[..., None])
    f = chi * amp(xs[..., None], U, m_S[..., None], m_l) * sinc / U
    integral = 0.5 * s_max * (f @ _GL_W)  # = int dU A chi sinc / U^2
    k = np.sqrt(np.clip((xs * es) ** 2 - m_S**2, 0.0, None))
    val = (
        2.0 * np.asarray(g, dtype=float) ** 2 / (4.0 * np.pi) * ALPHA**2 * k * es * (1.0 - xs)
        / (2.0 * es**2 * xs) * integral
    )
    return np.where(inside, val, 0.0)
