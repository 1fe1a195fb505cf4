"""The process parameters stations report and their distributions, as sourced reference data.

``process_parameters.yaml`` (next to this module) holds, per process, the NG reason codes and
the parameters with their normal distributions (mean, sd, digits), each with its ``source``
(an id of sources.yaml) or ``assumption``. :func:`load_process_parameters` validates it with
pydantic: a broken fork fails at load with the file, the field and the value. The generator
(:mod:`gigaline.mes.synth`) turns an entry into numbers for one line's step.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gigaline.errors import shorten
from gigaline.model.processes import PROCESSES
from gigaline.model.reference.parameters import ReferenceDataError

__all__ = [
    "FILE",
    "ByElectrode",
    "Labelled",
    "ParameterSpec",
    "ProcessParameters",
    "ProcessSpec",
    "load_process_parameters",
]

FILE = "process_parameters.yaml"

#: What ``mean_of`` may name: quantities of the line's cell (design) a mean follows.
Base = Literal["coating_weight_mg_cm2", "electrode_thickness_um", "electrolyte_g", "capacity_ah"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_ID_PREFIX = re.compile(r"^([a-z][a-z0-9_]*)\b")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ByElectrode(_Strict):
    """One value for the cathode's steps and one for the anode's."""

    cathode: float
    anode: float

    def of(self, cathode: bool) -> float:
        return self.cathode if cathode else self.anode


def _label(source: str | None, assumption: str | None) -> str:
    if source is None and assumption is None:
        raise ValueError("needs a `source` (an id of sources.yaml) or an `assumption: why`")
    if source is not None and assumption is not None:
        raise ValueError("give `source` or `assumption`, not both (a source may say 'assumption:')")
    if assumption is not None:
        if len(assumption.strip()) < 10:
            raise ValueError("an assumption must say why (at least 10 characters)")
        return "assumption: " + " ".join(assumption.split())
    assert source is not None
    from gigaline.model.reference import load_reference

    m = _ID_PREFIX.match(source)
    if m is None or m.group(1) not in load_reference().sources:
        raise ValueError(f"source {source!r} does not start with an id of sources.yaml")
    return " ".join(source.split())


class _Sourced(_Strict):
    """A value's label: its source or the assumption behind it (one of the two, checked)."""

    source: str | None = None
    assumption: str | None = None

    @model_validator(mode="after")
    def _labelled(self) -> Self:
        _label(self.source, self.assumption)
        return self


class Labelled(_Sourced):
    """A number with its source or assumption."""

    value: float


class LabelledByElectrode(ByElectrode, _Sourced):
    """One value per electrode, with its source or assumption."""


class Fallbacks(_Strict):
    """Values used where the line's cell has no design."""

    coating_weight_mg_cm2: Labelled
    foil_thickness_um: Labelled
    electrolyte_g_per_ah: Labelled
    electrode_density_g_cm3: LabelledByElectrode


class ParameterSpec(_Strict):
    """One parameter: a normal distribution, rounded to ``digits``, with its label."""

    mean: float | ByElectrode | None = None
    mean_of: Base | None = None
    mean_factor: float = Field(default=1.0, gt=0)
    sd: float | ByElectrode | None = None
    sd_of_base: float | None = Field(default=None, gt=0, lt=1)
    digits: int = Field(ge=0, le=12)
    source: str | None = None
    assumption: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.mean is None) == (self.mean_of is None):
            raise ValueError("give exactly one of `mean` (a number) and `mean_of` (a quantity)")
        if (self.sd is None) == (self.sd_of_base is None):
            raise ValueError("give exactly one of `sd` and `sd_of_base`")
        if self.sd_of_base is not None and self.mean_of is None:
            raise ValueError("`sd_of_base` needs `mean_of` (the base it is relative to)")
        if self.mean_factor != 1.0 and self.mean_of is None:
            raise ValueError("`mean_factor` needs `mean_of`")
        sds = [self.sd] if isinstance(self.sd, float | int) else []
        if isinstance(self.sd, ByElectrode):
            sds = [self.sd.cathode, self.sd.anode]
        if any(s <= 0 for s in sds):
            raise ValueError(f"sd must be > 0 (got {sds})")
        _label(self.source, self.assumption)
        return self

    @property
    def label(self) -> str:
        return _label(self.source, self.assumption)


class ProcessSpec(_Strict):
    """What a station of one process reports: its NG reasons and its parameters."""

    ng_reasons: tuple[str, ...] = Field(min_length=1)
    parameters: dict[str, ParameterSpec]

    @model_validator(mode="after")
    def _names(self) -> Self:
        for name in (*self.parameters, *self.ng_reasons):
            if not _NAME.match(name):
                raise ValueError(f"{name!r} is not a snake_case name")
        return self


class ProcessParameters(_Strict):
    """The whole file."""

    ng_offset_sd: Labelled
    fallbacks: Fallbacks
    processes: dict[str, ProcessSpec]

    @model_validator(mode="after")
    def _known(self) -> Self:
        unknown = sorted(set(self.processes) - set(PROCESSES))
        if unknown:
            raise ValueError(
                f"unknown process(es) {', '.join(unknown)} (see gigaline.model.processes)"
            )
        return self


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc if not str(p).startswith("function-after")) or "(top)"


def parse_process_parameters(text: str, name: str = FILE) -> ProcessParameters:
    """Validate the text of a process-parameter file; errors name file, field and value."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ReferenceDataError(f"{name}: not valid YAML: {exc}") from exc
    try:
        return ProcessParameters.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"  {name}: {_where(e['loc'])}: {e['msg'].removeprefix('Value error, ')} "
            f"(got {shorten(e['input'])})"
            for e in exc.errors()
        ]
        raise ReferenceDataError(
            f"{len(problems)} problem(s) in the process parameters:\n" + "\n".join(problems)
        ) from None


@functools.cache
def load_process_parameters(path: Path | None = None) -> ProcessParameters:
    """The shipped process parameters (or a fork of the file at ``path``), validated, cached."""
    if path is None:
        text = resources.files(__package__ or __name__).joinpath(FILE).read_text(encoding="utf-8")
        return parse_process_parameters(text, FILE)
    return parse_process_parameters(path.read_text(encoding="utf-8"), str(path))
