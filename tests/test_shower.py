"""The beam electron in a thick target (mudump.shower): Tsai's energy distribution and the
track length, against limits derived from the formula (module docstring) and computed here
independently with scipy's incomplete gamma function and adaptive quadrature."""

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import gammaincc

from mudump import shower
from mudump.errors import DomainError

B = shower.TSAI_B


@pytest.mark.parametrize("t", [0.8, 2.0, 6.0])
def test_energy_distribution_is_normalised_and_its_mean(t):
    """int I_e dE = 1 and int E I_e dE = E0 2^(-bt) (substituting E = E0 e^-y both are Gamma
    integrals). quad's accuracy here is ~1e-8; 1e-6 allowed."""
    E0 = 20.0
    norm = quad(lambda y: E0 * np.exp(-y) * shower.electron_energy_distribution(E0, E0 * np.exp(-y), t), 0, np.inf)[0]
    mean = quad(lambda y: E0**2 * np.exp(-2 * y) * shower.electron_energy_distribution(E0, E0 * np.exp(-y), t),
                0, np.inf)[0]
    assert norm == pytest.approx(1.0, rel=1e-6)
    assert mean == pytest.approx(E0 * 2.0 ** (-B * t), rel=1e-6)


@pytest.mark.parametrize("T", [0.5, 3.0, 30.0])
def test_track_length_below_half_the_beam_energy(T):
    """The integral of dl/dE over E < E0/2 is X0/b int_0^bT ds Q(s, ln 2) (Q: the regularised
    upper incomplete gamma function, from int_c^inf dy e^-y y^(s-1)/Gamma(s) = Q(s, c)), and of
    E dl/dE is X0 E0/b int ds 2^-s Q(s, 2 ln 2). The E < E0/2 cut avoids the integrable
    singularity at E -> E0 (electrons that have not radiated yet). Allowed: 1e-5 (the fixed
    64-point rule per unit of s against quad)."""
    E0, X0 = 10.0, 0.089  # X0 of aluminium, 8.9 cm (PDG)
    f = lambda y: E0 * np.exp(-y) * shower.track_length_spectrum(E0, E0 * np.exp(-y), T, X0)  # noqa: E731
    length = quad(f, np.log(2), np.inf, limit=200)[0]
    energy = quad(lambda y: E0 * np.exp(-y) * f(y), np.log(2), np.inf, limit=200)[0]
    want_len = X0 / B * quad(lambda s: gammaincc(s, np.log(2)), 0, B * T, limit=200)[0]
    want_en = X0 * E0 / B * quad(lambda s: 2.0**-s * gammaincc(s, 2 * np.log(2)), 0, B * T, limit=200)[0]
    assert length == pytest.approx(want_len, rel=1e-5)
    assert energy == pytest.approx(want_en, rel=1e-5)
    # and the whole target: the track length of all energies is T X0 (the primary crosses it)
    assert length < T * X0


def test_thick_target_limit_is_one_over_E():
    """Far below E0 in a thick target, dl/dE -> X0/(bE); at y = ln(E0/E) = 10 the sum-integral
    difference (module docstring) is 3e-7 relative; at y = 2.3 it is 0.4%."""
    E0, X0 = 20.0, 0.089
    E = E0 * np.exp(-10.0)
    assert shower.track_length_spectrum(E0, E, 500.0, X0) == pytest.approx(shower.thick_target_limit(E0, E, X0),
                                                                           rel=1e-5)
    E = E0 / 10.0
    ratio = shower.track_length_spectrum(E0, E, 500.0, X0) / shower.thick_target_limit(E0, E, X0)
    assert 1.001 < ratio < 1.01


def test_zero_above_the_beam_energy_and_bad_input():
    assert shower.track_length_spectrum(10.0, [10.0, 12.0], 5.0, 0.1).tolist() == [0.0, 0.0]
    assert shower.electron_energy_distribution(10.0, [0.0, 11.0], 1.0).tolist() == [0.0, 0.0]
    with pytest.raises(DomainError, match="thickness_X0 = -1 is not allowed"):
        shower.track_length_spectrum(10.0, 1.0, -1.0, 0.1)
    with pytest.raises(DomainError, match="beam_energy_GeV"):
        shower.electron_energy_distribution(np.nan, 1.0, 1.0)


def test_track_length_near_the_beam_energy():
    """The singular part above E0 exp(-c) plus the smooth part below it is the whole target,
    T X0 (the regularised incomplete gamma functions P + Q = 1), and for c -> inf it is T X0
    itself. The smooth part by quad as in test_track_length_below_half_the_beam_energy."""
    E0, X0, T = 10.0, 0.089, 3.0
    c = np.log(2.0)
    below = quad(lambda y: E0 * np.exp(-y) * shower.track_length_spectrum(E0, E0 * np.exp(-y), T, X0), c, np.inf,
                 limit=200)[0]
    assert shower.track_length_near_beam(E0, c, T, X0) + below == pytest.approx(T * X0, rel=1e-5)
    assert shower.track_length_near_beam(E0, 200.0, T, X0) == pytest.approx(T * X0, rel=1e-6)
