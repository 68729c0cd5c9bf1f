"""Dark-bremsstrahlung vertex libraries for Geant4's G4DarkBreM process, sampled from mudump's
exact tree-level (ETL) cross section, and the companion table of total cross sections.

G4DarkBreM (the Geant4 dark-bremsstrahlung process of LDMX-style simulations) does not compute
the kinematics of a dark-brem vertex itself: it reads a library of vertices made at a grid of
incident lepton energies, picks one made at an energy at or below the lepton's, and scales it.
mudump writes that library with unweighted vertices l N -> l N X distributed as the exact
fully differential cross section (:mod:`mudump.events.vertex`: x = E_X/E, the X angle, the
momentum transfer t and the recoil azimuth), for any kind of X (scalar, pseudoscalar, vector,
axial vector) and a muon or electron beam.

CSV layout (G4DarkBreM's ``parse::csv`` in ``src/G4DarkBreM/ParseLibrary.cxx``, the version
with per-element libraries; read at commit 8834b2de of LDMX-Software/G4DarkBreM): one header
line (names are not checked by the reader), then one vertex per line, ten comma-separated
numbers, all in **MeV**, in this order: target Z, incident lepton energy, the recoil lepton's
total energy, px, py, pz, then the total energy, px, py, pz of the recoil lepton + X system
(G4DarkBreM's "center momentum"). The incident lepton moves along +z; the target nucleus,
at rest, takes the rest (its recoil is what the last four columns leave out of the incident
four-momentum). A ``.gz`` suffix gzip-compresses the file, which G4DarkBreM reads as well.

Energy grid (:func:`energy_grid`): by default N energies log-spaced from
THRESHOLD_FACTOR (m_X + m_l) to the beam energy, i.e. a constant ratio
(E_max / E_min)^(1/(N-1)) between neighbours.

Sampling at each energy: a piecewise-constant proposal on LIBRARY_CELLS cells in (u, tau)
(u the position of x in its two-region variable, :func:`mudump.events.generator.x_of_u`;
tau = s/s_end the angle variable over 0 <= theta <= pi), cell weights the ETL
d2sigma/(dx dcos theta) at the cell centres; then t and phi by
:func:`mudump.events.vertex.draw_transfer`. Each proposal has the exact weight
w = dsigma/(dx dcos theta dt dphi) / q; the vertices are unweighted by keeping a proposal with
probability w / w_max. A first pilot run of PILOT proposals teaches the momentum-transfer
proposal where the integrand lies (:func:`_learn_t_factors`); w_max is the PILOT_QUANTILE
quantile of the weights of a second pilot run. A proposal above w_max is kept with probability
1: the fraction of the cross section in the excess of such proposals over w_max is reported
(``overweight_fraction``): it is the relative bias of the unweighting, concentrated where the
weights are largest (measured: a few 1e-4, at most ~1e-3, in the cases of docs/geant4.md). The mean weight of all proposals is a Monte Carlo estimate of the
total cross section (``sigma_mc_pb``), reported next to the one of the table. Memory is flat
in the number of vertices: proposals are drawn, unweighted and written in chunks.

Total cross sections (:func:`cross_section_table`): sigma per atom at unit coupling of X to
the beam lepton, :func:`mudump.production.sigma` with the default method (exact tree level),
in pb and cm^2; G4DarkBreM's built-in total cross section covers only a dark photon, so a
Geant4 process for another X needs this table for its mean free path.

Units: GeV at the API, MeV in the CSV library (G4DarkBreM's unit).
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._checks import check_range
from ..constants import LEPTONS, M2_TO_CM2
from ..errors import ConfigError, DomainError
from ..production import etl
from . import vertex

#: Proposal cells in (u, tau) at each energy.
LIBRARY_CELLS = (48, 32)
#: Proposals of the pilot run that sets the largest weight.
PILOT = 20_000
#: w_max is this quantile of the pilot's weights (the few proposals above it are kept with
#: probability 1: their excess is the reported overweight fraction).
PILOT_QUANTILE = 0.9995
#: Proposals per draw.
CHUNK = 50_000
#: Vertices per job (the unit of work of the threads and of the memory held at once).
VERTEX_CHUNK = 20_000
#: Worker threads (numpy releases the GIL in its kernels).
THREADS = 2
#: x rule of the total cross section: panels x Gauss-Legendre nodes (measured against 4x more
#: nodes: below 1e-4 from threshold to 1e3 GeV).
SIGMA_NODES = (16, 4)
#: Lowest default energy, in units of the threshold m_X + m_l.
THRESHOLD_FACTOR = 1.2
#: Largest incident energy (GeV): the range of the experiment files.
E_MAX_GEV = 1e5
#: The header line of the CSV library (G4DarkBreM's dumpLibrary names).
CSV_HEADER = ("target_Z,incident_energy,recoil_energy,recoil_px,recoil_py,recoil_pz,"
              "centerMomentum_energy,centerMomentum_px,centerMomentum_py,centerMomentum_pz")
#: File suffixes of the library and of the cross-section table.
LIBRARY_SUFFIXES = (".csv", ".csv.gz")
TABLE_SUFFIXES = (".csv",)
_GEV_TO_MEV = 1e3
_M2_TO_PB = 1e40  # 1 pb = 1e-36 cm^2 = 1e-40 m^2


def energy_grid(m_X: float, m_l: float, e_max: float, n: int) -> np.ndarray:
    """``n`` incident energies (GeV) log-spaced from THRESHOLD_FACTOR (m_X + m_l) to e_max."""
    lo = THRESHOLD_FACTOR * (m_X + m_l)
    if not e_max > lo:
        raise DomainError(f"beam_energy_GeV = {e_max:g} must be above {lo:g} GeV "
                          f"({THRESHOLD_FACTOR:g} x (m_X + m_lepton), the lowest energy of the library)")
    return np.geomspace(lo, e_max, int(n)) if n > 1 else np.array([float(e_max)])


def check_energies(energies, m_X: float, m_l: float) -> np.ndarray:
    """The incident energies (GeV), sorted and unique: each above the production threshold
    m_X + m_l and at most E_MAX_GEV."""
    e = np.unique(np.atleast_1d(np.asarray(energies, dtype=float)))
    threshold = m_X + m_l
    for v in e:
        check_range("energy_GeV", v, threshold, E_MAX_GEV, lo_open=True, unit="GeV")
    return e


@dataclass(frozen=True)
class Proposal:
    """The cell proposal at one incident energy (see the module docstring)."""

    E: float
    cum: np.ndarray
    prob: np.ndarray
    vol: np.ndarray
    u_edges: np.ndarray
    tau_edges: np.ndarray
    t_factors: np.ndarray | None = None  # learnt by the pilot run (vertex.draw_transfer's bin_factors)


def _proposal(E, m_X, nuc, m_l, form_factor, kind) -> Proposal:
    from .generator import x_of_u

    nu, nt = LIBRARY_CELLS
    u_edges, tau_edges = np.linspace(0.0, 1.0, nu + 1), np.linspace(0.0, 1.0, nt + 1)
    uc, tc = 0.5 * (u_edges[1:] + u_edges[:-1]), 0.5 * (tau_edges[1:] + tau_edges[:-1])
    x, dxdu = x_of_u(uc[:, None], E, m_X, m_l, 0.0)
    U0, s_end = vertex.s_end(E, x, m_X, m_l)
    theta, dcos_ds = vertex.angle_of_s(s_end * tc[None, :], E, x, U0)
    d2 = etl.d2sigma_dx_dcos(E, np.broadcast_to(x, theta.shape), theta, m_X, nuc, m_l, 1.0, form_factor, kind=kind)
    vol = np.outer(np.diff(u_edges), np.diff(tau_edges)).ravel()
    w = (d2 * dxdu * dcos_ds * s_end).ravel() * vol
    w = np.where(np.isfinite(w) & (w > 0), w, 0.0)
    if not w.sum() > 0:
        raise DomainError(f"energy_GeV = {E:g}: no dark bremsstrahlung of mass_GeV = {m_X:g} at this energy")
    prob = 0.9 * w / w.sum() + 0.1 / w.size  # a defensive part keeps every cell reachable
    cum = np.cumsum(prob)
    return Proposal(float(E), cum / cum[-1], prob, vol, u_edges, tau_edges)


def _draw(P: Proposal, rng, k, m_X, nuc, m_l, form_factor, kind, bins=False):
    """k proposals at energy P.E: (weight in GeV^-2, x, theta, t, phi[, t bin])."""
    from .generator import x_of_u

    nu, nt = LIBRARY_CELLS
    cell = np.minimum(np.searchsorted(P.cum, rng.random(k)), P.cum.size - 1)
    iu, it = np.divmod(cell, nt)
    u = P.u_edges[iu] + rng.random(k) * (P.u_edges[iu + 1] - P.u_edges[iu])
    tau = P.tau_edges[it] + rng.random(k) * (P.tau_edges[it + 1] - P.tau_edges[it])
    E = np.full(k, P.E)
    x, dxdu = x_of_u(u, E, m_X, m_l, 0.0)
    U0, s_end = vertex.s_end(E, x, m_X, m_l)
    theta, dcos_ds = vertex.angle_of_s(s_end * tau, E, x, U0)
    t, phi, ratio, ok, j = vertex.draw_transfer(rng, E, x, theta, m_X, nuc, m_l, form_factor, kind, P.t_factors,
                                                return_bins=True)
    w = ratio * dxdu * dcos_ds * s_end * P.vol[cell] / P.prob[cell]
    w = np.where(ok & np.isfinite(w), w, 0.0)
    return (w, x, theta, t, phi, j) if bins else (w, x, theta, t, phi)


def _learn_t_factors(P: Proposal, w, j) -> Proposal:
    """One adaptation step of the momentum-transfer proposal from a pilot: each bin's height is
    multiplied by the mean weight of the pilot proposals that fell in it over the mean weight
    (clipped to 1/20..20): the proposal moves towards the integrand's average shape."""
    import dataclasses

    n_bins = vertex.T_BINS
    s = np.bincount(j, w, minlength=n_bins)
    c = np.bincount(j, minlength=n_bins)
    mean = w.mean() if w.size and w.mean() > 0 else 1.0
    f = np.where(c > 0, s / np.maximum(c, 1) / mean, 1.0)
    old = np.ones(n_bins) if P.t_factors is None else P.t_factors
    return dataclasses.replace(P, t_factors=old * np.clip(f, 0.05, 20.0))


