"""The classic electron beam dumps (SLAC E137, Orsay) computed by mudump: the region of (m_X,
g_mu) they exclude for any model with a coupling to electrons, drawn as "computed" constraints.

Signal of an electron beam dump (the thick-target yield of Bjorken et al., Phys. Rev. D 38
(1988) 3375, and of Andreas, Niebuhr, Ringwald, arXiv:1209.6083, section 2, with mudump's
kernels):

    N(m_X, g) = N_e n  int dE (dl/dE)(E0, E)  int dx  dsigma/dx(E, x; g_e)
                       x P_decay(xE) BR_visible,       x E > E_cut,

with N_e the electrons on target, n the target's atoms per m^3, dl/dE the beam electron's track
length in the thick target (:func:`mudump.shower.track_length_spectrum`), dsigma/dx the dark
bremsstrahlung e N -> e N X of :func:`mudump.production.dsigma_dx` with ``lepton="e"`` and the
model's kind and electron coupling g_e (g_e = g_mu m_e / m_mu for model A, e eps for a dark
photon, the loop mixing for L_mu - L_tau), and

    P_decay(E_X) = exp(-L_sh / l) - exp(-(L_sh + L_dec) / l),    l = (p_X / m_X) c tau,

the probability that X decays in the decay region behind the shield. The production method for
electrons is the phase-space Weizsaecker-Williams (``ww``): mudump's exact tree level is not
tabulated for electron beams and its direct integration does not converge at the electron's
mass. An excluded point has N >= ``events_limit``.

The parameters of each dump are in ``electron_dumps.toml`` beside this module, each cited,
calibrated on the dump's dark-photon limit (DarkCast's digitisations) or assumed, and said so.

Units: masses and energies in GeV, lengths in metres, couplings dimensionless.
"""

from __future__ import annotations

import threading

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

#: Beam-electron track length: a target this many radiation lengths thick is "thick" (the
#: track length above any cut used here no longer grows; mudump.shower).
THICK_X0 = 100.0
#: Above E0 exp(-Y_NEAR) the beam electron's energy is taken as E0 (a relative spread of 1e-4).
Y_NEAR = 1e-4
# Gauss-Legendre nodes on [0, 1] for the energy and x integrals
_GL_N, _GL_W = np.polynomial.legendre.leggauss(12)
_GL_N, _GL_W = 0.5 * (_GL_N + 1.0), 0.5 * _GL_W


@dataclass(frozen=True)
class ElectronDump:
    """An electron beam-dump experiment (units in the field names); ``status`` says for each
    number whether it is cited, calibrated or assumed, and from what."""

    name: str
    label: str
    experiment: str
    bibtex: tuple[str, ...]
    beam_energy_GeV: float
    electrons_on_target: float
    target_material: str
    shield_length_m: float
    decay_length_m: float
    e_cut_GeV: float
    theta_max_rad: float
    events_limit: float
    confidence_level: float
    status: dict


@cache
def dumps() -> dict[str, ElectronDump]:
    """The shipped electron beam dumps by name."""
    doc = tomllib.loads((resources.files(__package__) / "electron_dumps.toml").read_text(encoding="utf-8"))
    doc.pop("schema_version", None)
    out = {}
    for name, d in doc.items():
        out[name] = ElectronDump(name=name, label=d["label"], experiment=d["experiment"], bibtex=tuple(d["bibtex"]),
                                 beam_energy_GeV=float(d["beam_energy_GeV"]),
                                 electrons_on_target=float(d["electrons_on_target"]),
                                 target_material=d["target_material"], shield_length_m=float(d["shield_length_m"]),
                                 decay_length_m=float(d["decay_length_m"]), e_cut_GeV=float(d["e_cut_GeV"]),
                                 theta_max_rad=float(d["theta_max_rad"]),
                                 events_limit=float(d["events_limit"]), confidence_level=float(d["confidence_level"]),
                                 status=dict(d["status"]))
    return out


