"""A damaged cache never stops mudump: bad entries are reported once, removed and rebuilt; an
unusable cache directory is replaced by a temporary one; leftovers of killed runs are cleaned.

The tests run as root in CI containers, and root ignores permission bits, so a read-only cache
directory is simulated by paths that refuse writes to everyone: /proc (a directory in which no
file can be created) and a path below a regular file (mkdir fails with ENOTDIR).
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings

import numpy as np
import pytest

from mudump import cache, cli
from mudump.cache import CacheWarning
from mudump.production import tables as tables_mod

ARGS = (0.03, "W", 3.0, 1.5, "ww", "mu", 0.0)  # a WW table: about 10 ms to compute


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MUDUMP_CACHE_DIR", str(tmp_path / "cache"))
    tables_mod.production_table.cache_clear()
    yield tmp_path / "cache"
    tables_mod.production_table.cache_clear()


def _entry(tmp_cache):
    files = list((tmp_cache / "production").glob("*.npz"))
    assert len(files) == 1
    return files[0]


def _build_and_damage(tmp_cache, damage):
    t1 = tables_mod.production_table(*ARGS)
    path = _entry(tmp_cache)
    damage(path)
    tables_mod.production_table.cache_clear()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        t2 = tables_mod.production_table(*ARGS)
    assert np.array_equal(t1.weight, t2.weight) and np.array_equal(t1.e_s, t2.e_s)
    # the entry was rewritten and now reads back without any warning
    tables_mod.production_table.cache_clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t3 = tables_mod.production_table(*ARGS)
    assert np.array_equal(t1.weight, t3.weight)
    return rec, path


def test_truncated_entry_is_rebuilt(tmp_cache):
    rec, path = _build_and_damage(tmp_cache, lambda p: os.truncate(p, p.stat().st_size // 2))
    assert len(rec) == 1 and "is damaged" in str(rec[0].message) and str(path) in str(rec[0].message)


def test_emptied_entry_is_rebuilt(tmp_cache):
    rec, _ = _build_and_damage(tmp_cache, lambda p: os.truncate(p, 0))
    assert len(rec) == 1 and "is empty" in str(rec[0].message)


def _rewrite(path, **changes):
    with np.load(path) as f:
        data = {k: np.array(f[k]) for k in f.files}
    data.update(changes)
    np.savez(path, **data)


def test_nan_in_entry_is_rebuilt(tmp_cache):
    def poison(p):
        with np.load(p) as f:
            w = np.array(f["weight"])
        w[w.shape[0] // 2, 0] = np.nan
        _rewrite(p, weight=w)

    rec, _ = _build_and_damage(tmp_cache, poison)
    assert len(rec) == 1 and "NaN or inf in 'weight'" in str(rec[0].message)


def test_entry_with_another_inputs_key_is_rebuilt(tmp_cache):
    """A file holding another table (another mass) under this table's name is not used."""
    other = tables_mod.compute_table(0.05, "W", 3.0, 1.5, "ww")
    wrong_key = tables_mod._key(0.05, "W", 3.0, "ww", "mu", "tsai")

    def swap(p):
        _rewrite(p, _key=np.array(wrong_key), m_S=np.array(other.m_S), z=other.z, e_mu=other.e_mu,
                 e_s=other.e_s, weight=other.weight)

    rec, _ = _build_and_damage(tmp_cache, swap)
    assert len(rec) == 1 and "written for other inputs" in str(rec[0].message)


def test_inconsistent_shapes_are_rebuilt(tmp_cache):
    rec, _ = _build_and_damage(tmp_cache, lambda p: _rewrite(p, z=np.zeros(3)))
    assert len(rec) == 1 and "'e_mu'" in str(rec[0].message)


def _unusable_dir_falls_back(monkeypatch, configured, match):
    monkeypatch.setenv("MUDUMP_CACHE_DIR", str(configured))
    monkeypatch.setattr(cache, "_resolved", {})  # a new process as far as the cache is concerned
    with pytest.warns(CacheWarning, match=match) as rec:
        d = cache.cache_dir()
        assert cache.cache_dir() == d  # decided once for the process: one warning
        assert cache.subdir("production") == d / "production"
    assert len(rec) == 1
    assert d != configured and d.is_dir()
    (d / "probe").write_text("ok")  # really writable


def test_cache_dir_that_is_a_file(tmp_path, monkeypatch):
    f = tmp_path / "not-a-dir"
    f.write_text("x")
    _unusable_dir_falls_back(monkeypatch, f, "is unusable \\(it is not a directory\\)")


