"""Events written chunk by chunk: the same files as the one-batch writers, memory flat in the
number of events; the CLI's suffixes, PDG IDs and Monte Carlo error; the LHE init block."""

import filecmp
import re
import gzip
import json
import tracemalloc

import numpy as np
import pytest

import mudump.events.generator as gen
from mudump.events import io as evio
from mudump.events.batch import total_error
from mudump.events.generator import generate, generate_chunks

from .helpers import run_cli as run

ARGS = ("fnal-mu", "A", 0.1, 1e-4)


@pytest.mark.parametrize("suffix", [".hepmc", ".lhe", ".lhe.gz", ".parquet", ".root"])
def test_streamed_file_equals_the_one_batch_file(tmp_path, monkeypatch, suffix):
    monkeypatch.setattr(gen, "CHUNK", 3_000)  # several chunks, the last one short
    b = generate(*ARGS, 10_000, seed=3)
    a, c = tmp_path / f"a{suffix}", tmp_path / f"c{suffix}"
    evio.write_events(b, a)
    _, summary = evio.write_event_stream(generate_chunks(*ARGS, 10_000, seed=3), c)
    assert summary["written"] == len(b)
    assert summary["sum_weights"] == pytest.approx(b.weight.sum(), rel=1e-12)
    if suffix == ".root":
        import uproot

        ra, rc = uproot.open(a), uproot.open(c)
        assert str(ra[evio.ROOT_META]) == str(rc[evio.ROOT_META])
        xa, xc = ra[evio.ROOT_TREE].arrays(library="np"), rc[evio.ROOT_TREE].arrays(library="np")
        assert list(xa) == list(xc) and all(np.array_equal(xa[k], xc[k]) for k in xa)
    elif suffix == ".parquet":
        ta, ma = evio.read_parquet(a)
        tc, mc = evio.read_parquet(c)
        assert ta.column_names == tc.column_names and ma == mc
        for name in ta.column_names:
            assert ta.column(name).equals(tc.column(name)), name
    elif suffix == ".hepmc":
        assert filecmp.cmp(a, c, shallow=False)
    else:
        # the events byte for byte; the run totals in <init> (sum of weights, its error) are sums
        # taken chunk by chunk, equal to a few ulps (summation order: numpy < 2 differs in the last digit)
        def read(path):
            with (gzip.open if suffix.endswith(".gz") else open)(path, "rt") as fh:
                return fh.read()

        text = [read(a), read(c)]
        head_a, body_a = text[0].split("</init>", 1)
        head_c, body_c = text[1].split("</init>", 1)
        assert body_a == body_c
        num = r"[-+]?\d+\.\d+e[-+]\d+"
        assert re.sub(num, "#", head_a) == re.sub(num, "#", head_c)
        assert [float(v) for v in re.findall(num, head_a)] == pytest.approx(
            [float(v) for v in re.findall(num, head_c)], rel=1e-13)


def test_memory_is_flat_in_the_number_of_events(tmp_path, monkeypatch):
    """Peak traced memory (numpy reports its buffers to tracemalloc) of a streamed run of 5x
    more events stays within 1.5x of the smaller run's (a few chunks in flight, not the whole
    run: the 200 000 events' arrays alone would be ~70 MB, against ~20 MB measured for either;
    the margin covers the threads' timing, which changes how many chunks wait at once)."""
    monkeypatch.setattr(gen, "CHUNK", 5_000)
    generate(*ARGS, 10, seed=1)  # tables built outside the measurement
    peaks = []
    for n in (40_000, 200_000):
        tracemalloc.start()
        evio.write_event_stream(generate_chunks(*ARGS, n, seed=1), tmp_path / "ev.parquet")
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 1.5 * peaks[0], peaks


def test_cli_writes_lhe_gz_with_the_monte_carlo_error(tmp_path, capsys):
    """.lhe.gz is accepted (the message listing the suffixes and the check agree); stat_error
    and the LHE XERRUP are the Monte Carlo error of the total, XSECUP its sum, said in a
    comment before the init block."""
    out = tmp_path / "ev.lhe.gz"
    code, text, err = run(capsys, "events", "fnal-mu", "--model", "B", "--mass", "0.05", "--coupling", "1e-4", "-n",
                          "3000", "--seed", "2", "--output", str(out), "--json")
    assert code == 0, err
    d = json.loads(text)
    b = generate("fnal-mu", "B", 0.05, 1e-4, 3000, seed=2)
    assert d["stat_error"] == pytest.approx(total_error(b.weight, 3000), rel=1e-12)
    lhe = gzip.decompress(out.read_bytes()).decode()
    assert "XSECUP = sum of the weights = expected signal events of the run (not a cross section in pb)" in lhe
    init = lhe[lhe.index("<init>"):].splitlines()
    xsec, xerr = (float(v) for v in init[2].split()[:2])
    assert xsec == pytest.approx(d["sum_weights"], rel=1e-12)
    assert xerr == pytest.approx(d["stat_error"], rel=1e-12)


