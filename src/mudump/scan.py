"""Design scans: the reach of many variants of one experiment, one row per (design point, model).

A scan takes a base experiment, a grid over some of its numeric fields (``target.length_m``,
``downstream.length_m``, ``beam.energy_GeV``, ...; the Cartesian product of the values is the
set of design points) and one or more models. Each design point is the base experiment's
dict with the scanned values put in, validated again by
:func:`mudump.experiments.parse_experiment` (a value the schema refuses becomes that point's
``error``, not a failure of the scan). For each point and model it computes the reach
(:func:`mudump.reach.reach`, the same numbers as ``mudump reach``) and reduces it to figures of
merit:

* ``best_g_mu``, ``best_mass_GeV``: the smallest excluded g_mu and the mass where it is reached;
* ``mass_low_GeV``, ``mass_high_GeV``: the lowest and highest mass of the grid with an
  excluded interval;
* ``excluded_fraction``: the fraction of a reference region of the (m_S, g_mu) plane that the
  reach excludes, measured as an area in (ln m_S, ln g_mu) (:func:`region_fraction`). For a
  Delta a_mu preset with an anomaly the region is the 2-sigma (g-2)_mu-favoured band
  (:func:`mudump.g2.band`: ``lo2`` to ``hi2``); for a preset without one (the default ``wp25``)
  it is the region still allowed by (g-2)_mu, from the lowest coupling of the grid up to the
  preset's upper limit (``upper_limit``); or a coupling strip (g_lo, g_hi) the user gives.
  The region is clipped to the coupling grid (the reach says nothing outside it);
* the contour itself: ``mass_GeV``, ``g_low``, ``g_high`` (one entry per excluded interval; a
  mass with two intervals appears twice).

Work is grouped so that production is shared: design points with the same beam, target
material, method, form factor and kind of X (:func:`mudump.design.table_key`) share one
depth-resolved production table per mass (:mod:`mudump.production.tables`), whatever their
target lengths, energy floors, E_S cuts and downstream geometry. The tables are computed (or read
from the cache) once, and shipped to the workers: with each task, or on a Dask executor once per
group (scattered to every worker; the tasks carry a handle). One task is (a chunk of the group's
points, usually with every mass, one model) and evaluates them with
:func:`mudump.design.reach_many`; chunks are sized to about ``task_seconds`` of work, and the
masses are cut only when the points that are evaluated together exceed that. Tasks run on any
:class:`concurrent.futures.Executor` (a local process pool by default, or a Dask cluster's
``client.get_executor()``); the results do not depend on the executor or on the chunking.

The module is pure: no printing and no files. ``progress(done, total)`` is called as rows
complete and ``on_row(row)`` with each finished row (the command line writes checkpoints with
it); rows whose ``key`` is in ``skip`` are not computed (resuming a scan).

Units: GeV and metres, as in the experiment files; couplings g_mu dimensionless.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import types
import typing
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Optional, Sequence

import numpy as np
from pydantic import BaseModel
from scipy.integrate import trapezoid

from . import g2 as g2mod
from ._checks import check_range
from .errors import ConfigError, MudumpError
from .experiments import Experiment, load_experiment, parse_experiment
from .models import COUPLING_MAX, MASS_RANGE_GEV, get_model
from .production import beam_method
from .production.formfactors import DEFAULT_FORM_FACTOR, check_form_factor
from .design import depth_tables, reach_many, table_key
from .progress import task as progress_task
from .reach import DEFAULT_COUPLINGS, DEFAULT_MASSES, with_thresholds

#: Format of the rows and of the key hash; bump it when either changes meaning.
SCAN_VERSION = 2  # 2: limits with a background are CLs (mudump.statistics); rows record the limit
#: Work estimate for task sizing (seconds on one core of the development machine, fnal-mu, etl):
#: one production table computed from scratch (its PUMAS tables already loaded), and the reach
#: of one (point, model) at one mass once the table exists (200 couplings). Only the task size
#: depends on them, never a result.
SECONDS_PER_TABLE = 0.03
SECONDS_PER_REACH = 0.0004
from .choices import FIGURES_OF_MERIT  # noqa: E402 (the figures of merit in every row)


# ----------------------------------------------------------------------------------------------
# the scannable fields of an experiment


def _numeric_annotation(ann) -> bool:
    if ann in (float, int):
        return True
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        return len(args) == 1 and args[0] in (float, int)
    return False


def numeric_fields() -> list[str]:
    """Every numeric field of the experiment schema as a dotted path (``target.length_m``):
    the fields a scan may vary."""
    out = []

    def walk(model: type[BaseModel], prefix: str):
        for name, info in model.model_fields.items():
            ann = info.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, f"{prefix}{name}.")
            elif _numeric_annotation(ann):
                out.append(prefix + name)

    walk(Experiment, "")
    return out


def check_grid(grid: Mapping[str, Iterable[float]]) -> dict[str, np.ndarray]:
    """Validate a grid {dotted field: values}: every field a numeric field of the experiment
    schema, every value list non-empty and finite. Values are returned as float arrays in the
    given order. (Whether the schema accepts a value is checked per point.)"""
    if not grid:
        raise ConfigError("the scan grid is empty: give at least one field with values (e.g. target.length_m=0.5,1,2)")
    allowed = numeric_fields()
    out = {}
    for name, values in grid.items():
        if name not in allowed:
            raise ConfigError(f"scan field {name!r} is not a numeric field of the experiment: allowed {', '.join(allowed)}")
        try:
            arr = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float).ravel()
        except (TypeError, ValueError):
            raise ConfigError(f"scan field {name!r}: the values must be numbers") from None
        if arr.size == 0:
            raise ConfigError(f"scan field {name!r} has no values: give at least one")
        check_range(name, arr)
        out[name] = arr
    return out


def _set_path(doc: dict, path: str, value: float) -> None:
    *parents, leaf = path.split(".")
    for p in parents:
        doc = doc.setdefault(p, {})
    doc[leaf] = value


def _canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=repr)


# ----------------------------------------------------------------------------------------------
# the plan: points, rows and their keys


@dataclass(frozen=True)
class ReferenceRegion:
    """The region of the (m_S, g_mu) plane behind ``excluded_fraction``: per mass a coupling
    interval (lo, hi) over the scanned masses. ``kind`` is "g2-band" (the 2-sigma band of an
    anomalous preset), "g2-allowed" (below the upper limit of a preset without anomaly, down to
    the lowest coupling of the grid) or "couplings" (a fixed strip given by the user)."""

    kind: str
    description: str
    lo: np.ndarray  # (n_masses,)
    hi: np.ndarray  # (n_masses,)


def reference_region(masses, couplings, preset: Optional[str] = None, strip: Optional[Sequence[float]] = None,
                     model=None) -> ReferenceRegion:
    """The reference region for ``excluded_fraction`` (see the module docstring), clipped to
    the coupling grid [couplings.min(), couplings.max()]. The (g-2)_mu region is the ``model``'s
    (:func:`mudump.g2.band` with its kind and muon coupling; None: a scalar coupled to the muon):
    its favoured band where it explains an anomaly, else the couplings it still allows (a model
    that lowers a_mu explains none)."""
    masses = np.asarray(masses, dtype=float)
    g_min, g_max = float(np.min(couplings)), float(np.max(couplings))
    if strip is not None:
        lo, hi = (float(v) for v in strip)
        check_range("reference_g_low", lo, 0.0, COUPLING_MAX, lo_open=True)
        check_range("reference_g_high", hi, 0.0, COUPLING_MAX, lo_open=True)
        if hi <= lo:
            raise ConfigError(f"reference region: g_high = {hi:g} must be above g_low = {lo:g}")
        lo_a, hi_a = np.full(masses.shape, lo), np.full(masses.shape, hi)
        kind, desc = "couplings", f"{lo:g} < g_mu < {hi:g}"
    else:
        b = g2mod.band(masses, preset, model=model)
        of = f" of model {model.name}" if model is not None else ""
        if b["favoured"]:
            lo_a, hi_a = b["lo2"], b["hi2"]
            kind, desc = "g2-band", f"(g-2)_mu 2-sigma band{of}, preset {b['preset']}"
        else:
            lo_a, hi_a = np.full(masses.shape, g_min), b["upper_limit"]
            kind, desc = "g2-allowed", (f"below the (g-2)_mu upper limit{of} of preset {b['preset']}, "
                                        f"down to g_mu = {g_min:g}")
    lo_a = np.clip(lo_a, g_min, g_max)
    hi_a = np.clip(hi_a, g_min, g_max)
    return ReferenceRegion(kind, desc + f", {masses.min():g} - {masses.max():g} GeV", lo_a, np.maximum(hi_a, lo_a))


@dataclass
class ScanPlan:
    """Everything a scan computes, fixed before it starts (built by :func:`plan_scan`)."""

    base: dict  # the base experiment as a validated dict (model_dump)
    grid: dict  # field -> np.ndarray of values
    models: list  # the Model objects (resolved once, when the scan is planned)
    masses: np.ndarray
    couplings: np.ndarray
    method: str
    form_factor: str
    region: ReferenceRegion
    points: list = field(default_factory=list)  # per point: (values tuple, Experiment or error str)
    regions: dict = field(default_factory=dict)  # per Model: its reference region (its own (g-2) band)

    def region_of(self, model) -> "ReferenceRegion":
        """The reference region of ``model``'s rows (``region`` when no model has its own)."""
        return self.regions.get(model, self.region)

    @property
    def fields(self) -> list[str]:
        return list(self.grid)

    def key(self, values, model) -> str:
        """Hash of everything that fixes a row: base experiment, point values, model, method,
        form factor, mass and coupling grids, reference region, scan format version: the SHA-256
        of the canonical JSON text of {"base", "couplings", "form_factor", "masses", "method",
        "model", "point", "region", "v"} (keys sorted). The text around "point" is the same for
        every point of a model: written once (:meth:`_key_parts`), then only the point is."""
        head, tail = self._key_parts(model)
        point = _canonical({f: repr(float(v)) for f, v in zip(self.fields, values)}).encode()
        return hashlib.sha256(head + point + tail).hexdigest()[:24]

    def _key_parts(self, model) -> tuple:
        parts = self.__dict__.setdefault("_key_memo", {})
        if model not in parts:
            doc = {
                "v": SCAN_VERSION,
                "base": self.base,
                "point": None,
                "model": model.document(),
                "method": self.method,
                "form_factor": self.form_factor,
                "masses": [repr(float(m)) for m in self.masses],
                "couplings": [repr(float(g)) for g in self.couplings],
                "region": [self.region_of(model).kind, self.region_of(model).description],
            }
            text = _canonical(doc)
            cut = text.index(',"point":null,') + len(',"point":')
            parts[model] = (text[:cut].encode(), text[cut + len("null"):].encode())
        return parts[model]

    def keys(self) -> list[str]:
        """Row keys in row order (point-major, then model)."""
        return [self.key(v, m) for v, _ in self.points for m in self.models]

    def metadata(self) -> dict:
        """What the Parquet key-value metadata records about the scan (JSON-able)."""
        from . import __version__

        return {
            "mudump_version": __version__,
            "scan_version": SCAN_VERSION,
            "base_experiment": self.base,
            "grid": {f: v.tolist() for f, v in self.grid.items()},
            "models": [m.name for m in self.models],
            "model_specs": [m.document() for m in self.models],
            "method": self.method,
            "form_factor": self.form_factor,
            "masses_GeV": self.masses.tolist(),
            "couplings": self.couplings.tolist(),
            "reference_region": {"kind": self.region.kind, "description": self.region.description},
            "reference_regions": {m.name: {"kind": r.kind, "description": r.description} for m, r in self.regions.items()},
        }


