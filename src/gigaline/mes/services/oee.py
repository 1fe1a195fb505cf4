"""Live OEE per ISO 22400-2:2014 (clause 6.10) from the stored states and records.

The factors come from the same function as the twin's (:func:`gigaline.kpi.oee_factors`), so
the same state times and counts give the same availability, performance and quality bit for
bit. Per station, over the window [since, until) (``until`` never later than now):

* **POT**, planned operation time: the window.
* **PDOT**, planned downtime: the part of the window in the line calendar's planned stops
  (time outside the scheduled shifts, days off, planned maintenance; the layout of
  :mod:`gigaline.sim.calendar`, day 0 at 00:00 UTC on 1 January of the window's year). Not at
  dwell steps (formation and aging holds go on through them, as in the twin). Whatever a
  station reports during a planned stop is not counted.
* **PBT** = POT - PDOT, planned busy time.
* **APT**, actual production time: time in ``running`` inside PBT.
* **Downtime**: the rest of PBT, by state (``down``, ``setup``, ``starved``, ``blocked``,
  ``idle``, ``maintenance``, ``stopped``, ``off``) and reason, plus **unqualified downtime**:
  time with no state known (nothing stored before it), and time while ``running`` more than
  ``silence_s`` (:attr:`gigaline.settings.Settings.oee_silence_s`) after the station's last
  message in the window (a state change or a process record; the window's start counts as one).
* **PQ**, produced quantity: process records ending in the window; **GQ**: the OK ones.
* **PRI**, planned run time per item: from the line file (``gigaline mes init``; per cell, so
  undefined at steps whose records are per coil or batch).

A step sums its stations (POT = stations x window), as the twin sums its machines; a line sums
every station, its performance over the stations with a PRI (PRI weighted by PQ). The downtime
Pareto ranks (state, reason) of the selection by time, with how often each began.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Literal

import numpy as np

from gigaline.errors import FieldError, NotFoundError
from gigaline.kpi import effectiveness, oee_factors
from gigaline.mes.ports import OeeReader, OeeStep, StationTimeline
from gigaline.mes.services.models import DowntimeCause, OeeReport, OeeRow, rfc3339

__all__ = ["DEFAULT_WINDOW", "live_oee"]

#: The window when ``since`` is not given: the last 24 hours before ``until``.
DEFAULT_WINDOW = timedelta(hours=24)
UNQUALIFIED = "unqualified"
_PRODUCTION = "running"

Key = tuple[str, str | None]  # (state, reason)
Group = list[tuple[OeeStep, tuple[str, ...]]]  # steps and the stations of each taken


@dataclass
class _Segments:
    """A station's window cut into pieces: planned, production, downtime (state, reason)."""

    start: list[float] = field(default_factory=list)
    end: list[float] = field(default_factory=list)
    kind: list[Key | None] = field(default_factory=list)  # None: planned stop
    entry: list[int] = field(default_factory=list)  # index of the state interval (occurrences)


@dataclass
class _Elements:
    pot_s: float = 0.0
    pdot_s: float = 0.0
    apt_s: float = 0.0
    unqualified_s: float = 0.0
    pq: int = 0
    gq: int = 0
    down: dict[Key, float] = field(default_factory=lambda: defaultdict(float))
    entries: dict[Key, set[tuple[str, int]]] = field(default_factory=lambda: defaultdict(set))


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _planned_stops(calendar_json: str | None, a: float, b: float) -> list[tuple[float, float]]:
    """The calendar's planned stops inside [a, b), UNIX seconds."""
    if calendar_json is None:
        return []
    from gigaline.model import Calendar
    from gigaline.sim.calendar import planned_stops

    cal = Calendar.model_validate_json(calendar_json)
    year = datetime.fromtimestamp(a, UTC).year
    anchor = datetime(year, 1, 1, tzinfo=UTC).timestamp()
    flat = planned_stops(cal, b - anchor)
    out = []
    for s, e in flat.reshape(-1, 2):
        lo, hi = max(a, anchor + float(s)), min(b, anchor + float(e))
        if hi > lo:
            out.append((lo, hi))
    return out


