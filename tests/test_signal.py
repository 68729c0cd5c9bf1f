"""Yields in a thick target: limits that can be derived, the spectrum, the disk cache."""

import numpy as np
import pytest
from scipy.integrate import quad

from mudump import signal
from mudump.experiments import load_experiment, parse_experiment
from mudump.materials import energy_loss, get_material
from mudump.production import sigma
from mudump.production import tables as tables_mod
from mudump.transport import track


def make(kind="missing-energy", material="Pb", energy=160.0, length=0.2, region=5.0, shield=0.0, cut=0.0, mot=1e13):
    return parse_experiment(
        {
            "name": "t",
            "beam": {"energy_GeV": energy, "muons_on_target": mot},
            "target": {"material": material, "length_m": length},
            "downstream": {"length_m": region, "shield_length_m": shield},
            "signature": {"kind": kind, "e_cut_GeV": cut},
        }
    )


@pytest.mark.parametrize("material,energy,length,cut", [("Pb", 160.0, 0.2, 50.0), ("W", 3.0, 1.5, 0.0), ("Fe", 15.0, 2.0, 1.0)])
def test_long_lifetime_missing_energy_is_the_production_integral(material, energy, length, cut):
    """At a tiny coupling every S escapes: N = N_mu g^2 int_0^L n sigma(E(z); E_S > cut) dz.
    The reference integrates over depth with adaptive quadrature, the muon energy from
    energy_loss().energy_after and the cross section from production.sigma."""
    e = make(material=material, energy=energy, length=length, cut=cut)
    m_S, g = 0.02, 1e-9
    n = get_material(material).atom_density
    el = energy_loss(material)
    z_end = min(length, float(el.csda_range(energy)))
    f = lambda z: float(sigma(max(float(el.energy_after(energy, z)), m_S + 0.1057 + 1e-6), m_S, material, e_cut=cut))  # noqa: E731
    ref = e.beam.muons_on_target * g**2 * n * quad(f, 0.0, z_end, limit=200, epsrel=1e-6)[0]
    got = float(signal.experiment_events(e, "A", m_S, [g])[0])
    assert got == pytest.approx(ref, rel=0.01)


def test_thin_target_is_the_constant_energy_formula():
    """1 mm of Pb at 160 GeV: the same code gives N_mu g^2 n L sigma(E_0) (energy loss 5 MeV)."""
    L = 1e-3
    e = make(length=L, cut=50.0)
    g = 1e-9
    ref = e.beam.muons_on_target * g**2 * get_material("Pb").atom_density * L * float(sigma(160.0, 0.05, "Pb", e_cut=50.0))
    assert float(signal.experiment_events(e, "B", 0.05, [g])[0]) == pytest.approx(ref, rel=1e-4)
    tr = track("Pb", 160.0, L)
    assert tr.length == pytest.approx(L, rel=1e-9)


def test_coupling_scaling():
    """Long-lived: missing energy ~ g^2 (production), displaced ~ g^4 (production x decay
    probability L/l ~ g^2); short-lived: displaced -> 0 (S decays in the target)."""
    na = make()
    ev = signal.experiment_events(na, "A", 0.05, [1e-9, 1e-8])
    assert ev[1] / ev[0] == pytest.approx(100.0, rel=1e-6)
    fn = load_experiment("fnal-mu")
    ev = signal.experiment_events(fn, "A", 0.05, [1e-9, 1e-8])
    assert ev[1] / ev[0] == pytest.approx(1e4, rel=1e-4)
    assert signal.experiment_events(fn, "A", 0.05, [1e-1])[0] < 1e-30
    assert signal.experiment_events(na, "A", 0.05, [1e-1])[0] < 1e-30


def test_displaced_probability_by_hand():
    """P = exp(-(L_T - z + L_sh)/l) (1 - exp(-L_R/l)) for a single production point."""
    p = signal.probability("displaced-decay", 1.0, 3.0, 2.0)
    assert p == pytest.approx(np.exp(-0.5) * (1 - np.exp(-1.5)), rel=1e-14)
    p = signal.probability("missing-energy", 1.0, 3.0, 2.0)
    assert p == pytest.approx(np.exp(-2.0), rel=1e-14)


def test_shield_moves_the_decay_region():
    """A shield before the decay volume removes the early decays: fewer events for short-lived S,
    the same in the long-lived limit, where only L_R/l matters (no angles in this yield)."""
    a = make(kind="displaced-decay", material="W", energy=3.0, length=1.5, region=3.0)
    b = make(kind="displaced-decay", material="W", energy=3.0, length=1.5, region=3.0, shield=2.0)
    g_short, g_long = 3e-4, 1e-8
    assert signal.experiment_events(b, "A", 0.05, [g_short])[0] < 0.5 * signal.experiment_events(a, "A", 0.05, [g_short])[0]
    assert signal.experiment_events(b, "A", 0.05, [g_long])[0] == pytest.approx(
        signal.experiment_events(a, "A", 0.05, [g_long])[0], rel=1e-6
    )


@pytest.mark.parametrize("name,model,m_S,g", [("fnal-mu", "A", 0.1, 1e-4), ("fnal-mu", "B", 0.1, 1e-3), ("na64mu", "B", 0.1, 1e-5),
                                          ("cpz2017-fnal", "A", 0.1, 1e-4), ("cpz2017-na64", "B", 0.05, 1e-5)])
