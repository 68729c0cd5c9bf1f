"""Reach of many design points at once, sharing production.

Production depends only on the beam (energy, lepton), the target material, the method, the form
factor and the kind of X (:func:`table_key`). Design points that share these share one
depth-resolved production table per mass (:class:`mudump.production.tables.DepthTable`), computed
once for the longest target among them: each point's target length, muon-energy floor and E_S
cut are read from it (:meth:`~mudump.production.tables.DepthTable.truncate`, no cross section
evaluated), points with the same E_S cut (:func:`production_key`) and production end share the
truncated table, and everything downstream of production
(shield and decay lengths, muons on target, statistics, the model of the same kind) is applied
to it by :class:`mudump.signal.Yield`. The numbers are those of :func:`mudump.reach.reach` for
each point: the same tables, the same event function, the same interval search.

Units: masses in GeV; couplings g_mu dimensionless; lengths in metres.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Callable, Mapping, Optional, Sequence

import numpy as np

from .errors import MudumpError
from .experiments import load_experiment
from .models import get_model
from .production import DEFAULT_METHOD, check_method
from .production.formfactors import DEFAULT_FORM_FACTOR, check_form_factor
from .production.tables import DepthTable, depth_table, exit_kinetic
from .progress import task


def table_key(experiment, model, method: str = DEFAULT_METHOD, form_factor: str = DEFAULT_FORM_FACTOR) -> str:
    """A key equal for design points that read their production from the same depth tables:
    beam energy and lepton, target material, method, form factor and the kind of X (target
    length, energy floor, E_S cut, everything downstream and the model's couplings do not
    enter)."""
    e = load_experiment(experiment)
    return json.dumps([e.beam.energy_GeV, e.beam.lepton, e.target.material, check_method(method), form_factor,
                       get_model(model).kind])


def production_key(experiment, model, method: str = DEFAULT_METHOD, form_factor: str = DEFAULT_FORM_FACTOR) -> str:
    """A key equal for design points whose production is the same function of depth: those of
    :func:`table_key` with the same E_S cut."""
    e = load_experiment(experiment)
    return json.dumps([table_key(e, model, method, form_factor), e.signature.e_cut_GeV])


def depth_tables(experiments: Sequence, model, masses, method: str = DEFAULT_METHOD,
                 form_factor: str = DEFAULT_FORM_FACTOR,
                 progress: Optional[Callable[[int, int], None]] = None) -> dict[tuple[str, float], DepthTable]:
    """The depth tables that the design points need: {(table_key, mass): DepthTable}, each
    covering the longest target of its points (from the caches, or computed and stored).
    Pass the result to :func:`reach_many` (e.g. on other workers) so that nothing is recomputed."""
    mdl = get_model(model)
    deepest: dict[str, tuple] = {}
    for exp in experiments:
        e = load_experiment(exp)
        if e.beam.lepton != "mu":  # electron beams: a table per point (reach_many)
            continue
        k = table_key(e, mdl, method, form_factor)
        d = deepest.get(k)
        if d is None or e.target.length_m > d[1]:
            deepest[k] = (e, e.target.length_m)
    out = {}
    total, done = len(deepest) * len(masses), 0
    longest = max((length for _, length in deepest.values()), default=0.0)
    with task(f"production tables resolved in depth (targets up to {longest:g} m)", total=total) as bar:
        for k, (e, length) in deepest.items():
            for m in masses:
                out[(k, float(m))] = depth_table(float(m), e.target.material, e.beam.energy_GeV, length, method,
                                                 e.beam.lepton, form_factor, mdl.kind)
                done += 1
                bar.update(done)
                if progress:
                    progress(done, total)
    return out


def reach_many(
    experiments: Sequence,
    model,
    masses,
    couplings,
    method: str = DEFAULT_METHOD,
    form_factor: str = DEFAULT_FORM_FACTOR,
    tables: Optional[Mapping[tuple[str, float], DepthTable]] = None,
    progress: Optional[Callable[[int, int], None]] = None,
) -> list:
    """The excluded coupling intervals of many design points for one model: per experiment
    (preset name, path or Experiment) a list with, per mass, the intervals [(g_lo, g_hi), ...]
    as in :attr:`mudump.reach.ReachResult.intervals` (the numbers of ``reach(experiment, model,
    masses, couplings, method, form_factor=form_factor, refine_thresholds=False)`` to ~1e-7:
    the same production tables and physics, the event function evaluated for all points that
    share a table at once by :class:`YieldSet`), or the error message (str) of a point that fails.
    ``tables``: depth tables from :func:`depth_tables` (computed here when missing).
    ``progress(done, total)`` counts masses."""
    mdl = get_model(model)
    method = check_method(method)
    check_form_factor(form_factor)
    masses = np.atleast_1d(np.asarray(masses, dtype=float))
    couplings = np.sort(np.atleast_1d(np.asarray(couplings, dtype=float)))
    exps: list = []  # Experiment, or None for a point done or failed
    out: list = []  # per point: the intervals per mass, or an error message
    limits: list = []
    for exp in experiments:
        try:
            e = load_experiment(exp)
            lim = e.statistics.limit()
            exps.append(e)
            limits.append(lim.n_up)
            out.append([])
        except MudumpError as exc:
            exps.append(None)
            limits.append(None)
            out.append(str(exc))
    # electron beams have no depth table shared across points (their production table depends on
    # the target length): each is the plain reach on its own table (mudump.production.electron_beam)
    for i, e in enumerate(exps):
        if e is not None and e.beam.lepton != "mu":
            from .reach import reach

            try:
                out[i] = reach(e, mdl, masses, couplings, method, form_factor=form_factor,
                               refine_thresholds=False).intervals
            except MudumpError as exc:
                out[i] = str(exc)
            exps[i] = None
    live = [i for i, e in enumerate(exps) if e is not None]
    keys = {i: production_key(exps[i], mdl, method, form_factor) for i in live}
    tkeys = {i: table_key(exps[i], mdl, method, form_factor) for i in live}
    tables = dict(tables or {})
    # points without their tables, or with a target longer than the tables given cover: their
    # tables are extended (computed only where no cache holds them), never extrapolated
    missing = [exps[i] for i in live
               if any((tkeys[i], float(m)) not in tables or tables[(tkeys[i], float(m))].depth < exps[i].target.length_m
                      for m in masses)]
    if missing:
        tables.update(depth_tables(missing, mdl, masses, method, form_factor))
    exits: dict[tuple, float] = {}
    for j, m in enumerate(masses):
        truncated: dict[tuple, object] = {}
        sets: dict[tuple, list[int]] = {}  # (production key, end, D, signature) -> points
        grids: dict[str, tuple] = {}
        table_of: dict[str, str] = {}  # production key -> the key of its depth tables
        for i in live:
            if isinstance(out[i], str):
                continue
            e = exps[i]
            try:
                dt = tables[(tkeys[i], float(m))]
                ek = (e.target.material, e.beam.energy_GeV, e.target.length_m)
                if ek not in exits:
                    exits[ek] = exit_kinetic(*ek)
                e_cut = e.signature.e_cut_GeV
                u_end, at_exit = dt.end(e.target.length_m, e.target.min_muon_energy_GeV, exits[ek], e_cut) \
                    if dt.n_panels else (0.0, True)
                tk = (keys[i], u_end, at_exit)
                if tk not in truncated:
                    if dt.n_panels and not dt.covers(u_end):  # a target beyond the table: extend it
                        dt = depth_table(float(m), e.target.material, e.beam.energy_GeV, e.target.length_m, method,
                                         e.beam.lepton, form_factor, mdl.kind)
                        tables[(tkeys[i], float(m))] = dt
                    truncated[tk] = dt.truncate(u_end, at_exit, e_cut)
                    if keys[i] not in grids:
                        grids[keys[i]] = _node_functions(keys[i], dt)
                        table_of[keys[i]] = tkeys[i]
                before = e.target.length_m + e.downstream.shield_length_m
                sets.setdefault((tk, before, e.signature.kind), []).append(i)
            except MudumpError as exc:
                out[i] = str(exc)
        for (tk, before, kind), idx in sets.items():
            grid, node_cache = grids[tk[0]]
            ys = YieldSet(truncated[tk], mdl, kind=kind, before=before,
                          regions=[exps[i].downstream.length_m for i in idx],
                          muons=[exps[i].beam.leptons_on_target for i in idx], n_up=[limits[i] for i in idx],
                          grid=grid, node_cache=node_cache)
            for i, iv in zip(idx, intervals_of_set(ys, couplings)):
                out[i].append(iv)
        for k, (grid, nodes) in grids.items():
            _keep_node_functions(k, tables[(table_of[k], float(m))], grid, nodes)
        if progress:
            progress(j + 1, masses.size)
    return out


#: The tabulated node functions F_i of the depth tables' own nodes (:class:`YieldSet`), kept in
#: this process across calls of :func:`reach_many` (a scan's design points arrive in several
#: tasks, each with every mass): per (production key, mass, grid), at most NODE_MEMORY of them,
#: the oldest dropped (one is 2 x ~500 floats; 24 nodes a table for FNAL-mu: ~20 MB for 100
#: masses). The nodes of a target's last, partial panel are not kept (one per target length).
NODE_MEMORY = 512
_node_memory: "OrderedDict[tuple, dict]" = OrderedDict()
_node_lock = threading.Lock()


def _node_functions(key: str, dt: DepthTable) -> tuple:
    """(grid, node cache) for the :class:`YieldSet` of the points at this table's mass: the
    grid of :func:`laplace_grid` and a fresh dict holding the node functions kept in memory."""
    grid = laplace_grid(dt, dt.m_S)
    with _node_lock:
        kept = _node_memory.get((key, dt.m_S, grid))
        return grid, dict(kept) if kept else {}


def _keep_node_functions(key: str, dt: DepthTable, grid, nodes: dict) -> None:
    """Keep the node functions of ``dt``'s own nodes (see NODE_MEMORY)."""
    own = set(zip(np.asarray(dt.z, dtype=float).tolist(), np.asarray(dt.e_mu, dtype=float).tolist()))
    keep = {k: v for k, v in nodes.items() if k in own}
    if not keep:
        return
    with _node_lock:
        _node_memory[(key, dt.m_S, grid)] = keep
        _node_memory.move_to_end((key, dt.m_S, grid))
        while len(_node_memory) > NODE_MEMORY:
            _node_memory.popitem(last=False)