def _cut(
    tl: StationTimeline, a: float, b: float, stops: list[tuple[float, float]], silence_s: float
) -> _Segments:
    """Cut [a, b) into planned stops, production and downtime by (state, reason)."""
    changes: list[tuple[float, str | None, str | None]] = [
        (a, tl.standing[1], tl.standing[2]) if tl.standing else (a, None, None)
    ]
    changes += [(ts.timestamp(), st, reason) for ts, st, reason in tl.states]
    change_t = [c[0] for c in changes]
    messages = sorted({a, b, *change_t[1:], *tl.record_s.tolist()})
    silent = [
        (m + silence_s, n) for m, n in pairwise(messages)
        if n - m > silence_s
    ]  # fmt: skip
    cuts = sorted({a, b, *change_t, *(x for ab in stops for x in ab),
                   *(x for ab in silent for x in ab)})  # fmt: skip
    stop_t = [x for ab in stops for x in ab]
    silent_t = [x for ab in silent for x in ab]
    seg = _Segments()
    for x, y in pairwise(cuts):
        if y <= x or x < a or y > b:
            continue
        mid = 0.5 * (x + y)
        i = bisect_right(change_t, mid) - 1
        _, state, reason = changes[i]
        kind: Key | None
        if bisect_right(stop_t, mid) % 2 == 1:
            kind = None
        elif state is None or (state == _PRODUCTION and bisect_right(silent_t, mid) % 2 == 1):
            kind = (UNQUALIFIED, None if state is None else "silent while running")
        else:
            kind = (state, reason)
        if seg.kind and seg.kind[-1] == kind and seg.entry[-1] == i and seg.end[-1] == x:
            seg.end[-1] = y
            continue
        seg.start.append(x)
        seg.end.append(y)
        seg.kind.append(kind)
        seg.entry.append(i)
    return seg


def _add(
    out: _Elements, name: str, seg: _Segments, tl: StationTimeline, lo: float, hi: float
) -> None:
    """Add one station's elements over [lo, hi) to ``out``."""
    out.pot_s += hi - lo
    for x, y, kind, entry in zip(seg.start, seg.end, seg.kind, seg.entry, strict=True):
        d = min(y, hi) - max(x, lo)
        if d <= 0:
            continue
        if kind is None:
            out.pdot_s += d
        elif kind[0] == _PRODUCTION:
            out.apt_s += d
        else:
            if kind[0] == UNQUALIFIED:
                out.unqualified_s += d
            out.down[kind] += d
            out.entries[kind].add((name, entry))
    i, j = np.searchsorted(tl.record_s, [lo, hi], side="left")
    out.pq += int(j - i)
    out.gq += int(np.count_nonzero(tl.record_ok[i:j]))


def _num(x: float) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


def _row(
    scope: str, name: str, stations: int, pot_s: float, el: _Elements,
    pri_s: float | None, perf: float | None, lo: float, hi: float, shift: str | None,
) -> OeeRow:  # fmt: skip
    pri = math.nan if pri_s is None else pri_s
    a, e, q = oee_factors(pot_s, el.pdot_s, el.apt_s, pri, float(el.pq), float(el.gq))
    if perf is not None:
        e = perf
    pbt = pot_s - el.pdot_s
    undefined: dict[str, str] = {}
    if math.isnan(a):
        undefined["availability"] = "no planned busy time in the window (planned stops only)"
    if math.isnan(e):
        undefined["performance"] = (
            "no planned run time per item (PRI): the step's records are not per cell"
            if pri_s is None
            else "no actual production time in the window (never running)"
        )
    if math.isnan(q):
        undefined["quality"] = "no process records in the window"
    oee = a * e * q
    if undefined:
        first = next(iter(undefined))
        undefined = {"oee": f"its {first} is undefined: {undefined[first]}", **undefined}
    return OeeRow(
        scope=scope, name=name, shift=shift,
        start=rfc3339(datetime.fromtimestamp(lo, UTC)),
        end=rfc3339(datetime.fromtimestamp(hi, UTC)),
        stations=stations, planned_operation_s=pot_s, planned_downtime_s=el.pdot_s,
        planned_busy_s=pbt, production_s=el.apt_s, downtime_s=pbt - el.apt_s,
        unqualified_s=el.unqualified_s, produced=el.pq, good=el.gq, pri_s=pri_s,
        availability=_num(a), performance=_num(e), quality=_num(q), oee=_num(oee),
        undefined=undefined,
    )  # fmt: skip


