"""The dashboard's charts as Plotly figure JSON, drawn in the browser by the vendored plotly.js.

Each function returns the figure as a plain dict (``{"data": [...], "layout": {...}}``): the
page embeds it in a ``<script type="application/json">`` block and ``static/web.js`` draws it
with ``Plotly.react``; live updates send the same JSON over server-sent events. The SPC chart
is :func:`gigaline.mes.spc_plot.spc_figure`, the same figure ``gigaline spc --plot`` writes.
"""

from __future__ import annotations

import copy
import functools
import json
import math
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from numpy.typing import NDArray

from gigaline.mes.services.floor import UNKNOWN, Stretches
from gigaline.mes.services.models import Floor, Genealogy, OeeReport, StateSegment
from gigaline.mes.services.plan_actual import PlanVsActual

__all__ = [
    "MAX_BARS",
    "PARETO_MIN_S",
    "STATE_COLOURS",
    "bin_width_s",
    "figure_dict",
    "genealogy_figure",
    "pareto_figure",
    "plan_actual_figure",
    "timeline_figure",
]  # fmt: skip

#: One colour per contract state, the same on every page (tiles use the same names in CSS).
STATE_COLOURS = {
    "running": "#2ca02c", "idle": "#98df8a", "setup": "#17becf", "starved": "#ffbb78",
    "blocked": "#ff7f0e", "down": "#d62728", "maintenance": "#9467bd", "stopped": "#8c564b",
    "off": "#7f7f7f", UNKNOWN: "#dddddd",
}  # fmt: skip

_LAYOUT: dict[str, Any] = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 40,
                                                                   "b": 40}}  # fmt: skip


def figure_dict(fig: go.Figure) -> dict[str, Any]:
    """A figure as plain JSON data (numpy arrays and dates made JSON by plotly's encoder)."""
    out: dict[str, Any] = json.loads(pio.to_json(fig, validate=False))
    return out


def _minute(ts: str) -> str:
    """An RFC 3339 time to the minute, for a title: ``2026-01-05 03:58``."""
    return ts[:16].replace("T", " ")


def _timeline_traces(segments: list[StateSegment]) -> list[dict[str, Any]]:
    """The bars of the state timeline as plotly.js traces, one per state: plain JSON, built
    without plotly's validators (a line's 8 hours is thousands of stretches: 5 s of
    validation on the reference line, for data that is already of the right types)."""
    by_state: dict[str, list[Any]] = defaultdict(list)
    for s in segments:
        by_state[s.state].append(s)
    return [
        {
            "base": [s.start for s in segs],
            "customdata": [[s.start, s.end, s.reason or ""] for s in segs],
            "hovertemplate": "%{y}: " + state + " %{customdata[2]}<br>%{customdata[0]} to "
            "%{customdata[1]}<extra></extra>",
            "marker": {"color": STATE_COLOURS[state]},
            "name": state,
            "orientation": "h",
            "x": [s.duration_s * 1000 for s in segs],
            "y": [s.station for s in segs],
            "type": "bar",
        }
        for state, segs in ((st, by_state[st]) for st in STATE_COLOURS if st in by_state)
    ]


#: Above this many stretches the timeline is drawn binned (:func:`_binned_timeline`): plotly.js
#: takes about a second and a half to draw 8,000 bars, and a page carrying them weighs 1.3 MB.
MAX_BARS = 1500
#: The bin widths a binned timeline may take [s]: the first that gives at most
#: :data:`MAX_BINS` bins over the window (an 8-hour window: 1-minute bins).
BIN_WIDTHS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200,
                86400)  # fmt: skip
MAX_BINS = 600


def _epoch_s(ts: str) -> float:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


