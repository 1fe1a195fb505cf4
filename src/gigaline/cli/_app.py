"""The Typer app and the consoles every command shares."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from rich.progress import Progress

    from gigaline.model import Line
    from gigaline.sim import SimResult

__all__ = [
    "app",
    "console",
    "console_err",
    "prepare_kernel",
    "print_warnings",
    "progress_bar",
    "simulate_with_progress",
]

app = typer.Typer(
    name="gigaline",
    help="Plan, simulate and run lithium-ion battery cell gigafactories from one line file.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
console = Console()
console_err = Console(stderr=True, soft_wrap=True)


def _print_version(value: bool) -> None:
    if value:
        from gigaline import __version__

        console.print(f"gigaline {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Plan, simulate and run lithium-ion battery cell gigafactories from one line file."""


def progress_bar(verb: str) -> Progress:
    """A rich progress bar on stderr for long work ("simulating", "ingesting", ...).

    Shown only on a terminal, so that ``--json`` output and logs stay clean.
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn(f"[bold]{verb}[/] {{task.description}}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console_err,
        transient=True,
        disable=not console_err.is_terminal,
    )


def prepare_kernel() -> None:
    """Before a simulation: warn when the compiled kernel cannot be cached where the settings
    say, and when it is not compiled yet, say so and compile it now behind a spinner (about a
    minute, once per version of gigaline), rather than in silence inside the first run."""
    import time

    from rich.markup import escape

    from gigaline.sim import kernel_cache, warm_kernel

    state = kernel_cache()
    if state.message is not None:
        console_err.print(f"[bold yellow]warning:[/] {escape(state.message)}", highlight=False)
    if state.warm:
        return
    where = f"kept in {state.used}" if state.used is not None else "not kept: no writable cache"
    console_err.print(
        "compiling the simulation kernel: once per version of gigaline, about a minute "
        f"({escape(where)})",
        highlight=False,
    )
    t0 = time.perf_counter()
    with console_err.status("[bold]compiling[/] the simulation kernel", spinner="dots") as _:
        warm_kernel()
    console_err.print(f"compiled in {time.perf_counter() - t0:.0f} s", highlight=False)


def simulate_with_progress(line: Line, days: float, warmup_days: float, seed: int) -> SimResult:
    """One replication of ``line`` (:func:`gigaline.sim.simulate`) behind a progress bar.

    Its warnings are not printed (the MES generator uses only the step series): they stay in
    ``result.warnings`` for the caller to print with :func:`print_warnings`.
    """
    from gigaline.sim import simulate
    from gigaline.sim.checks import SimulationWarning

    prepare_kernel()
    with progress_bar("simulating") as bar, warnings.catch_warnings():
        warnings.simplefilter("ignore", SimulationWarning)
        task = bar.add_task(f"{warmup_days:g} + {days:g} days", total=1.0)
        return simulate(
            line,
            days=days,
            warmup_days=warmup_days,
            seed=seed,
            progress=lambda f: bar.update(task, completed=f),
        )


def print_warnings(result: SimResult) -> None:
    """The simulation's warnings (a run too short for steady state), one a line on stderr."""
    from rich.markup import escape

    for message in result.warnings:
        console_err.print(f"[bold yellow]warning:[/] {escape(message)}", highlight=False)
