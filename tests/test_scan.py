"""Design scans (mudump.scan and `mudump scan`): rows agree with direct reach calls, do not
depend on the executor or the chunking, physics monotonicity, the reference-region fraction,
resuming, Parquet/CSV output and the bad-input rules."""

from __future__ import annotations

import json
import math
from concurrent.futures import Executor

import numpy as np
import pytest

from mudump import scan as S
from mudump.errors import ConfigError
from mudump.experiments import load_experiment, parse_experiment
from mudump.reach import reach

from .helpers import run_cli as run

# Small grids keep the suite fast: 6 masses where FNAL-mu has reach, 60 couplings.
MASSES = np.geomspace(0.005, 0.3, 6)
COUPLINGS = np.geomspace(1e-7, 1e-2, 60)
GRID = {"target.length_m": [0.5, 1.5], "downstream.length_m": [1.0, 3.0]}


def plan(grid=GRID, **kw):
    opts = dict(masses=MASSES, couplings=COUPLINGS, preset="fnal2021")
    opts.update(kw)
    return S.plan_scan("fnal-mu", grid, ["A", "B"], **opts)


@pytest.fixture(scope="module")
def serial_rows():
    return S.run_scan(plan(), S.serial_executor())


def test_numeric_fields_and_grid_checks():
    fields = S.numeric_fields()
    assert {"beam.energy_GeV", "target.length_m", "downstream.length_m", "downstream.shield_length_m",
            "beam.muons_on_target", "signature.e_cut_GeV"} <= set(fields)
    assert "target.material" not in fields and "signature.kind" not in fields
    with pytest.raises(ConfigError, match="target.lenght_m.*allowed .*target.length_m"):
        S.check_grid({"target.lenght_m": [1.0]})
    with pytest.raises(ConfigError, match="target.material"):
        S.check_grid({"target.material": [1.0]})
    with pytest.raises(ConfigError, match="empty"):
        S.check_grid({})
    with pytest.raises(ConfigError, match="no values"):
        S.check_grid({"target.length_m": []})


def test_rows_match_direct_reach(serial_rows):
    """Every row's contour is the reach of the experiment built by hand (TOML dict edited and
    validated), computed directly; the grid is laid out first field slowest, then model."""
    assert len(serial_rows) == 8
    base = load_experiment("fnal-mu").model_dump()
    k = 0
    for lt in GRID["target.length_m"]:
        for ld in GRID["downstream.length_m"]:
            doc = json.loads(json.dumps(base))
            doc["target"]["length_m"], doc["downstream"]["length_m"] = lt, ld
            exp = parse_experiment(doc)
            for model in ("A", "B"):
                row = serial_rows[k]
                k += 1
                assert (row["target.length_m"], row["downstream.length_m"], row["model"]) == (lt, ld, model)
                assert row["error"] is None
                r = reach(exp, model, MASSES, COUPLINGS)  # as `mudump reach`: threshold points added
                assert np.array_equal(r.masses, plan().masses)
                flat = [(m, lo, hi) for m, ivs in zip(r.masses, r.intervals) for lo, hi in ivs]
                assert flat, "FNAL-mu excludes couplings at these masses"
                # the same production tables and physics; the scan evaluates the event function of
                # many points at once (mudump.design.YieldSet, tabulated to ~1e-7) with its own root
                # finder, so the edges agree to 1e-6 (the criterion for "the numbers of a fresh
                # reach"), not bit for bit
                assert row["mass_GeV"] == [f[0] for f in flat]
                assert row["g_low"] == pytest.approx([f[1] for f in flat], rel=1e-6)
                assert row["g_high"] == pytest.approx([f[2] for f in flat], rel=1e-6)
                best = min(flat, key=lambda f: f[1])
                assert row["best_g_mu"] == pytest.approx(best[1], rel=1e-6) and row["best_mass_GeV"] == best[0]
                assert row["mass_low_GeV"] == flat[0][0] and row["mass_high_GeV"] == flat[-1][0]
                assert 0.0 <= row["excluded_fraction"] <= 1.0


def test_chunking_does_not_change_rows(serial_rows):
    """One mass per task (task_seconds tiny) gives the same rows as the default chunks."""
    assert S.run_scan(plan(), S.serial_executor(), task_seconds=1e-6) == serial_rows


@pytest.mark.slow
def test_default_pool_matches_serial(serial_rows):
    assert S.run_scan(plan()) == serial_rows


