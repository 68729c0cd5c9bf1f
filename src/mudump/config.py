"""Reading the user's and the package's TOML files: one loader and one error wording for every
file type (experiments, models, overlays, scan files and the shipped presets).

Each file type has a pydantic schema (in the module of its concept) and an optional
``schema_version`` key (the format's version, 1 today); a file is read here, parsed by
:mod:`tomllib`, validated by its schema, and every mistake becomes one
:class:`mudump.errors.ConfigError` line that names the file and the field. Nothing here
computes physics.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Mapping

from ._checks import echo, fmt_number
from .errors import ConfigError

#: The format version every file type is at; a file may state it as ``schema_version = 1``.
SCHEMA_VERSION = 1
#: pydantic's bound errors, as the comparison a user must satisfy and the key of its bound.
_BOUNDS = {"greater_than": (">", "gt"), "greater_than_equal": (">=", "ge"), "less_than": ("<", "lt"),
           "less_than_equal": ("<=", "le")}


def checked_name(v: str) -> str:
    """A name field's validator (experiment, model): :func:`mudump._checks.name_problem` as a
    pydantic error, so the message names the field."""
    from ._checks import name_problem

    problem = name_problem(v)
    if problem:
        raise ValueError(problem)
    return v


def read_toml(source: "str | Path | bytes", where: str) -> dict:
    """The document of a TOML file (a path) or of its bytes; a missing or unreadable file, or
    text that is not TOML, raises ConfigError naming ``where``."""
    if not isinstance(source, bytes):
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"{where}: the file {str(path)!r} does not exist")
        try:
            source = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"{where}: cannot read {str(path)!r} ({exc.strerror or exc})") from None
    try:
        return tomllib.loads(source.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None


def error_message(e: "Mapping[str, Any]") -> tuple[str, str]:
    """(field, what is wrong) for one pydantic error (an item of ``ValidationError.errors()``):
    the words every door uses (the CLI's line, the explorer's per-field messages); a user's value
    is echoed bounded (:func:`mudump._checks.echo`), a bound with the digits that show the
    violation. ``what`` starts with ``field = value`` where it names the value."""
    loc = ".".join(str(p) for p in e["loc"])
    msg = e["msg"].removeprefix("Value error, ")
    if e["type"] == "missing":
        msg = "is required"
    elif e["type"] == "extra_forbidden":
        msg = "is not a known field"
    elif e["type"] == "int_type":
        msg = f"must be a whole number, not {echo(e.get('input'))}"
    elif e["type"] == "float_type":
        msg = f"must be a number, not {echo(e.get('input'))}"
    elif e["type"] == "finite_number":
        msg = f"must be a finite number, not {echo(e.get('input'))}"
    elif e["type"] == "string_type":
        msg = f"must be a string, not {echo(e.get('input'))}"
    elif e["type"] == "literal_error" and loc == "schema_version":
        msg = f"is {echo(e.get('input'))}: this mudump reads schema_version = {SCHEMA_VERSION}"
    elif e["type"] in _BOUNDS and isinstance(e.get("input"), (int, float)) and loc:
        op, key = _BOUNDS[e["type"]]
        msg = f"{loc} = {fmt_number(e['input'])} is not allowed: need {loc} {op} {fmt_number(e['ctx'][key])}"
    return loc, msg


def format_validation(where: str, exc) -> str:
    """One line for a pydantic ValidationError: the file, the first field and what is wrong with
    it (:func:`error_message`; the same words in the CLI and the explorer)."""
    loc, msg = error_message(exc.errors()[0])
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    if not loc or msg.startswith(f"{loc} = ") or msg.startswith(f"{loc}: "):  # the message names the field itself
        return f"{where}: {msg}{more}"
    return f"{where}: {loc}: {msg}{more}"


def validate(schema, doc: dict, where: str):
    """``schema.model_validate(doc)``; a mistake raises ConfigError (:func:`format_validation`)."""
    from pydantic import ValidationError

    try:
        return schema.model_validate(doc)
    except ValidationError as exc:
        raise ConfigError(format_validation(where, exc)) from None


__all__ = ["SCHEMA_VERSION", "checked_name", "read_toml", "error_message", "format_validation", "validate"]
