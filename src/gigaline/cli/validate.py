"""``gigaline validate``: check a line file and summarise it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gigaline.cli._app import app, console


@app.command()
def validate(
    line_file: Annotated[Path, typer.Argument(help="Line file (YAML).", metavar="LINE.yaml")],
) -> None:
    """Check a line file; print one clear message per problem (exit status 2) or a summary."""
    from gigaline.model import load_line

    line = load_line(line_file)
    branches = line.branches
    console.print(
        f"[green]ok[/]: {line.name!r}: {len(line.steps)} steps"
        + (f" in {len(branches)} branches and a main chain" if branches else "")
        + f", cell {line.cell.capacity_ah:g} Ah x {line.cell.nominal_voltage_v:g} V"
        f" = {line.cell.energy_kwh * 1000:.1f} Wh"
    )
