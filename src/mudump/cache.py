"""Where mudump keeps what it computes once: the user cache directory.

``MUDUMP_CACHE_DIR`` overrides the default (platformdirs' user cache dir for "mudump").
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def cache_dir() -> Path:
    """The cache directory (created on first use)."""
    path = Path(os.environ.get("MUDUMP_CACHE_DIR") or platformdirs.user_cache_dir("mudump"))
    path.mkdir(parents=True, exist_ok=True)
    return path
