"""The fast photon flux chi(t_min, t_max) against adaptive quadrature of its definition."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mudump.production.flux import photon_flux
from mudump.production.formfactors import g2_elastic, g2_inelastic, nucleus

from .helpers import chi_quad

CASES = [
    (1e-14, 0.0112),  # deep in the screened region (IWW at high energy)
    (1e-9, 0.0112),
    (1e-6, 0.02),
    (1e-4, 0.0112),
    (3e-3, 0.0112),  # above the screening scale: typical muon-beam t_min
    (0.011, 0.0112),  # short interval next to t_max (where K1 - t K2 would cancel)
    (0.5, 1.0),  # far in the nuclear tail
    (0.99, 1.0),
    (1e-20, 1e-16),  # below the tabulated grid
    (5.0, 30.0),
]


@pytest.mark.parametrize("symbol", ["H", "Al", "W", "Pb"])
@pytest.mark.parametrize("t_min,t_max", CASES)
def test_chi_matches_quadrature(symbol, t_min, t_max):
    nuc = nucleus(symbol)
    fast = float(photon_flux(nuc).chi(t_min, t_max))
    ref = chi_quad(t_min, t_max, nuc)
    assert fast == pytest.approx(ref, rel=1e-5)


def test_chi_zero_when_tmin_above_tmax():
    F = photon_flux(nucleus("W"))
    assert float(F.chi(0.02, 0.0112)) == 0.0
    assert float(F.chi(0.0112, 0.0112)) == 0.0


@settings(max_examples=60, deadline=None)
@given(st.floats(-18, 0), st.floats(0.0, 3.0))
def test_chi_positive_and_decreasing_in_tmin(log_tmin, log_span):
    F = photon_flux(nucleus("Pb"))
    t_min = 10.0**log_tmin
    t_max = t_min * 10**log_span + 1e-30
    a = F.chi(t_min, t_max)
    b = F.chi(t_min * 1.01, t_max)
    assert np.isfinite(a) and a >= 0.0
    assert b <= a * (1 + 1e-9)


def test_form_factor_limits():
    """G2_el -> Z^2 between the screening and nuclear scales; G2 ~ t^2 below screening."""
    nuc = nucleus("W")
    t = np.sqrt(1 / nuc.a_el**2 * nuc.d)  # geometric middle of the coherent plateau
    assert g2_elastic(t, nuc) == pytest.approx(nuc.Z**2, rel=0.02)
    small = 1e-6 / nuc.a_inel**2
    assert g2_elastic(2 * small, nuc) / g2_elastic(small, nuc) == pytest.approx(4.0, rel=1e-4)
    # inelastic: Z protons, far smaller than the coherent Z^2 at the plateau
    assert g2_inelastic(t, nuc) < nuc.Z
