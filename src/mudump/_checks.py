"""Input validation shared by the kernels: one-line messages naming the field and the range."""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np

from .errors import ConfigError, DomainError

#: The longest echo of a user's value in an error message (characters): a 200 000-element list
#: or a 100 000-character name is shown by its start and its length, never in full.
ECHO_MAX_CHARS = 80

#: The longest name (experiment, model, overlay) accepted, in characters: names title plots and
#: tables and become file names.
NAME_MAX_CHARS = 100


def echo(value, limit: int = ECHO_MAX_CHARS) -> str:
    """``repr(value)`` bounded to about ``limit`` characters: a long value is shown by its start,
    ``...`` and its length (``[1.0, 1.0, ...] (200000 elements)``)."""
    text = repr(value)
    if len(text) <= limit:
        return text
    try:
        size = f"{len(value)} {'characters' if isinstance(value, (str, bytes)) else 'elements'}"
    except TypeError:
        size = f"{len(text)} characters"
    return f"{text[:limit]}... ({size})"


def is_existing_path(path) -> bool:
    """``Path(path).exists()``, False (not an OSError) for a name the system cannot look up (too
    long, a NUL byte)."""
    from pathlib import Path

    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


def fmt_number(x) -> str:
    """A number with as many digits as it takes to be read back exactly (``1.0000001``, not
    ``1``), in the short ``%g`` form whenever that form is exact, so that a message comparing a
    value with a bound never looks self-contradictory."""
    x = float(x)
    short = f"{x:g}"
    if not np.isfinite(x) or float(short) == x:
        return short
    return repr(x)


def check_range(
    name: str,
    value,
    lo: float | None = None,
    hi: float | None = None,
    *,
    unit: str = "",
    lo_open: bool = False,
) -> np.ndarray:
    """Return ``value`` as a float array after checking it is finite and within [lo, hi].

    ``lo_open`` makes the lower bound strict (``value > lo``). Raises :class:`DomainError` with a
    message such as ``mass_GeV = -1 is outside the allowed range 0.001 <= mass_GeV <= 1 GeV``.
    Numbers are printed with the digits needed to show the violation (:func:`fmt_number`); an
    empty range (``lo >= hi``) is said to be empty.
    """
    arr = np.asarray(value, dtype=float)
    u = f" {unit}" if unit else ""
    if lo is None and hi is None:
        allowed = "a finite number"
    elif hi is None:
        allowed = f"{name} {'>' if lo_open else '>='} {fmt_number(lo)}{u}"
    elif lo is None:
        allowed = f"{name} <= {fmt_number(hi)}{u}"
    else:
        allowed = f"{fmt_number(lo)} {'<' if lo_open else '<='} {name} <= {fmt_number(hi)}{u}"
        if lo > hi or (lo_open and lo == hi):
            allowed += " (an empty range: no value is allowed)"
    bad = ~np.isfinite(arr)
    if lo is not None:
        bad |= (arr <= lo) if lo_open else (arr < lo)
    if hi is not None:
        bad |= arr > hi
    if np.any(bad):
        first = arr[bad].flat[0] if arr.ndim else float(arr)
        raise DomainError(f"{name} = {fmt_number(first)} is not allowed: need {allowed}")
    return arr


def name_problem(text) -> str | None:
    """What is wrong with a name (experiment, model, overlay), or None: it must be a non-empty
    string of at most :data:`NAME_MAX_CHARS` characters, not only blanks, without control
    characters."""
    if not isinstance(text, str):
        return f"must be a string, not {echo(text)}"
    if not text.strip():
        return f"must not be empty or blank (got {echo(text)})"
    if len(text) > NAME_MAX_CHARS:
        return f"must have at most {NAME_MAX_CHARS} characters (got {echo(text, 30)})"
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return f"must not contain control characters such as newlines or tabs (got {echo(text)})"
    return None


def check_name(field: str, text) -> str:
    """Return the name ``text`` unchanged, or raise :class:`ConfigError` ``<field> must ...``
    (:func:`name_problem`)."""
    problem = name_problem(text)
    if problem:
        raise ConfigError(f"{field} {problem}")
    return text


def check_mathtext(field: str, text: str) -> str:
    """Check that ``text`` (a plot label written by a user: an experiment's ``label``, a model's
    ``coupling_label``, an overlay's ``label``) can be drawn by matplotlib. A text with an even
    number of unescaped ``$`` is parsed by matplotlib's mathtext parser (what ``--plot`` would
    do); a LaTeX mistake (``$\\frac{$``, an unknown command ``$\\undefinedcmd$``) raises
    :class:`ConfigError` naming ``field`` and the parser's reason, when the file is read rather
    than as a traceback when the figure is drawn. Returns ``text`` unchanged. matplotlib is
    imported only when the text contains a ``$`` (start-up stays fast)."""
    if not isinstance(text, str):
        raise ConfigError(f"{field} must be a string, not {echo(text)}")
    if "$" not in text:
        return text
    reason = _mathtext_problem(text)
    if reason:
        raise ConfigError(f"{field} = {echo(text)} is not valid matplotlib mathtext: {reason}")
    return text


_MATHTEXT_LOCK = threading.Lock()


@lru_cache(maxsize=512)
def _mathtext_problem(text: str) -> str:
    """matplotlib's reason for refusing ``text``, or "" (one parse per text; the parser is
    shared, hence the lock: concurrent parses corrupt its state)."""
    from matplotlib import cbook

    if not cbook.is_math_text(text):  # an odd number of unescaped $: drawn as plain text
        return ""
    from matplotlib.mathtext import MathTextParser

    with _MATHTEXT_LOCK:
        try:
            MathTextParser("path").parse(text, dpi=72)
        except (ValueError, RuntimeError) as exc:
            lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
            reason = next((ln.split(": ", 1)[1] for ln in lines if "Exception: " in ln), lines[-1] if lines else "")
            return reason.split("  (at char")[0] or "cannot be parsed"
    return ""
