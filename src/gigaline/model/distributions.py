"""Time distributions a line file may use for cycle times, dwell times, failures and repairs.

Each distribution is a small pydantic model tagged by ``dist``. Times are in seconds (the
loader converts human units). Every distribution reports its mean and squared coefficient of
variation, which the planner and the analytic checks use; the simulation samples them.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gigaline.model import bounds
from gigaline.model.units import quantity

__all__ = [
    "DISTRIBUTION_NAMES",
    "Distribution",
    "Duration",
    "Empirical",
    "Exponential",
    "Fixed",
    "Gamma",
    "Lognormal",
    "Normal",
    "Triangular",
    "Uniform",
    "Weibull",
    "as_distribution",
]


#: A duration given with a unit ("90 s", "2 h", "21 d"), stored in seconds, at most 10 years.
Duration = Annotated[float, quantity("time"), bounds.TIME]
PositiveDuration = Annotated[float, quantity("time"), bounds.POSITIVE_TIME]
NonNegativeDuration = Duration


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @property
    def mean_s(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def scv(self) -> float:
        """Squared coefficient of variation (variance over mean squared)."""
        return self.var_s2 / self.mean_s**2 if self.mean_s > 0 else 0.0

    @property
    def var_s2(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError


class Fixed(_Dist):
    """Always the same time."""

    dist: Literal["fixed"] = "fixed"
    value: NonNegativeDuration

    @property
    def mean_s(self) -> float:
        return self.value

    @property
    def var_s2(self) -> float:
        return 0.0


class Exponential(_Dist):
    """Memoryless times with the given mean."""

    dist: Literal["exponential"]
    mean: PositiveDuration

    @property
    def mean_s(self) -> float:
        return self.mean

    @property
    def var_s2(self) -> float:
        return self.mean**2


class _MeanSd(_Dist):
    """A distribution given by its mean and standard deviation."""

    mean: PositiveDuration
    sd: NonNegativeDuration

    @property
    def mean_s(self) -> float:
        return self.mean

    @property
    def var_s2(self) -> float:
        return self.sd**2


class Normal(_MeanSd):
    """Normal times, truncated at zero by resampling (keep ``sd`` well below ``mean``)."""

    dist: Literal["normal"]


class Lognormal(_MeanSd):
    """Lognormal times given by the mean and standard deviation of the time itself."""

    dist: Literal["lognormal"]

    @property
    def log_params(self) -> tuple[float, float]:
        """(mu, sigma) of the underlying normal."""
        sigma2 = math.log1p((self.sd / self.mean) ** 2)
        return math.log(self.mean) - sigma2 / 2.0, math.sqrt(sigma2)


class Gamma(_Dist):
    """Gamma times with dimensionless ``shape`` and time ``scale`` (mean = shape x scale)."""

    dist: Literal["gamma"]
    shape: Annotated[float, bounds.GAMMA_SHAPE]
    scale: PositiveDuration

    @property
    def mean_s(self) -> float:
        return self.shape * self.scale

    @property
    def var_s2(self) -> float:
        return self.shape * self.scale**2


class Weibull(_Dist):
    """Weibull times with dimensionless ``shape`` and time ``scale``."""

    dist: Literal["weibull"]
    shape: Annotated[float, bounds.WEIBULL_SHAPE]
    scale: PositiveDuration

    @property
    def mean_s(self) -> float:
        return self.scale * math.gamma(1.0 + 1.0 / self.shape)

    @property
    def var_s2(self) -> float:
        g1 = math.gamma(1.0 + 1.0 / self.shape)
        g2 = math.gamma(1.0 + 2.0 / self.shape)
        return self.scale**2 * (g2 - g1 * g1)


class Uniform(_Dist):
    """Uniform times between ``low`` and ``high``."""

    dist: Literal["uniform"]
    low: NonNegativeDuration
    high: PositiveDuration

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low > self.high:
            raise ValueError("low must not exceed high")
        return self

    @property
    def mean_s(self) -> float:
        return (self.low + self.high) / 2.0

    @property
    def var_s2(self) -> float:
        return (self.high - self.low) ** 2 / 12.0


class Triangular(_Dist):
    """Triangular times with ``low`` <= ``mode`` <= ``high``."""

    dist: Literal["triangular"]
    low: NonNegativeDuration
    mode: NonNegativeDuration
    high: PositiveDuration

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError("needs low <= mode <= high")
        return self

    @property
    def mean_s(self) -> float:
        return (self.low + self.mode + self.high) / 3.0

    @property
    def var_s2(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0


class Empirical(_Dist):
    """Observed times, resampled with equal weight (a bootstrap of measured cycle times)."""

    dist: Literal["empirical"]
    values: list[NonNegativeDuration] = Field(min_length=1)

    @model_validator(mode="after")
    def _positive_mean(self) -> Empirical:
        if sum(self.values) <= 0:
            raise ValueError("the values must not all be zero")
        return self

    @property
    def mean_s(self) -> float:
        return sum(self.values) / len(self.values)

    @property
    def var_s2(self) -> float:
        m = self.mean_s
        return sum((v - m) ** 2 for v in self.values) / len(self.values)


Distribution = Annotated[
    Fixed | Exponential | Normal | Lognormal | Gamma | Weibull | Uniform | Triangular | Empirical,
    Field(discriminator="dist"),
]

DISTRIBUTION_NAMES: tuple[str, ...] = (
    "fixed",
    "exponential",
    "normal",
    "lognormal",
    "gamma",
    "weibull",
    "uniform",
    "triangular",
    "empirical",
)


def as_distribution(value: object, default: str = "fixed") -> object:
    """Before-validator: a plain time becomes a ``default`` distribution with that mean.

    ``"0.9 s"`` becomes ``{"dist": "fixed", "value": "0.9 s"}`` (or exponential with that mean,
    for failure and repair times); a mapping is left for the tagged union to validate.
    """
    if isinstance(value, dict):
        return value
    if default == "fixed":
        return {"dist": "fixed", "value": value}
    return {"dist": default, "mean": value}
