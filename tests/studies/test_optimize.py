"""The optimiser against the known optimum of small problems whose answer is computed here."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest

from gigaline.cli import main
from gigaline.model import parse_line
from gigaline.plan import plan_line
from gigaline.sim import load_scenarios
from gigaline.studies import StudyError, optimize, pareto_front, parse_constraint

# A deterministic three-step line (fixed cycles, no failures): its throughput is exactly the
# slowest step's rate, 3600 x min(n_a / 2 s, n_b / 5 s, n_c / 3 s) cells per hour (max-plus
# recursion of a serial line; tests/sim/test_oracles.py checks the twin against it).
LINE = """\
name: deterministic three-step line
cell: {format: prismatic, chemistry: LFP, capacity_ah: 280, nominal_voltage_v: 3.2}
calendar: {hours_per_year: 8760}
steps:
  - {id: a, kind: discrete, process: stacking, cycle_time: 2 s, buffer_after: 10}
  - {id: b, kind: discrete, process: tab_welding, cycle_time: 5 s, buffer_after: 10}
  - {id: c, kind: discrete, process: grading, cycle_time: 3 s}
"""
CYCLES = {"a": 2.0, "b": 5.0, "c": 3.0}
STUDY = """\
line: det3.yaml
factors:
  a: {path: steps.a.machines, low: 1, high: HIGH}
  b: {path: steps.b.machines, low: 1, high: HIGH}
  c: {path: steps.c.machines, low: 1, high: HIGH}
replications: 1
days: 0.05
warmup_days: 0.02
seed: 2
"""


def _study(tmp_path: Path, high: int) -> Path:
    (tmp_path / "det3.yaml").write_text(LINE)
    p = tmp_path / "opt.yaml"
    p.write_text(STUDY.replace("HIGH", str(high)))
    return p


def _exact(n: dict[str, int]) -> dict[str, float]:
    """Throughput in closed form and the planner's capex and cost per kWh at that output."""
    tph = 3600.0 * min(n[s] / CYCLES[s] for s in CYCLES)
    text = LINE
    for s, k in n.items():
        text = text.replace(f"{{id: {s}, kind", f"{{id: {s}, machines: {k}, kind")
    gwh = tph * 8760 * 0.896 / 1e6
    p = plan_line(parse_line(text), target_gwh=gwh).first
    return {"throughput_per_h": tph, "capex_usd": p.capex_usd, "cost_usd_per_kwh": p.cost.total}


def _brute(high: int, objective: str, bound: float) -> float:
    best = math.inf
    for a, b, c in itertools.product(range(1, high + 1), repeat=3):
        e = _exact({"a": a, "b": b, "c": c})
        if e["throughput_per_h"] >= bound:
            best = min(best, e[objective])
    return best


@pytest.mark.parametrize("objective", ["cost_usd_per_kwh", "capex_usd"])
def test_tpe_finds_the_known_optimum(tmp_path: Path, objective: str) -> None:
    # 1000 designs, 45 trials: the sampler and the polish must find the optimum computed above
    study = load_scenarios(_study(tmp_path, 10))
    r = optimize(study, objective, [parse_constraint("throughput_per_h >= 2000")], trials=45)
    assert r.sampler == "tpe + compass polish"
    assert len(r.candidates) < 100
    assert r.best is not None
    exact = _exact({k: int(v) for k, v in r.best.levels.items()})
    # the twin's throughput of a deterministic line is the closed form (to a cell in the window)
    assert r.best.figures["throughput_per_h"] == pytest.approx(exact["throughput_per_h"], abs=1.0)
    assert r.best.figures[objective] == pytest.approx(_brute(10, objective, 2000.0), rel=1e-9)


def test_small_spaces_are_searched_exhaustively(tmp_path: Path) -> None:
    study = load_scenarios(_study(tmp_path, 3))
    r = optimize(study, "capex_usd", [parse_constraint("throughput_per_h >= 1000")], trials=30)
    assert r.sampler == "exhaustive" and len(r.candidates) == 27
    assert r.best is not None
    assert r.best.figures["capex_usd"] == pytest.approx(_brute(3, "capex_usd", 1000.0), rel=1e-9)
    # every candidate off the front is beaten on capex and output by one on it
    front = pareto_front(r.candidates)
    assert front == r.front
    on = {c.number for c in front}
    for c in r.candidates:
        if c.number in on:
            continue
        assert any(
            f.figures["capex_usd"] <= c.figures["capex_usd"]
            and f.figures["gwh_per_year"] >= c.figures["gwh_per_year"]
            for f in front
        )
    caps = [c.figures["capex_usd"] for c in front]
    gwhs = [c.figures["gwh_per_year"] for c in front]
    assert caps == sorted(caps) and gwhs == sorted(gwhs)


def test_infeasible_constraint_reports_no_design(tmp_path: Path) -> None:
    study = load_scenarios(_study(tmp_path, 2))
    r = optimize(study, "capex_usd", [parse_constraint("throughput_per_h >= 1e6")], trials=8)
    assert r.best is None and not any(c.feasible for c in r.candidates)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gwh_per_year => 20", "write FIGURE >= NUMBER"),
        ("gwh >= 20", "'gwh' is not a figure"),
        ("gwh_per_year >= twenty", "write FIGURE >= NUMBER"),
    ],
)
def test_bad_constraints_are_explained(text: str, message: str) -> None:
    with pytest.raises(StudyError, match=message):
        parse_constraint(text)


def test_optimize_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _study(tmp_path, 3)
    html = tmp_path / "front.html"
    args = [
        "optimize",
        str(p),
        "--objective",
        "capex_usd",
        "--constraint",
        "throughput_per_h >= 1000",
    ]
    assert main([*args, "--trials", "30", "--report", str(html)]) == 0
    text = capsys.readouterr().out
    assert "Best feasible design" in text and "Pareto front" in text
    page = html.read_text()
    assert "Plotly.newPlot" in page and '<script src="http' not in page
    assert main([*args, "--trials", "30", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    # the least output above 1,000 cells/h: c = 1 (1,200 cells/h) and b >= 2 (1,440 and up)
    assert out["best"]["throughput_per_h"] == pytest.approx(1200.0, abs=1.0)
    assert out["best"]["factors"]["c"] == 1 and out["best"]["factors"]["b"] >= 2
    assert out["evaluated"] == 27 and len(out["pareto_front"]) >= 2
    assert main(["optimize", str(p), "--objective", "colour"]) == 2
    assert "'colour' is not a figure" in capsys.readouterr().err
