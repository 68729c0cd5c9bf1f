"""Start-up cost: what `mudump --help` imports, and the cached constants table.

The cached table (mudump.constants) must give exactly the numbers the libraries give: JSON
stores floats by their shortest round-tripping repr, so the comparison is exact (==).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mudump import constants


def test_help_imports_no_heavy_library():
    """`import mudump.cli` (all that `mudump --help` needs) must not import numpy, scipy,
    particle or matplotlib: they cost ~0.5 s together (measured with python -X importtime)."""
    code = (
        "import sys, mudump.cli; "
        "print(sorted(m for m in ('numpy', 'scipy', 'particle', 'matplotlib', 'pyarrow', 'mulder') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.slow
def test_constants_equal_the_libraries():
    fresh = constants.compute_library_values()
    for name in constants._LIBRARY_NAMES:
        assert getattr(constants, name) == fresh[name], name
    assert constants.GEV2_TO_M2 == constants.HBARC_GEV_M**2
    assert constants.LEPTONS == {"e": constants.M_E, "mu": constants.M_MU, "tau": constants.M_TAU}
    from particle import Particle

    for name in constants.PDG_NAMES:  # cached IDs against the library's lookup
        assert constants.pdg_id(name) == int(Particle.from_name(name).pdgid)
    assert constants.pdg_id("mu+") == -13 and constants.pdg_id("gamma") == 22  # PDG MC numbering scheme
    assert constants.pdg_id("pi+") == 211  # a name outside the cached set goes to particle


@pytest.mark.slow
def test_constants_cache_written_with_provenance_and_survives_corruption(tmp_path, monkeypatch):
    monkeypatch.setenv("MUDUMP_CACHE_DIR", str(tmp_path))
    constants._library_values.cache_clear()
    try:
        first = constants._library_values()
        (path,) = tmp_path.glob("constants-*.json")
        stored = json.loads(path.read_text())
        assert set(stored["provenance"]) == {"scipy", "particle"}
        assert {k: stored[k] for k in constants._LIBRARY_NAMES} == {k: first[k] for k in constants._LIBRARY_NAMES}
        path.write_text("{not json")  # a damaged cache file is recomputed, not trusted
        constants._library_values.cache_clear()
        again = constants._library_values()
        assert {k: again[k] for k in constants._LIBRARY_NAMES} == {k: first[k] for k in constants._LIBRARY_NAMES}
        assert json.loads(path.read_text())["M_MU"] == first["M_MU"]
    finally:
        constants._library_values.cache_clear()


def test_unknown_constant_is_an_attribute_error():
    with pytest.raises(AttributeError):
        constants.NOT_A_CONSTANT  # noqa: B018


def test_reach_imports_no_scipy_stats():
    """`import mudump.reach` (every `mudump reach`) must not import scipy.stats: it costs ~0.2 s
    (python -X importtime) and is needed only for limits with uncertainties."""
    code = "import sys, mudump.reach; print('scipy.stats' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_reach_figure_and_save_draw_twice(tmp_path, monkeypatch):
    """The reach figure is laid out without drawing it: saving it (tight bounding box) draws it
    twice (the pass that finds the tight bounding box, and the rendering), no more (it was
    drawn four times, three of them laid out)."""
    import numpy as np
    from matplotlib.figure import Figure

    from mudump import plotting
    from mudump.reach import reach

    r = reach("fnal-mu", "B", np.geomspace(0.01, 0.3, 6), np.geomspace(1e-6, 1e-2, 12))
    calls = []
    draw = Figure.draw

    def counting(self, renderer):
        calls.append(1)
        return draw(self, renderer)

    monkeypatch.setattr(Figure, "draw", counting)
    fig = plotting.reach_figure([r], preset="fnal2021")
    assert not calls
    plotting.save(fig, tmp_path / "reach.png")
    assert len(calls) == 2


def test_reach_with_plot_imports_no_scipy(tmp_path):
    """The README's main job (`mudump reach ... --plot`) needs no scipy at all: scipy.special,
    scipy.optimize and scipy.integrate together cost ~0.3 s of its ~1.3 s (python -X
    importtime); the roots, the (g-2) loop integral and the Poisson limit without background
    are computed without them. Warm cache: computing tables or the constants may import it."""
    code = (
        "import sys\n"
        "from mudump.cli import main\n"
        "try:\n"
        f"    main(['reach', 'na64mu', 'fnal-mu', '--model', 'B', '--preset', 'fnal2021', '--n-masses', '4',"
        f" '--n-couplings', '20', '--plot', {str(tmp_path / 'r.png')!r}, '--json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m == 'scipy' or m.startswith('scipy.')), file=sys.stderr)\n"
    )
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # warms the cache
    err = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stderr
    assert err.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "r.png").stat().st_size > 0
