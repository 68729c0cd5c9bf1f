"""Derive |M|^2 of mu(p) N(P) -> mu(p') N(P') X(k) at tree level for every kind of X, check it,
and write the code; derive the 2 -> 2 amplitudes gamma mu -> mu X of the equivalent-photon
(WW) formulas and check mudump's closed forms against them.

Run:  python scripts/derive_etl_amplitude.py          (rewrites src/mudump/production/_etl_amplitude.py)
      python scripts/derive_etl_amplitude.py --check  (checks, and that the file is up to date)

Physics (one photon exchanged; the nucleus a heavy spin-0 source of charge form factor F):
    M = g e^2 F(t)/t * ubar(p') Gamma.Pt u(p),   Pt = P + P',  t = -(P - P')^2,
    Gamma.Pt = Pt-slash (p-slash - k-slash + m) V/D1 + V (p'-slash + k-slash + m) Pt-slash/D2,
    D1 = (p - k)^2 - m^2 = m_X^2 - 2 p.k,   D2 = (p' + k)^2 - m^2 = m_X^2 + 2 p'.k,
X emitted before (D1) or after (D2) the photon vertex, V its vertex (mudump.kinds):
    scalar 1, pseudoscalar i gamma5, vector eps*-slash, axial-vector eps*-slash gamma5,
as in Liu, McKeen, Miller, arXiv:1609.06781 (scalar), Liu and Miller, arXiv:1705.01633
(pseudoscalar, vector, axial vector) and Kirpichnikov, Lyubovitskij, Zhevlakov, PRD 102 (2020)
095024. Summing over spins and averaging over the muon's:
    <|M|^2> = g^2 e^4 G2(t)/t^2 * T / 2,   T = sum_pol Tr[(p'-slash + m) Gamma.Pt (p-slash + m) Gammabar.Pt],
Gammabar = gamma0 Gamma^dagger gamma0, the massive-spin-1 polarisation sum
    sum eps*_a eps_b = -g_ab + k_a k_b / m_X^2   (kept whole: the k k term drops out for the vector
                                                  but not for the axial vector),
G2 = |Z F|^2 (the same G2(t) as the WW formulas). T is a rational function of the invariants
p.k, p'.k, p.p', p.Pt, p'.Pt, k.Pt, Pt.Pt, with p^2 = p'^2 = m^2 and k^2 = m_X^2.

Algebra, done exactly with sympy:
  * Tr(a1 ... an) = sum_j (-1)^j (a1.aj) Tr(rest), Tr(1) = 4, odd traces zero (slashed vectors);
  * gamma5: each term of the pseudoscalar and axial-vector traces holds one gamma5 from M and
    one from M*; they are anticommuted together (gamma5 a-slash = -a-slash gamma5) and
    gamma5^2 = 1, so no Levi-Civita tensor (no gamma5 convention) enters;
  * polarisations: eps* and eps enter as formal vectors e and f; the trace is bilinear in them
    and (e.a)(f.b) -> -a.b + (k.a)(k.b)/m_X^2, (e.f) -> -4 + k^2/m_X^2 = -3 gives the sum.
Checks, each of which must pass before the code is written:
  1. gauge invariance: with Pt replaced by q = p' + k - p, T = 0 identically (symbolic), and
     T(Pt + lambda q) = T(Pt), T(q) = 0 (numeric, random kinematics), for every kind;
  2. the symbolic T equals a brute-force numeric trace with explicit 4x4 Dirac matrices (gamma5
     = i g0 g1 g2 g3, the polarisation sum as a 4x4 tensor) at random on-shell momenta;
  3. the k k / m_X^2 part of the vector's T vanishes identically (current conservation).

2 -> 2 (gamma(q) mu(p) -> mu(p') X(k), real photon, q^2 = 0; photon polarisation sum -g, exact by
gauge invariance, which is checked: the amplitude vanishes for eps_gamma -> q):
    M = e g ubar(p') [V (p + q + m) eps_gamma / s~ + eps_gamma (p - k + m) V / u~] u(p),
    s~ = 2 p.q,  u~ = (p - k)^2 - m^2 = m_X^2 - 2 p.k,  t2 = (q - k)^2 = m_X^2 - s~ - u~.
At the WW point (Liu, McKeen, Miller, arXiv:1609.06781 eq. (A5)-(A7)): s~ = -u~/(1-x),
t2 = u~ x/(1-x) + m_X^2, and their scalar A^{2->2} equals (1/4) sum|M|^2 / (e^2 g^2) (found
here and checked); the same normalisation defines A for every kind, and the script checks that
the closed forms in mudump.production.ww (amplitude) and iww (the u integral of A/u^2, the
x-independent-t_min formula) are exactly these. Also checked: the massless vector's 2 -> 2
|M|^2 is Compton scattering with e^2 -> e g (Klein-Nishina; Peskin and Schroeder eq. (5.87)).
"""

