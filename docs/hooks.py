"""MkDocs hook: the CLI reference page is generated from the commands at every build
(scripts/make_cli_reference.py), so it always says what the installed commands say."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "make_cli_reference.py"


def on_pre_build(config, **kwargs) -> None:
    spec = importlib.util.spec_from_file_location("make_cli_reference", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    page = Path(config["docs_dir"]) / "reference" / "cli.md"
    text = mod.render()
    if not page.is_file() or page.read_text() != text:  # unchanged: no rewrite (mkdocs serve would loop)
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(text)
