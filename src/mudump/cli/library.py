"""``mudump library``: dark-bremsstrahlung vertex libraries for Geant4 (G4DarkBreM) and their
total cross-section table."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from ._common import app, JsonOpt, ModelOpt, MassOpt, emit, fmt, progress_bar, check_out_path, writing


@app.command()
def library(
    model: ModelOpt,
    mass: MassOpt,
    element: Annotated[str, typer.Option("--element", help="Target element symbol (W, Pb, Cu, ...): one library per element.")],
    n: Annotated[int, typer.Option("-n", "--n-vertices", min=1, max=10_000_000, help="Vertices per incident energy.")],
    output: Annotated[str, typer.Option("--output", help="Library file: .csv or .csv.gz (G4DarkBreM's CSV layout, MeV).")],
    beam_energy: Annotated[Optional[float], typer.Option("--beam-energy", help="Highest incident energy in GeV: the grid runs log-spaced from 1.2 (m_X + m_lepton) to it.")] = None,
    n_energies: Annotated[int, typer.Option("--n-energies", min=1, max=1000, help="Energies of the log-spaced grid.")] = 20,
    energy: Annotated[Optional[list[float]], typer.Option("--energy", help="An incident energy in GeV (repeatable; instead of the grid).")] = None,
    lepton: Annotated[str, typer.Option("--lepton", help="Beam lepton: mu (default) or e.")] = "mu",
    table: Annotated[Optional[str], typer.Option("--table", help="Also write the total cross section per atom at each energy (pb, cm^2) to this .csv file.")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", min=0, max=2**63 - 1, help="Random seed (default: a random one, printed).")] = None,
    as_json: JsonOpt = False,
):
    """Unweighted dark-bremsstrahlung vertices l N -> l N X at a grid of incident energies, from
    the exact tree-level cross section, as a G4DarkBreM library (docs/geant4.md)."""
    from ..constants import LEPTONS
    from ..errors import MudumpError
    from ..events import library as lib
    from ..models import get_model

    mdl = get_model(model)
    if lepton not in ("mu", "e"):
        raise MudumpError(f"--lepton = {lepton!r} is unknown: allowed mu, e")
    check_out_path(output, "--output", lib.LIBRARY_SUFFIXES)
    check_out_path(table, "--table", lib.TABLE_SUFFIXES)
    lib.element_nucleus(element)
    if energy:
        if beam_energy is not None:
            raise MudumpError("--energy and --beam-energy exclude each other: give the energies or the grid's top")
        energies = list(energy)
    elif beam_energy is None:
        raise MudumpError("--beam-energy (the top of the energy grid, GeV) or --energy is needed")
    else:
        from .._checks import check_range

        check_range("--beam-energy", beam_energy, 0.0, lib.E_MAX_GEV, lo_open=True, unit="GeV")
        energies = lib.energy_grid(mass, LEPTONS[lepton], beam_energy, n_energies)
    energies = lib.check_energies(energies, mass, LEPTONS[lepton])
    with progress_bar() as bar:
        task = bar.add_task(f"library {mdl.label}, m_X = {mass:g} GeV on {element}", total=n * len(energies))
        with writing("--output", output):
            summary = lib.write_library(output, mdl, mass, element, energies, n, lepton=lepton, seed=seed, table=table,
                                        progress=lambda i, tot: bar.update(task, completed=i))
    xs = lib.cross_section_table(mdl.kind, mass, element, energies, lepton)
    for row, s_pb in zip(summary["energies"], xs["sigma_pb"]):
        row["sigma_pb"] = float(s_pb)
    t = Table(title=f"G4DarkBreM library: {mdl.label} ({mdl.kind}), m_X = {mass:g} GeV, {lepton} on {summary['element']} "
                    f"(Z = {summary['Z']}), {n} vertices per energy")
    for h in ("E (GeV)", "sigma (pb)", "sigma MC (pb)", "efficiency", "overweight"):
        t.add_column(h, justify="right")
    for row in summary["energies"]:
        t.add_row(fmt(row["energy_GeV"]), fmt(row["sigma_pb"]), fmt(row["sigma_mc_pb"]), f"{row['efficiency']:.3f}",
                  f"{row['overweight_fraction']:.1e}")
    t.caption = (f"written to {output}" + (f", cross sections to {table}" if table else "") + f"; seed {summary['seed']}"
                 "; sigma per atom at unit coupling to the lepton (exact tree level), sigma MC the library's own estimate")
    emit(summary, as_json, t)
