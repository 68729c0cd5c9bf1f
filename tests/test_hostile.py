"""Hostile inputs through the real command line: every bad or odd input ends in one line
``error: ...`` naming what is wrong (exit code 2), never a traceback and never a silent result.

``CASES`` is the table: (id, command line, files to write first, a fragment the one error line
must contain). ``{tmp}`` in an argument is the test's temporary directory; files are written
there under their key.
"""

from __future__ import annotations

import pytest

from mudump.cli import main

EXP = """name = "x"
label = "X"
[beam]
energy_GeV = 160.0
muons_on_target = 1e13
[target]
material = "Pb"
length_m = 0.2
[downstream]
length_m = 5.0
[signature]
kind = "missing-energy"
e_cut_GeV = 50.0
"""

MODEL = """name = "mine"
kind = "scalar"
[couplings]
mu = 1.0
"""


def exp(**repl) -> str:
    """The experiment file above with some lines replaced (``old=new`` pairs, as text)."""
    text = EXP
    for old, new in repl.values():
        assert old in text
        text = text.replace(old, new, 1)
    return text


def model(extra: str = "", **repl) -> str:
    text = MODEL
    for old, new in repl.values():
        assert old in text
        text = text.replace(old, new, 1)
    return text + extra


DECAY = ("--mass", "0.1", "--coupling", "1e-3")

