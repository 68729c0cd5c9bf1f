"""Production for every kind of X (scalar, pseudoscalar, vector, axial vector): the derived
amplitudes, their numerics, the WW and IWW limits of exact tree level, the massless-vector
limit, how the kinds compare, and the kind threaded through tables and the public API."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from mudump import production as P
from mudump.constants import M_MU
from mudump.errors import UnknownNameError
from mudump.production import etl, etl_table, iww, reference, ww
from mudump.production._etl_amplitude import TRACES, trace_T
from mudump.production.flux import photon_flux
from mudump.production.formfactors import nucleus
from mudump.kinds import KINDS, check_kind

ROOT = Path(__file__).resolve().parents[1]
SPIN1 = ("vector", "axial-vector")


def _derivation():
    """The derivation script as a module (its explicit-Dirac-matrix trace, in long double)."""
    spec = importlib.util.spec_from_file_location("derive_etl_amplitude", ROOT / "scripts" / "derive_etl_amplitude.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_kind_names():
    assert KINDS == ("scalar", "pseudoscalar", "vector", "axial-vector")
    assert check_kind("Axial_Vector") == "axial-vector"
    assert set(TRACES) == set(KINDS) == set(ww.AMPLITUDES)
    assert TRACES["scalar"] is trace_T  # the scalar's generated function keeps its name
    with pytest.raises(UnknownNameError, match="kind = 'tensor' is unknown: allowed scalar, pseudoscalar"):
        P.dsigma_dx(10.0, 0.5, 0.1, "Pb", kind="tensor")


def _dot(a, b):
    return a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3]


@pytest.mark.parametrize("kind", KINDS)
def test_light_cone_evaluation_equals_explicit_dirac_matrices(kind, rng):
    """The integrator's stabilised light-cone-gauge trace (F^2 T(Phat)) equals a brute-force
    trace of explicit 4x4 Dirac matrices (long double; spin 1 summed with -g + k k/m_X^2) with
    lab-frame four-vectors and Pt = P + P', and is gauge invariant (Pt -> Pt + lambda q).
    Tolerance 1e-6: the lab-frame vectors are built in double precision, and the axial vector's
    k k/m_X^2 term amplifies their rounding (seen up to ~1e-8)."""
    d = _derivation()
    from .helpers import lab_vectors as _lab_vectors

    n = 0
    while n < 4:
        E, x, m_S = rng.uniform(2, 15), rng.uniform(0.1, 0.9), 10 ** rng.uniform(-2.5, -0.7)
        th, M = rng.uniform(0, 0.2), 170.0
        if x * E <= 1.01 * m_S or x > 1 - M_MU / E:
            continue
        _, _, _, _, tm, tp = etl.kinematics(E, x, th, 1.0, 0.0, M_MU, m_S, M)
        t = min(tm * 10 ** rng.uniform(0.01, 2), 0.5 * (tm + tp))
        phi = rng.uniform(0, np.pi)
        args, F2, inside, _, _, _ = etl.kinematics(E, x, th, t, phi, M_MU, m_S, M)
        assert inside
        p, pp, k, Pt, q = _lab_vectors(E, x, th, t, phi, M_MU, m_S, M)
        ld = [np.asarray(v, dtype=np.longdouble) for v in (p, pp, k, Pt, q)]
        brute = d.numeric_T(kind, *ld[:4], M_MU, m_S)
        assert abs(brute.imag) < 1e-9 * abs(brute.real)
        assert F2 * TRACES[kind](*args) == pytest.approx(float(brute.real), rel=1e-6)
        shifted = d.numeric_T(kind, ld[0], ld[1], ld[2], ld[3] + 5.3 * ld[4], M_MU, m_S).real
        assert float(shifted) == pytest.approx(float(brute.real), rel=1e-6)
        n += 1


def test_two_to_two_massless_vector_is_compton_scattering():
    """At m_X -> 0 the vector's A is Compton scattering with e^2 -> e g: (1/4) sum |M|^2 =
    2 [p.k'/p.k + p.k/p.k' + 2 m^2 (1/p.k - 1/p.k') + m^4 (1/p.k - 1/p.k')^2] (Klein-Nishina,
    Peskin and Schroeder eq. (5.87)), with p.k = s~/2 = U/(2(1-x)) and p.k' = -u~/2 = U/2 at
    the WW point (Liu, McKeen, Miller, arXiv:1609.06781 eq. (A5)). Tolerance: the O(m_X^2/U)
    terms at m_X = 1e-7 GeV (1e-10) and rounding."""
    x = np.array([0.05, 0.3, 0.6, 0.95])
    U = M_MU**2 * x * np.array([1.0, 3.0, 30.0, 1e3])
    pk, pk2 = U / (2 * (1 - x)), U / 2
    kn = 2 * (pk2 / pk + pk / pk2 + 2 * M_MU**2 * (1 / pk - 1 / pk2) + M_MU**4 * (1 / pk - 1 / pk2) ** 2)
    assert ww.amplitude_vector(x, U, 1e-7, M_MU) == pytest.approx(kn, rel=1e-8)


def test_massless_vector_iww_has_the_bremsstrahlung_spectrum():
    """IWW for a vector at m_X -> 0 (flux frozen) is photon bremsstrahlung off the muon in the
    equivalent-photon approximation: dsigma/dx proportional to (4/3 - 4x/3 + x^2)/x, the
    complete-screening bremsstrahlung spectrum (Tsai, Rev. Mod. Phys. 46 (1974) 815, eq.
    (3.83), its leading term), with dsigma/dx = g^2 alpha^2 chi (4/3 - 4x/3 + x^2)/(2 pi m^2 x)
    (the u integral of the Compton A). Tolerance: O(m_X^2 / m^2 x^2) at m_X = 1e-5 GeV."""
    flux = photon_flux(nucleus("Pb"))
    m_X, E = 1e-5, 200.0
    x = np.array([0.05, 0.2, 0.5, 0.8, 0.95])
    chi = flux.chi((m_X**2 / (2 * E)) ** 2, m_X**2 + M_MU**2)
    from mudump.constants import ALPHA

    brems = ALPHA**2 * chi * (4 / 3 - 4 * x / 3 + x**2) / (2 * np.pi * M_MU**2 * x)
    assert iww.dsigma_dx(E, x, m_X, flux, M_MU, kind="vector") == pytest.approx(brems, rel=1e-4)


@pytest.mark.parametrize("kind", KINDS)
def test_fast_ww_and_iww_against_quadrature(kind):
    """WW (fixed rule) and IWW (closed-form u integral) against nested QUADPACK with the same A
    (mudump.production.reference; the IWW u integral there by quadrature too). Tolerances as
    for the scalar's tests: 1e-6 (WW, the 24-node angle rule), 1e-8 (IWW)."""
    nuc = nucleus("W")
    flux = photon_flux(nuc)
    for E, x, m_X in ((10.0, 0.3, 0.05), (160.0, 0.7, 0.003)):
        w = float(ww.dsigma_dx(E, x, m_X, flux, M_MU, kind=kind))
        assert w == pytest.approx(reference.ww_dsigma_dx(E, x, m_X, nuc, kind=kind), rel=1e-6)
        i = float(iww.dsigma_dx(E, x, m_X, flux, M_MU, kind=kind))
        assert i == pytest.approx(reference.iww_dsigma_dx(E, x, m_X, nuc, kind=kind), rel=1e-8)


