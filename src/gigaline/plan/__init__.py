"""Capacity planning (layer 1): pure, documented functions from a line to a plan.

``plan_line(line)`` gives machines per step, formation channels, aging positions, floor
area, energy, staff, capex and cost per kWh for the line's target and phases. The building
blocks are public and tested one by one: :mod:`~gigaline.plan.yields`,
:mod:`~gigaline.plan.capacity`, :mod:`~gigaline.plan.formation`,
:mod:`~gigaline.plan.materials`, :mod:`~gigaline.plan.energy`, :mod:`~gigaline.plan.cost`.
Method and sources: docs/planning.md.
"""

from gigaline.plan.capacity import (
    availability,
    bottleneck,
    effective_capacity_per_h,
    machines_required,
    utilization,
)
from gigaline.plan.cost import batpac_scale, cost_per_kwh, scale_baseline
from gigaline.plan.formation import littles_law_positions, positions_to_install
from gigaline.plan.materials import cell_bill_of_materials, material_demand
from gigaline.plan.plan import LinePlan, Plan, PlanError, StepPlan, plan_line, plan_target
from gigaline.plan.yields import (
    cell_energy_kwh,
    cumulative_yield,
    good_cells_per_year,
    starts_cell_equivalents,
)

__all__ = [
    "LinePlan",
    "Plan",
    "PlanError",
    "StepPlan",
    "availability",
    "batpac_scale",
    "bottleneck",
    "cell_bill_of_materials",
    "cell_energy_kwh",
    "cost_per_kwh",
    "cumulative_yield",
    "effective_capacity_per_h",
    "good_cells_per_year",
    "littles_law_positions",
    "machines_required",
    "material_demand",
    "plan_line",
    "plan_target",
    "positions_to_install",
    "scale_baseline",
    "starts_cell_equivalents",
    "utilization",
]
