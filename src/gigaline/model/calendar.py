"""The line calendar as planned-stop intervals over a horizon (the twin's, and live OEE's).

Scheduled time is laid out day by day from midnight: a day with ``hours_per_day`` scheduled
hours runs from 00:00 for that long and stops for the rest (3 x 8 h shifts: no daily stop).
With ``days_per_year`` below 365 the unscheduled days are spread evenly over the year (day ``d``
is off when ``floor((d+1) off / 365)`` steps up), which approximates weekends and holidays by
their count, not their dates. With ``hours_per_year``, every day is scheduled for
``hours_per_year / 365`` hours. Planned maintenance takes ``duration`` at the end of every
``every`` of scheduled time (ISO 22400-2: planned downtime inside the planned operation time).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from gigaline.model.schema import Calendar

__all__ = ["DAY_S", "planned_stop_seconds", "planned_stops"]

DAY_S = 86400.0


def _scheduled_windows(cal: Calendar, horizon_s: float) -> list[tuple[float, float]]:
    if cal.hours_per_year is not None:
        hours = min(24.0, cal.hours_per_year / 365.0)
        off_days = 0.0
    else:
        hours = cal.hours_per_day
        off_days = max(0.0, 365.0 - (cal.days_per_year or 365.0))
    windows: list[tuple[float, float]] = []
    for d in range(math.ceil(horizon_s / DAY_S)):
        y = d % 365
        if off_days > 0 and math.floor((y + 1) * off_days / 365.0) > math.floor(
            y * off_days / 365.0
        ):
            continue
        a = d * DAY_S
        b = min(a + hours * 3600.0, horizon_s)
        if b > a:
            if windows and windows[-1][1] == a:
                windows[-1] = (windows[-1][0], b)
            else:
                windows.append((a, b))
    return windows


def _maintenance(cal: Calendar, windows: list[tuple[float, float]]) -> list[tuple[float, float]]:
    pm = cal.planned_maintenance
    if pm is None:
        return []
    stops: list[tuple[float, float]] = []
    clock = 0.0  # scheduled seconds so far
    k = 1
    for a, b in windows:
        while True:
            start = k * pm.every_s - pm.duration_s  # in scheduled time
            end = k * pm.every_s
            lo = max(start, clock)
            hi = min(end, clock + (b - a))
            if hi > lo:
                stops.append((a + lo - clock, a + hi - clock))
            if end <= clock + (b - a):
                k += 1
                continue
            break
        clock += b - a
    return stops


def planned_stops(cal: Calendar, horizon_s: float) -> npt.NDArray[np.float64]:
    """Planned-stop boundaries in [0, horizon]: start0, end0, start1, end1, ... [s], merged."""
    windows = _scheduled_windows(cal, horizon_s)
    stops: list[tuple[float, float]] = []
    t = 0.0
    for a, b in windows:
        if a > t:
            stops.append((t, a))
        t = b
    if t < horizon_s:
        stops.append((t, horizon_s))
    stops.extend(_maintenance(cal, windows))
    stops.sort()
    merged: list[list[float]] = []
    for a, b in stops:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    flat = [x for ab in merged for x in ab]
    out = np.asarray(flat, dtype=np.float64)
    if out.size and out[-1] >= horizon_s:
        out[-1] = horizon_s + 1.0  # a stop running past the end never ends inside the run
    return out


def planned_stop_seconds(stops: npt.NDArray[np.float64], a: float, b: float) -> float:
    """Planned-stop time inside [a, b] [s]."""
    total = 0.0
    for s, e in stops.reshape(-1, 2):
        total += max(0.0, min(e, b) - max(s, a))
    return total
