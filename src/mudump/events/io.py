"""Event-file writers (and a Parquet reader) for :class:`mudump.events.batch.EventBatch`.

Four formats, chosen by :func:`write_events` from the file suffix:

* **Parquet** (``.parquet``): one row per event, one column per quantity with its unit in the
  name (``S_E_GeV``, ``decay_z_m``, ...); energies and momenta in GeV, positions and c t in
  **metres**, ``weight`` in expected events; float32 except the columns of
  :data:`PARQUET_FLOAT64` (why: there), zstd-compressed. The run metadata is JSON in the schema
  metadata under the key ``b"mudump"``. Energies, the incoming nucleus and the c t columns are
  left out when they follow exactly (within float32 precision) from the stored momenta, masses
  and positions, and are rebuilt by :func:`read_parquet` (:data:`PARQUET_DERIVED`, listed in the
  file's metadata under ``derived_columns``). No loop over events (about 0.7 s and 90 MB per
  million FNAL-mu events).
* **ROOT** (``.root``): a flat TTree ``events`` written by uproot (no ROOT installation needed),
  one branch per column of :data:`PARQUET_COLUMNS` with the Parquet names, units and dtypes
  (the derived columns filled in, as :func:`read_parquet` rebuilds them: ``TTree::Draw`` needs
  them in the file), and the run metadata as JSON in the TObjString ``mudump_meta``.
* **HepMC3 ASCII** (``.hepmc``, ``.hepmc3``): units GeV and **mm** (HepMC convention); one
  production vertex (beam muon + target nucleus, status 4 -> muon, nucleus, S) and one decay vertex
  (S, status 2 -> d1, d2, status 1) per event; the weight is the event weight named ``weight``; the
  run metadata are string attributes of the GenRunInfo (plus the full JSON under ``mudump``).
* **Les Houches Events** (``.lhe``, ``.lhe.gz``): header and init blocks serialised by pylhe,
  events formatted column-wise; GeV and **mm**; event weights XWGTUP in expected events, weighting
  strategy IDWTUP = +4 (-4 if a weight is negative); the proper decay length c tau of S (mm) in
  VTIMUP; the run metadata in a ``<mudump>`` block of the ``<header>``; the vertices (which LHE
  has no field for) in a ``# mudump_vertices_mm`` comment line of each event.

All files are written through a temporary file in the target directory that is renamed into place
at the end, so a crash never leaves a truncated file under the requested name. All three writers
are deterministic: the same batch gives byte-identical files (no timestamps are embedded; the
gzip header of ``.lhe.gz`` has its mtime set to 0).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from .._extras import require
from ..errors import ConfigError
from .batch import EventBatch, error_from_sums

__all__ = [
    "PARQUET_COLUMNS",
    "PARQUET_DERIVED",
    "SUFFIXES",
    "read_parquet",
    "write_event_stream",
    "write_events",
    "write_hepmc3",
    "write_lhe",
    "write_parquet",
    "write_root",
]

#: The output suffixes :func:`write_events` knows, and the writer each selects.
SUFFIXES: dict[str, str] = {
    ".parquet": "parquet",
    ".hepmc": "hepmc3",
    ".hepmc3": "hepmc3",
    ".lhe": "lhe",
    ".lhe.gz": "lhe",
    ".root": "root",
}

_M_TO_MM = 1e3

#: Particle order of the event record (HepMC particle ids 1..7 and LHE lines 1..7).
_RECORD = ("mu_in", "nucleus_in", "mu_out", "nucleus_out", "s", "d1", "d2")
#: Parquet column prefix of each four-momentum.
_PARQUET_NAMES = {"mu_in": "mu_in", "nucleus_in": "nucleus_in", "mu_out": "mu_out",
                  "nucleus_out": "nucleus_out", "s": "S", "d1": "d1", "d2": "d2"}
_COMPONENTS = ("E", "px", "py", "pz")
_VERTEX = ("x", "y", "z", "ct")

# HepMC3 / LHE status codes: incoming beam (4 / -1), final state (1 / 1), decayed (2 / 2).
_HEPMC_STATUS = np.array([4, 4, 1, 1, 2, 1, 1], dtype=np.int32)
# HEPEVT-style 1-based (first, last) parent range of each record entry; (0, 0) = none.
_HEPMC_PARENTS = np.array([[0, 0], [0, 0], [1, 2], [1, 2], [1, 2], [5, 5], [5, 5]], dtype=np.int32)
# LHE: ISTUP, MOTHUP(1), MOTHUP(2) of each record entry.
_LHE_STATUS = (-1, -1, 1, 1, 2, 1, 1)
_LHE_MOTHERS = ((0, 0), (0, 0), (1, 2), (1, 2), (1, 2), (5, 5), (5, 5))
_LHE_SPIN = 9.0  # SPINUP = 9: helicity not given
_LHE_PROCESS_ID = 1


# ---------------------------------------------------------------------------------------------
# shared helpers


def _check_batch(batch: EventBatch) -> int:
    """The number of events, after checking every array has the documented shape."""
    n = len(batch)
    for name in ("mu_in", "nucleus_in", "mu_out", "nucleus_out", "s", "d1", "d2", "v_prod", "v_decay"):
        shape = np.shape(getattr(batch, name))
        if shape != (n, 4):
            raise ValueError(f"EventBatch.{name} has shape {shape}, expected ({n}, 4)")
    for name in ("weight", "pdg_d1", "pdg_d2"):
        shape = np.shape(getattr(batch, name))
        if shape != (n,):
            raise ValueError(f"EventBatch.{name} has shape {shape}, expected ({n},)")
    return n


def _jsonable(value):
    """``value`` with numpy scalars and arrays replaced by plain Python objects (for JSON)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _run_metadata(batch: EventBatch, units: str) -> dict:
    """``batch.meta`` plus the PDG IDs, the masses (GeV) and a ``units`` note; the batch's own
    fields take precedence over same-named meta entries."""
    meta = {str(k): _jsonable(v) for k, v in batch.meta.items()}
    meta.update(
        pdg_mu=int(batch.pdg_mu),
        pdg_nucleus=int(batch.pdg_nucleus),
        pdg_s=int(batch.pdg_s),
        mass_nucleus_GeV=float(batch.mass_nucleus_GeV),
        mass_s_GeV=float(batch.mass_s_GeV),
        units=units,
    )
    return meta


def _meta_json(meta: dict) -> str:
    """One-line, key-sorted JSON (deterministic; non-JSON objects as their ``str``)."""
    return json.dumps(meta, sort_keys=True, default=str, separators=(", ", ": "))