def plan_scan(
    experiment,
    grid: Mapping[str, Iterable[float]],
    models: Sequence[str],
    *,
    masses=None,
    couplings=None,
    method: Optional[str] = None,
    form_factor: str = DEFAULT_FORM_FACTOR,
    preset: Optional[str] = None,
    reference: Optional[Sequence[float]] = None,
) -> ScanPlan:
    """Check the inputs and lay out the design points (Cartesian product of the grid, the first
    field varying slowest). ``experiment``: preset name, path or Experiment; ``models``:
    letters or names; ``masses`` (GeV) and ``couplings``: the reach grids (defaults as
    ``mudump reach``; like it, the masses get a point just below each two-lepton decay
    threshold of the models, :func:`mudump.reach.with_thresholds`); ``preset``: Delta a_mu preset of the reference region; ``reference``:
    (g_lo, g_hi) to use a fixed coupling strip instead."""
    exp = load_experiment(experiment)
    grid = check_grid(grid)
    if not models:
        raise ConfigError("a scan needs at least one model (A or B)")
    letters = list(dict.fromkeys(get_model(m) for m in models))  # Model objects, each once
    method = beam_method(exp.beam.lepton, method)  # None: the default of the beam
    check_form_factor(form_factor)
    masses = np.geomspace(*DEFAULT_MASSES) if masses is None else np.atleast_1d(np.asarray(masses, dtype=float))
    couplings = np.geomspace(*DEFAULT_COUPLINGS) if couplings is None else np.atleast_1d(np.asarray(couplings, dtype=float))
    check_range("mass_GeV", masses, *MASS_RANGE_GEV, unit="GeV")
    check_range("coupling", couplings, 0.0, COUPLING_MAX, lo_open=True)
    if masses.size < 2 or couplings.size < 2:
        raise ConfigError("a scan needs at least 2 masses and 2 couplings")
    # the points just below the two-lepton thresholds that `mudump reach` adds for each model
    masses = np.unique(np.concatenate([with_thresholds(masses, m) for m in letters]))
    couplings = np.sort(couplings)
    regions = {m: reference_region(masses, couplings, preset, reference, model=m) for m in letters}
    base = exp.model_dump(mode="json")
    plan = ScanPlan(base, grid, letters, masses, couplings, method, form_factor, regions[letters[0]], regions=regions)
    for values in itertools.product(*grid.values()):
        doc = json.loads(json.dumps(base))
        for f, v in zip(grid, values):
            _set_path(doc, f, float(v))
        where = "design point " + ", ".join(f"{f}={v:g}" for f, v in zip(grid, values))
        try:
            plan.points.append((tuple(float(v) for v in values), parse_experiment(doc, where)))
        except MudumpError as exc:
            plan.points.append((tuple(float(v) for v in values), str(exc)))
    return plan


