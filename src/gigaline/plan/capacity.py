"""The one capacity formula: effective capacity of a step, machines required, utilisation.

Every part of gigaline that needs a step's capacity calls this module: the planner, the
simulation's static capacity (``gigaline.sim.capacity``) and the MES event generator. Nothing
else multiplies rates by availabilities.

Equations
---------
Availability of one machine from breakdowns (steady state of an alternating renewal
process; Hopp & Spearman, *Factory Physics*, 3rd ed., 2008, eq. 8.4):

.. math:: A_f = \\frac{MTBF}{MTBF + MTTR}

A machine runs for :math:`H_{run}` hours a year before breakdowns. For a step the calendar
stops (every kind but ``dwell``) that is the scheduled time less planned maintenance, the
planned busy time of ISO 22400-2:

.. math:: H_{run} = H_s (1 - f_{pm}), \\qquad f_{pm} = d_{pm} / T_{pm}

A dwell step (aging, wetting) holds its cells through nights, weekends and planned stops,
as the twin does (``gigaline.sim.kernel``: "the calendar stops every machine except dwell
holds"), so it runs the whole calendar year, :math:`H_{run} = H_{cal}` = 8,760 h.

Effective capacity of one machine per year [units/yr] is
:math:`r_0 \\cdot 3600 \\cdot A_f \\cdot H_{run}`, with :math:`r_0` the nominal rate while
working [units/s] (``units_per_cycle / cycle time``; web speed for continuous steps, one unit
= 1 m). Per *scheduled* hour (the planner's basis: rates needed are starts per year over
scheduled hours) it is

.. math:: c_e = r_0 \\cdot 3600 \\cdot k, \\qquad k = A_f \\, H_{run} / H_s

and per *calendar* hour (the twin's basis: it reports output per hour of simulated time) it is
:math:`c_e H_s / H_{cal}`. These are the same capacity in two time bases, not two formulas.
:math:`k` is the capacity factor: :math:`A_f (1 - f_{pm})` for a step the calendar stops,
:math:`A_f H_{cal}/H_s` for a dwell hold. Then

.. math:: n_{req} = \\lceil \\lambda / c_e \\rceil, \\qquad \\rho = \\lambda / (n \\cdot c_e)

with :math:`\\lambda` the rate needed [units per scheduled hour]; the bottleneck is the most
utilised step.

Why this formula and not the two it replaced
--------------------------------------------
Before, the planner used :math:`A_f (1 - f_{pm})` for every step, the twin's static capacity
:math:`A_f \\cdot H_{run}/H_{cal}`, and the MES generator :math:`A_f` alone. The first two are
the same capacity per scheduled and per calendar hour, except that the planner also stopped
dwell holds at planned stops and nights, which the twin (and a real aging warehouse) does not:
it over-sized aging by :math:`H_{cal}/(H_s(1-f_{pm}))`, 17 % on the reference line. The third
ignored planned maintenance: a generated day ran 2.4 % faster than the line can on the
reference calendar (the generator emits cells during scheduled hours, so its basis is the
scheduled hour). With calendar-basis failures the up/down process is independent of the
deterministic calendar, so :math:`A_f (1 - f_{pm})` is exact in expectation; with
operating-basis failures repairs that run into a planned stop are partly hidden, and the
product is the conservative first-order value (the twin shows the difference).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final, Literal

from gigaline.model import Calendar, Line, Step
from gigaline.plan.errors import CapacityError

__all__ = [
    "CALENDAR_H_PER_YEAR",
    "CapacityError",
    "availability",
    "bottleneck",
    "capacity_factor",
    "effective_capacity_per_h",
    "failure_availability",
    "machines_required",
    "planned_h_per_year",
    "run_h_per_year",
    "step_capacity_cells_per_h",
    "utilization",
]

#: Hours of a calendar year as the twin lays them out (365 days of 24 h).
CALENDAR_H_PER_YEAR: Final[float] = 365 * 24.0

#: Relative tolerance for ``ceil``: a need of 3.0000000001 machines from float noise is 3.
_CEIL_RTOL = 1e-9

Basis = Literal["scheduled", "calendar"]


def failure_availability(step: Step) -> float:
    """Share of its running time a machine of ``step`` is not broken down [-]:
    ``MTBF / (MTBF + MTTR)`` (1 without failures)."""
    return step.failures.availability if step.failures is not None else 1.0


def run_h_per_year(step: Step, calendar: Calendar) -> float:
    """Hours a machine of ``step`` may run per year before breakdowns [h]: scheduled time
    less planned maintenance, or the whole calendar year for a dwell hold."""
    if step.kind == "dwell":
        return CALENDAR_H_PER_YEAR
    return calendar.available_s_per_year / 3600.0


def planned_h_per_year(step: Step, calendar: Calendar) -> float:
    """The step's own planned time per year [h]: scheduled hours, or the calendar year for a
    dwell hold that the calendar does not stop."""
    if step.kind == "dwell":
        return CALENDAR_H_PER_YEAR
    return calendar.scheduled_s_per_year / 3600.0


def availability(step: Step, calendar: Calendar) -> float:
    """Share of its planned time one machine of ``step`` works [-]:
    ``A_f x (1 - planned maintenance share)``, or ``A_f`` for a dwell hold."""
    return (
        failure_availability(step)
        * run_h_per_year(step, calendar)
        / planned_h_per_year(step, calendar)
    )


def capacity_factor(step: Step, calendar: Calendar) -> float:
    """Working hours of one machine per scheduled hour [-]: ``A_f x H_run / H_s``."""
    scheduled_h = calendar.scheduled_s_per_year / 3600.0
    return failure_availability(step) * run_h_per_year(step, calendar) / scheduled_h


def effective_capacity_per_h(step: Step, calendar: Calendar, basis: Basis = "scheduled") -> float:
    """Units one machine of ``step`` completes per scheduled (or calendar) hour [units/h],
    after breakdowns, planned maintenance and the calendar, before yield."""
    per_scheduled_h = step.rate_per_machine_units_per_s * 3600.0 * capacity_factor(step, calendar)
    if basis == "scheduled":
        return per_scheduled_h
    return per_scheduled_h * calendar.scheduled_s_per_year / 3600.0 / CALENDAR_H_PER_YEAR


def step_capacity_cells_per_h(line: Line, step: Step, basis: Basis = "scheduled") -> float:
    """Cells (cell equivalents) all machines of ``step`` can start per scheduled (or
    calendar) hour [cells/h]: machines x effective capacity / units per cell."""
    per_machine = effective_capacity_per_h(step, line.calendar, basis)
    return step.machines * per_machine / line.units_per_cell(step)


def machines_required(rate_per_h: float, capacity_per_machine_per_h: float) -> int:
    """Smallest number of machines whose effective capacity covers the rate [-]:
    ``ceil(rate / capacity)``; 0 for a zero rate.

    >>> machines_required(250.0, 100.0)
    3
    >>> machines_required(300.0, 100.0)
    3
    """
    if capacity_per_machine_per_h <= 0:
        raise CapacityError(
            f"capacity per machine must be positive (got {capacity_per_machine_per_h!r})"
        )
    if rate_per_h <= 0:
        return 0
    x = rate_per_h / capacity_per_machine_per_h
    nearest = round(x)
    if nearest > 0 and abs(x - nearest) <= _CEIL_RTOL * nearest:
        return int(nearest)
    return math.ceil(x)


def utilization(rate_per_h: float, machines: int, capacity_per_machine_per_h: float) -> float:
    """Utilisation of ``machines`` machines [-] = rate / (machines x capacity); ``inf`` when a
    positive rate has no machine."""
    if machines <= 0:
        return math.inf if rate_per_h > 0 else 0.0
    return rate_per_h / (machines * capacity_per_machine_per_h)


def bottleneck(utilizations: Mapping[str, float]) -> str:
    """Id of the most utilised step (the first one on a tie)."""
    if not utilizations:
        raise CapacityError("no steps to compare")
    return max(utilizations, key=lambda k: utilizations[k])
