"""The trace of a run: what every station did, when, to which units, and why it stopped.

The kernel writes it (off by default: a run without a trace pays one predictable branch per
record site) into a fixed buffer that :func:`gigaline.sim.runner.run_traced` drains segment
by segment, so a year of the reference line never holds its whole trace in memory. Records
(columns ``TR_*`` of :mod:`gigaline.sim._layout`), in time order:

* ``TR_START``: a server of a station starts a job of ``n`` cells; they are the step's started
  cells ``[id, id + n)``. One ``TR_TAKE`` per input buffer follows: the job takes that input
  step's output cells ``[id, id + n)`` (buffers are first in, first out).
* ``TR_END``: the job ends, ``n`` cells good and ``x`` scrapped at this step.
* ``TR_DEPOSIT``: the server passes ``n`` good cells on, the step's output cells
  ``[id, id + n)`` (all at once, or in parts while it is blocked).
* ``TR_SERVER``: a server's running state changes (working, starved or blocked).
* ``TR_MACHINE``: a machine's stop flags change (down, planned stop), with the cause:
  failure, repair, start or end of a planned stop.

:class:`TraceTally` adds a trace up over a window into the same totals as the run's
:class:`~gigaline.sim.runner.RunRecord` (tests hold them equal), and per station (machine)
into the seconds the station as a whole spends in each state, the view an MES gets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import numpy.typing as npt

from gigaline.sim._layout import (
    BLOCKED,
    DOWN,
    MI_DOWN,
    MI_NBLOCKED,
    MI_NWORK,
    MI_PLANNED,
    N_STATES,
    PLANNED,
    SI_CONS,
    SI_K,
    SI_NMACH,
    ST_CONSUMED,
    ST_OUT,
    ST_SCRAP,
    ST_STARTED,
    STARVED,
    TR_DEPOSIT,
    TR_END,
    TR_MACHINE,
    TR_SERVER,
    TR_START,
    TR_TAKE,
    VI_STATE,
    WORKING,
)
from gigaline.sim.compile import CompiledLine
from gigaline.sim.runner import RunRecord, TraceChunk, run_traced
from gigaline.sim.state import KernelState

__all__ = ["STATE_NAMES", "Trace", "TraceTally", "station_state"]

#: Names of the kernel's states, in its order (working, starved, blocked, down, planned).
STATE_NAMES = ("working", "starved", "blocked", "down", "planned_stop")


def station_state(down: int, planned: int, n_working: int, n_blocked: int) -> int:
    """The state of a station (machine) as a whole: stopped (planned stop first, as the twin
    counts it), else working if any of its places works, else blocked if any is blocked,
    else starved."""
    if planned:
        return PLANNED
    if down:
        return DOWN
    if n_working:
        return WORKING
    return BLOCKED if n_blocked else STARVED


class Trace:
    """One traced replication, iterated chunk by chunk; :attr:`record` once it is exhausted.

    >>> from gigaline.model import parse_line  # doctest: +SKIP
    >>> run = Trace(compile_line(line), days=1.0, seed=3)  # doctest: +SKIP
    >>> for chunk in run: ...  # doctest: +SKIP
    """

    def __init__(
        self,
        c: CompiledLine,
        days: float,
        warmup_days: float = 0.0,
        seed: int = 0,
        replication: int = 0,
        window_only: bool = False,
        state_hook: Callable[[KernelState, float], None] | None = None,
    ) -> None:
        self.compiled = c
        self.window_only, self.state_hook = window_only, state_hook
        self.days, self.warmup_days = days, warmup_days
        self.seed, self.replication = seed, replication
        self.record: RunRecord | None = None

    def __iter__(self) -> Iterator[TraceChunk]:
        self.record = yield from run_traced(
            self.compiled,
            self.days,
            self.warmup_days,
            self.seed,
            self.replication,
            state_hook=self.state_hook,
            window_only=self.window_only,
        )


class TraceTally:
    """Totals of a trace over the window ``(start_s, end_s]`` (a window starting at 0
    includes the instant 0, as the run's own totals do).

    Per step (``counters``, as :attr:`RunRecord.counters`): cells started, passed on,
    scrapped, taken by the consumer, and jobs. Per machine: server-seconds in each state
    (``state_s``, as :attr:`RunRecord.state_s`), seconds of the station as a whole in each
    state (``station_s``, see :func:`station_state`), failures, and jobs started. Whole run
    (warm-up included): cells per step started, passed on, scrapped and consumed
    (``run_counters``), for the conservation of cells.
    """

    def __init__(self, c: CompiledLine, start_s: float, end_s: float) -> None:
        self.c = c
        self.start_s, self.end_s = start_s, end_s
        S, M, V = c.n_steps, c.n_machines, c.n_servers
        self.counters = np.zeros((S, 5), dtype=np.int64)
        self.run_counters = np.zeros((S, 4), dtype=np.int64)
        self.state_s = np.zeros((M, N_STATES))
        self.station_s = np.zeros((M, N_STATES))
        self.failures = np.zeros(M, dtype=np.int64)
        self.machine_jobs = np.zeros(M, dtype=np.int64)
        #: per machine, jobs ended in the window: cells good and scrapped
        self.machine_good = np.zeros(M, dtype=np.int64)
        self.machine_scrap = np.zeros(M, dtype=np.int64)
        #: per machine, jobs ended in the window, and those of them with no good cell
        self.machine_ended = np.zeros(M, dtype=np.int64)
        self.machine_lost = np.zeros(M, dtype=np.int64)
        self._vstate = np.full(V, STARVED, dtype=np.int64)
        self._vlast = np.zeros(V)
        self._vmach = np.zeros(V, dtype=np.int64)
        self._mservers: list[range] = []
        v = 0
        for s in range(S):
            k = int(c.SI[s, SI_K])
            for _ in range(int(c.SI[s, SI_NMACH])):
                self._vmach[v : v + k] = len(self._mservers)
                self._mservers.append(range(v, v + k))
                v += k
        self._down = np.zeros(M, dtype=np.int64)
        self._planned = np.zeros(M, dtype=np.int64)
        self._nwork = np.zeros(M, dtype=np.int64)
        self._nblock = np.zeros(M, dtype=np.int64)
        self._mlast = np.zeros(M)
        self._mstate = np.full(M, STARVED, dtype=np.int64)
        self._sink = (c.SI[:, SI_CONS] < 0).tolist()
        self._closed = False

    # -- intervals -----------------------------------------------------------------------

    def _clip(self, a: float, b: float) -> float:
        lo, hi = max(a, self.start_s), min(b, self.end_s)
        return hi - lo if hi > lo else 0.0

    def _server_until(self, v: int, t: float) -> None:
        m = int(self._vmach[v])
        if self._planned[m]:
            x = PLANNED
        elif self._down[m]:
            x = DOWN
        else:
            x = int(self._vstate[v])
        self.state_s[m, x] += self._clip(float(self._vlast[v]), t)
        self._vlast[v] = t

    def _station_update(self, m: int, t: float) -> None:
        new = station_state(
            int(self._down[m]), int(self._planned[m]), int(self._nwork[m]), int(self._nblock[m])
        )
        old = int(self._mstate[m])
        if new != old:
            self.station_s[m, old] += self._clip(float(self._mlast[m]), t)
            self._mlast[m] = t
            self._mstate[m] = new

    # -- records -------------------------------------------------------------------------

    def _in_window(self, t: float) -> bool:
        return (t > self.start_s or self.start_s == 0.0) and t <= self.end_s

    def add(self, chunk: TraceChunk) -> None:
        """Add one chunk (chunks in the order the run yields them)."""
        add = self.add_record
        for t, r in zip(chunk.t_s.tolist(), chunk.rec.tolist(), strict=True):
            add(t, *r)

    def add_record(
        self, t: float, kind: int, step: int, who: int, n: int, _ident: int, x: int
    ) -> None:
        """Add one record (records in time order)."""
        inside = self._in_window(t)
        if kind == TR_SERVER:
            m = int(self._vmach[who])
            self._server_until(who, t)
            old = int(self._vstate[who])
            self._nwork[m] += (x == WORKING) - (old == WORKING)
            self._nblock[m] += (x == BLOCKED) - (old == BLOCKED)
            self._vstate[who] = x
            self._station_update(m, t)
        elif kind == TR_MACHINE:
            for v in self._mservers[who]:
                self._server_until(v, t)
            if n and not self._down[who] and inside:
                self.failures[who] += 1
            self._down[who], self._planned[who] = n, _ident
            self._station_update(who, t)
        elif kind == TR_START:
            self.run_counters[step, 0] += n
            if inside:
                self.counters[step, 0] += n
                self.counters[step, 4] += 1
                self.machine_jobs[x] += 1
        elif kind == TR_DEPOSIT:
            sink = self._sink[step]  # the last step's cells leave as they are passed on
            self.run_counters[step, 1] += n
            self.run_counters[step, 3] += n if sink else 0
            if inside:
                self.counters[step, 1] += n
                self.counters[step, 3] += n if sink else 0
        elif kind == TR_END:
            self.run_counters[step, 2] += x
            if inside:
                self.counters[step, 2] += x
                m = int(self._vmach[who])
                self.machine_good[m] += n
                self.machine_scrap[m] += x
                self.machine_ended[m] += 1
                self.machine_lost[m] += n == 0
        elif kind == TR_TAKE:
            self.run_counters[step, 3] += n
            if inside:
                self.counters[step, 3] += n

    def start_from(self, st: KernelState) -> None:
        """Take the servers' and machines' states and the cell counters from the kernel state
        at the window's start (a trace that starts there, ``window_only``)."""
        t = self.start_s
        self._vstate[:] = st.VI[:, VI_STATE]
        self._vlast[:] = t
        self._down[:] = st.MI[:, MI_DOWN]
        self._planned[:] = st.MI[:, MI_PLANNED]
        self._nwork[:] = st.MI[:, MI_NWORK]
        self._nblock[:] = st.MI[:, MI_NBLOCKED]
        for m in range(self._mstate.size):
            self._mstate[m] = station_state(
                int(self._down[m]), int(self._planned[m]), int(self._nwork[m]),
                int(self._nblock[m]),
            )  # fmt: skip
        self._mlast[:] = t
        for col, k in enumerate((ST_STARTED, ST_OUT, ST_SCRAP, ST_CONSUMED)):
            self.run_counters[:, col] = st.ST[:, k]

    def station_state(self, m: int) -> int:
        """The current state of machine ``m`` as a whole (see :func:`station_state`)."""
        return int(self._mstate[m])

    def machine_of(self, v: int) -> int:
        """The machine of server ``v``."""
        return int(self._vmach[v])

    def close(self) -> None:
        """Bring every state time up to the end of the window (once, after the last chunk)."""
        if self._closed:
            return
        self._closed = True
        end = self.end_s
        # every server's standing interval, as _server_until would add it one by one: the
        # state a stopped machine imposes, else the server's own; np.add.at adds in index
        # order, so each cell of state_s gets the same sums in the same order (bit for bit)
        m = self._vmach
        x = np.where(self._planned[m] != 0, PLANNED,
                     np.where(self._down[m] != 0, DOWN, self._vstate))  # fmt: skip
        np.add.at(self.state_s.reshape(-1), m * N_STATES + x, self._spans(self._vlast, end))
        self._vlast[:] = end
        # one interval per station (no index twice: a plain fancy-index add is exact)
        rows = np.arange(self._mstate.size)
        self.station_s[rows, self._mstate] += self._spans(self._mlast, end)
        self._mlast[:] = end

    def _spans(self, since: npt.NDArray[np.float64], end: float) -> npt.NDArray[np.float64]:
        """:meth:`_clip` of ``(since[i], end]`` for every ``i`` (``end`` <= the window's end)."""
        lo = np.maximum(since, self.start_s)
        hi = min(end, self.end_s)
        return np.where(hi > lo, hi - lo, 0.0)

    @property
    def wip_end(self) -> npt.NDArray[np.int64]:
        """Cells per step at the end of the run (as :attr:`RunRecord.wip_end`): started -
        scrapped - taken by the consumer (the last step's leave into the sink)."""
        rc = self.run_counters
        return rc[:, 0] - rc[:, 2] - rc[:, 3]  # type: ignore[no-any-return]
