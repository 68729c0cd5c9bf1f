"""The G4DarkBreM vertex library: its distributions against mudump's exact differential cross
section, the CSV read back by a reader written from G4DarkBreM's documented layout, momentum
conservation per vertex up to the nuclear recoil, the cross-section table, bad input."""

import gzip
import json

import numpy as np
import pytest

from mudump.events import library as L
from mudump.nuclei import nucleus
from mudump.production import etl
from tests.test_generator_exact import M_MU, _quantile_edges, expected_t, expected_theta

from .helpers import run_cli as run

M_W = etl.components(nucleus("W"))[0][0]  # the recoil mass of the vertices (A u)
N = 100_000


@pytest.fixture(scope="module", params=[(3.0, "B"), (160.0, "B"), (3.0, "lmu-ltau")],
                ids=lambda p: f"{p[0]:g}GeV-{p[1]}")
def library(request, tmp_path_factory):
    E0, model = request.param
    path = tmp_path_factory.mktemp("lib") / "lib.csv.gz"
    summary = L.write_library(path, model, 0.05, "W", [E0], N, seed=7)
    from mudump.models import get_model

    return E0, get_model(model).kind, L.read_library(path) / 1e3, summary  # GeV


def _chi2_unweighted(values, edges, expected):
    idx = np.clip(np.searchsorted(edges, values) - 1, 0, len(edges) - 2)
    n = np.bincount(idx, minlength=len(edges) - 1).astype(float)
    e = expected / expected.sum() * n.sum()
    return float(((n - e) ** 2 / e).sum()) / len(n)


def _parts(a):
    E, lep, cm = a[:, 1], a[:, 2:6], a[:, 6:10]
    return E, lep, cm, cm - lep  # X = (lepton + X) - lepton


def test_layout_is_g4darkbrem_csv(library):
    """Ten columns in MeV, target Z first, one header line (read_library follows parse::csv)."""
    E0, kind, a, summary = library
    assert a.shape == (N, 10)
    assert np.all(a[:, 0] == 74e-3)  # Z = 74 (divided by 1e3 with the MeV columns)
    assert np.all(a[:, 1] == E0)
    assert summary["Z"] == 74 and summary["energies"][0]["overweight_fraction"] < 3e-3


def test_momentum_is_conserved_up_to_the_nuclear_recoil(library):
    """p_in - (lepton + X) is the recoil of a nucleus of mass A u at rest: its energy is
    sqrt(M^2 + |q|^2) - M (to rounding of the MeV text: 1e-12 GeV)."""
    E0, kind, a, _ = library
    E, lep, cm, X = _parts(a)
    q = np.column_stack([-cm[:, 1], -cm[:, 2], np.sqrt(E**2 - M_MU**2) - cm[:, 3]])
    dE = E - cm[:, 0]
    recoil = np.sqrt(M_W**2 + (q**2).sum(1)) - M_W
    assert np.abs(dE - recoil).max() < 1e-12 * E0 + 1e-12
    assert np.allclose(lep[:, 0] ** 2 - (lep[:, 1:] ** 2).sum(1), M_MU**2, rtol=1e-6)
    assert np.allclose(X[:, 0] ** 2 - (X[:, 1:] ** 2).sum(1), 0.05**2, rtol=1e-4)


def test_x_follows_the_exact_dsigma_dx(library):
    """x = E_X/E against the exact ETL dsigma/dx (8 Gauss-Legendre nodes per bin, each bin
    within one x region: error below 1e-5 of a bin); chi2 per bin below 2 (17 bins, fixed seed)."""
    E0, kind, a, _ = library
    E, lep, cm, X = _parts(a)
    x = X[:, 0] / E
    edges = _quantile_edges(x, np.ones_like(x), 17)
    edges[0], edges[-1] = 0.05 / E0, 1.0 - M_MU / E0
    gx, gw = np.polynomial.legendre.leggauss(8)
    exp = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        xs = lo + (hi - lo) * 0.5 * (gx + 1)
        exp.append(float((etl.dsigma_dx(E0, xs, 0.05, nucleus("W"), M_MU, kind=kind) * gw).sum() * 0.5 * (hi - lo)))
    assert _chi2_unweighted(x, edges, np.array(exp)) < 2.0


def test_x_angle_follows_the_exact_double_differential(library):
    E0, kind, a, _ = library
    E, lep, cm, X = _parts(a)
    th = np.arctan2(np.hypot(X[:, 1], X[:, 2]), X[:, 3])
    edges = _quantile_edges(th, np.ones_like(th), 17)
    edges[-1] = np.pi
    assert _chi2_unweighted(th, edges, expected_theta(E0, 0.05 / E0, 0.05, kind, edges)) < 2.0


