"""Flow relations and replication statistics.

* Little's law, L = lambda W (Little, "A proof for the queuing formula L = lambda W",
  Operations Research 9(3), 1961, doi:10.1287/opre.9.3.383): mean lead time = mean WIP /
  throughput, for any stable system.
* The 95 % confidence interval of a mean over independent replications uses Student's t with
  n - 1 degrees of freedom (Law, *Simulation Modeling and Analysis*, 5th ed., 2015, §9.4.1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

__all__ = ["MeanCI", "little_lead_time_s", "mean_ci95"]


def little_lead_time_s(wip_mean: float, throughput_per_s: float) -> float:
    """Mean lead time [s] = mean WIP / throughput (Little's law); NaN without throughput."""
    return wip_mean / throughput_per_s if throughput_per_s > 0 else math.nan


@dataclass(frozen=True)
class MeanCI:
    """A mean over replications with the half width of its 95 % confidence interval."""

    mean: float
    half_width: float
    n: int

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width


def mean_ci95(values: Sequence[float]) -> MeanCI:
    """Mean and 95 % t-interval half width of independent replications (NaN width for n < 2)."""
    n = len(values)
    if n == 0:
        return MeanCI(math.nan, math.nan, 0)
    mean = math.fsum(values) / n
    if n < 2:
        return MeanCI(mean, math.nan, n)
    var = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    t = float(stats.t.ppf(0.975, n - 1))
    return MeanCI(mean, t * math.sqrt(var / n), n)
