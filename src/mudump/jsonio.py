"""JSON for the edges (CLI, web, output files): numpy values as plain Python, and never a silent
NaN or inf in an output."""

from __future__ import annotations

import math

from .errors import MudumpError


def plain(obj):
    """``obj`` with numpy arrays, floats, integers and booleans converted to plain Python
    (recursively through dicts, lists and tuples); a NaN or inf raises :class:`MudumpError`."""
    import numpy as np

    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return plain(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        if not math.isfinite(v):
            raise MudumpError("internal: a non-finite number reached the output; please report this input")
        return v
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj
