"""Input validation shared by the kernels: one-line messages naming the field and the range."""

from __future__ import annotations

import numpy as np

from .errors import DomainError


def check_range(
    name: str,
    value,
    lo: float | None = None,
    hi: float | None = None,
    *,
    unit: str = "",
    lo_open: bool = False,
) -> np.ndarray:
    """Return ``value`` as a float array after checking it is finite and within [lo, hi].

    ``lo_open`` makes the lower bound strict (``value > lo``). Raises :class:`DomainError` with a
    message such as ``mass_GeV = -1 is outside the allowed range 0.001 <= mass_GeV <= 1 GeV``.
    """
    arr = np.asarray(value, dtype=float)
    u = f" {unit}" if unit else ""
    if lo is None and hi is None:
        allowed = "a finite number"
    elif hi is None:
        allowed = f"{name} {'>' if lo_open else '>='} {lo:g}{u}"
    elif lo is None:
        allowed = f"{name} <= {hi:g}{u}"
    else:
        allowed = f"{lo:g} {'<' if lo_open else '<='} {name} <= {hi:g}{u}"
    bad = ~np.isfinite(arr)
    if lo is not None:
        bad |= (arr <= lo) if lo_open else (arr < lo)
    if hi is not None:
        bad |= arr > hi
    if np.any(bad):
        first = arr[bad].flat[0] if arr.ndim else float(arr)
        raise DomainError(f"{name} = {first:g} is not allowed: need {allowed}")
    return arr
