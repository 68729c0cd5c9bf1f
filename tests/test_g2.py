"""Tests of the one-loop scalar contribution to (g-2)_l and the Delta a_mu presets (mudump.g2).

Reference: docs/physics.md#g2,
    Delta a_l = g^2/(8 pi^2) I(r),  I(r) = int_0^1 dz (1-z)^2 (1+z) / [(1-z)^2 + z r^2],  r = m_S/m_l
(Leveille, Nucl. Phys. B137 (1978) 63; Jegerlehner and Nyffeler, Phys. Rept. 477 (2009) 1),
and the Delta a_mu table of docs/physics.md#g2 (data file mudump/data/g2_presets.toml).
"""

from __future__ import annotations

import math

import mpmath as mp

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mudump.models import get_model
from mudump import g2
from mudump.constants import M_E, M_MU, M_TAU
from mudump.errors import DomainError, MudumpError, UnknownNameError

from .helpers import reference_csv

FAST = settings(max_examples=60, deadline=None)

# PDG 2022 masses (GeV), typed here only as an independent cross-check of mudump.constants,
# which takes them from the `particle` package: m_e = 0.51099895000 MeV, m_mu = 105.6583755 MeV.
M_E_PDG = 0.51099895000e-3
M_MU_PDG = 105.6583755e-3


def I_mpmath(r, dps=30):
    """I(r) with mpmath.quad at `dps` digits, the interval split at the integrand's features:
    a dip of width ~r at z = 1 (light S) and a peak of width ~1/r^2 at z = 0 (heavy S)."""
    with mp.workdps(dps):
        r = mp.mpf(r)
        f = lambda z: (1 - z) ** 2 * (1 + z) / ((1 - z) ** 2 + z * r**2)  # noqa: E731
        pts = {mp.mpf(0), mp.mpf(1), mp.mpf(1) / 2}
        for c in (r / 10, r, 10 * r, 100 * r):
            if c < mp.mpf(1) / 2:
                pts.add(1 - c)
        for c in (1 / (10 * r**2), 1 / r**2, 10 / r**2, 100 / r**2):
            if c < mp.mpf(1) / 2:
                pts.add(c)
        return mp.quad(f, sorted(pts))


def I_code(r):
    """I(r) from mudump: Delta a with g = 1 and m_l = 1 GeV, times 8 pi^2."""
    return float(g2.delta_a(r, 1.0, 1.0)) * 8 * math.pi**2


# --------------------------------------------------------------------------------------------
# delta_a: the integral and its limits
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("r", [1e-5, 1e-3, 0.1, 0.5, 1.0, 2.0, 3.0, 50.0, 2000.0, 1e5])
def test_loop_integral_against_mpmath(r):
    # Independent quadrature (mpmath tanh-sinh at 30 digits) of the integral of physics.md sec. 3.
    # Also I(1) = int (1-z)^2 (1+z) / (1 - z + z^2) dz ... = 1/2 exactly (mpmath agrees).
    ref = float(I_mpmath(r))
    assert I_code(r) == pytest.approx(ref, rel=1e-8)
    if r == 1.0:
        assert ref == pytest.approx(0.5, rel=1e-14)


@pytest.mark.parametrize("r", [1e-6, 1e-7])
def test_loop_integral_against_mpmath_very_light(r):
    assert I_code(r) == pytest.approx(float(I_mpmath(r)), rel=1e-8)


def test_delta_a_light_scalar_limit():
    # m_S << m_l: I -> int_0^1 (1+z) dz = 3/2, Delta a -> 3 g^2 / (16 pi^2).
    # The approach is linear in r, not quadratic: near z = 1 (u = 1 - z) the integrand differs
    # from 2 - u by -2 r^2/(u^2 + r^2), whose integral is -pi r; the next term is
    # -3 r^2 ln r (from the -3/u piece of (2-u)(1-u)/u^2). So
    #     I(r) = 3/2 - pi r - 3 r^2 ln r + O(r^2).
    # At r = 1e-4 the relative offset from 3/2 is 2 pi r / 3 = 2.09e-4: a 1e-4 tolerance (as
    # first asked) is too tight by the physics, so we check 3e-4 and the linear term itself.
    g = 1e-3
    r = 1e-4
    lim = 3 * g**2 / (16 * math.pi**2)
    da = float(g2.delta_a_lepton(r * M_MU, g, "mu"))
    assert da == pytest.approx(lim, rel=3e-4)
    assert da < lim
    assert (lim - da) / lim == pytest.approx(2 * math.pi * r / 3, rel=1e-3)
    for r in (1e-3, 1e-4, 1e-5):
        assert abs(I_code(r) - (1.5 - math.pi * r)) <= 4 * r**2 * abs(math.log(r))


