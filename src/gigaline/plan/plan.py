"""The capacity plan of a line: every planning function applied in order, per phase.

:func:`plan_line` is the one entry point; it returns a :class:`Plan` (frozen dataclasses, no
I/O) whose :meth:`Plan.to_dict` is the ``gigaline plan --json`` object documented in
``docs/plan-json.md``. Method and sources: ``docs/planning.md``.

Machines planned per step. The line file's ``machines`` are its design for its own
``target.gwh_per_year``; another target scales them in proportion (keeping the design's
margins), and no step is ever planned below what the target requires:
``planned = max(required, ceil(in_file x target / file target))`` (without a file target:
``max(required, in_file)``). With ``keep_machines`` the file's counts are kept as they are and
every step that cannot reach the target is named in ``warnings``; ``feasible`` says whether
all can.
"""

from __future__ import annotations

import math

from gigaline.model import Line, Step
from gigaline.model.reference import Reference, load_reference
from gigaline.plan.capacity import (
    availability,
    bottleneck,
    effective_capacity_per_h,
    failure_availability,
    machines_required,
    planned_h_per_year,
    run_h_per_year,
    utilization,
)
from gigaline.plan.capex import Capex, bottom_up_capex
from gigaline.plan.cost import CentreCost, cost_per_kwh, scale_baseline
from gigaline.plan.credits import Credits, credit_schedule, production_credits
from gigaline.plan.drying import SolventDrying, solvent_drying
from gigaline.plan.dryroom import DryRoomEnergy, dry_room_energy
from gigaline.plan.energy import CentreEnergy, line_energy
from gigaline.plan.errors import PlanError
from gigaline.plan.formation import littles_law_positions, positions_to_install
from gigaline.plan.materials import MaterialDemand, SolventDefaults, material_demand
from gigaline.plan.result import LinePlan, Plan, StepPlan
from gigaline.plan.yields import good_cells_per_year, starts_cell_equivalents

__all__ = ["LinePlan", "Plan", "PlanError", "StepPlan", "plan_line", "plan_target"]


def plan_line(
    line: Line,
    target_gwh: float | None = None,
    reference: Reference | None = None,
    keep_machines: bool = False,
) -> Plan:
    """Plan ``line`` for its target (or ``target_gwh``) and every later phase.

    The first phase is ``target_gwh`` when given, else ``line.target.gwh_per_year``; the
    line file's ``target.phases`` follow, each planned as new lines of the same design for the
    GWh it adds. Raises :class:`PlanError` when there is no target.
    """
    ref = reference or load_reference()
    file_gwh = line.target.gwh_per_year if line.target is not None else None
    if target_gwh is None:
        if file_gwh is None:
            raise PlanError(
                f"line {line.name!r} has no target: add 'target: {{gwh_per_year: X}}' to the "
                "line file or pass --target-gwh X"
            )
        target_gwh, source = file_gwh, "line file"
    else:
        source = "--target-gwh"
    if not (target_gwh > 0 and math.isfinite(target_gwh)):
        raise PlanError(f"target must be a positive number of GWh per year (got {target_gwh})")
    start = line.site.start_year
    phases = [plan_target(line, target_gwh, ref, "phase 1", keep_machines, start)]
    for ph in line.target.phases if line.target else []:
        year = ph.year if ph.year is not None else start
        phases.append(plan_target(line, ph.adds_gwh_per_year, ref, ph.name, keep_machines, year))
    schedule = credit_schedule(
        line.site.country,
        start,
        line.site.assembles_modules,
        line.cell.energy_kwh,
        ref.credit_schemes,
    )
    return Plan(line.name, tuple(phases), source, file_gwh, tuple(schedule))


def planned_machines(
    required: int, in_file: int, gwh: float, file_gwh: float | None, keep: bool
) -> int:
    """Machines to plan for a step (module doc): the file's, scaled to the target, never
    below what the target requires; the file's as they are with ``keep``."""
    if keep:
        return in_file
    scaled = in_file if file_gwh is None else machines_required(in_file * gwh / file_gwh, 1.0)
    return max(required, scaled)


