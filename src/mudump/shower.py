"""The beam electron in a thick target: its energy distribution after t radiation lengths and
its differential track length, what dark bremsstrahlung off an electron beam is integrated
over (the electron-beam counterpart of the muon's slowing down in :mod:`mudump.transport`).

Model (thick-target treatment of the electron beam dumps; Tsai, Rev. Mod. Phys. 46 (1974) 815,
section III.C, the energy distribution of an electron after bremsstrahlung in complete
screening; used for the SLAC E137 analysis by Bjorken et al., Phys. Rev. D 38 (1988) 3375, and
for the dark-photon recasts of the beam dumps by Andreas, Niebuhr, Ringwald,
arXiv:1209.6083, section 2, the I_e of their yield formula):

    I_e(E0, E, t) = (1/E0) [ln(E0/E)]^(b t - 1) / Gamma(b t),   b = 4/3,

the probability density (per GeV) that an electron of energy E0 has energy E after t
radiation lengths. Only the primary electron is followed (the e+ e- of the shower's photons
are left out: their track length adds mostly at low energy, where the thresholds of the dumps
cut; Andreas et al. call this conservative). Ionisation is neglected (E much above the
critical energy, tens of MeV in the dump materials).

Differential track length (metres per GeV) in a target of T radiation lengths, X0 in metres:

    dl/dE (E0, E; T) = X0 int_0^T dt I_e(E0, E, t)
                     = (X0 / (b E0)) int_0^(bT) ds y^(s-1) / Gamma(s),   y = ln(E0/E).

Checks that follow from the form (derived here; tested in the test suite):

* int_0^E0 dE I_e(E0, E, t) = int_0^inf dy e^(-y) y^(bt-1) / Gamma(bt) = 1, so
  int dE dl/dE = T X0: the primary crosses the whole target.
* int_0^E0 dE E I_e = E0 2^(-bt) (the mean energy falls as e^(-bt ln 2)), so
  int dE E dl/dE = X0 E0 (1 - 2^(-bT)) / (b ln 2).
* The mean depth at which the primary has energy E (the average of t over the track it
  travels with energy E), from the same integrand weighted by t = s/b:

      <t X0>(E) = (X0 / b) int_0^(bT) ds s y^(s-1)/Gamma(s) / int_0^(bT) ds y^(s-1)/Gamma(s),

  which is at most T X0 (the target's length) and, far below E0 in a thick target, tends to
  X0 (y + 1)/b (the integrand y^(s-1)/Gamma(s) peaks near s = y + 1/2 and its mean is y + 1;
  compare the mean-energy depth y/(b ln 2) = 1.08 y X0). Near E0 (y -> 0) it tends to 0.
* For T -> inf, int_0^inf ds y^(s-1)/Gamma(s) is the continuous version of the sum over
  integer s, sum_n y^(n-1)/(n-1)! = e^y; the two differ by a term that falls with y (0.18 at
  y = 0.5, 0.014 at y = 5, 0.006 at y = 10, against e^y = 1.6, 148, 2.2e4). Far below E0,
  therefore, dl/dE -> X0 / (b E): the familiar 1/E track length of a thick target (Bjorken,
  Essig, Schuster, Toro, arXiv:0906.0580, appendix A).

Units: energies in GeV, lengths in metres, t and T in radiation lengths.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from ._checks import check_range

#: Tsai's b in I_e: 4/3 for bremsstrahlung in complete screening (the radiation length's own
#: definition with the 1/k photon spectrum; Tsai, Rev. Mod. Phys. 46 (1974) 815).
TSAI_B = 4.0 / 3.0

# Gauss-Legendre nodes on [0, 1], for the integral over s = b t (fixed, so the result is a
# smooth function of the inputs)
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(64)
_NODES, _WEIGHTS = 0.5 * (_NODES + 1.0), 0.5 * _WEIGHTS


def electron_energy_distribution(E0, E, t):
    """Tsai's I_e(E0, E, t) in 1/GeV (module docstring): the density of the beam electron's
    energy E after t > 0 radiation lengths, for an electron of energy E0 (GeV); 0 for E >= E0."""
    E0 = check_range("beam_energy_GeV", E0, 0.0, lo_open=True, unit="GeV")
    t = check_range("thickness_X0", t, 0.0, lo_open=True)
    E = np.asarray(E, dtype=float)
    inside = (E > 0) & (E < E0)
    y = np.log(np.where(inside, E0 / np.where(inside, E, 1.0), np.e))
    bt = TSAI_B * t
    value = np.exp((bt - 1.0) * np.log(y) - gammaln(bt)) / E0
    return np.where(inside, value, 0.0)


def _s_integral(y, s_max, moment=0):
    """int_0^s_max ds s^moment y^(s-1) / Gamma(s) for y > 0 (arrays broadcast): composite
    Gauss-Legendre over s in panels of width <= 1, up to where the integrand has died away (its
    peak sits near s = y; past y + 12 sqrt(y) + 40 it is below 1e-12 of the peak)."""
    y = np.asarray(y, dtype=float)
    top = np.minimum(s_max, y + 12.0 * np.sqrt(y) + 40.0)
    n_panels = int(np.ceil(np.max(top)))
    total = np.zeros(np.broadcast(y, top).shape)
    for k in range(max(n_panels, 1)):
        a = np.minimum(float(k), top)
        b = np.minimum(float(k + 1), top)
        s = a[..., None] + (b - a)[..., None] * _NODES
        with np.errstate(divide="ignore"):
            f = np.exp((s - 1.0) * np.log(y)[..., None] - gammaln(s)) * s**moment
        total = total + (b - a) * np.sum(_WEIGHTS * f, axis=-1)
    return total


def _beam_args(E0, E, thickness_X0, radiation_length_m):
    """The checked arguments of the track-length functions: (E0, T, X0, E strictly inside
    (0, E0), y = ln(E0/E) there and ln 2 elsewhere)."""
    E0 = float(check_range("beam_energy_GeV", E0, 0.0, lo_open=True, unit="GeV"))
    T = float(check_range("thickness_X0", thickness_X0, 0.0, lo_open=True))
    X0 = float(check_range("radiation_length_m", radiation_length_m, 0.0, lo_open=True, unit="m"))
    E = np.asarray(E, dtype=float)
    inside = (E > 0) & (E < E0)
    return E0, T, X0, inside, np.log(E0 / np.where(inside, E, 0.5 * E0))


def track_length_spectrum(E0, E, thickness_X0, radiation_length_m):
    """dl/dE in metres per GeV: the path the beam electron (energy E0, GeV) travels with energy
    between E and E + dE in a target of ``thickness_X0`` radiation lengths whose radiation
    length is ``radiation_length_m`` (e.g. :attr:`mudump.materials.Material.radiation_length`).
    Zero for E >= E0. Module docstring for the formula and its limits."""
    E0, T, X0, inside, y = _beam_args(E0, E, thickness_X0, radiation_length_m)
    out = X0 / (TSAI_B * E0) * _s_integral(y, TSAI_B * T)
    return np.where(inside, out, 0.0)


def mean_depth(E0, E, thickness_X0, radiation_length_m):
    """The mean depth in metres at which the beam electron (energy E0, GeV) has energy E, in a
    target of ``thickness_X0`` radiation lengths (module docstring: the average of t X0 over the
    track length at E); 0 for E >= E0. At most the target's length."""
    E0, T, X0, inside, y = _beam_args(E0, E, thickness_X0, radiation_length_m)
    num, den = _s_integral(y, TSAI_B * T, 1), _s_integral(y, TSAI_B * T)
    out = X0 / TSAI_B * num / np.where(den > 0, den, 1.0)
    return np.where(inside, np.minimum(out, T * X0), 0.0)


