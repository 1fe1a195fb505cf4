"""The cell and its design: what one cell is, and what it takes in electrode, foil and electrolyte.

The electrode design turns coated metres into cells (continuous steps) and cells into
material demand (the planner). Areas are per cell, of the double-side coated electrode.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gigaline.model.units import quantity

__all__ = ["Cell", "CellDesign", "ElectrodeDesign", "Foil", "Separator"]


Length = Annotated[float, quantity("length"), Field(gt=0)]
Area = Annotated[float, quantity("area"), Field(gt=0)]
ArealMass = Annotated[float, quantity("areal_mass"), Field(gt=0)]
Mass = Annotated[float, quantity("mass"), Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Foil(_Strict):
    """The current collector foil."""

    material: Literal["aluminium", "copper"]
    thickness_m: Length = Field(alias="thickness")
    density_kg_m3: float = Field(gt=0, description="[kg/m^3]; Al 2,700, Cu 8,960")


class ElectrodeDesign(_Strict):
    """One electrode of the cell (cathode or anode).

    ``area_per_cell_m2`` is the double-side coated electrode area in one cell (sheets x sheet
    area), given directly or as ``sheets_per_cell`` x ``sheet_width`` x ``sheet_height``.
    ``solvent`` and ``slurry_solids_fraction`` (mass share of solids in the wet slurry) set
    the solvent the coater dries off: ``coating mass x (1 - s) / s``; without them the
    planner takes its reference defaults (NMP for a cathode, water for an anode).
    """

    sheets_per_cell: int = Field(ge=1)
    sheet_width_m: Length | None = Field(default=None, alias="sheet_width")
    sheet_height_m: Length | None = Field(default=None, alias="sheet_height")
    area_per_cell_m2: Area | None = Field(default=None, alias="area_per_cell")
    coating_mass_per_side_kg_m2: ArealMass = Field(alias="coating_mass_per_side")
    active_material: str
    active_fraction: float = Field(gt=0, le=1)
    foil: Foil
    solvent: Literal["NMP", "water"] | None = None
    slurry_solids_fraction: float | None = Field(default=None, gt=0, lt=1)

    @model_validator(mode="after")
    def _area(self) -> ElectrodeDesign:
        if self.area_per_cell_m2 is None:
            if self.sheet_width_m is None or self.sheet_height_m is None:
                raise ValueError("give area_per_cell, or sheet_width and sheet_height")
            area = self.sheets_per_cell * self.sheet_width_m * self.sheet_height_m
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
    capacity_ah: float = Field(gt=0)
    nominal_voltage_v: float = Field(gt=0, le=10)
    mass_kg: Mass | None = Field(default=None, alias="mass")
    design: CellDesign | None = None

    @property
    def energy_kwh(self) -> float:
        """Nominal energy of one cell [kWh] = capacity x nominal voltage."""
        return self.capacity_ah * self.nominal_voltage_v / 1000.0
