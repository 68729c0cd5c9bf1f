"""HEPData: a reach result as a HEPData submission, and a HEPData table read as an overlay.

Writing (:func:`write_submission`): a submission in the HEPData YAML format (schema 1.1.1 of
``hepdata-validator``, which the tests run on it): ``submission.yaml`` (a first document with a
comment on the whole submission, then one document per table) and one data file per table:

* one table per excluded region of each reach result (:attr:`mudump.reach.ReachResult.contours`:
  a run of consecutive masses with a k-th excluded interval): the independent variable is the
  mass of X (GeV), the two dependent variables the lower and the upper edge of the excluded
  coupling at that mass; qualifiers on both: experiment, model (name, kind), confidence level,
  production method, limit method, muons on target, the signal-event limit, the mudump version.
  An edge equal to the end of the scanned coupling range means the exclusion goes on beyond it
  (said in the table's description, with the range).
* with a (g-2)_mu band (:func:`mudump.g2.band`), a table of the band at the masses of the first
  result: central value, 1 and 2 sigma edges and the upper limit, with the preset's source.

The target is a directory (``limits.hepdata``) or a ``.zip`` archive of the same files (the
form hepdata.net accepts for upload).

Reading (:func:`read_table`): a HEPData data table as downloaded from hepdata.net (YAML:
``independent_variables`` with the mass, ``dependent_variables`` with the coupling of an
exclusion contour), as the fields of an overlay (:mod:`mudump.overlays`): the mass in GeV (MeV converted),
the first dependent variable as the coupling, the confidence level from its ``CL`` qualifier;
label and citation from the table's own ``name``/``description`` and from a ``submission.yaml``
beside it (its record ids: INSPIRE, arXiv, DOI) where present, else from the file name.

Units: GeV, couplings dimensionless.
"""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np

from .errors import ConfigError

#: Suffixes a submission can be written to: a directory named ``*.hepdata`` or a zip archive.
SUFFIXES = (".hepdata", ".zip")
#: HEPData submission schema version of the files.
SCHEMA_VERSION = "1.1.1"
_MAX_NAME = 64  # HEPData's limit on a table name


def _yaml():
    try:
        import yaml
    except ImportError:
        raise ConfigError("HEPData files need PyYAML: pip install 'mudump[hepdata]'") from None
    return yaml


def _num(v) -> float:
    return float(np.format_float_positional(float(v), unique=True)) if np.isfinite(v) else float(v)


def _qualifiers(result) -> list[dict]:
    from . import __version__
    from .models import get_model
    from .production import METHOD_NAMES

    mdl = get_model(result.model)
    limit = result.limit
    return [
        {"name": "experiment", "value": f"{result.experiment.name} ({result.experiment.label})"
            if getattr(result.experiment, "label", "") else result.experiment.name},
        {"name": "model", "value": f"{mdl.name}" + (f" ({mdl.alias})" if mdl.alias else "") + f", {mdl.kind}"},
        {"name": "CL", "value": f"{100 * result.cl:g}%"},
        {"name": "production method", "value": f"{result.method}: {METHOD_NAMES.get(result.method, result.method)}"
            + f", form factor {result.form_factor}"},
        {"name": "limit method", "value": (limit.method if limit is not None else "poisson")
            + (" (expected)" if limit is not None and limit.expected else "")},
        {"name": "signal events limit", "value": _num(result.n_up)},
        {"name": result.experiment.beam.count_field.replace("_", " "), "value": _num(result.experiment.beam.leptons_on_target)},
        {"name": "mudump version", "value": str(__version__)},
    ]


def _contour_tables(result, index: int) -> list[tuple[dict, dict]]:
    """(submission entry, data document) for each excluded region of one reach result."""
    from .models import get_model

    mdl = get_model(result.model)
    g_name = mdl.coupling_label
    lo_g, hi_g = float(np.min(result.couplings)), float(np.max(result.couplings))
    out = []
    for j, c in enumerate(result.contours):
        name = f"{result.experiment.name} {mdl.name} region {j + 1}"
        name = name if len(name) <= _MAX_NAME else f"result {index + 1} region {j + 1}"
        quals = _qualifiers(result)
        data = {
            "independent_variables": [{"header": {"name": "m_X", "units": "GeV"},
                                       "values": [{"value": _num(m)} for m in c["mass_GeV"]]}],
            "dependent_variables": [
                {"header": {"name": f"{g_name} lower edge"}, "qualifiers": quals,
                 "values": [{"value": _num(g)} for g in c["g_low"]]},
                {"header": {"name": f"{g_name} upper edge"}, "qualifiers": [dict(q) for q in quals],
                 "values": [{"value": _num(g)} for g in c["g_high"]]},
            ],
        }
        entry = {
            "name": name,
            "description": (f"Excluded region {j + 1} of {result.experiment.name}, model {mdl.name} ({mdl.kind}): "
                            f"{g_name} between the lower and the upper edge is excluded at {100 * result.cl:g}% CL at "
                            f"each mass m_X. Couplings scanned: {lo_g:g} to {hi_g:g}; an edge at either end of that "
                            "range means the exclusion continues beyond it. Computed with mudump."),
            "keywords": [{"name": "observables", "values": ["EXCLUSION"]},
                         {"name": "reactions", "values": ["MU N --> MU N X"]},
                         {"name": "phrases", "values": ["Dark bremsstrahlung", "Muon beam dump", "Exclusion contour"]}],
            "data_file": f"region_{index + 1}_{j + 1}.yaml",
        }
        out.append((entry, data))
    return out


