"""E137 and Orsay computed by mudump (mudump.constraints.electron_dumps): the yield against an
independent integration, the dark-photon benchmark it is calibrated on, and model A against the
regions Chen, Pospelov and Zhong drew (docs/constraints.md discusses every factor allowed)."""

import dataclasses

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import gammainc

from mudump import constraints as C
from mudump.constants import HBARC_GEV_M, M_E
from mudump.constraints import electron_dumps as ed
from mudump.materials import get_material
from mudump.models import get_model
from mudump.production import dsigma_dx
from mudump.shower import TSAI_B as B
from mudump.shower import track_length_spectrum

GRID = ed.COUPLINGS


def _cut(name, m):
    """(lowest, highest) coupling of a shipped region at mass m (crossings of its outline)."""
    c = C.get_constraint(name)
    return _crossings(c.mass_GeV, c.coupling, m)


def _crossings(mass, coupling, m):
    P = np.column_stack([np.log(mass), np.log(coupling)])
    P = np.vstack([P, P[:1]])
    out = []
    for a, b in zip(P[:-1], P[1:]):
        if a[0] <= np.log(m) < b[0] or b[0] <= np.log(m) < a[0]:
            f = (np.log(m) - a[0]) / (b[0] - a[0])
            out.append(np.exp(a[1] + f * (b[1] - a[1])))
    return min(out), max(out)


def test_yield_against_an_independent_integration():
    """N for a dark photon at E137 (no angular cut there: theta_max = 0.1 rad keeps 99.9% of
    the X, d2sigma/dx dcos integrated) against nested adaptive quadrature of the same
    integrand with dsigma/dx (scipy quad over E, then x in ln(1 - x)), at a coupling where the
    decay before the detector suppresses the yield (so the beam electrons near E0 dominate).
    Allowed: 1% (the angular tail beyond 0.1 rad, 0.08%, and the fixed Gauss-Legendre rules,
    converged to 0.1% when their panels are doubled)."""
    dump = ed.dumps()["e137"]
    mdl = get_model("dark-photon")
    m, g = 0.02, 3e-6
    mat = get_material(dump.target_material)
    vis, inv, dark = (float(v) for v in mdl.width_parts(m))
    width = g**2 * (vis + inv) + dark

    def p_dec(E_X):
        p = np.sqrt(E_X**2 - m**2)
        inv_l = width * m / (p * HBARC_GEV_M)
        return np.exp(-dump.shield_length_m * inv_l) - np.exp(-(dump.shield_length_m + dump.decay_length_m) * inv_l)

    def inner(E):
        lo, hi = np.log(1 - max(m, dump.e_cut_GeV) / E), np.log(M_E / E)
        f = lambda u: float(dsigma_dx(E, 1 - np.exp(u), m, dump.target_material, method="ww", lepton="e",  # noqa: E731
                                      kind="vector")) * np.exp(u) * p_dec((1 - np.exp(u)) * E)
        return quad(f, hi, lo, limit=200, epsrel=1e-6)[0]

    # below E0 exp(-Y): dl/dE is smooth (quad over ln y, y = ln(E0/E)); above it the singular
    # part, X0/b int ds P(s, Y) (mudump.shower docstring), at E0 exp(-Y/2)
    E0, X0, Y = dump.beam_energy_GeV, mat.radiation_length, ed.Y_NEAR
    far = quad(lambda v: np.exp(v) * E0 * np.exp(-np.exp(v)) * inner(E0 * np.exp(-np.exp(v)))
               * track_length_spectrum(E0, E0 * np.exp(-np.exp(v)), ed.THICK_X0, X0),
               np.log(Y), np.log(np.log(E0 / dump.e_cut_GeV)), limit=100, epsrel=1e-5)[0]
    near = X0 / B * quad(lambda s: gammainc(s, Y), 0, B * ed.THICK_X0, limit=200)[0] * inner(E0 * np.exp(-Y / 2))
    outer = far + near
    expected = dump.electrons_on_target * mat.atom_density * g**2 * outer * g**2 * vis / width
    assert ed.events(dump, mdl, m, [g])[0] == pytest.approx(expected, rel=0.01)


