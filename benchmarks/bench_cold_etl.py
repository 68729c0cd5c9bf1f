"""Benchmark: a new user's first exact-tree-level cross section for an element without a
shipped ETL/WW table. Each run is a fresh process with an empty cache directory.

1. ``mudump xsec --material Ti --energy 10 --mass 0.1`` end to end (wall time, peak RSS of the
   process from resource.getrusage(RUSAGE_CHILDREN)); it computes the 4 mass slices of the
   ratio table that the query needs.
2. The whole Ti table (all mass slices, as ``mudump reach`` on a Ti target would need), in a
   child process: wall time and peak RSS; tracemalloc's peak of numpy allocations for one slice.
3. The same query a second time (warm: slices read from the cache).

Run:  python benchmarks/bench_cold_etl.py [--element Ti]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

CHILD_FULL = """
import time, tracemalloc
from mudump.constants import M_MU
from mudump.production import etl_table
from mudump.production.formfactors import nucleus
nuc = nucleus({el!r})
tracemalloc.start()
etl_table.compute_ratio(nuc, M_MU, slices=[14])
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
t = time.perf_counter()
tab = etl_table.ratio_table(nuc, M_MU)
tab.ensure()
print(f"{{time.perf_counter() - t:.2f}} {{peak / 1e6:.0f}} {{etl_table.GRID_LN_M.size}}")
"""


def run(cmd, env):
    """Wall time and the peak RSS (MB) of one child process (RUSAGE_CHILDREN is a maximum over
    the children waited for so far, so each measurement runs in a fresh python -c wrapper)."""
    wrapper = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
               "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); w = time.perf_counter() - t; "
               "r = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; "
               "print(w, r / 1024, p.returncode); sys.stderr.write(p.stdout[-300:] + p.stderr[-2000:])")
    p = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, env=env)
    wall, rss, rc = p.stdout.split()
    if rc != "0":
        raise RuntimeError(p.stderr)
    return float(wall), float(rss), p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--element", default="Ti")
    args = ap.parse_args()
    el = args.element
    mudump = shutil.which("mudump") or "mudump"
    cmd = [mudump, "xsec", "--material", el, "--energy", "10", "--mass", "0.1"]
    print(f"cold ETL for an element without a shipped table ({el}), {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, MUDUMP_CACHE_DIR=tmp, MPLBACKEND="Agg")
        wall, rss, _ = run(cmd, env)
        print(f"  {' '.join(cmd[1:])}: cold {wall:.2f} s, peak RSS {rss:.0f} MB")
        wall, rss, _ = run(cmd, env)
        print(f"  same command, warm (slices from the cache): {wall:.2f} s, peak RSS {rss:.0f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, MUDUMP_CACHE_DIR=tmp, MPLBACKEND="Agg")
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", CHILD_FULL.format(el=el)], capture_output=True, text=True, env=env,
                           check=True)
        full, peak, n = p.stdout.split()
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"  whole {el} table ({n} mass slices): {float(full):.1f} s; tracemalloc peak for one slice "
              f"{float(peak):.0f} MB; peak RSS of the process {rss:.0f} MB (process total {time.perf_counter() - t:.1f} s)")


if __name__ == "__main__":
    main()