def production_nodes(dump: ElectronDump, m_X: float, kind: str):
    """Quadrature of the yield at unit electron coupling: (E_X in GeV, weights) such that
    N = g_e^2 sum(weights * P_decay(E_X) * BR_visible). The beam-electron energy E runs over
    [max(E_cut, m_X), E0] in log E, x over [max(m_X, E_cut)/E, 1 - m_e/E] in ln(1 - x), the
    angle of X to the beam over [0, theta_max] in log theta (the detector's acceptance, from
    :func:`mudump.production.d2sigma_dx_dcos`); Gauss-Legendre panels. The weights include
    N_e and n."""
    from ..constants import M_E
    from ..materials import get_material
    from ..production import d2sigma_dx_dcos
    from ..shower import track_length_near_beam, track_length_spectrum

    mat = get_material(dump.target_material)
    E0 = dump.beam_energy_GeV
    e_lo = max(dump.e_cut_GeV, m_X + 2.0 * M_E) * (1.0 + 1e-9)
    if e_lo >= E0:
        return np.zeros(0), np.zeros(0)
    # the beam electron's energy in y = ln(E0/E): Gauss-Legendre in ln y from Y_NEAR to
    # ln(E0/e_lo), where dl/dE is smooth; above E0 exp(-Y_NEAR) one node carries the whole
    # (singular) track length there, mudump.shower.track_length_near_beam
    y_max = np.log(E0 / e_lo)
    if y_max > Y_NEAR:
        lv, wv = _panels(np.log(Y_NEAR), np.log(y_max), 8)
        y = np.exp(lv)
        E = E0 * np.exp(-y)
        dl = track_length_spectrum(E0, E, THICK_X0, mat.radiation_length) * E * y * wv  # metres per node
    else:
        E, dl = np.zeros(0), np.zeros(0)
    near = track_length_near_beam(E0, min(Y_NEAR, y_max), THICK_X0, mat.radiation_length)
    E = np.r_[E, E0 * np.exp(-0.5 * min(Y_NEAR, y_max))]
    dl = np.r_[dl, near]
    x_lo = np.maximum(m_X, dump.e_cut_GeV) / E
    x_hi = 1.0 - M_E / E
    ok = (x_lo < x_hi) & (dl > 0)
    E, dl, x_lo, x_hi = E[ok], dl[ok], x_lo[ok], x_hi[ok]
    if E.size == 0:
        return np.zeros(0), np.zeros(0)
    u, wu = _panels(np.log(1.0 - x_lo)[:, None], np.log(1.0 - x_hi)[:, None], 4)  # (nE, nu)
    x = 1.0 - np.exp(u)
    lt, wt = _panels(np.log(1e-4 * M_E / E0), np.log(dump.theta_max_rad), 3)
    theta = np.exp(lt)
    d2 = d2sigma_dx_dcos(E[:, None, None], x[:, :, None], np.cos(theta), m_X, dump.target_material, lepton="e",
                         kind=kind)
    accepted = np.sum(d2 * np.sin(theta) * theta * wt, axis=-1)  # dsigma/dx within theta_max, m^2
    w = dump.electrons_on_target * mat.atom_density * dl[:, None] * accepted * np.abs(wu) * (1.0 - x)
    return (x * E[:, None]).ravel(), w.ravel()


