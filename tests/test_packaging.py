"""The package as shipped: one version, floors that the constraints file pins, slim data."""

import hashlib
import re
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np

import mudump
from mudump._version import __version__

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_one_version():
    assert mudump.__version__ == __version__
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "mudump._version.__version__"}
    assert f"## {__version__}" in (ROOT / "CHANGELOG.md").read_text()


def _floors(requirements):
    out = {}
    for req in requirements:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^]]*\])?>=([0-9][0-9.]*)(,<[0-9.]+)?", req.replace(" ", ""))
        if m:
            out[m.group(1).lower().replace("_", "-")] = m.group(3)
    return out


def _norm(version: str) -> tuple[int, ...]:
    parts = [int(p) for p in version.split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def test_constraints_pin_every_declared_floor():
    """tests/constraints-floors.txt (what CI installs for the floors job) pins each package at
    exactly the minimum pyproject.toml declares, for the core and every extra."""
    project = PYPROJECT["project"]
    declared = _floors(project["dependencies"])
    for reqs in project["optional-dependencies"].values():
        declared.update(_floors(reqs))
    for tool in ("mkdocs", "mkdocstrings", "ruff", "mypy"):  # docs and dev tools: newest in CI
        declared.pop(tool, None)
    pins = dict(line.split("==") for line in (ROOT / "tests" / "constraints-floors.txt").read_text().split() if "==" in line)
    for name, floor in declared.items():
        assert name in pins, f"{name} >= {floor} is not pinned in tests/constraints-floors.txt"
        assert _norm(pins[name]) == _norm(floor), (name, floor, pins[name])


def test_shipped_etl_tables_are_float32_and_read_as_float64():
    from mudump.constants import M_MU
    from mudump.production import etl_table
    from mudump.production.formfactors import nucleus

    files = list(resources.files("mudump.data").joinpath("etl").iterdir())
    assert len(files) == 28
    for f in files:
        with resources.as_file(f) as path, np.load(path) as d:
            assert d["ratio"].dtype == np.float32, f.name
    values = etl_table._shipped(etl_table._key(nucleus("W"), M_MU, "tsai"))
    assert values is not None and values.dtype == np.float64


def test_plotly_is_the_basic_bundle():
    vendor = ROOT / "src" / "mudump" / "web" / "static" / "vendor"
    js = (vendor / "plotly.min.js").read_bytes()
    assert js[:60].startswith(b"/**\n* plotly.js (basic - minified)") and len(js) < 1.5e6
    assert hashlib.sha256(js).hexdigest() in (vendor / "README.md").read_text()
