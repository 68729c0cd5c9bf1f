"""Round trips of the event-file writers (mudump.events.io) through the reading libraries:
pyarrow.parquet, pyhepmc and pylhe, on a small synthetic but kinematically exact batch."""

from __future__ import annotations

import json

import numpy as np
import pytest

import mudump
from mudump.errors import ConfigError
from mudump.events.batch import EventBatch
from mudump.events.io import (DERIVED_RTOL, PARQUET_COLUMNS, PARQUET_DERIVED, PARQUET_FLOAT64, read_parquet, write_events, write_hepmc3,
                               write_lhe, write_parquet)

import pyarrow as pa  # noqa: E402  (core dependencies: a missing one must fail, not skip)
import pyarrow.parquet as pq  # noqa: E402
import pyhepmc  # noqa: E402
import pylhe  # noqa: E402

M_MU = 0.1056583755  # GeV (PDG, what the writers use as the muon's generated mass)
M_E = 0.00051099895069
M_PB = 193.7  # GeV
PDG_PB = 1000822080
PDG_S = 9000006
M_S = 0.5
N_EVENTS = 50
META = {
    "model": "scalar_mu",
    "mass_GeV": M_S,
    "coupling": 3.0e-4,
    "experiment": "NA64mu",
    "seed": 12345,
    "mudump_version": mudump.__version__,
    "method": "ww",
    "form_factor": "helm",
    "signature": "mu+ mu-",
    "beam_energy_GeV": 160.0,
    "n_mot": np.float64(1e11),  # numpy scalars must be stored as plain numbers
}
FIELDS = ("mu_in", "nucleus_in", "mu_out", "nucleus_out", "s", "d1", "d2")
STATUS_HEPMC = [4, 4, 1, 1, 2, 1, 1]
STATUS_LHE = [-1, -1, 1, 1, 2, 1, 1]


# ---------------------------------------------------------------------------------------------
# a synthetic, exactly on-shell and four-momentum conserving batch


def _mdot(a, b):
    return a[..., 0] * b[..., 0] - np.sum(a[..., 1:] * b[..., 1:], axis=-1)


def _boost(p, beta):
    """Boost four-momenta p (N, 4) from a rest frame into the frame where it moves with beta (N, 3)."""
    b2 = np.sum(beta**2, axis=-1)
    gamma = 1.0 / np.sqrt(1.0 - b2)
    bp = np.sum(beta * p[:, 1:], axis=-1)
    coef = np.where(b2 > 0, (gamma - 1.0) / np.where(b2 > 0, b2, 1.0), 0.0)
    e = gamma * (p[:, 0] + bp)
    vec = p[:, 1:] + (coef * bp + gamma * p[:, 0])[:, None] * beta
    return np.column_stack([e, vec])


def _two_body(parent, m1, m2, rng):
    """Isotropic two-body decay of ``parent`` (N, 4) into masses m1, m2 (N,): lab four-momenta."""
    mp = np.sqrt(_mdot(parent, parent))
    pstar = np.sqrt((mp**2 - (m1 + m2) ** 2) * (mp**2 - (m1 - m2) ** 2)) / (2 * mp)
    cos = rng.uniform(-1, 1, len(mp))
    phi = rng.uniform(0, 2 * np.pi, len(mp))
    sin = np.sqrt(1 - cos**2)
    n = np.column_stack([sin * np.cos(phi), sin * np.sin(phi), cos])
    k1 = np.column_stack([np.sqrt(pstar**2 + m1**2), pstar[:, None] * n])
    k2 = np.column_stack([np.sqrt(pstar**2 + m2**2), -pstar[:, None] * n])
    beta = parent[:, 1:] / parent[:, :1]
    return _boost(k1, beta), _boost(k2, beta)


