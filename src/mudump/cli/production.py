"""``mudump xsec``, ``mudump ratio`` and ``mudump material``: production cross sections, how far
the approximations are from exact tree level, and muon energy loss."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from ..errors import MudumpError
from ._common import FormFactor, Kind, Method, Versus, app, JsonOpt, DpiOpt, emit, fmt, columns_table, check_out_path, save_plot, plot_formats


@app.command()
def xsec(
    material: Annotated[str, typer.Option("--material", help="Target material (preset or element symbol).")],
    energy: Annotated[float, typer.Option("--energy", help="Muon total energy in GeV.")],
    mass: Annotated[float, typer.Option("--mass", help="S mass in GeV.")],
    method: Annotated[Method, typer.Option("--method", help="Production method (etl: exact tree level, the default; iww for comparison only).")] = Method.etl,
    form_factor: Annotated[FormFactor, typer.Option("--form-factor", help="Nuclear form factor.")] = FormFactor.tsai,
    kind: Annotated[Kind, typer.Option("--kind", help="Kind of mediator.")] = Kind.scalar,
    coupling: Annotated[float, typer.Option("--coupling", help="Muon coupling g_mu.")] = 1.0,
    x: Annotated[Optional[list[float]], typer.Option("--x", help="x = E_S/E values (repeatable).")] = None,
    as_json: JsonOpt = False,
):
    """dsigma/dx and the total cross section of mu N -> mu N S (per atom, in cm^2)."""
    import numpy as np

    from .. import production
    from ..constants import M2_TO_CM2, M_MU
    from ..materials import get_material

    from .._checks import check_range
    from ..models import COUPLING_MAX, MASS_RANGE_GEV

    mat = get_material(material)
    method = production.check_method(method.value)
    form_factor = form_factor.value
    check_range("mass_GeV", mass, *MASS_RANGE_GEV, unit="GeV")  # the models' validity range
    check_range("coupling", coupling, 0.0, COUPLING_MAX)
    if x:
        xs = np.array(x, dtype=float)
    else:
        from ..production.kinematics import x_range

        lo, hi = x_range(energy, mass, M_MU)
        xs = np.linspace(float(lo), float(hi), 12)[1:-1] if hi > lo else np.array([])
    kind = production.check_kind(kind.value)
    d = production.dsigma_dx(energy, xs, mass, mat, method=method, g=coupling, form_factor=form_factor, kind=kind) * M2_TO_CM2
    s = float(production.sigma(energy, mass, mat, method=method, g=coupling, form_factor=form_factor, kind=kind)) * M2_TO_CM2
    payload = {
        "material": mat.name,
        "energy_GeV": energy,
        "mass_GeV": mass,
        "coupling": coupling,
        "method": method,
        "form_factor": form_factor,
        "kind": kind,
        "x": xs,
        "dsigma_dx_cm2": d,
        "sigma_cm2": s,
    }
    t = columns_table(
        f"mu {mat.name} -> mu {mat.name} S, E = {energy:g} GeV, m_S = {mass:g} GeV, g = {coupling:g}, method {method}",
        ("x = E_S/E", "dsigma/dx [cm^2/atom]"), xs, d, f"sigma = {s:.4g} cm^2 per atom ({production.METHODS[method]})",
    )
    emit(payload, as_json, t)


@app.command("material")
def material_cmd(
    name: Annotated[str, typer.Argument(help="Material: preset (W, Pb, Fe, Cu, Al, concrete, water) or element symbol.")],
    energy: Annotated[float, typer.Option("--energy", help="Muon total energy in GeV.")],
    as_json: JsonOpt = False,
):
    """Density, radiation length, muon stopping power and CSDA range (PUMAS via mulder)."""
    from ..materials import energy_loss, get_material

    mat = get_material(name)
    el = energy_loss(mat)
    dedz = float(el.dEdz(energy))
    payload = {
        "material": mat.name,
        "energy_GeV": energy,
        "density_g_cm3": mat.density / 1e3,
        "radiation_length_m": mat.radiation_length,
        "dEdx_MeV_cm2_per_g": float(el.dEdx_mass(energy)),
        "dEdz_GeV_per_m": dedz,
        "csda_range_m": float(el.csda_range(energy)),
    }
    t = Table(title=f"muon in {mat.name}, E = {energy:g} GeV (total)")
    t.add_column("quantity")
    t.add_column("value", justify="right")
    for k, v in payload.items():
        if k not in ("material", "energy_GeV"):
            t.add_row(k, fmt(v))
    emit(payload, as_json, t)


@app.command()
def ratio(
    material: Annotated[str, typer.Option("--material", help="Target material (preset or element symbol).")],
    energy: Annotated[float, typer.Option("--energy", help="Muon total energy in GeV.")],
    versus: Annotated[Versus, typer.Option("--versus", help="The approximation in the denominator.")] = Versus.iww,
    kind: Annotated[Kind, typer.Option("--kind", help="Kind of mediator.")] = Kind.scalar,
    mass_min: Annotated[float, typer.Option("--mass-min", help="Lowest mass, GeV.")] = 1e-3,
    mass_max: Annotated[float, typer.Option("--mass-max", help="Highest mass, GeV.")] = 1.0,
    n_masses: Annotated[int, typer.Option("--n-masses", min=2, max=400, help="Masses (log-spaced).")] = 40,
    n_x: Annotated[int, typer.Option("--n-x", min=2, max=1000, help="x = E_S/E values.")] = 60,
    plot: Annotated[Optional[str], typer.Option("--plot", help="Write the map (png, pdf, svg).")] = None,
    dpi: DpiOpt = 300,
    as_json: JsonOpt = False,
):
    """ETL / IWW (or ETL / WW) over (m_S, x): how far the approximations are from exact tree level."""
    import numpy as np

    from .. import production
    from .._checks import check_range
    from ..constants import M_MU
    from ..materials import get_material
    from ..production import METHOD_NAMES

    mat = get_material(material)
    den = production.check_method(versus.value)
    if plot:
        check_out_path(plot, "--plot", plot_formats())
    from ..constants import E_MAX_GEV
    from ..models import MASS_RANGE_GEV

    check_range("energy_GeV", energy, M_MU, E_MAX_GEV, lo_open=True, unit="GeV")
    top = min(MASS_RANGE_GEV[1], energy - M_MU)  # the models' validity range, and what the energy can make
    check_range("mass_min_GeV", mass_min, MASS_RANGE_GEV[0], top, unit="GeV")
    if mass_min >= top:
        raise MudumpError(f"mass_min_GeV = {mass_min:g} leaves no mass range: it must be below {top:g} GeV "
                          "(the highest mass) for a map")
    check_range("mass_max_GeV", mass_max, mass_min, top, lo_open=True, unit="GeV")
    masses = np.geomspace(mass_min, mass_max, n_masses)
    x = np.linspace(0.0, 1.0, n_x + 2)[1:-1]
    kind = production.check_kind(kind.value)
    num = production.dsigma_dx(energy, x[None, :], masses[:, None], mat, method="etl", kind=kind)
    dnm = production.dsigma_dx(energy, x[None, :], masses[:, None], mat, method=den, kind=kind)
    r = np.where(dnm > 0, num / np.where(dnm > 0, dnm, 1.0), 0.0)
    inside = dnm > 0
    payload = {
        "material": mat.name, "energy_GeV": energy, "versus": den, "masses_GeV": masses, "x": x,
        "ratio": np.where(inside, r, 0.0), "inside": inside,
    }
    if plot:
        from .. import plotting

        save_plot(plotting.ratio_figure(masses, x, np.where(inside, r, np.nan), f"exact tree level / {METHOD_NAMES[den]}",
                                         f"$\\mu$ {mat.name} $\\to$ $\\mu$ {mat.name} $S$, $E_\\mu$ = {energy:g} GeV"), plot, dpi)
    t = Table(title=f"ETL / {den.upper()} in {mat.name} at E = {energy:g} GeV")
    t.add_column("m_S [GeV]", justify="right")
    for xv in (0.1, 0.3, 0.5, 0.7, 0.9):
        t.add_column(f"x = {xv:g}", justify="right")
    for m in masses[:: max(1, masses.size // 8)]:
        vals = production.dsigma_dx(energy, np.array([0.1, 0.3, 0.5, 0.7, 0.9]), m, mat, method="etl", kind=kind)
        dv = production.dsigma_dx(energy, np.array([0.1, 0.3, 0.5, 0.7, 0.9]), m, mat, method=den, kind=kind)
        t.add_row(f"{m:.3g}", *[(f"{a / b:.3f}" if b > 0 else "-") for a, b in zip(vals, dv)])
    if plot:
        t.caption = f"map written to {plot}"
    emit(payload, as_json, t)
