"""``gigaline virtual-line`` and ``gigaline run``: the twin's line as live equipment.

``virtual-line`` plays the event stream of a line (the twin's trace, as ``gigaline generate``
makes it) against a clock through virtual equipment: a Sparkplug B edge node, an outbox of
per-unit JSON events and, with ``--opcua-port``, an OPC UA server. ``run`` puts both sides in
one command for a demo: the virtual line, the MES's connectors (``gigaline connect``) on a
SQLite file, and a broker (the local one where one answers, else one inside the process), then
compares what the MES holds with the line's ground truth. ``docs/live.md`` documents both.
"""

from __future__ import annotations

import json
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from gigaline.cli._app import app, console, console_err
from gigaline.cli.mes import DbOpt

#: ``--speed``: 0 means as fast as the host can; otherwise up to a million times real time.
SPEED_HELP = "Twin seconds per wall second (1: real time; 0: as fast as the host can)."


def _checked(days: float, seed: int, speed: float) -> float | None:
    from gigaline.cli._checks import EVENT_DAYS, ArgumentError, number, run_flags

    run_flags(days, None, seed, days_bound=EVENT_DAYS)
    if days <= 0:
        raise ArgumentError("--days", days, "more than 0 days")
    if speed != 0:
        from gigaline.model.bounds import Bound

        number("--speed", speed, Bound(1e-3, 1e6, "times real time"))
    return None if speed == 0 else speed


def _start_of(start: str | None) -> datetime:
    from gigaline.cli._checks import ArgumentError

    if start is None:
        now = datetime.now(UTC)
        return now.replace(microsecond=0)
    try:
        when = datetime.fromisoformat(start.replace("Z", "+00:00"))
    except ValueError:
        raise ArgumentError(
            "--start", start, "an ISO 8601 time, e.g. 2026-01-05T06:00:00Z"
        ) from None
    if when.tzinfo is None:
        raise ArgumentError("--start", start, "a time with its offset (Z for UTC)")
    return when.astimezone(UTC)


