"""Tests of the figures (mudump.plotting): types, axes, legends, the drawn geometry against the
library's numbers, and the files written by save(). Headless: the Agg backend.

Units: masses and energies in GeV, lengths in metres, couplings dimensionless.
"""

from __future__ import annotations

import os

os.environ["MPLBACKEND"] = "Agg"

import dataclasses  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from mudump import g2, plotting  # noqa: E402
from mudump.errors import ConfigError  # noqa: E402
from mudump.experiments import load_experiment  # noqa: E402
from mudump.models import get_model  # noqa: E402
from mudump.reach import reach  # noqa: E402
from mudump.signal import experiment_spectrum  # noqa: E402

MASSES = np.geomspace(0.003, 0.2, 12)
COUPLINGS = np.geomspace(1e-7, 1e-1, 60)


@pytest.fixture(scope="module")
def results_a():
    return [reach(e, "A", masses=MASSES, couplings=COUPLINGS) for e in ("fnal-mu", "na64mu")]


@pytest.fixture(scope="module")
def results_b():
    return [reach(e, "B", masses=MASSES, couplings=COUPLINGS) for e in ("fnal-mu", "na64mu")]


@pytest.fixture(scope="module")
def reach_fig(results_b, results_a):
    """reach_figure of model "B" or "A" with a preset, each built once (read-only in the tests)."""
    cache = {}

    def get(model, preset):
        if (model, preset) not in cache:
            cache[model, preset] = plotting.reach_figure(results_b if model == "B" else results_a, preset=preset,
                                                         constraints="none")
        return cache[model, preset]

    return get


def _legend(fig):
    ax = fig.axes[0]
    return ax.get_legend() or fig.legends[0]


def _exclusion_lines(fig):
    return [line for line in fig.axes[0].get_lines() if line.get_gid() == "exclusion"]


def _check_png(path):
    assert path.is_file() and path.stat().st_size > 1000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _check_reach_axes(fig, results):
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "$m_S$ [GeV]"
    assert ax.get_ylabel() == "$g_\\mu$"
    assert ax.get_xlim() == pytest.approx((MASSES[0], MASSES[-1]), rel=1e-12)
    y_lo, y_hi = ax.get_ylim()
    assert COUPLINGS[0] * (1 - 1e-12) <= y_lo < y_hi <= COUPLINGS[-1] * (1 + 1e-12)
    # the whole reach (every lower edge) is inside the y range
    lows = [iv[0][0] for r in results for iv in r.intervals if iv]
    assert y_lo < min(lows) and max(lows) < y_hi


@pytest.mark.parametrize("preset", ["fnal2021", None])
def test_reach_figure(results_a, reach_fig, preset, tmp_path):
    fig = reach_fig("A", preset)
    _check_reach_axes(fig, results_a)
    texts = [t.get_text() for t in _legend(fig).get_texts()]
    # one per experiment, the (g-2)_mu entry and, model A coupling to electrons, the (g-2)_e one
    assert len(texts) == len(results_a) + 2 and "(g-2)_e" in texts[3]
    assert texts[:2] == [r.experiment.legend for r in results_a]
    p = g2.get_preset(preset)
    assert p.label in texts[2] and "(g-2)" in texts[2]
    if p.anomalous:  # fnal2021: a band to explain, 1 and 2 sigma
        assert "sigma" in texts[2] and "excluded" not in texts[2]
    else:  # wp25 (default): only an upper limit
        assert "excluded" in texts[2]
        assert any(c.get_hatch() for c in fig.axes[0].collections)
    assert "Model A" in fig.axes[0].get_title()
    out = plotting.save(fig, tmp_path / "reach.png")
    _check_png(out)


def test_reach_contours_follow_intervals(results_a, reach_fig):
    """One outline per experiment (one interval at every mass here), through the interval edges:
    its lowest point is the best reach, its vertices sit at the scanned masses. Segments on an
    edge of the scanned grid (first or last mass, lowest or highest coupling) are gaps (NaN):
    the exclusion goes on beyond the grid there."""
    fig = reach_fig("A", "fnal2021")
    lines = _exclusion_lines(fig)
    assert len(lines) == len(results_a)
    for line, r in zip(lines, results_a):
        assert all(len(iv) == 1 for iv in r.intervals)
        x, y = (np.asarray(v, dtype=float) for v in line.get_data())
        assert (x[0], y[0]) == (x[-1], y[-1])  # closed
        lo = np.array([iv[0][0] for iv in r.intervals])
        hi = np.array([iv[0][1] for iv in r.intervals])
        assert np.nanmin(y) == pytest.approx(lo.min(), rel=1e-12)
        assert np.nanmax(y) == pytest.approx(hi.max(), rel=1e-12)
        assert np.allclose(np.sort(np.unique(x[np.isfinite(x)])), MASSES, rtol=1e-12)
        assert line.get_color() in plotting.COLOURS
        # the closing segments at the first and at the last scanned mass are not drawn
        gaps = np.flatnonzero(np.isnan(x))
        assert len(gaps) >= 2
        for i in gaps:
            assert x[i - 1] == x[i + 1] and x[i - 1] in (MASSES[0], MASSES[-1])


