"""The discrete-event kernel: a line as arrays, an array heap of events, one loop.

State lives in the arrays of a :class:`~gigaline.sim.state.KernelState`, passed around as one
tuple ``K`` (numba compiles a tuple of arrays as cheaply as separate arguments). Every function
here is compiled by numba, or runs as plain Python with ``GIGALINE_SIM_JIT=0``.

Model (documented for users in docs/simulation.md):

* A step has machines, each with ``k`` servers (``k`` = capacity of a dwell machine, else 1).
  A server takes one *job* of ``SI_JOB`` cells: it loads them from each input buffer (merges
  have several), works, then deposits the good cells in its output buffer, blocking after
  service while the buffer is full (it deposits what fits and waits with the rest).
* Buffers count cells (cell equivalents for electrode material). The first step of each branch
  and of the main chain is never starved; the last step deposits into a sink.
* Machines fail and are repaired; failures count operating or calendar time. A stop (failure
  or planned stop) suspends the work in progress, which resumes after it (preempt-resume).
  Instead of moving events in the heap, a job's end event checks on firing how long its
  machine was stopped since the event was scheduled, and moves itself by that much.
* The calendar stops every machine except dwell holds (aging goes on over the weekend).

Events are popped in (time, sequence) order, so ties are served first scheduled, first
served, and a seed gives the same run bit for bit.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gigaline.sim._jit import jit, jit_inline
from gigaline.sim._layout import (
    BLOCKED,
    CAUSE_FAILURE,
    CAUSE_PLAN_END,
    CAUSE_PLAN_START,
    CAUSE_REPAIR,
    CLOCK_ONE,
    CLOCK_PLACES,
    D_EXPONENTIAL,
    DOWN,
    EV_DWELL,
    EV_END,
    EV_FAIL,
    EV_HOUR,
    EV_PLAN,
    EV_REPAIR,
    G_DIRTY_N,
    G_EVENTS,
    G_GMIN_STEP,
    G_GOOD,
    G_HN,
    G_HOUR,
    G_LT_IN_N,
    G_LT_OUT_N,
    G_LT_STRIDE,
    G_N_IN,
    G_N_OUT,
    G_PER_LOST,
    G_PER_N,
    G_PLAN_I,
    G_SEQ,
    G_SORTED,
    G_TR_DRAIN,
    G_TR_LOST,
    G_TR_N,
    G_TR_ON,
    G_WL_N,
    GF_GMIN,
    GF_NOW,
    MF_FCARRY,
    MF_FREM,
    MF_FSNAP,
    MF_FTARGET,
    MF_LAST,
    MF_STOPCUM,
    MF_STOPSTART,
    MF_T0,
    MF_TTF,
    MI_CLOCK,
    MI_DOWN,
    MI_FAILS,
    MI_FPEND,
    MI_FSUSP,
    MI_FWAIT,
    MI_K,
    MI_NBLOCKED,
    MI_NSTARVED,
    MI_NWORK,
    MI_PLANNED,
    MI_STEP,
    MI_V0,
    N_MF,
    N_MI,
    N_SF,
    N_SI,
    N_ST,
    N_STATES,
    N_STF,
    N_TR,
    N_VF,
    N_VI,
    PLANNED,
    SF_MEAN,
    SF_NCYC,
    SF_SCRAP,
    SI_BUFCAP,
    SI_CALENDAR_FAIL,
    SI_CONS,
    SI_DIST,
    SI_ENTRY,
    SI_EXEMPT,
    SI_FIFO,
    SI_IN0,
    SI_JOB,
    SI_MAIN,
    SI_MTBF,
    SI_MTTR,
    SI_NIN,
    SI_NV,
    SI_V0,
    SORTED_BASE,
    ST_BQ_HEAD,
    ST_BQ_N,
    ST_CONSUMED,
    ST_DQ_HEAD,
    ST_DQ_N,
    ST_INACT,
    ST_JOBS,
    ST_LEVEL,
    ST_LOADING,
    ST_OUT,
    ST_POOL_HEAD,
    ST_POOL_N,
    ST_SCRAP,
    ST_STARTED,
    ST_WIP,
    STARVED,
    STF_NEXT_W,
    STF_PSTART,
    STF_WIP_AREA,
    STF_WIP_T,
    TR_DEPOSIT,
    TR_END,
    TR_MACHINE,
    TR_SERVER,
    TR_START,
    TR_TAKE,
    VF_SNAP,
    VF_SREM,
    VI_JOB,
    VI_LOAD0,
    VI_MACH,
    VI_PARKED,
    VI_REM,
    VI_STATE,
    VI_STEP,
    VI_SUSP,
    WL_START,
    WL_UNBLOCK,
    WORKING,
)
from gigaline.sim._random import binomial, sample, std_exponential

__all__ = ["Arrays", "init_run", "run_until"]

#: The kernel state: the arrays of a KernelState, in the order of gigaline.sim.state.
Arrays = tuple[Any, ...]

# ---- the event list: (time, sequence) order, as a sorted array or a binary heap -----------
#
# HT holds the times. Keys (time, sequence) are unique, so both structures pop the same events
# in the same order: the choice (G_SORTED, made in gigaline.sim.state from the most events the
# line can have pending) changes the cost, never the run.
#
# * Lines with at most a few hundred pending events (state.SORTED_MAX_EVENTS, measured): an
#   array sorted latest first from HT[SORTED_BASE], above sentinels due at +inf, with the
#   codes at the same places in HI. Popping takes the last entry; a new event moves the
#   entries due no later than it up by one place, so ties stay first scheduled, first served
#   without storing the sequence. The moves go eight at a time with no branch per entry: a
#   heap's sift-down on random times costs a mispredicted branch per level (on the 15-station
#   benchmark line the heap took about 40 % of the kernel's time), and so did a copy loop
#   that tested each entry.
# * Larger lines: a binary min-heap, O(log n) per operation, HI holding (sequence, code) pairs.


@jit_inline
def _push(K: Arrays, t: float, code: int) -> None:
    """Schedule event ``code`` at time ``t``."""
    HT, HI, G = K[15], K[16], K[17]
    n = G[G_HN]
    seq = G[G_SEQ]
    G[G_SEQ] = seq + 1
    G[G_HN] = n + 1
    i = n
    if G[G_SORTED] == 1:
        # The new event has the highest sequence, so it goes after every event due no later:
        # those move up one place, eight at a time with no branch per entry, and the new one
        # takes the place below them. Most insertions move fewer than eight, so the loop's
        # exit is predictable. Entries not moved are rewritten with themselves; the sentinels
        # below the list end every block.
        top = SORTED_BASE + n
        i = top
        moved = 0
        while True:
            for j in range(8):
                d = i - j
                a = HT[d - 1]
                up = a <= t
                moved += up
                q = d - 1 if up else d
                HT[d] = HT[q]
                HI[d] = HI[q]
            if HT[i - 8] > t:
                break
            i -= 8
        i = top - moved
        HT[i] = t
        HI[i] = code
        return
    else:
        while i > 0:
            p = (i - 1) >> 1
            tp = HT[p]
            if tp < t or (tp == t and HI[2 * p] < seq):
                break
            HT[i] = tp
            HI[2 * i] = HI[2 * p]
            HI[2 * i + 1] = HI[2 * p + 1]
            i = p
    HT[i] = t
    HI[2 * i] = seq
    HI[2 * i + 1] = code


@jit_inline
def _top(K: Arrays) -> int:
    """Slot of the earliest event (the list must not be empty)."""
    G = K[17]
    return int(SORTED_BASE + G[G_HN] - 1) if G[G_SORTED] == 1 else 0


@jit_inline
def _pop(K: Arrays) -> int:
    """Remove the earliest event and return its code."""
    HT, HI, G = K[15], K[16], K[17]
    n = G[G_HN] - 1
    G[G_HN] = n
    if G[G_SORTED] == 1:
        return int(HI[SORTED_BASE + n])
    code = HI[1]
    if n == 0:
        return int(code)
    t_last = HT[n]
    s_last = HI[2 * n]
    c_last = HI[2 * n + 1]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        tc = HT[c]
        if c + 1 < n:
            t2 = HT[c + 1]
            if t2 < tc or (t2 == tc and HI[2 * c + 2] < HI[2 * c]):
                c += 1
                tc = t2
        if tc < t_last or (tc == t_last and HI[2 * c] < s_last):
            HT[i] = tc
            HI[2 * i] = HI[2 * c]
            HI[2 * i + 1] = HI[2 * c + 1]
            i = c
        else:
            break
    HT[i] = t_last
    HI[2 * i] = s_last
    HI[2 * i + 1] = c_last
    return int(code)


# ---- the trace (gigaline.sim.trace): off unless the state has a trace buffer -------------


@jit_inline
def _trace(K: Arrays, now: float, kind: int, step: int, who: int, n: int, ident: int,
           x: int) -> None:  # fmt: skip
    """Append one trace record (see gigaline.sim._layout, TR_*) if the trace is on.

    Off (no buffer), this is one load and a predictable branch. The runner drains the buffer
    before it fills (G_TR_DRAIN, checked between events); a record that would not fit is
    counted in G_TR_LOST, which the runner refuses.
    """
    G = K[17]
    if G[G_TR_ON] == 0:
        return
    TRT, TRI = K[31], K[32]
    r = G[G_TR_N]
    if r >= TRT.shape[0]:
        G[G_TR_LOST] += 1
        return
    TRT[r] = now
    b = r * N_TR
    TRI[b] = kind
    TRI[b + 1] = step
    TRI[b + 2] = who
    TRI[b + 3] = n
    TRI[b + 4] = ident
    TRI[b + 5] = x
    G[G_TR_N] = r + 1


# ---- bookkeeping: state times, work in process, activity -----------------------------------


#
# State times and WIP areas are kept as running sums, so that a change costs one addition
# instead of bringing a total up to date: for a count n(t) that changes by d_i at times t_i,
# the integral of n over [0, T] is n(T) T - sum(d_i t_i). Running states (working, starved,
# blocked) are counted per machine while it runs; a stop takes its servers out of those sums
# and the resume puts them back. Stopped time (down, planned) is few, long intervals, added up
# directly at the stop's boundaries.


@jit_inline
def _flush_machine(K: Arrays, m: int, now: float) -> None:
    """Add the time since the last stop boundary to the machine's down or planned total."""
    MI, MF, MACC = K[8], K[9], K[10]
    dt = now - MF[m * N_MF + MF_LAST]
    if dt > 0.0:
        k = MI[m * N_MI + MI_K]
        if MI[m * N_MI + MI_PLANNED] == 1:
            MACC[m * N_STATES + PLANNED] += k * dt
        elif MI[m * N_MI + MI_DOWN] == 1:
            MACC[m * N_STATES + DOWN] += k * dt
    MF[m * N_MF + MF_LAST] = now