@dataclass(frozen=True)
class EnergySetup:
    """The learnt proposal and the unweighting threshold at one incident energy."""

    proposal: Proposal
    w_max: float
    pilot_sum: float  # sum of the weights of the second pilot run (GeV^-2)
    pilot_n: int


def prepare_energy(E, m_X, nuc, m_l, kind, rng, form_factor="tsai") -> EnergySetup:
    """The cell proposal at energy E, its momentum-transfer bins learnt from a first pilot run
    of PILOT proposals, and w_max = the PILOT_QUANTILE quantile of the weights of a second one."""
    P = _proposal(E, m_X, nuc, m_l, form_factor, kind)
    pilot = _draw(P, rng, PILOT, m_X, nuc, m_l, form_factor, kind, bins=True)
    P = _learn_t_factors(P, pilot[0], pilot[5])
    w = _draw(P, rng, PILOT, m_X, nuc, m_l, form_factor, kind)[0]
    return EnergySetup(P, float(np.quantile(w, PILOT_QUANTILE)), float(w.sum()), PILOT)


def sample_vertices(S: EnergySetup, n, m_X, nuc, m_l, kind, rng, form_factor="tsai"):
    """``n`` unweighted vertices at the energy of ``S``: (k4, lepton4, stats), the four-momenta
    (GeV) of X and of the recoil lepton in the frame where the incident lepton moves along +z
    (the nucleus at rest), and the sums of the proposals' weights (``sum_w``, GeV^-2), of their
    excess above w_max (``sum_over``) and their number (``n_prop``)."""
    P = S.proposal
    M = etl.components(nuc, form_factor)[0][0]
    parts, made, stats = [], 0, {"sum_w": 0.0, "sum_over": 0.0, "n_prop": 0}
    while made < n:
        k = int(min(CHUNK, max(1000, 1.1 * (n - made) * max(S.pilot_n * S.w_max / max(S.pilot_sum, 1e-300), 1.0))))
        w, x, theta, t, phi = _draw(P, rng, k, m_X, nuc, m_l, form_factor, kind)
        stats["sum_w"] += float(w.sum())
        stats["sum_over"] += float(np.clip(w - S.w_max, 0.0, None).sum())
        stats["n_prop"] += k
        idx = np.flatnonzero(rng.random(k) * S.w_max < w)[: n - made]
        if idx.size:
            phi_S = 2.0 * np.pi * rng.random(idx.size)
            k4, l4, _ = vertex.final_state(np.full(idx.size, float(P.E)), x[idx], theta[idx], t[idx], phi[idx], phi_S,
                                           m_X, m_l, M)
            parts.append((k4, l4))
            made += idx.size
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), stats


