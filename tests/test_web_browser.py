"""The reach explorer in a real browser: `mudump serve` on a free port, Debian's Chromium driven
by Playwright. Skipped when /usr/bin/chromium is missing, unless the environment variable CI is
set (then it must run: .ci/run installs Chromium).

Reference numbers: the library's own reach (mudump.reach.reach) for the edited experiment.
Tolerance 1e-5 relative: the CSV carries 6 significant digits.
"""

from __future__ import annotations

import csv
import io
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mudump.constraints import select
from mudump.reachio import constraint_lines

from .helpers import reach_csv_lines

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("Chromium is not installed at /usr/bin/chromium (set CI to make this a failure)", allow_module_level=True)

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "mudump.cli", "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        line = proc.stdout.readline()  # "mudump reach explorer: http://127.0.0.1:PORT/ ..."
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m and int(m.group(1)) == port, (line, proc.stderr.read() if proc.poll() is not None else "")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        proc.stdout.close()  # pipes closed: no ResourceWarning (warnings are errors in the suite)
        proc.stderr.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "CI is set but /usr/bin/chromium is missing (apt-get install chromium)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _revision(page) -> int:
    return int(page.get_attribute("#plot", "data-revision"))


def _wait_new_plot(page, after: int, timeout=90_000):
    page.wait_for_function(f"Number(document.getElementById('plot').dataset.revision) > {after}", timeout=timeout)


def _contour_edges(page, model: str):
    """(lowest and highest g_mu) of the drawn excluded region of a model, read off the plot."""
    ys = page.evaluate(
        "(m) => document.getElementById('plot').data.filter(t => t.meta === 'model-' + m).flatMap(t => Array.from(t.y))", model)
    assert ys, "no contour drawn"
    return min(ys), max(ys)


