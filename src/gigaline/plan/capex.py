"""Capital cost bottom-up: machines x unit price per step, installation and utilities, the
building and the dry room.

.. math::
    K = \\underbrace{\\sum_s n_s p_s}_{E} (1 + f_{inst} + f_{util})
        + A\\, c_{bldg} + A_{dry}\\, c_{dry}

with :math:`n_s` the machines planned for step :math:`s`, :math:`p_s` its unit price (the step's
``unit_price_usd`` in the line file, else the reference price of its process in
``capex.yaml``), installation and utilities factors on the equipment, floor area :math:`A`
(all of it built at :math:`c_{bldg}` per m2) and the dry room's :math:`A_{dry}` at the extra
:math:`c_{dry}` per m2. A step that has neither price is left out and named in the plan's notes.
Adding one machine to step :math:`s` adds :math:`p_s (1 + f_{inst} + f_{util})`. The BatPaC
scaling of :mod:`gigaline.plan.cost` is kept beside it as a cross-check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gigaline.model import Step
from gigaline.model.reference import CapexReference
from gigaline.plan.errors import PlanInputError

__all__ = ["Capex", "StepCapex", "bottom_up_capex", "unit_price"]


@dataclass(frozen=True)
class StepCapex:
    """One step's machines and their price [USD]; ``price_from`` is ``line file``,
    ``reference`` or ``none`` (unpriced)."""

    id: str
    process: str | None
    machines: int
    unit_price_usd: float | None
    price_from: str

    @property
    def capital_usd(self) -> float:
        """Machines x unit price [USD] (0 when unpriced)."""
        return self.machines * (self.unit_price_usd or 0.0)


@dataclass(frozen=True)
class Capex:
    """Bottom-up capital cost of one phase [USD]."""

    steps: tuple[StepCapex, ...]
    installation_factor: float
    utilities_factor: float
    floor_area_m2: float
    dry_room_m2: float
    building_usd: float
    dry_room_usd: float
    price_year: int

    @property
    def equipment_usd(self) -> float:
        """Machines x unit prices [USD]."""
        return sum(s.capital_usd for s in self.steps)

    @property
    def installation_usd(self) -> float:
        """Installation and commissioning [USD]."""
        return self.equipment_usd * self.installation_factor

    @property
    def utilities_usd(self) -> float:
        """Process utilities [USD]."""
        return self.equipment_usd * self.utilities_factor

    @property
    def depreciable_equipment_usd(self) -> float:
        """Equipment, installation and utilities: what the equipment life depreciates [USD]."""
        return self.equipment_usd + self.installation_usd + self.utilities_usd

    @property
    def buildings_usd(self) -> float:
        """Building and dry room: what the building life depreciates [USD]."""
        return self.building_usd + self.dry_room_usd

    @property
    def total_usd(self) -> float:
        """Everything [USD]."""
        return self.depreciable_equipment_usd + self.buildings_usd

    @property
    def unpriced(self) -> tuple[str, ...]:
        """Ids of steps without a unit price."""
        return tuple(s.id for s in self.steps if s.price_from == "none")


def unit_price(step: Step, ref: CapexReference) -> tuple[float | None, str]:
    """Unit price of one machine of ``step`` [USD] and where it came from."""
    if step.unit_price_usd is not None:
        return step.unit_price_usd, "line file"
    if step.process is not None and step.process in ref.unit_price_usd:
        return ref.unit_price_usd[step.process], "reference"
    return None, "none"


def bottom_up_capex(
    steps: Sequence[tuple[Step, int]],
    floor_area_m2: float,
    dry_room_m2: float,
    ref: CapexReference,
) -> Capex:
    """Capex of ``steps`` (each with its planned machine count) in a plant of
    ``floor_area_m2`` of which ``dry_room_m2`` is dry room (equation above)."""
    if floor_area_m2 < 0 or not 0 <= dry_room_m2 <= max(floor_area_m2, 0.0):
        raise PlanInputError(
            f"floor area must be >= 0 and hold the dry room "
            f"(got {floor_area_m2!r} m2 with {dry_room_m2!r} m2 of dry room)"
        )
    priced = []
    for step, machines in steps:
        price, origin = unit_price(step, ref)
        priced.append(StepCapex(step.id, step.process, machines, price, origin))
    return Capex(
        steps=tuple(priced),
        installation_factor=ref.installation_factor,
        utilities_factor=ref.utilities_factor,
        floor_area_m2=floor_area_m2,
        dry_room_m2=dry_room_m2,
        building_usd=floor_area_m2 * ref.building_usd_per_m2,
        dry_room_usd=dry_room_m2 * ref.dry_room_usd_per_m2,
        price_year=ref.price_year,
    )
