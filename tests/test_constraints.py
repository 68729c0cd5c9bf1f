"""Published constraints shipped as data (mudump.constraints): each curve against two numbers
read from its source, each conversion rule, the models each one fits, and the selection."""

import numpy as np
import pytest

from mudump import constraints as C
from mudump.constraints.conversions import higgs_vev, identity, leptophilic_xi
from mudump._checks import check_mathtext
from mudump.errors import ConfigError, UnknownNameError
from mudump.models import get_model, presets


def _at(name, m):
    """The constraint's coupling at mass m (GeV), interpolated in log-log between its points."""
    c = C.get_constraint(name)
    ok = np.isfinite(c.coupling)
    return float(np.exp(np.interp(np.log(m), np.log(c.mass_GeV[ok]), np.log(c.coupling[ok]))))


def _minimum(name):
    c = C.get_constraint(name)
    i = np.nanargmin(c.coupling)
    return float(c.mass_GeV[i]), float(c.coupling[i])


# --- each shipped curve against two numbers read from its source --------------------------------


def test_babar2016_4mu():
    """BaBar arXiv:1606.03501: g' 'as low as 7e-4' (abstract, one significant digit, so 5%); the
    DarkCast digitisation's minimum is 6.74e-4 at 0.227 GeV (read from DarkCast's file, to the
    3 digits it prints)."""
    m, g = _minimum("babar2016-4mu")
    assert g == pytest.approx(7e-4, rel=0.05)
    assert g == pytest.approx(6.74e-4, rel=1e-3) and m == pytest.approx(0.2266, rel=1e-3)
    # the 'no limit' markers of DarkCast (1e5) are gaps, never drawn as a coupling
    assert np.nanmax(C.get_constraint("babar2016-4mu").coupling) < 1.0
    assert np.isnan(C.get_constraint("babar2016-4mu").coupling).sum() == 3


def test_darkcast_e141_e774_na64e():
    """DarkCast's digitisations (limits/E141_Riordan1987aw.lmt, E774_Bross1989mp.lmt,
    NA64_NA642019imj.lmt), eps times e = 0.302822: E141's first row (1.03 MeV: 1.2014e-5 to
    1.8673e-2), E774's row at 2.49 MeV (1.4525e-4, its upper edge 8.4165e-3), NA64-e's limit
    9.1937e-5 at 30.0 MeV (the files' digits; a row of each file, so exact to 1e-4)."""
    e = 0.302822
    c = C.get_constraint("darkcast-e141")
    assert c.mass_GeV[0] == pytest.approx(1.03e-3) and c.coupling[0] == pytest.approx(1.2014e-5 * e, rel=1e-4)
    assert np.max(c.coupling) == pytest.approx(1.8673e-2 * e, rel=1e-4)
    c = C.get_constraint("darkcast-e774")
    assert np.any(np.isclose(c.coupling, 1.4525e-4 * e, rtol=1e-4))
    assert np.any(np.isclose(c.coupling, 8.4165e-3 * e, rtol=1e-4))
    assert _at("darkcast-na64e-2019", 3.0028e-2) == pytest.approx(9.1937e-5 * e, rel=1e-4)


def test_ccfr_trident():
    """The computed CCFR curve of the SNforMuTau repository: 7.2e-4 at 1 MeV and 1.09e-3 at
    100 MeV (its file, to the digits quoted; the grid has points at both masses)."""
    assert _at("ccfr-trident", 1e-3) == pytest.approx(7.206e-4, rel=1e-3)
    assert _at("ccfr-trident", 0.1) == pytest.approx(1.088e-3, rel=1e-3)


def test_neff_lines_in_GeV():
    """The N_eff lines are given on an integer MeV grid (SNforMuTau's Neff32.csv / Neff35.csv):
    2.47e-6 at 10 MeV (N_eff = 3.2) and 4.90e-4 at 10 MeV (3.5); masses are converted to GeV."""
    assert _at("neff-3p2", 0.010) == pytest.approx(2.4699e-6, rel=1e-4)
    assert _at("neff-3p5", 0.010) == pytest.approx(4.8975e-4, rel=1e-4)
    assert C.get_constraint("neff-3p2").mass_GeV.max() == pytest.approx(0.1)


def test_babar2020_leptophilic():
    """BaBar arXiv:2005.01885 as digitised by tauALP: xi = 0.559 at 0.1 GeV and the minimum
    xi = 0.1856 at 0.212 GeV (read from the digitiser's file), times m_mu / v."""
    k = leptophilic_xi(1.0)
    assert _at("babar2020-leptophilic", 0.1) == pytest.approx(0.5589 * k, rel=2e-3)  # interpolated
    m, g = _minimum("babar2020-leptophilic")
    assert m == pytest.approx(0.21223, rel=1e-4) and g == pytest.approx(0.18562 * k, rel=1e-4)
    # the vetoed J/psi window (markers near 100 in the file) is a gap
    c = C.get_constraint("babar2020-leptophilic")
    assert np.all(np.isnan(c.coupling[(c.mass_GeV > 3.03) & (c.mass_GeV < 3.12)]))


