"""Published constraints shipped with mudump: what other experiments already exclude, drawn on
every reach plot under mudump's own contours and listed with their citations in the outputs.

The constraints are data (``catalogue.toml`` and the CSV files in ``data/`` beside this module;
the BibTeX in ``references.bib``): each with its paper, figure, confidence level, who
digitised it from what, the models it fits and the rule that converts the paper's coupling to
mudump's (:mod:`mudump.constraints.conversions`). A constraint fits a model when the model has
the same kind (scalar, vector, ...), the same pattern of couplings to each lepton (as ratios
to g_mu) and, where the search needs X to decay to leptons, no dark sector. This module reads,
checks and selects them; it computes no physics and draws nothing (:mod:`mudump.plotting`
does).

Units: masses in GeV, couplings dimensionless (mudump's g_mu, or g' for L_mu - L_tau).
"""

from __future__ import annotations

import csv
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Iterable, Mapping

import numpy as np

from ..errors import ConfigError, UnknownNameError
from .conversions import CONVERSIONS
from .._checks import check_mathtext

SHAPES = ("limit", "region", "line")
#: Leptons a coupling pattern may name (as in :mod:`mudump.models`).
_LEPTONS = ("e", "mu", "tau", "nu_e", "nu_mu", "nu_tau")
#: Relative tolerance when a model's coupling ratios are compared with a pattern.
_RATIO_RTOL = 1e-6


@dataclass(frozen=True)
class Constraint:
    """A published constraint in mudump's plane: masses in GeV, couplings in mudump's
    convention (NaN where the source has no limit), and where it comes from."""

    name: str
    label: str
    citation: str
    bibtex: tuple[str, ...]
    confidence_level: float
    cl_note: str
    digitised: str
    shape: str
    mass_GeV: np.ndarray = field(repr=False)
    coupling: np.ndarray = field(repr=False)
    kind: str
    couplings: "Mapping[str, float] | str"
    dark_sector_allowed: bool
    conversion: str
    default: bool
    computed: bool = False

    def pattern(self) -> dict[str, float]:
        """The couplings to each lepton as ratios to g_mu that a model must have."""
        if self.couplings == "mass-proportional":
            from ..constants import LEPTONS

            return {l: LEPTONS[l] / LEPTONS["mu"] for l in ("e", "mu", "tau")}
        return dict(self.couplings)

    def why_not(self, model) -> str | None:
        """None if the constraint fits ``model`` (a name or a :class:`mudump.models.Model`),
        else the reason in a few words."""
        from ..models import get_model

        m = get_model(model)
        if m.kind != self.kind:
            return f"it is for a {self.kind}, model {m.name} is a {m.kind}"
        want = self.pattern()
        for lep in _LEPTONS:
            a, b = float(m.ratios.get(lep, 0.0)), float(want.get(lep, 0.0))
            if abs(a - b) > _RATIO_RTOL * max(1.0, abs(b)):
                return f"it needs the couplings {self.describe_pattern()}, model {m.name} has g_{lep}/g_mu = {a:g}"
        if m.dark_sector is not None and not self.dark_sector_allowed:
            return f"it needs X to decay to visible particles, model {m.name} decays to a dark sector"
        return None

    def applies_to(self, model) -> bool:
        """True if the constraint fits ``model``."""
        return self.why_not(model) is None

    def describe_pattern(self) -> str:
        if self.couplings == "mass-proportional":
            return "g_l = g_mu m_l/m_mu"
        others = [f"g_{l} = {v:g} g_mu" for l, v in self.couplings.items() if l != "mu"]
        return "g_mu only" if not others else "g_mu, " + ", ".join(others) + " only"

    def to_dict(self) -> dict:
        """What the JSON outputs list for a constraint drawn (no data points)."""
        return {"name": self.name, "label": self.label, "citation": self.citation, "bibtex": list(self.bibtex),
                "confidence_level": self.confidence_level, "cl_note": self.cl_note, "digitised": self.digitised,
                "shape": self.shape, "conversion": self.conversion, "computed": self.computed}


def _fail(name: str, key: str, message: str):
    raise ConfigError(f"constraint {name}: {key}: {message}")


def _read_points(name: str, entry: dict) -> tuple[np.ndarray, np.ndarray]:
    """The (mass, coupling) columns of a constraint's CSV file, in the paper's units."""
    path = resources.files(__package__) / "data" / entry["data"]
    try:
        with path.open(newline="") as fh:
            rows = list(csv.reader(fh))
    except OSError as exc:
        _fail(name, "data", f"cannot read {entry['data']!r} ({exc})")
    header = rows[0]
    cols = []
    for key in ("mass_column", "coupling_column"):
        if entry.get(key) not in header:
            _fail(name, key, f"{entry.get(key)!r} is not a column of {entry['data']} (columns: {', '.join(header)})")
        cols.append(header.index(entry[key]))
    arr = np.array([[float(r[c]) for c in cols] for r in rows[1:] if r], dtype=float)
    return arr[:, 0], arr[:, 1]