@pytest.mark.slow
def test_explorer_in_chromium(server, browser, tmp_path):
    from mudump.experiments import load_experiment, parse_experiment
    from mudump.reach import DEFAULT_COUPLINGS, DEFAULT_MASSES, reach

    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    urls, errors = [], []
    page.on("request", lambda r: urls.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/")
    _wait_new_plot(page, 0)
    assert page.input_value("#preset") == "fnal-mu"
    model = page.evaluate("document.querySelector('#model-checks input:checked').value")
    lo_before, hi_before = _contour_edges(page, model)

    # a 5x thinner target makes fewer S: the lower edge of the excluded region moves up (in the
    # long-lived regime events go as g^4 x production, so the edge moves as production^(-1/4):
    # here by a factor 1.46, the library's number below)
    rev = _revision(page)
    page.fill("#f-target-length_m", "0.3")
    _wait_new_plot(page, rev)
    lo_after, hi_after = _contour_edges(page, model)
    assert lo_after > 1.2 * lo_before, (lo_before, lo_after)
    doc = load_experiment("fnal-mu").model_dump()
    doc["target"]["length_m"] = 0.3
    lib = reach(parse_experiment(doc), model, np.geomspace(*DEFAULT_MASSES), np.geomspace(*DEFAULT_COUPLINGS))
    assert lo_after == pytest.approx(min(iv[0][0] for iv in lib.intervals if iv), rel=1e-6)

    # the CSV download is the library's reach of the edited experiment
    with page.expect_download() as dl:
        page.click("#dl-csv")
    comments, table = reach_csv_lines(Path(dl.value.path()).read_text())
    # the constraints drawn for the model, cited, as the library selects and words them
    assert comments == constraint_lines(select("default", [model], [parse_experiment(doc)])[0])
    rows = list(csv.DictReader(io.StringIO("\n".join(table))))
    expected = [(m, k, lo, hi) for m, ivs in zip(lib.masses, lib.intervals) for k, (lo, hi) in enumerate(ivs)]
    assert len(rows) == len(expected) > 10
    for row, (m, k, lo, hi) in zip(rows, expected):
        assert row["model"] == model and int(row["interval"]) == k
        assert float(row["m_S_GeV"]) == pytest.approx(m, rel=1e-5)
        assert float(row["g_mu_low"]) == pytest.approx(lo, rel=1e-5)
        assert float(row["g_mu_high"]) == pytest.approx(hi, rel=1e-5)

    # an invalid value: the message beside the field, the last good plot stays
    rev = _revision(page)
    page.fill("#f-target-length_m", "-1")
    msg = page.locator('.msg[data-for="experiment.target.length_m"]')
    msg.wait_for(state="visible", timeout=10_000)
    assert "need target.length_m > 0" in msg.inner_text()
    assert _revision(page) == rev and _contour_edges(page, model) == (lo_after, hi_after)
    page.screenshot(path=str(tmp_path / "explorer.png"), full_page=True)

    # the method defaults to each beam's own: an electron dump joins the muon experiment on one
    # plot, computed with phase-space WW beside exact tree level (as the library's reach_set)
    page.fill("#f-target-length_m", "0.35")
    _wait_new_plot(page, rev)
    assert page.input_value("#method") == ""
    rev = _revision(page)
    page.check('#extra-checks input[value="e137"]')
    _wait_new_plot(page, rev)
    got = {r["experiment_index"]: r["method"] for r in page.evaluate("state.last.results")}
    assert got == {0: "etl", 1: "ww"}, got  # the edited fnal-mu, then e137

    assert not errors, errors
    outside = [u for u in urls if not (u.startswith(server + "/") or u.startswith("blob:" + server + "/") or u.startswith("data:"))]
    assert not outside, outside
    page.close()


def _plotted(page, expr: str):
    return page.evaluate(f"(() => {{ const P = document.getElementById('plot'); return {expr}; }})()")


MODEL_FILE = b"""name = "my-vector"
description = "a muon-only vector"
kind = "vector"
[couplings]
mu = 1.0
"""
OVERLAY_FILE = b"""label = "a test limit"
citation = "made up for this test"
confidence_level = 0.9
models = ["*"]
mass_GeV = [0.01, 0.1, 0.5]
coupling = [3e-4, 5e-4, 2e-3]
"""


def test_explorer_does_what_the_cli_does(server, browser, tmp_path):
    """Two experiments, a model file and an overlay file uploaded, the (g-2) band of the model,
    a number that overflows, an axis lock, the spectrum's point on the plot, hover values in
    scientific notation, a non-ASCII name in the downloads, and a link that restores it all."""
    from urllib.parse import unquote

    page = browser.new_page(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/")
    _wait_new_plot(page, 0)
    # model and experiment choice at the top of the page
    assert page.locator("header #preset").count() == 1 and page.locator("header #model-checks input").count() >= 7
    # hover values in scientific notation; the spectrum's point is marked
    assert _plotted(page, "P.layout.xaxis.hoverformat") == ".3e"
    templates = _plotted(page, "P.data.filter(t => t.hovertemplate).map(t => t.hovertemplate)")
    assert templates and all(".3e" in t or ".2e" in t or "%{customdata}" in t for t in templates)
    texts = _plotted(page, "P.data.filter(t => t.customdata).flatMap(t => Array.from(t.customdata))")
    assert texts and all(re.fullmatch(r"\d\.\d\de-?\d+ – \d\.\d\de-?\d+(, .*)?", t) for t in texts), texts[:3]
    point = _plotted(page, "P.data.filter(t => t.meta === 'point').map(t => [t.x[0], t.y[0]])")
    assert point == [[pytest.approx(0.05), pytest.approx(1e-4)]]

    # a second experiment on the plot, and a model file of one's own
    rev = _revision(page)
    page.check('#extra-checks input[value="na64mu"]')
    _wait_new_plot(page, rev)
    rev = _revision(page)
    page.set_input_files("#model-file", files=[{"name": "mine.toml", "mimeType": "text/plain", "buffer": MODEL_FILE}])
    _wait_new_plot(page, rev)
    results = page.evaluate("window.mudumpExplorer.last.results.map(r => [r.experiment, r.model])")
    assert sorted(results) == sorted([["fnal-mu", "A"], ["fnal-mu", "my-vector"], ["na64mu", "A"], ["na64mu", "my-vector"]])
    # the overlay file, drawn under the contours
    rev = _revision(page)
    page.set_input_files("#overlay-file", files=[{"name": "ov.toml", "mimeType": "text/plain", "buffer": OVERLAY_FILE}])
    _wait_new_plot(page, rev)
    assert _plotted(page, "P.data.filter(t => t.meta === 'overlay').length") == 2

    # only the pseudoscalar: no favoured band (it lowers a_mu), the (g-2) limit instead
    rev = _revision(page)
    for box in page.locator("#model-checks input").all():
        box.set_checked(box.get_attribute("value") == "muonphilic-ps")
    page.wait_for_function("window.mudumpExplorer.last.results.every(r => r.model === 'muonphilic-ps')", timeout=90_000)
    assert _plotted(page, "P.data.filter(t => t.meta === 'g2-central').length") == 0
    assert _plotted(page, "P.data.filter(t => t.meta === 'g2-limit').length") == 1
    assert "lowers" in " ".join(_plotted(page, "P.data.filter(t => t.name).map(t => t.name)"))

    # a number that overflows a double: out of range, said beside the field
    rev = _revision(page)
    page.fill("#f-target-length_m", "1e400")
    msg = page.locator('.msg[data-for="experiment.target.length_m"]')
    msg.wait_for(state="visible", timeout=10_000)
    assert "out of range" in msg.inner_text() and "None" not in msg.inner_text()
    rev = _revision(page)
    page.fill("#f-target-length_m", "1.5")
    _wait_new_plot(page, rev)

    # the axis lock keeps the ranges through a redraw that would move them
    page.check("#lock-axes")
    ranges = _plotted(page, "[P.layout.xaxis.range, P.layout.yaxis.range]")
    rev = _revision(page)
    page.fill("#f-beam-muons_on_target", "1e10")
    _wait_new_plot(page, rev)
    assert _plotted(page, "[P.layout.xaxis.range, P.layout.yaxis.range]") == ranges

    # the edited setup pinned: it stays on the plot under a name of its own while the edits go on
    page.click("#pin")
    page.wait_for_function("window.mudumpExplorer.last.experiments.length === 3", timeout=60_000)
    assert page.evaluate("window.mudumpExplorer.last.experiments.map(e => e.name)") == [
        "fnal-mu-edited", "na64mu", "fnal-mu-edited-1"]

    # a Greek mu in the name: the downloads are named with it
    page.click("#experiment-form details summary")
    rev = _revision(page)
    page.fill("#f-name", "\u03bc-dump")
    page.wait_for_function("window.mudumpExplorer.last.experiment.name === '\u03bc-dump'", timeout=60_000)
    for button, suffix in (("#dl-csv", "-reach.csv"), ("#dl-png", "-reach.png")):
        with page.expect_download() as dl:
            page.click(button)
        assert unquote(dl.value.suggested_filename).startswith("\u03bc-dump") and dl.value.suggested_filename.endswith(suffix)
    page.screenshot(path=str(tmp_path / "explorer-full.png"), full_page=True)
    shot = os.environ.get("MUDUMP_SCREENSHOT")
    if shot:
        page.screenshot(path=shot, full_page=True)

    # the link restores the whole page: a new tab draws the same plot
    url = page.url
    assert "#s=" in url
    state = page.evaluate("JSON.stringify(window.mudumpExplorer.lastBody)")
    contour = _plotted(page, "P.data.filter(t => t.meta === 'model-muonphilic-ps').map(t => Array.from(t.y))")
    other = browser.new_page(viewport={"width": 1400, "height": 1100})
    other.goto(url)
    _wait_new_plot(other, 0)
    assert other.evaluate("JSON.stringify(window.mudumpExplorer.lastBody)") == state
    assert other.evaluate("document.getElementById('plot').data.filter(t => t.meta === 'model-muonphilic-ps')"
                          ".map(t => Array.from(t.y))") == contour
    assert other.evaluate("[document.getElementById('plot').layout.xaxis.range, document.getElementById('plot').layout.yaxis.range]") == ranges
    assert other.input_value("#f-name") == "\u03bc-dump" and other.is_checked("#lock-axes")
    assert not errors, errors
    other.close()
    page.close()
