"""Live OEE per ISO 22400-2:2014 (clause 6.10) from the stored states and records.

The factors come from the same function as the twin's (:func:`gigaline.kpi.oee_factors`), so
the same state times and counts give the same availability, performance and quality bit for
bit. Per station, over the window [since, until) (``until`` never later than now):

* **POT**, planned operation time: the window.
* **PDOT**, planned downtime: the part of the window in the line calendar's planned stops
  (time outside the scheduled shifts, days off, planned maintenance; the layout of
  :mod:`gigaline.model.calendar`, day 0 at 00:00 UTC on 1 January of the window's year). Not at
  dwell steps (formation and aging holds go on through them, as in the twin). Whatever a
  station reports during a planned stop is not counted.
* **PBT** = POT - PDOT, planned busy time.
* **APT**, actual production time: time in ``running`` inside PBT.
* **Downtime**: the rest of PBT, by state (``down``, ``setup``, ``starved``, ``blocked``,
  ``idle``, ``maintenance``, ``stopped``, ``off``) and reason, plus **unqualified downtime**:
  time with no state known (nothing stored before it), and time while ``running`` more than
  ``silence_s`` (:attr:`gigaline.settings.Settings.oee_silence_s`) after the station's last
  message (a state change or a process record), wherever it is: before the window too (until
  2026-12 the window's start counted as a message, which made an instant's silence depend on
  the window).
* **PQ**, produced quantity: process records ending in the window; **GQ**: the OK ones.
* **PRI**, planned run time per item: from the line file (``gigaline mes init``; per cell, so
  undefined at steps whose records are per coil or batch).

A step sums its stations (POT = stations x window), as the twin sums its machines; a line sums
every station, its performance over the stations with a PRI (PRI weighted by PQ). The downtime
Pareto ranks (state, reason) of the selection by time, with how often each began in the window:
a *run* is a maximal stretch of one kind of time (a (state, reason), production, planned stop)
from one state interval; it begins where the time just before it is of another kind or another
state interval. A planned stop or a silence ends a run (a downtime that a planned stop
interrupts begins again after it; each silence while running is a run of its own), and a run
standing at the window's start is not counted (until 2026-12 the count was of the distinct state
intervals overlapping the window, which does not add up over adjacent windows).

Both definitions make every element additive over adjacent windows, so that the SQL store keeps
hourly summaries (:func:`summarise`) and a window is its stored whole hours plus its edges and
missing hours computed raw, with the same result (docs/live.md, "Cost, and the hourly
summaries").
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Literal, Protocol

import numpy as np

from gigaline.errors import FieldError, NotFoundError
from gigaline.kpi import effectiveness, oee_factors
from gigaline.mes.measures import collector_paused
from gigaline.mes.ports import (
    OeeHour,
    OeeHourSums,
    OeeReader,
    OeeStep,
    OeeSummaryBook,
    StationEdges,
    StationTimeline,
    merge_runs,
)
from gigaline.mes.services.models import DowntimeCause, OeeReport, OeeRow, rfc3339

__all__ = ["DEFAULT_WINDOW", "HOUR_S", "SummaryStore", "gaps", "live_oee", "summarise"]

#: The window when ``since`` is not given: the last 24 hours before ``until``.
DEFAULT_WINDOW = timedelta(hours=24)
UNQUALIFIED = "unqualified"
HOUR_S = 3600
#: The quarters of an hour summarised for a window's edges (migration 0014).
QUARTER_S = 900
_PRODUCTION = "running"
_SILENT = "silent while running"
_SUMMARY_STATIONS = 200  # stations per batch of the summariser

Key = tuple[str, str | None]  # (state, reason)
Group = list[tuple[OeeStep, tuple[str, ...]]]  # steps and the stations of each taken


@dataclass
class _Segments:
    """A station's window cut into pieces: planned, production, downtime (state, reason)."""

    start: list[float] = field(default_factory=list)
    end: list[float] = field(default_factory=list)
    kind: list[Key | None] = field(default_factory=list)  # None: planned stop
    entry: list[int] = field(default_factory=list)  # index of the state interval
    begins: list[bool] = field(default_factory=list)  # a run of its kind begins at its start