def _build(name: str, entry: dict) -> Constraint:
    required = ("label", "citation", "bibtex", "confidence_level", "cl_note", "digitised", "data", "mass_column",
                "coupling_column", "mass_unit", "shape", "conversion", "applies", "default")
    for key in required:
        if key not in entry:
            _fail(name, key, "is required")
    check_mathtext(f"constraint {name}: label", entry["label"])
    if entry["shape"] not in SHAPES:
        _fail(name, "shape", f"{entry['shape']!r} is unknown: allowed {', '.join(SHAPES)}")
    if entry["conversion"] not in CONVERSIONS:
        _fail(name, "conversion", f"{entry['conversion']!r} is unknown: allowed {', '.join(CONVERSIONS)}")
    scale = {"GeV": 1.0, "MeV": 1e-3}.get(entry["mass_unit"])
    if scale is None:
        _fail(name, "mass_unit", f"{entry['mass_unit']!r} is unknown: allowed GeV, MeV")
    m, g = _read_points(name, entry)
    if "upper_column" in entry:  # a band: the lower edge left to right, the upper edge back
        _, upper = _read_points(name, {**entry, "coupling_column": entry["upper_column"]})
        order = np.argsort(m, kind="stable")
        m, g = np.r_[m[order], m[order][::-1]], np.r_[g[order], upper[order][::-1]]
        if entry["shape"] != "region":
            _fail(name, "shape", 'a band (upper_column) must have shape = "region"')
    m = m * scale
    g = np.array(g)
    if "no_limit_value" in entry:
        g[g >= float(entry["no_limit_value"])] = np.nan
    for lo, hi in entry.get("veto_windows_GeV", []):
        g[(m >= lo) & (m <= hi)] = np.nan
    if entry["shape"] != "region":
        order = np.argsort(m, kind="stable")
        m, g = m[order], g[order]
    g = CONVERSIONS[entry["conversion"]](g, m)
    applies = entry["applies"]
    couplings = applies.get("couplings")
    if couplings != "mass-proportional":
        if not isinstance(couplings, dict) or set(couplings) - set(_LEPTONS):
            _fail(name, "applies.couplings", f'must be "mass-proportional" or ratios to g_mu of {", ".join(_LEPTONS)}')
        couplings = {k: float(v) for k, v in couplings.items()}
    return Constraint(name=name, label=entry["label"], citation=entry["citation"], bibtex=tuple(entry["bibtex"]),
                      confidence_level=float(entry["confidence_level"]), cl_note=entry["cl_note"],
                      digitised=entry["digitised"], shape=entry["shape"], mass_GeV=m, coupling=g,
                      kind=applies["kind"], couplings=couplings, dark_sector_allowed=bool(applies["dark_sector"]),
                      conversion=entry["conversion"], default=bool(entry["default"]))


@cache
def catalogue() -> dict[str, Constraint]:
    """Every shipped constraint by name, read and checked once."""
    doc = tomllib.loads((resources.files(__package__) / "catalogue.toml").read_text(encoding="utf-8"))
    doc.pop("schema_version", None)
    out = {}
    for name, entry in doc.items():
        c = _build(name, entry)
        c.mass_GeV.flags.writeable = False
        c.coupling.flags.writeable = False
        out[name] = c
    return out


def names() -> list[str]:
    """The names of the shipped constraints, then of those mudump computes for the model
    (the electron beam dumps of :mod:`mudump.constraints.electron_dumps`)."""
    from .electron_dumps import dumps

    return [*catalogue(), *dumps()]


def _computed(name: str, model):
    """The computed constraint ``name`` for ``model``, or the reason it cannot apply."""
    from .electron_dumps import computed_constraint, couples_to_electrons, dumps

    if not couples_to_electrons(model):
        return None, "the model has no coupling to electrons: an electron beam makes nothing"
    c = computed_constraint(name, model)
    if c is None:
        return None, f"{dumps()[name].label} excludes nothing for it on mudump's grid (at most one mass)"
    return c, None


def get_constraint(name: str) -> Constraint:
    """A shipped (data) constraint by name; an unknown name lists the available ones."""
    try:
        return catalogue()[name]
    except KeyError:
        from .electron_dumps import dumps

        if name in dumps():
            raise ConfigError(f"constraint {name!r} is computed for a model: use select([{name!r}], model)") from None
        raise UnknownNameError(f"constraint {name!r} is unknown: available {', '.join(names())}") from None


