"""Anomalous magnetic moments: the one-loop scalar contribution Delta a_l and the (g-2)_mu band.

Units: m_S and lepton masses in GeV; couplings dimensionless; Delta a dimensionless.
The Delta a_mu inputs are named presets in ``mudump/data/g2_presets.toml`` (each with its
source); the default preset is named there too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from . import data
from ._checks import check_range
from .constants import LEPTONS
from .errors import UnknownNameError


#: The one-loop integrands of Delta a_l for exchange of a neutral boson X of each kind, in
#: z in (0, 1) and r = m_X / m_l, such that Delta a_l = g^2 / (8 pi^2) int_0^1 dz I(z):
#:   scalar        (1-z)^2 (1+z) / D
#:   pseudoscalar  -(1-z)^3 / D
#:   vector        2 z (1-z)^2 / D
#:   axial-vector  [-2 z (1-z) (3+z) - 4 (1-z)^3 / r^2] / D,      D = (1-z)^2 + z r^2.
#: Leveille, Nucl. Phys. B137 (1978) 63, for a neutral boson and an internal lepton of the same
#: flavour, as collected by Queiroz and Shepherd, arXiv:1403.2309 (their Feynman-parameter forms
#: with x = 1 - z and lambda = m_l / m_X) and Jegerlehner and Nyffeler, Phys. Rept. 477 (2009) 1,
#: section 7. Limits (checked in tests/test_g2.py): light X, 3 g^2/(16 pi^2) (scalar),
#: g^2/(8 pi^2) (vector); heavy X, g^2 m_l^2/(8 pi^2 m_X^2) [ln(m_X^2/m_l^2) - 7/6] (scalar),
#: g^2 m_l^2/(12 pi^2 m_X^2) (vector), -5 g^2 m_l^2/(12 pi^2 m_X^2) (axial vector). A
#: pseudoscalar or an axial vector lowers a_l.
_INTEGRANDS = {  # of (z, t = 1 - z, r^2): t is passed exactly, not recomputed from z near z = 1
    "scalar": lambda z, t, r2: t**2 * (1.0 + z),
    "pseudoscalar": lambda z, t, r2: -(t**3),
    "vector": lambda z, t, r2: 2.0 * z * t**2,
    "axial-vector": lambda z, t, r2: -2.0 * z * t * (3.0 + z) - 4.0 * t**3 / r2,
}

#: Gauss-Legendre nodes per panel of the loop integral, and the ratio of the geometric grading
#: of the panels towards the poles of 1/D (see _loop_edges).
LOOP_NODES = 16
LOOP_GRADING = 4.0
_LOOP_X, _LOOP_W = np.polynomial.legendre.leggauss(LOOP_NODES)


def _loop_edges(r: float) -> tuple[np.ndarray, np.ndarray]:
    """Panel edges of the loop integral at r = m_X/m_l: (edges in z on [0, 1/2], edges in
    t = 1 - z on [0, 1/2]).

    D = (1-z)^2 + z r^2 vanishes at z = e^{+-i theta}, cos theta = 1 - r^2/2, for r < 2 (at a
    distance ~ r from z = 1 for a light X) and at two negative z, the nearer ~ -1/r^2, for r > 2
    (a heavy X). Panels grow geometrically (LOOP_GRADING) away from the nearer pole, starting at
    a quarter of its distance, so that every pole lies at least ~1.7 half-widths outside every
    panel: Gauss-Legendre with LOOP_NODES nodes is then exact to double precision (error ~ 3^-2n,
    Trefethen, "Approximation Theory and Approximation Practice", SIAM 2013, theorem 19.3).
    """
    z_edges, t_edges = {0.0, 0.25, 0.5}, {0.0, 0.25, 0.5}
    if r * r > 2.0:  # nearest pole at z ~ -1/r^2
        h = 1.0 / (r * r)
        while h < 0.5:
            z_edges.add(h)
            h *= LOOP_GRADING
    if r < 2.0:  # poles at 1 - z ~ +-i r
        h = 0.25 * r
        while h < 0.5:
            t_edges.add(h)
            h *= LOOP_GRADING
    return np.array(sorted(z_edges)), np.array(sorted(t_edges))


def _panel_nodes(edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on the panels between consecutive ``edges``."""
    lo, hi = edges[:-1, None], edges[1:, None]
    half = 0.5 * (hi - lo)
    return (lo + half * (1.0 + _LOOP_X)).ravel(), (half * _LOOP_W).ravel()


