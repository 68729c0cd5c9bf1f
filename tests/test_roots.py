"""Brent's method (mudump.roots) against scipy.optimize.brentq, which implements the same
method (Brent 1973, chapter 4) with the same tolerance rule: the roots must agree to that
tolerance, on smooth, steep, flat and reversed brackets."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from mudump.roots import brent_root

CASES = [
    (lambda x: x**3 - 2.0 * x - 5.0, 2.0, 3.0),  # Wallis's cubic, root 2.0945514815...
    (lambda x: math.cos(x) - x, 0.0, 1.0),
    (lambda x: math.exp(x) - 1e6, 0.0, 30.0),  # steep
    (lambda x: (x - 0.3) ** 5, 0.0, 1.0),  # flat at the root (fifth-order zero)
    (lambda x: math.log(x) - math.log(2.3), 1e-3, 1e3),
    (lambda x: 1.0 - x, 3.0, -1.0),  # a bracket given in decreasing order
    (lambda x: math.tanh(50.0 * (x - 0.123)), -1.0, 1.0),  # nearly a step
]


@pytest.mark.parametrize("f, a, b", CASES)
@pytest.mark.parametrize("xtol, rtol", [(1e-10, 1e-10), (1e-12, 1e-12), (2e-12, 8.9e-16)])
def test_agrees_with_scipy_to_the_tolerance(f, a, b, xtol, rtol):
    ours = brent_root(f, a, b, xtol=xtol, rtol=rtol)
    ref = brentq(f, min(a, b), max(a, b), xtol=xtol, rtol=rtol, maxiter=1000)
    # each is within xtol + rtol |x| of the true root (the tolerance both stop at)
    assert abs(ours - ref) <= 2.0 * (xtol + rtol * abs(ref))
    assert min(a, b) <= ours <= max(a, b)


def test_known_root_to_the_tolerance():
    # sqrt(2) as the root of x^2 - 2: the stopping rule guarantees |x - root| <= xtol + rtol |x|
    x = brent_root(lambda x: x * x - 2.0, 0.0, 2.0, xtol=1e-14, rtol=1e-15)
    assert abs(x - math.sqrt(2.0)) <= 1e-14 + 1e-15 * math.sqrt(2.0)


def test_endpoint_root_and_no_sign_change():
    assert brent_root(lambda x: x - 1.0, 1.0, 2.0) == 1.0
    assert brent_root(lambda x: x - 2.0, 1.0, 2.0) == 2.0
    with pytest.raises(ValueError, match="same sign"):
        brent_root(lambda x: x * x + 1.0, -1.0, 1.0)


def test_few_evaluations_on_a_smooth_function():
    # interpolation, not bisection: a smooth root to 1e-12 in far fewer than the ~40 halvings
    calls = []

    def f(x):
        calls.append(x)
        return np.log(x) - 1.0

    brent_root(f, 1.0, 10.0, xtol=1e-12, rtol=1e-12)
    assert len(calls) < 15


def test_known_end_values_are_not_evaluated_again():
    calls = []

    def f(x):
        calls.append(x)
        return x * x - 2.0

    x = brent_root(f, 0.0, 2.0, xtol=1e-12, rtol=1e-12, fa=-2.0, fb=2.0)
    assert 0.0 not in calls and 2.0 not in calls
    assert x == pytest.approx(math.sqrt(2.0), abs=2e-12)
