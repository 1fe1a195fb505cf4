"""Static capacity of a line from its own numbers: the spreadsheet answer to compare with.

Per step: the effective capacity of :func:`gigaline.plan.capacity.step_capacity_cells_per_h`
per calendar hour (machines x nominal rate x availability MTBF / (MTBF + MTTR) x share of the
calendar year the step runs; dwell holds run through planned stops), expressed in good cells
leaving the line by the yields of the step itself and of every step after it. The line's
capacity is the smallest of these. This ignores blocking, starving and variability, which is
exactly what the simulation adds; the gap between the two is the point of the comparison.
``gigaline.plan.capacity`` is the only place the capacity formula lives (docs/planning.md).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from gigaline.model import Line
from gigaline.plan.capacity import (
    CALENDAR_H_PER_YEAR,
    failure_availability,
    run_h_per_year,
    step_capacity_cells_per_h,
)
from gigaline.sim.compile import CompiledLine

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["min_capacity", "static_capacity", "static_capacity_rows"]

YEAR_S = CALENDAR_H_PER_YEAR * 3600.0


def _downstream_yield(line: Line) -> dict[str, float]:
    """Product of the yields from each step (inclusive) to the end of the line."""
    out: dict[str, float] = {}
    steps = line.steps
    consumer: dict[str, str] = {}
    for s in steps:
        for p in line.predecessors(s):
            consumer[p.id] = s.id
    for s in reversed(steps):
        nxt = consumer.get(s.id)
        out[s.id] = s.yield_ * (out[nxt] if nxt else 1.0)
    return out


def static_capacity(c: CompiledLine) -> pd.DataFrame:
    """One row per step: nominal, available and good-cell capacity [cells/h].

    ``step_output_cells_per_h`` is what the step itself can pass on (its own yield);
    ``good_cells_per_h`` is that in good cells leaving the line (every yield after it too); the
    line's capacity is the smallest ``good_cells_per_h``.
    """
    import pandas as pd

    return pd.DataFrame(static_capacity_rows(c)).set_index("step")


def min_capacity(rows: list[dict[str, Any]]) -> float:
    """The line's static capacity: the smallest ``good_cells_per_h`` (NaN skipped, as pandas'
    ``min``)."""
    values = [float(r["good_cells_per_h"]) for r in rows]
    defined = [v for v in values if not math.isnan(v)]
    return min(defined) if defined else math.nan


def static_capacity_rows(c: CompiledLine) -> list[dict[str, Any]]:
    """The rows of :func:`static_capacity` as dicts (with ``step``), without pandas."""
    line = c.line
    after = _downstream_yield(line)
    rows = []
    nominal = c.capacity_cells_per_s() * 3600.0
    for i, s in enumerate(line.steps):
        capacity = step_capacity_cells_per_h(line, s, basis="calendar")
        rows.append(
            {
                "step": s.id,
                "machines": s.machines,
                "nominal_cells_per_h": float(nominal[i]),
                "availability": failure_availability(s),
                "calendar_share": run_h_per_year(s, line.calendar) / CALENDAR_H_PER_YEAR,
                "yield_to_end": after[s.id],
                "step_output_cells_per_h": capacity * s.yield_,
                "good_cells_per_h": capacity * after[s.id],
            }
        )
    return rows
