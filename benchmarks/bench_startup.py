"""Benchmark: start-up time of the command line, as a user sees it: each command
run as a subprocess, median (and min) of several runs; last, the README's main job (a reach
plot of two experiments) with a warm cache, whole process.

Run:  python benchmarks/bench_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time

COMMANDS = (
    ["--help"],
    ["decay", "A", "--mass", "0.1", "--coupling", "1e-4"],
    ["g2", "--mass", "0.1", "--coupling", "1e-4"],
)
#: The README's main job, with a warm cache (target: under 1.5 s).
README_JOB = ["reach", "na64mu", "fnal-mu", "--model", "B", "--preset", "fnal2021", "--plot"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    mudump = shutil.which("mudump") or "mudump"
    env = dict(os.environ, MPLBACKEND="Agg")
    subprocess.run([mudump, *COMMANDS[1]], capture_output=True, env=env, check=True)  # warm the constants cache
    with tempfile.TemporaryDirectory() as tmp:
        readme = [*README_JOB, os.path.join(tmp, "reach.png")]
        subprocess.run([mudump, *readme], capture_output=True, env=env, check=True)  # warm the production tables
        print(f"start-up, {args.runs} runs each, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        for cmd in (*COMMANDS, readme):
            times = []
            for _ in range(args.runs):
                t = time.perf_counter()
                subprocess.run([mudump, *cmd], capture_output=True, env=env, check=True)
                times.append(time.perf_counter() - t)
            label = " ".join(cmd[:-1] + ["reach.png"]) if cmd is readme else " ".join(cmd)
            print(f"  mudump {label:40s} median {statistics.median(times):.3f} s  min {min(times):.3f} s")

if __name__ == "__main__":
    main()
