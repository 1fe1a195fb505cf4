"""Capacity planning (layer 1): pure, documented functions from a line to a plan.

``plan_line(line)`` gives machines per step, formation and grading channels, aging positions,
floor area, energy by centre, direct and indirect staff, bottom-up capex (with the BatPaC
scaling beside it), cost per kWh before and after production credits, and materials, for the
line's target and phases. The building blocks are public and tested one by one:
:mod:`~gigaline.plan.yields`, :mod:`~gigaline.plan.capacity` (the one capacity formula, also
used by the simulation and the MES generator), :mod:`~gigaline.plan.formation`,
:mod:`~gigaline.plan.materials`, :mod:`~gigaline.plan.drying`, :mod:`~gigaline.plan.dryroom`,
:mod:`~gigaline.plan.energy`, :mod:`~gigaline.plan.capex`, :mod:`~gigaline.plan.cost`,
:mod:`~gigaline.plan.credits`. Method and sources: docs/planning.md.
"""

from gigaline.plan.capacity import (
    CALENDAR_H_PER_YEAR,
    availability,
    bottleneck,
    capacity_factor,
    effective_capacity_per_h,
    failure_availability,
    machines_required,
    planned_h_per_year,
    run_h_per_year,
    step_capacity_cells_per_h,
    utilization,
)
from gigaline.plan.capex import Capex, StepCapex, bottom_up_capex, unit_price
from gigaline.plan.cost import batpac_scale, cost_per_kwh, scale_baseline
from gigaline.plan.credits import Credits, credit_schedule, production_credits
from gigaline.plan.drying import SolventDrying, drying_heat_kj_per_kg, solvent_drying
from gigaline.plan.dryroom import DryRoomEnergy, dry_room_energy
from gigaline.plan.errors import CapacityError, PlanError, PlanInputError
from gigaline.plan.formation import littles_law_positions, positions_to_install
from gigaline.plan.materials import cell_bill_of_materials, material_demand
from gigaline.plan.plan import plan_line, plan_target, planned_machines
from gigaline.plan.result import LinePlan, Plan, StepPlan
from gigaline.plan.yields import (
    cell_energy_kwh,
    cumulative_yield,
    good_cells_per_year,
    starts_cell_equivalents,
)

__all__ = [
    "CALENDAR_H_PER_YEAR",
    "CapacityError",
    "Capex",
    "Credits",
    "DryRoomEnergy",
    "LinePlan",
    "Plan",
    "PlanError",
    "PlanInputError",
    "SolventDrying",
    "StepCapex",
    "StepPlan",
    "availability",
    "batpac_scale",
    "bottleneck",
    "bottom_up_capex",
    "capacity_factor",
    "cell_bill_of_materials",
    "cell_energy_kwh",
    "cost_per_kwh",
    "credit_schedule",
    "cumulative_yield",
    "dry_room_energy",
    "drying_heat_kj_per_kg",
    "effective_capacity_per_h",
    "failure_availability",
    "good_cells_per_year",
    "littles_law_positions",
    "machines_required",
    "material_demand",
    "plan_line",
    "plan_target",
    "planned_h_per_year",
    "planned_machines",
    "positions_to_install",
    "production_credits",
    "run_h_per_year",
    "scale_baseline",
    "solvent_drying",
    "starts_cell_equivalents",
    "step_capacity_cells_per_h",
    "unit_price",
    "utilization",
]
