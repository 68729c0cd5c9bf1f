"""Benchmark: a G4DarkBreM vertex library, 100 000 vertices at each of 20 incident energies
(model B, m_X = 50 MeV, muons on W, grid from 1.2 (m_X + m_mu) to 15 GeV: the M3-like setup of
docs/geant4.md), written as .csv.gz with its cross-section table.

Prints the wall time, the CPU time (both cores), the peak RSS, and per energy the unweighting
efficiency and the overweight fraction. Then 10x fewer vertices, to show the memory does not
grow with the number of vertices. Wall times on a shared machine follow its load (printed).

Run:  python benchmarks/bench_library.py [--n 100000] [--energies 20]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import resource, sys, time
from mudump.events import library as L
from mudump.constants import M_MU
n, k, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
L.write_library(out + ".warm.csv", "B", 0.05, "W", [3.0], 1000, seed=1)  # imports, tables
t, c = time.perf_counter(), time.process_time()
s = L.write_library(out, "B", 0.05, "W", L.energy_grid(0.05, M_MU, 15.0, k), n, seed=2, table=out + ".xs.csv")
wall, cpu = time.perf_counter() - t, time.process_time() - c
eff = [r["efficiency"] for r in s["energies"]]
over = max(r["overweight_fraction"] for r in s["energies"])
print(f"{wall:.1f} {cpu:.1f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} "
      f"{min(eff):.3f} {max(eff):.3f} {over:.1e}")
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--energies", type=int, default=20)
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (args.n, args.n // 10):
            out = os.path.join(tmp, "lib.csv.gz")
            r = subprocess.run([sys.executable, "-c", CHILD, str(n), str(args.energies), out], capture_output=True,
                               text=True, check=True)
            wall, cpu, rss, e_lo, e_hi, over = r.stdout.split()
            print(f"  {n} vertices x {args.energies} energies: {wall} s wall, {cpu} s CPU, peak RSS {rss} MB, "
                  f"file {os.path.getsize(out) / 1e6:.1f} MB; unweighting efficiency {e_lo}-{e_hi}, "
                  f"largest overweight fraction {over}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
