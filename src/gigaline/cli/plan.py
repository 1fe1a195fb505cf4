"""``gigaline plan``: what a target needs, per step and for the plant, in under a second.

Only the model, the planner and rich are imported on this path (no numba, pandas or
SQLAlchemy), so the command starts fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gigaline.cli._app import app, console
from gigaline.cli._checks import number
from gigaline.model import bounds, load_line
from gigaline.plan import LinePlan, Plan, plan_line


@app.command()
def plan(
    line_file: Annotated[Path, typer.Argument(help="Line file (YAML).", metavar="LINE.yaml")],
    target_gwh: Annotated[
        float | None,
        typer.Option(
            "--target-gwh",
            help="Plan for this many GWh per year instead of the file's target (phase 1).",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (docs/plan-json.md).")
    ] = False,
) -> None:
    """Plan a line: machines per step, bottleneck, formation channels, aging positions,
    floor area, energy, staff, capex, cost per kWh and materials, for every phase."""
    if target_gwh is not None:
        number("--target-gwh", target_gwh, bounds.GWH_PER_YEAR)
    line = load_line(line_file)
    result = plan_line(line, target_gwh=target_gwh)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), allow_nan=False))
        return
    _print(result)


def _print(result: Plan) -> None:
    p = result.first
    console.print(
        f"[bold]{result.line}[/]: {p.gwh_per_year:g} GWh/yr of {p.cell_energy_kwh * 1000:.1f} Wh "
        f"cells = {p.cells_per_year / 1e6:.2f} M good cells/yr "
        f"({p.cell_starts_per_year / 1e6:.2f} M started), "
        f"{p.scheduled_h_per_year:,.0f} scheduled h/yr",
        highlight=False,
    )
    console.print(_steps_table(p))
    console.print(_summary_table(result))
    console.print(_cost_table(p))
    if p.materials is not None:
        console.print(_materials_table(p))
    if len(result.phases) > 1:
        console.print(_phases_table(result))


def _steps_table(p: LinePlan) -> Table:
    t = Table(title="Steps (rates per scheduled hour)", title_justify="left")
    for col in ("step", "process", "unit", "rate/h", "cap/machine/h", "avail"):
        t.add_column(col, justify="left" if col in ("step", "process", "unit") else "right")
    for col in ("required", "planned", "util"):
        t.add_column(col, justify="right")
    for s in p.steps:
        util = f"{s.utilization:.0%}"
        if s.id == p.bottleneck:
            util = f"[bold red]{util}[/]"
        elif s.machines_planned < s.machines_required:
            util = f"[red]{util}[/]"
        t.add_row(
            s.id,
            s.process or "",
            s.unit,
            f"{s.rate_per_h:,.1f}",
            f"{s.capacity_per_machine_per_h:,.1f}",
            f"{s.availability:.3f}",
            str(s.machines_required),
            str(s.machines_planned),
            util,
        )
    return t


def _summary_table(result: Plan) -> Table:
    p = result.first
    t = Table(title="Plant (phase 1)", title_justify="left", show_header=False)
    t.add_column("what")
    t.add_column("value", justify="right")
    rows = [
        ("bottleneck", p.bottleneck),
        ("formation channels", f"{p.formation_channels:,}"),
        ("aging positions", f"{p.aging_positions:,}"),
        ("floor area", f"{p.floor_area_m2:,.0f} m²"),
        ("direct staff", f"{p.staff_fte:,.0f} FTE ({p.labour_h_per_year:,.0f} h/yr)"),
        ("energy", f"{p.energy_kwh_per_kwh:.1f} kWh per kWh of cells"),
        (
            "capex",
            f"{p.capex_usd / 1e6:,.0f} M USD ({p.capex_usd / p.gwh_per_year / 1e6:.1f} M/GWh)",
        ),
        ("capex baseline", "BatPaC v5 baseline plant, 50 GWh/yr (ANL/CSE-22/1)"),
    ]
    for e in p.energy:
        share = (e.electricity_kwh + e.heat_kwh) / (p.gwh_per_year * 1e6)
        rows.append((f"  energy: {e.name}", f"{share:.2f} kWh/kWh"))
    for what, value in rows:
        t.add_row(what, value)
    return t


def _cost_table(p: LinePlan) -> Table:
    t = Table(title="Cost per kWh of good cells (USD)", title_justify="left")
    c = p.cost
    for col in ("materials", "labour", "energy", "depreciation", "overhead", "total"):
        t.add_column(col, justify="right")
    t.add_row(
        *(f"{v:.2f}" for v in (c.materials, c.labour, c.energy, c.depreciation, c.overhead)),
        f"[bold]{c.total:.2f}[/]",
    )
    return t


def _materials_table(p: LinePlan) -> Table:
    assert p.materials is not None
    t = Table(title="Materials bought per year", title_justify="left")
    t.add_column("material")
    t.add_column("t/yr", justify="right")
    for name, tonnes in p.materials.t_per_year.items():
        t.add_row(name.replace("_", " "), f"{tonnes:,.0f}")
    t.add_row("separator (area)", f"{p.materials.separator_m2_per_year / 1e6:,.1f} M m²")
    return t


def _phases_table(result: Plan) -> Table:
    t = Table(title="Phases", title_justify="left")
    for col in ("phase", "GWh/yr", "M cells/yr", "machines", "channels", "capex M USD", "USD/kWh"):
        t.add_column(col, justify="left" if col == "phase" else "right")
    for p in result.phases:
        t.add_row(
            p.name,
            f"{p.gwh_per_year:g}",
            f"{p.cells_per_year / 1e6:.2f}",
            str(sum(s.machines_required for s in p.steps)),
            f"{p.formation_channels:,}",
            f"{p.capex_usd / 1e6:,.0f}",
            f"{p.cost.total:.2f}",
        )
    tot = result.total()
    t.add_row(
        "[bold]total[/]",
        f"{tot['gwh_per_year']:g}",
        f"{tot['cells_per_year'] / 1e6:.2f}",
        f"{tot['machines_required']:.0f}",
        f"{tot['formation_channels']:,.0f}",
        f"{tot['capex_usd'] / 1e6:,.0f}",
        f"{tot['cost_usd_per_kwh']:.2f}",
    )
    return t
