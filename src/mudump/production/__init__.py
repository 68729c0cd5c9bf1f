"""Production of the new boson by dark bremsstrahlung, l N -> l N X, for every kind of X
(``kind=``, :data:`.kinds.KINDS`: scalar, pseudoscalar, vector, axial-vector; default scalar).

Methods (``method=``):

* ``"etl"`` -- exact tree level (:mod:`.etl`): the 2 -> 3 matrix element with nuclear recoil,
  evaluated fast as WW times a tabulated ETL/WW ratio (:mod:`.etl_table`); the default.
* ``"ww"`` -- phase-space Weizsaecker-Williams with the exact angle-dependent t_min
  (:mod:`.ww`): it follows exact tree level to a few percent for muon beams (more near x -> 1
  and close to threshold).
* ``"iww"`` -- improved WW with an x-independent t_min (:mod:`.iww`); kept only to compare with
  papers that used it. It overstates muon-beam production by tens of percent at 160 GeV and by
  factors of several at a few GeV (docs/physics.md#production).

Units at this API: energies (total, of the beam lepton) and masses in GeV; cross sections in
**m^2 per atom** (for a compound, per atom averaged over its composition, so that
``material.atom_density * sigma`` is the inverse interaction length for that S).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .._checks import check_range
from ..constants import E_MAX_GEV, GEV2_TO_M2, LEPTONS
from ..errors import DomainError, UnknownNameError
from . import etl_table, iww, ww
from .flux import photon_flux
from ..materials import get_material
from ..nuclei import Nucleus
from .formfactors import DEFAULT_FORM_FACTOR, check_form_factor
from ..kinds import DEFAULT_KIND, KINDS, check_kind
from .kinematics import x_range

from ..choices import DEFAULT_METHOD, METHOD_NAMES, METHODS  # noqa: E402 (the one list of methods)

_KERNELS = {"etl": etl_table.dsigma_dx, "ww": ww.dsigma_dx, "iww": iww.dsigma_dx}

#: Composite Gauss-Legendre rule for the x integral: panels x nodes in each of its two regions.
PANELS = (16, 12)
NODES_PER_PANEL = 8


def check_method(method: str) -> str:
    """Return the normalised method name or raise UnknownNameError."""
    m = str(method).lower()
    if m not in _KERNELS:
        raise UnknownNameError(f"method = {method!r} is unknown: allowed {', '.join(_KERNELS)}")
    return m


def beam_method(lepton: str, method: "str | None" = None) -> str:
    """The production method of a beam of ``lepton``: ``method`` checked, or (None) the beam's
    default (:func:`mudump.choices.default_method`: exact tree level for muons, phase-space WW for
    electrons); an electron beam takes only the methods :mod:`.electron_beam` supports
    (:class:`mudump.errors.ConfigError` in one line otherwise)."""
    from ..choices import default_method

    m = check_method(default_method(lepton) if method is None else method)
    if lepton == "e":
        from .electron_beam import check_electron_method

        check_electron_method(m)
    return m


def _lepton_mass(lepton: str) -> float:
    if lepton not in LEPTONS:
        raise UnknownNameError(f"lepton = {lepton!r} is unknown: allowed {', '.join(LEPTONS)}")
    return LEPTONS[lepton]


def _components(target) -> list[tuple[Nucleus, float]]:
    """(nucleus, weight) pairs: a Nucleus has weight 1; a material its atom number fractions."""
    if isinstance(target, Nucleus):
        return [(target, 1.0)]
    mat = get_material(target)
    return list(zip(mat.nuclei, mat.number_fractions))


def dsigma_dx_components(energy, x, m_S, components, *, method: str, m_l: float, form_factor: str = DEFAULT_FORM_FACTOR,
                         kind: str = DEFAULT_KIND, g=1.0):
    """Weighted sum of dsigma/dx over nuclei, sum_k w_k dsigma_k/dx, in m^2 times the unit of the
    weights: ``components`` is a sequence of (:class:`~mudump.nuclei.Nucleus`, weight) pairs (atom
    fractions give m^2 per atom, number densities in m^-3 give the inverse length per unit x in
    m^-1). The pure kernel behind :func:`dsigma_dx`, the thick-target tables and the spectra: no
    input checks, no materials; ``method`` and ``kind`` must already be valid names
    (:func:`check_method`, :func:`check_kind`). Broadcasts over energy, x and m_S."""
    kernel = _KERNELS[method]
    total = 0.0
    for nuc, weight in components:
        total = total + weight * kernel(energy, x, m_S, photon_flux(nuc, form_factor), m_l, g, kind=kind)
    return total * GEV2_TO_M2


def _check_kinematics(energy, m_S, m_l):
    check_range("mass_GeV", m_S, 0.0, lo_open=True, unit="GeV")
    energy = check_range("energy_GeV", energy, m_l, E_MAX_GEV, lo_open=True, unit="GeV")
    threshold = np.asarray(m_S, dtype=float) + m_l
    if np.any(energy <= threshold):
        raise DomainError(f"energy_GeV must exceed mass_GeV + m_lepton = {float(np.min(threshold)):g} GeV to produce S")
    return energy


def dsigma_dx(
    energy, x, m_S, target, *, method: str = DEFAULT_METHOD, g=1.0, lepton: str = "mu", form_factor: str = DEFAULT_FORM_FACTOR,
    kind: str = DEFAULT_KIND,
):
    """dsigma/dx in m^2 per atom for l N -> l N S, x = E_S / E (broadcasts over energy, x, m_S).

    ``target`` is a :class:`Nucleus`, a material name, a chemical symbol or a Material.
    ``g`` is the S coupling to the beam lepton; the result is exactly proportional to g^2.
    ``form_factor`` names the G2 parametrisation (:data:`.formfactors.FORM_FACTORS`).
    ``kind`` is the kind of X (:data:`.kinds.KINDS`).
    Zero outside m_S/E < x < 1 - m_l/E. See :mod:`.etl`, :mod:`.ww` and :mod:`.iww`.
    """
    method = check_method(method)
    kind = check_kind(kind)
    check_form_factor(form_factor)
    m_l = _lepton_mass(lepton)
    energy = _check_kinematics(energy, m_S, m_l)
    x = check_range("x", x, 0.0, 1.0)
    g = check_range("coupling", g, 0.0)
    return dsigma_dx_components(energy, x, m_S, _components(target), method=method, m_l=m_l, form_factor=form_factor,
                                kind=kind, g=g)


def d2sigma_dx_dcos(energy, x, cos_theta, m_S, target, *, g=1.0, lepton: str = "mu", kind: str = DEFAULT_KIND):
    """Phase-space WW dsigma/(dx dcos theta) in m^2 per atom (theta: X angle to the beam)."""
    kind = check_kind(kind)
    m_l = _lepton_mass(lepton)
    energy = _check_kinematics(energy, m_S, m_l)
    total = 0.0
    for nuc, weight in _components(target):
        total = total + weight * ww.d2sigma_dx_dcos(energy, x, cos_theta, m_S, photon_flux(nuc), m_l, g, kind=kind)
    return total * GEV2_TO_M2


@lru_cache(maxsize=None)
def unit_gauss_rule(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights of order ``n`` on [0, 1] (read-only, computed once)."""
    x, w = np.polynomial.legendre.leggauss(n)
    x, w = 0.5 * (1.0 + x), 0.5 * w
    x.flags.writeable = w.flags.writeable = False
    return x, w