def _meta_text(value) -> str:
    """A metadata value as one line of text: strings as they are (JSON-quoted if they contain a
    line break or surrounding blanks), everything else as JSON (floats round-trip exactly)."""
    if isinstance(value, str) and "\n" not in value and "\r" not in value and value == value.strip():
        return value
    return json.dumps(value, default=str)


def _mudump_version() -> str:
    from .. import __version__

    return str(__version__)


@functools.lru_cache(maxsize=None)
def _pdg_mass_GeV(pdgid: int) -> float | None:
    """The PDG mass in GeV of a particle ID (``particle`` package), or None if unknown."""
    from particle import InvalidParticle, Particle, ParticleNotFound

    try:
        mass = Particle.from_pdgid(int(pdgid)).mass
    except (ParticleNotFound, InvalidParticle, ValueError):
        return None
    return None if mass is None else float(mass) * 1e-3


def _invariant_mass(p: np.ndarray) -> np.ndarray:
    """sqrt(max(E^2 - |p|^2, 0)) in GeV for four-momenta (N, 4)."""
    pabs = np.sqrt(p[:, 1] ** 2 + p[:, 2] ** 2 + p[:, 3] ** 2)
    return np.sqrt(np.maximum((p[:, 0] - pabs) * (p[:, 0] + pabs), 0.0))


