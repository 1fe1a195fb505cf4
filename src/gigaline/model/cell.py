"""The cell and its design: what one cell is, and what it takes in electrode, foil and electrolyte.

The electrode design turns coated metres into cells (continuous steps) and cells into
material demand (the planner). Areas are per cell, of the double-side coated electrode.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gigaline.model import bounds
from gigaline.model.units import quantity

__all__ = ["Cell", "CellDesign", "ElectrodeDesign", "Foil", "Separator"]


SheetLength = Annotated[float, quantity("length"), bounds.SHEET_LENGTH]
Area = Annotated[float, quantity("area"), bounds.AREA]
ArealMass = Annotated[float, quantity("areal_mass"), bounds.AREAL_MASS]
Mass = Annotated[float, quantity("mass"), bounds.MASS]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Foil(_Strict):
    """The current collector foil."""

    material: Literal["aluminium", "copper"]
    thickness_m: Annotated[float, quantity("length"), bounds.FOIL_THICKNESS] = Field(
        alias="thickness"
    )
    density_kg_m3: Annotated[float, bounds.DENSITY_KG_M3] = Field(
        description="[kg/m^3]; Al 2,700, Cu 8,960"
    )


class ElectrodeDesign(_Strict):
    """One electrode of the cell (cathode or anode).

    ``area_per_cell_m2`` is the double-side coated electrode area in one cell (sheets x sheet
    area), given directly or as ``sheets_per_cell`` x ``sheet_width`` x ``sheet_height``.
    ``solvent`` and ``slurry_solids_fraction`` (mass share of solids in the wet slurry) set
    the solvent the coater dries off: ``coating mass x (1 - s) / s``; without them the
    planner takes its reference defaults (NMP for a cathode, water for an anode).
    """

    sheets_per_cell: Annotated[int, bounds.SHEETS_PER_CELL]
    sheet_width_m: SheetLength | None = Field(default=None, alias="sheet_width")
    sheet_height_m: SheetLength | None = Field(default=None, alias="sheet_height")
    area_per_cell_m2: Area | None = Field(default=None, alias="area_per_cell")
    coating_mass_per_side_kg_m2: ArealMass = Field(alias="coating_mass_per_side")
    active_material: str
    active_fraction: Annotated[float, bounds.SHARE]
    foil: Foil
    solvent: Literal["NMP", "water"] | None = None
    slurry_solids_fraction: Annotated[float, bounds.SLURRY_SOLIDS] | None = None

    @model_validator(mode="after")
    def _area(self) -> ElectrodeDesign:
        if self.area_per_cell_m2 is None:
            if self.sheet_width_m is None or self.sheet_height_m is None:
                raise ValueError("give area_per_cell, or sheet_width and sheet_height")
            area = self.sheets_per_cell * self.sheet_width_m * self.sheet_height_m
            message = bounds.AREA.problem(area)
            if message is not None:
                raise ValueError(
                    f"sheets_per_cell x sheet_width x sheet_height is {area:g} m2; the area "
                    f"per cell {message}"
                )
            object.__setattr__(self, "area_per_cell_m2", area)
        return self

    @property
    def area_m2(self) -> float:
        """Double-side coated area per cell [m^2]."""
        assert self.area_per_cell_m2 is not None
        return self.area_per_cell_m2

    @property
    def active_mass_per_cell_kg(self) -> float:
        """Active material in one cell [kg]: area x 2 sides x coating mass x active fraction."""
        return self.area_m2 * 2.0 * self.coating_mass_per_side_kg_m2 * self.active_fraction

    @property
    def coating_mass_per_cell_kg(self) -> float:
        """Dry coating (active material, binder, carbon) in one cell [kg]."""
        return self.area_m2 * 2.0 * self.coating_mass_per_side_kg_m2

    def solvent_mass_per_cell_kg(self, solids_fraction: float) -> float:
        """Solvent dried off the coating of one cell [kg] at slurry solids share ``s``:
        ``coating mass x (1 - s) / s``."""
        return self.coating_mass_per_cell_kg * (1.0 - solids_fraction) / solids_fraction

    @property
    def foil_mass_per_cell_kg(self) -> float:
        """Current collector foil in one cell [kg] (coated area only)."""
        return self.area_m2 * self.foil.thickness_m * self.foil.density_kg_m3


class Separator(_Strict):
    """The separator: its area per cell."""

    area_per_cell_m2: Area = Field(alias="area_per_cell")


class CellDesign(_Strict):
    """What a cell is made of: electrodes, separator, electrolyte."""

    cathode: ElectrodeDesign
    anode: ElectrodeDesign
    separator: Separator | None = None
    electrolyte_mass_kg: Mass | None = Field(default=None, alias="electrolyte_mass")


class Cell(_Strict):
    """The cell the line makes."""

    format: Literal["prismatic", "cylindrical", "pouch"]
    chemistry: str = Field(min_length=1)
    capacity_ah: Annotated[float, bounds.CAPACITY_AH]
    nominal_voltage_v: Annotated[float, bounds.VOLTAGE_V]
    mass_kg: Mass | None = Field(default=None, alias="mass")
    design: CellDesign | None = None

    @property
    def energy_kwh(self) -> float:
        """Nominal energy of one cell [kWh] = capacity x nominal voltage."""
        return self.capacity_ah * self.nominal_voltage_v / 1000.0