def _iso_s(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def bin_width_s(window_s: float) -> int:
    """The bin width of a binned timeline over a window of ``window_s`` seconds."""
    for w in BIN_WIDTHS_S:
        if window_s / w <= MAX_BINS:
            return w
    return math.ceil(window_s / MAX_BINS)


def _held(
    t0: float, t1: float, width: int, rows: int, row: NDArray[np.int64], code: NDArray[np.int64],
    start_s: NDArray[np.float64], end_s: NDArray[np.float64],
) -> NDArray[np.float64]:  # fmt: skip
    """Seconds each state held in each row's bins of ``width`` (rows x bins x states), bins on
    whole multiples of the width, over [t0, t1); each stretch is in row ``row`` (-1: none)
    with state index ``code``.

    Each stretch adds, in the stretches' order, its part of its first bin, the whole width to
    each bin it spans, and its part of its last bin (or its length to the one bin it lies in):
    numpy at once, the same sums in the same order as adding them one stretch at a time."""
    origin = math.floor(t0 / width) * width
    bins = max(1, math.ceil((t1 - origin) / width))
    n = len(STATE_COLOURS)
    a = np.maximum(start_s, t0) - origin
    b = np.minimum(end_s, t1) - origin
    keep = (row >= 0) & (b > a)
    a, b, row, code = a[keep], b[keep], row[keep], code[keep]
    i = (a // width).astype(np.int64)
    j = np.minimum((b // width).astype(np.int64), bins - 1)
    parts = j - i + 1  # the cells each stretch adds to
    which = np.repeat(np.arange(len(a)), parts)  # the stretch of each addition, in order
    k = np.arange(len(which)) - np.repeat(np.cumsum(parts) - parts, parts)  # its bin's offset
    cell = i[which] + k
    first, last, alone = k == 0, cell == j[which], (i == j)[which]
    add = np.full(len(which), float(width))
    add[first] = ((i[which] + 1) * width - a[which])[first]
    add[last & ~first] = (b[which] - j[which] * width)[last & ~first]
    add[alone] = (b - a)[which][alone]
    flat = (row[which] * bins + cell) * n + code[which]
    held = np.bincount(flat, weights=add, minlength=rows * bins * n).astype(np.float64, copy=False)
    return held.reshape(rows, bins, n)


def _binned_timeline(
    start: str, end: str, stations: list[str], station: list[str], state: list[str],
    start_s: NDArray[np.float64], end_s: NDArray[np.float64],
) -> tuple[list[dict[str, Any]], int]:  # fmt: skip
    """The state timeline as one heatmap: per station (row) and bin of :func:`bin_width_s`
    (column), the state that held longest in the bin (z: its index in :data:`STATE_COLOURS`,
    customdata: its share of the bin's known time in %, null where nothing is known), bins on
    whole multiples of their width (minutes of the clock), and one empty bar per state for
    the legend. ``static/web.js`` writes each cell's hover text (state, share, the bin's start
    and end) from ``meta``: one name per state sent, not one per cell.

    The stretches are given as columns: each one's station and state, and its start and end
    in UNIX seconds."""
    t0, t1 = _epoch_s(start), _epoch_s(end)
    width = bin_width_s(t1 - t0)
    origin = math.floor(t0 / width) * width  # bins on whole minutes (hours...) of the clock
    names = list(STATE_COLOURS)
    code = {s: i for i, s in enumerate(names)}
    row_of = {s: i for i, s in enumerate(stations)}
    rows = np.fromiter((row_of.get(n, -1) for n in station), np.int64, len(station))
    codes = np.fromiter((code.get(s, code[UNKNOWN]) for s in state), np.int64, len(state))
    held = _held(t0, t1, width, len(stations), rows, codes, start_s, end_s)
    bins = held.shape[1]
    top = held.argmax(axis=2)
    total = held.sum(axis=2)
    share = np.rint(100 * np.take_along_axis(held, top[:, :, None], axis=2)[:, :, 0]
                    / np.where(total > 0, total, 1))  # fmt: skip
    empty = total == 0  # nothing known of the bin: null, drawn blank
    z_cells = top.astype(object)
    z_cells[empty] = None
    share_cells = share.astype(np.int64).astype(object)
    share_cells[empty] = None
    z, cd = z_cells.tolist(), share_cells.tolist()
    n = len(names)
    scale = []  # one flat colour per state index (zmin -0.5 .. zmax n - 0.5)
    for i, s in enumerate(names):
        scale += [[i / n, STATE_COLOURS[s]], [(i + 1) / n, STATE_COLOURS[s]]]
    present = [s for k, s in enumerate(names) if held[:, :, k].any()]  # in the legend
    heat = {
        "type": "heatmap", "x": [_iso_s(origin + (c + 0.5) * width) for c in range(bins)],
        "y": stations, "z": z, "customdata": cd, "zmin": -0.5, "zmax": n - 0.5,
        "colorscale": scale, "showscale": False,  # no gaps: plotly.js draws them cell by cell
        "meta": {"states": names, "bin_s": width},
        "hovertemplate": "%{y}: %{text}<extra></extra>", "name": "state",
    }  # fmt: skip
    legend = [
        {"type": "bar", "x": [None], "y": [None], "name": s, "showlegend": True,
         "marker": {"color": STATE_COLOURS[s]}, "hoverinfo": "skip"}
        for s in present
    ]  # fmt: skip
    return [heat, *legend], width


def _segment_seconds(f: Floor, segments: list[StateSegment]) -> tuple[NDArray[np.float64], ...]:
    """The start and end of each segment in UNIX seconds (a missing start: the window's start,
    a missing end: its end), each distinct time parsed once (an end is the next start)."""
    parsed: dict[str, float] = {}
    t0, t1 = _epoch_s(f.start), _epoch_s(f.end)

    def epoch(ts: str | None, default: float) -> float:
        if not ts:
            return default
        got = parsed.get(ts)
        if got is None:
            got = parsed[ts] = _epoch_s(ts)
        return got

    n = len(segments)
    a = np.fromiter((epoch(s.start, t0) for s in segments), np.float64, n)
    b = np.fromiter((epoch(s.end, t1) for s in segments), np.float64, n)
    return a, b


#: The state timeline's margins [px]: the left one made what the longest station name needs
#: by static/web.js (measured on a canvas), the right one room for half the last time label
#: (two lines, "00:00" over "Jan 6, 2026", shown since the window's end is no longer hidden),
#: the bottom one pushed by the legend. Its axes have no automargin, its time labels a set angle
#: and no overflow check, its y axis no title standoff (:func:`_timeline_template`): plotly
#: measured the box of every label drawn, a forced layout each (the plant page's 109 forced
#: layouts, 38 now; tests/web/test_browser.py counts the boxes read).
TIMELINE_MARGIN = {"l": 60, "r": 50, "t": 40, "b": 40}


def timeline_figure(
    f: Floor, stations: list[str] | None = None, stretches: Stretches | None = None
) -> dict[str, Any]:
    """The state timeline: one row per station, one bar per stretch of a state; above
    :data:`MAX_BARS` stretches, binned (each cell the state that held longest in its bin).

    The stretches are ``f.timeline``, or ``stretches`` when given (what
    :func:`gigaline.mes.services.floor.floor_stretches` gives: the same chart, without an
    object per stretch)."""
    if stretches is not None:
        index = stretches.among(stations)
        many = len(index) > MAX_BARS
        station = [stretches.station[i] for i in index]
    else:
        keep = set(stations) if stations is not None else None
        shown = [s for s in f.timeline if keep is None or s.station in keep]
        many = len(shown) > MAX_BARS
        station = [s.station for s in shown]
    title = f"State timeline, {_minute(f.start)} to {_minute(f.end)} UTC"
    if many:
        order = stations or list(dict.fromkeys(station))
        if stretches is not None:
            state = [stretches.state[i] for i in index]
            a, b = stretches.start_us[index] / 1e6, stretches.end_us[index] / 1e6
        else:
            state = [s.state for s in shown]
            a, b = _segment_seconds(f, shown)
        data, width = _binned_timeline(f.start, f.end, order, station, state, a, b)
        rows = len(order)
        title += f" (each cell: the state that held longest in its {_duration(width)})"
    else:
        data = _timeline_traces(stretches.segments(index) if stretches is not None else shown)
        rows = len({y for trace in data for y in trace["y"]})
    height = max(240, 60 + 22 * rows)  # the legend under the time axis's two lines of labels
    # the layout as plotly's JSON of it (tests/web/test_timeline_binned.py checks it is),
    # without a go.Figure: plotly's validators and encoder took 60 ms of each page's view
    layout = {
        "template": _timeline_template(), "margin": TIMELINE_MARGIN, "barmode": "overlay",
        "title": {"text": title},
        "xaxis": {"type": "date", "title": {"text": "time (UTC)"}, "range": [f.start, f.end],
                  "tickangle": 0, "automargin": False, "ticklabeloverflow": "allow"},
        "yaxis": {"autorange": "reversed", "type": "category", "automargin": False},
        "height": height, "legend": {"orientation": "h", "y": -75 / (height - 80),
                                     "yanchor": "top"},
    }  # fmt: skip
    return {"data": data, "layout": layout}


@functools.cache
def _template() -> dict[str, Any]:
    """The layout template (``plotly_white``) as plotly's JSON expands it for plotly.js
    (shared by every figure built here: read only)."""
    fig = go.Figure()
    fig.update_layout(template=_LAYOUT["template"])
    out: dict[str, Any] = figure_dict(fig)["layout"]["template"]
    return out


@functools.cache
def _timeline_template() -> dict[str, Any]:
    """:func:`_template` without its y axis title's standoff (the timeline's y axis has no
    title): with a standoff, plotly measures every tick label's box to place the title, even
    with automargin off (the 60 station names, a forced layout each). Read only."""
    out = copy.deepcopy(_template())
    out["layout"]["yaxis"].pop("title", None)
    return out


def _duration(seconds: int) -> str:
    """A bin width in words: ``1 minute``, ``5 minutes``, ``30 s``, ``1 hour``."""
    if seconds % 3600 == 0:
        h = seconds // 3600
        return "hour" if h == 1 else f"{h} hours"
    if seconds % 60 == 0:
        m = seconds // 60
        return "minute" if m == 1 else f"{m} minutes"
    return f"{seconds} s"


#: The shortest downtime cause the Pareto draws [s] (shorter: 0 s to the second).
PARETO_MIN_S = 0.5
#: The Pareto's margins [px] as its axes' labels and titles need them (the hours' labels up
#: to five characters, the cumulative share's up to "100"; static/web.js makes the bottom one
#: what the causes' labels need, turned by PARETO_TICKANGLE degrees): plotly's automargin,
#: finding them too small, drew the chart twice.
PARETO_MARGIN = {"l": 80, "r": 60, "t": 40, "b": 40}
PARETO_TICKANGLE = 30


def pareto_figure(report: OeeReport, top: int = 15) -> dict[str, Any]:
    """The downtime Pareto of live OEE: hours by state and reason, longest first, with the
    cumulative share. Plain JSON, the same as plotly's own (tests/web/test_timeline_binned.py):
    the validators took 90 ms of a floor page's view. Its value axes let their tick labels be
    (``ticklabeloverflow``: they lie inside the chart's height): by default plotly.js measures
    every label again each time it places one, to hide those past the chart's edge (28
    ``getBoundingClientRect`` calls, each a forced layout, per draw). A cause of less than
    half a second (:data:`PARETO_MIN_S`: 0 s to the second, such as a state that began at the
    window's last microsecond) is not drawn: its bar would be a label over nothing."""
    causes = [c for c in report.pareto if c.seconds >= PARETO_MIN_S][:top]
    labels = [f"{c.state}: {c.reason}" if c.reason else c.state for c in causes]
    bar = {
        "customdata": [c.occurrences for c in causes],
        "hovertemplate": "%{x}<br>%{y:.2f} h, began %{customdata} times<extra></extra>",
        "marker": {"color": [STATE_COLOURS.get(c.state, "#999") for c in causes]},
        "name": "downtime [h]", "x": labels, "y": [c.seconds / 3600 for c in causes],
        "type": "bar",
    }  # fmt: skip
    line = {
        "line": {"color": "black"}, "mode": "lines+markers", "name": "cumulative [%]",
        "x": labels, "y": [100 * c.cumulative for c in causes], "yaxis": "y2", "type": "scatter",
    }  # fmt: skip
    layout = {
        "template": _template(), "margin": PARETO_MARGIN,
        "title": {"text": "Downtime Pareto (ISO 22400-2: planned busy time not producing)"},
        "xaxis": {"tickangle": PARETO_TICKANGLE},
        "yaxis": {"title": {"text": "hours"}, "ticklabeloverflow": "allow"}, "showlegend": False,
        "yaxis2": {"title": {"text": "cumulative %"}, "overlaying": "y", "side": "right",
                   "range": [0, 105], "tickmode": "linear", "dtick": 25, "showgrid": False,
                   "ticklabeloverflow": "allow"},
    }  # fmt: skip
    return {"data": [bar, line], "layout": layout}


def genealogy_figure(g: Genealogy) -> dict[str, Any]:
    """The genealogy graph of a unit: the unit on the right, its inputs leftwards, lots last.

    Each node's column is its longest path to the root (so a lot used at two levels stands
    once, at its deepest); nodes are spread evenly within a column.
    """
    parents: dict[str, list[str]] = defaultdict(list)
    for e in g.edges:
        parents[e.target].append(e.source)
    depth = {g.root: 0}
    todo = [g.root]
    while todo:  # longest distance from the root (a genealogy has no cycles)
        child = todo.pop()
        for p in parents.get(child, ()):
            if depth.get(p, -1) < depth[child] + 1:
                depth[p] = depth[child] + 1
                todo.append(p)
    columns: dict[int, list[str]] = defaultdict(list)
    for name in sorted(depth):
        columns[depth[name]].append(name)
    pos: dict[str, tuple[float, float]] = {}
    for d, names in columns.items():
        for i, name in enumerate(names):
            pos[name] = (-float(d), (i + 1) / (len(names) + 1))
    ex: list[float | None] = []
    ey: list[float | None] = []
    for e in g.edges:
        if e.source in pos and e.target in pos:
            (x0, y0), (x1, y1) = pos[e.source], pos[e.target]
            ex += [x0, x1, None]
            ey += [y0, y1, None]
    kinds = {n.id: n.kind for n in g.nodes}
    types = {n.id: n.type for n in g.nodes}
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=ex, y=ey, mode="lines", line={"color": "#999", "width": 1},
                             hoverinfo="skip", showlegend=False))  # fmt: skip
    for kind, colour, symbol in (("lot", "#ff7f0e", "square"), ("unit", "#1f77b4", "circle")):
        names = [n for n in pos if kinds.get(n) == kind]
        fig.add_trace(go.Scatter(
            x=[pos[n][0] for n in names], y=[pos[n][1] for n in names], text=names,
            customdata=[types.get(n, kind) for n in names], mode="markers+text",
            textposition="top center", name=f"{kind}s",
            marker={"color": colour, "size": 12, "symbol": symbol},
            hovertemplate="%{text} (%{customdata})<extra></extra>",
        ))  # fmt: skip
    lots = sum(1 for k in kinds.values() if k == "lot")
    fig.update_layout(
        **_LAYOUT, title=f"Genealogy of {g.root}: {len(g.edges)} links to {lots} lots"
        + (" (cut: more nodes than shown)" if g.truncated else ""),
        xaxis={"visible": False}, yaxis={"visible": False, "range": [0, 1.1]},
        height=max(300, 40 * max((len(c) for c in columns.values()), default=1)),
    )  # fmt: skip
    return figure_dict(fig)


def plan_actual_figure(res: PlanVsActual) -> dict[str, Any]:
    """Planned against actual good output per calendar hour of the steps whose records are
    cells, with the gap as text, and each step's OEE on a second axis."""
    steps = [s for s in res.steps if s.cells]
    names = [s.step for s in steps]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=names, y=[s.planned_good_per_h for s in steps], name="planned",
        marker={"color": "#9ecae1"},
        hovertemplate="%{x}: planned %{y:,.1f} good cells/h<extra></extra>",
    ))  # fmt: skip
    gaps = [f"{s.gap_share:+.1%}" if s.gap_share is not None else "" for s in steps]
    fig.add_trace(go.Bar(
        x=names, y=[s.good_per_h for s in steps], name="actual", marker={"color": "#1f5fa8"},
        text=gaps, textposition="outside", customdata=[s.produced for s in steps],
        hovertemplate="%{x}: actual %{y:,.1f} good cells/h (%{text} against the plan), "
        "%{customdata:,} records<extra></extra>",
    ))  # fmt: skip
    fig.add_trace(go.Scatter(
        x=names, y=[100 * s.oee if s.oee is not None else None for s in steps], yaxis="y2",
        mode="markers", name="OEE [%]", marker={"color": "black", "size": 9, "symbol": "diamond"},
        hovertemplate="%{x}: OEE %{y:.1f} %<extra></extra>",
    ))  # fmt: skip
    fig.update_layout(
        **_LAYOUT, barmode="group", height=420,
        title=f"Good cells per calendar hour, planned and actual ({res.hours:,.1f} h stored)",
        yaxis={"title": "good cells per hour"},
        yaxis2={"title": "OEE %", "overlaying": "y", "side": "right", "range": [0, 110],
                "tickmode": "linear", "dtick": 25, "showgrid": False},
        legend={"orientation": "h", "y": -0.15},
    )  # fmt: skip
    return figure_dict(fig)
