"""The E_S cut is read from the depth table without a cut (issue 21: an energy-cut edit costs an
interpolation, not a table): no table is computed for a new cut, a cut at or below the mass
removes nothing (array for array), and the cut rule (:func:`mudump.production.cut_x_rule`)
agrees with an x rule built on the cut and with adaptive quadrature, for production alone and
for the events of each signature, with and without invisible decays."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from mudump import signal
from mudump.constants import M_MU
from mudump.experiments import parse_experiment
from mudump.materials import get_material
from mudump.production import cut_x_rule, dsigma_dx_components, tables, x_nodes
from mudump.production.flux import photon_flux
from mudump.production import ww
from mudump.production.tables import TABLE_PANELS, ProductionTable
from mudump.nuclei import nucleus

# Tolerance of the cut rule against a rule built on the cut: the panel the cut falls in is
# integrated by the Lagrange polynomial through its 8 nodes (degree 7), so the error is the
# interpolation error inside one panel of the tables' x rule, measured at most 1.3e-4 (W,
# 1.2-160 GeV, m_S 1 MeV-1 GeV, cuts at 1-97% of the energy; the worst where a heavy S peaks
# near the end point at a few GeV, where the tables' rule itself is 1e-4 from a 4x finer one):
# numerics, far below the 1e-3 of the exact-tree-level interpolation (tests/test_etl.py).
CUT_RULE_RTOL = 3e-4


def _spy(monkeypatch):
    calls = []
    real = tables.compute_depth_table

    def counted(*a, **k):
        calls.append(a[:3])
        return real(*a, **k)

    monkeypatch.setattr(tables, "compute_depth_table", counted)
    return calls


def test_a_cut_is_read_from_the_table_without_a_cut(tmp_path, monkeypatch):
    """One depth table per mass serves every cut: the cuts compute nothing new, and each
    table's S energies (where production is left) are above its cut."""
    monkeypatch.setenv("MUDUMP_CACHE_DIR", str(tmp_path))
    tables.production_table.cache_clear()
    calls = _spy(monkeypatch)
    base = tables.production_table(0.05, "W", 3.0, 1.5, "etl")
    assert len(calls) == 1
    totals = []
    for cut in (0.1, 0.5, 1.0, 2.0, 2.8):
        t = tables.production_table(0.05, "W", 3.0, 1.5, "etl", "mu", cut)
        assert np.all(t.e_s[t.weight > 0] >= cut * (1 - 1e-12))
        totals.append(t.total)
    assert len(calls) == 1  # nothing computed for the cuts
    assert base.total > totals[0] and all(a > b for a, b in zip(totals, totals[1:])) and totals[-1] > 0
    tables.production_table.cache_clear()


