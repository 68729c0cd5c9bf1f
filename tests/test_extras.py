"""The light core: a command whose extra is not installed says in one line which `pip install`
brings it (exit code 2), before any computation. A missing package is simulated by
``sys.modules[name] = None``, which is what Python's import system reads as "not importable"
(importlib.util.find_spec returns None, ``import`` raises ImportError)."""

import sys
import time
import tomllib
from pathlib import Path

import pytest

from mudump import _extras

from .helpers import run_cli as run


@pytest.mark.parametrize("module,extra,args", [
    ("uvicorn", "web", ["serve", "--port", "0"]),
    ("pylhe", "events", ["events", "fnal-mu", "--model", "B", "--mass", "0.1", "--coupling", "1e-4", "-n", "1000",
                         "--output", "{tmp}/ev.lhe"]),
    ("pyarrow", "scan", ["scan", "fnal-mu", "--model", "B", "--grid", "target.length_m=1,2", "--output", "{tmp}/s.parquet"]),
])
def test_missing_extra_is_one_line_and_exit_2(capsys, monkeypatch, tmp_path, module, extra, args):
    monkeypatch.setitem(sys.modules, module, None)
    t = time.perf_counter()
    code, out, err = run(capsys, *[a.format(tmp=tmp_path) for a in args])
    assert code == 2 and out == ""
    assert err.strip() == f'error: this needs the optional dependency {module}: pip install "mudump[{extra}]"'
    assert time.perf_counter() - t < 5  # refused before generating or scanning (those take tens of seconds)
    assert not any(tmp_path.iterdir())  # nothing written


def test_event_writers_need_the_events_extra(monkeypatch, tmp_path):
    from mudump.events import io as evio

    monkeypatch.setitem(sys.modules, "pyhepmc", None)
    with pytest.raises(_extras.MissingExtraError, match=r'pip install "mudump\[events\]"'):
        evio.write_events(None, tmp_path / "x.hepmc")  # checked before the batch is looked at


def test_extras_match_pyproject():
    """The import names of each extra are what pyproject.toml installs for it (pip names differ
    from import names only by '-' and '_')."""
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    for extra, modules in _extras.EXTRAS.items():
        declared = {req.split(">")[0].split("=")[0].split("<")[0].strip().replace("-", "_").lower() for req in extras[extra]}
        assert set(modules) <= declared, (extra, modules, declared)
    test = " ".join(extras["test"])
    assert "mudump[all]" in test or all(f"mudump[{e}]" in test for e in _extras.EXTRAS)
    core = {req.split(">")[0].strip().lower() for req in project["dependencies"]}
    assert not core & {"fastapi", "uvicorn", "pyhepmc", "pylhe", "pyarrow", "distributed"}
