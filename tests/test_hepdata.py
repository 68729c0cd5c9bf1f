"""HEPData: a reach result as a submission (validated by hepdata-validator, numbers equal to the
reach result's), and a HEPData table read back as an overlay."""

import json
import zipfile

import numpy as np
import pytest
import yaml

from mudump import hepdata
from mudump.errors import ConfigError
from mudump.models import get_model

from .helpers import run_cli as run

# hepdata-validator reads the submission's YAML files without closing them: the ResourceWarnings
# it leaves (reported by pytest as unraisable exceptions) are its own, not mudump's
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

GRID = ("--n-masses", "12", "--mass-max", "0.2", "--n-couplings", "60")


@pytest.fixture(scope="module")
def submission(tmp_path_factory):
    """`mudump reach fnal-mu --model B --preset fnal2021 --output limits.hepdata` and its JSON."""
    import subprocess
    import sys

    tmp = tmp_path_factory.mktemp("hep")
    out = tmp / "limits.hepdata"
    cmd = [sys.executable, "-m", "mudump.cli", "reach", "fnal-mu", "--model", "B", "--preset", "fnal2021", *GRID]
    r = subprocess.run(cmd + ["--output", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    j = subprocess.run(cmd + ["--json"], capture_output=True, text=True, check=True)
    return out, json.loads(j.stdout)


def test_submission_validates_and_equals_the_reach_result(submission):
    out, result = submission
    assert hepdata.validate(out) == []
    docs = list(yaml.safe_load_all((out / "submission.yaml").read_text()))
    tables = [d for d in docs[1:] if d["data_file"].startswith("region")]
    assert len(tables) == len(result["contours"]) >= 1
    for entry, c in zip(tables, result["contours"]):
        data = yaml.safe_load((out / entry["data_file"]).read_text())
        m = [v["value"] for v in data["independent_variables"][0]["values"]]
        lo, hi = ([v["value"] for v in d["values"]] for d in data["dependent_variables"])
        assert m == c["mass_GeV"] and lo == c["g_low"] and hi == c["g_high"]  # the same doubles
        assert data["independent_variables"][0]["header"]["units"] == "GeV"
        quals = {q["name"]: q["value"] for q in data["dependent_variables"][0]["qualifiers"]}
        assert quals["CL"] == "90%" and quals["experiment"].startswith("fnal-mu")
        assert quals["model"].startswith("B (muonphilic)") and quals["production method"].startswith("etl")
        assert quals["limit method"].startswith(result.get("limit_method", "poisson"))
        assert quals["muons on target"] == result["muons_on_target"] and quals["mudump version"]
    band = yaml.safe_load((out / "g2_band.yaml").read_text())
    from mudump import g2

    ref = g2.band(np.array(result["masses_GeV"]), "fnal2021", model=get_model("B"))
    assert [v["value"] for v in band["dependent_variables"][0]["values"]] == pytest.approx(ref["central"], rel=1e-15)


def test_zip_submission_validates(tmp_path):
    from mudump.reach import reach

    r = reach("fnal-mu", "B", masses=np.geomspace(1e-3, 0.2, 8), couplings=np.geomspace(1e-8, 1, 40))
    path = hepdata.write_submission([r], tmp_path / "limits.zip")
    assert hepdata.validate(path) == []
    assert "submission.yaml" in zipfile.ZipFile(path).namelist()


def test_validator_catches_a_broken_submission(submission, tmp_path):
    """The validation can fail: a table with a missing dependent value is reported."""
    import shutil

    out, _ = submission
    bad = tmp_path / "bad.hepdata"
    shutil.copytree(out, bad)
    data = yaml.safe_load((bad / "region_1_1.yaml").read_text())
    data["dependent_variables"][0]["values"].pop()
    (bad / "region_1_1.yaml").write_text(yaml.safe_dump(data))
    assert hepdata.validate(bad)


def test_table_reads_back_as_an_overlay(submission, tmp_path):
    """mudump's own table read back: the lower edge, CL from the qualifier, the table's name and
    the record ids of the submission.yaml beside it."""
    import shutil

    out, result = submission
    folder = tmp_path / "rec"
    shutil.copytree(out, folder)
    docs = list(yaml.safe_load_all((folder / "submission.yaml").read_text()))
    docs[0]["record_ids"] = [{"type": "inspire", "id": 1234567}]
    (folder / "submission.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False, explicit_start=True))
    from mudump.overlays import load_overlay

    ov = load_overlay(folder / "region_1_1.yaml")
    c = result["contours"][0]
    assert ov.mass_GeV.tolist() == c["mass_GeV"] and ov.coupling.tolist() == c["g_low"]
    assert ov.confidence_level == 0.9 and "inspire:1234567" in ov.citation and ov.label == docs[1]["name"]


def test_downloaded_style_table_in_mev(tmp_path):
    """A table as hepdata.net serves it (MeV masses, 'CL' qualifier '95%'), through load_overlay."""
    from mudump.overlays import load_overlay

    doc = {"independent_variables": [{"header": {"name": "$m_{Z'}$", "units": "MeV"},
                                      "values": [{"value": 300}, {"value": 10}, {"value": 100}]}],
           "dependent_variables": [{"header": {"name": "$g'$"}, "qualifiers": [{"name": "CL", "value": "95%"}],
                                    "values": [{"value": 2e-3}, {"value": 1e-3}, {"value": 5e-4}]}]}
    path = tmp_path / "Table 1.yaml"
    path.write_text(yaml.safe_dump(doc))
    ov = load_overlay(path)
    assert ov.mass_GeV.tolist() == pytest.approx([0.01, 0.1, 0.3]) and ov.coupling.tolist() == [1e-3, 5e-4, 2e-3]
    assert ov.confidence_level == 0.95 and ov.models == ("*",) and ov.label == "Table 1"


@pytest.mark.parametrize("doc,words", [
    ({"independent_variables": []}, "independent_variables"),
    ({"independent_variables": [{"header": {"name": "m", "units": "GeV"}, "values": [{"value": 1}, {"value": 2}]}],
      "dependent_variables": [{"header": {"name": "g"}, "values": [{"value": 1e-3}, {"value": 2e-3}]}]}, "CL"),
    ({"independent_variables": [{"header": {"name": "m", "units": "pb"}, "values": [{"value": 1}, {"value": 2}]}],
      "dependent_variables": [{"header": {"name": "g"}, "qualifiers": [{"name": "CL", "value": "90%"}],
                               "values": [{"value": 1e-3}, {"value": 2e-3}]}]}, "units"),
])
def test_bad_tables_are_one_line(tmp_path, doc, words):
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError) as info:
        hepdata.read_table(path)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_cli_overlay_from_hepdata_and_bad_targets(submission, tmp_path, capsys):
    out, _ = submission
    code, text, err = run(capsys, "reach", "fnal-mu", "--model", "B", *GRID, "--overlay", str(out / "region_1_1.yaml"),
                          "--plot", str(tmp_path / "r.png"))
    assert code == 0, err
    (tmp_path / "file.hepdata").write_text("x")
    code, _, err = run(capsys, "reach", "fnal-mu", "--model", "B", *GRID, "--output", str(tmp_path / "file.hepdata"))
    assert code == 2 and "not a HEPData submission directory" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "reach", "fnal-mu", "--model", "B", *GRID, "--output", str(tmp_path / "x.txt"))
    assert code == 2 and ".hepdata" in err