# ----------------------------------------------------------------------------------------------
# the work


def _run_task(experiments: list, model: str, masses: np.ndarray, couplings: np.ndarray, method: str,
              form_factor: str, tables: dict) -> list:
    """One task: the reach of every experiment for one model on a chunk of masses, from the
    depth-resolved production tables it is given (:func:`mudump.design.reach_many`; nothing is
    recomputed). Returns per experiment the per-mass interval lists, or an error string."""
    try:
        return reach_many(experiments, model, masses, couplings, method, form_factor, tables=tables)
    except Exception as exc:  # noqa: BLE001 - a failing task is recorded in its rows, the scan goes on
        msg = str(exc) if isinstance(exc, MudumpError) else f"{type(exc).__name__}: {exc}"
        return [msg] * len(experiments)


def _table_task(experiments: list, model: str, masses: np.ndarray, method: str, form_factor: str) -> dict:
    """One task: the depth-resolved production tables of these masses for the points given (one
    per production key: :func:`mudump.design.depth_tables`), computed or read from the cache."""
    return depth_tables(experiments, model, masses, method, form_factor)


def _merge_intervals(ivs: list) -> list:
    """Union of coupling intervals (sorted, overlapping ones merged)."""
    out = []
    for lo, hi in sorted(ivs):
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return out