from __future__ import annotations

import itertools
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import sympy as sp

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("scalar", "pseudoscalar", "vector", "axial-vector")  # as mudump.kinds.KINDS

m, mS = sp.symbols("m mS", positive=True)
# dot-product symbols of the 2 -> 3 process
pk, ppk, ppp, pPt, ppPt, kPt, PtPt = sp.symbols("pk ppk ppp pPt ppPt kPt PtPt", real=True)


class Algebra:
    """Dot products of named vectors (a table) and exact traces of products of slashed vectors
    and gamma5 ("5")."""

    def __init__(self, table: dict):
        self.table = dict(table)
        self.trace = lru_cache(maxsize=None)(self._trace)

    def dot(self, a, b):
        if (a, b) in self.table:
            return self.table[(a, b)]
        if (b, a) in self.table:
            return self.table[(b, a)]
        raise KeyError((a, b))

    def _trace(self, vs: tuple) -> sp.Expr:
        if len(vs) == 0:
            return sp.Integer(4)
        if len(vs) % 2:
            return sp.Integer(0)
        a, rest = vs[0], vs[1:]
        total = sp.Integer(0)
        for j, b in enumerate(rest):
            total += (-1) ** j * self.dot(a, b) * self.trace(rest[:j] + rest[j + 1 :])
        return sp.expand(total)

    def tr(self, f) -> sp.Expr:
        total = sp.Integer(0)
        for c, v in f:
            sign, v = move_gamma5(v)
            if "5" in v:
                raise AssertionError("a single gamma5 left in a trace term")
            total += sign * c * self.trace(v)
        return sp.expand(total)


def move_gamma5(v: tuple):
    """Move every gamma5 to the right (gamma5 a-slash = -a-slash gamma5), cancel pairs
    (gamma5^2 = 1); return (sign, remaining tuple)."""
    sign, out, n5 = 1, [], 0
    for s in v:
        if s == "5":
            n5 += 1
        else:
            if n5 % 2:
                sign = -sign
            out.append(s)
    if n5 % 2:
        out.append("5")
    return sign, tuple(out)


# A "Dirac factor" is a list of (coefficient, tuple of slashed vector names or "5").
def slash(name, c=1):
    return [(sp.Integer(c), (name,))]


def scalar(c):
    return [(sp.sympify(c), ())]


def add(*fs):
    return [t for f in fs for t in f]


def mul(*fs):
    out = [(sp.Integer(1), ())]
    for f in fs:
        out = [(c1 * c2, v1 + v2) for c1, v1 in out for c2, v2 in f]
    return out


G5 = [(sp.Integer(1), ("5",))]


def vertex(kind, pol="e"):
    """(V, Vbar): the X vertex in M and its Dirac conjugate gamma0 V^dagger gamma0 (in M*; the
    polarisation eps* of M is the formal vector e, eps of M* the formal vector f)."""
    conj = {"e": "f", "a": "b"}[pol]
    if kind == "scalar":
        return scalar(1), scalar(1)
    if kind == "pseudoscalar":  # (i g5)^dagger = -i g5, g0 (-i g5) g0 = i g5
        return mul(scalar(sp.I), G5), mul(scalar(sp.I), G5)
    if kind == "vector":
        return slash(pol), slash(conj)
    if kind == "axial-vector":  # g0 (e-slash g5)^dagger g0 = f-slash g5
        return mul(slash(pol), G5), mul(slash(conj), G5)
    raise KeyError(kind)