def cross_section_table(kind: str, m_X: float, element: str, energies, lepton: str = "mu",
                        form_factor: str = "tsai") -> dict:
    """Total cross section per atom (unit coupling to the beam lepton) at the incident energies
    (GeV): the exact tree-level dsigma/dx (:func:`mudump.production.etl.dsigma_dx`, the direct
    integral of the matrix element, the distribution the library samples; not the tabulated
    ETL/WW ratio, which is less accurate within 2 (m_X + m_l) of threshold) integrated over x
    with SIGMA_NODES Gauss-Legendre panels x nodes in the variable of
    :func:`mudump.events.generator.x_of_u`. Columns ``energy_GeV``, ``sigma_pb``,
    ``sigma_cm2``."""
    from ..constants import GEV2_TO_M2
    from .generator import x_of_u

    e = np.asarray(energies, dtype=float)
    nuc = element_nucleus(element)
    m_l = LEPTONS[lepton]
    gx, gw = np.polynomial.legendre.leggauss(SIGMA_NODES[1])
    panels = SIGMA_NODES[0]
    u = ((np.arange(panels)[:, None] + 0.5 * (1.0 + gx)) / panels).ravel()
    wu = np.tile(0.5 * gw / panels, panels)
    x, dxdu = x_of_u(u[None, :], e[:, None], m_X, m_l, 0.0)
    d = etl.dsigma_dx(e[:, None], x, m_X, nuc, m_l, 1.0, form_factor, kind=kind)
    s = (d * dxdu * wu).sum(-1) * GEV2_TO_M2
    return {"energy_GeV": e, "sigma_pb": s * _M2_TO_PB, "sigma_cm2": s * M2_TO_CM2}


