"""Material demand per year from the cell design and the yield cascade.

Per cell (double-side coated electrode area :math:`A` [m^2], coating mass per side
:math:`m''` [kg/m^2], active fraction :math:`w`, foil thickness :math:`t` [m] and density
:math:`\\rho` [kg/m^3]):

.. math::
    m_{AM} = 2 A m'' w, \\qquad m_{inactive} = 2 A m'' (1 - w), \\qquad
    m_{foil} = A t \\rho .

Separator mass = area x thickness x density x (1 - porosity) (BatPaC separator model;
values in ``materials.yaml``). Each material enters the line at one step and is scrapped with
what that step and every later step rejects, so the demand per year is the per-cell content
times the cell-equivalent starts of its entry step (:mod:`gigaline.plan.yields`):

- electrode coating (active material, binder and carbon): first step of the electrode's branch;
- foil: the electrode's coating step;
- separator: the step that merges the electrode branches (stacking or winding);
- electrolyte: the electrolyte filling step;
- can and cover: the casing step.

Where a line lacks the entry step, the first main-chain step stands in.

Slurry solvent (NMP for a cathode, water for an anode unless the design says otherwise): the
wet slurry carries :math:`m_{coat} (1 - s)/s` of solvent per cell at solids share :math:`s`
(the electrode's ``slurry_solids_fraction``, else the reference default for its solvent). It
is used at the electrode's first step and evaporated at its coating step; the recovery plant
returns the share :math:`\\eta` of what is evaporated, so NMP bought is
used - :math:`\\eta` x evaporated (BatPaC's 99.5 %).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gigaline.model import Line, Step
from gigaline.model.cell import CellDesign, ElectrodeDesign
from gigaline.plan.errors import PlanInputError

__all__ = [
    "MaterialDemand",
    "SolventDefaults",
    "SolventUse",
    "cell_bill_of_materials",
    "material_demand",
]


@dataclass(frozen=True)
class SolventUse:
    """The slurry solvent of one electrode per year [kg/yr]."""

    electrode: str
    solvent: str
    solids_fraction: float
    used_kg: float
    evaporated_kg: float
    bought_kg: float


@dataclass(frozen=True)
class MaterialDemand:
    """Materials bought per year: mass [t/yr], separator area [m^2/yr], cost [USD/yr]."""

    t_per_year: dict[str, float]
    separator_m2_per_year: float
    cost_usd_per_year: float
    unpriced: tuple[str, ...] = field(default_factory=tuple)
    solvents: tuple[SolventUse, ...] = field(default_factory=tuple)


def cell_bill_of_materials(
    design: CellDesign, separator_props: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Mass of each material in one cell [kg] (``separator_m2`` in m^2).

    Keys: ``cathode_active_material``, ``cathode_binder_carbon``, ``anode_active_material``,
    ``anode_binder_carbon``, ``aluminium_foil``, ``copper_foil``, ``separator``,
    ``separator_m2``, ``electrolyte``. ``separator_props`` gives ``thickness_um``,
    ``porosity`` and ``density_g_per_cm3``; without it the separator mass is 0.
    """
    bom: dict[str, float] = {"aluminium_foil": 0.0, "copper_foil": 0.0}
    for name in ("cathode", "anode"):
        e = getattr(design, name)
        bom[f"{name}_active_material"] = e.active_mass_per_cell_kg
        bom[f"{name}_binder_carbon"] = e.coating_mass_per_cell_kg - e.active_mass_per_cell_kg
        bom[f"{e.foil.material}_foil"] += e.foil_mass_per_cell_kg
    sep_m2 = design.separator.area_per_cell_m2 if design.separator else 0.0
    bom["separator_m2"] = sep_m2
    if separator_props:
        bom["separator"] = (
            sep_m2
            * separator_props["thickness_um"]
            * 1e-6
            * separator_props["density_g_per_cm3"]
            * 1000.0
            * (1.0 - separator_props["porosity"])
        )
    else:
        bom["separator"] = 0.0
    bom["electrolyte"] = design.electrolyte_mass_kg or 0.0
    return bom


def _first(line: Line, steps: list[Step]) -> Step:
    return steps[0] if steps else line.main_steps[0]


def _branch_of(line: Line, electrode: str) -> list[Step]:
    for name, chain in line.branches.items():
        if name == electrode or any(s.electrode == electrode for s in chain):
            return chain
    return []


def _entry_steps(line: Line) -> dict[str, Step]:
    """The step where each material of the bill of materials enters the line."""
    main = line.main_steps
    by_process = {s.process: s for s in reversed(line.steps) if s.process}
    merge = next((s for s in main if s.merge), main[0])
    entry: dict[str, Step] = {}
    for name in ("cathode", "anode"):
        chain = _branch_of(line, name)
        entry[f"{name}_active_material"] = _first(line, chain)
        entry[f"{name}_binder_carbon"] = _first(line, chain)
        coat = [s for s in chain if s.process == "coating"]
        entry[f"{name}_foil"] = _first(line, coat or chain)
    entry["separator"] = merge
    entry["separator_m2"] = merge
    entry["electrolyte"] = by_process.get("electrolyte_filling", main[0])
    entry["can_and_cover"] = by_process.get("casing", merge)
    return entry


