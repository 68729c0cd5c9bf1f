"""The command line: JSON payloads, tables, and the one-line error path (exit code 2)."""

import json
import os
import subprocess
import sys

import pytest


from .helpers import run_cli as run


def run_json(capsys, *args):
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_decay_json(capsys):
    d = run_json(capsys, "decay", "A", "--mass", "0.1", "--coupling", "1e-4")
    assert set(d) >= {"widths_GeV", "total_width_GeV", "branching_ratios", "ctau_m"}
    assert set(d["widths_GeV"]) == {"gamma gamma", "e+ e-", "mu+ mu-", "tau+ tau-"}
    assert sum(d["branching_ratios"].values()) == pytest.approx(1.0)
    assert d["branching_ratios"]["e+ e-"] > 0.95  # 0.954: gamma gamma takes the rest (tests/test_models.py)
    assert d["ctau_m"] == pytest.approx(1.973269804e-16 / d["total_width_GeV"], rel=1e-6)


def test_decay_table(capsys):
    code, out, _ = run(capsys, "decay", "B", "--mass", "0.3", "--coupling", "1e-3")
    assert code == 0 and "mu+ mu-" in out and "c tau" in out


def test_g2_json(capsys):
    d = run_json(capsys, "g2", "--mass", "0.01", "--coupling", "4e-4")
    assert d["delta_a"] > 0
    b = run_json(capsys, "g2", "--band", "--preset", "fnal2021", "--mass", "0.01")
    assert b["anomalous"] is True and b["g_mu_lo1"] < b["g_mu_central"] < b["g_mu_hi1"]
    default = run_json(capsys, "g2", "--band", "--mass", "0.01")
    assert default["preset"] == "wp25" and default["anomalous"] is False


def test_xsec_json(capsys):
    d = run_json(capsys, "xsec", "--material", "Pb", "--energy", "160", "--mass", "0.1", "--x", "0.5", "--x", "0.9")
    assert d["method"] == "etl" and d["x"] == [0.5, 0.9]
    assert len(d["dsigma_dx_cm2"]) == 2 and all(v > 0 for v in d["dsigma_dx_cm2"])
    assert 1e-29 < d["sigma_cm2"] < 1e-25
    i = run_json(capsys, "xsec", "--material", "Pb", "--energy", "160", "--mass", "0.1", "--method", "iww")
    assert i["method"] == "iww" and i["sigma_cm2"] > d["sigma_cm2"]
    assert len(i["x"]) == len(i["dsigma_dx_cm2"]) > 0
    g = run_json(capsys, "xsec", "--material", "Pb", "--energy", "160", "--mass", "0.1", "--coupling", "1e-3")
    assert g["sigma_cm2"] == pytest.approx(1e-6 * d["sigma_cm2"], rel=1e-9)


def test_material_json(capsys):
    d = run_json(capsys, "material", "W", "--energy", "3")
    assert set(d) >= {"dEdx_MeV_cm2_per_g", "dEdz_GeV_per_m", "csda_range_m", "density_g_cm3"}
    assert d["density_g_cm3"] == pytest.approx(19.3)
    assert 1.1 < d["csda_range_m"] < 1.2