def _shifts(calendar_json: str | None, a: float, b: float) -> list[tuple[str, float, float]]:
    """(label, start, end) of the calendar's shifts that overlap [a, b), clipped to it."""
    from gigaline.model import Calendar

    cal = None if calendar_json is None else Calendar.model_validate_json(calendar_json)
    if cal is None or cal.shifts_per_day is None or cal.hours_per_shift is None:
        raise FieldError(
            "by", "shift", "the line's calendar names no shifts (give it shifts_per_day and "
            "hours_per_shift, and register it again with `gigaline mes init`)",
        )  # fmt: skip
    length = cal.hours_per_shift * 3600.0
    day = math.floor(a / 86400.0) * 86400.0
    out = []
    while day < b:
        for k in range(cal.shifts_per_day):
            s, e = day + k * length, day + (k + 1) * length
            lo, hi = max(a, s), min(b, e)
            if hi > lo:
                label = f"{datetime.fromtimestamp(day, UTC).date().isoformat()} shift {k + 1}"
                out.append((label, lo, hi))
        day += 86400.0
    return out


def live_oee(
    store: OeeReader,
    station: str | None = None,
    step: str | None = None,
    line: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    by: Literal["shift"] | None = None,
    *,
    silence_s: float | None = None,
    now: datetime | None = None,
) -> OeeReport:
    """OEE, its factors and the downtime Pareto of a station, a step or a line (default: the
    store's line) over [since, until) (default: the 24 h before now), per shift with
    ``by="shift"``. Reads only."""
    if sum(x is not None for x in (station, step, line)) > 1:
        raise FieldError("station", station or step, "give one of station, step and line")
    if by not in (None, "shift"):
        raise FieldError("by", by, "allowed: shift")
    if silence_s is None:
        from gigaline.settings import Settings

        silence_s = Settings.load().oee_silence_s
    if not silence_s > 0:
        raise FieldError("silence_s", silence_s, "a positive number of seconds")
    now_dt = _utc(now) if now is not None else datetime.now(UTC)
    end_dt = min(_utc(until), now_dt) if until is not None else now_dt
    start_dt = _utc(since) if since is not None else end_dt - DEFAULT_WINDOW
    if start_dt >= end_dt:
        raise FieldError(
            "since", rfc3339(start_dt),
            f"the window is empty: since must be before until ({rfc3339(end_dt)}, "
            "never later than now)",
        )  # fmt: skip
    layout = store.oee_layout()
    steps = layout.steps
    if station is not None:
        picked = [s for s in steps if station in s.stations]
        if not picked:
            raise NotFoundError("station", station, "station")
        top_scope, top_name = "station", station
        top: Group = [(picked[0], (station,))]
        parts: list[tuple[str, str, Group]] = []
    elif step is not None:
        picked = [s for s in steps if s.name == step]
        if not picked:
            known = ", ".join(s.name for s in steps[:20])
            raise NotFoundError("step", step, "step", f"steps: {known}" if known else "")
        top_scope, top_name = "step", step
        top = [(s, s.stations) for s in picked]
        parts = [("station", n, [(s, (n,))]) for s in picked for n in s.stations]
    else:
        lines = list(dict.fromkeys(s.line for s in steps))
        if line is None:
            if len(lines) != 1:
                raise FieldError("line", None, f"the store has {len(lines)} lines; name one")
            line = lines[0]
        elif line not in lines:
            raise NotFoundError("line", line, "line", f"lines: {', '.join(lines)}")
        picked = [s for s in steps if s.line == line]
        top_scope, top_name = "line", line
        top = [(s, s.stations) for s in picked]
        parts = [("step", s.name, [(s, s.stations)]) for s in picked]
    a, b = start_dt.timestamp(), end_dt.timestamp()
    names = [n for s, ns in top for n in ns]
    timelines = store.station_timelines(names, start_dt, end_dt)
    cuts: dict[str, _Segments] = {}
    stops_of: dict[tuple[str, bool], list[tuple[float, float]]] = {}
    for s, ns in top:
        exempt = s.kind == "dwell"
        key = (s.line, exempt)
        if key not in stops_of:
            stops_of[key] = [] if exempt else _planned_stops(layout.calendars.get(s.line), a, b)
        for n in ns:
            cuts[n] = _cut(timelines[n], a, b, stops_of[key], silence_s)

    def figures(
        scope: str, name: str, group: Group, lo: float,
        hi: float, shift: str | None,
    ) -> tuple[OeeRow, _Elements]:  # fmt: skip
        total = _Elements()
        with_pri = _Elements()
        work = 0.0
        n_stations = 0
        pri_values = set()
        for s, ns in group:
            for n in ns:
                el = _Elements()
                _add(el, n, cuts[n], timelines[n], lo, hi)
                _add(total, n, cuts[n], timelines[n], lo, hi)
                n_stations += 1
                if s.pri_s is not None:
                    pri_values.add(s.pri_s)
                    with_pri.apt_s += el.apt_s
                    with_pri.pq += el.pq
                    work += s.pri_s * el.pq
        total.pot_s = n_stations * (hi - lo)  # as the twin: machines x window
        perf: float | None = None
        if len(group) == 1:  # one step: its PRI, exactly as the twin
            pri = group[0][0].pri_s
        else:  # several steps: PRI weighted by PQ, over the stations that have one
            pri = work / with_pri.pq if with_pri.pq else (min(pri_values) if pri_values else None)
            if pri is not None:
                perf = float(effectiveness(pri, float(with_pri.pq), with_pri.apt_s))
        row = _row(scope, name, n_stations, total.pot_s, total, pri, perf, lo, hi, shift)
        return row, total

    rows: list[OeeRow] = []
    if by == "shift":
        calendars = {s.line for s, _ in top}
        for label, lo, hi in _shifts(layout.calendars.get(next(iter(calendars))), a, b):
            rows.append(figures(top_scope, top_name, top, lo, hi, label)[0])
        whole = figures(top_scope, top_name, top, a, b, None)[1]
    else:
        first, whole = figures(top_scope, top_name, top, a, b, None)
        rows.append(first)
        rows.extend(figures(scope, name, group, a, b, None)[0] for scope, name, group in parts)
    return OeeReport(
        since=rfc3339(start_dt), until=rfc3339(end_dt), by=by, silence_s=float(silence_s),
        rows=rows, pareto=_pareto(whole),
    )  # fmt: skip


def _pareto(el: _Elements) -> list[DowntimeCause]:
    """Downtime by (state, reason), longest first, with shares of the total downtime."""
    total = sum(el.down.values())
    ranked = sorted(el.down.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1] or ""))
    out, running = [], 0.0
    for (state, reason), seconds in ranked:
        running += seconds
        out.append(
            DowntimeCause(
                state=state, reason=reason, seconds=seconds,
                occurrences=len(el.entries[(state, reason)]),
                share=seconds / total if total else 0.0,
                cumulative=running / total if total else 0.0,
            )
        )  # fmt: skip
    return out
