"""Static capacity of a line from its own numbers: the spreadsheet answer to compare with.

Per step: machines x nominal rate x availability (MTBF / (MTBF + MTTR)) x share of calendar
time the step runs (dwell holds run through planned stops), expressed in good cells leaving
the line by the yields of the step itself and of every step after it. The line's capacity is
the smallest of these. This ignores blocking, starving and variability, which is exactly what
the simulation adds; the gap between the two is the point of the comparison.
"""

from __future__ import annotations

import pandas as pd

from gigaline.model import Line
from gigaline.sim.compile import CompiledLine

__all__ = ["static_capacity"]

YEAR_S = 8760 * 3600.0


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
    line = c.line
    cal = line.calendar
    calendar_share = cal.available_s_per_year / YEAR_S
    after = _downstream_yield(line)
    rows = []
    nominal = c.capacity_cells_per_s() * 3600.0
    for i, s in enumerate(line.steps):
        avail = s.failures.availability if s.failures else 1.0
        share = 1.0 if s.kind == "dwell" else calendar_share
        rows.append(
            {
                "step": s.id,
                "machines": s.machines,
                "nominal_cells_per_h": float(nominal[i]),
                "availability": avail,
                "calendar_share": share,
                "yield_to_end": after[s.id],
                "step_output_cells_per_h": float(nominal[i]) * avail * share * s.yield_,
                "good_cells_per_h": float(nominal[i]) * avail * share * after[s.id],
            }
        )
    return pd.DataFrame(rows).set_index("step")
