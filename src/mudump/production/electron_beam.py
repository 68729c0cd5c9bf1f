"""Production of X by an electron beam in a thick target: the :class:`ProductionTable` that
:class:`mudump.signal.Yield` consumes, built from the beam electron's track length in the
target (:mod:`mudump.shower`) instead of the muon's slowing down (:mod:`.tables`).

Yield of a thick target (Bjorken et al., Phys. Rev. D 38 (1988) 3375; Andreas, Niebuhr,
Ringwald, arXiv:1209.6083, section 2, their eq. for N with the track length I_e integrated
over depth):

    dN/dE_X = n_A int dE (dl/dE)(E0, E; T) dsigma/dx(E, x = E_X/E) / E,

per electron on target, with n_A the target's atoms per m^3 and dl/dE Tsai's differential track
length of the primary electron in T = L_target / X0 radiation lengths
(:func:`mudump.shower.track_length_spectrum`). The table's nodes are in the beam electron's
energy E (``e_mu`` holds it) with weights w_ij = n_A dl_i dsigma/dx(E_i, x_j) w_j, dl_i the track
length a node carries (``dz``), and production depth z_i the mean depth at which the beam
electron has energy E_i (:func:`mudump.shower.mean_depth`, at most the target's length). Using
the mean depth instead of the depth distribution moves each X's production point by at most a
few radiation lengths: it changes the distance an X flies before the decay region by a few X0
out of the shield plus the decay region (E137: under 1 m in 383 m; docs/physics.md).

Quadrature. E runs over [max(E_cut, m_X + 2 m_e, E_floor), E0] in y = ln(E0/E), by Gauss-Legendre
in ln y (:data:`E_PANELS` panels) from :data:`Y_NEAR` to y_max, where dl/dE is smooth; above
E0 exp(-Y_NEAR) one node at E0 exp(-Y_NEAR/2) carries the (integrable, singular) track length
there (:func:`mudump.shower.track_length_near_beam`). x runs over [max(m_X, E_cut)/E, 1 - m_e/E]:
by the x rule of :func:`mudump.production.x_nodes` (no acceptance cone); with an acceptance cone
theta < theta_max the phase-space WW d2sigma/(dx dcos theta) is integrated over theta in
log theta from 1e-4 m_e/E0 (:data:`THETA_PANELS` panels) and x in ln(1 - x)
(:data:`X_PANELS_CONE` panels).

Method. Only ``ww`` (phase-space Weizsaecker-Williams, exact t_min(x, theta)): mudump's exact
tree level is tabulated for muon beams only (its ratio to WW is a muon table) and its direct
integration does not converge at the electron's mass; IWW is kept only to compare with muon-beam
papers. Its accuracy for electron beams is not measured by mudump; a comparison of WW with exact
tree level finds total cross sections differing by -20% to +80% for electron beams across
fixed-target setups (arXiv:2409.12748, abstract), against a few percent to O(10%) for muon
beams. The shipped electron-dump presets are calibrated on published dark-photon limits, which
absorbs an overall normalisation (docs/constraints.md). Other methods raise
:class:`mudump.errors.ConfigError`.

Cache: one ``.npz`` per table in ``cache_dir()/production-e``, named by a hash of every input
(mass, material definition, beam energy, target length, E_X cut, energy floor, kind, form
factor, acceptance cone, quadrature settings, version), stored in the file and checked on read.

Units: GeV, metres; weights in X per electron on target at unit electron coupling.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

from .. import cache
from ..constants import M_E
from ..errors import ConfigError
from ..kinds import DEFAULT_KIND, check_kind
from ..materials import get_material
from . import composite_rule
from .formfactors import DEFAULT_FORM_FACTOR, check_form_factor
from .tables import ProductionTable

#: The production methods an electron beam supports (module docstring).
ELECTRON_METHODS = ("ww",)
#: Bumped when the numerics change, so that cached tables are recomputed.
VERSION = 2  # 2: lighter rules (E_PANELS 4, X_PANELS (3, 2))
#: Above E0 exp(-Y_NEAR) the beam electron's energy is taken as E0 (a relative spread of 1e-4).
Y_NEAR = 1e-4
#: Gauss-Legendre panels (of GL_NODES nodes) in ln y, in ln(1 - x) and in ln theta (the cone).
#: With X_PANELS below, the events of the presets (E137, Orsay, E141, E774, NA64-e; at couplings
#: with N > 1e-3) are within 0.3% of a rule 4 times finer in E and x (tests/test_electron_beams.py).
E_PANELS = 4
X_PANELS_CONE = 4
THETA_PANELS = 3
GL_NODES = 12
#: x rule panels (per region) of :func:`mudump.production.x_nodes` without a cone.
X_PANELS = (3, 2)


def check_electron_method(method: str) -> str:
    """``method`` if an electron beam supports it, else ConfigError in one line."""
    if method not in ELECTRON_METHODS:
        raise ConfigError(
            f"method = {method!r} is not available for an electron beam (beam.lepton = 'e'): use "
            f"{' or '.join(ELECTRON_METHODS)} (mudump's exact tree level is tabulated for muon beams only)")
    return method


def energy_nodes(E0: float, e_lo: float, length_m: float, radiation_length_m: float):
    """(E, track length dl in m, mean depth z in m) of the beam-electron energy nodes over
    [e_lo, E0] in a target of ``length_m`` (module docstring)."""
    from ..shower import mean_depth, mean_depth_near_beam, track_length_near_beam, track_length_spectrum

    T = length_m / radiation_length_m
    y_max = np.log(E0 / e_lo)
    if y_max > Y_NEAR:
        lv, wv = composite_rule(np.log(Y_NEAR), np.log(y_max), E_PANELS, GL_NODES)
        y = np.exp(lv)
        E = E0 * np.exp(-y)
        dl = track_length_spectrum(E0, E, T, radiation_length_m) * E * y * wv
        z = mean_depth(E0, E, T, radiation_length_m)
    else:
        E, dl, z = np.zeros(0), np.zeros(0), np.zeros(0)
    y_near = min(Y_NEAR, y_max)
    E = np.r_[E, E0 * np.exp(-0.5 * y_near)]
    dl = np.r_[dl, track_length_near_beam(E0, y_near, T, radiation_length_m)]
    z = np.r_[z, mean_depth_near_beam(E0, y_near, T, radiation_length_m)]
    return E, dl, np.minimum(z, length_m)


def compute_electron_table(m_X, material, energy, length, e_cut=0.0, e_floor=0.0, kind=DEFAULT_KIND,
                           form_factor=DEFAULT_FORM_FACTOR, theta_max=None) -> ProductionTable:
    """The production table (no cache) of an electron beam of ``energy`` GeV on ``length`` m of
    ``material``: X of mass ``m_X`` above E_X > ``e_cut``, from beam electrons above ``e_floor``
    GeV, within ``theta_max`` rad of the beam (None: every angle). Module docstring."""
    from . import dsigma_dx_components, ww, x_nodes
    from ..constants import GEV2_TO_M2
    from .flux import photon_flux

    kind = check_kind(kind)
    check_form_factor(form_factor)
    mat = get_material(material)
    m_X, E0 = float(m_X), float(energy)
    e_lo = max(float(e_cut), m_X + 2.0 * M_E, float(e_floor)) * (1.0 + 1e-9)
    empty = ProductionTable(m_X, np.zeros(0), np.zeros(0), np.zeros((0, 0)), np.zeros((0, 0)), np.zeros(0))
    if e_lo >= E0:
        return empty
    E, dl, z = energy_nodes(E0, e_lo, float(length), mat.radiation_length)
    x_lo = np.maximum(m_X, float(e_cut)) / E
    x_hi = 1.0 - M_E / E
    ok = (x_lo < x_hi) & (dl > 0)
    E, dl, z, x_lo, x_hi = E[ok], dl[ok], z[ok], x_lo[ok], x_hi[ok]
    if E.size == 0:
        return empty
    if theta_max is None:
        x, wx = x_nodes(E, np.full_like(E, m_X), M_E, e_cut=np.full_like(E, float(e_cut)), panels=X_PANELS)
        comps = list(zip(mat.nuclei, mat.number_densities))
        dens = dsigma_dx_components(E[:, None], x, m_X, comps, method="ww", m_l=M_E, form_factor=form_factor,
                                    kind=kind)  # m^-1 per unit x
        w = dens * wx * dl[:, None]
    else:
        u, wu = composite_rule(np.log(1.0 - x_lo), np.log(1.0 - x_hi), X_PANELS_CONE, GL_NODES)
        x = 1.0 - np.exp(u)
        lt, wt = composite_rule(np.log(1e-4 * M_E / E0), np.log(float(theta_max)), THETA_PANELS, GL_NODES)
        theta = np.exp(lt)
        # phase-space WW d2sigma/(dx dcos theta) per atom, m^2 (as mudump.production.d2sigma_dx_dcos,
        # with the form factor asked for)
        d2 = GEV2_TO_M2 * sum(
            frac * ww.d2sigma_dx_dcos(E[:, None, None], x[:, :, None], np.cos(theta), m_X, photon_flux(nuc, form_factor),
                                      M_E, 1.0, kind=kind)
            for nuc, frac in zip(mat.nuclei, mat.number_fractions))
        within = np.sum(d2 * np.sin(theta) * theta * wt, axis=-1)  # m^2 per atom per unit x, theta < theta_max
        w = mat.atom_density * within * np.abs(wu) * (1.0 - x) * dl[:, None]
    w = np.where(np.isfinite(w), np.maximum(w, 0.0), 0.0)
    arrays = (z, E, x * E[:, None], w, dl)
    for a in arrays:
        a.flags.writeable = False
    return ProductionTable(m_X, *arrays)


_SPEC = {"z": ("n_z",), "e_mu": ("n_z",), "e_s": ("n_z", "n_x"), "weight": ("n_z", "n_x"), "dz": ("n_z",)}


def _key(m_X, material, energy, length, e_cut, e_floor, kind, form_factor, theta_max) -> str:
    mat = get_material(material)
    return cache.key_text({
        "v": VERSION, "m_X": repr(float(m_X)),
        "material": [mat.name, repr(mat.density), [[s, repr(w)] for s, w in mat.composition], mat.mean_excitation_eV],
        "energy": repr(float(energy)), "length": repr(float(length)), "e_cut": repr(float(e_cut)),
        "e_floor": repr(float(e_floor)), "kind": kind, "form_factor": form_factor,
        "theta_max": None if theta_max is None else repr(float(theta_max)), "method": "ww",
        "quad": [Y_NEAR, E_PANELS, X_PANELS_CONE, THETA_PANELS, GL_NODES, list(X_PANELS)],
    })


@lru_cache(maxsize=4096)
def electron_table(m_X, material, energy, length, e_cut=0.0, e_floor=0.0, kind=DEFAULT_KIND,
                   form_factor=DEFAULT_FORM_FACTOR, theta_max=None) -> ProductionTable:
    """:func:`compute_electron_table`, from memory, the disk cache, or computed and stored."""
    kind = check_kind(kind)
    key = _key(m_X, material, energy, length, e_cut, e_floor, kind, form_factor, theta_max)
    path = cache.subdir("production-e") / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.npz"
    got = cache.load(path, key, _SPEC)
    if got is not None:
        arrays = tuple(got[k] for k in ("z", "e_mu", "e_s", "weight", "dz"))
        for a in arrays:
            a.flags.writeable = False
        return ProductionTable(float(m_X), *arrays)
    table = compute_electron_table(m_X, material, energy, length, e_cut, e_floor, kind, form_factor, theta_max)
    if table.z.size:
        cache.save(path, key, {"z": table.z, "e_mu": table.e_mu, "e_s": table.e_s, "weight": table.weight,
                               "dz": table.dz})
    return table


__all__ = ["ELECTRON_METHODS", "check_electron_method", "compute_electron_table", "electron_table", "energy_nodes"]
