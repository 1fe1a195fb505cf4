"""``gigaline ramp``: month by month from first cells to nameplate, phases 1 to 3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from gigaline.cli._app import app, console
from gigaline.model import load_line

if TYPE_CHECKING:
    from gigaline.plan.ramp import RampPlan


@app.command()
def ramp(
    line_file: Annotated[Path, typer.Argument(help="Line file (YAML).", metavar="LINE.yaml")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (docs/ramp.md).")
    ] = False,
    every: Annotated[
        int, typer.Option("--every", min=1, help="Print every N-th month (the JSON has all).")
    ] = 1,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write an HTML chart of the ramp here.")
    ] = None,
) -> None:
    """Plan the ramp-up of every phase in the line file's ramp section: GWh made, scrap,
    capex spent and cumulative cost per kWh, month by month."""
    from gigaline.plan.ramp import ramp_plan

    result = ramp_plan(load_line(line_file))
    if report is not None:
        from gigaline.studies.charts import page, ramp_figure, write_page

        write_page(report, page(f"gigaline ramp: {result.line}", "", [ramp_figure(result)]))
    if as_json:
        typer.echo(json.dumps(result.to_dict(), allow_nan=False))
        return
    console.print(_phases(result))
    console.print(_months(result, every))
    if report is not None:
        console.print(f"report: {report}", highlight=False)


def _phases(r: RampPlan) -> Table:
    t = Table(title=f"{r.line}: phases", title_justify="left")
    for col in ("phase", "start month", "build months", "GWh/yr", "capex M USD", "USD/kWh steady"):
        t.add_column(col, justify="left" if col == "phase" else "right")
    for ph, lp in r.phases:
        capex = ph.capex_usd if ph.capex_usd is not None else lp.capex_usd
        t.add_row(
            ph.phase,
            str(ph.start_month),
            str(ph.build_months),
            f"{lp.gwh_per_year:,.1f}",
            f"{capex / 1e6:,.1f}",
            f"{lp.cost.total:,.2f}",
        )
    return t


def _months(r: RampPlan, every: int) -> Table:
    t = Table(
        title="Month by month (month 0: phase 1 starts production)",
        title_justify="left",
    )
    names = [ph.phase for ph, _ in r.phases]
    for col in ("month", "GWh", "nameplate", "scrap", "capex MUSD", "USD/kWh to date"):
        t.add_column(col, justify="right", overflow="fold")
    for name in names:
        t.add_column(f"GWh {name}", justify="right", overflow="fold")
    last = r.months[-1].month
    for m in r.months:
        if m.month % every and m.month != last:
            continue
        t.add_row(
            str(m.month),
            f"{m.gwh:,.3f}",
            "" if m.share_of_nameplate is None else f"{m.share_of_nameplate:.0%}",
            "" if m.scrap_share is None else f"{m.scrap_share:.1%}",
            f"{m.capex_usd / 1e6:,.1f}",
            ""
            if m.cumulative_cost_usd_per_kwh is None
            else f"{m.cumulative_cost_usd_per_kwh:,.1f}",
            *[f"{m.by_phase_gwh.get(n, 0.0):,.3f}" for n in names],
        )
    return t