__all__ = ["depth_tables", "production_key", "reach_many", "table_key"]


# ----------------------------------------------------------------------------------------------
# the event function of many design points on one production table, vectorised

#: Per depth node i, F_i(lambda) = sum_j w_ij exp(-lambda / l_ij) (l_ij the lab decay length per
#: unit width of its x nodes) is evaluated by its Taylor series (to SERIES_ORDER, moments of the
#: node) where lambda / l_min < SERIES_EPS (relative error below SERIES_EPS^(K+1)/(K+1)! = 2e-11),
#: taken as 0 where lambda / l_max exceeds DROP_CUT (then F_i < w_i e^{-80} = 2e-35 w_i: with
#: at most 1e20 muons on target and w_i < 1, under 1e-14 events), and in between by
#: cubic Hermite interpolation of ln F_i in ln lambda on a grid of step GRID_STEP, with the exact
#: derivative (relative error about |ln F| GRID_STEP^4 / 384, below 2e-7 where |ln F| < 10, that
#: is wherever the events can be near a limit; the tests check edges against Yield to 1e-6).
SERIES_EPS = 0.05
SERIES_ORDER = 5
DROP_CUT = 80.0
GRID_STEP = 0.05
#: Points evaluated together (bounds the size of the temporaries).
POINT_CHUNK = 48


