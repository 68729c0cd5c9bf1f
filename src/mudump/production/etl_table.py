"""Exact tree level, fast: the ratio R = ETL/WW tabulated once per (nucleus, lepton, form factor).

The phase-space WW (:mod:`.ww`) is fast and exact for what it is; the exact tree-level result
(:mod:`.etl`) differs from it by a smooth factor, a few percent at high energy and up to ~20%
at a few GeV (docs/physics.md#production). So mudump tabulates R(m_S, E, x) = ETL/WW on a grid and
evaluates ETL as WW x R, R interpolated in the grid variables

    ln m_S,   eps = ln(E / (m_S + m_l)),   v in (0, 1),

v being the position of x in the same two-region variable as the x quadrature of
:mod:`mudump.production` (x = x_lo cosh w below x_m, -ln(1-x) above), so the grid follows the
threshold and the end point. In these variables R is smooth enough for cubic interpolation:
a bicubic spline in (eps, v) on each mass slice and local cubic (4-node Lagrange) interpolation
in ln m_S; in v the spline is split at v = 0.5, where x(v) has a kink. Interpolation error (measured against direct ETL by tests/test_etl.py): below 0.1%
on dsigma/dx integrated over x for E > 4.5 (m_S + m_l) with the default (tsai) form factor,
including heavy S at a few GeV (m_S = 0.5 GeV at 3 GeV in W: 5e-5; worst of 45 random points
in W, Pb, Al: 7e-4), and about 1% point by point where the spectrum matters; with the Helm form
factor up to 1.3e-3 for m_S ~ 0.5 GeV at 3 GeV, where the momentum transfer reaches its first
zero;
within 2 (m_S + m_l) of threshold, where the cross section is tiny and R itself changes by
factors of a few, up to several percent. Outside the grid the nearest grid value is used
(R is flat there: R -> 1 at high energy).

What R depends on. The charge enters G2_el as Z^2 and cancels in R; what is left
depends on the nucleus through the screening and nuclear-size scales of the form factor, the
recoil mass and the inelastic/elastic weight (~1/Z). That is not universal at the accuracy
wanted: near the ends of the x range, where WW's photon flux is least accurate, the shipped
tables differ by 3% between W and Pb (Z = 74, 82) and by up to 15-20% between Fe and Cu
(Z = 26, 29), so tables are not shared or interpolated between nuclei. Instead a table that is
not shipped is computed lazily, one mass slice at a time: because the interpolation in ln m_S
is local, a query at one mass needs only the 4 slices around it (a cold ``mudump xsec`` at one
mass computes 4 of the 38 slices, a few seconds), and each computed slice is cached in its own
file. The ETL integrand is evaluated in chunks of points (peak RSS ~140 MB instead of 1.6 GB, and
faster because the arrays stay in cache) with the quadrature rules of :mod:`.etl`.

Tables are looked up in memory, then in the package (``mudump/data/etl``: shipped for the
elements of the preset materials, built by scripts/build_etl_tables.py), then in the user cache
(one entry per mass slice), and otherwise computed slice by slice when a query needs them
(reported through :mod:`mudump.progress`) and stored in the cache. The file names are a hash of
every input (nucleus, lepton mass, form factor, grid, integration settings, version), so a change
in any of them never reuses a stale table; cache entries also store those inputs, checked on read
with the shape and finiteness of the slice (:mod:`mudump.cache`): a damaged or stale entry is
reported, removed and recomputed.

Units: GeV.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources

import numpy as np

from .. import cache
from ..progress import task
from . import etl, ww
from .flux import photon_flux
from .formfactors import DEFAULT_FORM_FACTOR, Nucleus
from ..kinds import DEFAULT_KIND, check_kind
from .kinematics import x_range

TABLE_VERSION = 3
_LN_M_BASE = np.linspace(np.log(5e-4), np.log(6.0), 29)
# Between 0.1 and 2 GeV the momentum transfer at a few GeV reaches the nuclear scale, where the
# form factor (Helm's first zero) makes R change faster with m_S: the grid is twice as dense
# there (measured, W with Helm, m_S = 0.5 GeV at 3 GeV: x-integrated error 3.5e-3 -> below 1e-3).
_LN_M_MID = 0.5 * (_LN_M_BASE[1:] + _LN_M_BASE[:-1])
GRID_LN_M = np.sort(np.concatenate([_LN_M_BASE, _LN_M_MID[(_LN_M_MID > np.log(0.1)) & (_LN_M_MID < np.log(2.2))]]))
GRID_EPS = np.array(
    [0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.65, 0.8, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 4.0, 5.5, 7.0, 9.0, 11.5,
     14.0]
)
_NV = 25  # odd: v = 0.5, where the two regions of x(v) meet, is the middle node
GRID_V = 0.5 * (1.0 - np.cos(np.pi * (np.arange(_NV) + 0.5) / _NV))


def x_regions(E, m_S, m_l):
    """x_lo, x_hi and the split x_m: 0.5 when it lies inside, else the midpoint (never an end)."""
    lo, hi = x_range(E, m_S, m_l)
    x_m = np.where((lo < 0.5) & (hi > 0.5), 0.5, 0.5 * (lo + hi))
    return lo, hi, x_m


def x_of_v(v, E, m_S, m_l):
    """x at position v in (0, 1) of the two-region variable (see the module docstring)."""
    lo, hi, x_m = x_regions(E, m_S, m_l)
    w = 2.0 * v * np.arccosh(x_m / lo)
    y_lo, y_hi = -np.log1p(-x_m), -np.log1p(-hi)
    y = y_lo + (2.0 * v - 1.0) * (y_hi - y_lo)
    return np.where(v < 0.5, lo * np.cosh(w), -np.expm1(-y))


def v_of_x(x, E, m_S, m_l):
    """Inverse of :func:`x_of_v`."""
    lo, hi, x_m = x_regions(E, m_S, m_l)
    below = x < x_m
    a = np.arccosh(np.clip(x / lo, 1.0, None)) / np.maximum(np.arccosh(x_m / lo), 1e-300)
    y_lo, y_hi = -np.log1p(-x_m), -np.log1p(-hi)
    b = (-np.log1p(-np.minimum(x, hi)) - y_lo) / np.maximum(y_hi - y_lo, 1e-300)
    return np.where(below, 0.5 * a, 0.5 + 0.5 * b)


def _inputs(nuc: Nucleus, m_l: float, form_factor: str, kind: str = DEFAULT_KIND) -> dict:
    doc = {
        "v": TABLE_VERSION,
        "Z": nuc.Z,
        "A": repr(nuc.A),
        "m_l": repr(float(m_l)),
        "ff": form_factor,
        "grid": [GRID_LN_M.tolist(), GRID_EPS.tolist(), GRID_V.tolist()],
        "etl": [etl.NODES_THETA, list(etl.NODES_T), etl.NODES_PHI, etl.T_CUT_GEV2],
        "ww": ww.ANGLE_NODES,
    }
    if kind != DEFAULT_KIND:  # the scalar's key (and the shipped tables' names) as before kinds existed
        doc["kind"] = kind
    return doc


def _key(nuc: Nucleus, m_l: float, form_factor: str, kind: str = DEFAULT_KIND) -> str:
    """The file name of a table: a hash of every input (also the shipped tables' names); the
    kind of X is in the name unless it is the scalar."""
    doc = _inputs(nuc, m_l, form_factor, kind)
    tag = "" if kind == DEFAULT_KIND else f"{kind}-"
    return f"etl-{nuc.symbol}-{form_factor}-{tag}" + hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:24]


def compute_ratio(
    nuc: Nucleus, m_l: float, form_factor: str = DEFAULT_FORM_FACTOR, progress=None, slices=None,
    kind: str = DEFAULT_KIND,
) -> np.ndarray:
    """R = ETL/WW on the grid for X of ``kind``, shape (len(GRID_LN_M), len(GRID_EPS), len(GRID_V)); with
    ``slices`` (indices into GRID_LN_M) only those mass slices are computed (the others are NaN).
    ``progress(done, total)`` is called after each slice."""
    flux = photon_flux(nuc, form_factor)
    out = np.full((GRID_LN_M.size, GRID_EPS.size, GRID_V.size), np.nan)
    todo = range(GRID_LN_M.size) if slices is None else sorted(set(int(i) for i in slices))
    for n, i in enumerate(todo):
        m_S = float(np.exp(GRID_LN_M[i]))
        E = (m_S + m_l) * np.exp(GRID_EPS)[:, None]
        x = x_of_v(GRID_V[None, :], E, m_S, m_l)
        num = etl.dsigma_dx(E, x, m_S, nuc, m_l, 1.0, form_factor, kind=kind)
        den = ww.dsigma_dx(E, x, m_S, flux, m_l, kind=kind)
        out[i] = np.where(den > 0, num / np.where(den > 0, den, 1.0), 1.0)
        if progress is not None:
            progress(n + 1, len(todo))
    return out


def _lagrange_stencil(lm):
    """Local cubic interpolation in ln m: the first of the 4 nearest grid nodes (3 at an edge
    would lose order, so the stencil is shifted inwards) and the 4 Lagrange weights."""
    n = GRID_LN_M.size
    j = np.clip(np.searchsorted(GRID_LN_M, lm) - 2, 0, n - 4)
    nodes = GRID_LN_M[j[..., None] + np.arange(4)]
    w = np.ones(lm.shape + (4,))
    for a in range(4):
        for b in range(4):
            if a != b:
                w[..., a] *= (lm - nodes[..., b]) / (nodes[..., a] - nodes[..., b])
    return j, w


class RatioTable:
    """R(m_S, E, x) = ETL/WW for one nucleus, lepton and form factor.

    Interpolation: a bicubic interpolating spline in (eps, v) on each mass slice, and local
    cubic Lagrange interpolation in ln m_S between the 4 nearest slices. Being local in m_S, a
    query needs only the slices around its masses: a table that is not shipped is filled slice
    by slice, on demand (``fill(indices)`` returns them), so a cold ``mudump xsec`` at one mass
    computes 4 of the 15 slices."""

    def __init__(self, values: np.ndarray, m_l: float, fill=None):
        self.values = np.array(values, dtype=float)
        self.m_l = m_l
        self._fill = fill
        self._splines: dict[int, tuple] = {}

    def missing(self, indices=None) -> list[int]:
        """Mass-slice indices not yet computed (among ``indices``, default all)."""
        idx = range(GRID_LN_M.size) if indices is None else indices
        return [int(i) for i in idx if np.isnan(self.values[i]).any()]

    def ensure(self, indices=None) -> None:
        """Compute the missing slices among ``indices`` (default: all)."""
        todo = self.missing(indices)
        if todo:
            if self._fill is None:
                raise RuntimeError("incomplete ETL ratio table without a way to fill it")
            new = self._fill(todo)
            for i in todo:
                self.values[i] = new[i]

    def _spline(self, i: int):
        """Bicubic splines of slice i: one for v <= 0.5 and one for v >= 0.5 (x(v) has a kink
        at v = 0.5, where its two regions meet, so R(v) has one too: a spline across it would
        converge only as h^2; v = 0.5 is a grid node, shared by both)."""
        if i not in self._splines:
            from scipy.interpolate import RectBivariateSpline  # here: importing it costs ~0.3 s

            h = _NV // 2
            self._splines[i] = (
                RectBivariateSpline(GRID_EPS, GRID_V[: h + 1], self.values[i][:, : h + 1], kx=3, ky=3, s=0),
                RectBivariateSpline(GRID_EPS, GRID_V[h:], self.values[i][:, h:], kx=3, ky=3, s=0),
            )
        return self._splines[i]

    def _eval_slice(self, i: int, eps, v):
        lo, hi = self._spline(i)
        below = v < GRID_V[_NV // 2]
        out = np.empty(v.shape)
        out[below] = lo.ev(eps[below], v[below])
        out[~below] = hi.ev(eps[~below], v[~below])
        return out

    def __call__(self, E, x, m_S):
        E, x, m_S = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (E, x, m_S)))
        lm = np.clip(np.log(m_S), GRID_LN_M[0], GRID_LN_M[-1]).ravel()
        eps = np.clip(np.log(E / (m_S + self.m_l)), GRID_EPS[0], GRID_EPS[-1]).ravel()
        v = np.clip(v_of_x(x, E, m_S, self.m_l), GRID_V[0], GRID_V[-1]).ravel()
        j, w = _lagrange_stencil(lm)
        need = np.unique(j[:, None] + np.arange(4))
        self.ensure(need)
        out = np.zeros(lm.shape)
        for i in need:
            a = i - j  # position of slice i in each point's stencil
            use = (a >= 0) & (a < 4)
            out[use] += w[use, a[use]] * self._eval_slice(int(i), eps[use], v[use])
        return out.reshape(E.shape)


def _spec():
    """What a table file must hold (:func:`mudump.cache.load`)."""
    return {"ratio": (GRID_LN_M.size, GRID_EPS.size, GRID_V.size)}


def _shipped(name: str):
    """The shipped table of that name (checked like a cache entry; no key inside), or None."""
    try:
        f = resources.files("mudump.data").joinpath("etl", name + ".npz")
        if not f.is_file():
            return None
        with resources.as_file(f) as path:
            data = cache.load(path, None, _spec())
    except (FileNotFoundError, ModuleNotFoundError):
        return None
    return None if data is None else data["ratio"].astype(np.float64)  # shipped as float32 (6e-8 relative)


@lru_cache(maxsize=64)
def _table(nuc: Nucleus, m_l: float, form_factor: str, kind: str = DEFAULT_KIND) -> RatioTable:
    name = _key(nuc, m_l, form_factor, kind)
    full = (GRID_LN_M.size, GRID_EPS.size, GRID_V.size)
    values = _shipped(name)
    if values is not None and values.shape == full:
        return RatioTable(values, m_l)
    inputs = _inputs(nuc, m_l, form_factor, kind)
    folder = cache.subdir("etl")
    spec = {"ratio": full[1:]}

    def entry(i):
        return folder / f"{name}-m{i:02d}.npz", cache.key_text({**inputs, "slice": int(i)})

    values = np.full(full, np.nan)
    for i in range(full[0]):
        path, key = entry(i)
        if path.is_file():
            data = cache.load(path, key, spec)
            if data is not None:
                values[i] = data["ratio"]
    table = RatioTable(values, m_l)

    def fill(indices):
        what = form_factor if kind == DEFAULT_KIND else f"{form_factor}, {kind}"
        label = f"ETL/WW ratio table for {nuc.symbol} ({what}): {len(indices)} of {full[0]} mass slices, computed once"
        with task(label, total=len(indices)) as t:
            def report(done, total):
                t.update(done, total)
                if table.progress is not None:
                    table.progress(done, total)

            new = compute_ratio(nuc, m_l, form_factor, progress=report, slices=indices, kind=kind)
        for i in indices:  # one cache entry per mass slice
            path, key = entry(i)
            cache.save(path, key, {"ratio": new[i]}, compress=True)
        return new

    table._fill = fill
    table.progress = None
    return table


def ratio_table(
    nuc: Nucleus, m_l: float, form_factor: str = DEFAULT_FORM_FACTOR, progress=None, kind: str = DEFAULT_KIND
) -> RatioTable:
    """The ETL/WW ratio table for X of ``kind``: shipped, cached, or computed and cached (see
    module docstring).
    Slices that are not there yet are computed when a query needs them, calling
    ``progress(done, total)`` (if given) after each; ``table.ensure()`` fills the whole table."""
    table = _table(nuc, float(m_l), form_factor, check_kind(kind))
    table.progress = progress  # for the slices this caller's queries compute (None: silent)
    return table


def dsigma_dx(E, x, m_S, flux, m_l, g=1.0, kind: str = DEFAULT_KIND):
    """ETL dsigma/dx in GeV^-2 (WW times the tabulated ETL/WW ratio) for X of ``kind``;
    signature of the WW and IWW kernels, the nucleus and form factor taken from ``flux``."""
    kind = check_kind(kind)
    table = ratio_table(flux.nucleus, float(m_l), flux.form_factor, kind=kind)
    return ww.dsigma_dx(E, x, m_S, flux, m_l, g, kind=kind) * table(E, x, m_S)
