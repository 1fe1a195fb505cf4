"""The MES's Sparkplug host application, end to end: virtual edge node -> Mosquitto -> store.

The store must hold exactly the state changes the edge node was driven with (station, time to
the millisecond, state, reason): through duplicates, reordering, drops (seq gaps), garbage
payloads, stale NDEATHs, broker restarts and host restarts. Rules of Eclipse Sparkplug 3.0.0
are named by their tck ids.
"""

from __future__ import annotations

import base64
import json
import signal
import time
from typing import Any

import pytest

from gigaline.events.equipment import BDSEQ, NODE_REBIRTH, STATE
from gigaline.events.sparkplug import DataType, Metric, Payload, decode, decode_state, encode
from gigaline.mes.connectors.sink import StoreSink
from gigaline.mes.connectors.sparkplug import HostApplication
from gigaline.mes.sql import SqlStore
from gigaline.virtual.faults import Faults
from gigaline.virtual.sparkplug import DeviceSpec, EdgeNode
from tests._spy import Spy, wait_until
from tests.mes.connectors._live import (
    STATIONS,
    T0,
    dead_letters,
    drive,
    expected_states,
    script,
    stored_states,
)

SITE = "testsite"


def host_for(broker: Any, store: SqlStore, **kw: Any) -> HostApplication:
    sink = StoreSink(store)
    host = HostApplication(broker.url, "mes", sink, stations=sink.stations, **kw)
    host.start()
    assert host.wait_online()
    return host


def edge_for(broker: Any, **kw: Any) -> EdgeNode:
    devices = {s: DeviceSpec(("fill_mass_g",)) for s in STATIONS}
    node = EdgeNode(broker.url, SITE, "line-1", devices, start_ms=T0, **kw)
    node.start()
    assert node.wait_online()
    return node


def settle(
    host: HostApplication, store: SqlStore, expected: list[Any], timeout_s: float = 20
) -> None:
    wait_until(lambda: host.drain(1) and stored_states(store) == expected, timeout_s)


def test_state_birth_and_will(mosquitto: Any, sqlite_store: SqlStore) -> None:
    """tck-id-host-topic-phid-birth-qos/-retain/-payload(-timestamp), -death-payload(-connect)."""
    spy = Spy(mosquitto.port, "spBv1.0/STATE/#")
    host = host_for(mosquitto, sqlite_store)
    assert spy.wait(lambda: len(spy.messages) == 1)
    birth = spy.messages[0]
    online = decode_state(birth.payload)
    assert birth.qos == 1 and online.online and online.timestamp > 0
    late = Spy(mosquitto.port, "spBv1.0/STATE/#", client_id="late")  # sees the retained copy
    assert late.wait(lambda: len(late.messages) == 1) and late.messages[0].retain
    host.crash()  # the broker publishes the Will: offline, the timestamp of the CONNECT
    assert spy.wait(lambda: len(spy.messages) >= 3)  # Will, then online again after reconnect
    will, again = decode_state(spy.messages[1].payload), decode_state(spy.messages[2].payload)
    assert (will.online, will.timestamp) == (False, online.timestamp)
    assert again.online and again.timestamp > online.timestamp
    host.stop()  # tck-id-host-topic-phid-death-payload-disconnect-clean
    assert spy.wait(lambda: not decode_state(spy.messages[-1].payload).online)
    spy.close()
    late.close()


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_states_become_events_exactly(
    db: str, mosquitto: Any, sqlite_store: SqlStore, request: pytest.FixtureRequest
) -> None:
    store = sqlite_store if db == "sqlite" else request.getfixturevalue("pg_store")
    host = host_for(mosquitto, store)
    node = edge_for(mosquitto)
    changes = script(300)
    drive(node, changes)
    node.update("fill-1", changes[-1][1] + 10, params={"fill_mass_g": 412.5})
    expected = expected_states(changes)
    settle(host, store, expected)
    assert stored_states(store) == expected
    live = host.snapshot()[f"{SITE}/line-1"]["devices"]["fill-1"]["metrics"]
    assert live["Parameters/fill_mass_g"]["value"] == 412.5
    assert host.stats["rebirth_requests"] == 0 and host.batcher.rejected == 0
    # replaying the whole stream (a rebirth) adds nothing
    node.rebirth()
    assert wait_until(lambda: host.drain(1) and host.batcher.duplicate >= 3)
    assert stored_states(store) == expected
    node.stop()
    host.stop()


