"""Energy use of the line, by energy centre, in kWh per kWh of good cells.

The total per kWh of cell for the line's chemistry :math:`T` comes from Degen, Winter,
Bendig, Tübke, *Nat. Energy* 8, 1284-1295 (2023), doi:10.1038/s41560-023-01355-z: current
lithium-ion cells need 20.3-37.5 kWh/kWh, LFP the most (37.5). It is split over energy
centres in the proportions Degen & Schütte measured in a state-of-the-art plant (*J. Clean.
Prod.* 330, 129798, 2022, doi:10.1016/j.jclepro.2021.129798; 41.48 kWh/kWh, 52 % of it natural
gas for drying and dry rooms), whose figures :math:`e_c` are carried per kg of cell in
``model/reference/energy.yaml``. For centre :math:`c`, electricity and heat alike,

.. math:: E_c = \\frac{e_c}{\\sum_j e_j} \\, T \\, E_{good}

with :math:`E_{good}` the good cell energy per year [kWh/yr] and the sum over every centre of
the source plant; centres whose processes the line lacks are left out, so a back-end-only line
uses less than :math:`T`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gigaline.model.reference import EnergyCentre
from gigaline.plan.errors import PlanError

__all__ = ["CentreEnergy", "centre_energy", "intensity_scale"]


@dataclass(frozen=True)
class CentreEnergy:
    """Energy of one centre per year [kWh/yr], electricity and heat, and the steps it covers."""

    id: str
    name: str
    electricity_kwh: float
    heat_kwh: float
    steps: tuple[str, ...]


def intensity_scale(total_kwh_per_kwh: float, centres: Sequence[EnergyCentre]) -> float:
    """Factor from a centre's kWh per kg of cell to its kWh per kWh of cell [kg/kWh]:
    ``T / sum_j (electricity_j + heat_j)``."""
    source_total = sum(c.electricity_kwh_per_kg + c.heat_kwh_per_kg for c in centres)
    if source_total <= 0:
        raise PlanError("the energy centres must use some energy")
    return total_kwh_per_kwh / source_total


def centre_energy(
    centre: EnergyCentre, scale: float, good_kwh_per_year: float, steps: tuple[str, ...] = ()
) -> CentreEnergy:
    """Energy of one centre per year [kWh/yr] = e_c x scale x good kWh per year."""
    k = scale * good_kwh_per_year
    return CentreEnergy(
        id=centre.id,
        name=centre.name,
        electricity_kwh=centre.electricity_kwh_per_kg * k,
        heat_kwh=centre.heat_kwh_per_kg * k,
        steps=steps,
    )