@dataclass
class _Elements:
    pdot_s: float = 0.0
    apt_s: float = 0.0
    unqualified_s: float = 0.0
    pq: int = 0
    gq: int = 0
    down: dict[Key, float] = field(default_factory=lambda: defaultdict(float))
    begins: dict[Key, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, other: _Elements, pareto: bool = True) -> None:
        """Add ``other``; without ``pareto``, not its downtime by cause (the rows do not use
        it: the Pareto is summed apart)."""
        self.pdot_s += other.pdot_s
        self.apt_s += other.apt_s
        self.unqualified_s += other.unqualified_s
        self.pq += other.pq
        self.gq += other.gq
        if not pareto:
            return
        for k, v in other.down.items():
            self.down[k] += v
        for k, n in other.begins.items():
            self.begins[k] += n

    def sub(self, other: _Elements) -> None:
        """Take away the elements of a part of the time added (down and begins left as they are:
        the rows do not use them)."""
        self.pdot_s -= other.pdot_s
        self.apt_s -= other.apt_s
        self.unqualified_s -= other.unqualified_s
        self.pq -= other.pq
        self.gq -= other.gq

    def add_sums(self, sums: tuple[float, float, float, int, int]) -> None:
        self.pdot_s += sums[0]
        self.apt_s += sums[1]
        self.unqualified_s += sums[2]
        self.pq += sums[3]
        self.gq += sums[4]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _planned_stops(
    calendar_json: str | None, a: float, b: float, year: int | None = None
) -> list[tuple[float, float]]:
    """The calendar's planned stops inside [a, b), UNIX seconds, the calendar's day 0 on
    1 January of ``year`` (default: the year of ``a``)."""
    if calendar_json is None:
        return []
    from gigaline.model import Calendar
    from gigaline.model.calendar import planned_stops

    cal = Calendar.model_validate_json(calendar_json)
    if year is None:
        year = datetime.fromtimestamp(a, UTC).year
    anchor = datetime(year, 1, 1, tzinfo=UTC).timestamp()
    if b <= anchor:
        return []
    flat = planned_stops(cal, b - anchor)
    out = []
    for s, e in flat.reshape(-1, 2):
        lo, hi = max(a, anchor + float(s)), min(b, anchor + float(e))
        if hi > lo:
            out.append((lo, hi))
    return out


def _cut(
    tl: StationTimeline, a: float, b: float, stops: list[tuple[float, float]], silence_s: float,
    record_s: list[float] | None = None,
) -> _Segments:  # fmt: skip
    """Cut [a, b) into planned stops, production and downtime by (state, reason).

    ``stops`` may begin before ``a``: a stop that holds just before ``a`` tells that a run
    standing at ``a`` did not begin before it. Silence is window-independent: it runs from
    ``silence_s`` after the station's last message, wherever that is (before the window:
    :attr:`StationTimeline.last_message_s`). ``record_s``: the records' times when not the
    timeline's."""
    changes: list[tuple[float, str | None, str | None]] = [
        (a, tl.standing[1], tl.standing[2]) if tl.standing else (a, None, None)
    ]
    changes += [(ts.timestamp(), st, reason) for ts, st, reason in tl.states]
    change_t = [c[0] for c in changes]
    last = tl.last_message_s
    if last is None and tl.standing is not None:
        last = tl.standing[0].timestamp()
    before = [] if last is None else [last]
    records = tl.record_s.tolist() if record_s is None else record_s
    messages = sorted({*before, b, *change_t[1:], *records})
    silent = []
    for m, n in pairwise(messages):
        lo = max(m + silence_s, a)
        if n > lo:
            silent.append((lo, n))
    stops_in = [(max(x, a), y) for x, y in stops if y > a and x < b]
    stop_t = [x for ab in stops_in for x in ab]
    silent_t = [x for ab in silent for x in ab]
    cuts = sorted({a, b, *change_t, *stop_t, *silent_t})
    seg = _Segments()
    if len(changes) == 1 and not stops_in and (changes[0][1] != _PRODUCTION or not silent):
        # one state all through, no planned stop, no silence while running: one piece (the
        # loop below would give the same, at several times the cost: most edges are so)
        _, state0, reason0 = changes[0]
        whole: Key = (UNQUALIFIED, None) if state0 is None else (state0, reason0)
        seg = _Segments([a], [b], [whole], [0], [True])
        cuts = []
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
            kind = (UNQUALIFIED, None if state is None else _SILENT)
        else:
            kind = (state, reason)
        if seg.kind and seg.kind[-1] == kind and seg.entry[-1] == i and seg.end[-1] == x:
            seg.end[-1] = y
            continue
        seg.start.append(x)
        seg.end.append(y)
        seg.kind.append(kind)
        seg.entry.append(i)
        seg.begins.append(True)
    if seg.start and seg.start[0] == a and seg.entry[0] == 0:
        # the piece at the window's start continues what stood just before it, or not
        prior: Key | None
        if any(x < a <= y for x, y in stops):
            prior = None
        elif tl.standing is None:
            prior = (UNQUALIFIED, None)
        elif tl.standing[1] == _PRODUCTION and last is not None and a - last > silence_s:
            prior = (UNQUALIFIED, _SILENT)
        else:
            prior = (tl.standing[1], tl.standing[2])
        seg.begins[0] = prior != seg.kind[0]
    return seg


