"""House rules on the code's shape: data flows one way (import-linter contracts in
``.importlinter``), no import cycle between modules, no private name imported across modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "mudump"


def test_import_linter_contracts_are_kept(monkeypatch):
    importlinter = pytest.importorskip("importlinter.cli")
    monkeypatch.chdir(ROOT)
    assert importlinter.lint_imports(config_filename=str(ROOT / ".importlinter")) == 0


def test_no_import_cycle_between_modules():
    """No two top-level modules (or subpackages) of mudump import each other, directly or
    through others (grimp's graph, imports inside functions included)."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("mudump")
    tops = sorted({".".join(m.split(".")[:2]) for m in graph.modules if m != "mudump"})
    cycles = []
    for i, a in enumerate(tops):
        for b in tops[i + 1:]:
            if graph.chain_exists(importer=a, imported=b, as_packages=True) and graph.chain_exists(
                    importer=b, imported=a, as_packages=True):
                cycles.append((a, b))
    assert not cycles, f"import cycles: {cycles}"


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def test_no_private_name_is_imported_from_another_module():
    """``from x import _name`` and ``module._name`` across modules are refused: what another
    module needs is public API (a private module such as ``cli._common`` is fine inside its
    package, as long as the names it offers are public)."""
    offences = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported_modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    is_module = node.level > 0 and not node.module and (path.parent / f"{alias.name}.py").exists()
                    if alias.name.startswith("_") and not alias.name.startswith("__") and not is_module:
                        offences.append(f"{_module_name(path)}: from {'.' * node.level}{node.module or ''} import {alias.name}")
                    else:
                        imported_modules.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    imported_modules.add(alias.asname or alias.name.split(".")[0])
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and isinstance(node.value, ast.Name) and node.value.id in imported_modules
                    and node.value.id not in ("np", "os", "sys", "typer", "click")):
                offences.append(f"{_module_name(path)}: {node.value.id}.{node.attr}")
    assert not offences, "private names used across modules:\n" + "\n".join(offences)
