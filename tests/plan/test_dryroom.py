"""Psychrometrics (ASHRAE tables) and the dry-room model, worked by hand."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gigaline.plan import PlanInputError, dry_room_energy
from gigaline.plan.psychrometrics import (
    enthalpy_kj_per_kg,
    humidity_ratio,
    humidity_ratio_at_dew_point,
    saturation_pressure_pa,
)
from tests.plan._lines import REF

ROOM = REF.dry_room


@pytest.mark.parametrize(
    ("t_c", "p_kpa"),
    # ASHRAE Handbook - Fundamentals 2017, ch. 1, saturation pressures (over ice below 0 C).
    [(-60, 0.00108), (-40, 0.01284), (-20, 0.10326), (0, 0.61115), (20, 2.3389), (25, 3.1699)],
)
def test_saturation_pressure_against_ashrae(t_c: float, p_kpa: float) -> None:
    assert saturation_pressure_pa(t_c) / 1000 == pytest.approx(p_kpa, rel=2e-3)


def test_humidity_ratio_and_enthalpy_by_hand() -> None:
    # W = 0.621945 p_w / (p - p_w); at a -40 C frost point p_w = 12.845 Pa.
    assert humidity_ratio(12.845) == pytest.approx(0.621945 * 12.845 / (101325 - 12.845))
    assert humidity_ratio_at_dew_point(-40) == pytest.approx(7.886e-5, rel=1e-3)
    # h = 1.006 t + W (2501 + 1.86 t): 20 C at 7.63 g/kg (10 C dew point) = 39.48 kJ/kg.
    w10 = humidity_ratio_at_dew_point(10)
    assert w10 == pytest.approx(0.007630, rel=1e-3)
    assert enthalpy_kj_per_kg(20, w10) == pytest.approx(1.006 * 20 + w10 * (2501 + 37.2))
    with pytest.raises(PlanInputError):
        saturation_pressure_pa(-150)
    with pytest.raises(PlanInputError):
        humidity_ratio(2e5)


def test_dry_room_worked_example() -> None:
    """A 1,000 m2 room, 4 m high, staffed 87,600 h/yr (10 people on average), the reference
    parameters; every stage by hand."""
    e = dry_room_energy(1000.0, 87_600.0, ROOM)
    v = 4000.0
    assert e.volume_m3 == v and e.people == pytest.approx(10.0)
    w_room, w_out = humidity_ratio_at_dew_point(-40), humidity_ratio_at_dew_point(-60)
    w_coil, w_outdoor = humidity_ratio_at_dew_point(6), humidity_ratio_at_dew_point(10)
    makeup = 1.2 * v * 1.0 / 3600  # 1 air change an hour of make-up air [kg/s]
    g = (10 * 0.110 + 1000 * 0.0005) / 3600  # people and other moisture [kg/s]
    moisture = makeup * (w_coil - w_room) + g
    assert e.makeup_kg_per_s == pytest.approx(makeup)
    assert e.moisture_removed_kg_per_h == pytest.approx(moisture * 3600)
    assert e.moisture_removed_kg_per_h == pytest.approx(29.03, rel=1e-3)  # 27.43 + 1.6 kg/h
    wheel = max(makeup, g / (w_room - w_out))  # 6.16 kg/s: the moisture load sets it
    assert e.wheel_kg_per_s == pytest.approx(wheel) == pytest.approx(6.157, rel=1e-3)
    regen = wheel / 3.0 * 0.999  # a quarter of the wheel face: 0.333 of the process flow
    assert e.regeneration_kg_per_s == pytest.approx(regen)
    assert e.regeneration_kw == pytest.approx(regen * 1.006 * (140 - 20))
    fans = (v * 20 / 3600 * 1500 + regen / 1.2 * 1000) / 0.65 / 1000
    assert e.fans_kw == pytest.approx(fans)
    h_out = enthalpy_kj_per_kg(20, w_outdoor)
    h_coil = enthalpy_kj_per_kg(6, w_coil)
    cooling = makeup * (h_out - h_coil) + moisture * 2800 + fans
    assert e.chiller_kw == pytest.approx(cooling / 5.0)
    assert e.electricity_kwh == pytest.approx((fans + cooling / 5.0) * 8760)
    assert e.heat_kwh == pytest.approx(e.regeneration_kw * 8760)
    assert e.power_kw == pytest.approx(e.regeneration_kw + fans + cooling / 5.0)


def test_the_room_responds_to_its_size_dew_point_and_air() -> None:
    base = dry_room_energy(20_000.0, 150_000.0, ROOM).power_kw
    assert dry_room_energy(40_000.0, 150_000.0, ROOM).power_kw > 1.8 * base
    drier = replace(ROOM, dew_point_c=-50.0, wheel_outlet_dew_point_c=-70.0)
    assert dry_room_energy(20_000.0, 150_000.0, drier).power_kw > base
    leaky = replace(ROOM, makeup_air_changes_per_h=3.0)
    assert dry_room_energy(20_000.0, 150_000.0, leaky).power_kw > base
    recovered = replace(ROOM, regeneration_heat_recovery=0.5)
    r = dry_room_energy(20_000.0, 150_000.0, recovered)
    assert r.heat_kwh == pytest.approx(dry_room_energy(20_000.0, 150_000.0, ROOM).heat_kwh / 2)
    with pytest.raises(PlanInputError):
        dry_room_energy(0.0, 1.0, ROOM)
    with pytest.raises(PlanInputError, match="drier"):
        dry_room_energy(1.0, 1.0, replace(ROOM, wheel_outlet_dew_point_c=-30.0))
