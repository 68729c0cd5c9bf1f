"""The dark-bremsstrahlung vertex l N -> l N X at a known lepton energy: the exact tree-level
(ETL) momentum transfer and recoil azimuth, and the four-momenta of the final state.

Shared by the event generator (:mod:`mudump.events.generator`, lepton energy along a thick
target) and the Geant4 vertex libraries (:mod:`mudump.events.library`, fixed energies). Both
draw the lepton energy fraction x = E_X/E and the X polar angle theta from their own proposals,
then call :func:`draw_transfer`, which completes the point with the momentum transfer t and the
recoil azimuth phi and returns the ratio of the fully differential ETL cross section
dsigma/(dx dcos theta dt dphi) (:func:`mudump.production.etl.d4sigma`, the integrand of the ETL
double differential, elastic plus inelastic) to the proposal density of (t, phi). The product of
that ratio with the (x, cos theta) weight of the caller is an exact importance-sampling weight:
(x, theta, t, phi) are distributed as the ETL matrix element, with no approximation beyond the
tree-level process itself.

The angle variable is the one of :func:`mudump.production.etl.dsigma_dx`: s = ln(U/U0),
U = U0 + theta^2 E^2 x (U0 of :func:`mudump.production.kinematics.u_at_zero_angle`), over the
whole range 0 <= theta <= pi (wide angles included: there the ETL cross section is not the WW
one), dcos theta = sinc(theta) U ds / (2 E^2 x).

Proposal of t (the recoil azimuth phi is uniform in [0, 2 pi)): w = ln(t/t_-) on [0, W],
W = ln(t_hi/t_-) the range of the elastic term (:func:`mudump.production.etl.t_range`, which
contains the inelastic one), a mixture of a uniform density (DEFENSIVE_T) and a histogram of
T_BINS equal bins whose heights follow G2(t) (1 - t_-/t), the t shape of the equivalent-photon
integrand (t G2(t)/t^2 times the t - t_- of the trace near t_-; mudump's physics notes, section
4): close to the exact integrand, so the weights vary little.

The record: the recoil is written as the nucleus (mass A u, the elastic term's kinematics) for
both terms; the inelastic term (quasi-elastic scattering on a proton, about 1/Z of the rate)
thus appears as a coherent recoil with its own t and phi (its cross section is exact; only the
recoil system it would break up into is not modelled).

Units: GeV.
"""

from __future__ import annotations

import numpy as np

from ..production import etl
from ..production.etl import stable_dot_pk
from ..production.kinematics import u_at_zero_angle

#: Equal bins in ln(t/t_-) of the momentum-transfer proposal.
T_BINS = 16
#: Weight of the uniform part of the momentum-transfer proposal (keeps every t reachable).
DEFENSIVE_T = 0.2


def s_end(E, x, m_S, m_l):
    """(U0, s_end): s = ln(U/U0) runs from 0 to s_end = ln(1 + pi^2 E^2 x / U0) (theta = pi)."""
    U0 = u_at_zero_angle(x, m_S, m_l)
    return U0, np.log1p(np.pi**2 * E**2 * x / U0)


def angle_of_s(s, E, x, U0):
    """(theta, dcos theta/ds) at s = ln(U/U0), U = U0 + theta^2 E^2 x."""
    U = U0 * np.exp(s)
    theta = np.sqrt(np.clip((U - U0) / (E**2 * x), 0.0, np.pi**2))
    return theta, np.sinc(theta / np.pi) * U / (2.0 * E**2 * x)


