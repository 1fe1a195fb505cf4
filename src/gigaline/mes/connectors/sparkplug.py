"""The MES as a Sparkplug B 3.0 host application: births, deaths and data in, events out.

:class:`HostApplication` connects with a clean session and its STATE Will (``{"online":
false, "timestamp": T}``, QoS 1, retained), subscribes to its own STATE topic and the
namespace, and only then publishes STATE online with the same ``T`` (Sparkplug 3.0.0, 4.2.3
and 5.1); seeing its own STATE offline while connected, it publishes online again.

Per edge node it keeps the session: ``bdSeq`` of the NBIRTH, the ``seq`` of the messages, the
devices and their metrics (name, alias, data type, value, time, stale or not):

- an NDEATH with the session's ``bdSeq`` marks the node, its devices and their metrics stale;
  one with another ``bdSeq`` (a late Will of an older connection) is ignored;
- a ``seq`` gap opens a reorder window (``reorder_timeout_s``): a missing message arriving
  in it closes it, otherwise the host sends a rebirth request (NCMD ``Node Control/Rebirth``);
  so do data for an unknown alias, a device without DBIRTH or a node without NBIRTH (at most
  one request per node every ``rebirth_interval_s``; one asked for sooner is sent when the
  interval has passed);
- a ``State`` metric becomes a contract ``state`` event at the metric's own timestamp with the
  ``StopReason`` of the same message and timestamp (else the one standing then), its id
  :func:`~gigaline.events.equipment.state_event_id` of (group, edge node, device, ``State``,
  timestamp): births, replays and duplicates store
  nothing twice. Other metrics (counters, parameters) are kept as live values
  (:meth:`HostApplication.snapshot`); ``is_historical`` ones only make events;
- what cannot be read goes to the sink's dead letters with the raw bytes and the reason: an
  undecodable payload, a device that is not a registered station, a metric of the wrong
  data type or a state outside the contract. The host never stops for them.

Events go to the sink in batches by a writer thread (:class:`~gigaline.mes.connectors.sink.
Batcher`); a failing database is retried until it is back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
import paho.mqtt.client as mqtt

from gigaline.events.broker import BrokerAddress
from gigaline.events.equipment import (
    BDSEQ,
    DEVICE_METRICS,
    MACHINE_STATES,
    NODE_REBIRTH,
    PARAMETER_PREFIX,
    STATE,
    STOP_REASON,
    state_event,
)
from gigaline.events.sparkplug import (
    NAMESPACE,
    DataType,
    Metric,
    Payload,
    SparkplugError,
    Topic,
    check_id,
    decode_state,
    encode,
    encode_state,
    metric_of,
    parse,
    parse_topic,
    payload_of,
    state_topic,
    typed_value,
    value_reader,
)
from gigaline.events.sparkplug import sparkplug_b_pb2 as pb
from gigaline.mes.connectors._mqtt import disconnect_cleanly, drop_connection, mqtt_client
from gigaline.mes.connectors._reasons import ReasonHistory
from gigaline.mes.connectors.sink import Batcher, DeadLetter, Sink

__all__ = ["HostApplication"]

log = logging.getLogger(__name__)

#: Parsed topics kept at most (one per device and message type; cleared when full).
_TOPIC_CACHE = 100_000

_INTEGERS = frozenset(
    int(t)
    for t in (DataType.Int8, DataType.Int16, DataType.Int32, DataType.Int64, DataType.UInt8,
              DataType.UInt16, DataType.UInt32, DataType.UInt64)
)  # fmt: skip


_OTHER, _STATE, _STOP_REASON = 0, 1, 2


@dataclass(slots=True)
class _Metric:
    name: str
    alias: int | None
    datatype: int
    value: Any = None
    ts: int = 0
    stale: bool = False
    # how a data message's value is read without typed_value (the hot path, see _apply):
    field: str | None = None  # the value field of the type (None: always typed_value)
    limit: int = 0  # unsigned integers: values below it are read as they are
    role: int = _OTHER

    def __post_init__(self) -> None:
        reader = value_reader(self.datatype)
        if reader is not None:
            field_name, signed, unsigned = reader
            if not signed:
                self.field = field_name
                self.limit = 1 << unsigned if unsigned else 0
        self.role = (
            _STATE if self.name == STATE else _STOP_REASON if self.name == STOP_REASON else 0
        )


@dataclass
class _Device:
    known: bool = True
    online: bool = False
    metrics: dict[str, _Metric] = field(default_factory=dict)
    by_alias: dict[int, _Metric] = field(default_factory=dict)
    reasons: ReasonHistory = field(default_factory=ReasonHistory)


@dataclass
class _Node:
    online: bool = False
    bdseq: int | None = None
    next_seq: int | None = None
    missing: dict[int, float] = field(default_factory=dict)  # seq -> reorder deadline
    devices: dict[str, _Device] = field(default_factory=dict)
    last_rebirth: float = -1e9
    rebirth_owed: bool = False  # a request held back by the interval: sent when it has passed


class HostApplication:
    """A Sparkplug B host application that feeds the MES (see the module docstring).

    ``groups``: the Sparkplug groups (sites) to follow; None follows all (``spBv1.0/#``).
    ``stations``: returns the registered station names; devices outside it are dead-lettered
    (None: every device is taken, and ingestion judges the events).
    """

    def __init__(
        self,
        broker: str | BrokerAddress,
        host_id: str,
        sink: Sink,
        *,
        groups: Iterable[str] | None = None,
        stations: Callable[[], Collection[str]] | None = None,
        reorder_timeout_s: float = 2.0,
        rebirth_interval_s: float = 5.0,
        batch_size: int = 5_000,
        linger_s: float = 0.05,
        keepalive_s: int = 10,
        client_id: str | None = None,
    ) -> None:
        self.host_id = check_id("host_id", host_id)
        self.groups = None if groups is None else [check_id("group_id", g) for g in groups]
        self._stations = stations
        self._known: Collection[str] | None = None
        self.reorder_timeout_s = reorder_timeout_s
        self.rebirth_interval_s = rebirth_interval_s
        self.keepalive_s = keepalive_s
        self._nodes: dict[tuple[str, str], _Node] = {}
        self._lock = threading.RLock()
        self._connect_ts = 0
        self._stopping = False
        self._state_mid: int | None = None
        self._last_message = 0.0
        self._topics: dict[str, Topic | str] = {}  # parsed topics (a station's repeat)
        self.online = False  # STATE online published in the current session
        self.stats: dict[str, int] = dict.fromkeys(
            ("messages", "metrics", "events", "dead_letters", "rebirth_requests", "seq_gaps",
             "stale_ndeath_ignored", "ndeath"),
            0,
        )  # fmt: skip
        self.batcher = Batcher(
            sink, batch_size=batch_size, linger_s=linger_s, tick=self._check_gaps,
            name=f"gigaline-spb-host-{host_id}",
        )  # fmt: skip
        self._client, self.address = mqtt_client(
            broker, client_id or f"gigaline-host-{host_id}", clean=True
        )
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._set_will()

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        self.batcher.start()
        self._client.connect_async(self.address.host, self.address.port, self.keepalive_s)
        self._client.loop_start()

    def wait_online(self, timeout_s: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.online:
                return True
            time.sleep(0.01)
        return False

    def stop(self) -> None:
        """STATE offline (QoS 1, retained), DISCONNECT, then commit what is pending."""
        self._stopping = True
        if self.online:
            now = int(time.time() * 1000)
            info = self._client.publish(
                state_topic(self.host_id), encode_state(False, now), qos=1, retain=True
            )
            try:
                info.wait_for_publish(timeout=5)
            except (RuntimeError, ValueError):
                log.warning("host %s: STATE offline not acknowledged", self.host_id)
        self.online = False
        disconnect_cleanly(self._client)
        self.batcher.stop()

    def crash(self) -> None:
        """Drop the connection without a goodbye (the broker publishes the STATE Will)."""
        drop_connection(self._client)

    def request_rebirth(self, group: str, edge_node: str) -> None:
        """Ask an edge node for its births now (NCMD ``Node Control/Rebirth`` = true)."""
        with self._lock:
            node = self._nodes.setdefault((group, edge_node), _Node())
            node.last_rebirth = -1e9
            self._rebirth(Topic(group, "NCMD", edge_node), node, "asked for")

    def drain(self, timeout_s: float = 30.0, quiet_s: float = 0.2) -> bool:
        """Wait until no message came for ``quiet_s`` and everything received is committed."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() - self._last_message < quiet_s:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return self.batcher.drain(max(deadline - time.monotonic(), 0.0))

    # -- MQTT callbacks ----------------------------------------------------------------

    def _set_will(self) -> None:
        # tck-id-host-topic-phid-death-payload(-timestamp-connect): the CONNECT time
        self._connect_ts = int(time.time() * 1000)
        self._client.will_set(
            state_topic(self.host_id), encode_state(False, self._connect_ts), qos=1, retain=True
        )

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if rc.is_failure:
            log.warning("host %s: connection refused: %s", self.host_id, rc)
            return
        # tck-id-host-topic-phid-birth-sub-required: own STATE and the namespace first
        topics = [(state_topic(self.host_id), 1)]
        if self.groups is None:
            topics.append((f"{NAMESPACE}/#", 0))
        else:
            topics.extend((f"{NAMESPACE}/{g}/#", 0) for g in self.groups)
        _rc, self._state_mid = client.subscribe(topics)

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, mid: int, _rc: Any, _p: Any) -> None:
        if mid == self._state_mid:
            self._publish_online()

    def _publish_online(self) -> None:
        # tck-id-host-topic-phid-birth-payload-timestamp: the Will's timestamp
        self._client.publish(
            state_topic(self.host_id), encode_state(True, self._connect_ts), qos=1, retain=True
        )
        self.online = True

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, _rc: Any, _p: Any) -> None:
        self.online = False
        with self._lock:
            for node in self._nodes.values():  # 5.1: all metric data STALE
                self._mark_stale(node, devices_only=False)
        if not self._stopping:
            self._set_will()

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        self.stats["messages"] += 1
        self._last_message = time.monotonic()
        try:
            self._receive(msg)
        except Exception as exc:  # never stop for one message: keep it as a dead letter
            log.exception("host %s: message on %s failed", self.host_id, msg.topic)
            self._dead(bytes(msg.payload), msg.topic, f"internal error: {exc!r}")

    def _receive(self, msg: mqtt.MQTTMessage) -> None:
        where = msg.topic
        topic = self._topics.get(where)
        if topic is None:
            try:
                topic = parse_topic(where)
            except SparkplugError as exc:
                self._dead(bytes(msg.payload), where, str(exc))
                return
            if len(self._topics) >= _TOPIC_CACHE:
                self._topics.clear()
            self._topics[where] = topic
        if isinstance(topic, str):
            if topic == self.host_id:
                self._on_own_state(bytes(msg.payload))
            return
        if topic.message_type in ("NCMD", "DCMD"):
            return  # commands: ours, or another host's
        raw = bytes(msg.payload)
        try:
            parsed = parse(raw)
        except SparkplugError as exc:
            self._dead(raw, where, str(exc))
            return
        with self._lock:
            events, letters = self._handle(topic, parsed, raw, where)
        if events or letters:
            self.stats["events"] += len(events)
            self.stats["dead_letters"] += len(letters)
            self.batcher.add(events, letters)

    def _on_own_state(self, data: bytes) -> None:
        try:
            state = decode_state(data)
        except SparkplugError:
            return
        if not state.online and self.online and not self._stopping:
            self._publish_online()  # a stale Will of ours: we are online

    # -- Sparkplug sessions ------------------------------------------------------------

    def _handle(
        self, topic: Topic, parsed: pb.Payload, raw: bytes, where: str
    ) -> tuple[list[bytes], list[DeadLetter]]:
        key = (topic.group, topic.edge_node)
        node = self._nodes.setdefault(key, _Node())
        kind = topic.message_type
        if kind == "NDEATH":
            self._on_ndeath(node, payload_of(parsed))
            return [], []
        if kind == "NBIRTH":
            self._on_nbirth(node, payload_of(parsed))
            return [], []
        if not node.online:
            self._rebirth(topic, node, f"{kind} before NBIRTH")
            return [], []
        self._track_seq(topic, node, parsed.seq if parsed.HasField("seq") else None)
        if kind == "NDATA":
            return [], []
        assert topic.device is not None
        device = node.devices.setdefault(topic.device, _Device())
        if kind == "DBIRTH":
            return self._on_dbirth(topic, device, parsed, raw, where)
        if not device.known:
            return [], [DeadLetter(raw, self._unknown_station(topic.device), where)]
        if kind == "DDEATH":
            device.online = False
            for m in device.metrics.values():
                m.stale = True
            return [], []
        if not device.online:
            self._rebirth(topic, node, f"DDATA of {topic.device} before its DBIRTH")
            return [], []
        return self._apply(topic, device, parsed, raw, where, node)

    def _on_nbirth(self, node: _Node, payload: Payload) -> None:
        bdseq = None
        for m in payload.metrics:
            if m.name == BDSEQ and m.datatype in _INTEGERS:
                value = typed_value(m, m.datatype)  # type: ignore[arg-type]
                bdseq = value if isinstance(value, int) else None
        self._mark_stale(node, devices_only=True)
        node.online = True
        node.bdseq = bdseq
        node.missing.clear()
        node.next_seq = ((payload.seq or 0) + 1) % 256

    def _on_ndeath(self, node: _Node, payload: Payload) -> None:
        bdseq = None
        for m in payload.metrics:
            if m.name == BDSEQ and m.kind in ("long_value", "int_value"):
                bdseq = int(m.raw)  # type: ignore[call-overload]
        if node.bdseq is not None and bdseq != node.bdseq:
            self.stats["stale_ndeath_ignored"] += 1  # a Will of an older session
            return
        self.stats["ndeath"] += 1
        self._mark_stale(node, devices_only=False)

    def _mark_stale(self, node: _Node, devices_only: bool) -> None:
        if not devices_only:
            node.online = False
        for device in node.devices.values():
            device.online = False
            for m in device.metrics.values():
                m.stale = True

    def _on_dbirth(
        self, topic: Topic, device: _Device, parsed: pb.Payload, raw: bytes, where: str
    ) -> tuple[list[bytes], list[DeadLetter]]:
        name = topic.device or ""
        if self._stations is not None:
            if self._known is None or name not in self._known:
                self._known = self._stations()  # stations registered since are seen
            if name not in self._known:
                device.known = False
                return [], [DeadLetter(raw, self._unknown_station(name), where)]
        device.known = True
        device.online = True
        device.metrics.clear()
        device.by_alias.clear()
        problems: list[str] = []
        for m in payload_of(parsed).metrics:
            if m.name is None or m.datatype is None:
                problems.append(f"DBIRTH metric {m.name or m.alias!r}: no name or no datatype")
                continue
            wrong = _contract_type_error(m.name, m.datatype)
            if wrong:
                problems.append(wrong)
                continue
            state = _Metric(m.name, m.alias, m.datatype)
            device.metrics[m.name] = state
            if m.alias is not None:
                device.by_alias[m.alias] = state
        events, letters = self._apply(topic, device, parsed, raw, where, None)
        if problems:
            letters.append(DeadLetter(raw, "; ".join(problems), where))
        return events, letters

    def _apply(
        self,
        topic: Topic,
        device: _Device,
        parsed: pb.Payload,
        raw: bytes,
        where: str,
        node: _Node | None,
    ) -> tuple[list[bytes], list[DeadLetter]]:
        """Read a birth's or a data message's metrics: events, live values, problems.

        The hot path of the host: the parsed message's fields are read as they are, as
        :func:`~gigaline.events.sparkplug.metric_of` reads them (an empty name, a zero
        timestamp: absent; alias 0 only when set), without a ``Metric`` per metric."""
        problems: list[str] = []
        states: list[tuple[int, str]] = []
        reasons: dict[int, str] = {}  # StopReason of this message by timestamp
        unknown = False
        metrics = parsed.metrics
        self.stats["metrics"] += len(metrics)
        by_alias, by_name = device.by_alias, device.metrics
        default_ts = parsed.timestamp
        value: Any
        for m in metrics:
            alias = m.alias
            known = by_alias.get(alias) if alias or m.HasField("alias") else None
            if known is None:
                name = m.name
                if name:
                    known = by_name.get(name)
                if known is None:
                    unknown = unknown or node is not None
                    continue
            # typed_value's answer without the call, where it is the raw value as it is: the
            # type's own field, not null, no sign to extend, an unsigned value that fits
            kind = m.WhichOneof("value")
            fast = kind == known.field and not m.is_null
            if fast:
                value = None if kind is None else getattr(m, kind)
                fast = not known.limit or value < known.limit
            if not fast:
                try:
                    value = typed_value(metric_of(m), known.datatype)
                except SparkplugError as exc:
                    problems.append(f"metric {known.name!r}: {exc}")
                    continue
            ts = m.timestamp or default_ts
            role = known.role
            if role:
                if role == _STATE:
                    if value not in MACHINE_STATES:
                        problems.append(
                            f"metric {STATE!r}: {value!r} is not one of {', '.join(MACHINE_STATES)}"
                        )
                        continue
                    states.append((ts, str(value)))
                elif isinstance(value, str):
                    device.reasons.set(ts, value)
                    reasons[ts] = value
            if not m.is_historical and ts >= known.ts:
                known.value, known.ts, known.stale = value, ts, False
        if unknown and node is not None:
            self._rebirth(topic, node, "metric with an unknown alias")
        station = topic.device or ""
        events = [
            orjson.dumps(
                state_event(
                    topic.group,
                    topic.edge_node,
                    station,
                    s,
                    ts,
                    reasons[ts] or None if ts in reasons else device.reasons.at(ts),
                )
            )
            for ts, s in states
        ]
        letters = [DeadLetter(raw, "; ".join(problems), where)] if problems else []
        return events, letters

    def _track_seq(self, topic: Topic, node: _Node, seq: int | None) -> None:
        """Follow ``seq`` (0-255); open reorder windows on gaps (operational behaviour 5.7)."""
        if seq is None:
            return
        expected = node.next_seq
        if expected is None:
            node.next_seq = (seq + 1) % 256
            return
        if seq != expected and node.missing.pop(seq, None) is not None:
            return  # a late message inside its reorder window
        ahead = (seq - expected) % 256
        if ahead >= 128:
            return  # behind: a duplicate or a message already given up
        lost = False
        deadline = time.monotonic() + self.reorder_timeout_s
        for s in range(expected, expected + ahead + 1):
            s %= 256
            if s in node.missing:
                lost = True  # the sequence lapped a missing message: it will not come
                del node.missing[s]
            if s != seq:
                node.missing[s] = deadline
        if ahead:
            self.stats["seq_gaps"] += 1
        node.next_seq = (seq + 1) % 256
        if lost:
            self._rebirth(topic, node, "seq lapped a missing message")

    def _check_gaps(self) -> None:
        """Reorder windows that closed without their messages, and requests held back by the
        interval: rebirth requests."""
        now = time.monotonic()
        with self._lock:
            for (group, edge), node in self._nodes.items():
                if node.missing and min(node.missing.values()) <= now:
                    node.missing.clear()
                    self._rebirth(Topic(group, "NCMD", edge), node, "seq gap")
                elif node.rebirth_owed and now - node.last_rebirth >= self.rebirth_interval_s:
                    self._rebirth(Topic(group, "NCMD", edge), node, "held back by the interval")

    def _rebirth(self, topic: Topic, node: _Node, why: str) -> None:
        """Send NCMD Node Control/Rebirth = true (tck-id-operational-behavior-host-reordering-
        rebirth), at most once per ``rebirth_interval_s`` per node: one asked for sooner is
        owed and sent when the interval has passed (a gap found just after a rebirth would
        otherwise be forgotten, and the changes it lost with it)."""
        now = time.monotonic()
        if now - node.last_rebirth < self.rebirth_interval_s:
            node.rebirth_owed = True
            return
        node.rebirth_owed = False
        node.last_rebirth = now
        self.stats["rebirth_requests"] += 1
        log.info("host %s: rebirth request to %s/%s (%s)", self.host_id, topic.group,
                 topic.edge_node, why)  # fmt: skip
        ts = int(time.time() * 1000)
        payload = Payload(
            timestamp=ts, metrics=[Metric(NODE_REBIRTH, None, ts, DataType.Boolean, True)]
        )
        self._client.publish(
            f"{NAMESPACE}/{topic.group}/NCMD/{topic.edge_node}",
            encode(payload),  # with its datatype: Tahu's decoder reads values by it
            qos=0,
        )

    def _dead(self, raw: bytes, where: str, reason: str) -> None:
        self.stats["dead_letters"] += 1
        self.batcher.add((), [DeadLetter(raw, reason, where)])

    @staticmethod
    def _unknown_station(name: str) -> str:
        return (
            f"device {name!r} is not a registered station; register the line's stations "
            "with `gigaline mes init LINE.yaml`"
        )

    # -- live view ---------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Edge nodes, devices and live metric values, as plain data.

        ``{"<group>/<edge>": {"online", "bdSeq", "devices": {"<device>": {"online",
        "metrics": {"<name>": {"value", "ts", "stale"}}}}}}``
        """
        with self._lock:
            return {
                f"{g}/{e}": {
                    "online": n.online,
                    "bdSeq": n.bdseq,
                    "devices": {
                        d: {
                            "online": dev.online,
                            "known": dev.known,
                            "metrics": {
                                name: {"value": m.value, "ts": m.ts, "stale": m.stale}
                                for name, m in dev.metrics.items()
                            },
                        }
                        for d, dev in n.devices.items()
                    },
                }
                for (g, e), n in self._nodes.items()
            }


def _contract_type_error(name: str, datatype: int) -> str | None:
    """Why a birth's metric breaks the equipment contract's data types (None: it does not)."""
    expected = DEVICE_METRICS.get(name)
    if expected is not None and datatype != expected:
        got = DataType(datatype).name if datatype in DataType._value2member_map_ else datatype
        return f"metric {name!r}: datatype {got}; the contract says {expected.name}"
    if name.startswith(PARAMETER_PREFIX) and datatype not in (DataType.Double, DataType.Float):
        got = DataType(datatype).name if datatype in DataType._value2member_map_ else datatype
        return f"metric {name!r}: datatype {got}; process parameters are Double"
    return None
