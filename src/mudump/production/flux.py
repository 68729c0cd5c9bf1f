"""The effective photon flux chi of a nucleus, fast enough for every cross-section grid.

chi(t_min, t_max) = int_{t_min}^{t_max} dt (t - t_min) / t^2 G2(t)
(Bjorken, Essig, Schuster, Toro, arXiv:0906.0580, eq. A17; Kim and Tsai, Phys. Rev. D 8 (1973)
3109; docs/physics.md#production), with G2 = G2_el + G2_inel of :mod:`.formfactors`.

Method: chi = [K1(t_max) - K1(t_min)] - t_min [K2(t_max) - K2(t_min)] with the cumulative
integrals K1(t) = int_0^t G2/s ds and K2(t) = int_0^t G2/s^2 ds. Both are tabulated once per
nucleus on a uniform grid in ln t (8-point Gauss-Legendre per cell, exact to rounding) and
interpolated by cubic Hermite polynomials that use their exact derivatives dK1/dln t = G2 and
dK2/dln t = G2/t; the relative interpolation error is below 1e-8 (tests/test_flux.py checks it
against adaptive quadrature). Below the grid G2 ~ c t^2 (full screening) and the integrals are
continued analytically; above it the form factor has died off.

Units: t in GeV^2; chi dimensionless.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from .formfactors import DEFAULT_FORM_FACTOR, Nucleus, check_form_factor, g2_total

#: Grid of the cumulative tables: ln t from LN_T_LO to LN_T_HI, POINTS_PER_E_FOLD per unit of ln t.
T_HI_GEV2 = 1e4
POINTS_PER_E_FOLD = 24
_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)


class PhotonFlux:
    """chi(t_min, t_max) for one nucleus (build with :func:`photon_flux`, which caches).

    Each cumulative integral is kept twice, summed from below (K(t) = int_0^t) and from above
    (K^c(t) = int_t^inf); a difference K(t_max) - K(t_min) is taken from the table in which both
    values are smaller, so that an interval far in a tail keeps its relative precision. Intervals
    shorter than ``SHORT`` in ln t, where chi = dK1 - t_min dK2 would cancel, are integrated
    directly with Gauss-Legendre instead.
    """

    SHORT = 0.5

    def __init__(self, nuc: Nucleus, form_factor: str = DEFAULT_FORM_FACTOR):
        self.nucleus = nuc
        self.form_factor = check_form_factor(form_factor)
        g2 = self._g2 = lambda t, n: g2_total(t, n, form_factor)
        # Start deep in the fully screened region, where G2 = c t^2 to better than 1e-7.
        screen = max(nuc.a_el, nuc.a_inel) ** 2
        self.ln_t0 = np.log(1e-7 / screen)
        n = int(np.ceil((np.log(T_HI_GEV2) - self.ln_t0) * POINTS_PER_E_FOLD)) + 1
        self.h = (np.log(T_HI_GEV2) - self.ln_t0) / (n - 1)
        lnt = self.ln_t0 + self.h * np.arange(n)
        # Gauss-Legendre nodes in each cell [lnt_i, lnt_i + h].
        tn = np.exp(lnt[:-1, None] + 0.5 * self.h * (1.0 + _GL_X[None, :]))
        g = g2(tn, nuc)
        w = 0.5 * self.h * _GL_W[None, :]
        t0 = np.exp(self.ln_t0)
        self._c = float(g2(t0, nuc)) / t0**2  # G2 = c t^2 below the grid
        t = np.exp(lnt)
        gt = g2(t, nuc)
        # tables[which][0 = from below, 1 = from above], their ln t derivatives, the split points
        self._k, self._dk, self._split = [], [], []
        for cells, below, deriv in (
            ((g * w).sum(1), 0.5 * self._c * t0**2, gt),  # K1: dK1/dln t = G2
            ((g / tn * w).sum(1), self._c * t0, gt / t),  # K2: dK2/dln t = G2/t
        ):
            lower = np.concatenate(([below], cells)).cumsum()
            upper = np.concatenate((cells[::-1].cumsum()[::-1], [0.0]))
            self._k.append(np.stack([lower, -upper]))  # -K^c has the same differences as K
            self._dk.append(np.stack([deriv, deriv]))
            self._split.append(t[np.argmin(np.abs(lower - upper))])
        # each cell's cubic Hermite polynomial in s = (ln t - ln t_i)/h in power form, one row of
        # 4 coefficients per (table row, cell): one gather per point instead of four
        self._poly = []
        for k, dk in zip(self._k, self._dk):
            k0, k1, d0, d1 = k[:, :-1], k[:, 1:], self.h * dk[:, :-1], self.h * dk[:, 1:]
            poly = np.stack([k0, d0, 3.0 * (k1 - k0) - 2.0 * d0 - d1, 2.0 * (k0 - k1) + d0 + d1], axis=-1)
            self._poly.append(poly.reshape(-1, 4))

    def _antiderivative(self, which: int, t, row):
        """The tabulated antiderivative (cubic Hermite in ln t) of G2/t (which=0) or G2/t^2
        (which=1) at t, from table ``row`` (0: accumulated from below, 1: minus from above)."""
        poly = self._poly[which]
        cells = poly.shape[0] // 2
        u = (np.log(np.minimum(t, T_HI_GEV2)) - self.ln_t0) / self.h
        i = np.clip(np.asarray(u).astype(np.int64), 0, cells - 1)
        s = np.clip(u - i, 0.0, 1.0)
        c = poly[i + cells * np.asarray(row)]
        val = c[..., 0] + s * (c[..., 1] + s * (c[..., 2] + s * c[..., 3]))
        # below the grid (only the lower table is ever used there): G2 = c t^2
        below = u < 0
        if not np.any(below):
            return val
        return np.where(below, 0.5 * self._c * t**2 if which == 0 else self._c * t, val)

    def _delta(self, which: int, t_lo, t_hi):
        """int_{t_lo}^{t_hi} of G2/t (which=0) or G2/t^2 (which=1), with t_lo <= t_hi. A scalar
        t_hi (the usual t_max) is evaluated once per table row instead of once per point."""
        row = (t_lo > self._split[which]).astype(np.int64)
        if np.ndim(t_hi) == 0:
            upper = np.array([self._antiderivative(which, float(t_hi), r) for r in (0, 1)])[row]
        else:
            upper = self._antiderivative(which, t_hi, row)
        return upper - self._antiderivative(which, t_lo, row)

    def _chi_direct(self, t_min, t_max):
        """chi by 8-point Gauss-Legendre in ln t (for short intervals)."""
        a, b = np.log(t_min)[..., None], np.log(t_max)[..., None]
        lt = a + 0.5 * (b - a) * (1.0 + _GL_X)
        t = np.exp(lt)
        f = (1.0 - t_min[..., None] / t) * self._g2(t, self.nucleus)
        return 0.5 * (b[..., 0] - a[..., 0]) * (f @ _GL_W)

    def chi(self, t_min, t_max):
        """The photon flux chi(t_min, t_max); zero where t_min >= t_max. Broadcasts."""
        scalar_max = np.ndim(t_max) == 0
        t_min, t_max = np.broadcast_arrays(np.asarray(t_min, dtype=float), np.asarray(t_max, dtype=float))
        t_hi = np.maximum(t_max, t_min)
        if scalar_max:  # one t_max for all points: its table values once (zero where t_min >= t_max)
            tm = float(np.asarray(t_max).flat[0]) if t_max.size else 0.0
            val = np.where(t_min < tm, self._delta(0, t_min, tm) - t_min * self._delta(1, t_min, tm), 0.0)
        else:
            val = np.asarray(self._delta(0, t_min, t_hi) - t_min * self._delta(1, t_min, t_hi), dtype=float)
        short = (t_hi < t_min * np.exp(self.SHORT)) & (t_hi > t_min)
        if short.any():
            val = val.copy() if val.ndim else val.reshape(1)
            val[short.reshape(val.shape)] = self._chi_direct(t_min[short], t_hi[short])
            val = val.reshape(t_min.shape)
        return np.clip(val, 0.0, None)


@cache
def photon_flux(nuc: Nucleus, form_factor: str = DEFAULT_FORM_FACTOR) -> PhotonFlux:
    """The (cached) photon flux of a nucleus for a form-factor parametrisation (G2_el + G2_inel)."""
    return PhotonFlux(nuc, form_factor)
