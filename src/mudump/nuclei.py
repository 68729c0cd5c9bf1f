"""A target nucleus with its atomic electrons: Z, A, symbol, and the scales of its photon form
factors. The ground floor that both :mod:`mudump.materials` and :mod:`mudump.production` stand
on, so that neither imports the other for it.

Units: masses in GeV; A in g/mol (used as the nucleon number in the nuclear-size parameter);
screening lengths in GeV^-1; d in GeV^2.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import periodictable

from .constants import M_E
from .errors import UnknownNameError

#: Thomas-Fermi screening constants of the atomic form factors, a = 111 Z^-1/3 / m_e (elastic)
#: and a' = 773 Z^-2/3 / m_e (inelastic) (Tsai, Rev. Mod. Phys. 46 (1974) 815, eqs. 3.38, 3.41;
#: Bjorken, Essig, Schuster, Toro, arXiv:0906.0580, eqs. A18-A19).
SCREENING_EL: float = 111.0
SCREENING_INEL: float = 773.0
#: Nuclear-size parameter d = 0.164 GeV^2 A^-2/3 of the elastic form factor (same sources).
NUCLEAR_D_GEV2: float = 0.164


@dataclass(frozen=True)
class Nucleus:
    """A target nucleus (with its atomic electrons): atomic number Z, atomic mass A in g/mol."""

    Z: int
    A: float
    symbol: str = ""

    @property
    def a_el(self) -> float:
        """Elastic screening length a = 111 Z^-1/3 / m_e in GeV^-1."""
        return SCREENING_EL * self.Z ** (-1.0 / 3.0) / M_E

    @property
    def a_inel(self) -> float:
        """Inelastic screening length a' = 773 Z^-2/3 / m_e in GeV^-1."""
        return SCREENING_INEL * self.Z ** (-2.0 / 3.0) / M_E

    @property
    def d(self) -> float:
        """Nuclear-size parameter d = 0.164 A^-2/3 GeV^2."""
        return NUCLEAR_D_GEV2 * self.A ** (-2.0 / 3.0)


@cache
def nucleus(symbol: str) -> Nucleus:
    """The nucleus of a chemical element by symbol ("W", "Pb"...), Z and A from ``periodictable``."""
    try:
        el = periodictable.elements.symbol(symbol)
    except ValueError:
        raise UnknownNameError(f"element = {symbol!r} is not a chemical symbol (e.g. W, Pb, Fe)") from None
    if el.number < 1:
        raise UnknownNameError(f"element = {symbol!r} is not a chemical symbol (e.g. W, Pb, Fe)")
    return Nucleus(int(el.number), float(el.mass), el.symbol)


__all__ = ["Nucleus", "nucleus", "SCREENING_EL", "SCREENING_INEL", "NUCLEAR_D_GEV2"]