def _add(out: _Elements, seg: _Segments, tl: StationTimeline, lo: float, hi: float) -> None:
    """Add one station's elements over [lo, hi) to ``out``: a run counts where it begins."""
    _add_segments(out, seg, lo, hi)
    if not len(tl.record_s):
        return
    i, j = np.searchsorted(tl.record_s, [lo, hi], side="left")
    out.pq += int(j - i)
    out.gq += int(np.count_nonzero(tl.record_ok[i:j]))


def _add_segments(out: _Elements, seg: _Segments, lo: float, hi: float) -> None:
    for x, y, kind, begins in zip(seg.start, seg.end, seg.kind, seg.begins, strict=True):
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
            if begins and x >= lo:
                out.begins[kind] += 1


def _edge_elements(
    e: StationEdges, x: float, y: float, stops: Callable[[str], list[tuple[float, float]]],
    silence_s: float,
) -> dict[str, _Elements]:  # fmt: skip
    """Per station of ``e``: its elements over the whole of [x, y), shorter than the silence
    threshold, exactly as :func:`_cut` and :func:`_add_segments` give them, computed for all
    stations at once (numpy) from the columns of :meth:`OeeReader.station_edges`.

    Each station's [x, y) is cut at its state changes, the planned stops of its line and its
    silence. In so short a piece a silence can begin only after the last message before
    ``x``, and it lasts until the first message inside (a state change or a record) or
    ``y``. A cut piece's kind: planned stop, its state, or unqualified (no state known, or
    silent while running); a run of downtime begins where the kind or the state interval
    changes, and at ``x`` unless it continues what stood just before ``x``."""
    k_none, k_silent, k_stop = len(e.kinds), len(e.kinds) + 1, len(e.kinds) + 2
    kinds: list[Key] = [*e.kinds, (UNQUALIFIED, None), (UNQUALIFIED, _SILENT)]
    running = np.array([k[0] == _PRODUCTION for k in kinds] + [False], dtype=np.bool_)
    out: dict[str, _Elements] = {}
    groups: dict[tuple[tuple[float, float], ...], list[int]] = defaultdict(list)
    for i, n in enumerate(e.stations):  # the stations of a line share its planned stops
        groups[tuple(stops(n))].append(i)
    for line_stops, members in groups.items():
        g = np.array(members, dtype=np.int64)
        ng = len(g)
        local = np.full(len(e.stations), -1, dtype=np.int64)
        local[g] = np.arange(ng)
        pick = local[e.change_station] >= 0
        cs, ct, ck = local[e.change_station[pick]], e.change_s[pick], e.change_kind[pick]
        inside = [(max(lo, x), hi) for lo, hi in line_stops if hi > x and lo < y]
        stop_t = np.array([v for ab in inside for v in ab], dtype=np.float64)
        last = e.last_message_s[g]
        # the first message inside: the first state change or record, else y
        first = np.where(np.isnan(e.first_record_s[g]), y, e.first_record_s[g])
        starts = np.searchsorted(cs, np.arange(ng), "left")
        has = starts < np.searchsorted(cs, np.arange(ng), "right")
        first[has] = np.minimum(first[has], ct[starts[has]])
        s0 = np.maximum(last + silence_s, x)  # NaN where no message: never silent
        silent = s0 < first
        # the cut points of every station: x, y, its changes, the stops, its silence
        cut_t = stop_t[(stop_t > x) & (stop_t < y)]
        p_station = np.concatenate([
            np.arange(ng), np.arange(ng), cs, np.repeat(np.arange(ng), len(cut_t)),
            np.flatnonzero(silent), np.flatnonzero(silent),
        ])  # fmt: skip
        p_t = np.concatenate([
            np.full(ng, x), np.full(ng, y), ct, np.tile(cut_t, ng), s0[silent], first[silent],
        ])  # fmt: skip
        order = np.lexsort((p_t, p_station))
        p_station, p_t = p_station[order], p_t[order]
        keep = (p_station[:-1] == p_station[1:]) & (p_t[1:] > p_t[:-1])
        st, u, v = p_station[:-1][keep], p_t[:-1][keep], p_t[1:][keep]
        mid = 0.5 * (u + v)
        # the state interval of each piece: how many of its station's changes are at or
        # before its middle (0: the state standing at x)
        width = (y - x) + 1.0
        pos = np.searchsorted(cs * width + (ct - x), st * width + (mid - x), "right")
        entry = pos - starts[st]
        held = e.standing[g]  # the state standing at x
        kind = np.where(entry > 0, ck[pos - 1] if len(ck) else 0, held[st])
        kind = np.where(kind < 0, k_none, kind)
        quiet = running[kind] & silent[st] & (s0[st] <= mid) & (mid < first[st])
        kind = np.where(quiet, k_silent, kind)
        kind = np.where(np.searchsorted(stop_t, mid, "right") % 2 == 1, k_stop, kind)
        # what stood just before x: a run there continues into the first piece
        prior = np.where(held < 0, k_none, held)
        was_silent = (held >= 0) & running[np.maximum(held, 0)] & (x - last > silence_s)
        prior = np.where(was_silent, k_silent, prior)
        if any(lo < x <= hi for lo, hi in line_stops):
            prior = np.full(ng, k_stop)
        head = np.ones(len(st), dtype=np.bool_)
        head[1:] = st[1:] != st[:-1]
        begins = np.empty(len(st), dtype=np.bool_)
        begins[1:] = (kind[1:] != kind[:-1]) | (entry[1:] != entry[:-1])
        begins[head] = (entry[head] > 0) | (prior[st[head]] != kind[head])
        d = v - u
        width_k = k_stop + 1
        cell = st * width_k + kind
        spent = np.bincount(cell, d, minlength=ng * width_k).reshape(ng, width_k)
        begun = np.bincount(cell[begins], minlength=ng * width_k).reshape(ng, width_k)
        pdot = spent[:, k_stop].tolist()
        apt = spent[:, running].sum(axis=1).tolist()
        unqualified = (spent[:, k_none] + spent[:, k_silent]).tolist()
        els = []
        for j, i in enumerate(members):
            el = _Elements(pdot_s=pdot[j], apt_s=apt[j], unqualified_s=unqualified[j],
                           pq=int(e.records[i]), gq=int(e.ok[i]))  # fmt: skip
            els.append(el)
            out[e.stations[i]] = el
        spent[:, running] = 0.0  # downtime only: by cause, with the runs begun
        spent[:, k_stop] = 0.0
        for j, k in zip(*np.nonzero(spent), strict=True):
            els[j].down[kinds[k]] += float(spent[j, k])
            if begun[j, k]:
                els[j].begins[kinds[k]] += int(begun[j, k])
    return out


