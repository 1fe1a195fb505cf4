"""A self-contained HTML report of a simulation (Plotly, with plotly.js embedded: it opens
without a network)."""

from __future__ import annotations

import html
from pathlib import Path

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from gigaline.sim.results import STATE_NAMES, SimResult

__all__ = ["report_html", "write_report"]

_COLOURS = {
    "working": "#2ca02c",
    "starved": "#ffbf00",
    "blocked": "#ff7f0e",
    "down": "#d62728",
    "planned_stop": "#9e9e9e",
}


def _throughput(r: SimResult) -> go.Figure:
    h = r.hourly
    fig = go.Figure()
    fig.add_scatter(x=h.index, y=h["good_cells"], name="good cells per hour", mode="lines")
    fig.add_scatter(
        x=h.index,
        y=h["good_cells"].rolling(24, min_periods=1).mean(),
        name="24 h moving mean",
        mode="lines",
    )
    fig.add_hline(y=r.plan_throughput_per_h, line_dash="dot", annotation_text="static capacity")
    fig.update_layout(title="Throughput over time", xaxis_title="hour", yaxis_title="cells/h")
    return fig


def _states(r: SimResult) -> go.Figure:
    s = r.steps
    fig = go.Figure()
    for name in STATE_NAMES:
        fig.add_bar(x=s.index, y=s[name], name=name, marker_color=_COLOURS[name])
    fig.update_layout(
        barmode="stack", title="Machine states per step (share of time)", yaxis_tickformat=".0%"
    )
    return fig


def _oee(r: SimResult) -> go.Figure:
    s = r.steps
    fig = go.Figure()
    for col in ("oee", "availability", "performance", "quality"):
        fig.add_bar(x=s.index, y=s[col], name=col)
    fig.update_layout(barmode="group", title="OEE per step (ISO 22400-2)", yaxis_tickformat=".0%")
    return fig


def _wip(r: SimResult) -> go.Figure:
    h = r.hourly
    fig = go.Figure()
    fig.add_scatter(x=h.index, y=h["wip_cells"], name="main-chain WIP", mode="lines")
    fig.update_layout(title="Work in process over time", xaxis_title="hour", yaxis_title="cells")
    return fig


def _bottleneck(r: SimResult) -> go.Figure:
    s = r.steps
    fig = go.Figure()
    fig.add_bar(x=s.index, y=s["bottleneck_sole"], name="sole bottleneck")
    fig.add_bar(x=s.index, y=s["bottleneck_shifting"], name="shifting bottleneck")
    fig.update_layout(
        barmode="stack",
        title="Bottleneck shares (active period method, Roser et al.)",
        yaxis_tickformat=".0%",
    )
    return fig


def _plan_vs_sim(r: SimResult) -> go.Figure:
    cap = r.capacity
    fig = go.Figure()
    fig.add_bar(
        x=cap.index, y=cap["step_output_cells_per_h"], name="static capacity (plan arithmetic)"
    )
    fig.add_bar(x=cap.index, y=cap["simulated_good_cells_per_h"], name="simulated output")
    fig.add_hline(
        y=r.plan_throughput_per_h,
        line_dash="dot",
        annotation_text=f"line capacity {r.plan_throughput_per_h:,.0f} good cells/h",
    )
    fig.update_layout(
        barmode="group",
        title="Plan versus simulation: what each step can pass on and what it did (cells/h)",
        yaxis_title="cells/h",
    )
    return fig


def _bottleneck_section(r: SimResult) -> str:
    """Plan versus twin bottleneck: both names, the methods, the figures and the reasons for a
    difference (:mod:`gigaline.sim.necks`; docs/simulation.md#bottlenecks-plan-and-twin)."""
    b = r.bottleneck_comparison
    cap = r.capacity["good_cells_per_h"]
    rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{cap[k]:,.0f}</td>"
        f"<td>{b.momentary_share.get(str(k), 0.0):.1%}</td>"
        f"<td>{b.active_share.get(str(k), 0.0):.1%}</td></tr>"
        for k in cap.sort_values().index[:8]
    )
    reasons = "".join(f"<li>{html.escape(x)}</li>" for x in b.reasons)
    return (
        "<h2>Bottleneck: plan and twin</h2>"
        f"<p>{html.escape(b.summary())}.</p>"
        + (f"<ul>{reasons}</ul>" if reasons else "")
        + "<p>The plan names the step of least static capacity (the planner's most utilised"
        " step); the twin names the step most often the momentary bottleneck by the active"
        " period method (Roser, Nakano and Tanaka 2002). The utilisation method (share of"
        f" planned time active) names {html.escape(b.utilization_bottleneck)}. Steps of least"
        " static capacity:</p>"
        "<table><tr><th>step</th><th>static capacity, good cells/h</th>"
        "<th>momentary bottleneck</th><th>active share</th></tr>"
        f"{rows}</table>"
    )


def report_html(r: SimResult) -> str:
    """The report as one HTML document with plotly.js inline."""
    figures = [_throughput(r), _states(r), _oee(r), _wip(r), _bottleneck(r), _plan_vs_sim(r)]
    parts = [f.to_html(full_html=False, include_plotlyjs=False) for f in figures]
    head_rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in r._headline_lines()
    )
    pct = r.lead_time_percentiles_h
    undefined = r.undefined.get("lead_time_percentiles_h")
    pct_row = (
        f"undefined: {undefined}"
        if undefined
        else ", ".join(f"{k} {v:.2f} h" for k, v in pct.items())
    )
    title = html.escape(f"gigaline simulation: {r.compiled.line.name}")
    cols = ["oee", "availability", "performance", "quality", *STATE_NAMES]
    table = r.steps[cols].to_html(float_format=lambda x: f"{x:.3f}", na_rep="undefined")
    notes = "".join(f"<p>{html.escape(n)}</p>" for n in r.undefined_notes())
    warnings = "".join(
        f"<p class='warning'><b>warning:</b> {html.escape(w)}</p>" for w in r.warnings
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{title}</title>"
        "<style>body{font-family:sans-serif;margin:2em;max-width:1200px}"
        "table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}"
        "th{text-align:left}.warning{background:#fff3cd;padding:4px 8px}</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
        f"<h1>{title}</h1>"
        f"<p>{html.escape(repr(r).splitlines()[0])}</p>{warnings}"
        f"<table>{head_rows}<tr><th>lead time percentiles</th><td>{pct_row}</td></tr></table>"
        + "".join(f"<div>{p}</div>" for p in parts)
        + _bottleneck_section(r)
        + f"<h2>Per step</h2>{table}{notes}</body></html>"
    )


def write_report(r: SimResult, path: str | Path) -> Path:
    """Write :func:`report_html` to ``path``; returns the path."""
    p = Path(path)
    p.write_text(report_html(r), encoding="utf-8")
    return p
