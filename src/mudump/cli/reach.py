"""``mudump reach`` and ``mudump spectrum``: the sensitivity of experiments and the energy
spectrum of their signal."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Optional

import typer
from rich.table import Table

from ._common import Acceptance, FormFactor, Method, app, out, JsonOpt, ExperimentArg, ModelOpt, MassOpt, CouplingOpt, DpiOpt, emit, columns_table, progress_bar, check_out_path, writing, save_plot, plot_formats, write_reach_output


@app.command()
def reach(
    experiments: Annotated[list[str], typer.Argument(help="Experiment presets (na64mu, fnal-mu) or paths to TOML files.")],
    model: ModelOpt,
    method: Annotated[Optional[list[Method]], typer.Option("--method", help="Production method (etl: exact tree level, the default for muon beams; ww, the default and only method for electron beams; iww: comparison only); once for all experiments, or once per experiment in their order.")] = None,
    preset: Annotated[Optional[str], typer.Option("--preset", help="Delta a_mu preset for the (g-2) band of the plot.")] = None,
    preset_e: Annotated[Optional[str], typer.Option("--preset-e", help="Delta a_e preset (cs2018 or rb2020, the default) for models that couple to electrons.")] = None,
    band: Annotated[bool, typer.Option("--band", help="Also scan the other theory choices (etl/ww x tsai/helm form factors) and shade their spread.")] = False,
    compare: Annotated[Optional[Method], typer.Option("--compare", help="Overlay another method's contour, dashed (e.g. iww).")] = None,
    form_factor: Annotated[FormFactor, typer.Option("--form-factor", help="Nuclear form factor.")] = FormFactor.tsai,
    overlay: Annotated[Optional[list[str]], typer.Option("--overlay", help="A constraint from another paper (TOML overlay file, see docs/overlays.md), drawn in grey; repeatable.")] = None,
    constraints: Annotated[Optional[list[str]], typer.Option("--constraints", help="Published constraints drawn in grey: default (those that fit the model), none, or names (see mudump cite --list); repeatable.")] = None,
    cite: Annotated[bool, typer.Option("--cite", help="Print the BibTeX of everything the plot uses (method, (g-2) preset, constraints) and exit.")] = False,
    acceptance: Annotated[Acceptance, typer.Option("--acceptance", help="none (default) or mc: fold in the event generator's geometric acceptance.")] = Acceptance.none,
    mc_events: Annotated[int, typer.Option("--mc-events", min=1000, max=10_000_000, help="Events per coupling for --acceptance mc.")] = 20_000,
    plot: Annotated[Optional[str], typer.Option("--plot", help="Write the reach plot (png, pdf, svg).")] = None,
    dpi: DpiOpt = 300,
    output: Annotated[Optional[str], typer.Option("--output", help="Write the excluded intervals (.csv or .json), or a HEPData submission (a directory ending in .hepdata, or .zip; with the (g-2) band of --preset).")] = None,
    mass_min: Annotated[float, typer.Option("--mass-min", help="Lowest mass, GeV.")] = 1e-3,
    mass_max: Annotated[float, typer.Option("--mass-max", help="Highest mass, GeV.")] = 1.0,
    n_masses: Annotated[int, typer.Option("--n-masses", min=2, max=2000, help="Masses (log-spaced).")] = 100,
    coupling_min: Annotated[float, typer.Option("--coupling-min", help="Lowest g_mu.")] = 1e-8,
    coupling_max: Annotated[float, typer.Option("--coupling-max", help="Highest g_mu.")] = 1.0,
    n_couplings: Annotated[int, typer.Option("--n-couplings", min=2, max=5000, help="Couplings (log-spaced).")] = 200,
    as_json: JsonOpt = False,
):
    """Projected sensitivity: excluded g_mu intervals per mass, optionally the plot."""
    from .. import g2 as g2mod
    from .. import reach as reachmod
    from ..experiments import load_experiment
    from ..models import get_model
    from ..overlays import load_overlay
    from ..production import METHOD_NAMES

    mdl = get_model(model)
    exps = [load_experiment(e) for e in experiments]
    overlays = [load_overlay(f) for f in (overlay or [])]
    skipped = [ov for ov in overlays if not ov.applies_to(mdl)]
    overlays = [ov for ov in overlays if ov.applies_to(mdl)]
    if skipped:
        import warnings

        from ..errors import MudumpWarning

        for ov in skipped:
            warnings.warn(f"overlay {ov.source_file}: it is for {', '.join(ov.models)}, not model {mdl.name}: not drawn",
                          MudumpWarning, stacklevel=1)
    from .. import hepdata

    to_hepdata = output is not None and hepdata.is_target(output)
    if to_hepdata:
        hepdata.check_target(output, "--output")
    else:
        check_out_path(output, "--output", (".csv", ".json", ".hepdata", ".zip"))
    if plot:
        check_out_path(plot, "--plot", plot_formats())
    if preset is not None:
        g2mod.get_preset(preset)
    if preset_e is not None:
        g2mod.get_electron_preset(preset_e)
    from .. import constraints as cons

    drawn, cons_notes = cons.select(constraints or "default", [mdl], exps)
    if cite:
        sys.stdout.write(cons.bibtex(cons.cite_keys(drawn, preset)))
        return
    masses, couplings = reachmod.scan_grid(mass_min, mass_max, n_masses, coupling_min, coupling_max, n_couplings)
    with progress_bar() as bar:

        def progress_factory(description):
            task = bar.add_task(description, total=None)
            return lambda i, n: bar.update(task, completed=i, total=n)

        rs = reachmod.reach_set(exps, mdl, [m_.value for m_ in method or []] or None, masses=masses, couplings=couplings, form_factor=form_factor.value,
                                band=band, compare=compare.value if compare else None,
                                acceptance=acceptance.value, mc_events=mc_events, overlays=overlays, preset=preset,
                                preset_e=preset_e, constraints=drawn,
                                progress_factory=progress_factory)
    results = rs.results
    if output:
        with writing("--output", output):
            if to_hepdata:
                hepdata.write_submission(results, output, band=g2mod.band(results[0].masses, preset, model=mdl)
                                         if preset is not None else None)
            else:
                write_reach_output(output, rs)
    if plot:
        from .. import plotting

        fig = plotting.reach_figure(results, preset=preset, bands=rs.bands, compare=rs.compared, overlays=overlays,
                                    preset_e=preset_e, constraints=rs.constraints)
        save_plot(fig, plot, dpi)
    if as_json:
        sys.stdout.write(json.dumps(rs.to_json_document(), allow_nan=False) + "\n")
        return
    t = Table(title=f"Projected reach, model {mdl.label}: {mdl.description}")
    g_name = mdl.coupling_label
    beams = {r.experiment.beam.lepton for r in results}
    on_target = {"mu": "muons", "e": "electrons"}[beams.pop()] if len(beams) == 1 else "leptons"
    for col in ("experiment", on_target, "CL", f"best {g_name}", "at [GeV]", "excluded up to", "masses [GeV]"):
        t.add_column(col, justify="right" if col != "experiment" else "left", no_wrap=col == "experiment")
    any_open = False
    for r in results:
        row = [r.experiment.name, f"{r.experiment.beam.leptons_on_target:.3g}", f"{r.cl:g}"]
        cands = [(iv[0][0], i) for i, iv in enumerate(r.intervals) if iv]
        if not cands:
            t.add_row(*row, "none", "", "", "")
            continue
        best, i = min(cands)
        (lo_open, _), (_, hi_open) = r.open_ends[i][0], r.open_ends[i][-1]
        any_open |= lo_open or hi_open
        reach_m = [m for iv, m in zip(r.intervals, r.masses) if iv]
        t.add_row(*row, ("<= " if lo_open else "") + f"{best:.3g}",
                  f"{r.masses[i]:.3g}",
                  (">= " if hi_open else "") + f"{r.intervals[i][-1][1]:.3g}",
                  f"{min(reach_m):.3g} - {max(reach_m):.3g}")
    notes = [f"N_up = {results[0].n_up:.3g} events ({results[0].limit.method if results[0].limit else 'poisson'}); production: "
             + ", ".join(f"{METHOD_NAMES[m_]} ({', '.join(r.experiment.name for r in results if r.method == m_)})"
                         for m_ in dict.fromkeys(r.method for r in results))]
    if any_open:
        notes.append("<= and >=: the exclusion reaches the edge of the scanned couplings (open) and continues beyond it")
    for ov in overlays:
        notes.append(f"overlay: {ov.label}, {ov.citation}")
    if drawn:
        notes.append(f"published constraints drawn: {', '.join(c.name for c in drawn)} (citations: --json, BibTeX: --cite)")
    notes += cons_notes
    if output:
        notes.append(f"intervals written to {output}")
    if plot:
        notes.append(f"plot written to {plot}")
    t.caption = "; ".join(notes)
    out.print(t)


@app.command()
def cite(
    names: Annotated[Optional[list[str]], typer.Argument(help="Constraints to cite (default: all, or those drawn for --model).")] = None,
    model: Annotated[Optional[str], typer.Option("--model", help="Cite what a reach plot of this model draws by default.")] = None,
    preset: Annotated[Optional[str], typer.Option("--preset", help="Delta a_mu preset of the plot.")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the shipped constraints, the models they fit and their citations.")] = False,
):
    """BibTeX of mudump's method, the (g-2) preset and the published constraints of a reach plot."""
    from .. import constraints as cons
    from .. import g2 as g2mod
    from ..models import get_model, presets

    if list_:
        t = Table(title="Published constraints shipped with mudump (mudump reach --constraints NAME)")
        for col in ("name", "label", "fits", "CL", "BibTeX"):
            t.add_column(col, no_wrap=col == "name")
        for c in cons.catalogue().values():
            t.add_row(c.name, c.label, ", ".join(m for m in presets() if c.applies_to(m)),
                      f"{c.confidence_level:g}" if c.shape != "line" else "(a line)",
                      ", ".join(c.bibtex))
        from ..constraints.electron_dumps import dumps

        for d in dumps().values():
            t.add_row(d.name, f"{d.label} (computed by mudump)", "any model coupled to electrons",
                      f"{d.confidence_level:g}", ", ".join(d.bibtex))
        t.caption = "full citations: mudump reach ... --json (constraints), or mudump cite NAME"
        out.print(t)
        return
    if preset is not None:
        g2mod.get_preset(preset)
    from ..constraints.electron_dumps import dumps

    extra = []  # the computed dumps' references, when no model says what they are computed for
    if names and not model:
        extra = [k for n in names if n in dumps() for k in dumps()[n].bibtex]
        names = [n for n in names if n not in dumps()]
    if names:
        chosen = cons.select(names, [get_model(model)] if model else [])[0]
    elif extra:
        chosen = []
    elif model:
        chosen = cons.select("default", [get_model(model)])[0]
    else:
        chosen = list(cons.catalogue().values())
        extra = [k for d in dumps().values() for k in d.bibtex]
    sys.stdout.write(cons.bibtex(dict.fromkeys([*cons.cite_keys(chosen, preset), *extra])))