def test_open_edge_of_the_coupling_grid_is_not_drawn():
    """An interval that reaches the top of the coupling grid leaves the outline open there."""
    r = reach("fnal-mu", "A", masses=[0.01, 0.02, 0.03], couplings=np.geomspace(1e-6, 1e-3, 30))
    assert all(o[0] == (False, True) for o in r.open_ends)
    fig = plotting.reach_figure([r], preset="fnal2021")
    (line,) = _exclusion_lines(fig)
    x, y = (np.asarray(v, dtype=float) for v in line.get_data())
    finite = np.isfinite(y)
    # no drawn segment runs along g = 1e-3 (the grid top)
    both_top = np.isclose(y[:-1], 1e-3, rtol=1e-9) & np.isclose(y[1:], 1e-3, rtol=1e-9) & finite[:-1] & finite[1:]
    assert not both_top.any()


def test_reach_legend_sits_below_the_axes(reach_fig):
    """The legend never covers data: it sits below the axes, and its title says how the
    contours were made in words (no jargon): the production method and the confidence level."""
    for model, preset in (("A", "fnal2021"), ("B", None)):
        fig = reach_fig(model, preset)
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        legend = _legend(fig)
        assert legend in fig.legends and ax.get_legend() is None
        assert legend.get_window_extent(renderer).y1 <= ax.get_tightbbox(renderer).y0 + 1
        title = legend.get_title().get_text()
        assert "exact tree level" in title and "90% CL" in title and "etl" not in title


def test_reach_title_and_mixed_models(results_b, results_a, reach_fig):
    assert reach_fig("B", None).axes[0].get_title().startswith("Model B (muonphilic)")
    fig = plotting.reach_figure([results_b[0], results_a[0]], preset="fnal2021", title="my title")
    assert fig.axes[0].get_title() == "my title"
    texts = [t.get_text() for t in _legend(fig).get_texts()]
    assert texts[0].endswith(", model B (muonphilic)") and texts[1].endswith(", model A (leptophilic)")
    styles = [line.get_linestyle() for line in _exclusion_lines(fig)]
    assert styles[0] != styles[1]


def test_reach_gaps_and_several_intervals(results_a, tmp_path):
    """A mass without an excluded interval splits the outline in two; two intervals at a mass
    switch to the general contour tracer, which still passes through the edges."""
    r = results_a[0]
    gap = list(r.intervals)
    gap[5] = []
    fig = plotting.reach_figure([dataclasses.replace(r, intervals=gap)], constraints="none")
    assert len(_exclusion_lines(fig)) == 2

    two = [list(iv) for iv in r.intervals]
    lo, hi = two[6][0]
    mid1, mid2 = np.exp(np.log(lo) + np.array([0.4, 0.6]) * (np.log(hi) - np.log(lo)))
    two[6] = [(lo, mid1), (mid2, hi)]
    fig = plotting.reach_figure([dataclasses.replace(r, intervals=two)], constraints="none")
    lines = _exclusion_lines(fig)
    assert len(lines) >= 2  # the outer outline and the hole at m = MASSES[6]
    pts = np.vstack([np.column_stack(line.get_data()) for line in lines])
    at6 = np.isclose(pts[:, 0], MASSES[6], rtol=1e-9)
    for edge in (lo, mid1, mid2, hi):
        assert np.min(np.abs(np.log(pts[at6, 1] / edge))) < 0.02
    _check_png(plotting.save(fig, tmp_path / "two.png"))

    nothing = dataclasses.replace(r, intervals=[[] for _ in r.intervals])
    fig = plotting.reach_figure([nothing], constraints="none")
    assert _exclusion_lines(fig) == []
    assert len(_legend(fig).get_texts()) == 3  # the experiment, (g-2)_mu and (g-2)_e (model A couples to e)


