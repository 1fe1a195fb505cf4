"""BatPaC scaling, the baseline check, and the cost per kWh build-up."""

from __future__ import annotations

import pytest

from gigaline.model.reference import load_reference
from gigaline.plan import batpac_scale, cost_per_kwh, scale_baseline
from gigaline.plan.cost import driver_ratio
from gigaline.plan.errors import PlanInputError

REF = load_reference()
B = REF.baseline


def test_batpac_scale_by_hand() -> None:
    assert batpac_scale(100.0, 50.0, 50.0, 0.9) == 100.0
    assert batpac_scale(100.0, 100.0, 50.0, 0.9) == pytest.approx(100 * 2**0.9)  # 186.607
    assert batpac_scale(100.0, 100.0, 50.0, 0.9) == pytest.approx(186.6066, rel=1e-6)
    assert batpac_scale(830e6, 20e6, 50e6, 0.95) == pytest.approx(830e6 * 0.4**0.95)
    assert batpac_scale(1.0, 0.0, 1.0, 0.9) == 0.0
    with pytest.raises(PlanInputError):
        batpac_scale(1.0, 1.0, 0.0, 0.9)


def test_at_the_baseline_volumes_the_table_comes_back() -> None:
    """BatPaC v5 baseline (Knehr et al., ANL/CSE-22/1, 2022, via Batt_Sust_Model): at R = R0
    every cost centre returns its own capital, labour and land."""
    centres = scale_baseline(B, B.volumes, B.operating_hours_per_year)
    assert [c.id for c in centres] == [c.id for c in B.cost_centres]
    for got in centres:
        want = B.centre(got.id)
        assert got.ratio == pytest.approx(1.0)
        assert got.capital_usd == pytest.approx(want.capital_usd)
        assert got.labour_h_per_year == pytest.approx(want.labour_h_per_year)
        assert got.land_m2 == pytest.approx(want.land_m2)
    # Plant totals of the baseline: 4,206.6 M USD less 188 M module and pack; 303,700 m2.
    assert sum(c.capital_usd for c in centres) == pytest.approx(4_018.6e6)
    assert sum(c.land_m2 for c in centres) == pytest.approx(303_700)
    assert B.centre("formation").capital_usd == 830e6
    assert B.centre("building").capital_usd == 1_700e6


def test_scaling_follows_the_exponent() -> None:
    vols = {k: 2 * v for k, v in B.volumes.items()}
    centres = {c.id: c for c in scale_baseline(B, vols, B.operating_hours_per_year)}
    stack = centres["stacking"]
    assert stack.capital_usd == pytest.approx(130e6 * 2**0.9)
    assert stack.labour_h_per_year == pytest.approx(530_000 * 2**0.9)
    assert centres["formation"].land_m2 == pytest.approx(110_000 * 2**0.95)
    # Twice the volume in twice the hours is the baseline rate again.
    assert driver_ratio("cells", vols, B, 2 * B.operating_hours_per_year) == pytest.approx(1.0)


def test_dry_room_takes_the_larger_ratio() -> None:
    vols = dict(B.volumes)
    vols["cells"] = B.volumes["cells"] * 0.1
    assert driver_ratio("dry_room", vols, B, B.operating_hours_per_year) == pytest.approx(1.0)
    vols["cathode_area_m2"] *= 3
    vols["anode_area_m2"] *= 3
    assert driver_ratio("dry_room", vols, B, B.operating_hours_per_year) == pytest.approx(3.0)


def test_cost_per_kwh_by_hand() -> None:
    e = REF.economics
    c = cost_per_kwh(
        good_kwh_per_year=1e6,
        materials_usd=50e6,
        labour_h_per_year=100_000,
        electricity_kwh=10e6,
        heat_kwh=20e6,
        capex_usd=120e6,
        building_capex_usd=60e6,
        economics=e,
    )
    labour = 100_000 * e.labour_usd_per_h
    dep = 60e6 / 6 + 60e6 / 20  # 6-year equipment, 20-year building (batterycost_cmu)
    overhead = 0.4 * labour + 0.2 * dep + 0.25 * 1.4 * labour + 0.25 * dep + 0.4 * dep
    assert c.materials == pytest.approx(50.0)
    assert c.labour == pytest.approx(labour / 1e6)
    assert c.energy == pytest.approx(
        (10e6 * e.electricity_usd_per_kwh + 20e6 * e.heat_usd_per_kwh) / 1e6
    )
    assert c.depreciation == pytest.approx(dep / 1e6) == pytest.approx(13.0)
    assert c.overhead == pytest.approx(overhead / 1e6)
    assert c.total == pytest.approx(c.materials + c.labour + c.energy + c.depreciation + c.overhead)
