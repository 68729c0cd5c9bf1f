"""Event limits of a one-bin counting experiment: the number of signal events an experiment
excludes, given its confidence level, observed events, expected background (with an optional
uncertainty) and signal efficiency (with an optional uncertainty).

Two methods, recorded in every output (``limit_method``):

* ``poisson``: the classical (Neyman) upper limit, used only without background and without
  uncertainties (PDG Review of Particle Physics, "Statistics", section on Poisson upper
  limits): P(n <= n_obs; s) = 1 - CL. With n_obs = 0: s = -ln(1 - CL), 2.30 events at 90% CL
  and 3.00 at 95%.
* ``cls``: the modified frequentist CLs limit (Read, J. Phys. G 28 (2002) 2693; Junk, NIM A434
  (1999) 435), with the number of events as test statistic, CLs(s) = P(n <= n_obs; s e + b) /
  P(n <= n_obs; b) = 1 - CL, used whenever there is a background (b > 0) or an uncertainty:
  the field's standard for a counting experiment. Unlike the classical limit mu_up - b, which
  reaches zero signal events (every coupling excluded) when b exceeds what was observed, the
  CLs limit never falls below the no-event, no-background value -ln(1 - CL) (Read, section 2).
  The uncertainties are integrated out in the hybrid way of Cousins and Highland (NIM A320
  (1992) 331): b follows a gamma distribution with the given mean and standard deviation
  (positive, the conjugate of a background counted in a control sample), e a normal
  distribution with the given mean and standard deviation truncated to (0, 1]. For a known
  background and n_obs = 0 the CLs limit is -ln(1 - CL) whatever b is, and for a known
  background it equals the Bayesian limit with a uniform prior on s (Helene, NIM 212 (1983)
  319). Without background CLs and the classical limit coincide (CL_b = 1).

A projection (no observed count) reports the expected limit: the limit for the median number
of events the background alone would give, and for its 16% and 84% quantiles (the +-1 sigma
band; it has no width without background). The quantiles are found by bisection on the
count, so any background (even 1e12 events) costs a few dozen evaluations and no memory.

Signal here is the expected number of events before the efficiency: the limits are in those
units (an efficiency e < 1 raises them by 1/e).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ._checks import check_range, fmt_number
from .errors import DomainError

#: Largest expected background accepted (events): beyond it a one-bin count is no longer the
#: question (and the Poisson probabilities lose their precision in double precision).
BACKGROUND_MAX = 1e12

#: Nodes of the integrals over the background and efficiency distributions (equal-probability
#: bins: their medians), enough for 1e-4 on the limits (tests/test_statistics.py).
NUISANCE_NODES = 64


def poisson_upper_limit(cl: float = 0.9, background: float = 0.0, observed: int | None = None) -> float:
    """Classical (Neyman) upper limit on the signal mean s: the s at which observing
    ``observed`` events or fewer has probability 1 - CL, i.e. P(n <= n_obs; s + b) = 1 - CL
    (PDG Review of Particle Physics, 'Statistics', section on Poisson upper limits; with b = 0
    and n_obs = 0: s = -ln(1 - CL) = 2.30 at 90% CL, 3.00 at 95%).

    For a projection, ``observed`` defaults to the median number of background events,
    floor(b + 1/3 - 0.02/b) (close to the Poisson median; 0 for b = 0). The limit is clipped at
    a tiny positive number if the background alone already exceeds the observation.
    """
    check_range("confidence_level", cl, 0.0, 1.0, lo_open=True)
    if cl >= 1.0:
        raise ValueError("confidence_level must be below 1")
    b = float(check_range("background", background, 0.0))
    n = int(np.floor(b + 1.0 / 3.0 - 0.02 / b)) if observed is None and b > 0 else (observed or 0)
    n = max(n, 0)
    if n == 0:  # P(0 | mu) = exp(-mu) = 1 - CL
        return max(-math.log1p(-cl) - b, 1e-12)
    from scipy.optimize import brentq  # imported here (~0.1 s): an observed count is the rarer case
    from scipy.special import gammaincc

    # P(n_obs or fewer | mu) = Q(n+1, mu) (regularised upper incomplete gamma), decreasing in mu
    f = lambda mu: gammaincc(n + 1, mu) - (1.0 - cl)  # noqa: E731
    hi = max(10.0, 2.0 * (n + 10))
    while f(hi) > 0:
        hi *= 2
    mu = brentq(f, 0.0, hi, xtol=1e-12, rtol=1e-12)
    return max(mu - b, 1e-12)


def _nodes_gamma(mean: float, sigma: float) -> np.ndarray:
    """Equal-probability nodes of a gamma distribution with this mean and standard deviation
    (a point mass at the mean when sigma = 0)."""
    if sigma <= 0 or mean <= 0:
        return np.array([mean])
    from scipy.stats import gamma  # imported here: scipy.stats costs ~0.2 s, needed only with uncertainties

    k = (mean / sigma) ** 2
    q = (np.arange(NUISANCE_NODES) + 0.5) / NUISANCE_NODES
    return gamma.ppf(q, a=k, scale=mean / k)


def _nodes_efficiency(mean: float, sigma: float) -> np.ndarray:
    """Equal-probability nodes of a normal distribution truncated to (0, 1]."""
    if sigma <= 0:
        return np.array([mean])
    from scipy.stats import truncnorm  # imported here: see _nodes_gamma

    a, b = (0.0 - mean) / sigma, (1.0 - mean) / sigma
    q = (np.arange(NUISANCE_NODES) + 0.5) / NUISANCE_NODES
    return truncnorm.ppf(q, a, b, loc=mean, scale=sigma)


def _cdf(n, mu) -> np.ndarray:
    """P(N <= n; mu) for a Poisson mean mu (arrays broadcast)."""
    from scipy.special import gammaincc  # imported here: see poisson_upper_limit

    return gammaincc(np.asarray(n) + 1, np.asarray(mu, dtype=float))


def cls_upper_limit(cl: float, observed: int, background: float = 0.0, background_sigma: float = 0.0,
                    efficiency: float = 1.0, efficiency_sigma: float = 0.0) -> float:
    """CLs upper limit on the signal before efficiency (see the module docstring)."""
    n = int(observed)
    bs = _nodes_gamma(background, background_sigma)
    es = _nodes_efficiency(efficiency, efficiency_sigma)
    cl_b = float(np.mean(_cdf(n, bs)))
    if not cl_b > 1e-300:  # the background alone cannot give so few events: CLs is 0/0
        raise DomainError(f"observed = {n} is incompatible with background = {fmt_number(background)} events "
                          "(P(n <= observed) < 1e-300 without signal): check the background")

    def excess(s):
        cl_sb = float(np.mean(_cdf(n, s * es[:, None] + bs[None, :])))
        return cl_sb / cl_b - (1.0 - cl)

    from scipy.optimize import brentq

    hi = 10.0 + 3.0 * n
    while excess(hi) > 0:
        hi *= 2
    return brentq(excess, 0.0, hi, xtol=1e-10, rtol=1e-10)


@dataclass(frozen=True)
class Limit:
    """The event limit of an experiment: ``n_up`` signal events (before efficiency) excluded at
    ``cl``; ``method`` "poisson" or "cls"; for a projection also the limits at the 16% and 84%
    quantiles of the background-only count (``n_up_lo``, ``n_up_hi``; equal to n_up without
    background)."""

    n_up: float
    method: str
    cl: float
    expected: bool
    n_up_lo: float
    n_up_hi: float

    def to_dict(self) -> dict:
        return {"signal_events_limit": self.n_up, "limit_method": self.method, "expected_limit": self.expected,
                "signal_events_limit_band": [self.n_up_lo, self.n_up_hi]}


def _background_count_quantiles(b: float, sigma: float) -> tuple[int, int, int]:
    """16%, 50% and 84% quantiles of the number of events the background alone gives (its
    uncertainty integrated out): for each, the smallest count n with P(N <= n) >= q, by
    bisection on n (no table of counts: memory does not grow with b)."""
    if b <= 0:
        return 0, 0, 0
    bs = _nodes_gamma(b, sigma)

    def quantile(q: float) -> int:
        lo, hi = 0, int(b + 10 * np.sqrt(b + sigma**2) + 20)  # P(N <= hi) > 0.84135 (10 sigma)
        while lo < hi:
            mid = (lo + hi) // 2
            if float(np.mean(_cdf(mid, bs))) >= q:
                hi = mid
            else:
                lo = mid + 1
        return lo

    return tuple(quantile(q) for q in (0.15865, 0.5, 0.84135))


@lru_cache(maxsize=256)
def event_limit(cl: float, background: float = 0.0, observed: int | None = None, background_sigma: float = 0.0,
                efficiency: float = 1.0, efficiency_sigma: float = 0.0) -> Limit:
    """The limit for an experiment's statistics (arguments as the experiment file's
    ``[statistics]`` fields): CLs whenever there is a background or an uncertainty, the
    classical Poisson limit (equal to it there) otherwise; see the module docstring."""
    check_range("confidence_level", cl, 0.0, 1.0, lo_open=True)
    if cl >= 1.0:
        raise DomainError("confidence_level = 1 is not allowed: need 0 < confidence_level < 1")
    check_range("background", background, 0.0, BACKGROUND_MAX, unit="events")
    check_range("background_uncertainty", background_sigma, 0.0, BACKGROUND_MAX, unit="events")
    use_cls = background > 0 or background_sigma > 0 or efficiency_sigma > 0

    def one(n):
        if use_cls:
            return cls_upper_limit(cl, n, background, background_sigma, efficiency, efficiency_sigma)
        return poisson_upper_limit(cl, 0.0, n) / efficiency

    method = "cls" if use_cls else "poisson"
    if observed is not None:
        v = one(int(observed))
        return Limit(v, method, cl, False, v, v)
    lo, med, hi = _background_count_quantiles(background, background_sigma)
    return Limit(one(med), method, cl, True, one(lo), one(hi))


__all__ = ["poisson_upper_limit", "cls_upper_limit", "event_limit", "Limit"]
