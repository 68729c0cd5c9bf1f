"""Benchmark: events per second for 1e6 signal events (FNAL-mu, model A, m_S = 100 MeV,
g_mu = 1e-4), generation alone and with Parquet output.

Run:  python benchmarks/bench_events.py
"""

from __future__ import annotations

import os
import tempfile
import time

N = 1_000_000


def main():
    from mudump.events.generator import generate
    from mudump.events.io import write_parquet

    generate("fnal-mu", "A", 0.1, 1e-4, 1000, seed=1)  # warm-up: tables, caches
    gen = []
    for rep in range(3):
        t = time.perf_counter()
        batch = generate("fnal-mu", "A", 0.1, 1e-4, N, seed=rep)
        gen.append(time.perf_counter() - t)
    with tempfile.TemporaryDirectory() as tmp:
        both = []
        for rep in range(3):
            t = time.perf_counter()
            batch = generate("fnal-mu", "A", 0.1, 1e-4, N, seed=rep)
            write_parquet(batch, os.path.join(tmp, "ev.parquet"))
            both.append(time.perf_counter() - t)
        size = os.path.getsize(os.path.join(tmp, "ev.parquet"))
    g, b = min(gen), min(both)
    print(f"{N:.0e} events (FNAL-mu, model A, m_S = 0.1 GeV, g_mu = 1e-4), best of 3 on {os.cpu_count()} cores")
    print(f"  generation:          {g:.2f} s  -> {N / g:.2e} events/s (median {sorted(gen)[1]:.2f} s)")
    print(f"  generation + Parquet: {b:.2f} s  -> {N / b:.2e} events/s (file {size / 1e6:.0f} MB)")
    print(f"  sum of weights {batch.weight.sum():.4g} expected events, {len(batch)} events kept")


if __name__ == "__main__":
    main()
