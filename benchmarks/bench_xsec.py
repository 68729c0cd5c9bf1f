"""Benchmark: tabulate dsigma/dx for Pb at 10 GeV on 16 log-spaced masses (1 MeV .. 5.6 GeV)
times 1000 x values, with IWW and with the phase-space WW; check a random sample of the table
against direct adaptive quadrature (mudump.production.reference) and estimate what a per-point
quad implementation would take for the whole table. Then exact tree level: the cold ETL/WW
ratio table for one material (computed from scratch, not the shipped one), and the warm cost
of a reach map with ETL against the same map with WW.

Every kind of X (scalar, pseudoscalar, vector, axial-vector) is timed for WW, IWW and ETL from
tables (WW times the interpolated ETL/WW ratio). Only the scalar's ratio tables ship so far: for
the other kinds the benchmark builds a COARSE ratio table (4 x 4 x 7 grid, monkeypatched, in a
temporary cache) first -- the evaluation cost does not depend on the grid size, only its
accuracy does, so the timing stands for the shipped tables once they are built.

Run:  python benchmarks/bench_xsec.py [--skip-etl-table]
"""

from __future__ import annotations

import time

import numpy as np

from mudump.constants import M_MU
from mudump.production import etl_table, iww, reference, ww
from mudump.production.flux import photon_flux
from mudump.production.formfactors import nucleus
from mudump.kinds import KINDS

E = 10.0
N_MASS, N_X, N_CHECK, REPEAT = 16, 1000, 40, 5


def grid():
    m = np.geomspace(1e-3, 5.6, N_MASS)
    lo, hi = m / E, 1 - M_MU / E
    u = np.linspace(0.0, 1.0, N_X + 2)[1:-1]
    return m, lo[:, None] + (hi - lo)[:, None] * u[None, :]


def best_time(fn, repeat=REPEAT):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), float(np.median(times)), out


def main():
    nuc = nucleus("Pb")
    t0 = time.perf_counter()
    flux = photon_flux(nuc)
    t_flux = time.perf_counter() - t0
    m, x = grid()
    print(f"dsigma/dx table: Pb, E = {E} GeV, {N_MASS} masses x {N_X} x values = {N_MASS * N_X} points")
    print(f"  photon-flux tables for Pb built once in {t_flux * 1e3:.1f} ms")
    rng = np.random.default_rng(1)
    pick = [(rng.integers(N_MASS), rng.integers(N_X)) for _ in range(N_CHECK)]
    for kind in KINDS:
        print(f" {kind}:")
        for name, kernel, ref in (("IWW", iww.dsigma_dx, reference.iww_dsigma_dx), ("WW", ww.dsigma_dx, reference.ww_dsigma_dx)):
            tmin, tmed, table = best_time(lambda: kernel(E, x, m[:, None], flux, M_MU, kind=kind))
            t = time.perf_counter()
            errs = []
            for i, j in pick[: N_CHECK if kind == "scalar" else N_CHECK // 4]:
                r = ref(E, float(x[i, j]), float(m[i]), nuc, kind=kind)
                errs.append(abs(table[i, j] / r - 1.0))
            t_quad = (time.perf_counter() - t) / len(errs)
            print(
                f"  {name:4s}: table {tmin:.4f} s (min of {REPEAT}), median {tmed:.4f} s; "
                f"max |rel. diff| vs direct quad on {len(errs)} random points = {max(errs):.1e}; "
                f"per-point quad {t_quad * 1e3:.1f} ms -> about {t_quad * N_MASS * N_X:.0f} s for the table"
            )
        etl_table.ratio_table(nuc, M_MU, "tsai", kind=kind).ensure()  # the shipped table, loaded outside the timing
        tmin, tmed, _ = best_time(lambda: etl_table.dsigma_dx(E, x, m[:, None], flux, M_MU, kind=kind))
        print(f"  ETL from tables: {tmin:.4f} s (min of {REPEAT}), median {tmed:.4f} s (shipped table)")


def etl_part():
    import os
    import sys
    import tempfile

    from mudump.constants import M_MU
    from mudump.production import etl_table
    from mudump.production.tables import production_table
    from mudump.reach import reach

    if "--skip-etl-table" not in sys.argv:
        t = time.perf_counter()
        etl_table.compute_ratio(nucleus("Pb"), M_MU)
        print(f"ETL/WW ratio table for Pb from scratch ({etl_table.GRID_LN_M.size} x {etl_table.GRID_EPS.size} x "
              f"{etl_table.GRID_V.size} points): {time.perf_counter() - t:.1f} s "
              "(a cold element without a shipped table: benchmarks/bench_cold_etl.py)")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MUDUMP_CACHE_DIR"] = tmp
        masses, couplings = np.geomspace(1e-3, 1.0, 100), np.geomspace(1e-8, 1.0, 200)
        for method in ("ww", "etl"):
            t = time.perf_counter()
            reach("fnal-mu", "B", masses, couplings, method)
            cold = time.perf_counter() - t
            production_table.cache_clear()
            t = time.perf_counter()
            reach("fnal-mu", "B", masses, couplings, method)
            warm = time.perf_counter() - t
            print(f"FNAL-mu reach map (100 x 200), {method}: cold {cold:.2f} s, warm (tables from disk) {warm:.2f} s")


if __name__ == "__main__":
    main()
    etl_part()
