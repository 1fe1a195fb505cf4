"""A Sparkplug B 3.0 edge node for one line: one device per station (virtual equipment).

group id = site, edge node id = line, device id = station (``docs/sparkplug.md``). Drive it
with :meth:`EdgeNode.update` (a station's new state, counters, parameters at a time); it
publishes what real equipment would:

- CONNECT with the NDEATH Will (QoS 1, not retained, only ``bdSeq``); ``bdSeq`` goes up by one
  on every new connection (255 -> 0) and is kept in ``bdseq_file`` across restarts;
- NBIRTH (seq 0, ``bdSeq``, ``Node Control/Rebirth`` false), then a DBIRTH per station with
  every metric, its alias, data type, current value and the time that value was set;
- DDATA by exception: only the metrics that changed, aliases only, each with its own time;
  ``seq`` goes up by one per message, 255 -> 0. With ``batched`` the changes a device makes
  between two :meth:`EdgeNode.flush` calls go out in one DDATA, in the order they were made
  (a metric may then appear more than once, each time with its own, later timestamp);
- a rebirth request (NCMD ``Node Control/Rebirth`` true) stops data, sends NBIRTH and the
  DBIRTHs again (same ``bdSeq``);
- :meth:`EdgeNode.stop` publishes NDEATH, then DISCONNECT (the death certificate).

Store and forward. Sparkplug data is QoS 0 (at most once) and the host keeps no session, so
the edge keeps what it sent: while it has no session (broker down, or the primary host's
STATE offline when ``primary_host`` is set) it buffers every change, and after each birth
sequence it sends again, as ``is_historical`` DDATA, everything since ``replay_s`` seconds
before the session was lost or the rebirth was asked. The MES's event ids are functions of
(site, line, station, metric, timestamp), so what was already received changes nothing, and a
message lost in flight (or dropped, seen by the host as a ``seq`` gap) arrives after all.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from gigaline.events.broker import BrokerAddress
from gigaline.events.equipment import (
    BDSEQ,
    COUNTER_DEFECTIVE,
    COUNTER_PROCESSED,
    DEVICE_METRICS,
    MACHINE_STATES,
    NODE_REBIRTH,
    PARAMETER_PREFIX,
    STATE,
    STOP_REASON,
    ms_of,
)
from gigaline.events.sparkplug import (
    DataType,
    Metric,
    Payload,
    SparkplugError,
    check_id,
    decode,
    decode_state,
    encode,
    state_topic,
    typed_value,
)
from gigaline.events.sparkplug.topics import NAMESPACE
from gigaline.virtual._mqtt import client_for, disconnect_cleanly, drop_connection
from gigaline.virtual.faults import Faults, PublishFn

__all__ = ["DeviceSpec", "EdgeNode"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceSpec:
    """A station as a Sparkplug device: its process parameters and its state at the start."""

    parameters: tuple[str, ...] = ()
    state: str = "idle"
    stop_reason: str = ""


@dataclass(slots=True)
class _Value:
    name: str
    alias: int
    datatype: DataType
    value: Any
    ts: int


@dataclass(slots=True)
class _Sent:
    wall: float
    device: str
    metrics: list[tuple[int, Any, int]]  # (alias, value, ts)


class EdgeNode:
    """One line's Sparkplug B edge node (see the module docstring).

    ``start_ms``: the time the stations' initial values hold from [ms]; default now.
    ``primary_host``: wait for this host application's STATE online before births.
    ``faults``: a :class:`~gigaline.virtual.faults.Faults` in front of every publish.
    ``batched``: :meth:`update` holds what changed until :meth:`flush`, which sends one DDATA
    per device that changed (fewer messages: each costs the MQTT client a wake-up).
    """

    def __init__(
        self,
        broker: str | BrokerAddress,
        group: str,
        edge_node: str,
        devices: Mapping[str, DeviceSpec | Iterable[str]],
        *,
        start_ms: int | None = None,
        primary_host: str | None = None,
        client_id: str | None = None,
        keepalive_s: int = 10,
        replay_s: float = 60.0,
        history_max: int = 200_000,
        bdseq_file: Path | None = None,
        faults: Faults | None = None,
        batched: bool = False,
    ) -> None:
        self.group = check_id("group_id (site)", group)
        self.batched = batched
        #: per device, the changes held for the next flush (batched), in the order made
        self._held: dict[str, list[tuple[int, Any, int]]] = {}
        self.edge_node = check_id("edge_node_id (line)", edge_node)
        self.primary_host = None if primary_host is None else check_id("host_id", primary_host)
        self.keepalive_s = keepalive_s
        self.replay_s = replay_s
        self.history_max = history_max
        self.bdseq_file = bdseq_file
        self.faults = faults
        start = int(time.time() * 1000) if start_ms is None else start_ms
        self._devices: dict[str, dict[str, _Value]] = {}
        alias = 3  # 1: Node Control/Rebirth, 2: bdSeq
        for device, spec in devices.items():
            check_id("device_id (station)", device)
            spec = spec if isinstance(spec, DeviceSpec) else DeviceSpec(tuple(spec))
            if spec.state not in MACHINE_STATES:
                raise ValueError(f"station {device!r}: state {spec.state!r} is not a machine state")
            table: dict[str, _Value] = {}
            initial: dict[str, Any] = {
                STATE: spec.state,
                STOP_REASON: spec.stop_reason,
                COUNTER_PROCESSED: 0,
                COUNTER_DEFECTIVE: 0,
            }
            for name, dt in DEVICE_METRICS.items():
                table[name] = _Value(name, alias, dt, initial[name], start)
                alias += 1
            for p in spec.parameters:
                name = PARAMETER_PREFIX + p
                table[name] = _Value(name, alias, DataType.Double, None, start)
                alias += 1
            self._devices[device] = table
        self._lock = threading.RLock()
        self._seq = 0
        self._bdseq = self._load_bdseq()
        self._save_bdseq()
        self._online = False  # a birth sequence went out in this MQTT session
        self._connected = False
        self._host_online = self.primary_host is None
        self._host_ts = -1
        self._anchor = time.time()  # replay what was sent from replay_s before this
        self._replay = False  # the next birth sequence is followed by the replay
        self._history: deque[_Sent] = deque()
        self._stopping = False
        # The initial values are the first changes: a host that loses the first births
        # (a crash before it committed them) gets them again with the replay.
        for device, table in self._devices.items():
            first = [(v.alias, v.value, v.ts) for v in table.values() if v.value is not None]
            self._history.append(_Sent(self._anchor, device, first))
        self.births = 0  # birth sequences sent (for tests and status)
        self.rebirth_requests = 0
        cid = client_id or f"gigaline-edge-{self.group}-{self.edge_node}"
        self._client, self.address = client_for(broker, cid, clean_session=True)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._set_will()
        raw = self._raw_publish
        self._publish: PublishFn = faults.wrap(raw) if faults is not None else raw

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Connect (in the background; births follow the connection)."""
        self._client.connect_async(self.address.host, self.address.port, self.keepalive_s)
        self._client.loop_start()

    def wait_online(self, timeout_s: float = 10.0) -> bool:
        """Block until a birth sequence went out in the current session."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._online:
                return True
            time.sleep(0.01)
        return False

    def stop(self) -> None:
        """Publish the death certificate (NDEATH), then DISCONNECT (tck 5.3)."""
        with self._lock:
            self._stopping = True
            self._online = False
            if self._connected:
                info = self._client.publish(self._topic("NDEATH"), self._death(), qos=1)
                try:
                    info.wait_for_publish(timeout=5)
                except (RuntimeError, ValueError):
                    log.warning("%s: NDEATH not acknowledged before disconnect", self.edge_node)
        disconnect_cleanly(self._client)

    def crash(self) -> None:
        """Drop the connection without NDEATH or DISCONNECT, as a network failure would.

        The broker publishes the Will (NDEATH with the current ``bdSeq``); the node reconnects
        by itself with the next ``bdSeq`` and sends its births and what it kept.
        """
        drop_connection(self._client)

    # -- driving -----------------------------------------------------------------------

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
        send: bool = True,
    ) -> int:
        """Set a station's values as of ``ts`` (aware datetime or ms); publish what changed.

        ``send`` false sets the values without publishing or keeping them for a replay (a
        resumed line going through what it played before it stopped: the births carry them).

        Returns how many metrics were sent. Values equal to the current ones are not sent
        (report by exception), with one exception: a ``State`` change always carries the
        standing ``StopReason`` with the same timestamp. A metric's timestamps strictly
        increase: a change in the same millisecond as the last one of that metric is stamped
        one millisecond later.
        """
        ts_ms = ts if isinstance(ts, int) else ms_of(ts)
        table = self._devices.get(station)
        if table is None:
            raise KeyError(f"station {station!r} is not a device of edge node {self.edge_node!r}")
        new: dict[str, Any] = {}
        if stop_reason is not None:
            new[STOP_REASON] = stop_reason
        if state is not None:
            if state not in MACHINE_STATES:
                raise ValueError(f"state {state!r} is not one of {', '.join(MACHINE_STATES)}")
            new[STATE] = state
        if processed is not None:
            new[COUNTER_PROCESSED] = int(processed)
        if defective is not None:
            new[COUNTER_DEFECTIVE] = int(defective)
        for name, value in (params or {}).items():
            key = PARAMETER_PREFIX + name
            if key not in table:
                raise KeyError(f"station {station!r} has no parameter {name!r}")
            new[key] = float(value)
        changed: list[tuple[int, Any, int]] = []
        with self._lock:
            if STATE in new and new[STATE] != table[STATE].value:
                # A state change is the pair (State, StopReason): the reason goes with it even
                # when unchanged, so the host never pairs a state with a reason still in flight.
                new.setdefault(STOP_REASON, table[STOP_REASON].value)
                table[STOP_REASON].value = None  # force it out below
            for name, value in new.items():
                v = table[name]
                if v.value == value:
                    continue
                v.value = value
                v.ts = max(ts_ms, v.ts + 1)
                changed.append((v.alias, value, v.ts))
            if changed and send:
                self._remember(_Sent(time.time(), station, changed))
                if not self._online:
                    self._replay = True  # kept while offline: sent after the next births
                elif self.batched:
                    self._held.setdefault(station, []).extend(changed)
                else:
                    self._send_data(station, changed, historical=False)
        return len(changed)

    def flush(self) -> int:
        """Send what :meth:`update` held (``batched``): one DDATA per device that changed,
        its changes in the order made. Returns the messages sent.

        Held changes are also in the history: if the session was lost (or the host went
        offline) since they were made, they are not sent here but with the replay after the
        next births, as anything kept while offline is.
        """
        with self._lock:
            held, self._held = self._held, {}
            if not self._online:
                return 0
            for station, changed in held.items():
                self._send_data(station, changed, historical=False)
            return len(held)

    def rebirth(self) -> None:
        """Send the birth sequence again (what a rebirth request asks for)."""
        with self._lock:
            self._anchor = time.time()
            self._replay = True
            if self._connected and self._host_online:
                self._birth()

    # -- MQTT callbacks ----------------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if rc.is_failure:
            log.warning("%s: connection refused: %s", self.edge_node, rc)
            return
        with self._lock:
            self._connected = True
            client.subscribe(
                [
                    (self._topic("NCMD"), 1),
                    (f"{NAMESPACE}/{self.group}/DCMD/{self.edge_node}/+", 1),
                ]
            )
            if self.primary_host is not None:
                self._host_online = False
                client.subscribe(state_topic(self.primary_host), 1)
            else:
                self._birth()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, _rc: Any, _p: Any) -> None:
        with self._lock:
            if self._online or self._connected:
                self._anchor = time.time()
                self._replay = True
            self._online = False
            self._connected = False
            if not self._stopping:
                # tck-id-topics-nbirth-bdseq-increment: one more on every new CONNECT
                self._bdseq = (self._bdseq + 1) % 256
                self._save_bdseq()
                self._set_will()

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        if self.primary_host is not None and msg.topic == state_topic(self.primary_host):
            self._on_host_state(bytes(msg.payload))
            return
        if msg.topic != self._topic("NCMD"):
            return  # DCMD: the virtual stations have no writable outputs
        try:
            payload = decode(bytes(msg.payload))
        except SparkplugError as exc:
            log.warning("%s: undecodable NCMD ignored: %s", self.edge_node, exc)
            return
        for m in payload.metrics:
            if m.name == NODE_REBIRTH or m.alias == 1:
                try:
                    wanted = typed_value(m, DataType.Boolean)
                except SparkplugError:
                    continue
                if wanted:
                    self.rebirth_requests += 1
                    self.rebirth()

    def _on_host_state(self, data: bytes) -> None:
        try:
            state = decode_state(data)
        except SparkplugError as exc:
            log.warning("%s: bad STATE of %s ignored: %s", self.edge_node, self.primary_host, exc)
            return
        with self._lock:
            if state.timestamp < self._host_ts:
                return  # an older STATE than one already seen
            self._host_ts = state.timestamp
            if state.online and not self._host_online:
                self._host_online = True
                if self._connected:
                    self._birth()
            elif not state.online and self._host_online:
                self._host_online = False
                self._online = False
                self._anchor = time.time()
                self._replay = True

    # -- messages ----------------------------------------------------------------------

    def _birth(self) -> None:
        """NBIRTH, every DBIRTH, then the kept history (caller holds the lock)."""
        now = self._now_ms()
        self._seq = 0
        node = Payload(
            timestamp=now,
            seq=0,
            metrics=[
                Metric(NODE_REBIRTH, 1, now, DataType.Boolean, False),
                Metric(BDSEQ, 2, now, DataType.Int64, self._bdseq),
            ],
        )
        self._publish(self._topic("NBIRTH"), encode(node), 0, False)
        for device, table in self._devices.items():
            metrics = [
                Metric(v.name, v.alias, v.ts, v.datatype, v.value)
                for v in sorted(table.values(), key=lambda v: v.ts)
            ]
            payload = Payload(timestamp=now, seq=self._next_seq(), metrics=metrics)
            self._publish(self._topic("DBIRTH", device), encode(payload), 0, False)
        self._online = True
        self.births += 1
        if self._replay:
            self._replay = False
            since = self._anchor - self.replay_s
            for sent in self._history:
                if sent.wall >= since:
                    self._send_data(sent.device, sent.metrics, historical=True)

    def _send_data(
        self, device: str, metrics: list[tuple[int, Any, int]], historical: bool
    ) -> None:
        table = self._devices[device]
        by_alias = {v.alias: v for v in table.values()}
        payload = Payload(
            timestamp=self._now_ms(),
            seq=self._next_seq(),
            metrics=[
                Metric(None, a, ts, by_alias[a].datatype, value, is_historical=historical)
                for a, value, ts in metrics
            ],
        )
        # Data types stay on the wire although the specification says a data message should
        # leave them out (tck-id-payloads-metric-datatype-not-req, a SHOULD): Eclipse Tahu's
        # decoder reads a value by the metric's own datatype and gets nothing without it.
        self._publish(self._topic("DDATA", device), encode(payload), 0, False)

    def _remember(self, sent: _Sent) -> None:
        h = self._history
        h.append(sent)
        if self._online:  # in a session only the replay window is needed
            horizon = sent.wall - self.replay_s
            while h and h[0].wall < horizon:
                h.popleft()
        if len(h) > self.history_max:
            h.popleft()
            log.warning("%s: history full (%d changes): oldest dropped", self.edge_node, len(h))

    def _now_ms(self) -> int:
        """The edge's wall clock [ms] (skewed by the fault injector's ``clock_skew_s``)."""
        skew = self.faults.clock_skew_s if self.faults is not None else 0.0
        return int((time.time() + skew) * 1000)

    def _death(self) -> bytes:
        now = self._now_ms()
        return encode(
            Payload(timestamp=now, metrics=[Metric(BDSEQ, None, now, DataType.Int64, self._bdseq)])
        )

    def _set_will(self) -> None:
        # tck-id-payloads-ndeath-will-message(-qos, -retain): QoS 1, not retained
        self._client.will_set(self._topic("NDEATH"), self._death(), qos=1, retain=False)

    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) % 256
        return self._seq

    def _topic(self, kind: str, device: str | None = None) -> str:
        base = f"{NAMESPACE}/{self.group}/{kind}/{self.edge_node}"
        return base if device is None else f"{base}/{device}"

    def _raw_publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        self._client.publish(topic, payload, qos=qos, retain=retain)

    def _load_bdseq(self) -> int:
        if self.bdseq_file is None or not self.bdseq_file.exists():
            return 0
        try:
            return (int(json.loads(self.bdseq_file.read_text())["bdSeq"]) + 1) % 256
        except (ValueError, KeyError, TypeError):
            log.warning("%s: unreadable %s; bdSeq starts at 0", self.edge_node, self.bdseq_file)
            return 0

    def _save_bdseq(self) -> None:
        if self.bdseq_file is not None:
            tmp = self.bdseq_file.with_suffix(".tmp")
            tmp.write_text(json.dumps({"bdSeq": self._bdseq, "at": datetime.now(UTC).isoformat()}))
            tmp.replace(self.bdseq_file)

    # -- status ------------------------------------------------------------------------

    @property
    def bdseq(self) -> int:
        return self._bdseq

    @property
    def online(self) -> bool:
        """True while a birth sequence of the current session stands."""
        return self._online

    def value(self, station: str, metric: str) -> tuple[Any, int]:
        """The current value of a station's metric and the time it was set [ms]."""
        v = self._devices[station][metric]
        return v.value, v.ts

    def aliases(self, station: str) -> dict[str, int]:
        """Metric name -> alias of a station (as its DBIRTH declares them)."""
        return {name: v.alias for name, v in self._devices[station].items()}