def test_duplicates_and_reordering_change_nothing(mosquitto: Any, sqlite_store: SqlStore) -> None:
    host = host_for(mosquitto, sqlite_store)
    faults = Faults(duplicate=0.3, reorder=0.2, seed=3)
    node = edge_for(mosquitto, faults=faults)
    changes = script(300, seed=2)
    drive(node, changes)
    faults.flush(node._raw_publish)
    expected = expected_states(changes)
    settle(host, sqlite_store, expected)
    assert stored_states(sqlite_store) == expected
    assert faults.counts["duplicated"] > 50 and faults.counts["reordered"] > 30
    assert host.batcher.duplicate >= faults.counts["duplicated"] // 2
    node.stop()
    host.stop()


def test_dropped_messages_come_back_after_a_rebirth(mosquitto: Any, sqlite_store: SqlStore) -> None:
    """Seq gaps (tck-id-operational-behavior-host-reordering-start/-rebirth) heal by replay."""
    host = host_for(mosquitto, sqlite_store, reorder_timeout_s=0.3, rebirth_interval_s=0.5)
    faults = Faults(drop=0.15, seed=4)
    node = edge_for(mosquitto, faults=faults)
    changes = script(200, seed=5)
    drive(node, changes)
    expected = expected_states(changes)
    # A loss shows as a gap when the next message arrives: the line goes on counting cells,
    # as a live line does, until every change is in.
    ticks = iter(range(1, 10_000))
    assert wait_until(
        lambda: (
            node.update("stack-1", changes[-1][1] + next(ticks), processed=next(ticks)) >= 0
            and host.drain(1)
            and stored_states(sqlite_store) == expected
        ),
        30,
    )
    assert faults.counts["dropped"] > 10
    assert host.stats["seq_gaps"] > 0 and host.stats["rebirth_requests"] > 0
    assert node.rebirth_requests == host.stats["rebirth_requests"]
    node.stop()
    host.stop()


def test_garbage_is_dead_lettered_and_the_host_goes_on(
    mosquitto: Any, sqlite_store: SqlStore
) -> None:
    host = host_for(mosquitto, sqlite_store)
    node = edge_for(mosquitto)
    spy = Spy(mosquitto.port, "nothing/#")
    garbage = [b"\xff\xfe\xfd\xfc", b"not protobuf at all \x00\x01\x02", b"\x0a\xff\x01"]
    changes = script(100, seed=6)
    drive(node, changes[:50])
    for g in garbage:
        spy.publish(f"spBv1.0/{SITE}/DDATA/line-1/stack-1", g)
    spy.publish(f"spBv1.0/{SITE}/NBIRTH/line-9", garbage[0])  # the same bytes elsewhere
    spy.publish("spBv1.0/not-a-topic", b"x")
    drive(node, changes[50:])
    expected = expected_states(changes)
    settle(host, sqlite_store, expected)
    assert stored_states(sqlite_store) == expected
    letters = dead_letters(sqlite_store)
    raws = [json.loads(raw) for _reason, raw in letters]
    got = {base64.b64decode(r["payload_base64"]) for r in raws}
    assert set(garbage) <= got and b"x" in got
    reasons = " | ".join(r for r, _ in letters)
    assert "not a Sparkplug B payload" in reasons and "not-a-topic" in reasons
    node.stop()
    host.stop()
    spy.close()


class ScriptedEdge:
    """A hand-driven edge node (for payloads the virtual one would never send)."""

    def __init__(self, spy: Spy, edge: str = "line-7") -> None:
        self.spy, self.edge, self.seq = spy, edge, 0

    def send(
        self, kind: str, metrics: list[Metric], device: str | None = None, seq: int | None = -1
    ) -> None:
        if seq == -1:
            seq = self.seq
            self.seq = (self.seq + 1) % 256
        topic = f"spBv1.0/{SITE}/{kind}/{self.edge}" + (f"/{device}" if device else "")
        self.spy.publish(topic, encode(Payload(timestamp=T0, seq=seq, metrics=metrics)))

    def births(self, bdseq: int, state_type: DataType = DataType.String) -> None:
        self.seq = 0
        self.send("NBIRTH", [Metric(NODE_REBIRTH, 1, T0, DataType.Boolean, False),
                             Metric(BDSEQ, 2, T0, DataType.Int64, bdseq)])  # fmt: skip
        value: Any = "idle" if state_type == DataType.String else 1
        self.send("DBIRTH", [Metric(STATE, 10, T0, state_type, value)], device="stack-1")


