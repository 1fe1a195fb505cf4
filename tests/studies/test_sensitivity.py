"""One-at-a-time swings and Sobol indices where the answer is known."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gigaline.cli import main
from gigaline.sim import load_scenarios
from gigaline.studies import sensitivity

# A deterministic line whose second step is the bottleneck: throughput = 3600 / cycle of b
# cells per hour exactly, whatever the buffer and the first step's spare machines.
LINE = """\
name: bottleneck b
cell: {format: prismatic, chemistry: LFP, capacity_ah: 280, nominal_voltage_v: 3.2}
calendar: {hours_per_year: 8760}
steps:
  - {id: a, kind: discrete, process: stacking, machines: 2, cycle_time: 1 s, buffer_after: 4}
  - {id: b, kind: discrete, process: grading, cycle_time: 3 s}
"""
STUDY = """\
line: b.yaml
factors:
  b_cycle: {path: steps.b.cycle_time, low: 2 s, high: 4 s}
  buffer: {path: steps.a.buffer_after, low: 0, high: 20}
  a_machines: {path: steps.a.machines, values: [2, 3]}
days: 0.05
warmup_days: 0.01
seed: 5
"""


def test_one_at_a_time_and_sobol_on_a_known_line(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text(LINE)
    (tmp_path / "s.yaml").write_text(STUDY)
    r = sensitivity(load_scenarios(tmp_path / "s.yaml"), samples=64)
    assert r.base.figures["throughput_per_h"] == pytest.approx(1200.0, abs=1.0)
    swings = {o.factor: o.swing("throughput_per_h") for o in r.oat}
    assert swings["b_cycle"] == pytest.approx(3600 / 4 - 3600 / 2, abs=2.0)
    assert swings["buffer"] == pytest.approx(0.0, abs=2.0)
    assert swings["a_machines"] == pytest.approx(0.0, abs=2.0)
    s = r.sobol["throughput_per_h"]
    # all the variance is b's cycle time: S1 = ST = 1 for it, 0 for the others
    # (each within its bootstrap interval; Saltelli's estimators at N = 64)
    assert abs(s["b_cycle"]["ST"] - 1.0) <= max(0.1, s["b_cycle"]["ST_conf"])
    assert abs(s["b_cycle"]["S1"] - 1.0) <= max(0.1, s["b_cycle"]["S1_conf"])
    for other in ("buffer", "a_machines"):
        assert abs(s[other]["ST"]) < 0.01 and abs(s[other]["S1"]) < 0.05
    assert set(r.sobol) == {"throughput_per_h", "cost_usd_per_kwh"}


def test_sensitivity_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "b.yaml").write_text(LINE)
    (tmp_path / "s.yaml").write_text(STUDY)
    html = tmp_path / "t.html"
    assert main(["sensitivity", str(tmp_path / "s.yaml"), "--no-sobol", "--report", str(html)]) == 0
    assert "Tornado" in html.read_text() and "One at a time" in capsys.readouterr().out
    assert main(["sensitivity", str(tmp_path / "s.yaml"), "--samples", "4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [o["factor"] for o in out["one_at_a_time"]] == ["b_cycle", "buffer", "a_machines"]
    assert out["one_at_a_time"][0]["high"]["level"] == "4 s"
