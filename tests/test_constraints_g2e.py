"""(g-2)_e of the L_mu - L_tau boson with its mixing inside the electron's vertex loop
(mudump.constraints.g2e_mixing), against analytic limits and the library's q^2 = m_X^2 value."""

import numpy as np
import pytest

from mudump.constants import ALPHA, M_E, M_MU, M_TAU
from mudump.constraints import g2e_mixing as G
from mudump.models import get_model

E2 = 4 * np.pi * ALPHA


def test_mixing_at_zero_momentum():
    """eps(0)/g' = e ln(m_tau^2/m_mu^2) / (12 pi^2) (the y integral done by hand: int y(1-y) = 1/6)."""
    want = np.sqrt(E2) * np.log(M_TAU**2 / M_MU**2) / (12 * np.pi**2)
    assert G.spacelike_mixing(0.0) == pytest.approx(want, rel=1e-12)
    assert 1 / want == pytest.approx(69.29, abs=0.01)
    # it falls with Q^2 and vanishes far above m_tau^2 (the two logarithms become equal)
    eps = G.spacelike_mixing([0.0, 0.1, 1.0, 1e6])
    assert np.all(np.diff(eps) < 0) and eps[-1] < 1e-4 * eps[0]


def test_zero_momentum_choice_reproduces_the_library():
    """With eps at q^2 = 0 (the library's choice, mudump.models.Model.delta_a) the Euclidean x
    integral gives mudump.models' Delta a_e (the same one-loop vector formula): to 1e-6, the
    quadrature's accuracy; the q^2 = m_X^2 choice differs from it by tens of percent at 1 GeV."""
    m = np.array([0.001, 0.05, 0.2, 1.0])
    lib = np.array([float(get_model("lmu-ltau").delta_a(mm, 1.0, "e")) for mm in m])
    assert G.delta_a_e(m, 1.0, "zero") == pytest.approx(lib, rel=1e-6)
    assert abs(G.delta_a_e(1.0, 1.0, "timelike") / lib[-1] - 1) > 0.1


def test_constant_coupling_limits():
    """eps fixed at q^2 = 0: Delta a_e -> e^2 eps^2 / (8 pi^2) for M << m_e (Schwinger's
    alpha/2pi with e eps) and e^2 eps^2 m_e^2 / (12 pi^2 M^2) for M >> m_e; 1e-3 allowed (the
    next terms are of order M/m_e and m_e^2/M^2 ln)."""
    eps2 = float(G.spacelike_mixing(0.0)) ** 2
    assert G.delta_a_e(1e-7, 1.0, "zero") == pytest.approx(E2 * eps2 / (8 * np.pi**2), rel=1e-3)
    assert G.delta_a_e(1.0, 1.0, "zero") == pytest.approx(E2 * eps2 * M_E**2 / (12 * np.pi**2), rel=1e-3)


def test_inside_the_loop_is_the_zero_momentum_value():
    """The loop exchanges Q^2 ~ m_e^2 where its weight lies, so eps inside the loop gives eps(0)'s
    Delta a_e to 2e-4 up to 1 GeV, and not the q^2 = m_X^2 one: 0.63 of it at 200 MeV, 1.79
    times it at 1 GeV (docs/constraints.md)."""
    m = np.array([0.001, 0.01, 0.1, 0.2, 0.5, 1.0])
    loop = G.delta_a_e(m, 1.0, "loop")
    assert loop == pytest.approx(G.delta_a_e(m, 1.0, "zero"), rel=2e-4)
    ratio = loop / G.delta_a_e(m, 1.0, "timelike")
    assert ratio[3] == pytest.approx(0.631, abs=0.002) and ratio[5] == pytest.approx(1.789, abs=0.003)
    with pytest.raises(ValueError, match="allowed loop, zero, timelike"):
        G.delta_a_e(0.1, 1.0, "other")
