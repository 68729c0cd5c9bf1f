"""Benchmark: design scans of FNAL-mu, model A, the default reach grid (100 masses and the
threshold points x 200 couplings), as the command line runs them:

    mudump scan fnal-mu --model A --grid target.length_m=0.25:2:N --grid downstream.length_m=0.5:10:N:log

for N x N design points (N = 16, 32, 64: 256, 1024 and 4096 points), each as a whole process
with a fresh cache, on the default process pool; the wall time (median of --repeat runs) and the
peak memory (largest resident set of the process tree, from /usr/bin/time when available) are
printed with the time per design point, so that the growth in design points can be read off.
With --old PATH (a source tree, e.g. another checkout's src) the same command runs with that code
too, in the same run, and the ratio is printed (the machine may be shared: compare ratios).
With --dask, the largest scan also runs on a dask LocalCluster of 2 workers against the pool
(interleaved, medians, and whether every run gave the same rows).

Run:  python benchmarks/bench_scan.py [--sizes 16 32 64] [--repeat 3] [--old /path/to/src] [--dask]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def _rows(path: str) -> list:
    """The rows of a scan's Parquet file without their column of row keys' order: a list of dicts."""
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def _run(n: int, src: str | None, extra=(), keep: list | None = None) -> tuple[float, float]:
    """(seconds, peak MB) of one CLI scan of n x n points with a fresh cache; its rows appended
    to ``keep`` if given."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, MUDUMP_CACHE_DIR=os.path.join(tmp, "cache"))
        if src:
            env["PYTHONPATH"] = src
        cmd = [sys.executable, "-m", "mudump.cli", "scan", "fnal-mu", "--model", "A",
               "--grid", f"target.length_m=0.25:2:{n}", "--grid", f"downstream.length_m=0.5:10:{n}:log",
               "--output", os.path.join(tmp, "scan.parquet"), *extra]
        timer = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)
        if timer:
            cmd = [timer, "-v", *cmd]
        t = time.perf_counter()
        p = subprocess.run(cmd, env=env, capture_output=True, text=True)
        dt = time.perf_counter() - t
        if p.returncode != 0:
            raise RuntimeError(p.stderr[-2000:])
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
        if keep is not None:
            keep.append(_rows(os.path.join(tmp, "scan.parquet")))
        return dt, (int(m.group(1)) / 1024 if m else float("nan"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--old", default=None, help="source tree of the code to compare with (PYTHONPATH)")
    ap.add_argument("--dask", action="store_true")
    args = ap.parse_args()
    new_src = os.path.join(os.path.dirname(HERE), "src")
    print(f"mudump scan fnal-mu --model A, default reach grid, {os.cpu_count()} cores, "
          f"1-min load average {os.getloadavg()[0]:.1f} at start")
    for n in args.sizes:
        codes = [("new", new_src)] + ([("old", args.old)] if args.old else [])
        runs = {name: [] for name, _ in codes}
        for _ in range(args.repeat):  # interleaved, so that both see the same load
            for name, src in codes:
                runs[name].append(_run(n, src))
        med = {}
        for name, _ in codes:
            med[name] = statistics.median(r[0] for r in runs[name])
            mem = max(r[1] for r in runs[name])
            print(f"  {n * n:5d} points, {name}: median {med[name]:7.1f} s over {len(runs[name])} runs "
                  f"({med[name] / (n * n) * 1e3:.1f} ms per point), peak RSS {mem:.0f} MB (largest process)", flush=True)
        if args.old:
            print(f"  {n * n:5d} points: old / new = {med['old'] / med['new']:.2f}", flush=True)
    if args.dask:
        n = max(args.sizes)
        from distributed import LocalCluster

        os.environ["PYTHONPATH"] = new_src  # the workers import this tree's mudump
        # the workers' disk cache starts empty too (they keep their memory across runs, as a cluster does)
        os.environ["MUDUMP_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-scan-dask-")
        pool, dask, rows = [], [], {"pool": [], "dask": []}
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
            for _ in range(args.repeat):  # interleaved, as above
                pool.append(_run(n, new_src, keep=rows["pool"])[0])
                dask.append(_run(n, new_src, ["--scheduler", cluster.scheduler_address], keep=rows["dask"])[0])
        same = all(r == rows["pool"][0] for r in rows["pool"] + rows["dask"])
        tp, td = statistics.median(pool), statistics.median(dask)
        print(f"  {n * n:5d} points, process pool (2 workers): median {tp:.1f} s; dask LocalCluster (2 workers): "
              f"median {td:.1f} s; dask / pool = {td / tp:.2f}; rows identical: {same}", flush=True)

if __name__ == "__main__":
    main()
