"""Steady state: how long an empty line takes to deliver, the MSER-5 truncation point of an
output series, and the warnings of a run too short to describe the line at work.

A simulation starts with an empty line. Until the first cells come out, and until buffers and
holds have filled, its figures describe the start-up, not the line at work. Two measures say
how long that lasts:

* :func:`first_output` estimates from the line's own numbers how long an empty line needs to
  deliver its first cell: along every path to the last step, each step's nominal job time plus
  the time its inputs take to gather one job at their nominal rates (a coater waits for a coil's
  worth of slurry), the slowest path winning. Failures, planned stops and scrap only add to it.
* :func:`mser5` finds where an output series settles: MSER-5 (White 1997; White, Cobb and
  Spratt 2000), the truncation heuristic that Hoad, Robinson and Davies (2010) found the most
  reliable of those they compared for automatic warm-up estimation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gigaline.sim._layout import SF_MEAN, SF_NCYC, SI_IN0, SI_JOB, SI_NIN
from gigaline.sim.compile import CompiledLine

__all__ = [
    "MSER_BATCH",
    "FirstOutput",
    "Truncation",
    "WarmupChoice",
    "calendar_cycle_days",
    "duration_text",
    "first_output",
    "mser5",
    "settling_hour",
]

#: Observations per batch of MSER-5 (hours of output here).
MSER_BATCH = 5
DAY_S = 86400.0


@dataclass(frozen=True)
class FirstOutput:
    """When an empty line can deliver its first cell, and which steps make it wait."""

    seconds: float
    #: (step id, seconds it adds) along the slowest path, first step first
    path: tuple[tuple[str, float], ...]

    @property
    def days(self) -> float:
        return self.seconds / DAY_S

    def describe(self) -> str:
        """The steps that make most of the wait, for messages: ``aging 21 d, formation 20 h``."""
        big = sorted(self.path, key=lambda p: -p[1])
        shown = [p for p in big if p[1] >= 0.05 * self.seconds][:3] or big[:1]
        return ", ".join(f"{sid} {duration_text(t)}" for sid, t in shown)


def duration_text(seconds: float) -> str:
    """A duration for messages: ``21.0 d``, ``6.1 h``, ``5 min``, ``2 s``."""
    if seconds >= 2 * DAY_S:
        return f"{seconds / DAY_S:.1f} d"
    if seconds >= 2 * 3600.0:
        return f"{seconds / 3600.0:.1f} h"
    if seconds >= 120.0:
        return f"{seconds / 60.0:.0f} min"
    return f"{seconds:.2g} s"


def first_output(c: CompiledLine) -> FirstOutput:
    """Estimate how long an empty line needs to deliver its first good cell [s].

    A step's first job ends at E = max over its inputs of A(J) + its nominal job time, where J
    is its job in cells and A(J) the time its input has delivered J cells: its own first job at
    its own E, then the rest at the input's rate, the smallest nominal rate (machines / time per
    cell) on the way to it. The line's figure is E of the last step. No failures, planned stops
    or scrap: they can only delay the first cell.
    """
    n = c.n_steps
    job_s = c.SF[:, SF_MEAN] * c.SF[:, SF_NCYC]
    cells = c.SI[:, SI_JOB].astype(float)
    cap = c.capacity_cells_per_s()
    end = np.zeros(n)
    rate = np.zeros(n)
    via = np.full(n, -1)
    for s in _flow_order(c):
        start, r = 0.0, float(cap[s])
        for i in range(int(c.SI[s, SI_NIN])):
            p = int(c.SI[s, SI_IN0 + i])
            ready = end[p] + max(0.0, cells[s] - cells[p]) / rate[p]
            r = min(r, rate[p])
            if ready >= start:
                start, via[s] = ready, p
        end[s] = start + job_s[s]
        rate[s] = r
    path: list[tuple[str, float]] = []
    s = n - 1
    while s >= 0:
        p = int(via[s])
        path.append((c.step_ids[s], float(end[s] - (end[p] if p >= 0 else 0.0))))
        s = p
    return FirstOutput(seconds=float(end[n - 1]), path=tuple(reversed(path)))


def _flow_order(c: CompiledLine) -> list[int]:
    """Steps with every input before the step itself (depth first from the last step)."""
    order: list[int] = []
    seen: set[int] = set()

    def visit(s: int) -> None:
        if s in seen:
            return
        seen.add(s)
        for i in range(int(c.SI[s, SI_NIN])):
            visit(int(c.SI[s, SI_IN0 + i]))
        order.append(s)

    for s in range(c.n_steps):
        visit(s)
    return order


@dataclass(frozen=True)
class Truncation:
    """Where MSER-5 cuts a series: the first ``observations`` are start-up."""

    observations: int
    batches: int  # batches of MSER_BATCH observations in the series
    #: False if the truncation point is the half-way bound of the search: then the series has
    #: not settled (the run is too short to tell where it does)
    found: bool


def mser5(series: npt.ArrayLike) -> Truncation:
    """MSER-5 truncation point of an output series (White 1997; White, Cobb and Spratt 2000).

    The series is cut into k batches of five observations (a trailing partial batch is
    dropped); with Z_j the batch means, the truncation d* minimises
    MSER(d) = sum_{j > d} (Z_j - mean_{j > d} Z)^2 / (k - d)^2, about the squared standard error
    of the truncated mean, which drops while the start-up is cut away and grows once good data
    are. d* is sought in the first half of the series only, as is usual with MSER (White and
    Robinson 2010; Hoad, Robinson and Davies 2010): near the end a handful of batches can have
    a tiny spread by chance. A minimum at the half-way bound (the statistic still falling there)
    means the series has not settled: no steady state was found.
    """
    y = np.asarray(series, dtype=float)
    k = y.size // MSER_BATCH
    if k < 4:
        return Truncation(observations=0, batches=k, found=False)
    z = y[: k * MSER_BATCH].reshape(k, MSER_BATCH).mean(axis=1)
    # sums over the tails z[d:], for every d at once
    tail_n = np.arange(k, 0, -1, dtype=float)
    tail_sum = np.cumsum(z[::-1])[::-1]
    tail_sq = np.cumsum((z * z)[::-1])[::-1]
    sse = np.maximum(tail_sq - tail_sum * tail_sum / tail_n, 0.0)
    half = k // 2
    mser = sse[: half + 1] / tail_n[: half + 1] ** 2
    # ties (a flat series) go to the earliest d, and rounding noise is not a reason to cut
    d = int(np.flatnonzero(mser <= mser.min() * (1 + 1e-9) + 1e-300)[0])
    return Truncation(observations=d * MSER_BATCH, batches=k, found=d < half)


def _scheduled_hours(stops: npt.NDArray[np.float64], hours: int) -> npt.NDArray[np.bool_]:
    """Hours [h, h + 1) of the run without any planned stop in them."""
    ok = np.ones(hours, dtype=bool)
    for a, b in stops.reshape(-1, 2):
        lo, hi = int(a // 3600.0), min(hours, math.ceil(b / 3600.0))
        ok[max(lo, 0) : max(hi, 0)] = False
    return ok


def settling_hour(
    good_per_hour: npt.ArrayLike, stops: npt.NDArray[np.float64]
) -> tuple[int, Truncation]:
    """Where a run's hourly good output settles: the hour MSER-5 truncates it at.

    MSER-5 sees only the hours without a planned stop: the calendar's stops recur by design, and
    its idle days would otherwise look like more start-up (or hide it: on the reference line
    the days off make the whole output series so variable that MSER-5 cuts nothing). Returns
    the calendar hour from the run's start at which the retained series is cut (0: nothing),
    and the truncation itself.
    """
    y = np.asarray(good_per_hour, dtype=float)
    kept = np.flatnonzero(_scheduled_hours(stops, y.size))
    t = mser5(y[kept])
    if t.observations == 0:
        return 0, t
    return int(kept[t.observations]) if t.observations < kept.size else y.size, t


@dataclass(frozen=True)
class WarmupChoice:
    """How the warm-up of a simulation was set: given, or chosen by MSER-5 on a pilot."""

    method: str  # "given" or "MSER-5"
    days: float
    pilot_days: float = 0.0
    pilot_replications: int = 0
    #: MSER-5 found the output settled in the first half of the pilot
    found: bool = True

    def describe(self) -> str:
        days = f"{self.days:.2f}".rstrip("0").rstrip(".")
        if self.method == "given":
            return f"{days} d warm-up"
        how = "" if self.found else ", no steady state found: half the pilot"
        return (
            f"{days} d warm-up (auto: MSER-5 on the hourly output of a {self.pilot_days:g} d"
            f" pilot, {self.pilot_replications} replication(s){how})"
        )

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"method": self.method, "days": self.days}
        if self.method != "given":
            out |= {
                "pilot_days": self.pilot_days,
                "pilot_replications": self.pilot_replications,
                "batch_h": MSER_BATCH,
                "found": self.found,
            }
        return out


def calendar_cycle_days(c: CompiledLine) -> tuple[float, str]:
    """The longest repeating period of the line's calendar [d] and what it is.

    Unscheduled days spread over the year recur every 365 / (365 - days_per_year) days; planned
    maintenance every ``every`` of scheduled time, which is that over the scheduled share of
    calendar time; a day with unscheduled hours, every day. 0 for a line that always runs.
    """
    cal = c.line.calendar
    share = cal.scheduled_s_per_year / (365.0 * DAY_S)
    cycles: list[tuple[float, str]] = []
    if cal.hours_per_day < 24.0 - 1e-9 and cal.hours_per_year is None:
        cycles.append((1.0, "the daily shift pattern"))
    if cal.hours_per_year is not None and cal.hours_per_year < 8760.0 - 1e-6:
        cycles.append((1.0, "the daily scheduled hours"))
    off = 365.0 - (cal.days_per_year or 365.0) if cal.hours_per_year is None else 0.0
    if off > 0.0:
        cycles.append((365.0 / off, f"{off:g} unscheduled days a year"))
    pm = cal.planned_maintenance
    if pm is not None and share > 0.0:
        cycles.append((pm.every_s / share / DAY_S, "planned maintenance"))
    return max(cycles, default=(0.0, ""))


def ceil_days(x: float, step: float = 0.5) -> float:
    """``x`` rounded up to a multiple of ``step`` days (advice in messages)."""
    return math.ceil(x / step - 1e-9) * step
