"""The generator is the digital twin: its stream over a calendar with planned stops ingests
without rejections, the command line writes the same stream, and the per-step series agree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gigaline.cli import main
from gigaline.mes.generate import generate_events
from gigaline.mes.ingest import ingest
from gigaline.mes.services import (
    init_line,
)
from gigaline.mes.sql import open_store
from gigaline.model import Line, parse_line
from gigaline.sim import SimResult, compile_line, run_replication, simulate

from .conftest import LINES

# The mini line with a planned stop of 3 h after every 20 h of scheduled time (test values).
_PLANNED = "calendar: {hours_per_year: 8760, planned_maintenance: {every: 20 h, duration: 3 h}}"
DAYS, WARMUP, SEED = 2.0, 1.0, 4
# 40 m coils (as the generator tests use) so that the mini line's branches feed stacking within
# the warm-up; the simulation's default 1,000 m coils hold several days of this small line.
COIL_M = 40.0


@pytest.fixture(scope="module")
def line() -> Line:
    text = (LINES / "mini.yaml").read_text(encoding="utf-8")
    assert "calendar: {hours_per_year: 8760}" in text
    return parse_line(text.replace("calendar: {hours_per_year: 8760}", _PLANNED))


@pytest.fixture(scope="module")
def sim(line: Line) -> SimResult:
    return simulate(line, days=DAYS, warmup_days=WARMUP, seed=SEED, coil_length_m=COIL_M)


def test_hourly_steps_count_every_good_cell_passed_on(sim: SimResult) -> None:
    # Per-step counters over the window, and the last step's series is the line's good output.
    record = sim.records[0]
    assert np.array_equal(record.hourly_step_out.sum(axis=0), record.counters[:, 1])
    assert np.array_equal(sim.hourly_steps["grade"].to_numpy(), sim.hourly["good_cells"].to_numpy())


_SERIAL = """\
name: serial driven test line
cell: {format: prismatic, chemistry: LFP, capacity_ah: 20, nominal_voltage_v: 3.2}
calendar: {hours_per_year: 8760, planned_maintenance: {every: 10 h, duration: 2 h}}
steps:
  - {id: stack, process: stacking, kind: discrete, cycle_time: 60 s, machines: 1,
     failures: {mtbf: 3 h, mttr: 20 min}}
  - {id: fill, process: electrolyte_filling, kind: discrete, cycle_time: 40 s, machines: 1}
  - {id: grade, process: grading, kind: discrete, cycle_time: 30 s, machines: 1}
"""


def _events(line: Line, seed: int = SEED) -> list[dict[str, Any]]:
    return list(generate_events(line, DAYS, seed, curves=False, lot_scale=0.001, coil_m=COIL_M))


def test_the_stream_ingests_without_rejections(db_url: str, line: Line) -> None:
    events = _events(line)
    states = Counter(e["state"] for e in events if e["type"] == "state")
    assert states["stopped"] > 0 and states["down"] > 0  # planned stops and failures
    store = open_store(db_url)
    try:
        init_line(store, line)
        result = ingest(store, [json.dumps(e) for e in events])
    finally:
        store.close()
    assert (result.accepted, result.duplicate, result.rejected) == (len(events), 0, 0)


def test_cli_writes_the_stream_and_from_sim_is_a_no_op(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "serial.yaml"
    path.write_text(_SERIAL, encoding="utf-8")
    out = tmp_path / "day.ndjson"
    argv = ["generate", "--line", str(path), "--days", "0.5", "--seed", "9", "--no-curves",
            "-o", str(out)]  # fmt: skip
    assert main(argv) == 0
    capsys.readouterr()
    events = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert events == list(generate_events(parse_line(_SERIAL), 0.5, 9, curves=False))
    old = tmp_path / "old.ndjson"
    assert main([*argv[:-1], str(old), "--from-sim", "--warmup-days", "1"]) == 0
    assert "deprecated" in capsys.readouterr().err
    assert old.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


def test_per_step_series_is_the_same_compiled_and_pure_python() -> None:
    # The kernel runs compiled (numba) or, with GIGALINE_SIM_JIT=0, as plain Python: same bits.
    script = (
        "import sys\n"
        "from gigaline.model import parse_line\n"
        "from gigaline.sim import compile_line, run_replication\n"
        "r = run_replication(compile_line(parse_line(sys.stdin.read())), days=0.25, seed=3)\n"
        "print(r.hourly_step_out.tolist())\n"
    )
    env = {**os.environ, "GIGALINE_SIM_JIT": "0"}
    pure = subprocess.run(
        [sys.executable, "-c", script],
        input=_SERIAL,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    r = run_replication(compile_line(parse_line(_SERIAL)), days=0.25, seed=3)
    assert r.hourly_step_out.shape == (6, 3) and r.hourly_step_out.sum() > 0
    assert pure == f"{r.hourly_step_out.tolist()}\n"
