"""``gigaline simulate``: run the digital twin of a line file and summarise it."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.markup import escape
from rich.table import Table

from gigaline.cli._app import app, console, prepare_kernel, print_warnings, progress_bar
from gigaline.cli._tables import num, number_table, print_table

if TYPE_CHECKING:
    from gigaline.sim import SimResult


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
    print_result(result)
    if report is not None:
        console.print(f"report: {report}", highlight=False)


def print_result(result: SimResult) -> None:
    """A simulation in the terminal: the title, the headline figures with their 95 %
    intervals, and two per-step tables (OEE and flow; machine states and bottleneck shares),
    with a footnote for every undefined figure and every performance above 1; last, the plan
    and twin bottlenecks compared, on one line."""
    assert result.warmup is not None
    console.print(
        f"[bold]Simulation of {escape(result.compiled.line.name)}[/]: {result.days:g} d after "
        f"{escape(result.warmup.describe())}, {len(result.records)} replication(s), seed "
        f"{result.seed}",
        highlight=False,
        soft_wrap=True,  # one line, as long as it is (tests and scripts read it)
    )
    for t in (headline_table(result), *step_tables(result)):
        print_table(t)
    # plan versus twin bottleneck (gigaline.sim.necks), one line, last
    console.print(escape(result.bottleneck_comparison.summary()), highlight=False, soft_wrap=True)


def headline_table(result: SimResult) -> Table:
    """The headline figures (``what``, ``value``): throughput, output, WIP, lead time and its
    percentiles, the bottleneck and the static capacity."""
    rows = [(k, escape(v)) for k, v in result._headline_lines()]
    undefined = result.undefined.get("lead_time_percentiles_h")
    if undefined is None:
        pct = result.lead_time_percentiles_h
        rows.insert(4, ("lead time percentiles", ", ".join(
            f"{k} {num(float(v), ',.4f')} h" for k, v in pct.items())))  # fmt: skip
    return number_table("Line (mean of replications, 95 % intervals)", ("what", "value"),
                        rows, text=2)  # fmt: skip


def step_tables(result: SimResult) -> tuple[Table, Table]:
    """Per step, mean of replications: OEE and its factors (ISO 22400-2), good cells per hour,
    scrap and WIP; and the shares of time in each machine state with the bottleneck shares."""
    from gigaline.kpi import EFFECTIVENESS_ABOVE_ONE, effectiveness_above_one
    from gigaline.sim.results import STATE_NAMES

    fast = False
    oee_rows, state_rows = [], []
    for sid, r in result.step_rows.items():  # plain rows: a tiny simulate loads no pandas
        perf = num(r["performance"])
        if effectiveness_above_one(float(r["performance"]), tol=5e-4):
            perf, fast = perf + "*", True
        oee_rows.append((str(sid), num(r["oee"]), num(r["availability"]), perf,
                         num(r["quality"]), num(r["good_cells_per_h"], ",.1f"),
                         num(r["scrap_cells"], ",.0f"), num(r["wip_mean"], ",.1f")))  # fmt: skip
        state_rows.append((str(sid), *(num(r[n]) for n in STATE_NAMES),
                           num(r["bottleneck_sole"]), num(r["bottleneck_shifting"])))  # fmt: skip
    notes = list(result.undefined_notes())
    if notes:
        notes = ["- undefined: " + n for n in notes]
    if fast:
        notes.append("* " + EFFECTIVENESS_ABOVE_ONE)
    oee = number_table(
        "Steps: OEE per ISO 22400-2, output (cells/h of calendar time), scrap, WIP",
        ("step", "OEE", "avail.", "perf.", "quality", "good cells/h", "scrap cells", "WIP"),
        oee_rows, text=1, caption="\n".join(notes) or None,
    )  # fmt: skip
    states = number_table(
        "Steps: share of time in each state; bottleneck shares (active period method)",
        ("step", "working", "starved", "blocked", "down", "planned stop", "sole", "shifting"),
        state_rows, text=1,
    )  # fmt: skip
    return oee, states
