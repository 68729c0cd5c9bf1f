"""The ``mudump`` command line: parse, call the library, print (a rich table or --json).

Every user mistake ends with one line ``error: ...`` on stderr and exit code 2.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from .errors import MudumpError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: flags shown as flags, and no rich import for --help
    help="Dark scalars at muon beam dumps: decays, (g-2), production cross sections, energy loss, reach.",
)


def _version(value: bool) -> None:
    if value:
        from . import __version__

        sys.stdout.write(f"mudump {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_version, help="Print the version and exit.")] = False,
):
    """Dark scalars at muon beam dumps: decays, (g-2), production cross sections, energy loss, reach."""
out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout instead of a table.")]
ExperimentArg = Annotated[str, typer.Argument(help="Experiment preset or path to a TOML file.")]
ModelOpt = Annotated[str, typer.Option("--model", help="A preset (A or leptophilic, B or muonphilic, muonphilic-ps, muonphilic-vector, lmu-ltau, lmu-ltau-dm, muonphilic-dm) or a path to a model TOML file.")]
MassOpt = Annotated[float, typer.Option("--mass", help="S mass in GeV.")]
CouplingOpt = Annotated[float, typer.Option("--coupling", help="Muon coupling g_mu.")]
DpiOpt = Annotated[int, typer.Option("--dpi", min=50, max=1200, help="Resolution of a PNG plot (dots per inch; the figure is one journal column, 3.4 in wide).")]


def _fail(message: str) -> None:
    err.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _finite(obj):
    """Convert numpy values to plain Python and refuse NaN/inf (never a silent NaN in output)."""
    import numpy as np

    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _finite(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        if not math.isfinite(v):
            raise MudumpError("internal: a non-finite number reached the output; please report this input")
        return v
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def _emit(payload: dict, as_json: bool, table: Table) -> None:
    payload = _finite(payload)
    if as_json:
        sys.stdout.write(json.dumps(payload, allow_nan=False) + "\n")
    else:
        out.print(table)


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def _columns_table(title: str, headers: tuple[str, str], xs, ys, caption: str) -> Table:
    """A two-column numeric table (x and a value per row)."""
    t = Table(title=title)
    for h in headers:
        t.add_column(h, justify="right")
    for xi, yi in zip(xs, ys):
        t.add_row(f"{float(xi):.4g}", _fmt(float(yi)))
    t.caption = caption
    return t


@app.command()
def decay(
    model: Annotated[str, typer.Argument(help="A preset (A or leptophilic, B or muonphilic, muonphilic-ps, muonphilic-vector, lmu-ltau, lmu-ltau-dm, muonphilic-dm) or a path to a model TOML file.")],
    mass: Annotated[float, typer.Option("--mass", help="Mediator mass in GeV (1e-3 to 1).")],
    coupling: Annotated[float, typer.Option("--coupling", help="Muon coupling g_mu (g' for L_mu - L_tau).")],
    plot: Annotated[Optional[str], typer.Option("--plot", help="Write the lab decay length against the mediator's energy (png, pdf, svg).")] = None,
    dpi: DpiOpt = 300,
    as_json: JsonOpt = False,
):
    """Partial widths, branching ratios and c*tau of the mediator (and, with --plot, the decay length)."""
    from .models import get_model

    from ._checks import check_range
    from .models import COUPLING_MAX

    m = get_model(model)
    check_range("coupling", coupling, 0.0, COUPLING_MAX, lo_open=True)  # g = 0: S never decays
    if plot:
        _check_out_path(plot, "--plot", _plot_formats())
    widths = {k: float(v) for k, v in m.widths(mass, coupling).items()}
    total = sum(widths.values())
    stable = total <= 0.0
    if stable and plot:
        raise MudumpError(f"--plot: model {m.name} has no open decay channel at mass_GeV = {mass:g}: "
                          "it is stable at tree level, there is no decay length to draw")
    brs = {k: float(v) for k, v in m.branching_ratios(mass, coupling).items()}
    ctau = None if stable else float(m.ctau(mass, coupling))
    vis = None if stable else float(m.visible_fraction(mass, coupling))
    payload = {
        "model": m.name,
        "model_name": m.alias,
        "kind": m.kind,
        "mass_GeV": mass,
        "coupling": coupling,
        "widths_GeV": widths,
        "total_width_GeV": total,
        "branching_ratios": brs,
        "visible_fraction": vis,
        "ctau_m": ctau,
        "stable": stable,
    }
    g_name = m.coupling_label
    t = Table(title=f"{m.kind} decays, model {m.label}: {m.description}, m_X = {mass:g} GeV, {g_name} = {coupling:g}")
    t.add_column("channel")
    t.add_column("width [GeV]", justify="right")
    t.add_column("BR", justify="right")
    for k in widths:
        t.add_row(k, _fmt(widths[k]), _fmt(brs[k]) if not stable else "-")
    t.add_row("total", _fmt(total), _fmt(sum(brs.values())) if not stable else "-", end_section=True)
    t.caption = ("stable at tree level: no decay channel is open at this mass" if stable
                 else f"c tau = {ctau:.4g} m; visible (charged leptons, photons): {100 * vis:.4g}%")
    if plot:
        from . import plotting

        _save_plot(plotting.decay_length_figure(m, mass, coupling), plot, dpi)
    _emit(payload, as_json, t)


@app.command()
def g2(
    mass: Annotated[float, typer.Option("--mass", help="S mass in GeV.")],
    coupling: Annotated[Optional[float], typer.Option("--coupling", help="Coupling g_l of the lepton.")] = None,
    lepton: Annotated[str, typer.Option("--lepton", help="mu or e.")] = "mu",
    band: Annotated[bool, typer.Option("--band", help="The g_mu band that explains a Delta a_mu preset.")] = False,
    preset: Annotated[Optional[str], typer.Option("--preset", help="Delta a_mu preset (default: see `mudump g2 --band`).")] = None,
    as_json: JsonOpt = False,
):
    """Delta a_l of a scalar, or the (g-2)_mu band of a preset (--band)."""
    from . import g2 as g2mod
    from ._checks import check_range
    from .models import COUPLING_MAX, MASS_RANGE_GEV

    check_range("mass_GeV", mass, *MASS_RANGE_GEV, unit="GeV")  # the models' validity range
    if band:
        b = g2mod.band(mass, preset)
        p = g2mod.get_preset(b["preset"])
        keys = ("central", "lo1", "hi1", "lo2", "hi2", "upper_limit")
        payload = {
            "preset": p.name,
            "label": p.label,
            "delta_a_mu": p.delta_a_mu,
            "sigma": p.sigma,
            "source": p.source,
            "anomalous": p.anomalous,
            "mass_GeV": mass,
            **{f"g_mu_{k}": float(b[k]) for k in keys},
        }
        t = Table(title=f"(g-2)_mu band, preset {p.name}: {p.label}, Delta a_mu = ({p.delta_a_mu*1e11:g} +- {p.sigma*1e11:g}) 1e-11")
        t.add_column("quantity")
        t.add_column("g_mu", justify="right")
        for k in keys:
            t.add_row(k, _fmt(float(b[k])))
        t.caption = "anomaly: band explains it" if p.anomalous else "no anomaly: g_mu above upper_limit is excluded (2 sigma)"
        _emit(payload, as_json, t)
        return
    if coupling is None:
        _fail("--coupling is required (or give --band for the band of a preset)")
    check_range("coupling", coupling, 0.0, COUPLING_MAX)
    da = float(g2mod.delta_a_lepton(mass, coupling, lepton))
    payload = {"lepton": lepton, "mass_GeV": mass, "coupling": coupling, "delta_a": da}
    t = Table(title=f"Delta a_{lepton} from S exchange")
    t.add_column("m_S [GeV]")
    t.add_column("g", justify="right")
    t.add_column("Delta a", justify="right")
    t.add_row(f"{mass:g}", f"{coupling:g}", _fmt(da))
    _emit(payload, as_json, t)


@app.command()
def xsec(
    material: Annotated[str, typer.Option("--material", help="Target material (preset or element symbol).")],
    energy: Annotated[float, typer.Option("--energy", help="Muon total energy in GeV.")],
    mass: Annotated[float, typer.Option("--mass", help="S mass in GeV.")],
    method: Annotated[str, typer.Option("--method", help="etl (default), ww, or iww (comparison only).")] = "etl",
    form_factor: Annotated[str, typer.Option("--form-factor", help="Form factor: tsai (default) or helm.")] = "tsai",
    coupling: Annotated[float, typer.Option("--coupling", help="Muon coupling g_mu.")] = 1.0,
    x: Annotated[Optional[list[float]], typer.Option("--x", help="x = E_S/E values (repeatable).")] = None,
    as_json: JsonOpt = False,
):
    """dsigma/dx and the total cross section of mu N -> mu N S (per atom, in cm^2)."""
    import numpy as np

    from . import production
    from .constants import M2_TO_CM2, M_MU
    from .materials import get_material

    from ._checks import check_range
    from .models import COUPLING_MAX, MASS_RANGE_GEV

    mat = get_material(material)
    method = production.check_method(method)
    check_range("mass_GeV", mass, *MASS_RANGE_GEV, unit="GeV")  # the models' validity range
    check_range("coupling", coupling, 0.0, COUPLING_MAX)
    if x:
        xs = np.array(x, dtype=float)
    else:
        from .production.kinematics import x_range

        lo, hi = x_range(energy, mass, M_MU)
        xs = np.linspace(float(lo), float(hi), 12)[1:-1] if hi > lo else np.array([])
    d = production.dsigma_dx(energy, xs, mass, mat, method=method, g=coupling, form_factor=form_factor) * M2_TO_CM2
    s = float(production.sigma(energy, mass, mat, method=method, g=coupling, form_factor=form_factor)) * M2_TO_CM2
    payload = {
        "material": mat.name,
        "energy_GeV": energy,
        "mass_GeV": mass,
        "coupling": coupling,
        "method": method,
        "form_factor": form_factor,
        "x": xs,
        "dsigma_dx_cm2": d,
        "sigma_cm2": s,
    }
    t = _columns_table(
        f"mu {mat.name} -> mu {mat.name} S, E = {energy:g} GeV, m_S = {mass:g} GeV, g = {coupling:g}, method {method}",
        ("x = E_S/E", "dsigma/dx [cm^2/atom]"), xs, d, f"sigma = {s:.4g} cm^2 per atom ({production.METHODS[method]})",
    )
    _emit(payload, as_json, t)


@app.command("material")
def material_cmd(
    name: Annotated[str, typer.Argument(help="Material: preset (W, Pb, Fe, Cu, Al, concrete, water) or element symbol.")],
    energy: Annotated[float, typer.Option("--energy", help="Muon total energy in GeV.")],
    as_json: JsonOpt = False,
):
    """Density, radiation length, muon stopping power and CSDA range (PUMAS via mulder)."""
    from .materials import energy_loss, get_material

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
            t.add_row(k, _fmt(v))
    _emit(payload, as_json, t)


def _progress():
    """The command's one rich progress display on stderr (drawn only on a terminal), shared with
    the kernels' own tasks (mudump.progress): yields a rich Progress (add_task/update)."""
    from .progress import rich_session

    return rich_session(err)