def laplace_grid(table, m_S: float):
    """(v0, step, n) of a ln(lambda) grid that covers the nodes of a depth table (and, with a
    margin, the interpolated nodes of any target length read from it): shared by the
    :class:`YieldSet` of every design point at this mass, whose depth nodes then share their
    tabulated F_i (``node_cache``). Every grid is a stretch of one lattice, ln lambda = k
    GRID_STEP for integers k, so that a node's F_i, tabulated at the same lambdas and
    interpolated between the same two, does not depend on the stretch: the events are the same
    numbers whatever grid (or table depth, or history of a process) served them."""
    from .models.widths import lab_decay_length

    e_s = np.asarray(table.e_s)[np.asarray(table.weight) > 0]
    if e_s.size == 0:
        return None
    with np.errstate(divide="ignore"):
        pw = 1.0 / lab_decay_length(e_s, m_S, 1.0)
    pw = pw[np.isfinite(pw) & (pw > 0)]
    if pw.size == 0:
        return None
    k0 = int(np.floor((np.log(SERIES_EPS / pw.max()) - 3.0) / GRID_STEP))
    k1 = int(np.ceil((np.log(DROP_CUT / pw.min()) + 3.0) / GRID_STEP))
    return (k0 * GRID_STEP, GRID_STEP, k1 - k0 + 1)


