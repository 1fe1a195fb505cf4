"""An MES store in plain Python: every port of :mod:`gigaline.mes.ports`, no database.

For unit tests of ingestion and the services (and, later, of the HTTP API), and as the
executable meaning of each door: a second implementation that the services run on unchanged
proves they ask nothing of SQL. Not for production: nothing is durable, and it keeps
everything in memory. One lock serialises every call, so an append is atomic for readers in
other threads too.
"""

from __future__ import annotations

import hashlib
import threading
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import orjson

from gigaline.events import EventKey
from gigaline.mes.measures import numbers
from gigaline.mes.ports import (
    ActiveHold,
    Alarm,
    AppendConflictError,
    CellGrade,
    Feature,
    HoldRow,
    LineLayout,
    Link,
    MeasureSeries,
    NewHold,
    OeeHourSums,
    OeeLayout,
    OeeStep,
    PlacedHold,
    RecordTally,
    StationEdges,
    StationRef,
    StationTimeline,
    StepInfo,
    StepResult,
    StoredCurve,
    StoredRecord,
    UnitHistory,
    Waiting,
)
from gigaline.mes.propagation import held_units
from gigaline.mes.rows import DeadLetter, Parked, Rows
from gigaline.model.quality import QualitySpec

__all__ = ["MemoryStore"]


class _Hold:
    __slots__ = ("created", "created_by", "id", "reason", "release_reason", "released",
                 "released_by", "target")  # fmt: skip

    def __init__(self, hold_id: int, new: NewHold) -> None:
        self.id, self.target, self.reason = hold_id, new.target, new.reason
        self.created, self.created_by = new.created, new.by
        self.released: datetime | None = None
        self.release_reason: str | None = None
        self.released_by: str | None = None


