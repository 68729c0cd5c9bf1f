"""Units convention and physical constants: every number mudump uses, with its source.

Units convention (stated once, used everywhere)
------------------------------------------------
* Inside formulas: natural units, hbar = c = 1, powers of GeV.
* At the API: energies, masses and widths in **GeV**; lengths in **metres**; cross sections in
  **m^2** (the CLI and output files convert to cm^2 and say so in the column/key name);
  densities in **kg/m^3**; number densities in **1/m^3**.
* Muon energies are **total** energies (rest mass included), unless a name says ``kinetic``.
* Conversions between natural units and SI live only here (``HBARC_GEV_M``, ``GEV2_TO_M2``...).

Sources: CODATA (the edition of the installed scipy: 2018 up to scipy 1.14, 2022 from 1.15)
through ``scipy.constants`` (alpha, hbar*c, N_A, mu_p); lepton and proton masses from the PDG
through the ``particle`` package (never typed by hand).

Start-up cost and the cached table
----------------------------------
Importing ``particle`` and reading its PDG table takes ~0.15 s and ``scipy.constants`` ~0.1 s,
which every command (even ``mudump --help``) used to pay. The values are now read from those
libraries once and kept in a small JSON table in the user cache (``constants-<key>.json``),
whose key is the identity of the installed ``particle`` and ``scipy`` (their paths and the
modification times of their package files): installing another version of either gives a new
key, so the table is regenerated from the libraries on the next use, never stale. The file
records the library versions it came from (provenance) and the SHA-256 of its values: a table
edited by hand (``M_MU = 0.2``) or damaged no longer matches it, and is recomputed from the
libraries with a one-line warning instead of being used. The names below are module attributes
computed on first access (PEP 562 module ``__getattr__``), so ``import mudump.constants`` costs
nothing until a number is used. If the cache is not writable the values are simply recomputed.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache

#: m^2 -> cm^2.
M2_TO_CM2: float = 1e4

#: g/cm^3 -> kg/m^3.
G_CM3_TO_KG_M3: float = 1e3

#: MeV cm^2/g -> GeV m^2/kg  (mass stopping power).
MEV_CM2_G_TO_GEV_M2_KG: float = 1e-3 * 1e-4 / 1e-3

#: Largest muon (beam) energy, total, in GeV, accepted by every door (experiment files, xsec,
#: ratio, material, the explorer): 100 TeV. The production kernels are tested up to it (ETL
#: approaches IWW there, tests/test_etl.py) and beam-dump proposals stay far below it.
E_MAX_GEV: float = 1e5

# Names computed from the libraries (documented here; values in _library_values()):
#: ALPHA: fine-structure constant alpha(0), CODATA (scipy.constants), ~1/137.035999.
#: HBARC_GEV_M: hbar*c in GeV*m, CODATA: 197.3269804 MeV fm = 1.973269804e-16 GeV m.
#: GEV2_TO_M2: (hbar c)^2 in GeV^2 m^2: multiply a cross section in GeV^-2 by this to get m^2.
#: N_AVOGADRO: Avogadro's number in 1/mol, CODATA (exact since 2018).
#: MU_PROTON: proton magnetic moment in nuclear magnetons, CODATA: 2.79284734463 (2018).
#: ATOMIC_MASS_UNIT_GEV: the atomic mass constant u c^2 in GeV, CODATA (scipy.constants):
#:     0.93149410242 (2018), 0.93149410372 (2022).
#: G_FERMI_GEV2: the Fermi coupling constant G_F/(hbar c)^3 in GeV^-2, CODATA (scipy.constants):
#:     1.1663787e-5.
#: M_E, M_MU, M_TAU, M_PROTON: electron, muon, tau and proton masses in GeV (PDG via particle).
#: LEPTONS: charged leptons by name -> mass in GeV ({"e": M_E, "mu": M_MU, "tau": M_TAU}).
_LIBRARY_NAMES = ("ALPHA", "HBARC_GEV_M", "N_AVOGADRO", "MU_PROTON", "ATOMIC_MASS_UNIT_GEV", "G_FERMI_GEV2", "M_E", "M_MU", "M_TAU", "M_PROTON")
_DERIVED_NAMES = ("GEV2_TO_M2", "LEPTONS")
#: Particle names whose PDG IDs are kept in the cached table (the rest go to ``particle``).
PDG_NAMES = ("e-", "e+", "mu-", "mu+", "tau-", "tau+", "gamma")

__all__ = ["M2_TO_CM2", "G_CM3_TO_KG_M3", "MEV_CM2_G_TO_GEV_M2_KG", "E_MAX_GEV", *_LIBRARY_NAMES, *_DERIVED_NAMES, "pdg_id"]


def compute_library_values() -> dict:
    """The constants read from ``scipy.constants`` (CODATA) and ``particle`` (PDG), with the
    versions they came from. Slow (imports both libraries); see :func:`_library_values`."""
    import particle
    import scipy
    import scipy.constants as sc
    from particle import Particle

    def mass_gev(pdgid: int) -> float:
        return Particle.from_pdgid(pdgid).mass * 1e-3  # particle gives MeV

    return {
        "ALPHA": sc.fine_structure,
        "HBARC_GEV_M": sc.physical_constants["reduced Planck constant times c in MeV fm"][0] * 1e-3 * 1e-15,
        "N_AVOGADRO": sc.Avogadro,
        "MU_PROTON": sc.physical_constants["proton mag. mom. to nuclear magneton ratio"][0],
        "ATOMIC_MASS_UNIT_GEV": sc.physical_constants["atomic mass constant energy equivalent in MeV"][0] * 1e-3,
        "G_FERMI_GEV2": sc.physical_constants["Fermi coupling constant"][0],
        "M_E": mass_gev(11),
        "M_MU": mass_gev(13),
        "M_TAU": mass_gev(15),
        "M_PROTON": mass_gev(2212),
        # Particle.from_name scans the whole PDG table (~0.1 s per name): the names mudump's
        # event records use are looked up once, here
        "pdg_ids": {name: int(Particle.from_name(name).pdgid) for name in PDG_NAMES},
        "provenance": {"scipy": scipy.__version__, "particle": particle.__version__},
    }


def _library_key() -> str:
    """Identity of the installed scipy and particle, without importing them: their package
    paths and the modification times (ns) of their ``__init__.py``."""
    from importlib.util import find_spec

    parts = []
    for name in ("scipy", "particle"):
        spec = find_spec(name)
        origin = spec.origin if spec is not None and spec.origin else name
        try:
            mtime = os.stat(origin).st_mtime_ns
        except OSError:
            mtime = 0
        parts.append(f"{origin}:{mtime}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def _digest(values: dict) -> str:
    """SHA-256 of the values' canonical JSON text (sorted keys)."""
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