@jit_inline
def _running_sums(K: Arrays, m: int, now: float, sign: float) -> None:
    """The servers of machine ``m`` leave (``sign`` -1: it stops) or re-enter (+1: it runs
    again) the running-state sums at ``now``."""
    MI, MF = K[8], K[9]
    for x in range(3):
        MF[m * N_MF + MF_T0 + x] += sign * MI[m * N_MI + MI_NWORK + x] * now


@jit_inline
def _state_times(K: Arrays, m: int, now: float) -> None:
    """Bring the machine's state-time totals (MACC) up to ``now``."""
    MI, MF, MACC = K[8], K[9], K[10]
    _flush_machine(K, m, now)
    running = not _stopped(K, m)
    for x in range(3):
        n = MI[m * N_MI + MI_NWORK + x] if running else 0
        # Rounding of the running sum can leave a state never held for any length of time at
        # a tiny negative total; time is not negative.
        MACC[m * N_STATES + x] = max(n * now - MF[m * N_MF + MF_T0 + x], 0.0)


@jit_inline
def _inactive(K: Arrays, m: int) -> int:
    """Servers of machine ``m`` that are not active in the sense of Roser et al.

    Active: working or under repair; inactive: starved, blocked, or in a planned stop.
    """
    MI = K[8]
    if MI[m * N_MI + MI_PLANNED] == 1:
        return int(MI[m * N_MI + MI_K])
    if MI[m * N_MI + MI_DOWN] == 1:
        return 0
    return int(MI[m * N_MI + MI_NSTARVED] + MI[m * N_MI + MI_NBLOCKED])