def _suffix_ok(path: Path, suffixes) -> bool:
    name = path.name.lower()
    return any(name.endswith(s) and len(name) > len(s) for s in suffixes)


def element_nucleus(element: str):
    """The nucleus of a chemical element (a library is made for one element: a compound's
    vertices would need one library per element, as G4DarkBreM stores them)."""
    from ..nuclei import nucleus
    from ..errors import UnknownNameError

    try:
        return nucleus(str(element))
    except UnknownNameError:
        raise ConfigError(f"element = {element!r} is not a chemical element symbol (e.g. W, Pb, Cu): "
                          "a library is made for one element") from None


def write_library(path, model, m_X: float, element: str, energies, n: int, *, lepton: str = "mu",
                  seed: int | None = None, form_factor: str = "tsai", table=None, progress=None) -> dict:
    """Write a G4DarkBreM CSV library of ``n`` unweighted vertices at each incident energy
    (GeV) for X of the model's kind and mass m_X (GeV) on ``element``, and (``table``: a path)
    the total cross-section table (:func:`write_cross_section_table`). Returns a summary:
    per energy the Monte Carlo sigma, the unweighting efficiency and the overweight fraction;
    the seed (drawn and recorded when not given). ``progress(done, total)`` after each chunk."""
    from ..models import MASS_RANGE_GEV, get_model

    path = Path(path)
    if not _suffix_ok(path, LIBRARY_SUFFIXES):
        raise ConfigError(f"output = {str(path)!r}: the file name must end in {', '.join(LIBRARY_SUFFIXES)}")
    mdl = get_model(model)
    if lepton not in ("mu", "e"):
        raise ConfigError(f"lepton = {lepton!r} is unknown: allowed mu, e")
    m_l = LEPTONS[lepton]
    m_X = float(check_range("mass_GeV", m_X, *MASS_RANGE_GEV, unit="GeV"))
    nuc = element_nucleus(element)
    energies = check_energies(energies, m_X, m_l)
    n = int(check_range("n", n, 1, 1e8))
    if seed is None:
        import secrets

        seed = secrets.randbits(63)
    Z = int(nuc.Z)
    total = len(energies) * n
    stats = [{"sum_w": 0.0, "sum_over": 0.0, "n_prop": 0} for _ in energies]
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    from concurrent.futures import ThreadPoolExecutor

    def prepare(i):
        return prepare_energy(energies[i], m_X, nuc, m_l, mdl.kind, np.random.default_rng(seeds[i][0]), form_factor)

    quotas = [min(VERTEX_CHUNK, n - a) for a in range(0, n, VERTEX_CHUNK)]
    jobs = [(i, c) for i in range(len(energies)) for c in range(len(quotas))]

    def run(job):
        i, c = job
        k4, l4, st = sample_vertices(setups[i], quotas[c], m_X, nuc, m_l, mdl.kind,
                                     np.random.default_rng(seeds[i][1 + c]), form_factor)
        return i, _csv_rows(Z, energies[i], l4, k4), st

    seeds = [ss.spawn(1 + len(quotas)) for ss in np.random.SeedSequence(int(seed)).spawn(len(energies))]
    try:
        with ThreadPoolExecutor(max_workers=THREADS) as pool, open(tmp, "wb") as raw:
            setups = list(pool.map(prepare, range(len(energies))))
            out = gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) \
                if path.name.lower().endswith(".gz") else raw
            out.write((CSV_HEADER + "\n").encode())
            done, pending, nxt = 0, [], 0
            while nxt < len(jobs) or pending:
                while nxt < len(jobs) and len(pending) < THREADS + 1:  # bounded look-ahead: flat memory
                    pending.append(pool.submit(run, jobs[nxt]))
                    nxt += 1
                i, rows, st = pending.pop(0).result()
                out.write(rows)
                for key in st:
                    stats[i][key] += st[key]
                done += rows.count(b"\n")
                if progress is not None:
                    progress(done, total)
            if out is not raw:
                out.close()
        os.replace(tmp, path)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise
    from ..constants import GEV2_TO_M2

    per_energy = []
    for E, S, st in zip(energies, setups, stats):
        sum_w, n_prop = st["sum_w"] + S.pilot_sum, st["n_prop"] + S.pilot_n
        per_energy.append({"energy_GeV": float(E), "sigma_mc_pb": sum_w / n_prop * GEV2_TO_M2 * _M2_TO_PB,
                           "efficiency": n / st["n_prop"], "overweight_fraction": st["sum_over"] / st["sum_w"]})
    summary = {"output": str(path), "model": mdl.name, "kind": mdl.kind, "mass_GeV": m_X, "element": nuc.symbol,
               "Z": Z, "lepton": lepton, "vertices_per_energy": n, "seed": int(seed), "energies": per_energy}
    if table is not None:
        write_cross_section_table(table, mdl.kind, m_X, nuc.symbol, energies, lepton, form_factor)
        summary["table"] = str(table)
    return summary