def plan_target(
    line: Line,
    gwh: float,
    ref: Reference,
    name: str = "phase 1",
    keep_machines: bool = False,
    year: int | None = None,
) -> LinePlan:
    """Plan one target of ``gwh`` [GWh/yr] for ``line`` with reference data ``ref``."""
    hours = line.calendar.scheduled_s_per_year / 3600.0
    cell_kwh = line.cell.energy_kwh
    good = good_cells_per_year(gwh, cell_kwh)
    starts_ce = starts_cell_equivalents(line, good)
    file_gwh = line.target.gwh_per_year if line.target is not None else None

    steps = _step_plans(line, starts_ce, hours, gwh, file_gwh, keep_machines)
    neck = bottleneck({s.id: s.utilization for s in steps})
    positions = _dwell_positions(line, starts_ce, hours)

    solvents = SolventDefaults(ref.default_solvent, ref.slurry_solids_fraction, ref.nmp_recovery)
    mats = (
        material_demand(line, starts_ce, ref.properties, ref.prices, solvents)
        if line.cell.design
        else None
    )
    volumes = _volumes(line, gwh, starts_ce, mats, ref)
    keys = tuple((s.id, s.process, s.electrode) for s in line.steps)
    centres = scale_baseline(ref.baseline, volumes, hours, keys)
    floor = sum(c.land_m2 for c in centres)
    dry_m2 = sum(c.land_m2 for c in centres if c.id == "dry_room")
    by_step = {s.id: s for s in line.steps}
    capex = bottom_up_capex(
        [(by_step[s.id], s.machines_planned) for s in steps], floor, dry_m2, ref.capex
    )
    labour = sum(c.labour_h_per_year for c in centres)

    good_kwh = gwh * 1e6
    drying = _drying(mats, line, ref)
    room, energy = _energy(line, ref, good_kwh, centres, drying, dry_m2)
    elec = sum(e.electricity_kwh for e in energy)
    heat = sum(e.heat_kwh for e in energy)
    cost = cost_per_kwh(
        good_kwh_per_year=good_kwh,
        materials_usd=mats.cost_usd_per_year if mats else 0.0,
        labour_h_per_year=labour,
        electricity_kwh=elec,
        heat_kwh=heat,
        capex_usd=capex.total_usd,
        building_capex_usd=capex.buildings_usd,
        economics=ref.economics,
    )
    site = line.site
    credits = production_credits(
        site.country, year, site.assembles_modules, cell_kwh, ref.credit_schemes
    )
    direct = labour / ref.economics.hours_per_fte_per_year
    return LinePlan(
        name=name,
        gwh_per_year=gwh,
        year=year,
        cell_energy_kwh=cell_kwh,
        cells_per_year=good,
        cell_starts_per_year=starts_ce[line.main_steps[0].id],
        scheduled_h_per_year=hours,
        steps=steps,
        bottleneck=neck,
        warnings=_warnings(steps, gwh),
        notes=_notes(line, capex, mats, credits),
        formation_channels=positions["formation"],
        grading_channels=positions["grading"],
        aging_positions=positions["aging"],
        floor_area_m2=floor,
        labour_h_per_year=labour,
        staff_fte=direct,
        indirect_staff_fte=direct * ref.economics.indirect_staff_per_direct,
        capex=capex,
        centres=centres,
        energy=energy,
        energy_kwh_per_kwh=(elec + heat) / good_kwh,
        measured_energy_kwh_per_kwh=sum(e.measured_total_kwh for e in energy) / good_kwh,
        chemistry=line.cell.chemistry,
        chemistry_energy_kwh_per_kwh=ref.energy.total_kwh_per_kwh(line.cell.chemistry),
        drying=drying,
        dry_room=room,
        cost=cost,
        credits=credits,
        materials=mats,
    )


def _energy(
    line: Line,
    ref: Reference,
    good_kwh: float,
    centres: tuple[CentreCost, ...],
    drying: tuple[SolventDrying, ...],
    dry_m2: float,
) -> tuple[DryRoomEnergy | None, tuple[CentreEnergy, ...]]:
    """The dry room's physics (staffed by the BatPaC assembly centres' labour) and the energy
    of every centre."""
    staffed = sum(c.labour_h_per_year for c in centres if c.id in ref.dry_room.staffed_by_centres)
    room = dry_room_energy(dry_m2, staffed, ref.dry_room) if dry_m2 > 0 else None
    steps_by_centre = {
        c.id: tuple(s.id for s in line.steps if s.process in c.processes)
        for c in ref.energy.centres
    }
    energy = line_energy(
        ref.energy.centres,
        ref.energy.total_kwh_per_kwh(line.cell.chemistry),
        good_kwh,
        steps_by_centre,
        drying,
        room,
        ref.energy_difference_reasons,
    )
    return room, energy