@contextmanager
def _signals_set(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop`` (the line then ends cleanly) while the block runs."""

    def handler(_signum: int, _frame: object) -> None:
        stop.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _virtual_line(
    line: Any,
    broker: str,
    days: float,
    seed: int,
    speed: float | None,
    start: datetime,
    outbox: Path,
    opcua_port: int | None,
    resume: bool = False,
    primary_host: str | None = None,
) -> Any:
    from gigaline.mes.generate import generate_events
    from gigaline.mes.synth import process_params
    from gigaline.model.naming import station_names
    from gigaline.virtual.line import VirtualLine

    parameters = {
        s: tuple(p.name for p in process_params(line, step))
        for step in line.steps
        for s in station_names(step.id, step.machines)
    }
    # ids of this run's units and events: a second run into the same database adds to it
    # (an MES keeps what it took in) instead of colliding with the first run's ids
    prefix = f"R{start:%Y%m%dT%H%M%S}-S{seed}-"
    events = generate_events(line, days, seed, start=start, prefix=prefix)
    # what a resumed run must match: the same line, seed, start and length (the same stream)
    run_id = f"{line.name}|{prefix}|{days!r}"
    return VirtualLine(
        line, broker, events, start=start, end=start + timedelta(days=days), speed=speed,
        outbox=outbox, parameters=parameters, opcua_port=opcua_port, run_id=run_id,
        resume=resume, primary_host=primary_host,
    )  # fmt: skip


def played(vl: Any) -> Any:
    """``vl.run()`` (the ground truth), then the line's event stream closed in this thread.

    The stream is a generator that yields inside ``numpy.errstate`` (a context variable): left
    open, it is closed at shutdown from another thread, where restoring numpy's error state
    fails and Python prints "Exception ignored in: <generator ...>". So whichever thread plays
    the line closes the stream itself, however the run ended (days played, stop, failure).
    """
    try:
        return vl.run()
    finally:
        close = getattr(vl._events, "close", None)
        if close is not None:
            close()


@app.command("virtual-line")
def virtual_line(
    line_file: Annotated[Path, typer.Argument(help="Line file (YAML).", metavar="LINE.yaml")],
    broker: Annotated[
        str, typer.Option("--broker", help="MQTT broker: mqtt://[USER[:PASSWORD]@]HOST[:PORT].")
    ],
    speed: Annotated[float, typer.Option("--speed", help=SPEED_HELP)] = 1.0,
    days: Annotated[float, typer.Option("--days", help="Days of production, then stop.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same line).")] = 1,
    start: Annotated[
        str | None, typer.Option("--start", help="Time of the first event (default: now, UTC).")
    ] = None,
    opcua_port: Annotated[
        int | None, typer.Option("--opcua-port", min=1, max=65535, help="Also serve OPC UA.")
    ] = None,
    outbox: Annotated[
        Path | None,
        typer.Option("--outbox", help="The edge's SQLite outbox (kept across restarts)."),
    ] = None,
    primary_host: Annotated[
        str | None,
        typer.Option(
            "--primary-host",
            help="Sparkplug host application id to wait for (births after its STATE online; "
            "changes kept while it is away), e.g. gigaline-mes.",
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Go on with the run recorded in --outbox (after a crash or kill): the same "
            "line, --seed, --days and --start.",
        ),
    ] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the ground truth per station as JSON.")
    ] = False,
) -> None:
    """Run the twin's line as virtual equipment (Sparkplug B, JSON events, OPC UA)."""
    from gigaline.errors import GigalineError
    from gigaline.events.broker import parse_broker
    from gigaline.model import load_line

    pace = _checked(days, seed, speed)
    parse_broker(broker)
    if resume and (outbox is None or start is None):
        raise GigalineError("--resume needs --outbox and --start: those of the run to go on with")
    first = _start_of(start)
    line = load_line(line_file)
    with tempfile.TemporaryDirectory(prefix="gigaline-edge-") as tmp:
        box = outbox if outbox is not None else Path(tmp) / "outbox.db"
        vl = _virtual_line(
            line, broker, days, seed, pace, first, box, opcua_port, resume, primary_host
        )
        console_err.print(
            f"virtual line {line.name}: {days:g} days from {first:%Y-%m-%d %H:%M:%S} UTC at "
            f"{'full speed' if pace is None else f'{pace:g}x'} on {broker}",
            highlight=False,
        )
        with _signals_set(vl.stop):
            truth = played(vl)
    _report_truth(truth, json_out)


def _report_truth(truth: Any, json_out: bool) -> None:
    if json_out:
        sys.stdout.write(json.dumps(truth.as_dict(), indent=2) + "\n")
        return
    console_err.print(
        f"{truth.events:,} events played in {truth.wall_s:,.1f} s; the clock was at most "
        f"{truth.max_lag_s:.3f} s behind",
        highlight=False,
    )
    if truth.unsent:
        console_err.print(
            f"warning: {truth.unsent:,} events not acknowledged by the broker when the line "
            "stopped; they stay in the outbox and go out at its next start (the same --outbox)",
            highlight=False,
        )


def _agree(truth: Any, totals: Any) -> list[str]:
    """Where the MES's totals differ from the ground truth (empty: they agree)."""
    mes = {t.station: t for t in totals.stations}
    problems = []
    for station, t in sorted(truth.stations.items()):
        m = mes.get(station)
        got = (m.processed, m.good, m.ng) if m else (0, 0, 0)
        if got != (t.processed, t.good, t.ng):
            problems.append(f"{station}: records {got}, line {(t.processed, t.good, t.ng)}")
        seconds = m.seconds if m else {}
        for state in set(seconds) | set(t.seconds):
            a, b = seconds.get(state, 0.0), t.seconds.get(state, 0.0)
            if abs(a - b) >= 1.0:  # to the second
                problems.append(f"{station}: {state} {a:,.3f} s, line {b:,.3f} s")
    return problems


@app.command("run")
def run_live(
    line_file: Annotated[Path, typer.Argument(help="Line file (YAML).", metavar="LINE.yaml")],
    db: DbOpt = None,
    broker: Annotated[
        str | None,
        typer.Option(
            "--broker",
            help="MQTT broker: mqtt://HOST[:PORT], or 'embedded' for one inside this process "
            "(default: 127.0.0.1:1883 where one answers, else embedded).",
        ),
    ] = None,
    speed: Annotated[float, typer.Option("--speed", help=SPEED_HELP)] = 1000.0,
    days: Annotated[float, typer.Option("--days", help="Days of production.")] = 0.1,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same line).")] = 1,
    out: Annotated[
        Path, typer.Option("--out", help="Folder of the SQLite file and the edge's outbox.")
    ] = Path("run-out"),
    wait_s: Annotated[
        float,
        typer.Option("--wait", min=0, max=3600, help="Seconds to wait for the MES at the end."),
    ] = 120.0,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the line's truth and the MES's totals.")
    ] = False,
) -> None:
    """Both sides of a live line in one command: virtual line, broker and MES on SQLite."""
    from gigaline.cli._checks import output_folder
    from gigaline.mes.connectors.connect import MesConnectors
    from gigaline.mes.services import init_line
    from gigaline.mes.services.totals import station_totals
    from gigaline.mes.sql import open_store
    from gigaline.model import load_line
    from gigaline.virtual.broker import broker_for_demo

    pace = _checked(days, seed, speed)
    if broker is not None and broker != "embedded":
        from gigaline.events.broker import parse_broker

        parse_broker(broker)
    output_folder("--out", out, ("plant.db", "outbox.db"))
    line = load_line(line_file)
    out.mkdir(parents=True, exist_ok=True)
    url = db or f"sqlite:///{out / 'plant.db'}"
    outbox = out / "outbox.db"
    for stale in (outbox, out / "outbox.db-wal", out / "outbox.db-shm"):
        stale.unlink(missing_ok=True)  # a new run: nothing of an earlier one is owed
    with open_store(url) as store, broker_for_demo(broker) as (broker_url, embedded):
        init_line(store, line)
        # the line goes on after what the MES holds (an accelerated run of a minute ago may
        # have reached hours ahead of the wall clock): windows of two runs never overlap
        first = _start_of(None)
        latest = store.latest_time()
        if latest is not None and latest.astimezone(UTC) >= first:
            first = latest.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
        where = "an embedded broker" if embedded else "the broker"
        console_err.print(f"{where} on {broker_url}; MES on {url}", highlight=False)
        mes = MesConnectors(store, broker_url, mqtt5=not embedded)  # amqtt speaks 3.1.1
        mes.start()
        if not mes.wait_connected(30):
            console_err.print("the MES is not connected yet (retrying)", highlight=False)
        vl = _virtual_line(line, broker_url, days, seed, pace, first, outbox, None)
        with _signals_set(vl.stop), console_err.status("line running") as status:
            done = threading.Event()
            result: dict[str, Any] = {}

            def play() -> None:
                try:
                    result["truth"] = played(vl)
                finally:
                    done.set()

            worker = threading.Thread(target=play, name="gigaline-virtual-line", daemon=True)
            worker.start()
            while not done.wait(0.5):
                status.update(f"line running: {vl.truth.events:,} events played")
            worker.join()
            truth = result["truth"]
            end = first + timedelta(days=days)
            status.update("waiting for the MES to take everything in")
            deadline = time.monotonic() + wait_s
            while True:
                totals = station_totals(store, first, end)
                problems = _agree(truth, totals)
                if not problems or time.monotonic() > deadline or vl.stop.is_set():
                    break
                time.sleep(0.5)
        mes.stop()
    counts = mes.counts()
    if json_out:
        sys.stdout.write(
            json.dumps(
                {"truth": truth.as_dict(), "mes": totals.model_dump(),
                 "agree": not problems, "differences": problems[:100]},
                indent=2,
            ) + "\n"
        )  # fmt: skip
    else:
        _report_truth(truth, False)
        console.print(
            f"MES: {counts.accepted:,} events accepted, {counts.duplicate:,} duplicate, "
            f"{counts.rejected:,} rejected, {counts.dead_letters:,} dead letters",
            highlight=False,
        )
        if problems:
            console.print(f"[bold red]the MES differs from the line[/] in {len(problems)} places:")
            for p in problems[:20]:
                console.print(f"  {p}", highlight=False, markup=False)
        else:
            console.print(
                f"the MES holds exactly what the line made: {len(truth.stations)} stations, "
                "records OK and NG, state time to the second",
                highlight=False,
            )
    if problems:
        raise typer.Exit(1)
