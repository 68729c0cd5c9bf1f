"""Models of the dark scalar: data (couplings per lepton) plus the width kernels of
:mod:`mudump.models.scalar`.

A model is a :class:`ScalarModel`: the ratio of each lepton's coupling to g_mu. New models
(other ratios, or invisible channels later) are new data, not new kernels.

Units: m_S and widths in GeV, couplings dimensionless, lengths in metres, energies total in GeV.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import numpy as np

from .._checks import check_range
from ..constants import LEPTONS
from ..errors import DomainError, UnknownNameError
from . import scalar

#: Range of S masses (GeV) over which the models are validated: 1 MeV to 1 GeV (issue 2).
#: Below 1 MeV the e+e- channel closes and S is stable against visible decays in model A except
#: through photons; above 1 GeV hadronic physics (absent here) would matter for a realistic model.
MASS_RANGE_GEV: tuple[float, float] = (1e-3, 1.0)

#: Largest coupling accepted: perturbativity, g^2/(4 pi) < 1.
COUPLING_MAX: float = float(np.sqrt(4.0 * np.pi))

#: Decay channels, in a fixed order, with the lepton of each l+l- channel.
LEPTON_CHANNELS: dict[str, str] = {"e+ e-": "e", "mu+ mu-": "mu", "tau+ tau-": "tau"}
PHOTON_CHANNEL = "gamma gamma"
CHANNELS: tuple[str, ...] = (PHOTON_CHANNEL, *LEPTON_CHANNELS)


@dataclass(frozen=True)
class ScalarModel:
    """A CP-even scalar coupled to charged leptons, g_l = ratio_l * g_mu.

    Attributes
    ----------
    name: short name, the letter of the paper ("A", "B") for the presets.
    alias: a descriptive name accepted wherever a model is named ("leptophilic", "muonphilic").
    description: one line for tables and plot legends.
    ratios: g_l / g_mu for each lepton ("e", "mu", "tau"); missing leptons do not couple.
    reference: where the model comes from.
    """

    name: str
    description: str
    ratios: Mapping[str, float]
    reference: str = ""
    alias: str = ""

    def __post_init__(self):
        unknown = set(self.ratios) - set(LEPTONS)
        if unknown:
            raise UnknownNameError(f"model {self.name}: unknown lepton(s) {sorted(unknown)}; allowed: e, mu, tau")
        object.__setattr__(self, "ratios", MappingProxyType(dict(self.ratios)))

    @property
    def label(self) -> str:
        """The letter with the descriptive name, e.g. "A (leptophilic)", for tables and titles."""
        return f"{self.name} ({self.alias})" if self.alias and self.alias != self.name else self.name

    def couplings(self, g_mu) -> dict[str, np.ndarray]:
        """Coupling of each lepton (dimensionless) for a muon coupling ``g_mu`` (array ok)."""
        g_mu = np.asarray(g_mu, dtype=float)
        return {l: r * g_mu for l, r in self.ratios.items() if r != 0.0}

    def widths(self, m_S, g_mu) -> dict[str, np.ndarray]:
        """Partial widths in GeV by channel name (see :data:`CHANNELS`), broadcast over m_S, g_mu."""
        m_S = check_range("mass_GeV", m_S, *MASS_RANGE_GEV, unit="GeV")
        g_mu = check_range("coupling", g_mu, 0.0, COUPLING_MAX)
        g = self.couplings(g_mu)
        zero = np.zeros(np.broadcast(m_S, g_mu).shape)
        out = {PHOTON_CHANNEL: zero + scalar.width_to_photons(m_S, list(g.values()), [LEPTONS[l] for l in g])}
        for channel, lep in LEPTON_CHANNELS.items():
            out[channel] = zero + (scalar.width_to_leptons(m_S, g[lep], LEPTONS[lep]) if lep in g else 0.0)
        return out

    def total_width(self, m_S, g_mu) -> np.ndarray:
        """Total width in GeV."""
        return sum(self.widths(m_S, g_mu).values())

    def branching_ratios(self, m_S, g_mu=1.0) -> dict[str, np.ndarray]:
        """Branching ratio of each channel (independent of g_mu: every width scales as g_mu^2)."""
        w = self.widths(m_S, g_mu)
        tot = sum(w.values())
        return {k: np.divide(v, tot, out=np.zeros_like(tot), where=tot > 0) for k, v in w.items()}

    def ctau(self, m_S, g_mu) -> np.ndarray:
        """Proper decay length c*tau in metres."""
        return scalar.proper_decay_length(self.total_width(m_S, g_mu))

    def decay_length(self, energy, m_S, g_mu) -> np.ndarray:
        """Mean lab decay length in metres of an S of total energy ``energy`` (GeV)."""
        m_S = check_range("mass_GeV", m_S, *MASS_RANGE_GEV, unit="GeV")
        energy = check_range("energy_GeV", energy, 0.0, lo_open=True, unit="GeV")
        if np.any(energy < m_S):
            raise DomainError(f"energy_GeV = {float(np.min(energy)):g} is below the S mass: need energy_GeV >= mass_GeV")
        return scalar.lab_decay_length(energy, m_S, self.total_width(m_S, g_mu))


#: The study's models, labelled as in its paper (Chen, Pospelov, Zhong, arXiv:1701.07437,
#: PRD 95 (2017) 115005, section II) and its talk (model A drawn with S -> e+e-, model B with
#: S -> gamma gamma). mudump 0.1.0 had the two letters the other way round.
MODELS: dict[str, ScalarModel] = {
    "A": ScalarModel(
        "A",
        "g_l = g_mu m_l / m_mu",
        {l: m / LEPTONS["mu"] for l, m in LEPTONS.items()},
        "Chen, Pospelov, Zhong, arXiv:1701.07437, section II, model A ('mass proportionality'); "
        "minimal flavour violation as in Batell, Lange, McKeen, Pospelov, Ritz, arXiv:1606.04943",
        alias="leptophilic",
    ),
    "B": ScalarModel(
        "B",
        "g_mu only",
        {"mu": 1.0},
        "Chen, Pospelov, Zhong, arXiv:1701.07437, section II, model B ('coupling exclusively to muons')",
        alias="muonphilic",
    ),
}


def _normalise(name: str) -> str:
    return "".join(c for c in str(name).lower() if c.isalnum())


def model_names() -> list[str]:
    """Every accepted model name: the letters and the descriptive names."""
    return [n for m in MODELS.values() for n in (m.name, m.alias) if n]


def get_model(name: "str | ScalarModel") -> ScalarModel:
    """Look a model up by letter ("A", "B") or descriptive name ("leptophilic", "muonphilic";
    case, hyphens and underscores ignored); a ScalarModel is returned unchanged."""
    if isinstance(name, ScalarModel):
        return name
    key = _normalise(name)
    for m in MODELS.values():
        if key in (_normalise(m.name), _normalise(m.alias)):
            return m
    accepted = ", ".join(f"{m.name} or {m.alias}" for m in MODELS.values())
    raise UnknownNameError(f"model = {name!r} is unknown: allowed {accepted}")


__all__ = ["ScalarModel", "MODELS", "get_model", "model_names", "CHANNELS", "MASS_RANGE_GEV", "COUPLING_MAX", "scalar"]
