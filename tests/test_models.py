"""Tests of the dark-scalar models and their width kernels (mudump.models, mudump.models.scalar).

Reference formulas: docs/physics.md#models (widths, loop function, decay length), which follow the
Higgs formulas of Spira, Djouadi, Graudenz, Zerwas, Nucl. Phys. B453 (1995) 17 and
Djouadi, Phys. Rept. 457 (2008) 1, with m_f/v -> g_l and N_c Q^2 = 1.
Reference numbers typed in this file (hbar c, alpha) are the values quoted in physics.md
(CODATA 2018), so they are independent of mudump.constants.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mudump.constants import M_E, M_MU, M_TAU
from mudump.errors import DomainError, MudumpError, UnknownNameError
from mudump.models import MASS_RANGE_GEV, MODELS, ScalarModel, get_model, scalar

# physics.md header: hbar*c = 1.973269804e-16 GeV m, alpha = 1/137.035999 (CODATA 2018).
HBARC_REF = 1.973269804e-16
ALPHA_REF = 1.0 / 137.035999

A = MODELS["A"]
B = MODELS["B"]

FAST = settings(max_examples=60, deadline=None)

# Log-uniform masses over the validated range 1e-3..1 GeV and couplings 1e-8..1.
masses = st.floats(-3.0, 0.0).map(lambda x: min(max(10.0**x, MASS_RANGE_GEV[0]), MASS_RANGE_GEV[1]))
couplings = st.floats(-8.0, 0.0).map(lambda x: 10.0**x)
models = st.sampled_from(["B", "A"])


def beta3(m_S, m_l):
    """P-wave threshold factor (1 - 4 m_l^2/m_S^2)^(3/2) (docs/physics.md#models)."""
    return (1.0 - 4.0 * m_l**2 / m_S**2) ** 1.5


# --------------------------------------------------------------------------------------------
# width_to_leptons
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("m_l", [M_E, M_MU, M_TAU])
@pytest.mark.parametrize("frac", [0.1, 0.5, 0.999999, 1.0])
def test_width_to_leptons_zero_at_and_below_threshold(m_l, frac):
    # Below m_S = 2 m_l the channel is kinematically closed; at threshold beta = 0.
    assert scalar.width_to_leptons(frac * 2.0 * m_l, 0.3, m_l) == 0.0


@FAST
@given(m_l=st.sampled_from([M_E, M_MU]), x=st.floats(1.0001, 1e3), g=couplings)
def test_width_to_leptons_formula(m_l, x, g):
    # docs/physics.md#models: Gamma = g^2 m_S / (8 pi) * beta^3 above threshold (m_S = 2 m_l x).
    m_S = 2.0 * m_l * x
    expected = g**2 * m_S / (8.0 * math.pi) * beta3(m_S, m_l)
    assert scalar.width_to_leptons(m_S, g, m_l) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("m_l", [M_E, M_MU])
def test_width_to_leptons_p_wave_threshold(m_l):
    # Just above threshold, m_S = 2 m_l (1 + d): beta^2 = 1 - 1/(1+d)^2 = 2d + O(d^2), so the width
    # goes as d^(3/2) (P wave of a CP-even scalar). d2 = 4 d1 gives a width ratio (1/4)^(3/2) = 1/8;
    # an S-wave (beta^1) would give 1/2. Corrections are O(d) ~ 1e-5, tolerance 1e-4.
    d1, d2 = 1e-5, 4e-5
    w1 = scalar.width_to_leptons(2 * m_l * (1 + d1), 1e-3, m_l)
    w2 = scalar.width_to_leptons(2 * m_l * (1 + d2), 1e-3, m_l)
    assert w1 > 0.0
    assert w1 / w2 == pytest.approx(1.0 / 8.0, rel=1e-4)
    # and the exact ratio is the ratio of m_S beta^3
    m1, m2 = 2 * m_l * (1 + d1), 2 * m_l * (1 + d2)
    assert w1 / w2 == pytest.approx(m1 * beta3(m1, m_l) / (m2 * beta3(m2, m_l)), rel=1e-9)


def test_width_to_leptons_large_mass_limit():
    # m_S >> 2 m_l: beta^3 = 1 - 6 m_l^2/m_S^2 + O(m_l^4/m_S^4) -> Gamma -> g^2 m_S / (8 pi).
    # Electrons at 1 GeV: correction 6 m_e^2 = 1.6e-6.
    g, m_S = 0.2, 1.0
    w = scalar.width_to_leptons(m_S, g, M_E)
    lim = g**2 * m_S / (8 * math.pi)
    assert w == pytest.approx(lim, rel=1e-5)
    assert w < lim
    assert (lim - w) / lim == pytest.approx(6 * M_E**2 / m_S**2, rel=1e-5)


# --------------------------------------------------------------------------------------------
# loop_function F(tau)
# --------------------------------------------------------------------------------------------


def test_loop_function_heavy_lepton_limit():
    # tau -> infinity (heavy loop lepton): F -> 4/3 (docs/physics.md#models). With x = 1/tau,
    # f = arcsin^2(sqrt x) = x + x^2/3 + 8x^3/45 + ..., so F = 2/x [1 + f - f/x]
    # = 4/3 + 14/(45 tau) + O(1/tau^2). At tau = 1e6 the offset is 3.1e-7 < 1e-5.
    F = scalar.loop_function(1e6)
    assert abs(F - 4.0 / 3.0) < 1e-5
    assert F.imag == 0.0
    # The first correction, 14/(45 tau), at tau = 1e3 (next order relative O(1/tau) ~ 1e-3).
    tau = 1e3
    assert (scalar.loop_function(tau).real - 4.0 / 3.0) * tau == pytest.approx(14.0 / 45.0, rel=2e-3)


def test_loop_function_light_lepton_limit():
    # tau -> 0: f ~ -1/4 [ln(4/tau) - i pi]^2, so F ~ 2 tau [1 - ln^2(4/tau)/4 + ...] -> 0
    # like tau ln^2 tau (the light lepton decouples from the amplitude).
    vals = [abs(scalar.loop_function(t)) for t in (1e-4, 1e-6, 1e-8, 1e-10)]
    assert all(a > b for a, b in zip(vals, vals[1:]))
    assert vals[-1] < 1e-7
    for t in (1e-6, 1e-10):
        bound = 2 * t * (1 + 0.25 * (math.log(4 / t) ** 2 + math.pi**2))
        assert abs(scalar.loop_function(t)) <= bound


def test_loop_function_continuous_at_tau_one():
    # At tau = 1 both branches give f = pi^2/4 (arcsin(1)^2; ln(1) = 0 in the log form), and
    # F(1) = 2*1*(1 + 0*f) = 2. Just below, f = pi^2/4 - s^2 + i pi s + O(s^3), s = sqrt(1 - tau).
    assert scalar.loop_function(1.0) == pytest.approx(2.0, abs=1e-15)
    for eps in (1e-6, 1e-9):
        lo, hi = scalar.loop_function(1.0 - eps), scalar.loop_function(1.0 + eps)
        # F(1 - eps) = 2 - 2 eps (1 - pi^2/4) + O(eps^1.5): offset ~ 2.9 eps
        assert abs(lo - 2.0) < 10 * eps
        assert abs(hi - 2.0) < 10 * eps
        assert abs(lo - hi) < 10 * eps


@pytest.mark.parametrize("tau", [1e-6, 1e-3, 0.1, 0.5, 0.9, 0.99])
def test_loop_function_below_threshold_is_analytic_continuation(tau):
    # Independent check of the tau < 1 (log) branch: it must be the analytic continuation of
    # arcsin^2(1/sqrt(tau)) with the Feynman prescription m_S^2 -> m_S^2 + i0, i.e.
    # tau -> tau - i0 and 1/sqrt(tau) -> x + i0 with x > 1. For x > 1,
    # arcsin(x + i0) = pi/2 + i arccosh(x) = pi/2 + i/2 ln[(1+s)/(1-s)], s = sqrt(1 - tau),
    # whose square is exactly -1/4 [ln((1+s)/(1-s)) - i pi]^2 (Im f > 0).
    # numpy's complex arcsin on the cut x > 1 with +0j gives the +i branch (verified here);
    # we also evaluate it slightly off the axis, at tau - i*delta, to pin the branch by
    # continuity rather than by numpy's cut convention.
    F = scalar.loop_function(tau)
    f_code = (F / (2.0 * tau) - 1.0) / (1.0 - tau)
    x = 1.0 / np.sqrt(tau)
    f_cut = np.arcsin(complex(x, 0.0)) ** 2
    f_offaxis = np.arcsin(1.0 / np.sqrt(complex(tau, -1e-13 * tau))) ** 2
    assert f_cut.imag > 0
    assert f_code.real == pytest.approx(f_cut.real, rel=1e-9, abs=1e-12)
    assert f_code.imag == pytest.approx(f_cut.imag, rel=1e-9)
    assert abs(f_code - f_offaxis) < 1e-5 * abs(f_cut)
    # Absorptive part only above threshold: Im F > 0 for tau < 1, Im F = 0 for tau >= 1.
    assert F.imag > 0
    assert scalar.loop_function(1.0 / tau).imag == 0.0


# Largest tau met in the validated model domain: the tau loop at m_S = 1e-3 GeV,
# 4 m_tau^2 / (1e-3)^2 = 1.26e7.
TAU_MAX_DOMAIN = 4 * M_TAU**2 / MASS_RANGE_GEV[0] ** 2


@FAST
@given(tau=st.floats(1.0, TAU_MAX_DOMAIN))
def test_loop_function_above_threshold_real_and_bounded(tau):
    # For tau >= 1 (m_S <= 2 m_l) F is real, and between F(1) = 2 and the heavy limit 4/3
    # (F decreases monotonically from 2 at threshold to 4/3; cf. |A_1/2| in Djouadi's review).
    # Rounding: 1 + (1 - tau) f cancels to 2/(3 tau), so F carries a relative error ~ tau * 1e-16
    # (<= 1e-8 in the model domain): tolerance 1e-8.
    F = scalar.loop_function(tau)
    assert F.imag == 0.0
    assert 4.0 / 3.0 - 1e-8 <= F.real <= 2.0 + 1e-12


def _F_mpmath(tau):
    """F(tau) of docs/physics.md#models at 40 digits (mpmath), both branches."""
    import mpmath as mp

    with mp.workdps(40):
        t = mp.mpf(tau)
        if t >= 1:
            f = mp.asin(1 / mp.sqrt(t)) ** 2
        else:
            s = mp.sqrt(1 - t)
            f = -mp.mpf(1) / 4 * (mp.log((1 + s) / (1 - s)) - 1j * mp.pi) ** 2
        return complex(2 * t * (1 + (1 - t) * f))


@FAST
@given(lt=st.floats(-8.0, float(np.log10(TAU_MAX_DOMAIN))))
def test_loop_function_precision_in_model_domain(lt):
    # Against a 40-digit evaluation of the same formula: the double-precision kernel must hold
    # 1e-7 relative over every tau the models use (1e-8 < tau < 1.3e7; expected error
    # ~ tau * 1e-16 from the cancellation in 1 + (1 - tau) f at large tau).
    tau = 10.0**lt
    ref = _F_mpmath(tau)
    assert abs(scalar.loop_function(tau) - ref) <= 1e-7 * abs(ref)


@pytest.mark.parametrize("tau", [1e12, 1e16])
def test_loop_function_heavy_limit_far_out(tau):
    # F = 4/3 + 14/(45 tau) + O(tau^-2): at tau >= 1e12 it is 4/3 to 1e-12 (regression test:
    # the direct formula cancelled catastrophically here; the kernel now uses the expansion).
    assert scalar.loop_function(tau).real == pytest.approx(4.0 / 3.0, rel=1e-6)


# --------------------------------------------------------------------------------------------
# width_to_photons
# --------------------------------------------------------------------------------------------


def test_width_to_photons_model_B_light_scalar():
    # m_S = 1 MeV << m_mu: tau_mu = 4 m_mu^2/m_S^2 ~ 4.5e4, F = 4/3 (1 + 7/(30 tau)) ~ 4/3 to 5e-6,
    # so Gamma = alpha^2 m_S^3 / (256 pi^3) (g/m_mu)^2 (16/9) (docs/physics.md#models).
    m_S, g = 1e-3, 1e-3
    expected = ALPHA_REF**2 * m_S**3 / (256 * math.pi**3) * (g / M_MU) ** 2 * 16.0 / 9.0
    assert B.widths(m_S, g)["gamma gamma"] == pytest.approx(expected, rel=1e-3)
    assert scalar.width_to_photons(m_S, [g], [M_MU]) == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize("m_S", [0.1, 0.3, 1.0])
def test_width_to_photons_model_A_electron_loop_suppressed(m_S):
    # Model A: g_l/m_l = g_mu/m_mu for every lepton, so the amplitude is (g/m_mu) sum_l F(tau_l).
    # For m_S >> m_e, tau_e -> 0 and F(tau_e) -> 0 (light lepton decouples): the photon width is
    # the mu + tau loop alone to about 2 |F_e| / |F_mu + F_tau| (< 1% here).
    tau_e = 4 * M_E**2 / m_S**2
    F_e = scalar.loop_function(tau_e)
    assert abs(F_e) < 0.05
    g = 1e-4
    full = A.widths(m_S, g)["gamma gamma"]
    heavy_only = scalar.width_to_photons(m_S, [g, g * M_TAU / M_MU], [M_MU, M_TAU])
    assert full == pytest.approx(heavy_only, rel=0.01)
    # and F_e really goes to zero with growing m_S
    assert abs(scalar.loop_function(4 * M_E**2 / (10 * m_S) ** 2)) < abs(F_e)


# --------------------------------------------------------------------------------------------
# ScalarModel and MODELS
# --------------------------------------------------------------------------------------------


def test_model_couplings():
    # docs/physics.md#models: model B couples to muons only; model A has g_l = g_mu m_l / m_mu.
    g = 2e-4
    assert set(B.couplings(g)) == {"mu"}
    assert B.couplings(g)["mu"] == g
    cB = A.couplings(g)
    assert cB["mu"] == pytest.approx(g, rel=1e-15)
    assert cB["e"] == pytest.approx(g * M_E / M_MU, rel=1e-14)
    assert cB["tau"] == pytest.approx(g * M_TAU / M_MU, rel=1e-14)
    assert get_model("a") is A and get_model(A) is A


@pytest.mark.parametrize("m_S", [1e-3, 0.01, 0.1, 0.2, 2 * M_MU * 0.999])
def test_model_B_only_photons_below_dimuon_threshold(m_S):
    br = B.branching_ratios(m_S)
    assert br["gamma gamma"] == 1.0
    assert br["e+ e-"] == br["mu+ mu-"] == br["tau+ tau-"] == 0.0


@pytest.mark.parametrize("m_S", [0.25, 0.5, 1.0])
def test_model_B_dimuons_above_threshold(m_S):
    # Gamma_gg / Gamma_mumu = alpha^2 m_S^2 |F|^2 / (32 pi^2 m_mu^2 beta^3) ~ 1e-5 away from
    # threshold, so BR(mu mu) > 0.999.
    br = B.branching_ratios(m_S)
    assert br["mu+ mu-"] > 0.999
    assert br["e+ e-"] == 0.0
    assert 0.0 < br["gamma gamma"] < 1e-3


def test_model_A_electrons_dominate_below_dimuon_threshold():
    # Model A at m_S = 0.1 GeV: Gamma_ee = g_e^2 m_S/(8pi) beta_e^3 with g_e = g m_e/m_mu and
    # Gamma_gg = alpha^2 m_S^3/(256 pi^3) (g/m_mu)^2 |F_e + F_mu + F_tau|^2, so
    # Gamma_gg/Gamma_ee = alpha^2 (m_S/m_e)^2 |sum F|^2 / (32 pi^2 beta_e^3)
    #                   = 5.33e-5 * 3.83e4 * 7.50 / 315.8 = 0.0484  ->  BR(ee) = 0.954.
    # NB: the brief expected BR(ee) > 0.99 at 0.1 GeV; the formula of physics.md gives 0.954
    # (BR(ee) > 0.99 holds only below m_S ~ 47 MeV). We check the formula's number.
    m_S = 0.1
    sumF = sum(scalar.loop_function(4 * m**2 / m_S**2) for m in (M_E, M_MU, M_TAU))
    ratio = ALPHA_REF**2 * (m_S / M_E) ** 2 * abs(sumF) ** 2 / (32 * math.pi**2 * beta3(m_S, M_E))
    br_ee_expected = 1.0 / (1.0 + ratio)
    assert br_ee_expected == pytest.approx(0.954, abs=1e-3)
    br = A.branching_ratios(m_S)
    assert br["e+ e-"] == pytest.approx(br_ee_expected, rel=1e-6)
    assert br["e+ e-"] > 0.95
    assert br["mu+ mu-"] == 0.0 and br["tau+ tau-"] == 0.0
    # electrons dominate more strongly at lower mass (gamma gamma grows as m_S^2 relative to ee)
    assert A.branching_ratios(0.01)["e+ e-"] > 0.999


@FAST
@given(name=models, m_S=masses, g=couplings)
def test_branching_ratios_sum_to_one_and_independent_of_coupling(name, m_S, g):
    model = MODELS[name]
    br = model.branching_ratios(m_S, g)
    br1 = model.branching_ratios(m_S, 1.0)
    assert set(br) == set(model.channels)
    assert sum(br.values()) == pytest.approx(1.0, rel=1e-12)
    for ch in model.channels:
        assert br[ch] == pytest.approx(br1[ch], rel=1e-10, abs=1e-300)


@FAST
@given(name=models, m_S=masses, g=couplings)
def test_widths_scale_as_coupling_squared(name, m_S, g):
    # Every width is quadratic in the couplings, and all couplings are proportional to g_mu.
    model = MODELS[name]
    w = model.widths(m_S, g)
    w1 = model.widths(m_S, 1.0)
    for ch in model.channels:
        assert w[ch] == pytest.approx(g**2 * w1[ch], rel=1e-12, abs=1e-300)
    assert model.total_width(m_S, g) == pytest.approx(g**2 * model.total_width(m_S, 1.0), rel=1e-12)


@FAST
@given(name=models, m_S=masses, g=st.one_of(st.just(0.0), couplings, st.just(float(np.sqrt(4 * np.pi)))))
def test_no_nan_or_negative_in_valid_domain(name, m_S, g):
    model = MODELS[name]
    for v in model.widths(m_S, g).values():
        assert np.isfinite(v) and v >= 0.0
    for v in model.branching_ratios(m_S, g).values():
        assert np.isfinite(v) and 0.0 <= v <= 1.0
    if g > 0:
        assert model.total_width(m_S, g) > 0.0  # gamma gamma is always open
        assert np.isfinite(model.ctau(m_S, g)) and model.ctau(m_S, g) > 0
    else:
        assert model.ctau(m_S, g) == np.inf


@pytest.mark.parametrize("m_S", [MASS_RANGE_GEV[0], 2 * M_E, 2 * M_MU, MASS_RANGE_GEV[1]])
@pytest.mark.parametrize("name", ["B", "A"])
def test_no_nan_at_thresholds_and_edges(name, m_S):
    # Exactly at a threshold tau = 1 (both F branches meet) and beta = 0.
    w = MODELS[name].widths(m_S, 1e-3)
    assert all(np.isfinite(v) and v >= 0 for v in w.values())


def test_vectorised_widths_match_scalar_calls():
    m = np.array([1e-3, 0.05, 0.3, 1.0])
    g = np.array([1e-5, 1e-4, 1e-3, 1e-2])
    tot = A.total_width(m, g)
    assert tot.shape == (4,)
    for i in range(4):
        assert tot[i] == pytest.approx(A.total_width(m[i], g[i]), rel=1e-14)


def test_model_B_total_width_increases_above_dimuon_threshold():
    m = np.geomspace(2 * M_MU * (1 + 1e-9), 1.0, 2001)
    G = B.total_width(m, 1e-4)
    assert np.all(np.diff(G) > 0)


@FAST
@given(u=st.floats(0.0, 1.0), v=st.floats(0.0, 1.0))
def test_model_B_total_width_monotonic_property(u, v):
    lo = 2 * M_MU * (1 + 1e-9)
    m1, m2 = sorted(np.minimum(lo * (1.0 / lo) ** np.array([u, v]), 1.0))
    if m2 <= m1 * (1 + 1e-9):
        return
    assert B.total_width(m1, 1e-3) < B.total_width(m2, 1e-3)


@pytest.mark.parametrize("name", ["B", "A"])
@pytest.mark.parametrize("m_S", [1e-3, 0.1, 0.5])
def test_ctau_is_hbarc_over_width(name, m_S):
    model = MODELS[name]
    g = 1e-4
    assert model.ctau(m_S, g) == pytest.approx(HBARC_REF / model.total_width(m_S, g), rel=1e-9)


@pytest.mark.parametrize("energy", [0.2, 1.0, 3.0])
def test_decay_length_is_boost_times_ctau(energy):
    # l = (p/m) c tau, p = sqrt(E^2 - m^2) (docs/physics.md#models).
    m_S, g = 0.1, 1e-4
    p = math.sqrt(energy**2 - m_S**2)
    for model in (B, A):
        assert model.decay_length(energy, m_S, g) == pytest.approx(p / m_S * model.ctau(m_S, g), rel=1e-12)


def test_decay_length_seed_orientation():
    # Seed talk orientation: g_mu ~ 1e-4, m_S ~ 100 MeV gives decay lengths O(10 cm) - O(10 m)
    # for the FNAL-mu 3 GeV beam (E_S ~ 1-3 GeV). By hand, model A: Gamma ~ Gamma_ee =
    # (g m_e/m_mu)^2 m_S/(8pi) = 9.3e-16 GeV, gamma gamma adds 4.8%; ctau = 2.02e-1 m,
    # p/m = 20 at E = 2 GeV -> 4.0 m. Model B only decays through the loop: much longer.
    m_S, g = 0.1, 1e-4
    lB = A.decay_length(2.0, m_S, g)
    lA = B.decay_length(2.0, m_S, g)
    assert 0.05 < lB < 50.0
    assert lB == pytest.approx(4.04, rel=0.01)
    assert lA > lB
    for E in (1.0, 3.0):
        assert 0.05 < A.decay_length(E, m_S, g) < 50.0


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


BAD_MASSES = [0.0, -0.1, float("nan"), 2.0, float("inf"), 0.5e-3]


@pytest.mark.parametrize("name", ["B", "A"])
@pytest.mark.parametrize("m_S", BAD_MASSES)
def test_bad_mass_raises_domain_error(name, m_S):
    model = MODELS[name]
    calls = [
        lambda: model.widths(m_S, 1e-4),
        lambda: model.total_width(m_S, 1e-4),
        lambda: model.branching_ratios(m_S),
        lambda: model.ctau(m_S, 1e-4),
        lambda: model.decay_length(2.0, m_S, 1e-4),
    ]
    for call in calls:
        with pytest.raises(DomainError, match="mass_GeV"):
            call()


def test_bad_mass_inside_array_raises():
    with pytest.raises(DomainError, match="mass_GeV"):
        B.widths(np.array([0.1, 0.2, -1.0]), 1e-4)


@pytest.mark.parametrize("g", [float("nan"), -1e-4, float("inf"), 10.0])
@pytest.mark.parametrize("name", ["B", "A"])
def test_bad_coupling_raises_domain_error(name, g):
    # 10 > sqrt(4 pi) = 3.54 is beyond perturbativity (g^2/4pi < 1).
    model = MODELS[name]
    with pytest.raises(DomainError, match="coupling"):
        model.widths(0.1, g)
    with pytest.raises(DomainError, match="coupling"):
        model.ctau(0.1, g)


def test_domain_error_is_mudump_and_value_error():
    with pytest.raises(MudumpError):
        B.widths(0.0, 1e-4)
    with pytest.raises(ValueError):
        B.widths(0.0, 1e-4)


def test_unknown_model_raises():
    with pytest.raises(UnknownNameError) as exc:
        get_model("C")
    assert isinstance(exc.value, MudumpError)
    assert "C" in str(exc.value)


def test_unknown_lepton_in_model_raises():
    with pytest.raises(UnknownNameError):
        ScalarModel("X", "bad", {"nu": 1.0})


# --- the letters mean what the paper says ---------------------------------------------


def test_letters_follow_the_paper():
    # Chen, Pospelov, Zhong, arXiv:1701.07437, section II: model A has g_l proportional to m_l
    # and, below 2 m_mu, decays mostly to e+ e-; model B couples only to muons and, below
    # 2 m_mu, decays to two photons through the muon loop (the talk draws them the same way).
    a, b = get_model("A"), get_model("B")
    assert set(a.couplings(1e-4)) == {"e", "mu", "tau"} and set(b.couplings(1e-4)) == {"mu"}
    for m_S in (0.01, 0.1, 0.2):
        br_a, br_b = a.branching_ratios(m_S), b.branching_ratios(m_S)
        assert max(br_a, key=br_a.get) == "e+ e-"
        assert max(br_b, key=br_b.get) == "gamma gamma"
    assert a.alias == "leptophilic" and b.alias == "muonphilic"
    assert a.label == "A (leptophilic)" and b.label == "B (muonphilic)"


@pytest.mark.parametrize("letter,names", [("A", ["leptophilic", "LEPTOPHILIC", "lepto-philic", "a"]),
                                          ("B", ["muonphilic", "Muon-philic", "muon_philic", "b"])])
def test_descriptive_names_are_the_same_model(letter, names):
    for n in names:
        assert get_model(n) is MODELS[letter]


def test_unknown_model_lists_letters_and_names():
    with pytest.raises(UnknownNameError) as exc:
        get_model("C")
    msg = str(exc.value)
    assert "model = 'C'" in msg
    for n in ("A", "leptophilic", "B", "muonphilic"):
        assert n in msg


def test_tiny_coupling_is_refused_not_stable():
    """g_mu = 1e-300: g^2 Gamma(g=1) underflows double precision (Gamma(g=1) ~ 1e-15 GeV for
    model B at 1 MeV, S -> gamma gamma), which once read "stable at tree level". It is refused
    with the smallest usable coupling; a small but representable one keeps the g^2 scaling
    exactly (1e-12: rounding); a model with no open channel stays stable (zero width)."""
    from mudump.errors import DomainError
    from mudump.models import get_model

    b = get_model("B")
    with pytest.raises(DomainError, match=r"coupling = 1e-300 is too small.*need coupling >= "):
        b.widths(1e-3, 1e-300)
    w1 = b.total_width(1e-3, 1.0)
    assert b.total_width(1e-3, 1e-140) == pytest.approx(1e-280 * w1, rel=1e-12)
    assert b.total_width(1e-3, [1e-3, 0.0])[1] == 0.0  # g = 0: no decay, not an error
    assert get_model("muonphilic-vector").total_width(1e-3, 1e-300) == 0.0  # nothing open below 2 m_mu


def test_coupling_ratio_is_bounded():
    from mudump.errors import ConfigError
    from mudump.models import RATIO_MAX, parse_model

    doc = {"name": "x", "kind": "scalar", "couplings": {"e": 1e200}}
    with pytest.raises(ConfigError, match=r"couplings.e = 1e\+200 is not allowed: need couplings.e <= 1000"):
        parse_model(doc)
    doc["couplings"]["e"] = RATIO_MAX
    assert parse_model(doc).ratios["e"] == RATIO_MAX


def test_model_hash_is_held_and_follows_equality():
    """A model's hash (of its canonical key) is computed once per object and equal for equal
    models, also across a pickle round trip (process pools and Dask ship models); unequal
    models hash differently here (distinct keys)."""
    import pickle

    a, b = get_model("A"), get_model("B")
    h = hash(a)
    assert a.__dict__["_hash"] == h == hash(a)
    a2 = pickle.loads(pickle.dumps(a))
    assert a2 == a and hash(a2) == h and {a: 1}[a2] == 1
    assert hash(b) != h and b != a