def test_delta_a_heavy_scalar_limit():
    # m_S >> m_l: Delta a -> g^2 m_l^2/(8 pi^2 m_S^2) [ln(m_S^2/m_l^2) - 7/6] (physics.md sec. 3).
    # The next order, found by fitting the 40-digit mpmath integral at r = 1e3..1e6 (converges to
    # -3.2500000 as 1/r^2), is (3 ln r^2 - 13/4) / r^4. At r = 1e3 its relative size is
    # (3*13.82 - 3.25) / (1e6 * (13.82 - 1.17)) = 3.0e-6: so the leading form must agree to 1e-5
    # (not just ~1%), and with the next order added to O(ln r^2 / r^4) relative ~ 1e-10.
    g = 1e-2
    r = 1e3
    m_S = r * M_MU
    L = math.log(r**2)
    lead = g**2 * M_MU**2 / (8 * math.pi**2 * m_S**2) * (L - 7.0 / 6.0)
    nlo = g**2 / (8 * math.pi**2) * (3 * L - 13.0 / 4.0) / r**4
    da = float(g2.delta_a_lepton(m_S, g, "mu"))
    assert da == pytest.approx(lead, rel=1e-5)
    assert (da - lead) / lead == pytest.approx(3.02e-6, rel=0.01)
    assert da == pytest.approx(lead + nlo, rel=1e-9)
    # The next-order coefficient itself, from mpmath at r = 1e5 (remainder ~ ln r / r^2 ~ 2e-9).
    with mp.workdps(40):
        R = mp.mpf(10) ** 5
        c = (I_mpmath(R, dps=40) - (mp.log(R**2) - mp.mpf(7) / 6) / R**2) * R**4 - 3 * mp.log(R**2)
    assert float(c) == pytest.approx(-13.0 / 4.0, abs=1e-6)


@FAST
@given(lr=st.floats(-4.0, 4.0), g=st.floats(1e-6, 1.0))
def test_delta_a_scales_as_g_squared_and_depends_on_ratio_only(lr, g):
    # Delta a is g^2 times a function of r = m_S/m_l only (the integral is dimensionless).
    r = 10.0**lr
    base = float(g2.delta_a(r * M_MU, 1.0, M_MU))
    assert float(g2.delta_a(r * M_MU, g, M_MU)) == pytest.approx(g**2 * base, rel=1e-12)
    assert float(g2.delta_a(r * M_E, 1.0, M_E)) == pytest.approx(base, rel=1e-9)
    # positive and bounded by the light limit 3/(16 pi^2) (integrand decreases with r)
    assert 0.0 < base < 3 / (16 * math.pi**2)


@FAST
@given(a=st.floats(-4.0, 4.0), b=st.floats(-4.0, 4.0))
def test_delta_a_decreases_with_scalar_mass(a, b):
    # The integrand is strictly decreasing in r at every z in (0, 1): heavier S, smaller Delta a.
    if abs(a - b) < 1e-6:
        return
    lo, hi = sorted((10.0**a, 10.0**b))
    assert I_code(lo) > I_code(hi)


def test_delta_a_vectorised():
    r = np.array([1e-3, 1.0, 1e3])
    out = g2.delta_a(r * M_MU, 1.0, M_MU)
    assert out.shape == (3,)
    for i in range(3):
        assert out[i] == pytest.approx(float(g2.delta_a(r[i] * M_MU, 1.0, M_MU)), rel=1e-14)


# --------------------------------------------------------------------------------------------
# delta_a_lepton
# --------------------------------------------------------------------------------------------


def test_lepton_masses_are_pdg():
    assert M_E == pytest.approx(M_E_PDG, rel=1e-8)
    assert M_MU == pytest.approx(M_MU_PDG, rel=1e-8)