def region_fraction(masses, intervals, region: ReferenceRegion) -> float:
    """Fraction of the reference region covered by the excluded intervals, as an area in the
    (ln m_S, ln g_mu) plane: per grid mass the length in ln g of (region strip) x (union of the
    excluded intervals), integrated over ln m_S with the trapezoidal rule, divided by the same
    integral of the strip's length. 0 for an empty region. The trapezoidal rule on the mass grid
    is the resolution of the answer (the contour edges themselves are root-found)."""
    lm = np.log(np.asarray(masses, dtype=float))
    covered = np.zeros(lm.size)
    width = np.log(region.hi) - np.log(region.lo)
    for i, ivs in enumerate(intervals):
        for lo, hi in _merge_intervals(ivs):
            a, b = max(lo, region.lo[i]), min(hi, region.hi[i])
            if b > a:
                covered[i] += math.log(b) - math.log(a)
    total = float(trapezoid(width, lm)) if lm.size > 1 else float(width.sum())
    if total <= 0:
        return 0.0
    part = float(trapezoid(covered, lm)) if lm.size > 1 else float(covered.sum())
    return min(max(part / total, 0.0), 1.0)


def figures_of_merit(masses, intervals, region: ReferenceRegion) -> dict:
    """The figures of merit and the contour of one reach (``intervals``: per mass a list of
    (g_lo, g_hi)). Values that do not exist (nothing excluded) are None, never NaN."""
    masses = np.asarray(masses, dtype=float)
    mass_col, lo_col, hi_col = [], [], []
    for m, ivs in zip(masses, intervals):
        for lo, hi in ivs:
            mass_col.append(float(m))
            lo_col.append(float(lo))
            hi_col.append(float(hi))
    row = dict.fromkeys(FIGURES_OF_MERIT)
    if lo_col:
        k = int(np.argmin(lo_col))
        row.update(best_g_mu=lo_col[k], best_mass_GeV=mass_col[k], mass_low_GeV=min(mass_col), mass_high_GeV=max(mass_col))
    row["excluded_fraction"] = region_fraction(masses, intervals, region)
    row.update(mass_GeV=mass_col, g_low=lo_col, g_high=hi_col)
    return row


