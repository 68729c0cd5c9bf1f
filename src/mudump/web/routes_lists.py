"""Routes: what the page offers (experiment, model, method, (g-2) presets; materials; the
experiment schema; the request bounds) and the (g-2) band of a preset."""

from __future__ import annotations

from fastapi import APIRouter, Request

from .. import g2 as g2mod
from .._checks import check_range
from ..experiments import Experiment, load_experiment, preset_names
from ..models import MASS_RANGE_GEV, presets
from ..choices import DEFAULT_METHODS
from ..production import DEFAULT_METHOD, METHODS
from ..production.formfactors import DEFAULT_FORM_FACTOR, FORM_FACTORS
from .compute import g2_band_payload
from .inputs import experiment_document, model_summary, resolve_experiment, resolve_model
from .schemas import LIMITS, G2BandRequest

router = APIRouter(prefix="/api")


@router.get("/health")
def health(request: Request):
    from .. import __version__

    return {"status": "ok", "version": __version__, "reach_cache_entries": len(request.app.state.reach_cache)}


@router.get("/limits")
def limits():
    """The bounds every request must respect."""
    return {**LIMITS, "mass_range_GeV": list(MASS_RANGE_GEV), "coupling_max": 1.0}


@router.get("/experiments")
def experiments():
    """The experiment presets: name, label, description, source."""
    out = []
    for name in preset_names():
        e = load_experiment(name)
        out.append({"name": name, "label": e.label, "description": e.description, "source": e.source,
                    "lepton": e.beam.lepton})
    return {"presets": out}


@router.get("/experiments/{name}")
def experiment(name: str):
    """A preset as a whole experiment document (every field of its TOML file)."""
    return experiment_document(resolve_experiment(name))


@router.get("/schema/experiment")
def experiment_schema():
    """The JSON schema of an experiment document (pydantic's, from the library's model)."""
    return Experiment.model_json_schema()


@router.get("/models")
def models():
    """The model presets (a model file of one's own is uploaded with the request)."""
    return {"models": [model_summary(m.name, m) for m in presets().values()]}


@router.get("/methods")
def methods():
    """The production methods; ``default`` that of a muon beam, ``beam_defaults`` per beam lepton
    (a reach request without a method takes each experiment's own)."""
    return {"methods": [{"name": k, "description": v} for k, v in METHODS.items()], "default": DEFAULT_METHOD,
            "beam_defaults": dict(DEFAULT_METHODS), "form_factors": list(FORM_FACTORS), "default_form_factor": DEFAULT_FORM_FACTOR}


@router.get("/g2/presets")
def g2_presets():
    """The Delta a_mu presets (and the Delta a_e presets of the (g-2)_e region)."""
    return {"default": g2mod.default_preset_name(),
            "presets": [{"name": p.name, "label": p.label, "delta_a_mu": p.delta_a_mu, "sigma": p.sigma,
                         "anomalous": p.anomalous, "source": p.source} for p in g2mod.presets().values()],
            "electron_default": g2mod.get_electron_preset().name,
            "electron_presets": [{"name": p.name, "label": p.label, "delta_a_e": p.delta_a_mu, "sigma": p.sigma,
                                  "source": p.source} for p in g2mod.electron_presets().values()]}


@router.get("/materials")
def material_list():
    """The material presets (any element symbol is accepted too)."""
    from .. import materials

    return {"presets": list(materials.presets())}


@router.post("/g2/band")
def g2_band(req: G2BandRequest):
    """The (g-2)_mu band of a preset for a model (default: a scalar coupled to the muon)."""
    check_range("mass_min_GeV", req.mass_min_GeV, *MASS_RANGE_GEV, unit="GeV")  # the models' range, as every door
    check_range("mass_max_GeV", req.mass_max_GeV, req.mass_min_GeV, MASS_RANGE_GEV[1], lo_open=True, unit="GeV")
    key, mdl = (None, None) if req.model is None else resolve_model(req.model)[:2]
    return g2_band_payload(req.preset, req.mass_min_GeV, req.mass_max_GeV, req.n_masses, mdl, key or "")
