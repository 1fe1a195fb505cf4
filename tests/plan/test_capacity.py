"""Availability, effective capacity, machines required, utilisation, bottleneck."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gigaline.plan import (
    CapacityError,
    availability,
    bottleneck,
    capacity_factor,
    effective_capacity_per_h,
    machines_required,
    plan_target,
    utilization,
)
from tests.plan._lines import FIVE_STEP as FIVE
from tests.plan._lines import REF
from tests.plan._lines import REFERENCE_LINE as REF_LINE


def test_availability_and_capacity_by_hand() -> None:
    weld = FIVE.step("weld")  # 10 s, MTBF 8 h, MTTR 30 min, no planned maintenance
    assert availability(weld, FIVE.calendar) == pytest.approx(8 / 8.5)
    assert effective_capacity_per_h(weld, FIVE.calendar) == pytest.approx(360 * 8 / 8.5)
    formation = FIVE.step("formation")  # batch of 32 in 12 h, MTBF 30 d, MTTR 4 h
    a = 720 / 724
    assert effective_capacity_per_h(formation, FIVE.calendar) == pytest.approx(32 / 12 * a)


def test_a_dwell_hold_runs_the_whole_calendar_year() -> None:
    # Five-step aging: 15,000 places held 14 d, no failures, on a calendar of 8,000 scheduled
    # h/yr. The twin holds aging through nights and stops, so one aisle passes 15,000 / 336 h
    # of calendar time, which is 15,000 / 336 x 8,760 / 8,000 = 48.884 per scheduled hour.
    aging = FIVE.step("aging")
    assert availability(aging, FIVE.calendar) == 1.0
    assert capacity_factor(aging, FIVE.calendar) == pytest.approx(8760 / 8000)
    assert effective_capacity_per_h(aging, FIVE.calendar) == pytest.approx(48.883929, rel=1e-6)
    per_calendar_h = effective_capacity_per_h(aging, FIVE.calendar, basis="calendar")
    assert per_calendar_h == pytest.approx(15000 / 336)


def test_planned_maintenance_and_continuous_step() -> None:
    # Reference line: weekly 4 h maintenance; cathode coater 60 m/min, MTBF 24 h, MTTR 1.5 h.
    coat = REF_LINE.step("c_coating")
    a = 24 / 25.5 * (1 - 4 / 168)
    assert availability(coat, REF_LINE.calendar) == pytest.approx(a)
    assert effective_capacity_per_h(coat, REF_LINE.calendar) == pytest.approx(3600 * a)
    # Per calendar hour: 7,680 scheduled of 8,760 calendar hours.
    per_cal = effective_capacity_per_h(coat, REF_LINE.calendar, basis="calendar")
    assert per_cal == pytest.approx(3600 * a * 7680 / 8760)
    # The aging aisles of the reference line do not stop for the weekly maintenance either.
    aging = REF_LINE.step("aging")
    assert availability(aging, REF_LINE.calendar) == 1.0
    assert effective_capacity_per_h(aging, REF_LINE.calendar) == pytest.approx(
        20000 / 504 * 8760 / 7680
    )


def test_machines_required_by_hand() -> None:
    assert machines_required(250, 100) == 3
    assert machines_required(300, 100) == 3
    assert machines_required(300.0000001, 100) == 3  # float noise is not a machine
    assert machines_required(301, 100) == 4
    assert machines_required(0, 100) == 0
    assert machines_required(1e-6, 100) == 1
    with pytest.raises(CapacityError, match="positive"):
        machines_required(1, 0)


def test_utilization_and_bottleneck() -> None:
    assert utilization(90, 1, 100) == pytest.approx(0.9)
    assert utilization(90, 3, 100) == pytest.approx(0.3)
    assert utilization(1, 0, 100) == math.inf
    assert bottleneck({"a": 0.5, "b": 0.9, "c": 0.9}) == "b"
    with pytest.raises(CapacityError):
        bottleneck({})


@settings(max_examples=200, deadline=None)
@given(
    rate=st.floats(min_value=1e-3, max_value=1e7),
    cap=st.floats(min_value=1e-3, max_value=1e6),
)
def test_machines_required_is_the_ceiling(rate: float, cap: float) -> None:
    n = machines_required(rate, cap)
    assert n * cap >= rate * (1 - 1e-9)  # enough
    assert (n - 1) * cap < rate  # and not one too many
    assert n == math.ceil(rate / cap) or abs(rate / cap - n) <= 1e-9 * n


@settings(max_examples=25, deadline=None)
@given(t1=st.floats(min_value=0.5, max_value=60), t2=st.floats(min_value=0.5, max_value=60))
def test_larger_target_never_lowers_a_machine_count(t1: float, t2: float) -> None:
    lo, hi = sorted((t1, t2))
    a = plan_target(REF_LINE, lo, REF)
    b = plan_target(REF_LINE, hi, REF)
    for sa, sb in zip(a.steps, b.steps, strict=True):
        assert sa.machines_required <= sb.machines_required, sa.id
        assert sa.machines_planned <= sb.machines_planned, sa.id
    assert a.formation_channels <= b.formation_channels
    assert a.aging_positions <= b.aging_positions
    assert a.capex_usd <= b.capex_usd * (1 + 1e-12)
