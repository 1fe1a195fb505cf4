"""``gigaline demo``: the main job on embedded defaults, from a fresh clone.

Plans the 20 GWh LFP reference line, simulates it, and runs its MES on a local SQLite file:
a day of generated equipment events is ingested, then one cell is traced back to its material
lots and one cathode lot forward to its cells. Then (unless ``--no-serve``) the line goes live:
the virtual line (:mod:`gigaline.virtual`) plays on after the stored day through a broker (the
local one where one answers, else one inside the process), the MES's connectors take it into
the same database, and the dashboard (:mod:`gigaline.web`, demo mode: loopback, no tokens)
serves it, until Ctrl-C or SIGTERM stops all of them.
"""

from __future__ import annotations

import socket
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gigaline.cli._app import app, console, print_warnings, progress_bar, simulate_with_progress
from gigaline.errors import GigalineError

if TYPE_CHECKING:
    from gigaline.mes.sql import SqlStore
    from gigaline.model import Line


def _reference_line() -> Path:
    """The reference line shipped in the package (``gigaline examples``)."""
    from gigaline.model.examples import reference_line_path

    return reference_line_path()


@app.command()
def demo(
    line_file: Annotated[
        Path | None,
        typer.Option(
            "--line", help="Line file (default: the 20 GWh reference line).", metavar="LINE.yaml"
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the report and the MES database.")
    ] = Path("demo-out"),
    days: Annotated[float, typer.Option("--days", help="Days to simulate after warm-up.")] = 30.0,
    warmup_days: Annotated[
        float, typer.Option("--warmup-days", help="Warm-up days (fills the 21-day aging).")
    ] = 30.0,
    mes_days: Annotated[
        float, typer.Option("--mes-days", help="Days of equipment events for the MES.")
    ] = 1.0,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of simulation and event generator.")
    ] = 1,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace the MES database plant.db of an earlier demo."),
    ] = False,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve/--no-serve",
            help="End by serving the dashboard over the demo's database with the line live "
            "(until Ctrl-C); --no-serve ends after the MES step.",
        ),
    ] = True,
    port: Annotated[
        int,
        typer.Option("--port", min=0, max=65535, help="Dashboard port on 127.0.0.1 (0: any free)."),
    ] = 8000,
    speed: Annotated[
        float, typer.Option("--speed", help="Twin seconds per wall second of the live line.")
    ] = 2.0,
    broker: Annotated[
        str | None,
        typer.Option(
            "--broker",
            help="MQTT broker of the live line: mqtt://HOST[:PORT], or 'embedded' (default: "
            "127.0.0.1:1883 where one answers, else embedded).",
        ),
    ] = None,
) -> None:
    """Plan, simulate and run (MES on SQLite) the reference line, into --out (default demo-out/),
    then serve the dashboard with the line live until Ctrl-C (--no-serve: stop before)."""
    from gigaline.cli._checks import (
        DEMO_DAYS,
        MES_DAYS,
        ArgumentError,
        number,
        output_folder,
        run_flags,
    )

    run_flags(days, warmup_days, seed, days_bound=DEMO_DAYS)
    number("--mes-days", mes_days, MES_DAYS)
    if serve:
        from gigaline.model.bounds import Bound

        number("--speed", speed, Bound(1e-3, 1e4, "times real time"))
        if broker is not None and broker != "embedded":
            from gigaline.events.broker import parse_broker

            parse_broker(broker)
    output_folder("--out", out, files=("report.html", "plant.db", "spc.html"))
    if (out / "plant.db").exists() and not force:
        raise ArgumentError(
            "--out",
            out,
            f"{str(out / 'plant.db')!r} exists (an earlier demo's MES database); give --force "
            "to replace it, or another --out",
        )
    sock = _listen(port) if serve else None  # a port in use: refused now, not after the work
    try:
        _steps(line_file, out, days, warmup_days, mes_days, seed)
        if sock is not None:
            console.rule("[bold]4 · live: the virtual line, the MES and the dashboard[/]")
            from gigaline.cli.demo_live import serve_live
            from gigaline.model import load_line

            serve_live(load_line(line_file or _reference_line()), out, sock, speed=speed,
                       seed=seed, broker=broker)  # fmt: skip
    finally:
        if sock is not None:
            sock.close()


def _steps(line_file: Path | None, out: Path, days: float, warmup_days: float, mes_days: float,
           seed: int) -> None:  # fmt: skip
    """Plan, simulate, MES: the demo's three steps, and what to try next."""
    from gigaline.model import load_line

    path = line_file or _reference_line()
    line = load_line(path)
    out.mkdir(parents=True, exist_ok=True)
    console.rule(f"[bold]1 · plan[/]  {path}")
    _plan(line)
    console.rule("[bold]2 · simulate[/]")
    _simulate(line, days, warmup_days, seed, out / "report.html")
    console.rule("[bold]3 · run: MES on SQLite[/]")
    _mes(line, mes_days, seed, out / "plant.db")
    console.rule("[bold]next[/]")
    console.print(
        f"gigaline plan {path} --json\n"
        f"gigaline simulate {path} --days 7 --replications 4 --report sim.html\n"
        f"gigaline trace <cell id> --db {out / 'plant.db'}\n"
        f"gigaline spc <step> <param> --db {out / 'plant.db'} --raise-alarms   (the demo's SPC"
        " only looks)\n"
        f"gigaline serve --db {out / 'plant.db'} --demo   (the dashboard again, later)\n"
        "See README.md and docs/.",
        highlight=False,
    )


