"""Typed views of the physics, capex and incentive reference data (read by ``load_reference``).

Each class holds the numbers of one section of a reference file in SI-named fields; the
builders take the parsed YAML and check that every field the planner needs is there, so a
broken fork of a reference file fails at load with the section and key it lacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from gigaline.errors import GigalineError

__all__ = [
    "CapexReference",
    "CreditScheme",
    "DryRoomParameters",
    "DryerParameters",
    "ReferenceDataError",
    "SolventParameters",
    "capex_reference",
    "credit_schemes",
    "dry_room_parameters",
    "dryer_parameters",
]

T = TypeVar("T")


class ReferenceDataError(GigalineError):
    """A reference data file (or a fork of one) that lacks a number the planner needs."""


def _value(entry: Any) -> float:
    return float(entry["value"] if isinstance(entry, Mapping) else entry)


def _numbers(cls: type[T], section: Mapping[str, Any], where: str, **extra: Any) -> T:
    """Build dataclass ``cls`` from the ``{value, source}`` entries of ``section``."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    missing = [n for n in names if n not in extra and n not in section]
    if missing:
        raise ReferenceDataError(f"reference data {where}: missing {', '.join(missing)}")
    values = {n: extra[n] if n in extra else _value(section[n]) for n in names}
    return cls(**values)


@dataclass(frozen=True)
class SolventParameters:
    """How a dryer evaporates one solvent (``gigaline.plan.drying``)."""

    enthalpy_of_vaporisation_kj_per_kg: float
    liquid_cp_kj_per_kg_k: float
    air_inlet_temperature_c: float
    #: kg of solvent vapour per kg of dry air the exhaust may carry (explosive limit or pickup)
    max_vapour_kg_per_kg_air: float


@dataclass(frozen=True)
class DryerParameters:
    """Electrode dryer: ambient, air heat capacity, heat recovery and the solvents."""

    ambient_temperature_c: float
    air_cp_kj_per_kg_k: float
    heat_recovery: float
    solvents: Mapping[str, SolventParameters]


#: Molar mass of dry air [g/mol] (ASHRAE Handbook Fundamentals 2017, ch. 1).
AIR_MOLAR_MASS_G_PER_MOL = 28.966


def _nmp_limit(s: Mapping[str, Any]) -> float:
    """kg NMP per kg dry air at the allowed share of the lower explosive limit:
    ``y = x M_NMP / (M_air (1 - x))`` with mole fraction ``x = share x LEL``."""
    x = _value(s["lel_share_allowed"]) * _value(s["lower_explosive_limit_volume_fraction"])
    return x * _value(s["molar_mass_g_per_mol"]) / (AIR_MOLAR_MASS_G_PER_MOL * (1.0 - x))


def dryer_parameters(raw: Mapping[str, Any]) -> DryerParameters:
    """The ``dryer`` section of energy.yaml."""
    d = raw["dryer"]
    solvents: dict[str, SolventParameters] = {}
    for name, s in d["solvents"].items():
        limit = _nmp_limit(s) if "lel_share_allowed" in s else _value(s["max_pickup_kg_per_kg_air"])
        solvents[name] = _numbers(
            SolventParameters,
            s,
            f"energy.yaml dryer.solvents.{name}",
            max_vapour_kg_per_kg_air=limit,
        )
    return _numbers(DryerParameters, d, "energy.yaml dryer", solvents=solvents)


@dataclass(frozen=True)
class DryRoomParameters:
    """Design parameters of the dry room's air treatment (``gigaline.plan.dryroom``)."""

    dew_point_c: float
    wheel_outlet_dew_point_c: float
    ceiling_height_m: float
    makeup_air_changes_per_h: float
    supply_air_changes_per_h: float
    coil_dew_point_c: float
    outdoor_temperature_c: float
    outdoor_dew_point_c: float
    regeneration_temperature_c: float
    regeneration_flow_ratio: float
    regeneration_heat_recovery: float
    heat_of_adsorption_kj_per_kg: float
    moisture_per_person_kg_per_h: float
    other_moisture_kg_per_h_per_m2: float
    supply_fan_pressure_pa: float
    regeneration_fan_pressure_pa: float
    fan_efficiency: float
    chiller_cop: float
    staffed_by_centres: tuple[str, ...]


def dry_room_parameters(raw: Mapping[str, Any]) -> DryRoomParameters:
    """The ``dry_room`` section of energy.yaml."""
    d = raw["dry_room"]
    staffed = tuple(str(i) for i in d["staffed_by_centres"]["ids"])
    return _numbers(DryRoomParameters, d, "energy.yaml dry_room", staffed_by_centres=staffed)


@dataclass(frozen=True)
class CapexReference:
    """Unit prices by process and the factors of the bottom-up capex (capex.yaml)."""

    price_year: int
    unit_price_usd: Mapping[str, float]
    installation_factor: float
    utilities_factor: float
    building_usd_per_m2: float
    dry_room_usd_per_m2: float


def capex_reference(raw: Mapping[str, Any]) -> CapexReference:
    """The content of capex.yaml."""
    prices = {
        k: float(v)
        for k, v in raw["unit_price_usd"].items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }
    return _numbers(
        CapexReference,
        raw,
        "capex.yaml",
        price_year=int(_value(raw["price_year"])),
        unit_price_usd=prices,
    )


@dataclass(frozen=True)
class CreditScheme:
    """A production credit per kWh, by country and year (incentives.yaml)."""

    id: str
    name: str
    countries: tuple[str, ...]
    cell_usd_per_kwh: float
    module_usd_per_kwh: float
    first_year: int
    min_cell_kwh: float
    phase_down: Mapping[int, float]
    source: str

    def share(self, year: int) -> float:
        """Share of the full amount for components sold in ``year`` [-]: 0 before the first
        year, 1 until the first phase-down year, then the listed share (the last one after)."""
        if year < self.first_year:
            return 0.0
        share = 1.0
        for y in sorted(self.phase_down):
            if year >= y:
                share = self.phase_down[y]
        return share


def credit_schemes(raw: Mapping[str, Any]) -> tuple[CreditScheme, ...]:
    """The schemes of incentives.yaml."""
    return tuple(
        CreditScheme(
            id=str(s["id"]),
            name=str(s["name"]),
            countries=tuple(str(c) for c in s["countries"]),
            cell_usd_per_kwh=float(s["cell_usd_per_kwh"]),
            module_usd_per_kwh=float(s["module_usd_per_kwh"]),
            first_year=int(s["first_year"]),
            min_cell_kwh=float(s["min_cell_kwh"]),
            phase_down={int(y): float(v) for y, v in s["phase_down"].items()},
            source=str(s["source"]),
        )
        for s in raw["schemes"]
    )
