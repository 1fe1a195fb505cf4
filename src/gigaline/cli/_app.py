"""The Typer app and the consoles every command shares."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

__all__ = ["app", "console", "console_err"]

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