def _near_beam_s_rule(y_max, s_max):
    """Nodes and weights over s in [0, s_max] and P(s, y_max) at the nodes (see
    :func:`track_length_near_beam`)."""
    from scipy.special import gammainc

    n_panels = max(1, int(np.ceil(s_max)))
    edges = np.linspace(0.0, s_max, n_panels + 1)
    s = (edges[:-1, None] + np.diff(edges)[:, None] * _NODES).ravel()
    w = (np.diff(edges)[:, None] * _WEIGHTS).ravel()
    return s, w, gammainc(s, y_max)


def mean_depth_near_beam(E0, y_max, thickness_X0, radiation_length_m) -> float:
    """The mean depth in metres of the track the beam electron travels with energy above
    E0 exp(-y_max): (X0/b) int ds s P(s, y_max) / int ds P(s, y_max) (the weights of
    :func:`track_length_near_beam`)."""
    T = float(check_range("thickness_X0", thickness_X0, 0.0, lo_open=True))
    X0 = float(check_range("radiation_length_m", radiation_length_m, 0.0, lo_open=True, unit="m"))
    y_max = float(check_range("y_max", y_max, 0.0, lo_open=True))
    s, w, p = _near_beam_s_rule(y_max, TSAI_B * T)
    return float(X0 / TSAI_B * np.sum(w * s * p) / np.sum(w * p))


def track_length_near_beam(E0, y_max, thickness_X0, radiation_length_m) -> float:
    """The track length in metres with energy above E0 exp(-y_max): X0/b int_0^(bT) ds
    P(s, y_max), P the regularised lower incomplete gamma function (from int_0^c dy e^-y
    y^(s-1) / Gamma(s) = P(s, c); module docstring). This part holds the integrable singularity
    of dl/dE at E -> E0 (the electron before it radiates), which a quadrature in E cannot
    sample; for y_max -> inf it is the whole target, T X0."""
    T = float(check_range("thickness_X0", thickness_X0, 0.0, lo_open=True))
    X0 = float(check_range("radiation_length_m", radiation_length_m, 0.0, lo_open=True, unit="m"))
    y_max = float(check_range("y_max", y_max, 0.0, lo_open=True))
    _, w, p = _near_beam_s_rule(y_max, TSAI_B * T)
    return float(X0 / TSAI_B * np.sum(w * p))


def thick_target_limit(E0, E, radiation_length_m):
    """The T -> infinity limit far below E0: dl/dE = X0 / (b E) in metres per GeV."""
    return radiation_length_m / (TSAI_B * np.asarray(E, dtype=float)) * (np.asarray(E) < E0)


__all__ = ["TSAI_B", "electron_energy_distribution", "track_length_spectrum", "track_length_near_beam",
           "thick_target_limit", "mean_depth", "mean_depth_near_beam"]