def test_belle2024_leptophilic():
    """Belle PRD 109 (2024) 032002 as digitised by tauALP (points sorted by mass here): the
    minimum xi = 0.2931 at 0.1588 GeV, and xi = 0.506 at 1 GeV (the digitiser's file)."""
    k = leptophilic_xi(1.0)
    c = C.get_constraint("belle2024-leptophilic")
    assert np.all(np.diff(c.mass_GeV) >= 0)
    m, g = _minimum("belle2024-leptophilic")
    assert m == pytest.approx(0.15881, rel=1e-4) and g == pytest.approx(0.29305 * k, rel=1e-4)
    assert _at("belle2024-leptophilic", 1.0) == pytest.approx(0.506 * k, rel=0.01)  # interpolated


def test_cpz2017_regions():
    """The regions of Chen, Pospelov, Zhong Fig. 4 (vertices of its vector PDF): BaBar from
    (0.308 GeV, 2.53e-3) to (0.879 GeV, 3.37e-3); E137 closes at 2 m_mu between 3.16e-6 and
    6.28e-5; Orsay's lowest coupling 4.18e-5 near 1.7 MeV."""
    b = C.get_constraint("cpz2017-babar")
    pts = set(zip(np.round(b.mass_GeV, 6), np.round(b.coupling, 8)))
    assert (0.308457, 0.00252919) in pts and (0.879036, 0.00336875) in pts
    e = C.get_constraint("cpz2017-e137")
    at_2mmu = e.coupling[np.isclose(e.mass_GeV, 0.211004)]
    assert sorted(at_2mmu) == pytest.approx([3.16334e-6, 6.27814e-5])
    m, g = _minimum("cpz2017-orsay")
    assert g == pytest.approx(4.177e-5, rel=1e-3) and 1.6e-3 < m < 1.9e-3


# --- conversions -------------------------------------------------------------------------------


def test_higgs_vev():
    """v = (sqrt 2 G_F)^-1/2 = 246.22 GeV (PDG 2024, Electroweak review)."""
    assert higgs_vev() == pytest.approx(246.22, abs=0.01)


def test_leptophilic_xi_conversion():
    """g_l = xi m_l / v: g_mu = xi x 0.1056584 / 246.22 = 4.2912e-4 xi (m_mu from the PDG)."""
    assert leptophilic_xi(1.0) == pytest.approx(0.1056584 / 246.2197, rel=1e-5)
    assert leptophilic_xi(np.array([0.5, 2.0])) == pytest.approx([2.1456e-4, 8.5825e-4], rel=1e-4)
    assert identity([1e-3, 2e-3]) == pytest.approx([1e-3, 2e-3])
    # the shipped BaBar 2020 curve went through it: the file's first xi, 1.4624, at 41.7 MeV
    c = C.get_constraint("babar2020-leptophilic")
    assert c.coupling[0] == pytest.approx(1.46241765 * 4.29118e-4, rel=1e-4)


# --- which models each constraint fits --------------------------------------------------------

#: The expected match of every shipped constraint against every preset model.
EXPECTED = {
    "babar2016-4mu": {"lmu-ltau"},
    "ccfr-trident": {"lmu-ltau", "lmu-ltau-dm"},
    "neff-3p2": {"lmu-ltau"},
    "neff-3p5": {"lmu-ltau"},
    "babar2020-leptophilic": {"A"},
    "belle2024-leptophilic": {"A"},
    "cpz2017-babar": {"B"},
    "cpz2017-e137": {"A"},
    "cpz2017-orsay": {"A"},
    "darkcast-e137-bjorken2009": {"dark-photon"},
    "darkcast-e137-andreas2012": {"dark-photon"},
    "darkcast-orsay": {"dark-photon"},
    "darkcast-e141": {"dark-photon"},
    "darkcast-e774": {"dark-photon"},
    # an invisible dark photon's limit: it "fits" the visible dark photon's couplings, and is
    # therefore not drawn by default (no shipped model decays invisibly with these couplings)
    "darkcast-na64e-2019": {"dark-photon"},
}


def test_constraints_fit_only_their_models():
    assert set(EXPECTED) == set(C.catalogue()) and set(C.names()) == set(EXPECTED) | {"e137", "orsay", "na64e"}
    for name, fits in EXPECTED.items():
        c = C.get_constraint(name)
        got = {m for m in presets() if c.applies_to(m)}
        assert got == fits, name


