"""The excluded region of a reach result as closed outlines in the (m_S, g) plane.

Geometry only, no physics: the intervals come from :func:`mudump.reach.reach`. Every door draws
or serialises the same outlines (the plots of :mod:`mudump.plotting`, the explorer's contours,
the JSON of ``mudump reach``), so they are computed here once.

Units: masses in GeV, couplings dimensionless.
"""

from __future__ import annotations

import numpy as np


def exclusion_polygons(masses, intervals) -> list[np.ndarray]:
    """Closed contours (lists of (m, g) vertex arrays, not repeating the first vertex) for
    results with at most one excluded interval per mass: the lower edges left to right, then
    the upper edges right to left. A mass without an interval ends a contour, which closes at
    the last excluded mass. ``masses`` sorted ascending, ``intervals`` per mass."""
    polys, run = [], []
    for m, iv in list(zip(masses, intervals)) + [(None, [])]:
        if iv:
            run.append((m, iv[0][0], iv[0][1]))
            continue
        if run:
            m_r, lo, hi = map(np.array, zip(*run))
            polys.append(np.column_stack([np.r_[m_r, m_r[::-1]], np.r_[lo, hi[::-1]]]))
            run = []
    return polys


def exclusion_contours(masses, intervals, couplings):
    """Contours for any number of intervals per mass, from the zero level of the signed log
    distance to the nearest interval edge (positive inside an interval), traced in
    (log m, log g) by contourpy. Returns (outlines, filled): ``outlines`` a list of (n, 2)
    vertex arrays in (m, g); ``filled`` a list of (vertices, path codes) pairs in (m, g) with
    matplotlib's path codes (holes included)."""
    import contourpy

    lm = np.log10(np.asarray(masses, dtype=float))
    lg_scan = np.log10([couplings[0], couplings[-1]])
    pad = 1e-3 * max(lm[-1] - lm[0], 1.0)
    lg = np.linspace(lg_scan[0] - pad, lg_scan[1] + pad, 801)
    lg = np.unique(np.r_[lg, [np.log10(e) for iv in intervals for pair in iv for e in pair]])
    field = np.full((lg.size, lm.size + 2), -10.0)
    for i, iv in enumerate(intervals):
        for lo, hi in iv:
            d = np.minimum(lg - np.log10(lo), np.log10(hi) - lg)
            field[:, i + 1] = np.maximum(field[:, i + 1], d)
    x = np.r_[lm[0] - pad, lm, lm[-1] + pad]
    gen = contourpy.contour_generator(x, lg, field, line_type="Separate", fill_type="OuterCode")
    lines = [10.0**seg for seg in gen.lines(0.0) if len(seg) > 1]
    points, codes = gen.filled(0.0, np.inf)
    return lines, [(10.0**p, c) for p, c in zip(points, codes)]


def sorted_intervals(masses, intervals, couplings):
    """(masses ascending, their intervals, couplings ascending) as float arrays and lists."""
    masses = np.asarray(masses, dtype=float)
    order = np.argsort(masses)
    return masses[order], [intervals[i] for i in order], np.sort(np.asarray(couplings, dtype=float))


def closed_outlines(masses, intervals, couplings) -> list[dict]:
    """The closed outlines of an excluded region, each {"m_S_GeV": array, "g_mu": array} with
    the first vertex repeated at the end: the polygons of :func:`exclusion_polygons` where no
    mass has two intervals, else the contour lines of :func:`exclusion_contours`."""
    masses, intervals, couplings = sorted_intervals(masses, intervals, couplings)
    if all(len(iv) <= 1 for iv in intervals):
        polys = exclusion_polygons(masses, intervals)
    else:
        polys, _ = exclusion_contours(masses, intervals, couplings)
    out = []
    for p in polys:
        closed = p if np.array_equal(p[0], p[-1]) else np.vstack([p, p[:1]])
        out.append({"m_S_GeV": closed[:, 0], "g_mu": closed[:, 1]})
    return out


__all__ = ["exclusion_polygons", "exclusion_contours", "closed_outlines", "sorted_intervals"]
