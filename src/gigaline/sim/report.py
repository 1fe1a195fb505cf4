"""A self-contained HTML report of a simulation (Plotly, with plotly.js embedded: it opens
without a network).

Time runs in days from the start of the run (the measured window begins after the warm-up).
Every figure shows the spread between replications: over time, each replication as a thin
line, their mean and its 95 % confidence interval as a band (Student's t over replications);
per step, the mean with its 95 % interval as error bars. The page lays its figures out in a
grid that fills the browser window, and each figure follows the size of its cell
(``responsive``).

The page is built from sections (:func:`report_figures`, :func:`headline_section`,
:func:`steps_section`) so that a new one slots in without touching the others.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from gigaline.model.units import format_number
from gigaline.sim.results import STATE_NAMES, SimResult

__all__ = ["replication_band", "report_figures", "report_html", "write_report"]

_COLOURS = {
    "working": "#2ca02c",
    "starved": "#ffbf00",
    "blocked": "#ff7f0e",
    "down": "#d62728",
    "planned_stop": "#9e9e9e",
}
#: x-axis title of every figure over time
TIME_AXIS = "time [d] from the start of the run (measured window after the warm-up)"
_CSS = (
    "body{font-family:sans-serif;margin:1.5em 2vw}"
    ".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,560px),1fr));"
    "gap:1em}.wide{grid-column:1/-1}.cell{min-width:0}"
    "table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}"
    "th{text-align:left}.warning{background:#fff3cd;padding:4px 8px}"
    ".note{color:#555;font-size:small}"
)
_CONFIG = {"responsive": True, "displaylogo": False}


def replication_band(
    values: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Mean and 95 % confidence interval (Student's t) over replications, per column of
    ``values`` (one row per replication). With one replication the interval is NaN."""
    n = values.shape[0]
    mean = np.asarray(values.mean(axis=0), dtype=float)
    if n < 2:
        nan = np.full_like(mean, np.nan)
        return mean, nan, nan
    from scipy import stats

    hw = np.asarray(
        float(stats.t.ppf(0.975, n - 1)) * values.std(axis=0, ddof=1) / np.sqrt(n), dtype=float
    )
    return mean, np.asarray(mean - hw, dtype=float), np.asarray(mean + hw, dtype=float)


def _days(r: SimResult, n: int) -> npt.NDArray[np.float64]:
    """Hour-bin midpoints of the measured window in days from the start of the run."""
    return np.asarray((np.arange(n) + 0.5) / 24.0 + r.warmup_days, dtype=np.float64)


def _over_time(
    r: SimResult,
    per_rep: list[npt.NDArray[np.float64]],
    what: str,
    unit: str,
    smooth_h: int,
) -> go.Figure:
    """One figure over time: each replication thin, their mean bold, the 95 % band."""
    n = min(len(v) for v in per_rep)
    rows = np.array([v[:n] for v in per_rep], dtype=float)
    if smooth_h > 1:
        rows = np.array(
            [pd.Series(v).rolling(smooth_h, min_periods=1).mean().to_numpy() for v in rows]
        )
    x = _days(r, n)
    fig = go.Figure()
    mean, low, high = replication_band(rows)
    if len(rows) > 1:
        fig.add_scatter(x=x, y=high, mode="lines", line={"width": 0}, hoverinfo="skip",
                        showlegend=False, name="95 % CI (upper)")  # fmt: skip
        fig.add_scatter(x=x, y=low, mode="lines", line={"width": 0}, fill="tonexty",
                        fillcolor="rgba(31,119,180,0.25)",
                        name=f"95 % CI of the mean ({len(rows)} replications)")  # fmt: skip
        for i, v in enumerate(rows):
            fig.add_scatter(x=x, y=v, mode="lines", line={"width": 1, "color": "#999"},
                            opacity=0.6, legendgroup="reps", showlegend=i == 0,
                            name="each replication", hovertemplate=f"replication {i + 1}:"
                            " %{y:,.1f}<extra></extra>")  # fmt: skip
    fig.add_scatter(x=x, y=mean, mode="lines", line={"width": 2.5, "color": "#1f77b4"},
                    name="mean of replications" if len(rows) > 1 else what)  # fmt: skip
    fig.update_layout(xaxis_title=TIME_AXIS, yaxis_title=unit)
    return fig


def _throughput(r: SimResult) -> go.Figure:
    reps = [np.asarray(rec.hourly_good, dtype=float) for rec in r.records]
    fig = _over_time(r, reps, "good cells per hour", "good cells/h", smooth_h=24)
    fig.add_hline(y=r.plan_throughput_per_h, line_dash="dot", annotation_text="static capacity")
    fig.update_layout(title="Throughput over time (24 h moving mean of good cells per hour)")
    return fig


def _wip(r: SimResult) -> go.Figure:
    reps = [np.asarray(rec.hourly_wip, dtype=float) for rec in r.records]
    fig = _over_time(r, reps, "main-chain WIP", "cells", smooth_h=1)
    fig.update_layout(title="Work in process over time (main chain, hourly mean)")
    return fig