class MemoryStore:
    """Every door of an MES store, in dictionaries and lists."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._site: str | None = None
        self._lines: dict[str, tuple[str, str, str | None]] = {}  # line -> (site, area, quality)
        self._steps: dict[tuple[str, str], tuple[int, StepInfo]] = {}  # (line, step) -> (id, info)
        self._step_oee: dict[tuple[str, str], tuple[str, float | None]] = {}  # -> (kind, PRI)
        self._calendars: dict[str, str | None] = {}
        self._stations: dict[str, StationRef] = {}
        self._events: dict[EventKey, tuple[Any, ...]] = {}
        self._lots: dict[str, tuple[Any, ...]] = {}
        self._units: dict[str, tuple[Any, ...]] = {}
        self._records: list[tuple[Any, ...]] = []  # in append order
        self._records_of: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        self._parents: dict[str, list[tuple[str, str]]] = defaultdict(list)  # child -> parents
        self._children: dict[str, list[str]] = defaultdict(list)  # parent -> children
        self._links: list[Link] = []
        self._genealogy = 0
        self._states: list[tuple[Any, ...]] = []
        self._curves: list[tuple[Any, ...]] = []
        self._holds: dict[int, _Hold] = {}
        self._held: dict[int, set[str]] = defaultdict(set)
        self._alarms: dict[str, tuple[Alarm, int | None]] = {}
        self._grades: dict[str, tuple[CellGrade, datetime]] = {}
        self._dead: dict[str, Any] = {}
        self._waiting: dict[tuple[str, str], Parked] = {}  # (site, id) -> the waiting event

    def require(self, feature: Feature) -> None:
        """Every feature is served."""

    def close(self) -> None:
        """Nothing to release."""

    def forget(self) -> None:
        """Nothing kept: every look-up reads the dictionaries."""

    # -- EventLog ------------------------------------------------------------------------

    @property
    def site(self) -> str:
        return self._site or "site"

    def stations(self) -> Mapping[str, StationRef]:
        with self._lock:
            return dict(self._stations)

    def known_events(self, site: str, ids: Collection[str]) -> set[str]:
        with self._lock:
            return {i for i in ids if (site, i) in self._events}

    def unit_types(self, names: Collection[str]) -> dict[str, str]:
        with self._lock:
            return {n: self._units[n][0] for n in names if n in self._units}

    def unit_firsts(self, names: Collection[str]) -> dict[str, tuple[str, Any, str]]:
        with self._lock:
            return {n: self._units[n] for n in names if n in self._units}

    def existing_lots(self, names: Collection[str]) -> set[str]:
        with self._lock:
            return {n for n in names if n in self._lots}

    def _active_holds(self, names: Collection[str]) -> dict[str, set[int]]:
        """Lot or unit name -> ids of the active holds on it (call under the lock)."""
        wanted = set(names)
        out: dict[str, set[int]] = {}
        for hold_id, units in self._held.items():
            if self._holds[hold_id].released is None:
                for u in units & wanted:
                    out.setdefault(u, set()).add(hold_id)
        for h in self._holds.values():
            if h.released is None and h.target in wanted:
                out.setdefault(h.target, set()).add(h.id)
        return out

    def row_time(self, ts: datetime) -> Any:
        return ts

    def ready_pending(self) -> list[Waiting]:
        with self._lock:
            ready = [
                w for key, w in self._waiting.items()
                if w.waits_for in self._units or w.waits_for in self._lots or key in self._events
            ]  # fmt: skip
            ready.sort(key=lambda w: (w.received, w.event_id))
            return [Waiting(w.site, w.event_id, w.raw, w.received) for w in ready]

    def pending_among(self, keys: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        with self._lock:
            return {k for k in keys if k in self._waiting}

    def expire_pending(self, before: datetime, reason: str) -> int:
        with self._lock:
            old = [w for w in self._waiting.values() if w.received < before]
            for w in old:
                digest = hashlib.sha256(w.raw.encode("utf-8", "surrogatepass")).hexdigest()
                self._dead.setdefault(
                    digest, DeadLetter(w.received, w.event_id, reason + w.reason, w.raw, digest)
                )
                del self._waiting[(w.site, w.event_id)]
            return len(old)

    def append(self, rows: Rows) -> int:
        with self._lock:
            keys = rows.event_keys()
            if (
                any(k in self._events for k in keys)
                or any(r[0] in self._units for r in rows.units)
                or any(r[0] in self._lots for r in rows.lots)
                or len(set(keys)) != len(keys)
            ):
                raise AppendConflictError("a row of the batch is stored already")
            for r in rows.events:
                self._events[(r[2], r[0])] = r
            for r in rows.lots:
                self._lots[r[0]] = r[1:]
            for r in rows.units:
                self._units[r[0]] = r[1:]
            for unit, unit_type, ts, event_id in rows.earlier_units:
                _, first_ts, first_id = self._units[unit]
                if (ts, event_id) < (first_ts, first_id):
                    self._units[unit] = (unit_type, ts, event_id)
            for r in rows.process_records:
                self._records.append(r)
                self._records_of[r[1]].append(r)
            for parent, kind, child, qty, *_ in rows.genealogy:
                self._parents[child].append((parent, kind))
                self._children[parent].append(child)
                self._links.append(Link(parent, kind, child, float(qty)))
            self._genealogy += len(rows.genealogy)
            self._states.extend(rows.machine_states)
            self._curves.extend(rows.curves)
            rows.held_units = held_units(
                rows,
                self._active_holds,
                lambda names: {n: list(self._children[n]) for n in names if n in self._children},
            )
            for hold_id, unit in rows.held_units:
                self._held[hold_id].add(unit)
            for d in rows.dead_letters:
                self._dead.setdefault(d.raw_sha256, d)
            for key in rows.settled:
                self._waiting.pop(key, None)
            for w in rows.parked:
                key = (w.site, w.event_id)
                first = self._waiting.get(key)
                self._waiting[key] = w if first is None else replace(w, received=first.received)
            return len(keys)

    # -- LineRegistry --------------------------------------------------------------------

    def register_line(self, layout: LineLayout) -> int:
        with self._lock:
            if self._site is None:
                self._site = layout.site
            self._lines[layout.line] = (layout.site, layout.area, layout.quality_json)
            self._calendars[layout.line] = layout.calendar_json
            added = 0
            for step in layout.steps:
                key = (layout.line, step.name)
                if key not in self._steps:
                    info = StepInfo(step.name, layout.line, step.process, step.position)
                    self._steps[key] = (len(self._steps) + 1, info)
                step_id, info = self._steps[key]
                self._step_oee[key] = (step.kind, step.pri_s)
                for name in step.stations:
                    if name not in self._stations:
                        self._stations[name] = StationRef(
                            len(self._stations) + 1, step_id, info.name
                        )
                        added += 1
            return added

    def steps(self) -> list[StepInfo]:
        with self._lock:
            order = list(self._lines)
            infos = [info for _, info in self._steps.values()]
            return sorted(infos, key=lambda s: (order.index(s.line), s.position))

    def qualities(self) -> dict[str, QualitySpec | None]:
        with self._lock:
            return {
                line: None if q is None else QualitySpec.model_validate_json(q)
                for line, (_, _, q) in self._lines.items()
            }

    # -- GenealogyReader -----------------------------------------------------------------

    def kind_of(self, name: str) -> Literal["unit", "lot"] | None:
        with self._lock:
            return "unit" if name in self._units else "lot" if name in self._lots else None

    def _step_station_names(self) -> tuple[dict[int, str], dict[int, str]]:
        steps = {i: info.name for i, info in self._steps.values()}
        stations = {ref.station_id: name for name, ref in self._stations.items()}
        return steps, stations

    def history(self, unit: str) -> UnitHistory | None:
        with self._lock:
            if unit not in self._units:
                return None
            steps, stations = self._step_station_names()
            records = sorted(self._records_of.get(unit, ()), key=lambda r: _utc(r[5]))
            out = [
                StoredRecord(steps[r[2]], stations[r[3]], r[4], r[5], r[6], r[7],
                             orjson.loads(r[8]) if r[8] else {}, r[0])
                for r in records
            ]  # fmt: skip
            curves = sorted((c for c in self._curves if c[1] == unit), key=lambda c: _utc(c[4]))
            holds = [
                ActiveHold(h.id, h.target, h.reason, h.created)
                for h in sorted(self._holds.values(), key=lambda h: h.id)
                if h.released is None and unit in self._held.get(h.id, ())
            ]
            return UnitHistory(
                unit,
                self._units[unit][0],
                out,
                self._ancestors(unit),
                [StoredCurve(c[2], c[4], orjson.loads(c[9])) for c in curves],
                holds,
            )

    def _ancestors(self, unit: str) -> list[tuple[str, str]]:
        seen: dict[str, str] = {}
        todo = [unit]
        while todo:
            for parent, kind in self._parents.get(todo.pop(), ()):
                if parent not in seen:
                    seen[parent] = kind
                    if kind == "unit":
                        todo.append(parent)
        seen.pop(unit, None)  # a stored cycle: never its own ancestor
        return list(seen.items())

    def ancestors(self, unit: str) -> list[tuple[str, str]]:
        with self._lock:
            return self._ancestors(unit)

    def links(self, names: Collection[str], direction: Literal["in", "out"]) -> list[Link]:
        wanted = set(names)
        with self._lock:
            if direction == "in":
                return [x for x in self._links if x.child in wanted]
            return [x for x in self._links if x.parent in wanted]

    def _descendants(self, names: Collection[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(names)
        while todo:
            for child in self._children.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return seen - set(names)  # a stored cycle: never its own descendant

    def descendants(self, name: str) -> list[tuple[str, str]]:
        with self._lock:
            return sorted((u, self._units[u][0]) for u in self._descendants([name]))

    # -- MeasureReader -------------------------------------------------------------------

    def _in_time_order(self, rows: list[tuple[Any, ...]], ts: int) -> list[tuple[Any, ...]]:
        return sorted(rows, key=lambda r: _utc(r[ts]))  # stable: ties keep append order

    def measure_series(
        self, step: str, param: str, since: datetime | None, last: int | None = None
    ) -> MeasureSeries:
        with self._lock:
            ids = {i for (_, name), (i, _) in self._steps.items() if name == step}
            rows = [r for r in self._records if r[2] in ids and r[8] is not None]
            if since is not None:
                start = _utc(since)
                rows = [r for r in rows if _utc(r[5]) >= start]
            picked = []
            for r in self._in_time_order(rows, 5):
                value = numbers(r[8], (param,))[0]
                if value is not None:
                    picked.append((r[1], r[5], value))
        truncated = last is not None and len(picked) > last
        if truncated:
            picked = picked[len(picked) - int(last or 0) :]
        return MeasureSeries(
            step, param, [p[0] for p in picked], [p[1] for p in picked],
            np.array([p[2] for p in picked], dtype=np.float64), truncated,
        )  # fmt: skip

    def latest_cell_params(
        self, process: str, names: Sequence[str]
    ) -> dict[str, tuple[float | None, ...]]:
        with self._lock:
            ids = {i for i, info in self._steps.values() if info.process == process}
            rows = [
                r for r in self._records
                if r[2] in ids and self._units.get(r[1], ("",))[0] == "cell"
            ]  # fmt: skip
            return {r[1]: numbers(r[8], names) for r in self._in_time_order(rows, 5)}

    def latest_curve_features(
        self, kind: str, names: Sequence[str]
    ) -> dict[str, tuple[float | None, ...]]:
        with self._lock:
            rows = [c for c in self._curves if c[2] == kind]
            return {c[1]: numbers(c[9], names) for c in self._in_time_order(rows, 4)}

    # -- HoldBook, AlarmBook, GradeBook ----------------------------------------------------

    def _add_hold(self, hold: NewHold) -> PlacedHold:
        hold_id = len(self._holds) + 1
        self._holds[hold_id] = _Hold(hold_id, hold)
        self._held[hold_id] = set(hold.units) | self._descendants([hold.target, *hold.units])
        return PlacedHold(hold_id, len(self._held[hold_id]))

    def add_hold(self, hold: NewHold) -> PlacedHold:
        with self._lock:
            return self._add_hold(hold)

    def _row(self, h: _Hold) -> HoldRow:
        return HoldRow(h.id, h.target, h.reason, h.created, h.created_by, h.released,
                       h.release_reason, h.released_by, len(self._held.get(h.id, ())))  # fmt: skip

    def holds(self, include_released: bool = False) -> list[HoldRow]:
        with self._lock:
            return [
                self._row(h)
                for h in sorted(self._holds.values(), key=lambda h: -h.id)
                if include_released or h.released is None
            ]

    def get_hold(self, hold_id: int) -> HoldRow | None:
        with self._lock:
            h = self._holds.get(hold_id)
            return None if h is None else self._row(h)

    def release_hold(self, hold_id: int, reason: str, by: str, when: datetime) -> bool:
        with self._lock:
            h = self._holds.get(hold_id)
            if h is None or h.released is not None:
                return False
            h.released, h.release_reason, h.released_by = when, reason, by
            return True

    def recent_alarms(
        self, limit: int, step: str | None = None, param: str | None = None
    ) -> list[tuple[Alarm, int | None]]:
        with self._lock:
            found = [
                (a, h) for a, h in self._alarms.values()
                if (step is None or a.step == step) and (param is None or a.param == param)
            ]  # fmt: skip
        return found[::-1][:limit]

    def known_alarms(self, keys: Collection[str]) -> set[str]:
        with self._lock:
            return {k for k in keys if k in self._alarms}

    def record_alarms(
        self, alarms: Sequence[Alarm], hold: NewHold | None
    ) -> tuple[int, PlacedHold | None]:
        with self._lock:
            new = [a for a in alarms if a.key not in self._alarms]
            placed = self._add_hold(hold) if new and hold is not None else None
            for a in new:
                self._alarms[a.key] = (a, None if placed is None else placed.id)
            return len(new), placed

    def alarms(self) -> list[tuple[Alarm, int | None]]:
        """Every stored alarm with the id of the hold it started (for tests)."""
        with self._lock:
            return list(self._alarms.values())

    def hold_units(self, hold_id: int, limit: int) -> list[str]:
        with self._lock:
            return sorted(self._held.get(hold_id, ()))[:limit]

    def held_units(self, hold_id: int) -> set[str]:
        """The units a hold covers (for tests)."""
        with self._lock:
            return set(self._held.get(hold_id, ()))

    def replace_grades(self, grades: Sequence[CellGrade], graded: datetime) -> None:
        with self._lock:
            self._grades = {g.unit: (g, graded) for g in grades}

    def grades(self) -> dict[str, str]:
        """Cell -> stored grade (for tests)."""
        with self._lock:
            return {u: g.grade for u, (g, _) in self._grades.items()}

    # -- OeeReader -----------------------------------------------------------------------

    def oee_layout(self) -> OeeLayout:
        with self._lock:
            by_step: dict[int, list[str]] = defaultdict(list)
            for name, ref in sorted(self._stations.items(), key=lambda kv: kv[1].station_id):
                by_step[ref.step_id].append(name)
            order = list(self._lines)
            steps = [
                OeeStep(info.name, info.line, self._step_oee[key][0], info.position,
                        self._step_oee[key][1], tuple(by_step[i]))
                for key, (i, info) in self._steps.items()
            ]  # fmt: skip
            steps.sort(key=lambda s: (order.index(s.line), s.position))
            return OeeLayout(dict(self._calendars), steps)

    def station_record_tallies(
        self, stations: Collection[str], since: datetime, until: datetime
    ) -> dict[str, RecordTally]:
        got = self.station_timelines(stations, since, until)
        return {
            n: RecordTally(len(tl.record_s), int(tl.record_ok.sum()), float(tl.record_s.max()))
            for n, tl in got.items()
            if len(tl.record_s)
        }

    def station_last_records(
        self, stations: Collection[str], since: datetime, until: datetime
    ) -> dict[str, float]:
        return {n: t.last_s for n, t in self.station_record_tallies(stations, since, until).items()}

    def station_edges(
        self, stations: Collection[str], since: datetime, until: datetime
    ) -> StationEdges:
        return StationEdges.of(self.station_timelines(stations, since, until))

    def station_timelines(
        self, stations: Collection[str], since: datetime, until: datetime, *,
        records: bool = True,
    ) -> dict[str, StationTimeline]:  # fmt: skip
        a, b = _utc(since), _utc(until)
        with self._lock:
            ids = {self._stations[n].station_id: n for n in stations if n in self._stations}
            standing: dict[int, tuple[datetime, str, str | None]] = {}
            inside: dict[int, list[tuple[datetime, str, str | None]]] = defaultdict(list)
            for row in sorted(self._states, key=lambda r: _utc(r[2])):  # stable: append order
                sid, ts = row[1], _utc(row[2])
                if sid not in ids:
                    continue
                if ts < a:
                    standing[sid] = (ts, row[3], row[4])
                elif ts < b:
                    inside[sid].append((ts, row[3], row[4]))
            recs: dict[int, list[tuple[float, bool]]] = defaultdict(list)
            last: dict[int, float] = {sid: st[0].timestamp() for sid, st in standing.items()}
            for r in self._records:
                ts = _utc(r[5])
                if r[3] in ids and a <= ts < b:
                    if records:
                        recs[r[3]].append((ts.timestamp(), r[6] == "OK"))
                elif r[3] in ids and ts < a:
                    last[r[3]] = max(last.get(r[3], -np.inf), ts.timestamp())
        out = {}
        for sid, name in ids.items():
            rows = sorted(recs.get(sid, ()))
            out[name] = StationTimeline(
                name, standing.get(sid), inside.get(sid, []),
                np.array([t for t, _ in rows], dtype=np.float64),
                np.array([ok for _, ok in rows], dtype=np.bool_), last.get(sid),
            )  # fmt: skip
        return out

    def oee_hour_sums(
        self, stations: Collection[str], since_s: int, until_s: int, silence_s: float,
        buckets: Sequence[tuple[float, float]], *, by_step: bool = False,
        quarters: Sequence[tuple[int, int]] = (), downtime: bool = True,
    ) -> OeeHourSums:  # fmt: skip
        """None stored: a memory store keeps no hourly summaries (it is read raw)."""
        return OeeHourSums({}, {}, {})

    # -- Tallies -------------------------------------------------------------------------

    def table_counts(self) -> dict[str, int]:
        with self._lock:
            return {
                "events": len(self._events), "lots": len(self._lots), "units": len(self._units),
                "process_records": len(self._records), "genealogy": self._genealogy,
                "machine_states": len(self._states), "curves": len(self._curves),
                "holds": len(self._holds), "held_units": sum(map(len, self._held.values())),
                "dead_letters": len(self._dead), "pending_events": len(self._waiting),
            }  # fmt: skip

    def step_results(self) -> list[StepResult]:
        with self._lock:
            n: dict[int, int] = defaultdict(int)
            ok: dict[int, int] = defaultdict(int)
            for r in self._records:
                n[r[2]] += 1
                ok[r[2]] += r[6] == "OK"
            infos = {i: info for i, info in self._steps.values()}
            out = [StepResult(infos[i].name, infos[i].position, n[i], ok[i]) for i in n]
            return sorted(out, key=lambda s: s.position)

    def latest_time(self) -> datetime | None:
        with self._lock:
            times = [_utc(r[5]) for r in self._records] + [_utc(r[2]) for r in self._states]
            return max(times) if times else None

    def first_state_time(self) -> datetime | None:
        with self._lock:
            times = [_utc(r[2]) for r in self._states]
            return min(times) if times else None


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