class YieldSet:
    """Expected signal events N_p(g) of design points p that share one production table and one
    model, the same distance D from the start of the target to the start of their region (target
    length plus shield) and the same signature; they differ in region length R_p, muons on target
    and event limit. The physics is that of :class:`mudump.signal.Yield`: with y = g^2 Gamma_1 +
    Gamma_dark the total width, tau_i = D - z_i for production depth z_i, and
    F_i(lambda) = sum_j w_ij exp(-lambda / l_ij) (l_ij the lab decay length at unit width), the
    decaying part is S(y) = sum_i [F_i(tau_i y) - F_i((tau_i + R) y)] (displaced: survive the rest
    of the target and the shield, decay in the region) or sum_i F_i((tau_i + R) y) (missing
    energy: survive beyond the detector), and N = N_mu g^2 BR_vis S (displaced) or
    N_mu g^2 ((1 - BR_vis) W + BR_vis S) (missing energy), BR_vis = g^2 Gamma_vis / y, W the
    total production. F_i depends only on the table, so it is tabulated once (see SERIES_EPS)
    and every (point, coupling) costs two look-ups per depth node instead of a sum over all
    quadrature points. Agrees with :class:`mudump.signal.Yield` to ~1e-7 relatively."""

    def __init__(self, table, model, *, kind: str, before: float, regions, muons, n_up, grid=None, node_cache=None):
        from .models.widths import lab_decay_length
        from .signal import DISPLACED, MISSING

        if kind not in (DISPLACED, MISSING):
            raise ValueError(f"signature kind {kind!r}")
        self.displaced = kind == DISPLACED
        self.R = np.atleast_1d(np.asarray(regions, dtype=float))
        self.muons = np.broadcast_to(np.asarray(muons, dtype=float), self.R.shape)
        self.n_up = np.broadcast_to(np.asarray(n_up, dtype=float), self.R.shape)
        vis, inv, dark = (float(v) for v in get_model(model).width_parts(table.m_S))
        self.g_vis, self.g_1, self.g_dark = vis, vis + inv, dark
        w = np.array(table.weight, dtype=float)
        with np.errstate(divide="ignore"):
            pw = 1.0 / lab_decay_length(np.asarray(table.e_s), table.m_S, 1.0) if w.size else np.zeros(w.shape)
        ok = (w > 0) & np.isfinite(pw)
        # nodes with an infinite rate (X at rest) never leave: they count in W only
        self.W = float(w[w > 0].sum())
        rows = ok.any(axis=1) if w.size else np.zeros(0, dtype=bool)
        w, pw = np.where(ok, w, 0.0)[rows], np.where(ok, pw, 0.0)[rows]
        self.tau = before - np.asarray(table.z, dtype=float)[rows]
        self.n = int(rows.sum())
        if self.n == 0:
            return
        big = np.where(w > 0, pw, -np.inf).max(axis=1)
        small = np.where(w > 0, pw, np.inf).min(axis=1)
        self.lam_series = SERIES_EPS / big  # below: the series
        self.lam_drop = DROP_CUT / small  # above: dropped
        self.moments = np.stack([(w * pw**k).sum(axis=1) for k in range(SERIES_ORDER + 1)], axis=1)  # (n, K+1)
        # the grid in v = ln lambda, common to the nodes (given: shared with other tables of this mass)
        if grid is not None:
            v0, h, nv = grid
            if not (np.log(self.lam_series.min()) >= v0 and np.log(self.lam_drop.max()) <= v0 + h * (nv - 1)):
                grid, node_cache = None, None  # this table's nodes reach beyond it: a grid of their own
        h = GRID_STEP
        if grid is None:  # a stretch of the lattice of laplace_grid, two steps beyond the nodes
            ks = int(np.floor(np.log(self.lam_series.min()) / h)) - 2
            nv = int(np.ceil(np.log(self.lam_drop.max()) / h)) + 2 - ks + 1
        else:
            ks = int(round(v0 / h))
        self.ks, self.h = ks, h
        lam = np.exp(h * (ks + np.arange(nv)))  # the lattice points: the same floats in every stretch
        G = np.empty((self.n, nv))
        dG = np.empty((self.n, nv))
        zs, es = np.asarray(table.z, dtype=float)[rows], np.asarray(table.e_mu, dtype=float)[rows]
        for i in range(self.n):  # one depth node at a time: (nv, n_x) temporaries
            key = (float(zs[i]), float(es[i]))
            hit = node_cache.get(key) if node_cache is not None else None
            if hit is None:
                # only the grid points this node can be looked up at (one more on each side)
                k0 = int(np.clip(np.floor(np.log(self.lam_series[i]) / h) - 1 - ks, 0, nv - 1))
                k1 = int(np.clip(np.ceil(np.log(self.lam_drop[i]) / h) + 2 - ks, k0 + 1, nv))
                on = w[i] > 0  # the x nodes that produce (the others add exact zeros)
                e = np.exp(-np.outer(lam[k0:k1], pw[i, on]))
                F, dF = (e @ np.stack([w[i, on], -w[i, on] * pw[i, on]], axis=1)).T
                g_row, d_row = np.zeros(nv), np.zeros(nv)
                with np.errstate(divide="ignore", invalid="ignore"):
                    g_row[k0:k1] = np.nan_to_num(np.log(F), neginf=-745.0)
                    d_row[k0:k1] = np.nan_to_num(lam[k0:k1] * dF / F)
                hit = (g_row, d_row)
                if node_cache is not None:
                    node_cache[key] = hit
            G[i], dG[i] = hit
        self.G, self.dG = G, dG
        # cubic Hermite on each interval as a polynomial in t in [0, 1]: c0 + t (c1 + t (c2 + t c3))
        g0, g1, d0, d1 = G[:, :-1], G[:, 1:], h * dG[:, :-1], h * dG[:, 1:]
        C = np.stack([g0, d0, 3.0 * (g1 - g0) - 2.0 * d0 - d1, -2.0 * (g1 - g0) + d0 + d1], axis=-1)
        self._C = np.concatenate([C, np.zeros((self.n, 1, 4))], axis=1).reshape(-1, 4)  # (n * nv, 4)

    def _F(self, lam):
        """F_i(lam) for lam of shape (n_nodes, m) (row i: depth node i). Each element is
        computed by the one rule that applies to it (series, interpolation or 0)."""
        lam = np.asarray(lam, dtype=float)
        out = np.zeros(lam.shape)
        ser = lam < self.lam_series[:, None]
        herm = ~ser & (lam < self.lam_drop[:, None])
        if ser.any():
            r, c = np.nonzero(ser)
            K = SERIES_ORDER
            M = self.moments[r]
            neg = -lam[r, c]
            acc = M[:, K] * 1.0
            for k in range(K, 0, -1):  # Horner: sum_k M_k (-lam)^k / k!
                acc = acc * neg / k + M[:, k - 1]
            out[r, c] = acc
        if herm.any():
            r, c = np.nonzero(herm)
            u = np.log(lam[r, c]) / self.h  # lam > 0 here (lam >= lam_series > 0); lattice units
            nv = self.G.shape[1]
            kg = np.floor(u)  # the lattice interval, and the place in it: independent of the stretch
            t = np.clip(u - kg, 0.0, 1.0)
            k = np.clip(kg - self.ks, 0, nv - 2)
            cf = np.take(self._C, k.astype(np.int64) + r * nv, axis=0)
            g = cf[:, 0] + t * (cf[:, 1] + t * (cf[:, 2] + t * cf[:, 3]))
            with np.errstate(over="ignore", under="ignore"):
                out[r, c] = np.exp(g)
        return out

    def _Fdiff(self, a, b, Fa=None, Fab=None):
        """F_i(a) - F_i(a + b) (shapes (n_nodes, m)), by the series of the difference where both
        are in the series range (no cancellation), else as a difference."""
        out = (self._F(a) if Fa is None else Fa) - (self._F(a + b) if Fab is None else Fab)
        both = (a + b) < self.lam_series[:, None]
        if both.any():
            r, c = np.nonzero(both)
            A, B = a[r, c], b[r, c]
            # a^k - (a + b)^k = -b sum_{m<k} a^m (a + b)^(k-1-m)
            acc = np.zeros(A.shape)
            fact = 1.0
            AB = A + B
            for k in range(1, SERIES_ORDER + 1):
                fact *= k
                inner = np.zeros(A.shape)
                for m in range(k):
                    inner += A**m * AB ** (k - 1 - m)
                acc += (-1) ** k / fact * self.moments[r, k] * (-B * inner)
            out[r, c] = acc
        return out

    def decaying_grid(self, y):
        """S for every point (rows) at every width y (columns): F_i(tau_i y) is shared."""
        y = np.asarray(y, dtype=float)
        P, G = self.R.size, y.size
        if self.n == 0:
            return np.zeros((P, G))
        out = np.empty((P, G))
        a = self.tau[:, None] * y[None, :]
        Fa = self._F(a) if self.displaced else None
        for lo in range(0, P, POINT_CHUNK):
            R = self.R[lo:lo + POINT_CHUNK]
            n = R.size
            ab = ((self.tau[:, None] + R[None, :])[:, :, None] * y[None, None, :]).reshape(self.n, n * G)
            if self.displaced:
                A = np.broadcast_to(a[:, None, :], (self.n, n, G)).reshape(self.n, n * G)
                S = self._Fdiff(A, ab - A, Fa=np.broadcast_to(Fa[:, None, :], (self.n, n, G)).reshape(self.n, n * G),
                                Fab=self._F(ab))
            else:
                S = self._F(ab)
            out[lo:lo + n] = S.sum(axis=0).reshape(n, G)
        return out

    def decaying_sum(self, p, y, Fa=None):
        """S at the pairs (point index p, width y), 1-d arrays of one shape. ``Fa``: F_i(tau_i y)
        (n_nodes, y.size) if already known (displaced: it does not depend on the point)."""
        p, y = np.asarray(p), np.asarray(y, dtype=float)
        if self.n == 0 or y.size == 0:
            return np.zeros(y.shape)
        a = self.tau[:, None] * y[None, :]
        b = np.broadcast_to(self.R[p][None, :] * y[None, :], a.shape)
        if self.displaced:
            return self._Fdiff(a, b, Fa=Fa).sum(axis=0)
        return self._F(a + b).sum(axis=0)

    def events_grid(self, g):
        """N for every point (rows) at every coupling g (columns)."""
        g = np.asarray(g, dtype=float)
        x = g**2
        y = x * self.g_1 + self.g_dark
        with np.errstate(divide="ignore", invalid="ignore"):
            br = np.where(y > 0, x * self.g_vis / y, 0.0)
        S = self.decaying_grid(y)
        mu = self.muons[:, None]
        if self.displaced:
            return mu * x * br * S
        return mu * x * ((1.0 - br) * self.W + br * S)

    def above_grid(self, g) -> np.ndarray:
        """(P, G) booleans: N_p(g_k) >= the point's event limit, for every point and coupling.

        S grows with the region length R in the displaced signature (a longer region catches
        more decays) and falls with it in the missing-energy signature (more decays inside the
        detector), so among points with the same ratio of event limit to muons on target the
        excluded ones at a coupling are those beyond one R: found by bisection over the points
        sorted by R, for all couplings at once (log2 P evaluations per coupling instead of P)."""
        g = np.asarray(g, dtype=float)
        P, G = self.R.size, g.size
        out = np.zeros((P, G), dtype=bool)
        ratio = self.n_up / self.muons
        # F_i(tau_i y) at every coupling, shared by every point (displaced signature)
        Fa = self._F(self.tau[:, None] * ((g**2) * self.g_1 + self.g_dark)[None, :]) \
            if self.displaced and self.n and G else None

        def events(q, k):  # N of points q at the couplings g[k]
            return self.events(q, g[k], Fa=None if Fa is None else Fa[:, k])

        cols = np.arange(G)
        for c in np.unique(ratio):
            members = np.flatnonzero(ratio == c)
            if members.size <= 2:
                for q in members:
                    out[q] = events(np.full(G, q), cols) >= self.n_up[q]
                continue
            # order: from the least to the most favourable R
            order = members[np.argsort(self.R[members] if self.displaced else -self.R[members], kind="stable")]
            lo = np.zeros(G, dtype=np.int64)  # first favourable-enough index is in [lo, hi]
            hi = np.full(G, order.size, dtype=np.int64)
            # the extremes first: most couplings are decided by them (all below, or all above)
            q = order[-1]
            best = events(np.full(G, q), cols) >= self.n_up[q]
            lo[~best] = order.size
            k = cols[best]
            q = order[0]
            worst = events(np.full(k.size, q), k) >= self.n_up[q]
            hi[k[worst]] = 0
            lo[k[~worst]], hi[k[~worst]] = 1, order.size - 1
            while True:
                live = lo < hi
                if not live.any():
                    break
                k = cols[live]
                mid = (lo[k] + hi[k]) // 2
                q = order[mid]
                ok = events(q, k) >= self.n_up[q]
                hi[k[ok]] = mid[ok]
                lo[k[~ok]] = mid[~ok] + 1
            out[order] = np.arange(order.size)[:, None] >= lo[None, :]
        return out

    def events(self, p, g, Fa=None):
        """N at the pairs (point index p, coupling g); ``Fa`` as in :meth:`decaying_sum`."""
        p, g = np.broadcast_arrays(np.asarray(p), np.asarray(g, dtype=float))
        p, g = p.ravel(), g.ravel()
        x = g**2
        y = x * self.g_1 + self.g_dark
        with np.errstate(divide="ignore", invalid="ignore"):
            br = np.where(y > 0, x * self.g_vis / y, 0.0)
        S = self.decaying_sum(p, y, Fa)
        if self.displaced:
            return self.muons[p] * x * br * S
        return self.muons[p] * x * ((1.0 - br) * self.W + br * S)