@pytest.mark.parametrize("m_S", [1e-4, 1e-3, 0.1, 1.0])
def test_delta_a_lepton_consistent_with_delta_a(m_S):
    g = 3e-4
    assert g2.delta_a_lepton(m_S, g, "e") == pytest.approx(float(g2.delta_a(m_S, g, M_E_PDG)), rel=1e-7)
    assert g2.delta_a_lepton(m_S, g, "mu") == pytest.approx(float(g2.delta_a(m_S, g, M_MU_PDG)), rel=1e-7)
    assert g2.delta_a_lepton(m_S, g, "tau") == pytest.approx(float(g2.delta_a(m_S, g, M_TAU)), rel=1e-14)
    assert g2.delta_a_lepton(m_S, g) == g2.delta_a_lepton(m_S, g, "mu")  # default lepton


def test_delta_a_electron_vs_muon_physics():
    # Same coupling, m_S = 10 MeV: r_mu = 0.095 (light for the muon, I ~ 3/2 - pi r),
    # r_e = 19.6 (heavy for the electron, I ~ (ln r^2 - 7/6)/r^2 ~ 0.0139): the electron gets
    # a much smaller shift. With the coupling ratio of model A (g_e = g m_e/m_mu) it is further
    # suppressed by (m_e/m_mu)^2.
    m_S, g = 0.01, 1e-3
    e, mu = float(g2.delta_a_lepton(m_S, g, "e")), float(g2.delta_a_lepton(m_S, g, "mu"))
    assert e < mu / 50
    r_e = m_S / M_E
    assert e == pytest.approx(g**2 / (8 * math.pi**2) * (math.log(r_e**2) - 7 / 6) / r_e**2, rel=0.03)


def test_delta_a_lepton_errors():
    with pytest.raises(UnknownNameError) as exc:
        g2.delta_a_lepton(0.1, 1e-3, "nu")
    assert isinstance(exc.value, MudumpError)
    with pytest.raises(DomainError, match="mass_GeV"):
        g2.delta_a_lepton(0.0, 1e-3)
    with pytest.raises(DomainError, match="mass_GeV"):
        g2.delta_a_lepton(float("nan"), 1e-3)
    with pytest.raises(DomainError, match="coupling"):
        g2.delta_a_lepton(0.1, -1e-3)


# --------------------------------------------------------------------------------------------
# presets
# --------------------------------------------------------------------------------------------

# docs/physics.md#g2 table (Delta a_mu and its 1-sigma error, in 1e-11):
# the band of Chen, Pospelov, Zhong (arXiv:1701.07437, Fig. 4) 276 +- 80, FNAL 2021 + BNL vs WP20 251 +- 59 (PRL 126, 141801),
# FNAL 2023 + BNL vs WP20 249 +- 48 (PRL 131, 161802), FNAL final 2025 vs WP25 38 +- 63
# (arXiv:2505.21476).
PHYSICS_MD_TABLE = {
    "cpz2017": (276.0, 80.0),
    "fnal2021": (251.0, 59.0),
    "fnal2023": (249.0, 48.0),
    "wp25": (38.0, 63.0),
}


def test_default_preset_is_wp25():
    assert g2.default_preset_name() == "wp25"
    assert g2.get_preset().name == "wp25"
    assert g2.get_preset(None) is g2.get_preset("wp25")


def test_presets_values_match_physics_md():
    ps = g2.presets()
    assert set(ps) == set(PHYSICS_MD_TABLE)
    for name, (d, s) in PHYSICS_MD_TABLE.items():
        p = ps[name]
        assert p.delta_a_mu == pytest.approx(d * 1e-11, rel=1e-12)
        assert p.sigma == pytest.approx(s * 1e-11, rel=1e-12)


def test_every_preset_has_a_source_and_label():
    for p in g2.presets().values():
        assert isinstance(p.source, str) and len(p.source.strip()) > 10
        assert isinstance(p.label, str) and p.label.strip()
    assert "141801" in g2.get_preset("fnal2021").source
    assert "161802" in g2.get_preset("fnal2023").source
    assert "2505.21476" in g2.get_preset("wp25").source


def test_anomalous_flags():
    # anomalous = Delta a - 2 sigma > 0: 276-160, 251-118, 249-96 > 0; 38-126 < 0.
    assert g2.get_preset("cpz2017").anomalous
    assert g2.get_preset("fnal2021").anomalous
    assert g2.get_preset("fnal2023").anomalous
    assert not g2.get_preset("wp25").anomalous