def _listen(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:``port`` (0: one the system chooses) for the dashboard."""
    from gigaline.cli._checks import ArgumentError

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ArgumentError(
            "--port",
            port,
            f"a free port on 127.0.0.1 ({exc.strerror}); give another --port, "
            "or 0 for any free one",
        ) from None
    return sock


def _plan(line: Line) -> None:
    from gigaline.cli.plan import _print
    from gigaline.plan import plan_line

    _print(plan_line(line))


def _simulate(line: Line, days: float, warmup_days: float, seed: int, report: Path) -> None:
    from gigaline.cli.simulate import print_result
    from gigaline.sim.report import write_report

    result = simulate_with_progress(line, days, warmup_days, seed)
    print_result(result)
    print_warnings(result)
    write_report(result, report)
    console.print(f"report (open in a browser): [bold]{report}[/]")


def _mes(line: Line, days: float, seed: int, db: Path) -> None:
    from gigaline.mes.generate import generate_events
    from gigaline.mes.ingest import ingest
    from gigaline.mes.services import init_line, trace, where_used
    from gigaline.mes.sql import open_store

    if db.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    with open_store(f"sqlite:///{db}") as store:
        setup = init_line(store, line)
        console.print(f"MES database {db}: {setup.stations} stations", highlight=False)
        events = list(generate_events(line, days, seed))
        with progress_bar("ingesting") as bar:
            task = bar.add_task(f"{len(events):,} events", total=len(events))
            result = ingest(
                store, events, progress=lambda n: bar.update(task, advance=n), pause_gc=True
            )
        console.print(
            f"ingested {result.accepted:,} events ({result.duplicate:,} duplicates, "
            f"{result.rejected:,} rejected)",
            highlight=False,
        )
        # Trace the cell with the longest history in the window.
        records = Counter(e["unit"] for e in events if e.get("unit_type") == "cell")
        cell = max(records, key=lambda unit: (records[unit], unit))
        traced = trace(store, cell)
        console.print(
            f"trace {cell}: {len(traced.records)} process records, "
            f"{len(traced.ancestors)} ancestor units, lots {', '.join(traced.lots)}",
            highlight=False,
        )
        lots = [e for e in events if e["type"] == "lot"]
        lot = next(
            (e["lot"] for e in lots if e["material"] == "cathode_active_material"),
            lots[0]["lot"],
        )
        used = where_used(store, lot)
        console.print(
            f"where-used {lot}: {len(used.units):,} units, of them {len(used.cells):,} cells",
            highlight=False,
        )
        last_ts = max(e["ts"] for e in events)
        _spc(
            store,
            line,
            datetime.fromisoformat(last_ts) - timedelta(hours=1),
            db.parent / "spc.html",
        )
        _grade(store, line)


def _grade(store: SqlStore, line: Line) -> None:
    """Grade the cells that reached grading (the stream starts from a full line) and match
    them into modules."""
    from gigaline.mes.services import grade_stored_cells

    try:
        res = grade_stored_cells(store, line.quality).model_dump()
    except GigalineError as exc:  # a line without grades, or no cell graded yet
        console.print(f"grading: {exc}", highlight=False)
        return
    counts = ", ".join(f"{name} {n:,}" for name, n in res["counts"].items())
    console.print(f"graded {res['cells']:,} cells: {counts}", highlight=False)
    m = res["matching"]
    if m is not None:
        console.print(
            f"module matching: {m['modules']:,} modules of {m['cells_per_module']}, "
            f"{m['matched']:,} of {m['eligible']:,} eligible cells "
            f"({m['match_rate'] * 100:.2f} %)",
            highlight=False,
        )


def _spc(store: SqlStore, line: Line, since: datetime, plot: Path) -> None:
    """SPC over the last hour of the first parameter with spec limits that records carry."""
    from gigaline.mes.services import run_spc
    from gigaline.mes.spc_plot import write_html

    specs = line.quality.specs if line.quality is not None else []
    for spec in specs:
        try:
            res = run_spc(
                store, spec.step, spec.param, since=since, baseline=200, raise_alarms=False
            )
        except GigalineError:
            continue  # too few stored values of this parameter in the window
        d = res.model_dump()
        cap = d["capability"]
        cpk = f", Cpk {cap['cpk']:.2f}" if cap is not None else ""
        rules = ", ".join(f"rule {r}: {len(i)}" for r, i in sorted(res.violations.items()) if i)
        console.print(
            f"SPC {spec.step}/{spec.param}: {d['points']:,} points, centre {d['center']:.4g}, "
            f"limits {d['lcl']:.4g} .. {d['ucl']:.4g}{cpk}; {rules or 'no rule violations'}",
            highlight=False,
        )
        write_html(res, plot)
        console.print(f"control chart: [bold]{plot}[/]")
        return