def make_batch(n=N_EVENTS, seed=7, meta=None) -> EventBatch:
    rng = np.random.default_rng(seed)
    e_mu = 160.0 - rng.uniform(0.0, 5.0, n)  # some energy lost in the target before the vertex
    mu_in = np.column_stack([e_mu, np.zeros(n), np.zeros(n), np.sqrt(e_mu**2 - M_MU**2)])
    nucleus_in = np.tile([M_PB, 0.0, 0.0, 0.0], (n, 1))
    total = mu_in + nucleus_in
    # mu N -> mu X, X -> S N' (sequential two-body decays, so everything is on shell)
    m_x = M_S + M_PB + rng.uniform(0.05, 5.0, n)
    mu_out, x = _two_body(total, np.full(n, M_MU), m_x, rng)
    s, _ = _two_body(x, np.full(n, M_S), np.full(n, M_PB), rng)
    nucleus_out = mu_in + nucleus_in - mu_out - s
    # S -> mu+ mu- in even events, e+ e- in odd ones
    lep = np.where(np.arange(n) % 2 == 0, 13, 11)
    m_lep = np.where(lep == 13, M_MU, M_E)
    d1, d2 = _two_body(s, m_lep, m_lep, rng)
    # vertices (m): production inside the target, decay along the S direction
    z = rng.uniform(0.0, 0.5, n)
    v_prod = np.column_stack([rng.normal(0, 0.01, n), rng.normal(0, 0.01, n), z, z * e_mu / mu_in[:, 3]])
    ctau = rng.exponential(2.0, n)  # proper decay length, m
    pabs = np.linalg.norm(s[:, 1:], axis=1)
    v_decay = np.column_stack([
        v_prod[:, :3] + (ctau / M_S)[:, None] * s[:, 1:],
        v_prod[:, 3] + ctau * s[:, 0] / M_S,
    ])
    assert np.allclose(np.linalg.norm(v_decay[:, :3] - v_prod[:, :3], axis=1), ctau * pabs / M_S)
    batch = EventBatch(
        weight=rng.uniform(1e-3, 1e-1, n) / n,
        mu_in=mu_in, nucleus_in=nucleus_in, mu_out=mu_out, nucleus_out=nucleus_out, s=s, d1=d1, d2=d2,
        v_prod=v_prod, v_decay=v_decay,
        pdg_d1=lep.astype(np.int64), pdg_d2=-lep.astype(np.int64),
        pdg_mu=13, pdg_nucleus=PDG_PB, pdg_s=PDG_S, mass_nucleus_GeV=M_PB, mass_s_GeV=M_S,
        meta=dict(META if meta is None else meta),
    )
    batch._ctau_m = ctau  # truth for the LHE lifetime check (not part of the contract)
    return batch


@pytest.fixture(scope="module")
def batch():
    return make_batch()


def test_synthetic_batch_is_consistent(batch):
    """The test batch itself: on shell, four-momentum conserved at both vertices."""
    scale = batch.mu_in[:, :1] + batch.nucleus_in[:, :1]
    np.testing.assert_allclose((batch.mu_in + batch.nucleus_in - batch.mu_out - batch.nucleus_out - batch.s) / scale,
                               0.0, atol=1e-14)
    np.testing.assert_allclose((batch.s - batch.d1 - batch.d2) / batch.s[:, :1], 0.0, atol=1e-13)
    np.testing.assert_allclose(np.sqrt(_mdot(batch.nucleus_out, batch.nucleus_out)), M_PB, rtol=1e-9)
    np.testing.assert_allclose(np.sqrt(_mdot(batch.s, batch.s)), M_S, rtol=1e-9)
    assert np.all(batch.v_decay[:, 3] > batch.v_prod[:, 3])


def _record(batch, i):
    """Four-momenta (7, 4) and PDG IDs of event i in record order."""
    p = np.array([getattr(batch, f)[i] for f in FIELDS])
    pdg = [batch.pdg_mu, batch.pdg_nucleus, batch.pdg_mu, batch.pdg_nucleus, batch.pdg_s,
           int(batch.pdg_d1[i]), int(batch.pdg_d2[i])]
    return p, pdg


