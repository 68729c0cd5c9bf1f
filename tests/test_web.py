"""The web API of the reach explorer (mudump.web.app) through FastAPI's test client, plus one
real uvicorn server for the concurrency check.

Reference numbers are the library's own (mudump.reach.reach, mudump.signal.experiment_spectrum,
ScalarModel.decay_length, the CLI's CSV writer and figures), computed here in the same process:
the API must hand back exactly what the library computes. Tolerances: 1e-6 relative (the
project's floor for anything that goes through scipy numerics), although the numbers are
expected to be identical.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
import socket
import threading
import time
import tomllib

import numpy as np
import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from mudump import reach as reachmod  # noqa: E402
from mudump.errors import ConfigError  # noqa: E402
from mudump.experiments import load_experiment, parse_experiment  # noqa: E402
from mudump.models import get_model  # noqa: E402
from mudump.web.app import LIMITS, create_app  # noqa: E402

from .helpers import reach_csv_lines  # noqa: E402

#: A small grid keeps the tests fast: NA64-mu's tables are cheap (0.2 m Pb).
GRID = {"mass_min_GeV": 0.005, "mass_max_GeV": 0.5, "n_masses": 8, "coupling_min": 1e-7, "coupling_max": 1.0, "n_couplings": 40}
REL = 1e-6


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


def _grid():
    return np.geomspace(GRID["mass_min_GeV"], GRID["mass_max_GeV"], GRID["n_masses"]), np.geomspace(
        GRID["coupling_min"], GRID["coupling_max"], GRID["n_couplings"])


def _doc(name="na64mu"):
    return load_experiment(name).model_dump(mode="json", exclude_none=True)


def _same_intervals(api, lib):
    assert len(api) == len(lib)
    for a, b in zip(api, lib):
        assert len(a) == len(b)
        for (lo_a, hi_a), (lo_b, hi_b) in zip(a, b):
            assert lo_a == pytest.approx(lo_b, rel=REL) and hi_a == pytest.approx(hi_b, rel=REL)


def test_lists(client):
    exps = client.get("/api/experiments").json()["presets"]
    assert {"fnal-mu", "na64mu"} <= {e["name"] for e in exps}
    models = client.get("/api/models").json()["models"]
    assert {("A", "leptophilic"), ("B", "muonphilic")} <= {(m["name"], m["alias"]) for m in models}
    methods = client.get("/api/methods").json()
    assert {m["name"] for m in methods["methods"]} == {"etl", "ww", "iww"} and methods["default"] == "etl"
    g2 = client.get("/api/g2/presets").json()
    assert g2["default"] in {p["name"] for p in g2["presets"]}
    schema = client.get("/api/schema/experiment").json()
    assert {"beam", "target", "downstream", "signature", "statistics"} <= set(schema["properties"])
    assert client.get("/api/experiments/na64mu").json() == _doc()
    assert client.get("/api/experiments/nope").status_code == 422
    page = client.get("/")
    assert page.status_code == 200 and "/static/vendor/plotly.min.js" in page.text
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    assert client.get("/static/vendor/plotly.min.js").status_code == 200


@pytest.mark.parametrize("models", [["A"], ["B", "leptophilic"]])
def test_reach_matches_library(client, models):
    doc = _doc()
    doc["beam"]["muons_on_target"] = 4e12
    r = client.post("/api/reach", json={"experiment": doc, "models": models, **GRID})
    assert r.status_code == 200, r.text
    out = r.json()
    masses, couplings = _grid()
    exp = parse_experiment(doc)
    assert [res["model"] for res in out["results"]] == [get_model(m).name for m in models]
    for res in out["results"]:
        lib = reachmod.reach(exp, res["model"], masses, couplings)
        assert res["masses_GeV"] == pytest.approx(lib.masses.tolist(), rel=REL)  # the grid and the decay thresholds
        assert res["muons_on_target"] == 4e12
        _same_intervals(res["intervals"], lib.intervals)
        # the contour is mudump.plotting's outline of those intervals: every lower edge is a vertex
        ys = np.concatenate([c["g_mu"] for c in res["outlines"]])
        for iv in lib.intervals:
            if iv:
                assert np.min(np.abs(ys / iv[0][0] - 1)) < REL
    assert out["g2"]["preset"] == client.get("/api/g2/presets").json()["default"]


def test_reach_csv_and_png_are_the_clis(client, tmp_path, capsys):
    from mudump.cli import main

    body = {"experiment": "na64mu", "models": ["A"], **GRID}
    csv_api = client.post("/api/reach.csv", json=body)
    assert csv_api.status_code == 200 and csv_api.headers["content-type"].startswith("text/csv")
    out = tmp_path / "cli.csv"
    plot = tmp_path / "cli.png"
    args = ["reach", "na64mu", "--model", "A", "--output", str(out), "--plot", str(plot),
            "--mass-min", str(GRID["mass_min_GeV"]), "--mass-max", str(GRID["mass_max_GeV"]), "--n-masses", str(GRID["n_masses"]),
            "--coupling-min", str(GRID["coupling_min"]), "--coupling-max", str(GRID["coupling_max"]),
            "--n-couplings", str(GRID["n_couplings"])]
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 0, capsys.readouterr().err
    assert csv_api.text.replace("\r\n", "\n") == out.read_text().replace("\r\n", "\n")
    png_api = client.post("/api/reach.png", json=body)
    assert png_api.status_code == 200 and png_api.content[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image as mpimg

    a = mpimg.imread(tmp_path.joinpath("api.png").write_bytes(png_api.content) and tmp_path / "api.png")
    b = mpimg.imread(plot)
    assert a.shape == b.shape and np.array_equal(a, b)


def test_stream_gives_progress_then_the_result(client):
    body = {"experiment": "na64mu", "models": ["A"], **GRID, "n_masses": 5}
    with client.stream("POST", "/api/reach/stream", json=body) as s:
        assert s.status_code == 200
        lines = [json.loads(x) for x in s.iter_lines() if x.strip()]
    assert all("progress" in x for x in lines[:-1]) and "result" in lines[-1]
    done = [x["progress"][0] for x in lines[:-1]]
    assert done == sorted(done) and lines[-2]["progress"] == [5, 5]
    plain = client.post("/api/reach", json=body).json()
    assert lines[-1]["result"]["results"][0]["intervals"] == plain["results"][0]["intervals"]


def test_toml_download_is_read_unchanged_by_the_cli(client, tmp_path, capsys):
    from mudump.cli import main

    doc = _doc()
    doc.update(name="my-setup", label="my setup")
    doc["target"]["length_m"] = 0.35
    doc["downstream"].update(shield_length_m=1.0, shape="cylinder", radius_m=0.4)
    doc["statistics"]["background"] = 0.5
    r = client.post("/api/experiment.toml", json={"experiment": doc})
    assert r.status_code == 200 and 'filename="my-setup.toml"' in r.headers["content-disposition"]
    path = tmp_path / "my-setup.toml"
    path.write_text(r.text)
    assert load_experiment(path) == parse_experiment(doc)
    assert tomllib.loads(r.text)["downstream"]["radius_m"] == 0.4
    with pytest.raises(SystemExit) as exc:
        main(["reach", str(path), "--model", "B", "--n-masses", "2", "--n-couplings", "20", "--mass-min", "0.01",
              "--mass-max", "0.1", "--json"])
    cap = capsys.readouterr()
    assert exc.value.code == 0, cap.err
    assert json.loads(cap.out)["experiment"] == "my-setup"


@pytest.mark.parametrize("section, key, value, field", [
    ("target", "length_m", -0.2, "experiment.target.length_m"),
    ("signature", "e_cut_GeV", 200.0, "experiment.signature.e_cut_GeV"),  # above the 160 GeV beam
    ("target", "material", "unobtainium", "experiment.target.material"),
    ("beam", "muons_on_target", "lots", "experiment.beam.muons_on_target"),
])
def test_invalid_experiment_is_refused_like_the_cli(client, section, key, value, field):
    doc = _doc()
    doc[section][key] = value
    with pytest.raises(ConfigError) as cli_error:
        parse_experiment(doc)
    for url in ("/api/reach", "/api/experiment/validate", "/api/experiment.toml", "/api/reach.csv"):
        r = client.post(url, json={"experiment": doc} | ({**GRID} if "reach" in url else {}))
        assert r.status_code == 422, url
        body = r.json()
        assert body["error"] == str(cli_error.value)  # the same one line as `mudump reach file.toml`
        assert [f["field"] for f in body["fields"]] == [field]


def test_bounds_and_bad_requests_get_4xx_and_the_server_carries_on(client):
    bad = [
        ({"n_masses": LIMITS["n_masses"] + 1}, 422, "n_masses"),
        ({"n_couplings": LIMITS["n_couplings"] + 1}, 422, "n_couplings"),
        ({"models": ["A", "B", "lmu-ltau", "muonphilic-ps", "muonphilic-vector"]}, 422, "models"),
        ({"models": ["/etc/passwd.toml"]}, 422, "model"),
        ({"models": []}, 422, "models"),
        ({"models": ["C"]}, 422, "model"),
        ({"method": "magic"}, 422, "method"),
        ({"mass_min_GeV": 2.0}, 422, "mass_min_GeV"),
        ({"mass_min_GeV": 0.5, "mass_max_GeV": 0.1}, 422, "mass_max_GeV"),
        ({"coupling_min": 0.0}, 422, "coupling_min"),
        ({"experiment": "/etc/passwd"}, 422, "experiment"),  # a preset name, never a server path
        ({"experiment": "../src/mudump/experiments/presets/na64mu.toml"}, 422, "experiment"),
        ({"experiment": 3}, 422, "experiment"),
        ({"unknown_option": 1}, 422, "unknown_option"),
        ({"preset": "nope"}, 422, "preset"),
    ]
    for body, status, field in bad:
        r = client.post("/api/reach", json=body)
        assert r.status_code == status, (body, r.text)
        assert field in r.json()["error"] or field in [f["field"] for f in r.json()["fields"]], (body, r.json())
    r = client.post("/api/reach", content=b'{"n_masses": NaN}', headers={"content-type": "application/json"})
    assert r.status_code == 422
    r = client.post("/api/reach", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400
    big = json.dumps({"experiment": {"name": "x" * (LIMITS["body_bytes"] + 10)}}).encode()
    r = client.post("/api/reach", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    r = client.post("/api/reach", content=iter([big[:40000], big[40000:]]), headers={"content-type": "application/json"})
    assert r.status_code == 413  # chunked, no Content-Length
    r = client.post("/api/spectrum", json={"experiment": "na64mu", "mass_GeV": 0.1, "coupling": 1e-4, "bins": LIMITS["bins"] + 1})
    assert r.status_code == 422
    r = client.post("/api/decay-length", json={"mass_GeV": 3.0, "coupling": 1e-4})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "mass_GeV"
    assert client.get("/api/nothing-here").status_code == 404
    assert client.get("/static/../../pyproject.toml").status_code == 404
    assert client.post("/api/reach", json={"experiment": "na64mu", **GRID}).status_code == 200


def test_spectrum_and_decay_length_match_library(client):
    from mudump import signal

    r = client.post("/api/spectrum", json={"experiment": "na64mu", "model": "B", "mass_GeV": 0.1, "coupling": 3e-4, "bins": 7})
    assert r.status_code == 200
    d = r.json()
    exp = load_experiment("na64mu")
    edges = np.linspace(exp.signature.e_cut_GeV, exp.beam.energy_GeV, 8)
    lib = signal.experiment_spectrum(exp, "B", 0.1, 3e-4, edges)
    assert d["bin_edges_GeV"] == pytest.approx(edges.tolist(), rel=REL)
    assert d["events"] == pytest.approx(lib.tolist(), rel=REL)
    r = client.post("/api/decay-length", json={"model": "A", "mass_GeV": 0.05, "coupling": 1e-3, "n_energies": 5})
    d = r.json()
    assert d["decay_length_m"] == pytest.approx(get_model("A").decay_length(np.array(d["E_S_GeV"]), 0.05, 1e-3).tolist(), rel=REL)
    for url in ("/api/spectrum.png", "/api/decay-length.png"):
        body = {"experiment": "na64mu", "mass_GeV": 0.1, "coupling": 3e-4} if "spectrum" in url else {"mass_GeV": 0.1, "coupling": 3e-4}
        r = client.post(url, json=body)
        assert r.status_code == 200 and r.content[:4] == b"\x89PNG"


def test_host_header_checked_when_asked():
    with TestClient(create_app(allowed_hosts=["127.0.0.1", "localhost"]), base_url="http://127.0.0.1") as c:
        assert c.get("/api/health").status_code == 200
        assert c.get("/api/health", headers={"host": "attacker.example"}).status_code == 400


def test_serve_binds_loopback_by_default():
    from mudump.cli.serve import is_loopback, serve

    import inspect

    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _served(app):
    """The app on a uvicorn server in a thread on a free loopback port (yielded), stopped after."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.slow
