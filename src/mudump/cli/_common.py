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
from rich.console import Console
from rich.table import Table

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
ModelOpt = Annotated[str, typer.Option("--model", help="A preset (A or leptophilic, B or muonphilic, muonphilic-ps, muonphilic-vector, lmu-ltau, lmu-ltau-dm, muonphilic-dm) or a path to a model TOML file.")]
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


def _fail(message: str) -> None:
    err.print(f"error: {one_line(message)}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _finite(obj):
    """Numpy values as plain Python, refusing NaN/inf (:func:`mudump.jsonio.plain`)."""
    from ..jsonio import plain

    return plain(obj)


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


def _progress():
    """The command's one rich progress display on stderr (drawn only on a terminal), shared with
    the kernels' own tasks (mudump.progress): yields a rich Progress (add_task/update)."""
    from ..progress import rich_session

    return rich_session(err)


def _edge():
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
    from .. import plotting

    with _writing("--plot", plot):
        plotting.save(fig, plot, dpi=dpi)


def _plot_formats():
    from ..plotting import FORMATS

    return tuple(FORMATS)


def _write_reach_output(path: str, results) -> None:
    """Write reach results to CSV (one row per excluded interval) or JSON, by suffix."""
    from pathlib import Path

    p = Path(path)
    if p.suffix.lower() == ".json":
        payload = [r.to_dict() for r in results]
        p.write_text(json.dumps(_finite(payload if len(payload) > 1 else payload[0]), allow_nan=False, indent=1) + "\n")
    elif p.suffix.lower() == ".csv":
        from ..reachio import write_reach_csv

        with p.open("w", newline="") as fh:
            write_reach_csv(fh, results)
    else:
        raise MudumpError(f"--output = {path!r}: the file name must end in .csv or .json")
