"""The explorer's requests: pydantic models of every request body, and the bounds on them.

Units: GeV and metres, in every field name that carries one.
"""

from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from .. import reach as reachmod
from ..models import MASS_RANGE_GEV
from ..production import DEFAULT_METHOD
from ..production.formfactors import DEFAULT_FORM_FACTOR

#: Bounds on every request (the CLI's own bounds where it has them, tighter where a browser
#: request should stay interactive).
LIMITS: dict[str, int] = {
    "body_bytes": 64 * 1024,  # a whole experiment document is < 2 kB, a model or overlay file a few kB
    "n_masses": 400,  # CLI: 2000; 400 log-spaced masses resolve any contour on screen
    "n_couplings": 1000,  # CLI: 5000; edges are root-found, so the grid only has to bracket them
    "models": 4,  # models drawn at once in one plot
    "experiments": 4,  # experiments drawn at once in one plot
    "scans": 48,  # reach scans behind one plot (experiments x models x theory choices)
    "overlays": 8,  # user overlay files drawn at once
    "upload_chars": 16 * 1024,  # one uploaded model or overlay file (TOML text)
    "bins": 1000,
    "n_energies": 2000,
    "string_chars": 200,
    "cache_entries": 128,  # reach results kept in memory (~ n_masses x n_couplings floats each)
    "stream_jobs": 32,  # streamed reach computations running or waiting at once (503 beyond)
}

#: (g-2) band resolution on the reach plot: masses, as in mudump.plotting.reach_figure.
G2_POINTS = 200


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


#: An experiment: a preset name (never a path on the server) or a whole experiment document.
ExperimentSpec = Union[str, dict[str, Any]]


class UploadedFile(_Request):
    """A file the user chose in the browser, sent as its text (the server reads no file a
    request names): a model file (docs/models.md) or an overlay file (docs/overlays.md)."""

    name: str = Field("upload.toml", min_length=1, max_length=LIMITS["string_chars"])
    toml: str = Field(max_length=LIMITS["upload_chars"])


#: A model: a preset name or letter, or an uploaded model file.
ModelSpec = Union[str, UploadedFile]


class GridRequest(_Request):
    """The (m_S, g_mu) grid of a reach scan: log-spaced, as ``mudump reach`` builds it."""

    mass_min_GeV: float = Field(reachmod.DEFAULT_MASSES[0], allow_inf_nan=False)
    mass_max_GeV: float = Field(reachmod.DEFAULT_MASSES[1], allow_inf_nan=False)
    n_masses: int = Field(reachmod.DEFAULT_MASSES[2], ge=2, le=LIMITS["n_masses"])
    coupling_min: float = Field(reachmod.DEFAULT_COUPLINGS[0], allow_inf_nan=False)
    coupling_max: float = Field(reachmod.DEFAULT_COUPLINGS[1], allow_inf_nan=False)
    n_couplings: int = Field(reachmod.DEFAULT_COUPLINGS[2], ge=2, le=LIMITS["n_couplings"])


class ReachRequest(GridRequest):
    """A reach scan, as ``mudump reach EXP [EXP ...] --model ...``: the experiment (preset name
    or a whole document, every field of the TOML file) and more experiments on the same plot,
    one or more models, the production method, the acceptance, and the plot's options."""

    experiment: ExperimentSpec = "fnal-mu"
    experiments: list[ExperimentSpec] = Field(default_factory=list, max_length=LIMITS["experiments"] - 1)
    models: list[ModelSpec] = Field(default_factory=lambda: ["A"], min_length=1, max_length=LIMITS["models"])
    method: Optional[str] = Field(None, max_length=LIMITS["string_chars"])  # None: the default of each beam
    form_factor: str = Field(DEFAULT_FORM_FACTOR, max_length=LIMITS["string_chars"])
    compare: Optional[str] = Field(None, max_length=LIMITS["string_chars"])
    theory_band: bool = False
    preset: Optional[str] = Field(None, max_length=LIMITS["string_chars"])
    preset_e: Optional[str] = Field(None, max_length=LIMITS["string_chars"])
    acceptance: Literal["none", "mc"] = "none"
    mc_events: int = Field(20_000, ge=1000, le=200_000)
    seed: int = Field(1, ge=0, le=2**32 - 1)
    overlays: list[UploadedFile] = Field(default_factory=list, max_length=LIMITS["overlays"])
    #: published constraints drawn in grey, as ``mudump reach --constraints``: "default" (those that
    #: fit the model), "none", or names
    constraints: list[str] = Field(default_factory=lambda: ["default"], min_length=1, max_length=32)


class SpectrumRequest(_Request):
    """The S energy spectrum of ``mudump spectrum``."""

    experiment: ExperimentSpec = "fnal-mu"
    model: ModelSpec = "A"
    mass_GeV: float = Field(allow_inf_nan=False)
    coupling: float = Field(allow_inf_nan=False)
    method: str = Field(DEFAULT_METHOD, max_length=LIMITS["string_chars"])
    bins: int = Field(30, ge=1, le=LIMITS["bins"])


class DecayLengthRequest(_Request):
    """The lab decay length against E_S of ``mudump decay --plot``."""

    model: ModelSpec = "A"
    mass_GeV: float = Field(allow_inf_nan=False)
    coupling: float = Field(allow_inf_nan=False)
    energy_min_GeV: Optional[float] = Field(None, allow_inf_nan=False)
    energy_max_GeV: float = Field(200.0, allow_inf_nan=False)
    n_energies: int = Field(200, ge=2, le=LIMITS["n_energies"])


class ExperimentRequest(_Request):
    experiment: ExperimentSpec


class ModelRequest(_Request):
    model: ModelSpec


class OverlayRequest(_Request):
    overlay: UploadedFile


class G2BandRequest(_Request):
    preset: Optional[str] = Field(None, max_length=LIMITS["string_chars"])
    model: Optional[ModelSpec] = None
    mass_min_GeV: float = Field(MASS_RANGE_GEV[0], allow_inf_nan=False)
    mass_max_GeV: float = Field(MASS_RANGE_GEV[1], allow_inf_nan=False)
    n_masses: int = Field(G2_POINTS, ge=2, le=LIMITS["n_energies"])


__all__ = ["LIMITS", "G2_POINTS", "ReachRequest", "SpectrumRequest", "DecayLengthRequest", "ExperimentRequest",
           "ModelRequest", "OverlayRequest", "G2BandRequest", "GridRequest", "UploadedFile"]