@pytest.mark.parametrize("kind", KINDS)
def test_etl_close_to_ww_at_160_gev(kind):
    """Each kind's ETL follows its phase-space WW to 1% at 160 GeV on lead for x in [0.1, 0.9]
    (measured: within 0.7%, docs/production.md): the WW limit of the derived 2->3 amplitude is
    the derived 2->2 one, with the same normalisation."""
    nuc = nucleus("Pb")
    x = np.linspace(0.1, 0.9, 5)
    for m_X in (0.002, 0.2):
        r = etl.dsigma_dx(160.0, x, m_X, nuc, M_MU, kind=kind) / ww.dsigma_dx(160.0, x, m_X, photon_flux(nuc), M_MU, kind=kind)
        assert np.all(np.abs(r - 1) < 0.01), r


@pytest.mark.parametrize("kind", KINDS)
def test_etl_tends_to_iww_as_energy_grows(kind):
    """As E -> 1e5 GeV the WW t_min and IWW's both sink below the screening scale: ETL -> IWW
    (measured |ETL/IWW - 1| <= 0.5% at 1e5 GeV for x <= 0.6, tolerance 1%), monotonically."""
    nuc = nucleus("Pb")
    flux = photon_flux(nuc)
    x = np.array([0.3, 0.6])
    dev = [np.abs(etl.dsigma_dx(E, x, 0.01, nuc, M_MU, kind=kind) / iww.dsigma_dx(E, x, 0.01, flux, M_MU, kind=kind) - 1)
           for E in (160.0, 1e3, 1e5)]
    assert np.all(dev[2] < 0.01)
    assert np.all(dev[0] > dev[1]) and np.all(dev[1] > dev[2])


