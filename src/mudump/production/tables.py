"""Production of S along a thick target, computed once per (mass, target, beam) and cached.

A :class:`ProductionTable` is a set of quadrature points (z_i, E_S,ij) with weights w_ij such
that, for any function f of the production depth and the S energy,

    sum_ij w_ij f(z_i, E_S,ij) = int_0^{L} dz n_A int dE_S dsigma/dE_S(E_mu(z), E_S) f(z, E_S)

per muon on target and for g = 1 (physics.md section 5: dN/dz dE_S = n_A dsigma/dE_S(E_mu(z))).
The muon energy along the track comes from :mod:`mudump.transport`, the cross section from
:mod:`mudump.production` (per atom, summed over the components of a compound). Rescaling to any
coupling is the caller's job: production goes as g^2.

Cache: one ``.npz`` per table in ``cache_dir()/production``, named by a hash of every input that
matters (mass, material definition, beam energy, target length, method, lepton, E_S cut,
form factor, muon energy floor, kind of X, quadrature settings, mudump's table format version); the inputs
themselves are stored in the file and checked on read, with the shapes and finiteness of the
arrays (:mod:`mudump.cache`): a damaged or stale entry is reported, removed and recomputed.

Units: GeV, metres; weights in S per muon on target.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .. import transport
from .. import cache
from ..constants import GEV2_TO_M2, LEPTONS
from ..materials import get_material
from . import _KERNELS, _x_nodes, check_method
from .flux import photon_flux
from .formfactors import DEFAULT_FORM_FACTOR, check_form_factor
from ..kinds import DEFAULT_KIND, check_kind

#: Version of the table format and numerics; bump it to invalidate old cache files.
TABLE_VERSION = 2  # 2: the inputs are stored in the entry
#: x quadrature panels (per region) used in the tables: lighter than the default for sigma
#: (the tests check the yields against the default rule to 1e-3).
TABLE_PANELS = (6, 4)


@dataclass(frozen=True)
class ProductionTable:
    """Quadrature points of S production in a target, for g = 1, per muon on target."""

    m_S: float
    z: np.ndarray  # (n_z,) production depth, m
    e_mu: np.ndarray  # (n_z,) muon energy at that depth, GeV
    e_s: np.ndarray  # (n_z, n_x) S energy, GeV
    weight: np.ndarray  # (n_z, n_x) S per muon per g^2

    @property
    def total(self) -> float:
        """S produced per muon on target at g = 1 (above the E_S cut)."""
        return float(self.weight.sum())


#: What a cache entry must hold (:func:`mudump.cache.load`): names and shapes.
_SPEC = {"m_S": (), "z": ("n_z",), "e_mu": ("n_z",), "e_s": ("n_z", "n_x"), "weight": ("n_z", "n_x")}


def _key(m_S, material, energy, length, method, lepton, e_cut, form_factor, e_floor=0.0, kind=DEFAULT_KIND) -> str:
    """The canonical text of every input of a table (stored in its cache entry)."""
    mat = get_material(material)
    doc = {
        "v": TABLE_VERSION,
        "m_S": repr(float(m_S)),
        "material": [mat.name, repr(mat.density), [[s, repr(w)] for s, w in mat.composition], mat.mean_excitation_eV],
        "energy": repr(float(energy)),
        "length": repr(float(length)),
        "method": method,
        "lepton": lepton,
        "e_cut": repr(float(e_cut)),
        "form_factor": form_factor,
        "e_floor": repr(float(e_floor)),
        "kind": kind,
        "quad": [transport.DEPTH_NODES, list(TABLE_PANELS)],
    }
    return cache.key_text(doc)


def compute_table(
    m_S, material, energy, length, method, lepton="mu", e_cut=0.0, form_factor=DEFAULT_FORM_FACTOR, e_floor=0.0,
    kind=DEFAULT_KIND,
) -> ProductionTable:
    """Compute a production table (no cache). See the module docstring for its meaning.
    ``e_floor``: muons below this total energy (GeV) make no signal (the experiment's floor,
    :func:`mudump.transport.production_threshold`); ``kind`` the kind of X (:data:`.kinds.KINDS`)."""
    mat = get_material(material)
    method = check_method(method)
    kind = check_kind(kind)
    m_l = LEPTONS[lepton]
    tr = transport.track(mat, energy, length, e_min=transport.production_threshold(m_S, m_l, e_cut, e_floor))
    if tr.z.size == 0:
        empty = np.zeros((0, 0))
        return ProductionTable(float(m_S), np.zeros(0), np.zeros(0), empty, empty)
    E = tr.energy
    m = np.full_like(E, m_S)
    x, wx = _x_nodes(E, m, m_l, e_cut=np.full_like(E, e_cut), panels=TABLE_PANELS)  # (n_z, n_x)
    kernel = _KERNELS[method]
    dsig = 0.0
    for nuc, n in zip(mat.nuclei, mat.number_densities):
        dsig = dsig + n * kernel(E[:, None], x, m[:, None], photon_flux(nuc, form_factor), m_l, kind=kind)  # GeV^-2/m^3
    weight = dsig * GEV2_TO_M2 * wx * tr.dz[:, None]
    return ProductionTable(float(m_S), tr.z, tr.energy, x * E[:, None], weight)


@lru_cache(maxsize=4096)
def production_table(
    m_S, material, energy, length, method, lepton="mu", e_cut=0.0, form_factor=DEFAULT_FORM_FACTOR, e_floor=0.0,
    kind=DEFAULT_KIND,
) -> ProductionTable:
    """The production table for these inputs, from memory, the disk cache, or computed (and
    then stored). Arguments as :func:`compute_table` (material by name)."""
    method = check_method(method)
    kind = check_kind(kind)
    check_form_factor(form_factor)
    key = _key(m_S, material, energy, length, method, lepton, e_cut, form_factor, e_floor, kind)
    path = cache.subdir("production") / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.npz"
    f = cache.load(path, key, _SPEC)
    if f is not None:
        return ProductionTable(float(f["m_S"]), f["z"], f["e_mu"], f["e_s"], f["weight"])
    # about 10 ms each (no progress line of its own: the callers' scans report theirs)
    table = compute_table(m_S, material, energy, length, method, lepton, e_cut, form_factor, e_floor, kind)
    cache.save(path, key, {"m_S": np.array(table.m_S), "z": table.z, "e_mu": table.e_mu, "e_s": table.e_s,
                           "weight": table.weight})
    return table
