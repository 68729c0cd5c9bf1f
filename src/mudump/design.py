"""Reach of many design points at once, sharing production.

Production depends only on the beam (energy, lepton), the target material, the E_S cut of the
signature, the method, the form factor and the kind of X (:func:`production_key`). Design points
that share these share one depth-resolved production table per mass
(:class:`mudump.production.tables.DepthTable`), computed once for the longest target among them:
each point's target length and muon-energy floor are read from it
(:meth:`~mudump.production.tables.DepthTable.truncate`, no cross section evaluated), points with
the same production end share the truncated table, and everything downstream of production
(shield and decay lengths, muons on target, statistics, the model of the same kind) is applied
to it by :class:`mudump.signal.Yield`. The numbers are those of :func:`mudump.reach.reach` for
each point: the same tables, the same event function, the same interval search.

Units: masses in GeV; couplings g_mu dimensionless; lengths in metres.
"""

from __future__ import annotations

import json
from typing import Callable, Mapping, Optional, Sequence

import numpy as np

from .errors import MudumpError
from .experiments import load_experiment
from .models import get_model
from .production import DEFAULT_METHOD, check_method
from .production.formfactors import DEFAULT_FORM_FACTOR, check_form_factor
from .production.tables import DepthTable, depth_table


def production_key(experiment, model, method: str = DEFAULT_METHOD, form_factor: str = DEFAULT_FORM_FACTOR) -> str:
    """A key equal for design points whose production is the same function of depth: beam energy
    and lepton, target material, E_S cut, method, form factor and the kind of X (target length,
    energy floor, everything downstream and the model's couplings do not enter)."""
    e = load_experiment(experiment)
    return json.dumps([e.beam.energy_GeV, e.beam.lepton, e.target.material, e.signature.e_cut_GeV, check_method(method),
                       form_factor, get_model(model).kind])


def depth_tables(experiments: Sequence, model, masses, method: str = DEFAULT_METHOD,
                 form_factor: str = DEFAULT_FORM_FACTOR,
                 progress: Optional[Callable[[int, int], None]] = None) -> dict[tuple[str, float], DepthTable]:
    """The depth tables that the design points need: {(production_key, mass): DepthTable}, each
    covering the longest target of its points (from the caches, or computed and stored).
    Pass the result to :func:`reach_many` (e.g. on other workers) so that nothing is recomputed."""
    mdl = get_model(model)
    deepest: dict[str, tuple] = {}
    for exp in experiments:
        e = load_experiment(exp)
        k = production_key(e, mdl, method, form_factor)
        d = deepest.get(k)
        if d is None or e.target.length_m > d[1]:
            deepest[k] = (e, e.target.length_m)
    out = {}
    total, done = len(deepest) * len(masses), 0
    for k, (e, length) in deepest.items():
        for m in masses:
            out[(k, float(m))] = depth_table(float(m), e.target.material, e.beam.energy_GeV, length, method, e.beam.lepton,
                                             e.signature.e_cut_GeV, form_factor, mdl.kind)
            done += 1
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
    as in :attr:`mudump.reach.ReachResult.intervals` (the same numbers as
    ``reach(experiment, model, masses, couplings, method, form_factor=form_factor,
    refine_thresholds=False)``), or the error message (str) of a point that fails.
    ``tables``: depth tables from :func:`depth_tables` (computed here when missing).
    ``progress(done, total)`` counts masses."""
    from .reach import excluded_intervals
    from .signal import Yield, geometry

    mdl = get_model(model)
    method = check_method(method)
    check_form_factor(form_factor)
    masses = np.atleast_1d(np.asarray(masses, dtype=float))
    couplings = np.sort(np.atleast_1d(np.asarray(couplings, dtype=float)))
    exps, out, limits = [], [], []
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
    live = [i for i, e in enumerate(exps) if e is not None]
    keys = {i: production_key(exps[i], mdl, method, form_factor) for i in live}
    tables = dict(tables or {})
    missing = [exps[i] for i in live if any((keys[i], float(m)) not in tables for m in masses)]
    if missing:
        tables.update(depth_tables(missing, mdl, masses, method, form_factor))
    for j, m in enumerate(masses):
        truncated: dict[tuple[str, float], object] = {}
        for i in live:
            if isinstance(out[i], str):
                continue
            e = exps[i]
            try:
                dt = tables[(keys[i], float(m))]
                u_end = dt.end_u(e.target.length_m, e.target.min_muon_energy_GeV) if dt.n_panels else 0.0
                tk = (keys[i], u_end)
                if tk not in truncated:
                    if dt.n_panels and not dt.covers(u_end):  # a target beyond the table: extend it
                        dt = depth_table(float(m), e.target.material, e.beam.energy_GeV, e.target.length_m, method,
                                         e.beam.lepton, e.signature.e_cut_GeV, form_factor, mdl.kind)
                        tables[(keys[i], float(m))] = dt
                    truncated[tk] = dt.truncate(u_end)
                n_of_g = Yield(truncated[tk], mdl, **geometry(e))
                ev = n_of_g(couplings)
                out[i].append(excluded_intervals(couplings, ev, limits[i], lambda g, f=n_of_g: f(g)[0]))
            except MudumpError as exc:
                out[i] = str(exc)
        if progress:
            progress(j + 1, masses.size)
    return out


__all__ = ["depth_tables", "production_key", "reach_many"]