def _band_table(band: dict, masses) -> tuple[dict, dict]:
    quals = [{"name": "Delta a_mu preset", "value": f"{band.get('preset', '')}: {band.get('label', '')}"}]
    cols = [("central", "central"), ("lo1", "1 sigma low"), ("hi1", "1 sigma high"), ("lo2", "2 sigma low"),
            ("hi2", "2 sigma high"), ("upper_limit", "upper limit (about 95% CL)")]
    data = {
        "independent_variables": [{"header": {"name": "m_X", "units": "GeV"},
                                   "values": [{"value": _num(m)} for m in masses]}],
        "dependent_variables": [{"header": {"name": f"g_mu {label}"}, "qualifiers": [dict(q) for q in quals],
                                 "values": [{"value": _num(v)} for v in np.asarray(band[key], dtype=float)]}
                                for key, label in cols],
    }
    entry = {"name": "(g-2)_mu band",
             "description": ("The g_mu values for which the model's one-loop Delta a_mu equals the preset's central "
                             "value, its 1 and 2 sigma edges, and the upper limit above which (g-2)_mu itself excludes "
                             "the model" + (" (the model lowers a_mu: only the upper limit applies)"
                                            if not band.get("favoured", True) else "") + "."),
             "keywords": [{"name": "observables", "values": ["G-2"]}],
             "data_file": "g2_band.yaml"}
    return entry, data


def submission_files(results, *, band: dict | None = None, comment: str = "") -> dict[str, str]:
    """The files of a HEPData submission (name -> YAML text) for reach results (see the module
    docstring); ``band`` a :func:`mudump.g2.band` dict over the first result's masses."""
    yaml = _yaml()
    results = list(results)
    tables = []
    for i, r in enumerate(results):
        tables += _contour_tables(r, i)
    if band is not None and results:
        tables.append(_band_table(band, results[0].masses))
    if not tables:
        raise ConfigError("output: nothing to submit to HEPData: no experiment excludes any coupling in the scanned range")
    head = {"comment": comment or ("Sensitivity of muon beam-dump experiments to a light boson X made by dark "
                                   "bremsstrahlung, mu N -> mu N X, computed with mudump.")}
    docs = [head] + [entry for entry, _ in tables]
    files = {"submission.yaml": yaml.safe_dump_all(docs, sort_keys=False, explicit_start=True)}
    for entry, data in tables:
        files[entry["data_file"]] = yaml.safe_dump(data, sort_keys=False)
    return files


def is_target(path) -> bool:
    """True if ``path`` names a HEPData submission (ends in .hepdata or .zip)."""
    name = Path(str(path)).name.lower()
    return any(name.endswith(s) and len(name) > len(s) for s in SUFFIXES)


def check_target(path, field: str = "output") -> Path:
    """Refuse, before any computation, a submission path that cannot be written: a wrong
    suffix, a missing parent directory, an existing path that is not a previous submission."""
    path = Path(path)
    if not is_target(path):
        raise ConfigError(f"{field} = {str(path)!r}: a HEPData submission is written to a directory ending in .hepdata "
                          "or a .zip file")
    if not path.parent.is_dir():
        raise ConfigError(f"{field} = {str(path)!r}: the directory {str(path.parent)!r} does not exist")
    if path.name.lower().endswith(".zip"):
        if path.exists() and not path.is_file():
            raise ConfigError(f"{field} = {str(path)!r}: exists and is not a regular file")
    elif path.exists() and not (path.is_dir() and (path / "submission.yaml").is_file()):
        raise ConfigError(f"{field} = {str(path)!r}: exists and is not a HEPData submission directory")
    if not os.access(path.parent, os.W_OK):
        raise ConfigError(f"{field} = {str(path)!r}: cannot write in {str(path.parent)!r}")
    return path


def write_submission(results, path, *, band: dict | None = None, comment: str = "") -> Path:
    """Write a HEPData submission to ``path``: a directory whose name ends in ``.hepdata`` or a
    ``.zip`` archive (see the module docstring); return the path. An existing directory is
    replaced only if it holds a previous submission (a ``submission.yaml``)."""
    path = check_target(path)
    name = path.name.lower()
    files = submission_files(results, band=band, comment=comment)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    if name.endswith(".zip"):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for fname, text in files.items():
                info = zipfile.ZipInfo(fname, date_time=(1980, 1, 1, 0, 0, 0))  # deterministic bytes
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, text)
        tmp.write_bytes(buf.getvalue())
        os.replace(tmp, path)
        return path
    tmp.mkdir()
    try:
        for fname, text in files.items():
            (tmp / fname).write_text(text, encoding="utf-8")
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return path


