"""Fixtures shared by the tests (helper functions live in tests/helpers.py)."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def rng():
    return np.random.default_rng(20261125)


NARROW_DOC = {
    "name": "narrow",
    "beam": {"energy_GeV": 3.0, "muons_on_target": 1e14},
    "target": {"material": "W", "length_m": 1.5},
    "downstream": {"length_m": 3.0, "shape": "cylinder", "radius_m": 0.1},
    "signature": {"kind": "displaced-decay"},
}


@pytest.fixture
def narrow_experiment():
    """FNAL-mu with a 10 cm radius decay volume (for acceptance tests)."""
    from mudump.experiments import parse_experiment

    return parse_experiment(NARROW_DOC)
