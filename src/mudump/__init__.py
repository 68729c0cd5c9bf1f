"""mudump: dark scalars at muon beam-dump experiments.

Units everywhere at the API: energies, masses and widths in GeV (muon energies are total
energies); lengths in metres; cross sections in m^2 (per atom); densities in kg/m^3.
See :mod:`mudump.constants` for the convention and the conversion factors.

Modules: :mod:`mudump.models` (scalar models and decay widths), :mod:`mudump.g2` ((g-2)
contributions and the Delta a_mu presets), :mod:`mudump.production` (form factors, photon flux,
WW and IWW cross sections), :mod:`mudump.materials` (materials and muon energy loss through
PUMAS/mulder), :mod:`mudump.cli` (the command line).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .errors import ConfigError, DomainError, MudumpError, UnknownNameError
from .models import MODELS, ScalarModel, get_model

try:
    __version__ = version("mudump")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    "MudumpError",
    "DomainError",
    "UnknownNameError",
    "ConfigError",
    "ScalarModel",
    "MODELS",
    "get_model",
]
