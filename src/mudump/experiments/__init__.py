"""Experiments as data: a TOML file describes the beam, the target, what follows it, the
signature and the statistics; :func:`load_experiment` validates it (pydantic) and returns an
:class:`Experiment`. Presets ship in ``mudump/experiments/presets/*.toml``; any user file is
given by path.

Units in the files: GeV and metres, written into every key name (``energy_GeV``, ``length_m``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..config import SCHEMA_VERSION, checked_name, read_toml, validate
from ..constants import E_MAX_GEV, LEPTONS
from ..errors import ConfigError, MudumpError, UnknownNameError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Beam(_Strict):
    """The beam: its lepton (``mu``, or ``e`` for an electron beam), total energy per lepton
    (above the lepton's mass), and the number of beam leptons on target, written as
    ``muons_on_target`` for a muon beam and ``electrons_on_target`` for an electron beam
    (exactly one of them, the one that matches the lepton): :attr:`leptons_on_target`."""

    lepton: Literal["mu", "e"] = "mu"
    charge: Literal["+", "-"] = "+"
    energy_GeV: float = Field(gt=0, le=E_MAX_GEV, allow_inf_nan=False, description="lepton total energy in GeV")
    muons_on_target: Optional[float] = Field(None, gt=0, allow_inf_nan=False)
    electrons_on_target: Optional[float] = Field(None, gt=0, allow_inf_nan=False)

    @property
    def leptons_on_target(self) -> float:
        """The number of beam leptons on target (muons or electrons, as the lepton)."""
        return float(getattr(self, _COUNT_FIELD[self.lepton]))

    @property
    def count_field(self) -> str:
        """The name of the field that holds the number on target: ``muons_on_target`` or
        ``electrons_on_target``."""
        return _COUNT_FIELD[self.lepton]


#: The beam field that counts the leptons on target, and the lepton's name, per beam lepton.
_COUNT_FIELD = {"mu": "muons_on_target", "e": "electrons_on_target"}
_LEPTON_WORD = {"mu": "muon", "e": "electron"}
#: The words a provenance entry starts with.
PROVENANCE_WORDS = ("cited:", "calibrated:", "assumed:")


class Target(_Strict):
    """The thick target where S is produced. ``min_muon_energy_GeV`` (optional, default 0): beam
    muons below this total energy along the target make no signal (a lower bound on the muon's
    energy, as the 0.5 GeV cut of Chen, Pospelov, Zhong, arXiv:1701.07437, section III.A.2,
    against the soft-muon background); it must lie below the beam energy."""

    material: str
    length_m: float = Field(gt=0, le=1e3, allow_inf_nan=False)
    min_muon_energy_GeV: float = Field(0.0, ge=0, allow_inf_nan=False, description="muon total energy floor in GeV")

    @field_validator("material")
    @classmethod
    def _known_material(cls, v: str) -> str:
        from ..materials import get_material

        try:
            return get_material(v).name
        except MudumpError as exc:
            raise ValueError(str(exc)) from None


class Downstream(_Strict):
    """What follows the target: an optional shield, then the region of interest: the decay
    volume (displaced-decay: S must decay inside it) or the detector (missing-energy: S must
    cross it without decaying). The transverse size is optional (used by the event generator).
    The shield has a length and no material: S crosses any shield untouched (it interacts only
    through g_mu), so only the distance matters."""

    shield_length_m: float = Field(0.0, ge=0, le=1e4, allow_inf_nan=False)
    length_m: float = Field(gt=0, le=1e4, allow_inf_nan=False)
    shape: Optional[Literal["cylinder", "box"]] = None
    radius_m: Optional[float] = Field(None, gt=0, allow_inf_nan=False)
    width_m: Optional[float] = Field(None, gt=0, allow_inf_nan=False)
    height_m: Optional[float] = Field(None, gt=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _shape_sizes(self):
        if self.shape == "cylinder" and self.radius_m is None:
            raise ValueError("shape = 'cylinder' needs radius_m")
        if self.shape == "box" and (self.width_m is None or self.height_m is None):
            raise ValueError("shape = 'box' needs width_m and height_m")
        return self


class Signature(_Strict):
    """missing-energy: S escapes target and detector, E_S > e_cut_GeV.
    displaced-decay: S decays in the decay volume, its products carrying E_S > e_cut_GeV."""

    kind: Literal["missing-energy", "displaced-decay"]
    e_cut_GeV: float = Field(0.0, ge=0, allow_inf_nan=False)
    theta_max_rad: Optional[float] = Field(None, gt=0, le=1.5707963267948966, allow_inf_nan=False,
                                           description="largest angle of X to the beam the detector accepts")


class Statistics(_Strict):
    """How the limit is set (:mod:`mudump.statistics`): the confidence level; the events
    observed (a recast; none for a projection, which reports the expected limit); the expected
    background (events) and its uncertainty; the signal efficiency and its uncertainty. With
    a background or an uncertainty the limit is CLs, else the classical Poisson limit."""

    confidence_level: float = Field(0.9, gt=0, lt=1, allow_inf_nan=False)
    observed: Optional[int] = Field(None, ge=0, description="events observed (a recast); none for a projection")
    background: float = Field(0.0, ge=0, allow_inf_nan=False)
    background_uncertainty: float = Field(0.0, ge=0, allow_inf_nan=False, description="standard deviation, events")
    efficiency: float = Field(1.0, gt=0, le=1, allow_inf_nan=False, description="signal efficiency")
    efficiency_uncertainty: float = Field(0.0, ge=0, allow_inf_nan=False, description="standard deviation")

    def limit(self):
        """The event limit of these statistics (:func:`mudump.statistics.event_limit`)."""
        from ..statistics import event_limit

        return event_limit(self.confidence_level, self.background, self.observed, self.background_uncertainty,
                           self.efficiency, self.efficiency_uncertainty)


class Experiment(_Strict):
    """A whole setup. ``label`` names it in plots and tables; ``source`` says where the numbers
    come from."""

    schema_version: Literal[1] = SCHEMA_VERSION
    name: str
    label: str = ""
    description: str = ""
    source: str = ""
    beam: Beam
    target: Target
    downstream: Downstream
    signature: Signature
    statistics: Statistics = Statistics()
    provenance: dict[str, str] = Field(default_factory=dict)

    _name = field_validator("name")(checked_name)

    @model_validator(mode="after")
    def _beam_count_and_energy(self):
        # first of the validators: the legend below reads the count
        b = self.beam
        want, other = _COUNT_FIELD[b.lepton], _COUNT_FIELD["e" if b.lepton == "mu" else "mu"]
        if getattr(b, other) is not None:
            raise ValueError(f"beam.{other} does not fit beam.lepton = {b.lepton!r}: give beam.{want} instead")
        if getattr(b, want) is None:
            raise ValueError(f"beam.{want} is required (beam.lepton = {b.lepton!r})")
        m_l = LEPTONS[b.lepton]
        if b.energy_GeV <= m_l:
            raise ValueError(f"beam.energy_GeV = {b.energy_GeV:g} is not allowed: need beam.energy_GeV > {m_l:.6g} "
                             f"(the {_LEPTON_WORD[b.lepton]} mass)")
        return self

    def __hash__(self) -> int:
        # every field but the provenance (a dict, unhashable; equal experiments have equal
        # numbers, so hashing the numbers keeps hash and equality consistent)
        return hash((self.schema_version, self.name, self.label, self.description, self.source, self.beam,
                     self.target, self.downstream, self.signature, self.statistics))

    @model_validator(mode="after")
    def _provenance_fields(self):
        for path, text in self.provenance.items():
            node = self
            for part in path.split("."):
                if not isinstance(node, BaseModel) or part not in type(node).model_fields or part == "provenance":
                    raise ValueError(f"provenance: {path!r} is not a field of the experiment (write e.g. 'beam.energy_GeV')")
                node = getattr(node, part)
            if not text.startswith(PROVENANCE_WORDS):
                raise ValueError(f"provenance.{path} must start with one of {', '.join(PROVENANCE_WORDS)}")
        return self

    @model_validator(mode="after")
    def _acceptance_cone(self):
        if self.signature.theta_max_rad is not None and self.beam.lepton != "e":
            raise ValueError("signature.theta_max_rad (an acceptance cone) is supported for electron beams only "
                             "(beam.lepton = 'e'): remove it for a muon beam")
        return self

    @model_validator(mode="after")
    def _label_draws(self):
        from .._checks import check_mathtext

        try:
            check_mathtext("label", self.label)
            check_mathtext("label", self.legend)  # the label as the legend shows it
        except MudumpError as exc:
            raise ValueError(str(exc)) from None
        return self

    @model_validator(mode="after")
    def _cut_below_beam(self):
        if self.signature.e_cut_GeV >= self.beam.energy_GeV:
            raise ValueError(
                f"signature.e_cut_GeV = {self.signature.e_cut_GeV:g} must be below beam.energy_GeV = {self.beam.energy_GeV:g}"
            )
        if self.target.min_muon_energy_GeV >= self.beam.energy_GeV:  # the beam lepton's floor
            raise ValueError(
                f"target.min_muon_energy_GeV = {self.target.min_muon_energy_GeV:g} must be below "
                f"beam.energy_GeV = {self.beam.energy_GeV:g}"
            )
        return self

    @property
    def legend(self) -> str:
        """Legend text: the label with the beam leptons on target (``$\\mu$`` or ``e``)."""
        n = self.beam.leptons_on_target
        exp = int(f"{n:e}".split("e")[1])
        mant = n / 10**exp
        mot = f"10^{{{exp}}}" if abs(mant - 1) < 1e-9 else f"{mant:g}\\times10^{{{exp}}}"
        particle = "$\\mu$" if self.beam.lepton == "mu" else "e"
        return f"{self.label or self.name}, ${mot}$ {particle}"


def preset_names() -> list[str]:
    """Names of the shipped experiment presets."""
    return sorted(p.name[:-5] for p in resources.files(__package__).joinpath("presets").iterdir() if p.name.endswith(".toml"))


def parse_experiment(data: dict, where: str = "experiment") -> Experiment:
    """Validate a parsed TOML document; a mistake raises ConfigError naming the field."""
    return validate(Experiment, data, where)


def load_experiment(name_or_path: "str | Path | Experiment") -> Experiment:
    """An experiment by preset name (``na64mu``, ``fnal-mu``) or by path to a TOML file."""
    from .._checks import echo, is_existing_path

    if isinstance(name_or_path, Experiment):
        return name_or_path
    text_name = str(name_or_path)
    path = Path(text_name)
    if path.suffix == ".toml" or (text_name.strip() and is_existing_path(path)):  # "" is not the folder "."
        if not is_existing_path(path):
            raise ConfigError(f"experiment file {echo(text_name)} does not exist")
        if not path.is_file():
            raise ConfigError(f"experiment file {echo(text_name)} is not a regular file")
        where, raw = str(path), path.read_bytes()
    else:
        if text_name not in preset_names():
            raise UnknownNameError(
                f"experiment = {echo(text_name)} is unknown: use a preset ({', '.join(preset_names())}) or a path to a .toml file"
            )
        where = f"preset {text_name}"
        raw = resources.files(__package__).joinpath("presets", f"{text_name}.toml").read_bytes()
    return parse_experiment(read_toml(raw, where), where)


__all__ = ["Experiment", "Beam", "Target", "Downstream", "Signature", "Statistics", "load_experiment", "parse_experiment", "preset_names"]