def _slice(tl: StationTimeline, lo: float, hi: float) -> StationTimeline:
    """The part [lo, hi) of a timeline read over a window that holds it."""
    times = [ts.timestamp() for ts, _, _ in tl.states]
    i, j = bisect_left(times, lo), bisect_left(times, hi)
    r0, r1 = (int(k) for k in np.searchsorted(tl.record_s, [lo, hi], side="left"))
    standing = tl.states[i - 1] if i else tl.standing
    last = [tl.last_message_s] if tl.last_message_s is not None else []
    if standing is not None:
        last.append(standing[0].timestamp())
    if r0:
        last.append(float(tl.record_s[r0 - 1]))
    return StationTimeline(
        tl.station, standing, tl.states[i:j], tl.record_s[r0:r1], tl.record_ok[r0:r1],
        max(last) if last else None,
    )  # fmt: skip


def hour_elements(
    tl: StationTimeline,
    a: float,
    b: float,
    stops: list[tuple[float, float]],
    silence_s: float,
    span_s: int = HOUR_S,
) -> list[_Elements]:
    """The elements of each whole hour (or ``span_s``: each quarter of an hour) of [a, b)
    (both on one) of one station, from its timeline over [a, b) and the planned stops (from
    before ``a``) of its line: what the hourly summaries (and the quarters) hold."""
    seg = _cut(tl, a, b, stops, silence_s)
    n = round((b - a) / span_s)
    out = [_Elements() for _ in range(n)]
    for x, y, kind, begins, entry in zip(seg.start, seg.end, seg.kind, seg.begins, seg.entry,
                                         strict=True):  # fmt: skip
        one = _Segments([x], [y], [kind], [entry], [begins])
        for k in range(int((x - a) // span_s), min(n, math.ceil((y - a) / span_s))):
            h = a + k * span_s
            _add_segments(out[k], one, h, h + span_s)
    edges = np.searchsorted(tl.record_s, a + span_s * np.arange(n + 1), side="left")
    good = np.concatenate([[0], np.cumsum(tl.record_ok, dtype=np.int64)])
    for k, el in enumerate(out):
        i, j = int(edges[k]), int(edges[k + 1])
        el.pq += j - i
        el.gq += int(good[j] - good[i])
    return out


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


# tens of thousands of small objects made and freed: the collector's full collections during
# it were the p95 of the line's request (in-process, 1 day: 129 -> 77 ms); the few hundred
# objects in cycles (SQLAlchemy's statements) are collected once it runs again
@collector_paused()
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
    summaries: bool = True,
) -> OeeReport:
    """OEE, its factors and the downtime Pareto of a station, a step or a line (default: the
    store's line) over [since, until) (default: the 24 h before now), per shift with
    ``by="shift"``. Reads only: stored hourly summaries where they exist (``summaries``),
    the raw states and records elsewhere, with the same result."""
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
    windows: list[tuple[str | None, float, float]]
    if by == "shift":
        calendars = {s.line for s, _ in top}
        windows = [*_shifts(layout.calendars.get(next(iter(calendars))), a, b)]
    else:
        windows = [(None, a, b)]
    year = datetime.fromtimestamp(a, UTC).year
    # a window beginning early in an hour: that hour stored less its part before the window,
    # when that part is shorter than what the hour's stored quarters leave (both read raw)
    h0 = math.floor(a / HOUR_S) * HOUR_S
    lead = (a - h0 < math.ceil(a / QUARTER_S) * QUARTER_S - a and a != h0
            and h0 + HOUR_S <= b and summaries)  # fmt: skip
    # a line's stored hours summed per step by the store: its rows are of steps and the line
    by_step = station is None and step is None
    hs = (
        _hour_sums(store, names, a, b, year, windows, silence_s, lead, by_step)
        if summaries
        else None
    )
    # the raw pieces of each station: the window less its stored hours
    pieces: dict[str, list[tuple[float, float]]] = {}
    # stations whose hour h0 is stored whole: its part [h0, a) is taken away
    minus: set[str] = set()
    for n in names:
        runs = hs.covered.get(n, []) if hs else []
        pieces[n] = gaps(runs, a, b)
        if lead and any(x <= h0 and h0 + HOUR_S <= y for x, y in runs):
            minus.add(n)
            pieces[n].insert(0, (h0, a))
    stops_of: dict[str, list[tuple[float, float]]] = {}

    def stops(s: OeeStep) -> list[tuple[float, float]]:
        if s.line not in stops_of:  # from just before a: what stood before the window
            first = min(a, h0) - 1.0
            stops_of[s.line] = _planned_stops(layout.calendars.get(s.line), first, b, year)
        return [] if s.kind == "dwell" else stops_of[s.line]

    kind_of = {n: s for s, ns in top for n in ns}
    bounds = sorted({x for _, lo, hi in windows for x in (lo, hi)})
    raw = _read_raw(store, pieces, a, lambda n: stops(kind_of[n]), bounds, silence_s)

    def elements(n: str, wi: int, lo: float, hi: float) -> _Elements:
        el = _Elements()
        for x, y, seg, tl, full in raw.get(n, ()):
            if y <= a:  # the part before the window of its stored first hour (in the bucket
                if lo == a:  # of the window that begins at a, if one does)
                    el.sub(full)
            elif lo <= x and y <= hi:
                el.add(full, pareto=False)
            elif y > lo and x < hi:
                # a piece read counted lies wholly inside its bucket
                assert tl is not None and seg is not None
                _add(el, seg, tl, max(x, lo), min(y, hi))
        if hs is not None and (n, wi) in hs.sums:
            el.add_sums(hs.sums[(n, wi)])
        return el

    memo: dict[tuple[str, int], _Elements] = {}
    summed: dict[tuple[str, str, tuple[str, ...], int], _Elements] = {}  # per step and bucket
    # per bucket, the stations that have something in it (a raw piece or stored sums): the
    # others add nothing (by shift over 16 days, 789 stations x 48 shifts, of which a line's
    # stations have raw pieces in the first and last shift only)
    touched = _touched(raw, windows, a, hs)

    def figures(
        scope: str, name: str, group: Group, wi: int, lo: float,
        hi: float, shift: str | None,
    ) -> OeeRow:  # fmt: skip
        total = _Elements()
        with_pri = _Elements()
        work = 0.0
        n_stations = 0
        pri_values = set()
        for s, ns in group:
            n_stations += len(ns)
            step = summed.get((s.line, s.name, ns, wi))  # a line's step is its row's too
            if step is None:
                step = summed[(s.line, s.name, ns, wi)] = _Elements()
                for n in ns:  # its stations taken, then its stored hours (by_step)
                    if n not in touched[wi]:
                        continue
                    el = memo.get((n, wi))
                    if el is None:
                        el = memo[(n, wi)] = elements(n, wi, lo, hi)
                    step.add(el, pareto=False)
                stored = hs.step_sums.get((s.line, s.name, wi)) if hs is not None else None
                if stored is not None:
                    step.add_sums(stored)
            total.add(step, pareto=False)
            if s.pri_s is not None and ns:
                pri_values.add(s.pri_s)
                with_pri.apt_s += step.apt_s
                with_pri.pq += step.pq
                work += s.pri_s * step.pq  # PQ summed exactly (integers), then weighted
        pot_s = n_stations * (hi - lo)  # as the twin: machines x window
        perf: float | None = None
        if len(group) == 1:  # one step: its PRI, exactly as the twin
            pri = group[0][0].pri_s
        else:  # several steps: PRI weighted by PQ, over the stations that have one
            pri = work / with_pri.pq if with_pri.pq else (min(pri_values) if pri_values else None)
            if pri is not None:
                perf = float(effectiveness(pri, float(with_pri.pq), with_pri.apt_s))
        return _row(scope, name, n_stations, pot_s, total, pri, perf, lo, hi, shift)

    rows: list[OeeRow] = []
    for wi, (label, lo, hi) in enumerate(windows):
        rows.append(figures(top_scope, top_name, top, wi, lo, hi, label))
    if by != "shift":
        rows.extend(figures(scope, name, group, 0, a, b, None) for scope, name, group in parts)
    whole = _Elements()  # the Pareto: the raw pieces and the stored hours of the window
    before = _Elements()  # less the parts before the window of the stored hours h0
    for n in names:
        for _, y, _, _, full in raw.get(n, ()):
            (before if y <= a else whole).add(full)
    if hs is not None:
        for k, (sec, begun) in hs.down.items():
            whole.down[k] += sec
            whole.begins[k] += begun
    for k, sec in before.down.items():
        whole.down[k] -= sec
        whole.begins[k] -= before.begins.get(k, 0)
        if whole.down[k] < 1e-7 and not whole.begins[k]:  # all of it was before the window
            del whole.down[k]
            whole.begins.pop(k, None)
    return OeeReport(
        since=rfc3339(start_dt), until=rfc3339(end_dt), by=by, silence_s=float(silence_s),
        rows=rows, pareto=_pareto(whole),
    )  # fmt: skip


#: A piece of a station's window read raw: (start, end, its cut, its timeline (None: its
#: records counted by the store), the elements of the whole piece).
_Piece = tuple[float, float, _Segments | None, StationTimeline | None, _Elements]


def _read_raw(
    store: OeeReader, pieces: dict[str, list[tuple[float, float]]], a: float,
    stops: Callable[[str], list[tuple[float, float]]], bounds: list[float], silence_s: float,
) -> dict[str, list[_Piece]]:  # fmt: skip
    """Read and cut the raw ``pieces`` of each station (those its stored hours do not cover)
    of the window beginning at ``a``.

    A piece shorter than the silence threshold (by a second: the sums of floats) that no
    bucket boundary (``bounds``) cuts is read counted (:meth:`OeeReader.station_edges`): in
    it no silence begins after its first message, and only its whole is added to a bucket,
    so its first record's time and its counts give exactly what its records would. The
    others are read whole (:meth:`OeeReader.station_timelines`), those ending together and
    beginning within the same 2 hours in one read."""
    counted: dict[tuple[float, float], list[str]] = defaultdict(list)
    envelopes: dict[tuple[bool, float, int], list[tuple[str, float, float]]] = defaultdict(list)
    for n, ps in pieces.items():
        for lo, hi in ps:
            k = bisect_right(bounds, lo)
            if hi - lo < silence_s - 1.0 and (k == len(bounds) or bounds[k] >= hi):
                counted[(lo, hi)].append(n)
            else:
                envelopes[(lo == a, hi, math.floor(lo / 7200.0))].append((n, lo, hi))
    raw: dict[str, list[_Piece]] = defaultdict(list)

    def read_edge(piece: tuple[tuple[float, float], list[str]]) -> StationEdges:
        (x, y), ns = piece
        return store.station_edges(
            ns, datetime.fromtimestamp(x, UTC), datetime.fromtimestamp(y, UTC)
        )

    # a window's two edges read at once: each mostly waits for the database (16 days of the
    # reference line: 25-30 ms of the server's time for half an hour of 789 stations)
    parts = list(counted.items())
    if len(parts) > 1:
        with ThreadPoolExecutor(2, thread_name_prefix="oee-edges") as pool:
            read_parts = list(pool.map(read_edge, parts))
    else:
        read_parts = [read_edge(p) for p in parts]
    for ((x, y), _), edges in zip(parts, read_parts, strict=True):
        for n, full in _edge_elements(edges, x, y, stops, silence_s).items():
            raw[n].append((x, y, None, None, full))
    for (_, hi, _), wanted in envelopes.items():
        lo = min(x for _, x, _ in wanted)
        got = store.station_timelines(
            list(dict.fromkeys(n for n, _, _ in wanted)),
            datetime.fromtimestamp(lo, UTC), datetime.fromtimestamp(hi, UTC),
        )  # fmt: skip
        for n, x, y in wanted:
            tl = got[n] if (x, y) == (lo, hi) else _slice(got[n], x, y)
            seg = _cut(tl, x, y, stops(n), silence_s)
            full = _Elements()
            _add(full, seg, tl, x, y)
            raw[n].append((x, y, seg, tl, full))
    for read in raw.values():
        read.sort(key=lambda p: p[0])
    return raw


def _touched(
    raw: dict[str, list[_Piece]], windows: list[tuple[str | None, float, float]], a: float,
    hs: OeeHourSums | None,
) -> list[set[str]]:  # fmt: skip
    """Per bucket of ``windows`` (sorted, disjoint), the stations whose elements there may not
    be zero: a raw piece overlapping it (a part before the window ``a``: the bucket beginning
    at ``a``) or stored sums of it."""
    out: list[set[str]] = [set() for _ in windows]
    starts = [lo for _, lo, _ in windows]
    for n, pieces in raw.items():
        for x, y, *_ in pieces:
            if y <= a:
                if windows and windows[0][1] == a:
                    out[0].add(n)
                continue
            for k in range(max(0, bisect_right(starts, x) - 1), len(windows)):
                _, lo, hi = windows[k]
                if lo >= y:
                    break
                if hi > x:
                    out[k].add(n)
    if hs is not None:
        for n, k in hs.sums:
            out[k].add(n)
    return out


def _inside(runs: list[tuple[float, float]], lo: float, hi: float) -> bool:
    """Whether [lo, hi) lies inside one of ``runs``."""
    return any(x <= lo and hi <= y for x, y in runs)


def gaps(runs: list[tuple[float, float]], a: float, b: float) -> list[tuple[float, float]]:
    """[a, b) less the disjoint sorted ``runs``."""
    out, x = [], a
    for lo, hi in runs:
        lo, hi = max(lo, a), min(hi, b)
        if hi <= lo:
            continue
        if lo > x:
            out.append((x, lo))
        x = max(x, hi)
    if x < b:
        out.append((x, b))
    return out


def _hour_sums(
    store: OeeReader, names: list[str], a: float, b: float, year: int,
    windows: list[tuple[str | None, float, float]], silence_s: float, lead: bool = False,
    by_step: bool = False,
) -> OeeHourSums | None:  # fmt: skip
    """The stored hourly summaries usable for the window: its whole hours in the year of its
    start (the calendar's day 0 is in that year), none by shift when a shift does not begin
    and end on the hour, and the stored quarters of an hour of its edges (before its first and
    after its last whole hour, in the same year), but those a shift's start or end cuts.
    ``lead``: the hour in which the window begins instead of its quarters (in the first
    window's bucket). ``by_step``: summed per step, not per station."""
    h1 = (math.floor if lead else math.ceil)(a / HOUR_S) * HOUR_S
    year_end = datetime(year + 1, 1, 1, tzinfo=UTC).timestamp()
    h2 = min(math.floor(b / HOUR_S) * HOUR_S, year_end)
    if h2 <= h1:
        return None
    for _, lo, hi in windows:
        for x in (lo, hi):
            if h1 < x < h2 and x % HOUR_S and x != a:
                return None
    edges: list[tuple[float, float]] = []
    if not lead:
        edges.append((math.ceil(a / QUARTER_S) * QUARTER_S, h1))
    edges.append((h2, min(math.floor(b / QUARTER_S) * QUARTER_S, year_end)))
    cuts = {x for _, lo, hi in windows for x in (lo, hi) if x % QUARTER_S}
    quarters = [(int(lo), int(hi)) for lo, hi in edges
                if hi > lo and not any(lo < x < hi for x in cuts)]  # fmt: skip
    buckets = [(min(h1, lo) if lo == a else lo, hi) for _, lo, hi in windows]
    return store.oee_hour_sums(names, int(h1), int(h2), silence_s, buckets, by_step=by_step,
                               quarters=quarters)  # fmt: skip


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
                occurrences=el.begins.get((state, reason), 0),
                share=seconds / total if total else 0.0,
                cumulative=running / total if total else 0.0,
            )
        )  # fmt: skip
    return out