def test_twenty_concurrent_reach_requests_over_http():
    """20 requests at once on a real server (4 distinct setups, 5 times each): every answer is
    the library's for its setup, and each setup is computed once (the cache's in-flight sharing)."""
    import httpx

    app = create_app()
    with _served(app) as port:
        setups = []
        for mot, cl, bkg in ((1e12, 0.9, 0.0), (2e12, 0.9, 0.0), (1e12, 0.95, 2.5), (5e11, 0.68, 0.0)):
            doc = _doc()
            doc["beam"]["muons_on_target"] = mot
            doc["statistics"].update(confidence_level=cl, background=bkg)
            setups.append(doc)
        answers = [None] * 20

        def ask(i):
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as c:
                answers[i] = c.post("/api/reach", json={"experiment": setups[i % 4], "models": ["A"], **GRID})

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        masses, couplings = _grid()
        expected = [reachmod.reach(parse_experiment(d), "A", masses, couplings) for d in setups]
        for i, r in enumerate(answers):
            assert r is not None and r.status_code == 200
            res = r.json()["results"][0]
            assert res["muons_on_target"] == setups[i % 4]["beam"]["muons_on_target"]
            assert res["cl"] == setups[i % 4]["statistics"]["confidence_level"]
            _same_intervals(res["intervals"], expected[i % 4].intervals)
        cache = app.state.reach_cache
        assert len(cache) == 4 and cache.misses == 4 and cache.hits == 16
        assert cache.rescaled == 3  # one scan, the three other setups derived from it (muons, CL, background)


