"""Routes: an experiment, a model file or an overlay file checked as the CLI reads it, and the
experiment as a TOML file."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from .compute import overlay_payload
from .inputs import attachment, experiment_document, model_summary, resolve_experiment, resolve_model, resolve_overlay
from .schemas import ExperimentRequest, ModelRequest, OverlayRequest

router = APIRouter(prefix="/api")


@router.post("/experiment/validate")
def validate(req: ExperimentRequest):
    """The experiment as the CLI would read it (200), or the refusal (422, per field)."""
    return {"ok": True, "experiment": experiment_document(resolve_experiment(req.experiment))}


@router.post("/experiment.toml")
def experiment_toml(req: ExperimentRequest):
    """The experiment as a TOML file that ``mudump reach FILE.toml`` reads unchanged (an edited
    preset renamed and described as such)."""
    import tomli_w

    exp = resolve_experiment(req.experiment)
    text = tomli_w.dumps(experiment_document(exp))
    return Response(text, media_type="application/toml", headers=attachment(f"{exp.name}.toml"))


@router.post("/model/validate")
def validate_model(req: ModelRequest):
    """A model (preset name or uploaded file) as the CLI reads it (200), or the refusal (422)."""
    key, mdl, warnings = resolve_model(req.model)
    return {"ok": True, "model": model_summary(key, mdl), "warnings": warnings}


@router.post("/overlay/validate")
def validate_overlay(req: OverlayRequest):
    """An uploaded overlay file as the CLI reads it (200), or the refusal (422)."""
    return {"ok": True, "overlay": overlay_payload(resolve_overlay(req.overlay))}