def _step_plans(
    line: Line,
    starts_ce: dict[str, float],
    hours: float,
    gwh: float,
    file_gwh: float | None,
    keep: bool,
) -> tuple[StepPlan, ...]:
    """Rate needed, one machine's effective capacity and machine counts of every step."""
    cal = line.calendar
    steps: list[StepPlan] = []
    for s in line.steps:
        upc = line.units_per_cell(s)
        starts = starts_ce[s.id] * upc
        rate = starts / hours
        cap = effective_capacity_per_h(s, cal)
        required = machines_required(rate, cap)
        planned = planned_machines(required, s.machines, gwh, file_gwh, keep)
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
                planned_h_per_year=planned_h_per_year(s, cal),
                machines_required=required,
                machines_in_file=s.machines,
                machines_planned=planned,
                utilization=utilization(rate, planned, cap),
            )
        )
    return tuple(steps)


def _position_kind(s: Step) -> str | None:
    if s.process in ("formation", "grading", "aging"):
        return s.process
    return "aging" if s.kind == "dwell" else None


def _dwell_positions(line: Line, starts_ce: dict[str, float], hours: float) -> dict[str, int]:
    """Formation and grading channels and aging positions to install: Little's law on the
    arrivals per running hour of the step, over its failure availability."""
    cal = line.calendar
    totals = {"formation": 0.0, "grading": 0.0, "aging": 0.0}
    for s in line.steps:
        kind = _position_kind(s)
        if kind is None or s.cycle_time is None:
            continue
        per_running_h = starts_ce[s.id] * line.units_per_cell(s) / run_h_per_year(s, cal)
        occupied = littles_law_positions(per_running_h, s.cycle_time.mean_s / 3600.0)
        totals[kind] += positions_to_install(occupied, failure_availability(s))
    return {k: machines_required(v, 1.0) for k, v in totals.items()}


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
        active = (t["cathode_active_material"] + t["anode_active_material"]) * 1000.0
        solvent = t.get("nmp_evaporated", 0.0) * 1000.0
    else:
        k = kwh / b["energy_kwh"]
        cathode_area, anode_area = k * b["cathode_area_m2"], k * b["anode_area_m2"]
        active = k * b["active_material_kg"]
        cam = active * 72.5 / 121.6  # positive share of the baseline's active material
        solvent = cam * ref.nmp_per_kg_cathode_active
    return {
        "energy_kwh": kwh,
        "cells": cells,
        "cathode_area_m2": cathode_area,
        "anode_area_m2": anode_area,
        "active_material_kg": active,
        "solvent_kg": solvent,
    }


def _drying(mats: MaterialDemand | None, line: Line, ref: Reference) -> tuple[SolventDrying, ...]:
    """Drying of each electrode whose branch has a coating step."""
    if mats is None:
        return ()
    coated = {s.electrode for s in line.steps if s.process == "coating"}
    return tuple(
        solvent_drying(u.electrode, u.solvent, u.solids_fraction, u.evaporated_kg, ref.dryer)
        for u in mats.solvents
        if u.electrode in coated
    )


def _warnings(steps: tuple[StepPlan, ...], gwh: float) -> tuple[str, ...]:
    return tuple(
        f"step {s.id!r}: {s.machines_planned} machines planned, {s.machines_required} required "
        f"for {gwh:g} GWh/yr (utilisation {s.utilization:.0%})"
        for s in steps
        if s.machines_planned < s.machines_required
    )


def _notes(
    line: Line, capex: Capex, mats: MaterialDemand | None, credits: Credits
) -> tuple[str, ...]:
    notes = []
    if capex.unpriced:
        notes.append(
            f"no unit price for step(s) {', '.join(capex.unpriced)} (no process with a reference "
            "price and no unit_price_usd): their machines are not in the equipment capex"
        )
    if mats is None:
        notes.append(
            "no cell.design: materials are not costed and drying energy is the measured share"
        )
    notes.append(f"credits: {credits.note}")
    return tuple(notes)
