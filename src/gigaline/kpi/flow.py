"""Flow relations and replication statistics.

* Little's law, L = lambda W (Little, "A proof for the queuing formula L = lambda W",
  Operations Research 9(3), 1961, doi:10.1287/opre.9.3.383): mean lead time = mean WIP /
  throughput, for any stable system.
* The 95 % confidence interval of a mean over independent replications uses Student's t with
  n - 1 degrees of freedom (Law, *Simulation Modeling and Analysis*, 5th ed., 2015, §9.4.1).
* Two systems compared over replications (Law 2015, §10.2): with common random numbers the
  paired-t interval of the differences (:func:`paired_ci95`); run independently, Welch's
  interval with Satterthwaite's degrees of freedom (:func:`welch_ci95`).

scipy (Student's t quantiles) is imported on first use, by a mean over two replications or
more: it costs most of a second of start-up, and one replication needs no quantile.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["MeanCI", "little_lead_time_s", "mean_ci95", "paired_ci95", "welch_ci95"]


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


def _t975(dof: float) -> float:
    """The 97.5 % quantile of Student's t with ``dof`` degrees of freedom."""
    from scipy import stats

    return float(stats.t.ppf(0.975, dof))


def mean_ci95(values: Sequence[float]) -> MeanCI:
    """Mean and 95 % t-interval half width of independent replications (NaN width for n < 2)."""
    n = len(values)
    if n == 0:
        return MeanCI(math.nan, math.nan, 0)
    mean = math.fsum(values) / n
    if n < 2:
        return MeanCI(mean, math.nan, n)
    var = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    t = _t975(n - 1)
    return MeanCI(mean, t * math.sqrt(var / n), n)


def paired_ci95(values: Sequence[float], base: Sequence[float]) -> MeanCI:
    """Mean difference ``values - base`` of paired replications (replication i of both run on
    the same random numbers) and its 95 % paired-t half width (Law 2015, §10.2.1)."""
    if len(values) != len(base):
        raise ValueError(f"paired samples differ in size ({len(values)} and {len(base)})")
    return mean_ci95([a - b for a, b in zip(values, base, strict=True)])


def welch_ci95(values: Sequence[float], base: Sequence[float]) -> MeanCI:
    """Difference of the means of two independent samples and its 95 % Welch half width,
    t with Satterthwaite's degrees of freedom (Law 2015, §10.2.2); NaN below two each."""
    a, b = mean_ci95(values), mean_ci95(base)
    n, m = len(values), len(base)
    if n < 2 or m < 2:
        return MeanCI(a.mean - b.mean, math.nan, min(n, m))
    va = math.fsum((v - a.mean) ** 2 for v in values) / (n - 1) / n
    vb = math.fsum((v - b.mean) ** 2 for v in base) / (m - 1) / m
    if va + vb == 0.0:
        return MeanCI(a.mean - b.mean, 0.0, min(n, m))
    dof = (va + vb) ** 2 / (va**2 / (n - 1) + vb**2 / (m - 1))
    t = _t975(dof)
    return MeanCI(a.mean - b.mean, t * math.sqrt(va + vb), min(n, m))
