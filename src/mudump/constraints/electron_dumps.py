"""The classic electron beam dumps (SLAC E137, Orsay, ...) computed by mudump: the region of
(m_X, g_mu) each excludes for any model with a coupling to electrons, drawn as "computed"
constraints.

Each dump is an experiment preset with an electron beam (``beam.lepton = "e"``,
``src/mudump/experiments/presets/``), and its region is the reach of that preset for the model
(:func:`mudump.reach.reach`, phase-space WW production from the beam electron's track length in
the thick target, :mod:`mudump.production.electron_beam`; the signal and limit of
:mod:`mudump.signal` and :mod:`mudump.statistics`): the thick-target yield of Bjorken et al.,
Phys. Rev. D 38 (1988) 3375, and of Andreas, Niebuhr, Ringwald, arXiv:1209.6083, section 2,

    N(m_X, g) = N_e n int dE (dl/dE)(E0, E) int dx dsigma/dx(E, x; g_e) P_signal(xE; g),

with g_e the model's electron coupling (g_e = g_mu m_e / m_mu for model A, e eps for a dark
photon, the loop mixing for L_mu - L_tau). An excluded point has N at or above the preset's
event limit (3.0 events at 95% CL with no event and no background).

Which dumps are computed, their citations and BibTeX keys: ``electron_dumps.toml`` beside this
module; the numbers of each, with their provenance (cited, calibrated on the dump's dark-photon
limit as digitised by DarkCast, or assumed): the preset's ``[provenance]`` table.

Units: masses and energies in GeV, lengths in metres, couplings dimensionless.
"""

from __future__ import annotations

import hashlib
import threading
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..experiments import Experiment


@dataclass(frozen=True)
class ElectronDump:
    """A computed electron beam dump: its experiment preset (``preset``, an
    :class:`mudump.experiments.Experiment`), the citation of the experiment and its BibTeX keys,
    the shipped dark-photon limit it is calibrated on (``benchmark``, a constraint name), and
    whether it is drawn by default (``default``; else when named)."""

    name: str
    experiment: str
    bibtex: tuple[str, ...]
    benchmark: str
    preset: "Experiment"
    default: bool = True

    @property
    def label(self) -> str:
        return self.preset.label or self.name

    @property
    def confidence_level(self) -> float:
        return float(self.preset.statistics.confidence_level)

    @property
    def events_limit(self) -> float:
        return float(self.preset.statistics.limit().n_up)

    @property
    def status(self) -> dict:
        """The preset's provenance: field path -> "cited: ...", "calibrated: ..." or "assumed: ..."."""
        return dict(self.preset.provenance)


@cache
def dumps() -> dict[str, ElectronDump]:
    """The computed electron beam dumps by name."""
    from ..experiments import load_experiment

    doc = tomllib.loads((resources.files(__package__) / "electron_dumps.toml").read_text(encoding="utf-8"))
    doc.pop("schema_version", None)
    return {name: ElectronDump(name=name, experiment=d["experiment"], bibtex=tuple(d["bibtex"]),
                               benchmark=d["benchmark"], preset=load_experiment(d.get("preset", name)),
                               default=bool(d.get("default", True)))
            for name, d in doc.items()}


def events(dump: ElectronDump, model, m_X: float, couplings) -> np.ndarray:
    """Expected signal events of ``dump`` for ``model`` at mass m_X (GeV) and each coupling
    g_mu (the model's scanned coupling): :func:`mudump.signal.experiment_events` of its preset."""
    from ..models import get_model
    from ..signal import experiment_events

    mdl = get_model(model)
    g = np.atleast_1d(np.asarray(couplings, dtype=float))
    if not couples_to_electrons(mdl):
        return np.zeros_like(g)
    return experiment_events(dump.preset, mdl, float(m_X), g)


def excluded_interval(dump: ElectronDump, model, m_X: float, couplings) -> tuple[float, float] | None:
    """The excluded (g_low, g_high) at m_X on the coupling grid ``couplings`` (sorted), from the
    reach of the dump's preset (edges root-found on the event function); None if nothing is
    excluded. A beam dump excludes one interval per mass (production up, decay before the
    detector at large couplings): the lowest and highest edges are returned."""
    from ..reach import reach

    iv = reach(dump.preset, model, [float(m_X)], np.asarray(couplings, dtype=float), refine_thresholds=False).intervals[0]
    return (float(iv[0][0]), float(iv[-1][1])) if iv else None


def couples_to_electrons(model) -> bool:
    """True if the model gives X a coupling to electrons (directly or by kinetic mixing)."""
    from ..models import get_model

    mdl = get_model(model)
    return float(mdl.couplings(1.0, 0.01).get("e", 0.0)) != 0.0


