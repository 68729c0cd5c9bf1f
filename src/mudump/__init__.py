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

from .errors import ConfigError, DomainError, MudumpError, UnknownNameError

# The version and the models are resolved on first access (PEP 562), so that ``import mudump``
# (and ``mudump --help``) does not pay for importlib.metadata, numpy or the constants.
_LAZY_MODELS = ("MODELS", "ScalarModel", "get_model")


def __getattr__(name: str):
    if name == "__version__":
        from ._version import __version__ as value  # the one source of the version
    elif name in _LAZY_MODELS:
        from . import models

        value = getattr(models, name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value

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
