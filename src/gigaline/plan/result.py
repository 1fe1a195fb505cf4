"""The plan's results: frozen dataclasses and their ``--json`` form (docs/plan-json.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from gigaline.plan.capex import Capex
from gigaline.plan.cost import CentreCost, CostPerKwh
from gigaline.plan.credits import Credits
from gigaline.plan.drying import SolventDrying
from gigaline.plan.dryroom import DryRoomEnergy
from gigaline.plan.energy import CentreEnergy
from gigaline.plan.materials import MaterialDemand

__all__ = ["LinePlan", "Plan", "StepPlan", "line_plan_dict", "phase_summary"]

BATPAC_BASELINE = "BatPaC v5 baseline plant (50 GWh/yr), Knehr et al., ANL/CSE-22/1, 2022"


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
    planned_h_per_year: float
    machines_required: int
    machines_in_file: int
    machines_planned: int
    utilization: float


@dataclass(frozen=True)
class LinePlan:
    """The plan for one target (one phase): throughput, machines, channels, area, energy,
    staff, capex, cost per kWh, credits and materials."""

    name: str
    gwh_per_year: float
    year: int | None
    cell_energy_kwh: float
    cells_per_year: float
    cell_starts_per_year: float
    scheduled_h_per_year: float
    steps: tuple[StepPlan, ...]
    bottleneck: str
    warnings: tuple[str, ...]
    notes: tuple[str, ...]
    formation_channels: int
    grading_channels: int
    aging_positions: int
    floor_area_m2: float
    labour_h_per_year: float
    staff_fte: float
    indirect_staff_fte: float
    capex: Capex
    centres: tuple[CentreCost, ...]
    energy: tuple[CentreEnergy, ...]
    energy_kwh_per_kwh: float
    measured_energy_kwh_per_kwh: float
    chemistry: str
    chemistry_energy_kwh_per_kwh: float
    drying: tuple[SolventDrying, ...]
    dry_room: DryRoomEnergy | None
    cost: CostPerKwh
    credits: Credits
    materials: MaterialDemand | None

    @property
    def feasible(self) -> bool:
        """Whether every step's planned machines reach the target."""
        return all(s.machines_planned >= s.machines_required for s in self.steps)

    @property
    def capex_usd(self) -> float:
        """Bottom-up capex [USD]."""
        return self.capex.total_usd

    @property
    def batpac_capex_usd(self) -> float:
        """The BatPaC-scaled capex, the cross-check [USD]."""
        return sum(c.capital_usd for c in self.centres)

    @property
    def cost_usd_per_kwh_net(self) -> float:
        """Production cost less production credits [USD/kWh]."""
        return self.cost.total - self.credits.usd_per_kwh


