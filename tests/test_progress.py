"""Feedback on long work: the kernels report through mudump.progress (no I/O of their own); the
CLI draws one rich display on a terminal and nothing otherwise; mulder draws nothing itself."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np
import pytest
from rich.console import Console

from mudump import cli, progress
from mudump.constants import M_MU
from mudump.production import etl_table
from mudump.production.formfactors import nucleus


class Recorder:
    """A reporter that keeps what it is told."""

    def __init__(self):
        self.events = []

    def start(self, description, total):
        self.events.append(("start", description, total))
        rec = self

        class T:
            def update(self, done, total=None):
                rec.events.append(("update", done, total))

        return T()

    def finish(self, t):
        self.events.append(("finish",))


@pytest.fixture
def tiny_grid(tmp_path, monkeypatch):
    """The ETL/WW ratio grid cut to 4 points per axis (the fewest the cubic interpolation takes)
    and a fresh cache: a real ETL build of a few tenths of a second."""
    monkeypatch.setenv("MUDUMP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(etl_table, "GRID_LN_M", np.linspace(np.log(5e-3), np.log(0.5), 4))
    monkeypatch.setattr(etl_table, "GRID_EPS", np.array([0.1, 1.0, 3.0, 8.0]))
    monkeypatch.setattr(etl_table, "GRID_V", np.array([0.1, 0.4, 0.6, 0.9]))
    etl_table._table.cache_clear()
    yield
    etl_table._table.cache_clear()


def test_without_reporter_a_task_does_nothing(capfd):
    assert progress.current() is None
    with progress.task("work", total=3) as t:
        t.update(1)
        t.update(3)
    assert capfd.readouterr() == ("", "")


def test_etl_build_reports_its_progress(tiny_grid):
    rec = Recorder()
    with progress.reporting(rec):
        table = etl_table.ratio_table(nucleus("Au"), M_MU)
        table.ensure()  # an unshipped table is filled slice by slice, when queries need them
    assert np.isfinite(table.values).all()
    assert rec.events[0] == ("start", "ETL/WW ratio table for Au (tsai): 4 of 4 mass slices, computed once", 4)
    assert rec.events[1:-1] == [("update", i, 4) for i in (1, 2, 3, 4)]
    assert rec.events[-1] == ("finish",)
    # read back from the cache: nothing long to report
    etl_table._table.cache_clear()
    rec2 = Recorder()
    with progress.reporting(rec2):
        etl_table.ratio_table(nucleus("Au"), M_MU).ensure()
    assert rec2.events == []


def _console(terminal):
    return Console(file=io.StringIO(), force_terminal=terminal, width=100)


def test_rich_reporter_draws_only_on_a_terminal():
    for terminal in (True, False):
        con = _console(terminal)
        with progress.reporting(progress.RichReporter(con)):
            with progress.task("building a table", total=2) as t:
                t.update(1)
                t.update(2)
        text = con.file.getvalue()
        assert ("building a table" in text) is terminal
        assert text == "" or terminal


def test_one_display_for_the_scan_and_the_kernels_inside():
    con = _console(True)
    reporter = progress.RichReporter(con)
    with progress.reporting(reporter):
        with progress.rich_session(con) as bar:  # what the CLI's reach/events hold
            scan = bar.add_task("scan", total=10)
            with progress.task("ETL table", total=4):
                assert reporter.progress is bar and len(bar.tasks) == 2
            bar.update(scan, completed=10)
            assert len(bar.tasks) == 1  # the kernel's line is gone when its work ends
    assert reporter.progress is None  # display stopped


def test_cli_no_progress_output_without_a_terminal(tmp_path, capsys, monkeypatch):
    """`mudump xsec` builds an ETL table (gold: not shipped; the computation itself replaced by a
    fast stand-in, the reporting is what is tested): the CLI's reporter is used, yet with stderr
    not a terminal nothing at all is printed there."""
    monkeypatch.setenv("MUDUMP_CACHE_DIR", str(tmp_path / "cache"))
    shape = (etl_table.GRID_LN_M.size, etl_table.GRID_EPS.size, etl_table.GRID_V.size)

    def fast(nuc, m_l, form_factor="tsai", progress=None, slices=None, kind="scalar"):
        for k in range(len(slices)):
            progress(k + 1, len(slices))
        return np.ones(shape)

    monkeypatch.setattr(etl_table, "compute_ratio", fast)
    etl_table._table.cache_clear()
    started = []
    real_start = progress.RichReporter.start

    def spy(self, description, total):
        started.append(description)
        return real_start(self, description, total)

    monkeypatch.setattr(progress.RichReporter, "start", spy)
    with pytest.raises(SystemExit) as exc:
        cli.main(["xsec", "--material", "Au", "--energy", "10", "--mass", "0.05", "--x", "0.5", "--json"])
    out, err = capsys.readouterr()
    assert exc.value.code == 0 and '"sigma_cm2"' in out
    assert any(d.startswith("ETL/WW ratio table for Au (tsai)") for d in started)
    assert err == ""
    etl_table._table.cache_clear()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a pty")
def test_mulder_draws_nothing_on_a_terminal():
    """mulder draws its own progress bars from compiled code, straight to file descriptor 2 and
    only when it is a terminal (so pytest's capfd, a file, would never see them): run a child
    with a pseudo-terminal as stdout and stderr and read everything it writes there."""
    import pty

    code = (
        "import numpy as np\n"
        "from mudump.materials import energy_loss\n"
        "el = energy_loss('W')\n"
        "el.dEdz(np.geomspace(1.0, 100.0, 200000))\n"
        "el.csda_range(np.geomspace(1.0, 100.0, 200000))\n"
        "print('done')\n"
    )
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=120) == 0
    text = b"".join(chunks).decode(errors="replace")
    assert text.strip() == "done", text[:300]
