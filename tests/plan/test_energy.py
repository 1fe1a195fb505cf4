"""Energy by centre: Degen et al. 2023 totals split as Degen & Schütte 2022 measured."""

from __future__ import annotations

import pytest

from gigaline.model import parse_line
from gigaline.plan import plan_line
from gigaline.plan.energy import centre_energy, intensity_scale
from gigaline.plan.errors import PlanInputError
from tests.plan._lines import EXAMPLES, FIVE_STEP, REF

CENTRES = REF.energy.centres
TEXT = (EXAMPLES / "abf-lfp-20gwh.yaml").read_text(encoding="utf-8")


def test_source_plant_total_per_kg() -> None:
    # Degen & Schütte 2022 via Batt_Sust_Model: 41.48 kWh/kWh x 0.124 kWh/kg = 5.1435 kWh/kg
    # over all centres; coating heat 4.26 MJ/kg = 1.1833 kWh/kg.
    total = sum(c.electricity_kwh_per_kg + c.heat_kwh_per_kg for c in CENTRES)
    assert total == pytest.approx(41.48 * 0.124, rel=1e-4)
    heat = sum(c.heat_kwh_per_kg for c in CENTRES)
    assert heat == pytest.approx(21.38 * 0.124, rel=1e-4)


def test_centre_energy_by_hand() -> None:
    coat = next(c for c in CENTRES if c.id == "coating_drying")
    scale = intensity_scale(41.48, CENTRES)
    assert scale == pytest.approx(1 / 0.124, rel=1e-4)  # the source plant's kg per kWh
    e = centre_energy(coat, scale, 1000.0, ("c_coating",))
    assert e.heat_kwh == pytest.approx(1.1833 / 0.124 * 1000, rel=1e-4)  # 9.54 kWh/kWh
    assert e.electricity_kwh == pytest.approx(0.106 / 0.124 * 1000, rel=1e-4)
    assert e.steps == ("c_coating",)
    with pytest.raises(PlanInputError):
        intensity_scale(1.0, [])


def test_chemistry_totals() -> None:
    # Degen et al., Nat. Energy 8, 1284 (2023): LFP 37.5 kWh/kWh, NMC900 (C/Si anode) 20.3.
    assert REF.energy.total_kwh_per_kwh("LFP") == 37.5
    assert REF.energy.total_kwh_per_kwh("lfp") == 37.5
    assert REF.energy.total_kwh_per_kwh("NMC900") == 20.3
    assert REF.energy.total_kwh_per_kwh("NMC811") == 41.48  # the measured plant as default


def test_full_line_measured_split_and_physics() -> None:
    lfp = plan_line(parse_line(TEXT)).first
    # The measured split of a full line is the chemistry's whole total (Degen et al. 2023).
    assert lfp.measured_energy_kwh_per_kwh == pytest.approx(37.5)
    measured_heat = sum(e.measured_heat_kwh for e in lfp.energy) / 20e6
    assert measured_heat / 37.5 == pytest.approx(21.38 / 41.48, rel=1e-3)  # source's gas share
    by_id = {e.id: e for e in lfp.energy}
    assert by_id["coating_drying"].method == "physics"
    assert by_id["dry_room"].method == "physics"
    assert {e.method for e in lfp.energy if e.id not in ("coating_drying", "dry_room")} == {
        "measured"
    }
    # The plan's total: the measured split with the two physics centres swapped in.
    swapped = sum(e.total_kwh - e.measured_total_kwh for e in lfp.energy if e.method == "physics")
    assert lfp.energy_kwh_per_kwh == pytest.approx(37.5 + swapped / 20e6)
    # The coater's electricity stays measured; its heat is the drying of both electrodes.
    coat = by_id["coating_drying"]
    assert coat.electricity_kwh == coat.measured_electricity_kwh
    assert coat.heat_kwh == pytest.approx(sum(d.heat_kwh for d in lfp.drying))
    nmc = plan_line(parse_line(TEXT.replace("chemistry: LFP", "chemistry: NMC811"))).first
    assert nmc.measured_energy_kwh_per_kwh == pytest.approx(41.48, rel=1e-4)


def test_back_end_line_leaves_out_electrode_centres() -> None:
    p = plan_line(FIVE_STEP).first
    ids = {e.id for e in p.energy}
    assert ids == {"dry_room", "cell_assembly", "other"}
    share = sum(c.electricity_kwh_per_kg + c.heat_kwh_per_kg for c in CENTRES if c.id in ids) / sum(
        c.electricity_kwh_per_kg + c.heat_kwh_per_kg for c in CENTRES
    )
    assert p.measured_energy_kwh_per_kwh == pytest.approx(37.5 * share)
    assert p.drying == ()  # no coating step (and no cell design): no drying physics
    room = next(e for e in p.energy if e.id == "dry_room")
    assert room.method == "physics" and p.dry_room is not None
    assert room.total_kwh == pytest.approx(p.dry_room.electricity_kwh + p.dry_room.heat_kwh)
