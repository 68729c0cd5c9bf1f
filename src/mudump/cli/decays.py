"""``mudump decay`` and ``mudump g2``: widths, branching ratios and decay lengths of a model;
its (g-2) contribution and the (g-2) band of a preset."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from ..errors import MudumpError
from ._common import app, JsonOpt, DpiOpt, fail, emit, fmt, check_out_path, save_plot, plot_formats


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
    from ..models import get_model

    from .._checks import check_range
    from ..models import COUPLING_MAX

    m = get_model(model)
    check_range("coupling", coupling, 0.0, COUPLING_MAX, lo_open=True)  # g = 0: S never decays
    if plot:
        check_out_path(plot, "--plot", plot_formats())
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
        t.add_row(k, fmt(widths[k]), fmt(brs[k]) if not stable else "-")
    t.add_row("total", fmt(total), fmt(sum(brs.values())) if not stable else "-", end_section=True)
    t.caption = ("stable at tree level: no decay channel is open at this mass" if stable
                 else f"c tau = {ctau:.4g} m; visible (charged leptons, photons): {100 * vis:.4g}%")
    if plot:
        from .. import plotting

        save_plot(plotting.decay_length_figure(m, mass, coupling), plot, dpi)
    emit(payload, as_json, t)


@app.command()
def g2(
    mass: Annotated[float, typer.Option("--mass", help="S mass in GeV.")],
    coupling: Annotated[Optional[float], typer.Option("--coupling", help="Coupling g_l of the lepton.")] = None,
    lepton: Annotated[str, typer.Option("--lepton", help="mu or e.")] = "mu",
    band: Annotated[bool, typer.Option("--band", help="The g_mu band that explains a Delta a_mu preset.")] = False,
    preset: Annotated[Optional[str], typer.Option("--preset", help="Delta a_mu preset (default: see `mudump g2 --band`).")] = None,
    model: Annotated[Optional[str], typer.Option("--model", help="A model (then --coupling is its g_mu, and its kind and couplings set Delta a); default: a scalar with coupling g_l.")] = None,
    as_json: JsonOpt = False,
):
    """Delta a_l of a scalar or of a model, or the (g-2)_mu band of a preset (--band)."""
    from .. import g2 as g2mod
    from .._checks import check_range
    from ..models import COUPLING_MAX, MASS_RANGE_GEV

    check_range("mass_GeV", mass, *MASS_RANGE_GEV, unit="GeV")  # the models' validity range
    mdl = None
    if model is not None:
        from ..models import get_model

        mdl = get_model(model)
    if band:
        b = g2mod.band(mass, preset, model=mdl)
        p = g2mod.get_preset(b["preset"])
        keys = ("central", "lo1", "hi1", "lo2", "hi2", "upper_limit")
        payload = {
            "preset": p.name,
            "label": p.label,
            "delta_a_mu": p.delta_a_mu,
            "sigma": p.sigma,
            "source": p.source,
            "anomalous": p.anomalous,
            "favoured": b["favoured"],
            "model": mdl.name if mdl else None,
            "mass_GeV": mass,
            **{f"g_mu_{k}": float(b[k]) for k in keys},
        }
        t = Table(title=f"(g-2)_mu band, preset {p.name}: {p.label}, Delta a_mu = ({p.delta_a_mu*1e11:g} +- {p.sigma*1e11:g}) 1e-11")
        t.add_column("quantity")
        t.add_column("g_mu", justify="right")
        for k in keys:
            t.add_row(k, fmt(float(b[k])))
        t.caption = ("anomaly: the band explains it" if b["favoured"] else
                     "g_mu above upper_limit is excluded (2 sigma)" + ("; the model lowers a_mu" if b["sign"] < 0 else ""))
        emit(payload, as_json, t)
        return
    if coupling is None:
        fail("--coupling is required (or give --band for the band of a preset)")
    check_range("coupling", coupling, 0.0, COUPLING_MAX)
    if mdl is None:
        da = float(g2mod.delta_a_lepton(mass, coupling, lepton))
    else:
        if lepton not in ("e", "mu", "tau"):
            g2mod.delta_a_lepton(mass, coupling, lepton)  # the one-line error naming the lepton
        da = float(mdl.delta_a(mass, coupling, lepton))
    payload = {"lepton": lepton, "mass_GeV": mass, "coupling": coupling, "delta_a": da,
               "model": mdl.name if mdl else None, "kind": mdl.kind if mdl else "scalar"}
    t = Table(title=f"Delta a_{lepton} from {'model ' + mdl.label if mdl else 'a scalar'} exchange")
    t.add_column("m_S [GeV]")
    t.add_column("g", justify="right")
    t.add_column("Delta a", justify="right")
    t.add_row(f"{mass:g}", f"{coupling:g}", fmt(da))
    emit(payload, as_json, t)
