"""The dashboard's charts as Plotly figure JSON, drawn in the browser by the vendored plotly.js.

Each function returns the figure as a plain dict (``{"data": [...], "layout": {...}}``): the
page embeds it in a ``<script type="application/json">`` block and ``static/web.js`` draws it
with ``Plotly.react``; live updates send the same JSON over server-sent events. The SPC chart
is :func:`gigaline.mes.spc_plot.spc_figure`, the same figure ``gigaline spc --plot`` writes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from gigaline.mes.services.floor import UNKNOWN
from gigaline.mes.services.models import Floor, Genealogy, OeeReport
from gigaline.mes.services.plan_actual import PlanVsActual

__all__ = [
    "STATE_COLOURS", "figure_dict", "genealogy_figure", "pareto_figure", "plan_actual_figure",
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


def _timeline_traces(f: Floor, stations: list[str] | None) -> list[dict[str, Any]]:
    """The bars of the state timeline as plotly.js traces, one per state: plain JSON, built
    without plotly's validators (a line's 8 hours is thousands of stretches: 5 s of
    validation on the reference line, for data that is already of the right types)."""
    keep = set(stations) if stations is not None else None
    by_state: dict[str, list[Any]] = defaultdict(list)
    for s in f.timeline:
        if keep is None or s.station in keep:
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


def timeline_figure(f: Floor, stations: list[str] | None = None) -> dict[str, Any]:
    """The state timeline: one row per station, one bar per stretch of a state."""
    data = _timeline_traces(f, stations)
    rows = len({y for trace in data for y in trace["y"]})
    height = max(240, 60 + 22 * rows)  # the legend under the time axis's two lines of labels
    fig = go.Figure()
    fig.update_layout(
        **_LAYOUT, barmode="overlay",
        title=f"State timeline, {_minute(f.start)} to {_minute(f.end)} UTC",
        xaxis={"type": "date", "title": "time (UTC)", "range": [f.start, f.end]},
        yaxis={"autorange": "reversed", "type": "category"},
        height=height, legend={"orientation": "h", "y": -75 / (height - 80), "yanchor": "top"},
    )  # fmt: skip
    out = figure_dict(fig)
    out["data"] = data
    return out


def pareto_figure(report: OeeReport, top: int = 15) -> dict[str, Any]:
    """The downtime Pareto of live OEE: hours by state and reason, longest first, with the
    cumulative share."""
    causes = report.pareto[:top]
    labels = [f"{c.state}: {c.reason}" if c.reason else c.state for c in causes]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=labels, y=[c.seconds / 3600 for c in causes], name="downtime [h]",
        marker={"color": [STATE_COLOURS.get(c.state, "#999") for c in causes]},
        customdata=[c.occurrences for c in causes],
        hovertemplate="%{x}<br>%{y:.2f} h, began %{customdata} times<extra></extra>",
    ))  # fmt: skip
    fig.add_trace(go.Scatter(x=labels, y=[100 * c.cumulative for c in causes], yaxis="y2",
                             name="cumulative [%]", mode="lines+markers",
                             line={"color": "black"}))  # fmt: skip
    fig.update_layout(
        **_LAYOUT, title="Downtime Pareto (ISO 22400-2: planned busy time not producing)",
        yaxis={"title": "hours"}, showlegend=False,
        yaxis2={"title": "cumulative %", "overlaying": "y", "side": "right", "range": [0, 105],
                "tickmode": "linear", "dtick": 25, "showgrid": False},
    )  # fmt: skip
    return figure_dict(fig)


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
