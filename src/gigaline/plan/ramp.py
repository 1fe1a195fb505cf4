"""The ramp-up plan: month by month from first cells to steady state, phase by phase.

Each phase of :func:`gigaline.plan.plan_line` (phase 1, then ``target.phases``) is a copy of
the line design. From the ``ramp`` section of the line file (:class:`gigaline.model.Ramp`)
each phase has a start month, a build period before it in which its capex is spent evenly,
and learning curves of yield, availability and speed per step
(:meth:`gigaline.model.Ramp.step_factors`). In month ``t`` after a phase started (factors
taken at the middle of the month, t + 0.5):

* a step's capacity is its steady capacity (the planner's ``effective_capacity_per_h`` x
  machines) times its availability and speed factors, and its yield the steady yield times
  the yield factor;
* the phase makes the good cells of its plan's target rate (its nameplate), or fewer where a
  step cannot pass them on: good = min(target, min over steps of capacity / starts per good
  cell), with the starts per good cell from the ramped yields (``starts_cell_equivalents``);
* scrap is the cells started on the main chain and not passed on as good cells, and beside
  it the electrode scrapped in the branches (in cell equivalents);
* its costs are the plan's own (:class:`gigaline.plan.cost.CostPerKwh` at the target): the
  yearly fixed part (labour, depreciation, overhead) from the start month on, and materials
  and energy per cell equivalent started (the plan's figure per good kWh times its steady
  cumulative yield), so scrap costs its materials.

The cumulative cost per kWh is the cost incurred since the first phase started divided by the
good kWh made since; capex spent is cash, shown beside it (depreciation is the part in cost).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gigaline.errors import GigalineError
from gigaline.model import Line
from gigaline.model.ramp import PhaseRamp, Ramp
from gigaline.model.reference import Reference, load_reference
from gigaline.plan.capacity import effective_capacity_per_h
from gigaline.plan.plan import LinePlan, plan_line
from gigaline.plan.yields import starts_cell_equivalents

__all__ = ["MonthRamp", "RampError", "RampPlan", "phase_month", "ramp_plan"]


class RampError(GigalineError):
    """A line whose ramp-up cannot be planned (no ramp section, no target)."""


@dataclass(frozen=True)
class MonthRamp:
    """One month of the plant (all phases), and each phase's good output."""

    month: int
    good_cells: float
    gwh: float
    scrap_cells: float
    scrap_share: float | None
    electrode_scrap_cell_equivalents: float
    capex_usd: float
    cost_usd: float
    cumulative_gwh: float
    cumulative_capex_usd: float
    cumulative_cost_usd_per_kwh: float | None
    share_of_nameplate: float | None
    by_phase_gwh: dict[str, float]


@dataclass(frozen=True)
class RampPlan:
    """The months of the ramp and the phases they come from."""

    line: str
    phases: tuple[tuple[PhaseRamp, LinePlan], ...]
    months: tuple[MonthRamp, ...]

    def to_dict(self) -> dict[str, Any]:
        """The ``gigaline ramp --json`` object (docs/ramp.md)."""
        return {
            "line": self.line,
            "phases": [
                {
                    "phase": ph.phase,
                    "start_month": ph.start_month,
                    "build_months": ph.build_months,
                    "gwh_per_year": lp.gwh_per_year,
                    "capex_usd": _capex(ph, lp),
                    "steady_cost_usd_per_kwh": lp.cost.total,
                    "transfer": ph.transfer,
                }
                for ph, lp in self.phases
            ],
            "months": [
                {
                    "month": m.month,
                    "gwh": m.gwh,
                    "good_cells": m.good_cells,
                    "scrap_cells": m.scrap_cells,
                    "scrap_share": m.scrap_share,
                    "electrode_scrap_cell_equivalents": m.electrode_scrap_cell_equivalents,
                    "capex_usd": m.capex_usd,
                    "cost_usd": m.cost_usd,
                    "cumulative_gwh": m.cumulative_gwh,
                    "cumulative_capex_usd": m.cumulative_capex_usd,
                    "cumulative_cost_usd_per_kwh": m.cumulative_cost_usd_per_kwh,
                    "share_of_nameplate": m.share_of_nameplate,
                    "gwh_by_phase": m.by_phase_gwh,
                }
                for m in self.months
            ],
        }


def _capex(ph: PhaseRamp, lp: LinePlan) -> float:
    return ph.capex_usd if ph.capex_usd is not None else lp.capex_usd


