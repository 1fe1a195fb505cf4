"""Capex, direct labour and floor area by BatPaC scaling; cost per kWh.

BatPaC (Knehr, Kubal, Nelson, Ahmed, *BatPaC v5.0 manual*, Argonne ANL/CSE-22/1, 2022)
sizes each cost centre of a plant from a baseline plant: with :math:`R` the centre's driver
volume (electrode area, cells, active material, energy ...) per operating hour and
:math:`R_0` the baseline's,

.. math:: C = C_0 \\, (R / R_0)^{p}

for capital, direct labour and floor area, each with its own exponent :math:`p` (values in
``model/reference/batpac_v5_baseline.yaml``). Rates are per operating hour so that a plant
working longer hours than the baseline's 7,680 h/yr needs less equipment for the same volume.

Cost per kWh of good cells (BatPaC cost build-up; rates in ``economics.yaml``):

.. math::
    D &= (K - K_b)/T_e + K_b/T_b \\\\
    O &= v_L L + v_D D + g_L (1 + v_L) L + g_D D + r D \\\\
    c &= (M + L + E + D + O) / E_{good}

with capex :math:`K` (building part :math:`K_b`), equipment and building lives
:math:`T_e, T_b`, labour cost :math:`L`, materials :math:`M`, energy cost :math:`E`, and the
overhead rates: variable overhead :math:`v_L, v_D`, GSA :math:`g_L, g_D`, R&D :math:`r`.
Profit, warranty, launch cost and working capital (price elements in BatPaC) are excluded:
this is a production cost, not a price.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gigaline.model.reference import Baseline, CostCentre, Economics
from gigaline.plan.errors import PlanInputError

__all__ = [
    "CentreCost",
    "CostPerKwh",
    "batpac_scale",
    "cost_per_kwh",
    "driver_ratio",
    "scale_baseline",
    "scale_centre",
]


def batpac_scale(c0: float, r: float, r0: float, p: float) -> float:
    """BatPaC scaling ``C0 (R / R0)^p`` [unit of C0]; 0 for a zero volume.

    >>> batpac_scale(100.0, 50.0, 50.0, 0.9)
    100.0
    """
    if r0 <= 0:
        raise PlanInputError(f"baseline volume must be positive (got {r0!r})")
    if r <= 0:
        return 0.0
    return c0 * float((r / r0) ** p)


def driver_ratio(
    driver: str,
    volumes: Mapping[str, float],
    baseline: Baseline,
    hours_per_year: float,
) -> float:
    """R / R0 of a driver per operating hour [-].

    ``volumes`` are the line's yearly volumes by driver name; ``dry_room`` is the larger of the
    cell and electrode-area ratios (BatPaC v5).
    """
    h = hours_per_year / baseline.operating_hours_per_year
    b = baseline.volumes
    if driver == "dry_room":
        cells = volumes["cells"] / b["cells"]
        area = (volumes["cathode_area_m2"] + volumes["anode_area_m2"]) / (
            b["cathode_area_m2"] + b["anode_area_m2"]
        )
        return max(cells, area) / h
    return volumes[driver] / b[driver] / h


@dataclass(frozen=True)
class CentreCost:
    """One cost centre scaled to the line: capital [USD], direct labour [h/yr], land [m^2]."""

    id: str
    name: str
    driver: str
    ratio: float
    capital_usd: float
    labour_h_per_year: float
    land_m2: float
    steps: tuple[str, ...]


def scale_centre(centre: CostCentre, ratio: float, steps: tuple[str, ...] = ()) -> CentreCost:
    """Scale one BatPaC cost centre by the driver ratio R/R0 (``batpac_scale`` on capital,
    labour and land with their own exponents)."""
    return CentreCost(
        id=centre.id,
        name=centre.name,
        driver=centre.driver,
        ratio=ratio,
        capital_usd=batpac_scale(centre.capital_usd, ratio, 1.0, centre.p_capital),
        labour_h_per_year=batpac_scale(centre.labour_h_per_year, ratio, 1.0, centre.p_labour),
        land_m2=batpac_scale(centre.land_m2, ratio, 1.0, centre.p_land),
        steps=steps,
    )


@dataclass(frozen=True)
class CostPerKwh:
    """Production cost per kWh of good cells [USD/kWh], by element."""

    materials: float
    labour: float
    energy: float
    depreciation: float
    overhead: float

    @property
    def total(self) -> float:
        """Sum of the elements [USD/kWh]."""
        return self.materials + self.labour + self.energy + self.depreciation + self.overhead


def cost_per_kwh(
    *,
    good_kwh_per_year: float,
    materials_usd: float,
    labour_h_per_year: float,
    electricity_kwh: float,
    heat_kwh: float,
    capex_usd: float,
    building_capex_usd: float,
    economics: Economics,
) -> CostPerKwh:
    """BatPaC-style production cost per kWh of good cells [USD/kWh] (equations above)."""
    if good_kwh_per_year <= 0:
        raise PlanInputError(f"good output must be positive (got {good_kwh_per_year!r} kWh/yr)")
    e = economics
    labour = labour_h_per_year * e.labour_usd_per_h
    energy = electricity_kwh * e.electricity_usd_per_kwh + heat_kwh * e.heat_usd_per_kwh
    dep = (capex_usd - building_capex_usd) / e.equipment_life_years + (
        building_capex_usd / e.building_life_years
    )
    var_oh_labour = e.variable_overhead_of_labour * labour
    overhead = (
        var_oh_labour
        + e.variable_overhead_of_depreciation * dep
        + e.gsa_of_labour_and_variable_overhead * (labour + var_oh_labour)
        + e.gsa_of_depreciation * dep
        + e.rnd_of_depreciation * dep
    )
    k = 1.0 / good_kwh_per_year
    return CostPerKwh(materials_usd * k, labour * k, energy * k, dep * k, overhead * k)


def _covers(centre: CostCentre, process: str | None, electrode: str | None) -> bool:
    if process is None or process not in centre.processes:
        return False
    return centre.electrode is None or centre.electrode == electrode


def scale_baseline(
    baseline: Baseline,
    volumes: Mapping[str, float],
    hours_per_year: float,
    steps: tuple[tuple[str, str | None, str | None], ...] | None = None,
) -> tuple[CentreCost, ...]:
    """Every cost centre of ``baseline`` scaled to ``volumes`` (yearly, by driver name).

    ``steps`` lists the line's ``(step id, process, electrode)``; a centre that names
    processes counts only when a step has one of them (and its electrode, if the centre names
    one); centres without processes (dry room, building, other) always count. ``None``
    counts every centre. The building scales with the land of all other counted centres
    (driver ``plant_area_m2``), so at the baseline volumes every centre returns its baseline
    capital, labour and land.
    """
    out: list[CentreCost] = []
    building: list[CostCentre] = []
    for c in baseline.cost_centres:
        if c.driver == "plant_area_m2":
            building.append(c)
            continue
        covered: tuple[str, ...] = ()
        if steps is not None and c.processes:
            covered = tuple(sid for sid, proc, el in steps if _covers(c, proc, el))
            if not covered:
                continue
        ratio = driver_ratio(c.driver, volumes, baseline, hours_per_year)
        out.append(scale_centre(c, ratio, covered))
    land = sum(c.land_m2 for c in out)
    for c in building:
        vols = {
            **volumes,
            "plant_area_m2": land * hours_per_year / baseline.operating_hours_per_year,
        }
        out.append(scale_centre(c, driver_ratio(c.driver, vols, baseline, hours_per_year)))
    return tuple(out)
