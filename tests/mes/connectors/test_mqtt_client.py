"""The connectors' MQTT client: buffered reads deliver every packet intact and in order."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from gigaline.mes.connectors._mqtt import (
    _READ_SIZE,
    _BufferedSocket,
    disconnect_cleanly,
    drop_connection,
    mqtt_client,
)


def _payload(i: int) -> bytes:
    # sizes that put packet boundaries everywhere in a read, and packets longer than a read
    size = (i * 37) % 300 if i % 97 else _READ_SIZE + 1_000 + i
    return i.to_bytes(4, "big") + bytes((i + k) % 256 for k in range(size))


def test_burst_arrives_whole_in_order(mosquitto: Any) -> None:
    n = 3_000
    got: list[tuple[str, bytes, int]] = []
    done = threading.Event()
    client, _ = mqtt_client(f"mqtt://127.0.0.1:{mosquitto.port}", "buffered-sub")

    def on_message(_c: Any, _u: Any, msg: Any) -> None:
        got.append((msg.topic, msg.payload, msg.qos))
        if len(got) == n:
            done.set()

    subscribed = threading.Event()
    client.on_message = on_message
    client.on_subscribe = lambda *_a: subscribed.set()
    client.on_connect = lambda c, *_a: c.subscribe("burst/#", qos=1)
    client.connect("127.0.0.1", mosquitto.port)
    client.loop_start()
    assert subscribed.wait(10)
    assert isinstance(client.socket(), _BufferedSocket)
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, "burst-pub")
    pub.connect("127.0.0.1", mosquitto.port)
    pub.loop_start()
    # one QoS: paho sends QoS 0 past the QoS 1 messages waiting for their in-flight window
    infos = [pub.publish(f"burst/{i % 7}", _payload(i), qos=1) for i in range(n)]
    for info in infos:
        info.wait_for_publish(30)
    assert done.wait(60), f"{len(got)} of {n} arrived"
    assert [p for _, p, _ in got] == [_payload(i) for i in range(n)]  # whole, in order
    assert [t for t, _, _ in got] == [f"burst/{i % 7}" for i in range(n)]
    assert {q for _, _, q in got} == {1}
    pub.disconnect()
    pub.loop_stop()
    disconnect_cleanly(client)


def test_drop_connection_still_cuts_the_buffered_socket(mosquitto: Any) -> None:
    """The fault tests' crash: the broker sees the connection go and paho reconnects."""
    client, _ = mqtt_client(f"mqtt://127.0.0.1:{mosquitto.port}", "buffered-crash")
    connects: list[float] = []
    client.on_connect = lambda *_a: connects.append(time.monotonic())
    client.connect("127.0.0.1", mosquitto.port)
    client.loop_start()
    deadline = time.monotonic() + 10
    while not connects and time.monotonic() < deadline:
        time.sleep(0.01)
    sock = client.socket()
    assert isinstance(sock, _BufferedSocket) and isinstance(sock, socket.socket)
    drop_connection(client)
    deadline = time.monotonic() + 20
    while len(connects) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(connects) == 2  # reconnected on a new (buffered) socket
    assert client.socket() is not sock
    disconnect_cleanly(client)
