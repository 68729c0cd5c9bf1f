"""The README's and the docs' Python examples run as doctests (```pycon blocks: the shown
output must be what mudump prints), the tutorial's experiment file is valid, and the physics
page keeps the anchors the code links to."""

import doctest
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r"^```(pycon|toml)\n(.*?)^```", re.S | re.M)


def _blocks(path: Path, kind: str) -> list[str]:
    return [m.group(2) for m in BLOCK.finditer(path.read_text()) if m.group(1) == kind]


def _tutorial_experiment() -> str:
    return next(b for b in _blocks(ROOT / "docs" / "tutorial.md", "toml") if 'name = "my-dump"' in b)


@pytest.mark.parametrize("page", [p for p in PAGES if _blocks(p, "pycon")], ids=lambda p: p.name)
def test_python_examples_run_as_shown(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may read the tutorial's file, and write nothing elsewhere
    (tmp_path / "my-dump.toml").write_text(_tutorial_experiment())
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    globs: dict = {}
    for i, block in enumerate(_blocks(page, "pycon")):
        test = parser.get_doctest(block, globs, f"{page.name}[{i}]", str(page), 0)
        runner.run(test)
    failed, attempted = runner.summarize(verbose=False)
    assert attempted > 0 and failed == 0, f"{failed} of {attempted} examples in {page.name} differ (see above)"


def test_tutorial_experiment_is_valid():
    from mudump.experiments import parse_experiment

    exp = parse_experiment(tomllib.loads(_tutorial_experiment()))
    assert exp.name == "my-dump" and exp.beam.energy_GeV == 15.0


def test_physics_anchors_that_the_code_links_to_exist():
    anchors = set(re.findall(r"\{#([a-z0-9-]+)\}", (ROOT / "docs" / "physics.md").read_text()))
    assert {"study", "models", "g2", "production", "form-factors", "iww", "ww", "etl", "energy-loss",
            "yield", "signals", "events", "reference-values"} <= anchors
    linked = set()
    for path in [*ROOT.joinpath("src").rglob("*.py"), *ROOT.joinpath("tests").glob("*.py"), *PAGES]:
        linked |= set(re.findall(r"physics\.md#([a-z0-9-]+)", path.read_text()))
    assert linked <= anchors, linked - anchors


def test_python_blocks_that_need_a_server_or_cluster_at_least_compile():
    """```python blocks (a running server, a Dask cluster, a scan's output file) are not run,
    but each must be valid Python."""
    fence = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
    for page in PAGES:
        for i, m in enumerate(fence.finditer(page.read_text())):
            compile(m.group(1), f"{page.name}[python {i}]", "exec")


def test_figure_script_draws_every_figure_the_docs_show():
    """Every figure in docs/figures is made by scripts/make_doc_figures.py, with the command the
    docs print beside it."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_doc_figures", ROOT / "scripts" / "make_doc_figures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert set(mod.COMMANDS) == {p.name for p in (ROOT / "docs" / "figures").glob("*.png")}
    shown = " ".join(" ".join((ROOT / "docs" / page).read_text().split()) for page in ("cpz2017.md", "constraints.md"))
    for command in mod.COMMANDS.values():
        assert f"mudump {command} --plot" in shown, command
