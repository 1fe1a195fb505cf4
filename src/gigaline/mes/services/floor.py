"""The shop floor over a window: each station's state, time in each state, its counts.

What the plant, line and station pages of the dashboard show beside live OEE
(:mod:`gigaline.mes.services.oee`, which gives the OEE, its factors and the downtime Pareto
of the same window), from the same doors: the line layout and each station's timeline
(:class:`gigaline.mes.ports.OeeReader`). A window ends at the newest stored record or state
change (the data's own "now": a database filled from a file shows its own last hours) unless
``until`` is given, and is ``hours`` long.

A station's state at a moment is the last state change at or before it; the time before a
station's first known state is "unknown" (nothing was sent), never guessed. The quality rate
is ISO 22400-2's GQ / PQ: OK records over records (``gigaline.kpi.quality_rate``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from gigaline.errors import FieldError, NotFoundError
from gigaline.kpi import quality_rate
from gigaline.mes.ports import OeeReader, RecordTally, StationTimeline, Tallies, epoch_us
from gigaline.mes.services.models import Floor, StateSegment, StationFloor, rfc3339, rfc3339_us
from gigaline.mes.services.oee import HOUR_S, gaps
from gigaline.model.naming import station_order

__all__ = [
    "MAX_HOURS",
    "UNKNOWN",
    "FloorStore",
    "Stretches",
    "floor",
    "floor_stretches",
    "window",
    "window_tallies",
]

#: The state of a station before its first stored state change.
UNKNOWN = "unknown"
#: The longest window a page may ask for [h] (a month of a shift leader's view).
MAX_HOURS = 24 * 31


class FloorStore(OeeReader, Tallies, Protocol):
    """The doors the floor reads: the layout, the stations' timelines, the newest data."""


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def window(
    store: Tallies, hours: float, until: datetime | None = None
) -> tuple[datetime, datetime]:
    """[since, until) of a window of ``hours`` ending at ``until`` or else just after the
    newest stored data (now, when nothing is stored)."""
    if not 0 < hours <= MAX_HOURS:
        raise FieldError("hours", hours, f"a window from 0 to {MAX_HOURS} hours")
    if until is None:
        latest = store.latest_time()
        end = latest + timedelta(microseconds=1) if latest is not None else datetime.now(UTC)
    else:
        end = _utc(until)
    return end - timedelta(hours=hours), end


@dataclass(frozen=True)
class Stretches:
    """A floor's state timeline as columns, one entry per stretch (what
    :attr:`Floor.timeline` holds as :class:`StateSegment`, in the same order): a chart draws
    thousands of them without an object per stretch. Times are microseconds since the epoch
    (UTC); ``duration_s`` is the stretch's length as its segment gives it."""

    station: list[str] = field(default_factory=list)
    state: list[str] = field(default_factory=list)
    reason: list[str | None] = field(default_factory=list)
    start_us: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    end_us: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    duration_s: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.station)

    def among(self, stations: Collection[str] | None) -> list[int]:
        """The indexes of the stretches of ``stations`` (None: all), in order."""
        if stations is None:
            return list(range(len(self.station)))
        keep = set(stations)
        return [i for i, n in enumerate(self.station) if n in keep]

    def segments(self, index: list[int] | None = None) -> list[StateSegment]:
        """The stretches (those of ``index``, default all) as :class:`StateSegment`: their
        times formatted at once, made without validating again what is of its types."""
        idx = list(range(len(self.station))) if index is None else index
        starts = rfc3339_us(self.start_us[idx])
        ends = rfc3339_us(self.end_us[idx])
        return [
            StateSegment.model_construct(station=self.station[i], state=self.state[i],
                                         reason=self.reason[i], start=a, end=b,
                                         duration_s=self.duration_s[i])
            for i, a, b in zip(idx, starts, ends, strict=True)
        ]  # fmt: skip


