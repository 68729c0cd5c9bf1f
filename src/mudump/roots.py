"""Root of a function of one variable bracketed by a sign change: Brent's method, in pure
Python (no scipy import: ``scipy.optimize`` costs ~0.1 s of every command's start-up, for the
few dozen roots a reach scan needs).

Brent, "Algorithms for Minimization without Derivatives" (Prentice-Hall, 1973), chapter 4,
procedure ``zero``: inverse quadratic interpolation (secant when only two points are
distinct), falling back to bisection whenever the interpolated step leaves the bracket or
does not shrink it fast enough, so that it never needs more than about the square of the
bisection's evaluations and usually far fewer. It keeps the bracket [b, c] with |f(b)| <=
|f(c)| and stops when half its width is within ``(xtol + rtol |b|) / 2``, the tolerance of
``scipy.optimize.brentq`` (the same arguments, the same answer to that tolerance; compared in
tests/test_roots.py).
"""

from __future__ import annotations

import math
from typing import Callable

from .errors import MudumpError

#: Evaluations after which the search gives up (a continuous function needs a few dozen).
MAX_ITERATIONS = 200


def brent_root(f: Callable[[float], float], a: float, b: float, xtol: float = 2e-12, rtol: float = 8.9e-16,
               fa: float | None = None, fb: float | None = None) -> float:
    """The x in [a, b] where ``f`` changes sign (a root of a continuous ``f``), to within
    ``xtol + rtol |x|``; f(a) and f(b) must not have the same sign (ValueError otherwise).
    ``fa``, ``fb``: f(a) and f(b) when the caller has them already (not evaluated again)."""
    a, b = float(a), float(b)
    fa = float(f(a)) if fa is None else float(fa)
    fb = float(f(b)) if fb is None else float(fb)
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    if (fa > 0.0) == (fb > 0.0):
        raise ValueError(f"f({a:g}) = {fa:g} and f({b:g}) = {fb:g} have the same sign: no bracketed root")
    c, fc = a, fa
    d = e = b - a
    for _ in range(MAX_ITERATIONS):
        if (fb > 0.0) == (fc > 0.0):  # the root is between a and b: c takes a's place
            c, fc = a, fa
            d = e = b - a
        if abs(fc) < abs(fb):  # b is the best estimate so far
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol = 0.5 * (xtol + rtol * abs(b))
        m = 0.5 * (c - b)
        if fb == 0.0 or abs(m) <= tol:
            return b
        if abs(e) < tol or abs(fa) <= abs(fb):  # the last step was too small: bisect
            d = e = m
        else:
            s = fb / fa
            if a == c:  # two distinct points: secant
                p, q = 2.0 * m * s, 1.0 - s
            else:  # inverse quadratic interpolation through a, b, c
                q, r = fa / fc, fb / fc
                p = s * (2.0 * m * q * (q - r) - (b - a) * (r - 1.0))
                q = (q - 1.0) * (r - 1.0) * (s - 1.0)
            if p > 0.0:
                q = -q
            else:
                p = -p
            if 2.0 * p < min(3.0 * m * q - abs(tol * q), abs(e * q)):  # accept the interpolation
                e, d = d, p / q
            else:
                d = e = m
        a, fa = b, fb
        b += d if abs(d) > tol else math.copysign(tol, m)
        fb = float(f(b))
    raise MudumpError(f"internal: no root found in {MAX_ITERATIONS} steps of Brent's method; please report this")


__all__ = ["brent_root"]
