"""``gigaline examples``: the example lines shipped in the package, listed and copied.

``gigaline examples`` lists them (name, kind, title, files, steps); ``gigaline examples copy
NAME [DIR]`` copies one, with the files it needs, into DIR (default: the working folder),
refusing to replace a file without ``--force``. The reference line of ``gigaline demo``, the
dashboard and the API is the shipped ``abf-lfp-20gwh``, so they work outside a checkout.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from gigaline.cli._app import app, console
from gigaline.cli._tables import number_table

examples_app = typer.Typer(
    help="The example lines shipped with gigaline: list them, copy one to edit.",
    invoke_without_command=True,
)
app.add_typer(examples_app, name="examples")


@examples_app.callback()
def _examples(
    ctx: typer.Context,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print a JSON list (name, kind, title, description, files)."),
    ] = False,
) -> None:
    """List the shipped examples (name, kind, title, files, steps); `copy` copies one."""
    if ctx.invoked_subcommand is not None:
        return
    from gigaline.model.examples import examples, examples_dir

    shipped = examples()
    if as_json:
        typer.echo(json.dumps([{**asdict(e), "path": str(e.path)} for e in shipped]))
        return
    rows = [[e.name, e.kind, escape(e.title), " ".join(e.files), f"{e.steps:,}"] for e in shipped]
    table = number_table(
        f"Examples shipped with gigaline ({examples_dir()})",
        ["name", "kind", "what", "files copied", "steps"],
        rows,
        text=4,
    )
    # the name is what `copy` takes: never wrapped
    table.columns[0].no_wrap = True
    table.columns[0].min_width = max(len(e.name) for e in shipped)
    console.print(table)
    console.print(
        "Copy one to edit it: gigaline examples copy NAME [DIR]  (steps of a scenario file: of "
        "its base line)",
        highlight=False,
        markup=False,
    )


@examples_app.command("copy")
def copy(
    name: Annotated[str, typer.Argument(help="Example name (see `gigaline examples`).")],
    folder: Annotated[
        Path, typer.Argument(help="Folder to copy into (created if missing).", metavar="DIR")
    ] = Path("."),
    force: Annotated[
        bool, typer.Option("--force", help="Replace files of the same name in DIR.")
    ] = False,
) -> None:
    """Copy an example, and the files it needs (a scenario file's base line, its data), into
    DIR."""
    from gigaline.model.examples import copy_example

    for path in copy_example(name, folder, force=force):
        console.print(f"wrote {path}", highlight=False, markup=False)