def pol_sum(expr, alg: Algebra, vecs, e, f, massive_k=None, mX=None, parts=False):
    """Replace the bilinear form in the formal polarisation vectors e, f by the polarisation sum
    -g_ab (+ k_a k_b / mX^2 if massive_k). With parts=True return (the -g part, the k k part)."""
    esy = {v: alg.dot(e, v) for v in vecs}
    fsy = {v: alg.dot(f, v) for v in vecs}
    ef = alg.dot(e, f)
    g_part = -4 * sp.diff(expr, ef)
    kk_part = sp.diff(expr, ef) * (alg.dot(massive_k, massive_k) if massive_k else 0)
    for a, b in itertools.product(vecs, vecs):
        c = sp.diff(expr, esy[a], fsy[b])
        if c == 0:
            continue
        g_part += -c * alg.dot(a, b)
        if massive_k:
            kk_part += c * alg.dot(massive_k, a) * alg.dot(massive_k, b)
    g_part, kk_part = sp.expand(g_part), sp.expand(kk_part)
    if parts:
        return g_part, kk_part
    return sp.expand(g_part + (kk_part / mX**2 if massive_k else 0))


# ------------------------------------------------------------------ 2 -> 3 (ETL)
ETL_VECS = ("p", "pp", "k", "Pt")
_ETL_TABLE = {
    ("p", "p"): m**2, ("pp", "pp"): m**2, ("k", "k"): mS**2, ("Pt", "Pt"): PtPt,
    ("p", "k"): pk, ("pp", "k"): ppk, ("p", "pp"): ppp, ("p", "Pt"): pPt, ("pp", "Pt"): ppPt, ("k", "Pt"): kPt,
}
for _v in ETL_VECS:
    _ETL_TABLE[("e", _v)] = sp.Symbol(f"e_{_v}", real=True)
    _ETL_TABLE[("f", _v)] = sp.Symbol(f"f_{_v}", real=True)
_ETL_TABLE[("e", "f")] = sp.Symbol("e_f", real=True)
ETL = Algebra(_ETL_TABLE)


def derive(kind):
    """Return (T11, T12, T22, K11, K12, K22): T = T11/D1^2 + 2 T12/(D1 D2) + T22/D2^2 for the
    -g (or spin-0) part, K the same for the k k part (divided by mX^2; zero for spin 0)."""
    V, Vb = vertex(kind)
    pp_m = add(slash("pp"), scalar(m))
    p_m = add(slash("p"), scalar(m))
    S1 = add(slash("p"), slash("k", -1), scalar(m))  # p - k + m
    S2 = add(slash("pp"), slash("k"), scalar(m))  # p' + k + m
    Pt = slash("Pt")
    G1, G2 = mul(Pt, S1, V), mul(V, S2, Pt)  # Gamma pieces (D1, D2 stripped)
    G1b, G2b = mul(Vb, S1, Pt), mul(Pt, S2, Vb)  # their Dirac conjugates
    raw = {
        "11": ETL.tr(mul(pp_m, G1, p_m, G1b)),
        "12": ETL.tr(mul(pp_m, G1, p_m, G2b)),
        "21": ETL.tr(mul(pp_m, G2, p_m, G1b)),
        "22": ETL.tr(mul(pp_m, G2, p_m, G2b)),
    }
    out_g, out_k = {}, {}
    for key, T in raw.items():
        if kind in ("vector", "axial-vector"):
            out_g[key], out_k[key] = pol_sum(T, ETL, ETL_VECS, "e", "f", massive_k="k", parts=True)
        else:
            out_g[key], out_k[key] = T, sp.Integer(0)
        assert sp.im(sp.expand(out_g[key])) == 0 and sp.im(sp.expand(out_k[key])) == 0
    for d in (out_g, out_k):
        assert sp.expand(d["12"] - d["21"]) == 0, "interference terms differ"
    if kind == "vector":
        tot = out_k["11"] / (mS**2 - 2 * pk) ** 2 + 2 * out_k["12"] / ((mS**2 - 2 * pk) * (mS**2 + 2 * ppk)) + \
            out_k["22"] / (mS**2 + 2 * ppk) ** 2
        assert sp.cancel(sp.together(tot)) == 0, "vector: the k k term should vanish (conserved current)"
        out_k = {key: sp.Integer(0) for key in out_k}  # pieces cancel in the sum: drop them exactly
    return tuple(sp.factor(d[k]) for d in (out_g, out_k) for k in ("11", "12", "22"))


