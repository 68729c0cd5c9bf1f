"""Models of the light mediator X as data: its kind, its coupling to each lepton as a ratio to
g_mu, an optional kinetic mixing with the photon and an optional dark sector; the width kernels
of :mod:`mudump.models.widths` turn that into widths, branching ratios and decay lengths.

A model is a TOML file (presets in ``mudump/models/presets/``; a user's file by path) with the
same fields as :class:`Model`; :func:`get_model` takes a preset name, a letter, a descriptive
name or a path. The study's models keep their paper's letters (Chen, Pospelov, Zhong,
arXiv:1701.07437, section II): ``A`` = ``leptophilic`` (g_l = g_mu m_l/m_mu), ``B`` =
``muonphilic`` (g_mu only). mudump 0.1.0 had the two letters the other way round.

Units: m_X and widths in GeV, couplings dimensionless, lengths in metres, energies total in GeV.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Literal, Mapping, Optional

import numpy as np

from .._checks import check_range, echo, fmt_number, is_existing_path
from ..constants import LEPTONS
from ..errors import ConfigError, DomainError, MudumpWarning, UnknownNameError
from . import scalar, widths
from .widths import KINDS

#: Range of mediator masses (GeV) over which the models are validated: 1 MeV to 1 GeV.
#: Below 1 MeV the e+e- channel closes and a scalar of model A decays only to photons; above
#: 1 GeV hadronic physics (absent here) would matter for a realistic model.
MASS_RANGE_GEV: tuple[float, float] = (1e-3, 1.0)

#: Largest coupling accepted: perturbativity, g^2/(4 pi) < 1.
COUPLING_MAX: float = float(np.sqrt(4.0 * np.pi))

#: Version of the model-file format (the optional ``schema_version`` key of a model file).
MODEL_SCHEMA_VERSION = 1  # = mudump.config.SCHEMA_VERSION
#: Largest |g_l / g_mu| a model file may give: g_l = ratio * g_mu then stays perturbative
#: (below COUPLING_MAX = sqrt(4 pi)) for every g_mu up to 3.5e-3, above the whole region a muon
#: beam dump and (g-2)_mu probe (g_mu ~ 1e-6 to 1e-3 below 1 GeV); a larger ratio is a model of
#: another lepton, not of the muon (the mass-proportional tau has 16.8).
RATIO_MAX: float = 1e3

#: Charged leptons and neutrinos a model may couple to.
CHARGED = ("e", "mu", "tau")
NEUTRINOS = ("nu_e", "nu_mu", "nu_tau")

#: Decay channels, in a fixed order, with the lepton of each l+l- channel.
LEPTON_CHANNELS: dict[str, str] = {"e+ e-": "e", "mu+ mu-": "mu", "tau+ tau-": "tau"}
PHOTON_CHANNEL = "gamma gamma"
NEUTRINO_CHANNEL = "nu nu-bar"
DARK_CHANNEL = "chi chi-bar"
#: Channels seen by a detector (charged leptons, photons) and channels that escape it.
VISIBLE: tuple[str, ...] = (PHOTON_CHANNEL, *LEPTON_CHANNELS)
INVISIBLE: tuple[str, ...] = (NEUTRINO_CHANNEL, DARK_CHANNEL)
CHANNELS: tuple[str, ...] = VISIBLE + INVISIBLE


@dataclass(frozen=True)
class DarkSector:
    """A Dirac fermion chi that X decays to, X -> chi chi-bar, with the same Lorentz structure
    as X's coupling to leptons and coupling g_chi = sqrt(4 pi alpha_D). Its mass is absolute
    (``chi_mass_GeV``) or a fixed ratio to m_X (``chi_mass_ratio``)."""

    alpha_D: float
    chi_mass_GeV: Optional[float] = None
    chi_mass_ratio: Optional[float] = None

    def chi_mass(self, m_X):
        """m_chi in GeV for mediator masses m_X (GeV)."""
        if self.chi_mass_ratio is not None:
            return self.chi_mass_ratio * np.asarray(m_X, dtype=float)
        return np.full(np.shape(m_X), float(self.chi_mass_GeV))

    @property
    def g_chi(self) -> float:
        return float(np.sqrt(4.0 * np.pi * self.alpha_D))


@dataclass(frozen=True)
class Model:
    """A light mediator X: kind, couplings g_l = ratio_l * g_mu, optional kinetic mixing and
    dark sector.

    Attributes
    ----------
    name: short name ("A", "B", "lmu-ltau", ...).
    description: one line for tables and plot titles.
    ratios: g_l / g_mu for each lepton ("e", "mu", "tau", and for the vector kinds "nu_e",
        "nu_mu", "nu_tau"); missing leptons do not couple.
    reference: where the model comes from.
    alias: a descriptive name accepted wherever a model is named ("leptophilic", ...).
    kind: "scalar", "pseudoscalar", "vector" or "axial-vector".
    kinetic_mixing: None; "lmu-ltau" (the loop-induced mixing of the gauged L_mu - L_tau boson,
        :func:`mudump.models.widths.lmu_ltau_mixing`); or a number, eps/g_mu.
    dark_sector: None or a :class:`DarkSector`.
    coupling_label: how the model's papers name the scanned coupling ("g_mu", "g'").
    """

    name: str
    description: str
    ratios: Mapping[str, float]
    reference: str = ""
    alias: str = ""
    kind: str = "scalar"
    kinetic_mixing: "str | float | None" = None
    dark_sector: Optional[DarkSector] = None
    coupling_label: str = "g_mu"
    source_file: str = field(default="", compare=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise UnknownNameError(f"model {self.name}: kind = {self.kind!r} is unknown: allowed {', '.join(KINDS)}")
        allowed = CHARGED + (NEUTRINOS if widths.SPIN[self.kind] == 1 else ())
        unknown = set(self.ratios) - set(allowed)
        if unknown:
            raise UnknownNameError(
                f"model {self.name}: couplings.{sorted(unknown)[0]} is not a lepton this {self.kind} can couple to: "
                f"allowed {', '.join(allowed)}"
            )
        object.__setattr__(self, "ratios", MappingProxyType(dict(self.ratios)))

    def __reduce__(self):
        # the read-only mapping does not pickle: rebuild from a plain dict (process pools, Dask)
        return (Model, (self.name, self.description, dict(self.ratios), self.reference, self.alias, self.kind,
                        self.kinetic_mixing, self.dark_sector, self.coupling_label, self.source_file))

    def __hash__(self):
        # the key is a JSON text: hashed once per object (models key dicts in scans' inner loops)
        h = self.__dict__.get("_hash")
        if h is None:
            h = hash(self.key())
            object.__setattr__(self, "_hash", h)
        return h

    def key(self) -> str:
        """A canonical text of everything that defines the model's physics and names (its
        :meth:`document`): equal for equal models, whatever file or preset they came from."""
        import json

        return json.dumps(self.document(), sort_keys=True, separators=(",", ":"))

    def document(self) -> dict:
        """The model as a model-file document (what :func:`parse_model` reads back into an
        equal Model): name, kind, every coupling ratio, the kinetic mixing and the dark
        sector. Results carry it, so a model from a user's file is never looked up again."""
        doc: dict = {"schema_version": MODEL_SCHEMA_VERSION, "name": self.name, "kind": self.kind}
        for k in ("alias", "description", "reference"):
            if getattr(self, k):
                doc[k] = getattr(self, k)
        if self.coupling_label != "g_mu":
            doc["coupling_label"] = self.coupling_label
        doc["couplings"] = {l: float(r) for l, r in self.ratios.items()}
        if self.kinetic_mixing == "lmu-ltau":
            doc["kinetic_mixing"] = {"loop": "lmu-ltau"}
        elif self.kinetic_mixing is not None:
            doc["kinetic_mixing"] = {"epsilon_over_g": float(self.kinetic_mixing)}
        if self.dark_sector is not None:
            d = self.dark_sector
            doc["dark_sector"] = {"alpha_D": float(d.alpha_D), **(
                {"chi_mass_GeV": float(d.chi_mass_GeV)} if d.chi_mass_GeV is not None
                else {"chi_mass_ratio": float(d.chi_mass_ratio)})}
        return doc

    @property
    def source(self) -> str:
        """Where the model was read from: "preset NAME" or the path of the user's file."""
        return self.source_file

    @property
    def label(self) -> str:
        """The name with the descriptive name, e.g. "A (leptophilic)", for tables and titles."""
        return f"{self.name} ({self.alias})" if self.alias and self.alias != self.name else self.name

    def is_named(self, name: str) -> bool:
        """True if ``name`` is this model's name or descriptive name (case, hyphens and
        underscores ignored); an empty name (nothing left after normalising) matches nothing."""
        key = _normalise(name)
        return bool(key) and key in {_normalise(self.name), _normalise(self.alias)} - {""}

    @property
    def spin(self) -> int:
        return widths.SPIN[self.kind]

    # -- couplings --------------------------------------------------------------------------

    def mixing(self, m_X):
        """|eps| / g_mu at q^2 = m_X^2 (0 without kinetic mixing)."""
        if self.kinetic_mixing is None:
            return np.zeros(np.shape(m_X))
        if self.kinetic_mixing == "lmu-ltau":
            return widths.lmu_ltau_mixing(m_X, LEPTONS["mu"], LEPTONS["tau"])
        return np.full(np.shape(m_X), float(self.kinetic_mixing))

    def couplings(self, g_mu, m_X=None, mixing_mass=None) -> dict[str, np.ndarray]:
        """Coupling of each charged lepton (dimensionless) for a muon coupling ``g_mu`` (array
        ok). With kinetic mixing eps, a charged lepton without a direct coupling couples with
        e eps (its electric charge times eps; needs ``m_X``, eps runs with q^2 = m_X^2, or with
        q^2 = ``mixing_mass``^2 when it is given); for leptons that couple directly the
        correction (below 0.5% for L_mu - L_tau) is left out."""
        g_mu = np.asarray(g_mu, dtype=float)
        out = {l: r * g_mu for l, r in self.ratios.items() if r != 0.0 and l in CHARGED}
        if self.kinetic_mixing is not None and m_X is not None:
            from ..constants import ALPHA

            e_eps = np.sqrt(4.0 * np.pi * ALPHA) * self.mixing(m_X if mixing_mass is None else mixing_mass) * g_mu
            for l in CHARGED:
                out.setdefault(l, e_eps)
        return out

    # -- widths -----------------------------------------------------------------------------

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels this model has (widths may still vanish below thresholds)."""
        out = list(VISIBLE)
        if any(self.ratios.get(n, 0.0) for n in NEUTRINOS):
            out.append(NEUTRINO_CHANNEL)
        if self.dark_sector is not None:
            out.append(DARK_CHANNEL)
        return tuple(out)

    def widths(self, m_X, g_mu) -> dict[str, np.ndarray]:
        """Partial widths in GeV by channel name (:attr:`channels`), broadcast over m_X, g_mu.

        A coupling so small that the total width underflows double precision (g^2 Gamma(g=1)
        below ~1e-308 GeV, e.g. g_mu = 1e-300) raises :class:`DomainError` with the smallest
        coupling that is representable, rather than reporting a decaying X as stable."""
        m_X = check_range("mass_GeV", m_X, *MASS_RANGE_GEV, unit="GeV")
        g_mu = check_range("coupling", g_mu, 0.0, COUPLING_MAX)
        out = self._widths(m_X, g_mu)
        total = sum(out.values())
        lost = (g_mu > 0) & ~(total >= np.finfo(float).tiny)  # zero or subnormal (digits lost)
        if np.any(lost):
            at_one = sum(self._widths(m_X, np.ones_like(g_mu)).values()) + np.zeros_like(total)
            lost &= at_one > 0
            if np.any(lost):
                g_min = float(np.max(np.sqrt(np.finfo(float).tiny / at_one[lost])))
                g_bad = float((np.zeros_like(total) + g_mu)[lost].flat[0])
                raise DomainError(f"coupling = {fmt_number(g_bad)} is too small: the decay widths underflow double "
                                  f"precision (need coupling >= {1.05 * g_min:.1e} for model {self.name})")
        return out

    def _widths(self, m_X, g_mu) -> dict[str, np.ndarray]:
        g = self.couplings(g_mu, m_X)
        zero = np.zeros(np.broadcast(m_X, g_mu).shape)
        out = {PHOTON_CHANNEL: zero + widths.width_to_photons(self.kind, m_X, list(g.values()), [LEPTONS[l] for l in g])}
        for channel, lep in LEPTON_CHANNELS.items():
            out[channel] = zero + (widths.width_to_fermions(self.kind, m_X, g[lep], LEPTONS[lep]) if lep in g else 0.0)
        if NEUTRINO_CHANNEL in self.channels:
            out[NEUTRINO_CHANNEL] = zero + sum(
                widths.width_to_neutrinos(m_X, self.ratios.get(n, 0.0) * g_mu) for n in NEUTRINOS
            )
        if self.dark_sector is not None:
            d = self.dark_sector
            out[DARK_CHANNEL] = zero + widths.width_to_fermions(self.kind, m_X, d.g_chi, d.chi_mass(m_X))
        return out

    def total_width(self, m_X, g_mu) -> np.ndarray:
        """Total width in GeV."""
        return sum(self.widths(m_X, g_mu).values())

    def branching_ratios(self, m_X, g_mu=1.0) -> dict[str, np.ndarray]:
        """Branching ratio of each channel. Without a dark sector every width scales as g_mu^2
        and the ratios do not depend on g_mu; X -> chi chi-bar goes with alpha_D instead."""
        w = self.widths(m_X, g_mu)
        tot = sum(w.values())
        return {k: np.divide(v, tot, out=np.zeros_like(tot), where=tot > 0) for k, v in w.items()}

    def visible_fraction(self, m_X, g_mu=1.0) -> np.ndarray:
        """BR(visible) = BR to charged leptons and photons (what a displaced-decay search sees)."""
        br = self.branching_ratios(m_X, g_mu)
        return sum(br[c] for c in VISIBLE)

    def width_parts(self, m_X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(Gamma_visible, Gamma_invisible at g_mu = 1, Gamma_dark) in GeV: at coupling g the
        total width is g^2 (Gamma_visible + Gamma_invisible) + Gamma_dark; Gamma_dark (X ->
        chi chi-bar) does not scale with g_mu."""
        w = self.widths(m_X, 1.0)
        vis = sum(w[c] for c in VISIBLE)
        inv = w.get(NEUTRINO_CHANNEL, np.zeros_like(vis))
        dark = w.get(DARK_CHANNEL, np.zeros_like(vis))
        return vis, inv, dark

    def ctau(self, m_X, g_mu) -> np.ndarray:
        """Proper decay length c*tau in metres."""
        return widths.proper_decay_length(self.total_width(m_X, g_mu))

    def decay_length(self, energy, m_X, g_mu) -> np.ndarray:
        """Mean lab decay length in metres of an X of total energy ``energy`` (GeV)."""
        m_X = check_range("mass_GeV", m_X, *MASS_RANGE_GEV, unit="GeV")
        energy = check_range("energy_GeV", energy, 0.0, lo_open=True, unit="GeV")
        if np.any(energy < m_X):
            raise DomainError(f"energy_GeV = {float(np.min(energy)):g} is below the mediator mass: need energy_GeV >= mass_GeV")
        return widths.lab_decay_length(energy, m_X, self.total_width(m_X, g_mu))

    # -- (g-2) ------------------------------------------------------------------------------

    def delta_a(self, m_X, g_mu, lepton: str = "mu"):
        """One-loop Delta a_l of this model for lepton ``lepton`` (see :mod:`mudump.g2`). A lepton
        that couples only through the kinetic mixing takes eps at q^2 = 0: inside its vertex
        loop the photon-X mixing is probed at space-like momenta, where the loop-induced eps of
        L_mu - L_tau equals its q^2 = 0 value to 1e-4 up to m_X = 1 GeV (the mixing inside the
        loop integral, :mod:`mudump.constraints.g2e_mixing`, which the tests compare)."""
        from .. import g2

        g = self.couplings(np.asarray(g_mu, dtype=float), m_X, mixing_mass=0.0).get(
            lepton, 0.0 * np.asarray(g_mu, dtype=float))
        return g2.delta_a_kind(self.kind, m_X, g, LEPTONS[lepton])


