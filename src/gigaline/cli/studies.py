"""``gigaline optimize`` and ``gigaline sensitivity``: designs judged by the twin and the
planner together."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from gigaline.cli._app import app, console, prepare_kernel, progress_bar
from gigaline.cli._tables import num, number_table, print_table
from gigaline.cli.experiment import ExecutorOpt, SchedulerOpt, WorkersOpt, check_workers

if TYPE_CHECKING:
    from gigaline.studies import Candidate, OptimizationResult, SensitivityResult

ScenarioArg = Annotated[
    Path, typer.Argument(help="Scenario file (YAML, docs/experiments.md).", metavar="SCENARIO.yaml")
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print one JSON object (docs/experiments.md).")
]
ReportOpt = Annotated[Path | None, typer.Option("--report", help="Write an HTML chart here.")]


@app.command()
def optimize(
    scenario_file: ScenarioArg,
    objective: Annotated[
        str | None,
        typer.Option(
            "--objective",
            help="Figure to optimise: cost_usd_per_kwh, cost_usd_per_kwh_net, capex_usd (planner), "
            "throughput_per_h, "
            "gwh_per_year, wip_mean, lead_time_mean_h (twin), machines.",
        ),
    ] = None,
    constraint: Annotated[
        list[str] | None,
        typer.Option(
            "--constraint", help='A constraint such as "gwh_per_year >= 20" (repeatable).'
        ),
    ] = None,
    direction: Annotated[
        str | None,
        typer.Option("--direction", help="minimize or maximize (default: the figure's best)."),
    ] = None,
    trials: Annotated[
        int | None, typer.Option("--trials", help="Designs to try (1 to 100,000).")
    ] = None,
    robust: Annotated[
        bool,
        typer.Option(
            "--robust", help="Constraints must hold at the unfavourable end of the 95 % interval."
        ),
    ] = False,
    executor: ExecutorOpt = "local",
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    as_json: JsonOpt = False,
    report: ReportOpt = None,
) -> None:
    """Search integer machine counts and buffer sizes (the scenario file's factors) for the
    design best in an objective under constraints; print it and the Pareto front of capex
    against GWh per year."""
    from gigaline.cli._checks import number, output_file
    from gigaline.model import bounds
    from gigaline.sim import load_scenarios
    from gigaline.sim.executors import open_executor
    from gigaline.studies import StudyError, optimize, parse_constraint

    if trials is not None:
        number("--trials", trials, bounds.TRIALS)
    check_workers(workers)
    if report is not None:
        output_file("--report", report, "optimize.html")
    study = load_scenarios(scenario_file)
    spec = study.optimize
    objective = objective or (spec.objective if spec else None)
    if objective is None:
        raise StudyError("give --objective (or optimize: {objective: ...} in the scenario file)")
    texts = list(constraint or []) or (list(spec.constraints) if spec else [])
    cons = [parse_constraint(t) for t in texts]
    n = trials or (spec.trials if spec and spec.trials else 40)
    direction = direction or (spec.direction if spec else None)
    prepare_kernel()
    with open_executor(executor, scheduler, workers) as ex, progress_bar("optimising") as bar:
        task = bar.add_task(f"{n} designs", total=1.0)
        result = optimize(
            study,
            objective,
            cons,
            direction=direction,
            trials=n,
            robust=robust,
            executor=ex,
            progress=lambda f: bar.update(task, completed=f),
        )
    if report is not None:
        from gigaline.studies.charts import page, pareto_figure, write_page

        intro = (
            f"{len(result.candidates)} designs of {study.base.name}, {result.direction} "
            f"{result.objective} subject to {', '.join(map(str, cons)) or 'nothing'}"
        )
        write_page(report, page(f"gigaline optimize: {study.name}", intro, [pareto_figure(result)]))
    if as_json:
        typer.echo(json.dumps(result.to_dict(), allow_nan=False))
        return
    _print_optimum(result)
    if report is not None:
        console.print(f"report: {report}", highlight=False)


def _fmt(figure: str, x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    if figure == "capex_usd":
        return num(x / 1e6, ",.1f")
    return num(x, ",.4g") if abs(x) < 1000 else num(x, ",.0f")


_COLUMNS = (
    ("gwh_per_year", "GWh/yr"),
    ("throughput_per_h", "cells/h"),
    ("capex_usd", "capex M USD"),
    ("cost_usd_per_kwh", "USD/kWh"),
)


def _candidate_table(title: str, cands: list[Candidate], factors: list[str]) -> Table:
    header = ("#", *(escape(n) for n in factors), *(label for _, label in _COLUMNS), "ok")
    rows = [
        (
            str(c.number),
            *[escape(str(c.levels.get(n, ""))) for n in factors],
            *[_fmt(f, c.figures.get(f, math.nan)) for f, _ in _COLUMNS],
            "yes" if c.feasible else "no",
        )
        for c in cands
    ]
    return number_table(title, header, rows, text=[len(header) - 1])


def _print_optimum(r: OptimizationResult) -> None:
    names = [f.name for f in r.study.factors]
    cons = ", ".join(map(str, r.constraints)) or "no constraints"
    console.print(
        f"[bold]{r.study.name}[/]: {r.direction} {r.objective} subject to {cons}"
        f"{' (at the 95 % bound)' if r.robust else ''}; {len(r.candidates)} designs evaluated "
        f"({r.sampler}), {r.study.settings.replications} replications each",
        highlight=False,
    )
    if r.best is None:
        console.print("[bold red]no feasible design found[/]")
    else:
        print_table(_candidate_table("Best feasible design", [r.best], names))
    print_table(_candidate_table("Pareto front: capex against GWh per year", list(r.front), names))


@app.command()
def sensitivity(
    scenario_file: ScenarioArg,
    samples: Annotated[
        int,
        typer.Option(
            "--samples",
            help="Sobol base samples N (N x (factors + 2) designs; a power of 2, 2 to 65,536).",
        ),
    ] = 32,
    no_sobol: Annotated[
        bool,
        typer.Option("--no-sobol", help="One-at-a-time swings only (2 x factors + 1 designs)."),
    ] = False,
    executor: ExecutorOpt = "local",
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    as_json: JsonOpt = False,
    report: ReportOpt = None,
) -> None:
    """Which factors move throughput and cost per kWh most: one-at-a-time swings around the
    base line (a tornado chart) and Sobol indices over the factors' ranges."""
    from gigaline.cli._checks import number, output_file
    from gigaline.model import bounds
    from gigaline.sim import load_scenarios
    from gigaline.sim.executors import open_executor
    from gigaline.studies import sensitivity as run

    number("--samples", samples, bounds.SOBOL_SAMPLES)
    check_workers(workers)
    if report is not None:
        output_file("--report", report, "sensitivity.html")
    study = load_scenarios(scenario_file)
    prepare_kernel()
    with open_executor(executor, scheduler, workers) as ex, progress_bar("analysing") as bar:
        task = bar.add_task(study.name, total=1.0)
        result = run(
            study,
            samples=samples,
            sobol=not no_sobol,
            executor=ex,
            progress=lambda f: bar.update(task, completed=f),
        )
    if report is not None:
        from gigaline.studies.charts import page, tornado_figure, write_page

        figs = [tornado_figure(result, f) for f in ("throughput_per_h", "cost_usd_per_kwh")]
        write_page(report, page(f"gigaline sensitivity: {study.name}", study.base.name, figs))
    if as_json:
        typer.echo(json.dumps(result.to_dict(), allow_nan=False))
        return
    _print_sensitivity(result)
    if report is not None:
        console.print(f"report: {report}", highlight=False)


def _print_sensitivity(r: SensitivityResult) -> None:
    rows = [
        (
            escape(o.factor),
            escape(str(o.low_level)),
            escape(str(o.high_level)),
            num(o.swing("throughput_per_h"), "+,.1f"),
            num(o.swing("cost_usd_per_kwh"), "+,.4f"),
        )
        for o in sorted(r.oat, key=lambda o: -abs(o.swing("throughput_per_h")))
    ]
    print_table(
        number_table(
            f"One at a time around the base line ({r.evaluations} designs evaluated)",
            ("factor", "low", "high", "swing cells/h", "swing USD/kWh"),
            rows,
            text=1,
        )
    )
    for figure, by in r.sobol.items():
        s_rows = [
            (
                escape(name),
                f"{num(d['S1'])} ± {num(d['S1_conf'])}",
                f"{num(d['ST'])} ± {num(d['ST_conf'])}",
            )
            for name, d in by.items()
        ]
        print_table(
            number_table(
                f"Sobol indices of {figure} (95 % intervals)",
                ("factor", "S1 (alone)", "ST (with interactions)"),
                s_rows,
                text=1,
            )
        )
