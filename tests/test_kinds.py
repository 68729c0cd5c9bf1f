"""Mediators beyond the CP-even scalar: models as data, widths and (g-2) for every
kind, invisible decays in the signatures, model files and their errors."""

import math
import warnings

import numpy as np
import pytest
from scipy.integrate import quad

from mudump import g2, signal
from mudump.cli import main
from mudump.constants import ALPHA, M_E, M_MU, M_TAU
from mudump.errors import ConfigError, MudumpWarning
from mudump.experiments import load_experiment
from mudump.models import KINDS, get_model, parse_model, presets, widths

# --------------------------------------------------------------------------------------------
# widths against an explicit Dirac-matrix computation of sum |M|^2 (independent of the formulas)

_I2 = np.eye(2)
_SIG = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
GAMMA = [np.block([[_I2, 0 * _I2], [0 * _I2, -_I2]]).astype(complex)] + [
    np.block([[0 * _I2, s], [-s, 0 * _I2]]).astype(complex) for s in _SIG
]
G5 = 1j * GAMMA[0] @ GAMMA[1] @ GAMMA[2] @ GAMMA[3]
METRIC = np.diag([1.0, -1.0, -1.0, -1.0])


def slash(p):
    return sum(METRIC[m, m] * p[m] * GAMMA[m] for m in range(4))


def brute_width(kind, m_X, g, m_f):
    """Gamma = beta / (16 pi m_X) * <sum |M|^2>, <> the average over the 2J+1 states of X, the
    spin sum done as a trace with explicit 4x4 Dirac matrices (and the polarisation sum
    -g + k k / m_X^2 for spin 1), in the X rest frame."""
    E = m_X / 2
    pz = math.sqrt(E**2 - m_f**2)
    p1 = np.array([E, 0, 0, pz])
    p2 = np.array([E, 0, 0, -pz])
    k = p1 + p2
    one = np.eye(4, dtype=complex)
    A = slash(p1) + m_f * one  # u ubar of f
    B = slash(p2) - m_f * one  # v vbar of fbar
    if kind in ("scalar", "pseudoscalar"):
        V = one if kind == "scalar" else 1j * G5
        Vbar = GAMMA[0] @ V.conj().T @ GAMMA[0]
        total = np.trace(A @ V @ B @ Vbar).real
        states = 1
    else:
        total = 0.0
        pol = -METRIC + np.outer(k, k) / m_X**2  # upper indices
        for mu in range(4):
            for nu in range(4):
                Vm = GAMMA[mu] if kind == "vector" else GAMMA[mu] @ G5
                Vn = GAMMA[nu] if kind == "vector" else GAMMA[nu] @ G5
                Vnbar = GAMMA[0] @ Vn.conj().T @ GAMMA[0]
                # lower the Lorentz indices of the currents to contract with pol^{mu nu}
                total += (pol[mu, nu] * METRIC[mu, mu] * METRIC[nu, nu] * np.trace(A @ Vm @ B @ Vnbar)).real
        states = 3
    beta = 2 * pz / m_X
    return g**2 * total / states * beta / (16 * math.pi * m_X)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("m_X,m_f", [(0.5, M_MU), (0.3, 0.1), (1.0, M_E)])
def test_fermion_widths_match_an_explicit_dirac_trace(kind, m_X, m_f):
    # numerics: double-precision traces of O(1) numbers, so 1e-10
    assert widths.width_to_fermions(kind, m_X, 1e-3, m_f) == pytest.approx(brute_width(kind, m_X, 1e-3, m_f), rel=1e-10)


@pytest.mark.parametrize("kind,power,den", [("scalar", 3, 8), ("pseudoscalar", 1, 8), ("vector", None, 12),
                                            ("axial-vector", 3, 12)])
def test_fermion_width_limits(kind, power, den):
    """Heavy mediator: g^2 m / (8 pi) (spin 0) or g^2 m / (12 pi) (spin 1); near threshold the
    width goes as beta^3 (P wave) or beta (S wave; the vector's (1 + 2r) beta -> 3/2 beta)."""
    g = 1e-3
    assert widths.width_to_fermions(kind, 1.0, g, 1e-6) == pytest.approx(g**2 / (den * math.pi), rel=1e-10)
    m_f = 0.1
    for beta in (1e-2, 1e-3):
        m_X = 2 * m_f / math.sqrt(1 - beta**2)
        w = widths.width_to_fermions(kind, m_X, g, m_f)
        if power is None:
            assert w == pytest.approx(g**2 * m_X / (12 * math.pi) * 1.5 * beta, rel=1e-4)
        else:
            assert w == pytest.approx(g**2 * m_X / (den * math.pi) * beta**power, rel=1e-10)
    assert widths.width_to_fermions(kind, 0.15, g, m_f) == 0.0


