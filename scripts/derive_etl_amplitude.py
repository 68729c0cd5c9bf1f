"""Derive |M|^2 of mu(p) N(P) -> mu(p') N(P') S(k) at tree level, check it, and write the code.

Run:  python scripts/derive_etl_amplitude.py          (rewrites src/mudump/production/_etl_amplitude.py)
      python scripts/derive_etl_amplitude.py --check  (checks, and that the file is up to date)

Physics (one photon exchanged; the nucleus a heavy spin-0 source of charge form factor F):
    M = g e^2 F(t)/t * ubar(p') Gamma.Pt u(p),   Pt = P + P',  t = -(P - P')^2,
    Gamma.Pt = Pt-slash (p-slash - k-slash + m)/D1 + (p'-slash + k-slash + m) Pt-slash/D2,
    D1 = (p - k)^2 - m^2 = m_S^2 - 2 p.k,   D2 = (p' + k)^2 - m^2 = m_S^2 + 2 p'.k,
the scalar emitted before (D1) or after (D2) the photon vertex (Yukawa coupling g, vertex 1),
as in Liu, McKeen, Miller, arXiv:1609.06781 and Kirpichnikov, Lyubovitskij, Zhevlakov,
PRD 102 (2020) 095024. Summing over spins and averaging over the muon's:
    <|M|^2> = g^2 e^4 G2(t)/t^2 * T / 2,   T = Tr[(p'-slash + m) Gamma.Pt (p-slash + m) Gammabar.Pt]
with Gammabar.Pt = (p-slash - k-slash + m) Pt-slash/D1 + Pt-slash (p'-slash + k-slash + m)/D2 and
G2 = |Z F|^2 (the same G2(t) as the WW formulas). T is a rational function of the invariants
p.k, p'.k, p.p', p.Pt, p'.Pt, k.Pt, Pt.Pt, with p^2 = p'^2 = m^2 and k^2 = m_S^2.

The traces are done exactly with the recursion Tr(a1 ... an) = sum_j (-1)^j (a1.aj) Tr(rest),
Tr(1) = 4, odd traces zero. Checks, each of which must pass before the code is written:
  1. gauge invariance: with Pt replaced by q = p' + k - p the amplitude vanishes, so T = 0
     identically (symbolic), and T(Pt + lambda q) = T(Pt) (numeric, random kinematics);
  2. the symbolic T equals a brute-force numeric trace with explicit 4x4 Dirac matrices at
     random on-shell momenta (relative 1e-10).
"""

from __future__ import annotations

import itertools
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import sympy as sp

m, mS = sp.symbols("m mS", positive=True)
VECS = ("p", "pp", "k", "Pt")
# dot-product symbols
pk, ppk, ppp, pPt, ppPt, kPt, PtPt = sp.symbols("pk ppk ppp pPt ppPt kPt PtPt", real=True)
DOT = {
    ("p", "p"): m**2, ("pp", "pp"): m**2, ("k", "k"): mS**2, ("Pt", "Pt"): PtPt,
    ("p", "k"): pk, ("pp", "k"): ppk, ("p", "pp"): ppp, ("p", "Pt"): pPt, ("pp", "Pt"): ppPt, ("k", "Pt"): kPt,
}


def dot(a, b):
    return DOT.get((a, b), DOT.get((b, a)))


@lru_cache(maxsize=None)
def trace(vs: tuple) -> sp.Expr:
    """Tr of a product of slashed vectors (names), exactly."""
    if len(vs) == 0:
        return sp.Integer(4)
    if len(vs) % 2:
        return sp.Integer(0)
    a, rest = vs[0], vs[1:]
    total = sp.Integer(0)
    for j, b in enumerate(rest):
        total += (-1) ** j * dot(a, b) * trace(rest[:j] + rest[j + 1 :])
    return sp.expand(total)


# A "Dirac factor" is a list of (coefficient, tuple of slashed vector names).
def slash(name, c=1):
    return [(sp.Integer(c), (name,))]


def scalar(c):
    return [(c, ())]


def add(*fs):
    return [t for f in fs for t in f]


