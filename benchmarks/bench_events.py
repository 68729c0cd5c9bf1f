"""Benchmark: 1e6 signal events (FNAL-mu, model A, m_S = 100 MeV, g_mu = 1e-5).

1. End to end as a user runs it: ``mudump events fnal-mu --model A --mass 0.1
   --coupling 1e-5 -n 1000000 --output ev.parquet`` as a subprocess with warm tables
   (wall time, CPU time of the child, file size). Wall times on a shared machine follow its
   load (printed); CPU times much less so.
2. In process: generation alone (with the default energy straggling, then without), then each
   writer on the same events (events per second, file size): Parquet (derived columns left
   out, :data:`mudump.events.io.PARQUET_DERIVED`), HepMC3, LHE.

Run:  python benchmarks/bench_events.py [--n 1000000]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import tempfile
import time


def end_to_end(n: int, tmp: str) -> None:
    mudump = shutil.which("mudump") or "mudump"
    out = os.path.join(tmp, "ev.parquet")
    cmd = [mudump, "events", "fnal-mu", "--model", "A", "--mass", "0.1", "--coupling", "1e-5", "-n", str(n),
           "--output", out, "--seed", "1"]
    env = dict(os.environ, MPLBACKEND="Agg")
    subprocess.run(cmd, capture_output=True, env=env, check=True)  # warm: tables, caches
    walls, cpus = [], []
    for _ in range(3):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, env=env, check=True)
        walls.append(time.perf_counter() - t)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    print(f"  end to end, `mudump events ... -n {n} --output ev.parquet` (warm tables): best {min(walls):.2f} s, "
          f"median {sorted(walls)[1]:.2f} s wall; CPU {min(cpus):.2f} s; file {os.path.getsize(out) / 1e6:.1f} MB; "
          f"largest peak RSS of the runs {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB "
          "(events are written chunk by chunk: it does not grow with -n)")


def writers(n: int, tmp: str) -> None:
    from mudump.events.generator import generate
    from mudump.events.io import write_hepmc3, write_lhe, write_parquet

    generate("fnal-mu", "A", 0.1, 1e-5, 1000, seed=1)
    t, c = time.perf_counter(), time.process_time()
    batch = generate("fnal-mu", "A", 0.1, 1e-5, n, seed=2)
    g, gc = time.perf_counter() - t, time.process_time() - c
    print(f"  generation: {g:.2f} s -> {n / g:.2e} events/s (CPU {gc:.2f} s; {len(batch)} kept)")
    t, c = time.perf_counter(), time.process_time()
    generate("fnal-mu", "A", 0.1, 1e-5, n, seed=2, straggling=False)
    print(f"  generation without energy straggling: {time.perf_counter() - t:.2f} s "
          f"(CPU {time.process_time() - c:.2f} s)")
    for name, writer, fname in (("Parquet", write_parquet, "ev.parquet"), ("HepMC3", write_hepmc3, "ev.hepmc3"),
                                ("LHE", write_lhe, "ev.lhe")):
        path = os.path.join(tmp, fname)
        t, c = time.perf_counter(), time.process_time()
        writer(batch, path)
        dt, dc = time.perf_counter() - t, time.process_time() - c
        print(f"  {name:8s} writer: {dt:.2f} s -> {len(batch) / dt:.2e} events/s (CPU {dc:.2f} s, all threads), "
              f"{os.path.getsize(path) / 1e6:.0f} MB")
        os.remove(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    args = ap.parse_args()
    print(f"{args.n:.0e} events (FNAL-mu, model A, m_S = 0.1 GeV, g_mu = 1e-5), {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        end_to_end(args.n, tmp)
        writers(args.n, tmp)


if __name__ == "__main__":
    main()