# ----------------------------------------------------------------------------------------------
# one answer whatever the order of the requests: the explorer's reuse of a scan
# (mudump.reach.rescaled) against the library's fresh reach of each setup


def _na64_doc(**changes):
    doc = _doc()
    for path, value in changes.items():
        sec, key = path.split("__")
        doc[sec][key] = value
    return doc


#: The explorer's wrong answer: after NA64-mu with model B, this recast used the Poisson limit
#: of b = 0.5 (1.80 events) instead of the experiment's CLs limit (19.45 events).
RECAST = dict(statistics__efficiency=0.25, statistics__observed=2, statistics__background=0.5,
              statistics__background_uncertainty=0.2)
SETUPS = {
    "preset": {},
    "recast": RECAST,
    "more muons": dict(beam__muons_on_target=4e13),
    "projection with background": dict(statistics__background=3.0, statistics__confidence_level=0.95),
}


@pytest.mark.parametrize("order", [
    ["preset", "recast"],
    ["recast", "preset"],
    ["recast"],
    ["more muons", "recast", "preset", "projection with background", "recast"],
    ["projection with background", "more muons", "recast"],
])
def test_statistics_edits_give_the_fresh_answer_in_any_order(order):
    masses, couplings = _grid()
    with TestClient(create_app()) as c:
        for name in order:
            doc = _na64_doc(**SETUPS[name])
            r = c.post("/api/reach", json={"experiment": doc, "models": ["B"], **GRID})
            assert r.status_code == 200, r.text
            res = r.json()["results"][0]
            lib = reachmod.reach(parse_experiment(doc), "B", masses, couplings)
            assert res["signal_events_limit"] == pytest.approx(lib.n_up, rel=1e-9), name
            assert res["limit_method"] == lib.limit.method and res["expected_limit"] == lib.limit.expected
            _same_intervals(res["intervals"], lib.intervals)
            if lib.intervals_band:
                for k, ivs in lib.intervals_band.items():
                    _same_intervals(res["intervals_expected_band"][k], ivs)
            else:
                assert "intervals_expected_band" not in res
            if name == "recast":
                assert res["limit_method"] == "cls" and res["signal_events_limit"] == pytest.approx(19.45, abs=0.01)
        # every later new setup reused the first scan; a repeated one is a cache hit
        assert c.app.state.reach_cache.rescaled == len(set(order)) - 1


