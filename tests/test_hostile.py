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
    # -- rounding must not make a message contradict itself
    ("mass-just-above", ("decay", "B", "--mass", "1.0000001", "--coupling", "1e-3"), {}, "mass_GeV = 1.0000001 "),
    ("ratio-mass-min-at-top", ("ratio", "--material", "Pb", "--energy", "160", "--mass-min", "1"), {},
     "mass_max_GeV"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hostile_input_is_one_line(case, tmp_path, capsys):
    _, argv, files, fragment = case
    for name, text in files.items():
        (tmp_path / name).write_text(text)
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
