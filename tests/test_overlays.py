"""Constraints from other papers as user data: overlay files, drawn under mudump's
contours, listed in the legend and the output; mudump's own contours as polylines in outputs."""

import json
from importlib import resources

import numpy as np
import pytest

from mudump import plotting
from mudump.cli import main
from mudump.errors import ConfigError
from mudump.overlays import load_overlay
from mudump.reach import reach


INLINE = """
label = "a test limit"
citation = "nobody, made up for a test"
confidence_level = 0.9
models = ["B"]
shape = "limit"
mass_GeV = [0.001, 0.01, 0.1, 1.0]
coupling = [1e-3, 8e-4, 6e-4, 2e-3]
"""


@pytest.mark.slow
def test_inline_overlay_is_drawn_and_listed(tmp_path, capsys):
    p = tmp_path / "ov.toml"
    p.write_text(INLINE)
    ov = load_overlay(p)
    assert ov.applies_to("muonphilic") and not ov.applies_to("A")
    r = reach("fnal-mu", "B", np.geomspace(2e-3, 0.2, 6), np.geomspace(1e-7, 1e-1, 40))
    fig = plotting.reach_figure([r], preset="fnal2021", overlays=[ov])
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "a test limit (90% CL)" in texts
    out = tmp_path / "r.json"
    with pytest.raises(SystemExit) as ex:
        main(["reach", "fnal-mu", "--model", "B", "--n-masses", "4", "--n-couplings", "30", "--overlay", str(p),
              "--json", "--plot", str(tmp_path / "r.png"), "--output", str(out)])
    assert ex.value.code == 0
    d = json.loads(capsys.readouterr().out)
    assert d["overlays"][0]["citation"] == "nobody, made up for a test"
    # mudump's own contour as polylines, consistent with the intervals
    c = d["contours"][0]
    assert c["interval"] == 0 and len(c["mass_GeV"]) == len(c["g_low"]) == len(c["g_high"]) > 1
    first = d["masses_GeV"].index(c["mass_GeV"][0])
    assert c["g_low"][0] == d["intervals"][first][0][0]


def test_overlay_from_a_published_curve(tmp_path):
    """The BaBar L_mu - L_tau limit (BaBar, PRD 94 (2016) 011102, Fig. 5, as digitised in
    DarkCast), the CSV mudump ships for its own constraint, read as a user's overlay file."""
    csv = resources.files("mudump.constraints") / "data" / "babar2016_4mu_gprime.csv"
    p = tmp_path / "babar.toml"
    p.write_text(f'label = "BaBar"\ncitation = "BaBar, PRD 94 (2016) 011102, Fig. 5"\nconfidence_level = 0.9\n'
                 f'models = ["lmu-ltau"]\ndata = "{csv}"\n')
    ov = load_overlay(p)
    assert ov.mass_GeV.size > 1000 and np.all(np.diff(ov.mass_GeV) >= 0)
    assert ov.coupling.min() == pytest.approx(6.74e-4, rel=1e-2)  # DarkCast's minimum, 6.74e-4 at 0.227 GeV


@pytest.mark.parametrize("text,needle", [
    (INLINE.replace('label = "a test limit"\n', ""), "label"),
    (INLINE.replace("coupling = [1e-3, 8e-4, 6e-4, 2e-3]", "coupling = [1e-3, -8e-4, 6e-4, 2e-3]"), "coupling"),
    (INLINE.replace("mass_GeV = [0.001,", "mass_GeV = [0.0,"), "mass_GeV"),
    (INLINE.replace("confidence_level = 0.9", "confidence_level = 90"), "confidence_level"),
    (INLINE.replace('shape = "limit"', 'shape = "blob"'), "shape"),
    (INLINE + "colour = 1\n", "colour"),
])
def test_bad_overlays_name_field_and_file(tmp_path, capsys, text, needle):
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_overlay(p)
    assert needle in str(exc.value) and str(p) in str(exc.value)
    with pytest.raises(SystemExit) as ex:
        main(["reach", "fnal-mu", "--model", "B", "--n-masses", "2", "--overlay", str(p)])
    err = capsys.readouterr().err.strip()
    assert ex.value.code == 2 and needle in err and str(p) in err and len(err.splitlines()) == 1


def test_overlay_csv_with_a_missing_column(tmp_path, capsys):
    (tmp_path / "one.csv").write_text("mass_GeV\n0.01\n0.1\n")
    p = tmp_path / "ov.toml"
    p.write_text('label = "x"\ncitation = "y"\nconfidence_level = 0.9\nmodels = ["*"]\ndata = "one.csv"\n')
    with pytest.raises(ConfigError, match="two columns"):
        load_overlay(p)


def test_overlay_for_another_model_is_not_drawn(tmp_path, capsys):
    p = tmp_path / "ov.toml"
    p.write_text(INLINE)
    with pytest.raises(SystemExit) as ex:
        main(["reach", "fnal-mu", "--model", "A", "--n-masses", "2", "--n-couplings", "20", "--overlay", str(p)])
    err = capsys.readouterr().err
    assert ex.value.code == 0 and "not drawn" in err and err.startswith("warning:")


@pytest.mark.parametrize("label, needle", [("BaBar $\\\\frac{4}$", "is not valid matplotlib mathtext"),
                                           ("BaBar $\\\\nosuchcommand$", "is not valid matplotlib mathtext")])
def test_overlay_label_with_a_latex_error_is_refused_when_read(tmp_path, label, needle):
    """A label matplotlib cannot draw is refused when the file is read, naming the field."""
    p = tmp_path / "ov.toml"
    p.write_text(INLINE.replace('label = "a test limit"', f'label = "{label}"'))
    with pytest.raises(ConfigError, match=needle) as ex:
        load_overlay(p)
    assert str(ex.value).startswith(f"overlay {p}: label = ")