def _check_meta(meta: dict):
    for key in ("model", "mass_GeV", "coupling", "seed", "mudump_version", "experiment", "method"):
        assert meta[key] == META[key], key
    assert meta["n_mot"] == 1e11
    assert meta["pdg_s"] == PDG_S and meta["pdg_nucleus"] == PDG_PB and meta["pdg_mu"] == 13
    assert meta["mass_s_GeV"] == M_S and meta["mass_nucleus_GeV"] == M_PB


# ---------------------------------------------------------------------------------------------
# Parquet


def test_parquet_round_trip(batch, tmp_path):
    path = write_parquet(batch, tmp_path / "ev.parquet")
    table = pq.read_table(path)  # as stored
    assert table.num_rows == len(batch)
    meta = json.loads(table.schema.metadata[b"mudump"])
    derived = meta["derived_columns"]
    # the synthetic batch is exact (on shell, ct = z at the production vertex to 2e-7, S flies at
    # |p|/E): every derivable column is left out, and the file says how to rebuild it
    assert set(derived) == set(PARQUET_DERIVED)
    assert all(derived[k] == PARQUET_DERIVED[k] for k in derived)
    assert [c for c in PARQUET_COLUMNS if c not in derived] == table.column_names
    cols = table.to_pydict()
    np.testing.assert_array_equal(cols["event"], np.arange(len(batch)))
    np.testing.assert_array_equal(cols["weight"], batch.weight)  # exact (stronger than rel 1e-12)
    names = {"mu_in": "mu_in", "nucleus_in": "nucleus_in", "mu_out": "mu_out", "nucleus_out": "nucleus_out",
             "s": "S", "d1": "d1", "d2": "d2"}
    # stored float32 columns hold exactly the float32 rounding of the values (relative 6e-8);
    # rebuilt ones (float64) agree within DERIVED_RTOL = 2^-21 (a few float32 roundings)
    full, meta2 = read_parquet(path)
    assert full.column_names == list(PARQUET_COLUMNS) and meta2 == meta
    fcols = full.to_pydict()
    for field, prefix in names.items():
        for k, comp in enumerate(("E", "px", "py", "pz")):
            name = f"{prefix}_{comp}_GeV"
            want = getattr(batch, field)[:, k]
            if name in derived:
                assert full.schema.field(name).type == pa.float64()
                np.testing.assert_allclose(fcols[name], want, rtol=DERIVED_RTOL, atol=0)
            else:
                assert table.schema.field(name).type == pa.float32()
                np.testing.assert_array_equal(cols[name], want.astype(np.float32))
                np.testing.assert_array_equal(fcols[name], cols[name])
    # the recoil energy (1e-3..1 GeV here, on top of ~194 GeV) survives: rebuilt from float32
    # momenta its relative error is about twice theirs (T = p^2 / 2M), allow 1e-6
    recoil = np.asarray(fcols["nucleus_out_E_GeV"]) - M_PB
    np.testing.assert_allclose(recoil, batch.nucleus_out[:, 0] - M_PB, rtol=1e-6)
    # light products keep their exact mass through the masses_GeV table
    assert meta["masses_GeV"]["11"] == pytest.approx(M_E, rel=1e-12)
    for vkey, prefix in (("v_prod", "prod"), ("v_decay", "decay")):
        for k, comp in enumerate(("x", "y", "z", "ct")):
            name = f"{prefix}_{comp}_m"
            want = getattr(batch, vkey)[:, k]
            if name in derived:
                np.testing.assert_allclose(fcols[name], want, rtol=DERIVED_RTOL, atol=0)
            else:
                assert table.schema.field(name).type == pa.float32()
                np.testing.assert_array_equal(cols[name], want.astype(np.float32))
    assert set(PARQUET_FLOAT64) == {"weight", "nucleus_in_E_GeV", "nucleus_out_E_GeV"}
    assert table.schema.field("weight").type == pa.float64()
    np.testing.assert_array_equal(cols["d1_pdgid"], batch.pdg_d1)
    np.testing.assert_array_equal(cols["d2_pdgid"], batch.pdg_d2)
    assert table.schema.field("event").type == pa.int64()
    assert table.schema.field("d1_pdgid").type == pa.int32()
    # metadata: JSON under b"mudump", also through the package's reader
    _check_meta(meta)
    assert meta["units"] == "GeV, m"
    stored, meta3 = read_parquet(path, derived=False)
    assert meta3 == meta and stored.equals(table)
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"