def _loop_nodes(r: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z, t = 1 - z, weights) of the loop integral's rule at r > 0 (:func:`_loop_integral`)."""
    z_edges, t_edges = _loop_edges(r)
    z, wz = _panel_nodes(z_edges)
    t, wt = _panel_nodes(t_edges)
    return np.concatenate([z, 1.0 - t]), np.concatenate([1.0 - z, t]), np.concatenate([wz, wt])


def _loop_integral(kind: str, r: float) -> float:
    """int_0^1 dz I_kind(z) (see _INTEGRANDS), r = m_X/m_l, by composite Gauss-Legendre
    quadrature on panels graded towards the poles of the integrand (:func:`_loop_edges`), in z
    on [0, 1/2] and in t = 1 - z on [1/2, 1] (so that 1 - z is exact where it is small).
    Checked against mpmath's 30-digit quadrature (tests/test_g2.py)."""
    return float(_loop_integral_vec(kind, np.array([r]))[0])


def _loop_integral_vec(kind: str, r) -> np.ndarray:
    """:func:`_loop_integral` at every r (an array), the integrand evaluated once for all."""
    num = _INTEGRANDS[kind]
    r = np.asarray(r, dtype=float)
    flat = r.ravel()
    out = np.zeros(flat.size)
    if np.any(flat == 0.0):
        if kind not in ("scalar", "pseudoscalar", "vector"):
            raise ValueError("the axial-vector contribution diverges as m_X -> 0")
        out[flat == 0.0] = {"scalar": 1.5, "pseudoscalar": -0.5, "vector": 1.0}[kind]
    live = np.flatnonzero(flat != 0.0)
    if live.size:
        rules = [_loop_nodes(float(flat[i])) for i in live]
        z, t, w = (np.concatenate(a) for a in zip(*rules))
        sizes = np.array([rule[0].size for rule in rules])
        r2 = np.repeat(flat[live] ** 2, sizes)
        f = num(z, t, r2) / (t * t + z * r2) * w
        out[live] = np.add.reduceat(f, np.r_[0, np.cumsum(sizes)[:-1]])
    return out.reshape(r.shape)


def delta_a_kind(kind: str, m_X, g_l, m_l):
    """One-loop Delta a_l = g_l^2/(8 pi^2) int_0^1 dz I_kind(z) from a neutral boson X of kind
    ``kind`` with coupling g_l to lepton l (see _INTEGRANDS for the integrands and sources).
    m_X, m_l in GeV (arrays broadcast); g_l dimensionless."""
    r, g = np.broadcast_arrays(np.asarray(m_X, dtype=float) / np.asarray(m_l, dtype=float),
                               np.asarray(g_l, dtype=float))
    loop = np.zeros(r.shape)
    coupled = g != 0  # an uncoupled lepton gets no contribution: its integral is not computed
    loop[coupled] = _loop_integral_vec(kind, r[coupled])
    return g**2 / (8.0 * np.pi**2) * loop


def delta_a(m_S, g_l, m_l):
    """One-loop contribution of a scalar S with Yukawa coupling g_l to a_l = (g-2)_l / 2.

    Delta a_l = g_l^2 / (8 pi^2) * int_0^1 dz (1-z)^2 (1+z) / [(1-z)^2 + z (m_S/m_l)^2]
    (Leveille, Nucl. Phys. B137 (1978) 63; Jegerlehner and Nyffeler, Phys. Rept. 477 (2009) 1;
    docs/physics.md#g2). Limits: 3 g^2 / (16 pi^2) for m_S << m_l and
    g^2 m_l^2 / (8 pi^2 m_S^2) [ln(m_S^2/m_l^2) - 7/6] for m_S >> m_l.

    m_S, m_l in GeV (arrays broadcast); g_l dimensionless.
    """
    return delta_a_kind("scalar", m_S, g_l, m_l)


