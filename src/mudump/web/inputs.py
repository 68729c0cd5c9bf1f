"""The explorer's door: what a request names, resolved once into library objects (an
:class:`~mudump.experiments.Experiment`, a :class:`~mudump.models.Model`, an
:class:`~mudump.overlays.Overlay`), with the library's own validation and one-line messages, and
the refusals (a 4xx answer: one line, plus the fields it concerns).

The server reads no file a request names: an experiment is a preset name or a whole document,
a model a preset name or an uploaded model file's text, an overlay an uploaded file's text.
"""

from __future__ import annotations

import hashlib
import re
import threading
import warnings
from pathlib import Path
from urllib.parse import quote

from pydantic import ValidationError

from ..errors import ConfigError, MudumpError
from .._checks import check_mathtext, echo
from ..config import error_message, format_validation, read_toml
from ..experiments import Experiment, load_experiment, preset_names
from ..models import Model, get_model, model_names, parse_model
from .schemas import ExperimentSpec, ModelSpec, UploadedFile


class RequestError(MudumpError):
    """A refused request: ``message`` (one line, as the CLI would print it) and ``fields``
    (list of {"field": dotted path in the request, "message": ...})."""

    def __init__(self, message: str, fields: list[dict] | None = None, status: int = 422):
        super().__init__(message)
        self.fields = fields or []
        self.status = status


_LEADING_NAME = re.compile(r"^([A-Za-z_][\w.]*) = ")


def field_of_message(message: str, prefix: str = "") -> list[dict]:
    """The field a library message names ("mass_min_GeV = 2 is not allowed ..."), if any."""
    m = _LEADING_NAME.match(message)
    if not m:
        return []
    name = m.group(1)
    return [{"field": f"{prefix}{name}" if prefix and not name.startswith(prefix) else name, "message": message}]


def _experiment_errors(exc: ValidationError, field: str) -> list[dict]:
    """Per-field messages of an experiment validation error, as dotted paths under ``field``
    (the wording of :func:`mudump.config.format_validation`). A model-level check whose
    message starts with "field = ..." is attached to that field."""
    out = []
    for e in exc.errors():
        loc = [str(p) for p in e["loc"]]
        msg = error_message(e)[1]
        m = _LEADING_NAME.match(msg)
        if m and len(loc) <= 1:
            named = m.group(1)
            loc = named.split(".") if "." in named else loc + [named]
        out.append({"field": ".".join([field, *loc]), "message": msg})
    return out


#: matplotlib's mathtext parser and font caches are not meant for concurrent use: every use in
#: the server (label checks here, figures in :mod:`.compute`) holds this lock.
MATPLOTLIB_LOCK = threading.Lock()


def check_label(text: str, field: str, where: str = "") -> None:
    """Refuse a label that the figures cannot draw (:func:`mudump._checks.check_mathtext`, the
    library's check of every label): the message names the field."""
    try:
        with MATPLOTLIB_LOCK:
            check_mathtext(f"{where}{field}", text)
    except ConfigError as exc:
        raise RequestError(str(exc), [{"field": field, "message": str(exc)}]) from None


# ----------------------------------------------------------------------------------------------
# experiments

#: Fields that name and describe an experiment (they do not enter any number).
ABOUT_FIELDS = ("name", "label", "description", "source")
#: Edits listed in the description of an edited preset before "and N more".
EDITS_LISTED = 6


