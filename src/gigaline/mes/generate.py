"""A realistic, seeded event stream for any line (pure: yields dicts, does no I/O).

Cells start at the line's bottleneck rate (:func:`gigaline.mes.synth.cell_rate_per_s`) and pass
the main-chain steps in order: each step's machines are its stations; batch steps start when
their batch is complete; dwell steps hold cells for their cycle time; a cell that fails a step
(probability 1 - the step's ``yield``) gets an NG record with a reason code and is scrapped.
Events after the horizon (``days``) are not emitted: those cells are still in the line.

Driven by the simulation (``drive``: a :class:`gigaline.sim.SimResult` or an hourly series of
cells), the cells entering the first main-chain step (the merge step) in each hour are exactly
that hour's simulated good output of that step, spread evenly over the hour: the stream then
shows the twin's ramp-up, failures and planned stops instead of a constant rate.

Electrode branches are pulled by the merge step: each cell takes its sheets from the current
sheet stack (a magazine of 20 cells' sheets), made by notching from a slit coil, slit from a
4,000 m mother coil that was coated from slurry batches mixed from material lots (active
material, binder, conductive carbon) and a foil lot. Each unit's records are emitted before the
first record that consumes it, so the stream can be ingested in order. Machine state changes
follow each step's failures (exponential up and repair times).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from gigaline.errors import GigalineError
from gigaline.mes.synth import (
    NG_REASONS,
    aging_ocv_curve,
    cell_rate_per_s,
    draw_params,
    formation_curve,
    process_params,
)
from gigaline.model import Line, Step
from gigaline.model.naming import station_names

if TYPE_CHECKING:
    import numpy.typing as npt

    from gigaline.sim import SimResult

__all__ = ["DEFAULT_START", "DriveError", "GenerateError", "drive_counts", "generate_events"]


class GenerateError(GigalineError):
    """A line the generator cannot make a stream of (a step that never makes a good unit)."""


class DriveError(GenerateError):
    """A simulated series that cannot drive the generator (wrong line, too short, not counts)."""


DEFAULT_START = datetime(2026, 1, 5, tzinfo=UTC)
Event = dict[str, Any]

# Plant assumptions of the generator (no public figures; see the module docstring):
_COIL_M = 4000.0  # assumption: jumbo mother coil of 4,000 m (the reference line's roll store)
_LANES = 2  # assumption: a 1.0 m mother web slit into two lanes
_MAGAZINE_CELLS = 20  # assumption: sheet magazines of about 20 cells (reference line)
_WIP_GAP_S = 2 * 3600.0  # assumption: mean wait between electrode steps
_MAIN_GAP_S = 120.0  # assumption: mean transfer and queue time between assembly steps
_LOT_LEAD_S = 3 * 86400.0  # assumption: lots arrive three days before use
#: Lot sizes by unit of measure (assumption: a truck of bulk bags, a pallet of foil rolls, a
#: pallet of separator rolls, an IBC of electrolyte, a box of parts).
_LOT_SIZE = {"kg": 20_000.0, "m": 20_000.0, "m2": 50_000.0, "pcs": 10_000.0}
_BINDER_LOT_KG = 2_000.0
_DOWN_REASONS = ("mechanical_fault", "electrical_fault", "sensor_fault", "jam", "material_fault")
_PRODUCING = {
    "mixing": "slurry_batch",
    "coating": "electrode_coil",
    "slitting": "electrode_coil",
    "notching": "electrode_sheet_stack",
}


def generate_events(
    line: Line,
    days: float,
    seed: int,
    start: datetime = DEFAULT_START,
    curves: bool = True,
    prefix: str | None = None,
    lot_scale: float = 1.0,
    coil_m: float = _COIL_M,
    drive: SimResult | npt.ArrayLike | None = None,
) -> Iterator[Event]:
    """Events of ``days`` of production of ``line``; the same for the same seed.

    ``prefix`` starts every id (default ``S<seed>-``); ``lot_scale`` multiplies the lot sizes
    and ``coil_m`` sets the mother-coil length, so that small test lines get several lots and
    coils a day. ``drive`` (see :func:`drive_counts`) sets the cells started at the first
    main-chain step in each hour from ``start``; without it cells start at the bottleneck rate.
    """
    gen = _Generator(line, days, seed, start, curves, prefix)
    if drive is not None:
        gen.drive = drive_counts(line, drive)
        if gen.drive.size < math.ceil(days * 24.0 - 1e-9):
            raise DriveError(
                f"drive: {gen.drive.size} hours of simulated output for {days:g} days of events "
                f"({math.ceil(days * 24.0 - 1e-9)} hours needed); simulate at least as long"
            )
    gen.lot_scale, gen.coil_m = lot_scale, coil_m
    gen.branches = [_Branch(gen, name, steps) for name, steps in line.branches.items()]
    yield from gen.run()


def drive_counts(line: Line, drive: SimResult | npt.ArrayLike) -> np.ndarray:  # type: ignore[type-arg]
    """Whole cells to start in each hour from a simulated series.

    ``drive`` is a :class:`gigaline.sim.SimResult` of ``line`` (its :attr:`hourly_steps` column
    of the first main-chain step, hour 0 = the end of warm-up) or a 1-D series of cells per
    hour. Fractions (a mean over several replications) are rounded cumulatively: every hour is
    within one cell of its value and the total is the rounded total; integer series are kept
    exactly.
    """
    from gigaline.sim import SimResult

    if isinstance(drive, SimResult):
        if drive.compiled.line.name != line.name:
            raise DriveError(
                f"drive: simulation of line {drive.compiled.line.name!r}, events of {line.name!r}"
            )
        series = drive.hourly_steps[line.main_steps[0].id].to_numpy(dtype=float)
    else:
        series = np.asarray(drive, dtype=float)
    if series.ndim != 1 or not np.all(np.isfinite(series)) or np.any(series < 0):
        raise DriveError("drive: expected a 1-D series of non-negative cells per hour")
    total = np.round(np.cumsum(series))
    return np.diff(total, prepend=0.0).astype(np.int64)


class _Ids:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.counts: dict[str, int] = {}

    def next(self, kind: str) -> str:
        n = self.counts.get(kind, 0) + 1
        self.counts[kind] = n
        return f"{self.prefix}{kind}{n:07d}"


class _Generator:
    def __init__(
        self, line: Line, days: float, seed: int, start: datetime, curves: bool, prefix: str | None
    ) -> None:
        self.line = line
        self.rng = np.random.default_rng(seed)
        self.t0 = start.timestamp()
        self.t_end = self.t0 + days * 86400.0
        self.curves = curves
        self.ids = _Ids(prefix if prefix is not None else f"S{seed}-")
        self.out: list[Event] = []
        self.lots: dict[str, _LotPool] = {}
        self.stations = {s.id: station_names(s.id, s.machines) for s in line.steps}
        self.lot_scale, self.coil_m = 1.0, _COIL_M
        self.branches: list[_Branch] = []
        self.drive: np.ndarray | None = None  # type: ignore[type-arg]

    # -- helpers ---------------------------------------------------------------------------

    def ts(self, t: float) -> str:
        return (
            datetime.fromtimestamp(round(t, 3), UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
        )

    def record(self, step: Step, station: str, unit: str, unit_type: str, t_end: float,
               duration_s: float, ng: bool, params: dict[str, float],
               consumed: list[tuple[str, float]] | None = None) -> None:  # fmt: skip
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
            e["consumed"] = [{"unit": u, "qty": round(q, 4)} for u, q in consumed]
        self.out.append(e)

    def lot_pool(self, material: str, uom: str, size: float) -> _LotPool:
        pool = self.lots.get(material)
        if pool is None:
            pool = self.lots[material] = _LotPool(self, material, uom, size * self.lot_scale)
        return pool

    def duration(self, step: Step, quantity: float) -> float:
        """Processing time of ``quantity`` work units on one machine [s]."""
        if step.kind == "continuous":
            assert step.speed_m_per_s is not None
            return quantity / step.speed_m_per_s
        assert step.cycle_time is not None
        return step.cycle_time.mean_s * (1 if step.kind in ("batch", "dwell") else quantity)

    # -- the run ---------------------------------------------------------------------------

    def run(self) -> Iterator[Event]:
        if self.drive is not None:
            yield from self._run_driven(self.drive)
            return
        rate = cell_rate_per_s(self.line)
        hours = self.line.calendar.hours_per_day
        per_day = rate * hours * 3600.0
        n_cells = int(per_day * (self.t_end - self.t0) / 86400.0)
        chunk = 4096
        for first in range(0, n_cells, chunk):
            idx = np.arange(first, min(first + chunk, n_cells))
            day, within = np.divmod(idx, per_day)
            t_start = self.t0 + day * 86400.0 + within / rate
            self._cells(idx, t_start)
            yield from self.out
            self.out.clear()
        self._states()
        yield from self.out
        self.out.clear()

    def _run_driven(self, counts: np.ndarray) -> Iterator[Event]:  # type: ignore[type-arg]
        """Cells start evenly spaced within each hour, ``counts[h]`` of them in hour ``h``."""
        hour = np.repeat(np.arange(counts.size), counts)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        within = (np.arange(hour.size) - first) / np.repeat(counts, counts)
        t_all = self.t0 + 3600.0 * (hour + within)
        t_all = t_all[t_all < self.t_end]
        chunk = 4096
        for first_i in range(0, t_all.size, chunk):
            idx = np.arange(first_i, min(first_i + chunk, t_all.size))
            self._cells(idx, t_all[idx])
            yield from self.out
            self.out.clear()
        self._states()
        yield from self.out
        self.out.clear()

    def _cells(self, idx: np.ndarray, t_start: np.ndarray) -> None:
        line, rng = self.line, self.rng
        main = line.main_steps
        n = idx.size
        alive = np.ones(n, dtype=bool)
        t = t_start.copy()
        per_step = []
        for k, step in enumerate(main):
            assert step.cycle_time is not None or step.kind == "continuous"
            arrive = t + (rng.exponential(_MAIN_GAP_S, n) if k else 0.0)
            cycle = self.duration(step, line.units_per_cell(step))
            if step.kind in ("batch", "dwell"):
                size = step.units_per_cycle
                group = idx // size
                starts = np.empty(n)
                for g in np.unique(group):
                    members = group == g
                    starts[members] = arrive[members].max()
                machine = group % step.machines
            else:
                starts = arrive
                machine = idx % step.machines
            ends = starts + cycle * rng.lognormal(0.0, 0.03, n)
            ng = alive & (rng.random(n) > step.yield_)
            params = draw_params(process_params(line, step), ng, rng)
            per_step.append((step, ends, ends - starts, machine, ng, alive.copy(), params))
            alive &= ~ng
            t = ends
        for j in range(n):
            self._one_cell(int(idx[j]), j, per_step)

    def _one_cell(self, i: int, j: int, per_step: list[Any]) -> None:
        cell = f"{self.ids.prefix}C{i:08d}"
        for k, (step, ends, durations, machine, ng, alive, params) in enumerate(per_step):
            t_end = float(ends[j])
            if not alive[j] or t_end > self.t_end:
                return
            consumed = self._consumption(step, t_end - float(durations[j]), first=k == 0)
            values = {name: v[j] for name, v in params.items()}
            station = self.stations[step.id][int(machine[j])]
            self.record(step, station, cell, "cell", t_end, float(durations[j]), bool(ng[j]),
                        values, consumed)  # fmt: skip
            if self.curves and step.process in ("formation", "aging"):
                self._curve(step, station, cell, t_end, values)

    def _consumption(self, step: Step, t: float, first: bool) -> list[tuple[str, float]]:
        """What a cell consumes at a main-chain step (branches and bought-in parts)."""
        line = self.line
        design = line.cell.design
        out: list[tuple[str, float]] = []
        if first:
            for branch in self.branches:
                out.extend(branch.take_for_cell(t))
            if not self.branches:
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

    def _states(self) -> None:
        for step in self.line.steps:
            f = step.failures
            if f is None:
                continue
            for station in self.stations[step.id]:
                t = self.t0
                while True:
                    t += float(self.rng.exponential(f.mtbf.mean_s))
                    if t > self.t_end:
                        break
                    reason = _DOWN_REASONS[int(self.rng.integers(len(_DOWN_REASONS)))]
                    if step.process == "coating" and self.rng.random() < 0.3:
                        reason = "web_break"
                    self._state(station, t, "down", reason)
                    t += float(self.rng.exponential(f.mttr.mean_s))
                    if t > self.t_end:
                        break
                    self._state(station, t, "running", None)

    def _state(self, station: str, t: float, state: str, reason: str | None) -> None:
        e: Event = {"id": self.ids.next("e"), "type": "state", "ts": self.ts(t),
                    "station": station, "state": state}  # fmt: skip
        if reason:
            e["reason"] = reason
        self.out.append(e)


class _LotPool:
    """Bought-in material of one kind, registered lot by lot as it is needed."""

    def __init__(self, gen: _Generator, material: str, uom: str, size: float) -> None:
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


class _Stage:
    """A branch step that makes new units, and the steps that then work on those units."""

    def __init__(self, producer: Step, unit_type: str, capacity_cells: float) -> None:
        self.producer = producer
        self.followers: list[Step] = []
        self.unit_type = unit_type
        self.capacity = capacity_cells
        self.current: str | None = None
        self.left = 0.0


class _Branch:
    """An electrode branch, pulled cell by cell by the merge step."""

    def __init__(self, gen: _Generator, name: str, steps: list[Step]) -> None:
        self.gen, self.name = gen, name
        self.stages: list[_Stage] = []
        line = gen.line
        for i, step in enumerate(steps):
            kind = _PRODUCING.get(step.process or "")
            if kind is None and i == 0:
                kind = "electrode_coil" if step.unit == "m" else "electrode_sheet_stack"
            if kind is None:
                self.stages[-1].followers.append(step)
                continue
            upc = line.units_per_cell(step)
            if step.process == "mixing":
                cap = (step.batch_size or 1) / upc
            elif step.process == "coating" or (i == 0 and step.unit == "m"):
                cap = gen.coil_m / upc
            elif step.process == "slitting":
                cap = self.stages[-1].capacity / _LANES if self.stages else gen.coil_m / upc
            else:
                cap = float(_MAGAZINE_CELLS)
            self.stages.append(_Stage(step, kind, cap))
        self.machine = {s.id: 0 for s in steps}

    def take_for_cell(self, t: float) -> list[tuple[str, float]]:
        """The units one cell takes from the branch's last stage, with quantities."""
        last = self.stages[-1]
        upc = self.gen.line.units_per_cell(last.followers[-1] if last.followers else last.producer)
        return [(u, c * upc) for u, c in self._take(len(self.stages) - 1, 1.0, t)]

    def _take(self, s: int, cells: float, t: float) -> list[tuple[str, float]]:
        stage = self.stages[s]
        out = []
        while cells > 1e-9:
            if stage.left <= 1e-9:
                self._produce(s, t)
            assert stage.current is not None
            c = min(cells, stage.left)
            out.append((stage.current, c))
            stage.left -= c
            cells -= c
        return out

    def _produce(self, s: int, t_need: float) -> None:
        """Make one good unit of stage ``s`` ready by ``t_need`` (scrapping NG attempts)."""
        gen, stage, line = self.gen, self.stages[s], self.gen.line
        rng = gen.rng
        steps = [stage.producer, *stage.followers]
        upcs = [line.units_per_cell(st) for st in steps]
        durations = [
            gen.duration(st, stage.capacity * u) for st, u in zip(steps, upcs, strict=True)
        ]
        gaps = rng.exponential(_WIP_GAP_S, len(steps))
        t = t_need - float(np.sum(durations) + np.sum(gaps))
        for _attempt in range(100):
            unit = gen.ids.next("U")
            consumed = self._inputs(s, stage, t - float(durations[0]))
            ok = True
            for st, dur, gap in zip(steps, durations, gaps, strict=True):
                t += dur
                ng = bool(rng.random() > st.yield_)
                params = draw_params(process_params(line, st), np.array([ng]), rng)
                values = {k: v[0] for k, v in params.items()}
                names = gen.stations[st.id]
                self.machine[st.id] = (self.machine[st.id] + 1) % len(names)
                gen.record(st, names[self.machine[st.id]], unit, stage.unit_type, t, dur, ng,
                           values, consumed if st is stage.producer else None)  # fmt: skip
                t += gap
                if ng:
                    ok = False
                    break
            if ok:
                stage.current, stage.left = unit, stage.capacity
                return
        raise GenerateError(
            f"step {stage.producer.id}: 100 NG units in a row at yield"
            f" {stage.producer.yield_:g}; give the step a yield that makes good units"
        )

    def _inputs(self, s: int, stage: _Stage, t: float) -> list[tuple[str, float]]:
        gen, line = self.gen, self.gen.line
        if s > 0:
            prev = self.stages[s - 1]
            upc = line.units_per_cell(prev.followers[-1] if prev.followers else prev.producer)
            return [(u, c * upc) for u, c in self._take(s - 1, stage.capacity, t)]
        design = line.cell.design
        electrode = (
            design and stage.producer.electrode and getattr(design, stage.producer.electrode)
        )
        step = stage.producer
        qty = stage.capacity * line.units_per_cell(step)
        if step.process == "mixing" and electrode:
            af = electrode.active_fraction
            out = gen.lot_pool(f"{self.name}_active_material", "kg", _LOT_SIZE["kg"]).take(
                qty * af, t
            )
            for part in ("binder", "conductive_carbon"):
                pool = gen.lot_pool(f"{self.name}_{part}", "kg", _BINDER_LOT_KG)
                out.extend(pool.take(qty * (1 - af) / 2, t))
            return out
        uom = step.unit if step.unit in _LOT_SIZE else "pcs"
        return gen.lot_pool(f"{self.name}_material", uom, _LOT_SIZE[uom]).take(qty, t)
