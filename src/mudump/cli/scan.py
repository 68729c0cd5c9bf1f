"""The ``mudump scan`` command: a design scan (:mod:`mudump.scan`) from the command line or a
small TOML scan file, written to Parquet and CSV, resumable, with an optional figure of merit
plot. :func:`register` adds the command to the typer app (:mod:`mudump.cli._common`).

Grids on the command line: ``--grid FIELD=V1,V2,...`` (values), ``--grid FIELD=START:STOP:NUM``
(evenly spaced, ends included) or ``--grid FIELD=START:STOP:NUM:log`` (log-spaced). A scan file
has the same in TOML (see docs/scan.md)::

    experiment = "fnal-mu"
    models = ["A", "B"]
    [grid]
    "target.length_m" = [0.5, 1.0, 1.5]
    "downstream.length_m" = { start = 1.0, stop = 10.0, num = 10, log = true }
    [masses]
    min = 0.001
    max = 1.0
    n = 50
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import choices
from ..errors import ConfigError, MudumpError
from ._common import FigureOfMerit, FormFactor, Method

#: Seconds between checkpoints of the output file while a scan runs.
CHECKPOINT_SECONDS = 5.0
#: Parquet key-value metadata keys are prefixed with this.
META_PREFIX = "mudump."


# ----------------------------------------------------------------------------------------------
# parsing grids and scan files (config at the edge: the kernel gets plain numbers)


def _range(name: str, start, stop, num, log=False) -> list[float]:
    import numpy as np

    try:
        start, stop, num_f = float(start), float(stop), float(num)
    except (TypeError, ValueError):
        raise ConfigError(f"scan field {name!r}: start, stop and num must be numbers") from None
    if not num_f.is_integer() or not 1 <= num_f <= 100_000:
        raise ConfigError(f"scan field {name!r}: num = {num} must be a whole number from 1 to 100000")
    if log and (start <= 0 or stop <= 0):
        raise ConfigError(f"scan field {name!r}: a log-spaced range needs start > 0 and stop > 0")
    return (np.geomspace if log else np.linspace)(start, stop, int(num_f)).tolist()


def parse_grid_option(text: str) -> tuple[str, list[float]]:
    """``FIELD=V1,V2`` or ``FIELD=START:STOP:NUM[:log]`` -> (field, values)."""
    name, sep, spec = text.partition("=")
    name, spec = name.strip(), spec.strip()
    if not sep or not name:
        raise ConfigError(f"--grid {text!r}: write FIELD=V1,V2,... or FIELD=START:STOP:NUM[:log]")
    if not spec:
        raise ConfigError(f"scan field {name!r} has no values: give at least one")
    if ":" in spec:
        parts = spec.split(":")
        log = len(parts) == 4 and parts[3].strip().lower() == "log"
        if len(parts) not in (3, 4) or (len(parts) == 4 and not log):
            raise ConfigError(f"--grid {text!r}: a range is START:STOP:NUM or START:STOP:NUM:log")
        return name, _range(name, *parts[:3], log=log)
    try:
        return name, [float(v) for v in spec.split(",")]
    except ValueError:
        raise ConfigError(f"scan field {name!r}: the values {spec!r} must be numbers separated by commas") from None


def _grid_from_toml(tbl, prefix: str = "") -> dict:
    out = {}
    for k, v in tbl.items():
        name = prefix + k
        if isinstance(v, dict) and set(v) <= {"start", "stop", "num", "log"} and {"start", "stop", "num"} <= set(v):
            out[name] = _range(name, v["start"], v["stop"], v["num"], bool(v.get("log", False)))
        elif isinstance(v, dict):
            out.update(_grid_from_toml(v, name + "."))
        elif isinstance(v, list):
            if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
                raise ConfigError(f"scan field {name!r}: the values must be numbers")
            out[name] = [float(x) for x in v]
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[name] = [float(v)]
        else:
            raise ConfigError(f"scan field {name!r}: give a list of numbers or {{start, stop, num, log}}")
    return out


def _scan_file_schema():
    """The pydantic schema of a TOML scan file (every key optional; options given on the command
    line win). ``grid`` is a table of fields, each a list of numbers or {start, stop, num, log}."""
    from typing import Any, Literal, Union

    from pydantic import BaseModel, ConfigDict, Field

    from ..config import SCHEMA_VERSION

    class _S(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    class Axis(_S):
        min: float = Field(allow_inf_nan=False)
        max: float = Field(allow_inf_nan=False)
        n: int

    class ScanFile(_S):
        schema_version: Literal[1] = SCHEMA_VERSION
        experiment: str = Field(None, min_length=1, max_length=4096)
        models: Union[str, list[str]] = None
        method: Literal[tuple(choices.METHODS)] = None  # type: ignore[valid-type]
        form_factor: Literal[choices.FORM_FACTOR_NAMES] = None  # type: ignore[valid-type]
        preset: str = None
        reference_couplings: tuple[float, float] = None
        grid: dict[str, Any] = None
        masses: Axis = None
        couplings: Axis = None

    return ScanFile


def load_scan_file(path: str) -> dict:
    """Read a TOML scan file into plain options (validated by its schema; one loader for every
    file type, :mod:`mudump.config`); a relative experiment path is taken relative to the scan
    file."""
    from ..config import read_toml, validate

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"--file = {path!r} does not exist")
    f = validate(_scan_file_schema(), read_toml(p, path), path)
    out = {k: getattr(f, k) for k in ("models", "method", "form_factor", "preset", "reference_couplings")
           if getattr(f, k) is not None}
    if f.experiment is not None:
        e = f.experiment
        out["experiment"] = str(p.parent / e) if e.endswith(".toml") and not Path(e).is_absolute() else e
    if isinstance(out.get("models"), str):
        out["models"] = [out["models"]]
    if f.grid is not None:
        out["grid"] = _grid_from_toml(f.grid)
    for axis in ("masses", "couplings"):
        if getattr(f, axis) is not None:
            out[axis] = getattr(f, axis).model_dump()
    return out


# ----------------------------------------------------------------------------------------------
# output: Parquet (resumable) and CSV


def _arrow_table(rows: list[dict], fields: list[str], metadata: dict):
    import pyarrow as pa

    cols = [("key", pa.string()), ("experiment", pa.string())]
    cols += [(f, pa.float64()) for f in fields]
    cols += [("model", pa.string()), ("model_name", pa.string()), ("method", pa.string()), ("form_factor", pa.string())]
    cols += [("limit_method", pa.string()), ("signal_events_limit", pa.float64())]
    from ..scan import FIGURES_OF_MERIT

    cols += [(f, pa.float64()) for f in FIGURES_OF_MERIT]
    cols += [(c, pa.list_(pa.float64())) for c in ("mass_GeV", "g_low", "g_high")]
    cols += [("error", pa.string())]
    schema = pa.schema(cols, metadata={META_PREFIX + k: json.dumps(v) for k, v in metadata.items()})
    return pa.table({name: [r.get(name) for r in rows] for name, _ in cols}, schema=schema)


def write_outputs(path: Path, rows: list[dict], fields: list[str], metadata: dict, csv_path: Optional[Path]) -> None:
    """Write the rows to Parquet (atomically: a temporary file then a rename) and CSV; a write
    error is one MudumpError line."""
    try:
        _write_outputs(path, rows, fields, metadata, csv_path)
    except OSError as exc:
        raise MudumpError(f"--output = {str(path)!r}: could not be written ({exc.strerror or exc})") from None


def _write_outputs(path, rows, fields, metadata, csv_path) -> None:
    import pyarrow.parquet as pq

    table = _arrow_table(rows, fields, metadata)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)
    if csv_path is not None:
        import csv

        tmp = csv_path.with_name(csv_path.name + ".tmp")
        with tmp.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(table.column_names)
            for r in rows:
                w.writerow(
                    ["" if r.get(c) is None else (" ".join(f"{x:.8g}" for x in r[c]) if isinstance(r[c], list)
                                                 else (f"{r[c]:.8g}" if isinstance(r[c], float) else r[c]))
                     for c in table.column_names]
                )
        tmp.replace(csv_path)


def read_previous(path: Path) -> list[dict]:
    """Rows of an earlier run of a scan (empty if the file does not exist)."""
    if not path.exists():
        return []
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a damaged file
        raise ConfigError(f"--output = {str(path)!r} exists but is not a readable Parquet file: {exc}") from None
    if "key" not in table.column_names:
        raise ConfigError(f"--output = {str(path)!r} exists but is not a mudump scan (no key column)")
    return table.to_pylist()


# ----------------------------------------------------------------------------------------------
# executors


def _dask_executor(address: str, timeout: float):
    """A Dask cluster's executor (``distributed.Client(address).get_executor()``) and the client."""
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError('--scheduler needs Dask: pip install "mudump[dask]"') from None
    try:
        client = Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise MudumpError(f"--scheduler = {address!r}: cannot reach the Dask scheduler ({msg})") from None
    return client.get_executor(), client


