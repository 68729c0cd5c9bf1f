"""Reach results as files: the CSV of excluded intervals, shared by ``mudump reach --output``
and the web API's CSV download (one writer, so both give the same bytes).

No physics here: the rows are :attr:`mudump.reach.ReachResult.intervals` as computed.
Units: masses in GeV (column ``m_S_GeV``), couplings g_mu dimensionless.
"""

from __future__ import annotations

import csv
from typing import IO, Iterable

#: CSV columns, one row per excluded interval (a mass with two intervals has two rows);
#: ``limit_method`` and ``signal_events_limit`` say how the event limit was set
#: (:mod:`mudump.statistics`);
#: ``g_mu_*_open`` is True where the interval reaches the edge of the coupling grid
#: (:attr:`mudump.reach.ReachResult.open_ends`: the exclusion goes on beyond the scan).
CSV_COLUMNS = ("experiment", "model", "method", "cl", "limit_method", "signal_events_limit", "m_S_GeV", "interval", "g_mu_low", "g_mu_high",
               "g_mu_low_open", "g_mu_high_open")


def write_reach_csv(fh: IO[str], results: Iterable) -> None:
    """Write reach results to an open text stream as CSV (header, then one row per excluded
    interval; masses to 8 significant digits, couplings to 6). Open files with ``newline=""``."""
    w = csv.writer(fh)
    w.writerow(CSV_COLUMNS)
    for r in results:
        for m, ivs, opens in zip(r.masses, r.intervals, r.open_ends):
            for k, ((lo, hi), (lo_open, hi_open)) in enumerate(zip(ivs, opens)):
                w.writerow([r.experiment.name, r.model.name, r.method, r.cl, r.limit.method if r.limit else "poisson",
                            f"{r.n_up:.8g}", f"{m:.8g}", k, f"{lo:.6g}", f"{hi:.6g}",
                            lo_open, hi_open])


def reach_csv(results: Iterable) -> str:
    """The CSV text of :func:`write_reach_csv`."""
    import io

    buf = io.StringIO(newline="")
    write_reach_csv(buf, results)
    return buf.getvalue()


__all__ = ["CSV_COLUMNS", "write_reach_csv", "reach_csv"]
