"""The floor's stretches as columns (``services.floor._stretch_columns``) against the former
computation, a datetime per stretch (``_segments`` of 5 December, kept here as the oracle):
the same stretches, microseconds, durations and time per state, bit for bit, on random
timelines with the edge cases (no state, a state standing before the window, changes on the
window's edges, changes at the same time, naive and aware times, another time zone)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest

from gigaline.mes.ports import StationTimeline, epoch_us
from gigaline.mes.services.floor import UNKNOWN, _stretch_columns

SINCE = datetime(2026, 3, 2, 8, tzinfo=UTC)
UNTIL = datetime(2026, 3, 2, 16, tzinfo=UTC)
STATES = [("running", None), ("down", "web break"), ("down", "jam"), ("blocked", None),
          ("idle", None), (UNKNOWN, None)]  # fmt: skip


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _segments(
    t: StationTimeline, since: datetime, until: datetime
) -> list[tuple[str, str | None, datetime, datetime]]:
    """The former computation: (state, reason, start, end) of one timeline, clipped."""
    changes = ([t.standing] if t.standing is not None else []) + list(t.states)
    out: list[tuple[str, str | None, datetime, datetime]] = []
    if not changes:
        return [(UNKNOWN, None, since, until)]
    first = max(_utc(changes[0][0]), since)
    if first > since:
        out.append((UNKNOWN, None, since, first))
    for i, (ts, state, reason) in enumerate(changes):
        start = max(_utc(ts), since)
        end = until if i + 1 == len(changes) else min(_utc(changes[i + 1][0]), until)
        if end > start:
            out.append((state, reason, start, end))
    return out


def _reference(
    timelines: list[StationTimeline], since: datetime, until: datetime, shown: int
) -> tuple[dict[str, list[Any]], list[dict[str, float]]]:
    """The former floor's loop: the drawn stretches' columns and each station's state_s."""
    cols: dict[str, list[Any]] = defaultdict(list)
    state_s = []
    for i, t in enumerate(timelines):
        times: dict[str, float] = defaultdict(float)
        for state, reason, a, b in _segments(t, since, until):
            d = (b - a).total_seconds()
            times[state] += d
            if i < shown:
                for key, v in zip(("station", "state", "reason", "start", "end", "d"),
                                  (t.station, state, reason, a, b, d), strict=True):  # fmt: skip
                    cols[key].append(v)
        state_s.append(dict(times))
    return cols, state_s


def _moment(rng: random.Random, zone: str) -> datetime:
    """A time around the window, often on its edges or on a whole second."""
    pick = rng.random()
    if pick < 0.1:
        ts = SINCE
    elif pick < 0.2:
        ts = UNTIL
    else:
        span = (UNTIL - SINCE).total_seconds() + 7200
        whole = rng.random() < 0.3  # whole seconds: no fraction
        us = rng.randrange(int(span)) * 10**6 if whole else rng.randrange(int(span * 1e6))
        ts = SINCE - timedelta(hours=1) + timedelta(microseconds=us)
    if zone == "naive":
        return ts.replace(tzinfo=None)
    if zone == "plus2":
        return ts.astimezone(timezone(timedelta(hours=2)))
    return ts


def _timeline(rng: random.Random, name: str, since: datetime, until: datetime,
              zone: str) -> StationTimeline:  # fmt: skip
    """What a store gives: a state standing before ``since`` (or none), changes in
    [since, until) in time order (some at the same time, some on ``since``)."""
    kind = rng.random()
    standing = None
    if kind > 0.2:
        ts = _utc(_moment(rng, "utc"))
        ts = min(ts, since - timedelta(microseconds=rng.choice([1, 10**6, 3600 * 10**6])))
        standing = (ts if zone != "naive" else ts.replace(tzinfo=None), *rng.choice(STATES))
    changes = []
    for _ in range(rng.choice([0, 0, 1, 2, 5, 30])):
        ts = _moment(rng, zone)
        if since <= _utc(ts) < until:
            changes.append((ts, *rng.choice(STATES)))
    if changes and rng.random() < 0.3:  # changes at the same time
        changes.append(changes[rng.randrange(len(changes))][:1] + rng.choice(STATES))
    changes.sort(key=lambda c: _utc(c[0]))
    empty = np.zeros(0)
    return StationTimeline(name, standing, changes, empty, empty.astype(bool))  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(40))
def test_the_columns_are_the_former_stretches_bit_for_bit(seed: int) -> None:
    rng = random.Random(seed)
    zone = ["utc", "naive", "plus2"][seed % 3]
    since, until = SINCE, UNTIL
    if seed % 5 == 4:  # a window in another zone, its end just after a change (the data's now)
        since = SINCE.astimezone(timezone(timedelta(hours=-5)))
        until = UNTIL - timedelta(microseconds=rng.randrange(10**6))
    n = rng.choice([0, 1, 3, 12, 60])
    timelines = [_timeline(rng, f"s-{i}", _utc(since), _utc(until), zone) for i in range(n)]
    for shown in sorted({0, n // 2, n}):
        got, state_s = _stretch_columns(timelines, since, until, shown)
        want, want_s = _reference(timelines, since, until, shown)
        assert state_s == want_s  # the same sums, the same floats
        assert [list(s) for s in state_s] == [list(s) for s in want_s]  # and the same order
        assert got.station == want["station"] and got.state == want["state"]
        assert got.reason == want["reason"]
        assert got.start_us.tolist() == epoch_us([_utc(x) for x in want["start"]]).tolist()
        assert got.end_us.tolist() == epoch_us([_utc(x) for x in want["end"]]).tolist()
        assert got.duration_s == want["d"]
        assert got.start_us.dtype == got.end_us.dtype == np.int64


def test_the_edge_cases_one_by_one() -> None:
    e = np.zeros(0)
    at = SINCE + timedelta(hours=1)

    def tl(standing: Any, states: Any) -> StationTimeline:
        return StationTimeline("x", standing, states, e, e.astype(bool))

    cases = [
        tl(None, []),  # nothing known: unknown all the window
        tl((SINCE - timedelta(hours=3), "running", None), []),  # standing before the window
        tl(None, [(SINCE, "down", "jam")]),  # a change on the window's start: no unknown
        tl(None, [(at, "running", None)]),  # unknown to the first change
        tl((SINCE - timedelta(seconds=1), "idle", None),
           [(at, "down", "jam"), (at, "running", None)]),  # two at once: the first of no length
        tl(None, [(UNTIL - timedelta(microseconds=1), "blocked", None)]),  # one µs at the end
    ]  # fmt: skip
    got, state_s = _stretch_columns(cases, SINCE, UNTIL, len(cases))
    window = (UNTIL - SINCE).total_seconds()
    assert state_s == [
        {UNKNOWN: window},
        {"running": window},
        {"down": window},
        {UNKNOWN: 3600.0, "running": window - 3600},
        {"idle": 3600.0, "running": window - 3600},
        {UNKNOWN: window - 1e-6, "blocked": 1e-6},
    ]
    want, want_s = _reference(cases, SINCE, UNTIL, len(cases))
    assert state_s == want_s and got.duration_s == want["d"] and got.state == want["state"]
    empty, none = _stretch_columns([], SINCE, UNTIL, 0)
    assert (len(empty), none) == (0, [])
