"""The shop floor over a window: each station's state, time in each state, counts, downtime.

What the plant, line and station pages of the dashboard show, from what the store holds: the
state changes the equipment sent (``state`` events) and the process records (``process``
events). A window ends at the newest stored record or state change (the data's own "now": a
database filled from a file shows its own last hours) unless ``until`` is given, and is
``hours`` long.

A station's state at a moment is the last state change at or before it; the time before a
station's first change in the window is "unknown" (nothing was sent), never guessed. The
downtime Pareto counts every state other than ``running`` and ``idle`` (down, setup,
maintenance, starved, blocked, stopped, off), by state and reason, longest first. The quality
rate is ISO 22400-2's GQ / PQ: OK records over records (``gigaline.kpi.quality_rate``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from gigaline.errors import FieldError, NotFoundError
from gigaline.kpi import quality_rate
from gigaline.mes.ports import FloorReader, StateChange
from gigaline.mes.services.models import (
    DowntimeCause,
    Floor,
    StateSegment,
    StationFloor,
    rfc3339,
)

__all__ = ["NOT_DOWNTIME", "UNKNOWN", "floor"]

#: States that are not downtime (the Pareto leaves them out).
NOT_DOWNTIME = frozenset({"running", "idle"})
#: The state of a station before its first stored state change.
UNKNOWN = "unknown"
#: The longest window a page may ask for [h] (a week of a shift leader's view).
MAX_HOURS = 24 * 31


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _segments(
    changes: list[StateChange], since: datetime, until: datetime
) -> list[tuple[str, str | None, datetime, datetime]]:
    """(state, reason, start, end) of one station's changes, clipped to the window."""
    out: list[tuple[str, str | None, datetime, datetime]] = []
    if not changes:
        return [(UNKNOWN, None, since, until)]
    first = max(_utc(changes[0].ts), since)
    if first > since:
        out.append((UNKNOWN, None, since, first))
    for i, c in enumerate(changes):
        start = max(_utc(c.ts), since)
        end = until if i + 1 == len(changes) else min(_utc(changes[i + 1].ts), until)
        if end > start:
            out.append((c.state, c.reason, start, end))
    return out


def floor(
    store: FloorReader,
    *,
    hours: float = 8.0,
    until: datetime | None = None,
    line: str | None = None,
    station: str | None = None,
) -> Floor:
    """Stations' states, state times, counts, timeline and downtime Pareto over a window.

    ``line`` or ``station`` narrow it to one line or one station (NotFoundError if unknown).
    """
    if not 0 < hours <= MAX_HOURS:
        raise FieldError("hours", hours, f"a window from 0 to {MAX_HOURS} hours")
    stations = store.floor_stations()
    if line is not None:
        stations = [s for s in stations if s.line == line]
        if not stations:
            raise NotFoundError("line", line, "line")
    if station is not None:
        stations = [s for s in stations if s.station == station]
        if not stations:
            raise NotFoundError("station", station, "station")
    if until is None:
        latest = store.latest_time()
        end = latest + timedelta(microseconds=1) if latest is not None else datetime.now(UTC)
    else:
        end = _utc(until)
    start = end - timedelta(hours=hours)
    wanted = {s.station for s in stations}
    by_station: dict[str, list[StateChange]] = defaultdict(list)
    for c in store.state_changes(start, end):
        if c.station in wanted:
            by_station[c.station].append(c)
    tallies = {t.station: t for t in store.station_tallies(start, end)}
    window_s = (end - start).total_seconds()
    out: list[StationFloor] = []
    timeline: list[StateSegment] = []
    pareto: dict[tuple[str, str | None], list[float]] = defaultdict(lambda: [0.0, 0])
    for s in stations:
        segs = _segments(by_station.get(s.station, []), start, end)
        state_s: dict[str, float] = defaultdict(float)
        for state, reason, a, b in segs:
            d = (b - a).total_seconds()
            state_s[state] += d
            timeline.append(
                StateSegment(station=s.station, state=state, reason=reason,
                             start=rfc3339(a), end=rfc3339(b), duration_s=d)
            )  # fmt: skip
            if state not in NOT_DOWNTIME and state != UNKNOWN:
                pareto[(state, reason)][0] += d
                pareto[(state, reason)][1] += 1
        last = by_station.get(s.station)
        current = last[-1] if last else None
        t = tallies.get(s.station)
        records, ok = (t.records, t.ok) if t is not None else (0, 0)
        q = quality_rate(float(ok), float(records))
        out.append(
            StationFloor(
                station=s.station, step=s.step, line=s.line, position=s.position,
                state=current.state if current is not None else UNKNOWN,
                reason=current.reason if current is not None else None,
                since=rfc3339(current.ts) if current is not None else None,
                state_s=dict(state_s), records=records, ok=ok, ng=records - ok,
                quality_rate=None if q != q else q,
                last_record=rfc3339(t.last) if t is not None else None,
            )
        )  # fmt: skip
    causes = [
        DowntimeCause(state=k[0], reason=k[1], duration_s=v[0], count=int(v[1]))
        for k, v in pareto.items()
    ]
    causes.sort(key=lambda c: (-c.duration_s, c.state, c.reason or ""))
    return Floor(
        start=rfc3339(start) or "", end=rfc3339(end) or "", window_s=window_s,
        stations=out, timeline=timeline, downtime=causes,
    )  # fmt: skip
