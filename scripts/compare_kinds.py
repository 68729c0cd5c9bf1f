"""Measure how exact tree level compares with WW and IWW for every kind of X, and how the kinds
compare at equal coupling (the numbers quoted in docs/production.md).

Run:  python scripts/compare_kinds.py      (about a minute on one core)

ETL here is the direct 2->3 integration (mudump.production.etl), not the tabulated ratio, so
nothing needs to be built first; totals use the x quadrature of mudump.production.sigma with
(6, 4) panels (the production tables' rule).
"""

from __future__ import annotations

import numpy as np

from mudump import production as P
from mudump.constants import M_MU
from mudump.production import _x_nodes, etl, iww, ww
from mudump.production.flux import photon_flux
from mudump.production.formfactors import nucleus
from mudump.kinds import KINDS

CASES = (("Pb", 160.0), ("W", 15.0), ("W", 3.0))
MASSES = (0.001, 0.01, 0.1, 0.5)


def totals(sym, E, m_X, kind):
    nuc = nucleus(sym)
    flux = photon_flux(nuc)
    x, w = _x_nodes(np.array(E), np.array(m_X), M_MU, panels=(6, 4))
    out = []
    for f in (lambda: etl.dsigma_dx(E, x, m_X, nuc, M_MU, kind=kind), lambda: ww.dsigma_dx(E, x, m_X, flux, M_MU, kind=kind),
              lambda: iww.dsigma_dx(E, x, m_X, flux, M_MU, kind=kind)):
        out.append(float((f() * w).sum()))
    return out


def main():
    print("Totals (per atom, tsai form factor): ETL/WW and ETL/IWW")
    print("| target, E | m_X [GeV] | " + " | ".join(f"{k} ETL/WW | {k} ETL/IWW" for k in KINDS) + " |")
    for sym, E in CASES:
        for m in MASSES:
            row = []
            for kind in KINDS:
                e, w, i = totals(sym, E, m, kind)
                row += [f"{e / w:.3f}", f"{e / i:.3f}"]
            print(f"| {sym}, {E:g} GeV | {m:g} | " + " | ".join(row) + " |")
    print("\nPoint by point, W, 3 GeV, m_X = 0.5 GeV: ETL/WW at x = 0.2 ... 0.9")
    nuc = nucleus("W")
    x = np.array([0.2, 0.3, 0.5, 0.7, 0.9])
    for kind in KINDS:
        r = etl.dsigma_dx(3.0, x, 0.5, nuc, M_MU, kind=kind) / ww.dsigma_dx(3.0, x, 0.5, photon_flux(nuc), M_MU, kind=kind)
        print(f"  {kind:13s}", np.array2string(r, precision=3))
    print("\nEqual coupling, WW totals on Pb (sigma of each kind / sigma of the scalar; axial/vector;"
          " sigma_axial m_X^2 / (4 m_mu^2 sigma_pseudoscalar))")
    for E in (160.0, 10.0):
        for m in (1e-3, 1e-2, 0.1, 1.0):
            s = {k: float(P.sigma(E, m, "Pb", method="ww", kind=k)) for k in KINDS}
            print(f"  E = {E:g} GeV, m_X = {m:g} GeV: P/S = {s['pseudoscalar'] / s['scalar']:.3f}, "
                  f"V/S = {s['vector'] / s['scalar']:.3f}, A/S = {s['axial-vector'] / s['scalar']:.3g}, "
                  f"A/V = {s['axial-vector'] / s['vector']:.4g}, "
                  f"equivalence = {s['axial-vector'] * m**2 / (4 * M_MU**2 * s['pseudoscalar']):.4f}")


if __name__ == "__main__":
    main()
