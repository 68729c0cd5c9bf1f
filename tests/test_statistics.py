"""Event limits: classical Poisson without uncertainties, CLs with them, expected
limits for projections, and the experiment file's statistics fields."""

import math

import numpy as np
import pytest

from mudump.cli import main
from mudump.errors import ConfigError
from mudump.experiments import load_experiment, parse_experiment
from mudump.reach import reach
from mudump.statistics import cls_upper_limit, event_limit, poisson_upper_limit


def test_known_values_without_background():
    # PDG Review of Particle Physics, "Statistics" (Poisson upper limits, b = 0, n = 0):
    # -ln(1 - CL) = 2.30 (90%) and 3.00 (95%); n = 1: 3.89 and 4.74; n = 2: 5.32 and 6.30
    for cl, n, ref in ((0.9, 0, 2.303), (0.95, 0, 2.996), (0.9, 1, 3.890), (0.95, 1, 4.744), (0.9, 2, 5.322),
                       (0.95, 2, 6.296)):
        assert poisson_upper_limit(cl, 0.0, n) == pytest.approx(ref, abs=1e-3)
        assert cls_upper_limit(cl, n, 0.0) == pytest.approx(ref, abs=1e-3)  # CLs = classical at b = 0
    lim = event_limit(0.9)
    assert lim.method == "poisson" and lim.n_up == pytest.approx(-math.log(0.1), rel=1e-10)


@pytest.mark.parametrize("b", [0.5, 2.0, 5.0])
def test_cls_with_no_event_is_independent_of_the_background(b):
    """A known property of CLs (Read, J. Phys. G 28 (2002) 2693): with n_obs = 0 the limit is
    -ln(1 - CL) whatever b, 3.00 at 95% CL; the background uncertainty does not change it either."""
    assert cls_upper_limit(0.95, 0, b) == pytest.approx(2.9957, abs=1e-4)
    assert cls_upper_limit(0.95, 0, b, 0.5 * b) == pytest.approx(2.9957, abs=1e-4)


def test_cls_one_bin_with_background_published_value():
    """n_obs = 6, b = 3, 95% CL: 8.91 in the worked example of M. Donega's 'Data analysis in
    HEP' notes (ETH Zurich, notebook "Limit near boundaries, Bayesian approach, Poisson"; the
    Bayesian uniform-prior limit, which equals CLs for a one-bin count, Helene, NIM 212 (1983)
    319), found there by a scan in steps of 0.01: the limit lies in (8.90, 8.91]."""
    assert 8.90 < cls_upper_limit(0.95, 6, 3.0) <= 8.91


def test_uncertainties_weaken_the_limit_and_efficiency_scales_it():
    known = cls_upper_limit(0.9, 2, 2.0)
    assert cls_upper_limit(0.9, 2, 2.0, 1.0) > known  # an uncertain background helps less
    assert cls_upper_limit(0.9, 0, 0.0, 0.0, 0.5) == pytest.approx(-math.log(0.1) / 0.5, rel=1e-8)
    assert cls_upper_limit(0.9, 0, 0.0, 0.0, 0.8, 0.1) > 2.3026 / 0.8
    # equal-probability nodes: doubling them moves the limit by < 1e-3 (numerics)
    import mudump.statistics as S

    a = cls_upper_limit(0.9, 3, 2.0, 0.8, 0.7, 0.1)
    old = S.NUISANCE_NODES
    try:
        S.NUISANCE_NODES = 2 * old
        assert cls_upper_limit(0.9, 3, 2.0, 0.8, 0.7, 0.1) == pytest.approx(a, rel=1e-3)
    finally:
        S.NUISANCE_NODES = old


def test_expected_limit_and_its_band():
    lim = event_limit(0.9, 3.0, None, 1.0)
    assert lim.expected and lim.method == "cls"
    assert lim.n_up_lo < lim.n_up < lim.n_up_hi
    zero_b = event_limit(0.9)
    assert zero_b.n_up_lo == zero_b.n_up == zero_b.n_up_hi  # no band without background


NA64 = load_experiment("na64mu")


def _with(**stats):
    doc = NA64.model_dump()
    doc["statistics"].update(stats)
    return parse_experiment(doc)


def test_recast_fields_reach_the_limit_and_are_recorded():
    e = _with(observed=0, background=0.07, background_uncertainty=0.03, efficiency=0.5, efficiency_uncertainty=0.05)
    r = reach(e, "B", [0.05], np.geomspace(1e-7, 1e-2, 40))
    d = r.to_dict()
    assert d["limit_method"] == "cls" and d["expected_limit"] is False
    assert d["signal_events_limit"] == pytest.approx(cls_upper_limit(0.9, 0, 0.07, 0.03, 0.5, 0.05), rel=1e-9)
    # a projection with background: the +-1 sigma intervals bracket the median's lower edge
    p = reach(_with(background=2.0, background_uncertainty=0.5), "B", [0.05], np.geomspace(1e-7, 1e-2, 40))
    band = p.to_dict()["intervals_expected_band"]
    lo_edge = p.intervals[0][0][0]
    assert band["minus_1sigma"][0][0][0] < lo_edge < band["plus_1sigma"][0][0][0]


