"""Exact tree level, fast: the ratio R = ETL/WW tabulated once per (nucleus, lepton, form factor).

The phase-space WW (:mod:`.ww`) is fast and exact for what it is; the exact tree-level result
(:mod:`.etl`) differs from it by a smooth factor, a few percent at high energy and up to ~20%
at a few GeV (physics.md section 4). So mudump tabulates R(m_S, E, x) = ETL/WW on a grid and
evaluates ETL as WW x R, R interpolated (multilinear) in the grid variables

    ln m_S,   eps = ln(E / (m_S + m_l)),   v in (0, 1),

v being the position of x in the same two-region variable as the x quadrature of
:mod:`mudump.production` (x = x_lo cosh w below x_m, -ln(1-x) above), so the grid follows the
threshold and the end point. Interpolation error (measured against direct ETL at random
points by tests/test_etl.py): below 0.1% on dsigma/dx integrated over x and about 1% point by
point for E > 4.5 (m_S + m_l); within 2 (m_S + m_l) of threshold, where the cross section is
tiny and R itself changes by factors of a few, up to several percent. Outside the grid the
nearest grid value is used (R is flat there: R -> 1 at high energy).

Tables are looked up in memory, then in the package (``mudump/data/etl``: shipped for the
elements of the preset materials, built by scripts/build_etl_tables.py), then in the user cache,
and otherwise computed (about 40 s per nucleus, reported through :mod:`mudump.progress`) and
stored in the cache. The file name is a hash of every input (nucleus, lepton mass, form factor,
grid, integration settings, version), so a change in any of them never reuses a stale table;
cache entries also store those inputs, checked on read with the shape and finiteness of the
table (:mod:`mudump.cache`): a damaged or stale entry is reported, removed and recomputed.

Units: GeV.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources

import numpy as np
from scipy.interpolate import RegularGridInterpolator

from .. import cache
from ..progress import task
from . import etl, ww
from .flux import photon_flux
from .formfactors import DEFAULT_FORM_FACTOR, Nucleus
from .kinds import DEFAULT_KIND, check_kind
from .kinematics import x_range

TABLE_VERSION = 2
GRID_LN_M = np.linspace(np.log(5e-4), np.log(6.0), 15)
GRID_EPS = np.array(
    [0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.65, 0.8, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.5, 7.0, 9.0, 11.5, 14.0]
)
_NV = 25
GRID_V = 0.5 * (1.0 - np.cos(np.pi * (np.arange(_NV) + 0.5) / _NV))


def _regions(E, m_S, m_l):
    """x_lo, x_hi and the split x_m: 0.5 when it lies inside, else the midpoint (never an end)."""
    lo, hi = x_range(E, m_S, m_l)
    x_m = np.where((lo < 0.5) & (hi > 0.5), 0.5, 0.5 * (lo + hi))
    return lo, hi, x_m


def x_of_v(v, E, m_S, m_l):
    """x at position v in (0, 1) of the two-region variable (see the module docstring)."""
    lo, hi, x_m = _regions(E, m_S, m_l)
    w = 2.0 * v * np.arccosh(x_m / lo)
    y_lo, y_hi = -np.log1p(-x_m), -np.log1p(-hi)
    y = y_lo + (2.0 * v - 1.0) * (y_hi - y_lo)
    return np.where(v < 0.5, lo * np.cosh(w), -np.expm1(-y))


def v_of_x(x, E, m_S, m_l):
    """Inverse of :func:`x_of_v`."""
    lo, hi, x_m = _regions(E, m_S, m_l)
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
    nuc: Nucleus, m_l: float, form_factor: str = DEFAULT_FORM_FACTOR, progress=None, kind: str = DEFAULT_KIND
) -> np.ndarray:
    """R = ETL/WW on the grid, shape (len(GRID_LN_M), len(GRID_EPS), len(GRID_V)), for X of ``kind``."""
    flux = photon_flux(nuc, form_factor)
    out = np.empty((GRID_LN_M.size, GRID_EPS.size, GRID_V.size))
    for i, lm in enumerate(GRID_LN_M):
        m_S = float(np.exp(lm))
        E = (m_S + m_l) * np.exp(GRID_EPS)[:, None]
        x = x_of_v(GRID_V[None, :], E, m_S, m_l)
        num = etl.dsigma_dx(E, x, m_S, nuc, m_l, 1.0, form_factor, kind=kind)
        den = ww.dsigma_dx(E, x, m_S, flux, m_l, kind=kind)
        out[i] = np.where(den > 0, num / np.where(den > 0, den, 1.0), 1.0)
        if progress is not None:
            progress(i + 1, GRID_LN_M.size)
    return out


class RatioTable:
    """R(m_S, E, x) = ETL/WW for one nucleus, lepton and form factor (tricubic interpolation)."""

    def __init__(self, values: np.ndarray, m_l: float):
        self.values = values
        self.m_l = m_l
        self._interp = RegularGridInterpolator((GRID_LN_M, GRID_EPS, GRID_V), values, method="cubic")

    def __call__(self, E, x, m_S):
        E, x, m_S = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (E, x, m_S)))
        lm = np.clip(np.log(m_S), GRID_LN_M[0], GRID_LN_M[-1])
        eps = np.clip(np.log(E / (m_S + self.m_l)), GRID_EPS[0], GRID_EPS[-1])
        v = np.clip(v_of_x(x, E, m_S, self.m_l), GRID_V[0], GRID_V[-1])
        pts = np.stack([lm.ravel(), eps.ravel(), v.ravel()], axis=-1)
        return self._interp(pts).reshape(E.shape)


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
    return None if data is None else data["ratio"]


@lru_cache(maxsize=64)
def ratio_table(nuc: Nucleus, m_l: float, form_factor: str = DEFAULT_FORM_FACTOR, kind: str = DEFAULT_KIND) -> RatioTable:
    """The ETL/WW ratio table for X of ``kind``: shipped, cached, or computed and cached (see
    module docstring)."""
    name = _key(nuc, m_l, form_factor, kind)
    values = _shipped(name)
    if values is not None:
        return RatioTable(values, m_l)
    key = cache.key_text(_inputs(nuc, m_l, form_factor, kind))
    path = cache.subdir("etl") / f"{name}.npz"
    # entries written before the inputs were stored inside are accepted (their name is the hash
    # of the same inputs) and rewritten with them: a rebuild costs up to minutes
    data = cache.load(path, key, _spec(), legacy_ok=True)
    if data is not None:
        return RatioTable(data["ratio"], m_l)
    what = f"{nuc.symbol} ({form_factor})" if kind == DEFAULT_KIND else f"{nuc.symbol} ({form_factor}, {kind})"
    with task(f"ETL/WW ratio table for {what}, computed once", total=GRID_LN_M.size) as t:
        values = compute_ratio(nuc, m_l, form_factor, progress=t.update, kind=kind)
    cache.save(path, key, {"ratio": values}, compress=True)
    return RatioTable(values, m_l)


def dsigma_dx(E, x, m_S, flux, m_l, g=1.0, kind: str = DEFAULT_KIND):
    """ETL dsigma/dx in GeV^-2 (WW times the tabulated ETL/WW ratio) for X of ``kind``;
    signature of the WW and IWW kernels, the nucleus and form factor taken from ``flux``."""
    kind = check_kind(kind)
    table = ratio_table(flux.nucleus, float(m_l), flux.form_factor, kind)
    return ww.dsigma_dx(E, x, m_S, flux, m_l, g, kind=kind) * table(E, x, m_S)