def _masses_for(pdg: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Generated masses (GeV) for per-event PDG IDs: the PDG mass where the ``particle`` package
    knows the ID, else the invariant mass of the four-momentum."""
    pdg = np.asarray(pdg)
    out = np.empty(pdg.shape[0], dtype=np.float64)
    unknown = np.zeros(pdg.shape[0], dtype=bool)
    for pid in np.unique(pdg):
        sel = pdg == pid
        m = _pdg_mass_GeV(int(pid))
        if m is None:
            unknown |= sel
        else:
            out[sel] = m
    if unknown.any():
        out[unknown] = _invariant_mass(p[unknown])
    return out


def _record_masses(batch: EventBatch) -> np.ndarray:
    """(N, 7) generated masses in GeV in record order (mu_in, nucleus_in, mu_out, nucleus_out, S,
    d1, d2)."""
    n = len(batch)
    m_mu = _pdg_mass_GeV(int(batch.pdg_mu))
    mu_in = np.full(n, m_mu) if m_mu is not None else _invariant_mass(np.asarray(batch.mu_in, float))
    mu_out = np.full(n, m_mu) if m_mu is not None else _invariant_mass(np.asarray(batch.mu_out, float))
    return np.stack([
        mu_in,
        np.full(n, float(batch.mass_nucleus_GeV)),
        mu_out,
        np.full(n, float(batch.mass_nucleus_GeV)),
        np.full(n, float(batch.mass_s_GeV)),
        _masses_for(batch.pdg_d1, np.asarray(batch.d1, float)),
        _masses_for(batch.pdg_d2, np.asarray(batch.d2, float)),
    ], axis=1)


def _record_pdg(batch: EventBatch) -> np.ndarray:
    """(N, 7) int32 PDG IDs in record order."""
    n = len(batch)
    cols = [np.full(n, batch.pdg_mu), np.full(n, batch.pdg_nucleus), np.full(n, batch.pdg_mu),
            np.full(n, batch.pdg_nucleus), np.full(n, batch.pdg_s), np.asarray(batch.pdg_d1),
            np.asarray(batch.pdg_d2)]
    return np.ascontiguousarray(np.stack(cols, axis=1), dtype=np.int32)


def _proper_decay_length_mm(batch: EventBatch) -> np.ndarray:
    """The proper decay length c tau of each S in mm: the flight distance |x_decay - x_prod|
    divided by beta*gamma = |p|/m (or, for an S at rest, the c t difference divided by gamma)."""
    s = np.asarray(batch.s, dtype=np.float64)
    dv = np.asarray(batch.v_decay, dtype=np.float64) - np.asarray(batch.v_prod, dtype=np.float64)
    dist = np.sqrt(dv[:, 0] ** 2 + dv[:, 1] ** 2 + dv[:, 2] ** 2)
    pabs = np.sqrt(s[:, 1] ** 2 + s[:, 2] ** 2 + s[:, 3] ** 2)
    m = float(batch.mass_s_GeV)
    moving = pabs > 0
    ctau = np.empty_like(dist)
    ctau[moving] = dist[moving] * m / pabs[moving]
    ctau[~moving] = dv[~moving, 3] * m / s[~moving, 0]
    return ctau * _M_TO_MM


@contextlib.contextmanager
def _atomic_path(path: Path):
    """Yield a temporary path next to ``path`` (same name at the end, so suffix-based format
    detection still works); rename it to ``path`` on success, delete it on failure."""
    path = Path(path)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


# ---------------------------------------------------------------------------------------------
# Parquet


#: Parquet columns kept in float64 (every other real column is float32, 7 significant digits,
#: ample for momenta, angles and vertex positions). ``weight``: expected events can be below
#: float32's range (1e-38) at small couplings, and analyses sum millions of them.
#: ``nucleus_in_E_GeV``, ``nucleus_out_E_GeV``: the nucleus energy is its mass (~170 GeV) plus a
#: recoil energy of 1e-7..1e-4 GeV that float32 (resolution 1e-5 GeV at 170 GeV) would erase;
#: both are normally derived rather than stored (:data:`PARQUET_DERIVED`), and the reader
#: rebuilds them in float64.
PARQUET_FLOAT64 = ("weight", "nucleus_in_E_GeV", "nucleus_out_E_GeV")

#: The columns the Parquet writer leaves out when they follow from the stored ones (
#: 118 MB -> under 100 MB per 1e6 FNAL-mu events), and how :func:`read_parquet` rebuilds them.
#: ``m(P)`` is the mass recorded in the metadata: ``mass_nucleus_GeV``, ``mass_s_GeV`` and
#: ``masses_GeV`` (PDG ID -> mass for the muon and the decay products). Each is dropped only if
#: rebuilding it from the float32-rounded stored values gives back the batch's value within
#: :data:`DERIVED_RTOL` (relative) for every event; otherwise it is stored as usual. The
#: metadata key ``derived_columns`` lists those left out in a file, with these formulas.
PARQUET_DERIVED = {
    "nucleus_in_E_GeV": "mass_nucleus_GeV (nucleus at rest)",
    "nucleus_in_px_GeV": "0", "nucleus_in_py_GeV": "0", "nucleus_in_pz_GeV": "0",
    "mu_in_E_GeV": "sqrt(mu_in_px^2 + mu_in_py^2 + mu_in_pz^2 + masses_GeV[pdg_mu]^2)",
    "mu_out_E_GeV": "sqrt(mu_out_px^2 + mu_out_py^2 + mu_out_pz^2 + masses_GeV[pdg_mu]^2)",
    "nucleus_out_E_GeV": "sqrt(nucleus_out_px^2 + ... + mass_nucleus_GeV^2) (float64)",
    "S_E_GeV": "sqrt(S_px^2 + S_py^2 + S_pz^2 + mass_s_GeV^2)",
    "d1_E_GeV": "sqrt(d1_px^2 + d1_py^2 + d1_pz^2 + masses_GeV[d1_pdgid]^2)",
    "d2_E_GeV": "sqrt(d2_px^2 + d2_py^2 + d2_pz^2 + masses_GeV[d2_pdgid]^2)",
    "prod_ct_m": "prod_z_m (the muon moves at c from the target entrance, z = 0)",
    "decay_ct_m": "prod_ct_m + |decay_xyz - prod_xyz| * S_E / |S_p| (S flies at beta = |p|/E)",
}
#: Largest relative difference allowed between a derived column rebuilt from the stored
#: float32 values and the batch's own value: 2^-21 = 4.8e-7, eight times the float32 rounding
#: (2^-24): a square root of a sum of rounded squares, or a distance between rounded positions,
#: adds a few roundings.
DERIVED_RTOL = 2.0**-21


def _mass_table(batch: EventBatch) -> dict[int, float]:
    """PDG ID -> generated mass (GeV) of the muon and of every decay product in the batch: the
    PDG mass where the ``particle`` package knows the ID, else the median invariant mass of that
    ID's four-momenta (the generator's masses for chi and the like)."""
    out: dict[int, float] = {}
    m_mu = _pdg_mass_GeV(int(batch.pdg_mu))
    if m_mu is None and len(batch):
        m_mu = float(np.median(_invariant_mass(np.asarray(batch.mu_in, float))))
    if m_mu is not None:
        out[int(batch.pdg_mu)] = m_mu
    for pdg, p in ((batch.pdg_d1, batch.d1), (batch.pdg_d2, batch.d2)):
        pdg = np.asarray(pdg)
        for pid in np.unique(pdg):
            m = _pdg_mass_GeV(int(pid))
            if m is None:
                m = float(np.median(_invariant_mass(np.asarray(p, float)[pdg == pid])))
            out.setdefault(int(pid), m)
    return out


def _energy(cols, prefix: str, mass) -> np.ndarray:
    """sqrt(px^2 + py^2 + pz^2 + m^2) in float64 from the stored (float32) momentum columns."""
    px, py, pz = (np.asarray(cols[f"{prefix}_{c}_GeV"], dtype=np.float64) for c in ("px", "py", "pz"))
    return np.sqrt(px * px + py * py + pz * pz + np.asarray(mass, dtype=np.float64) ** 2)


def _derive(cols, meta: dict) -> dict[str, np.ndarray]:
    """Every column of :data:`PARQUET_DERIVED` from the stored columns ``cols`` (name -> array)
    and the run metadata (see there for the formulas)."""
    n = len(cols["weight"])
    masses = {int(k): float(v) for k, v in meta.get("masses_GeV", {}).items()}
    m_nuc = float(meta["mass_nucleus_GeV"])

    def per_event(pdg):
        pdg = np.asarray(pdg)
        out = np.full(pdg.shape, np.nan)
        for pid in np.unique(pdg):
            if int(pid) in masses:
                out[pdg == pid] = masses[int(pid)]
        return out

    m_mu = masses.get(int(meta["pdg_mu"]), np.nan)
    out = {"nucleus_in_E_GeV": np.full(n, m_nuc)}
    for c in ("px", "py", "pz"):
        out[f"nucleus_in_{c}_GeV"] = np.zeros(n)
    out["mu_in_E_GeV"] = _energy(cols, "mu_in", m_mu)
    out["mu_out_E_GeV"] = _energy(cols, "mu_out", m_mu)
    out["nucleus_out_E_GeV"] = _energy(cols, "nucleus_out", m_nuc)
    out["S_E_GeV"] = _energy(cols, "S", float(meta["mass_s_GeV"]))
    out["d1_E_GeV"] = _energy(cols, "d1", per_event(cols["d1_pdgid"]))
    out["d2_E_GeV"] = _energy(cols, "d2", per_event(cols["d2_pdgid"]))
    prod_ct = np.asarray(cols["prod_z_m"], dtype=np.float64)
    out["prod_ct_m"] = prod_ct
    dist = np.sqrt(sum((np.asarray(cols[f"decay_{c}_m"], np.float64) - np.asarray(cols[f"prod_{c}_m"], np.float64)) ** 2
                       for c in ("x", "y", "z")))
    s_e = out["S_E_GeV"]
    s_p = np.sqrt(sum(np.asarray(cols[f"S_{c}_GeV"], np.float64) ** 2 for c in ("px", "py", "pz")))
    with np.errstate(divide="ignore", invalid="ignore"):
        out["decay_ct_m"] = prod_ct + np.where(dist > 0, dist * s_e / s_p, 0.0)
    return out


def _full_columns(batch: EventBatch) -> dict[str, np.ndarray]:
    """Every column in file order and file dtype (before leaving out the derived ones)."""
    n = len(batch)
    cols: dict[str, np.ndarray] = {
        "event": np.arange(n, dtype=np.int64),
        "weight": np.ascontiguousarray(batch.weight, dtype=np.float64),
    }
    # one transposed copy per (N, 4) array; its rows are contiguous column views
    for key in _RECORD:
        arr = np.asarray(getattr(batch, key), dtype=np.float64)
        prefix = _PARQUET_NAMES[key]
        for k, comp in enumerate(_COMPONENTS):
            name = f"{prefix}_{comp}_GeV"
            cols[name] = np.ascontiguousarray(arr[:, k], dtype=np.float64 if name in PARQUET_FLOAT64 else np.float32)
    cols["d1_pdgid"] = np.ascontiguousarray(batch.pdg_d1, dtype=np.int32)
    cols["d2_pdgid"] = np.ascontiguousarray(batch.pdg_d2, dtype=np.int32)
    for key, prefix in (("v_prod", "prod"), ("v_decay", "decay")):
        arr = np.asarray(getattr(batch, key), dtype=np.float64)
        for k, comp in enumerate(_VERTEX):
            cols[f"{prefix}_{comp}_m"] = np.ascontiguousarray(arr[:, k], dtype=np.float32)
    return cols


#: The column order of a Parquet file with nothing left out (and of :func:`read_parquet`'s table).
PARQUET_COLUMNS = tuple(
    ["event", "weight"]
    + [f"{_PARQUET_NAMES[k]}_{c}_GeV" for k in _RECORD for c in _COMPONENTS]
    + ["d1_pdgid", "d2_pdgid"]
    + [f"{p}_{c}_m" for p in ("prod", "decay") for c in _VERTEX]
)


def _parquet_columns(batch: EventBatch, meta: dict) -> tuple[dict[str, np.ndarray], list[str]]:
    """The columns to store and the names of those left out (see :data:`PARQUET_DERIVED`)."""
    full = _full_columns(batch)
    if len(batch) == 0:
        return full, []
    rebuilt = _derive(full, meta)
    truth = {name: np.asarray(getattr(batch, key), dtype=np.float64)[:, k]
             for key in _RECORD for k, comp in enumerate(_COMPONENTS)
             for name in [f"{_PARQUET_NAMES[key]}_{comp}_GeV"]}
    truth.update({f"{p}_{c}_m": np.asarray(getattr(batch, key), dtype=np.float64)[:, k]
                  for key, p in (("v_prod", "prod"), ("v_decay", "decay")) for k, c in enumerate(_VERTEX)})
    dropped = []
    for name in PARQUET_DERIVED:
        want, got = truth[name], rebuilt[name]
        with np.errstate(invalid="ignore"):
            ok = np.abs(got - want) <= DERIVED_RTOL * np.abs(want)
        if name == "decay_ct_m" and not {"prod_ct_m", "S_E_GeV"} <= set(dropped):
            continue  # its formula reads those two as rebuilt
        if bool(np.all(ok)):
            dropped.append(name)
    return {k: v for k, v in full.items() if k not in dropped}, dropped


def write_parquet(batch: EventBatch, path, *, compression: str = "zstd") -> Path:
    """Write ``batch`` as a Parquet table, one row per event; return the path.

    Columns (units in the names; order :data:`PARQUET_COLUMNS`): ``event`` (int64, 0..N-1),
    ``weight`` (expected events), ``P_E_GeV, P_px_GeV, P_py_GeV, P_pz_GeV`` for P in mu_in,
    nucleus_in, mu_out, nucleus_out, S, d1, d2 (GeV), ``d1_pdgid, d2_pdgid`` (int32),
    ``prod_x_m, prod_y_m, prod_z_m, prod_ct_m`` and ``decay_x_m, ...`` (metres; c t from the
    muon's entry into the target). Real columns are float32 except those in
    :data:`PARQUET_FLOAT64` (float64; see there why): four-momentum conservation read back from
    the file holds to float32 precision (~1e-7 of the beam energy).

    **Stored and derived columns.** The columns of :data:`PARQUET_DERIVED` -- every energy
    (from the momentum and the mass: the muon's and decay products' masses are in the metadata
    ``masses_GeV``, PDG ID -> GeV, so light products keep their exact mass), the incoming
    nucleus (at rest), the production c t (= z) and the decay c t (from the flight distance
    and the velocity of S) -- are left out of the file when they follow from the stored ones
    within :data:`DERIVED_RTOL`, as they always do for the generator's events. The metadata
    key ``derived_columns`` maps each column left out to its formula. :func:`read_parquet` puts
    them back (in float64): read the files with it, or apply the formulas. Stored: ``event``,
    ``weight``, the momenta (px, py, pz) of mu_in, mu_out, nucleus_out, S, d1, d2, the PDG IDs
    and the vertex positions (x, y, z) -- 26 columns instead of 40, about 90 MB per 1e6
    FNAL-mu events instead of 118 MB.

    The schema metadata key ``b"mudump"`` holds the run metadata as JSON: ``batch.meta`` plus
    ``pdg_mu``, ``pdg_nucleus``, ``pdg_s``, ``mass_nucleus_GeV``, ``mass_s_GeV``,
    ``masses_GeV``, ``derived_columns`` and ``units = "GeV, m"``. Encoding: byte-stream-split
    for the real columns (it groups the bytes of the exponents, which then compress well),
    delta for ``event``, dictionary for the PDG IDs; ``compression`` is any Parquet codec
    pyarrow knows (default ``"zstd"``).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    _check_batch(batch)
    meta = _run_metadata(batch, units="GeV, m")
    meta["masses_GeV"] = {str(k): v for k, v in sorted(_mass_table(batch).items())}
    cols, dropped = _parquet_columns(batch, meta)
    meta["derived_columns"] = {name: PARQUET_DERIVED[name] for name in dropped}
    table = pa.table(cols).replace_schema_metadata({b"mudump": _meta_json(meta).encode()})
    reals = [k for k, v in cols.items() if v.dtype.kind == "f"]
    path = Path(path)
    with _atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression=compression, use_dictionary=["d1_pdgid", "d2_pdgid"],
                       column_encoding={"event": "DELTA_BINARY_PACKED", **{k: "BYTE_STREAM_SPLIT" for k in reals}})
    return path


