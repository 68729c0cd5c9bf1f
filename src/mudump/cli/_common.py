"""What every command of the ``mudump`` command line shares: the typer app, the consoles, the
option types, output helpers (tables, JSON without NaN), output-path checks and the edges the
kernels report through (warnings, progress).

Every user mistake ends with one line ``error: ...`` on stderr and exit code 2.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Optional

import typer
from enum import Enum
from rich.console import Console
from rich.table import Table

from .. import choices
from ..kinds import KINDS
from ..errors import MudumpError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: flags shown as flags, and no rich import for --help
    help="Light mediators at muon beam dumps: decays, (g-2), production cross sections, energy loss, reach, events, design scans and a browser explorer.",
)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        sys.stdout.write(f"mudump {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_version, help="Print the version and exit.")] = False,
):
    """Light mediators at muon beam dumps: decays, (g-2), production cross sections, energy loss, reach, events, design scans and a browser explorer."""
out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout instead of a table.")]
ExperimentArg = Annotated[str, typer.Argument(help="Experiment preset or path to a TOML file.")]
ModelOpt = Annotated[str, typer.Option("--model", help=choices.model_help())]

#: The options with a fixed set of values are choices (click lists them and refuses others).
Method = Enum("Method", {m: m for m in choices.METHODS}, type=str)
FormFactor = Enum("FormFactor", {f: f for f in choices.FORM_FACTOR_NAMES}, type=str)
Acceptance = Enum("Acceptance", {a: a for a in choices.ACCEPTANCES}, type=str)
FigureOfMerit = Enum("FigureOfMerit", {f: f for f in choices.FIGURES_OF_MERIT}, type=str)
Kind = Enum("Kind", {k: k for k in KINDS}, type=str)
#: The approximations exact tree level is compared with (``mudump ratio --versus``).
Versus = Enum("Versus", {m: m for m in choices.METHODS if m != choices.DEFAULT_METHOD}, type=str)
#: Methods with an angular distribution, which the event generator needs.
EventMethod = Enum("EventMethod", {m: m for m in ("etl", "ww")}, type=str)
MassOpt = Annotated[float, typer.Option("--mass", help="S mass in GeV.")]
CouplingOpt = Annotated[float, typer.Option("--coupling", help="Muon coupling g_mu.")]
DpiOpt = Annotated[int, typer.Option("--dpi", min=50, max=1200, help="Resolution of a PNG plot (dots per inch; the figure is one journal column, 3.4 in wide).")]


#: Longest error line printed (characters): a message echoing a huge value is cut there.
ERROR_MAX_CHARS = 1000


def one_line(message: str) -> str:
    """An error message as one line of at most :data:`ERROR_MAX_CHARS` characters (newlines
    become spaces; a longer message is cut, marked with ``...``): the last guard of the echo
    bound, whatever raised it."""
    text = " ".join(str(message).split("\n"))
    return text if len(text) <= ERROR_MAX_CHARS else text[: ERROR_MAX_CHARS - 3] + "..."


def fail(message: str) -> None:
    err.print(f"error: {one_line(message)}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def finite(obj):
    """Numpy values as plain Python, refusing NaN/inf (:func:`mudump.jsonio.plain`)."""
    from ..jsonio import plain

    return plain(obj)


def emit(payload: dict, as_json: bool, table: Table) -> None:
    payload = finite(payload)
    if as_json:
        sys.stdout.write(json.dumps(payload, allow_nan=False) + "\n")
    else:
        out.print(table)


def fmt(v: float) -> str:
    return f"{v:.4g}"


def columns_table(title: str, headers: tuple[str, str], xs, ys, caption: str) -> Table:
    """A two-column numeric table (x and a value per row)."""
    t = Table(title=title)
    for h in headers:
        t.add_column(h, justify="right")
    for xi, yi in zip(xs, ys):
        t.add_row(f"{float(xi):.4g}", fmt(float(yi)))
    t.caption = caption
    return t


def progress_bar():
    """The command's one rich progress display on stderr (drawn only on a terminal), shared with
    the kernels' own tasks (mudump.progress): yields a rich Progress (add_task/update)."""
    from ..progress import rich_session

    return rich_session(err)


def edge():
    """Install the edges the kernels report through for one command: a cache problem
    (mudump.cache.CacheWarning) is one line ``warning: ...`` on stderr; long work draws on the
    one rich progress display. Returns the function that undoes it."""
    import warnings

    from .. import progress
    from ..errors import MudumpWarning

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


def check_out_path(path: Optional[str], option: str, suffixes) -> None:
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
    if not any(p.name.lower().endswith(s) and len(p.name) > len(s) for s in suffixes):
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


def writing(option: str, path: str):
    """A context in which an OSError while writing ``path`` becomes one MudumpError line."""
    from contextlib import contextmanager

    @contextmanager
    def guard():
        try:
            yield
        except OSError as exc:
            raise MudumpError(f"{option} = {path!r}: could not be written ({exc.strerror or exc})") from None

    return guard()


def save_plot(fig, plot: str, dpi: int) -> None:
    from .. import plotting

    with writing("--plot", plot):
        plotting.save(fig, plot, dpi=dpi)


def plot_formats():
    from ..plotting import FORMATS

    return tuple(FORMATS)


def write_reach_output(path: str, reach_set) -> None:
    """Write a reach set (:class:`mudump.reach.ReachSet`) to CSV (one row per excluded interval)
    or JSON (the document of ``--json``), by suffix."""
    from pathlib import Path

    p = Path(path)
    if p.suffix.lower() == ".json":
        p.write_text(json.dumps(reach_set.to_json_document(), allow_nan=False, indent=1) + "\n")
    elif p.suffix.lower() == ".csv":
        from ..reachio import write_reach_csv

        with p.open("w", newline="") as fh:
            write_reach_csv(fh, reach_set.results, reach_set.constraints)
    else:
        raise MudumpError(f"--output = {path!r}: the file name must end in .csv or .json")
