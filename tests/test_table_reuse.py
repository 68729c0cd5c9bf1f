"""An energy cut at or below the mass of X removes nothing (E_S >= m_S): the depth table is
the one without a cut, read from memory instead of computed again (the explorer redraws such
an edit from the tables it has), and equal, array for array, to a fresh computation with the
cut."""

from __future__ import annotations

import numpy as np
import pytest

from mudump.production import tables


@pytest.mark.parametrize("m_S, e_cut", [(0.05, 0.04), (0.05, 0.05), (0.3, 0.1)])
def test_cut_below_the_mass_reuses_the_table(m_S, e_cut):
    without = tables.depth_table(m_S, "W", 3.0, 1.5, "etl", e_cut=0.0)
    with_cut = tables.depth_table(m_S, "W", 3.0, 1.5, "etl", e_cut=e_cut)
    assert with_cut is without  # the same table: nothing computed
    # and that is no approximation: computed afresh, with the cut and without, array for array
    fresh = tables.compute_depth_table(m_S, "W", 3.0, 1.5, "etl", e_cut=e_cut)
    fresh_without = tables.compute_depth_table(m_S, "W", 3.0, 1.5, "etl", e_cut=0.0)
    for name in ("u_edges", "z", "e_mu", "e_s", "weight", "rho", "dz"):
        assert np.array_equal(getattr(fresh, name), getattr(fresh_without, name)), name


def test_cut_above_the_mass_is_a_new_table():
    without = tables.depth_table(0.05, "W", 3.0, 1.5, "etl", e_cut=0.0)
    with_cut = tables.depth_table(0.05, "W", 3.0, 1.5, "etl", e_cut=0.5)
    assert with_cut is not without
    assert with_cut.e_s.min() >= 0.5 * (1 - 1e-12)  # every node above the cut