def _edge():
    """Install the edges the kernels report through for one command: a cache problem
    (mudump.cache.CacheWarning) is one line ``warning: ...`` on stderr; long work draws on the
    one rich progress display. Returns the function that undoes it."""
    import warnings

    from . import progress
    from .errors import MudumpWarning

    shown = warnings.showwarning

    def one_line(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, MudumpWarning):
            err.print(f"warning: {message}", markup=False, highlight=False, soft_wrap=True)
        else:
            shown(message, category, filename, lineno, file, line)

    warnings.showwarning = one_line
    token = progress.install(progress.RichReporter(err))

    def undo():
        warnings.showwarning = shown
        progress.uninstall(token)

    return undo


def _check_out_path(path: Optional[str], option: str, suffixes) -> None:
    """Refuse an output path that cannot be written, before any computation: a wrong suffix, a
    missing directory, an existing path that is not a regular file (a directory, a device, a
    FIFO), or a directory where a file cannot be created (read-only, no permission: tested by
    creating and removing an empty probe file beside it, which also works for root)."""
    if path is None:
        return
    import os
    import tempfile
    from pathlib import Path

    p = Path(path)
    if p.suffix.lower() not in suffixes:
        raise MudumpError(f"{option} = {path!r}: the file name must end in {', '.join(suffixes)}")
    if not p.parent.is_dir():
        raise MudumpError(f"{option} = {path!r}: the directory {str(p.parent)!r} does not exist")
    if p.exists() and not p.is_file():
        raise MudumpError(f"{option} = {path!r}: exists and is not a regular file")
    if p.exists() and not os.access(p, os.W_OK):
        raise MudumpError(f"{option} = {path!r}: the file is not writable")
    try:
        fd, probe = tempfile.mkstemp(prefix=".mudump-probe-", dir=p.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise MudumpError(f"{option} = {path!r}: cannot write in {str(p.parent)!r} ({exc.strerror or exc})") from None


def _writing(option: str, path: str):
    """A context in which an OSError while writing ``path`` becomes one MudumpError line."""
    from contextlib import contextmanager

    @contextmanager
    def guard():
        try:
            yield
        except OSError as exc:
            raise MudumpError(f"{option} = {path!r}: could not be written ({exc.strerror or exc})") from None

    return guard()


def _save_plot(fig, plot: str, dpi: int) -> None:
    from . import plotting

    with _writing("--plot", plot):
        plotting.save(fig, plot, dpi=dpi)


def _plot_formats():
    from .plotting import FORMATS

    return tuple(FORMATS)


def _write_reach_output(path: str, results) -> None:
    """Write reach results to CSV (one row per excluded interval) or JSON, by suffix."""
    from pathlib import Path

    p = Path(path)
    if p.suffix.lower() == ".json":
        payload = [r.to_dict() for r in results]
        p.write_text(json.dumps(_finite(payload if len(payload) > 1 else payload[0]), allow_nan=False, indent=1) + "\n")
    elif p.suffix.lower() == ".csv":
        from .reachio import write_reach_csv

        with p.open("w", newline="") as fh:
            write_reach_csv(fh, results)
    else:
        raise MudumpError(f"--output = {path!r}: the file name must end in .csv or .json")


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
    output: Annotated[Optional[str], typer.Option("--output", help="Write the excluded intervals (.csv or .json).")] = None,
    mass_min: Annotated[float, typer.Option("--mass-min", help="Lowest mass, GeV.")] = 1e-3,
    mass_max: Annotated[float, typer.Option("--mass-max", help="Highest mass, GeV.")] = 1.0,
    n_masses: Annotated[int, typer.Option("--n-masses", min=2, max=2000, help="Masses (log-spaced).")] = 100,
    coupling_min: Annotated[float, typer.Option("--coupling-min", help="Lowest g_mu.")] = 1e-8,
    coupling_max: Annotated[float, typer.Option("--coupling-max", help="Highest g_mu.")] = 1.0,
    n_couplings: Annotated[int, typer.Option("--n-couplings", min=2, max=5000, help="Couplings (log-spaced).")] = 200,
    as_json: JsonOpt = False,
):
    """Projected sensitivity: excluded g_mu intervals per mass, optionally the plot."""
    import numpy as np
    from . import g2 as g2mod
    from . import reach as reachmod
    from ._checks import check_range
    from .experiments import load_experiment
    from .models import MASS_RANGE_GEV, get_model

    from .production import METHOD_NAMES, check_method
    from .production.formfactors import FORM_FACTORS, check_form_factor

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
    from .overlays import load_overlay

    overlays = [load_overlay(f) for f in (overlay or [])]
    skipped = [ov for ov in overlays if not ov.applies_to(mdl)]
    overlays = [ov for ov in overlays if ov.applies_to(mdl)]
    if skipped:
        import warnings

        from .errors import MudumpWarning

        for ov in skipped:
            warnings.warn(f"overlay {ov.source_file}: it is for {', '.join(ov.models)}, not model {mdl.name}: not drawn",
                          MudumpWarning, stacklevel=1)
    _check_out_path(output, "--output", (".csv", ".json"))
    if plot:
        _check_out_path(plot, "--plot", _plot_formats())
    if preset is not None:
        g2mod.get_preset(preset)
    if preset_e is not None:
        g2mod.get_electron_preset(preset_e)
    check_range("mass_min_GeV", mass_min, *MASS_RANGE_GEV, unit="GeV")
    check_range("mass_max_GeV", mass_max, *MASS_RANGE_GEV, unit="GeV")
    check_range("coupling_min", coupling_min, 0.0, 1.0, lo_open=True)
    check_range("coupling_max", coupling_max, 0.0, 1.0, lo_open=True)
    if mass_max <= mass_min or coupling_max <= coupling_min:
        raise MudumpError("the grid needs --mass-max > --mass-min and --coupling-max > --coupling-min")
    masses = np.geomspace(mass_min, mass_max, n_masses)
    couplings = np.geomspace(coupling_min, coupling_max, n_couplings)
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
            _write_reach_output(output, results)
    if plot:
        from . import plotting

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
    for col in ("experiment", "muons", "method", "CL", f"best {g_name}", "at mass [GeV]", f"excluded up to {g_name}",
                "sensitive masses [GeV]"):
        t.add_column(col, justify="right" if col != "experiment" else "left")
    any_open = False
    for r in results:
        row = [r.experiment.name, f"{r.experiment.beam.muons_on_target:.3g}", r.method, f"{r.cl:g}"]
        cands = [(iv[0][0], i) for i, iv in enumerate(r.intervals) if iv]
        if not cands:
            t.add_row(*row, "none", "", "", "")
            continue
        best, i = min(cands)
        (lo_open, _), (_, hi_open) = r.open_ends[i][0], r.open_ends[i][-1]
        any_open |= lo_open or hi_open
        reach_m = [m for iv, m in zip(r.intervals, r.masses) if iv]
        t.add_row(*row, ("<= " if lo_open else "") + f"{best:.3g}" + (" (open)" if lo_open else ""),
                  f"{r.masses[i]:.3g}",
                  (">= " if hi_open else "") + f"{r.intervals[i][-1][1]:.3g}" + (" (open)" if hi_open else ""),
                  f"{min(reach_m):.3g} - {max(reach_m):.3g}")
    notes = [f"N_up = {results[0].n_up:.3g} events; methods: "
             + ", ".join(f"{m_} = {METHOD_NAMES[m_]}" for m_ in dict.fromkeys(r.method for r in results))]
    if any_open:
        notes.append("open: the exclusion reaches the edge of the scanned couplings and continues beyond it")
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

    from . import signal
    from ._checks import check_range
    from .experiments import load_experiment
    from .models import COUPLING_MAX, MASS_RANGE_GEV, get_model
    from .production import METHOD_NAMES, check_method

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
        from . import plotting

        fig = plotting.spectrum_figure(
            [(f"model {mdl.label}, $m_S$ = {mass:g} GeV, $g_\\mu$ = {coupling:g}", edges, ev)],
            title=f"{exp.label or exp.name}: energy of the signal S",
            note=f"{exp.legend.split(', ', 1)[-1]} on target, production: {METHOD_NAMES[method]}, total {float(ev.sum()):.3g} events",
        )
        _save_plot(fig, plot, dpi)
    t = _columns_table(
        f"S spectrum, {exp.name}, model {mdl.label}, m_S = {mass:g} GeV, g_mu = {coupling:g}", ("E_S [GeV]", "events"),
        centres, ev, f"total {float(ev.sum()):.4g} events (method {method})",
    )
    _emit(payload, as_json, t)


