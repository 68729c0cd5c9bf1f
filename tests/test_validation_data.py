"""The published curves the tests compare with ship in tests/validation, unchanged and cited."""

import hashlib
import re
from pathlib import Path

from .helpers import VALIDATION

TESTS = Path(__file__).resolve().parent


def test_checksums_and_citations():
    """Every CSV is listed in SHA256SUMS with its digest (the digitised numbers, unchanged) and
    has a row in the README's citation table."""
    sums = dict(line.split()[::-1] for line in (VALIDATION / "SHA256SUMS").read_text().splitlines() if line.strip())
    csvs = sorted(p.name for p in VALIDATION.glob("*.csv"))
    assert csvs and sorted(sums) == csvs
    readme = (VALIDATION / "README.md").read_text()
    for name in csvs:
        assert hashlib.sha256((VALIDATION / name).read_bytes()).hexdigest() == sums[name], name
        stem = re.sub(r"_(upper|lower)_edge|phase[12]", "", name.removesuffix(".csv"))
        assert name in readme or stem.split("_")[0] in readme, name


def test_no_test_reads_outside_the_repository():
    """A clone validates itself: no test reads a folder beside the repository."""
    for path in TESTS.glob("*.py"):
        if path.name == Path(__file__).name:
            continue
        text = path.read_text()
        assert "parents[2]" not in text and '"shared"' not in text, path.name