def read_parquet(path, *, derived: bool = True) -> tuple:
    """Read a file of :func:`write_parquet`: return ``(pyarrow.Table, meta dict)``.

    The table has the columns described in :func:`write_parquet` (GeV, metres, expected events),
    in the order of :data:`PARQUET_COLUMNS`: with ``derived`` (the default) the columns the
    file left out (its ``derived_columns``) are rebuilt (float64) by the formulas of
    :data:`PARQUET_DERIVED`; without it the table is the file's as stored. ``meta`` is the
    decoded run metadata (empty if the file has no ``mudump`` key).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    # the file's key-value metadata (a streamed file adds it at the end: _stream_parquet)
    raw = (pq.ParquetFile(path).metadata.metadata or {}).get(b"mudump") or (table.schema.metadata or {}).get(b"mudump")
    meta = json.loads(raw) if raw else {}
    if raw:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), b"mudump": raw})
    missing = [name for name in meta.get("derived_columns", {}) if name not in table.column_names]
    if not derived or not missing:
        return table, meta
    cols = {name: table.column(name).to_numpy() for name in table.column_names}
    rebuilt = _derive(cols, meta)
    arrays = [table.column(name) if name in table.column_names else pa.array(rebuilt[name])
              for name in PARQUET_COLUMNS if name in table.column_names or name in missing]
    names = [name for name in PARQUET_COLUMNS if name in table.column_names or name in missing]
    return pa.table(arrays, names=names).replace_schema_metadata(table.schema.metadata), meta


# ---------------------------------------------------------------------------------------------
# HepMC3


_ATTR_NAME = re.compile(r"[^A-Za-z0-9_.:-]")


def _hepmc_run_info(batch: EventBatch):
    import pyhepmc

    meta = _run_metadata(batch, units="GeV, mm")
    ri = pyhepmc.GenRunInfo()
    ri.weight_names = ["weight"]
    version = str(meta.get("mudump_version", _mudump_version()))
    ri.tools = [pyhepmc.GenRunInfo.ToolInfo(
        "mudump", version, "dark scalars at muon beam dumps: mu N -> mu N S, S -> d1 d2")]
    for key in sorted(meta):
        name = _ATTR_NAME.sub("_", key) or "_"
        ri.attributes[name] = _meta_text(meta[key])
    ri.attributes["mudump"] = _meta_json(meta)
    return ri


def write_hepmc3(batch: EventBatch, path) -> Path:
    """Write ``batch`` as a HepMC3 ASCII file; return the path.

    Units: momenta GeV, lengths **mm** (the vertices in metres are multiplied by 1000). Event
    ``i`` has event number ``i`` and weight ``batch.weight[i]`` (expected events; the run's only
    weight, named ``weight``). Record per event: 1 beam muon (status 4, ``pdg_mu``) and 2 target
    nucleus (status 4, ``pdg_nucleus``) enter the production vertex at ``v_prod``; 3 outgoing muon
    (status 1), 4 recoil nucleus (status 1) and 5 S (status 2, ``pdg_s``) leave it; S enters the
    decay vertex at ``v_decay`` with 6 d1 and 7 d2 (status 1) out. Every particle has its generated
    mass set (GeV): ``mass_nucleus_GeV``, ``mass_s_GeV``, PDG masses for the leptons and decay
    products (invariant mass for IDs the ``particle`` package does not know). The run metadata are
    string attributes of the GenRunInfo (``batch.meta`` entries, PDG IDs, masses, ``units``; the
    whole set as JSON under ``mudump``); the tool entry is ``mudump``.

    The header (version line and run info) is written by pyhepmc; the events are formatted
    column-wise (:func:`_text_columns`: shortest round-trip decimals, i.e. exact, joined by pyarrow
    in C++) in the Asciiv3 layout HepMC3's own writer produces -- about 10x faster than building a
    GenEvent per event; tests/test_event_files.py reads the files back with pyhepmc.
    """
    import pyhepmc

    n = _check_batch(batch)
    path = Path(path)
    run_info = _hepmc_run_info(batch)
    with _atomic_path(path) as tmp:
        writer = pyhepmc.io.WriterAscii(str(tmp), run_info)  # header and run info only
        writer.close()
        head = Path(tmp).read_text(encoding="utf-8")
        end = "HepMC::Asciiv3-END_EVENT_LISTING"
        head = head[: head.rindex(end)]
        masses = _record_masses(batch)
        pdg = _record_pdg(batch)
        with open(tmp, "wb") as out:
            out.write(head.encode("utf-8"))
            _write_blocks(out, lambda sl: _hepmc_events(batch, sl, masses[sl], pdg[sl]), n)
            out.write((end + "\n\n").encode("utf-8"))
    return path


def _hepmc_events(batch: EventBatch, sl: slice, masses, pdg, first: int = 0) -> bytes:
    """The Asciiv3 text of the events in ``sl`` (see :func:`write_hepmc3`), numbered from
    ``first`` + sl.start."""
    k = sl.stop - sl.start
    num = _text_columns
    lines = [num("E", np.arange(sl.start, sl.stop) + first, "2 7"), "U GEV MM", num("W", batch.weight[sl])]
    vertex = {2: num("V -1 0 [1,2] @", *(batch.v_prod[sl, c] * _M_TO_MM for c in range(4))),
              5: num("V -2 0 [5] @", *(batch.v_decay[sl, c] * _M_TO_MM for c in range(4)))}
    parent = (0, 0, -1, -1, -1, -2, -2)
    for j, key in enumerate(_RECORD):
        if j in vertex:
            lines.append(vertex[j])
        p = np.asarray(getattr(batch, key), dtype=np.float64)[sl]
        lines.append(num(f"P {j + 1} {parent[j]}", pdg[:, j], p[:, 1], p[:, 2], p[:, 3], p[:, 0], masses[:, j],
                         str(int(_HEPMC_STATUS[j]))))
    return _join_lines(lines, k)


# ---------------------------------------------------------------------------------------------
# vectorised text


_TEXT_CHUNK = 100_000  # events formatted per block of the text writers


def _column_text(values):
    """Decimal text of a column: integers as they are, floats as the shortest decimal that reads
    back to the same double (pyarrow's cast, vectorised C++: exact round trip, shorter than
    17-digit %e). A constant column becomes one Python string."""
    import pyarrow as pa
    import pyarrow.compute as pc

    v = np.ascontiguousarray(values)
    if v.dtype.kind == "f":
        v = v.astype(np.float64, copy=False)
        bits = v.view(np.int64)
    else:
        bits = v
    if v.size and np.all(bits == bits[0]):
        return pc.cast(pa.array(v[:1]), pa.string())[0].as_py()
    return pc.cast(pa.array(v), pa.string())


def _text_columns(*parts):
    """One text line per event: ``parts`` are literal strings or per-event columns (numpy
    arrays), to be joined with single spaces by :func:`_join_lines`."""
    return tuple(p if isinstance(p, str) else _column_text(p) for p in parts)


def _join_lines(lines, k: int):
    """The text of ``k`` consecutive event blocks from per-event lines (literal strings or
    tuples of :func:`_text_columns`), as a buffer. One pyarrow join over all the tokens of an
    event: consecutive literals are merged, line breaks ride on the literals (so a line that
    ends with a number keeps a trailing blank, which the readers ignore)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if k == 0:
        return b""
    tokens: list = []

    def literal(text: str, newline: bool) -> None:
        if tokens and isinstance(tokens[-1], str):
            tokens[-1] += ("\n" if newline else " ") + text
        else:
            tokens.append(("\n" if newline else "") + text)

    for n_line, line in enumerate(lines):
        for n_part, part in enumerate((line,) if isinstance(line, str) else line):
            newline = n_line > 0 and n_part == 0
            if isinstance(part, str):
                literal(part, newline)
            else:
                if newline:
                    literal("", True)
                tokens.append(part)
    literal("", True)
    if all(isinstance(t, str) for t in tokens):
        return (" ".join(tokens)).encode("utf-8") * k
    block = pc.binary_join_element_wise(*tokens, " ")
    if not isinstance(block, pa.Array):
        block = block.combine_chunks()
    offsets = np.frombuffer(block.buffers()[1], dtype=np.int32)[block.offset: block.offset + k + 1]
    return memoryview(block.buffers()[2])[offsets[0]: offsets[-1]]