def full_T(parts):
    T11, T12, T22, K11, K12, K22 = parts
    D1 = mS**2 - 2 * pk
    D2 = mS**2 + 2 * ppk
    return (T11 + K11 / mS**2) / D1**2 + 2 * (T12 + K12 / mS**2) / (D1 * D2) + (T22 + K22 / mS**2) / D2**2


def gauge_substitution():
    """Dot products with Pt -> q = p' + k - p."""
    return {
        pPt: ppp + pk - m**2,
        ppPt: m**2 + ppk - ppp,
        kPt: ppk + mS**2 - pk,
        PtPt: (m**2 + m**2 + mS**2) + 2 * ppk - 2 * ppp - 2 * pk,  # (p' + k - p)^2
    }


# ------------------------------------------------------------------ numeric checks
# In extended precision (x87 long double, ~19 digits): the axial vector's longitudinal term
# weighs the kinematics by 1/m_X^2, so in double precision the inputs' own rounding (p'^2 = m^2
# only to ~1e-16 E^2) would already show at 1e-5 for an electron at m_X = 1 MeV.
LD, CLD = np.longdouble, np.clongdouble
GAMMA0 = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, -1, 0], [0, 0, 0, -1]], dtype=CLD)
_SIG = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
GAMMAS = [GAMMA0] + [np.block([[np.zeros((2, 2)), s], [-s, np.zeros((2, 2))]]).astype(CLD) for s in _SIG]
GAMMA5 = 1j * GAMMAS[0] @ GAMMAS[1] @ GAMMAS[2] @ GAMMAS[3]
METRIC = np.diag(np.array([1.0, -1.0, -1.0, -1.0], dtype=LD))


def nslash(v):
    return v[0] * GAMMAS[0] - v[1] * GAMMAS[1] - v[2] * GAMMAS[2] - v[3] * GAMMAS[3]


def mdot(a, b):
    return a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3]


def numeric_vertices(kind, k, msval):
    """[(weight, V, V')] whose weighted sum of V ... Vbar' is the polarisation-summed vertex pair:
    for spin 1, sum_ab P_ab gamma^a ... gamma^b with P_ab = -g_ab + k_a k_b/m_X^2, the k k part
    contracted first (one term, V = V' = k-slash (gamma5), weight 1/m_X^2)."""
    one = np.eye(4, dtype=CLD)
    if kind == "scalar":
        return [(1.0, one, one)]
    if kind == "pseudoscalar":
        return [(1.0, 1j * GAMMA5, 1j * GAMMA5)]
    g5 = one if kind == "vector" else GAMMA5
    out = [(-METRIC[a, a], GAMMAS[a] @ g5, GAMMAS[a] @ g5) for a in range(4)]  # -g_ab gamma^a .. gamma^b
    if kind == "vector":  # the k k part vanishes (derive() checks it symbolically); in double
        return out  # precision its 1/m_X^2 would only amplify rounding
    return out + [(1.0 / msval**2, nslash(k) @ g5, nslash(k) @ g5)]


def random_kinematics(rng, mval, msval, M=170.0):
    mval, msval, M = LD(mval), LD(msval), LD(M)
    E = LD(rng.uniform(1, 50))
    p = np.array([E, 0, 0, np.sqrt(E**2 - mval**2)], dtype=LD)
    ks = rng.normal(size=3).astype(LD) * LD(0.3) + np.array([0, 0, 0.5 * E], dtype=LD)
    k = np.array([np.sqrt(ks @ ks + msval**2), *ks], dtype=LD)
    qs = rng.normal(size=3).astype(LD) * LD(0.05)
    # choose q0 so that p' = p + q - k is on shell: (V + q)^2 = m^2, V = p - k
    V = p - k
    q0 = np.sqrt(mval**2 + np.sum((V[1:] + qs) ** 2)) - V[0]
    q = np.array([q0, *qs], dtype=LD)
    pp = p + q - k
    P = np.array([M, 0, 0, 0], dtype=LD)
    Pp = P - q
    return p, pp, k, P + Pp, q


