"""Heat to dry the electrode coatings, from the solvent the line's slurries carry.

A hot-air dryer evaporates the solvent of the wet coating. Per kg of solvent it heats the
liquid, evaporates it and heats the air that carries the vapour away [kJ/kg]:

.. math::
    q = c_{p,l} (T_a - T_0) + \\Delta h_{vap}
        + \\frac{c_{p,air} (T_a - T_0)(1 - \\eta_{hr})}{y_{max}}

with dryer air inlet temperature :math:`T_a`, ambient :math:`T_0`, heat recovery
:math:`\\eta_{hr}` and :math:`y_{max}` the kg of vapour one kg of dry air may carry. For NMP the
air flow is set by safety: NFPA 86 keeps the vapour at or below 25 % of its lower explosive
limit (1.3 vol %), :math:`y_{max} = x M_{NMP} / (M_{air}(1 - x))`, :math:`x` = 0.25 x 0.013,
so each kg of NMP takes about 90 kg of hot air. For water it is the exhaust's moisture pickup.
The solvent per cell is the dry coating mass x :math:`(1 - s)/s` at slurry solids share
:math:`s` (the line's ``slurry_solids_fraction``), bought at the coating step's starts. Oven
wall losses, web heating and idle running are left out (see docs/planning.md for the measured
comparison).
"""

from __future__ import annotations

from dataclasses import dataclass

from gigaline.model.reference import DryerParameters, SolventParameters
from gigaline.plan.errors import PlanInputError

__all__ = ["SolventDrying", "drying_heat_kj_per_kg", "solvent_drying"]


def drying_heat_kj_per_kg(solvent: SolventParameters, dryer: DryerParameters) -> float:
    """Heat to dry off one kg of ``solvent`` [kJ/kg] (equation above)."""
    if solvent.max_vapour_kg_per_kg_air <= 0:
        raise PlanInputError("a dryer's air must be able to carry some solvent")
    dt = solvent.air_inlet_temperature_c - dryer.ambient_temperature_c
    liquid = solvent.liquid_cp_kj_per_kg_k * dt
    air = dryer.air_cp_kj_per_kg_k * dt * (1.0 - dryer.heat_recovery)
    return (
        liquid + solvent.enthalpy_of_vaporisation_kj_per_kg + air / solvent.max_vapour_kg_per_kg_air
    )


@dataclass(frozen=True)
class SolventDrying:
    """One electrode's solvent per year [kg/yr] and the heat to dry it [kWh/yr]."""

    electrode: str
    solvent: str
    solids_fraction: float
    solvent_kg_per_year: float
    heat_kj_per_kg: float

    @property
    def heat_kwh(self) -> float:
        """Drying heat per year [kWh/yr]."""
        return self.solvent_kg_per_year * self.heat_kj_per_kg / 3600.0


def solvent_drying(
    electrode: str,
    solvent: str,
    solids_fraction: float,
    solvent_kg_per_year: float,
    dryer: DryerParameters,
) -> SolventDrying:
    """The drying of ``solvent_kg_per_year`` of ``solvent`` (a key of ``dryer.solvents``)."""
    if solvent not in dryer.solvents:
        raise PlanInputError(
            f"no dryer data for solvent {solvent!r}; known: {', '.join(dryer.solvents)}"
        )
    q = drying_heat_kj_per_kg(dryer.solvents[solvent], dryer)
    return SolventDrying(electrode, solvent, solids_fraction, solvent_kg_per_year, q)