def _edges(ys: "YieldSet", pts, lo, hi, n_up):
    """Roots of log N_p(g) = log n_up in log g, one per (point, bracket [lo, hi]): the
    Illinois method on all brackets at once, to 1e-12 in log g or in log N."""
    a, b = np.log(lo), np.log(hi)

    def f(lg, sel):
        n = ys.events(pts[sel], np.exp(lg))
        return np.log(np.maximum(n, 1e-300)) - np.log(n_up[sel])

    all_ = np.arange(a.size)
    fa, fb = f(a, all_), f(b, all_)
    side = np.zeros(a.size, dtype=int)
    live = np.ones(a.size, dtype=bool)
    c = 0.5 * (a + b)
    for _ in range(100):
        if not live.any():
            break
        k = np.flatnonzero(live)
        with np.errstate(divide="ignore", invalid="ignore"):
            ck = (a[k] * fb[k] - b[k] * fa[k]) / (fb[k] - fa[k])
        bad = ~np.isfinite(ck) | (ck <= np.minimum(a[k], b[k])) | (ck >= np.maximum(a[k], b[k]))
        ck[bad] = 0.5 * (a[k] + b[k])[bad]
        fc = f(ck, k)
        c[k] = ck
        same = np.sign(fc) == np.sign(fb[k])
        # replace the endpoint with the sign of fc; halve the other's value when it stays twice (Illinois)
        kb, ka = k[same], k[~same]
        b[kb], fb[kb] = ck[same], fc[same]
        fa[kb] = np.where(side[kb] == 1, 0.5 * fa[kb], fa[kb])
        side[kb] = 1
        a[ka], fa[ka] = ck[~same], fc[~same]
        fb[ka] = np.where(side[ka] == -1, 0.5 * fb[ka], fb[ka])
        side[ka] = -1
        done = (np.abs(b[k] - a[k]) < 1e-12) | (np.abs(fc) < 1e-12)
        live[k[done]] = False
    return np.exp(c)


