"""The Plotly figure of an SPC result: points, centre, control limits, zones A/B/C, violations,
the spec limits and, for I-MR, X-bar/R and X-bar/S, the companion chart as a second panel.

Zones follow the run rules (Western Electric, Nelson): C within 1 standard error of the
centre, B from 1 to 2, A from 2 to 3 (the control limits). They follow the limits where these
vary by point (EWMA start-up). A CUSUM chart shows its upper and lower sums against ±h instead.
The HTML written by :func:`write_html` carries plotly.js inline: it opens offline, no CDN.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from gigaline.mes.services.spc import SpcResult

__all__ = ["MANY_POINTS", "spc_figure", "unit_of", "write_html"]

_ZONE_COLOURS = {"A": "rgba(214, 39, 40, 0.10)", "B": "rgba(255, 187, 0, 0.12)",
                 "C": "rgba(44, 160, 44, 0.10)"}  # fmt: skip


#: Unit suffixes of parameter names (units in names, as the line file writes them), longest
#: first: ``fill_mass_g`` is in g, ``coating_weight_mg_cm2`` in mg/cm².
_UNITS = (
    ("_mbar_l_s", "mbar·l/s"), ("_mg_cm2", "mg/cm²"), ("_mv_per_day", "mV/day"),
    ("_mpa_s", "mPa·s"), ("_mohm", "mΩ"), ("_mpa", "MPa"), ("_ppm", "ppm"), ("_pct", "%"),
    ("_ah", "Ah"), ("_um", "µm"), ("_mm", "mm"), ("_mv", "mV"), ("_v", "V"), ("_c", "°C"),
    ("_n", "N"), ("_g", "g"), ("_s", "s"),
)  # fmt: skip
#: Above this many points the chart draws with WebGL and without a marker per point (only the
#: flagged points keep theirs), so that a year of records stays readable and fast.
MANY_POINTS = 1000
#: Height of the figure [px]: the main panel's, and the companion panel's below it (I-MR,
#: X-bar/R, X-bar/S), plus the title, the time axis and the legend under it. Fixed heights:
#: a page's chart container would otherwise squeeze two panels into its minimum height.
PANEL_PX = {"main": 420, "dispersion": 220, "frame": 190}
_DISPERSION = {"imr": "moving range", "xbar_r": "range R", "xbar_s": "standard deviation S"}


def unit_of(param: str) -> str | None:
    """The unit of a parameter from its name's suffix (``fill_mass_g`` -> ``g``), or None."""
    for suffix, unit in _UNITS:
        if param.endswith(suffix):
            return unit
    return None


