"""The embedded broker of ``gigaline run``: what the live line needs of a broker, on amqtt.

MQTT 3.1.1 (OASIS 2014) requirements checked here, with the section: QoS 1 delivery (4.3.2),
retained messages to a late subscriber (3.3.1.3), the Will of a client whose connection breaks
(3.1.2.5), the session state of a ``clean_session=False`` client kept across a reconnect
with its QoS 1 messages queued (3.1.2.4), and its unacknowledged messages sent again (4.4).
Then the Sparkplug host and edge of the MES run through it as they do through Mosquitto.
No service is needed: the test starts the broker (in a process of its own).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from gigaline.events.sparkplug import decode_state
from gigaline.mes.sql import SqlStore
from gigaline.virtual._broker_flow import WINDOW
from gigaline.virtual.broker import BrokerError, EmbeddedBroker, broker_for_demo, probe
from tests._mosquitto import free_port
from tests._spy import Spy, wait_until
from tests.mes.connectors._live import drive, expected_states, script, stored_states
from tests.mes.connectors.test_sparkplug_host import edge_for, host_for, settle


@pytest.fixture
def broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker() as b:
        yield b


def _client(
    port: int, client_id: str, clean: bool = True, will: tuple[str, bytes] | None = None
) -> tuple[mqtt.Client, list[Any]]:
    got: list[Any] = []
    subscribed = threading.Event()
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id, clean_session=clean)
    c.on_message = lambda _c, _u, m: got.append((m.topic, bytes(m.payload), m.qos, m.retain))
    c.on_subscribe = lambda *_: subscribed.set()
    if will:
        c.will_set(*will, qos=1)
    c.connect("127.0.0.1", port, 30)
    c.loop_start()
    c.user_data_set(subscribed)
    return c, got


def _subscribe(c: mqtt.Client, topic: str) -> None:
    c.subscribe(topic, qos=1)
    assert c.user_data_get().wait(10)


def _close(c: mqtt.Client) -> None:
    c.disconnect()
    c.loop_stop()


def test_qos1_retained_and_will(broker: EmbeddedBroker) -> None:
    sub, got = _client(broker.port, "sub")
    _subscribe(sub, "t/#")
    pub, _ = _client(broker.port, "pub", will=("t/will", b"gone"))
    pub.publish("t/state", b"ONLINE", qos=1, retain=True).wait_for_publish(5)
    for i in range(500):
        pub.publish("t/data", str(i).encode(), qos=1)
    assert wait_until(lambda: sum(1 for g in got if g[0] == "t/data") == 500, 30)
    data = [int(g[1]) for g in got if g[0] == "t/data"]
    assert data == list(range(500))  # in order, each once (one publisher, QoS 1)
    late, late_got = _client(broker.port, "late")
    _subscribe(late, "t/state")
    assert wait_until(lambda: bool(late_got), 10)
    assert {(t, p, r) for t, p, _q, r in late_got} == {("t/state", b"ONLINE", True)}
    sock = pub.socket()  # the connection breaks without DISCONNECT: the broker sends the Will
    pub.loop_stop()
    assert isinstance(sock, socket.socket)
    sock.shutdown(socket.SHUT_RDWR)
    assert wait_until(lambda: any(g[0] == "t/will" for g in got), 10)
    assert [g[1:3] for g in got if g[0] == "t/will"] == [(b"gone", 1)]
    _close(sub)
    _close(late)


def test_a_persistent_session_gets_what_came_while_it_was_away(broker: EmbeddedBroker) -> None:
    sub, _ = _client(broker.port, "mes-events", clean=False)
    _subscribe(sub, "gigaline/v1/#")
    _close(sub)
    pub, _ = _client(broker.port, "edge")
    for i in range(50):
        pub.publish("gigaline/v1/s/st/events", str(i).encode(), qos=1).wait_for_publish(5)
    back, got = _client(broker.port, "mes-events", clean=False)  # no new SUBSCRIBE
    assert wait_until(lambda: len(got) == 50, 10)
    assert sorted(int(g[1]) for g in got) == list(range(50))
    _close(back)
    _close(pub)


def test_unacknowledged_messages_come_again_and_at_most_a_window_is_in_flight(
    broker: EmbeddedBroker,
) -> None:
    """QoS 1 to a persistent session that acknowledges late, as the MES does (after its
    commit): at most WINDOW messages in flight; none forgotten after amqtt's own 5 s PUBACK
    wait; all of them sent again (DUP) when the connection breaks before the PUBACKs
    (MQTT 3.1.1 section 4.4), and the rest once they are acknowledged."""
    n = WINDOW + 200
    first: list[int] = []
    again: list[tuple[int, bool]] = []

    def subscriber(on_message: Any) -> mqtt.Client:
        c = mqtt.Client(CallbackAPIVersion.VERSION2, "mes-events", clean_session=False)
        c.manual_ack_set(True)
        c.on_message = on_message
        c.connect("127.0.0.1", broker.port, 60)
        c.loop_start()
        return c

    sub = subscriber(lambda _c, _u, m: first.append(int(m.payload)))
    sub.subscribe("t/#", qos=1)
    time.sleep(0.5)
    pub, _ = _client(broker.port, "edge")
    for i in range(n):
        pub.publish("t/x", str(i).encode(), qos=1)
    assert wait_until(lambda: len(first) >= WINDOW, 30)
    time.sleep(6.0)  # no PUBACK for longer than amqtt's 5 s
    assert sorted(first) == list(range(WINDOW))  # the window, in order, and no more
    sock = sub.socket()
    sub.loop_stop()
    assert isinstance(sock, socket.socket)
    sock.shutdown(socket.SHUT_RDWR)  # the connection breaks with every PUBACK owed
    sock.close()

    def ack(c: mqtt.Client, _u: Any, m: mqtt.MQTTMessage) -> None:
        again.append((int(m.payload), bool(m.dup)))
        c.ack(m.mid, m.qos)

    back = subscriber(ack)
    assert wait_until(lambda: len(again) >= n, 30)
    time.sleep(0.5)
    assert sorted(i for i, _ in again) == list(range(n))  # each once more, none lost
    assert {i for i, dup in again if dup} == set(range(WINDOW))  # sent again, marked DUP
    _close(back)
    _close(pub)


def test_sparkplug_host_and_edge_through_it(broker: EmbeddedBroker, sqlite_store: SqlStore) -> None:
    spy = Spy(broker.port, "spBv1.0/STATE/#")
    host = host_for(broker, sqlite_store)
    node = edge_for(broker)
    changes = script(200)
    drive(node, changes)
    expected = expected_states(changes)
    settle(host, sqlite_store, expected)
    assert stored_states(sqlite_store) == expected
    assert host.stats["rebirth_requests"] == 0 and host.batcher.rejected == 0
    assert spy.wait(lambda: len(spy.messages) >= 1) and decode_state(spy.messages[0].payload).online
    node.stop()
    host.stop()
    spy.close()


def test_probe_wants_an_mqtt_answer(broker: EmbeddedBroker) -> None:
    assert probe(broker.url)
    assert not probe(f"mqtt://127.0.0.1:{free_port()}", timeout_s=0.3)  # nothing listens
    with socket.socket() as silent:  # listens, never answers (a wrong service or a hung one)
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        start = time.monotonic()
        assert not probe(f"mqtt://127.0.0.1:{silent.getsockname()[1]}", timeout_s=0.3)
        assert time.monotonic() - start < 2


def test_only_loopback_and_a_named_broker_must_answer() -> None:
    with pytest.raises(BrokerError, match="only a loopback address"):
        EmbeddedBroker(host="0.0.0.0")
    closed = f"mqtt://127.0.0.1:{free_port()}"
    refused = r"--broker mqtt://127\.0\.0\.1:\d+: no MQTT broker"
    with pytest.raises(BrokerError, match=refused), broker_for_demo(closed, timeout_s=0.3):
        pass
    with broker_for_demo(None, timeout_s=0.3, local=closed) as (url, embedded):
        assert embedded and url != closed and probe(url)
    assert not probe(url, timeout_s=0.3)  # stopped with the block
