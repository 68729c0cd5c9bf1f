"""``mudump events``: weighted signal events in HepMC3, LHE or Parquet files."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from ._common import EventMethod, app, JsonOpt, ExperimentArg, ModelOpt, MassOpt, CouplingOpt, emit, fmt, progress_bar, check_out_path, writing


@app.command()
def events(
    experiment: ExperimentArg,
    model: ModelOpt,
    mass: MassOpt,
    coupling: CouplingOpt,
    n: Annotated[int, typer.Option("-n", "--n-events", min=1, max=100_000_000, help="Events to generate.")],
    output: Annotated[str, typer.Option("--output", help="Event file: .hepmc or .hepmc3 (HepMC3), .lhe or .lhe.gz (Les Houches), or .parquet.")],
    seed: Annotated[Optional[int], typer.Option("--seed", min=0, max=2**63 - 1, help="Random seed, 0 to 2^63-1 (default: a random one, recorded in the file so the run can be repeated).")] = None,
    no_acceptance: Annotated[bool, typer.Option("--no-acceptance", help="Keep every decay in the fiducial length, regardless of transverse geometry.")] = False,
    no_straggling: Annotated[bool, typer.Option("--no-straggling", help="Muon energy at the vertex from continuous slowing down, without energy-loss fluctuations.")] = False,
    method: Annotated[EventMethod, typer.Option("--method", help="Production method (etl: exact tree level, the default; iww has no angular distribution).")] = EventMethod.etl,
    s_pdgid: Annotated[Optional[int], typer.Option("--s-pdgid", help="PDG ID given to the mediator (default 54 for spin 0, 55 for spin 1): a nonzero signed 32-bit integer that no known particle has.")] = None,
    chi_pdgid: Annotated[int, typer.Option("--chi-pdgid", help="PDG ID given to the dark-matter fermion chi (default 52): a nonzero signed 32-bit integer that no known particle has.")] = 52,
    as_json: JsonOpt = False,
):
    """Generate weighted signal events and write them to a HepMC3, LHE or Parquet file, chunk by
    chunk (memory flat in -n)."""
    from ..events import io as evio
    from ..events.batch import error_from_sums
    from ..events.generator import check_pdgid, generate_chunks
    from ..experiments import load_experiment
    from ..models import get_model
    from ..production import check_method

    exp = load_experiment(experiment)
    mdl = get_model(model)
    method = check_method(method.value)
    check_out_path(output, "--output", evio.SUFFIXES)
    if s_pdgid is not None:
        check_pdgid("--s-pdgid", s_pdgid)
    check_pdgid("--chi-pdgid", chi_pdgid)
    with progress_bar() as bar:
        task = bar.add_task(f"{exp.name}, model {mdl.label}", total=n)
        chunks = generate_chunks(exp, mdl, mass, coupling, n, seed=seed, method=method, acceptance=not no_acceptance,
                                 straggling=not no_straggling, s_pdgid=s_pdgid, chi_pdgid=chi_pdgid,
                                 progress=lambda i, tot: bar.update(task, completed=i))
        seen = {}

        def tap(it):
            for batch in it:
                seen.setdefault("seed", batch.meta["seed"])
                yield batch

        with writing("--output", output):
            _, summary = evio.write_event_stream(tap(chunks), output)
    payload = {
        "experiment": exp.name, "model": mdl.name, "model_name": mdl.alias, "mass_GeV": mass, "coupling": coupling, "method": method,
        "seed": seen["seed"], "generated": n, "written": summary["written"], "sum_weights": summary["sum_weights"],
        "stat_error": error_from_sums(summary["sum_weights"], summary["sum_weights2"], n),
        "acceptance": not no_acceptance, "straggling": not no_straggling, "output": output,
    }
    t = Table(title=f"{exp.name}: signal events, model {mdl.label}, m_S = {mass:g} GeV, g_mu = {coupling:g}")
    t.add_column("quantity")
    t.add_column("value", justify="right")
    for key in ("generated", "written", "sum_weights", "stat_error", "acceptance", "seed", "output"):
        v = payload[key]
        t.add_row(key, fmt(v) if isinstance(v, float) else str(v))
    t.caption = ("sum of weights = expected signal events (with the acceptance unless --no-acceptance); "
                 "stat_error = its Monte Carlo error")
    emit(payload, as_json, t)