@pytest.mark.parametrize("models", [["muonphilic-ps"], ["lmu-ltau"], ["B"], ["lmu-ltau", "B"], ["A", "muonphilic-ps"]])
def test_g2_band_is_the_models(client, models):
    """The band drawn is mudump.g2.band for the first model (as the CLI's plot): none for a
    pseudoscalar (it lowers a_mu), the vector's for lmu-ltau (not the scalar's)."""
    from mudump import g2

    r = client.post("/api/reach", json={"experiment": "na64mu", "models": models, "preset": "fnal2021", **GRID})
    assert r.status_code == 200, r.text
    band = r.json()["g2"]
    lib = g2.band(np.array(band["m_S_GeV"]), "fnal2021", model=get_model(models[0]))
    assert band["favoured"] == lib["favoured"] and band["sign"] == lib["sign"]
    for k in ("central", "lo1", "hi1", "lo2", "hi2", "upper_limit"):
        assert band[k] == pytest.approx(lib[k].tolist(), rel=1e-12)
    if models[0] == "muonphilic-ps":
        assert not band["favoured"] and band["sign"] == -1 and max(band["central"]) == 0
    if models[0] == "lmu-ltau":
        scalar = g2.band(np.array(band["m_S_GeV"]), "fnal2021")
        assert band["favoured"] and abs(band["central"][0] / scalar["central"][0] - 1) > 0.1
    direct = client.post("/api/g2/band", json={"preset": "fnal2021", "model": models[0]}).json()
    lib = g2.band(np.array(direct["m_S_GeV"]), "fnal2021", model=get_model(models[0]))
    assert direct["upper_limit"] == pytest.approx(lib["upper_limit"].tolist(), rel=1e-12)


# ----------------------------------------------------------------------------------------------
# what the CLI does, the explorer does


def _cli(args, capsys):
    from mudump.cli import main

    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 0, capsys.readouterr().err