def _solvent_use(
    name: str,
    e: ElectrodeDesign,
    used_cells: float,
    evaporated_cells: float,
    solvent_defaults: SolventDefaults,
) -> SolventUse:
    solvent = e.solvent or solvent_defaults.solvent[name]
    s = e.slurry_solids_fraction or solvent_defaults.solids_fraction[solvent]
    per_cell = e.solvent_mass_per_cell_kg(s)
    used, evaporated = per_cell * used_cells, per_cell * evaporated_cells
    bought = used - solvent_defaults.recovery * evaporated if solvent == "NMP" else used
    return SolventUse(name, solvent, s, used, evaporated, bought)


@dataclass(frozen=True)
class SolventDefaults:
    """Reference defaults for slurry solvents: solvent by electrode, solids share by solvent,
    NMP recovery (``materials.yaml``)."""

    solvent: Mapping[str, str]
    solids_fraction: Mapping[str, float]
    recovery: float


def material_demand(
    line: Line,
    starts_ce: Mapping[str, float],
    properties: Mapping[str, Mapping[str, float]],
    prices: Mapping[str, Mapping[str, float]],
    solvent_defaults: SolventDefaults | None = None,
) -> MaterialDemand:
    """Materials per year [t/yr] and their cost [USD/yr] for the cell-equivalent starts
    ``starts_ce`` (by step id) of ``line``; ``properties`` and ``prices`` as in
    ``materials.yaml``; ``solvent_defaults`` for the slurry solvent (none: no solvent).
    Raises :class:`~gigaline.plan.errors.PlanInputError` when the cell has no design."""
    design = line.cell.design
    if design is None:
        raise PlanInputError(f"line {line.name!r}: material demand needs cell.design")
    bom = cell_bill_of_materials(design, properties.get("separator"))
    entry = _entry_steps(line)
    foil_entry: dict[str, Step] = {
        design.cathode.foil.material: entry["cathode_foil"],
        design.anode.foil.material: entry["anode_foil"],
    }
    kg: dict[str, float] = {}
    for key, per_cell in bom.items():
        if key.endswith("_foil"):
            step = foil_entry.get(key.removesuffix("_foil"), line.main_steps[0])
        else:
            step = entry[key]
        kg[key] = per_cell * starts_ce[step.id]
    cells_cased = starts_ce[entry["can_and_cover"].id]

    cost = 0.0
    unpriced: list[str] = []
    price_kg = {
        "cathode_active_material": prices.get(design.cathode.active_material, {}).get("per_kg"),
        "anode_active_material": prices.get(design.anode.active_material, {}).get("per_kg"),
        "cathode_binder_carbon": prices.get("cathode_inactive", {}).get("per_kg"),
        "anode_binder_carbon": prices.get("anode_inactive", {}).get("per_kg"),
    }
    for key, price in price_kg.items():
        if price is None:
            unpriced.append(key)
        else:
            cost += kg[key] * price
    for e in (design.cathode, design.anode):
        foil_kg = e.foil_mass_per_cell_kg * starts_ce[foil_entry[e.foil.material].id]
        cost += foil_kg * prices.get(f"{e.foil.material}_foil", {}).get("per_kg", 0.0)
    cost += kg["separator_m2"] * prices.get("separator", {}).get("per_m2", 0.0)
    density = properties.get("electrolyte", {}).get("density_g_per_cm3", 1.0)
    cost += kg["electrolyte"] / density * prices.get("electrolyte", {}).get("per_l", 0.0)
    cost += cells_cased * prices.get("can_and_cover", {}).get("per_cell", 0.0)

    solvents: list[SolventUse] = []
    if solvent_defaults is not None:
        for name, e in (("cathode", design.cathode), ("anode", design.anode)):
            use = _solvent_use(
                name,
                e,
                starts_ce[entry[f"{name}_active_material"].id],
                starts_ce[entry[f"{name}_foil"].id],
                solvent_defaults,
            )
            solvents.append(use)
            if use.solvent == "NMP":
                kg["nmp_evaporated"] = kg.get("nmp_evaporated", 0.0) + use.evaporated_kg
                kg["nmp_bought"] = kg.get("nmp_bought", 0.0) + use.bought_kg
                cost += use.bought_kg * prices.get("nmp", {}).get("per_kg", 0.0)

    sep_m2 = kg.pop("separator_m2")
    tonnes = {k: v / 1000.0 for k, v in kg.items()}
    return MaterialDemand(tonnes, sep_m2, cost, tuple(unpriced), tuple(solvents))
