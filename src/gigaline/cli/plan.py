"""``gigaline plan``: what a target needs, per step and for the plant, in under a second.

Only the model, the planner and rich are imported on this path (no numba, pandas or
SQLAlchemy), so the command starts fast. Tables never cut a number: numeric columns keep
their full width and names wrap instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from gigaline.cli._app import app, console, console_err
from gigaline.cli._tables import num, print_table
from gigaline.cli._tables import number_table as _table

if TYPE_CHECKING:
    from gigaline.plan import LinePlan, Plan


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
    keep_machines: Annotated[
        bool,
        typer.Option(
            "--keep-machines",
            help="Keep the file's machine counts instead of planning what the target needs; "
            "steps that cannot reach the target are named in warnings.",
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (docs/plan-json.md).")
    ] = False,
) -> None:
    """Plan a line: machines per step, bottleneck, formation and grading channels, aging
    positions, floor area, energy by centre, staff, bottom-up capex (BatPaC beside it), cost
    per kWh before and after production credits, and materials, for every phase."""
    from gigaline.cli._checks import number
    from gigaline.model import bounds, load_line
    from gigaline.plan import plan_line

    if target_gwh is not None:
        number("--target-gwh", target_gwh, bounds.GWH_PER_YEAR)
    line = load_line(line_file)
    result = plan_line(line, target_gwh=target_gwh, keep_machines=keep_machines)
    if as_json:
        for w in result.first.warnings:
            console_err.print(f"warning: {w}", highlight=False, markup=False)
        typer.echo(json.dumps(result.to_dict(), allow_nan=False))
        return
    _print(result)


def title(result: Plan) -> str:
    """The first line of the printed plan: the target actually planned and where it came
    from."""
    p = result.first
    if result.target_from == "--target-gwh" and result.file_gwh_per_year is not None:
        why = f"--target-gwh; the line file's target is {result.file_gwh_per_year:g} GWh/yr"
    elif result.target_from == "--target-gwh":
        why = "--target-gwh; the line file has no target"
    else:
        why = "the line file's target"
    return (
        f"Plan for {p.gwh_per_year:g} GWh/yr ({why}): {result.line} - "
        f"{p.cell_energy_kwh * 1000:.1f} Wh cells, {p.cells_per_year / 1e6:.2f} M good cells/yr "
        f"({p.cell_starts_per_year / 1e6:.2f} M started), {p.scheduled_h_per_year:,.0f} "
        "scheduled h/yr"
    )


def _print(result: Plan) -> None:
    p = result.first
    console.print(f"[bold]{title(result)}[/]", highlight=False)
    for w in p.warnings:
        console.print(f"[red]warning:[/] {w}", highlight=False)
    tables = [
        _steps_table(p),
        _summary_table(result),
        _energy_table(p),
        _capex_table(p),
        _cost_table(p),
    ]
    if p.materials is not None:
        tables.append(_materials_table(p))
    if len(result.phases) > 1:
        tables.append(_phases_table(result))
    for t in tables:
        print_table(t)  # a table wider than the console is never cut
    for note in p.notes:
        console.print(f"note: {note}", highlight=False, markup=False)


def _steps_table(p: LinePlan) -> Table:
    rows = []
    for s, c in zip(p.steps, p.capex.steps, strict=True):
        util = num(s.utilization, ".0%")
        if s.id == p.bottleneck:
            util = f"[bold red]{util}[/]"
        elif s.machines_planned < s.machines_required:
            util = f"[red]{util}[/]"
        rows.append(
            (
                s.id,
                s.unit,
                num(s.rate_per_h, ",.1f"),
                num(s.capacity_per_machine_per_h, ",.1f"),
                num(s.availability, ".3f"),
                str(s.machines_required),
                str(s.machines_planned),
                util,
                "-" if c.unit_price_usd is None else num(c.unit_price_usd / 1e6, ",.2f"),
            )
        )
    header = ("step", "unit", "rate/h", "cap/h", "avail", "req", "plan", "util", "M USD")
    return _table("Steps (rates per scheduled hour)", header, rows, text=2)


def _summary_table(result: Plan) -> Table:
    p = result.first
    c = p.cost
    rows = [
        ("feasible", "yes" if p.feasible else f"[red]no[/] ({len(p.warnings)} warnings)"),
        ("bottleneck", p.bottleneck),
        ("formation channels", num(p.formation_channels, ",")),
        ("grading channels", num(p.grading_channels, ",")),
        ("aging positions", num(p.aging_positions, ",")),
        ("floor area", f"{p.floor_area_m2:,.0f} m² ({p.capex.dry_room_m2:,.0f} m² dry room)"),
        ("direct staff", f"{p.staff_fte:,.0f} FTE ({p.labour_h_per_year:,.0f} h/yr)"),
        ("indirect staff", f"{p.indirect_staff_fte:,.0f} FTE"),
        ("energy", f"{p.energy_kwh_per_kwh:.1f} kWh/kWh"),
        (
            f"energy measured ({p.chemistry}, Degen et al. 2023)",
            f"{p.chemistry_energy_kwh_per_kwh:.1f} kWh/kWh",
        ),
        (
            "capex bottom-up",
            f"{p.capex_usd / 1e6:,.0f} M USD ({p.capex_usd / p.gwh_per_year / 1e6:,.1f} M/GWh)",
        ),
        (
            "capex BatPaC scaling (check)",
            f"{p.batpac_capex_usd / 1e6:,.0f} M USD "
            f"({p.batpac_capex_usd / p.gwh_per_year / 1e6:,.1f} M/GWh)",
        ),
        ("cost per kWh, gross", f"{c.total:.2f} USD"),
        ("production credits", f"{p.credits.usd_per_kwh:.2f} USD/kWh"),
        ("cost per kWh, net", f"{p.cost_usd_per_kwh_net:.2f} USD"),
    ]
    return _table(f"Plant ({p.name})", ("what", "value"), rows, text=1)


def _energy_table(p: LinePlan) -> Table:
    k = 1.0 / (p.gwh_per_year * 1e6)
    rows = [
        (
            e.name,
            e.method,
            num(e.electricity_kwh * k, ".2f"),
            num(e.heat_kwh * k, ".2f"),
            num(e.total_kwh * k, ".2f"),
            num(e.measured_total_kwh * k, ".2f"),
        )
        for e in p.energy
    ]
    rows.append(
        (
            "[bold]total[/]",
            "",
            num(sum(e.electricity_kwh for e in p.energy) * k, ".2f"),
            num(sum(e.heat_kwh for e in p.energy) * k, ".2f"),
            f"[bold]{p.energy_kwh_per_kwh:.2f}[/]",
            num(p.measured_energy_kwh_per_kwh, ".2f"),
        )
    )
    header = ("centre", "method", "electricity", "heat", "total", "measured")
    return _table("Energy by centre (kWh per kWh of good cells)", header, rows, text=2)


def _capex_table(p: LinePlan) -> Table:
    x = p.capex
    cells = (
        x.equipment_usd,
        x.installation_usd,
        x.utilities_usd,
        x.building_usd,
        x.dry_room_usd,
        x.total_usd,
        p.batpac_capex_usd,
    )
    header = ("equipment", "install", "utilities", "building", "dry room", "total", "BatPaC")
    row = tuple(num(v / 1e6, ",.0f") for v in cells)
    return _table(
        f"Capex (M USD of {x.price_year}; BatPaC: the v5 scaling, as a cross-check)",
        header,
        [row],
        text=0,
    )


def _cost_table(p: LinePlan) -> Table:
    c = p.cost
    values = (c.materials, c.labour, c.energy, c.depreciation, c.overhead, c.total)
    row = (
        *(num(v, ".2f") for v in values),
        num(p.credits.usd_per_kwh, ".2f"),
        f"[bold]{p.cost_usd_per_kwh_net:.2f}[/]",
    )
    header = ("materials", "labour", "energy", "deprec.", "overhead", "gross", "credits", "net")
    return _table("Cost per kWh of good cells (USD)", header, [row], text=0)


def _materials_table(p: LinePlan) -> Table:
    assert p.materials is not None
    rows = [(n.replace("_", " "), num(t, ",.0f")) for n, t in p.materials.t_per_year.items()]
    rows.append(("separator (area, M m²)", num(p.materials.separator_m2_per_year / 1e6, ",.1f")))
    return _table("Materials bought per year", ("material", "t/yr"), rows, text=1)


def _phases_table(result: Plan) -> Table:
    rows = []
    for p in result.phases:
        rows.append(
            (
                p.name,
                "" if p.year is None else str(p.year),
                num(p.gwh_per_year, "g"),
                num(p.cells_per_year / 1e6, ".2f"),
                num(sum(s.machines_planned for s in p.steps), ","),
                num(p.formation_channels, ","),
                num(p.capex_usd / 1e6, ",.0f"),
                num(p.cost.total, ".2f"),
                num(p.cost_usd_per_kwh_net, ".2f"),
            )
        )
    tot = result.total()
    rows.append(
        (
            "[bold]total[/]",
            "",
            num(tot["gwh_per_year"], "g"),
            num(tot["cells_per_year"] / 1e6, ".2f"),
            num(tot["machines_planned"], ",.0f"),
            num(tot["formation_channels"], ",.0f"),
            num(tot["capex_usd"] / 1e6, ",.0f"),
            num(tot["cost_usd_per_kwh"], ".2f"),
            num(tot["cost_usd_per_kwh_net"], ".2f"),
        )
    )
    header = ("phase", "year", "GWh", "M cells", "machines", "channels", "M USD", "USD/kWh", "net")
    return _table("Phases", header, rows, text=1)