def mul(*fs):
    out = [(sp.Integer(1), ())]
    for f in fs:
        out = [(c1 * c2, v1 + v2) for c1, v1 in out for c2, v2 in f]
    return out


def tr(f) -> sp.Expr:
    return sp.expand(sum(c * trace(v) for c, v in f))


def derive():
    """Return (T11, T12, T22) with T = T11/D1^2 + 2 T12/(D1 D2) + T22/D2^2."""
    pp_m = add(slash("pp"), scalar(m))
    p_m = add(slash("p"), scalar(m))
    S1 = add(slash("p"), slash("k", -1), scalar(m))  # p - k + m
    S2 = add(slash("pp"), slash("k"), scalar(m))  # p' + k + m
    Pt = slash("Pt")
    G1, G2 = mul(Pt, S1), mul(S2, Pt)  # Gamma pieces (D1, D2 stripped)
    G1b, G2b = mul(S1, Pt), mul(Pt, S2)  # their Dirac conjugates
    T11 = tr(mul(pp_m, G1, p_m, G1b))
    T12 = tr(mul(pp_m, G1, p_m, G2b))  # = T21 (real), checked below
    T21 = tr(mul(pp_m, G2, p_m, G1b))
    T22 = tr(mul(pp_m, G2, p_m, G2b))
    assert sp.simplify(T12 - T21) == 0, "interference terms differ"
    return sp.factor(T11), sp.factor(T12), sp.factor(T22)


def gauge_substitution():
    """Dot products with Pt -> q = p' + k - p."""
    return {
        pPt: ppp + pk - m**2,
        ppPt: m**2 + ppk - ppp,
        kPt: ppk + mS**2 - pk,
        PtPt: (m**2 + m**2 + mS**2) + 2 * ppk - 2 * ppp - 2 * pk,  # (p' + k - p)^2
    }


# ------------------------------------------------------------------ numeric checks
GAMMA0 = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, -1, 0], [0, 0, 0, -1]], dtype=complex)
_SIG = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
GAMMAS = [GAMMA0] + [np.block([[np.zeros((2, 2)), s], [-s, np.zeros((2, 2))]]).astype(complex) for s in _SIG]


def nslash(v):
    return v[0] * GAMMAS[0] - v[1] * GAMMAS[1] - v[2] * GAMMAS[2] - v[3] * GAMMAS[3]


def mdot(a, b):
    return a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3]


def random_kinematics(rng, mval, msval, M=170.0):
    E = rng.uniform(1, 50)
    p = np.array([E, 0, 0, np.sqrt(E**2 - mval**2)])
    ks = rng.normal(size=3) * 0.3 + np.array([0, 0, 0.5 * E])
    k = np.array([np.sqrt(ks @ ks + msval**2), *ks])
    qs = rng.normal(size=3) * 0.05
    # choose q0 so that p' = p + q - k is on shell: (V + q)^2 = m^2, V = p - k
    V = p - k
    # solve for q0: (V0 + q0)^2 - |Vs + qs|^2 = m^2
    q0 = np.sqrt(mval**2 + np.sum((V[1:] + qs) ** 2)) - V[0]
    q = np.array([q0, *qs])
    pp = p + q - k
    P = np.array([M, 0, 0, 0])
    Pp = P - q
    return p, pp, k, P + Pp, q


def numeric_T(p, pp, k, Pt, mval, msval):
    one = np.eye(4)
    D1 = mdot(p - k, p - k) - mval**2
    D2 = mdot(pp + k, pp + k) - mval**2
    G = nslash(Pt) @ (nslash(p - k) + mval * one) / D1 + (nslash(pp + k) + mval * one) @ nslash(Pt) / D2
    Gb = GAMMA0 @ G.conj().T @ GAMMA0
    return np.trace((nslash(pp) + mval * one) @ G @ (nslash(p) + mval * one) @ Gb).real