def test_parquet_keeps_columns_that_do_not_follow(tmp_path):
    """A batch whose c t at production is not its z (a muon that entered 1 m before z = 0) and
    whose outgoing-muon energy is off shell keeps those columns (and the decay c t, whose
    formula reads the production c t) as stored."""
    b = make_batch()
    b.v_prod[:, 3] += 1.0
    b.v_decay[:, 3] += 1.0
    b.mu_out[:, 0] *= 1.001
    path = write_parquet(b, tmp_path / "ev.parquet")
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[b"mudump"])
    kept = {"prod_ct_m", "decay_ct_m", "mu_out_E_GeV"}
    assert kept <= set(table.column_names) and not kept & set(meta["derived_columns"])
    full, _ = read_parquet(path)
    for name, want in (("prod_ct_m", b.v_prod[:, 3]), ("decay_ct_m", b.v_decay[:, 3]), ("mu_out_E_GeV", b.mu_out[:, 0])):
        np.testing.assert_array_equal(full.column(name).to_numpy(), want.astype(np.float32))


def test_parquet_empty_batch(tmp_path):
    empty = make_batch().select(np.zeros(N_EVENTS, dtype=bool))
    table, meta = read_parquet(write_parquet(empty, tmp_path / "empty.parquet"))
    assert table.num_rows == 0 and meta["model"] == "scalar_mu"


# ---------------------------------------------------------------------------------------------
# HepMC3


def _read_hepmc(path):
    with pyhepmc.open(path) as f:
        return list(f)