@pytest.mark.parametrize("option,value,words", [
    ("--s-pdgid", "99999999999", "signed 32-bit"), ("--s-pdgid", "22", "gamma"), ("--s-pdgid", "0", "nonzero"),
    ("--chi-pdgid", "13", "mu-"),
])
def test_cli_refuses_pdg_ids(tmp_path, capsys, option, value, words):
    code, _, err = run(capsys, "events", "fnal-mu", "--model", "lmu-ltau-dm", "--mass", "0.05", "--coupling", "1e-4",
                       "-n", "10", "--output", str(tmp_path / "ev.hepmc"), option, value)
    assert code == 2
    assert err.startswith(f"error: {option} = {value}") and words in err and len(err.splitlines()) == 1
    assert not (tmp_path / "ev.hepmc").exists()


@pytest.mark.parametrize("name", ["ev.gz", "ev.lhe.zip", ".lhe"])
def test_cli_refuses_other_suffixes(tmp_path, capsys, name):
    code, _, err = run(capsys, "events", "fnal-mu", "--model", "B", "--mass", "0.05", "--coupling", "1e-4", "-n", "10",
                       "--output", str(tmp_path / name))
    assert code == 2 and "must end in" in err and ".lhe.gz" in err


def test_event_metadata_carries_the_model_spec(tmp_path):
    """A model file's full spec (kind, coupling ratios, mixing, dark sector, source) travels
    with the events, not only its name."""
    path = tmp_path / "my-model.toml"
    path.write_text('name = "my-dark"\nkind = "vector"\n[couplings]\nmu = 1.0\ne = 0.5\n'
                    '[dark_sector]\nalpha_D = 0.5\nchi_mass_ratio = 0.3\n')
    b = generate("fnal-mu", str(path), 0.05, 1e-4, 500, seed=1, acceptance=False)
    spec = b.meta["model_spec"]
    assert spec["name"] == "my-dark" and spec["kind"] == "vector"
    assert spec["coupling_ratios"]["e"] == 0.5 and spec["dark_sector"]["alpha_D"] == 0.5
    assert spec["dark_sector"]["chi_mass_ratio"] == 0.3 and spec["source"].endswith("my-model.toml")
    evio.write_events(b, tmp_path / "ev.parquet")
    _, meta = evio.read_parquet(tmp_path / "ev.parquet")
    assert meta["model_spec"] == json.loads(json.dumps(spec))
    assert np.isfinite(b.weight).all()


def test_root_file_equals_the_parquet_file_column_by_column(tmp_path, capsys):
    """`mudump events --output x.root`: a flat TTree whose branches are the Parquet file's columns
    (names with units, dtypes, values: the derived ones as read_parquet rebuilds them) and the
    same run metadata (JSON in the TObjString mudump_meta)."""
    import uproot

    common = ("events", "fnal-mu", "--model", "A", "--mass", "0.1", "--coupling", "1e-4", "-n", "4000", "--seed", "9")
    for suffix in (".root", ".parquet"):
        code, _, err = run(capsys, *common, "--output", str(tmp_path / f"ev{suffix}"))
        assert code == 0, err
    table, meta = evio.read_parquet(tmp_path / "ev.parquet")
    f = uproot.open(tmp_path / "ev.root")
    tree = f[evio.ROOT_TREE]
    arrays = tree.arrays(library="np")
    assert list(arrays) == table.column_names == list(evio.PARQUET_COLUMNS)
    for name in table.column_names:
        col = table.column(name).to_numpy()
        assert arrays[name].dtype == col.dtype, name
        np.testing.assert_array_equal(arrays[name], col, err_msg=name)
    assert json.loads(str(f[evio.ROOT_META])) == meta
    assert tree.num_entries == len(table) and len(table) > 0