def test_photon_loops_by_kind():
    # heavy loop lepton: F -> 4/3 (scalar), F_P -> 2 (pseudoscalar) (Spira et al. 1995);
    # a spin-1 mediator cannot decay to two photons (Landau-Yang).
    assert complex(widths.loop_function(1e6)) == pytest.approx(4 / 3, rel=1e-6)
    assert complex(widths.loop_function_pseudoscalar(1e6)) == pytest.approx(2.0, rel=1e-6)
    assert complex(widths.loop_function_pseudoscalar(1e3 * (1 - 1e-12))) == pytest.approx(
        complex(widths.loop_function_pseudoscalar(1e3 * (1 + 1e-12))), rel=1e-9)
    for kind in ("vector", "axial-vector"):
        assert widths.width_to_photons(kind, 0.1, [1e-3], [M_MU]) == 0.0
    # the pseudoscalar's heavy-loop width: alpha^2 m^3/(256 pi^3) (g/m_mu)^2 * 4
    m, g = 1e-3, 1e-3
    ref = ALPHA**2 * m**3 / (256 * math.pi**3) * (g / M_MU) ** 2 * 4.0
    assert widths.width_to_photons("pseudoscalar", m, [g], [M_MU]) == pytest.approx(ref, rel=1e-4)


# --------------------------------------------------------------------------------------------
# (g-2) for every kind


def delta_a_x_form(kind, m_X, g, m_l):
    """Independent evaluation in the other Feynman parameter, x = 1 - z, lambda = m_l/m_X, with
    the polynomials of Queiroz and Shepherd, arXiv:1403.2309 (Leveille 1978):
    Delta a = g^2 lambda^2/(8 pi^2) int_0^1 P(x) / (1 - x + lambda^2 x^2) dx."""
    lam2 = (m_l / m_X) ** 2
    P = {
        "scalar": lambda x: x**2 * (2 - x),
        "pseudoscalar": lambda x: -(x**3),
        "vector": lambda x: 2 * x**2 * (1 - x),
        "axial-vector": lambda x: 2 * x * (1 - x) * (x - 4) - 4 * lam2 * x**3,
    }[kind]
    val, _ = quad(lambda x: P(x) / (1 - x + lam2 * x**2), 0, 1, epsabs=0, epsrel=1e-12, limit=500)
    return g**2 * lam2 / (8 * math.pi**2) * val


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("m_X", [1e-3, 0.05, 0.3, 1.0])
def test_delta_a_against_the_other_parametrisation(kind, m_X):
    # both adaptive quadratures to 1e-11..1e-12: agreement to 1e-8
    got = float(g2.delta_a_kind(kind, m_X, 1e-3, M_MU))
    assert got == pytest.approx(delta_a_x_form(kind, m_X, 1e-3, M_MU), rel=1e-8)


def test_delta_a_limits_and_signs():
    g = 1e-3
    k = g**2 / (8 * math.pi**2)
    # light mediator (Jegerlehner and Nyffeler 2009): vector g^2/(8 pi^2), scalar 3 g^2/(16 pi^2)
    assert float(g2.delta_a_kind("vector", 1e-6, g, M_MU)) == pytest.approx(k, rel=1e-4)
    assert float(g2.delta_a_kind("scalar", 1e-6, g, M_MU)) == pytest.approx(1.5 * k, rel=1e-4)
    # heavy mediator: vector g^2 m^2/(12 pi^2 M^2); axial -5 g^2 m^2/(12 pi^2 M^2); pseudoscalar
    # -g^2 m^2/(8 pi^2 M^2) [ln(M^2/m^2) - 11/6] (leading orders of the same integrals)
    M = 1000 * M_MU
    r2 = (M_MU / M) ** 2
    assert float(g2.delta_a_kind("vector", M, g, M_MU)) == pytest.approx(g**2 * r2 / (12 * math.pi**2), rel=1e-2)
    assert float(g2.delta_a_kind("axial-vector", M, g, M_MU)) == pytest.approx(-5 * g**2 * r2 / (12 * math.pi**2), rel=1e-2)
    ps = float(g2.delta_a_kind("pseudoscalar", M, g, M_MU))
    assert ps == pytest.approx(-k * r2 * (math.log(1 / r2) - 11 / 6), rel=1e-2)
    for m in (0.01, 0.1, 1.0):
        assert float(g2.delta_a_kind("pseudoscalar", m, g, M_MU)) < 0
        assert float(g2.delta_a_kind("axial-vector", m, g, M_MU)) < 0
        assert float(g2.delta_a_kind("vector", m, g, M_MU)) > 0


