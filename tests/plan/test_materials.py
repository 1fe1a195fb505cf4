"""Bill of materials per cell and material demand per year."""

from __future__ import annotations

import pytest

from gigaline.plan import (
    cell_bill_of_materials,
    cumulative_yield,
    good_cells_per_year,
    material_demand,
    starts_cell_equivalents,
)
from gigaline.plan.errors import PlanInputError
from tests.plan._lines import FIVE_STEP, REF
from tests.plan._lines import REFERENCE_LINE as LINE


def test_bill_of_materials_by_hand() -> None:
    assert LINE.cell.design is not None
    bom = cell_bill_of_materials(LINE.cell.design, REF.properties["separator"])
    cathode_area = 149 * 0.165 * 0.180  # 4.4253 m2, double-side coated
    anode_area = 150 * 0.168 * 0.183  # 4.6116 m2
    assert bom["cathode_active_material"] == pytest.approx(cathode_area * 2 * 0.22 * 0.96)
    assert bom["cathode_binder_carbon"] == pytest.approx(cathode_area * 2 * 0.22 * 0.04)
    assert bom["anode_active_material"] == pytest.approx(anode_area * 2 * 0.105 * 0.95)
    assert bom["aluminium_foil"] == pytest.approx(cathode_area * 15e-6 * 2700)
    assert bom["copper_foil"] == pytest.approx(anode_area * 8e-6 * 8960)
    # Separator 9.6 m2 x 20 um x 1.2 g/cm3 x (1 - 0.4) (BatPaC defaults, batterycost_cmu).
    assert bom["separator"] == pytest.approx(9.6 * 20e-6 * 1200 * 0.6)
    assert bom["electrolyte"] == pytest.approx(0.364)


def test_design_delivers_the_rated_capacity() -> None:
    # LFP 150 mAh/g reversible, graphite 350 mAh/g, N/P 1.15 (batterycost_cmu).
    assert LINE.cell.design is not None
    bom = cell_bill_of_materials(LINE.cell.design)
    cathode_ah = (
        bom["cathode_active_material"]
        * 1000
        * REF.properties["LFP"]["specific_capacity_mah_per_g"]
        / 1000
    )
    anode_ah = bom["anode_active_material"] * 1000 * 0.350
    assert 280 <= cathode_ah <= 282
    assert anode_ah / cathode_ah == pytest.approx(REF.properties["np_ratio"]["value"], rel=0.01)


def test_annual_demand_is_content_times_entry_starts() -> None:
    good = good_cells_per_year(20, 0.896)
    s = starts_cell_equivalents(LINE, good)
    d = material_demand(LINE, s, REF.properties, REF.prices)
    assert LINE.cell.design is not None
    bom = cell_bill_of_materials(LINE.cell.design, REF.properties["separator"])
    t = d.t_per_year
    assert t["cathode_active_material"] == pytest.approx(
        bom["cathode_active_material"] * s["c_mixing"] / 1000
    )
    assert t["aluminium_foil"] == pytest.approx(bom["aluminium_foil"] * s["c_coating"] / 1000)
    assert t["copper_foil"] == pytest.approx(bom["copper_foil"] * s["a_coating"] / 1000)
    assert t["separator"] == pytest.approx(bom["separator"] * s["stacking"] / 1000)
    assert t["electrolyte"] == pytest.approx(0.364 * s["filling"] / 1000)
    assert d.separator_m2_per_year == pytest.approx(9.6 * s["stacking"])
    # LFP per kWh of good cells: the 2.08 kg/kWh of 1/(0.150 Ah/g x 3.2 V) (domain notes,
    # section 3) in the cell, divided by every yield from cathode mixing to the end of the line.
    chain = [s.yield_ for s in LINE.branches["cathode"]] + [s.yield_ for s in LINE.main_steps]
    cam_per_kwh = t["cathode_active_material"] * 1000 / 20e6
    assert cam_per_kwh == pytest.approx(
        bom["cathode_active_material"] / 0.896 / cumulative_yield(chain)
    )
    assert bom["cathode_active_material"] / 0.896 == pytest.approx(1 / 0.150 / 3.2, rel=0.002)
    assert d.unpriced == ()


def test_no_design_no_demand() -> None:
    with pytest.raises(PlanInputError):
        material_demand(FIVE_STEP, {}, REF.properties, REF.prices)
