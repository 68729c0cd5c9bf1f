"""Build the ETL/WW ratio tables shipped with mudump (src/mudump/data/etl/*.npz).

Run:  python scripts/build_etl_tables.py
Tables for the elements of the preset materials (W, Pb, Fe, Cu, Al) with the default form
factor, and for W and Pb with the Helm form factor (the theory band of the presets' reach).
Each takes about 40 s on 2 cores; the file names are the same hashes the library looks for,
so a change of grid, settings or version makes the library ignore (and recompute) stale files.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from mudump.constants import M_MU
from mudump.production import etl_table
from mudump.production.formfactors import nucleus

OUT = Path(__file__).resolve().parents[1] / "src" / "mudump" / "data" / "etl"
JOBS = [(s, "tsai") for s in ("W", "Pb", "Fe", "Cu", "Al")] + [(s, "helm") for s in ("W", "Pb")]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("etl-*.npz"):
        old.unlink()
    for sym, ff in JOBS:
        t = time.perf_counter()
        table = etl_table.ratio_table(nucleus(sym), M_MU, ff)  # from the user cache or computed
        table.ensure()
        name = etl_table._key(nucleus(sym), M_MU, ff)
        np.savez_compressed(OUT / f"{name}.npz", ratio=table.values)
        print(f"{sym:3s} {ff:5s} -> {name}.npz ({time.perf_counter() - t:.1f} s)")


if __name__ == "__main__":
    main()
