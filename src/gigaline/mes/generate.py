"""The event stream of a line, read off the twin's trace (pure: yields dicts, does no I/O).

The generator runs the digital twin (:mod:`gigaline.sim`) with its trace on and turns every
record into what the line's equipment would report: a ``process`` event per unit when its job
ends (an NG record with a reason code for each cell the twin scrapped there), with the units
it consumed; a ``state`` event whenever a station changes state (``running``, ``starved``,
``blocked``, ``down`` with a failure reason, ``stopped`` in a planned stop); ``lot`` events for
the bought-in material the first steps use; formation and aging curves. Nothing is modelled
twice: rates, failures, repairs, blocking, starving, planned stops and scrap are the twin's,
so per-station counts and state times of the stream equal the twin's totals
(:class:`EventStream` keeps them, ``truth``), and a station that is ``down`` completes nothing.

Units, as the twin numbers them (gigaline.sim.trace): a job of a branch step (a slurry batch,
a coil, one cell's sheets) makes one unit of its kind; the first main-chain step (the merge)
makes cells, one per cell of its job, from the branch units its job took (first in, first
out); later main-chain steps work on the cells they took, which keep their ids. Measured
parameters follow :func:`gigaline.mes.synth.process_params` (sourced means and spreads), drawn
with the seed. The same line, days and seed give the same stream, event for event.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import numpy as np

from gigaline.errors import GigalineError
from gigaline.mes.synth import (
    NG_REASONS,
    aging_ocv_curve,
    draw_params,
    formation_curve,
    process_params,
)
from gigaline.model import Line, Step
from gigaline.model.naming import station_names
from gigaline.sim._layout import (
    BLOCKED,
    DOWN,
    PLANNED,
    SF_MEAN,
    SF_NCYC,
    SI_CONS,
    SI_IN0,
    SI_M0,
    SI_MAIN,
    SI_NIN,
    ST_CONSUMED,
    ST_OUT,
    STARVED,
    TR_DEPOSIT,
    TR_END,
    TR_MACHINE,
    TR_START,
    TR_TAKE,
    VI_JOB,
    VI_REM,
    VI_STATE,
    VI_STEP,
    WORKING,
)
from gigaline.sim.compile import DEFAULT_COIL_LENGTH_M, CompiledLine, compile_line
from gigaline.sim.state import KernelState
from gigaline.sim.steady import first_output
from gigaline.sim.trace import Trace, TraceTally

__all__ = [
    "DEFAULT_START",
    "EventStream",
    "GenerateError",
    "StationTruth",
    "generate_events",
    "steady_warmup_days",
]


class GenerateError(GigalineError):
    """A line or request the generator cannot make a stream of."""


DEFAULT_START = datetime(2026, 1, 5, tzinfo=UTC)
Event = dict[str, Any]

# Plant assumptions of the generator (no public figures):
_LOT_LEAD_S = 3 * 86400.0  # assumption: lots arrive three days before use
#: Lot sizes by unit of measure (assumption: a truck of bulk bags, a pallet of foil rolls, a
#: pallet of separator rolls, an IBC of electrolyte, a box of parts).
_LOT_SIZE = {"kg": 20_000.0, "m": 20_000.0, "m2": 50_000.0, "pcs": 10_000.0}
_BINDER_LOT_KG = 2_000.0
#: Reasons of a failure (assumption: the usual classes of unplanned stops), coating adds
#: web breaks (30 % of its stops, assumption).
_DOWN_REASONS = ("mechanical_fault", "electrical_fault", "sensor_fault", "jam", "material_fault")
_PRODUCING = {
    "mixing": "slurry_batch",
    "coating": "electrode_coil",
    "calendering": "electrode_coil",
    "slitting": "electrode_coil",
    "electrode_drying": "electrode_coil",
    "notching": "electrode_sheet_stack",
}
#: Event-contract state of each twin state (working, starved, blocked, down, planned stop).
STATE_OF = {WORKING: "running", STARVED: "starved", BLOCKED: "blocked", DOWN: "down",
            PLANNED: "stopped"}  # fmt: skip


class StationTruth(dict[str, Any]):
    """Ground truth of one station over the stream's window: ``processed``, ``good`` and
    ``ng`` units (cells at main-chain steps, jobs at branch steps), and ``seconds`` in each
    event-contract state."""


def generate_events(
    line: Line,
    days: float,
    seed: int,
    start: datetime = DEFAULT_START,
    curves: bool = True,
    prefix: str | None = None,
    lot_scale: float = 1.0,
    coil_m: float = DEFAULT_COIL_LENGTH_M,
    warmup_days: float | None = None,
) -> Iterator[Event]:
    """Events of ``days`` of production of ``line`` from ``start``; the same for the same seed.

    ``prefix`` starts every id (default ``S<seed>-``); ``lot_scale`` multiplies the lot sizes
    and ``coil_m`` sets the coil length of continuous steps (the twin's job there), so that
    small test lines get several lots and coils a day. The line starts in steady state
    (``warmup_days`` None: :func:`steady_warmup_days`), with the units then in process and
    their histories; ``warmup_days=0`` starts from an empty line.
    """
    return iter(
        EventStream(line, days, seed, start, curves, prefix, lot_scale, coil_m, warmup_days)
    )


def steady_warmup_days(c: CompiledLine) -> float:
    """Days the twin runs before the stream starts: 1.25 x the time an empty line needs to
    deliver its first cell (gigaline.sim.steady.first_output), at least one day. Assumption:
    by then every buffer and dwell step holds its working level (the margin covers filling
    the buffers behind the slowest path)."""
    return max(1.0, 1.25 * first_output(c).days)


class _Ids:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.counts: dict[str, int] = {}

    def next(self, kind: str) -> str:
        n = self.counts.get(kind, 0) + 1
        self.counts[kind] = n
        return f"{self.prefix}{kind}{n:07d}"


class _Job:
    __slots__ = ("consumed", "lazy", "new", "pre", "s", "t0", "units")

    def __init__(self, s: int, t0: float, new: bool) -> None:
        self.s, self.t0, self.new = s, t0, new
        self.units: list[str] = []
        self.consumed: list[tuple[str, float]] = []
        self.pre = 0  # a job in progress at the start: cells whose inputs are to be named
        self.lazy: list[Any] | None = None  # or: the cells it holds, made before the start


class _Lazy:
    """Units made before the stream's start at step ``s`` by ``t_end``: named, with their
    histories written, only when the stream first uses them (a run of a buffer or a job)."""

    __slots__ = ("name", "s", "t_end")

    def __init__(self, s: int, t_end: float) -> None:
        self.s, self.t_end = s, t_end
        self.name: str | None = None


class _Params:
    """Pre-drawn parameter values of one step, handed out unit by unit (fast, seeded)."""

    def __init__(self, line: Line, step: Step, rng: np.random.Generator) -> None:
        self.params = process_params(line, step)
        self.rng = rng
        self.block: dict[str, list[float]] = {}
        self.i = 0
        self.n = 0

    def next(self, ng: bool) -> dict[str, float]:
        if not self.params:
            return {}
        if self.i >= self.n:
            self.block = draw_params(self.params, np.zeros(4096, dtype=bool), self.rng)
            self.i, self.n = 0, 4096
        i = self.i
        self.i += 1
        out = {p.name: self.block[p.name][i] for p in self.params}
        if ng:  # an NG unit has its first parameter ng_offset_sd off (draw_params's convention)
            first = self.params[0]
            sign = 1.0 if self.rng.random() < 0.5 else -1.0
            off = sign * first.ng_offset_sd * first.sd
            out[first.name] = round(abs(out[first.name] + off), first.digits)
        return out


class EventStream:
    """The events of one traced run of the twin, in time order; iterate it once.

    After the iteration, :attr:`truth` holds the twin's ground truth per station
    (:class:`StationTruth`) and :attr:`tally` the trace's totals.
    """

    def __init__(
        self,
        line: Line,
        days: float,
        seed: int,
        start: datetime = DEFAULT_START,
        curves: bool = True,
        prefix: str | None = None,
        lot_scale: float = 1.0,
        coil_m: float = DEFAULT_COIL_LENGTH_M,
        warmup_days: float | None = None,
    ) -> None:
        self.line = line
        self.c = compile_line(line, coil_length_m=coil_m)
        self.warmup_days = steady_warmup_days(self.c) if warmup_days is None else warmup_days
        self.tw = self.warmup_days * 86400.0  # the stream starts here in twin time
        self.days, self.seed = days, seed
        self.rng = np.random.default_rng(seed)
        self.t0 = start.timestamp()
        self.curves = curves
        self.ids = _Ids(prefix if prefix is not None else f"S{seed}-")
        self.lot_scale = lot_scale
        self.out: list[Event] = []
        self.lots: dict[str, _LotPool] = {}
        c = self.c
        self.steps = [line.step(sid) for sid in c.step_ids]
        self.station = [station_names(st.id, st.machines) for st in self.steps]
        self.m0 = [int(c.SI[s, SI_M0]) for s in range(c.n_steps)]
        self.machine_name: list[str] = []
        self.machine_step: list[int] = []
        for s, names in enumerate(self.station):
            self.machine_name.extend(names)
            self.machine_step.extend([s] * len(names))
        self.main = [bool(c.SI[s, SI_MAIN]) for s in range(c.n_steps)]
        index = {sid: i for i, sid in enumerate(c.step_ids)}
        chain = [index[st.id] for st in line.main_steps]
        self.entry = chain[0] if chain else -1
        self.prev_main = dict(zip(chain[1:], chain, strict=False))
        self.kind = [self._unit_type(s) for s in range(c.n_steps)]
        self.params = [_Params(line, st, self.rng) for st in self.steps]
        self.tally: TraceTally | None = None
        self._pre_shared: dict[int, list[Any]] = {}
        self._rr = [0] * c.n_steps
        self.truth: dict[str, StationTruth] = {}

    def _unit_type(self, s: int) -> str:
        if self.main[s]:
            return "cell"
        step = self.steps[s]
        kind = _PRODUCING.get(step.process or "")
        if kind is None:
            kind = "electrode_coil" if step.unit == "m" else "electrode_sheet_stack"
        return kind

    # -- helpers ---------------------------------------------------------------------------

    def ts(self, t: float) -> str:
        return (
            datetime.fromtimestamp(round(self.t0 + t - self.tw, 3), UTC).isoformat(
                timespec="milliseconds"
            )[:-6]
            + "Z"
        )

    def lot_pool(self, material: str, uom: str, size: float) -> _LotPool:
        pool = self.lots.get(material)
        if pool is None:
            pool = self.lots[material] = _LotPool(self, material, uom, size * self.lot_scale)
        return pool

    # -- the run ---------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Event]:
        c = self.c
        tw = self.tw
        tally = self.tally = TraceTally(c, tw, tw + self.days * 86400.0)
        n_m = c.n_machines
        emitted = [-1] * n_m  # last state sent per machine
        reason_of = [""] * n_m
        dirty: set[int] = set(range(n_m))  # every station says its state at the start
        jobs: dict[int, _Job] = {}
        pending: dict[int, deque[list[Any]]] = {}  # server -> good units to pass on
        fifo: list[deque[list[Any]]] = [deque() for _ in range(c.n_steps)]  # [unit, cells]
        sink = [bool(c.SI[s, SI_CONS] < 0) for s in range(c.n_steps)]
        upc = c.units_per_cell
        t_last = tw

        def hook(st: KernelState, t: float) -> None:
            if t == tw and tw > 0.0:
                tally.start_from(st)
                self._in_process(st, fifo, jobs, pending, sink)

        run = Trace(c, self.days, self.warmup_days, self.seed, window_only=True, state_hook=hook)
        add = tally.add_record
        for chunk in run:
            for t, (kind, s, who, n, ident, x) in zip(
                chunk.t_s.tolist(), chunk.rec.tolist(), strict=True
            ):
                if t != t_last:
                    self._flush_states(dirty, emitted, reason_of, t_last)
                    t_last = t
                    if self.out:
                        yield from self.out
                        self.out.clear()
                add(t, kind, s, who, n, ident, x)
                if kind == TR_START:
                    jobs[who] = _Job(s, t, new=not self.main[s] or s == self.entry)
                elif kind == TR_TAKE:
                    job = jobs[who]
                    taken = self._resolve(_take(fifo[s], n))
                    if self.main[s] and not job.new:
                        job.units.extend(u for u, _q in taken)
                    else:
                        q = float(upc[s])
                        job.consumed.extend((u, cells * q) for u, cells in taken)
                elif kind == TR_END:
                    job = jobs.pop(who) if who in jobs else self._pre_job_of(who, t)
                    self._end(job, who, n, x, t, pending)
                    if not pending[who]:  # every cell of the job scrapped: nothing to pass on
                        del pending[who]
                elif kind == TR_DEPOSIT:
                    waiting = pending[who]
                    runs = _take(waiting, n)
                    if not waiting:  # a server per aging position: millions over a long stream
                        del pending[who]
                    if not sink[s]:
                        _put(fifo[s], runs)
                    else:
                        self._resolve(runs)  # a cell made before the start leaves: its history
                elif kind == TR_MACHINE:
                    if n and x == 0:  # a failure: its reason
                        reason_of[who] = self._down_reason(self.steps[s])
                    dirty.add(who)
                else:  # TR_SERVER
                    dirty.add(tally.machine_of(who))
        self._flush_states(dirty, emitted, reason_of, t_last)
        yield from self.out
        self.out.clear()
        tally.close()
        self.truth = self._truth(tally)

    # -- the line in steady state at the start: units in process, with their histories ----

    def _job_s(self, s: int) -> float:
        """Mean work content of one job of step ``s`` [s]."""
        return float(self.c.SF[s, SF_MEAN] * self.c.SF[s, SF_NCYC])

    def _in_process(self, st: KernelState, fifo: list[deque[list[Any]]],
                    jobs: dict[int, _Job], pending: dict[int, deque[list[Any]]],
                    sink: list[bool]) -> None:  # fmt: skip
        """Name the units the twin holds at the stream's start and write their histories.

        Where each cell is (buffer, job in progress, finished job waiting to pass on) and how
        many there are come from the twin's state; histories before the start are written
        with each step's mean job time back from there (assumption: the twin does not keep
        the past of a unit, and a history only needs to be plausible and complete).
        """
        c, tw = self.c, self.tw
        for s in range(c.n_steps):
            n = int(st.ST[s, ST_OUT] - st.ST[s, ST_CONSUMED])
            if not sink[s] and n > 0:
                # done at s over the last stretch, first in first out
                fifo[s].append([_Lazy(s, tw - max(self._job_s(s), 60.0)), n])
        # jobs in progress (millions on a large line's aging racks): made when they end
        self._pre_job = np.where(st.VI[:, VI_STATE] == WORKING, st.VI[:, VI_JOB], 0)
        self._vstep = st.VI[:, VI_STEP].copy()
        for v in np.flatnonzero(st.VI[:, VI_STATE] == BLOCKED).tolist():
            if int(st.VI[v, VI_REM]) > 0:  # finished, waiting to pass its cells on
                s = int(st.VI[v, VI_STEP])
                pending[v] = deque([[_Lazy(s, tw - 1.0), int(st.VI[v, VI_REM])]])

    def _resolve(self, runs: list[tuple[Any, int]]) -> list[tuple[str, int]]:
        """Runs with every unit made before the start named (and its history written)."""
        out: list[tuple[str, int]] = []
        for u, k in runs:
            if not isinstance(u, _Lazy):
                out.append((u, k))
            elif self.main[u.s]:
                out.extend(self._made(u.s, k, u.t_end))
            else:
                if u.name is None:
                    u.name = self._made(u.s, 1, u.t_end)[0][0]
                out.append((u.name, k))
        return out

    def _pre_job_of(self, v: int, t_end: float) -> _Job:
        """The job server ``v`` held at the stream's start, ending at ``t_end``: started its
        mean job time earlier (at the latest at the start)."""
        s, j = int(self._vstep[v]), int(self._pre_job[v])
        self._pre_job[v] = 0
        t0 = min(t_end - self._job_s(s), self.tw)
        job = _Job(s, t0, new=not self.main[s] or s == self.entry)
        if job.new:
            job.pre = j  # its inputs are named now
        else:
            job.lazy = [_Lazy(self.prev_main[s], t0), j]
        return job

    def _pre_inputs(self, s: int, cells: int, t: float) -> list[tuple[str, float]]:
        """Units made before the start that a job of ``s`` holds (one shared unit per input
        for every 20 cells: a sheet magazine; bought-in lots at a first step)."""
        c = self.c
        out: list[tuple[str, float]] = []
        for i in range(int(c.SI[s, SI_NIN])):
            b = int(c.SI[s, SI_IN0 + i])
            unit = self._pre_shared.get(b)
            if unit is None or unit[1] < cells:
                unit = self._pre_shared[b] = [
                    self._made(b, max(cells, 20), t)[0][0],
                    max(cells, 20),
                ]
            unit[1] -= cells
            out.append((unit[0], cells * float(c.units_per_cell[b])))
        return out

    def _made(self, s: int, cells: int, t_end: float) -> list[tuple[str, int]]:
        """``cells`` made by step ``s`` before the start, by ``t_end``, with their histories:
        [unit, cells] runs (a cell each on the main chain, one unit at a branch step)."""
        step = self.steps[s]
        dur = self._job_s(s)
        station = self.station[s][self._rr[s] % len(self.station[s])]
        self._rr[s] += 1
        if not self.main[s]:
            unit = self.ids.next("U")
            consumed = self._pre_inputs(s, cells, t_end - dur) or self._bought_in(
                s, cells, t_end - dur
            )
            self._record(step, station, unit, self.kind[s], t_end, dur, False, consumed,
                         self.params[s].next(False))  # fmt: skip
            return [(unit, cells)]
        if s == self.entry:
            first = self.ids.counts.get("C", 0)
            self.ids.counts["C"] = first + cells
            units = [f"{self.ids.prefix}C{i:08d}" for i in range(first, first + cells)]
            share = [(u, q / cells) for u, q in self._pre_inputs(s, cells, t_end - dur)]
        else:
            units = [u for u, _k in self._made(self.prev_main[s], cells, t_end - dur)]
            share = []
        extra = self._main_inputs(step, t_end - dur)
        for unit in units:
            values = self.params[s].next(False)
            self._record(step, station, unit, "cell", t_end, dur, False, share + extra, values)
            if self.curves and step.process in ("formation", "aging"):
                self._curve(step, station, unit, t_end, values)
        return [(u, 1) for u in units]

    def _flush_states(
        self, dirty: set[int], emitted: list[int], reason_of: list[str], t: float
    ) -> None:
        """State events of the stations whose state changed at ``t`` (a station passing
        through a state for no time sends nothing)."""
        assert self.tally is not None
        for m in sorted(dirty):
            st = self.tally.station_state(m)
            if st == emitted[m]:
                continue
            emitted[m] = st
            e: Event = {"id": self.ids.next("e"), "type": "state", "ts": self.ts(t),
                        "station": self.machine_name[m], "state": STATE_OF[st]}  # fmt: skip
            if st == DOWN:
                e["reason"] = reason_of[m] or "failure"
            elif st == PLANNED:
                e["reason"] = "planned_stop"
            self.out.append(e)
        dirty.clear()

    def _down_reason(self, step: Step) -> str:
        reason = _DOWN_REASONS[int(self.rng.integers(len(_DOWN_REASONS)))]
        if step.process == "coating" and self.rng.random() < 0.3:
            reason = "web_break"
        return reason

    def _end(self, job: _Job, v: int, good: int, scrap: int, t: float,
             pending: dict[int, deque[list[Any]]]) -> None:  # fmt: skip
        """Process events of a job that ended at ``t`` with ``good`` cells and ``scrap``."""
        s = job.s
        step = self.steps[s]
        station = self.machine_name[self.tally.machine_of(v)] if self.tally else ""
        if job.pre:
            job.consumed = self._pre_inputs(s, job.pre, job.t0)
        if job.lazy is not None:
            job.units = [u for u, _k in self._resolve([(job.lazy[0], job.lazy[1])])]
        q = pending.setdefault(v, deque())
        cells = good + scrap
        if not self.main[s]:
            unit = self.ids.next("U")
            consumed = job.consumed or self._bought_in(s, cells, job.t0)
            ng = good == 0
            self._record(step, station, unit, self.kind[s], t, t - job.t0, ng, consumed,
                         self.params[s].next(ng))  # fmt: skip
            if good:
                q.append([unit, good])
            return
        if job.new:
            first = self.ids.counts.get("C", 0)
            self.ids.counts["C"] = first + cells
            job.units = [f"{self.ids.prefix}C{i:08d}" for i in range(first, first + cells)]
        units = job.units
        ng_idx = set(self.rng.choice(cells, size=scrap, replace=False).tolist()) if scrap else set()
        extra = self._main_inputs(step, job.t0)
        share = [(u, qty / cells) for u, qty in job.consumed] if job.new else []
        for i, unit in enumerate(units):
            ng = i in ng_idx
            values = self.params[s].next(ng)
            consumed = share + extra
            self._record(step, station, unit, "cell", t, t - job.t0, ng, consumed, values)
            if self.curves and step.process in ("formation", "aging"):
                self._curve(step, station, unit, t, values)
            if not ng:
                q.append([unit, 1])

    def _record(self, step: Step, station: str, unit: str, unit_type: str, t_end: float,
                duration_s: float, ng: bool, consumed: list[tuple[str, float]],
                params: dict[str, float]) -> None:  # fmt: skip
        e: Event = {
            "id": self.ids.next("e"), "type": "process", "ts": self.ts(t_end),
            "station": station, "step": step.id, "unit": unit, "unit_type": unit_type,
            "result": "NG" if ng else "OK",
        }  # fmt: skip
        if ng:
            reasons = NG_REASONS.get(step.process or "", ("defect",))
            e["reason"] = reasons[int(self.rng.integers(len(reasons)))]
        e["started"] = self.ts(t_end - duration_s)
        if params:
            e["params"] = params
        if consumed:
            e["consumed"] = [{"unit": u, "qty": round(qty, 4)} for u, qty in consumed]
        self.out.append(e)

    def _bought_in(self, s: int, cells: int, t: float) -> list[tuple[str, float]]:
        """What a job of a first step (no input in the line) takes from bought-in lots."""
        line, step = self.line, self.steps[s]
        design = line.cell.design
        qty = cells * float(self.c.units_per_cell[s])
        electrode = design and step.electrode and getattr(design, step.electrode)
        if step.process == "mixing" and electrode:
            af = electrode.active_fraction
            name = step.branch or step.electrode
            out = self.lot_pool(f"{name}_active_material", "kg", _LOT_SIZE["kg"]).take(qty * af, t)
            for part in ("binder", "conductive_carbon"):
                pool = self.lot_pool(f"{name}_{part}", "kg", _BINDER_LOT_KG)
                out.extend(pool.take(qty * (1 - af) / 2, t))
            return out
        uom = step.unit if step.unit in _LOT_SIZE else "pcs"
        return self.lot_pool(f"{step.branch or step.id}_material", uom, _LOT_SIZE[uom]).take(qty, t)

    def _main_inputs(self, step: Step, t: float) -> list[tuple[str, float]]:
        """Bought-in parts one cell takes at a main-chain step (separator, electrolyte, and at
        a line without branches, the cell's components)."""
        line = self.line
        design = line.cell.design
        out: list[tuple[str, float]] = []
        if step.id == self.steps[self.entry].id and not line.branches:
            out.extend(self.lot_pool("cell_components", "pcs", _LOT_SIZE["pcs"]).take(1, t))
        if step.process == "stacking" and design is not None:
            area = design.separator.area_per_cell_m2 if design.separator else None
            if area:
                out.extend(self.lot_pool("separator", "m2", _LOT_SIZE["m2"]).take(area, t))
        if step.process == "electrolyte_filling":
            kg = design.electrolyte_mass_kg if design and design.electrolyte_mass_kg else None
            kg = kg or 1.3e-3 * line.cell.capacity_ah  # assumption: 1.3 g/Ah
            out.extend(self.lot_pool("electrolyte", "kg", 1000.0).take(kg, t))
        return out

    def _curve(self, step: Step, station: str, cell: str, t_end: float,
               values: dict[str, float]) -> None:  # fmt: skip
        cap = self.line.cell.capacity_ah
        if step.process == "formation":
            offset = float(self.rng.normal(0.0, 0.005))
            channels, dt_s = formation_curve(cap, 0.2, 0.8, 600.0, offset), 600.0
            kind = "formation"
        else:
            assert step.cycle_time is not None
            k = values.get("k_mv_per_day", 0.3)
            days = max(int(step.cycle_time.mean_s // 86400), 1)
            channels, dt_s = aging_ocv_curve(3.34, k, days), 86400.0
            kind = "aging"
        self.out.append({"id": self.ids.next("e"), "type": "curve", "ts": self.ts(t_end),
                         "station": station, "unit": cell, "curve": kind, "dt_s": dt_s,
                         "channels": channels})  # fmt: skip

    def _truth(self, tally: TraceTally) -> dict[str, StationTruth]:
        out: dict[str, StationTruth] = {}
        for m, name in enumerate(self.machine_name):
            s = self.machine_step[m]
            good, ng = int(tally.machine_good[m]), int(tally.machine_scrap[m])
            if not self.main[s]:  # branch stations report jobs (units), NG when all scrapped
                ng = int(tally.machine_lost[m])
                good = int(tally.machine_ended[m]) - ng
            out[name] = StationTruth(
                step=self.steps[s].id, processed=good + ng, good=good, ng=ng,
                seconds={STATE_OF[k]: float(tally.station_s[m, k]) for k in STATE_OF},
            )  # fmt: skip
        return out


def _take(q: deque[list[Any]], n: int) -> list[tuple[Any, int]]:
    """Take ``n`` cells from the front of a queue of [unit, cells] runs."""
    out: list[tuple[Any, int]] = []
    while n > 0:
        run = q[0]
        k = run[1] if run[1] <= n else n
        out.append((run[0], k))
        run[1] -= k
        n -= k
        if run[1] == 0:
            q.popleft()
    return out


def _put(q: deque[list[Any]], runs: list[tuple[Any, int]]) -> None:
    for unit, k in runs:
        if q and q[-1][0] == unit:
            q[-1][1] += k
        else:
            q.append([unit, k])


class _LotPool:
    """Bought-in material of one kind, registered lot by lot as it is needed."""

    def __init__(self, gen: EventStream, material: str, uom: str, size: float) -> None:
        self.gen, self.material, self.uom, self.size = gen, material, uom, size
        self.current: str | None = None
        self.left = 0.0

    def take(self, qty: float, t: float) -> list[tuple[str, float]]:
        out = []
        while qty > 1e-9:
            if self.left <= 1e-9:
                self._new(t)
            assert self.current is not None
            q = min(qty, self.left)
            out.append((self.current, q))
            self.left -= q
            qty -= q
        return out

    def _new(self, t: float) -> None:
        gen = self.gen
        self.current = gen.ids.next("L")
        self.left = self.size
        gen.out.append({"id": gen.ids.next("e"), "type": "lot", "ts": gen.ts(t - _LOT_LEAD_S),
                        "lot": self.current, "material": self.material, "qty": self.size,
                        "uom": self.uom})  # fmt: skip
