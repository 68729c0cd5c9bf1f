"""Reference data shipped with mudump (TOML files beside this module, each entry with its source)."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources


@cache
def load(name: str) -> dict:
    """Parsed content of the shipped data file ``name`` (e.g. ``"g2_presets.toml"``)."""
    with resources.files(__package__).joinpath(name).open("rb") as fh:
        return tomllib.load(fh)