def symbolic_T_value(parts, p, pp, k, Pt, mval, msval):
    T11, T12, T22 = parts
    vals = {m: mval, mS: msval, pk: mdot(p, k), ppk: mdot(pp, k), ppp: mdot(p, pp), pPt: mdot(p, Pt),
            ppPt: mdot(pp, Pt), kPt: mdot(k, Pt), PtPt: mdot(Pt, Pt)}
    D1 = msval**2 - 2 * vals[pk]
    D2 = msval**2 + 2 * vals[ppk]
    f = lambda e: float(e.subs(vals))  # noqa: E731
    return f(T11) / D1**2 + 2 * f(T12) / (D1 * D2) + f(T22) / D2**2


def check(parts) -> None:
    T11, T12, T22 = parts
    D1 = mS**2 - 2 * pk
    D2 = mS**2 + 2 * ppk
    T = T11 / D1**2 + 2 * T12 / (D1 * D2) + T22 / D2**2
    Tq = sp.simplify(sp.together(T.subs(gauge_substitution())))
    assert Tq == 0, f"gauge invariance fails: T(Pt -> q) = {Tq}"
    print("gauge invariance (symbolic): T(Pt -> q) = 0")
    rng = np.random.default_rng(7)
    worst = 0.0
    for mval, msval in itertools.product((0.10566, 0.000511), (0.001, 0.1, 0.5)):
        for _ in range(5):
            p, pp, k, Pt, q = random_kinematics(rng, mval, msval)
            a = symbolic_T_value(parts, p, pp, k, Pt, mval, msval)
            b = numeric_T(p, pp, k, Pt, mval, msval)
            worst = max(worst, abs(a / b - 1))
            c = numeric_T(p, pp, k, Pt + 3.7 * q, mval, msval)
            assert abs(c / b - 1) < 1e-8, f"gauge (numeric): {c} vs {b}"
            assert abs(numeric_T(p, pp, k, q, mval, msval)) < 1e-8 * abs(b), "numeric Ward identity"
    assert worst < 1e-7, f"symbolic vs Dirac-matrix trace: worst relative difference {worst}"
    print(f"symbolic T vs explicit Dirac-matrix trace: worst relative difference {worst:.1e}")
    print("gauge invariance (numeric): T(Pt + 3.7 q) = T(Pt), T(q) = 0")


HEADER = '''"""GENERATED by scripts/derive_etl_amplitude.py -- do not edit by hand; re-run the script.

Spin-summed tree-level trace T for mu(p) N(P) -> mu(p') N(P') S(k), one photon exchanged, the
nucleus a spin-0 source (Pt = P + P'):

    T = T11/D1^2 + 2 T12/(D1 D2) + T22/D2^2,  D1 = mS^2 - 2 p.k,  D2 = mS^2 + 2 p'.k,
    <|M|^2> = g^2 e^4 G2(t)/t^2 * T / 2.

Arguments are the invariants (GeV^2) p.k, p'.k, p.p', p.Pt, p'.Pt, k.Pt, Pt.Pt and the masses
m (lepton) and mS (GeV); numpy arrays broadcast. The script checked gauge invariance (T vanishes
for Pt -> q = p' + k - p) and compared T with an explicit Dirac-matrix trace before writing this.
"""

'''


def render(parts) -> str:
    """The generated module's text (deterministic)."""
    T11, T12, T22 = parts
    D1 = mS**2 - 2 * pk
    D2 = mS**2 + 2 * ppk
    expr = T11 / D1**2 + 2 * T12 / (D1 * D2) + T22 / D2**2
    subs, (red,) = sp.cse([expr], symbols=sp.numbered_symbols("c"), optimizations="basic")
    lines = [HEADER, "", "def trace_T(pk, ppk, ppp, pPt, ppPt, kPt, PtPt, m, mS):", '    """T (see the module docstring)."""']
    for s, e in subs:
        lines.append(f"    {s} = {sp.pycode(e)}")
    lines.append(f"    return {sp.pycode(red)}")
    return "\n".join(lines).replace("math.", "") + "\n"


TARGET = Path(__file__).resolve().parents[1] / "src" / "mudump" / "production" / "_etl_amplitude.py"


def main() -> int:
    parts = derive()
    check(parts)
    text = render(parts)
    if "--check" in sys.argv:
        if TARGET.read_text() != text:
            print(f"{TARGET} is not what the derivation gives: re-run this script")
            return 1
        print(f"{TARGET.name} is up to date")
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
