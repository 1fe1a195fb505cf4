"""Formation channels and aging positions from Little's law.

Little's law (Little, *Operations Research* 9(3), 383-387, 1961,
doi:10.1287/opre.9.3.383): in steady state the average number of units in a system equals the
arrival rate times the average time in it,

.. math:: L = \\lambda \\, W .

A formation channel holds one cell for the formation time, so the channels occupied on
average are :math:`\\lambda W` with :math:`\\lambda` the cells started per scheduled hour and
:math:`W` the hours on a channel. Channels to install divide by the share of time a channel
can hold a cell (availability :math:`A`, planned maintenance included) and a planning
utilisation :math:`\\rho_{max}` kept free for loading, unloading and variability:

.. math:: C = \\frac{\\lambda W}{A \\, \\rho_{max}} .

Aging positions are the same law on the aging dwell.
"""

from __future__ import annotations

from gigaline.plan.errors import PlanInputError

__all__ = ["littles_law_positions", "positions_to_install"]


def littles_law_positions(rate_per_h: float, time_in_system_h: float) -> float:
    """Average units in the system [units] = rate [units/h] x time in it [h]."""
    if rate_per_h < 0 or time_in_system_h < 0:
        raise PlanInputError(
            f"rate and time must not be negative (got {rate_per_h!r}/h, {time_in_system_h!r} h)"
        )
    return rate_per_h * time_in_system_h


def positions_to_install(
    occupied: float, availability: float = 1.0, max_utilization: float = 1.0
) -> float:
    """Positions (channels, rack places) to install [-] = occupied / (A x rho_max)."""
    if not (0 < availability <= 1 and 0 < max_utilization <= 1):
        raise PlanInputError(
            f"availability and max_utilization must be in (0, 1] "
            f"(got {availability!r}, {max_utilization!r})"
        )
    return occupied / (availability * max_utilization)