def delta_a_lepton(m_S, g_l, lepton: str = "mu"):
    """Delta a_l for lepton ``"e"``, ``"mu"`` or ``"tau"`` (mass from the PDG via ``particle``)."""
    if lepton not in LEPTONS:
        raise UnknownNameError(f"lepton = {lepton!r} is unknown: allowed {', '.join(LEPTONS)}")
    m_S = check_range("mass_GeV", m_S, 0.0, lo_open=True, unit="GeV")
    g_l = check_range("coupling", g_l, 0.0)
    return delta_a(m_S, g_l, LEPTONS[lepton])


@dataclass(frozen=True)
class G2Preset:
    """A measured Delta a_mu = a_mu(exp) - a_mu(SM) with its total 1-sigma uncertainty."""

    name: str
    label: str
    delta_a_mu: float
    sigma: float
    source: str

    @property
    def anomalous(self) -> bool:
        """True when Delta a_mu is more than 2 sigma above zero (a band to explain)."""
        return self.delta_a_mu - 2.0 * self.sigma > 0.0


@cache
def presets() -> dict[str, G2Preset]:
    """All Delta a_mu presets by name, from ``data/g2_presets.toml``."""
    raw = data.load("g2_presets.toml")["presets"]
    return {
        k: G2Preset(k, v["label"], v["delta_a_mu_1e11"] * 1e-11, v["sigma_1e11"] * 1e-11, v["source"])
        for k, v in raw.items()
    }


@cache
def electron_presets() -> dict[str, G2Preset]:
    """The Delta a_e presets by name, from ``data/g2_presets.toml`` (``delta_a_mu`` holds Delta a_e)."""
    raw = data.load("g2_presets.toml")["electron_presets"]
    return {k: G2Preset(k, v["label"], v["delta_a_1e14"] * 1e-14, v["sigma_1e14"] * 1e-14, v["source"])
            for k, v in raw.items()}


def get_electron_preset(name: str | None = None) -> G2Preset:
    """A Delta a_e preset by name (None: the default, see ``data/g2_presets.toml``)."""
    name = data.load("g2_presets.toml")["electron_default"] if name is None else name
    try:
        return electron_presets()[name]
    except KeyError:
        raise UnknownNameError(f"electron preset = {name!r} is unknown: allowed {', '.join(electron_presets())}") from None


def allowed_shift(delta: float, sigma: float, sign: int) -> float:
    """How far (in |Delta a|) a contribution of sign ``sign`` may move a_l before the measurement
    excludes it at 2 sigma: delta + 2 sigma for a positive one (minus: 2 sigma - delta), or, when
    that is not positive (the measurement already lies more than 2 sigma on the other side of
    the Standard Model), 2 sigma: the deficit may not grow by more than the 2 sigma the
    measurement allows (mudump's convention, the same for a_mu and a_e)."""
    room = delta + 2.0 * sigma if sign > 0 else 2.0 * sigma - delta
    return room if room > 0 else 2.0 * sigma


def electron_limit(m_X, model, preset: str | G2Preset | None = None):
    """The g_mu above which the model's contribution to a_e is excluded at 2 sigma by a Delta a_e
    preset (arrays over m_X in GeV), or None for a model that does not couple to electrons.
    ``model``: a :class:`mudump.models.Model` (this module sits below the models: it takes the
    model's own Delta a, never a name)."""
    m_X = check_range("mass_GeV", m_X, 0.0, lo_open=True, unit="GeV")
    unit = np.asarray(model.delta_a(m_X, 1.0, "e"), dtype=float)
    if not np.any(unit != 0):
        return None
    p = preset if isinstance(preset, G2Preset) else get_electron_preset(preset)
    sign = 1 if np.all(unit >= 0) else -1
    room = allowed_shift(p.delta_a_mu, p.sigma, sign)
    with np.errstate(divide="ignore"):
        return np.where(unit != 0, np.sqrt(room / np.abs(np.where(unit != 0, unit, 1.0))), np.inf)