def _grid_args():
    return ["--mass-min", str(GRID["mass_min_GeV"]), "--mass-max", str(GRID["mass_max_GeV"]),
            "--n-masses", str(GRID["n_masses"]), "--coupling-min", str(GRID["coupling_min"]),
            "--coupling-max", str(GRID["coupling_max"]), "--n-couplings", str(GRID["n_couplings"])]


OVERLAY = """label = "a test limit"
citation = "made up for this test"
confidence_level = 0.9
models = ["B"]
shape = "limit"
mass_GeV = [0.01, 0.1, 0.5]
coupling = [3e-4, 5e-4, 2e-3]
"""


def test_two_experiments_overlay_and_g2e_are_the_clis(client, tmp_path, capsys):
    """The README's figure: two experiments on one plot, with an overlay file and the (g-2)_e
    region: the CSV and the PNG are byte for byte those of `mudump reach na64mu fnal-mu ...`."""
    (tmp_path / "ov.toml").write_text(OVERLAY)
    body = {"experiment": "na64mu", "experiments": ["fnal-mu"], "models": ["A"], "preset_e": "cs2018",
            "overlays": [{"name": "ov.toml", "toml": OVERLAY.replace('["B"]', '["A"]')}], **GRID}
    (tmp_path / "ov.toml").write_text(body["overlays"][0]["toml"])
    out = client.post("/api/reach", json=body)
    assert out.status_code == 200, out.text
    d = out.json()
    assert [(r["experiment"], r["model"]) for r in d["results"]] == [("na64mu", "A"), ("fnal-mu", "A")]
    masses, couplings = _grid()
    for res, name in zip(d["results"], ("na64mu", "fnal-mu")):
        _same_intervals(res["intervals"], reachmod.reach(name, "A", masses, couplings).intervals)
    from mudump import g2

    lim = g2.electron_limit(np.array(d["g2_e"]["m_S_GeV"]), get_model("A"), "cs2018")
    assert d["g2_e"]["limit"] == pytest.approx(lim.tolist(), rel=1e-12)
    assert d["overlays"][0]["label"] == "a test limit" and d["overlays"][0]["coupling"] == [3e-4, 5e-4, 2e-3]
    _cli(["reach", "na64mu", "fnal-mu", "--model", "A", "--preset-e", "cs2018", "--overlay", str(tmp_path / "ov.toml"),
          "--output", str(tmp_path / "cli.csv"), "--plot", str(tmp_path / "cli.png"), *_grid_args()], capsys)
    csv_api = client.post("/api/reach.csv", json=body)
    assert csv_api.text.replace("\r\n", "\n") == (tmp_path / "cli.csv").read_text().replace("\r\n", "\n")
    import matplotlib.image as mpimg

    (tmp_path / "api.png").write_bytes(client.post("/api/reach.png", json=body).content)
    a, b = mpimg.imread(tmp_path / "api.png"), mpimg.imread(tmp_path / "cli.png")
    assert a.shape == b.shape and np.array_equal(a, b)
    # an overlay for another model is not drawn, and the answer says so
    other = client.post("/api/reach", json={**body, "overlays": [{"name": "ov.toml", "toml": OVERLAY}]}).json()
    assert other["overlays"] == [] and "not drawn" in other["warnings"][0]


USER_MODEL = """name = "my-vector"
description = "a muon-only vector with a dark sector"
kind = "vector"
[couplings]
mu = 1.0
[dark_sector]
chi_mass_ratio = 0.25
alpha_D = 0.1
"""


def test_uploaded_model_file_is_read_as_the_cli_reads_it(client, tmp_path):
    import tomllib

    from mudump.models import get_model, parse_model

    r = client.post("/api/reach", json={"experiment": "na64mu", "models": [{"name": "mine.toml", "toml": USER_MODEL}],
                                        **GRID})
    assert r.status_code == 200, r.text
    res = r.json()["results"][0]
    assert res["model"] == "my-vector" and res["model_kind"] == "vector"
    masses, couplings = _grid()
    path = tmp_path / "mine.toml"
    path.write_text(USER_MODEL)
    lib = reachmod.reach("na64mu", get_model(path), masses, couplings)
    _same_intervals(res["intervals"], lib.intervals)
    assert parse_model(tomllib.loads(USER_MODEL)).kind == "vector"
    assert r.json()["g2"]["favoured"] is not None
    body = {"experiment": "na64mu", "models": [{"name": "mine.toml", "toml": USER_MODEL}], **GRID}
    rows = reach_csv_lines(client.post("/api/reach.csv", json=body).text)[1]
    assert len(rows) > 1 and all(row.split(",")[1] == "my-vector" for row in rows[1:])
    png = client.post("/api/reach.png", json=body)
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    for path_like in ("/etc/passwd", "../x.toml", "mine.toml", "", "???", " "):
        bad = client.post("/api/reach", json={"experiment": "na64mu", "models": [path_like], **GRID})
        assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "models.0", path_like
    bad = client.post("/api/model/validate", json={"model": {"name": "b.toml", "toml": "kind = 'vector"}})
    assert bad.status_code == 422 and bad.json()["error"].startswith("model file b.toml: not valid TOML")
    bad = client.post("/api/model/validate", json={"model": {"name": "c.toml", "toml": USER_MODEL.replace("vector", "tensor")}})
    assert bad.status_code == 422 and "kind" in bad.json()["error"] and "c.toml" in bad.json()["error"]
    ok = client.post("/api/model/validate", json={"model": {"name": "mine.toml", "toml": USER_MODEL}}).json()
    assert ok["model"]["name"] == "my-vector" and ok["model"]["spin"] == 1
    r = client.post("/api/spectrum", json={"experiment": "na64mu", "model": {"name": "mine.toml", "toml": USER_MODEL},
                                           "mass_GeV": 0.1, "coupling": 3e-4, "bins": 5})
    assert r.status_code == 200 and r.json()["model"] == "my-vector"