def _step_spread(r: SimResult, column: str) -> tuple[npt.NDArray[np.float64], list[float] | None]:
    """Mean over replications of a per-step column and its 95 % half widths (None: one
    replication)."""
    rows = np.array([t[column].to_numpy(dtype=float) for t in r.replication_steps])
    mean, low, high = replication_band(rows)
    if len(rows) < 2:
        return mean, None
    return mean, list(np.nan_to_num((high - low) / 2.0))


def _bars(
    fig: go.Figure, r: SimResult, column: str, name: str, share: bool = False, **kw: object
) -> None:
    """Bars of a per-step column with its 95 % interval, the interval clipped to what the
    quantity can be (not below 0; a share of time not above 1)."""
    mean, hw = _step_spread(r, column)
    err = None
    if hw is not None:
        m = np.nan_to_num(mean)
        up = np.minimum(hw, 1.0 - m) if share else np.asarray(hw)
        err = {"type": "data", "array": list(np.maximum(up, 0.0)),
               "arrayminus": list(np.minimum(hw, np.maximum(m, 0.0))), "visible": True}  # fmt: skip
    fig.add_bar(x=list(r.steps.index), y=mean, name=name, error_y=err, **kw)


def _states(r: SimResult) -> go.Figure:
    fig = go.Figure()
    for name in STATE_NAMES:
        _bars(fig, r, name, name, share=True, marker_color=_COLOURS[name])
    fig.update_layout(
        barmode="stack",
        title="Machine states per step (share of time; bars: 95 % CI over replications)",
        yaxis_tickformat=".0%",
    )
    return fig


def _oee(r: SimResult) -> go.Figure:
    fig = go.Figure()
    for col in ("oee", "availability", "performance", "quality"):
        _bars(fig, r, col, col)
    fig.update_layout(
        barmode="group",
        title="OEE per step (ISO 22400-2; bars: 95 % CI over replications)",
        yaxis_tickformat=".0%",
    )
    return fig


def _bottleneck(r: SimResult) -> go.Figure:
    fig = go.Figure()
    _bars(fig, r, "bottleneck_sole", "sole bottleneck", share=True)
    _bars(fig, r, "bottleneck_shifting", "shifting bottleneck", share=True)
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
    _bars(fig, r, "good_cells_per_h", "simulated output (95 % CI)")
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


def report_figures(r: SimResult) -> list[tuple[go.Figure, bool]]:
    """The report's figures in order, each with whether it spans the page's full width (the
    series over time always; the per-step charts where the line has many steps)."""
    many = len(r.steps) > 10
    figs = [
        (_throughput(r), True),
        (_wip(r), True),
        (_oee(r), many),
        (_states(r), many),
        (_bottleneck(r), many),
        (_plan_vs_sim(r), many),
    ]
    for f, _ in figs:
        f.update_layout(autosize=True, margin={"l": 60, "r": 20, "t": 60, "b": 60},
                        legend={"orientation": "h", "y": -0.25})  # fmt: skip
    return figs


def figures_section(r: SimResult) -> str:
    """The figures in a grid that fills the window; each follows the size of its cell."""
    cells = []
    for fig, wide in report_figures(r):
        div = fig.to_html(full_html=False, include_plotlyjs=False, config=_CONFIG,
                          default_width="100%", default_height="440px")  # fmt: skip
        cells.append(f"<div class='cell{' wide' if wide else ''}'>{div}</div>")
    note = (
        ""
        if len(r.records) > 1
        else "<p class='note'>One replication: no spread between replications to show "
        "(--replications 2 or more draws each run and the 95 % interval).</p>"
    )
    return f"{note}<div class='grid'>{''.join(cells)}</div>"


def headline_section(r: SimResult) -> str:
    """The title line, the warnings and the headline figures with their intervals."""
    head_rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in r._headline_lines()
    )
    pct = r.lead_time_percentiles_h
    undefined = r.undefined.get("lead_time_percentiles_h")
    pct_row = (
        f"undefined: {undefined}"
        if undefined
        else ", ".join(f"{k} {v:,.4g} h" for k, v in pct.items())
    )
    warnings = "".join(
        f"<p class='warning'><b>warning:</b> {html.escape(w)}</p>" for w in r.warnings
    )
    return (
        f"<p>{html.escape(repr(r).splitlines()[0])}</p>{warnings}"
        f"<table>{head_rows}<tr><th>lead time percentiles</th><td>{html.escape(pct_row)}</td>"
        "</tr></table>"
    )


def steps_section(r: SimResult) -> str:
    """The per-step table (mean of replications) and the notes on undefined figures."""
    cols = ["oee", "availability", "performance", "quality", *STATE_NAMES]
    table = r.steps[cols].to_html(float_format=format_number, na_rep="undefined")
    notes = "".join(f"<p>{html.escape(n)}</p>" for n in r.undefined_notes())
    return f"<h2>Per step</h2>{table}{notes}"


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
    title = html.escape(f"gigaline simulation: {r.compiled.line.name}")
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title}</title><style>{_CSS}</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
        f"<h1>{title}</h1>"
        + headline_section(r)
        + figures_section(r)
        + _bottleneck_section(r)
        + steps_section(r)
        + "</body></html>"
    )


def write_report(r: SimResult, path: str | Path) -> Path:
    """Write :func:`report_html` to ``path``; returns the path."""
    p = Path(path)
    p.write_text(report_html(r), encoding="utf-8")
    return p
