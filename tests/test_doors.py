"""One answer, whatever the door: the same reach question asked through the command line
(``--json`` and ``--output x.json``), the Python API, a one-point design scan and the explorer's
JSON API gives the same numbers, because every door calls the same library functions. The
questions cover both paper models, a vector with a dark sector from a user's model file, and a
recast with observed events, a background with its uncertainty and an efficiency."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mudump import scan as S
from mudump.cli import main
from mudump.experiments import load_experiment
from mudump.models import get_model
from mudump.reach import reach_set

# a small grid keeps each question well under a second once the production tables are cached
GRID = dict(mass_min=0.004, mass_max=0.5, n_masses=9, coupling_min=1e-7, coupling_max=1e-1, n_couplings=50)
CLI_GRID = [f"--{k.replace('_', '-')}={v}" for k, v in GRID.items()]

USER_MODEL = """\
name = "my-dark-vector"
description = "a muon-only vector that decays mostly to dark fermions"
kind = "vector"
coupling_label = "g_mu"
[couplings]
mu = 1.0
[dark_sector]
alpha_D = 0.1
chi_mass_ratio = 0.3
"""

RECAST = """\
name = "my-recast"
label = "A recast"
[beam]
energy_GeV = 160.0
muons_on_target = 2e10
[target]
material = "Pb"
length_m = 0.2
[downstream]
length_m = 5.0
[signature]
kind = "missing-energy"
e_cut_GeV = 80.0
[statistics]
confidence_level = 0.9
observed = 2
background = 0.5
background_uncertainty = 0.2
efficiency = 0.25
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("doors")
    (d / "model.toml").write_text(USER_MODEL)
    (d / "recast.toml").write_text(RECAST)
    return d


def questions(files):
    """(experiment argument, model argument) of each question."""
    return [("fnal-mu", "A"), ("na64mu", "B"), ("fnal-mu", str(files / "model.toml")),
            (str(files / "recast.toml"), "B"), (str(files / "recast.toml"), str(files / "model.toml"))]


def cli_json(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    cap = capsys.readouterr()
    assert exc.value.code == 0, cap.err
    return json.loads(cap.out)


def api_json(experiment, model):
    """The Python API's answer: the library's own JSON document of the same question."""
    from mudump.reach import scan_grid

    masses, couplings = scan_grid(GRID["mass_min"], GRID["mass_max"], GRID["n_masses"], GRID["coupling_min"],
                                  GRID["coupling_max"], GRID["n_couplings"])
    return json.loads(json.dumps(reach_set([load_experiment(experiment)], get_model(model), masses=masses,
                                           couplings=couplings).to_json_document()))


NUMBERS = ("masses_GeV", "intervals", "intervals_open", "signal_events_limit", "limit_method", "cl",
           "muons_on_target", "model_spec", "experiment_spec", "contours", "outlines")


def test_cli_json_output_file_and_api_agree(capsys, files, tmp_path):
    for exp, mdl in questions(files):
        api = api_json(exp, mdl)
        cli = cli_json(capsys, "reach", exp, "--model", mdl, *CLI_GRID, "--json")
        out = tmp_path / "r.json"
        with pytest.raises(SystemExit) as exc:
            main(["reach", exp, "--model", mdl, *CLI_GRID, "--output", str(out)])
        assert exc.value.code == 0
        capsys.readouterr()
        from_file = json.loads(out.read_text())
        for key in NUMBERS:
            assert cli.get(key) == api.get(key) == from_file.get(key), (exp, mdl, key)
        # the result carries the model itself: its spec rebuilds an equal Model
        from mudump.models import parse_model

        assert parse_model(cli["model_spec"], "spec") == get_model(mdl)


def test_a_one_point_scan_agrees_with_reach(files):
    """A scan over one design point equal to the base experiment gives the reach's contour. A scan
    reuses production across design points (:func:`mudump.design.reach_many`, its event function
    interpolated in ln(width) with a relative error below 2e-7 wherever an edge can lie): the edges
    agree with a fresh reach to 1e-6 relative, the masses exactly."""
    from mudump.reach import scan_grid

    masses, couplings = scan_grid(GRID["mass_min"], GRID["mass_max"], GRID["n_masses"], GRID["coupling_min"],
                                  GRID["coupling_max"], GRID["n_couplings"])
    for exp, mdl in questions(files):
        e = load_experiment(exp)
        plan = S.plan_scan(e, {"target.length_m": [e.target.length_m]}, [mdl], masses=masses, couplings=couplings)
        (row,) = S.run_scan(plan, S.serial_executor())
        r = reach_set([e], get_model(mdl), masses=masses, couplings=couplings).results[0]
        flat = [(float(m), lo, hi) for m, iv in zip(r.masses, r.intervals) for lo, hi in iv]
        assert row["mass_GeV"] == [m for m, _, _ in flat], (exp, mdl)
        assert row["g_low"] == pytest.approx([lo for _, lo, _ in flat], rel=1e-6), (exp, mdl)
        assert row["g_high"] == pytest.approx([hi for _, _, hi in flat], rel=1e-6), (exp, mdl)
        assert row["model"] == get_model(mdl).name


def test_recast_question_uses_the_cls_limit(capsys, files):
    """The recast (2 observed, b = 0.5 +- 0.2, efficiency 0.25) needs 19.45 signal events at 90%
    CL (CLs with the background and efficiency uncertainties; mudump.statistics), and says so."""
    d = cli_json(capsys, "reach", str(files / "recast.toml"), "--model", "B", *CLI_GRID, "--json")
    assert d["limit_method"] != "poisson"
    assert d["signal_events_limit"] == pytest.approx(19.45, abs=0.01)


def test_the_console_script_runs():
    """The installed ``mudump`` entry point itself (not ``python -m``): a user's model file
    through ``decay --json``."""
    exe = shutil.which("mudump") or str(Path(sys.executable).with_name("mudump"))
    if not Path(exe).exists():
        pytest.fail("the mudump console script is not installed next to this Python")
    out = subprocess.run([exe, "decay", "B", "--mass", "0.1", "--coupling", "1e-3", "--json"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["model"] == "B" and d["total_width_GeV"] > 0
