"""``gigaline simulate``: run the digital twin of a line file and summarise it."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Annotated, Literal

import typer

from gigaline.cli._app import app, console, prepare_kernel, print_warnings, progress_bar


def _warmup(text: str) -> float | Literal["auto"]:
    """The value of --warmup-days: a number of days (bounds: run_flags), or 'auto'."""
    from gigaline.cli._checks import ArgumentError

    if text.strip().lower() == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError:
        raise ArgumentError(
            "--warmup-days", text, "must be a number of days, or 'auto' (chosen by MSER-5)"
        ) from None


@app.command()
def simulate(
    line_file: Annotated[Path, typer.Argument(help="Line file (YAML).", metavar="LINE.yaml")],
    days: Annotated[float, typer.Option("--days", help="Days to measure (after warm-up).")] = 30.0,
    warmup_days: Annotated[
        str,
        typer.Option(
            "--warmup-days",
            help="Days simulated before measuring, or 'auto': chosen by MSER-5 on a pilot run"
            " (docs/simulation.md).",
            metavar="DAYS|auto",
        ),
    ] = "0",
    replications: Annotated[
        int, typer.Option("--replications", help="Independent runs (parallel processes).")
    ] = 1,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random streams.")] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (docs/sim-json.md).")
    ] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write a self-contained HTML report here.")
    ] = None,
) -> None:
    """Simulate a line: throughput, OEE per step, WIP, lead time and the bottleneck.

    Warnings (on stderr, and in the JSON) say when the warm-up or the measured window is too
    short for the line's steady state.
    """
    from gigaline.cli._checks import output_file, run_flags
    from gigaline.model import load_line

    warmup = _warmup(warmup_days)
    run_flags(days, None if warmup == "auto" else warmup, seed, replications)
    if report is not None:
        output_file("--report", report, "report.html")
    from gigaline.sim import simulate as run
    from gigaline.sim.checks import SimulationWarning

    line = load_line(line_file)
    if warmup != "auto":  # refuse a run too large for memory before a minute of compiling
        from gigaline.sim.budget import check_memory
        from gigaline.sim.compile import compile_line

        check_memory(compile_line(line), days, warmup, replications)
    prepare_kernel()
    with progress_bar("simulating") as bar, warnings.catch_warnings():
        warnings.simplefilter("ignore", SimulationWarning)  # printed below, once
        task = bar.add_task(line.name, total=1.0)
        result = run(
            line,
            days=days,
            warmup_days=warmup,
            replications=replications,
            seed=seed,
            progress=lambda f: bar.update(task, completed=f),
        )
    print_warnings(result)
    if report is not None:
        from gigaline.sim.report import write_report

        write_report(result, report)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), allow_nan=False))
        return
    typer.echo(repr(result))
    if report is not None:
        console.print(f"report: {report}")