def rebirths(spy: Spy, edge: str = "line-7") -> int:
    return len(spy.of(f"/NCMD/{edge}"))


def test_wrong_type_unknown_state_unknown_station(mosquitto: Any, sqlite_store: SqlStore) -> None:
    host = host_for(mosquitto, sqlite_store)
    spy = Spy(mosquitto.port, "spBv1.0/+/NCMD/#")
    edge = ScriptedEdge(spy)
    edge.births(bdseq=0, state_type=DataType.Int32)  # State must be String
    edge.send("DBIRTH", [Metric(STATE, 11, T0, DataType.String, "idle")], device="ghost-9")
    edge.send("DDATA", [Metric(None, 11, T0 + 5, DataType.String, "running")], device="ghost-9")
    edge.births(bdseq=1)
    edge.send("DDATA", [Metric(None, 10, T0 + 7, DataType.String, "exploded")], device="stack-1")
    edge.send("DDATA", [Metric(None, 10, T0 + 8, DataType.Double, 2.0)], device="stack-1")
    edge.send("DDATA", [Metric(None, 10, T0 + 9, DataType.String, "down")], device="stack-1")
    expected = [("stack-1", T0, "idle", None), ("stack-1", T0 + 9, "down", None)]
    settle(host, sqlite_store, expected)
    assert stored_states(sqlite_store) == expected
    reasons = " | ".join(r for r, _ in dead_letters(sqlite_store))
    assert "metric 'State': datatype Int32; the contract says String" in reasons
    assert "device 'ghost-9' is not a registered station" in reasons
    assert "'exploded' is not one of running, idle" in reasons
    assert "value in double_value, but datatype String travels in string_value" in reasons
    assert len(dead_letters(sqlite_store)) == 5  # two of ghost-9, three of stack-1
    host.stop()
    spy.close()


def test_ndeath_with_an_old_bdseq_is_ignored(mosquitto: Any, sqlite_store: SqlStore) -> None:
    host = host_for(mosquitto, sqlite_store)
    spy = Spy(mosquitto.port, "nothing/#")
    edge = ScriptedEdge(spy)
    edge.births(bdseq=5)
    node = f"{SITE}/line-7"
    assert wait_until(lambda: host.snapshot().get(node, {}).get("online") is True)

    def death(bdseq: int) -> bytes:
        return encode(
            Payload(timestamp=T0, metrics=[Metric(BDSEQ, None, T0, DataType.Int64, bdseq)])
        )

    spy.publish(f"spBv1.0/{SITE}/NDEATH/line-7", death(4), qos=1)  # an older session's Will
    assert wait_until(lambda: host.stats["stale_ndeath_ignored"] == 1)
    snap = host.snapshot()[node]
    assert snap["online"] and snap["devices"]["stack-1"]["online"]
    assert not snap["devices"]["stack-1"]["metrics"][STATE]["stale"]
    spy.publish(f"spBv1.0/{SITE}/NDEATH/line-7", death(5), qos=1)  # the current one
    assert wait_until(lambda: host.stats["ndeath"] == 1)
    snap = host.snapshot()[node]
    assert not snap["online"] and not snap["devices"]["stack-1"]["online"]
    assert snap["devices"]["stack-1"]["metrics"][STATE]["stale"]
    host.stop()
    spy.close()


