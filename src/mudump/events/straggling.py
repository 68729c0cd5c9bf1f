"""Ionisation energy-loss straggling of the beam muon on its way to the production vertex.

The muon's mean energy at depth z is the CSDA energy E_csda(z) of PUMAS (:mod:`mudump.materials`:
every loss counted at its mean). The actual energy fluctuates about it, mostly through rare
energetic knock-on electrons (delta rays). This module samples that fluctuation:

    E_vertex = E_csda(z) - (sum of the hard delta-ray losses - their mean) - (soft Gaussian part)

**Delta-ray spectrum** (PDG Review of Particle Physics, "Passage of particles through matter",
section "Energetic knock-on electrons (delta rays)"; the spin-1/2 term from B. Rossi,
*High-Energy Particles* (1952), section 2.3, as used by Geant4's muon ionisation model):

    d2N/(d eps dz) = c / eps^2 * F(eps),   c = (K/2) (Z/A) rho / beta^2 = 2 pi r_e^2 m_e n_e / beta^2,
    F(eps) = 1 - beta^2 eps / W_max + eps^2 / (2 E^2),    I << eps <= W_max,
    W_max = 2 m_e beta^2 gamma^2 / (1 + 2 gamma m_e / M + (m_e / M)^2)   (PDG, same section),

with n_e the electron density and E, beta, gamma the muon's along its CSDA track.

**Split at eps_c.** Collisions above a cut eps_c are sampled one by one: a Poisson number with
the majorant rate c/eps_c per unit length (whose spectrum c/eps^2 on [eps_c, inf) is sampled
exactly by eps = eps_c/u), the position along the track in proportion to the cumulative c, and
each kept with probability F(eps) (0 above the local W_max): thinning a Poisson process is
exact, so the kept losses follow the spectrum above exactly. Their mean M = int dz c [ln(W/eps_c)
- beta^2 (W - eps_c)/W + (W^2 - eps_c^2)/(4E^2)] is subtracted. The many collisions below eps_c
add up to a Gaussian of variance S = int dz c [eps_c - beta^2 eps_c^2/(2W) + eps_c^3/(6E^2)]
(their second moment; their mean is already in the CSDA energy). The cut follows the Landau
scale of each vertex: eps_c = xi/4 (xi = int c dz, the PDG's "xi" of the Landau distribution),
bounded below by 0.1 MeV (above the K-shell binding of heavy atoms, where the free-electron
spectrum holds) and above by W_max/2 at the vertex. So about 4 collisions are drawn per event
at any depth, the peak of the distribution (set by collisions of order xi) is sampled
collision by collision and its tail up to W_max exactly: the sampler reproduces the Landau
distribution for thin layers (FWHM 4.02 xi), Vavilov's for intermediate ones and tends to
the Gaussian of Bohr's variance xi W_max (1 - beta^2/2) for thick ones (tests/test_straggling.py).
At 3 GeV in W the full width at half maximum after 2 cm comes out within 1% of Landau's 4.02 xi
with cuts xi/8, xi/4 and xi/2 alike (histograms of 4e5 samples), so xi/4 (4 collisions per
event, about 0.5 s of CPU per million vertices) is the cut.
The mean energy is the CSDA energy by construction (E_vertex is clipped to [m, E_0], which
moves the mean by far less than its statistical error).

**Radiative losses** (bremsstrahlung, pair production, photonuclear) are kept at their mean
(continuous, in the CSDA energy): their fluctuations are not sampled. Their hard part is small
where the dump experiments produce S below ~100 GeV: with PUMAS (mulder) tables, the mean loss
above 5% of the energy is 0.103 GeV/m at 3 GeV in W, of which 0.085 GeV/m are delta rays by
the formula above, leaving 0.018 GeV/m radiative, 0.6% of the 2.81 GeV/m stopping power.
At 160 GeV in Pb (NA64mu) radiative losses are about half the stopping power and the widths
sampled here miss their (rare, hard) fluctuations: the mean stays exact, the width is a lower
bound there. mulder exposes its stochastic ("mixed") mode only as restricted stopping powers and
total cross sections, not as a transport through a slab or a sampler of the loss spectra, so
it cannot supply them.

Units: GeV, metres. Pure array kernels; the tables are built from a CSDA track.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import ALPHA, HBARC_GEV_M, M_E

#: The cut between sampled and Gaussian collisions, in units of the Landau xi of the layer.
CUT_OVER_XI = 1.0 / 4.0
#: Points of the inverse table (ln T as a function of the cumulative c) that places the
#: collisions along the track: its linear interpolation is within 2e-6 in ln T (3 GeV in W) of
#: the exact inverse of the (piecewise linear) cumulative table, far below the scale on which
#: W_max changes.
INVERSE_POINTS = 4096
#: Smallest cut, GeV (0.1 MeV: above the K-shell binding of the heaviest target atoms).
CUT_MIN_GEV = 1e-4


def w_max(E, M):
    """Largest energy transfer to a free electron (GeV) from a particle of total energy E and
    mass M (GeV): 2 m_e beta^2 gamma^2 / (1 + 2 gamma m_e/M + (m_e/M)^2) (PDG Review, "Passage of
    particles through matter", maximum energy transfer in a single collision)."""
    E = np.asarray(E, dtype=float)
    g = E / M
    bg2 = g * g - 1.0
    r = M_E / M
    return 2.0 * M_E * bg2 / (1.0 + 2.0 * g * r + r * r)


def delta_ray_constant(electron_density_m3, beta2):
    """c = 2 pi r_e^2 m_e n_e / beta^2 in GeV/m (= (K/2)(Z/A) rho / beta^2 of the PDG with
    K = 4 pi N_A r_e^2 m_e c^2), with r_e = alpha hbar c / m_e."""
    r_e = ALPHA * HBARC_GEV_M / M_E
    return 2.0 * np.pi * r_e**2 * M_E * electron_density_m3 / np.asarray(beta2, dtype=float)


@dataclass
class StragglingTrack:
    """Cumulative integrals from the target entrance along a CSDA track (on the generator's
    track grid, ascending ln T, so index -1 is the entrance): ``I_c`` = int c dz (the Landau xi),
    ``I_clnW`` = int c ln W dz, ``I_cb2`` = int c beta^2 dz, ``I_cb2W`` = int c beta^2/W dz,
    ``I_cW2E2`` = int c W^2/E^2 dz, ``I_cE2`` = int c/E^2 dz; and ``W`` (W_max), ``beta2``,
    ``E`` on the grid; ``mass`` of the particle (GeV, m)."""

    mass: float
    lnT: np.ndarray
    E: np.ndarray
    W: np.ndarray
    beta2: np.ndarray
    I_c: np.ndarray
    I_clnW: np.ndarray
    I_cb2: np.ndarray
    I_cb2W: np.ndarray
    I_cW2E2: np.ndarray
    I_cE2: np.ndarray
    inv_lnT: np.ndarray  # ln T at 4096 equidistant values of I_c from 0 (entrance) to I_c[0]


def straggling_track(lnT, dzdlnT, mass, electron_density_m3) -> StragglingTrack:
    """The integrals of :class:`StragglingTrack` along a track given on an ascending grid of
    ln T (T the kinetic energy, GeV) with dz/d ln T (m), for a particle of ``mass`` (GeV) in a
    material of electron density ``electron_density_m3`` (1/m^3); trapezoidal rule in ln T
    from the entrance (the grid's top)."""
    lnT = np.asarray(lnT, dtype=float)
    E = np.exp(lnT) + mass
    beta2 = 1.0 - (mass / E) ** 2
    W = w_max(E, mass)
    c = delta_ray_constant(electron_density_m3, beta2)

    def cumulative(f):
        g = f * dzdlnT
        seg = 0.5 * (g[1:] + g[:-1]) * np.diff(lnT)
        return np.concatenate([np.cumsum(seg[::-1])[::-1], [0.0]])

    I_c = cumulative(c)
    inv = np.interp(np.linspace(0.0, I_c[0], INVERSE_POINTS), I_c[::-1], lnT[::-1])
    return StragglingTrack(float(mass), lnT, E, W, beta2, I_c, cumulative(c * np.log(W)), cumulative(c * beta2),
                           cumulative(c * beta2 / W), cumulative(c * W**2 / E**2), cumulative(c / E**2), inv)


def sample_loss_fluctuation(rng, st: StragglingTrack, lnT_vertex) -> np.ndarray:
    """The ionisation energy-loss fluctuation (GeV; loss minus its mean, so its expectation is
    0) of muons that reach the depth where the CSDA kinetic energy is exp(lnT_vertex) (see the
    module docstring). Vectorised: about 4 random collisions per muon."""
    lnT_v = np.asarray(lnT_vertex, dtype=float)
    k = lnT_v.size
    x_ = st.lnT
    # linear interpolation on the uniform ln T grid: one index for every table
    u_v = (lnT_v - x_[0]) / (x_[1] - x_[0])
    i_v = np.clip(u_v.astype(np.int64), 0, x_.size - 2)
    f_v = np.clip(u_v - i_v, 0.0, 1.0)

    def at(values):
        lo = values[i_v]
        return lo + f_v * (values[i_v + 1] - lo)

    I_c, W_v = at(st.I_c), at(st.W)
    eps_c = np.clip(CUT_OVER_XI * I_c, CUT_MIN_GEV, 0.5 * W_v)
    # hard collisions: Poisson with the majorant rate c/eps_c, thinned
    counts = rng.poisson(I_c / eps_c)
    owner = np.repeat(np.arange(k), counts)
    m = owner.size
    u = rng.random((m, 3))
    # position: uniform in the cumulative c from the entrance, through the inverse table
    q = u[:, 0] * I_c[owner] * ((st.inv_lnT.size - 1) / st.I_c[0])
    j = np.minimum(q.astype(np.int64), st.inv_lnT.size - 2)
    lnT_d = st.inv_lnT[j] + (q - j) * (st.inv_lnT[j + 1] - st.inv_lnT[j])
    E_d = np.exp(lnT_d) + st.mass
    W_d = w_max(E_d, st.mass)
    eps = eps_c[owner] / np.maximum(u[:, 1], 1e-300)
    F = 1.0 - (1.0 - (st.mass / E_d) ** 2) * eps / W_d + eps**2 / (2.0 * E_d**2)
    kept = (eps <= W_d) & (u[:, 2] < F)
    hard = np.bincount(owner[kept], weights=eps[kept], minlength=k)
    # their mean and the variance of the soft collisions (module docstring)
    lne = np.log(eps_c)
    mean_hard = (at(st.I_clnW) - lne * I_c - at(st.I_cb2) + eps_c * at(st.I_cb2W)
                 + 0.25 * (at(st.I_cW2E2) - eps_c**2 * at(st.I_cE2)))
    var_soft = eps_c * I_c - 0.5 * eps_c**2 * at(st.I_cb2W) + eps_c**3 / 6.0 * at(st.I_cE2)
    soft = np.sqrt(np.maximum(var_soft, 0.0)) * rng.standard_normal(k)
    return hard - mean_hard + soft
