"""``gigaline experiment``: every scenario of a scenario file, with common random numbers."""

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

if TYPE_CHECKING:
    from gigaline.sim import ExperimentResult

ExecutorOpt = Annotated[
    str,
    typer.Option(
        "--executor",
        help="Where replications run: local processes, or a Dask cluster (a LocalCluster of "
        "this machine's cores, or the scheduler given by --scheduler).",
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler", help="Address of a Dask scheduler (tcp://host:8786); with --executor dask."
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers", help="Local processes or LocalCluster workers (default: CPUs; at most 1,024)."
    ),
]


@app.command()
def experiment(
    scenario_file: Annotated[
        Path,
        typer.Argument(help="Scenario file (YAML, docs/experiments.md).", metavar="SCENARIO.yaml"),
    ],
    executor: ExecutorOpt = "local",
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (docs/experiments.md).")
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Write an HTML report (each figure against each factor)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="Write every replication's figures (.parquet or .csv)."
        ),
    ] = None,
    replications: Annotated[
        int | None, typer.Option("--replications", help="Override the file's replications.")
    ] = None,
    days: Annotated[float | None, typer.Option("--days", help="Override the file's days.")] = None,
    warmup_days: Annotated[
        float | None, typer.Option("--warmup-days", help="Override the file's warm-up days.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Override the file's seed.")] = None,
    write_lines: Annotated[
        Path | None,
        typer.Option(
            "--write-lines",
            help="Write each scenario as a line file into this folder and stop (no simulation).",
        ),
    ] = None,
) -> None:
    """Run every scenario of a scenario file with common random numbers: headline figures with
    95 % intervals, and each scenario's difference from the first, paired and unpaired."""
    from gigaline.cli._checks import output_file, output_folder
    from gigaline.sim import load_scenarios, run_experiment
    from gigaline.sim.executors import open_executor

    _run_overrides(days, warmup_days, seed, replications)
    check_workers(workers)
    if report is not None:
        output_file("--report", report, "experiment.html")
    if write_lines is not None:
        output_folder("--write-lines", write_lines)
    scenarios = load_scenarios(scenario_file).with_settings(
        replications=replications, days=days, warmup_days=warmup_days, seed=seed
    )
    if output is not None:
        from gigaline.sim.compare import check_results_path

        check_results_path(output)
    if write_lines is not None:
        write_lines.mkdir(parents=True, exist_ok=True)
        for i, sc in enumerate(scenarios.scenarios, start=1):
            p = sc.write_line_file(write_lines / f"scenario-{i:03d}.yaml", str(scenario_file))
            console.print(f"{p}  ({sc.name})", highlight=False)
        return
    n = len(scenarios.scenarios) * scenarios.settings.replications
    prepare_kernel()
    with open_executor(executor, scheduler, workers) as ex, progress_bar("simulating") as bar:
        task = bar.add_task(
            f"{len(scenarios.scenarios)} scenarios x {n // len(scenarios.scenarios)} replications",
            total=1.0,
        )
        result = run_experiment(
            scenarios, executor=ex, progress=lambda f: bar.update(task, completed=f)
        )
    if output is not None:
        result.write(output)
    if report is not None:
        from gigaline.sim.experiment_report import write_experiment_report

        write_experiment_report(result, report)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), allow_nan=False))
        return
    print_table(experiment_table(result))
    for path, what in ((output, "results"), (report, "report")):
        if path is not None:
            console.print(f"{what}: {path}", highlight=False)


def check_workers(workers: int | None) -> None:
    """``--workers`` of the commands that run simulations in parallel."""
    from gigaline.cli._checks import number
    from gigaline.model import bounds

    if workers is not None:
        number("--workers", workers, bounds.WORKERS)


def _run_overrides(
    days: float | None, warmup_days: float | None, seed: int | None, replications: int | None
) -> None:
    """The run flags that override a scenario file's settings, checked as ``simulate``'s."""
    from gigaline.cli._checks import number
    from gigaline.model import bounds

    for flag, value, bound in (
        ("--days", days, bounds.RUN_DAYS),
        ("--warmup-days", warmup_days, bounds.WARMUP_DAYS),
        ("--seed", seed, bounds.SEED),
        ("--replications", replications, bounds.REPLICATIONS),
    ):
        if value is not None:
            number(flag, value, bound)


def _pm(mean: float, hw: float, fmt: str, sign: bool = False) -> str:
    text = num(mean, "+" + fmt if sign else fmt)
    if math.isfinite(hw):
        text += " ± " + num(hw, fmt)
    return text


def experiment_table(r: ExperimentResult) -> Table:
    """Scenarios as rows: levels, throughput and GWh with 95 % half widths, and the paired and
    unpaired differences of throughput against the first scenario (``--json`` and the report
    have every figure)."""
    s = r.scenarios
    st = s.settings
    named = s.design == "list"
    header = ["#", *(["scenario"] if named else []), *r.factor_names, "good cells/h",
              "diff, paired (CRN)", "diff, unpaired", "GWh/year", "bottleneck"]  # fmt: skip
    rows = []
    for k, sc in enumerate(r.chosen):
        tph = r.ci(k, "throughput_per_h")
        d, u = r.paired(k, "throughput_per_h"), r.unpaired(k, "throughput_per_h")
        gwh = r.ci(k, "gwh_per_year")
        rows.append((
            str(k + 1),
            *([escape(sc.name)] if named else []),
            *[escape(str(sc.factors.get(n, ""))) for n in r.factor_names],
            _pm(tph.mean, tph.half_width, ",.1f"),
            "" if k == 0 else _pm(d.mean, d.half_width, ",.1f", sign=True),
            "" if k == 0 else _pm(u.mean, u.half_width, ",.1f", sign=True),
            _pm(gwh.mean, gwh.half_width, ",.3f"),
            escape(r.results[k].bottleneck),
        ))  # fmt: skip
    title = (
        f"{s.name}: {len(r.chosen)} scenarios x {st.replications} replications, "
        f"{st.days:g} d after {st.warmup_days:g} d warm-up, seed {st.seed} "
        "(95 % intervals; throughput differences against the first scenario)"
    )
    return number_table(escape(title), header, rows, text=[1, len(header) - 1] if named
                        else [len(header) - 1])  # fmt: skip
