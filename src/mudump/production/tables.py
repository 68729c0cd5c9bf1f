"""Production of S along a thick target, resolved in depth: computed once per (mass, material,
beam, method, kind) and read for any target length, any muon-energy floor and any E_S cut.

A :class:`ProductionTable` is a set of quadrature points (z_i, E_S,ij) with weights w_ij such
that, for any function f of the production depth and the S energy,

    sum_ij w_ij f(z_i, E_S,ij) = int_0^{z_end} dz n_A int dE_S dsigma/dE_S(E_mu(z), E_S) f(z, E_S)

per muon on target and for g = 1 (docs/physics.md#energy-loss: dN/dz dE_S = n_A dsigma/dE_S(E_mu(z))),
where z_end is the end of the target or the depth at which the muon falls below threshold
(kinematics, the E_S cut, the experiment's muon-energy floor), whichever comes first.

Depth resolution. The track is cut into :data:`DEPTH_PANELS` panels of equal depth
Delta z = R(E_0) / DEPTH_PANELS (R the CSDA range of the beam muon), the last one ending where
the muon falls below the kinematic threshold. The panel edges depend only on the material, the
beam energy and the mass, never on the target length or the cut. Inside a panel the production
density per unit u = ln(T) (T the muon's kinetic energy), rho_j(u) = n_A dsigma/dx(E, x_j(E)) w_j(E) T /
|dE/dz| (x_j, w_j the x rule at that energy), is smooth, so the same rule as
:mod:`mudump.transport` (Gauss-Legendre in ln T) integrates it; it is evaluated at
:data:`PANEL_NODES` Gauss-Legendre nodes and at the two panel edges. A :class:`DepthTable`
holds the panels computed so far (from the entry of the target down to some depth).

Reading a geometry (:meth:`DepthTable.truncate`): production ends at z_end, the target's exit,
the depth where the muon falls below the experiment's floor, or below the threshold of the E_S
cut (E_mu - m_mu > E_cut), whichever comes first (:meth:`DepthTable.end`). The full panels
before z_end are taken as they are; the panel that z_end cuts contributes by a rule on [u(z_end), u_start]
(where z_end is the target's exit: :data:`PARTIAL_NODES` points graded towards it,
:data:`GRADES`, since X made there with decay lengths far below the panel's still leave the
target; else the panel's own rule) whose densities are interpolated (Lagrange, through
the panel's nodes and edges: a polynomial of degree PANEL_NODES + 1) and whose depths, muon and
S energies are exact. No cross section is evaluated: a target length or energy floor costs an
interpolation, and a table computed to depth Z serves every z_end <= Z identically (the same
numbers whatever Z is). A longer target extends the table (more panels), never rebuilds it.

The E_S cut. The x rule at every depth node is a composite Gauss-Legendre rule whose panel edges
do not depend on a cut (:func:`mudump.production.x_nodes`); a cut removes the x panels below it
and replaces the one it falls in by the rule on its part above the cut, with interpolated
densities (:func:`mudump.production.cut_x_rule`), applied to the nodes read for the geometry.
So an E_S cut too costs an interpolation, not a table: the explorer redraws a new cut from the
tables it holds, and scan points that differ only in their cut share one table (accuracy:
docs/physics.md#signals, tests/test_table_reuse.py).

Cache: one ``.npz`` per depth table in ``cache_dir()/production``, named by a hash of every input
that matters (mass, material definition, beam energy, method, lepton, form factor,
kind of X, quadrature settings, mudump's table format version); the inputs themselves are stored
in the file and checked on read, with the shapes and finiteness of the arrays
(:mod:`mudump.cache`): a damaged or stale entry is reported, removed and recomputed. An entry
that covers less depth than asked for is extended and written again.

Arrays returned from the caches (memory or disk) are read-only: they are shared between callers.

Units: GeV, metres; weights in S per muon on target.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .. import cache
from ..constants import LEPTONS, M_MU
from ..materials import energy_loss, get_material
from ..transport import production_threshold
from . import lagrange_basis, unit_gauss_rule, check_method, cut_x_rule, dsigma_dx_components, x_nodes
from .formfactors import DEFAULT_FORM_FACTOR, check_form_factor
from ..kinds import DEFAULT_KIND, check_kind

#: Version of the table format and numerics; bump it to invalidate old cache files.
TABLE_VERSION = 5  # 3: resolved in depth (panels of fixed depth, any target length read from one table);
# 4: the photon flux in power form (equal to 3e-14: tables of both versions must not meet in one scan);
# 5: no E_S cut in the table (the cut is applied when a geometry is read)
#: x quadrature panels (per region) used in the tables: lighter than the default for sigma
#: (the tests check the yields against the default rule to 1e-6).
TABLE_PANELS = (6, 4)
#: Panels along the track (each R(E_0) / DEPTH_PANELS deep), Gauss-Legendre nodes per full
#: panel, and nodes of the rule on the part of a panel that a target end or a floor cuts.
DEPTH_PANELS = 6
PANEL_NODES = 4
#: The graded rule of the panel where production ends: sub-panels at these fractions of its
#: length (halving towards the end, where an X with a decay length much shorter than
#: the panel is made that still leaves the target), SUB_NODES Gauss-Legendre nodes each.
GRADES = tuple(1.0 - 0.5 ** np.arange(9)) + (1.0,)
SUB_NODES = 2
PARTIAL_NODES = (len(GRADES) - 1) * SUB_NODES


_GL_X, _GL_W = unit_gauss_rule(PANEL_NODES)
_sx, _sw = unit_gauss_rule(SUB_NODES)
_GP_X = np.concatenate([a + (b - a) * _sx for a, b in zip(GRADES[:-1], GRADES[1:])])
_GP_W = np.concatenate([(b - a) * _sw for a, b in zip(GRADES[:-1], GRADES[1:])])


def _readonly(*arrays):
    for a in arrays:
        a.flags.writeable = False
    return arrays


@dataclass(frozen=True)
class ProductionTable:
    """Quadrature points of S production in a target, for g = 1, per muon on target."""

    m_S: float
    z: np.ndarray  # (n_z,) production depth, m
    e_mu: np.ndarray  # (n_z,) muon energy at that depth, GeV
    e_s: np.ndarray  # (n_z, n_x) S energy, GeV
    weight: np.ndarray  # (n_z, n_x) S per muon per g^2
    dz: np.ndarray = None  # (n_z,) depth weight of each node, m: weight = n_A dsigma/dx w_x dz

    @property
    def total(self) -> float:
        """S produced per muon on target at g = 1 (above the E_S cut)."""
        return float(self.weight.sum())


def _empty(m_S: float) -> ProductionTable:
    empty = np.zeros((0, 0))
    return ProductionTable(float(m_S), np.zeros(0), np.zeros(0), empty, empty, np.zeros(0))


@dataclass(frozen=True)
class DepthTable:
    """The production of S resolved in depth (module docstring): ``n_p`` panels computed so far.

    ``u_edges`` (n_p + 1,): ln T at the panel edges, decreasing (the entry first); ``z_edges``
    their depths (m). Node arrays have PANEL_NODES rows per panel, panel after panel: ``z``,
    ``e_mu``, ``e_s`` and ``weight`` as in :class:`ProductionTable` (the full panels' rule);
    ``rho`` (n_p + 1, n_x) the density per unit ln T at the edges. ``u_stop``: ln T where the muon
    falls below the kinematic threshold (the end of the last possible panel);
    ``complete``: the panels reach it."""

    m_S: float
    energy: float
    material: str
    m_l: float
    u_edges: np.ndarray
    z_edges: np.ndarray
    z: np.ndarray
    e_mu: np.ndarray
    e_s: np.ndarray
    weight: np.ndarray
    rho: np.ndarray
    dz: np.ndarray
    u_stop: float
    complete: bool

    @property
    def n_panels(self) -> int:
        return max(self.u_edges.size - 1, 0)

    @property
    def depth(self) -> float:
        """The depth (m) the computed panels cover (inf once they reach the threshold)."""
        return np.inf if self.complete else float(self.z_edges[-1])

    def end_u(self, length: float, e_floor: float = 0.0, t_exit: "float | None" = None, e_cut: float = 0.0) -> float:
        """ln T at the end of production for a target of ``length`` m, a muon-energy floor
        ``e_floor`` (GeV) and an E_S cut ``e_cut`` (GeV): the exit, the floor or the threshold
        (:func:`mudump.transport.production_threshold`), whichever comes first. ``t_exit``: the
        muon's kinetic energy at the exit if already known (:func:`exit_kinetic`)."""
        if t_exit is None:
            t_exit = exit_kinetic(self.material, self.energy, length)
        ends = [self.u_stop]
        if t_exit > 0:
            ends.append(np.log(t_exit))
        e_thr = production_threshold(self.m_S, self.m_l, e_cut, e_floor)
        if e_thr > M_MU:
            ends.append(np.log(e_thr - M_MU))
        return max(ends)

    def end(self, length: float, e_floor: float = 0.0, t_exit: "float | None" = None,
            e_cut: float = 0.0) -> tuple[float, bool]:
        """(ln T at the end of production, whether that end is the target's exit) for a target of
        ``length`` m, a muon-energy floor ``e_floor`` and an E_S cut ``e_cut``: with the cut, the
        arguments of :meth:`truncate`."""
        if t_exit is None:
            t_exit = exit_kinetic(self.material, self.energy, length)
        u = self.end_u(length, e_floor, t_exit, e_cut)
        return u, bool(t_exit > 0 and np.log(t_exit) >= u)

    def read(self, length: float, e_floor: float = 0.0, e_cut: float = 0.0) -> ProductionTable:
        """The :class:`ProductionTable` of a target of ``length`` m, a muon-energy floor
        ``e_floor`` and an E_S cut ``e_cut`` (GeV): :meth:`truncate` at :meth:`end`."""
        if not self.n_panels:
            return _empty(self.m_S)
        u_end, at_exit = self.end(length, e_floor, None, e_cut)
        return self.truncate(u_end, at_exit, e_cut)

    def covers(self, u_end: float) -> bool:
        return self.complete or (self.n_panels > 0 and u_end >= self.u_edges[-1])

    def truncate(self, u_end: float, at_exit: bool = True, e_cut: float = 0.0) -> ProductionTable:
        """The :class:`ProductionTable` of production down to ln T = ``u_end`` (which the table
        must cover: :meth:`covers`) of S above E_S > ``e_cut`` GeV; see the module docstring.
        ``at_exit``: production ends at the target's exit (then the last panel gets the graded
        rule; where it ends at the floor or the threshold, the X still has target to cross and the
        panel's own rule is used). ``u_end`` and ``at_exit`` are those of :meth:`end` with the
        same cut (the cut's threshold ends production). Its arrays are read-only."""
        u_top = self.u_edges[0] if self.n_panels else -np.inf
        if self.n_panels == 0 or u_end >= u_top:
            return _empty(self.m_S)
        if not self.covers(u_end):
            raise ValueError(f"depth table covers ln T >= {self.u_edges[-1]:g}, asked for {u_end:g}")
        u_end = max(u_end, float(self.u_edges[-1]))
        # full panels: those that end above u_end (or at it, unless production ends at the exit:
        # then the panel in which it ends, even at its lower edge, gets the graded rule)
        tol = 1e-12 * max(1.0, abs(u_end))
        if at_exit:
            n_full = int(np.count_nonzero(self.u_edges[1:] > u_end + tol))
        else:
            n_full = int(np.count_nonzero(self.u_edges[1:] >= u_end - tol))
        k = n_full * PANEL_NODES
        parts = [(self.z[:k], self.e_mu[:k], self.e_s[:k], self.weight[:k], self.dz[:k])]
        if n_full < self.n_panels:
            parts.append(self._partial(n_full, max(u_end, float(self.u_edges[n_full + 1])), at_exit))
        z, e_mu, e_s, w, dz = (np.concatenate(a) for a in zip(*parts))
        if e_cut > self.m_S:  # (E_S >= m_S: a lower cut removes nothing)
            x0 = e_s / e_mu[:, None]
            x, w = cut_x_rule(e_mu, self.m_S, self.m_l, e_cut, x0, w, TABLE_PANELS)
            e_s = np.where(x == x0, e_s, x * e_mu[:, None])  # the nodes the cut moved
        return ProductionTable(self.m_S, *_readonly(z, e_mu, e_s, w, dz))

    def _partial(self, k: int, u_end: float, graded: bool = True):
        """Nodes of panel ``k`` from its start down to ``u_end`` (interpolated densities), by the
        graded rule or by the panel's own Gauss-Legendre rule."""
        hi, lo = float(self.u_edges[k]), float(self.u_edges[k + 1])
        rows = slice(k * PANEL_NODES, (k + 1) * PANEL_NODES)
        span = hi - lo
        # interpolation nodes in s = (hi - u) / span, in [0, 1]: the edges and the full rule's nodes
        s_nodes = np.r_[0.0, _GL_X, 1.0]
        rho_nodes = np.concatenate([self.rho[k][None], self.weight[rows] / (span * _GL_W[:, None]), self.rho[k + 1][None]])
        s_c = (hi - u_end) / span
        s_new, s_w = (s_c * _GP_X, s_c * _GP_W) if graded else (s_c * _GL_X, s_c * _GL_W)
        rho = lagrange_basis(s_new, s_nodes) @ rho_nodes  # (PARTIAL_NODES, n_x)
        u = hi - s_new * span
        T = np.exp(u)
        E = T + M_MU
        el = energy_loss(self.material)
        z = np.asarray(el.path_length(self.energy, E), dtype=float)
        dz = span * s_w * T / np.asarray(el.dEdz(E), dtype=float)
        x, _ = x_nodes(E, np.full_like(E, self.m_S), self.m_l, panels=TABLE_PANELS)
        w = np.maximum(rho, 0.0) * (span * s_w)[:, None]
        return z, E, x * E[:, None], w, dz


@lru_cache(maxsize=4096)
def exit_kinetic(material, energy: float, length: float) -> float:
    """Kinetic energy (GeV) of a muon of total energy ``energy`` after ``length`` m of
    ``material`` (continuous slowing down; 0 once stopped)."""
    return float(energy_loss(material).energy_after(energy, length)) - M_MU


def _key(m_S, material, energy, method="etl", lepton="mu", form_factor=DEFAULT_FORM_FACTOR, kind=DEFAULT_KIND) -> str:
    """The canonical text of every input of a depth table (stored in its cache entry). The
    target length, the energy floor and the E_S cut are not inputs of it (any of them is read
    from it)."""
    mat = get_material(material)
    doc = {
        "v": TABLE_VERSION,
        "m_S": repr(float(m_S)),
        "material": [mat.name, repr(mat.density), [[s, repr(w)] for s, w in mat.composition], mat.mean_excitation_eV],
        "energy": repr(float(energy)),
        "method": method,
        "lepton": lepton,
        "form_factor": form_factor,
        "kind": kind,
        "quad": [DEPTH_PANELS, PANEL_NODES, [repr(float(g)) for g in GRADES], SUB_NODES, list(TABLE_PANELS)],
    }
    return cache.key_text(doc)


def _panel_geometry(mat, energy, m_S, m_l):
    """(u_edges of every possible panel, their depths, u_stop) for this beam and threshold."""
    el = energy_loss(mat)
    e_thr = production_threshold(m_S, m_l)
    if e_thr >= energy:
        return np.zeros(0), np.zeros(0), -np.inf
    u_stop = float(np.log(e_thr - M_MU))
    dz = float(el.csda_range(energy)) / DEPTH_PANELS
    z = dz * np.arange(DEPTH_PANELS + 1)
    t = np.asarray(el.energy_after(energy, z), dtype=float) - M_MU
    u = np.log(np.maximum(t, 1e-300))
    keep = u > u_stop
    u, z = u[keep], z[keep]
    u = np.r_[u, u_stop]
    z = np.r_[z, float(el.path_length(energy, e_thr))]
    return u, z, u_stop


def _compute_panels(mat, energy, m_S, m_l, method, form_factor, kind, u_edges):
    """Node arrays and edge densities of the panels between consecutive ``u_edges``."""
    el = energy_loss(mat)
    n_p = u_edges.size - 1
    hi, lo = u_edges[:-1, None], u_edges[1:, None]
    u_nodes = (hi - _GL_X * (hi - lo)).ravel()  # panel-major, PANEL_NODES per panel
    u_all = np.r_[u_nodes, u_edges]
    T = np.exp(u_all)
    E = T + M_MU
    m = np.full_like(E, m_S)
    x, wx = x_nodes(E, m, m_l, panels=TABLE_PANELS)
    comps = list(zip(mat.nuclei, mat.number_densities))
    dsig = dsigma_dx_components(E[:, None], x, m[:, None], comps, method=method, m_l=m_l, form_factor=form_factor,
                                kind=kind)  # m^-1 per unit x
    dz_du = T / np.asarray(el.dEdz(E), dtype=float)
    rho = dsig * wx * dz_du[:, None]  # per unit ln T
    rho = np.where(np.isfinite(rho), rho, 0.0)
    k = n_p * PANEL_NODES
    span = np.repeat((u_edges[:-1] - u_edges[1:]), PANEL_NODES)
    du = span * np.tile(_GL_W, n_p)
    weight = rho[:k] * du[:, None]
    z = np.asarray(el.path_length(energy, E[:k]), dtype=float)
    return z, E[:k], x[:k] * E[:k, None], weight, rho[k:], dz_du[:k] * du


def compute_depth_table(
    m_S, material, energy, depth, method, lepton="mu", form_factor=DEFAULT_FORM_FACTOR, kind=DEFAULT_KIND,
    start: "DepthTable | None" = None,
) -> DepthTable:
    """Compute (no cache) the depth table covering at least ``depth`` metres (inf: down to the
    threshold), or extend ``start`` (a table of the same inputs) to cover it."""
    mat = get_material(material)
    method, kind = check_method(method), check_kind(kind)
    m_l = LEPTONS[lepton]
    u_all, z_all, u_stop = _panel_geometry(mat, energy, m_S, m_l)
    if u_all.size == 0:
        e = np.zeros(0)
        e2 = np.zeros((0, 0))
        return DepthTable(float(m_S), float(energy), mat.name, m_l, e, e, e, e, e2, e2, e2, e, u_stop, True)
    # panels needed: up to the first edge at or beyond the depth
    need = int(np.searchsorted(z_all, depth, side="left"))
    n_need = min(max(need, 1), u_all.size - 1)
    have = 0 if start is None else start.n_panels
    if start is not None and have >= n_need:
        return start
    new = _compute_panels(mat, energy, m_S, m_l, method, form_factor, kind, u_all[have:n_need + 1])
    if start is not None and have:
        z, e_mu, e_s, w, dz = (np.concatenate([a, b]) for a, b in
                               zip((start.z, start.e_mu, start.e_s, start.weight, start.dz), new[:4] + new[5:]))
        rho = np.concatenate([start.rho[:-1], new[4]])
    else:
        z, e_mu, e_s, w, rho, dz = new
    return DepthTable(float(m_S), float(energy), mat.name, m_l, u_all[:n_need + 1], z_all[:n_need + 1],
                      z, e_mu, e_s, w, rho, dz, u_stop, n_need == u_all.size - 1)


#: What a cache entry must hold (:func:`mudump.cache.load`): names and shapes.
_SPEC = {"m_S": (), "u_edges": ("n_e",), "z_edges": ("n_e",), "z": ("n_z",), "e_mu": ("n_z",), "e_s": ("n_z", "n_x"),
         "weight": ("n_z", "n_x"), "rho": ("n_e", "n_x"), "dz": ("n_z",)}

_lock = threading.Lock()
_memory: dict[str, DepthTable] = {}


def _entry_path(key: str):
    return cache.subdir("production") / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.npz"


def depth_table(
    m_S, material, energy, depth, method, lepton="mu", form_factor=DEFAULT_FORM_FACTOR, kind=DEFAULT_KIND,
) -> DepthTable:
    """The depth table of these inputs covering at least ``depth`` metres (inf: the whole
    track), from memory, the disk cache, or computed; a cached table that covers less is
    extended (and written again). Arrays are read-only."""
    method, kind = check_method(method), check_kind(kind)
    check_form_factor(form_factor)
    key = _key(m_S, material, energy, method, lepton, form_factor, kind)
    with _lock:
        table = _memory.get(key)
    if table is not None and (table.complete or table.depth >= depth):
        return table
    mat = get_material(material)
    path = _entry_path(key)
    if table is None:
        f = cache.load(path, key, _SPEC)
        if f is not None:
            u, zs = f["u_edges"], f["z_edges"]
            u_all, _, u_stop = _panel_geometry(mat, energy, m_S, LEPTONS[lepton])
            # the stored edges must be the first edges of this geometry (else: stale, recompute)
            if u.size >= 2 and u.size <= u_all.size and np.allclose(u, u_all[:u.size], rtol=0, atol=1e-12):
                table = DepthTable(float(m_S), float(energy), mat.name, LEPTONS[lepton], u, zs, f["z"],
                                   f["e_mu"], f["e_s"], f["weight"], f["rho"], f["dz"], u_stop, u.size == u_all.size)
    if table is None or not (table.complete or table.depth >= depth):
        grown = compute_depth_table(m_S, mat, energy, depth, method, lepton, form_factor, kind, start=table)
        if grown.n_panels and grown is not table:
            cache.save(path, key, {"m_S": np.array(grown.m_S), "u_edges": grown.u_edges, "z_edges": grown.z_edges,
                                   "z": grown.z, "e_mu": grown.e_mu, "e_s": grown.e_s, "weight": grown.weight,
                                   "rho": grown.rho, "dz": grown.dz})
        table = grown
    _readonly(table.u_edges, table.z_edges, table.z, table.e_mu, table.e_s, table.weight, table.rho, table.dz)
    with _lock:
        _memory[key] = table
    return table


def clear_memory() -> None:
    """Forget the depth tables held in this process (the disk cache stays)."""
    with _lock:
        _memory.clear()


def compute_table(
    m_S, material, energy, length, method, lepton="mu", e_cut=0.0, form_factor=DEFAULT_FORM_FACTOR, e_floor=0.0,
    kind=DEFAULT_KIND,
) -> ProductionTable:
    """Compute a production table (no cache) for a target of ``length`` m. See the module
    docstring for its meaning. ``e_floor``: muons below this total energy (GeV) make no signal
    (the experiment's floor, :func:`mudump.transport.production_threshold`); ``kind`` the kind of
    X (:data:`.kinds.KINDS`)."""
    dt = compute_depth_table(m_S, material, energy, length, method, lepton, form_factor, kind)
    return dt.read(length, e_floor, e_cut)


@lru_cache(maxsize=4096)
def production_table(
    m_S, material, energy, length, method, lepton="mu", e_cut=0.0, form_factor=DEFAULT_FORM_FACTOR, e_floor=0.0,
    kind=DEFAULT_KIND,
) -> ProductionTable:
    """The production table for these inputs, read from the depth table (memory, disk cache, or
    computed and stored: :func:`depth_table`). Arguments as :func:`compute_table` (material by
    name). Its arrays are read-only."""
    dt = depth_table(m_S, material, energy, length, method, lepton, form_factor, kind)
    return dt.read(length, e_floor, e_cut)


def _clear():
    clear_memory()
    _production_table_cache_clear()


_production_table_cache_clear = production_table.cache_clear
production_table.cache_clear = _clear  # clearing the tables clears the depth tables behind them
