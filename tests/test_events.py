"""The Monte Carlo generator: totals against the semi-analytic yield, conservation laws, the
exponential decay law, reproducibility, acceptance."""

import numpy as np
import pytest
from scipy import stats

from mudump import signal
from mudump.constants import HBARC_GEV_M
from mudump.events.generator import generate
from mudump.experiments import load_experiment
from mudump.models import get_model


def _m2(p):
    return p[:, 0] ** 2 - (p[:, 1:] ** 2).sum(1)


@pytest.mark.parametrize(
    "name,model,m_S,g",
    [
        ("fnal-mu", "A", 0.1, 1e-4),  # displaced, e+e- dominated
        ("fnal-mu", "B", 0.05, 1e-4),  # displaced, gamma gamma, long-lived
        ("fnal-mu", "A", 0.02, 4e-4),  # displaced, short-lived (lifetime edge)
        ("na64mu", "B", 0.1, 1e-5),  # missing energy, long-lived
        ("na64mu", "A", 0.1, 2e-3),  # missing energy, decays on the way
    ],
)
def test_weights_add_up_to_the_semi_analytic_yield(name, model, m_S, g):
    """--no-acceptance, CSDA vertex energy (as the semi-analytic yield): sum of weights =
    mudump spectrum's total within the statistical error (4 sigma, with sigma^2 = sum of w^2).
    With energy straggling (the default) the sum differs from it by a physical second-order
    effect: tests/test_straggling.py."""
    b = generate(name, model, m_S, g, 60_000, seed=11, acceptance=False, straggling=False)
    w = b.weight
    total, err = w.sum(), np.sqrt((w**2).sum())
    e = load_experiment(name)
    edges = np.linspace(m_S, e.beam.energy_GeV, 31)
    ref = signal.experiment_spectrum(e, model, m_S, g, edges).sum()
    assert abs(total - ref) < 4 * err + 2e-3 * ref


def test_energy_and_momentum_conservation_and_masses():
    b = generate("fnal-mu", "A", 0.1, 1e-4, 20_000, seed=3)
    scale = b.mu_in[:, :1]
    assert np.abs(b.mu_in + b.nucleus_in - b.mu_out - b.nucleus_out - b.s).max() < 1e-9 * scale.max()
    assert np.abs(b.s - b.d1 - b.d2).max() < 1e-9 * scale.max()
    m_mu = 0.1056583755
    assert np.sqrt(_m2(b.mu_out)) == pytest.approx(np.full(len(b), m_mu), rel=1e-8)
    assert np.sqrt(_m2(b.mu_in)) == pytest.approx(np.full(len(b), m_mu), rel=1e-8)
    assert np.sqrt(_m2(b.s)) == pytest.approx(np.full(len(b), 0.1), rel=1e-8)
    assert np.sqrt(_m2(b.nucleus_out)) == pytest.approx(np.full(len(b), b.mass_nucleus_GeV), rel=1e-10)
    # model A at 100 MeV: e+ e- (95%) and gamma gamma (5%); products back to back in the S frame
    assert set(np.unique(b.pdg_d1)) <= {11, 22} and np.mean(b.pdg_d1 == 11) == pytest.approx(0.954, abs=0.01)


def test_decay_positions_follow_the_exponential_law():
    """Along its path from the entry plane of the decay region, S decays with the truncated
    exponential law: u = (1 - e^{-s/l}) / (1 - e^{-S/l}) is uniform (KS test)."""
    e = load_experiment("fnal-mu")
    b = generate(e, "A", 0.05, 2e-4, 20_000, seed=5)
    width = float(get_model("A").total_width(0.05, 2e-4))
    p = np.linalg.norm(b.s[:, 1:], axis=1)
    l = p / 0.05 * HBARC_GEV_M / width
    kz = b.s[:, 3] / p
    z0 = e.target.length_m + e.downstream.shield_length_m
    s_in = (z0 - b.v_prod[:, 2]) / kz
    span = e.downstream.length_m / kz
    path = np.linalg.norm(b.v_decay[:, :3] - b.v_prod[:, :3], axis=1) - s_in
    u = -np.expm1(-path / l) / -np.expm1(-span / l)
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert np.all((b.v_decay[:, 2] >= z0 - 1e-9) & (b.v_decay[:, 2] <= z0 + e.downstream.length_m + 1e-9))


def test_same_seed_same_events():
    a = generate("na64mu", "B", 0.02, 1e-5, 5_000, seed=42)
    b = generate("na64mu", "B", 0.02, 1e-5, 5_000, seed=42)
    c = generate("na64mu", "B", 0.02, 1e-5, 5_000, seed=43)
    assert np.array_equal(a.weight, b.weight) and np.array_equal(a.v_decay, b.v_decay)
    assert not np.array_equal(a.weight, c.weight)


def test_transverse_acceptance(narrow_experiment):
    """A 10 cm radius decay volume keeps fewer events than an unbounded one; both products of
    every kept event reach the end face inside the radius."""
    narrow = narrow_experiment
    wide = load_experiment("fnal-mu")
    bn = generate(narrow, "A", 0.05, 2e-4, 20_000, seed=9)
    bw = generate(wide, "A", 0.05, 2e-4, 20_000, seed=9)
    assert 0 < bn.weight.sum() < 0.9 * bw.weight.sum()
    z_end = 4.5
    for d in (bn.d1, bn.d2):
        s = (z_end - bn.v_decay[:, 2]) / d[:, 3]
        xy = bn.v_decay[:, :2] + s[:, None] * d[:, 1:3]
        assert np.all(np.hypot(xy[:, 0], xy[:, 1]) <= 0.1 + 1e-12)


def test_multiple_scattering_matches_highland():
    """The muon's direction at the vertex spreads as PUMAS's transport path says; at 3 GeV in
    W after ~0.5 m the Highland formula (PDG Review eq. 34.15) gives theta_0 ~ 0.06 rad:
    agreement within 25% (Highland is itself good to ~11%)."""
    b = generate("fnal-mu", "B", 0.01, 1e-8, 40_000, seed=2, acceptance=False)
    z = b.v_prod[:, 2]
    sel = (z > 0.45) & (z < 0.55)
    E = b.mu_in[sel, 0]
    thx = b.mu_in[sel, 1] / b.mu_in[sel, 3]
    p = np.sqrt(E**2 - 0.10566**2).mean()
    x_over_X0 = 0.5 / 0.003504  # X0(W) = 0.3504 cm, PDG
    # the beam had 3 GeV at entry: Highland at the mean momentum over the path
    p_mean = 0.5 * (3.0 + p)
    highland = 0.0136 / p_mean * np.sqrt(x_over_X0) * (1 + 0.038 * np.log(x_over_X0))
    assert np.std(thx) == pytest.approx(highland, rel=0.25)
