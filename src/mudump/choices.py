"""The named choices every door offers (production methods, form factors, acceptance, figures of
merit) and the catalogue of shipped presets, in one light module: the command line builds its
``--help`` from it without importing numpy, and the library modules take their lists from here.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

#: Production methods of mu N -> mu N X, with what each is.
METHODS: dict[str, str] = {
    "etl": "exact tree level (2->3 matrix element, nuclear recoil; tabulated ETL/WW ratio)",
    "ww": "phase-space Weizsaecker-Williams (exact t_min(x, theta))",
    "iww": "improved Weizsaecker-Williams (x-independent t_min; overstates muon-beam production)",
}
DEFAULT_METHOD = "etl"
#: The default method per beam lepton: exact tree level for muon beams; phase-space WW for
#: electron beams (exact tree level is tabulated for muons only: mudump.production.electron_beam).
DEFAULT_METHODS: dict[str, str] = {"mu": "etl", "e": "ww"}


def default_method(lepton: str = "mu") -> str:
    """The default production method of a beam of ``lepton`` (:data:`DEFAULT_METHODS`)."""
    return DEFAULT_METHODS[lepton]


#: Short names of the methods for legends and tables (no jargon).
METHOD_NAMES: dict[str, str] = {"etl": "exact tree level", "ww": "phase-space WW", "iww": "improved WW"}
#: Nuclear form-factor parametrisations (:mod:`mudump.production.formfactors`).
FORM_FACTOR_NAMES: tuple[str, ...] = ("tsai", "helm")
DEFAULT_FORM_FACTOR = "tsai"
#: Acceptance of a reach: none (the semi-analytic signal), or mc (times the event generator's
#: geometric acceptance).
ACCEPTANCES: tuple[str, ...] = ("none", "mc")
#: Figures of merit in every row of a design scan (besides the contour lists).
FIGURES_OF_MERIT: tuple[str, ...] = ("best_g_mu", "best_mass_GeV", "mass_low_GeV", "mass_high_GeV",
                                     "excluded_fraction")


@cache
def model_presets() -> tuple[tuple[str, str], ...]:
    """(name, descriptive name) of every shipped model preset, in file order (read with tomllib
    only: the full validation is :func:`mudump.models.presets`)."""
    out = []
    folder = resources.files("mudump").joinpath("models", "presets")
    for f in sorted(folder.iterdir(), key=lambda p: p.name):
        if f.name.endswith(".toml"):
            doc = tomllib.loads(f.read_text(encoding="utf-8"))
            out.append((str(doc.get("name", f.name[:-5])), str(doc.get("alias", ""))))
    return tuple(out)


def model_help() -> str:
    """The ``--model`` help text, generated from the shipped presets."""
    names = ", ".join(f"{n} or {a}" if a and a != n else n for n, a in model_presets())
    return f"A model preset ({names}) or a path to a model TOML file."


__all__ = ["METHODS", "DEFAULT_METHOD", "DEFAULT_METHODS", "default_method", "METHOD_NAMES", "FORM_FACTOR_NAMES", "DEFAULT_FORM_FACTOR", "ACCEPTANCES",
           "FIGURES_OF_MERIT", "model_presets", "model_help"]