def test_dask_local_cluster_matches_serial(serial_rows):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster:
        with distributed.Client(cluster) as client:
            rows = S.run_scan(plan(), client.get_executor(), task_seconds=1e-6)
    assert rows == serial_rows


class _ScatteringExecutor(Executor):
    """Runs tasks inline like Dask's executor would: objects placed with its client's scatter
    come back as handles, resolved when a task runs. Records what was scattered and sent."""

    class _Client:
        def __init__(self):
            self.scattered = []

        def scatter(self, obj, broadcast=False, hash=True):
            self.scattered.append((obj, broadcast))
            return ("handle", len(self.scattered) - 1)

    def __init__(self):
        self._client = self._Client()
        self.sent = []

    def submit(self, fn, /, *args, **kwargs):
        self.sent.append(args)
        args = [self._client.scattered[a[1]][0] if isinstance(a, tuple) and a[:1] == ("handle",) else a for a in args]
        return S.serial_executor().submit(fn, *args, **kwargs)


def test_dask_gets_each_table_set_once_and_the_same_rows(serial_rows):
    """On a Dask executor the depth tables of a production group are scattered to the workers once
    (broadcast), and the tasks carry the handle, not the tables: with one mass per task there are
    many tasks but one scatter per (model, group), and the rows are the serial ones."""
    from mudump.production.tables import DepthTable

    ex = _ScatteringExecutor()
    rows = S.run_scan(plan(), ex, task_seconds=1e-6)
    assert rows == serial_rows
    assert len(ex._client.scattered) == 2  # models A and B, one production group each
    assert all(b and all(isinstance(t, DepthTable) for t in obj.values()) for obj, b in ex._client.scattered)
    reach_tasks = [a for a in ex.sent if len(a) == 7]
    assert len(reach_tasks) > 2 * MASSES.size  # tasks were cut by mass and by point
    assert all(a[-1][0] == "handle" for a in reach_tasks)


def test_chunks_keep_evaluated_together_points_in_one_task():
    """Units never straddle tasks; points with every mass come before cutting the masses."""
    units = [[0, 1, 2], [3, 4], [5, 6, 7, 8]]
    per_point = 10 * S.SECONDS_PER_REACH
    chunks = S._chunks(10, units, 1, task_seconds=5 * per_point)  # room for 5 points with every mass
    assert [pts for _, pts in chunks] == [[0, 1, 2, 3, 4], [5, 6, 7, 8]]
    assert all(ms == slice(0, 10) for ms, _ in chunks)
    tiny = S._chunks(10, units, 1, task_seconds=1e-9)  # one unit and one mass a task
    assert len(tiny) == 3 * 10 and {tuple(p) for _, p in tiny} == {tuple(u) for u in units}


def test_longer_decay_region_and_more_muons_never_reach_less():
    """Displaced decays: P = e^{-a g^2}(1 - e^{-b g^2}) grows with the region length (b), and
    the events scale with the muons on target, so the excluded set can only grow: the best
    coupling does not rise and the excluded fraction does not fall (docs/physics.md#signals)."""
    grid = {"beam.muons_on_target": [1e12, 1e14], "downstream.length_m": [0.5, 2.0, 8.0]}
    rows = S.run_scan(plan(grid=grid), S.serial_executor())
    for model in ("A", "B"):
        for n in grid["beam.muons_on_target"]:
            sel = [r for r in rows if r["model"] == model and r["beam.muons_on_target"] == n]
            g = [r["best_g_mu"] for r in sel]
            f = [r["excluded_fraction"] for r in sel]
            assert all(b <= a * (1 + 1e-9) for a, b in zip(g, g[1:])), g  # 1e-9: root-finding xtol 1e-10
            assert all(b >= a - 1e-12 for a, b in zip(f, f[1:])), f
        lo = {r["downstream.length_m"]: r for r in rows if r["model"] == model and r["beam.muons_on_target"] == 1e12}
        hi = {r["downstream.length_m"]: r for r in rows if r["model"] == model and r["beam.muons_on_target"] == 1e14}
        for d in grid["downstream.length_m"]:
            assert hi[d]["best_g_mu"] < lo[d]["best_g_mu"]