@cache
def _library_values() -> dict:
    """The library constants, from the cached table when it matches the installed libraries and
    its checksum, else computed and cached (see the module docstring)."""
    from .cache import cache_dir

    try:
        path = cache_dir() / f"constants-{_library_key()}.json"
    except OSError:  # no usable cache directory
        path = None
    try:
        with open(path, encoding="utf-8") as fh:
            values = json.load(fh)
        recorded = values.pop("sha256", None)
        if recorded is None:  # written by mudump 0.1 (no checksum): recomputed silently
            pass
        elif recorded != _digest(values):
            import warnings

            from .cache import CacheWarning

            warnings.warn(f"cache entry {path} (physical constants) was edited or damaged (its SHA-256 differs); "
                          "recomputed from scipy and particle", CacheWarning, stacklevel=3)
        elif all(isinstance(values.get(k), float) for k in _LIBRARY_NAMES) and set(values.get("pdg_ids", ())) == set(
            PDG_NAMES
        ):
            return values
    except (OSError, TypeError, ValueError, AttributeError, KeyError):
        pass
    values = compute_library_values()
    if path is not None:
        try:
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({**values, "sha256": _digest(values)}, indent=1), encoding="utf-8")
            tmp.replace(path)
        except OSError:  # read-only cache: recompute next time
            pass
    return values


def __getattr__(name: str):
    if name in _LIBRARY_NAMES:
        value = float(_library_values()[name])
    elif name == "GEV2_TO_M2":
        value = __getattr__("HBARC_GEV_M") ** 2
    elif name == "LEPTONS":
        value = {"e": __getattr__("M_E"), "mu": __getattr__("M_MU"), "tau": __getattr__("M_TAU")}
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later accesses skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


@cache
def pdg_id(name: str) -> int:
    """PDG Monte Carlo ID of a particle by its ``particle``-package name (e.g. ``"mu+"``)."""
    if name in PDG_NAMES:
        return int(_library_values()["pdg_ids"][name])
    from particle import Particle

    return int(Particle.from_name(name).pdgid)
