"""Write docs/reference/cli.md from the commands themselves (their --help texts).

    python scripts/make_cli_reference.py           # rewrite the page
    python scripts/make_cli_reference.py --check   # exit 1 if the page is not what the commands say

The help texts come from click's plain formatter at a fixed width, so the page does not depend
on the terminal it was made in.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import typer

from mudump.cli import app

PAGE = Path(__file__).resolve().parents[1] / "docs" / "reference" / "cli.md"
WIDTH = 100


def _context(command, name: str, parent=None):
    # the command's own context class: typer may use its own copy of click
    return command.context_class(command, info_name=name, parent=parent, terminal_width=WIDTH, max_content_width=WIDTH)


def _help(command, name: str, parent=None) -> str:
    return command.get_help(_context(command, name, parent))


def render() -> str:
    root = typer.main.get_command(app)
    parent = _context(root, "mudump")
    parts = [
        "# Command-line reference",
        "",
        "Generated from the commands themselves at every docs build (`docs/hooks.py` runs",
        "`scripts/make_cli_reference.py`). Energies and masses in GeV, lengths in metres. A bad input prints one",
        "line `error: ...` on stderr and exits with code 2.",
        "",
        "## mudump",
        "",
        "```text",
        _help(root, "mudump"),
        "```",
    ]
    for name in root.list_commands(parent):
        cmd = root.get_command(parent, name)
        assert cmd is not None
        parts += ["", f"## mudump {name}", "", "```text", _help(cmd, name, parent), "```"]
    return "\n".join(parts) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare instead of writing")
    args = ap.parse_args()
    text = render()
    if args.check:
        if not PAGE.is_file() or PAGE.read_text() != text:
            print(f"{PAGE} is not current: run python scripts/make_cli_reference.py", file=sys.stderr)
            return 1
        return 0
    PAGE.parent.mkdir(parents=True, exist_ok=True)
    PAGE.write_text(text)
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