def test_hepmc3_round_trip(batch, tmp_path):
    path = write_hepmc3(batch, tmp_path / "ev.hepmc3")
    events = _read_hepmc(path)
    assert len(events) == len(batch)
    for i, evt in enumerate(events):
        assert evt.event_number == i
        assert evt.momentum_unit == pyhepmc.Units.GEV and evt.length_unit == pyhepmc.Units.MM
        assert evt.weight_names == ["weight"]
        assert evt.weights[0] == pytest.approx(batch.weight[i], rel=1e-15)
        p_true, pdg_true = _record(batch, i)
        parts = sorted(evt.particles, key=lambda q: q.id)
        assert [q.pid for q in parts] == pdg_true
        assert [q.status for q in parts] == STATUS_HEPMC
        p_read = np.array([[q.momentum.e, q.momentum.px, q.momentum.py, q.momentum.pz] for q in parts])
        np.testing.assert_allclose(p_read, p_true, rtol=1e-15, atol=0)
        m_lep = M_MU if abs(pdg_true[5]) == 13 else M_E
        masses = [q.generated_mass for q in parts]
        assert all(q.is_generated_mass_set() for q in parts)
        np.testing.assert_allclose(masses, [M_MU, M_PB, M_MU, M_PB, M_S, m_lep, m_lep], rtol=2e-9)  # particle < 1.0: m_e = 0.51099895 MeV (1.4e-9 below CODATA)

        # topology and vertex positions (mm)
        assert len(evt.vertices) == 2
        prod = parts[2].production_vertex
        dec = parts[4].end_vertex
        assert sorted(q.id for q in prod.particles_in) == [1, 2]
        assert sorted(q.id for q in prod.particles_out) == [3, 4, 5]
        assert [q.id for q in dec.particles_in] == [5]
        assert sorted(q.id for q in dec.particles_out) == [6, 7]
        pos = prod.position
        np.testing.assert_allclose([pos.x, pos.y, pos.z, pos.t], batch.v_prod[i] * 1e3, rtol=1e-15)
        pos = dec.position
        np.testing.assert_allclose([pos.x, pos.y, pos.z, pos.t], batch.v_decay[i] * 1e3, rtol=1e-15)
        assert not parts[0].parents and not parts[1].parents  # beams: from the event's root vertex
        assert {q.id for q in evt.beams} == {1, 2}

        # four-momentum conservation at both vertices, from what was read back
        for v in (prod, dec):
            pin = np.sum([[q.momentum.e, q.momentum.px, q.momentum.py, q.momentum.pz] for q in v.particles_in], 0)
            pout = np.sum([[q.momentum.e, q.momentum.px, q.momentum.py, q.momentum.pz] for q in v.particles_out], 0)
            np.testing.assert_allclose(pout, pin, rtol=0, atol=1e-9 * pin[0])

    # run metadata: GenRunInfo attributes (strings) and the tool entry
    ri = events[0].run_info
    attrs = {k: v.astype(str) for k, v in ri.attributes.items()}
    assert attrs["model"] == "scalar_mu" and attrs["experiment"] == "NA64mu"
    assert float(attrs["mass_GeV"]) == M_S and float(attrs["coupling"]) == META["coupling"]
    assert int(attrs["seed"]) == 12345 and attrs["mudump_version"] == mudump.__version__
    assert attrs["units"] == "GeV, mm"
    meta = json.loads(attrs["mudump"])
    _check_meta(meta)
    assert [t.name for t in ri.tools] == ["mudump"]
    assert ri.weight_names == ["weight"]


def test_hepmc3_text_has_no_timestamp_and_units(batch, tmp_path):
    text = write_hepmc3(batch, tmp_path / "ev.hepmc").read_text()
    assert text.startswith("HepMC::Version") and "HepMC::Asciiv3-START_EVENT_LISTING" in text
    assert text.count("\nE ") == len(batch)
    assert "U GEV MM" in text
    assert text.rstrip().endswith("HepMC::Asciiv3-END_EVENT_LISTING")


# ---------------------------------------------------------------------------------------------
# LHE


def _read_lhe(path):
    lhef = pylhe.LHEFile.fromfile(path, generator=False)
    return lhef, list(lhef.events)


