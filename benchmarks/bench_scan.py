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
import atexit
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
    """The rows of a scan's Parquet file as a list of dicts, sorted by their key (a row's place
    in the file follows the order in which tasks finish, which differs from run to run)."""
    import pyarrow.parquet as pq

    return sorted(pq.read_table(path).to_pylist(), key=lambda r: r["key"])


def _tree(root: int, cpu: dict) -> float:
    """Resident memory (MB) of process ``root`` and all its descendants, summed (Linux /proc;
    NaN elsewhere): the pool's workers are children of a fork server, which /usr/bin/time does
    not wait for, so it alone would miss them. Also records in ``cpu`` {pid: user + system
    seconds} of each process of the tree as last seen (the CPU time of the scan, which a busy
    machine does not inflate as it does the wall time)."""
    parent, rss, used = {}, {}, {}
    try:
        pids = [int(d) for d in os.listdir("/proc") if d.isdigit()]
    except OSError:
        return float("nan")
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            parent[pid] = int(fields[1])
            used[pid] = (int(fields[11]) + int(fields[12])) / tick
            with open(f"/proc/{pid}/statm", "rb") as fh:
                rss[pid] = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    tree, grew = {root}, True
    while grew:
        new = {p for p, q in parent.items() if q in tree and p not in tree}
        tree |= new
        grew = bool(new)
    for p in tree:
        if p in used:
            cpu[p] = used[p]
    return sum(rss.get(p, 0) for p in tree) / 2**20


def _run(n: int, src: str | None, extra=(), keep: list | None = None) -> tuple[float, float, float, float]:
    """(seconds, peak MB of the largest process, peak MB of the whole process tree, CPU seconds
    of the tree) of one CLI scan of n x n points with a fresh cache; its rows appended to
    ``keep`` if given."""
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
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
            tree, cpu = 0.0, {}
            while proc.poll() is None:  # sample the whole tree's memory and CPU every 0.1 s
                tree = max(tree, _tree(proc.pid, cpu))
                time.sleep(0.1)
            dt = time.perf_counter() - t
            err.seek(0)
            p = subprocess.CompletedProcess(cmd, proc.returncode, None, err.read())
        if p.returncode != 0:
            raise RuntimeError(p.stderr[-2000:])
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
        if keep is not None:
            keep.append(_rows(os.path.join(tmp, "scan.parquet")))
        return dt, (int(m.group(1)) / 1024 if m else float("nan")), tree, sum(cpu.values())


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
    atexit.register(lambda: print(f"1-min load average {os.getloadavg()[0]:.1f} at the end"))
    for n in args.sizes:
        codes = [("new", new_src)] + ([("old", args.old)] if args.old else [])
        runs = {name: [] for name, _ in codes}
        for _ in range(args.repeat):  # interleaved, so that both see the same load
            for name, src in codes:
                runs[name].append(_run(n, src))
        med = {}
        for name, _ in codes:
            med[name] = statistics.median(r[0] for r in runs[name])
            mem, tree = max(r[1] for r in runs[name]), max(r[2] for r in runs[name])
            cpu = statistics.median(r[3] for r in runs[name])
            print(f"  {n * n:5d} points, {name}: median {med[name]:7.1f} s over {len(runs[name])} runs "
                  f"({med[name] / (n * n) * 1e3:.1f} ms per point), CPU {cpu:.1f} s (median, all processes), "
                  f"peak RSS {mem:.0f} MB (largest process), {tree:.0f} MB (whole process tree, workers included)",
                  flush=True)
        if args.old:
            cpu = {k: statistics.median(r[3] for r in runs[k]) for k in runs}
            print(f"  {n * n:5d} points: old / new = {med['old'] / med['new']:.2f} (wall), "
                  f"{cpu['old'] / cpu['new']:.2f} (CPU)", flush=True)
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
        ref = rows["pool"][0]
        differ = [(k, j, sum(a != b for a, b in zip(ref, r)), sum(bool(x["error"]) for x in r))
                  for k in ("pool", "dask") for j, r in enumerate(rows[k]) if r != ref]
        same = not differ
        for k, j, n_rows, n_err in differ:  # what differs, to tell a wrong result from a failed task
            print(f"  {k} run {j + 1}: {n_rows} rows differ from pool run 1; {n_err} rows with an error", flush=True)
        tp, td = statistics.median(pool), statistics.median(dask)
        print(f"  {n * n:5d} points, process pool (2 workers): median {tp:.1f} s; dask LocalCluster (2 workers): "
              f"median {td:.1f} s; dask / pool = {td / tp:.2f}; rows identical: {same}", flush=True)

if __name__ == "__main__":
    main()