@dataclass(frozen=True)
class _PhaseMonth:
    good_cells: float
    scrap_cells: float
    electrode_scrap: float
    starts_ce: float
    target_cells: float


def phase_month(line: Line, ramp: Ramp, lp: LinePlan, t: float, transfer: float) -> _PhaseMonth:
    """Good cells, scrap and starts of one phase in its month ``t`` (t >= 0) after start."""
    hours = line.calendar.scheduled_s_per_year / 3600.0 / 12.0
    steps = [
        s.model_copy(update={"yield_": s.yield_ * ramp.step_factors(s, t, transfer)[0]})
        for s in line.steps
    ]
    ramped = line.model_copy(update={"steps": steps})
    per_good = starts_cell_equivalents(ramped, 1.0)  # cell equivalents started per good cell
    target = lp.cells_per_year / 12.0
    capacity = target
    for s in line.steps:
        _, a, v = ramp.step_factors(s, t, transfer)
        cap_ce = s.machines * effective_capacity_per_h(s, line.calendar) / line.units_per_cell(s)
        capacity = min(capacity, cap_ce * a * v * hours / per_good[s.id])
    good = max(0.0, capacity)
    starts = good * per_good[line.main_steps[0].id]
    electrode = sum(  # each branch step scraps (1 - yield) of what it starts
        good * per_good[s.id] * (1.0 - s.yield_) for s in ramped.steps if s.branch is not None
    )
    return _PhaseMonth(good, starts - good, electrode, starts, target)


def ramp_plan(line: Line, reference: Reference | None = None) -> RampPlan:
    """Month by month GWh, scrap, capex spent and cumulative cost per kWh of every phase in
    the line file's ``ramp`` section (see the module doc)."""
    ramp = line.ramp
    if ramp is None or not ramp.phases:
        raise RampError(
            f"line {line.name!r} has no ramp section with phases: add 'ramp: {{phases: "
            "[{phase: phase 1, start_month: 0}]}' (docs/line-file.md#ramp)"
        )
    plan = plan_line(line, reference=reference or load_reference())
    by_name = {p.name: p for p in plan.phases}
    phases = tuple((ph, by_name[ph.phase]) for ph in ramp.phases)
    first = min(ph.start_month - ph.build_months for ph, _ in phases)
    kwh_cell = line.cell.energy_kwh
    months: list[MonthRamp] = []
    cum_gwh = cum_capex = cum_cost = 0.0
    for m in range(first, ramp.months):
        good = scrap = electrode = capex = cost = 0.0
        by_phase: dict[str, float] = {}
        nameplate = 0.0
        for ph, lp in phases:
            if ph.start_month - ph.build_months <= m < ph.start_month:
                capex += _capex(ph, lp) / ph.build_months
            if m < ph.start_month:
                by_phase[ph.phase] = 0.0
                continue
            pm = phase_month(line, ramp, lp, m - ph.start_month + 0.5, ph.transfer)
            good += pm.good_cells
            scrap += pm.scrap_cells
            electrode += pm.electrode_scrap
            nameplate += pm.target_cells
            by_phase[ph.phase] = pm.good_cells * kwh_cell / 1e6
            c = lp.cost
            fixed = (c.labour + c.depreciation + c.overhead) * lp.gwh_per_year * 1e6 / 12.0
            steady_per_start = lp.cells_per_year / lp.cell_starts_per_year
            variable = (c.materials + c.energy) * kwh_cell * steady_per_start
            cost += fixed + variable * pm.starts_ce
        gwh = good * kwh_cell / 1e6
        cum_gwh += gwh
        cum_capex += capex
        cum_cost += cost
        months.append(
            MonthRamp(
                month=m,
                good_cells=good,
                gwh=gwh,
                scrap_cells=scrap,
                scrap_share=scrap / (good + scrap) if good + scrap > 0 else None,
                electrode_scrap_cell_equivalents=electrode,
                capex_usd=capex,
                cost_usd=cost,
                cumulative_gwh=cum_gwh,
                cumulative_capex_usd=cum_capex,
                cumulative_cost_usd_per_kwh=cum_cost / (cum_gwh * 1e6) if cum_gwh > 0 else None,
                share_of_nameplate=good / nameplate if nameplate > 0 else None,
                by_phase_gwh=by_phase,
            )
        )
    return RampPlan(line.name, phases, tuple(months))