def test_mc_acceptance_is_the_librarys(client):
    masses = np.geomspace(0.01, 0.1, 2)
    body = {"experiment": "na64mu", "models": ["B"], "acceptance": "mc", "mc_events": 2000,
            **GRID, "mass_min_GeV": 0.01, "mass_max_GeV": 0.1, "n_masses": 2}
    r = client.post("/api/reach", json=body)
    assert r.status_code == 200, r.text
    res = r.json()["results"][0]
    lib = reachmod.reach("na64mu", "B", masses, _grid()[1], acceptance="mc", mc_events=2000, seed=1)
    assert res["acceptance"] == "mc"
    _same_intervals(res["intervals"], lib.intervals)
    bad = client.post("/api/reach", json={**body, "method": "iww"})
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "acceptance"


def test_downloads_of_a_non_ascii_name_and_of_an_edited_preset(client):
    from urllib.parse import quote

    doc = _doc()
    doc["name"] = "\u03bc-dump"
    for url, suffix in (("/api/reach.csv", "-reach.csv"), ("/api/reach.png", "-reach.png"), ("/api/experiment.toml", ".toml")):
        r = client.post(url, json={"experiment": doc} | (GRID if "reach" in url else {}))
        assert r.status_code == 200, (url, r.text)
        cd = r.headers["content-disposition"]
        assert f"filename*=UTF-8''{quote(doc['name'] + suffix)}" in cd and f'filename="-dump{suffix}"' in cd
        assert cd.isascii()
    # an edited preset is renamed and described as edited (its description was the preset's)
    doc = _doc()
    doc["target"]["length_m"] = 0.3
    toml = client.post("/api/experiment.toml", json={"experiment": doc})
    d = tomllib.loads(toml.text)
    assert d["name"] == "na64mu-edited" and d["label"].endswith("(edited)")
    assert "target.length_m = 0.3 (preset: 0.2)" in d["description"]
    assert 'filename="na64mu-edited.toml"' in toml.headers["content-disposition"]
    csv_text = client.post("/api/reach.csv", json={"experiment": doc, **GRID}).text
    assert reach_csv_lines(csv_text)[1][1].startswith("na64mu-edited,")
    same = client.post("/api/experiment.toml", json={"experiment": _doc()})
    assert tomllib.loads(same.text)["name"] == "na64mu"  # the preset itself, unedited