def floor(
    store: FloorStore,
    *,
    hours: float = 8.0,
    until: datetime | None = None,
    line: str | None = None,
    station: str | None = None,
    timeline_stations: int | None = None,
    state_times: bool = True,
) -> Floor:
    """Stations' states, time per state, counts and state timeline over a window.

    ``line`` or ``station`` narrow it to one line or one station (NotFoundError if unknown).
    ``timeline_stations``: the timeline of the first so many stations only (in route order;
    a plant's full timeline is hundreds of thousands of stretches that no chart shows).
    Without ``state_times``, the time per state (``state_s``) of the stations whose timeline
    is not drawn is left empty and their state changes are not read, only the state standing
    at the window's end (what the plant and line pages show of them).
    """
    f, stretches = floor_stretches(
        store, hours=hours, until=until, line=line, station=station,
        timeline_stations=timeline_stations, state_times=state_times,
    )  # fmt: skip
    return f.model_copy(update={"timeline": stretches.segments()})


def _plan(
    covered: tuple[tuple[float, float], ...], first: bool, last: bool, a: float, b: float,
    h1: int, h2: int, buckets: list[tuple[float, float]],
) -> tuple[list[int], tuple[Any, ...]]:  # fmt: skip
    """What :func:`window_tallies` counts of a station's window [a, b) beyond its whole hours
    [h1, h2) ``covered`` by stored hours, given whether its first and last hours are stored
    (buckets 0 and 2): the buckets whose stored hour it takes (the longer part of the hour in
    the window), and the pieces to count (added, taken away)."""
    used: list[int] = []
    added: list[tuple[float, float]] = []
    taken: list[tuple[float, float]] = []
    stored = {0: first, 2: last}
    whole = [(max(x, h1), min(y, h2)) for x, y in covered if y > h1 and x < h2]
    for lo, hi in gaps(whole, a, b):  # the first and last hours' parts always among them
        k = 0 if hi <= h1 else 2 if lo >= h2 else -1
        if stored.get(k, False) and hi - lo > HOUR_S / 2:
            used.append(k)
            taken.extend(gaps([(lo, hi)], *buckets[k]))
        else:
            added.append((lo, hi))
    return used, (tuple(added), tuple(taken))


def window_tallies(
    store: FloorStore, names: list[str], since: datetime, end: datetime,
    silence_s: float | None = None,
) -> dict[str, RecordTally]:  # fmt: skip
    """Per station of ``names`` with records in [since, end): their count, OK count and the
    newest one's time, as :meth:`~gigaline.mes.ports.OeeReader.station_record_tallies` gives
    them, the counts of whole hours taken from the stored hourly summaries (for
    ``silence_s``, default: the setting ``oee_silence_s``; records do not depend on it) and
    only the rest counted by the store, the newest found by the store without counting: a
    plant's 8 hours is about 1.2 million records, a tenth of a second of the database's time
    to count."""
    a, b = since.timestamp(), end.timestamp()
    h1, h2 = math.ceil(a / HOUR_S) * HOUR_S, math.floor(b / HOUR_S) * HOUR_S
    if h2 - h1 < 2 * HOUR_S:  # nothing to gain
        return store.station_record_tallies(names, since, end)
    if silence_s is None:
        from gigaline.settings import Settings

        silence_s = Settings.load().oee_silence_s
    # the whole hours, and apart the hours in which the window begins and ends: of those the
    # shorter part is counted, added or (from a stored hour) taken away
    h0, h3 = h1 - HOUR_S, h2 + HOUR_S
    buckets = [(float(h0), float(h1)), (float(h1), float(h2)), (float(h2), float(h3))]
    hs = store.oee_hour_sums(names, h0, h3, silence_s, buckets, downtime=False)
    counts = {n: [sums[3], sums[4]] for (n, k), sums in hs.sums.items() if k == 1}  # records, OK
    # what is left of each station's window, stations grouped by it: (added, taken away),
    # worked out once per kind of station (its covered hours, whether its first and last
    # hours are stored: most stations of a line share one), and the stored first and last
    # hours it uses
    rest: dict[tuple[tuple[tuple[float, float], ...], ...], list[str]] = defaultdict(list)
    plans: dict[tuple[Any, ...], tuple[list[int], tuple[Any, ...]]] = {}
    for n in names:
        covered = tuple(hs.covered.get(n, ()))
        kind = (covered, (n, 0) in hs.sums, (n, 2) in hs.sums)
        plan = plans.get(kind)
        if plan is None:
            plan = plans[kind] = _plan(covered, kind[1], kind[2], a, b, h1, h2, buckets)
        for k in plan[0]:
            stored = hs.sums[(n, k)]
            c = counts.setdefault(n, [0, 0])
            c[0] += stored[3]
            c[1] += stored[4]
        rest[plan[1]].append(n)
    for (plus, minus), group in rest.items():
        for sign, pieces in ((1, plus), (-1, minus)):
            for lo, hi in pieces:
                got = store.station_record_tallies(
                    group, datetime.fromtimestamp(lo, UTC), datetime.fromtimestamp(hi, UTC)
                )
                for n, t in got.items():
                    c = counts.setdefault(n, [0, 0])
                    c[0] += sign * t.records
                    c[1] += sign * t.ok
    kept = [n for n in names if counts.get(n, (0,))[0]]
    newest = store.station_last_records(kept, since, end)
    return {n: RecordTally(counts[n][0], counts[n][1], newest[n]) for n in kept}