#: The model of 0.1, kept as a name: every model is now a :class:`Model`.
ScalarModel = Model


# ---------------------------------------------------------------------------------------------
# model files


def _schema():
    from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

    from .._checks import check_mathtext
    from ..config import checked_name

    class _S(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    class Couplings(_S):
        mass_proportional: bool = False
        e: Optional[float] = Field(None, ge=-RATIO_MAX, le=RATIO_MAX, allow_inf_nan=False)
        mu: Optional[float] = Field(None, allow_inf_nan=False)
        tau: Optional[float] = Field(None, ge=-RATIO_MAX, le=RATIO_MAX, allow_inf_nan=False)
        nu_e: Optional[float] = Field(None, ge=-RATIO_MAX, le=RATIO_MAX, allow_inf_nan=False)
        nu_mu: Optional[float] = Field(None, ge=-RATIO_MAX, le=RATIO_MAX, allow_inf_nan=False)
        nu_tau: Optional[float] = Field(None, ge=-RATIO_MAX, le=RATIO_MAX, allow_inf_nan=False)

        @model_validator(mode="after")
        def _mu_is_one(self):
            if self.mu is not None and self.mu != 1.0:
                raise ValueError(f"couplings.mu = {self.mu:g}: the muon's ratio is 1 by definition (the scanned coupling is g_mu)")
            if self.mass_proportional and any(getattr(self, l) is not None for l in ("e", "tau")):
                raise ValueError("couplings: mass_proportional = true fixes e and tau; give either, not both")
            return self

    class KineticMixing(_S):
        loop: Optional[Literal["lmu-ltau"]] = None
        epsilon_over_g: Optional[float] = Field(None, ge=0, le=1, allow_inf_nan=False)

        @model_validator(mode="after")
        def _one(self):
            if (self.loop is None) == (self.epsilon_over_g is None):
                raise ValueError("kinetic_mixing: give exactly one of loop = 'lmu-ltau' or epsilon_over_g")
            return self

    class Dark(_S):
        alpha_D: float = Field(gt=0, le=4 * np.pi, allow_inf_nan=False, description="g_chi^2 / 4 pi")
        chi_mass_GeV: Optional[float] = Field(None, gt=0, allow_inf_nan=False)
        chi_mass_ratio: Optional[float] = Field(None, gt=0, allow_inf_nan=False, description="m_chi / m_X")

        @model_validator(mode="after")
        def _one(self):
            if (self.chi_mass_GeV is None) == (self.chi_mass_ratio is None):
                raise ValueError("dark_sector: give exactly one of chi_mass_GeV or chi_mass_ratio")
            return self

    class ModelFile(_S):
        schema_version: Literal[1] = MODEL_SCHEMA_VERSION
        name: str
        alias: str = ""
        description: str = ""
        reference: str = ""
        kind: Literal["scalar", "pseudoscalar", "vector", "axial-vector"]
        coupling_label: str = "g_mu"
        couplings: Couplings = Couplings()
        kinetic_mixing: Optional[KineticMixing] = None
        dark_sector: Optional[Dark] = None

        _name = field_validator("name")(checked_name)

        @field_validator("coupling_label")
        @classmethod
        def _label_draws(cls, v: str) -> str:
            try:
                return check_mathtext("coupling_label", v)
            except ConfigError as exc:
                raise ValueError(str(exc).removeprefix("coupling_label = ")) from None

        @model_validator(mode="after")
        def _neutrinos_need_spin_1(self):
            if self.kind in ("scalar", "pseudoscalar"):
                for n in NEUTRINOS:
                    if getattr(self.couplings, n) is not None:
                        raise ValueError(f"couplings.{n}: a {self.kind} does not couple to neutrinos (only the vector kinds do)")
                if self.kinetic_mixing is not None:
                    raise ValueError(f"kinetic_mixing: a {self.kind} cannot mix with the photon (only the vector kinds can)")
            return self

    return ModelFile


def parse_model(data: dict, where: str = "model") -> Model:
    """A :class:`Model` from a parsed TOML document; a mistake raises ConfigError naming the field."""
    from ..config import validate

    f = validate(_schema(), data, where)
    c = f.couplings
    ratios: dict[str, float] = {"mu": 1.0}
    if c.mass_proportional:
        ratios.update({l: LEPTONS[l] / LEPTONS["mu"] for l in CHARGED})
    for l in (*CHARGED, *NEUTRINOS):
        v = getattr(c, l)
        if v is not None:
            ratios[l] = float(v)
    mixing = None
    if f.kinetic_mixing is not None:
        mixing = f.kinetic_mixing.loop or float(f.kinetic_mixing.epsilon_over_g)
    dark = None
    if f.dark_sector is not None:
        d = f.dark_sector
        dark = DarkSector(d.alpha_D, d.chi_mass_GeV, d.chi_mass_ratio)
        closed = (d.chi_mass_ratio is not None and d.chi_mass_ratio >= 0.5) or (
            d.chi_mass_GeV is not None and 2.0 * d.chi_mass_GeV >= MASS_RANGE_GEV[1])
        if closed:
            warnings.warn(f"{where}: dark_sector: chi is heavier than m_X/2 at every mass: there is no invisible "
                          "chi chi-bar channel", MudumpWarning, stacklevel=2)
        elif d.chi_mass_GeV is not None and 2.0 * d.chi_mass_GeV > MASS_RANGE_GEV[0]:
            warnings.warn(f"{where}: dark_sector: chi chi-bar is closed for m_X <= {2 * d.chi_mass_GeV:g} GeV "
                          "(no invisible channel there)", MudumpWarning, stacklevel=2)
    try:
        return Model(f.name, f.description, ratios, f.reference, f.alias, f.kind, mixing, dark, f.coupling_label,
                     source_file=where)
    except UnknownNameError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _read_toml(raw: bytes, where: str) -> dict:
    from ..config import read_toml

    return read_toml(raw, where)


@cache
def presets() -> dict[str, Model]:
    """The shipped models by name (``mudump/models/presets/*.toml``), in a fixed order."""
    out = {}
    folder = resources.files(__package__).joinpath("presets")
    for f in sorted(folder.iterdir(), key=lambda p: p.name):
        if f.name.endswith(".toml"):
            m = parse_model(_read_toml(f.read_bytes(), f"model preset {f.name[:-5]}"), f"model preset {f.name[:-5]}")
            out[m.name] = m
    return out


def _normalise(name: str) -> str:
    return "".join(c for c in str(name).lower() if c.isalnum())


def model_names() -> list[str]:
    """Every accepted preset name: the names and the descriptive names."""
    return [n for m in presets().values() for n in (m.name, m.alias) if n]


def get_model(name: "str | Path | Model") -> Model:
    """A model by preset name or letter ("A", "B", "lmu-ltau", ...), by descriptive name
    ("leptophilic", "muonphilic"; case, hyphens and underscores ignored), or by path to a TOML
    model file; a Model is returned unchanged."""
    if isinstance(name, Model):
        return name
    text = str(name)
    path = Path(text)
    if path.suffix == ".toml" or (len(text) > 2 and is_existing_path(path)):
        if not is_existing_path(path):
            raise ConfigError(f"model file {echo(text)} does not exist")
        if not path.is_file():
            raise ConfigError(f"model file {echo(text)} is not a regular file")
        return parse_model(_read_toml(path.read_bytes(), str(path)), str(path))
    for m in presets().values():
        if m.is_named(text):
            return m
    accepted = ", ".join(f"{m.name} or {m.alias}" if m.alias else m.name for m in presets().values())
    raise UnknownNameError(f"model = {echo(text)} is unknown: allowed {accepted}, or a path to a .toml model file")


class _Models(Mapping):
    """``MODELS[name]``: the preset models by name (read on first use)."""

    def __getitem__(self, key):
        return presets()[key]

    def __iter__(self):
        return iter(presets())

    def __len__(self):
        return len(presets())


MODELS: Mapping[str, Model] = _Models()


__all__ = [
    "Model", "ScalarModel", "DarkSector", "MODELS", "get_model", "model_names", "parse_model", "presets",
    "CHANNELS", "VISIBLE", "INVISIBLE", "MASS_RANGE_GEV", "COUPLING_MAX", "KINDS", "scalar", "widths",
]
