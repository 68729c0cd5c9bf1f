"""Benchmark: a 200-point design scan of FNAL-mu (20 target lengths x 10 decay-region lengths,
model A, the default reach grid of 100 masses (and the two threshold points) x 200 couplings)
with the default process pool
over all cores, and the same scan run serially in this process; prints both times, their
ratio, how many production tables were computed (shared between the points with the same
target), and the time to resume the finished scan (every row skipped).

Run:  python benchmarks/bench_scan.py [--n-masses N]
(each run uses a fresh temporary cache directory, so both start cold and your cache is left alone)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time


def _worker_cpu(pool) -> float:
    """CPU seconds (user + system) used so far by the worker processes of a ProcessPoolExecutor,
    read from /proc (Linux; 0 elsewhere). Uses the executor's private process table."""
    total = 0.0
    for pid in list(getattr(pool, "_processes", {}) or {}):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            pass
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-masses", type=int, default=100)
    args = ap.parse_args()
    import numpy as np

    from mudump import scan as S
    from mudump.production import tables

    grid = {"target.length_m": np.linspace(0.1, 2.0, 20), "downstream.length_m": np.geomspace(0.5, 10.0, 10)}
    masses = np.geomspace(1e-3, 1.0, args.n_masses)
    plan = S.plan_scan("fnal-mu", grid, ["A"], masses=masses)
    n_cpu = getattr(os, "process_cpu_count", os.cpu_count)()
    print(f"design scan FNAL-mu, model A: {len(plan.points)} points (20 target lengths x 10 decay lengths), "
          f"{masses.size} masses x {plan.couplings.size} couplings, {n_cpu} cores")
    times = {}
    for name in ("pool", "serial"):
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["MUDUMP_CACHE_DIR"] = tmp
            tables.production_table.cache_clear()
            ex = S.default_executor() if name == "pool" else S.serial_executor()
            load0 = os.getloadavg()[0]
            t, cpu = time.perf_counter(), time.process_time()
            rows = S.run_scan(plan, ex)
            times[name] = time.perf_counter() - t
            cpu = time.process_time() - cpu
            if name == "pool":
                cpu += _worker_cpu(ex)
            ex.shutdown()
            n_tables = len(os.listdir(os.path.join(tmp, "production")))
            print(f"  {name:6s}: {times[name]:7.1f} s ({times[name] / len(rows) * 1e3:.0f} ms per point), "
                  f"{n_tables} production tables computed for {len(rows) * plan.masses.size} (point, mass) pairs; "
                  f"CPU time {cpu:.1f} s (this process{' and the pool workers' if name == 'pool' else ''}), "
                  f"{cpu / times[name]:.2f} cores busy on average; 1-min load average {load0:.1f} before, "
                  f"{os.getloadavg()[0]:.1f} after (other work on the machine slows both runs)")
            if name == "pool":
                best = min(rows, key=lambda r: r["best_g_mu"])
                t = time.perf_counter()
                again = S.run_scan(plan, S.serial_executor(), skip=[r["key"] for r in rows])
                print(f"  resume with every row done: {time.perf_counter() - t:.3f} s ({len(again)} rows computed)")
                print(f"  best design: target {best['target.length_m']:.2f} m, decay region "
                      f"{best['downstream.length_m']:.2f} m: g_mu = {best['best_g_mu']:.3g} at m_S = "
                      f"{best['best_mass_GeV']:.3g} GeV")
    print(f"  speed-up of the default pool over serial: {times['serial'] / times['pool']:.2f} x")


if __name__ == "__main__":
    main()
