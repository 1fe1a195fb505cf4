"""Output target and the yield cascade: how many units each step must start.

Equations
---------
Good cells per year for a target energy :math:`E` [kWh/yr] and cell energy :math:`e` [kWh]:

.. math:: N_{good} = E / e, \\qquad e = Q \\cdot U / 1000

with capacity :math:`Q` [Ah] and nominal voltage :math:`U` [V].

Yield cascade. A step with yield :math:`y_i` passes :math:`y_i` of what it starts. Along the
main chain, the starts of step :math:`i` (in cells) are

.. math:: S_i = N_{good} \\Big/ \\prod_{j \\ge i} y_j

and along a branch that merges at main-chain step :math:`m`, in cell equivalents,

.. math:: S_k = S_m \\Big/ \\prod_{j \\ge k,\\, j \\in \\text{branch}} y_j .

A step's starts in its own work units are :math:`S_i \\cdot u_i` with :math:`u_i` its units
per cell (``Line.units_per_cell``). This is the standard serial-line yield model used by
BatPaC (Knehr et al., ANL/CSE-22/1, 2022, "total cells" = required cells / cell yield).
"""

from __future__ import annotations

from collections.abc import Sequence

from gigaline.model import Line
from gigaline.plan.errors import PlanInputError

__all__ = [
    "cell_energy_kwh",
    "cumulative_yield",
    "good_cells_per_year",
    "starts_cell_equivalents",
]


def cell_energy_kwh(capacity_ah: float, nominal_voltage_v: float) -> float:
    """Nominal energy of one cell [kWh] = capacity [Ah] x nominal voltage [V] / 1000."""
    return capacity_ah * nominal_voltage_v / 1000.0


def good_cells_per_year(target_gwh_per_year: float, cell_kwh: float) -> float:
    """Good cells per year [1/yr] to deliver ``target_gwh_per_year`` [GWh/yr] of cells of
    ``cell_kwh`` [kWh] each: ``N = target x 1e6 / cell_kwh``."""
    if cell_kwh <= 0:
        raise PlanInputError(f"cell energy must be positive (got {cell_kwh!r} kWh)")
    return target_gwh_per_year * 1e6 / cell_kwh


def cumulative_yield(yields: Sequence[float]) -> float:
    """Product of the yields [-] of a chain of steps (1.0 for an empty chain)."""
    out = 1.0
    for y in yields:
        out *= y
    return out


def starts_cell_equivalents(line: Line, good_cells: float) -> dict[str, float]:
    """Starts per year of every step in cell equivalents [cells/yr], by step id.

    Main-chain steps: good cells over the cumulative yield from the step to the end of the
    line. Branch steps: the starts of the main-chain step that merges the branch over the
    cumulative yield from the step to the end of its branch. Multiply by
    ``line.units_per_cell(step)`` for starts in the step's own units.
    """
    out: dict[str, float] = {}
    need = good_cells
    for step in reversed(line.main_steps):
        need /= step.yield_
        out[step.id] = need
    for step in line.main_steps:
        for name in step.merge or []:
            need = out[step.id]
            for b in reversed(line.branches[name]):
                need /= b.yield_
                out[b.id] = need
    return out
