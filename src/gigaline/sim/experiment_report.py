"""A self-contained HTML report of an experiment: the response of each headline figure to each
factor (Plotly, with plotly.js embedded: it opens without a network)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gigaline.sim._html import page
from gigaline.sim.compare import FIGURES, ExperimentResult
from gigaline.sim.factor_paths import as_number

__all__ = ["experiment_report_html", "write_experiment_report"]

_LABELS = {
    "throughput_per_h": "good cells/h",
    "gwh_per_year": "GWh/year",
    "wip_mean": "WIP [cells]",
    "lead_time_mean_h": "lead time [h]",
}


def _x(level: object) -> float | str:
    """A level as a number where it is one (``"18 h"`` -> 18.0), else as text."""
    try:
        return as_number(level)[0]  # type: ignore[arg-type]
    except (ValueError, TypeError, AttributeError):
        return str(level)


def response_figure(r: ExperimentResult) -> go.Figure:
    """Rows: headline figures; columns: factors. Every scenario's mean with its 95 % interval
    at its level of the factor, and the main effect (mean over scenarios at each level)."""
    names = r.factor_names
    fig = make_subplots(
        rows=len(FIGURES),
        cols=len(names),
        shared_xaxes="columns",
        column_titles=[f"{n} ({f.path})" for n, f in zip(names, r.scenarios.factors, strict=True)],
        row_titles=[_LABELS[f] for f in FIGURES],
        vertical_spacing=0.04,
    )
    for row, figure in enumerate(FIGURES, start=1):
        for col, name in enumerate(names, start=1):
            xs, ys, hws, text = [], [], [], []
            effect: dict[float | str, list[float]] = defaultdict(list)
            for k, sc in enumerate(r.chosen):
                if name not in sc.factors:
                    continue
                ci = r.ci(k, figure)
                x = _x(sc.factors[name])
                xs.append(x)
                ys.append(ci.mean)
                hws.append(ci.half_width)
                text.append(sc.name)
                effect[x].append(ci.mean)
            fig.add_scatter(
                x=xs,
                y=ys,
                error_y={"type": "data", "array": hws, "visible": True},
                mode="markers",
                text=text,
                name="scenario (95 % interval)",
                marker={"color": "#1f77b4"},
                showlegend=row == 1 and col == 1,
                legendgroup="scenario",
                row=row,
                col=col,
            )
            levels = sorted(effect, key=lambda v: (isinstance(v, str), v))
            fig.add_scatter(
                x=levels,
                y=[sum(effect[v]) / len(effect[v]) for v in levels],
                mode="lines",
                name="main effect",
                line={"color": "#d62728"},
                showlegend=row == 1 and col == 1,
                legendgroup="effect",
                row=row,
                col=col,
            )
    fig.update_layout(
        title="Response of each figure to each factor",
        height=260 * len(FIGURES),
        margin={"l": 60, "r": 40},
    )
    return fig


def paired_figure(r: ExperimentResult, figure: str = "throughput_per_h") -> go.Figure:
    """Each scenario's difference from the first with its paired 95 % interval, and beside
    it the half widths of the paired and the unpaired interval as bars."""
    names = [sc.name for sc in r.chosen]
    paired = [r.paired(k, figure) for k in range(len(names))]
    unpaired = [r.unpaired(k, figure) for k in range(len(names))]
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=(
            "difference from the first scenario (paired 95 % interval)",
            "95 % half width of the difference",
        ),
    )
    fig.add_scatter(
        x=names,
        y=[c.mean for c in paired],
        error_y={"type": "data", "array": [c.half_width for c in paired], "visible": True},
        mode="markers",
        name="difference",
        marker={"color": "#2ca02c"},
        row=1,
        col=1,
    )
    for label, cis, colour in (
        ("paired (common random numbers)", paired, "#2ca02c"),
        ("unpaired (independent runs)", unpaired, "#7f7f7f"),
    ):
        fig.add_bar(
            x=names[1:],
            y=[c.half_width for c in cis[1:]],
            name=label,
            marker_color=colour,
            row=1,
            col=2,
        )
    fig.update_layout(title=f"Against the first scenario: {_LABELS[figure]}", barmode="group")
    return fig


def experiment_report_html(r: ExperimentResult) -> str:
    """The report as one HTML document with plotly.js inline."""
    s = r.scenarios
    st = s.settings
    lead = (
        f"{len(r.chosen)} scenarios ({s.design}) x {st.replications} replications of "
        f"{st.days:g} days after {st.warmup_days:g} days of warm-up, seed {st.seed}; "
        "replication i of every scenario uses the same random streams at every step "
        "(common random numbers)."
    )
    figures = [response_figure(r), paired_figure(r), paired_figure(r, "gwh_per_year")]
    table = r.summary.to_html(float_format=lambda x: f"{x:,.4g}")
    return page(
        f"gigaline experiment: {s.name} on {s.base.name}",
        lead,
        figures,
        f"<h2>Scenarios</h2>{table}",
    )


def write_experiment_report(r: ExperimentResult, path: str | Path) -> Path:
    """Write :func:`experiment_report_html` to ``path``; returns the path."""
    p = Path(path)
    p.write_text(experiment_report_html(r), encoding="utf-8")
    return p