def _stretch_columns(
    timelines: Sequence[StationTimeline], since: datetime, until: datetime, shown: int
) -> tuple[Stretches, list[dict[str, float]]]:
    """The stretches of ``timelines`` clipped to [since, until), as columns, without a
    datetime or a tuple per stretch: those of the first ``shown`` stations as
    :class:`Stretches`, and per station its time per state (``state_s``, states in the order
    they first show, each the sum in time order of its stretches' durations, by numpy).

    A station's stretches: "unknown" from ``since`` to its first known state (the whole
    window when none is known, nothing when one stands at ``since``), then each state from
    its change (``since`` at the latest) to the next change (``until`` at the latest), those
    of no length left out. The change times become microseconds at once (:func:`epoch_us`),
    a stretch's duration is its microseconds over 10**6 (what ``timedelta.total_seconds``
    gives) and the sums are numpy's ``bincount`` (one addition after another, in order, as
    a loop gives)."""
    n_st = len(timelines)
    kinds: dict[tuple[str, str | None], int] = {(UNKNOWN, None): 0}
    code = kinds.setdefault
    times: list[datetime] = []
    kind: list[int] = []
    count: list[int] = []
    for t in timelines:
        changes = ([t.standing] if t.standing is not None else []) + t.states
        times.extend(c[0] for c in changes)
        kind.extend(code((c[1], c[2]), len(kinds)) for c in changes)
        count.append(len(changes))
    try:
        us = epoch_us(times)
    except TypeError:  # naive and aware times together
        us = epoch_us([_utc(x) for x in times])
    lo, hi = epoch_us([_utc(since), _utc(until)]).tolist()
    n = np.array(count, np.int64)
    first = np.cumsum(n) - n  # each station's first change
    last = first + n - 1
    sid = np.repeat(np.arange(n_st, dtype=np.int64), n)
    a = np.maximum(us, lo)
    b = np.empty_like(us)
    b[:-1] = us[1:]
    b[last[n > 0]] = hi  # a station's last state lasts to the window's end
    b = np.minimum(b, hi)
    keep = b > a
    # "unknown" first: to the first known state, the whole window when none is known
    has = n > 0
    u_end = np.full(n_st, hi, np.int64)
    u_end[has] = np.maximum(us[first[has]], lo)
    u_keep = ~has | (u_end > lo)
    # every station's unknown stretch (if any) before its states: a stable sort by station
    st = np.concatenate([np.flatnonzero(u_keep), sid[keep]])
    order = np.argsort(st, kind="stable")
    st = st[order]
    k = np.concatenate([np.zeros(int(u_keep.sum()), np.int64), np.array(kind, np.int64)[keep]])
    k = k[order]
    start = np.concatenate([np.full(int(u_keep.sum()), lo, np.int64), a[keep]])[order]
    end = np.concatenate([u_end[u_keep], b[keep]])[order]
    seconds = (end - start) / 1e6
    # the time per state: per (station, state) the durations summed in order
    state_names: dict[str, int] = {}
    state_of = np.array([state_names.setdefault(s, len(state_names)) for s, _ in kinds],
                        np.int64)  # fmt: skip
    m = len(state_names)
    key = st * m + state_of[k]
    sums = np.bincount(key, weights=seconds, minlength=n_st * m).tolist()
    firsts = np.unique(key, return_index=True)
    names = list(state_names)
    state_s: list[dict[str, float]] = [{} for _ in range(n_st)]
    for x in firsts[0][np.argsort(firsts[1], kind="stable")].tolist():
        state_s[x // m][names[x % m]] = sums[x]
    # the drawn stations' stretches
    j = int(np.searchsorted(st, shown, "left"))
    kind_list = list(kinds)
    kd = k[:j].tolist()
    stations = np.array([t.station for t in timelines], dtype=object)
    stretches = Stretches(
        stations[st[:j]].tolist(), [kind_list[x][0] for x in kd], [kind_list[x][1] for x in kd],
        start[:j], end[:j], seconds[:j].tolist(),
    )  # fmt: skip
    return stretches, state_s


def floor_stretches(
    store: FloorStore,
    *,
    hours: float = 8.0,
    until: datetime | None = None,
    line: str | None = None,
    station: str | None = None,
    timeline_stations: int | None = None,
    state_times: bool = True,
) -> tuple[Floor, Stretches]:
    """:func:`floor` with its timeline as :class:`Stretches` (the Floor's own ``timeline``
    left empty): what a page's chart draws from, without a :class:`StateSegment` per stretch
    (a line's 8 hours: 8,400 stretches, half of the floor's time when made)."""
    since, end = window(store, hours, until)
    steps = store.oee_layout().steps
    if line is not None:
        steps = [s for s in steps if s.line == line]
        if not steps:
            raise NotFoundError("line", line, "line")
    picked = [(s, n) for s in steps for n in sorted(s.stations, key=station_order)]
    if station is not None:
        picked = [(s, n) for s, n in picked if n == station]
        if not picked:
            raise NotFoundError("station", station, "station")
    names = [n for _, n in picked]
    cut = len(names) if timeline_stations is None or state_times else timeline_stations
    # the states read, the records counted by the store (a plant's 8 hours is ~350,000), the
    # two at once (each mostly waits for the database: on 16 days of the reference line a
    # line's 8 hours took 123 ms one after the other)
    with ThreadPoolExecutor(1, thread_name_prefix="floor-tallies") as pool:
        counted = pool.submit(window_tallies, store, names, since, end)
        timelines = store.station_timelines(names[:cut], since, end, records=False)
        if cut < len(names):  # the state standing at the end: an empty window [end, end)
            timelines.update(store.station_timelines(names[cut:], end, end, records=False))
        tallies = counted.result()
    counts = [(t.records, t.ok) if t is not None else (0, 0) for t in map(tallies.get, names)]
    # the quality rates at once (one numpy call per station was a tenth of the floor's time)
    rates: list[float] = quality_rate(
        np.array([ok for _, ok in counts], np.float64),
        np.array([n for n, _ in counts], np.float64),
    ).tolist()
    shown = len(names) if timeline_stations is None else min(timeline_stations, cut)
    stretches, state_times_of = _stretch_columns([timelines[n] for n in names[:cut]], since,
                                                 end, shown)  # fmt: skip
    out: list[StationFloor] = []
    for i, (step, name) in enumerate(picked):
        t = timelines[name]
        last = t.states[-1] if t.states else t.standing
        tally = tallies.get(name)
        records, ok = counts[i]
        q = rates[i]
        out.append(
            StationFloor(
                station=name, step=step.name, line=step.line, position=step.position,
                state=last[1] if last is not None else UNKNOWN,
                reason=last[2] if last is not None else None,
                since=rfc3339(last[0]) if last is not None else None,
                state_s=state_times_of[i] if i < cut else {},
                records=records, ok=ok, ng=records - ok,
                quality_rate=None if q != q else q,
                last_record=rfc3339(datetime.fromtimestamp(tally.last_s, UTC))
                if tally is not None else None,
            )
        )  # fmt: skip
    f = Floor(
        start=rfc3339(since) or "", end=rfc3339(end) or "",
        window_s=(end - since).total_seconds(), stations=out, timeline=[],
    )  # fmt: skip
    return f, stretches
