"""The in-memory form of generated signal events, shared by the generator and the writers.

Units: four-momenta (E, px, py, pz) in GeV; positions and times as (x, y, z, c t) in metres,
the beam along +z and the target entrance at z = 0; weights in expected events (their sum is
the expected number of signal events of the run).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class EventBatch:
    """N signal events of the process mu N -> mu N S, S -> a b.

    Arrays (N rows): ``weight`` (N,); four-momenta (N, 4): ``mu_in`` (beam muon at the
    production vertex, its energy straggled about the CSDA energy unless ``meta["straggling"]``
    says none), ``nucleus_in`` (target nucleus at rest), ``mu_out``, ``nucleus_out``,
    ``s`` (the scalar), ``d1`` and ``d2`` (its decay products); vertices (N, 4) as
    (x, y, z, ct) in metres: ``v_prod`` (production) and ``v_decay`` (decay; ct counts from the
    muon's entry into the target); ``pdg_d1`` and ``pdg_d2`` (N,) PDG IDs of the products.
    Scalars: ``pdg_mu`` (PDG ID of the beam muon), ``pdg_nucleus`` (100ZZZAAA0 code),
    ``pdg_s`` (the ID given to S), ``mass_nucleus_GeV``, ``mass_s_GeV``.
    ``meta``: run metadata (model, mass_GeV, coupling, experiment, seed, mudump_version,
    method, ...), written into every file header.
    """

    weight: np.ndarray
    mu_in: np.ndarray
    nucleus_in: np.ndarray
    mu_out: np.ndarray
    nucleus_out: np.ndarray
    s: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    v_prod: np.ndarray
    v_decay: np.ndarray
    pdg_d1: np.ndarray
    pdg_d2: np.ndarray
    pdg_mu: int
    pdg_nucleus: int
    pdg_s: int
    mass_nucleus_GeV: float
    mass_s_GeV: float
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.weight.shape[0])

    ARRAYS = ("weight", "mu_in", "nucleus_in", "mu_out", "nucleus_out", "s", "d1", "d2", "v_prod", "v_decay",
              "pdg_d1", "pdg_d2")

    def select(self, mask) -> "EventBatch":
        """The events where ``mask`` is true (a new batch)."""
        kw = {k: getattr(self, k)[mask] for k in self.ARRAYS}
        return EventBatch(**kw, pdg_mu=self.pdg_mu, pdg_nucleus=self.pdg_nucleus, pdg_s=self.pdg_s,
                          mass_nucleus_GeV=self.mass_nucleus_GeV, mass_s_GeV=self.mass_s_GeV, meta=dict(self.meta))

    @staticmethod
    def concatenate(batches: list["EventBatch"]) -> "EventBatch":
        """One batch from several of the same run."""
        b0 = batches[0]
        kw = {k: np.concatenate([getattr(b, k) for b in batches]) for k in EventBatch.ARRAYS}
        return EventBatch(**kw, pdg_mu=b0.pdg_mu, pdg_nucleus=b0.pdg_nucleus, pdg_s=b0.pdg_s,
                          mass_nucleus_GeV=b0.mass_nucleus_GeV, mass_s_GeV=b0.mass_s_GeV, meta=dict(b0.meta))


def total_error(weights, n_generated: int) -> float:
    """The Monte Carlo standard error of the sum of the weights of a run of ``n_generated``
    events (the events not kept count with weight 0; with fewer than 2, sqrt(sum w^2)): the sum is n times the mean of the n
    per-event estimates, so its variance is n/(n-1) sum_i (w_i - S/n)^2
    = n/(n-1) (sum w^2 - S^2/n). (sqrt(sum w^2) would be the error of a total whose number of
    events is Poisson-distributed, too large when the weights vary little.)"""
    w = np.asarray(weights, dtype=float)
    return error_from_sums(float(w.sum()), float((w * w).sum()), n_generated)


def error_from_sums(sum_w: float, sum_w2: float, n_generated: int) -> float:
    """:func:`total_error` from the sum of the weights and the sum of their squares (for
    writers that see the events chunk by chunk)."""
    n = int(n_generated or 0)
    if n < 2:
        return float(np.sqrt(sum_w2))
    return float(np.sqrt(max(sum_w2 - sum_w * sum_w / n, 0.0) * n / (n - 1)))