#: Rows printed in the terminal's summary table; a longer scan shows its best rows by the figure
#: of merit (all rows are in the Parquet and CSV files).
SUMMARY_ROWS = 30
#: Which way a figure of merit is better (best_mass_GeV has none: design order).
_BETTER = {"excluded_fraction": -1, "mass_high_GeV": -1, "best_g_mu": 1, "mass_low_GeV": 1}


def _summary_rows(rows: list[dict], fom: str) -> tuple[list[dict], str]:
    """The rows of the summary table and a caption: all of them up to SUMMARY_ROWS, else the
    SUMMARY_ROWS best by ``fom`` (rows without a value, or with an error, last)."""
    if len(rows) <= SUMMARY_ROWS:
        return rows, ""
    sign = _BETTER.get(fom)
    if sign is None:
        best = rows[:SUMMARY_ROWS]
        return best, f"the first {SUMMARY_ROWS} of {len(rows)} rows (all in the output files)"
    ranked = sorted(rows, key=lambda r: (r.get(fom) is None, 0.0 if r.get(fom) is None else sign * r[fom]))
    return ranked[:SUMMARY_ROWS], (f"the {SUMMARY_ROWS} best of {len(rows)} rows by {fom} "
                                   f"({'largest' if sign < 0 else 'smallest'} first; all in the output files)")