@jit_inline
def _inact_add(K: Arrays, s: int, delta: int) -> None:
    if delta == 0:
        return
    ST, DIRTY, DIRTYF, G = K[6], K[26], K[27], K[17]
    ST[s * N_ST + ST_INACT] += delta
    if DIRTYF[s] == 0:
        DIRTYF[s] = 1
        DIRTY[G[G_DIRTY_N]] = s
        G[G_DIRTY_N] += 1


@jit_inline
def _settle(K: Arrays, now: float) -> None:
    """Open and close active periods of the steps touched by this event.

    Done once per event, after the cascade, so that a server passing through starved or
    blocked for zero time does not cut an active period. A closing period is recorded unless a
    still-open period of another step began no later: that one ends up at least as long over
    the whole closing period, so the closing one can never be the momentary bottleneck. This
    keeps the record short (mostly the bottleneck's own periods) over long horizons.
    """
    ST, STF, G, GF, PER, DIRTY, DIRTYF = K[6], K[7], K[17], K[18], K[23], K[26], K[27]
    for q in range(G[G_DIRTY_N]):
        s = DIRTY[q]
        DIRTYF[s] = 0
        a = STF[s * N_STF + STF_PSTART]
        active = ST[s * N_ST + ST_INACT] == 0
        if a >= 0.0 and not active:
            STF[s * N_STF + STF_PSTART] = -1.0
            gs = G[G_GMIN_STEP]
            record = True
            if gs == s:
                best = -1
                bt = 0.0
                for t in range(ST.shape[0] // N_ST):
                    pt = STF[t * N_STF + STF_PSTART]
                    if pt >= 0.0 and (best < 0 or pt < bt):
                        best = t
                        bt = pt
                G[G_GMIN_STEP] = best
                GF[GF_GMIN] = bt
            elif gs >= 0 and GF[GF_GMIN] <= a:
                record = False
            if record and now > a:
                n = G[G_PER_N]
                if n < PER.shape[0]:
                    PER[n, 0] = s
                    PER[n, 1] = a
                    PER[n, 2] = now
                    G[G_PER_N] = n + 1
                else:
                    G[G_PER_LOST] += 1
        elif a < 0.0 and active:
            STF[s * N_STF + STF_PSTART] = now
            if G[G_GMIN_STEP] < 0:
                G[G_GMIN_STEP] = s
                GF[GF_GMIN] = now
    G[G_DIRTY_N] = 0


@jit_inline
def _set_state(K: Arrays, v: int, new: int, now: float) -> None:
    """Server ``v`` changes to running state ``new`` (working, starved or blocked)."""
    VI, MI, MF = K[11], K[8], K[9]
    old = VI[v * N_VI + VI_STATE]
    if old == new:
        return
    m = VI[v * N_VI + VI_MACH]
    MI[m * N_MI + MI_NWORK + old] -= 1
    MI[m * N_MI + MI_NWORK + new] += 1
    VI[v * N_VI + VI_STATE] = new
    _trace(K, now, TR_SERVER, VI[v * N_VI + VI_STEP], v, 0, 0, new)
    # Only a running machine's servers are in the running-state sums and decide its step's
    # activity. A stopped machine's servers count as down or planned whatever their state,
    # and the machine is inactive (planned) or active (down) as a whole.
    if MI[m * N_MI + MI_DOWN] == 0 and MI[m * N_MI + MI_PLANNED] == 0:
        MF[m * N_MF + MF_T0 + old] -= now
        MF[m * N_MF + MF_T0 + new] += now
        _inact_add(K, VI[v * N_VI + VI_STEP], int(new != WORKING) - int(old != WORKING))


@jit_inline
def _wip_add(K: Arrays, s: int, d: int, now: float) -> None:
    """Step ``s`` gains ``d`` cells of WIP (loses, if negative) at ``now``."""
    ST, STF = K[6], K[7]
    ST[s * N_ST + ST_WIP] += d
    STF[s * N_STF + STF_WIP_T] += d * now


@jit_inline
def _wip_flush(K: Arrays, s: int, now: float) -> None:
    """Bring the step's WIP area (STF_WIP_AREA) up to ``now``."""
    ST, STF = K[6], K[7]
    area = ST[s * N_ST + ST_WIP] * now - STF[s * N_STF + STF_WIP_T]
    STF[s * N_STF + STF_WIP_AREA] = area if area > 0.0 else 0.0  # (see _state_times)


@jit_inline
def _count(K: Arrays, n: int, now: float, exits: bool) -> None:
    """Count ``n`` cells entering (or leaving) the main chain; time every stride-th one."""
    G = K[17]
    LT = K[22] if exits else K[21]
    ci = G_N_OUT if exits else G_N_IN
    ri = G_LT_OUT_N if exits else G_LT_IN_N
    stride = G[G_LT_STRIDE]
    before = G[ci]
    after = before + n
    G[ci] = after
    k = before // stride + 1
    while k * stride <= after:
        r = G[ri]
        if r < LT.shape[0]:
            LT[r] = now
            G[ri] = r + 1
        k += 1


@jit_inline
def _wl_push(K: Arrays, op: int, s: int) -> None:
    G, WL, WLF = K[17], K[24], K[25]
    if WLF[s * 2 + op] == 0:
        WLF[s * 2 + op] = 1
        WL[G[G_WL_N]] = s * 2 + op
        G[G_WL_N] += 1


# ---- server queues: the idle pool and the blocked queue of each step (rings) ---------------


@jit_inline
def _ring_push(K: Arrays, ring: np.ndarray, s: int, head_col: int, v: int) -> None:
    SI, ST = K[0], K[6]
    nv = SI[s * N_SI + SI_NV]
    tail = ST[s * N_ST + head_col] + ST[s * N_ST + head_col + 1]
    if tail >= nv:
        tail -= nv
    ring[SI[s * N_SI + SI_V0] + tail] = v
    ST[s * N_ST + head_col + 1] += 1


@jit_inline
def _ring_drop(K: Arrays, s: int, head_col: int) -> None:
    SI, ST = K[0], K[6]
    h = ST[s * N_ST + head_col] + 1
    if h == SI[s * N_SI + SI_NV]:
        h = 0
    ST[s * N_ST + head_col] = h
    ST[s * N_ST + head_col + 1] -= 1


@jit_inline
def _stopped(K: Arrays, m: int) -> bool:
    MI = K[8]
    return bool(MI[m * N_MI + MI_DOWN] == 1 or MI[m * N_MI + MI_PLANNED] == 1)


@jit_inline
def _pool_pop(K: Arrays, s: int) -> int:
    """An idle server on a running machine, or -1; idle servers of stopped machines park."""
    SI, ST, VI, POOL = K[0], K[6], K[11], K[13]
    while ST[s * N_ST + ST_POOL_N] > 0:
        v = POOL[SI[s * N_SI + SI_V0] + ST[s * N_ST + ST_POOL_HEAD]]
        _ring_drop(K, s, ST_POOL_HEAD)
        if _stopped(K, VI[v * N_VI + VI_MACH]):
            VI[v * N_VI + VI_PARKED] = 1
            continue
        return int(v)
    return -1


# ---- work: starting, finishing and depositing jobs -----------------------------------------


@jit_inline
def _job_time(K: Arrays, s: int) -> float:
    """Work content of the next job of step ``s`` [s].

    Drawn one job ahead: the job gets the time drawn for it at the previous start, and the
    draw for the one after it runs meanwhile, off the path from the event to the next one.
    Each step's stream yields the same times in the same order as drawing them on the spot.
    """
    STF = K[7]
    w = STF[s * N_STF + STF_NEXT_W]
    STF[s * N_STF + STF_NEXT_W] = _draw_job_time(K, s)
    return float(w)


@jit_inline
def _draw_job_time(K: Arrays, s: int) -> float:
    """Work content of one job [s]: ``SF_NCYC`` cycles of the step's distribution.

    A job of n cycles (n > 1: sheets of one cell) takes n x mean + sqrt(n) x (x - mean) for one
    sampled cycle x: the mean and variance of a sum of n independent cycles, at the cost of one
    draw (clipped at zero).
    """
    SI, SF, DK, DP, EMP, RNG = K[0], K[1], K[2], K[3], K[4], K[19]
    d = SI[s * N_SI + SI_DIST]
    x: float
    if DK[d] == D_EXPONENTIAL:  # the commonest case first: the same draw, without dispatch
        x = DP[d * 3] * std_exponential(RNG, 3 * s)
    else:
        x = sample(DK[d], DP[d * 3 + 0], DP[d * 3 + 1], DP[d * 3 + 2], EMP, RNG, 3 * s)
    n = SF[s * N_SF + SF_NCYC]
    if n == 1.0:
        return x
    m = SF[s * N_SF + SF_MEAN]
    t = n * m + math.sqrt(n) * (x - m)
    return t if t > 0.0 else 0.0


# ---- the operating-time failure clock -----------------------------------------------------
#
# With ``basis: operating`` a machine's failure clock runs only while it works: a one-server
# machine (k = 1) fails after TTF seconds of work; a dwell machine of k places after k x TTF
# place-seconds of holding (a full rack wears at the full rate, a half-full one at half). Every
# second of work is charged exactly once, to the failure interval in which it is done.
#
# k = 1: a job's whole work is charged when it starts, since its server then works on it
# without a break but for stops, and a stop moves the failure event exactly as it moves the
# job's end. When the failure falls inside the job, the work beyond the failure is carried
# (MF_FCARRY) to the next interval and charged when the machine runs again after the repair,
# whether the job's end event fires during the repair or after it; so is all of a job started
# while a failure is pending (it can start at the instant of the failure, after a job that
# ended there). A few loads and one comparison per job start (the machine carries its kind of
# clock, MI_CLOCK), no extra events.
#
# k > 1: places start and end at different times, so charging each place's job ahead would
# charge future work before other places' present work. The clock is the machine's worked
# place-seconds W (its running working-state sum, see _running_sums), and the machine fails
# when W reaches MF_FTARGET. A check event goes at the earliest time W can get there (all k
# places working); if fewer worked meanwhile, the check finds a gap left and goes again. The
# gap shrinks by the share of places that worked, so the checks per failure grow as occupancy
# falls, and failures become as much rarer: per MTBF of calendar time they stay near
# ln(MTBF / 1e-12 t) at most (6 to 16 measured, docs/simulation.md). With no place working the
# clock waits (MI_FWAIT) for the next job start or resume instead of checking.


@jit_inline
def _worked(K: Arrays, m: int, now: float) -> float:
    """Server-seconds machine ``m`` has worked up to ``now`` (from its running sums)."""
    MI, MF = K[8], K[9]
    n = 0 if _stopped(K, m) else MI[m * N_MI + MI_NWORK + WORKING]
    return float(n * now - MF[m * N_MF + MF_T0 + WORKING])


@jit
def _arm_clock(K: Arrays, m: int, now: float) -> None:
    """k > 1 (machine running): schedule the next check of the clock, or wait for work."""
    MI, MF = K[8], K[9]
    if MI[m * N_MI + MI_NWORK + WORKING] == 0:
        MI[m * N_MI + MI_FWAIT] = 1
        return
    MI[m * N_MI + MI_FWAIT] = 0
    MI[m * N_MI + MI_FPEND] = 1
    gap = MF[m * N_MF + MF_FTARGET] - _worked(K, m, now)
    _push(K, now + max(gap, 0.0) / MI[m * N_MI + MI_K], m * 8 + EV_FAIL)


@jit_inline
def _operate(K: Arrays, m: int, w: float, now: float) -> None:
    """A job of ``w`` seconds of work starts on machine ``m`` (or, k = 1, carried work
    resumes): charge an operating-time failure clock (see above)."""
    MI, MF = K[8], K[9]
    clock = MI[m * N_MI + MI_CLOCK]
    if clock != CLOCK_ONE:
        if clock == CLOCK_PLACES and MI[m * N_MI + MI_FWAIT] == 1:
            _arm_clock(K, m, now)
        return
    if MI[m * N_MI + MI_FPEND] == 1 or MI[m * N_MI + MI_FSUSP] == 1:
        MF[m * N_MF + MF_FCARRY] += w  # a failure is due first: all of it comes after
        return
    ttf = MF[m * N_MF + MF_TTF]
    if ttf <= w:
        MF[m * N_MF + MF_FCARRY] += w - ttf
        MI[m * N_MI + MI_FPEND] = 1
        MF[m * N_MF + MF_FSNAP] = MF[m * N_MF + MF_STOPCUM]
        _push(K, now + ttf, m * 8 + EV_FAIL)
        return
    MF[m * N_MF + MF_TTF] = ttf - w


@jit_inline
def _start_job(K: Arrays, v: int, s: int, now: float) -> None:
    SI, ST, MF, VI, VF = K[0], K[6], K[9], K[11], K[12]
    j = SI[s * N_SI + SI_JOB]
    VI[v * N_VI + VI_JOB] = j
    _trace(K, now, TR_START, s, v, j, ST[s * N_ST + ST_STARTED], VI[v * N_VI + VI_MACH])
    for i in range(SI[s * N_SI + SI_NIN]):
        VI[v * N_VI + VI_LOAD0 + i] = 0
        b = SI[s * N_SI + SI_IN0 + i]
        _trace(K, now, TR_TAKE, b, v, j, ST[b * N_ST + ST_CONSUMED], s)
        ST[b * N_ST + ST_CONSUMED] += j
        _wip_add(K, b, -j, now)
    ST[s * N_ST + ST_STARTED] += j
    _wip_add(K, s, j, now)
    ST[s * N_ST + ST_JOBS] += 1
    if SI[s * N_SI + SI_ENTRY] == 1:
        _count(K, j, now, False)
    m = VI[v * N_VI + VI_MACH]
    _set_state(K, v, WORKING, now)
    w = _job_time(K, s)
    if SI[s * N_SI + SI_FIFO] == 1:
        DQT, DQV = K[28], K[29]
        pos = (
            SI[s * N_SI + SI_V0]
            + (ST[s * N_ST + ST_DQ_HEAD] + ST[s * N_ST + ST_DQ_N]) % SI[s * N_SI + SI_NV]
        )
        DQT[pos] = now + w
        DQV[pos] = v
        ST[s * N_ST + ST_DQ_N] += 1
        if ST[s * N_ST + ST_DQ_N] == 1:
            _push(K, now + w, s * 8 + EV_DWELL)
        return
    VF[v * N_VF + VF_SNAP] = MF[m * N_MF + MF_STOPCUM]
    _push(K, now + w, v * 8 + EV_END)
    _operate(K, m, w, now)


@jit_inline
def _try_start(K: Arrays, s: int, now: float) -> None:
    """Load idle servers of step ``s`` from its input buffers; start those that are full."""
    SI, ST, VI = K[0], K[6], K[11]
    nin = SI[s * N_SI + SI_NIN]
    j = SI[s * N_SI + SI_JOB]
    while True:
        v = ST[s * N_ST + ST_LOADING]
        if v < 0:
            v = _pool_pop(K, s)
            if v < 0:
                return
            ST[s * N_ST + ST_LOADING] = v
        full = True
        for i in range(nin):
            b = SI[s * N_SI + SI_IN0 + i]
            need = j - VI[v * N_VI + VI_LOAD0 + i]
            if need > 0:
                if need > ST[b * N_ST + ST_LEVEL] and ST[b * N_ST + ST_BQ_N] > 0:
                    _hand_over(K, b, need - ST[b * N_ST + ST_LEVEL], now)
                take = min(need, ST[b * N_ST + ST_LEVEL])
                if take > 0:
                    ST[b * N_ST + ST_LEVEL] -= take
                    VI[v * N_VI + VI_LOAD0 + i] += take
                    if ST[b * N_ST + ST_BQ_N] > 0:
                        _wl_push(K, WL_UNBLOCK, b)
                    need -= take
                if need > 0:
                    full = False
        if not full:
            return
        ST[s * N_ST + ST_LOADING] = -1
        _start_job(K, v, s, now)


@jit_inline
def _deposit(K: Arrays, s: int, d: int, now: float) -> None:
    """Put ``d`` finished cells of step ``s`` into its output buffer (or the sink)."""
    SI, ST, G = K[0], K[6], K[17]
    if d <= 0:
        return
    cons = SI[s * N_SI + SI_CONS]
    if cons >= 0:
        ST[s * N_ST + ST_LEVEL] += d
        if (
            ST[cons * N_ST + ST_POOL_N] > 0 or ST[cons * N_ST + ST_LOADING] >= 0
        ):  # someone waits for it
            _wl_push(K, WL_START, cons)
    else:  # the sink takes everything at once
        ST[s * N_ST + ST_CONSUMED] += d
        _wip_add(K, s, -d, now)
        G[G_GOOD] += d
        _count(K, d, now, True)
    ST[s * N_ST + ST_OUT] += d


@jit_inline
def _take_inputs(K: Arrays, v: int, s: int) -> bool:
    """Load a whole job into idle server ``v`` if every input buffer holds one; else nothing."""
    SI, ST, VI = K[0], K[6], K[11]
    j = SI[s * N_SI + SI_JOB]
    nin = SI[s * N_SI + SI_NIN]
    for i in range(nin):
        if ST[(SI[s * N_SI + SI_IN0 + i]) * N_ST + ST_LEVEL] < j:
            return False
    for i in range(nin):
        b = SI[s * N_SI + SI_IN0 + i]
        ST[b * N_ST + ST_LEVEL] -= j
        VI[v * N_VI + VI_LOAD0 + i] = j
        if ST[b * N_ST + ST_BQ_N] > 0:  # a place came free for a blocked server
            _wl_push(K, WL_UNBLOCK, b)
    return True


@jit_inline
def _unblock(K: Arrays, s: int, now: float) -> None:
    """Deposit the finished work of blocked servers of ``s``, first blocked first."""
    SI, ST, VI, BQ = K[0], K[6], K[11], K[14]
    cons = SI[s * N_SI + SI_CONS]
    while ST[s * N_ST + ST_BQ_N] > 0:
        v = BQ[SI[s * N_SI + SI_V0] + ST[s * N_ST + ST_BQ_HEAD]]
        if _stopped(K, VI[v * N_VI + VI_MACH]):
            _ring_drop(K, s, ST_BQ_HEAD)
            VI[v * N_VI + VI_PARKED] = 2
            continue
        rem = VI[v * N_VI + VI_REM]
        d = rem
        if cons >= 0:
            space = SI[s * N_SI + SI_BUFCAP] - ST[s * N_ST + ST_LEVEL]
            if space < d:
                d = space if space > 0 else 0
        if d > 0:
            _trace(K, now, TR_DEPOSIT, s, v, d, ST[s * N_ST + ST_OUT], 0)
        _deposit(K, s, d, now)
        VI[v * N_VI + VI_REM] = rem - d
        if rem - d > 0:
            if cons >= 0:  # a waiting consumer may take it straight from the machine
                _wl_push(K, WL_START, cons)
            return
        _ring_drop(K, s, ST_BQ_HEAD)
        _set_state(K, v, STARVED, now)
        _ring_push(K, K[13], s, ST_POOL_HEAD, v)
        _wl_push(K, WL_START, s)


@jit
def _hand_over(K: Arrays, b: int, n: int, now: float) -> None:
    """Let blocked servers of ``b`` hand up to ``n`` cells straight to a waiting consumer.

    Blocking after service: a machine holding a finished part passes it on as soon as the next
    machine can take it, even with no buffer place between them (``buffer_after: 0``). Done by
    lending the buffer ``n`` places for one pass of :func:`_unblock`; the caller takes them.
    """
    SI = K[0]
    SI[b * N_SI + SI_BUFCAP] += n
    _unblock(K, b, now)
    SI[b * N_SI + SI_BUFCAP] -= n


@jit_inline
def _end_job(K: Arrays, v: int, now: float) -> None:
    SI, SF, ST, MF, VI, VF, RNG = K[0], K[1], K[6], K[9], K[11], K[12], K[19]
    m = VI[v * N_VI + VI_MACH]
    s = VI[v * N_VI + VI_STEP]
    if _stopped(K, m):  # suspend; the remaining work equals the stop time it has not yet made up
        VI[v * N_VI + VI_SUSP] = 1
        VF[v * N_VF + VF_SREM] = (
            MF[m * N_MF + MF_STOPCUM] + (now - MF[m * N_MF + MF_STOPSTART]) - VF[v * N_VF + VF_SNAP]
        )
        return
    extra = MF[m * N_MF + MF_STOPCUM] - VF[v * N_VF + VF_SNAP]
    if extra > 0.0:  # the machine stopped meanwhile: the job ends that much later
        VF[v * N_VF + VF_SNAP] = MF[m * N_MF + MF_STOPCUM]
        _push(K, now + extra, v * 8 + EV_END)
        return
    j = VI[v * N_VI + VI_JOB]
    p_scrap = SF[s * N_SF + SF_SCRAP]
    sc = binomial(j, p_scrap, RNG, 3 * s + 1) if p_scrap > 0.0 else 0
    if sc > 0:
        ST[s * N_ST + ST_SCRAP] += sc
        _wip_add(K, s, -sc, now)
        if SI[s * N_SI + SI_MAIN] == 1:
            _count(K, sc, now, True)
    good = j - sc
    _trace(K, now, TR_END, s, v, good, -1, sc)
    cons = SI[s * N_SI + SI_CONS]
    if ST[s * N_ST + ST_BQ_N] == 0 and (
        cons < 0 or SI[s * N_SI + SI_BUFCAP] - ST[s * N_ST + ST_LEVEL] >= good
    ):
        # Fast path (most jobs): nobody blocked ahead and room for all of it. Deposit now and,
        # if no other server of the step is waiting and the inputs are there, start the next
        # job on this server at once: it stays working, with no state changes to book.
        if good > 0:
            _trace(K, now, TR_DEPOSIT, s, v, good, ST[s * N_ST + ST_OUT], 0)
        _deposit(K, s, good, now)
        VI[v * N_VI + VI_REM] = 0
        if (
            ST[s * N_ST + ST_LOADING] < 0
            and ST[s * N_ST + ST_POOL_N] == 0
            and _take_inputs(K, v, s)
        ):
            _start_job(K, v, s, now)
            return
        _set_state(K, v, STARVED, now)
        _ring_push(K, K[13], s, ST_POOL_HEAD, v)
        _wl_push(K, WL_START, s)
        return
    VI[v * N_VI + VI_REM] = good
    _set_state(K, v, BLOCKED, now)
    _ring_push(K, K[14], s, ST_BQ_HEAD, v)
    _wl_push(K, WL_UNBLOCK, s)


# ---- machines: failures, repairs, planned stops ------------------------------------------


@jit_inline
def _park_loading(K: Arrays, m: int) -> None:
    ST, MI, VI = K[6], K[8], K[11]
    s = MI[m * N_MI + MI_STEP]
    v = ST[s * N_ST + ST_LOADING]
    if v >= 0 and VI[v * N_VI + VI_MACH] == m:
        ST[s * N_ST + ST_LOADING] = -1
        VI[v * N_VI + VI_PARKED] = 1


@jit
def _stop(K: Arrays, m: int, planned: bool, now: float) -> None:
    """Machine ``m`` fails (``planned`` False) or enters a planned stop."""
    MI, MF = K[8], K[9]
    _flush_machine(K, m, now)
    c0 = _inactive(K, m)
    if not _stopped(K, m):
        MF[m * N_MF + MF_STOPSTART] = now
        _running_sums(K, m, now, -1.0)
    if planned:
        MI[m * N_MI + MI_PLANNED] = 1
    else:
        MI[m * N_MI + MI_DOWN] = 1
        MI[m * N_MI + MI_FAILS] += 1
    _trace(
        K,
        now,
        TR_MACHINE,
        MI[m * N_MI + MI_STEP],
        m,
        MI[m * N_MI + MI_DOWN],
        MI[m * N_MI + MI_PLANNED],
        CAUSE_PLAN_START if planned else CAUSE_FAILURE,
    )
    _park_loading(K, m)
    _inact_add(K, MI[m * N_MI + MI_STEP], _inactive(K, m) - c0)


@jit
def _resume(K: Arrays, m: int, now: float) -> None:
    """Machine ``m`` runs again: unpark its servers, resume suspended work and failures."""
    MI, MF, VI, VF = K[8], K[9], K[11], K[12]
    MF[m * N_MF + MF_STOPCUM] += now - MF[m * N_MF + MF_STOPSTART]
    _running_sums(K, m, now, 1.0)
    s = MI[m * N_MI + MI_STEP]
    if MI[m * N_MI + MI_K] != 1:
        if MI[m * N_MI + MI_FWAIT] == 1:
            _arm_clock(K, m, now)
    elif MI[m * N_MI + MI_FSUSP] == 1:
        MI[m * N_MI + MI_FSUSP] = 0
        MI[m * N_MI + MI_FPEND] = 1
        MF[m * N_MF + MF_FSNAP] = MF[m * N_MF + MF_STOPCUM]
        _push(K, now + MF[m * N_MF + MF_FREM], m * 8 + EV_FAIL)
    elif MI[m * N_MI + MI_FPEND] == 0 and MF[m * N_MF + MF_FCARRY] > 0.0:
        carry = MF[m * N_MF + MF_FCARRY]  # after a repair: the interrupted work counts now
        MF[m * N_MF + MF_FCARRY] = 0.0
        _operate(K, m, carry, now)
    v0 = MI[m * N_MI + MI_V0]
    for v in range(v0, v0 + MI[m * N_MI + MI_K]):
        p = VI[v * N_VI + VI_PARKED]
        if p == 1:
            VI[v * N_VI + VI_PARKED] = 0
            _ring_push(K, K[13], s, ST_POOL_HEAD, v)
        elif p == 2:
            VI[v * N_VI + VI_PARKED] = 0
            _ring_push(K, K[14], s, ST_BQ_HEAD, v)
        if VI[v * N_VI + VI_SUSP] == 1:
            VI[v * N_VI + VI_SUSP] = 0
            rem = VF[v * N_VF + VF_SREM]
            VF[v * N_VF + VF_SNAP] = MF[m * N_MF + MF_STOPCUM]
            _push(K, now + rem, v * 8 + EV_END)
    _wl_push(K, WL_START, s)
    _wl_push(K, WL_UNBLOCK, s)


@jit
def _sample_step(K: Arrays, s: int, col: int) -> float:
    """A failure (``col`` = SI_MTBF) or repair (SI_MTTR) time of step ``s``."""
    SI, DK, DP, EMP, RNG = K[0], K[2], K[3], K[4], K[19]
    d = SI[s * N_SI + col]
    return sample(DK[d], DP[d * 3 + 0], DP[d * 3 + 1], DP[d * 3 + 2], EMP, RNG, 3 * s + 2)


@jit
def _on_fail(K: Arrays, m: int, now: float) -> None:
    """A failure event of machine ``m``: calendar-time failures fail; operating-time ones
    first check that their clock has run out (see the failure clock above)."""
    SI, MI, MF = K[0], K[8], K[9]
    s = MI[m * N_MI + MI_STEP]
    if SI[s * N_SI + SI_CALENDAR_FAIL] == 0:
        MI[m * N_MI + MI_FPEND] = 0
        if MI[m * N_MI + MI_K] != 1:
            if _stopped(K, m):  # the clock stands still: check again once it runs (a guard:
                MI[m * N_MI + MI_FWAIT] = 1  # dwell machines ignore the calendar, and no
                return  # check is pending while down)
            k = MI[m * N_MI + MI_K]
            gap = MF[m * N_MF + MF_FTARGET] - _worked(K, m, now)
            # due when the gap is within rounding of the running sums (~1e-16 of k t); the
            # margin keeps every later check at a later time, so checks always end
            if gap > 1e-12 * k * (now + 1.0):
                _arm_clock(K, m, now)
                return
        elif _stopped(K, m):
            MI[m * N_MI + MI_FSUSP] = 1
            MF[m * N_MF + MF_FREM] = (
                MF[m * N_MF + MF_STOPCUM]
                + (now - MF[m * N_MF + MF_STOPSTART])
                - MF[m * N_MF + MF_FSNAP]
            )
            return
        else:
            extra = MF[m * N_MF + MF_STOPCUM] - MF[m * N_MF + MF_FSNAP]
            if extra > 0.0:
                MI[m * N_MI + MI_FPEND] = 1
                MF[m * N_MF + MF_FSNAP] = MF[m * N_MF + MF_STOPCUM]
                _push(K, now + extra, m * 8 + EV_FAIL)
                return
    _stop(K, m, False, now)
    _push(K, now + _sample_step(K, s, SI_MTTR), m * 8 + EV_REPAIR)


@jit
def _on_repair(K: Arrays, m: int, now: float) -> None:
    MI = K[8]
    s = MI[m * N_MI + MI_STEP]
    _flush_machine(K, m, now)
    c0 = _inactive(K, m)
    _new_clock(K, m, _sample_step(K, s, SI_MTBF), now)  # (while down: the clock stands)
    MI[m * N_MI + MI_DOWN] = 0
    _trace(K, now, TR_MACHINE, s, m, 0, MI[m * N_MI + MI_PLANNED], CAUSE_REPAIR)
    if MI[m * N_MI + MI_PLANNED] == 0:
        _resume(K, m, now)
    _inact_add(K, s, _inactive(K, m) - c0)


@jit
def _new_clock(K: Arrays, m: int, ttf: float, now: float) -> None:
    """Start the failure clock of machine ``m`` (at the start or after a repair) with ``ttf``
    seconds to the next failure, on its basis."""
    SI, MI, MF = K[0], K[8], K[9]
    s = MI[m * N_MI + MI_STEP]
    k = MI[m * N_MI + MI_K]
    if SI[s * N_SI + SI_CALENDAR_FAIL] == 1:
        _push(K, now + ttf, m * 8 + EV_FAIL)
    elif k == 1:
        MF[m * N_MF + MF_TTF] = ttf
    else:  # armed when the machine runs with a place working (_resume, _operate)
        MF[m * N_MF + MF_FTARGET] = _worked(K, m, now) + k * ttf
        MI[m * N_MI + MI_FWAIT] = 1


@jit
def _on_plan(K: Arrays, now: float) -> None:
    """A planned-stop boundary of the calendar: every machine but dwell holds stops or runs."""
    SI, PLAN, MI, G = K[0], K[5], K[8], K[17]
    i = G[G_PLAN_I]
    starting = i % 2 == 0
    for m in range(MI.shape[0] // N_MI):
        s = MI[m * N_MI + MI_STEP]
        if SI[s * N_SI + SI_EXEMPT] == 1:
            continue
        if starting:
            _stop(K, m, True, now)
        else:
            _flush_machine(K, m, now)
            c0 = _inactive(K, m)
            MI[m * N_MI + MI_PLANNED] = 0
            _trace(K, now, TR_MACHINE, s, m, MI[m * N_MI + MI_DOWN], 0, CAUSE_PLAN_END)
            if MI[m * N_MI + MI_DOWN] == 0:
                _resume(K, m, now)
            _inact_add(K, s, _inactive(K, m) - c0)
    G[G_PLAN_I] = i + 1
    if i + 1 < PLAN.shape[0]:
        _push(K, PLAN[i + 1], EV_PLAN)


@jit
def _on_dwell(K: Arrays, s: int, now: float) -> None:
    """End every job of FIFO dwell step ``s`` due now; schedule the next one.

    Not inlined (nor is ``_hand_over``): rarer paths kept out of the event loop's body leave the
    hot path fewer live values, which measured ~5 % faster.
    """
    SI, ST, DQT, DQV = K[0], K[6], K[28], K[29]
    v0 = SI[s * N_SI + SI_V0]
    while ST[s * N_ST + ST_DQ_N] > 0:
        h = v0 + ST[s * N_ST + ST_DQ_HEAD]
        if DQT[h] > now:
            _push(K, DQT[h], s * 8 + EV_DWELL)
            return
        v = DQV[h]
        ST[s * N_ST + ST_DQ_HEAD] = (ST[s * N_ST + ST_DQ_HEAD] + 1) % SI[s * N_SI + SI_NV]
        ST[s * N_ST + ST_DQ_N] -= 1
        _end_job(K, v, now)


@jit
def _on_hour(K: Arrays, now: float) -> None:
    """Snapshot cumulative good output and main-chain WIP area for the hourly series, and each
    step's cumulative good output (cells passed on) when the per-step series is kept."""
    SI, ST, STF, G, HOURLY, HSTEP = K[0], K[6], K[7], K[17], K[20], K[30]
    h = G[G_HOUR]
    keep = h < HSTEP.shape[0]
    area = 0.0
    for s in range(SI.shape[0] // N_SI):
        _wip_flush(K, s, now)
        if SI[s * N_SI + SI_MAIN] == 1:
            area += STF[s * N_STF + STF_WIP_AREA]
        if keep:
            HSTEP[h, s] = ST[s * N_ST + ST_OUT]
    HOURLY[h, 0] = G[G_GOOD]
    HOURLY[h, 1] = area
    G[G_HOUR] = h + 1
    if h + 1 < HOURLY.shape[0]:
        _push(K, (h + 2) * 3600.0, EV_HOUR)


@jit_inline
def _work_list(K: Arrays, now: float) -> None:
    """Propagate: starting pulls from buffers (which may unblock upstream), depositing feeds
    downstream (which may start it), until nothing more can move at this instant."""
    G, WL, WLF = K[17], K[24], K[25]
    while G[G_WL_N] > 0:
        n = G[G_WL_N] - 1
        G[G_WL_N] = n
        c = WL[n]
        s = c >> 1
        op = c & 1
        WLF[s * 2 + op] = 0
        if op == WL_START:
            _try_start(K, s, now)
        else:
            _unblock(K, s, now)


# ---- entry points -------------------------------------------------------------------------


@jit
def init_run(K: Arrays) -> None:
    """Schedule the first failures, planned stop and hourly snapshot; start every step."""
    SI, STF, PLAN, MI, HOURLY = K[0], K[7], K[5], K[8], K[20]
    for s in range(SI.shape[0] // N_SI):
        STF[s * N_STF + STF_NEXT_W] = _draw_job_time(K, s)
    for m in range(MI.shape[0] // N_MI):
        s = MI[m * N_MI + MI_STEP]
        if SI[s * N_SI + SI_MTBF] >= 0:
            _new_clock(K, m, _sample_step(K, s, SI_MTBF), 0.0)
    if PLAN.shape[0] > 0:
        _push(K, PLAN[0], EV_PLAN)
    if HOURLY.shape[0] > 0:
        _push(K, 3600.0, EV_HOUR)
    for s in range(SI.shape[0] // N_SI):
        _wl_push(K, WL_START, s)
    _work_list(K, 0.0)
    _settle(K, 0.0)


@jit
def run_until(K: Arrays, t_stop: float, per_drain: int) -> int:
    """Process events up to ``t_stop`` and bring every total up to it; returns 0.

    Returns 1 early (totals not flushed) when the active-period record holds ``per_drain``
    rows, or the trace buffer ``G[G_TR_DRAIN]`` records, so that the caller can drain them and
    call again.
    """
    SI, MI, HT, G, GF = K[0], K[8], K[15], K[17], K[18]
    while G[G_HN] > 0 and HT[_top(K)] <= t_stop:
        if G[G_PER_N] >= per_drain or G[G_TR_N] >= G[G_TR_DRAIN]:
            return 1
        now = HT[_top(K)]
        code = _pop(K)
        GF[GF_NOW] = now
        kind = code & 7
        ident = code >> 3
        if kind == EV_END:
            _end_job(K, ident, now)
        elif kind == EV_FAIL:
            _on_fail(K, ident, now)
        elif kind == EV_REPAIR:
            _on_repair(K, ident, now)
        elif kind == EV_PLAN:
            _on_plan(K, now)
        elif kind == EV_DWELL:
            _on_dwell(K, ident, now)
        else:
            _on_hour(K, now)
        _work_list(K, now)
        _settle(K, now)
        G[G_EVENTS] += 1
    GF[GF_NOW] = t_stop
    for m in range(MI.shape[0] // N_MI):
        _state_times(K, m, t_stop)
    for s in range(SI.shape[0] // N_SI):
        _wip_flush(K, s, t_stop)
    return 0
