"""``mudump reach`` and ``mudump spectrum``: the sensitivity of experiments and the energy
spectrum of their signal."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Optional

import typer
from rich.table import Table

from ..errors import MudumpError
from ._common import app, out, JsonOpt, ExperimentArg, ModelOpt, MassOpt, CouplingOpt, DpiOpt, _finite, _emit, _columns_table, _progress, _check_out_path, _writing, _save_plot, _plot_formats, _write_reach_output


@app.command()
def reach(
    experiments: Annotated[list[str], typer.Argument(help="Experiment presets (na64mu, fnal-mu) or paths to TOML files.")],
    model: ModelOpt,
    method: Annotated[Optional[list[str]], typer.Option("--method", help="Production method: etl (default), ww, or iww; once for all experiments, or once per experiment in their order.")] = None,
    preset: Annotated[Optional[str], typer.Option("--preset", help="Delta a_mu preset for the (g-2) band of the plot.")] = None,
    preset_e: Annotated[Optional[str], typer.Option("--preset-e", help="Delta a_e preset (cs2018 or rb2020, the default) for models that couple to electrons.")] = None,
    band: Annotated[bool, typer.Option("--band", help="Also scan the other theory choices (etl/ww x tsai/helm form factors) and shade their spread.")] = False,
    compare: Annotated[Optional[str], typer.Option("--compare", help="Overlay another method's contour, dashed (e.g. iww).")] = None,
    form_factor: Annotated[str, typer.Option("--form-factor", help="Form factor: tsai (default) or helm.")] = "tsai",
    overlay: Annotated[Optional[list[str]], typer.Option("--overlay", help="A constraint from another paper (TOML overlay file, see docs/overlays.md), drawn in grey; repeatable.")] = None,
    acceptance: Annotated[str, typer.Option("--acceptance", help="none (default) or mc: fold in the event generator's geometric acceptance.")] = "none",
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

    from ..production import METHOD_NAMES, check_method
    from ..production.formfactors import FORM_FACTORS, check_form_factor

    mdl = get_model(model)
    exps = [load_experiment(e) for e in experiments]
    methods = [check_method(m_) for m_ in (method or ["etl"])]
    if len(methods) == 1:
        methods = methods * len(exps)
    elif len(methods) != len(exps):
        raise MudumpError(f"--method is given {len(methods)} times for {len(exps)} experiments: give it once, or once per experiment")
    check_form_factor(form_factor)
    if compare is not None:
        compare = check_method(compare)
    from ..overlays import load_overlay

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
        _check_out_path(output, "--output", (".csv", ".json", ".hepdata", ".zip"))
    if plot:
        _check_out_path(plot, "--plot", _plot_formats())
    if preset is not None:
        g2mod.get_preset(preset)
    if preset_e is not None:
        g2mod.get_electron_preset(preset_e)
    masses, couplings = reachmod.scan_grid(mass_min, mass_max, n_masses, coupling_min, coupling_max, n_couplings)
    def variants(meth):
        if not band:
            return []
        return [(m_, f_) for m_ in ("etl", "ww") for f_ in FORM_FACTORS if (m_, f_) != (meth, form_factor)]

    results, bands, compared = [], [], []
    with _progress() as bar:

        def scan(e, meth, ff):
            task = bar.add_task(f"{e.name}, model {mdl.label}, {meth}/{ff}", total=masses.size)
            return reachmod.reach(e, mdl, masses, couplings, meth, progress=lambda i, n: bar.update(task, completed=i),
                                  form_factor=ff, acceptance=acceptance if meth != "iww" else "none",
                                  mc_events=mc_events)

        for e, meth in zip(exps, methods):
            results.append(scan(e, meth, form_factor))
            bands.append([scan(e, m_, f_) for m_, f_ in variants(meth)])
            compared.append(scan(e, compare, form_factor) if compare else None)
    if output:
        with _writing("--output", output):
            if to_hepdata:
                hepdata.write_submission(results, output, band=g2mod.band(results[0].masses, preset, model=mdl)
                                         if preset is not None else None)
            else:
                _write_reach_output(output, results)
    if plot:
        from .. import plotting

        fig = plotting.reach_figure(results, preset=preset, bands=bands if band else None,
                                    compare=compared if compare else None, overlays=overlays, preset_e=preset_e)
        _save_plot(fig, plot, dpi)
    if as_json:
        payload = [r.to_dict() for r in results]
        for d in payload:
            d["overlays"] = [{"label": ov.label, "citation": ov.citation, "confidence_level": ov.confidence_level,
                              "file": ov.source_file} for ov in overlays]
        for d, vs, c in zip(payload, bands, compared):
            if band:
                d["band"] = [{"method": v.method, "form_factor": v.form_factor, "intervals": v.to_dict()["intervals"]} for v in vs]
            if c is not None:
                d["compare"] = {"method": c.method, "intervals": c.to_dict()["intervals"]}
        sys.stdout.write(json.dumps(_finite(payload if len(payload) > 1 else payload[0]), allow_nan=False) + "\n")
        return
    t = Table(title=f"Projected reach, model {mdl.label}: {mdl.description}")
    g_name = mdl.coupling_label
    for col in ("experiment", "muons", "CL", f"best {g_name}", "at [GeV]", "excluded up to", "masses [GeV]"):
        t.add_column(col, justify="right" if col != "experiment" else "left", no_wrap=col == "experiment")
    any_open = False
    for r in results:
        row = [r.experiment.name, f"{r.experiment.beam.muons_on_target:.3g}", f"{r.cl:g}"]
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
    if output:
        notes.append(f"intervals written to {output}")
    if plot:
        notes.append(f"plot written to {plot}")
    t.caption = "; ".join(notes)
    out.print(t)


@app.command()
def spectrum(
    experiment: ExperimentArg,
    model: ModelOpt,
    mass: MassOpt,
    coupling: CouplingOpt,
    method: Annotated[str, typer.Option("--method", help="Production method: etl (default), ww, or iww.")] = "etl",
    bins: Annotated[int, typer.Option("--bins", min=1, max=10000, help="Number of E_S bins.")] = 30,
    plot: Annotated[Optional[str], typer.Option("--plot", help="Write the spectrum plot (png, pdf, svg).")] = None,
    dpi: DpiOpt = 300,
    as_json: JsonOpt = False,
):
    """The energy spectrum of the signal S: expected events per E_S bin."""
    import numpy as np

    from .. import signal
    from .._checks import check_range
    from ..experiments import load_experiment
    from ..models import COUPLING_MAX, MASS_RANGE_GEV, get_model
    from ..production import check_method

    exp = load_experiment(experiment)
    mdl = get_model(model)
    method = check_method(method)
    if plot:
        _check_out_path(plot, "--plot", _plot_formats())
    check_range("mass_GeV", mass, *MASS_RANGE_GEV, unit="GeV")
    check_range("coupling", coupling, 0.0, COUPLING_MAX, lo_open=True)
    signal.check_signal_possible(exp, mass)
    lo = max(mass, exp.signature.e_cut_GeV)
    edges = np.linspace(lo, exp.beam.energy_GeV, bins + 1)
    ev = signal.experiment_spectrum(exp, mdl, mass, coupling, edges, method)
    centres = 0.5 * (edges[1:] + edges[:-1])
    payload = {
        "experiment": exp.name, "model": mdl.name, "model_name": mdl.alias, "method": method, "mass_GeV": mass, "coupling": coupling,
        "E_S_GeV": centres, "bin_edges_GeV": edges, "events": ev, "total_events": float(ev.sum()),
    }
    if plot:
        from .. import plotting

        fig = plotting.experiment_spectrum_figure(exp, mdl, mass, coupling, edges, ev, method)
        _save_plot(fig, plot, dpi)
    t = _columns_table(
        f"S spectrum, {exp.name}, model {mdl.label}, m_S = {mass:g} GeV, g_mu = {coupling:g}", ("E_S [GeV]", "events"),
        centres, ev, f"total {float(ev.sum()):.4g} events (method {method})",
    )
    _emit(payload, as_json, t)
