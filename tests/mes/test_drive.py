"""The generator driven by the digital twin: cells start at the merge step as simulated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gigaline.cli import main
from gigaline.mes.generate import DEFAULT_START, DriveError, drive_counts, generate_events
from gigaline.mes.ingest import ingest
from gigaline.mes.services import (
    init_line,
)
from gigaline.mes.sql import open_store
from gigaline.model import Line, parse_line
from gigaline.sim import SimResult, compile_line, run_replication, simulate
from gigaline.sim.calendar import planned_stops

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


def _events(line: Line, sim: SimResult, seed: int = SEED) -> list[dict[str, Any]]:
    return list(
        generate_events(line, DAYS, seed, curves=False, lot_scale=0.001, coil_m=COIL_M, drive=sim)
    )


@pytest.fixture(scope="module")
def events(line: Line, sim: SimResult) -> list[dict[str, Any]]:
    return _events(line, sim)


def starts_per_hour(events: list[dict[str, Any]], step: str, hours: int) -> list[int]:
    """Cells whose record at ``step`` started in each hour from the generator's start."""
    count: Counter[int] = Counter()
    for e in events:
        if e["type"] == "process" and e["step"] == step:
            started = datetime.fromisoformat(e["started"].replace("Z", "+00:00"))
            count[int((started - DEFAULT_START).total_seconds() // 3600)] += 1
    assert set(count) <= set(range(hours))
    return [count[h] for h in range(hours)]


def test_cells_started_per_hour_equal_the_simulated_merge_output(
    line: Line, sim: SimResult, events: list[dict[str, Any]]
) -> None:
    merge = line.main_steps[0].id
    assert merge == "stack"
    simulated = sim.hourly_steps[merge].to_numpy()
    assert simulated.shape == (48,) and np.array_equal(simulated, np.round(simulated))
    assert 400 < simulated.sum() < 48 * 3600 / 170  # flows, below stacking's capacity
    got = starts_per_hour(events, merge, 48)
    # Exact in every hour; in the last hour a cell whose stacking ends after the horizon is
    # still in the line and not emitted (here the last hour is exact too, checked below).
    assert got[:-1] == simulated[:-1].astype(int).tolist()
    assert got[-1] <= simulated[-1]
    assert sum(got) == len({e["unit"] for e in events if e.get("step") == merge})


def test_planned_stops_are_hours_without_starts(
    line: Line, sim: SimResult, events: list[dict[str, Any]]
) -> None:
    stops = planned_stops(line.calendar, (WARMUP + DAYS) * 86400.0).reshape(-1, 2)
    stopped = [
        h
        for h in range(48)
        if any(
            a <= (WARMUP * 24 + h) * 3600.0 and (WARMUP * 24 + h + 1) * 3600.0 <= b
            for a, b in stops
        )
    ]
    # Stops at 17-20 h (in warm-up), 37-40 h and 57-60 h from the simulation's start.
    assert stopped == [13, 14, 15, 33, 34, 35]
    got = starts_per_hour(events, "stack", 48)
    assert all(got[h] == 0 and sim.hourly_steps["stack"].iloc[h] == 0 for h in stopped)
    # ... while the hours just before each stop are producing
    assert got[12] > 0 and got[32] > 0


def test_same_seed_same_stream_other_seed_other_stream(
    line: Line, sim: SimResult, events: list[dict[str, Any]]
) -> None:
    again = simulate(line, days=DAYS, warmup_days=WARMUP, seed=SEED, coil_length_m=COIL_M)
    assert np.array_equal(again.hourly_steps.to_numpy(), sim.hourly_steps.to_numpy())
    assert _events(line, again) == events
    other = _events(line, sim, seed=SEED + 1)
    assert [e.get("params") for e in other[:50]] != [e.get("params") for e in events[:50]]


def test_hourly_steps_count_every_good_cell_passed_on(sim: SimResult) -> None:
    # Per-step counters over the window, and the last step's series is the line's good output.
    record = sim.records[0]
    assert np.array_equal(record.hourly_step_out.sum(axis=0), record.counters[:, 1])
    assert np.array_equal(sim.hourly_steps["grade"].to_numpy(), sim.hourly["good_cells"].to_numpy())


def test_the_driven_stream_ingests_without_rejections(
    db_url: str, line: Line, events: list[dict[str, Any]]
) -> None:
    store = open_store(db_url)
    try:
        init_line(store, line)
        result = ingest(store, [json.dumps(e) for e in events])
    finally:
        store.close()
    assert (result.accepted, result.duplicate, result.rejected) == (len(events), 0, 0)


def test_fractional_series_round_cumulatively_and_bad_drives_fail(line: Line) -> None:
    # A mean over replications: every hour within one cell, the total the rounded total.
    counts = drive_counts(line, [0.4, 0.4, 0.4, 2.5, 0.0])
    # cumulative 0.4, 0.8, 1.2, 3.7, 3.7 rounds to 0, 1, 1, 4, 4
    assert counts.tolist() == [0, 1, 0, 3, 0] and counts.sum() == round(3.7)
    with pytest.raises(DriveError, match="non-negative"):
        drive_counts(line, [1.0, -1.0])
    with pytest.raises(DriveError, match="hours needed"):
        list(generate_events(line, 1.0, 1, drive=[5.0] * 23))


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


def test_cli_from_sim(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "serial.yaml"
    path.write_text(_SERIAL, encoding="utf-8")
    out = tmp_path / "driven.ndjson"
    argv = ["generate", "--line", str(path), "--days", "1", "--seed", "9", "--from-sim",
            "--warmup-days", "0.5", "--no-curves", "-o", str(out)]  # fmt: skip
    assert main(argv) == 0
    capsys.readouterr()
    events = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    line = parse_line(_SERIAL)
    sim = simulate(line, days=1, warmup_days=0.5, seed=9)
    simulated = sim.hourly_steps["stack"].astype(int).tolist()
    got = starts_per_hour(events, "stack", 24)
    assert got[:-1] == simulated[:-1] and got[-1] <= simulated[-1]
    assert 0 in got and max(got) <= 60  # planned stops and failures; at most 3600 / 60 s


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
