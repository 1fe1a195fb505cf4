"""``gigaline ramp``: month by month from first cells to nameplate, phases 1 to 3."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from gigaline.cli._app import app, console
from gigaline.cli._tables import num, number_table, print_table

if TYPE_CHECKING:
    from gigaline.model import Line
    from gigaline.plan.ramp import RampPlan
    from gigaline.sim.ramp import TwinRamp


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
    simulate: Annotated[
        int | None,
        typer.Option(
            "--simulate",
            metavar="MONTHS",
            help="Also run the twin through the first MONTHS months of phase 1, its parameters "
            "following the learning curves, beside the plan.",
        ),
    ] = None,
    replications: Annotated[
        int, typer.Option("--replications", help="Twin replications (with --simulate).")
    ] = 1,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the twin's streams.")] = 0,
) -> None:
    """Plan the ramp-up of every phase in the line file's ramp section: GWh made, scrap,
    capex spent and cumulative cost per kWh, month by month; with --simulate, the twin's
    phase 1 beside the plan."""
    from gigaline.cli._checks import number, output_file
    from gigaline.model import bounds, load_line
    from gigaline.plan.ramp import ramp_plan

    if simulate is not None:
        number("--simulate", simulate, bounds.RAMP_MONTHS)
    number("--replications", replications, bounds.REPLICATIONS)
    number("--seed", seed, bounds.SEED)
    if report is not None:
        output_file("--report", report, "ramp.html")
    line = load_line(line_file)
    result = ramp_plan(line)
    twin = None
    if simulate is not None:
        twin = _simulate(line, simulate, replications, seed)
    if report is not None:
        from gigaline.studies.charts import page, ramp_figure, write_page

        write_page(report, page(f"gigaline ramp: {result.line}", "", [ramp_figure(result)]))
    if as_json:
        out = result.to_dict()
        if twin is not None:
            out["twin"] = _twin_dict(twin, result)
        typer.echo(json.dumps(out, allow_nan=False))
        return
    print_table(_phases(result))
    print_table(_months(result, every))
    if twin is not None:
        print_table(_twin_table(twin, result))
    if report is not None:
        console.print(f"report: {report}", highlight=False)


def _simulate(line: Line, months: int, replications: int, seed: int) -> TwinRamp:
    from gigaline.cli._app import prepare_kernel, progress_bar
    from gigaline.sim.executors import open_executor
    from gigaline.sim.ramp import simulate_ramp

    workers = min(replications, 64)
    prepare_kernel()
    with open_executor("local", workers=workers) as ex, progress_bar("simulating") as bar:
        task = bar.add_task(f"{months} months of phase 1", total=1.0)
        return simulate_ramp(
            line,
            months,
            replications=replications,
            seed=seed,
            executor=ex,
            progress=lambda f: bar.update(task, completed=f),
        )


def _plan_phase1(r: RampPlan) -> dict[int, float]:
    name = r.phases[0][0].phase
    return {m.month: m.by_phase_gwh.get(name, 0.0) for m in r.months}


def _twin_dict(twin: TwinRamp, r: RampPlan) -> dict[str, Any]:
    plan = _plan_phase1(r)
    df = twin.monthly
    return {
        "phase": r.phases[0][0].phase,
        "replications": len(twin.runs),
        "seed": twin.seed,
        "months": [
            {
                "month": int(m),  # type: ignore[call-overload]
                "gwh": _num(row["gwh"]),
                "gwh_half_width": _num(row["gwh_half_width"]),
                "good_cells": _num(row["good_cells"]),
                "scrap_cells": _num(row["scrap_cells"]),
                "scrap_share": _num(row["scrap_share"]),
                "plan_gwh": plan.get(int(m)),
            }
            for m, row in zip(df.index, df.to_dict("records"), strict=True)
        ],
    }


def _num(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _twin_table(twin: TwinRamp, r: RampPlan) -> Table:
    plan = _plan_phase1(r)
    rows = []
    for m, row in twin.monthly.iterrows():
        gwh = num(row["gwh"], ",.3f")
        if math.isfinite(row["gwh_half_width"]):
            gwh += " ± " + num(row["gwh_half_width"], ",.3f")
        rows.append((
            str(m),
            gwh,
            num(plan.get(int(m), 0.0), ",.3f"),  # type: ignore[call-overload]
            num(row["scrap_share"], ".1%"),
        ))  # fmt: skip
    title = (
        f"The twin through phase 1 ({len(twin.runs)} replication(s), seed {twin.seed}; "
        "the twin makes what the line can, the plan at most its nameplate)"
    )
    return number_table(title, ("month", "twin GWh", "plan GWh", "twin scrap"), rows, text=0)


def _phases(r: RampPlan) -> Table:
    rows = []
    for ph, lp in r.phases:
        capex = ph.capex_usd if ph.capex_usd is not None else lp.capex_usd
        rows.append((
            escape(ph.phase),
            str(ph.start_month),
            str(ph.build_months),
            num(lp.gwh_per_year, ",.1f"),
            num(capex / 1e6, ",.1f"),
            num(lp.cost.total, ",.2f"),
        ))  # fmt: skip
    header = ("phase", "start month", "build months", "GWh/yr", "capex M USD", "USD/kWh steady")
    return number_table(f"{escape(r.line)}: phases", header, rows, text=1)


def _months(r: RampPlan, every: int) -> Table:
    names = [ph.phase for ph, _ in r.phases]
    header = ("month", "GWh", "nameplate", "scrap", "capex MUSD", "USD/kWh to date",
              *(f"GWh {escape(n)}" for n in names))  # fmt: skip
    last = r.months[-1].month
    rows = []
    for m in r.months:
        if m.month % every and m.month != last:
            continue
        rows.append((
            str(m.month),
            num(m.gwh, ",.3f"),
            num(m.share_of_nameplate, ".0%", none=""),
            num(m.scrap_share, ".1%", none=""),
            num(m.capex_usd / 1e6, ",.1f"),
            num(m.cumulative_cost_usd_per_kwh, ",.1f", none=""),
            *[num(m.by_phase_gwh.get(n, 0.0), ",.3f") for n in names],
        ))  # fmt: skip
    return number_table("Month by month (month 0: phase 1 starts production)", header, rows,
                        text=0)  # fmt: skip