def test_region_fraction_exact_cases():
    """The fraction is an area in (ln m, ln g) integrated by the trapezoidal rule, which is exact
    for coverage linear in ln m: compare with the closed forms."""
    m = np.geomspace(0.01, 1.0, 5)
    region = S.ReferenceRegion("couplings", "test", np.full(5, 1e-4), np.full(5, 1e-2))
    half = [[(1e-3, 1e-1)]] * 5  # covers ln(1e-2/1e-3) of ln(1e-2/1e-4): one half
    assert S.region_fraction(m, half, region) == pytest.approx(0.5, rel=1e-12)
    assert S.region_fraction(m, [[]] * 5, region) == 0.0
    # coverage from 0 to full, linear in ln m: mean 1/2; split intervals count once each
    t = np.linspace(0.0, 1.0, 5)
    ivs = [[(1e-4, 1e-4 * 100.0**ti)] if ti > 0 else [] for ti in t]
    assert S.region_fraction(m, ivs, region) == pytest.approx(0.5, rel=1e-12)
    split = [[(1e-5, 1e-3), (5e-4, 2e-3)]] * 5  # overlapping intervals: union is 1e-4..2e-3 in the strip
    assert S.region_fraction(m, split, region) == pytest.approx(math.log(20) / math.log(100), rel=1e-12)


def test_reference_regions():
    m = np.geomspace(0.01, 0.5, 4)
    g = np.geomspace(1e-8, 1.0, 10)
    band = S.reference_region(m, g, "fnal2021")  # anomalous: 2-sigma band, lo < hi
    assert band.kind == "g2-band" and np.all(band.lo > 0) and np.all(band.hi > band.lo)
    allowed = S.reference_region(m, g, "wp25")  # no anomaly: below the upper limit
    assert allowed.kind == "g2-allowed" and np.all(allowed.lo == 1e-8)
    strip = S.reference_region(m, g, strip=(1e-5, 1e-3))
    assert strip.kind == "couplings" and np.all(strip.hi == 1e-3)
    with pytest.raises(ConfigError, match="g_high"):
        S.reference_region(m, g, strip=(1e-3, 1e-5))


def test_refused_point_is_recorded_not_raised():
    p = plan(grid={"target.length_m": [-1.0, 1.0], "signature.e_cut_GeV": [0.0, 5.0]})
    rows = S.run_scan(p, S.serial_executor())
    errs = {(r["target.length_m"], r["signature.e_cut_GeV"]): r["error"] for r in rows}
    assert "target.length_m" in errs[(-1.0, 0.0)] and "need target.length_m > 0" in errs[(-1.0, 0.0)]
    assert "e_cut_GeV" in errs[(1.0, 5.0)] and "below beam.energy_GeV" in errs[(1.0, 5.0)]
    assert errs[(1.0, 0.0)] is None
    bad = [r for r in rows if r["error"]]
    assert all(r["best_g_mu"] is None and r["excluded_fraction"] is None and r["g_low"] == [] for r in bad)


class _Refuse(Executor):
    def submit(self, *a, **k):
        raise AssertionError("nothing should be computed")


def test_skip_resumes_and_keys_are_stable(serial_rows):
    p = plan()
    assert p.keys() == [r["key"] for r in serial_rows] == plan().keys()
    assert len(set(p.keys())) == len(p.keys())
    assert S.run_scan(p, _Refuse(), skip=p.keys()) == []
    other = plan(method="ww")
    assert set(other.keys()).isdisjoint(p.keys())


# ----------------------------------------------------------------------------------------------
# the command line


CLI_GRID = ["--mass-min", "0.005", "--mass-max", "0.3", "--n-masses", "4", "--coupling-min", "1e-7",
            "--coupling-max", "1e-2", "--n-couplings", "40", "--workers", "2"]


