"""What each page shows, as functions of the MES services, the planner and the twin.

A view takes a store (or a line) and the page's inputs and returns the template's context: the
services' typed results plus the chart JSON of :mod:`gigaline.web.charts`. Views never write:
looking at a page changes nothing (the SPC view runs the chart without raising alarms). The
routes of :mod:`gigaline.web.pages` only parse the request, check the role and render.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from gigaline.mes.ports import StationTimeline, Store
from gigaline.mes.services import hold_contents, list_holds, run_spc, trace
from gigaline.mes.services.floor import floor_stretches, window
from gigaline.mes.services.models import Floor, OeeReport, OeeRow, StationFloor
from gigaline.mes.services.oee import live_oee
from gigaline.mes.services.trace import genealogy_graph
from gigaline.mes.spc_plot import spc_figure
from gigaline.model import Line
from gigaline.web.charts import (
    figure_dict,
    genealogy_figure,
    pareto_figure,
    plan_actual_figure,
    timeline_figure,
)

__all__ = [
    "FloorViews",
    "Step",
    "cell_view",
    "floor_view",
    "hold_view",
    "holds_view",
    "plan_actual_view",
    "planner_view",
    "spc_index",
    "spc_view",
]


#: The most points an SPC page charts unless asked for a period (``since``) or a baseline.
MAX_POINTS = 1000
#: The most stations a floor page's state timeline shows (the first, in route order).
TIMELINE_STATIONS = 60


@dataclass(frozen=True)
class Step:
    """One step of a line on the line page: its stations and their tally."""

    name: str
    position: int
    stations: list[StationFloor]

    @property
    def states(self) -> dict[str, int]:
        """Stations per current state."""
        return dict(Counter(s.state for s in self.stations))

    @property
    def records(self) -> int:
        return sum(s.records for s in self.stations)

    @property
    def ng(self) -> int:
        return sum(s.ng for s in self.stations)


def _steps(f: Floor) -> dict[str, list[Step]]:
    """Line -> its steps in route order, each with its stations."""
    grouped: dict[str, dict[tuple[int, str], list[StationFloor]]] = defaultdict(dict)
    for s in f.stations:
        grouped[s.line].setdefault((s.position, s.step), []).append(s)
    return {
        line: [Step(name, pos, st) for (pos, name), st in sorted(steps.items())]
        for line, steps in grouped.items()
    }


class _ReadOnce:
    """A store whose station timelines of one window are read once: a later ask for some of
    the same stations over the same window gets the rows already read (the floor tiles and
    their OEE read the same stations; on 16 days of the reference line each read of an 8-hour
    window of the plant is half a million records)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._read: tuple[datetime, datetime, bool, dict[str, StationTimeline]] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def station_timelines(
        self, stations: Collection[str], since: datetime, until: datetime, *,
        records: bool = True,
    ) -> dict[str, StationTimeline]:  # fmt: skip
        names = list(stations)
        if self._read is not None:
            a, b, with_records, read = self._read
            if (a == since and b == until and (with_records or not records)
                    and all(n in read for n in names)):  # fmt: skip
                return {n: read[n] for n in names}
        got = self._store.station_timelines(names, since, until, records=records)
        self._read = (since, until, records, got)
        return got


def _oee_reports(
    store: Store, line: str | None, station: str | None, since: datetime, until: datetime
) -> list[OeeReport]:
    """Live OEE of a floor page's scope and one level down: a line (its rows: the line and
    its steps), a station, or else the plant's lines in the layout's order (those with
    stations: the floor's lines)."""
    if line is not None:
        names = [line]
    elif station is not None:
        names = []
    else:
        names = list(dict.fromkeys(s.line for s in store.oee_layout().steps if s.stations))
    reports = [live_oee(store, line=n, since=since, until=until, now=until) for n in names]
    if station is not None:
        reports.append(live_oee(store, station=station, since=since, until=until, now=until))
    return reports