def _write_blocks(out, make_block, n: int) -> None:
    """Write ``make_block(slice)`` for consecutive slices of _TEXT_CHUNK events, formatting two
    blocks at a time on threads (pyarrow releases the GIL), in order."""
    from concurrent.futures import ThreadPoolExecutor

    slices = [slice(a, min(n, a + _TEXT_CHUNK)) for a in range(0, n, _TEXT_CHUNK)]
    if len(slices) <= 1:
        for sl in slices:
            out.write(make_block(sl))
        return
    with ThreadPoolExecutor(max_workers=2) as pool:
        pending = []
        for sl in slices:
            pending.append(pool.submit(make_block, sl))
            if len(pending) > 2:  # bound the memory: at most 3 blocks in flight
                out.write(pending.pop(0).result())
        for fut in pending:
            out.write(fut.result())


# ---------------------------------------------------------------------------------------------
# Les Houches Events


def _lhe_format():
    """pylhe's XML format for the ``<init>`` block, with 17 significant digits for every real
    number (exact round trip of doubles)."""
    import pylhe

    return pylhe.LHEXMLFormat(
        weights=pylhe.LHEWeightFormat.NONE,
        initinfo=(" {beamA: 11d} {beamB: 11d} {energyA: .16e} {energyB: .16e} {PDFgroupA: 5d} "
                  "{PDFgroupB: 5d} {PDFsetA: 5d} {PDFsetB: 5d} {weightingStrategy: 5d} {numProcesses: 5d}"),
        procinfo="{xSection: .16e} {error: .16e} {unitWeight: .16e} {procId: 5d}",
    )