@pytest.mark.parametrize(
    "args,needle",
    [
        (["decay", "B", "--mass", "-0.1", "--coupling", "1e-4"], "mass_GeV"),
        (["decay", "B", "--mass", "0", "--coupling", "1e-4"], "mass_GeV"),
        (["decay", "B", "--mass", "nan", "--coupling", "1e-4"], "mass_GeV"),
        (["decay", "B", "--mass", "5", "--coupling", "1e-4"], "mass_GeV"),
        (["decay", "B", "--mass", "0.1", "--coupling", "nan"], "coupling"),
        (["decay", "Z", "--mass", "0.1", "--coupling", "1e-4"], "model"),
        (["decay", "B", "--mass", "abc", "--coupling", "1e-4"], "--mass"),
        (["xsec", "--material", "Pb", "--energy", "0.05", "--mass", "0.1"], "energy_GeV"),
        (["xsec", "--material", "Qq", "--energy", "10", "--mass", "0.1"], "material"),
        (["xsec", "--material", "Pb", "--energy", "10", "--mass", "0.1", "--method", "exact"], "method"),
        (["xsec", "--material", "Pb", "--energy", "10", "--mass", "0.1", "--x", "2"], "x"),
        (["material", "Qq", "--energy", "3"], "material"),
        (["material", "W", "--energy", "0.01"], "energy_GeV"),
        (["g2", "--mass", "0.1"], "--coupling"),
        (["g2", "--band", "--preset", "nope", "--mass", "0.1"], "preset"),
        # one validity range (1 MeV - 1 GeV) for every command
        (["g2", "--mass", "5", "--coupling", "1e-3"], "mass_GeV"),
        (["g2", "--band", "--mass", "1e-5"], "mass_GeV"),
        (["xsec", "--material", "Pb", "--energy", "10", "--mass", "2"], "mass_GeV"),
        (["ratio", "--material", "Pb", "--energy", "10", "--mass-min", "1e-5"], "mass_min_GeV"),
        (["ratio", "--material", "Pb", "--energy", "10", "--mass-max", "3"], "mass_max_GeV"),
        # a zero coupling has no decays: refused instead of printing c tau = inf
        (["decay", "A", "--mass", "0.1", "--coupling", "0"], "coupling"),
        (["events", "fnal-mu", "--model", "A", "--mass", "0.1", "--coupling", "1e-4", "-n", "10", "--seed", "-1",
          "--output", "/tmp/never-written.parquet"], "--seed"),
        (["reach", "fnal-mu", "--model", "A", "--method", "iww", "--method", "etl"], "--method"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(capsys, args, needle):
    code, out, err = run(capsys, *args)
    assert code == 2
    lines = [l for l in err.strip().splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert needle in lines[0]
    assert "Traceback" not in err and out == ""


def test_console_script_error_path():
    """The installed entry point, as a user runs it: no traceback, exit code 2."""
    proc = subprocess.run(
        [sys.executable, "-m", "mudump.cli", "decay", "B", "--mass", "-1", "--coupling", "1"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: mass_GeV") and "Traceback" not in proc.stderr


def test_decay_plot(tmp_path, capsys):
    png = tmp_path / "l.png"
    code, out, err = run(capsys, "decay", "A", "--mass", "0.1", "--coupling", "1e-4", "--plot", str(png))
    assert code == 0 and png.stat().st_size > 5000


@pytest.mark.parametrize("letter,name", [("A", "leptophilic"), ("B", "muonphilic")])
def test_descriptive_model_names_give_identical_results(capsys, letter, name):
    by_letter = run_json(capsys, "decay", letter, "--mass", "0.05", "--coupling", "1e-4")
    by_name = run_json(capsys, "decay", name, "--mass", "0.05", "--coupling", "1e-4")
    assert by_letter == by_name
    assert by_letter["model"] == letter and by_letter["model_name"] == name
    r_letter = run_json(capsys, "reach", "fnal-mu", "--model", letter, "--n-masses", "3", "--n-couplings", "30")
    r_name = run_json(capsys, "reach", "fnal-mu", "--model", name, "--n-masses", "3", "--n-couplings", "30")
    assert r_letter == r_name


def test_unknown_model_lists_accepted_names(capsys):
    code, out, err = run(capsys, "decay", "C", "--mass", "0.1", "--coupling", "1e-4")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "leptophilic" in err and "muonphilic" in err


LOW_BEAM = """
name = "low"
[beam]
energy_GeV = 0.5
muons_on_target = 1e12
[target]
material = "W"
length_m = 0.1
[downstream]
length_m = 1.0
[signature]
kind = "displaced-decay"
"""


def test_no_signal_is_said_in_words_alike(tmp_path, capsys):
    """Below threshold (0.5 GeV muons, m_S = 0.5 GeV): spectrum and events both say "no signal"
    in one line with exit 2, instead of an empty plot for one and a refusal for the other."""
    exp = tmp_path / "low.toml"
    exp.write_text(LOW_BEAM)
    msgs = []
    for args in (["spectrum", str(exp), "--model", "A", "--mass", "0.5", "--coupling", "1e-4",
                  "--plot", str(tmp_path / "s.png")],
                 ["events", str(exp), "--model", "A", "--mass", "0.5", "--coupling", "1e-4", "-n", "10",
                  "--output", str(tmp_path / "e.parquet")]):
        code, out, err = run(capsys, *args)
        assert code == 2 and out == "" and err.startswith("error: no signal") and err.count("\n") == 1
        msgs.append(err)
    assert msgs[0] == msgs[1]
    assert not (tmp_path / "s.png").exists() and not (tmp_path / "e.parquet").exists()


@pytest.mark.parametrize("where", ["missing-dir", "is-dir", "special", "under-a-file"])
def test_unwritable_output_fails_before_computing(tmp_path, capsys, where):
    """An output path that cannot be written is refused in one line before any work.
    As root, permission bits do not stop a write, so the cases are ones that fail for anyone."""
    target = {
        "missing-dir": tmp_path / "nowhere" / "r.png",
        "is-dir": tmp_path / "adir.png",
        "special": tmp_path / "fifo.png",
        "under-a-file": tmp_path / "afile" / "r.png",
    }[where]
    if where == "is-dir":
        target.mkdir()
    if where == "special":
        os.mkfifo(target)
    if where == "under-a-file":
        (tmp_path / "afile").write_text("x")
    for args in (["decay", "A", "--mass", "0.1", "--coupling", "1e-4", "--plot", str(target)],
                 ["reach", "fnal-mu", "--model", "A", "--n-masses", "2", "--plot", str(target)],
                 ["reach", "fnal-mu", "--model", "A", "--n-masses", "2", "--output", str(target.with_suffix(".csv"))],
                 ["spectrum", "fnal-mu", "--model", "A", "--mass", "0.1", "--coupling", "1e-4", "--plot", str(target)],
                 ["ratio", "--material", "W", "--energy", "3", "--plot", str(target)]):
        if where in ("is-dir", "special") and args[-2] == "--output":
            continue  # the .csv sibling is an ordinary new file there
        code, out, err = run(capsys, *args)
        assert code == 2 and out == "" and err.startswith("error: ") and err.count("\n") == 1, (args, err)
        assert "Traceback" not in err


def test_write_error_after_computing_is_one_line(tmp_path, capsys, monkeypatch):
    """A write that fails half-way (disk full, the directory removed meanwhile) is one line too."""
    from mudump import plotting

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plotting, "save", full)
    code, out, err = run(capsys, "decay", "A", "--mass", "0.1", "--coupling", "1e-4", "--plot", str(tmp_path / "p.png"))
    assert code == 2 and "No space left on device" in err and err.count("\n") == 1


def test_seed_is_recorded_and_repeats_the_run(tmp_path, capsys):
    """Without --seed a fresh seed is drawn and recorded; giving it back repeats the run."""
    a = run_json(capsys, "events", "fnal-mu", "--model", "B", "--mass", "0.05", "--coupling", "1e-4", "-n", "200",
                 "--output", str(tmp_path / "a.parquet"))
    assert isinstance(a["seed"], int) and 0 <= a["seed"] < 2**63
    b = run_json(capsys, "events", "fnal-mu", "--model", "B", "--mass", "0.05", "--coupling", "1e-4", "-n", "200",
                 "--seed", str(a["seed"]), "--output", str(tmp_path / "b.parquet"))
    assert b["seed"] == a["seed"] and b["sum_weights"] == a["sum_weights"]


def test_version_and_flags_in_help(capsys):
    from mudump import __version__

    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"mudump {__version__}"
    code, out, _ = run(capsys, "decay", "--help")
    assert code == 0 and "--json " in out and "<bool>" not in out and "--json/" not in out


@pytest.mark.slow
def test_ctrl_c_says_interrupted():
    """SIGINT during a long command: one line "interrupted", exit code 130."""
    import signal
    import time

    script = (
        # a process started in the background by a non-interactive shell inherits SIGINT
        # ignored: restore Python's default handler, as an interactive terminal has it
        "import signal\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "import time\n"
        "import mudump.reach as r\n"
        "def slow(*a, **k):\n"
        "    time.sleep(60)\n"
        "r.experiment_yield = slow\n"
        "from mudump.cli import main\n"
        "print('started', flush=True)\n"
        "main(['reach', 'fnal-mu', '--model', 'A', '--n-masses', '2'])\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "started"
    time.sleep(1.0)  # inside the command by now (the slow stand-in sleeps for a minute)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and err.strip() == "interrupted", err


def test_g2_for_a_model(capsys):
    """Delta a of a model through the CLI equals the library's (a pseudoscalar lowers a_mu; its
    band is only an exclusion)."""
    from mudump.models import get_model

    d = run_json(capsys, "g2", "--mass", "0.01", "--coupling", "4e-4", "--model", "muonphilic-ps")
    assert d["kind"] == "pseudoscalar" and d["delta_a"] < 0
    assert d["delta_a"] == pytest.approx(float(get_model("muonphilic-ps").delta_a(0.01, 4e-4)), rel=1e-12)
    b = run_json(capsys, "g2", "--mass", "0.01", "--band", "--model", "muonphilic-ps", "--preset", "fnal2021")
    assert b["favoured"] is False and b["g_mu_central"] == 0.0 and b["g_mu_upper_limit"] > 0


def test_reach_progress_total_includes_threshold_masses(capsys, monkeypatch):
    """reach adds a mass below each decay threshold (2 m_e, 2 m_mu for model A): the bar's total is the
    masses actually computed, so it ends at n/n (once 101/100)."""
    from contextlib import contextmanager

    import mudump.cli.reach as cli_reach

    seen = {}

    class Bar:
        def add_task(self, description, total):
            seen["total"] = total
            return 0

        def update(self, task, completed=None, total=None):
            if total is not None:
                seen["total"] = total
            seen["completed"] = completed

    @contextmanager
    def fake():
        yield Bar()

    monkeypatch.setattr(cli_reach, "progress_bar", fake)
    code, out, err = run(capsys, "reach", "na64mu", "--model", "A", "--n-masses", "5", "--n-couplings", "20", "--json")
    assert code == 0, err
    n = len(json.loads(out)["masses_GeV"])
    assert n == 7  # 5 log-spaced masses and the points below 2 m_e (1.022 MeV) and 2 m_mu
    assert seen["completed"] == seen["total"] == n


def test_reach_refuses_mc_acceptance_with_iww(capsys):
    """The library refuses acceptance = mc with IWW (no angular distribution); the command line
    once silently dropped the acceptance instead."""
    for args in (("--method", "iww"), ("--compare", "iww")):
        code, out, err = run(capsys, "reach", "fnal-mu", "--model", "B", "--acceptance", "mc", *args, "--n-masses", "2")
        assert code == 2 and out == "" and "needs a method with an angular distribution" in err