def numeric_T(kind, p, pp, k, Pt, mval, msval):
    """sum_ab P_ab Tr[(p'+m) Gamma_a (p+m) Gammabar_b], Gammabar = gamma0 Gamma^dagger gamma0, with
    explicit matrices (for spin 0 one term, P = 1)."""
    one = np.eye(4, dtype=LD)
    mval, msval = LD(mval), LD(msval)
    D1 = mdot(p - k, p - k) - mval**2
    D2 = mdot(pp + k, pp + k) - mval**2

    def Gamma(V):
        return nslash(Pt) @ (nslash(p - k) + mval * one) @ V / D1 + V @ (nslash(pp + k) + mval * one) @ nslash(Pt) / D2

    total = 0.0
    for w, Va, Vb in numeric_vertices(kind, k, msval):
        Gb = GAMMA0 @ Gamma(Vb).conj().T @ GAMMA0
        total = total + w * np.trace((nslash(pp) + mval * one) @ Gamma(Va) @ (nslash(p) + mval * one) @ Gb)
    return total  # complex; its imaginary part must vanish (checked by the caller)


def symbolic_T_value(fT, p, pp, k, Pt, mval, msval):
    """The derived T (lambdified for mpmath, fT) at these momenta, in 30-digit arithmetic."""
    import mpmath

    mpmath.mp.dps = 30
    vals = (mval, msval, mdot(p, k), mdot(pp, k), mdot(p, pp), mdot(p, Pt), mdot(pp, Pt), mdot(k, Pt), mdot(Pt, Pt))
    return float(fT(*(mpmath.mpf(repr(LD(v)).removeprefix("np.longdouble(").strip("')")) for v in vals)))


def check(kind, parts) -> None:
    T = full_T(parts)
    Tq = sp.cancel(sp.together(T.subs(gauge_substitution())))
    assert Tq == 0, f"{kind}: gauge invariance fails: T(Pt -> q) = {Tq}"
    fT = sp.lambdify((m, mS, pk, ppk, ppp, pPt, ppPt, kPt, PtPt), T, "mpmath")
    rng = np.random.default_rng(7)
    worst = 0.0
    for mval, msval in itertools.product((0.10566, 0.000511), (0.001, 0.1, 0.5)):
        for _ in range(3):
            p, pp, k, Pt, q = random_kinematics(rng, mval, msval)
            a = symbolic_T_value(fT, p, pp, k, Pt, mval, msval)
            b = numeric_T(kind, p, pp, k, Pt, mval, msval)
            # tolerance: extended-precision rounding (worst seen 1e-12), amplified for the axial
            # vector by its k k / m_X^2 term (1/m_X^2 up to 1e6 GeV^-2 here; worst seen 2e-8)
            tol = 1e-6 if kind == "axial-vector" else 1e-9
            assert abs(b.imag) < tol * abs(b.real), f"{kind}: the summed trace must be real"
            b = b.real
            assert b > 0, f"{kind}: T must be positive"
            worst = max(worst, abs(a / b - 1))
            c = numeric_T(kind, p, pp, k, Pt + LD(3.7) * q, mval, msval).real
            assert abs(c / b - 1) < tol, f"{kind}: gauge (numeric): {c} vs {b}"
            assert abs(numeric_T(kind, p, pp, k, q, mval, msval)) < tol * abs(b), f"{kind}: numeric Ward identity"
    assert worst < 1e-6, f"{kind}: symbolic vs Dirac-matrix trace: worst relative difference {worst}"
    print(f"{kind:13s} ETL: gauge invariance symbolic (T(Pt -> q) = 0) and numeric (T(Pt + 3.7 q) = T(Pt), "
          f"T(q) = 0); symbolic vs explicit Dirac matrices: worst relative difference {worst:.1e}")