def draw_transfer(rng, E, x, theta, m_S, nuc, m_l, form_factor, kind, bin_factors=None, return_bins=False):
    """Draw t (GeV^2) and phi for each point (E, x, theta) (1-d arrays) from the proposal of the
    module docstring. Returns (t, phi, ratio, ok): ``ratio`` = d4sigma(E, x, theta, t, phi)
    / q(t, phi) in GeV^-2 (an unbiased estimate of the ETL d2sigma/(dx dcos theta) at g = 1),
    ``ok`` false where the point has no t range (weight 0; t is then a placeholder).
    ``bin_factors`` (T_BINS positive numbers) multiply the heights of the histogram part (a
    caller that has learnt where the integrand lies, as the library's pilot run does; the
    weights stay exact whatever they are); ``return_bins`` adds the bin of each t."""
    k = np.size(E)
    M = etl.components(nuc, form_factor)[0][0]
    t_lo, t_hi = etl.t_range(E, x, theta, m_S, m_l, M)
    ok = np.isfinite(t_lo) & np.isfinite(t_hi) & (t_hi > t_lo) & (t_lo > 0)
    t_lo = np.where(ok, t_lo, 1e-6)
    W = np.where(ok, np.log(np.where(ok, t_hi, 2e-6) / t_lo), np.log(2.0))
    centres = (np.arange(T_BINS) + 0.5) / T_BINS
    tj = t_lo[:, None] * np.exp(W[:, None] * centres[None, :])
    h = sum(g2(tj, nuc) for _, g2 in etl.components(nuc, form_factor)) * -np.expm1(-W[:, None] * centres[None, :])
    if bin_factors is not None:
        h = h * np.asarray(bin_factors, dtype=float)[None, :]
    norm = h.sum(1)
    h = np.where(norm[:, None] > 0, h / np.where(norm > 0, norm, 1.0)[:, None], 1.0 / T_BINS)
    p_bin = (1.0 - DEFENSIVE_T) * h + DEFENSIVE_T / T_BINS  # probability of each bin
    cum = np.cumsum(p_bin, axis=1)
    u = rng.random(k) * cum[:, -1]
    j = np.minimum((cum < u[:, None]).sum(1), T_BINS - 1)
    w = W * (j + rng.random(k)) / T_BINS
    t = t_lo * np.exp(w)
    phi = 2.0 * np.pi * rng.random(k)
    q_w = p_bin[np.arange(k), j] * T_BINS / W  # density in w
    d4 = etl.d4sigma(E, x, theta, t, phi, m_S, nuc, m_l, 1.0, form_factor, kind)
    ratio = np.where(ok, d4 * t * 2.0 * np.pi / q_w, 0.0)  # dt = t dw, q(phi) = 1/(2 pi)
    return (t, phi, ratio, ok, j) if return_bins else (t, phi, ratio, ok)


def final_state(E, x, theta, t, phi, phi_S, m_S, m_l, M):
    """Four-momenta (k, 4) of X, the outgoing lepton and the recoil (mass M) and the momentum
    transfer's limits, in the frame of the incoming lepton (along +z, energy E, nucleus at
    rest): X at polar angle theta and azimuth phi_S; the recoil momentum q at the polar angle
    alpha about V = p - k fixed by energy conservation (cos alpha = (D1 - c t)/(2 |V| |q|),
    :mod:`mudump.production.etl`) and azimuth phi about V (the convention of
    :func:`mudump.production.etl.d4sigma`), the whole rotated by phi_S about z; the outgoing
    lepton p' = p - k + q. Every event conserves four-momentum exactly.
    Returns (k4, p_out4, nuc_out4)."""
    n = np.size(E)
    pmu = np.sqrt(E**2 - m_l**2)
    Ek = x * E
    kk = np.sqrt(np.clip(Ek**2 - m_S**2, 0.0, None))
    st, ct = np.sin(theta), np.cos(theta)
    V0 = E - Ek
    Vx, Vz = -kk * st, pmu - kk * ct
    Vn = np.hypot(Vx, Vz)
    D1 = m_S**2 - 2.0 * stable_dot_pk(E, Ek, pmu, kk, theta)
    c_ = 1.0 + V0 / M
    q0 = -t / (2.0 * M)
    qn = np.sqrt(t * (1.0 + t / (4.0 * M**2)))
    cos_a = np.clip((D1 - c_ * t) / (2.0 * Vn * qn), -1.0, 1.0)
    sin_a = np.sqrt(1.0 - cos_a**2)
    vx, vz = Vx / Vn, Vz / Vn
    cphi, sphi = np.cos(phi_S), np.sin(phi_S)
    scp = sin_a * np.cos(phi)
    qx0, qy0, qz = qn * (cos_a * vx + scp * vz), qn * sin_a * np.sin(phi), qn * (cos_a * vz - scp * vx)
    k4 = np.empty((n, 4))
    k4[:, 0], k4[:, 1], k4[:, 2], k4[:, 3] = Ek, kk * st * cphi, kk * st * sphi, kk * ct
    q4 = np.empty((n, 4))
    q4[:, 0], q4[:, 1], q4[:, 2], q4[:, 3] = q0, qx0 * cphi - qy0 * sphi, qx0 * sphi + qy0 * cphi, qz
    p4 = np.zeros((n, 4))
    p4[:, 0], p4[:, 3] = E, pmu
    out = p4 - k4 + q4
    out[:, 0] = V0 + q0  # the same number, without the cancellation
    nuc = np.zeros((n, 4))
    nuc[:, 0] = M - q0
    nuc[:, 1:] = -q4[:, 1:]
    return k4, out, nuc