def composite_rule(a, b, panels: int, nodes: int = NODES_PER_PANEL):
    """Composite Gauss-Legendre nodes and weights on [a, b] in ``panels`` equal panels of
    ``nodes`` nodes each (a, b broadcast: one interval per element; nodes on a trailing axis;
    b < a gives negative weights)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ux, uw = unit_gauss_rule(nodes)
    u = ((np.arange(panels)[:, None] + ux) / panels).ravel()
    span = (b - a)[..., None]
    return a[..., None] + span * u, span * np.tile(uw / panels, panels)


def _x_nodes(energy, m_S, m_l, e_cut=None, panels=None):
    """Nodes and weights of the x integral (trailing axis) for each (energy, m_S).

    Two regions split at x_m (0.5, or halfway to x_hi when the lower limit is above 0.5):
    below x_m, x = x_lo cosh(w) with x_lo = m_S/E, so that beta = tanh(w) and dx = x_lo sinh(w)
    dw (the threshold square root disappears, and w ~ ln x follows the 1/x spectrum of a light
    scalar); above x_m, y = -ln(1 - x), which resolves the peak of a heavy scalar at
    1 - x ~ m_l^2/m_S^2 and the end point x_hi = 1 - m_l/E.
    """
    lo, _, (w_a, w_b), (y_a, y_b) = _regions(energy, m_S, m_l, e_cut)
    panels = PANELS if panels is None else panels
    w1, q1 = composite_rule(w_a, w_b, panels[0])
    x1 = lo[..., None] * np.cosh(w1)
    q1 = q1 * lo[..., None] * np.sinh(w1)
    y2, q2 = composite_rule(y_a, y_b, panels[1])
    x2 = -np.expm1(-y2)
    q2 = q2 * (1.0 - x2)
    return np.concatenate([x1, x2], -1), np.concatenate([q1, q2], -1)


def _regions(energy, m_S, m_l, e_cut=None):
    """The two regions of the x rule of :func:`_x_nodes`: (x_lo, x_m, (w_a, w_b), (y_a, y_b)),
    the range of w = arccosh(x/x_lo) from the start (x_lo, or the cut) to x_m, and of
    y = -ln(1 - x) from x_m to the end point."""
    lo, hi = x_range(energy, m_S, m_l)
    start = lo if e_cut is None else np.minimum(np.maximum(lo, np.asarray(e_cut, dtype=float) / energy), hi)
    x_m = np.where(start < 0.5, 0.5, 0.5 * (start + hi))
    x_m = np.minimum(x_m, hi)
    w = (np.arccosh(start / lo), np.arccosh(np.maximum(x_m / lo, start / lo)))
    y = (-np.log1p(-np.maximum(x_m, start)), -np.log1p(-hi))
    return lo, x_m, w, y


def x_nodes(energy, m_S, m_l, e_cut=None, panels=None):
    """Nodes and weights of the x integral at each (energy, m_S) (trailing axis), optionally
    above E_S = x E > ``e_cut``, with ``panels`` (per region) instead of :data:`PANELS`: the
    rule of :func:`sigma`, shared with the thick-target tables (see :func:`_x_nodes`)."""
    return _x_nodes(energy, m_S, m_l, e_cut, panels)


def lagrange_basis(s_new, s_nodes):
    """Lagrange basis L[..., m, n] of the nodes ``s_nodes`` (n,) at the points ``s_new`` (..., m),
    in the barycentric form L_n(s) = (lam_n / (s - s_n)) / sum_k lam_k / (s - s_k), lam_n =
    1 / prod_{k != n} (s_n - s_k) (exactly 1 and 0 where s is a node)."""
    den = s_nodes[:, None] - s_nodes[None, :]
    np.fill_diagonal(den, 1.0)
    lam = 1.0 / np.prod(den, axis=1)
    diff = s_new[..., :, None] - s_nodes  # (..., m, n)
    hit = diff == 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        t = lam / diff
        L = t / t.sum(-1, keepdims=True)
    on = hit.any(-1)
    return np.where(on[..., None], hit.astype(float), L)


def cut_x_rule(energy, m_S, m_l, e_cut, x, weight, panels=None):
    """The x rule of :func:`x_nodes` (no cut, ``panels`` per region) restricted to E_S = x E >
    ``e_cut``, from that rule's nodes ``x`` and integrand-times-weight values ``weight`` (trailing
    axis; ``energy`` has their leading shape), without evaluating the integrand again.

    The uncut rule is a composite Gauss-Legendre rule whose panels have edges independent of the
    cut (:func:`_x_nodes`: in w = arccosh(x/x_lo) below x_m, in -ln(1-x) above). Panels wholly
    below the cut get weight 0 (their nodes stay, so the arrays keep their shape); the panel the
    cut falls in is replaced by the same Gauss-Legendre rule on its part above the cut, with the
    integrand (per unit of the panel variable, w / q_w at its nodes) interpolated by the Lagrange
    polynomial through the panel's own NODES_PER_PANEL nodes (degree 7: exact for a polynomial
    of that degree; tests/test_table_reuse.py measures it against the rule built on the cut,
    :func:`x_nodes` with ``e_cut``); panels above the cut are kept as they are. A cut at or
    below x_lo E (E_S >= m_S anyway) returns the inputs unchanged.

    Returns (x, weight), new arrays of the input shapes."""
    panels = PANELS if panels is None else panels
    n = NODES_PER_PANEL
    x = np.array(x, dtype=float)
    weight = np.array(weight, dtype=float)
    if not float(e_cut) > float(m_S):
        return x, weight
    energy = np.broadcast_to(np.asarray(energy, dtype=float), weight.shape[:-1])
    lo, x_m, (w_a, w_b), (y_a, y_b) = _regions(energy, m_S, m_l)
    p1, p2 = panels
    hi = 1.0 - m_l / energy
    x_c = np.minimum(float(e_cut) / energy, hi)
    gone = x_c >= hi  # no x left above the cut
    # the cut's position t in panel units: [0, p1) region 1 (w), [p1, p1 + p2] region 2 (y)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(w_b > w_a, p1 * (np.arccosh(np.maximum(x_c / lo, 1.0)) - w_a) / (w_b - w_a), 0.0)
        t2 = p1 + np.where(y_b > y_a, p2 * (-np.log1p(-x_c) - y_a) / (y_b - y_a), p2)
    t = np.clip(np.where(x_c < x_m, t1, t2), 0.0, p1 + p2)
    p_c = np.minimum(np.floor(t).astype(int), p1 + p2 - 1)
    s_c = t - p_c
    weight[np.arange(weight.shape[-1]) // n < p_c[..., None]] = 0.0
    ux, uw = unit_gauss_rule(n)
    # the panel the cut falls in (gathered: n nodes per row)
    cols = p_c[..., None] * n + np.arange(n)  # (..., n)
    w_p = np.take_along_axis(weight, cols, -1)
    s_new = s_c[..., None] + (1.0 - s_c[..., None]) * ux  # (..., n)
    L = lagrange_basis(s_new, ux)  # (..., n, n)
    w_new = (1.0 - s_c[..., None]) * uw * np.einsum("...mn,...n->...m", L, w_p / uw)
    pos = p_c[..., None] + s_new  # position in panel units
    x1 = lo[..., None] * np.cosh(w_a[..., None] + (w_b - w_a)[..., None] * pos / p1)
    x2 = -np.expm1(-(y_a[..., None] + (y_b - y_a)[..., None] * (pos - p1) / p2))
    x_new = np.where(p_c[..., None] < p1, x1, x2)
    np.put_along_axis(weight, cols, w_new, -1)
    np.put_along_axis(x, cols, np.where(gone[..., None], np.take_along_axis(x, cols, -1), x_new), -1)
    weight[gone] = 0.0
    return x, weight


def sigma(
    energy, m_S, target, *, method: str = DEFAULT_METHOD, g=1.0, lepton: str = "mu", e_cut=None,
    form_factor: str = DEFAULT_FORM_FACTOR, kind: str = DEFAULT_KIND,
):
    """Total cross section in m^2 per atom, integrated over m_S/E < x < 1 - m_l/E, optionally
    only over E_S = x E > e_cut (GeV), for X of ``kind``. Broadcasts over energy and m_S."""
    kernel = _KERNELS[check_method(method)]
    kind = check_kind(kind)
    check_form_factor(form_factor)
    m_l = _lepton_mass(lepton)
    energy = _check_kinematics(energy, m_S, m_l)
    g = check_range("coupling", g, 0.0)
    if e_cut is not None:
        e_cut = check_range("e_cut_GeV", e_cut, 0.0, unit="GeV")
    energy, m_S = np.broadcast_arrays(energy, np.asarray(m_S, dtype=float))
    x, w = _x_nodes(energy, m_S, m_l, e_cut)
    total = 0.0
    for nuc, weight in _components(target):
        d = kernel(energy[..., None], x, m_S[..., None], photon_flux(nuc, form_factor), m_l, g, kind=kind)
        total = total + weight * (d * w).sum(-1)
    return total * GEV2_TO_M2


__all__ = [
    "METHODS", "METHOD_NAMES", "DEFAULT_METHOD", "KINDS", "DEFAULT_KIND", "dsigma_dx", "dsigma_dx_components",
    "d2sigma_dx_dcos", "sigma", "x_nodes", "composite_rule", "beam_method",
    "check_method", "check_kind",
]
