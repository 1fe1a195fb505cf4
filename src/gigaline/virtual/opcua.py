"""An OPC UA server per line (asyncua): one object per station, subscribable, with history.

Address space, in the namespace :data:`NAMESPACE_URI` (``docs/sparkplug.md`` lists it)::

    Objects/<line>                      Object; property Site (String)
      <station>                         Object, one per station
        State                           String, one of the event contract's machine states
        StopReason                      String ("" when running)
        MachineryItemState              String, OPC 40001-1: NotAvailable, OutOfService,
                                        NotExecuting, Executing
        MachineryOperationMode          String, OPC 40001-1: None, Maintenance, Setup,
                                        Processing
        PackMLState                     Int32, OPC 30060 (TMC) StateEnumeration number
        ProdProcessedCount              UInt64, PackML Admin counter (never resets)
        ProdDefectiveCount              UInt64
        Parameters/<name>               Double, the last value of a process parameter

Every value carries the twin's time as its SourceTimestamp; ``StopReason`` is written before
``State`` with the same time. ``State`` and ``StopReason`` are historized (in memory, the last
``history`` values per variable), so a client that lost its session reads what it missed
(HistoryRead) before it subscribes again. Companion-specification types are not loaded (their
nodesets are not shipped): the names and values follow OPC 40001-1 and OPC 30050/30060.

:class:`LineServer` runs the asyncio server in a thread of its own; :meth:`LineServer.update`
may be called from any thread, and updates are written in the order they were made.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from asyncua import ua
from asyncua.common.node import Node
from asyncua.server.server import Server

from gigaline.events.equipment import (
    MACHINE_STATES,
    MACHINERY_ITEM_STATE,
    MACHINERY_OPERATION_MODE,
    OPCUA_NAMESPACE,
    PACKML_STATE,
)

__all__ = ["NAMESPACE_URI", "LineServer"]

log = logging.getLogger(__name__)

NAMESPACE_URI: Final = OPCUA_NAMESPACE
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_U64 = ua.VariantType.UInt64


class LineServer:
    """The OPC UA server of one line (see the module docstring)."""

    def __init__(
        self,
        site: str,
        line: str,
        stations: Mapping[str, Iterable[str]],
        *,
        port: int = 4840,
        host: str = "127.0.0.1",
        start_ms: int | None = None,
        initial_state: str = "idle",
        history: int = 100_000,
    ) -> None:
        if initial_state not in MACHINE_STATES:
            raise ValueError(f"initial_state {initial_state!r} is not a machine state")
        self.site = site
        self.line = line
        self.stations = {s: tuple(p) for s, p in stations.items()}
        self.url = f"opc.tcp://{host}:{port}/gigaline/"
        self.history = history
        self._start = _dt(start_ms) if start_ms is not None else datetime.now(UTC)
        self._initial = initial_state
        self._nodes: dict[tuple[str, str], Node] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[tuple[str, datetime, dict[str, Any]] | None] | None = None
        self._ready = threading.Event()
        self._done = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"gigaline-opcua-{line}", daemon=True
        )
        self.updates = 0

    # -- lifecycle (any thread) --------------------------------------------------------

    def start(self, timeout_s: float = 30.0) -> None:
        """Start the server thread; return once it listens."""
        self._thread.start()
        if not self._ready.wait(timeout_s):
            raise TimeoutError(f"OPC UA server {self.url} did not start in {timeout_s} s")
        if self._error is not None:
            raise RuntimeError(f"OPC UA server {self.url} failed to start") from self._error

    def stop(self) -> None:
        if self._loop is not None and self._queue is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._queue.put_nowait, None)
            self._thread.join(15)

    def flush(self, timeout_s: float = 10.0) -> None:
        """Wait until every update made so far is written."""
        if self._loop is None or self._queue is None:
            return
        queue = self._queue
        asyncio.run_coroutine_threadsafe(queue.join(), self._loop).result(timeout_s)

    def update(
        self,
        station: str,
        ts: datetime | int,
        *,
        state: str | None = None,
        stop_reason: str | None = None,
        processed: int | None = None,
        defective: int | None = None,
        params: Mapping[str, float] | None = None,
    ) -> None:
        """Set a station's values as of ``ts`` (aware datetime or ms since the epoch)."""
        if station not in self.stations:
            raise KeyError(f"station {station!r} is not on line {self.line!r}")
        if state is not None and state not in MACHINE_STATES:
            raise ValueError(f"state {state!r} is not one of {', '.join(MACHINE_STATES)}")
        when = _dt(ts) if isinstance(ts, int) else ts
        values: dict[str, Any] = {}
        if stop_reason is not None or state is not None:
            values["StopReason"] = stop_reason
        if state is not None:
            values["State"] = state
        if processed is not None:
            values["ProdProcessedCount"] = int(processed)
        if defective is not None:
            values["ProdDefectiveCount"] = int(defective)
        for name, value in (params or {}).items():
            if name not in self.stations[station]:
                raise KeyError(f"station {station!r} has no parameter {name!r}")
            values[f"Parameters/{name}"] = float(value)
        if self._loop is None or self._queue is None:
            raise RuntimeError("the OPC UA server is not started")
        self._loop.call_soon_threadsafe(self._queue.put_nowait, (station, when, values))

    # -- the server's thread -----------------------------------------------------------

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to start() or logged
            self._error = exc
            log.exception("OPC UA server %s stopped", self.url)
        finally:
            self._ready.set()
            self._done.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        server = Server()
        await server.init()
        server.set_endpoint(self.url)
        server.set_server_name(f"gigaline virtual line {self.line}")
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        idx = await server.register_namespace(NAMESPACE_URI)
        line = await server.nodes.objects.add_object(idx, self.line)
        await line.add_property(idx, "Site", self.site, varianttype=ua.VariantType.String)
        for station, params in self.stations.items():
            await self._add_station(server, idx, line, station, params)
        async with server:
            self._ready.set()
            while (item := await self._queue.get()) is not None:
                try:
                    await self._write(server, *item)
                    self.updates += 1
                finally:
                    self._queue.task_done()
            self._queue.task_done()

    async def _add_station(
        self, server: Server, idx: int, line: Node, station: str, params: tuple[str, ...]
    ) -> None:
        obj = await line.add_object(idx, station)
        s = self._initial
        initial: list[tuple[str, Any, ua.VariantType]] = [
            ("StopReason", "", ua.VariantType.String),
            ("State", s, ua.VariantType.String),
            ("MachineryItemState", MACHINERY_ITEM_STATE[s], ua.VariantType.String),
            ("MachineryOperationMode", MACHINERY_OPERATION_MODE[s], ua.VariantType.String),
            ("PackMLState", PACKML_STATE[s], ua.VariantType.Int32),
            ("ProdProcessedCount", 0, _U64),
            ("ProdDefectiveCount", 0, _U64),
        ]
        initial += [(f"Parameters/{p}", 0.0, ua.VariantType.Double) for p in params]
        for name, value, vt in initial:
            node = await obj.add_variable(idx, name, value, varianttype=vt)
            self._nodes[(station, name)] = node
            await server.write_attribute_value(node.nodeid, _value(value, vt, self._start))
        await server.historize_node_data_change(
            [self._nodes[(station, "StopReason")], self._nodes[(station, "State")]],
            period=None,  # type: ignore[arg-type]  # keep by count, whatever the twin's clock
            count=self.history,
        )

    async def _write(
        self, server: Server, station: str, when: datetime, values: dict[str, Any]
    ) -> None:
        if "StopReason" in values and values["StopReason"] is None:
            node = self._nodes[(station, "StopReason")]
            values["StopReason"] = (await node.read_value()) or ""  # the standing reason
        state = values.get("State")
        if state is not None:
            values["MachineryItemState"] = MACHINERY_ITEM_STATE[state]
            values["MachineryOperationMode"] = MACHINERY_OPERATION_MODE[state]
            values["PackMLState"] = PACKML_STATE[state]
        for name, value in values.items():  # StopReason first, then State (dict order)
            node = self._nodes[(station, name)]
            vt = _VARIANTS.get(name, ua.VariantType.Double)
            await server.write_attribute_value(node.nodeid, _value(value, vt, when))


_VARIANTS: Final = {
    "StopReason": ua.VariantType.String,
    "State": ua.VariantType.String,
    "MachineryItemState": ua.VariantType.String,
    "MachineryOperationMode": ua.VariantType.String,
    "PackMLState": ua.VariantType.Int32,
    "ProdProcessedCount": _U64,
    "ProdDefectiveCount": _U64,
}


def _value(value: Any, vt: ua.VariantType, when: datetime) -> ua.DataValue:
    return ua.DataValue(
        Value=ua.Variant(value, vt),
        SourceTimestamp=when,  # type: ignore[arg-type]  # ua.DateTime is a datetime
        ServerTimestamp=datetime.now(UTC),  # type: ignore[arg-type]
    )


def _dt(ts_ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ts_ms)