def validate(path) -> list[str]:
    """Run hepdata-validator on a submission directory or archive: the list of its error
    messages (empty when valid)."""
    import warnings

    with warnings.catch_warnings():  # the validator imports deprecated jsonschema names
        warnings.simplefilter("ignore", DeprecationWarning)
        from hepdata_validator.full_submission_validator import FullSubmissionValidator

    path = Path(path)
    v = FullSubmissionValidator()
    ok = v.validate(archive=str(path)) if path.suffix.lower() == ".zip" else v.validate(directory=str(path))
    if ok:
        return []
    return [f"{f}: {m.message}" for f, msgs in v.get_messages().items() for m in msgs]


# ---------------------------------------------------------------------------------------------
# reading a table as an overlay

_MASS_UNITS = {"GEV": 1.0, "MEV": 1e-3, "KEV": 1e-6}


def _record(table: Path) -> tuple[str, str]:
    """(record ids, table name) from a submission.yaml beside the table: the ids of its first
    document (INSPIRE, arXiv, DOI...) and the name of the table whose data_file is this file."""
    sub = table.parent / "submission.yaml"
    if not sub.is_file():
        return "", ""
    try:
        docs = [d for d in _yaml().safe_load_all(sub.read_text(encoding="utf-8")) if isinstance(d, dict)]
    except Exception:  # noqa: BLE001 (an unreadable neighbour is only a missing citation)
        return "", ""
    ids = [f"{r.get('type')}:{r.get('id')}" for r in (docs[0].get("record_ids") if docs else None) or []
           if isinstance(r, dict)]
    name = next((str(d.get("name")) for d in docs if d.get("data_file") == table.name and d.get("name")), "")
    return ", ".join(ids), name


def read_table(path) -> dict:
    """A HEPData YAML data table (an exclusion contour, mass vs coupling; module docstring) as
    the fields of an overlay: ``label``, ``citation``, ``confidence_level``, ``mass_GeV`` and
    ``coupling`` (sorted by mass). :func:`mudump.overlays.load_overlay` makes the Overlay. Each
    mistake is one ConfigError line naming the file and the field."""
    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise ConfigError(f"overlay {where!r} does not exist")
    try:
        doc = _yaml().safe_load(path.read_text(encoding="utf-8"))
    except Exception as exc:  # noqa: BLE001 (yaml raises many types)
        raise ConfigError(f"overlay {where}: not a readable YAML file ({str(exc).splitlines()[0]})") from None
    if not isinstance(doc, dict) or not doc.get("independent_variables") or not doc.get("dependent_variables"):
        raise ConfigError(f"overlay {where}: independent_variables, dependent_variables: a HEPData table needs both")
    ind, dep = doc["independent_variables"][0], doc["dependent_variables"][0]

    def values(var, field):
        try:
            return np.array([float(v["value"]) for v in var["values"]], dtype=float)
        except (KeyError, TypeError, ValueError):
            raise ConfigError(f"overlay {where}: {field}: every entry needs a numeric value") from None

    unit = str((ind.get("header") or {}).get("units", "GeV")).strip().upper()
    if unit not in _MASS_UNITS:
        raise ConfigError(f"overlay {where}: independent_variables units: {unit!r} is not a mass unit (GeV, MeV, keV)")
    m = values(ind, "independent_variables") * _MASS_UNITS[unit]
    g = values(dep, "dependent_variables")
    if m.size != g.size or m.size < 2:
        raise ConfigError(f"overlay {where}: dependent_variables: needs one coupling per mass, at least two points")
    bad = ~np.isfinite(m) | (m <= 0) | ~np.isfinite(g) | (g <= 0)
    if bad.any():
        raise ConfigError(f"overlay {where}: dependent_variables: every mass and coupling must be a positive number")
    cl = None
    for q in dep.get("qualifiers", []) or []:
        if isinstance(q, dict) and str(q.get("name", "")).strip().upper() in ("CL", "CONFIDENCE LEVEL"):
            text = str(q.get("value", "")).strip().rstrip("%")
            try:
                cl = float(text) / (100.0 if float(text) > 1 else 1.0)
            except ValueError:
                pass
    if cl is None or not 0 < cl < 1:
        raise ConfigError(f"overlay {where}: qualifiers: no CL qualifier (e.g. 'CL: 90%') on the coupling")
    record, table_name = _record(path)
    name = str(doc.get("name") or table_name or path.stem)
    citation = "HEPData" + (f" record {record}" if record else "") + f", table {name!r} ({path.name})"
    order = np.argsort(m, kind="stable")
    return {"label": name, "citation": citation, "confidence_level": float(cl), "mass_GeV": m[order],
            "coupling": g[order]}


__all__ = ["SUFFIXES", "SCHEMA_VERSION", "is_target", "check_target", "submission_files", "write_submission", "validate",
           "read_table"]