def test_cache_dir_that_cannot_be_created(tmp_path, monkeypatch):
    f = tmp_path / "file"
    f.write_text("x")
    _unusable_dir_falls_back(monkeypatch, f / "cache", "cannot create it")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc as a directory nobody can write in")
def test_read_only_cache_dir(monkeypatch):
    # /proc refuses new files even to root (a chmod'ed directory would not stop root)
    _unusable_dir_falls_back(monkeypatch, "/proc", "cannot write in it")


def test_subdirectory_that_is_a_file(tmp_cache):
    tmp_cache.mkdir(parents=True)
    (tmp_cache / "production").write_text("x")
    with pytest.warns(CacheWarning, match="cache subdirectory .*production is unusable"):
        t = tables_mod.production_table(*ARGS)
    assert t.total > 0


def test_stale_temporary_files_are_removed(tmp_cache):
    prod = tmp_cache / "production"
    prod.mkdir(parents=True)
    old, fresh, entry = prod / "a.123.456.tmp.npz", prod / "b.124.457.tmp.npz", prod / "c.npz"
    old_sum = tmp_cache / "mulder" / "t.pumas.sha256.789.tmp"
    old_sum.parent.mkdir()
    for p in (old, fresh, entry, old_sum):
        p.write_bytes(b"x")
    past = time.time() - cache.STALE_TMP_SECONDS - 60
    for p in (old, entry, old_sum):
        os.utime(p, (past, past))
    cache.cache_dir()  # the first use of a cache directory in a process cleans it
    assert not old.exists() and not old_sum.exists()
    assert fresh.exists()  # could be a live writer's
    assert entry.exists()  # entries are never removed for their age


def test_save_failure_keeps_the_result(tmp_cache, monkeypatch):
    """A write that fails (here: the rename, as on a full or read-only file system) is one
    warning; the computed table is still returned and no temporary file is left."""

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache.os, "replace", refuse)
    with pytest.warns(CacheWarning, match="cannot write cache entry .*No space left"):
        t = tables_mod.production_table(*ARGS)
    assert t.total > 0
    assert list((tmp_cache / "production").iterdir()) == []


# --- the ETL/WW ratio tables (a fake, fast computation: the cache handling is what is tested) ---


@pytest.fixture
def fake_ratio(monkeypatch):
    from mudump.production import etl_table

    calls = []

    def compute(nuc, m_l, form_factor="tsai", progress=None, slices=None, kind="scalar"):
        calls.append((nuc.symbol, tuple(slices)))
        return np.ones((etl_table.GRID_LN_M.size, etl_table.GRID_EPS.size, etl_table.GRID_V.size))

    monkeypatch.setattr(etl_table, "compute_ratio", compute)
    etl_table._table.cache_clear()
    yield calls
    etl_table._table.cache_clear()


def test_damaged_etl_entry_is_rebuilt(tmp_cache, fake_ratio):
    """An unshipped table is cached one entry per mass slice; a damaged slice is reported,
    removed and recomputed, the others are read back."""
    from mudump.constants import M_MU
    from mudump.production import etl_table
    from mudump.production.formfactors import nucleus

    au = nucleus("Au")  # not shipped: cached
    etl_table.ratio_table(au, M_MU).ensure([0, 1])
    assert fake_ratio == [("Au", (0, 1))]
    paths = sorted((tmp_cache / "etl").glob("*.npz"))
    assert len(paths) == 2
    os.truncate(paths[0], paths[0].stat().st_size - 10)
    etl_table._table.cache_clear()
    with pytest.warns(CacheWarning, match="is damaged"):
        table = etl_table.ratio_table(au, M_MU)
    table.ensure([0, 1])
    assert fake_ratio == [("Au", (0, 1)), ("Au", (0,))]
    etl_table._table.cache_clear()
    etl_table.ratio_table(au, M_MU).ensure([0, 1])  # read back, not recomputed
    assert len(fake_ratio) == 2


def test_etl_slice_written_for_other_inputs_is_rebuilt(tmp_cache, fake_ratio):
    """A slice entry holds the key of its inputs (nucleus, grid, slice index...): copied under
    another slice's name it is refused and recomputed."""
    from mudump.constants import M_MU
    from mudump.production import etl_table
    from mudump.production.formfactors import nucleus

    au = nucleus("Au")
    etl_table.ratio_table(au, M_MU).ensure([0])
    (path,) = (tmp_cache / "etl").glob("*.npz")
    other = path.with_name(path.name.replace("-m00", "-m01"))
    other.write_bytes(path.read_bytes())
    etl_table._table.cache_clear()
    with pytest.warns(CacheWarning, match="other inputs"):
        etl_table.ratio_table(au, M_MU).ensure([1])
    assert fake_ratio[-1] == ("Au", (1,))


