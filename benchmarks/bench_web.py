"""Benchmark: latencies of the reach explorer through the real HTTP server (`mudump serve`),
for the changes a person makes on the page, with the default grid (100 masses x 200 couplings).

* the edits of a design (target length, shield and decay-region lengths, energy cut) and of
  the statistics (muons on target, CL, background, a recast), 5 new values of each: the
  server's result cache misses and the reach is recomputed; target: < 300 ms, as the median
  of each kind of edit (printed: the client's wall time, the server's wall time and the CPU
  time of the thread that ran the scans);
* a cache hit (the same request again);
* a change of beam energy or target material (new production tables), against the CLI's
  cold `mudump reach` of the same setup (fresh cache, whole process);
* 20 concurrent reach requests.

Run:  python benchmarks/bench_web.py
(uses fresh temporary cache directories, so your own cache is left alone)
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BASE = "fnal-mu"
TARGET_MS = 300.0


def start_server(env) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "mudump.cli", "serve", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    m = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
    if not m:
        proc.kill()
        raise SystemExit(f"server did not start: {line!r} {proc.stderr.read()}")
    return proc, m.group(1)


CPU_MS: list = []  # server-side CPU time of each timed request's scans (independent of machine load)
SERVER_MS: list = []  # server-side wall time of each timed request's scans


def timed(client, body) -> float:
    t = time.perf_counter()
    r = client.post("/api/reach", json=body)
    dt = 1e3 * (time.perf_counter() - t)
    r.raise_for_status()
    CPU_MS.append(1e3 * r.json()["cpu_seconds"])
    SERVER_MS.append(1e3 * r.json()["seconds"])
    return dt


def main():
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MUDUMP_CACHE_DIR": str(Path(tmp) / "server"), "MPLBACKEND": "Agg"}
        proc, url = start_server(env)
        try:
            with httpx.Client(base_url=url, timeout=600) as c:
                doc = c.get(f"/api/experiments/{BASE}").json()

                def body(**changes):
                    d = {k: dict(v) if isinstance(v, dict) else v for k, v in doc.items()}
                    models = changes.pop("models", ["A"])
                    for path, value in changes.items():
                        sec, key = path.split("__")
                        d[sec][key] = value
                    return {"experiment": d, "models": models}

                t = timed(c, body())
                print(f"reach explorer, {BASE}, model A, 100 masses x 200 couplings, through {url}")
                print(f"  machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
                print(f"  first request (cold: mulder tables and production tables computed): {t / 1e3:.2f} s")
                cases = {
                    "target length": [body(target__length_m=v) for v in (0.5, 0.75, 1.0, 1.25, 1.4)],
                    "shield length": [body(downstream__shield_length_m=v) for v in (0.5, 1.0, 2.0, 3.0, 5.0)],
                    "decay-region length": [body(downstream__length_m=v) for v in (1.0, 2.0, 5.0, 10.0, 20.0)],
                    "energy cut": [body(signature__e_cut_GeV=v) for v in (0.1, 0.2, 0.5, 1.0, 1.5)],
                    "muons on target": [body(beam__muons_on_target=v) for v in (2e14, 3e14, 5e14, 7e14, 9e14)],
                    "confidence level": [body(statistics__confidence_level=v) for v in (0.68, 0.8, 0.85, 0.95, 0.99)],
                    "background": [body(statistics__background=v) for v in (0.5, 1.0, 2.0, 5.0, 10.0)],
                    "recast (CLs)": [body(statistics__observed=n, statistics__efficiency=0.5, statistics__background=b,
                                          statistics__background_uncertainty=0.3) for n, b in ((0, 0.5), (1, 0.5), (2, 1.0), (3, 2.0), (1, 2.0))],
                }
                # a model swap: the last setup was computed with model A, now B (first time for B)
                swaps = [(body(downstream__shield_length_m=v), body(models=["B"], downstream__shield_length_m=v))
                         for v in (0.1, 0.2, 0.3, 0.4, 0.6)]
                both = [(body(downstream__length_m=v), body(models=["A", "B"], downstream__length_m=v))
                        for v in (1.5, 2.5, 3.5, 4.5, 5.5)]
                print(f"  edits, 5 new values of each (target: median < {TARGET_MS:.0f} ms); medians in ms of the client's"
                      " wall time [max], the server's wall and CPU time in the scans:")
                rows = []
                for name, bodies in cases.items():
                    CPU_MS.clear()
                    SERVER_MS.clear()
                    rows.append((name, [timed(c, b) for b in bodies], list(SERVER_MS), list(CPU_MS)))
                for name, pairs in (("model A -> B", swaps), ("add model B to A", both)):
                    ts, srv, cpu = [], [], []
                    for before, after in pairs:
                        timed(c, before)  # not counted: the setup as it was, with model A
                        ts.append(timed(c, after))
                        srv.append(SERVER_MS[-1])
                        cpu.append(CPU_MS[-1])
                    rows.append((name, ts, srv, cpu))
                CPU_MS.clear()
                SERVER_MS.clear()
                rows.append(("same request again (hit)", [timed(c, body()) for _ in range(5)], list(SERVER_MS), list(CPU_MS)))
                for name, ts, srv, cpu in rows:
                    flag = "ok" if statistics.median(ts) < TARGET_MS else "SLOW"
                    print(f"    {name:26s} client {statistics.median(ts):5.0f} [{max(ts):5.0f}]  server {statistics.median(srv):5.0f}"
                          f"  CPU {statistics.median(cpu):5.0f}  {flag}")

                new_tables = {"beam energy 5 GeV": body(beam__energy_GeV=5.0), "material Pb": body(target__material="Pb")}
                print("  changes that need new production tables, against the CLI's cold reach of the same setup:")
                for name, b in new_tables.items():
                    cli_env = {**env, "MUDUMP_CACHE_DIR": str(Path(tmp) / f"cli-{len(name)}")}
                    # the mulder tables of the material are warmed first, for the server as for the
                    # CLI (they are shared by every setup of that material)
                    material = b["experiment"]["target"]["material"]
                    for e in (env, cli_env):
                        subprocess.run([sys.executable, "-m", "mudump.cli", "material", material, "--energy", "3",
                                        "--json"], env=e, check=True, capture_output=True)
                    t_srv = timed(c, b)
                    toml = c.post("/api/experiment.toml", json={"experiment": b["experiment"]}).text
                    f = Path(tmp) / "edited.toml"
                    f.write_text(toml)
                    t = time.perf_counter()
                    subprocess.run([sys.executable, "-m", "mudump.cli", "reach", str(f), "--model", "A", "--json"],
                                   env=cli_env, check=True, capture_output=True)
                    t_cli = 1e3 * (time.perf_counter() - t)
                    print(f"    {name:26s} server {t_srv / 1e3:5.2f} s, CLI cold {t_cli / 1e3:5.2f} s  "
                          f"{'ok' if t_srv <= t_cli else 'SLOWER'}")

                two = {**body(), "experiments": ["na64mu"]}
                t_cold = timed(c, two)
                ts = [timed(c, {**body(beam__muons_on_target=v), "experiments": ["na64mu"]}) for v in (2e14, 4e14, 6e14)]
                print(f"  two experiments (fnal-mu and na64mu, the README's figure): first {t_cold / 1e3:.2f} s, "
                      f"then a change of muons on target: median {statistics.median(ts):.0f} ms")

                bodies = [body(beam__muons_on_target=1e13 * (k + 1)) for k in range(20)]
                t = time.perf_counter()
                with cf.ThreadPoolExecutor(20) as ex:
                    codes = list(ex.map(lambda b: httpx.post(url + "/api/reach", json=b, timeout=600).status_code, bodies))
                dt = time.perf_counter() - t
                print(f"  20 concurrent reach requests (20 new setups): all {set(codes)} in {dt:.2f} s "
                      f"({1e3 * dt / 20:.0f} ms each on average)")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