def _lhe_header(meta: dict):
    import pylhe

    lines = [f"{key} = {_meta_text(meta[key])}" for key in sorted(meta)]
    block = ET.Element("mudump")
    block.text = "\n" + "\n".join(lines) + "\n"
    block_json = ET.Element("mudump_json")
    block_json.text = _meta_json(meta)
    return pylhe.LHEHeader(initrwgt=pylhe.LHEInitRWGT(), extra_elements=[block, block_json])


def _lhe_events(batch: EventBatch, sl: slice, masses, life_mm, scale: float, aqed: float) -> bytes:
    """The ``<event>`` blocks of the events in ``sl`` (layout of :func:`write_lhe`), formatted
    column-wise (:func:`_text_columns`)."""
    k = sl.stop - sl.start
    num = _text_columns
    lines = ["<event>", num(f" 7 {_LHE_PROCESS_ID}", batch.weight[sl], repr(float(scale)), repr(float(aqed)), "0")]
    pdg = _record_pdg(batch)[sl]
    for j, key in enumerate(_RECORD):
        p = np.asarray(getattr(batch, key), dtype=np.float64)[sl]
        mo1, mo2 = _LHE_MOTHERS[j]
        life = life_mm[sl] if j == 4 else "0"
        lines.append(num(pdg[:, j], f"{_LHE_STATUS[j]} {mo1} {mo2} 0 0", p[:, 1], p[:, 2], p[:, 3], p[:, 0],
                         masses[sl, j], life, f"{_LHE_SPIN:.1f}"))
    v = np.concatenate([batch.v_prod[sl], batch.v_decay[sl]], axis=1) * _M_TO_MM
    lines.append(num("# mudump_vertices_mm", *(v[:, c] for c in range(8))))
    lines.append("</event>")
    return _join_lines(lines, k)


def write_lhe(batch: EventBatch, path) -> Path:
    """Write ``batch`` as a Les Houches Event file (LHE 3.0); return the path.

    The ``<header>`` and ``<init>`` blocks are serialised by pylhe; the events are formatted
    column-wise (:func:`_text_columns`, vectorised) in the same layout (pylhe and HepMC3's LHEF reader read the file back). A ``.gz`` suffix
    gzip-compresses the file (level 6, zero mtime, so the bytes are deterministic).
    Units: GeV and mm. Beams: A = muon (``pdg_mu``, energy ``meta["beam_energy_GeV"]`` if given,
    else the largest incoming-muon energy of the batch), B = nucleus (``pdg_nucleus``) at rest
    (energy = its mass); no PDFs (0). Weighting strategy IDWTUP = +4 (weighted events, XWGTUP
    passed on as is; -4 if any weight is negative); one process (LPRUP = 1) with XSECUP = sum of
    weights, XERRUP = its Monte Carlo error (:func:`mudump.events.batch.total_error`), XMAXUP = largest |weight| -- all in **expected
    events**, not pb (so noted in the header). Per event (XWGTUP = weight, SCALUP = m_S in GeV,
    AQEDUP = alpha, AQCDUP = 0), lines: 1 muon and 2 nucleus in (status -1), 3 muon and 4 nucleus
    out (status 1, mothers 1 2), 5 S (status 2, mothers 1 2, VTIMUP = its proper decay length c tau
    in mm), 6 d1 and 7 d2 (status 1, mothers 5 5); no colour, SPINUP = 9; M = the generated masses
    of :func:`write_hepmc3`. Real numbers are the shortest decimals that read back to the same
    doubles (exact round trip). The
    production and decay vertices (x, y, z, c t in mm), which LHE has no field for, follow the
    particles as a comment line ``# mudump_vertices_mm xp yp zp ctp xd yd zd ctd``. The run
    metadata are in the header: ``<mudump>`` with ``key = value`` lines and ``<mudump_json>``.
    """
    n = _check_batch(batch)
    path = Path(path)
    w = np.asarray(batch.weight, dtype=np.float64)
    totals = (float(w.sum()), float(np.sum(w * w)), float(np.max(np.abs(w))) if n else 0.0, bool(n and np.any(w < 0)),
              float(np.max(np.asarray(batch.mu_in)[:, 0])) if n else 0.0)
    head = _lhe_head(batch, totals)
    masses = _record_masses(batch)
    life = _proper_decay_length_mm(batch)

    def write_all(out) -> None:
        out.write(head.encode("utf-8"))
        _write_blocks(out, lambda sl: _lhe_events(batch, sl, masses, life, scale=float(batch.mass_s_GeV),
                                                   aqed=_alpha()), n)
        out.write(b"</LesHouchesEvents>\n")

    with _atomic_path(path) as tmp, open(tmp, "wb") as raw:
        if path.name.lower().endswith(".gz"):
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as gz:
                write_all(gz)
        else:
            write_all(raw)
    return path


def _alpha() -> float:
    from ..constants import ALPHA

    return float(ALPHA)