def spc_figure(res: SpcResult) -> Any:
    """A ``plotly.graph_objects.Figure`` of the chart.

    Variables charts with a companion chart (I-MR, X-bar/R, X-bar/S) get it as a second panel
    below, on the same time axis. The spec limits of the parameter (LSL, USL, target: the ones
    Cpk is computed from) are horizontal lines on the chart of individual values and X-bar
    charts. Axis titles carry the unit taken from the parameter's name.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    ch = res.view
    x = list(res.point_ts)
    n = len(x)
    many = n > MANY_POINTS
    scatter = go.Scattergl if many else go.Scatter
    dispersion = _dispersion(res) if ch.chart in _DISPERSION else None
    if dispersion is not None:
        fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.05,
                            row_heights=[PANEL_PX["main"], PANEL_PX["dispersion"]])  # fmt: skip
    else:
        fig = go.Figure()
    row = {"row": 1, "col": 1} if dispersion is not None else {}
    if ch.chart == "cusum":
        assert ch.upper is not None and ch.lower is not None
        mode = "lines" if many else "lines+markers"
        fig.add_trace(scatter(x=x, y=ch.upper, mode=mode, name="C+ (upper sum)"))
        fig.add_trace(scatter(x=x, y=ch.lower, mode=mode, name="-C- (lower sum)"))
        assert ch.h is not None
        for y, name in ((ch.h, "+h"), (-ch.h, "-h")):
            fig.add_trace(scatter(**_level_xy(x, np.full(n, y)), mode="lines", name=name,
                                  line={"color": "firebrick", "dash": "dash"}))  # fmt: skip
        y_flag: np.ndarray = np.where(np.abs(ch.upper) >= np.abs(ch.lower), ch.upper, ch.lower)
    else:
        center = ch.center
        se = (ch.ucl - center) / ch.nsigmas
        bands = [(-3, None), (-2, "A"), (-1, "B"), (1, "C"), (2, "B"), (3, "A")]
        for k, zone in bands:
            fig.add_trace(scatter(
                **_level_xy(x, center + k * se), mode="lines", line={"width": 0}, hoverinfo="skip",
                fill="tonexty" if zone else None, fillcolor=_ZONE_COLOURS.get(zone or "A"),
                name=f"zone {zone}" if zone else "", showlegend=zone is not None and k > 0,
            ), **row)  # fmt: skip
        for level, name, dash in ((ch.ucl, "UCL", "dash"), (ch.center, "centre", "solid"),
                              (ch.lcl, "LCL", "dash")):  # fmt: skip
            fig.add_trace(scatter(**_level_xy(x, level), mode="lines", name=name,
                                  line={"color": "black" if name == "centre" else "firebrick",
                                        "dash": dash, "width": 1.5}), **row)  # fmt: skip
        fig.add_trace(scatter(x=x, y=ch.statistics, mode="lines" if many else "lines+markers",
                              name="points", line={"color": "#1f77b4", "width": 1},
                              marker={"size": 5}), **row)  # fmt: skip
        y_flag = np.asarray(ch.statistics)
        if ch.chart in ("imr", "xbar_r", "xbar_s", "ewma"):
            _spec_lines(fig, res, row)
    flagged: dict[int, list[int]] = {}
    for rule, idx in res.violations.items():
        for i in idx:
            flagged.setdefault(i, []).append(rule)
    if flagged:
        idx = sorted(flagged)
        fig.add_trace(scatter(
            x=[x[i] for i in idx], y=[float(y_flag[i]) for i in idx], mode="markers",
            name=f"violations ({res.rules})",
            marker={"color": "red", "size": 10, "symbol": "circle-open", "line": {"width": 2}},
            text=[f"rule {', '.join(map(str, flagged[i]))}; units "
                  f"{', '.join(res.point_units[i][:5])}" for i in idx],
            hovertemplate="%{x}<br>%{y}<br>%{text}<extra></extra>",
        ), **row)  # fmt: skip
    unit = unit_of(res.series.param)
    in_unit = f" [{unit}]" if unit else ""
    title = f"{res.series.step} / {res.series.param}: {ch.chart} chart"
    if res.baseline is not None:
        title += f", limits from the first {res.baseline} points"
        fig.add_vline(x=x[res.baseline - 1], line={"color": "grey", "dash": "dot"})
    if res.subgroup_size > 1:
        title += f", subgroups of {res.subgroup_size}"
    if res.capability is not None:
        title += f" (Cpk {res.capability.cpk:.2f})"
    if ch.chart == "cusum":
        y_title = f"cumulative sum of {res.series.param} [standard errors]"
    elif ch.chart in ("xbar_r", "xbar_s"):
        y_title = f"subgroup mean of {res.series.param}{in_unit}"
    elif ch.chart == "ewma":
        y_title = f"EWMA of {res.series.param}{in_unit}"
    elif ch.chart in ("p", "np", "c", "u"):
        y_title = {"p": "fraction nonconforming", "np": "nonconforming units",
                   "c": "nonconformities", "u": "nonconformities per unit"}[ch.chart]  # fmt: skip
    else:
        y_title = f"{res.series.param}{in_unit}"
    height = PANEL_PX["main"] + PANEL_PX["frame"]
    if dispersion is not None:
        height += PANEL_PX["dispersion"]
    fig.update_layout(
        title=title, template="plotly_white", hovermode="closest", autosize=True, height=height,
        # the legend under the time axis (its two lines of dates and its title: 75 px)
        legend={"orientation": "h", "x": 0, "y": -75 / (height - 100), "yanchor": "top"},
        margin={"l": 80, "r": 30, "t": 60, "b": 40},
    )  # fmt: skip
    if dispersion is not None:
        mr_x, mr_chart = dispersion
        mr_y = np.asarray(mr_chart.statistics, dtype=float)
        label = _DISPERSION[ch.chart]
        fig.add_trace(scatter(x=mr_x, y=mr_y, mode="lines" if many else "lines+markers",
                              name=label, line={"color": "#7f7f7f", "width": 1},
                              marker={"size": 4}), row=2, col=1)  # fmt: skip
        for level, name, dash in ((mr_chart.ucl, f"{label} UCL", "dash"),
                                  (mr_chart.center, f"{label} centre", "solid")):  # fmt: skip
            colour = "firebrick" if dash == "dash" else "black"
            fig.add_trace(scatter(**_level_xy(mr_x, np.broadcast_to(level, mr_y.shape)),
                                  mode="lines", name=name,
                                  line={"color": colour, "dash": dash, "width": 1}),
                          row=2, col=1)  # fmt: skip
        fig.update_yaxes(title_text=y_title, row=1, col=1)
        fig.update_yaxes(title_text=f"{label}{in_unit}", row=2, col=1)
        fig.update_xaxes(title_text="time (UTC)", row=2, col=1)
    else:
        fig.update_layout(xaxis_title="time (UTC)", yaxis_title=y_title)
    return fig


def _level_xy(x: list[Any], level: np.ndarray) -> dict[str, Any]:
    """A centre line, limit or zone edge as a trace's ``x`` and ``y``: its two ends where it is
    level over the whole chart (the same line drawn, from 2 points instead of one per point:
    11 of an I-MR chart's 14 traces are such lines, 3/4 of the page's figure and most of what
    the browser drew), every point where it varies (EWMA start-up, variable subgroups)."""
    if x and bool(np.all(level == level[0])):
        return {"x": [x[0], x[-1]], "y": [float(level[0])] * 2}
    return {"x": x, "y": level}


def _dispersion(res: SpcResult) -> tuple[list[Any], Any] | None:
    """The companion chart (moving range, R or S) over all points, with its time stamps."""
    from gigaline.quality.spc import ControlChart

    charts = [c for c in (res.control, res.monitored) if c is not None]
    parts: list[ControlChart] = [c.dispersion for c in charts if c.dispersion is not None]
    if not parts or len(parts) != len(charts):
        return None
    stats = np.concatenate([np.asarray(p.statistics, dtype=float) for p in parts])
    ucl = np.concatenate([np.broadcast_to(np.asarray(p.ucl, float), p.statistics.shape)
                          for p in parts])  # fmt: skip
    center = np.concatenate([np.broadcast_to(np.asarray(p.center, float), p.statistics.shape)
                             for p in parts])  # fmt: skip
    ts = list(res.point_ts)[len(res.point_ts) - stats.size :]  # a moving range starts at point 2
    first = parts[0]
    merged = ControlChart(chart=first.chart, statistics=stats, center=center, lcl=first.lcl,
                          ucl=ucl, sigma=first.sigma, nsigmas=first.nsigmas)  # fmt: skip
    return ts, merged


def _spec_lines(fig: Any, res: SpcResult, row: dict[str, int]) -> None:
    """LSL, USL and target of the parameter as horizontal lines, labelled with their value."""
    spec = res.parameter_spec
    if spec is None:
        return
    for value, name, colour in ((spec.lsl, "LSL", "#9467bd"), (spec.usl, "USL", "#9467bd"),
                                (spec.target, "target", "#2ca02c")):  # fmt: skip
        if value is None:
            continue
        fig.add_hline(y=value, line={"color": colour, "width": 2, "dash": "dashdot"},
                      annotation_text=f"{name} {value:g}", annotation_position="top left",
                      name=name, **row)  # fmt: skip


def write_html(res: SpcResult, path: Path) -> None:
    """Write the chart as one self-contained HTML file (plotly.js inline, no CDN)."""
    spc_figure(res).write_html(str(path), include_plotlyjs=True, full_html=True)
