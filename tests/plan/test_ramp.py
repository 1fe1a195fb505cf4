"""The ramp-up plan: learning curves, month by month output, scrap, capex and cost."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from gigaline.cli import main
from gigaline.errors import LineFileError
from gigaline.model import LearningCurve, load_line, parse_line
from gigaline.plan import plan_line
from gigaline.plan.ramp import RampError, ramp_plan
from tests.conftest import EXAMPLES

LINE = """\
name: ramp line
cell: {format: prismatic, chemistry: LFP, capacity_ah: 280, nominal_voltage_v: 3.2}
calendar: {hours_per_year: 8760}
target: {gwh_per_year: 2, phases: [{name: phase 2, adds_gwh_per_year: 1}]}
steps:
  - {id: a, kind: discrete, process: stacking, machines: 2, cycle_time: 10 s,
     failures: {mtbf: 9 h, mttr: 1 h}, yield: 0.98}
  - {id: b, kind: discrete, process: grading, machines: 1, cycle_time: 4 s, yield: 0.95}
ramp:
  months: 40
  curves:
    availability: {initial: 0.5, tau_months: 4}
  steps:
    b: {yield: {initial: 0.8, tau_months: 6}, speed: {initial: 0.6, tau_months: 3}}
  phases:
    - {phase: phase 1, start_month: 0, build_months: 6}
    - {phase: phase 2, start_month: 12, build_months: 4, capex_usd: 4.0e7, transfer: 0.5}