@app.command()
def spectrum(
    experiment: ExperimentArg,
    model: ModelOpt,
    mass: MassOpt,
    coupling: CouplingOpt,
    method: Annotated[Method, typer.Option("--method", help="Production method (etl: exact tree level, the default).")] = Method.etl,
    bins: Annotated[int, typer.Option("--bins", min=1, max=10000, help="Number of E_S bins.")] = 30,
    plot: Annotated[Optional[str], typer.Option("--plot", help="Write the spectrum plot (png, pdf, svg).")] = None,
    dpi: DpiOpt = 300,
    as_json: JsonOpt = False,
):
    """The energy spectrum of the signal S: expected events per E_S bin."""
    from ..experiments import load_experiment
    from ..models import get_model
    from ..signal import spectrum as compute_spectrum

    exp = load_experiment(experiment)
    mdl = get_model(model)
    if plot:
        check_out_path(plot, "--plot", plot_formats())
    sp = compute_spectrum(exp, mdl, mass, coupling, bins, method.value)
    if plot:
        from .. import plotting

        fig = plotting.experiment_spectrum_figure(exp, mdl, mass, coupling, sp.edges, sp.events, sp.method)
        save_plot(fig, plot, dpi)
    t = columns_table(
        f"S spectrum, {exp.name}, model {mdl.label}, m_S = {mass:g} GeV, g_mu = {coupling:g}", ("E_S [GeV]", "events"),
        sp.centres, sp.events, f"total {sp.total:.4g} events (method {sp.method})",
    )
    payload = sp.to_dict()
    emit(payload, as_json, t)