@dataclass(frozen=True)
class Plan:
    """Every phase of a line's build-out and their total."""

    line: str
    phases: tuple[LinePlan, ...]
    target_from: str
    file_gwh_per_year: float | None
    credit_schedule: tuple[tuple[int, float], ...] = ()

    @property
    def first(self) -> LinePlan:
        """The first phase (the line file's ``target``, or ``--target-gwh``)."""
        return self.phases[0]

    def total(self) -> dict[str, float]:
        """Phases summed: GWh, cells, capex, floor area, staff, machines, channels, cost."""
        ps = self.phases
        gwh = sum(p.gwh_per_year for p in ps)

        def weighted(f: Callable[[LinePlan], float]) -> float:
            return sum(f(p) * p.gwh_per_year for p in ps) / gwh

        capex = sum(p.capex_usd for p in ps)
        return {
            "gwh_per_year": gwh,
            "cells_per_year": sum(p.cells_per_year for p in ps),
            "capex_usd": capex,
            "capex_usd_per_gwh": capex / gwh,
            "capex_batpac_usd": sum(p.batpac_capex_usd for p in ps),
            "floor_area_m2": sum(p.floor_area_m2 for p in ps),
            "staff_fte": sum(p.staff_fte for p in ps),
            "indirect_staff_fte": sum(p.indirect_staff_fte for p in ps),
            "machines_required": float(sum(s.machines_required for p in ps for s in p.steps)),
            "machines_planned": float(sum(s.machines_planned for p in ps for s in p.steps)),
            "formation_channels": float(sum(p.formation_channels for p in ps)),
            "grading_channels": float(sum(p.grading_channels for p in ps)),
            "aging_positions": float(sum(p.aging_positions for p in ps)),
            "cost_usd_per_kwh": weighted(lambda p: p.cost.total),
            "credits_usd_per_kwh": weighted(lambda p: p.credits.usd_per_kwh),
            "cost_usd_per_kwh_net": weighted(lambda p: p.cost_usd_per_kwh_net),
        }

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` object (docs/plan-json.md): the first phase's plan at top level,
        every phase and the total under ``phases`` and ``total``."""
        out = line_plan_dict(self.first)
        out["line"] = self.line
        out["target_from"] = self.target_from
        out["line_file_gwh_per_year"] = self.file_gwh_per_year
        out["credit_schedule"] = [{"year": y, "usd_per_kwh": v} for y, v in self.credit_schedule]
        out["phases"] = [phase_summary(p) for p in self.phases]
        out["total"] = self.total()
        return out


def _per_kwh(p: LinePlan, kwh: float) -> float:
    return kwh / (p.gwh_per_year * 1e6)


def _step_dict(s: StepPlan, c: Any) -> dict[str, Any]:
    return {
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
        "planned_h_per_year": s.planned_h_per_year,
        "machines_required": s.machines_required,
        "machines_in_file": s.machines_in_file,
        "machines_planned": s.machines_planned,
        "utilization": s.utilization,
        "unit_price_usd": c.unit_price_usd,
        "price_from": c.price_from,
        "capital_usd": c.capital_usd,
    }


def _energy_dicts(p: LinePlan) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    rows, by_id = [], {}
    for e in p.energy:
        row = {
            "id": e.id,
            "name": e.name,
            "steps": list(e.steps),
            "method": e.method,
            "electricity_kwh_per_kwh": _per_kwh(p, e.electricity_kwh),
            "heat_kwh_per_kwh": _per_kwh(p, e.heat_kwh),
            "total_kwh_per_kwh": _per_kwh(p, e.total_kwh),
            "measured_kwh_per_kwh": _per_kwh(p, e.measured_total_kwh),
            "reason": e.reason,
        }
        rows.append(row)
        by_id[e.id] = {k: v for k, v in row.items() if k not in ("id", "name", "steps")}
    return rows, by_id


def energy_difference_reason(p: LinePlan) -> str:
    """Why the plan's energy differs from the measured total (one sentence per physics
    centre)."""
    parts = [
        f"{e.name}: {_per_kwh(p, e.total_kwh):.2f} kWh/kWh from physics against "
        f"{_per_kwh(p, e.measured_total_kwh):.2f} measured ({e.reason})"
        for e in p.energy
        if e.method == "physics"
    ]
    if not parts:
        return "every centre is the measured split"
    return "; ".join(parts) + "; every other centre is the measured split"


def _dry_room_dict(p: LinePlan) -> dict[str, Any] | None:
    r = p.dry_room
    if r is None:
        return None
    return {
        "floor_m2": p.capex.dry_room_m2,
        "volume_m3": r.volume_m3,
        "people": r.people,
        "makeup_air_kg_per_s": r.makeup_kg_per_s,
        "wheel_air_kg_per_s": r.wheel_kg_per_s,
        "regeneration_air_kg_per_s": r.regeneration_kg_per_s,
        "moisture_removed_kg_per_h": r.moisture_removed_kg_per_h,
        "regeneration_pickup_kg_per_kg": r.regeneration_pickup_kg_per_kg,
        "regeneration_kw": r.regeneration_kw,
        "fans_kw": r.fans_kw,
        "chiller_kw": r.chiller_kw,
        "power_kw": r.power_kw,
    }


def line_plan_dict(p: LinePlan) -> dict[str, Any]:
    """One phase's plan as the ``--json`` object's top level (docs/plan-json.md)."""
    mats = p.materials
    energy_rows, energy_by_id = _energy_dicts(p)
    cx = p.capex
    return {
        "phase": p.name,
        "gwh_per_year": p.gwh_per_year,
        "year": p.year,
        "cell_energy_kwh": p.cell_energy_kwh,
        "cells_per_year": p.cells_per_year,
        "cell_starts_per_year": p.cell_starts_per_year,
        "scheduled_h_per_year": p.scheduled_h_per_year,
        "feasible": p.feasible,
        "warnings": list(p.warnings),
        "notes": list(p.notes),
        "steps": [_step_dict(s, c) for s, c in zip(p.steps, cx.steps, strict=True)],
        "bottleneck": p.bottleneck,
        "formation_channels": p.formation_channels,
        "grading_channels": p.grading_channels,
        "aging_positions": p.aging_positions,
        "floor_area_m2": p.floor_area_m2,
        "dry_room_m2": cx.dry_room_m2,
        "labour_h_per_year": p.labour_h_per_year,
        "staff_fte": p.staff_fte,
        "indirect_staff_fte": p.indirect_staff_fte,
        "energy_kwh_per_kwh": p.energy_kwh_per_kwh,
        "energy_by_centre_kwh_per_kwh": energy_by_id,
        "energy_by_centre": energy_rows,
        "energy_measured": {
            "source": "degen2023",
            "chemistry": p.chemistry,
            "total_kwh_per_kwh": p.chemistry_energy_kwh_per_kwh,
            "line_kwh_per_kwh": p.measured_energy_kwh_per_kwh,
            "difference_kwh_per_kwh": p.energy_kwh_per_kwh - p.measured_energy_kwh_per_kwh,
            "reason": energy_difference_reason(p),
        },
        "drying": [
            {
                "electrode": d.electrode,
                "solvent": d.solvent,
                "slurry_solids_fraction": d.solids_fraction,
                "solvent_t_per_year": d.solvent_kg_per_year / 1000.0,
                "heat_kj_per_kg_solvent": d.heat_kj_per_kg,
                "heat_kwh_per_kwh": _per_kwh(p, d.heat_kwh),
            }
            for d in p.drying
        ],
        "dry_room": _dry_room_dict(p),
        "capex_usd": p.capex_usd,
        "capex_usd_per_gwh": p.capex_usd / p.gwh_per_year,
        "capex_breakdown_usd": {
            "equipment": cx.equipment_usd,
            "installation": cx.installation_usd,
            "utilities": cx.utilities_usd,
            "building": cx.building_usd,
            "dry_room": cx.dry_room_usd,
            "total": cx.total_usd,
        },
        "capex_price_year": cx.price_year,
        "capex_batpac_usd": p.batpac_capex_usd,
        "capex_batpac_usd_per_gwh": p.batpac_capex_usd / p.gwh_per_year,
        "capex_baseline": BATPAC_BASELINE,
        "capex_batpac_by_centre": [{**asdict(c), "steps": list(c.steps)} for c in p.centres],
        "cost_usd_per_kwh": p.cost.total,
        "credits_usd_per_kwh": p.credits.usd_per_kwh,
        "cost_usd_per_kwh_net": p.cost_usd_per_kwh_net,
        "cost_breakdown_usd_per_kwh": {**asdict(p.cost), "total": p.cost.total},
        "credits": asdict(p.credits) | {"usd_per_kwh": p.credits.usd_per_kwh},
        "materials_t_per_year": dict(mats.t_per_year) if mats else {},
        "separator_m2_per_year": mats.separator_m2_per_year if mats else None,
    }


def phase_summary(p: LinePlan) -> dict[str, Any]:
    """One phase's headline figures (the ``phases`` entries of the ``--json`` object)."""
    return {
        "name": p.name,
        "gwh_per_year": p.gwh_per_year,
        "year": p.year,
        "cells_per_year": p.cells_per_year,
        "feasible": p.feasible,
        "machines_required": sum(s.machines_required for s in p.steps),
        "machines_planned": sum(s.machines_planned for s in p.steps),
        "formation_channels": p.formation_channels,
        "grading_channels": p.grading_channels,
        "aging_positions": p.aging_positions,
        "floor_area_m2": p.floor_area_m2,
        "staff_fte": p.staff_fte,
        "indirect_staff_fte": p.indirect_staff_fte,
        "capex_usd": p.capex_usd,
        "capex_batpac_usd": p.batpac_capex_usd,
        "cost_usd_per_kwh": p.cost.total,
        "credits_usd_per_kwh": p.credits.usd_per_kwh,
        "cost_usd_per_kwh_net": p.cost_usd_per_kwh_net,
    }
