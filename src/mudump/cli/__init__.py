"""The ``mudump`` command line: one module per command group, each only parsing, calling the
library and printing (a rich table or --json), as pyhf's ``cli/`` does.

Every user mistake ends with one line ``error: ...`` on stderr and exit code 2; Ctrl-C prints
``interrupted`` (exit code 130).
"""

from __future__ import annotations

import sys

import typer

from ..errors import MudumpError
# each module registers its commands, in the order --help lists them
from . import decays, production, reach, events, scan, serve  # noqa: F401, I001
from . import library  # noqa: F401
from ._common import edge, app, err, one_line

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app; a MudumpError or a malformed command line becomes one line
    ``error: ...`` on stderr and exit code 2 (never a traceback for a user's mistake)."""
    if argv is None:  # the command line's own process (not a call from Python)
        import atexit
        import gc

        # the last exit handler: the objects alive at exit are left out of the final garbage
        # collections, which only free memory the process is about to return anyway (~0.1 s
        # after a plot: matplotlib, numpy and pyparsing's objects); every other exit handler
        # (flushing, temporary files, worker pools) runs before it, as usual
        atexit.register(gc.freeze)
    command = typer.main.get_command(app)
    undo_edge = edge()
    try:
        rv = command.main(args=argv, prog_name="mudump", standalone_mode=False)
    except MudumpError as exc:
        err.print(f"error: {one_line(str(exc))}", markup=False, highlight=False, soft_wrap=True)
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
            message = one_line(exc.format_message().replace("Value error, ", ""))
            err.print(f"error: {message}{hint}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code or 2)
    finally:
        undo_edge()
    if rv == 130:  # typer turns KeyboardInterrupt into Exit(130) itself
        err.print("interrupted", markup=False, highlight=False)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()
