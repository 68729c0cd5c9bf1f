"""Typed errors. Every user mistake raises a subclass of :class:`MudumpError` whose message is one
line naming the offending field and what is allowed; the CLI prints it and exits with code 2."""

from __future__ import annotations


class MudumpError(Exception):
    """Base class of every error mudump raises on purpose."""


class DomainError(MudumpError, ValueError):
    """A physical input outside the range where mudump's formulas are valid (or NaN)."""


class UnknownNameError(MudumpError, KeyError):
    """A name (material, model, preset, experiment) that mudump does not know."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ConfigError(MudumpError, ValueError):
    """A malformed or inconsistent configuration (TOML file, option combination)."""


class MudumpWarning(UserWarning):
    """Something the user should know that does not stop the computation (a cache entry
    rebuilt, a decay channel closed by the model's own parameters). The CLI shows each as one
    ``warning: ...`` line."""
