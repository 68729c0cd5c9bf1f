"""The study's paper reproduced: Chen, Pospelov, Zhong, arXiv:1701.07437, Fig. 4.

The reference curves are the authors' own polylines, extracted from the vector PDFs of the arXiv
source (about 1e-4 in log10, the authors' sampling about 0.08 decade between vertices); they ship
in tests/validation with their citation (tests/validation/README.md).
"""

import numpy as np
import pytest

from mudump.reach import reach

from .helpers import reference_csv

MASSES = np.geomspace(3e-3, 0.15, 5)
COUPLINGS = np.geomspace(1e-7, 1e-1, 200)


def lower_edge_of_paper(model: str, setup: str, masses) -> np.ndarray:
    rows = reference_csv(f"cpz2017_fig4_model{model}_{setup}_reach.csv")
    m, g = rows[:, 1], rows[:, 2]
    lower = slice(0, int(np.argmax(m)) + 1)  # the polyline runs along the lower edge to 2 m_mu first
    order = np.argsort(m[lower])
    return 10 ** np.interp(np.log10(masses), np.log10(m[lower][order]), np.log10(g[lower][order]))


def lower_edge(preset: str, model: str, method: str) -> np.ndarray:
    r = reach(preset, model, MASSES, COUPLINGS, method=method)
    assert all(iv for iv in r.intervals)
    return np.array([iv[0][0] for iv in r.intervals])


@pytest.mark.parametrize("model", ["A", "B"])
def test_na64_with_the_papers_choices(model):
    """cpz2017-na64 with IWW, the paper's method for this setup (section III.A.1). Measured:
    mudump's edge lies 6.7-6.9% above the paper's at every mass, for both models (the lower edge
    is production only: S leaves the detector at these couplings). A constant offset of that
    size is a normalisation: the paper does not say how many signal events it took for 95% CL
    (3.0 for no background; 2.6 would remove the offset), and an independent recomputation
    with the paper's printed formulas and 3 events also lands 5-7% above the plotted curve
    (made when the curves were digitised). Allowed: 10%."""
    paper = lower_edge_of_paper(model, "NA64type", MASSES)  # the cheap part first
    ratio = lower_edge("cpz2017-na64", model, "iww") / paper
    assert np.all(np.abs(ratio - 1) < 0.10), ratio
    assert np.ptp(ratio) < 0.01  # the offset is the same at every mass: a normalisation


@pytest.mark.parametrize("model", ["A", "B"])
def test_fermilab_with_the_papers_choices(model):
    """cpz2017-fnal with exact tree level, the physics of the paper's MadGraph calculation
    (section III.A.2). Measured: -8% to +13% in g_mu, below the paper at the lightest masses
    and above it from 30 MeV on. Known differences: the paper's constant dE/dy = 22.1e-3 GeV/cm
    in W (Table I) against PUMAS (28.0e-3 at 3 GeV, 22.8e-3 at 0.6 GeV), so its muon track from
    3 to 0.5 GeV is 1.13 m against 0.97 m here; MadGraph's sampling and decay reweighting; the
    authors' own contour sampling. Allowed: 20%."""
    paper = lower_edge_of_paper(model, "Fermilab", MASSES)
    ratio = lower_edge("cpz2017-fnal", model, "etl") / paper
    assert np.all(np.abs(ratio - 1) < 0.20), ratio


def test_default_method_reaches_less_than_the_paper_at_na64():
    """mudump's default (exact tree level) against the paper's IWW at 160 GeV with E_S > E/3:
    IWW overstates production (docs/physics.md#production), so the true reach is weaker: the lower
    edge rises by 25-45% in g_mu (measured), more at heavier S."""
    etl = lower_edge("cpz2017-na64", "B", "etl")
    iww = lower_edge("cpz2017-na64", "B", "iww")
    rise = etl / iww
    assert np.all(rise > 1.15) and np.all(np.diff(rise) > 0), rise
