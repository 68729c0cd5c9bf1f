"""The kinds of new boson X that mudump produces by dark bremsstrahlung, l N -> l N X, and the
coupling of each to the beam lepton (the one place that lists them).

    "scalar"        L = g X lbar l                (vertex 1, CP-even Yukawa)
    "pseudoscalar"  L = g X lbar i gamma5 l       (vertex i gamma5)
    "vector"        L = g X_alpha lbar gamma^alpha l          (massive: polarisation sum
    "axial-vector"  L = g X_alpha lbar gamma^alpha gamma5 l    -g + k k / m_X^2 for both)

The k k / m_X^2 term of the polarisation sum drops out for the vector (conserved current) but
not for the axial vector, whose current has divergence 2 m_l lbar i gamma5 l: the axial vector
carries a longitudinal piece ~ (2 m_l / m_X)^2 times pseudoscalar production.
(scripts/derive_etl_amplitude.py derives every |M|^2 from these vertices.)
"""

from __future__ import annotations

from .errors import UnknownNameError

KINDS: tuple[str, ...] = ("scalar", "pseudoscalar", "vector", "axial-vector")
DEFAULT_KIND = "scalar"
#: The Dirac structure at the X vertex, in words (for docs and messages).
VERTICES: dict[str, str] = {
    "scalar": "1",
    "pseudoscalar": "i gamma5",
    "vector": "gamma^alpha",
    "axial-vector": "gamma^alpha gamma5",
}


def check_kind(kind: str) -> str:
    """Return the normalised kind name or raise UnknownNameError naming the allowed ones."""
    k = str(kind).lower().replace("_", "-")
    if k == "axial":
        k = "axial-vector"
    if k not in KINDS:
        raise UnknownNameError(f"kind = {kind!r} is unknown: allowed {', '.join(KINDS)}")
    return k
