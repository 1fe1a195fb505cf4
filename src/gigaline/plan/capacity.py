"""Machines per step: effective capacity of one machine, machines required, utilisation.

Equations
---------
Availability of one machine from breakdowns (steady state of an alternating renewal
process; e.g. Hopp & Spearman, *Factory Physics*, 3rd ed., 2008, eq. 8.4):

.. math:: A_f = \\frac{MTBF}{MTBF + MTTR}

Planned maintenance takes the share :math:`f_{pm} = d_{pm} / T_{pm}` of scheduled time
(ISO 22400-2: planned busy time = planned operation time - planned downtime), so the
effective capacity of one machine per scheduled hour [units/h] is

.. math:: c_e = r_0 \\cdot 3600 \\cdot A_f \\cdot (1 - f_{pm})

with :math:`r_0` the nominal rate while working [units/s] (``units_per_cycle / cycle time``
for discrete, batch and dwell steps; web speed for continuous steps, one unit = 1 m).
The rate needed is starts per year over scheduled hours per year, :math:`\\lambda` [units/h],
and

.. math:: n_{req} = \\lceil \\lambda / c_e \\rceil, \\qquad
          \\rho = \\lambda / (n \\cdot c_e)

is the utilisation of :math:`n` machines. The bottleneck is the step whose planned machines
are most utilised. Breakdowns counted in operating time (``basis: operating``) stop a machine
only while it works; sizing at full load, both bases give :math:`A_f` above.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from gigaline.model import Calendar, Step

__all__ = [
    "availability",
    "bottleneck",
    "effective_capacity_per_h",
    "machines_required",
    "utilization",
]

#: Relative tolerance for ``ceil``: a need of 3.0000000001 machines from float noise is 3.
_CEIL_RTOL = 1e-9


def availability(step: Step, calendar: Calendar) -> float:
    """Share of scheduled time one machine of ``step`` can work [-]:
    ``MTBF / (MTBF + MTTR) x (1 - planned maintenance share)``."""
    a = step.failures.availability if step.failures is not None else 1.0
    return a * (1.0 - calendar.maintenance_fraction)


def effective_capacity_per_h(step: Step, calendar: Calendar) -> float:
    """Units one machine of ``step`` completes per scheduled hour [units/h], after breakdowns
    and planned maintenance (before yield)."""
    return step.rate_per_machine_units_per_s * 3600.0 * availability(step, calendar)


def machines_required(rate_per_h: float, capacity_per_machine_per_h: float) -> int:
    """Smallest number of machines whose effective capacity covers the rate [-]:
    ``ceil(rate / capacity)``; 0 for a zero rate.

    >>> machines_required(250.0, 100.0)
    3
    >>> machines_required(300.0, 100.0)
    3
    """
    if capacity_per_machine_per_h <= 0:
        raise ValueError("capacity per machine must be positive")
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
        raise ValueError("no steps")
    return max(utilizations, key=lambda k: utilizations[k])
