"""Plan and twin bottlenecks (gigaline.sim.necks): agreement on lines with a known bottleneck,
the explanation on the balanced reference line, and what one machine more does (CRN).

The reference line is run with its 21-day aging shortened to 1 day: aging is the step with the
most spare capacity (78 % utilised in the plan, never the momentary bottleneck) and only delays
the output, so the warm-up shrinks from 25 days to 6 without touching any capacity the
bottleneck question is about.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from gigaline.model import load_line
from gigaline.plan import plan_line
from gigaline.sim import load_scenarios, run_experiment, simulate

# (short windows on purpose: the bottleneck, not the steady-state figures, is under test)
pytestmark = pytest.mark.filterwarnings("ignore::gigaline.sim.SimulationWarning")

ROOT = Path(__file__).resolve().parents[2]
REF = ROOT / "examples" / "abf-lfp-20gwh.yaml"


def _two_machine(tmp_path: Path, mu1: float, mu2: float, buffer: int) -> Path:
    p = tmp_path / "two.yaml"
    p.write_text(
        f"""name: two exponential machines
cell: {{format: prismatic, chemistry: LFP, capacity_ah: 280, nominal_voltage_v: 3.2}}
calendar: {{hours_per_year: 8760}}
steps:
  - {{id: m1, kind: discrete, machines: 1, buffer_after: {buffer},
      cycle_time: {{dist: exponential, mean: {1 / mu1} s}}}}
  - {{id: m2, kind: discrete, machines: 1, cycle_time: {{dist: exponential, mean: {1 / mu2} s}}}}
""",
        encoding="utf-8",
    )
    return p


def _th(mu1: float, mu2: float, buffer: int) -> float:
    """Throughput of two reliable exponential machines, saturated input, blocking after
    service, ``buffer`` places between them: the birth-death chain on K = buffer + 2 states of
    the second machine's content (Buzacott and Shanthikumar 1993, sec. 3.2):
    TH = mu1 (1 - rho^K) / (1 - rho^(K+1)), rho = mu1 / mu2."""
    k = buffer + 2
    rho = mu1 / mu2
    if math.isclose(rho, 1.0):
        return mu1 * k / (k + 1)
    return mu1 * (1 - rho**k) / (1 - rho ** (k + 1))


def test_two_machine_line_both_name_the_machine_throughput_is_most_sensitive_to(
    tmp_path: Path,
) -> None:
    """mu1 = 1/s, mu2 = 0.8/s, 3 places: the closed form's sensitivity dTH/dmu is larger for
    the slower machine, so m2 is the bottleneck (in the sense that improving it raises
    throughput most); the plan and the twin both name it, and the twin's throughput is the
    closed form's."""
    mu1, mu2, c = 1.0, 0.8, 3
    h = 1e-6
    d1 = (_th(mu1 + h, mu2, c) - _th(mu1 - h, mu2, c)) / (2 * h)
    d2 = (_th(mu1, mu2 + h, c) - _th(mu1, mu2 - h, c)) / (2 * h)
    assert d2 > 1.5 * d1  # m2 is the bottleneck by the closed form, clearly
    r = simulate(load_line(_two_machine(tmp_path, mu1, mu2, c)), days=0.5, replications=4, seed=3)
    b = r.bottleneck_comparison
    assert (b.plan, b.twin, b.utilization_bottleneck) == ("m2", "m2", "m2")
    assert b.agree and b.reasons == ()
    assert "they agree" in b.summary()
    ci = r.ci("throughput_per_h")
    exact = _th(mu1, mu2, c) * 3600.0  # = 2,471 cells/h
    assert abs(ci.mean - exact) <= max(3 * ci.half_width, 0.01 * exact)
    # the static capacity is the slower machine's rate; one machine more there gains up to m1's
    assert b.plan_capacity_per_h == pytest.approx(mu2 * 3600.0)
    assert b.gain_plan_per_h == pytest.approx((mu1 - mu2) * 3600.0)


def test_three_machine_line_slowest_machine(tmp_path: Path) -> None:
    """Fixed cycles 1.0, 1.6 and 1.2 s with failures on the slow one: it is the bottleneck by
    the plan (least capacity), by the twin and by the utilisation method."""
    p = tmp_path / "three.yaml"
    p.write_text(
        """name: three machines
cell: {format: prismatic, chemistry: LFP, capacity_ah: 280, nominal_voltage_v: 3.2}
calendar: {hours_per_year: 8760}
steps:
  - {id: a, kind: discrete, machines: 1, cycle_time: 1.0 s, buffer_after: 20,
     failures: {mtbf: 200 s, mttr: 10 s}}
  - {id: b, kind: discrete, machines: 1, cycle_time: 1.6 s, buffer_after: 20,
     failures: {mtbf: 200 s, mttr: 20 s}}
  - {id: c, kind: discrete, machines: 1, cycle_time: 1.2 s, failures: {mtbf: 200 s, mttr: 10 s}}
""",
        encoding="utf-8",
    )
    r = simulate(load_line(p), days=0.5, replications=2, seed=1)
    b = r.bottleneck_comparison
    assert (b.plan, b.twin, b.utilization_bottleneck) == ("b", "b", "b")
    # b works (1 / 1.6 s) x 200 / 220 of the time at most: the static capacity, and the twin
    # can only lose to it
    assert b.plan_capacity_per_h == pytest.approx(3600 / 1.6 * 200 / 220)
    assert 0.9 < b.twin_load < 1.03  # (failures are random: a short run may see fewer)