def floor_view(
    store: Store,
    *,
    hours: float,
    line: str | None = None,
    station: str | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """The plant (no ``line``), a line, or one station: state tiles, OEE tiles with their
    factors (live OEE over the same window), timeline, downtime Pareto, counters; over the
    ``hours`` up to ``until`` (default: just after the newest stored data).

    The floor is computed in a thread beside live OEE, whose reads of the window are read
    once for all its calls (:class:`_ReadOnce`). The context's ``floor`` carries no
    ``timeline``: the chart is drawn from the stretches as
    columns (:func:`gigaline.mes.services.floor.floor_stretches`), the same chart as from the
    floor's own timeline without an object per stretch."""
    read_once = cast(Store, _ReadOnce(store))
    since, until = window(store, hours, until)
    # the floor computed beside live OEE (each mostly waits for its queries: on 1 day of the
    # reference line a line's view took 380-450 ms one after the other); the floor's reads
    # (without records) are never what live OEE asks again, so it reads the store itself
    with ThreadPoolExecutor(1, thread_name_prefix="floor") as pool:
        floor_read = pool.submit(
            floor_stretches, store, hours=hours, until=until, line=line, station=station,
            timeline_stations=TIMELINE_STATIONS, state_times=station is not None,
        )  # fmt: skip
        try:
            reports = _oee_reports(read_once, line, station, since, until)
        except Exception:
            floor_read.result()  # the floor's error first (an unknown line or station)
            raise
        f, stretches = floor_read.result()
    lines = _steps(f)
    # OEE of the page's scope and one level down: the plant's lines, a line's steps, a station
    oee: dict[str, OeeRow] = {f"{r.scope}:{r.name}": r for rep in reports for r in rep.rows}
    states = Counter(s.state for s in f.stations)
    records = sum(s.records for s in f.stations)
    ok = sum(s.ok for s in f.stations)
    shown = [s.station for s in f.stations]
    return {
        "site": store.site,
        "floor": f,
        "lines": lines,
        "states": dict(states),
        "records": records,
        "ok": ok,
        "ng": records - ok,
        "hours": hours,
        "oee": oee,
        "pareto": [c for rep in reports for c in rep.pareto],
        "charts": {
            "timeline": timeline_figure(f, shown[:TIMELINE_STATIONS], stretches),
            "pareto": pareto_figure(reports[0]) if len(reports) == 1 else None,
        },
        "timeline_cut": max(0, len(shown) - TIMELINE_STATIONS),
    }


class FloorViews:
    """The floor views of one app (``app.state.web_views``), each computed once for every page
    and live stream that shows it while nothing newer is stored.

    A view (page scope and window) computed less than ``reuse_s`` ago is given again while the
    store's newest time (:meth:`latest_time`, one index step per station) is what it was
    then: a plant page opened while another is open, or a live stream's period, costs that one
    query instead of the view's computation. Anything stored since with a newer time makes the
    next ask compute the view again; an event stored late with an older time than the newest
    shows within ``reuse_s``, as on a live page. At most ``size`` views are kept (the least
    recently computed go first). Thread-safe: pages run in the server's thread pool."""

    def __init__(self, reuse_s: float = 5.0, size: int = 64) -> None:
        self.reuse_s, self.size = reuse_s, size
        self._views: OrderedDict[tuple[Any, ...], tuple[float, datetime | None, dict[str, Any]]]
        self._views = OrderedDict()
        self._lock = threading.Lock()
        self.computed = 0  # views computed (not given again): for tests and benchmarks

    def get(self, store: Store, *, hours: float, **where: str) -> dict[str, Any]:
        """The view's context (a new dict each time: callers may add to it), with its
        ``view_id``: the same while the same computation is given."""
        key = (hours, tuple(sorted(where.items())))
        latest = store.latest_time()
        now = time.monotonic()
        with self._lock:
            hit = self._views.get(key)
        if hit is not None and now - hit[0] < self.reuse_s and hit[1] == latest:
            return dict(hit[2])
        until = latest + timedelta(microseconds=1) if latest is not None else None
        ctx = floor_view(store, hours=hours, until=until, **where)
        with self._lock:
            self.computed += 1
            # which computation this is: a page and a live message showing the same one
            # carry the same id, so the page does not draw again what it already shows
            ctx["view_id"] = f"{id(self):x}-{self.computed}"
            self._views[key] = (now, latest, ctx)
            self._views.move_to_end(key)
            while len(self._views) > self.size:
                self._views.popitem(last=False)
        return dict(ctx)


def spc_index(store: Store) -> list[dict[str, Any]]:
    """The parameters with spec limits in the stored quality sections, by line."""
    out = []
    for line, quality in store.qualities().items():
        for spec in quality.specs if quality is not None else []:
            out.append({"line": line, "step": spec.step, "param": spec.param,
                        "lsl": spec.lsl, "usl": spec.usl, "target": spec.target})  # fmt: skip
    return out


def spc_view(
    store: Store,
    step: str,
    param: str,
    *,
    chart: str,
    rules: str,
    baseline: int | None,
    subgroup_size: int,
    since: datetime | None,
) -> dict[str, Any]:
    """A control chart of stored data: limits, zones, flagged points, capability (read only).

    Without ``since`` or ``baseline``, a long series is charted over its last
    :data:`MAX_POINTS` points (limits and capability of those points, as the page says):
    a browser draws that many at once without waiting.
    """
    cut = since is None and baseline is None
    res = run_spc(
        store, step, param, chart=chart, rules=rules, baseline=baseline,
        subgroup_size=subgroup_size, since=since, raise_alarms=False,
        limit=MAX_POINTS if cut else None,
    )  # fmt: skip
    flagged = sorted({i for idx in res.violations.values() for i in idx})
    return {
        "spc": res,
        "flagged": [
            {
                "index": i,
                "ts": res.ts[i],
                "value": res.statistics[i],
                "rules": sorted(r for r, idx in res.violations.items() if i in idx),
                "units": res.point_units[i][:10],
            }
            for i in flagged[-200:]
        ],
        "flagged_total": len(flagged),
        "charts": {"spc": figure_dict(spc_figure(res))},
    }


def cell_view(store: Store, unit: str) -> dict[str, Any]:
    """A unit's history, parameters, curves, holds and its genealogy graph to the lots."""
    t = trace(store, unit)
    g = genealogy_graph(store, unit, "backward")
    return {"trace": t, "genealogy": g, "charts": {"genealogy": genealogy_figure(g)}}


def holds_view(store: Store) -> dict[str, Any]:
    """Every hold, active first then released, newest first within each."""
    holds = list_holds(store, include_released=True).holds
    return {
        "active": [h for h in holds if h.released is None],
        "released": [h for h in holds if h.released is not None],
    }


def hold_view(store: Store, hold_id: int, limit: int = 500) -> dict[str, Any]:
    """One hold and the units it caught (the first ``limit`` by name)."""
    return {"contents": hold_contents(store, hold_id, limit), "limit": limit}


def planner_view(line: Line, target_gwh: float | None, source: str) -> dict[str, Any]:
    """The plan of ``line`` for ``target_gwh`` (None: the file's target): machines per step,
    area, energy, capex, cost per kWh."""
    from gigaline.plan import plan_line

    plan = plan_line(line, target_gwh=target_gwh)
    p = plan.first
    return {"plan": plan, "p": p, "source": source, "target_gwh": p.gwh_per_year,
            "file_gwh": plan.file_gwh_per_year}  # fmt: skip


def plan_actual_view(
    store: Store,
    line: Line,
    target_gwh: float | None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """The plan of ``line`` per step against the line of that name over [since, until)
    (default: the stored period)."""
    from gigaline.mes.services.plan_actual import plan_vs_actual

    res = plan_vs_actual(store, line, since, until, target_gwh=target_gwh)
    return {"pva": res, "charts": {"plan_actual": plan_actual_figure(res)}}