@pytest.mark.slow
def test_etl_against_nested_adaptive_quadrature():
    """The fast ETL (fixed rules, light-cone gauge) against nested QUADPACK over theta, t, phi
    with the plain lab-frame trace (mudump.production.reference), as for the scalar in
    tests/test_etl.py (same tolerance, 1e-5: the fixed rules; measured 1e-8), for the axial
    vector: the kind whose trace differs most (gamma5 and the longitudinal k k/m_X^2 term).
    About 10-20 s (nested QUADPACK), hence one point."""
    nuc = nucleus("Al")
    fast = float(etl.dsigma_dx(15.0, 0.5, 0.5, nuc, M_MU, kind="axial-vector"))
    assert fast == pytest.approx(reference.etl_dsigma_dx(15.0, 0.5, 0.5, nuc, kind="axial-vector"), rel=1e-5)


def test_kinds_compare_as_derived_at_small_mass():
    """At equal coupling and m_X << m_mu (160 GeV on lead, WW):
    * the pseudoscalar is produced less than the scalar (its A lacks the scalar's -8 m^2/u^2
      [u x + m^2 x^2] > 0 term), the two meeting for m_X >> m_mu;
    * the axial vector exceeds the vector by its longitudinal polarisation, A_axial ~ (2 m/m_X)^2
      x^2/(1-x): sigma_axial m_X^2 / (4 m^2 sigma_pseudoscalar) -> 1 as m_X -> 0 (the
      longitudinal axial vector couples like a pseudoscalar of coupling 2 m g/m_X), and
      sigma_axial / sigma_vector -> 1 for m_X >> m_mu.
    Measured numbers are in docs/production.md; the bounds here are loose trends."""
    s = {k: np.array([float(P.sigma(160.0, m, "Pb", method="ww", kind=k)) for m in (1e-3, 1e-2, 1.0)]) for k in KINDS}
    ps = s["pseudoscalar"] / s["scalar"]
    assert ps[0] < 0.1 and ps[0] < ps[1] < ps[2] and abs(ps[2] - 1) < 0.03
    equiv = s["axial-vector"][:2] * np.array([1e-3, 1e-2]) ** 2 / (4 * M_MU**2 * s["pseudoscalar"][:2])
    assert abs(equiv[0] - 1) < 0.005 and abs(equiv[1] - 1) > abs(equiv[0] - 1)
    av = s["axial-vector"] / s["vector"]
    assert av[0] > 1e3 and abs(av[2] - 1) < 0.05
    assert np.all(s["vector"] > s["scalar"])