def _panels(a, b, n_panels):
    """Gauss-Legendre nodes and weights on [a, b] in ``n_panels`` equal panels (a, b may be
    arrays of shape (n, 1): one interval per row)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    k = np.arange(n_panels)
    lo = a + (b - a) * k / n_panels
    width = (b - a) / n_panels
    nodes = (lo[..., None] + width[..., None] * _GL_N)
    weights = np.broadcast_to(width[..., None] * _GL_W, nodes.shape)
    return nodes.reshape(*nodes.shape[:-2], -1), weights.reshape(*nodes.shape[:-2], -1)


def decay_probability(E_X, m_X, width_GeV, shield_m, decay_m):
    """exp(-L_sh/l) - exp(-(L_sh + L_dec)/l), l = (p/m) hbar c / Gamma (arrays broadcast)."""
    from ..constants import HBARC_GEV_M

    p = np.sqrt(np.maximum(np.asarray(E_X, dtype=float) ** 2 - m_X**2, 0.0))
    inv_l = np.asarray(width_GeV, dtype=float) * m_X / (np.maximum(p, 1e-300) * HBARC_GEV_M)
    return np.exp(-shield_m * inv_l) - np.exp(-(shield_m + decay_m) * inv_l)


def events(dump: ElectronDump, model, m_X: float, couplings) -> np.ndarray:
    """Expected signal events of ``dump`` for ``model`` at mass m_X (GeV) and each coupling
    g_mu (the model's scanned coupling)."""
    from ..models import get_model

    mdl = get_model(model)
    g = np.atleast_1d(np.asarray(couplings, dtype=float))
    g_e = float(mdl.couplings(1.0, m_X).get("e", 0.0))
    if g_e == 0.0:
        return np.zeros_like(g)
    E_X, w = production_nodes(dump, m_X, mdl.kind)
    if E_X.size == 0:
        return np.zeros_like(g)
    vis, inv, dark = (float(v) for v in mdl.width_parts(m_X))
    width = g**2 * (vis + inv) + dark
    br_vis = np.divide(g**2 * vis, width, out=np.zeros_like(g), where=width > 0)
    p = decay_probability(E_X[None, :], m_X, width[:, None], dump.shield_length_m, dump.decay_length_m)
    return (g_e * g) ** 2 * br_vis * (p @ w)


def excluded_interval(dump: ElectronDump, model, m_X: float, couplings) -> tuple[float, float] | None:
    """The excluded (g_low, g_high) at m_X on the coupling grid ``couplings`` (sorted), each
    edge refined by log-linear interpolation of log N between grid points; None if nothing is
    excluded. A beam dump excludes one interval per mass (production up, decay before the
    detector at large couplings)."""
    g = np.asarray(couplings, dtype=float)
    n = events(dump, model, m_X, g)
    over = n >= dump.events_limit
    if not over.any():
        return None
    idx = np.flatnonzero(over)
    i, j = idx[0], idx[-1]

    def cross(a, b):
        la, lb = np.log(max(n[a], 1e-300)), np.log(max(n[b], 1e-300))
        f = (np.log(dump.events_limit) - la) / (lb - la) if lb != la else 0.0
        return float(np.exp(np.log(g[a]) + f * (np.log(g[b]) - np.log(g[a]))))

    lo = cross(i - 1, i) if i > 0 else float(g[0])
    hi = cross(j, j + 1) if j + 1 < g.size else float(g[-1])
    return lo, hi


def region(dump: ElectronDump, model, masses, couplings) -> tuple[np.ndarray, np.ndarray]:
    """The closed outline (m in GeV, g) of the region ``dump`` excludes for ``model``: lower
    edges left to right, then upper edges right to left, over the masses with an exclusion
    (empty arrays if none)."""
    rows = [(m, iv) for m in masses if (iv := excluded_interval(dump, model, float(m), couplings))]
    if not rows:
        return np.zeros(0), np.zeros(0)
    m = np.array([r[0] for r in rows])
    lo = np.array([r[1][0] for r in rows])
    hi = np.array([r[1][1] for r in rows])
    return np.r_[m, m[::-1]], np.r_[lo, hi[::-1]]


__all__ = ["ElectronDump", "dumps", "production_nodes", "decay_probability", "events", "excluded_interval", "region",
           "THICK_X0"]


#: Masses (GeV) and couplings of the computed regions: log-spaced, with the points just below
#: the two-muon threshold, where model A's region ends.
def _masses(dump: ElectronDump) -> np.ndarray:
    from ..constants import M_MU

    top = min(1.0, 0.5 * dump.beam_energy_GeV)
    m = np.geomspace(1e-3, top, 28)
    edge = 2.0 * M_MU * np.array([0.99, 0.999])
    return np.unique(np.r_[m, edge[edge < top]])


COUPLINGS = np.geomspace(1e-9, 1.0, 181)
#: Bumped when the computation changes, so that cached regions are recomputed.
_VERSION = 1


def _fingerprint(mdl) -> dict:
    """What the region depends on in a model (not its name)."""
    d = mdl.dark_sector
    return {"kind": mdl.kind, "ratios": dict(sorted(mdl.ratios.items())), "mixing": mdl.kinetic_mixing,
            "dark": None if d is None else [d.alpha_D, d.chi_mass_GeV, d.chi_mass_ratio]}


def couples_to_electrons(model) -> bool:
    """True if the model gives X a coupling to electrons (directly or by kinetic mixing)."""
    from ..models import get_model

    mdl = get_model(model)
    return float(mdl.couplings(1.0, 0.01).get("e", 0.0)) != 0.0


#: One region computed or read at a time (the explorer asks from several threads): concurrent
#: readers and writers of one entry once saw it damaged and rebuilt it.
_REGION_LOCK = threading.Lock()


def cached_region(dump: ElectronDump, model) -> tuple[np.ndarray, np.ndarray]:
    """:func:`region` on the standard grid, kept in the user cache (an entry per dump, model
    fingerprint and parameters), with a progress task (about 0.1 s per mass); one thread at a
    time."""
    with _REGION_LOCK:
        return _cached_region(dump, model)


def _cached_region(dump: ElectronDump, model) -> tuple[np.ndarray, np.ndarray]:
    from dataclasses import asdict

    from .. import cache, progress
    from ..models import get_model

    mdl = get_model(model)
    key_inputs = {"version": _VERSION, "dump": asdict(dump), "model": _fingerprint(mdl)}
    key = cache.key_text(key_inputs)
    import hashlib

    path = cache.subdir("electron-dumps") / f"{dump.name}-{hashlib.sha256(key.encode()).hexdigest()[:24]}.npz"
    got = cache.load(path, key, {"mass_GeV": ("n",), "coupling": ("n",)})
    if got is not None:
        return got["mass_GeV"], got["coupling"]
    masses = _masses(dump)
    rows = []
    with progress.task(f"{dump.label} for model {mdl.name} (electron beam dump)", total=masses.size) as t:
        for k, m in enumerate(masses):
            iv = excluded_interval(dump, mdl, float(m), COUPLINGS)
            if iv:
                rows.append((m, *iv))
            t.update(k + 1)
    if rows:
        m, lo, hi = (np.array(v) for v in zip(*rows))
        out = (np.r_[m, m[::-1]], np.r_[lo, hi[::-1]])
    else:
        out = (np.zeros(0), np.zeros(0))
    cache.save(path, key, {"mass_GeV": out[0], "coupling": out[1]})
    return out


def computed_constraint(name: str, model):
    """The region the dump ``name`` excludes for ``model``, as a
    :class:`mudump.constraints.Constraint` marked computed (None if it excludes nothing, or only
    at one mass of the grid)."""
    from ..models import get_model
    from . import Constraint

    dump = dumps()[name]
    mdl = get_model(model)
    m, g = cached_region(dump, mdl)
    if np.unique(m).size < 2:  # nothing, or a sliver at one mass of the grid: no region to draw
        return None
    m.flags.writeable = False
    g.flags.writeable = False
    calibrated = [k for k, v in dump.status.items() if v.startswith("calibrated")]
    return Constraint(
        name=name, label=f"{dump.label}", citation=f"{dump.experiment}; computed by mudump (electron beam dump, "
        f"parameters calibrated on its dark-photon limit: {', '.join(calibrated)})",
        bibtex=dump.bibtex, confidence_level=dump.confidence_level,
        cl_note=dump.status["confidence_level"], digitised="computed by mudump.constraints.electron_dumps",
        shape="region", mass_GeV=m, coupling=g, kind=mdl.kind, couplings=dict(mdl.ratios),
        dark_sector_allowed=True, conversion="identity", default=True, computed=True)


__all__ += ["couples_to_electrons", "cached_region", "computed_constraint", "COUPLINGS"]