def test_momentum_transfer_follows_the_exact_integrand(library):
    E0, kind, a, _ = library
    E, lep, cm, X = _parts(a)
    q2 = cm[:, 1] ** 2 + cm[:, 2] ** 2 + (np.sqrt(E**2 - M_MU**2) - cm[:, 3]) ** 2
    t = 2.0 * M_W**2 * (np.sqrt(1.0 + q2 / M_W**2) - 1.0)
    edges = _quantile_edges(t, np.ones_like(t), 17)
    edges[-1] = etl.T_CUT_GEV2
    assert _chi2_unweighted(t, edges, expected_t(E0, 0.05 / E0, 0.05, kind, edges, M_W)) < 2.0


def test_cross_section_table(library):
    """The table is the exact ETL integral: equal to mudump.production.sigma (tabulated ETL/WW
    ratio) within its stated 1e-3 away from threshold, and to the library's own Monte Carlo
    estimate (mean weight of every proposal) within 1% (~4e5 proposals of relative spread ~1:
    error ~0.2%)."""
    from mudump.production import sigma

    E0, kind, a, summary = library
    tab = L.cross_section_table(kind, 0.05, "W", [E0])
    ref = float(sigma(E0, 0.05, "W", kind=kind)) * 1e40
    assert tab["sigma_pb"][0] == pytest.approx(ref, rel=1e-3)
    assert tab["sigma_cm2"][0] == pytest.approx(tab["sigma_pb"][0] * 1e-36, rel=1e-12)
    assert summary["energies"][0]["sigma_mc_pb"] == pytest.approx(tab["sigma_pb"][0], rel=0.01)


def test_default_grid_is_log_spaced_from_above_threshold():
    e = L.energy_grid(0.05, M_MU, 15.0, 20)
    assert e[0] == pytest.approx(1.2 * (0.05 + M_MU)) and e[-1] == 15.0
    assert np.allclose(np.diff(np.log(e)), np.log(e[1] / e[0]))


def test_cli_writes_library_and_table(tmp_path, capsys):
    out, tab = tmp_path / "lib.csv.gz", tmp_path / "xs.csv"
    code, text, err = run(capsys, "library", "--model", "B", "--mass", "0.05", "--element", "W", "--beam-energy", "15",
                          "--n-energies", "3", "-n", "500", "--output", str(out), "--table", str(tab), "--seed", "3",
                          "--json")
    assert code == 0, err
    d = json.loads(text)
    assert [r["energy_GeV"] for r in d["energies"]] == pytest.approx(L.energy_grid(0.05, M_MU, 15.0, 3).tolist())
    with gzip.open(out, "rt") as fh:
        assert fh.readline().strip() == L.CSV_HEADER
    a = L.read_library(out)
    assert a.shape == (1500, 10) and sorted(set(a[:, 1] / 1e3)) == pytest.approx(L.energy_grid(0.05, M_MU, 15.0, 3))
    lines = tab.read_text().splitlines()
    assert lines[0].startswith("# mudump") and lines[1] == "energy_GeV,sigma_pb,sigma_cm2" and len(lines) == 5


@pytest.mark.parametrize("args,words", [
    (["--element", "water", "--beam-energy", "15"], "element = 'water'"),
    (["--element", "W", "--energy", "0.1"], "energy_GeV = 0.1"),
    (["--element", "W", "--energy", "1e7"], "energy_GeV = 1e+07"),
    (["--element", "W", "--beam-energy", "0.1"], "beam_energy_GeV = 0.1"),
    (["--element", "W", "--beam-energy", "1e6"], "--beam-energy = 1e+06"),
    (["--element", "W", "--beam-energy", "15", "--lepton", "tau"], "--lepton = 'tau'"),
    (["--element", "W"], "--beam-energy"),
])
def test_cli_bad_input(tmp_path, capsys, args, words):
    code, _, err = run(capsys, "library", "--model", "B", "--mass", "0.05", "-n", "10", "--output",
                       str(tmp_path / "lib.csv"), *args)
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1, err


def test_cli_bad_suffix(tmp_path, capsys):
    code, _, err = run(capsys, "library", "--model", "B", "--mass", "0.05", "--element", "W", "--beam-energy", "15",
                       "-n", "10", "--output", str(tmp_path / "lib.txt"))
    assert code == 2 and ".csv.gz" in err
