"""The MQTT client of the virtual equipment: paho-mqtt 2, callback API 2, from a broker URL."""

from __future__ import annotations

import socket
import ssl
import time
from contextlib import suppress

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from gigaline.events.broker import BrokerAddress, parse_broker

__all__ = ["client_for", "disconnect_cleanly", "drop_connection"]


def client_for(
    broker: str | BrokerAddress, client_id: str, clean_session: bool = True
) -> tuple[mqtt.Client, BrokerAddress]:
    """A paho client set up for ``broker`` (credentials, TLS, quick reconnects)."""
    address = parse_broker(broker) if isinstance(broker, str) else broker
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean_session,
        protocol=MQTTProtocolVersion.MQTTv311,
    )
    if address.username:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
    # Equipment reconnects fast: the broker restarting must not cost minutes of data.
    client.reconnect_delay_set(min_delay=1, max_delay=5)
    return client, address


# drop_connection and disconnect_cleanly stand again in gigaline.mes.connectors._mqtt, on
# purpose: mes and virtual are siblings that must not import each other, and the only
# layers below both are pure (no paho, no sockets): these small I/O helpers have no
# shared home.
def drop_connection(client: mqtt.Client) -> None:
    """Cut the TCP connection without DISCONNECT, as a network failure does (the broker then
    publishes the client's Will; paho reconnects by itself)."""
    sock = client.socket()
    if isinstance(sock, socket.socket):
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def disconnect_cleanly(client: mqtt.Client, timeout_s: float = 5.0) -> None:
    """Write what is queued (acknowledgements), DISCONNECT, then stop the network loop.

    ``loop_stop`` right after ``disconnect`` can end the loop before the queued packets are
    written: the broker would keep the old connection and deliver again what was
    acknowledged. So wait until paho has nothing left to write, and until the socket closed.
    """
    deadline = time.monotonic() + timeout_s
    while client.want_write() and time.monotonic() < deadline:
        time.sleep(0.005)
    client.disconnect()
    while client.socket() is not None and time.monotonic() < deadline:
        time.sleep(0.005)
    client.loop_stop()