@pytest.mark.parametrize("name", ["ev.lhe", "ev.lhe.gz"])
def test_lhe_round_trip(batch, tmp_path, name):
    path = write_lhe(batch, tmp_path / name)
    if name.endswith(".gz"):
        assert path.read_bytes()[:2] == b"\x1f\x8b"
    lhef, events = _read_lhe(path)
    assert len(events) == len(batch)
    assert pylhe.LHEFile.count_events(path) == len(batch)

    # <init>: beams, no PDFs, weighted events, one process
    info = lhef.init.initInfo
    assert (info.beamA, info.beamB) == (13, PDG_PB)
    assert info.energyA == 160.0 and info.energyB == M_PB
    assert (info.PDFgroupA, info.PDFgroupB, info.PDFsetA, info.PDFsetB) == (0, 0, 0, 0)
    assert info.weightingStrategy == 4 and info.numProcesses == 1
    proc = lhef.init.procInfo[0]
    assert proc.xSection == pytest.approx(batch.weight.sum(), rel=1e-14)
    assert proc.error == pytest.approx(np.sqrt(np.sum(batch.weight**2)), rel=1e-14)
    assert proc.unitWeight == pytest.approx(batch.weight.max(), rel=1e-15) and proc.procId == 1

    # header: the run metadata, as key = value lines and as JSON
    blocks = {el.tag: el.text for el in lhef.header.extra_elements}
    lines = dict(line.split(" = ", 1) for line in blocks["mudump"].strip().splitlines())
    assert lines["model"] == "scalar_mu" and lines["mudump_version"] == mudump.__version__
    assert float(lines["mass_GeV"]) == M_S and float(lines["coupling"]) == META["coupling"]
    assert int(lines["seed"]) == 12345
    meta = json.loads(blocks["mudump_json"])
    _check_meta(meta)
    assert meta["units"] == "GeV, mm"

    for i, evt in enumerate(events):
        assert evt.eventinfo.nparticles == 7
        assert evt.eventinfo.weight == pytest.approx(batch.weight[i], rel=1e-15)
        p_true, pdg_true = _record(batch, i)
        parts = evt.particles
        assert [q.id for q in parts] == pdg_true
        assert [q.status for q in parts] == STATUS_LHE
        assert [(q.mother1, q.mother2) for q in parts] == [(0, 0), (0, 0), (1, 2), (1, 2), (1, 2), (5, 5), (5, 5)]
        assert [evt.particles.index(m) for m in evt.mothers(parts[5])] == [4, 4]
        assert all(q.spin == 9.0 and q.color1 == 0 and q.color2 == 0 for q in parts)
        p_read = np.array([[q.e, q.px, q.py, q.pz] for q in parts])
        np.testing.assert_allclose(p_read, p_true, rtol=1e-15, atol=0)
        # S lifetime column: the proper decay length c tau in mm; all others 0
        assert parts[4].lifetime == pytest.approx(batch._ctau_m[i] * 1e3, rel=1e-9)
        assert all(q.lifetime == 0.0 for j, q in enumerate(parts) if j != 4)
        assert parts[4].m == M_S and parts[1].m == M_PB
        # vertices in the comment line (mm)
        (comment,) = evt.optional
        tag, *vals = comment.lstrip("#").split()
        assert tag == "mudump_vertices_mm"
        np.testing.assert_allclose(np.array(vals, float),
                                   np.concatenate([batch.v_prod[i], batch.v_decay[i]]) * 1e3, rtol=1e-15)
        # conservation, from what was read back
        pin, pout = p_read[:2].sum(0), p_read[2:5].sum(0)
        np.testing.assert_allclose(pout, pin, rtol=0, atol=1e-9 * pin[0])
        np.testing.assert_allclose(p_read[5] + p_read[6], p_read[4], rtol=0, atol=1e-9 * p_read[4, 0])


def test_lhe_read_by_hepmc3_lhef_reader(batch, tmp_path):
    """A second, independent parser (HepMC3's LHEF reader) sees the same events and topology."""
    path = write_lhe(batch, tmp_path / "ev.lhe")
    with pyhepmc.open(path) as f:
        events = list(f)
    assert len(events) == len(batch)
    for i, evt in enumerate(events):
        assert evt.weights[0] == pytest.approx(batch.weight[i], rel=1e-15)
        parts = sorted(evt.particles, key=lambda q: q.id)
        p_true, pdg_true = _record(batch, i)
        assert [q.pid for q in parts] == pdg_true
        p_read = np.array([[q.momentum.e, q.momentum.px, q.momentum.py, q.momentum.pz] for q in parts])
        np.testing.assert_allclose(p_read, p_true, rtol=1e-15, atol=0)
        assert sorted(q.id for q in parts[4].end_vertex.particles_out) == [6, 7]
        assert sorted(q.id for q in parts[2].production_vertex.particles_in) == [1, 2]


def test_lhe_beam_energy_without_meta(tmp_path):
    meta = {k: v for k, v in META.items() if k != "beam_energy_GeV"}
    b = make_batch(meta=meta)
    lhef, _ = _read_lhe(write_lhe(b, tmp_path / "ev.lhe"))
    assert lhef.init.initInfo.energyA == b.mu_in[:, 0].max()


