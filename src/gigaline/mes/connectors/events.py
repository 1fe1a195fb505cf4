"""The MES's subscriber to per-unit JSON events: persistent session, ack after commit.

:class:`EventSubscriber` subscribes at QoS 1 to ``gigaline/v1/+/+/events`` with a persistent
MQTT 5 session (``clean_start`` false, a session that does not expire), so the broker keeps
what arrives while the MES is away (``mqtt5=False``: an MQTT 3.1.1 session with
``clean_session`` false, for brokers without MQTT 5 such as the embedded one of ``gigaline
run``; the session then lasts as long as the broker keeps it). It acknowledges a message
(``manual_ack``) only after ``sink.submit`` returned, i.e. after the commit: a crash before
that makes the broker deliver the message again, and the event id turns the repeat into a
counted duplicate. A message may
hold one event or several NDJSON lines. The order of arrival is kept (one writer thread).

The broker must keep queued messages for it: set Mosquitto's ``persistence true`` and raise
``max_queued_messages`` (default 1000; beyond it QoS 1 messages to a slow subscriber are
dropped). ``docs/sparkplug.md`` gives the configuration.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from gigaline.events.broker import BrokerAddress
from gigaline.events.equipment import EVENTS_SUBSCRIPTION
from gigaline.mes.connectors._mqtt import disconnect_cleanly, drop_connection, mqtt_client
from gigaline.mes.connectors.sink import Sink

__all__ = ["EventSubscriber"]

log = logging.getLogger(__name__)

_NEVER_EXPIRES = 0xFFFFFFFF


@dataclass(slots=True)
class _Received:
    generation: int
    mid: int
    payload: bytes


class EventSubscriber:
    """QoS 1 subscriber that commits, then acknowledges (see the module docstring)."""

    def __init__(
        self,
        broker: str | BrokerAddress,
        sink: Sink,
        *,
        client_id: str = "gigaline-mes-events",
        topic: str = EVENTS_SUBSCRIPTION,
        batch_size: int = 2_000,
        linger_s: float = 0.05,
        retry_s: float = 1.0,
        keepalive_s: int = 10,
        mqtt5: bool = True,
    ) -> None:
        self.sink = sink
        self.mqtt5 = mqtt5
        self.topic = topic
        self.batch_size = batch_size
        self.linger_s = linger_s
        self.retry_s = retry_s
        self.keepalive_s = keepalive_s
        self._client, self.address = mqtt_client(
            broker, client_id, v5=mqtt5, clean=False, manual_ack=True
        )
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe
        self._barrier_mid = -1
        self._barrier_done = threading.Event()
        self._queue: list[_Received] = []
        self._cond = threading.Condition()
        self._generation = 0  # message ids belong to one connection: ack only the current's
        self._stop = False
        self._busy = False
        self.connected = threading.Event()
        self.messages = 0
        self.accepted = 0
        self.duplicate = 0
        self.rejected = 0
        self.failures = 0
        self._thread = threading.Thread(target=self._run, name="gigaline-events", daemon=True)

    def start(self) -> None:
        if not self.mqtt5:  # MQTT 3.1.1 (the embedded broker): clean_session false
            self._client.connect_async(self.address.host, self.address.port, self.keepalive_s)
            self._client.loop_start()
            self._thread.start()
            return
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = _NEVER_EXPIRES
        props.ReceiveMaximum = min(65_535, 2 * self.batch_size)
        self._client.connect_async(
            self.address.host,
            self.address.port,
            self.keepalive_s,
            clean_start=False,
            properties=props,
        )
        self._client.loop_start()
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Commit and acknowledge the batch in hand, then disconnect (SIGTERM behaviour)."""
        with self._cond:
            self._stop = True
            self._cond.notify()
        self._thread.join(timeout_s)
        self._barrier()
        disconnect_cleanly(self._client)

    def _barrier(self, timeout_s: float = 5.0) -> None:
        """Wait until the broker processed our acknowledgements: it answers a subscription
        only after every packet sent before it (MQTT keeps a connection's order)."""
        if not self.connected.is_set():
            return
        done = threading.Event()
        _rc, mid = self._client.subscribe(self.topic, qos=1)
        self._barrier_mid, self._barrier_done = (-1 if mid is None else mid), done
        done.wait(timeout_s)

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, mid: int, _rc: Any, _p: Any) -> None:
        if mid == self._barrier_mid:
            self._barrier_done.set()

    def crash(self) -> None:
        """Drop the connection without DISCONNECT (the broker keeps the session)."""
        drop_connection(self._client)

    def drain(self, timeout_s: float = 30.0) -> bool:
        """Wait until every message received so far is committed and acknowledged."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._cond:
                if not self._queue and not self._busy:
                    return True
                self._cond.notify()
            time.sleep(0.01)
        return False

    def _on_connect(self, client: mqtt.Client, _u: Any, flags: Any, rc: Any, _p: Any) -> None:
        if rc.is_failure:
            log.warning("event subscriber: connection refused: %s", rc)
            return
        with self._cond:
            self._generation += 1
        client.subscribe(self.topic, qos=1)
        self.connected.set()
        if not flags.session_present:
            log.info("event subscriber: new session on %s", self.address)

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, _rc: Any, _p: Any) -> None:
        self.connected.clear()

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with self._cond:
            self._queue.append(_Received(self._generation, msg.mid, bytes(msg.payload)))
            self.messages += 1
            if len(self._queue) >= self.batch_size:
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._stop and len(self._queue) < self.batch_size:
                    self._cond.wait(self.linger_s)
                batch = self._queue[: self.batch_size]
                del self._queue[: self.batch_size]
                self._busy = bool(batch)
                stop = self._stop and not self._queue
            if batch:
                self._commit(batch)
                self._ack(batch)
            with self._cond:
                self._busy = False
            if stop:
                return

    def _commit(self, batch: list[_Received]) -> None:
        events: list[bytes] = []
        for r in batch:
            body = r.payload.strip()
            if b"\n" in body:
                events.extend(line for line in body.split(b"\n") if line.strip())
            else:
                events.append(r.payload)
        delay = self.retry_s
        while True:
            try:
                result = self.sink.submit(events)
                break
            except Exception as exc:  # the database is down: keep the batch, unacknowledged
                self.failures += 1
                log.warning("event subscriber: commit failed (%s); retry in %.1f s", exc, delay)
                time.sleep(delay)
                delay = min(2 * delay, 30.0)
        self.accepted += result.accepted
        self.duplicate += result.duplicate
        self.rejected += result.rejected

    def _ack(self, batch: list[_Received]) -> None:
        generation = self._generation
        for r in batch:
            if r.generation == generation:
                self._client.ack(r.mid, 1)
            # else: received on an earlier connection; the broker sends it again (a duplicate)