@app.command()
def events(
    experiment: ExperimentArg,
    model: ModelOpt,
    mass: MassOpt,
    coupling: CouplingOpt,
    n: Annotated[int, typer.Option("-n", "--n-events", min=1, max=100_000_000, help="Events to generate.")],
    output: Annotated[str, typer.Option("--output", help="Event file: .hepmc (HepMC3), .lhe or .parquet.")],
    seed: Annotated[Optional[int], typer.Option("--seed", min=0, max=2**63 - 1, help="Random seed, 0 to 2^63-1 (default: a random one, recorded in the file so the run can be repeated).")] = None,
    no_acceptance: Annotated[bool, typer.Option("--no-acceptance", help="Keep every decay in the fiducial length, regardless of transverse geometry.")] = False,
    method: Annotated[str, typer.Option("--method", help="Production method: etl (default) or ww.")] = "etl",
    s_pdgid: Annotated[Optional[int], typer.Option("--s-pdgid", help="PDG ID given to the mediator (default 54 for spin 0, 55 for spin 1).")] = None,
    chi_pdgid: Annotated[int, typer.Option("--chi-pdgid", help="PDG ID given to the dark-matter fermion chi (default 52).")] = 52,
    as_json: JsonOpt = False,
):
    """Generate weighted signal events and write them to a HepMC3, LHE or Parquet file."""
    from .events import io as evio
    from .events.generator import generate
    from .experiments import load_experiment
    from .models import get_model
    from .production import check_method

    exp = load_experiment(experiment)
    mdl = get_model(model)
    method = check_method(method)
    if method == "iww":
        raise MudumpError("--method iww has no angular distribution to sample: use etl or ww")
    _check_out_path(output, "--output", evio.SUFFIXES)
    with _progress() as bar:
        task = bar.add_task(f"{exp.name}, model {mdl.label}", total=n)
        batch = generate(exp, mdl, mass, coupling, n, seed=seed, method=method, acceptance=not no_acceptance,
                         s_pdgid=s_pdgid, chi_pdgid=chi_pdgid, progress=lambda i, tot: bar.update(task, completed=i))
    with _writing("--output", output):
        evio.write_events(batch, output)
    import numpy as np

    w = batch.weight
    payload = {
        "experiment": exp.name, "model": mdl.name, "model_name": mdl.alias, "mass_GeV": mass, "coupling": coupling, "method": method,
        "seed": batch.meta["seed"], "generated": n, "written": len(batch), "sum_weights": float(w.sum()),
        "stat_error": float(np.sqrt((w**2).sum())), "acceptance": not no_acceptance, "output": output,
    }
    t = Table(title=f"{exp.name}: signal events, model {mdl.label}, m_S = {mass:g} GeV, g_mu = {coupling:g}")
    t.add_column("quantity")
    t.add_column("value", justify="right")
    for key in ("generated", "written", "sum_weights", "stat_error", "acceptance", "seed", "output"):
        v = payload[key]
        t.add_row(key, _fmt(v) if isinstance(v, float) else str(v))
    t.caption = "sum of weights = expected signal events (with the acceptance unless --no-acceptance)"
    _emit(payload, as_json, t)