def test_unknown_preset_raises():
    with pytest.raises(UnknownNameError) as exc:
        g2.get_preset("nope")
    assert isinstance(exc.value, MudumpError)
    with pytest.raises(UnknownNameError):
        g2.band(0.1, "nope")


# --------------------------------------------------------------------------------------------
# band
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", sorted(PHYSICS_MD_TABLE))
@pytest.mark.parametrize("m_S", [1e-3, 0.1, 1.0])
def test_band_central_reproduces_delta_a(preset, m_S):
    b = g2.band(m_S, preset)
    p = g2.get_preset(preset)
    assert b["preset"] == preset and b["anomalous"] == p.anomalous
    assert float(g2.delta_a(m_S, b["central"], M_MU)) == pytest.approx(p.delta_a_mu, rel=1e-12)
    assert float(g2.delta_a(m_S, b["hi2"], M_MU)) == pytest.approx(p.delta_a_mu + 2 * p.sigma, rel=1e-12)
    assert b["upper_limit"] == b["hi2"]
    assert b["lo1"] < b["central"] < b["hi1"] < b["hi2"]
    assert b["lo2"] <= b["lo1"]
    if p.anomalous:
        assert b["lo2"] > 0
        assert float(g2.delta_a(m_S, b["lo2"], M_MU)) == pytest.approx(p.delta_a_mu - 2 * p.sigma, rel=1e-12)


def test_band_wp25_lower_edges_are_zero():
    # wp25: 38 - 2*63 < 0 and 38 - 63 < 0, so no coupling reaches them: reported as 0.
    b = g2.band(np.array([1e-3, 0.1, 1.0]), "wp25")
    assert np.all(b["lo2"] == 0.0)
    assert np.all(b["lo1"] == 0.0)
    assert np.all(b["central"] > 0)


def test_band_fnal2021_reference_coupling():
    # docs/physics.md#reference-values: a muon-philic scalar explaining the 2021 anomaly has g_mu ~ 4e-4 at
    # small m_S. Light limit: 3 g^2/(16 pi^2) = 251e-11 -> g = sqrt(251e-11 * 16 pi^2 / 3)
    # = 3.635e-4. At m_S = 1 MeV, r = 9.46e-3 and I = 3/2 - pi r = 1.4703 (-1.98%), so
    # g = 3.635e-4 * sqrt(1.5 / 1.4703) = 3.670e-4 (code: 3.6699e-4).
    g_light = math.sqrt(251e-11 * 16 * math.pi**2 / 3)
    assert g_light == pytest.approx(3.635e-4, rel=1e-3)
    r = 1e-3 / M_MU
    g_expected = g_light * math.sqrt(1.5 / (1.5 - math.pi * r - 3 * r**2 * math.log(r)))
    c = float(g2.band(1e-3, "fnal2021")["central"])
    assert c == pytest.approx(g_expected, rel=1e-5)
    assert 4e-4 / 1.3 < c < 4e-4 * 1.3


@FAST
@given(lm=st.floats(-3.0, 0.0), preset=st.sampled_from(sorted(PHYSICS_MD_TABLE)))
def test_band_coupling_grows_with_mass(lm, preset):
    # Delta a falls with m_S at fixed g, so the coupling needed for a fixed Delta a rises.
    m = 10.0**lm
    b1 = g2.band(m, preset)["central"]
    b2 = g2.band(2 * m, preset)["central"]
    assert b2 > b1 > 0


def test_band_rejects_bad_mass():
    with pytest.raises(DomainError, match="mass_GeV"):
        g2.band(0.0)
    with pytest.raises(DomainError, match="mass_GeV"):
        g2.band(-1.0, "fnal2021")