def _short_reference(tmp_path: Path, stackers: int = 76) -> Path:
    """The reference line with 1-day aging (see the module docstring) and ``stackers``."""
    text = REF.read_text(encoding="utf-8")
    for old, new in (
        ("    cycle_time: 21 d\n", "    cycle_time: 1 d\n"),
        ("    machines: 76\n", f"    machines: {stackers}\n"),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    p = tmp_path / f"ref-{stackers}.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_reference_line_plan_and_twin_agree_or_the_report_says_why(tmp_path: Path) -> None:
    """On the balanced reference line the plan's bottleneck is the planner's (stacking at the
    utilisation ``gigaline plan`` prints), and the twin either names it or the result, its
    JSON and its report say why not, with the figures."""
    line = load_line(_short_reference(tmp_path))
    plan = plan_line(load_line(REF)).first
    r = simulate(line, days=4, warmup_days=6, replications=1, seed=2)
    b = r.bottleneck_comparison
    assert b.plan == plan.bottleneck == "stacking"
    (sp,) = [s for s in plan.steps if s.id == plan.bottleneck]
    assert b.plan_utilization == pytest.approx(sp.utilization, rel=1e-9)
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))["bottleneck_comparison"]
    assert d["plan"] == "stacking" and d["twin"] == r.bottleneck
    assert d["agree"] == (r.bottleneck == "stacking")
    if not b.agree:
        assert b.reasons, "a disagreement must come with its reasons"
        assert "they differ, because" in b.summary()
        assert d["reasons"] == list(b.reasons)
        # the balanced-line reason names the gap and what one machine more would give
        assert "balanced" in b.reasons[0] and "stacking" in b.reasons[0]
    assert b.summary() in repr(r)
    from gigaline.sim.report import report_html

    page = report_html(r)
    assert "Bottleneck: plan and twin" in page and "plan bottleneck: stacking" in page


def test_one_machine_more_at_the_named_bottleneck_raises_throughput_crn(tmp_path: Path) -> None:
    """The reference line with 70 stackers (static capacity 8 % below the next step): plan and
    twin both name stacking; one stacker more raises throughput by a paired 95 % interval that
    excludes 0 (the static gain is 1/70 of 2,558 = 37 cells/h), one sorter more (sorting is 63 %
    utilised) changes nothing. Common random numbers, 5 replications of 8 days after 6."""
    base = _short_reference(tmp_path, stackers=70)
    study = tmp_path / "study.yaml"
    study.write_text(
        f"""line: {base}
factors:
  stackers: {{path: steps.stacking.machines, values: [70]}}
  sorters: {{path: steps.sorting.machines, values: [2]}}
design: list
scenarios:
  - {{name: base}}
  - {{name: one stacker more, stackers: 71}}
  - {{name: one sorter more, sorters: 3}}
replications: 5
days: 8
warmup_days: 6
seed: 5
""",
        encoding="utf-8",
    )
    res = run_experiment(load_scenarios(study))
    b = res.results[0].bottleneck_comparison
    assert (b.plan, b.twin) == ("stacking", "stacking"), b.summary()
    assert b.gain_plan_per_h == pytest.approx(b.plan_capacity_per_h / 70, rel=1e-9)
    more = res.paired(1, "throughput_per_h")
    assert more.mean - more.half_width > 0, more  # significant
    assert more.mean <= b.gain_plan_per_h + more.half_width, more  # no more than the capacity
    none = res.paired(2, "throughput_per_h")
    assert abs(none.mean) <= none.half_width + 1e-9, none  # not significant
    assert abs(none.mean) < 0.1 * more.mean, none


def test_cli_json_and_text_carry_the_comparison(capsys: pytest.CaptureFixture[str]) -> None:
    """``gigaline simulate --json`` has ``bottleneck_comparison``; the text ends with its
    summary."""
    from gigaline.cli import main

    line = str(ROOT / "examples" / "two-machine.yaml")
    assert main(["simulate", line, "--days", "0.2", "--seed", "1", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)["bottleneck_comparison"]
    # m1 (unreliable, exponential) is both the least capacity and the twin's bottleneck
    assert (d["plan"], d["twin"], d["agree"], d["reasons"]) == ("m1", "m1", True, [])
    assert d["summary"].startswith("plan bottleneck: m1 (least static capacity")
    assert main(["simulate", line, "--days", "0.2", "--seed", "1"]) == 0
    assert capsys.readouterr().out.rstrip().splitlines()[-1].strip() == d["summary"]