# ------------------------------------------------------------------ 2 -> 2 (WW)
s_, u_ = sp.symbols("s u", real=True)  # s~ = 2 p.q, u~ = mX^2 - 2 p.k
x_, U_ = sp.symbols("x U", positive=True)  # U = -u~ > 0 at the WW point
_WW = {("p", "p"): m**2, ("q", "q"): sp.Integer(0), ("k", "k"): mS**2,
       ("p", "q"): s_ / 2, ("p", "k"): (mS**2 - u_) / 2, ("q", "k"): (s_ + u_) / 2}  # t2 = mX^2 - s - u = mX^2 - 2 q.k
for _v in ("p", "q", "k"):
    for _e in "abef":
        _WW[(_e, _v)] = sp.Symbol(f"{_e}_{_v}", real=True)
_WW[("a", "b")] = sp.Symbol("a_b", real=True)
_WW[("e", "f")] = sp.Symbol("e_f", real=True)
for _e, _f in itertools.product("ab", "ef"):
    _WW[(_e, _f)] = sp.Symbol(f"{_e}_{_f}", real=True)
WW = Algebra(_WW)


def pp_slash():
    return add(slash("p"), slash("q"), slash("k", -1))  # p' = p + q - k


def amp22(kind, photon="a", photon_bar="b"):
    """Spin- and polarisation-summed |M|^2 / (e^2 g^2) of gamma mu -> mu X (not averaged)."""
    V, Vb = vertex(kind)
    pp_m = add(pp_slash(), scalar(m))
    p_m = add(slash("p"), scalar(m))
    Ss = add(slash("p"), slash("q"), scalar(m))
    Su = add(slash("p"), slash("k", -1), scalar(m))
    eg, egb = slash(photon), slash(photon_bar)
    G = add(mul(V, Ss, eg, scalar(1 / s_)), mul(eg, Su, V, scalar(1 / u_)))
    Gb = add(mul(egb, Ss, Vb, scalar(1 / s_)), mul(Vb, Su, egb, scalar(1 / u_)))
    return WW.tr(mul(pp_m, G, p_m, Gb))


@lru_cache(maxsize=None)
def summed22(kind):
    T = amp22(kind)
    T = pol_sum(T, WW, ("p", "q", "k", "e", "f"), "a", "b")  # photon: -g
    if kind in ("vector", "axial-vector"):
        T = pol_sum(T, WW, ("p", "q", "k"), "e", "f", massive_k="k", mX=mS)
    return sp.cancel(sp.together(T))


def check_ww(kind):
    """Photon gauge invariance of the 2 -> 2 amplitude; A at the WW point; compare with mudump."""
    # gauge: eps_gamma -> q in M (a -> q) leaves M = 0, so the trace with a -> q vanishes
    sub = {WW.dot("a", v): WW.dot("q", v) for v in ("p", "q", "k", "e", "f")} | {WW.dot("a", "b"): WW.dot("q", "b")}
    Tg = amp22(kind).subs(sub)
    Tg = pol_sum(Tg, WW, ("p", "q", "k"), "e", "f", massive_k="k", mX=mS) if kind in ("vector", "axial-vector") else Tg
    assert sp.cancel(sp.together(Tg)) == 0, f"{kind}: 2->2 photon gauge invariance fails"
    avg = summed22(kind) / 4
    A = sp.cancel(sp.together(avg.subs({s_: U_ / (1 - x_), u_: -U_})))
    return avg, A