def test_spectrum_figure(tmp_path):
    bins = np.linspace(0.0, 3.0, 31)
    exp = load_experiment("fnal-mu")
    spectra = [(f"model {m}", bins, experiment_spectrum(exp, m, 0.1, 1e-4, bins)) for m in "AB"]
    fig = plotting.spectrum_figure(spectra, title="FNAL")
    ax = fig.axes[0]
    assert isinstance(fig, Figure)
    assert ax.get_xlabel() == "$E_S$ [GeV]" and ax.get_ylabel() == "events / (0.1 GeV)"
    steps = ax.patches
    assert len(steps) == 2
    for step, (_, edges, values) in zip(steps, spectra):
        data = step.get_data()
        assert np.array_equal(data.edges, edges) and np.array_equal(data.values, values)
    assert ax.get_yscale() == "log"  # the spectra span more than a factor 100
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["model A", "model B"]
    _check_png(plotting.save(fig, tmp_path / "spectrum.png"))

    # unequal bins: divided by their widths, per GeV; always a log axis (no switching)
    uneven = plotting.spectrum_figure([("uneven", [0.0, 1.0, 3.0], [5.0, 10.0])])
    assert uneven.axes[0].get_yscale() == "log" and uneven.axes[0].get_ylabel() == "events / GeV"
    assert np.array_equal(uneven.axes[0].patches[0].get_data().values, [5.0, 5.0])
    with pytest.raises(ValueError):
        plotting.spectrum_figure([("bad", [0.0, 1.0], [1.0, 2.0])])


def test_decay_length_figure(tmp_path):
    fig = plotting.decay_length_figure("A", 0.1, 1e-4)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "$E_S$ [GeV]" and "[m]" in ax.get_ylabel()
    (line,) = ax.get_lines()
    e, length = (np.asarray(v, dtype=float) for v in line.get_data())
    assert e[0] == pytest.approx(0.1001) and e[-1] == pytest.approx(200.0)
    assert np.all(np.diff(length) > 0)  # gamma beta c tau grows with the energy
    assert np.allclose(length, get_model("A").decay_length(e, 0.1, 1e-4), rtol=1e-12)
    assert "model A" in line.get_label() and "10^{-4}" in line.get_label()
    _check_png(plotting.save(fig, tmp_path / "decay.png"))

    custom = plotting.decay_length_figure("B", 0.05, 1e-3, energies=[1.0, 10.0, 100.0])
    assert list(custom.axes[0].get_lines()[0].get_xdata()) == [1.0, 10.0, 100.0]


def test_save_formats_and_errors(tmp_path):
    fig = plotting.decay_length_figure("B", 0.05, 1e-3)
    for suffix, magic in ((".pdf", b"%PDF"), (".svg", b"<?xml")):
        out = plotting.save(fig, tmp_path / f"fig{suffix}")
        assert out.read_bytes()[: len(magic)] == magic
    with pytest.raises(ConfigError, match="must end in"):
        plotting.save(fig, tmp_path / "fig.jpg")
    with pytest.raises(ConfigError, match="does not exist"):
        plotting.save(fig, tmp_path / "missing" / "fig.png")
    assert not (tmp_path / "fig.jpg").exists()