@pytest.mark.parametrize("m_S, e_cut", [(0.05, 0.04), (0.05, 0.05), (0.3, 0.1)])
def test_cut_below_the_mass_removes_nothing(m_S, e_cut):
    """E_S >= m_S always: such a cut gives the table without a cut, array for array."""
    dt = tables.compute_depth_table(m_S, "W", 3.0, 1.5, "etl")
    a, b = dt.read(1.2, 0.0, e_cut), dt.read(1.2, 0.0, 0.0)
    for name in ("z", "e_mu", "e_s", "weight", "dz"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def _grid():
    rows = []
    for E0 in (3.0, 10.0, 160.0):
        for m in (0.001, 0.05, 0.5, 1.0):
            for frac in (0.05, 0.2, 0.33, 0.5, 0.7, 0.97):
                if m + M_MU < 0.4 * E0:
                    rows.append((E0, m, frac * E0))
    return rows


@pytest.mark.parametrize("E0, m_S, cut", _grid())
def test_cut_rule_against_a_rule_built_on_the_cut(E0, m_S, cut):
    """The tables' x rule (TABLE_PANELS) cut by interpolation, against the same rule built
    from the cut up (x_nodes with e_cut: every panel above the cut, the integrand evaluated
    there), at three muon energies, exact tree level in W."""
    mat = get_material("W")
    comps = list(zip(mat.nuclei, mat.number_densities))
    E = np.array([E0, 0.7 * E0, 0.4 * E0])
    m = np.full_like(E, m_S)
    x, w = x_nodes(E, m, M_MU, panels=TABLE_PANELS)
    d = dsigma_dx_components(E[:, None], x, m[:, None], comps, method="etl", m_l=M_MU)
    xc, wc = cut_x_rule(E, m_S, M_MU, cut, x, d * w, TABLE_PANELS)
    xd, wd = x_nodes(E, m, M_MU, e_cut=np.full_like(E, cut), panels=TABLE_PANELS)
    dd = dsigma_dx_components(E[:, None], xd, m[:, None], comps, method="etl", m_l=M_MU)
    ref = (dd * wd).sum(-1)
    got = wc.sum(-1)
    assert x.shape == xc.shape and wc.shape == w.shape
    assert np.all(xc[wc > 0] * E[:, None].repeat(x.shape[1], 1)[wc > 0] >= cut * (1 - 1e-12))
    alive = E - M_MU > cut
    np.testing.assert_allclose(got[alive], ref[alive], rtol=CUT_RULE_RTOL)
    assert np.all(got[~alive] == 0.0)
    # the S energy moments (the decay lengths go as E_S): the same accuracy
    np.testing.assert_allclose((wc * xc).sum(-1)[alive], (dd * wd * xd).sum(-1)[alive], rtol=CUT_RULE_RTOL)


@pytest.mark.parametrize("E, m_S, cut", [(3.0, 0.05, 1.0), (2.0, 0.3, 1.2), (160.0, 0.01, 53.3), (160.0, 0.2, 80.0)])
def test_cut_rule_against_adaptive_quadrature(E, m_S, cut):
    """An independent integration: phase-space WW on one nucleus, integral over x from the cut
    to the end point by scipy's adaptive quadrature (relative error 1e-9)."""
    nuc = nucleus("W")
    flux = photon_flux(nuc)
    x, w = x_nodes(np.array([E]), np.array([m_S]), M_MU, panels=TABLE_PANELS)
    d = ww.dsigma_dx(E, x, m_S, flux, M_MU)
    _, wc = cut_x_rule(np.array([E]), m_S, M_MU, cut, x, d * w, TABLE_PANELS)
    hi = 1.0 - M_MU / E
    # (break points: the split of the rule's two regions, and near the end point)
    ref = quad(lambda v: float(ww.dsigma_dx(E, v, m_S, flux, M_MU)), cut / E, hi, epsrel=1e-9, limit=400,
               points=[p for p in (0.5, 1 - 10 * M_MU / E) if cut / E < p < hi])[0]
    assert float(wc.sum()) == pytest.approx(ref, rel=CUT_RULE_RTOL)


def _exp(kind, cut, energy=3.0, material="W", length=1.0, shield=1.0, region=10.0):
    return parse_experiment({
        "name": "cut-test", "beam": {"energy_GeV": energy, "muons_on_target": 1e18},
        "target": {"material": material, "length_m": length},
        "downstream": {"length_m": region, "shield_length_m": shield},
        "signature": {"kind": kind, "e_cut_GeV": cut},
    })


def _table_built_on_the_cut(t: ProductionTable, e, method="etl") -> ProductionTable:
    """The same depth nodes (depths, muon energies, depth weights: exact, not interpolated) with
    the x rule built from the cut up and the cross section evaluated at every node (also in the
    target's last panel, where the tables interpolate it in depth)."""
    mat = get_material(e.target.material)
    comps = list(zip(mat.nuclei, mat.number_densities))
    E = np.asarray(t.e_mu)
    m = np.full_like(E, t.m_S)
    x, wx = x_nodes(E, m, M_MU, e_cut=np.full_like(E, e.signature.e_cut_GeV), panels=TABLE_PANELS)
    d = dsigma_dx_components(E[:, None], x, m[:, None], comps, method=method, m_l=M_MU)
    return ProductionTable(t.m_S, t.z, E, x * E[:, None], d * wx * np.asarray(t.dz)[:, None], t.dz)


@pytest.mark.parametrize("kind, model, m_S, cut, length", [
    ("displaced-decay", "A", 0.05, 0.5, 1.0),
    ("displaced-decay", "A", 0.06136, 0.1333, 1.5),  # the cut's threshold ends production, in the last panel
    ("displaced-decay", "B", 0.3, 1.0, 0.4),
    ("displaced-decay", "lmu-ltau", 0.25, 1.2, 1.5),
    ("missing-energy", "muonphilic-dm", 0.1, 1.5, 1.5),
    ("missing-energy", "B", 0.05, 0.8, 0.25),
    ("missing-energy", "lmu-ltau-dm", 0.2, 1.0, 1.0),
])
def test_events_with_a_cut_against_a_table_built_on_the_cut(kind, model, m_S, cut, length):
    """The events of a geometry with a cut, read from the table without one, against a table
    whose x rule is built on the cut and whose cross sections are evaluated afresh at every node,
    over couplings from long-lived to the edge of the reach (where the decay weights make the
    S energies matter), for each signature, with and without invisible decays."""
    e = _exp(kind, cut, length=length)
    dt = tables.depth_table(m_S, "W", 3.0, length, "etl")
    t = dt.read(length, 0.0, cut)
    ref_t = _table_built_on_the_cut(t, e)
    geo = signal.geometry(e)
    got = signal.Yield(t, model, **geo)
    ref = signal.Yield(ref_t, model, **geo)
    g = np.logspace(-7, -3, 9)
    n_ref = ref(g)
    live = n_ref > 1e-6 * n_ref.max()
    # measured: below 6e-7, except 3.2e-4 where the cut's threshold ends production inside the
    # track's last depth panel (that panel runs down to the kinematic threshold, and the densities
    # interpolated across it carry the table's own error there: without a cut, the table's
    # 1/E_S moment at 0.061 GeV is 2.8e-4 from a 60-panel depth rule): numerics, 5e-4
    np.testing.assert_allclose(got(g)[live], n_ref[live], rtol=5e-4)
    assert live.sum() >= 3
