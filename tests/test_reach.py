"""Reach: Poisson limits, excluded intervals against a dense grid, the CLI."""

import json

import numpy as np

from mudump.constants import M_MU
import pytest

from mudump import reach as R
from mudump import signal
from mudump.cli import main
from mudump.experiments import load_experiment

from .helpers import reach_csv_lines


def test_poisson_limits():
    """Classical upper limits (PDG Review, 'Statistics', table of Poisson upper limits):
    n_obs = 0: 2.30 (90% CL), 3.00 (95%); n_obs = 3 at 90%: s + b = 6.68."""
    assert R.poisson_upper_limit(0.9) == pytest.approx(2.303, abs=1e-3)
    assert R.poisson_upper_limit(0.95) == pytest.approx(2.996, abs=1e-3)
    assert R.poisson_upper_limit(0.9, background=3.0) == pytest.approx(6.681 - 3.0, abs=2e-3)
    assert R.poisson_upper_limit(0.9, background=1.0, observed=0) == pytest.approx(2.303 - 1.0, abs=1e-3)
    assert R.poisson_upper_limit(0.9, background=3.0, observed=0) == pytest.approx(1e-12)  # b alone exceeds


def test_intervals_against_dense_grid():
    """Edges found by root finding on a coarse grid match the edges read off a dense grid."""
    e = load_experiment("fnal-mu")
    masses = [0.003, 0.03, 0.15]
    coarse = R.reach(e, "A", masses, np.geomspace(1e-7, 1e-1, 25))
    dense_g = np.geomspace(1e-7, 1e-1, 20001)
    step = dense_g[1] / dense_g[0]
    for m, ivs in zip(masses, coarse.intervals):
        ev = signal.experiment_events(e, "A", m, dense_g)
        inside = dense_g[ev >= coarse.n_up]
        assert len(ivs) == 1
        lo, hi = ivs[0]
        assert lo == pytest.approx(inside[0], rel=step - 1)
        assert hi == pytest.approx(inside[-1], rel=step - 1)
        # and the events at the edges are the limit
        assert signal.experiment_events(e, "A", m, [lo, hi]) == pytest.approx([coarse.n_up] * 2, rel=1e-6)


def test_two_boundaries_and_physics_of_the_map():
    """Each sensitive mass has a production edge and a lifetime edge; no reach above 2 m_mu,
    where S -> mu+ mu- is prompt; results say which method made them."""
    r = R.reach("fnal-mu", "A", [0.01, 0.05, 0.3], np.geomspace(1e-8, 1, 120))
    assert r.method == "etl"
    assert all(len(iv) == 1 and iv[0][0] < iv[0][1] < 1.0 for iv in r.intervals[:2])
    assert r.intervals[-1] == []
    # the grid gains the point just below 2 m_mu, where the contour must end
    assert r.masses.size == 4 and r.masses[2] == pytest.approx(2 * M_MU, rel=2e-6) and r.masses[2] < 2 * M_MU
    assert r.intervals[2] and r.intervals[2][0][1] > r.intervals[2][0][0]
    d = r.to_dict()
    assert set(d) >= {"experiment", "model", "method", "cl", "masses_GeV", "intervals"}


def test_iww_overstates_the_reach():
    """IWW makes more S than WW at 3 GeV, so its excluded region is larger (physics.md sec. 4)."""
    g = np.geomspace(1e-7, 1e-1, 80)
    ww = R.reach("fnal-mu", "A", [0.03], g).intervals[0][0]
    iww = R.reach("fnal-mu", "A", [0.03], g, method="iww").intervals[0][0]
    assert iww[0] < ww[0] and iww[1] >= ww[1]


def test_cli_reach_json_and_outputs(tmp_path, capsys):
    csv = tmp_path / "r.csv"
    with pytest.raises(SystemExit) as ex:
        main(["reach", "fnal-mu", "--model", "A", "--n-masses", "5", "--n-couplings", "40", "--json", "--output", str(csv)])
    assert ex.value.code == 0
    d = json.loads(capsys.readouterr().out)
    # 5 grid masses and the points just below 2 m_e and 2 m_mu (model A couples to e and mu)
    assert d["experiment"] == "fnal-mu" and d["method"] == "etl" and len(d["masses_GeV"]) == len(d["intervals"]) == 7
    assert len(d["intervals_open"]) == 7
    comments, lines = reach_csv_lines(csv.read_text())
    # the published constraints drawn for model A, each with its citation and BibTeX keys
    assert comments and all(c.startswith("#: constraint drawn: ") and "bibtex: " in c for c in comments)
    assert any("BaBar" in c for c in comments) and any("computed by mudump" in c for c in comments)
    assert lines[0] == "experiment,model,method,cl,limit_method,signal_events_limit,m_S_GeV,interval,g_mu_low,g_mu_high,g_mu_low_open,g_mu_high_open"
    assert len(lines) > 1
    with pytest.raises(SystemExit) as ex:
        main(["reach", "fnal-mu", "na64mu", "--model", "B", "--n-masses", "3", "--n-couplings", "30", "--json"])
    two = json.loads(capsys.readouterr().out)
    assert [x["experiment"] for x in two] == ["fnal-mu", "na64mu"]


def test_cli_spectrum(capsys):
    with pytest.raises(SystemExit) as ex:
        main(["spectrum", "fnal-mu", "--model", "A", "--mass", "0.1", "--coupling", "1e-4", "--json"])
    assert ex.value.code == 0
    d = json.loads(capsys.readouterr().out)
    assert len(d["E_S_GeV"]) == len(d["events"]) == 30
    assert sum(d["events"]) == pytest.approx(d["total_events"])


