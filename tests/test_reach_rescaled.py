"""mudump.reach.rescaled (a reach reused across muons on target and statistics, as the explorer
does) against a fresh mudump.reach.reach of the same setup.

Tolerance: 1e-9 relative on events and interval edges. The events differ from a fresh scan only
by the rounding of one multiplication (the muon ratio, ~1e-16); the edges are root-found by
brentq to xtol = rtol = 1e-10 in log g on the same function, so they agree to ~1e-10 in g.
"""

from __future__ import annotations

import numpy as np
import pytest

from mudump import reach as reachmod
from mudump.experiments import load_experiment, parse_experiment

MASSES = np.geomspace(0.005, 0.5, 6)
COUPLINGS = np.geomspace(1e-7, 1.0, 40)
REL = 1e-9


def _edit(name, **changes):
    doc = load_experiment(name).model_dump(mode="json", exclude_none=True)
    for path, value in changes.items():
        sec, key = path.split("__")
        doc[sec][key] = value
    return parse_experiment(doc)


CASES = [
    # the explorer's wrong answer: NA64-mu, model B, then a recast with efficiency, observed
    # events and an uncertain background (CLs, N_up = 19.45 events, not the Poisson 1.80)
    ("na64mu", "B", dict(statistics__efficiency=0.25, statistics__observed=2, statistics__background=0.5,
                         statistics__background_uncertainty=0.2)),
    ("na64mu", "B", dict(beam__muons_on_target=3e12)),
    ("na64mu", "A", dict(beam__muons_on_target=5e13, statistics__confidence_level=0.95, statistics__background=2.0)),
    ("fnal-mu", "A", dict(statistics__background=3.0, statistics__background_uncertainty=1.0)),  # expected band
    ("fnal-mu", "B", dict(beam__muons_on_target=2e13, statistics__observed=0, statistics__efficiency=0.6,
                          statistics__efficiency_uncertainty=0.1)),
    ("na64mu", "lmu-ltau-dm", dict(statistics__confidence_level=0.68, beam__muons_on_target=4e11)),
]


def _same(a, b):
    assert len(a) == len(b)
    for ia, ib in zip(a, b):
        assert len(ia) == len(ib)
        for (lo_a, hi_a), (lo_b, hi_b) in zip(ia, ib):
            assert lo_a == pytest.approx(lo_b, rel=REL) and hi_a == pytest.approx(hi_b, rel=REL)


@pytest.mark.parametrize("name, model, changes", CASES)
def test_rescaled_is_a_fresh_reach(name, model, changes):
    base = reachmod.reach(name, model, MASSES, COUPLINGS)
    exp = _edit(name, **changes)
    got = reachmod.rescaled(base, exp)
    fresh = reachmod.reach(exp, model, MASSES, COUPLINGS)
    assert got.experiment == exp
    assert got.n_up == pytest.approx(fresh.n_up, rel=REL) and got.limit == fresh.limit
    np.testing.assert_allclose(got.events, fresh.events, rtol=REL, atol=0)
    _same(got.intervals, fresh.intervals)
    assert (got.intervals_band is None) == (fresh.intervals_band is None)
    if fresh.intervals_band:
        for k in fresh.intervals_band:
            _same(got.intervals_band[k], fresh.intervals_band[k])
    d_got, d_fresh = got.to_dict(), fresh.to_dict()
    for k in ("limit_method", "signal_events_limit", "expected_limit", "cl", "muons_on_target", "model"):
        assert d_got.get(k) == pytest.approx(d_fresh.get(k), rel=REL) if isinstance(d_fresh.get(k), float) else d_got.get(k) == d_fresh.get(k)


def test_the_recast_limit_is_cls():
    """The numbers of the explorer's wrong answer: 19.45 events with CLs (1.80 was the Poisson
    limit for b = 0.5 without the efficiency or the uncertainty)."""
    base = reachmod.reach("na64mu", "B", MASSES[:2], COUPLINGS)
    r = reachmod.rescaled(base, _edit("na64mu", **CASES[0][2]))
    assert r.limit.method == "cls" and r.n_up == pytest.approx(19.45, abs=0.01)


def test_rescaled_refuses_other_changes():
    base = reachmod.reach("na64mu", "B", MASSES[:2], COUPLINGS)
    for changes in (dict(target__length_m=0.3), dict(downstream__length_m=3.0), dict(beam__energy_GeV=100.0)):
        with pytest.raises(ValueError):
            reachmod.rescaled(base, _edit("na64mu", **changes))