class SummaryStore(OeeReader, OeeSummaryBook, Protocol):
    """A store that reads live OEE and keeps its hourly summaries."""


def summarise(
    store: SummaryStore,
    until: datetime | None = None,
    *,
    silence_s: float | None = None,
    max_hours: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Store the missing hourly summaries of every station: each whole hour from its first
    message's hour that ended before ``until`` (default: now), up to the end of the hour of
    the latest message of any station (so a quiet station's hours too: an hour depends only on
    the messages up to its end, and a message of it arriving later deletes it; until 2026-12
    only the hours that ended before the station's own latest message, which left the quiet
    stations' hours to be read raw by every window), and so each quarter of an hour
    (migration 0014: what a window's edges read) up to the end of the last that ended.
    ``max_hours``: stop after about this many station-hours of rows read (a bounded pass; the
    next pass goes on). ``progress(done, total)`` after each batch, in station-hours read. The
    number of hours stored (the quarters are stored with them, and alone where only they
    were missing, as in a database summarised before migration 0014).

    Each batch reads the stations' write counters before their rows and stores its hours only
    for the stations whose counter is unchanged when it writes (a station written meanwhile is
    summarised again by a later pass)."""
    if silence_s is None:
        from gigaline.settings import Settings

        silence_s = Settings.load().oee_silence_s
    end = (_utc(until) if until is not None else datetime.now(UTC)).timestamp()
    layout = store.oee_layout()
    step_of = {n: s for s in layout.steps for n in s.stations}
    names = list(step_of)
    if not names:
        return 0
    status = store.oee_status(names)
    lasts = [st.last_s for st in status.values() if st.last_s is not None]
    if not lasts:
        return 0
    # what is missing per station: the hours, and the quarters up to the last one ended (a
    # live window's last hour, still running, is read from them)
    tops = {span: min(math.floor(end / span), math.ceil(max(lasts) / span)) * span
            for span in (HOUR_S, QUARTER_S)}  # fmt: skip
    missing: dict[str, list[tuple[float, float]]] = {}
    for span, hi in tops.items():
        spans: dict[str, tuple[int, int]] = {}
        for n, st in status.items():
            if st.first_s is None or st.last_s is None:
                continue
            lo = math.floor(st.first_s / span) * span
            if hi > lo:
                spans[n] = (lo, hi)
        if not spans:
            continue
        covered = store.oee_covered(
            list(spans), min(lo for lo, _ in spans.values()),
            max(hi for _, hi in spans.values()), silence_s, span,
        )  # fmt: skip
        for n, (lo, hi) in spans.items():
            missing.setdefault(n, []).extend(gaps(covered.get(n, []), lo, hi))
    groups: dict[tuple[float, float], list[str]] = defaultdict(list)
    for n, runs in missing.items():
        for x, y in merge_runs(runs):  # from an hour's start: its hours and quarters in one read
            x = math.floor(x / HOUR_S) * HOUR_S
            while x < y:  # by UTC day (so never across a year)
                day_end = min(y, (math.floor(x / 86400) + 1) * 86400.0)
                groups[(x, day_end)].append(n)
                x = day_end
    # the work, in station-hours of rows read (one quarter of one station is a quarter of
    # one): a bounded pass stops once it has read ``max_hours``
    work = sum((y - x) / HOUR_S * len(ns) for (x, y), ns in groups.items())
    total = math.ceil(work) if max_hours is None else min(math.ceil(work), max_hours)
    done = 0.0
    stored = 0
    first_s: int | None = None  # the earliest hour stored: the steps rolled up from it
    for (x, y), ns in sorted(groups.items()):
        for k in range(0, len(ns), _SUMMARY_STATIONS):
            if max_hours is not None and done >= max_hours:
                break
            batch = ns[k : k + _SUMMARY_STATIONS]
            versions = {n: status[n].version for n in batch}
            got = store.station_timelines(
                batch, datetime.fromtimestamp(x, UTC), datetime.fromtimestamp(y, UTC)
            )
            year = datetime.fromtimestamp(x, UTC).year
            stops_of: dict[str, list[tuple[float, float]]] = {}
            hours: list[OeeHour] = []
            y_h = float(math.floor(y / HOUR_S) * HOUR_S)  # [x, y_h): whole hours
            for n in batch:
                s = step_of[n]
                if s.line not in stops_of:
                    cal = layout.calendars.get(s.line)
                    stops_of[s.line] = _planned_stops(cal, x - 1.0, y, year)
                stops = [] if s.kind == "dwell" else stops_of[s.line]
                for span, upto in ((HOUR_S, y_h), (QUARTER_S, y)):
                    if upto <= x:
                        continue
                    tl = got[n] if upto == y else _slice(got[n], x, upto)
                    for i, el in enumerate(hour_elements(tl, x, upto, stops, silence_s, span)):
                        start = int(x) + i * span
                        if not _inside(missing[n], start, start + span):
                            continue
                        hours.append(OeeHour(
                            n, start, float(silence_s), el.pdot_s, el.apt_s, el.unqualified_s,
                            el.pq, el.gq,
                            {key: (sec, el.begins.get(key, 0)) for key, sec in el.down.items()},
                            span,
                        ))  # fmt: skip
            put = store.put_oee_hours(hours, versions)
            if put:
                first_s = int(x) if first_s is None else min(first_s, int(x))
            stored += put
            done += len(batch) * (y - x) / HOUR_S
            if progress is not None:
                progress(min(round(done), total), total)
    if first_s is not None:
        store.roll_up_oee_steps(float(silence_s), first_s)
    return stored