def test_lhe_negative_weight_strategy(tmp_path):
    b = make_batch()
    b.weight = b.weight.copy()
    b.weight[3] = -b.weight[3]
    lhef, events = _read_lhe(write_lhe(b, tmp_path / "ev.lhe"))
    assert lhef.init.initInfo.weightingStrategy == -4
    assert events[3].eventinfo.weight == b.weight[3]


# ---------------------------------------------------------------------------------------------
# dispatch, determinism, atomicity


@pytest.mark.parametrize("name", ["a.parquet", "a.hepmc", "a.HEPMC3", "a.lhe", "a.lhe.gz"])
def test_write_events_dispatch(batch, tmp_path, name):
    path = write_events(batch, tmp_path / name)
    assert path.exists()
    low = name.lower()
    if low.endswith(".parquet"):
        assert read_parquet(path)[0].num_rows == len(batch)
    elif ".hepmc" in low:
        assert len(_read_hepmc(path)) == len(batch)
    else:
        assert len(_read_lhe(path)[1]) == len(batch)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary file left


@pytest.mark.parametrize("name", ["a.rootx", "a.csv", "a", "a.parquet.gz", "a.hepmc.txt"])
def test_write_events_unknown_suffix(batch, tmp_path, name):
    with pytest.raises(ConfigError) as info:
        write_events(batch, tmp_path / name)
    msg = str(info.value)
    assert "\n" not in msg and ".parquet" in msg and ".hepmc" in msg and ".lhe" in msg
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("writer,name", [(write_parquet, "ev.parquet"), (write_hepmc3, "ev.hepmc"),
                                         (write_lhe, "ev.lhe"), (write_lhe, "ev.lhe.gz")])
def test_deterministic_bytes(writer, name, tmp_path):
    """No timestamps or random ids are embedded: two writes of the same events are byte-identical
    (the gzip header of .lhe.gz carries mtime 0)."""
    a = writer(make_batch(), tmp_path / ("1" + name)).read_bytes()
    b = writer(make_batch(), tmp_path / ("2" + name)).read_bytes()
    assert a == b


def test_malformed_batch_raises(tmp_path):
    b = make_batch()
    b.s = b.s[:, :3]
    with pytest.raises(ValueError, match="EventBatch.s"):
        write_hepmc3(b, tmp_path / "bad.hepmc")
    assert not any(tmp_path.iterdir())


def test_interrupted_write_leaves_old_file(batch, tmp_path, monkeypatch):
    """A write that fails half-way leaves neither a partial file nor a temporary one; an existing
    file of the same name is untouched."""
    path = tmp_path / "ev.parquet"
    path.write_bytes(b"old")

    def broken(table, where, **kw):
        with open(where, "wb") as f:
            f.write(b"PAR1 partial")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        write_parquet(batch, path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["ev.parquet"]


def test_parquet_generated_events_drop_and_rebuild(tmp_path):
    """The generator's events satisfy every relation of PARQUET_DERIVED (on-shell particles,
    ct = z at production, S at |p|/E): all are left out, and read back within DERIVED_RTOL."""
    from mudump.events.generator import generate

    b = generate("fnal-mu", "A", 0.1, 1e-5, 3000, seed=4)
    path = write_parquet(b, tmp_path / "ev.parquet")
    full, meta = read_parquet(path)
    assert set(meta["derived_columns"]) == set(PARQUET_DERIVED)
    checks = {"mu_in_E_GeV": b.mu_in[:, 0], "mu_out_E_GeV": b.mu_out[:, 0], "S_E_GeV": b.s[:, 0],
              "d1_E_GeV": b.d1[:, 0], "d2_E_GeV": b.d2[:, 0], "nucleus_out_E_GeV": b.nucleus_out[:, 0],
              "prod_ct_m": b.v_prod[:, 3], "decay_ct_m": b.v_decay[:, 3]}
    for name, want in checks.items():
        np.testing.assert_allclose(full.column(name).to_numpy(), want, rtol=DERIVED_RTOL, atol=0, err_msg=name)