def _summary_table(rows, fields, title, fom: str = "excluded_fraction"):
    from rich.table import Table

    failed = sum(1 for r in rows if r["error"])
    rows, caption = _summary_rows(rows, fom)
    if failed and caption:
        caption += f"; {failed} rows failed (their error column)"
    t = Table(title=title, caption=caption or None)
    for f in fields:
        t.add_column(f, justify="right")
    errors = any(r["error"] for r in rows)
    for c in ("model", "best g_mu", "at m_S [GeV]", "m_S range [GeV]", "excluded fraction") + (("error",) if errors else ()):
        t.add_column(c, justify="right" if c != "error" else "left")
    g = lambda v: "-" if v is None else f"{v:.3g}"  # noqa: E731
    for r in rows:
        rng = "-" if r["mass_low_GeV"] is None else f"{r['mass_low_GeV']:.3g} - {r['mass_high_GeV']:.3g}"
        t.add_row(*[f"{r[f]:.4g}" for f in fields], r["model"], g(r["best_g_mu"]), g(r["best_mass_GeV"]), rng,
                  g(r["excluded_fraction"]), *((r["error"] or "",) if errors else ()))
    return t


# ----------------------------------------------------------------------------------------------
# the command


class _Terminated(BaseException):
    """SIGTERM received: the rows done are saved, then exit code 143 (128 + SIGTERM)."""