def _lhe_head(batch: EventBatch, totals) -> str:
    """The LHE text up to the first event: header and init blocks; ``totals`` = (sum of the
    weights, sum of their squares, largest |weight|, any negative weight, largest incoming
    energy) of the whole file."""
    import pylhe

    sum_w, sum_w2, max_w, negative, e_max = totals
    meta = _run_metadata(batch, units="GeV, mm")
    meta["weight_units"] = "expected events (XWGTUP, XSECUP, XERRUP, XMAXUP are not in pb)"
    e_beam = float(batch.meta["beam_energy_GeV"]) if "beam_energy_GeV" in batch.meta else e_max
    err = error_from_sums(sum_w, sum_w2, batch.meta.get("n_generated", 0))
    init = pylhe.LHEInit(
        initInfo=pylhe.LHEInitInfo(
            beamA=int(batch.pdg_mu), beamB=int(batch.pdg_nucleus),
            energyA=e_beam, energyB=float(batch.mass_nucleus_GeV),
            PDFgroupA=0, PDFgroupB=0, PDFsetA=0, PDFsetB=0,
            weightingStrategy=-4 if negative else 4, numProcesses=1),
        procInfo=[pylhe.LHEProcInfo(xSection=sum_w, error=err, unitWeight=max_w, procId=_LHE_PROCESS_ID)],
        generators=[pylhe.LHEGenerator(
            name="mudump", version=str(meta.get("mudump_version", _mudump_version())),
            description="dark scalars at muon beam dumps")],
    )
    fmt = _lhe_format()
    return ('<LesHouchesEvents version="3.0">\n'
            "<!-- mudump signal events mu N -> mu N S, S -> d1 d2; weights in expected events -->\n"
            + _lhe_header(meta).tolhe(lheformat=fmt) + "\n"
            + init.tolhe(lheformat=fmt) + "\n"
            + "<!-- init: XSECUP = sum of the weights = expected signal events of the run (not a cross "
              "section in pb), XERRUP = its Monte Carlo error, XMAXUP = the largest weight -->\n")


# ---------------------------------------------------------------------------------------------
# dispatch


def _format_of(path: Path) -> str:
    name = path.name.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return SUFFIXES[suffix]
    allowed = ", ".join(SUFFIXES)
    raise ConfigError(f"output file {str(path)!r} has an unknown suffix {''.join(path.suffixes) or '(none)'!r}; "
                      f"allowed suffixes: {allowed}")


def write_events(batch: EventBatch, path) -> Path:
    """Write ``batch`` in the format the suffix of ``path`` names; return the path.

    ``.parquet`` -> :func:`write_parquet` (GeV, m); ``.hepmc`` / ``.hepmc3`` ->
    :func:`write_hepmc3` (GeV, mm); ``.lhe`` / ``.lhe.gz`` -> :func:`write_lhe` (GeV, mm);
    ``.root`` -> :func:`write_root` (GeV, m). Weights
    are in expected events. Any other suffix raises :class:`mudump.errors.ConfigError`.
    """
    path = Path(path)
    fmt = _format_of(path)
    if fmt == "root":
        require("root", "uproot")
    else:
        require("events", "pyarrow", *{"hepmc3": ("pyhepmc",), "lhe": ("pylhe",)}.get(fmt, ()))
    writer = {"parquet": write_parquet, "hepmc3": write_hepmc3, "lhe": write_lhe, "root": write_root}[fmt]
    return writer(batch, path)


def write_event_stream(chunks, path) -> tuple[Path, dict]:
    """Write the batches of an iterator (the chunks of one run, in order:
    :func:`mudump.events.generator.generate_chunks`) to one file in the format the suffix of
    ``path`` names, holding one chunk in memory at a time; return the path and a summary
    (``written`` events, ``sum_weights``, ``sum_weights2``). The file has the same content as
    :func:`write_events` of the concatenated batch (HepMC3 and LHE: the same bytes; Parquet:
    the same columns and metadata, one row group per chunk).

    Parquet: the derived columns left out are those the first non-empty chunk allows (every
    later chunk is checked against them); the masses table of the metadata is completed at the
    end. LHE: its init block needs the totals, so the events go to a temporary file first and
    are appended after the header (the disk holds the file twice for a moment)."""
    path = Path(path)
    fmt = _format_of(path)
    chunks = iter(chunks)
    return {"parquet": _stream_parquet, "hepmc3": _stream_hepmc3, "lhe": _stream_lhe, "root": _stream_root}[fmt](chunks, path)