def _chunks(n_masses: int, units: Sequence[Sequence[int]], n_models: int, task_seconds: float) -> list[tuple[slice, list]]:
    """Split the work of a group into tasks of about ``task_seconds`` (each (point, model,
    mass): SECONDS_PER_REACH); returns (mass slice, point positions) pairs. ``units``: the point
    positions that must share a task (points evaluated together by one
    :class:`mudump.design.YieldSet`, so that the rows cannot depend on how the work is cut); they
    are packed, in order, into chunks of points with every mass, and the masses are split only
    when one chunk with every mass is more than a task. Tasks cut by points carry every mass's
    table (shipped once per worker where the executor can: see :func:`run_scan`) and each design
    point once; tasks cut by masses carry the points again."""
    per_point = n_masses * n_models * SECONDS_PER_REACH
    chunks: list[list[int]] = []
    cur: list[int] = []
    for u in units:
        if cur and (len(cur) + len(u)) * per_point > task_seconds:
            chunks.append(cur)
            cur = []
        cur = cur + list(u)
    if cur:
        chunks.append(cur)
    out = []
    for pts in chunks:
        per_mass = len(pts) * n_models * SECONDS_PER_REACH
        size = min(n_masses, max(1, math.floor(task_seconds / per_mass)))
        k = math.ceil(n_masses / size)
        edges = np.linspace(0, n_masses, k + 1).round().astype(int)  # near-equal chunks
        out.extend((slice(int(a), int(b)), pts) for a, b in zip(edges[:-1], edges[1:]))
    return out


def _evaluated_together(exp) -> tuple:
    """Design points with equal values here are evaluated together at each mass (the same
    production end, E_S cut and distance to the region, :func:`mudump.design.reach_many`): one
    unit of :func:`_chunks`."""
    return (exp.target.length_m, exp.target.min_muon_energy_GeV, exp.signature.e_cut_GeV,
            exp.downstream.shield_length_m, exp.signature.kind)


def _scatterer(executor: Executor) -> Optional[Callable[[object], object]]:
    """For a Dask executor (``client.get_executor()``): a function that places an object on every
    worker once (``client.scatter(obj, broadcast=True)``) and returns the handle that the tasks
    receive in its place; None for other executors (the object is then sent with each task)."""
    client = getattr(executor, "_client", None)  # distributed's ClientExecutor keeps its client there
    scatter = getattr(client, "scatter", None)
    if scatter is None:
        return None
    return lambda obj: scatter(obj, broadcast=True, hash=False)


def default_executor(max_workers: Optional[int] = None) -> Executor:
    """A local process pool over all cores (``os.process_cpu_count()`` where it exists). Workers
    start from a fork server that has imported mudump once (POSIX), else by spawning. Each
    worker ends with the process that created the pool (:func:`_worker_init`), so a killed scan
    leaves no worker computing; :func:`stop_executor` ends them at once."""
    import multiprocessing as mp

    n = max_workers or getattr(os, "process_cpu_count", os.cpu_count)() or 1
    methods = mp.get_all_start_methods()
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["mudump.scan"])
    else:
        ctx = mp.get_context("spawn")
    return ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_worker_init, initargs=(os.getpid(),))


#: Seconds between two checks, in each pool worker, that the scan's process is still there.
WATCH_SECONDS = 0.5


