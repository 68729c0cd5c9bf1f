"""E137 and Orsay computed by mudump (mudump.constraints.electron_dumps): the yield against an
independent integration, the dark-photon benchmark it is calibrated on, and model A against the
regions Chen, Pospelov and Zhong drew (docs/constraints.md discusses every factor allowed)."""

import dataclasses

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import gamma, gammainc

from mudump import constraints as C
from mudump.constants import HBARC_GEV_M, M_E
from mudump.constraints import electron_dumps as ed
from mudump.experiments import load_experiment
from mudump.signal import experiment_events
from mudump.materials import get_material
from mudump.models import get_model
from mudump.production import dsigma_dx
from mudump.shower import TSAI_B as B
from mudump.shower import track_length_spectrum

from .helpers import outline_crossings

GRID = ed.COUPLINGS


def _cut(name, m):
    """(lowest, highest) coupling of a shipped region at mass m (crossings of its outline)."""
    c = C.get_constraint(name)
    return outline_crossings(c.mass_GeV, c.coupling, m)



def test_yield_against_an_independent_integration():
    """The pipeline's yield (the e137 preset through mudump.signal: the electron production
    table of mudump.production.electron_beam) for a dark photon, against nested adaptive
    quadrature written here: scipy quad over the beam electron's energy of Tsai's track length
    times dsigma/dx (quad over x in ln(1 - x)) times the decay probability, with X made at the
    electron's mean depth <t X0>(E), itself integrated here from Tsai's I_e over t (quad), at a
    coupling where the decay before the detector suppresses the yield (so the depth and the
    beam electrons near E0 matter). Allowed: 1% (the fixed Gauss-Legendre rules of the table,
    which change the yield by under 0.1% when their panels are doubled)."""
    exp = load_experiment("e137")
    mdl = get_model("dark-photon")
    m, g = 0.02, 3e-6
    mat = get_material(exp.target.material)
    E0, X0, L = exp.beam.energy_GeV, mat.radiation_length, exp.target.length_m
    T, cut = L / X0, exp.signature.e_cut_GeV
    L_sh, L_dec = exp.downstream.shield_length_m, exp.downstream.length_m
    vis, inv, dark = (float(v) for v in mdl.width_parts(m))
    width = g**2 * (vis + inv) + dark
    g_e = float(mdl.couplings(g, m)["e"])

    def p_dec(E_X, depth):
        p = np.sqrt(E_X**2 - m**2)
        inv_l = width * m / (p * HBARC_GEV_M)
        before = L - depth + L_sh
        return np.exp(-before * inv_l) - np.exp(-(before + L_dec) * inv_l)

    def inner(E, depth):
        lo, hi = np.log(1 - max(m, cut) / E), np.log(M_E / E)
        f = lambda u: float(dsigma_dx(E, 1 - np.exp(u), m, mat, method="ww", lepton="e",  # noqa: E731
                                      kind="vector")) * np.exp(u) * p_dec((1 - np.exp(u)) * E, depth)
        return quad(f, hi, lo, limit=200, epsrel=1e-6)[0]

    def depth_at(y):  # <t X0> over the track at energy E0 e^-y: t weighted by I_e (quad over s = b t)
        f = lambda s, k: s**k * y ** (s - 1) / gamma(s)  # noqa: E731
        return X0 / B * quad(f, 0, B * T, args=(1,), limit=200)[0] / quad(f, 0, B * T, args=(0,), limit=200)[0]

    Y = 1e-4  # below E0 exp(-Y) dl/dE is smooth (quad over ln y); above it the singular part
    far = quad(lambda v: np.exp(v) * E0 * np.exp(-np.exp(v)) * inner(E0 * np.exp(-np.exp(v)), depth_at(np.exp(v)))
               * track_length_spectrum(E0, E0 * np.exp(-np.exp(v)), T, X0),
               np.log(Y), np.log(np.log(E0 / cut)), limit=100, epsrel=1e-5)[0]
    near_l = X0 / B * quad(lambda s: gammainc(s, Y), 0, B * T, limit=200)[0]
    near_z = X0 / B * quad(lambda s: s * gammainc(s, Y), 0, B * T, limit=200)[0] / near_l
    near = near_l * inner(E0 * np.exp(-Y / 2), near_z)
    expected = exp.beam.electrons_on_target * mat.atom_density * g_e**2 * (far + near) * g**2 * vis / width
    assert experiment_events(exp, mdl, m, [g])[0] == pytest.approx(expected, rel=0.01)
    assert ed.events(ed.dumps()["e137"], mdl, m, [g])[0] == experiment_events(exp, mdl, m, [g])[0]


