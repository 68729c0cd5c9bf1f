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


def fmt_number(x, digits: int = 6) -> str:
    """``x`` in the short ``%g`` form with ``digits`` significant digits if that reads back
    exactly, else with as many digits as it takes to be read back exactly (``1.0000001``, not
    ``1``)."""
    x = float(x)
    short = f"{x:.{digits}g}"
    if not np.isfinite(x) or float(short) == x:
        return short
    return repr(x)


def _digits_to_tell_apart(value: float, bound: float) -> int:
    """The fewest significant digits (at least 6) at which ``value`` and ``bound`` print
    differently: a message comparing them then never looks self-contradictory (``1 <= x <= 1``
    for x = 1.0000001)."""
    for p in range(6, 18):
        if f"{value:.{p}g}" != f"{bound:.{p}g}":
            return p
    return 17


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
    bad = ~np.isfinite(arr)
    if lo is not None:
        bad |= (arr <= lo) if lo_open else (arr < lo)
    if hi is not None:
        bad |= arr > hi
    if not np.any(bad):
        return arr
    first = float(arr[bad].flat[0]) if arr.ndim else float(arr)
    # digits enough to tell the value from the bound it violates (6 at least)
    near = [b for b in (lo, hi) if b is not None and np.isfinite(first) and b != first]
    p = max([_digits_to_tell_apart(first, b) for b in near] or [6])
    if lo is not None and hi is not None:
        p = max(p, _digits_to_tell_apart(lo, hi)) if lo != hi else p

    def f(x):
        return fmt_number(x, p) if p > 6 else f"{float(x):g}"

    u = f" {unit}" if unit else ""
    if lo is None and hi is None:
        allowed = "a finite number"
    elif hi is None:
        allowed = f"{name} {'>' if lo_open else '>='} {f(lo)}{u}"
    elif lo is None:
        allowed = f"{name} <= {f(hi)}{u}"
    else:
        allowed = f"{f(lo)} {'<' if lo_open else '<='} {name} <= {f(hi)}{u}"
        if lo > hi or (lo_open and lo == hi):
            allowed += " (an empty range: no value is allowed)"
    raise DomainError(f"{name} = {f(first)} is not allowed: need {allowed}")


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


_SAFE_COMMANDS = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi "
    "rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi "
    "Omega ell hbar times cdot pm mp to rightarrow leftarrow leq geq approx sim infty partial".split())  # no primes: matplotlib 3.10 fails on some
_PLAIN = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-=,.()/|*<>!:;[]")


def _simple_math(s: str) -> bool:
    """True if ``s`` (the inside of $...$) is built only from plain characters, the symbols of
    _SAFE_COMMANDS and brace groups, each with at most one subscript and one superscript and
    not empty: a grammar that matplotlib's mathtext always accepts (checked against its parser
    on random strings in tests/test_hostile.py), so that the usual labels (``NA64-$\\mu$``,
    ``$10^{13}$``, ``$g_\\mu$``) need no matplotlib import. Anything else goes to the parser."""
    import re

    pos = 0
    n = len(s)

    def atom():
        nonlocal pos
        if pos >= n:
            return False
        c = s[pos]
        if c in _PLAIN:
            pos += 1
            return True
        if c == "\\":
            m = re.match(r"\\([A-Za-z]+)", s[pos:])
            if not m or m.group(1) not in _SAFE_COMMANDS:
                return False
            pos += m.end()
            return True
        if c == "{":
            pos += 1
            if not expr("}"):
                return False
            pos += 1
            return True
        return False

    def skip():
        nonlocal pos
        while pos < n and s[pos] == " ":
            pos += 1

    def expr(close):
        nonlocal pos
        first = True
        while True:
            skip()  # spaces are ignored in math mode: they neither make nor separate atoms
            if pos >= n or s[pos] == close:
                break
            if not (first and s[pos] in "_^") and not atom():  # "M$^3$": scripts of an empty base first
                return False
            first = False
            seen = set()
            while True:
                skip()
                if not (pos < n and s[pos] in "_^") or s[pos] in seen:
                    break
                seen.add(s[pos])
                pos += 1
                if pos >= n or s[pos] == " " or not atom():
                    return False
            if pos < n and s[pos] in "_^":  # a second subscript or superscript
                return False
        return (pos < n) if close else True

    return bool(s.strip()) and expr(None) and pos == n


_MATHTEXT_LOCK = threading.Lock()


@lru_cache(maxsize=512)
def _mathtext_problem(text: str) -> str:
    """matplotlib's reason for refusing ``text``, or "" (one parse per text; the parser is
    shared, hence the lock: concurrent parses corrupt its state)."""
    import re

    dollars = text.count("$") - text.count("\\$")
    if dollars == 0 or dollars % 2:  # matplotlib.cbook.is_math_text: then drawn as plain text
        return ""
    if all(_simple_math(m) for m in re.split(r"(?<!\\)\$", text)[1::2]):
        return ""
    from matplotlib.mathtext import MathTextParser

    with _MATHTEXT_LOCK:
        try:
            MathTextParser("path").parse(text, dpi=72)
        except Exception as exc:  # noqa: BLE001 - ValueError for a mistake; older matplotlib
            # (3.10) also fails with AttributeError on some primes and scripts: not drawable either
            if not isinstance(exc, (ValueError, RuntimeError)):
                return f"matplotlib {type(exc).__name__} while parsing it"
            lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
            reason = next((ln.split(": ", 1)[1] for ln in lines if "Exception: " in ln), lines[-1] if lines else "")
            return reason.split("  (at char")[0] or "cannot be parsed"
    return ""
