"""Per-station totals over a window: records OK and NG, seconds in each state.

What the MES holds, counted the way the virtual line counts its ground truth
(:class:`gigaline.virtual.line.Truth`): a station's records are those whose end lies in
[since, until); its state time runs from the state standing at ``since`` (or its first state
change in the window, where none was standing) to ``until``, clipped to the window. ``gigaline
run`` and the live-line tests compare the two, station by station.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from gigaline.mes.ports import OeeReader, StationTimeline
from gigaline.mes.services.models import StationTotals, Totals

__all__ = ["station_totals"]


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _seconds(tl: StationTimeline, since: datetime, until: datetime) -> dict[str, float]:
    out: dict[str, float] = {}
    changes = list(tl.states)
    standing = (since, tl.standing[1]) if tl.standing is not None else None
    for ts, state, _reason in changes:
        if standing is not None:
            span = (min(ts, until) - max(standing[0], since)).total_seconds()
            out[standing[1]] = out.get(standing[1], 0.0) + max(0.0, span)
        standing = (ts, state)
    if standing is not None:
        span = (until - max(standing[0], since)).total_seconds()
        out[standing[1]] = out.get(standing[1], 0.0) + max(0.0, span)
    return out


def station_totals(
    store: OeeReader, since: datetime, until: datetime, stations: Collection[str] | None = None
) -> Totals:
    """Totals per station (every registered one unless ``stations``) over [since, until)."""
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    if stations is None:
        stations = [s for step in store.oee_layout().steps for s in step.stations]
    timelines = store.station_timelines(stations, since, until)
    rows = []
    for station in sorted(timelines):
        tl = timelines[station]
        good = int(tl.record_ok.sum())
        processed = int(tl.record_ok.size)
        rows.append(
            StationTotals(
                station=station,
                processed=processed,
                good=good,
                ng=processed - good,
                seconds={k: round(v, 3) for k, v in _seconds(tl, since, until).items() if v},
            )
        )
    return Totals(since=_iso(since), until=_iso(until), stations=rows)
