"""Quality settings in the line file: spec limits of process parameters, grading, matching.

Spec limits feed SPC and capability in the MES; grading bins and matching tolerances feed
:mod:`gigaline.quality.grading`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Grade", "GradeLimits", "Matching", "ParameterSpec", "QualitySpec"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ParameterSpec(_Strict):
    """Spec limits of one process parameter at one step."""

    step: str
    param: str
    lsl: float | None = None
    usl: float | None = None
    target: float | None = None
    hold_on_violation: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> ParameterSpec:
        if self.lsl is None and self.usl is None:
            raise ValueError("give lsl, usl or both")
        if self.lsl is not None and self.usl is not None and self.lsl >= self.usl:
            raise ValueError(f"lsl ({self.lsl}) must be below usl ({self.usl})")
        return self


class GradeLimits(_Strict):
    """Inclusive lower and upper limits of one measure (either may be open)."""

    min: float | None = None
    max: float | None = None

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


class Matching(_Strict):
    """Module matching: cells per module and the allowed spreads within a module."""

    cells_per_module: int = Field(ge=1)
    capacity_spread_ah: float = Field(ge=0)
    dcir_spread_mohm: float = Field(ge=0)
    ocv_spread_mv: float = Field(ge=0)
    grades: list[str] = Field(default_factory=lambda: ["A"])


class QualitySpec(_Strict):
    """The quality section of a line file."""

    specs: list[ParameterSpec] = Field(default_factory=list)
    grades: list[Grade] = Field(default_factory=list)
    matching: Matching | None = None