def default_preset_name() -> str:
    """Name of the default Delta a_mu preset (see ``data/g2_presets.toml``)."""
    return data.load("g2_presets.toml")["default"]


def get_preset(name: str | None = None) -> G2Preset:
    """A Delta a_mu preset by name (None: the default)."""
    name = default_preset_name() if name is None else name
    try:
        return presets()[name]
    except KeyError:
        raise UnknownNameError(f"preset = {name!r} is unknown: allowed {', '.join(presets())}") from None


def band(m_S, preset: str | G2Preset | None = None, g_ratio_mu: float = 1.0, model=None) -> dict:
    """The g_mu values that reproduce a Delta a_mu preset, per mass (GeV), for a model (default:
    a scalar coupled to the muon with g_mu;
    whose kind and muon coupling set Delta a_mu(g_mu); a :class:`mudump.models.Model`, never a
    name: this module sits below the models).

    Returns a dict of arrays over ``m_S``: ``central``, ``lo1``/``hi1`` (1 sigma),
    ``lo2``/``hi2`` (2 sigma), and ``upper_limit`` (above it the model is excluded at about 95%
    CL by (g-2)_mu itself). ``sign`` is +1 when the model raises a_mu, -1 when it lowers it.

    * Raising a_mu (scalar, vector): the band is where Delta a_mu(g) lies within 1 or 2 sigma
      of the preset; ``upper_limit`` is where it reaches central + 2 sigma. A coupling below
      zero Delta a is reported as 0. For a preset without anomaly (``anomalous`` False) only
      ``upper_limit`` is meaningful: the band becomes a "still allowed" region.
    * Lowering a_mu (pseudoscalar, axial vector): no coupling explains an anomaly (``favoured``
      False, the band entries are 0); the model is excluded where it pulls a_mu more than 2 sigma
      below the measurement, -Delta a_X > 2 sigma - Delta a_mu, or, when the measurement sits
      more than 2 sigma above the Standard Model already, where -Delta a_X > 2 sigma (the
      deficit may not grow by more than the 2 sigma the measurement allows).

    ``g_ratio_mu`` is kept for compatibility: the model's own ratio is used when ``model`` is
    given.
    """
    p = preset if isinstance(preset, G2Preset) else get_preset(preset)
    m_S = check_range("mass_GeV", m_S, 0.0, lo_open=True, unit="GeV")
    if model is None:
        unit = delta_a(m_S, 1.0, LEPTONS["mu"]) * g_ratio_mu**2
    else:
        unit = np.asarray(model.delta_a(m_S, 1.0, "mu"), dtype=float)
    sign = 1.0 if np.all(unit >= 0) else -1.0
    d, s = p.delta_a_mu, p.sigma
    g = lambda target: np.sqrt(np.clip(np.asarray(target, dtype=float), 0.0, None) / np.abs(unit))  # noqa: E731
    if sign > 0:
        out = {"central": g(d), "lo1": g(d - s), "hi1": g(d + s), "lo2": g(d - 2 * s), "hi2": g(d + 2 * s),
               "upper_limit": g(d + 2 * s)}
    else:
        room = allowed_shift(d, s, -1)
        zero = np.zeros_like(m_S)
        out = {"central": zero, "lo1": zero, "hi1": zero, "lo2": zero, "hi2": zero, "upper_limit": g(room)}
    return {"preset": p.name, "label": p.label, "anomalous": p.anomalous, "favoured": bool(p.anomalous and sign > 0),
            "sign": int(sign), **out}