@pytest.mark.slow
def test_physics_modules_do_not_import_plotting():
    code = (
        "import sys\n"
        "import mudump, mudump.reach, mudump.signal, mudump.g2, mudump.models, mudump.experiments, mudump.cli\n"
        "assert 'mudump.plotting' not in sys.modules\n"
        "import mudump.plotting\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "MPLBACKEND": "Agg"})


# --- plots a referee accepts -------------------------------------------------------------------


def _by_label(fig):
    """Legend entries: label -> handle."""
    leg = _legend(fig)
    return dict(zip([t.get_text() for t in leg.get_texts()], leg.legend_handles))


def test_published_constraints_drawn_by_default_below_the_contours(results_a):
    """Model A gets the shipped constraints that fit it (mudump.constraints), in grey, under
    mudump's own regions, each named in the legend with its confidence level."""
    fig = plotting.reach_figure(results_a, preset="fnal2021")
    texts = list(_by_label(fig))
    for label in ("BaBar $\\tau\\tau\\phi_L$ (90% CL)", "Belle $\\tau\\tau\\phi_L$ (90% CL)",
                  "E137 (95% CL), computed by mudump", "Orsay (95% CL), computed by mudump"):
        assert label in texts
    assert "already excluded:" in texts
    ax = fig.axes[0]
    drawn = [a for a in (*ax.collections, *ax.patches, *ax.lines) if a.get_gid() == "constraint"]
    assert len(drawn) == 4
    assert max(a.get_zorder() for a in drawn) < min(line.get_zorder() for line in _exclusion_lines(fig))
    # none for a model none of them fits; "none" draws none
    none = plotting.reach_figure(results_a, preset="fnal2021", constraints="none")
    assert not any(a.get_gid() == "constraint" for a in (*none.axes[0].collections, *none.axes[0].patches))


def test_colours_follow_the_experiment_not_the_order(results_a):
    """The same experiment has the same colour and hatch whatever the order of the results."""
    def styles(results):
        fig = plotting.reach_figure(results, constraints="none")
        lines = _exclusion_lines(fig)
        return {r.experiment.name: line.get_color() for r, line in zip(results, lines)}

    assert styles(results_a) == styles(results_a[::-1])
    assert styles(results_a)["fnal-mu"] == plotting.EXPERIMENT_COLOURS["fnal-mu"]
    assert plotting.experiment_styles(["b", "a"]) == plotting.experiment_styles(["a", "b"])
    # two experiments that want the same colour get two colours
    (c1, _), (c2, _) = plotting.experiment_styles(["na64mu", "na64mu-2e13"]).values()
    assert c1 != c2


def test_overlapping_exclusions_stay_distinguishable(results_a):
    """Each experiment's region is hatched differently (crossed hatches where they overlap, not
    a third shade), and its legend entry shows the same hatch and colour."""
    fig = plotting.reach_figure(results_a, constraints="none")
    fills = [p for p in fig.axes[0].patches if p.get_hatch()]
    assert len({p.get_hatch() for p in fills}) == 2
    handles = _by_label(fig)
    for r in results_a:
        h = handles[r.experiment.legend]
        assert h.get_hatch() in {p.get_hatch() for p in fills}


def test_region_cut_by_the_top_of_the_frame_says_so():
    """A region that goes on above the frame says so in its legend entry."""
    r = reach("fnal-mu", "A", masses=MASSES, couplings=COUPLINGS)
    hi = [[(lo, 0.5)] for (lo, _), in (iv for iv in r.intervals if iv)]
    cut = dataclasses.replace(r, masses=[m for m, iv in zip(r.masses, r.intervals) if iv], intervals=hi,
                              couplings=np.geomspace(1e-7, 1.0, 60))
    fig = plotting.reach_figure([cut], constraints="none")
    assert fig.axes[0].get_ylim()[1] < 0.5
    assert _legend(fig).get_texts()[0].get_text().endswith("continues above $0.1$")
    fig = plotting.reach_figure([r], constraints="none")
    assert "continues above" not in _legend(fig).get_texts()[0].get_text()


def test_long_title_is_wrapped_inside_the_figure_and_in_mathtext():
    """The M3 plot's model (lmu-ltau-dm) has a long description with m_chi, m_Z' and alpha_D:
    the title is mathtext and wrapped, never wider than the figure."""
    r = reach("m3-phase1", "lmu-ltau-dm", masses=np.geomspace(0.01, 0.2, 4), couplings=COUPLINGS)
    fig = plotting.reach_figure([r])
    fig.draw_without_rendering()
    title = fig.axes[0].title
    assert "\n" in title.get_text()
    assert "$m_\\chi$" in title.get_text() and "$\\alpha_D$" in title.get_text() and "m_chi" not in title.get_text()
    box = title.get_window_extent(fig.canvas.get_renderer())
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width


def test_ratio_map_decimal_colour_bar_and_upright_labels():
    """Both colour scales of ratio_figure (diverging around 1, and logarithmic) label the colour
    bar with plain decimals, and the contour labels are upright."""
    masses = np.geomspace(1e-3, 1.0, 20)
    x = np.linspace(0.01, 0.99, 30)
    for ratio in (0.3 + 0.6 * np.outer(np.ones(20), 1 - x), np.outer(np.geomspace(0.02, 0.5, 20), np.ones(30))):
        fig = plotting.ratio_figure(masses, x, ratio, "ratio")
        fig.draw_without_rendering()
        cbar_ax = fig.axes[1]
        ticks = [t.get_text() for t in cbar_ax.get_yticklabels() if t.get_text()]
        assert len(ticks) >= 3 and all(re.fullmatch(r"[0-9.]+", t) for t in ticks), ticks
        labels = [t for t in fig.axes[0].texts]
        assert labels and all(t.get_rotation() == 0 for t in labels)