def _masses(dump: ElectronDump) -> np.ndarray:
    """Masses (GeV) of the computed regions: log-spaced from 1 MeV to min(1 GeV, E0/2), with the
    points just below the two-muon threshold, where model A's region ends."""
    from ..constants import M_MU

    top = min(1.0, 0.5 * dump.preset.beam.energy_GeV)
    m = np.geomspace(1e-3, top, 28)
    edge = 2.0 * M_MU * np.array([0.99, 0.999])
    return np.unique(np.r_[m, edge[edge < top]])


#: Couplings of the computed regions.
COUPLINGS = np.geomspace(1e-9, 1.0, 181)
#: Bumped when the computation changes, so that cached regions are recomputed.
_VERSION = 2  # 2: through the reach pipeline (experiment presets with an electron beam)


def _fingerprint(mdl) -> dict:
    """What the region depends on in a model (not its name)."""
    d = mdl.dark_sector
    return {"kind": mdl.kind, "ratios": dict(sorted(mdl.ratios.items())), "mixing": mdl.kinetic_mixing,
            "dark": None if d is None else [d.alpha_D, d.chi_mass_GeV, d.chi_mass_ratio]}


def region(dump: ElectronDump, model, masses, couplings, progress=None) -> tuple[np.ndarray, np.ndarray]:
    """The closed outline (m in GeV, g) of the region ``dump`` excludes for ``model``: lower
    edges left to right, then upper edges right to left, over the masses with an exclusion
    (empty arrays if none). One :func:`mudump.reach.reach` of the preset on these grids."""
    from ..reach import reach

    if not couples_to_electrons(model):
        return np.zeros(0), np.zeros(0)
    r = reach(dump.preset, model, np.asarray(masses, dtype=float), np.asarray(couplings, dtype=float),
              progress=progress, refine_thresholds=False)
    rows = [(m, iv[0][0], iv[-1][1]) for m, iv in zip(r.masses, r.intervals) if iv]
    if not rows:
        return np.zeros(0), np.zeros(0)
    m, lo, hi = (np.array(v, dtype=float) for v in zip(*rows))
    return np.r_[m, m[::-1]], np.r_[lo, hi[::-1]]


#: One region computed or read at a time (the explorer asks from several threads): concurrent
#: readers and writers of one entry once saw it damaged and rebuilt it.
_REGION_LOCK = threading.Lock()


def cached_region(dump: ElectronDump, model) -> tuple[np.ndarray, np.ndarray]:
    """:func:`region` on the standard grid, kept in the user cache (an entry per dump, preset
    document and model fingerprint), with a progress task (about 0.1 s per mass); one thread at
    a time."""
    with _REGION_LOCK:
        return _cached_region(dump, model)


def _cached_region(dump: ElectronDump, model) -> tuple[np.ndarray, np.ndarray]:
    from .. import cache, progress
    from ..models import get_model

    mdl = get_model(model)
    preset = dump.preset.model_dump(mode="json", exclude={"provenance", "label", "description", "source"})
    from ..production import electron_beam

    key = cache.key_text({"version": _VERSION, "production": electron_beam.VERSION, "preset": preset,
                          "model": _fingerprint(mdl),
                          "couplings": [COUPLINGS.size, float(COUPLINGS[0]), float(COUPLINGS[-1])]})
    path = cache.subdir("electron-dumps") / f"{dump.name}-{hashlib.sha256(key.encode()).hexdigest()[:24]}.npz"
    got = cache.load(path, key, {"mass_GeV": ("n",), "coupling": ("n",)})
    if got is not None:
        return got["mass_GeV"], got["coupling"]
    masses = _masses(dump)
    with progress.task(f"{dump.label} for model {mdl.name} (electron beam dump)", total=masses.size) as t:
        out = region(dump, mdl, masses, COUPLINGS, progress=lambda done, total: t.update(done))
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
        f"experiment preset {dump.preset.name}, parameters calibrated on its dark-photon limit: {', '.join(calibrated)})",
        bibtex=dump.bibtex, confidence_level=dump.confidence_level,
        cl_note=dump.status.get("statistics.confidence_level", ""),
        digitised="computed by mudump.constraints.electron_dumps", shape="region", mass_GeV=m, coupling=g,
        kind=mdl.kind, couplings=dict(mdl.ratios), dark_sector_allowed=True, conversion="identity",
        default=dump.default, computed=True)


__all__ = ["ElectronDump", "dumps", "events", "excluded_interval", "region", "couples_to_electrons", "cached_region",
           "computed_constraint", "COUPLINGS"]