@pytest.mark.parametrize("field,value,needle", [
    ("observed", -1, "statistics.observed"),
    ("observed", 1.5, "statistics.observed: must be a whole number"),
    ("background_uncertainty", -0.1, "statistics.background_uncertainty"),
    ("efficiency", 0.0, "statistics.efficiency"),
    ("efficiency", 1.2, "statistics.efficiency"),
])
def test_bad_statistics_name_the_field(tmp_path, capsys, field, value, needle):
    with pytest.raises(ConfigError) as exc:
        _with(**{field: value})
    assert needle in str(exc.value)
    text = (
        'name = "x"\n[beam]\nenergy_GeV = 160.0\nmuons_on_target = 1e10\n[target]\nmaterial = "Pb"\nlength_m = 0.2\n'
        '[downstream]\nlength_m = 5.0\n[signature]\nkind = "missing-energy"\n[statistics]\n'
        f"{field} = {value!r}\n"
    )
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(SystemExit) as ex:
        main(["reach", str(p), "--model", "B", "--n-masses", "2"])
    err = capsys.readouterr().err.strip()
    assert ex.value.code == 2 and needle in err and str(p) in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("cl,floor", [(0.9, 2.3026), (0.95, 2.9957)])
def test_background_above_the_observation_never_excludes_more_than_no_background(cl, floor):
    """0 observed with b = 3 known: the classical mu_up - b would be ~0 events (every coupling
    excluded); CLs gives -ln(1 - CL) = 2.30 (90%) / 3.00 (95%) whatever b (Read, J. Phys. G 28
    (2002) 2693), and no (n_obs, b) gives less (the no-event, no-background value is CLs's
    floor). 1e-4: the rounding of the reference values."""
    lim = event_limit(cl, 3.0, 0)
    assert lim.method == "cls" and lim.n_up == pytest.approx(floor, abs=1e-4)
    for n in range(0, 8):
        for b in (0.1, 1.0, 3.0, 10.0, 30.0):
            assert event_limit(cl, b, n).n_up >= floor - 1e-4, (n, b)
            assert event_limit(cl, b, None).n_up >= floor - 1e-4, b


def test_projection_with_a_known_background_is_cls():
    """A projection with b > 0 and no uncertainty: CLs at the median background count (3 for
    b = 3), the method recorded."""
    lim = event_limit(0.9, 3.0)
    assert lim.method == "cls" and lim.n_up == pytest.approx(cls_upper_limit(0.9, 3, 3.0), rel=1e-12)
    assert event_limit(0.9).method == "poisson"  # no background, no uncertainty: the classical limit


def test_huge_background_needs_no_memory():
    """b = 1e12 once tried to allocate a table of 1e12 counts (7.28 TiB). For b >> 1 the count is
    normal and the expected 90% CLs limit is z s.t. Phi(-z) = 0.1 * 0.5, z = 1.6449 sqrt(b)
    (1e-4 relative: the O(1/sqrt(b)) corrections are 1e-6); beyond BACKGROUND_MAX one line."""
    import tracemalloc

    from mudump.errors import DomainError
    from mudump.statistics import BACKGROUND_MAX

    tracemalloc.start()
    lim = event_limit(0.9, 1e12)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert lim.n_up == pytest.approx(1.6448536 * 1e6, rel=1e-4)
    assert peak < 10e6
    with pytest.raises(DomainError, match="background"):
        event_limit(0.9, 10 * BACKGROUND_MAX)
    with pytest.raises(DomainError, match="observed = 0 is incompatible with background"):
        event_limit(0.9, 1e12, 0)


def test_reach_records_the_cls_limit_for_a_background(capsys, tmp_path):
    """Through the CLI: 0 observed over b = 3 is the 2.30-event limit, not an exclusion of every
    coupling, and the JSON says which method set it."""
    import json

    p = tmp_path / "e.toml"
    p.write_text('name = "b3"\n[beam]\nenergy_GeV = 160.0\nmuons_on_target = 1e13\n[target]\nmaterial = "Pb"\n'
                 'length_m = 0.2\n[downstream]\nlength_m = 5.0\n[signature]\nkind = "missing-energy"\ne_cut_GeV = 50.0\n'
                 '[statistics]\nobserved = 0\nbackground = 3.0\n')
    with pytest.raises(SystemExit) as exc:
        main(["reach", str(p), "--model", "B", "--json", "--n-masses", "3"])
    out = capsys.readouterr().out
    assert exc.value.code == 0
    d = json.loads(out)
    assert d["limit_method"] == "cls" and d["signal_events_limit"] == pytest.approx(2.3026, abs=1e-4)
    assert all(iv[0][0] > 1e-7 for iv in d["intervals"] if iv)  # not excluded down to the grid's floor