def test_electron_table_is_the_thick_target_integral():
    """The production table's weights add up to N_A-weighted int dE dl/dE sigma(E) (the total
    cross section above the cut, mudump.production.sigma with lepton e, method ww), integrated
    here by scipy quad over ln y with Tsai's track length plus the near-beam part; its nodes'
    track lengths (dz) add up to the track above the threshold energy. Orsay-like inputs without
    a cone. Allowed: 0.5% (the table's fixed rules; quad converges to 1e-6)."""
    from mudump.production import sigma
    from mudump.production.electron_beam import compute_electron_table

    m, E0, L, cut = 0.01, 1.2, 0.035, 0.75
    mat = get_material("W")
    X0, T = mat.radiation_length, 0.035 / mat.radiation_length
    t = compute_electron_table(m, "W", E0, L, e_cut=cut, kind="vector")
    Y = 1e-4
    s = lambda E: float(sigma(E, m, "W", method="ww", lepton="e", e_cut=cut, kind="vector"))  # noqa: E731
    far = quad(lambda v: np.exp(v) * E0 * np.exp(-np.exp(v)) * s(E0 * np.exp(-np.exp(v)))
               * track_length_spectrum(E0, E0 * np.exp(-np.exp(v)), T, X0),
               np.log(Y), np.log(np.log(E0 / cut)), limit=100, epsrel=1e-6)[0]
    near = X0 / B * quad(lambda s_: gammainc(s_, Y), 0, B * T, limit=200)[0] * s(E0 * np.exp(-Y / 2))
    assert t.total == pytest.approx(mat.atom_density * (far + near), rel=5e-3)
    assert np.all(t.z <= L) and np.all(np.diff(t.z[:-1]) > 0)  # deeper for softer electrons


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
        lo, hi = outline_crossings(orsay.mass_GeV, orsay.coupling, m)
        ref_lo, ref_hi = _cut("cpz2017-orsay", m)
        assert 1 / 2.1 < lo / ref_lo < 2.1 and 1 / 2.1 < hi / ref_hi < 2.1, m
    for m in (0.003, 0.01, 0.03, 0.1, 0.2):
        lo, hi = outline_crossings(e137.mass_GeV, e137.coupling, m)
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
    monkeypatch.setattr(ed, "region", lambda *a, **k: pytest.fail("recomputed"))
    again = ed.cached_region(d, "A")
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])
    # other parameters are another entry
    beam = d.preset.beam.model_copy(update={"electrons_on_target": 2 * d.preset.beam.electrons_on_target})
    other = dataclasses.replace(d, preset=d.preset.model_copy(update={"beam": beam}))
    monkeypatch.undo()
    assert not np.array_equal(ed.cached_region(other, "A")[1], first[1])


def test_dark_photon_conversion():
    """eps -> e eps with e = sqrt(4 pi alpha) = 0.30282 (alpha = 1/137.036)."""
    from mudump.constraints.conversions import dark_photon_eps

    assert dark_photon_eps(1.0) == pytest.approx(0.302822, rel=1e-5)
    c = C.get_constraint("darkcast-orsay")
    assert c.coupling[0] == pytest.approx(9.8818e-07 * 0.302822, rel=1e-5)  # the file's first lower edge