def intervals_of_set(ys: "YieldSet", couplings) -> list:
    """Per point of ``ys`` the excluded intervals [(g_lo, g_hi), ...] at this mass: the grid
    and edge rule of :func:`mudump.reach.excluded_intervals`, for all points at once."""
    g = np.asarray(couplings, dtype=float)
    P, G = ys.R.size, g.size
    above = ys.above_grid(g)
    # brackets (point q, grid index i): a root between g[i] and g[i+1], for all points at once
    bq, bi = np.nonzero(above[:, 1:] != above[:, :-1])
    roots = {}
    if bq.size:
        r = _edges(ys, bq, g[bi], g[bi + 1], ys.n_up[bq])
        roots = {(q, i): v for q, i, v in zip(bq.tolist(), bi.tolist(), r.tolist())}
    per_point: list[list[int]] = [[] for _ in range(P)]
    for q, i in zip(bq.tolist(), bi.tolist()):
        per_point[q].append(i)
    out = []
    first, last = above[:, 0].tolist(), above[:, -1].tolist()
    for q in range(P):
        idx = per_point[q]
        if not idx and not first[q]:
            out.append([])
            continue
        # a bracket at i starts an interval (at i + 1) where the grid goes from below to above
        starts = ([0] if first[q] else []) + [i + 1 for i in idx if not above[q, i]]
        ends = [i for i in idx if above[q, i]] + ([G - 1] if last[q] else [])
        out.append([(float(g[0]) if s == 0 else roots[(q, s - 1)], float(g[-1]) if e == G - 1 else roots[(q, e)])
                    for s, e in zip(starts, ends)])
    return out
