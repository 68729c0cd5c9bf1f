"""Routes: at one (m, g) point, the signal spectrum (``mudump spectrum``) and the lab decay
length (``mudump decay --plot``)."""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response

from .. import plotting, signal
from .._checks import check_range
from ..constants import E_MAX_GEV
from ..jsonio import plain
from ..models import COUPLING_MAX, MASS_RANGE_GEV
from ..production import check_method
from .compute import figure_lock, png_bytes
from .inputs import attachment, resolve_experiment, resolve_model
from .schemas import DecayLengthRequest, SpectrumRequest

router = APIRouter(prefix="/api")


def _spectrum(request: Request, req: SpectrumRequest):
    exp = resolve_experiment(req.experiment)
    _, mdl, _ = resolve_model(req.model)
    method = check_method(req.method)
    check_range("mass_GeV", req.mass_GeV, *MASS_RANGE_GEV, unit="GeV")
    check_range("coupling", req.coupling, 0.0, COUPLING_MAX, lo_open=True)
    signal.check_signal_possible(exp, req.mass_GeV)
    lo = max(req.mass_GeV, exp.signature.e_cut_GeV)
    edges = np.linspace(lo, exp.beam.energy_GeV, req.bins + 1)
    with request.app.state.reach_cache.compute_lock:
        ev = signal.experiment_spectrum(exp, mdl, req.mass_GeV, req.coupling, edges, method)
    return exp, mdl, method, edges, ev


@router.post("/spectrum")
def spectrum(req: SpectrumRequest, request: Request):
    """Expected signal events per E_S bin (``mudump spectrum --json``)."""
    exp, mdl, method, edges, ev = _spectrum(request, req)
    return plain({"experiment": exp.name, "model": mdl.name, "model_name": mdl.alias, "method": method,
                  "mass_GeV": req.mass_GeV, "coupling": req.coupling, "E_S_GeV": 0.5 * (edges[1:] + edges[:-1]),
                  "bin_edges_GeV": edges, "events": ev, "total_events": float(ev.sum())})


@router.post("/spectrum.png")
def spectrum_png(req: SpectrumRequest, request: Request):
    """The plot of ``mudump spectrum --plot x.png``."""
    exp, mdl, method, edges, ev = _spectrum(request, req)
    with figure_lock:
        data = png_bytes(plotting.experiment_spectrum_figure(exp, mdl, req.mass_GeV, req.coupling, edges, ev, method))
    return Response(data, media_type="image/png", headers=attachment(f"{exp.name}-spectrum.png"))


def _energies(req: DecayLengthRequest):
    _, mdl, _ = resolve_model(req.model)
    check_range("mass_GeV", req.mass_GeV, *MASS_RANGE_GEV, unit="GeV")
    check_range("coupling", req.coupling, 0.0, COUPLING_MAX, lo_open=True)
    e_lo = 1.001 * req.mass_GeV if req.energy_min_GeV is None else req.energy_min_GeV
    check_range("energy_min_GeV", e_lo, req.mass_GeV, unit="GeV")
    check_range("energy_max_GeV", req.energy_max_GeV, e_lo, E_MAX_GEV, lo_open=True, unit="GeV")
    return mdl, np.geomspace(e_lo, req.energy_max_GeV, req.n_energies)


@router.post("/decay-length")
def decay_length(req: DecayLengthRequest):
    """Mean lab decay length (m) against the S energy (GeV)."""
    mdl, energies = _energies(req)
    return plain({"model": mdl.name, "model_name": mdl.alias, "mass_GeV": req.mass_GeV, "coupling": req.coupling,
                  "E_S_GeV": energies, "decay_length_m": mdl.decay_length(energies, req.mass_GeV, req.coupling),
                  "ctau_m": float(mdl.ctau(req.mass_GeV, req.coupling))})


@router.post("/decay-length.png")
def decay_length_png(req: DecayLengthRequest):
    """The plot of ``mudump decay --plot x.png``."""
    mdl, energies = _energies(req)
    with figure_lock:
        data = png_bytes(plotting.decay_length_figure(mdl, req.mass_GeV, req.coupling, energies))
    return Response(data, media_type="image/png")