# --- through the command line: one warning line, exit 0, never a traceback ---

REACH = ["reach", "fnal-mu", "--model", "A", "--method", "ww", "--n-masses", "2", "--mass-min", "0.01",
         "--mass-max", "0.02", "--n-couplings", "5", "--json"]


def _run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    out, err = capsys.readouterr()
    return exc.value.code, out, err


@pytest.mark.parametrize("damage", ["truncate", "empty", "nan"])
def test_cli_damaged_entry_is_one_warning_line(tmp_cache, capsys, damage):
    code, good, err = _run(REACH, capsys)
    assert (code, err) == (0, "")
    path = sorted((tmp_cache / "production").glob("*.npz"))[0]
    if damage == "truncate":
        os.truncate(path, 100)
    elif damage == "empty":
        os.truncate(path, 0)
    else:
        with np.load(path) as f:
            w = np.array(f["weight"])
        w[0, 0] = np.inf
        _rewrite(path, weight=w)
    tables_mod.production_table.cache_clear()
    code, out, err = _run(REACH, capsys)
    assert code == 0 and json.loads(out) == json.loads(good)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: cache entry ") and "rebuilding" in lines[0]
    assert "Traceback" not in err


@pytest.mark.parametrize("where", ["file", "below-a-file", "proc"])
def test_cli_unusable_cache_dir_is_one_warning_line(tmp_path, monkeypatch, capsys, where):
    if where == "proc" and not sys.platform.startswith("linux"):
        pytest.skip("uses /proc as a directory nobody can write in")
    f = tmp_path / "file"
    f.write_text("x")
    configured = {"file": f, "below-a-file": f / "cache", "proc": "/proc"}[where]
    monkeypatch.setenv("MUDUMP_CACHE_DIR", str(configured))
    monkeypatch.setattr(cache, "_resolved", {})  # a new process as far as the cache is concerned
    tables_mod.production_table.cache_clear()
    code, out, err = _run(REACH, capsys)
    tables_mod.production_table.cache_clear()
    assert code == 0 and json.loads(out)["masses_GeV"] == [0.01, 0.02]
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"warning: cache directory {configured} is unusable")


# --- mulder's compiled energy-loss tables ---


@pytest.mark.slow
def test_damaged_mulder_table_is_rebuilt(tmp_path, monkeypatch):
    """Overwriting 400 bytes inside the file mulder 0.3.7 writes for Al (size unchanged) makes
    mulder return NaN stopping powers without complaint (found by experiment); mudump notices
    the file no longer matches the SHA-256 it recorded, removes it and has it rebuilt."""
    from mudump.materials import EnergyLoss, get_material

    monkeypatch.setenv("MUDUMP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "_resolved", {})
    al = get_material("Al")
    good = float(EnergyLoss(al).dEdz(3.0))
    (table,) = (tmp_path / "cache" / "mulder").rglob("*.pumas")
    raw = bytearray(table.read_bytes())
    raw[1000:1400] = b"\xff" * 400
    table.write_bytes(bytes(raw))
    with pytest.warns(CacheWarning, match="energy-loss table for Al\\) is damaged"):
        again = float(EnergyLoss(al).dEdz(3.0))
    assert again == good  # same PUMAS computation, same file contents


def test_edited_constants_are_not_used(tmp_path):
    """The cached constants table (mudump.constants) carries the SHA-256 of its values: edited by
    hand (M_MU = 0.2), it is recomputed from scipy and particle with one warning line, never used."""
    import json
    import subprocess
    import sys

    env = {**os.environ, "MUDUMP_CACHE_DIR": str(tmp_path)}
    code = "from mudump import constants; print(repr(constants.M_MU))"
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    (path,) = tmp_path.glob("constants-*.json")
    doc = json.loads(path.read_text())
    doc["M_MU"] = 0.2
    path.write_text(json.dumps(doc))
    cmd = [sys.executable, "-m", "mudump.cli", "decay", "B", "--mass", "0.3", "--coupling", "1e-3", "--json"]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "physical constants) was edited or damaged" in run.stderr and run.stderr.count("\n") == 1
    again = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert again.stdout == first.stdout and float(again.stdout) != 0.2 and again.stderr == ""


def test_full_disk_is_reported_once(tmp_cache, monkeypatch):
    """Every write fails on a full disk: one warning line for the directory, not one per entry
    (99 ETL slices once gave 99 identical lines)."""
    import warnings

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache.os, "replace", refuse)
    d = tmp_cache / "many"
    d.mkdir(parents=True)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for i in range(99):
            assert cache.save(d / f"e{i}.npz", "k", {"a": np.ones(3)}) is False
    assert [str(w.message).count("No space left") for w in seen] == [1]
    assert list(d.iterdir()) == []


