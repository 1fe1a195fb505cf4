"""Energy use of the line, by energy centre, in kWh per kWh of good cells.

Two sources, side by side for every centre:

*Measured.* The total per kWh of cell for the line's chemistry :math:`T` comes from Degen,
Winter, Bendig, Tübke, *Nat. Energy* 8, 1284-1295 (2023), doi:10.1038/s41560-023-01355-z:
current lithium-ion cells need 20.3-37.5 kWh/kWh, LFP the most (37.5). It is split over energy
centres in the proportions Degen & Schütte measured in a state-of-the-art plant (*J. Clean.
Prod.* 330, 129798, 2022; 41.48 kWh/kWh, 52 % of it natural gas for drying and dry rooms),
carried per kg of cell :math:`e_c` in ``model/reference/energy.yaml``. For centre :math:`c`,
electricity and heat alike,

.. math:: E_c = \\frac{e_c}{\\sum_j e_j} \\, T \\, E_{good}

with :math:`E_{good}` the good cell energy per year [kWh/yr].

*Physics.* The heat of electrode coating and drying (:mod:`gigaline.plan.drying`, from the
solvent the line's slurries carry) and the dry room's air treatment
(:mod:`gigaline.plan.dryroom`, from its floor area, dew point and air flows) replace the
measured split where the line gives what they need; the coater's electricity (drives, fans)
stays measured. The plan's total is physics plus the measured centres, and each physics centre
carries the measured figure beside it with the reason for the difference. Centres whose
processes the line lacks are left out (a back-end-only line does not coat); the dry room always
counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from gigaline.model.reference import EnergyCentre
from gigaline.plan.drying import SolventDrying
from gigaline.plan.dryroom import DryRoomEnergy
from gigaline.plan.errors import PlanInputError

__all__ = ["CentreEnergy", "centre_energy", "intensity_scale", "line_energy"]


@dataclass(frozen=True)
class CentreEnergy:
    """Energy of one centre per year [kWh/yr], electricity and heat, the steps it covers, how
    it was found (``measured`` or ``physics``), and what the measured split would give."""

    id: str
    name: str
    electricity_kwh: float
    heat_kwh: float
    steps: tuple[str, ...]
    method: str = "measured"
    measured_electricity_kwh: float = 0.0
    measured_heat_kwh: float = 0.0
    reason: str | None = None

    @property
    def total_kwh(self) -> float:
        """Electricity + heat [kWh/yr]."""
        return self.electricity_kwh + self.heat_kwh

    @property
    def measured_total_kwh(self) -> float:
        """What the measured split gives for this centre [kWh/yr]."""
        return self.measured_electricity_kwh + self.measured_heat_kwh


def intensity_scale(total_kwh_per_kwh: float, centres: Sequence[EnergyCentre]) -> float:
    """Factor from a centre's kWh per kg of cell to its kWh per kWh of cell [kg/kWh]:
    ``T / sum_j (electricity_j + heat_j)``."""
    source_total = sum(c.electricity_kwh_per_kg + c.heat_kwh_per_kg for c in centres)
    if source_total <= 0:
        raise PlanInputError("the energy centres must use some energy")
    return total_kwh_per_kwh / source_total


def centre_energy(
    centre: EnergyCentre, scale: float, good_kwh_per_year: float, steps: tuple[str, ...] = ()
) -> CentreEnergy:
    """Measured energy of one centre per year [kWh/yr] = e_c x scale x good kWh per year."""
    k = scale * good_kwh_per_year
    e, h = centre.electricity_kwh_per_kg * k, centre.heat_kwh_per_kg * k
    return CentreEnergy(centre.id, centre.name, e, h, steps, "measured", e, h)


def line_energy(
    centres: Sequence[EnergyCentre],
    total_kwh_per_kwh: float,
    good_kwh_per_year: float,
    steps_by_centre: Mapping[str, tuple[str, ...]],
    drying: Sequence[SolventDrying] = (),
    dry_room: DryRoomEnergy | None = None,
    reasons: Mapping[str, str] | None = None,
) -> tuple[CentreEnergy, ...]:
    """Energy by centre [kWh/yr]: the measured split for the centres in ``steps_by_centre``
    (centre id -> the line's steps in it; centres without processes always count), with the
    drying heat and the dry room from physics where given."""
    scale = intensity_scale(total_kwh_per_kwh, centres)
    why = reasons or {}
    out: list[CentreEnergy] = []
    for c in centres:
        steps = steps_by_centre.get(c.id, ())
        if c.processes and not steps:
            continue
        m = centre_energy(c, scale, good_kwh_per_year, steps)
        if c.id == "coating_drying" and drying:
            m = replace(
                m, heat_kwh=sum(d.heat_kwh for d in drying), method="physics", reason=why.get(c.id)
            )
        elif c.id == "dry_room" and dry_room is not None:
            m = replace(
                m,
                electricity_kwh=dry_room.electricity_kwh,
                heat_kwh=dry_room.heat_kwh,
                method="physics",
                reason=why.get(c.id),
            )
        out.append(m)
    return tuple(out)