def register(app: typer.Typer) -> None:
    """Add the ``scan`` command to the app."""

    @app.command("scan")
    def scan_cmd(
        experiment: Annotated[Optional[str], typer.Argument(help="Base experiment: preset or TOML path (or `experiment` in --file).")] = None,
        grid: Annotated[Optional[list[str]], typer.Option("--grid", help="FIELD=V1,V2,... or FIELD=START:STOP:NUM[:log]; repeat for more fields (e.g. target.length_m=0.5:3:6).")] = None,
        model: Annotated[Optional[list[str]], typer.Option("--model", help=choices.model_help() + " Repeat for several.")] = None,
        file: Annotated[Optional[str], typer.Option("--file", help="TOML scan file (experiment, models, grid, masses, ...); options given here win.")] = None,
        output: Annotated[str, typer.Option("--output", help="Parquet file of the rows (a CSV copy is written beside it); rerunning skips the rows already in it.")] = "scan.parquet",
        no_csv: Annotated[bool, typer.Option("--no-csv", help="Do not write the CSV copy.")] = False,
        method: Annotated[Optional[Method], typer.Option("--method", help="Production method (default: etl, exact tree level, for a muon beam; ww for an electron beam).")] = None,
        form_factor: Annotated[Optional[FormFactor], typer.Option("--form-factor", help="Nuclear form factor (default tsai).")] = None,
        preset: Annotated[Optional[str], typer.Option("--preset", help="Delta a_mu preset of the reference region (default: see `mudump g2 --band`).")] = None,
        reference: Annotated[Optional[tuple[float, float]], typer.Option("--reference", help="Reference region G_LOW G_HIGH (a g_mu strip) instead of the (g-2) one.")] = None,
        mass_min: Annotated[Optional[float], typer.Option("--mass-min", help="Lowest mass, GeV (default 0.001).")] = None,
        mass_max: Annotated[Optional[float], typer.Option("--mass-max", help="Highest mass, GeV (default 1).")] = None,
        n_masses: Annotated[Optional[int], typer.Option("--n-masses", min=2, max=2000, help="Masses, log-spaced (default 100).")] = None,
        coupling_min: Annotated[Optional[float], typer.Option("--coupling-min", help="Lowest g_mu (default 1e-8).")] = None,
        coupling_max: Annotated[Optional[float], typer.Option("--coupling-max", help="Highest g_mu (default 1).")] = None,
        n_couplings: Annotated[Optional[int], typer.Option("--n-couplings", min=2, max=5000, help="Couplings, log-spaced (default 200).")] = None,
        workers: Annotated[Optional[int], typer.Option("--workers", min=1, max=4096, help="Processes of the local pool (default: all cores).")] = None,
        scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="Run on a Dask cluster at ADDRESS (tcp://host:8786) instead of the local pool.")] = None,
        scheduler_timeout: Annotated[float, typer.Option("--scheduler-timeout", min=0.1, max=600, help="Seconds to wait for the scheduler.")] = 10.0,
        plot: Annotated[Optional[str], typer.Option("--plot", help="Plot a figure of merit against the scanned field(s) (png, pdf, svg).")] = None,
        fom: Annotated[FigureOfMerit, typer.Option("--fom", help="Figure of merit to plot, and to rank the printed rows of a scan of more than 30 points.")] = FigureOfMerit.excluded_fraction,
        dpi: Annotated[int, typer.Option("--dpi", min=50, max=1200, help="Resolution of a PNG plot (dots per inch).")] = 300,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (metadata and rows) on stdout instead of a table.")] = False,
    ):
        """Design scan: the reach over a grid of experiment fields, one row per point and model."""
        import numpy as np

        from . import _common as cli
        from .. import scan as scanmod
        from .._checks import check_range

        opts = load_scan_file(file) if file else {}
        exp_name = experiment or opts.get("experiment")
        if exp_name is None:
            raise ConfigError("no experiment: give one (a preset or a TOML path) or `experiment` in --file")
        grid_d = dict(opts.get("grid", {}))
        given: set[str] = set()
        for g in grid or []:
            name, values = parse_grid_option(g)
            if name in given:
                raise ConfigError(f"--grid {name} is given twice: give each field once, with all its values")
            given.add(name)
            grid_d[name] = values
        models = list(model or opts.get("models") or [])
        if not models:
            raise ConfigError("no model: give --model A and/or --model B (or `models` in --file)")
        m_tbl, g_tbl = opts.get("masses", {}), opts.get("couplings", {})
        m_lo = mass_min if mass_min is not None else m_tbl.get("min", 1e-3)
        m_hi = mass_max if mass_max is not None else m_tbl.get("max", 1.0)
        m_n = n_masses if n_masses is not None else m_tbl.get("n", 100)
        g_lo = coupling_min if coupling_min is not None else g_tbl.get("min", 1e-8)
        g_hi = coupling_max if coupling_max is not None else g_tbl.get("max", 1.0)
        g_n = n_couplings if n_couplings is not None else g_tbl.get("n", 200)
        check_range("n_masses", m_n, 2, 2000)
        check_range("n_couplings", g_n, 2, 5000)
        from ..reach import scan_grid

        scan_grid(m_lo, m_hi, m_n, g_lo, g_hi, g_n)  # the checks of mudump reach
        out_path = Path(output)
        cli.check_out_path(output, "--output", (".parquet",))
        from .._extras import require

        require("scan")  # the rows are a Parquet file
        if plot:
            cli.check_out_path(plot, "--plot", cli.plot_formats())
            if not 1 <= len(grid_d) <= 2:
                raise ConfigError(f"--plot needs a scan over 1 or 2 fields, this one has {len(grid_d)}")
        ref = reference if reference is not None else opts.get("reference_couplings")
        plan = scanmod.plan_scan(
            exp_name, grid_d, models,
            masses=np.geomspace(m_lo, m_hi, int(m_n)), couplings=np.geomspace(g_lo, g_hi, int(g_n)),
            method=method.value if method else opts.get("method"),
            form_factor=form_factor.value if form_factor else opts.get("form_factor", "tsai"),
            preset=preset or opts.get("preset"), reference=ref,
        )
        keys = plan.keys()
        wanted = set(keys)
        previous = read_previous(out_path)
        kept = {r["key"]: r for r in previous if r["key"] in wanted and not r.get("error")}
        dropped = sum(1 for r in previous if r["key"] not in wanted)
        if dropped:
            cli.err.print(f"note: {dropped} rows of {output} belong to another scan and are replaced", markup=False,
                          highlight=False)
        csv_path = None if no_csv else out_path.with_suffix(".csv")
        if csv_path is not None:
            cli.check_out_path(str(csv_path), "--output (its CSV copy)", (".csv",))
        metadata = plan.metadata()
        new_rows: dict[str, dict] = {}
        last = [time.monotonic()]

        def ordered():
            both = {**kept, **new_rows}
            return [both[k] for k in keys if k in both]

        def on_row(row):
            new_rows[row["key"]] = row
            if time.monotonic() - last[0] > CHECKPOINT_SECONDS:
                write_outputs(out_path, ordered(), plan.fields, metadata, None)
                last[0] = time.monotonic()

        executor, client = (None, None)
        if scheduler:
            executor, client = _dask_executor(scheduler, scheduler_timeout)
        elif workers:
            executor = scanmod.default_executor(workers)
        import signal

        def terminated(signum, frame):  # SIGTERM (timeout, batch schedulers): save the rows done, then stop
            raise _Terminated()

        previous_term = signal.signal(signal.SIGTERM, terminated)
        stopped = False
        try:
            with cli.progress_bar() as bar:
                task = bar.add_task(f"scan {plan.base['name']}: design points x models", total=len(keys))
                scanmod.run_scan(plan, executor, skip=kept, on_row=on_row,
                                 progress=lambda d, n: bar.update(task, completed=d))
        except (_Terminated, KeyboardInterrupt) as exc:
            stopped = True
            if executor is not None and client is None:
                scanmod.stop_executor(executor)
            if isinstance(exc, KeyboardInterrupt):
                raise
        finally:
            signal.signal(signal.SIGTERM, previous_term)
            write_outputs(out_path, ordered(), plan.fields, metadata, csv_path)
            if stopped:
                cli.err.print(f"stopped: {len(ordered())} of {len(keys)} rows saved in {output}; run the same command "
                              "again to resume (the saved rows are skipped)", markup=False, highlight=False, soft_wrap=True)
            if client is not None:
                client.close()
            elif executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)
        if stopped:
            raise typer.Exit(143)
        rows = ordered()
        if plot:
            from .. import plotting

            cli.save_plot(plotting.scan_figure(
                rows, plan.fields, fom.value, title=f"{plan.base.get('label') or plan.base['name']} design scan ({plan.method})",
                region=plan.region.description), plot, dpi)
        title = (f"Design scan of {plan.base['name']} ({plan.method}): {len(rows)} rows, "
                 f"{len(kept)} from the earlier run; written to {output}")
        payload = {"metadata": metadata, "output": output, "resumed_rows": len(kept), "rows": rows}
        cli.emit(payload, as_json, _summary_table(rows, plan.fields, title, fom.value))


from ._common import app as _app  # noqa: E402

register(_app)
