"""Electron beams as a first-class beam of the reach pipeline: the schema (electrons_on_target,
the acceptance cone, provenance), the default method per beam, the presets of the electron beam
dumps against the dark-photon limits they are calibrated on (DarkCast's digitisations, shipped
as constraints; docs/constraints.md gives every factor allowed here), and the doors."""

import numpy as np
import pytest

from mudump import constraints as C
from mudump.errors import ConfigError
from mudump.experiments import load_experiment, parse_experiment, preset_names
from mudump.reach import reach, reach_set

from .helpers import outline_crossings

ELECTRON_PRESETS = ("e137", "e141", "e774", "na64e", "orsay")
GRID = np.geomspace(1e-9, 1.0, 181)

#: A dark photon that decays to dark matter (alpha_D = 0.5, m_chi = m/3): invisible for every
#: eps of interest, the model of NA64-e's invisible limit.
DARK_PHOTON_INVISIBLE = """name = "dark-photon-invisible"
description = "dark photon decaying to dark matter"
reference = "Holdom 1986; dark sector of Izaguirre, Krnjaic, Schuster, Toro, arXiv:1505.00011"
kind = "vector"
coupling_label = "e\\\\epsilon"
[couplings]
e = 1.0
mu = 1.0
tau = 1.0
[dark_sector]
chi_mass_ratio = 0.3333333333333333
alpha_D = 0.5
"""


def _edges(name, m):
    """(lowest, highest) coupling of a shipped constraint at mass m: crossings of a region's
    outline, or (limit, nan) for a limit curve."""
    c = C.get_constraint(name)
    if c.shape == "limit":
        return float(np.exp(np.interp(np.log(m), np.log(c.mass_GeV), np.log(c.coupling)))), np.nan
    return outline_crossings(c.mass_GeV, c.coupling, m)


def test_presets_are_electron_beams_with_every_number_said():
    """Each electron preset: leptons on target = electrons on target, the legend says "e", and
    every number the file sets (beam, target, downstream, signature, statistics) has a
    provenance entry (cited, calibrated or assumed)."""
    assert set(ELECTRON_PRESETS) <= set(preset_names())
    for name in ELECTRON_PRESETS:
        e = load_experiment(name)
        assert e.beam.lepton == "e" and e.beam.muons_on_target is None
        assert e.beam.leptons_on_target == e.beam.electrons_on_target
        assert e.legend.endswith(" e") and "\\mu" not in e.legend
        for part in ("beam", "target", "downstream", "signature", "statistics"):
            sub = getattr(e, part)
            for field in sub.model_fields_set:
                if isinstance(getattr(sub, field), (int, float)) and not isinstance(getattr(sub, field), bool):
                    if (part, field) in {("statistics", "background")}:  # zero: the limit's own convention
                        continue
                    assert f"{part}.{field}" in e.provenance, (name, part, field)
    assert load_experiment("na64mu").legend.endswith("$\\mu$")


def test_schema_counts_and_cone():
    base = {"name": "x", "beam": {"lepton": "e", "energy_GeV": 10.0, "electrons_on_target": 1e15},
            "target": {"material": "W", "length_m": 0.05}, "downstream": {"length_m": 1.0},
            "signature": {"kind": "displaced-decay", "theta_max_rad": 0.01}}
    e = parse_experiment(base)
    assert e.beam.count_field == "electrons_on_target" and e.signature.theta_max_rad == 0.01
    # an electron beam just above the electron mass is a beam; a muon beam there is not
    low = {**base, "beam": {"lepton": "e", "energy_GeV": 0.01, "electrons_on_target": 1.0}}
    assert parse_experiment(low).beam.energy_GeV == 0.01
    with pytest.raises(ConfigError, match="need beam.energy_GeV > 0.105658"):
        parse_experiment({**base, "beam": {"energy_GeV": 0.01, "muons_on_target": 1.0},
                          "signature": {"kind": "displaced-decay"}})
    with pytest.raises(ConfigError, match="beam.electrons_on_target is required"):
        parse_experiment({**base, "beam": {"lepton": "e", "energy_GeV": 10.0}})


def test_default_method_comes_from_the_beam():
    """reach and reach_set without a method: ww for an electron beam, etl for a muon beam; an
    explicit etl or iww for the electron beam is refused."""
    r = reach("orsay", "A", masses=[0.01], couplings=GRID)
    assert r.method == "ww"
    d = r.to_dict()
    assert d["electrons_on_target"] == 4.6e17 and "muons_on_target" not in d
    rs = reach_set(["orsay", "na64mu"], "A", masses=[0.01], couplings=np.geomspace(1e-6, 1e-2, 5))
    assert [x.method for x in rs.results] == ["ww", "etl"]
    for m in ("etl", "iww"):
        with pytest.raises(ConfigError, match=f"method = '{m}' is not available for an electron beam"):
            reach("orsay", "A", masses=[0.01], couplings=GRID, method=m)