"""


def test_learning_curve_is_the_exponential_approach() -> None:
    c = LearningCurve(initial=0.6, tau_months=5)
    assert c.factor(0) == pytest.approx(0.6)
    assert c.factor(5) == pytest.approx(1 - 0.4 / math.e)  # 63 % of the shortfall closed
    assert c.factor(1e4) == pytest.approx(1.0)
    assert c.factor(0, transfer=0.5) == pytest.approx(0.8)  # half the shortfall carried over
    assert c.factor(-1) == 0.0  # before the start: nothing


def test_months_against_hand_arithmetic() -> None:
    line = parse_line(LINE)
    r = ramp_plan(line)
    plan = plan_line(line)
    kwh = 0.896
    h = 8760 / 12  # scheduled hours per month
    # phase 1, month 3 (factors at its middle, t = 3.5): a: 2 x 360/h x 0.9 availability x
    # f_a; b has no failures (availability 1 in the plan: its curve does not apply): 900/h x
    # f_s; starts per good cell at a = 1 / (0.98 x 0.95 f_y), at b = 1 / (0.95 f_y)
    t = 3.5
    fa = 1 - 0.5 * math.exp(-t / 4)
    fs = 1 - 0.4 * math.exp(-t / 3)
    fy = 1 - 0.2 * math.exp(-t / 6)
    cap_a = 2 * 360 * 0.9 * fa * h * 0.98 * 0.95 * fy
    cap_b = 900 * fs * h * 0.95 * fy
    target = plan.phases[0].cells_per_year / 12
    good = min(target, cap_a, cap_b)
    m3 = next(m for m in r.months if m.month == 3)
    assert m3.good_cells == pytest.approx(good, rel=1e-12)
    assert m3.gwh == pytest.approx(good * kwh / 1e6, rel=1e-12)
    starts = good / (0.98 * 0.95 * fy)
    assert m3.scrap_cells == pytest.approx(starts - good, rel=1e-9)
    assert m3.share_of_nameplate == pytest.approx(good / target, rel=1e-12)
    # capex: phase 1's planned capex over months -6..-1, phase 2's given capex over 8..11
    first = {m.month: m for m in r.months}
    assert r.months[0].month == -6
    assert first[-6].capex_usd == pytest.approx(plan.phases[0].capex_usd / 6)
    assert first[8].capex_usd == pytest.approx(4.0e7 / 4)
    assert r.months[-1].cumulative_capex_usd == pytest.approx(plan.phases[0].capex_usd + 4.0e7)
    assert first[11].by_phase_gwh["phase 2"] == 0.0 and first[12].by_phase_gwh["phase 2"] > 0


def test_steady_months_cost_what_the_plan_says() -> None:
    # long after both phases started, each month costs the planner's cost per kWh
    line = parse_line(LINE.replace("months: 40", "months: 400"))
    r = ramp_plan(line)
    plan = plan_line(line)
    last = r.months[-1]
    gwh = plan.phases[0].gwh_per_year + plan.phases[1].gwh_per_year
    assert last.gwh * 12 == pytest.approx(gwh, rel=1e-9)
    steady = (plan.phases[0].cost.total * 2 + plan.phases[1].cost.total * 1) / 3
    assert last.cost_usd / (last.gwh * 1e6) == pytest.approx(steady, rel=1e-6)
    # in the first year, before phase 2, the ramp's scrap puts the cost above phase 1's
    year1 = next(m for m in r.months if m.month == 11)
    assert year1.cumulative_cost_usd_per_kwh is not None
    assert year1.cumulative_cost_usd_per_kwh > plan.phases[0].cost.total
    assert last.scrap_share == pytest.approx(1 - 0.98 * 0.95, rel=1e-6)


def test_reference_line_ramp_matches_its_sources() -> None:
    r = ramp_plan(load_line(EXAMPLES / "abf-lfp-20gwh.yaml"))
    by = {m.month: m for m in r.months}
    assert [ph.phase for ph, _ in r.phases] == ["phase 1", "phase 2", "phase 3"]
    # > 30 % scrap at the start of production (porsche_consulting_2025); 15-30 % in the first
    # year (fraunhofer_rampup_2024); towards the line's steady 7 % later
    assert 0.30 < (by[0].scrap_share or 0) < 0.40
    assert 0.12 < (by[12].scrap_share or 0) < 0.30
    assert by[83].scrap_share == pytest.approx(1 - 0.9266, abs=0.01)
    assert by[83].gwh * 12 == pytest.approx(60.0, rel=1e-6)  # three 20 GWh phases at nameplate
    # phases start in the years of target.phases after site.start_year
    line = load_line(EXAMPLES / "abf-lfp-20gwh.yaml")
    assert line.target is not None and line.site.start_year is not None
    for (ph, _), year in zip(r.phases[1:], [p.year for p in line.target.phases], strict=True):
        assert year is not None and ph.start_month == 12 * (year - line.site.start_year)
    assert by[0].share_of_nameplate is not None and by[0].share_of_nameplate < 0.5


def test_ramp_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "l.yaml"
    p.write_text(LINE)
    html = tmp_path / "r.html"
    assert main(["ramp", str(p), "--every", "6", "--report", str(html)]) == 0
    text = capsys.readouterr().out
    assert "phase 2" in text and "Month by month" in text
    assert "Plotly.newPlot" in html.read_text()
    assert main(["ramp", str(p), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [m["month"] for m in out["months"]] == list(range(-6, 40))
    assert out["phases"][1]["capex_usd"] == 4.0e7
    assert main(["ramp", str(EXAMPLES / "two-machine.yaml")]) == 2
    assert "has no ramp section" in capsys.readouterr().err


def test_ramp_section_errors_name_the_field() -> None:
    bad = LINE.replace("    b: {yield", "    z: {yield").replace(
        "phase: phase 2,", "phase: phase 9,"
    )
    with pytest.raises(LineFileError) as exc:
        parse_line(bad, "l.yaml")
    text = str(exc.value)
    assert "ramp.steps.z: no such step (steps: a, b)" in text
    assert "ramp.phases[1].phase: no such phase" in text
    with pytest.raises(LineFileError, match="initial: must be > 0 and <= 1"):
        parse_line(LINE.replace("initial: 0.5", "initial: 1.5"), "l.yaml")
    with pytest.raises(RampError):
        ramp_plan(load_line(EXAMPLES / "five-step.yaml"))