def _csv_rows(Z, E, lepton4, x4) -> bytes:
    """The CSV lines (MeV) of a chunk of vertices: Z, E, the recoil lepton, lepton + X."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import io

    cm = lepton4 + x4
    cols = {"Z": np.full(lepton4.shape[0], Z, dtype=np.int32),
            "E": np.full(lepton4.shape[0], float(E) * _GEV_TO_MEV)}
    for name, arr in (("l", lepton4), ("c", cm)):
        for j in range(4):
            cols[f"{name}{j}"] = arr[:, j] * _GEV_TO_MEV
    buf = io.BytesIO()
    pacsv.write_csv(pa.table(cols), buf, pacsv.WriteOptions(include_header=False))
    return buf.getvalue()


def write_cross_section_table(path, kind, m_X, element, energies, lepton="mu", form_factor="tsai") -> Path:
    """The total cross-section table as CSV: a comment header (what, units, source), then
    ``energy_GeV,sigma_pb,sigma_cm2`` per incident energy."""
    from .. import __version__

    path = Path(path)
    if not _suffix_ok(path, TABLE_SUFFIXES):
        raise ConfigError(f"table = {str(path)!r}: the file name must end in {', '.join(TABLE_SUFFIXES)}")
    tab = cross_section_table(kind, m_X, element, energies, lepton, form_factor)
    lines = [f"# mudump {__version__}: total dark-bremsstrahlung cross section per {element} atom, "
             f"{lepton} N -> {lepton} N X, X of kind {kind}, m_X = {m_X!r} GeV, unit coupling to the {lepton}, "
             f"exact tree level (form factor {form_factor})",
             "energy_GeV,sigma_pb,sigma_cm2"]
    lines += [f"{e!r},{p!r},{c!r}" for e, p, c in zip(*(tab[k].tolist() for k in ("energy_GeV", "sigma_pb", "sigma_cm2")))]
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_library(path) -> np.ndarray:
    """Read a CSV library the way G4DarkBreM's ``parse::csv`` does (skip the one header line,
    then exactly ten comma-separated numbers per non-empty line, MeV): an (N, 10) array."""
    path = Path(path)
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    rows = []
    with opener(path, "rt", encoding="utf-8") as fh:
        if not fh.readline():
            raise ValueError("Empty CSV file.")
        for line in fh:
            line = line.rstrip("\n")
            if not line:
                break
            vals = [float(c) for c in line.split(",")]
            if len(vals) != 10:
                raise ValueError("Malformed row in CSV file: not exactly 10 columns")
            rows.append(vals)
    return np.array(rows, dtype=float).reshape(-1, 10)