def test_band_follows_the_kind():
    m = np.array([0.01, 0.1])
    b_ps = g2.band(m, "fnal2021", model=get_model("muonphilic-ps"))
    assert b_ps["sign"] == -1 and not b_ps["favoured"] and np.all(b_ps["central"] == 0)
    assert np.all(b_ps["upper_limit"] > 0)
    b_v = g2.band(m, "fnal2021", model=get_model("lmu-ltau"))
    assert b_v["sign"] == 1 and b_v["favoured"]
    # at the central value the vector's Delta a_mu equals the preset's
    da = get_model("lmu-ltau").delta_a(m, b_v["central"])
    assert np.allclose(da, g2.get_preset("fnal2021").delta_a_mu, rtol=1e-10)
    # model B is a scalar coupled to muons only: the same band as the default
    assert np.allclose(g2.band(m, "fnal2021", model=get_model("B"))["central"], g2.band(m, "fnal2021")["central"], rtol=1e-12)


# --------------------------------------------------------------------------------------------
# the presets


def test_presets_and_their_kinds():
    p = presets()
    assert {"A", "B", "muonphilic-ps", "muonphilic-vector", "lmu-ltau", "lmu-ltau-dm", "muonphilic-dm"} <= set(p)
    assert {m.kind for m in p.values()} == set(KINDS) - {"axial-vector"}
    for m in p.values():
        assert m.reference and m.description
    assert get_model("lmu-ltau").coupling_label == "g'"


def test_lmu_ltau_decays_almost_only_to_neutrinos_below_2m_mu():
    z = get_model("lmu-ltau")
    for m in (0.005, 0.05, 0.2):
        br = z.branching_ratios(m, 1e-4)
        assert br["nu nu-bar"] > 0.9999 and br["e+ e-"] < 1e-4
    # the loop mixing at q^2 -> 0: e ln(m_tau^2/m_mu^2) / (12 pi^2) = 1/69.29 (PDG masses, alpha(0))
    e = math.sqrt(4 * math.pi * ALPHA)
    assert float(z.mixing(1e-3)) == pytest.approx(e * math.log(M_TAU**2 / M_MU**2) / (12 * math.pi**2), rel=1e-4)
    assert 1 / 69.35 < float(z.mixing(1e-6)) < 1 / 69.22
    # above 2 m_mu: mu mu and nu nu (two flavours, left-handed) have equal widths far above threshold
    br = z.branching_ratios(1.0, 1e-4)
    assert br["mu+ mu-"] == pytest.approx(0.5 * (1 + 2 * (M_MU / 1.0) ** 2) * math.sqrt(1 - 4 * M_MU**2) / (
        0.5 * (1 + 2 * M_MU**2) * math.sqrt(1 - 4 * M_MU**2) + 0.5), rel=1e-3)


def test_invisible_model_gives_no_displaced_events_and_the_production_only_missing_yield():
    """BR_invisible = 1 (muon-philic scalar decaying to chi chi-bar, alpha_D = 0.5): displaced
    decays see nothing (visible fraction ~1e-13), missing energy sees every X produced."""
    m, g = 0.05, 1e-4
    dm = get_model("muonphilic-dm")
    assert float(dm.visible_fraction(m, g)) < 1e-10
    fnal = load_experiment("fnal-mu")
    na = load_experiment("na64mu")
    assert float(signal.experiment_events(fnal, dm, m, [g])[0]) < 1e-9 * float(
        signal.experiment_events(fnal, "B", m, [1e-4])[0] + 1)
    table = signal.table_for(na, m, "etl")
    production_only = na.beam.muons_on_target * g**2 * table.total
    assert float(signal.experiment_events(na, dm, m, [g])[0]) == pytest.approx(production_only, rel=1e-9)
    # and the spectrum adds up to the same
    edges = np.linspace(m, 160.0, 21)
    assert signal.experiment_spectrum(na, dm, m, g, edges).sum() == pytest.approx(production_only, rel=1e-3)


def test_neutrino_decays_count_as_missing_energy_at_any_coupling():
    """lmu-ltau below 2 m_mu: at large g the Z' decays promptly, but to neutrinos: the missing-
    energy yield keeps growing as g^2 (no upper edge), the displaced-decay yield is tiny."""
    na = load_experiment("na64mu")
    ev = signal.experiment_events(na, "lmu-ltau", 0.05, [1e-3, 1e-2])
    assert ev[1] / ev[0] == pytest.approx(100.0, rel=1e-3)


# --------------------------------------------------------------------------------------------
# model files and their errors

GOOD = """
name = "mine"
kind = "axial-vector"
[couplings]
mu = 1.0
nu_mu = 1.0
[dark_sector]
chi_mass_GeV = 0.01
alpha_D = 0.1
"""


