"""Experiment files: the presets, and one clear error for each kind of bad input."""

import pytest

from mudump.cli import main
from mudump.errors import ConfigError, UnknownNameError
from mudump.experiments import load_experiment, preset_names

GOOD = """
name = "mine"
[beam]
energy_GeV = 15.0
muons_on_target = 1e10
[target]
material = "W"
length_m = 0.5
[downstream]
shield_length_m = 1.0
length_m = 2.0
shape = "cylinder"
radius_m = 0.5
[signature]
kind = "displaced-decay"
"""


def test_presets_match_the_seed_study():
    """Numbers of the seed talk (docs/physics.md#study)."""
    assert set(preset_names()) >= {"na64mu", "fnal-mu"}
    na = load_experiment("na64mu")
    assert (na.beam.energy_GeV, na.target.material, na.target.length_m) == (160.0, "Pb", 0.2)
    assert (na.downstream.length_m, na.signature.kind, na.signature.e_cut_GeV) == (5.0, "missing-energy", 50.0)
    assert na.beam.muons_on_target == 1e13 and na.statistics.confidence_level == 0.9
    fn = load_experiment("fnal-mu")
    assert (fn.beam.energy_GeV, fn.target.material, fn.target.length_m) == (3.0, "W", 1.5)
    assert (fn.downstream.length_m, fn.signature.kind) == (3.0, "displaced-decay")
    assert fn.beam.muons_on_target == 1e14
    assert "10^{14}" in fn.legend


def test_presets_of_the_paper():
    """Chen, Pospelov, Zhong, arXiv:1701.07437, Table I and sections III.A.1, III.A.2, IV (the
    numbers quoted from the paper's Table I and text)."""
    na = load_experiment("cpz2017-na64")
    assert (na.beam.energy_GeV, na.target.material, na.target.length_m, na.downstream.length_m) == (160.0, "Pb", 0.2, 5.0)
    assert na.signature.kind == "missing-energy" and na.signature.e_cut_GeV == pytest.approx(160.0 / 3.0, rel=1e-15)
    assert na.beam.muons_on_target == 8e12 and na.statistics.confidence_level == 0.95 and na.statistics.background == 0
    assert na.target.min_muon_energy_GeV == 0.0
    fn = load_experiment("cpz2017-fnal")
    assert (fn.beam.energy_GeV, fn.target.material, fn.target.length_m, fn.downstream.length_m) == (3.0, "W", 1.5, 3.0)
    assert fn.signature.kind == "displaced-decay" and fn.downstream.shield_length_m == 0.0
    assert fn.beam.muons_on_target == 3e14 and fn.statistics.confidence_level == 0.95 and fn.statistics.background == 0
    assert fn.target.min_muon_energy_GeV == 0.5
    # the talk's round numbers stay as they were
    assert load_experiment("fnal-mu").target.min_muon_energy_GeV == 0.0


def test_user_file(tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text(GOOD)
    e = load_experiment(str(p))
    assert e.downstream.shield_length_m == 1.0 and e.statistics.background == 0.0


@pytest.mark.parametrize(
    "edit,needle",
    [
        (lambda s: s.replace("length_m = 0.5", "length_m = -0.5"), "target.length_m"),
        (lambda s: s.replace('material = "W"', 'material = "Unobtainium"'), "target.material"),
        (lambda s: s.replace("energy_GeV = 15.0", "energy_GeV = nan"), "beam.energy_GeV"),
        (lambda s: s.replace("energy_GeV = 15.0", "energy_GeV = 0.05"), "beam.energy_GeV"),
        (lambda s: s.replace("muons_on_target = 1e10\n", ""), "beam.muons_on_target"),
        (lambda s: s.replace('kind = "displaced-decay"', 'kind = "sparkles"'), "signature.kind"),
        (lambda s: s + "e_cut_GeV = 20.0\n", "e_cut_GeV"),
        (lambda s: s.replace("radius_m = 0.5\n", ""), "radius_m"),
        (lambda s: s.replace("[beam]", "[beam]\ncolour = 3"), "beam.colour"),
        (lambda s: s.replace("length_m = 2.0", "length_m = 'two'"), "downstream.length_m"),
        (lambda s: s.replace("[target]", "[target"), "not valid TOML"),
        (lambda s: s.replace("length_m = 0.5", "length_m = 0.5\nmin_muon_energy_GeV = -0.5"), "target.min_muon_energy_GeV"),
        # strict types: no booleans or strings for numbers, no unused fields
        (lambda s: s.replace("muons_on_target = 1e10", "muons_on_target = true"), "beam.muons_on_target: must be a number"),
        (lambda s: s.replace("length_m = 0.5", 'length_m = "0.5"'), "target.length_m: must be a number"),
        (lambda s: s.replace("shield_length_m = 1.0", 'shield_length_m = 1.0\nshield_material = "Fe"'), "downstream.shield_material"),
        (lambda s: s.replace("length_m = 0.5", "length_m = 0.5\nmin_muon_energy_GeV = nan"), "target.min_muon_energy_GeV"),
        (lambda s: s.replace("length_m = 0.5", "length_m = 0.5\nmin_muon_energy_GeV = 15.0"), "target.min_muon_energy_GeV"),
        (lambda s: s.replace("length_m = 0.5", "length_m = 0.5\nmin_muon_energy_GeV = 40.0"), "target.min_muon_energy_GeV"),
    ],
)
def test_bad_files_name_the_field(tmp_path, capsys, edit, needle):
    p = tmp_path / "bad.toml"
    p.write_text(edit(GOOD))
    with pytest.raises(ConfigError) as exc:
        load_experiment(str(p))
    msg = str(exc.value)
    assert needle in msg and "\n" not in msg
    # the CLI: one line, exit code 2
    with pytest.raises(SystemExit) as ex:
        main(["reach", str(p), "--model", "A", "--n-masses", "2"])
    err = capsys.readouterr().err.strip()
    assert ex.value.code == 2 and err.startswith("error:") and needle in err and len(err.splitlines()) == 1


def test_unknown_experiment_and_missing_file(tmp_path):
    with pytest.raises(UnknownNameError, match="experiment"):
        load_experiment("na64x")
    with pytest.raises(ConfigError, match="does not exist"):
        load_experiment(str(tmp_path / "nothing.toml"))