@pytest.mark.parametrize("dump, benchmark, masses, factor", [
    # calibrated on this curve (docs/constraints.md): within 15% from 3 to 200 MeV
    ("e137", "darkcast-e137-bjorken2009", (0.003, 0.01, 0.03, 0.1, 0.2), 1.2),
    # the cone acceptance does not follow the benchmark's lower edge everywhere: 1.5 at 2 MeV
    # to 0.63 at 60 MeV (docs/constraints.md)
    ("orsay", "darkcast-orsay", (0.002, 0.005, 0.01, 0.02, 0.04, 0.06), 1.65),
])
def test_dark_photon_benchmark(dump, benchmark, masses, factor):
    d = ed.dumps()[dump]
    for m in masses:
        lo, hi = ed.excluded_interval(d, "dark-photon", m, GRID)
        ref_lo, ref_hi = _cut(benchmark, m)
        assert 1 / factor < lo / ref_lo < factor, (m, lo / ref_lo)
        assert 1 / factor < hi / ref_hi < factor, (m, hi / ref_hi)


def test_model_a_against_the_papers_regions():
    """Model A's E137 and Orsay regions against Chen, Pospelov, Zhong's Fig. 4 (docs/constraints.md):
    Orsay within 2.1 on both edges; E137's upper edge 1.5-1.8 times below the paper's (at 10-200
    MeV; below, the paper's region is cut by its frame), its lower edge 2.5-4.5 times above the
    paper's hand-drawn 1.9e-6 (the two published E137 dark-photon analyses differ by that much
    at their lower edges; mudump is calibrated on the higher one)."""
    orsay = C.select("orsay", "A")[0][0]
    e137 = C.select("e137", "A")[0][0]
    assert orsay.computed and e137.computed
    for m in (0.002, 0.003, 0.01, 0.03):
        lo, hi = _crossings(orsay.mass_GeV, orsay.coupling, m)
        ref_lo, ref_hi = _cut("cpz2017-orsay", m)
        assert 1 / 2.1 < lo / ref_lo < 2.1 and 1 / 2.1 < hi / ref_hi < 2.1, m
    for m in (0.003, 0.01, 0.03, 0.1, 0.2):
        lo, hi = _crossings(e137.mass_GeV, e137.coupling, m)
        ref_lo, ref_hi = _cut("cpz2017-e137", m)
        assert 2.5 < lo / ref_lo < 4.5, (m, lo / ref_lo)
        if m >= 0.01:
            assert 0.5 < hi / ref_hi < 0.75, (m, hi / ref_hi)
    # both end where model A's S starts to decay to muons, as in the paper
    assert e137.mass_GeV.max() == pytest.approx(2 * 0.10566, rel=0.01)


def test_nothing_from_a_muon_only_model():
    assert ed.events(ed.dumps()["e137"], "B", 0.05, [1e-3, 1e-2]).tolist() == [0.0, 0.0]
    assert not ed.couples_to_electrons("B") and ed.couples_to_electrons("A")


def test_region_is_cached(monkeypatch):
    """A second request reads the cache: no yield is computed."""
    d = ed.dumps()["orsay"]
    first = ed.cached_region(d, "A")
    monkeypatch.setattr(ed, "excluded_interval", lambda *a, **k: pytest.fail("recomputed"))
    again = ed.cached_region(d, "A")
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])
    # other parameters are another entry
    other = dataclasses.replace(d, electrons_on_target=2 * d.electrons_on_target)
    monkeypatch.undo()
    assert not np.array_equal(ed.cached_region(other, "A")[1], first[1])


def test_dark_photon_conversion():
    """eps -> e eps with e = sqrt(4 pi alpha) = 0.30282 (alpha = 1/137.036)."""
    from mudump.constraints.conversions import dark_photon_eps

    assert dark_photon_eps(1.0) == pytest.approx(0.302822, rel=1e-5)
    c = C.get_constraint("darkcast-orsay")
    assert c.coupling[0] == pytest.approx(9.8818e-07 * 0.302822, rel=1e-5)  # the file's first lower edge