def test_reorder_window_then_rebirth(mosquitto: Any, sqlite_store: SqlStore) -> None:
    """tck-id-operational-behavior-host-reordering-success and -rebirth; unknown alias."""
    host = host_for(mosquitto, sqlite_store, reorder_timeout_s=0.5, rebirth_interval_s=0.0)
    spy = Spy(mosquitto.port, "spBv1.0/+/NCMD/#")
    edge = ScriptedEdge(spy)
    edge.births(bdseq=0)  # seq 0, 1
    m = lambda ts, s: [Metric(None, 10, ts, DataType.String, s)]  # noqa: E731
    edge.send("DDATA", m(T0 + 1, "running"), "stack-1", seq=2)
    edge.send("DDATA", m(T0 + 3, "down"), "stack-1", seq=4)  # 3 is late ...
    edge.send("DDATA", m(T0 + 2, "idle"), "stack-1", seq=3)  # ... and arrives in the window
    assert not wait_until(lambda: rebirths(spy) > 0, 1.0)
    edge.send("DDATA", m(T0 + 5, "running"), "stack-1", seq=6)  # 5 never comes
    assert wait_until(lambda: rebirths(spy) == 1, 3.0)
    request = decode(spy.of("/NCMD/line-7")[0].payload)
    (metric,) = request.metrics  # tck-id-operational-behavior-data-commands-ncmd-rebirth-*
    assert metric.name == NODE_REBIRTH and metric.raw is True and request.seq is None
    edge.send("DDATA", [Metric(None, 999, T0 + 7, DataType.String, "idle")], "stack-1", seq=7)
    assert wait_until(lambda: rebirths(spy) == 2, 3.0)  # an unknown alias asks for a rebirth
    steps = ((0, "idle"), (1, "running"), (2, "idle"), (3, "down"), (5, "running"))
    expected = [("stack-1", T0 + t, s, None) for t, s in steps]
    settle(host, sqlite_store, expected)
    assert stored_states(sqlite_store) == expected
    host.stop()
    spy.close()


def test_a_gap_soon_after_a_rebirth_is_asked_for_once_the_interval_passed(
    mosquitto: Any, sqlite_store: SqlStore
) -> None:
    """A second gap within ``rebirth_interval_s`` of a rebirth request: the request is held
    back, not forgotten (it was, and the changes of the second gap never came back)."""
    host = host_for(mosquitto, sqlite_store, reorder_timeout_s=0.2, rebirth_interval_s=1.5)
    spy = Spy(mosquitto.port, "spBv1.0/+/NCMD/#")
    edge = ScriptedEdge(spy)
    edge.births(bdseq=0)  # seq 0, 1
    m = lambda ts, s: [Metric(None, 10, ts, DataType.String, s)]  # noqa: E731
    edge.send("DDATA", m(T0 + 1, "running"), "stack-1", seq=3)  # 2 is lost
    assert wait_until(lambda: rebirths(spy) == 1, 3.0)
    asked = time.monotonic()
    edge.births(bdseq=0)  # the node answers: seq 0, 1
    edge.send("DDATA", m(T0 + 2, "down"), "stack-1", seq=3)  # 2 is lost again, at once
    assert wait_until(lambda: rebirths(spy) == 2, 5.0)
    assert time.monotonic() - asked >= 1.4  # not before the interval passed
    host.stop()
    spy.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_broker_restart_mid_stream(sig: int, mosquitto: Any, sqlite_store: SqlStore) -> None:
    """Changes made while the broker is down arrive after it is back (store and forward)."""
    host = host_for(mosquitto, sqlite_store)
    node = edge_for(mosquitto)
    changes = script(240, seed=8)
    drive(node, changes[:80])
    mosquitto.stop(sig)
    drive(node, changes[80:160])
    mosquitto.start()
    assert node.wait_online(15) and host.wait_online(15)
    drive(node, changes[160:])
    expected = expected_states(changes)
    settle(host, sqlite_store, expected, timeout_s=30)
    assert stored_states(sqlite_store) == expected
    assert node.bdseq == 1
    node.stop()
    host.stop()


def test_host_restart_with_a_primary_host(mosquitto: Any, sqlite_store: SqlStore) -> None:
    """The edge buffers while its primary host's STATE is offline, then replays."""
    host = host_for(mosquitto, sqlite_store)
    node = edge_for(mosquitto, primary_host="mes")
    changes = script(150, seed=9)
    drive(node, changes[:50])
    assert host.drain(10)
    host.crash()  # the Will says offline; then it would reconnect: stop it instead
    host._client.loop_stop()
    assert wait_until(lambda: not node.online)
    drive(node, changes[50:100])
    host2 = host_for(mosquitto, sqlite_store)
    assert node.wait_online(15)
    drive(node, changes[100:])
    expected = expected_states(changes)
    settle(host2, sqlite_store, expected, timeout_s=30)
    assert stored_states(sqlite_store) == expected
    node.stop()
    host2.stop()
    host.batcher.stop()
