"""Charts of studies as self-contained HTML (Plotly, plotly.js embedded): the Pareto front of
an optimisation and the tornado chart of a sensitivity analysis."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gigaline.sim._html import page

if TYPE_CHECKING:
    from gigaline.plan.ramp import RampPlan
    from gigaline.studies.optimize import OptimizationResult
    from gigaline.studies.sensitivity import SensitivityResult

__all__ = ["page", "pareto_figure", "ramp_figure", "tornado_figure", "write_page"]


def pareto_figure(r: OptimizationResult) -> go.Figure:
    """Capex against GWh per year: every candidate, the Pareto front, the best design."""
    fig = go.Figure()
    for feasible, colour, label in (
        (True, "#1f77b4", "feasible"),
        (False, "#bbbbbb", "infeasible"),
    ):
        cs = [c for c in r.candidates if c.feasible == feasible and "capex_usd" in c.figures]
        fig.add_scatter(
            x=[c.figures["gwh_per_year"] for c in cs],
            y=[c.figures["capex_usd"] / 1e6 for c in cs],
            mode="markers",
            name=f"{label} candidates",
            text=[_levels(c.levels) for c in cs],
            marker={"color": colour, "size": 7},
        )
    fig.add_scatter(
        x=[c.figures["gwh_per_year"] for c in r.front],
        y=[c.figures["capex_usd"] / 1e6 for c in r.front],
        mode="lines+markers",
        name="Pareto front",
        line={"color": "#d62728", "shape": "hv"},
        text=[_levels(c.levels) for c in r.front],
    )
    if r.best is not None:
        fig.add_scatter(
            x=[r.best.figures["gwh_per_year"]],
            y=[r.best.figures["capex_usd"] / 1e6],
            mode="markers",
            name=f"best feasible ({r.direction} {r.objective})",
            marker={"symbol": "star", "size": 16, "color": "#2ca02c"},
            text=[_levels(r.best.levels)],
        )
    for c in r.constraints:
        if c.figure == "gwh_per_year":
            fig.add_vline(x=c.bound, line_dash="dot", annotation_text=str(c))
    fig.update_layout(
        title="Capex against output: every candidate and the Pareto front",
        xaxis_title="GWh per year (simulated)",
        yaxis_title="capex [M USD] (planner)",
    )
    return fig


def tornado_figure(r: SensitivityResult, figure: str) -> go.Figure:
    """One-at-a-time swings of ``figure``: a bar per factor from its value at the factor's
    low end to its value at the high end, around the base, largest swing on top."""
    rows = sorted(r.oat, key=lambda o: abs(o.swing(figure)))
    base = r.base.figures[figure]
    fig = go.Figure()
    for end, colour in (("low", "#1f77b4"), ("high", "#ff7f0e")):
        fig.add_bar(
            y=[o.factor for o in rows],
            x=[(o.low if end == "low" else o.high).figures[figure] - base for o in rows],
            base=base,
            orientation="h",
            name=f"factor at its {end} end",
            marker={"color": colour},
            text=[str(o.low_level if end == "low" else o.high_level) for o in rows],
        )
    fig.update_layout(
        barmode="overlay",
        title=f"Tornado: {figure} when each factor moves alone (base {base:,.4g})",
        xaxis_title=figure,
    )
    return fig


def ramp_figure(r: RampPlan) -> go.Figure:
    """GWh per month stacked by phase, with the scrap share and the cumulative cost per kWh
    on a second axis."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    months = [m.month for m in r.months]
    for ph, _ in r.phases:
        fig.add_bar(
            x=months, y=[m.by_phase_gwh.get(ph.phase, 0.0) for m in r.months], name=ph.phase
        )
    fig.add_scatter(
        x=months,
        y=[m.cumulative_cost_usd_per_kwh for m in r.months],
        name="cumulative cost [USD/kWh]",
        mode="lines",
        secondary_y=True,
    )
    fig.add_scatter(
        x=months,
        y=[None if m.scrap_share is None else 100 * m.scrap_share for m in r.months],
        name="scrap [%]",
        mode="lines",
        line={"dash": "dot"},
        secondary_y=True,
    )
    fig.update_layout(
        barmode="stack",
        title="Ramp-up: GWh per month by phase, scrap and cumulative cost per kWh",
        xaxis_title="month (0: phase 1 starts production)",
    )
    fig.update_yaxes(title_text="GWh per month", secondary_y=False)
    fig.update_yaxes(title_text="USD/kWh, scrap %", secondary_y=True)
    return fig


def _levels(levels: Mapping[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in levels.items())


def write_page(path: str | Path, text: str) -> Path:
    p = Path(path)
    p.write_text(text, encoding="utf-8")
    return p
