"""Run one replication: drive the kernel segment by segment, snapshot at the end of warm-up, and
return the raw totals of the measured window as a picklable :class:`RunRecord`.

:func:`run_traced` does the same and yields the kernel's trace (gigaline.sim.trace) as it
goes, one :class:`TraceChunk` per drain of the kernel's fixed buffer: memory stays bounded
whatever the horizon, and a consumer sees the run in time order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gigaline.sim._layout import (
    G_EVENTS,
    G_GOOD,
    G_LT_IN_N,
    G_LT_OUT_N,
    G_N_IN,
    G_N_OUT,
    G_PER_LOST,
    G_PER_N,
    G_TR_LOST,
    G_TR_N,
    MI_FAILS,
    MI_STEP,
    N_TR,
    ST_CONSUMED,
    ST_JOBS,
    ST_LEVEL,
    ST_OUT,
    ST_SCRAP,
    ST_STARTED,
    ST_WIP,
    STF_PSTART,
    STF_WIP_AREA,
)
from gigaline.sim.bottleneck import momentary_bottleneck
from gigaline.sim.budget import check_memory, check_request
from gigaline.sim.calendar import planned_stop_seconds, planned_stops
from gigaline.sim.compile import CompiledLine, SimulationError
from gigaline.sim.kernel import init_run, run_until
from gigaline.sim.state import PERIOD_ROWS, KernelState, new_state

__all__ = ["RunRecord", "TraceChunk", "run_replication", "run_traced"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
COUNTERS = (ST_STARTED, ST_OUT, ST_SCRAP, ST_CONSUMED, ST_JOBS)


@dataclass
class RunRecord:
    """Totals of one replication over the measured window [warmup_s, horizon_s]."""

    seed: int
    replication: int
    warmup_s: float
    horizon_s: float
    machine_step: IntArray
    #: machine state time [server s] in (working, starved, blocked, down, planned_stop)
    state_s: FloatArray
    failures: IntArray
    #: per step: started, out, scrap, consumed, jobs (cells, in the window)
    counters: IntArray
    #: per step: integral of WIP over the window [cell s]
    wip_area: FloatArray
    #: per step at the end: buffer level and WIP (cells), for conservation checks
    level_end: IntArray
    wip_end: IntArray
    good: int
    entered: int
    exited: int
    hourly_good: FloatArray
    hourly_wip: FloatArray
    #: good cells out of the line in every hour of the whole run, warm-up included
    run_hourly_good: FloatArray
    #: per hour of the window and step: good cells passed on by the step [hours x steps]
    hourly_step_out: FloatArray
    lead_times_s: FloatArray
    bottleneck_sole_s: FloatArray
    bottleneck_shifting_s: FloatArray
    bottleneck_momentary_s: FloatArray
    planned_stop_s: float
    events: int
    periods_lost: int
    wall_s: float

    @property
    def window_s(self) -> float:
        return self.horizon_s - self.warmup_s


@dataclass(frozen=True)
class TraceChunk:
    """Trace records in time order: ``t_s[i]`` is the time of ``rec[i]`` (columns TR_* of
    gigaline.sim._layout: kind, step, server or machine, cells, first unit index, extra)."""

    t_s: FloatArray
    rec: IntArray

    def __len__(self) -> int:
        return int(self.t_s.size)


def _snapshot(
    st: KernelState,
) -> tuple[FloatArray, IntArray, FloatArray, int, int, int, IntArray]:
    return (
        st.MACC.copy(),
        st.ST[:, list(COUNTERS)].copy(),
        st.STF[:, STF_WIP_AREA].copy(),
        int(st.G[G_GOOD]),
        int(st.G[G_N_IN]),
        int(st.G[G_N_OUT]),
        st.MI[:, MI_FAILS].copy(),
    )


def _advance(
    st: KernelState, t: float, periods: list[FloatArray]
) -> Generator[TraceChunk, None, None]:
    while run_until(st.arrays, t, PERIOD_ROWS // 2):
        _drain(st, periods)
        yield from _drain_trace(st)
    _drain(st, periods)
    yield from _drain_trace(st)


def _drain_trace(st: KernelState) -> Generator[TraceChunk, None, None]:
    n = int(st.G[G_TR_N])
    if int(st.G[G_TR_LOST]):  # the buffer is sized so that this cannot happen (state.trace_rows)
        raise SimulationError(f"trace: {int(st.G[G_TR_LOST])} records did not fit the buffer")
    if n:
        chunk = TraceChunk(st.TRT[:n].copy(), st.TRI[:n].reshape(n, N_TR).copy())
        st.G[G_TR_N] = 0
        yield chunk


def _drain(st: KernelState, periods: list[FloatArray]) -> None:
    n = int(st.G[G_PER_N])
    if n:
        periods.append(st.PER[:n].copy())
        st.G[G_PER_N] = 0


def run_replication(
    c: CompiledLine,
    days: float,
    warmup_days: float = 0.0,
    seed: int = 0,
    replication: int = 0,
    progress: Callable[[float], None] | None = None,
    state_hook: Callable[[KernelState, float], None] | None = None,
) -> RunRecord:
    """Simulate ``warmup_days + days`` of ``c`` and measure the last ``days``.

    ``progress(fraction)`` is called after every simulated day; ``state_hook(state, t)`` (for
    tests) sees the kernel state at every day boundary.
    """
    run = run_traced(c, days, warmup_days, seed, replication, progress, state_hook, trace=False)
    while True:
        try:
            next(run)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]


def run_traced(
    c: CompiledLine,
    days: float,
    warmup_days: float = 0.0,
    seed: int = 0,
    replication: int = 0,
    progress: Callable[[float], None] | None = None,
    state_hook: Callable[[KernelState, float], None] | None = None,
    trace: bool = True,
) -> Generator[TraceChunk, None, RunRecord]:
    """:func:`run_replication`, yielding the trace of the whole run (warm-up included) in
    chunks as the kernel writes it; the generator's return value is the :class:`RunRecord`
    (``record = yield from run_traced(...)``). The same seed gives the same trace and the same
    record as :func:`run_replication`, which is this with the trace off.
    """
    check_request(days, warmup_days, seed)
    check_memory(c, days, warmup_days, replications=1, workers=1)
    t_start = time.perf_counter()
    warmup_s = warmup_days * 86400.0
    horizon_s = warmup_s + days * 86400.0
    plan = planned_stops(c.line.calendar, horizon_s)
    st = new_state(c, plan, horizon_s, seed, replication, step_hourly=True, trace=trace)
    periods: list[FloatArray] = []
    with np.errstate(over="ignore"):  # SplitMix64 wraps around on purpose (pure-Python mode)
        snap = _snapshot(st)  # all zeros: the window starts at 0 without warm-up
        init_run(st.arrays)
        yield from _drain_trace(st)
        marks = sorted({*np.arange(86400.0, horizon_s, 86400.0).tolist(), warmup_s, horizon_s})
        for t in marks:
            if t <= 0.0:
                continue
            yield from _advance(st, t, periods)
            if t == warmup_s:
                snap = _snapshot(st)
            if state_hook is not None:
                state_hook(st, t)
            if progress is not None:
                progress(t / horizon_s)
    end = _snapshot(st)
    open_steps = np.flatnonzero(st.STF[:, STF_PSTART] >= 0.0)  # active periods still running
    periods.append(
        np.column_stack(
            [open_steps, st.STF[open_steps, STF_PSTART], np.full(open_steps.size, horizon_s)]
        )
    )
    per = np.concatenate(periods)
    sole, shifting, momentary = momentary_bottleneck(per, warmup_s, horizon_s, c.n_steps)
    hours = st.HOURLY
    first = round(warmup_s / 3600.0)
    cum = np.vstack([[0.0, 0.0], hours])
    good_h = np.diff(cum[first:, 0])
    wip_h = np.diff(cum[first:, 1]) / 3600.0
    cum_steps = np.vstack([np.zeros((1, c.n_steps)), st.HSTEP])
    step_h = np.diff(cum_steps[first:], axis=0)
    n = min(int(st.G[G_LT_IN_N]), int(st.G[G_LT_OUT_N]))
    t_in, t_out = st.LT_IN[:n], st.LT_OUT[:n]
    lead = (t_out - t_in)[t_in >= warmup_s]
    return RunRecord(
        seed=seed,
        replication=replication,
        warmup_s=warmup_s,
        horizon_s=horizon_s,
        machine_step=st.MI[:, MI_STEP].copy(),
        state_s=end[0] - snap[0],
        failures=end[6] - snap[6],
        counters=end[1] - snap[1],
        wip_area=end[2] - snap[2],
        level_end=st.ST[:, ST_LEVEL].copy(),
        wip_end=st.ST[:, ST_WIP].copy(),
        good=end[3] - snap[3],
        entered=end[4] - snap[4],
        exited=end[5] - snap[5],
        hourly_good=good_h,
        hourly_wip=wip_h,
        run_hourly_good=np.diff(cum[:, 0]),
        hourly_step_out=step_h,
        lead_times_s=lead,
        bottleneck_sole_s=sole,
        bottleneck_shifting_s=shifting,
        bottleneck_momentary_s=momentary,
        planned_stop_s=planned_stop_seconds(plan, warmup_s, horizon_s),
        events=int(st.G[G_EVENTS]),
        periods_lost=int(st.G[G_PER_LOST]),
        wall_s=time.perf_counter() - t_start,
    )