def _damage_keeping_checksum(directory, how):
    """Damage mulder's table files under ``directory`` and record the damaged file's SHA-256, as
    if the checksum had been taken of an already damaged file."""
    import hashlib
    import random

    files = sorted(directory.rglob("*.pumas"))
    assert files
    for f in files:
        b = bytearray(f.read_bytes())
        if how == "overwrite":  # the middle of the file: PUMAS crashes on it (segmentation fault)
            rng = random.Random(1)
            for i in range(64, len(b) // 2):
                b[i] = rng.randrange(256)
        else:  # truncated
            b = b[: len(b) // 3]
        f.write_bytes(bytes(b))
        f.with_name(f.name + ".sha256").write_text(hashlib.sha256(bytes(b)).hexdigest() + "\n")


@pytest.mark.parametrize("how", ["overwrite", "truncate"])
def test_damaged_table_with_matching_checksum_does_not_crash(tmp_path, how):
    """A damaged energy-loss table whose recorded SHA-256 matches once crashed the process
    (exit -11): what is loaded is validated (layout, then a trial load in a child), so the table
    is rebuilt with one warning and the numbers are those of an intact table."""
    import subprocess
    import sys

    env = {**os.environ, "MUDUMP_CACHE_DIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "mudump.cli", "material", "W", "--energy", "10", "--json"]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    _damage_keeping_checksum(tmp_path / "mulder", how)
    run = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert run.returncode == 0, (run.returncode, run.stderr[-500:])
    assert run.stdout == first.stdout
    assert "is damaged" in run.stderr and run.stderr.count("\n") == 1, run.stderr
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    assert again.stderr == ""  # rebuilt and recorded


def test_concurrent_builders_leave_a_consistent_table(tmp_path):
    """Two processes building the same material's energy-loss table at once: afterwards the table
    and its checksum agree (no 'damaged, rebuilding' on the next run, no warning in either)."""
    import subprocess
    import sys

    env = {**os.environ, "MUDUMP_CACHE_DIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "mudump.cli", "material", "Cu", "--energy", "10", "--json"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert all(err == "" for _, err in outs), outs
    assert len({out for out, _ in outs}) == 1
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    assert again.stderr == "" and again.stdout == outs[0][0]


@pytest.mark.parametrize("compressed", [False, True])
def test_read_npz_equals_numpy(tmp_path, compressed):
    """cache.read_npz (the entries read in one pass) gives exactly what np.load gives: every
    dtype and shape the entries hold (0-d string key, float and int arrays, empty arrays), and
    a Fortran-ordered array (through numpy's own reader)."""
    from mudump.cache import read_npz

    arrays = {"_key": np.array('{"v": 1}'), "m": np.array(0.25), "a": np.linspace(0, 1, 7), "e": np.zeros((0, 3)),
              "i": np.arange(12, dtype=np.int64).reshape(3, 4), "f": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
              "big": np.ones((5, 2, 3), dtype=">f4")}
    path = tmp_path / "x.npz"
    (np.savez_compressed if compressed else np.savez)(path, **arrays)
    with open(path, "rb") as fh:
        got = read_npz(fh)
    with np.load(path, allow_pickle=False) as ref:
        assert set(got) == set(ref.files)
        for k in ref.files:
            assert got[k].dtype == ref[k].dtype and got[k].shape == ref[k].shape
            assert np.array_equal(got[k], ref[k])
            assert got[k].flags.writeable


def test_read_npz_refuses_damage_and_objects(tmp_path):
    from mudump.cache import read_npz

    path = tmp_path / "x.npz"
    np.savez(path, a=np.arange(100.0))
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with open(path, "rb") as fh, pytest.raises(Exception):  # noqa: B017 - any of zipfile's or numpy's errors
        read_npz(fh)
    np.savez(path, o=np.array([{"x": 1}], dtype=object))
    with open(path, "rb") as fh, pytest.raises(ValueError):
        read_npz(fh)