def test_an_overflowing_number_is_out_of_range(client):
    body = b'{"experiment": {"name": "x", "beam": {"energy_GeV": 1e400, "muons_on_target": 1e13}, ' \
           b'"target": {"material": "W", "length_m": 0.5}, "downstream": {"length_m": 3.0}, ' \
           b'"signature": {"kind": "displaced-decay"}}}'
    r = client.post("/api/experiment/validate", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["fields"][0] == {"field": "experiment.beam.energy_GeV", "message": "must be a finite number, not inf"}
    assert r.json()["error"] == "experiment: beam.energy_GeV: must be a finite number, not inf"  # the CLI's words
    assert "None" not in r.json()["error"]


def test_docs_state_the_servers_limits():
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs" / "web.md").read_text()
    for key, words in (("models", "models"), ("experiments", "experiments"), ("n_masses", "masses")):
        assert f"{LIMITS[key]} {words}" in text, key


@pytest.mark.parametrize("where, label", [("experiment", "$\\frac{$"), ("experiment", "$\\undefinedcmd$"),
                                          ("model", "$\\frac{$"), ("overlay", "$\\undefinedcmd$")])
def test_a_label_the_plot_cannot_draw_is_refused_at_the_door(client, where, label):
    """A mathtext mistake in a label would fail only when the PNG is drawn (a 500): refused when
    the request is read, naming the field, for the JSON, CSV and PNG alike."""
    body = {"experiment": "na64mu", **GRID}
    field = {"experiment": "experiment.label", "model": "models.0", "overlay": "overlays.0"}[where]
    if where == "experiment":
        doc = _doc()
        doc["label"] = label
        body["experiment"] = doc
    elif where == "model":
        toml = USER_MODEL.replace('kind = "vector"', f"kind = \"vector\"\ncoupling_label = '{label}'")
        body["models"] = [{"name": "m.toml", "toml": toml}]
    else:
        body["overlays"] = [{"name": "ov.toml", "toml": OVERLAY.replace('"a test limit"', f"'{label}'")}]
    for url in ("/api/reach", "/api/reach.csv", "/api/reach.png"):
        r = client.post(url, json=body)
        assert r.status_code == 422, (url, r.text)
        assert r.json()["fields"][0]["field"].startswith(field) and "mathtext" in r.json()["error"]
        assert "\n" not in r.json()["error"]


@pytest.mark.parametrize("experiments, model, statistics", [
    (["na64mu", "fnal-mu"], "B", None),
    (["fnal-mu"], "A", None),
    (["na64mu"], "B", {"observed": 2, "background": 0.5, "background_uncertainty": 0.2, "efficiency": 0.25}),
])
def test_the_explorer_json_is_the_cli_json(tmp_path, capsys, experiments, model, statistics):
    """The same question through `mudump reach --json` and POST /api/reach: every field of the
    CLI's answer is in the explorer's with the same value (the recast asked after the plain
    setup, so that the explorer reuses the scan: 1e-9, the tolerance of mudump.reach.rescaled's
    test; otherwise identical)."""
    docs = []
    for name in experiments:
        doc = _doc(name)
        if statistics:
            doc["statistics"].update(statistics)
            doc["name"] = f"{name}-recast"  # named by the user: kept as is
        docs.append(doc)
    paths = []
    for doc in docs:
        p = tmp_path / f"{doc['name']}.toml"
        import tomli_w

        p.write_text(tomli_w.dumps(doc))
        paths.append(str(p))
    _cli(["reach", *paths, "--model", model, "--json", *_grid_args()], capsys)
    cli = json.loads(capsys.readouterr().out)
    cli = cli if isinstance(cli, list) else [cli]
    with TestClient(create_app()) as c:
        if statistics:  # the plain setup first: the recast is then derived from its scan
            assert c.post("/api/reach", json={"experiment": _doc(experiments[0]), "models": [model], **GRID}).status_code == 200
        r = c.post("/api/reach", json={"experiment": docs[0], "experiments": docs[1:], "models": [model], **GRID})
        assert r.status_code == 200, r.text
        web = r.json()["results"]
        assert c.app.state.reach_cache.rescaled == (1 if statistics else 0)
    assert len(web) == len(cli)
    for w, k in zip(web, cli):
        for key, value in k.items():
            if key == "overlays":
                continue
            if statistics:
                _close(w[key], value, key)
            else:
                assert w[key] == value, key


def _close(a, b, where, rel=1e-9):
    """a == b, numbers to ``rel`` relative, through nested lists and dicts."""
    if isinstance(b, dict):
        assert isinstance(a, dict) and set(a) == set(b), where
        for k in b:
            _close(a[k], b[k], f"{where}.{k}", rel)
    elif isinstance(b, list):
        assert isinstance(a, list) and len(a) == len(b), where
        for k, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{where}[{k}]", rel)
    elif isinstance(b, float) and not isinstance(b, bool):
        assert a == pytest.approx(b, rel=rel), where
    else:
        assert a == b, where


def test_a_long_value_is_not_echoed_whole(client):
    doc = _doc()
    doc["beam"]["muons_on_target"] = "9" * 50_000
    r = client.post("/api/experiment/validate", json={"experiment": doc})
    assert r.status_code == 422
    f = r.json()["fields"][0]
    assert f["field"] == "experiment.beam.muons_on_target" and len(f["message"]) < 200 and "..." in f["message"]
    r = client.post("/api/reach", json={"experiment": "x" * 150, "models": ["y" * 150], **GRID})
    assert r.status_code == 422 and len(r.json()["error"]) < 400


def test_a_stream_whose_client_leaves_stops_and_is_not_kept(monkeypatch, tmp_path):
    """The page asks something else while production tables are computed: the abandoned
    computation stops at the next mass (the server is free for the new question) and leaves
    nothing in the cache; asked again, the setup gives the library's answer. (An empty cache
    directory: the tables are computed, not read, so the computation outlasts the first line.)"""
    import httpx

    monkeypatch.setenv("MUDUMP_CACHE_DIR", str(tmp_path))
    app = create_app()
    with _served(app) as port:
        doc = _doc("fnal-mu")
        doc["target"]["length_m"] = 0.6123  # new production tables at every mass: seconds of work
        body = {"experiment": doc, "models": ["A"], **GRID, "n_masses": 30}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as c:
            with c.stream("POST", "/api/reach/stream", json=body) as s:
                first = json.loads(next(s.iter_lines()))
                assert "progress" in first and first["progress"][0] < first["progress"][1]
            # the client has gone: the computation stops within a mass or two
            cache = app.state.reach_cache
            for _ in range(400):
                if cache.cancelled:
                    break
                time.sleep(0.05)
            assert cache.cancelled == 1 and len(cache) == 0
            quick = c.post("/api/reach", json={"experiment": "na64mu", "models": ["A"], **GRID})
            assert quick.status_code == 200
            again = c.post("/api/reach", json=body)
            assert again.status_code == 200
        masses = np.geomspace(GRID["mass_min_GeV"], GRID["mass_max_GeV"], 30)
        lib = reachmod.reach(parse_experiment(doc), "A", masses, _grid()[1])
        _same_intervals(again.json()["results"][0]["intervals"], lib.intervals)


@pytest.mark.parametrize("body, field", [
    ({"mass_min_GeV": 1e-300}, "mass_min_GeV"),
    ({"mass_min_GeV": 0.5, "mass_max_GeV": 0.1}, "mass_max_GeV"),
    ({"mass_max_GeV": 5.0}, "mass_max_GeV"),
    ({"model": "/etc/passwd"}, "model"),
])
def test_g2_band_refuses_masses_outside_the_models_range(client, body, field):
    r = client.post("/api/g2/band", json=body)
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == field, r.text


def test_published_constraints_are_the_clis_choice(client):
    """The constraints drawn are mudump.constraints.select's for the model (as `mudump reach
    --constraints`): the default ones that fit, none, or named; a name that does not exist or
    does not fit is refused naming the field."""
    from mudump import constraints as cons

    for spec, expected in ((["default"], "default"), (["none"], "none")):
        d = client.post("/api/reach", json={"experiment": "na64mu", "models": ["B"], "constraints": spec, **GRID}).json()
        drawn, _ = cons.select(expected, [get_model("B")])
        assert [c["name"] for c in d["constraints"]] == [c.name for c in drawn]
        assert [c["name"] for c in d["results"][0]["constraints"]] == [c.name for c in drawn]
        for c, lib in zip(d["constraints"], drawn):
            assert c["mass_GeV"] == pytest.approx(lib.mass_GeV.tolist(), rel=1e-12)
    r = client.post("/api/reach", json={"experiment": "na64mu", "models": ["B"], "constraints": ["nope"], **GRID})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "constraints"


def test_electron_experiments_in_the_explorer(client):
    """The explorer lists the electron-beam presets with their lepton and computes them with
    their beam's method (ww) when none is asked for, as the library does; an explicit etl for
    one is a 422 naming the method; the TOML download of an electron preset reads back."""
    from mudump.config import read_toml
    from mudump.experiments import parse_experiment

    listed = {p["name"]: p["lepton"] for p in client.get("/api/experiments").json()["presets"]}
    assert listed["e137"] == "e" and listed["na64mu"] == "mu"
    body = {"experiment": "orsay", "models": ["A"], **GRID, "mass_min_GeV": 0.003, "mass_max_GeV": 0.03, "n_masses": 2}
    r = client.post("/api/reach", json=body)
    assert r.status_code == 200, r.text
    res = r.json()["results"][0]
    lib = reachmod.reach("orsay", "A", np.geomspace(0.003, 0.03, 2), _grid()[1])
    assert res["method"] == lib.method == "ww"
    _same_intervals(res["intervals"], lib.intervals)
    bad = client.post("/api/reach", json={**body, "method": "etl"})
    assert bad.status_code == 422 and "not available for the electron beam of experiment orsay" in bad.text
    # no method: a muon and an electron experiment on one plot, each with its beam's (the page's default)
    mixed = client.post("/api/reach", json={**body, "experiment": "fnal-mu", "experiments": ["orsay"]})
    assert mixed.status_code == 200, mixed.text
    assert {r["experiment_index"]: r["method"] for r in mixed.json()["results"]} == {0: "etl", 1: "ww"}
    assert client.get("/api/methods").json()["beam_defaults"] == {"mu": "etl", "e": "ww"}
    toml = client.post("/api/experiment.toml", json={"experiment": "e137"})
    assert toml.status_code == 200
    again = parse_experiment(read_toml(toml.content, "download"))
    assert again.beam.electrons_on_target == 6.6e19 and again.provenance