def check_against_mudump(As):
    from mudump.production import iww, ww

    for kind, A in As.items():
        mine = ww.AMPLITUDES[kind](x_, U_, mS, m)
        assert sp.cancel(mine - A) == 0, f"{kind}: mudump.production.ww amplitude differs: {sp.simplify(mine - A)}"
        # IWW: int_{U0}^oo dU A / U^2 (small-angle, theta up to infinity), U0 = mX^2 (1-x)/x + m^2 x;
        # A U^2 is a polynomial of degree <= 2 in U, A = a0 + a1/U + a2/U^2, so the integral is
        # a0/U0 + a1/(2 U0^2) + a2/(3 U0^3)
        a2, a1, a0 = (sp.Poly(sp.cancel(A * U_**2), U_).all_coeffs()[::-1] + [0, 0, 0])[:3]
        assert sp.cancel(A - a0 - a1 / U_ - a2 / U_**2) == 0, f"{kind}: A is not a0 + a1/U + a2/U^2"
        U0 = mS**2 * (1 - x_) / x_ + m**2 * x_
        I = a0 / U0 + a1 / (2 * U0**2) + a2 / (3 * U0**3)
        assert sp.cancel(iww.u_integral(kind, x_, mS, m) - I) == 0, f"{kind}: iww u integral differs"
        print(f"{kind:13s} WW: A(x, U) of mudump.production.ww and the IWW u integral of mudump.production.iww "
              "equal the derived ones")
    # massless vector: Compton scattering with e^2 -> e g (Klein-Nishina; Peskin-Schroeder (5.87)),
    # (1/4) sum |M|^2 = 2 e^4 [p.k'/p.k + p.k/p.k' + 2 m^2 (1/p.k - 1/p.k') + m^4 (1/p.k - 1/p.k')^2]
    # with k the incoming and k' the outgoing photon: p.k = s~/2, p.k' = -u~/2.
    pq, pk2 = s_ / 2, -u_ / 2
    kn = 2 * (pk2 / pq + pq / pk2 + 2 * m**2 * (1 / pq - 1 / pk2) + m**4 * (1 / pq - 1 / pk2) ** 2)
    avg0 = (summed22("vector") / 4).subs(mS, 0)
    assert sp.cancel(sp.together(avg0 - kn)) == 0, "massless vector is not Compton scattering"
    print("vector (m_X -> 0): the 2 -> 2 |M|^2 is Klein-Nishina Compton scattering with e^2 -> e g")


HEADER = '''"""GENERATED by scripts/derive_etl_amplitude.py -- do not edit by hand; re-run the script.

Spin-summed tree-level trace T for mu(p) N(P) -> mu(p') N(P') X(k), one photon exchanged, the
nucleus a spin-0 source (Pt = P + P'), for each kind of X (mudump.kinds):

    T = T11/D1^2 + 2 T12/(D1 D2) + T22/D2^2,  D1 = mS^2 - 2 p.k,  D2 = mS^2 + 2 p'.k,
    <|M|^2> = g^2 e^4 G2(t)/t^2 * T / 2,

summed over the polarisations of a spin-1 X with -g + k k / mS^2 (mS the mass of X).
Arguments are the invariants (GeV^2) p.k, p'.k, p.p', p.Pt, p'.Pt, k.Pt, Pt.Pt and the masses
m (lepton) and mS (GeV); numpy arrays broadcast. The script checked gauge invariance (T vanishes
for Pt -> q = p' + k - p) and compared T with an explicit Dirac-matrix trace before writing this.
"""

'''


def render_one(name, parts) -> list[str]:
    expr = full_T(parts)
    subs, (red,) = sp.cse([expr], symbols=sp.numbered_symbols("c"), optimizations="basic")
    lines = ["", "", f"def {name}(pk, ppk, ppp, pPt, ppPt, kPt, PtPt, m, mS):", '    """T (see the module docstring)."""']
    for s, e in subs:
        lines.append(f"    {s} = {sp.pycode(e)}")
    lines.append(f"    return {sp.pycode(red)}")
    return lines


def fname(kind):
    return "trace_T" if kind == "scalar" else "trace_T_" + kind.replace("-", "_")


def render(all_parts) -> str:
    """The generated module's text (deterministic)."""
    lines = [HEADER]
    for kind, parts in all_parts.items():
        lines += render_one(fname(kind), parts)
    lines += ["", "", "#: The trace of each kind (the scalar's is trace_T).",
              "TRACES = {" + ", ".join(f'"{k}": {fname(k)}' for k in all_parts) + "}"]
    return "\n".join(lines).replace("math.", "") + "\n"


TARGET = ROOT / "src" / "mudump" / "production" / "_etl_amplitude.py"


def main() -> int:
    all_parts = {}
    for kind in KINDS:
        all_parts[kind] = derive(kind)
        check(kind, all_parts[kind])
    As = {}
    for kind in KINDS:
        _, As[kind] = check_ww(kind)
    check_against_mudump(As)
    text = render(all_parts)
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