@app.command()
def ratio(
    material: Annotated[str, typer.Option("--material", help="Target material (preset or element symbol).")],
    energy: Annotated[float, typer.Option("--energy", help="Muon total energy in GeV.")],
    versus: Annotated[str, typer.Option("--versus", help="Denominator: iww (default) or ww.")] = "iww",
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

    from . import production
    from ._checks import check_range
    from .constants import M_MU
    from .materials import get_material
    from .production import METHOD_NAMES

    mat = get_material(material)
    den = production.check_method(versus)
    if plot:
        _check_out_path(plot, "--plot", _plot_formats())
    check_range("energy_GeV", energy, M_MU, lo_open=True, unit="GeV")
    from .models import MASS_RANGE_GEV

    check_range("mass_min_GeV", mass_min, *MASS_RANGE_GEV, unit="GeV")  # the models' validity range
    check_range("mass_max_GeV", mass_max, mass_min, min(MASS_RANGE_GEV[1], energy - M_MU), lo_open=True, unit="GeV")
    masses = np.geomspace(mass_min, mass_max, n_masses)
    x = np.linspace(0.0, 1.0, n_x + 2)[1:-1]
    num = production.dsigma_dx(energy, x[None, :], masses[:, None], mat, method="etl")
    dnm = production.dsigma_dx(energy, x[None, :], masses[:, None], mat, method=den)
    r = np.where(dnm > 0, num / np.where(dnm > 0, dnm, 1.0), 0.0)
    inside = dnm > 0
    payload = {
        "material": mat.name, "energy_GeV": energy, "versus": den, "masses_GeV": masses, "x": x,
        "ratio": np.where(inside, r, 0.0), "inside": inside,
    }
    if plot:
        from . import plotting

        _save_plot(plotting.ratio_figure(masses, x, np.where(inside, r, np.nan), f"exact tree level / {METHOD_NAMES[den]}",
                                         f"$\\mu$ {mat.name} $\\to$ $\\mu$ {mat.name} $S$, $E_\\mu$ = {energy:g} GeV"), plot, dpi)
    t = Table(title=f"ETL / {den.upper()} in {mat.name} at E = {energy:g} GeV")
    t.add_column("m_S [GeV]", justify="right")
    for xv in (0.1, 0.3, 0.5, 0.7, 0.9):
        t.add_column(f"x = {xv:g}", justify="right")
    for m in masses[:: max(1, masses.size // 8)]:
        vals = production.dsigma_dx(energy, np.array([0.1, 0.3, 0.5, 0.7, 0.9]), m, mat, method="etl")
        dv = production.dsigma_dx(energy, np.array([0.1, 0.3, 0.5, 0.7, 0.9]), m, mat, method=den)
        t.add_row(f"{m:.3g}", *[(f"{a / b:.3f}" if b > 0 else "-") for a, b in zip(vals, dv)])
    if plot:
        t.caption = f"map written to {plot}"
    _emit(payload, as_json, t)

from ._cli_scan import register as _register_scan  # noqa: E402
_register_scan(app)


from ._cli_serve import register as _register_serve  # noqa: E402
_register_serve(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app; a MudumpError or a malformed command line becomes one line
    ``error: ...`` on stderr and exit code 2 (never a traceback for a user's mistake)."""
    command = typer.main.get_command(app)
    undo_edge = _edge()
    try:
        rv = command.main(args=argv, prog_name="mudump", standalone_mode=False)
    except MudumpError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted", markup=False, highlight=False)
        sys.exit(130)
    except Exception as exc:
        # click's usage errors (typer may vendor click, so match them by their interface)
        if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
            raise
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            err.print(ctx.get_help(), markup=False, highlight=False)
        else:
            hint = f" (see 'mudump {ctx.info_name} --help')" if ctx is not None and ctx.parent else ""
            err.print(f"error: {exc.format_message()}{hint}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code or 2)
    finally:
        undo_edge()
    if rv == 130:  # typer turns KeyboardInterrupt into Exit(130) itself
        err.print("interrupted", markup=False, highlight=False)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()
