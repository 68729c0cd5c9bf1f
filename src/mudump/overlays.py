"""Constraints from other papers, as data the user gives: overlay files drawn under mudump's own
contours.

mudump ships published constraints of its own (:mod:`mudump.constraints`); an overlay is a
TOML file that the user writes from another paper's published data (its tables, supplementary
files or a digitisation):

```toml
label = "BaBar (4 mu)"                      # legend text
citation = "BaBar, PRD 94 (2016) 011102, arXiv:1606.03501, Fig. 5"
confidence_level = 0.9
models = ["lmu-ltau", "lmu-ltau-dm"]        # the models it applies to ("*": any model)
shape = "limit"                             # "limit": excluded above the curve; "region": a closed polygon
# the points, inline ...
mass_GeV = [0.215, 0.3, 1.0, 5.0]
coupling = [1.4e-3, 8e-4, 7e-4, 2e-3]
# ... or from a CSV file beside it (two named columns, mass in GeV then coupling):
# data = "babar.csv"
```

Every mistake (a missing field, a missing column, non-positive or non-finite coordinates, a
label that matplotlib's mathtext cannot draw) is one :class:`mudump.errors.ConfigError` line
naming the field and the file.

Units: masses in GeV, couplings dimensionless.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._checks import check_mathtext
from .errors import ConfigError

SHAPES = ("limit", "region")


@dataclass(frozen=True)
class Overlay:
    """A published constraint: points (m in GeV, coupling), what they mean, where they come from."""

    label: str
    citation: str
    confidence_level: float
    models: tuple[str, ...]
    shape: str
    mass_GeV: np.ndarray
    coupling: np.ndarray
    source_file: str = ""

    def applies_to(self, model) -> bool:
        """True if the overlay is for this model (by its name or descriptive name, or "*")."""
        from .models import get_model

        m = get_model(model)
        return "*" in self.models or any(m.is_named(x) for x in self.models)

    def to_dict(self) -> dict:
        """What a reach output records of the overlay: label, citation, CL, the file."""
        return {"label": self.label, "citation": self.citation, "confidence_level": self.confidence_level,
                "file": self.source_file}


def _fail(where: str, field: str, message: str):
    raise ConfigError(f"overlay {where}: {field}: {message}")


def _read_csv(path: Path, where: str) -> tuple[np.ndarray, np.ndarray]:
    if not path.is_file():
        _fail(where, "data", f"the file {str(path)!r} does not exist")
    try:
        with path.open(newline="") as fh:
            rows = [r for r in csv.reader(fh) if r and not r[0].lstrip().startswith("#")]
    except (OSError, UnicodeDecodeError) as exc:
        _fail(where, "data", f"cannot read {str(path)!r} ({exc})")
    if len(rows) < 2:
        _fail(where, "data", f"{str(path)!r} needs a header and at least one row")
    if len(rows[0]) < 2:
        _fail(where, "data", f"{str(path)!r} needs two columns (mass in GeV, coupling), found {len(rows[0])}")
    try:
        arr = np.array([[float(r[0]), float(r[1])] for r in rows[1:]])
    except (ValueError, IndexError):
        _fail(where, "data", f"{str(path)!r}: every row needs two numbers (mass in GeV, coupling)")
    return arr[:, 0], arr[:, 1]


def load_overlay(path: "str | Path") -> Overlay:
    """Read and validate an overlay file (see the module docstring)."""
    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise ConfigError(f"overlay {where!r} does not exist")
    try:
        doc = tomllib.loads(path.read_bytes().decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"overlay {where}: not valid TOML: {exc}") from None
    known = {"label", "citation", "confidence_level", "models", "shape", "mass_GeV", "coupling", "data"}
    for k in doc:
        if k not in known:
            _fail(where, k, "is not a known field")
    for k in ("label", "citation"):
        if not isinstance(doc.get(k), str) or not doc[k].strip():
            _fail(where, k, "is required (a non-empty string)")
    check_mathtext(f"overlay {where}: label", doc["label"].strip())
    cl = doc.get("confidence_level")
    if isinstance(cl, bool) or not isinstance(cl, (int, float)) or not 0 < cl < 1:
        _fail(where, "confidence_level", "is required, a number between 0 and 1")
    models = doc.get("models")
    if not isinstance(models, list) or not models or not all(isinstance(m, str) for m in models):
        _fail(where, "models", 'is required: a list of model names, or ["*"] for any model')
    shape = doc.get("shape", "limit")
    if shape not in SHAPES:
        _fail(where, "shape", f"{shape!r} is unknown: allowed {', '.join(SHAPES)}")
    if "data" in doc:
        if "mass_GeV" in doc or "coupling" in doc:
            _fail(where, "data", "give the points either inline (mass_GeV, coupling) or in a data file, not both")
        m, g = _read_csv(path.parent / str(doc["data"]), where)
    else:
        for k in ("mass_GeV", "coupling"):
            v = doc.get(k)
            if not isinstance(v, list) or not v or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in v):
                _fail(where, k, "is required: a list of numbers (or give data = a CSV file)")
        m, g = np.asarray(doc["mass_GeV"], dtype=float), np.asarray(doc["coupling"], dtype=float)
        if m.size != g.size:
            _fail(where, "coupling", f"has {g.size} values for {m.size} masses")
    for name, v in (("mass_GeV", m), ("coupling", g)):
        bad = ~np.isfinite(v) | (v <= 0)
        if bad.any():
            _fail(where, name, f"{v[bad][0]:g} is not allowed: every value must be a positive number")
    if m.size < 2:
        _fail(where, "mass_GeV", "needs at least two points")
    if shape == "limit":
        order = np.argsort(m, kind="stable")
        m, g = m[order], g[order]
    return Overlay(doc["label"].strip(), doc["citation"].strip(), float(cl), tuple(models), shape, m, g, where)


__all__ = ["Overlay", "load_overlay", "SHAPES"]
