"""Production resolved in depth: any geometry read from one table gives the numbers of a fresh
reach of that geometry (to 1e-6 relatively, the brief's criterion: both use the same quadrature,
so only rounding and the 1e-10 root finding differ), and cached arrays are read-only."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from mudump import progress
from mudump.design import depth_tables, reach_many
from mudump.experiments import load_experiment, parse_experiment
from mudump.production import DEFAULT_METHOD
from mudump.production.formfactors import DEFAULT_FORM_FACTOR
from mudump.production import tables as T
from mudump.reach import reach


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MUDUMP_CACHE_DIR", str(tmp_path))
    T.production_table.cache_clear()
    yield tmp_path
    T.production_table.cache_clear()


def _variants(name, lengths, regions, shield=None, floor=None, cuts=(None,)):
    base = load_experiment(name).model_dump()
    out = []
    for L in lengths:
        for R in regions:
            for cut in cuts:
                d = copy.deepcopy(base)
                d["target"]["length_m"] = L
                d["downstream"]["length_m"] = R
                if shield is not None:
                    d["downstream"]["shield_length_m"] = shield
                if floor is not None:
                    d["target"]["min_muon_energy_GeV"] = floor
                if cut is not None:
                    d["signature"]["e_cut_GeV"] = cut
                out.append(parse_experiment(d))
    return out


CASES = [
    # displaced decay (FNAL-mu, model A), target lengths across panels and past the muon's range
    ("fnal-mu", "A", [0.2, 0.61, 1.3], [0.5, 4.0], 0.3, None),
    # with a muon-energy floor (the CPZ 2017 Fermilab cut)
    ("fnal-mu", "B", [0.4, 1.5], [3.0], None, 0.5),
    # missing energy (NA64-mu, model B)
    ("na64mu", "B", [0.05, 0.2, 0.7], [2.0, 8.0], None, None),
    # invisible decays (a dark sector)
    ("na64mu", "lmu-ltau-dm", [0.1, 0.4], [5.0], None, None),
    ("na64mu", "muonphilic-dm", [0.15, 0.3], [1.0, 5.0], 0.5, None),
    # E_S cuts read from one table: at FNAL-mu (the cut's threshold inside the track for the
    # long target) and NA64-mu (missing energy), with invisible decays
    ("fnal-mu", "A", [0.6, 1.5], [4.0], None, None, (0.0, 0.3, 1.0)),
    ("na64mu", "muonphilic-dm", [0.2], [5.0], None, None, (20.0, 50.0, 100.0)),
]


@pytest.mark.parametrize("name,model,lengths,regions,shield,floor,cuts", [c if len(c) == 7 else c + ((None,),)
                                                                        for c in CASES])
def test_many_design_points_equal_fresh_reach(fresh_cache, name, model, lengths, regions, shield, floor, cuts):
    exps = _variants(name, lengths, regions, shield, floor, cuts)
    masses, couplings = np.geomspace(2e-3, 0.5, 9), np.geomspace(1e-8, 1.0, 120)
    # the tables computed once, for the longest target, then shipped to reach_many
    tabs = depth_tables(exps, model, masses)
    many = reach_many(exps, model, masses, couplings, tables=tabs)
    n_iv = 0
    for e, got in zip(exps, many):
        T.production_table.cache_clear()  # a fresh computation of this geometry's own table
        r = reach(e, model, masses, couplings, refine_thresholds=False)
        assert len(got) == len(r.intervals)
        for a, b in zip(r.intervals, got):
            assert len(a) == len(b)
            for (lo1, hi1), (lo2, hi2) in zip(a, b):
                assert lo2 == pytest.approx(lo1, rel=1e-6) and hi2 == pytest.approx(hi1, rel=1e-6)
                n_iv += 1
    assert n_iv > 0  # something is excluded, so the comparison compares numbers


def test_table_of_a_long_target_serves_a_short_one_and_extends(fresh_cache):
    """One depth table computed for 0.3 m is extended (not rebuilt) to 1.3 m; the production of a
    0.3 m target read from either equals the fresh table of that target, node for node."""
    short = T.production_table(0.05, "W", 3.0, 0.3, "etl")
    dt = T.depth_table(0.05, "W", 3.0, 0.3, "etl")
    n0 = dt.n_panels
    deep = T.depth_table(0.05, "W", 3.0, 1.3, "etl")
    assert deep.n_panels > n0 and np.array_equal(deep.weight[: dt.weight.shape[0]], dt.weight)
    again = deep.truncate(deep.end_u(0.3))
    assert np.allclose(again.weight, short.weight, rtol=1e-12, atol=0) and np.allclose(again.z, short.z, rtol=1e-12)
    files = list((fresh_cache / "production").glob("*.npz"))
    assert len(files) == 1  # one entry per (mass, beam, material, ...), whatever the length


def test_thin_target_decays_within_the_target():
    """For a thin target (0.2 m Pb at 160 GeV the muon loses 0.15%, so production is uniform in
    depth to ~1e-3) the share of production within a decay length l of the end is
    l/L (1 - exp(-L/l)) (exponential law); the graded rule of the last panel gets it to 2e-3 down
    to l = L/10 (its accuracy there; the 24-node rule of version 0.1 was 3e-5 there but 6e-2 off
    for a 10 m target at l = 2 cm, where the graded rule is 4e-3 off)."""
    t = T.compute_table(0.05, "Pb", 160.0, 0.2, "etl")
    for l in (0.02, 0.2, 2.0):
        share = (t.weight * np.exp(-(0.2 - t.z) / l)[:, None]).sum() / t.total
        assert share == pytest.approx(l / 0.2 * (1 - np.exp(-0.2 / l)), rel=2e-3)


def test_cached_arrays_are_read_only(fresh_cache):
    t = T.production_table(0.05, "W", 3.0, 1.0, "ww")
    dt = T.depth_table(0.05, "W", 3.0, 1.0, "ww")
    for a in (t.weight, t.e_s, t.z, t.e_mu, t.dz, dt.weight, dt.rho):
        with pytest.raises(ValueError, match="read-only"):
            a[0] = 1.0
    T.production_table.cache_clear()
    t2 = T.production_table(0.05, "W", 3.0, 1.0, "ww")  # from the disk cache
    with pytest.raises(ValueError, match="read-only"):
        t2.weight[0, 0] = 1.0


def test_a_target_beyond_the_tables_extends_them_never_extrapolates(fresh_cache):
    """Tables given for a 0.3 m target and a design point with a 1.6 m one: reach_many extends
    the depth table, with progress (the table in memory afterwards covers 1.6 m), and its reach
    equals a fresh reach of the long target (1e-6, as above), not a reading past the table's end."""
    exps = _variants("fnal-mu", [0.3, 1.6], [2.0], 0.3)
    masses, couplings = np.geomspace(5e-3, 0.2, 4), np.geomspace(1e-8, 1.0, 120)
    short = depth_tables(exps[:1], "A", masses)
    assert all(t.depth < 1.6 for t in short.values())
    shown = []

    class Reporter:  # records the progress tasks the kernels open (what the command line draws)
        def start(self, description, total):
            shown.append([description, total, 0])
            return self

        def update(self, done, total=None):
            shown[-1][2] = done

        def finish(self, t):
            pass

    with progress.reporting(Reporter()):
        many = reach_many(exps, "A", masses, couplings, tables=short)
    # the extension is one progress task over the masses, run to its end
    assert len(shown) == 1 and "1.6 m" in shown[0][0] and shown[0][1] == shown[0][2] == masses.size
    e = exps[1]
    for m in masses:  # the table in memory (asked for depth 0: whatever it holds) now covers 1.6 m
        held = T.depth_table(float(m), e.target.material, e.beam.energy_GeV, 0.0, DEFAULT_METHOD, e.beam.lepton,
                             DEFAULT_FORM_FACTOR, "scalar")
        assert held.depth >= 1.6
    T.production_table.cache_clear()
    r = reach(exps[1], "A", masses, couplings, refine_thresholds=False)
    n_iv = 0
    for a, b in zip(r.intervals, many[1]):
        assert len(a) == len(b)
        for (lo1, hi1), (lo2, hi2) in zip(a, b):
            assert lo2 == pytest.approx(lo1, rel=1e-6) and hi2 == pytest.approx(hi1, rel=1e-6)
            n_iv += 1
    assert n_iv > 0
