"""MES commands: ``mes init``, ``ingest``, ``trace``, ``where-used``, ``hold``, ``holds``,
``release`` and ``generate``. Every command that reads or writes the MES takes ``--db URL``
(else ``$GIGALINE_DB``, else ``sqlite:///gigaline.db``, said on stderr); ``--json`` prints one
JSON object, the ``model_dump()`` of the service's result. Each command: parse, call the
service (:mod:`gigaline.mes.services`, :mod:`gigaline.mes.ingest`), print."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from gigaline.cli._app import app, console, console_err
from gigaline.cli._store import open_db

mes_app = typer.Typer(help="Set up the MES database of a line.", no_args_is_help=True)
app.add_typer(mes_app, name="mes")

DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Database URL or SQLite file (default: $GIGALINE_DB, gigaline.db)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object to stdout.")]


def _print_json(obj: Any) -> None:
    """One JSON object on stdout: a result's ``model_dump()`` (or a plain dict)."""
    data = obj.model_dump() if hasattr(obj, "model_dump") else obj
    sys.stdout.write(json.dumps(data, separators=(",", ":")) + "\n")


@mes_app.command("init")
def mes_init(
    line_file: Annotated[Path, typer.Argument(help="Line file (YAML).", metavar="LINE.yaml")],
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Create (or upgrade) the MES schema and register the line's site, area, steps and stations."""
    from gigaline.mes.services import init_line
    from gigaline.model import load_line

    line = load_line(line_file)
    with open_db(db, create=True) as store:
        summary = init_line(store, line)
    if json_out:
        _print_json(summary)
    else:
        console.print(
            f"[green]ok[/]: {summary.line!r} at {summary.site}/{summary.area}: "
            f"{summary.steps} steps, {summary.stations} stations "
            f"({summary.stations_added} added)"
        )


def _lines(source: str) -> Iterator[bytes]:
    if source == "-":
        yield from sys.stdin.buffer
        return
    path = Path(source)
    if not path.is_file():
        from gigaline.errors import FieldError

        raise FieldError("FILE", source, "no such file (give an NDJSON file or - for stdin)")
    with path.open("rb") as fh:
        yield from fh


def _summarise(store: Any, quiet: bool = False) -> int:
    """Store the missing OEE summaries, hours and quarters (a rich progress bar on stderr, in
    station-hours of rows read, unless ``quiet``); the station-hours stored."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from gigaline.mes.services.oee import summarise

    if quiet:
        return summarise(store)
    columns = (TextColumn("OEE summaries"), BarColumn(),
               TextColumn("{task.completed:,} station-hours read"),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console_err, transient=True) as bar:
        task = bar.add_task("summarise", total=None)
        stored = summarise(store, progress=lambda done, total: bar.update(task, completed=done,
                                                                         total=total))  # fmt: skip
    console_err.print(f"OEE summaries: {stored:,} station-hours stored", highlight=False)
    return stored


@mes_app.command("summarise")
def mes_summarise(db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Store the missing summaries of live OEE (every whole hour and every quarter of an hour
    that ended, up to the line's latest message), so that OEE over long windows reads them
    instead of every record; `gigaline connect` keeps them up to date on its own, after
    `gigaline ingest` run this."""
    with open_db(db) as store:
        stored = _summarise(store, quiet=json_out)
    if json_out:
        _print_json({"stored": stored})
    else:
        console.print(f"[green]ok[/]: {stored:,} station-hours of OEE summarised")


@app.command()
def ingest(
    source: Annotated[
        str, typer.Argument(help="NDJSON file of events, or - for stdin.", metavar="FILE|-")
    ],
    db: DbOpt = None,
    json_out: JsonOpt = False,
    batch_size: Annotated[
        int, typer.Option("--batch-size", help="Events per transaction (1 to 1,000,000).")
    ] = 20_000,
) -> None:
    """Validate and store events; rejected ones go to the dead-letter table with a reason."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from gigaline.cli._checks import number
    from gigaline.mes.ingest import ingest as run_ingest
    from gigaline.model import bounds
    from gigaline.settings import Settings

    number("--batch-size", batch_size, bounds.INGEST_BATCH)
    if source != "-" and not Path(source).is_file():
        from gigaline.errors import FieldError

        raise FieldError("FILE", source, "no such file (give an NDJSON file or - for stdin)")

    timeout_s = Settings.load().pending_timeout_s
    # A process of its own that does nothing else: the bulk path may pause the cyclic GC.
    with open_db(db) as store:
        if json_out:
            result = run_ingest(store, _lines(source), batch_size=batch_size, pause_gc=True,
                                pending_timeout_s=timeout_s)  # fmt: skip
        else:
            columns = (SpinnerColumn(), TextColumn("{task.completed:,} events"),
                       TimeElapsedColumn())  # fmt: skip
            with Progress(*columns, console=console_err, transient=True) as bar:
                task = bar.add_task("ingest")
                result = run_ingest(store, _lines(source), batch_size=batch_size,
                                    progress=lambda n: bar.advance(task, n),
                                    pause_gc=True, pending_timeout_s=timeout_s)  # fmt: skip
    if json_out:
        _print_json(result)
        return
    console.print(
        f"accepted {result.accepted:,}, duplicate {result.duplicate:,}, "
        f"rejected {result.rejected:,}, pending {result.pending:,}"
        + (f" ({result.refused:,} refused by the database)" if result.refused else "")
    )
    if result.pending:
        console.print(
            f"  {result.pending:,} events wait for a lot or unit not stored yet: retried as"
            f" later batches commit, dead letters after {timeout_s:g} s"
            " (GIGALINE_PENDING_TIMEOUT_S)", highlight=False,
        )  # fmt: skip
    if result.resolved or result.expired:
        console.print(f"  waiting events stored {result.resolved:,}, expired (dead letters)"
                      f" {result.expired:,}", highlight=False)  # fmt: skip
    for r in result.rejections[:20]:
        console.print(f"  event {r.position} ({r.event_id or 'no id'}): {r.reason}",
                      highlight=False, markup=False)  # fmt: skip
    if result.rejected > 20:
        console.print(f"  ... {result.rejected - 20} more in the dead_letters table")


@app.command()
def trace(
    unit: Annotated[str, typer.Argument(help="Unit id (cell, coil, sheet stack ...).")],
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """A unit's full history and its backward genealogy down to the material lots."""
    from gigaline.mes.services import trace as trace_unit

    with open_db(db) as store:
        result = trace_unit(store, unit)
    if json_out:
        _print_json(result)
        return
    from rich.markup import escape

    from gigaline.cli._tables import num, number_table, print_table

    rows = [
        (r.ts or "-", escape(r.step), escape(r.station),
         escape(r.result + (f" {r.reason}" if r.reason else "")),
         escape(", ".join(f"{k}={num(v, 'g')}" for k, v in r.params.items())))
        for r in result.records
    ]  # fmt: skip
    header = ("ts", "step", "station", "result", "params")
    print_table(number_table(escape(f"{result.unit_type} {unit}"), header, rows, text=[1, 2, 3, 4]))
    console.print(f"lots: {', '.join(result.lots) or '-'}", highlight=False)
    console.print(f"ancestors: {', '.join(result.ancestors) or '-'}", highlight=False)
    for h in result.holds:
        console.print(f"[bold red]ON HOLD[/] #{h.id} ({h.target}): {h.reason}")


@app.command("where-used")
def where_used(
    source: Annotated[str, typer.Argument(help="Lot or unit id.", metavar="LOT_OR_UNIT")],
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Every unit that contains a lot or unit (forward genealogy), and which of them are cells."""
    from gigaline.mes.services import where_used as find_uses

    with open_db(db) as store:
        result = find_uses(store, source)
    if json_out:
        _print_json(result)
        return
    console.print(f"{source}: in {len(result.units):,} units, {len(result.cells):,} cells")
    for cell in result.cells[:50]:
        console.print(f"  {cell}", highlight=False)
    if len(result.cells) > 50:
        console.print(f"  ... {len(result.cells) - 50:,} more (use --json)")


@app.command()
def hold(
    target: Annotated[str, typer.Argument(help="Lot or unit id.", metavar="LOT_OR_UNIT")],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded).")],
    by: Annotated[str, typer.Option("--by", help="Who puts the hold.")] = "gigaline",
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Put a lot or unit and every unit made from it on hold."""
    from gigaline.mes.services import place_hold

    with open_db(db) as store:
        result = place_hold(store, target, reason, by)
    if json_out:
        _print_json(result)
    else:
        console.print(f"hold #{result.id} on {target}: {result.units:,} units held")


@app.command()
def holds(
    all_: Annotated[bool, typer.Option("--all", help="Include released holds.")] = False,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """List holds (active ones unless --all)."""
    from gigaline.mes.services import list_holds

    with open_db(db) as store:
        result = list_holds(store, include_released=all_)
    if json_out:
        _print_json(result)
        return
    if not result.holds:
        console.print("no holds")
        return
    from rich.markup import escape

    from gigaline.cli._tables import number_table, print_table

    rows = [
        (str(h.id), escape(h.target), f"{h.units:,}", escape(h.reason), h.created or "-",
         escape(h.created_by), h.released or "active", escape(h.release_reason or ""))
        for h in result.holds
    ]  # fmt: skip
    header = ("#", "target", "units", "reason", "created", "by", "released", "why released")
    print_table(number_table("Holds", header, rows, text=[1, 3, 5, 7]))


@app.command()
def release(
    hold_id: Annotated[int, typer.Argument(help="Hold number (see `gigaline holds`).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded).")],
    by: Annotated[str, typer.Option("--by", help="Who releases the hold.")] = "gigaline",
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Release a hold, recording why."""
    from gigaline.cli._checks import number
    from gigaline.mes.services import release_hold
    from gigaline.model import bounds

    number("HOLD", hold_id, bounds.ROW_ID)

    with open_db(db) as store:
        result = release_hold(store, hold_id, reason, by)
    if json_out:
        _print_json(result)
    else:
        console.print(f"hold #{hold_id} released")


@app.command()
def generate(
    line_file: Annotated[
        Path, typer.Option("--line", help="Line file (YAML).", metavar="LINE.yaml")
    ],
    days: Annotated[float, typer.Option(help="Days of production.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same stream).")] = 1,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="NDJSON file (default stdout).")
    ] = None,
    curves: Annotated[bool, typer.Option(help="Emit formation and aging curves.")] = True,
    coil_m: Annotated[
        float,
        typer.Option(
            "--coil-m",
            help="Metres of web per coil on continuous steps (the twin's job there; "
            "shorter coils keep a small test line's electrodes moving).",
            min=1.0,
        ),
    ] = 1000.0,
    from_sim: Annotated[
        bool,
        typer.Option(
            "--from-sim",
            help="Deprecated, no effect: the stream is always the simulation's trace.",
            hidden=True,
        ),
    ] = False,
    warmup_days: Annotated[
        float | None,
        typer.Option(
            "--warmup-days",
            help="Deprecated, no effect (was: days simulated before a --from-sim stream).",
            hidden=True,
        ),
    ] = None,
) -> None:
    """Write the line's NDJSON event stream (lots, units, records, states), read off the
    digital twin's trace: same seed, same stream."""
    from gigaline.cli._checks import EVENT_DAYS, output_file, run_flags
    from gigaline.mes.generate import generate_events
    from gigaline.model import load_line

    run_flags(days, None, seed, days_bound=EVENT_DAYS)
    if from_sim or warmup_days is not None:
        console_err.print(
            "note: --from-sim and --warmup-days are deprecated and have no effect: "
            "the stream is always the simulation's trace"
        )
    if output is not None:
        output_file("--output", output, "events.ndjson")
    line = load_line(line_file)
    events = generate_events(line, days, seed, curves=curves, coil_m=coil_m)
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    if output is None:
        write = sys.stdout.write
        for e in events:
            write(dumps(e) + "\n")
        return
    n = 0
    with output.open("w", encoding="utf-8") as fh, console_err.status("generating") as status:
        for e in events:
            fh.write(dumps(e) + "\n")
            n += 1
            if n % 100_000 == 0:
                status.update(f"generating: {n:,} events")
    console_err.print(f"{n:,} events -> {output}")
