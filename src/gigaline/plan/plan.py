"""The capacity plan of a line: every planning function applied in order, per phase.

:func:`plan_line` is the one entry point; it returns a :class:`Plan` (frozen dataclasses, no
I/O) whose :meth:`Plan.to_dict` is the ``gigaline plan --json`` object documented in
``docs/plan-json.md``. Method and sources: ``docs/planning.md``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from gigaline.model import Line
from gigaline.model.reference import Reference, load_reference
from gigaline.plan.capacity import (
    availability,
    bottleneck,
    effective_capacity_per_h,
    machines_required,
    utilization,
)
from gigaline.plan.cost import CentreCost, CostPerKwh, cost_per_kwh, scale_baseline
from gigaline.plan.energy import CentreEnergy, centre_energy, intensity_scale
from gigaline.plan.errors import PlanError
from gigaline.plan.formation import littles_law_positions, positions_to_install
from gigaline.plan.materials import MaterialDemand, material_demand
from gigaline.plan.yields import good_cells_per_year, starts_cell_equivalents

__all__ = ["LinePlan", "Plan", "PlanError", "StepPlan", "plan_line", "plan_target"]


@dataclass(frozen=True)
class StepPlan:
    """One step's share of the plan; rates per scheduled hour, in the step's own units."""

    id: str
    name: str | None
    process: str | None
    kind: str
    unit: str
    units_per_cell: float
    yield_: float
    starts_per_year: float
    rate_per_h: float
    capacity_per_machine_per_h: float
    availability: float
    machines_required: int
    machines_planned: int
    utilization: float


@dataclass(frozen=True)
class LinePlan:
    """The plan for one target (one phase): throughput, machines, channels, area, energy,
    staff, capex, cost per kWh and materials."""

    name: str
    gwh_per_year: float
    cell_energy_kwh: float
    cells_per_year: float
    cell_starts_per_year: float
    scheduled_h_per_year: float
    steps: tuple[StepPlan, ...]
    bottleneck: str
    formation_channels: int
    aging_positions: int
    floor_area_m2: float
    labour_h_per_year: float
    staff_fte: float
    capex_usd: float
    building_capex_usd: float
    centres: tuple[CentreCost, ...]
    energy: tuple[CentreEnergy, ...]
    energy_kwh_per_kwh: float
    cost: CostPerKwh
    materials: MaterialDemand | None


@dataclass(frozen=True)
class Plan:
    """Every phase of a line's build-out and their total."""

    line: str
    phases: tuple[LinePlan, ...]

    @property
    def first(self) -> LinePlan:
        """The first phase (the line file's ``target``, or ``--target-gwh``)."""
        return self.phases[0]

    def total(self) -> dict[str, float]:
        """Phases summed: GWh, cells, capex, floor area, staff, machines, channels."""
        ps = self.phases
        gwh = sum(p.gwh_per_year for p in ps)
        return {
            "gwh_per_year": gwh,
            "cells_per_year": sum(p.cells_per_year for p in ps),
            "capex_usd": sum(p.capex_usd for p in ps),
            "capex_usd_per_gwh": sum(p.capex_usd for p in ps) / gwh,
            "floor_area_m2": sum(p.floor_area_m2 for p in ps),
            "staff_fte": sum(p.staff_fte for p in ps),
            "machines_required": float(sum(s.machines_required for p in ps for s in p.steps)),
            "formation_channels": float(sum(p.formation_channels for p in ps)),
            "aging_positions": float(sum(p.aging_positions for p in ps)),
            "cost_usd_per_kwh": sum(p.cost.total * p.gwh_per_year for p in ps) / gwh,
        }

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` object (docs/plan-json.md): the first phase's plan at top level,
        every phase and the total under ``phases`` and ``total``."""
        out = _line_dict(self.first)
        out["line"] = self.line
        out["phases"] = [
            {
                "name": p.name,
                "gwh_per_year": p.gwh_per_year,
                "cells_per_year": p.cells_per_year,
                "machines_required": sum(s.machines_required for s in p.steps),
                "formation_channels": p.formation_channels,
                "aging_positions": p.aging_positions,
                "floor_area_m2": p.floor_area_m2,
                "staff_fte": p.staff_fte,
                "capex_usd": p.capex_usd,
                "cost_usd_per_kwh": p.cost.total,
            }
            for p in self.phases
        ]
        out["total"] = self.total()
        return out


def _line_dict(p: LinePlan) -> dict[str, Any]:
    mats = p.materials
    return {
        "phase": p.name,
        "gwh_per_year": p.gwh_per_year,
        "cell_energy_kwh": p.cell_energy_kwh,
        "cells_per_year": p.cells_per_year,
        "cell_starts_per_year": p.cell_starts_per_year,
        "scheduled_h_per_year": p.scheduled_h_per_year,
        "steps": [
            {
                "id": s.id,
                "process": s.process,
                "kind": s.kind,
                "unit": s.unit,
                "units_per_cell": s.units_per_cell,
                "yield": s.yield_,
                "starts_per_year": s.starts_per_year,
                "rate_per_h": s.rate_per_h,
                "capacity_per_machine_per_h": s.capacity_per_machine_per_h,
                "availability": s.availability,
                "machines_required": s.machines_required,
                "machines_planned": s.machines_planned,
                "utilization": s.utilization,
            }
            for s in p.steps
        ],
        "bottleneck": p.bottleneck,
        "formation_channels": p.formation_channels,
        "aging_positions": p.aging_positions,
        "floor_area_m2": p.floor_area_m2,
        "labour_h_per_year": p.labour_h_per_year,
        "staff_fte": p.staff_fte,
        "energy_kwh_per_kwh": p.energy_kwh_per_kwh,
        "energy_by_centre": [
            {
                "id": e.id,
                "name": e.name,
                "steps": list(e.steps),
                "electricity_kwh_per_kwh": e.electricity_kwh / (p.gwh_per_year * 1e6),
                "heat_kwh_per_kwh": e.heat_kwh / (p.gwh_per_year * 1e6),
            }
            for e in p.energy
        ],
        "capex_usd": p.capex_usd,
        "capex_usd_per_gwh": p.capex_usd / p.gwh_per_year,
        "capex_baseline": "BatPaC v5 baseline plant (50 GWh/yr), Knehr et al., ANL/CSE-22/1, 2022",
        "capex_by_centre": [{**asdict(c), "steps": list(c.steps)} for c in p.centres],
        "cost_usd_per_kwh": p.cost.total,
        "cost_breakdown_usd_per_kwh": {**asdict(p.cost), "total": p.cost.total},
        "materials_t_per_year": dict(mats.t_per_year) if mats else {},
        "separator_m2_per_year": mats.separator_m2_per_year if mats else None,
    }


def plan_line(
    line: Line, target_gwh: float | None = None, reference: Reference | None = None
) -> Plan:
    """Plan ``line`` for its target (or ``target_gwh``) and every later phase.

    The first phase is ``target_gwh`` when given, else ``line.target.gwh_per_year``; the
    line file's ``target.phases`` follow, each planned as new lines of the same design for the
    GWh it adds. Raises :class:`PlanError` when there is no target.
    """
    ref = reference or load_reference()
    if target_gwh is None:
        if line.target is None:
            raise PlanError(
                f"line {line.name!r} has no target: add 'target: {{gwh_per_year: X}}' to the "
                "line file or pass --target-gwh X"
            )
        target_gwh = line.target.gwh_per_year
    if not (target_gwh > 0 and math.isfinite(target_gwh)):
        raise PlanError(f"target must be a positive number of GWh per year (got {target_gwh})")
    phases = [plan_target(line, target_gwh, ref, name="phase 1")]
    for ph in line.target.phases if line.target else []:
        phases.append(plan_target(line, ph.adds_gwh_per_year, ref, name=ph.name))
    return Plan(line.name, tuple(phases))


def plan_target(line: Line, gwh: float, ref: Reference, name: str = "phase 1") -> LinePlan:
    """Plan one target of ``gwh`` [GWh/yr] for ``line`` with reference data ``ref``."""
    hours = line.calendar.scheduled_s_per_year / 3600.0
    cell_kwh = line.cell.energy_kwh
    good = good_cells_per_year(gwh, cell_kwh)
    starts_ce = starts_cell_equivalents(line, good)

    steps = _step_plans(line, starts_ce, hours)
    neck = bottleneck({s.id: s.utilization for s in steps})
    formation, aging = _dwell_positions(line, starts_ce, hours)

    mats = (
        material_demand(line, starts_ce, ref.properties, ref.prices) if line.cell.design else None
    )
    volumes = _volumes(line, gwh, starts_ce, mats, ref)
    keys = tuple((s.id, s.process, s.electrode) for s in line.steps)
    centres = scale_baseline(ref.baseline, volumes, hours, keys)
    building = sum(c.capital_usd for c in centres if c.driver == "plant_area_m2")
    capex = sum(c.capital_usd for c in centres)
    labour = sum(c.labour_h_per_year for c in centres)

    energy = _energy(line, ref, gwh * 1e6)
    elec = sum(e.electricity_kwh for e in energy)
    heat = sum(e.heat_kwh for e in energy)
    good_kwh = gwh * 1e6
    cost = cost_per_kwh(
        good_kwh_per_year=good_kwh,
        materials_usd=mats.cost_usd_per_year if mats else 0.0,
        labour_h_per_year=labour,
        electricity_kwh=elec,
        heat_kwh=heat,
        capex_usd=capex,
        building_capex_usd=building,
        economics=ref.economics,
    )
    return LinePlan(
        name=name,
        gwh_per_year=gwh,
        cell_energy_kwh=cell_kwh,
        cells_per_year=good,
        cell_starts_per_year=starts_ce[line.main_steps[0].id],
        scheduled_h_per_year=hours,
        steps=steps,
        bottleneck=neck,
        formation_channels=formation,
        aging_positions=aging,
        floor_area_m2=sum(c.land_m2 for c in centres),
        labour_h_per_year=labour,
        staff_fte=labour / ref.economics.hours_per_fte_per_year,
        capex_usd=capex,
        building_capex_usd=building,
        centres=centres,
        energy=energy,
        energy_kwh_per_kwh=(elec + heat) / good_kwh,
        cost=cost,
        materials=mats,
    )


def _step_plans(line: Line, starts_ce: dict[str, float], hours: float) -> tuple[StepPlan, ...]:
    """Rate needed, one machine's effective capacity and machine counts of every step."""
    cal = line.calendar
    steps: list[StepPlan] = []
    for s in line.steps:
        upc = line.units_per_cell(s)
        starts = starts_ce[s.id] * upc
        rate = starts / hours
        cap = effective_capacity_per_h(s, cal)
        steps.append(
            StepPlan(
                id=s.id,
                name=s.name,
                process=s.process,
                kind=s.kind,
                unit=s.unit,
                units_per_cell=upc,
                yield_=s.yield_,
                starts_per_year=starts,
                rate_per_h=rate,
                capacity_per_machine_per_h=cap,
                availability=availability(s, cal),
                machines_required=machines_required(rate, cap),
                machines_planned=s.machines,
                utilization=utilization(rate, s.machines, cap),
            )
        )
    return tuple(steps)


def _dwell_positions(line: Line, starts_ce: dict[str, float], hours: float) -> tuple[int, int]:
    """Formation channels and aging positions to install (Little's law, availability)."""
    cal = line.calendar
    totals = {"formation": 0.0, "aging": 0.0}
    for s in line.steps:
        kind = s.process if s.process in totals else ("aging" if s.kind == "dwell" else None)
        if kind is None or s.cycle_time is None:
            continue
        rate = starts_ce[s.id] * line.units_per_cell(s) / hours
        occupied = littles_law_positions(rate, s.cycle_time.mean_s / 3600.0)
        totals[kind] += positions_to_install(occupied, availability(s, cal))
    return _ceil(totals["formation"]), _ceil(totals["aging"])


def _ceil(x: float) -> int:
    return machines_required(x, 1.0)


def _volumes(
    line: Line,
    gwh: float,
    starts_ce: dict[str, float],
    mats: MaterialDemand | None,
    ref: Reference,
) -> dict[str, float]:
    """The line's yearly volume of every BatPaC driver.

    Without a cell design, area and active material follow energy at the baseline's ratios
    (assumption: the baseline cell's area and material per kWh).
    """
    b = ref.baseline.volumes
    kwh = gwh * 1e6
    cells = starts_ce[line.main_steps[0].id]
    design = line.cell.design
    if design is not None and mats is not None:
        cathode_area = cells * design.cathode.area_m2
        anode_area = cells * design.anode.area_m2
        t = mats.t_per_year
        cam = t["cathode_active_material"] * 1000.0
        active = cam + t["anode_active_material"] * 1000.0
    else:
        k = kwh / b["energy_kwh"]
        cathode_area, anode_area = k * b["cathode_area_m2"], k * b["anode_area_m2"]
        active = k * b["active_material_kg"]
        cam = active * 72.5 / 121.6  # positive share of the baseline's active material
    return {
        "energy_kwh": kwh,
        "cells": cells,
        "cathode_area_m2": cathode_area,
        "anode_area_m2": anode_area,
        "active_material_kg": active,
        "solvent_kg": cam * ref.nmp_per_kg_cathode_active,
    }


def _energy(line: Line, ref: Reference, good_kwh: float) -> tuple[CentreEnergy, ...]:
    """Energy by centre for the line's chemistry; centres without a matching step drop out."""
    total = ref.energy.total_kwh_per_kwh(line.cell.chemistry)
    scale = intensity_scale(total, ref.energy.centres)
    out = []
    for c in ref.energy.centres:
        steps = tuple(s.id for s in line.steps if s.process in c.processes)
        if c.processes and not steps:
            continue
        out.append(centre_energy(c, scale, good_kwh, steps))
    return tuple(out)
