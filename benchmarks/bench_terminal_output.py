"""Benchmark: how many bytes the README command writes to a terminal, with an empty cache and
with a warm one (one rich progress bar is a few kilobytes; mulder's own bars, drawn from its
compiled code when it sees a terminal, were hundreds of kilobytes).

Run:  python benchmarks/bench_terminal_output.py
(the command runs in a pseudo-terminal, in a temporary directory with a fresh cache)
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import tempfile
import time

COMMAND = ["reach", "na64mu", "fnal-mu", "--model", "B", "--preset", "fnal2021", "--plot", "reach.png"]


def run_on_a_terminal(cwd: str, env: dict) -> tuple[int, float, int]:
    """(bytes written to the terminal, seconds, exit code) of ``mudump COMMAND``."""
    master, slave = pty.openpty()
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "mudump.cli", *COMMAND], stdin=slave, stdout=slave,
                            stderr=slave, cwd=cwd, env=env)
    os.close(slave)
    n = 0
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        n += len(data)
    os.close(master)
    code = proc.wait()
    return n, time.perf_counter() - t, code


def main():
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, MUDUMP_CACHE_DIR=os.path.join(tmp, "cache"), MPLBACKEND="Agg")
        print(f"mudump {' '.join(COMMAND)}  (on a pseudo-terminal)")
        for label in ("empty cache", "warm cache"):
            n, dt, code = run_on_a_terminal(tmp, env)
            print(f"{label:12s}: {n:8d} bytes to the terminal, {dt:6.1f} s, exit {code}")


if __name__ == "__main__":
    main()
