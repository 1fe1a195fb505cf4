"""One capacity formula (issue 9, item 7): the planner, the twin's static capacity and the MES
generator agree, and the twin's simulated output follows the formula."""

from __future__ import annotations

import pytest

import gigaline
from gigaline.mes.synth import cell_rate_per_s, step_cells_per_s
from gigaline.model import Line, parse_line
from gigaline.plan import effective_capacity_per_h, step_capacity_cells_per_h
from gigaline.sim.capacity import static_capacity
from gigaline.sim.compile import compile_line
from tests.plan._lines import FIVE_STEP, REFERENCE_LINE

# A back-end line with every case that made the three old formulas disagree: planned
# maintenance, unscheduled days and shifts, a dwell hold, failures on both bases.
MIXED = parse_line(
    """
name: mixed calendar
cell: {format: prismatic, chemistry: LFP, capacity_ah: 100, nominal_voltage_v: 3.2}
calendar: {days_per_year: 292, shifts_per_day: 2, hours_per_shift: 8,
           planned_maintenance: {every: 2 d, duration: 4 h}}
steps:
  - {id: weld, kind: discrete, cycle_time: 20 s, machines: 2,
     failures: {mtbf: 2 h, mttr: 20 min, basis: calendar}}
  - {id: form, process: formation, kind: batch, batch_size: 16, cycle_time: 3 h, machines: 12,
     failures: {mtbf: 5 d, mttr: 4 h}}
  - {id: age, process: aging, kind: dwell, cycle_time: 10 h, capacity: 50, machines: 3}
  - {id: grade, kind: discrete, cycle_time: 30 s, machines: 2, yield: 0.99}
"""
)


@pytest.mark.parametrize("line", [MIXED, FIVE_STEP, REFERENCE_LINE], ids=lambda ln: ln.name)
def test_plan_twin_and_generator_give_one_capacity(line: Line) -> None:
    cal = line.calendar
    scheduled_per_calendar = cal.scheduled_s_per_year / (8760 * 3600.0)
    cap = static_capacity(compile_line(line))
    for s in line.steps:
        plan = s.machines * effective_capacity_per_h(s, cal) / line.units_per_cell(s)
        assert step_capacity_cells_per_h(line, s) == pytest.approx(plan, rel=1e-12)
        # The twin reports per calendar hour: the same capacity in the other time base.
        twin = cap.loc[s.id, "step_output_cells_per_h"] / s.yield_
        assert twin == pytest.approx(plan * scheduled_per_calendar, rel=1e-12), s.id
        # The generator emits cells during scheduled hours: per scheduled second.
        assert step_cells_per_s(line, s) * 3600 == pytest.approx(plan, rel=1e-12), s.id
    assert cell_rate_per_s(line) * 3600 == pytest.approx(
        min(step_capacity_cells_per_h(line, s) for s in line.steps)
    )


def test_the_old_formulas_disagreed_on_this_line() -> None:
    """What the three formulas gave before, by hand, so the test above can fail."""
    weld, age = MIXED.step("weld"), MIXED.step("age")
    a_f = 120 / 140
    pm = 4 / 48
    # Planner: A_f (1 - pm) per scheduled hour, also for the dwell hold.
    old_plan_age = 3 * 50 / 10 * (1 - pm)  # machines x places / 10 h x A_f (1.0) x (1 - pm)
    # Generator: A_f alone.
    old_generator_weld = 2 * 180 * a_f
    new = {s.id: step_capacity_cells_per_h(MIXED, s) for s in MIXED.steps}
    assert new["weld"] == pytest.approx(2 * 180 * a_f * (1 - pm))
    assert old_generator_weld / new["weld"] == pytest.approx(1 / (1 - pm))  # 9 % fast
    hours = 292 * 16
    assert new["age"] == pytest.approx(3 * 50 / 10 * 8760 / hours)
    assert new["age"] / old_plan_age == pytest.approx(8760 / (hours * (1 - pm)))  # 2.05x
    del weld, age


def test_the_twin_runs_a_dwell_hold_through_the_calendar() -> None:
    """An aging bottleneck fed from a deep buffer: the twin passes machines x places / hold
    time per calendar hour, the formula's value, not the 49 % of it that stopping the hold at
    nights, off days and planned maintenance would give."""
    line = parse_line(
        """
name: dwell bottleneck
cell: {format: prismatic, chemistry: LFP, capacity_ah: 100, nominal_voltage_v: 3.2}
calendar: {days_per_year: 292, shifts_per_day: 2, hours_per_shift: 8,
           planned_maintenance: {every: 2 d, duration: 4 h}}
steps:
  - {id: feed, kind: discrete, cycle_time: 20 s, machines: 1, buffer_after: 100000}
  - {id: age, process: aging, kind: dwell, cycle_time: 10 h, capacity: 50, machines: 2}
"""
    )
    result = gigaline.simulate(line, days=60, warmup_days=20, replications=1, seed=3)
    expected = step_capacity_cells_per_h(line, line.step("age"), basis="calendar")
    assert expected == pytest.approx(10.0)  # 2 x 50 cells / 10 h
    assert result.steps.loc["age", "good_cells_per_h"] == pytest.approx(expected, rel=1e-3)


def test_the_twin_follows_the_formula_with_failures_and_maintenance() -> None:
    """One welder, failures on the calendar basis (MTBF 2 h, MTTR 20 min), 300 days x 16 h,
    2 h maintenance a scheduled day: 360 x 6/7 x 4,400 / 8,760 = 154.99 cells per calendar
    hour. The twin (8 replications of a year) comes within 1 %."""
    line = parse_line(
        """
name: one welder
cell: {format: prismatic, chemistry: LFP, capacity_ah: 100, nominal_voltage_v: 3.2}
calendar: {days_per_year: 300, shifts_per_day: 2, hours_per_shift: 8,
           planned_maintenance: {every: 1 d, duration: 2 h}}
steps:
  - {id: weld, kind: discrete, cycle_time: 10 s, machines: 1,
     failures: {mtbf: 2 h, mttr: 20 min, basis: calendar}}
"""
    )
    expected = step_capacity_cells_per_h(line, line.step("weld"), basis="calendar")
    assert expected == pytest.approx(360 * 6 / 7 * 4400 / 8760)
    result = gigaline.simulate(line, days=365, replications=8, seed=3)
    assert result.ci("throughput_per_h").mean == pytest.approx(expected, rel=0.01)
