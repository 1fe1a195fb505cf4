"""The Plotly figure of an SPC result: points, centre, control limits, zones A/B/C, violations.

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

__all__ = ["spc_figure", "write_html"]

_ZONE_COLOURS = {"A": "rgba(214, 39, 40, 0.10)", "B": "rgba(255, 187, 0, 0.12)",
                 "C": "rgba(44, 160, 44, 0.10)"}  # fmt: skip


def spc_figure(res: SpcResult) -> Any:
    """A ``plotly.graph_objects.Figure`` of the chart."""
    import plotly.graph_objects as go

    ch = res.view
    x = list(res.point_ts)
    n = len(x)
    fig = go.Figure()
    if ch.chart == "cusum":
        assert ch.upper is not None and ch.lower is not None
        fig.add_trace(go.Scatter(x=x, y=ch.upper, mode="lines+markers", name="C+ (upper sum)"))
        fig.add_trace(go.Scatter(x=x, y=ch.lower, mode="lines+markers", name="-C- (lower sum)"))
        assert ch.h is not None
        for y, name in ((ch.h, "+h"), (-ch.h, "-h")):
            fig.add_trace(go.Scatter(x=x, y=[y] * n, mode="lines", name=name,
                                     line={"color": "firebrick", "dash": "dash"}))  # fmt: skip
        y_flag: np.ndarray = np.where(np.abs(ch.upper) >= np.abs(ch.lower), ch.upper, ch.lower)
    else:
        center = ch.center
        se = (ch.ucl - center) / ch.nsigmas
        bands = [(-3, None), (-2, "A"), (-1, "B"), (1, "C"), (2, "B"), (3, "A")]
        for k, zone in bands:
            fig.add_trace(go.Scatter(
                x=x, y=center + k * se, mode="lines", line={"width": 0}, hoverinfo="skip",
                fill="tonexty" if zone else None, fillcolor=_ZONE_COLOURS.get(zone or "A"),
                name=f"zone {zone}" if zone else "", showlegend=zone is not None and k > 0,
            ))  # fmt: skip
        for level, name, dash in ((ch.ucl, "UCL", "dash"), (ch.center, "centre", "solid"),
                              (ch.lcl, "LCL", "dash")):  # fmt: skip
            fig.add_trace(go.Scatter(x=x, y=level, mode="lines", name=name,
                                     line={"color": "black" if name == "centre" else "firebrick",
                                           "dash": dash, "width": 1.5}))  # fmt: skip
        fig.add_trace(go.Scatter(x=x, y=ch.statistics, mode="lines+markers", name="points",
                                 line={"color": "#1f77b4", "width": 1},
                                 marker={"size": 5}))  # fmt: skip
        y_flag = np.asarray(ch.statistics)
    flagged: dict[int, list[int]] = {}
    for rule, idx in res.violations.items():
        for i in idx:
            flagged.setdefault(i, []).append(rule)
    if flagged:
        idx = sorted(flagged)
        fig.add_trace(go.Scatter(
            x=[x[i] for i in idx], y=[float(y_flag[i]) for i in idx], mode="markers",
            name=f"violations ({res.rules})",
            marker={"color": "red", "size": 10, "symbol": "circle-open", "line": {"width": 2}},
            text=[f"rule {', '.join(map(str, flagged[i]))}; units "
                  f"{', '.join(res.point_units[i][:5])}" for i in idx],
            hovertemplate="%{x}<br>%{y}<br>%{text}<extra></extra>",
        ))  # fmt: skip
    title = f"{res.series.step} / {res.series.param}: {ch.chart} chart"
    if res.baseline is not None:
        title += f", limits from the first {res.baseline} points"
        fig.add_vline(x=x[res.baseline - 1], line={"color": "grey", "dash": "dot"})
    if res.subgroup_size > 1:
        title += f", subgroups of {res.subgroup_size}"
    if res.capability is not None:
        title += f" (Cpk {res.capability.cpk:.2f})"
    fig.update_layout(title=title, xaxis_title="time (UTC)", yaxis_title=res.series.param,
                      template="plotly_white", hovermode="closest")  # fmt: skip
    return fig


def write_html(res: SpcResult, path: Path) -> None:
    """Write the chart as one self-contained HTML file (plotly.js inline, no CDN)."""
    spc_figure(res).write_html(str(path), include_plotlyjs=True, full_html=True)
