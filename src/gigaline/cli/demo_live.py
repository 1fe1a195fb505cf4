"""The last step of ``gigaline demo``: the line live, with the dashboard serving it.

Four parts run together over the demo's database (``plant.db``) until SIGINT or SIGTERM:

- a broker: the machine's own on 127.0.0.1:1883 where one answers, else an embedded one
  (:func:`gigaline.virtual.broker.broker_for_demo`), or the one ``--broker`` names;
- the MES's connectors (:class:`gigaline.mes.connectors.connect.MesConnectors`, what
  ``gigaline connect`` runs) writing into the database;
- the virtual line (:class:`gigaline.virtual.line.VirtualLine`, what ``gigaline virtual-line``
  runs) playing the demo's line on from one second after the newest stored event, at
  ``--speed`` times real time, for :data:`LIVE_DAYS` days of production at most;
- the dashboard and the API (``gigaline serve --demo``: loopback only, no tokens) on a socket
  bound before the demo's first step, so that a port in use is refused at once.

A signal stops them in the reverse order: the server (open live streams are cut after
:data:`GRACE_S`), the line (its edge node says goodbye), the connectors (the batch in hand is
committed), the broker. The command then exits 0.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from datetime import UTC, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from gigaline.cli._app import console, console_err
from gigaline.cli.live_line import _signals_set, _virtual_line, played

if TYPE_CHECKING:
    import socket

    from gigaline.model import Line

__all__ = ["GRACE_S", "LIVE_DAYS", "serve_live"]

#: Days of production the live line plays before it ends by itself (the dashboard stays up).
LIVE_DAYS: Final = 30.0
#: Seconds the server waits for open pages' live streams when it stops.
GRACE_S: Final = 3


def serve_live(
    line: Line,
    out: Path,
    sock: socket.socket,
    *,
    speed: float,
    seed: int,
    broker: str | None,
) -> None:
    """Run the live demo over ``out/plant.db`` until SIGINT or SIGTERM (see the module)."""
    import uvicorn

    from gigaline.cli.serve import tune_gc
    from gigaline.mes.connectors.connect import MesConnectors
    from gigaline.mes.sql import open_store
    from gigaline.settings import Settings
    from gigaline.virtual.broker import broker_for_demo
    from gigaline.web import create_app

    url = f"sqlite:///{out / 'plant.db'}"
    outbox = out / "outbox.db"
    for stale in (outbox, out / "outbox.db-wal", out / "outbox.db-shm"):
        stale.unlink(missing_ok=True)
    host, port = sock.getsockname()[:2]
    stop = threading.Event()
    # quiet libraries: the demo's own lines say what happens
    for name in ("amqtt", "transitions", "asyncua", "uvicorn.access"):
        logging.getLogger(name).setLevel(logging.ERROR)
    with (
        _signals_set(stop),
        open_store(url) as store,
        broker_for_demo(broker) as (broker_url, embedded),
    ):
        latest = store.latest_time()
        first = (latest.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
                 if latest is not None else _now())  # fmt: skip
        # the demo's own client ids (a plant's MES on the same broker keeps its own); amqtt
        # speaks MQTT 3.1.1
        mes = MesConnectors(store, broker_url, mqtt5=not embedded, host_id="gigaline-demo-mes",
                            client_id="gigaline-demo-events")  # fmt: skip
        mes.start()
        settings = Settings(db=url, api_host=host, api_port=port, api_demo=True)
        app = create_app(settings, store=store)
        app.state.line_files = {line.name: line}  # the plan-versus-actual page's plan
        tune_gc()
        server = uvicorn.Server(uvicorn.Config(
            app, log_level="warning", timeout_graceful_shutdown=GRACE_S, lifespan="on",
        ))  # fmt: skip
        web = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                               name="gigaline-demo-web", daemon=True)  # fmt: skip
        web.start()
        vl = _virtual_line(line, broker_url, LIVE_DAYS, seed, speed, first, outbox, None)
        played = threading.Thread(target=_play, args=(vl, stop), name="gigaline-demo-line",
                                  daemon=True)  # fmt: skip
        try:
            if not mes.wait_connected(30):
                console_err.print("the MES is not connected yet (retrying)", highlight=False)
            played.start()
            if not _started(server, web):
                raise RuntimeError("the dashboard's server did not start")
            where = "an embedded broker" if embedded else "the broker"
            console.print(
                f"live: {line.name} from {first:%Y-%m-%d %H:%M:%S} UTC at {speed:g}x on {where} "
                f"{broker_url}, into {url}",
                highlight=False,
            )
            console.print(f"dashboard: [bold]http://{host}:{port}/[/] (demo mode: no login)")
            console.print("Ctrl-C stops the line, the MES and the server.", highlight=False)
            sys.stdout.flush()
            while not stop.wait(0.5):
                if not web.is_alive():
                    raise RuntimeError("the dashboard's server stopped")
        finally:
            server.should_exit = True
            web.join(GRACE_S + 10)
            vl.stop.set()
            if played.is_alive():
                played.join(60)
            mes.stop()
    counts = mes.counts()
    console.print(
        f"stopped: the line played {vl.truth.events:,} events; the MES accepted "
        f"{counts.accepted:,} ({counts.duplicate:,} duplicate, {counts.rejected:,} rejected, "
        f"{counts.dead_letters:,} dead letters). The database stays: {out / 'plant.db'}",
        highlight=False,
    )


def _now() -> Any:
    from datetime import datetime

    return datetime.now(UTC).replace(microsecond=0)


def _play(vl: Any, stop: threading.Event) -> None:
    """The virtual line until its days are played or ``stop``; a failure is said, not hidden."""
    try:
        played(vl)  # closes the twin's event stream in this thread
    except Exception as exc:
        if not stop.is_set():
            console_err.print(f"[red]the virtual line stopped:[/] {exc}", highlight=False)
        return
    if not stop.is_set():
        console_err.print("the virtual line has played its days; the dashboard stays up",
                          highlight=False)  # fmt: skip


def _started(server: Any, thread: threading.Thread, timeout_s: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            return False
        time.sleep(0.05)
    return True