@pytest.mark.parametrize("edge,key", [("upper", "hi2"), ("lower", "lo2")])
def test_cpz2017_band_reproduces_the_papers_band(edge, key):
    # The 2 sigma band of Chen, Pospelov, Zhong, arXiv:1701.07437, Fig. 4, as extracted from the
    # vector PDF of the arXiv source (tests/validation/README.md: log10 precision
    # 1e-4; Delta a_mu constant along each edge to +-0.3%). The preset cpz2017 must give the same
    # g_mu along the whole edge: Delta a ~ g^2, so 0.3% in Delta a is 0.15% in g; allow 0.5%.
    rows = reference_csv(f"cpz2017_fig4_gm2_2sigma_band_{edge}_edge.csv")
    m, g = rows[:, -3], rows[:, -2]
    keep = (m > 2e-3) & (m < 1.0)
    b = g2.band(m[keep], "cpz2017")
    np.testing.assert_allclose(b[key], g[keep], rtol=5e-3)


# --- (g-2)_e for models that couple to electrons --------------------------------------


def test_electron_presets_and_limits():
    """Delta a_e with alpha from Cs (Parker et al. 2018) and Rb (Morel et al. 2020) against
    a_e of Fan et al. 2023: -102(26) and +34(16) x 1e-14 (recomputed here at leading order,
    Delta a_e = a_e (1/alpha(atom) - 1/alpha(a_e)) alpha, from the inputs the preset cites)."""
    a_e, inv_ae = 1.15965218059e-3, 137.035999166
    for name, inv_atom, s_atom in (("cs2018", 137.035999046, 27e-9), ("rb2020", 137.035999206, 11e-9)):
        p = g2.get_electron_preset(name)
        assert p.delta_a_mu == pytest.approx(a_e * (inv_atom - inv_ae) / inv_ae, abs=0.6e-14)
        assert p.sigma == pytest.approx(a_e * math.hypot(s_atom, 15e-9) / inv_ae, abs=0.6e-14)
    assert g2.get_electron_preset().name == "rb2020"
    m = np.array([0.003, 0.03, 0.3])
    assert g2.electron_limit(m, get_model("B")) is None  # no electron coupling
    for preset in ("cs2018", "rb2020"):
        p = g2.get_electron_preset(preset)
        lim = g2.electron_limit(m, get_model("A"), preset)
        # at the limit the model's Delta a_e uses up exactly the room the measurement leaves
        room = g2.allowed_shift(p.delta_a_mu, p.sigma, +1)
        assert np.allclose(get_model("A").delta_a(m, lim, "e"), room, rtol=1e-10)
    # Rb: 34 + 2 x 16 = 66e-14 of room; Cs lies 3.9 sigma below the SM: 2 sigma = 52e-14
    assert g2.allowed_shift(34e-14, 16e-14, +1) == pytest.approx(66e-14)
    assert g2.allowed_shift(-102e-14, 26e-14, +1) == pytest.approx(52e-14)


@pytest.mark.parametrize("kind", ["scalar", "pseudoscalar", "vector", "axial-vector"])
@pytest.mark.parametrize("r", [1e-6, 1e-3, 0.3, 1.0, 1.9, 2.0, 2.1, 10.0, 1e3, 1e5])
def test_loop_integral_of_every_kind_against_mpmath(kind, r):
    # The composite Gauss-Legendre rule against mpmath's 30-digit tanh-sinh quadrature of the
    # same integrand (physics: g2._INTEGRANDS), split at the scales of the poles of 1/D (r near
    # z = 1, 1/r^2 near z = 0). The rule is exact to double precision there (measured ~1e-15);
    # 1e-12 leaves room for rounding in the sum. (QUADPACK, used before, was off by 1e-8 for
    # r >= 3e4: the mpmath value decided.)
    mp.mp.dps = 30
    rr = mp.mpf(r)
    r2 = rr * rr
    num = {"scalar": lambda z, t: t**2 * (1 + z), "pseudoscalar": lambda z, t: -(t**3),
           "vector": lambda z, t: 2 * z * t**2, "axial-vector": lambda z, t: -2 * z * t * (3 + z) - 4 * t**3 / r2}[kind]
    pts = {mp.mpf(0), mp.mpf(1), mp.mpf(1) / 2}
    for k in range(-2, 40):
        for c in (rr * mp.mpf(4) ** k, mp.mpf(4) ** k / r2):
            if c < mp.mpf(1) / 2:
                pts.add(c)
                pts.add(1 - c)
    ref = mp.quad(lambda z: num(z, 1 - z) / ((1 - z) ** 2 + z * r2), sorted(pts))
    assert g2._loop_integral(kind, r) == pytest.approx(float(ref), rel=1e-12)
