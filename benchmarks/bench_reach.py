"""Benchmark: a full reach map for FNAL-mu (100 masses x 200 couplings, model A) with an empty
cache and with a warm one, a warm map for a model of every kind (target: under 1 s each), and a
warm `mudump reach fnal-mu --model A --json` as a whole process.

Run:  python benchmarks/bench_reach.py
(uses a fresh temporary cache directory, so your own cache is left alone)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time


def main():
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MUDUMP_CACHE_DIR"] = tmp
        t = time.perf_counter()
        import numpy as np

        from mudump.production import tables
        from mudump.reach import reach

        t_import = time.perf_counter() - t
        masses, couplings = np.geomspace(1e-3, 1.0, 100), np.geomspace(1e-8, 1.0, 200)
        t = time.perf_counter()
        r = reach("fnal-mu", "A", masses, couplings)
        t_cold = time.perf_counter() - t
        tables.production_table.cache_clear()  # force the disk cache to be read
        t = time.perf_counter()
        reach("fnal-mu", "A", masses, couplings)
        t_disk = time.perf_counter() - t
        t = time.perf_counter()
        reach("fnal-mu", "A", masses, couplings)
        t_mem = time.perf_counter() - t
        best = min((iv[0][0], m) for iv, m in zip(r.intervals, r.masses) if iv)
        per_kind = {}
        for model in ("B", "muonphilic-ps", "lmu-ltau", "muonphilic-vector"):  # scalar, pseudoscalar, vector...
            reach("fnal-mu", model, masses, couplings)  # tables computed (shipped ETL ratios)
            t = time.perf_counter()
            reach("fnal-mu", model, masses, couplings)
            per_kind[model] = time.perf_counter() - t
        from mudump.models import get_model, parse_model

        axial = parse_model({"name": "axial-mu", "kind": "axial-vector", "couplings": {"mu": 1.0}})
        reach("fnal-mu", axial, masses, couplings)
        t = time.perf_counter()
        reach("fnal-mu", axial, masses, couplings)
        per_kind["axial-mu"] = time.perf_counter() - t
        print("reach map FNAL-mu, model A, 100 masses x 200 couplings")
        print(f"  imports {t_import:.2f} s (includes the mulder tables for W if not cached)")
        print(f"  cold cache (tables computed and written): {t_cold:.2f} s")
        print(f"  warm disk cache (tables read from disk):  {t_disk:.2f} s")
        print(f"  warm in-process (tables in memory):       {t_mem:.2f} s")
        print(f"  best g_mu = {best[0]:.3g} at m_S = {best[1]:.3g} GeV")
        for model, dt in per_kind.items():
            kind = axial.kind if model == "axial-mu" else get_model(model).kind
            print(f"  warm in-process, model {model} ({kind}): {dt:.2f} s")
        cmd = [sys.executable, "-m", "mudump.cli", "reach", "fnal-mu", "--model", "A", "--json"]
        times = []
        for _ in range(5):
            t = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, env=os.environ.copy())
            times.append(time.perf_counter() - t)
        times.sort()
        print(f"  warm `mudump reach fnal-mu --model A --json` whole process: min {times[0]:.2f} s, median {times[2]:.2f} s")


if __name__ == "__main__":
    main()
