"""The published constraints through the command line: `mudump reach --constraints`, `--cite`,
the JSON list of constraints drawn, and `mudump cite`."""

import json

import pytest

from .helpers import run_cli

SMALL = ["--n-masses", "4", "--n-couplings", "30", "--mass-min", "0.01", "--mass-max", "0.2"]


def _run(capsys, args):
    return run_cli(capsys, *args)


def test_json_lists_the_constraints_drawn_with_citations(capsys, tmp_path):
    code, out, _ = _run(capsys, ["reach", "fnal-mu", "--model", "lmu-ltau", *SMALL, "--json", "--plot",
                                 str(tmp_path / "r.png")])
    assert code == 0
    d = json.loads(out)
    names = [c["name"] for c in d["constraints"]]
    # the shipped ones; E137 and Orsay (L_mu - L_tau reaches electrons by its loop mixing) exclude
    # at most one mass of the grid, so nothing is drawn for them
    assert names == ["babar2016-4mu", "ccfr-trident", "neff-3p2", "neff-3p5"]
    assert all(c["computed"] is False for c in d["constraints"])
    assert "arXiv:1606.03501" in d["constraints"][0]["citation"] and d["constraints"][0]["bibtex"] == ["TheBABAR:2016rlg"]
    code, out, _ = _run(capsys, ["reach", "fnal-mu", "--model", "lmu-ltau", *SMALL, "--json", "--constraints", "none"])
    assert json.loads(out)["constraints"] == []
    code, out, _ = _run(capsys, ["reach", "fnal-mu", "--model", "lmu-ltau", *SMALL, "--json",
                                 "--constraints", "ccfr-trident"])
    assert [c["name"] for c in json.loads(out)["constraints"]] == ["ccfr-trident"]


@pytest.mark.parametrize("args, needle", [
    (["--constraints", "babar2099"], "error: constraint 'babar2099' is unknown: available babar2016-4mu"),
    (["--constraints", "babar2016-4mu"], "error: constraint babar2016-4mu does not apply to model A: it is for a vector"),
    (["--constraints", "none", "--constraints", "default"], "error: constraints: 'none' cannot be combined"),
])
def test_bad_constraint_is_one_line(capsys, args, needle):
    code, out, err = _run(capsys, ["reach", "fnal-mu", "--model", "A", *SMALL, *args])
    assert code == 2 and err.startswith(needle)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cite_prints_the_bibtex_of_the_plot(capsys):
    code, out, _ = _run(capsys, ["reach", "cpz2017-na64", "--model", "B", "--preset", "cpz2017", "--cite"])
    assert code == 0
    keys = [line.split("{", 1)[1].rstrip(",") for line in out.splitlines() if line.startswith("@")]
    assert keys == ["Chen:2017awl", "TheBABAR:2016rlg"]  # the method (and the cpz2017 band), BaBar
    code, out, _ = _run(capsys, ["cite", "--model", "A"])
    keys = [line.split("{", 1)[1].rstrip(",") for line in out.splitlines() if line.startswith("@")]
    assert keys[:2] == ["Chen:2017awl", "arXiv:2505.21476"] and "BaBar:2020jma" in keys and "Bjorken:1988as" in keys
    code, out, _ = _run(capsys, ["cite", "--list"])
    assert code == 0 and "cpz2017-orsay" in out
    code, _, err = _run(capsys, ["cite", "nope"])
    assert code == 2 and "unknown" in err


def test_cite_a_computed_dump_without_a_model(capsys):
    code, out, _ = _run(capsys, ["cite", "e137"])
    keys = [line.split("{", 1)[1].rstrip(",") for line in out.splitlines() if line.startswith("@")]
    assert code == 0 and keys == ["Chen:2017awl", "arXiv:2505.21476", "Bjorken:1988as", "Bjorken:2009mm"]
    code, out, _ = _run(capsys, ["cite", "--list"])
    assert "│ e137 " in out and "computed" in out
