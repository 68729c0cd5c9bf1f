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


#: Start of the comment lines before the header, one per constraint drawn beside the results
#: (the HEPData CSV convention; ``pandas.read_csv(..., comment="#")`` skips them).
COMMENT = "#: "


def constraint_lines(constraints: Iterable) -> list[str]:
    """One comment line per constraint drawn (:class:`mudump.constraints.Constraint`): its
    name, label, whether mudump computed it, its CL, citation and BibTeX keys (``mudump cite``
    prints the entries)."""
    out = []
    for c in constraints:
        origin = "computed by mudump" if c.computed else "published"
        cl = f"CL {c.confidence_level:g}" if c.confidence_level else "CL not stated"
        text = (f"constraint drawn: {c.name} | {c.label} | {origin} | {cl} | {c.citation} | "
                f"bibtex: {', '.join(c.bibtex)}")
        out.append(COMMENT + " ".join(text.split()))  # one line, whatever the catalogue's line breaks
    return out


def write_reach_csv(fh: IO[str], results: Iterable, constraints: Iterable = ()) -> None:
    """Write reach results to an open text stream as CSV: a comment line per constraint drawn
    beside them (:func:`constraint_lines`), the header, then one row per excluded interval
    (masses to 8 significant digits, couplings to 6). Open files with ``newline=""``."""
    for line in constraint_lines(constraints):
        fh.write(line + "\r\n")
    w = csv.writer(fh)
    w.writerow(CSV_COLUMNS)
    for r in results:
        for m, ivs, opens in zip(r.masses, r.intervals, r.open_ends):
            for k, ((lo, hi), (lo_open, hi_open)) in enumerate(zip(ivs, opens)):
                w.writerow([r.experiment.name, r.model.name, r.method, r.cl, r.limit.method if r.limit else "poisson",
                            f"{r.n_up:.8g}", f"{m:.8g}", k, f"{lo:.6g}", f"{hi:.6g}",
                            lo_open, hi_open])


def reach_csv(results: Iterable, constraints: Iterable = ()) -> str:
    """The CSV text of :func:`write_reach_csv`."""
    import io

    buf = io.StringIO(newline="")
    write_reach_csv(buf, results, constraints)
    return buf.getvalue()


__all__ = ["CSV_COLUMNS", "COMMENT", "constraint_lines", "write_reach_csv", "reach_csv"]