def _process_gone(pid: int) -> bool:
    """True if process ``pid`` has ended (a zombie counts as ended: killed, not yet reaped)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except FileNotFoundError:
        return True
    except OSError:  # no /proc (macOS, BSD): signal 0 tells if the pid exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except OSError:
            return False
        return False


def _worker_init(owner: int) -> None:
    """In each pool worker: end when the scan's process ``owner`` ends, however it ends (SIGKILL
    included), so that no worker goes on computing for nobody. A daemon thread checks every
    :data:`WATCH_SECONDS`. (A worker's parent is the fork server, which itself lives as long as
    any worker: the parent-death signal of Linux cannot be used for this.) Also shows mudump's
    warnings as one line on stderr (``warning: ...``), as the command line does."""
    import sys
    import threading
    import time
    import warnings

    from .errors import MudumpWarning

    def watch():
        while not _process_gone(owner):
            time.sleep(WATCH_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="mudump-owner-watch", daemon=True).start()
    shown = warnings.showwarning

    def one_line(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, MudumpWarning):
            sys.stderr.write(f"warning: {message}\n")
        else:
            shown(message, category, filename, lineno, file, line)

    warnings.showwarning = one_line


def stop_executor(executor: Executor) -> None:
    """Shut an executor down now: pending tasks cancelled and, for a process pool, the workers
    killed (a running task is not waited for). For an interrupted or terminated scan."""
    procs = getattr(executor, "_processes", None) or {}  # ProcessPoolExecutor's workers (no public API before 3.14)
    for p in list(procs.values()):
        try:
            p.kill()
        except (OSError, AttributeError):
            pass
    executor.shutdown(wait=False, cancel_futures=True)


class _Inline(Executor):
    """Runs each task at submit time in this process (the serial reference)."""

    def submit(self, fn, /, *args, **kwargs):
        f = Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001
            f.set_exception(exc)
        return f


def serial_executor() -> Executor:
    """An executor that runs every task in the calling process, one after the other."""
    return _Inline()


def _row(plan: ScanPlan, i: int, model: str, result) -> dict:
    values, exp = plan.points[i]
    mdl = model
    row = {"key": plan.key(values, model), "experiment": plan.base["name"]}
    row.update({f: v for f, v in zip(plan.fields, values)})
    row.update(model=mdl.name, model_name=mdl.alias, method=plan.method, form_factor=plan.form_factor)
    lim = exp.statistics.limit() if isinstance(exp, Experiment) and not isinstance(result, str) else None
    row.update(limit_method=lim.method if lim else None, signal_events_limit=lim.n_up if lim else None)
    if isinstance(result, str):
        row.update(dict.fromkeys(FIGURES_OF_MERIT), mass_GeV=[], g_low=[], g_high=[], error=result)
    else:
        row.update(figures_of_merit(plan.masses, result, plan.region_of(model)), error=None)
    return row


def run_scan(
    plan: ScanPlan,
    executor: Optional[Executor] = None,
    *,
    skip: Iterable[str] = (),
    progress: Optional[Callable[[int, int], None]] = None,
    on_row: Optional[Callable[[dict], None]] = None,
    task_seconds: float = 1.0,
) -> list[dict]:
    """Compute the rows of a plan that are not in ``skip`` (keys); return them in row order.

    ``executor``: any :class:`concurrent.futures.Executor` (None: :func:`default_executor`,
    shut down at the end; a given executor is left running). ``progress(done, total)`` counts
    rows (skipped ones included as done); ``on_row(row)`` gets each row when it completes.
    A point the schema refuses, or whose computation raises, gets its message in ``error``."""
    skip = set(skip)
    total = len(plan.points) * len(plan.models)
    rows: dict[tuple, dict] = {}
    todo = {}  # point index -> models to compute
    for i, (values, exp) in enumerate(plan.points):
        ms = [m for m in plan.models if plan.key(values, m) not in skip]
        if not ms:
            continue
        if isinstance(exp, str):
            for m in ms:
                rows[(i, m)] = _row(plan, i, m, exp)
        else:
            todo[i] = ms
    done = total - sum(len(v) for v in todo.values())
    for r in rows.values():
        if on_row:
            on_row(r)
    if progress:
        progress(done, total)
    # per model, groups of points that share depth tables (design.table_key): their depth
    # tables are computed once here and shipped to the tasks
    own = executor is None
    ex = default_executor() if own else executor
    try:
        futures = {}
        remaining: dict[tuple, int] = {}
        for model in plan.models:
            pts = [i for i in todo if model in todo[i]]
            groups: dict[str, list[int]] = {}
            for i in pts:
                groups.setdefault(table_key(plan.points[i][1], model, plan.method, plan.form_factor), []).append(i)
            if not groups:
                continue
            # one point per group, the deepest target: all the tables needed
            deepest: dict[str, int] = {}
            for gkey, idx in groups.items():
                deepest[gkey] = max(idx, key=lambda i: plan.points[i][1].target.length_m)
            reps = [plan.points[i][1] for i in deepest.values()]
            n_chunks = max(1, min(plan.masses.size, math.ceil(plan.masses.size * len(reps) * SECONDS_PER_TABLE / task_seconds)))
            edges = np.linspace(0, plan.masses.size, n_chunks + 1).round().astype(int)
            table_futs = [ex.submit(_table_task, reps, model, plan.masses[a:b], plan.method, plan.form_factor)
                          for a, b in zip(edges[:-1], edges[1:]) if b > a]
            tables = {}
            with progress_task(f"production tables for model {model.name} ({plan.masses.size} masses)",
                               total=len(table_futs)) as bar:
                for n, f in enumerate(as_completed(table_futs)):
                    tables.update(f.result())
                    bar.update(n + 1)
            scatter = _scatterer(ex)
            for gkey, idx in groups.items():
                units: dict[tuple, list[int]] = {}
                for pos, i in enumerate(idx):
                    units.setdefault(_evaluated_together(plan.points[i][1]), []).append(pos)
                chunks = _chunks(plan.masses.size, list(units.values()), 1, task_seconds)
                # (no depth tables for an electron beam: reach_many computes each point's own)
                every = {k: tables[k] for m in plan.masses if (k := (gkey, float(m))) in tables}
                shipped = scatter(every) if scatter is not None else None  # once per group, not per task
                for ms, ps in chunks:
                    sub = shipped if shipped is not None else \
                        {k: tables[k] for m in plan.masses[ms] if (k := (gkey, float(m))) in tables}
                    pts = [idx[p] for p in ps]
                    fut = ex.submit(_run_task, [plan.points[i][1] for i in pts], model, plan.masses[ms], plan.couplings,
                                    plan.method, plan.form_factor, sub)
                    futures[fut] = (tuple(pts), model, ms)
                    for i in pts:
                        remaining[(i, model)] = remaining.get((i, model), 0) + 1
        # per (point, model): per-mass intervals being filled, chunks outstanding
        partial = {(i, m): [None] * plan.masses.size for i in todo for m in todo[i]}
        failed: dict[tuple, str] = {}
        for fut in as_completed(futures):
            idx, m, sl = futures[fut]
            try:
                res = fut.result()
            except BrokenProcessPool:
                res = ["task failed: a worker process died (out of memory, killed, or a script without the "
                       "`if __name__ == '__main__':` guard that process pools need); rerun to retry"] * len(idx)
            except Exception as exc:  # noqa: BLE001 - e.g. a Dask worker lost: recorded per row
                res = [f"task failed: {type(exc).__name__}: {exc}"] * len(idx)
            for i, r in zip(idx, res):
                if isinstance(r, str):
                    failed.setdefault((i, m), r)
                else:
                    partial[(i, m)][sl] = r
                remaining[(i, m)] -= 1
                if remaining[(i, m)] == 0:
                    rows[(i, m)] = _row(plan, i, m, failed.get((i, m), partial.pop((i, m))))
                    done += 1
                    if on_row:
                        on_row(rows[(i, m)])
                    if progress:
                        progress(done, total)
    except BaseException:  # Ctrl-C, SIGTERM: no task is waited for
        if own:
            stop_executor(ex)
        raise
    finally:
        if own:
            ex.shutdown(wait=True, cancel_futures=True)
    order = {m: k for k, m in enumerate(plan.models)}
    return [rows[k] for k in sorted(rows, key=lambda t: (t[0], order[t[1]]))]


def scan(experiment, grid, models, executor: Optional[Executor] = None, **options) -> list[dict]:
    """Plan and run a scan in one call (options: those of :func:`plan_scan`, and ``progress``,
    ``on_row``, ``task_seconds`` of :func:`run_scan`). Returns the rows."""
    run_opts = {k: options.pop(k) for k in ("progress", "on_row", "task_seconds", "skip") if k in options}
    return run_scan(plan_scan(experiment, grid, models, **options), executor, **run_opts)


__all__ = [
    "FIGURES_OF_MERIT", "ReferenceRegion", "ScanPlan", "check_grid", "default_executor", "figures_of_merit",
    "numeric_fields", "plan_scan", "reference_region", "region_fraction", "run_scan", "scan", "serial_executor", "stop_executor",
]
