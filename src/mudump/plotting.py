"""Figures: the reach plot in the (m_S, g_mu) plane, the signal S energy spectrum and the lab
decay length of S.

This module is imported only by the command line (:mod:`mudump.cli`) or by a user, never by
the physics modules. It computes no physics itself: every number drawn comes from the library
(:func:`mudump.reach.reach`, :func:`mudump.g2.band`, :func:`mudump.signal.experiment_spectrum`,
:meth:`mudump.models.ScalarModel.decay_length`). Each function returns a
:class:`matplotlib.figure.Figure` built with the object-oriented API (no pyplot state, an Agg
canvas attached, so it works headless); nothing is shown, and files are written only by
:func:`save`.

Units: masses and energies in GeV, lengths in metres, couplings dimensionless.
"""

from __future__ import annotations

import re
from pathlib import Path
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch, Polygon
from matplotlib.path import Path as MplPath

from .errors import ConfigError
from .outlines import exclusion_contours, exclusion_polygons

#: Figure size (inches) of a single journal column.
COLUMN_SIZE = (3.4, 2.8)
#: Font sizes (points): axis labels and title, tick labels, legend and notes.
FONT_LABEL, FONT_TICK, FONT_SMALL = 9, 8, 7
#: Colours of the experiments (Okabe-Ito, colour-blind safe; green is kept for (g-2)).
COLOURS = ("#0072B2", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
#: Line styles that tell models apart when one figure mixes several.
LINESTYLES = ("-", "--", "-.", ":")
#: Colour of the (g-2)_mu band.
G2_COLOUR = "#009E73"
#: Opacity of the excluded regions' fill and of their hatching.
FILL_ALPHA, HATCH_ALPHA = 0.08, 0.5
#: Line width (points) of the excluded regions' hatching.
HATCH_LW = 0.5
#: Opacity of the published constraints' fill.
CONSTRAINT_ALPHA = 0.25
#: Formats :func:`save` writes, by file suffix.
FORMATS = (".png", ".pdf", ".svg")
_SUBSCRIPT = {"mu": r"\mu", "l": r"\ell", "e": "e", "tau": r"\tau", "chi": r"\chi", "Z'": "{Z'}", "D": "D", "S": "S",
              "X": "X"}
_SYMBOL = {"alpha": r"\alpha"}


# ----------------------------------------------------------------------------------------------
# small helpers (formatting and layout, no physics)


def _new_figure(size=COLUMN_SIZE) -> Figure:
    """A Figure with constrained layout and an Agg canvas (headless rendering)."""
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _style_axes(ax) -> None:
    ax.tick_params(which="both", labelsize=FONT_TICK, direction="in", top=True, right=True)


def _tex_number(x: float) -> str:
    """A number as mathtext: plain (0.1, 3) in [0.01, 1000), else a x 10^n (no $ delimiters)."""
    x = float(x)
    if x == 0 or 1e-2 <= abs(x) < 1e3:
        return f"{x:g}"
    exp = int(np.floor(np.log10(abs(x))))
    mant = x / 10.0**exp
    if abs(mant - round(mant)) < 1e-9 and round(mant) == 10:  # rounding at a decade
        mant, exp = 1.0, exp + 1
    if abs(mant - 1.0) < 1e-9:
        return f"10^{{{exp}}}"
    return f"{mant:.3g}\\times10^{{{exp}}}"


def _mathify(text: str) -> str:
    """Plain-text couplings and masses of model descriptions (g_mu, m_l, m_chi, m_Z', alpha_D,
    alpha, ...) as mathtext."""
    text = re.sub(r"\b(alpha|[gmLa])_(mu|tau|chi|Z'|l|e|D|S|X)(?![A-Za-z0-9_])",
                  lambda m: "$" + _SYMBOL.get(m.group(1), m.group(1)) + "_" + _SUBSCRIPT[m.group(2)] + "$", text)
    return re.sub(r"(?<!\\)\balpha\b", r"$\\alpha$", text)


# ----------------------------------------------------------------------------------------------
# the reach plot


def _exclusion_single(masses, intervals):
    """Closed contours for at most one interval per mass (:func:`mudump.outlines.exclusion_polygons`)."""
    return exclusion_polygons(masses, intervals)


def _exclusion_general(masses, intervals, couplings):
    """Outlines and filled matplotlib paths for any number of intervals per mass
    (:func:`mudump.outlines.exclusion_contours`)."""
    lines, filled = exclusion_contours(masses, intervals, couplings)
    return lines, [MplPath(p, c) for p, c in filled]


def _g2_band(ax, masses, preset, top, model=None):
    """Draw the (g-2)_mu band or limit of a Delta a_mu preset (mudump.g2.band) for ``model``
    over ``masses`` (GeV); returns (legend handle, label, drawn artists). A model that lowers
    a_mu (pseudoscalar, axial vector) can only be excluded: its limit is drawn hatched."""
    from . import g2

    b = g2.band(masses, preset, model=model)
    tiny = 1e-300
    if b["favoured"]:
        a2 = ax.fill_between(masses, np.maximum(b["lo2"], tiny), b["hi2"], color=G2_COLOUR, alpha=0.18, lw=0, zorder=1)
        a1 = ax.fill_between(masses, np.maximum(b["lo1"], tiny), b["hi1"], color=G2_COLOUR, alpha=0.40, lw=0, zorder=1)
        (c,) = ax.plot(masses, b["central"], color=G2_COLOUR, lw=0.9, zorder=2)
        handle = (Patch(facecolor=G2_COLOUR, alpha=0.18, lw=0), Patch(facecolor=G2_COLOUR, alpha=0.40, lw=0),
                  Line2D([], [], color=G2_COLOUR, lw=0.9))
        label = f"$(g-2)_\\mu$ $\\pm1,2\\sigma$:\n{b['label']}"
        return handle, label, [a2, a1, c]
    up = b["upper_limit"]
    h = ax.fill_between(masses, up, top, facecolor="none", edgecolor="0.55", hatch="////", lw=0, zorder=1)
    (c,) = ax.plot(masses, up, color="0.45", lw=0.9, zorder=2)
    handle = (Patch(facecolor="none", edgecolor="0.55", hatch="////", lw=0), Line2D([], [], color="0.45", lw=0.9))
    lowers = " (it lowers $a_\\mu$)" if b["sign"] < 0 else ""
    label = f"$(g-2)_\\mu$ excluded ($2\\sigma$){lowers}:\n{b['label']}"
    return handle, label, [h, c]


def coupling_tex(label: str) -> str:
    """A model's coupling name ("g_mu", "g'") as mathtext."""
    return "$" + label.replace("_mu", "_\\mu").replace("_tau", "_\\tau") + "$"


def _edge_strips(ax, variants, colour):
    """Shade, per mass, the spread of the lower and of the upper edge of the first excluded
    interval over ``variants`` (reach results on the same masses): the theory band."""
    masses = np.asarray(variants[0].masses, dtype=float)
    artists = []
    lo = np.full((len(variants), masses.size), np.nan)
    hi = np.full_like(lo, np.nan)
    for k, r in enumerate(variants):
        for i, iv in enumerate(r.intervals):
            if iv:
                lo[k, i], hi[k, i] = iv[0][0], iv[-1][1]
    ok = np.all(np.isfinite(lo), axis=0)
    if not ok.any():
        return artists
    for edge in (lo, hi):
        e = np.where(ok, edge, 1.0)  # columns without an interval everywhere are not drawn
        a = ax.fill_between(masses, e.min(0), e.max(0), where=ok, color=colour, alpha=0.45, lw=0, zorder=3.5)
        artists.append(a)
    return artists


def _method_name(method: str) -> str:
    """A production method in words (exact tree level, phase-space WW, improved WW)."""
    from .choices import METHOD_NAMES

    return METHOD_NAMES[method]


def _on_grid_edge_breaks(poly, g_lo, g_hi, m_lo, m_hi):
    """The closed outline of ``poly`` with a gap (NaN) along every segment that runs on an edge
    of the scanned grid (the lowest or highest coupling, the first or last mass): the exclusion
    is open there and goes on beyond the grid, so no line is drawn that would look like a
    measured edge. Segments at interior masses (a decay threshold, a mass without reach) stay."""
    closed = np.vstack([poly, poly[:1]])
    on = lambda v, edge: np.isclose(v, edge, rtol=1e-9, atol=0.0)  # noqa: E731
    out = [closed[0]]
    for a, b in zip(closed[:-1], closed[1:]):
        if any(on(a[k], e) and on(b[k], e) for k, e in ((1, g_lo), (1, g_hi), (0, m_lo), (0, m_hi))):
            out.append([np.nan, np.nan])
        out.append(b)
    return np.array(out)


def _choice(r) -> str:
    """A theory choice in words: production method and form factor of a reach result."""
    return f"{_method_name(r.method)}/{r.form_factor}"


def _edge_spread(r, variants) -> float:
    """Largest relative spread (max/min - 1) of the lower or upper edge over the variants, at
    masses where every variant excludes something."""
    out = 0.0
    for i in range(len(r.masses)):
        ivs = [v.intervals[i] for v in (r, *variants)]
        if all(ivs):
            for k in (0, 1):
                e = [iv[0][0] if k == 0 else iv[-1][1] for iv in ivs]
                out = max(out, max(e) / min(e) - 1.0)
    return out


def _outline(ax, r, colour, ls, lw=1.2, zorder=4):
    """Outline of a result's excluded region (no fill); returns the line artists."""
    masses = np.asarray(r.masses, dtype=float)
    order = np.argsort(masses)
    out = []
    for poly in _exclusion_single(masses[order], [r.intervals[i][:1] for i in order]):
        closed = np.vstack([poly, poly[:1]])
        (line,) = ax.plot(closed[:, 0], closed[:, 1], color=colour, ls=ls, lw=lw, zorder=zorder)
        out.append(line)
    return out


#: The colour of each shipped experiment, so that an experiment keeps its colour whatever the
#: order of the arguments (NA64 orange and Fermilab blue, as in Chen, Pospelov, Zhong, Fig. 4).
#: Other experiments take a colour from their name; two experiments of one figure that want the
#: same colour are resolved in the order of their names, never of the arguments.
EXPERIMENT_COLOURS = {
    "na64mu": "#E69F00", "cpz2017-na64": "#E69F00", "na64mu-2e13": "#E69F00", "na64mu-2022": "#D55E00",
    "fnal-mu": "#0072B2", "cpz2017-fnal": "#0072B2", "m3-phase1": "#CC79A7", "m3-phase2": "#000000",
    "mucol-dump": "#000000",
}
#: Hatching of the excluded regions, one per experiment of a figure: where two regions overlap
#: the hatches cross, so the overlap never reads as a third shade.
HATCHES = ("///", "\\\\\\", "|||", "---", "+++", "...")
#: Grey levels and edge styles of the published constraints (mudump.constraints, overlays).
CONSTRAINT_GREYS = ("0.55", "0.7", "0.4", "0.62", "0.48", "0.75")
CONSTRAINT_STYLES = ("-", "--", "-.", ":")


def experiment_styles(names: Iterable[str]) -> dict[str, tuple[str, str]]:
    """(colour, hatch) of each experiment name: its colour from :data:`EXPERIMENT_COLOURS` (or
    from the name), a clash resolved in the order of the names; the hatch by that order."""
    import zlib

    out: dict[str, tuple[str, str]] = {}
    for k, name in enumerate(sorted(set(names))):
        want = EXPERIMENT_COLOURS.get(name) or COLOURS[zlib.crc32(name.encode()) % len(COLOURS)]
        used = {c for c, _ in out.values()}
        if want in used:
            start = COLOURS.index(want) if want in COLOURS else 0
            free = [COLOURS[(start + i) % len(COLOURS)] for i in range(len(COLOURS))]
            want = next((c for c in free if c not in used), want)
        out[name] = (want, HATCHES[k % len(HATCHES)])
    return out


@dataclass
class _Legend:
    """The legend entries of a figure, in order."""

    handles: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    spread: float = 0.0  # the theory spread of the edges, when it is drawn

    def add(self, handle, label: str) -> None:
        self.handles.append(handle)
        self.labels.append(label)


def _draw_exclusion(ax, r, colour: str, hatch: str, ls: str) -> list:
    """The excluded region of one reach result: a light fill hatched in the experiment's colour
    and its outline (no line along an edge of the scanned grid); returns the edges
    (g_low, g_high) of every interval."""
    masses = np.asarray(r.masses, dtype=float)
    order = np.argsort(masses)
    masses = masses[order]
    intervals = [r.intervals[i] for i in order]
    fill_style = dict(facecolor=(colour, FILL_ALPHA), edgecolor=(colour, HATCH_ALPHA), hatch=hatch, lw=0, zorder=3,
                      hatch_linewidth=HATCH_LW)
    if all(len(iv) <= 1 for iv in intervals):
        g_scan = np.asarray(r.couplings, dtype=float)
        for poly in _exclusion_single(masses, intervals):
            ax.add_patch(Polygon(poly, closed=True, **fill_style))
            closed = _on_grid_edge_breaks(poly, g_scan.min(), g_scan.max(), masses[0], masses[-1])
            (line,) = ax.plot(closed[:, 0], closed[:, 1], color=colour, ls=ls, lw=1.2, zorder=4)
            line.set_gid("exclusion")
    else:
        lines, paths = _exclusion_general(masses, intervals, np.sort(np.asarray(r.couplings, dtype=float)))
        for p in paths:
            ax.add_patch(PathPatch(p, **fill_style))
        for seg in lines:
            (line,) = ax.plot(seg[:, 0], seg[:, 1], color=colour, ls=ls, lw=1.2, zorder=4)
            line.set_gid("exclusion")
    return [pair for iv in intervals for pair in iv]


def _draw_results(ax, results, legend: _Legend) -> tuple[list, dict]:
    """Every result's excluded region with its legend entry (experiment, and the model or the
    production method when they differ between results). Returns the interval edges and the
    colour of each experiment."""

    models = list(dict.fromkeys(r.model for r in results))  # the results' Model objects, each once
    methods = list(dict.fromkeys(r.method for r in results))
    styles = experiment_styles(r.experiment.name for r in results)
    edges, seen = [], {}
    for r in results:
        name, model = r.experiment.name, r.model
        colour, hatch = styles[name]
        ls = LINESTYLES[(models.index(model) + seen.get((name, model), 0)) % len(LINESTYLES)]
        seen[name, model] = seen.get((name, model), 0) + 1
        edges += _draw_exclusion(ax, r, colour, hatch, ls)
        label = r.experiment.legend + (f", model {model.label}" if len(models) > 1 else "")
        if len(methods) > 1:  # the methods differ between results: say which made each
            label += f", {_method_name(r.method)}"
        if not any(r.intervals):
            label += ": no reach"
        legend.add(Patch(facecolor=(colour, FILL_ALPHA), edgecolor=colour, hatch=hatch, linestyle=ls, lw=1.2,
                         hatch_linewidth=HATCH_LW), label)
    return edges, {name: c for name, (c, _) in styles.items()}


def _draw_theory(ax, results, bands, compare, colour_of, legend: _Legend) -> str | None:
    """The theory spread of the edges (``bands``) and the comparison outlines (``compare``);
    returns the spread's legend label (None without bands)."""
    band_note = None
    if bands:
        spread = 0.0
        for r, variants in zip(results, bands):
            if variants:
                _edge_strips(ax, [r, *variants], colour_of[r.experiment.name])
                spread = max(spread, _edge_spread(r, variants))
        methods_b = sorted({_method_name(v.method) for vs in bands for v in (vs or [])} | {_method_name(r.method) for r in results})
        ffs = sorted({v.form_factor for vs in bands for v in (vs or [])} | {r.form_factor for r in results})
        band_note = (f"theory spread of the edges, up to {100 * spread:.2g}%:\n"
                     f"{' or '.join(methods_b)} $\\times$ {' or '.join(f.capitalize() for f in ffs)} form factor")
        legend.add(Patch(facecolor="0.4", alpha=0.45, lw=0), band_note)
        legend.spread = spread
    if compare:
        for r, c in zip(results, compare):
            if c is not None:
                _outline(ax, c, colour_of[r.experiment.name], "--", lw=1.0)
        methods_c = ", ".join(dict.fromkeys(_method_name(c.method) for c in compare if c is not None))
        legend.add(Line2D([], [], color="0.3", ls="--", lw=1.0), f"{methods_c}, as in older studies")
    return band_note


def _coupling_range(edges, results) -> tuple[float, float]:
    """The y range: from about 1.5 decades below the best reach to 1e-1 (higher if the reach
    itself goes higher), inside the couplings scanned."""
    g_min = min(float(np.min(r.couplings)) for r in results)
    g_max = max(float(np.max(r.couplings)) for r in results)
    lows = [lo for lo, _ in edges]
    low = min(lows) if lows else 1e-4
    y_lo = max(g_min, 10.0 ** np.floor(np.log10(low) - 1.0))
    y_hi = min(g_max, max(1e-1, 10.0 ** np.ceil(np.log10(max(lows)) + 1.0))) if lows else g_max
    if y_hi <= y_lo:
        y_lo, y_hi = g_min, g_max
    return y_lo, y_hi


def _cut_at_top(results, y_hi: float, legend: _Legend) -> None:
    """Say in the legend which excluded regions go on above the top of the frame."""
    for k, r in enumerate(results):
        if any(hi > y_hi * (1 + 1e-9) for iv in r.intervals for _, hi in iv):
            sep = ",\n" if len(_plain(legend.labels[k])) > 40 else ", "
            legend.labels[k] += f"{sep}continues above ${_tex_number(y_hi)}$"


def _constraint_label(c) -> str:
    """A constraint's legend text: its label, the confidence level of a limit or region, and
    whether mudump computed it."""
    text = c.label
    if getattr(c, "shape", "limit") != "line":
        text += f" ({100 * c.confidence_level:g}% CL)"
    if getattr(c, "computed", False):
        text += ", computed by mudump"
    return text


def _draw_constraints(ax, items, top: float, legend: _Legend) -> None:
    """Published constraints (:class:`mudump.constraints.Constraint`) and a user's overlays
    (:class:`mudump.overlays.Overlay`), in greys under mudump's contours: a "limit" is excluded
    above its curve (gaps where the source has no limit), a "region" is a polygon, a "line" is
    only drawn. Each grey has its own edge style, so overlaps stay readable."""
    if not items:
        return
    legend.add(Line2D([], [], alpha=0.0), "already excluded:")
    for k, c in enumerate(items):
        grey, ls = CONSTRAINT_GREYS[k % len(CONSTRAINT_GREYS)], CONSTRAINT_STYLES[k % len(CONSTRAINT_STYLES)]
        m, g = np.asarray(c.mass_GeV, dtype=float), np.asarray(c.coupling, dtype=float)
        if c.shape == "line":
            ax.plot(m, g, color=grey, ls=ls if ls != "-" else "--", lw=0.9, zorder=0.6, gid="constraint")
            legend.add(Line2D([], [], color=grey, ls=ls if ls != "-" else "--", lw=0.9), _constraint_label(c))
            continue
        if c.shape == "limit":
            ok = np.isfinite(g)
            ax.fill_between(m, np.where(ok, g, top), top, where=ok, color=grey, alpha=CONSTRAINT_ALPHA, lw=0,
                            zorder=0.5, gid="constraint")
            ax.plot(m, g, color=grey, ls=ls, lw=0.8, zorder=0.6)
        else:
            ax.add_patch(Polygon(np.column_stack([m, g]), closed=True, facecolor=(grey, CONSTRAINT_ALPHA),
                                 edgecolor=grey, ls=ls, lw=0.8, zorder=0.5, gid="constraint"))
        legend.add(Patch(facecolor=(grey, CONSTRAINT_ALPHA), edgecolor=grey, ls=ls, lw=0.8), _constraint_label(c))


def _draw_g2(ax, masses, model, preset, preset_e, y_hi, legend: _Legend) -> None:
    """The (g-2)_mu band or limit, and the (g-2)_e exclusion of a model that couples to
    electrons where it reaches into the plot (both computed by :mod:`mudump.g2`)."""
    from . import g2 as g2mod

    handle, label, _ = _g2_band(ax, masses, preset, top=10.0 * y_hi, model=model)
    legend.add(handle, label)
    e_lim = g2mod.electron_limit(masses, model, preset_e)
    if e_lim is not None and np.any(e_lim < y_hi):
        pe = g2mod.get_electron_preset(preset_e)
        ax.fill_between(masses, np.minimum(e_lim, 10.0 * y_hi), 10.0 * y_hi, facecolor="none", edgecolor="0.35",
                        hatch="\\\\\\\\", lw=0, zorder=1)
        ax.plot(masses, e_lim, color="0.3", lw=0.8, ls=":", zorder=2)
        legend.add((Patch(facecolor="none", edgecolor="0.35", hatch="\\\\\\\\", lw=0),
                    Line2D([], [], color="0.3", lw=0.8, ls=":")),
                   f"$(g-2)_e$ excluded ($2\\sigma$):\n{_mathify(pe.label)}")


def _fit_title(fig, ax, text: str) -> bool:
    """Set the axes title, wrapped at spaces (never inside $...$) so that, centred over the
    axes, it never runs past either edge of the figure. Lays the figure out; True if the title
    was wrapped (then the layout is out of date)."""
    title = ax.set_title(text, fontsize=FONT_LABEL)
    fig.get_layout_engine().execute(fig)  # the axes where the layout puts them (no need to draw)
    renderer = fig.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    centre = 0.5 * (box.x0 + box.x1)
    width = 2.0 * min(centre, fig.bbox.width - centre) * 0.98
    chars = len(_plain(text))
    while title.get_window_extent(renderer).width > width and chars > 10:
        chars = int(chars * 0.85)
        lines, line = [], ""
        for w in text.split(" "):  # mathtext made by _mathify has no spaces inside $...$
            if line and len(_plain(line + " " + w)) > chars:
                lines.append(line)
                line = w
            else:
                line = f"{line} {w}".strip()
        lines.append(line)
        title.set_text("\n".join(lines))
    return title.get_text() != text


def _plain(text: str) -> str:
    """The text as it reads (mathtext commands and $ dropped), to measure its length."""
    return re.sub(r"\\[a-zA-Z]+|[${}]", "x", text).replace("xx", "x")


def _legend_below(fig, legend: _Legend, note: str):
    """The legend below the axes, never over the data, with ``note`` as its title; the figure
    grows so that the axes keep their size."""
    leg = fig.legend(legend.handles, legend.labels, loc="outside lower center", fontsize=FONT_SMALL, frameon=False,
                     handlelength=1.6, labelspacing=0.35, title=note, title_fontsize=FONT_SMALL, alignment="left")
    leg.set_gid("legend")
    leg.get_title().set_color("0.3")
    w, h = fig.get_size_inches()  # the legend's size does not depend on where it sits: no draw
    fig.set_size_inches(w, h + leg.get_window_extent(fig.canvas.get_renderer()).height / fig.dpi)
    return leg


def _how_note(results) -> str:
    """How the contours were computed, in words: confidence level, production method, acceptance."""
    cls = ", ".join(dict.fromkeys(f"{100 * r.cl:g}%" for r in results))
    how = [f"excluded at {cls} CL"]
    methods = list(dict.fromkeys(r.method for r in results))
    if len(methods) == 1:
        how.append(f"production: {_method_name(methods[0])}")
    if any(getattr(r, "acceptance", "none") == "mc" for r in results):
        how.append("with the Monte Carlo geometric acceptance")
    return _mathify(", ".join(how))


def reach_figure(
    results: list,
    preset: str | None = None,
    title: str | None = None,
    bands: list | None = None,
    compare: list | None = None,
    overlays: list | None = None,
    preset_e: str | None = None,
    constraints="default",
) -> Figure:
    """The sensitivity plot in the (m_S [GeV], g_mu) plane, log-log, as in Chen, Pospelov,
    Zhong, arXiv:1701.07437.

    ``results``: :class:`mudump.reach.ReachResult` objects (masses in GeV, couplings g_mu
    dimensionless). Each draws its excluded region (``result.intervals``) as a closed outline
    with a light hatched fill, in the colour of its experiment (:func:`experiment_styles`: the
    same whatever the order of the results; one line style per model when several models are
    mixed), labelled with ``experiment.legend``; a region that goes on above the frame says so.
    ``preset`` names the Delta a_mu preset of :mod:`mudump.g2` (None: the default one): an
    anomalous preset is drawn as the g_mu band that explains it (1 and 2 sigma, central line),
    otherwise as the region excluded by (g-2)_mu at 2 sigma (hatched, above the limit).
    ``title``: None builds "Model X (name): description" from the models of the results; it is
    wrapped to the figure's width. x range: the masses scanned (GeV); y range: about 1e-7 to
    1e-1, from the data, inside the couplings scanned.
    ``bands``: for each result, reach results under other theory choices on the same masses;
    the spread of each contour edge is shaded (the theory uncertainty). ``compare``: results
    drawn as dashed outlines only, one per result (e.g. IWW).
    ``constraints``: the published constraints drawn in grey under mudump's contours:
    "default" (those of :mod:`mudump.constraints` that fit the models), "none", names, or a
    list of :class:`mudump.constraints.Constraint`. ``overlays``: a user's
    :class:`mudump.overlays.Overlay` constraints, drawn the same way. ``preset_e``: the Delta
    a_e preset (None: the default) whose exclusion is drawn for a model that couples to
    electrons.

    The figure comes laid out (constrained layout, executed once) with its layout then fixed, so
    that saving it does not lay it out again; to resize it or add artists, call
    ``fig.set_layout_engine("constrained")`` first.
    """
    from . import constraints as constraints_mod

    results = list(results)
    if not results:
        raise ConfigError("reach_figure needs at least one reach result")
    models = list(dict.fromkeys(r.model for r in results))  # the results' Model objects, each once
    if constraints is None or isinstance(constraints, str) or (
            isinstance(constraints, (list, tuple)) and all(isinstance(c, str) for c in constraints)):
        constraints = constraints_mod.select(constraints or "none", models)[0]
    fig = _new_figure()
    ax = fig.add_subplot()
    ax.set_xscale("log")
    ax.set_yscale("log")
    _style_axes(ax)
    m_lo = min(float(np.min(r.masses)) for r in results)
    m_hi = max(float(np.max(r.masses)) for r in results)

    legend = _Legend()
    edges, colour_of = _draw_results(ax, results, legend)
    band_note = _draw_theory(ax, results, bands, compare, colour_of, legend)
    y_lo, y_hi = _coupling_range(edges, results)
    ax.set_xlim(m_lo, m_hi)
    ax.set_ylim(y_lo, y_hi)
    _cut_at_top(results, y_hi, legend)
    if band_note is not None:
        # a spread narrower than the outline (1.2 pt) cannot be seen: say so in the legend
        line_decades = 1.2 / 72.0 / (0.62 * fig.get_size_inches()[1]) * np.log10(y_hi / y_lo)
        if np.log10(1.0 + legend.spread) < line_decades:
            i = legend.labels.index(band_note)
            legend.labels[i] = band_note.replace(":\n", ", narrower than the outlines:\n")
    _draw_constraints(ax, [*(constraints or []), *(overlays or [])], 10.0 * y_hi, legend)
    _draw_g2(ax, np.geomspace(m_lo, m_hi, 200), models[0], preset, preset_e, y_hi, legend)

    first = models[0]
    ax.set_xlabel("$m_S$ [GeV]" if first.spin == 0 else "$m_X$ [GeV]", fontsize=FONT_LABEL)
    ax.set_ylabel(coupling_tex(first.coupling_label), fontsize=FONT_LABEL)
    if title is None:
        title = ("Models " + ", ".join(m.label for m in models) if len(models) > 1
                 else f"Model {first.label}: {first.description}")
    # laid out once, at the resolution of a saved PNG (DEFAULT_DPI: the text metrics computed
    # then, mathtext above all, are those the save reuses), then the layout is fixed: saving it
    # needs no second layout (a figure of two dozen mathtext labels takes ~0.1 s to lay out)
    shown_dpi = fig.dpi
    fig.set_dpi(DEFAULT_DPI)
    _legend_below(fig, legend, _how_note(results))
    engine = fig.get_layout_engine()
    if _fit_title(fig, ax, _mathify(title)) and engine is not None:
        engine.execute(fig)
    fig.set_layout_engine("none")
    fig.set_dpi(shown_dpi)
    return fig


# ----------------------------------------------------------------------------------------------
# spectrum and decay length


def spectrum_figure(spectra: Iterable[tuple[str, np.ndarray, np.ndarray]], title: str | None = None,
                    note: str | None = None) -> Figure:
    """Signal S energy spectra as step histograms against E_S in GeV, on a logarithmic y axis.

    ``spectra``: (label, bin edges in GeV, events per bin) triples, e.g. from
    :func:`mudump.signal.experiment_spectrum`. With equal bins (the same width in every
    spectrum) the y axis is events per bin and says the bin width, "events / (0.1 GeV)";
    otherwise each bin is divided by its width and the axis is "events / GeV". ``note`` (for
    example the muons on target and the production method) heads the legend, which sits below
    the axes.
    """
    spectra = list(spectra)
    if not spectra:
        raise ConfigError("spectrum_figure needs at least one spectrum")
    checked = []
    for label, edges, values in spectra:
        edges = np.asarray(edges, dtype=float)
        values = np.asarray(values, dtype=float)
        if edges.ndim != 1 or values.shape != (edges.size - 1,):
            raise ValueError(f"spectrum {label!r}: need n + 1 bin edges for n values, got {edges.size} and {values.size}")
        checked.append((label, edges, values))
    widths = np.concatenate([np.diff(e) for _, e, _ in checked])
    equal = np.allclose(widths, widths[0], rtol=1e-6)
    fig = _new_figure((3.4, 2.6))
    ax = fig.add_subplot()
    _style_axes(ax)
    positive = []
    e_lo, e_hi = np.inf, -np.inf
    for k, (label, edges, values) in enumerate(checked):
        shown = values if equal else values / np.diff(edges)
        ax.stairs(shown, edges, label=label, color=COLOURS[k % len(COLOURS)], lw=1.2,
                  ls=LINESTYLES[(k // len(COLOURS)) % len(LINESTYLES)], baseline=None)
        positive.append(shown[shown > 0])
        e_lo, e_hi = min(e_lo, edges[0]), max(e_hi, edges[-1])
    positive = np.concatenate(positive)
    ax.set_xlim(e_lo, e_hi)
    ax.set_yscale("log")
    if positive.size:
        top = positive.max()
        ax.set_ylim(max(positive.min(), top * 1e-6) / 2, top * 3)
    ax.set_xlabel("$E_S$ [GeV]", fontsize=FONT_LABEL)
    ax.set_ylabel(f"events / ({_tex_number(float(f'{widths[0]:.3g}'))} GeV)" if equal else "events / GeV",
                  fontsize=FONT_LABEL)
    if title:
        ax.set_title(title, fontsize=FONT_LABEL)
    fig.legend(loc="outside lower center", fontsize=FONT_SMALL, frameon=False, handlelength=1.6,
               title=note, title_fontsize=FONT_SMALL, alignment="left")
    return fig


def experiment_spectrum_figure(experiment, model, m_X: float, coupling: float, edges, events, method: str) -> Figure:
    """The signal spectrum of one experiment and model (:func:`spectrum_figure`) as ``mudump
    spectrum --plot`` and the web page draw it: the model and point in the legend, the muons on
    target, the production method and the total in its title."""
    from .models import get_model
    from .choices import METHOD_NAMES

    mdl = get_model(model)
    e = experiment
    g = coupling_tex(mdl.coupling_label)[:-1]
    return spectrum_figure(
        [(f"model {mdl.label}, $m$ = {_tex_number(m_X)} GeV, {g} = {_tex_number(coupling)}$", edges, events)],
        title=f"{e.label or e.name}: energy of the signal",
        note=f"{e.legend.split(', ', 1)[-1]} on target, production: {METHOD_NAMES[method]}, "
             f"total {float(np.sum(events)):.3g} events",
    )


def decay_length_figure(model, m_S: float, coupling: float, energies=None) -> Figure:
    """Mean lab decay length of S in metres against its total energy E_S in GeV (log-log),
    from ``get_model(model).decay_length(E, m_S, coupling)``.

    ``m_S`` in GeV; ``coupling`` = g_mu; ``energies`` in GeV (default: 200 log-spaced values
    from 1.001 m_S to 200 GeV).
    """
    from .models import get_model

    mdl = get_model(model)
    if energies is None:
        energies = np.geomspace(1.001 * m_S, 200.0, 200)
    energies = np.sort(np.atleast_1d(np.asarray(energies, dtype=float)))
    length = mdl.decay_length(energies, m_S, coupling)
    fig = _new_figure((3.4, 2.6))
    ax = fig.add_subplot()
    ax.set_xscale("log")
    ax.set_yscale("log")
    _style_axes(ax)
    label = f"model {mdl.label}, $m$ = {_tex_number(m_S)} GeV, {coupling_tex(mdl.coupling_label)[:-1]} = {_tex_number(coupling)}$"
    ax.plot(energies, length, color=COLOURS[0], lw=1.4, label=label)
    ax.set_xlim(min(energies[0], m_S), energies[-1])
    ax.set_xlabel("$E_S$ [GeV]", fontsize=FONT_LABEL)
    ax.set_ylabel("mean lab decay length [m]", fontsize=FONT_LABEL)
    ax.legend(loc="upper left", fontsize=FONT_SMALL, frameon=False, handlelength=1.6)
    return fig


# ----------------------------------------------------------------------------------------------
# output


def ratio_figure(masses, x, ratio, label: str, title: str | None = None) -> Figure:
    """A map of a cross-section ratio over (m_S [GeV], x = E_S/E): ``ratio`` has shape
    (len(masses), len(x)), NaN outside the kinematic range (drawn hatched grey and named in the
    legend below the map). The colour scale follows the data: diverging and centred on 1 when
    the ratio crosses 1 (its range symmetric in log around 1), sequential and logarithmic when
    it lies on one side of 1; the labelled contours are round values inside the data range."""
    from matplotlib.colors import LogNorm, TwoSlopeNorm
    from matplotlib.patches import Rectangle

    fig = _new_figure((3.4, 3.0))
    ax = fig.add_subplot()
    _style_axes(ax)
    r = np.ma.masked_invalid(np.asarray(ratio, dtype=float))
    finite = r.compressed()
    finite = finite[finite > 0]
    # the colour range covers the bulk of the map (2nd to 98th percentile): a few cells next to
    # the kinematic limits, where the cross section vanishes, must not wash out the rest; values
    # beyond it get the end colours (arrows on the colour bar)
    lo, hi = (float(np.percentile(finite, 2)), float(np.percentile(finite, 98))) if finite.size else (0.5, 2.0)
    if lo < 1.0 < hi:
        k = max(hi, 1.0 / lo, 1.01)
        lo, hi = 1.0 / k, k
        norm, cmap = TwoSlopeNorm(vcenter=1.0, vmin=lo, vmax=hi), "RdBu_r"
    else:
        hi = hi if hi > lo * 1.01 else lo * 1.01
        norm, cmap = LogNorm(vmin=lo, vmax=hi), "viridis"
    forbidden = Rectangle((0, 0), 1, 1, transform=ax.transAxes, facecolor="0.92", edgecolor="0.6", hatch="xxx",
                          lw=0, zorder=0)
    ax.add_patch(forbidden)
    mesh = ax.pcolormesh(x, masses, r, cmap=cmap, norm=norm, shading="nearest", rasterized=True, zorder=1)
    ax.set_yscale("log")
    nice = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 1.005, 1.01, 1.02, 1.05, 1.1, 1.2, 1.5,
            2.0, 3.0, 5.0)
    levels = [v for v in nice if lo < v < hi]
    if len(levels) > 6:  # keep the plot readable: every other level, always keeping those nearest 1
        levels = levels[::2]
    if levels:
        cs = ax.contour(x, masses, r, levels=levels, colors="k", linewidths=0.6, zorder=2)
        for t in ax.clabel(cs, fontsize=FONT_SMALL - 1, fmt="%g", inline=True, inline_spacing=3):
            t.set_rotation(0)  # upright: read without turning the head
    cb = fig.colorbar(mesh, ax=ax, pad=0.02, extend="both")
    _decimal_ticks(cb)
    cb.set_label(label, fontsize=FONT_LABEL)
    cb.ax.tick_params(labelsize=FONT_SMALL)
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel("$x = E_S/E_\\mu$", fontsize=FONT_LABEL)
    ax.set_ylabel("$m_S$ [GeV]", fontsize=FONT_LABEL)
    if title:
        ax.set_title(title, fontsize=FONT_LABEL)
    fig.legend([Patch(facecolor="0.92", edgecolor="0.6", hatch="xxx", lw=0)],
               ["kinematically forbidden: $x < m_S/E_\\mu$ or $x > 1 - m_\\mu/E_\\mu$"],
               loc="outside lower center", fontsize=FONT_SMALL, frameon=False, handlelength=1.6)
    return fig


def _decimal_ticks(cb) -> None:
    """Colour-bar tick labels as plain decimals (0.5, 2), never 10^x notation; on a log scale
    a few round values inside the range are labelled."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    lo, hi = cb.norm.vmin, cb.norm.vmax
    fmt = FuncFormatter(lambda v, _: f"{v:.3g}")
    if cb.norm.__class__.__name__ == "LogNorm":
        decades = range(int(np.floor(np.log10(lo))) - 1, int(np.ceil(np.log10(hi))) + 1)
        for mantissas in ((1, 2, 5), (1, 2, 3, 5, 7), (1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9)):
            ticks = [float(f"{k * 10.0**e:.3g}") for e in decades for k in mantissas]
            ticks = [v for v in ticks if lo <= v <= hi]
            if len(ticks) >= 3:
                break
        if len(ticks) < 2:
            ticks = [float(f"{v:.2g}") for v in np.geomspace(lo, hi, 4)]
        cb.ax.yaxis.set_major_locator(FixedLocator(ticks))
        cb.ax.yaxis.set_minor_formatter(NullFormatter())
    cb.ax.yaxis.set_major_formatter(fmt)


#: Default PNG resolution: 300 dpi, what journals ask for line art with text (a column-wide
#: figure is then about 1000 px wide).
DEFAULT_DPI = 300


def save(fig: Figure, path, dpi: int = DEFAULT_DPI) -> Path:
    """Write ``fig`` to ``path``: PNG (``dpi``, default 300), PDF or SVG (vector), chosen by the
    suffix, with a tight bounding box. Returns the path. An unknown suffix or a missing
    directory raises :class:`mudump.errors.ConfigError`."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ConfigError(f"plot = {str(path)!r}: the file name must end in {', '.join(FORMATS)}")
    if not path.parent.is_dir():
        raise ConfigError(f"plot = {str(path)!r}: directory {str(path.parent)!r} does not exist")
    kwargs = {"dpi": dpi} if suffix == ".png" else {}
    fig.savefig(path, format=suffix[1:], bbox_inches="tight", pad_inches=0.03, **kwargs)
    return path


__all__ = ["reach_figure", "spectrum_figure", "decay_length_figure", "save"]


# ----------------------------------------------------------------------------------------------
# design scans

#: Axis labels of the commonly scanned experiment fields (others: built from the field name).
_SCAN_FIELD_LABELS = {
    "beam.energy_GeV": "beam energy $E_\\mu$ [GeV]",
    "beam.muons_on_target": "muons on target",
    "beam.electrons_on_target": "electrons on target",
    "target.length_m": "target length [m]",
    "downstream.shield_length_m": "shield length [m]",
    "downstream.length_m": "decay region / detector length [m]",
    "signature.e_cut_GeV": "cut $E_S^{\\min}$ [GeV]",
    "statistics.background": "background [events]",
    "statistics.confidence_level": "confidence level",
}
#: Axis labels and scales of the figures of merit of :mod:`mudump.scan`.
_FOM_LABELS = {
    "excluded_fraction": ("excluded fraction", "linear"),
    "best_g_mu": ("best excluded $g_\\mu$", "log"),
    "best_mass_GeV": ("$m_S$ of the best $g_\\mu$ [GeV]", "log"),
    "mass_low_GeV": ("lowest excluded $m_S$ [GeV]", "log"),
    "mass_high_GeV": ("highest excluded $m_S$ [GeV]", "log"),
}


def _scan_field_label(name: str) -> str:
    if name in _SCAN_FIELD_LABELS:
        return _SCAN_FIELD_LABELS[name]
    section, _, leaf = name.rpartition(".")
    for suffix, unit in (("_GeV", "GeV"), ("_m", "m")):
        if leaf.endswith(suffix):
            return f"{section} {leaf[: -len(suffix)].replace('_', ' ')} [{unit}]".strip()
    return f"{section} {leaf.replace('_', ' ')}".strip()


def _axis_scale(values) -> str:
    v = np.asarray(values, dtype=float)
    return "log" if v.size > 2 and v.min() > 0 and v.max() / v.min() >= 20 else "linear"


def scan_figure(rows: "list[dict]", fields: "list[str]", fom: str = "excluded_fraction", title: str | None = None,
                region: str | None = None) -> Figure:
    """A figure of merit of a design scan (rows of :func:`mudump.scan.run_scan`) against one
    scanned field (a line per model) or two (a colour map per model, with labelled contours).
    Rows with an error or without the figure of merit (nothing excluded) are left blank.
    ``region`` (the reference region's description) is noted under the title when the figure
    of merit is ``excluded_fraction``."""
    from matplotlib.colors import LogNorm, Normalize


    if fom not in _FOM_LABELS:
        raise ConfigError(f"fom = {fom!r} is unknown: allowed {', '.join(_FOM_LABELS)}")
    if not 1 <= len(fields) <= 2:
        raise ConfigError(f"a scan plot shows 1 or 2 scanned fields, not {len(fields)}")
    models = list(dict.fromkeys(r["model"] for r in rows))
    # each model's label from its rows (name and descriptive name): rows carry the model, no look-up
    label_of = {r["model"]: (f"{r['model']} ({r['model_name']})" if r.get("model_name") and r["model_name"] != r["model"]
                             else r["model"]) for r in rows}
    label, scale = _FOM_LABELS[fom]
    value = lambda r: np.nan if r.get(fom) is None else float(r[fom])  # noqa: E731
    note = region if (fom == "excluded_fraction" and region) else None
    if len(fields) == 1:
        (f,) = fields
        fig = _new_figure((3.6, 2.8))
        ax = fig.add_subplot()
        _style_axes(ax)
        for k, m in enumerate(models):
            sel = sorted((r[f], value(r)) for r in rows if r["model"] == m)
            x, y = np.array(sel).T if sel else (np.array([]), np.array([]))
            ax.plot(x, y, color=COLOURS[k % len(COLOURS)], ls=LINESTYLES[k % len(LINESTYLES)], marker="o", ms=3,
                    lw=1.3, label=f"model {label_of[m]}")
        ax.set_xscale(_axis_scale([r[f] for r in rows]))
        ax.set_yscale(scale)
        if fom == "excluded_fraction":
            ax.set_ylim(0.0, 1.02)
        ax.set_xlabel(_scan_field_label(f), fontsize=FONT_LABEL)
        ax.set_ylabel(label, fontsize=FONT_LABEL)
        ax.legend(fontsize=FONT_SMALL, frameon=False, loc="best")
        axes = [ax]
    else:
        fx, fy = fields
        xs = np.unique([r[fx] for r in rows])
        ys = np.unique([r[fy] for r in rows])
        vals = np.array([value(r) for r in rows], dtype=float)
        finite = vals[np.isfinite(vals)]
        if scale == "log" and finite.size and finite.min() > 0:
            norm = LogNorm(finite.min(), finite.max()) if finite.max() > finite.min() else LogNorm(finite.min() / 2, finite.min() * 2)
        else:
            norm = Normalize(*(finite.min(), finite.max()) if finite.size else (0.0, 1.0))
        fig = _new_figure((3.2 * len(models) + 0.6, 2.9))
        axes = fig.subplots(1, len(models), squeeze=False, sharey=True)[0]
        mesh = None
        for k, (ax, m) in enumerate(zip(axes, models)):
            _style_axes(ax)
            z = np.full((ys.size, xs.size), np.nan)
            for r in rows:
                if r["model"] == m:
                    z[np.searchsorted(ys, r[fy]), np.searchsorted(xs, r[fx])] = value(r)
            zm = np.ma.masked_invalid(z)
            mesh = ax.pcolormesh(xs, ys, zm, shading="nearest", cmap="viridis", norm=norm, rasterized=True)
            if xs.size > 1 and ys.size > 1 and np.isfinite(z).sum() >= 4:
                levels = norm.inverse(np.linspace(0.1, 0.9, 5)) if finite.size else []
                levels = np.unique(np.asarray(levels, dtype=float))
                if len(levels):
                    cs = ax.contour(xs, ys, zm, levels=levels, colors="w", linewidths=0.6)
                    ax.clabel(cs, fontsize=FONT_SMALL - 1, fmt=lambda v: f"{v:.2g}")
            ax.set_xscale(_axis_scale(xs))
            ax.set_yscale(_axis_scale(ys))
            ax.set_title(f"model {label_of[m]}", fontsize=FONT_SMALL + 1)
            ax.set_xlabel(_scan_field_label(fx), fontsize=FONT_LABEL)
            if k == 0:
                ax.set_ylabel(_scan_field_label(fy), fontsize=FONT_LABEL)
        cb = fig.colorbar(mesh, ax=list(axes), pad=0.02)
        cb.set_label(label, fontsize=FONT_LABEL)
        cb.ax.tick_params(labelsize=FONT_SMALL)
    if title or note:
        import textwrap

        if note:
            width = 60 if len(fields) == 1 else 60 * len(models)
            note = "\n".join(textwrap.wrap("reference region: " + note, width))
            note = note.replace("(g-2)_mu", "$(g-2)_\\mu$").replace("g_mu", "$g_\\mu$")
        text = "\n".join(t for t in (title, note) if t)
        fig.suptitle(text, fontsize=FONT_LABEL if not note else FONT_SMALL + 1)
    return fig


__all__ = [*__all__, "scan_figure"]