@pytest.mark.parametrize("preset, benchmark, masses, lo_factor, hi_factor", [
    # calibrated (docs/constraints.md): lower edge flatter in mass than the benchmark's (1.9 at
    # 1.5 MeV to 0.53 at 15 MeV), upper edge within 11% at 1.5-10 MeV, 26% at 15 MeV
    ("e141", "darkcast-e141", (0.0015, 0.003, 0.006, 0.01, 0.015), 2.0, 1.3),
    # lower edge 2.3 at 1.5 MeV to 0.52 at 9 MeV; upper edge within 22% at 1.5-7 MeV, 44% at 9 MeV
    ("e774", "darkcast-e774", (0.0015, 0.003, 0.005, 0.007, 0.009), 2.4, 1.5),
])
def test_visible_dark_photon_benchmarks(preset, benchmark, masses, lo_factor, hi_factor):
    r = reach(preset, "dark-photon", masses=list(masses), couplings=GRID, refine_thresholds=False)
    for m, iv in zip(masses, r.intervals):
        lo, hi = iv[0][0], iv[-1][1]
        ref_lo, ref_hi = _edges(benchmark, m)
        assert 1 / lo_factor < lo / ref_lo < lo_factor, (m, lo / ref_lo)
        assert 1 / hi_factor < hi / ref_hi < hi_factor, (m, hi / ref_hi)


def test_na64e_invisible_dark_photon_benchmark(tmp_path):
    """NA64-e's invisible dark-photon limit (DarkCast's digitisation of arXiv:1906.00176,
    Fig. 3), the E_X cut calibrated on it: 1.3 times above it at 1 MeV to 0.72 at 100 MeV (allowed:
    1.4 either way); the excluded interval reaches the top of the grid (invisible: no upper edge)."""
    model = tmp_path / "dpi.toml"
    model.write_text(DARK_PHOTON_INVISIBLE)
    masses = [0.001, 0.003, 0.01, 0.03, 0.1]
    r = reach("na64e", str(model), masses=masses, couplings=GRID, refine_thresholds=False)
    for m, iv in zip(masses, r.intervals):
        ratio = iv[0][0] / _edges("darkcast-na64e-2019", m)[0]
        assert 1 / 1.4 < ratio < 1.4, (m, ratio)
        assert iv[-1][1] == GRID[-1]


def test_na64e_is_drawn_when_named():
    """The computed NA64-e region is not a default constraint; named, it is drawn for a model
    that couples to electrons."""
    default = {c.name for c in C.select("default", "A")[0]}
    assert {"e137", "orsay"} <= default and "na64e" not in default
    named = C.select(["na64e"], "lmu-ltau")[0]
    assert named[0].computed and named[0].mass_GeV.size > 2


def test_a_dump_plotted_is_not_drawn_again_as_its_constraint():
    """Plotting the E137 preset itself: its computed region is the plot's own contour, so the
    default constraints leave it out (with a note) and keep Orsay; an edited E137 is another
    experiment, and the published region is drawn beside it."""
    e137 = load_experiment("e137")
    chosen, notes = C.select("default", "A", [e137])
    names = {c.name for c in chosen}
    assert "e137" not in names and "orsay" in names
    assert any("e137 not drawn" in n for n in notes)
    edited = e137.model_copy(update={"name": "e137-edited"})
    assert "e137" in {c.name for c in C.select("default", "A", [edited])[0]}


def test_electron_table_cache_key_has_the_target_length():
    """Unlike a muon depth table, the electron table depends on the target length (the track
    length and the depth): two lengths, two tables; the same inputs, the same (cached) one."""
    from mudump.production.electron_beam import electron_table

    a = electron_table(0.01, "W", 1.2, 0.035, 0.75, 0.0, "vector")
    b = electron_table(0.01, "W", 1.2, 0.0035, 0.75, 0.0, "vector")
    assert b.total < a.total and b.z.max() <= 0.0035
    assert electron_table(0.01, "W", 1.2, 0.035, 0.75, 0.0, "vector") is a


def test_design_scan_of_an_electron_experiment_is_the_reach():
    """mudump.design.reach_many falls back to the plain reach for an electron beam: the same
    intervals."""
    from mudump.design import reach_many

    masses = [0.003, 0.03]
    got = reach_many(["orsay"], "A", masses, GRID, "ww")[0]
    want = reach("orsay", "A", masses=masses, couplings=GRID, refine_thresholds=False).intervals
    assert got == want


