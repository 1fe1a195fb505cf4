"""The kernel's mutable state for one run, allocated once: memory does not grow with the horizon
beyond the hourly series (optionally per step) and the sampled lead-time stamps (all sized up
front)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gigaline.sim._layout import (
    CLOCK_ONE,
    CLOCK_PLACES,
    G_GMIN_STEP,
    G_LT_STRIDE,
    G_SORTED,
    G_TR_DRAIN,
    G_TR_ON,
    MI_CLOCK,
    MI_K,
    MI_NSTARVED,
    MI_STEP,
    MI_V0,
    N_G,
    N_GF,
    N_MF,
    N_MI,
    N_ST,
    N_STATES,
    N_STF,
    N_TR,
    N_VF,
    N_VI,
    SI_CALENDAR_FAIL,
    SI_K,
    SI_MTBF,
    SI_NIN,
    SI_NMACH,
    SI_NV,
    SI_V0,
    SORTED_BASE,
    ST_INACT,
    ST_LOADING,
    ST_POOL_N,
    STARVED,
    STF_PSTART,
    VI_MACH,
    VI_STATE,
    VI_STEP,
)
from gigaline.sim.compile import CompiledLine, stream_seeds
from gigaline.sim.kernel import Arrays

__all__ = ["KernelState", "new_state", "state_bytes", "trace_rows"]

#: Rows of the active-period record; the runner drains it when half full.
PERIOD_ROWS = 1 << 16
#: Lines that can have at most this many events pending keep them in a sorted array instead of
#: a heap (see gigaline.sim.kernel._push). Measured by benchmarks/bench_eventlist.py on serial
#: lines of n one-machine stations (at most 3 n + 2 pending), million station operations per
#: CPU second, sorted array against heap: n = 15: 29.7 / 20.6; 30: 25.1 / 18.3; 60: 20.5 /
#: 16.6; 120: 15.8 / 15.1; 240: 11.4 / 13.8; 480: 7.7 / 12.6 (28 November 2026, 2-core CI
#: machine). The heap takes over between 362 and 722 pending events.
SORTED_MAX_EVENTS = 384
#: Lead-time stamps kept (entries and exits each); the stride adapts to the horizon.
LEAD_TIME_SAMPLES = 100_000


@dataclass
class KernelState:
    """Arrays of one run: ``arrays`` in the tuple order the kernel expects, and ``views`` of the
    same memory with their rows and columns, read by name (``state.ST[s, ST_LEVEL]``).

    The kernel sees every table flattened (``ST[s * N_ST + ST_LEVEL]``): with the row length a
    compile-time constant, an element's address costs one multiply by a constant, where numba
    indexing a 2-D array loads both dimensions and wraps both indices on every access.
    """

    arrays: Arrays
    views: Arrays
    horizon_s: float

    def __getattr__(self, name: str) -> np.ndarray:  # type: ignore[type-arg]
        try:
            return self.views[_ORDER.index(name)]  # type: ignore[no-any-return]
        except ValueError:
            raise AttributeError(name) from None


_ORDER = (
    "SI", "SF", "DK", "DP", "EMP", "PLAN", "ST", "STF", "MI", "MF", "MACC", "VI", "VF", "POOL",
    "BQ", "HT", "HI", "G", "GF", "RNG", "HOURLY", "LT_IN", "LT_OUT", "PER", "WL", "WLF",
    "DIRTY", "DIRTYF", "DQT", "DQV", "HSTEP", "TRT", "TRI",
)  # fmt: skip


#: Tables the kernel indexes flat, with constant row lengths from gigaline.sim._layout.
_FLAT = frozenset(("SI", "SF", "DP", "ST", "STF", "MI", "MF", "MACC", "VI", "VF", "WLF", "TRI"))


def trace_rows(c: CompiledLine) -> int:
    """Rows of the trace buffer of a traced run of ``c``: drained when half full, so that the
    other half holds what one event can write (every server starting a job, with one record
    per input, and changing state, and every machine stopping) many times over."""
    per_event = c.n_servers * (3 + int(c.SI[:, SI_NIN].max(initial=0))) + 2 * c.n_machines
    return int(max(1 << 16, 4 * per_event))


def new_state(
    c: CompiledLine,
    plan: np.ndarray,
    horizon_s: float,
    seed: int,
    replication: int,  # type: ignore[type-arg]
    step_hourly: bool = False,
    trace: bool = False,
) -> KernelState:
    """Fresh arrays for one run of ``c`` over ``horizon_s`` with the planned stops ``plan``.

    With ``step_hourly`` the kernel also keeps every step's cumulative good output at each hour
    (``HSTEP``, hours x steps floats); without, that table has no rows and costs nothing.
    With ``trace`` the kernel writes its trace (gigaline.sim.trace) into a buffer of
    :func:`trace_rows` rows, which the caller drains; without, the buffer has no rows.
    """
    S, M, V = c.n_steps, c.n_machines, c.n_servers
    ST = np.zeros((S, N_ST), dtype=np.int64)
    STF = np.zeros((S, N_STF))
    STF[:, STF_PSTART] = -1.0
    ST[:, ST_LOADING] = -1
    ST[:, ST_POOL_N] = c.SI[:, SI_NV]
    ST[:, ST_INACT] = c.SI[:, SI_NV]
    MI = np.zeros((M, N_MI), dtype=np.int64)
    VI = np.zeros((V, N_VI), dtype=np.int64)
    m = 0
    for s in range(S):
        k = int(c.SI[s, SI_K])
        for q in range(int(c.SI[s, SI_NMACH])):
            v0 = int(c.SI[s, SI_V0]) + q * k
            MI[m, MI_STEP] = s
            MI[m, MI_V0] = v0
            MI[m, MI_K] = k
            if c.SI[s, SI_MTBF] >= 0 and c.SI[s, SI_CALENDAR_FAIL] == 0:
                MI[m, MI_CLOCK] = CLOCK_ONE if k == 1 else CLOCK_PLACES
            MI[m, MI_NSTARVED] = k
            VI[v0 : v0 + k, VI_MACH] = m
            VI[v0 : v0 + k, VI_STEP] = s
            m += 1
    VI[:, VI_STATE] = STARVED
    G = np.zeros(N_G, dtype=np.int64)
    G[G_GMIN_STEP] = -1
    # At most one job end per server, one failure or repair per machine, one dwell end per
    # step, the next planned-stop boundary and the next hourly snapshot.
    G[G_SORTED] = int(V + M + S + 2 <= SORTED_MAX_EVENTS)
    cap = c.capacity_cells_per_s()
    expected = float(cap.min()) * horizon_s * 1.05 + 1.0
    G[G_LT_STRIDE] = max(1, math.ceil(expected / LEAD_TIME_SAMPLES))
    heap = V + 2 * M + 16
    rows = trace_rows(c) if trace else 0
    G[G_TR_ON] = int(trace)
    G[G_TR_DRAIN] = rows // 2 if trace else np.iinfo(np.int64).max
    views = (
        c.SI,
        c.SF,
        c.DK,
        c.DP,
        c.EMP,
        np.ascontiguousarray(plan, dtype=np.float64),
        ST,
        STF,
        MI,
        np.zeros((M, N_MF)),
        np.zeros((M, N_STATES)),
        VI,
        np.zeros((V, N_VF)),
        np.arange(V, dtype=np.int64),  # idle pool: every server, in order
        np.zeros(V, dtype=np.int64),
        np.zeros(heap),
        np.zeros(2 * heap, dtype=np.int64),  # (sequence, code) per heap slot
        G,
        np.zeros(N_GF),
        stream_seeds(c.step_ids, seed, replication),
        np.zeros((int(horizon_s // 3600.0), 2)),
        np.zeros(LEAD_TIME_SAMPLES + 64),
        np.zeros(LEAD_TIME_SAMPLES + 64),
        np.zeros((PERIOD_ROWS, 3)),
        np.zeros(2 * S + 2, dtype=np.int64),
        np.zeros((S, 2), dtype=np.int64),  # work-list flags: (start, unblock) per step
        np.zeros(S, dtype=np.int64),
        np.zeros(S, dtype=np.int64),
        np.zeros(V),  # FIFO dwell rings: end times
        np.zeros(V, dtype=np.int64),  # and servers
        np.zeros((int(horizon_s // 3600.0) if step_hourly else 0, S)),
        np.zeros(rows),  # trace: times
        np.zeros((rows, N_TR), dtype=np.int64),  # trace: records
    )
    if G[G_SORTED] == 1:
        views[15][:SORTED_BASE] = np.inf  # sentinels below the sorted event array
    arrays = tuple(
        a.reshape(-1) if name in _FLAT else a for name, a in zip(_ORDER, views, strict=True)
    )
    return KernelState(arrays=arrays, views=views, horizon_s=horizon_s)


def state_bytes(
    c: CompiledLine, horizon_s: float, step_hourly: bool = False, trace: bool = False
) -> int:
    """Bytes :func:`new_state` allocates for one run of ``c`` over ``horizon_s`` (the compiled
    arrays and the planned stops, which it is given, not counted): checked before allocating,
    so that a run too large for the machine is refused with what it would need
    (``tests/sim/test_budget.py`` holds this sum to the arrays ``new_state`` makes)."""
    S, M, V = c.n_steps, c.n_machines, c.n_servers
    hours = int(horizon_s // 3600.0)
    heap = V + 2 * M + 16
    cells = (
        S * (N_ST + N_STF + 3 + 2 * 2 + 2)  # ST, STF, RNG, WL, WLF, DIRTY, DIRTYF
        + M * (N_MI + N_MF + N_STATES)
        + V * (N_VI + N_VF + 2 + 2)  # VI, VF, POOL, BQ, DQT, DQV
        + 3 * heap  # HT, HI
        + N_G
        + N_GF
        + 2
        + hours * (2 + (S if step_hourly else 0))  # HOURLY, HSTEP
        + 2 * (LEAD_TIME_SAMPLES + 64)
        + PERIOD_ROWS * 3
        + (trace_rows(c) * (1 + N_TR) if trace else 0)
    )
    return 8 * cells