def _stream_parquet(chunks, path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    summary = _new_summary()
    run = _ColumnarChunks(chunks)
    writer = dropped = meta = None
    with _atomic_path(path) as tmp:
        try:
            for batch, m in run:
                if writer is None:
                    cols, dropped = _parquet_columns(batch, m)
                    meta = m
                else:
                    cols, ok = _parquet_columns(batch, m)
                    if not set(dropped) <= set(ok):
                        raise ValueError("a chunk breaks a relation of PARQUET_DERIVED: write the batch with write_parquet")
                    cols = {k: v for k, v in _full_columns(batch).items() if k not in dropped}
                cols["event"] = cols["event"] + summary["written"]
                table = pa.table(cols)
                if writer is None:
                    reals = [k for k, v in cols.items() if v.dtype.kind == "f"]
                    writer = pq.ParquetWriter(
                        tmp, table.schema, compression="zstd", use_dictionary=["d1_pdgid", "d2_pdgid"],
                        column_encoding={"event": "DELTA_BINARY_PACKED", **{k: "BYTE_STREAM_SPLIT" for k in reals}})
                writer.write_table(table)
                _tally(summary, batch)
            if writer is None:  # no event at all: the one-batch writer makes the empty file
                write_parquet(run.first_chunk(), tmp)
            else:
                meta["masses_GeV"] = run.masses_json()
                meta["derived_columns"] = {name: PARQUET_DERIVED[name] for name in dropped}
                writer.add_key_value_metadata({"mudump": _meta_json(meta)})
        finally:
            if writer is not None:
                writer.close()
    return path, summary


class _ColumnarChunks:
    """The chunks of a columnar stream (Parquet, ROOT): iterating checks each chunk, keeps the
    first one and the masses table of all seen so far, and yields (chunk, run metadata) for the
    non-empty ones, the metadata's masses table being that of the chunks up to this one."""

    def __init__(self, chunks):
        self.chunks, self.first = chunks, None
        self.masses: dict[int, float] = {}

    def __iter__(self):
        for batch in self.chunks:
            _check_batch(batch)
            if self.first is None:
                self.first = batch
            for k, v in _mass_table(batch).items():
                self.masses.setdefault(k, v)
            if len(batch):
                yield batch, self.metadata(batch)

    def masses_json(self) -> dict:
        return {str(k): v for k, v in sorted(self.masses.items())}

    def metadata(self, batch) -> dict:
        m = _run_metadata(batch, units="GeV, m")
        m["masses_GeV"] = self.masses_json()
        return m

    def first_chunk(self):
        """The first chunk (ValueError if there was none)."""
        if self.first is None:
            raise ValueError("no chunk to write")
        return self.first


def _new_summary() -> dict:
    """What a streamed writer reports: events written, the sum of weights and of their squares."""
    return {"written": 0, "sum_weights": 0.0, "sum_weights2": 0.0}


def _tally(summary: dict, batch) -> None:
    """Add a written chunk to ``summary`` (:func:`_new_summary`)."""
    w = np.asarray(batch.weight, dtype=np.float64)
    summary["written"] += len(w)
    summary["sum_weights"] += float(w.sum())
    summary["sum_weights2"] += float((w * w).sum())


def _stream_hepmc3(chunks, path: Path):
    import pyhepmc

    summary = _new_summary()
    end = "HepMC::Asciiv3-END_EVENT_LISTING"
    with _atomic_path(path) as tmp:
        out = None
        try:
            for batch in chunks:
                n = _check_batch(batch)
                if out is None:
                    writer = pyhepmc.io.WriterAscii(str(tmp), _hepmc_run_info(batch))  # header and run info only
                    writer.close()
                    head = Path(tmp).read_text(encoding="utf-8")
                    out = open(tmp, "wb")
                    out.write(head[: head.rindex(end)].encode("utf-8"))
                masses, pdg, first = _record_masses(batch), _record_pdg(batch), summary["written"]
                _write_blocks(out, lambda sl, b=batch, m=masses, p=pdg, f=first: _hepmc_events(b, sl, m[sl], p[sl], f), n)
                _tally(summary, batch)
            if out is None:
                raise ValueError("no chunk to write")
            out.write((end + "\n\n").encode("utf-8"))
        finally:
            if out is not None:
                out.close()
    return path, summary


def _stream_lhe(chunks, path: Path):
    import shutil

    summary = _new_summary()
    max_w, negative, e_max, first = 0.0, False, 0.0, None
    body = path.with_name(f".tmp-{os.getpid()}-body-{path.name}.part")
    try:
        with open(body, "wb") as out:
            for batch in chunks:
                n = _check_batch(batch)
                first = batch if first is None else first
                masses, life = _record_masses(batch), _proper_decay_length_mm(batch)
                _write_blocks(out, lambda sl, b=batch, m=masses, lf=life: _lhe_events(
                    b, sl, m, lf, scale=float(b.mass_s_GeV), aqed=_alpha()), n)
                _tally(summary, batch)
                w = np.asarray(batch.weight, dtype=np.float64)
                if n:
                    max_w = max(max_w, float(np.max(np.abs(w))))
                    negative = negative or bool(np.any(w < 0))
                    e_max = max(e_max, float(np.max(np.asarray(batch.mu_in)[:, 0])))
        if first is None:
            raise ValueError("no chunk to write")
        head = _lhe_head(first, (summary["sum_weights"], summary["sum_weights2"], max_w, negative, e_max))
        with _atomic_path(path) as tmp, open(tmp, "wb") as raw, open(body, "rb") as events:
            def write_all(out):
                out.write(head.encode("utf-8"))
                shutil.copyfileobj(events, out, 1 << 22)
                out.write(b"</LesHouchesEvents>\n")

            if path.name.lower().endswith(".gz"):
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as gz:
                    write_all(gz)
            else:
                write_all(raw)
    finally:
        with contextlib.suppress(FileNotFoundError):
            body.unlink()
    return path, summary


# ---------------------------------------------------------------------------------------------
# ROOT


#: Name of the TTree and of the TObjString with the run metadata in a ROOT file.
ROOT_TREE = "events"
ROOT_META = "mudump_meta"


def _root_columns(batch: EventBatch, meta: dict, dropped=None) -> tuple[dict, list[str]]:
    """Every column of :data:`PARQUET_COLUMNS`: those the Parquet file stores in its dtypes,
    and the derived ones rebuilt from them exactly as :func:`read_parquet` does (float64)."""
    if dropped is None:
        cols, dropped = _parquet_columns(batch, meta)
    else:
        cols, ok = _parquet_columns(batch, meta)
        if len(batch) and not set(dropped) <= set(ok):
            raise ValueError("a chunk breaks a relation of PARQUET_DERIVED")
        cols = {k: v for k, v in _full_columns(batch).items() if k not in dropped}
    rebuilt = _derive(cols, meta) if dropped else {}
    out = {name: (cols[name] if name in cols else np.asarray(rebuilt[name], dtype=np.float64)) for name in PARQUET_COLUMNS}
    return out, dropped


def write_root(batch: EventBatch, path) -> Path:
    """Write ``batch`` as a ROOT file (flat TTree ``events``, uproot); return the path.

    Branches: the columns of :data:`PARQUET_COLUMNS` with the Parquet file's names (units in the
    names: GeV, metres, expected events) and dtypes (float32 momenta and positions, float64
    ``weight`` and nucleus energies and the derived columns, int64 ``event``, int32 PDG IDs),
    so ``events->Draw("S_E_GeV", "weight")`` works as is. The derived columns hold exactly what
    :func:`read_parquet` rebuilds, so the tree equals ``read_parquet(file.parquet)`` column by
    column. The run metadata (as in the Parquet file) are JSON in the TObjString
    ``mudump_meta``."""
    return _stream_root(iter([batch]), Path(path))[0]


def _stream_root(chunks, path: Path):
    try:
        import uproot
    except ImportError:
        raise ConfigError("writing .root files needs uproot: pip install 'mudump[root]'") from None

    summary = _new_summary()
    run = _ColumnarChunks(chunks)
    tree = dropped = meta = None
    with _atomic_path(path) as tmp:
        with uproot.recreate(tmp) as f:
            for batch, m in run:
                cols, dropped = _root_columns(batch, m, dropped)
                meta = meta or m
                cols["event"] = cols["event"] + summary["written"]
                if tree is None:
                    tree = f.mktree(ROOT_TREE, {k: v.dtype for k, v in cols.items()},
                                    title="mudump signal events (GeV, m, expected events)")
                tree.extend(cols)
                _tally(summary, batch)
            first = run.first_chunk()
            if tree is None:  # no event: an empty tree with every column
                meta = run.metadata(first)
                cols = {k: v[:0] for k, v in _root_columns(first, meta)[0].items()}
                f.mktree(ROOT_TREE, {k: v.dtype for k, v in cols.items()}, title="mudump signal events (GeV, m)")
                dropped = []
            meta["masses_GeV"] = run.masses_json()
            meta["derived_columns"] = {name: PARQUET_DERIVED[name] for name in dropped}
            f[ROOT_META] = _meta_json(meta)

    return path, summary