def _flat(doc: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in doc.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def mark_edited(exp: Experiment) -> Experiment:
    """A preset's document with edited values, renamed so that no file or plot passes it off as
    the preset: name ``<preset>-edited``, label ``<label> (edited)``, and a description that
    lists the edits (field = value (preset: value)); the source says the other numbers are the
    preset's. A name, label or description the user changed is kept. Anything else is returned
    unchanged."""
    if exp.name not in preset_names():
        return exp
    preset = load_experiment(exp.name)
    new, old = _flat(exp.model_dump(mode="json")), _flat(preset.model_dump(mode="json"))
    edits = [k for k in sorted(set(new) | set(old))
             if k not in ABOUT_FIELDS and not k.startswith("provenance") and new.get(k) != old.get(k)]
    if not edits:
        return exp
    listed = [f"{k} = {new.get(k)} (preset: {old.get(k)})" for k in edits[:EDITS_LISTED]]
    more = f" and {len(edits) - EDITS_LISTED} more" if len(edits) > EDITS_LISTED else ""
    update = {"name": f"{exp.name}-edited"}
    if exp.label == preset.label:
        update["label"] = f"{preset.label or preset.name} (edited)"
    if exp.description == preset.description:
        update["description"] = f"preset {preset.name} edited: {', '.join(listed)}{more}"
    if exp.source == preset.source:
        update["source"] = f"edited values: this document; the others: preset {preset.name} ({preset.source})"
    return exp.model_copy(update=update)


def resolve_experiment(spec: ExperimentSpec, field: str = "experiment") -> Experiment:
    """An experiment from a preset name (only a preset: never a path on the server) or from a
    whole experiment document, validated by the experiment schema itself (the same validation
    as a TOML file given to the CLI); an edited preset is marked as such (:func:`mark_edited`)."""
    if isinstance(spec, str):
        if spec not in preset_names():
            raise RequestError(
                f"{field} = {echo(spec)} is unknown: use a preset ({', '.join(preset_names())}) or send the whole experiment",
                [{"field": field, "message": "unknown preset"}],
            )
        return load_experiment(spec)
    try:
        exp = Experiment.model_validate(spec)
    except ValidationError as exc:
        raise RequestError(format_validation(field, exc), _experiment_errors(exc, field)) from None
    check_label(exp.label, f"{field}.label")
    check_label(exp.name, f"{field}.name")
    return mark_edited(exp)


def experiment_document(exp: Experiment) -> dict:
    """The experiment as a TOML-ready document: every field, None (unset optional) left out."""
    return exp.model_dump(mode="json", exclude_none=True)


# ----------------------------------------------------------------------------------------------
# models


def _upload_name(up: UploadedFile) -> str:
    """The uploaded file's name as shown in messages (its base name, printable)."""
    name = Path(up.name.replace("\\", "/")).name
    return "".join(c for c in name if c.isprintable()) or "upload.toml"


def _toml(up: UploadedFile, what: str, field: str) -> dict:
    """The document of an uploaded TOML text, by the library's one loader (:mod:`mudump.config`)."""
    try:
        return read_toml(up.toml.encode("utf-8"), f"{what} {_upload_name(up)}")
    except ConfigError as exc:
        raise RequestError(str(exc), [{"field": field, "message": str(exc)}]) from None


def resolve_model(spec: ModelSpec, field: str = "model") -> tuple[str, Model, list[str]]:
    """(key, Model, warnings) for a model preset's name or letter, or for an uploaded model
    file (TOML text, read by :func:`mudump.models.parse_model` as the CLI reads a model file).
    ``key`` identifies the model in caches: the preset's name, or a hash of the file's text.
    A name that looks like a path, or that is empty, is refused: the server reads no file."""
    if isinstance(spec, UploadedFile):
        name = _upload_name(spec)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                mdl = parse_model(_toml(spec, "model file", field), f"model file {name}")
            except ConfigError as exc:
                # "model file NAME: coupling_label: ...": the field of the file that is wrong
                sub = re.match(r"model file .*?: ([A-Za-z_][\w.]*)(?: = |: )", str(exc))
                where = f"{field}.{sub.group(1)}" if sub else field
                raise RequestError(str(exc), [{"field": where, "message": str(exc)}]) from None
        for attr in ("coupling_label", "description", "name"):
            check_label(getattr(mdl, attr), f"{field}.{attr}", f"model file {name}: ")
        key = "file:" + hashlib.sha256(spec.toml.encode()).hexdigest()
        return key, mdl, [str(w.message) for w in caught]
    allowed = ", ".join(model_names())
    refused = RequestError(f"{field} = {echo(spec)} is unknown: allowed {allowed} (or upload a model file)",
                           [{"field": field, "message": "unknown model"}])
    if (not any(c.isalnum() for c in spec) or any(c in spec for c in "/\\") or spec.lower().endswith(".toml")
            or Path(spec).exists()):
        raise refused
    try:
        mdl = get_model(spec)
    except MudumpError:
        raise refused from None
    if not mdl.source_file.startswith("model preset"):  # get_model read a file of that name: refused
        raise refused
    return mdl.name, mdl, []


def model_summary(key: str, mdl: Model) -> dict:
    """What the page shows of a model (no physics: the model's own fields)."""
    return {"key": key, "name": mdl.name, "alias": mdl.alias, "label": mdl.label, "description": mdl.description,
            "kind": mdl.kind, "spin": mdl.spin, "ratios": dict(mdl.ratios), "reference": mdl.reference,
            "coupling_label": mdl.coupling_label}


# ----------------------------------------------------------------------------------------------
# overlays


def resolve_overlay(up: UploadedFile, field: str = "overlay"):
    """An :class:`mudump.overlays.Overlay` from an uploaded overlay file's text, read by
    :func:`mudump.overlays.load_overlay` (the CLI's reader); its points must be inline (a CSV
    file beside it cannot be uploaded with it)."""
    from ..overlays import parse_overlay

    name = _upload_name(up)
    doc = _toml(up, "overlay", field)
    if "data" in doc:
        msg = f"overlay {name}: data: the explorer takes the points inline (mass_GeV, coupling), not from a file"
        raise RequestError(msg, [{"field": field, "message": msg}])
    try:
        ov = parse_overlay(doc, name)  # the CLI's reader, on the uploaded document (no file)
    except ConfigError as exc:
        sub = re.match(r"overlay .*?: ([A-Za-z_][\w.]*)(?: = |: )", str(exc))
        where = f"{field}.{sub.group(1)}" if sub else field
        raise RequestError(str(exc), [{"field": where, "message": str(exc)}]) from None
    return ov


# ----------------------------------------------------------------------------------------------
# downloads


def attachment(filename: str) -> dict:
    """The Content-Disposition header of a download named ``filename``: an ASCII ``filename``
    for old clients and the exact name as ``filename*`` (RFC 6266 and RFC 5987: UTF-8,
    percent-encoded), so that a name such as a Greek mu never breaks the header."""
    ascii_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", filename).strip("_") or "download"
    return {"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"}


__all__ = ["RequestError", "resolve_experiment", "resolve_model", "resolve_overlay", "mark_edited", "attachment",
           "experiment_document", "model_summary", "field_of_message"]
