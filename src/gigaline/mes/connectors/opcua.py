"""The MES's OPC UA client connector: station states by subscription, as contract events.

For equipment without MQTT. :class:`OpcUaConnector` connects to a server that exposes the
equipment address space of ``docs/sparkplug.md`` (namespace ``urn:gigaline:equipment``:
``Objects/<line>`` with a ``Site`` property, one object per station with ``State`` and
``StopReason``), subscribes to every station's ``StopReason`` and ``State`` (in that order,
with a queue per item so fast changes are not merged), and turns each ``State`` change into a
``state`` event at its SourceTimestamp with the reason standing then. The event id is the one
the Sparkplug host gives the same change (site, line, station, ``State``, time): a station
seen both ways is stored once.

When the session is lost it reconnects, first reads the history it missed (HistoryRead from
the last time it saw, per station) and then subscribes again, so a server or network restart
loses nothing that the server's history still holds. A station the store does not know, or a
state outside the contract, goes to the dead letters; the connector never stops for it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import orjson
from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.node import Node

from gigaline.events.equipment import MACHINE_STATES, OPCUA_NAMESPACE, ms_of, state_event
from gigaline.mes.connectors._reasons import ReasonHistory
from gigaline.mes.connectors.sink import Batcher, DeadLetter, Sink

__all__ = ["NAMESPACE_URI", "OpcUaConnector"]

log = logging.getLogger(__name__)

NAMESPACE_URI: Final = OPCUA_NAMESPACE
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


class OpcUaConnector:
    """OPC UA subscriptions -> state events -> sink (see the module docstring)."""

    def __init__(
        self,
        url: str,
        sink: Sink,
        *,
        stations: Callable[[], Collection[str]] | None = None,
        publishing_ms: int = 100,
        queue_size: int = 10_000,
        reconnect_s: float = 1.0,
        batch_size: int = 5_000,
        linger_s: float = 0.05,
        pair_wait_s: float = 2.0,
    ) -> None:
        self.url = url
        self._stations = stations
        self.publishing_ms = publishing_ms
        self.queue_size = queue_size
        self.reconnect_s = reconnect_s
        self.pair_wait_s = pair_wait_s
        self.batcher = Batcher(
            sink, batch_size=batch_size, linger_s=linger_s, tick=self._flush_waiting,
            name="gigaline-opcua-writer",
        )  # fmt: skip
        self._lock = threading.Lock()
        self._waiting: dict[tuple[str, str, int], tuple[str, str, float]] = {}
        self._last: dict[tuple[str, str], int] = {}  # (line, station) -> last State time seen
        self._reasons: dict[tuple[str, str], ReasonHistory] = {}
        self._where: dict[Any, tuple[str, str, str, str]] = {}  # nodeid -> site, line, st, var
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.connected = threading.Event()
        self.sessions = 0
        self.notifications = 0
        self.backfilled = 0
        self._thread = threading.Thread(target=self._run, name="gigaline-opcua", daemon=True)

    def start(self) -> None:
        self.batcher.start()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(15)
        self.batcher.stop()

    def drain(self, timeout_s: float = 30.0) -> bool:
        return self.batcher.drain(timeout_s)

    # -- the client's thread -----------------------------------------------------------

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        while not self._stop.is_set():
            try:
                await self._session()
            except Exception as exc:  # the server went away: try again
                log.warning(
                    "OPC UA %s: %s; reconnecting in %.1f s", self.url, exc, self.reconnect_s
                )
            self.connected.clear()
            await asyncio.sleep(self.reconnect_s)

    async def _session(self) -> None:
        async with Client(self.url, timeout=5) as client:
            idx = await client.get_namespace_index(NAMESPACE_URI)
            stations = await self._browse(client, idx)
            known = None if self._stations is None else set(self._stations())
            watched: list[Node] = []
            for site, line, station, obj in stations:
                if known is not None and station not in known:
                    reason = (
                        f"station {station!r} of line {line!r} is not a registered station; "
                        "register the line's stations with `gigaline mes init`"
                    )
                    self.batcher.add((), [DeadLetter(b"", reason, str(obj.nodeid), "opcua_node")])
                    continue
                pair = []
                for var in ("StopReason", "State"):
                    node = await obj.get_child(f"{idx}:{var}")
                    self._where[node.nodeid] = (site, line, station, var)
                    pair.append(node)
                await self._backfill(pair)
                watched.extend(pair)
            handler = _Handler(self)
            sub = await client.create_subscription(self.publishing_ms, handler)
            await sub.subscribe_data_change(watched, queuesize=self.queue_size)
            self.sessions += 1
            self.connected.set()
            while not self._stop.is_set():
                await asyncio.sleep(0.5)
                await client.check_connection()

    async def _browse(self, client: Client, idx: int) -> list[tuple[str, str, str, Node]]:
        out: list[tuple[str, str, str, Node]] = []
        for line_obj in await client.nodes.objects.get_children():
            name = await line_obj.read_browse_name()
            if name.NamespaceIndex != idx:
                continue
            site_node = await line_obj.get_child(f"{idx}:Site")
            site = str(await site_node.read_value())
            for st in await line_obj.get_children():
                bn = await st.read_browse_name()
                if bn.NamespaceIndex == idx and bn.Name != "Site":
                    out.append((site, str(name.Name), str(bn.Name), st))
        return out

    async def _backfill(self, pair: list[Node]) -> None:
        """History since the last State seen of this station (everything, the first time)."""
        site, line, station, _ = self._where[pair[1].nodeid]
        last = self._last.get((line, station))
        start = None if last is None else _EPOCH + timedelta(milliseconds=last)
        values: list[tuple[int, int, str, Any]] = []
        for order, node in enumerate(pair):  # reasons before states at equal times
            var = self._where[node.nodeid][3]
            for dv in await node.read_raw_history(starttime=start, numvalues=0):
                values.append((_ms(dv), order, var, dv.Value.Value if dv.Value else None))
        values.sort()
        for ts, _order, var, value in values:
            self._take(site, line, station, var, value, ts)
            self.backfilled += 1

    def _take(self, site: str, line: str, station: str, var: str, value: Any, ts: int) -> None:
        """One value of StopReason or State (from history or a notification).

        The server writes StopReason with every State, at the same time, but the two may
        arrive in either order: a State waits (up to ``pair_wait_s``) for its StopReason.
        """
        key = (line, station)
        with self._lock:
            reasons = self._reasons.setdefault(key, ReasonHistory())
            if var == "StopReason":
                reasons.set(ts, str(value or ""))
                waiting = self._waiting.pop((line, station, ts), None)
                if waiting is not None:
                    self._emit(waiting[0], line, station, waiting[1], ts, str(value or ""))
                return
            if value not in MACHINE_STATES:
                why = (f"State {value!r} of station {station!r} is not one of "
                       f"{', '.join(MACHINE_STATES)}")  # fmt: skip
                raw = repr(value).encode()
                self.batcher.add((), [DeadLetter(raw, why, f"{line}/{station}", "opcua_node")])
                return
            self._last[key] = max(self._last.get(key, ts), ts)
            if reasons.has(ts):
                self._emit(site, line, station, str(value), ts, reasons.at(ts))
            else:
                self._waiting[(line, station, ts)] = (site, str(value), time.monotonic())

    def _emit(
        self, site: str, line: str, station: str, state: str, ts: int, reason: str | None
    ) -> None:
        event = state_event(site, line, station, state, ts, reason or None)
        self.batcher.add([orjson.dumps(event)])

    def _flush_waiting(self) -> None:
        """States whose StopReason did not come in time take the reason standing then."""
        limit = time.monotonic() - self.pair_wait_s
        with self._lock:
            late = [k for k, (_s, _v, since) in self._waiting.items() if since <= limit]
            for line, station, ts in late:
                site, value, _ = self._waiting.pop((line, station, ts))
                reason = self._reasons[(line, station)].at(ts)
                self._emit(site, line, station, value, ts, reason)


class _Handler:
    """asyncua's subscription handler: data changes into the connector."""

    def __init__(self, connector: OpcUaConnector) -> None:
        self.connector = connector

    def datachange_notification(self, node: Node, value: Any, data: Any) -> None:
        c = self.connector
        where = c._where.get(node.nodeid)
        if where is None:
            return
        c.notifications += 1
        c._take(*where, value, _ms(data.monitored_item.Value))

    def status_change_notification(self, status: Any) -> None:
        log.info("OPC UA subscription status: %s", status)


def _ms(dv: ua.DataValue) -> int:
    ts = dv.SourceTimestamp or dv.ServerTimestamp or datetime.now(UTC)
    return ms_of(ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC))