def test_spectrum_adds_up_to_the_total(name, model, m_S, g):
    e = load_experiment(name)
    edges = np.linspace(m_S, e.beam.energy_GeV, 41)
    sp = signal.experiment_spectrum(e, model, m_S, g, edges)
    assert np.all(sp >= 0)
    assert sp.sum() == pytest.approx(float(signal.experiment_events(e, model, m_S, [g])[0]), rel=1e-3)


def test_heavier_scalar_carries_more_energy():
    """Seed talk ('Signal'): S takes a larger share of the energy as m_S approaches m_mu."""
    e = load_experiment("fnal-mu")
    edges = np.linspace(0.0, 3.0, 61)
    c = 0.5 * (edges[1:] + edges[:-1])
    mean = []
    for m in (0.01, 0.1):
        sp = signal.experiment_spectrum(e, "B", m, 1e-8, edges)
        mean.append((sp * c).sum() / sp.sum())
    assert mean[1] > mean[0] * 1.1


def test_table_cache_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("MUDUMP_CACHE_DIR", str(tmp_path))
    tables_mod.production_table.cache_clear()
    args = (0.03, "W", 3.0, 1.5, "ww", "mu", 0.0)
    t1 = tables_mod.production_table(*args)
    files = list((tmp_path / "production").glob("*.npz"))
    assert len(files) == 1
    tables_mod.production_table.cache_clear()
    t2 = tables_mod.production_table(*args)
    assert np.array_equal(t1.weight, t2.weight) and np.array_equal(t1.e_s, t2.e_s)
    # another method is another key
    tables_mod.production_table(0.03, "W", 3.0, 1.5, "iww", "mu", 0.0)
    assert len(list((tmp_path / "production").glob("*.npz"))) == 2
    tables_mod.production_table.cache_clear()


def test_table_rule_is_converged(monkeypatch):
    """The lighter x rule of the cached tables agrees with the default sigma rule to 1e-6."""
    a = tables_mod.compute_table(0.1, "W", 3.0, 1.5, "ww").total
    monkeypatch.setattr(tables_mod, "TABLE_PANELS", (16, 12))
    assert tables_mod.compute_table(0.1, "W", 3.0, 1.5, "ww").total == pytest.approx(a, rel=1e-6)


# --- the muon energy floor of an experiment (target.min_muon_energy_GeV) ---------------


@pytest.mark.parametrize("method,m_S", [("etl", 0.1), ("ww", 0.01), ("iww", 0.2)])
def test_energy_floor_is_a_target_cut_where_the_muon_reaches_it(method, m_S):
    """Production with a floor of 0.5 GeV on a 3 GeV muon in 1.5 m of W (the CPZ 2017 Fermilab
    setup, arXiv:1701.07437 section III.A.2) is exactly the production in the first L' metres,
    L' the CSDA depth at which the muon reaches 0.5 GeV: the floor removes the production of
    muons below it and nothing else. Both use the same 24-node rule over the same energy range
    (to the Newton precision of energy_after, ~1e-9), so they agree to 1e-6 (numerics)."""
    from mudump.materials import energy_loss

    depth = float(energy_loss("W").path_length(3.0, 0.5))
    assert 0.5 < depth < 1.2  # 3 GeV stops in about 1.13 m of W (docs/physics.md#energy-loss)
    floor = tables_mod.compute_table(m_S, "W", 3.0, 1.5, method, e_floor=0.5)
    cut = tables_mod.compute_table(m_S, "W", 3.0, depth, method)
    full = tables_mod.compute_table(m_S, "W", 3.0, 1.5, method)
    assert floor.total == pytest.approx(cut.total, rel=1e-6)
    assert np.all(floor.e_mu >= 0.5 * (1 - 1e-12))
    assert floor.total < full.total


def test_energy_floor_lowers_the_signal_and_spectrum_agrees():
    fnal = load_experiment("fnal-mu")
    doc = fnal.model_dump()
    doc["target"]["min_muon_energy_GeV"] = 0.5
    floored = parse_experiment(doc)
    for g in (1e-5, 1e-4):
        with_floor = float(signal.experiment_events(floored, "A", 0.05, [g])[0])
        without = float(signal.experiment_events(fnal, "A", 0.05, [g])[0])
        assert 0 < with_floor < without
    edges = np.linspace(0.05, 3.0, 31)
    sp = signal.experiment_spectrum(floored, "A", 0.05, 1e-4, edges)
    assert sp.sum() == pytest.approx(float(signal.experiment_events(floored, "A", 0.05, [1e-4])[0]), rel=1e-3)
    assert sp[0] > 0  # muons above the floor still make soft S


def test_long_spectrum_reports_progress_and_adds_up():
    """A spectrum of many bins reports its progress (mudump.progress) up to its total, and its
    bins still add up to the yield (to the 1e-3 of the comparison above: the table's x rule)."""
    from mudump import progress

    class Recorder:
        def __init__(self):
            self.started, self.updates = [], []

        def start(self, description, total):
            self.started.append((description, total))
            return self

        def update(self, done, total=None):
            self.updates.append((done, total))

        def finish(self, task):
            pass

    e = load_experiment("fnal-mu")
    rec = Recorder()
    edges = np.linspace(0.0, 3.0, 3001)
    with progress.reporting(rec):
        sp = signal.experiment_spectrum(e, "A", 0.05, 1e-4, edges)
    mine = [total for description, total in rec.started if description.startswith("spectrum")]
    assert len(mine) == 1 and mine[0] > 0
    assert rec.updates and rec.updates[-1][0] == rec.updates[-1][1] == mine[0]
    assert sp.sum() == pytest.approx(float(signal.experiment_events(e, "A", 0.05, [1e-4])[0]), rel=1e-3)
