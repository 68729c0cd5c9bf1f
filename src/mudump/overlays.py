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


def _schema():
    """The pydantic schema of an overlay file (see the module docstring)."""
    from typing import Literal, Optional

    from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

    from .config import SCHEMA_VERSION

    class OverlayFile(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

        schema_version: Literal[1] = SCHEMA_VERSION
        label: str = Field(min_length=1, max_length=200)
        citation: str = Field(min_length=1, max_length=2000)
        confidence_level: float = Field(gt=0, lt=1)
        models: list[str] = Field(min_length=1, description='model names, or ["*"] for any model')
        shape: Literal["limit", "region"] = "limit"
        mass_GeV: Optional[list[float]] = Field(None, min_length=2)
        coupling: Optional[list[float]] = Field(None, min_length=2)
        data: Optional[str] = Field(None, min_length=1)

        @field_validator("label", "citation")
        @classmethod
        def _not_blank(cls, v: str) -> str:
            if not v.strip():
                raise ValueError("is required (a non-empty string)")
            return v.strip()

        @field_validator("label")
        @classmethod
        def _drawable(cls, v: str) -> str:
            return check_mathtext("label", v)

        @model_validator(mode="after")
        def _points(self):
            inline = self.mass_GeV is not None or self.coupling is not None
            if self.data is not None and inline:
                raise ValueError("data: give the points either inline (mass_GeV, coupling) or in a data file, not both")
            if self.data is None:
                for k in ("mass_GeV", "coupling"):
                    if getattr(self, k) is None:
                        raise ValueError(f"{k}: is required: a list of numbers (or give data = a CSV file)")
                if len(self.coupling) != len(self.mass_GeV):
                    raise ValueError(f"coupling: has {len(self.coupling)} values for {len(self.mass_GeV)} masses")
            return self

    return OverlayFile


def parse_overlay(doc: dict, where: str, base_dir: "str | Path | None" = None) -> Overlay:
    """An :class:`Overlay` from a parsed overlay document (``where`` names it in messages); a
    ``data`` CSV file is read relative to ``base_dir`` (None: a document without a file may not
    name one). Every mistake is one ConfigError line naming the field."""
    from .config import validate

    f = validate(_schema(), doc, f"overlay {where}")
    if f.data is not None:
        if base_dir is None:
            _fail(where, "data", "points from a file need the overlay file itself: give them inline (mass_GeV, coupling)")
        m, g = _read_csv(Path(base_dir) / f.data, where)
    else:
        m, g = np.asarray(f.mass_GeV, dtype=float), np.asarray(f.coupling, dtype=float)
    for name, v in (("mass_GeV", m), ("coupling", g)):
        bad = ~np.isfinite(v) | (v <= 0)
        if bad.any():
            _fail(where, name, f"{v[bad][0]:g} is not allowed: every value must be a positive number")
    if m.size < 2:
        _fail(where, "mass_GeV", "needs at least two points")
    if f.shape == "limit":
        order = np.argsort(m, kind="stable")
        m, g = m[order], g[order]
    return Overlay(f.label, f.citation, float(f.confidence_level), tuple(f.models), f.shape, m, g, where)


def load_overlay(path: "str | Path") -> Overlay:
    """Read and validate an overlay file (see the module docstring), by the one TOML loader
    (:mod:`mudump.config`)."""
    from .config import read_toml

    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise ConfigError(f"overlay {where!r} does not exist")
    return parse_overlay(read_toml(path, f"overlay {where}"), where, path.parent)


__all__ = ["Overlay", "load_overlay", "parse_overlay", "SHAPES"]
