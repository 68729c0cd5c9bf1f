"""Labels drawn with matplotlib's mathtext: checked when a file is read, so that a LaTeX
mistake is one line naming the field, not a traceback while the plot is drawn."""

from __future__ import annotations

from functools import cache

from ..errors import ConfigError


@cache
def _parser():
    from matplotlib.mathtext import MathTextParser

    return MathTextParser("path")


def check_mathtext(field: str, text: str) -> str:
    """Return ``text`` if matplotlib can draw it (an even number of unescaped ``$``, each
    ``$...$`` valid mathtext), else raise :class:`mudump.errors.ConfigError` naming ``field``."""
    unescaped = text.replace("\\$", "")
    if unescaped.count("$") % 2:
        raise ConfigError(f"{field} = {text!r}: an odd number of '$' (mathtext needs them in pairs; write \\$ for a dollar)")
    parts = unescaped.split("$")
    for math in parts[1::2]:
        try:
            _parser().parse(f"${math}$", dpi=72)
        except ValueError as exc:
            first = str(exc).strip().splitlines()[-1] if str(exc).strip() else "not valid mathtext"
            raise ConfigError(f"{field} = {text!r}: ${math}$ is not valid mathtext ({first})") from None
    return text


__all__ = ["check_mathtext"]
