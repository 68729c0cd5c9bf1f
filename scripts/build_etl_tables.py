"""Build the ETL/WW ratio tables shipped with mudump (src/mudump/data/etl/*.npz).

Run:  python scripts/build_etl_tables.py [KIND ...] [--clean]
Tables for the elements of the preset materials (W, Pb, Fe, Cu, Al) with the default form
factor, and for W and Pb with the Helm form factor (the theory band of the presets' reach), for
every kind of X (or the kinds named); tables already there are kept (--clean removes all first).
Each takes about 40 s on 2 cores; the file names are the same hashes the library looks for,
so a change of grid, settings or version makes the library ignore (and recompute) stale files.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from mudump.constants import M_MU
from mudump.kinds import KINDS
from mudump.production import etl_table
from mudump.production.formfactors import nucleus

OUT = Path(__file__).resolve().parents[1] / "src" / "mudump" / "data" / "etl"
MATERIALS = [(s, "tsai") for s in ("W", "Pb", "Fe", "Cu", "Al")] + [(s, "helm") for s in ("W", "Pb")]
JOBS = [(s, ff, kind) for kind in KINDS for s, ff in MATERIALS]


def main(kinds=KINDS):
    """Build (or rebuild) the tables of ``kinds``; files of other kinds and stale files are
    left to ``--clean``."""
    OUT.mkdir(parents=True, exist_ok=True)
    if "--clean" in sys.argv:
        for old in OUT.glob("etl-*.npz"):
            old.unlink()
    for sym, ff, kind in JOBS:
        if kind not in kinds:
            continue
        name = etl_table._key(nucleus(sym), M_MU, ff, kind)
        if (OUT / f"{name}.npz").is_file():
            continue
        t = time.perf_counter()
        table = etl_table.ratio_table(nucleus(sym), M_MU, ff, kind=kind)  # from the user cache or computed
        table.ensure()
        np.savez_compressed(OUT / f"{name}.npz", ratio=table.values.astype(np.float32))  # float32: 6e-8 relative, far below the table accuracy
        print(f"{sym:3s} {ff:5s} {kind:13s} -> {name}.npz ({time.perf_counter() - t:.1f} s)", flush=True)


if __name__ == "__main__":
    main(tuple(a for a in sys.argv[1:] if not a.startswith("--")) or KINDS)
