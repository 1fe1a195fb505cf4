"""The Python API, the result object, the CLI and the HTML report."""

from __future__ import annotations

import json
import math
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

import gigaline
from gigaline.cli import main
from gigaline.model import Line
from gigaline.sim import SimResult, SimulationError, simulate
from gigaline.sim.capacity import static_capacity
from gigaline.sim.compile import compile_line
from gigaline.sim.report import report_html
from tests.sim.conftest import make_line

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "two-machine.yaml"


@pytest.fixture(scope="module")
def result() -> SimResult:
    line = gigaline.load_line(EXAMPLE)
    return gigaline.simulate(line, days=1, warmup_days=0.1, replications=3, seed=2, workers=2)


def test_top_level_simulate_is_the_sim_one() -> None:
    assert gigaline.simulate is simulate


def test_result_tables_and_headline(result: SimResult) -> None:
    steps = result.steps
    assert isinstance(steps, pd.DataFrame) and list(steps.index) == ["m1", "m2"]
    states = steps[["working", "starved", "blocked", "down", "planned_stop"]].sum(axis=1)
    assert states.to_numpy() == pytest.approx(1.0, abs=1e-9)
    # OEE = A x P x Q on every step, and ISO 22400-2 OEE = GQ x PRI / PBT for m2 (no stops)
    for rep in result.replication_steps:  # (the mean table averages each factor separately)
        prod = rep["availability"] * rep["performance"] * rep["quality"]
        assert rep["oee"].to_numpy() == pytest.approx(prod.to_numpy(), rel=1e-12)
    assert steps.loc["m2", "quality"] == pytest.approx(0.99, abs=0.003)
    # m2 (0.9 s, yield 0.99) passes on what m1 makes: same good output per hour
    assert steps.loc["m2", "good_cells_per_h"] == pytest.approx(result.throughput_per_h)
    cell_kwh = 280 * 3.2 / 1000
    assert result.gwh_per_year == pytest.approx(result.throughput_per_h * 8760 * cell_kwh / 1e6)
    ci = result.ci("throughput_per_h")
    assert ci.n == 3 and 0 < ci.half_width < 0.05 * ci.mean
    assert result.bottleneck == "m1"  # the unreliable first machine
    machines = result.machines
    assert list(machines.index) == [("m1", 0), ("m2", 0)]
    assert machines.loc[("m1", 0), "down"] == pytest.approx(steps.loc["m1", "down"])
    assert machines.loc[("m1", 0), "failures"] > 0
    assert len(result.hourly) == 24 and result.hourly["good_cells"].sum() > 0
    p = result.lead_time_percentiles_h
    assert p["p50"] <= p["p90"] <= p["p99"]


def test_reprs(result: SimResult) -> None:
    text = repr(result)
    assert "two-machine line" in text and "bottleneck" in text and "oee" in text
    assert "<table>" in result._repr_html_()


def test_json_object_has_the_documented_keys(result: SimResult) -> None:
    d = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    for key in ("throughput_per_h", "gwh_per_year", "wip_mean", "lead_time_mean_h"):
        assert isinstance(d[key], float)
        assert d["ci95"][key]["low"] <= d[key] <= d["ci95"][key]["high"]
    assert d["bottleneck"] == "m1"
    step = d["steps"][0]
    assert {"id", "oee", "availability", "performance", "quality", "states"} <= set(step)
    assert set(step["states"]) == {"working", "starved", "blocked", "down", "planned_stop"}


def test_static_capacity_is_the_plan_arithmetic() -> None:
    # m1: 1 cell/s x 100/110 availability x yield of m2 0.99 = 3240 good cells/h
    cap = static_capacity(compile_line(gigaline.load_line(EXAMPLE)))
    assert cap.loc["m1", "good_cells_per_h"] == pytest.approx(3600 * 100 / 110 * 0.99)
    assert cap.loc["m2", "good_cells_per_h"] == pytest.approx(3600 / 0.9 * 0.99)
    assert cap.loc["m1", "step_output_cells_per_h"] == pytest.approx(3600 * 100 / 110)


def test_report_is_self_contained(result: SimResult) -> None:
    page = report_html(result)
    assert page.startswith("<!DOCTYPE html>")
    srcs: list[str] = []

    class Scripts(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "script":
                srcs.extend(v or "" for k, v in attrs if k == "src")

    Scripts().feed(page)
    assert srcs == []  # no external script: plotly.js is inline
    for title in (
        "Throughput over time",
        "Machine states",
        "OEE per step",
        "Work in process",
        "Bottleneck shares",
        "Plan versus simulation",
    ):
        assert title in page


def test_bad_requests_name_the_value() -> None:
    line = gigaline.load_line(EXAMPLE)
    with pytest.raises(SimulationError, match="days 0: must be > 0 days and <= 36,525 days"):
        simulate(line, days=0)
    with pytest.raises(SimulationError, match="replications"):
        simulate(line, days=1, replications=0)
    with pytest.raises(SimulationError, match="seed"):
        simulate(line, days=1, seed=-1)
    huge = make_line("{id: a, kind: dwell, machines: 1000, capacity: 100000, cycle_time: 1 d}")
    with pytest.raises(SimulationError, match="100,000,000 servers"):
        compile_line(huge)


def test_cli_json_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.html"
    code = main(
        ["simulate", str(EXAMPLE), "--days", "0.5", "--seed", "1", "--json", "--report", str(out)]
    )
    assert code == 0
    d = json.loads(capsys.readouterr().out)
    assert d["steps"][1]["id"] == "m2" and d["throughput_per_h"] > 0
    assert out.stat().st_size > 1_000_000  # plotly.js is inside


def test_cli_bad_file_exit_2(tmp_path: Path) -> None:
    assert main(["simulate", str(tmp_path / "missing.yaml")]) == 2


def test_line_type_is_model_line() -> None:
    assert isinstance(gigaline.load_line(EXAMPLE), Line)
    assert math.isfinite(
        static_capacity(compile_line(gigaline.load_line(EXAMPLE)))["availability"].iloc[0]
    )
