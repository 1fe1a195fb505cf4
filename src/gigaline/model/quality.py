"""Quality settings in the line file: spec limits of process parameters, grading, matching.

Spec limits feed SPC and capability in the MES; grading bins and matching tolerances feed
:mod:`gigaline.quality.grading`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from gigaline.model import bounds

__all__ = ["Grade", "GradeLimits", "Matching", "ParameterSpec", "QualitySpec"]

Parameter = Annotated[float, bounds.PARAMETER]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ParameterSpec(_Strict):
    """Spec limits of one process parameter at one step."""

    step: str
    param: str
    lsl: Parameter | None = None
    usl: Parameter | None = None
    target: Parameter | None = None
    hold_on_violation: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> ParameterSpec:
        if self.lsl is None and self.usl is None:
            raise ValueError("give lsl, usl or both")
        if self.lsl is not None and self.usl is not None and self.lsl >= self.usl:
            raise ValueError(f"lsl ({self.lsl}) must be below usl ({self.usl})")
        if self.target is not None:
            if self.lsl is not None and self.target < self.lsl:
                raise ValueError(f"target ({self.target}) must not be below lsl ({self.lsl})")
            if self.usl is not None and self.target > self.usl:
                raise ValueError(f"target ({self.target}) must not be above usl ({self.usl})")
        return self


class GradeLimits(_Strict):
    """Inclusive lower and upper limits of one measure (either may be open)."""

    min: Parameter | None = None
    max: Parameter | None = None

    @model_validator(mode="after")
    def _ordered(self) -> GradeLimits:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class Grade(_Strict):
    """One grade bin: a cell is in it when every named measure is within its limits.

    Measures: ``capacity_ah``, ``dcir_mohm``, ``ocv_v``, ``k_mv_per_day`` (self-discharge as
    the OCV drop over aging).
    """

    name: str = Field(min_length=1)
    capacity_ah: GradeLimits | None = None
    dcir_mohm: GradeLimits | None = None
    ocv_v: GradeLimits | None = None
    k_mv_per_day: GradeLimits | None = None

    @field_validator("capacity_ah", "dcir_mohm", "ocv_v", "k_mv_per_day")
    @classmethod
    def _in_range(cls, limits: GradeLimits | None, info: ValidationInfo) -> GradeLimits | None:
        bound = bounds.GRADE_LIMITS[str(info.field_name)]
        for value in () if limits is None else (limits.min, limits.max):
            message = None if value is None else bound.problem(value)
            if message is not None:
                raise ValueError(f"limits of {info.field_name} {message} (got {value:g})")
        return limits


class Matching(_Strict):
    """Module matching: cells per module and the allowed spreads within a module."""

    cells_per_module: Annotated[int, bounds.CELLS_PER_MODULE]
    capacity_spread_ah: Annotated[float, bounds.SPREAD_AH]
    dcir_spread_mohm: Annotated[float, bounds.SPREAD_MOHM]
    ocv_spread_mv: Annotated[float, bounds.SPREAD_MV]
    grades: list[str] = Field(default_factory=lambda: ["A"])


class QualitySpec(_Strict):
    """The quality section of a line file."""

    specs: list[ParameterSpec] = Field(default_factory=list)
    grades: list[Grade] = Field(default_factory=list)
    matching: Matching | None = None