@pytest.fixture
def small_etl_grid(monkeypatch, tmp_path):
    """A small ETL/WW grid (4 masses x 4 energies x 7 positions in x, v = 0.5 the middle node as
    the table requires) and an empty cache, so that a table builds in about a second."""
    monkeypatch.setenv("MUDUMP_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(etl_table, "GRID_LN_M", np.log(np.array([0.003, 0.03, 0.1, 0.3])))
    monkeypatch.setattr(etl_table, "GRID_EPS", np.array([1.0, 2.0, 3.0, 4.0]))
    monkeypatch.setattr(etl_table, "GRID_V", np.array([0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95]))
    monkeypatch.setattr(etl_table, "_NV", 7)
    etl_table._table.cache_clear()
    yield tmp_path
    etl_table._table.cache_clear()


def test_ratio_table_for_a_new_kind(small_etl_grid):
    """The ETL/WW table of another kind: its own name (the scalar's unchanged), built on a small
    grid (to stay fast), equal to direct ETL/WW at its nodes, cached and read back."""
    nuc = nucleus("W")
    name = etl_table._key(nuc, M_MU, "tsai", "vector")
    assert "-vector-" in name and name != etl_table._key(nuc, M_MU, "tsai")
    assert "vector" not in etl_table._key(nuc, M_MU, "tsai")
    tab = etl_table.ratio_table(nuc, M_MU, "tsai", kind="vector")
    tab.ensure()
    assert len(list(small_etl_grid.rglob(name + "-m*.npz"))) == 4  # one entry per mass slice
    m_X = 0.03
    E = (m_X + M_MU) * np.exp(3.0)
    x = etl_table.x_of_v(np.array([0.35, 0.65]), E, m_X, M_MU)
    direct = etl.dsigma_dx(E, x, m_X, nuc, M_MU, kind="vector") / ww.dsigma_dx(E, x, m_X, photon_flux(nuc), M_MU, kind="vector")
    assert tab(E, x, m_X) == pytest.approx(direct, rel=1e-9)  # nodes: the interpolation is exact there
    scalar = etl.dsigma_dx(E, x, m_X, nuc, M_MU) / ww.dsigma_dx(E, x, m_X, photon_flux(nuc), M_MU)
    assert np.all(np.abs(scalar / direct - 1) > 1e-4)  # not the scalar's ratio
    etl_table._table.cache_clear()
    again = etl_table.ratio_table(nuc, M_MU, "tsai", kind="vector")  # from the cache files
    assert np.array_equal(again.values, tab.values)


def test_production_table_and_api_carry_the_kind(tmp_path, monkeypatch):
    """kind reaches the thick-target production tables (and their cache key) and the API."""
    monkeypatch.setenv("MUDUMP_CACHE_DIR", str(tmp_path))
    from mudump.production.tables import _key, production_table

    production_table.cache_clear()
    args = (0.05, "W", 10.0, 0.5, "ww")
    s = production_table(*args)
    v = production_table(*args, kind="vector")
    assert _key(0.05, "W", 10.0, "ww", "mu", "tsai", "vector") != _key(0.05, "W", 10.0, "ww", "mu", "tsai")
    ratio = float(P.sigma(8.0, 0.05, "W", method="ww", kind="vector")) / float(P.sigma(8.0, 0.05, "W", method="ww"))
    assert v.total / s.total == pytest.approx(ratio, rel=0.2)  # the table spans 10 GeV down to the muon's exit energy
    assert v.total > 2 * s.total
    production_table.cache_clear()
    x = np.array([0.2, 0.7])
    for kind in KINDS:
        d = P.dsigma_dx(10.0, x, 0.05, "W", method="ww", kind=kind)
        dd = P.d2sigma_dx_dcos(10.0, x, 1.0, 0.05, "W", kind=kind)
        assert np.all(d > 0) and np.all(dd > 0)
