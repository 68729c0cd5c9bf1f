"""Optional dependencies: the parts of mudump beyond its core install come as extras.

The core install (``pip install mudump``) computes widths, (g-2), cross sections, energy loss,
reach contours and their plots. The rest needs an extra:

* ``mudump[web]``: the reach explorer (``mudump serve``): FastAPI, uvicorn;
* ``mudump[events]``: the event files (``mudump events``, :mod:`mudump.events.io`): pyarrow,
  pyhepmc, pylhe;
* ``mudump[scan]``: design scans (``mudump scan``, whose rows are a Parquet file): pyarrow;
* ``mudump[dask]``: design scans on a Dask cluster;
* ``mudump[all]``: all of them.

:func:`require` is called where a command or writer first needs an extra: a missing one is one
clear line naming the ``pip install`` that brings it (exit code 2 on the command line), before
any computation.
"""

from __future__ import annotations

import importlib.util

from .errors import MudumpError

#: What each extra brings (import names), as ``pyproject.toml`` declares them.
EXTRAS: dict[str, tuple[str, ...]] = {
    "web": ("fastapi", "uvicorn"),
    "events": ("pyarrow", "pyhepmc", "pylhe"),
    "scan": ("pyarrow",),
    "dask": ("distributed", "dask_jobqueue"),
}


class MissingExtraError(MudumpError, ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""


def missing(*modules: str) -> list[str]:
    """The names among ``modules`` that cannot be imported (without importing them)."""
    out = []
    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a parent package missing, or a broken __spec__
            found = False
        if not found:
            out.append(name)
    return out


def require(extra: str, *modules: str) -> None:
    """Raise :class:`MissingExtraError` unless every one of ``modules`` (default: all of the
    extra's, :data:`EXTRAS`) can be imported."""
    absent = missing(*(modules or EXTRAS[extra]))
    if absent:
        what = "dependency" if len(absent) == 1 else "dependencies"
        raise MissingExtraError(f"this needs the optional {what} {', '.join(absent)}: pip install \"mudump[{extra}]\"")
