"""``gigaline connect``: the MES side of a live line, until SIGTERM or SIGINT.

Runs the Sparkplug B host application and the per-unit event subscriber on ``--broker`` (and
the OPC UA client on ``--opcua``), writing to ``--db``, which must exist (``gigaline mes init``)
and be named (``--db`` or ``GIGALINE_DB``: a server never writes to an implicit default file).
SIGTERM or SIGINT finishes the batch in hand: committed, then acknowledged; nothing accepted is
lost and the rest comes again on the next start (``docs/live.md``).
"""

from __future__ import annotations

import signal
import threading
from typing import Annotated, cast

import typer

from gigaline.cli._app import app, console_err
from gigaline.cli.mes import DbOpt

#: How often the hourly OEE summaries are brought up to date, and the most station-hours
#: one pass stores (the 789 stations of the reference line make 789 an hour).
SUMMARY_PERIOD_S = 60.0
SUMMARY_HOURS_PER_PASS = 4000


def _summarise_every(store: object, stop: threading.Event) -> None:
    """Bring the hourly OEE summaries up to date every :data:`SUMMARY_PERIOD_S` until
    ``stop``: a bounded pass each time; a failure is said and retried next time."""
    from gigaline.mes.services.oee import SummaryStore, summarise

    while not stop.wait(SUMMARY_PERIOD_S):
        try:
            summarise(cast(SummaryStore, store), max_hours=SUMMARY_HOURS_PER_PASS)
        except Exception as exc:
            console_err.print(f"OEE summaries: {exc} (retried in {SUMMARY_PERIOD_S:g} s)",
                              highlight=False, markup=False)  # fmt: skip


@app.command()
def connect(
    broker: Annotated[
        str, typer.Option("--broker", help="MQTT broker: mqtt://[USER[:PASSWORD]@]HOST[:PORT].")
    ],
    db: DbOpt = None,
    opcua: Annotated[
        str | None, typer.Option("--opcua", help="Also an OPC UA server: opc.tcp://HOST:PORT/...")
    ] = None,
    host_id: Annotated[
        str, typer.Option("--host-id", help="The Sparkplug host application id (STATE topic).")
    ] = "gigaline-mes",
) -> None:
    """The MES side: Sparkplug host, event subscriber (and OPC UA client) until SIGTERM."""
    from gigaline.events.broker import parse_broker
    from gigaline.mes.connectors.connect import MesConnectors
    from gigaline.mes.sql import open_store
    from gigaline.settings import Settings

    settings = Settings.load()
    url = settings.require_explicit_database(db)
    parse_broker(broker)  # a bad URL is an error before anything starts
    if opcua is not None and not opcua.startswith("opc.tcp://"):
        from gigaline.errors import FieldError

        raise FieldError("opcua", opcua, "an OPC UA endpoint: opc.tcp://HOST:PORT[/PATH]")
    stop = threading.Event()

    def _on_signal(signum: int, _frame: object) -> None:
        stop.set()

    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        with open_store(url, create=False, settings=settings) as store:
            store.require("ingest")
            mes = MesConnectors(store, broker, opcua=opcua, host_id=host_id)
            mes.start()
            if mes.wait_connected(10):
                console_err.print(f"connected to {broker}; host {host_id} online", highlight=False)
            else:
                console_err.print(f"waiting for {broker} (retrying)", highlight=False)
            summariser = threading.Thread(target=_summarise_every, args=(store, stop),
                                          name="gigaline-oee-summaries", daemon=True)  # fmt: skip
            summariser.start()
            while not stop.wait(0.5):
                pass
            console_err.print("stopping: finishing the batch in hand", highlight=False)
            summariser.join(timeout=30)
            mes.stop()
            c = mes.counts()
            console_err.print(
                f"stopped: {c.accepted} accepted, {c.duplicate} duplicate, {c.rejected} rejected,"
                f" {c.dead_letters} dead letters",
                highlight=False,
            )
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