@pytest.mark.parametrize(
    "args,needle",
    [
        (["reach", "nope", "--model", "A"], "experiment"),
        (["reach", "fnal-mu", "--model", "C"], "model"),
        (["reach", "fnal-mu", "--model", "A", "--method", "magic"], "method"),
        (["reach", "fnal-mu", "--model", "A", "--preset", "nope"], "preset"),
        (["reach", "fnal-mu", "--model", "A", "--mass-min", "-1"], "mass_min_GeV"),
        (["reach", "fnal-mu", "--model", "A", "--output", "x.txt", "--n-masses", "2"], "--output"),
        (["spectrum", "fnal-mu", "--model", "A", "--mass", "0.1", "--coupling", "-1"], "coupling"),
        (["spectrum", "fnal-mu", "--model", "A", "--mass", "nan", "--coupling", "1e-4"], "mass_GeV"),
    ],
)
def test_cli_errors(capsys, args, needle):
    with pytest.raises(SystemExit) as ex:
        main(args)
    err = capsys.readouterr().err.strip()
    assert ex.value.code == 2 and err.startswith("error:") and needle in err and len(err.splitlines()) == 1


def test_cli_band_and_compare(tmp_path, capsys):
    """--band scans the other theory choices; --compare iww overlays IWW, which reaches further
    (it overstates production at these energies)."""
    png = tmp_path / "band.png"
    with pytest.raises(SystemExit) as ex:
        main(["reach", "fnal-mu", "--model", "A", "--n-masses", "4", "--n-couplings", "40", "--mass-max", "0.15",
              "--band", "--compare", "iww", "--json", "--plot", str(png)])
    assert ex.value.code == 0
    d = json.loads(capsys.readouterr().out)
    assert {(b["method"], b["form_factor"]) for b in d["band"]} == {("etl", "helm"), ("ww", "tsai"), ("ww", "helm")}
    assert d["compare"]["method"] == "iww"
    for main_iv, iww_iv in zip(d["intervals"], d["compare"]["intervals"]):
        if main_iv:
            assert iww_iv[0][0] < main_iv[0][0]
    assert png.stat().st_size > 10_000


def test_cli_ratio_map(tmp_path, capsys):
    with pytest.raises(SystemExit) as ex:
        main(["ratio", "--material", "W", "--energy", "3", "--n-masses", "4", "--n-x", "5", "--json"])
    assert ex.value.code == 0
    d = json.loads(capsys.readouterr().out)
    r = np.array(d["ratio"])[np.array(d["inside"])]
    assert r.size > 0 and np.all(r < 1.0)  # IWW overstates everywhere at 3 GeV in W


def test_mc_acceptance_folds_the_geometry(narrow_experiment):
    """A 10 cm radius decay volume sees ~10% of the displaced decays: with --acceptance mc the
    lower edge rises by about 10^(1/4) (events ~ g^4 there); without a transverse size the
    acceptance is ~1 and the reach is unchanged."""
    g = np.geomspace(1e-7, 1e-1, 60)
    narrow = narrow_experiment
    plain = R.reach(narrow, "A", [0.03], g).intervals[0][0]
    mc = R.reach(narrow, "A", [0.03], g, acceptance="mc", mc_events=4000)
    assert mc.acceptance == "mc"
    lo_mc = mc.intervals[0][0][0]
    assert 1.5 < lo_mc / plain[0] < 6.0
    wide = R.reach("fnal-mu", "A", [0.03], g, acceptance="mc", mc_events=4000).intervals[0][0]
    ref = R.reach("fnal-mu", "A", [0.03], g).intervals[0][0]
    assert wide[0] == pytest.approx(ref[0], rel=0.05)


def test_intervals_open_at_the_grid_edge(tmp_path, capsys):
    """An exclusion that reaches the end of the coupling grid is reported as open there:
    FNAL-mu, model A at 10 MeV excludes g from about 2e-5 to about 1e-2 (tests above): a grid
    from 1e-4 to 1e-3 lies inside it, so both ends are open; a grid from 1e-6 to 1e-3 only the
    upper one."""
    inside = R.reach("fnal-mu", "A", [0.01], np.geomspace(1e-4, 1e-3, 20))
    assert inside.intervals[0] == [(1e-4, 1e-3)] and inside.open_ends == [[(True, True)]]
    upper = R.reach("fnal-mu", "A", [0.01], np.geomspace(1e-6, 1e-3, 20))
    assert upper.open_ends == [[(False, True)]] and upper.intervals[0][0][0] > 1e-6
    d = upper.to_dict()
    assert d["intervals_open"] == [[[False, True]]] and d["couplings_scanned"] == [1e-6, 1e-3]
    csv = tmp_path / "r.csv"
    with pytest.raises(SystemExit):
        main(["reach", "fnal-mu", "--model", "A", "--mass-min", "0.01", "--mass-max", "0.02", "--n-masses", "2",
              "--coupling-min", "1e-6", "--coupling-max", "1e-3", "--n-couplings", "20", "--output", str(csv)])
    out = capsys.readouterr().out
    rows = reach_csv_lines(csv.read_text())[1][1:]
    assert rows and all(r.endswith(",False,True") for r in rows)
    assert "open" in out  # the table says that the reach continues beyond the grid