def test_cli_scan_parquet_csv_plot_and_resume(capsys, tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "s.parquet"
    args = ["scan", "fnal-mu", "--grid", "target.length_m=0.5,1.5", "--grid", "downstream.length_m=1:3:2",
            "--model", "A", "--model", "muonphilic", "--preset", "fnal2021", "--output", str(out), *CLI_GRID]
    code, _, err = run(capsys, *args, "--plot", str(tmp_path / "s.png"))
    assert code == 0, err
    t = pq.read_table(out)
    assert t.num_rows == 8 and "error" in t.column_names and "target.length_m" in t.column_names
    import pyarrow as pa

    assert all(pa.types.is_list(t.schema.field(c).type) and t.schema.field(c).type.value_type == pa.float64()
               for c in ("mass_GeV", "g_low", "g_high"))
    meta = {k.decode(): json.loads(v) for k, v in t.schema.metadata.items() if k.startswith(b"mudump.")}
    assert meta["mudump.base_experiment"]["name"] == "fnal-mu" and meta["mudump.method"] == "etl"
    assert meta["mudump.grid"] == {"target.length_m": [0.5, 1.5], "downstream.length_m": [1.0, 3.0]}
    assert meta["mudump.models"] == ["A", "B"] and "mudump.mudump_version" in meta
    assert (tmp_path / "s.csv").read_text().count("\n") == 9
    assert (tmp_path / "s.png").stat().st_size > 10_000
    rows = t.to_pylist()
    code, o, err = run(capsys, *args, "--json")
    assert code == 0, err
    d = json.loads(o)
    assert d["resumed_rows"] == 8 and d["rows"] == rows


def test_cli_scan_file(capsys, tmp_path):
    (tmp_path / "scan.toml").write_text(
        'experiment = "fnal-mu"\nmodels = ["B"]\n[grid.downstream]\nlength_m = {start = 1, stop = 4, num = 2}\n'
        "[masses]\nmin = 0.01\nmax = 0.2\nn = 3\n[couplings]\nmin = 1e-7\nmax = 1e-2\nn = 30\n"
    )
    code, o, err = run(capsys, "scan", "--file", str(tmp_path / "scan.toml"), "--output", str(tmp_path / "f.parquet"),
                       "--json", "--workers", "1")
    assert code == 0, err
    d = json.loads(o)
    assert [r["downstream.length_m"] for r in d["rows"]] == [1.0, 4.0] and d["metadata"]["models"] == ["B"]
    assert d["metadata"]["masses_GeV"] == pytest.approx(np.geomspace(0.01, 0.2, 3).tolist(), rel=1e-15)


@pytest.mark.parametrize(
    "extra, match",
    [
        (["--grid", "target.lenght_m=1,2"], "target.lenght_m"),
        (["--grid", "target.material=1,2"], "target.material"),
        ([], "grid is empty"),
        (["--grid", "target.length_m="], "no values"),
        (["--grid", "target.length_m=a,b"], "must be numbers"),
        (["--grid", "target.length_m=1:2"], "START:STOP:NUM"),
        (["--grid", "target.length_m=1,2", "--grid", "downstream.length_m=1,2", "--grid", "beam.energy_GeV=3,4",
          "--plot", "x.png"], "1 or 2 fields"),
        (["--grid", "target.length_m=1,2", "--scheduler", "tcp://127.0.0.1:9", "--scheduler-timeout", "0.5"],
         "cannot reach the Dask scheduler"),
    ],
)
def test_cli_scan_bad_input(capsys, tmp_path, extra, match):
    code, out, err = run(capsys, "scan", "fnal-mu", "--model", "A", "--output", str(tmp_path / "o.parquet"), *extra)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and match in err, err


def test_cli_refused_value_is_per_point(capsys, tmp_path):
    code, o, err = run(capsys, "scan", "fnal-mu", "--model", "A", "--grid", "target.length_m=-1,1",
                       "--output", str(tmp_path / "o.parquet"), "--json", *CLI_GRID)
    assert code == 0, err
    rows = json.loads(o)["rows"]
    assert "need target.length_m > 0" in rows[0]["error"] and rows[1]["error"] is None and rows[1]["best_g_mu"] > 0


def test_cli_scheduler_runs_on_dask(capsys, tmp_path):
    """`--scheduler ADDRESS` runs the scan on that Dask cluster: the rows are those of a serial run."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as c:
        code, o, err = run(capsys, "scan", "fnal-mu", "--model", "B", "--grid", "downstream.length_m=1,3",
                           "--output", str(tmp_path / "d.parquet"), "--json", "--scheduler", c.scheduler_address,
                           *CLI_GRID[:-2])
    assert code == 0, err
    expected = S.run_scan(S.plan_scan("fnal-mu", {"downstream.length_m": [1.0, 3.0]}, ["B"],
                                      masses=np.geomspace(0.005, 0.3, 4), couplings=np.geomspace(1e-7, 1e-2, 40)),
                          S.serial_executor())
    assert json.loads(o)["rows"] == expected  # JSON keeps floats exactly (shortest repr round trip)


def test_cli_extended_grid_reuses_rows(capsys, tmp_path):
    """Rows are keyed per point, not per grid: adding a value to a field computes only the new
    points (what an interrupted scan's checkpoint file also relies on)."""
    base = ["scan", "fnal-mu", "--model", "A", "--output", str(tmp_path / "e.parquet"), "--json", *CLI_GRID]
    code, o, err = run(capsys, *base, "--grid", "downstream.length_m=1,3")
    assert code == 0, err
    first = json.loads(o)["rows"]
    code, o, err = run(capsys, *base, "--grid", "downstream.length_m=1,2,3")
    assert code == 0, err
    d = json.loads(o)
    assert d["resumed_rows"] == 2 and [r["downstream.length_m"] for r in d["rows"]] == [1.0, 2.0, 3.0]
    assert d["rows"][0] == first[0] and d["rows"][2] == first[1]


def test_reference_region_is_each_models_own_g2_region():
    """The excluded fraction is measured against each model's own (g-2)_mu region (mudump.g2.band
    with the model, as the plots draw it): the favoured band of the muon-only scalar, the vector's
    band for L_mu - L_tau (about 25% higher in coupling), and for a pseudoscalar, which lowers
    a_mu and explains no anomaly, the couplings it still allows."""
    from mudump import g2
    from mudump.models import get_model

    p = S.plan_scan("fnal-mu", {"target.length_m": [1.5]}, ["B", "lmu-ltau", "muonphilic-ps"], masses=MASSES,
                    couplings=COUPLINGS, preset="fnal2021")
    b, v, ps = (get_model(m) for m in ("B", "lmu-ltau", "muonphilic-ps"))
    assert p.region_of(b).kind == p.region_of(v).kind == "g2-band" and p.region_of(ps).kind == "g2-allowed"
    want = g2.band(p.masses, "fnal2021", model=v)
    g_min, g_max = COUPLINGS.min(), COUPLINGS.max()
    assert np.allclose(p.region_of(v).lo, np.clip(want["lo2"], g_min, g_max), rtol=1e-12)
    assert np.all(p.region_of(v).hi > p.region_of(b).hi)
    assert len({p.key(p.points[0][0], m) for m in (b, v, ps)}) == 3


def test_row_key_is_the_hash_of_the_whole_canonical_document():
    """The row key (what resuming matches against files written earlier) is the SHA-256 of the
    canonical JSON of the whole row document, however it is computed."""
    import hashlib

    p = plan({"target.length_m": [0.5, 1.5], "beam.muons_on_target": [1e18, 3e19]})
    for values, _ in p.points:
        for m in p.models:
            doc = {"v": S.SCAN_VERSION, "base": p.base, "point": {f: repr(float(v)) for f, v in zip(p.fields, values)},
                   "model": m.document(), "method": p.method, "form_factor": p.form_factor,
                   "masses": [repr(float(x)) for x in p.masses], "couplings": [repr(float(g)) for g in p.couplings],
                   "region": [p.region_of(m).kind, p.region_of(m).description]}
            text = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=repr)
            assert p.key(values, m) == hashlib.sha256(text.encode()).hexdigest()[:24]


def test_long_scan_prints_its_best_rows_by_the_figure_of_merit():
    """Up to SUMMARY_ROWS rows are printed as they are; a longer scan prints the SUMMARY_ROWS best
    by the figure of merit (its direction: a larger excluded fraction, a smaller best g_mu), rows
    without a value last, and says so; best_mass_GeV has no better direction (design order)."""
    from mudump.cli.scan import SUMMARY_ROWS, _summary_rows

    rng = np.random.default_rng(3)
    rows = [{"excluded_fraction": float(f), "best_g_mu": float(g), "best_mass_GeV": 0.01, "error": None}
            for f, g in zip(rng.uniform(0, 1, 100), rng.uniform(1e-6, 1e-4, 100))]
    rows[7] = {"excluded_fraction": None, "best_g_mu": None, "best_mass_GeV": None, "error": "refused"}
    assert _summary_rows(rows[:SUMMARY_ROWS], "excluded_fraction") == (rows[:SUMMARY_ROWS], "")
    shown, caption = _summary_rows(rows, "excluded_fraction")
    fr = sorted((r["excluded_fraction"] for r in rows if r["excluded_fraction"] is not None), reverse=True)
    assert [r["excluded_fraction"] for r in shown] == fr[:SUMMARY_ROWS]
    assert caption.startswith(f"the {SUMMARY_ROWS} best of 100 rows by excluded_fraction (largest first")
    shown, _ = _summary_rows(rows, "best_g_mu")
    g = sorted(r["best_g_mu"] for r in rows if r["best_g_mu"] is not None)
    assert [r["best_g_mu"] for r in shown] == g[:SUMMARY_ROWS]
    shown, caption = _summary_rows(rows, "best_mass_GeV")
    assert shown == rows[:SUMMARY_ROWS] and caption.startswith(f"the first {SUMMARY_ROWS} of 100 rows")