def select(spec: "str | Iterable[str] | None", models, experiments=()) -> tuple[list[Constraint], list[str]]:
    """The constraints to draw for the plot of ``models`` (names or Model objects), and notes.

    ``spec``: "default" (or None: the default constraints that fit every model of the plot),
    "none", or names of constraints (a list, or one string with names separated by commas or
    spaces; "default" may be one of them). A named constraint that does not fit a model raises
    :class:`mudump.errors.ConfigError`; a default one that fits some but not all models of the
    plot is left out with a note (returned, one line each). ``experiments``: those of the plot
    (Experiment objects); a default computed region whose electron-dump preset is one of them is
    left out with a note, since the plot's own contour is that region."""
    from ..models import get_model

    models = [get_model(m) for m in (models if isinstance(models, (list, tuple)) else [models])]
    if spec is None:
        spec = ["default"]
    elif isinstance(spec, str):
        spec = [s for s in re.split(r"[,\s]+", spec) if s]
    else:
        spec = [s for item in spec for s in re.split(r"[,\s]+", item) if s]
    if spec == ["none"]:
        return [], []
    if "none" in spec:
        raise ConfigError("constraints: 'none' cannot be combined with other names")
    chosen, notes = [], []
    for item in spec:
        if item == "default":
            for c in catalogue().values():
                fits = [m for m in models if c.applies_to(m)]
                if not c.default or c in chosen or not fits:
                    continue
                if len(fits) == len(models):
                    chosen.append(c)
                else:  # it fits some models of the plot: say why it is left out
                    other = next(m for m in models if m not in fits)
                    notes.append(f"constraint {c.name} not drawn: it does not apply to model {other.name} "
                                 f"({c.why_not(other)})")
            if len(models) == 1:  # computed regions: for one model at a time
                from .electron_dumps import dumps

                for name, d in dumps().items():
                    if not d.default:
                        continue
                    if any(e == d.preset for e in experiments):
                        notes.append(f"constraint {name} not drawn: it is the region of the experiment {name} plotted")
                        continue
                    c, why = _computed(name, models[0])
                    if c is not None and all(c.name != d.name for d in chosen):
                        chosen.append(c)
            continue
        from .electron_dumps import dumps

        if item in dumps():
            if len(models) != 1:
                raise ConfigError(f"constraint {item} is computed for one model at a time, not for {len(models)}")
            c, why = _computed(item, models[0])
            if c is None:
                raise ConfigError(f"constraint {item} does not apply to model {models[0].name}: {why}")
            if all(c.name != d.name for d in chosen):
                chosen.append(c)
            continue
        c = get_constraint(item)
        for m in models:
            why = c.why_not(m)
            if why:
                raise ConfigError(f"constraint {c.name} does not apply to model {m.name}: {why}")
        if c not in chosen:
            chosen.append(c)
    return chosen, notes


def payload(constraints: Iterable[Constraint]) -> list[dict]:
    """The list of constraints drawn, with their citations, for a result's JSON."""
    return [c.to_dict() for c in constraints]


@cache
def _bib_entries() -> dict[str, str]:
    text = (resources.files(__package__) / "references.bib").read_text(encoding="utf-8")
    entries = {}
    for match in re.finditer(r"^@\w+\{([^,]+),.*?^\}", text, flags=re.M | re.S):
        entries[match.group(1).strip()] = match.group(0)
    return entries


def bibtex(keys: Iterable[str]) -> str:
    """The BibTeX entries of ``keys`` (each once, in order), separated by blank lines. An
    unknown key raises :class:`mudump.errors.UnknownNameError`."""
    entries = _bib_entries()
    out = []
    for k in dict.fromkeys(keys):
        if k not in entries:
            raise UnknownNameError(f"no BibTeX entry {k!r}: available {', '.join(entries)}")
        out.append(entries[k])
    return "\n\n".join(out) + ("\n" if out else "")


def bibtex_keys(constraints: Iterable[Constraint]) -> list[str]:
    """The BibTeX keys of the constraints, each once."""
    return list(dict.fromkeys(k for c in constraints for k in c.bibtex))


#: What a reach plot cites besides its constraints: the study whose method mudump follows.
METHOD_KEYS = ("Chen:2017awl",)
#: The BibTeX keys of each Delta a_mu preset of :mod:`mudump.g2` (its ``source``).
G2_PRESET_KEYS = {"cpz2017": ("Chen:2017awl",), "fnal2021": ("arXiv:2104.03281",), "fnal2023": ("arXiv:2308.06230",),
                  "wp25": ("arXiv:2505.21476",)}


def cite_keys(constraints: Iterable[Constraint], g2_preset: str | None = None) -> list[str]:
    """Every BibTeX key a reach plot uses: mudump's method (:data:`METHOD_KEYS`), the Delta
    a_mu preset drawn (None: the default one), then the constraints."""
    from .. import g2

    name = g2_preset or g2.default_preset_name()
    return list(dict.fromkeys([*METHOD_KEYS, *G2_PRESET_KEYS.get(name, ()), *bibtex_keys(constraints)]))


__all__ = ["Constraint", "METHOD_KEYS", "G2_PRESET_KEYS", "cite_keys", "SHAPES", "catalogue", "names", "get_constraint", "select", "payload", "bibtex",
           "bibtex_keys"]