def test_scan_over_an_electron_experiment():
    """A design scan of an electron preset (the target length: a thinner target makes fewer X,
    so its best coupling is higher) runs, with the beam's method (ww) by default, and each row's
    contour is the plain reach of that design point."""
    from mudump import scan as S

    plan = S.plan_scan("orsay", {"target.length_m": [0.0035, 0.035]}, ["A"], masses=[0.003, 0.01, 0.03],
                       couplings=GRID)
    assert plan.method == "ww"
    rows = S.run_scan(plan, S.serial_executor())
    assert [r["error"] for r in rows] == [None, None] and {r["method"] for r in rows} == {"ww"}
    thin, thick = sorted(rows, key=lambda r: r["target.length_m"])
    assert thin["best_g_mu"] > thick["best_g_mu"]
    exp = plan.points[1][1]
    want = reach(exp, "A", masses=plan.masses, couplings=plan.couplings, refine_thresholds=False)
    assert thick["best_g_mu"] == pytest.approx(min(iv[0][0] for iv in want.intervals if iv), rel=1e-9)


@pytest.mark.parametrize("preset, model, m, couplings", [
    ("e137", "dark-photon", 0.003, np.geomspace(1e-8, 1e-4, 9)),
    ("e137", "A", 0.1, np.geomspace(1e-6, 1e-2, 9)),
    ("orsay", "A", 0.05, np.geomspace(1e-5, 1e-2, 9)),  # the acceptance cone
    ("na64e", "A", 0.01, np.geomspace(1e-6, 1e-2, 9)),  # missing energy
    ("e774", "dark-photon", 0.005, np.geomspace(1e-6, 1e-2, 9)),
])
def test_electron_table_rules_are_converged(monkeypatch, preset, model, m, couplings):
    """The electron table's quadrature (mudump.production.electron_beam: E_PANELS, X_PANELS)
    against a rule 4 times finer in the electron energy and in x: the events where they are
    above 1e-3 agree to 0.5% (measured: under 0.3%; an event count 0.5% off moves a limit edge
    by about 0.1% in coupling, as N goes as g^2 to g^4)."""
    import mudump.production.electron_beam as EB
    from mudump.models import get_model
    from mudump.signal import Yield, geometry

    e, mdl = load_experiment(preset), get_model(model)

    def events():
        t = EB.compute_electron_table(m, e.target.material, e.beam.energy_GeV, e.target.length_m,
                                      e.signature.e_cut_GeV, 0.0, mdl.kind, "tsai", e.signature.theta_max_rad)
        return Yield(t, mdl, **geometry(e))(couplings)

    coarse = events()
    monkeypatch.setattr(EB, "E_PANELS", 4 * EB.E_PANELS)
    monkeypatch.setattr(EB, "X_PANELS", tuple(4 * p for p in EB.X_PANELS))
    fine = events()
    ok = fine > 1e-3
    assert ok.sum() >= 3
    assert coarse[ok] == pytest.approx(fine[ok], rel=5e-3)


def test_cli_reach_of_an_electron_preset(tmp_path, capsys):
    """`mudump reach orsay --model A --json --plot`: the beam's method, the electrons on target
    in the JSON, the plot written (its legend is the experiment's: "... e")."""
    import json

    from mudump.cli import main

    png = tmp_path / "orsay.png"
    try:
        main(["reach", "orsay", "--model", "A", "--n-masses", "3", "--n-couplings", "40", "--constraints", "none",
              "--json", "--plot", str(png)])
    except SystemExit as exc:
        assert exc.code in (0, None)
    res = json.loads(capsys.readouterr().out)  # one experiment: its result object
    assert res["method"] == "ww" and res["electrons_on_target"] == 4.6e17
    assert png.stat().st_size > 0
    assert load_experiment("orsay").legend == "Orsay, $4.6\\times10^{17}$ e"


def test_theory_band_of_an_electron_beam():
    """The band of an electron beam spans what it has: ww with the other form factor (helm),
    also with an acceptance cone. The two form factors change Orsay's production by 0.2% at
    10 MeV (measured), an edge (N ~ g^4 there) by about 0.05%: allowed 1%."""
    rs = reach_set(["orsay"], "A", masses=[0.01], couplings=GRID, band=True)
    (variant,) = rs.bands[0]
    assert (variant.method, variant.form_factor) == ("ww", "helm")
    lo, lo_helm = rs.results[0].intervals[0][0][0], variant.intervals[0][0][0]
    assert lo_helm == pytest.approx(lo, rel=0.01)
