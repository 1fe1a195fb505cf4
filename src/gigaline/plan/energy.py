"""Energy use of the line, by energy centre, in kWh per kWh of good cells.

Degen & Schütte (*J. Clean. Prod.* 330, 129798, 2022, doi:10.1016/j.jclepro.2021.129798)
measured a state-of-the-art cell plant at 41.48 kWh per kWh of cells, 52 % of it natural gas
for electrode drying and dry rooms. Their figures are carried per kg of cell
(``model/reference/energy.yaml``); the planner scales them by the mass of good cells:

.. math:: E_c = e_c \\, m_{cell} \\, N_{good}, \\qquad
          \\varepsilon = \\sum_c E_c / (N_{good} \\, e_{cell})

with :math:`e_c` [kWh/kg] the centre's electricity plus heat, :math:`m_{cell}` [kg] the cell
mass and :math:`e_{cell}` [kWh] its energy. Without a cell mass, the reference cell's
0.124 kWh/kg stands in. Degen et al. (*Nat. Energy* 8, 1284-1295, 2023,
doi:10.1038/s41560-023-01355-z) give 20.3-37.5 kWh/kWh for current lithium-ion cells.
"""

from __future__ import annotations

from dataclasses import dataclass

from gigaline.model.reference import EnergyCentre

__all__ = ["CentreEnergy", "centre_energy"]


@dataclass(frozen=True)
class CentreEnergy:
    """Energy of one centre per year [kWh/yr], electricity and heat, and the steps it covers."""

    id: str
    name: str
    electricity_kwh: float
    heat_kwh: float
    steps: tuple[str, ...]


def centre_energy(
    centre: EnergyCentre, good_cell_mass_kg_per_year: float, steps: tuple[str, ...] = ()
) -> CentreEnergy:
    """Energy of one centre per year [kWh/yr] = kWh per kg of cell x kg of good cells."""
    m = good_cell_mass_kg_per_year
    return CentreEnergy(
        id=centre.id,
        name=centre.name,
        electricity_kwh=centre.electricity_kwh_per_kg * m,
        heat_kwh=centre.heat_kwh_per_kg * m,
        steps=steps,
    )