def test_no_lmu_ltau_curve_on_a_scalar_plot():
    for model in ("A", "B", "muonphilic-vector", "muonphilic-ps", "muonphilic-dm"):
        drawn, _ = C.select("default", model)
        assert not any(c.kind == "vector" and c.couplings.get("tau") == -1.0 for c in drawn if c.couplings != "mass-proportional")
    assert {c.name for c in C.select("default", "B")[0]} == {"cpz2017-babar"}
    assert {c.name for c in C.select("default", "A")[0]} == {"babar2020-leptophilic", "belle2024-leptophilic", "e137",
                                                            "orsay"}
    assert {c.name for c in C.select("default", "muonphilic-vector")[0]} == set()
    # the dark photon gets its benchmark curves and the computed E137 and Orsay
    assert {c.name for c in C.select("default", "dark-photon")[0]} == {
        "darkcast-e137-bjorken2009", "darkcast-e137-andreas2012", "darkcast-orsay", "darkcast-e141", "darkcast-e774",
        "e137", "orsay"}


def test_user_model_with_the_same_couplings_fits(tmp_path):
    """A user's L_mu - L_tau file gets the L_mu - L_tau constraints; the same with a coupling to
    electrons does not."""
    base = ('name = "my-zprime"\ndescription = "mine"\nkind = "vector"\n'
            '[couplings]\nmu = 1.0\ntau = -1.0\nnu_mu = 1.0\nnu_tau = -1.0\n')
    p = tmp_path / "z.toml"
    p.write_text(base)
    assert C.get_constraint("babar2016-4mu").applies_to(get_model(p))
    q = tmp_path / "z2.toml"
    q.write_text(base + "e = 0.5\n")
    why = C.get_constraint("babar2016-4mu").why_not(get_model(q))
    assert why and "g_e" in why


# --- selection and bad input --------------------------------------------------------------------


def test_select_by_name_and_none():
    assert C.select("none", "A") == ([], [])
    got, _ = C.select(["cpz2017-e137", "default"], "A")
    assert got[0].name == "cpz2017-e137" and len(got) == len({c.name for c in got}) == 5
    assert [c.name for c in C.select("cpz2017-orsay,cpz2017-e137", "A")[0]] == ["cpz2017-orsay", "cpz2017-e137"]


def test_unknown_constraint_lists_the_available():
    with pytest.raises(UnknownNameError, match="available babar2016-4mu, ccfr-trident"):
        C.select("babar2099", "A")


def test_computed_constraint_for_a_model_without_electron_coupling_is_refused():
    with pytest.raises(ConfigError, match="constraint e137 does not apply to model B: the model has no coupling to "
                                          "electrons: an electron beam makes nothing"):
        C.select("e137", "B")
    with pytest.raises(ConfigError, match="one model at a time"):
        C.select("orsay", ["A", "B"])


def test_named_constraint_for_another_model_is_refused():
    with pytest.raises(ConfigError, match="constraint babar2016-4mu does not apply to model A: it is for a vector"):
        C.select("babar2016-4mu", "A")
    with pytest.raises(ConfigError, match="'none' cannot be combined"):
        C.select("none,default", "A")


def test_default_that_fits_only_some_models_is_a_note():
    drawn, notes = C.select("default", ["A", "B"])
    assert drawn == []
    assert any(n.startswith("constraint babar2020-leptophilic not drawn: it does not apply to model B") for n in notes)


def test_bibtex_of_the_drawn():
    drawn = [c for c in C.select("default", "lmu-ltau")[0] if not c.computed]
    text = C.bibtex(C.bibtex_keys(drawn))
    assert text.count("@") == len(set(C.bibtex_keys(drawn))) == 5
    assert "@article{TheBABAR:2016rlg," in text and "1606.03501" in text
    with pytest.raises(UnknownNameError):
        C.bibtex(["nope"])
    # every key the catalogue names has an entry
    C.bibtex(C.bibtex_keys(C.catalogue().values()))


def test_payload_lists_citations():
    drawn, _ = C.select("default", "B")
    (d,) = C.payload(drawn)
    assert d["name"] == "cpz2017-babar" and "1701.07437" in d["citation"] and d["bibtex"] == ["Chen:2017awl",
                                                                                              "TheBABAR:2016rlg"]
    assert d["computed"] is False and d["confidence_level"] == 0.9


def test_shipped_arrays_are_read_only():
    c = C.get_constraint("ccfr-trident")
    with pytest.raises(ValueError):
        c.coupling[0] = 1.0


@pytest.mark.parametrize("text, needle", [("$\\frac{a$", "not valid matplotlib mathtext"),
                                          ("$\\nosuchsymbol$", "not valid matplotlib mathtext")])
def test_check_mathtext(text, needle):
    with pytest.raises(ConfigError, match=needle) as ex:
        check_mathtext("label", text)
    assert str(ex.value).startswith("label = ")
    assert check_mathtext("label", "BaBar $4\\mu$ and 5\\$") == "BaBar $4\\mu$ and 5\\$"
    # an odd number of '$' is drawn as plain text by matplotlib: nothing to refuse
    assert check_mathtext("label", "$\\mu") == "$\\mu"
