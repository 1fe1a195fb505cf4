"""Invariants of the kernel: conservation of cells at every step and every day, determinism,
the pure-Python mode giving the same bits, common random numbers, bounded memory."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from gigaline.model import Line, load_line, parse_line
from gigaline.sim import compile_line, run_replication
from gigaline.sim._layout import (
    BLOCKED,
    MAX_IN,
    SI_CONS,
    SI_IN0,
    SI_MAIN,
    SI_MTBF,
    SI_NIN,
    SI_NV,
    SI_V0,
    ST_CONSUMED,
    ST_LEVEL,
    ST_OUT,
    ST_SCRAP,
    ST_STARTED,
    ST_WIP,
    VI_JOB,
    VI_LOAD0,
    VI_REM,
    VI_STATE,
    WORKING,
)
from gigaline.sim.calendar import planned_stop_seconds, planned_stops
from gigaline.sim.state import KernelState
from tests.sim.conftest import LINES, make_line


def _check_conservation(st: KernelState, t: float) -> None:
    SI, ST, VI = st.SI, st.ST, st.VI
    for s in range(SI.shape[0]):
        v = slice(SI[s, SI_V0], SI[s, SI_V0] + SI[s, SI_NV])
        state = VI[v, VI_STATE]
        in_jobs = VI[v, VI_JOB][state == WORKING].sum() + VI[v, VI_REM][state == BLOCKED].sum()
        # cells started = deposited downstream + scrapped + still on the step's machines
        assert ST[s, ST_STARTED] == ST[s, ST_OUT] + ST[s, ST_SCRAP] + in_jobs, (t, s)
        # cells deposited = taken into the consumer's jobs + in the buffer + loaded, not started
        cons = SI[s, SI_CONS]
        loaded = 0
        if cons >= 0:
            cv = slice(SI[cons, SI_V0], SI[cons, SI_V0] + SI[cons, SI_NV])
            for i in range(SI[cons, SI_NIN]):
                if SI[cons, SI_IN0 + i] == s:
                    loaded = VI[cv, VI_LOAD0 + i].sum()
        assert ST[s, ST_OUT] == ST[s, ST_CONSUMED] + ST[s, ST_LEVEL] + loaded, (t, s)
        assert ST[s, ST_WIP] == ST[s, ST_STARTED] - ST[s, ST_SCRAP] - ST[s, ST_CONSUMED]
    # the main chain as a whole: cells in = good out + scrap + WIP
    main = SI[:, SI_MAIN] == 1
    first = int(np.flatnonzero(main)[0])
    last = SI.shape[0] - 1
    assert ST[first, ST_STARTED] == (
        ST[last, ST_CONSUMED] + ST[main, ST_SCRAP].sum() + ST[main, ST_WIP].sum()
    )
    assert SI[:, SI_NIN].max() <= MAX_IN


@pytest.mark.parametrize("path", ["merge-line.yaml", "failure-clock.yaml"])
def test_conservation_at_every_step_every_day(path: str) -> None:
    days: list[float] = []

    def hook(st: KernelState, t: float) -> None:
        _check_conservation(st, t)
        days.append(t)

    line = load_line(LINES / path)
    r = run_replication(compile_line(line), days=3, warmup_days=1, seed=3, state_hook=hook)
    assert days == [86400.0 * k for k in range(1, 5)]
    assert r.good > 0 and r.counters[:, 2].sum() > 0  # cells flowed and some were scrapped
    assert r.failures.sum() > 0 and r.planned_stop_s > 0


def test_same_seed_same_bits_other_seed_other_run(merge_line: Line) -> None:
    c = compile_line(merge_line)
    a = run_replication(c, days=1, seed=42)
    b = run_replication(c, days=1, seed=42)
    for name in ("state_s", "counters", "wip_area", "lead_times_s", "hourly_good"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    other = run_replication(c, days=1, seed=43)
    assert not np.array_equal(a.state_s, other.state_s)


@pytest.mark.parametrize("sorted_array", [1, 0])
def test_event_list_pops_by_time_then_first_scheduled(sorted_array: int) -> None:
    # Both event lists (sorted array for small lines, heap for large ones: state.py) must pop
    # in (time, sequence) order: ties are served first scheduled, first served.
    from gigaline.sim import kernel
    from gigaline.sim._layout import G_HN, G_SORTED, SORTED_BASE
    from gigaline.sim.state import new_state

    c = compile_line(make_line("{id: a, kind: discrete, cycle_time: 1 s}"))
    st = new_state(c, np.zeros(0), 3600.0, 0, 0)
    assert st.G[G_SORTED] == 1  # a one-step line: the sorted array, its sentinels in place
    st.G[G_SORTED] = sorted_array
    # As many events as the sorted array holds (its top slot is scratch for an insertion).
    times = np.random.default_rng(3).integers(0, 4, size=st.HT.size - SORTED_BASE - 1)
    times = times.astype(float)
    for i, t in enumerate(times):
        kernel._push(st.arrays, t, i * 8)
    popped = []
    while st.G[G_HN] > 0:
        t = st.HT[kernel._top(st.arrays)]
        popped.append((t, kernel._pop(st.arrays) // 8))
    assert popped == sorted((t, i) for i, t in enumerate(times.tolist()))


def test_sorted_event_array_and_heap_give_the_same_bits(
    merge_line: Line, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same run either way (the merge line has 400 aging places: a heap by default).
    import gigaline.sim.state as state

    c = compile_line(merge_line)
    runs = []
    for limit in (10**9, 0):  # force the sorted array, then the heap
        monkeypatch.setattr(state, "SORTED_MAX_EVENTS", limit)
        runs.append(run_replication(c, days=1, warmup_days=0.5, seed=5))
    a, b = runs
    for name in ("state_s", "counters", "wip_area", "lead_times_s", "hourly_good"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.events == b.events
    assert np.array_equal(a.bottleneck_momentary_s, b.bottleneck_momentary_s)


def test_common_random_numbers_across_scenarios(merge_line: Line) -> None:
    # Changing the last step's buffer-free grading speed must not change the random numbers
    # of the steps before it: per-step streams keyed by step id. Until grading blocks them
    # (it does not: it is the last step), upstream steps see identical runs.
    text = (LINES / "merge-line.yaml").read_text()
    faster = parse_line(text.replace("values: [0.7 s, 0.8 s, 0.9 s]", "values: [0.6 s, 0.7 s]"))
    a = run_replication(compile_line(merge_line), days=0.5, seed=9)
    b = run_replication(compile_line(faster), days=0.5, seed=9)
    up = slice(0, 8)  # every step but grading
    assert np.array_equal(a.counters[up, 0], b.counters[up, 0])
    assert not np.array_equal(a.state_s[-1], b.state_s[-1])


@pytest.mark.parametrize(("path", "days"), [("merge-line.yaml", 0.03), ("failure-clock.yaml", 0.1)])
def test_pure_python_mode_gives_the_same_bits(path: str, days: float) -> None:
    # GIGALINE_SIM_JIT=0 runs the same kernel functions uncompiled (slowly): same numbers. The
    # failure-clock line runs every path of the failure clocks (checked with coverage).
    script = (
        "from gigaline.model import load_line\n"
        "from gigaline.sim import compile_line, run_replication\n"
        f"line = load_line({str(LINES / path)!r})\n"
        f"r = run_replication(compile_line(line), days={days!r}, seed=7)\n"
        "print(r.counters.tolist(), r.state_s.tolist(), r.wip_area.tolist(), r.good, r.events)\n"
    )
    env = {**os.environ, "GIGALINE_SIM_JIT": "0"}
    pure = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout
    c = compile_line(load_line(LINES / path))
    r = run_replication(c, days=days, seed=7)
    jitted = f"{r.counters.tolist()} {r.state_s.tolist()} {r.wip_area.tolist()} {r.good}"
    assert pure == f"{jitted} {r.events}\n"
    if path == "failure-clock.yaml":
        unreliable = c.SI[r.machine_step, SI_MTBF] >= 0
        assert (r.failures[unreliable] > 0).all()  # every machine that can fail did


def test_memory_does_not_grow_with_the_horizon(merge_line: Line) -> None:
    # Kernel state is allocated once; only the hourly series grows (2 floats per hour).
    from gigaline.sim.state import new_state

    c = compile_line(merge_line)
    small = new_state(c, np.zeros(0), 86400.0, 0, 0)
    big = new_state(c, np.zeros(0), 365 * 86400.0, 0, 0)
    size = sum(a.nbytes for a in small.arrays)
    growth = sum(a.nbytes for a in big.arrays) - size
    assert growth == (365 - 1) * 24 * 2 * 8


def test_calendar_planned_stops() -> None:
    # 2 shifts x 8 h: 8 h stop each day; planned maintenance 1 h every 24 h of scheduled time
    line = parse_line(
        "name: c\ncell: {format: prismatic, chemistry: LFP, capacity_ah: 1,"
        " nominal_voltage_v: 3.2}\ncalendar: {days_per_year: 365, shifts_per_day: 2,"
        " hours_per_shift: 8, planned_maintenance: {every: 24 h, duration: 1 h}}\n"
        "steps:\n  - {id: a, kind: discrete, cycle_time: 1 s}\n"
    )
    horizon = 3 * 86400.0
    stops = planned_stops(line.calendar, horizon)
    # days 0-2 run 00:00-16:00; 48 scheduled hours -> maintenance at scheduled hours 23-24 and
    # 47-48, i.e. day 1 07:00-08:00 and day 2 15:00-16:00 (merged into the daily stop)
    assert planned_stop_seconds(stops, 0, horizon) == pytest.approx(3 * 8 * 3600 + 2 * 3600)
    assert stops[:2].tolist() == [16 * 3600.0, 24 * 3600.0]
    assert (86400 + 7 * 3600.0) in stops.tolist()