def test_user_model_file(tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text(GOOD)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        m = get_model(str(p))
    assert m.kind == "axial-vector" and m.ratios["nu_mu"] == 1.0
    assert any("closed for m_X <= 0.02 GeV" in str(x.message) for x in w)
    assert float(m.widths(0.01, 1e-3)["chi chi-bar"]) == 0.0  # below 2 m_chi: no channel, no failure
    assert float(m.widths(0.1, 1e-3)["chi chi-bar"]) > 0.0


def test_heavy_dark_matter_closes_the_channel_with_one_warning():
    doc = {"name": "heavy", "kind": "scalar", "couplings": {"mu": 1.0},
           "dark_sector": {"chi_mass_ratio": 0.6, "alpha_D": 0.5}}
    with pytest.warns(MudumpWarning, match="no invisible"):
        m = parse_model(doc)
    assert float(m.widths(0.1, 1e-3)["chi chi-bar"]) == 0.0


@pytest.mark.parametrize("edit,needle", [
    (lambda s: s.replace('kind = "axial-vector"', 'kind = "tensor"'), "kind"),
    (lambda s: s.replace("nu_mu = 1.0", "nu_x = 1.0"), "couplings.nu_x"),
    (lambda s: s.replace('kind = "axial-vector"', 'kind = "scalar"'), "couplings.nu_mu"),
    (lambda s: s.replace("alpha_D = 0.1", "alpha_D = -0.1"), "dark_sector.alpha_D"),
    (lambda s: s + "colour = 3\n", "colour"),
    (lambda s: s.replace("mu = 1.0\nnu", "mu = 2.0\nnu"), "couplings.mu"),
    (lambda s: s.replace("chi_mass_GeV = 0.01", "chi_mass_GeV = true"), "dark_sector.chi_mass_GeV"),
])
def test_bad_model_files_name_the_field(tmp_path, capsys, edit, needle):
    p = tmp_path / "bad.toml"
    p.write_text(edit(GOOD))
    with pytest.raises(ConfigError) as exc:
        get_model(str(p))
    assert needle in str(exc.value) and "\n" not in str(exc.value)
    with pytest.raises(SystemExit) as ex:
        main(["decay", str(p), "--mass", "0.1", "--coupling", "1e-3"])
    err = capsys.readouterr().err.strip()
    assert ex.value.code == 2 and err.startswith("error:") and needle in err and len(err.splitlines()) == 1


def test_stable_mediator_is_said_in_words(capsys):
    """A muon-only vector below 2 m_mu has no tree-level decay (no gamma gamma for spin 1): the
    table says "stable", the JSON gives ctau_m null, never inf."""
    with pytest.raises(SystemExit) as ex:
        main(["decay", "muonphilic-vector", "--mass", "0.1", "--coupling", "1e-3", "--json"])
    assert ex.value.code == 0
    import json

    d = json.loads(capsys.readouterr().out)
    assert d["stable"] is True and d["ctau_m"] is None and d["total_width_GeV"] == 0.0


# --------------------------------------------------------------------------------------------
# the model's kind reaches production (signal, spectrum, events)


def test_kind_reaches_the_yield_spectrum_and_events():
    """A stable muon-philic vector below 2 m_mu at NA64-mu: every X produced escapes, so the
    missing-energy yield is the production of a vector (the production table of its kind),
    2.4-3.8 times the scalar's at equal coupling (docs/production.md); the spectrum adds up to
    it and the event generator's weights to it within their statistical error (4 sigma)."""
    from mudump.events.generator import generate

    na = load_experiment("na64mu")
    m, g = 0.05, 1e-5
    vec = float(signal.experiment_events(na, "muonphilic-vector", m, [g])[0])
    table = signal.table_for(na, m, "ww", kind="vector")
    assert vec == pytest.approx(na.beam.muons_on_target * g**2 * signal.table_for(na, m, "etl", kind="vector").total,
                                rel=1e-9)
    sca = float(signal.experiment_events(na, "muonphilic-dm", m, [g])[0])  # scalar, invisible: its production
    assert 1.5 < vec / sca < 5.0 and table.total > 0
    edges = np.linspace(na.signature.e_cut_GeV, 160.0, 21)
    assert signal.experiment_spectrum(na, "muonphilic-vector", m, g, edges).sum() == pytest.approx(vec, rel=2e-3)
    with pytest.raises(Exception, match="no open decay channel"):
        generate(na, "muonphilic-vector", m, g, 1000, seed=1)
    # lmu-ltau decays to neutrinos: the generator writes them, weights add up to the yield
    ev = generate(na, "lmu-ltau", m, 1e-4, 20_000, seed=4, acceptance=False)
    ref = float(signal.experiment_events(na, "lmu-ltau", m, [1e-4])[0])
    err = float(np.sqrt((ev.weight**2).sum()))
    assert abs(ev.weight.sum() - ref) < 4 * err + 2e-3 * ref
    assert set(np.abs(ev.pdg_d1)) <= {14, 16, 11} and ev.meta["kind"] == "vector" and ev.meta["s_pdgid"] == 55
