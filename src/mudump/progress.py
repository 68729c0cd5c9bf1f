"""Progress of long computations, reported by the kernels without any I/O of their own.

A kernel that may take more than a second wraps the work in :func:`task` and calls
``update(done, total)`` on what it gets::

    with progress.task("ETL/WW ratio table for Au", total=15) as t:
        for i in ...:
            ...
            t.update(i + 1)

What happens then is decided at the edge: the reporter held in a context variable. The default
reporter does nothing (library use, tests, web workers: no output at all). The command line
installs a :class:`RichReporter` for the whole command, which draws ONE rich progress display on
stderr, only when stderr is a terminal; every task open at a time (the reach scan and, inside
it, a ratio table being built) is one line of that same display, removed when it ends.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Iterator, Optional, Protocol


class Task(Protocol):
    def update(self, done: float, total: Optional[float] = None) -> None: ...


class Reporter(Protocol):
    def start(self, description: str, total: Optional[float]) -> "Task": ...
    def finish(self, task: "Task") -> None: ...


class _NullTask:
    def update(self, done, total=None) -> None:
        pass


_NULL = _NullTask()
_reporter: ContextVar[Optional[Reporter]] = ContextVar("mudump_progress_reporter", default=None)


def current() -> Optional[Reporter]:
    """The reporter in use (None: progress is not shown)."""
    return _reporter.get()


def install(reporter: Optional[Reporter]) -> Token:
    """Use ``reporter`` from now on in this context; undo with :func:`uninstall`."""
    return _reporter.set(reporter)


def uninstall(token: Token) -> None:
    _reporter.reset(token)


@contextmanager
def reporting(reporter: Optional[Reporter]) -> Iterator[None]:
    """Use ``reporter`` inside the ``with`` block."""
    token = install(reporter)
    try:
        yield
    finally:
        uninstall(token)


@contextmanager
def task(description: str, total: Optional[float] = None) -> Iterator[Task]:
    """A unit of long work, shown by the current reporter (if any) while the block runs.
    ``total`` None: the amount of work is not known (an indeterminate bar)."""
    reporter = _reporter.get()
    if reporter is None:
        yield _NULL
        return
    t = reporter.start(description, total)
    try:
        yield t
    finally:
        reporter.finish(t)


class _RichTask:
    def __init__(self, owner: "RichReporter", task_id):
        self._owner, self.id = owner, task_id

    def update(self, done, total=None) -> None:
        p = self._owner.progress
        if p is not None:
            p.update(self.id, completed=done, **({} if total is None else {"total": total}))


class RichReporter:
    """One rich progress display on ``console`` (drawn only if it is a terminal), live while a
    :meth:`session` or a :func:`task` is open; each open task is one line of it."""

    def __init__(self, console):
        self.console = console
        self.progress = None
        self._open = 0

    def _acquire(self):
        if self._open == 0:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=self.console, transient=True, disable=not self.console.is_terminal,
            )
            if not self.progress.disable:  # a disabled rich < 14.3 display still prints a newline
                self.progress.start()
        self._open += 1
        return self.progress

    def _release(self):
        self._open -= 1
        if self._open == 0:
            if not self.progress.disable:
                self.progress.stop()
            self.progress = None

    @contextmanager
    def session(self):
        """Keep the display up for the block; yields the rich ``Progress`` (add_task/update)."""
        p = self._acquire()
        try:
            yield p
        finally:
            self._release()

    def start(self, description, total):
        p = self._acquire()
        return _RichTask(self, p.add_task(description, total=total))

    def finish(self, t) -> None:
        if self.progress is not None:
            self.progress.remove_task(t.id)
        self._release()


@contextmanager
def rich_session(console):
    """The rich display of the current :class:`RichReporter` (one is installed on ``console``
    for the block if there is none): for edge code that drives its own bars (the CLI's scans)."""
    reporter = _reporter.get()
    if isinstance(reporter, RichReporter):
        with reporter.session() as p:
            yield p
        return
    reporter = RichReporter(console)
    with reporting(reporter), reporter.session() as p:
        yield p
