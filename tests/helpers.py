"""Helpers shared by the tests (imported by test modules; conftest.py holds only fixtures).

* :func:`lab_vectors`: plain lab-frame four-vectors for the 2 -> 3 trace checks;
* :func:`chi_quad`, :func:`ww_brute`: the independent brute-force integrals of
  :mod:`mudump.production.reference` (adaptive QUADPACK, never the fast kernels' tables);
* :func:`reference_csv`: a published curve shipped in ``tests/validation`` (each file's citation
  is in ``tests/validation/README.md``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mudump.production.reference import chi_quad  # noqa: F401 - re-exported for the tests
from mudump.production.reference import ww_dsigma_dx as ww_brute  # noqa: F401

VALIDATION = Path(__file__).resolve().parent / "validation"


def reference_csv(name: str) -> np.ndarray:
    """The rows of ``tests/validation/<name>`` (one header row, comma-separated numbers). The
    files ship with the repository and its sdist, so a missing one is an error, never a skip."""
    return np.loadtxt(VALIDATION / name, delimiter=",", skiprows=1, ndmin=2)


def lab_vectors(E, x, th, t, phi, m, m_S, M):
    """Plain lab-frame four-vectors (no stabilised formulas) for the trace."""
    p = np.array([E, 0, 0, np.sqrt(E**2 - m**2)])
    Ek = x * E
    kn = np.sqrt(Ek**2 - m_S**2)
    k = np.array([Ek, kn * np.sin(th), 0, kn * np.cos(th)])
    V = p - k
    Vn = np.linalg.norm(V[1:])
    q0 = -t / (2 * M)
    qn = np.sqrt(t + t**2 / (4 * M**2))
    ca = ((V[0] ** 2 - Vn**2) - m**2 - t + 2 * V[0] * q0) / (2 * Vn * qn)
    sa = np.sqrt(1 - ca**2)
    vh = V[1:] / Vn
    e1 = np.array([vh[2], 0, -vh[0]])
    qv = qn * (ca * vh + sa * (np.cos(phi) * e1 + np.sin(phi) * np.array([0, 1, 0])))
    q = np.array([q0, *qv])
    return p, V + q, k, np.array([2 * M, 0, 0, 0]) - q, q


def reach_csv_lines(text: str) -> tuple[list[str], list[str]]:
    """(comment lines, table lines) of a reach CSV (:mod:`mudump.reachio`: the constraints drawn
    come first as ``#:`` lines, then the header and the rows)."""
    lines = text.splitlines()
    return [ln for ln in lines if ln.startswith("#")], [ln for ln in lines if not ln.startswith("#")]


def outline_crossings(mass, coupling, m: float) -> tuple[float, float]:
    """(lowest, highest) coupling where the closed outline (mass, coupling) crosses the mass m,
    interpolated linearly in log-log between the outline's vertices."""
    P = np.column_stack([np.log(mass), np.log(coupling)])
    P = np.vstack([P, P[:1]])
    out = []
    for a, b in zip(P[:-1], P[1:]):
        if a[0] <= np.log(m) < b[0] or b[0] <= np.log(m) < a[0]:
            f = (np.log(m) - a[0]) / (b[0] - a[0])
            out.append(np.exp(a[1] + f * (b[1] - a[1])))
    return min(out), max(out)


def run_cli(capsys, *args) -> tuple[int, str, str]:
    """Run ``mudump ARGS`` in this process: (exit code, stdout, stderr)."""
    import pytest

    from mudump.cli import main

    with pytest.raises(SystemExit) as exc:
        main(list(args))
    cap = capsys.readouterr()
    return exc.value.code, cap.out, cap.err