# (id, argv, files, fragment of the one error line)
CASES: list[tuple[str, tuple[str, ...], dict[str, str], str]] = [
    # -- model names: an empty or unmatched name is an unknown model, never a preset
    ("model-empty", ("decay", "", *DECAY), {}, "model = '' is unknown"),
    ("model-punctuation", ("decay", "???", *DECAY), {}, "model = '???' is unknown"),
    ("model-blank", ("decay", " ", *DECAY), {}, "model = ' ' is unknown"),
    ("model-opt-punctuation", ("g2", "--model", "???", "--mass", "0.01", "--coupling", "1e-3"), {}, "model = '???' is unknown"),
    ("model-long", ("decay", "x" * 5000, *DECAY), {}, "is unknown"),
    ("model-file-missing", ("decay", "{tmp}/nope.toml", *DECAY), {}, "does not exist"),
    ("model-file-not-toml", ("decay", "{tmp}/m.toml", *DECAY), {"m.toml": "name = [\n"}, "not valid TOML"),
    ("model-file-empty-name", ("decay", "{tmp}/m.toml", *DECAY), {"m.toml": model(n=('name = "mine"', 'name = ""'))},
     "name: must not be empty"),
    ("model-file-long-name", ("decay", "{tmp}/m.toml", *DECAY), {"m.toml": model(n=('name = "mine"', f'name = "{"n" * 100000}"'))},
     "name: must have at most 100 characters"),
    ("model-label-frac", ("decay", "{tmp}/m.toml", *DECAY), {"m.toml": 'coupling_label = "$\\\\frac{$"\n' + MODEL},
     "coupling_label"),
    ("model-label-undefined", ("decay", "{tmp}/m.toml", *DECAY), {"m.toml": 'coupling_label = "$\\\\undefinedcmd$"\n' + MODEL},
     "Unknown symbol"),
    # -- experiment files: names and labels checked when read
    ("exp-empty-name", ("reach", "{tmp}/e.toml", "--model", "B"), {"e.toml": exp(n=('name = "x"', 'name = ""'))},
     "name: must not be empty"),
    ("exp-long-name", ("reach", "{tmp}/e.toml", "--model", "B"), {"e.toml": exp(n=('name = "x"', f'name = "{"n" * 100000}"'))},
     "name: must have at most 100 characters"),
    ("exp-label-frac", ("reach", "{tmp}/e.toml", "--model", "B"), {"e.toml": exp(n=('label = "X"', 'label = "$\\\\frac{$"'))},
     "label = "),
    ("exp-label-undefined", ("reach", "{tmp}/e.toml", "--model", "B"),
     {"e.toml": exp(n=('label = "X"', 'label = "$\\\\undefinedcmd$"'))}, "Unknown symbol"),
    ("exp-huge-list", ("reach", "{tmp}/e.toml", "--model", "B"),
     {"e.toml": exp(n=("length_m = 0.2", "length_m = [" + ", ".join(["1.0"] * 200000) + "]"))}, "(200000 elements)"),
    # -- couplings: no silent underflow, no overflow
    ("decay-coupling-underflow", ("decay", "B", "--mass", "1e-3", "--coupling", "1e-300"), {},
     "coupling = 1e-300 is too small: the decay widths underflow"),
    ("decay-coupling-zero", ("decay", "B", "--mass", "0.1", "--coupling", "0"), {}, "coupling = 0 is not allowed"),
    ("decay-coupling-huge", ("decay", "B", "--mass", "0.1", "--coupling", "10"), {}, "coupling <= 3.54"),
    ("decay-coupling-nan", ("decay", "B", "--mass", "0.1", "--coupling", "nan"), {}, "coupling = nan"),
    ("model-ratio-huge", ("decay", "{tmp}/m.toml", *DECAY), {"m.toml": model("e = 1e200\n")},
     "couplings.e = 1e+200 is not allowed: need couplings.e <= 1000"),
    ("model-ratio-huge-negative", ("decay", "{tmp}/m.toml", *DECAY), {"m.toml": model("tau = -1e5\n")},
     "couplings.tau = -100000 is not allowed: need couplings.tau >= -1000"),
    ("model-ratio-string", ("decay", "{tmp}/m.toml", *DECAY), {"m.toml": model('e = "big"\n')},
     "couplings.e: must be a number"),
    ("model-kind-unknown", ("decay", "{tmp}/m.toml", *DECAY), {"m.toml": model(k=('kind = "scalar"', 'kind = "tensor"'))},
     "kind"),
    # -- one energy range everywhere (mudump.constants.E_MAX_GEV = 1e5 GeV)
    ("xsec-energy-huge", ("xsec", "--material", "Pb", "--energy", "1e9", "--mass", "0.1"), {}, "energy_GeV <= 100000"),
    ("ratio-energy-huge", ("ratio", "--material", "Pb", "--energy", "1e9"), {}, "energy_GeV <= 100000"),
    ("material-energy-huge", ("material", "Pb", "--energy", "1e9"), {}, "energy_GeV <= 100000"),
    ("exp-energy-huge", ("reach", "{tmp}/e.toml", "--model", "B"), {"e.toml": exp(n=("energy_GeV = 160.0", "energy_GeV = 1e9"))},
     "beam.energy_GeV <= 100000"),
    ("ratio-versus-etl", ("ratio", "--material", "Pb", "--energy", "160", "--versus", "etl"), {}, "'etl' is not one of 'ww', 'iww'"),
    ("ratio-versus-unknown", ("ratio", "--material", "Pb", "--energy", "160", "--versus", "xyz"), {}, "Invalid value for '--versus'"),
    # -- a broad sample of bad numbers, names and paths, command by command
    ("decay-mass-zero", ("decay", "B", "--mass", "0", "--coupling", "1e-3"), {}, "mass_GeV = 0 is not allowed"),
    ("decay-mass-inf", ("decay", "B", "--mass", "inf", "--coupling", "1e-3"), {}, "mass_GeV = inf"),
    ("decay-mass-text", ("decay", "B", "--mass", "abc", "--coupling", "1e-3"), {}, "Invalid value for '--mass'"),
    ("decay-plot-no-dir", ("decay", "B", *DECAY, "--plot", "/nonexistent/x.png"), {}, "does not exist"),
    ("decay-plot-suffix", ("decay", "B", *DECAY, "--plot", "{tmp}/x.txt"), {}, "must end in .png, .pdf, .svg"),
    ("decay-plot-stable", ("decay", "muonphilic-vector", *DECAY, "--plot", "{tmp}/v.png"), {}, "stable at tree level"),
    ("decay-model-dir", ("decay", "{tmp}/d.toml", *DECAY), {"d.toml/keep": ""}, "is not a regular file"),
    ("decay-model-binary", ("decay", "{tmp}/b.toml", *DECAY), {"b.toml": "\udcff"}, "not valid TOML"),
    ("g2-no-coupling", ("g2", "--mass", "0.01"), {}, "--coupling is required"),
    ("g2-lepton", ("g2", "--mass", "0.01", "--coupling", "1e-3", "--lepton", "xyz"), {}, "lepton = 'xyz' is unknown"),
    ("g2-preset", ("g2", "--mass", "0.01", "--band", "--preset", "nope"), {}, "preset = 'nope' is unknown"),
    ("g2-coupling-nan", ("g2", "--mass", "0.01", "--coupling", "nan"), {}, "coupling = nan"),
    ("xsec-x-above-one", ("xsec", "--material", "Pb", "--energy", "160", "--mass", "0.1", "--x", "1.5"), {}, "x = 1.5"),
    ("xsec-below-threshold", ("xsec", "--material", "Pb", "--energy", "0.2", "--mass", "0.1"), {}, "to produce S"),
    ("xsec-material", ("xsec", "--material", "Unobtainium", "--energy", "160", "--mass", "0.1"), {}, "material = 'Unobtainium'"),
    ("xsec-material-empty", ("xsec", "--material", "", "--energy", "160", "--mass", "0.1"), {}, "material = '' is unknown"),
    ("xsec-method", ("xsec", "--material", "Pb", "--energy", "160", "--mass", "0.1", "--method", "xyz"), {}, "Invalid value for '--method': 'xyz' is not one of"),
    ("xsec-kind", ("xsec", "--material", "Pb", "--energy", "160", "--mass", "0.1", "--kind", "tensor"), {}, "Invalid value for '--kind': 'tensor' is not one of"),
    ("xsec-form-factor", ("xsec", "--material", "Pb", "--energy", "160", "--mass", "0.1", "--form-factor", "x"), {},
     "Invalid value for '--form-factor': 'x' is not one of"),
    ("ratio-masses-reversed", ("ratio", "--material", "Pb", "--energy", "160", "--mass-min", "0.5", "--mass-max", "0.1"), {},
     "mass_max_GeV = 0.1"),
    ("material-energy-below-rest", ("material", "Pb", "--energy", "0.1"), {}, "energy_GeV = 0.1"),
    ("material-no-density", ("material", "Og", "--energy", "10"), {}, "no density known"),
    ("reach-experiment-unknown", ("reach", "nope", "--model", "B"), {}, "experiment = 'nope' is unknown"),
    ("reach-experiment-empty", ("reach", "", "--model", "B"), {}, "experiment = '' is unknown"),
    ("reach-experiment-missing-file", ("reach", "{tmp}/none.toml", "--model", "B"), {}, "does not exist"),
    ("reach-experiment-bad-toml", ("reach", "{tmp}/e.toml", "--model", "B"), {"e.toml": "x"}, "not valid TOML"),
    # -- electron beams: the count that matches the lepton, the cone, the method, the doors
    ("exp-electron-with-muons", ("reach", "{tmp}/e.toml", "--model", "A"),
     {"e.toml": exp(n=("[beam]\n", '[beam]\nlepton = "e"\n'))}, "beam.muons_on_target does not fit beam.lepton = 'e': give beam.electrons_on_target"),
    ("exp-muon-with-electrons", ("reach", "{tmp}/e.toml", "--model", "A"),
     {"e.toml": exp(n=("muons_on_target", "electrons_on_target"))}, "beam.electrons_on_target does not fit beam.lepton = 'mu'"),
    ("exp-muon-energy-below-mass", ("reach", "{tmp}/e.toml", "--model", "A"),
     {"e.toml": exp(n=("energy_GeV = 160.0", "energy_GeV = 0.1"), c=("e_cut_GeV = 50.0", "e_cut_GeV = 0.0"))},
     "beam.energy_GeV = 0.1 is not allowed: need beam.energy_GeV > 0.105658 (the muon mass)"),
    ("exp-cone-for-muons", ("reach", "{tmp}/e.toml", "--model", "A"),
     {"e.toml": EXP + "theta_max_rad = 0.01\n"}, "theta_max_rad (an acceptance cone) is supported for electron beams only"),
    ("exp-provenance-unknown-field", ("reach", "{tmp}/e.toml", "--model", "A"),
     {"e.toml": EXP + '[provenance]\n"beam.colour_GeV" = "cited: x"\n'}, "provenance: 'beam.colour_GeV' is not a field"),
    ("exp-provenance-unsaid", ("reach", "{tmp}/e.toml", "--model", "A"),
     {"e.toml": EXP + '[provenance]\n"beam.energy_GeV" = "from a talk"\n'},
     "provenance.beam.energy_GeV must start with one of cited:, calibrated:, assumed:"),
    ("reach-electron-beam-etl", ("reach", "e137", "--model", "A", "--method", "etl"), {},
     "method = 'etl' is not available for an electron beam (beam.lepton = 'e'): use ww"),
    ("reach-electron-beam-muon-only-model", ("reach", "orsay", "--model", "B"), {},
     "model B has no coupling to electrons: the electron beam of experiment orsay produces nothing for it"),
    ("spectrum-electron-beam", ("spectrum", "e137", "--model", "A", "--mass", "0.01", "--coupling", "1e-5"), {},
     "spectra and events are computed for muon beams only"),
    ("events-electron-beam", ("events", "orsay", "--model", "A", "--mass", "0.01", "--coupling", "1e-5", "-n", "10",
                              "--output", "{tmp}/ev.parquet"), {}, "spectra and events are computed for muon beams only"),
    ("reach-experiment-unknown-field", ("reach", "{tmp}/e.toml", "--model", "B"), {"e.toml": EXP + "colour = 1\n"},
     "colour: is not a known field"),
    ("reach-experiment-negative-length", ("reach", "{tmp}/e.toml", "--model", "B"),
     {"e.toml": exp(n=("length_m = 0.2", "length_m = -0.2"))}, "target.length_m = -0.2 is not allowed"),
    ("reach-experiment-material", ("reach", "{tmp}/e.toml", "--model", "B"),
     {"e.toml": exp(n=('material = "Pb"', 'material = "Kryptonite"'))}, "Kryptonite"),
    ("reach-background-huge", ("reach", "{tmp}/e.toml", "--model", "B", "--n-masses", "2"),
     {"e.toml": EXP + "[statistics]\nbackground = 1e13\n"}, "background = 1e+13 is not allowed"),
    ("reach-observed-impossible", ("reach", "{tmp}/e.toml", "--model", "B", "--n-masses", "2"),
     {"e.toml": EXP + "[statistics]\nobserved = 0\nbackground = 1e6\n"}, "observed = 0 is incompatible with background"),
    ("reach-mass-min-zero", ("reach", "na64mu", "--model", "B", "--mass-min", "0"), {}, "mass_min_GeV = 0"),
    ("reach-couplings-reversed", ("reach", "na64mu", "--model", "B", "--coupling-min", "1e-3", "--coupling-max", "1e-5"),
     {}, "coupling_max = 1e-05 must be above"),
    ("reach-method-count", ("reach", "na64mu", "--model", "B", "--method", "etl", "--method", "ww"), {}, "(--method) is given 2 times"),
    ("reach-acceptance", ("reach", "na64mu", "--model", "B", "--acceptance", "xyz"), {}, "Invalid value for '--acceptance'"),
    ("reach-acceptance-mc-iww", ("reach", "fnal-mu", "--model", "B", "--acceptance", "mc", "--method", "iww"), {},
     "acceptance = 'mc' needs a method with an angular distribution"),
    ("reach-preset-e", ("reach", "na64mu", "--model", "B", "--preset-e", "xyz"), {}, "electron preset = 'xyz'"),
    ("reach-overlay-missing", ("reach", "na64mu", "--model", "B", "--overlay", "{tmp}/none.toml"), {}, "does not exist"),
    ("reach-output-suffix", ("reach", "na64mu", "--model", "B", "--output", "{tmp}/x.txt"), {}, "must end in .csv, .json"),
    ("spectrum-coupling-zero", ("spectrum", "na64mu", "--model", "B", "--mass", "0.1", "--coupling", "0"), {},
     "need 0 < coupling <= 3.54491"),
    ("spectrum-bins-zero", ("spectrum", "na64mu", "--model", "B", "--mass", "0.1", "--coupling", "1e-3", "--bins", "0"), {},
     "Invalid value for '--bins'"),
    ("events-method-iww", ("events", "na64mu", "--model", "B", *DECAY, "-n", "10", "--output", "{tmp}/x.hepmc", "--method",
                           "iww"), {}, "iww"),
    ("events-output-suffix", ("events", "na64mu", "--model", "B", *DECAY, "-n", "10", "--output", "{tmp}/x.txt"), {},
     "--output = "),
    ("events-coupling-zero", ("events", "na64mu", "--model", "B", "--mass", "0.1", "--coupling", "0", "-n", "10", "--output",
                              "{tmp}/x.hepmc"), {}, "coupling = 0"),
    ("scan-field-unknown", ("scan", "na64mu", "--model", "B", "--grid", "nope=1,2", "--output", "{tmp}/s.parquet"), {},
     "scan field 'nope' is not a numeric field"),
    ("scan-grid-twice", ("scan", "na64mu", "--model", "B", "--grid", "target.length_m=1,2", "--grid", "target.length_m=3,4",
                         "--output", "{tmp}/s.parquet"), {}, "--grid target.length_m is given twice"),
    ("scan-grid-nan", ("scan", "na64mu", "--model", "B", "--grid", "target.length_m=nan,1", "--output", "{tmp}/s.parquet"), {},
     "target.length_m = nan"),
    ("scan-grid-huge-range", ("scan", "na64mu", "--model", "B", "--grid", "target.length_m=1:2:1e9", "--output",
                              "{tmp}/s.parquet"), {}, "num = 1e9"),
    ("scan-no-model", ("scan", "na64mu", "--grid", "target.length_m=1,2", "--output", "{tmp}/s.parquet"), {}, "no model"),
    ("scan-output-suffix", ("scan", "na64mu", "--model", "B", "--grid", "target.length_m=1,2", "--output", "{tmp}/x.csv"), {},
     "must end in .parquet"),
    ("scan-file-missing", ("scan", "na64mu", "--model", "B", "--file", "{tmp}/none.toml", "--output", "{tmp}/s.parquet"), {},
     "does not exist"),
    ("serve-port", ("serve", "--port", "70000"), {}, "Invalid value for '--port'"),
    # -- rounding must not make a message contradict itself
    ("mass-just-above", ("decay", "B", "--mass", "1.0000001", "--coupling", "1e-3"), {}, "mass_GeV = 1.0000001 "),
    ("ratio-mass-min-at-top", ("ratio", "--material", "Pb", "--energy", "160", "--mass-min", "1"), {},
     "mass_min_GeV = 1 leaves no mass range"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hostile_input_is_one_line(case, tmp_path, capsys):
    _, argv, files, fragment = case
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(text.encode("utf-8", "surrogateescape"))
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    cap = capsys.readouterr()
    lines = [ln for ln in cap.err.splitlines() if ln.strip() and not ln.startswith("warning: ")]
    assert exc.value.code == 2, (cap.out[:500], cap.err[:2000])
    assert cap.out == ""  # nothing silently computed
    assert len(lines) == 1 and lines[0].startswith("error: "), cap.err[:2000]
    assert "Traceback" not in cap.err
    assert len(lines[0]) < 600, lines[0][:200]  # the echo of a value is bounded
    assert fragment in lines[0], lines[0]


def test_check_mathtext_names_the_field():
    """The public helper: a good label passes unchanged, a LaTeX mistake is one line naming the
    field and matplotlib's reason."""
    from mudump._checks import check_mathtext
    from mudump.errors import ConfigError

    assert check_mathtext("label", "NA64-$\\mu$") == "NA64-$\\mu$"
    assert check_mathtext("label", "cost $5") == "cost $5"  # one $: plain text for matplotlib
    for bad, reason in (("$\\frac{$", "frac"), ("$\\undefinedcmd$", "Unknown symbol")):
        with pytest.raises(ConfigError, match=reason) as exc:
            check_mathtext("overlay.label", bad)
        assert str(exc.value).startswith("overlay.label = ") and "\n" not in str(exc.value)


# -- processes: a killed scan leaves no worker behind ------------------------------------------

def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (Linux /proc), zombies excluded."""
    import os

    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(d))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def _alive(pids) -> set[int]:

    alive = set()
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] != "Z":
                    alive.add(p)
        except OSError:
            pass
    return alive


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="/proc and PR_SET_PDEATHSIG are Linux")
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGKILL"])
def test_killed_scan_leaves_no_worker(tmp_path, signame):
    """What `timeout` and batch schedulers do: SIGTERM (then SIGKILL) to the scan. No worker may
    go on computing; SIGTERM also saves the rows done and says how to resume (exit 143)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "s.parquet"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mudump.cli", "scan", "fnal-mu", "--grid", "target.length_m=0.5:3:40", "--model", "B",
         "--workers", "2", "--n-masses", "2000", "--n-couplings", "2000", "--output", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        below: set[int] = set()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(below) < 3:  # fork server + 2 workers
            time.sleep(0.2)
            below = _descendants(proc.pid)
            assert proc.poll() is None, proc.communicate()
        assert len(below) >= 3, below
        time.sleep(1.0)  # the workers are computing
        os.kill(proc.pid, getattr(signal, signame))
        _, err = proc.communicate(timeout=120)
        deadline = time.monotonic() + 20
        while _alive(below) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(below), f"still running after the scan was killed: {_alive(below)}"
        if signame == "SIGTERM":
            assert proc.returncode == 143, err
            assert "run the same command again to resume" in err and out.exists(), err
            assert "Traceback" not in err
        else:
            assert proc.returncode == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()


def test_mathtext_fast_path_never_accepts_what_matplotlib_refuses():
    """check_mathtext accepts the usual labels without importing matplotlib (a grammar matplotlib
    always accepts). Against matplotlib's own parser on 1500 random labels (fixed seed) made of
    plain text, $, \\$, braces, scripts and symbols: everything the check passes, matplotlib
    parses (the reverse need not hold: the parser decides what the grammar does not cover)."""
    import random

    from matplotlib.mathtext import MathTextParser

    from mudump._checks import _mathtext_problem

    parser = MathTextParser("path")
    pieces = list("ab1 _^{}+-'/()") + ["\\$", "\\mu", "\\times", "\\frac", "\\nope", "\\alpha", "x^{", "_{", "{}", "^3"]
    rng = random.Random(20261205)

    def some(k):
        return "".join(rng.choice(pieces) for _ in range(rng.randint(0, k)))

    passed = 0
    for _ in range(1500):
        text = some(3) + "$" + some(8) + "$" + some(3) + ("$" + some(4) + "$" if rng.random() < 0.3 else "")
        if _mathtext_problem(text) == "" and (text.count("$") - text.count("\\$")) % 2 == 0:
            passed += 1
            parser.parse(text, dpi=72)  # raises if the check was wrong (any exception: not drawable)
    assert passed > 150  # the comparison covered many accepted labels


def test_loading_a_preset_needs_no_matplotlib():
    """Labels of the shipped presets take the fast path: reading an experiment or a model does
    not import matplotlib (0.5 s here), so commands without --plot stay quick."""
    import subprocess
    import sys

    code = ("import sys; from mudump.experiments import load_experiment, preset_names; "
            "from mudump.models import presets; [load_experiment(n).legend for n in preset_names()]; presets(); "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
