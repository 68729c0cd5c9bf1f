"""Shared test helpers: the independent brute-force integrals of mudump.production.reference
(adaptive QUADPACK through scipy, never the fast kernels' tables or fixed rules)."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

from mudump.production.reference import chi_quad  # noqa: E402,F401
from mudump.production.reference import ww_dsigma_dx as ww_brute  # noqa: E402,F401


@pytest.fixture(scope="session")
def rng():
    return np.random.default_rng(20261125)
